"""Proofs about initialisation: Glorot's variances, He's ReLU half, orthogonal products (Saxe et al.).

Moments are SymPy integrals of the stated densities; the tie evaluates the subject's closed forms (bounds, variances,
standard deviations) at integer widths against the exact expressions, and the product of exact rational orthogonal
matrices (Pythagorean rotations and reflections) against its exact value.
"""

from functools import reduce

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S

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
        S.agree(f"{label}{tuple(args.values())}", fn(*args.values()), float(sp.N(expr.subs(args), S.MP_DPS)))


def _scope(steps, tied, hyp=()):
    return Scope(sizes="every", steps=tuple(steps), tied=tuple(tied), hypotheses=tuple(hyp) or ("independent zero-mean weights",))


@evidence("INIT-GLOROT-COMPROMISE", "proof", statement={"var": 2 / (n_in + n_out)},
          wrong={"Var = 1/(n_in + n_out)": {"var": 1 / (n_in + n_out)}})
def init_glorot_compromise_proof(s, ctx):
    var = ctx.st.var
    fwd, bwd = n_in * var, n_out * var                              # Var[y]/E[x²] and Var[δ_in]/E[δ_out²]
    ensure(sp.solve(sp.Eq(fwd, 1), n_in) == [n_out] and sp.solve(sp.Eq(bwd, 1), n_out) == [n_in], "factors are 1 only at n_in = n_out")
    ensure(sp.cancel(fwd + bwd - 2) == 0, "the two factors do not average to 1")
    _tie("glorot_var", s.glorot_var, var, [{n_in: i, n_out: o} for i, o in WIDTHS])
    return ("Var[W] = 2/(n_in + n_out) gives forward factor 2n_in/(n_in+n_out) and backward 2n_out/(n_in+n_out): both 1 iff n_in = n_out",
            ("Var[y] = n_in Var[W] E[x²] and Var[δ_in] = n_out Var[W] E[δ_out²] (independent zero-mean weights); SymPy solves each "
            "factor = 1 to n_in = n_out, and the two factors sum to 2 (the harmonic compromise). "
            f"Tie: subject glorot_var at {len(WIDTHS)} width pairs equals 2/(n_in+n_out) {S.within()}. {S.versions()}."),
            _scope(["SymPy, n_in, n_out symbolic: each factor is 1 only at n_in = n_out, and the two sum to 2"],
                   [f"models.init glorot_variance at {len(WIDTHS)} width pairs, 1×1 to 4096×1"]))


@evidence("INIT-GLOROT-UNIFORM-VARIANCE", "proof", statement={"bound": sp.sqrt(6) / sp.sqrt(n_in + n_out)},
          wrong={"a = √3/√(n_in + n_out)": {"bound": sp.sqrt(3) / sp.sqrt(n_in + n_out)}})
def init_glorot_uniform_variance_proof(s, ctx):
    var = _uniform_var()
    bound = ctx.st.bound
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
            f"(seed 0) cover both halves of [−a, a] and stay inside it (a support check, not a moment estimate). {S.versions()}."),
            _scope(["SymPy: ∫ w²/(2a) dw over [−a, a] = a²/3, mean 0", "SymPy: a²/3 at the stated a is 2/(n_in + n_out)"],
                   [f"models.init glorot_uniform_bound at {len(WIDTHS)} width pairs", "models.init uniform: support at 3 widths"]))


@evidence("INIT-GLOROT-STANDARD-THIRD", "proof", statement={"third": sp.Rational(1, 3)}, wrong={"n·Var = 1/2": {"third": sp.Rational(1, 2)}})
def init_glorot_standard_third_proof(s, ctx):
    var = _uniform_var()
    ensure(sp.simplify(n * var.subs(a, 1 / sp.sqrt(n)) - ctx.st.third) == 0, f"n·Var[U[−1/√n, 1/√n]] ≠ {ctx.st.third}")
    k = sp.Symbol("k", positive=True, integer=True)
    ensure(sp.simplify(sp.Rational(1, 3) ** k - 3 ** (-k)) == 0, "3^(−k)")
    _tie("bound", s.bound, 1 / sp.sqrt(n), [{n: v} for v in (1, 2, 3, 10, 256, 4096)])
    return ("W ~ U[−1/√n, 1/√n] gives n·Var[W] = n·(1/n)/3 = 1/3, so with equal widths the back-propagated variance shrinks by 3 per layer",
            ("SymPy: Var[U[−a, a]] = a²/3 at a = 1/√n, times n; k linear layers of equal width multiply E‖δ‖² by (1/3)^k "
            f"(independence, zero mean). Tie: subject bound at n ∈ {{1, 2, 3, 10, 256, 4096}} equals 1/√n {S.within()}. {S.versions()}."),
            _scope(["SymPy, n symbolic: n·Var[U[−1/√n, 1/√n]] = 1/3", "SymPy: (1/3)^k = 3^(−k), k symbolic"],
                   ["models.init standard_uniform_bound at n ∈ {1, 2, 3, 10, 256, 4096}"], ("independent zero-mean weights", "linear regime")))


