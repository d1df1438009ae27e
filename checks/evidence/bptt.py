"""Proofs about backpropagation through time: the double sum, truncation, weight averaging, long-range terms, cancellation.

The Elman RNN is unrolled in SymPy (_elman.py) at H = 2, D = 1 with every entry a symbol and symbolic cotangents
e_t = ∂E_t/∂h_t (E = Σ_t e_tᵀ h_t: every per-step loss reduces to these at a point), for T = 2 (ci) or 3 (thorough).
SymPy differentiates the unrolled E directly; the double sum is built from the closed-form products J_t ⋯ J_(k+1)
(RNN-JACOBIAN-PRODUCT-ORDER) and the immediate partials ∂⁺h_k/∂θ.
"""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence._elman import SPLIT
from vanishing.checks.evidence._elman import horizon as _T

H, D = 2, 1


# ---------------------------------------------------------------- BPTT
def _bptt(act, T, include=lambda t, k: k <= t):
    N, dE, dE_h0, terms, h0_terms = E.bptt_terms(H, D, T, act)
    full = sum((terms[(t, k)] for (t, k) in terms if include(t, k)), sp.zeros(1, len(N.theta())))
    S.zero(dE - full, f"∇_θ E ≠ Σ_t Σ_(k≤t) e_tᵀ ∂h_t/∂h_k ∂⁺h_k/∂θ ({act}, T = {T})")
    S.zero(dE_h0 - sum((h0_terms[t] for t in h0_terms), sp.zeros(1, H)), "∂E/∂h_0 ≠ Σ_t e_tᵀ ∂h_t/∂h_0")
    return N, dE, dE_h0, terms, h0_terms


def _truncated(N, terms, h0_terms, U, first=lambda t, U: max(1, t - U)):
    th = sp.zeros(1, len(N.theta()))
    h0 = sp.zeros(1, H)
    for (t, k), term in terms.items():
        if k >= first(t, U):
            th += term
    for t, term in h0_terms.items():
        if t <= U:
            h0 += term
    return th, h0


BPTT_SIZE = "H = 2, D = 1, E = Σ_t e_tᵀ h_t with symbolic cotangents e_t"
BPTT_ARG = ("Every T and H: the regrouping is the chain rule through h_(k−1) ↦ h_k applied T times; SymPy differentiates the "
            "unrolled E directly, so the identity at T ≥ 2 covers every kind of pair (t, k) with k < t, k = t and the h_0 term; each "
            "additional step adds terms of the same form (induction over T, one-step case RNN-JACOBIAN-PRODUCT-ORDER).")


def _scope(ctx, T=None, extra=(), tied=()):
    T = T or _T(ctx)
    return Scope(sizes=("H=2", "D=1", f"T={T}"), steps=(f"SymPy: the unrolled E differentiated and regrouped at H = 2, D = 1, T = {T}",) + extra,
                 tied=tied or (f"at H = 2, T = {T}, 2 exact points",), hypotheses=("E = Σ_t e_tᵀ h_t with symbolic cotangents e_t",))


@evidence("RNN-BPTT-SUM", "fixed-size", statement={"include": lambda t, k: k <= t},
          wrong={"the immediate term k = t dropped": {"include": lambda t, k: k < t}})
def rnn_bptt_sum_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        N, dE, dE_h0, _, _ = _bptt(act, _T(ctx), ctx.st.include)
        for seed in (13, 23):
            P, h0, xs, es, vals = N.point(seed)
            want, want_h0 = (v.ravel() for v in S.evaluate([dE, dE_h0], vals))
            for name, fn in (("sum_form", s.sum_form), ("bptt", s.bptt)):
                th, gh0 = E.flat_grads(fn(P, h0, xs, es, act))
                S.agree(f"{name} θ-gradient ({act})", th, want)
                S.agree(f"{name} h0-gradient ({act})", gh0, want_h0)
    return ("∂E/∂θ = Σ_t Σ_(k≤t) ∂E_t/∂h_t ∂h_t/∂h_k ∂⁺h_k/∂θ with ∂⁺ holding h_(k−1) fixed: equal to SymPy's gradient of the unrolled E",
            (f"Fixed size {BPTT_SIZE}, T = {_T(ctx)} ({SPLIT}); θ = (W_hh, W_xh, b) and h_0. {BPTT_ARG} Tie: subject sum_form and bptt (tanh, sigmoid) "
            f"at 2 exact points each equal SymPy's gradient {S.within()}. {S.versions()}."), _scope(ctx))


