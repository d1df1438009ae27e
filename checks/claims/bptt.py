"""Checks of the backpropagation-through-time claims (spec/claims/bptt.toml): the BPTT double sum, seed 003's
single-path eq. (1), long-range terms, truncated BPTT, averaging untied copies, and a vanishing sum of
non-vanishing terms.

Conventions (docs/DESIGN.md, models/rnn.py): h_t = g(W_hh h_{t−1} + W_xh x_t + b), time 1..T, ``hs[t−1]`` is h_t;
E = Σ_t dE_dh[t−1]·h_t (any per-step loss reduces to these cotangents at a point); ∂⁺ holds h_{k−1} fixed.
"""

import math

import autograd.numpy as anp
import numpy as np
from autograd.misc.flatten import flatten
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, oracles, recording, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    matrices,
    sequences,
    vectors,
)
from vanishing.checks.toolkit import grad3, le, magnitude, opnorm
from vanishing.models import rnn


_KEYS = ("W_hh", "W_xh", "b")
_W = ("W_hh", "W_xh")          # seed 003's W = [W_rec, W_in] (no bias)


def _theta(P, keys=_KEYS):
    """θ, the ``keys`` of P as one vector (autograd's flatten: sorted keys, each raveled), and θ ↦ P with them replaced.

    The map back takes an autograd box too, so the oracles differentiate through it.
    """
    theta, unflatten = flatten({k: P[k] for k in keys})
    return theta, lambda th: {**P, **unflatten(th)}


def _readout(P, h0, xs, dE, name):
    """E = Σ_t dE_dh[t−1]·h_t: any per-step loss reduces to these cotangents at a point."""
    return anp.sum(dE * cases.elman(P, h0, xs, name))


# ================================================================ the BPTT double sum
@st.composite
def _bptt_cases(draw, acts=cases.ACTS, H=(1, 2), D=(1, 1), T=(1, 3), w=2.0, bias_hi=1e3):
    """A short sequence plus cotangents dE_dh[t−1] = ∂E_t/∂h_t."""
    case = draw(cases.seq_cases(acts=acts, H=H, D=D, T=T, w=w, bias_hi=bias_hi))
    case["dE"] = draw(matrices(len(case["xs"]), len(case["h0"]), -1.0, 1.0), label="dE_dh")
    return case


def _grad_vector(g, with_h0=True):
    return np.concatenate([_theta(g)[0]] + ([np.ravel(g["h0"])] if with_h0 else []))


def _seed001_total_sum(P, h0, xs, dE, name):
    """Seed 001's inner sum with its own symbols: Σ_t Σ_{k=1..t} ∂E_t/∂h_t ∂h_t/∂h_k ∂h_k/∂w,
    where ∂h_k/∂w is the *total* derivative (autograd through h_1..h_k)."""
    H = len(h0)
    theta, unflat = _theta(P)
    Dh = oracles.jacobian_reverse(lambda th: rnn.forward(unflat(th), h0, xs, name), theta).reshape(len(xs), H, -1)
    total = np.zeros(theta.size)
    for t in range(1, len(xs) + 1):
        Pt = rnn.jacobian_products(P, h0, xs[:t], name)        # Pt[k] = ∂h_t/∂h_k
        for k in range(1, t + 1):
            total = total + dE[t - 1] @ Pt[k] @ Dh[k - 1]
    return total


def _drop_first_term(P, h0, xs, dE, act="tanh"):
    """A plant: the double sum with k running from 2, i.e. minus the k = 1 terms
    Σ_t (∂E_t/∂h_t ∂h_t/∂h_1 ⊙ g'(a_1)) ⊗ (h_0, x_1, 1)."""
    full = rnn.bptt_grad_sum_form(P, h0, xs, dE, act)
    gbar1 = sum(dE[t - 1] @ rnn.jacobian_products(P, h0, xs[:t], act)[1] for t in range(1, len(xs) + 1))
    delta = gbar1 * cases.activation(act).df(cases.pre(P, h0, xs[0]))
    return {**full, "W_hh": full["W_hh"] - np.outer(delta, h0), "W_xh": full["W_xh"] - np.outer(delta, xs[0]), "b": full["b"] - delta}


@claim_check("RNN-BPTT-SUM",
             subject={"sum_form": rnn.bptt_grad_sum_form, "bptt": rnn.bptt_grad},
             plants={"sum over k starts at 2 (drops the k = 1 term)": {"sum_form": _drop_first_term},
                     "backward pass run with W_hhᵀ (transposed weight layout)":
                         {"bptt": lambda P, h0, xs, dE, act="tanh": rnn.bptt_grad({**P, "W_hh": np.asarray(P["W_hh"]).T}, h0, xs, dE, act)}})
