"""Cells that ignore their recurrent bias, written the way each framework's users write them.

Each declares its *native* parameter set (docs/VALIDATE.md, ``param_set``), so the validator
draws the recurrent bias independently and non-zero; each must then be rejected, and the
diagnosis must name the ignored bias. Before native parameter sets, PyTorch's ``bias_hh`` was
always zero in the validator's draws, and a cell that dropped it was accepted.
"""

import autograd
import autograd.numpy as anp
import numpy as np

from vanishing.models import layouts


def _sig(x):
    return 0.5 * (1.0 + anp.tanh(0.5 * x))


# ---------------------------------------------------------------- PyTorch style: an LSTMCell module that drops bias_hh
def torch_lstm_drops_bias_hh():
    import torch

    from vanishing.checks.conformance.torch_adapters import TorchCell

    class LSTMCellNoBiasHH(torch.nn.Module):
        """weight_ih, weight_hh, bias_ih, bias_hh like torch.nn.LSTMCell; the forward forgets + bias_hh."""

        def __init__(self, D, H):
            super().__init__()
            self.weight_ih = torch.nn.Parameter(torch.zeros(4 * H, D))
            self.weight_hh = torch.nn.Parameter(torch.zeros(4 * H, H))
            self.bias_ih = torch.nn.Parameter(torch.zeros(4 * H))
            self.bias_hh = torch.nn.Parameter(torch.zeros(4 * H))

        def forward(self, x, state):
            h, c = state
            gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T   # the bug: no + self.bias_hh
            i, f, g, o = gates.chunk(4)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            return torch.sigmoid(o) * torch.tanh(c), c

    class Adapter(TorchCell):
        def __init__(self):
            super().__init__("lstm", np.float64)
            self.name = "zoo.torch_lstm_drops_bias_hh"

        def _build(self, H, D):
            return LSTMCellNoBiasHH(D, H)

    return Adapter()


# ---------------------------------------------------------------- Keras style: kernel layout, bias (2, 3H), the recurrent row unused
class KerasStyleGRU:
    """A GRU in Keras 3's layout (x·kernel, gates z, r, h, reset_after=True with bias rows [input, recurrent]),
    differentiated by autograd; ``use_recurrent_bias=False`` plants the bug (bias[1] never added)."""

    kind, reset, dtype = "gru", "after", np.float64

    def __init__(self, name, use_recurrent_bias=True):
        self.name, self.use_recurrent_bias = name, use_recurrent_bias

    def _run(self, weights, h, xs):
        kernel, recurrent, bias = weights
        H = h.shape[0]
        hs = []
        for x in xs:
            mx = anp.dot(x, kernel) + bias[0]
            mh = anp.dot(h, recurrent) + (bias[1] if self.use_recurrent_bias else 0.0)
            z = _sig(mx[:H] + mh[:H])
            r = _sig(mx[H:2 * H] + mh[H:2 * H])
            hh = anp.tanh(mx[2 * H:] + r * mh[2 * H:])
            h = z * h + (1.0 - z) * hh
            hs.append(h)
        return (anp.stack(hs),)

    def step(self, params, state, x):
        return (self.forward(params, state, np.asarray(x)[None, :])[0][0],)

    def forward(self, params, state0, xs):
        return tuple(np.asarray(o) for o in self._run(layouts.to_keras("gru", params), state0[0], xs))

    def vjp(self, params, state0, xs, cotangents):
        def loss(w, h0, xs):
            return anp.sum(self._run(w, h0, xs)[0] * cotangents[0])
        w = layouts.to_keras("gru", params)
        gw, gh, gx = autograd.grad(loss, argnum=(0, 1, 2))(w, state0[0], xs)
        out = layouts.from_keras("gru", list(gw))
        return {**out, "xs": gx, "h0": gh}


def keras_gru_drops_recurrent_bias():
    return KerasStyleGRU("zoo.keras_gru_drops_recurrent_bias", use_recurrent_bias=False)


def keras_gru():
    return KerasStyleGRU("zoo.keras_gru")


# ---------------------------------------------------------------- JAX style: Equinox's GRUCell layout (bias, bias_n)
class JaxStyleGRU:
    """weight_ih (3H, D), weight_hh (3H, H), bias (3H,), bias_n (H,) as in eqx.nn.GRUCell, written in jax.numpy and
    differentiated by jax.vjp; ``use_bias_n=False`` plants the bug. Native parameter set ``gru-bhn``."""

    kind, reset, dtype, param_set = "gru", "after", np.float32, "gru-bhn"

    def __init__(self, name, use_bias_n=True):
        import jax
        self.jax, self.name, self.use_bias_n = jax, name, use_bias_n

    def _run(self, p, h, xs):
        jnp = self.jax.numpy
        H = h.shape[0]
        hs = []
        for x in xs:
            ig = p["W_x"] @ x + p["b_x"]
            hg = p["W_h"] @ h
            r = self.jax.nn.sigmoid(ig[:H] + hg[:H])
            z = self.jax.nn.sigmoid(ig[H:2 * H] + hg[H:2 * H])
            n = jnp.tanh(ig[2 * H:] + r * (hg[2 * H:] + (p["b_hn"] if self.use_bias_n else 0.0)))
            h = n + z * (h - n)
            hs.append(h)
        return jnp.stack(hs)

    def step(self, params, state, x):
        return (self.forward(params, state, np.asarray(x)[None, :])[0][0],)

    def forward(self, params, state0, xs):
        return (np.asarray(self._run(params, state0[0], xs)),)

    def vjp(self, params, state0, xs, cotangents):
        out, pull = self.jax.vjp(self._run, dict(params), state0[0], xs)
        gp, gh, gx = pull(self.jax.numpy.asarray(cotangents[0]))
        return {**{k: np.asarray(v) for k, v in gp.items()}, "xs": np.asarray(gx), "h0": np.asarray(gh)}


def jax_gru_drops_bias_n():
    return JaxStyleGRU("zoo.jax_gru_drops_bias_n", use_bias_n=False)


def jax_gru():
    return JaxStyleGRU("zoo.jax_gru")


#: factory → (check that must reject it, mutant that must be named, the module it needs).
IGNORES_RECURRENT_BIAS = {
    "torch_lstm_drops_bias_hh": ("forward", "b_h-unused", "torch"),
    "keras_gru_drops_recurrent_bias": ("forward", "b_h-unused", None),
    "jax_gru_drops_bias_n": ("forward", "b_hn-unused", "jax"),
}
CORRECT = {"keras_gru": None, "jax_gru": "jax"}
