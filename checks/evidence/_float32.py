"""Exhaustive runs over every finite float32: each of the 2^32 − 2^24 finite bit patterns once, in vectorised chunks.

:func:`sweep` walks the bit patterns 0 … 2^31 − 1 and their negatives in chunks of :data:`CHUNK`, alternating the
signs (so a violation near 0 or of one sign is met in the first chunks), views them as float32, drops inf and NaN,
and calls ``check(x) -> ok mask``; the first chunk with a violation fails the run with its first violating input.
It counts what it covered and refuses to pass unless that is every finite float32.
"""

import time

import numpy as np
from vanishing.checks.evidence import ensure

__all__ = ["CHUNK", "FINITE", "sweep"]

CHUNK = 1 << 22
#: Finite float32 values (as bit patterns: ±0 and the subnormals included): all but exponent 255 (inf, NaN).
FINITE = (1 << 32) - (1 << 24)


def _chunks():
    half = 1 << 31
    for start in range(0, half, CHUNK):
        for sign in (0, half):
            u = np.arange(sign + start, sign + start + CHUNK, dtype=np.uint64).astype(np.uint32)
            x = u.view(np.float32)
            yield x[np.isfinite(x)]


def sweep(label, check, limit=None):
    """Run ``check`` on every finite float32 (or the first ``limit`` chunks, for tests); returns (count, seconds)."""
    t0, count = time.perf_counter(), 0
    with np.errstate(all="ignore"):
        for c, x in enumerate(_chunks()):
            if limit is not None and c >= limit:
                break
            ok = np.asarray(check(x), dtype=bool)
            ensure(ok.shape == x.shape, f"{label}: the check returned shape {ok.shape} for {x.shape} inputs")
            if not ok.all():
                bad = x[~ok]
                ensure(False, f"{label}: fails at {bad.size} float32 inputs of chunk {c}, first x = {bad[0]!r} "
                              f"(bits {bad[:1].view(np.uint32)[0]:#010x})")
            count += x.size
    ensure(limit is not None or count == FINITE, f"{label}: covered {count} float32 values, not the {FINITE} finite ones")
    return count, time.perf_counter() - t0


def float32_out(label, y, x):
    """The subject computed in float32 (the statement is about float32 arithmetic), with one value per input."""
    y = np.asarray(y)
    ensure(y.dtype == np.float32 and y.shape == x.shape,
           f"{label}: the subject returned {y.dtype} of shape {y.shape} for float32 input of shape {x.shape}")
    return y
