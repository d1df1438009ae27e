"""Checks of the GRU claims (spec/claims/gru.toml).

Notation (docs/DESIGN.md): gate blocks r, z, n of ``W_x (3H,D)``, ``W_h (3H,H)``, ``b_x, b_h (3H,)``;
``h_t = (1−z)⊙n + z⊙h_{t−1}``; ``reset="after"`` (PyTorch) n = tanh(W_xn x + b_xn + r⊙(W_hn h + b_hn)),
``reset="before"`` (Cho et al. 2014) n = tanh(W_xn x + b_xn + W_hn(r⊙h) + b_hn).
"""

import numpy as np
from hypothesis import example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, oracles, tolerances
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import matrices, vectors
from vanishing.models import activations as act
from vanishing.models import gru


def _frozen_gates(gates_fn, params, h_prev, x, reset):
    """Parameters under which r, z and n no longer depend on h, with their values at h_prev unchanged.

    W_h := 0 and the recurrent contributions at h_prev move into b_h: b_hr += W_hr h_prev, b_hz += W_hz h_prev,
    and b_hn := the model's "hn" (W_hn h + b_hn for "after", W_hn (r⊙h) + b_hn for "before"; with W_hn = 0 the
    "after" form then applies r⊙hn and the "before" form adds hn, as at h_prev). Differentiating h_t under
    these parameters is differentiating with the gates held fixed, through the model's own step.
    """
    H = h_prev.size
    g = gates_fn(params, h_prev, x, reset=reset)
    W_h, b_h = params["W_h"], np.array(params["b_h"], dtype=np.float64, copy=True)
    b_h[:H] += W_h[:H] @ h_prev
    b_h[H:2 * H] += W_h[H:2 * H] @ h_prev
    b_h[2 * H:] = g["hn"]
    return dict(params, W_h=np.zeros_like(W_h), b_h=b_h)


# ================================================================ the direct (leaky) path

@claim_check("GRU-DIRECT-PATH",
             subject={"step": gru.step, "gates": gru.gates, "direct": gru.direct_path_jacobian},
             plants={"diag(1 − z_t) (Chung et al.'s z convention)": {"direct": lambda p, h, x, reset="after": np.eye(len(h)) - gru.direct_path_jacobian(p, h, x, reset)},
                     "z_t dropped (identity)": {"direct": lambda p, h, x, reset="after": np.eye(len(h))}})
def gru_direct_path_is_the_update_gate(ctx, s):
    """∂h_t/∂h_{t−1} with r, z, n held fixed = diag(z_t), under both reset conventions.  [GRU-DIRECT-PATH]"""

    @ctx.holds(max_examples=15, reason="finite differences on a diagonal Jacobian: scipy iterates to its cap on every exact 0")
    @given(case=cases.gru_cases())
    def direct_path_is_diag_z(case):
        p, H, r = case.params, case.h_prev.size, case.reset
        frozen = _frozen_gates(s.gates, p, case.h_prev, case.x, r)
        # the surgery keeps the step's value: same gates at h_prev up to the re-association of one sum per gate,
        # so the scale is that of the summands (|W_h|·|h| + |b_h| can reach hundreds), σ' and tanh' being ≤ 1
        v0, v1 = s.step(p, case.h_prev, case.x, reset=r), s.step(frozen, case.h_prev, case.x, reset=r)
        summands = float(np.max(np.abs(p["W_h"]) @ np.abs(case.h_prev) + np.abs(p["b_h"])))
        assertions.assert_close(v1, v0, tolerances.value(scale=max(1.0, summands, float(np.max(np.abs(case.h_prev))))),
                             f"{ctx.id}: h_t with frozen gates vs h_t", ctx.repro(case=case))
        closed = s.direct(p, case.h_prev, case.x, reset=r)
        z = s.gates(p, case.h_prev, case.x, reset=r)["z"]
        oracles.check_jacobian(lambda u: s.step(frozen, u, case.x, reset=r), case.h_prev, closed_form=closed,
                               structure=assertions.diagonal_mask(H), label=f"{ctx.id}: ∂h_t/∂h_(t−1), gates fixed ({r})",
                               reproduce=ctx.repro(case=case))
        assertions.assert_close(np.diag(closed), z, tolerances.analytic(), f"{ctx.id}: diagonal of the direct path vs z_t")


