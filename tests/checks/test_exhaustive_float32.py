"""The exhaustive float32 evidence of the activation claims: gated out of ci, failing on wrong statements and plants.

The full passing runs (every finite float32, minutes each) are in the slow tier; in ci they are reported "not run".
"""
import numpy as np
import pytest
from vanishing.checks import evidence
from vanishing.checks.evidence import ProofFailed
from vanishing.checks.evidence import _float32 as F
from vanishing.checks.registry import load_checks

CHECKS = load_checks()
EXHAUSTIVE = {cid: e for cid, items in evidence.registered().items() for e in items if e.level == "exhaustive"}
WRONG = [(cid, w) for cid, e in sorted(EXHAUSTIVE.items()) for w in sorted(e.wrong)]
PLANTS = [(cid, p) for cid, e in sorted(EXHAUSTIVE.items()) for p in sorted(CHECKS[cid].plants) if p not in e.unaffected]


def _exhaustive(results):
    return [r for r in results if r.level == "exhaustive"]


def test_at_least_six_claims_carry_exhaustive_float32_evidence():
    assert len(EXHAUSTIVE) >= 6, sorted(EXHAUSTIVE)
    assert all(e.profiles == ("thorough",) and e.wrong and e.cost for e in EXHAUSTIVE.values())


def test_in_ci_the_exhaustive_runs_are_not_run_and_never_passed():
    for cid in EXHAUSTIVE:
        r, = _exhaustive(evidence.run(cid, profile="ci"))
        assert r.status == "not run" and r.summary.startswith("not run in ci (runs in thorough") and r.seconds == 0.0
        assert r.to_json()["scope"]["steps"] == ["not run in ci"]


def test_the_runner_does_not_count_a_not_run_evidence_as_a_problem_or_a_pass():
    from vanishing.checks import runner
    out = runner.run_claim(runner.catalogue()["ACT-RELU-DERIV"], profile="dev")
    ex = [e for e in out.evidence if e["level"] == "exhaustive"]
    assert [e["status"] for e in ex] == ["not run"] and not out.problems, out.problems


def test_the_sweep_covers_both_signs_first_and_fails_at_the_first_violation():
    seen = []
    count, _ = F.sweep("count", lambda x: seen.append((np.signbit(x).all(), x.size)) or np.ones(x.shape, bool), limit=4)
    assert [s for s, _ in seen] == [False, True, False, True] and count == 4 * F.CHUNK
    with pytest.raises(ProofFailed, match="first x = np.float32\\(-0.0\\)"):
        F.sweep("x ≥ 0", lambda x: ~np.signbit(x), limit=2)
    with pytest.raises(ProofFailed, match="float64"):
        F.float32_out("y", np.zeros(3), np.zeros(3, np.float32))


@pytest.mark.slow
@pytest.mark.parametrize("claim_id,wrong", WRONG)
def test_every_wrong_statement_makes_the_exhaustive_run_fail(claim_id, wrong):
    for r in _exhaustive(evidence.run(claim_id, wrong=wrong, profile="thorough")):
        assert r.status == "failed", f"{claim_id}: the exhaustive evidence accepted {wrong!r}: {r.summary}"


@pytest.mark.slow
@pytest.mark.parametrize("claim_id,plant", PLANTS)
def test_every_plant_makes_the_exhaustive_run_fail(claim_id, plant):
    r, = _exhaustive(evidence.run(claim_id, overrides=CHECKS[claim_id].plants[plant], profile="thorough"))
    assert r.status == "failed", f"{claim_id}: the exhaustive evidence did not notice {plant!r}: {r.summary}"


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", sorted(EXHAUSTIVE))
def test_every_exhaustive_run_passes_over_every_finite_float32(claim_id):
    r, = _exhaustive(evidence.run(claim_id, profile="thorough"))
    assert r.status == "passed", r.detail
    assert f"({F.FINITE} values" in r.summary
