"""Mutation testing of the reference models and the oracles (issue 13 §5). Not run in CI.

    python scripts/mutation.py [--files models/activations.py ...] [--sample N] [--jobs 2] [--out mutation.json]
    python scripts/mutation.py --only models/rnn.py:17      # re-run one mutant (file:index) and show its diff

Mutants are mutmut's (``mutmut.mutation.file_mutation.create_mutations``: mutmut 3's own operators, one
mutation per mutant). mutmut's runner is not used: it runs the tests against a copied ``mutants/`` tree,
which the editable install (pyproject maps ``vanishing.models`` to ``models/``, ``vanishing.checks`` to
``checks/``) never imports. Instead each worker copies the repository (its tracked files) to a scratch
directory, links ``models``, ``checks`` and ``spec`` into the copy's ``vanishing/`` (where the install maps them),
puts the copy first on ``PYTHONPATH`` (checked: the copy imports its own files), writes one mutant into it,
and runs the tests that exercise the mutated module:

* the pytest files under ``tests/`` (and its subfolders) that import it, and
* every claim whose check (``checks/claims/*.py``) or evidence (``checks/evidence/*.py``) imports it,
  through ``tests/checks/test_claims.py`` (the runner of ``vanishing verify``, one test per claim);

``checks/oracles.py``, ``checks/assertions.py``, ``checks/recording.py`` and ``checks/tolerances.py`` are used by every claim, so their mutants run every claim.
pytest runs with ``-x`` (the first failure kills), the ``dev`` Hypothesis profile, and a time limit per mutant
(a mutant still running past it is reported as ``timeout`` and counted as NOT killed: on this shared machine a
slow survivor and a hang look alike). A mutant that breaks the package's import (pytest cannot collect, so
``vanishing verify`` cannot start) is killed when the traceback names the mutated file and the copy without the
mutant collects the same tests cleanly (``classify``); any other pytest error is not a kill. With ``--sample N``
the mutants are a stratified random sample: N in all, allocated to the files in proportion to their
mutant counts (at least 3 each), drawn with ``--seed``; the score is then reported with a 95% Wilson interval.
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = "tests/checks/test_claims.py"      # the runner of ``vanishing verify`` as pytest sees it: one test per claim
DEFAULT_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "models").glob("*.py") if p.name != "__init__.py") + [
    "checks/oracles.py", "checks/assertions.py", "checks/recording.py", "checks/tolerances.py"]
EVERYTHING = {"checks/oracles.py", "checks/assertions.py", "checks/recording.py", "checks/tolerances.py"}


# ------------------------------------------------------------------ mutants
class Mutant:
    """One mutation of one file; its source is rendered only when it is run (libcst renders a whole module per mutant)."""

    def __init__(self, path, index, module, mutation, code):
        self.path, self.index, self._module, self._m, self._code = path, index, module, mutation, code

    def source(self):
        from mutmut.mutation.file_mutation import deep_replace
        return deep_replace(self._module, self._m.original_node, self._m.mutated_node).code

    def describe(self):
        return _describe(self._code, self.source())


def mutants_of(path):
    """[Mutant] for one file, by mutmut's operators."""
    code = (ROOT / path).read_text()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as d:         # mutmut reads its config from the cwd; give it a neutral one
        Path(d, "setup.cfg").write_text("[mutmut]\nsource_paths = .\n")
        os.chdir(d)
        try:
            from mutmut.mutation.file_mutation import create_mutations
            module, mutations, _, _ = create_mutations(path, code)
        finally:
            os.chdir(cwd)
    return [Mutant(path, i, module, m, code) for i, m in enumerate(mutations)]


def _describe(a, b):
    la, lb = a.splitlines(), b.splitlines()
    for k, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {k + 1}: {x.strip()[:110]}  →  {y.strip()[:110]}"
    return "(lines added or removed)"


# ------------------------------------------------------------------ which tests exercise a module
def _imports(text, dotted):
    mod = dotted.rsplit(".", 1)
    # ``from package import a, module`` on one line, or wrapped in parentheses over several
    return bool(re.search(rf"(from {re.escape(dotted)} import|import {re.escape(dotted)}\b|"
                          rf"from {re.escape(mod[0])} import (\([^)]*\b{mod[1]}\b[^)]*\)|[^\n(]*\b{mod[1]}\b))", text))


def _dotted(p, root=ROOT):
    rel = str(p.relative_to(root)).removesuffix(".py")
    return "vanishing." + (rel.removeprefix("vanishing/") if rel.startswith("vanishing/") else rel).replace("/", ".")


