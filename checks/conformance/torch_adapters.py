"""Built-in adapters for PyTorch (torch is imported lazily: it is an optional extra).

``vanishing validate torch`` runs :func:`builtins`: ``nn.RNNCell`` (tanh, relu),
``nn.LSTMCell``, ``nn.GRUCell``, the one-layer multi-step ``nn.RNN`` (tanh, relu),
``nn.LSTM``, ``nn.GRU``, and ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``,
each in float64 and float32.

Every native parameter is exercised: the RNN and LSTM adapters declare the ``"two-biases"``
parameter set (``vanishing.models.layouts.PARAM_SETS``), so the validator draws ``b_x`` → ``bias_ih``
and ``b_h`` → ``bias_hh`` independently and non-zero, and checks both gradients (a cell that
ignored ``bias_hh`` would fail). The GRU's ``b_x``, ``b_h`` are canonical already. Gradients
come from ``torch.autograd.grad``: PyTorch's own autodiff.
"""

import numpy as np

from vanishing.models import kinds, layouts

__all__ = ["TorchCell", "TorchClip", "TorchLayer", "TorchStack", "builtins", "stack_module", "stack_params"]


def _torch():
    try:
        import torch
    except ImportError as e:
        from vanishing import install_hint
        from vanishing.checks.conformance.protocol import AdapterError
        raise AdapterError(f"torch is not installed ({e}); install the CPU build: {install_hint('torch')}") from None
    return torch


#: PyTorch's module of each family (the row's ``family``; an Elman cell's nonlinearity is the row's ``act``).
_TORCH_NAME = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def _module(torch, row, suffix, D, H, **cfg):
    """torch.nn.RNN / LSTM / GRU (``suffix`` "Cell": the cell) of ``row``'s family, with its nonlinearity."""
    cls = getattr(torch.nn, _TORCH_NAME[row.family] + suffix)
    return cls(D, H, **({"nonlinearity": row.act} if row.act else {}), **cfg)

#: Each PyTorch cell's convention (aten/src/ATen/native/RNN.cpp), for the conformance matrix.
CONVENTIONS = {
    "rnn-tanh": "h' = tanh(W_ih x + b_ih + W_hh h + b_hh): two biases, both drawn",
    "rnn-relu": "h' = relu(W_ih x + b_ih + W_hh h + b_hh): two biases, both drawn; relu'(0) = 0",
    "lstm": "gate order i, f, g, o; two biases b_ih + b_hh, both drawn; c' = f⊙c + i⊙g, h' = o⊙tanh(c')",
    "gru": "gates r, z, n; reset after the matmul, b_hn inside r⊙(W_hn h + b_hn); h' = (1−z)⊙n + z⊙h",
}


