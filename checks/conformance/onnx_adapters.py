"""Built-in adapters for ONNX (``vanishing validate onnx``), run in onnxruntime: *forward-only* (``gradients = False``).

Two groups, float32 only (see :func:`restrictions`: onnxruntime's CPU kernels of RNN, GRU and LSTM refuse double):

* **PyTorch, exported.** ``nn.RNN`` (tanh, relu), ``nn.LSTM``, ``nn.GRU`` (one layer, unbatched sequences as
  (T, 1, D)) and multi-layer bidirectional stacks, exported by ``torch.onnx.export`` with each exporter:
  the TorchScript-based one (``dynamo=False``) and the ``torch.export``-based one (``dynamo=True``, which
  needs onnxscript). The weights stay graph inputs (the exporter's own conversion, gate reordering and
  bias splitting, is in the graph and is what runs). TorchScript: T is a dynamic axis, one export per
  (H, D), the whole sequence in one run. dynamo: torch.export fixes T (:func:`restrictions`), so the model
  is exported at T = 1 and run once per step, its h_n (c_n) carried to the next step's h0 (c0), as the JAX
  adapters chain a jitted step; one export (seconds each) per H, shared across D by zero-padding the input
  to D = max(D, 3) columns with zero weight columns, which changes no value (as ``jax_adapters`` does).
  These build on ``torch_adapters``: the exported models *are* PyTorch modules (same parameter maps).
* **ONNX's own operators**, built with ``onnx.helper`` (https://onnx.ai/onnx/operators/): ``LSTM`` with its
  gate order **i, o, f, c**, the biases ``B = [Wb, Rb]`` (two, both drawn) and, for ``lstm-peephole``, the
  peepholes ``P = [p_i, p_o, p_f]``; ``GRU`` with gate order **z, r, h** and ``linear_before_reset`` 1
  (PyTorch's reset after the matmul) and 0 (the default: Cho et al. 2014, reset before); ``RNN`` with
  tanh and Relu. Each convention is mapped exactly and confirmed by a textbook variant (``DIFFERENCES``).

Nothing is downloaded: the models are built in memory.
"""

import io
import warnings

import numpy as np

from vanishing.checks.conformance.frameworks import blocks, optional, versions
from vanishing.checks.conformance.protocol import AdapterError
from vanishing.models import kinds, layouts
from vanishing.models.layouts import GRU_GATES, LSTM_GATES

__all__ = ["DIFFERENCES", "EXPORTERS", "OnnxExported", "OnnxExportedStack", "OnnxOp", "builtins", "restrictions",
           "textbook_variants", "versions_installed"]

#: ONNX's stacking orders (the operators' specification): LSTM i, o, f, c (c: our candidate g); GRU z, r, h.
ONNX_LSTM_ORDER, ONNX_GRU_ORDER = "iofg", "zrn"
#: torch.onnx.export's exporters: dynamo=False (TorchScript), dynamo=True (torch.export, then onnxscript).
EXPORTERS = {"torchscript": False, "dynamo": True}

#: op → [(difference dropped by the textbook variant, mutant that must reproduce it, what differs, claims it touches)]
DIFFERENCES = {
    "LSTM": [("gate order", "gate-order-iofg", "W, R and B stack the gate blocks i, o, f, c (canonical and PyTorch: "
              "i, f, g, o)", "none: a layout (parameters are mapped)")],
    "LSTM(peepholes)": [("gate order", "gate-order-iofg", "W, R and B stack the gate blocks i, o, f, c (canonical and "
                         "PyTorch: i, f, g, o)", "none: a layout (parameters are mapped)"),
                        ("peephole order", "peepholes-f-o-swapped", "P stacks the peepholes p_i, p_o, p_f (not i, f, o)",
                         "none: a layout (parameters are mapped)")],
    "GRU(linear_before_reset=0)": [
        ("gate order", "gate-order-zrn", "W, R and B stack the gate blocks z, r, h (canonical and PyTorch: r, z, n)",
         "none: a layout (parameters are mapped)"),
        ("linear_before_reset", "reset-before", "the default linear_before_reset = 0 applies the reset before the "
         "recurrent matmul, W_hn(r⊙h) + R_bh (Cho et al. 2014); PyTorch's GRU applies it after, r⊙(W_hn h + b_hn) "
         "(its exporters set linear_before_reset = 1)", "GRU-DIRECT-PATH holds for either placement; the candidate's "
         "dependence on h differs")],
    "GRU(linear_before_reset=1)": [("gate order", "gate-order-zrn", "W, R and B stack the gate blocks z, r, h "
                                    "(canonical and PyTorch: r, z, n)", "none: a layout (parameters are mapped)")],
}

