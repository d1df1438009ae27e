"""The three faces of a function under check: NumPy with autograd, PyTorch, JAX.

Each adapter flattens the inputs into one float64 vector z and the outputs into one vector y, and gives
the engine what it needs: ``evaluate(z)`` (y in float64, run in float64 where the framework can, else in
the inputs' own dtype), ``vjp`` (the claimed reverse mode: cotangent of y -> gradient in z) and ``jvp``
(the claimed forward mode, or ``None`` with the reason it is not available). torch and jax are optional:
a missing one is a one-line :class:`GradcheckError` with the install command.
"""

import contextlib
import warnings

import numpy as np

__all__ = ["GradcheckError", "adapter", "FRAMEWORKS"]

FRAMEWORKS = ("numpy", "torch", "jax")


class GradcheckError(ValueError):
    """Bad input to :func:`vanishing.gradcheck`: the message is one line naming what was wrong."""


def _require(name):
    import importlib
    from vanishing import install_hint
    try:
        return importlib.import_module(name)
    except ImportError:
        raise GradcheckError(f"{name} is not installed; install it with: {install_hint(name)}") from None


def _kind(a):
    """'torch', 'jax' or 'numpy': the framework an input belongs to (without importing torch or jax)."""
    mod = type(a).__module__ or ""
    if mod.startswith("torch"):
        return "torch"
    if mod.startswith(("jax", "jaxlib")):
        return "jax"
    return "numpy"


def _as_numpy(k, a, kind):
    """Input ``k`` as a numpy array, after the checks every framework shares (float dtype, finite)."""
    if kind == "torch":
        a = a.detach().cpu()
        dt = str(a.dtype).replace("torch.", "")
        if dt not in ("float64", "float32"):
            raise GradcheckError(f"input {k}: dtype {dt}: expected float64 or float32 (an integer, bool, complex or "
                                 "half-precision input has no finite difference or tolerance table here)")
        a = a.numpy()
    else:
        a = np.asarray(a)
    if a.dtype not in (np.float64, np.float32):
        raise GradcheckError(f"input {k}: dtype {a.dtype}: expected float64 or float32 (an integer, bool, complex or "
                             "half-precision input has no finite difference or tolerance table here)")
    if not np.all(np.isfinite(a)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0]) if a.ndim else ()
        raise GradcheckError(f"input {k}: non-finite value {a[bad]!r} at index {bad}: a derivative needs finite inputs")
    return a


