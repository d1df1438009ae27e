"""Graded evidence behind a verdict: symbolic proofs, interval certificates, exhaustive runs.

Levels, strongest first (docs/EVIDENCE.md):

* ``proof``: SymPy derives the statement from the model's equations, with no floating point,
  and confirms that the model's code computes the symbolic expression (the *tie*).
* ``interval``: mpmath's interval arithmetic (outward rounding) with branch-and-bound
  subdivision proves an inequality over a stated bounded domain.
* ``exhaustive``: a floating-point statement checked on every element of a finite set.
* ``property``: the Hypothesis run itself (produced by the runner, not here).

A proof module in this package declares::

    @evidence("ACT-SIGMOID-DERIV-BOUND", "proof", unaffected={})
    def _(s, ctx):
        ...                   # s: the check's subject (same names, plants applied)
        return summary, detail

It raises :class:`ProofFailed` (through :func:`ensure`) when the derivation or the tie fails.
Every plant of the claim's check must make the evidence fail, or be named in ``unaffected``
with the reason it changes nothing the evidence covers (tests/checks/test_evidence.py).
"""

import importlib
import pkgutil
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

from vanishing.checks import recording

__all__ = ["LEVELS", "PROFILES", "EvidenceResult", "ProofFailed", "ensure", "evidence", "levels", "registered", "run"]

#: Levels in order of strength; "property" is the Hypothesis run, reported by the runner.
LEVELS = ("proof", "interval", "exhaustive", "property")
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
class EvidenceResult:
    level: str
    status: str          # "passed", "failed" or "error"
    summary: str
    detail: str
    seconds: float

    def to_json(self):
        return {"level": self.level, "status": self.status, "summary": self.summary,
                "detail": self.detail, "seconds": round(self.seconds, 4)}


@dataclass(frozen=True)
class Evidence:
    claim_id: str
    level: str
    build: object                                   # build(s, ctx) -> (summary, detail)
    unaffected: dict = field(default_factory=dict)  # plant name -> why the evidence does not cover it

    @property
    def where(self):
        code = getattr(self.build, "__code__", None)
        path = code.co_filename.replace("\\", "/").rsplit("/", 1)[-1] if code else "?"
        return f"{self.build.__module__} (checks/evidence/{path}:{code.co_firstlineno if code else '?'})"


def evidence(claim_id, level, unaffected=None):
    """Register ``build(s, ctx)`` as ``level`` evidence of ``claim_id``."""
    if level not in LEVELS[:-1]:
        raise ValueError(f"level: expected one of {list(LEVELS[:-1])}, got {level!r}")

    def deco(build):
        REGISTRY.setdefault(claim_id, []).append(Evidence(claim_id, level, build, dict(unaffected or {})))
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


def run(claim_id, overrides=None, profile=None):
    """Run every evidence of ``claim_id`` against the check's subject (with ``overrides`` swapped in).

    Returns a list of :class:`EvidenceResult`, strongest level first; empty if none is registered.
    """
    profile = profile or "ci"
    if profile not in PROFILES:
        raise ValueError(f"profile: expected one of {list(PROFILES)}, got {profile!r}")
    items = registered().get(claim_id, [])
    if not items:
        return []
    s = _subject(claim_id, overrides)
    ctx = SimpleNamespace(profile=profile, thorough=profile == "thorough", claim_id=claim_id)
    out = []
    for e in items:
        t0 = time.perf_counter()
        try:
            with recording.recording():                 # the proof's ties (_sym.agree), read back by _sym.within
                summary, detail = e.build(s, ctx)
            status = "passed"
        except ProofFailed as exc:
            status, summary, detail = "failed", f"FAILED: {str(exc).splitlines()[0]}", f"{exc} [{e.where}]"
        except Exception as exc:  # noqa: BLE001 (a crash is reported as an error of the evidence, never as a pass)
            status, summary, detail = "error", f"ERROR: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", \
                f"{type(exc).__name__}: {exc} [{e.where}]"
        out.append(EvidenceResult(e.level, status, summary, detail, time.perf_counter() - t0))
    return out
