"""Proofs about Pascanu et al. 2013: the sufficient condition, its refutations, the printed Jacobian, the two forms."""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence
from vanishing.checks.evidence._elman import (
    ELEMENTWISE,
    SIZE,
    SPLIT,
    D,
    H,
)
from vanishing.checks.evidence._elman import horizon as _T


@evidence("RNN-VANISH-SUFFICIENT", "proof")
def rnn_vanish_sufficient_proof(s, ctx):
    E.norm_bound_common(s, ctx, s.gamma)
    return ("γ_g'‖W_hh‖₂ ≤ η < 1 ⇒ ‖∂E_T/∂h_T ∂h_T/∂h_k‖ ≤ η^(T−k)‖∂E_T/∂h_T‖ → 0, with γ_g' = sup|g'| proved (1/4, 1, 1)",
            (f"{E.NORM_ARG} So ‖vᵀ ∂h_T/∂h_k‖ ≤ ‖v‖ η^(T−k) → 0. SymPy proves sup σ' = 1/4 and sup tanh' = 1 (ReLU: 1), and the subject's "
            f"γ table must equal them. Tie: subject products (tanh, sigmoid; H = 2, T = {_T(ctx)}, {SPLIT}) equal the symbolic products "
            f"{S.within()}. {S.versions()}."))

@evidence("RNN-PASCANU-FORM-EQUIVALENCE", "proof")
def rnn_pascanu_form_equivalence_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        N = E.net(H, D, 2, act)
        xp = S.vector("xp", H)                                       # Pascanu's state x_(t−1); h_(t−1) := σ(x_(t−1))
        g = N.g
        x1 = N.W * xp.applyfunc(g) + N.U * N.xs[0] + N.b           # eq. (2): x_t = W σ(x_(t−1)) + W_in u_t + b
        x2 = N.W * x1.applyfunc(g) + N.U * N.xs[1] + N.b
        S.zero(x1.applyfunc(g) - (N.W * xp.applyfunc(g) + N.U * N.xs[0] + N.b).applyfunc(g), "σ(x_t) = σ(W h + …)")
        Dk = lambda v: S.diag(v.applyfunc(N.dg))  # noqa: B023
        Jh = [S.diag((N.W * xp.applyfunc(g) + N.U * N.xs[0] + N.b).applyfunc(N.dg)) * N.W,
              S.diag((N.W * x1.applyfunc(g) + N.U * N.xs[1] + N.b).applyfunc(N.dg)) * N.W]
        S.zero(Dk(x2) * x2.jacobian(xp) - Jh[1] * Jh[0] * Dk(xp), "D_T ∂x_T/∂x_k ≠ ∂h_T/∂h_k D_k")
        for seed in (19, 29):
            P, _, xs, _, vals = N.point(seed)
            xv = S.points((H,), seed + 7, -2.0, 2.0)
            vals.update(S.values((xp, xv)))
            got = s.pascanu_step(P["W_hh"], P["W_xh"], P["b"], xv, xs[0], act)
            S.agree(f"pascanu_step ({act})", got, S.evaluate(x1, vals).ravel())
        E.tie_products(s.products, act, (39,), _T(ctx))
    return ("h_t := σ(x_t) turns x_t = Wσ(x_(t−1)) + W_in u_t + b into h_t = σ(W h_(t−1) + W_in u_t + b), and D_T ∂x_T/∂x_k = ∂h_T/∂h_k D_k (SymPy)",
            (f"Fixed size {SIZE}, T − k = 2, σ ∈ {{tanh, sigmoid}}. Every lag: ∂x_t/∂x_(t−1) = W D_(t−1), so D_t(W D_(t−1)) = J_t D_(t−1) "
            "and the D's telescope (induction over t). "
            f"Tie: subject pascanu_step at 2 exact points per σ and products equal the symbolic values {S.within()}. {S.versions()}."))

# ---------------------------------------------------------------- refutations
@evidence("RNN-EXPLODE-NOT-IMPLIED", "proof")
def rnn_explode_not_implied_proof(s, ctx):
    """Strictly upper-triangular W_hh: every product of H step Jacobians diag(g')W vanishes, whatever ‖W_hh‖ is."""
    for n in (2, 3):
        W = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"w{i}{j}") if j > i else 0)
        P = sp.eye(n)
        for m in range(n):
            P = S.diag(S.vector(f"d{m}", n)) * W * P                 # any diagonal factors g'(a_i)
        ensure(P == sp.zeros(n, n), f"a product of {n} strictly upper-triangular step Jacobians is not 0 (H = {n})")
    N = E.net(H, D, _T(ctx), "tanh")
    for seed, w in ((51, 6.0), (52, 40.0)):
        P, h0, xs, _, vals = N.point(seed)
        P["W_hh"] = np.array([[0.0, w], [0.0, 0.0]])                # ‖W‖₂ = w: γ_vγ_g' = w ≫ 1
        vals.update(S.values((N.W, P["W_hh"])))
        got = np.asarray(s.products(P, h0, xs, "tanh"), float)
        Ps = [N.product(_T(ctx), k) for k in range(_T(ctx) + 1)]
        for k, want in enumerate(S.evaluate(Ps, vals)):
            S.agree(f"∂h_T/∂h_{k} (w = {w:g})", got[k], want, scale=max(1.0, w))
        ensure(np.all(got[: _T(ctx) - H + 1] == 0.0), f"lags ≥ H are not exactly 0: {got[0]}")
    return ("γ_vγ_g' > 1 does not make gradients explode: with strictly upper-triangular W_hh (‖W_hh‖₂ = w arbitrary) every product of H step Jacobians is 0",
            ("diag(d)·W is strictly upper triangular for any diagonal d, and a product of H strictly upper-triangular H×H matrices "
            "is 0 (each factor moves the nonzero band one diagonal up); SymPy confirms it with symbolic entries and symbolic "
            f"diagonals at H = 2 and 3. Tie: subject products (tanh, H = 2, T = {_T(ctx)}, {SPLIT}) with W_hh = [[0, w], [0, 0]], "
            f"w ∈ {{6, 40}}, equal the symbolic products (exactly 0 for lags ≥ H) {S.within()}. {S.versions()}."))

