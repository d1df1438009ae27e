"""models/batched.py: bad input that the table of tests/models/test_input_checks.py does not reach, and the batched
cells (with a stacked bidirectional network) against the single-sequence cells over T = 1,000 saturated steps."""
import numpy as np
import pytest

from vanishing.models import batched, deepnet, gru, lstm, rnn, stacked

from vanishing_testkit import BIG, T_LONG, finite, strict


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
