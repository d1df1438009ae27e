"""What checks/oracles.py and checks/tolerances.py report, read back value by value (issue 13 §5, docs/MUTATION.md §5).

Every claim runs these modules, but a claim reads only its verdict: the messages, the stats, the Recorder's
bookkeeping, the margins and the tolerances' reasons are read by people and by the runner's report. So each
test here states the exact text or number a line produces, and fails when that line is changed.
All on tiny functions (a few evaluations): the whole file is a fraction of a second.
"""
import math
import re
from fractions import Fraction
from typing import NamedTuple

import autograd.numpy as autograd_np
import numpy as np
import pytest

# one line: scripts/mutation.py picks the tests of a mutated module by this import
from vanishing.checks import assertions, oracles, recording, tolerances

EPS = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)
TINY = float(np.finfo(np.float64).tiny)


def _msg(text):
    return "^" + re.escape(text) + "$"


# ================================================================ tolerances.py
def test_the_derivation_constants_are_those_the_module_docstring_states():
    assert tolerances.FD_SAFETY == 10.0
    assert tolerances.FD_CAP_RTOL == 1e-6
    assert tolerances.NOISE_STEP == (math.sqrt(5) - 1) / 2 * 1e-6
    assert tolerances.NOISE_POINTS == 12
    assert tolerances.NOISE_GAMMA6 == math.factorial(6) ** 2 / math.factorial(12)
    assert tolerances.NOISE_SIGMAS == 4.0
    assert tolerances.NOISE_COARSE == 64.0
    assert tolerances.ANALYTIC_ULPS == 256.0


def test_a_tol_bounds_each_entry_by_atol_plus_rtol_times_the_reference_in_float64():
    t = tolerances.Tol(rtol=0.5, atol=2.0)
    assert t.reason == "derived from dtype epsilon"
    b = t.bound(np.array([-4.0, 1.0, 0.0], dtype=np.float32))
    assert b.dtype == np.float64
    assert b.tolist() == [4.0, 2.5, 2.0]


@pytest.mark.parametrize(("dtype", "n", "want"), [(np.float64, 2, 2 * EPS), (np.float32, 3, 3 * EPS32)])
def test_ulps_are_units_of_the_dtypes_epsilon(dtype, n, want):
    assert tolerances.ulps(n, dtype) == want


@pytest.mark.parametrize("call", [lambda: tolerances.ulps(1, np.float16), lambda: tolerances.value(np.int32),
                                  lambda: tolerances.gradient(np.float16), lambda: tolerances.tiny(np.complex128)])
def test_a_dtype_without_a_tolerance_table_is_refused_by_name(call):
    with pytest.raises(ValueError, match=r"^dtype: expected float64 or float32 \(the dtypes with tolerance tables\), got \w+$"):
        call()


def test_each_tolerance_states_its_units_and_its_reason():
    e = 256 * EPS
    t = tolerances.analytic(np.float64, scale=3.0)
    assert (t.rtol, t.atol, t.reason) == (e, e * 3.0, "256 ulps of float64")
    t = tolerances.analytic(np.float32)
    assert (t.rtol, t.atol, t.reason) == (256 * EPS32, 256 * EPS32, "256 ulps of float32")
    t = tolerances.value(np.float32, scale=2.0)
    assert (t.rtol, t.atol, t.reason) == (1024 * EPS32, 2048 * EPS32, "1024 ulps of float32 (values)")
    t = tolerances.value(np.float64, scale=0.5)
    assert (t.rtol, t.atol, t.reason) == (e, e * 0.5, "256 ulps of float64 (values)")
    t = tolerances.gradient(np.float32, scale=2.0)
    assert (t.rtol, t.atol, t.reason) == (2048 * EPS32, 4096 * EPS32, "2048 ulps of float32 (gradients)")
    t = tolerances.gradient(np.float64, scale=4.0)
    assert (t.rtol, t.atol, t.reason) == (e, 4 * e, "256 ulps of float64 (gradients)")
    for make in (tolerances.analytic, tolerances.value, tolerances.gradient):      # the defaults: float64 at scale 1
        assert (make().rtol, make().atol) == (e, e)
    assert tolerances.fd([0.0]).atol.tolist() == [e]


def test_an_fd_tolerance_is_ten_times_the_estimate_plus_the_analytic_floor():
    t = tolerances.fd([1e-9, 0.0], np.float64, scale=2.0)
    assert t.rtol == 256 * EPS
    assert t.atol.tolist() == [2 * 256 * EPS + 1e-8, 2 * 256 * EPS]
    assert t.reason == "10 x FD error estimate + 256 ulps of float64"
    with pytest.raises(ValueError, match=_msg("error_estimate: expected finite values >= 0, got [-1.0]")):
        tolerances.fd([-1.0])
    with pytest.raises(ValueError, match=_msg("error_estimate: expected finite values >= 0, got [nan]")):
        tolerances.fd([np.nan])
    with pytest.raises(ValueError, match=_msg("scale: expected finite values >= 0, got -1.0")):
        tolerances.analytic(scale=-1.0)


