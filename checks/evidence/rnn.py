"""Proofs about the Elman RNN: the step Jacobian, products of Jacobians, BPTT and its truncation, norm bounds.

Every matrix statement is proved at H = 2 (D = 1) with every entry a symbol, and carried to every H by its
elementwise structure: entry (i, j) of each identity is the same expression in the entries for any H
(a sum over one free index), so the size only changes the range of that sum. Statements over time are
proved for T ≤ 3 and carried to every T by induction, whose one-step case is itself checked symbolically.
"""

import functools

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence

H, D = 2, 1
SIZE = "H = 2, D = 1 with every entry of W_hh, W_xh, b, h and x a symbol"
ELEMENTWISE = ("Every H: entry (i, j) of ∂g(W h + U x + b)/∂h is g'(a_i)·W_ij for any H (a_i involves row i of W only), "
               "so the H = 2 identity is the general one with the index ranges widened.")
CHECKED_AT_3 = " SymPy also checks the one-step identity at H = 3."


def _chain_step_holds(act):
    """Induction step over t: ∂F(u(v))/∂v = diag(g'(a)) W · ∂u/∂v for an ARBITRARY smooth inner map u (symbolic functions)."""
    N = E.net(H, D, 1, act)
    v = S.vector("v", H)
    u = sp.Matrix([sp.Function(f"u{i}")(*v) for i in range(H)])
    outer = N.step(u, N.xs[0])
    lhs = outer.jacobian(v)
    a = N.W * u + N.U * N.xs[0] + N.b
    rhs = S.diag(a.applyfunc(N.dg)) * N.W * u.jacobian(v)
    return S.zero(lhs - rhs, "chain rule step")


def _step_proof(act):
    for size in (3, H):                                             # H = 3 too: the same entrywise identity at a second size
        N = E.net(size, D, 1, act)
        S.zero(N.h[1].jacobian(N.h0) - N.J[0], f"∂h_t/∂h_(t−1) ≠ diag(g'(a_t)) W_hh ({act}, H = {size})")
    return N


