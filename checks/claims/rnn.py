"""Checks of the RNN claims (spec/claims/rnn.toml): Elman Jacobians, BPTT, norm bounds, leaky units,
and the error-flow analyses of Pascanu et al. (2013) and Hochreiter (1991/1997).

Conventions (docs/DESIGN.md, models/rnn.py): h_t = g(a_t), a_t = W_hh h_{t−1} + W_xh x_t + b; time
runs 1..T; ``hs[t−1]`` is h_t; ``jacobian_products(...)[k]`` is ∂h_T/∂h_k; E = Σ_t dE_dh[t−1]·h_t.
The claims about the *form* x_t = W σ(x_{t−1}) + W_in u_t + b of Pascanu et al. use a private
one-line step here (`_pascanu_step`): the reference models do not carry that form.
"""

import functools
import itertools
import math
from fractions import Fraction

import autograd.numpy as anp
import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import optimize
from vanishing.checks import oracles, tolerances
from vanishing.checks import strategies as _S
from vanishing.checks.strategies import (
    dims,
    floats,
    matrices,
    orthogonal_matrices,
    saturated_preactivations,
    sequences,
    unit_vectors,
    vectors,
)
from vanishing.checks.toolkit import FD_REACH, grad3, jac3, le, magnitude, opnorm, smin
from vanishing.checks.registry import claim_check, literal
from vanishing.models import activations as act
from vanishing.models import leaky, rnn


ACTS = rnn.ACTS                      # ("tanh", "sigmoid", "relu")
SMOOTH = ("tanh", "sigmoid")
#: γ_g' = sup|g'| from the activation registry (1/4 sigmoid, 1 tanh, 1 relu); plants may swap it.
GAMMA = {name: act.get_activation(name).deriv_sup for name in ACTS}


# ---------------------------------------------------------------- small helpers
def _g(name):
    return act.get_activation(name)


def _params(W, W_xh, b):
    return {"W_hh": np.asarray(W, float), "W_xh": np.asarray(W_xh, float), "b": np.asarray(b, float)}






def _pre(P, h, x):
    return P["W_hh"] @ h + P["W_xh"] @ x + P["b"]


def _pre_activations(P, h0, xs, name):
    """a_t for t = 1..T along the actual trajectory (plain numpy, for preconditions)."""
    g, h, out = _g(name), np.asarray(h0, float), []
    for x in xs:
        a = _pre(P, h, x)
        out.append(a)
        h = np.asarray(g.f(a), float)
    return out


def _relu_fd_safe(a_s, W, leaky=False):
    """True when a perturbation of ≤ FD_REACH in one coordinate of h_k cannot move any later ReLU
    pre-activation a_{k+j} across 0. ReLU is 1-Lipschitz, so the move is at most FD_REACH·max|W| at j = 1 and
    grows by ‖W‖_∞ per step (for a leaky unit h moves by at most max(Δh, Δa), hence the factor max(1, max|W|))."""
    W = np.asarray(W, float)
    wmax, winf = float(np.max(np.abs(W))), max(float(np.max(np.sum(np.abs(W), axis=1))), 1.0)
    for j, a in enumerate(a_s, start=1):
        reach = FD_REACH * (wmax if j == 1 or not leaky else max(wmax, 1.0)) * winf ** (j - 1)
        if np.min(np.abs(a)) <= reach:
            return False
    return True










_KEYS = ("W_hh", "W_xh", "b")


def _flat(P, keys=_KEYS):
    return np.concatenate([np.ravel(np.asarray(P[k], float)) for k in keys])


def _unflat(theta, H, D, keys=_KEYS, fixed=None):
    """θ (flat, possibly an autograd box) → params dict; keys not in ``keys`` come from ``fixed``."""
    shapes = {"W_hh": (H, H), "W_xh": (H, D), "b": (H,)}
    out, i = dict(fixed or {}), 0
    for k in keys:
        n = int(np.prod(shapes[k]))
        out[k] = anp.reshape(theta[i:i + n], shapes[k])
        i += n
    return out


def _elman(P, h0, xs, name):
    """h_1..h_T of h_t = g(W_hh h_{t−1} + W_xh x_t + b), written out without the models' input validation:
    the oracles evaluate it hundreds of times per example (FD), where validation dominated the cost. Each use
    checks it against rnn.forward once (`_same_map`)."""
    g, h, out = _g(name).f, h0, []
    for x in xs:
        h = g(anp.dot(P["W_hh"], h) + anp.dot(P["W_xh"], x) + P["b"])
        out.append(h)
    return anp.stack(out)


def _same_map(P, h0, xs, name, label):
    """The unvalidated `_elman` is the model's map: equal to rnn.forward at this point."""
    ref = rnn.forward(P, h0, xs, name)
    oracles.assert_close(_elman(P, h0, xs, name), ref, tolerances.analytic(scale=magnitude(ref)), f"{label}: unvalidated Elman loop vs rnn.forward")


def _readout(P, h0, xs, dE, name):
    """E = Σ_t dE_dh[t−1]·h_t: any per-step loss reduces to these cotangents at a point."""
    return anp.sum(dE * _elman(P, h0, xs, name))


# ---------------------------------------------------------------- strategies (private; see the report)
@functools.cache
def _strictly_upper(n, scale=5.0):
    """Strictly upper-triangular (n, n) matrices: D_1 W D_2 W ⋯ (n factors) is exactly 0 for diagonal D_i."""
    return matrices(n, n, -scale, scale).map(lambda m: np.triu(m, 1))


@functools.cache
def _directions(n):
    """Unnormalised recurrent matrices of assorted structure (rescaled by the caller)."""
    return st.one_of(matrices(n, n, -1.0, 1.0), orthogonal_matrices(n), _S.non_normal_matrices(n),
                     _S.ill_conditioned_matrices(n), _S.nilpotent_matrices(n), _strictly_upper(n))


@functools.cache
def _with_norm(n, norms):
    """(n, n) matrices of many structures (dense, orthogonal, non-normal, ill-conditioned, nilpotent,
    strictly upper) rescaled to spectral norm drawn from ``norms``; the zero matrix stays zero."""
    def make(W, s):
        w = opnorm(W)
        return W * (s / w) if w > 0 else W
    return st.builds(make, _directions(n), norms)


_UNIT = st.just(1.0)          # spectral norm 1: the caller rescales


@functools.cache
def _long_inputs(T, D, lo=-3.0, hi=3.0):
    """(T, D) input sequences for long runs: a drawn block of ≤ 8 steps repeated (drawing hundreds of floats
    per example would dominate the run time; the state still evolves non-periodically through W_hh)."""
    return sequences(min(T, 8), D, lo, hi).map(lambda blk: np.resize(blk, (T, D)))


@functools.cache
def _biases(n, hi=1e3):
    """Moderate biases, or saturating ones (|b| in [20, hi]): tanh/sigmoid derivatives ≈ 0 there."""
    return st.one_of(vectors(n, -3.0, 3.0), saturated_preactivations(n, 20.0, hi))




# ================================================================ 1. the per-step Jacobian
@st.composite
def _step_cases(draw, acts=ACTS, H=(1, 3), D=(1, 2), w=3.0, bias=True):
    """One Elman step: activation, W_hh of any structure with ‖W‖ up to w, W_xh, b (moderate or saturating), h, x."""
    name = draw(st.sampled_from(acts), label="act")
    n, d = draw(dims(*H), label="H"), draw(dims(*D), label="D")
    W = draw(_with_norm(n, floats(0.0, w)), label="W_hh")
    Wx = draw(matrices(n, d, -w, w), label="W_xh")
    b = draw(_biases(n), label="b") if bias else np.zeros(n)
    h = draw(vectors(n, -1.0, 1.0), label="h_prev")
    x = draw(vectors(d, -3.0, 3.0), label="x")
    return {"act": name, "W": W, "Wx": Wx, "b": b, "h": h, "x": x}


def _elman_jacobian(W, a, h_prev, name):
    """∂h_t/∂h_{t−1} = diag(g'(a_t)) W_hh: g' at the *current* pre-activation, the diagonal on the *left*."""
    return np.diag(_g(name).df(a)) @ W


def _seed001_jacobian(W, a, h_prev, name):
    """Seed 001's factor v^{(1)} g'(h^{i−1}) read as a matrix: W_hh diag(g'(h_{t−1}))."""
    return W @ np.diag(_g(name).df(h_prev))


@claim_check("RNN-STEP-JACOBIAN",
             subject={"step": rnn.step, "step_jacobian": rnn.step_jacobian, "formula": _elman_jacobian},
             plants={"diag(g') on the right (W_hh diag(g'(a)))":
                         {"formula": lambda W, a, h, n: W @ np.diag(_g(n).df(a))},
                     "g' at h_{t-1} and on the right (seed 001's literal factor)": {"formula": _seed001_jacobian},
                     "model step uses sigmoid where tanh is asked":
                         {"step": lambda P, h, x, act="tanh": rnn.step(P, h, x, "sigmoid" if act == "tanh" else act)}})
def _(c, s):
    """∂h_t/∂h_{t−1} = diag(g'(a_t)) W_hh, a_t = W_hh h_{t−1} + W_xh x_t + b.  [RNN-STEP-JACOBIAN]"""
    cid = c.id

    @c.holds
    @given(case=_step_cases())
    @example(case={"act": "tanh", "W": np.array([[0.0, 2.0], [1.0, 0.0]]), "Wx": np.zeros((2, 1)),
                   "b": np.array([1.0, -0.5]), "h": np.array([0.5, 0.0]), "x": np.zeros(1)})
    def three_oracles(case):
        name, P = case["act"], _params(case["W"], case["Wx"], case["b"])
        a = _pre(P, case["h"], case["x"])
        C = s.formula(P["W_hh"], a, case["h"], name)
        rep = c.repro(**case)
        oracles.assert_close(s.step_jacobian(P, case["h"], case["x"], name), C, tolerances.analytic(scale=magnitude(C)),
                             f"{cid}: model step_jacobian vs diag(g'(a))·W_hh", rep)
        # FD for ReLU only when no kink lies within the stencil (stated in the record's hypotheses)
        fd = name != "relu" or _relu_fd_safe([a], P["W_hh"])
        jac3(lambda h: s.step(P, h, case["x"], name), case["h"], C, f"{cid} ({name})", fd=fd, reproduce=rep)

    @c.refutes
    @given(case=_step_cases(acts=SMOOTH))
    @example(case={"act": "tanh", "W": np.array([[1.0]]), "Wx": np.array([[0.0]]), "b": np.array([1.0]),
                   "h": np.array([0.0]), "x": np.array([0.0])})
    def seed001_literal(case):
        name, P = case["act"], _params(case["W"], case["Wx"], case["b"])
        a = _pre(P, case["h"], case["x"])
        J = oracles.jacobian_reverse(lambda h: rnn.step(P, h, case["x"], name), case["h"])      # the true Jacobian
        oracles.assert_close(_seed001_jacobian(P["W_hh"], a, case["h"], name), J, tolerances.analytic(scale=magnitude(J)),
                             f"{cid}: seed 001's ∏ v^(1) g'(h^(i-1)) factor, W_hh diag(g'(h_(t-1))), vs autograd ∂h_t/∂h_(t-1)",
                             c.repro(**case), literal=True)


# ================================================================ 2. seed 003 eq. (2), sigmoid, no bias
def _eq2_jacobian(W, pre):
    """Seed 003 eq. (2): σ'(W_rec c_{t−1} + W_in x_t)·W_rec, the vector σ' scaling the *rows* of W_rec."""
    return act.sigmoid_prime(pre)[:, None] * W


@claim_check("RNN-STEP-JACOBIAN-SIGMOID-EQ2",
             subject={"step": rnn.step, "formula": _eq2_jacobian},
             plants={"σ' scales the columns (W_rec diag(σ'))": {"formula": lambda W, p: W * act.sigmoid_prime(p)[None, :]},
                     "σ' written as σ(1+σ)":
                         {"formula": lambda W, p: (act.sigmoid(p) * (1 + act.sigmoid(p)))[:, None] * W}})
