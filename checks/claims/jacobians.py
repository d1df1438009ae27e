"""Checks of the Elman-RNN Jacobian claims (spec/claims/jacobians.toml): the step Jacobian and seed 003's eq. (2),
products of step Jacobians and their norm bounds, repeated products of a scalar and of a matrix, ReLU units.

Conventions (docs/DESIGN.md, models/rnn.py): h_t = g(a_t), a_t = W_hh h_{t−1} + W_xh x_t + b; time runs 1..T;
``hs[t−1]`` is h_t; ``jacobian_products(...)[k]`` is ∂h_T/∂h_k. The Elman case builders shared with the BPTT,
Pascanu, leaky-unit and Hochreiter topics are in ``vanishing.checks.cases``.
"""

import math
from fractions import Fraction

import numpy as np
from hypothesis import example, given, target
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from vanishing.checks import assertions, cases, oracles, recording, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    matrices,
    orthogonal_matrices,
    sequences,
    vectors,
)
from vanishing.checks.toolkit import FD_REACH, jac3, le, magnitude, opnorm, spectral_radius
from vanishing.models import activations as act
from vanishing.models import rnn


def _pre_activations(P, h0, xs, name):
    """a_t for t = 1..T along the actual trajectory (plain numpy, for preconditions)."""
    g, h, out = cases.activation(name), np.asarray(h0, float), []
    for x in xs:
        a = cases.pre(P, h, x)
        out.append(a)
        h = np.asarray(g.f(a), float)
    return out


def _elman_jacobian(W, a, h_prev, name):
    """∂h_t/∂h_{t−1} = diag(g'(a_t)) W_hh: g' at the *current* pre-activation, the diagonal on the *left*."""
    return np.diag(cases.activation(name).df(a)) @ W


def _seed001_jacobian(W, a, h_prev, name):
    """Seed 001's factor v^{(1)} g'(h^{i−1}) read as a matrix: W_hh diag(g'(h_{t−1}))."""
    return W @ np.diag(cases.activation(name).df(h_prev))


def _step_jacobian_transposed_from_h3(P, h, x, act="tanh"):
    """A size-dependent plant: diag(g'(a)) W_hhᵀ once H ≥ 3 (a layout bug that a 2×2 test can miss only by luck)."""
    J = rnn.step_jacobian(P, h, x, act)
    return J if len(h) < 3 else cases.activation(act).df(cases.pre(P, h, x))[:, None] * np.asarray(P["W_hh"]).T


@claim_check("RNN-STEP-JACOBIAN",
             subject={"step": rnn.step, "step_jacobian": rnn.step_jacobian, "formula": _elman_jacobian},
             plants={"diag(g') on the right (W_hh diag(g'(a)))":
                         {"formula": lambda W, a, h, n: W @ np.diag(cases.activation(n).df(a))},
                     "g' at h_{t-1} and on the right (seed 001's literal factor)": {"formula": _seed001_jacobian},
                     "model step uses sigmoid where tanh is asked":
                         {"step": lambda P, h, x, act="tanh": rnn.step(P, h, x, "sigmoid" if act == "tanh" else act)},
                     "step_jacobian transposes W_hh only from H = 3": {"step_jacobian": _step_jacobian_transposed_from_h3}})
