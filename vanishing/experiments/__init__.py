"""``vanishing experiments``: figures of the phenomena the seeds describe, and the numbers behind them.

Each experiment is a module here with ``NAME``, ``TITLE``, ``CLAIMS`` (the claim IDs it illustrates) and
``run(quick, out, progress) -> dict``. The driver runs them, writes their PNG figures into ``--out`` and
``experiments.json`` beside them: seeds, hyperparameters, data set, versions, git commit, the numbers,
and an index from claim ID to figures (the ``"figures"`` records of the claim record, docs/DESIGN.md), which
``vanishing verify --report DIR`` embeds next to the claims.
"""

import argparse
import datetime as _dt
import importlib
import json
import sys
import time
from pathlib import Path

from vanishing.report import FIGURES_JSON  # the file name the certificate reads

__all__ = ["EXPERIMENTS", "FIGURES_JSON", "add_arguments", "claim_index", "main", "run"]

#: in the order they run; ``--only`` takes these names
EXPERIMENTS = ("deep_digits", "lag", "regions", "long_lags", "clip")
_NEEDS = {"deep_digits": (("matplotlib", "matplotlib"), ("sklearn", "scikit-learn")),
          "long_lags": (("matplotlib", "matplotlib"), ("torch", "torch"))}
_DEFAULT_NEEDS = (("matplotlib", "matplotlib"),)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Run the experiments that show the phenomena the catalogue's claims are about: per-layer "
                          "gradients of deep nets on digits, gradient against lag, Pascanu's regions, long time lags, "
                          "clipping. Writes PNG figures and experiments.json (the numbers, seeds, hyperparameters, "
                          "versions). Needs the 'experiments' extra (matplotlib, scikit-learn, torch).")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, same code paths (about a minute)")
    parser.add_argument("--out", metavar="DIR", default="experiments", help="directory for the figures and JSON (default: experiments)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help=f"run only these experiments: {', '.join(EXPERIMENTS)}")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def _versions(names):
    from vanishing.report import environment, optional_versions
    v = environment()
    v.update(optional_versions(names))
    return v


def claim_index(experiments):
    """{claim ID: [{"experiment", "path", "caption"}]} from the experiment records (paths relative to the JSON's directory)."""
    index = {}
    for e in experiments:
        for cid in e["claims"]:
            index.setdefault(cid, []).extend({"experiment": e["name"], "path": f["path"], "caption": f["caption"]} for f in e["figures"])
    return dict(sorted(index.items()))


def run(names, out, quick=False, quiet=False, argv=None):
    """Run the named experiments into ``out``; returns the JSON document (also written to out/experiments.json)."""
    from vanishing.experiments._common import Progress
    from vanishing.provenance import git as git_provenance
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / FIGURES_JSON
    previous = {}
    if path.exists():                                   # keep the experiments not re-run this time (--only)
        try:
            previous = {e["name"]: e for e in json.loads(path.read_text(encoding="utf-8")).get("experiments", [])}
        except (ValueError, KeyError, TypeError, AttributeError):
            previous = {}
    records = []
    t_all = time.perf_counter()
    for k, name in enumerate(names, 1):
        mod = importlib.import_module(f"vanishing.experiments.{name}")
        progress = Progress(name, quiet)
        progress(f"[{k}/{len(names)}] {mod.TITLE}")
        t0, c0 = time.perf_counter(), time.process_time()
        r = mod.run(quick, out, progress)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0   # the machine is shared: wall and CPU
        progress(f"done, {len(r['figures'])} figure(s): {', '.join(f['file'] for f in r['figures'])}")
        records.append({"name": name, "title": mod.TITLE, "claims": list(mod.CLAIMS), "quick": quick,
                        "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                        "figures": [{"path": f["file"], "caption": f["caption"]} for f in r["figures"]],
                        **{key: r.get(key) for key in ("dataset", "seeds", "hyperparameters", "findings", "numbers")}})
    for rec in records:
        previous[rec["name"]] = rec
    experiments = [previous[n] for n in EXPERIMENTS if n in previous]
    doc = {"tool": "vanishing experiments",
           "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
           "command": " ".join(["vanishing", "experiments"] + list(argv if argv is not None else [])),
           "quick": quick,
           "seconds": round(time.perf_counter() - t_all, 2),
           "versions": _versions(["matplotlib", "scikit-learn", "torch"]),
           "provenance": git_provenance(),
           "experiments": experiments,
           "claims": claim_index(experiments)}
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=float) + "\n", encoding="utf-8")
    return doc


def main(args: argparse.Namespace) -> int:
    names = list(EXPERIMENTS)
    if args.only:
        unknown = [n for n in args.only if n not in EXPERIMENTS]
        if unknown:
            print(f"vanishing experiments: unknown experiment {', '.join(map(repr, unknown))}; choose from {', '.join(EXPERIMENTS)}",
                  file=sys.stderr)
            return 2
        names = [n for n in EXPERIMENTS if n in args.only]
    from vanishing.cli import UsageError, output_dir
    try:
        output_dir(args.out, "--out", parents=True)   # before any work: a probe file is created and removed
    except UsageError as e:
        print(f"vanishing experiments: {e}", file=sys.stderr)
        return 2
    from vanishing.experiments._common import Missing, require
    try:
        for name in names:
            for module, dist in _NEEDS.get(name, _DEFAULT_NEEDS):
                require(module, dist)
    except Missing as e:
        print(f"vanishing experiments: {e}", file=sys.stderr)
        return 2
    argv = (["--quick"] if args.quick else []) + ["--out", str(args.out)] + (["--only", *names] if args.only else [])
    try:
        doc = run(names, args.out, quick=args.quick, quiet=args.quiet, argv=argv)
    except OSError as e:
        print(f"vanishing experiments: could not write into {args.out}: {e}", file=sys.stderr)
        return 2
    out = Path(args.out)
    print(f"wrote {len(doc['experiments'])} experiment(s) into {out}: "
          + ", ".join(f["path"] for e in doc["experiments"] for f in e["figures"]) + f", {FIGURES_JSON}")
    for e in doc["experiments"]:
        if e["name"] in names:
            print(f"  {e['name']} ({e['seconds']:.1f} s): {e['figures'][0]['caption'][:200]}{'…' if len(e['figures'][0]['caption']) > 200 else ''}")
    return 0
