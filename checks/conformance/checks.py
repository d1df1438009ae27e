"""The conformance checks: what is compared on which generated cases, and what a failing one prints.

Each check states a claim (``Check.claim``), draws its cases (``strategy``) and has a body that raises
:class:`~.compare.Mismatch` with located, claim-like lines. A check also owns what the runner needs to
report it without knowing its name: the adapter methods its body calls (called twice on a failing case, for
nondeterminism), the lines of its reproduce snippet, and the notes it adds when it passes. Values are
compared through ``compare.py`` under the tolerance policy of ``tolerance.py``; the reference is
``reference.py`` (the kind's row of ``models/kinds.py``), the FD oracle ``fd.py``.
"""


import numpy as np
from hypothesis import strategies as st

from vanishing.checks import assertions, tolerances
from vanishing.checks.conformance import bounds, modern_cells, reference
from vanishing.checks.conformance.cases import cell_cases, clip_cases, packed_stack_cases, stack_cases
from vanishing.checks.conformance.compare import Mismatch, compare, compare_grads, compare_outputs, worse
from vanishing.checks.conformance.fd import reference_directional_fd
from vanishing.checks.conformance.protocol import (
    CallError,
    call_clip_norm,
    call_clip_value,
    call_forward,
    call_param_count,
    call_stack,
    call_step,
    call_vjp,
    param_shapes,
)
from vanishing.checks.conformance.tolerance import grad_tol, norm_tol, subnormal_floor
from vanishing.checks.conformance.trigger_cases import kept_cell_cases, kept_clip_cases, kept_packed_cases, kept_stack_cases
from vanishing.models import clipping

__all__ = ["CHECKS", "Check", "forward_lines", "stack_shapes"]


class Check:
    """A named claim checked over Hypothesis-generated cases (``strategy`` + ``body``) or once (``once``)."""

    name = ""
    claim = ""
    max_examples = 0          # 0: the profile's value; otherwise a cap with a reason
    reason = ""
    methods = ()              # the adapter methods ``body`` calls on a case (a failing case's are called twice)
    method = ""               # the adapter method whose result the check compares (the diagnosis's catalogue of a clip)

    def applies(self, info):
        return info.is_cell

    def needs_gradients(self, info):
        """Whether the body needs the implementation's gradients: on a forward-only adapter the check does not apply."""
        return "vjp" in self.methods

    def strategy(self, info):
        raise NotImplementedError

    def body(self, run, case):
        raise NotImplementedError

    once = None               # a plain function (run) -> (lines, notes) instead of a property

    def kept(self, info):
        """Cases tried first on every run (Hypothesis's explicit examples): triggers a random search rarely draws."""
        return []

    def notes(self, run):
        """Facts found on the way when the check passes (e.g. PyTorch's ε)."""
        return []

    def calls(self, run, case):
        """[(method, thunk)]: the calls of ``methods`` on ``case``."""
        return []

    def snippet(self, info, case):
        """The reproduce snippet's last lines: the adapter's call and the reference's, printed (after case.source())."""
        return []


class _CellCheck(Check):
    """A check of a cell on ``cases.Case``s: forward() (and, for a gradient check, vjp()) against the reference."""

    methods = ("forward",)

    def calls(self, run, case):
        table = {"forward": lambda: call_forward(run, case.params, case.state0, case.xs),
                 "vjp": lambda: call_vjp(run, case.params, case.state0, case.xs, case.cot)}
        return [(m, table[m]) for m in self.methods]

    def snippet(self, info, case):
        what = "vjp" if "vjp" in self.methods else "forward"
        args = "params, state0, xs, cotangents" if what == "vjp" else "params, state0, xs"
        return ["from vanishing.checks.conformance.cases import Case",
                (f"case = Case({info.kind!r}, {info.reset!r}, np.dtype({info.dtype_name!r}), params, state0, xs, cotangents, "
                 f"pset={info.param_set!r})"),
                f"print(adapter.{what}({args}))", f"print(reference.{what}(case))"]


