"""What the JAX built-ins share (``vanishing validate flax | equinox | haiku``): one cell, differentiated by ``jax.vjp``.

A subclass says how the validator's parameters (its declared ``param_set``, see
``vanishing.models.layouts.PARAM_SETS``) become the framework's own parameter pytree
(:meth:`JaxCell._to_fw`), how a gradient pytree comes back (:meth:`JaxCell._from_fw`: the same
permutations and transposes, since the map is linear and exact), and how the framework's
module computes one step (:meth:`JaxCell._step`). One step with its VJP is ``jax.jit``-compiled
once per hidden size H (an eager step through ``nnx.merge`` or ``hk.transform`` costs
milliseconds, a compilation about a second): the inputs are zero-padded to D = max(D, 3)
columns, with zero kernel rows, so one compiled step serves every D (the extra products are
exact zeros, which change no bit of a sum but the sign of a zero result);
the sequence is unrolled in Python, and the gradient is the chain of the per-step
``jax.vjp`` pullbacks (backpropagation through time over the framework's own autodiff:
every derivative of the cell comes from JAX, only the sum over steps is ours).

float64: JAX computes in float32 unless x64 is enabled, and the switch is global to the
process. The float64 adapters enable it only inside each call, with the scoped context
``jax.enable_x64(True)`` (a thread-local configuration state restored on exit;
``tests/conformance/test_frameworks.py`` checks that nothing leaks into the caller).

A *textbook* variant (``textbook="<difference>"``) maps the parameters without one part of the
adapter's documented convention map, as if the framework followed the canonical equations
there: where the framework differs, that variant fails and the diagnosis names the difference
(a mutant reproduces it). ``matrix.py`` records those confirmations.
"""

import numpy as np

from vanishing.checks.conformance.frameworks import optional, versions
from vanishing.models import kinds

__all__ = ["JaxCell", "jax_module"]


def jax_module(extra="jax"):
    """``jax``, or AdapterError naming the optional extra to install."""
    return optional("jax", "jax", extra)