def _(c, s):
    """∂c_t/∂c_{t−1} = diag(σ'(W_rec c_{t−1} + W_in x_t)) W_rec (seed 003 eq. (2)).  [RNN-STEP-JACOBIAN-SIGMOID-EQ2]"""
    cid = c.id

    @c.holds
    @given(case=_step_cases(acts=("sigmoid",), bias=False))
    @example(case={"act": "sigmoid", "W": np.array([[0.0, 2.0], [1.0, 0.0]]), "Wx": np.array([[1.0], [-1.0]]),
                   "b": np.zeros(2), "h": np.array([0.5, 0.1]), "x": np.array([2.0])})
    def eq2(case):
        P = _params(case["W"], case["Wx"], np.zeros(len(case["h"])))   # the seed leaves out the bias
        pre = _pre(P, case["h"], case["x"])
        jac3(lambda cc: s.step(P, cc, case["x"], "sigmoid"), case["h"], s.formula(P["W_hh"], pre),
              f"{cid}: σ'(W_rec c + W_in x)·W_rec", reproduce=c.repro(**case))


# ================================================================ 3. products of step Jacobians, in order
@st.composite
def _seq_cases(draw, acts=ACTS, H=(1, 3), D=(1, 2), T=(1, 4), w=3.0, bias_hi=1e3):
    """A short sequence: activation, W_hh (any structure, ‖W‖ ≤ w), W_xh, b, h0, xs (T, D)."""
    name = draw(st.sampled_from(acts), label="act")
    n, d, T_ = draw(dims(*H), label="H"), draw(dims(*D), label="D"), draw(st.integers(*T), label="T")
    W = draw(_with_norm(n, floats(0.0, w)), label="W_hh")
    Wx = draw(matrices(n, d, -w, w), label="W_xh")
    b = draw(_biases(n, bias_hi), label="b")
    h0 = draw(vectors(n, -1.0, 1.0), label="h0")
    xs = draw(sequences(T_, d, -3.0, 3.0), label="xs")
    return {"act": name, "W": W, "Wx": Wx, "b": b, "h0": h0, "xs": xs}


def _products_reversed(params, h0, xs, act="tanh"):
    """A plant: ∂h_T/∂h_k multiplied in the wrong order, J_{k+1} ⋯ J_T."""
    hs = np.vstack([h0, rnn.forward(params, h0, xs, act)])
    Js = [rnn.step_jacobian(params, hs[i], xs[i], act) for i in range(len(xs))]
    out = [np.eye(len(h0))]
    for J in reversed(Js):
        out.append(J @ out[-1])
    return np.stack(out[::-1])


def _products_one_extra(params, h0, xs, act="tanh"):
    """A plant: one factor too many, ∂h_T/∂h_k taken as J_T ⋯ J_{k+1} J_k (with J_0 := J_1)."""
    P = rnn.jacobian_products(params, h0, xs, act)
    hs = np.vstack([h0, rnn.forward(params, h0, xs, act)])
    Js = [rnn.step_jacobian(params, hs[i], xs[i], act) for i in range(len(xs))]   # Js[i] = J_{i+1}
    return np.stack([P[k] @ Js[max(k - 1, 0)] for k in range(len(P))])


@claim_check("RNN-JACOBIAN-PRODUCT-ORDER",
             subject={"products": rnn.jacobian_products},
             plants={"product in the wrong order (J_{k+1} ⋯ J_T)": {"products": _products_reversed},
                     "one factor too many (J_T ⋯ J_k)": {"products": _products_one_extra}})
def _(c, s):
    """∂h_T/∂h_k = J_T J_{T−1} ⋯ J_{k+1}, J_i = diag(g'(a_i)) W_hh (later factors on the left).  [RNN-JACOBIAN-PRODUCT-ORDER]"""
    cid = c.id

    @c.holds
    @given(case=_seq_cases(H=(2, 3), T=(2, 4)), k_frac=floats(0.0, 1.0))
    @example(case={"act": "tanh", "W": np.array([[0.0, 1.5], [-1.0, 0.5]]), "Wx": np.array([[1.0], [0.5]]),
                   "b": np.array([0.2, -0.3]), "h0": np.array([0.1, -0.4]), "xs": np.array([[1.0], [-1.0], [0.5]])},
             k_frac=0.0)
    def matches_autograd_through_forward(case, k_frac):
        name, P, xs, h0 = case["act"], _params(case["W"], case["Wx"], case["b"]), case["xs"], case["h0"]
        T = len(xs)
        prods = s.products(P, h0, xs, name)
        hs = np.vstack([h0, rnn.forward(P, h0, xs, name)])
        assert prods.shape == (T + 1,) + P["W_hh"].shape, f"{cid}: products shape {prods.shape}, expected {(T + 1,) + P['W_hh'].shape}"
        k_fd = min(int(k_frac * T), T - 1)          # one lag gets all three oracles; the others autograd (cost)
        a_s = _pre_activations(P, h0, xs, name)
        rep = c.repro(**case)
        _same_map(P, h0, xs, name, cid)
        for k in range(T):
            f = (lambda v, k=k: _elman(P, v, xs[k:], name)[-1])          # h_T as a function of h_k
            if k == k_fd:
                fd = name != "relu" or _relu_fd_safe(a_s[k:], P["W_hh"])
                jac3(f, hs[k], prods[k], f"{cid} ({name}, T={T}, k={k}): ∂h_T/∂h_k", fd=fd, reproduce=rep)
            else:
                Jk = oracles.jacobian_reverse(f, hs[k])
                oracles.assert_close(prods[k], Jk, tolerances.analytic(scale=magnitude(Jk)),
                                     f"{cid} ({name}, T={T}, k={k}): products vs autograd", rep)
        oracles.assert_close(prods[T], np.eye(len(h0)), tolerances.analytic(), f"{cid}: ∂h_T/∂h_T must be I", rep)


# ================================================================ 4. the BPTT double sum
@st.composite
def _bptt_cases(draw, acts=ACTS, H=(1, 2), D=(1, 1), T=(1, 3), w=2.0, bias_hi=1e3):
    """A short sequence plus cotangents dE_dh[t−1] = ∂E_t/∂h_t."""
    case = draw(_seq_cases(acts=acts, H=H, D=D, T=T, w=w, bias_hi=bias_hi))
    case["dE"] = draw(matrices(len(case["xs"]), len(case["h0"]), -1.0, 1.0), label="dE_dh")
    return case


def _grad_vector(g, with_h0=True):
    return np.concatenate([_flat(g)] + ([np.ravel(g["h0"])] if with_h0 else []))


def _seed001_total_sum(P, h0, xs, dE, name):
    """Seed 001's inner sum with its own symbols: Σ_t Σ_{k=1..t} ∂E_t/∂h_t ∂h_t/∂h_k ∂h_k/∂w,
    where ∂h_k/∂w is the *total* derivative (autograd through h_1..h_k)."""
    H, D = P["W_xh"].shape
    theta = _flat(P)
    Dh = oracles.jacobian_reverse(lambda th: rnn.forward(_unflat(th, H, D), h0, xs, name), theta).reshape(len(xs), H, -1)
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
    delta = gbar1 * _g(act).df(_pre(P, h0, xs[0]))
    return {**full, "W_hh": full["W_hh"] - np.outer(delta, h0), "W_xh": full["W_xh"] - np.outer(delta, xs[0]), "b": full["b"] - delta}


@claim_check("RNN-BPTT-SUM",
             subject={"sum_form": rnn.bptt_grad_sum_form, "bptt": rnn.bptt_grad},
             plants={"sum over k starts at 2 (drops the k = 1 term)": {"sum_form": _drop_first_term},
                     "backward pass run with W_hhᵀ (transposed weight layout)":
                         {"bptt": lambda P, h0, xs, dE, act="tanh": rnn.bptt_grad({**P, "W_hh": np.asarray(P["W_hh"]).T}, h0, xs, dE, act)}})
def _(c, s):
    """∂E/∂θ = Σ_t Σ_{k≤t} ∂E_t/∂h_t · ∂h_t/∂h_k · ∂⁺h_k/∂θ (∂⁺: h_{k−1} held fixed).  [RNN-BPTT-SUM]"""
    cid = c.id

    @c.holds
    @given(case=_bptt_cases())
    @example(case={"act": "tanh", "W": np.array([[0.5, -1.0], [1.0, 0.2]]), "Wx": np.array([[1.0], [-0.5]]),
                   "b": np.array([0.1, 0.2]), "h0": np.array([0.3, -0.2]), "xs": np.array([[1.0], [-1.0], [0.5]]),
                   "dE": np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]])})
    def sum_form_three_oracles(case):
        name, P, h0, xs, dE = case["act"], _params(case["W"], case["Wx"], case["b"]), case["h0"], case["xs"], case["dE"]
        H, D = P["W_xh"].shape
        g_sum = s.sum_form(P, h0, xs, dE, name)
        rep = c.repro(**case)
        gs = _grad_vector(g_sum)
        oracles.assert_close(_grad_vector(s.bptt(P, h0, xs, dE, name)), gs, tolerances.analytic(scale=magnitude(gs)),
                             f"{cid}: backward recursion vs double sum", rep)
        theta = np.concatenate([_flat(P), h0])
        _same_map(P, h0, xs, name, cid)
        E = lambda v: anp.reshape(_readout(_unflat(v[:-H], H, D), v[-H:], xs, dE, name), (1,))
        # ReLU: a parameter step of 0.5 moves pre-activations arbitrarily near the kink; FD for smooth g only
        grad3(E, theta, _grad_vector(g_sum), f"{cid} ({name}): ∂E/∂(θ, h0)", fd=name != "relu", reproduce=rep)

    @c.refutes
    @given(case=_bptt_cases(acts=SMOOTH))
    @example(case={"act": "tanh", "W": np.array([[1.0]]), "Wx": np.array([[0.0]]), "b": np.array([0.0]),
                   "h0": np.array([0.0]), "xs": np.zeros((2, 1)), "dE": np.ones((2, 1))})        # Hypothesis's shrunk case
    def seed001_literal_total_derivative(case):
        name, P, h0, xs, dE = case["act"], _params(case["W"], case["Wx"], case["b"]), case["h0"], case["xs"], case["dE"]
        H, D = P["W_xh"].shape
        true = oracles.jacobian_reverse(lambda th: anp.reshape(_readout(_unflat(th, H, D), h0, xs, dE, name), (1,)), _flat(P))[0]
        oracles.assert_close(_seed001_total_sum(P, h0, xs, dE, name), true, tolerances.analytic(scale=magnitude(true)),
                             f"{cid}: seed 001's Σ_k ∂E_t/∂h_t ∂h_t/∂h_k ∂h_k/∂w (total ∂h_k/∂w) vs autograd ∂E/∂θ",
                             c.repro(**case), literal=True)


# ================================================================ 5. seed 003 eq. (1): one path only
@st.composite
def _seed003_cases(draw, H=(1, 2), T=(2, 4), w=3.0):
    """Seed 003's net: c_t = σ(W_rec c_{t−1} + W_in x_t), no bias, loss E_k on the last state (k = T)."""
    n, T_ = draw(dims(*H), label="H"), draw(st.integers(*T), label="T")
    W = draw(_with_norm(n, floats(0.0, w)), label="W_rec")
    Win = draw(matrices(n, 1, -w, w), label="W_in")
    c0 = draw(vectors(n, 0.0, 1.0), label="c0")
    xs = draw(sequences(T_, 1, -3.0, 3.0), label="xs")
    v = draw(vectors(n, -1.0, 1.0), label="dE_k/dc_k")
    return {"W": W, "Win": Win, "c0": c0, "xs": xs, "v": v}


def _last_only(v, T):
    dE = np.zeros((T, len(v)))
    dE[-1] = v
    return dE


