"""Parallel scans for the diagonal linear recurrences h_t = a_t ⊙ h_{t−1} + b_t of the modern cells.

Two parallel forms, each checked against the sequential loop (tests/models/test_mingru.py, test_lru.py, test_mamba.py and the claims):

* :func:`linear_scan`: the associative scan of Blelloch (1990) in the Hillis–Steele order (⌈log₂ T⌉ rounds), on the
  pairs (a, b) with (a_i, b_i) then (a_j, b_j) = (a_j a_i, a_j b_i + b_j) (Orvieto et al. 2023, Appendix A,
  ``binary_operator_diag``; Gu & Dao 2023, §3.3.2); ``complex_pairs=True`` runs it on complex a, b held as real
  (re, im) pairs (the LRU's diagonal λ), so the models stay real for autograd and the input validation.
* :func:`log_scan`: Heinsen (2023), §2: log h_t = a*_t + log(h_0 + b*_t), a*_t = Σ_{s≤t} log a_s,
  b*_t = Σ_{s≤t} e^{log b_s − a*_s}, as two prefix sums (a cumulative sum and a log-cumulative-sum-exp). Real
  logarithms: it needs a_t > 0, b_t > 0 and h_0 > 0 (docs/literature.md, "Modern recurrent cells": what happens otherwise).

Both take arrays with the time axis first and any trailing shape; they are written in ``autograd.numpy``.
"""

import autograd.numpy as np
from vanishing.models._validate import as_array

__all__ = ["associative_scan", "linear_scan", "log_cumsum_exp", "log_scan"]


def _elems(names, arrays):
    """Validate arrays with a common time axis first (finite floats, at least 1-D): a bad call names the array."""
    out = tuple(as_array(n, a) for n, a in zip(names, arrays))
    T = {np.shape(a)[0] if np.ndim(a) else None for a in out}
    if None in T or len(T) != 1:
        raise ValueError(f"{', '.join(names)}: expected arrays with one common leading time axis, got shapes "
                         f"{[np.shape(a) for a in out]}")
    return out


def associative_scan(combine, elems):
    """Inclusive scan of ``elems`` (a tuple of arrays, time first) under the associative ``combine(earlier, later)``.

    Hillis–Steele: in round k every element t ≥ 2^k absorbs the partial result ending at t − 2^k; elements
    before 2^k are already complete. No identity element is needed (the first 2^k are kept as they are).
    """
    T = elems[0].shape[0]
    k = 1
    while k < T:
        earlier = tuple(e[:-k] for e in elems)
        later = tuple(e[k:] for e in elems)
        merged = combine(earlier, later)
        elems = tuple(np.concatenate([e[:k], m], axis=0) for e, m in zip(elems, merged))
        k *= 2
    return elems


def _compose_real(earlier, later):
    (a_i, b_i), (a_j, b_j) = earlier, later
    return a_j * a_i, a_j * b_i + b_j          # h ↦ a_j(a_i h + b_i) + b_j


def _compose_complex(earlier, later):
    (ar_i, ai_i, br_i, bi_i), (ar_j, ai_j, br_j, bi_j) = earlier, later
    # complex products (x + iy)(u + iv) = (xu − yv) + i(xv + yu), for a_j·a_i and a_j·b_i
    return (ar_j * ar_i - ai_j * ai_i, ar_j * ai_i + ai_j * ar_i,
            ar_j * br_i - ai_j * bi_i + br_j, ar_j * bi_i + ai_j * br_i + bi_j)


def linear_scan(a, b, h0, complex_pairs=False):
    """Every h_t of h_t = a_t ⊙ h_{t−1} + b_t by the associative scan: (T, ...) for real a, b, h0.

    With ``complex_pairs=True``, ``a``, ``b`` and ``h0`` are (re, im) pairs of real arrays and so is the result.
    """
    if complex_pairs:
        (ar, ai), (br, bi), (hr, hi) = a, b, h0
        ar, ai, br, bi = _elems(("a_re", "a_im", "b_re", "b_im"), (ar, ai, br, bi))
        hr, hi = as_array("h0_re", hr), as_array("h0_im", hi)
        Ar, Ai, Br, Bi = associative_scan(_compose_complex, (ar, ai, br, bi))
        return Ar * hr - Ai * hi + Br, Ar * hi + Ai * hr + Bi       # h_t = A_t h_0 + B_t
    a, b = _elems(("a", "b"), (a, b))
    A, B = associative_scan(_compose_real, (a, b))
    return A * as_array("h0", h0) + B                                                  # h_t = (∏_{s≤t} a_s) h_0 + B_t


def _logaddexp(earlier, later):
    return (np.logaddexp(earlier[0], later[0]),)


def log_cumsum_exp(v):
    """log Σ_{s≤t} e^{v_s} along axis 0, as an associative scan of logaddexp (no overflow, no −inf padding)."""
    return associative_scan(_logaddexp, (v,))[0]


def log_scan(log_a, log_b, log_h0):
    """Heinsen (2023), §2: log h_t = a*_t + log(h_0 + b*_t), returned as log h_t, (T, ...).

    a*_t = cumsum(log a)_t (the first prefix sum); log(h_0 + b*_t) = logcumsumexp([log h_0, log b − a*])_t
    (the second, with h_0 prepended as Heinsen's implementation does).
    """
    log_a, log_b = _elems(("log_a", "log_b"), (log_a, log_b))
    log_h0 = as_array("log_h0", log_h0)
    a_star = np.cumsum(log_a, axis=0)                                           # a*_t = Σ_{s≤t} log a_s
    v = np.concatenate([log_h0[None], log_b - a_star], axis=0)                  # [log h_0, log b_s − a*_s]
    return a_star + log_cumsum_exp(v)[1:]                                       # log h_t = a*_t + log(h_0 + b*_t)
