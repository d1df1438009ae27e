"""Checks of the gradient-flow claims found missing by the seed-coverage audit (spec/claims/flow.toml, docs/COVERAGE.md).

Conventions as in the other check modules (docs/DESIGN.md): LSTM gate blocks i, f, g, o, ``c_t = f⊙c_{t−1} + i⊙g``,
``h_t = o⊙tanh(c_t)``; the "direct path" is ∂c_t/∂c_{t−1} with h_{t−1} held fixed. Elman RNN ``h_t = g(W_hh h_{t−1} +
W_xh x_t + b)``, time 1..T, ``hs[t−1]`` is h_t. Deep nets ``z_i = f(W_i z_{i−1} + b_i)``, ``L = ½‖z_n − y‖²``.

Float facts measured on the model's σ (models/activations.py, accurate in both tails) by bisection:
fl(σ(x)) = 1.0 exactly iff x ≥ 36.73680056967711 (= 53·ln 2, where 1 + e^{−x} rounds to 1), and
fl(σ(x)) = 0.0 exactly iff x ≤ −745.1332191019412 (where e^{x} underflows to 0).
"""

import functools
import importlib.util
import os

import autograd.numpy as anp
import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import oracles, tolerances
from vanishing.checks.registry import claim_check, literal
from vanishing.checks.strategies import dims, lstm_params, matrices, square_blocks, vectors
from vanishing.checks.toolkit import FD_REACH, le
from vanishing.models import activations as act
from vanishing.models import deepnet, lstm, rnn

# ---------------------------------------------------------------- float thresholds (see the module docstring)

#: fl(σ(a)) == 1.0 exactly from here on (measured; 53·ln 2 rounded up to the next double).
_SIGMA_ONE_FROM = 36.73680056967711
#: A gate bias that pins σ to exactly 1.0 whatever the weights add. For every strategy here |W_x x + W_h h| < 700:
#: |W_x x| ≤ 60·3·2 = 360, and a W_h gate block has spectral norm ≤ 60·H ≤ 180 (the nilpotent and non-normal ones
#: included) against ‖h‖₂ ≤ √3. So a ≥ 300 > 36.74: exactly 1. The negated pin, a ≤ −300, nearly shuts a gate
#: (σ < 1e-130) but not to exactly 0, which needs a ≤ −745.13 (LSTM-FORGET-ZERO-NOT-ERASE pins −2000).
_PIN = 1000.0


# ---------------------------------------------------------------- strategies (private; the cached factories are in checks/strategies.py)

_GATE_ORDER = {"forget": "ifgo", "cec": "igo"}
#: 0.5: PyTorch's init range 1/√H at H = 4; 2 and 8 push the gates towards saturation; 60 saturates them.
_SCALES = (0.5, 2.0, 8.0, 60.0)


def _block(variant, gate, H):
    """The row slice of ``gate``'s H-row block in the stacked LSTM parameters."""
    k = _GATE_ORDER[variant].index(gate)
    return slice(k * H, (k + 1) * H)


def _with_bias(p, variant, H, **biases):
    """A copy of LSTM params with whole gate-bias blocks replaced: _with_bias(p, "forget", H, o=1000.0)."""
    q = {k: np.array(v, dtype=np.float64, copy=True) for k, v in p.items()}
    for gate, value in biases.items():
        q["b"][_block(variant, gate, H)] = value
    return q


@st.composite
def _lstm_steps(draw, variants=("forget", "cec"), max_H=3, max_D=2, pin=("o", "i")):
    """(variant, params, h_prev, c_prev, x): one LSTM step, forget or cec variant (no peepholes).

    Half of the draws replace W_h's gate blocks by structured matrices. Each gate in ``pin`` is left as drawn,
    pinned open (bias +1000: exactly 1) or nearly shut (bias −1000), so open and closed gates occur often.
    h_prev ∈ [−1, 1] (every reachable h); c_prev moderate or large (|c| up to 40 saturates tanh').
    """
    variant = draw(st.sampled_from(variants), label="variant")
    H, D = draw(dims(1, max_H), label="H"), draw(dims(1, max_D), label="D")
    scale = draw(st.sampled_from(_SCALES), label="weight scale")
    p = dict(draw(lstm_params(H, D, scale, variant), label="params"))
    if draw(st.booleans(), label="structured W_h blocks"):
        p["W_h"] = np.vstack([draw(square_blocks(H, scale), label=f"W_h block {k}") for k in range(len(_GATE_ORDER[variant]))])
    for gate in pin:
        mode = draw(st.sampled_from(("as drawn", "open", "shut")), label=f"gate {gate}")
        if mode != "as drawn":
            p = _with_bias(p, variant, H, **{gate: _PIN if mode == "open" else -_PIN})
    c_range = draw(st.sampled_from((3.0, 40.0)), label="|c_prev| range")
    return (variant, p, draw(vectors(H, -1.0, 1.0), label="h_prev"), draw(vectors(H, -c_range, c_range), label="c_prev"),
            draw(vectors(D, -3.0, 3.0), label="x"))


def _lstm(H=1, D=1, variant="forget", W_x=None, W_h=None, b=None):
    """Hand-written LSTM params for @example: unspecified entries are zero."""
    n = len(_GATE_ORDER[variant])

    def arr(v, shape):
        return np.zeros(shape) if v is None else np.array(v, dtype=np.float64).reshape(shape)
    return {"W_x": arr(W_x, (n * H, D)), "W_h": arr(W_h, (n * H, H)), "b": arr(b, (n * H,))}


# ================================================================ 1. seed 004 §4.2: an open gate is not an open pipe

def _out_factor(s):
    """∂h_t/∂c_t = diag(o_t⊙tanh'(c_t)): h_t = o_t⊙tanh(c_t) and o_t does not read c_t (no peepholes)."""
    return s["o"] * act.tanh_prime(s["c"])


def _in_factor(s):
    """∂c_t/∂a_g = diag(i_t⊙tanh'(a_g)): c_t = f⊙c_{t−1} + i_t⊙tanh(a_g), i_t does not read a_g."""
    return s["i"] * act.tanh_prime(s["a_g"])


@claim_check("LSTM-OPEN-GATE-TANH-FACTOR",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian, "out_factor": _out_factor, "in_factor": _in_factor},
             plants={"∂h_t/∂c_t = diag(o_t): tanh' dropped (the 'unhindered' reading)": {"out_factor": lambda s: s["o"]},
                     "∂c_t/∂a_g = diag(i_t⊙σ'(a_g)): σ' for the candidate's tanh'":
                         {"in_factor": lambda s: s["i"] * act.sigmoid_prime(s["a_g"])}})
