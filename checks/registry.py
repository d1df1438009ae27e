"""One check per claim, registered under the claim's ID.

A check module in ``vanishing.checks.claims`` declares::

    @claim_check("ACT-SIGMOID-DERIV-BOUND",
                 subject={"dsigmoid": activations.sigmoid_prime},
                 plants={"sigmoid' scaled by 1.01": {"dsigmoid": lambda x: 1.01 * activations.sigmoid_prime(x)}})
    def sigmoid_derivative_at_most_a_quarter(ctx, s):
        @ctx.holds
        @given(x=...)
        def bound(x):
            ...

Inside a ``ctx.refutes`` property, premises are ``assume(...)`` and the literal statement is
``literal(condition, message)`` (or ``assertions.assert_close(..., literal=True)``): only a
:class:`Counterexample` refutes. Every ``@example`` kept on a refutes property is run on
its own and must refute by itself.

``s`` is the *subject*: the functions under test, by name. A plant swaps some
of them for a deliberately wrong version; the runner's meta-tests show that
every plant makes the check's outcome contradict the recorded verdict (so no
check is unable to fail). ``ctx.holds`` marks a property that must hold for every
input; ``ctx.refutes`` marks the literal (seed) statement, which Hypothesis must
falsify — its shrunk counterexample is kept on it with ``@example``.
"""

import importlib
import pkgutil
from dataclasses import dataclass, field
from types import SimpleNamespace

from vanishing.checks.recording import show

__all__ = ["claim_check", "CheckDef", "Properties", "Property", "load_checks", "REGISTRY"]

REGISTRY = {}


@dataclass(frozen=True)
class Property:
    name: str
    test: object            # a @given-wrapped function of no arguments
    expect: str             # "holds", "fails" (a refutes property) or "negation" (holds, and refutes an existential)
    max_examples: int = 0   # 0: the profile's value; otherwise a cap with a stated reason
    reason: str = ""


class Properties:
    """Collects the properties one check declares (the ``ctx`` in a check).

    ``ctx.id`` is the claim's ID and ``ctx.repro(**case)`` the one way of writing a reproduce line:
    the command that re-runs the claim, and the case at full precision.
    """

    def __init__(self, claim_id="", profile=None, seed=None):
        self.id = claim_id
        self.items = []
        self.profile, self.seed = profile, seed   # the run's, when the runner built the check (for repro)

    def repro(self, **case):
        """``vanishing verify --only ID [--profile P [--seed S]]  (name=value, ...)``: what a failure message prints.

        The command re-runs the claim with the run's profile and seed (when the runner gave them), and
        the case is shown at full precision.
        """
        cmd = f"vanishing verify --only {self.id}"
        if self.profile:
            cmd += f" --profile {self.profile}"
            if self.seed not in (None, "derandomized"):
                cmd += f" --seed {self.seed}"
        return f"{cmd}  ({show(**case)})"

    def _add(self, expect, fn, max_examples, reason):
        if fn is None:
            return lambda f: self._add(expect, f, max_examples, reason)
        if not hasattr(fn, "hypothesis"):
            raise TypeError(f"{fn.__name__}: a claim property must be decorated with @given")
        if max_examples and not reason:
            raise ValueError(f"{fn.__name__}: capping max_examples needs a stated reason")
        self.items.append(Property(fn.__name__, fn, expect, max_examples, reason))
        return fn

    def holds(self, fn=None, *, max_examples=0, reason=""):
        """The property must hold for every generated input."""
        return self._add("holds", fn, max_examples, reason)

    def refutes(self, fn=None, *, max_examples=0, reason=""):
        """The literal statement under test; Hypothesis must find a counterexample."""
        return self._add("fails", fn, max_examples, reason)

    def negation(self, fn=None, *, max_examples=0, reason=""):
        """The negation of an *existential* literal statement ("f is sometimes > 1"): it must hold for every input.

        One draw cannot refute "sometimes"; the universal negation, holding on every example, does.
        """
        return self._add("negation", fn, max_examples, reason)


@dataclass(frozen=True)
class CheckDef:
    claim_id: str
    build: object
    subject: dict = field(default_factory=dict)
    plants: dict = field(default_factory=dict)

    @property
    def where(self):
        """Where the check lives: module and name, and file:line of its definition."""
        code = getattr(self.build, "__code__", None)
        mod = self.build.__module__
        if code is None:
            return mod
        path = "checks/claims/" + code.co_filename.replace("\\", "/").rsplit("/", 1)[-1]
        return f"{mod}.{self.build.__name__} ({path}:{code.co_firstlineno})"

    def kept_examples(self):
        """The refutations' kept inputs, from the code (their one place): ``[(property, {name: value}), ...]``.

        Every ``@example`` on a ``ctx.refutes`` property, in the order Hypothesis runs them. The record's
        ``counterexample`` prose explains them; tests/checks/test_counterexamples.py keeps the two in step.
        """
        out = []
        for p in self.properties():
            if p.expect == "fails":
                for ex in getattr(p.test.hypothesis.inner_test, "hypothesis_explicit_examples", ()):
                    out.append((p.name, dict(ex.kwargs)))
        return out

    def properties(self, overrides=None, profile=None, seed=None):
        """Build the check's properties against the default subject, with ``overrides`` swapped in.

        ``profile`` and ``seed``: the run's, for the reproduce lines of failure messages (``ctx.repro``).
        """
        unknown = sorted(set(overrides or {}) - set(self.subject))
        if unknown:
            raise KeyError(f"{self.claim_id}: plant overrides unknown subject names {unknown}; subject has {sorted(self.subject)}")
        s = SimpleNamespace(**{**self.subject, **(overrides or {})})
        ctx = Properties(self.claim_id, profile, seed)
        self.build(ctx, s)
        if not ctx.items:
            raise RuntimeError(f"{self.claim_id}: check {self.where} declared no properties")
        return ctx.items


def claim_check(claim_id, subject=None, plants=None):
    """Register ``build(ctx, s)`` as the one check of ``claim_id``."""
    def deco(build):
        if claim_id in REGISTRY:
            raise ValueError(f"claim {claim_id} already has a check: {REGISTRY[claim_id].where}")
        for name, over in (plants or {}).items():
            bad = sorted(set(over) - set(subject or {}))
            if bad:
                raise ValueError(f"{claim_id}: plant {name!r} overrides {bad}, which are not in the subject")
        REGISTRY[claim_id] = CheckDef(claim_id, build, dict(subject or {}), dict(plants or {}))
        return build
    return deco


def load_checks():
    """Import every module of ``vanishing.checks.claims``; returns the registry."""
    pkg = importlib.import_module("vanishing.checks.claims")
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    return REGISTRY
