"""The reference is checked too: at the start of every ``vanishing validate`` run, before any check.

Every verdict of the validator is a comparison with :mod:`reference` (autograd through
``vanishing.models``). A bug there fails correct implementations and blames them. So each run
first compares the reference, on a few small fixed cases of the adapter's kind, reset convention
and parameter set, with

* an **independent implementation** written here in plain NumPy, sharing no code with
  ``vanishing.models``: the cells' forward passes, their reverse-mode BPTT derived by hand (the
  closed-form backward pass: the third oracle), the parameter-set maps and their chain rule, the
  direct-path Jacobians (rows of the hand BPTT), clipping by global norm and by value;
* **finite differences of the reference** (``oracles.directional_fd``, scipy.differentiate with an
  error estimate) along a fixed random direction, the arbiter when a gradient disagrees: if FD of
  ``reference.forward`` agrees with the hand BPTT and not with ``reference.vjp``, the reference's
  autograd VJP is wrong (and the message says so);
* **the parameter counts** implied by the layout shapes (``protocol.param_shapes``, checked against
  the shapes written here), against ``reference.param_count``.

:func:`findings` returns one line per disagreement (empty: the reference is sound on these cases);
the runner then stops the run with exit status 2 and blames the reference, not the user's cell.
It is memoised per process on what it checks; its cost (tens of milliseconds per distinct cell, a few hundred for a
two-layer bidirectional stack; about 0.35 s CPU for all of ``validate torch``) is measured by
``benchmarks/crosscheck.py`` and stated in docs/CONFORMANCE.md.
"""

import numpy as np

from vanishing.checks import assertions, tolerances
from vanishing.checks.comparison import Comparison
from vanishing.checks.conformance import modern_cells, reference
from vanishing.checks.conformance.cases import Case, StackCase
from vanishing.checks.conformance.fd import reference_directional_fd
from vanishing.checks.conformance.independent import (
    cell_forward,
    cell_vjp,
    direct_path,
    hand_shapes,
    native_grads,
    stack_layout,
    stack_run,
    to_canonical,
)
from vanishing.checks.conformance.protocol import CELL_KINDS, param_shapes
from vanishing.models import clipping, gru, kinds, layouts, lstm, rnn

__all__ = ["CLAIM", "DOC", "cases", "clip_findings", "findings", "message", "stack_case"]

#: Small fixed cases: H = 3 hidden units, D = 2 inputs, T = 3 steps (every gate block and time step distinct).
H, D, T = 3, 2, 3
#: Weight scales of the cases (times 1/√H): moderate, and one that drives the gates towards saturation.
SCALES = (1.0, 2.5)
#: relu: every pre-activation of a case stays at least this far from the kink (so FD and relu'(0) are moot).
RELU_MARGIN = 0.05


#: The claim of the cross-check, as a report shows it.
CLAIM = ("vanishing's reference (autograd through vanishing.models) agrees with an independent NumPy implementation "
         "(forward, step, hand-written BPTT, direct path, parameter counts, clipping) and, where a gradient differs, "
         "finite differences of the reference say which is right")


# ---------------------------------------------------------------- the fixed cases
def _min_relu_margin(kind, P, state0, xs):
    _, tapes = cell_forward(kind, P, state0, xs)
    return min(float(np.min(np.abs(t.a))) for t in tapes)


def cases(kind, reset="after", pset="canonical"):
    """[(Case, scale)]: one float64 case per :data:`SCALES`, every entry non-zero, fixed seeds.

    A case whose activation has a kink (relu) is redrawn (the next seed) until every pre-activation is at least
    :data:`RELU_MARGIN` from it."""
    row, out = kinds.row(kind), []
    for n, scale in enumerate(SCALES):
        for seed in range(100 * n, 100 * n + 100):
            rng = np.random.default_rng(seed)
            P = {k: scale * rng.uniform(-1.0, 1.0, s) / np.sqrt(H) for k, s in hand_shapes(kind, H, D, pset).items()}
            state0 = tuple(rng.uniform(-1.0, 1.0, H) for _ in row.state)
            xs = rng.uniform(-1.0, 1.0, (T, D))
            cot = (rng.uniform(-1.0, 1.0, (T, H)),) + tuple(rng.uniform(-1.0, 1.0, H) for _ in row.outputs[1:])
            if not row.kink or _min_relu_margin(kind, to_canonical(P, pset), state0, xs) >= RELU_MARGIN:
                break
        out.append((Case(kind, reset, np.dtype(np.float64), P, state0, xs, cot, pset=pset), scale))
    return out


