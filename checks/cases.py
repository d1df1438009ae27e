"""Case builders of the claim checks, by model family: what several topics in ``vanishing.checks.claims`` draw.

* Elman RNN: parameters, the unvalidated loop the oracles differentiate, recurrent matrices of every
  structure rescaled to a drawn spectral norm, step and sequence cases, and the plants two topics share;
* LSTM: the gate order, hand-written parameters and cases for ``@example``, drawn steps and cases;
* GRU: hand-written and drawn steps;
* deep nets: nets, scalar chains and the FD reach that keeps a kink out of the stencil;
* gradient clipping: gradient lists, their norms and cosines, and the threshold cases.

Strategies are built from the cached factories of ``vanishing.checks.strategies``; the helpers that are
not about one model family (three-oracle checks, margins, magnitudes) are in ``vanishing.checks.toolkit``.
A name used by one topic only stays in that topic's module.
"""

import functools
from typing import NamedTuple

import autograd.numpy as anp
import numpy as np
from autograd.misc.flatten import flatten
from hypothesis import assume
from hypothesis import strategies as st

from vanishing.checks import assertions, tolerances
from vanishing.checks import strategies as _S
from vanishing.checks.strategies import (
    dims,
    floats,
    gradient_lists,
    gru_params,
    lstm_params,
    matrices,
    orthogonal_matrices,
    positive_floats,
    saturated_preactivations,
    sequences,
    square_blocks,
    vectors,
)
from vanishing.checks.toolkit import FD_REACH, magnitude, opnorm
from vanishing.models import activations as act
from vanishing.models import clipping as clip
from vanishing.models import gru, lstm, rnn


# ================================================================ Elman RNN: h_t = g(W_hh h_{t−1} + W_xh x_t + b), time 1..T, hs[t−1] is h_t
ACTS = rnn.ACTS                      # ("tanh", "sigmoid", "relu")

SMOOTH = ("tanh", "sigmoid")

#: γ_g' = sup|g'| from the activation registry (1/4 sigmoid, 1 tanh, 1 relu); plants may swap it.
GAMMA = {name: act.get_activation(name).deriv_sup for name in ACTS}


def activation(name):
    return act.get_activation(name)


def elman_params(W_hh, W_xh, b):
    return {"W_hh": np.asarray(W_hh, float), "W_xh": np.asarray(W_xh, float), "b": np.asarray(b, float)}


def pre(P, h, x):
    return P["W_hh"] @ h + P["W_xh"] @ x + P["b"]


def relu_fd_safe(a_s, W, leaky=False):
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


def elman(P, h0, xs, name):
    """h_1..h_T of h_t = g(W_hh h_{t−1} + W_xh x_t + b): rnn.forward, whose loop skips validation the one way
    (models/_validate.validated_once); the oracles' stencils re-evaluate it inside validated_once."""
    return rnn.forward(P, h0, xs, name)


def same_map(P, h0, xs, name, label):
    """The unvalidated `elman` is the model's map: equal to rnn.forward at this point."""
    ref = rnn.forward(P, h0, xs, name)
    assertions.assert_close(elman(P, h0, xs, name), ref, tolerances.analytic(scale=magnitude(ref)), f"{label}: unvalidated Elman loop vs rnn.forward")


@functools.cache
def strictly_upper(n, scale=5.0):
    """Strictly upper-triangular (n, n) matrices: D_1 W D_2 W ⋯ (n factors) is exactly 0 for diagonal D_i."""
    return matrices(n, n, -scale, scale).map(lambda m: np.triu(m, 1))


@functools.cache
def _directions(n):
    """Unnormalised recurrent matrices of assorted structure (rescaled by the caller)."""
    return st.one_of(matrices(n, n, -1.0, 1.0), orthogonal_matrices(n), _S.non_normal_matrices(n),
                     _S.ill_conditioned_matrices(n), _S.nilpotent_matrices(n), strictly_upper(n))


@functools.cache
def with_norm(n, norms):
    """(n, n) matrices of many structures (dense, orthogonal, non-normal, ill-conditioned, nilpotent,
    strictly upper) rescaled to spectral norm drawn from ``norms``; the zero matrix stays zero."""
    def make(W, s):
        # normalised by max|W| first: a direction drawn with subnormal entries (‖W‖ ~ 1e-310) would make s/‖W‖
        # overflow to inf (found by the thorough profile: RNN-STEP-NORM-EQUALITY drew W = [[inf]])
        m = float(np.max(np.abs(W))) if W.size else 0.0
        if m == 0.0:
            return W
        W = W / m
        return W * (s / opnorm(W))
    return st.builds(make, _directions(n), norms)


