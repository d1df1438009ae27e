"""Checks of the gradient-clipping claims (spec/claims/clipping.toml).

Three rules from ``vanishing.models.clipping``: norm clipping of the concatenated gradient
(Pascanu et al. 2013, Algorithm 1, ``eps = 0``; torch ``clip_grad_norm_``, ``eps = 1e-6``),
per-tensor norm clipping (Keras ``clipnorm``) and value clipping (``clip_grad_value_``,
Keras ``clipvalue``).

Norms and cosines here are computed independently of the model (max-abs rescaled, so
exploded gradients near 1e200 do not overflow), and where a claim is about the float64
output *exactly* (a cap, a strict inequality) the squared norm is summed in exact rational
arithmetic (``fractions.Fraction``), so no norm routine's rounding enters the verdict.
"""

from fractions import Fraction

import autograd.numpy as anp
import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import oracles, tolerances
from vanishing.checks.registry import claim_check, literal
from vanishing.checks.strategies import (
    dims,
    floats,
    gradient_lists,
    positive_floats,
    unit_vectors,
    vectors,
)
from vanishing.checks.toolkit import FD_REACH
from vanishing.models import clipping as clip

#: torch.nn.utils.clip_grad_norm_ adds 1e-6 to the total norm (CONVENTIONS.md; torch/nn/utils/clip_grad.py).
TORCH_EPS = 1e-6
#: Pascanu's Algorithm 1 (eps = 0) and torch's rule: every norm-clipping property runs on both.
EPSILONS = (0.0, TORCH_EPS)
#: Smallest threshold drawn (1000 times below torch's eps): below it, products g_i·c/(‖g‖+ε) can
#: underflow to subnormals or to 0, and the float64 statements would be about underflow, not clipping.
MIN_THRESHOLD = 1e-9
#: Relative rounding allowance between two analytic computations (256 ulps, from the tolerance module).
RTOL = tolerances.analytic().rtol
#: CLIP-NORM-DIRECTION asserts a strict scale-down (ŝ < 1) only where ‖g‖ + ε > c·(1 + CLEARLY_ABOVE). Derived: four
#: computed quantities each carry at most RTOL relative error (a list has N ≤ 100 entries, so a norm's or a dot
#: product's rounding is ≤ γ_N ≈ 100u ≈ 1.1e-14 < RTOL ≈ 5.7e-14): the check's norm n, the model's norm, the model's
#: factor c/(n + ε) (one addition, one division), and the estimate ŝ = ⟨y, g⟩/⟨g, g⟩ (two dot products, a division,
#: and the rounding of y_i = g_i·factor). n + ε > c(1 + K·RTOL) with n ≤ ‖g‖(1 + RTOL) makes the exact factor
#: c/(‖g‖ + ε) < (1 + RTOL)/(1 + K·RTOL), and ŝ ≤ that·(1 + RTOL)³, which is < 1 for K = 5 since (1 + RTOL)⁴ < 1 + 5·RTOL.
CLEARLY_ABOVE_TOL = tolerances.override(tolerances.analytic(), "a strict scale-down is asserted only where ‖g‖ + ε > c·(1 + 5·RTOL)",
                                        rtol=5 * RTOL, atol=0.0)
CLEARLY_ABOVE = CLEARLY_ABOVE_TOL.rtol
#: CLIP-TORCH-EPS-MARGIN asserts ‖clip(g)‖ < c exactly only where the relative margin ε/(n + ε) exceeds
#: MARGIN_ALLOWANCES·RTOL. Derived: the output's exact norm is ‖g‖·f·(1 + δ), |δ| ≤ u (one rounding per product
#: g_i·f), with the model's factor f = c/(n_m + ε) off by its own norm n_m (≤ RTOL) and by one addition and one division
#: (≤ RTOL), so ‖clip(g)‖ ≤ (c − m)(1 + RTOL)²/(1 − RTOL), m = cε/(‖g‖ + ε) the exact margin: < c once m/c > 3·RTOL to
#: first order. The check's own norm n (≤ RTOL) moves the margin it computes by one more RTOL: 4 in all.
MARGIN_ALLOWANCES = 4
MARGIN_TOL = tolerances.override(tolerances.analytic(), "‖clip(g)‖ < c is asserted only where the margin ε/(‖g‖ + ε) exceeds 4·RTOL",
                                 rtol=MARGIN_ALLOWANCES * RTOL, atol=0.0)
#: scipy.differentiate's first stencil reaches FD_REACH = 0.5 from the point (toolkit.FD_REACH);
#: a coordinate step of 0.5 moves ‖g‖ by at most 0.5, so a 0.6 margin keeps the branch switch
#: ‖g‖ + eps = c (and the singularity at g = 0) outside every stencil.
FD_MARGIN = FD_REACH + 0.1


# ---------------------------------------------------------------- helpers (model-independent)

def _flat(gs):
    """The concatenated gradient: every entry of every tensor, as one float64 vector."""
    return np.concatenate([np.ravel(np.asarray(g, dtype=np.float64)) for g in gs])


def _norm(v):
    """‖v‖₂ with max-abs rescaling: finite for entries near 1e200, where Σv² overflows."""
    m = float(np.max(np.abs(v))) if v.size else 0.0
    return 0.0 if m == 0.0 else m * float(np.linalg.norm(v / m))


def _cos(a, b):
    """cos∠(a, b), each vector rescaled by its max-abs entry first (no overflow, no underflow).

    A zero vector is parallel to nothing: 0.0 is returned, so the caller's own assertion (with the
    claim ID) fails, instead of a NaN and a warning.
    """
    if not (np.any(a != 0.0) and np.any(b != 0.0)):
        return 0.0
    a = a / np.max(np.abs(a))
    b = b / np.max(np.abs(b))
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _sq_exact(v):
    """Σ v_i² in exact rational arithmetic: the true squared norm of the float64 vector v."""
    return sum((Fraction(float(x)) ** 2 for x in v), Fraction(0))


def _close(actual, expected, scale, label, reproduce="", literal=False):
    """assert_close on scalars or arrays with the analytic tolerance (256 ulps, atol at ``scale``).

    ``literal=True`` inside a refutes property: a mismatch is the counterexample (registry.Counterexample).
    """
    oracles.assert_close(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                         tolerances.analytic(scale=scale), label, reproduce, literal=literal)


def _show(gs):
    return "[" + ", ".join(f"np.array({np.asarray(g).tolist()!r})" for g in gs) + "]"