# ---------------------------------------------------------------- the comparisons
def _worst(got, want, tol):
    """(ok, index, got, want) of the worst entry of |got − want| against ``tol`` (a shape mismatch: got, want are NaN)."""
    c = Comparison(got, want, tol)
    return c.ok, c.where, c.worst_got, c.worst_expected


def _bad_keys(got, want, keys, tol):
    """[(Comparison, key)] of the keys whose gradients differ, worst first (a missing key is infinitely bad)."""
    out = sorted(((Comparison(got.get(k, np.nan), want[k], tol), k) for k in keys), key=lambda x: -x[0].max_ratio)
    return [(c, k) for c, k in out if not c.ok]


def _num(v):
    return f"{v:.17g}" if isinstance(v, float) else str(v)


def _where(w):
    return "[" + ", ".join(str(int(i)) for i in w) + "]"


def _value_tol(arrays):
    s = max([1.0] + [float(np.max(np.abs(a))) for a in arrays if np.size(a)])
    return tolerances.value(np.float64, scale=s)


def _grad_tol(grads):
    s = max([1.0] + [float(np.max(np.abs(v))) for v in grads.values() if np.size(v)])
    return tolerances.gradient(np.float64, scale=s)


def _cell_findings(kind, reset, pset):
    row = kinds.row(kind)
    label = f"{kind}" + (f", reset={reset}" if row.has_reset else "") + (f", param_set={pset}" if pset != "canonical" else "")
    out = []
    for n, (case, scale) in enumerate(cases(kind, reset, pset)):
        where = f"{label}, case {n + 1} (H={H}, D={D}, T={T}, weights ×{scale:g})"
        C = to_canonical(case.params, pset)
        indep, _ = cell_forward(kind, C, case.state0, case.xs, reset)
        with np.errstate(all="ignore"):
            ref = reference.forward(case)
        fwd_ok = True
        if len(ref) != len(indep):
            out.append(f"reference.forward [{where}]: returns {len(ref)} output(s), the independent forward {len(indep)}")
            fwd_ok = False
        for name, r, i in zip(row.outputs, ref, indep):
            if np.shape(r) != np.shape(i):
                out.append(f"reference.forward [{where}]: {name} has shape {np.shape(r)}, expected {np.shape(i)}")
                fwd_ok = False
                continue
            ok, w, got, want = _worst(r, i, _value_tol(indep))
            if not ok:
                fwd_ok = False
                out.append(f"reference.forward [{where}]: {name}{_where(w)} = {got:.17g}, the independent forward gives {want:.17g}")
        # one step from state0
        s_ref = reference.step(case)
        s_ind, _ = cell_forward(kind, C, case.state0, case.xs[:1], reset)
        s_ind = (s_ind[0][0],) + tuple(s_ind[1:])
        for name, r, i in zip((f"{s}_1" for s in row.state), s_ref, s_ind):
            if np.shape(r) != np.shape(i):
                out.append(f"reference.step [{where}]: {name} has shape {np.shape(r)}, expected {np.shape(i)}")
                continue
            ok, w, got, want = _worst(r, i, _value_tol(s_ind))
            if not ok:
                out.append(f"reference.step [{where}]: {name}{_where(w)} = {got:.17g}, the independent step gives {want:.17g}")
        # gradients: reference.vjp (autograd), the hand BPTT, and FD of reference.forward as the arbiter
        g_ind = native_grads(cell_vjp(kind, C, case.state0, case.xs, case.cot, reset), pset)
        g_ref = reference.vjp(case)
        keys = list(case.params) + ["xs", *row.state_keys]
        missing = [k for k in keys if k not in g_ref]
        if missing:
            out.append(f"reference.vjp [{where}]: no gradient w.r.t. {', '.join(missing)}")
            continue
        bad = _bad_keys(g_ref, g_ind, keys, _grad_tol(g_ind))
        if bad:
            c, k = bad[0]
            out.append(f"reference.vjp [{where}]: the gradient differs w.r.t. {', '.join(k for _, k in bad)} (of {len(keys)} keys); "
                       f"worst: ∂/∂{k}{_where(c.where)} = {_num(c.worst_got)} where the hand BPTT gives {_num(c.worst_expected)}; "
                       + _arbiter(case, g_ref, g_ind, fwd_ok))
        if row.direct_path is not None:
            out += _direct_path_findings(row, case, C, where)
    return out


