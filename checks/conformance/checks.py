"""The conformance checks: what is compared, with which tolerance, and how a difference is located.

Each check states a claim (``Check.claim``) and has a property body that raises
:class:`Mismatch` with located, claim-like lines. Values are compared through the public
:class:`Comparison` object (:func:`compare`, recorded like ``assertions.assert_close``) under
tolerances from ``vanishing.checks.tolerances``:

* forward values: ``tolerances.analytic(dtype)``'s relative bound e, with the absolute part
  e·M where M is the running forward-error magnitude of ``bounds.py`` (derived, per entry);
* gradients: ``tolerances.gradient(dtype, scale=s)``, s = the largest reference gradient entry;
* against finite differences: that bound plus ``tolerances.fd``'s FD_SAFETY × the FD estimate.
"""


import numpy as np
from hypothesis import strategies as st

from vanishing.checks import assertions, oracles, recording, tolerances
from vanishing.checks.conformance import bounds, reference
from vanishing.checks.conformance.cases import cell_cases, clip_cases, stack_cases
from vanishing.checks.conformance.protocol import (
    call_clip_norm,
    call_clip_value,
    call_forward,
    call_param_count,
    call_stack,
    call_step,
    call_vjp,
    param_shapes,
)
from vanishing.models import clipping, gru, layouts, lstm, stacked
from vanishing.models.layouts import GRU_GATES, LSTM_GATES

__all__ = ["CHECKS", "Check", "Comparison", "DirectionalFD", "Mismatch", "compare", "compare_grads", "compare_outputs", "forward_tol",
           "grad_tol", "reference_directional_fd"]

GATE_ORDER = {"lstm": LSTM_GATES, "lstm-peephole": LSTM_GATES, "gru": GRU_GATES}


class Mismatch(AssertionError):
    """A non-conformance on one case: ``what`` is forward/gradient/structure/clip/crash; ``lines`` say where.

    ``rel`` is the discrepancy relative to the values compared (|error| / max(|got|, |expected|)) at the worst
    entry: the shrinker prefers counterexamples where it is large. ``forward_differs``: a gradient check
    found the forward values already different on its case (the report says so first)."""

    def __init__(self, what, lines, case, ratio=np.inf, err=np.nan, allowed=np.nan, rel=np.nan, forward_differs=False):
        super().__init__("\n".join(lines))
        self.what, self.lines, self.case = what, list(lines), case
        self.ratio, self.err, self.allowed, self.rel = ratio, err, allowed, rel
        self.forward_differs = forward_differs

    def fresh(self):
        return Mismatch(self.what, self.lines, self.case, self.ratio, self.err, self.allowed, self.rel, self.forward_differs)


class Comparison:
    """One elementwise comparison |got − expected| ≤ tol.bound(expected), as an object (nothing is raised).

    ``err``, ``allowed`` and ``ratio`` = err/allowed are arrays of the compared shape; ``worst`` is the index of
    the largest ratio, ``ok`` says whether every entry is within its allowed error. Built by :func:`compare`,
    which also records the worst entry in the active ``recording.recording()``.
    """

    def __init__(self, got, expected, tol, label=""):
        self.label, self.tol = label, tol
        self.got = np.asarray(got, dtype=np.float64)
        self.expected = np.asarray(expected, dtype=np.float64)
        with np.errstate(all="ignore"):   # err/allowed overflows to inf when allowed is near the underflow floor
            self.err = np.abs(self.got - self.expected)
            self.err = np.where(np.isnan(self.err), np.inf, self.err)
            self.allowed = np.broadcast_to(tol.bound(self.expected), self.err.shape)
            self.ratio = np.where(self.allowed > 0, self.err / np.where(self.allowed > 0, self.allowed, 1.0),
                                  np.where(self.err > 0, np.inf, 0.0))
        self.worst = np.unravel_index(int(np.argmax(self.ratio)), self.ratio.shape) if self.ratio.size else ()

    @property
    def max_ratio(self):
        return float(self.ratio[self.worst]) if self.ratio.size else 0.0

    @property
    def ok(self):
        return self.max_ratio <= 1.0

    @property
    def n_bad(self):
        return int(np.count_nonzero(self.ratio > 1.0))

    @property
    def rel(self):
        """|error| / max(|got|, |expected|) at the worst entry (1 when both are 0 but differ: never)."""
        if not self.ratio.size:
            return 0.0
        w = self.worst
        scale = max(abs(float(self.got[w])), abs(float(self.expected[w])))
        return float(self.err[w]) / scale if scale > 0 else 0.0

    def triple(self):
        """(ratio, |error|, allowed) at the worst entry."""
        if not self.ratio.size:
            return (0.0, 0.0, 0.0)
        return (self.max_ratio, float(self.err[self.worst]), float(self.allowed[self.worst]))