def test_fd_noise_is_the_larger_of_eight_ulps_and_four_measured_sigmas():
    d = tolerances.fd_noise([1.0, -2.0, 0.0], [0.0, 1e-15, 1e-20])
    assert d.tolist() == [8 * EPS, 4e-15, 4e-20]          # 8 ulps of 2 = 3.6e-15 < 4·1e-15


def test_the_underflow_tolerances_state_their_floors():
    assert tolerances.tiny() == TINY == 2.2250738585072014e-308
    assert tolerances.tiny(np.float32) == float(np.finfo(np.float32).tiny)
    t = tolerances.forward_error(np.float64, [1.0, 0.0])
    assert t.rtol == 256 * EPS
    assert t.atol.tolist() == [256 * EPS * (1.0 + TINY), 256 * EPS * TINY]
    assert t.reason == "256 ulps of float64 × running forward-error magnitude M"
    t = tolerances.relative("tanh' far out", np.float64)
    assert (t.rtol, t.atol, t.reason) == (256 * EPS, 256 * EPS * TINY, "relative: 256 ulps of float64 down to tiny (tanh' far out)")
    t = tolerances.relative("f32", np.float32)
    assert (t.rtol, t.atol) == (256 * EPS32, 256 * EPS32 * float(np.finfo(np.float32).tiny))
    with pytest.raises(ValueError, match=_msg("tolerances.relative: why must say which claim is about relative accuracy")):
        tolerances.relative("")
    t = tolerances.returned_norm(np.float64, 4)
    assert (t.rtol, t.atol) == (256 * EPS, math.sqrt(4 * TINY))
    assert t.reason == "256 ulps of float64 (values) + the underflow floor sqrt(N·tiny) of sqrt(Σg²)"
    t = tolerances.returned_norm(np.float32, 9)
    assert (t.rtol, t.atol) == (1024 * EPS32, math.sqrt(9 * float(np.finfo(np.float32).tiny)))


def test_a_scale_factors_uncertainty_is_relative_plus_half_a_subnormal_per_unit_of_g():
    s32 = float(np.finfo(np.float32).smallest_subnormal)
    got = tolerances.scale_factor(np.float32, -2.0, [3.0, -4.0])
    assert got == 1024 * EPS32 * 2.0 + 0.5 * s32 * 7.0 / 25.0
    s64 = float(np.finfo(np.float64).smallest_subnormal)
    assert tolerances.scale_factor(np.float64, 1.0, [1.0]) == 256 * EPS + 0.5 * s64


def test_plus_adds_the_atols_keeps_the_larger_rtol_and_both_reasons():
    t = tolerances.plus(tolerances.Tol(1e-3, 1.0, "a"), tolerances.Tol(1e-5, np.array([2.0, 3.0]), "b"))
    assert t.rtol == 1e-3
    assert t.atol.tolist() == [3.0, 4.0]
    assert t.reason == "a + b"
    assert tolerances.plus(tolerances.Tol(1e-5, 0.0, "a"), tolerances.Tol(1e-3, 0.0, "b")).rtol == 1e-3


def test_an_override_states_its_reason_and_checks_its_bounds():
    base = tolerances.Tol(1e-12, 1e-14, "base")
    for bad in ("", "   ", None):
        with pytest.raises(ValueError, match=_msg("tolerances.override: reason must be a non-empty explanation")):
            tolerances.override(base, bad)
    with pytest.raises(ValueError, match=_msg("rtol: expected finite values >= 0, got -1.0")):
        tolerances.override(base, "why", rtol=-1.0)
    with pytest.raises(ValueError, match=_msg("atol: expected finite values >= 0, got inf")):
        tolerances.override(base, "why", atol=np.inf)
    t = tolerances.override(base, "why")
    assert (t.rtol, t.atol, t.reason) == (1e-12, 1e-14, "override: why")


def test_a_chain_override_grows_with_its_length_and_says_so():
    t = tolerances.chain(3, "three layers")
    e = 256 * EPS
    assert t.rtol == (1.0 + e) ** 3 - 1.0
    assert t.atol == 0.0
    assert t.reason == "override: a chain of 3 rounded factors, each within 256 ulps, (1 + 2^8 eps)^3 − 1: three layers"
    assert tolerances.chain(np.int64(0), "none").rtol == 0.0
    for bad in (-1, 1.5, "2"):
        with pytest.raises(ValueError, match=_msg(f"tolerances.chain: n must be an integer >= 0, got {bad!r}")):
            tolerances.chain(bad, "why")