class _TorchRecurrent:
    """Shared by the cell and the layer adapters: module cache, parameter loading, gradient mapping."""

    def __init__(self, kind, dtype):
        self.torch = _torch()
        self.kind, self.dtype, self.row = kind, np.dtype(dtype), kinds.row(kind)
        self.reset = "after"                     # PyTorch's GRU applies r after the recurrent matmul
        # bias_ih and bias_hh, both drawn: the canonical layout folds them into one b (the row's torch_second_bias)
        self.param_set = "two-biases" if self.row.torch_second_bias else "canonical"
        self.convention = CONVENTIONS[kind]
        self._tdtype = {np.dtype(np.float64): self.torch.float64, np.dtype(np.float32): self.torch.float32}[self.dtype]
        self._cache = {}

    def _load(self, params):
        """The module for these sizes, with the canonical params loaded; returns (module, {torch name: param})."""
        key = (params["W_x" if "W_x" in params else "W_xh"].shape, params["W_h" if "W_h" in params else "W_hh"].shape)
        if key not in self._cache:
            D = key[0][1]
            H = key[1][1]
            self._cache[key] = self._build(H, D).to(self._tdtype)
        m = self._cache[key]
        sd = layouts.to_torch(self.row.family, {k: np.asarray(v, dtype=np.float64) for k, v in params.items()})
        named = dict(m.named_parameters())
        with self.torch.no_grad():
            for name, p in named.items():
                p.copy_(self.torch.from_numpy(np.asarray(sd[name.removesuffix("_l0")], dtype=self.dtype)))
        return m, {name.removesuffix("_l0"): p for name, p in named.items()}

    def _t(self, a, grad=False):
        t = self.torch.from_numpy(np.array(a, dtype=self.dtype))
        return t.requires_grad_(grad)

    def _grads(self, named, gp):
        """torch parameter gradients → canonical keys (see the module docstring for the biases)."""
        g = {k: (v.detach().numpy() if v is not None else np.zeros(tuple(named[k].shape), dtype=self.dtype)) for k, v in gp.items()}
        W_x, W_h = self.row.weight_keys
        return {W_x: g["weight_ih"], W_h: g["weight_hh"], "b_x": g["bias_ih"], "b_h": g["bias_hh"]}

    def param_count(self, H, D):
        return sum(p.numel() for p in self._build(H, D).parameters())

    def step(self, params, state, x):
        out = self.forward(params, state, np.asarray(x)[None, :])
        return (out[0][0],) + tuple(out[1:])

    def forward(self, params, state0, xs):
        with self.torch.no_grad():
            out = self._run(params, [self._t(s) for s in state0], self._t(xs))
        return tuple(o.detach().numpy() for o in out)

    def vjp(self, params, state0, xs, cotangents):
        m, named = self._load(params)
        s0 = [self._t(s, True) for s in state0]
        xt = self._t(xs, True)
        out = self._run(params, s0, xt, loaded=(m, named))
        inputs = list(named.values()) + [xt] + s0
        grads = self.torch.autograd.grad(out, inputs, grad_outputs=[self._t(c) for c in cotangents], allow_unused=True)
        gp = dict(zip(named, grads[:len(named)]))
        res = self._grads(named, gp)
        rest = grads[len(named):]
        res["xs"] = rest[0].numpy() if rest[0] is not None else np.zeros(np.shape(xs), dtype=self.dtype)
        for k, g, s in zip(self.row.state_keys, rest[1:], state0):
            res[k] = g.numpy() if g is not None else np.zeros(np.shape(s), dtype=self.dtype)
        return res


def _display_name(suffix, kind, dtype):
    """torch.nn.RNNCell(tanh)[float64], torch.nn.LSTM[float32], ...: the class, the nonlinearity of an RNN, the dtype."""
    row = kinds.row(kind)
    return f"torch.nn.{_TORCH_NAME[row.family]}{suffix}{f'({row.act})' if row.act else ''}[{dtype.name}]"


class TorchCell(_TorchRecurrent):
    """torch.nn.RNNCell / LSTMCell / GRUCell, unrolled over the sequence by a Python loop."""

    def __init__(self, kind, dtype):
        super().__init__(kind, dtype)
        self.name = _display_name("Cell", kind, self.dtype)

    def _build(self, H, D):
        return _module(self.torch, self.row, "Cell", D, H)

    def _run(self, params, state0, xs, loaded=None):
        m, _ = loaded or self._load(params)
        hs, state = [], state0
        for t in range(xs.shape[0]):   # a cell with a cell state takes and returns the tuple (h, c)
            state = list(m(xs[t], tuple(state))) if self.row.n_state > 1 else [m(xs[t], state[0])]
            hs.append(state[0])
        return (self.torch.stack(hs),) + tuple(state[1:])


