"""Realistic bugs that the diagnosis catalogue (checks/conformance/mutants.py) does NOT contain.

Each must be rejected, and the diagnosis must say that no known bug reproduces it and give the
localisation instead (forward or backward, which parameters and gate blocks, which time steps,
how the discrepancy grows with saturation and with T), never blame a known bug such as float32
precision. ``NOVEL`` maps each factory to the check that must reject it and where the bug is.
"""

import autograd.numpy as anp
import numpy as np
from zoo import GRU, LSTM, RNN, HandLSTM, _sig  # tests/zoo is on sys.path (the loader's file import)


# ---------------------------------------------------------------- forward bugs (differentiated by autograd)
class _LSTMVariant(LSTM):
    def __init__(self, name, gate_fn):
        super().__init__(name)
        self.gate_fn = gate_fn

    def _run(self, p, s, xs):
        h, c = s
        H = h.shape[0]
        hs = []
        for x in xs:
            z = anp.dot(p["W_x"], x) + anp.dot(p["W_h"], h) + p["b"]
            i, f, g, o = (z[k * H:(k + 1) * H] for k in range(4))
            i, f, g, o, clip = self.gate_fn(i, f, g, o)
            c = f * c + i * g
            c = clip(c)
            h = o * anp.tanh(c)
            hs.append(h)
        return anp.stack(hs), c


def _same(c):
    return c


def lstm_hard_sigmoid_output():
    """Keras 2's hard sigmoid for the output gate: clip(0.2 a + 0.5, 0, 1)."""
    return _LSTMVariant("novel.lstm_hard_sigmoid_output",
                        lambda i, f, g, o: (_sig(i), _sig(f), anp.tanh(g), anp.clip(0.2 * o + 0.5, 0.0, 1.0), _same))


def lstm_input_gate_copies_forget():
    """A copy-paste slip: the input gate reads the forget gate's pre-activation, i = σ(a_f)."""
    return _LSTMVariant("novel.lstm_input_gate_copies_forget",
                        lambda i, f, g, o: (_sig(f), _sig(f), anp.tanh(g), _sig(o), _same))


def lstm_cell_clipped():
    """TF's cell_clip left on (at 1): c_t clipped to [−1, 1]."""
    return _LSTMVariant("novel.lstm_cell_clipped",
                        lambda i, f, g, o: (_sig(i), _sig(f), anp.tanh(g), _sig(o), lambda c: anp.clip(c, -1.0, 1.0)))


class _GRUResetBoth(GRU):
    def _run(self, p, s, xs):
        h = s[0]
        H = h.shape[0]
        hs = []
        for x in xs:
            gx = anp.dot(p["W_x"], x) + p["b_x"]
            gh = anp.dot(p["W_h"], h) + p["b_h"]
            r = _sig(gx[:H] + gh[:H])
            z = _sig(gx[H:2 * H] + gh[H:2 * H])
            n = anp.tanh(r * (gx[2 * H:] + gh[2 * H:]))      # BUG: the reset multiplies the input part too
            h = (1 - z) * n + z * h
            hs.append(h)
        return (anp.stack(hs),)


def gru_reset_on_input_too():
    return _GRUResetBoth("novel.gru_reset_on_input_too")


class _HardTanhRNN(RNN):
    def __init__(self, name):
        super().__init__(name, act=lambda a: anp.clip(a, -1.0, 1.0))


def rnn_hard_tanh():
    """hard tanh (clip to [−1, 1]) where tanh is declared."""
    return _HardTanhRNN("novel.rnn_hard_tanh")


# ---------------------------------------------------------------- backward bugs (a hand-written BPTT)
class _HandNovel(HandLSTM):
    """HandLSTM's backward pass with one novel mistake (``novel``)."""

    def __init__(self, name, novel):
        super().__init__(name)
        self.novel = novel

    def vjp(self, params, state0, xs, cotangents):
        p, hs, _, caches = self._run(params, state0[0], state0[1], xs)
        dhs, dcT = cotangents
        grads = {"W_x": np.zeros_like(p["W_x"]), "W_h": np.zeros_like(p["W_h"]), "b": np.zeros_like(p["b"]),
                 "xs": np.zeros_like(xs)}
        dh_next = np.zeros_like(state0[0])
        dc_next = (2.0 if self.novel == "dc_T-twice" else 1.0) * np.array(dcT, copy=True)
        dh0 = None
        for t in range(len(caches) - 1, -1, -1):
            x, h_prev, c_prev, i, f, g, o, tc = caches[t]
            dh = dhs[t] + dh_next
            do = dh * (f * c_prev + i * g if self.novel == "do-uses-c" else tc)   # c_t where tanh(c_t) belongs
            dc = dc_next + dh * o * (1 - tc * tc)
            di, dg, df = dc * g, dc * i, dc * c_prev
            sp = (lambda y: 1 - y * y) if self.novel == "sigmoid-prime-as-tanh-prime" else (lambda y: y * (1 - y))
            da = np.concatenate([di * sp(i), df * sp(f), dg * (1 - g * g), do * sp(o)])
            grads["W_x"] += np.outer(da, x)
            grads["W_h"] += np.outer(da, hs[t] if self.novel == "dWh-uses-h_t" else h_prev)
            grads["b"] += da
            grads["xs"][t] = p["W_x"].T @ da
            dh0 = dh
            dh_next = p["W_h"].T @ da
            dc_next = dc * f
        grads["h0"] = dh0 if self.novel == "dh0-off-by-one" else dh_next   # the gradient of h_1 returned for h_0
        grads["c0"] = dc_next
        return {k: np.asarray(v, dtype=self.dtype) for k, v in grads.items()}


def hand_dWh_uses_h_t():
    return _HandNovel("novel.hand_dWh_uses_h_t", "dWh-uses-h_t")


def hand_dc_T_twice():
    return _HandNovel("novel.hand_dc_T_twice", "dc_T-twice")


def hand_do_uses_c():
    return _HandNovel("novel.hand_do_uses_c", "do-uses-c")


def hand_dh0_off_by_one():
    return _HandNovel("novel.hand_dh0_off_by_one", "dh0-off-by-one")


def hand_sigmoid_prime_as_tanh_prime():
    return _HandNovel("novel.hand_sigmoid_prime_as_tanh_prime", "sigmoid-prime-as-tanh-prime")


#: factory → (check, "forward" or "backward")
NOVEL = {
    "lstm_hard_sigmoid_output": ("forward", "forward"),
    "lstm_input_gate_copies_forget": ("forward", "forward"),
    "lstm_cell_clipped": ("forward", "forward"),
    "gru_reset_on_input_too": ("forward", "forward"),
    "rnn_hard_tanh": ("forward", "forward"),
    "hand_dWh_uses_h_t": ("gradients", "backward"),
    "hand_dc_T_twice": ("gradients", "backward"),
    "hand_do_uses_c": ("gradients", "backward"),
    "hand_dh0_off_by_one": ("gradients", "backward"),
    "hand_sigmoid_prime_as_tanh_prime": ("gradients", "backward"),
}


# ---------------------------------------------------------------- an overflow (NaN at saturation)
class _NaiveTanhRNN(RNN):
    def __init__(self, name):
        def naive_tanh(a):
            e = anp.exp(2.0 * a)           # overflows to inf for a > ~355: inf/inf = NaN
            return (e - 1.0) / (e + 1.0)
        super().__init__(name, act=naive_tanh)


def rnn_naive_tanh():
    return _NaiveTanhRNN("novel.rnn_naive_tanh")
