"""Proofs about initialisation: Glorot's variances, He's ReLU half, orthogonal products (Saxe et al.).

Moments are SymPy integrals of the stated densities; the tie evaluates the subject's closed forms (bounds, variances,
standard deviations) at integer widths against the exact expressions, and the product of exact rational orthogonal
matrices (Pythagorean rotations and reflections) against its exact value.
"""

import math
from functools import reduce

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import Scope, ensure, evidence

n_in, n_out, n = sp.symbols("n_in n_out n", positive=True, integer=True)
a, w = sp.Symbol("a", positive=True), sp.Symbol("w", real=True)
WIDTHS = [(1, 1), (1, 7), (3, 5), (16, 16), (64, 10), (300, 1000), (4096, 1)]


def _uniform_var():
    """Var[U[−a, a]] = ∫ w²/(2a) dw = a²/3 (the mean is 0 by symmetry)."""
    mean = sp.integrate(w / (2 * a), (w, -a, a))
    var = sp.integrate(w ** 2 / (2 * a), (w, -a, a)) - mean ** 2
    ensure(mean == 0 and sp.cancel(var - a ** 2 / 3) == 0, f"Var[U[−a, a]] = {var}, not a²/3")
    return var


def _tie(label, fn, expr, args_list):
    for args in args_list:                                          # {symbol: value}, in the function's argument order
        S.agree(f"{label}{tuple(args.values())}", fn(*args.values()), float(expr.subs(args)))


@evidence("INIT-GLOROT-COMPROMISE", "proof")
def init_glorot_compromise_proof(s, ctx):
    var = 2 / (n_in + n_out)
    fwd, bwd = n_in * var, n_out * var                              # Var[y]/E[x²] and Var[δ_in]/E[δ_out²]
    ensure(sp.solve(sp.Eq(fwd, 1), n_in) == [n_out] and sp.solve(sp.Eq(bwd, 1), n_out) == [n_in], "factors are 1 only at n_in = n_out")
    ensure(sp.cancel(fwd + bwd - 2) == 0, "the two factors do not average to 1")
    _tie("glorot_var", s.glorot_var, var, [{n_in: i, n_out: o} for i, o in WIDTHS])
    return ("Var[W] = 2/(n_in + n_out) gives forward factor 2n_in/(n_in+n_out) and backward 2n_out/(n_in+n_out): both 1 iff n_in = n_out",
            ("Var[y] = n_in Var[W] E[x²] and Var[δ_in] = n_out Var[W] E[δ_out²] (independent zero-mean weights); SymPy solves each "
            "factor = 1 to n_in = n_out, and the two factors sum to 2 (the harmonic compromise). "
            f"Tie: subject glorot_var at {len(WIDTHS)} width pairs equals 2/(n_in+n_out) {S.within()}. {S.versions()}."))


@evidence("INIT-GLOROT-UNIFORM-VARIANCE", "proof")
def init_glorot_uniform_variance_proof(s, ctx):
    var = _uniform_var()
    bound = sp.sqrt(6) / sp.sqrt(n_in + n_out)
    ensure(sp.simplify(var.subs(a, bound) - 2 / (n_in + n_out)) == 0, "a = √6/√(n_in+n_out) does not give 2/(n_in+n_out)")
    _tie("bound", s.bound, bound, [{n_in: i, n_out: o} for i, o in WIDTHS])
    rng = np.random.default_rng(0)
    for i, o in WIDTHS[:3]:                                         # the sampler's support is [−a, a] with both signs
        aa = float(bound.subs({n_in: i, n_out: o}))
        x = np.asarray(s.sample(rng, aa, 2000), float)
        ensure(x.min() >= -aa and x.max() <= aa and x.min() < -aa / 2 and x.max() > aa / 2,
               f"subject sample(a = {aa:g}) does not draw over [−a, a] (min {x.min():g}, max {x.max():g})")
    return ("W ~ U[−a, a] has Var[W] = a²/3 (SymPy integral), so a = √6/√(n_in+n_out) gives exactly 2/(n_in+n_out)",
            (f"SymPy integrates the uniform density: mean 0, second moment a²/3; substituting Glorot's a gives 2/(n_in+n_out). "
            f"Tie: subject bound at {len(WIDTHS)} width pairs {S.within()}; subject sample's 2000 draws "
            f"(seed 0) cover both halves of [−a, a] and stay inside it (a support check, not a moment estimate). {S.versions()}."))


