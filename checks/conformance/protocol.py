"""The adapter protocol: how any RNN/LSTM/GRU cell or clipping function plugs into ``vanishing validate``.

An *adapter* is any object with these attributes (duck-typed; no base class needed).
Parameters are always given in the canonical layout (keys and shapes: :func:`param_shapes`; convert with
``vanishing.models.layouts.to_torch / to_keras``), as NumPy arrays of the adapter's dtype.

Declarations
    ``kind``: ``"rnn-tanh"``, ``"rnn-relu"``, ``"lstm"``, ``"lstm-peephole"``, ``"gru"`` or
    ``"clip"`` (an adapter that only clips gradients).
    ``reset``: ``"after"`` (PyTorch, Keras ``reset_after=True``) or ``"before"`` (Cho et al.
    2014); required when kind is ``"gru"``.
    ``dtype``: ``numpy.float64`` or ``numpy.float32`` (or their names).
    ``name`` (optional): shown in reports.
    ``param_set`` (optional, default ``"canonical"``): the implementation's *native* parameter set, one of
    ``vanishing.models.layouts.PARAM_SETS``: ``"two-biases"`` (PyTorch's RNN/LSTM: ``b_x``, ``b_h`` instead of
    ``b``), ``"one-bias"`` (a GRU with one bias), ``"gru-bhn"`` (a GRU with ``b_x`` and ``b_hn`` only). The
    validator then draws and passes exactly those keys, every one independently and non-zero, and expects
    the gradient w.r.t. each of them; the reference runs on the documented map to the canonical layout.

Cells (every kind but ``"clip"``). A *state* is ``(h,)`` or, for an LSTM, ``(h, c)``: a tuple of (H,) arrays.
    ``step(params, state, x) -> state'``: one step, x of shape (D,).
    ``forward(params, state0, xs) -> outputs``: the whole sequence xs (T, D); outputs is
    ``(hs,)`` with hs (T, H) holding h_1..h_T, or for an LSTM ``(hs, c_T)`` with the final cell c_T (H,).
    ``vjp(params, state0, xs, cotangents) -> dict``: the gradient of Σ⟨outputs, cotangents⟩
    (cotangents shaped like outputs), computed *by the implementation's own means* (its
    autodiff or its hand-written backward), w.r.t. every canonical parameter key, ``"xs"``
    (T, D), ``"h0"`` (H,) and, for an LSTM, ``"c0"`` (H,).
    ``param_count(H, D) -> int`` (optional): how many trainable scalars the implementation holds.
    ``flushes_subnormals`` (optional, default False): the implementation returns 0 for results below the
    smallest normal number (XLA on CPU), or computes them with an absolute error up to it (onnxruntime's tanh);
    values are then compared with an extra absolute floor tiny(dtype).

Forward-only adapters (an inference runtime such as onnxruntime has no gradients)
    ``gradients = False`` (optional, default True) declares it: ``vjp`` is then not needed, a stack's ``run``
    returns ``(outputs, None)``, and every check that needs the implementation's gradients is reported with
    status "n/a" (*does not apply*: never counted as passed, never as failed); the forward checks still run.

Clipping (optional on any adapter; the whole point of kind ``"clip"``).
    ``clip_grad_norm(grads, max_norm) -> (clipped, total_norm)``: claims to clip a list of arrays by
    their *global* norm and to return the norm before clipping. ``clip_eps`` (optional, default 0)
    declares the ε of ``coef = min(1, max_norm/(‖g‖ + ε))`` (PyTorch: 1e-6).
    ``clip_grad_value(grads, clip_value) -> clipped``: claims to clamp every entry to [−v, v].

Stacks (kind ``"stack"``: a multi-layer, possibly bidirectional module on a batch, checked against
``vanishing.models.stacked``). ``cell``: the cell kind of every layer (``rnn-tanh``, ``rnn-relu``, ``lstm``,
``gru``); ``config``: {"num_layers", "bidirectional", "batch_first", "proj_size" (LSTM; 0 for none)}.
    ``param_shapes(H, D) -> [(name, shape), ...]``: the module's parameters in their own order
    (per layer, per direction: weight_ih, weight_hh, bias_ih, bias_hh[, weight_hr]; PyTorch's).
    ``run(params, xs, h0, c0, cotangents) -> (outputs, grads)``: params a list in that order, xs
    (B, T, D) or (T, B, D) per ``batch_first``, h0 (L·dirs, B, H_out), c0 (LSTM) or None; outputs
    ``(output, h_n[, c_n])``; grads {name: ..., "xs", "h0"[, "c0"]} of Σ⟨outputs, cotangents⟩ by the
    implementation's own autodiff.

Every returned array must have the declared dtype and shape and be finite; the
runner checks this and reports a broken adapter in one line. An adapter must also leave its
arguments unchanged (each call gets its own copies, compared with the originals afterwards), return
the same values for the same call (the smoke test calls every method twice), and return within
``call_timeout`` seconds (:mod:`vanishing.checks.conformance.timeouts`). An adapter whose calls legitimately take
longer may declare ``call_timeout`` (seconds, > 0) itself, e.g. one that compiles or exports a model on a new size;
``--call-timeout`` on the command line overrides it.
"""