def _eq1(P, c0, xs, v, products):
    """Seed 003 eq. (1): ∂E_k/∂c_k (∏_{t=2..k} ∂c_t/∂c_{t−1}) ∂c_1/∂W, with ∂c_1/∂W by autograd (W = [W_rec, W_in])."""
    H = len(c0)
    keys = ("W_hh", "W_xh")
    dc1 = oracles.jacobian_reverse(lambda th: rnn.step(_unflat(th, H, 1, keys, {"b": P["b"]}), c0, xs[0], "sigmoid"), _flat(P, keys))
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
def _(c, s):
    """∂E_k/∂W = Σ_{j=1..k} ∂E_k/∂c_k (∏_{t=j+1..k} ∂c_t/∂c_{t−1}) ∂⁺c_j/∂W; seed 003's eq. (1) is its j = 1 term only.  [RNN-BPTT-SINGLE-PATH-EQ1]"""
    cid = c.id
    keys = ("W_hh", "W_xh")

    @c.holds
    @given(case=_seed003_cases())
    @example(case={"W": np.array([[1.0]]), "Win": np.array([[1.0]]), "c0": np.array([0.5]),
                   "xs": np.array([[1.0], [1.0]]), "v": np.array([1.0])})
    def sum_over_paths(case):
        H, T = len(case["c0"]), len(case["xs"])
        P, c0, xs, v = _params(case["W"], case["Win"], np.zeros(H)), case["c0"], case["xs"], case["v"]
        dE = _last_only(v, T)
        rep = c.repro(**case)
        g = s.sum_form(P, c0, xs, dE, "sigmoid")
        _same_map(P, c0, xs, "sigmoid", cid)
        E = lambda th: anp.reshape(_readout(_unflat(th, H, 1, keys, {"b": P["b"]}), c0, xs, dE, "sigmoid"), (1,))
        grad3(E, _flat(P, keys), _flat(g, keys), f"{cid}: Σ_j path terms vs ∂E_k/∂[W_rec, W_in]", reproduce=rep)
        # eq. (1) is exactly the j = 1 term: the full gradient minus the windows that stop at c_2 (U = k − 2)
        tr = s.truncated(P, c0, xs, dE, T - 2, "sigmoid")
        first = np.concatenate([np.ravel(g[k] - tr[k]) for k in keys])
        oracles.assert_close(_eq1(P, c0, xs, v, s.products), first, tolerances.analytic(scale=magnitude(first)),
                             f"{cid}: eq. (1) vs the j = 1 (path through c_1) term", rep)

    @c.refutes
    @given(case=_seed003_cases())
    @example(case={"W": np.array([[0.0]]), "Win": np.array([[0.0]]), "c0": np.array([0.0]),
                   "xs": np.zeros((2, 1)), "v": np.array([1.0])})                                 # Hypothesis's shrunk case
    def seed003_eq1_is_the_gradient(case):
        H, T = len(case["c0"]), len(case["xs"])
        P, c0, xs, v = _params(case["W"], case["Win"], np.zeros(H)), case["c0"], case["xs"], case["v"]
        E = lambda th: anp.reshape(_readout(_unflat(th, H, 1, keys, {"b": P["b"]}), c0, xs, _last_only(v, T), "sigmoid"), (1,))
        true = oracles.jacobian_reverse(E, _flat(P, keys))[0]
        oracles.assert_close(_eq1(P, c0, xs, v, rnn.jacobian_products), true, tolerances.analytic(scale=magnitude(true)),
                             f"{cid}: seed 003 eq. (1) vs autograd ∂E_k/∂[W_rec, W_in]", c.repro(**case), literal=True)


# ================================================================ 6. long-range terms vanish, the gradient does not
@st.composite
def _long_seed003_cases(draw, H=(1, 3), T=(8, 24)):
    """Seed 003's sigmoid net in the vanishing regime η = ‖W_rec‖₂/4 ∈ [0.1, 0.9], a loss at every step."""
    n, T_ = draw(dims(*H), label="H"), draw(st.integers(*T), label="T")
    W = draw(_with_norm(n, floats(0.4, 3.6)), label="W_rec")
    Win = draw(matrices(n, 1, -3.0, 3.0), label="W_in")
    c0 = draw(vectors(n, 0.0, 1.0), label="c0")
    xs = draw(_long_inputs(T_, 1), label="xs")
    dE = draw(_long_inputs(T_, n, -1.0, 1.0), label="dE_dh")
    L = draw(st.integers(1, 4), label="L")
    return {"W": W, "Win": Win, "c0": c0, "xs": xs, "dE": dE, "L": L}


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
def _(c, s):
    """‖Σ_t Σ_{k≤t−L} ∂E_t/∂h_t ∂h_t/∂h_k ∂⁺h_k/∂W‖ ≤ Σ ‖∂E_t/∂h_t‖ η^{t−k} γ ‖(c_{k−1},x_k)‖, η = γ‖W_rec‖ < 1; ∂E/∂W itself does not vanish.  [RNN-LONG-TERM-TERMS-VANISH]"""
    cid = c.id
    keys, gamma = ("W_hh", "W_xh"), GAMMA["sigmoid"]

    def grads(case, bptt):
        H = len(case["c0"])
        P = _params(case["W"], case["Win"], np.zeros(H))
        G = bptt(P, case["c0"], case["xs"], case["dE"], "sigmoid")
        return P, H, np.concatenate([np.ravel(G[k]) for k in keys])

    @c.holds
    @given(case=_long_seed003_cases())
    # η = 0.1: the lag-1 terms are ~1/η larger than the bound for lags ≥ L = 2 (a window off by one shows at once)
    @example(case={"W": np.array([[0.4]]), "Win": np.array([[1.0]]), "c0": np.array([0.5]),
                   "xs": np.ones((8, 1)), "dE": np.ones((8, 1)), "L": 2})
    def long_range_part_bounded(case):
        P, H, G = grads(case, s.bptt)
        c0, xs, dE, L = case["c0"], case["xs"], case["dE"], case["L"]
        rep = c.repro(**case)
        if len(xs) <= 12:       # autograd through longer runs costs more than the rest of the example
            _same_map(P, c0, xs, "sigmoid", cid)
            E = lambda th: anp.reshape(_readout(_unflat(th, H, 1, keys, {"b": P["b"]}), c0, xs, dE, "sigmoid"), (1,))
            Ga = oracles.jacobian_reverse(E, _flat(P, keys))[0]
            oracles.assert_close(G, Ga, tolerances.analytic(scale=magnitude(Ga)), f"{cid}: bptt_grad vs autograd", rep)
            oracles.record_oracle("closed-form")
        eta = gamma * s.gamma_v(P["W_hh"])
        flat_tr = lambda U: np.concatenate([np.ravel(s.truncated(P, c0, xs, dE, U, "sigmoid")[k]) for k in keys])
        R = np.linalg.norm(G - flat_tr(L - 1))                      # every term with t − k ≥ L
        bound = _tail_bound(P, c0, xs, dE, L, eta, gamma)
        target(R / bound if bound > 0 else 0.0, label="long-range part / bound")
        le(R, bound, f"{cid}: ‖long-range part (t−k ≥ {L})‖_F", scale=max(np.linalg.norm(G), bound), reproduce=rep)
        # the gradient keeps its immediate (t = k) terms: ‖∂E/∂W‖ ≥ ‖Σ_t ∂E_t/∂h_t ∂⁺h_t/∂W‖ − (bound for t−k ≥ 1)
        lower = np.linalg.norm(flat_tr(0)) - _tail_bound(P, c0, xs, dE, 1, eta, gamma)
        le(lower, np.linalg.norm(G), f"{cid}: ‖∂E/∂W‖_F below its immediate part minus the long-range bound",
            scale=max(np.linalg.norm(G), 1.0), reproduce=rep)

    @c.refutes
    @given(case=_long_seed003_cases())
    # η = ‖W_rec‖₂/4 = 1/4, inside the drawn range [0.1, 0.9]: the product in eq. (1) does vanish, the gradient does not
    @example(case={"W": np.array([[1.0]]), "Win": np.array([[1.0]]), "c0": np.array([0.0]),
                   "xs": np.ones((20, 1)), "dE": np.ones((20, 1)), "L": 1})
    def seed003_complete_gradient_vanishes(case):
        P, H, G = grads(case, rnn.bptt_grad)     # the true gradient and η (the reference; the subject is under test above)
        c0, xs, dE = case["c0"], case["xs"], case["dE"]
        eta = gamma * opnorm(P["W_hh"])
        dc1 = oracles.jacobian_reverse(lambda th: rnn.step(_unflat(th, H, 1, keys, {"b": P["b"]}), c0, xs[0], "sigmoid"), _flat(P, keys))
        # what eq. (1) predicts once its product vanishes: ‖∂E/∂W‖ ≤ Σ_t ‖∂E_t/∂h_t‖ η^{t−1} ‖∂c_1/∂W‖
        bound = sum(np.linalg.norm(dE[t - 1]) * eta ** (t - 1) for t in range(1, len(xs) + 1)) * opnorm(dc1)
        le(np.linalg.norm(G), bound, f"{cid}: ‖∂E/∂W‖_F against the 'complete gradient vanishes' bound of eq. (1)",
            reproduce=c.repro(**case), literal=True)


# ================================================================ 7. ‖J‖ ≤ ‖diag(g')‖‖W‖, not =
@claim_check("RNN-STEP-NORM-EQUALITY",
             subject={"step_jacobian": rnn.step_jacobian},
             plants={"step Jacobian without g' (J = W_hh)": {"step_jacobian": lambda P, h, x, act="tanh": np.asarray(P["W_hh"], float)},
                     "step Jacobian with g' on the right at h_{t-1}":
                         {"step_jacobian": lambda P, h, x, act="tanh": _seed001_jacobian(P["W_hh"], None, h, act)}})
def _(c, s):
    """‖∂h_t/∂h_{t−1}‖₂ ≤ ‖diag(g'(a_t))‖₂ ‖W_hh‖₂ ≤ γ_g' γ_v, with equality only in special cases.  [RNN-STEP-NORM-EQUALITY]"""
    cid = c.id

    def parts(case, step_jacobian):
        """(‖J‖₂, ‖diag(g'(a))‖₂, ‖W_hh‖₂, γ_g') with J from ``step_jacobian``, cross-checked against autograd."""
        name, P = case["act"], _params(case["W"], case["Wx"], case["b"])
        J = step_jacobian(P, case["h"], case["x"], name)
        Jr = oracles.jacobian_reverse(lambda h: rnn.step(P, h, case["x"], name), case["h"])
        oracles.assert_close(J, Jr, tolerances.analytic(scale=magnitude(Jr)), f"{cid} ({name}): step Jacobian vs autograd", c.repro(**case))
        oracles.record_oracle("closed-form")
        d = float(np.max(np.abs(_g(name).df(_pre(P, case["h"], case["x"])))))     # ‖diag(g'(a))‖₂ = max|g'(a_i)|
        return opnorm(J), d, opnorm(P["W_hh"]), GAMMA[name]

    @c.holds
    @given(case=_step_cases(H=(1, 4), w=5.0))
    def submultiplicative(case):
        nJ, d, nW, gamma = parts(case, s.step_jacobian)
        if d * nW > 0:
            target(nJ / (d * nW), label="‖J‖ / (‖diag g'‖‖W‖)")
        le(nJ, d * nW, f"{cid}: ‖J‖₂ vs ‖diag(g'(a))‖₂‖W_hh‖₂", reproduce=c.repro(**case))
        le(d * nW, gamma * nW, f"{cid}: ‖diag(g'(a))‖₂‖W_hh‖₂ vs γ_g'γ_v", reproduce=c.repro(**case))

    @c.refutes
    @given(case=_step_cases(H=(1, 4), w=5.0))
    @example(case={"act": "tanh", "W": np.array([[1.0, 0.0], [0.0, 0.0]]), "Wx": np.zeros((2, 1)),
                   "b": np.array([1.0, 0.0]), "h": np.zeros(2), "x": np.zeros(1)})
    def seed001_equality(case):
        # the statement is about the true Jacobian: the reference model's, whose agreement with autograd parts()
        # asserts (a cross-check that must pass; the subject is under test in `submultiplicative`)
        nJ, d, nW, _ = parts(case, rnn.step_jacobian)
        oracles.assert_close(nJ, d * nW, tolerances.analytic(scale=magnitude(d * nW)),
                             f"{cid}: seed 001's ‖∂h_i/∂h_(i-1)‖ = ‖v‖‖g'‖ as an equality", c.repro(**case), literal=True)


# ================================================================ 8. the norm bound (γ_v γ_g')^{t−k}
def _products_without_gprime(params, h0, xs, act="tanh"):
    """A plant: the factor diag(g') dropped, ∂h_T/∂h_k = W_hh^{T−k}."""
    W = np.asarray(params["W_hh"], float)
    return np.stack([np.linalg.matrix_power(W, len(xs) - k) for k in range(len(xs) + 1)])


def _spectral_radius(W):
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(W, float)))))


@claim_check("RNN-NORM-BOUND",
             subject={"products": rnn.jacobian_products, "gamma_v": opnorm},
             plants={"γ_v taken as the spectral radius ρ(W_hh)": {"gamma_v": _spectral_radius},
                     "products drop diag(g') (W_hh^{T−k})": {"products": _products_without_gprime}})