def _arbiter(case, g_ref, g_ind, fwd_ok):
    """What finite differences of reference.forward say about a gradient disagreement on ``case`` (one clause)."""
    try:
        d = reference_directional_fd(case, seed=7)
    except assertions.FDInconclusive as e:
        return f"finite differences of reference.forward were inconclusive ({e})"
    tol = d.tol(np.float64, max([1.0] + [float(np.max(np.abs(v))) for v in g_ind.values() if np.size(v)]))
    d_ref, d_ind = d.along(g_ref), d.along(g_ind)
    ref_ok, ind_ok = _worst(d_ref, d.fd, tol)[0], _worst(d_ind, d.fd, tol)[0]
    nums = f"(⟨·, w⟩ along a random direction w: reference.vjp {d_ref:.12g}, hand BPTT {d_ind:.12g}, FD {d.fd:.12g} ± {d.fd_err:.2g})"
    if ind_ok and not ref_ok:
        return ("finite differences of reference.forward agree with the hand BPTT, not with reference.vjp: the reference's "
                "autograd gradient is wrong " + nums)
    if ref_ok and not ind_ok:
        return "finite differences of reference.forward agree with reference.vjp, not with the hand BPTT " + nums + (
            "" if fwd_ok else ": the reference's forward pass differs too (above), so its gradient is that of another function")
    return "finite differences of reference.forward agree with neither " + nums


def _direct_path_findings(row, case, C, where):
    """The row's direct-path Jacobian (the models') against the hand BPTT's, on the case's first step."""
    P = {**C, **{k: np.zeros_like(C[k]) for k in row.direct_path_zero}}
    x = case.xs[0]
    ref = row.direct_path(P, case.state0, x, case.reset)
    ind = direct_path(row.name, P, case.state0, x, case.reset)
    ok, w, got, want = _worst(ref, ind, tolerances.gradient(np.float64, scale=max(1.0, float(np.max(np.abs(ind))))))
    if ok:
        return []
    s = row.direct_state
    what = f"∂{s}_1/∂{s}_0" + (f" ({', '.join(k + ' = 0' for k in row.direct_path_zero)})" if row.direct_path_zero else "")
    return [f"{row.family}.direct_path_jacobian [{where}]: entry {_where(w)} = {got:.17g}, the hand BPTT's {what} gives {want:.17g}"]


def _count_findings(kind):
    out = []
    for h, d in ((1, 1), (3, 2), (2, 5)):
        shapes = param_shapes(kind, h, d, "canonical")
        canon = sum(int(np.prod(s)) for s in shapes.values())
        # PyTorch's second bias doubles the one summed bias b (rnn, lstm); a GRU keeps two biases already
        two = canon + (int(np.prod(shapes["b"])) if "b" in shapes else 0)
        if kind in layouts.PARAM_SETS["two-biases"].kinds:
            two_lay = sum(int(np.prod(s)) for s in param_shapes(kind, h, d, "two-biases").values())
            if two_lay != two:
                out.append(f"layouts.PARAM_SETS['two-biases'] of {kind!r} (H={h}, D={d}) holds {two_lay} scalars, not the "
                           f"canonical {canon} plus one more bias vector ({two})")
        for pset in [p for p, ps in layouts.PARAM_SETS.items() if kind in ps.kinds]:
            lay, hand = param_shapes(kind, h, d, pset), hand_shapes(kind, h, d, pset)
            if {k: tuple(s) for k, s in lay.items()} != hand:
                out.append(f"layouts.PARAM_SETS[{pset!r}].shapes({kind!r}, H={h}, D={d}) = {dict(lay)}, documented {hand}")
        got = reference.param_count(kind, h, d)
        if tuple(got) != (canon, two):
            out.append(f"reference.param_count({kind!r}, H={h}, D={d}) = {tuple(got)}, the layout's shapes give "
                       f"({canon}, {two}) (canonical, with PyTorch's second bias)")
    return out


# ---------------------------------------------------------------- clipping
def _clip_cases():
    rng = np.random.default_rng(11)
    grads = [rng.uniform(-1.0, 1.0, (2, 3)), rng.uniform(-1.0, 1.0, 4)]
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    return grads, norm, (0.5 * norm, 2.0 * norm)      # clipped, and left alone


