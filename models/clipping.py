"""Gradient clipping on a list of gradient arrays: by global norm, per tensor, by value.

Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks",
§3.2, Algorithm 1:  ĝ ← ∂E/∂θ;  if ‖ĝ‖ ≥ threshold then ĝ ← (threshold/‖ĝ‖) ĝ.
Goodfellow et al. 2016 §10.11.1 gives the same rule. Library semantics (PyTorch 2.13.0 torch/nn/utils/clip_grad.py, Keras 3 base_optimizer.py; docs/SOURCES.md):
torch.nn.utils.clip_grad_norm_ multiplies by min(1, max_norm/(total + 1e-6)) and returns the
norm before clipping; Keras ``clipnorm`` clips each variable separately, ``global_clipnorm``
jointly; ``clip_grad_value_`` / ``clipvalue`` clamp elementwise.

max_norm = 0 is accepted, as PyTorch and optax accept it: every clipped gradient is then 0, with ε > 0
(coef = 0/(‖g‖ + ε) = 0) and with ε = 0, including when every gradient is 0, where ε = 0 would read
0·0/0 = NaN (optax before its PR #1752): the reference takes coef = 0, the limit, and returns zeros.

Norms are computed in float64 with a max-abs rescaling, so gradients near 1e200 (exploded)
still give a finite norm instead of overflowing in Σg².
"""

import autograd.numpy as np
import numpy as onp
from autograd.tracer import getval

from vanishing.models._validate import as_array

__all__ = ["clip_by_global_norm", "clip_by_norm_per_tensor", "clip_by_value", "global_norm", "global_clip_jacobian"]


def _grads(grads):
    if not isinstance(grads, (list, tuple)):
        raise ValueError(f"grads: expected a list of arrays, got {type(grads).__name__}")  # noqa: TRY004 (DESIGN.md: a bad call raises ValueError)
    return [as_array(f"grads[{i}]", g) for i, g in enumerate(grads)]


def _positive(name, value, zero=False):
    """A finite threshold > 0 (>= 0 with ``zero``: max_norm, as PyTorch and optax accept 0)."""
    v = float(as_array(name, value, shape=()))
    if not (v >= 0 if zero else v > 0):
        raise ValueError(f"{name}: expected a finite value {'>=' if zero else '>'} 0, got {v!r}")
    return v


def _eps(eps):
    v = float(as_array("eps", eps, shape=()))
    if not v >= 0:
        raise ValueError(f"eps: expected a finite value >= 0, got {v!r}")
    return v


def _norm(gs):
    # ‖g‖ = sqrt(Σ_j Σ g_j²) = m·sqrt(Σ_j Σ (g_j/m)²), m = max|g|  (same value; the scaled sum cannot overflow)
    # m is a constant rescaling (getval): the expression equals ‖g‖ for every m > 0, so holding m
    # fixed leaves autograd's derivative exact: ∂‖g‖/∂g = g/‖g‖.
    flat = [np.ravel(g) for g in gs]
    m = max((float(onp.max(onp.abs(getval(f)))) for f in flat if f.size), default=0.0)
    if m == 0.0:
        return 0.0
    return m * np.sqrt(sum(np.sum((f / m) ** 2) for f in flat))


def global_norm(grads):
    """‖g‖ = sqrt(Σ_j ‖g_j‖²) over every entry of every array in grads (0 for an empty list)."""
    return _norm(_grads(grads))


def _coef(norm, max_norm, eps):
    n = float(getval(norm))                      # the branch depends on the value only
    if max_norm == 0.0:
        # clip(g) = 0 for every g: 0/(‖g‖ + ε) = 0 with ε > 0; with ε = 0 also at ‖g‖ = 0 (the limit, not 0/0 = NaN)
        return 0.0
    if eps == 0.0:
        # Pascanu et al. 2013, Algorithm 1: if ‖ĝ‖ ≥ threshold: ĝ ← threshold/‖ĝ‖ · ĝ
        return max_norm / norm if n >= max_norm else 1.0
    # torch clip_grad_norm_: coef = min(1, max_norm/(total + eps)); eps = 1e-6 reproduces torch,
    # and makes the clipped norm below max_norm (in exact arithmetic)
    return max_norm / (norm + eps) if max_norm / (n + eps) < 1.0 else 1.0


def clip_by_global_norm(grads, max_norm, eps=0.0):
    """g_j ← g_j·min(1, max_norm/(‖g‖ + eps)) with ‖g‖ the global norm; returns (clipped list, ‖g‖ before).

    max_norm = 0 returns zeros, for every eps and also when every gradient is 0 (see the module docstring)."""
    gs, max_norm, eps = _grads(grads), _positive("max_norm", max_norm, zero=True), _eps(eps)
    norm = _norm(gs)
    c = _coef(norm, max_norm, eps)
    return [g * c for g in gs], float(getval(norm))


def clip_by_norm_per_tensor(grads, max_norm, eps=0.0):
    """g_j ← g_j·min(1, max_norm/(‖g_j‖ + eps)) for each array separately (Keras clipnorm); returns (list, norms before)."""
    gs, max_norm, eps = _grads(grads), _positive("max_norm", max_norm, zero=True), _eps(eps)
    # Keras clip_by_norm: g·c/max(‖g‖, c) = g·min(1, c/‖g‖), the eps = 0 case. Across m tensors the
    # combined norm after clipping can reach √m·max_norm (Keras 3 `clipnorm`; docs/SOURCES.md).
    norms = [_norm([g]) for g in gs]
    return [g * _coef(n, max_norm, eps) for g, n in zip(gs, norms)], [float(getval(n)) for n in norms]


def clip_by_value(grads, clip_value):
    """g ← clamp(g, −v, v) elementwise (torch clip_grad_value_, Keras clipvalue); changes the direction."""
    gs, v = _grads(grads), _positive("clip_value", clip_value)
    return [np.clip(g, -v, v) for g in gs]


def global_clip_jacobian(g, max_norm, eps=0.0):
    """∂clip(g)/∂g for one flat gradient g: I below the threshold, else c/(n+ε)·(I − g gᵀ/(n(n+ε))), n = ‖g‖."""
    g = as_array("g", g, ndim=1)
    max_norm, eps = _positive("max_norm", max_norm, zero=True), _eps(eps)
    n = float(onp.linalg.norm(g))
    if max_norm == 0.0:
        return onp.zeros((g.size, g.size))                              # clip(g) = 0 for every g
    if float(_coef(n, max_norm, eps)) == 1.0:
        return onp.eye(g.size)                                          # not clipped: clip(g) = g
    # clip(g) = c·g/(n+ε)  ⇒  ∂/∂g = c/(n+ε)·I + c·g·∂(n+ε)^{-1}/∂g
    #                              = c/(n+ε)·I − c·g·(g/n)ᵀ/(n+ε)²      (∂n/∂g = g/n)
    #                              = c/(n+ε)·(I − g gᵀ/(n(n+ε)))          (ε = 0: (c/n)(I − ĝĝᵀ), Pascanu §3.2's rescaling)
    return max_norm / (n + eps) * (onp.eye(g.size) - onp.outer(g, g) / (n * (n + eps)))
