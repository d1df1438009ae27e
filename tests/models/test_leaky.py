"""models/leaky.py: the limits α = 0 (the Elman RNN) and α = 1 (the identity), its Jacobians against autograd
and finite differences, α as a differentiable argument, bad α, and a saturated sequence of T = 1,000 steps."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from vanishing.models import activations as A
from vanishing.models import leaky, rnn

from vanishing_testkit import BIG, ELMAN_SIZES, T_LONG, assert_ad_close, assert_fd_close, elman_case, fd_jacobian, finite, strict

H, D, T = ELMAN_SIZES


def test_leaky_alpha_zero_is_rnn_and_alpha_one_is_identity(rng):
    p, h0, xs, _ = elman_case(rng)
    np.testing.assert_allclose(leaky.forward(p, h0, xs, 0.0), rnn.forward(p, h0, xs), rtol=1e-15)
    np.testing.assert_allclose(leaky.jacobian_products(p, h0, xs, 0.0), rnn.jacobian_products(p, h0, xs), rtol=1e-15)
    np.testing.assert_allclose(leaky.forward(p, h0, xs, 1.0), np.tile(h0, (T, 1)), rtol=1e-15)
    np.testing.assert_allclose(leaky.step_jacobian(p, h0, xs[0], 1.0), np.eye(H), rtol=1e-15)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.9])
@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_leaky_jacobians(alpha, act, rng):
    p, h0, xs, _ = elman_case(rng)
    J = leaky.step_jacobian(p, h0, xs[0], alpha, act)
    assert_ad_close(J, autograd.jacobian(lambda h: leaky.step(p, h, xs[0], alpha, act))(h0), f"leaky J (α={alpha})")
    Ps = leaky.jacobian_products(p, h0, xs, alpha, act)
    hs = np.vstack([h0, leaky.forward(p, h0, xs, alpha, act)])
    for k in range(T + 1):
        ref = np.eye(H) if k == T else autograd.jacobian(lambda h, k=k: leaky.forward(p, h, xs[k:], alpha, act)[-1])(hs[k])
        assert_ad_close(Ps[k], ref, f"leaky dh_T/dh_{k} (α={alpha})")
    df, err = fd_jacobian(lambda h: leaky.forward(p, h, xs, alpha, act)[-1], h0)
    assert_fd_close(Ps[0], df, err, f"leaky dh_T/dh_0 (α={alpha}) vs FD")


def test_leaky_alpha_is_differentiable(rng):
    p, h0, xs, _ = elman_case(rng)
    d = autograd.grad(lambda a: anp.sum(leaky.step(p, h0, xs[0], a)))(0.4)
    want = np.sum(h0 - A.tanh(anp.dot(p["W_hh"], h0) + anp.dot(p["W_xh"], xs[0]) + p["b"]))  # ∂h/∂α = h_{t−1} − g(a)
    np.testing.assert_allclose(d, want, rtol=1e-13)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, np.nan])
def test_leaky_rejects_bad_alpha(alpha, rng):
    p, h0, xs, _ = elman_case(rng)
    with pytest.raises(ValueError, match="alpha: expected"):
        leaky.step(p, h0, xs[0], alpha)


# ---------------------------------------------------------------- T = 1,000 steps (the slow tier)
@pytest.mark.slow
def test_leaky_rnn_over_1000_steps_saturated():
    """Leaky units, T = 1,000, every a_t saturated: J_t = α I exactly, so P[k] = α^{T−k} I (no warning at underflow)."""
    P = {"W_hh": np.full((2, 2), 0.1), "W_xh": np.ones((2, 1)), "b": np.zeros(2)}
    xs = np.full((T_LONG, 1), BIG)
    with strict():
        hs = leaky.forward(P, np.zeros(2), xs, 0.5)
        Pk = leaky.jacobian_products(P, np.zeros(2), xs, 0.5)
    finite(hs, Pk)
    with np.errstate(under="ignore"):
        expect = 0.5 ** np.arange(T_LONG, -1, -1.0)
    np.testing.assert_array_equal(Pk[:, 0, 0], expect)
    assert np.all(Pk[:, 0, 1] == 0.0)
