"""Proofs about Pascanu et al. 2013: the sufficient condition, its two refutations, the printed Jacobian, the two forms.

Every derivation is for a symbolic number of units (SymPy IndexedBase/Sum, _elman.py) and every lag (induction, its
step checked symbolically or by z3); the refutations exhibit witnesses. The ties compare the model's code with the
closed forms at H = 1..8, T up to 6 (mpmath, 50 digits).
"""

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence.jacobians import NORM, NORM_HYP, norm_steps

SUP = {"tanh": sp.Integer(1), "sigmoid": sp.Rational(1, 4), "relu": sp.Integer(1)}


def _sup_holds(sup):
    """Each stated sup|g'| is the maximum: sup − u(1−u) = (sup − 1/4) + (u − 1/2)² with constant 0 (σ), sup − (1 − u²) = u² (tanh)."""
    u = sp.Symbol("u", real=True)
    for name, deriv, square in (("sigmoid", u * (1 - u), (u - sp.Rational(1, 2)) ** 2), ("tanh", 1 - u ** 2, u ** 2)):
        rest = sp.expand(sup[name] - deriv - square)
        ensure(rest.is_number and rest == 0, f"sup|{name}'| = {sup[name]} is not the maximum: the certificate leaves {rest}")
    ensure(sup["relu"] == 1, f"sup|relu'| = {sup['relu']}, but relu' ∈ {{0, 1}}")
    return "SymPy: sup − u(1−u) = (u − 1/2)² (σ, u = σ(x), attained at x = 0) and sup − (1 − u²) = u² (tanh): the suprema 1/4 and 1"


@evidence("RNN-VANISH-SUFFICIENT", "proof", statement={**NORM, "sup": SUP},
          wrong={"γ/2 (rate γ_g'γ_v/2)": {"rate": lambda gg, gv: gg * gv / 2},
                 "γ_σ = 1/2": {"sup": {**SUP, "sigmoid": sp.Rational(1, 2)}}})
def rnn_vanish_sufficient_proof(s, ctx):
    steps = norm_steps(ctx.st) + (_sup_holds(ctx.st.sup),)
    for name, v in ctx.st.sup.items():
        ensure(s.gamma[name] == float(v), f"the subject's γ_g' of {name} is {s.gamma[name]}, the proved supremum is {v}")
    x, y, a, b, nv, p, e = sp.symbols("x y a b nv p e", real=True)
    S.valid("monotone powers, inductive step: 0 ≤ a ≤ b, 0 ≤ x ≤ y ⇒ a x ≤ b y", [a >= 0, a <= b, x >= 0, x <= y], a * x <= b * y)
    S.valid("‖vᵀ∂h_T/∂h_k‖ ≤ ‖v‖‖∂h_T/∂h_k‖ ≤ ‖v‖η^(T−k)", [nv >= 0, p >= 0, p <= e], nv * p <= nv * e)
    u, q = sp.Symbol("u", positive=True), sp.Symbol("q", integer=True, positive=True)
    ensure(sp.limit((1 / (1 + u)) ** q, q, sp.oo) == 0, "η^q does not tend to 0 for η = 1/(1+u) ∈ (0, 1)")
    tied = tuple(E.tie_products_sizes(s.products, act, seed=E.PRODUCT_SEED + 97 * k, thorough=ctx.thorough) for k, act in enumerate(("tanh", "sigmoid")))
    return ("γ_g'‖W_hh‖₂ ≤ η < 1 ⇒ ‖∂E_T/∂h_T ∂h_T/∂h_k‖ ≤ η^(T−k)‖∂E_T/∂h_T‖ → 0, every H and lag; γ_g' = sup|g'| proved (1/4, 1, 1)",
            (f"RNN-NORM-BOUND's derivation (termwise certificate for symbolic H, induction over t by z3) gives ‖∂h_T/∂h_k‖ ≤ "
             f"(γ_g'γ_v)^(T−k) ≤ η^(T−k) (monotone powers, z3), so ‖vᵀ∂h_T/∂h_k‖ ≤ ‖v‖η^(T−k) → 0 (SymPy limit, η = 1/(1+u)). "
             f"The subject's γ table equals the proved suprema. Tie: products against the closed form at H = 1..8 {S.within()}. "
             f"{S.versions()}, {S.z3_version()}."),
            Scope(sizes="every", hypotheses=NORM_HYP + ("γ_g'‖W_hh‖₂ ≤ η < 1",), tied=tied + ("subject gamma table: exact",),
                  steps=steps + ("z3: 0 ≤ a ≤ b ⇒ a^q ≤ b^q (inductive step); ‖vᵀP‖ ≤ ‖v‖η^(T−k)", "SymPy: lim_(q→∞) (1/(1+u))^q = 0 for u > 0")))


