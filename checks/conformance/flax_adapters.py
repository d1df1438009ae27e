"""Built-in adapters for Flax NNX (``vanishing validate flax``): SimpleCell, LSTMCell, OptimizedLSTMCell, GRUCell.

Each in float64 (x64 scoped to the call, see ``jax_adapters``) and float32; gradients by
``jax.vjp`` through ``nnx.merge(graphdef, params)(carry, x)``. Conventions (flax/nnx/nn/recurrent.py):

* ``SimpleCell``: ``h' = tanh(dense_i(x) + dense_h(h))``; only ``dense_i`` has a bias: canonical ``rnn-tanh``.
* ``LSTMCell``: eight Dense layers ``ii, if_, ig, io`` (no bias) and ``hi, hf, hg, ho`` (with bias): one bias
  per gate, canonical; carry ``(c, h)`` (cell first).
* ``OptimizedLSTMCell``: the same function with stacked kernels, gate order i, f, g, o.
* ``GRUCell``: ``dense_i`` (3H, with bias) and ``dense_h`` (3H, **no bias**), gates r, z, n,
  ``n = tanh(x_n + r⊙(W_hn h))``, ``h' = (1−z)⊙n + z⊙h``: PyTorch's reset-after GRU without any recurrent
  bias, so b_hn (inside the reset) does not exist: parameter set ``one-bias``.
"""

import numpy as np

from vanishing.checks.conformance.frameworks import blocks, unblocks
from vanishing.checks.conformance.jax_adapters import JaxCell
from vanishing.models.layouts import GRU_GATES, LSTM_GATES

__all__ = ["FlaxCell", "builtins", "versions_installed"]


#: Flax's own stacking orders (flax/nnx/nn/recurrent.py: jnp.split(y, 4) → i, f, g, o; GRU r, z, n).
FLAX_LSTM_ORDER, FLAX_GRU_ORDER = "ifgo", "rzn"

_KIND = {"SimpleCell": "rnn-tanh", "LSTMCell": "lstm", "OptimizedLSTMCell": "lstm", "GRUCell": "gru"}
_PSET = {"GRUCell": "one-bias"}
_CONV = {
    "SimpleCell": "h' = tanh(x·K_i + b + h·K_h): the canonical Elman cell (bias on the input Dense only)",
    "LSTMCell": "gate order i, f, g, o as eight Dense layers, one bias per gate (on the hidden Dense); carry (c, h)",
    "OptimizedLSTMCell": "gate order i, f, g, o, stacked kernels x·K_i + h·K_h + b; carry (c, h)",
    "GRUCell": "gates r, z, n; reset after the recurrent matmul with no recurrent bias at all (b_hn = 0: n = tanh(x_n + "
               "r⊙(W_hn h))); h' = (1−z)⊙n + z⊙h",
}


class FlaxCell(JaxCell):
    framework = extra = dist = "flax"
    module = "flax.nnx"

    def __init__(self, cls, dtype):
        self.nnx = self.framework_module()
        self.cls = cls
        self.convention = _CONV[cls]
        super().__init__(_KIND[cls], dtype, reset="after", param_set=_PSET.get(cls, "canonical"), name=f"flax.nnx.{cls}")

    def _build(self, H, D):
        jnp = self.jax.numpy
        dt = jnp.float64 if self.dtype == np.float64 else jnp.float32
        with self._x64():   # the structure only: eval_shape runs no initializer
            cell = self.nnx.eval_shape(lambda: getattr(self.nnx, self.cls)(D, H, rngs=self.nnx.Rngs(0), param_dtype=dt, dtype=dt))
            graphdef, _ = self.nnx.split(cell)
        return graphdef

    def _to_fw(self, P, H, D):
        if self.cls == "SimpleCell":
            return {"dense_i": {"kernel": P["W_xh"].T, "bias": P["b"]}, "dense_h": {"kernel": P["W_hh"].T}}
        if self.cls == "LSTMCell":
            out = {}
            for n, g in enumerate(LSTM_GATES):
                rows = slice(n * H, (n + 1) * H)
                out["i" + ("f_" if g == "f" else g)] = {"kernel": P["W_x"][rows].T}
                out["h" + g] = {"kernel": P["W_h"][rows].T, "bias": P["b"][rows]}
            return out
        if self.cls == "OptimizedLSTMCell":
            o = (H, FLAX_LSTM_ORDER, LSTM_GATES)
            return {"dense_i": {"kernel": blocks(P["W_x"], *o).T}, "dense_h": {"kernel": blocks(P["W_h"], *o).T, "bias": blocks(P["b"], *o)}}
        o = (H, FLAX_GRU_ORDER, GRU_GATES)
        return {"dense_i": {"kernel": blocks(P["W_x"], *o).T, "bias": blocks(P["b"], *o)}, "dense_h": {"kernel": blocks(P["W_h"], *o).T}}

    def _from_fw(self, G, H, D):
        if self.cls == "SimpleCell":
            return {"W_xh": G["dense_i"]["kernel"].T, "b": G["dense_i"]["bias"], "W_hh": G["dense_h"]["kernel"].T}
        if self.cls == "LSTMCell":
            names = ["i" + ("f_" if g == "f" else g) for g in LSTM_GATES]
            return {"W_x": np.concatenate([G[n]["kernel"].T for n in names]),
                    "W_h": np.concatenate([G["h" + g]["kernel"].T for g in LSTM_GATES]),
                    "b": np.concatenate([G["h" + g]["bias"] for g in LSTM_GATES])}
        if self.cls == "OptimizedLSTMCell":
            o = (H, FLAX_LSTM_ORDER, LSTM_GATES)
            return {"W_x": unblocks(G["dense_i"]["kernel"].T, *o), "W_h": unblocks(G["dense_h"]["kernel"].T, *o),
                    "b": unblocks(G["dense_h"]["bias"], *o)}
        o = (H, FLAX_GRU_ORDER, GRU_GATES)
        return {"W_x": unblocks(G["dense_i"]["kernel"].T, *o), "W_h": unblocks(G["dense_h"]["kernel"].T, *o),
                "b": unblocks(G["dense_i"]["bias"], *o)}

    def _step(self, graphdef, fw, state, x):
        cell = self.nnx.merge(graphdef, fw)
        if len(state) > 1:   # Flax's LSTM carry is (c, h)
            (c, h), _ = cell((state[1], state[0]), x)
            return (h, c)
        h, _ = cell(state[0], x)
        return (h,)


def builtins(dtypes=(np.float64, np.float32)):
    """Every Flax NNX built-in, in each dtype."""
    return [FlaxCell(c, dt) for dt in dtypes for c in ("SimpleCell", "LSTMCell", "OptimizedLSTMCell", "GRUCell")]


versions_installed = FlaxCell.versions_installed