@evidence("RNN-TRUNCATED-BPTT", "fixed-size", statement={"first": lambda t, U: max(1, t - U)},
          wrong={"window one step short (k ≥ t − U + 1)": {"first": lambda t, U: max(1, t - U + 1)}})
def rnn_truncated_bptt_proof(s, ctx):
    T = _T(ctx)
    N, dE, dE_h0, terms, h0_terms = _bptt("tanh", T)
    for U in range(T + 1):
        th, h0s = _truncated(N, terms, h0_terms, U, ctx.st.first)
        if U >= T - 1:
            S.zero(th - dE, f"U = {U} ≥ T − 1 does not give the full θ-gradient")
        if U >= T:
            S.zero(h0s - dE_h0, "U = T does not give the full h0-gradient")
        for seed in (14, 24):
            P, h0, xs, es, vals = N.point(seed)
            got, got_h0 = E.flat_grads(s.truncated(P, h0, xs, es, U, "tanh"))
            w_th, w_h0 = S.evaluate([th, h0s], vals)
            S.agree(f"truncated U = {U}", got, w_th.ravel())
            S.agree(f"truncated U = {U} (h0)", got_h0, w_h0.ravel())
    for seed in (14, 24):
        P, h0, xs, es, vals = N.point(seed)
        th, _gh0 = E.flat_grads(s.bptt(P, h0, xs, es, "tanh"))
        S.agree("bptt", th, S.evaluate(dE, vals).ravel())
    return ("Truncated BPTT keeps exactly the terms with t − k ≤ U; for U ≥ T − 1 it is SymPy's full θ-gradient (U ≥ T: the h0-gradient too)",
            (f"Fixed size {BPTT_SIZE}, T = {T} ({SPLIT}), tanh, U = 0..T. {BPTT_ARG} Tie: subject truncated at every U and bptt at 2 exact points equal "
            f"the symbolic windowed sums {S.within()}. {S.versions()}."), _scope(ctx))


@evidence("RNN-BPTT-SINGLE-PATH-EQ1", "fixed-size", statement={"rest_vanishes": False},
          wrong={"eq. (1) is the whole gradient (the terms j ≥ 2 vanish)": {"rest_vanishes": True}})
def rnn_bptt_single_path_eq1_proof(s, ctx):
    """Seed 003: c_t = σ(W_rec c_(t−1) + W_in x_t), one loss E_k at the last step; eq. (1) is the j = 1 term only."""
    T = _T(ctx)
    N, dE, _, terms, h0_terms = E.bptt_terms(H, D, T, "sigmoid", False)
    full = sum((terms[k] for k in terms), sp.zeros(1, len(N.theta())))
    S.zero(dE - full, "∇E ≠ the double sum (sigmoid, no bias)")
    only_T = {v: 0 for t in range(T - 1) for v in N.es[t]}
    eq1 = terms[(T, 1)].xreplace(only_T)
    rest = (full - terms[(T, 1)]).xreplace(only_T)
    nonzero = any(sp.expand(e) != 0 for e in rest)
    ensure(nonzero != ctx.st.rest_vanishes, "the terms j ≥ 2 vanish identically (eq. (1) would be the gradient)" if not nonzero
           else "the stated 'eq. (1) is the whole gradient' fails: the terms j ≥ 2 are not identically 0")
    for seed in (15, 25):
        P, h0, xs, es, vals = N.point(seed)
        es[:-1] = 0.0
        vals.update({v: 0.0 for v in only_T})
        g_full, _ = E.flat_grads(s.sum_form(P, h0, xs, es, "sigmoid"), bias=False)
        want_full = S.evaluate(full.xreplace(only_T), vals).ravel()
        S.agree("sum_form (E = E_T)", g_full, want_full)
        for U in range(T):
            g_tr, _ = E.flat_grads(s.truncated(P, h0, xs, es, U, "sigmoid"), bias=False)
            th, _ = _truncated(N, terms, h0_terms, U)
            S.agree(f"truncated U = {U}", g_tr, S.evaluate(th.xreplace(only_T), vals).ravel())
        g_eq1 = g_full - E.flat_grads(s.truncated(P, h0, xs, es, T - 2, "sigmoid"), bias=False)[0]
        S.agree("eq. (1) = full − window T−2", g_eq1, S.evaluate(eq1, vals).ravel(), scale=max(1.0, float(np.max(np.abs(want_full)))))
    return ("∂E_k/∂W = Σ_(j≤k) ∂E_k/∂c_k (∏ ∂c_t/∂c_(t−1)) ∂⁺c_j/∂W for seed 003's net; eq. (1) is the j = 1 term, and the others do not vanish",
            (f"Fixed size H = 2, D = 1, T = k = {T} ({SPLIT}), sigmoid without bias, one loss on the last state (cotangents of earlier steps set to 0). "
            f"{BPTT_ARG} SymPy shows the terms j ≥ 2 are not identically zero. Tie: subject sum_form and truncated (U = 0..2) at 2 "
            f"exact points equal the symbolic sums {S.within()}; subject products is tied in RNN-JACOBIAN-PRODUCT-ORDER. {S.versions()}."),
            _scope(ctx, extra=("SymPy: the terms j ≥ 2 are not identically 0",)))


