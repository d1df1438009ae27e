"""Directional finite differences of the reference: oracle (b), independent of autograd.

vᵀ J w by scipy.differentiate (``oracles.directional_fd``, with its error estimate) of ``reference.forward``
along a random direction w through every parameter, the inputs and the initial state. The gradient check
``gradients-fd``, the diagnosis's suspicion of the reference, and the cross-check's arbiter all use it.
"""

import numpy as np
from autograd.misc import flatten

from vanishing.checks import oracles, tolerances
from vanishing.checks.conformance import reference

__all__ = ["DirectionalFD", "reference_directional_fd"]


class DirectionalFD:
    """vᵀ J w of the reference along w; ``along(grads)`` is ⟨grads, w⟩, ``tol`` the allowed difference."""

    def __init__(self, keys, parts, w, fd, fd_err):
        self.keys, self.parts, self.w, self.fd, self.fd_err = keys, parts, w, fd, fd_err

    def along(self, grads):
        return float(sum(np.sum(np.asarray(grads[k], dtype=np.float64) * self.parts[k]) for k in self.keys))

    def tol(self, dtype, scale):
        """The gradient tolerance of ``dtype`` at ``scale`` (the largest gradient entry), times ‖w‖₁, plus the FD bound."""
        g = tolerances.gradient(dtype, scale=max(scale, tolerances.tiny(dtype)) * float(np.sum(np.abs(self.w))))
        return tolerances.plus(g, tolerances.fd(self.fd_err, np.float64, scale=0.0))


def reference_directional_fd(case, seed):
    """A :class:`DirectionalFD` of the reference on a cell ``case``, direction drawn from ``seed``; raises
    ``assertions.FDInconclusive`` when scipy.differentiate does not converge."""
    pkeys = list(case.params)
    keys = pkeys + ["xs"] + list(case.row.state_keys)
    # the order of z: the parameters in the case's order, xs, then the state (as the direction's seed has always drawn it)
    z0, unflatten = flatten([[np.asarray(case.params[k], dtype=np.float64) for k in pkeys],
                             np.asarray(case.xs, dtype=np.float64), [np.asarray(s, dtype=np.float64) for s in case.state0]])

    def f(z):
        P, xs, s0 = unflatten(z)
        outs = reference.forward(case.but(params=dict(zip(pkeys, P)), xs=xs, state0=tuple(s0)))
        return np.concatenate([np.ravel(o) for o in outs])
    u = np.concatenate([np.ravel(c) for c in case.cot])
    w = np.random.default_rng(int(seed)).uniform(-1.0, 1.0, z0.size)   # direction in (P, xs, state0)
    step = 1e-3 if case.row.kink else 0.5   # relu: the stencil must not cross a kink (|a| >= 0.1 assumed)
    fd, fd_err = oracles.directional_fd(f, z0, w, u, initial_step=step)
    wP, wxs, ws = unflatten(w)
    parts = dict(zip(keys, [*wP, wxs, *ws]))
    return DirectionalFD(keys, parts, w, fd, fd_err)
