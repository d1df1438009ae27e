"""Meta-tests: every deliberately broken implementation in tests/zoo is rejected, with a diagnosis that names its bug.

The zoo (tests/zoo/zoo.py) is written like user code, independently of the mutant
library, so a right diagnosis is evidence. The correct members must pass.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

from vanishing.checks.conformance import load, validate_adapter

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