def compare(got, expected, tol, label=""):
    """A :class:`Comparison`, recorded (its worst entry) in the active ``recording.recording()``."""
    c = Comparison(got, expected, tol, label)
    if c.ratio.size:
        recording.record_comparison(label, float(c.err[c.worst]), float(c.allowed[c.worst]))
    return c


def _worse(worst, c):
    """The (ratio, err, allowed, rel) of whichever is worse."""
    t = c.triple() + (c.rel,)
    return t if t[0] > worst[0] else worst


# ---------------------------------------------------------------- tolerances (all from tolerances.py)
_tiny = tolerances.tiny
forward_tol = tolerances.forward_error


#: Activation derivative → 1 for every gate, for the gradient scale (see :func:`grad_tol`).
UNIT_DERIVATIVES = {"rnn-tanh": {"h": "one"}, "rnn-relu": {"h": "one"}, "lstm": {k: "one" for k in LSTM_GATES + "c"},
                    "lstm-peephole": {k: "one" for k in LSTM_GATES + "c"}, "gru": {k: "one" for k in GRU_GATES}}


def gradient_scale(case):
    """s = max |entry| of the VJP with every activation derivative replaced by 1 (values unchanged).

    Why: an implementation computes f'(a) from its rounded output y (1 − y², y(1 − y)), which
    carries an *absolute* error of ~u, not a relative one; at saturation f'(a) ~ e^{−|a|} is far
    below u, so the gradient's rounding error is u times the gradient it would have with
    unit derivatives, not u times the (vanishing) gradient itself.
    """
    from vanishing.checks.conformance import mutants
    g = mutants.vjp(case.kind, case.params, case.state0, case.xs, case.cot, case.reset, case.pset,
                    deriv=UNIT_DERIVATIVES[case.kind])
    return max((float(np.max(np.abs(v))) for v in g.values() if np.size(v)), default=0.0)


def subnormal_floor(tol, info):
    """``tol`` plus the smallest normal number, for an adapter that declares ``flushes_subnormals = True``.

    An implementation that flushes subnormal results to zero (XLA on CPU does, in eager JAX operations and in parts
    of compiled code; CPUs in FTZ/DAZ mode do) returns 0 for a true value below tiny(dtype) (1.2e-38 in float32),
    an absolute error up to tiny instead of gradual underflow's u·tiny. Declared by the adapter, never assumed.
    """
    if not getattr(info, "flushes_subnormals", False):
        return tol
    return tolerances.override(tol, tol.reason + " + tiny(dtype): the adapter declares that it flushes subnormals to zero",
                               atol=np.asarray(tol.atol) + _tiny(info.dtype))


def grad_tol(dtype, ref_grads, scale=0.0):
    """tolerances.gradient(dtype, scale = max(the largest reference gradient entry, ``scale``, the smallest normal))."""
    s = max((float(np.max(np.abs(g))) for g in ref_grads.values() if np.size(g)), default=0.0)
    return tolerances.gradient(dtype, scale=max(s, scale, _tiny(dtype)))


def compare_outputs(names, got, ref, M, dtype, prefix="", info=None):
    """Located lines for every output that differs, and the worst (ratio, err, allowed, rel) (empty lines: all conform)."""
    lines, worst = [], (0.0, 0.0, 0.0, 0.0)
    for name, g, r, m in zip(names, got, ref, M):
        c = compare(g, r, subnormal_floor(forward_tol(dtype, m), info), f"{prefix}{name}")
        worst = _worse(worst, c)
        if c.ok:
            continue
        err, allowed, ratio, w = c.err, c.allowed, c.ratio, c.worst
        sym = {"hs": "h_t", "c_T": "c_T"}.get(name, name)
        if np.ndim(err) == 2:
            steps = np.where((ratio > 1).any(axis=1))[0]
            lines.append(f"{prefix}{sym} differs from t={steps[0] + 1} (in {len(steps)} of {err.shape[0]} steps), max abs "
                         f"{float(np.max(err)):.3g}; worst at t={w[0] + 1}, unit {w[1]}: got {float(g[w]):.17g}, expected "
                         f"{float(r[w]):.17g}, |error| {float(err[w]):.3g} > allowed {float(allowed[w]):.3g}")
        else:
            lines.append(f"{prefix}{sym} differs at unit {w[0]}: got {float(g[w]):.17g}, expected {float(r[w]):.17g}, "
                         f"|error| {float(err[w]):.3g} > allowed {float(allowed[w]):.3g}")
    if lines:
        lines.append(f"  (tolerance: {forward_tol(dtype, 0.0).reason})")
    return lines, worst