@evidence("RNN-BPTT-AVERAGE-COPIES", "fixed-size", statement={"step": lambda eta, n: eta / n},
          wrong={"one step of η (not η/(U+1))": {"step": lambda eta, n: eta}})
def rnn_bptt_average_copies_proof(s, ctx):
    """Σ_τ ∂E/∂v^(t−τ) at v^(t−τ) = v is ∂E/∂v (chain rule through the tie), so the average of the copies' updates is one step of η/(U+1)."""
    T = 2                                                           # U + 1 = T copies of W_hh (one per step)
    N = E.net(H, D, T, "tanh")
    copies = [S.matrix(f"V{t}", H, H) for t in range(T)]
    h = N.h0
    for t in range(T):
        h = (copies[t] * h + N.U * N.xs[t] + N.b).applyfunc(N.g)
        if t == 0:
            h1 = h
    Eu = (N.es[0].T * h1)[0, 0] + (N.es[1].T * h)[0, 0]           # untied loss E(V0, V1)
    tie = {copies[t][i, j]: N.W[i, j] for t in range(T) for i in range(H) for j in range(H)}
    Et = sum((N.es[t].T * N.h[t + 1])[0, 0] for t in range(T))
    for i in range(H):
        for j in range(H):
            lhs = sum(sp.diff(Eu, copies[t][i, j]) for t in range(T)).xreplace(tie)
            S.zero(lhs - sp.diff(Et, N.W[i, j]), "Σ_τ ∂E/∂v^(t−τ) ≠ ∂E/∂v")
    v, eta = sp.Symbol("v"), sp.Symbol("eta", positive=True)
    gs = sp.symbols("g0:4")
    for n in range(1, 5):
        S.zero(sum(v - eta * g for g in gs[:n]) / n - (v - ctx.st.step(eta, n) * sum(gs[:n])), f"average of {n} updates")
    for seed in (16, 26):
        P, h0, xs, es, vals = N.point(seed)
        g_copies = [S.evaluate(sp.Matrix(H, H, lambda i, j: sp.diff(Eu, copies[t][i, j]).xreplace(tie)), vals) for t in range(T)]  # noqa: B023
        V = P["W_hh"]
        eta_v = 0.375
        want = V - eta_v / T * sum(g_copies)
        S.agree("average", s.average(V, g_copies, eta_v), want)
        g_tied = np.asarray(s.bptt(P, h0, xs, es, "tanh")["W_hh"], float)
        S.agree("bptt W_hh-gradient = Σ copies", g_tied, sum(g_copies))
    return ("Averaging U+1 untied copies, each updated with its own gradient, equals one tied step v − η/(U+1)·∂E/∂v (SymPy)",
            ("Fixed size H = 2, D = 1, U + 1 = T = 2 copies of W_hh, tanh, E = Σ_t e_tᵀ h_t. SymPy checks Σ_τ ∂E/∂V_τ at V_τ = W "
            "equals ∂E/∂W entry by entry, and the average identity for 1..4 copies with symbolic v, η, g. Every U: the tie "
            "W ↦ (W, …, W) has Jacobian [I … I], so the chain rule gives the sum for any number of copies; the average is linear. "
            f"Tie: subject average at η = 3/8 and bptt at 2 exact points equal the symbolic values {S.within()}. {S.versions()}."),
            _scope(ctx, T=2, extra=("SymPy: the average identity for 1..4 copies",)))


