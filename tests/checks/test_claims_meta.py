"""Tests of the testers for claims: traceability, and every check can fail."""
import pytest

from vanishing.checks import registry, runner
from vanishing.spec import load_catalogue

CATALOGUE = runner.catalogue()
CHECKS = registry.load_checks()
PLANTS = [(cid, name) for cid, cd in sorted(CHECKS.items()) for name in cd.plants]


def test_every_record_has_exactly_one_check_and_every_check_a_record():
    ids = [c.id for c in load_catalogue()]
    assert len(ids) == len(set(ids)), "duplicate claim IDs in spec/"
    missing = sorted(set(ids) - set(CHECKS))
    orphans = sorted(set(CHECKS) - set(ids))
    assert not missing, f"spec records without a check: {missing}"
    assert not orphans, f"checks naming no spec record: {orphans}"


@pytest.mark.parametrize("claim_id", sorted(CHECKS))
def test_every_check_has_a_planted_violation(claim_id):
    assert CHECKS[claim_id].plants, f"{claim_id}: no plant shows that this check can fail ({CHECKS[claim_id].where})"


@pytest.mark.parametrize("claim_id", sorted(CHECKS))
def test_check_docstring_opens_with_the_claim_id(claim_id):
    doc = (CHECKS[claim_id].build.__doc__ or "")
    assert f"[{claim_id}]" in doc.splitlines()[0] if doc else False, f"{claim_id}: the check's docstring must open with the equation and [{claim_id}]"


def test_every_check_is_named_for_what_it_checks_and_no_two_share_a_name():
    """ruff's F811 sees a repeated name within one module; this sees it across the package (and a bare ``_``)."""
    by_name = {}
    for claim_id, cd in CHECKS.items():
        by_name.setdefault(cd.build.__name__, []).append(claim_id)
    unnamed = sorted(cid for name, ids in by_name.items() if not name.strip("_") or name != name.lower() for cid in ids)
    shared = {name: ids for name, ids in by_name.items() if len(ids) > 1}
    assert not unnamed, f"checks without a descriptive snake_case name: {unnamed}"
    assert not shared, f"checks sharing a name: {shared}"


@pytest.mark.slow
@pytest.mark.parametrize("claim_id,plant", PLANTS)
def test_planted_violation_is_caught(claim_id, plant):
    over = CHECKS[claim_id].plants[plant]
    out = runner.run_claim(CATALOGUE[claim_id], overrides=over, shrink=False, stop_early=True, evidence=False)  # evidence: tests/checks/test_evidence.py
    assert not out.consistent, f"{claim_id}: the check did not notice the plant {plant!r} (observed {out.observed}; {out.reproduce})"
    assert not any(p.observed == "error" for p in out.properties), \
        f"{claim_id}: plant {plant!r} crashed the check instead of failing it: {[p.message for p in out.properties if p.observed == 'error']}"


def _module_file(claim_id):
    return CHECKS[claim_id].build.__code__.co_filename.replace("\\", "/").rsplit("/", 1)[-1]


@pytest.mark.parametrize("claim_id", sorted(CHECKS))
def test_a_records_check_lives_in_the_module_named_like_its_toml_file(claim_id):
    rec = CATALOGUE[claim_id]
    topic = rec.file.rsplit("/", 1)[-1].removesuffix(".toml")
    assert _module_file(claim_id) == f"{topic}.py", \
        f"{claim_id}: recorded in {rec.file} but checked in checks/claims/{_module_file(claim_id)}: a topic's TOML file and check module share a name"


def test_every_topic_has_a_toml_file_and_a_check_module():
    import pathlib
    from importlib import resources

    tomls = {p.name.removesuffix(".toml") for p in (resources.files("vanishing.spec") / "claims").iterdir() if p.name.endswith(".toml")}
    pkg = pathlib.Path(registry.__file__).parent / "claims"
    modules = {p.stem for p in pkg.glob("*.py") if not p.stem.startswith("_")}
    assert tomls == modules, f"TOML files without a module: {sorted(tomls - modules)}; modules without a TOML file: {sorted(modules - tomls)}"


def test_claim_modules_stay_a_readable_size():
    import pathlib
    pkg = pathlib.Path(registry.__file__).parent / "claims"
    big = {p.name: n for p in pkg.glob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert not big, f"claim modules over 700 lines (split the topic): {big}"


def test_every_evidence_module_is_named_like_a_claims_topic():
    """checks/evidence/ has one module per topic, named like its checks/claims/ module (private helpers start with _)."""
    import pathlib
    pkg = pathlib.Path(registry.__file__).parent
    topics = {p.stem for p in (pkg / "claims").glob("*.py") if not p.stem.startswith("_")}
    evidence_modules = {p.stem for p in (pkg / "evidence").glob("*.py") if not p.stem.startswith("_")}
    stray = sorted(evidence_modules - topics)
    assert not stray, f"evidence modules not named like a claims topic (rename or split by topic): {stray}"

