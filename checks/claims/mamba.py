"""Checks of the Mamba S6 claims (spec/claims/mamba.toml): Ā = exp(ΔA), B̄ (zero-order hold or ΔB), h_t = Ā⊙h_(t−1) + B̄ x_t."""

import autograd.numpy as anp
import numpy as np
import scipy.integrate
from hypothesis import example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, tolerances
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import vectors
from vanishing.checks.toolkit import jac3, le, magnitude
from vanishing.models import activations as act
from vanishing.models import mamba, scan


@st.composite
def s6_cases(draw, T=(3, 8), max_D=3):
    """(params, h0, xs): N = H ∈ [3, 4] states, D ∈ [1, 3] channels, A_log ∈ [−3, 4] (|A| from 0.05 to 55), Δ's bias ∈ [−8, 4]."""
    N, D = draw(st.integers(3, 4), label="N"), draw(st.integers(1, max_D), label="D")
    p = {k: np.asarray(draw(vectors(int(np.prod(s)), -2.0, 2.0), label=k)).reshape(s) for k, s in mamba.param_shapes(N, D).items()}
    p["A_log"] = np.asarray(draw(vectors(D * N, -3.0, 4.0), label="A_log")).reshape(D, N)
    p["b_delta"] = np.asarray(draw(vectors(D, -8.0, 4.0), label="b_delta"))
    xs = np.asarray(draw(vectors(draw(st.integers(*T), label="T") * D, -3.0, 3.0), label="xs")).reshape(-1, D)
    return p, np.asarray(draw(vectors(D * N), label="h0")).reshape(D, N), xs


def _euler_abar(p, x, bbar="euler"):
    """Bug: Ā = 1 + ΔA (forward Euler) for the zero-order hold's exp(ΔA)."""
    d, Abar, Bbar, C = mamba.discretize(p, x, bbar)
    return d, 1.0 + np.log(Abar), Bbar, C


@claim_check("MAMBA-ZOH-DISCRETISATION", subject={"discretize": mamba.discretize},
             plants={"Ā = 1 + ΔA (Euler)": {"discretize": _euler_abar},
                     "B̄ = ΔB under 'zoh'": {"discretize": lambda p, x, bbar="euler": mamba.discretize(p, x, "euler")}})
def zero_order_hold_is_the_exact_solution(ctx, s):
    """ZOH: Ā = exp(ΔA), B̄ = (ΔA)^{−1}(exp(ΔA) − I)ΔB = ∫_0^Δ e^{As} ds·B, the exact one-step solution for piecewise-constant x.  [MAMBA-ZOH-DISCRETISATION]"""
    @ctx.holds(max_examples=20, reason="one scipy quadrature per state entry")
    @given(case=s6_cases(T=(1, 1)))
    def against_the_integral(case):
        p, _, xs = case
        delta, Abar, Bbar, _ = s.discretize(p, xs[0], "zoh")
        A, B = -np.exp(p["A_log"]), p["W_B"] @ xs[0]
        assertions.assert_close(Abar, np.exp(delta[:, None] * A), tolerances.analytic(), f"{ctx.id}: Ā vs exp(ΔA)", ctx.repro(case=case))
        quad = np.array([[scipy.integrate.quad(lambda u, a=a: np.exp(a * u), 0.0, d, epsabs=0, epsrel=1e-13)[0]
                          for a in A[j]] for j, d in enumerate(delta)]) * B[None, :]
        assertions.assert_close(Bbar, quad, tolerances.override(tolerances.analytic(scale=magnitude(quad)),
                                "scipy.integrate.quad's requested relative error 1e-13", rtol=1e-12),
                                f"{ctx.id}: B̄ vs ∫_0^Δ e^(As) ds B", ctx.repro(case=case))


def _bbar_times_abar(p, x, bbar):
    """Bug: the zero-order hold's B̄ taken as ΔB·Ā (a first-order error)."""
    d, Abar, Bbar, C = mamba.discretize(p, x, "euler")
    return d, Abar, Bbar * (Abar if bbar == "zoh" else 1.0), C


@claim_check("MAMBA-BBAR-EULER-ORDER", subject={"discretize": mamba.discretize},
             plants={"B̄_ZOH = ΔB·exp(ΔA)": {"discretize": lambda p, x, bbar="euler": _bbar_times_abar(p, x, bbar)}})
