"""Hypothesis profiles come from vanishing.checks.profiles; ``ci`` is the default.

Choose another with ``pytest --hypothesis-profile dev|thorough``.

Two tiers. A plain ``pytest`` (``-n auto``) runs every claim of the catalogue with its evidence, and
the unit tests: fast enough to keep in the loop. The ``slow`` tier holds the tests of the testers
that sweep every planted violation, and the end-to-end runs (wheel build, subprocess CLIs, the
zoo of broken implementations). It runs when asked for (``pytest -m slow``; everything:
``pytest -m "slow or not slow"``), when a test file or node ID is named, and always in CI.
"""
import os
import sys


def _dont_rewrite_the_plugins():
    """Rewrite the asserts of the test modules only, not of the packages that declare pytest plugins.

    pytest rewrites every module of a distribution with a ``pytest11`` entry point: here Hypothesis
    (77 modules), pytest-xdist, and vanishing itself (``vanishing.pytest_plugin``). With
    PYTHONDONTWRITEBYTECODE=1 nothing is cached, so each process (every xdist worker) rewrote them
    again on every run: about 2 s of CPU per process on this machine, for assertion messages
    nobody reads (Hypothesis's internal invariants). For vanishing there is a second reason: the
    claims' own ``assert`` statements now fail with the same message under pytest as under
    ``vanishing verify`` (one runner, one report). Test modules and conftest files are still
    rewritten. This runs before conftest imports anything from those packages; pytest keeps the
    marks in the private ``_must_rewrite`` set, and if that ever moves, the plugins are merely
    rewritten again, as before.
    """
    for hook in sys.meta_path:
        marked = getattr(hook, "_must_rewrite", None)
        if type(hook).__name__ == "AssertionRewritingHook" and isinstance(marked, set):
            marked.difference_update({"vanishing", "checks", "models", "hypothesis", "_hypothesis_pytestplugin",
                                      "_hypothesis_globals", "xdist"})


_dont_rewrite_the_plugins()

from hypothesis import settings  # noqa: E402

from vanishing.checks import profiles  # noqa: E402

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


SLOW_TIER = ("the slow tier (tests of the testers over every planted violation, end-to-end runs) is not run by a plain "
             "`pytest`: `pytest -n auto -m slow` runs it, `-m \"slow or not slow\"` runs everything (CI runs both)")


def _slow_tier_asked_for(config):
    """A -m expression, or test files / node IDs named on the command line (not just directories)."""
    if config.getoption("markexpr", ""):
        return True
    return any("::" in a or a.endswith(".py") for a in config.args)


def pytest_collection_modifyitems(config, items):
    if _slow_tier_asked_for(config):
        return
    slow = [i for i in items if i.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if not i.get_closest_marker("slow")]


def pytest_report_header(config):
    if not _slow_tier_asked_for(config):
        return f"vanishing: {SLOW_TIER}"


def pytest_configure(config):
    """Under ``-n``, xdist distributes by work stealing unless ``--dist`` is given: its default ``load`` hands out
    fixed chunks, and a chunk of long claim checks kept one worker busy 40-70 s after the other had finished
    (docs/BENCHMARKS.md). Set here, not in ``addopts``, so that a plain ``pytest`` without xdist still runs."""
    given = any(str(a).startswith(("--dist", "-d")) for a in config.invocation_params.args)
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", None) == "load" and not given:
        config.option.dist = "worksteal"
