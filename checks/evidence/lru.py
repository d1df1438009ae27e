"""Proofs about the LRU's normalisation and the curse of memory (spec/claims/lru.toml), for every horizon T (or t).

Both are sums over the horizon with a symbolic upper limit (SymPy ``Sum``/``summation``), so they hold for every T; the
variance of a linear function of white noise is the double sum with E[x_i x_j] = δ_ij (``KroneckerDelta``).
"""

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S
from vanishing.models import lru

k, j, i, T = sp.symbols("k j i T", integer=True, positive=True)
r, q = sp.symbols("r q", positive=True)


@evidence("LRU-GAMMA-NORMALISATION", "proof", statement={"gamma_sq": 1 - r ** 2},
          wrong={"γ = 1 − |λ|": {"gamma_sq": (1 - r) ** 2}, "γ = 1": {"gamma_sq": sp.Integer(1)}})
def lru_gamma_normalisation_proof(s, ctx):
    """γ²·Σ_{k<T} |λ|^{2k} = 1 − |λ|^{2T} for every T, → 1 as T → ∞: the stationary variance is ‖B_j‖², free of λ."""
    g2 = ctx.st.gamma_sq
    # Lemma (induction over T): S_T = Σ_(k<T) r^(2k) = (1 − r^(2T))/(1 − r²). Base T = 1: S_1 = 1. Step: S_(T+1) = S_T + r^(2T).
    closed = lambda n: (1 - r ** (2 * n)) / (1 - r ** 2)
    ensure(sp.simplify(closed(1) - 1) == 0, "the geometric lemma's base case S_1 = 1 fails")
    ensure(sp.simplify(closed(T) + r ** (2 * T) - closed(T + 1)) == 0, "the geometric lemma's step S_T + r^(2T) = S_(T+1) fails")
    var_T = sp.simplify(g2 * closed(T))
    ensure(sp.simplify(var_T - (1 - r ** (2 * T))) == 0, f"γ²·S_T = {var_T} is not 1 − r^(2T) (γ² = {g2})")
    # the variance of Σ_k c_k u_(T−k) for white unit-variance u: Σ_i Σ_j c_i c_j δ_ij = Σ_i c_i²
    c = sp.IndexedBase("c")
    inner = sp.Sum(c[i] * c[j] * sp.KroneckerDelta(i, j), (j, 0, T - 1)).doit()      # Piecewise((c_i², i ≤ T − 1), (0, True))
    ensure(isinstance(inner, sp.Piecewise) and inner.args[0][1] == (i <= T - 1) and sp.simplify(inner.args[0][0] - c[i] ** 2) == 0,
           f"Σ_j c_i c_j δ_ij = {inner} is not c_i² on 0 ≤ i ≤ T − 1")   # the condition is the outer sum's own range
    p = s.init_params(4, 2, np.random.default_rng(5), 0.3, 0.99)
    with mpmath.workdps(S.MP_DPS):
        want = [float(mpmath.log(mpmath.sqrt(1 - mpmath.exp(-2 * mpmath.exp(mpmath.mpf(float(v))))))) for v in p["nu_log"]]
    S.agree("γ_log of init_params", p["gamma_log"], want)
    return ("γ = √(1 − |λ|²): γ²Σ_(k<T)|λ|^(2k) = 1 − |λ|^(2T) → 1 for every T (SymPy), so E|x_T,j|² = ‖B_j‖²(1 − |λ_j|^(2T))",
            (f"SymPy proves Σ_(k<T) r^(2k) = (1 − r^(2T))/(1 − r²) by induction over T (base and step) and simplifies γ²·Σ − (1 − r^(2T)) to 0 for γ² = 1 − r², r > 0; "
             "white noise turns the variance into Σ c_k² (the double sum with KroneckerDelta, symbolic T), with c_k = λ^k γ B_j. "
             f"Tie: init_params' γ_log at 4 eigenvalues equals log √(1 − e^(−2e^ν)) in mpmath {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("|λ| = r ∈ (0, 1)", "u white with unit variance", "x_0 = 0"),
                  steps=("SymPy, induction over T: S_1 = 1 and S_T + r^(2T) = S_(T+1) for S_T = (1 − r^(2T))/(1 − r²)",
                         "SymPy: γ²·S_T − (1 − r^(2T)) simplifies to 0 for γ² = 1 − r² (symbolic T)",
                         "SymPy: Σ_j c_i c_j δ_ij (KroneckerDelta) = c_i² on the outer range 0 ≤ i ≤ T − 1 (symbolic T)"),
                  tied=("models.lru.init_params: γ_log at 4 ring-drawn eigenvalues (seed 5)",)))