class _GradientCheck(_CellCheck):
    methods = ("forward", "vjp")


def forward_lines(run, case):
    """forward() on ``case`` against the reference: (located lines, worst (ratio, err, allowed, rel))."""
    ref = reference.forward(case)
    got = call_forward(run, case.params, case.state0, case.xs)
    return compare_outputs(case.row.outputs, got, ref, bounds.magnitudes(case), run.info.dtype, "forward: ", run.info)


def _forward_first(run, case, lines):
    """A gradient failure on a case whose forward values already differ: say that first (the gradients of a
    different function cannot match; the forward check's diagnosis is the one that explains it)."""
    flines, _ = forward_lines(run, case)
    if not flines:
        return lines, False
    return ([("the forward values already differ on this case (the forward check fails too), so the gradients are those of "
              "another function; fix the forward pass first:")] + ["  " + ln for ln in flines] + lines), True


class ForwardValues(_CellCheck):
    name = "forward"
    claim = ("step() and forward() equal the reference cell (h_t, and c_T for an LSTM) over generated parameters, inputs and "
             "states, including saturating pre-activations (|a| up to 1e3) and zero states")

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 6))

    check_step = True        # also compare one step() from state0

    def kept(self, info):
        return kept_cell_cases(info.kind, info.reset, info.dtype, info.param_set)   # zero groups, h0 = 0 with biases

    def body(self, run, case):
        lines, worst = forward_lines(run, case)
        if not lines and self.check_step:   # one step from state0 (the step() method)
            s_ref = reference.step(case)
            s_got = call_step(run, case.params, case.state0, case.xs[0])
            M1 = bounds.magnitudes(case.but(xs=case.xs[:1]))
            M1 = tuple(M1[i][0] if per_step else M1[i] for i, per_step in case.row.state_outputs())
            lines, worst = compare_outputs(tuple(f"{s}_1" for s in case.row.state), s_got, s_ref, M1, run.info.dtype,
                                           "step: ", run.info)
        if lines:
            raise Mismatch("forward", lines, case, *worst)


class LongSequence(ForwardValues):
    name = "long-sequence"
    claim = ("forward() equals the reference over long sequences (T = 30..80), within the forward-error bound "
             "propagated through the recurrence")
    max_examples = 10
    reason = "each example runs 30–80 steps of the reference, of the error bound and of the implementation"

    check_step = False       # ForwardValues already checks step(); here only the long forward()

    def kept(self, info):
        return []                # ForwardValues keeps the short trigger cases; here every case is long

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(30, 80), regimes=("moderate", "saturated"))


class Gradients(_GradientCheck):
    name = "gradients"
    claim = ("vjp() (the implementation's own gradients) equals autograd through the reference, w.r.t. every parameter, "
             "every input x_t and the initial state")

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 6))

    def kept(self, info):
        return kept_cell_cases(info.kind, info.reset, info.dtype, info.param_set)

    def body(self, run, case):
        ref = reference.vjp(case)
        got = call_vjp(run, case.params, case.state0, case.xs, case.cot)
        tol = subnormal_floor(grad_tol(run.info.dtype, ref, bounds.gradient_scale(case)), run.info)
        lines, worst = compare_grads(case.kind, got, ref, tol, case.H)
        if lines:
            lines, fwd = _forward_first(run, case, lines)
            raise Mismatch("gradient", lines, case, *worst, forward_differs=fwd)


