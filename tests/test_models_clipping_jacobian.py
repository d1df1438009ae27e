"""clipping is differentiable by autograd, and its hand-derived Jacobian agrees with all three oracles."""
import numpy as np
import pytest
from hypothesis import assume, given

from vanishing.checks import oracles
from vanishing.checks.strategies import floats, vectors
from vanishing.models import clipping as C


@pytest.mark.parametrize("eps", [0.0, 1e-6])
@given(g=vectors(4, -50.0, 50.0), c=floats(0.1, 100.0))
def test_global_clip_jacobian_three_oracles(eps, g, c):
    n = np.linalg.norm(g)
    assume(abs(n - c) > 1e-3 * max(c, 1.0) and n > 1e-3)     # away from the kink at ‖g‖ = c (FD steps are scaled below)
    step = min(0.5, 0.25 * abs(n - c))                         # keep the FD stencil on one side of the kink
    oracles.check_jacobian(lambda v: C.clip_by_global_norm([v], c, eps=eps)[0][0], g,
                           closed_form=C.global_clip_jacobian(g, c, eps), label=f"clip Jacobian (eps={eps})", initial_step=step)


def test_planted_wrong_jacobian_is_caught():
    g = np.array([3.0, -4.0, 1.0])
    wrong = 1.0 / np.linalg.norm(g) * np.eye(3)                 # the projection term −ĝĝᵀ dropped
    with pytest.raises(AssertionError, match="closed form vs autograd"):
        oracles.check_jacobian(lambda v: C.clip_by_global_norm([v], 1.0)[0][0], g, closed_form=wrong, label="planted")