def dependents(path, root=ROOT):
    """The module at ``path`` and every model module (models/) that imports it, directly or through another.

    Library code outside models/ (the conformance validator, experiments, the CLI) is not followed: its tests
    would run for every model mutant. A mutant that only they could kill counts as a survivor, so this can only
    lower the score."""
    libs = list((root / "models").glob("*.py"))
    text = {p: p.read_text() for p in libs}
    closure = {"vanishing." + path.removesuffix(".py").replace("/", ".")}
    grew = True
    while grew:
        grew = False
        for p in libs:
            d = _dotted(p, root).removesuffix(".__init__")
            if d not in closure and any(_imports(text[p], m) for m in closure):
                closure.add(d)
                grew = True
    return closure


def suite_files(root=ROOT):
    """Every test file under tests/ (in its subfolders too: tests/<package>/test_<module>.py), but the claims' runner."""
    return sorted(str(p.relative_to(root)) for p in (root / "tests").rglob("test_*.py") if str(p.relative_to(root)) != CLAIMS)


def selection(path, root=ROOT):
    """pytest node ids (tests/checks/test_claims.py::…[ID], then test files) that exercise ``path``: the claims whose check
    or evidence imports it or a module that depends on it, then the test files that do. Direct users come first,
    so that -x stops early on a killed mutant."""
    if path in EVERYTHING:
        mod = "vanishing." + path.removesuffix(".py").replace("/", ".")
        return [CLAIMS] + [f for f in suite_files(root) if _imports((root / f).read_text(), mod)]
    out = []
    seen = set()
    direct = {"vanishing." + path.removesuffix(".py").replace("/", ".")}
    for mods in (direct, dependents(path, root)):
        ids = set()
        for folder, deco in (("checks/claims", "claim_check"), ("checks/evidence", "evidence")):
            for p in (root / folder).glob("*.py"):
                t = p.read_text()
                if any(_imports(t, m) for m in mods):
                    ids |= set(re.findall(rf'@{deco}\(\s*"([A-Z0-9-]+)"', t))
        # evidence helpers (_cells, _elman, ...) that import the module: every evidence module using them depends on it
        for p in (root / "checks/evidence").glob("_*.py"):
            if any(_imports(p.read_text(), m) for m in mods):
                for q in (root / "checks/evidence").glob("*.py"):
                    if re.search(rf"\b{p.stem}\b", q.read_text()):
                        ids |= set(re.findall(r'@evidence\(\s*"([A-Z0-9-]+)"', q.read_text()))
        tests = [f for f in suite_files(root) if any(_imports((root / f).read_text(), m) for m in mods)]
        for n in [f"{CLAIMS}::test_claim_agrees_with_its_verdict[{i}]" for i in sorted(ids)] + tests:
            if n not in seen:
                seen.add(n)
                out.append(n)
    return out


# ------------------------------------------------------------------ a scratch copy per worker
def scratch(base):
    repo = base / "repo"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        src = ROOT / f
        if src.is_file():
            (repo / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / f)
    # the install maps vanishing.models → models/ etc.; in the copy the same names are symlinks inside vanishing/,
    # so that the copy's ``vanishing`` (first on sys.path: the cwd and PYTHONPATH) finds its own models/, never the
    # editable install's
    for sub in ("models", "checks", "spec"):
        (repo / "vanishing" / sub).symlink_to(repo / sub)
    if not _imports_its_own_files(repo):
        raise SystemExit(f"mutation: the scratch copy {repo} does not import its own files: mutants would not be tested")
    return repo


def _imports_its_own_files(repo):
    probe = subprocess.run([sys.executable, "-c", "import vanishing.models.rnn as m, vanishing.checks.oracles as o; print(m.__file__, o.__file__)"],
                           cwd=repo, env=_env(repo), capture_output=True, text=True, check=False)
    files = probe.stdout.split()
    return probe.returncode == 0 and len(files) == 2 and all(Path(f).resolve().is_relative_to(repo.resolve()) for f in files)


def _env(repo):
    return dict(os.environ, PYTHONPATH=str(repo), PYTHONDONTWRITEBYTECODE="1")


# pytest's short traceback frames ("vanishing/models/x.py:12: in <module>") and Python's ('File "…/x.py", line 12')
_FRAME = re.compile(r'^(?:\s*File "(?P<py>[^"]+\.py)", line \d+|(?P<pt>\S+\.py):\d+: in )', re.MULTILINE)
# pytest's signs that importing failed (a test module's collection, or conftest before any test), as opposed to a
# usage error such as "file or directory not found"
_IMPORT_FAILED = ("ERROR collecting ", "ImportError while loading conftest", "ImportError while importing test module")