@evidence("INIT-HE-RELU-HALF", "proof", statement={"half": sp.Rational(1, 2)}, wrong={"a quarter": {"half": sp.Rational(1, 4)}})
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
    ensure(sp.limit(G2, y, sp.oo) - G2.subs(y, 0) == ctx.st.half * sd ** 2, f"E[relu(y)²] ≠ {ctx.st.half}·s² for N(0, s²)")
    ensure(sp.simplify(sp.limit(G1, y, sp.oo) - G1.subs(y, 0) - sd / sp.sqrt(2 * sp.pi)) == 0, "E[relu(y)] ≠ s/√(2π)")
    ys = S.points(40, seed=12, lo=-4, hi=4)
    got = np.asarray(s.relu(ys), float)
    ensure(np.array_equal(got, np.where(ys > 0, ys, 0.0)), "subject relu is not max(y, 0) exactly")
    ensure(np.array_equal(got ** 2 + np.asarray(s.relu(-ys), float) ** 2, ys ** 2), "relu(y)² + relu(−y)² ≠ y² in the subject")
    return ("y symmetric about 0 ⇒ E[relu(y)²] = ½E[y²] = ½Var[y], since relu(y)² + relu(−y)² = y² and y, −y have the same law",
            ("The pointwise identity holds on both pieces (SymPy); taking expectations and using the symmetry E[relu(y)²] = "
            "E[relu(−y)²] gives half. For N(0, s²) antiderivatives checked by differentiation give ∫_0^∞ y²φ_s = s²/2 and "
            "E[relu(y)] = s/√(2π) ≠ 0. Tie: subject relu "
            f"equals max(y, 0) and satisfies the identity bit for bit at 40 exact points. {S.versions()}."),
            _scope(["SymPy: relu(y)² + relu(−y)² = y² on both pieces", "SymPy: antiderivatives checked by differentiation; ∫_0^∞ y²φ_s = s²/2, E[relu(y)] = s/√(2π)"],
                   ["models.activations relu at 40 exact points, bit for bit"], ("y symmetric about 0 (N(0, s²) for the moments)",)))


@evidence("INIT-HE-VARIANCE-PRESERVED", "proof", statement={"var": lambda m: 2 / m}, wrong={"Var[w] = 1/n (fan-in without ReLU's 2)": {"var": lambda m: 1 / m}})
def init_he_variance_preserved_proof(s, ctx):
    """Var[y_l] = ½ n_l Var[w_l] Var[y_(l−1)]; with Var[w] = 2/n every factor is 1, so Var[y_L] = Var[y_1] at every depth L."""
    V, nl = sp.symbols("V n_l", positive=True)
    L = sp.Symbol("L", integer=True, positive=True)
    factor = sp.cancel(nl * ctx.st.var(nl) / 2)                      # one layer: Var[y_l] = factor · Var[y_(l−1)]
    ensure(factor == 1, f"one ReLU layer multiplies Var[y] by {factor}, not 1, at the stated Var[w] = {ctx.st.var(nl)}")
    ensure(sp.simplify(factor ** (L - 1) * V - V) == 0 and sp.simplify(factor * factor ** (L - 1) - factor ** L) == 0,
           "induction over the depth: Var[y_L] = factor^(L−1)·Var[y_1] is not Var[y_1]")
    ensure(sp.cancel(nl * (1 / nl) / 2) == sp.Rational(1, 2), "Var[w] = 1/n does not halve the variance per layer")
    ns = (1, 2, 3, 7, 10, 64, 256, 1000, 4096)
    with mpmath.workdps(S.MP_DPS):
        for v in ns:
            S.agree(f"he_std({v})", s.he_std(v), float(mpmath.sqrt(mpmath.mpf(2) / v)))
    return ("Var[y_l] = ½ n_l Var[w_l] Var[y_(l−1)] (ReLU half, INIT-HE-RELU-HALF), so Var[w] = 2/n keeps it at every depth; 1/n halves it per layer",
            ("SymPy, n_l symbolic: the one-layer factor ½ n_l·(2/n_l) is 1, and by induction over the depth Var[y_L] = 1^(L−1)·Var[y_1]. "
             f"Tie: models.init he_std at n ∈ {{{', '.join(map(str, ns))}}} equals √(2/n) (mpmath, {S.MP_DPS} digits) {S.within()}. {S.versions()}."),
            _scope(["SymPy, n_l symbolic: ½ n_l Var[w] = 1 at Var[w] = 2/n_l", "SymPy: induction over the depth L (symbolic)",
                    "SymPy: Var[w] = 1/n gives ½ per layer"],
                   [f"models.init he_std at n ∈ {{{', '.join(map(str, ns))}}} against mpmath"],
                   ("y_l = W_l relu(y_(l−1)), b = 0", "w iid, zero mean, independent of x; y symmetric about 0")))


