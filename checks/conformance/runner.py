"""The validation runner: smoke-test each adapter, run every applicable check, diagnose failures.

Both faces (``vanishing validate`` and the pytest plugin) call :func:`validate_adapter`.
Each property check runs once under a Hypothesis profile (``ci``: derandomized), which
searches for a failing case. The case is then shrunk by ``cases.shrink``: fewer steps,
fewer hidden units, fewer inputs, zeroed and rounded arrays, at most
:data:`SHRINK_BUDGET` evaluations (Hypothesis's own shrinker would spend hundreds of
generated cases at ~10 ms each on 100-float cases, too slow for a 60-second run), so
the counterexample is small, always a real failure, and the time stays bounded.
"""

import fnmatch
import time
from dataclasses import dataclass, field

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings

from vanishing.checks import oracles, profiles
from vanishing.checks.conformance import checks as C
from vanishing.checks.conformance import diagnosis
from vanishing.checks.conformance.cases import shrink
from vanishing.checks.conformance.protocol import (
    AdapterError,
    CallError,
    call_clip_norm,
    call_clip_value,
    call_forward,
    call_stack,
    call_step,
    call_vjp,
    param_shapes,
)

__all__ = ["SHRINK_BUDGET", "AdapterReport", "CheckResult", "selected", "smoke", "validate_adapter"]

#: Evaluations allowed while shrinking a failing case (each costs about one reference VJP).
SHRINK_BUDGET = 40


@dataclass
class CheckResult:
    adapter: str
    check: str
    claim: str
    status: str                 # "pass", "fail" or "error"
    examples: int = 0
    seconds: float = 0.0
    lines: list = field(default_factory=list)       # what differs, and where
    diagnosis: list = field(default_factory=list)
    notes: list = field(default_factory=list)       # facts found on the way (e.g. PyTorch's ε)
    counterexample: object = None                   # the shrunk case (Case / ClipCase)
    reproduce: dict = field(default_factory=dict)   # {"command": ..., "python": ...}
    max_ratio: float = 0.0                          # worst |error|/allowed seen over all comparisons
    shrink_evaluations: int = 0

    def to_json(self):
        return {"adapter": self.adapter, "check": self.check, "claim": self.claim, "status": self.status,
                "examples": self.examples, "seconds": round(self.seconds, 3), "message": self.lines,
                "diagnosis": self.diagnosis, "notes": self.notes,
                "counterexample": self.counterexample.to_json() if self.counterexample is not None else None,
                "shrink_evaluations": self.shrink_evaluations,
                "reproduce": self.reproduce or None, "max_error_over_tolerance": self.max_ratio}

    def text(self):
        head = f"{self.status.upper():5} {self.adapter} / {self.check}  ({self.examples} examples, {self.seconds:.2f}s)"
        out = [head]
        if self.status != "pass":
            out.append(f"      claim: {self.claim}")
            out += [f"      {ln}" for ln in self.lines]
            out += [f"      {ln}" for ln in self.diagnosis]
            if self.counterexample is not None:
                out.append(f"      counterexample (shrunk): {self.counterexample.brief()}")
            if self.reproduce.get("command"):
                out.append(f"      reproduce: {self.reproduce['command']}")
            if self.reproduce.get("python"):
                out.append("      or in Python:")
                out += [f"        {ln}" for ln in self.reproduce["python"].splitlines()]
        out += [f"      note: {n}" for n in self.notes]
        return "\n".join(out)


@dataclass
class AdapterReport:
    info: object
    results: list = field(default_factory=list)
    broken: str = ""            # one line when the adapter is broken (exit 2)
    seconds: float = 0.0

    @property
    def ok(self):
        return not self.broken and all(r.status == "pass" for r in self.results)

    def to_json(self):
        return {**self.info.to_dict(), "broken": self.broken or None, "conforms": self.ok, "seconds": round(self.seconds, 3),
                "checks": [r.to_json() for r in self.results]}