def bptt_gradient_is_a_sum_over_time_steps(ctx, s):
    """∂E/∂θ = Σ_t Σ_{k≤t} ∂E_t/∂h_t · ∂h_t/∂h_k · ∂⁺h_k/∂θ (∂⁺: h_{k−1} held fixed).  [RNN-BPTT-SUM]"""

    @ctx.holds
    @given(case=_bptt_cases())
    @example(case={"act": "tanh", "W_hh": np.array([[0.5, -1.0], [1.0, 0.2]]), "W_xh": np.array([[1.0], [-0.5]]),
                   "b": np.array([0.1, 0.2]), "h0": np.array([0.3, -0.2]), "xs": np.array([[1.0], [-1.0], [0.5]]),
                   "dE": np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]])})
    @example(case={"act": "tanh", "W_hh": np.array([[0.5, -1.0, 0.25], [1.0, 0.2, -0.5], [0.0, 0.75, -0.25]]), "W_xh": np.array([[1.0], [-0.5], [0.25]]),
                   "b": np.array([0.1, 0.2, -0.3]), "h0": np.array([0.3, -0.2, 0.1]), "xs": np.array([[1.0], [-1.0], [0.5], [2.0]]),
                   "dE": np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -1.0], [0.5, -0.5, 0.0], [0.25, 0.0, 1.0]])})   # H = 3, T = 4
    def sum_form_three_oracles(case):
        name, P, h0, xs, dE = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"]), case["h0"], case["xs"], case["dE"]
        H = len(h0)
        g_sum = s.sum_form(P, h0, xs, dE, name)
        rep = ctx.repro(**case)
        gs = _grad_vector(g_sum)
        assertions.assert_close(_grad_vector(s.bptt(P, h0, xs, dE, name)), gs, tolerances.analytic(scale=magnitude(gs)),
                             f"{ctx.id}: backward recursion vs double sum", rep)
        w, unflat = _theta(P)
        theta = np.concatenate([w, h0])
        cases.same_map(P, h0, xs, name, ctx.id)
        E = lambda v: anp.reshape(_readout(unflat(v[:-H]), v[-H:], xs, dE, name), (1,))
        # ReLU: a parameter step of 0.5 moves pre-activations arbitrarily near the kink; FD for smooth g only
        grad3(E, theta, _grad_vector(g_sum), f"{ctx.id} ({name}): ∂E/∂(θ, h0)", fd=name != "relu", reproduce=rep)

    @ctx.refutes
    @given(case=_bptt_cases(acts=cases.SMOOTH))
    @example(case={"act": "tanh", "W_hh": np.array([[1.0]]), "W_xh": np.array([[0.0]]), "b": np.array([0.0]),
                   "h0": np.array([0.0]), "xs": np.zeros((2, 1)), "dE": np.ones((2, 1))})        # Hypothesis's shrunk case
    def seed001_literal_total_derivative(case):
        name, P, h0, xs, dE = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"]), case["h0"], case["xs"], case["dE"]
        theta, unflat = _theta(P)
        true = oracles.jacobian_reverse(lambda th: anp.reshape(_readout(unflat(th), h0, xs, dE, name), (1,)), theta)[0]
        assertions.assert_close(_seed001_total_sum(P, h0, xs, dE, name), true, tolerances.analytic(scale=magnitude(true)),
                             f"{ctx.id}: seed 001's Σ_k ∂E_t/∂h_t ∂h_t/∂h_k ∂h_k/∂w (total ∂h_k/∂w) vs autograd ∂E/∂θ",
                             ctx.repro(**case), literal=True)


# ================================================================ seed 003 eq. (1): one path only
@st.composite
def _seed003_cases(draw, H=(1, 2), T=(2, 4), w=3.0):
    """Seed 003's net: c_t = σ(W_rec c_{t−1} + W_in x_t), no bias, loss E_k on the last state (k = T)."""
    n, T_ = draw(dims(*H), label="H"), draw(st.integers(*T), label="T")
    W = draw(cases.with_norm(n, floats(0.0, w)), label="W_rec")
    Win = draw(matrices(n, 1, -w, w), label="W_in")
    c0 = draw(vectors(n, 0.0, 1.0), label="c0")
    xs = draw(sequences(T_, 1, -3.0, 3.0), label="xs")
    v = draw(vectors(n, -1.0, 1.0), label="dE_k/dc_k")
    return {"W_hh": W, "W_xh": Win, "c0": c0, "xs": xs, "v": v}


def _last_only(v, T):
    dE = np.zeros((T, len(v)))
    dE[-1] = v
    return dE


def _eq1(P, c0, xs, v, products):
    """Seed 003 eq. (1): ∂E_k/∂c_k (∏_{t=2..k} ∂c_t/∂c_{t−1}) ∂c_1/∂W, with ∂c_1/∂W by autograd (W = [W_rec, W_in])."""
    theta, unflat = _theta(P, _W)
    dc1 = oracles.jacobian_reverse(lambda th: rnn.step(unflat(th), c0, xs[0], "sigmoid"), theta)
    return v @ products(P, c0, xs, "sigmoid")[1] @ dc1


def _eq1_only_sum(P, h0, xs, dE, act="sigmoid"):
    """A plant: 'BPTT' that keeps only the path through c_1 (the gradient minus every window of length ≤ T−1)."""
    full = rnn.bptt_grad(P, h0, xs, dE, act)
    tr = rnn.truncated_bptt_grad(P, h0, xs, dE, len(xs) - 2, act)
    return {k: full[k] - tr[k] for k in full}


