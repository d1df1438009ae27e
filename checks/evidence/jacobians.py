"""Proofs about the Elman step Jacobian and products of Jacobians: the step, its order, norm bounds, powers.

The step Jacobian is derived for a symbolic number of units (SymPy IndexedBase/Sum: entry (i, j) of ∂g(Σ_k W_ik h_k +
Σ_l U_il x_l + b_i)/∂h_j is g'(a_i)W_ij for every H), the product over time by induction (the step ∂h_t/∂v = J_t ∂h_(t−1)/∂v
for an arbitrary inner map, with the base case I), and the norm bound by a termwise certificate and z3
(_elman.py). The ties compare the model's code with the closed form at H = 1..8, T up to 6.
"""

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _sym as S

STEP = {"entry": lambda act, i, j, bias=True: E.dg_at(act, i, bias) * E.IW[i, j]}
STEP_WRONG = {"diag(g') on the right (g'(a_j) W_ij)": {"entry": lambda act, i, j, bias=True: E.dg_at(act, j, bias) * E.IW[i, j]},
              "W_hh transposed (g'(a_i) W_ji)": {"entry": lambda act, i, j, bias=True: E.dg_at(act, i, bias) * E.IW[j, i]}}


def _step_every_h(st, acts=("tanh", "sigmoid"), bias=True):
    for act in acts:
        E.entry_holds(E.step_entry(act, bias), st.entry(act, E._i, E._j, bias), f"∂h_i/∂h_j ({act})")
    return tuple(f"SymPy, {E.EVERY_H}: ∂{act}(a_i)/∂h_j through the Sum is the stated entry" for act in acts)


def _relu_orthants(st):
    """ReLU on an open orthant of a is diag(m)·a with m_i ∈ {0, 1}: ∂(m_i a_i)/∂h_j = m_i W_ij for symbolic n."""
    m = sp.IndexedBase("mask")
    lhs = sp.diff(m[E._i] * E.pre(E._i), E.Ih[E._j])
    E.entry_holds(lhs, m[E._i] * st.entry("tanh", E._i, E._j).subs(E.dg_at("tanh", E._i), 1).subs(
        E.dg_at("tanh", E._j), 1), "relu on an orthant")
    return f"SymPy, {E.EVERY_H}: ∂(m_i a_i)/∂h_j = m_i W_ij on every open orthant (m_i ∈ {{0, 1}} symbolic)"


def _relu_ties(s, seed=970):
    for n_, (Hs, _) in enumerate(E.SIZES_TIED):
        P, h0, xs = E.spread_point(Hs, 1, seed + 10 * n_)
        a = P["W_hh"] @ h0 + P["W_xh"] @ xs[0] + P["b"]
        if np.any(a == 0):
            continue
        J = np.diag((a > 0).astype(float)) @ P["W_hh"]              # exact in floats: rows of W or 0
        S.agree(f"step_jacobian (relu, H = {Hs})", s.step_jacobian(P, h0, xs[0], "relu"), J)
        S.agree(f"formula (relu, H = {Hs})", s.formula(P["W_hh"], a, h0, "relu"), J)
        S.agree(f"step (relu, H = {Hs})", s.step(P, h0, xs[0], "relu"), np.maximum(a, 0.0))


def _tie_step(s, act, seed):
    tied = E.tie_step_sizes(lambda P, h0, x: s.step_jacobian(P, h0, x, act), act, "step_jacobian", seed=seed)
    E.tie_step_sizes(lambda P, h0, x: s.formula(P["W_hh"], P["W_hh"] @ h0 + P["W_xh"] @ x + P["b"], h0, act), act, "formula", seed=seed)
    for n_, (Hs, _) in enumerate(E.SIZES_TIED):
        P, h0, xs, _, _, h1 = E.closed_at(Hs, 1, seed + 10 * n_, act)
        S.agree(f"step ({act}, H = {Hs})", s.step(P, h0, xs[0], act), h1)
    return tied


