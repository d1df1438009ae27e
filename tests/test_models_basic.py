"""Basic tests of the reference models: shapes, input errors, stability, and derivatives.

Every hand-derived derivative is compared with autograd (rtol 1e-12: both are exact up to
rounding) and with a finite-difference Jacobian from ``scipy.differentiate`` (tolerance from
its own error estimate). These tests use autograd and scipy directly; the shared oracle
module ``vanishing.checks.oracles`` is tested separately.
"""

import autograd
import autograd.numpy as anp
import numpy as onp
import pytest
from autograd.tracer import getval
from scipy.differentiate import derivative as fd_derivative
from scipy.differentiate import jacobian as fd_jacobian_raw
from vanishing.models import activations as A
from vanishing.models import clipping, deepnet, leaky, rnn

RTOL_AD = 1e-12          # hand-derived vs autograd: the same maths evaluated two ways, only rounding differs
EPS = onp.finfo(onp.float64).eps
FD_ERR_FACTOR = 10.0     # scipy's .error is an estimate, not a bound: allow an order of magnitude


def assert_ad_close(analytic, reference, what):
    """|analytic − ref| ≤ RTOL_AD·|ref| + RTOL_AD·max|ref| (the second term covers entries that cancel to ~0)."""
    analytic, reference = onp.asarray(analytic), onp.asarray(reference)
    assert analytic.shape == reference.shape, f"{what}: shape {analytic.shape} vs autograd {reference.shape}"
    scale = float(onp.max(onp.abs(reference), initial=0.0))
    onp.testing.assert_allclose(analytic, reference, rtol=RTOL_AD, atol=RTOL_AD * scale,
                                err_msg=f"{what}: hand-derived vs autograd")


def fd_jacobian(f, x0):
    """Jacobian of f: (m,) -> (k,) at x0 by scipy.differentiate.jacobian; returns (df, error), each (k, m)."""
    def fv(X):                                               # scipy evaluates on a batch: X has shape (m, *batch)
        cols = X.reshape(X.shape[0], -1).T
        out = onp.stack([onp.atleast_1d(onp.asarray(f(c), dtype=float)) for c in cols], axis=-1)
        return out.reshape((out.shape[0],) + X.shape[1:])
    res = fd_jacobian_raw(fv, onp.asarray(x0, dtype=float))
    return res.df, res.error


def assert_fd_close(analytic, df, err, what):
    """|analytic − fd| ≤ 10·error + 64·eps·max|fd| (the last term: FD cannot resolve below rounding of f)."""
    analytic = onp.asarray(analytic)
    assert analytic.shape == df.shape, f"{what}: shape {analytic.shape} vs FD {df.shape}"
    tol = FD_ERR_FACTOR * err + 64 * EPS * max(1.0, float(onp.max(onp.abs(df))))
    bad = onp.abs(analytic - df) > tol
    assert not bad.any(), f"{what}: hand-derived vs FD differ at {onp.argwhere(bad)[:3].tolist()}:\n{analytic}\n{df}\ntol {tol}"


@pytest.fixture
def rng():
    return onp.random.default_rng(20130211)  # fixed seed: reproducible draws


# ============================================================ activations
NAMES = list(A.ACTIVATIONS)
EXTREMES = onp.array([-1e300, -1e3, -40.0, -1.0, -1e-300, 0.0, 1e-300, 1.0, 40.0, 1e3, 1e300])
KINKED = {"relu", "leaky_relu"}


@pytest.mark.parametrize("name", NAMES)
def test_activation_stable_at_extremes(name):
    a = A.get_activation(name)
    v, d = a.f(EXTREMES), a.df(EXTREMES)  # pytest turns overflow/invalid RuntimeWarnings into errors
    assert v.shape == d.shape == EXTREMES.shape, f"{name}: shapes {v.shape}, {d.shape}"
    assert onp.all(onp.isfinite(v)) and onp.all(onp.isfinite(d)), f"{name}: non-finite value at ±1e3/±1e300"
    assert onp.all(onp.abs(d) <= a.deriv_sup), f"{name}: |f'| exceeds deriv_sup {a.deriv_sup}"


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_matches_autograd(name, rng):
    a = A.get_activation(name)
    x = onp.concatenate([rng.uniform(-30, 30, 64), rng.standard_normal(64)])
    if name in KINKED:
        x = x[onp.abs(x) > 1e-3]  # precondition: away from the kink at 0 (the convention is tested below)
    assert_ad_close(a.df(x), autograd.elementwise_grad(a.f)(x), f"{name}'")


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_matches_fd(name, rng):
    a = A.get_activation(name)
    x = rng.uniform(-4, 4, 32)
    if name in KINKED:
        x = x[onp.abs(x) > 0.1]  # precondition: FD stencil (initial step 0.5, shrinking) must not straddle the kink...
        res = fd_derivative(a.f, x, initial_step=0.05)  # ...so start with a step below the distance to it
    else:
        res = fd_derivative(a.f, x)
    assert_fd_close(a.df(x), res.df, res.error, f"{name}' vs scipy.differentiate.derivative")


