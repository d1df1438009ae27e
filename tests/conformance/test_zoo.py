"""Meta-tests: every deliberately broken implementation in tests/zoo is rejected, with a diagnosis that names its bug.

The zoo (tests/zoo/zoo.py) is written like user code, independently of the mutant
library, so a right diagnosis is evidence. The correct members must pass.
"""

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from vanishing.checks.conformance import load, validate_adapter
from vanishing.checks.conformance.cases import probe_clip_cases
from vanishing.checks.conformance.trigger_cases import triggers

ZOO = Path(__file__).resolve().parents[1] / "zoo" / "zoo.py"
pytest_plugins = ("pytester",)


def _zoo():
    spec = importlib.util.spec_from_file_location("_vanishing_test_zoo", ZOO)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


BROKEN = _zoo().BROKEN


def test_the_zoo_is_big_enough():
    assert len(BROKEN) >= 12
    assert {c for c, _ in BROKEN.values()} >= {"forward", "gradients", "clip-norm"}


@pytest.mark.slow
@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_member_is_rejected_with_the_right_diagnosis(factory):
    check, mutant = BROKEN[factory]
    (info,) = load(f"{ZOO}:{factory}")
    rep = validate_adapter(info, only=[check])
    assert not rep.broken, rep.broken
    (r,) = rep.results
    assert r.status == "fail", f"{factory}: the {check} check did not reject it"
    assert r.counterexample is not None and r.reproduce.get("python") and r.reproduce.get("command")
    named = [d for d in r.diagnosis if f"[mutant {mutant};" in d]
    assert named, f"{factory}: the diagnosis does not name {mutant}: {r.diagnosis}"
    assert len(r.diagnosis) == 1 or "more mutants" not in r.diagnosis[-1], f"{factory}: ambiguous diagnosis {r.diagnosis}"


CORRECT = {i.name: i for i in load(f"{ZOO}:correct")}
# What each correct member's design could get wrong: the values for all; the gradients too for the
# hand-written backward pass (autograd's are the autograd members' own). The whole set of checks on
# every member: `vanishing validate tests/zoo/zoo.py:correct` (~20 s).
CORRECT_CHECKS = {"zoo.hand_lstm": ["forward", "gradients"], "zoo.hand_lstm32": ["forward", "gradients"], "zoo.clip": None}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_member_passes(name):
    rep = validate_adapter(CORRECT[name], only=CORRECT_CHECKS.get(name, ["forward"]))
    assert not rep.broken, rep.broken
    bad = [r.text() for r in rep.results if r.status != "pass"]
    assert not bad, "\n".join(bad)


def test_pytest_plugin_adds_one_item_per_check(pytester):
    pytester.makepyfile(test_user="def test_users_own():\n    assert True\n")
    res = pytester.runpytest_inprocess(f"--vanishing-impl={ZOO}:gru_z_flipped", f"--vanishing-impl={ZOO}:correct",
                                       "-k", "users_own or (gru and forward)", "-p", "no:cacheprovider")
    res.assert_outcomes(passed=3, failed=1)   # the user's test, gru_after and gru_before pass; z flipped fails
    res.stdout.fnmatch_lines(["*vanishing[[]zoo.gru_z_flipped/forward[]]*", "*z is used the other way round*"])
    sys.modules.pop("_vanishing_adapter_zoo", None)


def test_pytest_plugin_reports_a_broken_adapter_in_one_item(pytester):
    res = pytester.runpytest_inprocess(f"--vanishing-impl={ZOO.parent / 'broken.py'}:nan", "-p", "no:cacheprovider")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*broken adapter: zoo.nan.forward: hs has * non-finite entr*"])


# ---------------------------------------------------------------- the trigger zoo (issue 23, item 6)
TRIG = Path(__file__).resolve().parents[1] / "zoo" / "triggers.py"


def _trigger_zoo():
    sys.path.insert(0, str(ZOO.parent))   # triggers.py imports zoo.py as the loader does
    try:
        spec = importlib.util.spec_from_file_location("_vanishing_test_trigger_zoo", TRIG)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(ZOO.parent))
    return mod


TZ = _trigger_zoo()


def _passes(adapter, check_name, case):
    """The check's body on one case raises no Mismatch (the bug stays hidden there); "stack values": the stack's values."""
    from vanishing.checks.conformance import reference
    from vanishing.checks.conformance.checks import CHECKS
    if check_name == "stack values":
        got, _ = adapter.run(case.params, case.xs, case.h0, case.c0, case.cot)
        for o, r in zip(got, reference.stack(case)[0]):
            np.testing.assert_allclose(o, r, rtol=1e-13, atol=1e-14)
        return
    from vanishing.checks.conformance.protocol import AdapterInfo, Run
    check = next(c for c in CHECKS if c.name == check_name)
    check.body(Run(AdapterInfo(adapter)), case)


def _easy_stack(adapter, **kw):
    from vanishing.checks.conformance.cases import simple_stack_case
    return simple_stack_case(adapter.cell, adapter.config, np.float64, adapter.param_shapes, **kw)


def _same_states_per_layer(case):
    """Every layer (and direction) starts from the same state, as in a test that passes one h0 around (or zeros)."""
    c0 = None if case.c0 is None else np.broadcast_to(case.c0[:1], case.c0.shape).copy()
    return dataclasses.replace(case, h0=np.broadcast_to(case.h0[:1], case.h0.shape).copy(), c0=c0)


