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
from vanishing.models import kinds, layouts

NATIVE = Path(__file__).resolve().parents[1] / "zoo" / "native.py"


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
    stacks = [n for n, i in infos.items() if i.kind == "stack"]
    assert "torch.nn.LSTM(num_layers=2, bidirectional, proj_size=1)[float32]" in stacks and len(stacks) == 8


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
        g = reference.vjp(c)
        gc = reference.vjp(c.but(params=P, pset="canonical"))
        assert set(g) == set(c.params) | {"xs"} | set(kinds.row(kind).state_keys)
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


def test_a_multilayer_module_ignoring_one_recurrent_bias_is_rejected_and_located():
    """nn.GRU(num_layers=2, bidirectional) whose layer-1 reverse direction ignores bias_hh: rejected by the stack check,
    located in layer 1, direction reverse."""
    pytest.importorskip("torch")
    from vanishing.checks.conformance.torch_adapters import TorchStack

    class Drops(TorchStack):
        def run(self, params, xs, h0, c0, cotangents):
            names = [n for n, _ in self.param_shapes(np.shape(params[1])[0] // 3, np.shape(params[0])[1])]
            k = names.index("bias_hh_l1_reverse")
            params = list(params)
            params[k] = np.zeros_like(params[k])
            outs, g = super().run(params, xs, h0, c0, cotangents)
            g["bias_hh_l1_reverse"] = np.zeros_like(g["bias_hh_l1_reverse"])
            return outs, g
    a = Drops("gru", {"num_layers": 2, "bidirectional": True, "batch_first": True}, np.float64)
    a.name = "zoo.gru_stack_drops_bias_hh_l1_reverse"
    (r,) = validate_adapter(AdapterInfo(a, origin="test"), only=["*/stack"]).results
    assert r.status == "fail", r.text()
    assert any("the gradient w.r.t. bias_hh_l1_reverse differs" in ln for ln in r.lines), r.text()
    assert "bias_hh_l1_reverse (layer 1, reverse direction) is zero where the reference's is not" in r.diagnosis[0], r.diagnosis


def test_the_subnormal_floor_is_declared_never_assumed():
    from vanishing.checks import tolerances
    from vanishing.checks.conformance.tolerance import subnormal_floor

    class A:
        kind, dtype, name = "lstm", np.float32, "a"
        flushes_subnormals = False

        def step(self, *a):
            pass
        forward = vjp = step
    base = tolerances.forward_error(np.float32, np.zeros(1))
    assert subnormal_floor(base, AdapterInfo(A())) is base
    A.flushes_subnormals = True
    t = subnormal_floor(base, AdapterInfo(A()))
    assert np.all(t.bound(np.zeros(1)) >= np.finfo(np.float32).tiny) and "flushes subnormals" in t.reason
    assert np.all(base.bound(np.zeros(1)) < 1e-40)   # without the declaration a flushed 3.6e-39 fails
