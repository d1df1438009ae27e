"""The diagnosis: which known bug reproduces the implementation on the failing case?

Not a guess from the size of the error: each hypothesis is a mutated reference
(``mutants.py`` for cells, :data:`CLIP_NORM_MUTANTS` / :data:`CLIP_VALUE_MUTANTS` for
clipping) and is *tested*: a mutant is reported when it reproduces the implementation's
outputs (and, for a gradient failure, its vector-Jacobian products) to the same tolerance
the checks use, on the shrunk failing case *and* on generic probe cases (H = 3, D = 2,
T = 4), since a shrunk case (H = 1, zeros) cannot tell many bugs apart (a transpose of a
1×1 block changes nothing). When no single mutant reproduces it, the closest one is
named as unconfirmed.

The reference can be wrong too (``crosscheck.py`` checks it before every run; this is the second line): when the
implementation's gradients agree with finite differences of the reference's forward pass while the reference's
autograd VJP does not, the diagnosis blames the reference (:func:`reference_gradient_suspect`), and a precision
mutant is confirmed only when the reference itself is within that precision of the implementation.
"""

import numpy as np
from autograd.misc import flatten

from vanishing.checks.comparison import Comparison
from vanishing.checks.conformance import bounds, modern_cells, mutants, reference, surgery
from vanishing.checks.conformance.cases import (
    ClipCase,
    StackCase,
    is_zero_norm_at_zero,
    probe_cases,
    relu_margin_ok,
)
from vanishing.checks.conformance.fd import reference_directional_fd
from vanishing.checks.conformance.tolerance import forward_tol, grad_tol, subnormal_floor
from vanishing.checks.conformance.trigger_cases import TRIGGER_WORDS, probe_cases_like, triggers
from vanishing.checks.conformance.clip_diagnosis import CLIP_NORM_MUTANTS, CLIP_VALUE_MUTANTS, _diagnose_clip, _worst
from vanishing.checks.conformance.protocol import (
    CallError,
    call_forward,
    call_vjp,
)

__all__ = ["CLIP_NORM_MUTANTS", "CLIP_VALUE_MUTANTS", "diagnose", "localise", "once_per_adapter", "reference_gradient_suspect"]

#: A closest, unconfirmed known bug is named only when it accounts for at least this fraction of the difference
#: (on the common scale of :func:`_explained`); otherwise the diagnosis is the localisation alone.
EXPLAINED_MIN = 0.5


def _mutant_outputs(case, mutant):
    with np.errstate(all="ignore"):
        mo = surgery.run(case, **mutant.opts)
    return tuple(np.asarray(o, dtype=np.float64) for o in mo)


def _mutant_grads(case, mutant):
    with np.errstate(all="ignore"):
        mg = surgery.vjp(case, **mutant.opts)
    return {k: np.asarray(v, dtype=np.float64) for k, v in mg.items()}


def _cell_score(info, mutant, case, impl_out, impl_grads, gscale=0.0):
    """Worst err/allowed of the mutant against the implementation on one case (≤ 1: reproduced), at the mutant's own
    precision (the float32 mutant is confirmed at float32 tolerance). Confirmation only; ranking uses :func:`_explained`."""
    dtype = np.float32 if mutant.precision == "float32" else info.dtype
    mo = _mutant_outputs(case, mutant)
    if not all(np.all(np.isfinite(o)) for o in mo):
        return np.inf
    M = bounds.magnitudes(case)
    score = _worst((g, m, subnormal_floor(forward_tol(dtype, Mi), info)) for g, m, Mi in zip(impl_out, mo, M))
    if impl_grads is not None and score <= 1.0:
        mg = _mutant_grads(case, mutant)
        tol = grad_tol(dtype, mg, gscale)
        score = max(score, _worst((impl_grads[k], mg[k], tol) for k in mg))
    return score


def _flat(outs, grads):
    """One vector of the outputs and, in key order, the gradients (the same order for every run compared)."""
    return flatten([list(outs), [] if grads is None else [grads[k] for k in sorted(grads)]])[0]


def _explained(impl_vec, ref_vec, mut_vec):
    """The fraction of the implementation's difference from the reference that a mutant accounts for:
    1 − ‖impl − mutant‖/‖impl − ref‖, on the same arrays for every mutant (a common scale, unlike err/allowed,
    which divides by each mutant's own tolerance). 1: reproduces it; ≤ 0: no closer than the reference."""
    d_ref = float(np.linalg.norm(impl_vec - ref_vec))
    if not np.all(np.isfinite(mut_vec)) or d_ref == 0:
        return -np.inf
    return 1.0 - float(np.linalg.norm(impl_vec - mut_vec)) / d_ref


