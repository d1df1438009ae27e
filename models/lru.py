"""The Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks for Long Sequences",
arXiv:2303.06349), written in real arithmetic on (re, im) pairs so that autograd and the input checks stay real.

Canonical layout (docs/DESIGN.md), the paper's Appendix A pseudocode with N = H states and model width D:
``nu_log, theta_log, gamma_log (H,)``, ``B_re, B_im (H,D)``, ``C_re, C_im (D,H)``, ``D (D,)``.

* λ = exp(−exp(ν_log) + i·exp(θ_log)) (§3.3, the exponential parametrisation), so |λ| = exp(−exp(ν_log)) < 1;
* γ = exp(γ_log), initialised to √(1 − |λ|²) (§3.4, the normalisation);
* x_k = diag(λ) x_{k−1} + γ ⊙ (B u_k),  y_k = Re(C x_k) + D ⊙ u_k  (§2 with the diagonal Λ, §3.4's γ; Appendix A).

The state x_k = h_re + i·h_im, (H,) each. The state Jacobian is diag(λ): as a real 2H×2H map
[[diag(Re λ), −diag(Im λ)], [diag(Im λ), diag(Re λ)]]. ``forward_scan`` is the paper's parallel form (the associative
scan of Appendix A, ``binary_operator_diag``). Inputs u (D,), us (T, D).
"""

import autograd.numpy as np
import numpy as onp
from vanishing.models import scan
from vanishing.models._validate import as_array, check_layout

__all__ = ["eigenvalues", "forward", "forward_scan", "init_params", "param_count", "param_shapes", "ring_init",
           "step", "step_jacobian"]

#: exp(ν_log) and exp(θ_log) are evaluated at min(·, 700): e^700 ≈ 1e304 is finite, and beyond it |λ| = e^{−e^700}
#: is 0 in every float already (so the value is unchanged) while e^{710} would overflow to inf (and cos(inf) is NaN).
_EXP_CAP = 700.0


def param_shapes(H, D):
    """{key: shape} of the canonical layout (Orvieto et al. 2023, Appendix A, ``init_lru_parameters``)."""
    return {"nu_log": (H,), "theta_log": (H,), "gamma_log": (H,), "B_re": (H, D), "B_im": (H, D),
            "C_re": (D, H), "C_im": (D, H), "D": (D,)}


def _params(params):
    p, (H, D) = check_layout(params, "B_re", param_shapes)             # B_re is (H, D)
    return p, H, D


def _eigenvalues(p):
    """(|λ|, Re λ, Im λ): |λ| = exp(−exp(ν_log)), arg λ = exp(θ_log)  (§3.3, the exponential parametrisation)."""
    r = np.exp(-np.exp(np.minimum(p["nu_log"], _EXP_CAP)))         # |λ| = e^{−e^{ν_log}} ∈ [0, 1]
    theta = np.exp(np.minimum(p["theta_log"], _EXP_CAP))
    return r, r * np.cos(theta), r * np.sin(theta)


def eigenvalues(params):
    """(|λ|, Re λ, Im λ) of the diagonal recurrence, (H,) each."""
    return _eigenvalues(_params(params)[0])


def _drive(p, u):
    """γ ⊙ (B u) as (re, im): B_norm = (B_re + i B_im)·γ (Appendix A, ``B_norm``)."""
    gamma = np.exp(p["gamma_log"])
    return gamma * (p["B_re"] @ u), gamma * (p["B_im"] @ u)


def _output(p, h_re, h_im, u):
    """y = Re(C x) + D ⊙ u = C_re h_re − C_im h_im + D ⊙ u."""
    return p["C_re"] @ h_re - p["C_im"] @ h_im + p["D"] * u


def _inputs(params, h_re, h_im, u):
    p, H, D = _params(params)
    return p, as_array("h_re", h_re, (H,)), as_array("h_im", h_im, (H,)), as_array("u", u, (D,))


def step(params, h_re, h_im, u):
    """x_k = λ ⊙ x_{k−1} + γ ⊙ (B u_k) on (re, im): returns (h_re, h_im, y), each 1-D."""
    p, h_re, h_im, u = _inputs(params, h_re, h_im, u)
    _, lr, li = _eigenvalues(p)
    br, bi = _drive(p, u)
    nr, ni = lr * h_re - li * h_im + br, lr * h_im + li * h_re + bi      # (λ x)_re, (λ x)_im, complex product
    return nr, ni, _output(p, nr, ni, u)


def step_jacobian(params, h_re, h_im, u):
    """∂(h_re, h_im)_k/∂(h_re, h_im)_{k−1} = [[diag Re λ, −diag Im λ], [diag Im λ, diag Re λ]]: diag(λ), (2H, 2H)."""
    p, h_re, h_im, u = _inputs(params, h_re, h_im, u)
    _, lr, li = _eigenvalues(p)
    # ∂(λ x)/∂x = λ for the diagonal complex map; the real form of multiplication by λ_j is [[Re, −Im], [Im, Re]]
    return np.concatenate([np.concatenate([np.diag(lr), -np.diag(li)], axis=1),
                           np.concatenate([np.diag(li), np.diag(lr)], axis=1)], axis=0)


