"""The diagnosis helps when it cannot name the bug: tested with planted bugs that the catalogue does not contain.

tests/zoo/novel.py holds ten realistic bugs outside checks/conformance/mutants.py (five in the forward pass,
five in a hand-written backward pass). Each must be rejected with "no known bug reproduces this" and the
localisation (forward or backward, parameters and gate blocks, time steps, growth with saturation and T),
never blamed on a known bug such as float32 precision. Also: a forward failure comes first in gradient
reports, cotangents stay O(1) and are shown, the direct-path counterexample carries the cotangent that
exposes the difference, the NaN hint quotes the pre-activation, and a mutant that matches only the failing
case is said to do so.
"""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from vanishing.checks.conformance import load, validate_adapter
from vanishing.checks.comparison import Comparison
from vanishing.checks.conformance.compare import Mismatch, compare
from vanishing.checks.conformance.diagnosis import diagnose, max_preactivation

ZOO = Path(__file__).resolve().parents[1] / "zoo"
ROOT = ZOO.parents[1]


def _module(name):
    import sys
    sys.path.insert(0, str(ZOO))
    try:
        spec = importlib.util.spec_from_file_location(f"_vanishing_test_{name}", ZOO / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(ZOO))


NOVEL = _module("novel").NOVEL


@pytest.fixture(scope="module")
def novel_results():
    out = {}
    for factory, (check, _) in NOVEL.items():
        (info,) = load(f"{ZOO / 'novel.py'}:{factory}")
        out[factory] = validate_adapter(info, only=[check]).results[0]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("factory", sorted(NOVEL))
def test_a_bug_outside_the_catalogue_gets_the_localisation_not_a_known_bugs_name(factory, novel_results):
    _, where = NOVEL[factory]
    r = novel_results[factory]
    assert r.status == "fail", f"{factory} was accepted"
    text = "\n".join(r.diagnosis)
    assert r.diagnosis[0].startswith("diagnosis: no known bug reproduces") and "so this is not a known bug" in r.diagnosis[0], text
    assert "[mutant " not in text and "float32" not in text, f"{factory}: blamed on a known bug:\n{text}"
    for part in ("forward:", "saturation: relative discrepancy", "length: relative discrepancy"):
        assert any(ln.strip().startswith(part) for ln in r.diagnosis), f"{factory}: no {part!r} line:\n{text}"
    if where == "backward":
        assert "only the gradients differ, so the bug is in the backward pass" in text, text
        assert any(ln.strip().startswith("gradients") and ": differ w.r.t." in ln for ln in r.diagnosis), text
    else:
        assert "forward: the values differ on" in text, text


@pytest.mark.slow
@pytest.mark.parametrize("factory", sorted(NOVEL))
def test_the_counterexample_is_visible_and_its_cotangents_are_order_one(factory, novel_results):
    r = novel_results[factory]
    c = r.counterexample
    assert all(np.all((np.abs(v) >= 0.125) | (v == 0)) for v in c.cot) and any(np.any(v) for v in c.cot)
    assert "d hs=" in c.brief() and "d hs=" in r.text()
    got, expected = (float(v) for v in re.search(r"got (\S+), expected (\S+),", r.lines[0]).groups())
    assert abs(got - expected) >= 1e-3 * max(abs(got), abs(expected)), f"{factory}: {r.lines[0]}"


@pytest.mark.slow
def test_localisation_names_the_parameter_and_the_growth():
    (info,) = load(f"{ZOO / 'novel.py'}:hand_dWh_uses_h_t")
    r = validate_adapter(info, only=["gradients"]).results[0]
    assert any(ln.strip().startswith("gradients") and ": differ w.r.t. W_h" in ln and "match w.r.t. W_x, b, xs, h0, c0" in ln
               for ln in r.diagnosis), r.diagnosis
    (info,) = load(f"{ZOO / 'novel.py'}:hand_sigmoid_prime_as_tanh_prime")
    r = validate_adapter(info, only=["gradients"]).results[0]
    assert any("(grows with saturation)" in ln for ln in r.diagnosis), r.diagnosis


