"""Proofs about the Elman step Jacobian and products of Jacobians: the step, its order, norm bounds, powers."""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence
from vanishing.checks.evidence._elman import (
    CHECKED_AT_3,
    ELEMENTWISE,
    SIZE,
    SPLIT,
    D,
    H,
)
from vanishing.checks.evidence._elman import horizon as _T


@evidence("RNN-STEP-JACOBIAN", "proof")
def rnn_step_jacobian_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        N = E.step_proof(act)
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

@evidence("RNN-JACOBIAN-PRODUCT-ORDER", "proof")
def rnn_jacobian_product_order_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        E.chain_step_holds(act)
        E.tie_products(s.products, act, (12, 22), _T(ctx))
    return ("∂h_T/∂h_k = J_T J_(T−1) ⋯ J_(k+1), later steps on the left (SymPy Jacobian of the unrolled composition, every lag k)",
            (f"Fixed size {SIZE}, T = {_T(ctx)} ({SPLIT}), k = 0..T. {E.PRODUCT_ARG} {ELEMENTWISE} Tie: subject products (tanh, sigmoid) at 2 exact "
            f"points each equal the symbolic ∂h_T/∂h_k for every k {S.within()}. {S.versions()}."))

@evidence("RNN-NORM-BOUND", "proof")
def rnn_norm_bound_proof(s, ctx):
    E.norm_bound_common(s, ctx, None)
    for W in (np.array([[0.5, 2.0], [0.0, 0.25]]), np.array([[1.0, -0.5], [0.75, 0.125]]), np.array([[0.0, 3.0], [0.0, 0.0]])):
        want = float(S.opnorm_exact(W))
        S.agree("gamma_v = ‖W_hh‖₂", s.gamma_v(W), want)
    return ("‖∂h_t/∂h_k‖₂ ≤ ∏‖diag(g'(a_i))‖₂‖W_hh‖₂ ≤ (γ_v γ_g')^(t−k): submultiplicativity and the elementwise diagonal bound, with the model's products tied to SymPy",
            (f"{E.NORM_ARG} Tie: subject products (tanh, sigmoid; H = 2, T = {_T(ctx)}, {SPLIT}) equal the symbolic ∂h_T/∂h_k, and gamma_v equals the exact "
            f"sqrt(λ_max(WᵀW)) of 3 rational matrices (two non-normal, where ρ ≠ ‖·‖₂) {S.within()}. {S.versions()}."))

@evidence("RNN-STEP-NORM-EQUALITY", "proof")
def rnn_step_norm_equality_proof(s, ctx):
    Dm, W = sp.diag(1, sp.Rational(1, 2)), sp.diag(sp.Rational(1, 2), 1)
    ensure((Dm * W).norm(2) == sp.Rational(1, 2) and Dm.norm(2) * W.norm(2) == 1, "the strict example")
    for act in ("tanh", "sigmoid"):
        N = E.step_proof(act)
        for seed in (18, 28):
            P, h0, xs, _, vals = N.point(seed)
            S.agree(f"step_jacobian ({act})", s.step_jacobian(P, h0, xs[0], act), S.evaluate(N.J[0], vals))
    return ("‖diag(g'(a_t)) W_hh‖₂ ≤ ‖diag(g'(a_t))‖₂‖W_hh‖₂, not '=': strict for diag(1, 1/2)·diag(1/2, 1) (1/2 < 1), exact in SymPy",
            (f"Upper bound: the elementwise diagonal bound (any H). Strictness: D = diag(1, 1/2), W = diag(1/2, 1) give ‖DW‖₂ = 1/2 "
            f"< ‖D‖₂‖W‖₂ = 1 (exact). Tie: subject step_jacobian (tanh, sigmoid) at 2 exact points each equals SymPy's Jacobian of the "
            f"step {S.within()}; fixed size {SIZE}. {S.versions()}."))

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