def _impl_runs(run, cases, need_grads):
    impl = []
    for c in cases:
        try:
            out = call_forward(run, c.params, c.state0, c.xs)
            grads = call_vjp(run, c.params, c.state0, c.xs, c.cot) if need_grads else None
        except CallError:
            if c is cases[0]:
                return None
            continue
        impl.append((c, out, grads, bounds.gradient_scale(c) if need_grads else 0.0))
    return impl


def _forward_differs_on(info, impl):
    """How many of the runs' forward values differ from the reference."""
    n = 0
    for c, out, _, _ in impl:
        ref = reference.forward(c)
        M = bounds.magnitudes(c)
        n += any(not Comparison(g, r, subnormal_floor(forward_tol(info.dtype, m), info)).ok for g, r, m in zip(out, ref, M))
    return n


def _diagnose_cell(run, mismatch):
    info = run.info
    case = mismatch.case
    pre = []
    like = [c for c in probe_cases_like(case, info.dtype) if not c.row.kink or relu_margin_ok(c)]
    cases = [case] + probe_cases(case.kind, case.reset, info.dtype, pset=case.pset) + like
    forward_first = mismatch.forward_differs
    if mismatch.what in ("gradient", "structure") and not forward_first:
        runs = _impl_runs(run, cases, False)
        k = _forward_differs_on(info, runs[1:]) if runs else 0
        if k:   # the shrunk case kept the forward equal, but the forward check fails: that comes first
            forward_first = True
            pre = [f"diagnosis: the forward values differ from the reference on {k} of {len(runs) - 1} generic probe cases "
                   "(the forward check fails too), so these are gradients of another function; fix the forward pass first"]
    need_grads = mismatch.what in ("gradient", "structure") and not forward_first
    head = "diagnosis (of the forward difference, which comes first)" if forward_first else "diagnosis"
    impl = _impl_runs(run, cases, need_grads)
    if not impl:
        return []
    if need_grads:
        suspect = reference_gradient_suspect(info, impl)
        if suspect:
            return suspect
    if pre:
        return pre + _diagnose_outputs(run, case, impl, need_grads, head)
    return _diagnose_outputs(run, case, impl, need_grads, head)


#: relu: a case is used only when every pre-activation is this far from the kink (the FD stencil of
#: ``checks.reference_directional_fd`` starts at 1e-3 for relu; GradientsFD assumes the same margin).
RELU_FD_MARGIN = 0.1
#: Random directions per case along which the implementation's and the reference's gradients meet FD of the reference.
SUSPECT_DIRECTIONS = (1, 2)


def reference_gradient_suspect(info, impl):
    """Lines blaming the *reference* when the implementation's vjp agrees with finite differences of the reference's
    forward pass along every direction tried (on the failing case and one probe case) while the reference's autograd
    VJP (``reference.vjp``, what the gradient checks compare with) does not along some. Empty otherwise.

    The implementation agreeing with FD of the reference means it differentiates the reference's function correctly;
    the reference's autograd disagreeing with the same FD means the reference's gradient is wrong, whatever the
    implementation's dtype (so this comes before any known bug, float32 precision included)."""
    from vanishing.checks import assertions
    n = impl_ok = ref_bad = 0
    worst = None
    for c, _, grads, gscale in impl[:2]:
        if c.row.kink and not relu_margin_ok(c, RELU_FD_MARGIN):
            continue   # at relu's kink FD gives the central 1/2, a convention, not an arbiter (relu'(0) := 0 is stated)
        ref = reference.vjp(c)
        for seed in SUSPECT_DIRECTIONS:
            try:
                d = reference_directional_fd(c, seed)
            except assertions.FDInconclusive:
                continue
            n += 1
            scale = max([gscale] + [float(np.max(np.abs(v))) for v in grads.values() if np.size(v)])
            vi, vr = d.along(grads), d.along(ref)
            impl_ok += Comparison(vi, d.fd, d.tol(info.dtype, scale)).ok
            if not Comparison(vr, d.fd, d.tol(np.float64, scale)).ok:
                ref_bad += 1
                worst = worst or (vi, vr, d.fd, d.fd_err)
    if not n or impl_ok < n or not ref_bad:
        return []
    vi, vr, fd, fd_err = worst
    return [f"diagnosis: the reference's gradient is suspect, not your implementation: your vjp agrees with finite differences "
            f"of the reference's forward pass along all {n} random directions tried (on the failing case and a probe case), "
            f"but the reference's autograd VJP (reference.vjp, what this check compares with) disagrees along {ref_bad}: "
            f"e.g. ⟨vjp, w⟩ = {vi:.12g}, finite differences {fd:.12g} ± {fd_err:.2g}, reference.vjp {vr:.12g}. "
            "This is a bug in vanishing, not in your cell: please report it with the reproduce command below"]