def _(c, s):
    """‖∂h_T/∂h_k‖₂ ≤ (γ_v γ_g')^{T−k}, γ_v = ‖W_hh‖₂, γ_g' = sup|g'|.  [RNN-NORM-BOUND]"""
    cid = c.id

    @c.holds
    @given(case=_seq_cases(H=(1, 4), T=(1, 30), w=5.0))
    @example(case={"act": "sigmoid", "W": np.array([[0.0, 4.0], [0.0, 0.0]]), "Wx": np.zeros((2, 1)), "b": np.zeros(2),
                   "h0": np.zeros(2), "xs": np.zeros((3, 1))})
    # equality: a rotation W_hh, tanh at a_t = 0 (h = 0, b = 0, x = 0) gives ‖∂h_T/∂h_k‖ = 1 = (γ_vγ_g')^{T−k}
    @example(case={"act": "tanh", "W": np.array([[0.6, -0.8], [0.8, 0.6]]), "Wx": np.zeros((2, 1)), "b": np.zeros(2),
                   "h0": np.zeros(2), "xs": np.zeros((30, 1))})
    def bound(case):
        name, P, h0, xs = case["act"], _params(case["W"], case["Wx"], case["b"]), case["h0"], case["xs"]
        T, rep = len(xs), c.repro(**case)
        prods = s.products(P, h0, xs, name)
        f = lambda v: _elman(P, v, xs, name)[-1]
        _same_map(P, h0, xs, name, cid)
        if T <= 3:                                               # FD cost grows with T: three oracles on short runs
            fd = name != "relu" or _relu_fd_safe(_pre_activations(P, h0, xs, name), P["W_hh"])
            jac3(f, h0, prods[0], f"{cid} ({name}): ∂h_T/∂h_0", fd=fd, reproduce=rep)
        else:
            J0 = oracles.jacobian_reverse(f, h0)
            oracles.assert_close(prods[0], J0, tolerances.analytic(scale=magnitude(J0)), f"{cid} ({name}): ∂h_T/∂h_0 vs autograd", rep)
        rate = s.gamma_v(P["W_hh"]) * GAMMA[name]
        worst = 0.0
        for k in range(T + 1):
            nP, bnd = opnorm(prods[k]), rate ** (T - k)
            worst = max(worst, nP / bnd if bnd > 0 else 0.0)
            le(nP, bnd, f"{cid} ({name}): ‖∂h_T/∂h_k‖₂ at T={T}, k={k}, γ_vγ_g'={rate!r}", reproduce=rep)
        target(worst, label="max_k ‖∂h_T/∂h_k‖ / (γ_vγ_g')^{T−k}")


# ================================================================ 9. Pascanu: ‖W‖ < 1/γ suffices for vanishing
@st.composite
def _vanish_cases(draw):
    """Long runs (T ∈ [50, 120]) with a recurrent matrix U of spectral norm 1 (every structure), to be scaled to η/γ_g'."""
    name, H = draw(st.sampled_from(ACTS), label="act"), draw(dims(1, 4), label="H")
    T = draw(st.integers(50, 120), label="T")
    return {"act": name, "eta": draw(floats(0.05, 0.95), label="eta"), "U": draw(_with_norm(H, _UNIT), label="W_hh/‖W_hh‖"),
            "Wx": draw(matrices(H, 1, -3.0, 3.0), label="W_xh"), "b": draw(_biases(H), label="b"),
            "h0": draw(vectors(H, -1.0, 1.0), label="h0"), "xs": draw(_long_inputs(T, 1), label="xs"),
            "v": draw(unit_vectors(H), label="dE_T/dh_T")}


@claim_check("RNN-VANISH-SUFFICIENT",
             subject={"products": rnn.jacobian_products, "gamma": GAMMA},
             plants={"γ of tanh taken as 1/4 (the sigmoid's)": {"gamma": {**GAMMA, "tanh": 0.25}},
                     "products drop diag(g') (W_hh^{T−k})": {"products": _products_without_gprime}})
def _(c, s):
    """γ_g'‖W_hh‖₂ ≤ η < 1 ⇒ ‖∂E_T/∂h_T · ∂h_T/∂h_k‖ ≤ η^{T−k}‖∂E_T/∂h_T‖ → 0.  [RNN-VANISH-SUFFICIENT]"""
    cid = c.id

    @c.holds
    @given(case=_vanish_cases())
    @example(case={"act": "tanh", "eta": 0.9, "U": np.eye(2), "Wx": np.zeros((2, 1)), "b": np.zeros(2), "h0": np.zeros(2),
                   "xs": np.zeros((50, 1)), "v": np.array([1.0, 0.0])})
    @example(case={"act": "sigmoid", "eta": 0.9, "U": np.eye(2), "Wx": np.zeros((2, 1)), "b": np.zeros(2), "h0": np.zeros(2),
                   "xs": np.zeros((50, 1)), "v": np.array([1.0, 0.0])})
    def long_term_contributions_vanish(case):
        name, eta, v, h0, xs = case["act"], case["eta"], case["v"], case["h0"], case["xs"]
        W = case["U"] * (eta / s.gamma[name])                   # ‖W_hh‖₂ = η/γ_g'
        P = _params(W, case["Wx"], case["b"])
        T, rep = len(xs), c.repro(**{**case, "xs": xs[:8]})
        prods = s.products(P, h0, xs, name)
        # cross-check the model's products on the last m = 10 steps (autograd through all T steps costs too much):
        # the VJP v·∂h_T/∂h_{T−m} by autograd from the actual state h_{T−m}
        m = min(T, 10)
        h_start = rnn.forward(P, h0, xs[:T - m], name)[-1] if T > m else h0
        vjp = oracles.jacobian_reverse(lambda h: anp.reshape(anp.dot(v, rnn.forward(P, h, xs[T - m:], name)[-1]), (1,)), h_start)[0]
        oracles.assert_close(v @ prods[T - m], vjp, tolerances.analytic(scale=1.0), f"{cid} ({name}): v·∂h_T/∂h_(T−{m}) vs autograd", rep)
        oracles.record_oracle("closed-form")
        worst = 0.0
        for k in range(T + 1):
            nv, bnd = float(np.linalg.norm(v @ prods[k])), eta ** (T - k)
            worst = max(worst, nv / bnd)
            le(nv, bnd, f"{cid} ({name}): ‖v·∂h_T/∂h_k‖ at T={T}, k={k}, η={eta!r}", reproduce=rep)
        target(worst, label="max_k ‖v ∂h_T/∂h_k‖ / η^{T−k}")


# ================================================================ 10. γ_vγ_g' > 1 does not imply exploding
def _products_of_norms(params, h0, xs, act="tanh"):
    """A plant: the norm of a product confused with the product of norms, ∂h_T/∂h_k := (∏ ‖J_i‖) I."""
    H = len(h0)
    hs = np.vstack([h0, rnn.forward(params, h0, xs, act)])
    norms = [opnorm(rnn.step_jacobian(params, hs[i], xs[i], act)) for i in range(len(xs))]
    return np.stack([np.prod(norms[k:]) * np.eye(H) for k in range(len(xs) + 1)])


@st.composite
def _explode_cases(draw):
    """Sequences of length 10..30 whose W_hh is rescaled to γ_vγ_g' ∈ [1.01, 5] (the seed's premise)."""
    case = draw(_seq_cases(H=(1, 3), T=(10, 30)))
    ratio = draw(floats(1.01, 5.0), label="γ_vγ_g'")
    n = opnorm(case["W"])
    assume(n > 0)
    case["W"] = case["W"] * (ratio / (GAMMA[case["act"]] * n))
    return case


@claim_check("RNN-EXPLODE-NOT-IMPLIED",
             subject={"products": rnn.jacobian_products},
             plants={"‖∏ J_i‖ taken as ∏ ‖J_i‖": {"products": _products_of_norms}})
def _(c, s):
    """γ_vγ_g' > 1 does not imply ‖∂h_T/∂h_0‖ → ∞: strictly upper-triangular W_hh gives ∂h_T/∂h_k = 0 for T−k ≥ H.  [RNN-EXPLODE-NOT-IMPLIED]"""
    cid = c.id

    @c.holds
    @given(case=_seq_cases(H=(2, 4), T=(4, 8), w=1.0), scale=floats(1.0, 1e3), data=st.data())
    def strictly_upper_products_are_zero(case, scale, data):
        name, H = case["act"], len(case["h0"])
        W = scale * data.draw(_strictly_upper(H, 1.0), label="W_hh/scale (strictly upper)")
        P = _params(W, case["Wx"], case["b"])
        prods = s.products(P, case["h0"], case["xs"], name)
        T = len(case["xs"])
        for k in range(T - H + 1):
            # exactness is the claim: (diag · strictly upper) products of ≥ H factors have only zero entries
            assert np.all(prods[k] == 0.0), f"{cid} ({name}): ∂h_T/∂h_k at T={T}, k={k} is not exactly 0: {prods[k].tolist()} ({c.repro(**{**case, 'W': W})})"
        Jr = oracles.jacobian_reverse(lambda v: rnn.forward(P, v, case["xs"], name)[-1], case["h0"])
        oracles.assert_structure(Jr, np.zeros((H, H), bool), tolerances.analytic(), f"{cid} ({name}): autograd ∂h_T/∂h_0")
        oracles.record_oracle("closed-form")

    @c.refutes
    @given(case=_explode_cases())
    # saturation (Hypothesis's shrunk case): a dense W_hh with γ_vγ_g' = 2 drives h_t to 0.99966, where σ' ≈ 3e-4.
    # The other family, strictly upper-triangular W_hh of any norm, is `strictly_upper_products_are_zero` above.
    @example(case={"act": "sigmoid", "W": np.array([[8.0]]), "Wx": np.array([[0.0]]), "b": np.array([0.0]),
                   "h0": np.array([0.0]), "xs": np.zeros((10, 1))})
    def seed001_explodes_when_rate_exceeds_one(case):
        name, W = case["act"], case["W"]
        rate = opnorm(W) * GAMMA[name]
        assume(rate > 1.0)                                       # the seed's premise γ_vγ_g' > 1
        # the true Jacobian products (the reference model; the subject is under test above)
        prods = rnn.jacobian_products(_params(W, case["Wx"], case["b"]), case["h0"], case["xs"], name)
        n0 = opnorm(prods[0])
        literal(n0 >= 1.0, (f"{cid} ({name}): γ_vγ_g' = {rate!r} > 1 but ‖∂h_T/∂h_0‖ = {n0!r} < 1 "
                            f"after T={len(case['xs'])} steps: no explosion ({c.repro(**case)})"))


# ================================================================ 11. the spectral-radius wording is not sufficient
def _rank_one_nilpotent(c, theta):
    """W = c·u vᵀ with u = (cos θ, sin θ), v = (−sin θ, cos θ): vᵀu = 0, so W² = 0 and ρ(W) = 0 while ‖W‖₂ = c."""
    u = np.array([math.cos(theta), math.sin(theta)])
    v = np.array([-math.sin(theta), math.cos(theta)])
    return c * np.outer(u, v)


def _fixed_point_jacobian(W, h_star):
    """∂h_t/∂h_{t−1} at a fixed point h* of h ↦ tanh(W h + b): diag(tanh'(a*)) W = diag(1 − h*²) W."""
    return np.diag(1.0 - h_star ** 2) @ W


@claim_check("RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT",
             subject={"step_jacobian": rnn.step_jacobian, "fp_jacobian": _fixed_point_jacobian},
             plants={"fixed-point Jacobian with the diagonal on the right (W diag(1−h*²))":
                         {"fp_jacobian": lambda W, h: W @ np.diag(1.0 - h ** 2)},
                     "fixed-point Jacobian without tanh' (K = W)": {"fp_jacobian": lambda W, h: np.asarray(W, float)}})