def test_an_exact_comparison_allows_nothing_and_says_why():
    t = tolerances.exact("a float fact")
    assert (t.rtol, t.atol, t.reason) == (0.0, 0.0, "exact: a float fact")
    for bad in ("", " "):
        with pytest.raises(ValueError, match=_msg("tolerances.exact: why must say why the comparison is exact")):
            tolerances.exact(bad)


# ================================================================ oracles.py: reporting
def test_literal_raises_a_counterexample_with_the_message_only_when_false():
    assert assertions.literal(True, "fine") is None
    with pytest.raises(assertions.Counterexample, match="^the statement is false here$"):
        assertions.literal(False, "the statement is false here")
    assert recording.ORACLES == ("autograd", "autograd-forward", "fd", "taylor", "closed-form", "hypothesis")


def test_the_recorder_keeps_the_worst_ratio_and_the_last_label_that_reached_it():
    rec = recording.Recorder()
    assert (rec.comparisons, rec.max_ratio, rec.bounds, rec.fd_entries, rec.fd_capped) == (0, 0.0, 0, 0, 0)
    assert rec.margin() is None and rec.margin_ratio == -np.inf
    rec.note("a", 1.0, 4.0)
    rec.note("b", 2.0, 8.0)                    # the same ratio 0.25: the later label is kept (>=)
    rec.note("c", 1.0, 8.0)
    assert (rec.comparisons, rec.max_ratio, rec.max_error, rec.tolerance, rec.worst_label) == (3, 0.25, 2.0, 8.0, "b")
    rec.note("exact zero", 0.0, 0.0)           # nothing allowed and nothing found: ratio 0
    assert rec.worst_label == "b"
    rec.note("exact miss", 1e-300, 0.0)        # nothing allowed, something found: ratio inf
    assert (rec.max_ratio, rec.worst_label, rec.max_error, rec.tolerance) == (np.inf, "exact miss", 1e-300, 0.0)


def test_a_margin_names_its_label_value_bound_and_the_input_being_run():
    rec = recording.Recorder()
    with recording.example_input({"x": np.array([0.5]), "n": 3}):
        rec.note_bound("|J| <= 1", 0.5, 1.0, 0.5)
    assert rec.margin() == {"worst_ratio": 0.5, "value": 0.5, "bound": 1.0, "label": "|J| <= 1", "input": "x=[0.5], n=3"}
    assert recording.current_input() == ""


def test_a_claims_recorder_absorbs_the_worst_comparison_of_what_must_hold_and_prefers_its_margin():
    """Recorder.absorb (the runner's fold over properties): a refuted statement's comparisons are the refutation,
    not an error of the check; its margin shows only when nothing that must hold asserted a bound."""
    def rec(ratio=None, margin=None):
        r = recording.Recorder(oracles={"fd"}, fd_entries=2, fd_capped=1)
        if ratio is not None:
            r.note(f"ratio {ratio}", ratio, 1.0)
        if margin is not None:
            r.note_bound(f"margin {margin}", margin, 1.0, margin)
        return r
    claim = recording.Recorder(oracles={"hypothesis"})
    claim.absorb(rec(ratio=9.0, margin=0.9), "fails")
    assert (claim.max_ratio, claim.worst_label, claim.margin()["label"]) == (0.0, "", "margin 0.9")   # only the refuted one so far
    claim.absorb(rec(ratio=0.5, margin=0.2), "holds")
    claim.absorb(rec(ratio=0.25, margin=0.1), "negation")
    claim.absorb(rec(margin=0.95), "fails")
    assert (claim.max_ratio, claim.worst_label, claim.margin()["label"]) == (0.5, "ratio 0.5", "margin 0.2")
    assert (claim.oracles, claim.fd_entries, claim.fd_capped, claim.bounds) == ({"hypothesis", "fd"}, 8, 4, 4)


class _Case(NamedTuple):
    a: float
    b: tuple


def test_show_writes_every_value_at_full_precision_and_every_container_as_python():
    assert recording.show(x=np.array([[0.1, 2.0]])) == "x=[[0.1, 2.0]]"
    assert recording.show(t=(1.5,), u=(1, 2), l=[np.array([1.0]), 2]) == "t=(1.5,), u=(1, 2), l=[[1.0], 2]"
    assert recording.show(d={"k": np.array([0.25]), 2: "s"}) == "d={'k': [0.25], 2: 's'}"
    assert recording.show(c=_Case(0.1 + 0.2, (np.array([1.0]),))) == "c=Case(a=0.30000000000000004, b=([1.0],))"
    assert recording.show() == ""


