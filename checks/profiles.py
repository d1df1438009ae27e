"""Hypothesis profiles, registered in one place, and the one way an entry point picks one.

* ``ci``: derandomized (the seed is derived from each test), no example
  database, the default for pytest and ``vanishing verify``.
* ``dev``: fast, for editing.
* ``thorough``: at least 1000 examples per property.

pytest selects one with ``--hypothesis-profile NAME``; ``vanishing verify``
and ``vanishing validate`` with ``--profile NAME``; the pytest plugin with
``--vanishing-profile NAME``. Every entry point resolves its choice with
:func:`resolve`.
"""

import random
from datetime import timedelta

from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "DEFAULT_PROFILE", "ProfileError", "register", "resolve"]

#: Health checks that do not apply to us: claim checks are deliberately costly
#: per example (three oracles each), and plants run the same property repeatedly.
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.differing_executors]

PROFILES = {
    "ci": dict(derandomize=True, max_examples=25, database=None, deadline=timedelta(seconds=20),
               print_blob=False, suppress_health_check=_SUPPRESS),
    "dev": dict(max_examples=8, database=None, deadline=None, suppress_health_check=_SUPPRESS),
    "thorough": dict(max_examples=1000, database=None, deadline=None, suppress_health_check=_SUPPRESS),
}
DEFAULT_PROFILE = "ci"


class ProfileError(ValueError):
    """An unknown profile, or a seed given to a derandomized one: a usage error (one line)."""


def register():
    """Register every profile with Hypothesis (idempotent).

    Each is built on Hypothesis's own defaults, not on the profile loaded at the time (which
    ``register_profile`` would inherit from): registering again after ``ci`` is loaded must not
    make ``dev`` derandomized.
    """
    for name, kw in PROFILES.items():
        settings.register_profile(name, parent=settings.get_profile("default"), **kw)


def resolve(profile=None, seed=None):
    """``(profile name, seed)`` for a run: the one rule every entry point follows.

    ``profile`` defaults to :data:`DEFAULT_PROFILE`; any profile registered with Hypothesis
    is accepted (ours are registered first). A derandomized profile returns seed ``None``
    and refuses an explicit one (it would have no effect); any other profile returns the
    given seed, or a fresh random 32-bit seed so that the run can be reproduced.
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
        seed = random.SystemRandom().getrandbits(32)
    return name, int(seed)


register()
