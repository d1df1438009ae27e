"""Checks of the value- and per-tensor-clipping claims (spec/claims/clipping_value.toml): the direction and norm
of clip_by_value, per-tensor norm clipping, and clipping as a descent direction (models/clipping.py).
"""

import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, tolerances
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    floats,
)
from vanishing.models import clipping as clip


_V_FRACTION = floats(1e-3, 1.0)


@st.composite
def _all_entries_above(draw):
    """(grads, v) with every |g_i| ≥ v: a drawn list pushed outwards, g_i + sign(g_i)·v (0 counts as +).

    Built, not filtered: the floats strategy likes 0.0 and tiny values, so a filter would reject most lists.
    """
    gs = draw(cases.NONZERO_GRADS, label="grads")
    v = draw(cases.ANY_THRESHOLD, label="clip_value")
    return [g + np.where(g < 0.0, -v, v) for g in gs], v


@st.composite
def _all_tensors_above(draw):
    """(grads, c) with every ‖g_j‖ ≥ c: each tensor lengthened by c along itself, g_j + c·g_j/‖g_j‖
    (an all-zero tensor is replaced by ones first). Built, not filtered, as above."""
    gs = draw(cases.NONZERO_GRADS, label="grads")
    c = draw(cases.ANY_THRESHOLD, label="max_norm")
    out = []
    for g in gs:
        g = g if np.any(g != 0.0) else np.ones_like(g)
        out.append(g + c * (g / cases.norm(cases.flat([g]))))     # g/‖g‖ first: c/‖g‖ alone can overflow
    return out, c


@st.composite
def _value_cases(draw):
    """(grads, clip_value): v absolute, or v = r·max|g| so that some entries are clamped and some are not."""
    gs = draw(cases.NONZERO_GRADS, label="grads")
    if draw(st.booleans(), label="relative clip_value"):
        v = float(np.max(np.abs(cases.flat(gs)))) * draw(_V_FRACTION, label="v/max|g|")
    else:
        v = draw(cases.ANY_THRESHOLD, label="clip_value")
    assume(v >= cases.MIN_THRESHOLD)                  # as for norm thresholds: no subnormal v·√N
    return gs, v


def _negated(gs, max_norm, eps=0.0):
    """The clipped update returned with the wrong sign (gradient/update convention mixed up)."""
    out, n = clip.clip_by_global_norm(gs, max_norm, eps=eps)
    return [-g for g in out], n


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


@claim_check("CLIP-VALUE-DIRECTION",
             subject={"clip_value": clip.clip_by_value},
             plants={"clipvalue implemented as global norm clipping": {"clip_value": _value_by_norm},
                     "clamp to [0, v] (negative entries zeroed)": {"clip_value": _clamp_nonnegative}})
def value_clipping_bends_the_direction_boundedly(ctx, s):
    """cos∠(clamp(g, ±v), g) > 1/√N (sharp), entries keep their sign; '= 1' (direction kept) is false.  [CLIP-VALUE-DIRECTION]"""
    @ctx.holds
    @given(case=_value_cases())
    @example(case=([np.array([1e3, 1.0, 1.0, 1.0])], 1.0))      # cos ≈ 1/√4 + 0.0015: near the bound
    def angle_bound(case):
        gs, v = case
        out = s.clip_value(gs, v)
        x, y = cases.flat(gs), cases.flat(out)
        N = x.size
        rep = ctx.repro(gs=gs, v=v)
        # exactness is the claim: the clamp never flips or zeroes an entry, and leaves |g_i| ≤ v untouched
        assert np.all(np.sign(y) == np.sign(x)), f"{ctx.id}: an entry changed sign, clip(g) = {cases.show_grads(out)}: {rep}"
        assert np.array_equal(y[np.abs(x) <= v], x[np.abs(x) <= v]), f"{ctx.id}: an entry with |g_i| ≤ v changed: {rep}"
        cos = cases.cos(y, x)
        bound = 1.0 / np.sqrt(N)
        target((1.0 - cos) / (1.0 - bound) if N > 1 else 0.0, label="angle used / worst possible")
        assert cos > bound - cases.CLIP_RTOL, f"{ctx.id}: cos = {cos!r} ≤ 1/√N = {bound!r} (N = {N}) for {rep}"

    @ctx.refutes
    @given(case=_value_cases())
    @example(case=([np.array([1.0, 2.0])], 1.0))   # shrunk counterexample
    def literal_keeps_direction(case):
        gs, v = case
        y, x = cases.flat(s.clip_value(gs, v)), cases.flat(gs)
        cases.close(cases.cos(y, x), 1.0, 1.0, f"{ctx.id}: value clipping turned g = {cases.show_grads(gs)} (v = {v!r}); cos∠ should be 1",
               literal=True)