def clip_findings(eps=0.0, norm_clip=True, value_clip=True):
    """clipping.clip_by_global_norm / clip_by_value (what the clip checks compare with) against NumPy written here."""
    out = []
    grads, norm, thresholds = _clip_cases()
    tol = tolerances.value(np.float64, scale=max(float(np.max(np.abs(g))) for g in grads))
    for c in thresholds if norm_clip else ():
        coef = min(1.0, c / (norm + eps))                               # torch: min(1, max_norm/(‖g‖ + ε))
        ref, ref_norm = clipping.clip_by_global_norm(grads, c, eps=eps)
        if not _worst(ref_norm, norm, tol)[0]:
            out.append(f"clipping.clip_by_global_norm(max_norm={c:.6g}, eps={eps:g}) returns the norm {ref_norm:.17g}, "
                       f"the global norm is {norm:.17g}")
        for j, (r, g) in enumerate(zip(ref, grads)):
            ok, w, got, want = _worst(r, coef * g, tol)
            if not ok:
                out.append(f"clipping.clip_by_global_norm(max_norm={c:.6g}, eps={eps:g}): clipped[{j}]{_where(w)} = {got:.17g}, "
                           f"min(1, max_norm/(‖g‖ + ε))·g gives {want:.17g}")
    for v in (0.3,) if value_clip else ():
        for j, (r, g) in enumerate(zip(clipping.clip_by_value(grads, v), grads)):
            ok, w, got, want = _worst(r, np.minimum(np.maximum(g, -v), v), tol)
            if not ok:
                out.append(f"clipping.clip_by_value(clip_value={v:g}): clipped[{j}]{_where(w)} = {got:.17g}, "
                           f"clamp(g, −v, v) gives {want:.17g}")
    return out


# ---------------------------------------------------------------- multi-layer modules (what the stack check compares with)
#: The stack cases: H = proj_size + 2, D = 2, T = 2, B = 2 (two steps and two sequences: order and batch mixing show).
def stack_case(cell, config):
    rng = np.random.default_rng(5)
    Pj = config.get("proj_size") or 0
    Hs, Ds, Ts, Bs = Pj + 2, 2, 2, 2
    L, dirs, bf = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1, config.get("batch_first", False)
    Hout = Pj or Hs
    layout = stack_layout(cell, config, Hs, Ds)
    has_c = kinds.row(cell).n_state > 1
    u = lambda *shape: rng.uniform(-1.0, 1.0, shape)   # noqa: E731
    cot = [u(*((Bs, Ts, dirs * Hout) if bf else (Ts, Bs, dirs * Hout))), u(L * dirs, Bs, Hout)] + (
        [u(L * dirs, Bs, Hs)] if has_c else [])
    return StackCase(cell, dict(config), np.dtype(np.float64), [n for n, _ in layout], [u(*s) for _, s in layout],
                     u(*((Bs, Ts, Ds) if bf else (Ts, Bs, Ds))), u(L * dirs, Bs, Hout), u(L * dirs, Bs, Hs) if has_c else None,
                     cot)


def stack_findings(cell, config):
    """The stack check's reference (``reference.stack``: autograd through ``vanishing.models.stacked``) against
    :func:`stack_run`."""
    case = stack_case(cell, config)
    where = f"stack of {cell}, {config}"
    with np.errstate(all="ignore"):
        ref, gref = reference.stack(case)
    ind, gind = stack_run(cell, config, case.params, case.xs, case.h0, case.c0, case.cot)
    out = []
    for name, r, i in zip(("output", "h_n", "c_n"), ref, ind):
        if np.shape(r) != np.shape(i):
            out.append(f"stack reference [{where}]: {name} has shape {np.shape(r)}, expected {np.shape(i)}")
            continue
        ok, w, got, want = _worst(r, i, _value_tol([i]))
        if not ok:
            out.append(f"stack reference [{where}]: {name}{_where(w)} = {got:.17g}, the composed hand cells give {want:.17g}")
    gi = dict(zip(case.names, gind["params"]))
    gi.update({k: gind[k] for k in ("xs", "h0", "c0") if k in gind})
    tol = _grad_tol(gi)
    bad = _bad_keys(gref, gi, list(gi), tol)
    if bad:
        c, k = bad[0]
        out.append(f"stack reference gradient [{where}]: differs w.r.t. {', '.join(k for _, k in bad)} (of {len(gi)} keys); "
                   f"worst: ∂/∂{k}{_where(c.where)} = {_num(c.worst_got)} where the composed hand BPTT gives {_num(c.worst_expected)}")
    return out