def test_kink_conventions_are_pytorchs():
    assert A.relu_prime(0.0) == 0.0, "relu'(0) must be 0 (PyTorch's choice)"
    assert A.leaky_relu_prime(0.0, alpha=0.2) == 0.2, "leaky_relu'(0) must be alpha (PyTorch's choice)"
    assert autograd.grad(A.relu)(0.0) == 0.0, "autograd of relu at 0 must agree with relu_prime(0) = 0"


@pytest.mark.parametrize("name", NAMES)
def test_activation_sup_and_range(name):
    a = A.get_activation(name)
    grid = onp.linspace(-50, 50, 20001)
    assert onp.max(onp.abs(a.df(grid))) <= a.deriv_sup, f"{name}: sup |f'| over a grid exceeds deriv_sup"
    if a.deriv_sup_at is not None:
        onp.testing.assert_allclose(abs(a.df(onp.array([a.deriv_sup_at]))[0]), a.deriv_sup, rtol=1e-15,
                                    err_msg=f"{name}: |f'(deriv_sup_at)| != deriv_sup")
    v = a.f(grid)
    if a.range_lo is not None:
        assert onp.all(v >= a.range_lo), f"{name}: value below range_lo"
    if a.range_hi is not None:
        assert onp.all(v <= a.range_hi), f"{name}: value above range_hi"


def test_sigmoid_sup_is_a_quarter():
    onp.testing.assert_allclose(A.sigmoid_prime(0.0), 0.25, rtol=1e-15)
    onp.testing.assert_allclose(A.sigmoid(0.0), 0.5, rtol=1e-15)


def test_get_activation_rejects_unknown_name():
    with pytest.raises(ValueError, match="sigmoid.*tanh.*relu"):
        A.get_activation("softplus")


@pytest.mark.parametrize("bad", [onp.nan, onp.inf, -onp.inf])
def test_activation_rejects_non_finite(bad):
    with pytest.raises(ValueError, match="x: expected finite"):
        A.tanh(onp.array([0.0, bad]))
    with pytest.raises(ValueError, match="x: expected finite"):
        A.arctan_prime(onp.array([bad]))


# ============================================================ deepnet
ACTS_NET = ["sigmoid", "tanh", "arctan", "relu", "leaky_relu", "identity"]


def _net(rng, sizes=(3, 4, 4, 2)):
    p = deepnet.init_params(list(sizes), rng)
    p["b"] = [rng.standard_normal(b.shape) for b in p["b"]]   # non-zero biases: exercise the b gradients
    return p, rng.standard_normal(sizes[0]), rng.standard_normal(sizes[-1])


def test_deepnet_forward_shapes(rng):
    p, x, _ = _net(rng)
    fw = deepnet.forward(p, x, act="tanh")
    assert [h.shape for h in fw["h"]] == [(4,), (4,), (2,)], "h_1..h_n shapes"
    assert [z.shape for z in fw["z"]] == [(3,), (4,), (4,), (2,)], "z_0..z_n shapes"
    onp.testing.assert_array_equal(fw["z"][0], x, err_msg="z_0 must be x")


@pytest.mark.parametrize("act", ACTS_NET)
def test_backprop_matches_autograd(act, rng):
    p, x, y = _net(rng)
    ref = autograd.grad(deepnet.loss)(p, x, y, act)
    got = deepnet.backprop(p, x, y, act)
    for key in ("W", "b"):
        for i, (g, r) in enumerate(zip(got[key], ref[key]), start=1):
            assert_ad_close(g, r, f"dL/d{key}_{i} ({act})")