def rnn_step_jacobian_is_diag_gprime_times_w_hh(ctx, s):
    """∂h_t/∂h_{t−1} = diag(g'(a_t)) W_hh, a_t = W_hh h_{t−1} + W_xh x_t + b.  [RNN-STEP-JACOBIAN]"""

    @ctx.holds
    @given(case=cases.step_cases())
    @example(case={"act": "tanh", "W_hh": np.array([[0.0, 2.0], [1.0, 0.0]]), "W_xh": np.zeros((2, 1)),
                   "b": np.array([1.0, -0.5]), "h_prev": np.array([0.5, 0.0]), "x": np.zeros(1)})
    @example(case={"act": "tanh", "W_hh": np.array([[0.5, -1.0, 0.25], [1.5, 0.0, -0.5], [0.0, 0.75, 1.0]]), "W_xh": np.ones((3, 1)),
                   "b": np.array([0.5, -0.25, 0.0]), "h_prev": np.array([0.25, -0.5, 1.0]), "x": np.array([0.5])})   # H = 3
    def three_oracles(case):
        name, P = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"])
        a = cases.pre(P, case["h_prev"], case["x"])
        C = s.formula(P["W_hh"], a, case["h_prev"], name)
        rep = ctx.repro(**case)
        assertions.assert_close(s.step_jacobian(P, case["h_prev"], case["x"], name), C, tolerances.analytic(scale=magnitude(C)),
                             f"{ctx.id}: model step_jacobian vs diag(g'(a))·W_hh", rep)
        # FD for ReLU only when no kink lies within the stencil (stated in the record's hypotheses)
        fd = name != "relu" or cases.relu_fd_safe([a], P["W_hh"])
        jac3(lambda h: s.step(P, h, case["x"], name), case["h_prev"], C, f"{ctx.id} ({name})", fd=fd, reproduce=rep)

    @ctx.refutes
    @given(case=cases.step_cases(acts=cases.SMOOTH))
    @example(case={"act": "tanh", "W_hh": np.array([[1.0]]), "W_xh": np.array([[0.0]]), "b": np.array([1.0]),
                   "h_prev": np.array([0.0]), "x": np.array([0.0])})
    def seed001_literal(case):
        name, P = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"])
        a = cases.pre(P, case["h_prev"], case["x"])
        J = oracles.jacobian_reverse(lambda h: rnn.step(P, h, case["x"], name), case["h_prev"])      # the true Jacobian
        assertions.assert_close(_seed001_jacobian(P["W_hh"], a, case["h_prev"], name), J, tolerances.analytic(scale=magnitude(J)),
                             f"{ctx.id}: seed 001's ∏ v^(1) g'(h^(i-1)) factor, W_hh diag(g'(h_(t-1))), vs autograd ∂h_t/∂h_(t-1)",
                             ctx.repro(**case), literal=True)


# ================================================================ seed 003 eq. (2), sigmoid, no bias
def _eq2_jacobian(W, pre):
    """Seed 003 eq. (2): σ'(W_rec c_{t−1} + W_in x_t)·W_rec, the vector σ' scaling the *rows* of W_rec."""
    return act.sigmoid_prime(pre)[:, None] * W


@claim_check("RNN-STEP-JACOBIAN-SIGMOID-EQ2",
             subject={"step": rnn.step, "formula": _eq2_jacobian},
             plants={"σ' scales the columns (W_rec diag(σ'))": {"formula": lambda W, p: W * act.sigmoid_prime(p)[None, :]},
                     "σ' written as σ(1+σ)":
                         {"formula": lambda W, p: (act.sigmoid(p) * (1 + act.sigmoid(p)))[:, None] * W}})
def sigmoid_rnn_step_jacobian_is_seed003_eq2(ctx, s):
    """∂c_t/∂c_{t−1} = diag(σ'(W_rec c_{t−1} + W_in x_t)) W_rec (seed 003 eq. (2)).  [RNN-STEP-JACOBIAN-SIGMOID-EQ2]"""

    @ctx.holds
    @given(case=cases.step_cases(acts=("sigmoid",), bias=False))
    @example(case={"act": "sigmoid", "W_hh": np.array([[0.0, 2.0], [1.0, 0.0]]), "W_xh": np.array([[1.0], [-1.0]]),
                   "b": np.zeros(2), "h_prev": np.array([0.5, 0.1]), "x": np.array([2.0])})
    def eq2(case):
        P = cases.elman_params(case["W_hh"], case["W_xh"], np.zeros(len(case["h_prev"])))   # the seed leaves out the bias
        pre = cases.pre(P, case["h_prev"], case["x"])
        jac3(lambda cc: s.step(P, cc, case["x"], "sigmoid"), case["h_prev"], s.formula(P["W_hh"], pre),
              f"{ctx.id}: σ'(W_rec c + W_in x)·W_rec", reproduce=ctx.repro(**case))



# ================================================================ seed 003 blames tanh' in its sigmoid network
def _eq2_factors(s, pre):
    """The diagonal factors of eq. (2): the formula applied to W_rec = I gives diag(σ'(a_t))."""
    return np.diag(s.formula(np.eye(len(pre)), pre))


@claim_check("RNN-SEED003-TANH-FOR-SIGMOID",
             subject={"step": rnn.step, "formula": _eq2_jacobian},
             plants={"formula with tanh' for σ' (the seed's words)": {"formula": lambda W, p: act.tanh_prime(p)[:, None] * W}})