@claim_check("CLIP-VALUE-NORM-BOUND",
             subject={"clip_value": clip.clip_by_value},
             plants={"clamp from above only (np.minimum)": {"clip_value": _clamp_upper_only},
                     "clipvalue implemented as per-tensor norm clipping": {"clip_value": _value_by_per_tensor}})
def value_clipping_bounds_the_max_and_euclidean_norms(ctx, s):
    """‖clamp(g, ±v)‖_∞ ≤ v exactly, ‖clamp(g, ±v)‖₂ ≤ v√N with equality iff every |g_i| ≥ v.  [CLIP-VALUE-NORM-BOUND]"""
    @ctx.holds
    @given(case=_value_cases())
    @example(case=([np.array([-5.0, 2.0]), np.array([[0.5]])], 1.0))
    def entrywise_not_norm(case):
        gs, v = case
        x, y = cases.flat(gs), cases.flat(s.clip_value(gs, v))
        rep = ctx.repro(gs=gs, v=v)
        # exactness is the claim: clamping rounds nothing
        assertions.assert_le(np.max(np.abs(y)), v, tolerances.exact("a clamp rounds nothing"), f"{ctx.id}: max|clip(g)_i| vs v", reproduce=rep)
        assert np.all(np.abs(y) <= np.abs(x)), f"{ctx.id}: an entry grew in magnitude: {rep}"
        # ‖clip(g)‖₂ ≤ √N·max|clip(g)_i| ≤ v√N follows from the ∞-norm bound: not asserted again; target() still
        # drives the draws toward the equality case, which bound_attained checks
        target(cases.norm(y) / (v * np.sqrt(x.size)), label="‖clip(g)‖ / (v√N)")

    @ctx.holds
    @given(case=_all_entries_above())
    @example(case=([np.array([-5.0, 2.0]), np.array([[1.5]])], 1.5))
    def bound_attained(case):
        gs, v = case                              # every |g_i| ≥ v: every entry is clamped to ±v
        x = cases.flat(gs)
        y = cases.flat(s.clip_value(gs, v))
        want = v * np.sqrt(x.size)
        cases.close(cases.norm(y), want, want, f"{ctx.id}: with every |g_i| ≥ v the norm should be v√N = {want!r} (N = {x.size})",
               ctx.repro(gs=gs, v=v))


@claim_check("CLIP-PER-TENSOR-NORM-BOUND",
             subject={"clip_per_tensor": clip.clip_by_norm_per_tensor},
             plants={"global clipping used as Keras clipnorm": {"clip_per_tensor": _global_as_per_tensor},
                     "last tensor left unclipped": {"clip_per_tensor": _per_tensor_last_unclipped}})