def _reference_within(info, dtype, case, impl_out, impl_grads, gscale):
    """Whether the reference's own values (those the check compared with) are within ``dtype``'s tolerance of the
    implementation: a precision mutant explains a difference only as large as that precision's rounding."""
    ref = reference.forward(case)
    M = bounds.magnitudes(case)
    score = _worst((g, r, subnormal_floor(forward_tol(dtype, Mi), info)) for g, r, Mi in zip(impl_out, ref, M))
    if impl_grads is not None and score <= 1.0:
        rg = reference.vjp(case)
        score = max(score, _worst((impl_grads[k], rg[k], grad_tol(dtype, rg, gscale)) for k in rg))
    return score <= 1.0


def _precision_of(info, mutant):
    return np.float32 if mutant.precision == "float32" else info.dtype


def _diagnose_outputs(run, case, impl, need_grads, head):
    info = run.info
    catalogue = mutants.mutants_for(case)
    if not need_grads:
        catalogue = [m for m in catalogue if m.where == "forward"]
    refs = [_flat(reference.forward(c), reference.vjp(c) if need_grads else None) for c, *_ in impl]
    found, partial, ranked = [], [], []
    for m in catalogue:
        s0 = _cell_score(info, m, *impl[0])
        if s0 <= 1.0:
            if all(_cell_score(info, m, *x) <= 1.0 for x in impl[1:]):
                found.append(m)
                continue
            partial.append(m)
    for m in [] if found else catalogue:   # the closest known bug is ranked (costly) only when none reproduces it
        ex = min(_explained(_flat(out, grads), r, _flat(_mutant_outputs(c, m), _mutant_grads(c, m) if need_grads else None))
                 for (c, out, grads, _), r in zip(impl, refs))
        ranked.append((ex, m))
    thing = "the gradients (and values)" if need_grads else "the outputs"
    n_probe = len(impl) - 1
    n_like = sum(c.regime == "like the failing case" for c, *_ in impl[1:])
    probes = (f"{n_probe} probe case{'s' if n_probe != 1 else ''} ({n_probe - n_like} generic, {n_like} with the failing case's "
              "structure)" if n_like else f"{n_probe} generic probe case{'s' if n_probe != 1 else ''}")
    # A precision mutant stands for "the reference, rounded": it explains the failure only if the reference itself is
    # within that precision of the implementation (a larger difference, e.g. from a wrong reference gradient, is not
    # precision, whatever the declared dtype).
    # Nor does it explain an implementation that already equals the reference to its own dtype's precision (a float64
    # cell exact to 1e-16 does not "lose precision" because a float32 rounding would also pass): then nothing differs.
    exact = all(_reference_within(info, info.dtype, *x) for x in impl)
    found = [m for m in found if not m.precision or (not exact and all(_reference_within(info, _precision_of(info, m), *x)
                                                                        for x in impl))]
    if exact and not found:
        return [f"{head}: the implementation's values{' and gradients' if need_grads else ''} equal the reference's to "
                f"{info.dtype_name} precision on the failing case and {n_probe} generic probe case{'s' if n_probe != 1 else ''}: "
                "no bug explains it, so the claim the check derives from them may be wrong for this case; please report it "
                "with the reproduce command below"]
    if found:
        structural = [m for m in found if not m.precision]
        found = structural or found
        lines = [f"{head}: {thing} match the reference if {m.says} [mutant {m.name}; reproduced on the failing case and "
                 f"{probes}]" for m in found[:3]]
        if len(found) > 3:
            lines.append(f"  ({len(found) - 3} more mutants also reproduce it: {', '.join(m.name for m in found[3:])})")
        return lines
    lines = [f"{head}: no known bug reproduces {thing}: none of the {len(catalogue)} mutants in the catalogue matches on the "
             f"failing case and {probes}, so this is not a known bug. "
             "Where it lies:"]
    lines += ["  " + ln for ln in localise(run, case, need_grads)]
    # A precision mutant is judged at its own, looser tolerance: matching one (shrunk) case says nothing; left out.
    for m in [m for m in partial if not m.precision][:2]:
        lines.append(f"  mutant {m.name} ({m.says}) matches the failing case but not the generic probe cases, so it is "
                     "not the explanation")
    if ranked:
        ex, m = max(ranked, key=lambda x: x[0])
        if ex >= EXPLAINED_MIN:
            lines.append(f"  closest known bug (unconfirmed): {m.says} [mutant {m.name}] accounts for {100 * ex:.0f}% of the "
                         "difference (1 − ‖impl − mutant‖/‖impl − reference‖, worst over the cases), not all of it")
    return lines