def sigmoid_rnn_step_jacobian_uses_the_sigmoid_derivative(ctx, s):
    """c_t = σ(W_rec c_{t−1} + W_in x_t): ∂c_t/∂c_{t−1} = diag(σ'(a_t)) W_rec with σ' ≤ 1/4 (not tanh'), so ‖W_rec‖₂ < 4 ⇒ vanishing.  [RNN-SEED003-TANH-FOR-SIGMOID]"""

    @ctx.holds
    @given(case=cases.step_cases(acts=("sigmoid",), bias=False))
    @example(case={"act": "sigmoid", "W_hh": np.array([[2.0]]), "W_xh": np.zeros((1, 1)), "b": np.zeros(1),
                   "h_prev": np.zeros(1), "x": np.zeros(1)})
    def sigmoid_factor_at_most_quarter(case):
        P = cases.elman_params(case["W_hh"], case["W_xh"], np.zeros(len(case["h_prev"])))   # the seed leaves out the bias
        pre = cases.pre(P, case["h_prev"], case["x"])
        rep = ctx.repro(**case)
        jac3(lambda cc: s.step(P, cc, case["x"], "sigmoid"), case["h_prev"], s.formula(P["W_hh"], pre),
             f"{ctx.id}: ∂c_t/∂c_(t−1) vs diag(σ'(a_t)) W_rec", reproduce=rep)
        factors = _eq2_factors(s, pre)
        target(float(np.max(factors)), label="σ'(a_t)")
        le(factors, np.full(len(pre), 0.25), f"{ctx.id}: the step's factor σ'(a_t) vs 1/4", reproduce=rep)

    @st.composite
    def nets_below_four(draw):
        """Seed 003's net with ‖W_rec‖₂ ∈ [1, 4) (where the tanh reading expects growth), k ≤ 8 steps."""
        n, k = draw(dims(1, 3), label="H"), draw(st.integers(1, 8), label="k")
        W = draw(cases.with_norm(n, floats(1.0, 4.0).filter(lambda v: v < 4.0)), label="W_rec")
        return {"W_hh": W, "W_xh": draw(matrices(n, 2, -3.0, 3.0), label="W_in"),
                "c0": draw(vectors(n, 0.0, 1.0), label="c_0"),                # a sigmoid state lies in (0, 1)
                "xs": draw(sequences(k, 2, -3.0, 3.0), label="xs")}

    @ctx.holds
    @given(case=nets_below_four())
    @example(case={"W_hh": np.array([[2.0]]), "W_xh": np.zeros((1, 2)), "c0": np.zeros(1), "xs": np.zeros((8, 2))})
    def below_four_vanishes(case):
        W, xs, c0 = case["W_hh"], case["xs"], case["c0"]
        k = len(xs)
        P = cases.elman_params(W, case["W_xh"], np.zeros(len(c0)))
        rep = ctx.repro(**case)

        def unroll(cc):
            for x in xs:
                cc = s.step(P, cc, x, "sigmoid")
            return cc
        J = oracles.jacobian_reverse(unroll, c0)                   # ∂c_k/∂c_0 through the model
        prod, cc = np.eye(len(c0)), c0
        for x in xs:                                               # the product of eq. (2) factors, later ones on the left
            prod = s.formula(P["W_hh"], cases.pre(P, cc, x)) @ prod
            cc = s.step(P, cc, x, "sigmoid")
        # every factor has ‖·‖₂ ≤ ‖W_rec‖₂/4 < 1, so the rounding errors of the product are absolute, at the scale 1
        assertions.assert_close(prod, J, tolerances.analytic(scale=1.0), f"{ctx.id}: ∏ eq. (2) vs autograd ∂c_k/∂c_0", rep)
        bound = (opnorm(W) / 4.0) ** k
        if bound > 0:
            target(opnorm(prod) / bound, label="‖∂c_k/∂c_0‖ / (‖W_rec‖/4)^k")
        le(opnorm(prod), bound, f"{ctx.id}: ‖∂c_k/∂c_0‖₂ vs (‖W_rec‖₂/4)^k", reproduce=rep)

    @ctx.refutes
    @given(case=cases.step_cases(acts=("sigmoid",), bias=False))
    @example(case={"act": "sigmoid", "W_hh": np.array([[2.0]]), "W_xh": np.zeros((1, 1)), "b": np.zeros(1),
                   "h_prev": np.zeros(1), "x": np.zeros(1)})
    def literal_tanh_factor(case):
        P = cases.elman_params(case["W_hh"], case["W_xh"], np.zeros(len(case["h_prev"])))
        pre = cases.pre(P, case["h_prev"], case["x"])
        J = oracles.jacobian_reverse(lambda cc: s.step(P, cc, case["x"], "sigmoid"), case["h_prev"])   # the truth
        assertions.assert_close(act.tanh_prime(pre)[:, None] * P["W_hh"], J, tolerances.analytic(scale=magnitude(J)),
                             f"{ctx.id}: seed 003's 'derivative of the tanh', diag(tanh'(a_t)) W_rec, vs autograd ∂c_t/∂c_(t−1)",
                             ctx.repro(**case), literal=True)

