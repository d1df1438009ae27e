"""GRU cell: the forward step beside its hand-derived local Jacobians.

Canonical layout (docs/DESIGN.md): ``W_x (3H,D)``, ``W_h (3H,H)``, ``b_x (3H,)``,
``b_h (3H,)``, gate order r, z, n (PyTorch's ``GRUCell`` order, and its two biases).
With ``a_r = W_xr x + b_xr + W_hr h + b_hr`` (likewise a_z), r = σ(a_r), z = σ(a_z):

* ``reset="after"`` (PyTorch; Keras ``reset_after=True``):
  ``n = tanh(W_xn x + b_xn + r⊙(W_hn h + b_hn))``
* ``reset="before"`` (Cho et al. 2014; Keras ``reset_after=False``):
  ``n = tanh(W_xn x + b_xn + W_hn (r⊙h) + b_hn)``

and in both ``h_t = (1−z)⊙n + z⊙h_{t-1}``. Vectors are 1-D: h (H,), x (D,), xs (T, D).
"""

import autograd.numpy as np
import numpy as onp
from vanishing.models._validate import as_array, check_choice, check_params, plain_dict
from vanishing.models.activations import get_activation
from vanishing.models.layouts import GRU_GATES

#: The activations inside validated_once: the step validated its arguments (one way to skip validation, models/_validate.py).
_SIGMOID, _TANH = get_activation("sigmoid", kernels=True), get_activation("tanh", kernels=True)
sigmoid, sigmoid_prime, tanh, tanh_prime = _SIGMOID.f, _SIGMOID.df, _TANH.f, _TANH.df

__all__ = [
    "RESETS",
    "direct_path_jacobian",
    "forward",
    "gates",
    "init_params",
    "param_count",
    "step",
    "step_jacobian",
]

RESETS = ("after", "before")


def _params(params):
    """Validate ``params``; return (params, H, D)."""
    params = plain_dict(params)
    H = D = None
    if isinstance(params, dict) and "W_h" in params and "W_x" in params:
        H = as_array("params['W_h']", params["W_h"], ndim=2, finite=False).shape[1]
        D = as_array("params['W_x']", params["W_x"], ndim=2, finite=False).shape[1]
    H3 = None if H is None else 3 * H
    shapes = {"W_x": (H3, D), "W_h": (H3, H), "b_x": (H3,), "b_h": (H3,)}
    return check_params("params", params, shapes), H, D


