"""Adapters that are broken (not merely non-conforming): each must give exit status 2 and one clear line."""

import numpy as np
from zoo import (
    LSTM,  # tests/zoo is put on sys.path by the loader's file import (see test_conformance.py)
)


class _Wrap:
    """An LSTM adapter with one method's result tampered with."""

    kind, dtype = "lstm", np.float64

    def __init__(self, name, tamper):
        self.name, self.inner, self.tamper = name, LSTM(name), tamper

    def step(self, params, state, x):
        return self.inner.step(params, state, x)

    def forward(self, params, state0, xs):
        return self.tamper(self.inner.forward(params, state0, xs))

    def vjp(self, params, state0, xs, cot):
        return self.inner.vjp(params, state0, xs, cot)


def raises():
    raise RuntimeError("CUDA device not found")


def returns_none():
    return None


def wrong_shapes():
    return _Wrap("zoo.wrong_shapes", lambda out: (out[0].T, out[1]))


def nan():
    return _Wrap("zoo.nan", lambda out: (out[0] * np.nan, out[1]))


def wrong_dtype():
    return _Wrap("zoo.wrong_dtype", lambda out: (out[0].astype(np.float32), out[1].astype(np.float32)))


def missing_method():
    class NoVjp:
        kind, dtype, name = "lstm", np.float64, "zoo.no_vjp"

        def step(self, params, state, x):
            return state

        def forward(self, params, state0, xs):
            return state0
    return NoVjp()


def bad_kind():
    a = LSTM("zoo.bad_kind")
    a.kind = "lstm2"
    return a


not_callable = 42