def _(c, s):
    """∂h_t/∂c_t = diag(o_t⊙tanh'(c_t)), ∂c_t/∂a_g = diag(i_t⊙tanh'(a_g)): ≤ the gate, and at gate = 1 still tanh' ≤ 1.  [LSTM-OPEN-GATE-TANH-FACTOR]"""
    cid = c.id

    @c.holds(max_examples=12, reason="finite differences on two diagonal Jacobians: scipy iterates to its cap on every exact 0")
    @given(step=_lstm_steps(max_H=2))
    @example(step=("forget", _lstm(b=[0.0, _PIN, 0.0, _PIN]), np.zeros(1), np.ones(1), np.zeros(1)))   # f = o = 1, c_t = 1
    @example(step=("cec", _lstm(variant="cec", b=[_PIN, 1.0, -_PIN]), np.zeros(1), np.zeros(1), np.zeros(1)))  # i = 1, o shut
    def factors_three_oracles(step):
        variant, p, h, c0, x = step
        H = c0.size
        g0 = s.gates(p, h, c0, x, variant=variant)
        rep = c.repro(step=step)
        out, inn = np.asarray(s.out_factor(g0)), np.asarray(s.in_factor(g0))
        # ∂h_t/∂c_{t−1}|_{h_{t−1}} = ∂h_t/∂c_t · ∂c_t/∂c_{t−1}|_h = diag(o⊙tanh'(c_t)) · direct path (diag(f_t), or I for cec)
        closed_h = np.diag(out) @ s.direct(p, h, c0, x, variant=variant)
        oracles.check_jacobian(lambda u: s.gates(p, h, u, x, variant=variant)["h"], c0, closed_form=closed_h,
                               structure=oracles.diagonal_mask(H), label=f"{cid}: ∂h_t/∂c_(t−1) at fixed h_(t−1)", reproduce=rep)
        # ∂c_t/∂b_g = ∂c_t/∂a_g (a_g = W_xg x + W_hg h + b_g): the input gate's factor i⊙tanh'(a_g)
        sl = _block(variant, "g", H)

        def c_of_bg(u):
            q = dict(p, b=anp.concatenate([p["b"][:sl.start], u, p["b"][sl.stop:]]))
            return s.gates(q, h, c0, x, variant=variant)["c"]
        oracles.check_jacobian(c_of_bg, p["b"][sl], closed_form=np.diag(inn), structure=oracles.diagonal_mask(H),
                               label=f"{cid}: ∂c_t/∂b_g", reproduce=rep)
        o, i = np.asarray(g0["o"]), np.asarray(g0["i"])
        # the gate bounds the flow (tanh' ≤ 1), so a gate near 0 stops it: |factor| ≤ gate
        le(np.abs(out), o, f"{cid}: |∂h_t/∂c_t| vs the output gate o_t", scale=1.0)
        le(np.abs(inn), i, f"{cid}: |∂c_t/∂a_g| vs the input gate i_t", scale=1.0)
        # an open gate (exactly 1.0) leaves the tanh' factor, ≤ 1 and = 1 only where its argument rounds to 0
        for gate, factor, arg, name in ((o, out, np.asarray(g0["c"]), "c_t"), (i, inn, np.asarray(g0["a_g"]), "a_g")):
            op = gate == 1.0
            oracles.assert_close(factor[op], act.tanh_prime(arg[op]), tolerances.analytic(),
                                 f"{cid}: open gate: factor vs tanh'({name})", rep)
            # tanh'(u) = 1 − u² + O(u⁴) rounds to 1 only for |u| ≲ 1.5e-8; beyond 1e-7 it is below 1 − 1e-14
            away = op & (np.abs(arg) > 1e-7)
            assert np.all(factor[away] < 1.0), f"{cid}: open gate, {name} = {arg[away]!r} ≠ 0, yet the factor {factor[away]!r} is 1"
        with np.errstate(divide="ignore", invalid="ignore"):
            target(float(np.max(np.where(o > 0, out / o, 0.0))), label="∂h_t/∂c_t ÷ o_t")

    @st.composite
    def open_gates(draw):
        """Forget and output gates pinned to exactly 1 (bias 1000): the most favourable case for the seed."""
        _, p, h, c0, x = draw(_lstm_steps(variants=("forget",), pin=()))
        return _with_bias(p, "forget", c0.size, f=_PIN, o=_PIN), h, c0, x

    @c.refutes
    @given(step=open_gates())
    # shrunk by Hypothesis: H = D = 1, all weights 0 except the pinned biases, h = x = 0, c_(t−1) = 1: c_t = 1 and
    # ∂h_t/∂c_t = tanh'(1) = 0.42 although f = o = 1.0 exactly
    @example(step=(_lstm(b=[0.0, _PIN, 0.0, _PIN]), np.zeros(1), np.ones(1), np.zeros(1)))
    def literal_open_gate_passes_unhindered(step):
        p, h, c0, x = step
        g0 = s.gates(p, h, c0, x, variant="forget")
        assume(np.all(g0["f"] == 1.0) and np.all(g0["o"] == 1.0))      # precondition: f = o = 1.0 exactly
        # f = 1 makes ∂c_t/∂c_(t−1)|_h = I exactly, so this Jacobian is ∂h_t/∂c_t itself (autograd, the truth)
        J = oracles.jacobian_reverse(lambda u: s.gates(p, h, u, x, variant="forget")["h"], c0)
        d = np.diag(J)
        literal(np.all(d >= 0.99), f"{cid}: output gate o = 1 exactly, yet ∂h_t/∂c_t = {d!r} (c_t = {np.asarray(g0['c'])!r}): "
                                   f"the gradient is not passed on unhindered")


# ================================================================ 2. seed 003: a vanishing sum needs no vanishing terms

def _seed003_theta(P):
    """θ = W = [W_rec, W_in] of seed 003's net (no bias), flat."""
    return np.concatenate([np.ravel(P["W_hh"]), np.ravel(P["W_xh"])])


def _seed003_params(theta, H, D):
    return {"W_hh": anp.reshape(theta[:H * H], (H, H)), "W_xh": anp.reshape(theta[H * H:], (H, D)), "b": anp.zeros(H)}


