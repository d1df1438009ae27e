"""Adapters that misbehave, for tests/conformance/test_adapter_fuzz.py: the correct hand-written NumPy LSTM of the zoo
(``zoo.HandLSTM``, which passes every check) and the zoo's correct clipping function (``zoo.Clip``), each
wrapped in :class:`Misbehaving` / :class:`MisbehavingClip` with one misbehaviour switched on.

``behaviour`` says what goes wrong, ``method`` in which call, and ``when`` on which inputs:

* ``when="always"``: on every call, so the smoke test's ordinary input (H=2, D=3, T=3, |entries| <= 1) sees it:
  a broken adapter, exit status 2;
* ``when="large"``: only when some parameter or input exceeds 4 in magnitude (the saturated regime's weights,
  ×30 or ×300, or a large threshold), never on the smoke test's: a non-conformance found by a check, exit 1
  (a hang is exit 2 wherever it happens).

Behaviours: ``raise``, ``shape`` (one time step short), ``nan``, ``inf``, ``dtype`` (float32 from a float64
adapter), ``mutate`` (writes to its inputs), ``noise`` (random: a different answer to the same call), ``flaky`` (every other call is off by 1e-3, so a
failing case passes when it is tried again),
``hang`` (sleeps an hour), ``spin`` (loops forever in Python, ignoring ``except Exception``), ``slow``
(``delay`` seconds per call, otherwise correct).
"""

import time

import numpy as np
from zoo import (  # tests/zoo is put on sys.path by the loader's file import (see test_conformance.py)
    Clip,
    HandLSTM,
)

BEHAVIOURS = ("raise", "shape", "nan", "inf", "dtype", "mutate", "noise", "flaky", "hang", "spin", "slow")


def _large(*arrays):
    """The trigger of ``when="large"``: some entry exceeds 4 in magnitude (never on the smoke test's input)."""
    for a in arrays:
        values = a.values() if isinstance(a, dict) else a if isinstance(a, (list, tuple)) else [a]
        if any(np.max(np.abs(np.asarray(v, dtype=np.float64)), initial=0.0) > 4 for v in values):
            return True
    return False


def _spin():
    while True:
        try:
            sum(range(1000))
        except Exception:   # an adapter's blanket handler must not keep it alive (the interruption is a BaseException)
            pass


class _Switch:
    """The misbehaviour switch shared by the cell and the clipping wrappers."""

    def _init(self, behaviour, method, when, delay):
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {BEHAVIOURS}; got {behaviour!r}")
        self.behaviour, self.method, self.when, self.delay = behaviour, method, when, delay
        self.name = f"misbehaving.{behaviour}.{method}.{when}"
        self.rng = np.random.default_rng()   # unseeded on purpose: "noise" differs from call to call
        self.calls = 0                       # "flaky": the odd-numbered misbehaving calls are wrong

    def _on(self, method, *inputs):
        if self.behaviour == "slow":
            time.sleep(self.delay)
        return method == self.method and (self.when == "always" or _large(*inputs))

    def _before(self, inputs):
        """Misbehaviours that happen instead of (or before) computing."""
        if self.behaviour == "raise":
            raise FloatingPointError("overflow encountered in exp")
        if self.behaviour == "hang":
            time.sleep(3600)
        if self.behaviour == "spin":
            _spin()

    def _after(self, inputs):
        """The misbehaviour that happens after computing a correct result."""
        if self.behaviour == "mutate":   # an in-place update of the caller's array (the result is right)
            target = inputs[0]
            target *= 0.5

    def _tamper(self, out):
        """Misbehaviours of the result (the first array of it)."""
        b = self.behaviour
        if b == "shape":
            return out[:-1] if out.ndim == 2 and out.shape[0] > 1 else out[..., :-1]
        if b in ("nan", "inf"):
            out = out.copy()
            out.flat[-1] = np.nan if b == "nan" else np.inf
            return out
        if b == "dtype":
            return out.astype(np.float32)
        if b == "noise":
            return out + self.rng.normal(0.0, 1e-3, out.shape).astype(out.dtype)
        if b == "flaky":
            self.calls += 1
            return out + 1e-3 if self.calls % 2 else out
        return out