def _pascanu_entry(act):
    """∂x_i/∂xp_j of x_i = Σ_k W_ik g(xp_k) + Σ_l U_il u_l + b_i for symbolic n."""
    g, _ = E.ACT[act]
    xp = sp.IndexedBase("xp")
    x_i = sp.Sum(E.IW[E._i, E._k] * g(xp[E._k]), (E._k, 0, E.NH - 1)) + sp.Sum(E.IU[E._i, E._l] * E.Ix[E._l], (E._l, 0, E.ND - 1)) + E.Ib[E._i]
    return sp.diff(x_i, xp[E._j]), xp


def _mp_pascanu(P, xv, u, act):
    g, dg = E._mp_act(act)
    with mpmath.workdps(S.MP_DPS):
        W, U, b = mpmath.matrix(P["W_hh"].tolist()), mpmath.matrix(P["W_xh"].tolist()), mpmath.matrix(list(P["b"]))
        gx = mpmath.matrix([g(mpmath.mpf(v)) for v in xv])
        x1 = W * gx + U * mpmath.matrix(list(u)) + b
        J = mpmath.matrix(W.rows, W.cols)
        for r in range(W.rows):
            for q in range(W.cols):
                J[r, q] = W[r, q] * dg(mpmath.mpf(xv[q]))
        return np.array([float(v) for v in x1]), np.array(J.tolist(), dtype=float)


def _tie_pascanu(fn_step, fn_jac, act, seed):
    for n_, (Hs, _) in enumerate(E.SIZES_TIED):
        P, _, xs = E.spread_point(Hs, 1, seed + 10 * n_)
        xv = S.points((Hs,), seed + 10 * n_ + 7, -4.0, 4.0)
        x1, J = _mp_pascanu(P, xv, xs[0], act)
        if fn_step is not None:
            S.agree(f"pascanu step ({act}, H = {Hs})", fn_step(P, xv, xs[0]), x1)
        if fn_jac is not None:
            S.agree(f"jacobian ({act}, H = {Hs})", fn_jac(P, xv), J)
    return E.tied_words(f"Pascanu's step{' and Jacobian' if fn_jac else ''} ({act}), T = 1")


@evidence("RNN-PASCANU-FORM-EQUIVALENCE", "proof", statement={"D_k_right": True},
          wrong={"D_k on the left (D_T ∂x_T/∂x_k = D_k ∂h_T/∂h_k)": {"D_k_right": False}})