def _mirrored_directions(case):
    """T = 1 with layer 0's reverse direction a copy of its forward one (parameters and states): both emit the same."""
    names = case.names
    params = [case.params[names.index(n.replace("_reverse", ""))] if n.endswith("_reverse") and "_l0" in n else p
              for n, p in zip(names, case.params)]
    h0 = case.h0.copy()
    h0[1] = h0[0]
    return dataclasses.replace(case, params=params, h0=h0)


def _easy_cell(kind, pset="canonical", structure=None, h0_zero=False):
    from vanishing.checks.conformance.cases import probe_cases, with_structure
    from vanishing.models import kinds
    (c,) = probe_cases(kind, "after", np.float64, n=1, pset=pset)
    if structure:
        c = c.but(params=with_structure(kinds.row(kind), c.params, c.H, structure))
    if h0_zero:
        c = c.but(state0=tuple(np.zeros_like(s) for s in c.state0))
    return c


#: factory → [(adapter to run, check, an easy case: no trigger)]: the bug passes every one of them
EASY = {
    "hand_gru_bias_free_path": lambda a: [(a, "gradients", _easy_cell("gru"))],
    "hand_peephole_bias_free_path": lambda a: [(a, "gradients", _easy_cell("lstm-peephole"))],
    "gru_fast_first_step": lambda a: [(a, "forward", _easy_cell("gru")), (a, "forward", _easy_cell("gru", structure="biases-zero", h0_zero=True))],
    "equinox_gru_ignores_biases": lambda a: [(a, "forward", _easy_cell("gru", "gru-bhn", structure="biases-zero"))],
    "stack_h0_first_layer": lambda a: [(a, "stack values", _same_states_per_layer(_easy_stack(a, B=3))),
                                       (a, "stack values", _easy_stack(a, structure="h0-zero"))],
    "stack3_layer_skip": lambda a: [(TZ.Stack("two layers", "gru", num_layers=2, bug="layer-skip"), "stack",
                                     _easy_stack(TZ.Stack("", "gru", num_layers=2)))],
    "stack_bias_grad_zero_above_0": lambda a: [(TZ.Stack("one layer", "rnn-tanh", num_layers=1, bidirectional=True,
                                                         bug="bias-grad-zero-above-0"), "stack",
                                                _easy_stack(TZ.Stack("", "rnn-tanh", num_layers=1, bidirectional=True)))],
    "stack_concat_reversed": lambda a: [(a, "stack values", _mirrored_directions(_easy_stack(a, T=1)))],
    "gru_batch3_no_bias": lambda a: [(a, "stack", _easy_stack(a, B=2, structure="biases-zero")), (a, "stack", _easy_stack(a, B=3))],
    "stack_reverse_not_reordered": lambda a: [(a, "stack", _easy_stack(a, T=1))],
    "stack_hn_axes_swapped": lambda a: [(a, "stack", _easy_stack(a, B=1))],
    "stack_batch_time_swapped": lambda a: [(a, "stack", _easy_stack(a, B=1, T=1))],
    "stack_reverse_flips_padded": lambda a: [(a, "stack-lengths", dataclasses.replace(_easy_stack(a, B=3, T=3), lengths=[3, 3, 3]))],
    "clip_chunked": lambda a: [(a, "clip-norm", probe_clip_cases(np.float64)[2])],
    "clip_tests_the_norm": lambda a: [(a, "clip-norm", c) for c in probe_clip_cases(np.float64)],
}


def test_every_trigger_zoo_member_states_its_trigger_and_easy_input():
    assert set(EASY) == set(TZ.TRIGGERED)
    for f in TZ.TRIGGERED:
        doc = getattr(TZ, f).__doc__
        assert "Trigger:" in doc and "Easy input:" in doc, f


@pytest.mark.parametrize("factory", sorted(TZ.TRIGGERED))
def test_a_trigger_zoo_bug_is_hidden_under_easy_inputs(factory):
    for adapter, check, case in EASY[factory](getattr(TZ, factory)()):
        _passes(adapter, check, case)


@pytest.mark.slow
@pytest.mark.parametrize("factory", sorted(TZ.TRIGGERED))
def test_a_trigger_zoo_bug_is_rejected_under_ci_and_diagnosed(factory):
    check, phrase, trigger = TZ.TRIGGERED[factory]
    (info,) = load(f"{TRIG}:{factory}")
    rep = validate_adapter(info, profile="ci", only=[f"*/{check}"])   # "stack" alone would select the kind
    assert not rep.broken, rep.broken
    (r,) = rep.results
    assert r.status == "fail", f"{factory}: the {check} check did not reject it"
    assert any(phrase in d for d in r.diagnosis), f"{factory}: the diagnosis does not say {phrase!r}: {r.diagnosis}"
    if trigger:   # the shrinker kept the trigger
        assert trigger in triggers(r.counterexample), (factory, trigger, r.counterexample.brief())


TRIGGER_CORRECT = {i.name: i for i in load(f"{TRIG}:correct")}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRIGGER_CORRECT))
def test_a_correct_trigger_zoo_member_passes(name):
    info = TRIGGER_CORRECT[name]
    rep = validate_adapter(info, only=["stack", "stack-lengths"] if info.kind == "stack" else ["forward", "gradients", "gradients-fd"])
    assert not rep.broken, rep.broken
    bad = [r.text() for r in rep.results if r.status != "pass"]
    assert not bad, "\n".join(bad)
