"""``vanishing bench``: the FD oracle measured against the gradient checkers people use (issue 12).

Five measurements, written to ``results.json`` together with the machine, the BLAS configuration, the
versions and the date (``vanishing.bench_report`` renders them as the Markdown tables of ``BENCHMARKS.md``):

1. accuracy of the Jacobian oracles against the exact autograd Jacobian (float64);
2. cost (wall time and function evaluations) of a gradient check with n inputs;
3. sensitivity: detection rates of planted gradient errors, per checker;
4. scaling of ``models.rnn.jacobian_products`` in T and H, with fitted exponents;
5. our own suite: ``vanishing verify`` / ``validate torch`` per claim and check, import time;
6. the public checker ``vanishing.gradcheck`` against its peers on PyTorch's own operators (``vanishing.gradcheck.peers``).

Contenders are interleaved in one loop (the order rotates every run) and every time is the
median of at least 5 runs; ratios are given beside times. torch and jax are optional: a
missing one is skipped and says so. ``--quick`` keeps to about a minute.
"""

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["add_arguments", "main", "run", "SECTIONS"]

SECTIONS = ("accuracy", "cost", "sensitivity", "scaling", "suite", "peers")
RUNS = 5
#: Sizes per run kind, keyed by ``quick``. The full grid keeps T·H² ≤ 2.6e7 (the profile stores T+1 H×H products, ≤ 160 MiB).
COST_SIZES = {True: (10, 100), False: (10, 100, 1000, 10000)}
TRIALS = {True: 3, False: 20}
#: Above this n the full checks (ours and torch's slow mode) are timed once, not 5 times, and marked so.
FULL_TIMED_MAX = 1000
#: The contenders that evaluate the torch function (their evaluations are counted on it; the others on the numpy one).
TORCH_CHECKS = ("torch gradcheck fast_mode", "torch gradcheck slow")
SCALING_GRID = {True: [(100, 16), (300, 16), (1000, 16), (100, 64)],
                False: [(T, 16) for T in (100, 300, 1000, 3000, 10000)] + [(T, 64) for T in (100, 300, 1000, 3000)]
                + [(100, 128), (300, 128), (1000, 128), (100, 256), (300, 256)]}
EPS = float(np.finfo(np.float64).eps)


# ---------------------------------------------------------------- plumbing
def add_arguments(parser):
    parser.add_argument("--quick", action="store_true", help="a smaller run (at most about 60 s)")
    parser.add_argument("--out", metavar="DIR", default="vanishing-bench", help="output folder (default: ./vanishing-bench)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, metavar="SECTION",
                        help=f"run only these measurements ({', '.join(SECTIONS)})")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed runs per contender, median reported (default {RUNS}, minimum 5)")


def _median_times(contenders, runs, best=None):
    """{name: median seconds}: every run calls each contender once, in an order that rotates.

    When one round takes under 50 ms the number of runs rises to 21: on a shared machine the
    median of 5 millisecond timings still moves by a factor of 2 between invocations.
    """
    names = list(contenders)
    times = {k: [] for k in names}
    r = 0
    while r < runs or (r < 21 and r * 0.05 > sum(sum(v) for v in times.values())):
        for k in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            contenders[k]()
            times[k].append(time.perf_counter() - t0)
        r += 1
    if best is not None:                          # the fastest run: the cost without the machine's other tenants
        best.update({k: min(v) for k, v in times.items()})
    return {k: statistics.median(v) for k, v in times.items()}


def _optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def _counted(f):
    """f with a call counter at ``.calls[0]``."""
    calls = [0]

    def g(*a, **kw):
        calls[0] += 1
        return f(*a, **kw)
    g.calls = calls
    return g


def _blas():
    tpc = _optional("threadpoolctl")
    if tpc is not None:
        with contextlib.suppress(Exception):
            return [{k: v for k, v in d.items() if k in ("user_api", "internal_api", "version", "num_threads", "architecture", "threading_layer")}
                    for d in tpc.threadpool_info()]
    with contextlib.suppress(Exception):
        cfg = np.show_config(mode="dicts")
        return [cfg.get("Build Dependencies", {}).get("blas", {})]
    return []