def _stacked(kind, shape, H):
    """Whether an array of this shape stacks one H-row block per gate of ``kind``."""
    return kind in GATE_ORDER and len(shape) >= 1 and shape[0] == len(GATE_ORDER[kind]) * H


def _locate(kind, key, idx, H, shape=()):
    if _stacked(kind, shape, H):
        g = GATE_ORDER[kind][idx[0] // H]
        return f"[{', '.join(map(str, idx))}] (gate {g} block)"
    if key == "xs":
        return f"[t={idx[0] + 1}, {idx[1]}]"
    return "[" + ", ".join(map(str, idx)) + "]"


def compare_grads(kind, got, ref, tol, H, label="∂/∂"):
    """Located lines for every gradient key that differs, and the worst (ratio, err, allowed, rel)."""
    lines, worst = [], (0.0, 0.0, 0.0, 0.0)
    for k in ref:
        c = compare(got[k], ref[k], tol, f"{label}{k}")
        worst = _worse(worst, c)
        if c.ok:
            continue
        err, ratio, w, n_bad = c.err, c.ratio, c.worst, c.n_bad
        allowed = c.allowed
        line = (f"the gradient w.r.t. {k} differs in {n_bad} of {err.size} entries, max abs {float(np.max(err)):.3g}; worst at "
                f"{_locate(kind, k, w, H, np.shape(ref[k]))}: got {float(got[k][w]):.17g}, expected {float(ref[k][w]):.17g}, "
                f"|error| {float(err[w]):.3g} > allowed {float(allowed[w]):.3g}")
        if not np.any(got[k]) and np.any(ref[k]):
            line += f"; the {k} gradient is zero: is {k} used?" if k not in ("xs", "h0", "c0") else f"; the {k} gradient is zero"
        if _stacked(kind, np.shape(ref[k]), H):
            gates = [GATE_ORDER[kind][i] for i in range(len(GATE_ORDER[kind]))
                     if np.any(ratio[i * H:(i + 1) * H] > 1)]
            line += f"; gate blocks affected: {', '.join(gates)}"
        lines.append(line)
    if lines:
        lines.append(f"  (tolerance: rtol {tol.rtol:.2e}, atol {float(np.max(tol.atol)):.2e}: {tol.reason})")
    return lines, worst


# ---------------------------------------------------------------- the checks
class Check:
    """A named claim checked over Hypothesis-generated cases (``strategy`` + ``body``) or once (``once``)."""

    name = ""
    claim = ""
    max_examples = 0          # 0: the profile's value; otherwise a cap with a reason
    reason = ""

    def applies(self, info):
        return info.is_cell

    def strategy(self, info):
        raise NotImplementedError

    def body(self, info, case):
        raise NotImplementedError

    once = None               # a plain function (info) -> (lines, notes) instead of a property


def _names(kind):
    return ("hs", "c_T") if kind.startswith("lstm") else ("hs",)


def forward_lines(info, case):
    """forward() on ``case`` against the reference: (located lines, worst (ratio, err, allowed, rel))."""
    ref = reference.forward(case.kind, case.params, case.state0, case.xs, case.reset, case.pset)
    M = bounds.magnitudes(case.kind, case.params, case.state0, case.xs, case.reset, case.pset)
    got = call_forward(info, case.params, case.state0, case.xs)
    return compare_outputs(_names(case.kind), got, ref, M, info.dtype, "forward: ", info)


def _forward_first(info, case, lines):
    """A gradient failure on a case whose forward values already differ: say that first (the gradients of a
    different function cannot match; the forward check's diagnosis is the one that explains it)."""
    flines, _ = forward_lines(info, case)
    if not flines:
        return lines, False
    return (["the forward values already differ on this case (the forward check fails too), so the gradients are those of "
             "another function; fix the forward pass first:"] + ["  " + ln for ln in flines] + lines), True


class ForwardValues(Check):
    name = "forward"
    claim = ("step() and forward() equal the reference cell (h_t, and c_T for an LSTM) over generated parameters, inputs and "
             "states, including saturating pre-activations (|a| up to 1e3) and zero states")

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 6))

    check_step = True        # also compare one step() from state0

    def body(self, info, case):
        lines, worst = forward_lines(info, case)
        if not lines and self.check_step:   # one step from state0 (the step() method)
            s_ref = reference.step(case.kind, case.params, case.state0, case.xs[0], case.reset, case.pset)
            s_got = call_step(info, case.params, case.state0, case.xs[0])
            M1 = bounds.magnitudes(case.kind, case.params, case.state0, case.xs[:1], case.reset, case.pset)
            M1 = (M1[0][0],) + tuple(M1[1:])
            lines, worst = compare_outputs(("h_1", "c_1")[:len(s_ref)], s_got, s_ref, M1, info.dtype, "step: ", info)
        if lines:
            raise Mismatch("forward", lines, case, *worst)


