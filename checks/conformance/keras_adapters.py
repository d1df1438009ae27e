"""Built-in adapters for Keras 3 (``vanishing validate keras``): cells and layers, on the backend that is installed.

``SimpleRNNCell``, ``LSTMCell``, ``GRUCell(reset_after=True)``, ``GRUCell(reset_after=False)``, and the
``LSTM`` / ``GRU`` layers (``return_sequences=True``), each in float64 and float32. Gradients come
from the backend's own autodiff through ``layer.stateless_call``: ``torch.autograd.grad`` on the
torch backend, ``jax.vjp`` on the jax backend (float64 with x64 scoped to the call).

The backend: if keras is already imported, its backend is used as it is. Otherwise
``KERAS_BACKEND`` is respected when set, and when it is not, it is set (in this process, before
the first ``import keras``, which is the only moment it can be) to ``torch`` if torch is
installed, else ``jax``. On the jax backend the float64 adapters exist only when JAX's x64 is
enabled globally by the user (:func:`builtins`). Keras 3's default, TensorFlow, is not supported here (the adapters
need torch or jax to differentiate). Every adapter name says which backend ran.

Conventions (keras/src/layers/rnn/): kernels applied as ``x·kernel`` (the transpose of PyTorch's);
LSTM gates i, f, c, o with one bias (canonical); GRU gates **z, r, h**, ``h' = z⊙h + (1−z)⊙hh``
(the canonical equation); ``reset_after=True``: bias (2, 3H) = [input, recurrent] rows, PyTorch's
GRU after reordering (canonical ``b_x``, ``b_h``); ``reset_after=False``: Cho et al. 2014, one bias
(parameter set ``one-bias``). Parameters go through ``vanishing.models.layouts.to_keras``.
"""

import importlib.util
import os
import sys

import numpy as np

from vanishing import install_hint
from vanishing.checks.conformance.frameworks import blocks, versions
from vanishing.checks.conformance.protocol import AdapterError
from vanishing.models import kinds, layouts
from vanishing.models.layouts import GRU_GATES

__all__ = ["DIFFERENCES", "KerasRecurrent", "backend", "builtins", "textbook_variants", "versions_installed"]

#: Keras's own GRU stacking order (z, r, h; h is our n).
KERAS_GRU_ORDER = "zrn"

#: cell → [(difference dropped by the textbook variant, mutant that must reproduce it, what differs, claims it touches)]
#: A finding, not a convention: Keras 3's type promotion maps every 64-bit result type to 32 bits
#: (keras/src/backend/common/dtypes.py, ``_lattice_result_type``: ``BIT64_TO_BIT32_DTYPE``, "to be aligned with JAX's
#: default behavior"), so ``keras.ops.matmul`` of two float64 tensors returns float32 and a float64 *cell* computes its
#: matmuls in float32 (the result is cast back up by the float64 bias add). The float64 cells are reported as failing,
#: with the float32-precision mutant reproducing them; the LSTM and GRU layers conform in float64.
FLOAT64_DEMOTION = ("float64 computed in float32", "float32-precision",
                    "keras.ops.matmul(float64, float64) returns float32 (keras.backend.result_type maps 64-bit types to 32-bit), "
                    "so a float64 cell's matmuls run in float32; values and gradients agree with the reference to float32 "
                    "precision only", "every float64 check of the cells (values, gradients, direct path): float32 accuracy only")

DIFFERENCES = {
    "GRUCell": [("gate order", "gate-order-zrn", "gate blocks stacked z, r, h (canonical and PyTorch: r, z, n); kernels "
                 "applied as x·kernel", "none: a layout (parameters are mapped)")],
}


def backend():
    """(keras, backend name), choosing the backend as the module docstring says; AdapterError in one line otherwise."""
    if "keras" not in sys.modules and not os.environ.get("KERAS_BACKEND"):
        chosen = next((b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None), None)
        if chosen is None:
            raise AdapterError(f"Keras 3 needs a backend to differentiate: install torch ({install_hint('torch')}) "
                               f"or jax ({install_hint('jax')})")
        os.environ["KERAS_BACKEND"] = chosen
    try:
        import keras
    except ImportError as e:
        raise AdapterError(f"keras is not installed ({e}); install the optional extra: {install_hint('keras')}") from None
    except Exception as e:   # e.g. KERAS_BACKEND=tensorflow without tensorflow
        raise AdapterError(f"keras does not import ({type(e).__name__}: {' '.join(str(e).split())[:200]}); set KERAS_BACKEND to "
                           "torch or jax before the first import of keras") from None
    name = keras.backend.backend()
    if name not in ("torch", "jax"):
        raise AdapterError(f"keras runs on the {name} backend; the built-in adapters differentiate with torch or jax: set "
                           "KERAS_BACKEND=torch or jax before the first import of keras")
    return keras, name