_OPS = {  # op name → (kind, reset, param set, ONNX op, attributes)
    "RNN": ("rnn-tanh", "after", "two-biases", "RNN", {}),
    "RNN(Relu)": ("rnn-relu", "after", "two-biases", "RNN", {"activations": ["Relu"]}),
    "LSTM": ("lstm", "after", "two-biases", "LSTM", {}),
    "LSTM(peepholes)": ("lstm-peephole", "after", "canonical", "LSTM", {}),
    "GRU(linear_before_reset=0)": ("gru", "before", "canonical", "GRU", {"linear_before_reset": 0}),
    "GRU(linear_before_reset=1)": ("gru", "after", "canonical", "GRU", {"linear_before_reset": 1}),
}
_OP_CONV = {
    "RNN": "H_t = tanh(X W^T + H R^T + Wb + Rb): two biases, both drawn; X (T, batch, D)",
    "RNN(Relu)": "activations=[Relu]: H_t = relu(X W^T + H R^T + Wb + Rb); two biases, both drawn",
    "LSTM": "gate order i, o, f, c; B = [Wb, Rb]: two biases, both drawn; Y (T, dirs, batch, H), Y_c",
    "LSTM(peepholes)": "gate order i, o, f, c; P = [p_i, p_o, p_f]; i, f see C_{t−1}, o sees C_t; Rb = 0 (one bias "
                       "drawn: the peephole kind's canonical set)",
    "GRU(linear_before_reset=0)": "gate order z, r, h; reset before the matmul (Cho 2014, the default); B = [Wb, Rb]; "
                                  "H_t = (1−z)⊙h̃ + z⊙H_{t−1}",
    "GRU(linear_before_reset=1)": "gate order z, r, h; reset after the matmul, r⊙(H R_h^T + Rbh) (PyTorch's); "
                                  "B = [Wb, Rb]; H_t = (1−z)⊙h̃ + z⊙H_{t−1}",
}


def _ort():
    optional("onnx", "onnx", "onnx")
    return optional("onnxruntime", "onnxruntime", "onnx")


def versions_installed():
    import torch
    return {**versions("onnx", "onnxruntime", "onnxscript"), "torch": torch.__version__}