def _products_one_extra(params, h0, xs, act="tanh"):
    """A plant: one factor too many, ∂h_T/∂h_k taken as J_T ⋯ J_{k+1} J_k (with J_0 := J_1)."""
    P = rnn.jacobian_products(params, h0, xs, act)
    hs = np.vstack([h0, rnn.forward(params, h0, xs, act)])
    Js = [rnn.step_jacobian(params, hs[i], xs[i], act) for i in range(len(xs))]   # Js[i] = J_{i+1}
    return np.stack([P[k] @ Js[max(k - 1, 0)] for k in range(len(P))])


@claim_check("RNN-JACOBIAN-PRODUCT-ORDER",
             subject={"products": rnn.jacobian_products},
             plants={"product in the wrong order (J_{k+1} ⋯ J_T)": {"products": cases.products_reversed},
                     "one factor too many (J_T ⋯ J_k)": {"products": _products_one_extra},
                     "order reversed only from T = 3 on": {"products": lambda P, h0, xs, act="tanh": (
                         cases.products_reversed(P, h0, xs, act) if len(xs) >= 3 else rnn.jacobian_products(P, h0, xs, act))}})
def rnn_jacobian_product_puts_later_steps_left(ctx, s):
    """∂h_T/∂h_k = J_T J_{T−1} ⋯ J_{k+1}, J_i = diag(g'(a_i)) W_hh (later factors on the left).  [RNN-JACOBIAN-PRODUCT-ORDER]"""

    @ctx.holds
    @given(case=cases.seq_cases(H=(2, 3), T=(2, 4)), k_frac=floats(0.0, 1.0))
    @example(case={"act": "tanh", "W_hh": np.array([[0.0, 1.5], [-1.0, 0.5]]), "W_xh": np.array([[1.0], [0.5]]),
                   "b": np.array([0.2, -0.3]), "h0": np.array([0.1, -0.4]), "xs": np.array([[1.0], [-1.0], [0.5]])},
             k_frac=0.0)
    def matches_autograd_through_forward(case, k_frac):
        name, P, xs, h0 = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"]), case["xs"], case["h0"]
        T = len(xs)
        prods = s.products(P, h0, xs, name)
        hs = np.vstack([h0, rnn.forward(P, h0, xs, name)])
        assert prods.shape == (T + 1,) + P["W_hh"].shape, f"{ctx.id}: products shape {prods.shape}, expected {(T + 1,) + P['W_hh'].shape}"
        k_fd = min(int(k_frac * T), T - 1)          # one lag gets all three oracles; the others autograd (cost)
        a_s = _pre_activations(P, h0, xs, name)
        rep = ctx.repro(**case)
        cases.same_map(P, h0, xs, name, ctx.id)
        for k in range(T):
            f = (lambda v, k=k: cases.elman(P, v, xs[k:], name)[-1])          # h_T as a function of h_k
            if k == k_fd:
                fd = name != "relu" or cases.relu_fd_safe(a_s[k:], P["W_hh"])
                jac3(f, hs[k], prods[k], f"{ctx.id} ({name}, T={T}, k={k}): ∂h_T/∂h_k", fd=fd, reproduce=rep)
            else:
                Jk = oracles.jacobian_reverse(f, hs[k])
                assertions.assert_close(prods[k], Jk, tolerances.analytic(scale=magnitude(Jk)),
                                     f"{ctx.id} ({name}, T={T}, k={k}): products vs autograd", rep)
        assertions.assert_close(prods[T], np.eye(len(h0)), tolerances.analytic(), f"{ctx.id}: ∂h_T/∂h_T must be I", rep)


# ================================================================ ‖J‖ ≤ ‖diag(g')‖‖W‖, not =
@claim_check("RNN-STEP-NORM-EQUALITY",
             subject={"step_jacobian": rnn.step_jacobian},
             plants={"step Jacobian without g' (J = W_hh)": {"step_jacobian": lambda P, h, x, act="tanh": np.asarray(P["W_hh"], float)},
                     "step Jacobian with g' on the right at h_{t-1}":
                         {"step_jacobian": lambda P, h, x, act="tanh": _seed001_jacobian(P["W_hh"], None, h, act)}})
