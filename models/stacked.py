"""Compositions of the reference cells that multi-layer recurrent modules compute: stacked layers, the reverse
direction, an LSTM output projection, a batch of sequences.

What PyTorch's ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` compute with ``num_layers = L``, ``bidirectional`` and (LSTM)
``proj_size = P`` (torch/nn/modules/rnn.py; aten/src/ATen/native/RNN.cpp), in the canonical layouts:

* one **layer** runs a cell over the sequence; the **reverse** direction runs it over x_T..x_1 and its outputs
  are put back in input order (its output at t has seen x_t..x_T);
* with a **projection** (LSTM only), ``h_t = W_hr (o_t ⊙ tanh(c_t))`` with ``W_hr (P, H)``: the recurrent
  input and the output are the projected h (size P), so ``W_h`` is ``(4H, P)``, while c stays of size H;
* **stacked**: layer l > 0 reads the concatenation of layer l−1's directions (forward first) at each step;
* the final states ``h_n``, ``c_n`` are stacked layer-major, direction-minor (index ``l·dirs + d``), as
  PyTorch's; a reverse direction's final state is the one after it has read x_1;
* a **batch** runs every sequence independently (``batch_first`` only changes the axis order).

``layers[l][d]`` holds the canonical parameter dict of layer l, direction d (``W_x (nH, D_l)``, ...), plus
``W_hr`` when projected. Everything is autograd.numpy, so autograd differentiates the compositions
(oracle a); tests/test_models_stacked.py checks them against finite differences (b) and closed forms (c).
"""

import autograd.numpy as np

from vanishing.models import gru, lstm, rnn
from vanishing.models.activations import sigmoid, tanh

__all__ = ["KINDS", "batch_forward", "forward", "layer", "projected_lstm_step"]

KINDS = ("rnn-tanh", "rnn-relu", "lstm", "gru")


def projected_lstm_step(params, h_prev, c_prev, x):
    """(h_t, c_t) of an LSTM with output projection: a = W_x x + W_h h_{t−1} + b (gates i, f, g, o),
    c_t = f⊙c_{t−1} + i⊙g, h_t = W_hr (o⊙tanh(c_t)); h has size P = W_hr.shape[0], c has size H."""
    H = params["W_hr"].shape[1]
    a = np.dot(params["W_x"], x) + np.dot(params["W_h"], h_prev) + params["b"]
    i, f, g, o = (a[k * H:(k + 1) * H] for k in range(4))
    i, f, g, o = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
    c = f * c_prev + i * g
    return np.dot(params["W_hr"], o * tanh(c)), c


def _step(kind, P, state, x, reset):
    if kind.startswith("rnn"):
        return (rnn.step(P, state[0], x, act=kind.split("-")[1]),)
    if kind == "lstm":
        if "W_hr" in P:
            return projected_lstm_step(P, state[0], state[1], x)
        return lstm.step(P, state[0], state[1], x)
    return (gru.step(P, state[0], x, reset=reset),)


def layer(kind, params, state0, xs, reverse=False, reset="after"):
    """One direction of one layer: (outputs (T, H_out) in input order, final state tuple)."""
    order = range(xs.shape[0] - 1, -1, -1) if reverse else range(xs.shape[0])
    state, outs = tuple(state0), []
    for t in order:
        state = _step(kind, params, state, xs[t], reset)
        outs.append(state[0])
    if reverse:
        outs = outs[::-1]
    return np.stack(outs), state


def forward(kind, layers, h0, xs, c0=None, reset="after"):
    """A stack over one sequence xs (T, D): (output (T, dirs·H_out), h_n (L·dirs, H_out)[, c_n (L·dirs, H)]).

    ``layers``: a list (one per layer) of lists (one per direction: [forward] or [forward, reverse]) of params."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {list(KINDS)}, got {kind!r}")
    dirs = len(layers[0])
    if dirs not in (1, 2) or any(len(lay) != dirs for lay in layers):
        raise ValueError(f"layers: every layer needs the same 1 or 2 directions, got {[len(lay) for lay in layers]}")
    inp, h_n, c_n = xs, [], []
    for l, lay in enumerate(layers):
        outs = []
        for d, P in enumerate(lay):
            k = l * dirs + d
            s0 = (h0[k], c0[k]) if kind == "lstm" else (h0[k],)
            out, s = layer(kind, P, s0, inp, reverse=d == 1, reset=reset)
            outs.append(out)
            h_n.append(s[0])
            if kind == "lstm":
                c_n.append(s[1])
        inp = np.concatenate(outs, axis=1) if dirs == 2 else outs[0]
    res = (inp, np.stack(h_n))
    return res + (np.stack(c_n),) if kind == "lstm" else res


def batch_forward(kind, layers, h0, xs, c0=None, reset="after", batch_first=False):
    """A batch: xs (T, B, D), or (B, T, D) with ``batch_first``; h0 (L·dirs, B, H_out) as PyTorch's.

    Returns (output (T, B, ·) or (B, T, ·), h_n (L·dirs, B, H_out)[, c_n (L·dirs, B, H)]): each sequence alone."""
    seqs = xs if batch_first else np.swapaxes(xs, 0, 1)
    res = [forward(kind, layers, h0[:, b], seqs[b], None if c0 is None else c0[:, b], reset) for b in range(seqs.shape[0])]
    out = np.stack([r[0] for r in res], axis=0 if batch_first else 1)
    rest = tuple(np.stack([r[i] for r in res], axis=1) for i in range(1, len(res[0])))
    return (out,) + rest