@evidence("RNN-STEP-JACOBIAN", "proof", statement=STEP, wrong=STEP_WRONG)
def rnn_step_jacobian_proof(s, ctx):
    steps = _step_every_h(ctx.st) + (_relu_orthants(ctx.st),)
    tied = [_tie_step(s, act, 950 + 7 * k) for k, act in enumerate(("tanh", "sigmoid"))]
    _relu_ties(s)
    return ("∂h_t/∂h_(t−1) = diag(g'(a_t)) W_hh, a_t = W_hh h_(t−1) + W_xh x_t + b, for every H: SymPy's derivative through Σ_k W_ik h_k (tanh, sigmoid; ReLU on every orthant)",
            (f"SymPy differentiates g(Σ_k W_ik h_k + Σ_l U_il x_l + b_i) in h_j with n = H and m = D symbolic: the KroneckerDelta "
             f"sum gives g'(a_i)W_ij for 0 ≤ j < n. ReLU: on each open orthant the step is m_i a_i, m_i ∈ {{0, 1}}; at a_i = 0 the "
             f"convention relu'(0) = 0. Tie: subject step, step_jacobian and formula against the closed form at H = 1..8 "
             f"{S.within()}. {S.versions()}."),
            Scope(sizes="every", steps=steps, hypotheses=("g ∈ {tanh, σ} differentiable; ReLU off a_i = 0", "H, D ≥ 1"),
                  tied=tuple(tied) + ("step_jacobian, formula and step (relu) at H = 1..8, exact",)))


@evidence("RNN-STEP-JACOBIAN-SIGMOID-EQ2", "proof", statement=STEP, wrong=STEP_WRONG)
def rnn_step_jacobian_sigmoid_eq2_proof(s, ctx):
    steps = _step_every_h(ctx.st, ("sigmoid",), bias=False)
    tied = _tie_eq2(s)
    return ("c_t = σ(W_rec c_(t−1) + W_in x_t) ⇒ ∂c_t/∂c_(t−1) = diag(σ'(W_rec c_(t−1) + W_in x_t)) W_rec, every H (SymPy)",
            (f"SymPy differentiates σ(Σ_k W_ik c_k + Σ_l U_il x_l) in c_j for symbolic H (no bias, as in seed 003); σ' = σ(1−σ) is "
             f"proved in ACT-SIGMOID-DERIV-BOUND. Tie: subject step and formula at H = 1..8 (b = 0) {S.within()}. {S.versions()}."),
            Scope(sizes="every", steps=steps, tied=(tied,), hypotheses=("b = 0 (seed 003's eq. (2))", "H, D ≥ 1")))


def _tie_eq2(s, seed=990):
    for n_, (Hs, _) in enumerate(E.SIZES_TIED):
        P, h0, xs = E.spread_point(Hs, 1, seed + 10 * n_)
        P["b"] = np.zeros(Hs)
        Js, _, h1 = E.mp_closed_form(P, h0, xs, "sigmoid")
        S.agree(f"formula (H = {Hs})", s.formula(P["W_hh"], P["W_hh"] @ h0 + P["W_xh"] @ xs[0]), Js[0])
        S.agree(f"step (sigmoid, b = 0, H = {Hs})", s.step(P, h0, xs[0], "sigmoid"), np.array(h1))
    return E.tied_words("step and formula (b = 0)")


@evidence("RNN-SEED003-TANH-FOR-SIGMOID", "proof", statement={**STEP, "ratio": sp.Rational(1, 4)},
          wrong={**STEP_WRONG, "tanh' for σ' (ratio 1)": {"ratio": sp.Integer(1)}})