class LongSequence(ForwardValues):
    name = "long-sequence"
    claim = ("forward() equals the reference over long sequences (T = 30..80), within the forward-error bound "
             "propagated through the recurrence")
    max_examples = 10
    reason = "each example runs 30–80 steps of the reference, of the error bound and of the implementation"

    check_step = False       # ForwardValues already checks step(); here only the long forward()

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(30, 80), regimes=("moderate", "saturated"))


class Gradients(Check):
    name = "gradients"
    claim = ("vjp() (the implementation's own gradients) equals autograd through the reference, w.r.t. every parameter, "
             "every input x_t and the initial state")

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 6))

    def body(self, info, case):
        ref = reference.vjp(case.kind, case.params, case.state0, case.xs, case.cot, case.reset, case.pset)
        got = call_vjp(info, case.params, case.state0, case.xs, case.cot)
        lines, worst = compare_grads(case.kind, got, ref, subnormal_floor(grad_tol(info.dtype, ref, gradient_scale(case)), info), case.H)
        if lines:
            lines, fwd = _forward_first(info, case, lines)
            raise Mismatch("gradient", lines, case, *worst, forward_differs=fwd)


class GradientsFD(Check):
    name = "gradients-fd"
    claim = ("vjp() agrees with finite differences of the reference along a random direction through all parameters, "
             "inputs and the initial state (an oracle independent of autograd)")
    max_examples = 6
    reason = "each example costs ~30 reference evaluations (scipy.differentiate with Richardson refinement)"

    def strategy(self, info):
        base = cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 4), regimes=("moderate", "zero-state"),
                          relu_margin=0.1 if info.kind == "rnn-relu" else None)

        @st.composite
        def with_direction(draw):
            case = draw(base)
            case.extra["direction_seed"] = draw(st.integers(0, 2**32 - 1), label="direction seed")
            return case
        return with_direction()

    def body(self, info, case):
        d = reference_directional_fd(case, int(case.extra["direction_seed"]))
        got = call_vjp(info, case.params, case.state0, case.xs, case.cot)
        val = d.along(got)
        tol = d.tol(info.dtype, max([float(np.max(np.abs(got[k]))) for k in d.keys] + [gradient_scale(case)]))
        fd, fd_err = d.fd, d.fd_err
        c = compare(val, fd, tol, "⟨vjp, w⟩ vs finite differences")
        if not c.ok:
            err = abs(val - fd)
            lines, fwd = _forward_first(info, case, [f"the directional derivative ⟨vjp(v), w⟩ = {val:.17g} disagrees with finite differences of "
                                        f"the reference, vᵀ J w = {fd:.17g} (FD error estimate {fd_err:.2g}); |error| {err:.3g} > "
                                                     f"allowed {float(tol.bound(fd)):.3g}"])
            raise Mismatch("gradient", lines, case, err / float(tol.bound(fd)), err, float(tol.bound(fd)), c.rel, forward_differs=fwd)


class DirectionalFD:
    """vᵀ J w by finite differences of ``reference.forward`` (oracle (b)) along a random direction w through every
    parameter, the inputs and the initial state; ``along(grads)`` is ⟨grads, w⟩, ``tol`` the allowed difference."""

    def __init__(self, keys, parts, w, fd, fd_err):
        self.keys, self.parts, self.w, self.fd, self.fd_err = keys, parts, w, fd, fd_err

    def along(self, grads):
        return float(sum(np.sum(np.asarray(grads[k], dtype=np.float64) * self.parts[k]) for k in self.keys))

    def tol(self, dtype, scale):
        """The gradient tolerance of ``dtype`` at ``scale`` (the largest gradient entry), times ‖w‖₁, plus the FD bound."""
        g = tolerances.gradient(dtype, scale=max(scale, _tiny(dtype)) * float(np.sum(np.abs(self.w))))
        return tolerances.plus(g, tolerances.fd(self.fd_err, np.float64, scale=0.0))


