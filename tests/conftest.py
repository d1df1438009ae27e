"""Hypothesis profiles come from vanishing.checks.profiles; ``ci`` is the default.

Choose another with ``pytest --hypothesis-profile dev|thorough``.
"""
import os

from hypothesis import settings

from vanishing.checks import profiles

profiles.register()
settings.load_profile(os.environ.get("VANISHING_PROFILE", profiles.DEFAULT_PROFILE))
