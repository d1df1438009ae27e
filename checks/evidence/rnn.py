"""Proofs about the Elman RNN: the step Jacobian, products of Jacobians, norm bounds, leaky units (BPTT: bptt.py).

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
from vanishing.checks.evidence._elman import SPLIT
from vanishing.checks.evidence._elman import horizon as _T

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
def rnn_step_jacobian_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        N = _step_proof(act)
        for seed in (10, 20, 30):
            P, h0, xs, _, vals = N.point(seed)
            a = P["W_hh"] @ h0 + P["W_xh"] @ xs[0] + P["b"]
            J, h1 = S.evaluate([N.J[0], N.h[1]], vals)
            S.agree(f"step ({act})", s.step(P, h0, xs[0], act), h1.ravel())
            S.agree(f"step_jacobian ({act})", s.step_jacobian(P, h0, xs[0], act), J)
            S.agree(f"formula ({act})", s.formula(P["W_hh"], a, h0, act), J)
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
        S.agree("step_jacobian (relu)", s.step_jacobian(P, h0, xs[0], "relu"), J)
        S.agree("formula (relu)", s.formula(P["W_hh"], a, h0, "relu"), J)
        S.agree("step (relu)", s.step(P, h0, xs[0], "relu"), np.maximum(a, 0.0))
    return ("∂h_t/∂h_(t−1) = diag(g'(a_t)) W_hh, a_t = W_hh h_(t−1) + W_xh x_t + b: SymPy's Jacobian of the step equals the closed form (tanh, sigmoid; ReLU on every orthant)",
            (f"Fixed size {SIZE}. {ELEMENTWISE}{CHECKED_AT_3} ReLU: on each open orthant of a the step is diag(m)·a, m ∈ {{0,1}}^H (all 4 checked); "
            f"at a_i = 0 the convention relu'(0) = 0 applies. Tie: subject step, step_jacobian and formula at 3 exact points per "
            f"activation equal the symbolic values {S.within()}. {S.versions()}."))


@evidence("RNN-STEP-JACOBIAN-SIGMOID-EQ2", "proof")
def rnn_step_jacobian_sigmoid_eq2_proof(s, ctx):
    N = E.net(H, D, 1, "sigmoid", bias=False)
    S.zero(N.h[1].jacobian(N.h0) - N.J[0], "seed 003 eq. (2)")
    for seed in (11, 21, 31):
        P, h0, xs, _, vals = N.point(seed)
        pre = P["W_hh"] @ h0 + P["W_xh"] @ xs[0]
        S.agree("step (sigmoid, b = 0)", s.step(P, h0, xs[0], "sigmoid"), S.evaluate(N.h[1], vals).ravel())
        S.agree("formula", s.formula(P["W_hh"], pre), S.evaluate(N.J[0], vals))
    return ("c_t = σ(W_rec c_(t−1) + W_in x_t) ⇒ ∂c_t/∂c_(t−1) = diag(σ'(W_rec c_(t−1) + W_in x_t)) W_rec (SymPy)",
            (f"Fixed size {SIZE} (no bias, as in seed 003). {ELEMENTWISE} σ' = σ(1−σ) is proved in ACT-SIGMOID-DERIV-BOUND. "
            f"Tie: subject step and formula at 3 exact points {S.within()}. {S.versions()}."))



@evidence("RNN-SEED003-TANH-FOR-SIGMOID", "proof")
def rnn_seed003_tanh_for_sigmoid_proof(s, ctx):
    """Seed 003's eq. (2) step Jacobian carries σ' (the proof of RNN-STEP-JACOBIAN-SIGMOID-EQ2), and σ'(0)/tanh'(0) = 1/4."""
    N = E.net(H, D, 1, "sigmoid", bias=False)
    S.zero(N.h[1].jacobian(N.h0) - N.J[0], "seed 003 eq. (2)")
    x = sp.Symbol("x", real=True)
    dsig, dtanh = sp.diff(1 / (1 + sp.exp(-x)), x), sp.diff(sp.tanh(x), x)
    ratio = sp.nsimplify(sp.simplify(dsig.subs(x, 0) / dtanh.subs(x, 0)))
    ensure(ratio == sp.Rational(1, 4), f"σ'(0)/tanh'(0) = {ratio}, not 1/4")
    for seed in (11, 21, 31):
        P, h0, xs, _, vals = N.point(seed)
        pre = P["W_hh"] @ h0 + P["W_xh"] @ xs[0]
        S.agree("step (sigmoid, b = 0)", s.step(P, h0, xs[0], "sigmoid"), S.evaluate(N.h[1], vals).ravel())
        S.agree("formula", s.formula(P["W_hh"], pre), S.evaluate(N.J[0], vals))
    z = np.zeros(H)
    ensure(np.array_equal(np.diag(s.formula(np.eye(H), z)), np.full(H, 0.25)),
           f"subject formula at a_t = 0 gives the factors {np.diag(s.formula(np.eye(H), z))!r}, not σ'(0) = 1/4")
    return ("Seed 003's step Jacobian is diag(σ'(a_t)) W_rec (SymPy), and σ'(0)/tanh'(0) = 1/4 exactly: the factor is σ' ≤ 1/4, not tanh'",
            (f"The proof of RNN-STEP-JACOBIAN-SIGMOID-EQ2 (same subject): fixed size {SIZE} (no bias, as in seed 003). {ELEMENTWISE} "
            "σ' = σ(1−σ) ≤ 1/4 is proved in ACT-SIGMOID-DERIV-BOUND; with ‖diag(σ')‖₂ ≤ 1/4 the product over k steps has norm "
            "≤ (‖W_rec‖₂/4)^k (RNN-NORM-BOUND with γ = 1/4). SymPy differentiates 1/(1+e^(−x)) and tanh x at 0: 1/4 and 1. "
            f"Tie: subject step and formula at 3 exact points {S.within()}, and the subject formula "
            f"at a_t = 0 gives exactly 1/4 on the diagonal. {S.versions()}."))

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
    for seed in seeds:
        P, h0, xs, _, vals = N.point(seed)
        got = np.asarray(s_products(P, h0, xs, act), float)
        ensure(got.shape == (T + 1, H, H), f"products: shape {got.shape}, expected {(T + 1, H, H)}")
        for k, want in enumerate(S.evaluate(list(Ps), vals)):
            S.agree(f"∂h_T/∂h_{k} ({act})", got[k], want)


PRODUCT_ARG = ("Every T: ∂h_T/∂v = J_T·∂h_(T−1)/∂v (chain rule), checked symbolically as the induction step for an arbitrary "
               "smooth inner map u(v) (SymPy undefined functions), so J_T ⋯ J_(k+1) holds for all T by induction.")


@evidence("RNN-JACOBIAN-PRODUCT-ORDER", "proof")
def rnn_jacobian_product_order_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        _chain_step_holds(act)
        _tie_products(s.products, act, (12, 22), _T(ctx))
    return ("∂h_T/∂h_k = J_T J_(T−1) ⋯ J_(k+1), later steps on the left (SymPy Jacobian of the unrolled composition, every lag k)",
            (f"Fixed size {SIZE}, T = {_T(ctx)} ({SPLIT}), k = 0..T. {PRODUCT_ARG} {ELEMENTWISE} Tie: subject products (tanh, sigmoid) at 2 exact "
            f"points each equal the symbolic ∂h_T/∂h_k for every k {S.within()}. {S.versions()}."))


# ---------------------------------------------------------------- norms
def _norm_bound_common(s, ctx, gammas):
    """‖diag(d) W‖ ≤ max|d|·‖W‖ (elementwise: Σ d_i² y_i² ≤ max d² Σ y_i²), sup|g'| per activation, ties of products and γ_v."""
    d, y, m = sp.symbols("d0:3", real=True), sp.symbols("y0:3", real=True), sp.Symbol("m", real=True)
    ensure(sp.expand(m * sum(yi ** 2 for yi in y) - sum(di ** 2 * yi ** 2 for di, yi in zip(d, y))
                     - sum((m - di ** 2) * yi ** 2 for di, yi in zip(d, y))) == 0, "the elementwise bound")
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
        _tie_products(s.products, act, (17,), _T(ctx))


