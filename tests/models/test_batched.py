"""models/batched.py: the batched forward passes equal the single-example reference path, values and gradients;
bad input that the table of tests/models/test_input_checks.py does not reach; and the batched cells (with a stacked
bidirectional network) against the single-sequence cells over T = 1,000 saturated steps."""
import autograd
import autograd.numpy as anp
import numpy as np
import numpy as onp
import pytest

from vanishing.models import batched, deepnet, gru, lstm, rnn, stacked

from vanishing_testkit import BIG, T_LONG, finite, strict

RTOL = 1e-12   # the same arithmetic in another order (a matrix product per row vs per batch): rounding only


def close(a, b, what):
    a, b = onp.asarray(a), onp.asarray(b)
    scale = float(onp.max(onp.abs(b), initial=0.0))
    onp.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * scale, err_msg=f"{what}: batched vs single-example")


def _flat(tree):
    if isinstance(tree, dict):
        return onp.concatenate([_flat(tree[k]) for k in sorted(tree)])
    if isinstance(tree, (list, tuple)):
        return onp.concatenate([_flat(v) for v in tree])
    return onp.ravel(tree)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
def test_deepnet_values_and_gradient(act):
    rng = onp.random.default_rng(1)
    params = deepnet.init_params([5, 7, 6, 3], rng, scale=0.8)
    params["b"] = [0.1 * rng.standard_normal(b.shape) for b in params["b"]]
    X, Y = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    fw = batched.deepnet_forward(params, X, act)
    for b in range(4):
        one = deepnet.forward(params, X[b], act)
        for i, (zb, z1) in enumerate(zip(fw["z"], one["z"])):
            close(zb[b], z1, f"deepnet z_{i} [{act}] row {b}")
    g_batch = autograd.grad(batched.deepnet_loss)(params, X, Y, act)
    g_loop = [deepnet.backprop(params, X[b], Y[b], act) for b in range(4)]
    mean = {k: [sum(g[k][i] for g in g_loop) / 4 for i in range(3)] for k in ("W", "b")}
    close(_flat(g_batch), _flat(mean), f"deepnet gradient [{act}] (mean of per-example backprop)")


@pytest.mark.parametrize("act", rnn.ACTS)
def test_rnn_values_and_gradient(act):
    rng = onp.random.default_rng(2)
    params = rnn.init_params(4, 3, rng, scale=1.2)
    params["b"] = 0.1 * rng.standard_normal(4)
    h0, xs = rng.standard_normal((3, 4)), rng.standard_normal((6, 3, 3))
    hs = batched.rnn_forward(params, h0, xs, act)
    for b in range(3):
        close(hs[:, b], rnn.forward(params, h0[b], xs[:, b], act), f"rnn hs [{act}] row {b}")
    w = rng.standard_normal(hs.shape)
    g_batch = autograd.grad(lambda p: anp.sum(batched.rnn_forward(p, h0, xs, act) * w))(params)
    g_loop = [autograd.grad(lambda p, b=b: anp.sum(rnn.forward(p, h0[b], xs[:, b], act) * w[:, b]))(params) for b in range(3)]
    close(_flat(g_batch), sum(_flat(g) for g in g_loop), f"rnn gradient [{act}]")


@pytest.mark.parametrize("variant", ["forget", "cec"])
def test_lstm_values_and_gradient(variant):
    rng = onp.random.default_rng(3)
    params = lstm.init_params(4, 2, rng, variant=variant, forget_bias=1.0 if variant == "forget" else 0.0)
    h0, c0, xs = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((5, 3, 2))
    hs, cs = batched.lstm_forward(params, h0, c0, xs, variant)
    for b in range(3):
        h1, c1 = lstm.forward(params, h0[b], c0[b], xs[:, b], variant)
        close(hs[:, b], h1, f"lstm hs [{variant}] row {b}")
        close(cs[:, b], c1, f"lstm cs [{variant}] row {b}")
    w = rng.standard_normal(hs.shape)
    g_batch = autograd.grad(lambda p: anp.sum(batched.lstm_forward(p, h0, c0, xs, variant)[0] * w))(params)
    g_loop = [autograd.grad(lambda p, b=b: anp.sum(lstm.forward(p, h0[b], c0[b], xs[:, b], variant)[0] * w[:, b]))(params)
              for b in range(3)]
    close(_flat(g_batch), sum(_flat(g) for g in g_loop), f"lstm gradient [{variant}]")


@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_values_and_gradient(reset):
    rng = onp.random.default_rng(4)
    params = gru.init_params(4, 2, rng, scale=1.5)
    h0, xs = rng.standard_normal((3, 4)), rng.standard_normal((5, 3, 2))
    hs = batched.gru_forward(params, h0, xs, reset)
    for b in range(3):
        close(hs[:, b], gru.forward(params, h0[b], xs[:, b], reset), f"gru hs [{reset}] row {b}")
    w = rng.standard_normal(hs.shape)
    g_batch = autograd.grad(lambda p: anp.sum(batched.gru_forward(p, h0, xs, reset) * w))(params)
    g_loop = [autograd.grad(lambda p, b=b: anp.sum(gru.forward(p, h0[b], xs[:, b], reset) * w[:, b]))(params) for b in range(3)]
    close(_flat(g_batch), sum(_flat(g) for g in g_loop), f"gru gradient [{reset}]")


