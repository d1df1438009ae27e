"""Hypothesis profiles, registered in one place.

* ``ci``: derandomized (the seed is derived from each test), no example
  database, the default for pytest and ``vanishing verify``.
* ``dev``: fast, for editing.
* ``thorough``: at least 1000 examples per property.

pytest selects one with ``--hypothesis-profile NAME``; ``vanishing verify``
with ``--profile NAME``.
"""

from datetime import timedelta

from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "DEFAULT_PROFILE", "register"]

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


def register():
    """Register every profile with Hypothesis (idempotent)."""
    for name, kw in PROFILES.items():
        settings.register_profile(name, **kw)


register()