@claim_check("RNN-BPTT-SINGLE-PATH-EQ1",
             subject={"sum_form": rnn.bptt_grad_sum_form, "truncated": rnn.truncated_bptt_grad, "products": rnn.jacobian_products},
             plants={"BPTT keeps only the path through c_1 (eq. (1) taken as the gradient)": {"sum_form": _eq1_only_sum},
                     "truncation window one step too long":
                         {"truncated": lambda P, h0, xs, dE, U, act="tanh": rnn.truncated_bptt_grad(P, h0, xs, dE, U + 1, act)}})
def seed003_eq1_is_only_the_first_bptt_term(ctx, s):
    """∂E_k/∂W = Σ_{j=1..k} ∂E_k/∂c_k (∏_{t=j+1..k} ∂c_t/∂c_{t−1}) ∂⁺c_j/∂W; seed 003's eq. (1) is its j = 1 term only.  [RNN-BPTT-SINGLE-PATH-EQ1]"""
    @ctx.holds
    @given(case=_seed003_cases())
    @example(case={"W_hh": np.array([[1.0]]), "W_xh": np.array([[1.0]]), "c0": np.array([0.5]),
                   "xs": np.array([[1.0], [1.0]]), "v": np.array([1.0])})
    @example(case={"W_hh": np.array([[0.5, -1.0, 0.25], [1.0, 0.2, -0.5], [0.0, 0.75, -0.25]]), "W_xh": np.array([[1.0], [-0.5], [0.25]]), "c0": np.array([0.5, -0.25, 0.1]),
                   "xs": np.array([[1.0], [1.0], [-0.5]]), "v": np.array([1.0, -0.5, 0.25])})          # H = 3, T = 3
    def sum_over_paths(case):
        H, T = len(case["c0"]), len(case["xs"])
        P, c0, xs, v = cases.elman_params(case["W_hh"], case["W_xh"], np.zeros(H)), case["c0"], case["xs"], case["v"]
        dE = _last_only(v, T)
        rep = ctx.repro(**case)
        g = s.sum_form(P, c0, xs, dE, "sigmoid")
        cases.same_map(P, c0, xs, "sigmoid", ctx.id)
        theta, unflat = _theta(P, _W)
        E = lambda th: anp.reshape(_readout(unflat(th), c0, xs, dE, "sigmoid"), (1,))
        grad3(E, theta, _theta(g, _W)[0], f"{ctx.id}: Σ_j path terms vs ∂E_k/∂[W_rec, W_in]", reproduce=rep)
        # eq. (1) is exactly the j = 1 term: the full gradient minus the windows that stop at c_2 (U = k − 2)
        tr = s.truncated(P, c0, xs, dE, T - 2, "sigmoid")
        first = _theta(g, _W)[0] - _theta(tr, _W)[0]
        assertions.assert_close(_eq1(P, c0, xs, v, s.products), first, tolerances.analytic(scale=magnitude(first)),
                             f"{ctx.id}: eq. (1) vs the j = 1 (path through c_1) term", rep)

    @ctx.refutes
    @given(case=_seed003_cases())
    @example(case={"W_hh": np.array([[0.0]]), "W_xh": np.array([[0.0]]), "c0": np.array([0.0]),
                   "xs": np.zeros((2, 1)), "v": np.array([1.0])})                                 # Hypothesis's shrunk case
    def seed003_eq1_is_the_gradient(case):
        H, T = len(case["c0"]), len(case["xs"])
        P, c0, xs, v = cases.elman_params(case["W_hh"], case["W_xh"], np.zeros(H)), case["c0"], case["xs"], case["v"]
        theta, unflat = _theta(P, _W)
        E = lambda th: anp.reshape(_readout(unflat(th), c0, xs, _last_only(v, T), "sigmoid"), (1,))
        true = oracles.jacobian_reverse(E, theta)[0]
        assertions.assert_close(_eq1(P, c0, xs, v, rnn.jacobian_products), true, tolerances.analytic(scale=magnitude(true)),
                             f"{ctx.id}: seed 003 eq. (1) vs autograd ∂E_k/∂[W_rec, W_in]", ctx.repro(**case), literal=True)


# ================================================================ long-range terms vanish, the gradient does not
@st.composite
def _long_seed003_cases(draw, H=(1, 3), T=(8, 24)):
    """Seed 003's sigmoid net in the vanishing regime η = ‖W_rec‖₂/4 ∈ [0.1, 0.9], a loss at every step."""
    n, T_ = draw(dims(*H), label="H"), draw(st.integers(*T), label="T")
    W = draw(cases.with_norm(n, floats(0.4, 3.6)), label="W_rec")
    Win = draw(matrices(n, 1, -3.0, 3.0), label="W_in")
    c0 = draw(vectors(n, 0.0, 1.0), label="c0")
    xs = draw(cases.long_inputs(T_, 1), label="xs")
    dE = draw(cases.long_inputs(T_, n, -1.0, 1.0), label="dE_dh")
    L = draw(st.integers(1, 4), label="L")
    return {"W_hh": W, "W_xh": Win, "c0": c0, "xs": xs, "dE": dE, "L": L}


