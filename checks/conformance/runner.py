"""The validation runner: smoke-test each adapter, run every applicable check, diagnose failures.

Both faces (``vanishing validate`` and the pytest plugin) call :func:`validate_adapter`.
Each property check runs once under a Hypothesis profile (``ci``: derandomized), which
searches for a failing case. The case is then shrunk by ``cases.shrink``: fewer steps,
fewer hidden units, fewer inputs, zeroed and rounded arrays, at most
:data:`SHRINK_BUDGET` evaluations (Hypothesis's own shrinker would spend hundreds of
generated cases at ~10 ms each on 100-float cases, too slow for a 60-second run), so
the counterexample is small, always a real failure, and the time stays bounded.

An adapter that misbehaves never stops the run (docs/VALIDATE.md, "Adapters that misbehave"): every call
has a time limit (:mod:`.timeouts`); a call that raises, returns a malformed or non-finite result, or writes
to its arguments fails the check on that case, with a diagnosis naming what happened; a failing case is
called twice, and an adapter whose two answers differ is reported as nondeterministic (its failure is then
not shrunk or diagnosed further); a call that times out makes the adapter *broken* (status "broken", exit
2): its remaining checks are not run.
"""

import fnmatch
import time
from dataclasses import dataclass, field

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FlakyFailure

from vanishing.checks import profiles, recording, tolerances
from vanishing.checks.conformance import diagnosis
from vanishing.checks.conformance.cases import shrink, simple_stack_case
from vanishing.checks.conformance.checks import CHECKS, stack_shapes
from vanishing.checks.conformance.compare import Mismatch
from vanishing.checks.conformance.protocol import (
    AdapterError,
    CallError,
    CallTimeout,
    Run,
    call_clip_norm,
    call_clip_value,
    call_forward,
    call_stack,
    call_step,
    call_vjp,
    param_shapes,
)

__all__ = ["FORWARD_ONLY", "NOT_APPLICABLE", "SHRINK_BUDGET", "AdapterReport", "CheckResult", "Plan", "run_check", "selected", "smoke", "validate_adapter"]

#: Evaluations allowed while shrinking a failing case (each costs about one reference VJP).
SHRINK_BUDGET = 40

#: The status of a check that does not apply: a gradient check of a forward-only adapter (``gradients = False``).
NOT_APPLICABLE = "n/a"
FORWARD_ONLY = "the adapter is forward-only (gradients = False: an inference runtime), and this check needs its gradients"


@dataclass
class CheckResult:
    adapter: str
    check: str
    claim: str
    status: str                 # "pass", "fail", "broken" (an adapter call timed out), "error" (vanishing's own) or
                                # "n/a" (does not apply: a gradient check of a forward-only adapter; not run)
    examples: int = 0
    seconds: float = 0.0
    lines: list = field(default_factory=list)       # what differs, and where
    diagnosis: list = field(default_factory=list)
    notes: list = field(default_factory=list)       # facts found on the way (e.g. PyTorch's ε)
    counterexample: object = None                   # the shrunk case (Case / ClipCase)
    reproduce: dict = field(default_factory=dict)   # {"command": ..., "python": ...}
    max_ratio: float = 0.0                          # worst |error|/allowed seen over all comparisons
    shrink_evaluations: int = 0
    shrunk: bool = True                             # False: the counterexample is as found (nondeterminism, timeout)

    def to_json(self):
        return {"adapter": self.adapter, "check": self.check, "claim": self.claim, "status": self.status,
                "examples": self.examples, "seconds": round(self.seconds, 3), "message": self.lines,
                "diagnosis": self.diagnosis, "notes": self.notes,
                "counterexample": self.counterexample.to_json() if self.counterexample is not None else None,
                "shrink_evaluations": self.shrink_evaluations, "shrunk": self.shrunk,
                "reproduce": self.reproduce or None, "max_error_over_tolerance": self.max_ratio}

    def text(self):
        if self.status == NOT_APPLICABLE:
            return f"N/A   {self.adapter} / {self.check}  (does not apply: {self.lines[0]})"
        head = f"{self.status.upper():5} {self.adapter} / {self.check}  ({self.examples} examples, {self.seconds:.2f}s)"
        out = [head]
        if self.status != "pass":
            out.append(f"      claim: {self.claim}")
            out += [f"      {ln}" for ln in self.lines]
            out += [f"      {ln}" for ln in self.diagnosis]
            if self.counterexample is not None:
                how = "shrunk" if self.shrunk else "as found, not shrunk"
                out.append(f"      counterexample ({how}): {self.counterexample.brief()}")
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
    broken: str = ""            # one line when the adapter is broken (exit 2): smoke test failed, or a call timed out
    seconds: float = 0.0

    @property
    def ok(self):
        """No check failed (a check that does not apply is neither passed nor failed)."""
        return not self.broken and all(r.status in ("pass", NOT_APPLICABLE) for r in self.results)

    def to_json(self):
        return {**self.info.to_dict(), "broken": self.broken or None, "conforms": self.ok, "seconds": round(self.seconds, 3),
                "checks": [r.to_json() for r in self.results]}


