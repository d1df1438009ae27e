"""Batched forward passes of the reference models: B examples at once, for training at scale.

Each function computes, for every example b, exactly what the single-example function it
names computes (tests/faces/test_experiments.py checks values and autograd gradients against a
loop over examples). Examples are stacked along a leading batch axis, so the matrix products
read ``X @ Wᵀ`` where the single-example code has ``W @ x``:

* :func:`deepnet_forward` ↔ ``deepnet.forward``: ``Z_i = f(Z_{i−1} W_iᵀ + b_i)``, X (B, n_0).
* :func:`rnn_forward` ↔ ``rnn.forward``: ``H_t = g(H_{t−1} W_hhᵀ + X_t W_xhᵀ + b)``, xs (T, B, D).
* :func:`lstm_forward` ↔ ``lstm.forward`` (variants "forget" and "cec").
* :func:`gru_forward` ↔ ``gru.forward`` (reset "after" and "before").

The activations are the reference ones from :mod:`vanishing.models.activations`. Validation
is done once per call (shapes of the whole batch), not per step, which is what makes the
path fast enough to train with autograd.
"""

import autograd.numpy as np
from vanishing.models import gru as _gru
from vanishing.models import lstm as _lstm
from vanishing.models import rnn as _rnn
from vanishing.models._validate import as_array, check_choice
from vanishing.models.activations import get_activation
from vanishing.models.deepnet import _check as _deep_check

#: The activations inside validated_once: the step validated its arguments (one way to skip validation, models/_validate.py).
_SIGMOID, _TANH = get_activation("sigmoid", kernels=True), get_activation("tanh", kernels=True)
sigmoid, tanh = _SIGMOID.f, _TANH.f

__all__ = ["deepnet_forward", "deepnet_loss", "gru_forward", "lstm_forward", "rnn_forward"]


# ---------------------------------------------------------------- fully connected net (deepnet.py)
def deepnet_forward(params, X, act="sigmoid"):
    """Z_0 = X, H_i = Z_{i−1} W_iᵀ + b_i, Z_i = f(H_i) for each row; returns {"h": [H_1..H_n], "z": [Z_0..Z_n]}."""
    X = as_array("X", X, shape=(None, None))
    if X.shape[0] < 1:
        raise ValueError(f"X: expected at least one example, shape (B, n_0) with B >= 1, got shape {X.shape}")
    P, _, a = _deep_check(params, X[0], act)          # validates the layers against one row's width
    hs, zs = [], [X]
    for W, b in zip(P["W"], P["b"]):
        hs.append(np.dot(zs[-1], W.T) + b)       # row b: h_i = W_i z_{i−1} + b_i (deepnet._forward)
        zs.append(a.f(hs[-1]))                    # z_i = f(h_i)
    return {"h": hs, "z": zs}


def deepnet_loss(params, X, Y, act="sigmoid"):
    """(1/B) Σ_b ½‖z_n(x_b) − y_b‖²: the mean of deepnet.loss over the batch."""
    Z = deepnet_forward(params, X, act)["z"][-1]
    Y = as_array("Y", Y, shape=Z.shape)
    r = Z - Y
    return 0.5 * np.sum(r * r) / Z.shape[0]


# ---------------------------------------------------------------- Elman RNN (rnn.py)
def rnn_forward(params, h0, xs, act="tanh"):
    """H_t = g(H_{t−1} W_hhᵀ + X_t W_xhᵀ + b) for t = 1..T; h0 (B, H), xs (T, B, D); returns (T, B, H)."""
    check_choice("act", act, _rnn.ACTS)
    P, H, D = _rnn._layout(params)
    g = get_activation(act, kernels=True)
    h = as_array("h0", h0, shape=(None, H))
    xs = as_array("xs", xs, shape=(None, h.shape[0], D))
    if xs.shape[0] < 1:                       # as rnn.forward
        raise ValueError(f"xs: expected at least one time step, shape (T, B, {D}) with T >= 1, got shape {xs.shape}")
    hs = []
    for t in range(xs.shape[0]):
        h = g.f(np.dot(h, P["W_hh"].T) + np.dot(xs[t], P["W_xh"].T) + P["b"])   # rnn._pre, row-wise
        hs.append(h)
    return np.stack(hs)


