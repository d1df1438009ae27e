"""models/mingru.py: minGRU and minLSTM: shapes, validation, the step Jacobian diag(a_t) against autograd and FD, the
associative and log-space scans against the loop, the log-space scan's positivity precondition, ±1e3 and float32."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from vanishing.models import mingru

from vanishing_testkit import BIG, assert_ad_close, assert_fd_close, assert_raises_naming, fd_jacobian, finite, strict

H, D, T = 3, 2, 7


def _case(rng, cell, scale=3.0):
    return mingru.init_params(H, D, rng, cell, scale=scale), np.abs(rng.normal(size=H)) + 0.1, rng.normal(size=(T, D))


@pytest.mark.parametrize("cell", mingru.CELLS)
def test_shapes_and_count(cell, rng):
    p, h0, xs = _case(rng, cell)
    assert mingru.step(p, h0, xs[0], cell).shape == (H,)
    assert mingru.forward(p, h0, xs, cell).shape == (T, H)
    assert mingru.forward(p, h0, xs[:0], cell).shape == (0, H)
    assert mingru.param_count(H, D, cell) == sum(v.size for v in p.values())


@pytest.mark.parametrize("cell", mingru.CELLS)
@pytest.mark.parametrize("candidate", mingru.CANDIDATES)
def test_step_jacobian_is_diag_a_against_autograd_and_fd(cell, candidate, rng):
    p, h0, xs = _case(rng, cell)
    J = mingru.step_jacobian(p, h0, xs[0], cell, candidate)
    assert_ad_close(J, autograd.jacobian(lambda h: mingru.step(p, h, xs[0], cell, candidate))(h0), f"{cell} J")
    df, err = fd_jacobian(lambda h: mingru.step(p, h, xs[0], cell, candidate), h0)
    assert_fd_close(J, df, err, f"{cell} J vs FD")
    a, _ = mingru.coefficients(p, xs[0], cell, candidate)
    np.testing.assert_array_equal(J, np.diag(a))


@pytest.mark.parametrize("cell", mingru.CELLS)
@pytest.mark.parametrize("candidate", mingru.CANDIDATES)
def test_scans_equal_the_loop(cell, candidate, rng):
    p, h0, xs = _case(rng, cell)
    hs = mingru.forward(p, h0, xs, cell, candidate)
    np.testing.assert_allclose(mingru.forward_scan(p, h0, xs, cell, candidate), hs, rtol=1e-13, atol=1e-15)
    if candidate == "g":
        np.testing.assert_allclose(mingru.forward_log_scan(p, h0, xs, cell), hs, rtol=1e-12)
    g1 = autograd.grad(lambda P: anp.sum(mingru.forward(P, h0, xs, cell, candidate) ** 2))(p)
    g2 = autograd.grad(lambda P: anp.sum(mingru.forward_scan(P, h0, xs, cell, candidate) ** 2))(p)
    for k in g1:
        np.testing.assert_allclose(g2[k], g1[k], rtol=1e-11, atol=1e-13, err_msg=k)


def test_minlstm_normalised_gates_sum_to_one(rng):
    p, _, xs = _case(rng, "minlstm", scale=50.0)
    for x in xs:
        a, b = mingru.coefficients(p, x, "minlstm", "g")
        i_norm = b / mingru.g(p["W_h"] @ x + p["b_h"])
        np.testing.assert_allclose(a + i_norm, 1.0, rtol=0, atol=2 * np.finfo(float).eps)


def test_log_scan_refuses_non_positive_values(rng):
    p, h0, xs = _case(rng, "mingru")
    assert_raises_naming("h0", "positive values", "<= 0", lambda: mingru.forward_log_scan(p, -h0, xs))
    p["b_h"] = np.full(H, -50.0)
    with pytest.raises(ValueError, match=r"^h_tilde \(t = 1\): the log-space scan needs positive values"):
        mingru.forward_log_scan(p, h0, xs, candidate="linear")


def test_validation_names_the_parameter(rng):
    p, h0, xs = _case(rng, "mingru")
    assert_raises_naming("h_prev", "(3,)", "(2,)", lambda: mingru.step(p, h0[:2], xs[0]))
    assert_raises_naming("params", "missing ['b_z']", "unexpected []", lambda: mingru.step({k: v for k, v in p.items() if k != "b_z"}, h0, xs[0]))
    assert_raises_naming("cell", "['mingru', 'minlstm']", "'gru'", lambda: mingru.step(p, h0, xs[0], cell="gru"))
    assert_raises_naming("x", "finite", "1 non-finite", lambda: mingru.step(p, h0, np.array([np.nan, 0.0])))


@pytest.mark.parametrize("cell", mingru.CELLS)
def test_saturated_inputs_are_finite_and_float32_stays_float32(cell, rng):
    p, h0, xs = _case(rng, cell)
    with strict():
        for sign in (1.0, -1.0):
            big = sign * BIG * np.ones((T, D))
            finite(mingru.forward(p, h0, big, cell), mingru.forward_scan(p, h0, big, cell),
                   mingru.forward_log_scan(p, h0, big, cell), mingru.step_jacobian(p, h0, big[0], cell))
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    assert mingru.forward(p32, h0.astype(np.float32), xs.astype(np.float32), cell).dtype == np.float32


def test_the_scans_validate_their_arrays():
    from vanishing.models import scan
    assert_raises_naming("a, b", "one common leading time axis", "(4, 2)", lambda: scan.linear_scan(np.ones((3, 2)), np.ones((4, 2)), np.zeros(2)))
    assert_raises_naming("log_b", "finite values", "3 non-finite", lambda: scan.log_scan(np.ones((3, 2)), np.full((3, 1), np.nan), np.zeros(1)))
