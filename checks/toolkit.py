"""The toolkit of the claim checks: what every topic in ``vanishing.checks.claims`` shares.

* :func:`jac3` / :func:`grad3`: the three-oracle check of a Jacobian / a gradient (autograd both
  modes, finite differences, the closed form), on top of ``oracles.check_jacobian``;
* :func:`le`: a claim's own inequality value ≤ bound up to the rounding of the bound
  (``assertions.assert_le``, which records the claim's margin);
* :func:`magnitude`, :func:`opnorm`, :func:`smin`, :func:`spectral_radius`: the data's scale, norms, spectra;
* :data:`FD_REACH`: how far the finite-difference stencil reaches from the point.

Tolerances come from ``vanishing.checks.tolerances`` (``tolerances.chain`` for chains of rounded
products); strategies from ``vanishing.checks.strategies`` (cached); the model-family case builders
(Elman, LSTM, GRU) from ``vanishing.checks.cases``. A check's ID and its reproduce line come from
its context: ``ctx.id`` and ``ctx.repro(**case)`` (``vanishing.checks.registry``).
"""

import numpy as np

from vanishing.checks import assertions, oracles, recording, tolerances

__all__ = ["FD_REACH", "MIN_REACH", "magnitude", "opnorm", "smin", "spectral_radius", "jac3", "grad3", "le"]

#: scipy.differentiate's first stencil reaches ``initial_step`` = 0.5 away from the point (the default of
#: oracles.jacobian_fd and check_jacobian; its later steps only shrink): a kink farther than this from every
#: point the stencil can move is never crossed. tests/checks/test_toolkit.py keeps the two in step.
FD_REACH = 0.5
#: Below this reach the FD estimate is dominated by rounding (error ∝ eps/step): such inputs sit on a kink
#: for all practical purposes and are excluded by an explicit assume().
MIN_REACH = 1e-3


def magnitude(a):
    """The data's scale for tolerances.analytic: max(1, max|a|) (the absolute floor matters for entries near 0)."""
    a = np.asarray(a, dtype=np.float64)
    return max(1.0, float(np.max(np.abs(a)))) if a.size else 1.0


def opnorm(M):
    """Spectral norm ‖M‖₂ (largest singular value)."""
    return float(np.linalg.norm(np.asarray(M, dtype=np.float64), 2))


def smin(M):
    """Smallest singular value σ_min(M)."""
    return float(np.linalg.svd(np.asarray(M, dtype=np.float64), compute_uv=False)[-1])


def spectral_radius(M):
    """ρ(M): the largest modulus of an eigenvalue."""
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(M, dtype=np.float64)))))


def jac3(f, x, closed, label, fd=True, reproduce="", reach=FD_REACH):
    """The three oracles on ∂f/∂x: autograd reverse = forward = ``closed``; and = finite differences when ``fd``.

    ``fd=False`` is used only where the caller states why (a ReLU kink within the FD stencil).
    ``reach`` < FD_REACH keeps a kink out of the stencil: the input is rescaled, u ↦ x + k(u − x) with
    k = reach/FD_REACH, so the stencil moves x by at most ``reach``; the Jacobian is divided back by k.
    Returns the reverse-mode Jacobian.
    """
    x = np.asarray(x, dtype=np.float64)
    if fd and reach >= FD_REACH:
        return oracles.check_jacobian(f, x, closed_form=closed, label=label, reproduce=reproduce)
    if fd:
        k = reach / FD_REACH
        J = oracles.check_jacobian(lambda u: f(x + k * (u - x)), x, closed_form=k * np.asarray(closed, dtype=np.float64),
                                   label=f"{label} (FD reach {reach:.3g})", reproduce=reproduce)
        return J / k
    Jr = oracles.jacobian_reverse(f, x)
    Jf = oracles.jacobian_forward(f, x)
    tol = tolerances.analytic(scale=magnitude(Jr))
    assertions.assert_close(Jf, Jr, tol, f"{label}: autograd forward vs reverse", reproduce)
    recording.record_oracle("closed-form")
    assertions.assert_close(np.reshape(np.asarray(closed, dtype=np.float64), Jr.shape), Jr, tol, f"{label}: closed form vs autograd", reproduce)
    return Jr


def grad3(f, x, closed, label, fd=True, reproduce=""):
    """The three oracles on the gradient of a scalar ``f`` (returning shape (1,)) with many inputs.

    Autograd reverse = forward = ``closed`` entry by entry (``closed=None``: no closed form, the two
    modes against each other only); finite differences along two directions (the claimed gradient's
    own direction, which exposes any wrong entry unless it happens to be orthogonal, and a fixed
    pseudo-random one): a full FD Jacobian costs one FD per parameter.
    """
    if closed is None:
        Jr, Jf = oracles.jacobian_reverse(f, x), oracles.jacobian_forward(f, x)
        assertions.assert_close(Jf, Jr, tolerances.analytic(scale=magnitude(Jr)), f"{label}: autograd forward vs reverse", reproduce)
    else:
        Jr = jac3(f, x, np.reshape(closed, (1, -1)), label, fd=False, reproduce=reproduce)
    if not fd:
        return Jr
    cl = np.ravel(np.asarray(Jr if closed is None else closed, dtype=np.float64))
    r = np.random.default_rng(x.size).standard_normal(x.size)         # fixed seed: reproducible
    # unit directions: the FD stencil then moves θ by ≤ FD_REACH in norm, as for one coordinate in check_jacobian (an
    # unnormalised direction stretched the stencil and let scipy's error estimate miss the truncation error)
    dirs = [r / np.linalg.norm(r)]
    if np.linalg.norm(cl) > 0:
        dirs.append(cl / np.linalg.norm(cl))
    for v in dirs:
        d, err = oracles.directional_fd(f, x, v, np.ones(1))
        jv = float(Jr[0] @ v)
        assertions.assert_close(np.array([jv]), np.array([d]), tolerances.fd(np.array([err]), scale=max(abs(jv), 1.0)),
                                f"{label}: autograd vs directional finite difference", reproduce)
    return Jr


def le(value, bound, label, scale=None, reproduce="", literal=False):
    """A claim's own inequality value ≤ bound (elementwise), up to the analytic tolerance (2^8 ulps) of the bound.

    ``scale``: the data's magnitude for the absolute part of the tolerance (default: max|bound|).
    Goes through ``assertions.assert_le``, which records the worst value/bound (the claim's margin).
    ``literal=True``: the literal statement of a refutes property (a failure is the Counterexample).
    """
    if scale is None:
        b = np.asarray(bound, dtype=np.float64)
        scale = float(np.max(np.abs(b))) if b.size else 0.0
    assertions.assert_le(value, bound, tolerances.analytic(scale=scale), label, literal=literal, reproduce=reproduce)