def versions_installed():
    keras, name = backend()
    return {**versions("keras"), **versions(name if name == "torch" else "jax"), "backend": name}


_SPEC = {  # what → (kind, reset, param set, keras class, its kwargs)
    "SimpleRNNCell": ("rnn-tanh", "after", "canonical"),
    "LSTMCell": ("lstm", "after", "canonical"),
    "GRUCell": ("gru", "after", "canonical"),
    "GRUCell(reset_after=False)": ("gru", "before", "one-bias"),
    "LSTM": ("lstm", "after", "canonical"),
    "GRU": ("gru", "after", "canonical"),
}
_CONV = {
    "SimpleRNNCell": "h' = tanh(x·kernel + h·recurrent_kernel + b): the canonical Elman cell, kernels transposed",
    "LSTMCell": "gate order i, f, c, o (c is the candidate g), one bias, kernels transposed: canonical",
    "GRUCell": "gates z, r, h; reset after the matmul; bias rows [input, recurrent] (b_x, b_h); h' = z⊙h + (1−z)⊙hh",
    "GRUCell(reset_after=False)": "gates z, r, h; reset before the matmul (Cho 2014); one bias; h' = z⊙h + (1−z)⊙hh",
    "LSTM": "the LSTM layer (return_sequences, return_state) over LSTMCell",
    "GRU": "the GRU layer (return_sequences, reset_after=True) over GRUCell",
}


