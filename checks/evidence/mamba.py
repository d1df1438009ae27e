"""Proofs about S6's discretisation (spec/claims/mamba.toml): the simplified B̄ = ΔB against the zero-order hold.

Diagonal A: every entry (d, n) is the same scalar computation in z = Δ_d A_dn and B_n, so the scalar derivation holds for
every N and D.
"""

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S

z, th = sp.symbols("z theta", real=True)


@evidence("MAMBA-BBAR-EULER-ORDER", "proof", statement={"lead": sp.Rational(1, 2), "rem": sp.Rational(1, 6)},
          wrong={"lead 1": {"lead": sp.Integer(1)}, "remainder ≤ z²/24": {"rem": sp.Rational(1, 24)}})
def mamba_bbar_euler_order_proof(s, ctx):
    """φ₁(z) = (e^z − 1)/z = 1 + lead·z + z²φ₃(z), 0 < φ₃(z) ≤ rem for z ≤ 0: B̄_ZOH − ΔB = ΔB(φ₁(ΔA) − 1)."""
    phi1 = (sp.exp(z) - 1) / z
    phi3 = (sp.exp(z) - 1 - z - z ** 2 / 2) / z ** 3                          # φ₃(z), the remainder after 1 + z/2
    ensure(sp.expand(phi1 - (1 + ctx.st.lead * z) - z ** 2 * phi3) == 0,
           f"φ₁(z) − 1 − {ctx.st.lead}·z is not z²φ₃(z): the first-order coefficient of φ₁ is 1/2")
    # φ₃(z) = ∫_0^1 e^{(1−θ)z} θ²/2 dθ: an antiderivative checked by differentiation, then evaluated at θ = 1 and 0
    F = sp.exp((1 - th) * z) * th ** 2 / 2
    anti = -sp.exp((1 - th) * z) * (th ** 2 / (2 * z) + th / z ** 2 + 1 / z ** 3)
    ensure(sp.expand(sp.diff(anti, th) - F) == 0, "the antiderivative of e^((1−θ)z)θ²/2 is wrong")
    ensure(sp.expand(anti.subs(th, 1) - anti.subs(th, 0) - phi3) == 0, "φ₁(z) − 1 − z/2 is not z²·∫_0^1 e^((1−θ)z) θ²/2 dθ")
    # for z ≤ 0 the integrand lies in (0, θ²/2]: with u = (1−θ)z ≤ 0 (θ ∈ [0, 1]), 0 < e^u ≤ 1 exactly on u ≤ 0 (SymPy
    # solves the inequality), so 0 < φ₃(z) ≤ ∫_0^1 θ²/2 dθ, which must be the stated remainder constant
    u = sp.Symbol("u", real=True)
    ensure(sp.exp(u).is_positive, "e^u > 0 is not established")
    ensure(sp.solve_univariate_inequality(sp.exp(u) <= 1, u, relational=False) == sp.Interval(-sp.oo, 0),
           "e^u ≤ 1 does not hold exactly on u ≤ 0")
    one_minus_th, z_neg = sp.Symbol("w", nonnegative=True), sp.Symbol("z_neg", nonpositive=True)   # 1 − θ ≥ 0, z ≤ 0
    ensure((one_minus_th * z_neg).is_nonpositive, "u = (1−θ)z is not ≤ 0 for θ ∈ [0, 1], z ≤ 0")
    ensure(sp.integrate(th ** 2 / 2, (th, 0, 1)) <= ctx.st.rem, f"∫_0^1 θ²/2 dθ = 1/6 exceeds the stated constant {ctx.st.rem}")
    # the tie: B̄_ZOH and B̄ = ΔB from the model at exact points against Δφ₁(ΔA)B and ΔB in mpmath
    p = {"A_log": np.array([[0.0, 1.0, -2.0], [0.5, 2.0, 3.0]]), "W_delta": np.zeros((2, 2)), "b_delta": np.array([-1.0, 0.5]),
         "W_B": np.array([[1.0, 0.0], [0.5, -1.0], [-2.0, 0.25]]), "W_C": np.zeros((3, 2)), "D": np.zeros(2)}
    x = np.array([1.0, 0.5])
    _, _, b_zoh, _ = s.discretize(p, x, "zoh")
    _, _, b_eul, _ = s.discretize(p, x, "euler")
    with mpmath.workdps(S.MP_DPS):
        delta = [mpmath.log(1 + mpmath.exp(mpmath.mpf(float(b)))) for b in p["b_delta"]]
        A = [[-mpmath.exp(mpmath.mpf(float(a))) for a in row] for row in p["A_log"]]
        B = [mpmath.mpf(float(v)) for v in p["W_B"] @ x]
        want_z = [[float(mpmath.expm1(d * a) / a * b) for a, b in zip(row, B)] for d, row in zip(delta, A)]
        want_e = [[float(d * b) for b in B] for d in delta]
    S.agree("B̄ (zoh)", b_zoh, np.array(want_z))
    S.agree("B̄ (euler) = ΔB", b_eul, np.array(want_e))
    return ("B̄_ZOH − ΔB = ΔB(φ₁(ΔA) − 1) = ½Δ²AB + Δ³A²Bφ₃(ΔA), 0 < φ₃ ≤ 1/6 for ΔA ≤ 0 (SymPy): second order in Δ",
            ("SymPy: φ₁(z) = (e^z − 1)/z = 1 + z/2 + z²φ₃(z) with φ₃(z) = ∫_0^1 e^((1−θ)z)θ²/2 dθ (an antiderivative checked by "
             "differentiation); for z ≤ 0 the integrand is in (0, θ²/2], so 0 < φ₃ ≤ 1/6. "
             "Entrywise for diagonal A, so every N and D. "
             f"Tie: discretize (zoh and euler) at an exact point, D = 2, N = 3, equals Δφ₁(ΔA)B and ΔB in mpmath {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("A diagonal, A < 0", "Δ ≥ 0"),
                  steps=(f"SymPy: (e^z − 1)/z − 1 − {ctx.st.lead}·z − z²φ₃(z) expands to 0, φ₃(z) = (e^z − 1 − z − z²/2)/z³",
                         "SymPy: d/dθ of the antiderivative minus e^((1−θ)z)θ²/2 expands to 0, and its values at θ = 1, 0 give φ₃",
                         f"SymPy: ∫_0^1 θ²/2 dθ = 1/6 ≤ {ctx.st.rem} (the integrand's bound for z ≤ 0)"),
                  tied=("models.mamba.discretize (zoh, euler) at one exact input, D = 2, N = 3",)))


