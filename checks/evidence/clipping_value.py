"""Proofs about value and per-tensor clipping: norm bounds, direction, descent."""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence.clipping import (
    _G,
    TIE,
    TORCH_EPS,
    _exact_global,
    _tie_global,
    _tie_value,
    c,
    eps,
    n,
)


@evidence("CLIP-VALUE-NORM-BOUND", "proof")
def clip_value_norm_bound_proof(s, ctx):
    v = sp.Symbol("v", positive=True)
    gi = sp.symbols("g0:3", real=True)
    clamp = [sp.Max(-v, sp.Min(gg, v)) for gg in gi]
    for cl in clamp:
        for val in (-2, -sp.Rational(1, 2), 0, sp.Rational(1, 3), 3):  # |clamp| = min(|g|, v) on each of the three pieces
            ensure(sp.Abs(cl.subs({cl.free_symbols.difference({v}).pop(): val * v})) == sp.Min(sp.Abs(val), 1) * v, "|clamp| ≠ min(|g|, v)")
    _tie_value("clip_value", s.clip_value)
    return ("|clamp(g_i, −v, v)| = min(|g_i|, v) ≤ v, so ‖clamp(g)‖ ≤ v√N, with equality iff every |g_i| ≥ v",
            ("On each piece (g < −v, |g| ≤ v, g > v) |clamp| = min(|g|, v) (SymPy on representative points of each piece, "
            "scaled by symbolic v); summing squares gives ≤ N v², equal iff each term is v². Tie: subject clip_value equals "
            f"clamp(g, −v, v) bit for bit on {len(_G)} lists at v ∈ {{0.25, 1, 5}} (clamping is exact in floats). {S.versions()}."))

@evidence("CLIP-PER-TENSOR-NORM-BOUND", "proof")
def clip_per_tensor_norm_bound_proof(s, ctx):
    m = sp.Symbol("m", positive=True, integer=True)
    ensure(sp.sqrt(m * c ** 2) == sp.sqrt(m) * c, "√(m c²) ≠ √m c")
    for gs in _G:
        for cmax in (0.5, 2.0, 6.0):
            for e in (0.0, TORCH_EPS):
                out, norms = s.clip_per_tensor([g.copy() for g in gs], cmax, e)
                ensure(len(out) == len(gs), f"clip_per_tensor: {len(out)} tensors for {len(gs)}")
                for k, (o, g) in enumerate(zip(out, gs)):
                    want, nn, _ = _exact_global([g], cmax, e)
                    S.agree(f"clip_per_tensor tensor {k} (c = {cmax:g}, ε = {e:g})", np.asarray(o, float), want[0], scale=max(1.0, nn))
                    S.agree(f"per-tensor norm {k}", norms[k], nn)
    return ("Per-tensor clipping caps each tensor at ‖clip(g_j)‖ ≤ c, so the combined norm is ≤ √(m c²) = √m·c, reached when every tensor is clipped",
            ("Each tensor is global clipping of one tensor (CLIP-NORM-CAP: ≤ c, = c at ε = 0 when clipped); Σ_j ‖·‖² ≤ m c². "
            f"Tie: subject clip_per_tensor equals exact per-tensor clipping on {len(_G)} lists, c ∈ {{0.5, 2, 6}}, ε ∈ {{0, 1e-6}}, "
            f"{S.within()}. {S.versions()}."))

@evidence("CLIP-DESCENT-DIRECTION", "proof")
def clip_descent_direction_proof(s, ctx):
    v = sp.Symbol("v", positive=True)
    for val in (-3, -sp.Rational(1, 2), sp.Rational(1, 2), 3):      # clamp(g)·g = min(|g|, v)|g| > 0 for g ≠ 0, on each piece
        g = val * v
        ensure((sp.Max(-v, sp.Min(g, v)) * g).is_positive, "clamp(g)·g not > 0")
    ensure((sp.Min(1, c / (n + eps)) * n ** 2).is_positive, "s‖g‖² not > 0")
    k = _tie_global("clip_global", s.clip_global)
    _tie_value("clip_value", s.clip_value)
    for gs in _G:
        out, _ = s.clip_per_tensor([g.copy() for g in gs], 1.0, 0.0)
        for o, g in zip(out, gs):
            want, nn, _ = _exact_global([g], 1.0, 0.0)
            S.agree("clip_per_tensor", np.asarray(o, float), want[0], scale=max(1.0, nn))
    return ("⟨clip(g), g⟩ > 0 for g ≠ 0 under all three rules: s‖g‖² (norm), Σ_j s_j‖g_j‖² (per tensor), Σ_i min(|g_i|, v)|g_i| (value)",
            ("Each rule multiplies entry i by a factor in (0, 1] (norm: s; per tensor: s_j; value: min(1, v/|g_i|)), so each term of "
            "the inner product is ≥ 0 and one is > 0 (SymPy positivity on each piece). Tie: subject clip_global on "
            f"{k} cases ({TIE}), clip_per_tensor and clip_value (exact) agree with the exact rules {S.within()}. {S.versions()}."))

