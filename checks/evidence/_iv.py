"""Branch and bound with mpmath's interval arithmetic (``mpmath.iv``, outward rounding).

:func:`certify` proves a predicate on every point of a box by subdivision: the predicate gets a box of
``iv.mpf`` intervals and answers True (certified on the whole box), False (certainly violated
somewhere, e.g. the enclosure lies entirely on the wrong side) or None (undecided: split the box
along its widest side). Any False, or more than ``max_boxes`` boxes, is a failure.
"""

import mpmath
from mpmath import iv
from vanishing.checks.evidence import ensure

__all__ = ["IV_PREC", "I", "certify", "version"]

#: Binary precision of the interval arithmetic.
IV_PREC = 80


def I(lo, hi=None):
    """The interval [lo, hi] (exact endpoints given as strings, ints or floats)."""
    return iv.mpf([lo, lo if hi is None else hi])


def version():
    return f"mpmath {mpmath.__version__} iv (outward rounding, {IV_PREC}-bit)"


def certify(label, pred, box, max_boxes=20000):
    """Prove pred on every point of ``box`` (a list of (lo, hi) pairs); returns the number of boxes used."""
    old = iv.prec
    iv.prec = IV_PREC
    try:
        stack = [[iv.mpf([lo, hi]) for lo, hi in box]]
        n = 0
        while stack:
            b = stack.pop()
            n += 1
            ensure(n <= max_boxes, f"{label}: undecided after {max_boxes} boxes (last box {b})")
            r = pred(b)
            ensure(r is not False, f"{label}: violated on the box {[str(x) for x in b]}")
            if r is None:
                k = max(range(len(b)), key=lambda i: b[i].delta)
                lo, hi = b[k].a, b[k].b
                mid = lo + (hi - lo) / 2
                for part in (iv.mpf([lo, mid]), iv.mpf([mid, hi])):
                    stack.append(b[:k] + [part] + b[k + 1:])
        return n
    finally:
        iv.prec = old