UNIT = st.just(1.0)          # spectral norm 1: the caller rescales


@functools.cache
def long_inputs(T, D, lo=-3.0, hi=3.0):
    """(T, D) input sequences for long runs: a drawn block of ≤ 8 steps repeated (drawing hundreds of floats
    per example would dominate the run time; the state still evolves non-periodically through W_hh)."""
    return sequences(min(T, 8), D, lo, hi).map(lambda blk: np.resize(blk, (T, D)))


@functools.cache
def biases(n, hi=1e3):
    """Moderate biases, or saturating ones (|b| in [20, hi]): tanh/sigmoid derivatives ≈ 0 there."""
    return st.one_of(vectors(n, -3.0, 3.0), saturated_preactivations(n, 20.0, hi))


@st.composite
def step_cases(draw, acts=ACTS, H=(1, 3), D=(1, 2), w=3.0, bias=True):
    """One Elman step: activation, W_hh of any structure with ‖W_hh‖ up to w, W_xh, b (moderate or saturating), h_prev, x."""
    name = draw(st.sampled_from(acts), label="act")
    n, d = draw(dims(*H), label="H"), draw(dims(*D), label="D")
    W_hh = draw(with_norm(n, floats(0.0, w)), label="W_hh")
    W_xh = draw(matrices(n, d, -w, w), label="W_xh")
    b = draw(biases(n), label="b") if bias else np.zeros(n)
    h_prev = draw(vectors(n, -1.0, 1.0), label="h_prev")
    x = draw(vectors(d, -3.0, 3.0), label="x")
    return {"act": name, "W_hh": W_hh, "W_xh": W_xh, "b": b, "h_prev": h_prev, "x": x}


@st.composite
def seq_cases(draw, acts=ACTS, H=(1, 3), D=(1, 2), T=(1, 4), w=3.0, bias_hi=1e3):
    """A short sequence: activation, W_hh (any structure, ‖W_hh‖ ≤ w), W_xh, b, h0, xs (T, D)."""
    name = draw(st.sampled_from(acts), label="act")
    n, d, T_ = draw(dims(*H), label="H"), draw(dims(*D), label="D"), draw(st.integers(*T), label="T")
    W_hh = draw(with_norm(n, floats(0.0, w)), label="W_hh")
    W_xh = draw(matrices(n, d, -w, w), label="W_xh")
    b = draw(biases(n, bias_hi), label="b")
    h0 = draw(vectors(n, -1.0, 1.0), label="h0")
    xs = draw(sequences(T_, d, -3.0, 3.0), label="xs")
    return {"act": name, "W_hh": W_hh, "W_xh": W_xh, "b": b, "h0": h0, "xs": xs}


def products_reversed(params, h0, xs, act="tanh"):
    """A plant: ∂h_T/∂h_k multiplied in the wrong order, J_{k+1} ⋯ J_T."""
    hs = np.vstack([h0, rnn.forward(params, h0, xs, act)])
    Js = [rnn.step_jacobian(params, hs[i], xs[i], act) for i in range(len(xs))]
    out = [np.eye(len(h0))]
    for J in reversed(Js):
        out.append(J @ out[-1])
    return np.stack(out[::-1])


def products_without_gprime(params, h0, xs, act="tanh"):
    """A plant: the factor diag(g') dropped, ∂h_T/∂h_k = W_hh^{T−k}."""
    W = np.asarray(params["W_hh"], float)
    return np.stack([np.linalg.matrix_power(W, len(xs) - k) for k in range(len(xs) + 1)])


def pascanu_step(W, W_in, b, x_prev, u, name):
    """Pascanu et al. eq. (2): x_t = W_rec σ(x_{t−1}) + W_in u_t + b."""
    return anp.dot(W, activation(name).f(x_prev)) + anp.dot(W_in, u) + b