class JaxCell:
    """One recurrent cell of a JAX framework, unrolled over the sequence, gradients by ``jax.vjp``."""

    framework = ""
    flushes_subnormals = True   # XLA on CPU flushes subnormal results to zero (eager operations, parts of compiled code)
    convention = ""        # how the framework's cell differs from the canonical layout and equations (the matrix shows it)
    differences = ()       # ((mutant name, what differs, claim IDs touched), ...): confirmed by the textbook variant

    def __init__(self, kind, dtype, reset="after", param_set="canonical", name="", textbook=None):
        self.jax = jax_module(self.extra)
        self.kind, self.dtype, self.reset, self.param_set = kind, np.dtype(dtype), reset, param_set
        self.textbook = textbook
        self.name = name + (f"[textbook {textbook}, {self.dtype.name}]" if textbook else f"[{self.dtype.name}]")
        self._cache = {}

    extra = "jax"          # vanishing's optional extra that installs the framework
    module = ""            # the framework's module ("equinox", "flax.nnx", "haiku") and its distribution's name
    dist = ""

    @classmethod
    def framework_module(cls):
        """The framework's module, or AdapterError naming the optional extra to install."""
        return optional(cls.module, cls.dist, cls.extra, needs_jax=True)

    @classmethod
    def versions_installed(cls):
        """{distribution: version} of the framework and of jax, jaxlib (the conformance matrix shows them)."""
        return versions(cls.dist, "jax", "jaxlib")

    # ---------------------------------------------------------------- subclass interface
    def _build(self, H, D):
        """Whatever :meth:`_step` needs that does not depend on the parameter values (a module, a transform)."""
        return None

    def _to_fw(self, params, H, D):
        raise NotImplementedError

    def _from_fw(self, grads, H, D):
        raise NotImplementedError

    def _step(self, built, fw, state, x):
        raise NotImplementedError

    # ---------------------------------------------------------------- the protocol
    def _x64(self):
        return self.jax.enable_x64(self.dtype == np.float64)

    def _sizes(self, params):
        W_x = params["W_x" if "W_x" in params else "W_xh"]
        W_h = params["W_h" if "W_h" in params else "W_hh"]
        return W_h.shape[1], W_x.shape[1]

    def _built(self, H, D):
        if (H, D) not in self._cache:
            self._cache[(H, D)] = self._build(H, D)
        return self._cache[(H, D)]

    def _arr(self, a):
        return self.jax.numpy.asarray(np.asarray(a, dtype=self.dtype))

    PAD_D = 3

    def _compiled(self, H, D):
        """One jitted function for these sizes: step(fw, s, x, ds') → (s', (dfw, ds, dx)), the step and its VJP."""
        key = ("jit", H, D)
        if key not in self._cache:
            built, jax = self._built(H, D), self.jax

            def step(fw, s, x):
                return tuple(self._step(built, fw, s, x))

            def step_vjp(fw, s, x, ds):
                out, pull = jax.vjp(step, fw, s, x)
                return out, pull(ds)
            self._cache[key] = jax.jit(step_vjp)
        return self._cache[key]

    def _padded(self, params, xs):
        """(params, xs, H, D, Dp): W_x (or W_xh) and xs padded with zero columns to Dp = max(D, PAD_D)."""
        H, D = self._sizes(params)
        Dp = max(D, self.PAD_D)
        P = {k: (np.pad(np.asarray(v), ((0, 0), (0, Dp - D))) if k in ("W_x", "W_xh") else v) for k, v in params.items()}
        return P, np.pad(np.asarray(xs), ((0, 0), (0, Dp - D))), H, D, Dp

    def _states(self, fn, fw, state0, xs):
        zeros = tuple(self.jax.numpy.zeros_like(s) for s in state0)
        states = [tuple(state0)]
        for t in range(xs.shape[0]):
            states.append(fn(fw, states[-1], xs[t], zeros)[0])
        return states

    def step(self, params, state, x):
        out = self.forward(params, state, np.asarray(x)[None, :])
        return (out[0][0],) + tuple(out[1:])

    def forward(self, params, state0, xs):
        params, xs, H, _, D = self._padded(params, xs)
        with self._x64():
            fn = self._compiled(H, D)
            fw = self.jax.tree_util.tree_map(self._arr, self._to_fw(params, H, D))
            states = self._states(fn, fw, tuple(self._arr(s) for s in state0), self._arr(xs))
            hs = np.stack([np.asarray(s[0]) for s in states[1:]])
            return (hs,) + tuple(np.asarray(s) for s in states[-1][1:])   # then the final cell state, if any

    def vjp(self, params, state0, xs, cotangents):
        params, xs, H, D0, D = self._padded(params, xs)
        tree = self.jax.tree_util
        with self._x64():
            fn = self._compiled(H, D)
            fw = tree.tree_map(self._arr, self._to_fw(params, H, D))
            xs_j = self._arr(xs)
            states = self._states(fn, fw, tuple(self._arr(s) for s in state0), xs_j)
            T = xs.shape[0]
            ds = [np.zeros(H, dtype=self.dtype) for _ in states[0]]
            for i in range(1, len(ds)):   # a final cell state's cotangent (c_T)
                ds[i] = np.asarray(cotangents[i], dtype=self.dtype)
            gfw, gxs = None, np.zeros(np.shape(xs), dtype=self.dtype)
            for t in range(T - 1, -1, -1):
                ds[0] = ds[0] + np.asarray(cotangents[0][t], dtype=self.dtype)
                g, g_prev, gx = fn(fw, states[t], xs_j[t], tuple(self._arr(d) for d in ds))[1]
                gfw = g if gfw is None else tree.tree_map(lambda a, b: a + b, gfw, g)
                gxs[t] = np.asarray(gx)
                ds = [np.asarray(d) for d in g_prev]
            out = self._from_fw(tree.tree_map(np.asarray, gfw), H, D)
            out = {k: np.asarray(v[:, :D0] if k in ("W_x", "W_xh") else v, dtype=self.dtype) for k, v in out.items()}
            out["xs"] = gxs[:, :D0]
            for k, g in zip(kinds.row(self.kind).state_keys, ds):
                out[k] = np.asarray(g, dtype=self.dtype)
            return out

    def param_count(self, H, D):
        return int(sum(np.size(v) for v in self.jax.tree_util.tree_leaves(self._to_fw(self._zeros(H, D), H, D))))

    def _zeros(self, H, D):
        from vanishing.checks.conformance.protocol import param_shapes
        return {k: np.zeros(s) for k, s in param_shapes(self.kind, H, D, self.param_set).items()}