@pytest.mark.parametrize("factory", ["rnn_transposed_recurrent", "lstm_gate_order"])
def test_a_forward_failure_comes_first_in_the_gradient_report(factory):
    """The issue's case: a transposed forward W_hh was diagnosed under gradients as 'float32 arithmetic inside'."""
    (info,) = load(f"{ZOO / 'zoo.py'}:{factory}")
    r = validate_adapter(info, only=["gradients"]).results[0]
    assert r.status == "fail"
    # On the shrunk case itself (its lines), or, when that case keeps the forward equal, on the probe cases (the diagnosis):
    said = r.lines[0].startswith("the forward values already differ on this case") or \
        r.diagnosis[0].startswith("diagnosis: the forward values differ from the reference on")
    assert said, r.text()
    assert any(d.startswith("diagnosis (of the forward difference, which comes first): the outputs match the reference if ")
               for d in r.diagnosis), r.diagnosis
    assert "float32" not in " ".join(r.diagnosis)


def test_the_direct_path_counterexample_exposes_the_difference():
    (info,) = load(f"{ZOO / 'zoo.py'}:gru_z_flipped")
    r = validate_adapter(info, only=["direct-path"]).results[0]
    assert r.status == "fail"
    c = r.counterexample
    assert c.T == 1 and np.count_nonzero(c.cot[0]) == 1 and not np.any(c.params["W_h"])
    ns = {}
    exec(compile(r.reproduce["python"].replace("print(", "out.append("), "<reproduce>", "exec"), {"out": (out := [])})
    got, ref = out
    assert not np.allclose(got["h0"], ref["h0"]), "the shown case must show the difference in its vjp"
    assert ns == {}


def test_the_nan_hint_quotes_the_pre_activation():
    """tanh as (e^{2a}−1)/(e^{2a}+1) gives NaN at a saturated case; the hint quotes max |a|, not the output error."""
    from vanishing.checks.conformance.cases import probe_cases
    from vanishing.checks.conformance.protocol import CallError, Run, call_forward
    (info,) = load(f"{ZOO / 'novel.py'}:rnn_naive_tanh")
    info = Run(info)
    c = probe_cases("rnn-tanh", "after", np.float64, n=1)[0]
    c = c.but(params={k: v * 300.0 for k, v in c.params.items()}, regime="saturated")
    with pytest.raises(CallError) as e:
        call_forward(info, c.params, c.state0, c.xs)
    assert "non-finite" in str(e.value)
    (hint,) = [d for d in diagnose(info, Mismatch("crash", [str(e.value)], c)) if d.startswith("observation:")]
    a = max_preactivation(c)
    assert a > 355 and f"reach about {a:.3g} in magnitude" in hint, (hint, a)


def test_a_mutant_matching_only_the_failing_case_is_said_to(monkeypatch):
    """A clip that clamps by value on two arrays and by per-tensor norm otherwise: on a two-array case the by-value
    mutant matches, on the three-array probe it does not; the old text said 'off by 0× the tolerance'."""
    from vanishing.checks.conformance.cases import ClipCase
    from vanishing.checks.conformance.protocol import AdapterInfo, Run
    from vanishing.models import clipping

    class Odd:
        kind, dtype, name = "clip", np.float64, "odd"

        def clip_grad_norm(self, grads, max_norm):
            if len(grads) == 2:
                return clipping.clip_by_value(grads, max_norm), clipping.global_norm(grads)
            return clipping.clip_by_norm_per_tensor(grads, max_norm)[0], clipping.global_norm(grads)
    info = Run(AdapterInfo(Odd()))
    case = ClipCase([np.array([3.0, -4.0]), np.array([0.5, 2.0, -0.25])], 1.0, np.dtype(np.float64))
    lines = diagnose(info, Mismatch("clip", ["x"], case), "clip_grad_norm")
    assert "matches the failing case but not the generic probe cases" in lines[0] and "off by 0" not in lines[0], lines


def test_the_comparison_object_is_public_and_the_gate_order_is_defined_once():
    c = compare(np.array([1.0, 2.0]), np.array([1.0, 2.5]), __import__("vanishing.checks.tolerances", fromlist=["x"]).value())
    assert isinstance(c, Comparison) and not c.ok and c.worst == (1,) and c.n_bad == 1 and c.rel == pytest.approx(0.2)
    src = (ROOT / "checks" / "conformance" / "diagnosis.py").read_text()
    assert not re.search(r"from vanishing\.checks\.conformance\.checks import \([^)]*\b_\w+", src), "diagnosis imports a private name"
    spelled = []
    for path in [*(ROOT / "checks" / "conformance").glob("*.py"), *(ROOT / "models").glob("*.py")]:
        if path.name == "layouts.py" or path.name.endswith("_adapters.py"):
            continue   # layouts defines the canonical order; an adapter module states its framework's own (e.g. Flax's i, f, g, o)
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"[\"'](ifgo|rzn)[\"']", line):
                spelled.append(f"{path.name}:{n}")
    assert not spelled, f"the gate order is spelled out outside models/layouts.py: {spelled}"