NORM_ARG = ("‖J_i‖₂ = ‖diag(g'(a_i)) W‖₂ ≤ max_j|g'(a_ij)|·‖W‖₂ ≤ γ_g'γ_v (the diagonal bound is elementwise, any H: "
            "Σ d_j² y_j² ≤ max d²·Σ y_j², checked symbolically), and ‖∂h_t/∂h_k‖ ≤ ∏‖J_i‖ by submultiplicativity "
            "(induction over t with the product form of RNN-JACOBIAN-PRODUCT-ORDER).")


@evidence("RNN-NORM-BOUND", "proof")
def rnn_norm_bound_proof(s, ctx):
    _norm_bound_common(s, ctx, None)
    for W in (np.array([[0.5, 2.0], [0.0, 0.25]]), np.array([[1.0, -0.5], [0.75, 0.125]]), np.array([[0.0, 3.0], [0.0, 0.0]])):
        want = float(S.opnorm_exact(W))
        S.agree("gamma_v = ‖W_hh‖₂", s.gamma_v(W), want)
    return ("‖∂h_t/∂h_k‖₂ ≤ ∏‖diag(g'(a_i))‖₂‖W_hh‖₂ ≤ (γ_v γ_g')^(t−k): submultiplicativity and the elementwise diagonal bound, with the model's products tied to SymPy",
            (f"{NORM_ARG} Tie: subject products (tanh, sigmoid; H = 2, T = {_T(ctx)}, {SPLIT}) equal the symbolic ∂h_T/∂h_k, and gamma_v equals the exact "
            f"sqrt(λ_max(WᵀW)) of 3 rational matrices (two non-normal, where ρ ≠ ‖·‖₂) {S.within()}. {S.versions()}."))