# ---------------------------------------------------------------- localisation (what the diagnosis is when no bug is known)
def _rel(got, ref):
    """‖got − ref‖ / ‖ref‖ over a tuple or dict of arrays."""
    if isinstance(got, dict):
        got, ref = [got[k] for k in sorted(ref)], [ref[k] for k in sorted(ref)]
    d = np.concatenate([np.ravel(np.asarray(g, dtype=np.float64) - np.asarray(r, dtype=np.float64)) for g, r in zip(got, ref)])
    n = np.concatenate([np.ravel(np.asarray(r, dtype=np.float64)) for r in ref])
    nn = float(np.linalg.norm(n))
    return float(np.linalg.norm(d)) / nn if nn > 0 else float(np.linalg.norm(d))


def _discrepancy(run, c, need_grads):
    """(forward Comparisons, gradient Comparisons or {}, relative discrepancy) of the implementation on case c."""
    info = run.info
    ref = reference.forward(c)
    M = bounds.magnitudes(c)
    got = call_forward(run, c.params, c.state0, c.xs)
    fwd = {n: Comparison(g, r, subnormal_floor(forward_tol(info.dtype, m), info)) for n, g, r, m in zip(c.row.outputs, got, ref, M)}
    rel = _rel(got, ref)
    grads = {}
    if need_grads:
        gr = reference.vjp(c)
        gg = call_vjp(run, c.params, c.state0, c.xs, c.cot)
        tol = grad_tol(info.dtype, gr, bounds.gradient_scale(c))
        grads = {k: Comparison(gg[k], gr[k], tol) for k in gr}
        rel = _rel(gg, gr)
    return fwd, grads, rel


def _case_scaled(c, s):
    return c.but(params={k: v * s for k, v in c.params.items()}, regime=f"×{s:g}")


