"""A zoo of implementations for the conformance meta-tests: each broken one carries one realistic bug.

Written the way users write cells (one stacked matmul sliced into gates, or a hand-written
NumPy backward pass), independently of vanishing's mutant library, so that a correct
diagnosis is evidence and not an echo. Every factory returns one adapter (see
docs/VALIDATE.md). ``BROKEN`` maps each buggy factory to the check that must reject it and
the mutant that must be named; ``CORRECT`` lists the ones that must pass.
"""

import autograd
import autograd.numpy as anp
import numpy as np
from scipy.special import expit


def _sig(x):
    return 0.5 * (1.0 + anp.tanh(0.5 * x))


# ---------------------------------------------------------------- cells differentiated by autograd
class _Autodiff:
    """forward written in autograd.numpy; vjp is autograd's (the implementation's own autodiff)."""

    dtype = np.float64

    def step(self, params, state, x):
        outs = self._run(params, tuple(state), np.asarray(x)[None, :])
        return (outs[0][0],) + tuple(outs[1:])   # then the final cell state, if any

    def forward(self, params, state0, xs):
        return tuple(np.asarray(o) for o in self._run(params, tuple(state0), xs))

    def vjp(self, params, state0, xs, cotangents):
        names = ("h0", "c0")[:len(state0)]

        def loss(z):
            outs = self._run(z["p"], tuple(z[n] for n in names), z["xs"])
            return sum(anp.sum(o * c) for o, c in zip(outs, cotangents))
        z = {"p": dict(params), "xs": xs, **dict(zip(names, state0))}
        g = autograd.grad(loss)(z)
        return {**g["p"], "xs": g["xs"], **{n: g[n] for n in names}}


class LSTM(_Autodiff):
    """z = W_x x + W_h h + b, sliced into gates named by ``order``."""

    kind = "lstm"

    def __init__(self, name, order="ifgo", cand=anp.tanh, out_act=_sig, old_cell=False):
        self.name, self.order, self.cand, self.out_act, self.old_cell = name, order, cand, out_act, old_cell

    def _run(self, p, s, xs):
        h, c = s
        H = h.shape[0]
        hs = []
        for x in xs:
            z = anp.dot(p["W_x"], x) + anp.dot(p["W_h"], h) + p["b"]
            gate = {name: z[k * H:(k + 1) * H] for k, name in enumerate(self.order)}
            i, f, o = _sig(gate["i"]), _sig(gate["f"]), self.out_act(gate["o"])
            g = self.cand(gate["g"])
            c_new = f * c + i * g
            h = o * anp.tanh(c if self.old_cell else c_new)
            c = c_new
            hs.append(h)
        return anp.stack(hs), c


class GRU(_Autodiff):
    kind = "gru"

    def __init__(self, name, reset="after", computes=None, use_b_h=True, z_flip=False):
        self.name, self.reset, self.use_b_h, self.z_flip = name, reset, use_b_h, z_flip
        self.computes = computes or reset

    def _run(self, p, s, xs):
        h = s[0]
        H = h.shape[0]
        b_h = p["b_h"] if self.use_b_h else anp.zeros(3 * H)
        hs = []
        for x in xs:
            gx = anp.dot(p["W_x"], x) + p["b_x"]
            r = _sig(gx[:H] + anp.dot(p["W_h"][:H], h) + b_h[:H])
            z = _sig(gx[H:2 * H] + anp.dot(p["W_h"][H:2 * H], h) + b_h[H:2 * H])
            if self.computes == "after":
                n = anp.tanh(gx[2 * H:] + r * (anp.dot(p["W_h"][2 * H:], h) + b_h[2 * H:]))
            else:
                n = anp.tanh(gx[2 * H:] + anp.dot(p["W_h"][2 * H:], r * h) + b_h[2 * H:])
            h = z * n + (1 - z) * h if self.z_flip else (1 - z) * n + z * h
            hs.append(h)
        return (anp.stack(hs),)


class RNN(_Autodiff):
    def __init__(self, name, kind="rnn-tanh", act=None, transpose=False):
        self.name, self.kind, self.transpose = name, kind, transpose
        self.act = act or {"rnn-tanh": anp.tanh, "rnn-relu": lambda a: anp.where(a > 0, a, 0.0)}[kind]   # relu'(0) = 0

    def _run(self, p, s, xs):
        h = s[0]
        W = p["W_hh"].T if self.transpose else p["W_hh"]
        hs = []
        for x in xs:
            h = self.act(anp.dot(W, h) + anp.dot(p["W_xh"], x) + p["b"])
            hs.append(h)
        return (anp.stack(hs),)