def test_a_long_input_is_shown_on_one_line_and_cut_at_600_characters():
    with recording.example_input({"s": "a  b\n c"}):
        assert recording.current_input() == "s='a b\\n c'"                # runs of white space become one space
    with recording.example_input({"m": np.zeros((2, 2))}):
        assert recording.current_input() == "m=[[0.0, 0.0], [0.0, 0.0]]"
    long = {"x": list(range(300))}
    with recording.example_input(long):
        text = recording.current_input()
        assert recording.current_input() is text                      # computed once per example
    full = recording.show(**long)
    assert len(full) > 600
    assert text == full[:600] + " …"
    exact = {"s": "y" * 596}                                       # s='yyy…' is exactly 600 characters: not cut
    with recording.example_input(exact):
        assert recording.current_input() == "s='" + "y" * 596 + "'"


def test_recording_collects_oracles_overrides_and_comparisons_only_inside():
    recording.record_oracle("fd")                                    # no-op outside a recording
    recording.record_comparison("outside", 1.0, 1.0)
    with recording.recording() as rec:
        recording.record_oracle("autograd", "closed-form")
        recording.record_override(tolerances.override(tolerances.analytic(), "a stated reason"))
        recording.record_override(tolerances.analytic())              # not an override: not recorded
        recording.record_override("override: a string is no Tol")
        recording.record_comparison("mine", 3.0, 4.0)
        with recording.recording() as inner:
            recording.record_oracle("taylor")
        assert inner.oracles == {"taylor"}
    assert rec.oracles == {"autograd", "closed-form"}
    assert rec.overrides == {"override: a stated reason"}
    assert (rec.comparisons, rec.worst_label, rec.max_ratio) == (1, "mine", 0.75)
    with pytest.raises(ValueError, match=_msg("record_oracle: unknown oracle(s) ['mine', 'nope']; known: "
                                              "['autograd', 'autograd-forward', 'fd', 'taylor', 'closed-form', 'hypothesis']")):
        recording.record_oracle("fd", "nope", "mine")


# ---------------------------------------------------------------- assert_close, assert_le, assert_structure
def test_assert_close_names_the_label_the_worst_entry_the_values_and_the_tolerance():
    tol = tolerances.Tol(rtol=0.0, atol=0.5, reason="half")
    with recording.recording() as rec:
        assertions.assert_close([1.0, 2.0, 3.0], [1.0, 2.25, 3.0], tol, "ok")
        with pytest.raises(AssertionError, match=_msg(
                "J: 2 of 4 entries differ (shape (2, 2)); worst at index (1, 0): got 5.0, expected 3.0, "
                "|error| 2.000e+00 > allowed 5.000e-01 (rtol 0.00e+00, half)\nreproduce: f(x=1)")) as info:
            assertions.assert_close([[1.0, 2.0], [5.0, 0.0]], [[1.0, 2.0], [3.0, 1.0]], tol, "J", reproduce="f(x=1)")
    assert type(info.value) is AssertionError
    assert (rec.comparisons, rec.worst_label, rec.max_error, rec.tolerance, rec.max_ratio) == (2, "J", 2.0, 0.5, 4.0)
    with pytest.raises(assertions.Counterexample, match=_msg(
            "s: 1 of 1 entries differ (shape ()); worst at index (): got 1.0, expected 0.0, |error| 1.000e+00 > allowed "
            "0.000e+00 (rtol 0.00e+00, exact: why)")):
        assertions.assert_close(1.0, 0.0, tolerances.exact("why"), "s", literal=True)
    with pytest.raises(AssertionError, match=_msg("v: shape mismatch, got (2,), expected (3,)")):
        assertions.assert_close(np.zeros(2), np.zeros(3), tol, "v")
    with pytest.raises(AssertionError, match=_msg("v: non-finite value at index (1,): got nan, expected 1.0")):
        assertions.assert_close([0.0, np.nan], [0.0, 1.0], tol, "v")
    with pytest.raises(AssertionError, match=_msg("v: non-finite value at index (0,): got 0.0, expected inf")):
        assertions.assert_close([0.0], [np.inf], tol, "v")
    with recording.recording() as rec:
        assertions.assert_close(np.zeros(0), np.zeros(0), tol, "empty")
        assertions.assert_close([0.0, 1.0], [0.0, 1.0], tolerances.exact("equal"), "exact")
    assert (rec.comparisons, rec.worst_label, rec.max_ratio) == (1, "exact", 0.0)


def test_assert_close_records_an_override_it_is_given():
    with recording.recording() as rec:
        assertions.assert_close(1.0, 1.0, tolerances.override(tolerances.analytic(), "because"), "x")
        assertions.assert_le(1.0, 2.0, tolerances.override(tolerances.analytic(), "le"), "y")
        assertions.assert_structure(np.eye(2), np.eye(2, dtype=bool), tolerances.override(tolerances.analytic(), "st"), "z")
    assert rec.overrides == {"override: because", "override: le", "override: st"}


