"""Input validation shared by every public model function.

A bad call raises ``ValueError`` naming the parameter, the expected shape and
the shape received; non-finite inputs are rejected instead of propagating NaN.

Validation belongs at the public boundary, not in inner loops. There is one way to skip it,
:func:`validated_once`: a caller that evaluates one validated function many times at nearby
points (the finite-difference stencils of ``vanishing.checks.oracles``) runs those evaluations
inside it, and a model's per-step calls go through :func:`unvalidated` functions, which run
inside it (``activations.get_activation(name, kernels=True)``).
"""

import contextlib
import contextvars
import functools

import numpy as onp

__all__ = ["as_array", "check_params", "check_choice", "check_init", "check_layout", "plain_dict", "validated_once", "unvalidated"]

_VALIDATED = contextvars.ContextVar("vanishing_inputs_validated", default=False)


@contextlib.contextmanager
def validated_once():
    """``with validated_once():`` as_array passes a float ndarray through without its shape and finiteness checks.

    For re-evaluating a function whose arguments were validated by a first call at the same shapes:
    a finite-difference stencil moves one finite coordinate by a finite step, so nothing the checks
    look at can change. An autograd box of a float ndarray passes through too (a model's intermediate,
    being differentiated); anything else (lists, scalars, integer or non-float arrays) is still
    converted and checked in full.
    """
    token = _VALIDATED.set(True)
    try:
        yield
    finally:
        _VALIDATED.reset(token)


def unvalidated(fn):
    """``fn`` evaluated inside :func:`validated_once`: for the arrays a model's public entry point already validated."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if _VALIDATED.get():
            return fn(*args, **kwargs)
        token = _VALIDATED.set(True)
        try:
            return fn(*args, **kwargs)
        finally:
            _VALIDATED.reset(token)
    return run


_FLOAT_KINDS = "f"


def as_array(name, value, shape=None, finite=True, ndim=None):
    """Return ``value`` as a float ndarray, validating shape, dtype and finiteness.

    ``shape`` is a tuple whose entries are ints or ``None`` (any size).
    autograd ArrayBoxes pass through unchanged after the shape check, so the
    validated functions stay differentiable. Every public model function calls this
    on every argument, so the common case (a plain float ndarray) takes the shortest
    path: no conversion, one ``isfinite`` pass and the ``ndarray.all`` method (``numpy.all``
    costs twice as much); inside :func:`validated_once`, no check at all.
    """
    if type(value) is onp.ndarray and value.dtype.kind == "f":
        if _VALIDATED.get():
            return value
        arr, raw = value, None
    else:
        raw = getattr(value, "_value", None)  # autograd ArrayBox: check the boxed value
        probe = value if raw is None else raw
        while getattr(probe, "_value", None) is not None:  # nested boxes (higher order)
            probe = probe._value
        if raw is not None and type(probe) is onp.ndarray and probe.dtype.kind == "f" and _VALIDATED.get():
            return value
        arr = onp.asarray(probe)
        if arr.dtype.kind not in _FLOAT_KINDS:
            if arr.dtype.kind in "iu":
                arr = arr.astype(onp.float64)
            else:
                raise ValueError(f"{name}: expected a real floating-point array, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None:
        want = tuple(shape)
        ok = arr.ndim == len(want) and all(w is None or w == s for w, s in zip(want, arr.shape))
        if not ok:
            shown = "(" + ", ".join("*" if w is None else str(w) for w in want) + ("," if len(want) == 1 else "") + ")"
            raise ValueError(f"{name}: expected shape {shown}, got shape {arr.shape}")
    if finite and not onp.isfinite(arr).all():
        bad = int(onp.size(arr) - onp.count_nonzero(onp.isfinite(arr)))
        raise ValueError(f"{name}: expected finite values, got {bad} non-finite entr{'y' if bad == 1 else 'ies'}")
    return arr if raw is None else value


def plain_dict(params):
    """An autograd DictBox (a params dict being differentiated) as a plain dict of boxed arrays."""
    inner = getattr(params, "_value", None)
    if isinstance(inner, dict):
        return {k: params[k] for k in inner}
    return params


def check_params(name, params, shapes, finite=True):
    """Validate a parameter dict against ``{key: shape}``; returns a dict of arrays.

    Missing and unexpected keys are both errors, named in the message. ``finite=False``
    checks only keys, dtypes and shapes (a first pass that reads the sizes).
    """
    inner = getattr(params, "_value", None)      # an autograd DictBox when differentiating w.r.t. params
    if isinstance(inner, dict):
        missing = sorted(set(shapes) - set(inner))
        extra = sorted(set(inner) - set(shapes))
        if missing or extra:
            raise ValueError(f"{name}: expected keys {sorted(shapes)}; missing {missing}, unexpected {extra}")
        return {k: as_array(f"{name}[{k!r}]", params[k], shapes[k], finite=finite) for k in shapes}
    if not isinstance(params, dict):
        raise ValueError(f"{name}: expected a dict of arrays with keys {sorted(shapes)}, got {type(params).__name__}")
    missing = sorted(set(shapes) - set(params))
    extra = sorted(set(params) - set(shapes))
    if missing or extra:
        raise ValueError(f"{name}: expected keys {sorted(shapes)}; missing {missing}, unexpected {extra}")
    return {k: as_array(f"{name}[{k!r}]", params[k], shapes[k], finite=finite) for k in shapes}


def check_layout(params, key, layout):
    """Validate ``params`` against ``layout(rows, cols)``, the sizes read from the matrix ``params[key]``; returns (params, (rows, cols)).

    The sizes are (None, None) when ``key`` is missing, so that check_params names the missing keys.
    """
    params = plain_dict(params)
    shape = (None, None)
    if isinstance(params, dict) and key in params:
        shape = as_array(f"params[{key!r}]", params[key], ndim=2, finite=False).shape
    return check_params("params", params, layout(*shape)), shape


def check_choice(name, value, choices):
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}: expected one of {list(choices)}, got {value!r}")
    return value


def check_init(rng, scale):
    """``scale`` as a float >= 0, after checking that ``rng`` is a numpy Generator: the arguments every init_params takes."""
    if not isinstance(rng, onp.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")  # noqa: TRY004 (DESIGN.md: a bad call raises ValueError)
    scale = float(as_array("scale", scale, shape=()))
    if scale < 0:
        raise ValueError(f"scale: expected a finite value >= 0, got {scale}")
    return scale
