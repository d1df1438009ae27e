"""The one oracle module: three independent answers to every derivative.

(a) autograd, reverse mode (``jacobian_reverse``) and forward mode (``jacobian_forward``);
(b) finite differences with an error estimate (``jacobian_fd``, ``directional_fd``,
    via ``scipy.differentiate``) and a tolerance-free Taylor-remainder test
    (``taylor_order``);
(c) the hand-derived closed form, which the caller passes in as an array.

Everything here is generic: functions ``f: ndarray -> ndarray`` and arrays. No
model is imported by name. Comparisons go through :func:`assert_close` and
:func:`assert_structure`, which take tolerances from ``vanishing.checks.tolerances``
and record what they saw in the active :class:`Recorder` (so a runner can report
the largest observed error against its tolerance, and which oracles were used).
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

import autograd
import numpy as np
import scipy.differentiate as sd
from autograd import make_jvp

from vanishing.checks import tolerances

__all__ = [
    "Recorder", "recording", "record_oracle", "record_comparison", "assert_close", "assert_structure",
    "jacobian_reverse", "jacobian_forward", "jacobian_fd", "directional_fd",
    "taylor_order", "check_jacobian", "diagonal_mask",
]

ORACLES = ("autograd", "autograd-forward", "fd", "taylor", "closed-form", "hypothesis")


@dataclass
class Recorder:
    """Collects, for one claim run, every comparison made and every oracle used."""

    comparisons: int = 0
    max_ratio: float = 0.0       # max over comparisons of max |a-b| / allowed
    max_error: float = 0.0       # the absolute error at that worst ratio
    tolerance: float = 0.0       # the allowed error at that worst ratio
    worst_label: str = ""
    oracles: set = field(default_factory=set)

    def note(self, label, err, allowed):
        self.comparisons += 1
        ratio = float(err / allowed) if allowed > 0 else (0.0 if err == 0 else np.inf)
        if ratio >= self.max_ratio:
            self.max_ratio, self.max_error, self.tolerance, self.worst_label = ratio, float(err), float(allowed), label


_ACTIVE = contextvars.ContextVar("vanishing_recorder", default=None)


@contextlib.contextmanager
def recording():
    """``with recording() as rec:`` collects every comparison made inside."""
    rec = Recorder()
    token = _ACTIVE.set(rec)
    try:
        yield rec
    finally:
        _ACTIVE.reset(token)


def record_oracle(*names):
    """Mark oracles as used in the active recording (no-op outside one)."""
    unknown = set(names) - set(ORACLES)
    if unknown:
        raise ValueError(f"record_oracle: unknown oracle(s) {sorted(unknown)}; known: {list(ORACLES)}")
    rec = _ACTIVE.get()
    if rec is not None:
        rec.oracles.update(names)


def _record(label, err, allowed):
    rec = _ACTIVE.get()
    if rec is not None:
        rec.note(label, err, allowed)


def record_comparison(label, err, allowed):
    """Record a comparison made by a caller's own comparison object (its worst |error| and allowed) in the active recording."""
    _record(label, err, allowed)


def _fmt(a):
    return np.array2string(np.asarray(a), precision=17, threshold=20, max_line_width=120)


