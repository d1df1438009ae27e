"""Proofs about value and per-tensor clipping: norm bounds, direction, descent."""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence.clipping import (
    _G,
    HYP,
    TIE,
    TORCH_EPS,
    _exact_global,
    _tie_global,
    _tie_value,
    c,
    eps,
    n,
    tie_three_rules,
)


def _clamp_pieces(bound):
    """z3 on each piece of clamp(g, −v, v): |clamp| ≤ v and |clamp| ≤ |g|, and clamp² ≤ bound(v)² (the termwise certificate)."""
    g, v = sp.symbols("g v", real=True)
    for lo_hi, val, name in (([g < -v], -v, "g < −v"), ([g >= -v, g <= v], g, "|g| ≤ v"), ([g > v], v, "g > v")):
        S.valid(f"{name}: |clamp| ≤ v, ≤ |g|, clamp² ≤ bound²", [v > 0] + lo_hi,
                sp.And(val ** 2 <= v ** 2, val ** 2 <= g ** 2, val ** 2 <= bound(v) ** 2))
    return ("z3 on each of the three pieces: |clamp(g)| ≤ v and ≤ |g|", "‖clamp‖² = Σ clamp_i² ≤ Σ v² = Nv² termwise, any N")


@evidence("CLIP-VALUE-NORM-BOUND", "proof", statement={"entry_bound": lambda v: v}, wrong={"‖clamp‖ ≤ v√N/2": {"entry_bound": lambda v: v / 2}})
def clip_value_norm_bound_proof(s, ctx):
    steps = _clamp_pieces(ctx.st.entry_bound)
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
            f"clamp(g, −v, v) bit for bit on {len(_G)} lists at v ∈ {{0.25, 1, 5}} (clamping is exact in floats). {S.versions()}."),
            Scope(sizes="every", hypotheses=("v > 0", "N entries, any N"), steps=steps,
                  tied=(f"clip_value bit for bit on {len(_G)} lists (up to 12 tensors) at v ∈ {{0.25, 1, 5}}",)))


@evidence("CLIP-PER-TENSOR-NORM-BOUND", "proof", statement={"total_sq": lambda m_, c_: m_ * c_ ** 2},
          wrong={"combined norm ≤ c (not √m·c)": {"total_sq": lambda m_, c_: c_ ** 2}})
def clip_per_tensor_norm_bound_proof(s, ctx):
    m = sp.Symbol("m", positive=True, integer=True)
    ensure(sp.sqrt(m * c ** 2) == sp.sqrt(m) * c, "√(m c²) ≠ √m c")
    nr, er, cr, a1, a2, mr = sp.symbols("n e c a1 a2 m", real=True)
    S.valid("each tensor: ‖clip(g_j)‖ = c n/(n+ε) ≤ c when clipped", [cr > 0, er >= 0, nr >= 0, nr + er > cr], cr * nr / (nr + er) <= cr)
    S.valid("the sum of m squares, each ≤ c², is ≤ the stated bound (the inductive step over m)", [cr > 0, mr >= 1, a1 >= 0,
            a1 <= ctx.st.total_sq(mr, cr), a2 >= 0, a2 <= cr ** 2], a1 + a2 <= ctx.st.total_sq(mr + 1, cr))
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
            f"{S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=HYP + ("m tensors, any m",), steps=("z3: each clipped tensor has norm ≤ c",
                  "z3: Σ_j ≤ m c² by induction over m; SymPy: √(m c²) = √m·c"),
                  tied=(f"clip_per_tensor on {len(_G)} lists (up to 12 tensors), c ∈ {{0.5, 2, 6}}, ε ∈ {{0, 1e-6}}",)))