# ---------------------------------------------------------------- refutations: rules that turn the direction
@evidence("CLIP-VALUE-DIRECTION", "proof")
def clip_value_direction_proof(s, ctx):
    v = sp.Symbol("v", positive=True)
    g = sp.Matrix([2 * v, v / 2])                                     # one entry above v, one below
    cl = sp.Matrix([v, v / 2])
    ensure(sp.simplify(g[0] * cl[1] - g[1] * cl[0]) != 0, "clamp(g) is parallel to g")
    cos = (g.T * cl)[0, 0] / (g.norm() * cl.norm())
    ensure(sp.simplify(cos ** 2) == sp.Rational(81, 85), "cos²∠(clamp(g), g) ≠ 81/85")
    for val in (-3, -sp.Rational(1, 2), sp.Rational(1, 2), 3):      # each entry keeps its sign: clamp(g_i)·g_i > 0
        ensure((sp.Max(-v, sp.Min(val * v, v)) * val * v).is_positive, "an entry changes sign")
    _tie_value("clip_value", s.clip_value)
    return ("Value clipping turns the direction: g = (2v, v/2) ↦ (v, v/2), not parallel (SymPy, v symbolic); each entry keeps its sign",
            ("The cross term g_1·clip_2 − g_2·clip_1 = v²/2 ≠ 0 and cos²∠ = 81/85 < 1 exactly; on each piece clamp(g_i)·g_i = min(|g_i|, v)|g_i| > 0. "
            f"Tie: subject clip_value equals clamp(g, −v, v) bit for bit on {len(_G)} lists at v ∈ {{0.25, 1, 5}}. {S.versions()}."))

@evidence("CLIP-PER-TENSOR-DIRECTION", "proof")
def clip_per_tensor_direction_proof(s, ctx):
    a1, a2 = sp.Rational(3), sp.Rational(1, 2)                      # tensor norms 3 and 1/2, threshold c = 1
    g = sp.Matrix([a1, a2])                                          # one coordinate per tensor (their norms)
    cl = sp.Matrix([1, a2])                                          # per-tensor: the first scaled to 1, the second kept
    ensure(g[0] * cl[1] - g[1] * cl[0] != 0, "per-tensor clipping kept the direction")
    for gs in _G:
        for cmax in (0.5, 2.0):
            out, _norms = s.clip_per_tensor([t.copy() for t in gs], cmax, 0.0)
            ensure(len(out) == len(gs), "tensor count")
            for k, (o, t) in enumerate(zip(out, gs)):
                want, nn, _ = _exact_global([t], cmax, 0.0)
                S.agree(f"clip_per_tensor tensor {k}", np.asarray(o, float), want[0], scale=max(1.0, nn))
    k = _tie_global("clip_global", s.clip_global)
    return ("Per-tensor clipping keeps each tensor's direction but turns the whole gradient when tensor norms differ: norms (3, 1/2) at c = 1 become (1, 1/2)",
            ("Each tensor is multiplied by its own s_j = min(1, c/‖g_j‖); with norms 3 and 1/2 and c = 1 the factors are 1/3 and 1, "
            "so the concatenated gradient is not a multiple of g (exact). Global clipping keeps it (CLIP-NORM-DIRECTION). Tie: "
            f"subject clip_per_tensor against exact per-tensor clipping and clip_global on {k} cases, {S.within()}. {S.versions()}."))