# ================================================================ LSTM: gate blocks i, f, g, o (cec: i, g, o); c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t)
#: The row-block order of the stacked LSTM parameters W_x, W_h, b (models/lstm.py).
GATES = lstm.GATES   # the gate order is defined once, in models/layouts.py
#: Weight ranges of drawn LSTM and GRU cells: 0.5 is PyTorch's init range 1/√H at H = 4; 2 and 8 push the
#: gates toward saturation; 60 saturates them (σ and tanh round to their limits).
SCALES = (0.5, 2.0, 8.0, 60.0)
#: A gate bias that pins σ to exactly 1.0 whatever the weights add. For every strategy here |W_x x + W_h h| < 700:
#: |W_x x| ≤ 60·3·2 = 360, and a W_h gate block has spectral norm ≤ 60·H ≤ 180 (the nilpotent and non-normal ones
#: included) against ‖h‖₂ ≤ √3. So a ≥ 300 > 36.74: exactly 1. The negated pin, a ≤ −300, nearly shuts a gate
#: (σ < 1e-130) but not to exactly 0, which needs a ≤ −745.13 (LSTM-FORGET-ZERO-NOT-ERASE pins −2000).
PIN = 1000.0
#: |a| at or below which σ(a) is strictly inside (0, 1) in float64 (rounding to 1 starts at 53·ln 2 ≈ 36.74,
#: to 0 only at −745.13): the integer below the threshold.
SIGMA_STRICT = 36.0
#: Cap for properties that run finite differences on a Jacobian with structural zeros (diagonal ones):
#: scipy.differentiate cannot meet its relative stopping rule at an exact 0 and iterates to its cap
#: there, about 3x the work of a dense column (~86 instead of ~27 evaluations).
FD_ZEROS_CAP = 15
FD_ZEROS_REASON = "finite differences on a Jacobian with structural zeros: scipy iterates to its cap on every exact 0"


def n_gates(variant):
    return len(GATES[variant])


def gate_index(variant, gate):
    """Index of a gate's H-row block in the stacked parameters (order i, f, g, o; cec: i, g, o)."""
    return GATES[variant].index(gate)


def gate_rows(variant, gate, H):
    """The row slice of ``gate``'s H-row block in the stacked LSTM parameters."""
    k = gate_index(variant, gate)
    return slice(k * H, (k + 1) * H)


def with_blocks(params, variant, H, **blocks):
    """A copy of ``params`` with whole gate blocks replaced: blocks={"W_h_o": 0.0, "b_f": 50.0, ...}."""
    p = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    for key, value in blocks.items():
        name, gate = key.rsplit("_", 1)
        p[name][gate_rows(variant, gate, H)] = value
    return p


def with_bias(p, variant, H, **biases):
    """A copy of LSTM params with whole gate-bias blocks replaced: with_bias(p, "forget", H, o=1000.0)."""
    return with_blocks(p, variant, H, **{f"b_{gate}": value for gate, value in biases.items()})


def _arr(v, shape):
    """A hand-written array for @example: None is all zeros."""
    return np.zeros(shape) if v is None else np.array(v, dtype=np.float64).reshape(shape)


def lstm_params_by_hand(H=1, D=1, variant="forget", W_x=None, W_h=None, b=None, p_i=None, p_f=None, p_o=None):
    """Hand-written LSTM params for @example: unspecified entries are zero."""
    n = n_gates(variant)
    params = {"W_x": _arr(W_x, (n * H, D)), "W_h": _arr(W_h, (n * H, H)), "b": _arr(b, (n * H,))}
    if variant == "peephole":
        params.update(p_i=_arr(p_i, (H,)), p_f=_arr(p_f, (H,)), p_o=_arr(p_o, (H,)))
    return params


class LSTMCase(NamedTuple):
    """One LSTM step: parameters, the previous state, the input, and seed 003's o_{t-1}."""
    variant: str
    params: dict
    h_prev: np.ndarray
    c_prev: np.ndarray
    x: np.ndarray
    o_prev: np.ndarray   # seed 003 writes h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) with o_{t-1} held fixed


def lstm_case(params, variant="forget", h_prev=None, c_prev=None, x=None, o_prev=None):
    """A hand-written case (for @example): a ``variant`` cell's ``params`` (lstm_params_by_hand) and its state.

    H and D are the params'; unspecified state entries are zero, o_prev defaults to ones.
    """
    H, D = params["W_h"].shape[1], params["W_x"].shape[1]
    if params["W_h"].shape[0] != n_gates(variant) * H or ("p_i" in params) != (variant == "peephole"):
        raise ValueError(f"lstm_case: params of shape W_h {params['W_h'].shape} (keys {sorted(params)}) are not a {variant!r} cell's")
    return LSTMCase(variant, params, _arr(h_prev, (H,)), _arr(c_prev, (H,)), _arr(x, (D,)),
                    np.ones(H) if o_prev is None else _arr(o_prev, (H,)))


