"""The derivative oracles: three independent answers to every derivative.

(a) autograd, reverse mode (``jacobian_reverse``) and forward mode (``jacobian_forward``);
(b) finite differences with an error estimate (``jacobian_fd``, ``directional_fd``,
    via ``scipy.differentiate``) and a tolerance-free Taylor-remainder test
    (``taylor_order``);
(c) the hand-derived closed form, which the caller passes in as an array.

Everything here is generic: functions ``f: ndarray -> ndarray`` and arrays. No
model is imported by name. A finite-difference or Taylor oracle evaluates ``f`` once at
``x`` (where a model validates its arguments) and then at the stencil points inside
``validated_once()``: input validation runs at the boundary, not in the stencil loop.
Each oracle marks itself used in the active recording (``vanishing.checks.recording``);
:func:`check_jacobian` and :func:`check_directional` compare the answers through
``vanishing.checks.assertions``.
"""

import autograd
import numpy as np
import scipy.differentiate as sd
from autograd import make_jvp

from vanishing.checks import tolerances
from vanishing.checks.assertions import FDInconclusive, assert_close, assert_close_fd, assert_structure
from vanishing.checks.recording import record_oracle
from vanishing.models._validate import validated_once

__all__ = ["jacobian_reverse", "jacobian_forward", "jacobian_fd", "directional_fd", "jacobian_fd_result",
           "directional_fd_result", "directional_fd_many", "slope_jump", "kinked", "FDResult", "taylor_order", "check_jacobian",
           "check_directional", "measured_noise", "FD_RETRY_SHRINK", "FD_RTOL", "FD_RETRIES"]


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


def _on_flat(f, x):
    """``f`` as a function of ravel(x) returning ravel(f(x)): the (m, n) Jacobian's shape, for autograd."""
    return lambda u: autograd.numpy.ravel(f(autograd.numpy.reshape(u, np.shape(x))))


def jacobian_reverse(f, x):
    """(a) autograd reverse mode: the (m, n) Jacobian of ``ravel(f(x))`` w.r.t. ``ravel(x)``."""
    record_oracle("autograd")
    v = np.ravel(np.asarray(x, dtype=np.float64))
    fl = _on_flat(f, x)
    with np.errstate(over="ignore"):
        J = autograd.jacobian(fl)(v)
    return np.atleast_2d(_finite_jacobian(J, "autograd reverse mode"))


def jacobian_forward(f, x):
    """(a) autograd forward mode: the Jacobian built column by column from JVPs."""
    record_oracle("autograd-forward")
    v = np.ravel(np.asarray(x, dtype=np.float64))
    fl = _on_flat(f, x)
    with np.errstate(over="ignore"):
        jvp = make_jvp(fl)(v)
        cols = [np.ravel(np.asarray(jvp(e)[1])) for e in np.eye(v.size)]
    J = np.stack(cols, axis=1) if cols else np.zeros((np.size(fl(v)), 0))
    return _finite_jacobian(J, "autograd forward mode")


