"""The pytest plugin behaves like pytest: usage errors, real collected items, node IDs that re-run, -k, --lf, the fixture."""
import pytest

import vanishing.checks.conformance.runner  # noqa: F401  (imported here once: pytester's in-process runs must not import numpy again)

pytest_plugins = ["pytester"]

ADAPTERS = '''
import numpy as np
from vanishing.checks.conformance import reference
from vanishing.checks.conformance.cases import Case


def _case(kind, params, state0, xs, cot=()):
    return Case(kind, "after", np.dtype(np.float64), params, tuple(state0), np.asarray(xs), tuple(cot))


class Good:
    kind, dtype, name = "rnn-tanh", np.float64, "good"

    def step(self, params, state, x):
        return reference.step(_case(self.kind, params, state, np.asarray(x)[None]))

    def forward(self, params, state0, xs):
        return reference.forward(_case(self.kind, params, state0, xs))

    def vjp(self, params, state0, xs, cotangents):
        return reference.vjp(_case(self.kind, params, state0, xs, cotangents))


class Bad(Good):
    name = "bad"

    def forward(self, params, state0, xs):   # 1% off: the forward check must catch it
        (hs,) = reference.forward(_case(self.kind, params, state0, xs))
        return (hs * 1.01,)


def make():
    return [Good(), Bad()]
'''
IMPL = "--vanishing-impl=adapters:make"
CHECKS = ["forward", "long-sequence", "gradients", "gradients-fd", "gate-range"]   # those of an rnn-tanh cell


@pytest.fixture
def suite(pytester, monkeypatch):
    """A user's project: one test of their own, and the module of their adapter factory."""
    monkeypatch.syspath_prepend(pytester.path)
    pytester.makepyfile(adapters=ADAPTERS, test_user="def test_users_own():\n    assert True\n")
    return pytester


@pytest.mark.parametrize("args, message", [
    (["--vanishing-profile", "nonsense"], "*unknown profile 'nonsense'*"),
    (["--vanishing-seed", "3"], "*--vanishing-seed has no effect with the derandomized profile 'ci'*"),
])
def test_a_bad_profile_or_seed_is_a_usage_error(suite, args, message):
    res = suite.runpytest_inprocess(IMPL, *args)
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines([message])
    assert "INTERNALERROR" not in res.stdout.str() + res.stderr.str()


def test_a_factory_module_that_does_not_exist_is_a_usage_error(suite):
    res = suite.runpytest_inprocess("--vanishing-impl=no_such_module:make")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*--vanishing-impl=no_such_module:make: no module named 'no_such_module'*"])


def test_items_are_collected_and_counted(suite):
    res = suite.runpytest_inprocess(IMPL, "--collect-only")
    n = 1 + 2 * len(CHECKS)
    res.stdout.fnmatch_lines(["vanishing: conformance of adapters:make; profile=ci seed=derandomized", f"collected {n} items"])
    res = suite.runpytest_inprocess(IMPL, "--collect-only", "-q")
    ids = [ln for ln in res.stdout.lines if "::" in ln]
    assert ids == ["test_user.py::test_users_own"] + [f"adapters.py::vanishing[{a}/{c}]" for a in ("good", "bad") for c in CHECKS]


def test_a_printed_node_id_reruns_exactly_that_check(suite):
    res = suite.runpytest_inprocess(IMPL, "-k", "forward and not fd", "-rf")
    res.assert_outcomes(passed=1, failed=1, deselected=2 * len(CHECKS) - 1)
    (line,) = [ln for ln in res.stdout.lines if ln.startswith("FAILED ")]
    nodeid = line.split()[1]
    assert nodeid == "adapters.py::vanishing[bad/forward]"
    res = suite.runpytest_inprocess(IMPL, nodeid)
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["collected 1 item", "*forward: h_t differs*", "*reproduce: vanishing validate adapters:make --only 'bad/forward'*"])
    suite.runpytest_inprocess(IMPL, "adapters.py::vanishing[good/forward]").assert_outcomes(passed=1)


def test_k_selects_conformance_items_like_any_test(suite):
    res = suite.runpytest_inprocess(IMPL, "-k", "users_own or (good and gradients and not fd)")
    res.assert_outcomes(passed=2, deselected=2 * len(CHECKS) - 1)


def test_last_failed_reruns_only_the_failures(suite):
    # this repository's addopts disable the cache; the inner run enables it explicitly
    first = suite.runpytest_inprocess(IMPL, "-p", "cacheprovider", "-k", "forward and not fd")
    first.assert_outcomes(passed=1, failed=1, deselected=2 * len(CHECKS) - 1)
    again = suite.runpytest_inprocess(IMPL, "-p", "cacheprovider", "--lf", "-rf")
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(["run-last-failure: rerun previous 1 failure*"])
    assert "FAILED adapters.py::vanishing[bad/forward] " in again.stdout.str()


def test_named_files_run_without_the_conformance_items(suite):
    res = suite.runpytest_inprocess(IMPL, "test_user.py")
    res.assert_outcomes(passed=1)


def test_the_fixture_gives_the_adapters_themselves(suite):
    suite.makepyfile(test_fixture='''
def test_adapters(vanishing_impl):
    from adapters import Bad, Good
    assert [type(a) for a in vanishing_impl] == [Good, Bad]
    from vanishing.checks.conformance import AdapterInfo, validate_adapter
    rep = validate_adapter(AdapterInfo(vanishing_impl[0]), only=["good/forward"])
    assert rep.ok and len(rep.results) == 1
''')
    suite.runpytest_inprocess(IMPL, "test_fixture.py").assert_outcomes(passed=1)
    suite.runpytest_inprocess("test_fixture.py").assert_outcomes(skipped=1)


def test_without_the_option_the_plugin_adds_nothing(suite):
    suite.runpytest_inprocess().assert_outcomes(passed=1)


@pytest.mark.slow
def test_xdist_workers_use_the_seed_the_header_prints(suite):
    pytest.importorskip("xdist")
    res = suite.runpytest_inprocess(IMPL, "-n", "1", "--vanishing-profile", "dev", "-k", "forward and not fd")
    res.assert_outcomes(passed=1, failed=1)
    (header,) = [ln for ln in res.stdout.lines if ln.startswith("vanishing: conformance of")]
    seed = header.rsplit("seed=", 1)[1]
    res.stdout.fnmatch_lines([f"*reproduce: vanishing validate adapters:make --only 'bad/forward' --profile dev --seed {seed}"])