@pytest.mark.parametrize("act", ACTS_NET)
def test_product_form_equals_backprop(act, rng):
    p, x, y = _net(rng)
    bp = deepnet.backprop(p, x, y, act)
    for i in (1, 2, 3):
        assert_ad_close(deepnet.dL_dw_product_form(p, x, y, i, act), bp["W"][i - 1], f"product form dL/dW_{i} ({act})")


def test_backprop_matches_fd(rng):
    p, x, y = _net(rng, sizes=(2, 3, 1))
    W1 = p["W"][0]

    def L_of_W1(w):
        return deepnet.loss({"W": [w.reshape(W1.shape), p["W"][1]], "b": p["b"]}, x, y, "sigmoid")

    df, err = fd_jacobian(L_of_W1, W1.ravel())
    assert_fd_close(deepnet.backprop(p, x, y, "sigmoid")["W"][0].ravel()[None, :], df, err, "dL/dW_1 vs FD")


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "arctan"])
def test_chain_factors_are_local_jacobians(act, rng):
    p, x, _ = _net(rng)
    fw = deepnet.forward(p, x, act)
    F = deepnet.chain_factors(p, x, act)
    assert [f.shape for f in F] == [(4, 3), (4, 4), (2, 4)], "factor shapes (n_{i+1}, n_i)"
    for i, Fi in enumerate(F):  # Fi = ∂z_{i+1}/∂z_i
        W, b, f = p["W"][i], p["b"][i], A.get_activation(act).f
        layer = lambda z, W=W, b=b, f=f: f(anp.dot(W, z) + b)
        assert_ad_close(Fi, autograd.jacobian(layer)(fw["z"][i]), f"dz_{i + 1}/dz_{i}")
        df, err = fd_jacobian(layer, fw["z"][i])
        assert_fd_close(Fi, df, err, f"dz_{i + 1}/dz_{i} vs FD")


def test_scalar_chain_factors_are_fprime_times_w(rng):
    p, x, _ = _net(rng, sizes=(1, 1, 1, 1))  # the seed's chain of one-node layers
    hs = deepnet.forward(p, x, "sigmoid")["h"]
    for i, Fi in enumerate(deepnet.chain_factors(p, x, "sigmoid")):
        want = A.sigmoid_prime(hs[i]) * p["W"][i]           # f'(h_{i+1})·w_{i+1}
        assert_ad_close(Fi, want, f"scalar factor {i + 1}")
        assert abs(Fi[0, 0]) <= 0.25 * abs(p["W"][i][0, 0]), "|σ'(h)·w| ≤ |w|/4"


def test_deepnet_rejects_bad_inputs(rng):
    p, x, y = _net(rng)
    with pytest.raises(ValueError, match=r"x: expected shape \(\*,\)"):
        deepnet.forward(p, x[None, :])
    with pytest.raises(ValueError, match=r"W_2.*expected shape \(\*, 4\), got shape \(4, 5\)"):
        deepnet.forward({"W": [p["W"][0], rng.standard_normal((4, 5)), p["W"][2]], "b": p["b"]}, x)
    with pytest.raises(ValueError, match=r"y: expected shape \(2,\)"):
        deepnet.loss(p, x, onp.zeros(3))
    with pytest.raises(ValueError, match="expected finite"):
        deepnet.forward(p, onp.array([0.0, onp.nan, 1.0]))
    with pytest.raises(ValueError, match="act: expected one of"):
        deepnet.forward(p, x, act="softmax")
    with pytest.raises(ValueError, match="i: expected a layer number in 1..3"):
        deepnet.dL_dw_product_form(p, x, y, 0)
    with pytest.raises(ValueError, match="sizes"):
        deepnet.init_params([3], rng)


def test_deepnet_stable_with_huge_weights(rng):
    p, x, y = _net(rng)
    p["W"] = [1e150 * W for W in p["W"]]
    for act in ("sigmoid", "tanh", "arctan"):  # bounded activations: finite everywhere, no warnings
        g = deepnet.backprop(p, x, y, act)
        assert all(onp.all(onp.isfinite(w)) for w in g["W"]), f"{act}: non-finite gradient"


# ============================================================ rnn
H, D, T = 3, 2, 6


def _rnn(rng, scale=1.2):
    p = rnn.init_params(H, D, rng, scale=scale)
    p["b"] = 0.5 * rng.standard_normal(H)
    return p, rng.standard_normal(H), rng.standard_normal((T, D)), rng.standard_normal((T, H))