def _same(a_list, b_list):
    """Bitwise equality of two gradient lists (shape, dtype and every bit of every entry, so -0.0 ≠ 0.0)."""
    return len(a_list) == len(b_list) and all(
        np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        and np.asarray(a).tobytes() == np.asarray(b).tobytes() for a, b in zip(a_list, b_list))


# ---------------------------------------------------------------- strategies (private: preconditions in the names)
# Built once at import: a strategy object created inside a composite is re-validated at every draw,
# which cost more than the checks themselves.

#: Gradient lists at three scales: moderate (|g| ≤ 1e3), exploded (|g| ≤ 1e200: Σg² overflows if
#: computed naively) and vanishing (|g| ≤ 1e-3); not all zero (a zero gradient has no direction).
_NONZERO_GRADS = st.one_of(gradient_lists(), gradient_lists(lo=-1e200, hi=1e200),
                           gradient_lists(lo=-1e-3, hi=1e-3)).filter(lambda gs: bool(np.any(_flat(gs) != 0.0)))
_ANY_THRESHOLD = positive_floats(MIN_THRESHOLD, 1e3)          # from below torch's eps to a large threshold
_TINY_THRESHOLD = positive_floats(MIN_THRESHOLD, TORCH_EPS)   # max_norm ≤ torch's eps: the eps dominates
_RATIO = floats(0.01, 2.0)
_FRACTION = floats(0.01, 1.0)
_KIND = {}


def _kind(kinds):
    if kinds not in _KIND:
        _KIND[kinds] = st.sampled_from(kinds)
    return _KIND[kinds]


@st.composite
def _norm_cases(draw, kinds=("absolute", "relative", "at-norm", "at-norm+eps", "tiny")):
    """(grads, max_norm) with the threshold placed where the rules differ.

    absolute: any c in [1e-9, 1e3]; relative: c = r‖g‖ with r in [0.01, 2] (both branches);
    at-norm: c = ‖g‖ as the model computes it (Algorithm 1's '≥' boundary, hit exactly);
    at-norm+eps: c = fl(‖g‖ + 1e-6) (torch's boundary, hit exactly);
    tiny: c ≤ 1e-6 = torch's eps with ‖g‖ = r c ≤ c (the regime where torch's eps dominates).
    """
    gs = draw(_NONZERO_GRADS, label="grads")
    kind = draw(_kind(kinds), label="threshold kind")
    n = clip.global_norm(gs)
    if kind == "absolute":
        c = draw(_ANY_THRESHOLD, label="max_norm")
    elif kind == "relative":
        c = n * draw(_RATIO, label="max_norm/‖g‖")
    elif kind == "at-norm":
        c = n
    elif kind == "at-norm+eps":
        c = n + TORCH_EPS
    else:
        c = draw(_TINY_THRESHOLD, label="max_norm")
        r = draw(_FRACTION, label="‖g‖/max_norm")
        gs = [g * (r * c / n) for g in gs]
        assume(np.any(_flat(gs) != 0.0))        # rescaling a vanishing list can underflow to zero
    # c ≥ 1e-9 (stated precondition): far below it, with torch's ε the factor c/(‖g‖+ε) times a tiny
    # entry underflows, and a clipped gradient can become exactly 0 (g = [6.6e-196, 0], c = ‖g‖, ε = 1e-6)
    assume(np.isfinite(c) and c >= MIN_THRESHOLD)
    return gs, float(c)


_BELOW_KINDS = _norm_cases(kinds=("at-norm", "at-norm+eps", "tiny"))
_ABOVE = floats(1.0, 100.0)
_BAND = floats(0.0, 0.999)


@st.composite
def _identity_cases(draw):
    """(grads, max_norm) with ‖g‖ ≤ max_norm, including both rules' boundaries and torch's band."""
    gs, c = draw(_BELOW_KINDS, label="case")
    kind = draw(_kind(("as drawn", "above", "band")), label="placement")
    n = clip.global_norm(gs)
    if kind == "above":
        c = n * draw(_ABOVE, label="max_norm/‖g‖")
    elif kind == "band":                           # ‖g‖ ≤ c < ‖g‖ + eps: below the threshold, inside torch's band
        c = n + draw(_BAND, label="(max_norm-‖g‖)/eps") * TORCH_EPS
    return gs, float(c)


_V_FRACTION = floats(1e-3, 1.0)


@st.composite
def _all_entries_above(draw):
    """(grads, v) with every |g_i| ≥ v: a drawn list pushed outwards, g_i + sign(g_i)·v (0 counts as +).

    Built, not filtered: the floats strategy likes 0.0 and tiny values, so a filter would reject most lists.
    """
    gs = draw(_NONZERO_GRADS, label="grads")
    v = draw(_ANY_THRESHOLD, label="clip_value")
    return [g + np.where(g < 0.0, -v, v) for g in gs], v


@st.composite
def _all_tensors_above(draw):
    """(grads, c) with every ‖g_j‖ ≥ c: each tensor lengthened by c along itself, g_j + c·g_j/‖g_j‖
    (an all-zero tensor is replaced by ones first). Built, not filtered, as above."""
    gs = draw(_NONZERO_GRADS, label="grads")
    c = draw(_ANY_THRESHOLD, label="max_norm")
    out = []
    for g in gs:
        g = g if np.any(g != 0.0) else np.ones_like(g)
        out.append(g + c * (g / _norm(_flat([g]))))     # g/‖g‖ first: c/‖g‖ alone can overflow
    return out, c


@st.composite
def _value_cases(draw):
    """(grads, clip_value): v absolute, or v = r·max|g| so that some entries are clamped and some are not."""
    gs = draw(_NONZERO_GRADS, label="grads")
    if draw(st.booleans(), label="relative clip_value"):
        v = float(np.max(np.abs(_flat(gs)))) * draw(_V_FRACTION, label="v/max|g|")
    else:
        v = draw(_ANY_THRESHOLD, label="clip_value")
    assume(v >= MIN_THRESHOLD)                  # as for norm thresholds: no subnormal v·√N
    return gs, v


_PAIR_BASE = _norm_cases(kinds=("absolute", "relative", "tiny"))
_LAMBDA = floats(0.0, 3.0)
_STEP_ENTRY = floats(-1.0, 1.0)