def test_assert_le_reports_the_entry_furthest_beyond_its_bound_and_how_many():
    tol = tolerances.exact("bound")
    with recording.recording() as rec, pytest.raises(AssertionError, match=_msg(
            "|x| <= 1: 3.0 exceeds the bound 1.0 (allowed up to 1.0, exact: bound); 2 of 3 entries\nreproduce: r()")):
        assertions.assert_le([1.5, 0.5, 3.0], [1.0, 1.0, 1.0], tol, "|x| <= 1", reproduce="r()")
    m = rec.margin()
    assert (m["worst_ratio"], m["value"], m["bound"], m["label"]) == (3.0, 3.0, 1.0, "|x| <= 1")
    with pytest.raises(assertions.Counterexample, match=_msg("s: 2.0 exceeds the bound 1.0 (allowed up to 1.0, exact: bound)")):
        assertions.assert_le(2.0, 1.0, tol, "s", literal=True)
    t = tolerances.Tol(rtol=0.5, atol=0.25, reason="loose")
    assertions.assert_le(1.74, 1.0, t, "within")                     # allowed up to 1 + 0.25 + 0.5·1
    with pytest.raises(AssertionError, match=_msg("w: 1.76 exceeds the bound 1.0 (allowed up to 1.75, loose)")):
        assertions.assert_le(1.76, 1.0, t, "w")
    assertions.assert_le(np.zeros(0), 1.0, tol, "empty")


def test_a_bound_at_or_below_zero_counts_as_ratio_one_when_reached_and_zero_otherwise():
    with recording.recording() as rec:
        assertions.assert_le(-1.0, 0.0, tolerances.exact("z"), "below zero")
    assert rec.margin()["worst_ratio"] == 0.0
    with recording.recording() as rec:
        assertions.assert_le(1e-300, 0.0, tolerances.Tol(0.0, 1e-200), "at zero")
    assert (rec.margin()["worst_ratio"], rec.margin()["value"], rec.margin()["bound"]) == (1.0, 1e-300, 0.0)
    with recording.recording() as rec:
        assertions.assert_le([1.0, 3.0], [4.0, 4.0], tolerances.exact("z"), "pos")
    assert (rec.margin()["worst_ratio"], rec.margin()["value"]) == (0.75, 3.0)


def test_assert_le_refuses_a_non_finite_bound_and_a_nan_value():
    with pytest.raises(AssertionError, match=_msg("b: non-finite bound or NaN value: value [1.0], bound [inf]")):
        assertions.assert_le([1.0], [np.inf], tolerances.exact("t"), "b")
    assertions.assert_le(-np.inf, 1.0, tolerances.exact("t"), "minus infinity is below every bound")
    with pytest.raises(AssertionError, match=_msg("n: non-finite bound or NaN value: value [0.5, nan], bound [1.0, 1.0]")):
        assertions.assert_le([0.5, np.nan], 1.0, tolerances.exact("t"), "n")


def test_assert_le_in_rational_arithmetic_says_so_and_shows_an_overflow_as_infinity():
    tol = tolerances.exact("rational")
    with recording.recording() as rec:
        assertions.assert_le(Fraction(1, 3), Fraction(1, 2), tol, "third")
    m = rec.margin()
    assert (m["worst_ratio"], m["value"], m["bound"]) == (2 / 3, 1 / 3, 0.5)
    with pytest.raises(AssertionError, match=_msg(
            "big: inf exceeds the bound 1.0 (exactly, in rational arithmetic; allowed up to 1.0, exact: rational)\nreproduce: r")):
        assertions.assert_le(Fraction(10) ** 400, 1.0, tol, "big", reproduce="r")
    with pytest.raises(assertions.Counterexample, match=_msg(
            "neg: -inf exceeds the bound -inf (exactly, in rational arithmetic; allowed up to -inf, exact: rational)")):
        assertions.assert_le(-Fraction(10) ** 400 + 1, -Fraction(10) ** 400, tol, "neg", literal=True)
    with recording.recording() as rec:
        assertions.assert_le(Fraction(-1), Fraction(0), tol, "zero bound")
        assertions.assert_le(Fraction(1, 10**9), Fraction(0), tolerances.Tol(0.0, 1e-6, "a"), "reached zero")
    assert (rec.margin()["worst_ratio"], rec.margin()["label"]) == (1.0, "reached zero")
    assertions.assert_le(Fraction(3, 2), 1.0, tolerances.Tol(0.25, 0.25, "both"), "1.5 <= 1 + 0.25 + 0.25")
    with pytest.raises(AssertionError, match=r"^over: 1\.51 exceeds"):
        assertions.assert_le(Fraction(151, 100), 1.0, tolerances.Tol(0.25, 0.25, "both"), "over")


