"""models/activations.py: values and derivatives (against autograd and scipy.differentiate), the sup and range
the registry states, the kink convention, bad input, and the extreme inputs ±1e3 in float64 and float32.

Stated behaviours tested here: ReLU'(0) := 0 and leaky ReLU'(0) := α (PyTorch's choice, docs/DESIGN.md); autograd
agrees, finite differences do not (a central stencil gives the symmetric subgradient ½), so check_jacobian fails
there. float32 is accepted and kept (float32 in, float32 out); relu'/leaky_relu' return float64 (their values 0, 1,
α are constants).
"""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import example, given
from scipy.differentiate import derivative as fd_derivative
from vanishing.checks import oracles, strategies
from vanishing.models import activations as A

from vanishing_testkit import BIG, MANY, assert_ad_close, assert_fd_close, finite, strict

NAMES = list(A.ACTIVATIONS)
EXTREMES = np.array([-1e300, -1e3, -40.0, -1.0, -1e-300, 0.0, 1e-300, 1.0, 40.0, 1e3, 1e300])
KINKED = {"relu", "leaky_relu"}


@pytest.mark.parametrize("name", NAMES)
def test_activation_stable_at_extremes(name):
    a = A.get_activation(name)
    v, d = a.f(EXTREMES), a.df(EXTREMES)  # pytest turns overflow/invalid RuntimeWarnings into errors
    assert v.shape == d.shape == EXTREMES.shape, f"{name}: shapes {v.shape}, {d.shape}"
    assert np.all(np.isfinite(v)) and np.all(np.isfinite(d)), f"{name}: non-finite value at ±1e3/±1e300"
    assert np.all(np.abs(d) <= a.deriv_sup), f"{name}: |f'| exceeds deriv_sup {a.deriv_sup}"


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_matches_autograd(name, rng):
    a = A.get_activation(name)
    x = np.concatenate([rng.uniform(-30, 30, 64), rng.standard_normal(64)])
    if name in KINKED:
        x = x[np.abs(x) > 1e-3]  # precondition: away from the kink at 0 (the convention is tested below)
    assert_ad_close(a.df(x), autograd.elementwise_grad(a.f)(x), f"{name}'")


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_matches_fd(name, rng):
    a = A.get_activation(name)
    x = rng.uniform(-4, 4, 32)
    if name in KINKED:
        x = x[np.abs(x) > 0.1]  # precondition: FD stencil (initial step 0.5, shrinking) must not straddle the kink...
        res = fd_derivative(a.f, x, initial_step=0.05)  # ...so start with a step below the distance to it
    else:
        res = fd_derivative(a.f, x)
    assert_fd_close(a.df(x), res.df, res.error, f"{name}' vs scipy.differentiate.derivative")


def test_kink_conventions_are_pytorchs():
    assert A.relu_prime(0.0) == 0.0, "relu'(0) must be 0 (PyTorch's choice)"
    assert A.leaky_relu_prime(0.0, alpha=0.2) == 0.2, "leaky_relu'(0) must be alpha (PyTorch's choice)"
    assert autograd.grad(A.relu)(0.0) == 0.0, "autograd of relu at 0 must agree with relu_prime(0) = 0"


@pytest.mark.parametrize("name", NAMES)
def test_activation_sup_and_range(name):
    a = A.get_activation(name)
    grid = np.linspace(-50, 50, 20001)
    assert np.max(np.abs(a.df(grid))) <= a.deriv_sup, f"{name}: sup |f'| over a grid exceeds deriv_sup"
    if a.deriv_sup_at is not None:
        np.testing.assert_allclose(abs(a.df(np.array([a.deriv_sup_at]))[0]), a.deriv_sup, rtol=1e-15,
                                   err_msg=f"{name}: |f'(deriv_sup_at)| != deriv_sup")
    v = a.f(grid)
    if a.range_lo is not None:
        assert np.all(v >= a.range_lo), f"{name}: value below range_lo"
    if a.range_hi is not None:
        assert np.all(v <= a.range_hi), f"{name}: value above range_hi"


def test_sigmoid_sup_is_a_quarter():
    np.testing.assert_allclose(A.sigmoid_prime(0.0), 0.25, rtol=1e-15)
    np.testing.assert_allclose(A.sigmoid(0.0), 0.5, rtol=1e-15)


