"""The faces: `vanishing verify`, `list`, `show` behave as a user meets them."""
import json
import os
import subprocess
import sys

import pytest

from vanishing import cli
from vanishing.checks import runner

SOME_ID = next(iter(runner.catalogue()))


def _vanishing(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "vanishing", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_help_lists_commands(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for word in ("verify", "list", "show"):
        assert word in out


def test_verify_only_writes_json_and_report(tmp_path):
    r = _vanishing("verify", "--only", SOME_ID, "--json", str(tmp_path / "r.json"), "--report", str(tmp_path / "cert"), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert SOME_ID in r.stdout and "agree with their verdict" in r.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    (c,) = doc["claims"]
    for key in ("id", "title", "statement", "sources", "verdict", "outcome", "examples", "max_error", "tolerance", "counterexample"):
        assert key in c, key
    for lib in ("python", "numpy", "autograd", "hypothesis", "scipy"):
        assert doc["versions"][lib], lib
    assert doc["hypothesis_seed"] == "derandomized" and doc["profile"] == "ci"
    assert c["outcome"] == "pass" and c["reproduce"].startswith(f"vanishing verify --only {SOME_ID}")
    md = (tmp_path / "cert" / "certificate.md").read_text()
    html = (tmp_path / "cert" / "certificate.html").read_text()
    assert f"vanishing:{SOME_ID}@" in md and "Reproduce" in md
    assert html.startswith("<!DOCTYPE html>") and SOME_ID in html and "<script" not in html


def test_verify_unknown_id_lists_closest(tmp_path):
    typo = SOME_ID[:-1] + ("X" if SOME_ID[-1] != "X" else "Y")
    r = _vanishing("verify", "--only", typo, cwd=tmp_path)
    assert r.returncode == 2
    assert "unknown claim ID" in r.stderr and SOME_ID in r.stderr and "Traceback" not in r.stderr


def test_verify_unknown_profile_is_a_usage_error(tmp_path):
    r = _vanishing("verify", "--profile", "nope", cwd=tmp_path)
    assert r.returncode == 2 and "unknown profile" in r.stderr and "Traceback" not in r.stderr


def test_verify_exits_nonzero_when_an_outcome_contradicts_its_verdict(monkeypatch, capsys):
    """A verified claim that now fails makes `verify` exit 1 (planted: the first plant of a check)."""
    from vanishing.checks import registry
    checks = registry.load_checks()
    cid = next(k for k, v in checks.items() if v.plants)
    plant = next(iter(checks[cid].plants.values()))
    real = runner.run_claim
    monkeypatch.setattr(runner, "run_claim", lambda claim, **kw: real(claim, overrides=plant, **kw))
    assert cli.main(["verify", "--only", cid, "--quiet"]) == 1
    assert "contradict" in capsys.readouterr().out


def test_list_and_show(capsys):
    assert cli.main(["list"]) == 0
    assert SOME_ID in capsys.readouterr().out
    assert cli.main(["show", SOME_ID]) == 0
    out = capsys.readouterr().out
    for piece in ("statement:", "sources:", "spec record: spec/claims/", "check: vanishing.checks.claims.", "verdict:"):
        assert piece in out, piece


@pytest.mark.parametrize("args", [["show", "NOPE-NOPE"], ["verify", "--only", "NOPE-NOPE"]])
def test_unknown_id_is_one_line_exit_2(args, capsys):
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "unknown claim ID 'NOPE-NOPE'" in err


def test_seed_with_the_derandomized_profile_is_refused(capsys):
    assert cli.main(["verify", "--only", SOME_ID, "--seed", "5"]) == 2
    assert "derandomized" in capsys.readouterr().err


def test_ids_are_case_insensitive(capsys):
    assert cli.main(["show", SOME_ID.lower()]) == 0
    assert SOME_ID in capsys.readouterr().out


def test_unwritable_report_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert cli.main(["verify", "--only", SOME_ID, "--quiet", "--json", str(blocker / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "could not write the results" in err and "verdicts above stand" in err
