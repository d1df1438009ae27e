"""Tests of the claim checks' toolkit: assert_le and the margin it records, override bookkeeping, chain tolerances."""
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vanishing.checks import assertions, oracles, profiles, recording, runner, tolerances, toolkit
from vanishing.checks.registry import Properties

BASE = (profiles.register(), settings.get_profile("ci"))[1]


def test_fd_reach_is_the_fd_oracles_first_step():
    for fn in (oracles.jacobian_fd, oracles.directional_fd, oracles.check_jacobian):
        assert inspect.signature(fn).parameters["initial_step"].default == toolkit.FD_REACH, fn.__name__


def test_assert_le_records_the_worst_ratio_and_the_input():
    with recording.recording() as rec:
        with recording.example_input({"x": np.array([1.0, 2.0])}):
            assertions.assert_le(0.5, 1.0, tolerances.analytic(), "half")
            assertions.assert_le(np.array([0.1, 0.9]), np.array([1.0, 1.0]), tolerances.analytic(), "ninety")
        assertions.assert_le(0.2, 1.0, tolerances.analytic(), "fifth")
    m = rec.margin()
    assert m == {"worst_ratio": 0.9, "value": 0.9, "bound": 1.0, "label": "ninety", "input": "x=[1.0, 2.0]"}


def test_assert_le_allows_the_rounding_of_the_bound_only():
    tol = tolerances.analytic()
    assertions.assert_le(1.0 + 100 * np.finfo(float).eps, 1.0, tol, "within 2^8 ulps")
    with pytest.raises(AssertionError, match="exceeds the bound"):
        assertions.assert_le(1.0 + 1e-12, 1.0, tol, "beyond")
    with pytest.raises(assertions.Counterexample):
        assertions.assert_le(2.0, 1.0, tol, "literal", literal=True)
    with pytest.raises(AssertionError, match="exceeds"):
        assertions.assert_le(1e-300, 0.0, tolerances.exact("a zero bound"), "exact zero")


def test_a_zero_bound_met_with_zero_does_not_count_as_tight():
    with recording.recording() as rec:
        assertions.assert_le(0.0, 0.0, tolerances.analytic(), "0 <= 0")
    assert rec.margin()["worst_ratio"] == 0.0


def test_overrides_are_recorded_where_used():
    over = tolerances.chain(5, "five factors")
    with recording.recording() as rec:
        assertions.assert_close(1.0, 1.0, tolerances.analytic(), "plain")
        assert not rec.overrides
        assertions.assert_le(1.0, 1.0, over, "chained")
    assert rec.overrides == {over.reason}


def test_chain_tolerance_compounds_the_analytic_unit():
    unit = tolerances.analytic().rtol
    t = tolerances.chain(10, "ten")
    assert t.atol == 0.0 and t.rtol == pytest.approx(10 * unit, rel=1e-9) and t.reason.startswith("override:")
    with pytest.raises(ValueError):
        tolerances.chain(-1, "negative")


def test_jac3_with_a_short_reach_keeps_the_derivative():
    J = toolkit.jac3(lambda u: u ** 3, np.array([2.0]), [[12.0]], "cube", reach=0.01)
    assert J == pytest.approx(np.array([[12.0]]))


def test_repro_names_the_claim_and_the_case_at_full_precision():
    c = Properties("RNN-NORM-BOUND")
    assert c.id == "RNN-NORM-BOUND"
    assert c.repro(W=np.array([[0.1, 1 / 3]]), act="tanh") == \
        "vanishing verify --only RNN-NORM-BOUND  (W=[[0.1, 0.3333333333333333]], act='tanh')"


def test_the_runner_records_the_margin_of_a_property():
    c = Properties("X")

    @c.holds
    @given(x=st.floats(0.0, 1.0))
    def bound(x):
        assertions.assert_le(x, 1.0, tolerances.analytic(), "x vs 1")
    (p,) = c.items
    with recording.recording() as rec:
        r = runner._run_property(p, BASE, None, shrink=True)
    assert r.observed == "held" and rec.bounds > 0
    assert 0.0 <= rec.margin()["worst_ratio"] <= 1.0 and rec.margin()["input"].startswith("x=")


def test_the_runner_requires_tolerance_reason_exactly_when_an_override_was_used():
    import dataclasses
    cat = runner.catalogue()
    plain = dataclasses.replace(cat["ACT-RELU-DERIV"], tolerance_reason="a reason for an override never used")
    out = runner.run_claim(plain, profile="dev")
    assert any("no override tolerance" in p for p in out.problems), out.problems
    chained = cat["LSTM-SEED003-BALANCING"]
    assert chained.tolerance_reason
    out = runner.run_claim(dataclasses.replace(chained, tolerance_reason=""), profile="dev")
    assert any("gives no tolerance_reason" in p for p in out.problems), out.problems


def test_assert_le_on_rationals_is_exact_even_beyond_the_float_range():
    from fractions import Fraction
    big = Fraction(10) ** 400
    with recording.recording() as rec:
        assertions.assert_le(big, big + 1, tolerances.exact("rationals"), "huge")
    assert rec.margin()["value"] == np.inf and rec.margin()["worst_ratio"] == pytest.approx(1.0)
    with pytest.raises(AssertionError, match="exactly, in rational arithmetic"):
        assertions.assert_le(Fraction(1, 3) + Fraction(1, 10**30), Fraction(1, 3), tolerances.exact("rationals"), "just above")