@evidence("INIT-GLOROT-STANDARD-THIRD", "proof")
def init_glorot_standard_third_proof(s, ctx):
    var = _uniform_var()
    ensure(sp.simplify(n * var.subs(a, 1 / sp.sqrt(n)) - sp.Rational(1, 3)) == 0, "n·Var[U[−1/√n, 1/√n]] ≠ 1/3")
    k = sp.Symbol("k", positive=True, integer=True)
    ensure(sp.simplify(sp.Rational(1, 3) ** k - 3 ** (-k)) == 0, "3^(−k)")
    _tie("bound", s.bound, 1 / sp.sqrt(n), [{n: v} for v in (1, 2, 3, 10, 256, 4096)])
    return ("W ~ U[−1/√n, 1/√n] gives n·Var[W] = n·(1/n)/3 = 1/3, so with equal widths the back-propagated variance shrinks by 3 per layer",
            ("SymPy: Var[U[−a, a]] = a²/3 at a = 1/√n, times n; k linear layers of equal width multiply E‖δ‖² by (1/3)^k "
            f"(independence, zero mean). Tie: subject bound at n ∈ {{1, 2, 3, 10, 256, 4096}} equals 1/√n {S.within()}. {S.versions()}."))


@evidence("INIT-HE-RELU-HALF", "proof")
def init_he_relu_half_proof(s, ctx):
    y = sp.Symbol("y", real=True)
    relu = sp.Piecewise((y, y > 0), (0, True))
    for v in (-3, -1, sp.Rational(-1, 2), 0, sp.Rational(1, 2), 2):   # relu(y)² + relu(−y)² = y² on both pieces
        ensure((relu ** 2 + relu.subs(y, -y) ** 2 - y ** 2).subs(y, v) == 0, "relu(y)² + relu(−y)² ≠ y²")
    sd = sp.Symbol("s", positive=True)
    pdf = sp.exp(-y ** 2 / (2 * sd ** 2)) / (sd * sp.sqrt(2 * sp.pi))
    G2 = -sd ** 2 * y * pdf + sd ** 2 / 2 * sp.erf(y / (sd * sp.sqrt(2)))   # antiderivatives (checked by differentiation)
    G1 = -sd ** 2 * pdf
    ensure(sp.simplify(sp.diff(G2, y) - y ** 2 * pdf) == 0 and sp.simplify(sp.diff(G1, y) - y * pdf) == 0, "antiderivatives")
    ensure(sp.limit(G2, y, sp.oo) - G2.subs(y, 0) == sd ** 2 / 2, "E[relu(y)²] ≠ s²/2 for N(0, s²)")
    ensure(sp.simplify(sp.limit(G1, y, sp.oo) - G1.subs(y, 0) - sd / sp.sqrt(2 * sp.pi)) == 0, "E[relu(y)] ≠ s/√(2π)")
    ys = S.points(40, seed=12, lo=-4, hi=4)
    got = np.asarray(s.relu(ys), float)
    ensure(np.array_equal(got, np.where(ys > 0, ys, 0.0)), "subject relu is not max(y, 0) exactly")
    ensure(np.array_equal(got ** 2 + np.asarray(s.relu(-ys), float) ** 2, ys ** 2), "relu(y)² + relu(−y)² ≠ y² in the subject")
    return ("y symmetric about 0 ⇒ E[relu(y)²] = ½E[y²] = ½Var[y], since relu(y)² + relu(−y)² = y² and y, −y have the same law",
            ("The pointwise identity holds on both pieces (SymPy); taking expectations and using the symmetry E[relu(y)²] = "
            "E[relu(−y)²] gives half. For N(0, s²) antiderivatives checked by differentiation give ∫_0^∞ y²φ_s = s²/2 and "
            "E[relu(y)] = s/√(2π) ≠ 0. Tie: subject relu "
            f"equals max(y, 0) and satisfies the identity bit for bit at 40 exact points. {S.versions()}."))


