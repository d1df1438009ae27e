"""Hypothesis profiles, registered in one place, and the one way an entry point picks one.

* ``ci``: derandomized (the seed is derived from each test), no example
  database, the default for pytest and ``vanishing verify``.
* ``dev``: fast, for editing.
* ``thorough``: at least 1000 examples per property.

Each profile also states its **shrink budget** (``shrink_budget``, ours, not a Hypothesis setting):
once a property has failed, at most that many further calls of the test (and never more than the
property's own ``max_examples``) are spent shrinking and explaining the counterexample. Hypothesis's
shrinker would otherwise spend hundreds of calls, each running three oracles, on a claim whose
outcome is already decided: a broken model took 335-447 s to report against about 40 s for a
passing run (issue 13; benchmarks/failtime.py measures it). A counterexample whose shrinking was cut short is a genuine
failing input, reported as "not fully shrunk" (:mod:`vanishing.checks.runner`).

pytest selects one with ``--hypothesis-profile NAME``; ``vanishing verify``
and ``vanishing validate`` with ``--profile NAME``; the pytest plugin with
``--vanishing-profile NAME``. Every entry point resolves its choice with
:func:`resolve`.
"""

import functools
import importlib.util
import pkgutil
import random
from datetime import timedelta
from pathlib import Path

import hypothesis.core
from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "DEFAULT_PROFILE", "ProfileError", "register", "reraise_interrupt", "resolve", "shrink_budget",
           "pin_local_constants"]

#: Health checks that do not apply to us: claim checks are deliberately costly
#: per example (three oracles each), and plants run the same property repeatedly.
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.differing_executors]

#: name -> Hypothesis settings, plus ``shrink_budget`` (ours: see the module docstring).
PROFILES = {
    "ci": dict(derandomize=True, max_examples=25, database=None, deadline=timedelta(seconds=20),
               print_blob=False, suppress_health_check=_SUPPRESS, shrink_budget=25),
    "dev": dict(max_examples=8, database=None, deadline=None, suppress_health_check=_SUPPRESS, shrink_budget=8),
    "thorough": dict(max_examples=1000, database=None, deadline=None, suppress_health_check=_SUPPRESS,
                     shrink_budget=200),
}
DEFAULT_PROFILE = "ci"

#: The keys of a PROFILES entry that are ours, not Hypothesis settings.
_OWN_KEYS = ("shrink_budget",)


class ProfileError(ValueError):
    """An unknown profile, or a seed given to a derandomized one: a usage error (one line)."""


def register():
    """Register every profile with Hypothesis (idempotent).

    Each is built on Hypothesis's own defaults, not on the profile loaded at the time (which
    ``register_profile`` would inherit from): registering again after ``ci`` is loaded must not
    make ``dev`` derandomized.
    """
    for name, kw in PROFILES.items():
        kw = {k: v for k, v in kw.items() if k not in _OWN_KEYS}
        settings.register_profile(name, parent=settings.get_profile("default"), **kw)
    pin_local_constants()


def shrink_budget(name, max_examples):
    """Calls of a failing property allowed for shrinking its counterexample, under profile ``name``.

    The profile's ``shrink_budget``, and never more than the property's own ``max_examples`` (a property
    capped for cost shrinks within the same cost); a profile that is not ours gets its ``max_examples``.
    At least 1: the first call after a failure replays it, to confirm it.
    """
    budget = PROFILES.get(name, {}).get("shrink_budget", max_examples)
    return max(1, min(budget, max_examples))


# --- the same draws in every process ----------------------------------------------------------------

#: The installed package's roots: the repository keeps models/, checks/ and spec/ at its top level,
#: and an editable install maps them in, so they are not found by walking vanishing/ alone.
_ROOTS = ("vanishing", "vanishing.models", "vanishing.checks", "vanishing.spec")


