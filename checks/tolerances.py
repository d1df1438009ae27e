"""The one tolerance module: every comparison in vanishing takes its tolerance from here.

Tolerances are derived, never tuned to make a check pass:

* ``analytic`` compares two exact-in-principle computations (autograd against a
  hand-derived closed form, or one implementation against the reference). Both
  round at every operation; for the short expression chains in ``models/`` the
  error is a few hundred ulps at most, so we allow ``2**8`` ulps relative
  (``256 * eps``) plus an absolute floor at the same scale for entries near zero.
* ``fd`` compares an analytic derivative against a finite-difference estimate.
  The tolerance is the FD method's own error estimate times a safety factor,
  plus the analytic floor. The safety factor is 10 because scipy's estimate is
  the difference of the last two Richardson iterates, which can under-estimate
  the true truncation-plus-rounding error by a small factor; 10 is one order of
  magnitude, not a fudge that hides a wrong derivative (a planted 1.001 scale
  error is ~1e-3 relative, far above it; see tests/checks/test_oracles_meta.py).
* The rounding part of a finite-difference error estimate needs the noise δ_i with which each
  output f_i is computed near x. A stencil Σ_k w_k f(x + h t_k e_j)/h carries a rounding error of
  at most Σ_k |w_k| · max_k |δ_i(x + h t_k e_j)| / h, plus the rounding of the argument.
  scipy.differentiate's order-8 stencil has nodes ±h/2^i, i = 0..3, and Σ|w_k| = 13.51, not the
  2.08 of an equally spaced stencil (oracles._stencil_weight_sum solves the moment equations).
  The former rounding term was 6.5 times too small on that account alone.

  Its model, δ_i ≈ a few ulps of |f_i|, holds only where f_i is not the small difference of larger
  terms. It fails for a saturated GRU (GRU-STEP-JACOBIAN, thorough profile: W_h = 31, b_h = 1,
  h = (0, 0.5), x = 0). There h_t = (1 − z)⊙n + z⊙h_{t−1} with z = σ(16.5): 1 − z is rounded to a
  multiple of eps/2 near 1, an absolute error of ~1e-16·|n|, while h_t[0] = 6.8e-8. So f_0 has a
  relative error of ~1e-9, not a few ulps. A normwise eps·‖f‖∞ does not bound it either: with
  h = (0, 0.005) and W_h = 3100 every output is small, and n ≈ 1 is not. The rounding is bounded
  by the size of the intermediate terms, which a generic f does not expose. So the noise is
  measured, not modelled.

  ``oracles.measured_noise`` evaluates f at NOISE_POINTS + 1 equally spaced points x + k·δ·v,
  δ = NOISE_STEP. The direction v moves every path through f: a directional derivative uses its
  own direction; a Jacobian uses one direction whose entries are drawn from [0.5, 1] times
  max(1, |x_j|) and all differ (along (1, −1), a layer with equal weights does not change at all
  and shows no noise). At that spacing the smooth part of f is a polynomial to far below rounding.
  For independent noise of standard deviation σ, E[(Δᵏf)²] = σ²·(2k)!/(k!)² (Moré & Wild,
  "Estimating computational noise", SIAM J. Sci. Comput. 33(3), 2011). So σ_i =
  sqrt(γ₆·mean((Δ⁶f_i)²)), γ₆ = (6!)²/12!, over the NOISE_POINTS − 5 sixth differences.

  :func:`fd_noise` takes δ_i = max(8 ulps of |f_i|, NOISE_SIGMAS·σ_i). Rounding noise is bounded,
  and 4σ is beyond the largest deviation in a stencil's 9 points: √3·σ for uniform noise, about
  2.5σ for a Gaussian sample. 4σ also covers the spread of the estimate itself, a factor of about
  3 between probe directions on the two GRU cases. Both terms are at rounding level, so a wrong
  derivative (a 1e-3 relative error) stays far outside the tolerance.

  On the GRU case, entry (0, 1) = −2.1e-6. The former estimate was 9.4e-15, and scipy converged
  only from a first step of 0.004; the actual error was 1.5e-12 (mpmath, 50 digits). Now scipy's
  result settles from the default steps, with an estimate of 4.4e-13 against an actual error of
  3.8e-14 (tests/checks/test_oracles_meta.py). The second case the thorough profile then found (z = σ(24.7),
  an entry of −6.4e-10) was inconclusive before; now its estimate is 3.4e-13 against an actual
  error of 2.7e-15.

  *Noise in stairs* (flakiness run, GRU-STEP-JACOBIAN, dev profile, 4 of 400 seeds). Where a gate
  saturates, z = σ(28.8) = 1 − 3.1e-13, z moves by one ulp of 1 only every 1.1e-5 of h, so
  (1 − z)·n moves as a staircase of 2.2e-16 steps 1.1e-5 apart. Twelve points 6.2e-7 apart sit on one
  stair and show no noise (σ = 9e-23), while the stencil's steps (2e-5 to 0.5) cross many stairs: the
  estimate was 3.7e-17 against an actual error of 6.2e-14, or scipy's iterates jumped and the entry was
  left inconclusive. So the noise is measured a second time, NOISE_COARSE = 64 times wider (about the
  finest step the stencil reaches), where the stairs look like noise. At that spacing the smooth part of
  f no longer vanishes from the 6th differences, but it is nearly the same in all seven of them, so
  the variance of the differences, not their mean square, gives σ there. σ is the larger of the two.
  The cost is 2·NOISE_POINTS evaluations per Jacobian or directional derivative.
* A per-claim override must go through :func:`override`, which demands a reason.

Like JAX's public_test_util, values and gradients have separate tables, and the
tolerance never grows with array size.
"""

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["Tol", "analytic", "fd", "fd_noise", "value", "gradient", "override", "ulps", "tiny", "forward_error",
           "returned_norm", "scale_factor", "plus", "chain", "exact", "relative", "FD_SAFETY", "FD_CAP_RTOL",
           "NOISE_STEP", "NOISE_POINTS", "NOISE_SIGMAS", "NOISE_COARSE"]

