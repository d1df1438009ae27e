"""The faces: `vanishing verify`, `list`, `show` behave as a user meets them."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vanishing
from vanishing import cli
from vanishing.checks import runner

SOME_ID = next(iter(runner.catalogue()))


def _vanishing(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "vanishing", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for word in ("verify", "list", "show", "validate"):
        assert word in out


def test_bare_vanishing_prints_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "usage: vanishing" in err and "verify" in err


def test_version_and_help_import_nothing_heavy():
    code = ("import sys; from vanishing import cli\n"
            "try:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('numpy', 'hypothesis', 'scipy', 'autograd', 'vanishing.checks') if m in sys.modules)\n"
            "print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.splitlines() == ["vanishing " + vanishing.__version__, "[]"], r.stdout + r.stderr


@pytest.mark.slow
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
    assert not (tmp_path / ".hypothesis").exists()   # Hypothesis's cache goes to the user's cache directory


def test_verify_unknown_id_lists_closest(capsys):
    typo = SOME_ID[:-1] + ("X" if SOME_ID[-1] != "X" else "Y")
    assert cli.main(["verify", "--only", typo]) == 2
    err = capsys.readouterr().err
    assert "unknown claim ID" in err and SOME_ID in err and len(err.strip().splitlines()) == 1


def test_verify_unknown_profile_is_a_usage_error(capsys):
    assert cli.main(["verify", "--profile", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown profile 'nope'" in err and len(err.strip().splitlines()) == 1


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
    for piece in ("statement:", "sources:", "spec record: ", "check: vanishing.checks.claims.", "verdict:"):
        assert piece in out, piece


def test_show_points_at_files_that_exist(tmp_path, monkeypatch, capsys):
    """From any directory (as from a wheel), the spec record and the check are files the user has."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["show", "RNN-NORM-BOUND"]) == 0
    lines = capsys.readouterr().out.splitlines()
    record = next(ln for ln in lines if ln.startswith("spec record: ")).removeprefix("spec record: ").split(" record #")[0]
    check = next(ln for ln in lines if ln.startswith("check: ")).split("(", 1)[1].rstrip(")")
    path, line = check.rsplit(":", 1)
    assert (tmp_path / record).is_file(), record
    assert (tmp_path / path).is_file() and path.endswith(".py"), path
    assert 1 <= int(line) <= len((tmp_path / path).read_text().splitlines())


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