def _per_step_gradients(bptt, P, h0, xs, act_name):
    """G[t−1] = ∂h_t/∂θ for the scalar state (H = 1): bptt with the one-hot-in-time cotangent e_t, θ = (W_rec, W_in)."""
    T = len(xs)
    rows = []
    for t in range(T):
        e = np.zeros((T, 1))
        e[t, 0] = 1.0
        g = bptt(P, h0, xs, e, act_name)
        rows.append(np.concatenate([np.ravel(g["W_hh"]), np.ravel(g["W_xh"])]))
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
def _(c, s):
    """∂E/∂W = Σ_t ∂E_t/∂W can be exactly 0 while no ∂E_t/∂W (and no partial sum S_n, n < T) is 0.  [BPTT-SUM-CANCELLATION]"""
    cid = c.id

    def cancel(case, G):
        """v with Σ_t v_t ∂c_t/∂W = 0, the per-step gradients v_t ∂c_t/∂W, and the model's ∂E/∂W for ∂E_t/∂c_t = v_t."""
        name, P, c0, xs = case
        v = _cancelling_cotangents(G)
        assume(v is not None)                                       # the rows span R² (stated precondition)
        terms = v[:, None] * G                                      # ∂E_t/∂W = (∂E_t/∂c_t) ∂c_t/∂W with ∂E_t/∂c_t = v_t
        total = s.bptt(P, c0, xs, v[:, None], name)
        return v, terms, np.concatenate([np.ravel(total["W_hh"]), np.ravel(total["W_xh"])])

    # W_rec = W_in = 0, so c_t = σ(0) = ½ and ∂c_t/∂W = ¼(c_(t−1), x_t). Hypothesis shrinks to x = (1, 1, 1), where
    # ∂c_2/∂W = ∂c_3/∂W and v = (0, 1, −1)/√2: two terms cancel, the first is 0. x = (1, 0, 1) (ours) makes the three
    # rows ¼(0, 1), ¼(½, 0), ¼(½, 1): v = (1, 1, −1)/√3, all three terms non-zero and their sum 0.
    shrunk = ("sigmoid", {"W_hh": np.array([[0.0]]), "W_xh": np.array([[0.0]]), "b": np.zeros(1)}, np.array([0.0]),
              np.array([[1.0], [1.0], [1.0]]))
    all_nonzero = ("sigmoid", {"W_hh": np.array([[0.0]]), "W_xh": np.array([[0.0]]), "b": np.zeros(1)}, np.array([0.0]),
                   np.array([[1.0], [0.0], [1.0]]))

    @c.holds(max_examples=15, reason="three oracles (finite differences through T = 3 model steps) on every per-step gradient")
    @given(case=_cancelling_rnns())
    @example(case=all_nonzero)
    def per_step_gradients_and_their_sum(case):
        name, P, c0, xs = case
        G = _per_step_gradients(s.bptt, P, c0, xs, name)
        assume(_cancelling_cotangents(G) is not None)      # rows spanning R² (cheap to test: reject before the oracles)
        rep = c.repro(act=name, W=_seed003_theta(P), c0=c0, xs=xs)
        # three oracles on every per-step gradient at once: row t of ∂(c_1..c_T)/∂W is ∂E_t/∂W for E_t = c_t
        oracles.check_jacobian(lambda th: rnn.forward(_seed003_params(th, 1, 1), c0, xs, name)[:, 0], _seed003_theta(P),
                               closed_form=G, label=f"{cid}: per-step gradients ∂c_t/∂W", reproduce=rep)
        _, terms, total = cancel(case, G)
        norms = np.linalg.norm(terms, axis=1)
        # the scale of the cancellation is ‖G‖₂ (v is a unit vector and SVD's null vector leaves Gᵀv ≈ eps·‖G‖₂), not the
        # size of the terms, which small entries of v can make much smaller; relative, since the inputs may be tiny
        scale = float(np.linalg.norm(G, 2))
        assume(float(np.min(norms)) >= 1e-6 * scale)        # every E_t carries weight (stated precondition)
        tol = tolerances.analytic(scale=scale)
        # linearity: the gradient of E = Σ E_t is the sum of the per-step gradients (what eq. (3) says) ...
        oracles.assert_close(total, terms.sum(axis=0), tol, f"{cid}: ∂E/∂W vs Σ_t ∂E_t/∂W", rep)
        # ... and the triangle inequality gives the true direction: all terms vanish ⇒ the sum vanishes
        le(np.linalg.norm(total), np.sum(norms), f"{cid}: ‖Σ_t ∂E_t/∂W‖ vs Σ_t ‖∂E_t/∂W‖", scale=scale)
        # but not conversely: here the sum is 0 to rounding while no term and no partial sum S_n (n < T) is
        partial = np.linalg.norm(np.cumsum(terms, axis=0), axis=1)
        assert np.linalg.norm(total) <= tol.atol, f"{cid}: the cancelling combination left ‖∂E/∂W‖ = {np.linalg.norm(total)!r} ({rep})"
        assert np.all(partial[:-1] > tol.atol), f"{cid}: a partial sum vanished: ‖S_n‖ = {partial!r}, ‖∂E_t/∂W‖ = {norms!r} ({rep})"
        target(float(np.min(norms)) / scale, label="smallest per-step gradient (relative to the largest)")

    @c.refutes(max_examples=10, reason="the cancellation is structural (any 3 vectors in R² combine to 0): the shrunk counterexample runs first")
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
            f"{cid}: ∂E/∂W = Σ_t ∂E_t/∂W has norm {np.linalg.norm(total):.3e} (zero to rounding) with targets chosen so "
            f"∂E_t/∂c_t = {v!r}, yet the per-step gradients have norms {norms!r} and the partial sums ‖S_n‖ = {partial!r}"))


# ================================================================ 3. seed 004 §4.3 / seed 002: the direct path is ∏ f_t

def _frozen_h_cell(gates, p, hs, xs):
    """u ↦ c_T with every h_(t−1) frozen at its trajectory value (the direct path; H&S 1997's truncation)."""
    def c_T(u):
        c_ = u
        for h, x in zip(hs, xs):
            c_ = gates(p, h, c_, x, variant="forget")["c"]
        return c_
    return c_T


def _trajectory(gates, p, h0, c0, xs):
    """h_0..h_(T−1) (the h each step reads), c_0..c_(T−1), and every step's gates, rolled with ``gates``."""
    hs, cs, steps, h, c_ = [], [], [], h0, c0
    for x in xs:
        hs.append(h)
        cs.append(c_)
        g = gates(p, h, c_, x, variant="forget")
        steps.append(g)
        h, c_ = np.asarray(g["h"]), np.asarray(g["c"])
    return hs, cs, steps


def _direct_product(direct, p, hs, cs, xs):
    """∏_{t=T..1} ∂c_t/∂c_(t−1)|_h, later steps on the left, from the model's hand-derived direct_path_jacobian."""
    M = np.eye(len(cs[0]))
    for h, c_, x in zip(hs, cs, xs):
        M = direct(p, h, c_, x, variant="forget") @ M
    return M


@st.composite
def _forget_runs(draw, max_T=4, max_H=2):
    """A forget-variant LSTM run: parameters of every kind, the forget gate left as drawn, pinned open (exactly 1) or
    biased up by 1, 2, 5 or 40 (Jozefowicz et al.'s 1 or 2, Gers et al.'s 5; 40 rounds f to 1 unless the weights pull back)."""
    _, p, h0, c0, x = draw(_lstm_steps(variants=("forget",), max_H=max_H, pin=("f",)))
    H, D = c0.size, x.size
    shift = draw(st.sampled_from((0.0, 1.0, 2.0, 5.0, 40.0)), label="forget-bias shift")
    p = _with_bias(p, "forget", H, f=p["b"][_block("forget", "f", H)] + shift)
    T = draw(st.integers(1, max_T), label="T")
    xs = draw(vectors(T * D, -3.0, 3.0), label="xs").reshape(T, D)
    return p, h0, c0, xs