# ---------------------------------------------------------------- an LSTM with a hand-written backward pass
class HandLSTM:
    """NumPy forward and BPTT by hand; ``bug`` plants one backward-pass mistake."""

    kind = "lstm"

    def __init__(self, name, bug=None, dtype=np.float64, internal=None):
        self.name, self.bug, self.dtype = name, bug, np.dtype(dtype)
        self.internal = internal          # compute in this dtype, whatever is declared (precision loss)

    def _cast(self, a):
        return np.asarray(a, dtype=self.internal) if self.internal else a

    def _out(self, a):
        return np.asarray(a, dtype=self.dtype)

    def _run(self, p, h, c, xs):
        p = {k: self._cast(v) for k, v in p.items()}
        h, c, xs = self._cast(h), self._cast(c), self._cast(xs)
        H = h.shape[0]
        caches, hs = [], []
        for x in xs:
            a = p["W_x"] @ x + p["W_h"] @ h + p["b"]
            # expit, not 0.5·(1 + tanh(a/2)): the latter cancels for a ≪ 0 (σ(−29) ≈ 3e-13 comes out with a relative
            # error ~1e-4), and the conformance check rightly calls that float32 precision
            i, f = expit(a[:H]), expit(a[H:2 * H])
            g, o = np.tanh(a[2 * H:3 * H]), expit(a[3 * H:])
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            caches.append((x, h, c, i, f, g, o, tc))
            h, c = o * tc, c_new
            hs.append(h)
        return p, np.stack(hs), c, caches

    def step(self, params, state, x):
        _, hs, c, _ = self._run(params, state[0], state[1], np.asarray(x)[None, :])
        return self._out(hs[0]), self._out(c)

    def forward(self, params, state0, xs):
        _, hs, c, _ = self._run(params, state0[0], state0[1], xs)
        return self._out(hs), self._out(c)

    def vjp(self, params, state0, xs, cotangents):
        p, _, _, caches = self._run(params, state0[0], state0[1], xs)
        dhs, dcT = (self._cast(c) for c in cotangents)
        grads = {"W_x": np.zeros_like(p["W_x"]), "W_h": np.zeros_like(p["W_h"]), "b": np.zeros_like(p["b"]),
                 "xs": np.zeros_like(self._cast(xs))}
        dh_next, dc_next = np.zeros_like(self._cast(state0[0])), np.array(dcT, copy=True)
        for t in range(len(caches) - 1, -1, -1):
            x, h_prev, c_prev, i, f, g, o, tc = caches[t]
            dh = dhs[t] + dh_next
            do = dh * tc
            if self.bug == "no-tanh-prime":
                dc = dc_next + dh * o                 # BUG: the factor 1 − tanh²(c_t) is missing
            else:
                dc = dc_next + dh * o * (1 - tc * tc)
            di, dg, df = dc * g, dc * i, dc * c_prev
            da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)])
            grads["W_x"] += np.outer(da, x)
            grads["W_h"] += np.outer(da, h_prev)
            if self.bug == "bias-assigned":
                grads["b"] = da                       # BUG: = instead of +=
            else:
                grads["b"] += da
            grads["xs"][t] = p["W_x"].T @ da
            dh_next = np.zeros_like(dh) if self.bug == "recurrent-dropped" else p["W_h"].T @ da   # BUG: recurrent gradient dropped
            dc_next = dc if self.bug == "no-f-factor" else dc * f                                 # BUG: lacks the factor f_t
        grads["h0"], grads["c0"] = dh_next, dc_next
        return {k: self._out(v) for k, v in grads.items()}


# ---------------------------------------------------------------- clipping
class Clip:
    """clip_grad_norm claims the global norm (ε = 0); ``bug`` plants per-tensor or by-value clipping."""

    kind = "clip"
    dtype = np.float64
    clip_eps = 0.0

    def __init__(self, name, bug=None):
        self.name, self.bug = name, bug

    def clip_grad_norm(self, grads, max_norm):
        total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
        if self.bug == "per-tensor":                  # BUG: each array by its own norm
            out = []
            for g in grads:
                n = float(np.sqrt(np.sum(g * g)))
                out.append(g * (max_norm / n) if n > max_norm else g.copy())
            return out, total
        if self.bug == "by-value":                    # BUG: clamps entries instead of scaling
            return [np.clip(g, -max_norm, max_norm) for g in grads], total
        if self.bug == "zero-over-zero":              # BUG: Pascanu's test ‖g‖ ≥ max_norm divides 0/0 at max_norm = 0, g = 0
            total = np.sqrt(sum(np.sum(g * g) for g in grads))   # a NumPy scalar: 0/0 is NaN, not ZeroDivisionError
            coef = max_norm / total if total >= max_norm else 1.0
            return [g * coef for g in grads], float(total)
        coef = max_norm / total if total > max_norm else 1.0
        return [g * coef for g in grads], total

    def clip_grad_value(self, grads, clip_value):
        return [np.clip(g, -clip_value, clip_value) for g in grads]


