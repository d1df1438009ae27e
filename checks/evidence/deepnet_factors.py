"""Proofs about the local factors of a deep net: derivative suprema, factors below one, ReLU, small products."""

from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence.deepnet import _SUP, _XS, _sup_proofs, _tie_activations
from vanishing.checks.evidence.pascanu import _sup_holds

SUPS = {k: v[0] for k, v in _SUP.items()}


@evidence("DEEP-ACT-DERIV-SUP", "proof", statement={"sup": SUPS}, wrong={"sup σ' = 1/2": {"sup": {**SUPS, "sigmoid": sp.Rational(1, 2)}}})
def deep_act_deriv_sup_proof(s, ctx):
    _sup_proofs()
    _sup_holds({**ctx.st.sup, "relu": ctx.st.sup["relu"]})
    acts = s.activations
    for name, (_, at) in _SUP.items():
        sup = ctx.st.sup[name]
        ensure(acts[name].deriv_sup == float(sup), f"the registry records sup|{name}'| = {acts[name].deriv_sup}, the proof gives {sup}")
        ensure(float(np.asarray(acts[name].df(np.array([at])))[0]) == float(sup), f"{name}' does not attain {sup} at {at}")
    _tie_activations(acts, list(_SUP))
    ensure(np.array_equal(np.asarray(s.dleaky(_XS), float), np.where(_XS > 0, 1.0, 0.01)), "subject dleaky is not 1 / α = 0.01")
    ensure(np.array_equal(np.asarray(s.dleaky(_XS, 0.5), float), np.where(_XS > 0, 1.0, 0.5)), "subject dleaky ignores α = 0.5")
    return ("sup|f'| = 1/4 (σ, at 0), 1 (tanh, arctan at 0; ReLU, leaky ReLU with α ≤ 1 at x > 0; identity): all ≤ 1 and the bound 1 is attained",
            ("σ' = 1/4 − (σ − 1/2)² (maximum at σ = 1/2, x = 0); tanh' = 1 − tanh² ≤ 1; arctan' = 1/(1+x²) ≤ 1, = 1 only at 0 (SymPy); "
            "ReLU' ∈ {0, 1}, leaky' ∈ {α, 1}, identity' = 1. Tie: the subject registry's deriv_sup equals each proved supremum, "
            f"its df attains it at deriv_sup_at, and each df equals the exact derivative at {len(_XS)} points "
            f"{S.within()}; subject dleaky equals 1 / α exactly at α = 0.01 and 0.5. {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real; leaky ReLU with |α| ≤ 1",),
                  steps=("SymPy: sup − σ(1−σ) = (σ − 1/2)² and sup − (1 − tanh²) = tanh² (the suprema, attained at 0)",
                         "SymPy: arctan' = 1/(1+x²) = 1 only at 0; ReLU' ∈ {0, 1}, leaky' ∈ {α, 1}, identity' = 1"),
                  tied=(f"registry deriv_sup and df at {len(_XS)} exact points per activation", "dleaky at α = 0.01 and 0.5")))


@evidence("DEEP-FACTOR-BELOW-ONE", "proof", statement={"threshold": {"sigmoid": 4, "tanh": 1, "arctan": 1, "relu": 1}},
          wrong={"σ's threshold |w| < 2": {"threshold": {"sigmoid": 2, "tanh": 1, "arctan": 1, "relu": 1}}})