def _gates_forget_on_write(p, h, c_prev, x, variant="forget"):
    """Bug: the forget gate multiplies the write instead of the old cell, c_t = c_(t−1) + f⊙i⊙g (a leak-free cell)."""
    g = dict(lstm.gates(p, h, c_prev, x, variant))
    g["c"] = c_prev + g["f"] * g["i"] * g["g"]
    g["h"] = g["o"] * act.tanh(g["c"])
    return g


@claim_check("LSTM-DIRECT-PATH-PRODUCT",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian},
             plants={"forget gate applied to the write instead of the old cell (c_t = c_(t−1) + f⊙i⊙g)": {"gates": _gates_forget_on_write},
                     "direct path diag(σ'(a_f)) (the gate's derivative for the gate)":
                         {"direct": lambda p, h, c_, x, variant="forget": np.diag(act.sigmoid_prime(lstm.gates(p, h, c_, x, variant)["a_f"]))}})
def _(c, s):
    """∂c_T/∂c_0|_direct = diag(∏_t f_t), exp(−Σ(1−f_t)/f_t) ≤ ∏_t f_t ≤ min(exp(−Σ(1−f_t)), (max f)^T): it survives only if f_t → 1.  [LSTM-DIRECT-PATH-PRODUCT]"""
    cid = c.id

    @c.holds(max_examples=12, reason="finite differences on a diagonal Jacobian through up to 4 steps: scipy iterates to its cap on every exact 0")
    @given(run=_forget_runs())
    @example(run=(_lstm(H=2, b=[0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0]), np.zeros(2), np.array([1.0, -1.0]), np.ones((4, 1))))
    def product_of_forget_gates_three_oracles(run):
        p, h0, c0, xs = run
        H = c0.size
        hs, cs, steps = _trajectory(s.gates, p, h0, c0, xs)
        closed = _direct_product(s.direct, p, hs, cs, xs)
        J = oracles.check_jacobian(_frozen_h_cell(s.gates, p, hs, xs), c0, closed_form=closed, structure=oracles.diagonal_mask(H),
                                   label=f"{cid}: ∂c_T/∂c_0 along the direct path (T = {len(xs)})",
                                   reproduce=c.repro(H=H, T=len(xs)))
        f = np.array([np.asarray(g["f"]) for g in steps])
        oracles.assert_close(np.diag(J), np.prod(f, axis=0), tolerances.analytic(), f"{cid}: ∂c_T/∂c_0 vs ∏_t f_t")

    @st.composite
    def long_runs(draw):
        p, h0, c0, xs = draw(_forget_runs(max_T=1, max_H=3))
        T = draw(st.integers(1, 150), label="T")
        # a repeated block of ≤ 8 inputs: long sequences without drawing 150·D floats
        block = draw(vectors(8 * xs.shape[1], -3.0, 3.0), label="input block").reshape(8, -1)
        return p, h0, c0, np.resize(block, (T, block.shape[1]))

    @c.holds(max_examples=6, reason="trajectories of up to 150 validated model steps, ~0.15 ms each")
    @given(run=long_runs())
    @example(run=(_lstm(H=2, b=[0.0, 0.0, 5.0, 40.0, 0.0, 0.0, 0.0, 0.0]), np.zeros(2), np.zeros(2), np.zeros((150, 1))))
    # the float threshold itself: a_f one double below it gives f = 1 − 2⁻⁵² (∏ < 1), at it f = 1.0 (∏ = 1)
    @example(run=(_lstm(H=2, b=[0.0, 0.0, np.nextafter(_SIGMA_ONE_FROM, 0.0), _SIGMA_ONE_FROM, 0.0, 0.0, 0.0, 0.0]),
                  np.zeros(2), np.zeros(2), np.zeros((150, 1))))
    def vanishes_unless_forget_gates_tend_to_one(run):
        p, h0, c0, xs = run
        _, _, steps = _trajectory(s.gates, p, h0, c0, xs)
        f = np.array([np.asarray(g["f"]) for g in steps])          # (T, H)
        a_f = np.array([np.asarray(g["a_f"]) for g in steps])
        prod = np.prod(f, axis=0)
        # log f ≤ f − 1 and log f ≥ −(1 − f)/f  (from log u ≤ u − 1 at u = f and at u = 1/f)
        upper = np.exp(-np.sum(1.0 - f, axis=0))
        with np.errstate(divide="ignore"):
            lower = np.exp(-np.sum((1.0 - f) / f, axis=0))
        T = len(xs)
        # each bound is a product/exp of T rounded factors: T·eps relative at most, inside 2^8 ulps for T ≤ 150
        le(prod, upper, f"{cid}: ∏f_t vs exp(−Σ(1 − f_t)) (T = {T})", scale=1.0)
        le(prod, np.max(f, axis=0) ** T, f"{cid}: ∏f_t vs (max_t f_t)^T (T = {T})", scale=1.0)
        le(lower, prod, f"{cid}: exp(−Σ(1 − f_t)/f_t) vs ∏f_t (T = {T})", scale=1.0)
        # exactly 1 iff every f_t is exactly 1.0, iff every a_f ≥ 53·ln 2 (exact float facts: rounding is monotone)
        assert np.array_equal(prod == 1.0, np.all(f == 1.0, axis=0)), f"{cid}: ∏f_t = {prod!r} is 1 without every f_t = 1"
        assert np.array_equal(f == 1.0, a_f >= _SIGMA_ONE_FROM), f"{cid}: f = 1.0 exactly does not match a_f ≥ {_SIGMA_ONE_FROM}"
        target(float(np.max(np.where(prod < 1.0, prod, 0.0))), label="largest ∏f_t below 1")

    @st.composite
    def initialised_lstms(draw):
        """PyTorch's default init U(−1/√H, 1/√H) (lstm.init_params, scale 1), forget bias 0, 1 or 2, |x| ≤ 1."""
        H, D = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D")
        bias = draw(st.sampled_from((0.0, 1.0, 2.0)), label="forget bias")
        p = lstm.init_params(H, D, np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="init seed")), forget_bias=bias)
        T = draw(st.integers(2, 100), label="T")
        return p, draw(vectors(T * D, -1.0, 1.0), label="xs").reshape(T, D)

    @c.refutes
    @given(run=initialised_lstms())
    # shrunk by Hypothesis: H = D = 1, init seed 0, forget bias 0, x = 1: f = 0.601, 0.597, ∏f = 0.359 after T = 2
    @example(run=(lstm.init_params(1, 1, np.random.default_rng(0)), np.ones((2, 1))))
    def literal_consistent_over_long_sequences(run):
        p, xs = run
        H = p["W_h"].shape[1]
        _, _, steps = _trajectory(s.gates, p, np.zeros(H), np.zeros(H), xs)
        flow = float(np.max(np.prod([np.asarray(g["f"]) for g in steps], axis=0)))
        # "remain consistent" read as: within a factor 2 of ∂c_T/∂c_T = 1, i.e. ∂c_T/∂c_0 ≥ 1/2 along the direct path
        literal(flow >= 0.5, f"{cid}: along the direct path ∂c_T/∂c_0 = ∏f_t = {flow!r} < 1/2 after T = {len(xs)} steps")