def environment():
    """Machine, BLAS, versions, date: everything a reader needs to weigh the figures."""
    import scipy
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                cpu = value.strip()
                break
    from vanishing import __version__
    from importlib.metadata import PackageNotFoundError, version
    versions = {"vanishing": __version__, "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
    with contextlib.suppress(PackageNotFoundError):
        versions["autograd"] = version("autograd")
    for opt in ("torch", "jax"):
        m = _optional(opt)
        versions[opt] = m.__version__ if m is not None else None
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
                        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
            "blas": _blas(), "blas_env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ},
            "versions": versions}


# ---------------------------------------------------------------- the functions measured
def _functions(quick):
    """name -> (f, x): LSTM cell maps, a 10-step tanh RNN and a 5-layer sigmoid MLP, moderate and saturated."""
    from vanishing.models import deepnet, lstm, rnn
    out = {}
    H, D = 8, 4
    for regime, scale in (("moderate", 1.0), ("saturated", 6.0)):
        rng = np.random.default_rng(12)
        p = {k: scale * v for k, v in lstm.init_params(H, D, rng).items()}
        h, c, x = rng.standard_normal(H), 2.0 * rng.standard_normal(H), rng.standard_normal(D)
        out[f"LSTM c_prev->c (direct path), {regime}"] = (lambda u, p=p, h=h, x=x: lstm.gates(p, h, u, x)["c"], c)
        out[f"LSTM h_prev->c (through h), {regime}"] = (lambda u, p=p, c=c, x=x: lstm.gates(p, u, c, x)["c"], h)
        out[f"LSTM h_prev->h, {regime}"] = (lambda u, p=p, c=c, x=x: lstm.step(p, u, c, x)[0], h)
    for regime, scale, xscale in (("moderate", 1.0, 1.0), ("saturated", 3.0, 3.0)):
        rng = np.random.default_rng(49)
        p = rnn.init_params(16, 4, rng, scale=scale)
        xs = xscale * rng.standard_normal((10, 4))
        out[f"tanh RNN h0->h10 (H=16, rho~{scale:g}), {regime}"] = (lambda u, p=p, xs=xs: rnn.forward(p, u, xs)[-1], np.zeros(16))
    for regime, scale in (("moderate", 0.5), ("saturated", 3.0)):
        rng = np.random.default_rng(5)
        p = deepnet.init_params([8] * 6, rng, scale=scale)
        out[f"sigmoid MLP 5 layers (width 8), {regime}"] = (lambda u, p=p: deepnet.forward(p, u, "sigmoid")["z"][-1], rng.standard_normal(8))
    if quick:
        keep = ("LSTM h_prev->h, saturated", "tanh RNN h0->h10 (H=16, rho~3), saturated", "sigmoid MLP 5 layers (width 8), moderate")
        out = {k: v for k, v in out.items() if k in keep}
    return out


def _central(f, x, h):
    """Plain central differences (f(x+h e_j) − f(x−h e_j)) / 2h, column by column (torch: h = 1e-6; JAX: 1e-4)."""
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((np.ravel(f(x + e)) - np.ravel(f(x - e))) / (2 * h))
    return np.stack(cols, axis=1)


def _scipy_jacobian(f, x):
    """scipy.differentiate.jacobian with its defaults (f applied column by column over the extra axes)."""
    import scipy.differentiate as sd

    def fv(xx):
        flat = xx.reshape(x.size, -1)
        out = np.stack([np.ravel(f(flat[:, k])) for k in range(flat.shape[1])], axis=-1)
        return out.reshape((out.shape[0],) + xx.shape[1:])
    res = sd.jacobian(fv, x)
    return res.df, res.status