def deep_factor_below_one_proof(s, ctx):
    _sup_proofs()
    for name, thr in ctx.st.threshold.items():
        ensure(sp.Integer(thr) * _SUP[name][0] == 1, f"the stated threshold {thr} for {name} is not 1/γ = {1 / _SUP[name][0]}")
    fd, w_, g_ = sp.symbols("fd w g", real=True)
    S.valid("|f'(h)w| ≤ γ|w| < 1 when |w| < 1/γ", [fd >= 0, fd <= g_, g_ > 0, w_ >= 0, w_ * g_ < 1], fd * w_ < 1)
    S.valid("at the maximiser f'(h*) = γ: γ|w| ≥ 1 when |w| ≥ 1/γ", [g_ > 0, w_ * g_ >= 1], g_ * w_ >= 1)
    wsym, g = sp.Symbol("w", real=True), sp.Symbol("gamma", positive=True)
    ensure(sp.solve(sp.Eq(g * sp.Abs(wsym), 1), wsym) in ([-1 / g, 1 / g], [1 / g, -1 / g]), "γ|w| = 1 ⇔ |w| = 1/γ")
    acts = s.activations
    for name in ("sigmoid", "tanh", "arctan", "relu"):
        sup, _at = _SUP[name]
        ensure(acts[name].deriv_sup == float(sup), f"registry sup|{name}'| = {acts[name].deriv_sup}, proof {sup}")
    _tie_activations(acts, ("sigmoid", "tanh", "arctan", "relu"))
    return ("sup_h |f'(h)·w| = γ|w| with γ = sup|f'|, so every factor is < 1 iff |w| < 1/γ: 4 for σ, 1 for tanh, arctan, ReLU",
            ("|f'(h)w| ≤ γ|w| < 1 when |w| < 1/γ; conversely at the maximiser h* (attained: σ, tanh, arctan at 0, ReLU at h > 0) "
            "|f'(h*)w| = γ|w| ≥ 1 when |w| ≥ 1/γ. γ from DEEP-ACT-DERIV-SUP's proofs. Tie: subject activations' df equal the exact "
            f"derivatives at {len(_XS)} points {S.within()} and the registry's sup. {S.versions()}."),
            Scope(sizes="every", hypotheses=("γ = sup|f'| attained (σ, tanh, arctan at 0; ReLU on h > 0)",),
                  steps=("SymPy: each stated threshold is 1/γ", "z3: |f'w| ≤ γ|w| < 1 below it; γ|w| ≥ 1 at the maximiser above it"),
                  tied=(f"df of σ, tanh, arctan, ReLU at {len(_XS)} exact points; the registry's deriv_sup",)))


@evidence("DEEP-RELU-STABLE", "proof", statement={"active": lambda w: w}, wrong={"passed unchanged (factor 1)": {"active": lambda w: 1}})
def deep_relu_stable_proof(s, ctx):
    w, zeta, bb = sp.symbols("w zeta b", real=True)
    on, off = sp.diff(w * zeta + bb, zeta), sp.diff(sp.S(0) * zeta, zeta)
    ensure(on == ctx.st.active(w) and off == 0, f"the ReLU chain factor on the active piece is {on}, not the stated {ctx.st.active(w)}")
    hs, ws = S.points(30, seed=8, lo=-3, hi=3), S.points(30, seed=9, lo=-3, hi=3)
    got = np.asarray(s.relu_factor(hs, ws), float)
    ensure(np.array_equal(got, np.where(hs > 0, ws, 0.0)), "subject relu_factor is not 1[h > 0]·w exactly")
    return ("In a ReLU chain ∂z_(j+1)/∂z_j = 1[h_(j+1) > 0]·w_(j+1): the gradient is multiplied by the active weights, not passed unchanged",
            "On h > 0 the unit is the affine map w z + b (derivative w), on h < 0 it is 0 (derivative 0) (SymPy); at h = 0 the "
            "convention relu'(0) = 0. Products over the chain multiply these factors (chain rule). Tie: subject relu_factor equals "
            "1[h > 0]·w exactly at 30 exact (h, w) pairs. " + S.versions() + ".",
            Scope(sizes="every", hypotheses=("relu'(0) := 0", "a chain of any depth: the factors multiply (chain rule)"),
                  steps=("SymPy: ∂(w ζ + b)/∂ζ = w on h > 0, ∂0/∂ζ = 0 on h < 0",), tied=("relu_factor at 30 exact (h, w) pairs, bit for bit",)))


