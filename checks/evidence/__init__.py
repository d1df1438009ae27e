"""Graded evidence behind a verdict: symbolic proofs, interval certificates, exhaustive runs.

Levels, strongest first (docs/EVIDENCE.md):

* ``proof``: SymPy derives the statement from the model's equations, with no floating point,
  and confirms that the model's code computes the symbolic expression (the *tie*).
* ``interval``: mpmath's interval arithmetic (outward rounding) with branch-and-bound
  subdivision proves an inequality over a stated bounded domain.
* ``exhaustive``: a floating-point statement checked on every element of a finite set.
* ``fixed-size``: an exact (symbolic) identity or inequality checked only at the sizes its scope lists
  (for example H = 2): never called ``proof``.
* ``property``: the Hypothesis run itself (produced by the runner, not here).

``proof`` is reserved for a derivation of the statement as stated, for every size it speaks of: its
:class:`Scope` says ``sizes="every"`` (:func:`run` refuses a ``proof`` whose scope lists sizes).

A proof module in this package declares::

    @evidence("ACT-SIGMOID-DERIV-BOUND", "proof", unaffected={},
              statement={"bound": Rational(1, 4)}, wrong={"bound 1/8": {"bound": Rational(1, 8)}})
    def _(s, ctx):
        ...                   # s: the check's subject (same names, plants applied); ctx.st: the statement
        return summary, detail, Scope(sizes="every", steps=(...), tied=(...), hypotheses=(...))

It raises :class:`ProofFailed` (through :func:`ensure`) when the derivation or the tie fails.
Every plant of the claim's check must make the evidence fail, or be named in ``unaffected``
with the reason it changes nothing the evidence covers (tests/checks/test_evidence.py).
``statement`` holds what the claim states (constants, exponents, the direction of an inequality), read by the
build from ``ctx.st``; each entry of ``wrong`` replaces some of it with a wrong statement, and the evidence must
reject every one (``run(..., wrong=name)``; the meta-test in tests/checks/test_evidence.py).
"""

import importlib
import pkgutil
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

from vanishing.checks import recording

__all__ = ["LEGEND", "LEVELS", "PROFILES", "EvidenceResult", "ProofFailed", "Scope", "ensure", "evidence", "levels", "registered",
           "run"]

#: Levels in order of strength; "property" is the Hypothesis run, reported by the runner.
LEVELS = ("proof", "interval", "exhaustive", "fixed-size", "property")
#: What each level means, for the certificate's legend and `vanishing list --evidence`.
LEGEND = {
    "proof": "machine-checked derivation of the statement as stated, for every size it speaks of; every step is code that ran",
    "interval": "interval arithmetic with outward rounding proves the inequality over the domain its scope states",
    "exhaustive": "the floating-point statement checked on every element of a finite set (for example every finite float32)",
    "fixed-size": "an exact identity or inequality checked only at the sizes its scope lists, not for every size",
    "property": "the Hypothesis search: the examples it ran, no more",
}
#: ``ci`` runs every evidence at its ci size; ``thorough`` may use larger sizes or more boxes.
PROFILES = ("ci", "dev", "thorough")

REGISTRY = {}


class ProofFailed(AssertionError):
    """The derivation, the certificate or the tie to the model's code does not hold."""