class GradientsFD(_GradientCheck):
    name = "gradients-fd"
    claim = ("vjp() agrees with finite differences of the reference along a random direction through all parameters, "
             "inputs and the initial state (an oracle independent of autograd)")
    max_examples = 6
    reason = "each example costs ~30 reference evaluations (scipy.differentiate with Richardson refinement)"

    def strategy(self, info):
        base = cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 4), regimes=("moderate", "zero-state"),
                          relu_margin=0.1 if info.row.kink else None)

        @st.composite
        def with_direction(draw):
            case = draw(base)
            case.extra["direction_seed"] = draw(st.integers(0, 2**32 - 1), label="direction seed")
            return case
        return with_direction()

    def body(self, run, case):
        d = reference_directional_fd(case, int(case.extra["direction_seed"]))
        got = call_vjp(run, case.params, case.state0, case.xs, case.cot)
        val = d.along(got)
        tol = d.tol(run.info.dtype, max([float(np.max(np.abs(got[k]))) for k in d.keys] + [bounds.gradient_scale(case)]))
        c = compare(val, d.fd, tol, "⟨vjp, w⟩ vs finite differences")
        if not c.ok:
            err, allowed = abs(val - d.fd), float(tol.bound(d.fd))
            lines, fwd = _forward_first(run, case, [
                (f"the directional derivative ⟨vjp(v), w⟩ = {val:.17g} disagrees with finite differences of the reference, "
                 f"vᵀ J w = {d.fd:.17g} (FD error estimate {d.fd_err:.2g}); |error| {err:.3g} > allowed {allowed:.3g}")])
            raise Mismatch("gradient", lines, case, err / allowed, err, allowed, c.rel, forward_differs=fwd)


def _unit_cotangent(row, H, which, j):
    """One-step cotangents selecting entry j of the final state ``which`` ("h" or "c"): its vjp is row j of ∂which_1/∂state_0."""
    cot = [np.zeros((1, H))] + [np.zeros(H) for _ in row.outputs[1:]]
    i = row.state.index(which)
    if i == 0:
        cot[0][0, j] = 1.0
    else:
        cot[i][j] = 1.0
    return tuple(cot)


def _jacobian_rows(run, case, params, which):
    """J[j, :] = e_jᵀ ∂which_1/∂which_0 for a one-step case, by H calls of the implementation's own vjp."""
    rows = []
    for j in range(case.H):
        g = call_vjp(run, params, case.state0, case.xs[:1], _unit_cotangent(case.row, case.H, which, j))
        rows.append(g[f"{which}0"])
    return np.stack(rows)


def _zeroed(params, keys):
    """``params`` with ``keys`` set to 0 (``params`` itself when there are none)."""
    return {**params, **{k: np.zeros_like(params[k]) for k in keys}} if keys else params


class DirectPath(_GradientCheck):
    name = "direct-path"
    claim = ("through the implementation's own autodiff, the direct-path Jacobian is diagonal and equals the gate: "
             "∂c_t/∂c_{t−1} = diag(f_t) for an LSTM (plus the diagonal peephole terms), ∂h_t/∂h_{t−1} = diag(z_t) for a GRU "
             "whose recurrent weights are zero (so that only the direct path remains)")
    max_examples = 12
    reason = "each example costs H vjp calls; the claim is structural (diagonal, equal to the gate), not numerical"

    def applies(self, info):   # the modern families' (states not all (H,)): modern.ModernDirectPath
        return info.is_cell and info.row.direct_path is not None and info.row.family not in modern_cells.FAMILIES

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 1), regimes=("moderate", "saturated"))

    def body(self, run, case):
        row, s = case.row, case.row.direct_state
        P = _zeroed(case.params, row.direct_path_zero)
        J = _jacobian_rows(run, case, P, s)
        expected = row.direct_path(case.but(params=P).canonical(), case.state0, case.xs[0], case.reset)
        what = f"∂{s}_t/∂{s}_{{t−1}}" + (f" with {', '.join(k + ' = 0' for k in row.direct_path_zero)}"
                                         if row.direct_path_zero else " (h_{t−1} fixed)")
        tol = tolerances.gradient(run.info.dtype, scale=max(1.0, float(np.max(np.abs(expected)))))
        lines = []
        off = ~assertions.diagonal_mask(case.H)
        c_off = compare(J[off], np.zeros(int(off.sum())), tol, f"off-diagonal of {what} from vjp")
        c = compare(J, expected, tol, f"{what} from vjp")
        if not c_off.ok:
            i, j = np.argwhere(off)[c_off.worst[0]]
            lines.append(f"the direct-path Jacobian {what} is not diagonal: entry [{i}, {j}] is {J[i, j]:.17g} "
                         f"(|error| {c_off.worst_err:.3g} > allowed {c_off.worst_allowed:.3g}); "
                         f"{c_off.n_bad} off-diagonal entr{'y' if c_off.n_bad == 1 else 'ies'} non-zero")
        d = np.diag(c.ratio)
        if np.max(d) > 1.0:
            w = int(np.argmax(d))
            lines.append(f"the diagonal of {what} is not {row.direct_gate}: at unit {w} got {J[w, w]:.17g}, expected "
                         f"{expected[w, w]:.17g} (|error| {c.err[w, w]:.3g} > allowed {c.allowed[w, w]:.3g})")
        if lines:
            # The counterexample shown is the one-step case with the unit cotangent of the worst row: its vjp (h0 or c0
            # entry) is that row of the Jacobian, so the printed comparison shows the difference (never zero cotangents).
            j = int(c.worst[0])
            i = row.state.index(s)
            shown = case.but(params=P, xs=case.xs[:1], cot=_unit_cotangent(row, case.H, s, j))
            out = "h_1" if i == 0 else row.outputs[i]
            lines.append(f"  (the cotangent shown selects row {j}: d{out} = e_{j}, so the vjp's {s}0 is that row of the Jacobian)")
            raise Mismatch("structure", lines, shown, c.max_ratio, float(np.max(c.err)), float(np.max(c.allowed)), c.rel)