def rnn_seed003_tanh_for_sigmoid_proof(s, ctx):
    """Seed 003's eq. (2) step Jacobian carries σ' (every H), and σ'(0)/tanh'(0) = 1/4 exactly."""
    steps = _step_every_h(ctx.st, ("sigmoid",), bias=False)
    x = sp.Symbol("x", real=True)
    dsig, dtanh = sp.diff(1 / (1 + sp.exp(-x)), x), sp.diff(sp.tanh(x), x)
    ratio = sp.nsimplify(sp.simplify(dsig.subs(x, 0) / dtanh.subs(x, 0)))
    ensure(ratio == ctx.st.ratio, f"σ'(0)/tanh'(0) = {ratio}, not the stated {ctx.st.ratio}")
    tied = _tie_eq2(s, seed=1090)
    for Hs in (1, 3, 8):
        z = np.zeros(Hs)
        ensure(np.array_equal(np.diag(s.formula(np.eye(Hs), z)), np.full(Hs, 0.25)),
               f"subject formula at a_t = 0 (H = {Hs}) gives the factors {np.diag(s.formula(np.eye(Hs), z))!r}, not σ'(0) = 1/4")
    return ("Seed 003's step Jacobian is diag(σ'(a_t)) W_rec for every H (SymPy), and σ'(0)/tanh'(0) = 1/4 exactly: the factor is σ' ≤ 1/4, not tanh'",
            ("The derivation of RNN-STEP-JACOBIAN-SIGMOID-EQ2 (symbolic H, no bias); σ' = σ(1−σ) ≤ 1/4 is proved in "
             "ACT-SIGMOID-DERIV-BOUND; with ‖diag(σ')‖₂ ≤ 1/4 the product over k steps has norm ≤ (‖W_rec‖₂/4)^k (RNN-NORM-BOUND "
             f"with γ = 1/4). SymPy differentiates 1/(1+e^(−x)) and tanh x at 0: 1/4 and 1. Tie: subject step and formula at "
             f"H = 1..8 {S.within()}, and formula at a_t = 0 gives exactly 1/4 (H = 1, 3, 8). {S.versions()}."),
            Scope(sizes="every", steps=steps + (f"SymPy: σ'(0)/tanh'(0) = {ratio}",), hypotheses=("b = 0 (seed 003)", "H, D ≥ 1"),
                  tied=(tied, "formula at a_t = 0, H = 1, 3, 8: exactly 1/4 on the diagonal")))


def _tie_products_all(s, ctx, acts=("tanh", "sigmoid")):
    return tuple(E.tie_products_sizes(s.products, act, seed=E.PRODUCT_SEED + 97 * k, thorough=ctx.thorough) for k, act in enumerate(acts))


@evidence("RNN-JACOBIAN-PRODUCT-ORDER", "proof", statement={"later_left": True},
          wrong={"earlier steps on the left (J_(k+1) ⋯ J_T)": {"later_left": False}})
def rnn_jacobian_product_order_proof(s, ctx):
    for act in ("tanh", "sigmoid"):
        E.chain_order_holds(act, ctx.st.later_left)
    tied = _tie_products_all(s, ctx)
    return ("∂h_T/∂h_k = J_T J_(T−1) ⋯ J_(k+1), later steps on the left, for every H, T and lag k (induction over t, symbolic H)",
            (f"Base case ∂h_k/∂h_k = I (SymPy: ∂h_i/∂h_j = δ_ij). Inductive step, {E.EVERY_H}: for an arbitrary smooth inner map "
             "u(v) (an undefined function, ∂u_k/∂v_j = P_kj), SymPy's ∂g(Σ_k W_ik u_k + c_i)/∂v_j equals Σ_k (J_t)_ik P_kj with "
             "(J_t)_ik = g'(a_i)W_ik: ∂h_t/∂v = J_t·∂h_(t−1)/∂v, so by induction ∂h_T/∂h_k = J_T ⋯ J_(k+1). Tie: subject products "
             f"(tanh, sigmoid) against the closed form, every lag, {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("g ∈ {tanh, σ}", "H, D ≥ 1, T ≥ k ≥ 0"), tied=tied,
                  steps=("SymPy: base case ∂h_i/∂h_j = KroneckerDelta(i, j)",
                         f"SymPy, {E.EVERY_H}: inductive step ∂g(Σ_k W_ik u_k(v) + c_i)/∂v_j = Σ_k (J_t)_ik ∂u_k/∂v_j (tanh, sigmoid)")))


NORM = {"rate": lambda gg, gv: gg * gv, "exponent": lambda t, k: t - k, "diag_sq": lambda M: M}
NORM_WRONG = {"γ/2 (rate γ_g'γ_v/2)": {"rate": lambda gg, gv: gg * gv / 2},
              "exponent t − k − 1": {"exponent": lambda t, k: t - k - 1},
              "a missing factor: ‖diag(d)z‖ ≤ max|d|/2·‖z‖": {"diag_sq": lambda M: M / 4}}