def _leaves(value, label="", names=None):
    """(label, float64 array) pairs of a call's validated result (tuples, lists, dicts, arrays, numbers); ``names``
    label the top-level items. (Not ``autograd.misc.flatten``: the report names the entry that differs.)"""
    if value is None:   # a forward-only stack's gradients
        return []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, f"{label}[{k!r}]")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value)
                for p in _leaves(v, names[i] if names and i < len(names) else f"{label}[{i}]")]
    return [(label, np.asarray(value, dtype=np.float64))]


#: The names of each method's results, for the reports (a cell's forward and step: its row's outputs and state).
_RESULTS = {"clip_grad_norm": ("clipped", "total_norm"), "run": ("outputs", "gradients")}


def _result_names(info, method):
    if info.is_cell and method in ("forward", "step"):
        return info.row.outputs if method == "forward" else info.row.state
    return _RESULTS.get(method)


def _twice(run, method, call):
    """``call()`` twice; raises CallError(fault="nondeterministic") when the two results differ beyond rounding
    (2^8 ulps of the adapter's dtype, relative to the larger value: summation order may legitimately vary)."""
    info = run.info
    first, second = call(), call()
    names = _result_names(info, method)
    for (label, a), (_, b) in zip(_leaves(first, names=names), _leaves(second, names=names)):
        scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
        tol = tolerances.analytic(info.dtype, scale=scale)
        d = np.abs(a - b)
        if np.any(d > tol.bound(b)):
            raise CallError(f"{info.name}.{method} is nondeterministic: two calls with the same arguments returned different "
                            f"values ({label or 'the result'} differs by up to {float(np.max(d)):.3g}, beyond rounding: {tol.reason}); "
                            "a random operation (dropout left in training mode, noise, random initialisation inside the call) "
                            "or memory read before it is written (np.empty) is a candidate", fault="nondeterministic")
    return first


SMOKE_CASE = "the smoke test's ordinary input (H=2, D=3, T=3, entries in [-1, 1])"


def smoke(run):
    """Two ordinary calls of every method (H=2, D=3, T=3, small values), their results compared: raises
    AdapterError on the first problem (a call that raises, times out, returns a malformed or non-finite result,
    writes to its arguments or answers the same call differently)."""
    info = run.info
    rng = np.random.default_rng(0)
    try:
        if info.is_cell:
            H, D, T = 2, 3, 3
            P = {k: rng.uniform(-0.5, 0.5, s) for k, s in param_shapes(info.kind, H, D, info.param_set).items()}
            s0 = tuple(rng.uniform(0.1, 0.5, sh) for sh in info.row.shapes_of_state(H, D))   # > 0: log-space cells too
            xs = rng.uniform(-1, 1, (T, D))
            out = _twice(run, "forward", lambda: call_forward(run, P, s0, xs))
            _twice(run, "step", lambda: call_step(run, P, s0, xs[0]))
            if info.gradients:
                _twice(run, "vjp", lambda: call_vjp(run, P, s0, xs, tuple(np.ones_like(o) for o in out)))
        if info.kind == "stack":
            case = simple_stack_case(info.cell, info.config, info.dtype, info.obj.param_shapes)
            _twice(run, "run", lambda: call_stack(run, case.params, case.xs, case.h0, case.c0, case.cot, stack_shapes(case)))
        grads = [rng.uniform(-1, 1, (2, 2)), rng.uniform(-1, 1, 3)]
        if info.has_clip_norm:
            _twice(run, "clip_grad_norm", lambda: call_clip_norm(run, grads, 0.5))
        if info.has_clip_value:
            _twice(run, "clip_grad_value", lambda: call_clip_value(run, grads, 0.5))
    except CallTimeout as e:
        raise AdapterError(f"{info.name}: {e} on {SMOKE_CASE}") from None
    except CallError as e:
        raise AdapterError(str(e)) from None