# ---------------------------------------------------------------- 1. accuracy
def bench_accuracy(quick, runs):
    from vanishing.checks import assertions, oracles, tolerances
    rows = []
    rng = np.random.default_rng(0)
    floor = EPS ** (2.0 / 3.0)
    for name, (f, x) in _functions(quick).items():
        J = oracles.jacobian_reverse(f, x)
        s = float(np.max(np.abs(J))) or 1.0
        row = {"function": name, "shape": list(J.shape), "max_abs_J": s, "floor_cd": floor}
        try:
            Jd, err = oracles.jacobian_fd(f, x)
            diff = np.abs(Jd - J)
            row["ours"] = float(np.max(diff) / s)
            row["ours_estimate_bounds_raw"] = float(np.mean(diff <= err))
            row["ours_estimate_bounds_safety"] = float(np.mean(diff <= tolerances.FD_SAFETY * err))
            row["ours_entries_over_cap"] = int(np.count_nonzero(tolerances.FD_SAFETY * err > tolerances.FD_CAP_RTOL * max(1.0, s)))
            row["ours_status"] = "converged"
        except assertions.FDInconclusive as e:
            row["ours"], row["ours_status"] = None, f"inconclusive: {str(e)[:200]}"
        row["cd_1e-6"] = float(np.max(np.abs(_central(f, x, 1e-6) - J)) / s)
        row["cd_1e-4"] = float(np.max(np.abs(_central(f, x, 1e-4) - J)) / s)
        v = rng.standard_normal(x.size)                       # autograd's check: (f(x+εv/2) − f(x−εv/2))/ε, ε = 1e-6
        jv = J @ v
        num = (np.ravel(f(x + 0.5e-6 * v)) - np.ravel(f(x - 0.5e-6 * v))) / 1e-6
        row["autograd_1e-6"] = float(np.max(np.abs(num - jv)) / (np.max(np.abs(jv)) or 1.0))
        Js, st = _scipy_jacobian(f, x)
        row["scipy_jacobian"] = float(np.max(np.abs(Js - J)) / s)
        row["scipy_jacobian_nonconverged"] = float(np.mean(np.asarray(st) != 0))
        row["ratio_cd_1e-6_over_ours"] = (row["cd_1e-6"] / row["ours"]) if row["ours"] else None
        rows.append(row)
    ok = [r["ratio_cd_1e-6_over_ours"] for r in rows if r["ratio_cd_1e-6_over_ours"] is not None]
    return {"rows": rows, "goal": "our FD error >= 100x below plain central differences at 1e-6 on every function",
            "goal_met": bool(ok) and len(ok) == len(rows) and min(ok) >= 100.0,
            "worst_ratio": min(ok) if ok else None}


# ---------------------------------------------------------------- 2. cost
def _cost_problem(n, m=4):
    rng = np.random.default_rng(n)
    W = rng.standard_normal((m, n)) / math.sqrt(n)
    b = rng.standard_normal(m)
    return W, b, rng.standard_normal(n)


def _fd_vs_reverse(oracles, f, x):
    """The two oracles torch's slow gradcheck compares (numerical and reverse mode), without forward mode."""
    from vanishing.checks import assertions
    J = oracles.jacobian_reverse(f, x)
    Jd, err = oracles.jacobian_fd(f, x)
    assertions.assert_close_fd(J, Jd, err, "reverse vs FD", scale=max(1.0, float(np.max(np.abs(J)))))