def test_get_activation_rejects_unknown_name():
    with pytest.raises(ValueError, match="sigmoid.*tanh.*relu"):
        A.get_activation("softplus")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_activation_rejects_non_finite(bad):
    with pytest.raises(ValueError, match="x: expected finite"):
        A.tanh(np.array([0.0, bad]))
    with pytest.raises(ValueError, match="x: expected finite"):
        A.arctan_prime(np.array([bad]))


# ---------------------------------------------------------------- written for mutation survivors
@pytest.mark.survivor
def test_every_registered_activation_is_named_by_its_key():
    # pins: an entry's .name is its key in ACTIVATIONS (reports and errors name an activation by .name); a mutant
    # that renamed the identity's entry passed every other test
    assert {k: a.name for k, a in A.ACTIVATIONS.items()} == {k: k for k in A.ACTIVATIONS}


@pytest.mark.survivor
def test_an_activation_whose_derivative_reaches_its_sup_says_where():
    # pins: deriv_sup_at is set wherever |f'| attains deriv_sup. A mutant recorded leaky ReLU's sup |f'| = 1 as never
    # attained (deriv_sup_at None); DEEP-ACT-DERIV-SUP reaches it only when Hypothesis draws name="leaky_relu", and
    # test_activation_sup_and_range skips None
    grid = np.linspace(-5.0, 5.0, 101)
    for name, a in A.ACTIVATIONS.items():
        reached = np.abs(np.array([float(a.df(x)) for x in grid])) == a.deriv_sup
        if reached.any():
            assert a.deriv_sup_at is not None, f"{name}: |f'| = sup at x = {grid[reached][0]}, but deriv_sup_at is None"
        if a.deriv_sup_at is not None:
            assert abs(float(a.df(a.deriv_sup_at))) == a.deriv_sup, name


@pytest.mark.survivor
def test_leaky_relu_is_differentiable_in_its_slope():
    # pins: autograd differentiates leaky_relu(x; α) in α, d/dα = x for x < 0 and 0 for x > 0. A mutant misspelt
    # autograd's box attribute, so α was turned into a float and autograd lost it (an error or 0)
    assert autograd.grad(lambda a: A.leaky_relu(-3.0, a))(0.2) == -3.0
    assert autograd.grad(lambda a: A.leaky_relu(2.0, a))(0.2) == 0.0


# ---------------------------------------------------------------- extreme inputs (the slow tier)
BRANCH_POINTS = np.array([-BIG, -300.0, -40.0, -36.8, -20.0, -1.0, 0.0, 1.0, 20.0, 36.8, 40.0, 300.0, BIG])
LIMITS = {  # name: (f(−1e3), f(+1e3), f'(−1e3), f'(+1e3)) exactly, in float64
    "sigmoid": (0.0, 1.0, 0.0, 0.0),
    "tanh": (-1.0, 1.0, 0.0, 0.0),
    "relu": (0.0, BIG, 0.0, 1.0),
    "leaky_relu": (-0.01 * BIG, BIG, 0.01, 1.0),
    "arctan": (-np.arctan(BIG), np.arctan(BIG), 1.0 / (1.0 + BIG * BIG), 1.0 / (1.0 + BIG * BIG)),
    "identity": (-BIG, BIG, 1.0, 1.0),
}


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_activation_limits_at_plus_minus_1e3(name, dtype):
    """f and f' at ±1e3: the exact limits, no warning, in float64 and float32 (float32 is kept for f)."""
    a = A.ACTIVATIONS[name]
    x = np.array([-BIG, BIG], dtype=dtype)
    with strict():
        f, df = a.f(x), a.df(x)
    assert f.dtype == dtype, f"{name}: f changed the dtype {dtype.__name__} to {f.dtype}"
    want_df = np.float64 if name in ("relu", "leaky_relu") else dtype    # the stated dtypes (module docstring)
    assert df.dtype == want_df, f"{name}': dtype {df.dtype}, expected {want_df.__name__}"
    lo, hi, dlo, dhi = LIMITS[name]
    tol = 0.0 if dtype is np.float64 else 4 * np.finfo(np.float32).eps
    np.testing.assert_allclose(f, np.array([lo, hi], dtype=dtype), rtol=tol, atol=0)
    np.testing.assert_allclose(df, np.array([dlo, dhi], dtype=dtype), rtol=tol, atol=0)


