"""models/deepnet.py: shapes, backprop and the product form against autograd and finite differences, the chain
factors as local Jacobians, bad input, and saturation (huge weights, width 256)."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from vanishing.models import activations as A
from vanishing.models import deepnet

from vanishing_testkit import BIG, H_WIDE, assert_ad_close, assert_fd_close, fd_jacobian, finite, strict

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
    np.testing.assert_array_equal(fw["z"][0], x, err_msg="z_0 must be x")


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
        deepnet.loss(p, x, np.zeros(3))
    with pytest.raises(ValueError, match="expected finite"):
        deepnet.forward(p, np.array([0.0, np.nan, 1.0]))
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
        assert all(np.all(np.isfinite(w)) for w in g["W"]), f"{act}: non-finite gradient"


# ---------------------------------------------------------------- extreme inputs (the slow tier)
@pytest.mark.slow
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
def test_deepnet_width_256_saturated_backprop(act):
    """A 3-layer net of width 256, weights ~N(0, 1e3²) (pre-activations ~1e4): backprop finite and = autograd."""
    rng = np.random.default_rng(10)
    P = deepnet.init_params([H_WIDE, H_WIDE, H_WIDE, 4], rng, scale=BIG)
    x, y = rng.uniform(-1, 1, H_WIDE), rng.uniform(0, 1, 4)
    with strict():
        g = deepnet.backprop(P, x, y, act=act)
        ad = autograd.grad(lambda p: deepnet.loss(p, x, y, act=act))(P)
    for k in ("W", "b"):
        for a, b in zip(g[k], ad[k]):
            finite(a)
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(1.0, np.max(np.abs(b))))
    if act == "sigmoid":    # |h| ~ 1e4 almost everywhere: σ' = 0 exactly there, so most of ∂L/∂W_1 is exactly 0
        assert np.mean(g["W"][0] == 0.0) > 0.9