@evidence("DEEP-IDENTITY-DERIV-ONE", "proof", statement={"d": 1}, wrong={"d/dx x = 0": {"d": 0}})
def deep_identity_deriv_one_proof(s, ctx):
    x = sp.Symbol("x", real=True)
    ensure(sp.diff(x, x) == ctx.st.d, f"d/dx x ≠ {ctx.st.d}")
    ensure(np.array_equal(np.asarray(s.identity(_XS), float), _XS), "subject identity is not x exactly")
    ensure(np.array_equal(np.asarray(s.didentity(_XS), float), np.ones_like(_XS)), "subject didentity is not 1 exactly")
    return ("identity'(x) = 1 for every x (SymPy), and the model computes x and 1 exactly",
            f"Tie: subject identity and didentity at {len(_XS)} exact points (both signs) equal x and 1 bit for bit. {S.versions()}.",
            Scope(sizes="every", hypotheses=("x real",), steps=("SymPy: d/dx x = 1",), tied=(f"identity and didentity at {len(_XS)} exact points",)))


@evidence("DEEP-NORMAL-WEIGHT-BELOW-ONE", "proof", statement={"form": lambda c: sp.erf(c / sp.sqrt(2))},
          wrong={"erf(c) (the √2 dropped)": {"form": lambda c: sp.erf(c)}}, unaffected={
        "sampler with std 0.5": "the proof computes P(|w| < c) for w ~ N(0, 1) exactly and ties the closed form p_below; "
                                "the sampler is the Monte Carlo side of the check, which no proof can cover"})
def deep_normal_weight_below_one_proof(s, ctx):
    w, cut = sp.Symbol("w", real=True), sp.Symbol("c", positive=True)
    pdf = sp.exp(-w ** 2 / 2) / sp.sqrt(2 * sp.pi)
    F = sp.erf(w / sp.sqrt(2)) / 2                                  # an antiderivative of φ: F' = φ (fundamental theorem)
    ensure(sp.simplify(sp.diff(F, w) - pdf) == 0, "d/dw erf(w/√2)/2 ≠ φ(w)")
    p = F.subs(w, cut) - F.subs(w, -cut)                             # erf is odd
    ensure(sp.simplify(p - ctx.st.form(cut)) == 0, f"∫_(−c)^c φ = {p}, not the stated {ctx.st.form(cut)}")
    for cv in (0.25, 0.5, 1.0, 2.0, 3.0):
        with mpmath.workdps(S.MP_DPS):
            want = float(mpmath.erf(mpmath.mpf(cv) / mpmath.sqrt(2)))
        S.agree(f"p_below({cv})", s.p_below(cv), want)
    ensure(abs(float(p.subs(cut, 1).evalf(30)) - 0.682689492137086) < 1e-15, "erf(1/√2) ≠ 0.6827")
    return ("w ~ N(0, 1): P(|w| < 1) = ∫_(−1)^1 φ = erf(1/√2) ≈ 0.6827 (SymPy: an antiderivative of φ)",
            (f"SymPy integrates the standard normal density over (−c, c) to erf(c/√2). Tie: subject p_below at c ∈ {{1/4, 1/2, 1, 2, 3}} "
            f"equals erf(c/√2) (mpmath) {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("w ~ N(0, 1)", "c > 0"), steps=("SymPy: d/dw erf(w/√2)/2 = φ(w), so ∫_(−c)^c φ = erf(c/√2)",),
                  tied=("p_below at c ∈ {1/4, 1/2, 1, 2, 3} against mpmath's erf",)))


