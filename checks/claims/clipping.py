"""Checks of the global-norm clipping claims (spec/claims/clipping.toml): clip(g) = g·min(1, c/(‖g‖ + ε)),
its direction, cap, idempotence, identity below the threshold, the division form, torch's ε margin, its
Jacobian and non-expansiveness. Value and per-tensor clipping are in clipping_value.py.

Gradients are lists of arrays (models/clipping.py); their norms, cosines and the threshold cases are in
``vanishing.checks.cases``.
"""

from fractions import Fraction

import autograd.numpy as anp
import numpy as np
from autograd.misc.flatten import flatten
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, oracles, recording, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    unit_vectors,
    vectors,
)
from vanishing.checks.toolkit import FD_REACH
from vanishing.models import clipping as clip


#: CLIP-NORM-DIRECTION asserts a strict scale-down (ŝ < 1) only where ‖g‖ + ε > c·(1 + CLEARLY_ABOVE). Derived: four
#: computed quantities each carry at most cases.CLIP_RTOL relative error (a list has N ≤ 100 entries, so a norm's or a dot
#: product's rounding is ≤ γ_N ≈ 100u ≈ 1.1e-14 < cases.CLIP_RTOL ≈ 5.7e-14): the check's norm n, the model's norm, the model's
#: factor c/(n + ε) (one addition, one division), and the estimate ŝ = ⟨y, g⟩/⟨g, g⟩ (two dot products, a division,
#: and the rounding of y_i = g_i·factor). n + ε > c(1 + K·cases.CLIP_RTOL) with n ≤ ‖g‖(1 + cases.CLIP_RTOL) makes the exact factor
#: c/(‖g‖ + ε) < (1 + cases.CLIP_RTOL)/(1 + K·cases.CLIP_RTOL), and ŝ ≤ that·(1 + cases.CLIP_RTOL)³, which is < 1 for K = 5 since (1 + cases.CLIP_RTOL)⁴ < 1 + 5·cases.CLIP_RTOL.
CLEARLY_ABOVE_TOL = tolerances.override(tolerances.analytic(), "a strict scale-down is asserted only where ‖g‖ + ε > c·(1 + 5·cases.CLIP_RTOL)",
                                        rtol=5 * cases.CLIP_RTOL, atol=0.0)
CLEARLY_ABOVE = CLEARLY_ABOVE_TOL.rtol
#: CLIP-TORCH-EPS-MARGIN asserts ‖clip(g)‖ < c exactly only where the relative margin ε/(n + ε) exceeds
#: MARGIN_ALLOWANCES·cases.CLIP_RTOL. Derived: the output's exact norm is ‖g‖·f·(1 + δ), |δ| ≤ u (one rounding per product
#: g_i·f), with the model's factor f = c/(n_m + ε) off by its own norm n_m (≤ cases.CLIP_RTOL) and by one addition and one division
#: (≤ cases.CLIP_RTOL), so ‖clip(g)‖ ≤ (c − m)(1 + cases.CLIP_RTOL)²/(1 − cases.CLIP_RTOL), m = cε/(‖g‖ + ε) the exact margin: < c once m/c > 3·cases.CLIP_RTOL to
#: first order. The check's own norm n (≤ cases.CLIP_RTOL) moves the margin it computes by one more cases.CLIP_RTOL: 4 in all.
MARGIN_ALLOWANCES = 4
MARGIN_TOL = tolerances.override(tolerances.analytic(), "‖clip(g)‖ < c is asserted only where the margin ε/(‖g‖ + ε) exceeds 4·cases.CLIP_RTOL",
                                 rtol=MARGIN_ALLOWANCES * cases.CLIP_RTOL, atol=0.0)
#: scipy.differentiate's first stencil reaches FD_REACH = 0.5 from the point (toolkit.FD_REACH);
#: a coordinate step of 0.5 moves ‖g‖ by at most 0.5, so a 0.6 margin keeps the branch switch
#: ‖g‖ + eps = c (and the singularity at g = 0) outside every stencil.
FD_MARGIN = FD_REACH + 0.1


def _sq_exact(v):
    """Σ v_i² in exact rational arithmetic: the true squared norm of the float64 vector v."""
    return sum((Fraction(float(x)) ** 2 for x in v), Fraction(0))


def _same(a_list, b_list):
    """Bitwise equality of two gradient lists (shape, dtype and every bit of every entry, so -0.0 ≠ 0.0)."""
    return len(a_list) == len(b_list) and all(
        np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        and np.asarray(a).tobytes() == np.asarray(b).tobytes() for a, b in zip(a_list, b_list))