@st.composite
def _pairs(draw):
    """(g, h, c): two gradient lists of the same shapes (h near g, far from g, or h = λg) and a threshold."""
    gs, c = draw(_PAIR_BASE, label="g, max_norm")
    scale = float(np.max(np.abs(_flat(gs))))
    how = draw(_kind(("near", "far", "scaled")), label="h")
    if how == "scaled":                              # h = λg: same direction, the radial part of the map
        lam = draw(_LAMBDA, label="λ")
        hs = [g * lam for g in gs]
    else:
        step = scale * (1e-6 if how == "near" else 1.0)
        size = int(sum(np.size(g) for g in gs))
        delta = np.array(draw(st.lists(_STEP_ENTRY, min_size=size, max_size=size), label="δ"))
        cuts = np.cumsum([np.size(g) for g in gs])[:-1]
        hs = [g + step * d.reshape(np.shape(g)) for g, d in zip(gs, np.split(delta, cuts))]
    return gs, hs, c


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


def _negated(gs, max_norm, eps=0.0):
    """The clipped update returned with the wrong sign (gradient/update convention mixed up)."""
    out, n = clip.clip_by_global_norm(gs, max_norm, eps=eps)
    return [-g for g in out], n


def _sqrt_dropped(gs, max_norm, eps=0.0):
    """Scale factor c/‖g‖² instead of c/‖g‖ (the sqrt of the squared norm forgotten)."""
    n = clip.global_norm(gs)
    return ([g * (max_norm / (n + eps) / n) for g in gs] if n + eps > max_norm else list(gs)), n


def _per_tensor_last_unclipped(gs, max_norm, eps=0.0):
    """Per-tensor clipping whose loop skips the last tensor (off by one)."""
    out, norms = clip.clip_by_norm_per_tensor(gs, max_norm, eps=eps)
    return out[:-1] + [gs[-1]], norms


def _global_as_per_tensor(gs, max_norm, eps=0.0):
    """global_clipnorm used where Keras clipnorm (per variable) was meant."""
    out, _ = clip.clip_by_global_norm(gs, max_norm, eps=eps)
    return out, [clip.global_norm([g]) for g in gs]


def _value_as_per_tensor(gs, max_norm, eps=0.0):
    """clipvalue used where Keras clipnorm was meant."""
    return clip.clip_by_value(gs, max_norm), [clip.global_norm([g]) for g in gs]


def _clamp_upper_only(gs, v):
    """Clamp implemented as np.minimum(g, v): negative entries are never clipped."""
    return [np.minimum(g, v) for g in gs]


def _clamp_nonnegative(gs, v):
    """Clamp to [0, v] instead of [-v, v]: negative entries zeroed."""
    return [np.clip(g, 0.0, v) for g in gs]


def _clamp_swapped_bounds(gs, v):
    """np.clip(g, v, -v): bounds swapped, numpy then returns -v everywhere."""
    return [np.clip(g, v, -v) for g in gs]


def _value_by_norm(gs, v):
    """clipvalue implemented as global norm clipping to v (keeps the direction)."""
    return clip.clip_by_global_norm(gs, v)[0]


def _value_by_per_tensor(gs, v):
    """clipvalue implemented as per-tensor norm clipping to v."""
    return clip.clip_by_norm_per_tensor(gs, v)[0]


# ---------------------------------------------------------------- the claims

@claim_check("CLIP-NORM-DIRECTION",
             subject={"clip": clip.clip_by_global_norm},
             plants={"per-tensor clipping used as global": {"clip": _per_tensor_as_global},
                     "value clipping used as norm clipping": {"clip": _value_as_norm}})
def _(c, s):
    """clip(g) = s·g with s ∈ (0, 1], s < 1 iff ‖g‖ + eps > c; cos∠(clip(g), g) = 1.  [CLIP-NORM-DIRECTION]"""
    @c.holds
    @given(case=_norm_cases(), eps=st.sampled_from(EPSILONS))
    @example(case=([np.array([3.0, 4.0]), np.array([[0.1]])], 1.0), eps=0.0)
    @example(case=([np.array([1e200, -3e199]), np.array([2.0])], 1.0), eps=TORCH_EPS)
    def positive_multiple(case, eps):
        gs, mx = case
        out, _ = s.clip(gs, mx, eps=eps)
        x, y = _flat(gs), _flat(out)
        rep = c.repro(gs=gs, max_norm=mx, eps=eps)
        # the scalar s estimated from the output alone (least squares, rescaled so Σx² cannot overflow)
        m = float(np.max(np.abs(x)))
        s_hat = float((y / m) @ (x / m) / ((x / m) @ (x / m)))
        assert 0.0 < s_hat <= 1.0 + RTOL, f"{c.id}: scale factor {s_hat!r} outside (0, 1] for {rep}"
        _close(y, s_hat * x, float(np.max(np.abs(y))), f"{c.id}: clipped ≠ s·g (s = {s_hat!r})", rep)
        cos = _cos(y, x)
        target(1.0 - cos, label="1 - cos(clip(g), g)")
        _close(cos, 1.0, 1.0, f"{c.id}: cos∠(clip(g), g) should be 1", rep)
        n = _norm(x)
        oracles.record_override(CLEARLY_ABOVE_TOL)
        if n + eps > mx * (1.0 + CLEARLY_ABOVE):     # clearly above: a scale-down must happen (not at the rounding edge)
            assert s_hat < 1.0, f"{c.id}: ‖g‖ = {n!r} > max_norm = {mx!r} but s = {s_hat!r} (no scale-down) for {rep}"


@claim_check("CLIP-NORM-CAP",
             subject={"clip": clip.clip_by_global_norm},
             plants={"threshold test on ‖g‖² against max_norm": {"clip": _squared_norm_test},
                     "torch's eps subtracted instead of added": {"clip": _eps_subtracted},
                     "per-tensor clipping used as global": {"clip": _per_tensor_as_global}})
