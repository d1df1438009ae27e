"""The cost of the reference cross-check (checks/conformance/crosscheck.py) that starts every `vanishing validate` run.

Usage: python benchmarks/crosscheck.py [--repeat N] [TARGET ...]   (default targets: torch if installed, and the
NumPy zoo of tests/zoo/zoo.py:correct, which needs no framework)

For each target: the time of `crosscheck.findings` over all its adapters with a cold memo (what one validate run
pays: once per distinct cell kind, reset convention, parameter set, stack configuration and clipping), median (min,
max) of N runs, wall and CPU (the CPU time is less sensitive to other load), and the costliest adapters. Goal: < 0.5 s per run. The machines are shared: read medians only.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(target, repeat):
    from vanishing.checks.conformance import crosscheck, load
    infos = load(target)
    runs, cpu = [], []
    for _ in range(repeat):
        crosscheck._DONE.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        bad = [f for i in infos for f in crosscheck.findings(i)]
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    per = {}
    for i in infos:
        crosscheck._DONE.clear()
        t0 = time.perf_counter()
        crosscheck.findings(i)
        per[i.name] = time.perf_counter() - t0
    crosscheck._DONE.clear()
    return infos, runs, cpu, per, bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("targets", nargs="*")
    args = ap.parse_args(argv)
    targets = args.targets
    if not targets:
        targets = [f"{ROOT / 'tests' / 'zoo' / 'zoo.py'}:correct"]
        try:
            import torch  # noqa: F401
            targets.insert(0, "torch")
        except ImportError:
            pass
    for target in targets:
        infos, runs, cpu, per, bad = measure(target, args.repeat)
        print(f"{target}: {len(infos)} adapters, cross-check per run median {statistics.median(runs):.3f} s wall "
              f"(min {min(runs):.3f}, max {max(runs):.3f}, n={len(runs)}), median {statistics.median(cpu):.3f} s CPU; "
              f"findings: {len(bad)}")
        for name, t in sorted(per.items(), key=lambda x: -x[1])[:5]:
            print(f"    {t:.3f} s  {name} (alone, cold)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