@evidence("RNN-LONG-TERM-TERMS-VANISH", "fixed-size", statement={"long": lambda t, k, L: k <= t - L},
          wrong={"long range from k < t − L (one term lost)": {"long": lambda t, k, L: k < t - L}})
def rnn_long_term_terms_vanish_proof(s, ctx):
    """The long-range part of ∂E/∂W is full − truncated; each term is bounded by ‖e_t‖η^(t−k)γ‖(c_(k−1), x_k)‖."""
    T = _T(ctx)
    N, dE, _dE_h0, terms, h0_terms = E.bptt_terms(H, D, T, "sigmoid", False)
    full = sum((terms[k] for k in terms), sp.zeros(1, len(N.theta())))
    S.zero(dE - full, "∇E ≠ the double sum (sigmoid, no bias)")
    # ∂⁺h_k/∂W_pq = σ'(a_k)_p · (h_(k−1), x_k)_q · e_p: a rank-one map, norm ≤ γ‖(h_(k−1), x_k)‖
    sv = S.vector("sv", H)
    Fk = N.step(sv, N.xs[0])
    for p in range(H):
        for q in range(H):
            S.zero(sp.diff(Fk, N.W[p, q]) - sp.Matrix([S.dsig((N.W * sv + N.U * N.xs[0])[p]) * sv[q] if i == p else 0 for i in range(H)]),
                   "∂⁺h/∂W_pq ≠ σ'(a)_p h_q e_p")
    for L in range(1, T + 1):                                        # long range: k ≤ t − L, i.e. truncation window U = L − 1
        th, _ = _truncated(N, terms, h0_terms, L - 1)
        longr = sum((terms[(t, k)] for (t, k) in terms if ctx.st.long(t, k, L)), sp.zeros(1, len(N.theta())))
        S.zero(full - th - longr, f"full − truncated(U = {L - 1}) ≠ the terms with k ≤ t − {L}")
        for seed in (55, 56):
            P, h0, xs, es, vals = N.point(seed)
            got_full, _ = E.flat_grads(s.bptt(P, h0, xs, es, "sigmoid"), bias=False)
            got_tr, _ = E.flat_grads(s.truncated(P, h0, xs, es, L - 1, "sigmoid"), bias=False)
            wf, wl = S.evaluate([full, longr], vals)
            S.agree("bptt", got_full, wf.ravel())
            S.agree(f"full − truncated (L = {L})", got_full - got_tr, wl.ravel(), scale=max(1.0, float(np.max(np.abs(wf)))))
    for W in (np.array([[0.5, 2.0], [0.0, 0.25]]), np.array([[1.0, -0.5], [0.75, 0.125]])):
        S.agree("gamma_v = ‖W_rec‖₂", s.gamma_v(W), float(S.opnorm_exact(W)))
    return ("η = γ‖W_rec‖₂ < 1: each long-range term of ∂E/∂W is ≤ ‖∂E_t/∂h_t‖ η^(t−k) γ ‖(c_(k−1), x_k)‖, so they vanish geometrically, but the short-range terms keep ∂E/∂W away from 0",
            (f"SymPy (H = 2, D = 1, T = {T}, {SPLIT}, σ without bias): the long-range part (k ≤ t − L) equals full − truncated(U = L − 1) "
            "for every L, and ∂⁺h_k/∂W_pq = σ'(a_k)_p (h_(k−1))_q e_p, a map of norm ≤ γ‖(h_(k−1), x_k)‖; with ‖∂h_t/∂h_k‖ ≤ η^(t−k) "
            "(RNN-NORM-BOUND) each term obeys the bound. Tie: subject bptt, full − truncated and gamma_v (exact sqrt(λ_max(WᵀW)) "
            f"of two non-normal matrices) {S.within()}. {S.versions()}."),
            _scope(ctx, extra=("SymPy: ∂⁺h_k/∂W_pq = σ'(a_k)_p (h_(k−1))_q e_p", "SymPy: long range = full − truncated for every L")))