#: The section of docs/CONFORMANCE.md that says how the reference itself is checked (``matrix.to_markdown`` appends it).
DOC = [
    "## The reference is checked too",
    "",
    "Every verdict above compares an implementation with vanishing's reference (autograd through `vanishing.models`), so "
    "a bug in the reference would fail correct implementations and blame them. Every `vanishing validate` run therefore "
    "starts by cross-checking the reference (`checks/conformance/crosscheck.py`) on small fixed cases of each adapter's "
    "cell kind, reset convention, parameter set, stack configuration and clipping, against an independent implementation "
    "in plain NumPy that shares no code with `vanishing.models`: the forward passes and a hand-written reverse-mode BPTT "
    "(the closed-form backward pass, the third oracle), the parameter-set maps and their chain rule, the direct-path "
    "Jacobians, the layer and direction composition of multi-layer modules, the parameter counts implied by the layout "
    "shapes, and clipping by global norm and by value. Where a gradient disagrees, finite differences of the reference's "
    "forward pass arbitrate: when they agree with the hand BPTT and not with `reference.vjp`, the reference's autograd "
    "gradient is named as wrong.",
    "",
    "When the reference disagrees, no check runs: the run stops with exit status 2, reports the adapter as *not "
    "validated* (never as non-conforming), and says, one line per finding, that vanishing's reference is wrong and not "
    "the implementation under test (a bug in vanishing, to be reported). Past the cross-check, the diagnosis of a failing "
    "gradient check does the same on the failing case: when the implementation's gradients agree with finite differences "
    "of the reference along every direction tried and `reference.vjp` does not, it says that the reference's gradient is "
    "suspect instead of naming a known bug; and float32 precision is offered as an explanation only when the reference "
    "itself is within float32 tolerance of the implementation (a larger difference is not rounding, whatever the dtype).",
    "",
    "The cross-check is memoised per distinct cell kind, convention, parameter set, stack configuration and clipping, so a "
    "run pays once for each: `python benchmarks/crosscheck.py` measures it (on the shared 2-core development machine, "
    "0.35 s CPU for all 26 torch adapters, 0.09 s for the NumPy zoo; medians of 7). tests/conformance/test_crosscheck.py "
    "plants a bug in each reference quantity (the LSTM VJP ignoring the c_T cotangent, wrong parameter counts, a forward "
    "bias off in one gate, the GRU reset convention swapped, a parameter-set map dropping a bias, direct-path Jacobians, "
    "clipping, the stack's direction order and biases, a reference that raises) and checks the message for each.",
]


# ---------------------------------------------------------------- the entry point
def _subjects():
    """The reference functions the verdicts rest on: a run that replaced one (a test planting a bug) is checked afresh."""
    return (reference.forward, reference.step, reference.vjp, reference.param_count, reference.canonical, reference.stack,
            rnn.forward, rnn.step, rnn.param_count, lstm.forward, lstm.step, lstm.param_count, gru.forward, gru.step,
            gru.param_count, layouts.param_set, lstm.direct_path_jacobian, gru.direct_path_jacobian, clipping.clip_by_global_norm, clipping.clip_by_value)


_DONE = {}


def findings(info):
    """One line per disagreement of the reference with the independent implementation, for adapter ``info``
    (its kind, reset convention, parameter set, and clipping methods). Empty: the reference holds on these cases.

    Memoised per process on what is checked (kind, reset, parameter set, clipping, ε) and on the identity of the
    reference functions, so ``validate torch`` with its eight cells pays once per distinct cell."""
    cell = info.kind in CELL_KINDS
    stack = (info.cell, tuple(sorted(info.config.items()))) if info.kind == "stack" else None
    norm, value = bool(getattr(info, "has_clip_norm", False)), bool(getattr(info, "has_clip_value", False))
    key = (info.kind if cell else None, info.reset if cell else None, info.param_set if cell else None, stack,
           norm, value, float(getattr(info, "clip_eps", 0.0)) if norm else None, _subjects())
    if key not in _DONE:
        out = []
        try:
            if cell and kinds.row(info.kind).family in modern_cells.FAMILIES:
                from vanishing.checks.conformance import modern
                out += modern.crosscheck_findings(info.kind, info.param_set)
            elif cell:
                out += _cell_findings(info.kind, info.reset, info.param_set)
                out += _count_findings(info.kind)
            if stack:
                out += stack_findings(info.cell, info.config)
            if norm or value:
                out += clip_findings(key[6] or 0.0, norm, value)
        except Exception as e:  # noqa: BLE001 (the reference raised on a plain input: vanishing's bug too, reported as such)
            out.append(f"the cross-check raised {type(e).__name__}: {' '.join(str(e).split())[:200]}")
        _DONE[key] = tuple(out)
    return list(_DONE[key])


def message(lines):
    """The report of a reference that disagrees: who is to blame (vanishing), then one line per finding."""
    head = (f"vanishing's own conformance reference is wrong, not your implementation: it disagrees with an independent "
            f"implementation on {len(lines)} count{'s' if len(lines) != 1 else ''} (below); no check was run, since every "
            "verdict would compare against it. This is a bug in vanishing: please report it with this output")
    return [head] + [f"reference bug: {ln}" for ln in lines]
