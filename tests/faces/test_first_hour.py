"""The first hour of a new user (issue 22): unwritable outputs, Ctrl-C, argument order, install hints, the docs."""
import argparse
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from vanishing.checks import runner
from vanishing.checks.conformance import runner as conformance_runner

import vanishing
from vanishing import cli

ROOT = Path(__file__).resolve().parents[2]
SOME_ID = next(iter(runner.catalogue()))
NUMPY_LSTM = "examples.numpy_lstm:make"
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc (exists, cannot be written, even by root)")


def _no_work(monkeypatch):
    """Every command's work fails the test: the output paths must be refused before it."""
    from vanishing.checks.conformance import matrix

    from vanishing import bench, experiments
    fail = lambda *a, **k: pytest.fail("did work before checking the output path")
    monkeypatch.setattr(runner, "run_claim", fail)
    monkeypatch.setattr(conformance_runner, "validate_adapter", fail)
    monkeypatch.setattr(experiments, "run", fail)
    monkeypatch.setattr(bench, "run", fail)
    monkeypatch.setattr(matrix, "run", fail)


# --- 1. output paths that exist but cannot be written -------------------------------------------------

@needs_proc
@pytest.mark.parametrize("args", [
    ["verify", "--only", SOME_ID, "--json", "/proc/vanishing-x.json"],
    ["verify", "--only", SOME_ID, "--report", "/proc/vanishing-cert"],
    ["verify", "--only", SOME_ID, "--report", "/proc"],
    ["validate", NUMPY_LSTM, "--json", "/proc/vanishing-x.json"],
    ["validate", "--matrix", "--out", "/proc/vanishing-matrix"],
    ["experiments", "--out", "/proc"],
    ["experiments", "--out", "/proc/a/b"],
    ["bench", "--out", "/proc"],
], ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_an_unwritable_output_is_refused_before_any_work(args, monkeypatch, capsys):
    _no_work(monkeypatch)
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and args[-2] in err and args[-1] in err and "Traceback" not in err, err


def test_the_probe_leaves_nothing_behind(tmp_path):
    assert cli.output_file(tmp_path / "x.json") == tmp_path / "x.json"
    (tmp_path / "kept.json").write_text("old")
    cli.output_file(tmp_path / "kept.json")
    cli.output_dir(tmp_path / "cert")
    cli.output_dir(tmp_path, "--report")
    cli.output_dir(tmp_path / "a" / "b", "--out", parents=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json"] and (tmp_path / "kept.json").read_text() == "old"
    with pytest.raises(cli.UsageError, match="does not exist"):
        cli.output_dir(tmp_path / "a" / "b", "--report")


# --- 2. Ctrl-C: exit 130 and one line, for every command ------------------------------------------------

def _interrupt(*a, **k):
    raise KeyboardInterrupt


@pytest.mark.parametrize("args", [["validate", NUMPY_LSTM], ["verify", "--only", SOME_ID, "--quiet"]])
def test_ctrl_c_exits_130_with_one_line(args, monkeypatch, capsys):
    monkeypatch.setattr(conformance_runner, "validate_adapter", _interrupt)
    monkeypatch.setattr(runner, "run_claim", _interrupt)
    assert cli.main(args) == 130
    err = capsys.readouterr().err.strip()
    assert err == f"vanishing {args[0]}: interrupted", err


def _hypothesis_swallows_it(*a, **k):
    """What Hypothesis does with a Ctrl-C that lands while it sets a test up: an AssertionError of its own."""
    try:
        raise KeyboardInterrupt
    except BaseException:
        assert None is not None


def test_ctrl_c_inside_hypothesis_is_still_an_interrupt(monkeypatch, capsys):
    from vanishing.checks import profiles
    with pytest.raises(KeyboardInterrupt):
        try:
            _hypothesis_swallows_it()
        except AssertionError as e:
            profiles.reraise_interrupt(e)
    profiles.reraise_interrupt(AssertionError("a plain failure"))   # nothing behind it: no interrupt
    monkeypatch.setattr(conformance_runner, "_run_check", _hypothesis_swallows_it)
    assert cli.main(["validate", NUMPY_LSTM, "--quiet"]) == 130
    assert capsys.readouterr().err.strip() == "vanishing validate: interrupted"


@pytest.mark.slow
@pytest.mark.parametrize("args,stream", [(["validate", NUMPY_LSTM], "stdout"), (["verify", "--jobs", "2"], "stderr")])
def test_ctrl_c_in_a_terminal_exits_130(args, stream):
    """SIGINT to the process group, as a terminal sends it (with --jobs, the workers get it too): one line, 130."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen([sys.executable, "-m", "vanishing", *args], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in getattr(proc, stream):      # the first result: the checks are running
            if line.startswith(("PASS", "FAIL", "[  1/")):
                break
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    lines = [ln for ln in err.splitlines() if not ln.startswith("[")]   # verify's progress lines
    assert proc.returncode == 130 and lines == [f"vanishing {args[0]}: interrupted"], (proc.returncode, err)


# --- 3. validate's target, before or after --only -------------------------------------------------------

@pytest.mark.parametrize("args", [["validate", "--only", "nomatch", NUMPY_LSTM], ["validate", NUMPY_LSTM, "--only", "nomatch"],
                                  ["validate", "--only", "nomatch", "--quiet", NUMPY_LSTM]])
def test_the_target_parses_whatever_its_position(args, monkeypatch, capsys):
    seen = []

    def fake(info, only=None, **k):
        seen.append((info.name, only))
        return conformance_runner.AdapterReport(info)
    monkeypatch.setattr(conformance_runner, "validate_adapter", fake)
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "--only nomatch matches no check of" in err and "name what to validate" not in err, err
    assert seen and all(only == ["nomatch"] for _, only in seen)


def test_a_builtin_target_after_only_is_the_target():
    from vanishing.validate import _target_after_only
    for only, impl, rest in ((["lstm", "torch"], "torch", ["lstm"]), (["a", "b", "haiku"], "haiku", ["a", "b"]),
                             (["lstm", "gru"], None, ["lstm", "gru"]), (["torch"], None, ["torch"])):
        args = argparse.Namespace(impl=None, only=list(only), matrix=False)
        _target_after_only(args)
        assert (args.impl, args.only) == (impl, rest), only
    named = argparse.Namespace(impl="torch", only=["lstm", "keras"], matrix=False)
    _target_after_only(named)
    assert (named.impl, named.only) == ("torch", ["lstm", "keras"])


def test_only_patterns_without_a_target_still_ask_for_one(capsys):
    assert cli.main(["validate", "--only", "lstm", "gru"]) == 2
    assert "name what to validate" in capsys.readouterr().err


# --- 4. one install instruction, the README's -----------------------------------------------------------

def test_the_torch_hint_is_the_readmes(monkeypatch):
    from vanishing.checks.conformance import load
    from vanishing.checks.conformance.protocol import AdapterError
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert vanishing.install_hint("torch") in readme
    monkeypatch.setitem(sys.modules, "torch", None)   # import torch now raises ImportError
    with pytest.raises(AdapterError) as e:
        load("torch")
    msg = str(e.value)
    assert "\n" not in msg and vanishing.install_hint("torch") in msg and "vanishing[torch]" not in msg, msg


def test_from_the_checkout_an_extra_installs_like_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for extra in ("keras", "jax", "experiments"):
        hint = vanishing.install_hint(extra)
        assert hint == f'pip install ".[{extra}]"' if Path.cwd() == ROOT else hint.endswith(f'[{extra}]"'), hint
        assert f'pip install ".[{extra}]"' in readme


def test_no_message_gives_another_install_instruction():
    """Every hint comes from vanishing.install_hint: no 'vanishing[extra]' spelled out in a message."""
    hits = [f"{p.relative_to(ROOT)}:{i}" for d in ("vanishing", "checks", "models") for p in (ROOT / d).rglob("*.py")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"vanishing\[(torch|keras|jax|flax|equinox|haiku|experiments)\]", line)
            or re.search(r"pip install torch(?!==2\.13\.0 --index-url)", line)]
    assert not hits, hits


# --- 5. the documented kinds, and where the plugin runs --------------------------------------------------

def test_every_kind_is_documented_with_what_a_stack_declares():
    from vanishing.checks.conformance.protocol import KINDS
    doc = (ROOT / "docs" / "VALIDATE.md").read_text(encoding="utf-8")
    kind_row = next(line for line in doc.splitlines() if line.startswith("| `kind` |"))
    assert all(f'`"{k}"`' in kind_row for k in KINDS), kind_row
    stacks = doc.split('### Stacks (kind `"stack"`)', 1)[1].split("\n### ", 1)[0]
    for member in ("`cell`", "`config`", "`param_shapes(H, D)`", "`run(params, xs, h0, c0, cotangents)`"):
        assert member in stacks, member


def test_the_plugin_docs_say_pytest_must_share_vanishings_environment():
    for page in (ROOT / "docs" / "VALIDATE.md", ROOT / "README.md"):
        text = " ".join(page.read_text(encoding="utf-8").split())
        assert "same environment as vanishing" in text and "unrecognized arguments: --vanishing-impl" in text, page


def test_validate_help_says_whether_this_environment_has_pytest(monkeypatch, capsys):
    import importlib.util
    with pytest.raises(SystemExit):
        cli.main(["validate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "-m pytest --vanishing-impl" in out and sys.prefix in out and "missing" not in out
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pytest" else real(name, *a))
    with pytest.raises(SystemExit):
        cli.main(["validate", "--help"])
    assert "-m pip install pytest" in " ".join(capsys.readouterr().out.split())
