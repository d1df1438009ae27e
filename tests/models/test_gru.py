"""models/gru.py: shapes, the two reset conventions, bad input, the hand-derived Jacobians against autograd and
scipy.differentiate, and a saturated update gate over T = 1,000 steps."""
import numpy as np
import pytest
from autograd import jacobian
from hypothesis import example, given
from hypothesis import strategies as st

from vanishing.checks import strategies
from vanishing.models import gru

from vanishing_testkit import (BIG, FEW, GATED_SIZES, T_LONG, assert_fd_agrees, assert_raises_naming, assert_ulps_close,
                               finite, gru_case, strict)

H, D = GATED_SIZES


@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_shapes(reset):
    p, h, x = gru_case()
    s = gru.gates(p, h, x, reset)
    assert set(s) == {"a_r", "a_z", "a_n", "hn", "r", "z", "n", "h"}
    assert all(np.shape(v) == (H,) for v in s.values())
    assert gru.step(p, h, x, reset).shape == (H,)
    xs = np.random.default_rng(1).normal(size=(4, D))
    hs = gru.forward(p, h, xs, reset)
    assert hs.shape == (4, H) and np.array_equal(hs[0], gru.step(p, h, xs[0], reset))
    assert np.array_equal(hs[1], gru.step(p, hs[0], xs[1], reset)), "forward must carry h"
    assert gru.forward(p, h, np.zeros((0, D)), reset).shape == (0, H)
    assert gru.step_jacobian(p, h, x, reset).shape == gru.direct_path_jacobian(p, h, x, reset).shape == (H, H)
    assert gru.param_count(H, D) == sum(np.size(v) for v in p.values()) == 3 * (H * D + H * H + 2 * H)


def test_reset_conventions_differ():
    p, h, x = gru_case()
    assert not np.allclose(gru.step(p, h, x, "after"), gru.step(p, h, x, "before")), \
        "with nonzero b_hn and r ≠ 1 the two GRU conventions must give different steps"


# ---------------------------------------------------------------- bad inputs
def _bad_gru_calls():
    p, h, x = gru_case()
    nan_p = dict(p, b_h=np.full(3 * H, np.inf))
    return [
        ("h_prev", "(3,)", "(4,)", lambda: gru.step(p, np.zeros(4), x)),
        ("x", "(2,)", "(1,)", lambda: gru.step_jacobian(p, h, np.zeros(1))),
        ("params['b_h']", "non-finite", "9", lambda: gru.step(nan_p, h, x)),
        ("reset", "after", "'middle'", lambda: gru.step(p, h, x, "middle")),
        ("params", "dict", "list", lambda: gru.step([p], h, x)),
        ("D", "positive int", "1.5", lambda: gru.init_params(H, 1.5, np.random.default_rng(0))),
    ]


@pytest.mark.parametrize("name, expected, received, call", _bad_gru_calls(), ids=lambda v: v if isinstance(v, str) else "")
def test_bad_input_raises_naming_parameter(name, expected, received, call):
    assert_raises_naming(name, expected, received, call)


# ---------------------------------------------------------------- Jacobians vs autograd and finite differences
@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_step_jacobian_vs_autograd(reset):
    p, h, x = gru_case()
    J = jacobian(lambda h_: gru.step(p, h_, x, reset))(h)
    assert_ulps_close(gru.step_jacobian(p, h, x, reset), J, f"GRU ∂h_t/∂h_(t-1), reset={reset}")


@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_direct_path_vs_autograd(reset):
    p, h, x = gru_case()
    s = gru.gates(p, h, x, reset)
    J = jacobian(lambda h_: (1 - s["z"]) * s["n"] + s["z"] * h_)(h)  # gates held at their values at h
    assert_ulps_close(gru.direct_path_jacobian(p, h, x, reset), J, f"GRU diag(z), reset={reset}")


@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_step_jacobian_vs_scipy(reset):
    p, h, x = gru_case()
    assert_fd_agrees(gru.step_jacobian(p, h, x, reset), lambda h_: gru.step(p, h_, x, reset), h, f"GRU, reset={reset}")


# ---------------------------------------------------------------- written for mutation survivors
@pytest.mark.survivor
def test_gru_gates_default_to_reset_after():
    # pins: gates() defaults to reset="after", as step() does (a mutant changed the default to an invalid string)
    p = gru.init_params(3, 2, np.random.default_rng(0))
    h, x = np.full(3, 0.3), np.array([0.5, -1.0])
    assert np.array_equal(gru.gates(p, h, x)["h"], gru.gates(p, h, x, reset="after")["h"])


# ---------------------------------------------------------------- T = 1,000 steps, saturated gates (the slow tier)
@pytest.mark.slow
@pytest.mark.parametrize("reset", ["after", "before"])
@pytest.mark.parametrize("bz", [BIG, -BIG])
def test_gru_update_gate_saturated_over_1000_steps(reset, bz):
    """b_z = +1e3: z = 1 exactly, h_t = h_0 for 1,000 steps and ∂h_t/∂h_{t−1} = I; b_z = −1e3: z = 0, h_t = n_t, direct path 0."""
    H = 2
    p = gru.init_params(H, 1, np.random.default_rng(6))
    b = p["b_x"].copy()
    b[H:2 * H] = bz                                 # gate blocks r, z, n (docs/DESIGN.md)
    p = {**p, "b_x": b}
    rng = np.random.default_rng(7)
    h0, xs = rng.uniform(-1, 1, H), rng.uniform(-BIG, BIG, (T_LONG, 1))
    with strict():
        hs = gru.forward(p, h0, xs, reset=reset)
        Jd = gru.direct_path_jacobian(p, h0, xs[0], reset=reset)
        J = gru.step_jacobian(p, h0, xs[0], reset=reset)
        gs = gru.gates(p, h0, xs[0], reset=reset)
    assert hs.shape == (T_LONG, H)
    finite(hs, Jd, J)
    if bz > 0:
        assert np.all(hs == h0), "z = 1 must copy the state exactly"
        assert np.array_equal(Jd, np.eye(H)) and np.array_equal(J, np.eye(H))
    else:
        assert np.all(np.asarray(gs["z"]) == 0.0)
        np.testing.assert_array_equal(hs[0], np.asarray(gs["n"]))
        assert np.array_equal(Jd, np.zeros((H, H)))
        assert np.all(np.abs(hs) <= 1.0)


@pytest.mark.slow
@FEW
@given(reset=st.sampled_from(["after", "before"]), xs=strategies.sequences(T_LONG, 1, -BIG, BIG))
@example(reset="before", xs=np.full((T_LONG, 1), BIG)).via("all gates saturated")
def test_gru_sequence_of_1000_steps_at_extreme_inputs(reset, xs):
    """gru.forward over T = 1,000, inputs ±1e3, weights ×300: finite, |h_t| ≤ max(|h_0|, 1) (a convex combination)."""
    p = {k: 300.0 * v for k, v in gru.init_params(2, 1, np.random.default_rng(8)).items()}
    with strict():
        hs = gru.forward(p, np.full(2, 0.5), xs, reset=reset)
    assert hs.shape == (T_LONG, 2)
    finite(hs)
    assert np.all(np.abs(hs) <= 1.0)