def assert_close(actual, expected, tol, label, reproduce="", literal=False):
    """Assert ``|actual - expected| <= tol.atol + tol.rtol*|expected|`` elementwise.

    The failure message names the label, the worst entry, both values, the
    error, the allowed error, the tolerance's reason and the sizes. With
    ``literal=True`` (the literal statement of a refutes property) a failure
    raises ``registry.Counterexample``, the only exception that refutes.
    """
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"{label}: shape mismatch, got {a.shape}, expected {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        bad = np.argwhere(~(np.isfinite(a) & np.isfinite(b)))[0]
        raise AssertionError(f"{label}: non-finite value at index {tuple(int(i) for i in bad)}: got {float(a[tuple(bad)])!r}, expected {float(b[tuple(bad)])!r}")
    allowed = np.broadcast_to(tol.bound(b), b.shape)
    err = np.abs(a - b)
    if err.size == 0:
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(allowed > 0, err / np.where(allowed > 0, allowed, 1.0), np.where(err > 0, np.inf, 0.0))
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.ndim else ()
    _record(label, err[worst], allowed[worst])
    if ratio[worst] > 1.0:
        n_bad = int(np.count_nonzero(ratio > 1.0))
        msg = (f"{label}: {n_bad} of {err.size} entries differ (shape {b.shape}); worst at index {tuple(int(i) for i in worst)}: "
               f"got {float(a[worst])!r}, expected {float(b[worst])!r}, |error| {err[worst]:.3e} > allowed {allowed[worst]:.3e} "
               f"(rtol {tol.rtol:.2e}, {tol.reason})")
        if reproduce:
            msg += f"\nreproduce: {reproduce}"
        if literal:
            from vanishing.checks.registry import Counterexample
            raise Counterexample(msg)
        raise AssertionError(msg)


def diagonal_mask(n):
    """Boolean mask of the entries allowed to be non-zero in an (n, n) diagonal matrix."""
    return np.eye(n, dtype=bool)


def assert_structure(J, allowed_nonzero, tol, label):
    """Every entry of ``J`` outside ``allowed_nonzero`` is zero to within ``tol``, checked entry by entry.

    Random projections miss mostly-zero Jacobians; this does not.
    """
    J = np.asarray(J, dtype=np.float64)
    mask = np.asarray(allowed_nonzero, dtype=bool)
    if mask.shape != J.shape:
        raise ValueError(f"assert_structure: mask shape {mask.shape} != Jacobian shape {J.shape}")
    off = np.where(mask, 0.0, np.abs(J))
    allowed = np.broadcast_to(np.asarray(tol.atol, dtype=np.float64), J.shape)
    if off.size == 0:
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(allowed > 0, off / np.where(allowed > 0, allowed, 1.0), np.where(off > 0, np.inf, 0.0))
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    _record(label + " (structure)", off[worst], allowed[worst])
    if ratio[worst] > 1.0:
        n_bad = int(np.count_nonzero(ratio > 1.0))
        raise AssertionError(f"{label}: structure violated: {n_bad} entries must be zero but are not; worst at index "
                             f"{tuple(int(i) for i in worst)} = {float(J[worst])!r} (allowed {allowed[worst]:.3e}, {tol.reason})")


# autograd's own VJPs overflow harmlessly at large arguments: tanh's is g / cosh(x)**2,
# which overflows to g / inf = 0 (the correct limit) for |x| > ~355, and arctan's is
# g / (1 + x**2). With warnings as errors that would abort a correct computation, so
# the two autograd oracles run with overflow warnings off and instead reject any
# non-finite Jacobian explicitly (a real overflow cannot pass silently).
def _finite_jacobian(J, who):
    J = np.asarray(J, dtype=np.float64)
    if not np.all(np.isfinite(J)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(J))[0])
        raise FloatingPointError(f"{who}: non-finite Jacobian entry at {bad}: {J[bad]!r}")
    return J


def jacobian_reverse(f, x):
    """(a) autograd reverse mode: the (m, n) Jacobian of ``ravel(f(x))`` w.r.t. ``ravel(x)``."""
    record_oracle("autograd")
    v = np.ravel(np.asarray(x, dtype=np.float64))
    fl = lambda u: autograd.numpy.ravel(f(autograd.numpy.reshape(u, np.shape(x))))  # noqa: E731
    with np.errstate(over="ignore"):
        J = autograd.jacobian(fl)(v)
    return np.atleast_2d(_finite_jacobian(J, "autograd reverse mode"))