def ensure(condition, message):
    """Raise :class:`ProofFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ProofFailed(message)


@dataclass(frozen=True)
class Scope:
    """What an evidence covers, as structured fields (shown in the certificate and the JSON)."""
    sizes: object = "every"    # "every", or the sizes it was checked at, e.g. ("H=2", "T=2")
    steps: tuple = ()          # the executed steps, one line each: each is code that ran, never a sentence in its place
    tied: tuple = ()           # where the model's code was compared with the result: sizes, points, magnitudes
    hypotheses: tuple = ()     # the theorem's assumptions (not the property search's ranges)

    def __post_init__(self):
        if self.sizes != "every" and not (isinstance(self.sizes, tuple) and self.sizes
                                          and all(isinstance(x, str) for x in self.sizes)):
            raise ValueError(f"Scope.sizes: expected 'every' or a non-empty tuple of strings, got {self.sizes!r}")
        for name in ("steps", "tied", "hypotheses"):
            v = getattr(self, name)
            if not (isinstance(v, tuple) and all(isinstance(x, str) for x in v)):
                raise ValueError(f"Scope.{name}: expected a tuple of strings, got {v!r}")

    def to_json(self):
        return {"sizes": self.sizes if self.sizes == "every" else list(self.sizes), "steps": list(self.steps),
                "tied": list(self.tied), "hypotheses": list(self.hypotheses)}


def scope_lines(scope):
    """A scope (a Scope or its JSON) as labelled lines for the CLI and the certificate; [] for none."""
    if scope is None:
        return []
    j = scope.to_json() if isinstance(scope, Scope) else scope
    sizes = "every size" if j["sizes"] == "every" else "only " + ", ".join(j["sizes"])
    out = [f"sizes covered: {sizes}"]
    out += [f"step: {x}" for x in j.get("steps", [])]
    out += [f"tied: {x}" for x in j.get("tied", [])]
    out += [f"theorem's hypothesis: {x}" for x in j.get("hypotheses", [])]
    return out


@dataclass(frozen=True)
class EvidenceResult:
    level: str
    status: str          # "passed", "failed", "error", or "not run" (the profile excludes it; never counted as passed)
    summary: str
    detail: str
    seconds: float
    scope: Scope = None  # None only while the evidence failed or erred before returning one

    def to_json(self):
        return {"level": self.level, "status": self.status, "summary": self.summary,
                "detail": self.detail, "seconds": round(self.seconds, 4),
                "scope": self.scope.to_json() if self.scope is not None else None}


@dataclass(frozen=True)
class Evidence:
    claim_id: str
    level: str
    build: object                                   # build(s, ctx) -> (summary, detail, Scope)
    unaffected: dict = field(default_factory=dict)  # plant name -> why the evidence does not cover it
    statement: dict = field(default_factory=dict)   # what the claim states, read by the build as ctx.st
    wrong: dict = field(default_factory=dict)       # name -> overrides of `statement` that make it wrong
    profiles: tuple = PROFILES                      # the profiles it runs in; elsewhere its result is "not run"
    cost: str = ""                                  # what a run costs, said where it does not run

    @property
    def where(self):
        code = getattr(self.build, "__code__", None)
        path = code.co_filename.replace("\\", "/").rsplit("/", 1)[-1] if code else "?"
        return f"{self.build.__module__} (checks/evidence/{path}:{code.co_firstlineno if code else '?'})"


def evidence(claim_id, level, unaffected=None, statement=None, wrong=None, profiles=PROFILES, cost=""):
    """Register ``build(s, ctx)`` as ``level`` evidence of ``claim_id``, with its statement and wrong statements.

    ``profiles``: where it runs (an exhaustive run of minutes only in ``thorough``); elsewhere its result has
    status "not run", saying ``cost``, and is never reported as passed."""
    if level not in LEVELS[:-1]:
        raise ValueError(f"level: expected one of {list(LEVELS[:-1])}, got {level!r}")
    if not profiles or set(profiles) - set(PROFILES):
        raise ValueError(f"{claim_id}: profiles must be a non-empty subset of {list(PROFILES)}, got {profiles!r}")
    statement, wrong = dict(statement or {}), dict(wrong or {})
    for name, over in wrong.items():
        stray = sorted(set(over) - set(statement))
        if not over or stray:
            raise ValueError(f"{claim_id}: wrong statement {name!r} must override names of the statement "
                             f"{sorted(statement)}, got {sorted(over)}")

    def deco(build):
        REGISTRY.setdefault(claim_id, []).append(
            Evidence(claim_id, level, build, dict(unaffected or {}), statement, wrong, tuple(profiles), cost))
        return build
    return deco


def registered():
    """Import every evidence module of this package; returns {claim_id: [Evidence, ...]} (strongest first)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    for items in REGISTRY.values():
        items.sort(key=lambda e: LEVELS.index(e.level))
    return REGISTRY