class _Adapter:
    """Flattening shared by the frameworks; subclasses define ``_call(arrays, dtype)``, ``_vjp`` and ``_jvp``."""

    name = "numpy"

    def __init__(self, f, inputs):
        if self.name != "numpy":                    # the framework module itself, or the one-line install hint
            setattr(self, self.name, _require(self.name))
        if not callable(f):
            raise GradcheckError(f"f: expected a callable, got {type(f).__name__}")
        if not inputs:
            raise GradcheckError("no inputs: pass the arrays to differentiate at, e.g. gradcheck(f, x, y)")
        self.f, self.raw = f, inputs
        arrays = [_as_numpy(k, a, _kind(a)) for k, a in enumerate(inputs)]
        self.shapes = [a.shape for a in arrays]
        self.dtypes = [a.dtype for a in arrays]
        self.sizes = [a.size for a in arrays]
        self.offsets = np.cumsum([0] + self.sizes)
        self.z0 = np.concatenate([a.astype(np.float64).ravel() for a in arrays]) if arrays else np.zeros(0)
        self.dtype = np.dtype(np.float32) if any(d == np.float32 for d in self.dtypes) else np.dtype(np.float64)
        self.out_shapes = None

    def split(self, z):
        """z (flat) -> the inputs' pieces (numpy, their shapes)."""
        return [np.asarray(z[self.offsets[k]:self.offsets[k + 1]]).reshape(s) for k, s in enumerate(self.shapes)]

    def locations(self, offsets, shapes, idx):
        """(block, index in it) of each flat index ``idx``, vectorised."""
        idx = np.asarray(idx)
        k = np.searchsorted(offsets, idx, side="right") - 1
        out = [None] * idx.size
        for b in np.unique(k).tolist():
            sel = np.flatnonzero(k == b)
            sub = np.unravel_index(idx[sel] - offsets[b], shapes[b]) if shapes[b] else ()
            for q, pos in enumerate(sel.tolist()):
                out[pos] = (b, tuple(int(a[q]) for a in sub))
        return out

    def _outputs(self, out):
        """The function's result as a list of outputs (an array, or a tuple/list of arrays)."""
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if not outs:
            raise GradcheckError("f returned an empty tuple: nothing to differentiate")
        return outs

    def evaluate_in(self, dtype):
        """y(z) as a flat float64 numpy vector, with the inputs cast to ``dtype`` before the call."""
        def F(z):
            outs = self._outputs(self._call(self.split(np.asarray(z, dtype=np.float64)), dtype))
            flat = [self._to_numpy(o) for o in outs]
            if self.out_shapes is None:
                self.out_shapes = [a.shape for a in flat]
                self.out_offsets = np.cumsum([0] + [a.size for a in flat])
            if len(flat) == 1:                       # the common case, without a concatenate
                return np.asarray(flat[0], dtype=np.float64).ravel()
            return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in flat])
        return F

    def _probe(self, fn, errors, what):
        """``(fn, None)`` if the JVP ``fn`` runs at z0, else ``(None, why)`` for the report."""
        try:
            fn(np.zeros_like(self.z0))
        except errors as e:
            return None, f"{what} is not available for f ({' '.join(str(e).split())[:160]})"
        return fn, None

    def fd_context(self):
        """The context the finite differences run in (torch: no autograd graph)."""
        return contextlib.nullcontext()

    def evaluate_many_in(self, dtype, F):
        """y on a stack of points (k, n) in one vectorised call (torch.func.vmap, jax.vmap), or None where f does not
        vectorise or its batched values differ from ``F``'s one by one (checked on two points)."""
        batched = self._batched(dtype)
        if batched is None:
            return None
        Z = np.stack([self.z0, self.z0 + 1e-3 * np.maximum(1.0, np.abs(self.z0))])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Y = np.asarray(batched(Z), dtype=np.float64)
        except Exception:      # an op or a custom Function without a batching rule: evaluate one by one
            return None
        ref = np.stack([F(z) for z in Z])
        if Y.shape != ref.shape or not np.allclose(Y, ref, rtol=64 * np.finfo(np.float64).eps, atol=0):
            return None
        return batched

    def _batched(self, dtype):
        return None

    def out_dtype(self, dtype):
        """The widest float dtype of f's outputs when called in ``dtype`` (None: none is floating)."""
        outs = self._outputs(self._call(self.split(self.z0), dtype))
        kinds = {str(self._to_numpy(o).dtype) for o in outs}
        for k, o in enumerate(outs):
            if not np.issubdtype(self._to_numpy(o).dtype, np.floating):
                raise GradcheckError(f"output {k}: dtype {self._to_numpy(o).dtype}: a gradient needs a floating output")
        return "float64" if "float64" in kinds else "float32"

    def cotangent_pieces(self, g):
        offs = self.out_offsets
        return [np.asarray(g[offs[k]:offs[k + 1]]).reshape(s) for k, s in enumerate(self.out_shapes)]