#: Multiplier on the finite-difference error estimate (see module docstring).
FD_SAFETY = 10.0

#: The widest FD tolerance a check may use, relative to the Jacobian's scale: a check whose FD
#: tolerance exceeds 1e-6 relative cannot catch a 1e-6 bug (issue 12). Where FD_SAFETY x the
#: estimate is wider, the comparison is made at this cap, and a difference that only the wider
#: tolerance would forgive makes the check inconclusive (assertions.FDInconclusive), never a pass.
FD_CAP_RTOL = 1e-6

#: Finite-difference rounding noise, measured (module docstring): spacing relative to max(1, |x_j|)
#: (6.2e-7: ~2^32 ulps of x_j, while δ^6·|f⁽⁶⁾| stays below 1e-17 for |f⁽⁶⁾| up to 1e20), the golden
#: ratio's (√5 − 1)/2 times 1e-6 so that it is no multiple of any binary rounding grid (a dyadic
#: step moves 1e8 + x by exactly 64 ulps per point: the rounding error repeats and shows no noise);
#: number of extra evaluations (12: seven 6th differences); the bound on the noise in σ's.
NOISE_STEP = 0.6180339887498949e-6
NOISE_POINTS = 12
NOISE_GAMMA6 = 518400.0 / 479001600.0      # (6!)² / 12!
NOISE_SIGMAS = 4.0
#: The second probe's spacing, in NOISE_STEPs (module docstring, "noise in stairs"): 64 × 6.2e-7 = 4e-5 times
#: [0.5, 1]·max(1, |x_j|) per point, about the finest step scipy's stencil reaches (0.02/2^9).
NOISE_COARSE = 64.0
_NOISE_ULPS = 8.0

#: Relative error allowed between two analytic computations, in units of eps.
ANALYTIC_ULPS = 2.0**8

#: Values (forward passes) of one implementation against another: float32
#: implementations accumulate in float32, so 2**10 ulps of float32 (~1.2e-4)
#: covers a dozen accumulated steps; float64 keeps the analytic bound.
_VALUE_ULPS = {np.dtype(np.float64): 2.0**8, np.dtype(np.float32): 2.0**10}
_GRAD_ULPS = {np.dtype(np.float64): 2.0**8, np.dtype(np.float32): 2.0**11}


@dataclass(frozen=True)
class Tol:
    """``|a - b| <= atol + rtol * |b|`` elementwise; ``reason`` documents any override."""

    rtol: float
    atol: float
    reason: str = "derived from dtype epsilon"

    def bound(self, reference):
        """Elementwise allowed error for a reference array."""
        return self.atol + self.rtol * np.abs(np.asarray(reference, dtype=np.float64))


