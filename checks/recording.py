"""What a claim's run saw: every comparison, the oracles used, the override tolerances, the claim's margin, the data.

A :class:`Recorder` is active inside ``with recording() as rec:``; the assertions (``vanishing.checks.assertions``),
the derivative oracles (``vanishing.checks.oracles``) and the validator's checks note into it, and the runner folds
each property's recording into the claim's (:meth:`Recorder.absorb`), which its ``Outcome`` holds. The example being
run is marked by ``example_input`` so that a margin names the input that reached it.
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ORACLES", "Recorder", "recording", "active", "record_oracle", "record_override", "record_comparison",
           "record_dataset", "example_input", "current_input", "show"]

ORACLES = ("autograd", "autograd-forward", "fd", "taylor", "closed-form", "hypothesis")

@dataclass
class Recorder:
    """Collects, for one claim run, every comparison made, every oracle used, and the claim's own margin."""

    comparisons: int = 0
    max_ratio: float = 0.0       # max over comparisons of max |a-b| / allowed
    max_error: float = 0.0       # the absolute error at that worst ratio
    tolerance: float = 0.0       # the allowed error at that worst ratio
    worst_label: str = ""
    oracles: set = field(default_factory=set)
    overrides: set = field(default_factory=set)    # reasons of the override tolerances used
    bounds: int = 0              # assert_le calls: the claim's own inequality value <= bound
    margin_ratio: float = -np.inf   # the worst (largest) value/bound seen
    margin_value: float = 0.0
    margin_bound: float = 0.0
    margin_label: str = ""
    margin_input: str = ""
    fd_entries: int = 0          # FD entries compared by assert_close_fd
    fd_capped: int = 0           # of which FD_SAFETY x estimate exceeded tolerances.FD_CAP_RTOL x scale
    datasets: set = field(default_factory=set)   # the data sets the check read, in words (record_dataset)
    margin_refuted: bool = False  # the margin comes from a refuted statement (absorb: what must hold comes first)

    def note(self, label, err, allowed):
        self.comparisons += 1
        ratio = float(err / allowed) if allowed > 0 else (0.0 if err == 0 else np.inf)
        if ratio >= self.max_ratio:
            self.max_ratio, self.max_error, self.tolerance, self.worst_label = ratio, float(err), float(allowed), label

    def note_bound(self, label, value, bound, ratio):
        self.bounds += 1
        if ratio > self.margin_ratio:
            self.margin_ratio, self.margin_value, self.margin_bound, self.margin_label = float(ratio), float(value), float(bound), label
            self.margin_input = current_input()

    def absorb(self, rec, expect):
        """Fold one property's recording ``rec`` (the property expects ``expect``) into this, the claim's."""
        self.oracles |= rec.oracles
        self.overrides |= rec.overrides
        self.datasets |= rec.datasets
        self.fd_entries, self.fd_capped = self.fd_entries + rec.fd_entries, self.fd_capped + rec.fd_capped
        refuted = expect == "fails"
        # The largest error against its tolerance is reported for what must hold; the comparisons that
        # fail inside a refuted statement are the refutation itself, not an error of the check.
        if not refuted and rec.comparisons:
            if rec.max_ratio >= self.max_ratio:
                self.max_ratio, self.max_error, self.tolerance, self.worst_label = rec.max_ratio, rec.max_error, rec.tolerance, rec.worst_label
            self.comparisons += rec.comparisons
        # The claim's margin: over what must hold; a claim whose only bound is a refuted statement shows that one.
        if rec.bounds and (not self.bounds or (self.margin_refuted and not refuted)
                           or (self.margin_refuted == refuted and rec.margin_ratio > self.margin_ratio)):
            self.margin_refuted = refuted
            self.margin_ratio, self.margin_value, self.margin_bound = rec.margin_ratio, rec.margin_value, rec.margin_bound
            self.margin_label, self.margin_input = rec.margin_label, rec.margin_input
        self.bounds += rec.bounds

    def margin(self):
        """The claim's margin as the ``"margin"`` object of the claim record (docs/DESIGN.md), or None when no bound was asserted."""
        if not self.bounds:
            return None
        return {"worst_ratio": self.margin_ratio, "value": self.margin_value, "bound": self.margin_bound,
                "label": self.margin_label, "input": self.margin_input}


_ACTIVE = contextvars.ContextVar("vanishing_recorder", default=None)
#: The arguments of the example being run (set by the runner): a margin names the input that reached it.
_INPUT = contextvars.ContextVar("vanishing_input", default=None)
_SHOWN_INPUT_CHARS = 600


def _shown(v):
    if isinstance(v, np.ndarray):
        return repr(v.tolist())
    if isinstance(v, (list, tuple)) and not hasattr(v, "_fields"):
        inner = ", ".join(_shown(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_shown(x)}" for k, x in v.items()) + "}"
    if hasattr(v, "_asdict"):            # a NamedTuple case
        return f"{type(v).__name__.lstrip('_')}({show(**v._asdict())})"
    return repr(v)


def show(**kw):
    """A case as ``name=value`` pairs, every float at full precision (arrays as nested lists)."""
    return ", ".join(f"{k}={_shown(v)}" for k, v in kw.items())


def _shown_input(kw):
    text = " ".join(show(**kw).split())
    return text if len(text) <= _SHOWN_INPUT_CHARS else text[:_SHOWN_INPUT_CHARS] + " …"


@contextlib.contextmanager
def example_input(kwargs):
    """``with example_input(kw):`` marks ``kw`` as the example being run (the runner wraps each example)."""
    token = _INPUT.set([kwargs, None])
    try:
        yield
    finally:
        _INPUT.reset(token)


def current_input():
    """The example being run, as ``name=value`` pairs at full precision ("" outside a run)."""
    held = _INPUT.get()
    if held is None:
        return ""
    if held[1] is None:
        held[1] = _shown_input(held[0])
    return held[1]


@contextlib.contextmanager
def recording():
    """``with recording() as rec:`` collects every comparison made inside."""
    rec = Recorder()
    token = _ACTIVE.set(rec)
    try:
        yield rec
    finally:
        _ACTIVE.reset(token)


def record_oracle(*names):
    """Mark oracles as used in the active recording (no-op outside one)."""
    unknown = set(names) - set(ORACLES)
    if unknown:
        raise ValueError(f"record_oracle: unknown oracle(s) {sorted(unknown)}; known: {list(ORACLES)}")
    rec = _ACTIVE.get()
    if rec is not None:
        rec.oracles.update(names)


def record_override(tol):
    """Mark an override tolerance (``tolerances.override``) as used; the comparisons below call it themselves.

    A check that uses an override only to decide *where* a statement is asserted calls it directly:
    the runner requires a record's ``tolerance_reason`` exactly when an override was used.
    """
    if not str(getattr(tol, "reason", "")).startswith("override:"):
        return
    rec = _ACTIVE.get()
    if rec is not None:
        rec.overrides.add(tol.reason)


def record_dataset(description):
    """Name a data set the check read (e.g. scikit-learn's digits, or the stand-in used without it) in the active recording.

    It travels with the claim's outcome, so the certificate's provenance says which data the claim used, also when
    the claim ran in another process (``vanishing verify --jobs N``). No-op outside a recording."""
    rec = _ACTIVE.get()
    if rec is not None:
        rec.datasets.add(str(description))


def active():
    """The active :class:`Recorder`, or None outside a recording."""
    return _ACTIVE.get()


def record_comparison(label, err, allowed):
    """Record a comparison (its worst |error| and the error allowed there) in the active recording."""
    rec = _ACTIVE.get()
    if rec is not None:
        rec.note(label, err, allowed)