@pytest.mark.slow
@MANY
@given(x=strategies.preactivations(5))
@example(x=BRANCH_POINTS[:5]).via("boundaries: ±1e3 and the tanh′ branch cuts at ±300, ±20")
@example(x=BRANCH_POINTS[8:]).via("boundaries: sigmoid rounds to 1 past 36.74")
@example(x=np.array([-89.5, 89.5, -20.0, 20.0, 0.0])).via("float32 cosh overflows past 89.4")
def test_activations_stay_in_range_without_warnings(x):
    """For every activation: f, f' finite, 0 ≤ f' ≤ sup f' (the registry's), f within its stated range, float64 and float32."""
    for dtype in (np.float64, np.float32):
        xd = x.astype(dtype)
        for a in A.ACTIVATIONS.values():
            with strict():
                f, df = np.asarray(a.f(xd)), np.asarray(a.df(xd))
            finite(f, df)
            assert f.shape == df.shape == x.shape
            assert np.all(df >= 0) and np.all(df <= a.deriv_sup), f"{a.name}': {df} outside [0, {a.deriv_sup}]"
            if a.range_lo is not None:
                assert np.all(f >= np.asarray(a.range_lo, dtype=dtype)), f"{a.name}: {f} below {a.range_lo}"
            if a.range_hi is not None:
                assert np.all(f <= np.asarray(a.range_hi, dtype=dtype)), f"{a.name}: {f} above {a.range_hi}"


@pytest.mark.slow
def test_tanh_prime_float32_matches_float64_in_the_tail():
    """tanh' in float32 (found overflowing in cosh past |x| ≈ 89.4 before the fix) equals the float64 value rounded."""
    x = np.array([-100.0, -50.0, -20.5, -20.0, 19.9, 30.0, 44.0, 89.5, 90.0, 300.0, BIG])
    with strict():
        d32 = A.tanh_prime(x.astype(np.float32))
        d64 = A.tanh_prime(x)
    # where the float64 value is a float32 normal, float32 is within a few float32 ulps; below, it flushes toward 0
    normal = d64 >= np.finfo(np.float32).tiny
    np.testing.assert_allclose(d32[normal], d64[normal], rtol=8 * np.finfo(np.float32).eps, atol=0)
    assert np.all(d32[~normal] <= np.float32(d64[~normal].max()) * 2)
    assert d32[-1] == 0.0 and d32[-2] == 0.0


@pytest.mark.slow
def test_relu_kink_convention_and_what_each_oracle_says():
    """relu'(0) := 0, leaky'(0) := α; autograd agrees (the where-form); FD gives ½ (resp. (1+α)/2), so check_jacobian fails."""
    zero = np.array([0.0])
    assert A.relu_prime(zero)[0] == 0.0
    assert A.leaky_relu_prime(zero, 0.2)[0] == 0.2
    assert oracles.jacobian_reverse(A.relu, zero)[0, 0] == 0.0
    assert oracles.jacobian_forward(A.relu, zero)[0, 0] == 0.0
    assert autograd.grad(lambda u: anp.sum(A.leaky_relu(u, 0.2)))(zero)[0] == 0.2
    J, _ = oracles.jacobian_fd(A.relu, zero)
    assert J[0, 0] == pytest.approx(0.5, abs=1e-12)        # the symmetric stencil sees the average slope
    J, _ = oracles.jacobian_fd(lambda u: A.leaky_relu(u, 0.2), zero)
    assert J[0, 0] == pytest.approx(0.6, abs=1e-12)
    with pytest.raises(AssertionError, match="finite differences"):
        oracles.check_jacobian(A.relu, zero)
    # one step beside the kink, with the stencil kept off it, all three oracles agree
    oracles.check_jacobian(A.relu, np.array([1e-3, -1e-3]), initial_step=1e-4,
                           closed_form=np.diag(A.relu_prime(np.array([1e-3, -1e-3]))))