_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def _dtype(dtype):
    d = np.dtype(dtype)
    if d not in _DTYPES:
        raise ValueError(f"dtype: expected float64 or float32 (the dtypes with tolerance tables), got {d}")
    return d


def _nonneg(name, v):
    a = np.asarray(v, dtype=np.float64)
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name}: expected finite values >= 0, got {v!r}")
    return v


def ulps(n, dtype=np.float64):
    """n units of machine epsilon of ``dtype``."""
    return float(n * np.finfo(_dtype(dtype)).eps)


def analytic(dtype=np.float64, scale=1.0):
    """Two analytic computations of the same quantity; ``scale`` is the magnitude of the data."""
    _nonneg("scale", scale)
    e = ulps(ANALYTIC_ULPS, dtype)
    return Tol(rtol=e, atol=e * float(scale), reason=f"{ANALYTIC_ULPS:g} ulps of {np.dtype(dtype).name}")


def value(dtype=np.float64, scale=1.0):
    """Forward values of an implementation in ``dtype`` against the float64 reference."""
    e = ulps(_VALUE_ULPS[_dtype(dtype)], dtype)
    return Tol(rtol=e, atol=e * float(scale), reason=f"{_VALUE_ULPS[np.dtype(dtype)]:g} ulps of {np.dtype(dtype).name} (values)")


def gradient(dtype=np.float64, scale=1.0):
    """Gradients of an implementation in ``dtype`` against the float64 reference."""
    e = ulps(_GRAD_ULPS[_dtype(dtype)], dtype)
    return Tol(rtol=e, atol=e * float(scale), reason=f"{_GRAD_ULPS[np.dtype(dtype)]:g} ulps of {np.dtype(dtype).name} (gradients)")


def fd(error_estimate, dtype=np.float64, scale=1.0):
    """Analytic derivative against finite differences with elementwise ``error_estimate``.

    Returns a Tol whose ``atol`` is an array: FD_SAFETY * estimate + the analytic floor.
    """
    base = analytic(dtype, scale)
    est = np.asarray(_nonneg("error_estimate", error_estimate), dtype=np.float64)
    return Tol(rtol=base.rtol, atol=base.atol + FD_SAFETY * est, reason=f"{FD_SAFETY:g} x FD error estimate + {base.reason}")