def rnn_pascanu_form_equivalence_proof(s, ctx):
    """h_t := σ(x_t) is the Elman RNN; D_T ∂x_T/∂x_k = ∂h_T/∂h_k D_k by induction over T − k (MatrixSymbols, symbolic n)."""
    steps = []
    for act in ("tanh", "sigmoid"):
        lhs, xp = _pascanu_entry(act)
        E.entry_holds(lhs, E.IW[E._i, E._j] * E.ACT[act][1](xp[E._j]), f"∂x_t/∂x_(t−1) = W D_(t−1) ({act})")
        g = E.ACT[act][0]
        h_i = g(sp.Sum(E.IW[E._i, E._k] * g(xp[E._k]), (E._k, 0, E.NH - 1)) + E.Ib[E._i])
        ensure(h_i.xreplace({g(xp[E._k]): E.Ih[E._k]}) == g(sp.Sum(E.IW[E._i, E._k] * E.Ih[E._k], (E._k, 0, E.NH - 1)) + E.Ib[E._i]),
               "σ(x_t) with σ(x_(t−1)) named h_(t−1) is not σ(W h_(t−1) + …)")
    steps.append(f"SymPy, {E.EVERY_H}: ∂x_i/∂x_(t−1),j = W_ij g'(x_(t−1),j), i.e. ∂x_t/∂x_(t−1) = W D_(t−1) (tanh, sigmoid)")
    steps.append("SymPy: σ(Σ_k W_ik σ(x_k) + b_i) with h_k := σ(x_k) is σ(Σ_k W_ik h_k + b_i) (the substitution, symbolic n)")
    n = E.NH
    Dt, W, P1, Dk = (sp.MatrixSymbol(c, n, n) for c in ("D_t", "W", "P_tm1", "D_k"))
    form = (lambda P: P * Dk) if ctx.st.D_k_right else (lambda P: Dk * P)
    ensure(form(sp.Identity(n)).doit() == Dk, "base case t = k: D_k·I ≠ the stated form of I")
    lhs = (Dt * W * form(P1)).doit()                                # D_t·(W D_(t−1))·X_(t−1) with D_(t−1)X_(t−1) = form(P_(t−1))
    ensure(lhs == form(Dt * W * P1).doit(), "inductive step: D_t W·form(P_(t−1)) ≠ form(J_t P_(t−1)) with J_t = D_t W")
    steps.append("SymPy (MatrixSymbol, n symbolic): base D_k·I = D_k; step D_t(W D_(t−1))X_(t−1) = (D_t W)(P_(t−1) D_k) = P_t D_k")
    tied = [_tie_pascanu(lambda P, xv, u, a=act: s.pascanu_step(P["W_hh"], P["W_xh"], P["b"], xv, u, a), None, act, 1600 + 7 * k)
            for k, act in enumerate(("tanh", "sigmoid"))]
    tied += [E.tie_products_sizes(s.products, act, seed=E.PRODUCT_SEED + 97 * k, thorough=ctx.thorough) for k, act in enumerate(("tanh", "sigmoid"))]
    return ("h_t := σ(x_t) turns x_t = Wσ(x_(t−1)) + W_in u_t + b into h_t = σ(W h_(t−1) + W_in u_t + b), and D_T ∂x_T/∂x_k = ∂h_T/∂h_k D_k, every H and lag",
            (f"For symbolic H: ∂x_t/∂x_(t−1) = W D_(t−1) (SymPy through the Sum), and by induction over T − k with MatrixSymbols "
             f"D_t(W D_(t−1))X_(t−1) = (D_t W)(P_(t−1)D_k) = P_t D_k (the D's telescope). Tie: subject pascanu_step and products "
             f"against the closed forms at H = 1..8 {S.within()}. {S.versions()}."),
            Scope(sizes="every", steps=tuple(steps), tied=tuple(tied), hypotheses=("σ ∈ {tanh, sigmoid}", "H, D ≥ 1, T ≥ k")))


@evidence("RNN-EXPLODE-NOT-IMPLIED", "proof", statement={"lag": E.NH},
          wrong={"exactly 0 already from lag H − 1": {"lag": E.NH - 1}})