@evidence("INIT-HE-VARIANCE-PRESERVED", "proof")
def init_he_variance_preserved_proof(s, ctx):
    V, nl, varw = sp.symbols("V n_l v_w", positive=True)
    nxt = nl * varw * V / 2                                          # Var[y_l] = n_l Var[w] E[x²], E[x²] = Var[y_(l−1)]/2
    ensure(sp.cancel(nxt.subs(varw, 2 / nl) - V) == 0, "Var[w] = 2/n does not preserve the variance")
    ensure(sp.cancel(nxt.subs(varw, 1 / nl) - V / 2) == 0, "Var[w] = 1/n does not halve it")
    for v in (1, 2, 3, 10, 256, 4096):
        S.agree(f"he_std({v})", s.he_std(v), math.sqrt(2.0 / v))
        S.agree(f"he_std({v})²·n", s.he_std(v) ** 2 * v, 2.0)
    return ("Var[y_l] = ½ n_l Var[w_l] Var[y_(l−1)] (ReLU half, INIT-HE-RELU-HALF), so Var[w] = 2/n keeps it for every depth; 1/n halves it per layer",
            ("SymPy substitutes Var[w] = 2/n and 1/n into the one-layer recursion; every depth by induction. Tie: subject he_std at "
            f"n ∈ {{1, 2, 3, 10, 256, 4096}} equals √(2/n) and he_std²·n = 2 {S.within()}. {S.versions()}."))


def _pythagorean():
    """Exact rational orthogonal 2×2 and 3×3 matrices: rotations by Pythagorean triples and a reflection."""
    R = lambda p, q, r: sp.Matrix([[sp.Rational(p, r), -sp.Rational(q, r)], [sp.Rational(q, r), sp.Rational(p, r)]])
    Q2 = [R(3, 4, 5), R(5, 12, 13), sp.Matrix([[sp.Rational(8, 17), sp.Rational(15, 17)], [sp.Rational(15, 17), -sp.Rational(8, 17)]]), R(7, 24, 25)]
    c1 = sp.Matrix([[1, 0, 0], [0, sp.Rational(3, 5), -sp.Rational(4, 5)], [0, sp.Rational(4, 5), sp.Rational(3, 5)]])
    c2 = sp.Matrix([[sp.Rational(5, 13), 0, sp.Rational(12, 13)], [0, 1, 0], [-sp.Rational(12, 13), 0, sp.Rational(5, 13)]])
    return Q2, [c1, c2, c1.T, c2 * c1]


