"""Every native parameter is exercised: a cell that ignores its recurrent bias is rejected and the bias named.

Planted in three styles (tests/zoo/native.py): a PyTorch module that drops ``bias_hh``, a Keras-layout
GRU that never adds its recurrent bias row, an Equinox-layout JAX GRU that drops ``bias_n``.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from vanishing.checks.conformance import load, reference, validate_adapter
from vanishing.checks.conformance.cases import probe_cases
from vanishing.checks.conformance.protocol import AdapterError, AdapterInfo, param_shapes
from vanishing.models import layouts

NATIVE = Path(__file__).resolve().parent / "zoo" / "native.py"


def _spec():
    spec = importlib.util.spec_from_file_location("_vanishing_test_native", NATIVE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MOD = _spec()


@pytest.mark.parametrize("factory", sorted(MOD.IGNORES_RECURRENT_BIAS))
def test_a_cell_ignoring_its_recurrent_bias_is_rejected_and_named(factory):
    check, mutant, needs = MOD.IGNORES_RECURRENT_BIAS[factory]
    if needs:
        pytest.importorskip(needs)
    (info,) = load(f"{NATIVE}:{factory}")
    rep = validate_adapter(info, only=[check, "gradients"])
    assert not rep.broken, rep.broken
    for r in rep.results:
        assert r.status == "fail", f"{factory}: the {r.check} check accepted a cell that ignores its recurrent bias"
    for r in rep.results:   # both checks name the bias (the gradient check's shrunk case may keep the forward equal)
        assert any(f"[mutant {mutant};" in d for d in r.diagnosis), r.text()


@pytest.mark.parametrize("factory", sorted(MOD.CORRECT))
def test_the_same_cells_without_the_bug_conform(factory):
    if MOD.CORRECT[factory]:
        pytest.importorskip(MOD.CORRECT[factory])
    (info,) = load(f"{NATIVE}:{factory}")
    rep = validate_adapter(info, only=["forward", "gradients"])
    assert rep.ok, [r.text() for r in rep.results]


def test_torch_builtins_draw_both_biases():
    pytest.importorskip("torch")
    infos = {i.name: i for i in load("torch")}
    assert infos["torch.nn.LSTMCell[float64]"].param_set == "two-biases"
    assert infos["torch.nn.RNN(tanh)[float32]"].param_set == "two-biases"
    assert infos["torch.nn.GRUCell[float64]"].param_set == "canonical"   # b_x, b_h are PyTorch's bias_ih, bias_hh


@pytest.mark.parametrize("pset", sorted(layouts.PARAM_SETS))
def test_every_param_set_maps_exactly_and_its_gradients_follow_the_chain_rule(pset):
    """to_canonical is exact (sums, copies, zeros), and the reference gradient w.r.t. a native key is the canonical
    gradient pulled back: for two biases both equal ∂/∂b; for one bias ∂/∂b = ∂/∂b_x; for b_hn the n block of ∂/∂b_h."""
    ps = layouts.PARAM_SETS[pset]
    for kind in ps.kinds:
        reset = "before" if pset == "one-bias" else "after"
        c = probe_cases(kind, reset, np.float64, n=1, pset=pset)[0]
        assert set(c.params) == set(param_shapes(kind, 3, 2, pset))
        assert all(np.any(v) for v in c.params.values())
        P = c.canonical()
        g = reference.vjp(kind, c.params, c.state0, c.xs, c.cot, reset, pset)
        gc = reference.vjp(kind, P, c.state0, c.xs, c.cot, reset)
        assert set(g) == set(c.params) | {"xs", "h0"} | ({"c0"} if kind.startswith("lstm") else set())
        if pset == "two-biases":
            assert np.array_equal(P["b"], c.params["b_x"] + c.params["b_h"])
            assert np.allclose(g["b_x"], gc["b"], rtol=1e-12, atol=0) and np.allclose(g["b_h"], gc["b"], rtol=1e-12, atol=0)
        elif pset == "one-bias":
            assert not np.any(P["b_h"]) and np.array_equal(P["b_x"], c.params["b"])
            assert np.allclose(g["b"], gc["b_x"], rtol=1e-12, atol=0)   # b_h = 0·b carries no derivative
        elif pset == "gru-bhn":
            assert not np.any(P["b_h"][:6]) and np.array_equal(P["b_h"][6:], c.params["b_hn"])
            assert np.allclose(g["b_hn"], gc["b_h"][6:], rtol=1e-12, atol=0)


def test_a_bad_param_set_is_one_line():
    class A:
        kind, reset, dtype, name, param_set = "gru", "after", np.float64, "a", "two-biases"

        def step(self, *a):
            pass
        forward = vjp = step
    with pytest.raises(AdapterError, match="param_set 'two-biases' applies to rnn-tanh, rnn-relu, lstm, not to kind 'gru'"):
        AdapterInfo(A())
    A.param_set = "nope"
    with pytest.raises(AdapterError, match="param_set must be one of"):
        AdapterInfo(A())


def test_to_torch_writes_both_biases():
    rng = np.random.default_rng(0)
    P = {"W_x": rng.normal(size=(8, 3)), "W_h": rng.normal(size=(8, 2)), "b_x": rng.normal(size=8), "b_h": rng.normal(size=8)}
    sd = layouts.to_torch("lstm", P)
    assert np.array_equal(sd["bias_ih"], P["b_x"]) and np.array_equal(sd["bias_hh"], P["b_h"])
    back = layouts.from_torch("lstm", sd)
    assert np.array_equal(back["b"], P["b_x"] + P["b_h"])