def _violations(lines, cond, text):
    if np.any(cond):
        lines.append(text.format(j=int(np.argmax(cond))))


#: An Elman cell's range of h by activation: (violated(h, slack), what it says).
_H_RANGE = {"tanh": (lambda h, slack: np.abs(h) > 1.0 + slack, "h_1 leaves [−1, 1] at unit {j}: "),
            "relu": (lambda h, slack: h < -slack, "h_1 is negative at unit {j}: ")}


def _rnn_range(run, case, out, M, e, lines):
    h = out[0][0]
    violated, says = _H_RANGE[case.row.act]
    _violations(lines, violated(h, e * (M[0][0] + 1.0)), says + f"{h.tolist()}")


def _gate_only(case):
    """``case`` with the row's ``gate_zero`` set to 0, so that ∂state_1/∂state_0 = diag(the direct gate) exactly; every
    value the range claims derive from that gate is then read off the same parameters (never mixed with the case's own)."""
    return case.but(params=_zeroed(case.params, case.row.gate_zero))


def _lstm_range(run, case, out, M, e, lines):
    h, slack_h = out[0][0], e * (M[0][0] + 1.0)
    tc = np.tanh(out[1])   # o = h_1/tanh(c_1): one run, the case's own parameters (p_o included)
    _violations(lines, (np.abs(h) > np.abs(tc) * (1 + e) + slack_h) | (h * tc < -slack_h),
                "the output gate o = h_1/tanh(c_1) leaves [0, 1] at unit {j}: " + f"h_1={h.tolist()}, tanh(c_1)={tc.tolist()}")
    g = _gate_only(case)
    f = np.diag(_jacobian_rows(run, g, g.params, "c"))
    zeroed = f" with {', '.join(k + ' = 0' for k in case.row.gate_zero)}" if case.row.gate_zero else ""
    _violations(lines, (f < 0) | (f > 1),
                f"the forget gate f (read off ∂c_1/∂c_0 = diag(f){zeroed}) leaves [0, 1] at unit {{j}}: " + f"{f.tolist()}")
    c1 = out[1] if g.params is case.params else call_forward(run, g.params, g.state0, g.xs)[1]   # c_1 of the same f
    Mg = M if g.params is case.params else bounds.magnitudes(g)
    ig = c1 - f * case.state0[1]
    _violations(lines, np.abs(ig) > 1.0 + e * (Mg[1] + np.abs(f * case.state0[1]) + 1.0),
                f"|i⊙g| = |c_1 − f⊙c_0|{zeroed} exceeds 1 at unit {{j}}: " + f"{ig.tolist()}")