def rnn_step_norm_bound_is_tight_only_in_special_cases(ctx, s):
    """‖∂h_t/∂h_{t−1}‖₂ ≤ ‖diag(g'(a_t))‖₂ ‖W_hh‖₂ ≤ γ_g' γ_v, with equality only in special cases.  [RNN-STEP-NORM-EQUALITY]"""

    def parts(case, step_jacobian):
        """(‖J‖₂, ‖diag(g'(a))‖₂, ‖W_hh‖₂, γ_g') with J from ``step_jacobian``, cross-checked against autograd."""
        name, P = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"])
        J = step_jacobian(P, case["h_prev"], case["x"], name)
        Jr = oracles.jacobian_reverse(lambda h: rnn.step(P, h, case["x"], name), case["h_prev"])
        assertions.assert_close(J, Jr, tolerances.analytic(scale=magnitude(Jr)), f"{ctx.id} ({name}): step Jacobian vs autograd", ctx.repro(**case))
        recording.record_oracle("closed-form")
        d = float(np.max(np.abs(cases.activation(name).df(cases.pre(P, case["h_prev"], case["x"])))))     # ‖diag(g'(a))‖₂ = max|g'(a_i)|
        return opnorm(J), d, opnorm(P["W_hh"]), cases.GAMMA[name]

    @ctx.holds
    @given(case=cases.step_cases(H=(1, 4), w=5.0))
    def submultiplicative(case):
        nJ, d, nW, gamma = parts(case, s.step_jacobian)
        if d * nW > 0:
            target(nJ / (d * nW), label="‖J‖ / (‖diag g'‖‖W‖)")
        le(nJ, d * nW, f"{ctx.id}: ‖J‖₂ vs ‖diag(g'(a))‖₂‖W_hh‖₂", reproduce=ctx.repro(**case))
        le(d * nW, gamma * nW, f"{ctx.id}: ‖diag(g'(a))‖₂‖W_hh‖₂ vs γ_g'γ_v", reproduce=ctx.repro(**case))

    @ctx.refutes
    @given(case=cases.step_cases(H=(1, 4), w=5.0))
    @example(case={"act": "tanh", "W_hh": np.array([[1.0, 0.0], [0.0, 0.0]]), "W_xh": np.zeros((2, 1)),
                   "b": np.array([1.0, 0.0]), "h_prev": np.zeros(2), "x": np.zeros(1)})
    def seed001_equality(case):
        # the statement is about the true Jacobian: the reference model's, whose agreement with autograd parts()
        # asserts (a cross-check that must pass; the subject is under test in `submultiplicative`)
        nJ, d, nW, _ = parts(case, rnn.step_jacobian)
        assertions.assert_close(nJ, d * nW, tolerances.analytic(scale=magnitude(d * nW)),
                             f"{ctx.id}: seed 001's ‖∂h_i/∂h_(i-1)‖ = ‖v‖‖g'‖ as an equality", ctx.repro(**case), literal=True)


@claim_check("RNN-NORM-BOUND",
             subject={"products": rnn.jacobian_products, "gamma_v": opnorm},
             plants={"γ_v taken as the spectral radius ρ(W_hh)": {"gamma_v": spectral_radius},
                     "products drop diag(g') (W_hh^{T−k})": {"products": cases.products_without_gprime}})
def rnn_jacobian_norm_at_most_gamma_power(ctx, s):
    """‖∂h_T/∂h_k‖₂ ≤ (γ_v γ_g')^{T−k}, γ_v = ‖W_hh‖₂, γ_g' = sup|g'|.  [RNN-NORM-BOUND]"""

    @ctx.holds
    @given(case=cases.seq_cases(H=(1, 4), T=(1, 30), w=5.0))
    @example(case={"act": "sigmoid", "W_hh": np.array([[0.0, 4.0], [0.0, 0.0]]), "W_xh": np.zeros((2, 1)), "b": np.zeros(2),
                   "h0": np.zeros(2), "xs": np.zeros((3, 1))})
    # equality: a rotation W_hh, tanh at a_t = 0 (h = 0, b = 0, x = 0) gives ‖∂h_T/∂h_k‖ = 1 = (γ_vγ_g')^{T−k}
    @example(case={"act": "tanh", "W_hh": np.array([[0.6, -0.8], [0.8, 0.6]]), "W_xh": np.zeros((2, 1)), "b": np.zeros(2),
                   "h0": np.zeros(2), "xs": np.zeros((30, 1))})
    def bound(case):
        name, P, h0, xs = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"]), case["h0"], case["xs"]
        T, rep = len(xs), ctx.repro(**case)
        prods = s.products(P, h0, xs, name)
        f = lambda v: cases.elman(P, v, xs, name)[-1]
        cases.same_map(P, h0, xs, name, ctx.id)
        if T <= 3:                                               # FD cost grows with T: three oracles on short runs
            fd = name != "relu" or cases.relu_fd_safe(_pre_activations(P, h0, xs, name), P["W_hh"])
            jac3(f, h0, prods[0], f"{ctx.id} ({name}): ∂h_T/∂h_0", fd=fd, reproduce=rep)
        else:
            J0 = oracles.jacobian_reverse(f, h0)
            assertions.assert_close(prods[0], J0, tolerances.analytic(scale=magnitude(J0)), f"{ctx.id} ({name}): ∂h_T/∂h_0 vs autograd", rep)
        rate = s.gamma_v(P["W_hh"]) * cases.GAMMA[name]
        worst = 0.0
        for k in range(T + 1):
            nP, bnd = opnorm(prods[k]), rate ** (T - k)
            worst = max(worst, nP / bnd if bnd > 0 else 0.0)
            le(nP, bnd, f"{ctx.id} ({name}): ‖∂h_T/∂h_k‖₂ at T={T}, k={k}, γ_vγ_g'={rate!r}", reproduce=rep)
        target(worst, label="max_k ‖∂h_T/∂h_k‖ / (γ_vγ_g')^{T−k}")