def _(c, s):
    """ρ(W_hh) < 1/γ does not imply vanishing: W = c·u vᵀ (vᵀu = 0, ρ = 0) at a tanh fixed point has ‖K^l‖ = |tr K|^{l−1}‖K‖.  [RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT]"""
    cid = c.id

    @c.holds
    @given(c_=floats(1.0, 20.0), theta=floats(0.0, 2 * math.pi), h_star=vectors(2, -0.9, 0.9))
    @example(c_=16.0, theta=-math.pi / 4 + 2 * math.pi, h_star=np.array([0.0, 0.5]))
    def rank_one_fixed_point(c_, theta, h_star):
        W = _rank_one_nilpotent(c_, theta)
        rep = c.repro(c=c_, theta=theta, h_star=h_star)
        # W² = c² u (vᵀu) vᵀ = 0 by construction (vᵀu = 0), so ρ(W) = 0
        P = _params(W, np.zeros((2, 1)), np.arctanh(h_star) - W @ h_star)       # b := artanh(h*) − W h*
        oracles.assert_close(rnn.step(P, h_star, np.zeros(1), "tanh"), h_star, tolerances.analytic(scale=magnitude(h_star)),
                             f"{cid}: h* is a fixed point", rep)
        K = s.fp_jacobian(W, h_star)
        jac3(lambda h: rnn.step(P, h, np.zeros(1), "tanh"), h_star, K, f"{cid}: Jacobian at the fixed point", reproduce=rep)
        # K has rank one, K = (D u)(c vᵀ), so K² = (tr K) K; by induction K^l = (tr K)^{l−1} K, ‖K^l‖ = |tr K|^{l−1}‖K‖.
        # (Checked on K² — one product, rounding ≤ 2 ulps·‖K‖² — rather than on K^l computed by l products, whose
        # rounding grows like l·‖K‖/|tr K| relative: K is far from normal.)
        oracles.assert_close(K @ K, np.trace(K) * K, tolerances.analytic(scale=max(opnorm(K) ** 2, 1.0)), f"{cid}: K² = (tr K) K", rep)


    @c.refutes
    @given(c_=floats(1.0, 20.0), theta=floats(0.0, 2 * math.pi), h_star=vectors(2, -0.9, 0.9))
    # docs/literature.md P5: W = 16·u vᵀ = [[8, 8], [−8, −8]] (θ = −π/4), h* = (0, ½), b = (−4, artanh ½ + 4)
    @example(c_=16.0, theta=-math.pi / 4 + 2 * math.pi, h_star=np.array([0.0, 0.5]))
    def arxiv_eigenvalue_wording(c_, theta, h_star):
        W = _rank_one_nilpotent(c_, theta)
        rho = _spectral_radius(W)            # 0 in exact arithmetic; at most ~sqrt(eps)·c after rounding
        assume(rho * GAMMA["tanh"] < 1.0)    # the premise ρ(W)γ < 1 (true for every drawn W: ρ is ~1e-7 at most)
        P = _params(W, np.zeros((2, 1)), np.arctanh(h_star) - W @ h_star)
        # along the orbit that stays at the fixed point h*, ∂h_{k+l}/∂h_k = K^l with K the model's step Jacobian at h*
        K = s.step_jacobian(P, h_star, np.zeros(1), "tanh")
        Kl = np.eye(2)
        for _ in range(_LONG_LAG):
            Kl = K @ Kl
        n = opnorm(Kl)
        literal(n <= 1.0, (f"{cid}: ρ(W) = {rho:.1e} < 1/γ = 1 (arXiv wording) but ‖∂h_(k+l)/∂h_k‖ = {n!r} > 1 at lag l = {_LONG_LAG} "
                           f"along the fixed point h* = {h_star.tolist()}: no vanishing ({c.repro(W=W, b=P['b'])})"))


#: "as t → ∞" tested at a lag of 60 steps (2^59·‖K‖ ≈ 8e18 for Pascanu's example: no overflow).
_LONG_LAG = 60


# ================================================================ 12. Pascanu eq. (5): W_recᵀ diag(σ') as printed
def _pascanu_step(W, W_in, b, x_prev, u, name):
    """Pascanu et al. eq. (2): x_t = W_rec σ(x_{t−1}) + W_in u_t + b."""
    return anp.dot(W, _g(name).f(x_prev)) + anp.dot(W_in, u) + b


def _pascanu_jacobian(W, x_prev, name):
    """∂x_t/∂x_{t−1} = W_rec diag(σ'(x_{t−1})) (chain rule through σ(x_{t−1}), then the linear map W_rec)."""
    return W * _g(name).df(x_prev)[None, :]


@st.composite
def _pascanu_cases(draw, acts=SMOOTH, H=(1, 3), D=(1, 2), w=3.0):
    name = draw(st.sampled_from(acts), label="σ")
    n, d = draw(dims(*H), label="H"), draw(dims(*D), label="D")
    return {"act": name, "W": draw(_with_norm(n, floats(0.0, w)), label="W_rec"), "Win": draw(matrices(n, d, -w, w), label="W_in"),
            "b": draw(_biases(n, 50.0), label="b"), "x": draw(vectors(n, -5.0, 5.0), label="x_prev"), "u": draw(vectors(d, -3.0, 3.0), label="u")}


@claim_check("RNN-PASCANU-JACOBIAN-TRANSPOSE",
             subject={"step": _pascanu_step, "jacobian": _pascanu_jacobian},
             plants={"Jacobian as printed, W_recᵀ diag(σ')": {"jacobian": lambda W, x, n: W.T * _g(n).df(x)[None, :]},
                     "Jacobian in the Elman form diag(σ') W_rec": {"jacobian": lambda W, x, n: _g(n).df(x)[:, None] * W}})
def _(c, s):
    """x_t = W_rec σ(x_{t−1}) + W_in u_t + b ⇒ ∂x_t/∂x_{t−1} = W_rec diag(σ'(x_{t−1})), not W_recᵀ diag(σ'(x_{t−1})).  [RNN-PASCANU-JACOBIAN-TRANSPOSE]"""
    cid = c.id

    @c.holds
    @given(case=_pascanu_cases())
    @example(case={"act": "tanh", "W": np.array([[0.0, 1.0], [0.0, 0.0]]), "Win": np.zeros((2, 1)), "b": np.zeros(2),
                   "x": np.zeros(2), "u": np.zeros(1)})
    def jacobian_is_w_diag(case):
        name, W = case["act"], case["W"]
        J = s.jacobian(W, case["x"], name)
        jac3(lambda x: s.step(W, case["Win"], case["b"], x, case["u"], name), case["x"], J,
              f"{cid} ({name}): W_rec diag(σ'(x_(t-1)))", reproduce=c.repro(**case))
        # eq. (6) is unaffected by the transpose: both W diag(σ') and Wᵀ diag(σ') have norm ≤ ‖W‖₂ γ
        bound = opnorm(W) * GAMMA[name]
        le(opnorm(J), bound, f"{cid}: ‖W_rec diag(σ')‖ vs ‖W_rec‖γ")
        le(opnorm(W.T * _g(name).df(case["x"])[None, :]), bound, f"{cid}: ‖W_recᵀ diag(σ')‖ vs ‖W_rec‖γ")

    @c.refutes
    @given(case=_pascanu_cases())
    @example(case={"act": "tanh", "W": np.array([[0.0, 1.0], [0.0, 0.0]]), "Win": np.zeros((2, 1)), "b": np.zeros(2),
                   "x": np.zeros(2), "u": np.zeros(1)})
    def printed_eq5(case):
        name, W = case["act"], case["W"]
        Jr = oracles.jacobian_reverse(lambda x: s.step(W, case["Win"], case["b"], x, case["u"], name), case["x"])
        oracles.assert_close(W.T * _g(name).df(case["x"])[None, :], Jr, tolerances.analytic(scale=magnitude(Jr)),
                             f"{cid} ({name}): printed W_recᵀ diag(σ'(x_k)) vs autograd", c.repro(**case), literal=True)


# ================================================================ 13. Pascanu footnote 1: the two forms are equivalent
@claim_check("RNN-PASCANU-FORM-EQUIVALENCE",
             subject={"pascanu_step": _pascanu_step, "products": rnn.jacobian_products},
             plants={"σ dropped from eq. (2): x_t = W x_{t−1} + W_in u_t + b":
                         {"pascanu_step": lambda W, Wi, b, x, u, n: anp.dot(W, x) + anp.dot(Wi, u) + b},
                     "products in the wrong order": {"products": _products_reversed}})
def _(c, s):
    """x_t = W σ(x_{t−1}) + W_in u_t + b ⇔ h_t := σ(x_t) = σ(W h_{t−1} + W_in u_t + b); D_T ∂x_T/∂x_k = ∂h_T/∂h_k D_k, D_i = diag(σ'(x_i)).  [RNN-PASCANU-FORM-EQUIVALENCE]"""
    cid = c.id

    @c.holds
    @given(case=_seq_cases(acts=SMOOTH, H=(1, 3), T=(1, 4), bias_hi=50.0), x0=vectors(3, -5.0, 5.0), k_frac=floats(0.0, 1.0))
    @example(case={"act": "tanh", "W": np.array([[0.5, -1.0], [1.0, 0.2]]), "Wx": np.array([[1.0], [-0.5]]),
                   "b": np.array([0.1, 0.2]), "h0": np.zeros(2), "xs": np.array([[1.0], [-1.0], [0.5]])},
             x0=np.array([0.3, -0.2, 0.0]), k_frac=0.0)
    def same_trajectory_and_jacobians(case, x0, k_frac):
        name, g = case["act"], _g(case["act"])
        W, Win, b, us = case["W"], case["Wx"], case["b"], case["xs"]
        H, T = len(b), len(us)
        x0 = x0[:H]
        rep = c.repro(x0=x0, **case)

        def run(x, start):                                       # x_T from x_start by eq. (2)
            for t in range(start, T):
                x = s.pascanu_step(W, Win, b, x, us[t], name)
            return x
        xs_p = [x0]                                              # x_0 .. x_T by eq. (2)
        for t in range(T):
            xs_p.append(s.pascanu_step(W, Win, b, xs_p[-1], us[t], name))
        P = _params(W, Win, b)
        hs = rnn.forward(P, g.f(x0), us, name)
        oracles.assert_close(np.stack([g.f(x) for x in xs_p[1:]]), hs, tolerances.analytic(scale=magnitude(hs)),
                             f"{cid}: σ(x_t) vs h_t of the Elman form with h_0 = σ(x_0)", rep)
        k = min(int(k_frac * T), T - 1)
        # closed form: x_T = W h_{T−1} + …, h_k = σ(x_k) ⇒ ∂x_T/∂x_k = W (∂h_{T−1}/∂h_k) D_k
        dh = s.products(P, g.f(x0), us[:T - 1], name)[k] if T > 1 else np.eye(H)
        D = lambda x: np.diag(g.df(x))
        closed = W @ dh @ D(xs_p[k])
        Jx = jac3(lambda x: run(x, k), xs_p[k], closed, f"{cid} ({name}): ∂x_T/∂x_k, T={T}, k={k}", reproduce=rep)
        rhs = s.products(P, g.f(x0), us, name)[k] @ D(xs_p[k])
        oracles.assert_close(D(xs_p[T]) @ Jx, rhs, tolerances.analytic(scale=magnitude(rhs)),
                             f"{cid} ({name}): D_T ∂x_T/∂x_k vs ∂h_T/∂h_k D_k", rep)


# ================================================================ 14. seed 002: a scalar multiplied 100 times
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
def _(c, s):
    """w^n = sign(w)^n |w|^n: |w^n| → ∞ iff |w| > 1 and → 0 iff |w| < 1 — the test is on |w|, not on w.  [RNN-SCALAR-REPEATED-PRODUCT]"""
    cid = c.id

    @c.holds
    @given(w=_NONTINY, n=st.integers(1, 200))
    def magnitude_decides(w, n):
        p = s.repeat(w, n)
        # sign(w)^n |w|^n in exact rational arithmetic, rounded once: the reference carries no error of its own
        want = (-1.0 if w < 0 and n % 2 else 1.0) * float(Fraction(abs(w)) ** n)
        # the n multiplications round n times, each by ≤ 2^-53 relative: ≤ n/2 ≤ 100 ulps for n ≤ 200 (no underflow or
        # overflow: 0.05^200 = 6e-261, 10^200 < 1.8e308), inside the fixed analytic tolerance of 2^8 ulps
        oracles.assert_close(np.array([p]), np.array([want]), tolerances.analytic(scale=abs(want)),
                             f"{cid}: w^n by {n} multiplications vs sign(w)^n |w|^n, w={w!r}")
        assert (abs(p) > 1.0) == (abs(w) > 1.0), f"{cid}: |w^{n}| = {abs(p)!r} for w = {w!r}: |w^n| > 1 must hold iff |w| > 1"
        if abs(w) > 1.0:     # Bernoulli: |w|^n ≥ 1 + n(|w| − 1), unbounded in n
            le(1.0 + n * (abs(w) - 1.0), abs(p), f"{cid}: Bernoulli's lower bound for |w| = {abs(w)!r}, n = {n}")

    @c.refutes
    @given(w=floats(-10.0, 0.999))
    @example(w=-2.0)
    def seed002_below_one_vanishes(w):
        p = s.repeat(w, 100)                  # "over and over again for say 100 times"
        literal(abs(p) < 1.0, f"{cid}: w = {w!r} < 1 but |w^100| = {abs(p)!r} ≥ 1: it does not vanish")


