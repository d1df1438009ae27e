"""The one runner: ``vanishing verify`` and pytest both call :func:`run_claim`.

Data flows one way: spec record → check → oracles → :class:`Outcome` → report.
"""

import difflib
import functools
import time
from dataclasses import dataclass, field

import hypothesis
from hypothesis import Phase, settings
from hypothesis.errors import HypothesisException, UnsatisfiedAssumption

from vanishing import spec as spec_mod
from vanishing.checks import profiles, recording
from vanishing.checks.assertions import Counterexample
from vanishing.checks.recording import Recorder
from vanishing.checks.registry import load_checks

__all__ = ["Outcome", "PropertyResult", "run_claim", "audit_spec", "run_all", "catalogue", "resolve_ids", "UnknownClaim"]


#: The thorough profile's promise: at least this many examples per property, caps notwithstanding.
THOROUGH_MIN = 1000


class UnknownClaim(ValueError):
    """An ID that is not in the catalogue; the message lists the closest IDs."""


@dataclass
class PropertyResult:
    name: str
    expect: str              # "holds" or "fails"
    observed: str            # "held", "falsified" or "error"
    examples: int
    counterexample: str = ""
    message: str = ""
    shrink_cut: int = 0      # the shrink budget, when it ran out before the counterexample was fully shrunk; else 0

    @property
    def shrink_note(self):
        """What the output says when shrinking was cut short ("" otherwise)."""
        if not self.shrink_cut:
            return ""
        return f"counterexample not fully shrunk: shrink budget of {self.shrink_cut} calls reached"

    @property
    def as_expected(self):
        must_hold = self.expect in ("holds", "negation")
        return (must_hold and self.observed == "held") or (self.expect == "fails" and self.observed == "falsified")


@dataclass
class Outcome:
    claim: spec_mod.Claim
    properties: list
    seconds: float
    profile: str
    seed: object
    evidence: list = field(default_factory=list)   # graded evidence, strongest first (checks/evidence; "property" last)
    problems: list = field(default_factory=list)   # metadata inconsistencies (e.g. an oracle listed but unused)
    stopped: str = ""        # what was not run once the outcome was decided (run_claim's stop_early), in words
    # What the run saw (recording.Recorder.absorb over the properties): the worst comparison of what must hold, the
    # oracles used, the claim's margin, the FD entries compared and capped, the data sets read (the provenance).
    recorder: Recorder = field(default_factory=Recorder)

    @property
    def reproduce(self):
        """The command that re-runs exactly this claim, with its profile and seed."""
        cmd = f"vanishing verify --only {self.claim.id} --profile {self.profile}"
        if self.seed != "derandomized":
            cmd += f" --seed {self.seed}"
        return cmd

    @property
    def examples(self):
        return sum(p.examples for p in self.properties)

    @property
    def consistent(self):
        """True when what the run observed agrees with the recorded verdict."""
        return not self.problems and all(p.as_expected for p in self.properties)

    @property
    def outcome(self):
        return "pass" if self.consistent else "fail"

    @property
    def observed(self):
        """What the run saw, in words: holds / refuted / refuted; the precise statement holds / ..."""
        if any(p.observed == "error" for p in self.properties):
            return "error"
        held = [p for p in self.properties if p.expect == "holds"]
        lit = [p for p in self.properties if p.expect == "fails"]
        neg = [p for p in self.properties if p.expect == "negation"]
        held_ok = all(p.observed == "held" for p in held)
        if neg:
            ok = all(p.observed == "held" for p in neg)
            return ("refuted: its negation holds on every input" if ok else "its negation fails") + ("" if held_ok else "; the precise statement fails")
        if not lit:
            return "holds" if held_ok else "fails"
        if all(p.observed == "falsified" for p in lit):
            what = "the literal statement is refuted" if self.claim.verdict == "corrected" else "refuted"
            if not held:
                return what
            return f"{what}; the precise statement holds" if held_ok else f"{what}; the precise statement fails too"
        return "statement not refuted" + ("" if held_ok else "; the precise statement fails")

    @property
    def counterexamples(self):
        return [f"{p.name}: {p.counterexample}" + (f" ({p.shrink_note})" if p.shrink_note else "")
                for p in self.properties if p.counterexample]

    def summary(self):
        """One paragraph: what contradicts the verdict, if anything."""
        lines = []
        for p in self.properties:
            if not p.as_expected:
                want = "be falsified" if p.expect == "fails" else "hold"
                lines.append(f"{self.claim.id}: property {p.name!r} should {want} but {p.observed}. {p.message}".strip())
                if p.counterexample:
                    lines.append(f"  counterexample: {p.counterexample}")
                if p.shrink_note:
                    lines.append(f"  ({p.shrink_note})")
        lines += [f"{self.claim.id}: {m}" for m in self.problems]
        if lines:
            if self.stopped:
                lines.append(f"  stopped at the first contradiction: {self.stopped}")
            lines.append(f"  reproduce: {self.reproduce}")
        return "\n".join(lines)


