"""pytest plugin (entry point ``pytest11``): run vanishing's conformance checks inside any test suite.

Install vanishing and pass your adapter factory (docs/VALIDATE.md)::

    pytest --vanishing-impl=mypkg.cells:make            # your suite + one test item per check
    pytest --vanishing-impl=mypkg.cells:make -k vanishing    # only the conformance checks
    pytest --vanishing-impl=torch --vanishing-profile=dev    # the PyTorch built-ins, randomized

Each (adapter, check) pair becomes a test item named ``vanishing[ADAPTER/CHECK]``, so
``-k``, ``-x``, ``--lf``-style selection and your CI's test report all work as usual. A
failing item prints what differs and where, the diagnosis (which known bug reproduces
it), the shrunk counterexample and a reproduce snippet, exactly as ``vanishing validate``
does. A broken adapter (import error, wrong shapes, NaN, wrong dtype, missing method)
becomes one failing item ``vanishing[SPEC]`` with a one-line reason. ``--vanishing-impl``
may be repeated.

For hand-written tests the fixture ``vanishing_impl`` gives the loaded adapters
(a list of ``AdapterInfo``; skipped when the option is absent), and
``vanishing.checks.conformance.validate_adapter`` runs the checks on one of them.

Without ``--vanishing-impl`` the plugin adds nothing and imports nothing heavy.
"""

import pytest

__all__ = ["pytest_addoption", "pytest_collection_modifyitems", "vanishing_impl"]


def pytest_addoption(parser):
    group = parser.getgroup("vanishing")
    group.addoption("--vanishing-impl", action="append", default=[], metavar="MODULE:FACTORY",
                    help="an adapter factory (or 'torch') to validate against vanishing's reference models; "
                         "adds one test item per conformance check (repeatable)")
    group.addoption("--vanishing-profile", action="store", default=None, metavar="NAME",
                    help="Hypothesis profile for the conformance checks: ci (default, derandomized), dev or thorough")
    group.addoption("--vanishing-seed", action="store", type=int, default=None, metavar="N",
                    help="Hypothesis seed for a non-derandomized --vanishing-profile")


class ConformanceFailure(Exception):
    """Raised by a conformance item; carries the CheckResult (or a one-line reason)."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


class VanishingItem(pytest.Item):
    """One conformance check of one adapter."""

    def __init__(self, *, info=None, check=None, profile=None, seed=None, broken="", **kw):
        super().__init__(**kw)
        self.info, self.check, self.profile, self.seed, self.broken = info, check, profile, seed, broken

    def runtest(self):
        if self.broken:
            raise ConformanceFailure(f"broken adapter: {self.broken}")
        from vanishing.checks.conformance import runner
        r = runner.run_check(self.info, self.check, self.profile, self.seed)
        for note in r.notes:
            self.add_report_section("call", "vanishing", note)
        if r.status != "pass":
            raise ConformanceFailure(r.text())

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ConformanceFailure):
            return excinfo.value.text
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


def _settings(config):
    import random

    from hypothesis import settings

    from vanishing.checks import profiles
    profiles.register()
    profile = config.getoption("--vanishing-profile") or profiles.DEFAULT_PROFILE
    seed = config.getoption("--vanishing-seed")
    if seed is None and not settings.get_profile(profile).derandomize:
        seed = random.SystemRandom().getrandbits(32)
    return profile, seed


@pytest.hookimpl(tryfirst=True)   # before -k / -m deselection, so those apply to the new items
def pytest_collection_modifyitems(session, config, items):
    specs = config.getoption("--vanishing-impl")
    if not specs:
        return
    from vanishing.checks.conformance import checks as C
    from vanishing.checks.conformance import load
    from vanishing.checks.conformance.protocol import AdapterError
    from vanishing.checks.conformance.runner import smoke
    profile, seed = _settings(config)
    for spec in specs:
        try:
            infos = load(spec)
        except AdapterError as e:
            items.append(VanishingItem.from_parent(session, name=f"vanishing[{spec}]", broken=str(e)))
            continue
        for info in infos:
            try:
                smoke(info)
            except AdapterError as e:
                items.append(VanishingItem.from_parent(session, name=f"vanishing[{info.name}]", broken=str(e)))
                continue
            for check in C.CHECKS:
                if check.applies(info):
                    items.append(VanishingItem.from_parent(session, name=f"vanishing[{info.name}/{check.name}]",
                                                           info=info, check=check, profile=profile, seed=seed))


@pytest.fixture
def vanishing_impl(request):
    """The adapters named by --vanishing-impl (a list of AdapterInfo); skips when the option is absent."""
    specs = request.config.getoption("--vanishing-impl")
    if not specs:
        pytest.skip("no --vanishing-impl=MODULE:FACTORY given")
    from vanishing.checks.conformance import load
    return [info for spec in specs for info in load(spec)]
