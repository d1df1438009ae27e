"""The modern families in the validator: their cases, the parallel-path check, the direct path and gate ranges of
states that are not all (H,), and the cross-check of their reference.

The families (minGRU, minLSTM, LRU, Mamba's S6: ``modern_cells.FAMILIES``) are diagonal linear recurrences
h_t = a_t ⊙ h_{t−1} + b_t whose a_t, b_t read x_t only. Their states and outputs are shaped by the kind's row
(``Kind.shapes_of_state``, ``Kind.shapes_of_outputs``: Mamba's h is (D, H), LRU's readout y is (D,)).

**The parallel path** (:class:`ParallelPath`): an adapter may have ``parallel(params, state0, xs)``, the first output
of ``forward`` (hs or ys, (T, ·)) computed by its parallel form (an associative or a log-space scan), and
``parallel_vjp(params, state0, xs, d_first)``, its own gradient through that form w.r.t. every parameter and ``"xs"``
(and the state keys when the form takes a state). ``parallel_needs`` declares the form's precondition:
``""`` (every state), ``"zero-state"`` (it starts from 0: the state0 it is given is 0) or ``"positive"`` (a
log-space scan: state0 > 0). The check holds the parallel outputs and gradients to the reference's recurrence,
on cases that meet the precondition, under the forward-error bound of the scan (:func:`scan_magnitudes`).
"""

import numpy as np
from hypothesis import strategies as st

from vanishing.checks import strategies as S
from vanishing.checks import tolerances
from vanishing.checks.conformance import bounds, checks, modern_cells, reference, surgery
from vanishing.checks.conformance.cases import Case, _nonzero, _order_one, _r
from vanishing.checks.conformance.compare import Mismatch, compare, compare_grads
from vanishing.checks.conformance.protocol import CallError, _array, _invoke, _own, call_forward, call_vjp, param_shapes
from vanishing.checks.conformance.tolerance import grad_tol, subnormal_floor
from vanishing.models import kinds

__all__ = ["CHECKS", "NEEDS", "RANGES", "ParallelPath", "call_parallel", "cell_cases", "crosscheck_findings",
           "name_parallel", "probe_cases", "scan_magnitudes"]

#: The parallel forms' preconditions an adapter may declare (``parallel_needs``).
NEEDS = {"": "every initial state", "zero-state": "the initial state is 0 (the form takes none)",
         "positive": "the initial state is positive (a log-space scan takes log h_0)"}

#: Keys scaled by 30 or 300 in the saturated regime: the gates' and Δ's pre-activations (not the log-parametrised
#: λ, γ and A, whose scale is their own claim; LRU saturates as |λ| → 1: ν_log drawn in [−12, −6]).
_SATURATE = {"mingru": ("W_z", "b_z"), "minlstm": ("W_f", "b_f", "W_i", "b_i"), "lru": (), "mamba": ("W_delta", "b_delta")}


def _is_modern(row):
    return row.family in modern_cells.FAMILIES


def _state(draw, shapes, lo, hi, labels):
    return tuple(draw(S.matrices(*s, lo, hi) if len(s) == 2 else S.vectors(s[0], lo, hi), label=k)
                 for s, k in zip(shapes, labels))


