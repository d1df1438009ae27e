"""``gradcheck``: the claimed derivatives of a function against the project's finite-difference engine.

The engine is ``vanishing.checks.oracles`` (``jacobian_fd_result``, ``directional_fd_result``): the same code
the claims and the validator use. Here each entry is classified with the tolerances of
``vanishing.checks.tolerances``, as ``assertions.assert_close_fd`` does for a whole array:
pass within the capped tolerance; fail beyond the uncapped one; inconclusive in between, where the
stencil did not converge, or where the slope jumps across x (a kink: ReLU at 0, a tie in max or sort).
"""

import time

import numpy as np

from vanishing.checks import oracles, tolerances
from vanishing.gradcheck.frameworks import GradcheckError, adapter
from vanishing.gradcheck.report import Entry, GradcheckResult, miss_probability

__all__ = ["gradcheck", "AUTO_FULL_MAX", "PROBES"]

#: mode="auto" checks the full Jacobian up to this many input entries (n columns of FD cost n·~20 evaluations), else directions.
AUTO_FULL_MAX = 100
#: Full mode batches the stencil's evaluations (vmap) from this many input entries: a vmapped call costs a few ms
#: (docs/BENCHMARKS.md §6), paid back only by ~2n points per scipy iteration.
BATCH_MIN = 100
#: Directions of mode="directional": each misses an error E with ‖E‖₂ ≥ 100·tol with probability ≤ 0.036 (report.miss_probability).
PROBES = 4


def _fd_function(ad):
    """y(z) for the engine: in float64 where f returns float64 for float64 inputs, else in the inputs' dtype; and why."""
    ad.fd_run_dtype = np.dtype(np.float64)
    if ad.dtype == np.float64:
        return ad.evaluate_in(np.float64), np.dtype(np.float64), "float64 (the inputs' dtype)"
    if ad.out_dtype(np.float64) == "float64":
        return ad.evaluate_in(np.float64), np.dtype(np.float64), ("float64: f is a float32 function that runs in float64, "
                                                                  "so its finite differences are taken there")
    ad.fd_run_dtype = ad.dtype
    return ad.evaluate_in(ad.dtype), np.dtype(np.float32), ("float32: f returns float32 even for float64 inputs, so its finite "
                                                            f"differences are taken in float32, the FD cap widened to "
                                                            f"{tolerances.fd_cap_rtol(np.float32):.2g} x scale")


def _deterministic(F, z0):
    y0 = F(z0)
    if not np.all(np.isfinite(y0)):
        i = int(np.argwhere(~np.isfinite(y0))[0][0])
        raise GradcheckError(f"f's output entry {i} is {y0[i]!r} at the given inputs: a derivative needs finite outputs")
    y1 = F(z0)
    if not np.array_equal(y0, y1):
        i = int(np.argmax(np.abs(y0 - y1)))
        raise GradcheckError(f"f is not deterministic: two calls at the same inputs differ at output entry {i} "
                             f"({y0[i]!r} vs {y1[i]!r}); fix its randomness (a seed, eval mode) before checking gradients")
    if y0.size == 0:
        raise GradcheckError("f has no output entries: nothing to differentiate")
    return y0


def classify(claimed, fd, err, unconverged, kink, claim_dtype, fd_dtype, scale):
    """Per entry: verdict ('pass', 'fail', 'inconclusive'), why, the tolerance applied (capped) and its reason."""
    claimed, fd, err = (np.asarray(a, dtype=np.float64) for a in (claimed, fd, err))
    floor = tolerances.gradient(claim_dtype, scale=scale)
    base = floor.atol + floor.rtol * np.abs(fd)
    cap = tolerances.fd_cap_rtol(fd_dtype) * scale
    wide = tolerances.FD_SAFETY * err
    capped, full = base + np.minimum(wide, cap), base + wide
    diff = np.abs(claimed - fd)
    verdict = np.where(diff <= capped, "pass", np.where(diff > full, "fail", "inconclusive"))
    why = np.where(verdict == "inconclusive", f"FD error estimate too wide: {tolerances.FD_SAFETY:g} x estimate exceeds the cap "
                   f"{tolerances.fd_cap_rtol(fd_dtype):g} x scale, and the difference lies between the two", "")
    verdict = np.where(unconverged, "inconclusive", verdict)
    why = np.where(unconverged, "finite differences did not converge (scipy.differentiate, 3 initial steps)", why)
    verdict = np.where(kink, "inconclusive", verdict)
    why = np.where(kink, "not smooth here: the one-sided slopes differ (a kink: ReLU/abs at 0, a tie in max or sort, a clamp "
                   "at its bound)", why)
    reason = (f"{tolerances.FD_SAFETY:g} x FD error estimate (capped at {tolerances.fd_cap_rtol(fd_dtype):g} x scale "
              f"{scale:.3g}) + {floor.reason} at scale {scale:.3g}")
    return verdict, why, capped, reason, diff / np.maximum(capped, np.finfo(np.float64).tiny)