def catalogue():
    """``{id: Claim}`` for the whole catalogue, with checks loaded."""
    load_checks()
    return {c.id: c for c in spec_mod.load_catalogue()}


def resolve_ids(ids, cat=None):
    """Validate claim IDs; an unknown one raises UnknownClaim listing the closest IDs."""
    cat = cat if cat is not None else catalogue()
    out = []
    for i in ids:
        i = i.strip().upper()            # IDs are upper case; accept act-tanh-range too
        if i not in cat:
            close = difflib.get_close_matches(i, list(cat), n=5, cutoff=0.4) or sorted(k for k in cat if k.split("-")[0] == i.split("-")[0])[:5]
            raise UnknownClaim(f"unknown claim ID {i!r}; closest: {', '.join(close) if close else '(none)'}")
        out.append(i)
    return out


def _falsifying_note(exc):
    # Hypothesis writes "Falsifying example: ..." (older) or "Failing test case: ..." (6.1xx) as a PEP 678 note.
    notes = [n for n in getattr(exc, "__notes__", []) if n.startswith(("Falsifying", "Failing"))]
    return " ".join(" ".join(n.split()) for n in notes)


def _is_final_replay():
    """True while Hypothesis replays the minimal failing example to report it (its ``is_final`` run)."""
    from hypothesis.control import current_build_context
    return current_build_context().is_final


class _ShrinkBudgetSpent(BaseException):
    """Raised inside the test once the shrink budget is spent: ends Hypothesis's run at once.

    A BaseException, like KeyboardInterrupt, so that Hypothesis does not take it for a failure of
    the test; :func:`_run_once` reports the last failure the test really raised instead.
    """