# ================================================================ 4. seed 000: the first layer's gradient is usually smaller

@functools.cache
def _digits():
    """(X, Y, source): scikit-learn's bundled 8×8 digits (pixels/16, one-hot targets) when scikit-learn is installed,
    else a synthetic stand-in. The CSV that load_digits reads is read directly: importing sklearn.datasets costs
    ~1.4 s, over the claim's budget (both give the same arrays; checked once against load_digits)."""
    spec = importlib.util.find_spec("sklearn")
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz") if spec else None
    if path and os.path.exists(path):
        a = np.loadtxt(path, delimiter=",")
        return a[:, :-1] / 16.0, np.eye(10)[a[:, -1].astype(int)], "sklearn digits"
    # 10 classes of 64 features in [0, 1]: a fixed random prototype per class plus noise, like stroke images
    rng = np.random.default_rng(0)
    proto = (rng.random((10, 64)) < 0.35).astype(float)
    labels = rng.integers(0, 10, 1797)
    X = np.clip(proto[labels] + 0.25 * rng.standard_normal((1797, 64)), 0.0, 1.0)
    return X, np.eye(10)[labels], "synthetic digits"


def _batch_weight_grads(backprop, params, X, Y):
    """The mini-batch gradient (1/B)Σ_b ∂L_b/∂W_i for every layer i, from per-example backprop."""
    total = None
    for x, y in zip(X, Y):
        g = backprop(params, x, y, "sigmoid")["W"]
        total = list(g) if total is None else [a + b for a, b in zip(total, g)]
    return [a / len(X) for a in total]


#: nets per Hypothesis example and examples per mini-batch: the median of 5 nets with batches of 8 exceeds 1 with
#: probability ~1e-6 (offline: a single net's ratio exceeds 1 in 0–0.3% of 400 draws), small enough to assert
_NETS, _BATCH = 5, 8


def _first_to_last(backprop, widths, seed, X, Y):
    """‖∂L/∂W_1‖_F / ‖∂L/∂W_n‖_F for one net, standard-normal weights from ``seed``, a batch drawn by the same rng."""
    rng = np.random.default_rng(seed)
    params = deepnet.init_params(widths, rng)
    idx = rng.choice(len(X), _BATCH, replace=False)
    g = _batch_weight_grads(backprop, params, X[idx], Y[idx])
    return float(np.linalg.norm(g[0]) / np.linalg.norm(g[-1])), params, idx


def _backprop_reversed(params, x, y, act="sigmoid"):
    """Bug: the per-layer gradients returned in reverse order (first layer's list slot holds the last layer's)."""
    g = deepnet.backprop(params, x, y, act)
    return {"W": g["W"][::-1], "b": g["b"][::-1]}


def _backprop_without_fprime(params, x, y, act_name="sigmoid"):
    """Bug: δ_(i−1) = W_iᵀ δ_i, the activation's derivative f'(h_(i−1)) dropped in the hidden layers' recursion."""
    a = act.get_activation(act_name)
    fw = deepnet.forward(params, x, act_name)
    Ws = params["W"]
    delta = (fw["z"][-1] - y) * a.df(fw["h"][-1])          # δ_n is still right
    gW, gb = [None] * len(Ws), [None] * len(Ws)
    for i in range(len(Ws), 0, -1):
        gW[i - 1], gb[i - 1] = np.outer(delta, fw["z"][i - 1]), delta
        if i > 1:
            delta = Ws[i - 1].T @ delta                      # missing ⊙ f'(h_(i−1))
    return {"W": gW, "b": gb}


@claim_check("DEEP-FIRST-LAYER-TYPICAL",
             subject={"backprop": deepnet.backprop},
             plants={"per-layer gradients returned in reverse order": {"backprop": _backprop_reversed},
                     "f'(h) dropped in the hidden layers' δ recursion": {"backprop": _backprop_without_fprime}})
def _(c, s):
    """Sigmoid MLP, W ~ N(0,1), digits: median over nets of ‖∂L/∂W_1‖/‖∂L/∂W_3‖ < 1, and smaller still with depth.  [DEEP-FIRST-LAYER-TYPICAL]"""
    cid = c.id

    @c.holds(max_examples=8, reason="10 nets of up to 7 layers per example, each with a mini-batch of 8 backprops")
    @given(width=st.sampled_from((16, 32)), base=st.integers(0, 2**30))
    @example(width=32, base=0)
    def first_layer_smaller_and_more_so_with_depth(width, base):
        X, Y, source = _digits()
        seeds = [base * _NETS + k for k in range(_NETS)]
        shallow = [_first_to_last(s.backprop, [64, width, width, 10], sd, X, Y) for sd in seeds]   # the seed's net
        deep = [_first_to_last(s.backprop, [64] + [width] * 5 + [10], sd, X, Y) for sd in seeds]   # three more hidden layers
        m2 = float(np.median([r for r, _, _ in shallow]))
        m5 = float(np.median([r for r, _, _ in deep]))
        target(m2, label="median ‖∂L/∂W_1‖/‖∂L/∂W_3‖")
        target(m5 / m2, label="deeper ÷ shallower median")
        # the gradients behind the ratio, on one example: backprop vs autograd (entry by entry) and directional FD
        _, params, idx = shallow[0]
        x, y = X[idx[0]], Y[idx[0]]
        g = s.backprop(params, x, y, "sigmoid")["W"]
        shapes = [W.shape for W in params["W"]]

        def loss(theta):
            Ws, k = [], 0
            for m, n in shapes:
                Ws.append(anp.reshape(theta[k:k + m * n], (m, n)))
                k += m * n
            return anp.reshape(deepnet.loss({"W": Ws, "b": params["b"]}, x, y, "sigmoid"), (1,))
        theta = np.concatenate([np.ravel(W) for W in params["W"]])
        closed = np.concatenate([np.ravel(a) for a in g])
        rep = c.repro(data=source, width=width, init_seed=seeds[0], example=idx[0])
        Jr = oracles.jacobian_reverse(loss, theta)
        oracles.record_oracle("closed-form")
        oracles.assert_close(closed, Jr[0], tolerances.analytic(scale=max(1.0, float(np.max(np.abs(Jr))))),
                             f"{cid}: backprop ∂L/∂W vs autograd", rep)
        directions = [np.random.default_rng(theta.size).standard_normal(theta.size)]    # fixed seed: reproducible
        if np.any(closed != 0.0):
            directions.append(closed)          # the claimed gradient's own direction exposes any wrong entry
        for v in directions:
            v = v / np.linalg.norm(v)
            d, err = oracles.directional_fd(loss, theta, v, np.ones(1))
            oracles.assert_close(np.array([closed @ v]), np.array([d]), tolerances.fd(np.array([err]), scale=max(1.0, abs(d))),
                                 f"{cid}: backprop ∂L/∂W along a direction vs finite differences", rep)
        assert m2 < 1.0, (f"{cid}: median over {_NETS} nets [64, {width}, {width}, 10] of ‖∂L/∂W_1‖/‖∂L/∂W_3‖ = {m2!r} ≥ 1 "
                          f"(ratios {[r for r, _, _ in shallow]!r}; data: {source}; {rep})")
        assert m5 < m2, (f"{cid}: three more hidden layers did not make the first layer's share smaller: median {m5!r} "
                         f"≥ {m2!r} (data: {source}; {rep})")


