"""Adapters for third-party implementations of the modern families, with their parameter converters.

Targets (``vanishing validate NAME``; each an optional extra, pinned in pyproject.toml, installed ``--no-deps`` next to
the pinned CPU torch): ``mingru`` (mingru-pytorch 0.2.1: ``minGRU``, ``minLSTM``, sequential and parallel paths),
``lru`` (lru-pytorch 0.1.3: ``LRU``), ``mambapy`` (mambapy 1.2.0: ``MambaBlock``'s S6, sequential and pscan paths).
Each module is run with ``torch.func.functional_call`` on parameters converted from the canonical layout by a
differentiable map (``_to_native``), so gradients are torch's own autograd through the package's code.
"""

import numpy as np

from vanishing.checks.conformance.frameworks import optional, versions
from vanishing.models import kinds

__all__ = ["LRUAdapter", "MambaS6", "MinCell", "builtins_lru", "builtins_mambapy", "builtins_mingru", "versions_installed"]

#: (difference, the mutant that confirms it, what differs, the claims it touches), for the conformance matrix
_CANDIDATE_G = ("candidate g", "candidate-g", ("h̃ = g(W_h x) (g(a) = a + ½ for a ≥ 0, σ(a) below: the paper's log-space "
                "variant, Feng et al. 2024 Appendix B.3) in both paths, where the kind's h̃ = W_h x + b_h is linear; no biases"),
                "MINGRU-STEP-JACOBIAN-DIAG holds (a_t unchanged); h̃ > 0 keeps every state positive, as its log-space scan needs")
_H0_THROUGH_G = ("parallel h_0 through g", "h0-through-g", ("the parallel path takes log g(h_0) for the given h_0 (log_g(prev_hidden)), "
                 "the sequential path h_0 itself: they disagree for every h_0 > 0, where g(h_0) = h_0 + ½ (a bug)"),
                 "MINGRU-SCAN-EQUALS-LOOP does not hold for this implementation with a given h_0 (it does from h_0 = 0)")
_F32 = lambda what: ("float32 inside", "float32-precision", what, "none (a precision defect of the float64 module)")


def versions_installed():
    """The installed versions of the modern targets' packages (one module serves the three targets)."""
    return versions("mingru-pytorch", "lru-pytorch", "mambapy", "torch")


def _torch():
    return optional("torch", "torch", "torch")


class _TorchModern:
    """forward / step / vjp (and parallel / parallel_vjp where the package has one) from ``_run`` and ``_parallel``."""

    param_set = "canonical"

    def __init__(self, kind, dtype):
        self.torch = _torch()
        self.kind, self.dtype, self.row = kind, np.dtype(dtype), kinds.row(kind)
        self.t = {np.dtype(np.float64): self.torch.float64, np.dtype(np.float32): self.torch.float32}[self.dtype]
        self.version = ", ".join(f"{k} {v}" for k, v in versions(*self.dists).items())
        self._cache = {}   # modules by (H, D): their parameters are replaced at every call (functional_call)

    def _tensors(self, params, state, xs, grad=False):
        T = lambda a: self.torch.tensor(np.asarray(a), dtype=self.t, requires_grad=grad)
        return {k: T(v) for k, v in params.items()}, [T(s) for s in state], T(xs)

    def _out(self, v):
        # the package's own result, in the adapter's dtype (lru-pytorch writes into a float32 buffer: that shows)
        return v.detach().to(self.t).numpy().copy()

    def forward(self, params, state0, xs):
        P, s, x = self._tensors(params, state0, xs)
        with self.torch.no_grad():
            return tuple(self._out(o) for o in self._run(P, s, x))

    def step(self, params, state, x):
        outs = self.forward(params, state, np.asarray(x)[None, :])
        return tuple(outs[i][-1] if per_step else outs[i] for i, per_step in self.row.state_outputs())

    def _grads(self, fn, params, state0, xs, cot):
        P, s, x = self._tensors(params, state0, xs, grad=True)
        outs = fn(P, s, x)
        loss = sum((o.to(self.t) * self.torch.tensor(np.asarray(c), dtype=self.t)).sum() for o, c in zip(outs, cot))
        leaves = list(P.values()) + [x] + s
        gs = self.torch.autograd.grad(loss, leaves, allow_unused=True)
        out = {k: g for k, g in zip(list(P) + ["xs"] + list(self.row.state_keys), gs)}
        return {k: np.zeros(np.shape(v), dtype=self.dtype) if g is None else self._out(g)
                for (k, g), v in zip(out.items(), leaves)}

    def vjp(self, params, state0, xs, cotangents):
        return self._grads(self._run, params, state0, xs, cotangents)

    def _parallel_fn(self, P, s, x):
        return (self._parallel(P, s, x),)

    def _parallel_out(self, params, state0, xs):
        P, s, x = self._tensors(params, state0, xs)
        with self.torch.no_grad():
            return self._out(self._parallel(P, s, x))

    def _parallel_grads(self, params, state0, xs, d_first):
        return self._grads(self._parallel_fn, params, state0, xs, (d_first,))

    def param_count(self, H, D):
        return sum(p.numel() for p in self._module(H, D).parameters())


