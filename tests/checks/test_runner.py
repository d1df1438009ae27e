"""Tests of the runner's verdict logic: only the literal statement refutes, every kept example must refute alone."""
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from vanishing.checks import profiles, runner
from vanishing.checks.assertions import literal
from vanishing.checks.registry import Properties

BASE = (profiles.register(), settings.get_profile("ci"))[1]


def _one(build):
    c = Properties()
    build(c)
    (p,) = c.items
    return runner._run_property(p, BASE, None, shrink=True)


def test_a_literal_counterexample_refutes():
    def build(c):
        @c.refutes
        @given(x=st.integers(0, 10))
        @example(x=0)
        def statement(x):
            literal(x > 0, f"x = {x} is not > 0")
    r = _one(build)
    assert r.observed == "falsified" and "x=0" in r.counterexample.replace(" ", ""), r


def test_a_failing_premise_is_an_error_not_a_refutation():
    def build(c):
        @c.refutes
        @given(x=st.integers(0, 10))
        def statement(x):
            assert x > 100, "a premise written as assert"      # should have been assume()
            literal(False, "never reached")
    r = _one(build)
    assert r.observed == "error" and "other than the literal statement" in r.message, r


def test_a_statement_that_holds_is_not_refuted():
    def build(c):
        @c.refutes
        @given(x=st.integers(0, 10))
        def statement(x):
            assume(x != 3)
            literal(x >= 0, "never false")
    assert _one(build).observed == "held"


def test_every_kept_example_must_refute_on_its_own():
    def build(c):
        @c.refutes
        @given(x=st.integers(0, 10))
        @example(x=0)
        @example(x=5)          # not a counterexample: x = 5 > 0
        def statement(x):
            literal(x > 0, f"x = {x} is not > 0")
    r = _one(build)
    assert r.observed == "error" and "no longer refutes" in r.message and "x=5" in r.message, r


def test_a_negation_must_hold_everywhere():
    def build(c):
        @c.negation
        @given(x=st.floats(-10, 10))
        def never_above_one(x):
            assert abs(x) <= 10
    assert _one(build).observed == "held"


def test_failed_or_crashed_evidence_contradicts_the_verdict(monkeypatch):
    """A proof that fails (or errs) makes the claim's outcome contradict its verdict, even when every property held."""
    from vanishing.checks import evidence, runner
    ok = runner.run_claim("ACT-RELU-DERIV")
    assert ok.consistent and ok.evidence[0]["level"] == "proof" and ok.evidence[-1]["level"] == "property"
    for status in ("failed", "error"):
        monkeypatch.setattr(evidence, "run", lambda cid, overrides=None, profile=None, status=status: [
            evidence.EvidenceResult("proof", status, f"{status.upper()}: planted", "planted by the test", 0.0)])
        out = runner.run_claim("ACT-RELU-DERIV")
        assert all(p.as_expected for p in out.properties)
        assert not out.consistent and any(f"proof evidence {status}" in m for m in out.problems), out.problems


def test_the_spec_audit_names_what_the_record_says_and_the_run_contradicts():
    """runner.audit_spec: an oracle listed but unused, an override without a tolerance_reason, properties the verdict lacks."""
    from dataclasses import replace

    from vanishing.checks.recording import Recorder
    claim = runner.catalogue()["ACT-SIGMOID-DERIV-BOUND"]          # corrected: needs holds and fails
    c = Properties()

    @c.holds
    @given(st.just(0))
    def only(_):
        pass
    seen = Recorder(oracles={"hypothesis"}, overrides={"override: a reason"})
    problems = runner.audit_spec(replace(claim, tolerance_reason=""), c.items, seen)
    assert any("never used them" in p and "'fd'" in p for p in problems), problems
    assert any("no tolerance_reason" in p for p in problems), problems
    assert any("needs properties ['fails', 'holds']" in p for p in problems), problems
    full = Recorder(oracles=set(claim.oracles))
    assert runner.audit_spec(replace(claim, tolerance_reason="why"), c.items, full, complete=False)[:1] == [
        "verdict 'corrected' needs properties ['fails', 'holds'], the check declares ['holds']"]