# ---------------------------------------------------------------- factories
def lstm_gate_order():
    return LSTM("zoo.lstm_gate_order", order="igfo")          # TF1-style i, j, f, o read as if it were i, f, g, o


def lstm_candidate_sigmoid():
    return LSTM("zoo.lstm_candidate_sigmoid", cand=_sig)


def lstm_output_gate_tanh():
    return LSTM("zoo.lstm_output_gate_tanh", out_act=anp.tanh)


def lstm_output_from_old_cell():
    return LSTM("zoo.lstm_output_from_old_cell", old_cell=True)


def gru_bias_unused():
    return GRU("zoo.gru_bias_unused", use_b_h=False)


def gru_reset_convention():
    return GRU("zoo.gru_reset_convention", reset="after", computes="before")


def gru_z_flipped():
    return GRU("zoo.gru_z_flipped", z_flip=True)


def rnn_transposed_recurrent():
    return RNN("zoo.rnn_transposed_recurrent", transpose=True)


def rnn_wrong_activation():
    return RNN("zoo.rnn_wrong_activation", kind="rnn-tanh", act=lambda a: anp.maximum(a, 0.0))


def rnn_relu_kink():
    return RNN("zoo.rnn_relu_kink", kind="rnn-relu", act=lambda a: anp.maximum(a, 0.0))   # autograd: relu'(0) = 1/2


def lstm_backward_no_f_factor():
    return HandLSTM("zoo.lstm_backward_no_f_factor", bug="no-f-factor")


def lstm_backward_recurrent_dropped():
    return HandLSTM("zoo.lstm_backward_recurrent_dropped", bug="recurrent-dropped")


def lstm_backward_no_tanh_prime():
    return HandLSTM("zoo.lstm_backward_no_tanh_prime", bug="no-tanh-prime")


def lstm_backward_bias_assigned():
    return HandLSTM("zoo.lstm_backward_bias_assigned", bug="bias-assigned")


def lstm_precision_loss():
    return HandLSTM("zoo.lstm_precision_loss", internal=np.float32)   # declares float64, computes in float32


def clip_per_tensor():
    return Clip("zoo.clip_per_tensor", bug="per-tensor")


def clip_by_value():
    return Clip("zoo.clip_by_value", bug="by-value")


def clip_zero_over_zero():
    """Trigger: max_norm = 0 with every gradient 0 (optax before PR #1752); right for every max_norm > 0."""
    return Clip("zoo.clip_zero_over_zero", bug="zero-over-zero")


def correct():
    """The correct members: every check must pass."""
    return [LSTM("zoo.lstm"), HandLSTM("zoo.hand_lstm"), HandLSTM("zoo.hand_lstm32", dtype=np.float32),
            GRU("zoo.gru_after"), GRU("zoo.gru_before", reset="before"),
            RNN("zoo.rnn_tanh"), RNN("zoo.rnn_relu", kind="rnn-relu"), Clip("zoo.clip")]


#: factory → (the check that must reject it, the mutant the diagnosis must name)
BROKEN = {
    "lstm_gate_order": ("forward", "gate-order-igfo"),
    "lstm_candidate_sigmoid": ("forward", "candidate-sigmoid"),
    "lstm_output_gate_tanh": ("forward", "gate-o-tanh"),
    "lstm_output_from_old_cell": ("forward", "output-from-old-cell"),
    "gru_bias_unused": ("forward", "b_h-unused"),
    "gru_reset_convention": ("forward", "reset-before"),
    "gru_z_flipped": ("forward", "z-flipped"),
    "rnn_transposed_recurrent": ("forward", "Whh-transposed"),
    "rnn_wrong_activation": ("forward", "act-relu"),
    "rnn_relu_kink": ("gradients", "relu-kink-half"),
    "lstm_backward_no_f_factor": ("gradients", "no-f-factor"),
    "lstm_backward_recurrent_dropped": ("gradients", "recurrent-gradient-dropped"),
    "lstm_backward_no_tanh_prime": ("gradients", "no-tanh-prime-c"),
    "lstm_backward_bias_assigned": ("gradients", "bias-grad-first-step"),
    "lstm_precision_loss": ("forward", "float32-precision"),
    "clip_per_tensor": ("clip-norm", "per-tensor"),
    "clip_by_value": ("clip-norm", "by-value"),
    "clip_zero_over_zero": ("clip-norm", "zero-over-zero"),
}
