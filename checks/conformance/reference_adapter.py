"""The project's own reference wrapped as an adapter: a correct implementation of every kind, and an example adapter.

``vanishing validate vanishing.checks.conformance.reference_adapter:builtins`` validates it; the meta-test
(tests/conformance/test_no_false_rejection.py) requires every one to conform, so a check that rejects it is a
false rejection. The models compute in the adapter's dtype (they accept float32 arrays: a float32 adapter is a
float32 implementation, rounding at every operation, not a float64 one rounded once); gradients are autograd's
through the same models, in the same dtype.
"""

import autograd
import autograd.numpy as anp
import numpy as np
from vanishing.models import kinds, layouts, stacked

__all__ = ["ReferenceCell", "ReferenceStack", "builtins", "stack_param_shapes"]


def _loss_grad(fn, z, cot):
    """autograd's gradient of Σ⟨fn(z), cot⟩ w.r.t. the pytree z (overflow in tanh's VJP g/cosh² is a harmless 0)."""
    def loss(z):
        return sum(anp.sum(y * v) for y, v in zip(fn(z), cot))
    with np.errstate(over="ignore"):
        return autograd.grad(loss)(z)


class ReferenceCell:
    """A cell of ``kind`` (models/kinds.py) in its native parameter set ``param_set``, computed in ``dtype``."""

    def __init__(self, kind, dtype=np.float64, param_set="canonical", reset="after"):
        self.kind, self.dtype, self.param_set, self.reset = kind, np.dtype(dtype), param_set, reset
        self.row = kinds.row(kind)
        extra = [f"reset={reset}"] if self.row.has_reset else []
        extra += [param_set] if param_set != "canonical" else []
        self.name = f"vanishing.reference[{', '.join([kind, *extra, self.dtype.name])}]"
        if self.row.parallel is not None and not self.row.parallel_needs:   # the paper's parallel form (modern kinds)
            self.parallel, self.parallel_vjp = self._parallel, self._parallel_vjp

    def _parallel(self, params, state0, xs):
        P = {k: self._arr(v) for k, v in params.items()}
        return self._arr(self.row.parallel(self._canonical(P), tuple(self._arr(s) for s in state0), self._arr(xs), self.reset))

    def _parallel_vjp(self, params, state0, xs, d_first):
        keys = self.row.state_keys
        z = {"params": {k: self._arr(v) for k, v in params.items()}, "xs": self._arr(xs),
             **{k: self._arr(s) for k, s in zip(keys, state0)}}
        g = _loss_grad(lambda z: (self.row.parallel(self._canonical(z["params"]), tuple(z[k] for k in keys), z["xs"], self.reset),),
                       z, [self._arr(d_first)])
        out = {k: self._arr(v) for k, v in g["params"].items()}
        out.update({k: self._arr(g[k]) for k in ("xs",) + keys})
        return out

    def _arr(self, a):
        return np.asarray(a, dtype=self.dtype)

    def _canonical(self, params):
        return layouts.param_set(self.param_set).to_canonical(self.kind, params)

    def _forward(self, params, state0, xs):
        return self.row.forward(self._canonical(params), tuple(state0), xs, self.reset)

    def step(self, params, state, x):
        P = {k: self._arr(v) for k, v in params.items()}
        out = self.row.step(self._canonical(P), tuple(self._arr(s) for s in state), self._arr(x), self.reset)
        return tuple(self._arr(s) for s in out)

    def forward(self, params, state0, xs):
        P = {k: self._arr(v) for k, v in params.items()}
        return tuple(self._arr(o) for o in self._forward(P, [self._arr(s) for s in state0], self._arr(xs)))

    def vjp(self, params, state0, xs, cotangents):
        keys = self.row.state_keys
        z = {"params": {k: self._arr(v) for k, v in params.items()}, "xs": self._arr(xs),
             **{k: self._arr(s) for k, s in zip(keys, state0)}}
        g = _loss_grad(lambda z: self._forward(z["params"], [z[k] for k in keys], z["xs"]), z,
                       [self._arr(c) for c in cotangents])
        out = {k: self._arr(v) for k, v in g["params"].items()}
        out.update({k: self._arr(g[k]) for k in ("xs",) + keys})
        return out

    def param_count(self, H, D):
        return sum(int(np.prod(s)) for s in layouts.param_set(self.param_set).shapes(self.kind, H, D).values())