class NumpyAdapter(_Adapter):
    """NumPy functions written with ``autograd.numpy``: the claimed derivatives are autograd's."""

    name = "numpy"

    def _call(self, pieces, dtype):
        return self.f(*[p.astype(dtype) for p in pieces])

    @staticmethod
    def _to_numpy(o):
        return np.asarray(getattr(o, "_value", o))

    def _flat_fn(self):
        import autograd.numpy as anp

        def fl(z):
            pieces = [anp.reshape(z[self.offsets[k]:self.offsets[k + 1]], s) for k, s in enumerate(self.shapes)]
            outs = self._outputs(self.f(*pieces))
            return anp.concatenate([anp.ravel(o) for o in outs])
        return fl

    def vjp(self):
        import autograd
        z = self.z0.astype(self.dtype)
        with warnings.catch_warnings():      # "Output seems independent of input": we say so ourselves, on one line
            warnings.simplefilter("ignore")
            with np.errstate(over="ignore"):
                fn, _ = autograd.make_vjp(self._flat_fn())(z)
        def vjp(g):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray(fn(np.asarray(g, dtype=self.dtype)), dtype=np.float64)
        return vjp

    def jvp(self):
        from autograd import make_jvp
        fj = make_jvp(self._flat_fn())(self.z0.astype(self.dtype))
        def fn(t):
            with warnings.catch_warnings():    # "Output seems independent of input": said on one line, by gradcheck
                warnings.simplefilter("ignore")
                return np.asarray(fj(np.asarray(t, dtype=self.dtype))[1], dtype=np.float64)
        return self._probe(fn, (NotImplementedError,), "autograd forward mode")   # a primitive with a VJP and no JVP


class TorchAdapter(_Adapter):
    """PyTorch functions: the claimed derivatives are torch.autograd's (a custom ``autograd.Function`` included)."""

    name = "torch"

    def _tensors(self, pieces, dtype):
        t = self.torch
        return [t.from_numpy(np.array(p, dtype=dtype, order="C")) for p in pieces]

    def _call(self, pieces, dtype):
        if not self.torch.is_grad_enabled():        # inside fd_context: no context to enter per evaluation
            return self.f(*self._tensors(pieces, dtype))
        with self.torch.no_grad():
            return self.f(*self._tensors(pieces, dtype))

    def fd_context(self):
        return self.torch.no_grad()

    def _batched(self, dtype):
        t = self.torch
        from torch.func import vmap

        def one(zrow):
            pieces = [zrow[a:b].reshape(s) for a, b, s in zip(self.offsets[:-1], self.offsets[1:], self.shapes)]
            outs = self._outputs(self.f(*pieces))
            return t.cat([o.reshape(-1).to(t.float64) for o in outs])
        vf = vmap(one)

        def batched(Z):
            with t.no_grad():
                return vf(t.from_numpy(np.array(Z, dtype=dtype, order="C"))).numpy()
        return batched

    def _to_numpy(self, o):
        if isinstance(o, self.torch.Tensor):
            return o.detach().cpu().numpy() if o.dtype != self.torch.bfloat16 else o.detach().float().numpy()
        return np.asarray(o)

    def vjp(self):
        t = self.torch
        xs = [x.requires_grad_(True) for x in self._tensors(self.split(self.z0), self.dtype)]
        with t.enable_grad():
            outs = self._outputs(self.f(*xs))
        live = [o for o in outs if isinstance(o, t.Tensor) and o.requires_grad]
        if not live:
            raise GradcheckError("f's outputs do not depend on its inputs (no output requires grad): nothing to check")

        def fn(g):
            gs = [t.from_numpy(np.array(p, dtype=self.dtype, order="C")) for p in self.cotangent_pieces(g)]
            pairs = [(o, c) for o, c in zip(outs, gs) if isinstance(o, t.Tensor) and o.requires_grad]
            grads = t.autograd.grad([o for o, _ in pairs], xs, [c.to(o.dtype) for o, c in pairs], retain_graph=True,
                                    allow_unused=True)
            return np.concatenate([np.zeros(x.numel()) if d is None else d.detach().double().numpy().ravel()
                                   for x, d in zip(xs, grads)])
        return fn

    def jvp(self):
        t = self.torch
        import torch.autograd.forward_ad as fwAD
        xs = self._tensors(self.split(self.z0), self.dtype)

        def fn(v):
            # torch loads its forward-AD decompositions on the first make_dual, through torch.jit.script: torch's own
            # DeprecationWarning, nothing the user's f did
            with warnings.catch_warnings(), fwAD.dual_level():
                warnings.simplefilter("ignore", DeprecationWarning)
                duals = [fwAD.make_dual(x, tt) for x, tt in zip(xs, self._tensors(self.split(v), self.dtype))]
                outs = self._outputs(self.f(*duals))
                tans = [fwAD.unpack_dual(o).tangent for o in outs]
            return np.concatenate([np.zeros(o.numel()) if d is None else d.detach().double().numpy().ravel()
                                   for o, d in zip(outs, tans)])
        # a custom Function without jvp, an op without forward AD
        return self._probe(fn, (RuntimeError, NotImplementedError), "torch forward-mode AD")