# ---------------------------------------------------------------- issue 23, item 3
class _MutantStack:
    """The stack reference with one stack mutant switched on, as an adapter (each mutant must be tellable apart)."""

    kind, dtype = "stack", np.float64

    def __init__(self, mutant, cell, config):
        from vanishing.checks.conformance.reference_adapter import stack_param_shapes
        self.mutant, self.cell, self.config, self.name = mutant, cell, dict(config), f"planted.{mutant.name}"
        self._shapes = stack_param_shapes

    def param_shapes(self, H, D):
        return self._shapes(self.cell, self.config, H, D)

    def _run(self, params, xs, h0, c0, cotangents, lengths):
        from vanishing.checks.conformance.cases import StackCase
        from vanishing.checks.conformance.stack_diagnosis import mutated
        names = [n for n, _ in self.param_shapes(np.shape(params[1])[1], np.shape(params[0])[1])]
        case = StackCase(self.cell, self.config, np.dtype(self.dtype), names, params, xs, h0, c0, cotangents, lengths)
        return mutated(case, **self.mutant.opts)

    def run(self, params, xs, h0, c0, cotangents):
        return self._run(params, xs, h0, c0, cotangents, None)

    def run_packed(self, params, xs, lengths, h0, c0, cotangents):
        return self._run(params, xs, h0, c0, cotangents, [int(n) for n in lengths])


def _stack_mutants():
    from vanishing.checks.conformance.stack_diagnosis import STACK_MUTANTS
    return {m.name: m for m in STACK_MUTANTS}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_stack_mutants()))
def test_every_stack_mutant_planted_is_rejected_and_named(name):
    """Each stack mutant changes the module (it is rejected) and is the first one named (none shadows another)."""
    m = _stack_mutants()[name]
    packed = "lengths" in m.needs
    cfg = {"num_layers": 3, "bidirectional": True, "batch_first": False}
    from vanishing.checks.conformance.protocol import AdapterInfo
    rep = validate_adapter(AdapterInfo(_MutantStack(m, "gru", cfg)), only=["*/stack-lengths" if packed else "*/stack"])
    (r,) = rep.results
    assert r.status == "fail", f"{name}: not rejected"
    assert f"[mutant {name};" in " ".join(r.diagnosis), r.diagnosis


def test_a_diagnosis_is_stated_once_per_adapter():
    from vanishing.checks.conformance.diagnosis import once_per_adapter
    from vanishing.checks.conformance.runner import CheckResult
    said = {}
    a = CheckResult("x", "forward", "", "fail", diagnosis=["diagnosis: ... [mutant z-flipped; reproduced on ...]"])
    b = CheckResult("x", "gradients", "", "fail", diagnosis=["diagnosis (of the forward difference): ... [mutant z-flipped; ...]"])
    c = CheckResult("x", "gate-range", "", "fail", diagnosis=["diagnosis: something else"])
    for r in (a, b, c):
        once_per_adapter(r, said)
    assert a.diagnosis[0].startswith("diagnosis: ... [mutant z-flipped")
    assert b.diagnosis == ["diagnosis: the same known bug as for the forward check above [mutant z-flipped; stated there]"]
    assert c.diagnosis == ["diagnosis: something else"]


def test_the_precision_line_needs_a_float32_sized_discrepancy():
    import types
    from vanishing.checks.conformance.diagnosis import _precision_line
    f64 = types.SimpleNamespace(dtype=np.float64)
    assert _precision_line(f64, [3e-8, 1e-7, 5e-8]) and not _precision_line(f64, [1e-15, 2e-16])
    assert not _precision_line(f64, [0.2, 0.3])                      # a structural bug is not precision
    assert not _precision_line(types.SimpleNamespace(dtype=np.float32), [3e-8])