def _tail_bound(P, c0, xs, dE, L, eta, gamma):
    """Σ_t Σ_{k ≤ t−L} ‖∂E_t/∂h_t‖ η^{t−k} γ ‖(c_{k−1}, x_k)‖: each dropped term is the outer product of
    δ = (∂E_t/∂h_t ∂h_t/∂h_k) ⊙ σ'(a_k), ‖δ‖ ≤ ‖∂E_t/∂h_t‖ η^{t−k} γ, with (c_{k−1}, x_k)."""
    hs = np.vstack([c0, rnn.forward(P, c0, xs, "sigmoid")])
    T = len(xs)
    e = np.linalg.norm(dE, axis=1)                                            # e[t−1] = ‖∂E_t/∂h_t‖
    z = gamma * np.hypot(np.linalg.norm(hs[:-1], axis=1), np.linalg.norm(xs, axis=1))   # z[k−1] = γ‖(c_{k−1}, x_k)‖
    lag = np.arange(1, T + 1)[:, None] - np.arange(1, T + 1)[None, :]         # lag[t−1, k−1] = t − k
    weights = np.where(lag >= L, eta ** np.maximum(lag, 0), 0.0)
    return float(e @ weights @ z)


@claim_check("RNN-LONG-TERM-TERMS-VANISH",
             subject={"bptt": rnn.bptt_grad, "truncated": rnn.truncated_bptt_grad, "gamma_v": opnorm},
             plants={"η from the spectral radius instead of ‖W_rec‖₂":
                         {"gamma_v": lambda W: float(np.max(np.abs(np.linalg.eigvals(W))))},
                     "truncation window one step short":
                         {"truncated": lambda P, h0, xs, dE, U, act="tanh": rnn.truncated_bptt_grad(P, h0, xs, dE, max(U - 1, 0), act)}})
def long_term_bptt_terms_vanish_but_the_gradient_does_not(ctx, s):
    """‖Σ_t Σ_{k≤t−L} ∂E_t/∂h_t ∂h_t/∂h_k ∂⁺h_k/∂W‖ ≤ Σ ‖∂E_t/∂h_t‖ η^{t−k} γ ‖(c_{k−1},x_k)‖, η = γ‖W_rec‖ < 1; ∂E/∂W itself does not vanish.  [RNN-LONG-TERM-TERMS-VANISH]"""
    gamma = cases.GAMMA["sigmoid"]

    def grads(case, bptt):
        P = cases.elman_params(case["W_hh"], case["W_xh"], np.zeros(len(case["c0"])))
        G = bptt(P, case["c0"], case["xs"], case["dE"], "sigmoid")
        return P, _theta(G, _W)[0]

    @ctx.holds
    @given(case=_long_seed003_cases())
    # η = 0.1: the lag-1 terms are ~1/η larger than the bound for lags ≥ L = 2 (a window off by one shows at once)
    @example(case={"W_hh": np.array([[0.4]]), "W_xh": np.array([[1.0]]), "c0": np.array([0.5]),
                   "xs": np.ones((8, 1)), "dE": np.ones((8, 1)), "L": 2})
    # nilpotent W: ρ(W) = 0 but ‖W‖₂ = 3.2 (η = 0.8), and the lag-1 terms are non-zero: a bound built on the
    # spectral radius (η = 0) claims they vanish
    @example(case={"W_hh": np.array([[0.0, 3.2], [0.0, 0.0]]), "W_xh": np.array([[1.0], [0.5]]), "c0": np.array([0.1, 0.2]),
                   "xs": np.ones((6, 1)), "dE": np.ones((6, 2)), "L": 1})
    def long_range_part_bounded(case):
        P, G = grads(case, s.bptt)
        c0, xs, dE, L = case["c0"], case["xs"], case["dE"], case["L"]
        rep = ctx.repro(**case)
        if len(xs) <= 12:       # autograd through longer runs costs more than the rest of the example
            cases.same_map(P, c0, xs, "sigmoid", ctx.id)
            theta, unflat = _theta(P, _W)
            E = lambda th: anp.reshape(_readout(unflat(th), c0, xs, dE, "sigmoid"), (1,))
            Ga = oracles.jacobian_reverse(E, theta)[0]
            assertions.assert_close(G, Ga, tolerances.analytic(scale=magnitude(Ga)), f"{ctx.id}: bptt_grad vs autograd", rep)
            recording.record_oracle("closed-form")
        eta = gamma * s.gamma_v(P["W_hh"])
        flat_tr = lambda U: _theta(s.truncated(P, c0, xs, dE, U, "sigmoid"), _W)[0]
        R = np.linalg.norm(G - flat_tr(L - 1))                      # every term with t − k ≥ L
        bound = _tail_bound(P, c0, xs, dE, L, eta, gamma)
        target(R / bound if bound > 0 else 0.0, label="long-range part / bound")
        le(R, bound, f"{ctx.id}: ‖long-range part (t−k ≥ {L})‖_F", scale=max(np.linalg.norm(G), bound), reproduce=rep)
        # the gradient keeps its immediate (t = k) terms: ‖∂E/∂W‖ ≥ ‖Σ_t ∂E_t/∂h_t ∂⁺h_t/∂W‖ − (bound for t−k ≥ 1)
        lower = np.linalg.norm(flat_tr(0)) - _tail_bound(P, c0, xs, dE, 1, eta, gamma)
        le(lower, np.linalg.norm(G), f"{ctx.id}: ‖∂E/∂W‖_F below its immediate part minus the long-range bound",
            scale=max(np.linalg.norm(G), 1.0), reproduce=rep)

    @ctx.refutes
    @given(case=_long_seed003_cases())
    # η = ‖W_rec‖₂/4 = 1/4, inside the drawn range [0.1, 0.9]: the product in eq. (1) does vanish, the gradient does not
    @example(case={"W_hh": np.array([[1.0]]), "W_xh": np.array([[1.0]]), "c0": np.array([0.0]),
                   "xs": np.ones((20, 1)), "dE": np.ones((20, 1)), "L": 1})
    def seed003_complete_gradient_vanishes(case):
        P, G = grads(case, rnn.bptt_grad)     # the true gradient and η (the reference; the subject is under test above)
        c0, xs, dE = case["c0"], case["xs"], case["dE"]
        eta = gamma * opnorm(P["W_hh"])
        theta, unflat = _theta(P, _W)
        dc1 = oracles.jacobian_reverse(lambda th: rnn.step(unflat(th), c0, xs[0], "sigmoid"), theta)
        # what eq. (1) predicts once its product vanishes: ‖∂E/∂W‖ ≤ Σ_t ‖∂E_t/∂h_t‖ η^{t−1} ‖∂c_1/∂W‖
        bound = sum(np.linalg.norm(dE[t - 1]) * eta ** (t - 1) for t in range(1, len(xs) + 1)) * opnorm(dc1)
        le(np.linalg.norm(G), bound, f"{ctx.id}: ‖∂E/∂W‖_F against the 'complete gradient vanishes' bound of eq. (1)",
            reproduce=ctx.repro(**case), literal=True)