class Misbehaving(_Switch):
    """The correct NumPy LSTM (zoo.HandLSTM) with one misbehaviour in ``method`` (step, forward or vjp)."""

    kind, dtype = "lstm", np.float64

    def __init__(self, behaviour, method="forward", when="large", delay=0.0):
        self._init(behaviour, method, when, delay)
        self.inner = HandLSTM(self.name)

    def step(self, params, state, x):
        if self._on("step", params, state, x):
            self._before([state[0], x])
            h, c = self.inner.step(params, state, x)
            self._after([state[0]])
            return self._tamper(h), c
        return self.inner.step(params, state, x)

    def forward(self, params, state0, xs):
        if self._on("forward", params, state0, xs):
            self._before([xs])
            hs, c = self.inner.forward(params, state0, xs)
            self._after([xs])
            return self._tamper(hs), c
        return self.inner.forward(params, state0, xs)

    def vjp(self, params, state0, xs, cotangents):
        if self._on("vjp", params, state0, xs):
            self._before([params["W_h"]])
            g = self.inner.vjp(params, state0, xs, cotangents)
            self._after([params["W_h"]])
            return {**g, "W_h": self._tamper(g["W_h"])}
        return self.inner.vjp(params, state0, xs, cotangents)

    def param_count(self, H, D):
        if self._on("param_count", np.array([H, D])):   # "large": D = 5 in the param-count check
            self._before([])
            if self.behaviour in ("shape", "nan", "inf", "dtype", "noise"):
                return 4.5 * (H * D + H * H + H)
        return 4 * (H * D + H * H + H)


class MisbehavingClip(_Switch):
    """The correct global-norm clipping (zoo.Clip) with one misbehaviour in clip_grad_norm or clip_grad_value."""

    kind, dtype, clip_eps = "clip", np.float64, 0.0

    def __init__(self, behaviour, method="clip_grad_norm", when="large", delay=0.0):
        self._init(behaviour, method, when, delay)
        self.inner = Clip(self.name)

    def clip_grad_norm(self, grads, max_norm):
        if self._on("clip_grad_norm", grads, np.asarray(max_norm)):
            if self.behaviour == "mutate":   # PyTorch's clip_grad_norm_ habit: scale the caller's arrays in place
                total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
                for g in grads:
                    g *= min(1.0, max_norm / total) if total else 1.0
                return list(grads), total
            self._before(grads)
            out, total = self.inner.clip_grad_norm(grads, max_norm)
            return [self._tamper(out[0])] + out[1:], total
        return self.inner.clip_grad_norm(grads, max_norm)

    def clip_grad_value(self, grads, clip_value):
        if self._on("clip_grad_value", grads, np.asarray(clip_value)):
            if self.behaviour == "mutate":   # np.clip(g, -v, v, out=g): the caller's arrays clipped in place
                return [np.clip(g, -clip_value, clip_value, out=g) for g in grads]
            self._before(grads)
            out = self.inner.clip_grad_value(grads, clip_value)
            return [self._tamper(out[0])] + out[1:]
        return self.inner.clip_grad_value(grads, clip_value)


def make(behaviour, method="forward", when="large", delay=0.0):
    """One misbehaving adapter (a cell, or clipping when ``method`` starts with ``clip_``)."""
    cls = MisbehavingClip if method.startswith("clip_") else Misbehaving
    return cls(behaviour, method, when, delay)


# ---------------------------------------------------------------- factories for the command line (`vanishing validate FILE:NAME`)
def raises_on_large():
    return make("raise", "forward")


def nan_on_large():
    return make("nan", "forward")


def inf_in_vjp_on_large():
    return make("inf", "vjp")


def wrong_shape_on_large():
    return make("shape", "forward")


def wrong_dtype_on_large():
    return make("dtype", "step")


def mutates_on_large():
    return make("mutate", "forward")


def mutates_always():
    return make("mutate", "forward", when="always")


def clip_mutates_on_large():
    return make("mutate", "clip_grad_norm")


def noise_always():
    return make("noise", "forward", when="always")


def noise_on_large():
    return make("noise", "forward")


def flaky_on_large():
    return make("flaky", "forward")


def hangs_on_large():
    return make("hang", "step")


def spins_on_large():
    return make("spin", "forward")


def hangs_always():
    return make("hang", "vjp", when="always")


def spins_then_correct():
    """A run of two adapters: the first hangs on the smoke test, the second must still be validated."""
    return [make("spin", "forward", when="always"), HandLSTM("zoo.hand_lstm")]


def slow():
    return make("slow", "none", delay=0.02)