# ================================================================ the full step Jacobian

def _step_jacobian_after_for_both(p, h, x, reset="after"):
    """Bug: the reset-after formula used for both conventions."""
    return gru.step_jacobian(p, h, x, "after")


def _step_jacobian_without_z_path(p, h, x, reset="after"):
    """Bug: the update gate treated as constant (the diag(h − n)·∂z/∂h term dropped)."""
    H = len(h)
    g = gru.gates(p, h, x, reset)
    return gru.step_jacobian(p, h, x, reset) - np.diag(np.asarray(h) - g["n"]) @ np.diag(act.sigmoid_prime(g["a_z"])) @ p["W_h"][H:2 * H]


def _step_jacobian_two_units_only(p, h, x, reset="after"):
    """Bug (size-dependent): the candidate's path computed in a unit loop written for H = 2: from unit 2 on, rows are diag(z) only."""
    J = np.array(gru.step_jacobian(p, h, x, reset), dtype=np.float64)
    J[2:] = np.diag(gru.gates(p, h, x, reset)["z"])[2:]
    return J


#: H = 3, D = 1, every W_h entry in ±{0, 1/4, 1/2, 3/4}: a kept example at H ≥ 3, reset before (its r_k inside the matmul).
_H3_CASE = cases.gru_case(H=3, reset="before", W_x=np.linspace(-1, 1, 9), W_h=((np.arange(27) % 7) - 3) / 4.0,
                          b_h=((np.arange(9) % 5) - 2) / 2.0, h_prev=[0.5, -0.25, 0.75], x=[0.5])


@claim_check("GRU-STEP-JACOBIAN", subject={"step": gru.step, "step_jacobian": gru.step_jacobian},
             plants={"reset-after formula used for reset-before": {"step_jacobian": _step_jacobian_after_for_both},
                     "update-gate path dropped": {"step_jacobian": _step_jacobian_without_z_path},
                     "rows from unit 2 on without the candidate's path (H ≥ 3 only)": {"step_jacobian": _step_jacobian_two_units_only}})
def gru_step_jacobian_closed_form(ctx, s):
    """∂h_t/∂h_{t−1} = diag(z) + diag(h_{t−1} − n) ∂z/∂h + diag(1 − z) ∂n/∂h, for reset after and before.  [GRU-STEP-JACOBIAN]"""

    @ctx.holds(max_examples=20, reason="finite differences on an H×H Jacobian for both conventions, H ≤ 3")
    @given(case=cases.gru_cases())
    # reset before, H = D = 1, W_hr = W_hn = 1, b_hn = 1, h = 0.5: the two conventions' ∂a_n/∂h differ by b_hn·σ'(a_r)·W_hr
    # (the after-formula's diag(W_hn h + b_hn) against the before-formula's W_hn diag(h)), so using one formula for both shows
    @example(case=cases.gru_case(reset="before", W_h=[1.0, 0.0, 1.0], b_h=[0.0, 0.0, 1.0], h_prev=[0.5]))
    # thorough profile, seed 1: z = σ(16.5), so h_t[0] = (1 − z)·n = 6.8e-8 carries the rounding of 1 − z (~1e-16 absolute):
    # FD needs the measured noise of f, not ulps of |f| (checks/tolerances.py, FD rounding noise)
    @example(case=cases.gru_case(H=2, reset="after", W_h=[31.0] * 12, b_h=[1.0] * 6, h_prev=[0.0, 0.5]))
    @example(case=_H3_CASE)
    def step_jacobian_three_oracles(case):
        p, r = case.params, case.reset
        J = oracles.check_jacobian(lambda u: s.step(p, u, case.x, reset=r), case.h_prev,
                                   closed_form=s.step_jacobian(p, case.h_prev, case.x, reset=r),
                                   label=f"{ctx.id}: ∂h_t/∂h_(t−1) ({r})", reproduce=ctx.repro(case=case))
        target(float(np.linalg.norm(J, 2)), label="‖∂h_t/∂h_(t−1)‖₂")