def simplified_bbar_differs_at_second_order(ctx, s):
    """B̄_ZOH − ΔB = ½Δ²AB + r, |r| ≤ Δ³A²|B|/6 for ΔA ≤ 0: the simplified B̄ = ΔB is first-order accurate.  [MAMBA-BBAR-EULER-ORDER]"""
    @ctx.holds
    @given(case=s6_cases(T=(1, 1)))
    @example(case=(dict(mamba.init_params(3, 1, np.random.default_rng(0)), W_delta=np.zeros((1, 1)), b_delta=np.array([-30.0])),
                   np.zeros((1, 3)), np.ones((1, 1))))         # Δ = e^{−30}: the difference is 1e-26, below B̄'s own rounding
    def second_order_difference(case):
        p, _, xs = case
        delta, _, b_zoh, _ = s.discretize(p, xs[0], "zoh")
        _, _, b_eul, _ = s.discretize(p, xs[0], "euler")
        A, B = -np.exp(p["A_log"]), p["W_B"] @ xs[0]
        lead = 0.5 * (delta[:, None] ** 2) * A * B[None, :]
        rem = (delta[:, None] ** 3) * A ** 2 * np.abs(B)[None, :] / 6.0
        # the difference of two rounded B̄'s: their rounding (analytic unit at |ΔB|) adds to the remainder bound
        le(np.abs(b_zoh - b_eul - lead), rem + tolerances.analytic().rtol * np.abs(b_eul) * 4,
           f"{ctx.id}: |B̄_ZOH − ΔB − ½Δ²AB| ≤ Δ³A²|B|/6", reproduce=ctx.repro(case=case))
        target(float(np.max(np.abs(delta[:, None] * A))), label="|ΔA|")


@claim_check("MAMBA-STATE-JACOBIAN-CONTRACTS", subject={"step": mamba.step, "state_jacobian": mamba.state_jacobian},
             plants={"diag(1 + Δ_t A) (Euler)": {"state_jacobian": lambda p, h, x, bbar="euler": np.diag(np.ravel(
                 1.0 + np.log(mamba.discretize(p, x, bbar)[1])))}})
def s6_state_jacobian_contracts(ctx, s):
    """∂h_t/∂h_(t−1) = diag(exp(Δ_t A)), each entry in (0, 1] for A < 0, Δ ≥ 0: no explosion through the state.  [MAMBA-STATE-JACOBIAN-CONTRACTS]"""
    @ctx.holds(max_examples=12, reason="three oracles on a DN×DN Jacobian per draw (FD is the cost of verify)")
    @given(case=s6_cases(T=(1, 1), max_D=2), bbar=st.sampled_from(mamba.BBARS))
    def diag_exp_delta_a(case, bbar):
        p, h0, xs = case
        D, N = h0.shape
        f = lambda v: anp.ravel(s.step(p, anp.reshape(v, (D, N)), xs[0], bbar)[0])
        J = jac3(f, np.ravel(h0), s.state_jacobian(p, h0, xs[0], bbar), f"{ctx.id}: ∂h_t/∂h_(t−1)", reproduce=ctx.repro(case=case, bbar=bbar))
        d = np.diag(J)
        le(d, np.ones_like(d), f"{ctx.id}: exp(Δ_t A) ≤ 1", reproduce=ctx.repro(case=case, bbar=bbar))
        le(-d, np.zeros_like(d), f"{ctx.id}: exp(Δ_t A) ≥ 0", reproduce=ctx.repro(case=case, bbar=bbar))
        target(float(np.max(d)), label="largest diagonal entry")


def _swapped(p, h0, xs, bbar="euler"):
    parts = [mamba.discretize(p, x, bbar) for x in xs]
    Abar = np.stack([q[1] for q in parts])
    Bx = np.stack([q[2] * x[:, None] for q, x in zip(parts, xs)])
    A, B = scan.associative_scan(lambda e, l: (e[0] * l[0], e[0] * l[1] + e[1]), (Abar, Bx))   # Bug: wrong order
    hs = A * h0 + B
    return np.einsum("tdn,tn->td", hs, np.stack([q[3] for q in parts])) + xs * p["D"], hs