# ---------------------------------------------------------------- mingru-pytorch
class MinCell(_TorchModern):
    """mingru-pytorch's ``minGRU`` / ``minLSTM`` with hidden size H (expansion_factor = H/D, proj_out=False).

    Converter: ``to_hidden_and_gate.weight = [W_h; W_z]`` (minGRU), ``to_hidden_and_f_i_gate.weight = [W_h; W_f; W_i]``
    (minLSTM), no biases (param set ``no-bias``). ``forward`` runs the sequential path one step at a time
    (``seq_len == 1``, ``prev_hidden``); ``parallel`` the log-space path on the whole sequence with ``prev_hidden = h_0``
    (it takes log h_0: ``parallel_needs = "positive"``)."""

    dists = ("mingru-pytorch", "torch")
    param_set = "no-bias"
    parallel_needs = "positive"

    def __init__(self, kind, dtype=np.float64):
        self.lstm = kind == "minlstm"
        super().__init__(kind, dtype)
        self.name = f"mingru-pytorch.{'minLSTM' if self.lstm else 'minGRU'}[{self.dtype.name}]"
        self.parallel, self.parallel_vjp = self._parallel_out, self._parallel_grads
        self.differences = (_CANDIDATE_G, _H0_THROUGH_G) if self.lstm else (_CANDIDATE_G,)
        self.convention = "no biases; h̃ = g(W_h x); sequential: lerp / f′ = f/(f + i); parallel: Heinsen's log-space scan"

    def _module(self, H, D):
        if (H, D) not in self._cache:
            pkg = optional("minGRU_pytorch.minLSTM" if self.lstm else "minGRU_pytorch.minGRU", "mingru-pytorch", "mingru")
            cls = pkg.minLSTM if self.lstm else pkg.minGRU
            m = cls(D, expansion_factor=H / D, proj_out=False).to(self.t)
            name = "to_hidden_and_f_i_gate" if self.lstm else "to_hidden_and_gate"
            if getattr(m, name).weight.shape[0] != (3 if self.lstm else 2) * H:
                raise ValueError(f"int({D} * {H / D}) != {H}: this H, D cannot be built")
            self._cache[(H, D)] = (m, name)
        return self._cache[(H, D)][0]

    def _native(self, P):
        m = self._module(P["W_h"].shape[0], P["W_h"].shape[1])
        keys = ("W_h", "W_f", "W_i") if self.lstm else ("W_h", "W_z")
        return m, {f"{self._cache[tuple(P['W_h'].shape)][1]}.weight": self.torch.cat([P[k] for k in keys], 0)}

    def _run(self, P, s, x):
        m, W = self._native(P)
        h, hs = s[0][None, None, :], []
        fc = self.torch.func.functional_call
        for t in range(x.shape[0]):
            h = fc(m, W, (x[None, t:t + 1, :],), {"prev_hidden": h})
            hs.append(h[0, 0])
        return (self.torch.stack(hs),)

    def _parallel(self, P, s, x):
        m, W = self._native(P)
        return self.torch.func.functional_call(m, W, (x[None],), {"prev_hidden": s[0][None, None, :]})[0]


def builtins_mingru():
    """``vanishing validate mingru``: minGRU and minLSTM of mingru-pytorch, float64 and float32."""
    optional("minGRU_pytorch", "mingru-pytorch", "mingru")
    return [MinCell(k, dt) for k in ("mingru", "minlstm") for dt in (np.float64, np.float32)]


# ---------------------------------------------------------------- lru-pytorch
class LRUAdapter(_TorchModern):
    """lru-pytorch's ``LRU(in_features=D, out_features=D + 2H, state_features=H)``.

    Converter: ``nu_log, theta_log, gamma_log`` as they are, ``B = B_re + i B_im``, ``D = diag(D)`` (the package's D
    is a dense (out, in) matrix; the canonical skip is diagonal, Orvieto et al. 2023, Appendix A). The module returns
    only y; the final state is read off the module's own recurrence by two extra readout rows, C = [C_re + i C_im;
    I; −i I] and D = [diag D; 0; 0]: Re(I x_T) = h_re_T, Re(−i x_T) = h_im_T. The initial state is its ``state``
    argument, h_re0 + i h_im0."""

    dists = ("lru-pytorch", "torch")

    def __init__(self, dtype=np.float64):
        super().__init__("lru", dtype)
        self.name = f"lru-pytorch.LRU[{self.dtype.name}]"
        self.differences = (_F32("forward writes y into torch.empty(...) of the default dtype, float32: a float64 LRU "
                                 "returns float32-rounded outputs (and gradients through them)"),)
        self.convention = "λ = exp(−exp(ν_log) + i exp(θ_log)), γ = exp(γ_log); a dense D (out × in); no final state returned"

    def _module(self, H, D):
        if (H, D) not in self._cache:
            LRU = optional("LRU_pytorch.LRU", "lru-pytorch", "lru").LRU
            self._cache[(H, D)] = LRU(D, D + 2 * H, H)   # its parameters are replaced by functional_call (no .to: it would cast the complex B to real)
        return self._cache[(H, D)]

    def param_count(self, H, D):
        return 3 * H + 4 * H * D + D * D   # the package's own count with out = D: 3H + 2HD (B) + 2DH (C) + D² (a dense D)

    def _run(self, P, s, x):
        torch = self.torch
        H, D = P["B_re"].shape
        m = self._module(H, D)
        ct = torch.complex128 if self.t == torch.float64 else torch.complex64
        eye = torch.eye(H, dtype=self.t)
        C = torch.cat([torch.complex(P["C_re"], P["C_im"]), torch.complex(eye, 0 * eye), torch.complex(0 * eye, -eye)], 0)
        Dm = torch.cat([torch.diag(P["D"]), torch.zeros(2 * H, D, dtype=self.t)], 0)
        W = {"nu_log": P["nu_log"], "theta_log": P["theta_log"], "gamma_log": P["gamma_log"],
             "B": torch.complex(P["B_re"], P["B_im"]), "C": C, "D": Dm}
        y = torch.func.functional_call(m, W, (x,), {"state": torch.complex(s[0], s[1]).to(ct)})
        return y[:, :D], y[-1, D:D + H], y[-1, D + H:]