# ================================================================ 15. matrices: the spectral radius, not the entries
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
def _(c, s):
    """ρ(W)^k ≤ ‖W^k‖₂ ≤ Σ_{j<n} C(k,j) ρ^{k−j} ‖N‖^j (W = D + N Schur): W^k → 0 iff ρ < 1, whatever the entries.  [RNN-MATRIX-POWER-SPECTRAL-RADIUS]"""
    cid = c.id

    @c.holds
    @given(case=_schur_cases(), k=st.integers(1, 60))
    def spectral_radius_sandwich(case, k):
        W, rho, nN = case
        n = len(W)
        Wk = s.power(W, k)
        upper = sum(math.comb(k, j) * rho ** (k - j) * nN ** j for j in range(min(k, n - 1) + 1))
        # rounding: each entry of fl(W^k) is off by ≤ k·n·eps·(|W|^k)_ij ≤ 240 eps·upper (k ≤ 60, n ≤ 4)
        nWk = opnorm(Wk)
        if upper > 0:
            target(nWk / upper, label="‖W^k‖ / Schur bound")
        le(rho ** k, nWk, f"{cid}: ρ^k ≤ ‖W^k‖₂ at k={k}, ρ={rho!r}", scale=upper, reproduce=c.repro(W=W))
        le(nWk, upper, f"{cid}: ‖W^k‖₂ ≤ Σ C(k,j) ρ^(k−j) ‖N‖^j at k={k}, ρ={rho!r}, ‖N‖={nN!r}", reproduce=c.repro(W=W))

    @c.refutes
    @given(W=st.integers(1, 4).flatmap(lambda n: matrices(n, n, -0.99, 0.99)))
    @example(W=np.full((2, 2), 0.9))
    def entries_below_one_vanish(W):
        nWk = opnorm(_matrix_power(W, 100))       # the true power (the subject is under test in the sandwich)
        literal(nWk < 1.0, f"{cid}: every |w_ij| < 1 but ‖W^100‖₂ = {nWk!r} ≥ 1 (ρ(W) = {_spectral_radius(W)!r}): {c.repro(W=W)}")

    @c.refutes
    @given(W=st.integers(1, 4).flatmap(_signed_big_entries))
    @example(W=np.array([[2.0, -2.0], [2.0, -2.0]]))
    def entries_above_one_explode(W):
        nWk = opnorm(_matrix_power(W, 100))
        literal(nWk > 1.0, f"{cid}: every |w_ij| > 1 but ‖W^100‖₂ = {nWk!r} ≤ 1 (ρ(W) = {_spectral_radius(W)!r}): {c.repro(W=W)}")


# ================================================================ 16. ReLU: the gradient is still multiplied by W_hh
@st.composite
def _active_relu_cases(draw):
    """ReLU RNN whose units stay active: W_hh, W_xh, x, h0 ≥ 0 and b large enough that no pre-activation comes
    within the FD stencil's reach of the kink for T ≤ 4 (for longer runs b > 0 keeps a_t > 0)."""
    n, d, T = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D"), draw(st.integers(1, 40), label="T")
    W = draw(floats(0.0, 1.5), label="scale") * draw(matrices(n, n, 0.0, 1.0), label="W_hh/scale")
    winf = max(float(np.max(np.sum(W, axis=1))), 1.0)
    margin = FD_REACH * float(np.max(W)) * winf ** (min(T, 4) - 1) + 0.1
    return {"W": W, "Wx": draw(matrices(n, d, 0.0, 1.0), label="W_xh"), "b": margin + draw(vectors(n, 0.0, 5.0), label="b − margin"),
            "h0": draw(vectors(n, 0.0, 1.0), label="h0"), "xs": draw(sequences(T, d, 0.0, 3.0), label="xs")}


@claim_check("RNN-RELU-NOT-IDENTITY",
             subject={"products": rnn.jacobian_products},
             plants={"the gradient 'propagated as it is' (∂h_T/∂h_k = I)":
                         {"products": lambda P, h0, xs, act="relu": np.stack([np.eye(len(h0))] * (len(xs) + 1))},
                     "products with W_hhᵀ": {"products": lambda P, h0, xs, act="relu": rnn.jacobian_products({**P, "W_hh": np.asarray(P["W_hh"]).T}, h0, xs, act)}})
def _(c, s):
    """ReLU RNN, all units active (a_t > 0): ∂h_t/∂h_k = W_hh^{t−k}, so the gradient still vanishes or explodes with W_hh.  [RNN-RELU-NOT-IDENTITY]"""
    cid = c.id

    @c.holds
    @given(case=_active_relu_cases())
    def products_are_powers_of_w(case):
        P, h0, xs = _params(case["W"], case["Wx"], case["b"]), case["h0"], case["xs"]
        T, rep = len(xs), c.repro(**case)
        # every a_t > 0 by construction (W_hh, W_xh, x, h_0 ≥ 0 and b > 0, so h_t = a_t > 0 by induction)
        a_s = _pre_activations(P, h0, xs, "relu")
        prods = s.products(P, h0, xs, "relu")
        for k in range(T + 1):
            Wk = np.linalg.matrix_power(P["W_hh"], T - k)
            oracles.assert_close(prods[k], Wk, tolerances.analytic(scale=magnitude(Wk)),
                                 f"{cid}: ∂h_T/∂h_k vs W_hh^(T−k) at T={T}, k={k}", rep)
        f = lambda v: _elman(P, v, xs, "relu")[-1]
        _same_map(P, h0, xs, "relu", cid)
        if T <= 4:      # the margin in b keeps every kink out of the FD stencil (see _active_relu_cases)
            jac3(f, h0, prods[0], f"{cid}: ∂h_T/∂h_0 = W_hh^T", fd=_relu_fd_safe(a_s, P["W_hh"]), reproduce=rep)
        else:
            J0 = oracles.jacobian_reverse(f, h0)
            oracles.assert_close(prods[0], J0, tolerances.analytic(scale=magnitude(J0)), f"{cid}: ∂h_T/∂h_0 vs autograd at T={T}", rep)

    @c.refutes
    @given(case=_active_relu_cases())
    @example(case={"W": np.array([[2.0]]), "Wx": np.array([[0.0]]), "b": np.array([1.0]), "h0": np.array([1.0]), "xs": np.array([[0.0]])})
    def seed001_propagated_as_is(case):
        P, h0, xs = _params(case["W"], case["Wx"], case["b"]), case["h0"], case["xs"]
        J = oracles.jacobian_reverse(lambda v: rnn.step(P, v, xs[0], "relu"), h0)
        oracles.assert_close(J, np.eye(len(h0)), tolerances.analytic(),
                             f"{cid}: 'derivative 1 ⇒ the gradient is propagated as it is': ∂h_1/∂h_0 vs I", c.repro(**case), literal=True)


# ================================================================ 17. leaky units: the step Jacobian
def _leaky_jacobian(W, a, alpha, name):
    """∂h_t/∂h_{t−1} = α I + (1−α) diag(g'(a_t)) W_hh for h_t = α h_{t−1} + (1−α) g(a_t)."""
    return alpha * np.eye(len(a)) + (1.0 - alpha) * (np.diag(_g(name).df(a)) @ W)


@claim_check("RNN-LEAKY-JACOBIAN",
             subject={"step": leaky.step, "step_jacobian": leaky.step_jacobian, "formula": _leaky_jacobian},
             plants={"(1−α) dropped: α I + diag(g') W_hh": {"formula": lambda W, a, al, n: al * np.eye(len(a)) + np.diag(_g(n).df(a)) @ W},
                     "α and 1−α swapped": {"formula": lambda W, a, al, n: _leaky_jacobian(W, a, 1.0 - al, n)}})
def _(c, s):
    """h_t = α h_{t−1} + (1−α) g(a_t) ⇒ ∂h_t/∂h_{t−1} = α I + (1−α) diag(g'(a_t)) W_hh.  [RNN-LEAKY-JACOBIAN]"""
    cid = c.id

    @c.holds
    @given(case=_step_cases(), alpha=floats(0.0, 1.0))
    @example(case={"act": "tanh", "W": np.array([[0.0, 2.0], [1.0, 0.0]]), "Wx": np.zeros((2, 1)),
                   "b": np.array([1.0, -0.5]), "h": np.array([0.5, 0.0]), "x": np.zeros(1)}, alpha=0.3)
    def three_oracles(case, alpha):
        name, P = case["act"], _params(case["W"], case["Wx"], case["b"])
        a = _pre(P, case["h"], case["x"])
        C = s.formula(P["W_hh"], a, alpha, name)
        rep = c.repro(alpha=alpha, **case)
        oracles.assert_close(s.step_jacobian(P, case["h"], case["x"], alpha, name), C, tolerances.analytic(scale=magnitude(C)),
                             f"{cid}: model step_jacobian vs α I + (1−α) diag(g') W_hh", rep)
        fd = name != "relu" or _relu_fd_safe([a], P["W_hh"])
        jac3(lambda h: s.step(P, h, case["x"], alpha, name), case["h"], C, f"{cid} ({name}, α={alpha!r})", fd=fd, reproduce=rep)


# ================================================================ 18. leaky units: how long the past stays reachable
def _leaky_products_no_leak_factor(params, h0, xs, alpha, act="tanh"):
    """A plant: leaky products built from α I + diag(g') W_hh (the (1−α) factor on the nonlinear path dropped)."""
    hs = np.vstack([h0, leaky.forward(params, h0, xs, alpha, act)])
    Js = [alpha * np.eye(len(h0)) + rnn.step_jacobian(params, hs[i], xs[i], act) for i in range(len(xs))]
    out = [np.eye(len(h0))]
    for J in reversed(Js):
        out.append(out[-1] @ J)
    return np.stack(out[::-1])


@st.composite
def _leaky_cases(draw):
    """Leaky units with α ∈ [0.5, 1], c/α = r ∈ [0, 0.95], a unit-norm W_hh direction U of every structure, T ≤ 40."""
    name, H, T = draw(st.sampled_from(ACTS), label="act"), draw(dims(1, 4), label="H"), draw(st.integers(1, 40), label="T")
    return {"act": name, "alpha": draw(floats(0.5, 1.0), label="alpha"), "r": draw(floats(0.0, 0.95), label="c/α"),
            "U": draw(_with_norm(H, _UNIT), label="W_hh/‖W_hh‖"), "Wx": draw(matrices(H, 1, -3.0, 3.0), label="W_xh"),
            "b": draw(_biases(H), label="b"), "h0": draw(vectors(H, -1.0, 1.0), label="h0"), "xs": draw(_long_inputs(T, 1), label="xs")}


@claim_check("RNN-LEAKY-MEMORY-BOUND",
             subject={"products": leaky.jacobian_products},
             plants={"(1−α) dropped on the nonlinear path": {"products": _leaky_products_no_leak_factor},
                     "leaky products replaced by the Elman ones (α ignored)":
                         {"products": lambda P, h0, xs, alpha, act="tanh": rnn.jacobian_products(P, h0, xs, act)}})
