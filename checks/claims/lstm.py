"""Checks of the LSTM claims (spec/claims/lstm.toml): gate ranges, the cell as a counter, the direct path
and the full ∂c_t/∂c_{t−1}, the open gate's tanh' factor, the 1997 CEC, peepholes, ∂h_t/∂h_{t−1},
exploding LSTM gradients and the parameter count. The forget gate is in lstm_forget.py, seed 003's
literal terms in lstm_seed003.py.

Notation (docs/DESIGN.md): gate blocks i, f, g, o of ``W_x (4H,D)``, ``W_h (4H,H)``, ``b (4H,)``;
``c_t = f⊙c_{t-1} + i⊙g``, ``h_t = o⊙tanh(c_t)``. "The direct path" is ∂c_t/∂c_{t-1} with h_{t-1} held
fixed; "the full" derivative also follows c_{t-1} → h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) → gates.

Float facts used below (the model's two-branch σ, models/activations.py): fl(σ(x)) = 1 exactly once
1 + e^{−x} rounds to 1, i.e. for x ≥ 53·ln 2 ≈ 36.7368; in the left tail σ(x) = e^{x}/(1 + e^{x}) keeps
full relative accuracy (σ(−41) = 1.6e−18) and reaches 0 only below x ≈ −745.13, where e^{x} underflows;
fl(tanh(x)) = ±1 for |x| ≥ 18.9903 (measured: the platform tanh is faithfully rounded). So a gate is
strictly inside (0, 1) for |a| ≤ 36 and tanh strictly inside (−1, 1) for |a| ≤ 18; beyond those the
float value may sit on the boundary.
"""

import autograd.numpy as anp
import numpy as np
from hypothesis import example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, oracles, recording, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    lstm_params,
    orthogonal_matrices,
    vectors,
)
from vanishing.checks.toolkit import le
from vanishing.models import activations as act
from vanishing.models import layouts, lstm, rnn


# ================================================================ seed 004 §4.2: an open gate passes the gradient on

def _out_factor(s):
    """∂h_t/∂c_t = diag(o_t⊙tanh'(c_t)): h_t = o_t⊙tanh(c_t) and o_t does not read c_t (no peepholes)."""
    return s["o"] * act.tanh_prime(s["c"])


def _in_factor(s):
    """∂c_t/∂a_g = diag(i_t⊙tanh'(a_g)): c_t = f⊙c_{t−1} + i_t⊙tanh(a_g), i_t does not read a_g."""
    return s["i"] * act.tanh_prime(s["a_g"])


#: H = 3, D = 1, every W_h entry in ±{0, 1/4, 1/2, 3/4}: a kept example at H ≥ 3 (the strategy's H ≤ 3 may not reach it in ci).
_H3_STEP = cases.lstm_case(cases.lstm_params_by_hand(H=3, W_x=np.linspace(-1, 1, 12), W_h=((np.arange(36) % 7) - 3) / 4.0,
                                                     b=((np.arange(12) % 5) - 2) / 2.0),
                           h_prev=[0.5, -0.25, 0.75], c_prev=[1.0, -2.0, 0.5], x=[0.5])


@claim_check("LSTM-OPEN-GATE-TANH-FACTOR",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian, "out_factor": _out_factor, "in_factor": _in_factor},
             plants={"∂h_t/∂c_t = diag(o_t): tanh' dropped (the 'unhindered' reading)": {"out_factor": lambda s: s["o"]},
                     "∂c_t/∂a_g = diag(i_t⊙σ'(a_g)): σ' for the candidate's tanh'":
                         {"in_factor": lambda s: s["i"] * act.sigmoid_prime(s["a_g"])}})
