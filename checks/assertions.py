"""The assertions of a check: closeness, the claim's own inequality, structure, closeness to finite differences.

Each compares through :class:`~vanishing.checks.comparison.Comparison` (or, for an inequality, the ratio
value/bound), takes its tolerance from ``vanishing.checks.tolerances``, notes what it saw in the active
:class:`~vanishing.checks.recording.Recorder`, and raises with a message that names the label, the worst entry,
both values, the error against the allowed one and the tolerance's reason.

:class:`Counterexample` (raised by :func:`literal` and by ``literal=True``) is the only exception that refutes
the literal statement of a ``c.refutes`` property; :class:`FDInconclusive` says finite differences could not decide.
"""

from fractions import Fraction

import numpy as np

from vanishing.checks import recording, tolerances
from vanishing.checks.comparison import Comparison

__all__ = ["Counterexample", "FDInconclusive", "literal", "assert_close", "assert_le", "assert_structure",
           "assert_close_fd", "diagonal_mask"]


class Counterexample(AssertionError):
    """The literal statement of a ``c.refutes`` property is false on this input.

    Only this exception counts as a refutation: any other failure inside a refutes
    property (a premise, an oracle disagreement, a model error) is reported as an
    error of the check, never as evidence against the statement.
    """


def literal(condition, message):
    """Assert the literal (source) statement inside a ``c.refutes`` property: raises Counterexample when false."""
    if not condition:
        raise Counterexample(message)


class FDInconclusive(AssertionError):
    """Finite differences could not decide: scipy did not converge, or its error estimate is too wide.

    An AssertionError, so a check that hits it fails loudly; it never passes and never
    widens a tolerance. The message gives the reason (entries, statuses, steps tried).
    """


def _fail(msg, reproduce, literal):
    """Raise the failure ``msg`` (with its reproduce line): a Counterexample for a literal statement, else an AssertionError."""
    if reproduce:
        msg += f"\nreproduce: {reproduce}"
    raise (Counterexample if literal else AssertionError)(msg)


def assert_close(actual, expected, tol, label, reproduce="", literal=False):
    """Assert ``|actual - expected| <= tol.atol + tol.rtol*|expected|`` elementwise (a :class:`Comparison`).

    The failure message names the label, the worst entry, both values, the
    error, the allowed error, the tolerance's reason and the sizes. With
    ``literal=True`` (the literal statement of a refutes property) a failure
    raises :class:`Counterexample`, the only exception that refutes.
    """
    recording.record_override(tol)
    cmp = Comparison(actual, expected, tol, label)
    if not cmp.shape_ok:
        raise AssertionError(cmp.describe())
    bad = cmp.nonfinite()
    if bad is not None:
        raise AssertionError(f"{label}: non-finite value at index {bad}: got {float(cmp.got[bad])!r}, expected {float(cmp.expected[bad])!r}")
    if not cmp.size:
        return
    recording.record_comparison(label, cmp.worst_err, cmp.worst_allowed)
    if not cmp.ok:
        _fail(cmp.describe(), reproduce, literal)