def _repeat_differs(run, check, case):
    """The nondeterminism line when two calls on ``case`` (each method the check uses) disagree, else None."""
    for method, call in check.calls(run, case):
        try:
            _twice(run, method, call)
        except CallTimeout:
            raise
        except CallError as e:
            if e.fault == "nondeterministic":
                return str(e)
    return None


#: What a failed call on a check's case says about the implementation (it passed the smoke test).
_FAULTS = {
    "raised": "the call raised on this input, though not on the smoke test's ordinary one: an input-dependent failure "
              "(the counterexample is the smallest input found that still makes it raise)",
    "non-finite": "NaN or inf on this input, where the reference is finite (the smoke test's values were finite)",
    "shape": "a result of the wrong shape on this input only (the smoke test's was right): a size-dependent code path "
             "(squeeze() at H = 1 or D = 1, a hard-coded size, a slice that depends on T) is a candidate",
    "dtype": "a result of the wrong dtype on this input only (the smoke test's was right): a promotion on some path "
             "(a float64 constant or an integer array meeting float32 values) is a candidate",
    "mutated": "the call wrote to its input arrays on this input (not on the smoke test's): an in-place operation "
               "(x *= ..., out=..., PyTorch's add_ on a tensor made by torch.from_numpy, which shares memory) on an "
               "argument or a view of one is a candidate",
    "malformed": "a malformed result on this input only (the smoke test's was well formed)",
}


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
              deadline=None,   # each adapter call has its own time limit (timeouts.py), reported as such
              phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target),   # shrinking: cases.shrink, budgeted
              suppress_health_check=list(base.suppress_health_check) + [HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                                          HealthCheck.data_too_large])
    if check.max_examples:
        kw["max_examples"] = min(base.max_examples, check.max_examples)
    return settings(**kw)


def evaluate(run, check, case):
    """The check's body on one case: None (it conforms), or the Mismatch (a call that failed is a "crash" one)."""
    try:
        check.body(run, case)
    except Mismatch as m:
        return m
    except CallTimeout as e:   # not a failing case: the adapter is broken, and the run goes on without it
        e.case = getattr(e, "case", None) or case
        run.timed_out_case = run.timed_out_case or e.case
        raise
    except CallError as e:
        m = Mismatch("crash", [str(e)], case)
        m.fault = e.fault
        return m
    return None


def _run_property(run, check, profile, seed):
    """(examples, Mismatch or None, shrink evaluations, nondeterminism line or None) for one property check.

    A CallTimeout propagates (with its case), after Hypothesis's replay of it, which costs nothing: the adapter
    is not called again once a call has timed out."""
    state = {"n": 0, "first": None}
    # prop (below) must keep its source, so it still calls _evaluate(info, check, case): here that name runs this run's
    # check (the declaration ``info`` is what the strategy reads).
    info = run.info

    def _evaluate(info, check, case):
        return evaluate(run, check, case)

    # Leave prop's source as it is: with a derandomized profile (ci), Hypothesis derives the seed from it, so an
    # edit changes every example every check draws. A CallTimeout from _evaluate goes through it and out of test().
    @given(case=check.strategy(info))
    def prop(case):
        if state["first"] is None:
            state["n"] += 1
        m = _evaluate(info, check, case)
        if m is not None:
            state["first"] = state["first"] or m
            raise m.fresh()
    for case in reversed(check.kept(info)):   # applied here, not above prop (its source stays); the first runs first
        prop = hypothesis.example(case=case)(prop)
    test = _settings(profile, check)(prop)
    if seed is not None:
        test = hypothesis.seed(seed)(test)
    try:
        test()
    except Mismatch:
        pass
    except FlakyFailure:   # the failing case passed when Hypothesis replayed it: a nondeterministic
        if state["first"] is None:           # adapter, which _repeat_differs below names
            if run.timed_out:                # (or a timeout, replayed as one from elsewhere)
                raise CallTimeout("", run.timed_out, run.call_timeout) from None
            raise
    first = state["first"]
    if first is None:
        return state["n"], None, 0, None
    flaky = _repeat_differs(run, check, first.case)
    if flaky:   # the shrinker and the diagnosis would chase noise
        return state["n"], first, 0, flaky
    _, m, used = shrink(first.case, lambda c: evaluate(run, check, c), budget=SHRINK_BUDGET)
    return state["n"], (m or first), used, None


