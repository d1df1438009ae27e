"""Tests of the graded evidence (vanishing.checks.evidence): every proof passes on the models, and fails under every plant.

Depends only on the claim IDs, ``registry.load_checks()`` (subjects and plants) and the catalogue, never on the
module layout of checks/claims/.
"""
import json

import pytest
from vanishing.checks import evidence
from vanishing.checks.registry import load_checks
from vanishing.spec import load_catalogue

CHECKS = load_checks()
CATALOGUE = {c.id: c for c in load_catalogue()}
EVIDENCE = evidence.registered()
STRONG = ("proof", "interval")
PLANTS = [(cid, plant) for cid in sorted(EVIDENCE) for plant in sorted(CHECKS[cid].plants)]


def test_every_evidence_names_a_claim_with_a_check():
    unknown = sorted(set(EVIDENCE) - set(CATALOGUE))
    unchecked = sorted(set(EVIDENCE) - set(CHECKS))
    assert not unknown, f"evidence registered for IDs not in spec/claims: {unknown}"
    assert not unchecked, f"evidence registered for claims without a check: {unchecked}"


def test_at_least_40_verified_or_corrected_claims_carry_proof_or_interval():
    strong = sorted(cid for cid, items in EVIDENCE.items()
                    if CATALOGUE[cid].verdict in ("verified", "corrected") and any(e.level in STRONG for e in items))
    assert len(strong) >= 40, f"only {len(strong)} verified/corrected claims carry proof or interval evidence: {strong}"


@pytest.mark.parametrize("claim_id", sorted(EVIDENCE))
def test_unaffected_lists_name_existing_plants_with_a_reason(claim_id):
    for e in EVIDENCE[claim_id]:
        stray = sorted(set(e.unaffected) - set(CHECKS[claim_id].plants))
        assert not stray, f"{claim_id} ({e.where}): unaffected names plants the check does not have: {stray}"
        for plant, reason in e.unaffected.items():
            assert isinstance(reason, str) and len(reason.split()) >= 5, f"{claim_id}: plant {plant!r} listed unaffected without a reason"


# That every evidence passes on the models is tested once, where `vanishing verify` runs it: by the
# runner, in tests/checks/test_claims.py (evidence that fails or errs makes a claim contradict its verdict).
# Here, the shape of the results, on a few claims of each level.
@pytest.mark.parametrize("claim_id", ["ACT-SIGMOID-DERIV-BOUND", "RNN-HOCHREITER-SIGMOID-W4", "LSTM-CELL-DIRECT-PATH"])
def test_evidence_results_have_the_schema(claim_id):
    results = evidence.run(claim_id)
    assert [r.level for r in results] == [e.level for e in EVIDENCE[claim_id]]
    for e, r in zip(EVIDENCE[claim_id], results, strict=True):
        want = "passed" if "ci" in e.profiles else "not run"   # an exhaustive run is gated out of ci
        assert r.status == want, f"{claim_id}: {r.level} evidence {r.status}: {r.detail}"
        j = r.to_json()
        assert set(j) == {"level", "status", "summary", "detail", "seconds", "scope"} and json.dumps(j)
        assert "\n" not in r.summary and r.summary and r.detail and r.seconds >= 0


@pytest.mark.slow
@pytest.mark.parametrize("claim_id,plant", PLANTS)
def test_every_plant_makes_the_evidence_fail_or_is_declared_unaffected(claim_id, plant):
    results = evidence.run(claim_id, overrides=CHECKS[claim_id].plants[plant])
    for e, r in zip(EVIDENCE[claim_id], results, strict=True):
        if r.status == "not run":       # gated out of ci (the exhaustive runs): tests/checks/test_exhaustive_float32.py
            continue
        if plant in e.unaffected:
            assert r.status == "passed", f"{claim_id}: plant {plant!r} is declared unaffected but the {e.level} evidence {r.status}: {r.summary}"
            continue
        assert r.status != "passed", f"{claim_id}: the {e.level} evidence ({e.where}) did not notice the plant {plant!r}"
        assert r.status == "failed", f"{claim_id}: plant {plant!r} crashed the {e.level} evidence instead of failing it: {r.summary}"


WRONG = [(cid, name) for cid in sorted(EVIDENCE) for e in EVIDENCE[cid] for name in sorted(e.wrong)]


def test_every_evidence_declares_a_wrong_statement_it_must_reject():
    bare = sorted(f"{cid} ({e.level})" for cid in EVIDENCE for e in EVIDENCE[cid] if not e.wrong)
    assert not bare, f"evidence without a wrong statement (a step that passes whatever it is given is a defect): {bare}"


@pytest.mark.parametrize("claim_id,wrong", WRONG[:1])
def test_a_wrong_statement_makes_its_proof_fail(claim_id, wrong):
    results = evidence.run(claim_id, wrong=wrong)
    assert results and all(r.status == "failed" for r in results), [(r.level, r.status, r.summary) for r in results]