def _stencil_weight_sum(order=8, c=2.0):
    """Σ_k |w_k| of scipy.differentiate's central stencil, in units of 1/h.

    scipy's order-8 stencil (the default, with step factor c = 2) samples x ± h/c^i, i = 0..3, and x:
    its nodes crowd towards x, so the weights are large: Σ|w_k| = 13.51, not the 2.08 of the
    equally spaced stencil x ± h·i, i = 1..4. Solved here from the moment conditions Σ w_k t_k^p = [p = 1].
    """
    t = np.concatenate([-c ** -np.arange(order // 2, dtype=float), [0.0], c ** -np.arange(order // 2, dtype=float)[::-1]])
    w = np.linalg.solve(np.vander(t, t.size, increasing=True).T, np.eye(t.size)[1])
    return float(np.sum(np.abs(w)))


#: Rounding error of a stencil Σ_k w_k f(x + h t_k)/h is at most Σ|w_k|·δ_i/h, δ_i the noise of f_i
#: (tolerances.fd_noise: the larger of 8 ulps of |f_i| and the measured noise, see tolerances'
#: docstring), h the iteration's widest step. The argument x_j + h t_k
#: itself rounds by eps·|x_j|, which moves f by |f'|·eps·|x_j|: 8 ulps of it allowed.
#: scipy's own estimate (the change between the last two refinements) does not see this noise
#: when successive iterates happen to agree.
_STENCIL_WEIGHTS = _stencil_weight_sum()
_ROUNDING_FACTOR = 8.0 * _STENCIL_WEIGHTS


def _many(f, f_many, points):
    """f at each of ``points`` (flat float64 rows): one call of ``f_many`` on the stacked points when given, else a loop."""
    with validated_once():                                          # f(x) itself was validated (f0)
        if f_many is not None:
            return np.asarray(f_many(np.stack(points)), dtype=np.float64).reshape(len(points), -1)
        return [np.ravel(np.asarray(f(p), dtype=np.float64)) for p in points]


def measured_noise(f, x, f0, v, f_many=None):
    """The rounding noise of each output of ``f`` near ``x`` along the direction ``v``, measured (ECnoise).

    f is evaluated at x + k·δ·v, k = 1..NOISE_POINTS (k = 0 is ``f0``), with δ = tolerances.NOISE_STEP:
    small enough that the smooth part of f contributes nothing to 6th differences, large enough that
    the intermediate values move by many ulps per point. Noise of standard deviation σ has
    E[(Δᵏf)²] = σ²·(2k)!/(k!)², so σ_i = sqrt(γ₆·mean((Δ⁶f_i)²)), γ₆ = (6!)²/12! (Moré & Wild 2011).
    Then again at NOISE_COARSE times that spacing, where the rounding of a saturated gate shows: it moves
    f in stairs far wider than the first probe (tolerances, "noise in stairs"). There the smooth part's
    6th difference, nearly constant along the probe, is taken out by using the variance of the sixth
    differences instead of their mean square. Returns the larger σ of the two, shape of f0.
    """
    x = np.asarray(x, dtype=np.float64)
    sigma = []
    for spacing in (tolerances.NOISE_STEP, tolerances.NOISE_STEP * tolerances.NOISE_COARSE):
        F = np.vstack([f0[None, :], _many(f, f_many, [x + k * spacing * v for k in range(1, tolerances.NOISE_POINTS + 1)])])
        d6 = np.diff(F, n=6, axis=0)
        sq = np.var(d6, axis=0, ddof=1) if sigma else np.mean(d6 * d6, axis=0)
        sigma.append(np.sqrt(tolerances.NOISE_GAMMA6 * sq))
    return np.maximum(*sigma)


def _jacobian_noise(f, x, f0, f_many=None):
    """tolerances.fd_noise of every output, measured along one direction that moves every coordinate of x.

    The entries of the direction are drawn from [0.5, 1] (a fixed seed) times max(1, |x_j|): every
    coordinate moves, each by a different amount, so every path through f is exercised (along
    (1, −1) a layer with equal weights would not change at all, and show no noise). One direction for
    all the columns: 2·NOISE_POINTS evaluations per Jacobian, not per column.
    """
    v = np.random.default_rng(0).uniform(0.5, 1.0, np.shape(x)) * np.maximum(1.0, np.abs(x))
    return tolerances.fd_noise(f0, measured_noise(f, x, f0, v) if f_many is None else measured_noise(f, x, f0, v, f_many))


#: Each retry starts the stencil this many times closer to x (0.5 → 0.1 → 0.02 by default). scipy
#: halves the step every iteration and stops, status −1, when the change between two iterates grows
#: tenfold: with a first step far wider than the region where f is smooth (a tanh RNN with spectral
#: radius 3 over 10 steps) it stops there and returns an estimate as wrong as its error estimate.
FD_RETRY_SHRINK = 5.0
#: Refine until two iterates agree to this relative change. scipy's default, sqrt(eps) = 1.5e-8, stops
#: while the truncation error still dominates in saturated cells (FD only 2-30x better than a plain
#: central difference at 1e-6 there); 1e-10 reaches >= 2,600x on every benchmark function, and
#: below ~1e-11 rounding takes over on a 10-step RNN (the best-iterate rule keeps that harmless).
FD_RTOL = 1e-10
FD_RETRIES = 2

_STATUS = {-1: "error estimate increased", -2: "maximum iterations reached", -3: "non-finite value"}



def _settled(status, error, rounding, df, atol=0.0):
    """scipy's status, with 0 also where the best iterate has settled although scipy did not stop on 0.

    scipy stops with −1 when the change between two iterates grows tenfold, and with −2 after
    maxiter. The refinement target FD_RTOL is stricter than convergence needs, so an entry is
    accepted when its best change is within scipy's default convergence test (atol + sqrt(eps)·|df|)
    or within the rounding term added to its error (a small entry never meets a relative test when
    eps·|f|/h dominates it). The issue-12 failure (changes as large as |J|) stays rejected.
    """
    status = np.asarray(status).copy()
    error = np.asarray(error, dtype=np.float64)
    tol = np.maximum(rounding, atol + np.sqrt(np.finfo(np.float64).eps) * np.abs(df))
    status[np.isfinite(error) & (error <= tol) & (status != -3)] = 0
    return status


def _steps(initial_step):
    return [initial_step / FD_RETRY_SHRINK**k for k in range(FD_RETRIES + 1)]


class _History:
    """scipy.differentiate callback keeping, per entry, its best iterate (Ridders' rule) for one Richardson step.

    Iterate k is an order-8 central difference on steps h_k = h_0/2^k: truncation error C·h_k^8 falls
    256-fold per halving until rounding, eps·|f|/h_k times the stencil's weights, takes over. The best
    iterate is the one whose change from the previous is smallest; one Richardson step on it,
    df_k + (df_k − df_{k−1})/(2^8 − 1), gains an order. scipy's own last iterate is worse in both
    directions: where it converged it is ~256x less accurate than the agreement it stopped at, and
    where it stopped on a tenfold jump, the last iterate is the noisy one. The error estimate stays
    the best change |df_k − df_{k−1}| (+ rounding at h_k), which bounds the extrapolated value too.

    A change is trusted only against the one before it. Where truncation dominates, successive
    changes fall 256-fold, so the estimate max(|Δ_k|, |Δ_{k−1}|/255) costs nothing there; but two
    coarse iterates that agree by coincidence (both off by the same truncation error) show a change
    far below the previous one's 1/255 and are not believed. The first change has nothing before it:
    it is used only when scipy stopped there (agreement to FD_RTOL at once, as for a linear f).
    Found by the flakiness runs: RNN-HOCHREITER-PATH-SUM, where the iterates at h = 0.25 and 0.125 agreed
    to 1.3e-9 while both were 3.5e-8 off (tests/checks/test_oracles_meta.py).
    """

    def __init__(self):
        self.cur = None

    def __call__(self, res):
        df = np.array(res.df, dtype=np.float64)
        err = np.array(res.error, dtype=np.float64)
        nit = np.array(res.nit, dtype=np.float64)
        if self.cur is None:
            self.cur, self.df, self.err, self.nit = df, df.copy(), np.full_like(df, np.inf), nit
            self.prev, self.trusted = np.full_like(df, np.nan), np.zeros(df.shape, dtype=bool)
            return
        trusted = np.isfinite(self.prev)
        est = np.where(trusted, np.maximum(err, self.prev / 255.0), err)
        ok = np.isfinite(est) & np.isfinite(df)
        better = ok & ((trusted & ~self.trusted) | ((trusted == self.trusted) & (est < self.err)))
        self.df = np.where(better, df + (df - self.cur) / 255.0, self.df)
        self.err = np.where(better, est, self.err)
        self.nit = np.where(better, nit, self.nit)
        self.trusted = self.trusted | (better & trusted)
        self.prev = err
        self.cur = df


def _fd_entries(f, x, f0, noise, initial_step, rows, cols, f_many=None):
    """∂f_i/∂x_j at the entries (rows[k], cols[k]), all in one scipy.differentiate call.

    Entry (i, j) is d/dt f_i(x + t e_j) at t = 0: only coordinate j moves, so the others stay
    bit-exact. Every entry shares the step sequence, so each (column, step) pair costs one
    evaluation of f, shared by all the outputs. ``noise``: tolerances.fd_noise of each output.
    Returns (df, err incl. rounding, status, nfev).
    """
    cache = {}

    def phi(t, ri, cj):
        tb, rb, cb = np.broadcast_arrays(np.asarray(t, dtype=np.float64), ri, cj)
        steps, t_idx = np.unique(tb, return_inverse=True)          # a handful of distinct steps per call
        keys, inv = np.unique(cb.ravel() * steps.size + t_idx.ravel(), return_inverse=True)
        F = np.empty((keys.size, f0.size))
        if f_many is not None:                                     # the new points of this iteration, in one call
            new = [(j, float(steps[q])) for j, q in (divmod(key, steps.size) for key in keys.tolist())]
            new = [(j, st) for j, st in new if st != 0.0 and (j, st) not in cache]
            if new:
                pts = []
                for j, st in new:
                    xp = x.copy()
                    xp.flat[j] = x.flat[j] + st
                    pts.append(xp)
                cache.update(zip(new, _many(f, f_many, pts)))
        for k, key in enumerate(keys.tolist()):
            j, step = divmod(key, steps.size)
            step = float(steps[step])
            if step == 0.0:
                F[k] = f0                                          # f(x) itself, already known
                continue
            if (j, step) not in cache:
                xp = x.copy()
                xp.flat[j] = x.flat[j] + step
                with validated_once():                             # f(x) itself was validated (f0)
                    cache[(j, step)] = np.ravel(np.asarray(f(xp), dtype=np.float64))
            F[k] = cache[(j, step)]
        return F[inv.ravel(), rb.ravel()].reshape(tb.shape)
    eps = np.finfo(np.float64).eps
    # Stop refining an entry once its error estimate is below a few ulps of the output's scale: without
    # this atol, exact-zero entries (diagonal Jacobians) iterate to scipy's cap, about 3x the work.
    atol = 4.0 * eps * max(1.0, float(np.max(np.abs(f0))) if f0.size else 1.0)
    hist = _History()
    res = sd.derivative(phi, np.zeros(rows.size), args=(rows, cols), initial_step=initial_step,
                        tolerances={"atol": atol, "rtol": FD_RTOL}, callback=hist)
    h = initial_step / 2.0 ** hist.nit
    rounding = (_STENCIL_WEIGHTS * noise[rows] + _ROUNDING_FACTOR * eps * np.abs(hist.df) * np.abs(x.ravel()[cols])) / h
    nfev = len(cache)
    with np.errstate(invalid="ignore", over="ignore"):    # a non-finite stencil value: that entry is unconverged (status −3)
        kink, jump = _column_jumps(cache, f0, noise, x, hist.df, rows, cols)
    return hist.df, hist.err + rounding, _settled(res.status, hist.err, rounding, hist.df, atol), nfev, kink, jump


#: Richardson weights on S(h), S(2h), S(4h), S(t) = (f(x+t) + f(x−t) − 2f(x))/t = jump + a·t + b·t³ + O(t⁵):
#: they cancel a and b and keep the jump in slope; Σ|w_k|·(4/k) = 88/7 times the noise over h bounds their rounding.
_JUMP_WEIGHTS = (16.0 / 7.0, -10.0 / 7.0, 1.0 / 7.0)
_JUMP_NOISE = 88.0 / 7.0


def slope_jump(value_at, f0, steps, noise, arg_noise=0.0):
    """The jump in slope across t = 0 (right minus left derivative), from the stencil's finest steps h, 2h, 4h, 8h.

    ``value_at(t)`` returns f at offset t (already evaluated by the stencil: no extra evaluations), ``steps``
    the positive offsets it holds on both sides. Returns ``(jump, coarse, bound)``: the estimate from
    (h, 2h, 4h), the same from (2h, 4h, 8h), and the rounding bound of the first (inf where the steps are
    missing). A kink at x (ReLU at 0, a tie in max or sort, a clamp at its bound) gives jump ≈ coarse, the
    difference of the one-sided slopes; a smooth f gives 0.29·|f⁽⁶⁾|·h⁵, 32 times smaller than coarse.
    """
    st = sorted(float(s) for s in steps)[:4]
    if len(st) < 4 or any(abs(s - st[0] * 2.0 ** k) > 1e-12 * s for k, s in enumerate(st)):
        inf = np.full_like(f0, np.inf)
        return np.zeros_like(f0), np.zeros_like(f0), inf
    S = [(value_at(t) + value_at(-t) - 2.0 * f0) / t for t in st]
    jump = sum(w * s for w, s in zip(_JUMP_WEIGHTS, S[:3]))
    coarse = sum(w * s for w, s in zip(_JUMP_WEIGHTS, S[1:]))
    return jump, coarse, np.broadcast_to(_JUMP_NOISE * (noise + arg_noise) / st[0], np.shape(jump))


def kinked(jump, coarse, bound, sigmas=10.0):
    """Where :func:`slope_jump` shows a kink: a jump ``sigmas`` times above rounding that does not fall with h (as h⁵)."""
    jump, coarse, bound = (np.asarray(a, dtype=np.float64) for a in (jump, coarse, bound))
    return np.isfinite(bound) & (np.abs(jump) > sigmas * bound) & (np.abs(jump) > np.abs(coarse) / 4.0)


def _column_jumps(cache, f0, noise, x, df, rows, cols):
    """:func:`slope_jump` and :func:`kinked` of every entry (rows[k], cols[k]) from the evaluations ``cache`` of
    :func:`_fd_entries`; the columns that share their four finest steps are computed together."""
    jump, coarse, bound = np.zeros(rows.size), np.zeros(rows.size), np.full(rows.size, np.inf)
    eps = np.finfo(np.float64).eps
    by_col = {}
    for (c, s) in cache:
        if s > 0 and (c, -s) in cache:
            by_col.setdefault(c, []).append(s)
    groups = {}
    for j in np.unique(cols).tolist():
        groups.setdefault(tuple(sorted(by_col.get(j, []))[:4]), []).append(j)
    for steps, js in groups.items():
        def value_at(t, js=js):
            return np.stack([cache[(j, t)] for j in js], axis=1)          # (m, columns)
        sel = np.isin(cols, js)
        colpos = {j: q for q, j in enumerate(js)}
        q = np.array([colpos[c] for c in cols[sel].tolist()], dtype=int)
        dfmax = np.zeros(len(js))
        np.maximum.at(dfmax, q, np.abs(np.nan_to_num(df[sel], nan=0.0, posinf=0.0, neginf=0.0)))
        arg = 8.0 * eps * np.abs(x.ravel()[js]) * dfmax                     # x_j + t rounds
        jj, cc, bb = slope_jump(value_at, f0[:, None] * np.ones((1, len(js))), steps, noise[:, None], arg[None, :])
        jump[sel], coarse[sel], bound[sel] = jj[rows[sel], q], cc[rows[sel], q], bb[rows[sel], q]
    return kinked(jump, coarse, bound), jump


def _unconverged(what, bad, status, steps):
    """The FDInconclusive for entries ``bad`` (index tuples) whose scipy ``status`` stayed non-zero."""
    shown = ", ".join(f"{tuple(int(i) for i in b)}: {_STATUS.get(int(s), f'status {int(s)}')}"
                      for b, s in list(zip(bad, status))[:5])
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    return FDInconclusive(f"{what}: scipy.differentiate did not converge on {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} "
                          f"with initial steps {', '.join(f'{s:g}' for s in steps)}: {shown}{more}; finite differences cannot "
                          "decide here (a smaller step, another point, or another oracle is needed)")


class FDResult:
    """What the engine found: ``value`` and ``err`` (the error estimate, rounding included), scipy's ``status`` per
    entry (0: converged), ``kink`` where the slope jumps across x (:func:`kinked`) and that ``jump``,
    ``nfev`` evaluations of f, ``retried`` entries, and the initial ``steps`` tried."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def jacobian_fd_result(f, x, initial_step=0.5, f_many=None):
    """The engine of :func:`jacobian_fd`: every entry's :class:`FDResult`, the unconverged ones kept (status != 0).

    ``f_many`` (optional): f on a stack of points (k, *x.shape) -> (k, m), the same values as f one by one (a vmap):
    each of scipy's iterations is then one call."""
    x = np.array(x, dtype=np.float64)
    f0 = np.ravel(np.asarray(f(x), dtype=np.float64))
    m, n = f0.size, x.size
    J, err, st = np.zeros((m, n)), np.zeros((m, n)), np.zeros((m, n), dtype=int)
    kink, jump = np.zeros((m, n), dtype=bool), np.zeros((m, n))
    rows, cols = (a.ravel() for a in np.meshgrid(np.arange(m), np.arange(n), indexing="ij"))
    noise = _jacobian_noise(f, x, f0, f_many)
    nfev, retried = 1 + 2 * tolerances.NOISE_POINTS, 0
    steps = _steps(initial_step)
    for k, step in enumerate(steps):
        if rows.size == 0:
            break
        if k:
            retried += rows.size
        df, e, status, fev, kk, jj = _fd_entries(f, x, f0, noise, step, rows, cols, f_many)
        nfev += fev
        ok = status == 0
        last = ok | (k == len(steps) - 1)                              # converged, or no retry left: keep what it gave
        J[rows[last], cols[last]], err[rows[last], cols[last]], st[rows[last], cols[last]] = df[last], e[last], status[last]
        kink[rows[last], cols[last]], jump[rows[last], cols[last]] = kk[last], jj[last]
        rows, cols = rows[~ok], cols[~ok]
    return FDResult(value=J, err=err, status=st, kink=kink, jump=jump, nfev=nfev, retried=retried, steps=steps, f0=f0)


def jacobian_fd(f, x, initial_step=0.5, stats=None):
    """(b) finite differences: ``(J, err)``, ``err`` an elementwise error estimate.

    Each column is scipy.differentiate.derivative of t ↦ f(x + t e_j) (central
    differences of order 8, refined until converged), so the other coordinates
    stay bit-exact. ``err`` = scipy's estimate + the rounding term above.
    Only converged entries are accepted: the entries where scipy gave up are
    recomputed from a first step FD_RETRY_SHRINK times smaller, up to FD_RETRIES
    times, and if one still has not converged, :class:`FDInconclusive` is raised.
    ``stats`` (a dict, optional) receives ``nfev`` and ``retried`` (entries retried).
    """
    record_oracle("fd")
    r = jacobian_fd_result(f, x, initial_step)
    if stats is not None:
        stats.update(nfev=r.nfev, retried=r.retried)
    bad = np.argwhere(r.status != 0)
    if bad.size:
        m, n = r.value.shape
        raise _unconverged(f"jacobian_fd ({m}x{n})", [tuple(b) for b in bad], [r.status[tuple(b)] for b in bad], r.steps)
    return r.value, r.err


def directional_fd_result(f, x, v, u, initial_step=0.5):
    """The engine of :func:`directional_fd`: an :class:`FDResult` of ``uᵀ J v`` (scalars), unconverged kept (status != 0)."""
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    u = np.ravel(np.asarray(u, dtype=np.float64))
    nv = float(np.linalg.norm(v))
    steps = _steps(initial_step)
    if nv == 0.0:
        return FDResult(value=0.0, err=0.0, status=0, kink=False, jump=0.0, nfev=0, retried=0, steps=steps)
    vhat = v / nv
    seen = {}

    def phi(t):
        t = np.asarray(t)
        out = []
        for s in t.ravel().tolist():
            with validated_once():                                 # f(x) was validated (scale, below)
                seen[s] = u @ np.ravel(f(x + s * vhat))
            out.append(seen[s])
        return np.array(out).reshape(t.shape)
    eps = np.finfo(np.float64).eps
    f0 = np.ravel(np.asarray(f(x), dtype=np.float64))
    noise = float(np.abs(u) @ tolerances.fd_noise(f0, measured_noise(f, x, f0, vhat * max(1.0, float(np.max(np.abs(x)))))))   # noise of uᵀf along v
    calls = 0
    for k, step in enumerate(steps):
        seen.clear()
        hist = _History()
        res = sd.derivative(phi, 0.0, initial_step=step, tolerances={"rtol": FD_RTOL}, callback=hist)
        calls += len(seen)
        df, error = float(hist.df), float(hist.err)
        h = step / 2.0 ** float(hist.nit)
        rounding = (_STENCIL_WEIGHTS * noise + _ROUNDING_FACTOR * eps * abs(df) * float(np.max(np.abs(x)))) / h
        status = int(_settled(np.atleast_1d(res.status), np.atleast_1d(error), rounding, np.atleast_1d(df))[0])
        if status == 0:
            break
    g0 = np.array([float(u @ f0)])
    arg = 8.0 * eps * abs(df) * float(np.max(np.abs(x)))
    jump, coarse, jb = slope_jump(lambda t: np.array([seen[t]]), g0, [s for s in seen if s > 0 and -s in seen],
                                  np.array([noise]), arg)
    return FDResult(value=nv * df, err=nv * (error + rounding), status=status, kink=bool(kinked(jump, coarse, jb)[0]),
                    jump=nv * float(jump[0]), nfev=calls + 1 + 2 * tolerances.NOISE_POINTS, retried=k, steps=steps)


def directional_fd_many(f, x, V, U, initial_step=0.5, f_many=None):
    """uₚᵀ J vₚ for every row p of ``V`` (P, n) and ``U`` (P, m), in one scipy.differentiate call: an :class:`FDResult`
    of arrays (P,).

    As :func:`directional_fd_result` per probe (unit direction vₚ/‖vₚ‖, retries, best iterate, kinks), but the
    noise δ of each output is measured once, along the direction :func:`jacobian_fd` uses for every column
    (2·NOISE_POINTS evaluations in all, not per probe), and probe p's noise is |uₚ|ᵀδ.
    """
    x = np.asarray(x, dtype=np.float64)
    V, U = np.atleast_2d(np.asarray(V, dtype=np.float64)), np.atleast_2d(np.asarray(U, dtype=np.float64))
    P = V.shape[0]
    nv = np.linalg.norm(V, axis=1)
    Vhat = V / np.where(nv > 0, nv, 1.0)[:, None]
    f0 = np.ravel(np.asarray(f(x), dtype=np.float64))
    noise = np.abs(U) @ _jacobian_noise(f, x, f0, f_many)
    eps, xmax = np.finfo(np.float64).eps, float(np.max(np.abs(x))) if x.size else 0.0
    cache = {}

    def phi(t, pi):
        tb, pb = np.broadcast_arrays(np.asarray(t, dtype=np.float64), pi)
        out = np.empty(tb.shape)
        if f_many is not None:                                     # the new points of this iteration, in one call
            new = sorted({(pp, tt) for tt, pp in zip(tb.ravel().tolist(), pb.ravel().tolist()) if tt and (pp, tt) not in cache})
            if new:
                Y = _many(f, f_many, [x + tt * Vhat[pp].reshape(x.shape) for pp, tt in new])
                cache.update({key: float(U[key[0]] @ y) for key, y in zip(new, Y)})
        for k, (tt, pp) in enumerate(zip(tb.ravel().tolist(), pb.ravel().tolist())):
            if (pp, tt) not in cache:
                with validated_once():                             # f(x) was validated (f0)
                    cache[(pp, tt)] = float(U[pp] @ np.ravel(f(x + tt * Vhat[pp].reshape(x.shape)))) if tt else float(U[pp] @ f0)
            out.flat[k] = cache[(pp, tt)]
        return out
    val, err, st, kink, jump = (np.zeros(P), np.zeros(P), np.zeros(P, dtype=int), np.zeros(P, dtype=bool), np.zeros(P))
    todo, steps, retried = np.flatnonzero(nv > 0), _steps(initial_step), 0
    for k, step in enumerate(steps):
        if todo.size == 0:
            break
        retried += todo.size if k else 0
        hist = _History()
        res = sd.derivative(phi, np.zeros(todo.size), args=(todo,), initial_step=step, tolerances={"rtol": FD_RTOL}, callback=hist)
        h = step / 2.0 ** np.asarray(hist.nit, dtype=np.float64)
        rounding = (_STENCIL_WEIGHTS * noise[todo] + _ROUNDING_FACTOR * eps * np.abs(hist.df) * xmax) / h
        status = _settled(res.status, hist.err, rounding, hist.df)
        last = (status == 0) | (k == len(steps) - 1)
        for q, p in enumerate(todo.tolist()):
            if not last[q]:
                continue
            val[p], err[p], st[p] = nv[p] * hist.df[q], nv[p] * (hist.err[q] + rounding[q]), status[q]
            pos = [tt for (pp, tt) in cache if pp == p and tt > 0 and (p, -tt) in cache]
            g0 = np.array([float(U[p] @ f0)])
            with np.errstate(invalid="ignore", over="ignore"):    # non-finite values: unconverged (status −3) anyway
                jj, cc, bb = slope_jump(lambda t, p=p: np.array([cache[(p, t)]]), g0, pos, noise[p:p + 1],
                                        8.0 * eps * abs(np.nan_to_num(hist.df[q])) * xmax)
                kink[p], jump[p] = bool(kinked(jj, cc, bb)[0]), nv[p] * float(jj[0])
        todo = todo[~last]
    return FDResult(value=val, err=err, status=st, kink=kink, jump=jump, nfev=len(cache) + 1 + 2 * tolerances.NOISE_POINTS,
                    retried=retried, steps=steps)


def directional_fd(f, x, v, u, initial_step=0.5, stats=None):
    """(b) directional finite difference ``uᵀ J v`` with its error estimate, for large sizes.

    The derivative is taken along the unit vector v/‖v‖ and scaled back by ‖v‖, so
    ``initial_step`` is a distance in x whatever the length of v (a long v made the
    first stencil reach far outside the region where f is smooth, and scipy's
    estimate did not notice). As in :func:`jacobian_fd`, a non-converged result is
    retried with smaller first steps and otherwise raises :class:`FDInconclusive`.
    """
    record_oracle("fd")
    r = directional_fd_result(f, x, v, u, initial_step)
    if stats is not None:
        stats.update(nfev=r.nfev, retried=r.retried)
    if r.status != 0:
        raise _unconverged("directional_fd", [()], [r.status], r.steps)
    return r.value, r.err



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
    with validated_once():                                         # f(x) was validated (f0)
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
    assert_close_fd(Jr, Jd, err, f"{label}: autograd vs finite differences", dtype=dtype, scale=s, reproduce=reproduce)
    if structure is not None:
        mask = np.asarray(structure, dtype=bool).reshape(Jr.shape)
        assert_structure(Jr, mask, atol, f"{label}: autograd")
        assert_structure(Jd, mask, tolerances.fd(err, dtype, scale=s), f"{label}: finite differences")
        if closed_form is not None:
            assert_structure(C, mask, atol, f"{label}: closed form")
    return Jr


def check_directional(f, x, v, u, label="uᵀJv", dtype=np.float64, reproduce="", initial_step=0.5, claimed=None):
    """One projection: ``uᵀ J v`` from autograd's VJP (or ``claimed``) against :func:`directional_fd`.

    The cheap check for large inputs (one VJP and one directional derivative); a single
    random projection can miss an error that is mostly zero (torch issue 59615), which
    :func:`check_jacobian` does not. Returns ``(analytic, fd)``.
    """
    record_oracle("autograd")
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    if claimed is None:
        fl = _on_flat(f, x)
        with np.errstate(over="ignore"):
            vjp, _ = autograd.make_vjp(fl)(np.ravel(x))
            claimed = float(np.ravel(vjp(np.ravel(u))) @ np.ravel(v))
    d, err = directional_fd(f, x, v, u, initial_step=initial_step)
    assert_close_fd(claimed, d, err, f"{label}: autograd vs directional finite difference", dtype=dtype,
                    scale=max(1.0, abs(d)), reproduce=reproduce)
    return claimed, d