@st.composite
def lstm_steps(draw, variants=("forget", "cec"), max_H=3, max_D=2, pin=("o", "i")):
    """(variant, params, h_prev, c_prev, x): one LSTM step, forget or cec variant (no peepholes).

    Half of the draws replace W_h's gate blocks by structured matrices. Each gate in ``pin`` is left as drawn,
    pinned open (bias +1000: exactly 1) or nearly shut (bias −1000), so open and closed gates occur often.
    h_prev ∈ [−1, 1] (every reachable h); c_prev moderate or large (|c| up to 40 saturates tanh').
    """
    variant = draw(st.sampled_from(variants), label="variant")
    H, D = draw(dims(1, max_H), label="H"), draw(dims(1, max_D), label="D")
    scale = draw(st.sampled_from(SCALES), label="weight scale")
    p = dict(draw(lstm_params(H, D, scale, variant), label="params"))
    if draw(st.booleans(), label="structured W_h blocks"):
        p["W_h"] = np.vstack([draw(square_blocks(H, scale), label=f"W_h block {k}") for k in range(len(GATES[variant]))])
    for gate in pin:
        mode = draw(st.sampled_from(("as drawn", "open", "shut")), label=f"gate {gate}")
        if mode != "as drawn":
            p = with_bias(p, variant, H, **{gate: PIN if mode == "open" else -PIN})
    c_range = draw(st.sampled_from((3.0, 40.0)), label="|c_prev| range")
    return (variant, p, draw(vectors(H, -1.0, 1.0), label="h_prev"), draw(vectors(H, -c_range, c_range), label="c_prev"),
            draw(vectors(D, -3.0, 3.0), label="x"))


@st.composite
def lstm_cases(draw, variants=lstm.VARIANTS, max_H=3, max_D=2, scales=SCALES):
    """A step of one of ``variants``: H ≤ max_H (FD cost grows with H), weights at one of ``scales``.

    Half of the draws replace W_h's gate blocks by structured matrices (orthogonal, nilpotent,
    ill-conditioned, non-normal). h_prev is in [−1, 1] (every reachable h is, since |h| = o|tanh c| ≤ 1);
    c_prev is moderate or large (|c| up to 40 saturates tanh'(c)).
    """
    variant = draw(st.sampled_from(variants), label="variant")
    H = draw(dims(1, max_H), label="H")
    D = draw(dims(1, max_D), label="D")
    scale = draw(st.sampled_from(scales), label="weight scale")
    params = dict(draw(lstm_params(H, D, scale, variant), label="params"))
    if draw(st.booleans(), label="structured W_h blocks"):
        blocks = [draw(square_blocks(H, scale), label=f"W_h block {k}") for k in range(n_gates(variant))]
        params["W_h"] = np.vstack(blocks)
    h_prev = draw(vectors(H, -1.0, 1.0), label="h_prev")
    c_range = draw(st.sampled_from((3.0, 40.0)), label="|c_prev| range")
    c_prev = draw(vectors(H, -c_range, c_range), label="c_prev")
    x = draw(vectors(D, -3.0, 3.0), label="x")
    o_prev = draw(vectors(H, 0.0, 1.0), label="o_prev")
    return LSTMCase(variant, params, h_prev, c_prev, x, o_prev)


def rollout(gates_fn, params, h0, c0, xs, variant="forget"):
    """Every step's gates dict along a trajectory, rolled with ``gates_fn`` (so a plant changes the whole trajectory)."""
    h, c, out = np.asarray(h0, dtype=np.float64), np.asarray(c0, dtype=np.float64), []
    for x in xs:
        s = gates_fn(params, h, c, x, variant=variant)
        out.append(s)
        h, c = s["h"], s["c"]
    return out


def h_of(case):
    """Seed 003's h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) as a function of c_{t-1}, o_{t-1} fixed."""
    return lambda u: case.o_prev * act.tanh(u)


# ================================================================ GRU: gate blocks r, z, n; h_t = (1−z)⊙n + z⊙h_{t−1}


class GRUCase(NamedTuple):
    """One GRU step: convention, parameters, previous state and input."""
    reset: str
    params: dict
    h_prev: np.ndarray
    x: np.ndarray


