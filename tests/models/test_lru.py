"""models/lru.py: shapes, validation, the state Jacobian diag(λ) (real 2H×2H form) against autograd and FD, the
associative scan against the loop, the ring initialisation's ranges, |λ| < 1, ±1e3 and float32."""
import autograd
import autograd.numpy as anp
import numpy as np

from vanishing.models import lru

from vanishing_testkit import BIG, assert_ad_close, assert_fd_close, assert_raises_naming, fd_jacobian, finite, strict

H, D, T = 3, 2, 9


def _case(rng):
    return lru.init_params(H, D, rng, 0.4, 0.99), rng.normal(size=H), rng.normal(size=H), rng.normal(size=(T, D))


def test_shapes_and_count(rng):
    p, hr, hi, us = _case(rng)
    ys, rs, js = lru.forward(p, hr, hi, us)
    assert ys.shape == (T, D) and rs.shape == js.shape == (T, H)
    assert [a.shape for a in lru.step(p, hr, hi, us[0])] == [(H,), (H,), (D,)]
    assert lru.param_count(H, D) == sum(v.size for v in p.values())


def test_state_jacobian_is_diag_lambda(rng):
    p, hr, hi, us = _case(rng)
    J = lru.step_jacobian(p, hr, hi, us[0])
    def f(v):
        return anp.concatenate(lru.step(p, v[:H], v[H:], us[0])[:2])
    v0 = np.concatenate([hr, hi])
    assert_ad_close(J, autograd.jacobian(f)(v0), "LRU J")
    df, err = fd_jacobian(f, v0)
    assert_fd_close(J, df, err, "LRU J vs FD")
    r, lr, li = lru.eigenvalues(p)
    np.testing.assert_allclose(np.hypot(lr, li), r, rtol=1e-15)
    assert np.all(r < 1.0)


def test_scan_equals_the_loop_with_gradients(rng):
    p, hr, hi, us = _case(rng)
    for a, b in zip(lru.forward(p, hr, hi, us), lru.forward_scan(p, hr, hi, us)):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)
    g1 = autograd.grad(lambda P: anp.sum(lru.forward(P, hr, hi, us)[0] ** 2))(p)
    g2 = autograd.grad(lambda P: anp.sum(lru.forward_scan(P, hr, hi, us)[0] ** 2))(p)
    for k in g1:
        np.testing.assert_allclose(g2[k], g1[k], rtol=1e-11, atol=1e-13, err_msg=k)


def test_ring_init_lands_in_the_ring(rng):
    nu_log, theta_log = lru.ring_init(2000, rng, 0.5, 0.9, np.pi / 2)
    r, th = np.exp(-np.exp(nu_log)), np.exp(theta_log)
    assert r.min() >= 0.5 - 1e-15 and r.max() <= 0.9 + 1e-15 and th.max() <= np.pi / 2
    assert_raises_naming("r_min, r_max", "0 <= r_min <= r_max <= 1", "r_max = 1.5", lambda: lru.ring_init(3, rng, 0.5, 1.5))


def test_validation_names_the_parameter(rng):
    p, hr, hi, us = _case(rng)
    assert_raises_naming("h_im", "(3,)", "(2,)", lambda: lru.step(p, hr, hi[:2], us[0]))
    assert_raises_naming("us", "(*, 2)", "(9, 3)", lambda: lru.forward(p, hr, hi, np.ones((T, 3))))


def test_extreme_values_are_finite_and_float32_stays_float32(rng):
    p, hr, hi, us = _case(rng)
    with strict():
        for sign in (1.0, -1.0):
            q = dict(p, nu_log=np.full(H, sign * BIG), theta_log=np.full(H, sign * BIG))
            finite(*lru.forward(q, sign * BIG * np.ones(H), hi, sign * BIG * np.ones((T, D))),
                   *lru.forward_scan(q, hr, hi, sign * BIG * np.ones((T, D))), lru.step_jacobian(q, hr, hi, us[0]))
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    assert lru.forward(p32, hr.astype(np.float32), hi.astype(np.float32), us.astype(np.float32))[0].dtype == np.float32
