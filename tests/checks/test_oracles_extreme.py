"""The oracles (checks/oracles.py) at extreme inputs: pre-activations up to ±1e3 and float32 points (the slow tier).

jacobian_fd, jacobian_reverse and jacobian_forward convert x to float64. These tests join the oracles' own test
files once those are split along checks/oracles.py; until then they live here.
"""
import numpy as np
import pytest

from vanishing.checks import assertions, oracles
from vanishing.models import activations

from vanishing_testkit import BIG, finite, strict

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "arctan"])
def test_oracles_agree_at_saturated_preactivations(name):
    """check_jacobian (reverse, forward, FD, closed form) at pre-activations up to ±1e3: finite, diagonal, the limits."""
    a = activations.ACTIVATIONS[name]
    x = np.array([-BIG, -40.0, -1.0, 0.5, 40.0, BIG])
    with strict():
        J = oracles.check_jacobian(a.f, x, closed_form=np.diag(a.df(x)), structure=assertions.diagonal_mask(x.size),
                                   label=name)
    finite(J)
    if name != "arctan":
        assert J[0, 0] == 0.0 and J[-1, -1] == 0.0, f"{name}'(±1e3) = {J[0, 0]}, {J[-1, -1]}, expected 0"


def test_oracles_compute_float32_inputs_in_float64():
    """jacobian_fd / reverse / forward convert x to float64: a float32 x gives the float64 Jacobian of the float64 point."""
    x32 = np.array([-BIG, 0.25, 40.0], dtype=np.float32)
    x64 = x32.astype(np.float64)
    for oracle in (oracles.jacobian_reverse, oracles.jacobian_forward):
        with strict():
            J = oracle(activations.tanh, x32)
        assert J.dtype == np.float64
        np.testing.assert_array_equal(J, oracle(activations.tanh, x64))
    with strict():
        J, err = oracles.jacobian_fd(activations.tanh, x32)
    assert J.dtype == np.float64
    np.testing.assert_allclose(np.diag(J), activations.tanh_prime(x64), rtol=0, atol=1e-12)