def _(c, s):
    """‖clip(g)‖ ≤ c(1 + 256ε), and = c to 256 ulps when ‖g‖ ≥ c (eps = 0); exact ≤ c fails in float64.  [CLIP-NORM-CAP]"""
    @c.holds
    @given(case=_norm_cases(), eps=st.sampled_from(EPSILONS))
    @example(case=([np.array([1.0, 6.0])], 1.0), eps=0.0)
    @example(case=([np.array([1e-3, 1e-3]), np.array([[1e-3]])], 1e-3), eps=0.0)   # ‖g‖ = √3·c: clipped, 3 tensors
    @example(case=([np.array([3.0, 4.0])], 1.0), eps=TORCH_EPS)
    def capped_to_rounding(case, eps):
        gs, mx = case
        out, n = s.clip(gs, mx, eps=eps)
        y = _flat(out)
        after = _norm(y)
        rep = c.repro(gs=gs, max_norm=mx, eps=eps)
        target(after / mx, label="‖clip(g)‖ / max_norm")
        ceiling = Fraction(mx) * (1 + Fraction(RTOL))
        assert _sq_exact(y) <= ceiling ** 2, \
            f"{c.id}: ‖clip(g)‖ ≈ {after!r} (exact, in rationals) > max_norm·(1 + 256ε) = {float(ceiling)!r} for {rep}"
        if eps == 0.0 and _norm(_flat(gs)) >= mx:
            _close(after, mx, mx, f"{c.id}: ‖clip(g)‖ should equal max_norm = {mx!r} once ‖g‖ = {n!r} ≥ max_norm", rep)

    @c.refutes
    @given(case=_norm_cases(kinds=("absolute", "relative")))
    @example(case=([np.array([1.0, 6.0])], 1.0))
    def literal_exact_cap(case):
        gs, mx = case
        out, _ = s.clip(gs, mx)
        y = _flat(out)
        literal(_sq_exact(y) <= Fraction(mx) ** 2,
                f"{c.id}: the float64 output of clip_by_global_norm({_show(gs)}, {mx!r}) has exact norm² {float(_sq_exact(y))!r} > max_norm² = ({mx!r})²")


@claim_check("CLIP-NORM-IDEMPOTENT",
             subject={"clip": clip.clip_by_global_norm},
             plants={"torch's eps subtracted instead of added": {"clip": _eps_subtracted},
                     "min(1, ·) dropped: always rescaled to max_norm": {"clip": _always_rescale}})
def _(c, s):
    """clip(clip(g)) = clip(g) to rounding for eps = 0; for eps > 0 it is κ·clip(g), κ = c(n+ε)/(cn + ε(n+ε)) < 1.  [CLIP-NORM-IDEMPOTENT]"""
    @c.holds
    @given(case=_norm_cases(), eps=st.sampled_from(EPSILONS))
    @example(case=([np.array([5.0])], 1e-3), eps=TORCH_EPS)
    @example(case=([np.array([1.0, 7.0])], 1.0), eps=0.0)
    def second_pass(case, eps):
        gs, mx = case
        out1, n = s.clip(gs, mx, eps=eps)
        out2, _ = s.clip(out1, mx, eps=eps)
        y1, y2 = _flat(out1), _flat(out2)
        rep = c.repro(gs=gs, max_norm=mx, eps=eps)
        scale = float(np.max(np.abs(y1)))
        if eps == 0.0 or n + eps <= mx:
            # Algorithm 1 (and torch below its fixed-point set ‖g‖ ≤ c − ε): a second pass changes at most an ulp
            _close(y2, y1, scale, f"{c.id}: second pass moved the clipped gradient", rep)
            if n + eps <= mx:
                assert _same(out1, gs) and _same(out2, gs), f"{c.id}: ‖g‖ + eps = {n + eps!r} ≤ c but g moved: {rep}"
        else:
            # torch: n1 = cn/(n+ε) after one pass, and n1 + ε > c again, so the second pass scales by
            # κ = c/(n1 + ε) = c(n+ε)/(cn + ε(n+ε)) < 1: never a fixed point unless ‖g‖ ≤ c − ε
            # (written as 1/(n/(n+ε) + ε/c) so that c·n cannot overflow for exploded g)
            kappa = 1.0 / (n / (n + eps) + eps / mx)
            target((eps / mx) * (1.0 - mx / (n + eps)) * kappa, label="1 - κ (second-pass shrink)")
            _close(y2, kappa * y1, scale, f"{c.id}: second pass should scale by κ = {kappa!r}", rep)

    @c.refutes
    @given(case=_norm_cases(kinds=("absolute", "relative")))
    @example(case=([np.array([1.0, 7.0])], 1.0))
    def literal_bitwise_idempotent(case):
        gs, mx = case
        out1, _ = s.clip(gs, mx)
        out2, _ = s.clip(out1, mx)
        literal(_same(out2, out1), f"{c.id}: clip(clip(g)) = {_show(out2)} ≠ clip(g) = {_show(out1)} bitwise (g = {_show(gs)}, c = {mx!r}, eps = 0)")

    @c.refutes
    @given(case=_norm_cases(kinds=("absolute", "relative")))
    @example(case=([np.array([5.0])], 1e-3))
    def literal_torch_idempotent(case):
        gs, mx = case
        out1, _ = s.clip(gs, mx, eps=TORCH_EPS)
        out2, _ = s.clip(out1, mx, eps=TORCH_EPS)
        y1 = _flat(out1)
        _close(_flat(out2), y1, float(np.max(np.abs(y1))), f"{c.id}: torch rule (eps = 1e-6) not idempotent, g = {_show(gs)}, c = {mx!r}",
               literal=True)


@claim_check("CLIP-NORM-IDENTITY-BELOW",
             subject={"clip": clip.clip_by_global_norm},
             plants={"min(1, ·) dropped: always rescaled to max_norm": {"clip": _always_rescale},
                     "eps ignored (Pascanu's rule run for torch's)": {"clip": _eps_ignored}})
def _(c, s):
    """fl(‖g‖ + ε) ≤ c ⇒ clip(g) = g bitwise; for ε = 1e-6, ‖g‖ ≤ c < ‖g‖ + ε still scales by c/(‖g‖+ε) < 1.  [CLIP-NORM-IDENTITY-BELOW]"""
    @c.holds
    @given(case=_identity_cases(), eps=st.sampled_from(EPSILONS))
    @example(case=([np.array([3.0, 4.0])], 5.0), eps=0.0)           # ‖g‖ = c exactly: Algorithm 1's '≥' fires with factor 1
    @example(case=([np.array([0.5])], 0.5), eps=TORCH_EPS)          # ‖g‖ = c: torch scales by 0.5/(0.5 + 1e-6)
    def identity_or_band(case, eps):
        gs, mx = case
        out, n = s.clip(gs, mx, eps=eps)
        rep = c.repro(gs=gs, max_norm=mx, eps=eps)
        if n + eps <= mx:
            # exactness is the claim: the factor is exactly 1.0 and g·1.0 = g bit for bit
            assert _same(out, gs), f"{c.id}: ‖g‖ + eps = {n + eps!r} ≤ c = {mx!r} but clip(g) = {_show(out)} ≠ g: {rep}"
        else:
            # torch's band (and every ‖g‖ when c ≤ eps): scaled by c/(‖g‖ + ε) although ‖g‖ ≤ c
            x = _flat(gs)
            factor = mx / (n + eps)
            target(1.0 - factor, label="1 - factor below the threshold")
            _close(_flat(out), factor * x, float(np.max(np.abs(x))),
                   f"{c.id}: in the band ‖g‖ = {n!r} ≤ c < ‖g‖ + eps the factor should be c/(‖g‖+eps) = {factor!r}", rep)

    @c.refutes
    @given(case=_identity_cases())
    @example(case=([np.array([0.5])], 0.5))
    def literal_torch_unchanged_below(case):
        gs, mx = case
        out, n = s.clip(gs, mx, eps=TORCH_EPS)
        assume(n <= mx)                 # the statement is about gradients not larger than the threshold
        x = _flat(gs)
        _close(_flat(out), x, float(np.max(np.abs(x))),
               f"{c.id}: ‖g‖ = {n!r} ≤ max_norm = {mx!r}, yet clip_grad_norm_'s rule changed g = {_show(gs)}", literal=True)