def test_assert_structure_names_the_worst_entry_that_must_be_zero():
    J = np.array([[1.0, 3e-3], [2e-3, 1.0]])
    with recording.recording() as rec, pytest.raises(AssertionError, match=_msg(
            "D: structure violated: 2 entries must be zero but are not; worst at index (0, 1) = 0.003 (allowed 1.000e-03, t)")):
        assertions.assert_structure(J, assertions.diagonal_mask(2), tolerances.Tol(0.0, 1e-3, "t"), "D")
    assert (rec.worst_label, rec.max_error, rec.tolerance) == ("D (structure)", 3e-3, 1e-3)
    assertions.assert_structure(J, assertions.diagonal_mask(2), tolerances.Tol(0.0, 3e-3, "t"), "within")
    with pytest.raises(AssertionError, match=r"^E: structure violated: 1 entries .* \(allowed 0\.000e\+00, exact: e\)$"):
        assertions.assert_structure(np.array([[0.0, 1e-300]]), np.array([[True, False]]), tolerances.exact("e"), "E")
    with pytest.raises(ValueError, match=_msg("assert_structure: mask shape (3, 3) != Jacobian shape (2, 2)")):
        assertions.assert_structure(J, assertions.diagonal_mask(3), tolerances.exact("e"), "D")
    assert assertions.diagonal_mask(2).tolist() == [[True, False], [False, True]]
    assertions.assert_structure(np.zeros((0, 0)), np.zeros((0, 0), dtype=bool), tolerances.exact("e"), "empty")


# ---------------------------------------------------------------- the oracles' own reports
def test_each_oracle_records_its_name_and_refuses_a_non_finite_jacobian():
    A = np.array([[2.0, 0.0], [1.0, 3.0]])
    x = np.array([0.5, -0.25])
    with recording.recording() as rec:
        assert oracles.jacobian_reverse(lambda u: A @ u, x).tolist() == A.tolist()
        assert rec.oracles == {"autograd"}
        assert oracles.jacobian_forward(lambda u: A @ u, x).tolist() == A.tolist()
        assert rec.oracles == {"autograd", "autograd-forward"}
    # tanh's derivative 1/cosh(x)² overflows to 1/inf = 0 inside autograd at x = 400: the right limit, not an error
    assert oracles.jacobian_forward(autograd_np.tanh, np.array([400.0])).tolist() == [[0.0]]
    assert oracles.jacobian_reverse(autograd_np.tanh, np.array([400.0])).tolist() == [[0.0]]
    with pytest.raises(FloatingPointError, match=_msg("who: non-finite Jacobian entry at (1, 0): " + repr(np.float64(np.inf)))):
        oracles._finite_jacobian(np.array([[0.0, 1.0], [np.inf, np.nan]]), "who")


def test_the_stencil_weights_are_solved_from_the_moment_equations():
    assert oracles._stencil_weight_sum(order=2) == pytest.approx(1.0, abs=1e-12)          # (−1/2, 0, 1/2)
    assert oracles._stencil_weight_sum(order=2, c=4.0) == pytest.approx(1.0, abs=1e-12)
    assert round(oracles._STENCIL_WEIGHTS, 2) == 13.51
    assert oracles._ROUNDING_FACTOR == 8.0 * oracles._STENCIL_WEIGHTS
    assert oracles._steps(0.5) == [0.5, 0.1, 0.5 / 25]
    assert (oracles.FD_RETRY_SHRINK, oracles.FD_RTOL, oracles.FD_RETRIES) == (5.0, 1e-10, 2)


def test_an_entry_settles_where_its_best_change_is_within_the_convergence_test_or_the_rounding():
    status = np.array([-1, -2, -3, -1, -1, -2])
    error = np.array([1e-20, 1e-20, 1e-20, 1.0, 2e-8, 1.0])
    rounding = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    df = np.ones(6)
    out = oracles._settled(status, error, rounding, df)
    assert out.tolist() == [0, 0, -3, -1, -1, 0]
    assert status.tolist() == [-1, -2, -3, -1, -1, -2]             # the caller's array is not changed
    assert oracles._settled(np.array([-1]), np.array([0.5]), np.array([0.0]), np.array([0.0]), atol=0.5).tolist() == [0]
    assert oracles._settled(np.array([-1]), np.array([np.inf]), np.array([np.inf]), np.array([0.0])).tolist() == [-1]