def smoke(info):
    """One ordinary call of every method (H=2, D=3, T=3, small values): raises AdapterError on the first problem."""
    rng = np.random.default_rng(0)
    try:
        if info.is_cell:
            H, D, T = 2, 3, 3
            P = {k: rng.uniform(-0.5, 0.5, s) for k, s in param_shapes(info.kind, H, D, info.param_set).items()}
            s0 = tuple(rng.uniform(-0.5, 0.5, H) for _ in (("h", "c") if info.kind.startswith("lstm") else ("h",)))
            xs = rng.uniform(-1, 1, (T, D))
            out = call_forward(info, P, s0, xs)
            call_step(info, P, s0, xs[0])
            call_vjp(info, P, s0, xs, tuple(np.ones_like(o) for o in out))
        if info.kind == "stack":
            from vanishing.checks.conformance.cases import simple_stack_case
            case = simple_stack_case(info.cell, info.config, info.dtype, info.obj.param_shapes)
            shapes = {n: np.shape(p) for n, p in zip(case.names, case.params)}
            shapes.update(xs=case.xs.shape, h0=case.h0.shape, **({} if case.c0 is None else {"c0": case.c0.shape}))
            call_stack(info, case.params, case.xs, case.h0, case.c0, case.cot, shapes)
        if info.has_clip_norm:
            call_clip_norm(info, [rng.uniform(-1, 1, (2, 2)), rng.uniform(-1, 1, 3)], 0.5)
        if info.has_clip_value:
            call_clip_value(info, [rng.uniform(-1, 1, (2, 2)), rng.uniform(-1, 1, 3)], 0.5)
    except CallError as e:
        raise AdapterError(str(e)) from None


def selected(info, check, only):
    """--only patterns match 'ADAPTER/CHECK', the adapter name, its kind, or the check name (fnmatch patterns,
    or case-insensitive substrings of the adapter name: ``--only lstm`` selects torch.nn.LSTMCell[...])."""
    if not only:
        return True
    full = f"{info.name}/{check.name}"
    for pat in only:
        # Literal names first: adapter names contain brackets (torch.nn.LSTMCell[float32]), which fnmatch
        # would read as a character class, so the reproduce commands we print must match exactly.
        if pat in (full, info.name, info.kind, check.name) or pat.lower() in info.name.lower():
            return True
        if any(fnmatch.fnmatchcase(s, pat) for s in (full, info.name, info.kind, check.name)):
            return True
    return False


def _settings(profile, check):
    profiles.register()
    base = settings.get_profile(profile)
    kw = dict(parent=base, report_multiple_bugs=False, database=None,
              phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target),   # shrinking: cases.shrink, budgeted
              suppress_health_check=list(base.suppress_health_check) + [HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                                          HealthCheck.data_too_large])
    if check.max_examples:
        kw["max_examples"] = min(base.max_examples, check.max_examples)
    return settings(**kw)


def _evaluate(info, check, case):
    try:
        check.body(info, case)
    except C.Mismatch as m:
        return m
    except CallError as e:
        return C.Mismatch("crash", [str(e)], case)
    return None


def _run_property(info, check, profile, seed):
    """(examples, Mismatch or None, shrink evaluations) for one property check."""
    state = {"n": 0, "first": None}

    @given(case=check.strategy(info))
    def prop(case):
        if state["first"] is None:
            state["n"] += 1
        m = _evaluate(info, check, case)
        if m is not None:
            state["first"] = state["first"] or m
            raise m.fresh()
    test = _settings(profile, check)(prop)
    if seed is not None:
        test = hypothesis.seed(seed)(test)
    try:
        test()
    except C.Mismatch:
        pass
    first = state["first"]
    if first is None:
        return state["n"], None, 0
    _, m, used = shrink(first.case, lambda c: _evaluate(info, check, c), budget=SHRINK_BUDGET)
    return state["n"], (m or first), used


