"""Installed, everything is the one package `vanishing`: no generic top-level names, in editable and wheel installs."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import vanishing
from vanishing import provenance

ROOT = Path(__file__).resolve().parents[2]
GENERIC = ("models", "checks", "spec", "examples", "tests")


def _run(code, cwd):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_installed_package_claims_no_generic_top_level_names(tmp_path):
    """From outside the checkout, `vanishing.models` imports and `models`, `checks`, `spec` do not exist."""
    # Names another distribution installs do not count (dm-haiku 0.0.17 ships top-level `examples` and `docs`):
    # a name leaks from us when it resolves into this checkout.
    code = ("import importlib.util as u, vanishing.models.lstm, vanishing.checks.oracles, vanishing.spec;"
            f"specs = {{n: u.find_spec(n) for n in {GENERIC!r}}};"
            "print([n for n, s in specs.items() if s is not None and any(str(p).startswith("
            f"{str(ROOT)!r}) for p in [s.origin or ''] + list(s.submodule_search_locations or []))])")
    r = _run(code, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", f"generic top-level names of this package importable in the user's environment: {r.stdout}"


def test_version_and_module_entry_point(tmp_path):
    r = subprocess.run([sys.executable, "-m", "vanishing", "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"vanishing {vanishing.__version__}", (r.stdout, r.stderr)


@pytest.mark.slow
def test_wheel_contains_only_the_vanishing_package_and_its_data(tmp_path):
    # Built as a user would: pip's isolated build environment fetches the build backend that pyproject.toml
    # names (setuptools >= 70.1 builds wheels by itself). Without isolation, a fresh venv's bundled
    # setuptools 65 has no bdist_wheel and the build fails; that is not what a user meets.
    wheel = _build_wheel(_copy_sources(tmp_path / "src"), tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "vanishing/_build.json" not in names, "a wheel built outside a git checkout must not claim a commit"
    tops = {n.split("/")[0] for n in names}
    assert tops <= {"vanishing", f"vanishing-{vanishing.__version__}.dist-info"}, f"unexpected top-level entries in the wheel: {tops}"
    assert any(n.startswith("vanishing/spec/claims/") and n.endswith(".toml") for n in names), "the claim catalogue is missing from the wheel"
    assert "vanishing/models/lstm.py" in names and "vanishing/checks/oracles.py" in names
    # The unpacked wheel alone (no checkout on the path) loads models and the whole catalogue.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); import vanishing.models.lstm as m; "
            "from vanishing.checks import runner; c = runner.catalogue(); "
            f"assert m.__file__.startswith({str(site)!r}), m.__file__; print(len(c))")
    r = _run(code, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert int(r.stdout.strip()) >= 1
    # Installed without git: still a content hash (the same as the checkout's) and a cite key that carries it.
    prov = _provenance_in(site, tmp_path)
    assert prov["git"] == {"commit": None, "dirty": None, "note": "not built from a git checkout"}
    assert prov["package"]["hash"] == provenance.package()["hash"], "the hash of the installed files differs from the checkout's"
    assert prov["cite"] == f"vanishing:RNN-NORM-BOUND@{vanishing.__version__}+{provenance.package()['hash'][:12]}"


def _copy_sources(src):
    # From a copy of the sources: setuptools reuses a checkout's build/ folder, whose stale modules
    # (from an older layout) would otherwise end up in the wheel.
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", ".venv*", ".git", "_build.json",
                                                             "__pycache__", ".hypothesis", "out", "certificate"))
    return src


def _build_wheel(src, out):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = out.glob("vanishing-*.whl")
    return wheel


def _provenance_in(site, cwd):
    """provenance.git(), provenance.package() and a cite key as the unpacked wheel at ``site`` computes them."""
    code = (f"import sys, json; sys.path.insert(0, {str(site)!r}); from vanishing import provenance as p; "
            f"assert p.__file__.startswith({str(site)!r}), p.__file__; "
            "print(json.dumps({'git': p.git(), 'package': p.package(), 'cite': p.cite_key('RNN-NORM-BOUND')}))")
    r = _run(code, cwd)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


@pytest.mark.slow
def test_a_wheel_built_from_a_git_checkout_records_its_commit(tmp_path):
    """setup.py's build hook writes vanishing/_build.json into the wheel; the installed package reports that commit."""
    src = _copy_sources(tmp_path / "src")
    git = ["git", "-C", str(src), "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(git + args, check=True, capture_output=True, timeout=120)
    head = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    wheel = _build_wheel(src, tmp_path)
    record = json.loads(zipfile.ZipFile(wheel).read("vanishing/_build.json"))
    assert record["commit"] == head and record["dirty"] is False and record["built"]
    assert not (src / "vanishing" / "_build.json").exists(), "the build hook wrote into the checkout"
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    prov = _provenance_in(site, tmp_path)
    assert prov["git"]["commit"] == head and "recorded when the wheel was built" in prov["git"]["from"]
    assert prov["package"]["hash"] == provenance.package()["hash"]
