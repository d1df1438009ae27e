"""Hypothesis profiles come from vanishing.checks.profiles; ``ci`` is the default.

Choose another with ``pytest --hypothesis-profile dev|thorough``.
"""
import os

from hypothesis import settings

from vanishing.checks import profiles

profiles.register()
settings.load_profile(os.environ.get("VANISHING_PROFILE", profiles.DEFAULT_PROFILE))


def pytest_runtest_logreport(report):
    """With VANISHING_EXPECT_EXTRAS=1 (CI's second step, after installing the extras), a test skipped
    because an optional module is missing is an installation error, not a skip."""
    if report.skipped and os.environ.get("VANISHING_EXPECT_EXTRAS") == "1":
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "could not import" in reason or "extra) is not installed" in reason or "No module named" in reason:
            report.outcome = "failed"
            report.longrepr = f"VANISHING_EXPECT_EXTRAS=1 but an extra is missing: {reason}"