def open_gate_passes_through_but_tanh_still_scales(ctx, s):
    """∂(o⊙u)/∂u = diag(o_t), ∂(i⊙g)/∂g = diag(i_t): I at gate 1; through the activation ∂h_t/∂c_t = diag(o_t⊙tanh'(c_t)) ≤ o_t.  [LSTM-OPEN-GATE-TANH-FACTOR]"""

    @ctx.holds(max_examples=12, reason="finite differences on two diagonal Jacobians: scipy iterates to its cap on every exact 0")
    @given(step=cases.lstm_steps(max_H=2))
    @example(step=("forget", cases.lstm_params_by_hand(b=[0.0, cases.PIN, 0.0, cases.PIN]), np.zeros(1), np.ones(1), np.zeros(1)))   # f = o = 1, c_t = 1
    @example(step=("cec", cases.lstm_params_by_hand(variant="cec", b=[cases.PIN, 1.0, -cases.PIN]), np.zeros(1), np.zeros(1), np.zeros(1)))  # i = 1, o shut
    @example(step=("forget", _H3_STEP.params, _H3_STEP.h_prev, _H3_STEP.c_prev, _H3_STEP.x))   # H = 3 (the strategy draws H ≤ 2)
    def factors_three_oracles(step):
        variant, p, h, c0, x = step
        H = c0.size
        g0 = s.gates(p, h, c0, x, variant=variant)
        rep = ctx.repro(step=step)
        out, inn = np.asarray(s.out_factor(g0)), np.asarray(s.in_factor(g0))
        # ∂h_t/∂c_{t−1}|_{h_{t−1}} = ∂h_t/∂c_t · ∂c_t/∂c_{t−1}|_h = diag(o⊙tanh'(c_t)) · direct path (diag(f_t), or I for cec)
        closed_h = np.diag(out) @ s.direct(p, h, c0, x, variant=variant)
        oracles.check_jacobian(lambda u: s.gates(p, h, u, x, variant=variant)["h"], c0, closed_form=closed_h,
                               structure=assertions.diagonal_mask(H), label=f"{ctx.id}: ∂h_t/∂c_(t−1) at fixed h_(t−1)", reproduce=rep)
        # ∂c_t/∂b_g = ∂c_t/∂a_g (a_g = W_xg x + W_hg h + b_g): the input gate's factor i⊙tanh'(a_g)
        sl = cases.gate_rows(variant, "g", H)

        def c_of_bg(u):
            q = dict(p, b=anp.concatenate([p["b"][:sl.start], u, p["b"][sl.stop:]]))
            return s.gates(q, h, c0, x, variant=variant)["c"]
        oracles.check_jacobian(c_of_bg, p["b"][sl], closed_form=np.diag(inn), structure=assertions.diagonal_mask(H),
                               label=f"{ctx.id}: ∂c_t/∂b_g", reproduce=rep)
        o, i = np.asarray(g0["o"]), np.asarray(g0["i"])
        # the gate bounds the flow (tanh' ≤ 1), so a gate near 0 stops it: |factor| ≤ gate
        le(np.abs(out), o, f"{ctx.id}: |∂h_t/∂c_t| vs the output gate o_t", scale=1.0)
        le(np.abs(inn), i, f"{ctx.id}: |∂c_t/∂a_g| vs the input gate i_t", scale=1.0)
        # an open gate (exactly 1.0) leaves the tanh' factor, ≤ 1 and = 1 only where its argument rounds to 0
        for gate, factor, arg, name in ((o, out, np.asarray(g0["c"]), "c_t"), (i, inn, np.asarray(g0["a_g"]), "a_g")):
            op = gate == 1.0
            assertions.assert_close(factor[op], act.tanh_prime(arg[op]), tolerances.analytic(),
                                 f"{ctx.id}: open gate: factor vs tanh'({name})", rep)
            # tanh'(u) = 1 − u² + O(u⁴) rounds to 1 only for |u| ≲ 1.5e-8; beyond 1e-7 it is below 1 − 1e-14
            away = op & (np.abs(arg) > 1e-7)
            assert np.all(factor[away] < 1.0), f"{ctx.id}: open gate, {name} = {arg[away]!r} ≠ 0, yet the factor {factor[away]!r} is 1"
        with np.errstate(divide="ignore", invalid="ignore"):
            target(float(np.max(np.where(o > 0, out / o, 0.0))), label="∂h_t/∂c_t ÷ o_t")

    @st.composite
    def open_gates(draw):
        """f pinned to exactly 1 (bias 1000); o and i exactly 1 or drawn in [0.99, 1) (each unit's bias solved for it);
        c_{t−1} ∈ [−2, 2] and the candidate's rows scaled so |a_g| ≤ 3: |c_t| < 3 and tanh' ≥ 0.0099 at full accuracy."""
        variant, p, h, c0, x = draw(cases.lstm_steps(max_H=2, pin=()))
        H = c0.size
        c0 = np.clip(c0, -2.0, 2.0)
        p = cases.with_bias(p, variant, H, f=cases.PIN) if variant == "forget" else dict(p)
        a = p["W_x"] @ x + p["W_h"] @ h
        sg = cases.gate_rows(variant, "g", H)
        ag = a[sg] + p["b"][sg]
        shrink = min(1.0, 3.0 / max(float(np.max(np.abs(ag))), 1e-300))
        W_x, W_h, b = (np.array(p[k], dtype=np.float64, copy=True) for k in ("W_x", "W_h", "b"))
        W_x[sg], W_h[sg], b[sg] = shrink * W_x[sg], shrink * W_h[sg], shrink * b[sg]
        for gate in ("o", "i"):
            sl = cases.gate_rows(variant, gate, H)
            value = draw(st.one_of(st.just(1.0), floats(0.99, 1.0 - 1e-9)), label=f"{gate} (open or nearly)")
            b[sl] = cases.PIN if value == 1.0 else np.log(value / (1.0 - value)) - a[sl]
        return variant, dict(p, W_x=W_x, W_h=W_h, b=b), h, c0, x

    @ctx.holds(max_examples=cases.FD_ZEROS_CAP, reason=cases.FD_ZEROS_REASON)
    @given(step=open_gates())
    @example(step=("forget", cases.lstm_params_by_hand(b=[cases.PIN, cases.PIN, 0.0, cases.PIN]), np.zeros(1), np.ones(1), np.zeros(1)))
    def open_gate_passes_unhindered(step):
        # the gate's own factor, by the chain rule through the model: ∂h_t/∂tanh(c_t) = (∂h_t/∂c_t)/tanh'(c_t) = diag(o_t)
        # and ∂c_t/∂g_t = (∂c_t/∂a_g)/tanh'(a_g) = diag(i_t); autograd differentiates the model (f = 1: ∂c_t/∂c_(t−1)|_h = I)
        variant, p, h, c0, x = step
        H = c0.size
        g0 = s.gates(p, h, c0, x, variant=variant)
        rep = ctx.repro(step=step)
        assert np.all(np.asarray(g0["f"]) == 1.0), f"{ctx.id}: precondition f = 1 exactly failed: f = {np.asarray(g0['f'])!r}"
        o, i = np.asarray(g0["o"]), np.asarray(g0["i"])
        J_h = oracles.jacobian_reverse(lambda u: s.gates(p, h, u, x, variant=variant)["h"], c0)
        sl = cases.gate_rows(variant, "g", H)

        def c_of_bg(u):
            q = dict(p, b=anp.concatenate([p["b"][:sl.start], u, p["b"][sl.stop:]]))
            return s.gates(q, h, c0, x, variant=variant)["c"]
        J_c = oracles.jacobian_reverse(c_of_bg, p["b"][sl])
        for J, gate, arg, name in ((J_h, o, np.asarray(g0["c"]), "∂h_t/∂tanh(c_t)"), (J_c, i, np.asarray(g0["a_g"]), "∂c_t/∂g_t")):
            factor = np.diag(J) / act.tanh_prime(arg)
            assertions.assert_close(J - np.diag(np.diag(J)), np.zeros((H, H)), tolerances.exact("a gate acts elementwise"),
                                 f"{ctx.id}: {name} off the diagonal", rep)
            assertions.assert_close(factor, gate, tolerances.analytic(), f"{ctx.id}: {name} vs the gate", rep)
            le(np.full(H, 0.99), factor, f"{ctx.id}: {name} for a gate ≥ 0.99 (≥ 0.99: 'unhindered')", scale=1.0, reproduce=rep)
            op = gate == 1.0
            assertions.assert_close(factor[op], np.ones(int(op.sum())), tolerances.analytic(),
                                 f"{ctx.id}: {name} at gate = 1 exactly: the identity", rep)