class TorchLayer(_TorchRecurrent):
    """The multi-step one-layer torch.nn.RNN / LSTM / GRU on an unbatched sequence (T, D)."""

    def __init__(self, kind, dtype):
        super().__init__(kind, dtype)
        self.name = _display_name("", kind, self.dtype)

    def _build(self, H, D):
        return _module(self.torch, self.row, "", D, H, num_layers=1)

    def _run(self, params, state0, xs, loaded=None):
        m, _ = loaded or self._load(params)
        if self.row.n_state > 1:   # (h_0, c_0) in, (h_n, c_n) out
            hs, (_, cT) = m(xs, tuple(s[None, :] for s in state0))
            return hs, cT[0]
        hs, _ = m(xs, state0[0][None, :])
        return (hs,)


class TorchClip:
    """torch.nn.utils.clip_grad_norm_ (global norm, ε = 1e-6, returns the norm before) and clip_grad_value_."""

    kind = "clip"
    convention = "clip_grad_norm_: global norm, coef = min(1, max_norm/(‖g‖ + 1e-6)), returns the norm before; clip_grad_value_: clamp"
    clip_eps = 1e-6      # clip_coef = max_norm / (total_norm + 1e-6), clamped to 1 (torch/nn/utils/clip_grad.py)

    def __init__(self, dtype):
        self.torch = _torch()
        self.dtype = np.dtype(dtype)
        self.name = f"torch.nn.utils.clip_grad[{self.dtype.name}]"

    def _params(self, grads):
        ps = []
        for g in grads:
            p = self.torch.zeros(np.shape(g), dtype={np.dtype(np.float64): self.torch.float64, np.dtype(np.float32): self.torch.float32}[self.dtype],
                                 requires_grad=True)
            p.grad = self.torch.from_numpy(np.array(g, dtype=self.dtype))
            ps.append(p)
        return ps

    def clip_grad_norm(self, grads, max_norm):
        ps = self._params(grads)
        total = self.torch.nn.utils.clip_grad_norm_(ps, max_norm)
        return [p.grad.numpy() for p in ps], float(total)

    def clip_grad_value(self, grads, clip_value):
        ps = self._params(grads)
        self.torch.nn.utils.clip_grad_value_(ps, clip_value)
        return [p.grad.numpy() for p in ps]