# ================================================================ truncated BPTT
def _truncated_surrogate(theta, unflat, hs, xs, dE, U, name):
    """E_U(θ) = Σ_t dE_t · h_t^{(U)}(θ), where h_t^{(U)} reruns steps t−U..t from the state h_{t−U−1} held
    constant (its value at the current θ): its θ-gradient is exactly Σ_t Σ_{k=max(1,t−U)..t} ∂E_t/∂h_t ∂h_t/∂h_k ∂⁺h_k/∂θ."""
    P, g = unflat(theta), cases.activation(name).f
    total = 0.0
    for t in range(1, len(xs) + 1):
        start = max(0, t - U - 1)
        h = hs[start]
        for k in range(start + 1, t + 1):
            h = g(anp.dot(P["W_hh"], h) + anp.dot(P["W_xh"], xs[k - 1]) + P["b"])   # the Elman step, unvalidated (cost)
        total = total + anp.dot(dE[t - 1], h)
    return anp.reshape(total, (1,))


@st.composite
def _truncation_cases(draw):
    case = draw(_bptt_cases(H=(1, 2), T=(2, 3)))
    case["U"] = draw(st.integers(0, len(case["xs"])), label="U")
    return case


@claim_check("RNN-TRUNCATED-BPTT",
             subject={"truncated": rnn.truncated_bptt_grad, "bptt": rnn.bptt_grad},
             plants={"window one step short (U − 1)":
                         {"truncated": lambda P, h0, xs, dE, U, act="tanh": rnn.truncated_bptt_grad(P, h0, xs, dE, max(U - 1, 0), act)},
                     "U ignored (full BPTT returned)":
                         {"truncated": lambda P, h0, xs, dE, U, act="tanh": rnn.bptt_grad(P, h0, xs, dE, act)}})