import numpy as np

from vanishing.checks.conformance import timeouts
from vanishing.models import kinds, layouts

__all__ = [
    "CELL_KINDS",
    "KINDS",
    "AdapterError",
    "AdapterInfo",
    "CallError",
    "CallTimeout",
    "Run",
    "call_clip_norm",
    "call_clip_value",
    "call_forward",
    "call_param_count",
    "call_stack",
    "call_step",
    "call_vjp",
    "describe",
    "param_keys",
    "param_shapes",
]

CELL_KINDS = kinds.CELL_KINDS
KINDS = CELL_KINDS + ("clip", "stack")
_DTYPES = {np.dtype(np.float64): "float64", np.dtype(np.float32): "float32"}


class AdapterError(Exception):
    """A broken adapter or a bad adapter spec: one line for the user, exit status 2."""


class CallError(AdapterError):
    """An adapter call that raised or returned something malformed (on one input).

    ``fault`` names what happened: "raised", "shape", "dtype", "non-finite", "mutated" (wrote to its arguments),
    "nondeterministic", "timeout" or "malformed" (not an array, a wrong structure)."""

    def __init__(self, msg, fault="malformed"):
        super().__init__(msg)
        self.fault = fault


class CallTimeout(CallError):
    """An adapter call that did not return within ``run.call_timeout`` seconds: the adapter is not called again."""

    def __init__(self, method, what, seconds):
        super().__init__(what, fault="timeout")
        self.method, self.seconds = method, seconds


