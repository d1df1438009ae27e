"""The diagnosis: which known bug reproduces the implementation on the failing case?

Not a guess from the size of the error: each hypothesis is a mutated reference
(``mutants.py`` for cells, :data:`CLIP_NORM_MUTANTS` / :data:`CLIP_VALUE_MUTANTS` for
clipping) and is *tested*: a mutant is reported when it reproduces the implementation's
outputs (and, for a gradient failure, its vector-Jacobian products) to the same tolerance
the checks use, on the shrunk failing case *and* on generic probe cases (H = 3, D = 2,
T = 4), since a shrunk case (H = 1, zeros) cannot tell many bugs apart (a transpose of a
1×1 block changes nothing). When no single mutant reproduces it, the closest one is
named as unconfirmed.
"""

import numpy as np

from vanishing.checks import tolerances
from vanishing.checks.conformance import bounds, mutants
from vanishing.checks.conformance.cases import ClipCase, probe_cases, probe_clip_cases
from vanishing.checks.conformance.checks import (
    error_ratio,
    forward_tol,
    grad_tol,
    gradient_scale,
    norm_tol,
)
from vanishing.checks.conformance.protocol import (
    CallError,
    call_clip_norm,
    call_clip_value,
    call_forward,
    call_vjp,
)
from vanishing.models import clipping

__all__ = ["CLIP_NORM_MUTANTS", "CLIP_VALUE_MUTANTS", "diagnose"]


def _worst(pairs_with_tols):
    w = 0.0
    for got, ref, tol in pairs_with_tols:
        _, _, ratio = error_ratio(got, ref, tol)
        if np.size(ratio):
            w = max(w, float(np.max(ratio)))
    return w


def _cell_score(info, mutant, case, impl_out, impl_grads, gscale=0.0):
    """Worst err/allowed of the mutant against the implementation on one case (≤ 1: reproduced)."""
    dtype = np.float32 if mutant.precision == "float32" else info.dtype
    with np.errstate(all="ignore"):
        mo = mutants.run(case.kind, case.params, case.state0, case.xs, case.reset, **mutant.opts)
    mo = tuple(np.asarray(o, dtype=np.float64) for o in mo)
    if not all(np.all(np.isfinite(o)) for o in mo):
        return np.inf
    M = bounds.magnitudes(case.kind, case.params, case.state0, case.xs, case.reset)
    score = _worst((g, m, forward_tol(dtype, Mi)) for g, m, Mi in zip(impl_out, mo, M))
    if impl_grads is not None and score <= 1.0:
        mg = mutants.vjp(case.kind, case.params, case.state0, case.xs, case.cot, case.reset, **mutant.opts)
        mg = {k: np.asarray(v, dtype=np.float64) for k, v in mg.items()}
        tol = grad_tol(dtype, mg, gscale)
        score = max(score, _worst((impl_grads[k], mg[k], tol) for k in mg))
    return score


def _diagnose_cell(info, mismatch):
    case = mismatch.case
    need_grads = mismatch.what in ("gradient", "structure")
    cases = [case] + probe_cases(case.kind, case.reset, info.dtype)
    impl = []
    for c in cases:
        try:
            out = call_forward(info, c.params, c.state0, c.xs)
            grads = call_vjp(info, c.params, c.state0, c.xs, c.cot) if need_grads else None
        except CallError:
            if c is case:
                return []
            continue
        impl.append((c, out, grads, gradient_scale(c) if need_grads else 0.0))
    catalogue = mutants.mutants_for(case.kind, case.reset)
    if not need_grads:
        catalogue = [m for m in catalogue if m.where == "forward"]
    found, scores = [], []
    for m in catalogue:
        s0 = _cell_score(info, m, *impl[0])
        scores.append((s0, m))
        if s0 <= 1.0 and all(_cell_score(info, m, *x) <= 1.0 for x in impl[1:]):
            found.append(m)
    thing = "the gradients (and values)" if need_grads else "the outputs"
    n_probe = len(impl) - 1
    if found:
        structural = [m for m in found if not m.precision]
        found = structural or found
        lines = [f"diagnosis: {thing} match the reference if {m.says} [mutant {m.name}; reproduced on the failing case and "
                 f"{n_probe} generic probe case{'s' if n_probe != 1 else ''}]" for m in found[:3]]
        if len(found) > 3:
            lines.append(f"  ({len(found) - 3} more mutants also reproduce it: {', '.join(m.name for m in found[3:])})")
        return lines
    s, m = min(scores, key=lambda x: x[0])
    return [f"diagnosis: none of the {len(catalogue)} known bugs reproduces {thing}; the closest hypothesis is that {m.says} "
            f"(mutant {m.name}, still off by {s:.3g}× the tolerance on the failing case), so this is likely another bug or "
            "a combination"]


# ---------------------------------------------------------------- clipping
def _norm(gs):
    return clipping.global_norm(list(gs))


def _scaled(gs, c):
    return [g * c for g in gs]


def _norm_after(clipped):
    return clipped, _norm(clipped)