def _gru_range(run, case, out, M, e, lines):
    g = _gate_only(case)
    slack_h = e * (bounds.magnitudes(g)[0][0] + 1.0)
    z = np.diag(_jacobian_rows(run, g, g.params, "h"))
    _violations(lines, (z < 0) | (z > 1),
                "the update gate z (read off ∂h_1/∂h_0 = diag(z) with W_h = 0) leaves [0, 1] at unit {j}: " + f"{z.tolist()}")
    out0 = call_forward(run, g.params, g.state0, g.xs)[0][0]
    n_part = out0 - z * case.state0[0]
    _violations(lines, np.abs(n_part) > (1.0 - z) * (1 + e) + slack_h,
                "|n| = |h_1 − z⊙h_0|/(1 − z) exceeds 1 at unit {j}: " + f"{n_part.tolist()}")


#: The gate-range claims by family (the row's ``family``), read off one step's outputs and the implementation's vjp.
_RANGES = {"rnn": _rnn_range, "lstm": _lstm_range, "gru": _gru_range}


class GateRange(_CellCheck):
    name = "gate-range"
    claim = ("the gates stay in range, as observed through the implementation's outputs and autodiff: f_t, o_t (LSTM) and z_t "
             "(GRU) in [0, 1], |i⊙g| ≤ 1, |n| ≤ 1; |h| ≤ 1 for a tanh RNN, h ≥ 0 for a relu RNN; at saturation too")
    max_examples = 12
    reason = "each example costs H vjp calls; half of the regimes saturate every gate"

    def needs_gradients(self, info):
        return info.row.direct_path is not None   # f and z are read off the direct-path Jacobian, through vjp

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 1), regimes=("saturated", "moderate", "zero-state"))

    def body(self, run, case):
        e = tolerances.value(run.info.dtype).rtol
        out = call_forward(run, case.params, case.state0, case.xs)
        lines = []
        _RANGES[case.row.family](run, case, out, bounds.magnitudes(case), e, lines)
        if lines:
            raise Mismatch("structure", lines, case)


class ParamCount(Check):
    name = "param-count"
    claim = "param_count(H, D) equals the reference count (or PyTorch's with the second bias vector, stated when found)"

    def applies(self, info):
        return info.is_cell and info.has_param_count

    @staticmethod
    def once(run):
        info, lines, notes = run.info, [], []
        for H, D in ((1, 1), (3, 2), (2, 5)):
            canon, two_bias = reference.param_count(info.kind, H, D)
            native = sum(int(np.prod(s)) for s in param_shapes(info.kind, H, D, info.param_set).values())
            n = call_param_count(run, H, D)   # the adapter's call: time limit, one-line errors (protocol.py)
            if n == canon or (n == native and info.param_set != "two-biases"):
                if n != canon:
                    note = f"counts its native parameter set {info.param_set!r}: {native} for H={H}, D={D} (canonical {canon})"
                    notes.append(note)
                continue
            if n == two_bias and two_bias != canon:
                k = info.row.torch_second_bias
                note = f"counts PyTorch's second bias vector: {f'{k}H' if k > 1 else 'H'} more than the canonical count"
                if note not in notes:
                    notes.append(note)
                continue
            lines.append(f"param_count({H}, {D}) = {n!r}, expected {canon} (canonical)"
                         + (f" or {two_bias} (with PyTorch's second bias)" if two_bias != canon else ""))
        return lines, notes


class _ClipCheck(Check):
    """A check of a clipping function on ``cases.ClipCase``s."""

    def strategy(self, info):
        return clip_cases(info.dtype)

    def calls(self, run, case):
        return [(self.method, lambda: self._call(run, case))]

    def snippet(self, info, case):
        return [f"print(adapter.{self.method}(grads, threshold))",
                f"from vanishing.models import clipping; print(clipping.{self.reference_call.format(eps=info.clip_eps)})"]