def test_unwritable_report_is_a_clear_error(tmp_path, monkeypatch, capsys):
    """The paths were fine when checked, and writing fails anyway: the verdicts are still given."""
    from vanishing import report
    monkeypatch.setattr(report, "write_json", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    assert cli.main(["verify", "--only", SOME_ID, "--quiet", "--json", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "could not write the results" in err and "verdicts above stand" in err


@pytest.mark.parametrize("command", [["verify", "--only", SOME_ID], ["validate", "examples.numpy_lstm:make"]])
@pytest.mark.parametrize("case", ["directory", "missing-parent", "parent-is-a-file"])
def test_output_paths_are_checked_before_any_work(command, case, tmp_path, monkeypatch, capsys):
    from vanishing.checks.conformance import runner as conformance_runner
    monkeypatch.setattr(runner, "run_claim", lambda *a, **k: pytest.fail("ran a claim before checking --json"))
    monkeypatch.setattr(conformance_runner, "validate_adapter", lambda *a, **k: pytest.fail("ran a check before checking --json"))
    (tmp_path / "file").write_text("")
    target = {"directory": tmp_path, "missing-parent": tmp_path / "a" / "b" / "c.json",
              "parent-is-a-file": tmp_path / "file" / "c.json"}[case]
    assert cli.main([*command, "--json", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--json" in err and str(target) in err, err
    assert "Traceback" not in err and "IsADirectoryError" not in err
    assert not (tmp_path / "a").exists()


def test_report_dir_is_created_but_not_its_parents(tmp_path, capsys):
    assert cli.main(["verify", "--only", SOME_ID, "--quiet", "--report", str(tmp_path / "no" / "cert")]) == 2
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "no").exists()
    assert cli.main(["verify", "--only", SOME_ID, "--quiet", "--report", str(tmp_path / "cert")]) == 0
    assert (tmp_path / "cert" / "certificate.md").is_file()


def test_table_shows_one_ratio_like_the_certificate(capsys):
    assert cli.main(["verify", "--only", "CLIP-NORM-CAP", "--quiet"]) == 0
    row = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("CLIP-NORM-CAP"))
    ratio = row.split()[4]
    assert "/" not in ratio
    float(ratio)


ZOO = Path(__file__).resolve().parents[1] / "zoo" / "zoo.py"


@pytest.mark.slow
def test_no_hypothesis_directory_in_the_working_directory(tmp_path):
    """(verify: test_verify_only_writes_json_and_report)"""
    r = _vanishing("validate", f"{ZOO}:correct", "--only", "zoo.clip", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (tmp_path / ".hypothesis").exists()


@pytest.mark.slow
def test_jobs_gives_the_same_json_as_a_serial_run(tmp_path):
    # refuted, corrected, corrected, and the claim that reads a data set: its provenance comes back from the worker
    ids = ["ACT-TANH-RANGE", "CLIP-NORM-CAP", "LSTM-FORGET-ZERO-NOT-ERASE", "DEEP-FIRST-LAYER-TYPICAL"]
    docs = []
    for name, extra in (("serial", []), ("parallel", ["--jobs", "2"])):
        r = _vanishing("verify", "--only", *ids, "--quiet", "--json", str(tmp_path / f"{name}.json"), *extra, cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        doc = json.loads((tmp_path / f"{name}.json").read_text())
        for key in ("created", "command"):
            doc.pop(key)
        for c in doc["claims"]:
            c.pop("seconds")
            for e in c["evidence"]:
                e.pop("seconds")
        docs.append(doc)
    assert [c["id"] for c in docs[1]["claims"]] == ids
    assert list(docs[1]["provenance"]["datasets"]) == ["DEEP-FIRST-LAYER-TYPICAL"]
    assert docs[0] == docs[1]


def test_jobs_must_be_positive(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["verify", "--jobs", "0"])
    assert e.value.code == 2


def test_documentation_points_at_what_the_user_has(monkeypatch, tmp_path):
    """A checkout: its docs/ file; a wheel: the Documentation address of the metadata, else the installed module."""
    import os
    from importlib import metadata
    where = vanishing.documentation("VALIDATE.md", module="vanishing.checks.conformance.protocol")
    assert os.path.isfile(where), where        # this test runs from a checkout
    monkeypatch.setattr(vanishing, "__file__", str(tmp_path / "site-packages" / "vanishing" / "__init__.py"))

    class Meta:
        def __init__(self, urls):
            self.urls = urls

        def get_all(self, key):
            return self.urls if key == "Project-URL" else None
    monkeypatch.setattr(metadata, "metadata", lambda dist: Meta(["Homepage, https://example.org", "Documentation, https://example.org/docs/"]))
    assert vanishing.documentation("VALIDATE.md") == "https://example.org/docs/VALIDATE.md"
    monkeypatch.setattr(metadata, "metadata", lambda dist: Meta(None))
    where = vanishing.documentation("VALIDATE.md", module="vanishing.checks.conformance.protocol")
    path = where.split("docstring of ", 1)[1].split(" ", 1)[0]
    assert os.path.isfile(path) and path.endswith("protocol.py"), where
    assert vanishing.documentation("VALIDATE.md") == "vanishing --help"


def test_no_user_facing_message_names_a_repository_path():
    """Messages and help texts (every string but docstrings) never send a user to docs/...: a wheel has no docs/."""
    import ast
    from pathlib import Path
    from vanishing.models import layouts
    files = [*Path(vanishing.__file__).parent.glob("*.py"), *(Path(runner.__file__).parent / "conformance").glob("*.py"),
             *Path(layouts.__file__).parent.glob("*.py")]                  # models/: its data (ParamSet docs) too
    offenders = []
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        offenders += [f"{f.name}:{n.lineno}: {n.value!r}" for n in ast.walk(tree)
                      if isinstance(n, ast.Constant) and isinstance(n.value, str) and "docs/" in n.value
                      and id(n) not in docstrings]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("args,message", [
    (["validate"], "name what to validate"),
    (["validate", "torch", "--matrix"], "--matrix runs every installed built-in target"),
    (["validate", "torch", "--out", "x"], "--out goes with --matrix"),
])
def test_validate_matrix_usage_is_one_line_exit_2(args, message, capsys):
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_check_certificate_reruns_its_claims_and_reports_a_changed_one(tmp_path, capsys):
    """`verify --check-certificate` agrees with a certificate just written, and names a changed verdict and hash."""
    cert = tmp_path / "cert.json"
    assert cli.main(["verify", "--only", SOME_ID, "--quiet", "--json", str(cert)]) == 0
    capsys.readouterr()
    assert cli.main(["verify", "--check-certificate", str(cert), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"{SOME_ID}  agrees" in out and "package hash: matches" in out and "1 of 1 claims agree" in out
    doc = json.loads(cert.read_text())
    doc["claims"][0]["verdict"] = next(v for v in ("verified", "corrected", "refuted") if v != doc["claims"][0]["verdict"])
    doc["provenance"]["package"]["hash"] = "0" * 64
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "certificate.json").write_text(json.dumps(doc))
    assert cli.main(["verify", "--check-certificate", str(changed), "--quiet"]) == 1     # a --report directory works too
    out = capsys.readouterr().out
    assert f"{SOME_ID}  DISAGREES:  verdict {doc['claims'][0]['verdict']} -> " in out and "package hash: DIFFERS" in out


@pytest.mark.parametrize("content,args,message", [
    (None, [], "no such file"), ("{not json", [], "not a JSON certificate"), ('{"claims": []}', [], "not a certificate written"),
    ('{"claims": [{"id": "X"}]}', [], "not a certificate written"), ("{}", ["--only", SOME_ID], "drop --only")])
def test_check_certificate_rejects_a_bad_file_in_one_line(tmp_path, capsys, content, args, message):
    f = tmp_path / "c.json"
    if content is not None:
        f.write_text(content)
    assert cli.main(["verify", "--check-certificate", str(f), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_show_bibtex_prints_one_entry_with_the_hash(capsys):
    from vanishing import provenance
    assert cli.main(["show", SOME_ID, "--bibtex"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"@misc{{vanishing:{SOME_ID},") and out.rstrip().endswith("}")
    assert provenance.package()["release"] in out and "verdict " in out and out.count("@misc") == 1