# ================================================================ 5. seed 001: the dying ReLU

def _batch_loss_grads(backprop, params, X, Y):
    """Mean over the batch of per-example backprop: {"W": [...], "b": [...]} (ReLU net)."""
    gs = [backprop(params, x, y, "relu") for x, y in zip(X, Y)]
    return {k: [sum(g[k][i] for g in gs) / len(gs) for i in range(len(params[k]))] for k in ("W", "b")}


def _gd_step(params, grads, eta):
    """One gradient-descent step θ ← θ − η ∂L/∂θ on every layer."""
    return {k: [p - eta * g for p, g in zip(params[k], grads[k])] for k in ("W", "b")}


def _pre_activation(params, X, layer, unit):
    """h_layer[unit] on every example (forward pass of the model)."""
    return np.array([deepnet.forward(params, x, "relu")["h"][layer - 1][unit] for x in X])


@st.composite
def _nets_with_a_dead_unit(draw, first_layer=None, nonpositive_in=False):
    """(params, X, Y, layer, unit, eta): a ReLU net of 2–3 layers (widths ≤ 3, weights in [−2, 2], batch of 1–3
    inputs in [−3, 3]) in which unit ``unit`` of layer ``layer`` is dead on every example of the batch.

    The dead unit's bias is set below −max_b W[unit]·z_(layer−1) by a drawn gap plus the finite-difference reach, so
    every pre-activation stays negative while FD moves one of its parameters by up to 0.5. ``first_layer``: force the
    dead unit into layer 1 (True) or a deeper layer (False); ``nonpositive_in``: its incoming weights made ≤ 0.
    """
    n = draw(st.integers(2, 3), label="layers")
    layer = 1 if first_layer else draw(st.integers(2 if first_layer is False else 1, n), label="dead layer")
    sizes = [draw(dims(1, 3), label=f"n_{k}") for k in range(n + 1)]
    if first_layer is False:
        # a live neighbour in the dead unit's layer carries gradient back to the layers before it
        sizes[layer] = max(sizes[layer], 2)
    Ws = [draw(matrices(sizes[k + 1], sizes[k], -2.0, 2.0), label=f"W_{k + 1}") for k in range(n)]
    bs = [draw(vectors(sizes[k + 1], -2.0, 2.0), label=f"b_{k + 1}") for k in range(n)]
    B = draw(st.integers(1, 3), label="batch")
    X = draw(matrices(B, sizes[0], -3.0, 3.0), label="X")
    Y = draw(matrices(B, sizes[-1], -3.0, 3.0), label="Y")
    unit = draw(st.integers(0, sizes[layer] - 1), label="dead unit")
    if nonpositive_in:
        Ws[layer - 1][unit] = -np.abs(Ws[layer - 1][unit])
    params = {"W": Ws, "b": bs}
    Z = np.array([deepnet.forward(params, x, "relu")["z"][layer - 1] for x in X])       # inputs of the dead unit's layer
    gap = draw(st.floats(1e-3, 2.0), label="gap below 0")
    reach = FD_REACH * max(1.0, float(np.max(np.abs(Z))))  # the FD stencil moves one parameter by ≤ FD_REACH
    bs[layer - 1][unit] = -float(np.max(Z @ Ws[layer - 1][unit])) - gap - reach
    if nonpositive_in:
        bs[layer - 1][unit] = min(bs[layer - 1][unit], -gap)
    eta = draw(st.floats(0.01, 5.0), label="learning rate η")
    return params, X, Y, layer, unit, eta


def _dead_net(W1, b1, W2, b2, W3, b3):
    return {"W": [np.array(W1, float), np.array(W2, float), np.array(W3, float)],
            "b": [np.array(b1, float), np.array(b2, float), np.array(b3, float)]}


def _backprop_leaky(params, x, y, alpha):
    """Bug: the backward pass of a ReLU net written with the derivative of leaky ReLU (slope α for h ≤ 0)."""
    fw = deepnet.forward(params, x, "relu")
    Ws = params["W"]

    def d(h):                   # the wrong derivative: α instead of 0 for h ≤ 0
        return np.where(h > 0, 1.0, alpha)
    delta = (fw["z"][-1] - y) * d(fw["h"][-1])
    gW, gb = [None] * len(Ws), [None] * len(Ws)
    for i in range(len(Ws), 0, -1):
        gW[i - 1], gb[i - 1] = np.outer(delta, fw["z"][i - 1]), delta
        if i > 1:
            delta = d(fw["h"][i - 2]) * (Ws[i - 1].T @ delta)
    return {"W": gW, "b": gb}


@claim_check("DEEP-RELU-DEAD-UNIT",
             subject={"backprop": deepnet.backprop},
             plants={"ReLU'(h) taken as 1 for h ≤ 0 (the identity's derivative)":
                         {"backprop": lambda p, x, y, a="relu": _backprop_leaky(p, x, y, 1.0)},
                     "leaky ReLU's slope α = 0.01 in the backward pass of a ReLU net":
                         {"backprop": lambda p, x, y, a="relu": _backprop_leaky(p, x, y, 0.01)}})
