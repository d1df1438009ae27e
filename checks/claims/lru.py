"""Checks of the LRU claims (spec/claims/lru.toml): λ = exp(−exp(ν_log) + i·exp(θ_log)), x_k = λ⊙x_(k−1) + γ⊙(B u_k)."""


import autograd
import autograd.numpy as anp
import numpy as np
from hypothesis import example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, tolerances
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import floats, vectors
from vanishing.checks.toolkit import jac3, le, magnitude
from vanishing.models import lru


@st.composite
def lru_cases(draw, T=(3, 8)):
    """(params, h_re, h_im, us): H ∈ [3, 4], D ∈ [1, 3], ν_log ∈ [−6, 3] (|λ| from e^{−20} to 0.9975), θ_log ∈ [−5, 2]."""
    H, D = draw(st.integers(3, 4), label="H"), draw(st.integers(1, 3), label="D")
    p = {k: np.asarray(draw(vectors(int(np.prod(s)), -2.0, 2.0), label=k)).reshape(s) for k, s in lru.param_shapes(H, D).items()}
    p["nu_log"] = np.asarray(draw(vectors(H, -6.0, 3.0), label="nu_log"))
    p["theta_log"] = np.asarray(draw(vectors(H, -5.0, 2.0), label="theta_log"))
    us = np.asarray(draw(vectors(draw(st.integers(*T), label="T") * D, -3.0, 3.0), label="us")).reshape(-1, D)
    return p, np.asarray(draw(vectors(H), label="h_re")), np.asarray(draw(vectors(H), label="h_im")), us


def _flip_im(p, hr, hi, u):
    """Bug: the real form of multiplication by λ transposed (the conjugate λ̄)."""
    H = len(hr)
    J = lru.step_jacobian(p, hr, hi, u)
    return np.block([[J[:H, :H], -J[:H, H:]], [-J[H:, :H], J[H:, H:]]])


@claim_check("LRU-STATE-JACOBIAN", subject={"step": lru.step, "step_jacobian": lru.step_jacobian},
             plants={"the conjugate λ̄": {"step_jacobian": _flip_im}})
def lru_state_jacobian_is_diag_lambda(ctx, s):
    """∂x_k/∂x_(k−1) = diag(λ), as the real 2H×2H map [[Re λ, −Im λ], [Im λ, Re λ]]; |λ| < 1.  [LRU-STATE-JACOBIAN]"""
    @ctx.holds(max_examples=12, reason="three oracles on a 2H×2H Jacobian per draw (FD is the cost of verify)")
    @given(case=lru_cases(T=(1, 1)))
    def diag_lambda(case):
        p, hr, hi, us = case
        H = hr.size
        f = lambda v: anp.concatenate(s.step(p, v[:H], v[H:], us[0])[:2])
        J = jac3(f, np.concatenate([hr, hi]), s.step_jacobian(p, hr, hi, us[0]), f"{ctx.id}: ∂x_k/∂x_(k−1)", reproduce=ctx.repro(case=case))
        r = lru.eigenvalues(p)[0]
        le(r, np.ones_like(r), f"{ctx.id}: |λ| ≤ 1", reproduce=ctx.repro(case=case))
        target(float(np.max(np.abs(np.linalg.eigvals(J)))), label="spectral radius")


@claim_check("LRU-EIGENVALUE-MODULUS", subject={"eigenvalues": lru.eigenvalues},
             plants={"|λ| = exp(−ν_log) (the exponential parametrisation dropped)": {"eigenvalues": lambda p: (
                 np.exp(-np.asarray(p["nu_log"])),) + lru.eigenvalues(p)[1:]}})
def lru_modulus_below_one(ctx, s):
    """|λ| = exp(−exp(ν)) < 1 for every real ν; in float64 it rounds to 1 once e^ν < 2⁻⁵⁴ (ν < −37.4).  [LRU-EIGENVALUE-MODULUS]"""
    def modulus(nu):
        p = dict(lru.init_params(1, 1, np.random.default_rng(0)), nu_log=np.array([nu]))
        return float(s.eigenvalues(p)[0][0])

    @ctx.holds
    @given(nu=floats(-36.0, 700.0))
    @example(nu=-36.0)
    @example(nu=-5.0)
    def below_one_in_floats_above_minus_36(nu):
        r = modulus(nu)
        assertions.assert_close(np.array([r]), np.array([np.exp(-np.exp(nu))]), tolerances.relative("|λ| = e^{−e^ν}"),
                                f"{ctx.id}: |λ| vs exp(−exp(ν))", ctx.repro(nu=nu))
        assertions.assert_le(r, np.nextafter(1.0, 0.0), tolerances.exact("fl(|λ|) < 1 for ν ≥ −36"), f"{ctx.id}: |λ| < 1",
                             reproduce=ctx.repro(nu=nu))

    @ctx.refutes
    @given(nu=floats(-1e3, 700.0))
    @example(nu=-40.0)
    def below_one_for_every_float(nu):
        assertions.literal(modulus(nu) < 1.0, f"{ctx.id}: fl(|λ|) = {modulus(nu)!r} at ν = {nu!r}, not < 1")