class ClipNorm(_ClipCheck):
    name = "clip-norm"
    claim = ("clip_grad_norm(grads, max_norm) scales every array by the one factor min(1, max_norm/(‖g‖ + ε)) with ‖g‖ the "
             "global norm (so it keeps the direction and caps the norm) and returns ‖g‖ before clipping")
    method = "clip_grad_norm"
    reference_call = "clip_by_global_norm(grads, threshold, eps={eps!r})"

    def applies(self, info):
        return info.has_clip_norm

    def _call(self, run, case):
        return call_clip_norm(run, case.grads, case.threshold)

    def kept(self, info):
        return kept_clip_cases(info.dtype)   # max_norm = 0, every gradient 0 too (PyTorch and optax accept 0)

    def body(self, run, case):
        ref, ref_norm = clipping.clip_by_global_norm(case.grads, case.threshold, eps=run.info.clip_eps)
        got, total = call_clip_norm(run, case.grads, case.threshold)
        lines, worst = clip_compare(run.info, case, got, total, ref, ref_norm)
        if lines:
            raise Mismatch("clip", lines, case, *worst)

    def notes(self, run):
        """PyTorch's ε behaviour as found: g = [3, 4] (‖g‖ = 5), max_norm = 1, ε = max_norm/coef − ‖g‖."""
        info = run.info
        if info.dtype != np.float64:
            return ["ε not measured in float32 (an ε of 1e-6 against ‖g‖ = 5 is below float32 resolution)"]
        try:
            got, total = call_clip_norm(run, [np.array([3.0, 4.0])], 1.0)
        except CallError as e:
            return [f"ε probe failed: {e}"]
        coef = float(np.linalg.norm(got[0]) / 5.0)
        eps = 1.0 / coef - 5.0
        return [f"ε as found: {eps:.3g} (declared {info.clip_eps:g}); for g = [3, 4], max_norm = 1 the clipped norm is {5 * coef:.17g}"
                + (" < max_norm, strictly" if 5 * coef < 1.0 else "") + f"; returned norm {total:.17g} (the norm before clipping)"]


def clip_compare(info, case, got, total, ref, ref_norm):
    """Located lines for a clip_grad_norm result against the reference, and the worst (ratio, err, allowed, rel)."""
    lines = []
    scale = max((float(np.max(np.abs(g))) for g in case.grads if g.size), default=0.0)
    tol = tolerances.value(info.dtype, scale=scale)
    worst = (0.0, 0.0, 0.0, 0.0)
    for i, (g, r) in enumerate(zip(got, ref)):
        c = compare(g, r, tol, f"clipped[{i}]")
        worst = worse(worst, c)
        w = c.worst
        if not c.ok:
            coef = ref_norm and (np.linalg.norm(np.concatenate([np.ravel(x) for x in ref])) / ref_norm)
            lines.append(f"clipped[{i}] differs from the global-norm reference (coef {coef:.6g}): worst at {list(map(int, w))}: "
                         f"got {float(g[w]):.17g}, expected {float(r[w]):.17g}, |error| {c.worst_err:.3g} > allowed {c.worst_allowed:.3g}")
    ntol = tolerances.value(info.dtype, scale=0.0)
    if not compare(total, ref_norm, norm_tol(info.dtype, sum(int(np.size(g)) for g in case.grads)), "returned norm").ok:
        lines.append(f"the returned norm {total!r} is not the global norm before clipping {ref_norm!r}")
    flat = np.concatenate([np.ravel(g) for g in got]) if got else np.zeros(0)
    norm_after = float(np.linalg.norm(flat))
    if norm_after > case.threshold * (1 + ntol.rtol):
        lines.append(f"the norm is not capped: ‖clipped‖ = {norm_after:.17g} > max_norm = {case.threshold!r}")
    with np.errstate(all="ignore"):
        pairs = [(c, g) for c, g in zip(got, case.grads) if np.vdot(g, g) > 0]
        coefs = [float(np.vdot(c, g) / np.vdot(g, g)) for c, g in pairs]
    # Two factors differ when their gap exceeds both uncertainties (an array of subnormals cannot show its factor).
    slack = [tolerances.scale_factor(info.dtype, k, g) for k, (_, g) in zip(coefs, pairs)]
    if len(coefs) > 1 and any(abs(a - b) > 4 * max(ua, ub) for a, ua in zip(coefs, slack) for b, ub in zip(coefs, slack)):
        lines.append(f"the direction changes: the arrays are scaled by different factors {[float(f'{c:.6g}') for c in coefs]}")
    for g, c in zip(case.grads, got):
        if np.vdot(g, g) > 0 and abs(np.vdot(c, g)) * (1 + 4 * ntol.rtol) < np.linalg.norm(c) * np.linalg.norm(g) and "direction" not in " ".join(lines):
            lines.append("the direction changes within an array: a clipped array is not parallel to its gradient")
    return lines, worst