def _snippet(info, check, case):
    lines = ["import numpy as np", "from vanishing.checks.conformance import load, reference",
             f"adapter = [a for a in load({info.origin!r}) if a.name == {info.name!r}][0].obj"]
    return "\n".join(lines + case.source() + check.snippet(info, case))


def _command(info, check, profile, seed):
    cmd = f"vanishing validate {info.origin} --only '{info.name}/{check.name}' --profile {profile}"
    return cmd + (f" --seed {seed}" if seed is not None else "")


def _timed_out(run, check, e, profile, seed, t0):
    """The result of a check during which an adapter call timed out (status "broken")."""
    info = run.info
    case = getattr(e, "case", None) or run.timed_out_case
    where = f"on case {case!r} (check {check.name})" if case is not None else f"during check {check.name}"
    line = (f"{info.name}: {e} {where}; the adapter's remaining checks are not run (the limit: --call-timeout, "
            f"now {run.call_timeout:g} s)")
    r = CheckResult(info.name, check.name, check.claim, "broken", 0, time.perf_counter() - t0, lines=[line], shrunk=False)
    if case is not None:
        r.counterexample = case
        r.reproduce = {"command": _command(info, check, profile, seed)}
    return r


def run_check(run, check, profile, seed):
    """One CheckResult; an error inside vanishing itself becomes status "error" (exit 2), never a crash of the run;
    an adapter call that times out gives status "broken" (exit 2), and later checks of that adapter are not run."""
    info = run.info
    t0 = time.perf_counter()
    if run.timed_out:
        return CheckResult(info.name, check.name, check.claim, "broken", 0, 0.0,
                           lines=[f"{info.name}: not run: an earlier {run.timed_out}"])
    try:
        r = _run_check(run, check, profile, seed, t0)
    except CallTimeout as e:
        return _timed_out(run, check, e, profile, seed, t0)
    except Exception as e:  # our bug, not the adapter's: report it with what reproduces it
        profiles.reraise_interrupt(e)
        import traceback
        where = traceback.extract_tb(e.__traceback__)[-1]
        return CheckResult(info.name, check.name, check.claim, "error", 0, time.perf_counter() - t0,
                           lines=[f"internal error in vanishing ({type(e).__name__}: {' '.join(str(e).split())[:200]} at "
                                  f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}); please report it with: "
                                  f"{_command(info, check, profile, seed)}"])
    if run.timed_out:   # a call timed out inside the diagnosis (whose own calls do not stop on it)
        return _timed_out(run, check, CallTimeout("", run.timed_out, run.call_timeout), profile, seed, t0)
    return r


def _run_check(run, check, profile, seed, t0):
    info = run.info
    with recording.recording() as rec:
        if check.once is not None:
            try:
                lines, notes = check.once(run)
            except CallError as e:
                lines, notes = [str(e)], []
            out = CheckResult(info.name, check.name, check.claim, "fail" if lines else "pass", 1, lines=lines, notes=notes)
        else:
            n, m, used, flaky = _run_property(run, check, profile, seed)
            out = CheckResult(info.name, check.name, check.claim, "pass" if m is None else "fail", n)
            if m is not None:
                out.lines = m.lines
                out.counterexample = m.case
                out.shrink_evaluations = used
                if flaky:
                    out.shrunk = False
                    out.diagnosis = [f"diagnosis: {flaky}; this failure was therefore not shrunk or matched against "
                                     "known bugs"]
                elif m.what == "crash":
                    fault = getattr(m, "fault", "malformed")
                    out.diagnosis = [f"diagnosis: {_FAULTS.get(fault, _FAULTS['malformed'])}"] + diagnosis.diagnose(run, m, check.method)
                else:
                    out.diagnosis = diagnosis.diagnose(run, m, check.method)
                out.reproduce = {"command": _command(info, check, profile, seed), "python": _snippet(info, check, m.case)}
            else:
                out.notes = check.notes(run)
    out.max_ratio = rec.max_ratio
    out.seconds = time.perf_counter() - t0
    return out