@claim_check("MAMBA-SCAN-EQUALS-LOOP", subject={"forward": mamba.forward, "forward_scan": mamba.forward_scan},
             plants={"operator composed in the wrong order": {"forward_scan": _swapped}})
def s6_scan_equals_loop(ctx, s):
    """The associative scan over (Ā_t, B̄_t x_t) gives the sequential S6's states and outputs.  [MAMBA-SCAN-EQUALS-LOOP]"""
    @ctx.holds
    @given(case=s6_cases(T=(3, 12)), bbar=st.sampled_from(mamba.BBARS))
    def scan_equals_loop(case, bbar):
        p, h0, xs = case
        big = s.forward(p, np.abs(h0), np.abs(xs), bbar)
        scale = max(1.0, magnitude(big[0]), magnitude(big[1]), magnitude(h0))
        tol = tolerances.chain(2 * xs.shape[0], "the scan's and the loop's products of T factors")
        tol = tolerances.override(tol, tol.reason.removeprefix("override: ") + ", at the scale of the largest term", atol=tol.rtol * scale * 4)
        for name, a, b in zip(("ys", "hs"), s.forward_scan(p, h0, xs, bbar), s.forward(p, h0, xs, bbar)):
            assertions.assert_close(a, b, tol, f"{ctx.id}: scan vs loop ({name}, {bbar})", ctx.repro(case=case, bbar=bbar))


def _gate_flipped(p, x, bbar="euler"):
    """Bug: Ā = σ(L) for σ(−L) (the gate read the other way round)."""
    d, Abar, Bbar, C = mamba.discretize(p, x, bbar)
    return d, 1.0 - Abar, Bbar, C


@claim_check("MAMBA-THEOREM1-GATE", subject={"discretize": mamba.discretize}, plants={"Ā = σ(L)": {"discretize": _gate_flipped}})
def s6_with_a_minus_one_is_a_gated_recurrence(ctx, s):
    """A = −1, Δ = softplus(L), ZOH: Ā = σ(−L) = 1 − g, B̄ = g·B (g = σ(L)): h_t = (1 − g_t)h_(t−1) + g_t B x_t.  [MAMBA-THEOREM1-GATE]"""
    def at_a_minus_one(case):
        p, _, xs = case
        p = dict(p, A_log=np.zeros_like(p["A_log"]))                     # A = −exp(0) = −1
        L = p["W_delta"] @ xs[0] + p["b_delta"]
        return p, xs[0], L, p["W_B"] @ xs[0]

    @ctx.holds
    @given(case=s6_cases(T=(1, 1)))
    @example(case=(dict(mamba.init_params(3, 1, np.random.default_rng(0)), W_delta=np.zeros((1, 1)), b_delta=np.array([-40.0])),
                   np.zeros((1, 3)), np.ones((1, 1))))         # Δ = softplus(−40) = 4.2e-18: g = σ(−40), Ā = 1 − g rounds to 1
    def zoh_gate(case):
        p, x, L, B = at_a_minus_one(case)
        _, Abar, Bbar, _ = s.discretize(p, x, "zoh")
        g = act.sigmoid(L)
        tol = tolerances.relative("Ā = e^(−softplus(L)) and σ(−L) are both computed without cancellation")
        assertions.assert_close(Abar, np.repeat(act.sigmoid(-L)[:, None], Abar.shape[1], axis=1), tol, f"{ctx.id}: Ā vs σ(−L)", ctx.repro(case=case))
        assertions.assert_close(Bbar, g[:, None] * B[None, :], tolerances.analytic(scale=magnitude(B)), f"{ctx.id}: B̄ vs σ(L)·B", ctx.repro(case=case))

    @ctx.holds
    @given(case=s6_cases(T=(1, 1)))
    def simplified_bbar_is_softplus_not_the_gate(case):
        p, x, L, B = at_a_minus_one(case)
        _, _, Bbar, _ = s.discretize(p, x, "euler")
        assertions.assert_close(Bbar, act.softplus(L)[:, None] * B[None, :], tolerances.analytic(scale=magnitude(B) * max(1.0, magnitude(act.softplus(L)))),
                                f"{ctx.id}: B̄ = ΔB vs softplus(L)·B", ctx.repro(case=case))
