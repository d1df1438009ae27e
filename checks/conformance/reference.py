"""The reference side of every comparison: ``vanishing.models``, in the adapter protocol's shapes, on a case.

Values come from the reference models through the kind's row (``models/kinds.py``: ``row.forward``,
``row.step``); gradients from autograd through them (oracle (a)); the finite-difference oracle (b) is
applied by the checks. A case's ``pset`` names the adapter's native parameter set
(``vanishing.models.layouts.PARAM_SETS``): the reference runs on its map to the canonical layout, and
gradients are w.r.t. the native keys. Every function takes a case (``cases.Case``: kind, reset, pset,
params, state0, xs, cot).
"""

import autograd
import autograd.numpy as anp
from autograd.tracer import getval
import numpy as np

from vanishing.models import kinds, layouts

__all__ = ["canonical", "forward", "param_count", "stack", "step", "vjp"]


def canonical(case):
    """The canonical parameters of the case's native ``params`` (the documented map of ``layouts.PARAM_SETS``)."""
    return layouts.param_set(case.pset).to_canonical(case.kind, case.params)


def _forward(row, params, state0, xs, reset, pset):
    return row.forward(layouts.param_set(pset).to_canonical(row.name, params), tuple(state0), xs, reset)


def forward(case):
    """The outputs tuple named by the row's ``outputs``: ``(hs,)`` or, for an LSTM, ``(hs, c_T)``."""
    return _forward(kinds.row(case.kind), case.params, case.state0, case.xs, case.reset, case.pset)


def step(case):
    """The state after one step from ``state0`` on ``xs[0]``: ``(h,)`` or ``(h, c)``."""
    return kinds.row(case.kind).step(canonical(case), tuple(case.state0), case.xs[0], case.reset)


def vjp(case):
    """Autograd through the reference: {param keys..., "xs", "h0"[, "c0"]} of Σ⟨outputs, cotangents⟩."""
    row = kinds.row(case.kind)
    keys = row.state_keys

    def loss(z):
        outs = _forward(row, z["params"], tuple(z[k] for k in keys), z["xs"], case.reset, case.pset)
        return sum(anp.sum(y * v) for y, v in zip(outs, case.cot))
    z = {"params": {k: np.asarray(v, dtype=np.float64) for k, v in case.params.items()},
         "xs": np.asarray(case.xs, dtype=np.float64),
         **{k: np.asarray(s, dtype=np.float64) for k, s in zip(keys, case.state0)}}
    with np.errstate(over="ignore"):   # autograd's tanh VJP g/cosh² overflows harmlessly to 0 at |a| > ~355
        g = autograd.grad(loss)(z)
    out = {k: np.asarray(v, dtype=np.float64) for k, v in g["params"].items()}
    out.update({k: np.asarray(g[k], dtype=np.float64) for k in ("xs",) + keys})
    return out


def param_count(kind, H, D):
    """The canonical parameter count, and the count with PyTorch's second bias (rnn, lstm: b_ih + b_hh).

    (A native parameter set's own count is the sum of its shapes: ``protocol.param_shapes``.)"""
    row = kinds.row(kind)
    return row.param_count(H, D), row.torch_param_count(H, D)


def stack(case):
    """(outputs, grads) of ``vanishing.models.stacked`` on a ``cases.StackCase``: values, and autograd's VJP w.r.t.
    every parameter (by name), xs, h0 and c0 (with ``case.lengths``: the packed module, ``stacked.packed_forward``)."""
    from vanishing.models import stacked

    lengths = getattr(case, "lengths", None)

    def run(params, xs, h0, c0):
        layers, bf = layouts.stack_from_torch(case.cell, params, case.config), case.config.get("batch_first", False)
        if lengths is not None:   # packed: each sequence on its valid prefix, 0 at the padded steps
            return stacked.packed_forward(case.cell, layers, h0, xs, lengths, c0, batch_first=bf)
        return stacked.batch_forward(case.cell, layers, h0, xs, c0, batch_first=bf)

    seen = []

    def loss(z):   # the values are kept from the same pass (one forward pass, not two: the stack check's main cost)
        outs = run(z["p"], z["xs"], z["h0"], z.get("c0"))
        seen.append(outs)
        return sum(anp.sum(o * c) for o, c in zip(outs, case.cot))
    z = {"p": list(case.params), "xs": case.xs, "h0": case.h0, **({} if case.c0 is None else {"c0": case.c0})}
    with np.errstate(over="ignore"):
        g = autograd.grad(loss)(z)
        outs = tuple(np.asarray(getval(o), dtype=np.float64) for o in seen[-1])
    grads = {n: np.asarray(v) for n, v in zip(case.names, g["p"])}
    grads.update({k: np.asarray(g[k]) for k in ("xs", "h0", "c0") if k in g})
    return outs, grads
