"""PyTorch twins of the reference cells, vectorised over seeds, for training the long-lag task within its time budget.

A parameter tensor holds every seed's copy along a leading axis S (so one run trains S independent models); inputs
are (T, S, B, D). Each :class:`Cell` splits a step into ``pre(P, xs)``, the part that reads the inputs only (every t
at once), and ``step(P, state, u_t)``, the recurrence. ``tests/faces/test_experiments.py`` checks that one step (and a
short forward pass) of every cell equals the reference model's on the same parameters, seed by seed: the training
runs the project's models. Float64 throughout, as the references. The activations are written as the references
write them (softplus = max(x, 0) + log1p(e^{−|x|}), not torch's thresholded one), so the two agree to rounding.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as onp

from vanishing.experiments._common import require
from vanishing.models import gru, lru, lstm, mamba, mingru, rnn, xlstm
from vanishing.models.layouts import GRU_GATES, LSTM_GATES

__all__ = ["CELLS", "Cell", "last_state", "mlstm_init", "prepare", "to_torch"]


def _t():
    return require("torch", "torch")


def _lin(x, W):
    """x Wᵀ with a seed axis: x (…, S, B, D), W (S, n, D) → (…, S, B, n)."""
    return x @ W.transpose(-1, -2)


def _rec(u, h, P, key):
    """u + h Wᵀ for the recurrent weight ``key``, by baddbmm on the transpose :func:`prepare` made once per sequence."""
    return _t().baddbmm(u, h, P[key + "ᵀ"])


_RECURRENT = ("W_hh", "W_h", "R")


def prepare(P):
    """P plus the contiguous transposes of the recurrent weights (a transposed view makes every step's matmul slower)."""
    return {**P, **{k + "ᵀ": P[k].transpose(-1, -2).contiguous() for k in _RECURRENT if k in P}}


def _b(b):
    """A bias (S, n) broadcast over the batch: (S, 1, n)."""
    return b[:, None, :]


def _softplus(x):
    torch = _t()
    return torch.clamp(x, min=0.0) + torch.log1p(torch.exp(-torch.abs(x)))   # activations._softplus


def _split(a, n, H):
    return [a[..., j * H:(j + 1) * H] for j in range(n)]


# ---------------------------------------------------------------- classic cells (rnn.py, lstm.py, gru.py)

def _rnn_pre(P, xs):
    return _lin(xs, P["W_xh"]) + _b(P["b"])


def _rnn_step(P, s, u):
    return (_t().tanh(_rec(u, s[0], P, "W_hh")),)                            # h_t = tanh(W_hh h + W_xh x + b)


def _lstm_pre(P, xs):
    return _lin(xs, P["W_x"]) + _b(P["b"])


def _lstm_step(variant):
    gates = LSTM_GATES if variant == "forget" else lstm.GATES["cec"]

    def step(P, s, u):
        torch = _t()
        h, c = s
        H = h.shape[-1]
        a = dict(zip(gates, _split(_rec(u, h, P, "W_h"), len(gates), H)))
        i, g, o = torch.sigmoid(a["i"]), torch.tanh(a["g"]), torch.sigmoid(a["o"])
        c = (c if variant == "cec" else torch.sigmoid(a["f"]) * c) + i * g   # c_t = f⊙c + i⊙g (cec: f ≡ 1)
        return o * torch.tanh(c), c
    return step


def _gru_pre(P, xs):
    return _lin(xs, P["W_x"]) + _b(P["b_x"])


def _gru_step(P, s, u):
    torch = _t()
    h = s[0]
    H = h.shape[-1]
    ax = dict(zip(GRU_GATES, _split(u, 3, H)))
    ah = dict(zip(GRU_GATES, _split(_rec(_b(P["b_h"]).expand(h.shape[0], h.shape[1], -1), h, P, "W_h"), 3, H)))
    r, z = torch.sigmoid(ax["r"] + ah["r"]), torch.sigmoid(ax["z"] + ah["z"])
    n = torch.tanh(ax["n"] + r * ah["n"])                                     # reset after: r⊙(W_hn h + b_hn)
    return ((1.0 - z) * n + z * h,)


# ---------------------------------------------------------------- gated linear recurrences (mingru.py, lru.py, mamba.py)

def _min_pre(cell):
    def pre(P, xs):
        torch = _t()
        h_tilde = _lin(xs, P["W_h"]) + _b(P["b_h"])
        if cell == "mingru":
            k = _lin(xs, P["W_z"]) + _b(P["b_z"])
            return torch.sigmoid(-k), torch.sigmoid(k) * h_tilde              # (1 − z_t, z_t ⊙ h̃_t)
        d = _softplus(-(_lin(xs, P["W_f"]) + _b(P["b_f"]))) - _softplus(-(_lin(xs, P["W_i"]) + _b(P["b_i"])))
        return torch.sigmoid(-d), torch.sigmoid(d) * h_tilde                  # (f′_t, i′_t ⊙ h̃_t), mingru._coefficients
    return pre


def _linear_step(P, s, u):
    return (u[0] * s[0] + u[1],)                                              # h_t = a_t ⊙ h_{t−1} + b_t


def _lru_pre(P, xs):
    torch = _t()
    r = torch.exp(-torch.exp(torch.clamp(P["nu_log"], max=700.0)))           # |λ| = exp(−exp(ν_log))
    theta = torch.exp(torch.clamp(P["theta_log"], max=700.0))
    gamma = _b(torch.exp(P["gamma_log"]))
    br, bi = gamma * _lin(xs, P["B_re"]), gamma * _lin(xs, P["B_im"])
    return torch.broadcast_to(_b(r * torch.cos(theta)), br.shape), torch.broadcast_to(_b(r * torch.sin(theta)), br.shape), br, bi


def _lru_step(P, s, u):
    (hr, hi), (lr, li, br, bi) = s, u
    return lr * hr - li * hi + br, lr * hi + li * hr + bi                     # x_k = λ x_{k−1} + γ B u_k


def _mamba_pre(P, xs):
    torch = _t()
    A = -torch.exp(torch.clamp(P["A_log"], max=300.0))                        # (S, D, H), A < 0
    delta = _softplus(_lin(xs, P["W_delta"]) + _b(P["b_delta"]))              # (T, S, B, D)
    Abar = torch.exp(delta[..., None] * A[:, None])                           # exp(Δ_t A), (T, S, B, D, H)
    Bx = delta[..., None] * _lin(xs, P["W_B"])[..., None, :] * xs[..., None]  # B̄ x = Δ_t B_t x_t (euler, the default)
    return Abar, Bx


# ---------------------------------------------------------------- xLSTM (xlstm.py)

def _slstm_pre(P, xs):
    return _lin(xs, P["W"]) + _b(P["b"])


def _slstm_step(P, s, u):
    torch = _t()
    h, c, n, m = s
    H = h.shape[-1]
    a = dict(zip(xlstm.SLSTM_GATES, _split(_rec(u, h, P, "R"), 4, H)))     # the reference's gate order
    log_f, log_i = _t().nn.functional.logsigmoid(a["f"]), a["i"]           # log σ(f̃) = −softplus(−f̃), stable
    fresh = (n == 0).all(-1, keepdim=True)             # n_{t−1} = 0 (a zero state): m_t = log i_t, as xlstm.slstm_step
    m_new = torch.where(fresh, log_i, torch.maximum(log_f + m, log_i))    # m_t = max(log f + m_{t−1}, log i)
    i_s = torch.exp(log_i - m_new)
    f_s = torch.exp(torch.where(fresh, torch.clamp(log_f + m - m_new, max=0.0), log_f + m - m_new))
    c, n = f_s * c + i_s * torch.tanh(a["z"]), f_s * n + i_s
    return torch.sigmoid(a["o"]) * c / n, c, n, m_new


def _mlstm_pre(P, xs):
    torch = _t()
    H = P["W_q"].shape[1]
    q = _lin(xs, P["W_q"]) + _b(P["b_q"])
    k = _lin(xs, P["W_k"]) / onp.sqrt(H) + _b(P["b_k"])
    v = _lin(xs, P["W_v"]) + _b(P["b_v"])
    o = torch.sigmoid(_lin(xs, P["W_o"]) + _b(P["b_o"]))
    log_i = (xs * P["w_i"][:, None, :]).sum(-1) + P["b_i"][:, None]           # (T, S, B)
    log_f = -_softplus(-((xs * P["w_f"][:, None, :]).sum(-1) + P["b_f"][:, None]))
    return q, k, v, o, log_i, log_f


def _mlstm_step(P, s, u):
    torch = _t()
    _, C, n, m = s
    q, k, v, o, log_i, log_f = u
    m_new = torch.maximum(log_f + m, log_i)
    i_s, f_s = torch.exp(log_i - m_new), torch.exp(log_f + m - m_new)
    C = f_s[..., None, None] * C + i_s[..., None, None] * (v[..., :, None] * k[..., None, :])   # C = f′C + i′ v kᵀ
    n = f_s[..., None] * n + i_s[..., None] * k
    nq = (n * q).sum(-1)
    inv = torch.exp(-torch.maximum(torch.log(torch.clamp(torch.abs(nq), min=1e-300)), -m_new))   # xlstm._inverse_bound
    return o * (C @ q[..., None])[..., 0] * inv[..., None], C, n, m_new


def mlstm_init(H, D, rng):
    """Linear maps U(−1/√D, 1/√D) (nn.Linear); the gates as NX-AI's mLSTMCell: w_i = w_f = 0, b_i ~ N(0, 0.1²), b_f = 3."""
    k = 1 / onp.sqrt(D)
    p = {key: rng.uniform(-k, k, shape) for key, shape in xlstm.mlstm_shapes(H, D).items() if key[0] in "Wb" and key[2] in "qkvo"}
    return {**p, "w_i": onp.zeros(D), "w_f": onp.zeros(D), "b_i": onp.asarray(rng.normal(0.0, 0.1)), "b_f": onp.asarray(3.0)}


@dataclass(frozen=True)
class Cell:
    """One trainable family: its reference init, the two halves of its step, its zero state and its readout's input."""

    init: Callable       # init(H, D, rng) -> the reference model's numpy parameters
    pre: Callable        # pre(P, xs (T, S, B, D)) -> per-step inputs (tensor or tuple, leading axis T)
    step: Callable       # step(P, state, u_t) -> state
    zero: Callable       # zero(S, B, H, D) -> the initial state tuple (zeros, as the reference experiments start)
    features: Callable   # features(state) -> (S, B, F): what the linear readout reads


def _zeros(*shapes):
    def zero(S, B, H, D):
        torch = _t()
        return tuple(torch.zeros((S, B) + sh(H, D), dtype=torch.float64) for sh in shapes)
    return zero


def _VEC(H, D):
    return (H,)


def _first(s):
    return s[0]

CELLS = {
    "rnn-tanh": Cell(lambda H, D, rng: rnn.init_params(H, D, rng), _rnn_pre, _rnn_step, _zeros(_VEC), _first),
    "lstm-cec": Cell(lambda H, D, rng: lstm.init_params(H, D, rng, variant="cec"), _lstm_pre, _lstm_step("cec"),
                     _zeros(_VEC, _VEC), _first),
    "lstm-bf1": Cell(lambda H, D, rng: lstm.init_params(H, D, rng, forget_bias=1.0), _lstm_pre, _lstm_step("forget"),
                     _zeros(_VEC, _VEC), _first),
    "gru": Cell(lambda H, D, rng: gru.init_params(H, D, rng), _gru_pre, _gru_step, _zeros(_VEC), _first),
    "mingru": Cell(lambda H, D, rng: mingru.init_params(H, D, rng, "mingru"), _min_pre("mingru"), _linear_step,
                   _zeros(_VEC), _first),
    "minlstm": Cell(lambda H, D, rng: mingru.init_params(H, D, rng, "minlstm"), _min_pre("minlstm"), _linear_step,
                    _zeros(_VEC), _first),
    "lru": Cell(lambda H, D, rng: lru.init_params(H, D, rng), _lru_pre, _lru_step, _zeros(_VEC, _VEC),
                lambda s: _t().cat(s, dim=-1)),
    "slstm": Cell(lambda H, D, rng: xlstm.slstm_init_params(H, D, rng), _slstm_pre, _slstm_step,
                  _zeros(_VEC, _VEC, _VEC, _VEC), _first),
    "mlstm": Cell(mlstm_init, _mlstm_pre, _mlstm_step, _zeros(_VEC, lambda H, D: (H, H), _VEC, lambda H, D: ()), _first),
    "mamba-s6": Cell(lambda H, D, rng: mamba.init_params(H, D, rng), _mamba_pre, _linear_step,
                     _zeros(lambda H, D: (D, H)), lambda s: s[0].flatten(-2)),
}


def to_torch(params_per_seed, requires_grad=False):
    """Stack a list of per-seed numpy parameter dicts into float64 tensors with a leading seed axis."""
    torch = _t()
    return {k: torch.tensor(onp.stack([onp.asarray(p[k], dtype=float) for p in params_per_seed]),
                            dtype=torch.float64, requires_grad=requires_grad) for k in params_per_seed[0]}


def last_state(cell, P, xs, H):
    """The state after the whole sequence xs (T, S, B, D) from the zero state."""
    S, B, D = xs.shape[1:]
    s = cell.zero(S, B, H, D)
    P = prepare(P)
    u = cell.pre(P, xs)
    # unbind once: indexing u[t] at every step would make each step's backward write a zero tensor of the whole (T, …)
    steps = u.unbind(0) if not isinstance(u, tuple) else list(zip(*(a.unbind(0) for a in u)))
    for u_t in steps:
        s = cell.step(P, s, u_t)
    return s