#: |a| at or below which tanh(a) is strictly inside (−1, 1) in float64 (rounding starts at 18.99).
_TANH_STRICT = 18.0


# ---------------------------------------------------------------- plants (realistic bugs)

def _gates_g_1997(params, h_prev, c_prev, x, variant="forget"):
    """Bug: the 1997 paper's candidate squashing g(x) = 4σ(x) − 2 = 2tanh(x/2), range (−2, 2)."""
    s = dict(lstm.gates(params, h_prev, c_prev, x, variant=variant))
    s["g"] = 2.0 * act.tanh(0.5 * s["a_g"])
    s["c"] = s["f"] * np.asarray(c_prev) + s["i"] * s["g"]
    s["h"] = s["o"] * act.tanh(s["c"])
    return s


def _gates_tanh_output(params, h_prev, c_prev, x, variant="forget"):
    """Bug: the output gate squashed with tanh instead of σ (range (−1, 1))."""
    s = dict(lstm.gates(params, h_prev, c_prev, x, variant=variant))
    s["o"] = act.tanh(s["a_o"])
    s["h"] = s["o"] * act.tanh(s["c"])
    return s


# ================================================================ gate ranges

@claim_check("LSTM-GATE-RANGES", subject={"gates": lstm.gates},
             plants={"candidate g of the 1997 paper, 2·tanh(a/2) ∈ (−2, 2)": {"gates": _gates_g_1997},
                     "output gate squashed with tanh instead of σ": {"gates": _gates_tanh_output}})
def lstm_gates_stay_in_their_ranges(ctx, s):
    """i, f, o ∈ (0,1), g ∈ (−1,1), |h| = o|tanh c| < 1; in float64 the closed intervals.  [LSTM-GATE-RANGES]"""

    @ctx.holds
    @given(case=cases.lstm_cases(max_H=4, max_D=3, scales=cases.SCALES + (1e3,)))
    @example(case=cases.lstm_case(cases.lstm_params_by_hand(b=[40.0, 40.0, 40.0, 40.0]), c_prev=[30.0]))   # every gate rounds to 1, h to 1
    def ranges(case):
        g = s.gates(case.params, case.h_prev, case.c_prev, case.x, variant=case.variant)
        target(float(np.max(np.abs(g["h"]))), label="max |h|")
        for k in ("i", "f", "o"):
            v, a = np.asarray(g[k]), g["a_" + k]
            assert np.all(0.0 <= v), f"{ctx.id}: gate {k} = {v!r} below 0 ({ctx.repro(case=case)})"
            assertions.assert_le(v, 1.0, tolerances.exact("fl(σ(a)) ≤ 1"), f"{ctx.id}: gate {k} vs 1", reproduce=ctx.repro(case=case))
            if a is not None:
                inner = np.abs(a) <= cases.SIGMA_STRICT
                assert np.all((0.0 < v[inner]) & (v[inner] < 1.0)), \
                    f"{ctx.id}: gate {k} = {v[inner]!r} on the boundary although |a_{k}| = {np.abs(a[inner])!r} ≤ {cases.SIGMA_STRICT}"
        gv = np.asarray(g["g"])
        assertions.assert_le(np.abs(gv), 1.0, tolerances.exact("fl(tanh(a)) ∈ [−1, 1]"), f"{ctx.id}: |candidate g| vs 1", reproduce=ctx.repro(case=case))
        inner = np.abs(g["a_g"]) <= _TANH_STRICT
        assert np.all(np.abs(gv[inner]) < 1.0), f"{ctx.id}: candidate g = {gv[inner]!r} = ±1 although |a_g| ≤ {_TANH_STRICT}"
        h, o, cell = np.asarray(g["h"]), np.asarray(g["o"]), np.asarray(g["c"])
        # |h| = o·|tanh c| ≤ o exactly, also in floats: o·t ≤ o for |t| ≤ 1 and rounding is monotone
        # (with o ≤ 1, asserted above, this is also |h| ≤ 1)
        assertions.assert_le(np.abs(h), o, tolerances.exact("o·t ≤ o for |t| ≤ 1, rounding is monotone"), f"{ctx.id}: |h| vs o", reproduce=ctx.repro(case=case))
        inner = (np.abs(g["a_o"]) <= cases.SIGMA_STRICT) | (np.abs(cell) <= _TANH_STRICT)
        assert np.all(np.abs(h[inner]) < 1.0), f"{ctx.id}: |h| = 1 although o < 1 or |c| ≤ {_TANH_STRICT}: h = {h[inner]!r}"