def _pythagorean():
    """Exact rational orthogonal 2×2 and 3×3 matrices: rotations by Pythagorean triples and a reflection."""
    R = lambda p, q, r: sp.Matrix([[sp.Rational(p, r), -sp.Rational(q, r)], [sp.Rational(q, r), sp.Rational(p, r)]])
    Q2 = [R(3, 4, 5), R(5, 12, 13), sp.Matrix([[sp.Rational(8, 17), sp.Rational(15, 17)], [sp.Rational(15, 17), -sp.Rational(8, 17)]]), R(7, 24, 25)]
    c1 = sp.Matrix([[1, 0, 0], [0, sp.Rational(3, 5), -sp.Rational(4, 5)], [0, sp.Rational(4, 5), sp.Rational(3, 5)]])
    c2 = sp.Matrix([[sp.Rational(5, 13), 0, sp.Rational(12, 13)], [0, 1, 0], [-sp.Rational(12, 13), 0, sp.Rational(5, 13)]])
    return Q2, [c1, c2, c1.T, c2 * c1]


@evidence("INIT-SAXE-ORTHOGONAL-ISOMETRY", "proof", statement={"gain": 1}, wrong={"gain 1.01 is still an isometry": {"gain": sp.Rational(101, 100)}})
def init_saxe_orthogonal_isometry_proof(s, ctx):
    nn_ = sp.Symbol("n", integer=True, positive=True)
    A, B = sp.MatrixSymbol("A", nn_, nn_), sp.MatrixSymbol("B", nn_, nn_)
    # (AB)ᵀ(AB) = Bᵀ(AᵀA)B = BᵀB = I when AᵀA = BᵀB = I: the inductive step over the depth L, for symbolic n
    prod = ((A * B).T * (A * B)).doit()
    ensure(prod == B.T * A.T * A * B, "(AB)ᵀ(AB) ≠ BᵀAᵀAB")
    ensure((B.T * sp.Identity(nn_) * B).doit() == B.T * B, "Bᵀ I B ≠ BᵀB")
    g = sp.nsimplify(ctx.st.gain)
    ensure(g ** 2 == 1, f"(gW)ᵀ(gW) = {g ** 2}·I: gain {g} does not keep the isometry")
    ensure(float(s.gain) == float(g), f"the subject's gain {s.gain} is not the stated {g}")
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
            f"W_L⋯W_1 {S.within()}. {S.versions()}."),
            _scope(["SymPy (MatrixSymbol, n symbolic): (AB)ᵀ(AB) = Bᵀ(AᵀA)B, and BᵀIB = BᵀB: the inductive step over L",
                    "SymPy: (gW)ᵀ(gW) = g²I, so the gain must be ±1"],
                   ["models.init deep_product of exact rational orthogonal stacks (2×2 and 3×3), gain applied"], ("W_iᵀW_i = I for every i",)))


@evidence("INIT-SAXE-GAUSSIAN-SPREAD", "fixed-size", statement={"var": lambda m: sp.Rational(1, m)},
          wrong={"entries N(0, 1/(2n))": {"var": lambda m: sp.Rational(1, 2 * m)}})
def init_saxe_gaussian_spread_proof(s, ctx):
    """E‖Wv‖² = ‖v‖² for iid N(0, 1/n) entries (every depth by conditioning); a Gaussian product is a.s. not an isometry."""
    nn = 3
    Wm, v = sp.Matrix(nn, nn, lambda i, j: sp.Symbol(f"W{i}{j}")), sp.Matrix(nn, 1, lambda i, _: sp.Symbol(f"v{i}"))
    sq = sp.expand(((Wm * v).T * (Wm * v))[0, 0])
    poly = sp.Poly(sq, *list(Wm))
    mean = 0
    for monom, coeff in poly.terms():                                # E[W_ij²] = 1/n, E[W_ij W_kl] = 0 otherwise (independent, mean 0)
        mean += coeff * (ctx.st.var(nn) if sorted(monom) == [0] * (nn * nn - 1) + [2] else 0)
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
            f"all have σ_max/σ_min > 1. {S.versions()}."),
            Scope(sizes=("n=3",), hypotheses=("W iid N(0, 1/n)",),
                  steps=("SymPy: E‖Wv‖² = ‖v‖² monomial by monomial at n = 3", "(prose, not code: the null set of orthogonal matrices)"),
                  tied=("models.init batched_product of exact rotations", "models.init gaussian: 8 draws at n = 4 are not isometries")))