class Step:
    """One step of a plan: ``name`` ("smoke", "reference" or a check's), its ``check`` (or None), and ``run()``."""

    def __init__(self, name, run, check=None):
        self.name, self.run, self.check = name, run, check


class Plan:
    """The validation of one adapter as a sequence of steps: smoke test → reference cross-check → each check.

    Both faces consume :meth:`steps`: ``validate_adapter`` (the CLI) runs them in order; the pytest plugin runs the
    smoke test at collection and makes one item of each check step (each runs the memoised cross-check first).
    ``broken``: the one line of a broken adapter (the smoke test failed, or a call timed out)."""

    def __init__(self, info, profile=None, seed=None, only=None, call_timeout=None):
        self.run = Run(info, call_timeout)
        self.profile, self.seed = profiles.resolve(profile, seed)
        self.only = only
        self.broken = ""
        self.unsound = False     # the reference cross-check failed

    @property
    def checks(self):
        """The checks that apply to the adapter and are selected by ``only``, in the order they run."""
        return [c for c in CHECKS if c.applies(self.run.info) and selected(self.run.info, c, self.only)]

    def smoke(self):
        """The smoke test: "" when the adapter answers ordinary calls well, else the one line saying why not."""
        try:
            smoke(self.run)
        except AdapterError as e:
            self.broken = str(e)
        return self.broken

    def reference(self):
        """The reference cross-check (crosscheck.py): None when the reference is sound, else the "reference" result
        (status "error": vanishing's bug), after which no check runs."""
        from vanishing.checks.conformance import crosscheck
        t0 = time.perf_counter()
        bugs = crosscheck.findings(self.run.info)
        if not bugs:
            return None
        self.unsound = True
        return CheckResult(self.run.info.name, "reference", crosscheck.CLAIM, "error", 1, time.perf_counter() - t0,
                           lines=crosscheck.message(bugs))

    def check(self, check):
        info = self.run.info
        if not info.gradients and check.needs_gradients(info):
            return CheckResult(info.name, check.name, check.claim, NOT_APPLICABLE, 0, 0.0, lines=[FORWARD_ONLY])
        r = run_check(self.run, check, self.profile, self.seed)
        if r.status == "broken":
            self.broken = r.lines[0]
        return r

    def steps(self):
        """The steps, generated as the run goes: none after a broken smoke test, a failed cross-check or a timeout."""
        yield Step("smoke", self.smoke)
        if self.broken:
            return
        todo = self.checks
        if not todo:
            return
        # The reference itself is cross-checked first: if it is wrong, every verdict would blame the user.
        yield Step("reference", self.reference)
        for check in todo:
            if self.broken or self.unsound:
                return
            yield Step(check.name, lambda c=check: self.check(c), check)


def validate_adapter(info, profile=None, seed=None, only=None, progress=None, call_timeout=None):
    """Smoke-test ``info`` then run every applicable, selected check; returns an :class:`AdapterReport`.

    ``call_timeout``: seconds allowed per adapter call (default 30 s; 0: no limit). The first call that times out
    ends the adapter's validation: ``report.broken`` says which call, on which case."""
    plan = Plan(info, profile, seed, only, call_timeout)
    rep = AdapterReport(info)
    t0 = time.perf_counter()
    said = {}
    for step in plan.steps():
        r = step.run()
        if isinstance(r, CheckResult):
            diagnosis.once_per_adapter(r, said)
            rep.results.append(r)
            if progress:
                progress(info, r)
    rep.broken = plan.broken
    rep.seconds = time.perf_counter() - t0
    return rep