class AdapterInfo:
    """A validated adapter: its declarations, normalised, and the object itself."""

    def __init__(self, obj, origin="", index=0):
        self.obj, self.origin, self.index = obj, origin, index
        kind = getattr(obj, "kind", None)
        label = getattr(obj, "name", None) or f"{type(obj).__name__}#{index}"
        if kind not in KINDS:
            raise AdapterError(f"adapter {label}: kind must be one of {', '.join(KINDS)}; got {kind!r}")
        self.kind = kind
        self.reset = getattr(obj, "reset", None)
        self.row = kinds.row(kind) if kind in CELL_KINDS else None   # the kind's row (models/kinds.py); None: clip, stack
        if kind == "stack":
            self.cell, self.config = getattr(obj, "cell", None), dict(getattr(obj, "config", None) or {})
            if self.cell not in kinds.STACK_KINDS:
                raise AdapterError(f"adapter {label}: a stack adapter must declare cell, one of {', '.join(kinds.STACK_KINDS)}; "
                                   f"got {self.cell!r}")
        if self.has_reset and self.reset not in ("after", "before"):
            raise AdapterError(f"adapter {label}: a {kind} adapter must declare reset = 'after' (PyTorch) or 'before' (Cho 2014); "
                               f"got {self.reset!r}")
        if not self.has_reset:
            self.reset = "after"
        try:
            self.dtype = np.dtype(getattr(obj, "dtype", None))
        except TypeError:
            self.dtype = None
        if self.dtype not in _DTYPES:
            raise AdapterError(f"adapter {label}: dtype must be float64 or float32; got {getattr(obj, 'dtype', None)!r}")
        self.name = getattr(obj, "name", None) or f"{type(obj).__name__}[{kind}, {_DTYPES[self.dtype]}]"
        pset = getattr(obj, "param_set", "canonical") or "canonical"
        if pset not in layouts.PARAM_SETS:
            raise AdapterError(f"adapter {self.name}: param_set must be one of {', '.join(layouts.PARAM_SETS)}; got {pset!r}")
        if kind in CELL_KINDS and kind not in layouts.PARAM_SETS[pset].kinds:
            raise AdapterError(f"adapter {self.name}: param_set {pset!r} applies to {', '.join(layouts.PARAM_SETS[pset].kinds)}, "
                               f"not to kind {kind!r}")
        self.param_set = pset
        self.gradients = getattr(obj, "gradients", True)
        if not isinstance(self.gradients, (bool, np.bool_)):
            raise AdapterError(f"adapter {self.name}: gradients must be True or False (False: a forward-only adapter); "
                               f"got {self.gradients!r}")
        self.gradients = bool(self.gradients)
        cell_need = ("step", "forward", "vjp") if self.gradients else ("step", "forward")
        need = cell_need if kind in CELL_KINDS else ("run", "param_shapes") if kind == "stack" else ()
        missing = [m for m in need if not callable(getattr(obj, m, None))]
        if kind == "clip" and not (callable(getattr(obj, "clip_grad_norm", None)) or callable(getattr(obj, "clip_grad_value", None))):
            missing.append("clip_grad_norm or clip_grad_value")
        if missing:
            from vanishing import documentation
            raise AdapterError(f"adapter {self.name}: missing method(s) {', '.join(missing)} "
                               f"(the protocol: {documentation('VALIDATE.md', module=__name__)})")
        self.has_clip_norm = callable(getattr(obj, "clip_grad_norm", None))
        self.has_clip_value = callable(getattr(obj, "clip_grad_value", None))
        self.has_param_count = callable(getattr(obj, "param_count", None))
        self.flushes_subnormals = bool(getattr(obj, "flushes_subnormals", False))
        limit = getattr(obj, "call_timeout", None)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit < float("inf")):
            raise AdapterError(f"adapter {self.name}: call_timeout must be a number of seconds > 0; got {limit!r}")
        self.call_timeout = None if limit is None else float(limit)
        eps = getattr(obj, "clip_eps", 0.0)
        try:
            self.clip_eps = float(eps)
        except (TypeError, ValueError):
            raise AdapterError(f"adapter {self.name}: clip_eps must be a number >= 0; got {eps!r}") from None
        if not self.clip_eps >= 0:
            raise AdapterError(f"adapter {self.name}: clip_eps must be a number >= 0; got {eps!r}")

    @property
    def dtype_name(self):
        return _DTYPES[self.dtype]

    @property
    def is_cell(self):
        return self.row is not None

    @property
    def has_reset(self):
        """Whether the reset convention is part of the declaration (the row's ``has_reset``: a GRU)."""
        return self.row is not None and self.row.has_reset

    def to_dict(self):
        return {"name": self.name, "kind": self.kind, "reset": self.reset if self.has_reset else None,
                "dtype": self.dtype_name, "param_set": self.param_set, "gradients": self.gradients, "origin": self.origin}


class Run:
    """One validation of an adapter: its declaration (``info``) and the run's state, which only the run writes.

    ``call_timeout``: seconds allowed per adapter call (0: no limit); ``timed_out``: the first call that timed out,
    in words (the adapter is not called again); ``timed_out_case``: the check's case it timed out on."""

    def __init__(self, info, call_timeout=None):
        self.info = info
        if call_timeout is None:   # the adapter's own declaration, else the default
            call_timeout = getattr(info, "call_timeout", None) or timeouts.CALL_TIMEOUT
        self.call_timeout = float(call_timeout)
        self.timed_out = ""
        self.timed_out_case = None