def norm_steps(st):
    """The norm bound for every H and t − k: the termwise diagonal certificate, then the product bound by induction (z3)."""
    E.diag_norm_certificate_holds(st.diag_sq)
    E.product_bound_holds(st.rate, st.exponent)
    return ((f"SymPy, {E.EVERY_H}: M Σ z_i² − Σ d_i² z_i² = Σ (M − d_i²) z_i²; z3: each term ≥ 0 when d_i² ≤ M, so "
             "‖diag(d)Wv‖ ≤ max|d|·‖Wv‖ ≤ max|d|·‖W‖‖v‖"),
            "SymPy: the exponent is 0 at t = k (base case ‖∂h_k/∂h_k‖ = 1) and grows by 1 per step",
            "z3: ‖J_t‖ ≤ max|g'|‖W‖ ≤ γ_g'γ_v per step, and p_t ≤ ‖J_t‖ p_(t−1) ≤ γ·γ^(t−1−k) (the inductive step)")


NORM_HYP = ("‖·‖₂ the operator norm: ‖Av‖ ≤ ‖A‖‖v‖ (its definition), so ‖AB‖ ≤ ‖A‖‖B‖",
            "γ_g' = sup|g'| (ACT-SIGMOID-DERIV-BOUND, ACT-TANH-DERIV-BOUND), γ_v = ‖W_hh‖₂", "H ≥ 1, t ≥ k")