#: (name, what it says, f(grads, max_norm, eps) -> (clipped, returned norm or None))
CLIP_NORM_MUTANTS = [
    ("global-eps-0", "it clips by the global norm with ε = 0 (coef = max_norm/‖g‖) where ε = {eps:g} is declared",
     lambda gs, c, eps: clipping.clip_by_global_norm(gs, c, 0.0)),
    ("global-eps-torch", "it clips by the global norm with PyTorch's ε = 1e-6 where ε = {eps:g} is declared",
     lambda gs, c, eps: clipping.clip_by_global_norm(gs, c, 1e-6)),
    ("per-tensor", "it clips each array by its own norm (per tensor, like Keras clipnorm) where a global norm is claimed",
     lambda gs, c, eps: (clipping.clip_by_norm_per_tensor(gs, c, eps)[0], None)),
    ("by-value", "it clamps every entry to ±max_norm (clipping by value) where clipping by norm is claimed",
     lambda gs, c, eps: (clipping.clip_by_value(gs, c), None)),
    ("no-clipping", "it does not clip at all", lambda gs, c, eps: (list(gs), None)),
    ("always-rescale", "it rescales to max_norm even when the norm is already below it (coef = max_norm/‖g‖ always)",
     lambda gs, c, eps: (_scaled(gs, float(np.float64(c) / np.float64(_norm(gs)))) if _norm(gs) > 0 else list(gs), _norm(gs))),
    ("returns-norm-after", "it returns the norm after clipping where the norm before clipping is claimed",
     lambda gs, c, eps: _norm_after(clipping.clip_by_global_norm(gs, c, eps)[0])),
    ("squared-norm", "it divides by the squared norm: coef = min(1, max_norm/‖g‖²)",
     lambda gs, c, eps: (_scaled(gs, min(1.0, float(np.float64(c) / np.float64(_norm(gs)) ** 2))) if _norm(gs) > 0
                         else list(gs), _norm(gs))),
]

CLIP_VALUE_MUTANTS = [
    ("by-global-norm", "it clips by the global norm with max_norm = v where clipping by value is claimed",
     lambda gs, v: clipping.clip_by_global_norm(gs, v)[0]),
    ("per-tensor-norm", "it clips each array by its norm where clipping by value is claimed",
     lambda gs, v: clipping.clip_by_norm_per_tensor(gs, v)[0]),
    ("upper-only", "it clamps only from above: min(g, v), the lower bound −v is missing", lambda gs, v: [np.minimum(g, v) for g in gs]),
    ("lower-only", "it clamps only from below: max(g, −v)", lambda gs, v: [np.maximum(g, -v) for g in gs]),
    ("no-clipping", "it does not clip at all", lambda gs, v: list(gs)),
]


def _clip_reproduces(info, impl, want, tol_dtype):
    got, total = impl
    clipped, norm = want
    scale = max((float(np.max(np.abs(g))) for g in got if np.size(g)), default=0.0)
    tol = tolerances.value(tol_dtype, scale=max(scale, float(max((np.max(np.abs(c)) for c in clipped if np.size(c)), default=0.0))))
    s = _worst((g, np.asarray(c, dtype=np.float64), tol) for g, c in zip(got, clipped))
    if norm is not None and total is not None:
        s = max(s, _worst([(total, norm, norm_tol(tol_dtype, sum(int(np.size(g)) for g in got)))]))
    return s


def _diagnose_clip(info, mismatch, check):
    case = mismatch.case
    cases = [case] + probe_clip_cases(info.dtype)
    impl = []
    for c in cases:
        try:
            impl.append((c, call_clip_norm(info, c.grads, c.threshold) if check == "clip-norm"
                         else (call_clip_value(info, c.grads, c.threshold), None)))
        except CallError:
            if c is case:
                return []
    table = CLIP_NORM_MUTANTS if check == "clip-norm" else CLIP_VALUE_MUTANTS
    found, scores = [], []
    for name, says, fn in table:
        if (name == "global-eps-0" and info.clip_eps == 0.0) or (name == "global-eps-torch" and info.clip_eps == 1e-6):
            continue   # that is the declared behaviour itself, not a bug
        def want(c, fn=fn):
            with np.errstate(all="ignore"):
                r = fn(c.grads, c.threshold, info.clip_eps) if check == "clip-norm" else (fn(c.grads, c.threshold), None)
            return r
        s0 = _clip_reproduces(info, impl[0][1], want(impl[0][0]), info.dtype)
        scores.append((s0, name, says))
        if s0 <= 1.0 and all(_clip_reproduces(info, x[1], want(x[0]), info.dtype) <= 1.0 for x in impl[1:]):
            found.append((name, says))
    n_probe = len(impl) - 1
    if found:
        return [f"diagnosis: the results match if {says.format(eps=info.clip_eps)} [mutant {name}; reproduced on the failing "
                f"case and {n_probe} generic probe cases]" for name, says in found[:3]]
    s, name, says = min(scores)
    return [f"diagnosis: none of the {len(table)} known clipping bugs reproduces it; the closest hypothesis is that "
            f"{says.format(eps=info.clip_eps)} (mutant {name}, off by {s:.3g}× the tolerance)"]


def _crash_facts(mismatch):
    """Facts (not guesses) about a call that raised or returned non-finite values."""
    case = mismatch.case
    if isinstance(case, ClipCase) or "non-finite" not in " ".join(mismatch.lines):
        return []
    M = bounds.magnitudes(case.kind, case.params, case.state0, case.xs, case.reset)
    return [f"observation: the reference is finite on this case; its pre-activations reach about {float(np.max(M[0])):.3g} "
            "in magnitude, so a formula that overflows there (e.g. exp(2a) in (e^{2a}−1)/(e^{2a}+1)) is a candidate"]


def diagnose(info, mismatch, check=""):
    """Diagnosis lines for a failing case (possibly empty)."""
    if mismatch.what == "crash":
        return _crash_facts(mismatch)
    if isinstance(mismatch.case, ClipCase):
        return _diagnose_clip(info, mismatch, check)
    return _diagnose_cell(info, mismatch)
