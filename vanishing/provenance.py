"""Where a result came from, in a form that survives a wheel install: content hashes, the build's commit, cite keys,
and the re-check of a certificate (``vanishing verify --check-certificate``)."""

import hashlib
import json
from functools import lru_cache
from importlib import resources, util
from pathlib import Path

import vanishing

__all__ = ["BUILD_FILE", "CertificateError", "build_record", "cite_key", "compare", "git", "load_certificate", "package",
           "package_files"]

#: written into the wheel by setup.py's build hook when the wheel is built from a git checkout; never committed
BUILD_FILE = "_build.json"
#: the packages a wheel installs (pyproject.toml's package-dir): the hash covers their modules and data
ROOTS = ("vanishing", "vanishing.models", "vanishing.checks", "vanishing.spec")
HASHED = (".py", ".toml")
CATALOGUE = "vanishing/spec/claims/"


def _root_dir(name):
    return Path(next(iter(util.find_spec(name).submodule_search_locations)))


def package_files():
    """{path as a wheel installs it ("vanishing/models/lstm.py"): file}: the same keys in a checkout and in a wheel."""
    files = {}
    for name in ROOTS:
        base, prefix = _root_dir(name), name.replace(".", "/")
        for f in base.rglob("*"):
            if f.suffix in HASHED and "__pycache__" not in f.parts and f.is_file():
                files[f"{prefix}/{f.relative_to(base).as_posix()}"] = f
    return dict(sorted(files.items()))


def _digest(files):
    h = hashlib.sha256()
    for rel, f in files.items():
        h.update(rel.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


@lru_cache(maxsize=1)
def package():
    """The installed package's identity: version, SHA-256 of its files and of the claim catalogue, and the release
    string ``<version>+<hash12>`` that cite keys carry."""
    files = package_files()
    catalogue = {k: f for k, f in files.items() if k.startswith(CATALOGUE)}
    digest = _digest(files)
    return {"version": vanishing.__version__, "hash": digest, "files": len(files), "catalogue_hash": _digest(catalogue),
            "catalogue_files": len(catalogue), "release": f"{vanishing.__version__}+{digest[:12]}",
            "hashed": f"SHA-256 over the {', '.join(HASHED)} files of {', '.join(ROOTS)} (path and content)"}


def cite_key(claim_id):
    """How a claim is cited: ``vanishing:<ID>@<version>+<hash12>`` (the hash of the package that decided it)."""
    return f"vanishing:{claim_id}@{package()['release']}"


def build_record():
    """What the build hook recorded in the wheel ({"commit", "dirty", "built"}), or None (not a wheel built from git)."""
    try:
        return json.loads(resources.files("vanishing").joinpath(BUILD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def git():
    """{"commit", "dirty"} of the checkout this package runs from; else the commit recorded when its wheel was built;
    else {"commit": None, "note": ...}. Never a guess."""
    import subprocess
    root = Path(vanishing.__file__).resolve().parent.parent
    if (root / ".git").exists() and (root / "pyproject.toml").is_file():
        try:
            run = lambda *a: subprocess.run(["git", "-C", str(root), *a], capture_output=True, text=True,  # noqa: E731
                                            timeout=10, check=True).stdout.strip()
            return {"commit": run("rev-parse", "HEAD"), "dirty": run("status", "--porcelain", "--untracked-files=no") != "",
                    "from": "the git checkout it runs from"}
        except (OSError, subprocess.SubprocessError):
            return {"commit": None, "dirty": None, "note": "run from a git checkout, but git is not available"}
    rec = build_record()
    if rec and rec.get("commit"):
        return {"commit": rec["commit"], "dirty": rec.get("dirty"), "from": f"recorded when the wheel was built ({rec.get('built')})"}
    return {"commit": None, "dirty": None, "note": "not built from a git checkout"}


# ---------------------------------------------------------------- --check-certificate
class CertificateError(ValueError):
    """A file that is not a certificate written by ``vanishing verify``: one line."""


def load_certificate(path):
    """The certificate JSON at ``path`` (the file, or a --report directory holding certificate.json)."""
    p = Path(path)
    if p.is_dir():
        p = p / "certificate.json"
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CertificateError(f"{path}: no such file (give certificate.json or the --report directory)") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise CertificateError(f"{p}: not a JSON certificate ({e})") from None
    claims = doc.get("claims") if isinstance(doc, dict) else None
    if (not isinstance(claims, list) or not claims
            or not all(isinstance(c, dict) and {"id", "verdict", "outcome"} <= set(c) for c in claims)):
        raise CertificateError(f"{p}: not a certificate written by `vanishing verify` (no claims with id, verdict and outcome)")
    return doc


def compare(doc, outcomes, catalogue):
    """Per claim of the certificate: does its recorded verdict match the catalogue's, and its outcome this re-run's?

    ``outcomes`` {ID: Outcome} of the re-run, ``catalogue`` {ID: Claim}. Returns (rows, package_row).
    """
    rows = []
    for c in doc["claims"]:
        now, o = catalogue.get(c["id"]), outcomes.get(c["id"])
        verdict_now = now.verdict if now else "not in the catalogue"
        outcome_now = o.outcome if o else "not run"
        rows.append({"id": c["id"], "verdict": (c["verdict"], verdict_now), "outcome": (c["outcome"], outcome_now),
                     "agree": c["verdict"] == verdict_now and c["outcome"] == outcome_now})
    recorded = ((doc.get("provenance") or {}).get("package") or {}).get("hash")
    pkg = {"recorded": recorded or "not recorded", "now": package()["hash"], "agree": recorded == package()["hash"]}
    return rows, pkg
