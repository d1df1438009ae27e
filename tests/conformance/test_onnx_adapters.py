"""``vanishing validate onnx``: PyTorch's modules exported to ONNX (both exporters) and ONNX's own RNN/LSTM/GRU
operators, run in onnxruntime: forward-only adapters (an inference runtime has no gradients).

A sample runs here (every adapter and check: ``vanishing validate onnx``, docs/CONFORMANCE.md). Every documented
ONNX convention (gate orders i, o, f, c and z, r, h; the peepholes' order i, o, f; linear_before_reset = 0) is
confirmed: its textbook variant fails and the named mutant reproduces it.
"""

import importlib.util
import sys

import numpy as np
import pytest

import vanishing
from vanishing.checks.conformance import load, validate_adapter
from vanishing.checks.conformance.cases import Case
from vanishing.checks.conformance.protocol import AdapterError, AdapterInfo, param_shapes

pytestmark = pytest.mark.frameworks


def _need(*modules):
    for m in modules:
        if importlib.util.find_spec(m) is None:
            pytest.skip(f"{m} (an optional extra) is not installed")


def _onnx():
    _need("onnx", "onnxruntime", "onnxscript", "torch")
    return {i.name: i for i in load("onnx")}


GRADIENT_CHECKS = {"gradients", "gradients-fd", "direct-path"}


@pytest.mark.parametrize("name,forward_checks", [
    ("onnx.LSTM(peepholes)[float32]", ["forward", "long-sequence"]),
    ("onnx.GRU(linear_before_reset=0)[float32]", ["forward"]),
    ("onnx.GRU(linear_before_reset=1)[float32]", ["forward"]),
    ("onnx.RNN(Relu)[float32]", ["forward", "gate-range"]),
    ("torch.nn.LSTM→ONNX(torchscript)[float32]", ["forward"]),
    ("torch.nn.GRU(num_layers=2, bidirectional)→ONNX(torchscript)[float32]", ["stack"]),
])
def test_onnx_builtin_conforms_and_gradient_checks_do_not_apply(name, forward_checks):
    info = _onnx()[name]
    rep = validate_adapter(info, only=forward_checks + sorted(GRADIENT_CHECKS))
    assert not rep.broken, rep.broken
    ran = {r.check: r.status for r in rep.results}
    assert all(ran[c] == "pass" for c in forward_checks), "\n".join(r.text() for r in rep.results if r.status != "pass")
    assert {c for c, s in ran.items() if s == "n/a"} == (GRADIENT_CHECKS & set(ran)), ran
    assert rep.ok


@pytest.mark.parametrize("name", ["torch.nn.GRU→ONNX(dynamo)[float32]", "torch.nn.RNN(relu)→ONNX(dynamo)[float32]"])
def test_onnx_dynamo_export_matches_the_reference(name):
    """torch.onnx.export(dynamo=True) (exported at T = 1, run once per step), in onnxruntime, on two cases (T = 1 and
    4; the full forward checks: ``vanishing validate onnx``)."""
    from vanishing.checks.conformance.checks import ForwardValues
    from vanishing.checks.conformance.protocol import Run
    from vanishing.checks.conformance.runner import evaluate
    info = _onnx()[name]
    rng = np.random.default_rng(5)
    for H, D, T in ((2, 3, 1), (3, 1, 4)):
        P = {k: rng.uniform(-1, 1, s) for k, s in param_shapes(info.kind, H, D, info.param_set).items()}
        case = Case(info.kind, info.reset, info.dtype, P, (rng.uniform(-1, 1, H),), rng.uniform(-1, 1, (T, D)), None,
                    pset=info.param_set)
        m = evaluate(Run(info, call_timeout=0), ForwardValues(), case)
        assert m is None, m.lines


def test_every_onnx_convention_is_confirmed_by_its_mutant():
    _onnx()
    from vanishing.checks.conformance import onnx_adapters
    seen = set()
    for adapter, (what, mutant, _, _) in onnx_adapters.textbook_variants():
        r = validate_adapter(AdapterInfo(adapter, origin="onnx"), only=["forward"]).results[0]
        assert r.status == "fail", f"{adapter.name}: the textbook map of {what!r} conforms: the difference is not real"
        assert any(f"[mutant {mutant};" in d for d in r.diagnosis), f"{adapter.name}: {what!r} not confirmed by {mutant}: {r.diagnosis}"
        seen.add(what)
    assert seen == {"gate order", "peephole order", "linear_before_reset"}


def test_onnx_runs_float32_only_and_says_why():
    _onnx()
    from vanishing.checks.conformance import onnx_adapters
    notes = onnx_adapters.restrictions()
    assert any("LSTM in double" in n for n in notes) and any("GRU in double" in n for n in notes), notes
    with pytest.raises(AdapterError, match="float32 only"):
        onnx_adapters.builtins(dtypes=(np.float64,))


def test_a_missing_onnxruntime_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(AdapterError) as e:
        load("onnx")
    msg = str(e.value)
    assert "\n" not in msg and vanishing.install_hint("onnx") in msg, msg