@evidence("LRU-CURSE-OF-MEMORY", "proof", statement={"power": 3}, wrong={"(1 − λ²)²": {"power": 2}, "(1 − λ²)⁴": {"power": 4}})
def lru_curse_of_memory_proof(s, ctx):
    """∂_λ h_t = Σ_{k=1}^{t−1} kλ^{k−1}x_{t−k}; Var = Σ k²λ^{2(k−1)} ↑ (1 + λ²)/(1 − λ²)^power, power = 3, for |λ| < 1."""
    lam, t = sp.Symbol("lambda", real=True), sp.Symbol("t", integer=True, positive=True)
    x = sp.IndexedBase("x")
    h = sp.Sum(lam ** k * x[t - k], (k, 0, t - 1))                    # h_t = Σ_k λ^k x_(t−k) from h_0 = 0 (unrolled)
    dh = sp.diff(h, lam)
    # SymPy differentiates the Sum termwise: the same limits, and the summand kλ^(k−1) x_(t−k)
    ensure(isinstance(dh, sp.Sum) and dh.limits == ((k, 0, t - 1),)
           and sp.simplify(sp.powsimp(dh.function - k * lam ** (k - 1) * x[t - k], force=True)) == 0, "∂/∂λ Σ λ^k x_(t−k) is not Σ kλ^(k−1) x_(t−k)")
    # Σ_(k≥0) q^k = 1/(1 − q) for |q| < 1; differentiating a power series termwise inside its radius of convergence,
    # Σ_(k≥1) k q^(k−1) = G′ and Σ_(k≥1) k² q^(k−1) = (q·G′)′: the t → ∞ variance, q = λ²
    G = 1 / (1 - q)
    full = sp.diff(q * sp.diff(G, q), q)
    series = sp.series(full, q, 0, 5).removeO()                            # its first terms must be k² for k = 1..5
    ensure(all(series.coeff(q, kk - 1) == kk ** 2 for kk in range(1, 6)), f"(qG′)′ does not start Σ k² q^(k−1): {series}")
    ensure(sp.cancel(full - (1 + q) / (1 - q) ** ctx.st.power) == 0,
           f"Σ_(k≥1) k² q^(k−1) = {sp.factor(full)} is not (1 + q)/(1 − q)^{ctx.st.power}")
    for lv, tv in ((sp.Rational(1, 2), 7), (sp.Rational(-3, 4), 5), (sp.Rational(9, 10), 12)):
        got = np.asarray(s.closed(float(lv), tv), dtype=np.float64)
        want = [float(kk * lv ** (kk - 1)) for kk in range(tv - 1, 0, -1)] + [0.0]
        S.agree(f"coefficients of ∂h_t/∂λ (λ = {lv}, t = {tv})", got, want)
    return ("Var(∂h_t/∂λ) = Σ_(k<t) k²λ^(2(k−1)), increasing to (1 + λ²)/(1 − λ²)³ for every t as t → ∞ (SymPy)",
            ("SymPy differentiates the unrolled h_t = Σ_k λ^k x_(t−k) (symbolic t, IndexedBase x) to Σ kλ^(k−1)x_(t−k); white "
             "noise makes its variance the sum of the squared coefficients (as in LRU-GAMMA-NORMALISATION's proof), whose terms "
             "are positive, so it increases with t to Σ_(k≥1) k²q^(k−1) = (q·G′)′ = (1 + q)/(1 − q)³, G = 1/(1 − q), q = λ² < 1 "
             "(termwise differentiation of the geometric series inside its radius of convergence). "
             f"Tie: the subject's coefficients at 3 exact (λ, t) equal kλ^(k−1) {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("|λ| < 1", "x white with unit variance", "h_0 = 0"),
                  steps=("SymPy: ∂/∂λ Sum(λ^k x[t−k], (k, 0, t − 1)) − Sum(kλ^(k−1) x[t−k]): the same limits, summands agree (symbolic t)",
                         "SymPy: (q·G′)′ with G = 1/(1 − q) (termwise differentiation of Σ q^k, |q| < 1) begins 1 + 4q + 9q² + …",
                         f"SymPy: (q·G′)′ − (1 + q)/(1 − q)^{ctx.st.power} cancels to 0"),
                  tied=("checks.claims.lru closed coefficients at (λ, t) = (1/2, 7), (−3/4, 5), (9/10, 12)",)))