def test_rnn_shapes_and_step_consistency(rng):
    p, h0, xs, _ = _rnn(rng)
    hs = rnn.forward(p, h0, xs)
    assert hs.shape == (T, H), f"forward shape {hs.shape}"
    h = h0
    for t in range(T):
        h = rnn.step(p, h, xs[t])
        onp.testing.assert_allclose(hs[t], h, rtol=1e-15, err_msg=f"forward[{t}] vs iterated step")
    assert rnn.jacobian_products(p, h0, xs).shape == (T + 1, H, H)
    assert rnn.param_count(H, D) == sum(v.size for v in p.values())


@pytest.mark.parametrize("act", list(rnn.ACTS))
def test_rnn_step_jacobian(act, rng):
    p, h0, xs, _ = _rnn(rng)
    J = rnn.step_jacobian(p, h0, xs[0], act)
    f = lambda h: rnn.step(p, h, xs[0], act)
    assert_ad_close(J, autograd.jacobian(f)(h0), f"dh_1/dh_0 ({act})")
    if act != "relu" or onp.min(onp.abs(anp.dot(p["W_hh"], h0) + anp.dot(p["W_xh"], xs[0]) + p["b"])) > 0.5:
        df, err = fd_jacobian(f, h0)  # relu: only away from the kink (precondition stated, not silent)
        assert_fd_close(J, df, err, f"dh_1/dh_0 ({act}) vs FD")


@pytest.mark.parametrize("act", list(rnn.ACTS))
def test_rnn_jacobian_products(act, rng):
    p, h0, xs, _ = _rnn(rng)
    Ps = rnn.jacobian_products(p, h0, xs, act)
    hs = onp.vstack([h0, rnn.forward(p, h0, xs, act)])     # hs[k] = h_k
    onp.testing.assert_array_equal(Ps[T], onp.eye(H), err_msg="P[T] must be I")
    for k in range(T):  # ∂h_T/∂h_k: the map h_k -> h_T runs the remaining inputs x_{k+1..T}
        ref = autograd.jacobian(lambda h, k=k: rnn.forward(p, h, xs[k:], act)[-1])(hs[k])
        assert_ad_close(Ps[k], ref, f"dh_T/dh_{k} ({act})")
    df, err = fd_jacobian(lambda h: rnn.forward(p, h, xs, act)[-1], h0)
    if act != "relu":
        assert_fd_close(Ps[0], df, err, f"dh_T/dh_0 ({act}) vs FD")


def test_jacobian_products_uses_linear_number_of_products(rng, monkeypatch):
    p = rnn.init_params(H, D, rng)
    long_T = 40
    calls = {"dot": 0}

    class CountingNumpy:  # rnn's autograd.numpy, with np.dot counted
        def __getattr__(self, name):
            return getattr(anp, name)

        def dot(self, a, b):
            calls["dot"] += 1
            return anp.dot(a, b)

    monkeypatch.setattr(rnn, "np", CountingNumpy())
    rnn.jacobian_products(p, onp.zeros(H), rng.standard_normal((long_T, D)))
    # 2 dots per step for a_t (W_hh h, W_xh x) + 1 per step for P[k−1] = P[k] J_k; O(T²) would be ~T²/2 = 800
    assert calls["dot"] == 3 * long_T, f"expected 3T = {3 * long_T} np.dot calls, got {calls['dot']}"


def _E(p, h0, xs, c, act):
    """E = Σ_t c_t · h_t, whose ∂E_t/∂h_t is c_t."""
    return anp.sum(c * rnn.forward(p, h0, xs, act))


@pytest.mark.parametrize("act", list(rnn.ACTS))
@pytest.mark.parametrize("fn", [rnn.bptt_grad, rnn.bptt_grad_sum_form], ids=["recursion", "double_sum"])
def test_bptt_matches_autograd(fn, act, rng):
    p, h0, xs, c = _rnn(rng)
    ref = autograd.grad(_E, argnum=0)(p, h0, xs, c, act)
    ref["h0"] = autograd.grad(_E, argnum=1)(p, h0, xs, c, act)
    got = fn(p, h0, xs, c, act)
    assert sorted(got) == ["W_hh", "W_xh", "b", "h0"]
    for key in got:
        assert_ad_close(got[key], ref[key], f"{fn.__name__} dE/d{key} ({act})")