# ================================================================ seed 002: counters

@claim_check("LSTM-CELL-COUNTER-BOUND", subject={"gates": lstm.gates},
             plants={"candidate g of the 1997 paper, 2·tanh(a/2) ∈ (−2, 2)": {"gates": _gates_g_1997}})
def cell_increment_bounded_but_cell_change_not(ctx, s):
    """|c_t − f_t⊙c_{t−1}| = |i_t⊙g_t| < 1, but |c_t − c_{t−1}| is not bounded by 1.  [LSTM-CELL-COUNTER-BOUND]"""

    @st.composite
    def trajectories(draw):
        H, D, T = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D"), draw(st.integers(2, 12), label="T")
        scale = draw(st.sampled_from((1.0, 4.0, 16.0, 100.0)), label="weight scale")
        xs = draw(vectors(T * D, -3.0, 3.0), label="xs").reshape(T, D)
        return draw(lstm_params(H, D, scale, "forget"), label="params"), xs

    @ctx.holds
    @given(traj=trajectories())
    def bounded_relative_to_forgotten_state(traj):
        params, xs = traj
        H = params["W_h"].shape[1]
        steps = cases.rollout(s.gates, params, np.zeros(H), np.zeros(H), xs)
        c_prev = np.zeros(H)
        worst = 0.0
        for t, st_ in enumerate(steps, start=1):
            inc = st_["i"] * st_["g"]
            worst = max(worst, float(np.max(np.abs(inc))))
            assertions.assert_le(np.abs(inc), 1.0, tolerances.exact("fl(σ) ≤ 1 and fl(tanh) ∈ [−1, 1], so the product too"), f"{ctx.id}: step {t}: |i⊙g| vs 1",
                              reproduce=ctx.repro(traj=traj))
            assertions.assert_close(st_["c"] - st_["f"] * c_prev, inc, tolerances.analytic(scale=max(1.0, float(np.max(np.abs(st_["c"]))))),
                                 f"{ctx.id}: step {t}: c_t − f⊙c_(t−1) vs i⊙g")
            # from c_0 = 0 the counter moves at most 1 per step: |c_t| ≤ t (plus rounding)
            assertions.assert_le(np.abs(st_["c"]), float(t), tolerances.analytic(scale=t), f"{ctx.id}: step {t}: |c_t| vs t, from c_0 = 0",
                              reproduce=ctx.repro(traj=traj))
            c_prev = st_["c"]
        target(worst, label="max |i⊙g|")

    @ctx.refutes
    @given(traj=trajectories())
    @example(traj=({"W_x": np.zeros((12, 1)), "W_h": np.full((12, 3), -8.0), "b": np.full(12, 21.0)}, np.zeros((3, 1))))
    def literal_changes_by_at_most_one(traj):
        params, xs = traj
        H = params["W_h"].shape[1]
        steps = cases.rollout(s.gates, params, np.zeros(H), np.zeros(H), xs)
        cs = np.vstack([np.zeros(H)] + [st_["c"] for st_ in steps])
        jump = float(np.max(np.abs(np.diff(cs, axis=0))))
        target(jump, label="max |c_t − c_(t−1)|")
        literal(jump <= 1.0, f"{ctx.id}: the cell changed by {jump!r} > 1 in one step (c = {cs.ravel()!r})")


# ================================================================ the direct path

@claim_check("LSTM-CELL-DIRECT-PATH",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian},
             plants={"f_t factor dropped (identity, as for the 1997 CEC)": {"direct": lambda p, h_prev, c_prev, x, variant="forget": np.eye(len(c_prev))},
                     "diag(1 − f_t) (forget read as 'erase')": {"direct": lambda p, h_prev, c_prev, x, variant="forget": np.eye(len(c_prev)) - lstm.direct_path_jacobian(p, h_prev, c_prev, x, variant)}})
def cell_direct_path_is_the_forget_gate(ctx, s):
    """∂c_t/∂c_{t−1} |_{h_{t−1} fixed} = diag(f_t): diagonal and equal to the forget gate.  [LSTM-CELL-DIRECT-PATH]"""

    @ctx.holds(max_examples=cases.FD_ZEROS_CAP, reason=cases.FD_ZEROS_REASON)
    @given(case=cases.lstm_cases(variants=("forget",)))
    def direct_path_is_diag_f(case):
        p, H = case.params, case.c_prev.size
        closed = s.direct(p, case.h_prev, case.c_prev, case.x, variant="forget")
        f = s.gates(p, case.h_prev, case.c_prev, case.x, variant="forget")["f"]
        oracles.check_jacobian(lambda u: s.gates(p, case.h_prev, u, case.x, variant="forget")["c"], case.c_prev,
                               closed_form=closed, structure=assertions.diagonal_mask(H),
                               label=f"{ctx.id}: ∂c_t/∂c_(t−1) at fixed h_(t−1)", reproduce=ctx.repro(case=case))
        assertions.assert_close(np.diag(closed), f, tolerances.analytic(), f"{ctx.id}: diagonal of the direct path vs the forget gate f_t")