def builtins_lru():
    """``vanishing validate lru``: lru-pytorch's LRU, float64 and float32."""
    optional("LRU_pytorch", "lru-pytorch", "lru")
    return [LRUAdapter(dt) for dt in (np.float64, np.float32)]


# ---------------------------------------------------------------- mambapy
class MambaS6(_TorchModern):
    """mambapy's S6: ``MambaBlock.ssm_step`` step by step (the inference path, from any h_0) and ``MambaBlock.ssm``
    with ``pscan=True`` (the parallel scan, from h_0 = 0: ``parallel_needs = "zero-state"``).

    Converter (MambaConfig(d_model=D, d_state=H, expand_factor=1, dt_rank=D)): ``x_proj.weight = [I_D; W_B; W_C]``
    (Δ's low-rank factor set to the identity, so W_Δ = dt_proj.weight exactly), ``dt_proj.weight = W_delta``,
    ``dt_proj.bias = b_delta``, ``A_log``, ``D`` as they are. The conv, gate and projections of the block are not used."""

    dists = ("mambapy", "torch")
    parallel_needs = "zero-state"

    def __init__(self, dtype=np.float64):
        super().__init__("mamba-s6", dtype)
        self.name = f"mambapy.MambaBlock.ssm[{self.dtype.name}]"
        self.parallel, self.parallel_vjp = self._parallel_out, self._parallel_grads
        self.differences = (_F32("ssm and ssm_step compute A = −exp(A_log.float()) and D.float(): a float64 block rounds A "
                                 "and D to float32"),)
        self.convention = "B̄ = ΔB (as the official selective_scan_ref), Ā = exp(ΔA); Δ = softplus(dt_proj(x_proj_Δ x)); pscan from h_0 = 0"

    def _module(self, H, D):
        if (H, D) not in self._cache:
            mb = optional("mambapy.mamba", "mambapy", "mambapy")
            cfg = mb.MambaConfig(d_model=D, n_layers=1, d_state=H, expand_factor=1, dt_rank=D, pscan=True)
            self._cache[(H, D)] = mb.MambaBlock(cfg).to(self.t)
        return self._cache[(H, D)]

    def param_count(self, H, D):   # the S6's own parameters: A_log, D, W_Δ and b_Δ, and x_proj's B and C rows
        return D * H + D + D * D + D + 2 * H * D

    def _native(self, P):
        D, H = P["A_log"].shape
        m = self._module(H, D)
        xw = self.torch.cat([self.torch.eye(D, dtype=self.t), P["W_B"], P["W_C"]], 0)
        return m, {"A_log": P["A_log"], "D": P["D"], "x_proj.weight": xw, "dt_proj.weight": P["W_delta"],
                   "dt_proj.bias": P["b_delta"]}

    def _run(self, P, s, x):
        m, W = self._native(P)
        h, ys = s[0][None], []
        for t in range(x.shape[0]):
            y, h = _call(self.torch, m, W, "ssm_step", x[None, t], h)
            ys.append(y[0])
        return self.torch.stack(ys), h[0]

    def _parallel(self, P, s, x):
        m, W = self._native(P)
        return _call(self.torch, m, W, "ssm", x[None], None)[0]


def _call(torch, block, params, method, *args):
    """``block.method(*args)`` with ``params`` in place of the block's own, by ``torch.func.functional_call`` on a
    wrapper whose forward is that method (functional_call itself calls ``forward`` only)."""
    class Method(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = block

        def forward(self, *a):
            return getattr(self.block, method)(*a)
    return torch.func.functional_call(Method(), {f"block.{k}": v for k, v in params.items()}, args)


def builtins_mambapy():
    """``vanishing validate mambapy``: mambapy's S6, float64 and float32."""
    optional("mambapy", "mambapy", "mambapy")
    return [MambaS6(dt) for dt in (np.float64, np.float32)]