def reference_directional_fd(case, seed):
    """A :class:`DirectionalFD` of the reference on a cell ``case``, direction drawn from ``seed``; raises
    ``assertions.FDInconclusive`` when scipy.differentiate does not converge."""
    pkeys = list(case.params)
    keys = pkeys + ["xs"] + list(reference.state_keys(case.kind))
    shapes = [np.shape(case.params[k]) for k in pkeys] + [case.xs.shape] + [s.shape for s in case.state0]
    sizes = [int(np.prod(s)) for s in shapes]
    z0 = np.concatenate([np.ravel(case.params[k]) for k in pkeys] + [np.ravel(case.xs)]
                        + [np.ravel(s) for s in case.state0])
    nP = len(pkeys)

    def unflat(z):
        parts = np.split(z, np.cumsum(sizes)[:-1])
        arrs = [p.reshape(s) for p, s in zip(parts, shapes)]
        return dict(zip(pkeys, arrs[:nP])), arrs[nP], tuple(arrs[nP + 1:])

    def f(z):
        P, xs, s0 = unflat(z)
        return np.concatenate([np.ravel(o) for o in reference.forward(case.kind, P, s0, xs, case.reset, case.pset)])
    u = np.concatenate([np.ravel(c) for c in case.cot])
    w = np.random.default_rng(int(seed)).uniform(-1.0, 1.0, z0.size)   # direction in (P, xs, state0)
    step = 1e-3 if case.kind == "rnn-relu" else 0.5   # relu: the stencil must not cross a kink (|a| >= 0.1 assumed)
    fd, fd_err = oracles.directional_fd(f, z0, w, u, initial_step=step)
    parts = dict(zip(keys, [p.reshape(s) for p, s in zip(np.split(w, np.cumsum(sizes)[:-1]), shapes)]))
    return DirectionalFD(keys, parts, w, fd, fd_err)


def _jacobian_rows(info, case, params, which):
    """J[j, :] = e_jᵀ ∂out/∂state0 for a one-step case, by H calls of the implementation's own vjp."""
    H = case.H
    rows = []
    for j in range(H):
        e = np.zeros(H)
        e[j] = 1.0
        if case.kind.startswith("lstm"):
            cot = (np.zeros((1, H)), e) if which == "c" else (e[None, :], np.zeros(H))
        else:
            cot = (e[None, :],)
        g = call_vjp(info, params, case.state0, case.xs[:1], cot)
        rows.append(g["c0" if which == "c" else "h0"])
    return np.stack(rows)


class DirectPath(Check):
    name = "direct-path"
    claim = ("through the implementation's own autodiff, the direct-path Jacobian is diagonal and equals the gate: "
             "∂c_t/∂c_{t−1} = diag(f_t) for an LSTM (plus the diagonal peephole terms), ∂h_t/∂h_{t−1} = diag(z_t) for a GRU "
             "whose recurrent weights are zero (so that only the direct path remains)")
    max_examples = 12
    reason = "each example costs H vjp calls; the claim is structural (diagonal, equal to the gate), not numerical"

    def applies(self, info):
        return info.kind in ("lstm", "lstm-peephole", "gru")

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 1), regimes=("moderate", "saturated"))

    def body(self, info, case):
        P = dict(case.params)
        x = case.xs[0]
        if case.kind.startswith("lstm"):
            J = _jacobian_rows(info, case, P, "c")
            expected = lstm.direct_path_jacobian(reference.canonical(case.kind, P, case.pset), case.state0[0], case.state0[1], x,
                                                 variant="peephole" if case.kind == "lstm-peephole" else "forget")
            what = "∂c_t/∂c_{t−1} (h_{t−1} fixed)"
        else:
            P["W_h"] = np.zeros_like(P["W_h"])
            J = _jacobian_rows(info, case, P, "h")
            expected = gru.direct_path_jacobian(reference.canonical(case.kind, P, case.pset), case.state0[0], x, reset=case.reset)
            what = "∂h_t/∂h_{t−1} with W_h = 0"
        tol = tolerances.gradient(info.dtype, scale=max(1.0, float(np.max(np.abs(expected)))))
        lines = []
        off = ~assertions.diagonal_mask(case.H)
        c_off = compare(J[off], np.zeros(int(off.sum())), tol, f"off-diagonal of {what} from vjp")
        c = compare(J, expected, tol, f"{what} from vjp")
        if not c_off.ok:
            i, j = np.argwhere(off)[c_off.worst[0]]
            lines.append(f"the direct-path Jacobian {what} is not diagonal: entry [{i}, {j}] is {J[i, j]:.17g} "
                         f"(|error| {c_off.err[c_off.worst]:.3g} > allowed {c_off.allowed[c_off.worst]:.3g}); "
                         f"{c_off.n_bad} off-diagonal entr{'y' if c_off.n_bad == 1 else 'ies'} non-zero")
        d = np.diag(c.ratio)
        if np.max(d) > 1.0:
            w = int(np.argmax(d))
            gate = "f_t" if case.kind.startswith("lstm") else "z_t"
            lines.append(f"the diagonal of {what} is not {gate}: at unit {w} got {J[w, w]:.17g}, expected {expected[w, w]:.17g} "
                         f"(|error| {c.err[w, w]:.3g} > allowed {c.allowed[w, w]:.3g})")
        if lines:
            # The counterexample shown is the one-step case with the unit cotangent of the worst row: its vjp (h0 or c0
            # entry) is that row of the Jacobian, so the printed comparison shows the difference (never zero cotangents).
            row = int(c.worst[0])
            e = np.zeros(case.H)
            e[row] = 1.0
            which_c = case.kind.startswith("lstm")
            cot = ((np.zeros((1, case.H)), e) if which_c else (e[None, :],))
            shown = case.but(params=P, xs=case.xs[:1], cot=cot)
            lines.append(f"  (the cotangent shown selects row {row}: d{'c_T' if which_c else 'h_1'} = e_{row}, so the vjp's "
                         f"{'c0' if which_c else 'h0'} is that row of the Jacobian)")
            raise Mismatch("structure", lines, shown, c.max_ratio, float(np.max(c.err)), float(np.max(c.allowed)), c.rel)