@evidence("RNN-STEP-JACOBIAN", "proof")
def _(s, ctx):
    worst = 0.0
    for act in ("tanh", "sigmoid"):
        N = _step_proof(act)
        for seed in (10, 20, 30):
            P, h0, xs, _, vals = N.point(seed)
            a = P["W_hh"] @ h0 + P["W_xh"] @ xs[0] + P["b"]
            J, h1 = S.evaluate([N.J[0], N.h[1]], vals)
            worst = max(worst, S.agree(f"step ({act})", s.step(P, h0, xs[0], act), h1.ravel()),
                        S.agree(f"step_jacobian ({act})", s.step_jacobian(P, h0, xs[0], act), J),
                        S.agree(f"formula ({act})", s.formula(P["W_hh"], a, h0, act), J))
    # ReLU: on each open orthant of a, g(a) = diag(m) a with m ∈ {0,1}^H, so ∂h/∂h_(t−1) = diag(m) W_hh = diag(relu'(a)) W_hh
    N = E.net(H, D, 1, "tanh")
    for m in ([0, 0], [0, 1], [1, 0], [1, 1]):
        Dm = S.diag(m)
        S.zero((Dm * N.a[0]).jacobian(N.h0) - Dm * N.W, "relu orthant")
    for seed in (40, 50, 60):
        P, h0, xs, _, _ = N.point(seed)
        a = P["W_hh"] @ h0 + P["W_xh"] @ xs[0] + P["b"]
        if np.any(a == 0):
            continue
        J = np.diag((a > 0).astype(float)) @ P["W_hh"]
        worst = max(worst, S.agree("step_jacobian (relu)", s.step_jacobian(P, h0, xs[0], "relu"), J),
                    S.agree("formula (relu)", s.formula(P["W_hh"], a, h0, "relu"), J),
                    S.agree("step (relu)", s.step(P, h0, xs[0], "relu"), np.maximum(a, 0.0)))
    return ("∂h_t/∂h_(t−1) = diag(g'(a_t)) W_hh, a_t = W_hh h_(t−1) + W_xh x_t + b: SymPy's Jacobian of the step equals the closed form (tanh, sigmoid; ReLU on every orthant)",
            (f"Fixed size {SIZE}. {ELEMENTWISE}{CHECKED_AT_3} ReLU: on each open orthant of a the step is diag(m)·a, m ∈ {{0,1}}^H (all 4 checked); "
            f"at a_i = 0 the convention relu'(0) = 0 applies. Tie: subject step, step_jacobian and formula at 3 exact points per "
            f"activation equal the symbolic values within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-STEP-JACOBIAN-SIGMOID-EQ2", "proof")
def _(s, ctx):
    N = E.net(H, D, 1, "sigmoid", bias=False)
    S.zero(N.h[1].jacobian(N.h0) - N.J[0], "seed 003 eq. (2)")
    worst = 0.0
    for seed in (11, 21, 31):
        P, h0, xs, _, vals = N.point(seed)
        pre = P["W_hh"] @ h0 + P["W_xh"] @ xs[0]
        worst = max(worst, S.agree("step (sigmoid, b = 0)", s.step(P, h0, xs[0], "sigmoid"), S.evaluate(N.h[1], vals).ravel()),
                    S.agree("formula", s.formula(P["W_hh"], pre), S.evaluate(N.J[0], vals)))
    return ("c_t = σ(W_rec c_(t−1) + W_in x_t) ⇒ ∂c_t/∂c_(t−1) = diag(σ'(W_rec c_(t−1) + W_in x_t)) W_rec (SymPy)",
            (f"Fixed size {SIZE} (no bias, as in seed 003). {ELEMENTWISE} σ' = σ(1−σ) is proved in ACT-SIGMOID-DERIV-BOUND. "
            f"Tie: subject step and formula at 3 exact points within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@functools.cache
def _products_proof(act, T=3):
    """∂h_T/∂h_k = J_T ⋯ J_{k+1} for every k, symbolically at horizon T, with the composition started from fresh symbols."""
    N = E.net(H, D, T, act)
    v = S.vector("v", H)
    out = []
    for k in range(T + 1):
        hv, Js = v, []
        for i in range(k, T):
            a = N.W * hv + N.U * N.xs[i] + N.b
            Js.append(S.diag(a.applyfunc(N.dg)) * N.W)
            hv = a.applyfunc(N.g)
        P = sp.eye(H)
        for J in reversed(Js):                              # J_T ⋯ J_{k+1}: P = J_T·(J_{T−1}·(⋯))
            P = P * J
        S.zero(hv.jacobian(v) - P, f"∂h_T/∂h_{k} ≠ J_T ⋯ J_(k+1)")
        out.append(N.product(T, k))
    return N, out


def _tie_products(s_products, act, seeds, T):
    N, Ps = _products_proof(act, T)
    worst = 0.0
    for seed in seeds:
        P, h0, xs, _, vals = N.point(seed)
        got = np.asarray(s_products(P, h0, xs, act), float)
        ensure(got.shape == (T + 1, H, H), f"products: shape {got.shape}, expected {(T + 1, H, H)}")
        for k, want in enumerate(S.evaluate(list(Ps), vals)):
            worst = max(worst, S.agree(f"∂h_T/∂h_{k} ({act})", got[k], want))
    return worst


SPLIT = "T = 2 in the ci profile, T = 3 in thorough"


def _T(ctx):
    """Horizon of the unrolled symbolic proofs: 2 in ci (fast), 3 in thorough."""
    return 3 if ctx.thorough else 2


PRODUCT_ARG = ("Every T: ∂h_T/∂v = J_T·∂h_(T−1)/∂v (chain rule), checked symbolically as the induction step for an arbitrary "
               "smooth inner map u(v) (SymPy undefined functions), so J_T ⋯ J_(k+1) holds for all T by induction.")


@evidence("RNN-JACOBIAN-PRODUCT-ORDER", "proof")
def _(s, ctx):
    worst = 0.0
    for act in ("tanh", "sigmoid"):
        _chain_step_holds(act)
        worst = max(worst, _tie_products(s.products, act, (12, 22), _T(ctx)))
    return ("∂h_T/∂h_k = J_T J_(T−1) ⋯ J_(k+1), later steps on the left (SymPy Jacobian of the unrolled composition, every lag k)",
            (f"Fixed size {SIZE}, T = {_T(ctx)} ({SPLIT}), k = 0..T. {PRODUCT_ARG} {ELEMENTWISE} Tie: subject products (tanh, sigmoid) at 2 exact "
            f"points each equal the symbolic ∂h_T/∂h_k for every k within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


# ---------------------------------------------------------------- BPTT
def _bptt(act, T):
    N, dE, dE_h0, terms, h0_terms = E.bptt_terms(H, D, T, act)
    full = sum((terms[k] for k in terms), sp.zeros(1, len(N.theta())))
    S.zero(dE - full, f"∇_θ E ≠ Σ_t Σ_(k≤t) e_tᵀ ∂h_t/∂h_k ∂⁺h_k/∂θ ({act}, T = {T})")
    S.zero(dE_h0 - sum((h0_terms[t] for t in h0_terms), sp.zeros(1, H)), "∂E/∂h_0 ≠ Σ_t e_tᵀ ∂h_t/∂h_0")
    return N, dE, dE_h0, terms, h0_terms


def _truncated(N, terms, h0_terms, U):
    th = sp.zeros(1, len(N.theta()))
    h0 = sp.zeros(1, H)
    for (t, k), term in terms.items():
        if k >= max(1, t - U):
            th += term
    for t, term in h0_terms.items():
        if t <= U:
            h0 += term
    return th, h0


BPTT_SIZE = "H = 2, D = 1, E = Σ_t e_tᵀ h_t with symbolic cotangents e_t"
BPTT_ARG = ("Every T and H: the regrouping is the chain rule through h_(k−1) ↦ h_k applied T times; SymPy differentiates the "
            "unrolled E directly, so the identity at T ≥ 2 covers every kind of pair (t, k) with k < t, k = t and the h_0 term; each "
            "additional step adds terms of the same form (induction over T, one-step case RNN-JACOBIAN-PRODUCT-ORDER).")


@evidence("RNN-BPTT-SUM", "proof")
def _(s, ctx):
    worst = 0.0
    for act in ("tanh", "sigmoid"):
        N, dE, dE_h0, _, _ = _bptt(act, _T(ctx))
        for seed in (13, 23):
            P, h0, xs, es, vals = N.point(seed)
            want, want_h0 = (v.ravel() for v in S.evaluate([dE, dE_h0], vals))
            for name, fn in (("sum_form", s.sum_form), ("bptt", s.bptt)):
                th, gh0 = E.flat_grads(fn(P, h0, xs, es, act))
                worst = max(worst, S.agree(f"{name} θ-gradient ({act})", th, want), S.agree(f"{name} h0-gradient ({act})", gh0, want_h0))
    return ("∂E/∂θ = Σ_t Σ_(k≤t) ∂E_t/∂h_t ∂h_t/∂h_k ∂⁺h_k/∂θ with ∂⁺ holding h_(k−1) fixed: equal to SymPy's gradient of the unrolled E",
            (f"Fixed size {BPTT_SIZE}, T = {_T(ctx)} ({SPLIT}); θ = (W_hh, W_xh, b) and h_0. {BPTT_ARG} Tie: subject sum_form and bptt (tanh, sigmoid) "
            f"at 2 exact points each equal SymPy's gradient within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-TRUNCATED-BPTT", "proof")
def _(s, ctx):
    T, worst = _T(ctx), 0.0
    N, dE, dE_h0, terms, h0_terms = _bptt("tanh", T)
    for U in range(T + 1):
        th, h0s = _truncated(N, terms, h0_terms, U)
        if U >= T - 1:
            S.zero(th - dE, f"U = {U} ≥ T − 1 does not give the full θ-gradient")
        if U >= T:
            S.zero(h0s - dE_h0, "U = T does not give the full h0-gradient")
        for seed in (14, 24):
            P, h0, xs, es, vals = N.point(seed)
            got, got_h0 = E.flat_grads(s.truncated(P, h0, xs, es, U, "tanh"))
            w_th, w_h0 = S.evaluate([th, h0s], vals)
            worst = max(worst, S.agree(f"truncated U = {U}", got, w_th.ravel()), S.agree(f"truncated U = {U} (h0)", got_h0, w_h0.ravel()))
    for seed in (14, 24):
        P, h0, xs, es, vals = N.point(seed)
        th, _gh0 = E.flat_grads(s.bptt(P, h0, xs, es, "tanh"))
        worst = max(worst, S.agree("bptt", th, S.evaluate(dE, vals).ravel()))
    return ("Truncated BPTT keeps exactly the terms with t − k ≤ U; for U ≥ T − 1 it is SymPy's full θ-gradient (U ≥ T: the h0-gradient too)",
            (f"Fixed size {BPTT_SIZE}, T = {T} ({SPLIT}), tanh, U = 0..T. {BPTT_ARG} Tie: subject truncated at every U and bptt at 2 exact points equal "
            f"the symbolic windowed sums within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-BPTT-SINGLE-PATH-EQ1", "proof")
def _(s, ctx):
    """Seed 003: c_t = σ(W_rec c_(t−1) + W_in x_t), one loss E_k at the last step; eq. (1) is the j = 1 term only."""
    T, worst = _T(ctx), 0.0
    N, dE, _, terms, h0_terms = E.bptt_terms(H, D, T, "sigmoid", False)
    full = sum((terms[k] for k in terms), sp.zeros(1, len(N.theta())))
    S.zero(dE - full, "∇E ≠ the double sum (sigmoid, no bias)")
    only_T = {v: 0 for t in range(T - 1) for v in N.es[t]}
    eq1 = terms[(T, 1)].xreplace(only_T)
    rest = (full - terms[(T, 1)]).xreplace(only_T)
    ensure(any(sp.expand(e) != 0 for e in rest), "the terms j ≥ 2 vanish identically (eq. (1) would be the gradient)")
    for seed in (15, 25):
        P, h0, xs, es, vals = N.point(seed)
        es[:-1] = 0.0
        vals.update({v: 0.0 for v in only_T})
        g_full, _ = E.flat_grads(s.sum_form(P, h0, xs, es, "sigmoid"), bias=False)
        want_full = S.evaluate(full.xreplace(only_T), vals).ravel()
        worst = max(worst, S.agree("sum_form (E = E_T)", g_full, want_full))
        for U in range(T):
            g_tr, _ = E.flat_grads(s.truncated(P, h0, xs, es, U, "sigmoid"), bias=False)
            th, _ = _truncated(N, terms, h0_terms, U)
            worst = max(worst, S.agree(f"truncated U = {U}", g_tr, S.evaluate(th.xreplace(only_T), vals).ravel()))
        g_eq1 = g_full - E.flat_grads(s.truncated(P, h0, xs, es, T - 2, "sigmoid"), bias=False)[0]
        worst = max(worst, S.agree("eq. (1) = full − window T−2", g_eq1, S.evaluate(eq1, vals).ravel(), scale=max(1.0, float(np.max(np.abs(want_full))))))
    return ("∂E_k/∂W = Σ_(j≤k) ∂E_k/∂c_k (∏ ∂c_t/∂c_(t−1)) ∂⁺c_j/∂W for seed 003's net; eq. (1) is the j = 1 term, and the others do not vanish",
            (f"Fixed size H = 2, D = 1, T = k = {T} ({SPLIT}), sigmoid without bias, one loss on the last state (cotangents of earlier steps set to 0). "
            f"{BPTT_ARG} SymPy shows the terms j ≥ 2 are not identically zero. Tie: subject sum_form and truncated (U = 0..2) at 2 "
            f"exact points equal the symbolic sums within 256 ulps (worst ratio {worst:.2g}); subject products is tied in RNN-JACOBIAN-PRODUCT-ORDER. {S.versions()}."))


@evidence("RNN-BPTT-AVERAGE-COPIES", "proof")
def _(s, ctx):
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
        S.zero(sum(v - eta * g for g in gs[:n]) / n - (v - eta / n * sum(gs[:n])), f"average of {n} updates")
    worst = 0.0
    for seed in (16, 26):
        P, h0, xs, es, vals = N.point(seed)
        g_copies = [S.evaluate(sp.Matrix(H, H, lambda i, j: sp.diff(Eu, copies[t][i, j]).xreplace(tie)), vals) for t in range(T)]  # noqa: B023
        V = P["W_hh"]
        eta_v = 0.375
        want = V - eta_v / T * sum(g_copies)
        worst = max(worst, S.agree("average", s.average(V, g_copies, eta_v), want))
        g_tied = np.asarray(s.bptt(P, h0, xs, es, "tanh")["W_hh"], float)
        worst = max(worst, S.agree("bptt W_hh-gradient = Σ copies", g_tied, sum(g_copies)))
    return ("Averaging U+1 untied copies, each updated with its own gradient, equals one tied step v − η/(U+1)·∂E/∂v (SymPy)",
            ("Fixed size H = 2, D = 1, U + 1 = T = 2 copies of W_hh, tanh, E = Σ_t e_tᵀ h_t. SymPy checks Σ_τ ∂E/∂V_τ at V_τ = W "
            "equals ∂E/∂W entry by entry, and the average identity for 1..4 copies with symbolic v, η, g. Every U: the tie "
            "W ↦ (W, …, W) has Jacobian [I … I], so the chain rule gives the sum for any number of copies; the average is linear. "
            f"Tie: subject average at η = 3/8 and bptt at 2 exact points equal the symbolic values within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


# ---------------------------------------------------------------- norms
def _opnorm_exact(W):
    """‖W‖₂ = sqrt(λ_max(WᵀW)) exactly (SymPy, rational W)."""
    M = sp.Matrix(W.shape[0], W.shape[1], lambda i, j: sp.Rational(W[i, j]))
    return sp.sqrt(max((M.T * M).eigenvals(), key=lambda e: float(e)))


def _norm_bound_common(s, ctx, gammas):
    """‖diag(d) W‖ ≤ max|d|·‖W‖ (elementwise: Σ d_i² y_i² ≤ max d² Σ y_i²), sup|g'| per activation, ties of products and γ_v."""
    d, y, m = sp.symbols("d0:3", real=True), sp.symbols("y0:3", real=True), sp.Symbol("m", real=True)
    ensure(sp.expand(m * sum(yi ** 2 for yi in y) - sum(di ** 2 * yi ** 2 for di, yi in zip(d, y))
                     - sum((m - di ** 2) * yi ** 2 for di, yi in zip(d, y))) == 0, "the elementwise bound")
    worst = 0.0
    if gammas is not None:
        sup = {"tanh": sp.Integer(1), "sigmoid": sp.Rational(1, 4), "relu": sp.Integer(1)}
        u = sp.Symbol("u", real=True)                               # u = σ(x) ∈ (0, 1) or tanh(x) ∈ (−1, 1), σ(0) = 1/2, tanh(0) = 0
        ensure(sp.expand(u * (1 - u) - (sup["sigmoid"] - (u - sp.Rational(1, 2)) ** 2)) == 0, "σ(1−σ) ≠ 1/4 − (σ − 1/2)²")
        ensure(sp.expand((1 - u ** 2) - (sup["tanh"] - u ** 2)) == 0, "1 − tanh² ≠ 1 − u²")
        ensure((S.dsig(sp.Integer(0)).rewrite(sp.exp) - sup["sigmoid"]).simplify() == 0 and S.dtanh(sp.Integer(0)) == 1,
               "the suprema are not attained at 0")
        for name, v in sup.items():
            ensure(gammas[name] == float(v), f"γ_g' of {name} is {gammas[name]}, the proved supremum is {v}")
    for act in ("tanh", "sigmoid"):
        worst = max(worst, _tie_products(s.products, act, (17,), _T(ctx)))
    return worst


NORM_ARG = ("‖J_i‖₂ = ‖diag(g'(a_i)) W‖₂ ≤ max_j|g'(a_ij)|·‖W‖₂ ≤ γ_g'γ_v (the diagonal bound is elementwise, any H: "
            "Σ d_j² y_j² ≤ max d²·Σ y_j², checked symbolically), and ‖∂h_t/∂h_k‖ ≤ ∏‖J_i‖ by submultiplicativity "
            "(induction over t with the product form of RNN-JACOBIAN-PRODUCT-ORDER).")


@evidence("RNN-NORM-BOUND", "proof")
def _(s, ctx):
    worst = _norm_bound_common(s, ctx, None)
    for W in (np.array([[0.5, 2.0], [0.0, 0.25]]), np.array([[1.0, -0.5], [0.75, 0.125]]), np.array([[0.0, 3.0], [0.0, 0.0]])):
        want = float(_opnorm_exact(W))
        worst = max(worst, S.agree("gamma_v = ‖W_hh‖₂", s.gamma_v(W), want))
    return ("‖∂h_t/∂h_k‖₂ ≤ ∏‖diag(g'(a_i))‖₂‖W_hh‖₂ ≤ (γ_v γ_g')^(t−k): submultiplicativity and the elementwise diagonal bound, with the model's products tied to SymPy",
            (f"{NORM_ARG} Tie: subject products (tanh, sigmoid; H = 2, T = {_T(ctx)}, {SPLIT}) equal the symbolic ∂h_T/∂h_k, and gamma_v equals the exact "
            f"sqrt(λ_max(WᵀW)) of 3 rational matrices (two non-normal, where ρ ≠ ‖·‖₂) within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-VANISH-SUFFICIENT", "proof")
def _(s, ctx):
    worst = _norm_bound_common(s, ctx, s.gamma)
    return ("γ_g'‖W_hh‖₂ ≤ η < 1 ⇒ ‖∂E_T/∂h_T ∂h_T/∂h_k‖ ≤ η^(T−k)‖∂E_T/∂h_T‖ → 0, with γ_g' = sup|g'| proved (1/4, 1, 1)",
            (f"{NORM_ARG} So ‖vᵀ ∂h_T/∂h_k‖ ≤ ‖v‖ η^(T−k) → 0. SymPy proves sup σ' = 1/4 and sup tanh' = 1 (ReLU: 1), and the subject's "
            f"γ table must equal them. Tie: subject products (tanh, sigmoid; H = 2, T = {_T(ctx)}, {SPLIT}) equal the symbolic products within 256 ulps "
            f"(worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-STEP-NORM-EQUALITY", "proof")
def _(s, ctx):
    Dm, W = sp.diag(1, sp.Rational(1, 2)), sp.diag(sp.Rational(1, 2), 1)
    ensure((Dm * W).norm(2) == sp.Rational(1, 2) and Dm.norm(2) * W.norm(2) == 1, "the strict example")
    worst = 0.0
    for act in ("tanh", "sigmoid"):
        N = _step_proof(act)
        for seed in (18, 28):
            P, h0, xs, _, vals = N.point(seed)
            worst = max(worst, S.agree(f"step_jacobian ({act})", s.step_jacobian(P, h0, xs[0], act), S.evaluate(N.J[0], vals)))
    return ("‖diag(g'(a_t)) W_hh‖₂ ≤ ‖diag(g'(a_t))‖₂‖W_hh‖₂, not '=': strict for diag(1, 1/2)·diag(1/2, 1) (1/2 < 1), exact in SymPy",
            (f"Upper bound: the elementwise diagonal bound (any H). Strictness: D = diag(1, 1/2), W = diag(1/2, 1) give ‖DW‖₂ = 1/2 "
            f"< ‖D‖₂‖W‖₂ = 1 (exact). Tie: subject step_jacobian (tanh, sigmoid) at 2 exact points each equals SymPy's Jacobian of the "
            f"step within 256 ulps (worst ratio {worst:.2g}); fixed size {SIZE}. {S.versions()}."))


@evidence("RNN-PASCANU-FORM-EQUIVALENCE", "proof")
def _(s, ctx):
    worst = 0.0
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
            worst = max(worst, S.agree(f"pascanu_step ({act})", got, S.evaluate(x1, vals).ravel()))
        worst = max(worst, _tie_products(s.products, act, (39,), _T(ctx)))
    return ("h_t := σ(x_t) turns x_t = Wσ(x_(t−1)) + W_in u_t + b into h_t = σ(W h_(t−1) + W_in u_t + b), and D_T ∂x_T/∂x_k = ∂h_T/∂h_k D_k (SymPy)",
            (f"Fixed size {SIZE}, T − k = 2, σ ∈ {{tanh, sigmoid}}. Every lag: ∂x_t/∂x_(t−1) = W D_(t−1), so D_t(W D_(t−1)) = J_t D_(t−1) "
            "and the D's telescope (induction over t). "
            f"Tie: subject pascanu_step at 2 exact points per σ and products equal the symbolic values within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-RELU-NOT-IDENTITY", "proof")
def _(s, ctx):
    """With every pre-activation positive, ReLU is the identity on the trajectory: ∂h_t/∂h_k = W^(t−k)."""
    T = 3
    N = E.net(H, D, T, "tanh")
    v = S.vector("v", H)
    hv = v
    for i in range(T):
        hv = N.W * hv + N.U * N.xs[i] + N.b                         # relu = identity on the open positive orthant
    S.zero(hv.jacobian(v) - N.W ** T, "∂h_T/∂h_0 ≠ W^T on the positive orthant")
    worst = 0.0
    for seed in (41, 42):
        W = np.abs(S.points((H, H), seed, 0.0, 1.5))
        P = {"W_hh": W, "W_xh": np.abs(S.points((H, D), seed + 1, 0, 1)), "b": np.abs(S.points((H,), seed + 2, 0.125, 1))}
        h0, xs = np.abs(S.points((H,), seed + 3, 0, 1)), np.abs(S.points((T, D), seed + 4, 0, 1))
        got = np.asarray(s.products(P, h0, xs, "relu"), float)
        ensure(got.shape == (T + 1, H, H), f"products: shape {got.shape}")
        Wx = sp.Matrix(W.tolist()).applyfunc(sp.nsimplify)
        for k in range(T + 1):
            worst = max(worst, S.agree(f"∂h_T/∂h_{k}", got[k], np.array((Wx ** (T - k)).tolist(), dtype=float)))
    return ("ReLU with every pre-activation positive: ∂h_t/∂h_k = W_hh^(t−k) exactly, not I (SymPy)",
            (f"On the positive orthant ReLU is the identity, so the unrolled map is affine and SymPy's Jacobian is W^T (H = 2, T = 3, "
            "every lag tied); any H and T by the same induction as RNN-JACOBIAN-PRODUCT-ORDER with J_i = diag(1[a_i > 0]) W = W. "
            f"Positivity: W, W_xh, x, h_0 ≥ 0 and b > 0 keep a_t > 0 by induction. Tie: subject products at 2 exact nonnegative points "
            f"equal the exact powers within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


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
def _(s, ctx):
    worst = 0.0
    for act in ("tanh", "sigmoid"):
        N, al, hn, closed = _leaky_net(act)
        for seed, alpha in ((43, 0.375), (44, 0.875)):
            P, h0, xs, _, vals = N.point(seed)
            vals[al] = alpha
            a = P["W_hh"] @ h0 + P["W_xh"] @ xs[0] + P["b"]
            J = S.evaluate(closed, vals)
            worst = max(worst, S.agree(f"step ({act})", s.step(P, h0, xs[0], alpha, act), S.evaluate(hn, vals).ravel()),
                        S.agree(f"step_jacobian ({act})", s.step_jacobian(P, h0, xs[0], alpha, act), J),
                        S.agree(f"formula ({act})", s.formula(P["W_hh"], a, alpha, act), J))
    return ("h_t = α h_(t−1) + (1−α) g(a_t) ⇒ ∂h_t/∂h_(t−1) = α I + (1−α) diag(g'(a_t)) W_hh (SymPy, α symbolic)",
            (f"Fixed size {SIZE}, α a symbol. {ELEMENTWISE}{CHECKED_AT_3} Tie: subject step, step_jacobian and formula (tanh, sigmoid) at α = 3/8 "
            f"and 7/8 equal the symbolic values within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-LEAKY-MEMORY-BOUND", "proof")
def _(s, ctx):
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
    worst = 0.0
    for seed, alpha in ((45, 0.75), (46, 0.9375)):
        P, h0, xs, _, vals = N.point(seed, w=0.25)
        vals[al] = alpha
        got = np.asarray(s.products(P, h0, xs, alpha, "tanh"), float)
        ensure(got.shape == (T + 1, H, H), f"products: shape {got.shape}")
        want0 = S.evaluate((Js[1] * Js[0]).xreplace({v[i]: N.h0[i] for i in range(H)}), vals)
        worst = max(worst, S.agree("∂h_2/∂h_0", got[0], want0), S.agree("∂h_2/∂h_2", got[2], np.eye(H)))
        # the bounds themselves at the tied point: c = (1−α)·1·‖W‖₂ < α
        c = (1 - alpha) * float(_opnorm_exact(P["W_hh"]))
        sv = np.linalg.svd(want0, compute_uv=False)
        ensure(c < alpha and (alpha - c) ** T <= sv[-1] * (1 + 1e-12) and sv[0] <= (alpha + c) ** T * (1 + 1e-12),
               f"the sandwich fails at α = {alpha}: c = {c}, σ = {sv}")
    return ("c = (1−α)γ‖W_hh‖₂ < α ⇒ (α−c)^(t−k) ≤ σ_min(∂h_t/∂h_k) ≤ ‖∂h_t/∂h_k‖₂ ≤ (α+c)^(t−k); W_hh = 0 gives α^(t−k) I",
            ("Per step J = αI + E with ‖E‖₂ ≤ (1−α)γ‖W‖₂ = c (the elementwise diagonal bound of RNN-NORM-BOUND), so Weyl's "
            "inequalities give α − c ≤ σ_min(J) ≤ ‖J‖ ≤ α + c; σ_min(AB) ≥ σ_min(A)σ_min(B) and ‖AB‖ ≤ ‖A‖‖B‖ carry it to "
            "products (induction over t). SymPy checks the leaky chain rule ∂h_2/∂h_0 = J_2 J_1 (H = 2, T = 2, α symbolic) and "
            f"W = 0 ⇒ α² I. Tie: subject products (tanh) at α = 3/4 and 15/16 equal the symbolic product within 256 ulps "
            f"(worst ratio {worst:.2g}), and the sandwich holds there. {S.versions()}."))


# ---------------------------------------------------------------- refutations
@evidence("RNN-EXPLODE-NOT-IMPLIED", "proof")
def _(s, ctx):
    """Strictly upper-triangular W_hh: every product of H step Jacobians diag(g')W vanishes, whatever ‖W_hh‖ is."""
    for n in (2, 3):
        W = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"w{i}{j}") if j > i else 0)
        P = sp.eye(n)
        for m in range(n):
            P = S.diag(S.vector(f"d{m}", n)) * W * P                 # any diagonal factors g'(a_i)
        ensure(P == sp.zeros(n, n), f"a product of {n} strictly upper-triangular step Jacobians is not 0 (H = {n})")
    N = E.net(H, D, _T(ctx), "tanh")
    worst = 0.0
    for seed, w in ((51, 6.0), (52, 40.0)):
        P, h0, xs, _, vals = N.point(seed)
        P["W_hh"] = np.array([[0.0, w], [0.0, 0.0]])                # ‖W‖₂ = w: γ_vγ_g' = w ≫ 1
        vals.update(S.values((N.W, P["W_hh"])))
        got = np.asarray(s.products(P, h0, xs, "tanh"), float)
        Ps = [N.product(_T(ctx), k) for k in range(_T(ctx) + 1)]
        for k, want in enumerate(S.evaluate(Ps, vals)):
            worst = max(worst, S.agree(f"∂h_T/∂h_{k} (w = {w:g})", got[k], want, scale=max(1.0, w)))
        ensure(np.all(got[: _T(ctx) - H + 1] == 0.0), f"lags ≥ H are not exactly 0: {got[0]}")
    return ("γ_vγ_g' > 1 does not make gradients explode: with strictly upper-triangular W_hh (‖W_hh‖₂ = w arbitrary) every product of H step Jacobians is 0",
            ("diag(d)·W is strictly upper triangular for any diagonal d, and a product of H strictly upper-triangular H×H matrices "
            "is 0 (each factor moves the nonzero band one diagonal up); SymPy confirms it with symbolic entries and symbolic "
            f"diagonals at H = 2 and 3. Tie: subject products (tanh, H = 2, T = {_T(ctx)}, {SPLIT}) with W_hh = [[0, w], [0, 0]], "
            f"w ∈ {{6, 40}}, equal the symbolic products (exactly 0 for lags ≥ H) within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT", "proof")
def _(s, ctx):
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
    worst = S.agree("fp_jacobian at h* = (0, 1/2)", s.fp_jacobian(Wf, hf), np.array(Kx.tolist(), dtype=float))
    b = np.arctanh(hf) - Wf @ hf                                     # h* = tanh(W h* + b): a fixed point
    P = {"W_hh": Wf, "W_xh": np.zeros((2, 1)), "b": b}
    worst = max(worst, S.agree("step_jacobian at the fixed point", s.step_jacobian(P, hf, np.zeros(1), "tanh"),
                               np.array(Kx.tolist(), dtype=float), scale=16.0))
    return ("ρ(W_hh) = 0 < 1/γ and still ‖∂h_(k+l)/∂h_k‖ = 2^(l−1)‖K‖ → ∞ along a tanh fixed point: W = c·uvᵀ with vᵀu = 0 gives K² = (tr K)K (SymPy)",
            ("For W = c·uvᵀ, W² = c(vᵀu)W = 0 when vᵀu = 0 (ρ = 0), while K = diag(1 − h*²)W is rank one and K² = (tr K)K "
            "identically (SymPy, symbolic u, v, c and diagonal), so K^l = (tr K)^(l−1)K. Pascanu's example W = [[8, 8], [−8, −8]], "
            "h* = (0, 1/2) gives K = [[8, 8], [−6, −6]], tr K = 2 (exact). Tie: subject fp_jacobian at h* and step_jacobian at the "
            f"fixed point (b = artanh h* − W h*) equal K within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-PASCANU-JACOBIAN-TRANSPOSE", "proof")
def _(s, ctx):
    worst = 0.0
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
            worst = max(worst, S.agree(f"jacobian ({act})", s.jacobian(P["W_hh"], xv, act), Jv),
                        S.agree(f"step ({act})", s.step(P["W_hh"], P["W_xh"], P["b"], xv, xs[0], act), xtv.ravel()))
    return ("x_t = W_rec σ(x_(t−1)) + W_in u_t + b has ∂x_t/∂x_(t−1) = W_rec diag(σ'(x_(t−1))), not W_recᵀ diag(σ') as eq. (5) prints (SymPy)",
            (f"Fixed size {SIZE}; SymPy's Jacobian equals W diag(σ') and differs from Wᵀ diag(σ') for a generic (non-symmetric) W. "
            f"{ELEMENTWISE} Tie: subject jacobian and step (tanh, sigmoid) at 2 exact points each within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("RNN-LONG-TERM-TERMS-VANISH", "proof")
def _(s, ctx):
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
    worst = 0.0
    for L in range(1, T + 1):                                        # long range: k ≤ t − L, i.e. truncation window U = L − 1
        th, _ = _truncated(N, terms, h0_terms, L - 1)
        longr = sum((terms[(t, k)] for (t, k) in terms if k <= t - L), sp.zeros(1, len(N.theta())))
        S.zero(full - th - longr, f"full − truncated(U = {L - 1}) ≠ the terms with k ≤ t − {L}")
        for seed in (55, 56):
            P, h0, xs, es, vals = N.point(seed)
            got_full, _ = E.flat_grads(s.bptt(P, h0, xs, es, "sigmoid"), bias=False)
            got_tr, _ = E.flat_grads(s.truncated(P, h0, xs, es, L - 1, "sigmoid"), bias=False)
            wf, wl = S.evaluate([full, longr], vals)
            worst = max(worst, S.agree("bptt", got_full, wf.ravel()),
                        S.agree(f"full − truncated (L = {L})", got_full - got_tr, wl.ravel(), scale=max(1.0, float(np.max(np.abs(wf))))))
    for W in (np.array([[0.5, 2.0], [0.0, 0.25]]), np.array([[1.0, -0.5], [0.75, 0.125]])):
        worst = max(worst, S.agree("gamma_v = ‖W_rec‖₂", s.gamma_v(W), float(_opnorm_exact(W))))
    return ("η = γ‖W_rec‖₂ < 1: each long-range term of ∂E/∂W is ≤ ‖∂E_t/∂h_t‖ η^(t−k) γ ‖(c_(k−1), x_k)‖, so they vanish geometrically, but the short-range terms keep ∂E/∂W away from 0",
            (f"SymPy (H = 2, D = 1, T = {T}, {SPLIT}, σ without bias): the long-range part (k ≤ t − L) equals full − truncated(U = L − 1) "
            "for every L, and ∂⁺h_k/∂W_pq = σ'(a_k)_p (h_(k−1))_q e_p, a map of norm ≤ γ‖(h_(k−1), x_k)‖; with ‖∂h_t/∂h_k‖ ≤ η^(t−k) "
            "(RNN-NORM-BOUND) each term obeys the bound. Tie: subject bptt, full − truncated and gamma_v (exact sqrt(λ_max(WᵀW)) "
            f"of two non-normal matrices) within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))


@evidence("BPTT-SUM-CANCELLATION", "proof")
def _(s, ctx):
    """Exact example (seed 003's net, H = D = 1, σ, W = 0, x = (1, 0, 1), ∂E_t/∂c_t = (1, 1, −1)): no per-step gradient vanishes, their sum does."""
    T = 3
    N, dE, _, terms, _ = E.bptt_terms(1, 1, T, "sigmoid", False)
    pt = {N.W[0, 0]: 0, N.U[0, 0]: 0, N.h0[0]: 0, N.xs[0][0]: 1, N.xs[1][0]: 0, N.xs[2][0]: 1}
    cot = {N.es[0][0]: 1, N.es[1][0]: 1, N.es[2][0]: -1}
    per_step = [sum((terms[(t, k)] for k in range(1, t + 1)), sp.zeros(1, 2)).xreplace({**pt, **cot}) for t in range(1, T + 1)]
    want = [sp.Matrix([[0, sp.Rational(1, 4)]]), sp.Matrix([[sp.Rational(1, 8), 0]]), sp.Matrix([[-sp.Rational(1, 8), -sp.Rational(1, 4)]])]
    ensure([p.applyfunc(sp.nsimplify) for p in per_step] == want, f"per-step gradients {per_step}, expected {want}")
    ensure(per_step[0] + per_step[1] + per_step[2] == sp.zeros(1, 2) and per_step[0] + per_step[1] != sp.zeros(1, 2),
           "the sum does not cancel exactly, or a partial sum vanishes")
    S.zero(dE - sum((terms[k] for k in terms), sp.zeros(1, 2)), "∇E ≠ the double sum")
    P = {"W_hh": np.zeros((1, 1)), "W_xh": np.zeros((1, 1)), "b": np.zeros(1)}
    xs, cots = np.array([[1.0], [0.0], [1.0]]), np.array([[1.0], [1.0], [-1.0]])
    worst = 0.0
    for t in range(T):
        one = np.zeros((T, 1))
        one[t] = cots[t]
        g, _ = E.flat_grads(s.bptt(P, np.zeros(1), xs, one, "sigmoid"), bias=False)
        worst = max(worst, S.agree(f"∂E_{t + 1}/∂W", g, np.array(want[t].tolist(), dtype=float).ravel()))
    g, _ = E.flat_grads(s.bptt(P, np.zeros(1), xs, cots, "sigmoid"), bias=False)
    worst = max(worst, S.agree("∂E/∂W (cancels)", g, np.zeros(2)))
    for seed in (57, 58):                                            # and at generic points the subject is the full gradient
        P2, h0, xs2, es2, vals = N.point(seed)
        g2, _ = E.flat_grads(s.bptt(P2, h0, xs2, es2, "sigmoid"), bias=False)
        worst = max(worst, S.agree("bptt (generic point)", g2, S.evaluate(dE, vals).ravel()))
    return ("∂E/∂W = Σ_t ∂E_t/∂W can be exactly 0 while no ∂E_t/∂W and no partial sum is: (0, 1/4) + (1/8, 0) + (−1/8, −1/4) = 0 (exact, SymPy)",
            ("Seed 003's net c_t = σ(W_rec c_(t−1) + W_in x_t), H = D = 1, at W = 0, c_0 = 0, x = (1, 0, 1) with ∂E_t/∂c_t = (1, 1, −1): "
            "SymPy's per-step gradients from the double sum (proved equal to ∇E) are exactly those rationals (σ(0) = 1/2, σ'(0) = 1/4). "
            f"Tie: subject bptt gives each per-step gradient (one-hot cotangents), the cancelling total 0, and SymPy's gradient at 2 "
            f"generic exact points (T = 3) within 256 ulps (worst ratio {worst:.2g}). {S.versions()}."))