@claim_check("LSTM-CELL-NO-W-MATMUL",
             subject={"gates": lstm.gates, "terms": lstm.cell_jacobian_terms},
             plants={"full Jacobian taken to be diag(f_t) (the seed's claim)":
                     {"terms": lambda p, c_prev, o_prev, x, variant="forget": {"full": np.diag(lstm.gates(p, o_prev * np.tanh(c_prev), c_prev, x, variant)["f"])}}})
def cell_jacobian_has_recurrent_weights_off_the_direct_path(ctx, s):
    """∂c_t/∂c_{t−1} = diag(f_t) + Σ_k diag(u_k) W_hk diag(o_{t−1}⊙tanh'(c_{t−1})): W_h appears off the direct path.  [LSTM-CELL-NO-W-MATMUL]"""

    def full_fn(case, params):
        """c_{t-1} ↦ c_t with h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) (the forget-variant gates do not read c_{t-1})."""
        h = cases.h_of(case)
        return lambda u: s.gates(params, h(u), u, case.x, variant="forget")["c"]

    @ctx.holds(max_examples=18, reason="finite differences on the full Jacobian, then both autograd modes at W_h = 0, per example")
    @given(case=cases.lstm_cases(variants=("forget",)))
    def w_enters_only_through_h(case):
        p, H = case.params, case.c_prev.size
        J = oracles.check_jacobian(full_fn(case, p), case.c_prev,
                                   closed_form=s.terms(p, case.c_prev, case.o_prev, case.x, variant="forget")["full"],
                                   label=f"{ctx.id}: full ∂c_t/∂c_(t−1)", reproduce=ctx.repro(case=case))
        target(float(np.max(np.abs(J - np.diag(np.diag(J))))), label="largest off-diagonal entry")
        # Without recurrent weights the h-path is cut and only the element-wise factor f_t is left.
        p0 = dict(p, W_h=np.zeros_like(p["W_h"]))
        f0 = s.gates(p0, case.o_prev * act.tanh(case.c_prev), case.c_prev, case.x, variant="forget")["f"]
        for J0, who in ((oracles.jacobian_reverse(full_fn(case, p0), case.c_prev), "autograd"),
                        (oracles.jacobian_forward(full_fn(case, p0), case.c_prev), "autograd forward")):
            assertions.assert_structure(J0, assertions.diagonal_mask(H), tolerances.analytic(), f"{ctx.id}: W_h = 0, {who}")
            assertions.assert_close(J0, np.diag(f0), tolerances.analytic(), f"{ctx.id}: W_h = 0, {who} vs diag(f_t)", ctx.repro(case=case))

    @ctx.refutes
    @given(case=cases.lstm_cases(variants=("forget",)))
    @example(case=cases.lstm_case(cases.lstm_params_by_hand(W_h=[0.5, 0.5, 0.5, 0.5])))
    def literal_only_elementwise_by_f(case):
        p = case.params
        J = oracles.jacobian_reverse(full_fn(case, p), case.c_prev)
        f = s.gates(p, case.o_prev * act.tanh(case.c_prev), case.c_prev, case.x, variant="forget")["f"]
        assertions.assert_close(J, np.diag(f), tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{ctx.id}: the full ∂c_t/∂c_(t−1) is not diag(f_t) (it contains W_h)", ctx.repro(case=case), literal=True)


# ================================================================ seed 004 §5.1: LSTMs can still explode

def _zero_state_pair_jacobian(params, D):
    """∂(h_t, c_t)/∂(h_{t−1}, c_{t−1}) at the zero state with zero input, from the model's hand-derived pieces.

    With o_prev = 1, cell_jacobian_terms' h_{t−1} = 1⊙tanh(0) = 0 and dh = diag(tanh'(0)) = I, so its
    full − B is ∂c_t/∂h_{t−1}. ∂h_t/∂c_{t−1} (h fixed) = diag(o_t⊙tanh'(c_t)) diag(f_t).
    """
    H = params["W_h"].shape[1]
    z, x = np.zeros(H), np.zeros(D)
    g = lstm.gates(params, z, z, x)
    T = lstm.cell_jacobian_terms(params, z, np.ones(H), x)
    hh = lstm.h_jacobian(params, z, z, x)
    cc = lstm.direct_path_jacobian(params, z, z, x)
    hc = np.diag(g["o"] * act.tanh_prime(g["c"])) @ cc
    ch = T["full"] - T["B"]
    return np.block([[hh, hc], [ch, cc]])


def _pair_without_input_gate(params, D):
    """Bug: ∂c_t/∂h_{t−1} without the factor i_t = ½ (so ∂c/∂h = W_hg at the zero state)."""
    J = _zero_state_pair_jacobian(params, D)
    H = params["W_h"].shape[1]
    J[H:, :H] *= 2.0
    return J


def _pair_without_forget_gate(params, D):
    """Bug: the c→c block (the direct path diag(f)) left out of the pair Jacobian."""
    J = _zero_state_pair_jacobian(params, D)
    H = params["W_h"].shape[1]
    J[H:, H:] = 0.0
    return J


@st.composite
def _exploding_lstms(draw):
    """b = 0, zero inputs, zero initial state (a fixed point), W_hg = w·Q with Q orthogonal and w ∈ [12, 40].

    w ≥ 12 makes σ_min(K) ≥ w/4 − ½ ≥ 2.5, so already T = 10 gives ‖∂c_T/∂c_0‖ ≥ ½·2.5⁹ ≈ 1.9e3.

    The other recurrent blocks and the input weights are arbitrary and large: at the zero state they
    multiply h = 0 or x = 0 and drop out of the Jacobian.
    """
    H, D = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D")
    w = draw(floats(12.0, 40.0), label="w = ‖W_hg‖₂")
    Q = draw(orthogonal_matrices(H), label="Q")
    params = dict(draw(lstm_params(H, D, 8.0, "forget"), label="params"))
    params = cases.with_blocks(params, "forget", H, W_h_g=w * Q, b_i=0.0, b_f=0.0, b_g=0.0, b_o=0.0)
    T = draw(st.integers(10, 15), label="T")
    return params, w, T


@claim_check("LSTM-GRADIENT-CAN-EXPLODE",
             subject={"forward": lstm.forward, "pair_jacobian": _zero_state_pair_jacobian},
             plants={"input gate dropped from ∂c_t/∂h_(t−1) (W_hg instead of i·W_hg)": {"pair_jacobian": _pair_without_input_gate},
                     "forget gate dropped from the c→c block": {"pair_jacobian": _pair_without_forget_gate}})
def lstm_cell_gradient_can_explode(ctx, s):
    """∃ θ: ‖∂c_T/∂c_0‖ = ½‖K^{T−1}‖ ≥ ½(w/4 − ½)^{T−1}, K = ½I + ¼W_hg, W_hg = wQ, at the zero state.  [LSTM-GRADIENT-CAN-EXPLODE]"""

    @ctx.holds(max_examples=10, reason="autograd in both modes through T ≥ 10 steps costs ~1.2 ms per step and mode")
    @given(lstm_=_exploding_lstms())
    def explodes_at_the_zero_fixed_point(lstm_):
        params, w, T = lstm_
        H, D = params["W_h"].shape[1], params["W_x"].shape[1]
        xs, z = np.zeros((T, D)), np.zeros(H)
        c_T = lambda u: s.forward(params, z, u, xs)[1][-1]
        Jr, Jf = oracles.jacobian_reverse(c_T, z), oracles.jacobian_forward(c_T, z)
        # closed form 1: the model's one-step pair Jacobian, to the power T, c→c block
        closed = np.linalg.matrix_power(s.pair_jacobian(params, D), T)[H:, H:]
        # closed form 2 (hand-derived): J = [o; 1] [i W_hg, f I] at a = 0 (i = f = o = ½, tanh'(0) = 1),
        # so J^T = [o; 1] K^(T−1) [i W_hg, f I] with K = o·i·W_hg + f·I = ½I + ¼W_hg, and ∂c_T/∂c_0 = ½ K^(T−1)
        K = 0.5 * np.eye(H) + 0.25 * params["W_h"][2 * H:3 * H]
        formula = 0.5 * np.linalg.matrix_power(K, T - 1)
        tol = tolerances.analytic(scale=float(np.max(np.abs(Jr))))
        assertions.assert_close(Jf, Jr, tol, f"{ctx.id}: autograd forward vs reverse (T = {T}, w = {w!r})")
        recording.record_oracle("closed-form")
        assertions.assert_close(closed, Jr, tol, f"{ctx.id}: (model pair Jacobian)^T vs autograd (T = {T}, w = {w!r})")
        assertions.assert_close(formula, Jr, tol, f"{ctx.id}: ½K^(T−1) vs autograd (T = {T}, w = {w!r})")
        # K is normal (Q is), so ‖K^n‖₂ = ρ(K)^n ≥ σ_min(K)^n ≥ (w/4 − ½)^n, tight for H = 1, Q = −1: the comparison
        # needs the chain's rounding. Per step (T ≤ 15): autograd at the zero state multiplies by the exact ½ and
        # tanh'(0) = 1 and rounds one H-term matvec (H ≤ 3) and a few sums, normwise ≲ 6√H·u·‖K‖, K being normal;
        # the bound's power rounds once per factor: tens of ulps per step, inside the 2^8 ulps per step of tolerances.chain.
        # (The bound is ≥ ½·2.5⁹ ≈ 1.9e3 for w ≥ 12, T ≥ 10, so reaching it is the explosion.)
        norm, bound = float(np.linalg.norm(Jr, 2)), 0.5 * (w / 4 - 0.5) ** (T - 1)
        target(-np.log(norm / bound), label="−log(‖∂c_T/∂c_0‖ / bound)")
        chain = tolerances.chain(T, "autograd's ∂c_T/∂c_0 through T steps against ½(w/4 − ½)^(T−1)")
        assertions.assert_le(bound, norm, chain, f"{ctx.id}: ½(w/4 − ½)^(T−1) vs ‖∂c_T/∂c_0‖ (T = {T}, w = {w!r})")


# ================================================================ Hochreiter & Schmidhuber 1997: the constant error carousel

@claim_check("LSTM-CEC-CONSTANT-ERROR",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian},
             plants={"CEC self-weight just below 1 (0.999·I)": {"direct": lambda p, h_prev, c_prev, x, variant="cec": 0.999 * np.eye(len(c_prev))},
                     "a leaky carousel c_t = 0.99·c_(t−1) + i⊙g": {"gates": lambda p, h_prev, c_prev, x, variant="cec": {
                         **lstm.gates(p, h_prev, c_prev, x, variant), "c": lstm.gates(p, h_prev, c_prev, x, variant)["c"] - 0.01 * c_prev}}})