def _size(name, value):
    """Validate a positive int size (H or D)."""
    if isinstance(value, bool) or not isinstance(value, (int, onp.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")
    return int(value)


def _blocks(p, H):
    """{k: (W_xk, W_hk, b_xk, b_hk)} for k in r, z, n: the H-row blocks of the stacked parameters."""
    return {k: tuple(p[key][n * H:(n + 1) * H] for key in ("W_x", "W_h", "b_x", "b_h"))
            for n, k in enumerate(GRU_GATES)}


def _gates(p, h_prev, x, reset, H):
    """Unvalidated body of :func:`gates`."""
    blk = _blocks(p, H)
    a_r = blk["r"][0] @ x + blk["r"][2] + blk["r"][1] @ h_prev + blk["r"][3]  # a_r = W_xr x + b_xr + W_hr h + b_hr
    a_z = blk["z"][0] @ x + blk["z"][2] + blk["z"][1] @ h_prev + blk["z"][3]  # a_z = W_xz x + b_xz + W_hz h + b_hz
    r, z = sigmoid(a_r), sigmoid(a_z)  # r = σ(a_r), z = σ(a_z); Cho et al. 2014
    W_xn, W_hn, b_xn, b_hn = blk["n"]
    if reset == "after":
        hn = W_hn @ h_prev + b_hn  # recurrent part before the reset (PyTorch docs, GRUCell)
        a_n = W_xn @ x + b_xn + r * hn  # a_n = W_xn x + b_xn + r⊙(W_hn h + b_hn)
    else:
        hn = W_hn @ (r * h_prev) + b_hn  # reset before the matmul (Cho et al. 2014)
        a_n = W_xn @ x + b_xn + hn  # a_n = W_xn x + b_xn + W_hn (r⊙h) + b_hn
    n = tanh(a_n)  # n = tanh(a_n)
    h = (1.0 - z) * n + z * h_prev  # h_t = (1−z)⊙n + z⊙h_{t-1}
    return {"a_r": a_r, "a_z": a_z, "a_n": a_n, "hn": hn, "r": r, "z": z, "n": n, "h": h}


def _inputs(params, h_prev, x, reset):
    """Validate one step's arguments; return (params, H, h_prev, x)."""
    check_choice("reset", reset, RESETS)
    p, H, D = _params(params)
    return p, H, as_array("h_prev", h_prev, (H,)), as_array("x", x, (D,))


def gates(params, h_prev, x, reset="after"):
    """r = σ(a_r), z = σ(a_z), n = tanh(a_n), h_t = (1−z)⊙n + z⊙h_{t-1}: every intermediate of one step.

    Returns a dict with ``"a_r", "a_z", "a_n", "r", "z", "n", "h"`` and ``"hn"``, the
    recurrent part of a_n (``W_hn h + b_hn`` for "after", ``W_hn (r⊙h) + b_hn`` for
    "before"), each of shape (H,).
    """
    p, H, h_prev, x = _inputs(params, h_prev, x, reset)
    return _gates(p, h_prev, x, reset, H)


def step(params, h_prev, x, reset="after"):
    """h_t = (1−z)⊙n + z⊙h_{t-1}: one GRU step, returns an (H,) array."""
    return gates(params, h_prev, x, reset)["h"]


def forward(params, h0, xs, reset="after"):
    """h_t = GRU(h_{t-1}, x_t) for t = 1..T: returns hs of shape (T, H)."""
    check_choice("reset", reset, RESETS)
    p, H, D = _params(params)
    h = as_array("h0", h0, (H,))
    xs = as_array("xs", xs, (None, D))
    hs = []
    for t in range(xs.shape[0]):
        h = _gates(p, h, xs[t], reset, H)["h"]
        hs.append(h)
    return np.stack(hs) if hs else np.zeros((0, H))  # T = 0: an empty trajectory, not an error


def direct_path_jacobian(params, h_prev, x, reset="after"):
    """∂h_t/∂h_{t-1} = diag(z_t) with the gates z, n held fixed: the GRU's additive (leaky) path, (H, H)."""
    p, H, h_prev, x = _inputs(params, h_prev, x, reset)
    z = _gates(p, h_prev, x, reset, H)["z"]
    return np.diag(z)  # ∂(z⊙h_{t-1})/∂h_{t-1} at fixed z = diag(z); Cho et al. 2014 (the "leaky" carry)


def step_jacobian(params, h_prev, x, reset="after"):
    """∂h_t/∂h_{t-1} = diag(z) + diag(h_{t-1} − n) ∂z/∂h + diag(1 − z) ∂n/∂h: the full step Jacobian, (H, H).

    ∂z/∂h = diag(σ'(a_z)) W_hz, ∂r/∂h = diag(σ'(a_r)) W_hr, ∂n/∂h = diag(tanh'(a_n)) ∂a_n/∂h with
    ∂a_n/∂h = diag(r) W_hn + diag(W_hn h + b_hn) ∂r/∂h for "after" and
    ∂a_n/∂h = W_hn (diag(r) + diag(h) ∂r/∂h) for "before".
    """
    p, H, h_prev, x = _inputs(params, h_prev, x, reset)
    s = _gates(p, h_prev, x, reset, H)
    W_hr, W_hz, W_hn = (_blocks(p, H)[k][1] for k in GRU_GATES)
    dr = np.diag(sigmoid_prime(s["a_r"])) @ W_hr  # ∂r/∂h = diag(σ'(a_r)) W_hr
    dz = np.diag(sigmoid_prime(s["a_z"])) @ W_hz  # ∂z/∂h = diag(σ'(a_z)) W_hz
    if reset == "after":
        da_n = np.diag(s["r"]) @ W_hn + np.diag(s["hn"]) @ dr  # ∂[r⊙(W_hn h + b_hn)]/∂h, product rule (PyTorch docs)
    else:
        da_n = W_hn @ (np.diag(s["r"]) + np.diag(h_prev) @ dr)  # ∂[W_hn (r⊙h)]/∂h = W_hn (diag(r) + diag(h) ∂r/∂h) (Cho 2014)
    dn = np.diag(tanh_prime(s["a_n"])) @ da_n  # ∂n/∂h = diag(tanh'(a_n)) ∂a_n/∂h
    # h_t = (1−z)⊙n + z⊙h  ⇒  ∂h_t/∂h = diag(z) + diag(h − n) ∂z/∂h + diag(1 − z) ∂n/∂h
    return np.diag(s["z"]) + np.diag(h_prev - s["n"]) @ dz + np.diag(1.0 - s["z"]) @ dn


def init_params(H, D, rng, scale=1.0):
    """θ ~ U(−k, k), k = scale/√H (PyTorch's GRUCell init at scale=1), both biases included.

    ``rng`` is a ``numpy.random.Generator``.
    """
    H, D = _size("H", H), _size("D", D)
    if not isinstance(rng, onp.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    scale = float(as_array("scale", scale, ()))
    if scale < 0:
        raise ValueError(f"scale: expected a finite value >= 0, got {scale}")
    k = scale / onp.sqrt(H)
    return {"W_x": rng.uniform(-k, k, (3 * H, D)), "W_h": rng.uniform(-k, k, (3 * H, H)),
            "b_x": rng.uniform(-k, k, 3 * H), "b_h": rng.uniform(-k, k, 3 * H)}


def param_count(H, D):
    """3·(H·D + H² + 2H): W_x, W_h and the two biases b_x, b_h (the same as PyTorch's GRUCell)."""
    H, D = _size("H", H), _size("D", D)
    return 3 * (H * D + H * H + 2 * H)