# ---------------------------------------------------------------- repeated factors
@evidence("RNN-SCALAR-REPEATED-PRODUCT", "proof")
def rnn_scalar_repeated_product_proof(s, ctx):
    w, d = sp.Symbol("w", real=True), sp.Symbol("d", positive=True)
    k = sp.Symbol("k", positive=True, integer=True)
    ensure(sp.simplify(sp.Abs(w ** k) - sp.Abs(w) ** k) == 0, "|w^n| ≠ |w|^n")
    # Bernoulli by induction: (1+d)^(k+1) − (1 + (k+1)d) ≥ (1 + kd)(1+d) − 1 − (k+1)d = k d² ≥ 0
    ensure(sp.expand((1 + k * d) * (1 + d) - 1 - (k + 1) * d - k * d ** 2) == 0, "Bernoulli step")
    ensure(sp.limit(sp.Rational(1, 2) ** k, k, sp.oo) == 0 and sp.limit(sp.Rational(3, 2) ** k, k, sp.oo) == sp.oo, "limits")
    for wv in (sp.Rational(-3, 2), sp.Rational(-1, 2), sp.Rational(5, 4), sp.Rational(3, 4), -1, 1):
        for nv in (1, 2, 3, 7, 10, 20):
            exact = wv ** nv                                          # exact in float64: numerators ≤ 5^20 < 2^53
            got = s.repeat(float(wv), nv)
            ensure(got == float(exact), f"subject repeat({float(wv)}, {nv}) = {got!r}, exactly {exact} = {float(exact)!r}")
    return ("w^n = sign(w)^n |w|^n: |w| > 1 ⇒ |w^n| ≥ 1 + n(|w| − 1) → ∞, |w| < 1 ⇒ |w^n| → 0; the test is on |w|, not on w",
            ("SymPy: |w^n| = |w|^n, the Bernoulli induction step (1 + kd)(1 + d) = 1 + (k+1)d + kd², and the limits of (1/2)^n, (3/2)^n "
            "(every |w| < 1 or > 1 by monotonicity of |w|^n in |w|). Tie: subject repeat equals the exact power bit for bit at "
            f"w ∈ {{−3/2, −1/2, 5/4, 3/4, ±1}}, n ∈ {{1, 2, 3, 7, 10, 20}} (all exact in float64). {S.versions()}."))

@evidence("RNN-MATRIX-POWER-SPECTRAL-RADIUS", "proof")
def rnn_matrix_power_spectral_radius_proof(s, ctx):
    k = sp.Symbol("k", positive=True, integer=True)
    big = sp.Matrix([[sp.Rational(1, 2), 4], [0, sp.Rational(1, 2)]])      # entries up to 4, ρ = 1/2
    Pk = sp.Matrix([[2 ** -k, 8 * k * 2 ** -k], [0, 2 ** -k]])
    ensure(sp.simplify(big * Pk.subs(k, k) - Pk.subs(k, k + 1)) == sp.zeros(2, 2) and Pk.subs(k, 1) == big, "W^k closed form (induction)")
    ensure(all(sp.limit(e, k, sp.oo) == 0 for e in Pk), "W^k does not vanish")
    small = sp.Matrix([[sp.Rational(9, 10), sp.Rational(9, 10)], [sp.Rational(9, 10), sp.Rational(9, 10)]])  # entries < 1, ρ = 9/5
    ensure(small ** 2 == sp.Rational(9, 5) * small, "W² ≠ ρW")
    ensure(sp.limit((sp.Rational(9, 5)) ** (k - 1), k, sp.oo) == sp.oo, "W^k = ρ^(k−1) W does not explode")
    Nm = sp.Matrix([[0, sp.Symbol("nu")], [0, 0]])
    ensure(Nm * sp.diag(sp.Symbol("l1"), sp.Symbol("l2")) * Nm == sp.zeros(2, 2), "two nilpotent factors do not vanish (n = 2)")
    for Wm in (big, small, sp.Matrix([[sp.Rational(1, 2), 1], [-1, sp.Rational(1, 4)]]), sp.Matrix([[sp.Rational(3, 4), 0, 2], [0, sp.Rational(-1, 2), 0], [1, 0, 0]])):
        Wf = np.array(Wm.tolist(), dtype=float)
        for kv in (1, 2, 5, 12):
            exact = np.array((Wm ** kv).tolist(), dtype=float)
            S.agree(f"power(W, {kv})", s.power(Wf, kv), exact, scale=max(1.0, float(np.max(np.abs(exact)))))
    return ("Powers follow the spectral radius, not the entries: W = [[1/2, 4], [0, 1/2]] has W^k = 2^(−k)[[1, 8k], [0, 1]] → 0, while 0.9·𝟙𝟙ᵀ (entries < 1) has W^k = 1.8^(k−1)W → ∞",
            ("SymPy: the closed form of W^k by induction and its limit; (0.9·𝟙𝟙ᵀ)² = 1.8·W; and in the Schur form Λ + N (n = 2) any "
            "product with two N factors vanishes, which bounds ‖W^k‖ by Σ_(j<n) C(k, j) ρ^(k−j)‖N‖^j (the sandwich; ρ^k ≤ ‖W^k‖ by an "
            "eigenvector). Tie: subject power equals the exact W^k (4 rational matrices, k ∈ {1, 2, 5, 12}) "
            f"{S.within()}. {S.versions()}."))
