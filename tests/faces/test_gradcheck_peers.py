"""The peer benchmark's plants change the Jacobian as named, and (slow, torch) its run scores the checkers."""
import numpy as np
import pytest

from vanishing.gradcheck import peers


@pytest.mark.parametrize("kind", peers.KINDS)
def test_each_plant_is_an_error_of_the_stated_relative_size(kind):
    J = np.arange(1.0, 13.0).reshape(3, 4) * np.array([1, -1, 1, 1])
    bad = peers._plant(J, kind, 1e-6, np.random.default_rng(0))
    d = np.abs(bad - J)
    assert 0 < d.max() <= 2.1e-6 * np.abs(J).max()          # s times the fully wrong change (at most 2|J|)


def test_a_plant_that_changes_nothing_is_left_out():
    assert peers._plant(np.eye(3), "transposed block", 1e-2, np.random.default_rng(0)) is None
    assert peers._plant(np.ones((1, 3)), "transposed block", 1e-2, np.random.default_rng(0)) is None


@pytest.mark.slow
@pytest.mark.torch
def test_peer_run_on_three_operators_scores_ours_and_torch():
    torch = pytest.importorskip("torch")
    pytest.importorskip("expecttest")
    ops = peers.operators(torch, limit=3)
    assert len(ops) == 3
    name, fn, x, J = ops[0]
    ok = peers._checkers(torch, fn, x, J, jax_ok=False)
    assert ok["ours full"]() is False and ok["torch gradcheck slow"]() is False
    bad = peers._checkers(torch, fn, x, peers._plant(J, "missing factor", 1e-6, np.random.default_rng(0)), jax_ok=False)
    assert bad["ours full"]() is True and bad["ours directional"]() is True
    assert bad["torch gradcheck slow"]() is False            # 1e-6 is inside torch's default tolerances