class ClipValue(_ClipCheck):
    name = "clip-value"
    claim = "clip_grad_value(grads, v) clamps every entry to [−v, v] and leaves the others unchanged"
    method = "clip_grad_value"
    reference_call = "clip_by_value(grads, threshold)"

    def applies(self, info):
        return info.has_clip_value

    def strategy(self, info):
        return clip_cases(info.dtype, lo=1e-2, hi=1e3, structures=("ordinary", "many-small"))

    def _call(self, run, case):
        return call_clip_value(run, case.grads, case.threshold)

    def body(self, run, case):
        ref = clipping.clip_by_value(case.grads, case.threshold)
        got = call_clip_value(run, case.grads, case.threshold)
        tol = tolerances.value(run.info.dtype, scale=0.0)
        lines, worst = [], (0.0, 0.0, 0.0, 0.0)
        for i, (g, r) in enumerate(zip(got, ref)):
            c = compare(g, r, tol, f"clipped[{i}]")
            if not c.ok:
                worst = worse(worst, c)
                w = c.worst
                lines.append(f"clipped[{i}] differs from clamp(g, −v, v): worst at {list(map(int, w))}: got {float(g[w]):.17g}, "
                             f"expected {float(r[w]):.17g}")
        if lines:
            raise Mismatch("clip", lines, case, *worst)


def stack_shapes(case):
    """{name: shape} of every gradient a stack adapter's run returns on ``case``: its parameters, xs, h0[, c0]."""
    shapes = {n: np.shape(p) for n, p in zip(case.names, case.params)}
    shapes.update(xs=case.xs.shape, h0=case.h0.shape, **({} if case.c0 is None else {"c0": case.c0.shape}))
    return shapes