def _longer(c, T):
    reps = -(-T // c.T)
    xs = np.concatenate([c.xs] * reps)[:T]
    cot = (np.concatenate([c.cot[0]] * reps)[:T],) + tuple(c.cot[1:])
    return c.but(xs=xs, cot=cot)


def _trend(pairs, what):
    """'0.012 at ×1, 0.5 at ×4, 0.9 at ×16 (grows with saturation)'."""
    vals = [v for _, v in pairs]
    text = ", ".join(f"{v:.2g} at {k}" for k, v in pairs)
    if vals[0] > 0 and vals[-1] >= 10 * vals[0] or (vals[0] == 0 and vals[-1] > 0):
        verdict = f"grows with {what}"
    elif vals[-1] > 0 and vals[0] >= 10 * vals[-1] or (vals[-1] == 0 and vals[0] > 0):
        verdict = f"shrinks with {what}"
    else:
        verdict = f"about the same whatever the {what}"
    return f"{text} ({verdict})"


def _where(case, probes, runs, need_grads, what):
    """The forward and gradient lines of localise on one set of probe cases (``what`` names the set)."""
    out = []
    fwd_bad = [any(not x.ok for x in f.values()) for f, _, _ in runs]
    if any(fwd_bad):
        steps = sorted({int(t) + 1 for f, _, _ in runs for t in np.where((f["hs"].ratio > 1).any(axis=1))[0]})
        c_bad = sum(1 for f, _, _ in runs if "c_T" in f and not f["c_T"].ok)
        out.append(f"forward: the values differ on {sum(fwd_bad)} of {len(runs)} {what}; h_t differs at "
                   f"t = {', '.join(map(str, steps)) or 'none'}" + (f"; c_T differs on {c_bad}" if c_bad else ""))
    else:
        out.append(f"forward: the values match the reference on all {len(runs)} {what}"
                   + ("; only the gradients differ, so the bug is in the backward pass" if need_grads else ""))
    if need_grads:
        bad = {}
        for _, g, _ in runs:
            for k, c in g.items():
                if not c.ok:
                    blocks, Hp = bad.setdefault(k, set()), probes[0].H
                    order = case.row.gates
                    if order and c.ratio.ndim >= 1 and c.ratio.shape[0] == len(order) * Hp:
                        blocks |= {order[i] for i in range(len(order)) if np.any(c.ratio[i * Hp:(i + 1) * Hp] > 1)}
        keys = list(runs[0][1])
        if bad:
            desc = [k + (f" (gate blocks {', '.join(sorted(bad[k], key=case.row.gates.index))})" if bad[k] else "")
                    for k in keys if k in bad]
            ok = [k for k in keys if k not in bad]
            out.append(f"gradients on the {what}: differ w.r.t. {', '.join(desc)}" + (f"; match w.r.t. {', '.join(ok)}" if ok else ""))
            ts = sorted({int(t) + 1 for _, g, _ in runs if "xs" in g for t in np.where((g["xs"].ratio > 1).any(axis=1))[0]})
            if ts:
                out.append(f"time steps: ∂/∂x_t differs at t = {', '.join(map(str, ts))} of {probes[0].T}")
        else:
            out.append(f"gradients: match on the {what}")
    return out, any(fwd_bad) or (need_grads and bool(bad))


def _precision_line(info, rels):
    """A discrepancy of the order of float32 rounding in a float64 implementation: precision lost, said so."""
    rels = [r for r in rels if np.isfinite(r) and r > 0]
    eps32 = float(np.finfo(np.float32).eps)
    if info.dtype != np.float64 or not rels or not 1e-3 * eps32 < float(np.median(rels)) < 1e3 * eps32:
        return []
    return [f"precision: the relative discrepancy (median {float(np.median(rels)):.2g}) is of the order of float32 rounding "
            f"({eps32:.2g}), far above float64's: precision is lost somewhere (float32 arithmetic inside, or a formula "
            "that cancels)"]


def localise(run, case, need_grads):
    """Where a failure no known bug reproduces lies: forward or backward only, which outputs, parameters and gate
    blocks, which time steps, and whether it grows with saturation or with T (measured on probe cases, generic ones
    and, when the failing case has a trigger structure such as h0 = 0 or zero biases, ones with that structure)."""
    try:
        probes = probe_cases(case.kind, case.reset, run.info.dtype, n=3, pset=case.pset)
        runs = [_discrepancy(run, c, need_grads) for c in probes]
        like = [c for c in probe_cases_like(case, run.info.dtype) if not c.row.kink or relu_margin_ok(c)]
        out, base = [], probes[0]
        if like:
            words = ", ".join(TRIGGER_WORDS[t] for t in sorted(triggers(case)) if t in TRIGGER_WORDS)
            lines, shows = _where(case, like, [_discrepancy(run, c, need_grads) for c in like], need_grads,
                                  f"probe cases with the failing case's structure ({words})")
            g_lines, g_shows = _where(case, probes, runs, need_grads, "generic probe cases (H=3, D=2, T=4)")
            out += lines + g_lines
            if shows and not g_shows:
                out.append(f"so the bug needs that structure ({words}): a code path taken only there is a candidate")
                base = like[0]
        else:
            out += _where(case, probes, runs, need_grads, "probe cases (H=3, D=2, T=4)")[0]
        out += _precision_line(run.info, [r for *_, r in runs])
        sat = [(f"×{s:g}", _discrepancy(run, _case_scaled(base, s), need_grads)[2]) for s in (1, 4, 16)]
        out.append("saturation: relative discrepancy ‖impl − ref‖/‖ref‖ is " + _trend(sat, "saturation") + " (weights scaled)")
        lng = [(f"T={T}", _discrepancy(run, _longer(base, T), need_grads)[2]) for T in (1, 4, 16)]
        out.append("length: relative discrepancy is " + _trend(lng, "T"))
        return out
    except CallError as e:
        return [f"(localisation stopped: {e})"]


def _gru_preactivations(P, h, x):
    """r, z and both halves of the candidate (either reset convention stays below these terms' sum)."""
    H = h.shape[0]
    gx, gh = P["W_x"] @ x + P["b_x"], P["W_h"] @ h + P["b_h"]
    return [gx[:2 * H] + gh[:2 * H], gx[2 * H:], gh[2 * H:]]


#: The gate pre-activations of one step by family (the row's ``family``): f(canonical params, h, x) -> [arrays].
_PREACTIVATIONS = {"rnn": lambda P, h, x: [P["W_hh"] @ h + P["W_xh"] @ x + P["b"]],
                   "lstm": lambda P, h, x: [P["W_x"] @ x + P["W_h"] @ h + P["b"]],
                   "gru": _gru_preactivations, **modern_cells.PREACTIVATIONS}


def max_preactivation(case):
    """max |a| over every gate pre-activation of the reference trajectory on ``case`` (float64)."""
    pre, step = _PREACTIVATIONS[case.row.family], case.row.step
    P = case.canonical()
    state = tuple(case.state0)
    worst = 0.0
    for x in case.xs:
        worst = max([worst] + [float(np.max(np.abs(v))) for v in pre(P, state[0], x) if np.size(v)])
        state = step(P, state, x, case.reset)
    return worst


def _axes_swapped(run, mismatch):
    """A result of the wrong shape whose axes are a permutation of the expected ones: axes swapped, said so; for a stack,
    the stack mutants tried where the shapes agree (B = T), which names a batch/time swap."""
    import re
    if isinstance(mismatch.case, StackCase):
        from vanishing.checks.conformance.stack_diagnosis import diagnose_equal_sizes   # it imports the checks
        named = diagnose_equal_sizes(run, mismatch)
        if named:
            return named
    for ln in mismatch.lines:
        m = re.search(r"(\S+) has shape \(([\d, ]*)\), expected \(([\d, ]*)\)", ln)
        if m:
            got, want = [tuple(int(v) for v in g.replace(" ", "").split(",") if v) for g in m.group(2, 3)]
            if got != want and sorted(got) == sorted(want):
                return [f"diagnosis: {m.group(1)} has the expected axes in another order, {got} where {want} is expected: axes "
                        "swapped (batch and time: batch_first read the other way round; layer·direction and batch in h_n), "
                        "not a wrong size"]
    return []


def _crash_facts(run, mismatch):
    """Facts (not guesses) about a call that raised or returned non-finite values."""
    case = mismatch.case
    if is_zero_norm_at_zero(case) and getattr(mismatch, "fault", "") == "non-finite":
        return ["diagnosis: it returns NaN at max_norm = 0 with every gradient 0: coef = max_norm/‖g‖ = 0/0 (optax before its "
                "PR #1752); PyTorch's coef = 0/(‖g‖ + ε) gives zeros, and so does the reference, for every ε "
                "[mutant zero-over-zero; the trigger max_norm = 0, g = 0]"]
    swapped = _axes_swapped(run, mismatch)
    if swapped:
        return swapped
    if isinstance(case, ClipCase) or "non-finite" not in " ".join(mismatch.lines):
        return []
    with np.errstate(all="ignore"):
        a = max_preactivation(case)
    return [f"observation: the reference is finite on this case; its pre-activations reach about {a:.3g} in magnitude, "
            "so a formula that overflows there (e.g. exp(2a) in (e^{2a}−1)/(e^{2a}+1), exp(−a) in 1/(1+e^{−a})) is a candidate"]


def once_per_adapter(result, said):
    """Replace a diagnosis an earlier check of the same adapter already stated (the same mutants named, or the same lines)
    by a reference to it: a report states each diagnosis once per adapter. ``said``: {key: check name}, updated."""
    import re
    if not result.diagnosis:
        return
    named = tuple(sorted({m.group(1) for d in result.diagnosis for m in re.finditer(r"\[mutant ([^;\]]+)", d)}))
    key = named or tuple(result.diagnosis)
    if key in said:
        what = f"the same known bug{'s' if len(named) > 1 else ''}" if named else "the same diagnosis"
        result.diagnosis = [f"diagnosis: {what} as for the {said[key]} check above" + "".join(f" [mutant {n}; stated there]" for n in named)]
    else:
        said[key] = result.check


def diagnose(run, mismatch, method=""):
    """Diagnosis lines for a failing case (possibly empty); ``method``: the adapter method a clipping check compares."""
    if mismatch.what == "crash":
        return _crash_facts(run, mismatch)
    if mismatch.what == "parallel":   # parallel vs recurrent: the modern families' own naming (modern.py)
        from vanishing.checks.conformance import modern
        return modern.name_parallel(run, mismatch.case)
    if isinstance(mismatch.case, StackCase):
        from vanishing.checks.conformance.stack_diagnosis import diagnose_stack   # it imports the checks, which import us
        return diagnose_stack(run, mismatch)
    if isinstance(mismatch.case, ClipCase):
        return _diagnose_clip(run, mismatch, method)
    return _diagnose_cell(run, mismatch)