@claim_check("CLIP-SCALE-BY-DIVIDING",
             subject={"clip": clip.clip_by_global_norm},
             plants={"divides by ‖g‖ (normalises)": {"clip": _divide_by_norm},
                     "divides by the threshold": {"clip": _divide_by_threshold}})
def _(c, s):
    """‖g‖ > c ⇒ clip(g) = g / (‖g‖/c), divisor > 1; at ‖g‖ = c the divisor is exactly 1 ('>' vs '≥' immaterial).  [CLIP-SCALE-BY-DIVIDING]"""
    @c.holds
    @given(case=_norm_cases(kinds=("absolute", "relative", "at-norm")))
    @example(case=([np.array([6.0, 8.0])], 2.0))
    @example(case=([np.array([3.0, 4.0])], 5.0))
    def divide_by_norm_over_threshold(case):
        gs, mx = case
        out, n = s.clip(gs, mx)
        x, y = _flat(gs), _flat(out)
        rep = c.repro(gs=gs, max_norm=mx)
        if n == mx:
            # exactness is the claim: Algorithm 1 clips at ‖g‖ = c ('≥'), seed 002 does not ('>'); the factor c/‖g‖ is exactly 1.0
            assert _same(out, gs), f"{c.id}: at ‖g‖ = c = {mx!r} the output should be g bit for bit: {rep}"
        elif n > mx:
            divisor = _norm(x) / mx
            target(divisor, label="divisor ‖g‖/c")
            assert divisor > 1.0, f"{c.id}: divisor ‖g‖/c = {divisor!r} ≤ 1 although ‖g‖ = {n!r} > c: {rep}"
            _close(y, x / divisor, float(np.max(np.abs(y))), f"{c.id}: clip(g) should be g/(‖g‖/c), divisor {divisor!r}", rep)
        else:
            assert _same(out, gs), f"{c.id}: ‖g‖ = {n!r} < c but g changed: {rep}"


@claim_check("CLIP-TORCH-EPS-MARGIN",
             subject={"clip": clip.clip_by_global_norm},
             plants={"returns the norm after clipping": {"clip": _returns_norm_after},
                     "eps ignored (Pascanu's rule run for torch's)": {"clip": _eps_ignored}})
def _(c, s):
    """ε = 1e-6: ‖clip(g)‖ = c‖g‖/(‖g‖+ε) = c − cε/(‖g‖+ε), returned value ‖g‖; strict < c in float64 only when the margin beats rounding.  [CLIP-TORCH-EPS-MARGIN]"""
    @c.holds
    @given(case=_norm_cases())
    @example(case=([np.array([3.0, 4.0])], 1.0))
    @example(case=([np.array([1e12])], 1.0))
    def margin(case):
        gs, mx = case
        out, returned = s.clip(gs, mx, eps=TORCH_EPS)
        x, y = _flat(gs), _flat(out)
        n = _norm(x)
        rep = c.repro(gs=gs, max_norm=mx, eps=TORCH_EPS)
        _close(returned, n, n, f"{c.id}: the returned value should be the norm BEFORE clipping, {n!r}", rep)
        if n + TORCH_EPS > mx:
            exact_after = mx * (n / (n + TORCH_EPS))        # n/(n+ε) first: c·n overflows for exploded g
            margin_ = mx * TORCH_EPS / (n + TORCH_EPS)      # c − c·n/(n+ε)
            target(-margin_ / mx, label="-(relative margin below max_norm)")
            _close(_norm(y), exact_after, mx, f"{c.id}: ‖clip(g)‖ should be c‖g‖/(‖g‖+ε) = {exact_after!r}", rep)
            oracles.record_override(MARGIN_TOL)
            if margin_ > MARGIN_TOL.rtol * mx:
                # the margin is larger than the rounding of the output (derived at MARGIN_ALLOWANCES): strictly below max_norm, exactly
                assert _sq_exact(y) < Fraction(mx) ** 2, \
                    f"{c.id}: margin cε/(‖g‖+ε) = {margin_!r} exceeds rounding, yet ‖clip(g)‖ ≥ c = {mx!r}: {rep}"

    @c.refutes
    @given(case=_norm_cases(kinds=("absolute", "relative")))
    @example(case=([np.array([1e12])], 1.0))
    def literal_strictly_below(case):
        gs, mx = case
        out, n = s.clip(gs, mx, eps=TORCH_EPS)
        assume(n + TORCH_EPS > mx)      # the statement is about gradients that were clipped
        y = _flat(out)
        literal(_sq_exact(y) < Fraction(mx) ** 2,
                f"{c.id}: ‖g‖ = {n!r}: the float64 clipped norm {_norm(y)!r} is not strictly below max_norm = {mx!r}")


@claim_check("CLIP-VALUE-DIRECTION",
             subject={"clip_value": clip.clip_by_value},
             plants={"clipvalue implemented as global norm clipping": {"clip_value": _value_by_norm},
                     "clamp to [0, v] (negative entries zeroed)": {"clip_value": _clamp_nonnegative}})