def cec_carries_the_error_unchanged(ctx, s):
    """CEC (no forget gate): ∂c_t/∂c_{t−1}|_h = I exactly, so along the direct path ∂c_T/∂c_0 = I for every T.  [LSTM-CEC-CONSTANT-ERROR]"""

    @ctx.holds(max_examples=cases.FD_ZEROS_CAP, reason=cases.FD_ZEROS_REASON)
    @given(case=cases.lstm_cases(variants=("cec",)))
    def one_step_is_identity(case):
        p, H = case.params, case.c_prev.size
        closed = s.direct(p, case.h_prev, case.c_prev, case.x, variant="cec")
        # exactness is the claim: f'(net)·w_jj = 1 with f = id and w_jj = 1
        assert np.array_equal(closed, np.eye(H)), f"{ctx.id}: direct path {closed!r} is not exactly I"
        J = oracles.check_jacobian(lambda u: s.gates(p, case.h_prev, u, case.x, variant="cec")["c"], case.c_prev,
                                   closed_form=closed, structure=assertions.diagonal_mask(H),
                                   label=f"{ctx.id}: ∂c_t/∂c_(t−1) at fixed h_(t−1)", reproduce=ctx.repro(case=case))
        # exact in autograd too: c_t = c_(t−1) + i⊙g with i, g not reading c_(t−1), and d(u + const)/du = 1.0 bit for bit.
        # The T-step statement follows by the chain rule: with h held fixed, ∂c_T/∂c_0 = ∏_t I = I, exactly also in floats.
        assert np.array_equal(J, np.eye(H)), f"{ctx.id}: autograd's ∂c_t/∂c_(t−1) = {J!r} is not exactly I ({ctx.repro(case=case)})"