def gru_case(H=1, D=1, reset="after", W_x=None, W_h=None, b_x=None, b_h=None, h_prev=None, x=None):
    """A hand-written case (for @example): unspecified entries are zero."""
    params = {"W_x": _arr(W_x, (3 * H, D)), "W_h": _arr(W_h, (3 * H, H)), "b_x": _arr(b_x, (3 * H,)), "b_h": _arr(b_h, (3 * H,))}
    return GRUCase(reset, params, _arr(h_prev, (H,)), _arr(x, (D,)))


@st.composite
def gru_cases(draw, resets=gru.RESETS, max_H=3, max_D=2, scales=SCALES):
    """A step under one of ``resets``; half of the draws use structured recurrent blocks. |h_prev| ≤ 1 is reachable
    (h_t is a convex combination of h_{t−1} and n ∈ (−1, 1)); larger |h_prev| up to 3 covers arbitrary initial states."""
    reset = draw(st.sampled_from(resets), label="reset")
    H, D = draw(dims(1, max_H), label="H"), draw(dims(1, max_D), label="D")
    scale = draw(st.sampled_from(scales), label="weight scale")
    params = dict(draw(gru_params(H, D, scale), label="params"))
    if draw(st.booleans(), label="structured W_h blocks"):
        params["W_h"] = np.vstack([draw(square_blocks(H, scale), label=f"W_h block {k}") for k in "rzn"])
    h_prev = draw(vectors(H, -3.0, 3.0), label="h_prev")
    x = draw(vectors(D, -3.0, 3.0), label="x")
    return GRUCase(reset, params, h_prev, x)


# ================================================================ deep nets: z_i = f(W_i z_{i−1} + b_i), L = ½‖z_n − y‖²
DEEP_SMOOTH = ("sigmoid", "tanh", "arctan", "identity")

DEEP_KINKED = ("relu", "leaky_relu")           # a kink at 0; FD must not straddle it

DEEP_ACTS = DEEP_SMOOTH + DEEP_KINKED


def net(Ws, bs):
    return {"W": [np.asarray(W, dtype=np.float64) for W in Ws], "b": [np.asarray(b, dtype=np.float64) for b in bs]}


def scalar_chain(ws, bs):
    """A scalar chain: one node per layer, W_i = [[w_i]], b_i = [b_i]."""
    return net([[[w]] for w in ws], [[b] for b in bs])


def sub_net(params, lo, hi):
    """Layers lo+1..hi of params as a net of their own: it maps z_lo to z_hi."""
    return {"W": params["W"][lo:hi], "b": params["b"][lo:hi]}


def kink_free_reach(hs, sens):
    """Largest FD reach (≤ 0.5) that keeps every pre-activation on its side of the kink at 0.

    ``sens[k]`` bounds |Δh| of ``hs[k]`` per unit move of the differentiated coordinate
    (1-Lipschitz activations propagate it through ‖W‖_∞). We keep half the distance as margin.
    """
    reach = FD_REACH
    for h, s in zip(hs, sens):
        if s > 0:
            reach = min(reach, 0.5 * float(np.min(np.abs(h))) / s)
    return reach


CHAIN_WEIGHTS = floats(-4.0, 4.0)       # default weights and biases of a scalar chain: σ saturates, |w| reaches 4


@st.composite
def scalar_chains(draw, n_lo=1, n_hi=5, w=CHAIN_WEIGHTS, b=CHAIN_WEIGHTS):
    """(ws, bs, x): a scalar chain of n_lo..n_hi layers."""
    n = draw(st.integers(n_lo, n_hi))
    ws = draw(st.lists(w, min_size=n, max_size=n))
    bs = draw(st.lists(b, min_size=n, max_size=n))
    x = draw(floats(-3.0, 3.0))
    return ws, bs, x


# ================================================================ gradient clipping: gradients are lists of arrays
#: torch.nn.utils.clip_grad_norm_ adds 1e-6 to the total norm (torch/nn/utils/clip_grad.py; docs/literature.md).
TORCH_EPS = 1e-6

#: Pascanu's Algorithm 1 (eps = 0) and torch's rule: every norm-clipping property runs on both.
EPSILONS = (0.0, TORCH_EPS)

#: Smallest threshold drawn (1000 times below torch's eps): below it, products g_i·c/(‖g‖+ε) can
#: underflow to subnormals or to 0, and the float64 statements would be about underflow, not clipping.
MIN_THRESHOLD = 1e-9

#: Relative rounding allowance between two analytic computations (256 ulps, from the tolerance module).
CLIP_RTOL = tolerances.analytic().rtol