class GateRange(Check):
    name = "gate-range"
    claim = ("the gates stay in range, as observed through the implementation's outputs and autodiff: f_t, o_t (LSTM) and z_t "
             "(GRU) in [0, 1], |i⊙g| ≤ 1, |n| ≤ 1; |h| ≤ 1 for a tanh RNN, h ≥ 0 for a relu RNN; at saturation too")
    max_examples = 12
    reason = "each example costs H vjp calls; half of the regimes saturate every gate"

    def strategy(self, info):
        return cell_cases(info.kind, info.reset, info.dtype, pset=info.param_set, T=(1, 1), regimes=("saturated", "moderate", "zero-state"))

    def body(self, info, case):
        e = tolerances.value(info.dtype).rtol
        M = bounds.magnitudes(case.kind, case.params, case.state0, case.xs, case.reset, case.pset)
        out = call_forward(info, case.params, case.state0, case.xs)
        h = out[0][0]
        slack_h = e * (M[0][0] + 1.0)
        lines = []

        def bad(cond, text):
            if np.any(cond):
                j = int(np.argmax(cond))
                lines.append(text.format(j=j))
        if case.kind == "rnn-tanh":
            bad(np.abs(h) > 1.0 + slack_h, "h_1 leaves [−1, 1] at unit {j}: " + f"{h.tolist()}")
        elif case.kind == "rnn-relu":
            bad(h < -slack_h, "h_1 is negative at unit {j}: " + f"{h.tolist()}")
        elif case.kind.startswith("lstm"):
            P = dict(case.params)
            if case.kind == "lstm-peephole":   # with p_i = p_f = 0, ∂c_1/∂c_0 = diag(f) exactly
                P["p_i"], P["p_f"] = np.zeros(case.H), np.zeros(case.H)
            f = np.diag(_jacobian_rows(info, case, P, "c"))
            bad((f < 0) | (f > 1), "the forget gate f (read off ∂c_1/∂c_0 = diag(f)) leaves [0, 1] at unit {j}: " + f"{f.tolist()}")
            c1 = out[1]
            ig = c1 - f * case.state0[1]
            bad(np.abs(ig) > 1.0 + e * (M[1] + np.abs(f * case.state0[1]) + 1.0),
                "|i⊙g| = |c_1 − f⊙c_0| exceeds 1 at unit {j}: " + f"{ig.tolist()}")
            tc = np.tanh(c1)
            bad((np.abs(h) > np.abs(tc) * (1 + e) + slack_h) | (h * tc < -slack_h),
                "the output gate o = h_1/tanh(c_1) leaves [0, 1] at unit {j}: " + f"h_1={h.tolist()}, tanh(c_1)={tc.tolist()}")
        else:
            P = dict(case.params)
            P["W_h"] = np.zeros_like(P["W_h"])
            z = np.diag(_jacobian_rows(info, case, P, "h"))
            bad((z < 0) | (z > 1), "the update gate z (read off ∂h_1/∂h_0 = diag(z) with W_h = 0) leaves [0, 1] at unit {j}: "
                + f"{z.tolist()}")
            out0 = call_forward(info, P, case.state0, case.xs)[0][0]
            n_part = out0 - z * case.state0[0]
            bad(np.abs(n_part) > (1.0 - z) * (1 + e) + slack_h, "|n| = |h_1 − z⊙h_0|/(1 − z) exceeds 1 at unit {j}: "
                + f"{n_part.tolist()}")
        if lines:
            raise Mismatch("structure", lines, case)


