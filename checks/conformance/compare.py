"""The validator's comparisons: one ``checks.comparison.Comparison`` per array, recorded, and located in words.

:func:`compare` records the worst entry of each comparison in the active ``recording.recording()`` (the run's
max |error|/allowed); :func:`compare_outputs` and :func:`compare_grads` turn the comparisons that fail into
the located lines a report shows (which output, time step, unit, gate block), with the worst
(ratio, err, allowed, rel) for :class:`Mismatch`.
"""

import numpy as np

from vanishing.checks import recording
from vanishing.checks.comparison import Comparison
from vanishing.checks.conformance.tolerance import forward_tol, subnormal_floor
from vanishing.models import kinds

__all__ = ["Mismatch", "compare", "compare_grads", "compare_outputs", "worse"]


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


def compare(got, expected, tol, label=""):
    """A ``Comparison``, recorded (its worst entry) in the active ``recording.recording()``."""
    c = Comparison(got, expected, tol, label)
    if c.ratio.size:
        recording.record_comparison(label, c.worst_err, c.worst_allowed)
    return c


def worse(worst, c):
    """The (ratio, err, allowed, rel) of whichever is worse: ``worst`` or comparison ``c``."""
    t = c.triple() + (c.rel,)
    return t if t[0] > worst[0] else worst


def compare_outputs(names, got, ref, M, dtype, prefix="", info=None):
    """Located lines for every output that differs, and the worst (ratio, err, allowed, rel) (empty lines: all conform)."""
    lines, worst = [], (0.0, 0.0, 0.0, 0.0)
    for name, g, r, m in zip(names, got, ref, M):
        c = compare(g, r, subnormal_floor(forward_tol(dtype, m), info), f"{prefix}{name}")
        worst = worse(worst, c)
        if c.ok:
            continue
        err, allowed, ratio, w = c.err, c.allowed, c.ratio, c.worst
        sym = {"hs": "h_t"}.get(name, name)
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


def gate_blocks(row, shape, H):
    """The gate names of the H-row blocks an array of ``shape`` stacks for ``row`` ("" when it stacks none)."""
    return row.gates if row.gates and len(shape) >= 1 and shape[0] == len(row.gates) * H else ""


def _locate(row, key, idx, H, shape=()):
    gates = gate_blocks(row, shape, H)
    if gates:
        return f"[{', '.join(map(str, idx))}] (gate {gates[idx[0] // H]} block)"
    if key == "xs":
        return f"[t={idx[0] + 1}, {idx[1]}]"
    return "[" + ", ".join(map(str, idx)) + "]"


def compare_grads(kind, got, ref, tol, H, label="∂/∂"):
    """Located lines for every gradient key that differs, and the worst (ratio, err, allowed, rel)."""
    row = kinds.row(kind)
    lines, worst = [], (0.0, 0.0, 0.0, 0.0)
    for k in ref:
        c = compare(got[k], ref[k], tol, f"{label}{k}")
        worst = worse(worst, c)
        if c.ok:
            continue
        err, ratio, w, allowed = c.err, c.ratio, c.worst, c.allowed
        line = (f"the gradient w.r.t. {k} differs in {c.n_bad} of {err.size} entries, max abs {float(np.max(err)):.3g}; worst at "
                f"{_locate(row, k, w, H, np.shape(ref[k]))}: got {float(got[k][w]):.17g}, expected {float(ref[k][w]):.17g}, "
                f"|error| {float(err[w]):.3g} > allowed {float(allowed[w]):.3g}")
        if not np.any(got[k]) and np.any(ref[k]):
            line += (f"; the {k} gradient is zero: is {k} used?" if k not in ("xs",) + row.state_keys
                     else f"; the {k} gradient is zero")
        gates = gate_blocks(row, np.shape(ref[k]), H)
        if gates:
            line += f"; gate blocks affected: {', '.join(g for i, g in enumerate(gates) if np.any(ratio[i * H:(i + 1) * H] > 1))}"
        lines.append(line)
    if lines:
        lines.append(f"  (tolerance: rtol {tol.rtol:.2e}, atol {float(np.max(tol.atol)):.2e}: {tol.reason})")
    return lines, worst
