"""A failure reports about as fast as a pass (issue 13, parts 2 and 6).

Shrinking is bounded per profile and says when it was cut short; a claim stops at its first
contradiction; every failure carries the command, profile and seed that reproduce it; the same
seed gives the same results serially and in parallel; Hypothesis leaves no .hypothesis behind.
The timings themselves are measured by benchmarks/failtime.py, not here.
"""
import json
import os
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vanishing.checks import profiles, runner
from vanishing.checks.assertions import literal
from vanishing.checks.registry import Properties

BASE = (profiles.register(), settings.get_profile("ci"))[1]


def _prop(build):
    c = Properties("X")
    build(c)
    (p,) = c.items
    return p


def _slow_to_shrink(calls):
    """A property that fails on most inputs, and whose shrinking Hypothesis would take many calls over."""
    def build(c):
        @c.holds
        @given(xs=st.lists(st.integers(0, 10**6), min_size=5, max_size=30))
        def never_large(xs):
            calls.append(list(xs))
            assert sum(xs) < 1000, f"sum {sum(xs)}"
    return _prop(build)


def test_the_shrink_budget_bounds_the_calls_after_the_first_failure_and_says_so():
    calls = []
    r = runner._run_property(_slow_to_shrink(calls), BASE, None, shrink=True, budget=5)
    assert r.observed == "falsified" and r.shrink_cut == 5
    assert "not fully shrunk: shrink budget of 5 calls reached" in r.shrink_note
    first = next(i for i, xs in enumerate(calls) if sum(xs) >= 1000)
    # after the first failure: the budget, plus Hypothesis's final replay of the smallest failure it reports
    assert len(calls) - first - 1 <= 5 + 1, len(calls) - first
    assert r.examples == len(calls)
    # what is reported is a genuine failing input, one the test really ran and that really failed
    shown = r.counterexample.replace(" ", "")
    assert any(f"xs={xs}".replace(" ", "") in shown for xs in calls if sum(xs) >= 1000), r.counterexample


def test_without_a_budget_hypothesis_shrinks_fully_and_nothing_is_noted():
    calls = []
    r = runner._run_property(_slow_to_shrink(calls), BASE, None, shrink=True, budget=None)
    assert r.observed == "falsified" and r.shrink_cut == 0 and r.shrink_note == ""
    cut = []
    runner._run_property(_slow_to_shrink(cut), BASE, None, shrink=True, budget=5)
    assert len(cut) < len(calls), (len(cut), len(calls))


def test_a_budget_large_enough_is_not_reported_as_cut():
    def build(c):
        @c.holds
        @given(x=st.integers(0, 10))
        def small(x):
            assert x < 10
    r = runner._run_property(_prop(build), BASE, None, shrink=True, budget=1000)
    assert r.observed == "falsified" and r.shrink_cut == 0 and "x=10" in r.counterexample.replace(" ", "")


def test_kept_examples_still_run_first_and_are_not_shrunk():
    seen = []

    def build(c):
        @c.refutes
        @given(x=st.integers(0, 10**6))
        @example(x=3)
        def statement(x):
            seen.append(x)
            literal(x > 100, f"x = {x} is not > 100")
    r = runner._run_property(_prop(build), BASE, None, shrink=True, budget=1)
    assert seen[0] == 3 and r.observed == "falsified" and r.shrink_cut == 0 and "x=3" in r.counterexample.replace(" ", "")


def test_each_profile_states_its_shrink_budget():
    for name, kw in profiles.PROFILES.items():
        assert kw["shrink_budget"] >= 1, name
        assert profiles.shrink_budget(name, 10**6) == kw["shrink_budget"]
        assert profiles.shrink_budget(name, 3) == min(3, kw["shrink_budget"])   # never more than the property's own count
    assert "shrink_budget" not in settings.get_profile("ci").__dict__   # ours, not passed to Hypothesis


def test_the_final_replay_is_recognised():
    """The budget lets Hypothesis's final replay through by its build context's is_final (an internal that must not move)."""
    finals = []

    @settings(BASE, database=None)
    @given(x=st.integers(0, 10))
    def t(x):
        finals.append(runner._is_final_replay())
        assert x < 5
    with pytest.raises(AssertionError):
        t()
    assert finals[-1] is True and not any(finals[:-1])


def _plant(claim_id):
    """A claim with one of its own registered plants swapped in: its outcome must contradict the verdict."""
    from vanishing.checks.registry import load_checks
    cd = load_checks()[claim_id]
    name, over = next(iter(cd.plants.items()))
    return over


def test_a_claim_stops_at_its_first_contradiction_and_says_what_it_skipped():
    over = _plant("ACT-SIGMOID-DERIV-BOUND")
    out = runner.run_claim("ACT-SIGMOID-DERIV-BOUND", overrides=over)
    assert not out.consistent
    n_props = len(runner.load_checks()["ACT-SIGMOID-DERIV-BOUND"].properties())
    if len(out.properties) < n_props or out.stopped:
        assert "not run" in out.stopped
    assert [e["level"] for e in out.evidence] == ["property"]     # the graded evidence is not run once decided
    full = runner.run_claim("ACT-SIGMOID-DERIV-BOUND", overrides=over, stop_early=False)
    assert not full.consistent and full.stopped == "" and len(full.properties) == n_props