def _full(ad, F, z0, y0, forward, initial_step):
    vjp = ad.vjp()
    m, n = y0.size, z0.size
    claims = {"reverse": np.stack([vjp(e) for e in np.eye(m)]) if m else np.zeros((0, n))}
    note = ""
    if forward is not False:
        jvp, note = ad.jvp()
        if jvp is not None:
            claims["forward"] = np.stack([jvp(e) for e in np.eye(n)], axis=1)
        elif forward is True:
            raise GradcheckError(note)
    with ad.fd_context():
        many = ad.evaluate_many_in(ad.fd_run_dtype, F) if z0.size >= BATCH_MIN else None
        fd = oracles.jacobian_fd_result(F, z0, initial_step, many)
    if not np.any(fd.value) and not any(np.any(c) for c in claims.values()) and not np.any(fd.kink):
        raise GradcheckError("f's outputs do not depend on its inputs (every derivative is 0, claimed and by finite "
                             "differences): nothing to check")
    scale = max(1.0, float(np.max(np.abs(fd.value))) if fd.value.size else 1.0)
    entries = []
    for mode, J in claims.items():
        v, why, tol, reason, ratio = classify(J, fd.value, fd.err, fd.status != 0, fd.kink, ad.dtype, ad.fd_dtype, scale)
        ins = ad.locations(ad.offsets, ad.shapes, np.arange(n))
        outs = ad.locations(ad.out_offsets, ad.out_shapes, np.arange(m))
        Jl, dl, el, tl, vl, wl, rl = (a.tolist() for a in (J, fd.value, fd.err, tol, v, why, ratio))
        for i, j in np.ndindex(J.shape):
            entries.append(Entry(mode, ins[j], outs[i], (i, j), Jl[i][j], dl[i][j], el[i][j], tl[i][j], reason, vl[i][j],
                                 wl[i][j], rl[i][j]))
    return entries, fd.nfev, note


def _directional(ad, F, z0, y0, probes, seed, forward, initial_step):
    vjp = ad.vjp()
    jvp, note = (None, "") if forward is False else ad.jvp()
    if jvp is None and forward is True:
        raise GradcheckError(note)
    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((probes, y0.size)), rng.standard_normal((probes, z0.size))
    G = np.stack([vjp(u) for u in U])
    claims = {"reverse": np.einsum("pj,pj->p", G, V)}
    if jvp is not None:
        claims["forward"] = np.array([u @ jvp(v) for u, v in zip(U, V)])
    with ad.fd_context():
        r = oracles.directional_fd_many(F, z0, V, U, initial_step)   # 2·probes points per iteration: a vmap costs more
    if not np.any(r.value) and not any(np.any(c) for c in claims.values()):
        raise GradcheckError("f's outputs do not depend on its inputs (every directional derivative is 0, claimed and by "
                             "finite differences): nothing to check")
    entries = []
    for p in range(probes):
        scale = max(1.0, float(np.abs(G[p]) @ np.abs(V[p])), abs(float(r.value[p])))   # Σ|g_j v_j|: the dot product's rounding
        for mode, c in claims.items():
            vv, why, tol, reason, ratio = classify(c[p], r.value[p], r.err[p], r.status[p] != 0, r.kink[p], ad.dtype,
                                                   ad.fd_dtype, scale)
            entries.append(Entry(f"directional {mode}", None, None, ("probe", p), float(c[p]), float(r.value[p]),
                                 float(r.err[p]), float(tol), reason, str(vv), str(why), float(ratio)))
    return entries, r.nfev, note


def gradcheck(f, *inputs, mode="auto", forward=None, probes=PROBES, seed=0, framework=None, initial_step=0.5,
              reproduce=None):
    """Check f's claimed derivatives (autograd, torch.autograd or JAX) at ``inputs`` against finite differences.

    ``mode``: "full" (every Jacobian entry, reverse mode and forward mode where the framework has it),
    "directional" (``probes`` random projections uᵀJv), or "auto" (full up to AUTO_FULL_MAX input entries).
    ``forward``: None checks forward mode where available, False never, True demands it. ``framework``:
    "numpy", "torch" or "jax" (default: the inputs'). ``reproduce``: the line that rebuilds the inputs, for the report.
    Returns a :class:`GradcheckResult`; raises :class:`GradcheckError` (one line) on bad input.
    """
    if mode not in ("auto", "full", "directional"):
        raise GradcheckError(f"mode {mode!r}: expected 'auto', 'full' or 'directional'")
    if not (isinstance(probes, (int, np.integer)) and probes >= 1):
        raise GradcheckError(f"probes: expected an integer >= 1, got {probes!r}")
    t0 = time.perf_counter()
    ad = adapter(f, inputs, framework)
    F, ad.fd_dtype, precision = _fd_function(ad)
    y0 = _deterministic(F, ad.z0)
    chosen = mode if mode != "auto" else ("full" if ad.z0.size <= AUTO_FULL_MAX else "directional")
    with np.errstate(over="ignore"):
        if chosen == "full":
            entries, nfev, note = _full(ad, F, ad.z0, y0, forward, initial_step)
        else:
            entries, nfev, note = _directional(ad, F, ad.z0, y0, probes, seed, forward, initial_step)
    miss = None
    if chosen == "directional":
        miss = {k: miss_probability(k, probes) for k in (10.0, 100.0)}
    return GradcheckResult(entries=entries, mode=chosen, requested=mode, framework=ad.name, precision=precision,
                           dtype=str(ad.dtype), nfev=nfev + 2, seconds=time.perf_counter() - t0, forward_note=note,
                           miss=miss, probes=probes if chosen == "directional" else None, seed=seed, adapter=ad,
                           reproduce=reproduce)