def _sequence(params, h_re, h_im, us):
    p, H, D = _params(params)
    return p, as_array("h_re0", h_re, (H,)), as_array("h_im0", h_im, (H,)), as_array("us", us, (None, D)), H, D


def forward(params, h_re0, h_im0, us):
    """The sequential recurrence: (ys (T, D), hs_re (T, H), hs_im (T, H))."""
    p, hr, hi, us, H, D = _sequence(params, h_re0, h_im0, us)
    _, lr, li = _eigenvalues(p)
    ys, rs, js = [], [], []
    for k in range(us.shape[0]):
        br, bi = _drive(p, us[k])
        hr, hi = lr * hr - li * hi + br, lr * hi + li * hr + bi
        ys.append(_output(p, hr, hi, us[k]))
        rs.append(hr)
        js.append(hi)
    if not ys:
        return np.zeros((0, D)), np.zeros((0, H)), np.zeros((0, H))
    return np.stack(ys), np.stack(rs), np.stack(js)


def forward_scan(params, h_re0, h_im0, us):
    """The same (ys, hs_re, hs_im) by the associative scan over the complex diagonal (Appendix A, ``parallel_scan``)."""
    p, hr, hi, us, H, D = _sequence(params, h_re0, h_im0, us)
    T = us.shape[0]
    if T == 0:
        return np.zeros((0, D)), np.zeros((0, H)), np.zeros((0, H))
    _, lr, li = _eigenvalues(p)
    gamma = np.exp(p["gamma_log"])
    br, bi = gamma * (us @ p["B_re"].T), gamma * (us @ p["B_im"].T)             # Bu_elements, (T, H)
    ones = np.ones((T, 1))
    sr, si = scan.linear_scan((ones * lr, ones * li), (br, bi), (hr, hi), complex_pairs=True)
    ys = sr @ p["C_re"].T - si @ p["C_im"].T + us * p["D"]
    return ys, sr, si


def ring_init(H, rng, r_min=0.0, r_max=1.0, max_phase=2 * onp.pi):
    """(ν_log, θ_log) with λ uniform in area on the ring r_min ≤ |λ| ≤ r_max, 0 ≤ arg λ ≤ max_phase (Lemma 3.2; Appendix A).

    u₁, u₂ ~ U[0, 1): ν = −½ log(u₁(r_max² − r_min²) + r_min²), θ = max_phase·u₂, stored as ν_log = log ν, θ_log = log θ.
    A draw u of exactly 0 (probability 2⁻⁵³) is replaced by ½, so that no logarithm meets 0.
    """
    H = _size("H", H)
    if not isinstance(rng, onp.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")  # noqa: TRY004
    r_min, r_max, max_phase = (float(as_array(n, v, ())) for n, v in (("r_min", r_min), ("r_max", r_max), ("max_phase", max_phase)))
    if not 0.0 <= r_min <= r_max <= 1.0:
        raise ValueError(f"r_min, r_max: expected 0 <= r_min <= r_max <= 1 (Lemma 3.2), got r_min = {r_min}, r_max = {r_max}")
    if max_phase <= 0:
        raise ValueError(f"max_phase: expected a value > 0, got {max_phase}")
    u1, u2 = rng.uniform(size=H), rng.uniform(size=H)
    u1, u2 = onp.where(u1 == 0, 0.5, u1), onp.where(u2 == 0, 0.5, u2)
    nu = -0.5 * onp.log(u1 * (r_max ** 2 - r_min ** 2) + r_min ** 2)       # |λ| = e^{−ν}: |λ|² = u₁(r_max² − r_min²) + r_min²
    with onp.errstate(divide="ignore"):
        nu_log = onp.log(nu)                                                 # ν = 0 only at |λ| = r_max = 1 (u₁ → 1)
    return onp.maximum(nu_log, -745.0), onp.log(max_phase * u2)


def init_params(H, D, rng, r_min=0.0, r_max=1.0, max_phase=2 * onp.pi):
    """The paper's ``init_lru_parameters`` (Appendix A): the ring, γ_log = log √(1 − |λ|²), B ~ N(0, 1/(2D)), C ~ N(0, 1/H), D ~ N(0, 1)."""
    H, D = _size("H", H), _size("D", D)
    nu_log, theta_log = ring_init(H, rng, r_min, r_max, max_phase)
    r = onp.exp(-onp.exp(nu_log))
    with onp.errstate(divide="ignore"):
        gamma_log = onp.maximum(0.5 * onp.log1p(-r * r), -745.0)            # γ = √(1 − |λ|²)
    return {"nu_log": nu_log, "theta_log": theta_log, "gamma_log": gamma_log,
            "B_re": rng.normal(size=(H, D)) / onp.sqrt(2 * D), "B_im": rng.normal(size=(H, D)) / onp.sqrt(2 * D),
            "C_re": rng.normal(size=(D, H)) / onp.sqrt(H), "C_im": rng.normal(size=(D, H)) / onp.sqrt(H),
            "D": rng.normal(size=D)}


def _size(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, onp.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")
    return int(value)


def param_count(H, D):
    """3H (ν, θ, γ) + 2HD (B) + 2DH (C) + D (D): the paper's complex B and C as real pairs."""
    H, D = _size("H", H), _size("D", D)
    return 3 * H + 4 * H * D + D