def describe(info):
    """'torch.nn.LSTMCell [lstm, float32]'."""
    extra = f", reset={info.reset}" if info.has_reset else ""
    if getattr(info, "param_set", "canonical") != "canonical":
        extra += f", params={info.param_set}"
    if not getattr(info, "gradients", True):
        extra += ", forward only"
    return f"{info.name} [{info.kind}{extra}, {info.dtype_name}]"


def param_keys(kind, pset="canonical"):
    """Parameter keys of a cell kind in a parameter set (canonical by default)."""
    return tuple(param_shapes(kind, 1, 1, pset))


def param_shapes(kind, H, D, pset="canonical"):
    """{key: shape} of the parameters (canonical: docs/DESIGN.md; others: ``layouts.PARAM_SETS``)."""
    return layouts.param_set(pset).shapes(kind, H, D)


#: The names of each method's arguments, for the reports.
_ARGS = {"step": ("params", "state", "x"), "forward": ("params", "state0", "xs"),
         "vjp": ("params", "state0", "xs", "cotangents"), "clip_grad_norm": ("grads", "max_norm"),
         "clip_grad_value": ("grads", "clip_value"), "run": ("params", "xs", "h0", "c0", "cotangents"),
         "param_count": ("H", "D")}


def _snapshot(label, value, out):
    """Record every array and container in ``value`` (with a pristine copy of each array) for :func:`_mutation`."""
    if isinstance(value, np.ndarray):
        out.append((label, value, value.copy()))
    elif isinstance(value, dict):
        out.append((label, value, [(k, id(v)) for k, v in value.items()]))
        for k, v in value.items():
            _snapshot(f"{label}[{k!r}]", v, out)
    elif isinstance(value, (list, tuple)):
        if isinstance(value, list):
            out.append((label, value, [id(v) for v in value]))
        for i, v in enumerate(value):
            _snapshot(f"{label}[{i}]", v, out)


def _mutation(snap):
    """What the call changed in its arguments, in one phrase (None: nothing)."""
    for label, obj, before in snap:
        if isinstance(obj, np.ndarray):
            if obj.shape != before.shape or not np.array_equal(obj, before, equal_nan=True):
                same = obj.shape == before.shape
                n = int(np.count_nonzero(~((obj == before) | (np.isnan(obj) & np.isnan(before))))) if same else obj.size
                return f"the array {label} ({n} of {before.size} entr{'y' if before.size == 1 else 'ies'} changed)"
        elif isinstance(obj, dict):
            if [(k, id(v)) for k, v in obj.items()] != before:
                return f"the dict {label} (entries replaced, added or removed)"
        elif [id(v) for v in obj] != before:
            return f"the list {label} (entries replaced, added or removed)"
    return None


def _invoke(run, method, *args):
    """``run.info.obj.method(*args)`` within ``run.call_timeout``; raises :class:`CallError` in one line when it raises,
    times out or writes to its arguments (the arrays it gets are its own copies: the validator's cases stay intact)."""
    info = run.info
    if run.timed_out:   # an earlier call hung: this adapter is not called again
        raise CallTimeout(method, run.timed_out, run.call_timeout)
    names = _ARGS.get(method) or tuple(f"argument {i}" for i in range(len(args)))
    snap = []
    for name, a in zip(names, args):
        _snapshot(name, a, snap)

    def body():
        with np.errstate(all="ignore"):
            return getattr(info.obj, method)(*args)
    try:
        out = timeouts.call(body, run.call_timeout)
    except timeouts.Timeout as e:
        what = f"adapter call `{method}` timed out after {e.seconds:g} s" + (
            "" if e.stopped else " (it could not be interrupted, being blocked outside Python code: a sleep, a lock, a "
            "compiled kernel; it was left running in the background)")
        run.timed_out = what
        raise CallTimeout(method, what, e.seconds) from None
    except (Exception, SystemExit) as e:  # the adapter's own failure, reported in one line
        msg = " ".join(str(e).split())
        raise CallError(f"{info.name}.{method} raised {type(e).__name__}: {msg[:300]}", fault="raised") from None
    changed = _mutation(snap)
    if changed:
        raise CallError(f"{info.name}.{method} modified its argument in place: {changed}; an adapter must leave its "
                        "inputs unchanged (copy before writing)", fault="mutated")
    return out