@evidence("INIT-SAXE-ORTHOGONAL-ISOMETRY", "proof")
def init_saxe_orthogonal_isometry_proof(s, ctx):
    A, B = sp.MatrixSymbol("A", 3, 3), sp.MatrixSymbol("B", 3, 3)
    # (AB)ᵀ(AB) = Bᵀ(AᵀA)B = BᵀB = I when AᵀA = BᵀB = I: one step of the induction over the depth L
    prod = ((A * B).T * (A * B)).doit()
    ensure(prod == B.T * A.T * A * B, "(AB)ᵀ(AB) ≠ BᵀAᵀAB")
    for Qs in _pythagorean():
        for Q in Qs:
            ensure(Q.T * Q == sp.eye(Q.shape[0]), "a test matrix is not orthogonal")
        exact = reduce(lambda P, W: W * P, Qs, sp.eye(Qs[0].shape[0]))     # W_L ⋯ W_1
        ensure(exact.T * exact == sp.eye(exact.shape[0]), "the exact product is not orthogonal")
        Ws = [s.gain * np.array(Q.tolist(), dtype=float) for Q in Qs]
        got = np.asarray(s.product(Ws), float)
        S.agree("product W_L⋯W_1 (gain applied)", got, np.array(exact.tolist(), dtype=float))
        sv = np.linalg.svd(got, compute_uv=False)
        ensure(np.allclose(sv, 1.0, rtol=0, atol=256 * np.finfo(float).eps * len(Qs)), f"singular values {sv} are not 1")
    return ("W_iᵀW_i = I for all i ⇒ (W_L⋯W_1)ᵀ(W_L⋯W_1) = I: every singular value of the deep linear Jacobian is 1, at every depth",
            ("(AB)ᵀ(AB) = Bᵀ(AᵀA)B = BᵀB = I (SymPy, matrix symbols), so the product of orthogonal matrices is orthogonal by "
            "induction over L, and an orthogonal matrix has all singular values 1. Tie: subject product (with subject gain applied) "
            "of exact rational orthogonal stacks (four 2×2 rotations/reflections, four 3×3 rotations) equals the exact product "
            f"W_L⋯W_1 {S.within()}. {S.versions()}."))


@evidence("INIT-SAXE-GAUSSIAN-SPREAD", "proof")
def init_saxe_gaussian_spread_proof(s, ctx):
    """E‖Wv‖² = ‖v‖² for iid N(0, 1/n) entries (every depth by conditioning); a Gaussian product is a.s. not an isometry."""
    nn = 3
    Wm, v = sp.Matrix(nn, nn, lambda i, j: sp.Symbol(f"W{i}{j}")), sp.Matrix(nn, 1, lambda i, _: sp.Symbol(f"v{i}"))
    sq = sp.expand(((Wm * v).T * (Wm * v))[0, 0])
    poly = sp.Poly(sq, *list(Wm))
    mean = 0
    for monom, coeff in poly.terms():                                # E[W_ij²] = 1/n, E[W_ij W_kl] = 0 otherwise (independent, mean 0)
        mean += coeff * (sp.Rational(1, nn) if sorted(monom) == [0] * (nn * nn - 1) + [2] else 0)
    ensure(sp.expand(mean - (v.T * v)[0, 0]) == 0, f"E‖Wv‖² = {mean}, not ‖v‖²")
    Qs = _pythagorean()[1]
    Ws = np.stack([np.array(Q.tolist(), dtype=float)[None] for Q in Qs])   # shape (L, 1, 3, 3)
    exact = reduce(lambda P, W: W * P, Qs, sp.eye(3))
    S.agree("batched product W_L⋯W_1", np.asarray(s.product(Ws), float)[0], np.array(exact.tolist(), dtype=float))
    rng = np.random.default_rng(0)
    draws = np.asarray(s.init(rng, 4, 8), float)
    sv = np.linalg.svd(draws, compute_uv=False)
    ensure(np.all(sv[:, 0] / sv[:, -1] > 1.0 + 1e-6), "subject init drew an isometry (σ_max/σ_min = 1)")
    return ("W iid N(0, 1/n): E‖Wv‖² = ‖v‖² exactly (SymPy, n = 3), hence E‖W_L⋯W_1v‖² = ‖v‖² at every depth; the product is almost surely not an isometry",
            ("SymPy expands ‖Wv‖² and takes the expectation monomial by monomial (E W_ij² = 1/n, mixed moments 0): ‖v‖² for "
            "n = 3; every n by the same computation (n rows of ‖v‖²/n); every depth by conditioning on the first L − 1 factors. "
            "Orthogonal matrices form a null set of dimension n(n−1)/2 < n², so a Gaussian draw (and product) is a.s. not an "
            "isometry. Not covered here: that the spread grows with depth (the property level). Tie: subject product of exact "
            f"rational rotations equals W_L⋯W_1 {S.within()}; subject init's 8 draws (seed 0, n = 4) "
            f"all have σ_max/σ_min > 1. {S.versions()}."))