# ---------------------------------------------------------------- LSTM (lstm.py)
def lstm_forward(params, h0, c0, xs, variant="forget"):
    """(H_t, C_t) = LSTM(H_{t−1}, C_{t−1}, X_t) row-wise for t = 1..T; returns (hs, cs), each (T, B, H)."""
    check_choice("variant", variant, ("forget", "cec"))
    p, H, D = _lstm._params(params, variant)
    h = as_array("h0", h0, shape=(None, H))
    c = as_array("c0", c0, shape=h.shape)
    xs = as_array("xs", xs, shape=(None, h.shape[0], D))
    gates = _lstm.GATES[variant]
    hs, cs = [], []
    for t in range(xs.shape[0]):
        a = np.dot(xs[t], p["W_x"].T) + np.dot(h, p["W_h"].T) + p["b"]   # all gates' a_k side by side, (B, nH)
        s = sigmoid(a)           # σ of every block in one call (the g block is not used): fewer autograd nodes per step
        gate = {k: s[:, n * H:(n + 1) * H] for n, k in enumerate(gates) if k != "g"}
        n_g = gates.index("g")
        i, o, g = gate["i"], gate["o"], tanh(a[:, n_g * H:(n_g + 1) * H])   # i = σ(a_i), o = σ(a_o), g = tanh(a_g)
        f = 1.0 if variant == "cec" else gate["f"]                         # cec: c_t = c_{t−1} + i⊙g
        c = f * c + i * g                                                  # c_t = f⊙c_{t−1} + i⊙g
        h = o * tanh(c)                                                    # h_t = o⊙tanh(c_t)
        hs.append(h)
        cs.append(c)
    if not hs:                                # T = 0: empty trajectories, as lstm.forward
        return np.zeros((0,) + h.shape), np.zeros((0,) + h.shape)
    return np.stack(hs), np.stack(cs)


# ---------------------------------------------------------------- GRU (gru.py)
def gru_forward(params, h0, xs, reset="after"):
    """H_t = (1−z)⊙n + z⊙H_{t−1} row-wise for t = 1..T (gru._gates); returns (T, B, H)."""
    check_choice("reset", reset, _gru.RESETS)
    p, H, D = _gru._params(params)
    h = as_array("h0", h0, shape=(None, H))
    xs = as_array("xs", xs, shape=(None, h.shape[0], D))
    W_hrz, W_hn = p["W_h"][:2 * H], p["W_h"][2 * H:]
    b_hrz, b_hn = p["b_h"][:2 * H], p["b_h"][2 * H:]
    hs = []
    for t in range(xs.shape[0]):
        ax = np.dot(xs[t], p["W_x"].T) + p["b_x"]                          # W_xk x + b_xk for k = r, z, n
        arz = ax[:, :2 * H] + np.dot(h, W_hrz.T) + b_hrz                   # a_r, a_z
        s = sigmoid(arz)                                                   # r = σ(a_r), z = σ(a_z) in one call
        r, z = s[:, :H], s[:, H:]
        if reset == "after":
            a_n = ax[:, 2 * H:] + r * (np.dot(h, W_hn.T) + b_hn)           # r⊙(W_hn h + b_hn)
        else:
            a_n = ax[:, 2 * H:] + np.dot(r * h, W_hn.T) + b_hn             # W_hn (r⊙h) + b_hn
        h = (1.0 - z) * tanh(a_n) + z * h                                  # h_t = (1−z)⊙n + z⊙h_{t−1}
        hs.append(h)
    return np.stack(hs) if hs else np.zeros((0,) + h.shape)            # T = 0: an empty trajectory, as gru.forward
