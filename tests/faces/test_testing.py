"""vanishing.testing.assert_gradients: silent on a correct gradient, raises with the report otherwise."""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd.extend import defvjp, primitive

from vanishing.testing import assert_gradients


@primitive
def _cube(x):
    return x ** 3


defvjp(_cube, lambda ans, x: lambda g: g * 3.0 * x ** 2 * 1.000001)     # wrong by a factor 1.000001


def test_correct_gradient_returns_the_result():
    r = assert_gradients(lambda x, y: anp.sum(anp.sin(x) * y), np.linspace(0.1, 1, 3), np.ones(3))
    assert r.ok and r.passed


def test_planted_error_raises_with_worst_entry_and_reproduce():
    with pytest.raises(AssertionError) as e:
        assert_gradients(_cube, np.array([0.5, 1.5]))
    msg = str(e.value)
    assert "FAIL" in msg and "worst entry" in msg and "reproduce:" in msg and "1.00e-06 relative" in msg


def test_kink_raises_unless_allowed():
    with pytest.raises(AssertionError, match="inconclusive"):
        assert_gradients(lambda x: anp.maximum(x, 0.0), np.array([0.0, 2.0]))
    assert assert_gradients(lambda x: anp.maximum(x, 0.0), np.array([0.0, 2.0]), allow_inconclusive=True).inconclusive


def test_allow_inconclusive_still_needs_one_decided_entry():
    with pytest.raises(AssertionError, match="no entry could be decided"):
        assert_gradients(lambda x: anp.maximum(x, 0.0), np.array([0.0]), allow_inconclusive=True)