class KerasRecurrent:
    """One Keras 3 cell or layer; ``textbook="gate order"`` (GRU cells) drops the GRU block reordering."""

    framework = "keras"

    def __init__(self, what, dtype, textbook=None):
        self.keras, self.backend = backend()
        self.flushes_subnormals = self.backend == "jax"   # XLA on CPU flushes subnormal results to zero
        self.what, self.dtype, self.textbook = what, np.dtype(dtype), textbook
        self.kind, self.reset, self.param_set = _SPEC[what]
        self.row = kinds.row(self.kind)
        self.convention = _CONV[what]
        self.layer = what in ("LSTM", "GRU")
        self.cls = what.split("(")[0]   # the Keras class: "GRUCell(reset_after=False)" is a GRUCell
        self.differences = tuple(DIFFERENCES.get(self.cls, ()))
        if not self.layer and self.dtype == np.float64:
            self.differences += (FLOAT64_DEMOTION,)
        tb = f"textbook {textbook}, " if textbook else ""
        self.name = f"keras.layers.{what}[{tb}{self.dtype.name}, {self.backend} backend]"
        self._cache = {}

    # ---------------------------------------------------------------- parameters
    def _module(self, H, D):
        if (H, D) not in self._cache:
            L, kw = self.keras.layers, {"dtype": self.dtype.name}
            if self.what == "SimpleRNNCell":
                m = L.SimpleRNNCell(H, **kw)
            elif self.what == "LSTMCell":
                m = L.LSTMCell(H, **kw)
            elif self.cls == "GRUCell":
                m = L.GRUCell(H, reset_after=self.reset == "after", **kw)
            elif self.what == "LSTM":
                m = L.LSTM(H, return_sequences=True, return_state=True, **kw)
            else:
                m = L.GRU(H, return_sequences=True, reset_after=True, **kw)
            with self._x64():
                m.build((1, 1, D) if self.layer else (1, D))
            self._cache[(H, D)] = m
        return self._cache[(H, D)]

    def _canonical(self, P, H):
        P = layouts.param_set(self.param_set).to_canonical(self.kind, P)
        if self.textbook == "gate order":   # undo to_keras's reordering: canonical blocks land where Keras reads z, r, h
            P = {k: (blocks(v, H, KERAS_GRU_ORDER, GRU_GATES) if k in ("W_x", "W_h", "b_x", "b_h") else v) for k, v in P.items()}
        return P

    def _weights(self, P, H):
        return layouts.to_keras(self.row.family, self._canonical(P, H), reset_after=self.reset == "after")

    def _grads_back(self, g, H):
        out = layouts.from_keras(self.row.family, [np.asarray(a, dtype=np.float64) for a in g], reset_after=self.reset == "after")
        if self.textbook == "gate order":
            out = {k: (blocks(v, H, GRU_GATES, KERAS_GRU_ORDER) if k in ("W_x", "W_h", "b_x", "b_h") else v) for k, v in out.items()}
        if self.param_set == "one-bias":
            out = {"W_x": out["W_x"], "W_h": out["W_h"], "b": out["b_x"]}
        return out

    # ---------------------------------------------------------------- backend plumbing
    def _x64(self):
        if self.backend == "jax":
            import jax
            return jax.enable_x64(self.dtype == np.float64)
        import contextlib
        return contextlib.nullcontext()

    def _t(self, a):
        if self.backend == "torch":
            import torch
            return torch.from_numpy(np.array(a, dtype=self.dtype))
        import jax.numpy as jnp
        return jnp.asarray(np.asarray(a, dtype=self.dtype))

    def _run(self, m, w, state0, xs):
        """outputs (hs (T, H)[, c_T (H,)]) as backend tensors, through stateless_call."""
        nt = [v.value for v in m.non_trainable_variables]
        if self.layer:
            out, _ = m.stateless_call(w, nt, xs[None], initial_state=[s[None] for s in state0])
            if self.row.n_state > 1:   # [sequence, h_T, c_T]
                return out[0][0], out[2][0]
            return (out[0],)
        states, hs = [s[None] for s in state0], []
        for t in range(xs.shape[0]):
            out, _ = m.stateless_call(w, nt, xs[t][None], states)
            y, states = out
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            hs.append(y[0])
        stack = self._stack(hs)
        return (stack,) + tuple(s[0] for s in states[1:])

    def _stack(self, hs):
        if self.backend == "torch":
            import torch
            return torch.stack(hs)
        import jax.numpy as jnp
        return jnp.stack(hs)

    def _np(self, t):
        return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)

    # ---------------------------------------------------------------- the protocol
    def _sizes(self, P):
        return P["W_hh" if "W_hh" in P else "W_h"].shape[1], P["W_xh" if "W_xh" in P else "W_x"].shape[1]

    def step(self, params, state, x):
        out = self.forward(params, state, np.asarray(x)[None, :])
        return (out[0][0],) + tuple(out[1:])

    def forward(self, params, state0, xs):
        H, D = self._sizes(params)
        m = self._module(H, D)
        with self._x64():
            w = [self._t(a) for a in self._weights(params, H)]
            out = self._run(m, w, [self._t(s) for s in state0], self._t(xs))
            return tuple(self._np(o) for o in out)

    def vjp(self, params, state0, xs, cotangents):
        H, D = self._sizes(params)
        m = self._module(H, D)
        with self._x64():
            w = [self._t(a) for a in self._weights(params, H)]
            s0 = [self._t(s) for s in state0]
            x = self._t(xs)
            if self.backend == "torch":
                import torch
                for t in w + s0 + [x]:
                    t.requires_grad_(True)
                out = self._run(m, w, s0, x)
                g = torch.autograd.grad(out, w + s0 + [x], grad_outputs=[self._t(c) for c in cotangents], allow_unused=True)
                g = [np.zeros(tuple(t.shape), dtype=self.dtype) if gi is None else gi.numpy() for gi, t in zip(g, w + s0 + [x])]
                gw, gs, gx = g[:len(w)], g[len(w):len(w) + len(s0)], g[-1]
            else:
                import jax
                _, pull = jax.vjp(lambda w_, s_, x_: self._run(m, w_, s_, x_), w, s0, x)
                gw, gs, gx = pull(tuple(self._t(c) for c in cotangents))
                gw, gs, gx = [np.asarray(a) for a in gw], [np.asarray(a) for a in gs], np.asarray(gx)
        out = {k: np.asarray(v, dtype=self.dtype) for k, v in self._grads_back(gw, H).items()}
        out["xs"] = np.asarray(gx, dtype=self.dtype)
        for k, g in zip(("h0", "c0"), gs):
            out[k] = np.asarray(g, dtype=self.dtype)
        return out

    def param_count(self, H, D):
        return int(sum(np.prod(tuple(v.shape)) for v in self._module(H, D).trainable_variables))


def builtins(dtypes=(np.float64, np.float32)):
    """Every Keras 3 built-in, in each dtype, on the backend :func:`backend` chose.

    On the jax backend, float64 only when the user has enabled JAX's x64 globally: Keras decides dtypes with the
    process-wide flag (measured here: with x64 scoped to the call, a float64 SimpleRNNCell returns float32), and
    the adapters never set it behind the user's back. float64 is then validated on the torch backend."""
    _, name = backend()
    if name == "jax":
        import jax
        if not jax.config.jax_enable_x64:
            dtypes = tuple(d for d in dtypes if np.dtype(d) != np.float64)
    return [KerasRecurrent(w, dt) for dt in dtypes for w in _SPEC]


def textbook_variants(dtype=np.float32):
    """One adapter per documented difference, with that part of the map dropped: each must fail, reproduced by its mutant.

    float32: in float64 the cells' float32 matmuls (:data:`FLOAT64_DEMOTION`) would combine with the dropped map."""
    return [(KerasRecurrent(w, dtype, textbook=d[0]), d) for w in ("GRUCell", "GRUCell(reset_after=False)")
            for d in DIFFERENCES["GRUCell"]]