def truncated_bptt_drops_bounded_long_term_terms(ctx, s):
    """∂^{(U)}E/∂θ = Σ_t Σ_{k=max(1,t−U)..t} ∂E_t/∂h_t ∂h_t/∂h_k ∂⁺h_k/∂θ; = ∂E/∂θ for U ≥ T−1; the dropped terms are bounded by (γ_vγ_g')^{t−k}.  [RNN-TRUNCATED-BPTT]"""

    @ctx.holds
    @given(case=_truncation_cases())
    @example(case={"act": "tanh", "W_hh": np.array([[0.5, -1.0], [1.0, 0.2]]), "W_xh": np.array([[1.0], [-0.5]]),
                   "b": np.array([0.1, 0.2]), "h0": np.array([0.3, -0.2]), "xs": np.array([[1.0], [-1.0], [0.5]]),
                   "dE": np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]]), "U": 1})
    @example(case={"act": "sigmoid", "W_hh": np.array([[0.5, -1.0, 0.25], [1.0, 0.2, -0.5], [0.0, 0.75, -0.25]]), "W_xh": np.array([[1.0], [-0.5], [0.25]]),
                   "b": np.array([0.1, 0.2, -0.3]), "h0": np.array([0.3, -0.2, 0.1]), "xs": np.array([[1.0], [-1.0], [0.5]]),
                   "dE": np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -1.0], [0.5, -0.5, 0.0]]), "U": 1})              # H = 3, T = 3
    def truncated_gradient(case):
        name, P, h0, xs, dE, U = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"]), case["h0"], case["xs"], case["dE"], case["U"]
        T, rep = len(xs), ctx.repro(**case)
        tr, full = s.truncated(P, h0, xs, dE, U, name), s.bptt(P, h0, xs, dE, name)
        hs = np.vstack([h0, rnn.forward(P, h0, xs, name)])
        (theta, unflat), flat_tr, flat_full = _theta(P), _theta(tr)[0], _theta(full)[0]
        grad3(lambda th: _truncated_surrogate(th, unflat, hs, xs, dE, U, name), theta, flat_tr,
               f"{ctx.id} ({name}, U={U}): truncated gradient vs the stop-gradient surrogate", fd=name != "relu", reproduce=rep)
        if U >= T - 1:
            assertions.assert_close(flat_tr, flat_full, tolerances.analytic(scale=magnitude(flat_full)),
                                 f"{ctx.id}: U={U} ≥ T−1={T - 1} must give the full θ-gradient", rep)
        if U >= T:
            assertions.assert_close(tr["h0"], full["h0"], tolerances.analytic(scale=magnitude(full["h0"])),
                                 f"{ctx.id}: U={U} ≥ T={T} must give the full h0-gradient", rep)
        # every dropped term (t − k > U) is δ ⊗ (h_{k−1}, x_k, 1) with ‖δ‖ ≤ ‖∂E_t/∂h_t‖ (γ_vγ_g')^{t−k} γ_g'
        rate, gamma = opnorm(P["W_hh"]) * cases.GAMMA[name], cases.GAMMA[name]
        bound = sum(np.linalg.norm(dE[t - 1]) * rate ** (t - k) * gamma * math.sqrt(hs[k - 1] @ hs[k - 1] + xs[k - 1] @ xs[k - 1] + 1.0)
                    for t in range(1, T + 1) for k in range(1, t - U))
        dropped = float(np.linalg.norm(flat_full - flat_tr))
        if bound > 0:
            target(dropped / bound, label="‖full − truncated‖ / bound")
        le(dropped, bound, f"{ctx.id}: ‖full − truncated‖_F at U={U}, T={T}", scale=max(bound, float(np.linalg.norm(flat_full))), reproduce=rep)


# ================================================================ seed 001: update untied copies, then average
def _untied_loss(stack, unflat, h0, xs, dE, name):
    """E with a separate copy (W_hh^{(k)}, W_xh^{(k)}) of the recurrent and input weights at every step k.

    ``stack`` holds the copies' θ = (W_hh, W_xh) one after the other; ``unflat`` maps one back to the step's params.
    """
    n = len(stack) // len(xs)
    h, E = h0, 0.0
    g = cases.activation(name).f
    for k in range(len(xs)):
        Pk = unflat(stack[k * n:(k + 1) * n])
        h = g(anp.dot(Pk["W_hh"], h) + anp.dot(Pk["W_xh"], xs[k]) + Pk["b"])   # the Elman step with copy k (unvalidated: cost)
        E = E + anp.dot(dE[k], h)
    return anp.reshape(E, (1,))


def _seed001_average(v, copy_grads, eta):
    """Seed 001: v^{t−τ} ← v − η ∂E/∂v^{t−τ} for τ = 0..U, then v ← (1/(U+1)) Σ_τ v^{t−τ}."""
    return sum(v - eta * g for g in copy_grads) / len(copy_grads)


@claim_check("RNN-BPTT-AVERAGE-COPIES",
             subject={"average": _seed001_average, "bptt": rnn.bptt_grad},
             plants={"average divides by U instead of U + 1":
                         {"average": lambda v, gs, eta: sum(v - eta * g for g in gs) / max(len(gs) - 1, 1)},
                     "each copy updated with the full tied gradient":
                         {"average": lambda v, gs, eta: sum(v - eta * sum(gs) for _ in gs) / len(gs)}})