# ================================================================ seed 002: a scalar multiplied 100 times
def _repeat(w, n):
    """Multiply 1 by w, n times: the gradient factor applied over and over (seed 002)."""
    p = 1.0
    for _ in range(n):
        p = p * w
    return p


_NONTINY = st.one_of(floats(0.05, 10.0), floats(-10.0, -0.05))   # |w| ≥ 0.05: 0.05^200 = 6e-261, no underflow


@claim_check("RNN-SCALAR-REPEATED-PRODUCT",
             subject={"repeat": _repeat},
             plants={"one factor short (n − 1 multiplications)": {"repeat": lambda w, n: _repeat(w, n - 1)},
                     "the sign dropped (|w|^n)": {"repeat": lambda w, n: abs(_repeat(w, n))}})
def scalar_power_limit_depends_on_absolute_value(ctx, s):
    """w^n = sign(w)^n |w|^n: |w^n| → ∞ iff |w| > 1 and → 0 iff |w| < 1 — the test is on |w|, not on w.  [RNN-SCALAR-REPEATED-PRODUCT]"""

    @ctx.holds
    @given(w=_NONTINY, n=st.integers(1, 200))
    # w < 0 with n odd: w^n < 0. The dev profile's 8 draws missed the plant "the sign dropped" in 3 of 15 seeds
    @example(w=-2.0, n=3)
    def magnitude_decides(w, n):
        p = s.repeat(w, n)
        # sign(w)^n |w|^n in exact rational arithmetic, rounded once: the reference carries no error of its own
        want = (-1.0 if w < 0 and n % 2 else 1.0) * float(Fraction(abs(w)) ** n)
        # the n multiplications round n times, each by ≤ 2^-53 relative: ≤ n/2 ≤ 100 ulps for n ≤ 200 (no underflow or
        # overflow: 0.05^200 = 6e-261, 10^200 < 1.8e308), inside the fixed analytic tolerance of 2^8 ulps
        assertions.assert_close(np.array([p]), np.array([want]), tolerances.analytic(scale=abs(want)),
                             f"{ctx.id}: w^n by {n} multiplications vs sign(w)^n |w|^n, w={w!r}")
        assert (abs(p) > 1.0) == (abs(w) > 1.0), f"{ctx.id}: |w^{n}| = {abs(p)!r} for w = {w!r}: |w^n| > 1 must hold iff |w| > 1"
        if abs(w) > 1.0:     # Bernoulli: |w|^n ≥ 1 + n(|w| − 1), unbounded in n
            le(1.0 + n * (abs(w) - 1.0), abs(p), f"{ctx.id}: Bernoulli's lower bound for |w| = {abs(w)!r}, n = {n}")

    @ctx.refutes
    @given(w=floats(-10.0, 0.999))
    @example(w=-2.0)
    def seed002_below_one_vanishes(w):
        p = s.repeat(w, 100)                  # "over and over again for say 100 times"
        literal(abs(p) < 1.0, f"{ctx.id}: w = {w!r} < 1 but |w^100| = {abs(p)!r} ≥ 1: it does not vanish")


# ================================================================ matrices: the spectral radius, not the entries
def _matrix_power(W, k):
    """W^k by k − 1 successive products (as backpropagation applies W once per step)."""
    out = np.array(W, dtype=float)
    for _ in range(k - 1):
        out = out @ W
    return out