@evidence("RNN-VANISH-SUFFICIENT", "proof")
def rnn_vanish_sufficient_proof(s, ctx):
    _norm_bound_common(s, ctx, s.gamma)
    return ("γ_g'‖W_hh‖₂ ≤ η < 1 ⇒ ‖∂E_T/∂h_T ∂h_T/∂h_k‖ ≤ η^(T−k)‖∂E_T/∂h_T‖ → 0, with γ_g' = sup|g'| proved (1/4, 1, 1)",
            (f"{NORM_ARG} So ‖vᵀ ∂h_T/∂h_k‖ ≤ ‖v‖ η^(T−k) → 0. SymPy proves sup σ' = 1/4 and sup tanh' = 1 (ReLU: 1), and the subject's "
            f"γ table must equal them. Tie: subject products (tanh, sigmoid; H = 2, T = {_T(ctx)}, {SPLIT}) equal the symbolic products "
            f"{S.within()}. {S.versions()}."))


@evidence("RNN-STEP-NORM-EQUALITY", "proof")
def rnn_step_norm_equality_proof(s, ctx):
    Dm, W = sp.diag(1, sp.Rational(1, 2)), sp.diag(sp.Rational(1, 2), 1)
    ensure((Dm * W).norm(2) == sp.Rational(1, 2) and Dm.norm(2) * W.norm(2) == 1, "the strict example")
    for act in ("tanh", "sigmoid"):
        N = _step_proof(act)
        for seed in (18, 28):
            P, h0, xs, _, vals = N.point(seed)
            S.agree(f"step_jacobian ({act})", s.step_jacobian(P, h0, xs[0], act), S.evaluate(N.J[0], vals))
    return ("‖diag(g'(a_t)) W_hh‖₂ ≤ ‖diag(g'(a_t))‖₂‖W_hh‖₂, not '=': strict for diag(1, 1/2)·diag(1/2, 1) (1/2 < 1), exact in SymPy",
            (f"Upper bound: the elementwise diagonal bound (any H). Strictness: D = diag(1, 1/2), W = diag(1/2, 1) give ‖DW‖₂ = 1/2 "
            f"< ‖D‖₂‖W‖₂ = 1 (exact). Tie: subject step_jacobian (tanh, sigmoid) at 2 exact points each equals SymPy's Jacobian of the "
            f"step {S.within()}; fixed size {SIZE}. {S.versions()}."))


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
        _tie_products(s.products, act, (39,), _T(ctx))
    return ("h_t := σ(x_t) turns x_t = Wσ(x_(t−1)) + W_in u_t + b into h_t = σ(W h_(t−1) + W_in u_t + b), and D_T ∂x_T/∂x_k = ∂h_T/∂h_k D_k (SymPy)",
            (f"Fixed size {SIZE}, T − k = 2, σ ∈ {{tanh, sigmoid}}. Every lag: ∂x_t/∂x_(t−1) = W D_(t−1), so D_t(W D_(t−1)) = J_t D_(t−1) "
            "and the D's telescope (induction over t). "
            f"Tie: subject pascanu_step at 2 exact points per σ and products equal the symbolic values {S.within()}. {S.versions()}."))


@evidence("RNN-RELU-NOT-IDENTITY", "proof")
def rnn_relu_not_identity_proof(s, ctx):
    """With every pre-activation positive, ReLU is the identity on the trajectory: ∂h_t/∂h_k = W^(t−k)."""
    T = 3
    N = E.net(H, D, T, "tanh")
    v = S.vector("v", H)
    hv = v
    for i in range(T):
        hv = N.W * hv + N.U * N.xs[i] + N.b                         # relu = identity on the open positive orthant
    S.zero(hv.jacobian(v) - N.W ** T, "∂h_T/∂h_0 ≠ W^T on the positive orthant")
    for seed in (41, 42):
        W = np.abs(S.points((H, H), seed, 0.0, 1.5))
        P = {"W_hh": W, "W_xh": np.abs(S.points((H, D), seed + 1, 0, 1)), "b": np.abs(S.points((H,), seed + 2, 0.125, 1))}
        h0, xs = np.abs(S.points((H,), seed + 3, 0, 1)), np.abs(S.points((T, D), seed + 4, 0, 1))
        got = np.asarray(s.products(P, h0, xs, "relu"), float)
        ensure(got.shape == (T + 1, H, H), f"products: shape {got.shape}")
        Wx = sp.Matrix(W.tolist()).applyfunc(sp.nsimplify)
        for k in range(T + 1):
            S.agree(f"∂h_T/∂h_{k}", got[k], np.array((Wx ** (T - k)).tolist(), dtype=float))
    return ("ReLU with every pre-activation positive: ∂h_t/∂h_k = W_hh^(t−k) exactly, not I (SymPy)",
            (f"On the positive orthant ReLU is the identity, so the unrolled map is affine and SymPy's Jacobian is W^T (H = 2, T = 3, "
            "every lag tied); any H and T by the same induction as RNN-JACOBIAN-PRODUCT-ORDER with J_i = diag(1[a_i > 0]) W = W. "
            f"Positivity: W, W_xh, x, h_0 ≥ 0 and b > 0 keep a_t > 0 by induction. Tie: subject products at 2 exact nonnegative points "
            f"equal the exact powers {S.within()}. {S.versions()}."))


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