def _package_sources(package):
    """The source files of ``package`` and all its subpackages, found without importing the modules."""
    spec = importlib.util.find_spec(package)
    out = {Path(spec.origin).resolve()} if spec and spec.origin and spec.origin.endswith(".py") else set()
    for info in pkgutil.iter_modules(spec.submodule_search_locations or []) if spec else ():
        if info.ispkg:
            out |= _package_sources(f"{package}.{info.name}")
        else:
            out.add((Path(info.module_finder.path) / f"{info.name}.py").resolve())
    return out


@functools.cache
def _vanishing_constants():
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import _constants_from_source

    pool = providers.Constants(integers=providers.SortedSet(), floats=providers.SortedSet(key=providers.float_to_int),
                               bytes=providers.SortedSet(), strings=providers.SortedSet())
    sources = set().union(*(_package_sources(root) for root in _ROOTS))
    for path in sorted(sources, key=lambda p: (p.parent.name, p.name)):
        try:
            pool |= _constants_from_source(path.read_bytes(), limit=True)
        except (OSError, SyntaxError):   # a file pkgutil lists but that is not readable source: nothing to add
            continue
    return pool


def pin_local_constants():
    """Pin Hypothesis's pool of "local constants" to the constants in vanishing's own source.

    Hypothesis (6.13x and later) mixes numeric constants found in the *local* modules a process
    has imported (not site-packages) into its draws, and the pool grows with every import. The
    same derandomized test could then draw different examples in pytest and in ``vanishing
    verify``, in an editable and a wheel install, or in a serial and an xdist run (whose workers
    import modules in another order). Pinned to the package's own source files, which are the
    same in every process and install, the ``ci`` profile draws the same examples everywhere.
    This uses Hypothesis internals (``providers._get_local_constants``); tests/checks/test_profiles.py
    fails if they move.
    """
    from hypothesis.internal.conjecture import providers

    if getattr(providers._get_local_constants, "_vanishing_pinned", False):
        return
    pinned = lambda: _vanishing_constants()  # noqa: E731
    pinned._vanishing_pinned = True
    providers._get_local_constants = pinned
    providers.CONSTANTS_CACHE.cache.clear()


def reraise_interrupt(e):
    """Raise the KeyboardInterrupt behind ``e``, if any: a Ctrl-C that lands while Hypothesis sets a test up
    comes out as an AssertionError of Hypothesis's own (its ``state._runner`` is not set yet), which a runner
    would report as a failed claim or a bug in vanishing."""
    todo, seen = [e], set()
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        if isinstance(e, KeyboardInterrupt):
            raise e
        seen.add(id(e))
        todo += [e.__cause__, e.__context__, *getattr(e, "exceptions", ())]   # an exception group holds its own


def resolve(profile=None, seed=None):
    """``(profile name, seed)`` for a run: the one rule every entry point follows.

    ``profile`` defaults to :data:`DEFAULT_PROFILE`; any profile registered with Hypothesis
    is accepted (ours are registered first). A derandomized profile returns seed ``None``
    and refuses an explicit one (it would have no effect); any other profile returns the
    given seed; else the seed Hypothesis was told to use for the whole process (``pytest
    --hypothesis-seed=S`` sets it), so that the command a pytest session prints reproduces the
    claims it ran; else a fresh random 32-bit seed, recorded so that the run can be reproduced.
    Raises :class:`ProfileError` with a one-line message.
    """
    register()
    name = profile or DEFAULT_PROFILE
    try:
        base = settings.get_profile(name)
    except Exception:   # hypothesis.errors.InvalidArgument
        raise ProfileError(f"unknown profile {name!r}; choose from {', '.join(PROFILES)}") from None
    if base.derandomize:
        if seed is not None:
            raise ProfileError(f"a seed has no effect with the derandomized profile {name!r}; "
                               "use the profile dev or thorough to run with a seed")
        return name, None
    if seed is None:
        forced = getattr(hypothesis.core, "global_force_seed", None)
        seed = forced if isinstance(forced, int) else random.SystemRandom().getrandbits(32)
    return name, int(seed)


register()
