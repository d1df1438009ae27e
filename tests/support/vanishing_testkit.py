"""Helpers that several test files share: pyproject.toml puts tests/support on pytest's path, so they import by name.

pytest's importlib mode (which lets two test files in different folders share a name) leaves test files unable to
import one another: fixtures live in a conftest.py, plain functions and constants here.

* The two oracles the models' tests call directly, autograd and scipy.differentiate (``vanishing.checks.oracles``
  is itself under test): :func:`assert_ad_close`, :func:`fd_jacobian` and :func:`assert_fd_close` for the
  activations, the deep net and the Elman and leaky RNNs; :func:`assert_ulps_close` and :func:`assert_fd_agrees`
  for the gated cells and the layouts.
* The cases those tests start from: :func:`elman_case`, :func:`lstm_case`, :func:`gru_case`.
* :func:`assert_raises_naming`: bad input raises a ValueError whose message starts with the parameter's name.
* :func:`whole_message`: a pattern for ``pytest.raises(match=...)`` that matches one error message exactly.
* The guard of the extreme-input tests (the slow tier): :func:`strict`, :func:`finite`, their sizes and their
  Hypothesis budgets.
"""
import contextlib
import re
import warnings

import numpy as np
import pytest
import scipy.differentiate
from hypothesis import HealthCheck, settings

from vanishing.models import gru, lstm, rnn

EPS = np.finfo(np.float64).eps

# ---------------------------------------------------------------- hand-derived vs autograd and finite differences
RTOL_AD = 1e-12          # hand-derived vs autograd: the same maths evaluated two ways, only rounding differs
FD_ERR_FACTOR = 10.0     # scipy's .error is an estimate, not a bound: allow an order of magnitude


def assert_ad_close(analytic, reference, what):
    """|analytic − ref| ≤ RTOL_AD·|ref| + RTOL_AD·max|ref| (the second term covers entries that cancel to ~0)."""
    analytic, reference = np.asarray(analytic), np.asarray(reference)
    assert analytic.shape == reference.shape, f"{what}: shape {analytic.shape} vs autograd {reference.shape}"
    scale = float(np.max(np.abs(reference), initial=0.0))
    np.testing.assert_allclose(analytic, reference, rtol=RTOL_AD, atol=RTOL_AD * scale,
                               err_msg=f"{what}: hand-derived vs autograd")


def fd_jacobian(f, x0):
    """Jacobian of f: (m,) -> (k,) at x0 by scipy.differentiate.jacobian; returns (df, error), each (k, m)."""
    def fv(X):                                               # scipy evaluates on a batch: X has shape (m, *batch)
        cols = X.reshape(X.shape[0], -1).T
        out = np.stack([np.atleast_1d(np.asarray(f(c), dtype=float)) for c in cols], axis=-1)
        return out.reshape((out.shape[0],) + X.shape[1:])
    res = scipy.differentiate.jacobian(fv, np.asarray(x0, dtype=float))
    return res.df, res.error


def assert_fd_close(analytic, df, err, what):
    """|analytic − fd| ≤ 10·error + 64·eps·max|fd| (the last term: FD cannot resolve below rounding of f)."""
    analytic = np.asarray(analytic)
    assert analytic.shape == df.shape, f"{what}: shape {analytic.shape} vs FD {df.shape}"
    tol = FD_ERR_FACTOR * err + 64 * EPS * max(1.0, float(np.max(np.abs(df))))
    bad = np.abs(analytic - df) > tol
    assert not bad.any(), f"{what}: hand-derived vs FD differ at {np.argwhere(bad)[:3].tolist()}:\n{analytic}\n{df}\ntol {tol}"


# The gated cells' closed forms and autograd evaluate the same float64 sums in different orders:
# allow a few dozen ulps relative to the entries' scale (not an absolute-only tolerance).
ULPS_RTOL, ULPS_ATOL = 64 * EPS, 64 * EPS


def assert_ulps_close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, rtol=ULPS_RTOL, atol=ULPS_ATOL, err_msg=what)