def bench_cost(quick, runs):
    import autograd.numpy as anp
    from autograd.test_util import check_grads

    from vanishing.checks import oracles
    torch = _optional("torch")
    sizes = COST_SIZES[quick]
    full_max = max(sizes)
    rows = []
    for n in sizes:
        W, b, x = _cost_problem(n)
        fa = _counted(lambda u, W=W, b=b: anp.tanh(anp.dot(W, u) + b))
        rng = np.random.default_rng(1)
        u, v = rng.standard_normal(W.shape[0]), rng.standard_normal(n)
        contenders = {"ours directional": lambda: oracles.check_directional(fa, x, v, u)}
        if n <= full_max:
            contenders["ours full"] = lambda: oracles.check_jacobian(fa, x)
            contenders["ours full, FD + reverse only"] = lambda: _fd_vs_reverse(oracles, fa, x)
        contenders["autograd check_grads (defaults)"] = lambda: check_grads(fa)(x)
        ft = None
        if torch is not None:
            Wt, bt = torch.from_numpy(W), torch.from_numpy(b)
            ft = _counted(lambda t: torch.tanh(Wt @ t + bt))
            xt = torch.from_numpy(x.copy()).requires_grad_(True)
            contenders["torch gradcheck fast_mode"] = lambda: torch.autograd.gradcheck(ft, (xt,), fast_mode=True)
            if n <= full_max:
                contenders["torch gradcheck slow"] = lambda: torch.autograd.gradcheck(ft, (xt,), fast_mode=False)
        jax = _optional("jax")
        if jax is not None:
            with contextlib.suppress(Exception):
                from jax.test_util import check_grads as jcheck
                jax.config.update("jax_enable_x64", True)
                jW, jb = jax.numpy.asarray(W), jax.numpy.asarray(b)
                fj = lambda t: jax.numpy.tanh(jW @ t + jb)  # noqa: E731
                contenders["jax check_grads (order 1, rev)"] = lambda: jcheck(fj, (jax.numpy.asarray(x),), order=1, modes=["rev"])
        single = {}
        if n > FULL_TIMED_MAX:                          # torch's slow gradcheck alone takes about a minute at n = 10,000
            single = {k: contenders.pop(k) for k in ("ours full", "ours full, FD + reverse only", "torch gradcheck slow") if k in contenders}
        evals = {}
        for k, fn in {**contenders, **single}.items():  # one counted call each: function evaluations per check
            f_used = ft if k in TORCH_CHECKS else fa
            if f_used is None:
                continue
            f_used.calls[0] = 0
            fn()
            evals[k] = f_used.calls[0]
        best = {}
        t = _median_times(contenders, runs, best)
        t.update(_median_times(single, 1, best) if single else {})
        row = {"n": n, "seconds": t, "best_seconds": best, "evaluations": evals, "single_run": sorted(single)}
        if "torch gradcheck fast_mode" in t:
            row["ratio directional / torch fast"] = t["ours directional"] / t["torch gradcheck fast_mode"]
            row["best-of ratio directional / torch fast"] = best["ours directional"] / best["torch gradcheck fast_mode"]
        if "torch gradcheck slow" in best and "ours full" in best:
            row["best-of ratio full / torch slow"] = best["ours full"] / best["torch gradcheck slow"]
        if "torch gradcheck slow" in t and "ours full" in t:
            row["ratio full / torch slow"] = t["ours full"] / t["torch gradcheck slow"]
            row["ratio FD+reverse / torch slow"] = t["ours full, FD + reverse only"] / t["torch gradcheck slow"]
        row["ratio directional / autograd check_grads"] = t["ours directional"] / t["autograd check_grads (defaults)"]
        rows.append(row)
    d = [r["ratio directional / torch fast"] for r in rows if "ratio directional / torch fast" in r]
    fr = [r["ratio full / torch slow"] for r in rows if "ratio full / torch slow" in r]
    fr2 = [r["ratio FD+reverse / torch slow"] for r in rows if "ratio FD+reverse / torch slow" in r]
    return {"function": "f(x) = tanh(W x + b), W (4, n) / sqrt(n), float64", "rows": rows,
            "torch": torch.__version__ if torch is not None else "not installed (skipped)",
            "jax": "installed" if _optional("jax") is not None else "not installed (skipped)",
            "goals": {"directional <= 2x torch fast mode": (max(d) <= 2.0) if d else None,
                      "full <= torch slow mode": (max(fr) <= 1.0) if fr else None},
            "worst": {"directional / torch fast": max(d) if d else None, "full / torch slow": max(fr) if fr else None,
                      "FD+reverse / torch slow": max(fr2) if fr2 else None}}


# ---------------------------------------------------------------- 3. sensitivity
#: The relative plants: label -> δ, the size of the error added to every entry relative to max|J|.
RELATIVE = {"relative 1e-2": 1e-2, "relative 1e-4": 1e-4, "relative 1e-6": 1e-6, "relative 1e-8": 1e-8}
PLANTS = (*RELATIVE, "one zeroed entry", "one small entry zeroed", "one flipped sign", "transposed block")


