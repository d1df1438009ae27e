"""models/mamba.py: S6 shapes, validation, the state Jacobian diag(exp(ΔA)) against autograd and FD, the associative
scan against the loop, ZOH against the simplified B̄ = ΔB, φ₁ near 0, ±1e3 and float32."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from vanishing.models import mamba

from vanishing_testkit import BIG, assert_ad_close, assert_fd_close, assert_raises_naming, fd_jacobian, finite, strict

N, D, T = 4, 3, 8


def _case(rng):
    return mamba.init_params(N, D, rng), rng.normal(size=(D, N)), rng.normal(size=(T, D))


def test_shapes_and_count(rng):
    p, h0, xs = _case(rng)
    ys, hs = mamba.forward(p, h0, xs)
    assert ys.shape == (T, D) and hs.shape == (T, D, N)
    assert mamba.param_count(N, D) == sum(v.size for v in p.values())


@pytest.mark.parametrize("bbar", mamba.BBARS)
def test_state_jacobian_is_diag_exp_delta_a(bbar, rng):
    p, h0, xs = _case(rng)
    J = mamba.state_jacobian(p, h0, xs[0], bbar)
    f = lambda v: anp.ravel(mamba.step(p, anp.reshape(v, (D, N)), xs[0], bbar)[0])
    assert_ad_close(J, autograd.jacobian(f)(h0.ravel()), "S6 J")
    df, err = fd_jacobian(f, h0.ravel())
    assert_fd_close(J, df, err, "S6 J vs FD")
    assert np.all((np.diag(J) > 0) & (np.diag(J) <= 1))


@pytest.mark.parametrize("bbar", mamba.BBARS)
def test_scan_equals_the_loop(bbar, rng):
    p, h0, xs = _case(rng)
    for a, b in zip(mamba.forward(p, h0, xs, bbar), mamba.forward_scan(p, h0, xs, bbar)):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_zoh_and_euler_differ_at_second_order_in_delta(rng):
    p, _, xs = _case(rng)
    p["W_delta"][:] = 0.0
    diffs = []
    for dt in (1e-2, 5e-3):
        p["b_delta"] = np.full(D, dt + np.log(-np.expm1(-dt)))     # softplus⁻¹(dt): Δ = dt
        _, _, b_e, _ = mamba.discretize(p, xs[0], "euler")
        _, _, b_z, _ = mamba.discretize(p, xs[0], "zoh")
        diffs.append(np.max(np.abs(b_z - b_e)))
    assert 3.6 < diffs[0] / diffs[1] < 4.4                        # halving Δ quarters the difference: O(Δ²)
    np.testing.assert_allclose(mamba.phi1(np.array([0.0, 1e-6, -1e-6, -2.0])),
                               [1.0, 1 + 5e-7 + 1e-12 / 6, 1 - 5e-7 + 1e-12 / 6, np.expm1(-2.0) / -2.0], rtol=1e-15)   # 1 + z/2 + z²/6


def test_validation_names_the_parameter(rng):
    p, h0, xs = _case(rng)
    assert_raises_naming("h_prev", "(3, 4)", "(4, 3)", lambda: mamba.step(p, h0.T, xs[0]))
    assert_raises_naming("bbar", "['euler', 'zoh']", "'bilinear'", lambda: mamba.step(p, h0, xs[0], "bilinear"))


def test_extremes_are_finite_and_float32_stays_float32(rng):
    p, h0, xs = _case(rng)
    with strict():
        for sign in (1.0, -1.0):
            q = dict(p, A_log=np.full((D, N), sign * BIG), b_delta=np.full(D, sign * BIG))
            for bbar in mamba.BBARS:
                finite(*mamba.forward(q, sign * BIG * np.ones((D, N)), sign * BIG * np.ones((T, D)), bbar),
                       *mamba.forward_scan(q, h0, xs, bbar), mamba.state_jacobian(q, h0, xs[0], bbar))
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    assert mamba.forward(p32, h0.astype(np.float32), xs.astype(np.float32))[0].dtype == np.float32