@evidence("DEEP-SMALL-PRODUCT", "proof", statement={"cap": lambda A: A}, wrong={"|ab| ≤ |a|/2": {"cap": lambda A: A / 2}})
def deep_small_product_proof(s, ctx):
    Az, Bz = sp.symbols("Az Bz", real=True)
    S.valid("|a| = A ≥ 0, |b| = B ∈ [0, 1) ⇒ AB ≤ cap(A)", [Az >= 0, Bz >= 0, Bz < 1], Az * Bz <= ctx.st.cap(Az))
    S.valid("and AB < A unless A = 0", [Az > 0, Bz >= 0, Bz < 1], Az * Bz < Az)
    a, b = sp.symbols("a b", real=True)
    ensure(sp.simplify(sp.Abs(a * b) - sp.Abs(a) * sp.Abs(b)) == 0, "|ab| ≠ |a||b|")
    A, B = sp.symbols("A B", nonnegative=True)                       # |a| = A, |b| = B ≤ 1: A − AB = A(1 − B) ≥ 0
    ensure(sp.factor(A - A * B) == -A * (B - 1), "A − AB ≠ A(1 − B)")
    ensure(sp.Integer(-2) * -3 == 6, "(−2)(−3) ≠ 6")                # the signed reading 'a, b < 1' fails (docs/VERDICT-REVIEW.md §5)
    rng = np.random.default_rng(11)
    pairs = [(float(u), float(v)) for u, v in rng.uniform(-1, 1, (200, 2))] + [(0.5, -0.5), (1 - 2 ** -53, 1 - 2 ** -53), (1e-200, 1e-200)]
    for u, v in pairs:
        got = s.mul(u, v)
        ensure(got == float(Fraction(u) * Fraction(v)), f"subject mul({u!r}, {v!r}) = {got!r} is not the correctly rounded product")
        ensure(abs(got) <= min(abs(u), abs(v)), f"fl(ab) > min(|a|, |b|) at {u!r}, {v!r}")
    return ("|a|, |b| < 1 ⇒ |ab| = |a||b| ≤ min(|a|, |b|), strictly unless ab = 0; in float64 round-to-nearest keeps fl(|ab|) ≤ |a| since |a| is a float",
            "SymPy: |ab| = |a||b| and |a| − |a||b| = |a|(1 − |b|) ≥ 0, > 0 unless a = 0. Floats: rounding to nearest is monotone and "
            "fixes floats, so |ab| ≤ |a| gives fl(|ab|) ≤ |a| (strictness can fail by rounding up to |a|, or by underflow to 0). "
            "The signed reading a, b < 1 is false: (−2)(−3) = 6. Tie: subject mul equals the correctly rounded product (the exact rational product, Fraction → float rounds correctly) bit for bit "
            "at 203 pairs (200 seeded uniform in (−1, 1), 1 − 2⁻⁵³ squared, an underflowing pair). " + S.versions() + ".",
            Scope(sizes="every", hypotheses=("|a|, |b| < 1", "float64: round to nearest"),
                  steps=("SymPy: |ab| = |a||b|", "z3: AB ≤ A and AB < A for A > 0, 0 ≤ B < 1", "(−2)(−3) = 6: the signed reading fails"),
                  tied=("mul at 203 pairs against the correctly rounded product, bit for bit",)))