# ================================================================ reset before vs after

@st.composite
def _reset_gate_open(draw):
    """r = 1.0 exactly: W_r entries in [−1, 1] keep |W_hr h + W_xr x| ≤ 3H + 3D ≤ 15 (|h|, |x| ≤ 3, H ≤ 3, D ≤ 2), and
    b_xr + b_hr = 60, so a_r ≥ 45 > 53·ln 2 ≈ 36.74, from where fl(σ(a_r)) = 1 (1 + e^{−a_r} rounds to 1)."""
    case = draw(cases.gru_cases(resets=("after",)))
    H, D = case.h_prev.size, case.x.size
    p = {k: np.array(v, dtype=np.float64, copy=True) for k, v in case.params.items()}
    p["W_h"][:H] = draw(matrices(H, H, -1.0, 1.0), label="W_hr")
    p["W_x"][:H] = draw(matrices(H, D, -1.0, 1.0), label="W_xr")
    p["b_x"][:H], p["b_h"][:H] = 30.0, 30.0
    return case._replace(params=p)


@st.composite
def _diagonal_W_hn_no_bias(draw):
    """W_hn diagonal and b_hn = 0: r⊙(W_hn h) = W_hn(r⊙h) elementwise."""
    case = draw(cases.gru_cases(resets=("after",)))
    H = case.h_prev.size
    p = {k: np.array(v, dtype=np.float64, copy=True) for k, v in case.params.items()}
    p["W_h"][2 * H:] = np.diag(draw(vectors(H, -8.0, 8.0), label="diag(W_hn)"))
    p["b_h"][2 * H:] = 0.0
    return case._replace(params=p)


@claim_check("GRU-RESET-BEFORE-AFTER", subject={"step": gru.step, "gates": gru.gates},
             plants={"the reset applied after the matmul in both conventions": {"step": lambda p, h, x, reset="after": gru.step(p, h, x, "after"),
                                                                                 "gates": lambda p, h, x, reset="after": gru.gates(p, h, x, "after")}})
def gru_reset_before_and_after_differ(ctx, s):
    """a_n^after − a_n^before = r⊙(W_hn h) − W_hn(r⊙h) + (r − 1)⊙b_hn; 0 when r = 1 or (W_hn diagonal, b_hn = 0).  [GRU-RESET-BEFORE-AFTER]"""

    def both(case):
        return (s.step(case.params, case.h_prev, case.x, reset="after"), s.step(case.params, case.h_prev, case.x, reset="before"))

    @ctx.holds
    @given(case=cases.gru_cases(resets=("after",)))
    # W_hn = 0 alone is not enough: W = 0, b_h = (1, 1, 1), h = x = 0 gives r = σ(1) and a difference (σ(1) − 1)·1 = −0.269
    # (h_t = 0.1677 after, 0.2048 before)
    @example(case=cases.gru_case(b_h=[1.0, 1.0, 1.0]))
    # b_hn = 0, W_hr = diag(1, −1) (so r = (σ(1), σ(−1)) differs per unit), W_hn = [[0, 2], [1, 0]] not diagonal, h = (1, 1):
    # only the commutator r⊙(W_hn h) − W_hn(r⊙h) = (0.924, −0.462) is left
    @example(case=cases.gru_case(H=2, W_h=[1.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 1.0, 0.0], h_prev=[1.0, 1.0]))
    def difference_is_the_reset_commutator(case):
        p, h, H = case.params, case.h_prev, case.h_prev.size
        ga, gb = s.gates(p, h, case.x, reset="after"), s.gates(p, h, case.x, reset="before")
        r, W_hn, b_hn = ga["r"], p["W_h"][2 * H:], p["b_h"][2 * H:]
        predicted = r * (W_hn @ h) - W_hn @ (r * h) + (r - 1.0) * b_hn
        # the scale of the summands, which may cancel: |W_xn x| + |b_xn| + |W_hn|·|h| + |b_hn|
        summands = np.abs(p["W_x"][2 * H:]) @ np.abs(case.x) + np.abs(p["b_x"][2 * H:]) + np.abs(W_hn) @ np.abs(h) + np.abs(b_hn)
        scale = max(1.0, float(np.max(summands)))
        assertions.assert_close(ga["a_n"] - gb["a_n"], predicted, tolerances.value(scale=scale),
                             f"{ctx.id}: a_n(after) − a_n(before) vs r⊙(W_hn h) − W_hn(r⊙h) + (r−1)⊙b_hn", ctx.repro(case=case))
        target(float(np.max(np.abs(predicted))), label="|a_n(after) − a_n(before)|")

    @ctx.holds
    @given(case=st.one_of(_reset_gate_open(), _diagonal_W_hn_no_bias()))
    def agree_when_the_commutator_vanishes(case):
        H = case.h_prev.size
        ha, hb = both(case)
        assertions.assert_close(ha, hb, tolerances.value(), f"{ctx.id}: r = 1 or (W_hn diagonal, b_hn = 0): h_t(after) vs h_t(before)",
                             ctx.repro(case=case))
        r = s.gates(case.params, case.h_prev, case.x, reset="after")["r"]
        if np.all(r == 1.0):   # r = 1.0 exactly: both forms do the same float operations, bit for bit
            assert np.array_equal(ha, hb), f"{ctx.id}: r = 1 exactly but h_t(after) = {ha!r} ≠ h_t(before) = {hb!r} (H = {H})"