@st.composite
def cell_cases(draw, kind, dtype, T=(1, 6), regimes=("moderate", "saturated", "zero-state"), H=(1, 3), D=(1, 3),
               pset="canonical", needs=""):
    """Cases of a modern kind: sizes, regime, native params in [−1, 1], states by the row's shapes, O(1) cotangents."""
    row = kinds.row(kind)
    nH, nD, nT = draw(S.dims(*H), label="H"), draw(S.dims(*D), label="D"), draw(st.integers(*T), label="T")
    regime = draw(st.sampled_from([r for r in regimes if needs != "positive" or r != "zero-state"]), label="regime")
    shapes = param_shapes(kind, nH, nD, pset)
    P = draw(st.fixed_dictionaries({k: S.matrices(*s, -1.0, 1.0) if len(s) == 2 else S.vectors(s[0], -1.0, 1.0)
                                    for k, s in shapes.items()}), label="params")
    if regime != "zero-state":
        P = {k: _nonzero(v) for k, v in P.items()}
    if regime == "saturated":
        s = draw(st.sampled_from([30.0, 300.0]), label="weight scale")
        P = {k: v * s if k in _SATURATE[row.family] else v for k, v in P.items()}
        if "nu_log" in P:
            P["nu_log"] = draw(S.vectors(nH, -12.0, -6.0), label="nu_log (|λ| → 1)")
    xs = draw(S.sequences(nT, nD, -3.0, 3.0), label="xs")
    sshapes = row.shapes_of_state(nH, nD)
    if regime == "zero-state" or needs == "zero-state":
        state0 = tuple(np.zeros(s) for s in sshapes)
    elif needs == "positive":
        state0 = _state(draw, sshapes, 0.05, 1.0, row.state_keys)
    else:
        state0 = _state(draw, sshapes, -1.0, 1.0, row.state_keys)
    cot = tuple(_order_one(draw(S.matrices(*s, -1.0, 1.0) if len(s) == 2 else S.vectors(s[0], -1.0, 1.0), label=f"d {o}"))
                for s, o in zip(row.shapes_of_outputs(nT, nH, nD), row.outputs))
    return Case(kind, "after", np.dtype(dtype), {k: _r(v, dtype) for k, v in P.items()}, tuple(_r(s, dtype) for s in state0),
                _r(xs, dtype), tuple(_r(c, dtype) for c in cot), regime, pset=pset)


def probe_cases(kind, dtype, n=2, seed=20240601, pset="canonical"):
    """Generic cases (H=3, D=2, T=4, moderate, positive states) for the diagnosis."""
    rng, row, out = np.random.default_rng(seed), kinds.row(kind), []
    H, D, T = 3, 2, 4
    for _ in range(n):
        P = {k: _r(rng.uniform(-1, 1, s), dtype) for k, s in param_shapes(kind, H, D, pset).items()}
        state0 = tuple(_r(rng.uniform(0.05, 1, s), dtype) for s in row.shapes_of_state(H, D))
        xs = _r(rng.uniform(-2, 2, (T, D)), dtype)
        cot = tuple(_r(rng.uniform(-1, 1, s), dtype) for s in row.shapes_of_outputs(T, H, D))
        out.append(Case(kind, "after", np.dtype(dtype), P, state0, xs, cot, "probe", pset=pset))
    return out


# ---------------------------------------------------------------- the state Jacobian through the implementation's vjp
def state_jacobian(run, case, params, names):
    """J = ∂(names)_1/∂(names)_0 of a one-step case, flattened (row-major, states in order), by the implementation's vjp."""
    row = case.row
    one = case.but(params=params, xs=case.xs[:1])
    shapes = dict(zip(row.state, row.shapes_of_state(case.H, case.D)))
    outs = row.shapes_of_outputs(1, case.H, case.D)
    where = dict(zip(row.state, row.state_outputs()))
    rows = []
    for s in names:
        for j in range(int(np.prod(shapes[s]))):
            cot = [np.zeros(sh) for sh in outs]
            i, _ = where[s]
            cot[i].reshape(-1)[j] = 1.0      # hs (1, H) or the final state itself: entry j of its ravel
            g = call_vjp(run, params, one.state0, one.xs, tuple(cot))
            rows.append(np.concatenate([np.ravel(g[f"{n}0"]) for n in names]))
    return np.stack(rows)


def _direct_names(row):
    return tuple(s.strip() for s in row.direct_state.split(","))


