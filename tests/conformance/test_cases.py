"""The search reaches every trigger (issue 23, item 2): on every ``ci`` run, each category of ``tc.TRIGGERS`` is drawn.

The categories are read off the cases each check actually evaluated in a ``ci`` run of the runner (``runner.evaluate``
recorded), not off how the strategies were written; a category a kind cannot have (a second gate block of an Elman
RNN) is left out by ``_applicable``.
"""

import dataclasses

import numpy as np
import pytest
from vanishing.checks.conformance import cases, reference_adapter, runner
from vanishing.checks.conformance import trigger_cases as tc
from vanishing.checks.conformance.protocol import AdapterInfo
from vanishing.models import kinds

ADAPTERS = {a.name: a for a in reference_adapter.builtins()}


def _reached(monkeypatch, adapter, only):
    seen = []
    orig = runner.evaluate

    def evaluate(run, check, case):
        seen.append(case)
        return orig(run, check, case)
    monkeypatch.setattr(runner, "evaluate", evaluate)
    rep = runner.validate_adapter(AdapterInfo(adapter), profile="ci", only=only)
    assert rep.ok, [r.text() for r in rep.results if r.status != "pass"]
    return set().union(*(tc.triggers(c) for c in seen)), seen


def _applicable(kind, pset):
    row = kinds.row(kind)
    out = set(tc.TRIGGERS["cell"])
    if row.blocks == 1:
        out.discard("gate-block-zero")
        if pset == "canonical":   # one bias of one block: "only one block non-zero" is every non-zero bias
            out.discard("bias-block-only")
    return out


CELLS = ["vanishing.reference[gru, reset=after, float64]", "vanishing.reference[gru, reset=after, gru-bhn, float32]",
         "vanishing.reference[lstm-peephole, float64]", "vanishing.reference[lstm, two-biases, float32]",
         "vanishing.reference[rnn-relu, float64]"]


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("check", ["forward", "gradients"])
def test_every_cell_trigger_is_reached_on_every_ci_run(monkeypatch, name, check):
    a = ADAPTERS[name]
    got, seen = _reached(monkeypatch, a, [check])
    assert _applicable(a.kind, a.param_set) <= got, (sorted(_applicable(a.kind, a.param_set) - got), len(seen))


def test_every_stack_trigger_is_reached_on_every_ci_run(monkeypatch):
    name = "vanishing.reference.stack[gru, num_layers=2, bidirectional=True, batch_first=True, float64]"
    got, seen = _reached(monkeypatch, ADAPTERS[name], ["stack"])
    assert set(tc.TRIGGERS["stack"]) <= got, sorted(set(tc.TRIGGERS["stack"]) - got)
    assert {c.B for c in seen} >= {1, 3, 4}


def test_every_clip_trigger_is_reached_on_every_ci_run(monkeypatch):
    from vanishing.checks.conformance.checks import ClipNorm
    got = set()
    for dt in (np.float64, np.float32):
        got |= set().union(*(tc.triggers(c) for c in ClipNorm().kept(AdapterInfo(_Clip(dt)))))
        g, _ = _reached(monkeypatch, _Clip(dt), ["clip-norm"])
        got |= g
    assert set(tc.TRIGGERS["clip"]) <= got, sorted(set(tc.TRIGGERS["clip"]) - got)


class _Clip:
    """The reference's own clipping, as an adapter (ε = 0)."""

    kind, clip_eps = "clip", 0.0

    def __init__(self, dtype):
        self.dtype, self.name = np.dtype(dtype), f"reference.clip[{np.dtype(dtype).name}]"

    def clip_grad_norm(self, grads, max_norm):
        from vanishing.models import clipping
        out, n = clipping.clip_by_global_norm([np.asarray(g, dtype=np.float64) for g in grads], max_norm)
        return [np.asarray(o, dtype=self.dtype) for o in out], n


def test_triggers_reads_the_values_not_the_labels():
    """A planted wrong reading fails: a dense case reaches no trigger; each structure reaches its own."""
    (dense,) = cases.probe_cases("gru", "after", np.float64, n=1)
    assert tc.triggers(dense) == set()
    row = kinds.row("gru")
    for structure, want in [("biases-zero", "biases-zero"), ("bias-block-only", "bias-block-only"),
                            ("gate-block-zero", "gate-block-zero")]:
        c = dense.but(params=cases.with_structure(row, dense.params, dense.H, structure, block=1))
        assert tc.triggers(c) == {want}, (structure, tc.triggers(c))
    z = dense.but(state0=(np.zeros(dense.H),))
    assert tc.triggers(z) == {"h0-zero-biased"}
    both = z.but(params=cases.with_structure(row, dense.params, dense.H, "biases-zero"))
    assert tc.triggers(both) == {"biases-zero"}   # h0 = 0 without biases is not the "with biases" trigger


def test_the_structured_cell_strategy_draws_each_structure():
    from hypothesis import given, settings
    seen = set()

    @settings(max_examples=60, database=None, derandomize=True)
    @given(cases.cell_cases("lstm", "after", np.float64, regimes=("moderate",)))
    def draw(c):
        seen.update(tc.triggers(c))
    draw()
    assert seen >= {"biases-zero", "bias-block-only", "gate-block-zero", "h0-zero-biased"}, seen


def test_a_relu_stack_case_within_rounding_of_the_kink_is_refused_and_an_ordinary_one_kept():
    """The false rejection CI found: a float32 pre-activation of +3e-46, flushed to 0 by float32 (relu' 0, not 1)."""
    config = {"num_layers": 2, "bidirectional": False, "batch_first": True}
    shapes = lambda H, D: reference_adapter.stack_param_shapes("rnn-relu", config, H, D)   # noqa: E731
    case = cases.simple_stack_case("rnn-relu", config, np.float32, shapes, seed=3, B=2, T=2)
    assert cases.stack_off_the_kink(case)
    assert cases.stack_off_the_kink(cases.simple_stack_case("gru", config, np.float32,
                                                            lambda H, D: reference_adapter.stack_param_shapes("gru", config, H, D)))
    zero = [np.zeros_like(p) for p in case.params]
    zero[1] = np.eye(len(zero[1]), dtype=np.float64)           # layer 0's W_hh = I: a = h0 exactly
    h0 = np.zeros_like(case.h0, dtype=np.float64)
    h0[0, :, :] = 3e-46                                         # below float32's smallest subnormal, above 0 in float64
    kink = dataclasses.replace(case, params=zero, xs=np.zeros_like(case.xs), h0=h0)
    assert not cases.stack_off_the_kink(kink)