def _run_once(prop, base, seed, shrink, phases=None, budget=None):
    """Run one property once; returns (kind, examples, counterexample note, message, shrink cut).

    ``budget``: once the test has failed, at most this many more calls run it (the first replays
    the failure to confirm it; the rest shrink it). The next call ends Hypothesis's run, and the
    last failure the test raised is reported: a genuine failing input, not necessarily the
    smallest ("shrink cut" is then the budget, else 0). Each shrinking attempt draws a whole new
    input, so stopping the run, not merely rejecting the attempts, is what keeps a failure
    as quick to report as a pass. ``None``: Hypothesis's own limits.
    """
    count = [0]
    after = {"failed": None, "calls": 0}
    inner = prop.test.hypothesis.inner_test

    @functools.wraps(inner)   # Hypothesis names the property in its counterexample note
    def counted(*a, **kw):
        if after["failed"] is not None and budget is not None and not _is_final_replay():
            if after["calls"] >= budget:
                raise _ShrinkBudgetSpent()
            after["calls"] += 1
        count[0] += 1
        try:
            with recording.example_input(kw):      # a margin names the input that reached it
                return inner(*a, **kw)
        except UnsatisfiedAssumption:
            raise
        except Exception as e:
            after["failed"] = (e, dict(kw))
            raise
    prop.test.hypothesis.inner_test = counted
    if phases is None:
        phases = tuple(Phase) if shrink else (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
    kw = dict(parent=base, report_multiple_bugs=False, phases=phases)
    if prop.max_examples and base.max_examples < THOROUGH_MIN:
        # A cap is a budget for the quick profiles; the thorough profile always runs its full count.
        kw["max_examples"] = min(base.max_examples, prop.max_examples)
    saved = getattr(prop.test, "_hypothesis_internal_use_settings", None)
    test = settings(**kw)(prop.test)
    if seed is not None:
        test = hypothesis.seed(seed)(test)
    try:
        test()
    except _ShrinkBudgetSpent:
        e, case = after["failed"]
        shown = ", ".join(f"{k}={' '.join(repr(v).split())}" for k, v in case.items())
        kind, note, msg = _failure(e, f"Falsifying example: {prop.name}({shown[:2000]})")
        return kind, count[0], note, msg, budget
    except (HypothesisException, Exception) as e:  # a model error, an unsatisfiable strategy, a health check
        profiles.reraise_interrupt(e)
        kind, note, msg = _failure(e, _falsifying_note(e))
        return kind, count[0], note, msg, 0
    finally:
        prop.test.hypothesis.inner_test = inner
        # settings() marks the test as decorated and refuses a second application; a property is run
        # several times (once, then once per kept @example), so undo the mark and restore its settings.
        if hasattr(prop.test, "_hypothesis_internal_settings_applied"):
            del prop.test._hypothesis_internal_settings_applied
        prop.test._hypothesis_internal_use_settings = saved
    return "passed", count[0], "", "", 0


def _failure(e, note):
    """(kind, note, message) of a test's failure: a Counterexample refutes, another AssertionError is an assertion."""
    msg = " ".join(str(e).split())[:2000]
    if isinstance(e, Counterexample):
        return "counterexample", note, msg
    if isinstance(e, AssertionError):
        return "assertion", note, msg
    return "error", note, f"{type(e).__name__}: {msg}"


def _shown(example):
    kw = getattr(example, "kwargs", {}) or {}
    return ", ".join(f"{k}={' '.join(repr(v).split())[:80]}" for k, v in kw.items())


def _run_property(prop, base, seed, shrink, budget=None):
    """Run a property; a refutes property must be falsified by a Counterexample, and so must each of its @examples.

    ``budget``: the shrink budget (:func:`_run_once`); None leaves shrinking to Hypothesis's own limits.
    """
    if prop.expect in ("holds", "negation"):
        kind, n, note, msg, cut = _run_once(prop, base, seed, shrink, budget=budget)
        observed = {"passed": "held", "assertion": "falsified", "counterexample": "falsified"}.get(kind, "error")
        return PropertyResult(prop.name, prop.expect, observed, n, note, msg, cut)
    kind, n, note, msg, cut = _run_once(prop, base, seed, shrink, budget=budget)
    if kind == "assertion":
        return PropertyResult(prop.name, prop.expect, "error", n, note,
                              "an assertion other than the literal statement failed (a premise or an oracle; "
                              "premises must be assume(), the statement literal()): " + msg, cut)
    if kind != "counterexample":
        return PropertyResult(prop.name, prop.expect, "held" if kind == "passed" else "error", n, note, msg, cut)
    # Every kept counterexample must refute on its own (Hypothesis stops at the first failing @example).
    examples = getattr(prop.test.hypothesis.inner_test, "hypothesis_explicit_examples", None)
    if examples and len(examples) > 1:
        kept = list(examples)
        try:
            for i, ex in enumerate(kept):
                examples[:] = [ex]
                k, m, _, mm, _ = _run_once(prop, base, seed, shrink, phases=(Phase.explicit,))
                n += m
                if k != "counterexample":
                    return PropertyResult(prop.name, prop.expect, "error", n, note,
                                          f"kept @example({_shown(ex)}) no longer refutes the statement ({k}) {mm}".strip(), cut)
        finally:
            examples[:] = kept
    return PropertyResult(prop.name, prop.expect, "falsified", n, note, msg, cut)


def _property_evidence(results, name, seconds, margin, ranges=()):
    """The Hypothesis run as the weakest level of evidence: examples, properties, worst margin; its scope's sizes are the
    ranges the search drew from (the record's hypotheses state them)."""
    ok = all(p.as_expected for p in results)
    n = sum(p.examples for p in results)
    summary = f"Hypothesis, {name} profile: {n} examples over {len(results)} propert{'y' if len(results) == 1 else 'ies'}"
    if margin:
        summary += f"; worst margin of its own inequality {margin['worst_ratio']:.6g}"
    detail = "; ".join(f"{p.name}: {p.expect}, {p.observed} ({p.examples} examples)" for p in results)
    scope = {"sizes": list(ranges) or ["the check's strategies (the record states no ranges)"],
             "steps": [f"{p.name}: {p.examples} examples, {p.observed}" for p in results], "tied": [], "hypotheses": []}
    return {"level": "property", "status": "passed" if ok else "failed", "summary": summary, "detail": detail,
            "seconds": round(seconds, 4), "scope": scope}


def run_claim(claim, profile=None, seed=None, overrides=None, shrink=True, stop_early=True, evidence=True):
    """Run one claim's check (``claim``: an ID or a Claim) and return its :class:`Outcome`.

    ``profile`` names a Hypothesis profile (default: the one currently loaded);
    ``seed`` fixes Hypothesis's seed for non-derandomized profiles (default: a
    fresh random seed, recorded in the outcome). ``overrides`` swaps subject
    functions (used by the meta-tests to plant violations).
    ``shrink``: shrink a counterexample, within the profile's shrink budget
    (:func:`vanishing.checks.profiles.shrink_budget`); False: report it as found.
    ``stop_early`` (the default): once a property contradicts the verdict, the outcome is
    decided, so the remaining properties and the graded evidence are not run, and
    :attr:`Outcome.stopped` says so; a passing run is unaffected. False runs everything.
    ``evidence`` also runs the claim's graded evidence (symbolic proofs, interval certificates:
    ``vanishing.checks.evidence``) against the same subject; evidence that fails or errs makes
    the outcome contradict the verdict.
    """
    checks = load_checks()
    if isinstance(claim, str):
        claim = catalogue()[resolve_ids([claim])[0]]
    if claim.id not in checks:
        raise LookupError(f"claim {claim.id} ({claim.file}) has no check in vanishing.checks.claims")
    # the profile pytest or the CLI loaded (Hypothesis keeps its name privately; fall back to ci)
    name, seed = profiles.resolve(profile or getattr(settings, "_current_profile", None), seed)
    base = settings.get_profile(name)
    seed = "derandomized" if seed is None else seed
    t0 = time.perf_counter()
    props = checks[claim.id].properties(overrides, profile=name, seed=seed)
    results, seen = [], Recorder(oracles={"hypothesis"})
    for p in props:
        if stop_early and results and not results[-1].as_expected:
            break
        limit = min(base.max_examples, p.max_examples) if p.max_examples and base.max_examples < THOROUGH_MIN else base.max_examples
        budget = profiles.shrink_budget(name, limit) if shrink else None
        with recording.recording() as rec:
            results.append(_run_property(p, base, None if seed == "derandomized" else seed, shrink, budget))
        seen.absorb(rec, p.expect)
    graded = [_property_evidence(results, name, time.perf_counter() - t0, seen.margin(), claim.hypotheses)]
    decided = stop_early and any(not r.as_expected for r in results)
    skipped = [p.name for p in props[len(results):]]
    stopped = ", ".join([f"propert{'y' if len(skipped) == 1 else 'ies'} {', '.join(skipped)} not run"] if skipped else [])
    if decided and evidence:
        from vanishing.checks import evidence as evidence_mod
        levels = evidence_mod.levels(claim.id)
        if levels:
            stopped = ", ".join(filter(None, [stopped, f"graded evidence ({', '.join(levels)}) not run"]))
    if evidence and not decided:
        from vanishing.checks import evidence as evidence_mod   # SymPy: imported only when evidence runs
        graded = [r.to_json() for r in evidence_mod.run(claim.id, overrides=overrides, profile=name)] + graded
    out = Outcome(claim=claim, properties=results, seconds=time.perf_counter() - t0, profile=name, seed=seed,
                  evidence=graded, stopped=stopped, recorder=seen)
    out.problems += [f"{e['level']} evidence {e['status']}: {e['summary']}" for e in graded
                     if e["level"] != "property" and e["status"] not in ("passed", "not run")]
    out.problems += audit_spec(claim, props, seen, complete=not (stop_early and len(results) < len(props)))
    return out


def audit_spec(claim, props, seen, complete=True):
    """What the claim's record says and its check's run contradicts, in words: oracles listed but unused, a
    tolerance_reason without an override (or the reverse), properties the verdict needs. ``seen``: the run's
    Recorder; ``complete``: every property ran (a partial run, stopped early, may not reach an override)."""
    problems = []
    used = sorted(seen.oracles)
    unused = sorted(set(claim.oracles) - set(used))
    if unused:
        problems.append(f"the spec lists oracle(s) {unused} but the check never used them (used: {used})")
    # tolerance_reason: set exactly when an override tolerance was used
    if seen.overrides and not claim.tolerance_reason.strip():
        problems.append(f"the check used override tolerance(s) but the spec gives no tolerance_reason: {sorted(seen.overrides)[:2]}")
    if claim.tolerance_reason.strip() and not seen.overrides and complete:
        problems.append("the spec gives a tolerance_reason but the check used no override tolerance (tolerances.override)")
    kinds = {p.expect for p in props}
    want = {"verified": {"holds"}, "corrected": {"holds", "fails"}, "refuted": {"fails"}}[claim.verdict]
    ok = bool(kinds & {"fails", "negation"}) if claim.verdict == "refuted" else kinds == want
    if not ok:
        problems.append(f"verdict {claim.verdict!r} needs properties {sorted(want)}, the check declares {sorted(kinds)}")
    return problems


def run_all(ids=None, profile=None, seed=None, progress=None):
    """Run many claims (default: all, in catalogue order); ``progress(i, n, outcome)`` after each."""
    cat = catalogue()
    ids = resolve_ids(ids, cat) if ids else list(cat)
    outs = []
    for i, cid in enumerate(ids):
        if progress:
            progress(i, len(ids), None, cid)
        o = run_claim(cat[cid], profile=profile, seed=seed)
        outs.append(o)
        if progress:
            progress(i + 1, len(ids), o, cid)
    return outs