class TorchStack:
    """nn.RNN / LSTM / GRU with several layers, both directions, batch_first, a projection (LSTM), on a batch
    (kind ``"stack"``, checked against ``vanishing.models.stacked``); gradients by torch.autograd.grad."""

    kind = "stack"

    def __init__(self, cell, config, dtype):
        self.torch = _torch()
        self.cell, self.config, self.dtype, self.row = cell, dict(config), np.dtype(dtype), kinds.row(cell)
        base = _TORCH_NAME[self.row.family]
        opts = [f"num_layers={config['num_layers']}"] + [k for k in ("bidirectional", "batch_first") if config.get(k)]
        opts += [f"proj_size={config['proj_size']}"] if config.get("proj_size") else []
        opts += [self.row.act] if self.row.act and self.row.act != "tanh" else []   # tanh: PyTorch's default nonlinearity
        self.name = f"torch.nn.{base}({', '.join(opts)})[{self.dtype.name}]"
        self.convention = (CONVENTIONS[cell] + "; layer l > 0 reads [forward, reverse] outputs of layer l−1; h_n, c_n stacked "
                           "layer-major, direction-minor" + ("; h_t = W_hr (o⊙tanh c_t)" if config.get("proj_size") else ""))
        self._cache = {}

    def _module(self, H, D):
        if (H, D) not in self._cache:
            cfg = {k: v for k, v in self.config.items() if v or k == "num_layers"}
            m = _module(self.torch, self.row, "", D, H, **cfg)
            self._cache[(H, D)] = m.to({np.dtype(np.float64): self.torch.float64, np.dtype(np.float32): self.torch.float32}[self.dtype])
        return self._cache[(H, D)]

    def param_shapes(self, H, D):
        return [(n, tuple(p.shape)) for n, p in self._module(H, D).named_parameters()]

    def run_packed(self, params, xs, lengths, h0, c0, cotangents):
        """The module on ``pack_padded_sequence(xs, lengths, enforce_sorted=False)``, padded back by
        ``pad_packed_sequence(total_length=T)``: what people run on a batch of sequences of different lengths."""
        return self.run(params, xs, h0, c0, cotangents, lengths=lengths)

    def run(self, params, xs, h0, c0, cotangents, lengths=None):
        torch = self.torch
        H = np.shape(params[1])[0] // self.row.blocks   # weight_hh_l0 (nH, ·)
        D = np.shape(params[0])[1]
        m = self._module(H, D)
        named = list(m.named_parameters())
        with torch.no_grad():
            for (_, p), v in zip(named, params):
                p.copy_(torch.from_numpy(np.array(v, dtype=self.dtype)))
        xt = torch.from_numpy(np.array(xs, dtype=self.dtype)).requires_grad_(True)
        ht = torch.from_numpy(np.array(h0, dtype=self.dtype)).requires_grad_(True)
        ins = [xt, ht]
        import warnings
        with warnings.catch_warnings():   # "LSTM with projections is not supported with oneDNN": torch's notice, not ours
            warnings.filterwarnings("ignore", message="LSTM with projections is not supported with oneDNN")
            bf = bool(self.config.get("batch_first"))
            seq = xt if lengths is None else torch.nn.utils.rnn.pack_padded_sequence(
                xt, torch.as_tensor(np.asarray(lengths, dtype=np.int64)), batch_first=bf, enforce_sorted=False)
            if self.row.n_state > 1:
                ct = torch.from_numpy(np.array(c0, dtype=self.dtype)).requires_grad_(True)
                ins.append(ct)
                out, (hn, cn) = m(seq, (ht, ct))
                rest = (hn, cn)
            else:
                out, hn = m(seq, ht)
                rest = (hn,)
            if lengths is not None:
                out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=bf, total_length=xt.shape[1 if bf else 0])
            outs = (out,) + rest
            grads = torch.autograd.grad(outs, ins + [p for _, p in named],
                                        grad_outputs=[torch.from_numpy(np.array(c, dtype=self.dtype)) for c in cotangents])
        g = {n: gi.numpy() for (n, _), gi in zip(named, grads[len(ins):])}
        g.update({k: gi.numpy() for k, gi in zip(("xs",) + self.row.state_keys, grads[:len(ins)])})
        return tuple(o.detach().numpy() for o in outs), g


#: The multi-layer configurations `vanishing validate torch` checks (what people instantiate).
STACK_CONFIGS = [
    ("rnn-tanh", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("lstm", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("lstm", {"num_layers": 2, "bidirectional": True, "batch_first": False, "proj_size": 1}),
    ("gru", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
]


def builtins(dtypes=(np.float64, np.float32)):
    """Every built-in PyTorch adapter, in each dtype."""
    out = []
    for dt in dtypes:
        out += [TorchCell(k, dt) for k in kinds.STACK_KINDS]    # the kinds PyTorch has a cell and a layer of
        out += [TorchLayer(k, dt) for k in kinds.STACK_KINDS]
        out.append(TorchClip(dt))
        out += [TorchStack(c, cfg, dt) for c, cfg in STACK_CONFIGS]
    return out


# ---------------------------------------------------------------- multi-layer modules (models/stacked.py is their reference)
def stack_module(kind, D, H, cfg, dtype, rng):
    """(nn.RNN/LSTM/GRU(D, H, **cfg) in ``dtype`` with every parameter drawn from ``rng`` in [−1, 1]: both biases
    independently, None, None)."""
    torch = _torch()
    m = _module(torch, kinds.row(kind), "", D, H, **cfg)
    m = m.to({np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[np.dtype(dtype)])
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-1, 1, tuple(p.shape)).astype(dtype)))
    return m, None, None


stack_params = layouts.stack_from_torch   # the layout conversion lives once, in models/layouts.py
