"""pytest plugin (entry point ``pytest11``): run vanishing's conformance checks inside any test suite.

``pytest --vanishing-impl=package.module:factory`` adds the fixture
``vanishing_impl`` (the loaded adapter) for tests that request it.
"""

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("vanishing")
    group.addoption("--vanishing-impl", action="store", default=None, metavar="MODULE:FACTORY",
                    help="an adapter factory to validate against vanishing's reference models")


@pytest.fixture
def vanishing_impl(request):
    spec = request.config.getoption("--vanishing-impl")
    if not spec:
        pytest.skip("no --vanishing-impl=MODULE:FACTORY given")
    from vanishing.checks.conformance import adapters
    return adapters.load(spec)