def _(c, s):
    """Dead on every example ⇒ ∂L/∂W_i[j,:] = 0 and ∂L/∂b_i[j] = 0 exactly; permanent only if its input cannot revive it.  [DEEP-RELU-DEAD-UNIT]"""
    cid = c.id

    @c.holds(max_examples=10, reason="finite differences of a loss that is exactly constant in these parameters: scipy iterates to its cap on every exact 0")
    @given(net=_nets_with_a_dead_unit())
    @example(net=(_dead_net([[1.0, 1.0]], [0.0], [[1.0], [1.0]], [-2.0, 0.0], [[-1.0, -1.0]], [1.0]),
                  np.array([[-1.0, 1.5]]), np.array([[0.0]]), 2, 0, 1.0))
    def zero_gradient_three_oracles(net):
        params, X, Y, layer, unit, eta = net
        rep = c.repro(layer=layer, unit=unit, sizes=[W.shape for W in params["W"]])
        h = _pre_activation(params, X, layer, unit)
        assert np.all(h < 0), f"{cid}: strategy bug: the unit should be dead on every example by construction, h = {h!r}"
        g = _batch_loss_grads(s.backprop, params, X, Y)
        closed = np.concatenate([g["W"][layer - 1][unit], [g["b"][layer - 1][unit]]])
        W0, b0 = params["W"][layer - 1], params["b"][layer - 1]

        def loss(theta):          # the batch loss as a function of the dead unit's incoming weights and bias
            W = anp.concatenate([W0[:unit], anp.reshape(theta[:-1], (1, -1)), W0[unit + 1:]])
            b = anp.concatenate([b0[:unit], theta[-1:], b0[unit + 1:]])
            q = {"W": [W if k == layer - 1 else params["W"][k] for k in range(len(params["W"]))],
                 "b": [b if k == layer - 1 else params["b"][k] for k in range(len(params["b"]))]}
            return anp.reshape(sum(deepnet.loss(q, x, y, "relu") for x, y in zip(X, Y)) / len(X), (1,))
        oracles.check_jacobian(loss, np.concatenate([W0[unit], [b0[unit]]]), closed_form=closed[None, :],
                               label=f"{cid}: ∂L/∂(W_i[j,:], b_i[j]) of a dead unit", reproduce=rep)
        # exactness is the claim: ReLU'(h) = 0 for h < 0, and 0·(finite) = 0 in floats
        assert np.all(closed == 0.0), f"{cid}: a unit dead on every example got the gradient {closed!r} ≠ 0 ({rep})"
        after = _gd_step(params, g, eta)
        assert np.array_equal(after["W"][layer - 1][unit], W0[unit]) and after["b"][layer - 1][unit] == b0[unit], \
            f"{cid}: gradient descent moved the dead unit's own parameters ({rep})"
        if layer == 1:       # its input is the data itself: the same pre-activations after the step, dead for ever
            assert np.array_equal(_pre_activation(after, X, 1, unit), h), f"{cid}: a first-layer dead unit's pre-activation changed"

    @c.holds(max_examples=15, reason="up to 5 full gradient-descent steps (per-example backprop and forward passes) per example")
    @given(net=_nets_with_a_dead_unit(first_layer=False, nonpositive_in=True), steps=st.integers(1, 5))
    def dead_for_ever_when_no_input_can_revive_it(net, steps):
        """Incoming weights ≤ 0 and bias < 0 behind ReLU outputs z ≥ 0: h = w·z + b ≤ b < 0 for every reachable input."""
        params, X, Y, layer, unit, eta = net
        for _ in range(steps):
            params = _gd_step(params, _batch_loss_grads(s.backprop, params, X, Y), eta)
            h = _pre_activation(params, X, layer, unit)
            assert np.all(h < 0), f"{cid}: a unit with incoming weights ≤ 0 and bias < 0 revived: h = {h!r}"

    @c.refutes
    @given(net=_nets_with_a_dead_unit(first_layer=False))
    # shrunk by Hypothesis: unit 0 of layer 2 has h = 0.5 − 2 = −1.5; the step lowers the output through the live unit,
    # whose outgoing weight is −1, by raising z_1 from 0.5 to 2.625: the dead unit's h becomes 0.625
    @example(net=(_dead_net([[1.0, 1.0]], [0.0], [[1.0], [1.0]], [-2.0, 0.0], [[-1.0, -1.0]], [1.0]),
                  np.array([[-1.0, 1.5]]), np.array([[0.0]]), 2, 0, 1.0))
    def literal_never_learns(net):
        params, X, Y, layer, unit, eta = net
        after = _gd_step(params, _batch_loss_grads(s.backprop, params, X, Y), eta)
        h = _pre_activation(after, X, layer, unit)
        target(float(np.max(h)), label="largest pre-activation after the step")
        literal(np.all(h < 0), (f"{cid}: a unit dead on every example (layer {layer}) revived after one gradient step "
                               f"(η = {eta!r}): its pre-activations are now {h!r}; earlier layers moved its input"))


# ================================================================ 6. seed 002 / 000: a closed forget gate does not erase

#: fl(σ(a)) == 0.0 exactly from here down (measured, see the module docstring): e^{a} underflows to 0.
_SIGMA_ZERO_UPTO = -745.1332191019412
#: A forget bias that closes the gate to exactly 0.0 whatever the weights add: a_f < −2000 + 700 = −1300 < −745.13.
_SHUT = -2000.0


def _terms_without_candidate_path(p, c_prev, o_prev, x, variant="forget"):
    """Bug: ∂c_t/∂c_(t−1) assembled without the path through the candidate g_t (the D term of seed 003)."""
    t = dict(lstm.cell_jacobian_terms(p, c_prev, o_prev, x, variant))
    t["full"] = t["A"] + t["B"] + t["C"]
    return t


def _gates_coupled_forget(p, h, c_prev, x, variant="forget"):
    """Bug: the forget gate read as an erase gate, c_t = (1 − f)⊙c_(t−1) + i⊙g."""
    g = dict(lstm.gates(p, h, c_prev, x, variant))
    g["c"] = (1.0 - g["f"]) * c_prev + g["i"] * g["g"]
    g["h"] = g["o"] * act.tanh(g["c"])
    return g


@st.composite
def _shut_forget_steps(draw):
    """(params, c_prev, o_prev, x) of a forget-variant step whose forget gate is exactly 0.0 (bias −2000), with seed
    003's h_(t−1) = o_(t−1)⊙tanh(c_(t−1)), o_(t−1) ∈ [0, 1] held fixed."""
    _, p, _, c0, x = draw(_lstm_steps(variants=("forget",), max_H=2, pin=("i", "o")))
    return _with_bias(p, "forget", c0.size, f=_SHUT), c0, draw(vectors(c0.size, 0.0, 1.0), label="o_prev"), x


@claim_check("LSTM-FORGET-ZERO-NOT-ERASE",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian, "terms": lstm.cell_jacobian_terms},
             plants={"∂c_t/∂c_(t−1) without the candidate path (seed 003's D_t dropped)": {"terms": _terms_without_candidate_path},
                     "forget gate read as an erase gate: c_t = (1 − f)⊙c_(t−1) + i⊙g": {"gates": _gates_coupled_forget}})