def rnn_explode_not_implied_proof(s, ctx):
    """Strictly upper-triangular W_hh: any product of H factors diag(d_t)W vanishes, for every H, whatever ‖W_hh‖ is."""
    i, j, k, m, n = sp.symbols("i j k m n", real=True)
    S.valid("diag(d)W keeps the band: W_ij = 0 for j < i + 1 ⇒ (diag(d)W)_ij = d_i W_ij = 0 there", [j < i + 1], j < i + 1)
    S.valid("a product of m band matrices vanishes below i + m: (AB)_ij = Σ_k A_ik B_kj with k ≥ i + m, j ≥ k + 1 ⇒ j ≥ i + m + 1",
            [k >= i + m, j >= k + 1], j >= i + m + 1)
    lag = ctx.st.lag.subs(E.NH, n)
    S.valid(f"after lag {ctx.st.lag} factors no entry survives: 0 ≤ i, j ≤ n − 1 ⇒ j < i + lag",
            [i >= 0, j >= 0, i <= n - 1, j <= n - 1, n >= 1], j < i + lag)
    sizes = ((2, 3), (3, 4), (4, 6), (5, 6), (8, 9))
    for n_, (Hs, T) in enumerate(sizes):
        for w in (6.0, 40.0):
            P, h0, xs = E.spread_point(Hs, T, 1700 + 10 * n_)
            P["W_hh"] = np.triu(np.abs(S.points((Hs, Hs), 1705 + n_, 0.5, 1.0)), 1) * w   # ‖W‖₂ ≥ w: γ_vγ_g' ≫ 1
            got = np.asarray(s.products(P, h0, xs, "tanh"), float)
            _, want, _ = E.mp_closed_form(P, h0, xs, "tanh")
            for kk in range(T + 1):
                S.agree(f"∂h_T/∂h_{kk} (H = {Hs}, T = {T}, w = {w:g})", got[kk], want[kk], scale=max(1.0, w ** min(Hs, T)))
            ensure(np.all(got[: T - Hs + 1] == 0.0), f"lags ≥ H are not exactly 0 at H = {Hs}: {got[0]}")
    return ("γ_vγ_g' > 1 does not make gradients explode: with strictly upper-triangular W_hh (any norm) every product of H step Jacobians is 0, for every H",
            ("diag(d)·W keeps W strictly upper triangular, and a product of m such matrices vanishes below the diagonal i + m "
             "(induction over m, the step checked by z3 on the indices); at m = H no entry 0 ≤ i, j < H survives (z3). Tie: subject "
             f"products (tanh) with strictly upper-triangular W_hh of norm ≥ w ∈ {{6, 40}} at {', '.join(f'H = {h}, T = {t}' for h, t in sizes)} "
             f"equal the closed form and are exactly 0 for lags ≥ H {S.within()}. {S.versions()}, {S.z3_version()}."),
            Scope(sizes="every", hypotheses=("W_hh strictly upper triangular", "any diagonal factors g'(a_t)", "H ≥ 1"),
                  steps=("z3: diag(d)W keeps the strict band", "z3: a product of m band factors vanishes below i + m (inductive step)",
                         "z3: at m = H every entry 0 ≤ i, j < H vanishes"),
                  tied=(f"products (tanh), ‖W_hh‖ ≥ 6 and 40, at {', '.join(f'H = {h}, T = {t}' for h, t in sizes)}",)))


@evidence("RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT", "proof", statement={"power": lambda l: l - 1},
          wrong={"(tr K)^l K": {"power": lambda l: l}})
def rnn_spectral_radius_not_sufficient_proof(s, ctx):
    a, v = sp.IndexedBase("a"), sp.IndexedBase("v")                 # K = a vᵀ (a = c·diag(1 − h*²)u): rank one
    i, j, k, n = E._i, E._j, E._k, E.NH
    K2 = sp.Sum(a[i] * v[k] * a[k] * v[j], (k, 0, n - 1))
    tr = sp.Sum(a[k] * v[k], (k, 0, n - 1))
    ensure(sp.simplify(K2 - tr * a[i] * v[j]) == 0, "(K²)_ij ≠ tr(K)·K_ij for K = a vᵀ (symbolic n)")
    tau, L = sp.Symbol("tau"), sp.Symbol("l", integer=True, positive=True)
    pw = ctx.st.power
    ensure(pw(1) == 0, f"base case l = 1: K¹ = K, but the statement gives (tr K)^{pw(1)} K")
    ensure(sp.simplify(tau ** pw(L) * tau - tau ** pw(L + 1)) == 0, "inductive step K^(l+1) = K^l K = τ^(l−1)·τK ≠ the stated power")
    W = sp.Matrix([[8, 8], [-8, -8]])
    hstar = sp.Matrix([0, sp.Rational(1, 2)])
    Kx = sp.diag(*[1 - h ** 2 for h in hstar]) * W
    ensure(W * W == sp.zeros(2, 2) and Kx == sp.Matrix([[8, 8], [-6, -6]]) and Kx.trace() == 2 and Kx * Kx == 2 * Kx,
           "Pascanu's example: W² = 0, K = [[8, 8], [−6, −6]], K² = 2K")
    Wf, hf = np.array(W.tolist(), dtype=float), np.array([0.0, 0.5])
    S.agree("fp_jacobian at h* = (0, 1/2)", s.fp_jacobian(Wf, hf), np.array(Kx.tolist(), dtype=float))
    b = np.arctanh(hf) - Wf @ hf                                     # h* = tanh(W h* + b): a fixed point
    P = {"W_hh": Wf, "W_xh": np.zeros((2, 1)), "b": b}
    S.agree("step_jacobian at the fixed point", s.step_jacobian(P, hf, np.zeros(1), "tanh"), np.array(Kx.tolist(), dtype=float), scale=16.0)
    for Hs in range(3, 9):                                           # the model's fixed-point Jacobian diag(1 − h²)W at every H
        Wr, hr = S.points((Hs, Hs), 1800 + Hs, -4, 4), S.points((Hs,), 1810 + Hs, -0.875, 0.875)
        S.agree(f"fp_jacobian (H = {Hs})", s.fp_jacobian(Wr, hr), (1 - hr ** 2)[:, None] * Wr)   # exact: dyadic products
    return ("ρ(W_hh) = 0 < 1/γ and still ‖∂h_(k+l)/∂h_k‖ = |tr K|^(l−1)‖K‖ → ∞ along a tanh fixed point: a rank-one K = a vᵀ has K^l = (tr K)^(l−1)K, every H",
            ("For symbolic n, (a vᵀ)² = (vᵀa)·a vᵀ (SymPy through the Sum), so W = c·uvᵀ with vᵀu = 0 has W² = 0 (ρ = 0) and "
             "K = diag(1 − h*²)W = a vᵀ has K^l = (tr K)^(l−1)K by induction over l. Witness: Pascanu's W = [[8, 8], [−8, −8]], "
             "h* = (0, 1/2): K = [[8, 8], [−6, −6]], tr K = 2 (exact). Tie: subject fp_jacobian at h*, step_jacobian at the fixed "
             f"point (b = artanh h* − W h*), and fp_jacobian at H = 3..8 (exact dyadic) {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("W = c·uvᵀ with vᵀu = 0", "h* a fixed point of tanh(W h + b)", "H ≥ 1"),
                  steps=("SymPy, symbolic n: (K²)_ij = Σ_k a_i v_k a_k v_j = tr(K)·K_ij", "SymPy: base K¹ = K; step τ^(l−1)·τ = τ^l",
                         "SymPy: the witness W² = 0, K² = 2K (exact)"),
                  tied=("fp_jacobian and step_jacobian at Pascanu's witness (H = 2)", "fp_jacobian at H = 3..8, exact dyadic points")))