_BELOW_KINDS = cases.norm_cases(kinds=("at-norm", "at-norm+eps", "tiny"))
_ABOVE = floats(1.0, 100.0)
_BAND = floats(0.0, 0.999)


@st.composite
def _identity_cases(draw):
    """(grads, max_norm) with ‖g‖ ≤ max_norm, including both rules' boundaries and torch's band."""
    gs, max_norm = draw(_BELOW_KINDS, label="case")
    kind = draw(cases._kind(("as drawn", "above", "band")), label="placement")
    n = clip.global_norm(gs)
    if kind == "above":
        max_norm = n * draw(_ABOVE, label="max_norm/‖g‖")
    elif kind == "band":                           # ‖g‖ ≤ c < ‖g‖ + eps: below the threshold, inside torch's band
        max_norm = n + draw(_BAND, label="(max_norm-‖g‖)/eps") * cases.TORCH_EPS
    return gs, float(max_norm)


_PAIR_BASE = cases.norm_cases(kinds=("absolute", "relative", "tiny"))
_LAMBDA = floats(0.0, 3.0)
_STEP_ENTRY = floats(-1.0, 1.0)


@st.composite
def _pairs(draw):
    """(g, h, max_norm): two gradient lists of the same shapes (h near g, far from g, or h = λg) and a threshold."""
    gs, max_norm = draw(_PAIR_BASE, label="g, max_norm")
    scale = float(np.max(np.abs(cases.flat(gs))))
    how = draw(cases._kind(("near", "far", "scaled")), label="h")
    if how == "scaled":                              # h = λg: same direction, the radial part of the map
        lam = draw(_LAMBDA, label="λ")
        hs = [g * lam for g in gs]
    else:
        step = scale * (1e-6 if how == "near" else 1.0)
        size = int(sum(np.size(g) for g in gs))
        delta = np.array(draw(st.lists(_STEP_ENTRY, min_size=size, max_size=size), label="δ"))
        hs = [g + step * d for g, d in zip(gs, flatten(gs)[1](delta))]
    return gs, hs, max_norm


# ---------------------------------------------------------------- plants (realistic bugs)

def _per_tensor_as_global(gs, max_norm, eps=0.0):
    """Keras clipnorm used where global clipping was meant."""
    out, _ = clip.clip_by_norm_per_tensor(gs, max_norm, eps=eps)
    return out, clip.global_norm(gs)


def _value_as_norm(gs, max_norm, eps=0.0):
    """clipvalue used where clipnorm was meant."""
    return clip.clip_by_value(gs, max_norm), clip.global_norm(gs)


def _always_rescale(gs, max_norm, eps=0.0):
    """The min(1, ·) dropped: every gradient is rescaled to norm max_norm, small ones amplified."""
    n = clip.global_norm(gs)
    return [g * (max_norm / (n + eps)) if n > 0 else g for g in gs], n


def _divide_by_norm(gs, max_norm, eps=0.0):
    """'scale it by dividing' read as dividing by ‖g‖ (normalising to unit norm) above the threshold."""
    n = clip.global_norm(gs)
    return ([g / n for g in gs] if n > max_norm else list(gs)), n


def _divide_by_threshold(gs, max_norm, eps=0.0):
    """'scale it by dividing' read as dividing by the threshold."""
    n = clip.global_norm(gs)
    return ([g / max_norm for g in gs] if n > max_norm else list(gs)), n


def _returns_norm_after(gs, max_norm, eps=0.0):
    """Returns the norm after clipping instead of before (torch returns the total norm before)."""
    out, _ = clip.clip_by_global_norm(gs, max_norm, eps=eps)
    return out, clip.global_norm(out)


def _eps_ignored(gs, max_norm, eps=0.0):
    """torch's eps silently dropped (Pascanu's rule run where torch's was asked for)."""
    return clip.clip_by_global_norm(gs, max_norm, eps=0.0)


def _squared_norm_test(gs, max_norm, eps=0.0):
    """Threshold test ‖g‖² ≥ max_norm (the square forgotten on the right; evaluated as ‖g‖ ≥ √max_norm, no overflow)."""
    n = clip.global_norm(gs)
    return ([g * (max_norm / (n + eps)) for g in gs] if n >= np.sqrt(max_norm) else list(gs)), n


def _eps_subtracted(gs, max_norm, eps=0.0):
    """torch's eps subtracted from the norm instead of added: c/(‖g‖ − ε)."""
    n = clip.global_norm(gs)
    return ([g * (max_norm / (n - eps)) for g in gs] if n - eps > max_norm else list(gs)), n