def _(c, s):
    """f_t = 0 ⇒ ∂c_t/∂c_(t−1)|_h = 0 and c_t = i⊙g, yet ∂c_t/∂c_(t−1) = A_t + C_t + D_t through h_(t−1) ≠ 0.  [LSTM-FORGET-ZERO-NOT-ERASE]"""
    cid = c.id

    @c.holds(max_examples=15, reason="finite differences through a step with saturated gates (exact zeros in the Jacobian)")
    @given(step=_shut_forget_steps())
    @example(step=(_lstm(W_h=[1.0, 1.0, 1.0, 1.0], b=[0.0, _SHUT, 0.0, 0.0]), np.zeros(1), np.ones(1), np.zeros(1)))
    def shut_gate_cuts_only_the_direct_path(step):
        p, c0, o0, x = step
        H = c0.size
        h = o0 * act.tanh(c0)
        g0 = s.gates(p, h, c0, x, variant="forget")
        rep = c.repro(H=H, D=x.size)
        assert np.all(np.asarray(g0["f"]) == 0.0), f"{cid}: a_f = {g0['a_f']!r} < −1300 did not round the forget gate to 0"
        # the direct path is cut exactly, and the old cell's value is gone from the forward formula: c_t = i⊙g (0·c = 0)
        assert np.all(s.direct(p, h, c0, x, variant="forget") == 0.0), f"{cid}: the direct path is not exactly 0 at f = 0"
        assert np.array_equal(g0["c"], g0["i"] * g0["g"]), f"{cid}: c_t = {g0['c']!r} ≠ i⊙g = {g0['i'] * g0['g']!r} at f = 0"
        # but c_(t−1) still reaches c_t through h_(t−1) = o_(t−1)⊙tanh(c_(t−1)) and the gates i, g (and f, saturated)
        t = s.terms(p, c0, o0, x)
        oracles.check_jacobian(lambda u: s.gates(p, o0 * act.tanh(u), u, x, variant="forget")["c"], c0, closed_form=t["full"],
                               label=f"{cid}: ∂c_t/∂c_(t−1) through h_(t−1) at f = 0", reproduce=rep)
        assert np.all(t["B"] == 0.0), f"{cid}: B_t = diag(f_t) = {t['B']!r} is not 0"
        target(float(np.max(np.abs(t["full"]))), label="largest |∂c_t/∂c_(t−1)| at f = 0")
        # a float gate is exactly 0 only below the underflow threshold (σ(a) > 0 above it)
        assert act.sigmoid(np.nextafter(_SIGMA_ZERO_UPTO, 0.0)) > 0.0 and act.sigmoid(_SIGMA_ZERO_UPTO) == 0.0, \
            f"{cid}: σ's underflow threshold moved from {_SIGMA_ZERO_UPTO!r}"

    @c.refutes
    @given(step=_shut_forget_steps())
    # shrunk by Hypothesis: H = D = 1, every W_h block 1, f = 0.0 exactly, c_(t−1) = 0, o_(t−1) = 1: ∂c_t/∂c_(t−1) = D_t = ½
    @example(step=(_lstm(W_h=[1.0, 1.0, 1.0, 1.0], b=[0.0, _SHUT, 0.0, 0.0]), np.zeros(1), np.ones(1), np.zeros(1)))
    def literal_zero_gets_rid_of_the_old_cell(step):
        p, c0, o0, x = step
        J = oracles.jacobian_reverse(lambda u: s.gates(p, o0 * act.tanh(u), u, x, variant="forget")["c"], c0)
        literal(np.all(np.abs(J) <= tolerances.tiny()),
                f"{cid}: the forget gate is exactly 0, yet ∂c_t/∂c_(t−1) = {J!r} through h_(t−1): the old cell is not gone")


# ================================================================ 7. seed 003: the forget gate as a lever on the direct path

def _lever(steps):
    """∂(∏_t f_t)/∂b_f = diag(∏_t f_t ⊙ Σ_t (1 − f_t)): d log σ(a)/da = 1 − σ(a), and ∂a_(f,t)/∂b_f = I (h frozen)."""
    f = np.array([np.asarray(g["f"]) for g in steps])
    return np.diag(np.prod(f, axis=0) * np.sum(1.0 - f, axis=0))


@claim_check("LSTM-FORGET-BIAS-LEVER",
             subject={"gates": lstm.gates, "lever": _lever},
             plants={"d f/d b_f taken as σ'(a_f) in the log-derivative (∏f ⊙ Σσ'(a_f))":
                         {"lever": lambda steps: np.diag(np.prod([g["f"] for g in steps], axis=0)
                                                         * np.sum([act.sigmoid_prime(g["a_f"]) for g in steps], axis=0))},
                     "only the last step's gate differentiated (∏f ⊙ (1 − f_T))":
                         {"lever": lambda steps: np.diag(np.prod([g["f"] for g in steps], axis=0) * (1.0 - steps[-1]["f"]))}})
def _(c, s):
    """∂(∏_t f_t)/∂b_f = diag(∏f ⊙ Σ_t(1 − f_t)) ∈ [0, 1/e]: the forget bias raises the direct path, with a gain ≤ 1/e.  [LSTM-FORGET-BIAS-LEVER]"""
    cid = c.id

    @c.holds(max_examples=15, reason="finite differences on a diagonal Jacobian through up to 4 steps: scipy iterates to its cap on every exact 0")
    @given(run=_forget_runs())
    @example(run=(_lstm(H=2, b=[0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0]), np.zeros(2), np.array([1.0, -1.0]), np.ones((4, 1))))
    def lever_three_oracles(run):
        p, h0, c0, xs = run
        H = c0.size
        hs, cs, steps = _trajectory(s.gates, p, h0, c0, xs)
        sl = _block("forget", "f", H)

        def flow_of_bias(u):        # ∏_t f_t along the direct path as a function of the forget bias (every h frozen)
            q = dict(p, b=anp.concatenate([p["b"][:sl.start], u, p["b"][sl.stop:]]))
            out = anp.ones(H)
            for h, c_, x in zip(hs, cs, xs):
                out = out * s.gates(q, h, c_, x, variant="forget")["f"]
            return out
        closed = s.lever(steps)
        oracles.check_jacobian(flow_of_bias, p["b"][sl], closed_form=closed, structure=oracles.diagonal_mask(H),
                               label=f"{cid}: ∂(∏f_t)/∂b_f (T = {len(xs)})",
                               reproduce=c.repro(H=H, T=len(xs)))
        d = np.diag(closed)
        # P·s with s = Σ(1 − f) ≥ 0 and P ≤ e^{−s}: 0 ≤ P·s ≤ s·e^{−s} ≤ 1/e
        assert np.all(d >= 0.0), f"{cid}: raising b_f lowered the direct path: ∂∏f/∂b_f = {d!r}"
        le(d, np.full(H, np.exp(-1.0)), f"{cid}: ∂∏f/∂b_f vs 1/e", scale=1.0)
        target(float(np.max(d)), label="largest lever ∂∏f/∂b_f")