def test_bptt_matches_fd(rng):
    p, h0, xs, c = _rnn(rng)
    Whh = p["W_hh"]
    g = rnn.bptt_grad(p, h0, xs, c)
    df, err = fd_jacobian(lambda w: _E({**p, "W_hh": w.reshape(Whh.shape)}, h0, xs, c, "tanh"), Whh.ravel())
    assert_fd_close(g["W_hh"].ravel()[None, :], df, err, "dE/dW_hh vs FD")


def _truncated_by_autograd(p, h0, xs, c, U, act):
    """Autograd of Σ_t c_t·h_t where each h_t is re-run from the constant state h_{t−U−1} (getval cuts the tape)."""
    def E(p, h0):
        hs = [h0] + [h for h in rnn.forward(p, h0, xs, act)]          # hs[k] = h_k
        total = 0.0 * anp.sum(h0)   # keeps h0 on the tape: autograd then returns zeros instead of warning
        for t in range(1, T + 1):
            s = t - U - 1                                              # the last state outside E_t's window
            h = hs[max(0, s)] if s < 0 else getval(hs[s])              # s < 0: the window reaches h0 itself
            for k in range(max(0, s) + 1, t + 1):
                h = rnn.step(p, h, xs[k - 1], act)
            total = total + anp.dot(c[t - 1], h)
        return total
    ref = autograd.grad(E, 0)(p, h0)
    ref["h0"] = autograd.grad(E, 1)(p, h0)
    return ref


@pytest.mark.parametrize("U", [0, 1, 2, T - 1, T, T + 3])
def test_truncated_bptt(U, rng):
    p, h0, xs, c = _rnn(rng)
    got = rnn.truncated_bptt_grad(p, h0, xs, c, U)
    ref = _truncated_by_autograd(p, h0, xs, c, U, "tanh")
    for key in got:
        assert_ad_close(got[key], ref[key], f"truncated U={U} dE/d{key}")
    full = rnn.bptt_grad(p, h0, xs, c)
    if U >= T:
        for key in full:
            assert_ad_close(got[key], full[key], f"U={U} >= T must equal full BPTT for {key}")


def test_rnn_rejects_bad_inputs(rng):
    p, h0, xs, c = _rnn(rng)
    with pytest.raises(ValueError, match=r"params\['W_hh'\]: expected shape \(3, 3\), got shape \(3, 4\)"):
        rnn.forward({**p, "W_hh": onp.zeros((3, 4))}, h0, xs)
    with pytest.raises(ValueError, match=r"xs: expected shape \(\*, 2\), got shape \(6, 3\)"):
        rnn.forward(p, h0, onp.zeros((T, 3)))
    with pytest.raises(ValueError, match=r"h0: expected shape \(3,\)"):
        rnn.forward(p, onp.zeros(4), xs)
    with pytest.raises(ValueError, match="h0: expected finite"):
        rnn.forward(p, onp.array([0.0, onp.inf, 0.0]), xs)
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        rnn.step({"W_hh": p["W_hh"], "W_xh": p["W_xh"]}, h0, xs[0])
    with pytest.raises(ValueError, match="act: expected one of"):
        rnn.forward(p, h0, xs, act="arctan")
    with pytest.raises(ValueError, match=r"dE_dh: expected shape \(6, 3\)"):
        rnn.bptt_grad(p, h0, xs, c[:-1])
    with pytest.raises(ValueError, match="U: expected an int >= 0"):
        rnn.truncated_bptt_grad(p, h0, xs, c, -1)
    with pytest.raises(ValueError, match="at least one time step"):
        rnn.forward(p, h0, onp.zeros((0, D)))


def test_rnn_stable_when_saturated(rng):
    p, h0, xs, c = _rnn(rng, scale=1e3)
    for act in rnn.ACTS:
        if act == "relu":
            continue  # unbounded: large weights legitimately overflow over long horizons
        Ps = rnn.jacobian_products(p, h0, xs, act)
        g = rnn.bptt_grad(p, h0, xs, c, act)
        assert onp.all(onp.isfinite(Ps)) and all(onp.all(onp.isfinite(v)) for v in g.values()), act