def _uniform_in_radius(H, rng, r_min=0.0, r_max=1.0, max_phase=2 * np.pi):
    """Bug: |λ| uniform in radius, not in area."""
    u1, u2 = rng.uniform(size=H), rng.uniform(size=H)
    return np.log(-np.log(u1 * (r_max - r_min) + r_min)), np.log(max_phase * u2)


@claim_check("LRU-RING-INIT-UNIFORM", subject={"ring_init": lru.ring_init}, plants={"uniform in radius": {"ring_init": _uniform_in_radius}})
def lru_ring_is_uniform_in_area(ctx, s):
    """ν = −½ log(u₁(r_max² − r_min²) + r_min²) makes the area fraction (|λ|² − r_min²)/(r_max² − r_min²) = u₁ ~ U[0, 1).  [LRU-RING-INIT-UNIFORM]"""
    @ctx.holds
    @given(seed=st.integers(0, 2**32 - 1), r_min=floats(0.0, 0.95), width=floats(0.01, 1.0))
    @example(seed=0, r_min=0.0, width=1.0)
    def area_fraction_is_the_uniform_draw(seed, r_min, width):
        r_max = min(1.0, r_min + width)
        nu_log, theta_log = s.ring_init(8, np.random.default_rng(seed), r_min, r_max, np.pi)
        u = np.random.default_rng(seed).uniform(size=(2, 8))        # the same generator's two draws, u₁ then u₂
        r2 = np.exp(-2.0 * np.exp(nu_log))
        frac = (r2 - r_min ** 2) / (r_max ** 2 - r_min ** 2)
        scale = 1.0 / (r_max ** 2 - r_min ** 2)
        assertions.assert_close(frac, u[0], tolerances.analytic(scale=scale), f"{ctx.id}: area fraction vs u₁", ctx.repro(seed=seed, r_min=r_min, r_max=r_max))
        assertions.assert_close(np.exp(theta_log), np.pi * u[1], tolerances.analytic(), f"{ctx.id}: θ vs max_phase·u₂")


def _gamma_one_minus_r(H, D, rng, r_min=0.0, r_max=1.0, max_phase=2 * np.pi):
    p = lru.init_params(H, D, rng, r_min, r_max, max_phase)
    return dict(p, gamma_log=np.log1p(-np.exp(-np.exp(p["nu_log"]))))   # Bug: γ = 1 − |λ|


@claim_check("LRU-GAMMA-NORMALISATION", subject={"init_params": lru.init_params, "forward": lru.forward},
             plants={"γ = 1 − |λ|": {"init_params": _gamma_one_minus_r}})
def lru_gamma_makes_variance_independent_of_lambda(ctx, s):
    """γ = √(1 − |λ|²): for white unit-variance u, E|x_T,j|² = ‖B_j‖²(1 − |λ_j|^{2T}) → ‖B_j‖², free of λ.  [LRU-GAMMA-NORMALISATION]"""
    @ctx.holds(max_examples=6, reason="three oracles on the T·D × 2H Jacobian of the state in the inputs")
    @given(seed=st.integers(0, 2**32 - 1), r_min=floats(0.0, 0.9), T=st.integers(3, 5))
    def variance_of_the_state(seed, r_min, T):
        H, D = 3, 2
        p = s.init_params(H, D, np.random.default_rng(seed), r_min, 0.999)
        z = np.zeros(H)
        f = lambda u: anp.concatenate([s.forward(p, z, z, anp.reshape(u, (T, D)))[1][-1], s.forward(p, z, z, anp.reshape(u, (T, D)))[2][-1]])
        r, lr, li = lru.eigenvalues(p)
        gamma = np.exp(p["gamma_log"])
        lam = lr + 1j * li
        closed = np.zeros((2 * H, T * D))
        for k in range(T):                                             # ∂x_T/∂u_(T−k) = λ^k γ B
            blk = (lam ** k * gamma)[:, None] * (p["B_re"] + 1j * p["B_im"])
            closed[:H, (T - 1 - k) * D:(T - k) * D], closed[H:, (T - 1 - k) * D:(T - k) * D] = blk.real, blk.imag
        J = jac3(f, np.zeros(T * D), closed, f"{ctx.id}: ∂x_T/∂u", reproduce=ctx.repro(seed=seed, r_min=r_min, T=T))
        var = np.sum(J[:H] ** 2 + J[H:] ** 2, axis=1)                 # E|x_T,j|² for white unit-variance u
        B2 = np.sum(p["B_re"] ** 2 + p["B_im"] ** 2, axis=1)
        assertions.assert_close(var, B2 * (1.0 - r ** (2 * T)), tolerances.analytic(scale=float(np.max(B2))),
                                f"{ctx.id}: E|x_T|² vs ‖B_j‖²(1 − |λ|^2T)", ctx.repro(seed=seed, r_min=r_min, T=T))