@evidence("BPTT-SUM-CANCELLATION", "proof", statement={"cotangents": (1, 1, -1)},
          wrong={"cotangents (1, 1, 1): the sum does not cancel": {"cotangents": (1, 1, 1)}})
def bptt_sum_cancellation_proof(s, ctx):
    """Exact example (seed 003's net, H = D = 1, σ, W = 0, x = (1, 0, 1), ∂E_t/∂c_t = (1, 1, −1)): no per-step gradient vanishes, their sum does."""
    T = 3
    N, dE, _, terms, _ = E.bptt_terms(1, 1, T, "sigmoid", False)
    pt = {N.W[0, 0]: 0, N.U[0, 0]: 0, N.h0[0]: 0, N.xs[0][0]: 1, N.xs[1][0]: 0, N.xs[2][0]: 1}
    cot = {N.es[t][0]: ctx.st.cotangents[t] for t in range(T)}
    per_step = [sum((terms[(t, k)] for k in range(1, t + 1)), sp.zeros(1, 2)).xreplace({**pt, **cot}) for t in range(1, T + 1)]
    want = [sp.Matrix([[0, sp.Rational(1, 4)]]), sp.Matrix([[sp.Rational(1, 8), 0]]), sp.Matrix([[sp.Rational(1, 8), sp.Rational(1, 4)]])]   # at cotangent 1
    want = [w * sp.Integer(ctx.st.cotangents[t]) for t, w in enumerate(want)]
    ensure([p.applyfunc(sp.nsimplify) for p in per_step] == want, f"per-step gradients {per_step}, expected {want}")
    ensure(per_step[0] + per_step[1] + per_step[2] == sp.zeros(1, 2) and per_step[0] + per_step[1] != sp.zeros(1, 2),
           "the sum does not cancel exactly, or a partial sum vanishes")
    S.zero(dE - sum((terms[k] for k in terms), sp.zeros(1, 2)), "∇E ≠ the double sum")
    P = {"W_hh": np.zeros((1, 1)), "W_xh": np.zeros((1, 1)), "b": np.zeros(1)}
    xs, cots = np.array([[1.0], [0.0], [1.0]]), np.array([[float(c)] for c in ctx.st.cotangents])
    for t in range(T):
        one = np.zeros((T, 1))
        one[t] = cots[t]
        g, _ = E.flat_grads(s.bptt(P, np.zeros(1), xs, one, "sigmoid"), bias=False)
        S.agree(f"∂E_{t + 1}/∂W", g, np.array(want[t].tolist(), dtype=float).ravel())
    g, _ = E.flat_grads(s.bptt(P, np.zeros(1), xs, cots, "sigmoid"), bias=False)
    S.agree("∂E/∂W (cancels)", g, np.zeros(2))
    for seed in (57, 58):                                            # and at generic points the subject is the full gradient
        P2, h0, xs2, es2, vals = N.point(seed)
        g2, _ = E.flat_grads(s.bptt(P2, h0, xs2, es2, "sigmoid"), bias=False)
        S.agree("bptt (generic point)", g2, S.evaluate(dE, vals).ravel())
    return ("∂E/∂W = Σ_t ∂E_t/∂W can be exactly 0 while no ∂E_t/∂W and no partial sum is: (0, 1/4) + (1/8, 0) + (−1/8, −1/4) = 0 (exact, SymPy)",
            ("Seed 003's net c_t = σ(W_rec c_(t−1) + W_in x_t), H = D = 1, at W = 0, c_0 = 0, x = (1, 0, 1) with ∂E_t/∂c_t = (1, 1, −1): "
            "SymPy's per-step gradients from the double sum (proved equal to ∇E) are exactly those rationals (σ(0) = 1/2, σ'(0) = 1/4). "
            f"Tie: subject bptt gives each per-step gradient (one-hot cotangents), the cancelling total 0, and SymPy's gradient at 2 "
            f"generic exact points (T = 3) {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("an existential statement (a sum of nonvanishing terms can vanish): one witness proves it",),
                  steps=("SymPy: ∇E = the double sum at H = D = 1, T = 3", "SymPy: the witness's per-step gradients, exact, sum to 0; no partial sum does"),
                  tied=("bptt at the witness (each one-hot cotangent and the total)", "bptt at 2 generic exact points, T = 3")))