@evidence("LRU-STATE-JACOBIAN", "proof", statement={"sign": -1}, wrong={"the conjugate λ̄": {"sign": 1}})
def lru_state_jacobian_proof(s, ctx):
    """Multiplication by λ = a + ib on x = u + iv has the real Jacobian [[a, sign·b], [b, a]], sign = −1; |λ|² = r²."""
    a, b, u, v, rr, th = sp.symbols("a b u v r theta", real=True)
    prod = sp.expand((a + sp.I * b) * (u + sp.I * v))
    re, im = prod.subs(sp.I, 0), prod.coeff(sp.I)                       # prod = re + i·im with re, im free of i (a, b, u, v real)
    ensure(sp.expand(re + sp.I * im - prod) == 0, "the split of λx into real and imaginary parts is wrong")
    J = sp.Matrix([re, im]).jacobian([u, v])
    ensure(sp.simplify(J - sp.Matrix([[a, ctx.st.sign * b], [-ctx.st.sign * b, a]])) == sp.zeros(2, 2),
           f"the real Jacobian of x ↦ λx is {J.tolist()}, not [[a, {ctx.st.sign}·b], [{-ctx.st.sign}·b, a]]")
    ensure(sp.simplify((rr * sp.cos(th)) ** 2 + (rr * sp.sin(th)) ** 2 - rr ** 2) == 0, "|r e^(iθ)|² is not r²")
    p = {k: S.points(sh, seed=n + 40, lo=-2, hi=2) for n, (k, sh) in enumerate(lru.param_shapes(3, 2).items())}
    hr, hi, x = S.points(3, seed=1), S.points(3, seed=2), S.points(2, seed=3)
    got = s.step_jacobian(p, hr, hi, x)
    with mpmath.workdps(S.MP_DPS):
        r = [mpmath.exp(-mpmath.exp(mpmath.mpf(float(t)))) for t in p["nu_log"]]
        ang = [mpmath.exp(mpmath.mpf(float(t))) for t in p["theta_log"]]
        lr = [float(q * mpmath.cos(t)) for q, t in zip(r, ang)]
        li = [float(q * mpmath.sin(t)) for q, t in zip(r, ang)]
    want = np.block([[np.diag(lr), -np.diag(li)], [np.diag(li), np.diag(lr)]])
    S.agree("step_jacobian vs the real form of diag(λ)", got, want)
    return ("∂x_k/∂x_(k−1) = diag(λ), as [[Re λ, −Im λ], [Im λ, Re λ]] entrywise for every H; |λ| = r (SymPy)",
            ("SymPy expands (a + ib)(u + iv) and differentiates its real and imaginary parts by (u, v): [[a, −b], [b, a]], the "
             "entrywise block of the diagonal complex map, so every H; |r e^(iθ)|² simplifies to r². "
             f"Tie: step_jacobian at an exact point, H = 3, D = 2, equals the block form of diag(λ) in mpmath {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("λ = r e^(iθ), r = e^(−e^ν)",),
                  steps=("SymPy: jacobian([Re λx, Im λx], [u, v]) − [[a, −b], [b, a]] simplifies to 0",
                         "SymPy: (r cos θ)² + (r sin θ)² − r² simplifies to 0"),
                  tied=("models.lru.step_jacobian (the hand-derived Jacobian; step itself is tied to it by the property check) at one exact point, H = 3, D = 2",)))