def flat(gs):
    """The concatenated gradient: every entry of every tensor, as one float64 vector."""
    return flatten([np.asarray(g, dtype=np.float64) for g in gs])[0]


def norm(v):
    """‖v‖₂ with max-abs rescaling: finite for entries near 1e200, where Σv² overflows."""
    m = float(np.max(np.abs(v))) if v.size else 0.0
    return 0.0 if m == 0.0 else m * float(np.linalg.norm(v / m))


def cos(a, b):
    """cos∠(a, b), each vector rescaled by its max-abs entry first (no overflow, no underflow).

    A zero vector is parallel to nothing: 0.0 is returned, so the caller's own assertion (with the
    claim ID) fails, instead of a NaN and a warning.
    """
    if not (np.any(a != 0.0) and np.any(b != 0.0)):
        return 0.0
    a = a / np.max(np.abs(a))
    b = b / np.max(np.abs(b))
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def close(actual, expected, scale, label, reproduce="", literal=False):
    """assert_close on scalars or arrays with the analytic tolerance (256 ulps, atol at ``scale``).

    ``literal=True`` inside a refutes property: a mismatch is the counterexample (assertions.Counterexample).
    """
    assertions.assert_close(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                         tolerances.analytic(scale=scale), label, reproduce, literal=literal)


def show_grads(gs):
    return "[" + ", ".join(f"np.array({np.asarray(g).tolist()!r})" for g in gs) + "]"

# Built once at import: a strategy object created inside a composite is re-validated at every draw,
# which cost more than the checks themselves.

#: Gradient lists at three scales: moderate (|g| ≤ 1e3), exploded (|g| ≤ 1e200: Σg² overflows if
#: computed naively) and vanishing (|g| ≤ 1e-3); not all zero (a zero gradient has no direction).
NONZERO_GRADS = st.one_of(gradient_lists(), gradient_lists(lo=-1e200, hi=1e200),
                           gradient_lists(lo=-1e-3, hi=1e-3)).filter(lambda gs: bool(np.any(flat(gs) != 0.0)))


ANY_THRESHOLD = positive_floats(MIN_THRESHOLD, 1e3)          # from below torch's eps to a large threshold

TINY_THRESHOLD = positive_floats(MIN_THRESHOLD, TORCH_EPS)   # max_norm ≤ torch's eps: the eps dominates

RATIO = floats(0.01, 2.0)

FRACTION = floats(0.01, 1.0)

_KIND = {}


def _kind(kinds):
    if kinds not in _KIND:
        _KIND[kinds] = st.sampled_from(kinds)
    return _KIND[kinds]


@st.composite
def norm_cases(draw, kinds=("absolute", "relative", "at-norm", "at-norm+eps", "tiny")):
    """(grads, max_norm) with the threshold (c below) placed where the rules differ.

    absolute: any c in [1e-9, 1e3]; relative: c = r‖g‖ with r in [0.01, 2] (both branches);
    at-norm: c = ‖g‖ as the model computes it (Algorithm 1's '≥' boundary, hit exactly);
    at-norm+eps: c = fl(‖g‖ + 1e-6) (torch's boundary, hit exactly);
    tiny: c ≤ 1e-6 = torch's eps with ‖g‖ = r c ≤ c (the regime where torch's eps dominates).
    """
    gs = draw(NONZERO_GRADS, label="grads")
    kind = draw(_kind(kinds), label="threshold kind")
    n = clip.global_norm(gs)
    if kind == "absolute":
        max_norm = draw(ANY_THRESHOLD, label="max_norm")
    elif kind == "relative":
        max_norm = n * draw(RATIO, label="max_norm/‖g‖")
    elif kind == "at-norm":
        max_norm = n
    elif kind == "at-norm+eps":
        max_norm = n + TORCH_EPS
    else:
        max_norm = draw(TINY_THRESHOLD, label="max_norm")
        r = draw(FRACTION, label="‖g‖/max_norm")
        gs = [g * (r * max_norm / n) for g in gs]
        assume(np.any(flat(gs) != 0.0))        # rescaling a vanishing list can underflow to zero
    # max_norm ≥ 1e-9 (stated precondition): far below it, with torch's ε the factor max_norm/(‖g‖+ε) times a tiny
    # entry underflows, and a clipped gradient can become exactly 0 (g = [6.6e-196, 0], max_norm = ‖g‖, ε = 1e-6)
    assume(np.isfinite(max_norm) and max_norm >= MIN_THRESHOLD)
    return gs, float(max_norm)