class StackModule(Check):
    name = "stack"
    claim = ("a multi-layer module (num_layers, bidirectional, batch_first, proj_size as configured) on a batch equals the "
             "composition of the reference cells (vanishing.models.stacked): its output, h_n and c_n, and its own gradients "
             "w.r.t. every parameter (both biases drawn), the inputs and the initial states")
    max_examples = 8
    reason = ("each example runs the module and autograd through an unrolled multi-layer reference on a batch; 8 keeps "
              "`vanishing validate torch` near its 60 s budget (the single-layer cells are checked on their own)")
    methods = ("run",)
    cases, kept_cases = staticmethod(stack_cases), staticmethod(kept_stack_cases)   # kept: B ≥ 3, distinct states, ...

    def applies(self, info):   # run_packed is optional: stack-lengths applies when the adapter has it
        return info.kind == "stack" and callable(getattr(info.obj, self.methods[0], None))

    def strategy(self, info):
        return self.cases(info.cell, info.config, info.dtype, info.obj.param_shapes)

    def kept(self, info):
        return self.kept_cases(info.cell, info.config, info.dtype, info.obj.param_shapes)

    def calls(self, run, case):
        return [(self.methods[0], lambda: call_stack(run, case.params, case.xs, case.h0, case.c0, case.cot, stack_shapes(case),
                                                     case.lengths))]

    def snippet(self, info, case):
        return ["from vanishing.checks.conformance.cases import StackCase",
                (f"case = StackCase({info.cell!r}, {info.config!r}, np.dtype({info.dtype_name!r}), {case.names!r}, params, xs, "
                 "h0, c0, cotangents)"),
                "print(adapter.run(params, xs, h0, c0, cotangents))", "print(reference.stack(case))"]

    def notes(self, run):
        if run.info.gradients:
            return []
        return ["values only (output, h_n, c_n): the adapter is forward-only, so the module's gradients do not apply"]

    def body(self, run, case):
        ref, gref = reference.stack(case)
        got, g = call_stack(run, case.params, case.xs, case.h0, case.c0, case.cot, stack_shapes(case), case.lengths)
        if g is None:          # a forward-only adapter: the values are compared, the gradients do not apply
            gref = {}
        # Values: the value tolerance at the outputs' scale (values of tanh/σ compositions are O(1); no saturated regime here).
        vt = tolerances.value(run.info.dtype, scale=max(1.0, max(float(np.max(np.abs(r))) for r in ref if np.size(r))))
        lines, worst = [], (0.0, 0.0, 0.0, 0.0)
        for name, o, r in zip(("output", "h_n", "c_n"), got, ref):
            c = compare(o, r, vt, f"stack {name}")
            worst = worse(worst, c)
            if not c.ok:
                lines.append(f"{name} differs in {c.n_bad} of {c.err.size} entries; worst at {list(map(int, c.worst))}: got "
                             f"{c.worst_got:.17g}, expected {c.worst_expected:.17g}, |error| "
                             f"{c.worst_err:.3g} > allowed {c.worst_allowed:.3g}")
        gt = tolerances.gradient(run.info.dtype, scale=max([1.0] + [float(np.max(np.abs(v))) for v in gref.values() if np.size(v)]))
        for k in gref:
            c = compare(g[k], gref[k], gt, f"stack ∂/∂{k}")
            worst = worse(worst, c)
            if not c.ok:
                lines.append(f"the gradient w.r.t. {k} differs in {c.n_bad} of {c.err.size} entries; worst at {list(map(int, c.worst))}: "
                             f"got {c.worst_got:.17g}, expected {c.worst_expected:.17g}"
                             + (f"; the {k} gradient is zero: is {k} used?" if not np.any(g[k]) and np.any(gref[k]) else ""))
        if lines:   # forward_differs: the shrinker keeps a failure of the values one (never "gradients only")
            raise Mismatch("stack", lines, case, *worst, forward_differs=any(not ln.startswith("the gradient") for ln in lines))


class PackedStack(StackModule):
    name = "stack-lengths"
    claim = ("the module on a padded batch of sequences of different lengths (run_packed: PyTorch's pack_padded_sequence) "
             "equals the reference on each sequence's valid prefix: the reverse direction flips only the valid prefix, h_n "
             "and c_n are taken at each sequence's last valid step, the output is 0 at padded steps, and the gradients "
             "(the padded inputs' are 0) match")
    max_examples = 5
    reason = ("as the stack check's: each example runs the module and autograd through the unrolled reference; 5 drawn "
              "(plus the 2 kept cases) keep `vanishing validate torch` within 1.5× its time before this check")
    methods = ("run_packed",)
    cases, kept_cases = staticmethod(packed_stack_cases), staticmethod(kept_packed_cases)

    def snippet(self, info, case):
        lines = super().snippet(info, case)
        return [lines[0], lines[1].replace("cotangents)", "cotangents, lengths)"),
                "print(adapter.run_packed(params, xs, np.array(lengths), h0, c0, cotangents))", lines[3]]


CHECKS = [ForwardValues(), LongSequence(), Gradients(), GradientsFD(), DirectPath(), GateRange(), ParamCount(), ClipNorm(), ClipValue(),
          StackModule(), PackedStack()]

# The modern families (minGRU, minLSTM, LRU, Mamba S6): their direct path, gate ranges and the parallel-path check.
from vanishing.checks.conformance import modern  # noqa: E402 (modern builds on the classes above)

_RANGES.update(modern.RANGES)
CHECKS += modern.CHECKS