def test_an_unconverged_fd_names_its_entries_statuses_and_steps():
    e = oracles._unconverged("J (2x2)", [(0, 1)], [-2], [0.5, 0.1, 0.02])
    assert isinstance(e, assertions.FDInconclusive) and isinstance(e, AssertionError)
    assert str(e) == ("J (2x2): scipy.differentiate did not converge on 1 entry with initial steps 0.5, 0.1, 0.02: (0, 1): maximum "
                      "iterations reached; finite differences cannot decide here (a smaller step, another point, or another oracle is needed)")
    e = oracles._unconverged("d", [(k,) for k in range(7)], [-1, -3, 7, -1, -1, -1, -1], [0.25])
    assert str(e).startswith("d: scipy.differentiate did not converge on 7 entries with initial steps 0.25: (0,): error estimate "
                             "increased, (1,): non-finite value, (2,): status 7, (3,): error estimate increased, (4,): error estimate "
                             "increased (and 2 more); ")
    e = oracles._unconverged("d", [(k,) for k in range(5)], [-1] * 5, [0.25])
    assert "(4,): error estimate increased; finite" in str(e)


class _Counted:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def test_jacobian_fd_counts_every_evaluation_of_f_in_nfev():
    f = _Counted(lambda u: np.array([u[0] * u[1], u[0] + 2.0 * u[1]]))
    stats = {}
    with recording.recording() as rec:
        J, err = oracles.jacobian_fd(f, [0.5, -1.0], stats=stats)
    assert rec.oracles == {"fd"}
    assert stats == {"nfev": f.calls, "retried": 0}
    assert f.calls > 1 + 2 * tolerances.NOISE_POINTS
    assert J == pytest.approx(np.array([[-1.0, 0.5], [1.0, 2.0]]), abs=1e-12)
    assert err.shape == (2, 2) and np.all(err > 0) and np.all(err < 1e-10)


def test_jacobian_fd_of_a_function_of_no_inputs_or_outputs_is_empty():
    stats = {}
    J, err = oracles.jacobian_fd(lambda u: np.zeros(0), np.array([1.0]), stats=stats)
    assert J.shape == err.shape == (0, 1)
    assert stats == {"nfev": 1 + 2 * tolerances.NOISE_POINTS, "retried": 0}


def test_directional_fd_counts_every_evaluation_and_scales_back_by_the_length_of_v():
    f = _Counted(lambda u: np.array([u[0] ** 2, 3.0 * u[1]]))
    stats = {}
    with recording.recording() as rec:
        d, err = oracles.directional_fd(f, [1.0, 2.0], [3.0, 4.0], [1.0, 1.0], stats=stats)
    assert rec.oracles == {"fd"}
    assert stats == {"nfev": f.calls, "retried": 0}
    assert d == pytest.approx(2.0 * 3.0 + 3.0 * 4.0, abs=1e-9)     # uᵀJv with J = diag(2u_0, 3)
    assert 0 < err < 1e-8
    assert oracles.directional_fd(f, [1.0, 2.0], [0.0, 0.0], [1.0, 1.0]) == (0.0, 0.0)


def test_directional_fd_reports_its_retries_and_its_last_status(monkeypatch):
    class Never:
        status = np.array(-2)

    def fake(phi, x0, initial_step, tolerances, callback):
        class R:
            df, error, nit = np.array(1.0), np.array(1.0), np.array(3)
        callback(R)
        callback(R)
        return Never
    monkeypatch.setattr(oracles.sd, "derivative", fake)
    stats = {}
    with pytest.raises(assertions.FDInconclusive, match=_msg(
            "directional_fd: scipy.differentiate did not converge on 1 entry with initial steps 0.5, 0.1, 0.02: (): maximum "
            "iterations reached; finite differences cannot decide here (a smaller step, another point, or another oracle is needed)")):
        oracles.directional_fd(lambda u: u, np.array([1.0]), np.array([1.0]), np.array([1.0]), stats=stats)
    assert stats == {"nfev": 1 + 2 * tolerances.NOISE_POINTS, "retried": 2}


def test_assert_close_fd_counts_the_entries_it_compared_and_those_the_cap_bound():
    with recording.recording() as rec:
        assertions.assert_close_fd([1.0, 2.0], [1.0, 2.0], [1e-9, 1e-6], "J", scale=1.0)
    assert (rec.fd_entries, rec.fd_capped, rec.comparisons) == (2, 1, 1)
    with recording.recording() as rec:
        assertions.assert_close_fd([1.0], [1.0], 1e-8, "J", scale=1.0)           # 10 x 1e-8 = 1e-7 <= the cap 1e-6
    assert (rec.fd_entries, rec.fd_capped) == (1, 0)
    with recording.recording() as rec:
        assertions.assert_close_fd([1.0], [1.0], 1e-8, "J", scale=0.01)          # the cap is 1e-6 x scale = 1e-8
    assert (rec.fd_entries, rec.fd_capped) == (1, 1)


