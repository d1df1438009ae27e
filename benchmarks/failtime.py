"""How long does ``vanishing verify`` take to report a broken model, against a passing run? (issue 13, part 2)

Each run is a fresh process that plants a bug in ``vanishing.models.activations`` *before*
anything else imports it (so models/lstm.py, gru.py, the checks' subjects and the
``ACTIVATIONS`` table all see the broken function), then calls the CLI's ``main`` as
``vanishing verify --quiet --json PATH`` would. The models themselves are not edited.

Usage::

    python benchmarks/failtime.py [--repeat N] [--plant NAME ...] [--profile ci] [--jobs 1] [--json PATH]

Prints, per plant, the median (min–max) wall time and the median CPU time of the child
(``resource.getrusage(RUSAGE_CHILDREN)``, less sensitive than wall time to the other
processes on a shared machine), the exit status, how many claims contradicted their
verdict, how many counterexamples were reported as not fully shrunk, and the ratio of the
failing run to the passing run (target: at most 2).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

# benchmarks/run.py, beside this script (sys.path[0] when it is run as a script)
from run import _cpu_children

ROOT = Path(__file__).resolve().parents[1]

#: name -> Python run in the child with ``A`` (vanishing.models.activations), ``np`` (autograd.numpy),
#: ``orig`` (the original functions by name) and ``swap(name, fn)`` in scope. "none" is the passing run.
PLANTS = {
    "none": "",
    "sigmoid x1.001": "swap('sigmoid', lambda x: 1.001 * orig['sigmoid'](x))",
    "sigmoid' x1.001": "swap('sigmoid_prime', lambda x: 1.001 * orig['sigmoid_prime'](x))",
    "tanh' x2": "swap('tanh_prime', lambda x: 2.0 * orig['tanh_prime'](x))",
    "tanh sign flipped |x|>3": "swap('tanh', lambda x: np.where(np.abs(x) > 3.0, -1.0, 1.0) * orig['tanh'](x))",
}

_CHILD = textwrap.dedent("""
    import dataclasses, sys
    import autograd.numpy as np
    import vanishing.models.activations as A
    orig = {{k: getattr(A, k) for k in ("sigmoid", "sigmoid_prime", "tanh", "tanh_prime")}}
    _field = {{"sigmoid": ("sigmoid", "f"), "sigmoid_prime": ("sigmoid", "df"), "tanh": ("tanh", "f"), "tanh_prime": ("tanh", "df")}}
    def swap(name, fn):
        setattr(A, name, fn)
        act, field = _field[name]
        A.ACTIVATIONS[act] = dataclasses.replace(A.ACTIVATIONS[act], **{{field: fn}})
    {plant}
    from vanishing.cli import main
    sys.exit(main({argv!r}))
""")


def run_once(plant, profile, jobs, only=None):
    """One child run; returns a dict of wall and CPU seconds, exit status and what the JSON says."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "verify.json"
        argv = ["verify", "--quiet", "--profile", profile, "--json", str(out)]
        if jobs > 1:
            argv += ["--jobs", str(jobs)]
        if only:
            argv += ["--only", *only]
        code = _CHILD.format(plant=PLANTS[plant], argv=argv)
        c0, t0 = _cpu_children(), time.perf_counter()
        r = subprocess.run([sys.executable, "-c", code], cwd=tmp, capture_output=True, text=True, check=False)
        wall, cpu = time.perf_counter() - t0, _cpu_children() - c0
        doc = json.loads(out.read_text()) if out.exists() else {}
    claims = doc.get("claims", [])
    failed = [c["id"] for c in claims if c.get("outcome") != "pass"]
    slow = sorted(((c.get("seconds", 0.0), c["id"]) for c in claims), reverse=True)[:3]
    cut = sum(1 for c in claims for p in c.get("properties", []) if p.get("shrink_cut"))
    return {"wall": wall, "cpu": cpu, "rc": r.returncode, "claims": len(claims), "failed": failed,
            "shrink_cut": cut, "slowest": [f"{i} {s:.1f}s" for s, i in slow],
            "stderr": r.stderr[-600:] if r.returncode not in (0, 1) else ""}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--plant", nargs="+", choices=list(PLANTS), default=list(PLANTS))
    ap.add_argument("--profile", default="ci")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", nargs="+", metavar="ID", help="only these claims (a quicker look)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures here")
    args = ap.parse_args(argv)
    rows = {}
    for plant in args.plant:
        runs = [run_once(plant, args.profile, args.jobs, args.only) for _ in range(args.repeat)]
        walls, cpus = [r["wall"] for r in runs], [r["cpu"] for r in runs]
        last = runs[-1]
        rows[plant] = {"wall_median": statistics.median(walls), "wall_min": min(walls), "wall_max": max(walls),
                       "cpu_median": statistics.median(cpus), "runs": len(runs), "rc": [r["rc"] for r in runs],
                       "failed": last["failed"], "shrink_cut": last["shrink_cut"], "slowest": last["slowest"]}
        r = rows[plant]
        print(f"{plant:<26} wall {r['wall_median']:7.1f}s ({r['wall_min']:.1f}-{r['wall_max']:.1f})  "
              f"cpu {r['cpu_median']:7.1f}s  rc {r['rc']}  {len(r['failed'])} contradicted, "
              f"{r['shrink_cut']} not fully shrunk; slowest: {', '.join(r['slowest'])}", flush=True)
        if last["stderr"]:
            print(textwrap.indent(last["stderr"], "    "), flush=True)
    if "none" in rows:
        base = rows["none"]
        for plant, r in rows.items():
            if plant != "none":
                r["ratio_wall"] = r["wall_median"] / base["wall_median"]
                r["ratio_cpu"] = r["cpu_median"] / base["cpu_median"]
                print(f"{plant:<26} failing/passing: wall {r['ratio_wall']:.2f}x  cpu {r['ratio_cpu']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"profile": args.profile, "jobs": args.jobs, "cpus": os.cpu_count(),
                                               "plants": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