def _(c, s):
    """cos∠(clamp(g, ±v), g) > 1/√N (sharp), entries keep their sign; '= 1' (direction kept) is false.  [CLIP-VALUE-DIRECTION]"""
    @c.holds
    @given(case=_value_cases())
    @example(case=([np.array([1e3, 1.0, 1.0, 1.0])], 1.0))      # cos ≈ 1/√4 + 0.0015: near the bound
    def angle_bound(case):
        gs, v = case
        out = s.clip_value(gs, v)
        x, y = _flat(gs), _flat(out)
        N = x.size
        rep = c.repro(gs=gs, v=v)
        # exactness is the claim: the clamp never flips or zeroes an entry, and leaves |g_i| ≤ v untouched
        assert np.all(np.sign(y) == np.sign(x)), f"{c.id}: an entry changed sign, clip(g) = {_show(out)}: {rep}"
        assert np.array_equal(y[np.abs(x) <= v], x[np.abs(x) <= v]), f"{c.id}: an entry with |g_i| ≤ v changed: {rep}"
        cos = _cos(y, x)
        bound = 1.0 / np.sqrt(N)
        target((1.0 - cos) / (1.0 - bound) if N > 1 else 0.0, label="angle used / worst possible")
        assert cos > bound - RTOL, f"{c.id}: cos = {cos!r} ≤ 1/√N = {bound!r} (N = {N}) for {rep}"

    @c.refutes
    @given(case=_value_cases())
    @example(case=([np.array([1.0, 2.0])], 1.0))      # Hypothesis's shrunk counterexample: cos = 3/√10 ≈ 0.949
    def literal_keeps_direction(case):
        gs, v = case
        y, x = _flat(s.clip_value(gs, v)), _flat(gs)
        _close(_cos(y, x), 1.0, 1.0, f"{c.id}: value clipping turned g = {_show(gs)} (v = {v!r}); cos∠ should be 1",
               literal=True)


@claim_check("CLIP-VALUE-NORM-BOUND",
             subject={"clip_value": clip.clip_by_value},
             plants={"clamp from above only (np.minimum)": {"clip_value": _clamp_upper_only},
                     "clipvalue implemented as per-tensor norm clipping": {"clip_value": _value_by_per_tensor}})
def _(c, s):
    """‖clamp(g, ±v)‖_∞ ≤ v exactly, ‖clamp(g, ±v)‖₂ ≤ v√N with equality iff every |g_i| ≥ v.  [CLIP-VALUE-NORM-BOUND]"""
    @c.holds
    @given(case=_value_cases())
    @example(case=([np.array([-5.0, 2.0]), np.array([[0.5]])], 1.0))
    def entrywise_not_norm(case):
        gs, v = case
        x, y = _flat(gs), _flat(s.clip_value(gs, v))
        rep = c.repro(gs=gs, v=v)
        # exactness is the claim: clamping rounds nothing
        assert np.max(np.abs(y)) <= v, f"{c.id}: max|clip(g)_i| = {np.max(np.abs(y))!r} > v = {v!r}: {rep}"
        assert np.all(np.abs(y) <= np.abs(x)), f"{c.id}: an entry grew in magnitude: {rep}"
        # ‖clip(g)‖₂ ≤ √N·max|clip(g)_i| ≤ v√N follows from the ∞-norm bound: not asserted again; target() still
        # drives the draws toward the equality case, which bound_attained checks
        target(_norm(y) / (v * np.sqrt(x.size)), label="‖clip(g)‖ / (v√N)")

    @c.holds
    @given(case=_all_entries_above())
    @example(case=([np.array([-5.0, 2.0]), np.array([[1.5]])], 1.5))
    def bound_attained(case):
        gs, v = case                              # every |g_i| ≥ v: every entry is clamped to ±v
        x = _flat(gs)
        y = _flat(s.clip_value(gs, v))
        want = v * np.sqrt(x.size)
        _close(_norm(y), want, want, f"{c.id}: with every |g_i| ≥ v the norm should be v√N = {want!r} (N = {x.size})",
               c.repro(gs=gs, v=v))


@claim_check("CLIP-PER-TENSOR-NORM-BOUND",
             subject={"clip_per_tensor": clip.clip_by_norm_per_tensor},
             plants={"global clipping used as Keras clipnorm": {"clip_per_tensor": _global_as_per_tensor},
                     "last tensor left unclipped": {"clip_per_tensor": _per_tensor_last_unclipped}})
def _(c, s):
    """Per-tensor: ‖clip(g)_j‖ ≤ c for each j, ‖clip(g)‖ ≤ √m·c, equality iff every ‖g_j‖ ≥ c.  [CLIP-PER-TENSOR-NORM-BOUND]"""
    @c.holds
    @given(case=_norm_cases(), eps=st.sampled_from(EPSILONS))
    @example(case=([np.array([3.0, 4.0]), np.array([[0.1]]), np.array([12.0])], 1.0), eps=0.0)
    def each_capped(case, eps):
        gs, mx = case
        out, norms = s.clip_per_tensor(gs, mx, eps=eps)
        rep = c.repro(gs=gs, max_norm=mx, eps=eps)
        _close(norms, [_norm(_flat([g])) for g in gs], max(norms), f"{c.id}: returned norms should be the per-tensor norms before", rep)
        for j, o in enumerate(out):
            nj = _norm(_flat([o]))
            assert nj <= mx * (1.0 + RTOL), f"{c.id}: tensor {j} has norm {nj!r} > c = {mx!r}: {rep}"
        # ‖clip(g)‖² = Σ_j ‖clip(g)_j‖² ≤ m·c² follows from the per-tensor bounds: not asserted again; target() still
        # drives the draws toward the equality case, which bound_attained checks
        target(_norm(_flat(out)) / (np.sqrt(len(gs)) * mx), label="‖clip(g)‖ / (√m c)")

    @c.holds
    @given(case=_all_tensors_above())
    @example(case=([np.array([3.0, 4.0]), np.array([[12.0]]), np.array([2.0])], 2.0))
    def bound_attained(case):
        gs, mx = case                                   # every ‖g_j‖ ≥ c: every tensor is clipped to norm c
        out, _ = s.clip_per_tensor(gs, mx)
        want = np.sqrt(len(gs)) * mx
        _close(_norm(_flat(out)), want, want,
               f"{c.id}: with every ‖g_j‖ ≥ c the combined norm should be √m·c = {want!r} (m = {len(gs)})",
               c.repro(gs=gs, max_norm=mx))


@claim_check("CLIP-PER-TENSOR-DIRECTION",
             subject={"clip_per_tensor": clip.clip_by_norm_per_tensor, "clip_global": clip.clip_by_global_norm},
             plants={"global clipping used as Keras clipnorm": {"clip_per_tensor": _global_as_per_tensor},
                     "value clipping used as Keras clipnorm": {"clip_per_tensor": _value_as_per_tensor}})
