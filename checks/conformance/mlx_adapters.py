"""Built-in adapters for MLX (``vanishing validate mlx``): ``mlx.nn.RNN`` (tanh, relu), ``mlx.nn.LSTM``, ``mlx.nn.GRU``.

Each in float64 and float32 (MLX computes float64 on the CPU device only; this machine has no other), on an
unbatched sequence (MLX's ``LD`` layout: xs (T, D), h (H,)). Gradients come from MLX's own autodiff,
``mx.vjp``, through the module's ``__call__`` with the parameters set inside the traced function (as
``nn.value_and_grad`` does).

MLX's conventions (mlx/nn/layers/recurrent.py, read from the installed package):

* ``RNN``: ``h' = σ(W_xh x + b + W_hh h)``, one bias, ``Wxh`` (H, D), ``Whh`` (H, H): canonical;
  ``nonlinearity`` any callable (default tanh), ``nn.relu`` for kind ``rnn-relu``.
* ``LSTM``: ``Wx`` (4H, D), ``Wh`` (4H, H), one ``bias`` (4H,), gate order i, f, g, o: canonical.
  It returns the hidden *and the cell* state of every step (two (T, H) arrays); c_T is the last row.
* ``GRU``: ``Wx`` (3H, D), ``Wh`` (3H, H) with blocks r, z, n; ``b`` (3H,) added to the input projection
  and ``bhn`` (H,) inside the reset, ``n = tanh(W_xn x + b_n + r⊙(W_hn h + b_hn))``, and
  ``h' = (1−z)⊙n + z⊙h``: PyTorch's equations with no recurrent bias for r and z, i.e. the native
  parameter set ``gru-bhn`` (``vanishing.models.layouts.PARAM_SETS``), reset after the matmul.

The modules take ``hidden=None`` (and ``cell=None``) to mean a zero state through a separate code path;
the adapters always pass the state, so the validator's zero states (regime ``zero-state``) run MLX's
general path. Every MLX convention above is the canonical one or a documented native parameter set, so there
is no textbook variant to confirm; the one difference is a finding (:data:`FLOAT64_EXP`).
"""

import numpy as np

from vanishing.checks.conformance.frameworks import optional, versions
from vanishing.models import kinds

__all__ = ["CONVENTIONS", "FLOAT64_EXP", "MlxRecurrent", "builtins", "versions_installed"]

CONVENTIONS = {
    "rnn-tanh": "h' = tanh(Wxh x + b + Whh h): one bias, canonical; input LD (unbatched), h (H,)",
    "rnn-relu": "h' = relu(Wxh x + b + Whh h) (nonlinearity=nn.relu): one bias, canonical",
    "lstm": "Wx, Wh, bias; gate order i, f, g, o, one bias: canonical; returns every step's h and c",
    "gru": "gates r, z, n; b (3H) on the input side, bhn inside r⊙(W_hn h + bhn): parameter set gru-bhn; "
           "h' = (1−z)⊙n + z⊙h",
}

#: A finding, a bug in MLX (filed upstream as ml-explore/mlx#3047, "Some ops fallback to fp32 implementation even for
#: fp64", open, labelled bug): on the CPU, ``mx.exp`` (and sin, cos, erf) evaluate the float32 approximation of
#: mlx/backend/cpu/simd/math.h for float64 arrays too. Measured here: ``mx.exp`` of float64 has relative error ~1e-7,
#: ``mx.sigmoid`` absolute error ~6e-9, while ``mx.tanh`` is exact. So the gated cells (LSTM, GRU: σ through exp)
#: agree with the reference in float64 to float32 precision only; the float64 RNN (tanh, relu) conforms.
FLOAT64_EXP = ("float64 σ at float32 precision", "float32-precision",
               "mx.exp (hence mx.sigmoid) computes float64 with its float32 approximation on the CPU (ml-explore/mlx#3047, "
               "a known bug): the gates of a float64 LSTM and GRU, and everything downstream, are accurate to ~1e-8 only",
               "every float64 check of the LSTM and GRU that compares values or gradients: float32 accuracy only")