@st.composite
def _schur_cases(draw):
    """(W, ρ, ‖|N|‖): W = diag(λ) + N upper triangular (real eigenvalues λ, nilpotent part N of any size) or
    W = ρQ with Q orthogonal (normal; complex eigenvalues of modulus ρ); ρ up to 2, ‖N‖ up to 5·n."""
    n = draw(dims(1, 4), label="n")
    if draw(st.booleans(), label="normal"):
        rho = draw(floats(0.0, 2.0), label="rho")
        return rho * draw(orthogonal_matrices(n), label="Q"), rho, 0.0
    lam = draw(vectors(n, -2.0, 2.0), label="eigenvalues")
    N = draw(floats(0.0, 5.0), label="coupling") * np.triu(draw(matrices(n, n, -1.0, 1.0), label="U"), 1)
    return np.diag(lam) + N, float(np.max(np.abs(lam))), opnorm(np.abs(N))


def _signed_big_entries(n):
    """(n, n) matrices with every |w_ij| in [1.01, 3] and arbitrary signs."""
    return st.builds(lambda mag, pos: np.where(pos, mag, -mag), matrices(n, n, 1.01, 3.0), hnp.arrays(np.bool_, (n, n)))


@claim_check("RNN-MATRIX-POWER-SPECTRAL-RADIUS",
             subject={"power": _matrix_power},
             plants={"elementwise power (W**k) instead of the matrix power": {"power": lambda W, k: np.asarray(W, float) ** k},
                     "one factor short (W^{k−1})": {"power": lambda W, k: _matrix_power(W, k - 1) if k > 1 else np.eye(len(W))}})
def matrix_power_vanishes_iff_spectral_radius_below_one(ctx, s):
    """ρ(W)^k ≤ ‖W^k‖₂ ≤ Σ_{j<n} C(k,j) ρ^{k−j} ‖N‖^j (W = D + N Schur): W^k → 0 iff ρ < 1, whatever the entries.  [RNN-MATRIX-POWER-SPECTRAL-RADIUS]"""

    @ctx.holds
    @given(case=_schur_cases(), k=st.integers(1, 60))
    # W = 1.5·Q, Q a rotation: ‖W³‖₂ = ρ³ = 3.375, while the entrywise cube has norm 1.875 < ρ³ (the plant
    # "elementwise power" went unseen by the dev profile's draws in 1 of 15 seeds)
    @example(case=(np.array([[0.9, -1.2], [1.2, 0.9]]), 1.5, 0.0), k=3)
    def spectral_radius_sandwich(case, k):
        W, rho, nN = case
        n = len(W)
        Wk = s.power(W, k)
        upper = sum(math.comb(k, j) * rho ** (k - j) * nN ** j for j in range(min(k, n - 1) + 1))
        # rounding: each entry of fl(W^k) is off by ≤ k·n·eps·(|W|^k)_ij ≤ 240 eps·upper (k ≤ 60, n ≤ 4)
        nWk = opnorm(Wk)
        if upper > 0:
            target(nWk / upper, label="‖W^k‖ / Schur bound")
        le(rho ** k, nWk, f"{ctx.id}: ρ^k ≤ ‖W^k‖₂ at k={k}, ρ={rho!r}", scale=upper, reproduce=ctx.repro(W=W))
        le(nWk, upper, f"{ctx.id}: ‖W^k‖₂ ≤ Σ C(k,j) ρ^(k−j) ‖N‖^j at k={k}, ρ={rho!r}, ‖N‖={nN!r}", reproduce=ctx.repro(W=W))

    @ctx.refutes
    @given(W=st.integers(1, 4).flatmap(lambda n: matrices(n, n, -0.99, 0.99)))
    @example(W=np.full((2, 2), 0.9))
    def entries_below_one_vanish(W):
        nWk = opnorm(_matrix_power(W, 100))       # the true power (the subject is under test in the sandwich)
        literal(nWk < 1.0, f"{ctx.id}: every |w_ij| < 1 but ‖W^100‖₂ = {nWk!r} ≥ 1 (ρ(W) = {spectral_radius(W)!r}): {ctx.repro(W=W)}")

    @ctx.refutes
    @given(W=st.integers(1, 4).flatmap(_signed_big_entries))
    @example(W=np.array([[2.0, -2.0], [2.0, -2.0]]))
    def entries_above_one_explode(W):
        nWk = opnorm(_matrix_power(W, 100))
        literal(nWk > 1.0, f"{ctx.id}: every |w_ij| > 1 but ‖W^100‖₂ = {nWk!r} ≤ 1 (ρ(W) = {spectral_radius(W)!r}): {ctx.repro(W=W)}")