def _(c, s):
    """c = (1−α)γ‖W_hh‖ < α ⇒ (α − c)^{t−k} ≤ σ_min(∂h_t/∂h_k) ≤ ‖∂h_t/∂h_k‖ ≤ (α + c)^{t−k}; W_hh = 0 gives exactly α^{t−k} I.  [RNN-LEAKY-MEMORY-BOUND]"""
    cid = c.id

    @c.holds
    @given(case=_leaky_cases())
    # W_hh = −c/((1−α)γ)·I at a = 0: every step Jacobian is (α − c) I, so the lower bound is attained exactly
    @example(case={"act": "tanh", "alpha": 0.9, "r": 0.9, "U": -np.eye(2), "Wx": np.zeros((2, 1)), "b": np.zeros(2),
                   "h0": np.zeros(2), "xs": np.zeros((5, 1))})
    def singular_value_sandwich(case):
        name, alpha, h0, xs = case["act"], case["alpha"], case["h0"], case["xs"]
        T, gamma = len(xs), GAMMA[name]
        # c = (1−α)γ‖W_hh‖ = r·α < α; at α = 1 the nonlinear path has weight 0 and any W_hh gives c = 0
        W = case["U"] * (case["r"] * alpha / ((1.0 - alpha) * gamma)) if alpha < 1.0 else case["U"]
        c_ = (1.0 - alpha) * gamma * opnorm(W)
        P = _params(W, case["Wx"], case["b"])
        rep = c.repro(**{**case, "xs": xs[:8]})
        prods = s.products(P, h0, xs, alpha, name)
        f = lambda v: leaky.forward(P, v, xs, alpha, name)[-1]
        if T <= 3:
            fd = name != "relu" or _relu_fd_safe(_pre_activations_leaky(P, h0, xs, alpha, name), P["W_hh"], leaky=True)
            jac3(f, h0, prods[0], f"{cid} ({name}): ∂h_T/∂h_0", fd=fd, reproduce=rep)
        elif T <= 10:
            J0 = oracles.jacobian_reverse(f, h0)
            oracles.assert_close(prods[0], J0, tolerances.analytic(scale=magnitude(J0)), f"{cid} ({name}): ∂h_T/∂h_0 vs autograd", rep)
        worst = 0.0
        for k in range(T + 1):
            lo, hi = (alpha - c_) ** (T - k), (alpha + c_) ** (T - k)
            s_min, nP = smin(prods[k]), opnorm(prods[k])
            worst = max(worst, lo / s_min if s_min > 0 else np.inf)
            # the product's rounding error is ≲ (T−k)·H·eps·∏‖J_i‖ ≤ 160 eps·hi (T ≤ 40, H ≤ 4)
            le(lo, s_min, f"{cid} ({name}): (α−c)^(T−k) ≤ σ_min(∂h_T/∂h_k), α={alpha!r}, c={c_!r}, T={T}, k={k}", scale=hi, reproduce=rep)
            le(nP, hi, f"{cid} ({name}): ‖∂h_T/∂h_k‖ ≤ (α+c)^(T−k), α={alpha!r}, c={c_!r}, T={T}, k={k}", reproduce=rep)
        # target() needs a finite score: a singular product (σ_min = 0) would give ∞, and any ratio above 1 already fails
        # the sandwich, so capping at 1e6 loses nothing Hypothesis could use
        target(min(worst, 1e6), label="max_k (α−c)^{T−k} / σ_min")

    @c.holds
    @given(name=st.sampled_from(ACTS), alpha=floats(0.0, 1.0), T=st.integers(1, 100), H=dims(1, 3), data=st.data())
    def zero_recurrence_is_alpha_power(name, alpha, T, H, data):
        P = _params(np.zeros((H, H)), data.draw(matrices(H, 1, -3.0, 3.0), label="W_xh"), data.draw(_biases(H), label="b"))
        prods = s.products(P, data.draw(vectors(H, -1.0, 1.0), label="h0"), data.draw(_long_inputs(T, 1), label="xs"), alpha, name)
        for k in (0, T // 2, T):
            oracles.assert_close(prods[k], alpha ** (T - k) * np.eye(H), tolerances.analytic(scale=1.0),
                                 f"{cid} ({name}): W_hh = 0 ⇒ ∂h_T/∂h_k = α^(T−k) I, α={alpha!r}, T={T}, k={k}")

    @c.refutes
    @given(case=_near_one_cases())
    @example(case={"act": "tanh", "alpha": 0.99, "W": np.zeros((1, 1)), "Wx": np.zeros((1, 1)), "b": np.zeros(1),
                   "h0": np.zeros(1), "xs": np.zeros((100, 1))})      # no recurrence at all: only the self-connection α
    def seed001_weight_near_one_keeps_the_past(case):
        name, alpha, xs = case["act"], case["alpha"], case["xs"]
        # the true products (the reference model; the subject is under test in the sandwich)
        n0 = opnorm(leaky.jacobian_products(_params(case["W"], case["Wx"], case["b"]), case["h0"], xs, alpha, name)[0])
        # "can access values from the past": at least half of a perturbation of h_0 still reaches h_T
        literal(n0 >= 0.5, f"{cid} ({name}): α = {alpha!r} (near 1) yet ‖∂h_T/∂h_0‖ = {n0!r} < 1/2 at T = {len(xs)}")


@st.composite
def _near_one_cases(draw):
    """Leaky units with a self-connection α ∈ [0.9, 0.9999] ('near 1'), a small W_hh (‖W_hh‖₂ ≤ 0.5), T ≤ 300."""
    name, H, T = draw(st.sampled_from(ACTS), label="act"), draw(dims(1, 3), label="H"), draw(st.integers(1, 300), label="T")
    return {"act": name, "alpha": draw(floats(0.9, 0.9999), label="alpha"), "W": draw(_with_norm(H, floats(0.0, 0.5)), label="W_hh"),
            "Wx": draw(matrices(H, 1, -3.0, 3.0), label="W_xh"), "b": draw(_biases(H), label="b"),
            "h0": draw(vectors(H, -1.0, 1.0), label="h0"), "xs": draw(_long_inputs(T, 1), label="xs")}


def _pre_activations_leaky(P, h0, xs, alpha, name):
    hs = np.vstack([h0, leaky.forward(P, h0, xs, alpha, name)])
    return [_pre(P, hs[i], xs[i]) for i in range(len(xs))]


# ================================================================ 19. truncated BPTT
def _truncated_surrogate(theta, H, D, hs, xs, dE, U, name):
    """E_U(θ) = Σ_t dE_t · h_t^{(U)}(θ), where h_t^{(U)} reruns steps t−U..t from the state h_{t−U−1} held
    constant (its value at the current θ): its θ-gradient is exactly Σ_t Σ_{k=max(1,t−U)..t} ∂E_t/∂h_t ∂h_t/∂h_k ∂⁺h_k/∂θ."""
    P, g = _unflat(theta, H, D), _g(name).f
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
def _(c, s):
    """∂^{(U)}E/∂θ = Σ_t Σ_{k=max(1,t−U)..t} ∂E_t/∂h_t ∂h_t/∂h_k ∂⁺h_k/∂θ; = ∂E/∂θ for U ≥ T−1; the dropped terms are bounded by (γ_vγ_g')^{t−k}.  [RNN-TRUNCATED-BPTT]"""
    cid = c.id

    @c.holds
    @given(case=_truncation_cases())
    @example(case={"act": "tanh", "W": np.array([[0.5, -1.0], [1.0, 0.2]]), "Wx": np.array([[1.0], [-0.5]]),
                   "b": np.array([0.1, 0.2]), "h0": np.array([0.3, -0.2]), "xs": np.array([[1.0], [-1.0], [0.5]]),
                   "dE": np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]]), "U": 1})
    def truncated_gradient(case):
        name, P, h0, xs, dE, U = case["act"], _params(case["W"], case["Wx"], case["b"]), case["h0"], case["xs"], case["dE"], case["U"]
        H, D = P["W_xh"].shape
        T, rep = len(xs), c.repro(**case)
        tr, full = s.truncated(P, h0, xs, dE, U, name), s.bptt(P, h0, xs, dE, name)
        hs = np.vstack([h0, rnn.forward(P, h0, xs, name)])
        grad3(lambda th: _truncated_surrogate(th, H, D, hs, xs, dE, U, name), _flat(P), _flat(tr),
               f"{cid} ({name}, U={U}): truncated gradient vs the stop-gradient surrogate", fd=name != "relu", reproduce=rep)
        if U >= T - 1:
            oracles.assert_close(_flat(tr), _flat(full), tolerances.analytic(scale=magnitude(_flat(full))),
                                 f"{cid}: U={U} ≥ T−1={T - 1} must give the full θ-gradient", rep)
        if U >= T:
            oracles.assert_close(tr["h0"], full["h0"], tolerances.analytic(scale=magnitude(full["h0"])),
                                 f"{cid}: U={U} ≥ T={T} must give the full h0-gradient", rep)
        # every dropped term (t − k > U) is δ ⊗ (h_{k−1}, x_k, 1) with ‖δ‖ ≤ ‖∂E_t/∂h_t‖ (γ_vγ_g')^{t−k} γ_g'
        rate, gamma = opnorm(P["W_hh"]) * GAMMA[name], GAMMA[name]
        bound = sum(np.linalg.norm(dE[t - 1]) * rate ** (t - k) * gamma * math.sqrt(hs[k - 1] @ hs[k - 1] + xs[k - 1] @ xs[k - 1] + 1.0)
                    for t in range(1, T + 1) for k in range(1, t - U))
        dropped = float(np.linalg.norm(_flat(full) - _flat(tr)))
        if bound > 0:
            target(dropped / bound, label="‖full − truncated‖ / bound")
        le(dropped, bound, f"{cid}: ‖full − truncated‖_F at U={U}, T={T}", scale=max(bound, float(np.linalg.norm(_flat(full)))), reproduce=rep)


# ================================================================ 20. seed 001: update untied copies, then average
def _untied_loss(stack, P, h0, xs, dE, name):
    """E with a separate copy (W_hh^{(k)}, W_xh^{(k)}) of the recurrent and input weights at every step k."""
    H, D = P["W_xh"].shape
    n = H * H + H * D
    h, E = h0, 0.0
    g = _g(name).f
    for k in range(len(xs)):
        W_hh = anp.reshape(stack[k * n:k * n + H * H], (H, H))
        W_xh = anp.reshape(stack[k * n + H * H:(k + 1) * n], (H, D))
        h = g(anp.dot(W_hh, h) + anp.dot(W_xh, xs[k]) + P["b"])          # the Elman step with copy k (unvalidated: cost)
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
def _(c, s):
    """Σ_τ ∂E/∂v^{t−τ} = ∂E/∂v, so averaging the U+1 updated copies = v − η/(U+1)·∂E/∂v.  [RNN-BPTT-AVERAGE-COPIES]"""
    cid = c.id

    @c.holds
    @given(case=_bptt_cases(H=(1, 2), T=(1, 3)), eta=floats(0.01, 1.0))
    def averaging_is_a_scaled_tied_step(case, eta):
        name, P, h0, xs, dE = case["act"], _params(case["W"], case["Wx"], case["b"]), case["h0"], case["xs"], case["dE"]
        T, rep = len(xs), c.repro(eta=eta, **case)
        v = np.concatenate([np.ravel(P["W_hh"]), np.ravel(P["W_xh"])])   # the tied weights (v_bb', v_bi)
        stack = np.tile(v, T)                                             # U + 1 = T copies, all equal to v
        G = grad3(lambda st_: _untied_loss(st_, P, h0, xs, dE, name), stack, None,
                   f"{cid} ({name}): ∂E/∂(untied copies)", fd=name != "relu", reproduce=rep)[0].reshape(T, -1)
        tied = s.bptt(P, h0, xs, dE, name)
        g_tied = np.concatenate([np.ravel(tied["W_hh"]), np.ravel(tied["W_xh"])])
        oracles.assert_close(G.sum(axis=0), g_tied, tolerances.analytic(scale=magnitude(g_tied)),
                             f"{cid}: Σ_τ ∂E/∂v^(t−τ) vs the tied gradient (closed form)", rep)
        oracles.record_oracle("closed-form")
        oracles.assert_close(s.average(v, list(G), eta), v - eta / T * g_tied, tolerances.analytic(scale=magnitude(v - eta / T * g_tied)),
                             f"{cid}: averaged copies vs one tied step with learning rate η/(U+1), U+1={T}", rep)


# ================================================================ 21-23. Hochreiter's error-flow analysis
# Notation of Hochreiter & Schmidhuber 1997 §3.1: net_i(t) = Σ_j w_ij y^j(t−1), y^i = f_i(net_i), so w_ij is the
# weight from unit j to unit i (our W[i, j]); ϑ_j(t) = f'_j(net_j(t)) Σ_i w_ij ϑ_i(t+1) is the back-propagated error.
def _nets(W, a0, cs, name):
    """net(t−q), …, net(t): net(s) = W f(net(s−1)) + c_s (c_s: external input and bias); returns a list of q+1 vectors."""
    out = [np.asarray(a0, float)]
    for c_ in cs:
        out.append(_pascanu_step(W, np.eye(len(a0)), np.zeros(len(a0)), out[-1], c_, name))
    return out


