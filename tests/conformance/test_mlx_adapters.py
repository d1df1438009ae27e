"""``vanishing validate mlx``: mlx.nn.RNN, LSTM, GRU against the reference, gradients by MLX's own ``mx.vjp``.

A sample of the checks runs here (every check: ``vanishing validate mlx``, docs/CONFORMANCE.md). The float64 gated
cells are a finding (MLX computes float64 ``exp`` with its float32 approximation, ml-explore/mlx#3047): their failure
must be named by the float32-precision mutant, and the float64 RNN (tanh only, no exp) must conform.
"""

import importlib.util
import sys

import numpy as np
import pytest

import vanishing
from vanishing.checks.conformance import load, validate_adapter
from vanishing.checks.conformance.protocol import AdapterError

pytestmark = pytest.mark.frameworks


def _mlx():
    if importlib.util.find_spec("mlx") is None:
        pytest.skip("mlx (an optional extra) is not installed")
    return {i.name: i for i in load("mlx")}


@pytest.mark.parametrize("name,checks", [
    ("mlx.nn.GRU[float32]", ["forward", "gradients", "direct-path", "param-count"]),
    ("mlx.nn.LSTM[float32]", ["forward", "gradients", "gate-range"]),
    ("mlx.nn.RNN(relu)[float64]", ["forward", "gradients", "gradients-fd"]),
    ("mlx.nn.RNN(tanh)[float64]", ["forward", "gradients"]),
])
def test_mlx_builtin_conforms(name, checks):
    rep = validate_adapter(_mlx()[name], only=checks)
    assert not rep.broken, rep.broken
    bad = [r.text() for r in rep.results if r.status != "pass"]
    assert len(rep.results) == len(checks) and not bad, "\n".join(bad)


def test_mlx_gru_declares_and_exercises_b_hn():
    """MLX's GRU keeps b (3H, input side) and bhn (H, inside the reset): parameter set gru-bhn, reset after."""
    a = _mlx()["mlx.nn.GRU[float64]"]
    assert (a.param_set, a.reset) == ("gru-bhn", "after")
    rng = np.random.default_rng(0)
    H, D = 3, 2
    P = {"W_x": rng.normal(size=(3 * H, D)), "W_h": rng.normal(size=(3 * H, H)), "b_x": rng.normal(size=3 * H),
         "b_hn": rng.normal(size=H)}
    s0, xs = (rng.normal(size=H),), rng.normal(size=(4, D))
    g = a.obj.vjp(P, s0, xs, (np.ones((4, H)),))
    assert np.all(np.abs(g["b_hn"]) > 0), "MLX's bhn gradient is zero: the adapter does not pass b_hn"
    moved = a.obj.forward({**P, "b_hn": P["b_hn"] + 1.0}, s0, xs)[0]
    assert not np.allclose(moved, a.obj.forward(P, s0, xs)[0])


@pytest.mark.parametrize("name", ["mlx.nn.LSTM[float64]", "mlx.nn.GRU[float64]"])
def test_mlx_float64_gated_cells_lose_precision_named_by_the_mutant(name):
    """The finding, confirmed: the forward check fails, the diagnosis names float32-precision, the adapter declares it."""
    info = _mlx()[name]
    r = validate_adapter(info, only=["forward"]).results[0]
    assert r.status == "fail" and any("[mutant float32-precision;" in d for d in r.diagnosis), r.text()
    assert [d[1] for d in info.obj.differences] == ["float32-precision"]


def test_mlx_adapter_fails_when_its_map_is_wrong():
    """The adapter can fail: a GRU fed W_x with r and z swapped is rejected, and the gate-order mutant names it."""
    a = _mlx()["mlx.nn.GRU[float32]"]
    from vanishing.checks.conformance.frameworks import blocks
    from vanishing.checks.conformance.protocol import AdapterInfo

    class Swapped:
        kind, reset, param_set, dtype, name = "gru", "after", "gru-bhn", np.float32, "mlx GRU, r and z swapped"

        def _sw(self, P):
            H = P["W_h"].shape[1]
            return {**P, **{k: blocks(P[k], H, "zrn", "rzn") for k in ("W_x", "W_h", "b_x")}}

        def forward(self, P, s, xs):
            return a.obj.forward(self._sw(P), s, xs)

        def step(self, P, s, x):
            return a.obj.step(self._sw(P), s, x)

        def vjp(self, P, s, xs, cot):
            return a.obj.vjp(self._sw(P), s, xs, cot)
    r = validate_adapter(AdapterInfo(Swapped(), origin="test"), only=["forward"]).results[0]
    assert r.status == "fail" and any("[mutant gate-order-zrn;" in d for d in r.diagnosis), r.text()


def test_a_missing_mlx_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlx.core", None)   # import mlx.core now raises ImportError
    with pytest.raises(AdapterError) as e:
        load("mlx")
    msg = str(e.value)
    assert "\n" not in msg and vanishing.install_hint("mlx") in msg, msg