def _array(info, method, what, value, shape):
    if hasattr(value, "detach"):  # a torch tensor slipped through: say so rather than guess
        raise CallError(f"{info.name}.{method}: {what} is a {type(value).__name__}; return NumPy arrays (e.g. t.detach().numpy())")
    try:
        arr = np.asarray(value)
    except Exception as e:
        raise CallError(f"{info.name}.{method}: {what} is not an array ({type(value).__name__}: {e})") from None
    if arr.dtype != info.dtype:
        raise CallError(f"{info.name}.{method}: {what} has dtype {arr.dtype}, but the adapter declares dtype {info.dtype_name}",
                        fault="dtype")
    if arr.shape != tuple(shape):
        raise CallError(f"{info.name}.{method}: {what} has shape {arr.shape}, expected {tuple(shape)}", fault="shape")
    if not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        kinds = " and ".join(k for k, n in (("NaN", np.count_nonzero(np.isnan(arr))), ("inf", np.count_nonzero(np.isinf(arr)))) if n)
        raise CallError(f"{info.name}.{method}: {what} has {bad} non-finite entr{'y' if bad == 1 else 'ies'} ({kinds})",
                        fault="non-finite")
    return arr.astype(np.float64)


def _tuple(info, method, what, value, n):
    if n == 1 and not isinstance(value, (tuple, list)):
        value = (value,)  # a bare array for (h,) is accepted
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise CallError(f"{info.name}.{method}: expected {what} as a tuple of {n} array(s), got {type(value).__name__}"
                        + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""))
    return tuple(value)


def _own(info, v):
    """A fresh array of the adapter's dtype: what the adapter does to it cannot reach the validator's case."""
    return np.array(v, dtype=info.dtype, copy=True)


def _cast(info, arrays):
    return {k: _own(info, v) for k, v in arrays.items()}


def call_step(run, params, state, x):
    """state' (tuple of float64 arrays) from adapter.step, validated."""
    info = run.info
    shapes = info.row.shapes_of_state(state[0].shape[-1], x.shape[0])   # H is every first state's last axis
    out = _invoke(run, "step", _cast(info, params), tuple(_own(info, s) for s in state),
                  _own(info, x))
    names = info.row.state
    out = _tuple(info, "step", "the new state (" + ", ".join(names) + ")", out, len(names))
    return tuple(_array(info, "step", n, v, sh) for n, v, sh in zip(names, out, shapes))


def call_forward(run, params, state0, xs):
    """outputs (tuple of float64 arrays) from adapter.forward, validated: hs (T, H), then the final states (H,)."""
    info = run.info
    shapes = info.row.shapes_of_outputs(xs.shape[0], state0[0].shape[-1], xs.shape[1])
    out = _invoke(run, "forward", _cast(info, params), tuple(_own(info, s) for s in state0),
                  _own(info, xs))
    names = info.row.outputs
    out = _tuple(info, "forward", f"({', '.join(names)}{',' if len(names) == 1 else ''})", out, len(names))
    return tuple(_array(info, "forward", n, o, sh) for n, o, sh in zip(names, out, shapes))