def levels(claim_id):
    """The levels of evidence registered for ``claim_id``, strongest first, without repeats ("property" is the runner's)."""
    out = []
    for e in registered().get(claim_id, []):
        if e.level not in out:
            out.append(e.level)
    return out


def _subject(claim_id, overrides):
    from vanishing.checks.registry import load_checks

    checks = load_checks()
    if claim_id not in checks:
        raise KeyError(f"{claim_id}: no check registered under this claim ID")
    subject = checks[claim_id].subject
    unknown = sorted(set(overrides or {}) - set(subject))
    if unknown:
        raise KeyError(f"{claim_id}: overrides name unknown subject names {unknown}; subject has {sorted(subject)}")
    return SimpleNamespace(**{**subject, **(overrides or {})})


def _scoped(e, built):
    """The build's (summary, detail, Scope), checked: a ``proof`` must cover every size."""
    if not (isinstance(built, tuple) and len(built) == 3 and isinstance(built[2], Scope)):
        raise TypeError(f"{e.where}: a build returns (summary, detail, Scope), got {type(built).__name__} "
                        f"of {len(built) if isinstance(built, tuple) else '?'}")
    summary, detail, scope = built
    if e.level == "proof" and scope.sizes != "every":
        raise ProofFailed(f"a proof must cover every size, and this one covers only {', '.join(scope.sizes)}: "
                          f"register it as 'fixed-size'")
    return summary, detail, scope


def _run_one(e, s, ctx):
    t0, scope = time.perf_counter(), None
    try:
        with recording.recording():                 # the proof's ties (_sym.agree), read back by _sym.within
            summary, detail, scope = _scoped(e, e.build(s, ctx))
        status = "passed"
    except ProofFailed as exc:
        status, summary, detail = "failed", f"FAILED: {str(exc).splitlines()[0]}", f"{exc} [{e.where}]"
    except Exception as exc:  # noqa: BLE001 (a crash is reported as an error of the evidence, never as a pass)
        status, summary, detail = "error", f"ERROR: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", \
            f"{type(exc).__name__}: {exc} [{e.where}]"
    return EvidenceResult(e.level, status, summary, detail, time.perf_counter() - t0, scope)


def _not_run(e, profile):
    """The result of an evidence its profiles exclude: "not run", with where it runs and its cost (never "passed")."""
    where = ", ".join(e.profiles)
    return EvidenceResult(e.level, "not run", f"not run in {profile} (runs in {where}{'; ' + e.cost if e.cost else ''})",
                          f"{e.level} evidence not run in the {profile} profile: it runs in {where}. {e.cost} [{e.where}]",
                          0.0, Scope(sizes=(f"none: not run in {profile}",), steps=(f"not run in {profile}",)))


def run(claim_id, overrides=None, profile=None, wrong=None):
    """Run every evidence of ``claim_id`` against the check's subject (with ``overrides`` swapped in).

    ``wrong`` names a wrong statement: only the evidence that declares it runs, with that statement planted.
    Returns a list of :class:`EvidenceResult`, strongest level first; empty if none is registered.
    """
    profile = profile or "ci"
    if profile not in PROFILES:
        raise ValueError(f"profile: expected one of {list(PROFILES)}, got {profile!r}")
    items = registered().get(claim_id, [])
    if wrong is not None:
        items = [e for e in items if wrong in e.wrong]
        if not items:
            raise KeyError(f"{claim_id}: no evidence declares the wrong statement {wrong!r}")
    if not items:
        return []
    s = _subject(claim_id, overrides)
    out = []
    for e in items:
        st = {**e.statement, **(e.wrong[wrong] if wrong is not None else {})}
        ctx = SimpleNamespace(profile=profile, thorough=profile == "thorough", claim_id=claim_id,
                              st=SimpleNamespace(**st))
        out.append(_run_one(e, s, ctx) if profile in e.profiles else _not_run(e, profile))
    return out
