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
(oracle a); tests/models/test_stacked.py checks them against finite differences (b) and closed forms (c).
"""

import autograd.numpy as np
import numpy as onp
from vanishing.models import kinds
from vanishing.models._validate import as_array, check_choice, check_params, plain_dict
from vanishing.models.activations import sigmoid, tanh

__all__ = ["KINDS", "batch_forward", "forward", "layer", "packed_forward", "projected_lstm_step"]

KINDS = kinds.STACK_KINDS   # the rows of models/kinds.py that are layers of PyTorch's nn.RNN/LSTM/GRU


def projected_lstm_step(params, h_prev, c_prev, x):
    """(h_t, c_t) of an LSTM with output projection: a = W_x x + W_h h_{t−1} + b (gates i, f, g, o),
    c_t = f⊙c_{t−1} + i⊙g, h_t = W_hr (o⊙tanh(c_t)); h has size P = W_hr.shape[0], c has size H."""
    params, H, Pn, D = _projected_params(params)
    h_prev = as_array("h_prev", h_prev, (Pn,))
    c_prev = as_array("c_prev", c_prev, (H,))
    x = as_array("x", x, (D,))
    return _projected_step(params, h_prev, c_prev, x, H)


def _projected_params(params):
    """Validate a projected LSTM's parameters; return (params, H, P, D)."""
    params = plain_dict(params)
    Pn = H = D = None
    if isinstance(params, dict) and {"W_hr", "W_x"} <= set(params):
        Pn, H = as_array("params['W_hr']", params["W_hr"], ndim=2, finite=False).shape
        D = as_array("params['W_x']", params["W_x"], ndim=2, finite=False).shape[1]
    H4 = None if H is None else 4 * H
    shapes = {"W_x": (H4, D), "W_h": (H4, Pn), "b": (H4,), "W_hr": (Pn, H)}
    return check_params("params", params, shapes), H, Pn, D


def _projected_step(params, h_prev, c_prev, x, H):
    """Unvalidated body of :func:`projected_lstm_step`."""
    a = np.dot(params["W_x"], x) + np.dot(params["W_h"], h_prev) + params["b"]
    i, f, g, o = (a[k * H:(k + 1) * H] for k in range(4))
    i, f, g, o = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
    c = f * c_prev + i * g
    return np.dot(params["W_hr"], o * tanh(c)), c


def _step(row, P, state, x, reset):
    p = plain_dict(P)
    if isinstance(p, dict) and "W_hr" in p:   # an LSTM with an output projection (only its layout has W_hr)
        return projected_lstm_step(P, state[0], state[1], x)
    return row.step(P, state, x, reset)


def _state_text(row):
    return f"({', '.join(row.state_keys)}{',' if row.n_state == 1 else ''})"


def layer(kind, params, state0, xs, reverse=False, reset="after"):
    """One direction of one layer: (outputs (T, H_out) in input order, final state tuple)."""
    check_choice("kind", kind, KINDS)
    xs = _sequence("xs", xs, 2)
    row = kinds.row(kind)
    if not isinstance(state0, (tuple, list)) or len(state0) != row.n_state:
        raise ValueError(f"state0: expected a tuple of {_state_text(row)} for kind {kind!r}, "
                         f"got {type(state0).__name__}{'' if not isinstance(state0, (tuple, list)) else f' of length {len(state0)}'}")
    return _layer(kind, params, state0, xs, reverse, reset)


def _sequence(name, xs, ndim):
    """A sequence argument: a finite float array of ``ndim`` dimensions with at least one time step (axis 0)."""
    xs = as_array(name, xs, ndim=ndim)
    if xs.shape[0] < 1:
        raise ValueError(f"{name}: expected at least one time step, got shape {xs.shape}")
    return xs


def _layer(kind, params, state0, xs, reverse, reset):
    """Unvalidated body of :func:`layer` (each step still validates its cell's parameters and states)."""
    row = kinds.row(kind)
    order = range(xs.shape[0] - 1, -1, -1) if reverse else range(xs.shape[0])
    state, outs = tuple(state0), []
    for t in order:
        state = _step(row, params, state, xs[t], reset)
        outs.append(state[0])
    if reverse:
        outs = outs[::-1]
    return np.stack(outs), state


def forward(kind, layers, h0, xs, c0=None, reset="after"):
    """A stack over one sequence xs (T, D): (output (T, dirs·H_out), h_n (L·dirs, H_out)[, c_n (L·dirs, H)]).

    ``layers``: a list (one per layer) of lists (one per direction: [forward] or [forward, reverse]) of params."""
    check_choice("kind", kind, KINDS)
    dirs = _directions(layers)
    xs = _sequence("xs", xs, 2)
    h0, c0 = _initial_states(kind, len(layers) * dirs, h0, c0, ndim=2)
    has_c = kinds.row(kind).n_state > 1
    inp, h_n, c_n = xs, [], []
    for l, lay in enumerate(layers):
        outs = []
        for d, P in enumerate(lay):
            k = l * dirs + d
            s0 = (h0[k], c0[k]) if has_c else (h0[k],)
            out, s = _layer(kind, P, s0, inp, d == 1, reset)
            outs.append(out)
            h_n.append(s[0])
            if has_c:
                c_n.append(s[1])
        inp = np.concatenate(outs, axis=1) if dirs == 2 else outs[0]
    res = (inp, np.stack(h_n))
    return res + (np.stack(c_n),) if has_c else res