# ============================================================ leaky
def test_leaky_alpha_zero_is_rnn_and_alpha_one_is_identity(rng):
    p, h0, xs, _ = _rnn(rng)
    onp.testing.assert_allclose(leaky.forward(p, h0, xs, 0.0), rnn.forward(p, h0, xs), rtol=1e-15)
    onp.testing.assert_allclose(leaky.jacobian_products(p, h0, xs, 0.0), rnn.jacobian_products(p, h0, xs), rtol=1e-15)
    onp.testing.assert_allclose(leaky.forward(p, h0, xs, 1.0), onp.tile(h0, (T, 1)), rtol=1e-15)
    onp.testing.assert_allclose(leaky.step_jacobian(p, h0, xs[0], 1.0), onp.eye(H), rtol=1e-15)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.9])
@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_leaky_jacobians(alpha, act, rng):
    p, h0, xs, _ = _rnn(rng)
    J = leaky.step_jacobian(p, h0, xs[0], alpha, act)
    assert_ad_close(J, autograd.jacobian(lambda h: leaky.step(p, h, xs[0], alpha, act))(h0), f"leaky J (α={alpha})")
    Ps = leaky.jacobian_products(p, h0, xs, alpha, act)
    hs = onp.vstack([h0, leaky.forward(p, h0, xs, alpha, act)])
    for k in range(T + 1):
        ref = onp.eye(H) if k == T else autograd.jacobian(lambda h, k=k: leaky.forward(p, h, xs[k:], alpha, act)[-1])(hs[k])
        assert_ad_close(Ps[k], ref, f"leaky dh_T/dh_{k} (α={alpha})")
    df, err = fd_jacobian(lambda h: leaky.forward(p, h, xs, alpha, act)[-1], h0)
    assert_fd_close(Ps[0], df, err, f"leaky dh_T/dh_0 (α={alpha}) vs FD")


def test_leaky_alpha_is_differentiable(rng):
    p, h0, xs, _ = _rnn(rng)
    d = autograd.grad(lambda a: anp.sum(leaky.step(p, h0, xs[0], a)))(0.4)
    want = onp.sum(h0 - A.tanh(anp.dot(p["W_hh"], h0) + anp.dot(p["W_xh"], xs[0]) + p["b"]))  # ∂h/∂α = h_{t−1} − g(a)
    onp.testing.assert_allclose(d, want, rtol=1e-13)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, onp.nan])
def test_leaky_rejects_bad_alpha(alpha, rng):
    p, h0, xs, _ = _rnn(rng)
    with pytest.raises(ValueError, match="alpha: expected"):
        leaky.step(p, h0, xs[0], alpha)


# ============================================================ clipping
def _grads(rng):
    return [rng.standard_normal((3, 2)), rng.standard_normal(4), onp.array(2.5)]


def test_global_norm(rng):
    gs = _grads(rng)
    want = onp.sqrt(sum(onp.sum(g ** 2) for g in gs))
    onp.testing.assert_allclose(clipping.global_norm(gs), want, rtol=1e-15)
    assert clipping.global_norm([]) == 0.0
    onp.testing.assert_allclose(clipping.global_norm([onp.full(4, 1e200)]), 2e200, rtol=1e-15)  # no overflow


@pytest.mark.parametrize("eps", [0.0, 1e-6])
def test_clip_by_global_norm(eps, rng):
    gs = _grads(rng)
    norm = clipping.global_norm(gs)
    kept, before = clipping.clip_by_global_norm(gs, 2 * norm, eps=eps)
    assert before == norm
    for g, k in zip(gs, kept):
        onp.testing.assert_array_equal(k, g, err_msg="below the threshold: unchanged (coefficient exactly 1)")
    max_norm = norm / 4
    clipped, before = clipping.clip_by_global_norm(gs, max_norm, eps=eps)
    after = clipping.global_norm(clipped)
    coef = max_norm / (norm + eps)  # Pascanu Algorithm 1 (eps = 0) / torch clip_grad_norm_ (eps = 1e-6)
    onp.testing.assert_allclose(after, coef * norm, rtol=1e-14)
    if eps > 0:
        assert after < max_norm, "torch semantics: clipped norm strictly below max_norm"
    for g, k in zip(gs, clipped):  # same direction
        onp.testing.assert_allclose(k, coef * g, rtol=1e-14)


def test_clip_does_not_mutate_inputs(rng):
    gs = _grads(rng)
    copies = [g.copy() for g in gs]
    clipping.clip_by_global_norm(gs, 0.1)
    clipping.clip_by_norm_per_tensor(gs, 0.1)
    clipping.clip_by_value(gs, 0.1)
    for g, c in zip(gs, copies):
        onp.testing.assert_array_equal(g, c)


