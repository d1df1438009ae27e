"""The reference side of every comparison: ``vanishing.models``, in the adapter protocol's shapes.

Values come from the reference models; gradients from autograd through them
(oracle (a)); the finite-difference oracle (b) is applied by the checks.
``pset`` names the adapter's native parameter set (``vanishing.models.layouts.PARAM_SETS``):
the reference runs on its map to the canonical layout, and gradients are w.r.t. the native keys.
"""

import autograd
import autograd.numpy as anp
import numpy as np

from vanishing.models import gru, layouts, lstm, rnn

__all__ = ["canonical", "forward", "param_count", "state_keys", "step", "vjp"]


def canonical(kind, params, pset="canonical"):
    """The canonical parameters of native ``params`` (the documented map of ``layouts.PARAM_SETS``)."""
    return layouts.param_set(pset).to_canonical(kind, params)


def state_keys(kind):
    return ("h0", "c0") if kind.startswith("lstm") else ("h0",)


def _variant(kind):
    return "peephole" if kind == "lstm-peephole" else "forget"


def forward(kind, params, state0, xs, reset="after", pset="canonical"):
    """``(hs,)`` or, for an LSTM, ``(hs, c_T)``."""
    params = canonical(kind, params, pset)
    if kind.startswith("rnn"):
        return (rnn.forward(params, state0[0], xs, act=kind.split("-")[1]),)
    if kind.startswith("lstm"):
        hs, cs = lstm.forward(params, state0[0], state0[1], xs, variant=_variant(kind))
        return hs, cs[-1]
    return (gru.forward(params, state0[0], xs, reset=reset),)


def step(kind, params, state, x, reset="after", pset="canonical"):
    """The next state: ``(h,)`` or ``(h, c)``."""
    params = canonical(kind, params, pset)
    if kind.startswith("rnn"):
        return (rnn.step(params, state[0], x, act=kind.split("-")[1]),)
    if kind.startswith("lstm"):
        return lstm.step(params, state[0], state[1], x, variant=_variant(kind))
    return (gru.step(params, state[0], x, reset=reset),)


def vjp(kind, params, state0, xs, cotangents, reset="after", pset="canonical"):
    """Autograd through the reference: {param keys..., "xs", "h0"[, "c0"]} of Σ⟨outputs, cotangents⟩."""
    keys = state_keys(kind)

    def loss(z):
        outs = forward(kind, z["params"], tuple(z[k] for k in keys), z["xs"], reset, pset)
        return sum(anp.sum(y * v) for y, v in zip(outs, cotangents))
    z = {"params": {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}, "xs": np.asarray(xs, dtype=np.float64),
         **{k: np.asarray(s, dtype=np.float64) for k, s in zip(keys, state0)}}
    with np.errstate(over="ignore"):   # autograd's tanh VJP g/cosh² overflows harmlessly to 0 at |a| > ~355
        g = autograd.grad(loss)(z)
    out = {k: np.asarray(v, dtype=np.float64) for k, v in g["params"].items()}
    out.update({k: np.asarray(g[k], dtype=np.float64) for k in ("xs",) + keys})
    return out


def param_count(kind, H, D):
    """The canonical parameter count, and the count with PyTorch's second bias (rnn, lstm: b_ih + b_hh).

    (A native parameter set's own count is the sum of its shapes: ``protocol.param_shapes``.)"""
    if kind.startswith("rnn"):
        n = rnn.param_count(H, D)
        return n, n + H
    if kind.startswith("lstm"):
        n = lstm.param_count(H, D, variant=_variant(kind))
        return n, n + 4 * H
    n = gru.param_count(H, D)
    return n, n