def averaging_updated_copies_is_a_scaled_gradient_step(ctx, s):
    """Σ_τ ∂E/∂v^{t−τ} = ∂E/∂v, so averaging the U+1 updated copies = v − η/(U+1)·∂E/∂v.  [RNN-BPTT-AVERAGE-COPIES]"""

    @ctx.holds
    @given(case=_bptt_cases(H=(1, 2), T=(1, 3)), eta=floats(0.01, 1.0))
    def averaging_is_a_scaled_tied_step(case, eta):
        name, P, h0, xs, dE = case["act"], cases.elman_params(case["W_hh"], case["W_xh"], case["b"]), case["h0"], case["xs"], case["dE"]
        T, rep = len(xs), ctx.repro(eta=eta, **case)
        v, unflat = _theta(P, _W)                                         # the tied weights (v_bb', v_bi)
        stack = np.tile(v, T)                                             # U + 1 = T copies, all equal to v
        G = grad3(lambda st_: _untied_loss(st_, unflat, h0, xs, dE, name), stack, None,
                   f"{ctx.id} ({name}): ∂E/∂(untied copies)", fd=name != "relu", reproduce=rep)[0].reshape(T, -1)
        tied = s.bptt(P, h0, xs, dE, name)
        g_tied = _theta(tied, _W)[0]
        assertions.assert_close(G.sum(axis=0), g_tied, tolerances.analytic(scale=magnitude(g_tied)),
                             f"{ctx.id}: Σ_τ ∂E/∂v^(t−τ) vs the tied gradient (closed form)", rep)
        recording.record_oracle("closed-form")
        assertions.assert_close(s.average(v, list(G), eta), v - eta / T * g_tied, tolerances.analytic(scale=magnitude(v - eta / T * g_tied)),
                             f"{ctx.id}: averaged copies vs one tied step with learning rate η/(U+1), U+1={T}", rep)


# ================================================================ seed 003: a vanishing sum needs no vanishing terms

def _per_step_gradients(bptt, P, h0, xs, act_name):
    """G[t−1] = ∂h_t/∂θ for the scalar state (H = 1): bptt with the one-hot-in-time cotangent e_t, θ = (W_rec, W_in)."""
    T = len(xs)
    rows = []
    for t in range(T):
        e = np.zeros((T, 1))
        e[t, 0] = 1.0
        g = bptt(P, h0, xs, e, act_name)
        rows.append(_theta(g, _W)[0])
    return np.array(rows)


@st.composite
def _cancelling_rnns(draw):
    """Seed 003's RNN c_t = act(W_rec c_(t−1) + W_in x_t), H = D = 1, no bias, so θ = (W_rec, W_in) has P = 2
    entries and T = P + 1 = 3 per-step gradients: three vectors in R² always admit a vanishing combination."""
    name = draw(st.sampled_from(("sigmoid", "tanh")), label="activation")
    w = draw(st.sampled_from((1.0, 3.0)), label="weight range")
    W = draw(matrices(1, 2, -w, w), label="[W_rec, W_in]")
    P = {"W_hh": W[:, :1], "W_xh": W[:, 1:], "b": np.zeros(1)}
    return name, P, draw(vectors(1, -1.0, 1.0), label="c_0"), draw(matrices(3, 1, -3.0, 3.0), label="xs")


def _cancelling_cotangents(G):
    """v ≠ 0 with Σ_t v_t G[t−1] = 0 (the right-null vector of Gᵀ, unit length), or None when the rows do not span R^P."""
    _, sv, vt = np.linalg.svd(G.T)          # G.T is (P, T) with T = P + 1: vt is T×T, its last row spans the null space
    if sv[0] == 0.0 or sv[-1] <= 1e-6 * sv[0]:   # rank < P: the null space is larger, the rows do not span R^P
        return None
    return vt[-1]


@claim_check("BPTT-SUM-CANCELLATION",
             subject={"bptt": rnn.bptt_grad},
             plants={"each E_t credited to its own step only (BPTT truncated to U = 0)":
                         {"bptt": lambda P, h0, xs, dE, act="tanh": rnn.truncated_bptt_grad(P, h0, xs, dE, 0, act)},
                     "backward pass drops the last step's own cotangent ∂E_T/∂h_T":
                         {"bptt": lambda P, h0, xs, dE, act="tanh": rnn.bptt_grad(P, h0, xs, np.vstack([dE[:-1], 0 * dE[-1:]]), act)}})
