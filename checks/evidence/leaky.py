"""Proofs about leaky units h_t = α h_(t−1) + (1−α) g(a_t): the step Jacobian and the memory sandwich."""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence
from vanishing.checks.evidence._elman import (
    CHECKED_AT_3,
    ELEMENTWISE,
    SIZE,
    D,
    H,
)


# ---------------------------------------------------------------- leaky units
def _leaky_net(act):
    al = sp.Symbol("alpha")
    for size in (3, H):                                             # H = 3 too: the same entrywise identity at a second size
        N = E.net(size, D, 1, act)
        hn = al * N.h0 + (1 - al) * N.h[1]
        closed = al * sp.eye(size) + (1 - al) * N.J[0]
        S.zero(hn.jacobian(N.h0) - closed, f"leaky Jacobian (H = {size})")
    return N, al, hn, closed

@evidence("RNN-LEAKY-JACOBIAN", "proof")
def rnn_leaky_jacobian_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        N, al, hn, closed = _leaky_net(act)
        for seed, alpha in ((43, 0.375), (44, 0.875)):
            P, h0, xs, _, vals = N.point(seed)
            vals[al] = alpha
            a = P["W_hh"] @ h0 + P["W_xh"] @ xs[0] + P["b"]
            J = S.evaluate(closed, vals)
            S.agree(f"step ({act})", s.step(P, h0, xs[0], alpha, act), S.evaluate(hn, vals).ravel())
            S.agree(f"step_jacobian ({act})", s.step_jacobian(P, h0, xs[0], alpha, act), J)
            S.agree(f"formula ({act})", s.formula(P["W_hh"], a, alpha, act), J)
    return ("h_t = α h_(t−1) + (1−α) g(a_t) ⇒ ∂h_t/∂h_(t−1) = α I + (1−α) diag(g'(a_t)) W_hh (SymPy, α symbolic)",
            (f"Fixed size {SIZE}, α a symbol. {ELEMENTWISE}{CHECKED_AT_3} Tie: subject step, step_jacobian and formula (tanh, sigmoid) at α = 3/8 "
            f"and 7/8 equal the symbolic values {S.within()}. {S.versions()}."))

@evidence("RNN-LEAKY-MEMORY-BOUND", "proof")
def rnn_leaky_memory_bound_proof(s, ctx):
    """(α − c)^(t−k) ≤ σ_min ≤ ‖·‖ ≤ (α + c)^(t−k): Weyl's inequalities per step, then products; tie of leaky products."""
    T = 2
    N = E.net(H, D, T, "tanh")
    al = sp.Symbol("alpha")
    v = S.vector("v", H)
    hv, Js = v, []
    for i in range(T):
        a = N.W * hv + N.U * N.xs[i] + N.b
        Js.append(al * sp.eye(H) + (1 - al) * S.diag(a.applyfunc(N.dg)) * N.W)
        hv = al * hv + (1 - al) * a.applyfunc(N.g)
    S.zero(hv.jacobian(v) - Js[1] * Js[0], "leaky ∂h_2/∂h_0 ≠ J_2 J_1")
    Z = {w: 0 for w in N.W}
    S.zero((Js[1] * Js[0]).xreplace(Z) - al ** 2 * sp.eye(H), "W_hh = 0 does not give α^(t−k) I")
    for seed, alpha in ((45, 0.75), (46, 0.9375)):
        P, h0, xs, _, vals = N.point(seed, w=0.25)
        vals[al] = alpha
        got = np.asarray(s.products(P, h0, xs, alpha, "tanh"), float)
        ensure(got.shape == (T + 1, H, H), f"products: shape {got.shape}")
        want0 = S.evaluate((Js[1] * Js[0]).xreplace({v[i]: N.h0[i] for i in range(H)}), vals)
        S.agree("∂h_2/∂h_0", got[0], want0)
        S.agree("∂h_2/∂h_2", got[2], np.eye(H))
        # the bounds themselves at the tied point: c = (1−α)·1·‖W‖₂ < α
        c = (1 - alpha) * float(S.opnorm_exact(P["W_hh"]))
        sv = np.linalg.svd(want0, compute_uv=False)
        ensure(c < alpha and (alpha - c) ** T <= sv[-1] * (1 + 1e-12) and sv[0] <= (alpha + c) ** T * (1 + 1e-12),
               f"the sandwich fails at α = {alpha}: c = {c}, σ = {sv}")
    return ("c = (1−α)γ‖W_hh‖₂ < α ⇒ (α−c)^(t−k) ≤ σ_min(∂h_t/∂h_k) ≤ ‖∂h_t/∂h_k‖₂ ≤ (α+c)^(t−k); W_hh = 0 gives α^(t−k) I",
            ("Per step J = αI + E with ‖E‖₂ ≤ (1−α)γ‖W‖₂ = c (the elementwise diagonal bound of RNN-NORM-BOUND), so Weyl's "
            "inequalities give α − c ≤ σ_min(J) ≤ ‖J‖ ≤ α + c; σ_min(AB) ≥ σ_min(A)σ_min(B) and ‖AB‖ ≤ ‖A‖‖B‖ carry it to "
            "products (induction over t). SymPy checks the leaky chain rule ∂h_2/∂h_0 = J_2 J_1 (H = 2, T = 2, α symbolic) and "
            f"W = 0 ⇒ α² I. Tie: subject products (tanh) at α = 3/4 and 15/16 equal the symbolic product "
            f"{S.within()}, and the sandwich holds there. {S.versions()}."))