# ================================================================ seed 001: one gate for forgetting and updating

def _step_with_independent_keep_gate(p, h, x, reset="after"):
    """Bug: an LSTM-like cell whose keep factor is a separate gate (r in place of z): h = (1−z)⊙n + r⊙h."""
    g = gru.gates(p, h, x, reset)
    return (1.0 - g["z"]) * g["n"] + g["r"] * np.asarray(h)


@claim_check("GRU-SINGLE-GATE-INTERPOLATION", subject={"step": gru.step, "gates": gru.gates},
             plants={"a separate keep gate (r) instead of z": {"step": _step_with_independent_keep_gate}})
def gru_update_gate_sets_both_kept_and_written(ctx, s):
    """h_t − n_t = z_t⊙(h_{t−1} − n_t): one gate z sets both the fraction kept (z) and the fraction written (1 − z).  [GRU-SINGLE-GATE-INTERPOLATION]"""

    @ctx.holds
    @given(case=cases.gru_cases(max_H=4, max_D=3, scales=cases.SCALES + (1e3,)))
    def convex_combination_by_one_gate(case):
        p, h = case.params, case.h_prev
        g = s.gates(p, h, case.x, reset=case.reset)
        h_t = s.step(p, h, case.x, reset=case.reset)
        z, n = g["z"], g["n"]
        scale = max(1.0, float(np.max(np.abs(h))))
        assertions.assert_close(h_t - n, z * (h - n), tolerances.value(scale=scale),
                             f"{ctx.id}: h_t − n vs z⊙(h_(t−1) − n)", ctx.repro(case=case))
        assertions.assert_close(h_t - h, (1.0 - z) * (n - h), tolerances.value(scale=scale),
                             f"{ctx.id}: h_t − h_(t−1) vs (1 − z)⊙(n − h_(t−1))", ctx.repro(case=case))
        # convexity: h_t lies between h_(t−1) and n (up to rounding)
        slack = tolerances.value(scale=scale).bound(np.maximum(np.abs(h), np.abs(n)))
        lo, hi = np.minimum(h, n) - slack, np.maximum(h, n) + slack
        assert np.all((lo <= h_t) & (h_t <= hi)), f"{ctx.id}: h_t = {h_t!r} outside [min, max] of h_(t−1) = {h!r} and n = {n!r}"
        target(float(np.max(np.abs(h_t - n - z * (h - n)))), label="|h_t − n − z⊙(h − n)|")