@evidence("DEEP-RELU-DEAD-UNIT", "proof", statement={"mask": 0}, wrong={"the unit counted active (relu' = 1)": {"mask": 1}})
def deep_relu_dead_unit_proof(s, ctx):
    """A unit with h < 0 has relu'(h) = 0, so δ = 0 there and its row of ∂L/∂W and its bias get exactly 0 (every width)."""
    Wi, xi, bi, mi, G = sp.IndexedBase("W"), sp.IndexedBase("x"), sp.IndexedBase("b"), sp.IndexedBase("m"), sp.Function("G")
    r, k = sp.symbols("r k", integer=True)
    pq, qq = sp.Symbol("p", integer=True, nonnegative=True), sp.Symbol("q", integer=True, nonnegative=True)
    e1, e0 = sp.symbols("e1 e0", integer=True, nonnegative=True)
    n1, n0 = pq + 1 + e1, qq + 1 + e0                                # widths with 0 ≤ p < n1, 0 ≤ q < n0, otherwise free
    h_r = sp.Sum(Wi[r, k] * xi[k], (k, 0, n0 - 1)) + bi[r]           # layer-1 pre-activation of unit r, any widths
    dW = sp.Sum(G(r) * sp.diff(mi[r] * h_r, Wi[pq, qq]), (r, 0, n1 - 1)).doit()
    db = sp.Sum(G(r) * sp.diff(mi[r] * h_r, bi[pq]), (r, 0, n1 - 1)).doit()
    dW, db = (sp.simplify(e.subs(mi[pq], ctx.st.mask)) for e in (dW, db))
    ensure(dW == 0 and db == 0, f"the unit's weight row and bias gradients are {dW} and {db}, not 0 (symbolic widths, G = ∂L/∂z_1)")
    W1, W2 = S.matrix("W1", 2, 2), S.matrix("W2", 1, 2)
    b1, b2, xs_, ys_ = S.vector("b1", 2), S.vector("b2", 1), S.vector("x", 2), S.vector("y", 1)
    m = sp.diag(0, 1)                                               # activity pattern of layer 1: unit 0 dead, unit 1 active
    h1 = W1 * xs_ + b1
    z1 = m * h1                                                     # ReLU on this orthant
    z2 = W2 * z1 + b2                                               # unit of layer 2 active: relu = identity
    L = ((z2 - ys_).T * (z2 - ys_))[0, 0] / 2
    gW1 = sp.Matrix(2, 2, lambda p, q: sp.diff(L, W1[p, q]))
    gb1 = sp.Matrix([sp.diff(L, v) for v in b1])
    ensure(all(e == 0 for e in list(gW1[0, :]) + [gb1[0]]), "the dead unit's row of ∂L/∂W_1 or its bias gradient is not 0")
    P = {"W": [np.array([[-1.0, -0.5], [0.75, 0.5]]), np.array([[1.25, 0.5]])], "b": [np.array([-0.25, 0.125]), np.array([0.5])]}
    x, y = np.array([1.0, 0.5]), np.array([-0.75])
    h1v = P["W"][0] @ x + P["b"][0]
    ensure(h1v[0] < 0 < h1v[1] and (P["W"][1] @ np.maximum(h1v, 0) + P["b"][1])[0] > 0, "the test point is not on the stated orthant")
    vals = S.values((W1, P["W"][0]), (W2, P["W"][1]), (b1, P["b"][0]), (b2, P["b"][1]), (xs_, x), (ys_, y))
    bp = s.backprop(P, x, y, "relu")
    gW1v, gb1v = S.evaluate([gW1, gb1], vals)
    ensure(np.all(np.asarray(bp["W"][0])[0] == 0.0) and np.asarray(bp["b"][0])[0] == 0.0, "subject backprop gives the dead unit a gradient")
    S.agree("backprop W_1", bp["W"][0], gW1v)
    S.agree("backprop b_1", bp["b"][0], gb1v.ravel())
    return ("A ReLU unit with h < 0 gets exactly zero gradient (its weight row and bias), because relu'(h) = 0 zeroes its δ (SymPy on the orthant)",
            ("On the open orthant of the pre-activations the net is piecewise linear (ReLU = diag(m)·h); SymPy's gradient of L there "
            "has the dead unit's row of ∂L/∂W_1 and ∂L/∂b_1 identically 0. Whether the unit can revive (earlier layers moving "
            "its input) is the property check's business. Tie: subject backprop (relu, sizes [2, 2, 1]) at an exact point with "
            f"unit 0 dead gives exact zeros there and SymPy's gradient elsewhere {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("h_(1,p)(x) < 0 on the batch (relu'(h) = 0 there)", "relu'(0) := 0", "any widths"),
                  steps=("SymPy, symbolic widths: ∂L/∂W_1[p,q] = Σ_r G(r)·∂(m_r h_r)/∂W_1[p,q] = G(p) m_p x_q, and = 0 at m_p = 0; the bias likewise",
                         "SymPy on the orthant at sizes [2, 2, 1]: the dead row of ∂L/∂W_1 and ∂L/∂b_1 identically 0"),
                  tied=("backprop (relu, sizes [2, 2, 1]) at an exact point with unit 0 dead",)))