class ParamCount(Check):
    name = "param-count"
    claim = "param_count(H, D) equals the reference count (or PyTorch's with the second bias vector, stated when found)"

    def applies(self, info):
        return info.is_cell and info.has_param_count

    @staticmethod
    def once(info):
        lines, notes = [], []
        for H, D in ((1, 1), (3, 2), (2, 5)):
            canon, two_bias = reference.param_count(info.kind, H, D)
            native = sum(int(np.prod(s)) for s in param_shapes(info.kind, H, D, info.param_set).values())
            n = call_param_count(info, H, D)   # the adapter's call: time limit, one-line errors (protocol.py)
            if n == canon or (n == native and info.param_set != "two-biases"):
                if n != canon:
                    note = f"counts its native parameter set {info.param_set!r}: {native} for H={H}, D={D} (canonical {canon})"
                    notes.append(note)
                continue
            if n == two_bias and two_bias != canon:
                note = f"counts PyTorch's second bias vector: {'4H' if info.kind.startswith('lstm') else 'H'} more than the canonical count"
                if note not in notes:
                    notes.append(note)
                continue
            lines.append(f"param_count({H}, {D}) = {n!r}, expected {canon} (canonical)"
                         + (f" or {two_bias} (with PyTorch's second bias)" if two_bias != canon else ""))
        return lines, notes


class ClipNorm(Check):
    name = "clip-norm"
    claim = ("clip_grad_norm(grads, max_norm) scales every array by the one factor min(1, max_norm/(‖g‖ + ε)) with ‖g‖ the "
             "global norm (so it keeps the direction and caps the norm) and returns ‖g‖ before clipping")

    def applies(self, info):
        return info.has_clip_norm

    def strategy(self, info):
        return clip_cases(info.dtype)

    def body(self, info, case):
        ref, ref_norm = clipping.clip_by_global_norm(case.grads, case.threshold, eps=info.clip_eps)
        got, total = call_clip_norm(info, case.grads, case.threshold)
        lines, worst = clip_compare(info, case, got, total, ref, ref_norm)
        if lines:
            raise Mismatch("clip", lines, case, *worst)

    @staticmethod
    def notes(info):
        """PyTorch's ε behaviour as found: g = [3, 4] (‖g‖ = 5), max_norm = 1, ε = max_norm/coef − ‖g‖."""
        if info.dtype != np.float64:
            return ["ε not measured in float32 (an ε of 1e-6 against ‖g‖ = 5 is below float32 resolution)"]
        g = [np.array([3.0, 4.0])]
        got, total = call_clip_norm(info, g, 1.0)
        coef = float(np.linalg.norm(got[0]) / 5.0)
        eps = 1.0 / coef - 5.0
        return [f"ε as found: {eps:.3g} (declared {info.clip_eps:g}); for g = [3, 4], max_norm = 1 the clipped norm is {5 * coef:.17g}"
                + (" < max_norm, strictly" if 5 * coef < 1.0 else "") + f"; returned norm {total:.17g} (the norm before clipping)"]


norm_tol = tolerances.returned_norm


def clip_compare(info, case, got, total, ref, ref_norm):
    """Located lines for a clip_grad_norm result against the reference."""
    lines = []
    scale = max((float(np.max(np.abs(g))) for g in case.grads if g.size), default=0.0)
    tol = tolerances.value(info.dtype, scale=scale)
    worst = (0.0, 0.0, 0.0, 0.0)
    for i, (g, r) in enumerate(zip(got, ref)):
        c = compare(g, r, tol, f"clipped[{i}]")
        worst = _worse(worst, c)
        err, allowed, w = c.err, c.allowed, c.worst
        if not c.ok:
            lines.append(f"clipped[{i}] differs from the global-norm reference (coef {ref_norm and (np.linalg.norm(np.concatenate([np.ravel(x) for x in ref])) / ref_norm):.6g}): "
                         f"worst at {list(map(int, w))}: got {float(g[w]):.17g}, expected {float(r[w]):.17g}, |error| {float(err[w]):.3g} > allowed {float(allowed[w]):.3g}")
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


class ClipValue(Check):
    name = "clip-value"
    claim = "clip_grad_value(grads, v) clamps every entry to [−v, v] and leaves the others unchanged"

    def applies(self, info):
        return info.has_clip_value

    def strategy(self, info):
        return clip_cases(info.dtype, lo=1e-2, hi=1e3)

    def body(self, info, case):
        ref = clipping.clip_by_value(case.grads, case.threshold)
        got = call_clip_value(info, case.grads, case.threshold)
        tol = tolerances.value(info.dtype, scale=0.0)
        lines, worst = [], (0.0, 0.0, 0.0, 0.0)
        for i, (g, r) in enumerate(zip(got, ref)):
            c = compare(g, r, tol, f"clipped[{i}]")
            if not c.ok:
                worst = _worse(worst, c)
                w = c.worst
                lines.append(f"clipped[{i}] differs from clamp(g, −v, v): worst at {list(map(int, w))}: got {float(g[w]):.17g}, "
                             f"expected {float(r[w]):.17g}")
        if lines:
            raise Mismatch("clip", lines, case, *worst)