# ================================================================ ReLU: the gradient is still multiplied by W_hh
@st.composite
def _active_relu_cases(draw):
    """ReLU RNN whose units stay active: W_hh, W_xh, x, h0 ≥ 0 and b large enough that no pre-activation comes
    within the FD stencil's reach of the kink for T ≤ 4 (for longer runs b > 0 keeps a_t > 0)."""
    n, d, T = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D"), draw(st.integers(1, 40), label="T")
    W = draw(floats(0.0, 1.5), label="scale") * draw(matrices(n, n, 0.0, 1.0), label="W_hh/scale")
    winf = max(float(np.max(np.sum(W, axis=1))), 1.0)
    margin = FD_REACH * float(np.max(W)) * winf ** (min(T, 4) - 1) + 0.1
    return {"W_hh": W, "W_xh": draw(matrices(n, d, 0.0, 1.0), label="W_xh"), "b": margin + draw(vectors(n, 0.0, 5.0), label="b − margin"),
            "h0": draw(vectors(n, 0.0, 1.0), label="h0"), "xs": draw(sequences(T, d, 0.0, 3.0), label="xs")}


@claim_check("RNN-RELU-NOT-IDENTITY",
             subject={"products": rnn.jacobian_products},
             plants={"the gradient 'propagated as it is' (∂h_T/∂h_k = I)":
                         {"products": lambda P, h0, xs, act="relu": np.stack([np.eye(len(h0))] * (len(xs) + 1))},
                     "products with W_hhᵀ": {"products": lambda P, h0, xs, act="relu": rnn.jacobian_products({**P, "W_hh": np.asarray(P["W_hh"]).T}, h0, xs, act)}})
def active_relu_rnn_jacobian_is_a_w_hh_power(ctx, s):
    """ReLU RNN, all units active (a_t > 0): ∂h_t/∂h_k = W_hh^{t−k}, so the gradient still vanishes or explodes with W_hh.  [RNN-RELU-NOT-IDENTITY]"""

    @ctx.holds
    @given(case=_active_relu_cases())
    def products_are_powers_of_w(case):
        P, h0, xs = cases.elman_params(case["W_hh"], case["W_xh"], case["b"]), case["h0"], case["xs"]
        T, rep = len(xs), ctx.repro(**case)
        # every a_t > 0 by construction (W_hh, W_xh, x, h_0 ≥ 0 and b > 0, so h_t = a_t > 0 by induction)
        a_s = _pre_activations(P, h0, xs, "relu")
        prods = s.products(P, h0, xs, "relu")
        for k in range(T + 1):
            Wk = np.linalg.matrix_power(P["W_hh"], T - k)
            assertions.assert_close(prods[k], Wk, tolerances.analytic(scale=magnitude(Wk)),
                                 f"{ctx.id}: ∂h_T/∂h_k vs W_hh^(T−k) at T={T}, k={k}", rep)
        f = lambda v: cases.elman(P, v, xs, "relu")[-1]
        cases.same_map(P, h0, xs, "relu", ctx.id)
        if T <= 4:      # the margin in b keeps every kink out of the FD stencil (see _active_relu_cases)
            jac3(f, h0, prods[0], f"{ctx.id}: ∂h_T/∂h_0 = W_hh^T", fd=cases.relu_fd_safe(a_s, P["W_hh"]), reproduce=rep)
        else:
            J0 = oracles.jacobian_reverse(f, h0)
            assertions.assert_close(prods[0], J0, tolerances.analytic(scale=magnitude(J0)), f"{ctx.id}: ∂h_T/∂h_0 vs autograd at T={T}", rep)

    @ctx.refutes
    @given(case=_active_relu_cases())
    @example(case={"W_hh": np.array([[2.0]]), "W_xh": np.array([[0.0]]), "b": np.array([1.0]), "h0": np.array([1.0]), "xs": np.array([[0.0]])})
    def seed001_propagated_as_is(case):
        P, h0, xs = cases.elman_params(case["W_hh"], case["W_xh"], case["b"]), case["h0"], case["xs"]
        J = oracles.jacobian_reverse(lambda v: rnn.step(P, v, xs[0], "relu"), h0)
        assertions.assert_close(J, np.eye(len(h0)), tolerances.analytic(),
                             f"{ctx.id}: 'derivative 1 ⇒ the gradient is propagated as it is': ∂h_1/∂h_0 vs I", ctx.repro(**case), literal=True)