class ModernDirectPath(checks._GradientCheck):
    name = "direct-path"
    claim = ("through the implementation's own autodiff, the state Jacobian ∂s_t/∂s_{t−1} of a modern cell is its "
             "diagonal a_t: diag(1 − z_t) (minGRU), diag(f′_t) (minLSTM), diag(λ) as a real 2H×2H map (LRU), "
             "diag(exp(Δ_t A)) (Mamba): nothing but the direct path, since a_t and b_t read x_t only")
    max_examples = 12
    reason = "each example costs one vjp call per state entry; the claim is structural"

    def applies(self, info):
        return info.is_cell and _is_modern(info.row) and info.row.direct_path is not None

    def strategy(self, info):
        return cell_cases(info.kind, info.dtype, T=(1, 1), regimes=("moderate", "saturated"), pset=info.param_set)

    def body(self, run, case):
        row = case.row
        J = state_jacobian(run, case, case.params, _direct_names(row))
        expected = np.asarray(row.direct_path(case.canonical(), case.state0, case.xs[0], case.reset), dtype=np.float64)
        tol = tolerances.gradient(run.info.dtype, scale=max(1.0, float(np.max(np.abs(expected)))))
        c = compare(J, expected, tol, f"∂{row.direct_state}_t/∂{row.direct_state}_(t−1) from vjp")
        if not c.ok:
            i, j = (int(v) for v in c.worst)
            where = "off the diagonal structure (expected 0)" if expected[i, j] == 0 else f"on the direct path ({row.direct_gate})"
            raise Mismatch("structure", [(f"the state Jacobian ∂{row.direct_state}_1/∂{row.direct_state}_0 differs from "
                                         f"{row.direct_gate} at [{i}, {j}], {where}: got {J[i, j]:.17g}, expected "
                                         f"{expected[i, j]:.17g} (|error| {c.worst_err:.3g} > allowed {c.worst_allowed:.3g}); "
                                         f"{c.n_bad} entr{'y' if c.n_bad == 1 else 'ies'} differ")],
                           case.but(xs=case.xs[:1]), c.max_ratio, c.worst_err, c.worst_allowed, c.rel)


# ---------------------------------------------------------------- gate ranges (checks._RANGES entries)
def _diag_in_unit(run, case, out, M, e, lines):
    """a_t read off ∂h_1/∂h_0 = diag(a_1) lies in [0, 1] (minGRU's 1 − z, minLSTM's f′, Mamba's exp(ΔA))."""
    a = np.diag(state_jacobian(run, case, case.params, _direct_names(case.row)))
    checks._violations(lines, (a < -e) | (a > 1 + e), f"the direct gate {case.row.direct_gate} (read off ∂h_1/∂h_0) "
                       "leaves [0, 1] at entry {j}: " + f"{a.tolist()}")


def _lambda_inside(run, case, out, M, e, lines):
    """|λ| < 1 read off the LRU's 2×2 blocks [[Re λ, −Im λ], [Im λ, Re λ]] of ∂(h_re, h_im)_1/∂(h_re, h_im)_0."""
    J, H = state_jacobian(run, case, case.params, _direct_names(case.row)), case.H
    mod = np.hypot(np.diag(J)[:H], np.diag(J[H:, :H]))
    checks._violations(lines, mod > 1 + e, "|λ| (read off the state Jacobian) reaches 1 at unit {j}: " + f"{mod.tolist()}")


RANGES = {"mingru": _diag_in_unit, "minlstm": _diag_in_unit, "mamba": _diag_in_unit, "lru": _lambda_inside}


# ---------------------------------------------------------------- the parallel path
def call_parallel(run, params, state0, xs):
    """adapter.parallel, validated: the first output of forward, shaped like it."""
    info = run.info
    shape = info.row.shapes_of_outputs(xs.shape[0], state0[0].shape[-1], xs.shape[1])[0]
    out = _invoke(run, "parallel", {k: _own(info, v) for k, v in params.items()}, tuple(_own(info, s) for s in state0),
                  _own(info, xs))
    return _array(info, "parallel", info.row.outputs[0], out, shape)


