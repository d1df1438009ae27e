"""The one comparison: ``|got − expected| ≤ tol.bound(expected)`` elementwise, as an object that never raises.

Every comparison in the project goes through :class:`Comparison`: the oracles' ``assert_close``, the
validator's checks, the reference cross-check, and the proofs' ties to the code. It keeps the worst
ratio |error| / allowed and the entry where it was reached, and states its tolerance and the reason for it
(``tol.reason``, from ``vanishing.checks.tolerances``). Raising, recording and wording are the callers'.

A NaN error, or a NaN/inf on either side, counts as infinitely bad; a shape mismatch is infinitely bad at
index ``()`` (``shape_ok`` says which). An empty comparison is within tolerance.
"""

import numpy as np

__all__ = ["Comparison", "worst_of"]


class Comparison:
    """One elementwise comparison of ``got`` with ``expected`` under ``tol`` (``tolerances.Tol``).

    ``err``, ``allowed`` and ``ratio`` = err/allowed are arrays of the compared shape; ``worst`` is the index of
    the largest ratio and ``ok`` says whether every entry is within its allowed error.
    """

    def __init__(self, got, expected, tol, label=""):
        self.label, self.tol = label, tol
        self.got = np.asarray(got, dtype=np.float64)
        self.expected = np.asarray(expected, dtype=np.float64)
        self.shape_ok = self.got.shape == self.expected.shape
        if not self.shape_ok:
            self.err = self.allowed = self.ratio = np.array(np.inf)
            self.allowed = np.array(0.0)
            self.worst = ()
            return
        with np.errstate(all="ignore"):   # err/allowed overflows to inf when allowed is near the underflow floor
            self.err = np.abs(self.got - self.expected)
            self.err = np.where(np.isnan(self.err), np.inf, self.err)
            self.allowed = np.broadcast_to(tol.bound(self.expected), self.err.shape)
            self.ratio = np.where(self.allowed > 0, self.err / np.where(self.allowed > 0, self.allowed, 1.0),
                                  np.where(self.err > 0, np.inf, 0.0))
        self.worst = np.unravel_index(int(np.argmax(self.ratio)), self.ratio.shape) if self.ratio.size else ()

    @property
    def size(self):
        return int(self.ratio.size) if self.shape_ok else 1

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
    def worst_got(self):
        return float(self.got[self.worst]) if self.shape_ok and self.ratio.size else np.nan

    @property
    def worst_expected(self):
        return float(self.expected[self.worst]) if self.shape_ok and self.ratio.size else np.nan

    @property
    def worst_err(self):
        return float(self.err[self.worst]) if self.ratio.size else 0.0

    @property
    def worst_allowed(self):
        return float(self.allowed[self.worst]) if self.ratio.size else 0.0

    @property
    def where(self):
        """The worst entry's index as a tuple of ints."""
        return tuple(int(i) for i in self.worst)

    @property
    def rel(self):
        """|error| / max(|got|, |expected|) at the worst entry (0 when both are 0)."""
        if not (self.shape_ok and self.ratio.size):
            return 0.0 if self.shape_ok else np.inf
        scale = max(abs(self.worst_got), abs(self.worst_expected))
        return self.worst_err / scale if scale > 0 else 0.0

    def nonfinite(self):
        """The index of the first entry where either side is NaN or ±inf, as a tuple of ints; None when all are finite."""
        if not self.shape_ok:
            return None
        bad = np.argwhere(~(np.isfinite(self.got) & np.isfinite(self.expected)))
        return tuple(int(i) for i in bad[0]) if len(bad) else None

    def triple(self):
        """(ratio, |error|, allowed) at the worst entry."""
        if not self.ratio.size:
            return (0.0, 0.0, 0.0)
        return (self.max_ratio, self.worst_err, self.worst_allowed)

    @property
    def reason(self):
        return str(getattr(self.tol, "reason", ""))

    def describe(self):
        """One line: how many entries differ, the worst one with both values, its error against the allowed one and why."""
        if not self.shape_ok:
            return f"{self.label}: shape mismatch, got {self.got.shape}, expected {self.expected.shape}"
        return (f"{self.label}: {self.n_bad} of {self.err.size} entries differ (shape {self.expected.shape}); worst at index "
                f"{self.where}: got {self.worst_got!r}, expected {self.worst_expected!r}, |error| {self.worst_err:.3e} "
                f"{'>' if not self.ok else '≤'} allowed {self.worst_allowed:.3e} (rtol {float(self.tol.rtol):.2e}, {self.reason})")


def worst_of(comparisons):
    """The comparison with the largest worst ratio (None for none)."""
    best = None
    for c in comparisons:
        if best is None or c.max_ratio > best.max_ratio:
            best = c
    return best