def per_tensor_clipping_bounds_each_and_the_total_norm(ctx, s):
    """Per-tensor: ‖clip(g)_j‖ ≤ c for each j, ‖clip(g)‖ ≤ √m·c, equality iff every ‖g_j‖ ≥ c.  [CLIP-PER-TENSOR-NORM-BOUND]"""
    @ctx.holds
    @given(case=cases.norm_cases(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=([np.array([3.0, 4.0]), np.array([[0.1]]), np.array([12.0])], 1.0), eps=0.0)
    def each_capped(case, eps):
        gs, mx = case
        out, norms = s.clip_per_tensor(gs, mx, eps=eps)
        rep = ctx.repro(gs=gs, max_norm=mx, eps=eps)
        cases.close(norms, [cases.norm(cases.flat([g])) for g in gs], max(norms), f"{ctx.id}: returned norms should be the per-tensor norms before", rep)
        for j, o in enumerate(out):
            nj = cases.norm(cases.flat([o]))
            assertions.assert_le(nj, mx, tolerances.analytic(scale=0.0), f"{ctx.id}: tensor {j}'s norm vs c", reproduce=rep)
        # ‖clip(g)‖² = Σ_j ‖clip(g)_j‖² ≤ m·c² follows from the per-tensor bounds: not asserted again; target() still
        # drives the draws toward the equality case, which bound_attained checks
        target(cases.norm(cases.flat(out)) / (np.sqrt(len(gs)) * mx), label="‖clip(g)‖ / (√m c)")

    @ctx.holds
    @given(case=_all_tensors_above())
    @example(case=([np.array([3.0, 4.0]), np.array([[12.0]]), np.array([2.0])], 2.0))
    def bound_attained(case):
        gs, mx = case                                   # every ‖g_j‖ ≥ c: every tensor is clipped to norm c
        out, _ = s.clip_per_tensor(gs, mx)
        want = np.sqrt(len(gs)) * mx
        cases.close(cases.norm(cases.flat(out)), want, want,
               f"{ctx.id}: with every ‖g_j‖ ≥ c the combined norm should be √m·c = {want!r} (m = {len(gs)})",
               ctx.repro(gs=gs, max_norm=mx))


@claim_check("CLIP-PER-TENSOR-DIRECTION",
             subject={"clip_per_tensor": clip.clip_by_norm_per_tensor, "clip_global": clip.clip_by_global_norm},
             plants={"global clipping used as Keras clipnorm": {"clip_per_tensor": _global_as_per_tensor},
                     "value clipping used as Keras clipnorm": {"clip_per_tensor": _value_as_per_tensor}})
def per_tensor_clipping_cosine_at_least_one_over_sqrt_m(ctx, s):
    """cos∠(clipnorm(g), g) = ⟨a, min(a, c)⟩/(‖a‖‖min(a, c)‖) ≥ 1/√m, a_j = ‖g_j‖; global clipping keeps cos = 1.  [CLIP-PER-TENSOR-DIRECTION]"""
    @ctx.holds
    @given(case=cases.norm_cases(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=([np.array([3.0, 4.0]), np.array([[0.1]])], 1.0), eps=0.0)
    def exact_angle(case, eps):
        gs, mx = case
        out, _ = s.clip_per_tensor(gs, mx, eps=eps)
        rep = ctx.repro(gs=gs, max_norm=mx, eps=eps)
        for j, (g, o) in enumerate(zip(gs, out)):
            if np.any(g != 0.0) and np.any(o != 0.0):
                cases.close(cases.cos(cases.flat([o]), cases.flat([g])), 1.0, 1.0, f"{ctx.id}: tensor {j} should keep its own direction", rep)
        # per-tensor clipping acts on the vector a of tensor norms as value clipping does on entries
        a = np.array([cases.norm(cases.flat([g])) for g in gs])
        b = np.array([aj * (mx / (aj + eps)) if aj + eps > mx else aj for aj in a])   # the model's min(1, c/(a_j+ε))
        if np.any(b > 0):
            am, bm = a / np.max(a), b / np.max(b)
            want = float(am @ bm / (np.linalg.norm(am) * np.linalg.norm(bm)))
            cos = cases.cos(cases.flat(out), cases.flat(gs))
            bound = 1.0 / np.sqrt(len(gs))
            target((1.0 - cos) / (1.0 - bound) if len(gs) > 1 else 0.0, label="angle used / worst possible")
            cases.close(cos, want, 1.0, f"{ctx.id}: global cosine should be ⟨a, b⟩/(‖a‖‖b‖) of the tensor norms", rep)
            assert cos > bound - cases.CLIP_RTOL, f"{ctx.id}: cos = {cos!r} ≤ 1/√m = {bound!r}: {rep}"
        glob, _ = s.clip_global(gs, mx, eps=eps)
        cases.close(cases.cos(cases.flat(glob), cases.flat(gs)), 1.0, 1.0, f"{ctx.id}: global clipping should keep cos = 1", rep)

    @ctx.refutes
    @given(case=cases.norm_cases())
    @example(case=([np.array([1.0]), np.array([2.0])], 1.0))   # shrunk counterexample
    def literal_keeps_global_direction(case):
        gs, mx = case
        out, _ = s.clip_per_tensor(gs, mx)
        cases.close(cases.cos(cases.flat(out), cases.flat(gs)), 1.0, 1.0,
               f"{ctx.id}: per-tensor clipping turned g = {cases.show_grads(gs)} (c = {mx!r}); cos∠ should be 1", literal=True)


@claim_check("CLIP-DESCENT-DIRECTION",
             subject={"clip_global": clip.clip_by_global_norm, "clip_per_tensor": clip.clip_by_norm_per_tensor,
                      "clip_value": clip.clip_by_value},
             plants={"clipped gradient negated": {"clip_global": _negated},
                     "clamp bounds swapped: np.clip(g, v, -v)": {"clip_value": _clamp_swapped_bounds}})
def clipped_gradient_is_a_descent_direction(ctx, s):
    """0 ≤ d_i/g_i ≤ 1 entrywise, so ⟨d, g⟩ ≥ ‖d‖² > 0 for d = clip(g), g ≠ 0, for all three rules.  [CLIP-DESCENT-DIRECTION]"""
    @ctx.holds
    @given(case=cases.norm_cases(), eps=st.sampled_from(cases.EPSILONS))
    @example(case=([np.array([1e3, -1e-3]), np.array([[2.0]])], 1e-3), eps=cases.TORCH_EPS)
    def descent(case, eps):
        gs, mx = case
        x = cases.flat(gs)
        kinds = {"global": s.clip_global(gs, mx, eps=eps)[0], "per-tensor": s.clip_per_tensor(gs, mx, eps=eps)[0],
                 "value": s.clip_value(gs, mx)}
        m = float(np.max(np.abs(x)))
        for kind, out in kinds.items():
            d = cases.flat(out)
            rep = ctx.repro(kind=kind, gs=gs, max_norm=mx, eps=eps)
            # exactness is the claim: each rule multiplies g_i by some t_i ∈ [0, 1] and rounding is monotone,
            # so |d_i| ≤ |g_i| and d_i has g_i's sign (or is 0) bit for bit
            assert np.all(np.abs(d) <= np.abs(x)), f"{ctx.id}: |d_i| > |g_i| somewhere in {rep}"
            assert np.all(d * np.sign(x) >= 0.0), f"{ctx.id}: d_i opposes g_i somewhere in {rep}"
            # ⟨d, g⟩ = Σ|d_i||g_i| ≥ Σ|d_i|² = ‖d‖² follows from the two entrywise facts: not asserted again. What they
            # leave open is d = 0 (every entry clipped or underflowed to 0), so ⟨d, g⟩ > 0 is asserted.
            inner = float((d / m) @ (x / m))            # rescaled by max|g|: no overflow, and the largest entry cannot underflow
            target(-inner / max(cases.norm(d / m) * cases.norm(x / m), 1e-300), label=f"-cos(d, g) [{kind}]")
            assert inner > 0.0, f"{ctx.id}: ⟨clip(g), g⟩ = {inner!r}·max|g|² is not > 0: {rep}"
