"""The diagnosis of a clipping function: which known clipping bug reproduces it, on the failing case and probe cases.

Each hypothesis is a function of (grads, threshold[, ε]) (:data:`CLIP_NORM_MUTANTS`, :data:`CLIP_VALUE_MUTANTS`),
tested like the cells' mutants (``diagnosis.py``): reported when it reproduces the implementation on the failing
case and on generic probe cases (and, for a threshold near ‖g‖, probes as near). Otherwise the arrays' scaling
factors are located (a list processed in chunks shows as two groups).
"""

import numpy as np

from vanishing.checks import tolerances
from vanishing.checks.comparison import Comparison
from vanishing.checks.conformance.cases import ClipCase, probe_clip_cases
from vanishing.checks.conformance.protocol import CallError, call_clip_norm, call_clip_value
from vanishing.checks.conformance.tolerance import norm_tol
from vanishing.checks.conformance.trigger_cases import triggers
from vanishing.models import clipping

__all__ = ["CLIP_NORM_MUTANTS", "CLIP_VALUE_MUTANTS"]


def _worst(pairs_with_tols):
    w = 0.0
    for got, ref, tol in pairs_with_tols:
        w = max(w, Comparison(got, ref, tol).max_ratio)
    return w


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
    ("scales-only-above-max-norm", "it scales only when ‖g‖ > max_norm, where coef = max_norm/(‖g‖ + ε) < 1 already for "
     "‖g‖ in (max_norm − ε, max_norm] (PyTorch clamps the factor, min(1, max_norm/(‖g‖ + ε)), it does not test the norm)",
     lambda gs, c, eps: (list(gs), _norm(gs)) if _norm(gs) <= c else clipping.clip_by_global_norm(gs, c, eps)),
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


#: The clipping methods' catalogues: method → (mutants, (clipped, returned norm or None) of an implementation's call,
#: of a mutant's result).
_CLIP = {
    "clip_grad_norm": (CLIP_NORM_MUTANTS, lambda run, c: call_clip_norm(run, c.grads, c.threshold),
                       lambda fn, c, eps: fn(c.grads, c.threshold, eps)),
    "clip_grad_value": (CLIP_VALUE_MUTANTS, lambda run, c: (call_clip_value(run, c.grads, c.threshold), None),
                        lambda fn, c, eps: (fn(c.grads, c.threshold), None)),
}


def _diagnose_clip(run, mismatch, method):
    info = run.info
    case = mismatch.case
    cases = [case] + probe_clip_cases(info.dtype) + _near_norm_probes(case)
    table, call, result = _CLIP[method]
    impl = []
    for c in cases:
        try:
            impl.append((c, call(run, c)))
        except CallError:
            if c is case:
                return []
    found, scores = [], []
    for name, says, fn in table:
        if (name == "global-eps-0" and info.clip_eps == 0.0) or (name == "global-eps-torch" and info.clip_eps == 1e-6):
            continue   # that is the declared behaviour itself, not a bug
        if name == "scales-only-above-max-norm" and info.clip_eps == 0.0:
            continue   # with ε = 0 it is the reference
        def score(x, fn=fn):
            with np.errstate(all="ignore"):
                try:
                    return _clip_reproduces(info, x[1], result(fn, x[0], info.clip_eps), info.dtype)
                except ValueError:   # a mutant undefined on the case (clipping by value at max_norm = 0)
                    return np.inf
        s0 = score(impl[0])
        scores.append((s0, name, says))
        if s0 <= 1.0 and all(score(x) <= 1.0 for x in impl[1:]):
            found.append((name, says))
    n_probe, n_near = len(impl) - 1, len(_near_norm_probes(case))
    near = f" ({n_near} with max_norm as near ‖g‖ as the failing case's)" if n_near else ""
    if found:
        return [f"diagnosis: the results match if {says.format(eps=info.clip_eps)} [mutant {name}; reproduced on the failing "
                f"case and {n_probe} probe cases{near}]" for name, says in found[:3]]
    s, name, says = min(scores)
    where = _clip_where(info, case, impl[0][1])
    if s <= 1.0:
        return [f"diagnosis: none of the {len(table)} known clipping bugs reproduces it; mutant {name} "
                f"({says.format(eps=info.clip_eps)}) matches the failing case but not the generic probe cases, so it is "
                "not the explanation: this is not a known bug"] + where
    return [f"diagnosis: none of the {len(table)} known clipping bugs reproduces it, so this is not a known bug (the nearest, "
            f"mutant {name}, {says.format(eps=info.clip_eps)}, is off by {s:.3g}× the tolerance on the failing case)"] + where


def _near_norm_probes(case):
    """Probe cases as near ‖g‖ as the failing case's threshold (its offset from ‖g‖ kept), when it is near: a bug at the
    boundary shows there, where the generic probes (far from it) cannot tell it from the reference."""
    if "near-norm" in triggers(case):
        off, out = case.threshold - _norm(case.grads), []
        for c in probe_clip_cases(case.dtype)[:2]:
            n = _norm(c.grads)
            ulps = 8 * float(np.finfo(case.dtype).eps) * n   # off the exact tie, on the failing case's side of it
            out.append(ClipCase(c.grads, float(n + (max(off, ulps) if off >= 0 else min(off, -ulps))), c.dtype))
        return out
    return []


def _clip_where(info, case, impl):
    """How the failing case's arrays were scaled: runs of arrays sharing one factor (a chunked multi-tensor path shows
    as two runs), against the reference's one factor."""
    if len(case.grads) < 2 or not case.threshold > 0:
        return []
    coefs = []
    for c, g in zip(impl[0], case.grads):
        gg = float(np.vdot(g, g))
        coefs.append(float(np.vdot(c, g)) / gg if gg > 0 else None)
    runs, start = [], 0
    same = lambda a, b: a is not None and b is not None and abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-300)
    for i in range(1, len(coefs) + 1):
        if i == len(coefs) or not same(coefs[i], coefs[start]):
            runs.append((start, i - 1, coefs[start]))
            start = i
    if len(runs) < 2 or any(k is None for *_, k in runs):
        return []
    ref = clipping.clip_by_global_norm(case.grads, case.threshold, eps=info.clip_eps)
    want = min(1.0, case.threshold / (ref[1] + info.clip_eps)) if ref[1] > 0 else 1.0
    text = ", ".join(f"arrays {a}–{b}" if b > a else f"array {a}" for a, b, _ in runs)
    return [f"  where it lies: the {len(case.grads)} arrays are scaled in {len(runs)} groups ({text}) by the factors "
            f"{', '.join(f'{k:.6g}' for *_, k in runs)}, where the global norm scales all of them by {want:.6g}: "
            "the arrays are not all counted in one norm (a list processed in chunks?)"]