def fd_noise(values, measured_sigma):
    """δ_i, the rounding noise of each output f_i near x: max(8 ulps of |f_i|, NOISE_SIGMAS·σ_i), σ measured."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    return np.maximum(_NOISE_ULPS * np.finfo(np.float64).eps * v, NOISE_SIGMAS * np.asarray(measured_sigma, dtype=np.float64))


def tiny(dtype=np.float64):
    """Underflow floor: with gradual underflow each operation adds an absolute error up to u·tiny(dtype)
    (Higham 2002, §2.1), so below tiny(dtype) (2.2e-308 in float64, 1.2e-38 in float32) accuracy is absolute."""
    return float(np.finfo(_dtype(dtype)).tiny)


def forward_error(dtype, magnitude):
    """Forward values against a per-entry running forward-error magnitude M (from a forward-error analysis).

    ``|impl − ref| ≤ e·(M + tiny) + e·|ref|`` with e = the ``analytic`` unit (2**8 ulps: one short chain of
    operations). Not the ``value`` unit: M already carries the accumulation through a recurrence
    explicitly (the magnitudes of all rounded terms, propagated step by step), so counting a dozen
    accumulated steps again would loosen the check twice.
    """
    base = analytic(dtype)
    return Tol(rtol=base.rtol, atol=base.rtol * (np.asarray(magnitude, dtype=np.float64) + tiny(dtype)),
               reason=base.reason + " × running forward-error magnitude M")


def relative(why, dtype=np.float64):
    """A claim about relative accuracy: ``|a − b| ≤ e·|b| + e·tiny(dtype)``, e the ``analytic`` unit (2**8 ulps).

    No absolute floor at the data's scale: ``analytic``'s floor e·scale (5.7e-14 at scale 1) would hide any
    relative error in values far below the scale (tanh'(350) ≈ 4e-304). Below tiny(dtype) accuracy is
    absolute (gradual underflow, see :func:`tiny`), hence the floor e·tiny, a few hundred subnormal ulps.
    """
    if not why or not why.strip():
        raise ValueError("tolerances.relative: why must say which claim is about relative accuracy")
    e = analytic(dtype).rtol
    return Tol(rtol=e, atol=e * tiny(dtype), reason=f"relative: {ANALYTIC_ULPS:g} ulps of {np.dtype(dtype).name} down to tiny ({why})")


def returned_norm(dtype, n_entries):
    """A returned norm sqrt(Σ g²): ``value`` relative, plus the underflow floor sqrt(N·tiny).

    Computed naively (PyTorch does), every g² below tiny(dtype) is lost, so the absolute error reaches
    sqrt(N·tiny): 1.5e-154·√N in float64, 1.1e-19·√N in float32.
    """
    v = value(dtype, scale=0.0)
    return Tol(rtol=v.rtol, atol=float(np.sqrt(n_entries * tiny(dtype))), reason=v.reason + " + the underflow floor sqrt(N·tiny) of sqrt(Σg²)")


def scale_factor(dtype, coef, g):
    """The uncertainty of an array's scale factor c = ⟨c·g, g⟩/⟨g, g⟩ read back from a rounded product c·g.

    Each entry of the product carries a relative error up to u = ``value`` unit, plus an absolute error up
    to half the subnormal spacing s (gradual underflow: below tiny(dtype) the spacing is fixed, so a product
    c·g of a subnormal g may round back to g itself). Summed over the array,
    |ĉ − c| ≤ u·|c| + (s/2)·‖g‖₁/‖g‖₂². The second term is negligible unless g's entries are near underflow
    (1.4e-45 in float32: a factor 0.9 reads back as 1.0).
    """
    g = np.asarray(g, dtype=np.float64)
    spacing = float(np.finfo(_dtype(dtype)).smallest_subnormal)
    return value(dtype, scale=0.0).rtol * abs(coef) + 0.5 * spacing * float(np.sum(np.abs(g))) / float(np.vdot(g, g))


def plus(a, b):
    """Two independent error sources added: atol adds, the larger rtol is kept, both reasons are kept."""
    return Tol(rtol=max(a.rtol, b.rtol), atol=np.asarray(a.atol) + np.asarray(b.atol), reason=f"{a.reason} + {b.reason}")


def override(tol, reason, rtol=None, atol=None):
    """A per-claim override. ``reason`` is mandatory and is reported with every result."""
    if not reason or not reason.strip():
        raise ValueError("tolerances.override: reason must be a non-empty explanation")
    for name, v in (("rtol", rtol), ("atol", atol)):
        if v is not None:
            _nonneg(name, v)
    return replace(tol, rtol=tol.rtol if rtol is None else rtol, atol=tol.atol if atol is None else atol, reason=f"override: {reason}")


def chain(n, why):
    """An override for a chain of ``n`` rounded factors (products of Jacobians, of per-layer factors).

    Each factor is within the analytic unit ε_a = 2^8 ulps of its exact value, so the chain is within
    (1 + ε_a)^n − 1 ≈ n·ε_a relative (Higham 2002, §3.1): the allowance grows with the chain by this count
    only, with no absolute part. ``why`` names the chain; the claim's record states it in tolerance_reason.
    """
    if not (isinstance(n, (int, np.integer)) and n >= 0):
        raise ValueError(f"tolerances.chain: n must be an integer >= 0, got {n!r}")
    unit = analytic().rtol
    return override(analytic(), f"a chain of {n} rounded factors, each within {ANALYTIC_ULPS:g} ulps, (1 + 2^8 eps)^{n} − 1: {why}",
                    rtol=(1.0 + unit) ** int(n) - 1.0, atol=0.0)


def exact(why):
    """No allowance: the two sides are compared as computed (an exact float fact, e.g. fl(σ'(x)) ≤ 1/4)."""
    if not why or not why.strip():
        raise ValueError("tolerances.exact: why must say why the comparison is exact")
    return Tol(rtol=0.0, atol=0.0, reason=f"exact: {why}")


def fd_cap_rtol(dtype=np.float64):
    """The FD tolerance's cap relative to the scale when f itself runs in ``dtype`` (``vanishing.gradcheck``).

    float64: FD_CAP_RTOL. A function that only runs in float32 rounds every evaluation to 6e-8 relative, so a
    stencil of steps h ~ 1e-2 cannot resolve better than ~1e-5: the cap is sqrt(eps_32) = 3.5e-4 (a smaller one
    would leave every entry inconclusive), and a report on such a function says it checks no finer than that.
    """
    return FD_CAP_RTOL if _dtype(dtype) == np.float64 else float(np.sqrt(np.finfo(np.float32).eps))