def call_vjp(run, params, state0, xs, cotangents):
    """{key: float64 array} from adapter.vjp, validated: every parameter key, "xs" and the state keys."""
    info = run.info
    T, D = xs.shape
    H = state0[0].shape[-1]
    out = _invoke(run, "vjp", _cast(info, params), tuple(_own(info, s) for s in state0),
                  _own(info, xs), tuple(_own(info, c) for c in cotangents))
    if not isinstance(out, dict):
        raise CallError(f"{info.name}.vjp: expected a dict of gradients, got {type(out).__name__}")
    shapes = dict(param_shapes(info.kind, H, D, info.param_set))
    shapes["xs"] = (T, D)
    shapes.update(zip(info.row.state_keys, info.row.shapes_of_state(H, D)))
    missing = [k for k in shapes if k not in out]
    if missing:
        raise CallError(f"{info.name}.vjp: the gradient dict lacks key(s) {missing} (expected {list(shapes)})")
    return {k: _array(info, "vjp", f"gradient[{k!r}]", out[k], s) for k, s in shapes.items()}


def call_clip_norm(run, grads, max_norm):
    """(clipped list, total norm) from adapter.clip_grad_norm, validated."""
    info = run.info
    out = _invoke(run, "clip_grad_norm", [_own(info, g) for g in grads], float(max_norm))
    out = _tuple(info, "clip_grad_norm", "(clipped, total_norm)", out, 2)
    clipped = _tuple(info, "clip_grad_norm", "the clipped list", list(out[0]) if isinstance(out[0], (list, tuple)) else out[0], len(grads))
    try:
        total = float(np.asarray(out[1]))
    except Exception:
        raise CallError(f"{info.name}.clip_grad_norm: total_norm is not a number: {out[1]!r}") from None
    if not np.isfinite(total):
        raise CallError(f"{info.name}.clip_grad_norm: total_norm is {total!r}")
    return [_array(info, "clip_grad_norm", f"clipped[{i}]", c, np.shape(g)) for i, (c, g) in enumerate(zip(clipped, grads))], total


def call_clip_value(run, grads, clip_value):
    """clipped list from adapter.clip_grad_value, validated."""
    info = run.info
    out = _invoke(run, "clip_grad_value", [_own(info, g) for g in grads], float(clip_value))
    out = _tuple(info, "clip_grad_value", "the clipped list", list(out) if isinstance(out, (list, tuple)) else out, len(grads))
    return [_array(info, "clip_grad_value", f"clipped[{i}]", c, np.shape(g)) for i, (c, g) in enumerate(zip(out, grads))]


def call_param_count(run, H, D):
    """adapter.param_count(H, D), validated: an integer."""
    info = run.info
    n = _invoke(run, "param_count", H, D)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer, float, np.floating)) or not float(n).is_integer():
        raise CallError(f"{info.name}.param_count({H}, {D}) returned {n!r}, not an integer")
    return int(n)


def call_stack(run, params, xs, h0, c0, cotangents, shapes, lengths=None):
    """(outputs, grads) from a stack adapter's run (``lengths`` given: its run_packed), validated: shapes, dtype,
    finiteness, every key (grads None: a forward-only adapter, which must return None there)."""
    info = run.info
    packed = () if lengths is None else (np.array(lengths, dtype=np.int64),)
    out = _invoke(run, "run_packed" if packed else "run", [_own(info, p) for p in params], _own(info, xs), *packed,
                  _own(info, h0), None if c0 is None else _own(info, c0),
                  [_own(info, c) for c in cotangents])
    out = _tuple(info, "run", "(outputs, grads)", out, 2)
    outs = _tuple(info, "run", "the outputs", out[0], len(cotangents))
    outs = tuple(_array(info, "run", f"output {i}", o, np.shape(c)) for i, (o, c) in enumerate(zip(outs, cotangents)))
    if not info.gradients:
        if out[1] is not None:
            raise CallError(f"{info.name}.run: a forward-only adapter (gradients = False) returns (outputs, None), got "
                            f"{type(out[1]).__name__} for the gradients")
        return outs, None
    if not isinstance(out[1], dict):
        raise CallError(f"{info.name}.run: expected a dict of gradients, got {type(out[1]).__name__}")
    missing = [k for k in shapes if k not in out[1]]
    if missing:
        raise CallError(f"{info.name}.run: the gradient dict lacks key(s) {missing}")
    return outs, {k: _array(info, "run", f"gradient[{k!r}]", out[1][k], s) for k, s in shapes.items()}
