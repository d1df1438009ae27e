"""Flakiness: run the randomized profiles with fresh seeds and count unexpected outcomes.

Not part of CI (it takes tens of minutes). Usage, from the repository root in the test environment::

    python scripts/flakiness.py [--verify N] [--validate N] [--pytest N] [--jobs J] [--json PATH]

* ``vanishing verify --profile dev --seed S`` for N fresh random seeds (default 20);
* ``vanishing validate torch --profile dev --seed S`` for N seeds (default 20; skipped without torch);
* the full pytest suite, slow tier included (``-m "slow or not slow"``), with N random
  ``--hypothesis-seed`` values under the ``dev`` profile (default 5), warnings as errors.

Every run that does not exit 0 is printed with the command that reproduces it. Zero is the goal:
a failure is a bug to fix at its root (a tolerance with no derivation, a strategy outside a claim's
premises, or a real counterexample), never something to retry away.
"""

import argparse
import importlib.util
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    lines = (r.stdout + r.stderr).strip().splitlines()
    # every failure's own reproduce line (claim, profile, seed) and pytest's summary lines, then the tail
    keep = [ln.strip() for ln in lines if "reproduce:" in ln or ln.startswith(("FAILED", "ERROR"))]
    return {"cmd": " ".join(cmd), "exit": r.returncode, "seconds": round(time.perf_counter() - t0, 1),
            "reproduce": keep[:50], "tail": lines[-15:]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verify", type=int, default=20, metavar="N")
    ap.add_argument("--validate", type=int, default=20, metavar="N")
    ap.add_argument("--pytest", type=int, default=5, metavar="N")
    ap.add_argument("--jobs", type=int, default=1, help="passed to `vanishing verify --jobs` and `pytest -n`")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    rng = random.SystemRandom()
    runs = []
    exe = [sys.executable, "-m", "vanishing"]
    for _ in range(args.verify):
        runs.append(_run(exe + ["verify", "--profile", "dev", "--seed", str(rng.randrange(2**31)), "--jobs", str(args.jobs), "--quiet"]))
        print(f"verify   exit {runs[-1]['exit']}  {runs[-1]['seconds']:6.1f} s  {runs[-1]['cmd']}", flush=True)
    if args.validate and importlib.util.find_spec("torch") is None:
        print("validate skipped: torch is not installed (pip install torch==2.13.0)")
    else:
        for _ in range(args.validate):
            runs.append(_run(exe + ["validate", "torch", "--profile", "dev", "--seed", str(rng.randrange(2**31))]))
            print(f"validate exit {runs[-1]['exit']}  {runs[-1]['seconds']:6.1f} s  {runs[-1]['cmd']}", flush=True)
    for _ in range(args.pytest):
        cmd = [sys.executable, "-m", "pytest", "-q", "-W", "error", "-n", str(args.jobs), "-p", "no:randomly",
               "-m", "slow or not slow", "--hypothesis-profile", "dev", f"--hypothesis-seed={rng.randrange(2**31)}"]
        runs.append(_run(cmd))
        print(f"pytest   exit {runs[-1]['exit']}  {runs[-1]['seconds']:6.1f} s  {runs[-1]['cmd']}", flush=True)
    bad = [r for r in runs if r["exit"] != 0]
    print(f"\n{len(runs) - len(bad)} of {len(runs)} runs clean")
    for r in bad:
        print(f"\nUNEXPECTED (exit {r['exit']}): {r['cmd']}\n  " + "\n  ".join(r["reproduce"] + ["..."] + r["tail"]))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "clean": len(runs) - len(bad)}, indent=2) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
