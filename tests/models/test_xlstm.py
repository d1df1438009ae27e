"""models/xlstm.py: sLSTM and mLSTM: shapes, validation, the direct path diag(f′) against autograd and FD, stabilised
= unstabilised (values and gradients), mLSTM parallel = recurrent, ±1e3 without overflow, float32."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from vanishing.models import xlstm as X

from vanishing_testkit import BIG, assert_ad_close, assert_fd_close, assert_raises_naming, fd_jacobian, finite, strict

H, D, T = 3, 2, 6


def _slstm(rng, scale=3.0):
    z = np.zeros(H)
    return X.slstm_init_params(H, D, rng, scale), (rng.normal(size=H), z, z, z), 2 * rng.normal(size=(T, D))


def _mlstm(rng):
    p = {k: rng.normal(size=s) for k, s in X.mlstm_shapes(H, D).items()}
    return p, (np.zeros((H, H)), np.zeros(H), np.array(0.0)), 2 * rng.normal(size=(T, D))


def test_shapes_and_counts(rng):
    p, s, xs = _slstm(rng)
    hs, c, n, m = X.slstm_forward(p, s, xs)
    assert hs.shape == (T, H) and c.shape == n.shape == m.shape == (H,)
    assert X.slstm_param_count(H, D) == sum(v.size for v in p.values())
    q, s0, _ = _mlstm(rng)
    hs, C, n, m = X.mlstm_forward(q, s0, xs)
    assert hs.shape == (T, H) and C.shape == (H, H) and m.shape == ()
    assert X.mlstm_param_count(H, D) == sum(v.size for v in q.values())


@pytest.mark.parametrize("forget", X.FORGETS)
def test_slstm_direct_path_is_diag_f(forget, rng):
    p, (h, c, n, m), xs = _slstm(rng)
    c, n = rng.normal(size=H), np.abs(rng.normal(size=H)) + 1.0
    J = X.slstm_direct_path_jacobian(p, (h, c, n, m), xs[0], forget)
    fc = lambda v: X.slstm_step(p, (h, v, n, m), xs[0], forget)[1]
    assert_ad_close(J, autograd.jacobian(fc)(c), "∂c_t/∂c_(t−1)")
    df, err = fd_jacobian(fc, c)
    assert_fd_close(J, df, err, "∂c_t/∂c_(t−1) vs FD")
    assert_ad_close(J, autograd.jacobian(lambda v: X.slstm_step(p, (h, c, v, m), xs[0], forget)[2])(n), "∂n_t/∂n_(t−1)")


@pytest.mark.parametrize("forget", X.FORGETS)
def test_slstm_stabilised_equals_unstabilised_values_and_gradients(forget, rng):
    p, (h0, c0, n0, m0), xs = _slstm(rng)
    def run(P, stab):
        h, c, n, m, out = h0, c0, n0, m0, 0.0
        for x in xs:
            h, c, n, m = X.slstm_step(P, (h, c, n, m), x, forget) if stab else (*X.slstm_step_unstabilised(P, (h, c, n), x, forget), m)
            out = out + anp.sum(h ** 2)
        return out
    np.testing.assert_allclose(run(p, True), run(p, False), rtol=1e-13)
    g1, g2 = autograd.grad(lambda P: run(P, True))(p), autograd.grad(lambda P: run(P, False))(p)
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-11, atol=1e-14, err_msg=k)


def test_mlstm_parallel_and_unstabilised_equal_the_recurrent_form(rng):
    p, s0, xs = _mlstm(rng)
    hs = X.mlstm_forward(p, s0, xs)[0]
    np.testing.assert_allclose(X.mlstm_parallel(p, xs), hs, rtol=1e-12, atol=1e-14)
    s, out = (s0[0], s0[1]), []
    for x in xs:
        h, *s = X.mlstm_step_unstabilised(p, tuple(s), x)
        out.append(h)
    np.testing.assert_allclose(np.array(out), hs, rtol=1e-12, atol=1e-14)
    g1 = autograd.grad(lambda P: anp.sum(X.mlstm_forward(P, s0, xs)[0] ** 2))(p)
    g2 = autograd.grad(lambda P: anp.sum(X.mlstm_parallel(P, xs) ** 2))(p)
    for k in g1:
        np.testing.assert_allclose(g2[k], g1[k], rtol=1e-10, atol=1e-13, err_msg=k)


def test_unstabilised_overflow_and_zero_normaliser_raise_in_one_line(rng):
    p, (h, c, n, m), xs = _slstm(rng)
    p["b"][:H] = 800.0                           # ĩ ≈ 800: e^800 overflows
    with pytest.raises(ValueError, match=r"^i_t: exp\(ĩ_t\) or exp\(f̃_t\) overflowed"):
        X.slstm_step_unstabilised(p, (h, c, n), xs[0])
    finite(*X.slstm_step(p, (h, c, n, m), xs[0]))
    p["b"][:H], p["b"][H:2 * H] = -800.0, 30.0      # i′ = e^{−800}: from n_0 = 0 the first step sets m_1 = ĩ_1, so n_1 = 1
    np.testing.assert_array_equal(X.slstm_step(p, (h, c, n, m), np.zeros(D))[2], np.ones(H))
    with pytest.raises(ValueError, match=r"^n_t: the normaliser is 0"):     # ĩ = 0, log f = 0, m_0 = 0: f′ = i′ = 1, n_1 = −1 + 1
        X.slstm_step(dict(p, W=0 * p["W"], R=0 * p["R"], b=np.concatenate([np.zeros(H), np.full(H, 800.0), np.zeros(2 * H)])),
                     (h, c, n - 1.0, np.zeros(H)), np.zeros(D))


def test_validation_names_the_parameter(rng):
    p, s, xs = _slstm(rng)
    assert_raises_naming("state", "(h, c, n, m)", "length 3", lambda: X.slstm_step(p, s[:3], xs[0]))
    assert_raises_naming("c_prev", "(3,)", "(2,)", lambda: X.slstm_step(p, (s[0], np.zeros(2), s[2], s[3]), xs[0]))
    q, s0, _ = _mlstm(rng)
    assert_raises_naming("C_prev", "(3, 3)", "(3,)", lambda: X.mlstm_step(q, (np.zeros(3), s0[1], s0[2]), xs[0]))


def test_extremes_are_finite_and_float32_stays_float32(rng):
    p, s, xs = _slstm(rng)
    q, s0, _ = _mlstm(rng)
    with strict():
        for sign in (1.0, -1.0):
            big = sign * BIG * np.ones((T, D))
            finite(*X.slstm_forward(p, (s[0], s[1], s[2] + 1.0, s[3]), big), *X.mlstm_forward(q, s0, big), X.mlstm_parallel(q, big))
            qq = dict(q, b_i=np.array(sign * BIG), b_f=np.array(sign * BIG))
            finite(*X.mlstm_forward(qq, s0, xs), X.mlstm_parallel(qq, xs))
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    s32 = tuple(v.astype(np.float32) for v in s)
    assert X.slstm_forward(p32, (s32[0], s32[1], s32[2] + np.float32(1), s32[3]), xs.astype(np.float32))[0].dtype == np.float32