class JaxAdapter(_Adapter):
    """JAX functions: the claimed derivatives are ``jax.vjp`` and ``jax.jvp`` (a ``custom_vjp``/``custom_jvp`` included)."""

    name = "jax"

    def x64(self, dtype):
        """float64 arrays exist in JAX only with x64 enabled: enable it for a float64 call, leave the user's setting otherwise."""
        return self.jax.enable_x64(True) if np.dtype(dtype) == np.float64 else contextlib.nullcontext()

    def _call(self, pieces, dtype):
        import jax.numpy as jnp
        with self.x64(dtype):
            out = self.f(*[jnp.asarray(p, dtype=dtype) for p in pieces])
            return [np.asarray(o) for o in self._outputs(out)]

    @staticmethod
    def _to_numpy(o):
        return np.asarray(o)

    def _batched(self, dtype):
        import jax.numpy as jnp
        with self.x64(dtype):
            def one(zrow):
                pieces = [jnp.reshape(zrow[a:b], s) for a, b, s in zip(self.offsets[:-1], self.offsets[1:], self.shapes)]
                return jnp.concatenate([jnp.ravel(o).astype(zrow.dtype) for o in self._outputs(self.f(*pieces))])
            vf = self.jax.jit(self.jax.vmap(one))

        def batched(Z):
            with self.x64(dtype):
                return np.asarray(vf(jnp.asarray(np.asarray(Z), dtype=dtype)))
        return batched

    def _flat(self):
        import jax.numpy as jnp

        def fl(*xs):
            return jnp.concatenate([jnp.ravel(o) for o in self._outputs(self.f(*xs))])
        return fl

    def vjp(self):
        import jax.numpy as jnp
        with self.x64(self.dtype):
            xs = [jnp.asarray(p, dtype=self.dtype) for p in self.split(self.z0)]
            _, fn = self.jax.vjp(self._flat(), *xs)

        def vjp(g):
            with self.x64(self.dtype):
                out = fn(jnp.asarray(g, dtype=self.dtype))
                return np.concatenate([np.asarray(d, dtype=np.float64).ravel() for d in out])
        return vjp

    def jvp(self):
        import jax.numpy as jnp
        with self.x64(self.dtype):
            xs = [jnp.asarray(p, dtype=self.dtype) for p in self.split(self.z0)]
            zero = [jnp.zeros_like(x) for x in xs]
            try:
                self.jax.jvp(self._flat(), xs, zero)
            except Exception as e:   # a custom_vjp function has no forward mode
                return None, f"jax forward mode is not available for f ({type(e).__name__}: {' '.join(str(e).split())[:160]})"
            _, lin = self.jax.linearize(self._flat(), *xs)

        def jvp(v):
            with self.x64(self.dtype):
                return np.asarray(lin(*[jnp.asarray(p, dtype=self.dtype) for p in self.split(v)]), dtype=np.float64)
        return jvp, None


_ADAPTERS = {"numpy": NumpyAdapter, "torch": TorchAdapter, "jax": JaxAdapter}


def adapter(f, inputs, framework=None):
    """The adapter for ``f`` at ``inputs``: ``framework`` if given, else the framework the inputs belong to."""
    kinds = {_kind(a) for a in inputs}
    if framework is None:
        if len(kinds - {"numpy"}) > 1:
            raise GradcheckError(f"inputs mix frameworks ({', '.join(sorted(kinds))}): pass framework=")
        framework = next(iter(kinds - {"numpy"}), "numpy")
    if framework not in _ADAPTERS:
        raise GradcheckError(f"framework {framework!r}: expected one of {', '.join(FRAMEWORKS)}")
    return _ADAPTERS[framework](f, inputs)