def stack_param_shapes(cell, config, H, D):
    """[(name, shape)] of a PyTorch-style module (nn.RNN/LSTM/GRU's ``named_parameters()`` order) of ``cell`` layers."""
    row = kinds.row(cell)
    L, dirs, P = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1, config.get("proj_size") or 0
    n, Hout = row.blocks * H, P or H
    out = []
    for layer in range(L):
        for d in range(dirs):
            s = f"_l{layer}" + ("_reverse" if d else "")
            out += [(f"weight_ih{s}", (n, D if layer == 0 else dirs * Hout)), (f"weight_hh{s}", (n, Hout)),
                    (f"bias_ih{s}", (n,)), (f"bias_hh{s}", (n,))]
            out += [(f"weight_hr{s}", (P, H))] if P else []
    return out


class ReferenceStack:
    """A multi-layer module (kind ``"stack"``) of ``cell`` layers: ``vanishing.models.stacked`` in ``dtype``."""

    kind = "stack"

    def __init__(self, cell, config, dtype=np.float64):
        self.cell, self.config, self.dtype = cell, dict(config), np.dtype(dtype)
        self.row = kinds.row(cell)
        opts = ", ".join(f"{k}={v}" for k, v in self.config.items())
        self.name = f"vanishing.reference.stack[{cell}, {opts}, {self.dtype.name}]"

    def param_shapes(self, H, D):
        return stack_param_shapes(self.cell, self.config, H, D)

    def _run(self, params, xs, h0, c0, lengths=None):
        layers, bf = layouts.stack_from_torch(self.cell, params, self.config), self.config.get("batch_first", False)
        if lengths is not None:
            return stacked.packed_forward(self.cell, layers, h0, xs, lengths, c0, batch_first=bf)
        return stacked.batch_forward(self.cell, layers, h0, xs, c0, batch_first=bf)

    def run_packed(self, params, xs, lengths, h0, c0, cotangents):
        return self.run(params, xs, h0, c0, cotangents, lengths=[int(n) for n in lengths])

    def run(self, params, xs, h0, c0, cotangents, lengths=None):
        a = lambda v: np.asarray(v, dtype=self.dtype)
        z = {"p": [a(p) for p in params], "xs": a(xs), "h0": a(h0), **({} if c0 is None else {"c0": a(c0)})}
        outs = tuple(a(o) for o in self._run(z["p"], z["xs"], z["h0"], z.get("c0"), lengths))
        g = _loss_grad(lambda z: self._run(z["p"], z["xs"], z["h0"], z.get("c0"), lengths), z, [a(c) for c in cotangents])
        names = [n for n, _ in self.param_shapes(np.shape(params[1])[0] // self.row.blocks, np.shape(params[0])[1])]
        grads = {n: a(v) for n, v in zip(names, g["p"])}
        grads.update({k: a(g[k]) for k in ("xs", "h0", "c0") if k in g})
        return outs, grads


#: Stack configurations covering 1–3 layers, both directions, both layouts and an LSTM's projection.
STACK_CONFIGS = [
    {"num_layers": 1, "bidirectional": False, "batch_first": False},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"num_layers": 3, "bidirectional": False, "batch_first": True},
    {"num_layers": 3, "bidirectional": True, "batch_first": False},
]


def stack_configs(cell):
    """The configurations a stack of ``cell`` is checked in (an LSTM's with proj_size > 0 too)."""
    out = [dict(c, proj_size=0) if kinds.row(cell).family == "lstm" else dict(c) for c in STACK_CONFIGS]
    if kinds.row(cell).family == "lstm":
        out += [{"num_layers": 2, "bidirectional": True, "batch_first": False, "proj_size": 1},
                {"num_layers": 1, "bidirectional": False, "batch_first": True, "proj_size": 2}]
    return out


def builtins(dtypes=(np.float64, np.float32)):
    """The reference as adapters: every kind × native parameter set (× reset) and every stack configuration, per dtype."""
    out = []
    for dt in dtypes:
        for kind, row in kinds.ROWS.items():
            for pset, ps in layouts.PARAM_SETS.items():
                if kind in ps.kinds:
                    out += [ReferenceCell(kind, dt, pset, r) for r in (("after", "before") if row.has_reset else ("after",))]
        out += [ReferenceStack(c, cfg, dt) for c in kinds.STACK_KINDS for cfg in stack_configs(c)]
    return out
