"""The validator's tolerance policy: which ``vanishing.checks.tolerances`` bound each comparison uses, and why.

* forward values: ``tolerances.forward_error(dtype, M)``: the relative bound e with the absolute part e·M, M the
  running forward-error magnitude of ``bounds.py`` (derived, per entry);
* gradients: ``tolerances.gradient(dtype, scale=s)``, s = the largest reference gradient entry or the
  unit-derivative scale of ``bounds.gradient_scale``, whichever is larger;
* against finite differences: that bound plus ``tolerances.fd``'s FD_SAFETY × the FD estimate (``fd.py``);
* an adapter that declares ``flushes_subnormals``: an extra absolute floor tiny(dtype).
"""

import numpy as np

from vanishing.checks import tolerances

__all__ = ["forward_tol", "grad_tol", "norm_tol", "subnormal_floor"]

forward_tol = tolerances.forward_error
norm_tol = tolerances.returned_norm


def subnormal_floor(tol, info):
    """``tol`` plus the smallest normal number, for an adapter that declares ``flushes_subnormals = True``.

    An implementation that flushes subnormal results to zero (XLA on CPU does, in eager JAX operations and in parts
    of compiled code; CPUs in FTZ/DAZ mode do) returns 0 for a true value below tiny(dtype) (1.2e-38 in float32),
    an absolute error up to tiny instead of gradual underflow's u·tiny. Declared by the adapter, never assumed.
    """
    if not getattr(info, "flushes_subnormals", False):
        return tol
    return tolerances.override(tol, tol.reason + " + tiny(dtype): the adapter declares that it flushes subnormals to zero",
                               atol=np.asarray(tol.atol) + tolerances.tiny(info.dtype))


def grad_tol(dtype, ref_grads, scale=0.0):
    """tolerances.gradient(dtype, scale = max(the largest reference gradient entry, ``scale``, the smallest normal))."""
    s = max((float(np.max(np.abs(g))) for g in ref_grads.values() if np.size(g)), default=0.0)
    return tolerances.gradient(dtype, scale=max(s, scale, tolerances.tiny(dtype)))