def _(c, s):
    """cos∠(clipnorm(g), g) = ⟨a, min(a, c)⟩/(‖a‖‖min(a, c)‖) ≥ 1/√m, a_j = ‖g_j‖; global clipping keeps cos = 1.  [CLIP-PER-TENSOR-DIRECTION]"""
    @c.holds
    @given(case=_norm_cases(), eps=st.sampled_from(EPSILONS))
    @example(case=([np.array([3.0, 4.0]), np.array([[0.1]])], 1.0), eps=0.0)
    def exact_angle(case, eps):
        gs, mx = case
        out, _ = s.clip_per_tensor(gs, mx, eps=eps)
        rep = c.repro(gs=gs, max_norm=mx, eps=eps)
        for j, (g, o) in enumerate(zip(gs, out)):
            if np.any(g != 0.0) and np.any(o != 0.0):
                _close(_cos(_flat([o]), _flat([g])), 1.0, 1.0, f"{c.id}: tensor {j} should keep its own direction", rep)
        # per-tensor clipping acts on the vector a of tensor norms as value clipping does on entries
        a = np.array([_norm(_flat([g])) for g in gs])
        b = np.array([aj * (mx / (aj + eps)) if aj + eps > mx else aj for aj in a])   # the model's min(1, c/(a_j+ε))
        if np.any(b > 0):
            am, bm = a / np.max(a), b / np.max(b)
            want = float(am @ bm / (np.linalg.norm(am) * np.linalg.norm(bm)))
            cos = _cos(_flat(out), _flat(gs))
            bound = 1.0 / np.sqrt(len(gs))
            target((1.0 - cos) / (1.0 - bound) if len(gs) > 1 else 0.0, label="angle used / worst possible")
            _close(cos, want, 1.0, f"{c.id}: global cosine should be ⟨a, b⟩/(‖a‖‖b‖) of the tensor norms", rep)
            assert cos > bound - RTOL, f"{c.id}: cos = {cos!r} ≤ 1/√m = {bound!r}: {rep}"
        glob, _ = s.clip_global(gs, mx, eps=eps)
        _close(_cos(_flat(glob), _flat(gs)), 1.0, 1.0, f"{c.id}: global clipping should keep cos = 1", rep)

    @c.refutes
    @given(case=_norm_cases())
    @example(case=([np.array([1.0]), np.array([2.0])], 1.0))   # Hypothesis's shrunk counterexample: cos = 3/√10 ≈ 0.949
    def literal_keeps_global_direction(case):
        gs, mx = case
        out, _ = s.clip_per_tensor(gs, mx)
        _close(_cos(_flat(out), _flat(gs)), 1.0, 1.0,
               f"{c.id}: per-tensor clipping turned g = {_show(gs)} (c = {mx!r}); cos∠ should be 1", literal=True)


@claim_check("CLIP-DESCENT-DIRECTION",
             subject={"clip_global": clip.clip_by_global_norm, "clip_per_tensor": clip.clip_by_norm_per_tensor,
                      "clip_value": clip.clip_by_value},
             plants={"clipped gradient negated": {"clip_global": _negated},
                     "clamp bounds swapped: np.clip(g, v, -v)": {"clip_value": _clamp_swapped_bounds}})
def _(c, s):
    """0 ≤ d_i/g_i ≤ 1 entrywise, so ⟨d, g⟩ ≥ ‖d‖² > 0 for d = clip(g), g ≠ 0, for all three rules.  [CLIP-DESCENT-DIRECTION]"""
    @c.holds
    @given(case=_norm_cases(), eps=st.sampled_from(EPSILONS))
    @example(case=([np.array([1e3, -1e-3]), np.array([[2.0]])], 1e-3), eps=TORCH_EPS)
    def descent(case, eps):
        gs, mx = case
        x = _flat(gs)
        kinds = {"global": s.clip_global(gs, mx, eps=eps)[0], "per-tensor": s.clip_per_tensor(gs, mx, eps=eps)[0],
                 "value": s.clip_value(gs, mx)}
        m = float(np.max(np.abs(x)))
        for kind, out in kinds.items():
            d = _flat(out)
            rep = c.repro(kind=kind, gs=gs, max_norm=mx, eps=eps)
            # exactness is the claim: each rule multiplies g_i by some t_i ∈ [0, 1] and rounding is monotone,
            # so |d_i| ≤ |g_i| and d_i has g_i's sign (or is 0) bit for bit
            assert np.all(np.abs(d) <= np.abs(x)), f"{c.id}: |d_i| > |g_i| somewhere in {rep}"
            assert np.all(d * np.sign(x) >= 0.0), f"{c.id}: d_i opposes g_i somewhere in {rep}"
            # ⟨d, g⟩ = Σ|d_i||g_i| ≥ Σ|d_i|² = ‖d‖² follows from the two entrywise facts: not asserted again. What they
            # leave open is d = 0 (every entry clipped or underflowed to 0), so ⟨d, g⟩ > 0 is asserted.
            inner = float((d / m) @ (x / m))            # rescaled by max|g|: no overflow, and the largest entry cannot underflow
            target(-inner / max(_norm(d / m) * _norm(x / m), 1e-300), label=f"-cos(d, g) [{kind}]")
            assert inner > 0.0, f"{c.id}: ⟨clip(g), g⟩ = {inner!r}·max|g|² is not > 0: {rep}"


def _jac_closed_form(g, c, eps):
    """∂clip/∂g on the clipped branch ‖g‖ + ε > c (hand-derived; models/clipping.py has no derivative).

    f(g) = c g/(n + ε), n = ‖g‖, ∂n/∂g = gᵀ/n  ⇒  J = c/(n+ε) · (I − g gᵀ/(n(n+ε))).
    For ε = 0: (c/‖g‖)(I − ĝĝᵀ), the tangent-plane projection of the sphere, scaled.
    """
    g = np.asarray(g, dtype=np.float64)
    n = float(np.linalg.norm(g))
    return c / (n + eps) * (np.eye(g.size) - np.outer(g, g) / (n * (n + eps)))


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
    return g, _norm(g) * draw(_JAC_RATIO, label="c/‖g‖"), (u, v)


def _clip_smooth(c, eps):
    """The clipped branch of clip_by_global_norm in autograd.numpy (the model's float() norm is not differentiable)."""
    return lambda v: c * v / (anp.sqrt(anp.sum(v ** 2)) + eps)


@claim_check("CLIP-NORM-JACOBIAN",
             subject={"clip": clip.clip_by_global_norm, "jac": _jac_closed_form},
             plants={"projection term dropped: (c/‖g‖)·I": {"jac": lambda g, c, eps: c / (np.linalg.norm(g) + eps) * np.eye(np.size(g))},
                     "ĝĝᵀ added instead of subtracted": {"jac": lambda g, c, eps: 2 * c / (np.linalg.norm(g) + eps) * np.eye(np.size(g)) - _jac_closed_form(g, c, eps)}})