def _repo_relative(frame, repo):
    """The tracked path a traceback frame names, inside the scratch copy (None outside it): ``vanishing/models/x.py``
    (the install's name, a symlink in the copy) is ``models/x.py``."""
    f = Path(frame)
    if f.is_absolute():
        if repo is None or not f.is_relative_to(repo):
            return None
        f = f.relative_to(repo)
    rel = f.as_posix()
    for sub in ("models", "checks", "spec"):
        if rel.startswith(f"vanishing/{sub}/"):
            return rel.removeprefix("vanishing/")
    return rel


def breaks_the_import(output, path, repo=None):
    """Whether pytest's ``output`` shows an import that failed with a traceback through the mutated file ``path``."""
    if not any(s in output for s in _IMPORT_FAILED):
        return False
    return any(_repo_relative(m["py"] or m["pt"], repo) == path for m in _FRAME.finditer(output))


def classify(returncode, output, path, repo=None, clean_collects=None):
    """(status, how) of one mutant's pytest run.

    Exit 0: survived. Exit 1 (a test failed): killed. Any other exit is a kill only when the mutant breaks the
    package's import (pytest exits 2 or 4 with a collection or conftest error; ``vanishing verify`` cannot start
    either: a user would see the crash), and only with both of:

    * the traceback names the mutated file (a frame in ``path``, under either of its names in the copy), and
    * ``clean_collects()`` is true: the same selection, with the mutant taken out again, is collected without error.

    A scratch copy broken for another reason (a selected file missing from it, the copy importing the install's
    files instead of its own) fails one of the two and stays ``error rc=N``: not a kill."""
    if returncode == 0:
        return "survived", None
    if returncode == 1:
        return "killed", "a test failed"
    if returncode in (2, 4) and breaks_the_import(output, path, repo) and clean_collects is not None and clean_collects():
        return "killed", "breaks the import"
    return f"error rc={returncode}", None


def run_one(repo, path, src, timeout, profile):
    target = repo / path
    original = target.read_text()
    target.write_text(src)
    for pyc in (target.parent / "__pycache__").glob(target.stem + ".*.pyc"):
        pyc.unlink()
    env = _env(repo)
    sel = selection(path, repo)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
           f"--hypothesis-profile={profile}", "-m", "not slow", *sel]

    def clean_collects():      # called with the mutant taken out again (below, after ``finally``)
        for pyc in (target.parent / "__pycache__").glob(target.stem + ".*.pyc"):
            pyc.unlink()
        try:
            c = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                                f"--hypothesis-profile={profile}", "-m", "not slow", *sel], cwd=repo, env=env, capture_output=True,
                               text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return False
        return c.returncode == 0 and _imports_its_own_files(repo)

    t0 = time.monotonic()
    r = None
    try:
        r = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        status, tail = "timeout", f"over {timeout}s"
    finally:
        target.write_text(original)
    if r is not None:
        status, how = classify(r.returncode, r.stdout + "\n" + r.stderr, path, repo, clean_collects)
        tail = (r.stdout.strip().splitlines() or [""])[-1][:200]
        if how == "a test failed":
            failed = [ln for ln in r.stdout.splitlines() if ln.startswith("FAILED")]
            tail = failed[0][:200] if failed else tail
        elif how == "breaks the import":
            err = [ln for ln in (r.stdout + "\n" + r.stderr).splitlines() if ln.startswith("E   ")]   # the first is the cause
            tail = "breaks the import: " + (err[0][4:].strip() if err else tail)[:180]
    return status, tail, time.monotonic() - t0


def wilson(k, n, z=1.96):
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, c - h), min(1.0, c + h))