@evidence("RNN-PASCANU-JACOBIAN-TRANSPOSE", "proof", statement={"transposed": False},
          wrong={"the printed W_recᵀ diag(σ')": {"transposed": True}})
def rnn_pascanu_jacobian_transpose_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        lhs, xp = _pascanu_entry(act)
        Wij = E.IW[E._j, E._i] if ctx.st.transposed else E.IW[E._i, E._j]
        E.entry_holds(lhs, Wij * E.ACT[act][1](xp[E._j]), f"∂x_t/∂x_(t−1) ({act})")
    W = sp.Matrix([[0, 1], [2, 0]])                                   # a witness that Wᵀdiag(d) ≠ W diag(d)
    dd = sp.diag(sp.Rational(1, 4), sp.Rational(1, 8))
    ensure(W * dd != W.T * dd, "the witness does not separate W diag(d) from Wᵀ diag(d)")
    tied = [_tie_pascanu(lambda P, xv, u, a=act: s.step(P["W_hh"], P["W_xh"], P["b"], xv, u, a),
                         lambda P, xv, a=act: s.jacobian(P["W_hh"], xv, a), act, 1900 + 7 * k) for k, act in enumerate(("tanh", "sigmoid"))]
    return ("x_t = W_rec σ(x_(t−1)) + W_in u_t + b has ∂x_t/∂x_(t−1) = W_rec diag(σ'(x_(t−1))) for every H, not W_recᵀ diag(σ') as eq. (5) prints",
            (f"SymPy differentiates Σ_k W_ik σ(x_k) + … in x_j for symbolic H: W_ij σ'(x_j); the witness W = [[0, 1], [2, 0]], "
             f"d = (1/4, 1/8) separates it from Wᵀdiag(d). Tie: subject jacobian and step (tanh, sigmoid) at H = 1..8 {S.within()}. "
             f"{S.versions()}."),
            Scope(sizes="every", hypotheses=("σ ∈ {tanh, sigmoid}", "H, D ≥ 1"), tied=tuple(tied),
                  steps=(f"SymPy, {E.EVERY_H}: ∂(Σ_k W_ik σ(x_k) + Σ_l U_il u_l + b_i)/∂x_j = W_ij σ'(x_j)",
                         "SymPy: W diag(d) ≠ Wᵀ diag(d) for W = [[0, 1], [2, 0]], d = (1/4, 1/8)")))
