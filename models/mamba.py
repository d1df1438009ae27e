"""Mamba's selective state space layer S6 (Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State
Spaces", arXiv:2312.00752), Algorithm 2, with a diagonal real A as in the paper's S6 and its official code.

Canonical layout (docs/DESIGN.md), N = H states per channel and D channels: ``A_log (D,H)`` (A = −exp(A_log) < 0),
``W_delta (D,D)``, ``b_delta (D,)``, ``W_B (H,D)``, ``W_C (H,D)``, ``D (D,)``. For an input x_t (D,):

* Δ_t = softplus(W_Δ x_t + b_Δ) (D,)  (Algorithm 2: τ_Δ = softplus, s_Δ a linear map; W_Δ full rank here),
  B_t = W_B x_t, C_t = W_C x_t (H,)  (s_B, s_C);
* Ā_t = exp(Δ_t A) (§2, zero-order hold; eq. (4), number unconfirmed: docs/literature.md), and ``bbar="zoh"``: B̄_t = (Δ_t A)^{−1}(exp(Δ_t A) − I)·Δ_t B_t,
  ``bbar="euler"`` (the default, as the official selective_scan_ref computes it): B̄_t = Δ_t B_t;
* h_t = Ā_t ⊙ h_{t−1} + B̄_t ⊙ x_t (§2, the recurrence, per channel d and state n), y_t = h_t C_t + D ⊙ x_t (plus the skip D).

The state h is (D, H). Its Jacobian ∂h_t/∂h_{t−1} = diag(vec Ā_t) = diag(exp(Δ_t A)), every entry in (0, 1] for A < 0.
``forward_scan`` is the parallel form (the associative scan of §3.3.2).
"""

import autograd.numpy as np
import numpy as onp
from vanishing.models import scan
from vanishing.models._validate import as_array, check_choice, check_layout, unvalidated
from vanishing.models.activations import softplus

_softplus = unvalidated(softplus)

__all__ = ["BBARS", "discretize", "forward", "forward_scan", "init_params", "param_count", "param_shapes", "phi1",
           "state_jacobian", "step"]

BBARS = ("euler", "zoh")


def param_shapes(H, D):
    """{key: shape}: N = H states per channel, D channels."""
    return {"A_log": (D, H), "W_delta": (D, D), "b_delta": (D,), "W_B": (H, D), "W_C": (H, D), "D": (D,)}


def _params(params):
    p, (D, H) = check_layout(params, "A_log", lambda d, n: param_shapes(n, d))   # A_log is (D, N)
    return p, H, D


def phi1(z):
    """φ₁(z) = (e^z − 1)/z, φ₁(0) = 1: B̄_ZOH = Δ·φ₁(ΔA)·B for diagonal A (the ZOH written without the 0/0)."""
    z = as_array("z", z)
    return _phi1(z)


def _phi1(z):
    # |z| < 1e-5: the series 1 + z/2 + z²/6 (error below z³/24 < 5e-17, under an ulp); elsewhere expm1(z)/z, exact to a few
    # ulps (no cancellation: expm1). np.where evaluates both, so each side gets an argument in its own range.
    small = np.abs(z) < 1e-5
    zs = np.where(small, z, 0.0)
    zb = np.where(small, 1.0, z)
    return np.where(small, 1.0 + zs / 2.0 + zs * zs / 6.0, np.expm1(zb) / zb)


def _discretize(p, x, bbar):
    """(Δ_t, Ā_t, B̄_t, C_t): Ā_t = exp(Δ_t A) (D,H); B̄_t (D,H) by ``bbar``."""
    # A = −exp(A_log) < 0 (the official A_log parametrisation); A_log is capped at 300 so that Δ·A cannot overflow
    # (e^300 ≈ 2e130): beyond it exp(ΔA) is 0 already for every Δ ≥ 1e-127, so the cap moves no value it can reach
    A = -np.exp(np.minimum(p["A_log"], 300.0))
    delta = _softplus(p["W_delta"] @ x + p["b_delta"])              # Δ_t = softplus(W_Δ x_t + b_Δ) ≥ 0
    dA = delta[:, None] * A                                          # Δ_t A, ≤ 0
    Abar = np.exp(dA)                                                # Ā = exp(ΔA)   (ZOH)
    B = p["W_B"] @ x
    dB = delta[:, None] * B[None, :]                                 # Δ_t B_t (D, H)
    Bbar = dB if bbar == "euler" else _phi1(dA) * dB                 # (ΔA)^{−1}(e^{ΔA} − 1)ΔB = φ₁(ΔA)·ΔB   (ZOH)
    return delta, Abar, Bbar, p["W_C"] @ x


