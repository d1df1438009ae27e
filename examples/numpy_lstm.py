"""A hand-written NumPy LSTM (forward *and* backward, no autodiff) and its adapter for ``vanishing validate``.

Validate it from the repository root::

    vanishing validate examples.numpy_lstm:make

The cell is the standard LSTM with a forget gate (PyTorch's ``LSTMCell``), written in
vanishing's canonical layout (docs/DESIGN.md): ``W_x (4H, D)``, ``W_h (4H, H)``, ``b (4H,)``,
gate blocks in the order i, f, g, o::

    a = W_x x_t + W_h h_{t-1} + b
    i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
    c_t = f⊙c_{t-1} + i⊙g,   h_t = o⊙tanh(c_t)

The backward pass is backpropagation through time, derived by hand below. Your own
implementation would keep its own parameter layout and convert inside the adapter.
"""

import numpy as np

__all__ = ["NumpyLSTM", "make"]


def sigmoid(x):
    """σ(x) = ½(1 + tanh(x/2)): never overflows (the naive 1/(1+exp(−x)) does for x < −709)."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class NumpyLSTM:
    """The adapter: declarations, then step / forward / vjp in the canonical layout."""

    kind = "lstm"                 # an LSTM with a forget gate, gates i, f, g, o

    def __init__(self, dtype=np.float64):
        self.dtype = np.dtype(dtype)  # float64 or float32: every array in and out has this dtype
        self.name = f"examples.numpy_lstm[{self.dtype.name}]"

    # ---------------------------------------------------------------- forward
    def _step(self, p, h, c, x):
        """One step; returns (h_t, c_t, cache for the backward pass)."""
        H = h.shape[0]
        a = p["W_x"] @ x + p["W_h"] @ h + p["b"]
        i, f = sigmoid(a[:H]), sigmoid(a[H:2 * H])
        g, o = np.tanh(a[2 * H:3 * H]), sigmoid(a[3 * H:])
        c_new = f * c + i * g
        tc = np.tanh(c_new)
        return o * tc, c_new, (x, h, c, i, f, g, o, tc)

    def step(self, params, state, x):
        h, c, _ = self._step(params, state[0], state[1], x)
        return h, c

    def forward(self, params, state0, xs):
        h, c = state0
        hs = []
        for x in xs:
            h, c, _ = self._step(params, h, c, x)
            hs.append(h)
        return np.stack(hs), c

    # ---------------------------------------------------------------- backward (by hand)
    def vjp(self, params, state0, xs, cotangents):
        """Gradients of Σ_t ⟨dhs_t, h_t⟩ + ⟨dc_T, c_T⟩ w.r.t. W_x, W_h, b, xs, h0, c0 (BPTT)."""
        dhs, dcT = cotangents
        h, c = state0
        caches = []
        for x in xs:
            h, c, cache = self._step(params, h, c, x)
            caches.append(cache)
        W_x, W_h = params["W_x"], params["W_h"]
        grads = {"W_x": np.zeros_like(W_x), "W_h": np.zeros_like(W_h), "b": np.zeros_like(params["b"]),
                 "xs": np.zeros_like(xs)}
        dh_next = np.zeros_like(state0[0])           # ∂E/∂h_t arriving from step t+1
        dc_next = np.array(dcT, copy=True)           # ∂E/∂c_t arriving from step t+1 (or the cotangent of c_T)
        for t in range(len(xs) - 1, -1, -1):
            x, h_prev, c_prev, i, f, g, o, tc = caches[t]
            dh = dhs[t] + dh_next                    # total ∂E/∂h_t
            do = dh * tc                             # h = o⊙tanh(c)  ⇒  ∂h/∂o = tanh(c)
            dc = dc_next + dh * o * (1 - tc * tc)    #                ⇒  ∂h/∂c = o⊙(1 − tanh²c)
            di, dg, df = dc * g, dc * i, dc * c_prev  # c = f⊙c_prev + i⊙g
            da = np.concatenate([di * i * (1 - i),   # σ' = σ(1 − σ)
                                 df * f * (1 - f),
                                 dg * (1 - g * g),   # tanh' = 1 − tanh²
                                 do * o * (1 - o)])
            grads["W_x"] += np.outer(da, x)          # a = W_x x + W_h h_prev + b
            grads["W_h"] += np.outer(da, h_prev)
            grads["b"] += da
            grads["xs"][t] = W_x.T @ da
            dh_next = W_h.T @ da                     # ∂E/∂h_{t−1} through the gates
            dc_next = dc * f                         # ∂c_t/∂c_{t−1} = diag(f): the direct path
        grads["h0"], grads["c0"] = dh_next, dc_next
        return grads

    def param_count(self, H, D):
        return 4 * (H * D + H * H + H)


def make():
    """The adapter factory: ``vanishing validate examples.numpy_lstm:make`` calls it."""
    return [NumpyLSTM(np.float64), NumpyLSTM(np.float32)]