def _fd_jacobian_of(f, x):
    """scipy.differentiate.jacobian of a non-vectorized f: (m,) -> (n,); returns (df, error)."""
    res = scipy.differentiate.jacobian(lambda X: np.apply_along_axis(f, 0, X), x)
    # status −2 (iteration cap) is expected at entries whose exact value is 0: the relative
    # stopping rule cannot be met there, but df and its error estimate are still usable.
    assert np.all(res.status != -3), f"scipy.differentiate met a non-finite value: status {res.status}"
    return res.df, res.error


def assert_fd_agrees(hand, f, x, what):
    """|hand − df| ≤ 4·error + 64·eps·(1 + |df|).

    ``error`` is scipy's estimate (the last change between Richardson iterates); 4× is
    headroom because it estimates, not bounds, the error; the eps term covers rounding
    once the iterates agree to the last bits.
    """
    df, err = _fd_jacobian_of(f, x)
    tol = 4 * err + 64 * EPS * (1 + np.abs(df))
    bad = np.abs(hand - df) > tol
    assert not bad.any(), f"{what}: hand {hand[bad]} vs finite differences {df[bad]} (tol {tol[bad]})"


def assert_raises_naming(name, expected, received, call):
    """call() raises a ValueError that starts with ``name`` and says what was ``expected`` and ``received``."""
    with pytest.raises(ValueError) as err:
        call()
    msg = str(err.value)
    assert msg.startswith(name) and expected in msg and received in msg, f"unhelpful message: {msg!r}"


def whole_message(text):
    """The regular expression that matches exactly ``text``, the whole message and nothing else."""
    return "^" + re.escape(text) + "$"


# ---------------------------------------------------------------- cases
ELMAN_SIZES = (3, 2, 6)     # H, D, T
GATED_SIZES = (3, 2)        # H, D: H ≠ D so a transposed block cannot pass a shape check by accident


def elman_case(rng, scale=1.2):
    """(params with a nonzero bias, h0, xs, dE/dh_t) of an Elman RNN of ELMAN_SIZES."""
    H, D, T = ELMAN_SIZES
    p = rnn.init_params(H, D, rng, scale=scale)
    p["b"] = 0.5 * rng.standard_normal(H)
    return p, rng.standard_normal(H), rng.standard_normal((T, D)), rng.standard_normal((T, H))


def lstm_case(variant, seed=0, scale=2.0):
    """Parameters at scale 2 (gates away from saturation but not linear) and a random state."""
    H, D = GATED_SIZES
    rng = np.random.default_rng(seed)
    p = lstm.init_params(H, D, rng, scale=scale, variant=variant)
    return p, rng.normal(size=H), rng.normal(size=H), rng.normal(size=D)


def gru_case(seed=0, scale=2.0):
    H, D = GATED_SIZES
    rng = np.random.default_rng(seed)
    return gru.init_params(H, D, rng, scale=scale), rng.normal(size=H), rng.normal(size=D)


# ---------------------------------------------------------------- extreme inputs (issue 13, part 4)
# Pre-activations up to ±1e3, sequences of T = 1,000 steps, hidden size 256, saturated gates (biases ±1e3) and
# float32 inputs: every result is finite, has its shape, raises no warning (pytest runs with warnings as errors,
# and strict() also turns numpy's overflow / invalid / divide-by-zero into errors), and equals its mathematical
# limit where one exists. Underflow to 0 is allowed: it is the correctly rounded value of e^{−1000}.
T_LONG = 1000
H_WIDE = 256
BIG = 1e3
#: T = 1,000 sequences cost ~0.1 s each: two draws on top of the pinned @examples keep a stress test short
#: on one core (the boundaries are the @examples; the draws add variety, the ci/thorough profiles do not apply).
FEW = settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Elementwise functions are cheap (~3 ms a draw, 6 activations × 2 dtypes): more draws.
MANY = settings(max_examples=40, deadline=None)


@contextlib.contextmanager
def strict():
    """No warning of any kind, and numpy's overflow, invalid and divide-by-zero raise (underflow to 0 is fine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield


def finite(*arrays):
    for a in arrays:
        a = np.asarray(a)
        assert np.all(np.isfinite(a)), f"non-finite entries: {a[~np.isfinite(a)][:5]}"