def call_parallel_vjp(run, params, state0, xs, cot):
    """adapter.parallel_vjp, validated: every parameter key and "xs" (state keys compared where returned)."""
    info = run.info
    T, D = xs.shape
    H = state0[0].shape[-1]
    out = _invoke(run, "parallel_vjp", {k: _own(info, v) for k, v in params.items()}, tuple(_own(info, s) for s in state0),
                  _own(info, xs), _own(info, cot))
    if not isinstance(out, dict):
        raise CallError(f"{info.name}.parallel_vjp: expected a dict of gradients, got {type(out).__name__}")
    shapes = dict(param_shapes(info.kind, H, D, info.param_set), xs=(T, D))
    if (getattr(info.obj, "parallel_needs", "") or "") != "zero-state":   # a form that takes no state has no state gradient
        shapes.update({k: s for k, s in zip(info.row.state_keys, info.row.shapes_of_state(H, D)) if k in out})
    missing = [k for k in shapes if k not in out]
    if missing:
        raise CallError(f"{info.name}.parallel_vjp: the gradient dict lacks key(s) {missing}")
    return {k: _array(info, "parallel_vjp", f"gradient[{k!r}]", out[k], s) for k, s in shapes.items()}


def scan_magnitudes(case):
    """M of the first output for a parallel form: the recurrence's M times the depth T + 1 of any scan tree over T
    steps (each term of h_t = Σ_s (∏ a) b_s meets at most T + 1 roundings in any association order), plus, for a
    log-space scan, |y_t|·Σ_{s≤t}|log a_s| per unit (the cumulative sum of logarithms rounds absolutely, and
    exp turns an absolute error δ in log h into a relative one)."""
    M = bounds.magnitudes(case)[0]
    return M * (case.T + 1) + np.abs(reference.forward(case)[0]) * _log_sum(case)


def _log_sum(case):
    row = case.row
    if row.family not in ("mingru", "minlstm"):
        return 0.0
    P = case.canonical()
    a = [modern_cells._min_coefficients(P, x, {}, row.family == "minlstm")[0] for x in case.xs]
    with np.errstate(divide="ignore"):
        return np.cumsum(np.abs(np.log(np.maximum(np.stack(a), 1e-300))), axis=0) + np.abs(np.log(np.maximum(np.abs(case.state0[0]), 1e-300)))


class ParallelPath(checks._CellCheck):
    name = "parallel"
    claim = ("parallel() (the implementation's parallel form: an associative or a log-space scan) equals its own recurrent "
             "forward() (the first output), and parallel_vjp() its vjp(), on every initial state the declared precondition "
             "admits; where forward() conforms, that is the reference's recurrence")
    max_examples = 30
    reason = "the parallel forms are linear in each h_t; 30 cases of T = 1..16 reach every scan depth up to 4"
    methods = ("forward", "parallel")

    def applies(self, info):
        return info.is_cell and _is_modern(info.row) and callable(getattr(info.obj, "parallel", None))

    def strategy(self, info):
        needs = getattr(info.obj, "parallel_needs", "") or ""
        if needs not in NEEDS:
            raise CallError(f"adapter {info.name}: parallel_needs must be one of {sorted(NEEDS)}; got {needs!r}")
        return cell_cases(info.kind, info.dtype, T=(1, 16), regimes=("moderate", "zero-state"), pset=info.param_set,
                          needs=needs)

    def calls(self, run, case):
        return [("forward", lambda: call_forward(run, case.params, case.state0, case.xs)),
                ("parallel", lambda: call_parallel(run, case.params, case.state0, case.xs))]

    def snippet(self, info, case):
        return ["print(adapter.parallel(params, state0, xs))", "print(adapter.forward(params, state0, xs)[0])"]

    def notes(self, run):
        needs = getattr(run.info.obj, "parallel_needs", "") or ""
        return [f"the parallel form is checked where {NEEDS[needs]} (its declared precondition)"] if needs else []

    def body(self, run, case):
        info = run.info
        if not _meets(getattr(info.obj, "parallel_needs", "") or "", case):
            return   # only a shrink candidate can break the precondition (cases.shrink zeroes states): it is no counterexample
        own = call_forward(run, case.params, case.state0, case.xs)[0]
        got = call_parallel(run, case.params, case.state0, case.xs)
        tol = subnormal_floor(tolerances.forward_error(info.dtype, scan_magnitudes(case)), info)
        c = compare(got, own, tol, "parallel vs forward: " + case.row.outputs[0])
        if not c.ok:
            t, u = (int(v) for v in c.worst)
            raise Mismatch("parallel", [(f"parallel: {case.row.outputs[0]} differs from the implementation's own recurrence "
                                        f"forward() at t={t + 1}, unit {u}: parallel {got[t, u]:.17g}, forward {own[t, u]:.17g}, "
                                        f"|error| {c.worst_err:.3g} > allowed {c.worst_allowed:.3g} ({c.n_bad} entries differ)")],
                           case, c.max_ratio, c.worst_err, c.worst_allowed, c.rel)
        if callable(getattr(info.obj, "parallel_vjp", None)):
            first = case.but(cot=(case.cot[0],) + tuple(np.zeros_like(v) for v in case.cot[1:]))
            g = call_parallel_vjp(run, case.params, case.state0, case.xs, case.cot[0])
            mine = {k: v for k, v in call_vjp(run, first.params, first.state0, first.xs, first.cot).items() if k in g}
            scale = bounds.gradient_scale(first) * (case.T + 1)   # the scan's depth, as for the values
            lines, worst = compare_grads(case.kind, g, mine, subnormal_floor(grad_tol(info.dtype, mine, scale), info), case.H)
            if lines:
                raise Mismatch("parallel", ["parallel_vjp differs from the implementation's own vjp() (through forward):"]
                               + ["  " + ln for ln in lines], first, *worst)