@evidence("MAMBA-STATE-JACOBIAN-CONTRACTS", "proof", statement={"bound": sp.Integer(1)}, wrong={"bound 1/2": {"bound": sp.Rational(1, 2)}})
def mamba_state_jacobian_contracts_proof(s, ctx):
    """∂(Ā_i h_i + u_i)/∂h_j = Ā_i δ_ij (every size); Ā = e^{−w} with w = −ΔA ≥ 0 lies in (0, bound], bound = 1."""
    Ab, h, u = sp.IndexedBase("Abar"), sp.IndexedBase("h"), sp.IndexedBase("u")
    i, j = sp.symbols("i j", integer=True)
    ensure(sp.simplify(sp.diff(Ab[i] * h[i] + u[i], h[j]) - Ab[i] * sp.KroneckerDelta(i, j)) == 0, "∂(Ā_i h_i + u_i)/∂h_j is not Ā_i δ_ij")
    w = sp.Symbol("w", nonnegative=True)
    ensure(sp.exp(-w).is_positive, "e^(−w) is not positive")
    # e^{−w} ≤ bound for every w ≥ 0: e^{−w} is decreasing (derivative −e^{−w} < 0), so its supremum is its value at w = 0
    ensure((-sp.diff(sp.exp(-w), w)).is_positive and sp.exp(-w).subs(w, 0) <= ctx.st.bound,
           f"sup_(w≥0) e^(−w) = e^0 = 1 exceeds the stated bound {ctx.st.bound}")
    p = {"A_log": np.array([[0.0, 1.0, -2.0], [0.5, 2.0, 3.0]]), "W_delta": np.array([[0.5, 0.0], [0.25, -1.0]]),
         "b_delta": np.array([-1.0, 0.5]), "W_B": np.ones((3, 2)), "W_C": np.ones((3, 2)), "D": np.zeros(2)}
    x, h0 = np.array([1.0, 0.5]), S.points((2, 3), seed=2)
    got = s.state_jacobian(p, h0, x, "euler")
    with mpmath.workdps(S.MP_DPS):
        delta = [mpmath.log(1 + mpmath.exp(mpmath.mpf(float(v)))) for v in p["W_delta"] @ x + p["b_delta"]]
        want = np.diag([float(mpmath.exp(-d * mpmath.exp(mpmath.mpf(float(a))))) for d, row in zip(delta, p["A_log"]) for a in row])
    S.agree("state_jacobian vs diag(exp(ΔA))", got, want)
    return ("∂h_t/∂h_(t−1) = diag(exp(Δ_t A)) for every size, each entry in (0, 1] for ΔA ≤ 0 (SymPy)",
            ("SymPy differentiates Ā[i]h[i] + u[i] by h[j] (symbolic indices) to Ā[i]·KroneckerDelta(i, j); e^(−w) is positive and "
             "decreasing for w ≥ 0 (its derivative −e^(−w) < 0), so its supremum is e^0 = 1, and a product of such diagonals "
             f"has norm ≤ 1. Tie: state_jacobian at an exact point, D = 2, N = 3, equals diag(exp(ΔA)) in mpmath {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("A < 0 diagonal", "Δ ≥ 0 (softplus)"),
                  steps=("SymPy: diff(Ā[i]h[i] + u[i], h[j]) − Ā[i]·KroneckerDelta(i, j) simplifies to 0",
                         "SymPy: e^(−w) > 0 and −d/dw e^(−w) > 0 for w ≥ 0; e^0 = 1 ≤ the stated bound"),
                  tied=("models.mamba.state_jacobian (the hand-derived Jacobian; step itself is tied to it by the property check) at one exact point, D = 2, N = 3",)))