@evidence("CLIP-DESCENT-DIRECTION", "proof", statement={"k": 1}, wrong={"⟨d, g⟩ ≥ 2‖d‖²": {"k": 2}})
def clip_descent_direction_proof(s, ctx):
    tr, gr = sp.symbols("t g", real=True)
    S.valid("termwise: d_i = t_i g_i, t_i ∈ [0, 1] ⇒ d_i g_i ≥ k·d_i²", [tr >= 0, tr <= 1], tr * gr * gr >= ctx.st.k * (tr * gr) ** 2)
    S.valid("and > 0 where t_i > 0, g_i ≠ 0", [tr > 0, tr <= 1, sp.Ne(gr, 0)], tr * gr * gr > 0)
    v = sp.Symbol("v", positive=True)
    for val in (-3, -sp.Rational(1, 2), sp.Rational(1, 2), 3):      # clamp(g)·g = min(|g|, v)|g| > 0 for g ≠ 0, on each piece
        g = val * v
        ensure((sp.Max(-v, sp.Min(g, v)) * g).is_positive, "clamp(g)·g not > 0")
    ensure((sp.Min(1, c / (n + eps)) * n ** 2).is_positive, "s‖g‖² not > 0")
    k = tie_three_rules(s)
    return ("⟨clip(g), g⟩ > 0 for g ≠ 0 under all three rules: s‖g‖² (norm), Σ_j s_j‖g_j‖² (per tensor), Σ_i min(|g_i|, v)|g_i| (value)",
            ("Each rule multiplies entry i by a factor in (0, 1] (norm: s; per tensor: s_j; value: min(1, v/|g_i|)), so each term of "
            "the inner product is ≥ 0 and one is > 0 (SymPy positivity on each piece). Tie: subject clip_global on "
            f"{k} cases ({TIE}), clip_per_tensor and clip_value (exact) agree with the exact rules {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=HYP + ("d_i = t_i g_i with t_i ∈ [0, 1] (norm: s; per tensor: s_j; value: min(1, v/|g_i|))",),
                  steps=("z3: d_i g_i ≥ d_i² for t_i ∈ [0, 1], summed termwise (any N)", "z3: a term is > 0 where t_i > 0, g_i ≠ 0"),
                  tied=(f"clip_global on {k} cases", "clip_value and clip_per_tensor against the exact rules")))


# ---------------------------------------------------------------- refutations: rules that turn the direction
@evidence("CLIP-VALUE-DIRECTION", "proof", statement={"cos2": sp.Rational(81, 85)}, wrong={"cos² = 1 (direction kept)": {"cos2": sp.Integer(1)}})
def clip_value_direction_proof(s, ctx):
    v = sp.Symbol("v", positive=True)
    g = sp.Matrix([2 * v, v / 2])                                     # one entry above v, one below
    cl = sp.Matrix([v, v / 2])
    ensure(sp.simplify(g[0] * cl[1] - g[1] * cl[0]) != 0, "clamp(g) is parallel to g")
    cos = (g.T * cl)[0, 0] / (g.norm() * cl.norm())
    ensure(sp.simplify(cos ** 2) == ctx.st.cos2, f"cos²∠(clamp(g), g) = {sp.simplify(cos ** 2)}, not {ctx.st.cos2}")
    for val in (-3, -sp.Rational(1, 2), sp.Rational(1, 2), 3):      # each entry keeps its sign: clamp(g_i)·g_i > 0
        ensure((sp.Max(-v, sp.Min(val * v, v)) * val * v).is_positive, "an entry changes sign")
    _tie_value("clip_value", s.clip_value)
    return ("Value clipping turns the direction: g = (2v, v/2) ↦ (v, v/2), not parallel (SymPy, v symbolic); each entry keeps its sign",
            ("The cross term g_1·clip_2 − g_2·clip_1 = v²/2 ≠ 0 and cos²∠ = 81/85 < 1 exactly; on each piece clamp(g_i)·g_i = min(|g_i|, v)|g_i| > 0. "
            f"Tie: subject clip_value equals clamp(g, −v, v) bit for bit on {len(_G)} lists at v ∈ {{0.25, 1, 5}}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("a refutation of 'the direction is kept': one witness (N = 2, v symbolic) proves it",),
                  steps=("SymPy: g = (2v, v/2) ↦ (v, v/2), cross term ≠ 0, cos² = 81/85", "SymPy: each entry keeps its sign on every piece"),
                  tied=(f"clip_value bit for bit on {len(_G)} lists at v ∈ {{0.25, 1, 5}}",)))


@evidence("CLIP-PER-TENSOR-DIRECTION", "proof", statement={"kept": False}, wrong={"the direction is kept": {"kept": True}})
def clip_per_tensor_direction_proof(s, ctx):
    a1, a2 = sp.Rational(3), sp.Rational(1, 2)                      # tensor norms 3 and 1/2, threshold c = 1
    g = sp.Matrix([a1, a2])                                          # one coordinate per tensor (their norms)
    cl = sp.Matrix([1, a2])                                          # per-tensor: the first scaled to 1, the second kept
    ensure((g[0] * cl[1] - g[1] * cl[0] == 0) == ctx.st.kept, "per-tensor clipping kept the direction" if not ctx.st.kept
           else "the stated 'direction kept' fails: norms (3, 1/2) at c = 1 become (1, 1/2), not parallel")
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
            f"subject clip_per_tensor against exact per-tensor clipping and clip_global on {k} cases, {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("a refutation: one witness (two tensors of norms 3 and 1/2, c = 1) proves it",),
                  steps=("SymPy: the factors 1/3 and 1 make the clipped norms (1, 1/2), not parallel to (3, 1/2)",),
                  tied=(f"clip_per_tensor on {len(_G)} lists at c ∈ {{0.5, 2}}", f"clip_global on {k} cases")))
