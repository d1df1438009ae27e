"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?", arXiv:2410.01201): gates that read x_t only.

Canonical layouts (docs/DESIGN.md): minGRU ``W_z, W_h (H,D)``, ``b_z, b_h (H,)``; minLSTM ``W_f, W_i, W_h (H,D)``,
``b_f, b_i, b_h (H,)``. With k_z = W_z x_t + b_z (likewise k_f, k_i) and h̃_t = W_h x_t + b_h:

* minGRU, §3.1 (Appendix B, Listing 7): z_t = σ(k_z), h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t;
* minLSTM, §3.2: f_t = σ(k_f), i_t = σ(k_i), f′_t = f_t/(f_t + i_t), i′_t = i_t/(f_t + i_t),
  h_t = f′_t ⊙ h_{t−1} + i′_t ⊙ h̃_t.

``candidate="g"`` is the paper's log-space variant (Appendix B, Listings: ``g(x) = x + 0.5`` for x ≥ 0, σ(x) for
x < 0), whose h̃_t = g(W_h x_t + b_h) > 0 keeps every state positive, as the log-space scan needs.

Each cell is h_t = a_t ⊙ h_{t−1} + b_t with a_t, b_t independent of h_{t−1}: the step Jacobian is diag(a_t)
(a = 1 − z for minGRU, a = f′ for minLSTM), in full. The parallel forms are Heinsen (2023)'s log-space scan
(``forward_log_scan``) and the associative scan (``forward_scan``). Vectors are 1-D: h (H,), x (D,), xs (T, D).
"""

import autograd.numpy as np
import numpy as onp
from vanishing.models import scan
from vanishing.models._validate import as_array, check_choice, check_layout, unvalidated
from vanishing.models.activations import get_activation, log_sigmoid, softplus

_SIGMOID = get_activation("sigmoid", kernels=True)
sigmoid = _SIGMOID.f
_softplus, _log_sigmoid = unvalidated(softplus), unvalidated(log_sigmoid)

__all__ = ["CANDIDATES", "CELLS", "coefficients", "forward", "forward_log_scan", "forward_scan", "g", "init_params",
           "log_coefficients", "log_g", "param_count", "param_shapes", "step", "step_jacobian"]

CELLS = ("mingru", "minlstm")
CANDIDATES = ("linear", "g")
_KEYS = {"mingru": ("W_z", "W_h"), "minlstm": ("W_f", "W_i", "W_h")}


def param_shapes(H, D, cell="mingru"):
    """{key: shape} of the canonical layout of ``cell``."""
    check_choice("cell", cell, CELLS)
    out = {}
    for W in _KEYS[cell]:
        out[W], out["b" + W[1:]] = (H, D), (H,)
    return out


def _params(params, cell):
    check_choice("cell", cell, CELLS)
    p, (H, D) = check_layout(params, "W_h", lambda h, d: param_shapes(h, d, cell))   # W_h is (H, D)
    return p, H, D


def g(x):
    """g(x) = x + 0.5 for x ≥ 0, σ(x) for x < 0 (Feng et al. 2024, Appendix B): positive, continuous, g(0) = 1/2."""
    x = as_array("x", x)
    return np.where(x >= 0, np.maximum(x, 0.0) + 0.5, sigmoid(np.minimum(x, 0.0)))


def log_g(x):
    """log g(x) = log(x + 0.5) for x ≥ 0, −softplus(−x) for x < 0 (Feng et al. 2024, Appendix B, ``log_g``)."""
    x = as_array("x", x)
    return np.where(x >= 0, np.log(np.maximum(x, 0.0) + 0.5), _log_sigmoid(np.minimum(x, 0.0)))


def _candidate(p, x, candidate):
    k = p["W_h"] @ x + p["b_h"]                                   # h̃_t = Linear_dh(x_t) (§3.1 / §3.2)
    return k if candidate == "linear" else g(k)


def _coefficients(p, x, cell, candidate):
    """(a_t, b_t) with h_t = a_t ⊙ h_{t−1} + b_t; a_t computed as σ(−k), never as 1 − σ(k) (no cancellation)."""
    h_tilde = _candidate(p, x, candidate)
    if cell == "mingru":
        k = p["W_z"] @ x + p["b_z"]
        return sigmoid(-k), sigmoid(k) * h_tilde                    # 1 − z_t = σ(−k_z), z_t = σ(k_z)   (§3.1)
    d = _softplus(-(p["W_f"] @ x + p["b_f"])) - _softplus(-(p["W_i"] @ x + p["b_i"]))   # d = log i_t − log f_t
    # f′ = f/(f + i) = 1/(1 + i/f) = σ(−d), i′ = σ(d)  (§3.2; computed without f + i, which underflows to 0/0)
    return sigmoid(-d), sigmoid(d) * h_tilde


def _log_coefficients(p, x, cell, candidate):
    """(log a_t, log b_t): log σ(x) = −softplus(−x) (Feng et al. 2024, Appendix B), finite for every finite x."""
    k_h = p["W_h"] @ x + p["b_h"]
    log_h = log_g(k_h) if candidate == "g" else np.log(k_h)        # "linear": only where h̃ > 0 (checked by the caller)
    if cell == "mingru":
        k = p["W_z"] @ x + p["b_z"]
        return -_softplus(k), -_softplus(-k) + log_h               # log(1 − z) = −softplus(k), log z = −softplus(−k)
    d = _softplus(-(p["W_f"] @ x + p["b_f"])) - _softplus(-(p["W_i"] @ x + p["b_i"]))
    return -_softplus(d), -_softplus(-d) + log_h                   # log f′ = −softplus(d), log i′ = −softplus(−d)


def _inputs(params, h_prev, x, cell, candidate):
    check_choice("candidate", candidate, CANDIDATES)
    p, H, D = _params(params, cell)
    return p, as_array("h_prev", h_prev, (H,)), as_array("x", x, (D,))


def coefficients(params, x, cell="mingru", candidate="linear"):
    """(a_t, b_t) of h_t = a_t ⊙ h_{t−1} + b_t: minGRU (1 − z_t, z_t ⊙ h̃_t), minLSTM (f′_t, i′_t ⊙ h̃_t)."""
    check_choice("candidate", candidate, CANDIDATES)
    p, _, D = _params(params, cell)
    return _coefficients(p, as_array("x", x, (D,)), cell, candidate)


def log_coefficients(params, x, cell="mingru", candidate="g"):
    """(log a_t, log b_t) as the log-space scan uses them; ``candidate="linear"`` needs h̃_t > 0."""
    check_choice("candidate", candidate, CANDIDATES)
    p, _, D = _params(params, cell)
    x = as_array("x", x, (D,))
    if candidate == "linear":
        _positive("h_tilde", p["W_h"] @ x + p["b_h"])
    return _log_coefficients(p, x, cell, candidate)


def step(params, h_prev, x, cell="mingru", candidate="linear"):
    """h_t = a_t ⊙ h_{t−1} + b_t (§3.1 for minGRU, §3.2 for minLSTM): one step, (H,)."""
    p, h_prev, x = _inputs(params, h_prev, x, cell, candidate)
    a, b = _coefficients(p, x, cell, candidate)
    return a * h_prev + b


def step_jacobian(params, h_prev, x, cell="mingru", candidate="linear"):
    """∂h_t/∂h_{t−1} = diag(a_t): diag(1 − z_t) (minGRU), diag(f′_t) (minLSTM); a_t, b_t do not read h_{t−1}."""
    p, h_prev, x = _inputs(params, h_prev, x, cell, candidate)
    return np.diag(_coefficients(p, x, cell, candidate)[0])      # ∂(a⊙h + b)/∂h = diag(a), a and b free of h


def _sequence(params, h0, xs, cell, candidate):
    check_choice("candidate", candidate, CANDIDATES)
    p, H, D = _params(params, cell)
    return p, as_array("h0", h0, (H,)), as_array("xs", xs, (None, D)), H


def forward(params, h0, xs, cell="mingru", candidate="linear"):
    """The sequential recurrence, t = 1..T: hs of shape (T, H)."""
    p, h, xs, H = _sequence(params, h0, xs, cell, candidate)
    hs = []
    for t in range(xs.shape[0]):
        a, b = _coefficients(p, xs[t], cell, candidate)
        h = a * h + b
        hs.append(h)
    return np.stack(hs) if hs else np.zeros((0, H))


def _all_coefficients(p, xs, cell, candidate, log):
    fn = _log_coefficients if log else _coefficients
    pairs = [fn(p, xs[t], cell, candidate) for t in range(xs.shape[0])]   # per step: no step reads another
    return np.stack([a for a, _ in pairs]), np.stack([b for _, b in pairs])


def forward_scan(params, h0, xs, cell="mingru", candidate="linear"):
    """The same hs by the associative scan of (a_t, b_t) (⌈log₂ T⌉ rounds), (T, H)."""
    p, h0, xs, H = _sequence(params, h0, xs, cell, candidate)
    if xs.shape[0] == 0:
        return np.zeros((0, H))
    a, b = _all_coefficients(p, xs, cell, candidate, log=False)
    return scan.linear_scan(a, b, h0)


def _positive(name, v):
    raw = onp.asarray(getattr(v, "_value", v))
    while hasattr(raw, "_value"):
        raw = onp.asarray(raw._value)
    if not onp.all(raw > 0):
        bad = int(onp.sum(~(raw > 0)))
        raise ValueError(f"{name}: the log-space scan needs positive values (real logarithms); got {bad} entr"
                         f"{'y' if bad == 1 else 'ies'} <= 0, min {float(onp.min(raw)):.6g}: use candidate='g' or forward")


def forward_log_scan(params, h0, xs, cell="mingru", candidate="g"):
    """hs by Heinsen (2023)'s log-space scan (Feng et al. 2024, Algorithm 2 / Appendix B), (T, H).

    Needs h_0 > 0 and h̃_t > 0 (``candidate="g"`` guarantees the latter); ValueError otherwise, naming which.
    """
    p, h0, xs, H = _sequence(params, h0, xs, cell, candidate)
    _positive("h0", h0)
    if candidate == "linear":
        for t in range(xs.shape[0]):
            _positive(f"h_tilde (t = {t + 1})", p["W_h"] @ xs[t] + p["b_h"])
    if xs.shape[0] == 0:
        return np.zeros((0, H))
    log_a, log_b = _all_coefficients(p, xs, cell, candidate, log=True)
    return np.exp(scan.log_scan(log_a, log_b, np.log(h0)))


def _size(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, onp.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")
    return int(value)


def init_params(H, D, rng, cell="mingru", scale=1.0):
    """θ ~ U(−k, k), k = scale/√D (PyTorch's nn.Linear init at scale = 1, the paper's Linear_dh)."""
    from vanishing.models._validate import check_init
    H, D = _size("H", H), _size("D", D)
    scale = check_init(rng, scale)
    k = scale / onp.sqrt(D)
    return {key: rng.uniform(-k, k, shape) for key, shape in param_shapes(H, D, cell).items()}


def param_count(H, D, cell="mingru"):
    """(H·D + H) per linear map: 2 maps for minGRU (z, h̃), 3 for minLSTM (f, i, h̃) (the paper's §3.1.3, §3.2.3)."""
    H, D = _size("H", H), _size("D", D)
    return len(_KEYS[check_choice("cell", cell, CELLS)]) * (H * D + H)