@pytest.mark.slow
@pytest.mark.parametrize("claim_id,wrong", WRONG)
def test_every_wrong_statement_makes_its_evidence_fail(claim_id, wrong):
    for r in evidence.run(claim_id, wrong=wrong):
        if r.status == "not run":       # gated out of ci (the exhaustive runs): tests/checks/test_exhaustive_float32.py
            continue
        assert r.status == "failed", f"{claim_id}: the {r.level} evidence accepted the wrong statement {wrong!r}: {r.summary}"


def test_a_proof_that_lists_sizes_is_refused_and_scopes_are_checked(monkeypatch):
    e = EVIDENCE["ACT-SIGMOID-DERIV-BOUND"][0]
    fixed = evidence.Evidence(e.claim_id, "proof", lambda s, ctx: ("s", "d", evidence.Scope(sizes=("H=2",))))
    r = evidence._run_one(fixed, None, None)
    assert r.status == "failed" and "every size" in r.summary and "fixed-size" in r.summary
    bare = evidence.Evidence(e.claim_id, "proof", lambda s, ctx: ("s", "d"))      # a build without its Scope
    r = evidence._run_one(bare, None, None)
    assert r.status == "error" and "Scope" in r.summary and r.scope is None
    as_fixed = evidence.Evidence(e.claim_id, "fixed-size", fixed.build)
    assert evidence._run_one(as_fixed, None, None).status == "passed"
    with pytest.raises(ValueError, match="Scope.sizes"):
        evidence.Scope(sizes=())
    with pytest.raises(ValueError, match="Scope.steps"):
        evidence.Scope(steps="one sentence")
    with pytest.raises(ValueError, match="wrong statement"):
        evidence.evidence("X", "proof", statement={"c": 1}, wrong={"c'": {"d": 2}})
    with pytest.raises(KeyError, match="no evidence declares"):
        evidence.run("ACT-SIGMOID-DERIV-BOUND", wrong="no such statement")


def test_levels_are_ordered_strongest_first():
    for cid in EVIDENCE:
        lv = evidence.levels(cid)
        assert lv == sorted(lv, key=evidence.LEVELS.index) and len(lv) == len(set(lv))
    assert evidence.levels("NO-SUCH-CLAIM") == [] and evidence.run("NO-SUCH-CLAIM") == []


def test_bad_input_is_a_clear_error():
    cid = "ACT-SIGMOID-DERIV-BOUND"
    with pytest.raises(KeyError, match="unknown subject names"):
        evidence.run(cid, overrides={"nonsense": abs})
    with pytest.raises(ValueError, match="profile"):
        evidence.run(cid, profile="fast")
    with pytest.raises(ValueError, match="level"):
        evidence.evidence(cid, "hunch")


def test_a_crash_is_an_error_not_a_pass():
    r = evidence.run("ACT-SIGMOID-DERIV-BOUND", overrides={"dsigmoid": lambda x: 1 / 0})[0]
    assert r.status == "error" and "ZeroDivisionError" in r.summary


@pytest.mark.slow
def test_thorough_profile_ties_a_larger_size():
    ci = evidence.run("RNN-JACOBIAN-PRODUCT-ORDER", profile="ci")[0]
    thorough = evidence.run("RNN-JACOBIAN-PRODUCT-ORDER", profile="thorough")[0]
    assert ci.status == thorough.status == "passed"
    assert ci.scope.sizes == thorough.scope.sizes == "every"
    assert not any("H = 12, T = 8" in t for t in ci.scope.tied) and any("H = 12, T = 8" in t for t in thorough.scope.tied), \
        (ci.scope.tied, thorough.scope.tied)


def test_the_readme_table_counts_the_claims_on_each_level():
    """README's evidence table says how many claims rest on each level: it must say what the registry has."""
    import re
    from pathlib import Path

    from vanishing.checks import runner
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    cat = runner.catalogue()
    for level in evidence.LEVELS:
        n = sum(level in evidence.levels(cid) + ["property"] for cid in cat)
        m = re.search(rf"^\| `{level}` \|.*\| (\d+) \|$", readme, re.M)
        assert m, f"README: no row for the level {level!r} in the evidence table"
        assert int(m.group(1)) == n, f"README says {m.group(1)} claims rest on {level!r}; the registry has {n}"


def test_a_proofs_ties_are_recorded_and_worded_from_one_place():
    """_sym.agree records each tie (a Comparison) in the proof's recording; _sym.within words the worst of them."""
    from vanishing.checks import recording
    from vanishing.checks.evidence import ProofFailed
    from vanishing.checks.evidence import _sym as S
    with recording.recording() as rec:
        assert S.within() == "within 256 ulps (worst ratio 0)"
        S.agree("exact", [1.0, 2.0], [1.0, 2.0])
        tie = S.agree("one ulp off", [1.0 + 2.0 ** -52], [1.0])
        assert tie.max_ratio == pytest.approx(2.0 ** -52 / (2 * 256 * 2.0 ** -52)) and rec.worst_label == "one ulp off"
        assert S.within() == f"within 256 ulps (worst ratio {tie.max_ratio:.2g})" and rec.comparisons == 2
        with pytest.raises(ProofFailed, match="does not compute the symbolic expression"):
            S.agree("a wrong model", [1.001], [1.0])
    with pytest.raises(RuntimeError, match="no recording is active"):
        S.within()
