"""Built-in adapters for Equinox (``vanishing validate equinox``): ``eqx.nn.LSTMCell`` and ``eqx.nn.GRUCell``.

Each in float64 (x64 scoped to the call, see ``jax_adapters``) and float32; gradients by ``jax.vjp``
through the module with its arrays replaced (``eqx.tree_at``). Conventions (equinox/nn/_rnn.py):

* ``LSTMCell``: ``weight_ih (4H, D)``, ``weight_hh (4H, H)``, one ``bias (4H,)``, gates i, f, g, o; state
  ``(h, c)``: the canonical layout exactly.
* ``GRUCell``: ``weight_ih (3H, D)``, ``weight_hh (3H, H)``, ``bias (3H,)`` on the input side and ``bias_n (H,)``
  inside the reset, ``n = tanh(W_in x + b_n' + r⊙(W_hn h + bias_n))``, ``h' = n + z⊙(h − n) = (1−z)⊙n + z⊙h``:
  PyTorch's reset-after GRU without recurrent biases for r and z: parameter set ``gru-bhn``.
"""

import numpy as np

from vanishing.checks.conformance.frameworks import blocks, unblocks
from vanishing.checks.conformance.jax_adapters import JaxCell
from vanishing.models.layouts import GRU_GATES, LSTM_GATES

__all__ = ["EquinoxCell", "builtins", "versions_installed"]

#: Equinox's own stacking orders (jnp.split(lin, 4) → i, f, g, o; GRU reset, input (z), new).
EQX_LSTM_ORDER, EQX_GRU_ORDER = "ifgo", "rzn"


class EquinoxCell(JaxCell):
    framework = extra = module = dist = "equinox"

    def __init__(self, cls, dtype):
        self.eqx = self.framework_module()
        self.cls = cls
        if cls == "LSTMCell":
            self.convention = "weight_ih, weight_hh, one bias, gate order i, f, g, o; state (h, c): the canonical layout"
            super().__init__("lstm", dtype, name="equinox.nn.LSTMCell")
        else:
            self.convention = ("gates r, z, n; reset after the recurrent matmul; bias (3H) on the input side and bias_n (H) "
                               "inside the reset, no recurrent bias for r and z; h' = n + z⊙(h − n) = (1−z)⊙n + z⊙h")
            super().__init__("gru", dtype, reset="after", param_set="gru-bhn", name="equinox.nn.GRUCell")

    def _build(self, H, D):
        jax, jnp = self.jax, self.jax.numpy
        dt = jnp.float64 if self.dtype == np.float64 else jnp.float32
        with self._x64():   # the structure only: filter_eval_shape runs no initializer
            return self.eqx.filter_eval_shape(getattr(self.eqx.nn, self.cls), D, H, use_bias=True, dtype=dt,
                                              key=jax.random.PRNGKey(0))

    def _to_fw(self, P, H, D):
        if self.cls == "LSTMCell":
            o = (H, EQX_LSTM_ORDER, LSTM_GATES)
            return {"weight_ih": blocks(P["W_x"], *o), "weight_hh": blocks(P["W_h"], *o), "bias": blocks(P["b"], *o)}
        o = (H, EQX_GRU_ORDER, GRU_GATES)
        return {"weight_ih": blocks(P["W_x"], *o), "weight_hh": blocks(P["W_h"], *o), "bias": blocks(P["b_x"], *o),
                "bias_n": P["b_hn"]}

    def _from_fw(self, G, H, D):
        if self.cls == "LSTMCell":
            o = (H, EQX_LSTM_ORDER, LSTM_GATES)
            return {"W_x": unblocks(G["weight_ih"], *o), "W_h": unblocks(G["weight_hh"], *o), "b": unblocks(G["bias"], *o)}
        o = (H, EQX_GRU_ORDER, GRU_GATES)
        return {"W_x": unblocks(G["weight_ih"], *o), "W_h": unblocks(G["weight_hh"], *o), "b_x": unblocks(G["bias"], *o),
                "b_hn": G["bias_n"]}

    def _step(self, shell, fw, state, x):
        names = tuple(fw)
        cell = self.eqx.tree_at(lambda m: tuple(getattr(m, n) for n in names), shell, tuple(fw[n] for n in names))
        if self.cls == "LSTMCell":
            return tuple(cell(x, (state[0], state[1])))
        return (cell(x, state[0]),)


def builtins(dtypes=(np.float64, np.float32)):
    """Every Equinox built-in, in each dtype."""
    return [EquinoxCell(c, dt) for dt in dtypes for c in ("LSTMCell", "GRUCell")]


versions_installed = EquinoxCell.versions_installed