@evidence("RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT", "proof")
def rnn_spectral_radius_not_sufficient_proof(s, ctx):
    u, v, dd = S.vector("u", H), S.vector("v", H), S.vector("dd", H)
    c = sp.Symbol("c")
    Ws = c * u * v.T
    ensure(sp.expand(Ws * Ws - c * (v.T * u)[0, 0] * Ws) == sp.zeros(H, H), "W² ≠ c(vᵀu)W")   # vᵀu = 0 ⇒ W² = 0, ρ(W) = 0
    K = S.diag(dd) * Ws                                              # K = diag(1 − h*²) W is rank one
    S.zero(K * K - K.trace() * K, "K² ≠ (tr K) K")                  # so K^l = (tr K)^(l−1) K
    W = sp.Matrix([[8, 8], [-8, -8]])
    hstar = sp.Matrix([0, sp.Rational(1, 2)])
    Kx = sp.diag(*[1 - h ** 2 for h in hstar]) * W
    ensure(W * W == sp.zeros(2, 2) and Kx == sp.Matrix([[8, 8], [-6, -6]]) and Kx.trace() == 2 and Kx * Kx == 2 * Kx,
           "Pascanu's example: W² = 0, K = [[8, 8], [−6, −6]], K² = 2K")
    Wf, hf = np.array(W.tolist(), dtype=float), np.array([0.0, 0.5])
    S.agree("fp_jacobian at h* = (0, 1/2)", s.fp_jacobian(Wf, hf), np.array(Kx.tolist(), dtype=float))
    b = np.arctanh(hf) - Wf @ hf                                     # h* = tanh(W h* + b): a fixed point
    P = {"W_hh": Wf, "W_xh": np.zeros((2, 1)), "b": b}
    S.agree("step_jacobian at the fixed point", s.step_jacobian(P, hf, np.zeros(1), "tanh"),
                               np.array(Kx.tolist(), dtype=float), scale=16.0)
    return ("ρ(W_hh) = 0 < 1/γ and still ‖∂h_(k+l)/∂h_k‖ = 2^(l−1)‖K‖ → ∞ along a tanh fixed point: W = c·uvᵀ with vᵀu = 0 gives K² = (tr K)K (SymPy)",
            ("For W = c·uvᵀ, W² = c(vᵀu)W = 0 when vᵀu = 0 (ρ = 0), while K = diag(1 − h*²)W is rank one and K² = (tr K)K "
            "identically (SymPy, symbolic u, v, c and diagonal), so K^l = (tr K)^(l−1)K. Pascanu's example W = [[8, 8], [−8, −8]], "
            "h* = (0, 1/2) gives K = [[8, 8], [−6, −6]], tr K = 2 (exact). Tie: subject fp_jacobian at h* and step_jacobian at the "
            f"fixed point (b = artanh h* − W h*) equal K {S.within()}. {S.versions()}."))

@evidence("RNN-PASCANU-JACOBIAN-TRANSPOSE", "proof")
def rnn_pascanu_jacobian_transpose_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        N = E.net(H, D, 1, act)
        xp = S.vector("xp", H)
        xt = N.W * xp.applyfunc(N.g) + N.U * N.xs[0] + N.b            # Pascanu's eq. (2)
        J = xt.jacobian(xp)
        S.zero(J - N.W * S.diag(xp.applyfunc(N.dg)), "∂x_t/∂x_(t−1) ≠ W_rec diag(σ'(x_(t−1)))")
        ensure(any(sp.expand(e) != 0 for e in J - N.W.T * S.diag(xp.applyfunc(N.dg))), "the printed W_recᵀ diag(σ') is the Jacobian")
        for seed in (53, 54):
            P, _, xs, _, vals = N.point(seed)
            xv = S.points((H,), seed + 7, -2.0, 2.0)
            vals.update(S.values((xp, xv)))
            Jv, xtv = S.evaluate([J, xt], vals)
            S.agree(f"jacobian ({act})", s.jacobian(P["W_hh"], xv, act), Jv)
            S.agree(f"step ({act})", s.step(P["W_hh"], P["W_xh"], P["b"], xv, xs[0], act), xtv.ravel())
    return ("x_t = W_rec σ(x_(t−1)) + W_in u_t + b has ∂x_t/∂x_(t−1) = W_rec diag(σ'(x_(t−1))), not W_recᵀ diag(σ') as eq. (5) prints (SymPy)",
            (f"Fixed size {SIZE}; SymPy's Jacobian equals W diag(σ') and differs from Wᵀ diag(σ') for a generic (non-symmetric) W. "
            f"{ELEMENTWISE} Tie: subject jacobian and step (tanh, sigmoid) at 2 exact points each {S.within()}. {S.versions()}."))