def jacobian_forward(f, x):
    """(a) autograd forward mode: the Jacobian built column by column from JVPs."""
    record_oracle("autograd-forward")
    v = np.ravel(np.asarray(x, dtype=np.float64))
    fl = lambda u: autograd.numpy.ravel(f(autograd.numpy.reshape(u, np.shape(x))))  # noqa: E731
    with np.errstate(over="ignore"):
        jvp = make_jvp(fl)(v)
        cols = [np.ravel(np.asarray(jvp(e)[1])) for e in np.eye(v.size)]
    J = np.stack(cols, axis=1) if cols else np.zeros((np.size(fl(v)), 0))
    return _finite_jacobian(J, "autograd forward mode")


#: Rounding error of a central-difference estimate is about eps·|f|·Σ|w_k|/h: f is evaluated
#: with a relative error of a few ulps (we allow 8) and the order-8 stencil's weights sum in
#: absolute value to about 2.1 (< 2**1.1); 8·2 = 16. The argument x_j + t itself rounds by
#: eps·|x_j|, which moves f by |f'|·eps·|x_j|. scipy's own estimate (the change between the
#: last two refinements) does not see this noise when successive iterates happen to agree.
_ROUNDING_FACTOR = 16.0


def _fd_column(f, x, j, f0, initial_step):
    """d/dt f(x + t e_j) at t = 0, every output at once; returns (df, err) including rounding."""
    m = f0.size
    cache = {}

    def phi(t, idx):
        t = np.asarray(t, dtype=np.float64)
        out = np.empty(np.broadcast(t, idx).shape)
        tb, ib = np.broadcast_arrays(t, idx)
        for pos in np.ndindex(out.shape):
            key = float(tb[pos])
            if key not in cache:
                xp = x.copy()
                xp.flat[j] = x.flat[j] + key           # only coordinate j moves: the others stay bit-exact
                cache[key] = np.ravel(np.asarray(f(xp), dtype=np.float64))
            out[pos] = cache[key][int(ib[pos])]
        return out
    eps = np.finfo(np.float64).eps
    # Stop refining an entry once its error estimate is below a few ulps of the output's scale: without
    # this atol, exact-zero entries (diagonal Jacobians) iterate to scipy's cap, about 3x the work.
    atol = 4.0 * eps * max(1.0, float(np.max(np.abs(f0))) if f0.size else 1.0)
    res = sd.derivative(phi, np.zeros(m), args=(np.arange(m),), initial_step=initial_step,
                        tolerances={"atol": atol, "rtol": np.sqrt(eps)})
    h = initial_step / 2.0 ** np.asarray(res.nit, dtype=np.float64)
    rounding = _ROUNDING_FACTOR * eps * (np.abs(f0) + np.abs(res.df) * abs(float(x.flat[j]))) / h
    return np.asarray(res.df, dtype=np.float64), np.asarray(res.error, dtype=np.float64) + rounding


def jacobian_fd(f, x, initial_step=0.5):
    """(b) finite differences: ``(J, err)``, ``err`` an elementwise error estimate.

    Each column is scipy.differentiate.derivative of t ↦ f(x + t e_j) (central
    differences of order 8, refined until converged), so the other coordinates
    stay bit-exact. ``err`` = scipy's estimate + the rounding term above.
    """
    record_oracle("fd")
    x = np.array(x, dtype=np.float64)
    f0 = np.ravel(np.asarray(f(x), dtype=np.float64))
    cols = [_fd_column(f, x, j, f0, initial_step) for j in range(x.size)]
    if not cols:
        return np.zeros((f0.size, 0)), np.zeros((f0.size, 0))
    return np.stack([c[0] for c in cols], axis=1), np.stack([c[1] for c in cols], axis=1)