@evidence("RNN-NORM-BOUND", "proof", statement=NORM, wrong=NORM_WRONG)
def rnn_norm_bound_proof(s, ctx):
    steps = norm_steps(ctx.st)
    mats = (np.array([[0.5, 2.0], [0.0, 0.25]]), np.array([[1.0, -0.5], [0.75, 0.125]]), np.array([[0.0, 3.0], [0.0, 0.0]]),
            np.array([[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [0.0, 0.0, 0.5]]), np.diag([0.25, -2.0, 1.0, 0.5]))
    for W in mats:
        S.agree(f"gamma_v = ‖W_hh‖₂ ({W.shape[0]}×{W.shape[0]})", s.gamma_v(W), float(S.opnorm_exact(W)))
    tied = _tie_products_all(s, ctx)
    return ("‖∂h_t/∂h_k‖₂ ≤ ∏‖diag(g'(a_i))‖₂‖W_hh‖₂ ≤ (γ_v γ_g')^(t−k) for every H and t − k: a termwise certificate and the induction (z3)",
            (f"For symbolic H, M‖z‖² − ‖diag(d)z‖² = Σ (M − d_i²) z_i² with each term ≥ 0 (z3) when every d_i² ≤ M, so "
             f"‖diag(g'(a))W‖ ≤ max|g'|·‖W‖ ≤ γ_g'γ_v; the product bound follows by induction over t (base 1, step checked by z3). "
             f"Tie: gamma_v equals the exact sqrt(λ_max(WᵀW)) of {len(mats)} rational matrices (2×2 to 4×4, three non-normal), and "
             f"products against the closed form at H = 1..8, {S.within()}. {S.versions()}, {S.z3_version()}."),
            Scope(sizes="every", steps=steps, hypotheses=NORM_HYP,
                  tied=(f"gamma_v: {len(mats)} exact rational matrices, 2×2 to 4×4",) + tied))


@evidence("RNN-STEP-NORM-EQUALITY", "proof",
          statement={"diag_sq": lambda M: M, "example": (sp.diag(1, sp.Rational(1, 2)), sp.diag(sp.Rational(1, 2), 1))},
          wrong={"'=' holds (an example where it does is offered)": {"example": (sp.eye(2), sp.diag(sp.Rational(1, 2), 1))},
                 "a missing factor: ‖diag(d)z‖ ≤ max|d|/2·‖z‖": {"diag_sq": lambda M: M / 4}})
def rnn_step_norm_equality_proof(s, ctx):
    E.diag_norm_certificate_holds(ctx.st.diag_sq)
    Dm, W = ctx.st.example
    ensure((Dm * W).norm(2) < Dm.norm(2) * W.norm(2), f"the example {Dm.tolist()}, {W.tolist()} does not make '≤' strict")
    tied = [E.tie_step_sizes(lambda P, h0, x, a=act: s.step_jacobian(P, h0, x, a), act, "step_jacobian", seed=1300 + 7 * k)
            for k, act in enumerate(("tanh", "sigmoid"))]
    return ("‖diag(g'(a_t)) W_hh‖₂ ≤ ‖diag(g'(a_t))‖₂‖W_hh‖₂ for every H, not '=' from H = 2: strict for diag(1, 1/2)·diag(1/2, 1) (1/2 < 1, exact)",
            (f"Upper bound: the termwise certificate of RNN-NORM-BOUND for symbolic H. Strictness: D = diag(1, 1/2), W = diag(1/2, 1) "
             f"give ‖DW‖₂ = 1/2 < ‖D‖₂‖W‖₂ = 1 (SymPy, exact): one witness refutes '=' at every size it is embedded in. Tie: subject "
             f"step_jacobian (tanh, sigmoid) against the closed form at H = 1..8 {S.within()}. {S.versions()}, {S.z3_version()}."),
            Scope(sizes="every", hypotheses=NORM_HYP[:1] + ("'not =': H ≥ 2 (at H = 1 both sides are |d·w|, equal)",),
                  tied=tuple(tied),
                  steps=(f"SymPy + z3, {E.EVERY_H}: ‖diag(d)z‖² ≤ max d²·‖z‖² termwise",
                         "SymPy: ‖diag(1, 1/2)·diag(1/2, 1)‖₂ = 1/2 < 1 = ‖diag(1, 1/2)‖₂‖diag(1/2, 1)‖₂ (a witness)")))


@evidence("RNN-RELU-NOT-IDENTITY", "proof", statement={"exponent": lambda t, k: t - k},
          wrong={"W^(t−k+1)": {"exponent": lambda t, k: t - k + 1}, "I (propagated as it is)": {"exponent": lambda t, k: 0 * t}})
def rnn_relu_not_identity_proof(s, ctx):
    """With every pre-activation positive, ReLU is the identity on the trajectory: ∂h_t/∂h_k = W^(t−k), every H and t."""
    lhs, _, P = E.chain_entry("linear")
    ensure(sp.simplify(lhs - sp.Sum(E.IW[E._i, E._k] * P(E._k, E._j), (E._k, 0, E.NH - 1))) == 0,
           "on the positive orthant the inductive step is not ∂h_t/∂v = W·∂h_(t−1)/∂v (symbolic H)")
    t, k, q = sp.Symbol("t", integer=True), sp.Symbol("k", integer=True), sp.Symbol("q", integer=True, nonnegative=True)
    Wm = sp.MatrixSymbol("W", E.NH, E.NH)
    ex = ctx.st.exponent
    ensure(ex(k, k) == 0, f"base case: ∂h_k/∂h_k = I, but the statement gives W^{ex(k, k)}")
    ensure(sp.simplify(ex(t, k) - ex(t - 1, k)) == 1 and (Wm * Wm ** q).doit() == Wm ** (q + 1),
           "inductive step: W·W^(t−1−k) is not the stated W^(exponent)")
    w_, h_, b_, s_ = sp.symbols("w h b s", real=True)
    S.valid("positivity: w, h ≥ 0 ⇒ w h ≥ 0 (each term of Σ_k W_ik h_k)", [w_ >= 0, h_ >= 0], w_ * h_ >= 0)
    S.valid("positivity: a sum s ≥ 0 of such terms plus b > 0 is > 0, and relu(a) = a > 0 feeds the next step", [s_ >= 0, b_ > 0],
            s_ + b_ > 0)
    for n_, (Hs, T) in enumerate(E.SIZES_TIED):
        seed = 1400 + 10 * n_
        Wv = np.abs(S.points((Hs, Hs), seed, 0.0, 1.5))
        Pp = {"W_hh": Wv, "W_xh": np.abs(S.points((Hs, 2), seed + 1, 0, 1)), "b": np.abs(S.points((Hs,), seed + 2, 0.125, 1)) + 0.125}
        h0, xs = np.abs(S.points((Hs,), seed + 3, 0, 1)), np.abs(S.points((T, 2), seed + 4, 0, 8))
        got = np.asarray(s.products(Pp, h0, xs, "relu"), float)
        ensure(got.shape == (T + 1, Hs, Hs), f"products: shape {got.shape}")
        with mpmath.workdps(S.MP_DPS):
            Wx = mpmath.matrix(Wv.tolist())
            for kk in range(T + 1):
                S.agree(f"∂h_T/∂h_{kk} (H = {Hs}, T = {T})", got[kk], np.array((Wx ** (T - kk)).tolist(), dtype=float))
    return ("ReLU with every pre-activation positive: ∂h_t/∂h_k = W_hh^(t−k) exactly, not I, for every H and t − k (induction, symbolic H)",
            (f"On the positive orthant ReLU is the identity, so the inductive step (symbolic H, an arbitrary inner map) is ∂h_t/∂v = "
             "W·∂h_(t−1)/∂v, the base case is I, and W·W^q = W^(q+1) (SymPy MatrixSymbol). Positivity by induction: W, W_xh, x, h_0 "
             f"≥ 0 and b > 0 keep a_t > 0 (z3, termwise). Tie: subject products at H = 1..8, T up to 6, nonnegative exact points, "
             f"against the exact powers {S.within()}. {S.versions()}, {S.z3_version()}."),
            Scope(sizes="every", hypotheses=("W_hh, W_xh, x_t, h_0 ≥ 0 and b > 0 (so a_t > 0 for every t)", "H ≥ 1, t ≥ k"),
                  steps=(f"SymPy, {E.EVERY_H}: inductive step ∂(Σ_k W_ik u_k(v) + c_i)/∂v_j = Σ_k W_ik ∂u_k/∂v_j",
                         "SymPy: base case exponent 0; W·W^q = W^(q+1) for a MatrixSymbol W (symbolic n)",
                         "z3: a_t > 0 by induction, termwise"),
                  tied=(f"products (relu) against exact W^(T−k) at {', '.join(f'H = {h}, T = {t}' for h, t in E.SIZES_TIED)}",)))


@evidence("RNN-SCALAR-REPEATED-PRODUCT", "proof", statement={"coeff": 1}, wrong={"|w^n| ≥ 1 + 2n(|w| − 1)": {"coeff": 2}})
def rnn_scalar_repeated_product_proof(s, ctx):
    dz, pz, kz = sp.symbols("d p k", real=True)
    cf = ctx.st.coeff
    S.valid("Bernoulli, base n = 1: 1 + d ≥ 1 + coeff·d (d > 0)", [dz > 0], 1 + dz >= 1 + cf * dz)
    S.valid("Bernoulli, inductive step: p ≥ 1 + coeff·k·d ⇒ p(1 + d) ≥ 1 + coeff·(k+1)·d", [dz > 0, kz >= 1, pz >= 1 + cf * kz * dz],
            pz * (1 + dz) >= 1 + cf * (kz + 1) * dz)
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
            f"w ∈ {{−3/2, −1/2, 5/4, 3/4, ±1}}, n ∈ {{1, 2, 3, 7, 10, 20}} (all exact in float64). {S.versions()}."),
            Scope(sizes="every", hypotheses=("w real, n ≥ 1",),
                  steps=("SymPy: |w^n| = |w|^n", "z3: Bernoulli's base case and inductive step, |w| = 1 + d, d > 0",
                         "SymPy: the limits of (1/2)^n and (3/2)^n; monotone in |w|"),
                  tied=("repeat bit for bit at w ∈ {−3/2, −1/2, 5/4, 3/4, ±1}, n ∈ {1, 2, 3, 7, 10, 20}",)))