def test_a_planted_bug_is_caught():
    """The comparison can fail: a GRU whose reset convention is swapped differs from the reference."""
    rng = onp.random.default_rng(5)
    params = gru.init_params(4, 2, rng, scale=1.5)
    h0, xs = rng.standard_normal((3, 4)), rng.standard_normal((5, 3, 2))
    with pytest.raises(AssertionError, match="batched vs single-example"):
        close(batched.gru_forward(params, h0, xs, "before")[:, 0], gru.forward(params, h0[0], xs[:, 0], "after"), "gru")


@pytest.mark.parametrize(("call", "match"), [
    (lambda: batched.rnn_forward(rnn.init_params(4, 3, onp.random.default_rng(0)), onp.zeros((2, 4)), onp.zeros((5, 3, 3))),
     r"xs: expected shape \(\*, 2, 3\)"),
    (lambda: batched.deepnet_forward(deepnet.init_params([3, 2], onp.random.default_rng(0)), onp.zeros((0, 3))),
     "at least one example"),
    (lambda: batched.lstm_forward(lstm.init_params(2, 1, onp.random.default_rng(0)), onp.zeros((1, 2)), onp.zeros((1, 2)),
                                  onp.zeros((3, 1, 1)), "peephole"), "variant: expected one of"),
])
def test_bad_input_is_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- written for mutation survivors
@pytest.mark.survivor
def test_batched_loss_rejects_targets_of_the_wrong_shape():
    # pins: deepnet_loss checks Y's shape against (B, n_out) and names Y; without that check a (B, n) vs (B, m)
    # mismatch broadcast or failed inside numpy
    p = deepnet.init_params([3, 4, 2], np.random.default_rng(0))
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"^Y: "):
        batched.deepnet_loss(p, X, np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"^Y: "):
        batched.deepnet_loss(p, X, np.ones((1, 2)))


@pytest.mark.survivor
def test_batched_lstm_rejects_an_initial_state_of_the_wrong_width():
    # pins: lstm_forward checks h0's shape (*, H) with a clear error; without that check a wrong width failed inside
    # np.dot
    p = lstm.init_params(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^h0: expected shape \(\*, 2\), got shape \(4, 5\)$"):
        batched.lstm_forward(p, np.zeros((4, 5)), np.zeros((4, 5)), np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match=r"^h0: expected shape \(\*, 2\), got shape \(2,\)$"):
        batched.lstm_forward(p, np.zeros(2), np.zeros(2), np.zeros((1, 2, 3)))


# ---------------------------------------------------------------- extreme inputs (the slow tier)
@pytest.mark.slow
def test_batched_and_stacked_match_the_cells_at_saturation_over_1000_steps():
    """Batched RNN/LSTM/GRU over T = 1,000 and a 2-layer bidirectional stack (4 × 250 steps), inputs ±1e3: finite, = the cells."""
    rng = np.random.default_rng(11)
    H, D, B = 3, 2, 2
    xs = rng.choice([-BIG, BIG, 0.0, 1.0], size=(T_LONG, B, D))
    h0 = rng.uniform(-1, 1, (B, H))
    Pr, Pl, Pg = rnn.init_params(H, D, rng), lstm.init_params(H, D, rng), gru.init_params(H, D, rng)
    with strict():
        hr = batched.rnn_forward(Pr, h0, xs)
        hl, cl = batched.lstm_forward(Pl, h0, h0, xs)
        hg = batched.gru_forward(Pg, h0, xs)
        layers = [[rnn.init_params(H, D, rng), rnn.init_params(H, D, rng)],
                  [rnn.init_params(H, 2 * H, rng), rnn.init_params(H, 2 * H, rng)]]
        out, h_n = stacked.forward("rnn-tanh", layers, np.zeros((4, H)), xs[:T_LONG // 4, 0])   # 4 passes: T/4 each
    for a in (hr, hl, cl, hg):
        assert a.shape == (T_LONG, B, H)
        finite(a)
    assert out.shape == (T_LONG // 4, 2 * H) and h_n.shape == (4, H)
    finite(out, h_n)
    for b in range(B):
        np.testing.assert_allclose(hr[:, b], rnn.forward(Pr, h0[b], xs[:, b]), rtol=0, atol=1e-14)
        np.testing.assert_allclose(hl[:, b], lstm.forward(Pl, h0[b], h0[b], xs[:, b])[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(hg[:, b], gru.forward(Pg, h0[b], xs[:, b]), rtol=0, atol=1e-14)