def assert_le(value, bound, tol, label, literal=False, reproduce=""):
    """The claim's own inequality ``value <= bound`` elementwise, up to ``tol.bound(bound)`` (rounding of the bound).

    Records the worst ratio value/bound (the claim's margin, with the input being run) in the active
    :class:`Recorder`. A bound ≤ 0 has no ratio: it counts as 1 (at the bound) when value > bound within the
    tolerance, else 0 (so 0 ≤ 0, a degenerate input, does not hide the inputs that come close to a positive bound).
    With ``literal=True`` (the literal statement of a refutes property) a failure raises Counterexample.
    """
    recording.record_override(tol)
    if isinstance(value, Fraction) or isinstance(bound, Fraction):
        return _assert_le_exact(Fraction(value), Fraction(bound), tol, label, literal, reproduce)
    v = np.asarray(value, dtype=np.float64)
    b = np.asarray(bound, dtype=np.float64)
    v, b = np.broadcast_arrays(v, b)
    if v.size == 0:
        return
    if not (np.all(np.isfinite(b)) and not np.any(np.isnan(v))):
        raise AssertionError(f"{label}: non-finite bound or NaN value: value {v.tolist()!r}, bound {b.tolist()!r}")
    allowed = b + np.broadcast_to(tol.bound(b), b.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(b > 0, v / np.where(b > 0, b, 1.0), np.where(v > b, 1.0, 0.0))
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.ndim else ()
    rec = recording.active()
    if rec is not None:
        rec.note_bound(label, v[worst], b[worst], ratio[worst])
    bad = v > allowed
    if np.any(bad):
        i = np.unravel_index(int(np.argmax(np.where(bad, v - allowed, -np.inf))), v.shape) if v.ndim else ()
        _fail(f"{label}: {float(v[i])!r} exceeds the bound {float(b[i])!r} (allowed up to {float(allowed[i])!r}, {tol.reason})"
              + (f"; {int(np.count_nonzero(bad))} of {v.size} entries" if v.size > 1 else ""), reproduce, literal)


def _assert_le_exact(v, b, tol, label, literal, reproduce):
    """assert_le in exact rational arithmetic (a check that compares the exact value of float64 data)."""
    def as_float(q):                     # a rational beyond the float range (an exploded gradient, squared) shows as ±inf
        try:
            return float(q)
        except OverflowError:
            return np.inf if q > 0 else -np.inf
    allowed = b + Fraction(float(np.max(tol.atol))) + Fraction(tol.rtol) * abs(b)
    ratio = as_float(v / b) if b > 0 else (1.0 if v > b else 0.0)
    rec = recording.active()
    if rec is not None:
        rec.note_bound(label, as_float(v), as_float(b), ratio)
    if v > allowed:
        _fail(f"{label}: {as_float(v)!r} exceeds the bound {as_float(b)!r} (exactly, in rational arithmetic; "
              f"allowed up to {as_float(allowed)!r}, {tol.reason})", reproduce, literal)


def diagonal_mask(n):
    """Boolean mask of the entries allowed to be non-zero in an (n, n) diagonal matrix."""
    return np.eye(n, dtype=bool)


def assert_structure(J, allowed_nonzero, tol, label):
    """Every entry of ``J`` outside ``allowed_nonzero`` is zero to within ``tol``, checked entry by entry.

    Random projections miss mostly-zero Jacobians; this does not.
    """
    recording.record_override(tol)
    J = np.asarray(J, dtype=np.float64)
    mask = np.asarray(allowed_nonzero, dtype=bool)
    if mask.shape != J.shape:
        raise ValueError(f"assert_structure: mask shape {mask.shape} != Jacobian shape {J.shape}")
    off = Comparison(np.where(mask, 0.0, J), np.zeros(J.shape), tol, label + " (structure)")   # allowed: tol.atol
    if not off.size:
        return
    recording.record_comparison(off.label, off.worst_err, off.worst_allowed)
    if not off.ok:
        raise AssertionError(f"{label}: structure violated: {off.n_bad} entries must be zero but are not; worst at index "
                             f"{off.where} = {off.worst_got!r} (allowed {off.worst_allowed:.3e}, {tol.reason})")


def assert_close_fd(actual, fd_value, fd_err, label, dtype=np.float64, scale=1.0, reproduce=""):
    """``actual`` against a finite-difference estimate with error ``fd_err``, the tolerance capped.

    The tolerance is ``tolerances.fd`` (FD_SAFETY x estimate + analytic floor), but never wider than
    ``FD_CAP_RTOL x scale`` plus the floor. Entries the cap binds are counted in the active Recorder
    (``fd_capped``). A difference beyond the cap that the uncapped tolerance would forgive raises
    :class:`FDInconclusive`: finite differences cannot decide there. A difference beyond both fails.
    """
    a = np.asarray(actual, dtype=np.float64)
    d = np.asarray(fd_value, dtype=np.float64)
    err = np.broadcast_to(np.asarray(fd_err, dtype=np.float64), d.shape)
    tol = tolerances.fd(err, dtype, scale=scale)
    floor = tolerances.analytic(dtype, scale)
    cap = tolerances.FD_CAP_RTOL * float(scale)
    wide = tolerances.FD_SAFETY * err > cap
    rec = recording.active()
    if rec is not None:
        rec.fd_entries += int(d.size)
        rec.fd_capped += int(np.count_nonzero(wide))
    if not np.any(wide):
        return assert_close(a, d, tol, label, reproduce)
    capped = tolerances.Tol(rtol=tol.rtol, atol=floor.atol + np.minimum(tolerances.FD_SAFETY * err, cap),
                            reason=f"{tol.reason}, capped at {tolerances.FD_CAP_RTOL:g} x scale {float(scale):.3g}")
    try:
        assert_close(a, d, capped, label, reproduce)
    except AssertionError as e:
        if Comparison(a, d, tol).ok:                                   # the uncapped tolerance forgives it
            k = tuple(int(i) for i in np.argwhere(wide)[0])
            raise FDInconclusive(f"{label}: finite differences cannot decide: {int(np.count_nonzero(wide))} of {d.size} "
                                 f"entries have FD error estimates whose tolerance ({tolerances.FD_SAFETY:g} x estimate, "
                                 f"e.g. {tolerances.FD_SAFETY * float(err[k]):.3e} at {k}) exceeds the cap "
                                 f"{tolerances.FD_CAP_RTOL:g} x scale = {cap:.3e}, and the difference lies between the two. {e}") from None
        raise