def _(c, s):
    """‖g‖ + ε > c ⇒ ∂clip(g)/∂g = c/(‖g‖+ε)·(I − ggᵀ/(‖g‖(‖g‖+ε))) (ε = 0: (c/‖g‖)(I − ĝĝᵀ)); below, = I.  [CLIP-NORM-JACOBIAN]"""
    @c.holds(max_examples=15, reason="each example runs autograd twice and scipy.differentiate N + 1 times (~8 ms each)")
    @given(case=_jacobian_cases(), eps=st.sampled_from(EPSILONS))
    @example(case=(np.array([3.0, 4.0]), 1.0, (np.array([1.0, 0.0]), np.array([0.0, 1.0]))), eps=0.0)
    def clipped_branch(case, eps):
        g, mx, dirs = case
        n = _norm(g)
        assume(n + eps - mx > FD_MARGIN)        # keep the branch switch and g = 0 outside the FD stencil
        rep = c.repro(g=g, max_norm=mx, eps=eps)
        model = lambda v: s.clip([v], mx, eps=eps)[0][0]
        smooth = _clip_smooth(mx, eps)
        # the autograd function is the model's formula on this branch (values agree to rounding)
        _close(model(g), smooth(g), mx, f"{c.id}: model value vs c·g/(‖g‖+ε)", rep)
        J = s.jac(g, mx, eps)
        Jr = oracles.check_jacobian(smooth, g, closed_form=J, label=f"{c.id}: clipped branch", reproduce=rep)
        # finite differences on the model itself (no autograd needed): the directional derivative uᵀJv
        # (one scalar, cheaper than N columns) against the same closed form
        u, v = dirs
        d, err = oracles.directional_fd(model, g, v, u)
        want_d = float(u @ np.asarray(J, dtype=np.float64) @ v)
        oracles.assert_close(d, want_d, tolerances.fd(err, scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{c.id}: uᵀJv closed form vs FD of the model", f"{rep}; u = {u.tolist()!r}; v = {v.tolist()!r}")
        # spectrum: c/(n+ε) on g's orthogonal complement (N−1 times), cε/(n+ε)² along g (0 for Algorithm 1);
        # for N = 1 there is no complement and J is the scalar cε/(n+ε)²
        spec = np.linalg.norm(Jr, 2)
        radial = mx * eps / (n + eps) ** 2
        want = mx / (n + eps) if g.size > 1 else radial
        target(spec, label="‖J‖₂")
        _close(spec, want, 1.0, f"{c.id}: ‖J‖₂ should be {'c/(‖g‖+ε)' if g.size > 1 else 'cε/(‖g‖+ε)²'} < 1", rep)
        _close(Jr @ g, radial * g, mx, f"{c.id}: J g should be cε/(‖g‖+ε)²·g (radial direction)", rep)

    @c.holds(max_examples=10, reason="a scipy.differentiate call per example (~8 ms); the identity branch has no parameters beyond g")
    @given(g=vectors(3, -20.0, 20.0), r=floats(1.05, 50.0), u=unit_vectors(3), v=unit_vectors(3), eps=st.sampled_from(EPSILONS))
    @example(g=np.array([0.3, -0.4, 0.0]), r=2.0, u=np.array([1.0, 0.0, 0.0]), v=np.array([0.6, 0.8, 0.0]), eps=TORCH_EPS)
    def unclipped_branch(g, r, u, v, eps):
        n = _norm(g)
        mx = n * r + FD_MARGIN + eps            # ‖g‖ + ε + 0.6 ≤ c: the stencil stays on the identity branch
        model = lambda w: s.clip([w], mx, eps=eps)[0][0]
        d, err = oracles.directional_fd(model, g, v, u)
        oracles.assert_close(d, float(u @ v), tolerances.fd(err), f"{c.id}: uᵀJv should be uᵀv (J = I) below the threshold",
                             f"g = np.array({g.tolist()!r}); c = {mx!r}; eps = {eps!r}; u = {u.tolist()!r}; v = {v.tolist()!r}")


@claim_check("CLIP-NONEXPANSIVE",
             subject={"clip_global": clip.clip_by_global_norm, "clip_per_tensor": clip.clip_by_norm_per_tensor,
                      "clip_value": clip.clip_by_value},
             plants={"min(1, ·) dropped: always rescaled to max_norm": {"clip_global": _always_rescale},
                     "sqrt dropped: factor c/‖g‖²": {"clip_global": _sqrt_dropped}})
def _(c, s):
    """‖clip(g) − clip(h)‖ ≤ ‖g − h‖ for the three rules; for ε = 0 each is the Euclidean projection onto its set.  [CLIP-NONEXPANSIVE]"""
    @c.holds
    @given(case=_pairs(), eps=st.sampled_from(EPSILONS))
    @example(case=([np.array([0.3, 0.0])], [np.array([-0.3, 0.0])], 1.0), eps=0.0)
    @example(case=([np.array([3.03])], [np.array([2.97])], 3.0), eps=0.0)
    def lipschitz_one(case, eps):
        gs, hs, mx = case
        x, z = _flat(gs), _flat(hs)
        dist = _norm(x - z)
        for kind, f in (("global", lambda u: s.clip_global(u, mx, eps=eps)[0]),
                        ("per-tensor", lambda u: s.clip_per_tensor(u, mx, eps=eps)[0]),
                        ("value", lambda u: s.clip_value(u, mx))):
            fx, fz = _flat(f(gs)), _flat(f(hs))
            moved = _norm(fx - fz)
            rep = c.repro(kind=kind, gs=gs, hs=hs, max_norm=mx, eps=eps)
            # rounding: each clipped output carries a few ulps of its own size
            slack = RTOL * (dist + max(_norm(fx), _norm(fz)))
            target(moved / max(dist, 1e-300), label=f"Lipschitz ratio [{kind}]")
            assert moved <= dist + slack, f"{c.id}: ‖clip(g) − clip(h)‖ = {moved!r} > ‖g − h‖ = {dist!r}: {rep}"
            if eps == 0.0:
                # projection: clip(g) is the point of the set nearest to g; clip(h) is another point of the set
                near, other = _norm(x - fx), _norm(x - fz)
                assert near <= other + RTOL * (_norm(x) + max(_norm(fx), _norm(fz))), \
                    f"{c.id}: ‖g − clip(g)‖ = {near!r} > ‖g − clip(h)‖ = {other!r}: clip(g) is not the nearest point: {rep}"