@evidence("RNN-MATRIX-POWER-SPECTRAL-RADIUS", "fixed-size", statement={"offdiag": 8}, wrong={"W^k = 2^(−k)[[1, 4k], [0, 1]]": {"offdiag": 4}})
def rnn_matrix_power_spectral_radius_proof(s, ctx):
    k = sp.Symbol("k", positive=True, integer=True)
    big = sp.Matrix([[sp.Rational(1, 2), 4], [0, sp.Rational(1, 2)]])      # entries up to 4, ρ = 1/2
    Pk = sp.Matrix([[2 ** -k, ctx.st.offdiag * k * 2 ** -k], [0, 2 ** -k]])
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
            f"{S.within()}. {S.versions()}."),
            Scope(sizes=("n=2 (the witnesses and the Schur step)", "n=3 (one tied matrix)"),
                  hypotheses=("W = Q(Λ + N)Q* (Schur)",),
                  steps=("SymPy: W^k's closed form by induction over k and its limit (n = 2)", "SymPy: (0.9·𝟙𝟙ᵀ)² = 1.8·W",
                         "SymPy: two nilpotent factors vanish at n = 2 (the general Schur bound is prose, not code)"),
                  tied=("power of 4 rational matrices (2×2 and 3×3), k ∈ {1, 2, 5, 12}",)))