def _snippet(info, check, case):
    lines = ["import numpy as np", "from vanishing.checks.conformance import load, reference",
             f"adapter = [a for a in load({info.origin!r}) if a.name == {info.name!r}][0].obj"]
    lines += case.source()
    if check.name in ("clip-norm",):
        lines += ["print(adapter.clip_grad_norm(grads, threshold))",
                  f"from vanishing.models import clipping; print(clipping.clip_by_global_norm(grads, threshold, eps={info.clip_eps!r}))"]
    elif check.name == "clip-value":
        lines += ["print(adapter.clip_grad_value(grads, threshold))",
                  "from vanishing.models import clipping; print(clipping.clip_by_value(grads, threshold))"]
    elif check.name == "stack":
        lines += ["from vanishing.checks.conformance.cases import StackCase",
                  "from vanishing.checks.conformance.checks import stack_reference",
                  f"case = StackCase({info.cell!r}, {info.config!r}, np.dtype({info.dtype_name!r}), {case.names!r}, params, xs, h0, c0, "
                  "cotangents)",
                  "print(adapter.run(params, xs, h0, c0, cotangents))", "print(stack_reference(case))"]
    elif check.name in ("gradients", "gradients-fd", "direct-path"):
        lines += ["print(adapter.vjp(params, state0, xs, cotangents))",
                  f"print(reference.vjp({info.kind!r}, params, state0, xs, cotangents, reset={info.reset!r}, pset={info.param_set!r}))"]
    else:
        lines += ["print(adapter.forward(params, state0, xs))",
                  f"print(reference.forward({info.kind!r}, params, state0, xs, reset={info.reset!r}, pset={info.param_set!r}))"]
    return "\n".join(lines)


def _command(info, check, profile, seed):
    cmd = f"vanishing validate {info.origin} --only '{info.name}/{check.name}' --profile {profile}"
    return cmd + (f" --seed {seed}" if seed is not None else "")


def run_check(info, check, profile, seed):
    """One CheckResult; an error inside vanishing itself becomes status "error" (exit 2), never a crash of the run."""
    t0 = time.perf_counter()
    try:
        return _run_check(info, check, profile, seed, t0)
    except Exception as e:  # our bug, not the adapter's: report it with what reproduces it
        import traceback
        where = traceback.extract_tb(e.__traceback__)[-1]
        return CheckResult(info.name, check.name, check.claim, "error", 0, time.perf_counter() - t0,
                           lines=[f"internal error in vanishing ({type(e).__name__}: {' '.join(str(e).split())[:200]} at "
                                  f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}); please report it with: "
                                  f"{_command(info, check, profile, seed)}"])


def _run_check(info, check, profile, seed, t0):
    with oracles.recording() as rec:
        if check.once is not None:
            try:
                lines, notes = check.once(info)
            except CallError as e:
                lines, notes = [str(e)], []
            out = CheckResult(info.name, check.name, check.claim, "fail" if lines else "pass", 1, lines=lines, notes=notes)
        else:
            n, m, used = _run_property(info, check, profile, seed)
            out = CheckResult(info.name, check.name, check.claim, "pass" if m is None else "fail", n)
            if m is not None:
                out.lines = m.lines
                out.counterexample = m.case
                out.shrink_evaluations = used
                out.diagnosis = diagnosis.diagnose(info, m, check.name)
                out.reproduce = {"command": _command(info, check, profile, seed), "python": _snippet(info, check, m.case)}
            if check.name == "clip-norm" and m is None:
                try:
                    out.notes = C.ClipNorm.notes(info)
                except CallError as e:
                    out.notes = [f"ε probe failed: {e}"]
    out.max_ratio = rec.max_ratio
    out.seconds = time.perf_counter() - t0
    return out


def validate_adapter(info, profile=None, seed=None, only=None, progress=None):
    """Smoke-test ``info`` then run every applicable, selected check; returns an :class:`AdapterReport`."""
    profile, seed = profiles.resolve(profile, seed)
    rep = AdapterReport(info)
    t0 = time.perf_counter()
    try:
        smoke(info)
    except AdapterError as e:
        rep.broken = str(e)
        rep.seconds = time.perf_counter() - t0
        return rep
    # The reference itself is cross-checked first (crosscheck.py): if it is wrong, every verdict would blame the user.
    from vanishing.checks.conformance import crosscheck
    todo = any(check.applies(info) and selected(info, check, only) for check in C.CHECKS)
    bugs = crosscheck.findings(info) if todo else []
    if bugs:
        r = CheckResult(info.name, "reference", crosscheck.CLAIM, "error", 1, time.perf_counter() - t0,
                        lines=crosscheck.message(bugs))
        rep.results.append(r)
        if progress:
            progress(info, r)
        rep.seconds = time.perf_counter() - t0
        return rep
    for check in C.CHECKS:
        if not check.applies(info) or not selected(info, check, only):
            continue
        r = run_check(info, check, profile, seed)
        rep.results.append(r)
        if progress:
            progress(info, r)
    rep.seconds = time.perf_counter() - t0
    return rep