def _swapped_complex(p, hr, hi, us):
    ys, a, b = lru.forward_scan(p, hr, hi, us)
    return ys, a, -b                                                   # Bug: the imaginary part's sign lost


@claim_check("LRU-SCAN-EQUALS-LOOP", subject={"forward": lru.forward, "forward_scan": lru.forward_scan},
             plants={"the imaginary part's sign lost": {"forward_scan": _swapped_complex}})
def lru_scan_equals_loop(ctx, s):
    """The associative scan over the complex diagonal gives the sequential LRU's states and outputs.  [LRU-SCAN-EQUALS-LOOP]"""
    @ctx.holds
    @given(case=lru_cases(T=(3, 12)))
    def scan_equals_loop(case):
        p, hr, hi, us = case
        scale = max(1.0, magnitude(lru.forward(p, np.abs(hr), np.abs(hi), np.abs(us))[0]), magnitude(hr), magnitude(hi))
        tol = tolerances.chain(2 * us.shape[0], "the scan's and the loop's complex products of T factors")
        tol = tolerances.override(tol, tol.reason.removeprefix("override: ") + ", at the scale of the largest term", atol=tol.rtol * scale * 4)
        for name, a, b in zip(("ys", "h_re", "h_im"), s.forward_scan(p, hr, hi, us), s.forward(p, hr, hi, us)):
            assertions.assert_close(a, b, tol, f"{ctx.id}: scan vs loop ({name})", ctx.repro(case=case))


def _curse_closed(lam, t):
    """∂h_t/∂λ = Σ_{k=1}^{t−1} k λ^{k−1} x_{t−k} for h_t = λh_{t−1} + x_t, h_0 = 0: its coefficients in x_1..x_t."""
    c = np.zeros(t)
    for k in range(1, t):
        c[t - 1 - k] = k * lam ** (k - 1)
    return c


def _scalar_h(lam, xs):
    h = 0.0
    for x in xs:
        h = lam * h + x
    return h


@claim_check("LRU-CURSE-OF-MEMORY", subject={"closed": _curse_closed},
             plants={"k λ^k for k λ^(k−1)": {"closed": lambda lam, t: lam * _curse_closed(lam, t)}})
def curse_of_memory_variance(ctx, s):
    """h_t = λh_{t−1} + x_t, white x: E[(∂h_t/∂λ)²] = Σ_{k<t} k²λ^{2(k−1)} ↑ (1 + λ²)/(1 − λ²)³ as t → ∞.  [LRU-CURSE-OF-MEMORY]"""
    @ctx.holds(max_examples=6, reason="FD on a t-entry gradient whose every evaluation is an autograd pass (the slow part of verify)")
    @given(lam=floats(-0.99, 0.99), t=st.integers(3, 10))
    @example(lam=0.99, t=10)
    @example(lam=0.0, t=3)
    def finite_t_variance(lam, t):
        dh = lambda xs: anp.reshape(autograd.grad(_scalar_h)(lam, xs), (1,))   # ∂h_t/∂λ, linear in x
        c = s.closed(lam, t)
        J = jac3(dh, np.zeros(t), c[None, :], f"{ctx.id}: ∂(∂h_t/∂λ)/∂x", reproduce=ctx.repro(lam=lam, t=t))
        var = float(np.sum(J ** 2))
        S = sum(k * k * lam ** (2 * (k - 1)) for k in range(1, t))
        assertions.assert_close(np.array([var]), np.array([S]), tolerances.chain(2 * t, "Σ of t squared coefficients"),
                                f"{ctx.id}: Var(∂h_t/∂λ) vs Σ k²λ^(2(k−1))", ctx.repro(lam=lam, t=t))
        le(var, (1 + lam ** 2) / (1 - lam ** 2) ** 3, f"{ctx.id}: Var(∂h_t/∂λ) ≤ (1 + λ²)/(1 − λ²)³", reproduce=ctx.repro(lam=lam, t=t))
        target(var * (1 - lam ** 2) ** 3 / (1 + lam ** 2), label="fraction of the limit reached")