# ================================================================ peephole direct path

def _peephole_direct_without_peepholes(p, h_prev, c_prev, x, variant="peephole"):
    """Bug: the peephole cell's direct path taken to be diag(f_t), as without peepholes."""
    return np.diag(lstm.gates(p, h_prev, c_prev, x, variant)["f"])


def _peephole_direct_p_i_with_sigma_f(p, h_prev, c_prev, x, variant="peephole"):
    """Bug: the input-gate peephole term with σ'(a_f) instead of σ'(a_i)."""
    g = lstm.gates(p, h_prev, c_prev, x, variant)
    return np.diag(g["f"] + np.asarray(c_prev) * act.sigmoid_prime(g["a_f"]) * p["p_f"] + g["g"] * act.sigmoid_prime(g["a_f"]) * p["p_i"])


@claim_check("LSTM-PEEPHOLE-DIRECT-PATH",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian},
             plants={"peephole terms dropped (diag(f_t))": {"direct": _peephole_direct_without_peepholes},
                     "p_i term with σ'(a_f) instead of σ'(a_i)": {"direct": _peephole_direct_p_i_with_sigma_f}})
def peephole_direct_path_is_diagonal_but_not_the_forget_gate(ctx, s):
    """Peepholes: ∂c_t/∂c_{t−1}|_h = diag(f + c_{t−1}⊙σ'(a_f)⊙p_f + g⊙σ'(a_i)⊙p_i): diagonal, but not diag(f).  [LSTM-PEEPHOLE-DIRECT-PATH]"""

    @ctx.holds(max_examples=cases.FD_ZEROS_CAP, reason=cases.FD_ZEROS_REASON)
    @given(case=cases.lstm_cases(variants=("peephole",)))
    def diagonal_with_peephole_terms(case):
        p, H = case.params, case.c_prev.size
        closed = s.direct(p, case.h_prev, case.c_prev, case.x, variant="peephole")
        J = oracles.check_jacobian(lambda u: s.gates(p, case.h_prev, u, case.x, variant="peephole")["c"], case.c_prev,
                                   closed_form=closed, structure=assertions.diagonal_mask(H),
                                   label=f"{ctx.id}: ∂c_t/∂c_(t−1) at fixed h_(t−1)", reproduce=ctx.repro(case=case))
        f = s.gates(p, case.h_prev, case.c_prev, case.x, variant="peephole")["f"]
        target(float(np.max(np.abs(np.diag(J) - f))), label="|∂c_t/∂c_(t−1) − f| on the diagonal")
        # with the two peepholes into c_t switched off, the direct path is diag(f) again (three oracles)
        p0 = dict(p, p_i=np.zeros(H), p_f=np.zeros(H))
        f0 = s.gates(p0, case.h_prev, case.c_prev, case.x, variant="peephole")["f"]
        assertions.assert_close(s.direct(p0, case.h_prev, case.c_prev, case.x, variant="peephole"), np.diag(f0),
                             tolerances.analytic(), f"{ctx.id}: p_i = p_f = 0: closed form vs diag(f_t)")


# ================================================================ ∂h_t/∂h_{t−1}

def _h_jacobian_without_output_gate_path(p, h_prev, c_prev, x, variant="forget"):
    """Bug: ∂h_t/∂h_{t−1} without the output-gate term diag(tanh(c_t)⊙σ'(a_o)) W_ho (o treated as constant)."""
    H = len(h_prev)
    g = lstm.gates(p, h_prev, c_prev, x, variant)
    W_ho = p["W_h"][cases.gate_index(variant, "o") * H:(cases.gate_index(variant, "o") + 1) * H]
    J = lstm.h_jacobian(p, h_prev, c_prev, x, variant)
    return J - np.diag(act.tanh(g["c"]) * act.sigmoid_prime(g["a_o"])) @ W_ho   # (peephole: the p_o path stays in)