def summarise(files, results, counts=None):
    """Killed/total per file and in all (95% Wilson interval), then every mutant not killed."""
    print(f"\n{'file':28s} {'killed':>6s} {'total':>6s}  score")
    for f in files:
        rs = [r for r in results if r["file"] == f]
        k = sum(r["status"] == "killed" for r in rs)
        if rs:
            print(f"{f:28s} {k:6d} {len(rs):6d}  {k / len(rs):.1%}")
    k = sum(r["status"] == "killed" for r in results)
    lo, hi = wilson(k, len(results))
    print(f"{'all':28s} {k:6d} {len(results):6d}  {k / max(1, len(results)):.1%}  (95% Wilson interval {lo:.1%}–{hi:.1%})")
    imp = sum(r["status"] == "killed" and str(r.get("detail", "")).startswith("breaks the import") for r in results)
    if imp:
        k1 = k - imp
        lo1, hi1 = wilson(k1, len(results))
        print(f"{'  of which break the import':28s} {imp:6d}         (without them: {k1}/{len(results)} = {k1 / len(results):.1%}, "
              f"{lo1:.1%}–{hi1:.1%})")
    if counts:   # a sample: each file's score weighted by its share of all the mutants (the strata's sizes)
        sampled = [f for f in counts if any(r["file"] == f for r in results)]
        total = sum(counts[f] for f in sampled)
        est = sum(counts[f] / total * sum(r["status"] == "killed" for r in results if r["file"] == f)
                  / sum(r["file"] == f for r in results) for f in sampled)
        print(f"{'weighted by file size':28s} {'':13s}  {est:.1%}  (the files sampled: {total} mutants)")
    for r in results:
        if r["status"] != "killed":
            print(f"NOT KILLED {r['file']}:{r['index']} {r['status']} ({r['seconds']}s): {r['mutation']}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", nargs="+", default=DEFAULT_FILES)
    ap.add_argument("--sample", type=int, default=0, help="stratified sample of N mutants (0: all)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=420.0)
    ap.add_argument("--profile", default="dev")
    ap.add_argument("--only", nargs="+", default=[], help="file:index of mutants to (re-)run")
    ap.add_argument("--resume", metavar="JSON", help="keep the decided results (killed, survived, timeout) of an earlier --out file "
                    "and run the rest of the same sample (same --sample and --seed)")
    ap.add_argument("--list", action="store_true", help="count the mutants per file and stop")
    ap.add_argument("--out", default="mutation.json")
    ap.add_argument("--summary", metavar="JSON", help="print the score table of a (possibly interrupted) run's --out file and stop")
    a = ap.parse_args(argv)
    if a.summary:
        results = json.loads(Path(a.summary).read_text())["results"]
        files = sorted({r["file"] for r in results})
        summarise(files, results, {f: len(mutants_of(f)) for f in files})
        return 0

    files = sorted({o.rsplit(":", 1)[0] for o in a.only}) if a.only else a.files
    per_file = {f: mutants_of(f) for f in files}
    if a.list:
        for f, ms in per_file.items():
            print(f"{len(ms):5d}  {f}")
        print(f"{sum(map(len, per_file.values())):5d}  total")
        return 0
    jobs = [m for ms in per_file.values() for m in ms]
    if a.only:
        want = {(o.rsplit(":", 1)[0], int(o.rsplit(":", 1)[1])) for o in a.only}
        jobs = [m for m in jobs if (m.path, m.index) in want]
    elif a.sample:
        total = len(jobs)
        rng = random.Random(a.seed)
        chosen = []
        for f, ms in per_file.items():
            k = min(len(ms), max(3, round(a.sample * len(ms) / total)))
            chosen += rng.sample(ms, k)
        jobs = chosen
    rng = random.Random(a.seed)
    rng.shuffle(jobs)    # interleave the files, so a run cut short is still a sample of every file
    results = []
    if a.resume:
        results = [r for r in json.loads(Path(a.resume).read_text())["results"] if r["status"] in ("killed", "survived", "timeout")]
        done = {(r["file"], r["index"]) for r in results}
        jobs = [m for m in jobs if (m.path, m.index) not in done]
    print(f"{len(jobs)} mutants, {a.jobs} workers, profile {a.profile}, timeout {a.timeout:g}s", flush=True)

    base = Path(tempfile.mkdtemp(prefix="vanishing-mutation-"))
    repos = [scratch(base / f"w{k}") for k in range(a.jobs)]
    free = list(repos)
    t_start = time.monotonic()

    def work(job):
        repo = free.pop()
        try:
            f, i, src = job.path, job.index, job.source()
            d = _describe(job._code, src)
            status, tail, dt = run_one(repo, f, src, a.timeout, a.profile)
        finally:
            free.append(repo)
        res = {"file": f, "index": i, "mutation": d, "status": status, "detail": tail, "seconds": round(dt, 1)}
        results.append(res)
        print(f"[{len(results):4d}] {status:9s} {dt:6.1f}s {f}:{i}  {d}", flush=True)
        Path(a.out).write_text(json.dumps({"profile": a.profile, "sample": a.sample, "seed": a.seed, "results": results}, indent=1))
        return res

    with ThreadPoolExecutor(a.jobs) as ex:
        list(ex.map(work, jobs))
    shutil.rmtree(base, ignore_errors=True)

    summarise(files, results, {f: len(ms) for f, ms in per_file.items()} if a.sample else None)
    print(f"time {time.monotonic() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
