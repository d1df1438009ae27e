"""Benchmarks: speed targets live here, not in timed unit tests.

The published comparison (FD accuracy, cost, sensitivity and scaling against torch's gradcheck and
autograd's check_grads, docs/BENCHMARKS.md) is `vanishing bench` (vanishing/bench.py), which
also works from an installed wheel; this script times the repository's own commands.

Usage: python benchmarks/run.py [--repeat N] [--only NAME ...] [--json PATH]

Reports the median (and min/max) of N runs of each benchmark, in wall time and in CPU time
(user + system of the command and all its processes, e.g. every xdist worker); the machines are
shared and noisy, so single runs mean little, and on a loaded machine the CPU time is the figure
that says whether a change made the work smaller. Targets (issues): `vanishing
verify` (ci profile) <= 60 s, `vanishing validate torch` (ci) <= 60 s, the
README's test command (`pytest -n auto`, the fast tier) <= 30 s; jacobian_products
must scale as O(T). `vanishing bench` measures the oracles themselves.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu_children():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def _wall(cmd):
    """(wall seconds, exit code, CPU seconds of the command and every process it waited for)."""
    c0, t0 = _cpu_children(), time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, r.returncode, _cpu_children() - c0


def bench_verify(repeat):
    return [_wall([sys.executable, "-m", "vanishing", "verify", "--quiet"]) for _ in range(repeat)]


def bench_validate_torch(repeat):
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    return [_wall([sys.executable, "-m", "vanishing", "validate", "torch"]) for _ in range(repeat)]


def bench_pytest(repeat):
    """The README's test command (`pytest -n auto`, the fast tier): goal <= 30 s median on this 2-core machine."""
    return [_wall([sys.executable, "-m", "pytest", "-q", "-n", "auto"]) for _ in range(repeat)]


def bench_pytest_parts(repeat):
    """Where the fast tier's time goes: its two halves run alone, and one process's start-up.

    ``claims``: tests/checks/test_claims.py (every claim through the runner, evidence included) under
    ``-n auto``; ``units``: the rest of the fast tier under ``-n auto``; ``startup``: one process
    that imports and collects everything and runs nothing (``--collect-only``), which every xdist
    worker pays before its first test. The claims' share alone shows how far the 30 s goal is from
    the ci profile's budget on this machine, whatever the unit tests cost.
    """
    py = [sys.executable, "-m", "pytest", "-q"]
    parts = {"claims": py + ["-n", "auto", "tests/checks/test_claims.py"],
             "units": py + ["-n", "auto", "--ignore=tests/checks/test_claims.py", "tests"],
             "startup": py + ["--collect-only"]}
    return {k: [_wall(cmd) for _ in range(repeat)] for k, cmd in parts.items()}


def bench_jacobian_products(repeat):
    """Time of rnn.jacobian_products for growing T: O(T) means time/T stays flat."""
    import numpy as np
    from vanishing.models import rnn
    rng = np.random.default_rng(0)
    H, D = 8, 4
    params = rnn.init_params(H, D, rng)
    out = {}
    for T in (100, 200, 400, 800):
        xs = rng.standard_normal((T, D))
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            rnn.jacobian_products(params, np.zeros(H), xs)
            times.append(time.perf_counter() - t0)
        out[T] = statistics.median(times)
    return out


BENCHES = {"verify": bench_verify, "validate_torch": bench_validate_torch, "pytest": bench_pytest,
           "pytest_parts": bench_pytest_parts,
           "jacobian_products": bench_jacobian_products}


def _summary(label, runs):
    """Median, min and max of the wall and CPU seconds of ``runs`` ((wall, exit code, CPU) each), printed."""
    secs, cpu = [t for t, _, _ in runs], [c for _, _, c in runs]
    codes = sorted({c for _, c, _ in runs})
    print(f"{label:<20} median {statistics.median(secs):6.1f} s  (min {min(secs):.1f}, max {max(secs):.1f}, n={len(secs)}, exit {codes}); "
          f"CPU median {statistics.median(cpu):.1f} s (min {min(cpu):.1f}, max {max(cpu):.1f})")
    return {"median_s": statistics.median(secs), "min_s": min(secs), "max_s": max(secs), "runs": len(secs), "exit_codes": codes,
            "cpu_median_s": statistics.median(cpu), "cpu_min_s": min(cpu), "cpu_max_s": max(cpu)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each benchmark; the median is reported (default 3)")
    ap.add_argument("--only", nargs="+", choices=sorted(BENCHES), metavar="NAME",
                    help=f"run only these benchmarks ({', '.join(sorted(BENCHES))})")
    ap.add_argument("--json", metavar="PATH", help="also write the medians, minima, maxima and exit codes here")
    args = ap.parse_args(argv)
    results = {}
    for name in args.only or BENCHES:
        r = BENCHES[name](args.repeat)
        if r is None:
            print(f"{name:<20} skipped (optional dependency missing)")
            continue
        if name == "jacobian_products":
            results[name] = {str(T): t for T, t in r.items()}
            per = {T: t / T * 1e6 for T, t in r.items()}
            print(f"{name:<20} median seconds by T: " + ", ".join(f"T={T}: {t:.4f}s ({per[T]:.1f} µs/step)" for T, t in r.items()))
            continue
        for part, runs in (r.items() if isinstance(r, dict) else [(None, r)]):
            label = f"{name}:{part}" if part else name
            results[label] = _summary(label, runs)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