def _session(model):
    ort = _ort()
    opts = ort.SessionOptions()
    opts.log_severity_level = 3          # onnxruntime's own warnings (unused initializers) are not the adapter's
    opts.intra_op_num_threads = 1        # the machine is shared; one thread is also deterministic
    return ort.InferenceSession(model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"])


def _inputs_from_initializers(model):
    """The exported weights (initializers) turned into graph inputs of the same names: one export, any values."""
    from onnx import helper
    names = []
    for init in list(model.graph.initializer):
        if init.name.startswith("m."):    # the module's parameters (the exporter's constants stay constants)
            model.graph.input.append(helper.make_tensor_value_info(init.name, init.data_type, list(init.dims)))
            model.graph.initializer.remove(init)
            names.append(init.name)
    return model, names


#: onnxruntime's CPU kernels (MLAS) compute tanh by a rational approximation in float32 whose error is relative only
#: down to the normal range: measured Tanh(2.1e-41) = 2.0905e-41 (0.45 % off), Tanh(1e-39) = 9.99961e-40, while
#: Tanh(3e-38) is within 8 ulps. An absolute error below tiny(float32) = 1.2e-38, which the protocol's
#: ``flushes_subnormals`` floor is for (checks/conformance/tolerance.py: subnormal_floor).
_SUBNORMALS = True


class _Wrap:
    """torch module (x, h0[, c0]) → (y, h_n[, c_n]), built lazily (torch is imported by the adapter)."""

    @staticmethod
    def make(torch, m, lstm):
        class Wrap(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = m

            def forward(self, x, h0, c0=None):
                if lstm:
                    y, (hn, cn) = self.m(x, (h0, c0))
                    return y, hn, cn
                y, hn = self.m(x, h0)
                return y, hn
        return Wrap()


def _export(torch, module, lstm, args, exporter, batch_axis):
    """The ONNX model of ``module`` (weights as inputs), T (and the batch, for a stack) dynamic."""
    import onnx
    wrap = _Wrap.make(torch, module, lstm)
    names = ["x", "h0"] + (["c0"] if lstm else [])
    outs = ["y", "h_n"] + (["c_n"] if lstm else [])
    with warnings.catch_warnings():   # the exporters' deprecation notices and onnxruntime hints: not the adapter's
        warnings.simplefilter("ignore")
        if not EXPORTERS[exporter]:
            f = io.BytesIO()
            axes = {"x": {0: "T", 1: "B"} if batch_axis else {0: "T"}, "y": {0: "T"}}
            if batch_axis:
                axes.update({k: {1: "B"} for k in names[1:]})
            torch.onnx.export(wrap, args, f, dynamo=False, do_constant_folding=False, input_names=names,
                              output_names=outs, dynamic_axes=axes)
            model = onnx.load_from_string(f.getvalue())
        else:
            import contextlib
            T = torch.export.Dim("T", min=2, max=512)
            # T dynamic from an example of 2 or more (torch.export specialises a size of 1): a T = 1 export is static
            shapes = {"x": {0: T}, "h0": None, **({"c0": None} if lstm else {})} if args[0].shape[0] >= 2 else None
            import logging
            # the exporter logs ("torchvision is not installed") and traces at DEBUG: a pytest log handler makes
            # those records cost seconds per export; none of them is the adapter's
            logging.disable(logging.WARNING)
            try:
                with contextlib.redirect_stdout(io.StringIO()):   # the exporter prints its progress
                    prog = torch.onnx.export(wrap, args, dynamo=True, dynamic_shapes=shapes, input_names=names,
                                             output_names=outs, optimize=False, verbose=False)
            finally:
                logging.disable(logging.NOTSET)
            model = prog.model_proto
    return _inputs_from_initializers(model)


_WARM = []


def _warm_dynamo(torch):
    """One throwaway dynamo export per process, when the adapters are made: the first export also imports onnxscript
    and builds the exporter's registry (10–20 s here), which would otherwise count against the first call's time limit."""
    if not _WARM:
        _export(torch, torch.nn.GRU(1, 1), False, (torch.zeros(2, 1, 1), torch.zeros(1, 1, 1)), "dynamo", batch_axis=False)
        _WARM.append(True)


class OnnxExported:
    """torch.nn.RNN / LSTM / GRU (one layer), exported by ``torch.onnx.export`` and run in onnxruntime."""

    gradients = False
    differences = ()

    flushes_subnormals = _SUBNORMALS
    def __init__(self, kind, exporter="torchscript", dtype=np.float32):
        from vanishing.checks.conformance import torch_adapters as ta
        if EXPORTERS[exporter]:
            # a call on a new H is a dynamo export: 3–7 s alone, over 30 s (the default limit) on a loaded machine
            self.call_timeout = 600
        self.torch = ta._torch()
        _ort()
        if exporter == "dynamo":
            optional("onnxscript", "onnxscript", "onnx")
            _warm_dynamo(self.torch)
        self.kind, self.exporter, self.dtype, self.row = kind, exporter, np.dtype(dtype), kinds.row(kind)
        self.reset = "after"
        self.param_set = "two-biases" if self.row.torch_second_bias else "canonical"
        self.convention = ta.CONVENTIONS[kind] + f"; exported by torch.onnx.export(dynamo={EXPORTERS[exporter]})" + (
            ", at T = 1 (the export fixes T), run once per step" if EXPORTERS[exporter] else ", T dynamic")
        self.name = ta._display_name("", kind, self.dtype).replace("[", f"→ONNX({exporter})[")
        self._ta, self._cache = ta, {}

    def _padded(self, D):
        return max(D, 3) if EXPORTERS[self.exporter] else D

    def _model(self, H, D):
        """(session, weight input names), one export per (H, D): T dynamic (TorchScript), or T = 1 (dynamo, see below)."""
        if (H, D) not in self._cache:
            torch = self.torch
            m = self._ta._module(torch, self.row, "", D, H, num_layers=1)
            lstm = self.row.n_state > 1
            T = 1 if EXPORTERS[self.exporter] else 2
            args = (torch.zeros(T, 1, D), torch.zeros(1, 1, H)) + ((torch.zeros(1, 1, H),) if lstm else ())
            model, names = _export(torch, m, lstm, args, self.exporter, batch_axis=False)
            self._cache[(H, D)] = (_session(model), names)
        return self._cache[(H, D)]

    def forward(self, params, state0, xs):
        T, D = np.shape(xs)
        H = np.shape(state0[0])[0]
        Dp = self._padded(D)
        sess, names = self._model(H, Dp)
        sd = layouts.to_torch(self.row.family, {k: np.asarray(v, dtype=np.float64) for k, v in params.items()})
        sd["weight_ih"] = np.pad(sd["weight_ih"], ((0, 0), (0, Dp - D)))   # zero columns for the zero inputs
        weights = {n: np.asarray(sd[n.removeprefix("m.").removesuffix("_l0")], np.float32) for n in names}
        x = np.pad(np.asarray(xs, np.float32), ((0, 0), (0, Dp - D)))[:, None, :]
        state = [np.asarray(s, np.float32)[None, None, :] for s in state0]
        # TorchScript: the whole sequence in one run. dynamo: its export fixes T (restrictions()), so the T = 1 model
        # runs once per step, the state carried from its h_n (and c_n) to the next step's h0 (and c0)
        chunks = [x] if not EXPORTERS[self.exporter] else [x[t:t + 1] for t in range(T)]
        hs = []
        for chunk in chunks:
            out = sess.run(None, {"x": chunk, **dict(zip(("h0", "c0"), state)), **weights})
            hs.append(out[0][:, 0, :])
            state = out[1:]
        hs = np.concatenate(hs)
        return (hs, state[1][0, 0]) if self.row.n_state > 1 else (hs,)

    def step(self, params, state, x):
        out = self.forward(params, state, np.asarray(x)[None, :])
        return (out[0][0],) + tuple(out[1:])


class OnnxExportedStack:
    """A multi-layer (bidirectional, batch_first) torch.nn.RNN / LSTM / GRU, exported and run in onnxruntime:
    the stack's values only (kind ``"stack"``, forward-only)."""

    kind = "stack"
    gradients = False

    flushes_subnormals = _SUBNORMALS
    def __init__(self, cell, config, exporter="torchscript", dtype=np.float32):
        from vanishing.checks.conformance import torch_adapters as ta
        self._stack = ta.TorchStack(cell, config, dtype)
        _ort()
        self.torch, self.exporter = self._stack.torch, exporter
        self.cell, self.config, self.dtype, self.row = cell, dict(config), np.dtype(dtype), kinds.row(cell)
        self.name = self._stack.name.replace("[", f"→ONNX({exporter})[")
        self.convention = self._stack.convention + f"; exported by torch.onnx.export(dynamo={EXPORTERS[exporter]})"
        self._cache = {}

    def param_shapes(self, H, D):
        return self._stack.param_shapes(H, D)

    def run(self, params, xs, h0, c0, cotangents):
        torch = self.torch
        H = np.shape(params[1])[0] // self.row.blocks
        D = np.shape(params[0])[1]
        if (H, D) not in self._cache:
            m = self._stack._module(H, D)
            lstm = self.row.n_state > 1
            args = tuple(torch.zeros(np.shape(a)) for a in (xs, h0) + ((c0,) if lstm else ()))
            model, names = _export(torch, m, lstm, args, self.exporter, batch_axis=True)
            self._cache[(H, D)] = (_session(model), names)
        sess, names = self._cache[(H, D)]
        by_name = dict(zip([n for n, _ in self.param_shapes(H, D)], params))
        feeds = {"x": np.asarray(xs, np.float32), "h0": np.asarray(h0, np.float32)}
        if c0 is not None:
            feeds["c0"] = np.asarray(c0, np.float32)
        feeds.update({n: np.asarray(by_name[n.removeprefix("m.")], np.float32) for n in names})
        return tuple(sess.run(None, feeds)), None


class OnnxOp:
    """ONNX's own RNN / LSTM / GRU operator (onnx.helper), one direction, batch 1, run in onnxruntime.

    ``textbook``: a documented difference left unmapped (a variant that must fail, its mutant reproducing it)."""

    gradients = False

    flushes_subnormals = _SUBNORMALS
    def __init__(self, op, dtype=np.float32, textbook=None):
        _ort()
        self.op, self.dtype, self.textbook = op, np.dtype(dtype), textbook
        self.kind, self.reset, self.param_set, self._op, self._attrs = _OPS[op]
        self.row = kinds.row(self.kind)
        self.differences = tuple(DIFFERENCES.get(op, ()))
        if textbook is not None and textbook not in [d[0] for d in self.differences]:
            raise ValueError(f"textbook: {op} has no difference {textbook!r}")
        if textbook == "linear_before_reset":
            self.reset = "after"            # declared as PyTorch's, though the operator runs reset before
        self.convention = _OP_CONV[op]
        tb = f"textbook {textbook}, " if textbook else ""
        self.name = f"onnx.{op}[{tb}{self.dtype.name}]"
        self._cache = {}

    def _order(self):
        if self.textbook == "gate order":
            return LSTM_GATES if self.row.family == "lstm" else GRU_GATES
        return ONNX_LSTM_ORDER if self.row.family == "lstm" else ONNX_GRU_ORDER

    def _session(self, H):
        if H not in self._cache:
            from onnx import TensorProto, helper
            f = TensorProto.FLOAT
            g, peep = self.row.blocks, self.row.variant == "peephole"
            ins = ["X", "W", "R", "B", "", "initial_h"] + (["initial_c", "P"] if self.row.n_state > 1 else [])
            outs = ["Y", "Y_h"] + (["Y_c"] if self.row.n_state > 1 else [])
            node = helper.make_node(self._op, ins if peep or self.row.n_state == 1 else ins[:-1], outs, hidden_size=H,
                                    **self._attrs)
            spec = {"X": ["T", 1, "D"], "W": [1, g * H, "D"], "R": [1, g * H, H], "B": [1, 2 * g * H],
                    "initial_h": [1, 1, H], "initial_c": [1, 1, H], "P": [1, 3 * H]}
            graph = helper.make_graph([node], self.op, [helper.make_tensor_value_info(n, f, spec[n]) for n in node.input if n],
                                      [helper.make_tensor_value_info(n, f, None) for n in outs])
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
            self._cache[H] = _session(model)
        return self._cache[H]

    def _feeds(self, params, state0, xs):
        H = np.shape(state0[0])[0]
        P = layouts.param_set(self.param_set).to_canonical(self.kind, {k: np.asarray(v, np.float64) for k, v in params.items()})
        src = LSTM_GATES if self.row.family == "lstm" else GRU_GATES
        W_x, W_h = self.row.weight_keys

        def order(M):
            return blocks(M, H, self._order(), src) if self.row.family != "rnn" else M
        if self.row.family == "gru":
            b = np.concatenate([order(P["b_x"]), order(P["b_h"])])
        elif self.param_set == "two-biases":
            b = np.concatenate([order(params["b_x"]), order(params["b_h"])])
        else:
            b = np.concatenate([order(P["b"]), np.zeros_like(P["b"])])
        feeds = {"X": np.asarray(xs)[:, None, :], "W": order(P[W_x])[None], "R": order(P[W_h])[None], "B": b[None],
                 "initial_h": np.asarray(state0[0])[None, None, :]}
        if self.row.n_state > 1:
            feeds["initial_c"] = np.asarray(state0[1])[None, None, :]
        if self.row.variant == "peephole":
            peep = "ifo" if self.textbook == "peephole order" else "iof"   # ONNX's P: p_i, p_o, p_f
            feeds["P"] = np.concatenate([P[f"p_{k}"] for k in peep])[None]
        return {k: np.asarray(v, np.float32) for k, v in feeds.items()}

    def forward(self, params, state0, xs):
        sess = self._session(np.shape(state0[0])[0])
        out = sess.run(None, self._feeds(params, state0, xs))
        hs = out[0][:, 0, 0, :]
        return (hs, out[2][0, 0]) if self.row.n_state > 1 else (hs,)

    def step(self, params, state, x):
        out = self.forward(params, state, np.asarray(x)[None, :])
        return (out[0][0],) + tuple(out[1:])


#: The multi-layer configurations `vanishing validate onnx` exports (as `validate torch`'s, without the projection).
STACK_CONFIGS = [
    ("lstm", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("gru", {"num_layers": 2, "bidirectional": True, "batch_first": False}),
]


def builtins(dtypes=(np.float32,)):
    """Every ONNX built-in: PyTorch's modules through both exporters, two stacks, ONNX's own operators (float32)."""
    _ort()   # onnx and onnxruntime first: without them the extra is what is missing, whether or not torch is there
    out = []
    for dt in dtypes:
        if np.dtype(dt) != np.float32:
            raise AdapterError(f"onnx: float32 only ({'; '.join(restrictions())})")
        for exporter in EXPORTERS:
            out += [OnnxExported(k, exporter, dt) for k in kinds.STACK_KINDS]
        out += [OnnxExportedStack(c, cfg, "torchscript", dt) for c, cfg in STACK_CONFIGS]
        out += [OnnxOp(op, dt) for op in _OPS]
    return out


def textbook_variants(dtype=np.float32):
    """One adapter per documented difference, with that part of the map dropped: each must fail, reproduced by its mutant."""
    return [(OnnxOp(op, dtype, textbook=d[0]), d) for op in DIFFERENCES for d in DIFFERENCES[op]]


def restrictions():
    """What onnxruntime and the dynamo exporter refuse, measured now (one line each): onnxruntime's RNN, GRU and LSTM
    kernels in double; torch.export's dynamic sequence length for nn.LSTM."""
    from onnx import TensorProto, helper
    out = []
    import torch
    m = _Wrap.make(torch, torch.nn.LSTM(1, 1), True)
    try:
        torch.export.export(m, (torch.zeros(3, 1, 1), torch.zeros(1, 1, 1), torch.zeros(1, 1, 1)), strict=False,
                            dynamic_shapes={"x": {0: torch.export.Dim("T", min=2, max=512)}, "h0": None, "c0": None})
    except Exception as e:   # torch.export's own words: the exporter then falls back to a static T
        msg = " ".join(str(e).split())
        out.append("torch.onnx.export(dynamo=True): torch.export specialises the sequence length of nn.LSTM ("
                   f"{msg[:msg.find('!') + 1] or msg[:80]}); the exporter falls back to a fixed T, so the dynamo adapters "
                   "export at T = 1 and run the model once per step")
    for op, g in (("RNN", 1), ("GRU", 3), ("LSTM", 4)):
        d = TensorProto.DOUBLE
        node = helper.make_node(op, ["X", "W", "R"], ["Y"], hidden_size=1)
        shapes = {"X": [1, 1, 1], "W": [1, g, 1], "R": [1, g, 1]}
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, d, s) for n, s in shapes.items()],
                                  [helper.make_tensor_value_info("Y", d, None)])
        try:
            _session(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])).run(
                None, {n: np.zeros(s) for n, s in shapes.items()})
        except Exception as e:   # onnxruntime's own error, quoted
            msg = " ".join(str(e).split())
            out.append(f"onnxruntime {op} in double: {msg[msg.rfind(':') + 1:].strip() or msg}")
    return out