def directional_fd(f, x, v, u, initial_step=0.5):
    """(b) directional finite difference ``uᵀ J v`` with its error estimate, for large sizes.

    The derivative is taken along the unit vector v/‖v‖ and scaled back by ‖v‖, so
    ``initial_step`` is a distance in x whatever the length of v (a long v made the
    first stencil reach far outside the region where f is smooth, and scipy's
    estimate did not notice).
    """
    record_oracle("fd")
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    u = np.ravel(np.asarray(u, dtype=np.float64))
    nv = float(np.linalg.norm(v))
    if nv == 0.0:
        return 0.0, 0.0
    vhat = v / nv

    def phi(t):
        t = np.asarray(t)
        out = np.array([u @ np.ravel(f(x + s * vhat)) for s in t.ravel()])
        return out.reshape(t.shape)
    res = sd.derivative(phi, 0.0, initial_step=initial_step)
    h = initial_step / 2.0 ** float(res.nit)
    eps = np.finfo(np.float64).eps
    scale = float(np.abs(u) @ np.abs(np.ravel(f(x)))) + abs(float(res.df)) * float(np.max(np.abs(x)))
    return nv * float(res.df), nv * (float(res.error) + _ROUNDING_FACTOR * eps * scale / h)


def taylor_order(f, x, v, jv, steps=None):
    """(b) Taylor-remainder convergence order: no tolerance needed.

    r(h) = ||f(x + h v) - f(x) - h·Jv||. A correct ``jv`` makes r = O(h²) (order 2),
    a wrong one leaves r = O(h) (order 1). Returns the asymptotic observed order:
    the median of the last three orders among steps whose remainder lies well
    above rounding noise (a small error in Jv shows only at small h), or ``None``
    when f is linear along v to rounding (inconclusive: nothing to measure).
    """
    record_oracle("taylor")
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    jv = np.asarray(jv, dtype=np.float64).reshape(np.shape(f(x)))
    f0 = np.asarray(f(x), dtype=np.float64)
    steps = np.asarray(steps if steps is not None else 2.0 ** -np.arange(1, 25), dtype=np.float64)
    noise = 1e3 * np.finfo(np.float64).eps * (np.linalg.norm(f0) + np.linalg.norm(jv) + 1.0)
    r = np.array([np.linalg.norm(np.asarray(f(x + h * v)) - f0 - h * jv) for h in steps])
    ok = r > noise
    orders = [np.log(r[k] / r[k + 1]) / np.log(steps[k] / steps[k + 1]) for k in range(len(steps) - 1) if ok[k] and ok[k + 1]]
    if len(orders) < 3:
        return None
    return float(np.median(orders[-3:]))


def check_jacobian(f, x, closed_form=None, label="J", structure=None, dtype=np.float64, scale=None, reproduce="",
                   initial_step=0.5):
    """All three oracles on ``f`` at ``x``: reverse = forward = closed form (analytic tol), and each = FD (FD tol).

    ``structure``: optional boolean mask of entries allowed to be non-zero; the
    other entries are checked to be zero entry by entry in every oracle's answer.
    ``initial_step``: the FD's first (widest) step; pass a smaller one to keep a
    kink (ReLU at 0) outside the stencil.
    Returns the reverse-mode Jacobian.
    """
    Jr = jacobian_reverse(f, x)
    Jf = jacobian_forward(f, x)
    Jd, err = jacobian_fd(f, x, initial_step=initial_step)
    s = float(np.max(np.abs(Jr))) if scale is None and Jr.size else (scale or 1.0)
    s = max(s, 1.0)
    atol = tolerances.analytic(dtype, scale=s)
    assert_close(Jf, Jr, atol, f"{label}: autograd forward vs reverse", reproduce)
    if closed_form is not None:
        record_oracle("closed-form")
        C = np.asarray(closed_form, dtype=np.float64).reshape(Jr.shape)
        assert_close(C, Jr, atol, f"{label}: closed form vs autograd", reproduce)
    assert_close(Jr, Jd, tolerances.fd(err, dtype, scale=s), f"{label}: autograd vs finite differences", reproduce)
    if structure is not None:
        mask = np.asarray(structure, dtype=bool).reshape(Jr.shape)
        assert_structure(Jr, mask, atol, f"{label}: autograd")
        assert_structure(Jd, mask, tolerances.fd(err, dtype, scale=s), f"{label}: finite differences")
        if closed_form is not None:
            assert_structure(C, mask, atol, f"{label}: closed form")
    return Jr