def test_a_failure_names_the_command_profile_and_seed_that_reproduce_it():
    over = _plant("ACT-SIGMOID-DERIV-BOUND")
    out = runner.run_claim("ACT-SIGMOID-DERIV-BOUND", overrides=over, profile="dev", seed=12345)
    assert "reproduce: vanishing verify --only ACT-SIGMOID-DERIV-BOUND --profile dev --seed 12345" in out.summary()
    out = runner.run_claim("ACT-SIGMOID-DERIV-BOUND", overrides=over, profile="ci")
    assert "reproduce: vanishing verify --only ACT-SIGMOID-DERIV-BOUND --profile ci" in out.summary()
    c = Properties("X", "dev", 7)
    assert c.repro(a=1) == "vanishing verify --only X --profile dev --seed 7  (a=1)"
    assert Properties("X", "ci", "derandomized").repro(a=1) == "vanishing verify --only X --profile ci  (a=1)"


# --- the whole CLI (slow tier) ------------------------------------------------------------------

def _verify(tmp_path, *args, name="out.json", env=None):
    out = tmp_path / name
    r = subprocess.run([sys.executable, "-m", "vanishing", "verify", "--quiet", "--json", str(out), *args],
                       cwd=tmp_path, capture_output=True, text=True, timeout=1500, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads(out.read_text())


def _comparable(doc):
    """The JSON minus what differs between two runs of the same profile and seed (times, dates, the command line)."""
    drop = {"seconds", "created", "command"}

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in drop}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    return strip(doc)


#: A sample of claims across the catalogue (activations, RNN, clipping, LSTM, GRU, init, a refuted one).
SAMPLE = ["ACT-SIGMOID-DERIV-BOUND", "RNN-BPTT-SUM", "CLIP-NORM-CAP", "LSTM-CELL-DIRECT-PATH", "GRU-STEP-JACOBIAN",
          "INIT-HE-VARIANCE-PRESERVED", "RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT", "DEEP-EARLIER-SMALLER"]


@pytest.mark.slow
def test_the_dev_profile_with_a_seed_gives_the_same_results_serially_and_in_parallel(tmp_path):
    serial = _verify(tmp_path, "--profile", "dev", "--seed", "20261202", "--only", *SAMPLE, name="serial.json")
    parallel = _verify(tmp_path, "--profile", "dev", "--seed", "20261202", "--only", *SAMPLE, "--jobs", "2",
                       name="parallel.json")
    assert serial["hypothesis_seed"] == 20261202 and serial["profile"] == "dev"
    assert _comparable(serial) == _comparable(parallel)


@pytest.mark.slow
def test_verify_leaves_no_hypothesis_directory_in_the_working_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    _verify(tmp_path, "--only", "ACT-TANH-DERIV-BOUND", "RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT", env=env)
    assert not (tmp_path / ".hypothesis").exists(), sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.slow
def test_the_test_suite_leaves_no_hypothesis_directory_behind(tmp_path):
    """pytest on the suite's own tests, run from another directory: no .hypothesis there nor in the repository."""
    from pathlib import Path
    repo = Path(__file__).resolve().parents[2]
    had = (repo / ".hypothesis").exists()
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-c", str(repo / "pyproject.toml"),
                        "--rootdir", str(repo), str(repo / "tests" / "checks" / "test_runner.py"), str(repo / "tests" / "faces" / "test_failfast.py"),
                        "-k", "not slow and not dev_profile and not hypothesis_directory"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert not (tmp_path / ".hypothesis").exists(), sorted(p.name for p in tmp_path.iterdir())
    assert had or not (repo / ".hypothesis").exists(), "the test run created .hypothesis in the repository"


def test_verify_says_when_shrinking_was_cut_and_how_to_reproduce(monkeypatch, capsys, tmp_path):
    """The CLI's text and JSON for an outcome whose shrinking was cut (a real cut result, of the property above)."""
    from vanishing import cli
    cid = "ACT-SIGMOID-DERIV-BOUND"
    r = runner._run_property(_slow_to_shrink([]), BASE, None, shrink=True, budget=1)
    assert r.shrink_cut == 1
    claim = runner.catalogue()[cid]
    fake = runner.Outcome(claim=claim, properties=[r], seconds=0.1, profile="ci", seed="derandomized",
                          stopped="graded evidence (proof) not run")
    monkeypatch.setattr(runner, "run_all", lambda ids, **kw: [fake])
    out_json = tmp_path / "r.json"
    assert cli.main(["verify", "--only", cid, "--quiet", "--json", str(out_json)]) == 1
    text = capsys.readouterr().out
    (rec,) = json.loads(out_json.read_text())["claims"]
    assert rec["reproduce"] == f"vanishing verify --only {cid} --profile ci"
    assert f"reproduce: vanishing verify --only {cid} --profile ci" in text
    assert [p["shrink_cut"] for p in rec["properties"]] == [1] and rec["stopped"] == "graded evidence (proof) not run"
    assert "not fully shrunk: shrink budget of 1 calls reached" in text and "not fully shrunk" in rec["counterexample"]
    assert "1 counterexample(s) not fully shrunk" in text and "stopped at the first contradiction: graded evidence" in text