def _hochreiter_recursion(W, fprimes):
    """Eq. (1): M_q[v, u] = ∂ϑ_v(t−q)/∂ϑ_u(t); M_1[v, u] = f'_v(net_v(t−1)) w_uv,
    M_q[v, u] = f'_v(net_v(t−q)) Σ_l M_{q−1}[l, u] w_lv.  ``fprimes[m−1]`` = f'(net(t−m)), m = 1..q."""
    M = fprimes[0][:, None] * W.T
    for fp in fprimes[1:]:
        M = fp[:, None] * (W.T @ M)
    return M


def _path_sum(W, fprimes, printed=False):
    """Eq. (2) by brute force over the n^{q−1} paths l_0 = u, l_1, …, l_q = v: ∏_m f'_{l_m}(net_{l_m}(t−m)) · w.
    The weight on step m is w_{l_{m−1} l_m} (from l_m to l_{m−1}: what unrolling eq. (1) gives) or, ``printed``,
    w_{l_m l_{m−1}} as eq. (2) is printed."""
    n, q = W.shape[0], len(fprimes)
    M = np.zeros((n, n))
    for u in range(n):
        for v in range(n):
            for mids in itertools.product(range(n), repeat=q - 1):
                path = (u,) + mids + (v,)
                term = 1.0
                for m in range(1, q + 1):
                    w = W[path[m], path[m - 1]] if printed else W[path[m - 1], path[m]]
                    term *= fprimes[m - 1][path[m]] * w
                M[v, u] += term
    return M


@st.composite
def _flow_cases(draw, n=(1, 3), q=(1, 4), acts=SMOOTH, w=3.0):
    name = draw(st.sampled_from(acts), label="f")
    n_, q_ = draw(dims(*n), label="n"), draw(st.integers(*q), label="q")
    W = draw(_with_norm(n_, floats(0.0, w * n_)), label="W")
    a0 = draw(vectors(n_, -5.0, 5.0), label="net(t−q)")
    cs = draw(matrices(q_, n_, -3.0, 3.0), label="inputs")
    return {"act": name, "W": W, "a0": a0, "cs": cs}


def _flow(case):
    """(W, nets, fprimes) with fprimes[m−1] = f'(net(t−m)), m = 1..q."""
    nets = _nets(case["W"], case["a0"], case["cs"], case["act"])
    q = len(case["cs"])
    return nets, [_g(case["act"]).df(nets[q - m]) for m in range(1, q + 1)]


@claim_check("RNN-HOCHREITER-PATH-SUM",
             subject={"recursion": _hochreiter_recursion, "path_sum": _path_sum},
             plants={"path sum with the printed weight index w_{l_m l_{m−1}}":
                         {"path_sum": lambda W, fps, printed=False: _path_sum(W, fps, printed=True)},
                     "recursion with W instead of Wᵀ": {"recursion": lambda W, fps: _hochreiter_recursion(np.asarray(W).T, fps)}})
def _(c, s):
    """∂ϑ_v(t−q)/∂ϑ_u(t) = Σ_{l_1..l_{q−1}} ∏_m f'_{l_m}(net_{l_m}(t−m)) w_{l_{m−1} l_m} = [(∂net(t)/∂net(t−q))ᵀ]_{vu}.  [RNN-HOCHREITER-PATH-SUM]"""
    cid = c.id

    @c.holds
    @given(case=_flow_cases())
    @example(case={"act": "sigmoid", "W": np.array([[0.0, 1.0], [0.0, 0.0]]), "a0": np.zeros(2), "cs": np.zeros((1, 2))})
    def recursion_paths_autograd(case):
        W, name = case["W"], case["act"]
        n, q = len(case["a0"]), len(case["cs"])
        nets, fps = _flow(case)
        rep = c.repro(**case)
        M = s.recursion(W, fps)
        oracles.assert_close(s.path_sum(W, fps), M, tolerances.analytic(scale=magnitude(M)),
                             f"{cid}: eq. (2) path sum (w_(l_(m−1) l_m)) vs eq. (1) recursion, q={q}", rep)
        # the model: net(t) = W h(t−1) + c, h = f(net) ⇒ ∂net(t)/∂net(t−q) = W (∂h(t−1)/∂h(t−q)) diag(f'(net(t−q)))
        P = _params(W, np.eye(n), np.zeros(n))
        dh = rnn.jacobian_products(P, _g(name).f(nets[0]), case["cs"][:q - 1], name)[0] if q > 1 else np.eye(n)
        model = (W @ dh @ np.diag(fps[-1])).T
        oracles.assert_close(M, model, tolerances.analytic(scale=magnitude(model)), f"{cid}: eq. (1) vs the model's (W ∂h/∂h D)ᵀ", rep)

        def net_t(a):                                             # net(t) as a function of net(t−q)
            for c_ in case["cs"]:
                a = _pascanu_step(W, np.eye(n), np.zeros(n), a, c_, name)
            return a
        jac3(net_t, nets[0], M.T, f"{cid} ({name}, q={q}): ∂net(t)/∂net(t−q) = Mᵀ", reproduce=rep)

    @c.refutes
    @given(case=_flow_cases())
    @example(case={"act": "sigmoid", "W": np.array([[0.0, 1.0], [0.0, 0.0]]), "a0": np.zeros(2), "cs": np.zeros((1, 2))})
    def printed_eq2(case):
        _, fps = _flow(case)
        M = _hochreiter_recursion(case["W"], fps)
        oracles.assert_close(_path_sum(case["W"], fps, printed=True), M, tolerances.analytic(scale=magnitude(M)),
                             f"{cid}: eq. (2) as printed (w_(l_m l_(m−1))) vs eq. (1)", c.repro(**case), literal=True)


def _n_star():
    """The root of n tanh(n/2) = 1 (n > 0): where |w f'(w y)| peaks for the logistic f (n = w y)."""
    return optimize.brentq(lambda n: n * math.tanh(n / 2) - 1.0, 0.5, 3.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def _dphi(w, y):
    """d/dw [w σ'(w y)] = σ'(n) + w y σ''(n) = σ'(n)(1 − n tanh(n/2)), n = w y, using σ'' = −σ' tanh(n/2) (by hand)."""
    n = w * y
    return act.sigmoid_prime(n) * (1.0 - n * np.tanh(n / 2.0))


@claim_check("RNN-HOCHREITER-SIGMOID-W4",
             subject={"dphi": _dphi, "n_star": _n_star, "products": rnn.jacobian_products},
             plants={"chain factor y dropped in d/dw": {"dphi": lambda w, y: act.sigmoid_prime(w * y) * (1.0 - w * np.tanh(w * y / 2.0))},
                     "peak from n·tanh(n) = 1 (half angle dropped)":
                         {"n_star": lambda: optimize.brentq(lambda n: n * math.tanh(n) - 1.0, 0.1, 3.0, xtol=1e-15)},
                     "products drop σ' (w^q)": {"products": _products_without_gprime}})
def _(c, s):
    """Logistic f: |f'(net) w| ≤ |w|/4 < 1 for |w| < 4, so a scalar unit's q-step flow is ≤ (|w|/4)^q; with net = w y, max_w |w f'(w y)| = n*f'(n*)/|y| at w = coth(n*/2)/y.  [RNN-HOCHREITER-SIGMOID-W4]"""
    cid = c.id

    @c.holds
    @given(w=floats(-3.999, 3.999), q=st.integers(1, 100), data=st.data())
    def scalar_unit_decays(w, q, data):
        P = _params(np.array([[w]]), np.array([[1.0]]), data.draw(_biases(1), label="b"))
        y0, xs = data.draw(vectors(1, 0.0, 1.0), label="y(t−q)"), data.draw(_long_inputs(q, 1), label="inputs")
        prods = s.products(P, y0, xs, "sigmoid")
        if q <= 3:
            jac3(lambda v: rnn.forward(P, v, xs, "sigmoid")[-1], y0, prods[0], f"{cid}: ∂y(t)/∂y(t−q), q={q}")
        flow, bound = abs(float(prods[0][0, 0])), (abs(w) / 4) ** q
        if w != 0.0:
            assume(bound > 1e-300)          # stated precondition: the bound itself does not underflow
            target(flow / bound, label="|∂y(t)/∂y(t−q)| / (|w|/4)^q")
        le(flow, bound, f"{cid}: |∂y(t)/∂y(t−q)| ≤ (|w|/4)^q < 1, w={w!r}, q={q}")

    @c.holds
    @given(w=floats(-50.0, 50.0), y=st.one_of(floats(0.05, 3.0), floats(-3.0, -0.05)))
    def coth_maximiser(w, y):
        phi = lambda v: v * act.sigmoid_prime(v * y)
        jac3(phi, np.array([w]), np.array([[s.dphi(w, y)]]), f"{cid}: d/dw [w f'(w y)], y={y!r}")
        ns = s.n_star()
        peak = ns * float(act.sigmoid_prime(ns)) / abs(y)
        target(abs(float(phi(w))) / peak, label="|w f'(w y)| / peak")
        le(abs(float(phi(w))), peak, f"{cid}: |w f'(w y)| ≤ n*f'(n*)/|y| at w={w!r}, y={y!r}")
        le(abs(float(phi(w))), abs(w) * math.exp(-abs(w * y)), f"{cid}: |w f'(w y)| ≤ |w| e^(−|w y|) → 0 as |w| → ∞")
        w_star = (1.0 / math.tanh(ns / 2.0)) / y                      # Hochreiter: w = (1/y) coth(net/2)
        oracles.assert_close(np.array([abs(float(phi(w_star)))]), np.array([peak]), tolerances.analytic(scale=magnitude(np.array([peak]))),
                             f"{cid}: the peak is attained at w = coth(n*/2)/y, y={y!r}")
        oracles.assert_close(np.array([float(s.dphi(w_star, y))]), np.zeros(1), tolerances.analytic(scale=1.0),
                             f"{cid}: d/dw [w f'(w y)] = 0 at w = coth(n*/2)/y")


@functools.cache
def _unit_entry_matrices(n):
    """(n, n) matrices with entries in [−1, 1], including the extreme all-(+1) and all-(−1) ones."""
    return st.one_of(matrices(n, n, -1.0, 1.0), st.just(np.ones((n, n))), st.just(-np.ones((n, n))))


@claim_check("RNN-HOCHREITER-WEAK-BOUND",
             subject={"recursion": _hochreiter_recursion},
             plants={"f' dropped (M_q = (Wᵀ)^q)": {"recursion": lambda W, fps: _hochreiter_recursion(W, [np.ones_like(f) for f in fps])},
                     "f' of the 1997 cell-input squashing g = 4σ − 2 (g' = 4σ') used for f'":
                         {"recursion": lambda W, fps: _hochreiter_recursion(W, [4.0 * f for f in fps])}})
def _(c, s):
    """|w_ij| ≤ w_max < 4/n ⇒ |∂ϑ_v(t−q)/∂ϑ_u(t)| ≤ n τ^q, τ = n w_max/4 < 1 (logistic f).  [RNN-HOCHREITER-WEAK-BOUND]"""
    cid = c.id

    @c.holds
    @given(n=dims(1, 4), q=st.integers(1, 30), frac=floats(0.01, 0.999), data=st.data())
    def exponential_decay(n, q, frac, data):
        w_max = frac * 4.0 / n
        W = w_max * data.draw(_unit_entry_matrices(n), label="W/w_max")
        case = {"act": "sigmoid", "W": W, "a0": data.draw(vectors(n, -5.0, 5.0), label="net(t−q)"),
                "cs": data.draw(matrices(q, n, -3.0, 3.0), label="inputs")}
        nets, fps = _flow(case)
        M = s.recursion(W, fps)
        if q <= 5:
            def net_t(a):
                for c_ in case["cs"]:
                    a = _pascanu_step(W, np.eye(n), np.zeros(n), a, c_, "sigmoid")
                return a
            oracles.assert_close(M.T, oracles.jacobian_reverse(net_t, nets[0]), tolerances.analytic(scale=1.0),
                                 f"{cid}: eq. (1) vs autograd ∂net(t)/∂net(t−q)")
            oracles.record_oracle("closed-form")
        tau = n * w_max / 4.0
        worst = float(np.max(np.abs(M)))
        target(worst / (n * tau ** q), label="max |M_q| / (n τ^q)")
        le(worst, n * tau ** q, f"{cid}: max_uv |∂ϑ_v(t−q)/∂ϑ_u(t)| ≤ n τ^q, n={n}, q={q}, τ={tau!r}", reproduce=c.repro(**case))