def _h_jacobian_two_units_only(p, h_prev, c_prev, x, variant="forget"):
    """Bug (size-dependent): a loop over the units written for H = 2, so rows from unit 2 on stay 0 (only H ≥ 3 shows it)."""
    J = np.array(lstm.h_jacobian(p, h_prev, c_prev, x, variant), dtype=np.float64)
    J[2:] = 0.0
    return J


@claim_check("LSTM-H-JACOBIAN", subject={"step": lstm.step, "h_jacobian": lstm.h_jacobian},
             plants={"denominator layout (the transpose)": {"h_jacobian": lambda p, h_prev, c_prev, x, variant="forget": lstm.h_jacobian(p, h_prev, c_prev, x, variant).T},
                     "output-gate path dropped (o treated as constant)": {"h_jacobian": _h_jacobian_without_output_gate_path},
                     "rows from unit 2 on left at 0 (a unit loop written for H = 2; H ≥ 3 only)": {"h_jacobian": _h_jacobian_two_units_only}})
def lstm_hidden_step_jacobian(ctx, s):
    """∂h_t/∂h_{t−1} = diag(tanh(c_t)⊙σ'(a_o)) ∂a_o/∂h + diag(o⊙tanh'(c_t)) ∂c_t/∂h_{t−1}, c_{t−1} fixed.  [LSTM-H-JACOBIAN]"""

    @ctx.holds(max_examples=15, reason="finite differences on a dense H×H Jacobian per example, H ≤ 3, three variants")
    @given(case=cases.lstm_cases())
    @example(case=_H3_STEP)
    def h_jacobian_three_oracles(case):
        p, v = case.params, case.variant
        J = oracles.check_jacobian(lambda u: s.step(p, u, case.c_prev, case.x, variant=v)[0], case.h_prev,
                                   closed_form=s.h_jacobian(p, case.h_prev, case.c_prev, case.x, variant=v),
                                   label=f"{ctx.id}: ∂h_t/∂h_(t−1) ({v})", reproduce=ctx.repro(case=case))
        target(float(np.linalg.norm(J, 2)), label="‖∂h_t/∂h_(t−1)‖₂")


# ================================================================ seed 004 §5.3: four times the parameters

@claim_check("LSTM-PARAM-COUNT-FOUR-TIMES",
             subject={"lstm_count": lstm.param_count, "rnn_count": rnn.param_count, "init": lstm.init_params},
             plants={"LSTM count without the biases": {"lstm_count": lambda H, D, variant="forget": lstm.param_count(H, D, variant) - 4 * H},
                     "LSTM count with 3 gate blocks (no forget gate) for every variant": {"lstm_count": lambda H, D, variant="forget": lstm.param_count(H, D, "cec")}})
def lstm_has_four_times_the_rnn_parameters(ctx, s):
    """|θ_LSTM| = 4(HD + H² + H) = 4·|θ_RNN| exactly (cec: 3×, peephole: 4× + 3H); PyTorch's two biases: still 4×.  [LSTM-PARAM-COUNT-FOUR-TIMES]"""

    @ctx.holds
    @given(H=st.integers(1, 4096), D=st.integers(1, 4096))
    def exactly_four_times(H, D):
        # integers: exact equality is the claim
        n_lstm, n_rnn = s.lstm_count(H, D), s.rnn_count(H, D)
        assert n_lstm == 4 * n_rnn, f"{ctx.id}: H={H}, D={D}: |θ_LSTM| = {n_lstm} ≠ 4·|θ_RNN| = {4 * n_rnn}"
        assert s.lstm_count(H, D, "cec") == 3 * n_rnn, f"{ctx.id}: H={H}, D={D}: cec count {s.lstm_count(H, D, 'cec')} ≠ 3·{n_rnn}"
        assert s.lstm_count(H, D, "peephole") == 4 * n_rnn + 3 * H, f"{ctx.id}: H={H}, D={D}: peephole count ≠ 4·{n_rnn} + 3H"

    @ctx.holds
    @given(H=dims(1, 16), D=dims(1, 16), variant=st.sampled_from(lstm.VARIANTS))
    def count_is_what_the_parameters_hold(H, D, variant):
        p = s.init(H, D, np.random.default_rng(0), variant=variant)
        held = sum(np.size(v) for v in p.values())
        assert held == s.lstm_count(H, D, variant), f"{ctx.id}: {variant} H={H}, D={D}: parameters hold {held}, count says {s.lstm_count(H, D, variant)}"
        if variant == "forget":
            # PyTorch's layout stores two bias vectors: 4(HD + H² + 2H) vs HD + H² + 2H, still exactly 4×
            n_lstm_torch = sum(np.size(v) for v in layouts.to_torch("lstm", p).values())
            n_rnn_torch = sum(np.size(v) for v in layouts.to_torch("rnn", {"W_hh": np.zeros((H, H)), "W_xh": np.zeros((H, D)), "b": np.zeros(H)}).values())
            assert n_lstm_torch == 4 * n_rnn_torch, f"{ctx.id}: torch layout H={H}, D={D}: {n_lstm_torch} ≠ 4·{n_rnn_torch}"