def _meets(needs, case):
    """Whether ``case`` meets the parallel form's declared precondition (:data:`NEEDS`)."""
    if needs == "positive":
        return all(np.all(np.asarray(s) > 0) for s in case.state0)
    return needs != "zero-state" or not any(np.any(s) for s in case.state0)


def _matches(info, case, got, opts):
    with np.errstate(all="ignore"):
        mo = np.asarray(surgery.run(case, **opts)[0], dtype=np.float64)
    return bool(np.all(np.isfinite(mo)) and compare(got, mo, tolerances.forward_error(info.dtype, scan_magnitudes(case)), "mutant").ok)


def _probes(run, case):
    """The failing case and two generic probe cases meeting the declared precondition, each with the implementation's
    (forward first output, parallel output); a probe whose calls fail is left out."""
    needs = getattr(run.info.obj, "parallel_needs", "") or ""
    out = []
    for c in [case] + probe_cases(case.kind, run.info.dtype, 2, pset=case.pset):
        if c is not case and needs == "zero-state":
            c = c.but(state0=tuple(np.zeros_like(s) for s in c.state0))
        try:
            out.append((c, call_forward(run, c.params, c.state0, c.xs)[0], call_parallel(run, c.params, c.state0, c.xs)))
        except CallError:
            if c is case:
                return []
    return out


def _float32_only(run, probes, case):
    """Whether a float64 implementation's parallel and recurrent forms agree on every probe to float32 precision, values
    and gradients (the float32-precision mutant: both round to float32 somewhere, in a different order)."""
    info = run.info
    if info.dtype != np.float64 or not probes:
        return False
    for c, own, par in probes:
        if not compare(par, own, tolerances.forward_error(np.float32, scan_magnitudes(c)), "float32").ok:
            return False
        if callable(getattr(info.obj, "parallel_vjp", None)):
            try:
                g = call_parallel_vjp(run, c.params, c.state0, c.xs, c.cot[0])
                first = c.but(cot=(c.cot[0],) + tuple(np.zeros_like(v) for v in c.cot[1:]))
                mine = call_vjp(run, first.params, first.state0, first.xs, first.cot)
            except CallError:
                return False
            tol = grad_tol(np.float32, {k: mine[k] for k in g}, bounds.gradient_scale(first) * (c.T + 1))
            if any(not compare(g[k], mine[k], tol, "float32").ok for k in g):
                return False
    return True