def test_assert_close_fd_says_when_finite_differences_cannot_decide():
    floor = 256 * EPS
    with pytest.raises(assertions.FDInconclusive, match=_msg(
            "J: finite differences cannot decide: 1 of 2 entries have FD error estimates whose tolerance (10 x estimate, "
            "e.g. 1.000e-05 at (1,)) exceeds the cap 1e-06 x scale = 1.000e-06, and the difference lies between the two. "
            f"J: 1 of 2 entries differ (shape (2,)); worst at index (1,): got 2.000005, expected 2.0, |error| 5.000e-06 > "
            f"allowed {floor * 1.0 + 1e-6:.3e} (rtol {floor:.2e}, 10 x FD error estimate + 256 ulps of float64, capped at 1e-06 x scale 1)")):
        assertions.assert_close_fd([1.0, 2.000005], [1.0, 2.0], [0.0, 1e-6], "J", scale=1.0)
    with pytest.raises(AssertionError, match=r"^J: 1 of 2 entries differ") as info:          # beyond both: a failure
        assertions.assert_close_fd([1.0, 2.1], [1.0, 2.0], [0.0, 1e-6], "J", scale=1.0)
    assert type(info.value) is AssertionError
    with pytest.raises(AssertionError, match=r"^J: 1 of 1 entries differ .*\nreproduce: again\(\)$"):
        assertions.assert_close_fd([1.1], [1.0], [0.0], "J", reproduce="again()")


def test_taylor_order_is_two_for_the_right_derivative_one_for_a_wrong_one_and_none_when_linear():
    f = lambda u: u ** 2
    x, v = np.array([1.0, -0.5]), np.array([1.0, 1.0])
    with recording.recording() as rec:
        assert oracles.taylor_order(f, x, v, 2 * x * v) == pytest.approx(2.0, abs=0.05)
    assert rec.oracles == {"taylor"}
    assert oracles.taylor_order(f, x, v, 2 * x * v * 1.01) == pytest.approx(1.0, abs=0.05)
    assert oracles.taylor_order(lambda u: 3.0 * u, x, v, 3.0 * v) is None
    assert oracles.taylor_order(f, x, v, 2 * x * v, steps=[0.5, 0.25]) is None          # two steps: one order, too few


def test_check_jacobian_names_the_oracle_pair_that_disagreed():
    A = np.array([[1.0, 2.0], [0.0, 3.0]])
    f = lambda u: A @ u
    x = np.array([0.5, 0.25])
    with recording.recording() as rec:
        assert oracles.check_jacobian(f, x, closed_form=A, label="L", structure=[[1, 1], [0, 1]]).tolist() == A.tolist()
    assert rec.oracles == {"autograd", "autograd-forward", "fd", "closed-form"}
    with pytest.raises(AssertionError, match=r"^L: closed form vs autograd: 1 of 4 entries differ .* got 2\.5, expected 2\.0"):
        oracles.check_jacobian(f, x, closed_form=[[1.0, 2.5], [0.0, 3.0]], label="L")
    # the analytic tolerance is at the Jacobian's scale (max |J| = 3): 2.5e-13 off at an entry of 2 passes (allowed
    # 256 eps·(3 + 2) = 2.8e-13), which the unit scale would refuse (256 eps·(1 + 2) = 1.7e-13)
    oracles.check_jacobian(f, x, closed_form=A + [[0.0, 2.5e-13], [0.0, 0.0]], label="L")
    with pytest.raises(AssertionError, match=r"^L: autograd: structure violated: 1 entries must be zero but are not; worst at index \(0, 1\)"):
        oracles.check_jacobian(f, x, label="L", structure=np.eye(2))
    # a closed form within the analytic tolerance of autograd can still break the structure autograd keeps
    atol = 256 * EPS
    B = np.array([[1.0, 0.6 * atol], [0.0, 1.0]])
    C = np.array([[1.0, 1.5 * atol], [0.0, 1.0]])
    with pytest.raises(AssertionError, match=_msg(f"M: closed form: structure violated: 1 entries must be zero but are not; worst at index "
                                                  f"(0, 1) = {1.5 * atol!r} (allowed {atol:.3e}, 256 ulps of float64)")):
        oracles.check_jacobian(lambda u: B @ u, x, closed_form=C, label="M", structure=np.eye(2))


def test_check_directional_names_the_claimed_projection_that_disagreed():
    f = lambda u: u[:1] * u[1:]
    x, v, u = np.array([2.0, 3.0]), np.array([1.0, 0.0]), np.array([1.0])
    with recording.recording() as rec:
        claimed, d = oracles.check_directional(f, x, v, u)
    assert rec.oracles == {"autograd", "fd"}
    assert claimed == 3.0 and d == pytest.approx(3.0, abs=1e-9)
    with pytest.raises(AssertionError, match=r"^p: autograd vs directional finite difference: 1 of 1 entries differ .* got 3\.5.*\nreproduce: p\(\)$"):
        oracles.check_directional(f, x, v, u, label="p", claimed=3.5, reproduce="p()")