def _sqrt_dropped(gs, max_norm, eps=0.0):
    """Scale factor c/‖g‖² instead of c/‖g‖ (the sqrt of the squared norm forgotten)."""
    n = clip.global_norm(gs)
    return ([g * (max_norm / (n + eps) / n) for g in gs] if n + eps > max_norm else list(gs)), n


# ---------------------------------------------------------------- the claims

@claim_check("CLIP-NORM-DIRECTION",
             subject={"clip": clip.clip_by_global_norm},
             plants={"per-tensor clipping used as global": {"clip": _per_tensor_as_global},
                     "value clipping used as norm clipping": {"clip": _value_as_norm}})
def norm_clipping_keeps_the_direction(ctx, s):
    """clip(g) = s·g with s ∈ (0, 1], s < 1 iff ‖g‖ + eps > c; cos∠(clip(g), g) = 1.  [CLIP-NORM-DIRECTION]"""
    @ctx.holds
    @given(case=cases.norm_cases(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=([np.array([3.0, 4.0]), np.array([[0.1]])], 1.0), eps=0.0)
    @example(case=([np.array([1e200, -3e199]), np.array([2.0])], 1.0), eps=cases.TORCH_EPS)
    def positive_multiple(case, eps):
        gs, mx = case
        out, _ = s.clip(gs, mx, eps=eps)
        x, y = cases.flat(gs), cases.flat(out)
        rep = ctx.repro(gs=gs, max_norm=mx, eps=eps)
        # the scalar s estimated from the output alone (least squares, rescaled so Σx² cannot overflow)
        m = float(np.max(np.abs(x)))
        s_hat = float((y / m) @ (x / m) / ((x / m) @ (x / m)))
        assert 0.0 < s_hat <= 1.0 + cases.CLIP_RTOL, f"{ctx.id}: scale factor {s_hat!r} outside (0, 1] for {rep}"
        cases.close(y, s_hat * x, float(np.max(np.abs(y))), f"{ctx.id}: clipped ≠ s·g (s = {s_hat!r})", rep)
        cos = cases.cos(y, x)
        target(1.0 - cos, label="1 - cos(clip(g), g)")
        cases.close(cos, 1.0, 1.0, f"{ctx.id}: cos∠(clip(g), g) should be 1", rep)
        n = cases.norm(x)
        recording.record_override(CLEARLY_ABOVE_TOL)
        if n + eps > mx * (1.0 + CLEARLY_ABOVE):     # clearly above: a scale-down must happen (not at the rounding edge)
            assert s_hat < 1.0, f"{ctx.id}: ‖g‖ = {n!r} > max_norm = {mx!r} but s = {s_hat!r} (no scale-down) for {rep}"


def _norm_of_first_8(gs, max_norm, eps=0.0):
    """A size-dependent plant: the global norm summed over the first 8 tensors only (a fixed-size buffer)."""
    n = clip.global_norm(gs[:8])
    return ([g * (max_norm / (n + eps)) for g in gs] if n + eps > max_norm else list(gs)), n


@claim_check("CLIP-NORM-CAP",
             subject={"clip": clip.clip_by_global_norm},
             plants={"threshold test on ‖g‖² against max_norm": {"clip": _squared_norm_test},
                     "torch's eps subtracted instead of added": {"clip": _eps_subtracted},
                     "per-tensor clipping used as global": {"clip": _per_tensor_as_global},
                     "norm over the first 8 tensors only": {"clip": _norm_of_first_8}})
def norm_clipping_caps_the_norm_at_the_threshold(ctx, s):
    """‖clip(g)‖ ≤ c(1 + 256ε), and = c to 256 ulps when ‖g‖ ≥ c (eps = 0); exact ≤ c fails in float64.  [CLIP-NORM-CAP]"""
    @ctx.holds
    @given(case=cases.norm_cases(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=([np.array([1.0, 6.0])], 1.0), eps=0.0)
    @example(case=([np.array([1e-3, 1e-3]), np.array([[1e-3]])], 1e-3), eps=0.0)   # ‖g‖ = √3·c: clipped, 3 tensors
    @example(case=([np.array([3.0, 4.0])], 1.0), eps=cases.TORCH_EPS)
    @example(case=([np.array([1.0])] * 9 + [np.array([4.0])], 1.0), eps=0.0)   # 10 tensors: more than 8
    def capped_to_rounding(case, eps):
        gs, mx = case
        out, n = s.clip(gs, mx, eps=eps)
        y = cases.flat(out)
        after = cases.norm(y)
        rep = ctx.repro(gs=gs, max_norm=mx, eps=eps)
        target(after / mx, label="‖clip(g)‖ / max_norm")
        ceiling = Fraction(mx) * (1 + Fraction(cases.CLIP_RTOL))
        assertions.assert_le(_sq_exact(y), ceiling ** 2, tolerances.exact("‖clip(g)‖² exactly, in rationals, against (max_norm·(1 + 256ε))²"),
                          f"{ctx.id}: ‖clip(g)‖² vs (max_norm·(1 + 256ε))² (‖clip(g)‖ ≈ {after!r})", reproduce=rep)
        if eps == 0.0 and cases.norm(cases.flat(gs)) >= mx:
            cases.close(after, mx, mx, f"{ctx.id}: ‖clip(g)‖ should equal max_norm = {mx!r} once ‖g‖ = {n!r} ≥ max_norm", rep)

    @ctx.refutes
    @given(case=cases.norm_cases(kinds=("absolute", "relative")))
    @example(case=([np.array([1.0, 6.0])], 1.0))
    def literal_exact_cap(case):
        gs, mx = case
        out, _ = s.clip(gs, mx)
        y = cases.flat(out)
        literal(_sq_exact(y) <= Fraction(mx) ** 2,
                f"{ctx.id}: the float64 output of clip_by_global_norm({cases.show_grads(gs)}, {mx!r}) has exact norm² {float(_sq_exact(y))!r} > max_norm² = ({mx!r})²")


@claim_check("CLIP-NORM-IDEMPOTENT",
             subject={"clip": clip.clip_by_global_norm},
             plants={"torch's eps subtracted instead of added": {"clip": _eps_subtracted},
                     "min(1, ·) dropped: always rescaled to max_norm": {"clip": _always_rescale}})
def norm_clipping_is_idempotent_without_eps(ctx, s):
    """clip(clip(g)) = clip(g) to rounding for eps = 0; for eps > 0 it is κ·clip(g), κ = c(n+ε)/(cn + ε(n+ε)) < 1.  [CLIP-NORM-IDEMPOTENT]"""
    @ctx.holds
    @given(case=cases.norm_cases(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=([np.array([5.0])], 1e-3), eps=cases.TORCH_EPS)
    @example(case=([np.array([1.0, 7.0])], 1.0), eps=0.0)
    # ‖g‖ = 0.5 below max_norm: g must not move (the min(1, ·) plant was caught only by a lucky draw; flakiness run,
    # dev profile, --hypothesis-seed=1213537036)
    @example(case=([np.array([0.3, -0.4])], 1.0), eps=0.0)
    def second_pass(case, eps):
        gs, mx = case
        out1, n = s.clip(gs, mx, eps=eps)
        out2, _ = s.clip(out1, mx, eps=eps)
        y1, y2 = cases.flat(out1), cases.flat(out2)
        rep = ctx.repro(gs=gs, max_norm=mx, eps=eps)
        scale = float(np.max(np.abs(y1)))
        if eps == 0.0 or n + eps <= mx:
            # Algorithm 1 (and torch below its fixed-point set ‖g‖ ≤ c − ε): a second pass changes at most an ulp
            cases.close(y2, y1, scale, f"{ctx.id}: second pass moved the clipped gradient", rep)
            if n + eps <= mx:
                assert _same(out1, gs) and _same(out2, gs), f"{ctx.id}: ‖g‖ + eps = {n + eps!r} ≤ c but g moved: {rep}"
        else:
            # torch: n1 = cn/(n+ε) after one pass, and n1 + ε > c again, so the second pass scales by
            # κ = c/(n1 + ε) = c(n+ε)/(cn + ε(n+ε)) < 1: never a fixed point unless ‖g‖ ≤ c − ε
            # (written as 1/(n/(n+ε) + ε/c) so that c·n cannot overflow for exploded g)
            kappa = 1.0 / (n / (n + eps) + eps / mx)
            target((eps / mx) * (1.0 - mx / (n + eps)) * kappa, label="1 - κ (second-pass shrink)")
            cases.close(y2, kappa * y1, scale, f"{ctx.id}: second pass should scale by κ = {kappa!r}", rep)

    @ctx.refutes
    @given(case=cases.norm_cases(kinds=("absolute", "relative")))
    @example(case=([np.array([1.0, 7.0])], 1.0))
    def literal_bitwise_idempotent(case):
        gs, mx = case
        out1, _ = s.clip(gs, mx)
        out2, _ = s.clip(out1, mx)
        literal(_same(out2, out1), f"{ctx.id}: clip(clip(g)) = {cases.show_grads(out2)} ≠ clip(g) = {cases.show_grads(out1)} bitwise (g = {cases.show_grads(gs)}, c = {mx!r}, eps = 0)")

    @ctx.refutes
    @given(case=cases.norm_cases(kinds=("absolute", "relative")))
    @example(case=([np.array([5.0])], 1e-3))
    def literal_torch_idempotent(case):
        gs, mx = case
        out1, _ = s.clip(gs, mx, eps=cases.TORCH_EPS)
        out2, _ = s.clip(out1, mx, eps=cases.TORCH_EPS)
        y1 = cases.flat(out1)
        cases.close(cases.flat(out2), y1, float(np.max(np.abs(y1))), f"{ctx.id}: torch rule (eps = 1e-6) not idempotent, g = {cases.show_grads(gs)}, c = {mx!r}",
               literal=True)


@claim_check("CLIP-NORM-IDENTITY-BELOW",
             subject={"clip": clip.clip_by_global_norm},
             plants={"min(1, ·) dropped: always rescaled to max_norm": {"clip": _always_rescale},
                     "eps ignored (Pascanu's rule run for torch's)": {"clip": _eps_ignored}})
def norm_clipping_is_the_identity_below_the_threshold(ctx, s):
    """fl(‖g‖ + ε) ≤ c ⇒ clip(g) = g bitwise; for ε = 1e-6, ‖g‖ ≤ c < ‖g‖ + ε still scales by c/(‖g‖+ε) < 1.  [CLIP-NORM-IDENTITY-BELOW]"""
    @ctx.holds
    @given(case=_identity_cases(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=([np.array([3.0, 4.0])], 5.0), eps=0.0)           # ‖g‖ = c exactly: Algorithm 1's '≥' fires with factor 1
    @example(case=([np.array([0.5])], 0.5), eps=cases.TORCH_EPS)          # ‖g‖ = c: torch scales by 0.5/(0.5 + 1e-6)
    # ‖g‖ = 0.5 well below c = 5: g itself. Without it the plant "min(1, ·) dropped" was caught only when a draw landed
    # strictly below (the flakiness run, dev profile, missed it once in five pytest sessions)
    @example(case=([np.array([0.3, 0.4])], 5.0), eps=0.0)
    def identity_or_band(case, eps):
        gs, mx = case
        out, n = s.clip(gs, mx, eps=eps)
        rep = ctx.repro(gs=gs, max_norm=mx, eps=eps)
        if n + eps <= mx:
            # exactness is the claim: the factor is exactly 1.0 and g·1.0 = g bit for bit
            assert _same(out, gs), f"{ctx.id}: ‖g‖ + eps = {n + eps!r} ≤ c = {mx!r} but clip(g) = {cases.show_grads(out)} ≠ g: {rep}"
        else:
            # torch's band (and every ‖g‖ when c ≤ eps): scaled by c/(‖g‖ + ε) although ‖g‖ ≤ c
            x = cases.flat(gs)
            factor = mx / (n + eps)
            target(1.0 - factor, label="1 - factor below the threshold")
            cases.close(cases.flat(out), factor * x, float(np.max(np.abs(x))),
                   f"{ctx.id}: in the band ‖g‖ = {n!r} ≤ c < ‖g‖ + eps the factor should be c/(‖g‖+eps) = {factor!r}", rep)

    @ctx.refutes
    @given(case=_identity_cases())
    @example(case=([np.array([0.5])], 0.5))
    def literal_torch_unchanged_below(case):
        gs, mx = case
        out, n = s.clip(gs, mx, eps=cases.TORCH_EPS)
        assume(n <= mx)                 # the statement is about gradients not larger than the threshold
        x = cases.flat(gs)
        cases.close(cases.flat(out), x, float(np.max(np.abs(x))),
               f"{ctx.id}: ‖g‖ = {n!r} ≤ max_norm = {mx!r}, yet clip_grad_norm_'s rule changed g = {cases.show_grads(gs)}", literal=True)


@claim_check("CLIP-SCALE-BY-DIVIDING",
             subject={"clip": clip.clip_by_global_norm},
             plants={"divides by ‖g‖ (normalises)": {"clip": _divide_by_norm},
                     "divides by the threshold": {"clip": _divide_by_threshold}})
def norm_clipping_divides_by_norm_over_threshold(ctx, s):
    """‖g‖ > c ⇒ clip(g) = g / (‖g‖/c), divisor > 1; at ‖g‖ = c the divisor is exactly 1 ('>' vs '≥' immaterial).  [CLIP-SCALE-BY-DIVIDING]"""
    @ctx.holds
    @given(case=cases.norm_cases(kinds=("absolute", "relative", "at-norm")))
    @example(case=([np.array([6.0, 8.0])], 2.0))
    @example(case=([np.array([3.0, 4.0])], 5.0))
    def divide_by_norm_over_threshold(case):
        gs, mx = case
        out, n = s.clip(gs, mx)
        x, y = cases.flat(gs), cases.flat(out)
        rep = ctx.repro(gs=gs, max_norm=mx)
        if n == mx:
            # exactness is the claim: Algorithm 1 clips at ‖g‖ = c ('≥'), seed 002 does not ('>'); the factor c/‖g‖ is exactly 1.0
            assert _same(out, gs), f"{ctx.id}: at ‖g‖ = c = {mx!r} the output should be g bit for bit: {rep}"
        elif n > mx:
            divisor = cases.norm(x) / mx
            target(divisor, label="divisor ‖g‖/c")
            assert divisor > 1.0, f"{ctx.id}: divisor ‖g‖/c = {divisor!r} ≤ 1 although ‖g‖ = {n!r} > c: {rep}"
            cases.close(y, x / divisor, float(np.max(np.abs(y))), f"{ctx.id}: clip(g) should be g/(‖g‖/c), divisor {divisor!r}", rep)
        else:
            assert _same(out, gs), f"{ctx.id}: ‖g‖ = {n!r} < c but g changed: {rep}"


@claim_check("CLIP-TORCH-EPS-MARGIN",
             subject={"clip": clip.clip_by_global_norm},
             plants={"returns the norm after clipping": {"clip": _returns_norm_after},
                     "eps ignored (Pascanu's rule run for torch's)": {"clip": _eps_ignored}})
def torch_eps_keeps_the_clipped_norm_below_the_threshold(ctx, s):
    """ε = 1e-6: ‖clip(g)‖ = c‖g‖/(‖g‖+ε) = c − cε/(‖g‖+ε), returned value ‖g‖; strict < c in float64 only when the margin beats rounding.  [CLIP-TORCH-EPS-MARGIN]"""
    @ctx.holds
    @given(case=cases.norm_cases())
    @example(case=([np.array([3.0, 4.0])], 1.0))
    @example(case=([np.array([1e12])], 1.0))
    def margin(case):
        gs, mx = case
        out, returned = s.clip(gs, mx, eps=cases.TORCH_EPS)
        x, y = cases.flat(gs), cases.flat(out)
        n = cases.norm(x)
        rep = ctx.repro(gs=gs, max_norm=mx, eps=cases.TORCH_EPS)
        cases.close(returned, n, n, f"{ctx.id}: the returned value should be the norm BEFORE clipping, {n!r}", rep)
        if n + cases.TORCH_EPS > mx:
            exact_after = mx * (n / (n + cases.TORCH_EPS))        # n/(n+ε) first: c·n overflows for exploded g
            margin_ = mx * cases.TORCH_EPS / (n + cases.TORCH_EPS)      # c − c·n/(n+ε)
            target(-margin_ / mx, label="-(relative margin below max_norm)")
            cases.close(cases.norm(y), exact_after, mx, f"{ctx.id}: ‖clip(g)‖ should be c‖g‖/(‖g‖+ε) = {exact_after!r}", rep)
            recording.record_override(MARGIN_TOL)
            if margin_ > MARGIN_TOL.rtol * mx:
                # the margin is larger than the rounding of the output (derived at MARGIN_ALLOWANCES): strictly below max_norm, exactly
                assert _sq_exact(y) < Fraction(mx) ** 2, \
                    f"{ctx.id}: margin cε/(‖g‖+ε) = {margin_!r} exceeds rounding, yet ‖clip(g)‖ ≥ c = {mx!r}: {rep}"

    @ctx.refutes
    @given(case=cases.norm_cases(kinds=("absolute", "relative")))
    @example(case=([np.array([1e12])], 1.0))
    def literal_strictly_below(case):
        gs, mx = case
        out, n = s.clip(gs, mx, eps=cases.TORCH_EPS)
        assume(n + cases.TORCH_EPS > mx)      # the statement is about gradients that were clipped
        y = cases.flat(out)
        literal(_sq_exact(y) < Fraction(mx) ** 2,
                f"{ctx.id}: ‖g‖ = {n!r}: the float64 clipped norm {cases.norm(y)!r} is not strictly below max_norm = {mx!r}")


_JAC_N = dims(1, 3)                                   # FD-friendly sizes
_JAC_G = {N: vectors(N, -50.0, 50.0) for N in (1, 2, 3)}
_JAC_DIR = {N: unit_vectors(N) for N in (1, 2, 3)}
_JAC_RATIO = floats(0.02, 0.95)


@st.composite
def _jacobian_cases(draw):
    """(g, c, (u, v)): g ∈ ℝ^N (N ≤ 3), c = r‖g‖ with r in [0.02, 0.95] (the clipped branch), and two
    unit directions for the directional derivative uᵀJv."""
    N = draw(_JAC_N, label="N")
    g = draw(_JAC_G[N], label="g")
    u = draw(_JAC_DIR[N], label="u")
    v = draw(_JAC_DIR[N], label="v")
    return g, cases.norm(g) * draw(_JAC_RATIO, label="c/‖g‖"), (u, v)


def _clip_smooth(max_norm, eps):
    """The clipped branch of clip_by_global_norm in autograd.numpy (the model's float() norm is not differentiable)."""
    return lambda v: max_norm * v / (anp.sqrt(anp.sum(v ** 2)) + eps)


@claim_check("CLIP-NORM-JACOBIAN",
             subject={"clip": clip.clip_by_global_norm, "jac": clip.global_clip_jacobian},
             plants={"projection term dropped: (c/‖g‖)·I": {"jac": lambda g, max_norm, eps: max_norm / (np.linalg.norm(g) + eps) * np.eye(np.size(g))},
                     "ĝĝᵀ added instead of subtracted": {"jac": lambda g, max_norm, eps: 2 * max_norm / (np.linalg.norm(g) + eps) * np.eye(np.size(g)) - clip.global_clip_jacobian(g, max_norm, eps)},
                     "I returned below the threshold only: the clipped branch never taken": {"jac": lambda g, max_norm, eps: np.eye(np.size(g))}})
def norm_clipping_jacobian_is_a_scaled_projection(ctx, s):
    """‖g‖ + ε > c ⇒ ∂clip(g)/∂g = c/(‖g‖+ε)·(I − ggᵀ/(‖g‖(‖g‖+ε))) (ε = 0: (c/‖g‖)(I − ĝĝᵀ)); below, = I.  [CLIP-NORM-JACOBIAN]"""
    @ctx.holds(max_examples=15, reason="each example runs autograd twice and scipy.differentiate N + 1 times (~8 ms each)")
    @given(case=_jacobian_cases(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=(np.array([3.0, 4.0]), 1.0, (np.array([1.0, 0.0]), np.array([0.0, 1.0]))), eps=0.0)
    def clipped_branch(case, eps):
        g, mx, dirs = case
        n = cases.norm(g)
        assume(n + eps - mx > FD_MARGIN)        # keep the branch switch and g = 0 outside the FD stencil
        rep = ctx.repro(g=g, max_norm=mx, eps=eps)
        model = lambda v: s.clip([v], mx, eps=eps)[0][0]
        smooth = _clip_smooth(mx, eps)
        # the autograd function is the model's formula on this branch (values agree to rounding)
        cases.close(model(g), smooth(g), mx, f"{ctx.id}: model value vs c·g/(‖g‖+ε)", rep)
        J = s.jac(g, mx, eps)
        Jr = oracles.check_jacobian(smooth, g, closed_form=J, label=f"{ctx.id}: clipped branch", reproduce=rep)
        # finite differences on the model itself (no autograd needed): the directional derivative uᵀJv
        # (one scalar, cheaper than N columns) against the same closed form
        u, v = dirs
        d, err = oracles.directional_fd(model, g, v, u)
        want_d = float(u @ np.asarray(J, dtype=np.float64) @ v)
        assertions.assert_close(d, want_d, tolerances.fd(err, scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{ctx.id}: uᵀJv closed form vs FD of the model", f"{rep}; u = {u.tolist()!r}; v = {v.tolist()!r}")
        # spectrum: c/(n+ε) on g's orthogonal complement (N−1 times), cε/(n+ε)² along g (0 for Algorithm 1);
        # for N = 1 there is no complement and J is the scalar cε/(n+ε)²
        spec = np.linalg.norm(Jr, 2)
        radial = mx * eps / (n + eps) ** 2
        want = mx / (n + eps) if g.size > 1 else radial
        target(spec, label="‖J‖₂")
        cases.close(spec, want, 1.0, f"{ctx.id}: ‖J‖₂ should be {'c/(‖g‖+ε)' if g.size > 1 else 'cε/(‖g‖+ε)²'} < 1", rep)
        cases.close(Jr @ g, radial * g, mx, f"{ctx.id}: J g should be cε/(‖g‖+ε)²·g (radial direction)", rep)

    @ctx.holds(max_examples=10, reason="a scipy.differentiate call per example (~8 ms); the identity branch has no parameters beyond g")
    @given(g=vectors(3, -20.0, 20.0), r=floats(1.05, 50.0), u=unit_vectors(3), v=unit_vectors(3), eps=st.sampled_from(cases.EPSILONS))
    @example(g=np.array([0.3, -0.4, 0.0]), r=2.0, u=np.array([1.0, 0.0, 0.0]), v=np.array([0.6, 0.8, 0.0]), eps=cases.TORCH_EPS)
    def unclipped_branch(g, r, u, v, eps):
        n = cases.norm(g)
        mx = n * r + FD_MARGIN + eps            # ‖g‖ + ε + 0.6 ≤ c: the stencil stays on the identity branch
        model = lambda w: s.clip([w], mx, eps=eps)[0][0]
        rep = f"g = np.array({g.tolist()!r}); c = {mx!r}; eps = {eps!r}; u = {u.tolist()!r}; v = {v.tolist()!r}"
        d, err = oracles.directional_fd(model, g, v, u)
        assertions.assert_close(d, float(u @ v), tolerances.fd(err), f"{ctx.id}: uᵀJv should be uᵀv (J = I) below the threshold", rep)
        # the model's Jacobian function on this branch: exactly I
        J = np.asarray(s.jac(g, mx, eps), dtype=np.float64)
        assert J.shape == (g.size, g.size) and np.array_equal(J, np.eye(g.size)), f"{ctx.id}: global_clip_jacobian should be I below the threshold, got {J!r}; {rep}"


@claim_check("CLIP-NONEXPANSIVE",
             subject={"clip_global": clip.clip_by_global_norm, "clip_per_tensor": clip.clip_by_norm_per_tensor,
                      "clip_value": clip.clip_by_value},
             plants={"min(1, ·) dropped: always rescaled to max_norm": {"clip_global": _always_rescale},
                     "sqrt dropped: factor c/‖g‖²": {"clip_global": _sqrt_dropped}})
def clipping_is_nonexpansive(ctx, s):
    """‖clip(g) − clip(h)‖ ≤ ‖g − h‖ for the three rules; for ε = 0 each is the Euclidean projection onto its set.  [CLIP-NONEXPANSIVE]"""
    @ctx.holds
    @given(case=_pairs(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=([np.array([0.3, 0.0])], [np.array([-0.3, 0.0])], 1.0), eps=0.0)
    @example(case=([np.array([3.03])], [np.array([2.97])], 3.0), eps=0.0)
    def lipschitz_one(case, eps):
        gs, hs, mx = case
        x, z = cases.flat(gs), cases.flat(hs)
        dist = cases.norm(x - z)
        for kind, f in (("global", lambda u: s.clip_global(u, mx, eps=eps)[0]),
                        ("per-tensor", lambda u: s.clip_per_tensor(u, mx, eps=eps)[0]),
                        ("value", lambda u: s.clip_value(u, mx))):
            fx, fz = cases.flat(f(gs)), cases.flat(f(hs))
            moved = cases.norm(fx - fz)
            rep = ctx.repro(kind=kind, gs=gs, hs=hs, max_norm=mx, eps=eps)
            # rounding: each clipped output carries a few ulps of its own size
            slack = cases.CLIP_RTOL * (dist + max(cases.norm(fx), cases.norm(fz)))
            target(moved / max(dist, 1e-300), label=f"Lipschitz ratio [{kind}]")
            assertions.assert_le(moved, dist + slack, tolerances.exact("the outputs' rounding is in the bound, slack = RTOL·(‖g − h‖ + max‖clip‖)"),
                              f"{ctx.id}: ‖clip(g) − clip(h)‖ vs ‖g − h‖ + slack ({kind})", reproduce=rep)
            if eps == 0.0:
                # projection: clip(g) is the point of the set nearest to g; clip(h) is another point of the set
                near, other = cases.norm(x - fx), cases.norm(x - fz)
                assert near <= other + cases.CLIP_RTOL * (cases.norm(x) + max(cases.norm(fx), cases.norm(fz))), \
                    f"{ctx.id}: ‖g − clip(g)‖ = {near!r} > ‖g − clip(h)‖ = {other!r}: clip(g) is not the nearest point: {rep}"