def name_parallel(run, case):
    """The known bugs that the parallel and the recurrent outputs match on the failing case and the probe cases: the
    parallel form's mutant, on top of the recurrent forward's own (a convention both forms share), if any."""
    from vanishing.checks.conformance import mutants
    info, probes = run.info, _probes(run, case)
    forward = [m for m in mutants.mutants_for(case) if m.where == "forward" and not m.precision]
    every = lambda which, opts: bool(probes) and all(_matches(info, c, pr[which], opts) for c, *pr in probes)
    n = f"reproduced on the failing case and {len(probes) - 1} generic probe cases"
    base = None if every(0, {}) else next((m for m in forward if every(0, m.opts)), None)
    # said in words, without the "[mutant ...; reproduced" of a confirmed explanation: it explains forward(), not this check
    tail = [f"  (forward() itself matches the reference if {base.says}: mutant {base.name}, {n})"] if base else []
    values_differ = bool(probes) and not compare(probes[0][2], probes[0][1], tolerances.forward_error(
        info.dtype, scan_magnitudes(probes[0][0])), "parallel vs forward").ok   # else only parallel_vjp differs
    for m in forward if values_differ else ():   # a gradient-only difference: no forward mutant can name it
        both = {**(base.opts if base else {}), **m.opts}
        noop = all(_matches(info, c, np.asarray(surgery.run(c, **(base.opts if base else {}))[0]), both) for c, *_ in probes)
        if m is not base and not noop and every(1, both):
            return [f"diagnosis: parallel() matches the reference if {m.says}" + (f", on top of forward()'s {base.name}"
                    if base else "") + f" [mutant {m.name}; {n}]: the parallel form disagrees with the recurrent one"] + tail
    if _float32_only(run, probes, case):
        return [(f"diagnosis: the parallel and the recurrent forms agree to float32 precision, not to float64: it loses "
                f"precision [mutant float32-precision; {n}]")] + tail
    return [("diagnosis: no known bug of the catalogue reproduces the parallel form's difference on the failing case and "
            "the probe cases")] + tail


CHECKS = [ModernDirectPath(), ParallelPath()]


# ---------------------------------------------------------------- the cross-check of the reference (crosscheck.py)
def _independent_first_output(row, P, s, xs):
    """The first output by the row's parallel form (models/scan.py: another code path than the loop of forward)."""
    return np.asarray(row.parallel(P, tuple(s), xs, "after"), dtype=np.float64)


def crosscheck_findings(kind, pset="canonical"):
    """The reference of a modern kind against its own parallel form (values), autograd against finite differences
    (gradients) and the layout's shapes against the parameter count, on two fixed cases. Weaker than the classic
    cells' cross-check: no hand-written BPTT for these families yet (docs/CONFORMANCE.md says so)."""
    from vanishing.checks.conformance.fd import reference_directional_fd
    row, out = kinds.row(kind), []
    for n, case in enumerate(probe_cases(kind, np.float64, 2, seed=7, pset=pset)):
        ref = reference.forward(case)
        if row.parallel is not None and not row.parallel_needs:
            par = _independent_first_output(row, case.canonical(), case.state0, case.xs)
            c = compare(par, ref[0], tolerances.forward_error(np.float64, scan_magnitudes(case)), "crosscheck")
            if not c.ok:
                out.append(f"reference.forward [{kind}, case {n + 1}]: {row.outputs[0]} differs from the parallel form at "
                           f"{list(map(int, c.worst))}: {c.worst_got:.17g} vs {c.worst_expected:.17g}")
        d = reference_directional_fd(case, seed=7)
        g = reference.vjp(case)
        scale = max([1.0] + [float(np.max(np.abs(v))) for v in g.values() if np.size(v)])
        if not compare(d.along(g), d.fd, d.tol(np.float64, scale), "crosscheck fd").ok:
            out.append(f"reference.vjp [{kind}, case {n + 1}]: ⟨vjp, w⟩ = {d.along(g):.12g}, finite differences "
                       f"{d.fd:.12g} ± {d.fd_err:.2g}: the reference's autograd gradient is wrong")
    for H, D in ((1, 1), (3, 2)):
        n = sum(int(np.prod(s)) for s in param_shapes(kind, H, D).values())
        if n != row.param_count(H, D):
            out.append(f"param_count({H}, {D}) = {row.param_count(H, D)}, the canonical shapes hold {n}")
    return out