def _plant(J, kind, rng):
    bad = J.copy()
    big = np.argwhere(np.abs(J) >= 0.1 * np.max(np.abs(J)))          # an entry that matters, not a rounding-level one
    i, j = big[rng.integers(len(big))]
    if kind in RELATIVE:
        bad = J + RELATIVE[kind] * np.max(np.abs(J)) * rng.uniform(-1.0, 1.0, J.shape)
    elif kind == "one zeroed entry":
        bad[i, j] = 0.0
    elif kind == "one small entry zeroed":                             # the smallest entry >= 1e-4 max|J|: a mostly-zero error
        a = np.where(np.abs(J) >= 1e-4 * np.max(np.abs(J)), np.abs(J), np.inf)
        bad[np.unravel_index(int(np.argmin(a)), J.shape)] = 0.0
    elif kind == "one flipped sign":
        bad[i, j] = -bad[i, j]
    else:                                                              # a 3x3 block transposed in place
        k = 3
        r, c = rng.integers(0, J.shape[0] - k + 1), rng.integers(0, J.shape[1] - k + 1)
        bad[r:r + k, c:c + k] = J[r:r + k, c:c + k].T
    return bad


def _checkers(f_np, x, Jbad, rng):
    """name -> callable returning True (error detected), False (passed) or None (inconclusive)."""
    from autograd.extend import defvjp, primitive
    from autograd.test_util import check_grads

    from vanishing.checks import assertions, oracles
    out = {}

    def ours_full():
        Jd, err = oracles.jacobian_fd(f_np, x)
        assertions.assert_close_fd(Jbad, Jd, err, "planted", scale=max(1.0, float(np.max(np.abs(Jd)))))

    def ours_dir():
        u, v = rng.standard_normal(Jbad.shape[0]), rng.standard_normal(Jbad.shape[1])
        oracles.check_directional(f_np, x, v, u, claimed=float(u @ Jbad @ v))

    fp = primitive(lambda z: f_np(z))
    defvjp(fp, lambda ans, z: lambda g: g @ Jbad)

    def ag():
        check_grads(fp, modes=["rev"], order=1)(x)

    for name, fn in (("ours full", ours_full), ("ours directional", ours_dir), ("autograd check_grads", ag)):
        out[name] = _caught(fn, assertions.FDInconclusive)
    torch = _optional("torch")
    if torch is not None:
        Jt = torch.from_numpy(Jbad)

        class Planted(torch.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return torch.from_numpy(np.asarray(f_np(t.detach().numpy()), dtype=np.float64))

            @staticmethod
            def backward(ctx, g):
                return g @ Jt
        xt = torch.from_numpy(x.copy()).requires_grad_(True)
        for name, fast in (("torch gradcheck slow", False), ("torch gradcheck fast_mode", True)):
            out[name] = lambda fast=fast: not torch.autograd.gradcheck(Planted.apply, (xt,), fast_mode=fast, raise_exception=False)
    return out


def _caught(fn, inconclusive):
    def run():
        try:
            fn()
        except inconclusive:
            return None
        except AssertionError:
            return True
        return False
    return run


def bench_sensitivity(quick, runs):
    from vanishing.checks import oracles
    from vanishing.models import rnn
    trials = TRIALS[quick]
    counts = {}
    for trial in range(trials):
        rng = np.random.default_rng(1000 + trial)
        p = rnn.init_params(8, 3, rng, scale=1.0)
        xs = rng.standard_normal((3, 3))
        f = lambda h, p=p, xs=xs: rnn.forward(p, h, xs)[-1]  # noqa: E731
        x = rng.standard_normal(8)
        J = oracles.jacobian_reverse(f, x)
        for kind in PLANTS:
            Jbad = _plant(J, kind, rng)
            for name, check in _checkers(f, x, Jbad, rng).items():
                c = counts.setdefault(name, {}).setdefault(kind, {"detected": 0, "missed": 0, "inconclusive": 0})
                r = check()
                c["inconclusive" if r is None else "detected" if r else "missed"] += 1
    rates = {name: {k: v["detected"] / trials for k, v in per.items()} for name, per in counts.items()}
    must = ("relative 1e-2", "relative 1e-4", "relative 1e-6", "one zeroed entry")
    return {"function": "tanh RNN h0 -> h3, H = 8, D = 3, spectral radius ~1; planted errors in the claimed Jacobian",
            "trials": trials, "counts": counts, "rates": rates,
            "goal": "100% detection of relative errors >= 1e-6 and of a single zeroed entry (ours full)",
            "goal_met": all(rates["ours full"][k] == 1.0 for k in must)}


# ---------------------------------------------------------------- 4. scaling
def bench_scaling(quick, runs):
    from vanishing.models import rnn
    grid = SCALING_GRID[quick]
    rows = []
    for T, H in grid:
        rng = np.random.default_rng(T + H)
        p = rnn.init_params(H, 4, rng)
        xs = rng.standard_normal((T, 4))
        h0 = np.zeros(H)

        def norms():
            return np.linalg.norm(rnn.jacobian_products(p, h0, xs), axis=(1, 2))
        t = _median_times({"profile": norms}, runs)["profile"]
        rows.append({"T": T, "H": H, "seconds": t, "us_per_step": t / T * 1e6})
    A = np.array([[math.log(r["T"]), math.log(r["H"]), 1.0] for r in rows])
    y = np.array([math.log(r["seconds"]) for r in rows])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    per_H = {}                                   # the slope in T at each H: one slow point (a shared machine) moves one slope only
    for H in sorted({r["H"] for r in rows}):
        pts = [(math.log(r["T"]), math.log(r["seconds"])) for r in rows if r["H"] == H]
        if len(pts) >= 2:
            per_H[H] = float(np.polyfit(*zip(*pts), 1)[0])
    out = {"exponent_T_per_H": per_H, "exponent_T_joint": float(coef[0]),"quantity": "||dh_T/dh_k||_F for all k = 0..T (rnn.jacobian_products, then the Frobenius norms)",
            "rows": rows, "exponent_T": float(np.median(list(per_H.values()))) if per_H else float(coef[0]), "exponent_H": float(coef[1]),
            "goal": "linear in T (exponent within 0.15 of 1; the median of the per-H slopes)"}
    out["goal_met"] = bool(abs(out["exponent_T"] - 1.0) <= 0.15)
    return out


# ---------------------------------------------------------------- 5. our own suite
def _wall(cmd, **kw):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return time.perf_counter() - t0, r.returncode


def bench_suite(quick, runs):
    py = sys.executable
    out = {}
    t = {"python -c pass": [], "import vanishing": [], "vanishing --version": []}
    cmds = {"python -c pass": [py, "-c", "pass"], "import vanishing": [py, "-c", "import vanishing"],
            "vanishing --version": [py, "-m", "vanishing", "--version"]}
    for r in range(runs):
        for k, c in cmds.items():
            t[k].append(_wall(c)[0])
    out["startup_seconds"] = {k: statistics.median(v) for k, v in t.items()}
    if quick:
        out["verify"] = out["validate_torch"] = "skipped in --quick (each takes a minute or more)"
        return out
    with tempfile.TemporaryDirectory() as d:
        secs, code = _wall([py, "-m", "vanishing", "verify", "--quiet", "--json", f"{d}/v.json"])
        data = json.loads(Path(f"{d}/v.json").read_text()) if Path(f"{d}/v.json").exists() else {"claims": []}
        claims = sorted(data["claims"], key=lambda c: -c.get("seconds", 0.0))
        out["verify"] = {"wall_seconds": secs, "exit_code": code, "claims": len(claims),
                         "sum_claim_seconds": sum(c.get("seconds", 0.0) for c in claims),
                         "slowest": [{"id": c["id"], "seconds": c.get("seconds"), "examples": c.get("examples"),
                                      "reason": _reason(c)} for c in claims[:10]]}
        if _optional("torch") is None:
            out["validate_torch"] = "torch not installed (skipped)"
            return out
        secs, code = _wall([py, "-m", "vanishing", "validate", "torch", "--quiet", "--json", f"{d}/t.json"])
        data = json.loads(Path(f"{d}/t.json").read_text()) if Path(f"{d}/t.json").exists() else {}
        checks = _validate_checks(data)
        out["validate_torch"] = {"wall_seconds": secs, "exit_code": code, "checks": len(checks),
                                 "slowest": sorted(checks, key=lambda c: -(c.get("seconds") or 0.0))[:10]}
    return out


def _reason(c):
    props = c.get("properties", [])
    ex = max(1, c.get("examples") or 0)
    fd = "fd" in c.get("oracles_used", [])
    return (f"{ex} examples over {len(props)} properties, {1000 * c.get('seconds', 0.0) / ex:.0f} ms each"
            + ("; finite-difference Jacobians" if fd else "") + (f"; worst comparison: {c['worst_comparison']}" if c.get("worst_comparison") else ""))


def _validate_checks(data):
    """[{check, seconds, status, reason}] from ``vanishing validate --json``."""
    out = []
    for a in data.get("adapters", []):
        for c in a.get("checks", []):
            ex = int(c.get("examples") or 0)
            secs = float(c.get("seconds") or 0.0)
            out.append({"check": f"{a.get('name')} / {c.get('check')}", "seconds": secs, "status": c.get("status"),
                        "reason": f"{ex} examples, {1000 * secs / max(ex, 1):.0f} ms each" + (f", {c['shrink_evaluations']} shrink evaluations" if c.get("shrink_evaluations") else "")})
    return out


# ---------------------------------------------------------------- all of them
def bench_peers(quick, runs):
    """6. vanishing.gradcheck against torch gradcheck and jax check_grads on PyTorch's OpInfo operators (needs torch)."""
    if _optional("torch") is None:
        return {"skipped": "torch is not installed"}
    if _optional("expecttest") is None:       # torch's OpInfo database imports it
        from vanishing import install_hint
        return {"skipped": f"PyTorch's OpInfo database needs expecttest: {install_hint('peers')}"}
    from vanishing.gradcheck.peers import run_peers
    return run_peers(quick, runs, _median_times)


BENCHES = {"accuracy": bench_accuracy, "cost": bench_cost, "sensitivity": bench_sensitivity,
           "scaling": bench_scaling, "suite": bench_suite, "peers": bench_peers}


def run(quick=False, only=None, runs=RUNS, progress=None):
    """All measurements; returns the results dict written to results.json."""
    results = {"tool": "vanishing bench", "quick": bool(quick), "runs": runs, "environment": environment(), "seconds": {}}
    for name in only or SECTIONS:
        if progress:
            progress(name)
        t0 = time.perf_counter()
        results[name] = BENCHES[name](quick, runs)
        results["seconds"][name] = time.perf_counter() - t0
    return results


def main(args):
    if args.runs < 5:
        print(f"vanishing bench: --runs must be at least 5 (medians of several runs), got {args.runs}", file=sys.stderr)
        return 2
    from vanishing.cli import UsageError, output_dir
    out = Path(args.out)
    try:
        output_dir(out, "--out", parents=True)   # before any work: a probe file is created and removed
        out.mkdir(parents=True, exist_ok=True)
    except UsageError as e:
        print(f"vanishing bench: cannot create output folder: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"vanishing bench: cannot create output folder {out}: {e.strerror}", file=sys.stderr)
        return 2
    # imported here, not at the top: the report imports this module's constants
    from vanishing.bench_report import render_markdown
    t0 = time.perf_counter()
    res = run(quick=args.quick, only=args.only, runs=args.runs,
              progress=lambda name: print(f"[{time.perf_counter() - t0:6.1f} s] {name}", file=sys.stderr, flush=True))
    (out / "results.json").write_text(json.dumps(res, indent=1, default=float) + "\n")
    (out / "BENCHMARKS.md").write_text(render_markdown(res))
    print(f"wrote {out / 'results.json'} and {out / 'BENCHMARKS.md'} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="vanishing bench", description=__doc__.splitlines()[0])
    add_arguments(ap)
    sys.exit(main(ap.parse_args()))