#: MLX's class of each family (the row's ``family``) and its parameter names for the canonical/native keys.
_CLASS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
_NAMES = {"rnn": {"W_xh": "Wxh", "W_hh": "Whh", "b": "bias"}, "lstm": {"W_x": "Wx", "W_h": "Wh", "b": "bias"},
          "gru": {"W_x": "Wx", "W_h": "Wh", "b_x": "b", "b_hn": "bhn"}}


def _mx():
    return optional("mlx.core", "mlx", "mlx")


def versions_installed():
    return versions("mlx", "mlx-cpu")


class MlxRecurrent:
    """One mlx.nn recurrent layer on an unbatched sequence; gradients by ``mx.vjp``."""

    framework = "mlx"

    def __init__(self, kind, dtype):
        self.mx = _mx()
        self.nn = optional("mlx.nn", "mlx", "mlx")
        self.kind, self.dtype, self.row = kind, np.dtype(dtype), kinds.row(kind)
        self.reset = "after"                      # r multiplies (W_hn h + b_hn)
        self.param_set = "gru-bhn" if self.row.family == "gru" else "canonical"
        self.convention = CONVENTIONS[kind]
        self._mxdtype = {np.dtype(np.float64): self.mx.float64, np.dtype(np.float32): self.mx.float32}[self.dtype]
        act = f"({self.row.act})" if self.row.act else ""
        self.name = f"mlx.nn.{_CLASS[self.row.family]}{act}[{self.dtype.name}]"
        self._names = _NAMES[self.row.family]
        # the gated cells go through σ, i.e. mx.exp (the RNN's tanh is exact)
        self.differences = (FLOAT64_EXP,) if self.dtype == np.float64 and self.row.blocks > 1 else ()
        self._cache = {}

    def _module(self, H, D):
        if (H, D) not in self._cache:
            cls = getattr(self.nn, _CLASS[self.row.family])
            extra = {"nonlinearity": self.nn.relu} if self.row.act == "relu" else {}
            self._cache[(H, D)] = cls(D, H, **extra)
        return self._cache[(H, D)]

    def _a(self, v):
        return self.mx.array(np.asarray(v, dtype=self.dtype), dtype=self._mxdtype)

    def _sizes(self, params):
        W_h = params["W_hh" if "W_hh" in params else "W_h"]
        W_x = params["W_xh" if "W_xh" in params else "W_x"]
        return W_h.shape[1], W_x.shape[1]

    def _call(self, m, keys):
        """f(*native params, xs, *state0) -> outputs (hs[, c_T]): the module with those parameters, for mx.vjp."""
        def f(*args):
            n = len(keys)
            m.update({self._names[k]: a for k, a in zip(keys, args[:n])})
            xs, state0 = args[n], args[n + 1:]
            if self.row.n_state > 1:
                hs, cs = m(xs, state0[0], state0[1])
                return [hs, cs[-1]]
            return [m(xs, state0[0])]
        return f

    def forward(self, params, state0, xs):
        m = self._module(*self._sizes(params))
        keys = list(params)
        out = self._call(m, keys)(*[self._a(params[k]) for k in keys], self._a(xs), *[self._a(s) for s in state0])
        return tuple(np.array(o) for o in out)

    def step(self, params, state, x):
        out = self.forward(params, state, np.asarray(x)[None, :])
        return (out[0][0],) + tuple(out[1:])

    def vjp(self, params, state0, xs, cotangents):
        m = self._module(*self._sizes(params))
        keys = list(params)
        primals = [self._a(params[k]) for k in keys] + [self._a(xs)] + [self._a(s) for s in state0]
        _, grads = self.mx.vjp(self._call(m, keys), primals, [self._a(c) for c in cotangents])
        grads = [np.array(g) for g in grads]
        out = dict(zip(keys, grads))
        out["xs"] = grads[len(keys)]
        out.update(zip(self.row.state_keys, grads[len(keys) + 1:]))
        return out

    def param_count(self, H, D):
        from mlx.utils import tree_flatten
        return int(sum(v.size for _, v in tree_flatten(self._module(H, D).trainable_parameters())))


def builtins(dtypes=(np.float64, np.float32)):
    """Every MLX built-in, in each dtype: RNN (tanh, relu), LSTM, GRU."""
    return [MlxRecurrent(k, dt) for dt in dtypes for k in kinds.STACK_KINDS]