def batch_forward(kind, layers, h0, xs, c0=None, reset="after", batch_first=False):
    """A batch: xs (T, B, D), or (B, T, D) with ``batch_first``; h0 (L·dirs, B, H_out) as PyTorch's.

    Returns (output (T, B, ·) or (B, T, ·), h_n (L·dirs, B, H_out)[, c_n (L·dirs, B, H)]): each sequence alone."""
    check_choice("kind", kind, KINDS)
    dirs = _directions(layers)
    xs = as_array("xs", xs, ndim=3)
    h0, c0 = _initial_states(kind, len(layers) * dirs, h0, c0, ndim=3)
    B = xs.shape[0] if batch_first else xs.shape[1]
    for name, s in (("h0", h0), ("c0", c0)):
        if s is not None and s.shape[1] != B:
            raise ValueError(f"{name}: expected {B} sequences on axis 1 (the batch of xs), got shape {s.shape}")
    seqs = xs if batch_first else np.swapaxes(xs, 0, 1)
    res = [forward(kind, layers, h0[:, b], seqs[b], None if c0 is None else c0[:, b], reset) for b in range(seqs.shape[0])]
    out = np.stack([r[0] for r in res], axis=0 if batch_first else 1)
    rest = tuple(np.stack([r[i] for r in res], axis=1) for i in range(1, len(res[0])))
    return (out,) + rest


def packed_forward(kind, layers, h0, xs, lengths, c0=None, reset="after", batch_first=False):
    """A padded batch of sequences of ``lengths`` (B,) steps each, 1 ≤ length ≤ T: what PyTorch computes on
    ``pack_padded_sequence`` (then ``pad_packed_sequence(total_length=T)``).

    Each sequence b runs on its valid prefix x_1..x_{len_b} alone: the reverse direction reads x_{len_b}..x_1 (it flips
    the valid prefix, not the padded sequence), h_n (and c_n) are each direction's state after its last valid step,
    and the output is 0 at every padded step t > len_b. Same shapes as :func:`batch_forward`."""
    check_choice("kind", kind, KINDS)
    dirs = _directions(layers)
    xs = as_array("xs", xs, ndim=3)
    h0, c0 = _initial_states(kind, len(layers) * dirs, h0, c0, ndim=3)
    seqs = xs if batch_first else np.swapaxes(xs, 0, 1)
    B, T = seqs.shape[0], seqs.shape[1]
    lengths = [int(n) for n in onp.asarray(lengths).reshape(-1)]
    if len(lengths) != B or not all(1 <= n <= T for n in lengths):
        raise ValueError(f"lengths: expected {B} lengths (one per sequence) in 1..{T}, got {lengths}")
    res = []
    for b, n in enumerate(lengths):
        r = forward(kind, layers, h0[:, b], seqs[b, :n], None if c0 is None else c0[:, b], reset)
        pad = np.zeros((T - n, r[0].shape[1]))
        res.append((np.concatenate([r[0], pad], axis=0),) + tuple(r[1:]))
    out = np.stack([r[0] for r in res], axis=0 if batch_first else 1)
    return (out,) + tuple(np.stack([r[i] for r in res], axis=1) for i in range(1, len(res[0])))


def _directions(layers):
    """The number of directions (1 or 2) that every layer of ``layers`` has."""
    if not isinstance(layers, (list, tuple)) or not layers or not all(isinstance(lay, (list, tuple)) for lay in layers):
        raise ValueError(f"layers: expected a non-empty list (one per layer) of lists (one per direction) of parameter dicts, "
                         f"got {type(layers).__name__}")
    dirs = len(layers[0])
    if dirs not in (1, 2) or any(len(lay) != dirs for lay in layers):
        raise ValueError(f"layers: every layer needs the same 1 or 2 directions, got {[len(lay) for lay in layers]}")
    return dirs


def _initial_states(kind, n, h0, c0, ndim):
    """h0 (and c0, for an LSTM only) as arrays of ``ndim`` dimensions with one row per layer and direction (``n``)."""
    h0 = as_array("h0", h0, ndim=ndim)
    if kinds.row(kind).n_state > 1:
        if c0 is None:
            raise ValueError("c0: an LSTM needs an initial cell state, got None")
        c0 = as_array("c0", c0, ndim=ndim)
    elif c0 is not None:
        raise ValueError(f"c0: only an LSTM has a cell state; expected None for kind {kind!r}")
    for name, s in (("h0", h0), ("c0", c0)):
        if s is not None and s.shape[0] != n:
            raise ValueError(f"{name}: expected {n} rows (layers x directions) on axis 0, got shape {s.shape}")
    return h0, c0