def bptt_sum_can_cancel_to_zero(ctx, s):
    """∂E/∂W = Σ_t ∂E_t/∂W can be exactly 0 while no ∂E_t/∂W (and no partial sum S_n, n < T) is 0.  [BPTT-SUM-CANCELLATION]"""

    def cancel(case, G):
        """v with Σ_t v_t ∂c_t/∂W = 0, the per-step gradients v_t ∂c_t/∂W, and the model's ∂E/∂W for ∂E_t/∂c_t = v_t."""
        name, P, c0, xs = case
        v = _cancelling_cotangents(G)
        assume(v is not None)                                       # the rows span R² (stated precondition)
        terms = v[:, None] * G                                      # ∂E_t/∂W = (∂E_t/∂c_t) ∂c_t/∂W with ∂E_t/∂c_t = v_t
        total = s.bptt(P, c0, xs, v[:, None], name)
        return v, terms, _theta(total, _W)[0]

    # W_rec = W_in = 0, so c_t = σ(0) = ½ and ∂c_t/∂W = ¼(c_(t−1), x_t). Hypothesis shrinks to x = (1, 1, 1), where
    # ∂c_2/∂W = ∂c_3/∂W and v = (0, 1, −1)/√2: two terms cancel, the first is 0. x = (1, 0, 1) (ours) makes the three
    # rows ¼(0, 1), ¼(½, 0), ¼(½, 1): v = (1, 1, −1)/√3, all three terms non-zero and their sum 0.
    shrunk = ("sigmoid", {"W_hh": np.array([[0.0]]), "W_xh": np.array([[0.0]]), "b": np.zeros(1)}, np.array([0.0]),
              np.array([[1.0], [1.0], [1.0]]))
    all_nonzero = ("sigmoid", {"W_hh": np.array([[0.0]]), "W_xh": np.array([[0.0]]), "b": np.zeros(1)}, np.array([0.0]),
                   np.array([[1.0], [0.0], [1.0]]))

    @ctx.holds(max_examples=15, reason="three oracles (finite differences through T = 3 model steps) on every per-step gradient")
    @given(case=_cancelling_rnns())
    @example(case=all_nonzero)
    def per_step_gradients_and_their_sum(case):
        name, P, c0, xs = case
        G = _per_step_gradients(s.bptt, P, c0, xs, name)
        assume(_cancelling_cotangents(G) is not None)      # rows spanning R² (cheap to test: reject before the oracles)
        theta, unflat = _theta(P, _W)
        rep = ctx.repro(act=name, W=theta, c0=c0, xs=xs)
        # three oracles on every per-step gradient at once: row t of ∂(c_1..c_T)/∂W is ∂E_t/∂W for E_t = c_t
        oracles.check_jacobian(lambda th: rnn.forward(unflat(th), c0, xs, name)[:, 0], theta,
                               closed_form=G, label=f"{ctx.id}: per-step gradients ∂c_t/∂W", reproduce=rep)
        _, terms, total = cancel(case, G)
        norms = np.linalg.norm(terms, axis=1)
        # the scale of the cancellation is ‖G‖₂ (v is a unit vector and SVD's null vector leaves Gᵀv ≈ eps·‖G‖₂), not the
        # size of the terms, which small entries of v can make much smaller; relative, since the inputs may be tiny
        scale = float(np.linalg.norm(G, 2))
        assume(float(np.min(norms)) >= 1e-6 * scale)        # every E_t carries weight (stated precondition)
        tol = tolerances.analytic(scale=scale)
        # linearity: the gradient of E = Σ E_t is the sum of the per-step gradients (what eq. (3) says) ...
        assertions.assert_close(total, terms.sum(axis=0), tol, f"{ctx.id}: ∂E/∂W vs Σ_t ∂E_t/∂W", rep)
        # ... and the triangle inequality gives the true direction: all terms vanish ⇒ the sum vanishes
        le(np.linalg.norm(total), np.sum(norms), f"{ctx.id}: ‖Σ_t ∂E_t/∂W‖ vs Σ_t ‖∂E_t/∂W‖", scale=scale)
        # but not conversely: here the sum is 0 to rounding while no term and no partial sum S_n (n < T) is
        partial = np.linalg.norm(np.cumsum(terms, axis=0), axis=1)
        assert np.linalg.norm(total) <= tol.atol, f"{ctx.id}: the cancelling combination left ‖∂E/∂W‖ = {np.linalg.norm(total)!r} ({rep})"
        assert np.all(partial[:-1] > tol.atol), f"{ctx.id}: a partial sum vanished: ‖S_n‖ = {partial!r}, ‖∂E_t/∂W‖ = {norms!r} ({rep})"
        target(float(np.min(norms)) / scale, label="smallest per-step gradient (relative to the largest)")

    @ctx.refutes(max_examples=10, reason="the cancellation is structural (any 3 vectors in R² combine to 0): the shrunk counterexample runs first")
    @given(case=_cancelling_rnns())
    @example(case=shrunk)
    @example(case=all_nonzero)
    def literal_vanishing_sum_needs_vanishing_terms(case):
        name, P, c0, xs = case
        G = _per_step_gradients(s.bptt, P, c0, xs, name)
        v, terms, total = cancel(case, G)
        norms = np.linalg.norm(terms, axis=1)
        partial = np.linalg.norm(np.cumsum(terms, axis=0), axis=1)       # ‖S_1‖, …, ‖S_T‖
        # absolute below 1 (a counterexample needs terms that do not vanish in absolute terms), relative to ‖G‖₂ above
        tol = tolerances.analytic(scale=max(1.0, float(np.linalg.norm(G, 2))))
        vanishes = bool(np.linalg.norm(total) <= tol.atol)
        literal(not vanishes or np.all(norms <= tol.atol), (
            f"{ctx.id}: ∂E/∂W = Σ_t ∂E_t/∂W has norm {np.linalg.norm(total):.3e} (zero to rounding) with targets chosen so "
            f"∂E_t/∂c_t = {v!r}, yet the per-step gradients have norms {norms!r} and the partial sums ‖S_n‖ = {partial!r}"))