def stack_layers(cell, config, params):
    """``layers[l][d]`` for ``vanishing.models.stacked`` from a stack's parameter list in PyTorch's order."""
    return layouts.stack_from_torch(cell, params, config)


def stack_reference(case):
    """(outputs, grads) of ``vanishing.models.stacked`` on a StackCase: values, and autograd's VJP w.r.t. every
    parameter (by name), xs, h0 and c0."""
    import autograd
    import autograd.numpy as anp

    def run(params, xs, h0, c0):
        return stacked.batch_forward(case.cell, stack_layers(case.cell, case.config, params), h0, xs, c0,
                                     batch_first=case.config.get("batch_first", False))

    def loss(z):
        return sum(anp.sum(o * c) for o, c in zip(run(z["p"], z["xs"], z["h0"], z.get("c0")), case.cot))
    z = {"p": list(case.params), "xs": case.xs, "h0": case.h0, **({} if case.c0 is None else {"c0": case.c0})}
    with np.errstate(over="ignore"):
        outs = tuple(np.asarray(o) for o in run(case.params, case.xs, case.h0, case.c0))
        g = autograd.grad(loss)(z)
    grads = {n: np.asarray(v) for n, v in zip(case.names, g["p"])}
    grads.update({k: np.asarray(g[k]) for k in ("xs", "h0", "c0") if k in g})
    return outs, grads


class StackModule(Check):
    name = "stack"
    claim = ("a multi-layer module (num_layers, bidirectional, batch_first, proj_size as configured) on a batch equals the "
             "composition of the reference cells (vanishing.models.stacked): its output, h_n and c_n, and its own gradients "
             "w.r.t. every parameter (both biases drawn), the inputs and the initial states")
    max_examples = 8
    reason = ("each example runs the module and autograd through an unrolled multi-layer reference on a batch; 8 keeps "
              "`vanishing validate torch` near its 60 s budget (the single-layer cells are checked on their own)")

    def applies(self, info):
        return info.kind == "stack"

    def strategy(self, info):
        return stack_cases(info.cell, info.config, info.dtype, info.obj.param_shapes)

    def body(self, info, case):
        ref, gref = stack_reference(case)
        shapes = {n: np.shape(p) for n, p in zip(case.names, case.params)}
        shapes.update(xs=case.xs.shape, h0=case.h0.shape, **({} if case.c0 is None else {"c0": case.c0.shape}))
        got, g = call_stack(info, case.params, case.xs, case.h0, case.c0, case.cot, shapes)
        # Values: the value tolerance at the outputs' scale (values of tanh/σ compositions are O(1); no saturated regime here).
        vt = tolerances.value(info.dtype, scale=max(1.0, max(float(np.max(np.abs(r))) for r in ref if np.size(r))))
        lines, worst = [], (0.0, 0.0, 0.0, 0.0)
        for name, o, r in zip(("output", "h_n", "c_n"), got, ref):
            c = compare(o, r, vt, f"stack {name}")
            worst = _worse(worst, c)
            if not c.ok:
                lines.append(f"{name} differs in {c.n_bad} of {c.err.size} entries; worst at {list(map(int, c.worst))}: got "
                             f"{float(c.got[c.worst]):.17g}, expected {float(c.expected[c.worst]):.17g}, |error| "
                             f"{float(c.err[c.worst]):.3g} > allowed {float(c.allowed[c.worst]):.3g}")
        gt = tolerances.gradient(info.dtype, scale=max([1.0] + [float(np.max(np.abs(v))) for v in gref.values() if np.size(v)]))
        for k in gref:
            c = compare(g[k], gref[k], gt, f"stack ∂/∂{k}")
            worst = _worse(worst, c)
            if not c.ok:
                lines.append(f"the gradient w.r.t. {k} differs in {c.n_bad} of {c.err.size} entries; worst at {list(map(int, c.worst))}: "
                             f"got {float(c.got[c.worst]):.17g}, expected {float(c.expected[c.worst]):.17g}"
                             + (f"; the {k} gradient is zero: is {k} used?" if not np.any(g[k]) and np.any(gref[k]) else ""))
        if lines:
            raise Mismatch("stack", lines, case, *worst)


CHECKS = [ForwardValues(), LongSequence(), Gradients(), GradientsFD(), DirectPath(), GateRange(), ParamCount(), ClipNorm(), ClipValue(),
          StackModule()]
