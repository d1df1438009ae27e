"""The peer benchmark of ``vanishing bench`` (section ``peers``): vanishing.gradcheck against torch.autograd.gradcheck
(slow and fast mode) and jax.test_util.check_grads, on PyTorch's own float64 operators with their own gradients.

The operators are PyTorch's OpInfo database (``op_db``) with their first float64 sample input (one tensor input,
at most MAX_NUMEL entries in and out, deterministic). Each checker runs on the correct operator (a fail is a false
failure), then on the operator with a planted error in its backward, for each KIND at each relative SIZE: the
claimed Jacobian is J + s·(J_kind − J), J_kind the fully wrong one. JAX sees the operator through
``pure_callback`` with a ``custom_vjp`` whose backward is the same (planted) VJP. Cost: interleaved medians.
"""

import statistics
import time
import warnings

import numpy as np

__all__ = ["run_peers", "KINDS", "SIZES"]

KINDS = ("zeroed entry", "flipped sign", "transposed block", "missing factor", "wrong on part of the input")
SIZES = (1e-2, 1e-4, 1e-6)
MAX_NUMEL = 25
#: Operators of the full run: the first this many eligible ones of op_db (its order; each takes ~6 s with the plants)
OPERATORS = 110


def _plant(J, kind, s, rng):
    """J + s·(J_kind − J), or None where the kind changes nothing (a symmetric block, a zero Jacobian)."""
    big = np.argwhere(np.abs(J) >= 0.1 * np.max(np.abs(J)))
    i, j = big[rng.integers(len(big))]
    K = J.copy()
    if kind == "zeroed entry":
        K[i, j] = 0.0
    elif kind == "flipped sign":
        K[i, j] = -J[i, j]
    elif kind == "missing factor":
        K = 2.0 * J
    elif kind == "wrong on part of the input":
        K[:, : max(1, J.shape[1] // 2)] *= -1.0
    else:
        k = min(3, *J.shape)
        if k < 2:
            return None
        best = max(((r, c) for r in range(J.shape[0] - k + 1) for c in range(J.shape[1] - k + 1)),
                   key=lambda rc: np.abs(J[rc[0]:rc[0] + k, rc[1]:rc[1] + k] - J[rc[0]:rc[0] + k, rc[1]:rc[1] + k].T).max())
        r, c = best
        K[r:r + k, c:c + k] = J[r:r + k, c:c + k].T
    bad = J + s * (K - J)
    return None if np.array_equal(bad, J) else bad


def operators(torch, limit=None):
    """(name, fn, x) for the eligible OpInfo operators: fn(x) -> tensor, x a float64 tensor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch.testing._internal.common_methods_invocations import op_db
    out, seen = [], set()
    torch.manual_seed(0)                 # the samples are drawn by torch's make_tensor from the global generator
    for op in op_db:
        if limit and len(out) >= limit:
            break
        key = op.name + (op.variant_test_name or "")
        if key in seen or not op.supports_autograd or torch.float64 not in op.supported_dtypes("cpu"):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sample = next(iter(op.sample_inputs("cpu", torch.float64, requires_grad=False)))
        except Exception:   # an operator whose samples need more than the CPU build gives
            continue
        x, args, kwargs = sample.input, sample.args, sample.kwargs
        if not isinstance(x, torch.Tensor) or not 2 <= x.numel() <= MAX_NUMEL or any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
            continue
        # the OpInfo's own wrapper: a Hermitian-input op (cholesky) is differentiated on the symmetrised input
        wrap = op.gradcheck_wrapper
        fn = (lambda op, wrap, args, kwargs: lambda t: wrap(op.op, t, *args, **kwargs))(op, wrap, args, kwargs)
        try:
            y1, y2 = fn(x.clone()), fn(x.clone())
            if not (isinstance(y1, torch.Tensor) and y1.dtype == torch.float64 and 1 <= y1.numel() <= MAX_NUMEL
                    and torch.equal(y1, y2) and torch.isfinite(y1).all()):
                continue
            J = torch.autograd.functional.jacobian(fn, x.clone()).reshape(y1.numel(), x.numel()).numpy()
        except Exception:
            continue
        if not np.all(np.isfinite(J)) or not np.any(J):
            continue
        seen.add(key)
        out.append((key, fn, x.detach().clone(), J))
    return out


def _planted_function(torch, fn, Jbad):
    Jt = torch.from_numpy(Jbad)

    class Planted(torch.autograd.Function):
        @staticmethod
        def forward(t):
            with torch.no_grad():
                return fn(t)

        @staticmethod
        def backward(ctx, g):
            return (g.reshape(1, -1) @ Jt).reshape(ctx.shape)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.shape = inputs[0].shape
    return Planted.apply


def _jax_checker(fn, x, Jbad, torch):
    """jax.test_util.check_grads (rev mode, its defaults) on the operator seen through pure_callback + custom_vjp."""
    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads
    shape_in, y = tuple(x.shape), fn(x)
    shape_out = tuple(y.shape)

    def run():
        with jax.enable_x64(True):
            def fwd_np(a):
                return fn(torch.from_numpy(np.array(a, dtype=np.float64))).numpy()

            @jax.custom_vjp
            def f(a):
                return jax.pure_callback(fwd_np, jax.ShapeDtypeStruct(shape_out, jnp.float64), a)
            f.defvjp(lambda a: (f(a), None),
                     lambda res, g: (jnp.reshape(jnp.ravel(g) @ jnp.asarray(Jbad), shape_in),))
            try:
                check_grads(f, (jnp.asarray(x.numpy()),), order=1, modes=["rev"])
            except AssertionError:
                return True
            return False
    return run


def _checkers(torch, fn, x, Jbad, jax_ok):
    from vanishing.gradcheck import gradcheck
    g = _planted_function(torch, fn, Jbad)

    def ours(mode):
        def run():
            r = gradcheck(g, x.clone(), mode=mode, forward=False)
            return None if (r.inconclusive and not r.failures) else bool(r.failures)
        return run

    def tg(fast):
        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return not torch.autograd.gradcheck(g, (x.clone().requires_grad_(True),), fast_mode=fast, raise_exception=False)
        return run
    out = {"ours full": ours("full"), "ours directional": ours("directional"),
           "torch gradcheck slow": tg(False), "torch gradcheck fast_mode": tg(True)}
    if jax_ok:
        out["jax check_grads"] = _jax_checker(fn, x, Jbad, torch)
    return out


def _safe(run):
    try:
        return run()
    except Exception as e:   # a checker that breaks on an operator: counted as an error, not a verdict
        return f"error: {type(e).__name__}"


def _cost(torch, sizes, runs, median_times):
    """Interleaved medians: ours directional vs torch fast, ours full (reverse only, as torch's slow mode) vs torch slow."""
    from vanishing.gradcheck import gradcheck
    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        W = torch.from_numpy(rng.standard_normal((4, n)) / np.sqrt(n))
        b = torch.from_numpy(rng.standard_normal(4))
        x = torch.from_numpy(rng.standard_normal(n))
        f = lambda t, W=W, b=b: torch.tanh(W @ t + b)  # noqa: E731
        xr = x.clone().requires_grad_(True)
        contenders = {
            "ours directional": lambda: gradcheck(f, x, mode="directional", forward=False),
            "ours directional, 1 probe": lambda: gradcheck(f, x, mode="directional", forward=False, probes=1),
            "ours full": lambda: gradcheck(f, x, mode="full", forward=False),
            "torch gradcheck fast_mode": lambda: torch.autograd.gradcheck(f, (xr,), fast_mode=True),
            "torch gradcheck slow": lambda: torch.autograd.gradcheck(f, (xr,)),
        }
        t = median_times(contenders, runs)
        rows.append({"n": n, "seconds": t,
                     "directional / torch fast": t["ours directional"] / t["torch gradcheck fast_mode"],
                     "directional 1 probe / torch fast": t["ours directional, 1 probe"] / t["torch gradcheck fast_mode"],
                     "full / torch slow": t["ours full"] / t["torch gradcheck slow"]})
    return rows


def _scipy_fixed_cost():
    """The fixed cost of one scipy.differentiate call (a linear function, one entry): what dominates at small n."""
    import scipy.differentiate as sd
    ts = []
    for _ in range(21):
        t0 = time.perf_counter()
        sd.derivative(lambda t: 2.0 * t, 0.0, initial_step=0.5)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def run_peers(quick, runs, median_times, progress=None, checkpoint=None):
    """The peer benchmark's results (JSON-ready); ``checkpoint(partial)`` after each operator, if given."""
    import torch
    try:
        import jax  # noqa: F401
        jax_ok = True
    except ImportError:
        jax_ok = False
    t0 = time.perf_counter()
    ops = operators(torch, limit=20 if quick else OPERATORS)
    names = ["ours full", "ours directional", "torch gradcheck slow", "torch gradcheck fast_mode"] + (["jax check_grads"] if jax_ok else [])
    correct = {k: {"pass": 0, "fail": 0, "inconclusive": 0, "error": 0} for k in names}
    false_fail_ops = {k: [] for k in names}
    planted = {k: {kind: {str(s): {"detected": 0, "missed": 0, "inconclusive": 0, "error": 0} for s in SIZES} for kind in KINDS}
               for k in names}
    rng = np.random.default_rng(0)
    for idx, (name, fn, x, J) in enumerate(ops):
        for k, run in _checkers(torch, fn, x, J, jax_ok).items():
            r = _safe(run)
            bucket = "error" if isinstance(r, str) else "inconclusive" if r is None else "fail" if r else "pass"
            correct[k][bucket] += 1
            if bucket == "fail":
                false_fail_ops[k].append(name)
        for kind in KINDS:
            for s in SIZES:
                Jbad = _plant(J, kind, s, rng)
                if Jbad is None:
                    continue
                for k, run in _checkers(torch, fn, x, Jbad, jax_ok).items():
                    r = _safe(run)
                    planted[k][kind][str(s)]["error" if isinstance(r, str) else "inconclusive" if r is None
                                             else "detected" if r else "missed"] += 1
        if progress:
            progress(f"peers: {idx + 1}/{len(ops)} {name}")
        if checkpoint:
            checkpoint({"operators": idx + 1, "operator_names": [o[0] for o in ops[:idx + 1]], "checkers": names,
                        "correct": correct, "false_failures_on": false_fail_ops, "planted": planted, "sizes": list(SIZES),
                        "kinds": list(KINDS), "jax": jax_ok})
    return {"operators": len(ops), "operator_names": [o[0] for o in ops], "checkers": names, "correct": correct,
            "false_failures_on": false_fail_ops, "planted": planted, "sizes": list(SIZES), "kinds": list(KINDS),
            "cost": _cost(torch, (10, 100) if quick else (10, 100, 1000), runs, median_times),
            "scipy_call_seconds": _scipy_fixed_cost(), "seconds": time.perf_counter() - t0,
            "jax": jax_ok}