def test_clip_per_tensor_can_exceed_max_norm_jointly():
    gs = [onp.full(4, 5.0) for _ in range(4)]  # each norm 10
    clipped, norms = clipping.clip_by_norm_per_tensor(gs, 1.0)
    onp.testing.assert_allclose(norms, [10.0] * 4, rtol=1e-15)
    for k in clipped:
        onp.testing.assert_allclose(onp.linalg.norm(k), 1.0, rtol=1e-15)
    onp.testing.assert_allclose(clipping.global_norm(clipped), 2.0, rtol=1e-15)  # √m·max_norm with m = 4


def test_clip_by_value_changes_direction():
    g = [onp.array([10.0, 0.5, -3.0])]
    onp.testing.assert_array_equal(clipping.clip_by_value(g, 1.0)[0], [1.0, 0.5, -1.0])


@pytest.mark.parametrize("bad", [0.0, -1.0, onp.nan, onp.inf])
def test_clipping_rejects_bad_threshold(bad, rng):
    with pytest.raises(ValueError, match="max_norm"):
        clipping.clip_by_global_norm(_grads(rng), bad)
    with pytest.raises(ValueError, match="clip_value"):
        clipping.clip_by_value(_grads(rng), bad)


def test_clipping_rejects_non_finite_grads():
    with pytest.raises(ValueError, match=r"grads\[1\]: expected finite"):
        clipping.clip_by_global_norm([onp.ones(2), onp.array([onp.nan])], 1.0)
    with pytest.raises(ValueError, match="grads: expected a list"):
        clipping.global_norm(onp.ones(3))


# ---------------------------------------------------------------- validation at the boundary (issue 13, part 4)
def _count_validations(monkeypatch):
    """Count the as_array calls that check their argument, in every module that imports it."""
    from vanishing.models import _validate, batched, gru, lstm
    n = [0]
    real = _validate.as_array

    def counting(name, value, *a, **kw):
        if not _validate._VALIDATED.get():
            n[0] += 1
        return real(name, value, *a, **kw)
    for mod in (_validate, A, rnn, deepnet, lstm, gru, batched):
        monkeypatch.setattr(mod, "as_array", counting)
    return n


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_validation_runs_once_per_call_not_once_per_step(model, monkeypatch, rng):
    from vanishing.models import gru, lstm
    H, D = 3, 2
    mod = {"rnn": rnn, "lstm": lstm, "gru": gru}[model]
    params = mod.init_params(H, D, rng)

    def run(T):
        xs = rng.standard_normal((T, D))
        state = (onp.zeros(H), onp.zeros(H)) if model == "lstm" else (onp.zeros(H),)
        n = _count_validations(monkeypatch)
        mod.forward(params, *state, xs)
        return n[0]
    assert run(1) == run(20) > 0


def test_stencil_evaluations_skip_validation_but_the_first_call_does_not(monkeypatch, rng):
    from vanishing.checks import oracles
    from vanishing.models import lstm
    H, D = 3, 2
    p, c, x = lstm.init_params(H, D, rng), rng.standard_normal(H), rng.standard_normal(D)
    n = _count_validations(monkeypatch)
    oracles.jacobian_fd(lambda h: lstm.step(p, h, c, x)[0], rng.standard_normal(H))
    one_call = n[0]
    n[0] = 0
    lstm.step(p, onp.zeros(H), c, x)
    assert one_call == n[0] > 0                    # only f(x) itself was validated, not the stencil points
    with pytest.raises(ValueError, match="c_prev: expected finite values"):
        oracles.jacobian_fd(lambda h: lstm.step(p, h, c * onp.nan, x)[0], onp.zeros(H))


def test_validated_once_still_converts_and_checks_what_is_not_a_float_array():
    from vanishing.models._validate import as_array, validated_once
    with validated_once():
        assert as_array("x", [1, 2]).dtype == onp.float64
        with pytest.raises(ValueError, match="x: expected finite values"):
            as_array("x", [1.0, onp.nan])
        with pytest.raises(ValueError, match="x: expected a real floating-point array"):
            as_array("x", onp.array(["a"]))
    with pytest.raises(ValueError, match="x: expected finite values"):
        as_array("x", onp.array([onp.nan]))        # outside it, a float array is checked again