def _inputs(params, h_prev, x, bbar):
    check_choice("bbar", bbar, BBARS)
    p, H, D = _params(params)
    return p, as_array("h_prev", h_prev, (D, H)), as_array("x", x, (D,))


def discretize(params, x, bbar="euler"):
    """(Δ_t (D,), Ā_t (D,H), B̄_t (D,H), C_t (H,)) of one input."""
    check_choice("bbar", bbar, BBARS)
    p, _, D = _params(params)
    return _discretize(p, as_array("x", x, (D,)), bbar)


def step(params, h_prev, x, bbar="euler"):
    """h_t = Ā_t ⊙ h_{t−1} + B̄_t ⊙ x_t, y_t = h_t C_t + D ⊙ x_t: returns (h_t (D,H), y_t (D,))."""
    p, h_prev, x = _inputs(params, h_prev, x, bbar)
    _, Abar, Bbar, C = _discretize(p, x, bbar)
    h = Abar * h_prev + Bbar * x[:, None]                            # the recurrence, per channel d and state n
    return h, h @ C + p["D"] * x                                     # the output, y_t[d] = Σ_n C_t[n] h_t[d, n] + D[d] x_t[d]


def state_jacobian(params, h_prev, x, bbar="euler"):
    """∂vec h_t/∂vec h_{t−1} = diag(vec exp(Δ_t A)), (D·H, D·H) (row-major vec); Δ, B, C read x_t only."""
    p, h_prev, x = _inputs(params, h_prev, x, bbar)
    return np.diag(np.ravel(_discretize(p, x, bbar)[1]))            # ∂(Ā⊙h + B̄x)/∂h = diag(Ā)


def _sequence(params, h0, xs, bbar):
    check_choice("bbar", bbar, BBARS)
    p, H, D = _params(params)
    return p, as_array("h0", h0, (D, H)), as_array("xs", xs, (None, D)), H, D


def forward(params, h0, xs, bbar="euler"):
    """The sequential recurrence: (ys (T, D), hs (T, D, H))."""
    p, h, xs, H, D = _sequence(params, h0, xs, bbar)
    ys, hs = [], []
    for t in range(xs.shape[0]):
        _, Abar, Bbar, C = _discretize(p, xs[t], bbar)
        h = Abar * h + Bbar * xs[t][:, None]
        hs.append(h)
        ys.append(h @ C + p["D"] * xs[t])
    if not ys:
        return np.zeros((0, D)), np.zeros((0, D, H))
    return np.stack(ys), np.stack(hs)


def forward_scan(params, h0, xs, bbar="euler"):
    """The same (ys, hs) by the associative scan over (Ā_t, B̄_t x_t) (Gu & Dao 2023, §3.3.2)."""
    p, h0, xs, H, D = _sequence(params, h0, xs, bbar)
    if xs.shape[0] == 0:
        return np.zeros((0, D)), np.zeros((0, D, H))
    parts = [_discretize(p, xs[t], bbar) for t in range(xs.shape[0])]
    Abar = np.stack([q[1] for q in parts])
    Bx = np.stack([q[2] * xs[t][:, None] for t, q in enumerate(parts)])
    C = np.stack([q[3] for q in parts])
    hs = scan.linear_scan(Abar, Bx, h0)
    return np.einsum("tdn,tn->td", hs, C) + xs * p["D"], hs


def _size(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, onp.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")
    return int(value)


def init_params(H, D, rng, scale=1.0, dt_min=1e-3, dt_max=1e-1):
    """S4D-real A = −(1, …, N) per channel (A_log = log n), Δ's bias so that softplus(b_Δ) ~ logU[dt_min, dt_max] (the
    official initialisation), linear maps U(−k, k), k = scale/√D, D = 1."""
    from vanishing.models._validate import check_init
    H, D = _size("H", H), _size("D", D)
    k = check_init(rng, scale) / onp.sqrt(D)
    dt = onp.exp(rng.uniform(onp.log(dt_min), onp.log(dt_max), D))
    return {"A_log": onp.log(onp.tile(onp.arange(1, H + 1, dtype=float), (D, 1))),
            "W_delta": rng.uniform(-k, k, (D, D)), "b_delta": dt + onp.log(-onp.expm1(-dt)),   # softplus⁻¹(dt)
            "W_B": rng.uniform(-k, k, (H, D)), "W_C": rng.uniform(-k, k, (H, D)), "D": onp.ones(D)}


def param_count(H, D):
    """D·H (A) + D² + D (Δ) + 2HD (B, C) + D (skip)."""
    H, D = _size("H", H), _size("D", D)
    return D * H + D * D + D + 2 * H * D + D
