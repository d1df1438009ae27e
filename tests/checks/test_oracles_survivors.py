"""Tests written for mutation survivors of checks/oracles.py and checks/tolerances.py (docs/MUTATION.md), marked
``survivor``: each pins a behaviour no other test read.

They join the oracles' and the tolerances' own test files once those are split along checks/oracles.py; until then
they live here.
"""
import numpy as np
import pytest

from vanishing.checks import assertions, oracles, recording, tolerances


@pytest.mark.survivor
def test_assert_le_on_nan_names_its_label_and_the_cause():
    # pins: a NaN value fails assert_le with its label and the cause in the message (a mutant raised AssertionError(None):
    # the verdict was kept, the diagnosis lost)
    with pytest.raises(AssertionError, match=r"^my bound: non-finite bound or NaN value: value \[?nan\]?, bound \[?1\.0\]?$"):
        assertions.assert_le(np.nan, 1.0, tolerances.exact("a test"), "my bound")


@pytest.mark.survivor
def test_jacobian_fd_reports_its_function_evaluations():
    # pins: jacobian_fd's stats (part of its documented API) count the function evaluations as an int (a mutant reported
    # nfev = None)
    stats = {}
    oracles.jacobian_fd(np.sin, np.array([0.3, -1.2]), stats=stats)
    assert isinstance(stats["nfev"], int) and stats["nfev"] > 1 + 2, stats   # f(x) once, then each column's stencil
    assert stats["retried"] == 0, stats                                       # sin converges from the first step


@pytest.mark.survivor
def test_assert_close_counts_only_the_entries_beyond_the_tolerance():
    # pins: an entry exactly at the allowed error does not count as differing (a mutant counted ratio >= 1)
    tol = tolerances.Tol(rtol=0.0, atol=1.0, reason="a test")
    with pytest.raises(AssertionError, match=r"^m: 1 of 3 entries differ "):
        assertions.assert_close(np.array([1.0, 3.0, 0.5]), np.zeros(3), tol, "m")


@pytest.mark.survivor
def test_directional_fd_along_zero_is_exactly_zero_with_no_error():
    # pins: the directional derivative along v = 0 is exactly 0 with error estimate 0 (a mutant returned the estimate 1.0:
    # a tolerance 10 wide on that comparison)
    assert oracles.directional_fd(np.sin, np.array([0.3, 1.0]), np.zeros(2), np.ones(2)) == (0.0, 0.0)


@pytest.mark.survivor
def test_tolerance_reasons_and_messages_are_stated():
    # pins: relative() refuses a blank reason with its message, and returned_norm states its reason (mutants changed the
    # one and dropped the other)
    with pytest.raises(ValueError, match=r"^tolerances\.relative: why must say which claim is about relative accuracy$"):
        tolerances.relative("  ")
    assert "underflow floor sqrt(N·tiny)" in tolerances.returned_norm(np.float64, 4).reason


@pytest.mark.survivor
def test_the_fd_noise_constant_is_one_over_the_variance_gain_of_a_sixth_difference():
    # pins: NOISE_GAMMA6 is exactly 1/C(12,6) (a mutant wrote 518401 for 518400). The sixth difference Δ⁶ε of iid noise of
    # variance σ² has variance σ²·Σ_k C(6,k)² = σ²·C(12,6) (Vandermonde), so the unbiased estimate of σ² is
    # mean((Δ⁶)²)/C(12,6), which the module writes as (6!)²/12!: both are the correctly rounded 1/924
    import math
    assert sum(math.comb(6, k) ** 2 for k in range(7)) == math.comb(12, 6) == 924
    assert tolerances.NOISE_GAMMA6 == math.factorial(6) ** 2 / math.factorial(12) == 1 / math.comb(12, 6)


@pytest.mark.survivor
def test_an_unconverged_fd_entry_is_named_with_scipys_status_in_words():
    # pins: each unconverged entry is named with scipy's status in words, -2 included (a mutant keyed "maximum iterations
    # reached" by +2, so scipy's -2 was shown as "status -2")
    e = oracles._unconverged("J", [(0, 1), (2, 0), (1, 1)], [-1, -2, -3], [0.5, 0.1])
    assert isinstance(e, assertions.FDInconclusive)
    assert ("(0, 1): error estimate increased, (2, 0): maximum iterations reached, (1, 1): non-finite value;"
            in str(e)), str(e)


@pytest.mark.survivor
def test_an_override_replaces_the_bounds_it_is_given_and_keeps_the_others():
    # pins: override() replaces the bounds it is given, 0 included, and keeps the others (a mutant dropped an override's
    # atol and kept the base tolerance's)
    base = tolerances.Tol(rtol=1e-12, atol=1e-14, reason="base")
    t = tolerances.override(base, "a stated reason", atol=1e-9)
    assert (t.rtol, t.atol, t.reason) == (1e-12, 1e-9, "override: a stated reason")
    t = tolerances.override(base, "a stated reason", rtol=1e-6)
    assert (t.rtol, t.atol) == (1e-6, 1e-14)
    t = tolerances.override(base, "a stated reason", rtol=0.0, atol=0.0)      # 0 is a value, not "not given"
    assert (t.rtol, t.atol) == (0.0, 0.0)
    # chain() is such an override (relative only): with the mutant it kept analytic()'s absolute floor of 5.7e-14
    assert tolerances.chain(3, "three factors").atol == 0.0


@pytest.mark.survivor
def test_a_claims_margin_names_the_first_input_that_reached_its_worst_ratio():
    # pins: on a tie the margin stays with the first input that reached the worst ratio (a mutant's ratio >= margin for >
    # moved it to the later input). Ties are common (a bound met with equality, at every saturated draw); Hypothesis
    # runs the explicit @examples first, so the first input reaching the worst ratio is the stable, reproducible one to
    # name
    rec = recording.Recorder()
    rec.note_bound("first", 1.0, 4.0, 0.25)
    rec.note_bound("second", 2.0, 8.0, 0.25)
    rec.note_bound("smaller", 1.0, 8.0, 0.125)
    assert (rec.bounds, rec.margin_label, rec.margin_value, rec.margin_bound) == (3, "first", 1.0, 4.0)
    rec.note_bound("worse", 3.0, 6.0, 0.5)
    assert rec.margin()["label"] == "worse" and rec.margin()["worst_ratio"] == 0.5


@pytest.mark.survivor
def test_a_relative_tolerance_states_its_reason():
    # pins: relative() states its reason, which the report shows for why a tolerance is what it is (a mutant dropped it)
    t = tolerances.relative("tanh' in its far tail", np.float32)
    assert t.reason == "relative: 256 ulps of float32 down to tiny (tanh' in its far tail)"


@pytest.mark.survivor
def test_a_long_input_is_cut_with_an_ellipsis():
    # pins: an input longer than _SHOWN_INPUT_CHARS is cut and marked with " …" in a claim's margin (a mutant changed the
    # marker)
    text = recording._shown_input({"x": np.arange(1000.0)})
    assert text.startswith("x=[0.0, 1.0, 2.0") and text.endswith(" …")
    assert len(text) == recording._SHOWN_INPUT_CHARS + 2
    assert recording._shown_input({"x": 1.5}) == "x=1.5"


@pytest.mark.survivor
def test_a_tolerance_bound_is_computed_in_float64_whatever_the_reference_dtype():
    # pins: Tol.bound is float64 whatever the reference's dtype (a mutant without dtype=float64 gave a float32 reference a
    # float32 bound, rounded to 24 bits; with a float16 reference 2**8 ulps of float64 times |b| underflowed to 0)
    for dt in (np.float16, np.float32, np.int64):
        b = tolerances.Tol(rtol=1 / 3, atol=0.0).bound(np.ones(2, dt))
        assert b.dtype == np.float64 and b[0] == 1 / 3, (dt, b)
    assert tolerances.analytic().bound(np.ones(1, np.float16))[0] == 2 * tolerances.analytic().rtol


@pytest.mark.survivor
def test_an_override_without_a_reason_is_refused_by_name():
    # pins: the message that refuses an override without a reason (a mutant changed it)
    with pytest.raises(ValueError, match=r"^tolerances\.override: reason must be a non-empty explanation$"):
        tolerances.override(tolerances.analytic(), " ")


@pytest.mark.survivor
def test_a_bad_scale_is_named_by_the_tolerance_constructor():
    # pins: analytic() names scale when it refuses a negative one (a mutant passed None as the name)
    with pytest.raises(ValueError, match=r"^scale: expected finite values >= 0, got -1\.0$"):
        tolerances.analytic(scale=-1.0)


@pytest.mark.survivor
def test_jacobian_fd_counts_the_entries_it_retried():
    # pins: stats["retried"] counts the entries retried from a smaller step (a mutant subtracted them, so it went below 0).
    # A tanh RNN with gain 3 (H = 4, 10 steps, seed 1) has entries that do not converge from the first step 0.5 and do
    # from a smaller one
    from vanishing.models import rnn
    rng = np.random.default_rng(1)
    p = rnn.init_params(4, 1, rng, scale=3.0)
    xs = rng.standard_normal((10, 1))

    def f(h):
        return rnn.forward(p, h, xs)[-1]
    stats = {}
    J, _ = oracles.jacobian_fd(f, np.zeros(4), stats=stats)
    assert 0 < stats["retried"] <= oracles.FD_RETRIES * J.size, stats
    np.testing.assert_allclose(J, oracles.jacobian_reverse(f, np.zeros(4)), rtol=1e-9, atol=1e-9)


@pytest.mark.survivor
def test_an_exact_structure_check_passes_a_zero_and_fails_the_smallest_nonzero():
    # pins: with a zero tolerance, an exact zero passes the structure check and the smallest subnormal fails it (a mutant's
    # off >= 0 for off > 0 counted every entry as violated). No claim checks a structure with atol = 0, so nothing else
    # ran that branch
    J = np.array([[1.0, 0.0], [0.0, -2.0]])
    assertions.assert_structure(J, np.eye(2, dtype=bool), tolerances.exact("a diagonal Jacobian"), "diag")
    J[0, 1] = 5e-324
    with pytest.raises(AssertionError, match=r"^diag: structure violated: 1 entries must be zero but are not; worst at index \(0, 1\) = 5e-324"):
        assertions.assert_structure(J, np.eye(2, dtype=bool), tolerances.exact("a diagonal Jacobian"), "diag")


class _Iterate:
    def __init__(self, df, error, nit):
        self.df, self.error, self.nit = np.array([df]), np.array([error]), np.array([nit])


@pytest.mark.survivor
def test_fd_history_keeps_the_earlier_of_two_iterates_that_are_equally_good():
    # pins: on a tie between two iterates' error estimates the earlier one stays (a mutant's est <= best let the later
    # iterate, at a smaller step with more rounding, replace it). The estimates here are exact binary fractions, so the
    # tie is exact.
    hist = oracles._History()
    hist(_Iterate(1.0, np.nan, 0))
    hist(_Iterate(2.0, 0.5, 1))                # first change: nothing before it, not trusted
    hist(_Iterate(2.5, 0.25, 2))               # trusted (0.5 before it): est = max(0.25, 0.5/255) = 0.25
    hist(_Iterate(3.0, 0.25, 3))               # trusted, est = 0.25 again: a tie, the earlier iterate stays
    assert hist.err[0] == 0.25 and hist.nit[0] == 2
    assert hist.df[0] == 2.5 + (2.5 - 2.0) / 255.0


@pytest.mark.survivor
def test_check_jacobian_names_finite_differences_when_only_they_disagree_with_autograd():
    # pins: the failure names finite differences when only they disagree (a mutant passed None as the label). A primitive
    # whose VJP and JVP are both wrong by the same factor makes autograd's two modes and the closed form agree; only
    # finite differences see it
    from autograd.extend import defjvp, defvjp, primitive

    @primitive
    def cube(x):
        return x ** 3

    defvjp(cube, lambda ans, x: lambda g: g * 3.3 * x ** 2)        # 3.3 where 3 belongs
    defjvp(cube, lambda g, ans, x: g * 3.3 * x ** 2)
    x = np.array([0.7, -1.2])
    with pytest.raises(AssertionError, match=r"^cube: autograd vs finite differences"):
        oracles.check_jacobian(cube, x, closed_form=np.diag(3.3 * x ** 2), label="cube")


@pytest.mark.survivor
def test_check_directional_differentiates_f_at_the_shape_of_x():
    # pins: check_directional calls f at the shape of x, not flattened (a mutant reshaped w to None). Every other caller
    # passed `claimed`, so the VJP path ran on no matrix-shaped input
    A = np.array([[1.0, -2.0], [0.5, 3.0]])

    def f(X):
        return np.tanh(X) @ A                                           # needs X of shape (3, 2)
    X = np.array([[0.1, -0.4], [0.3, 0.2], [-0.6, 0.5]])
    v = np.arange(6.0).reshape(3, 2) / 6.0
    u = np.array([[1.0, 0.0], [0.0, -1.0], [0.5, 0.5]])
    claimed, d = oracles.check_directional(f, X, v, u, label="uᵀJv")
    want = float(np.sum(u * (((1.0 - np.tanh(X) ** 2) * v) @ A)))      # the closed form of uᵀ J v
    assert claimed == pytest.approx(want, rel=1e-12) and d == pytest.approx(want, rel=1e-8)


@pytest.mark.survivor
def test_check_jacobian_puts_the_reproduce_line_in_a_closed_form_failure():
    # pins: a closed-form comparison's failure carries the reproduce line (a mutant passed None for it)
    f = lambda x: x ** 3                                                 # noqa: E731
    x = np.array([0.5, -1.5])
    with pytest.raises(AssertionError, match=r"^cube: closed form vs autograd.*\n?.*reproduce: vanishing verify --only X"):
        oracles.check_jacobian(f, x, closed_form=np.diag(3.3 * x ** 2), label="cube", reproduce="reproduce: vanishing verify --only X")


@pytest.mark.survivor
def test_measured_noise_estimates_the_standard_deviation_of_white_noise():
    # pins: measured_noise estimates σ of white noise (a mutant took 7th differences for 6th: γ₆ = (6!)²/12! then scales
    # the wrong difference and the estimate is √(C(14,7)/C(12,6)) = 1.93 times σ). Deterministic white noise of
    # σ = 1e-9 on a smooth function:
    import hashlib
    sigma = 1e-9

    def f(u):
        seed = int.from_bytes(hashlib.blake2b(np.asarray(u, dtype=np.float64).tobytes(), digest_size=8).digest(), "little")
        return np.array([np.sin(u[0]) + u[1] ** 2 + sigma * np.random.default_rng(seed).standard_normal()])
    rng = np.random.default_rng(3)
    ratios = []
    for _ in range(100):
        x = rng.uniform(-1.0, 1.0, 2)
        ratios.append(oracles.measured_noise(f, x, f(x), np.array([0.6, 0.9]))[0] / sigma)
    assert 0.8 < np.median(ratios) < 1.5, np.median(ratios)   # the larger of two estimates: a little above 1


@pytest.mark.survivor
def test_assert_le_counts_the_entries_beyond_their_bound_from_two_entries_on():
    # pins: "k of n entries" is stated from two entries on (a mutant's v.size > 2 dropped it for two)
    with pytest.raises(AssertionError, match=r"; 1 of 2 entries$"):
        assertions.assert_le(np.array([0.5, 2.0]), np.array([1.0, 1.0]), tolerances.exact("a stated bound"), "two")


@pytest.mark.survivor
def test_a_fresh_recorder_reports_zero_error_and_zero_tolerance():
    # pins: a Recorder with no comparison reports tolerance 0.0, not None (a mutant changed the default)
    rec = recording.Recorder()
    assert (rec.comparisons, rec.max_ratio, rec.max_error, rec.tolerance, rec.worst_label) == (0, 0.0, 0.0, 0.0, "")


@pytest.mark.survivor
def test_jacobian_fd_names_itself_and_the_shape_when_it_cannot_converge():
    # pins: FDInconclusive names jacobian_fd and the shape (a mutant passed None as its label); a jump at x makes every
    # central difference diverge
    with pytest.raises(assertions.FDInconclusive, match=r"^jacobian_fd \(1x1\): scipy\.differentiate did not converge on 1 entry"):
        oracles.jacobian_fd(lambda u: np.where(u >= 0.0, 1.0, -1.0) + u, np.array([0.0]))


@pytest.mark.survivor
def test_fd_stops_refining_at_four_ulps_of_the_outputs_scale(monkeypatch):
    # pins: refinement of an exact zero entry ends at atol = 4 eps·max(1, max|f(x)|) (a mutant wrote max(2, |f|))
    seen = []
    orig = oracles.sd.derivative

    def derivative(*a, **kw):
        seen.append(kw["tolerances"]["atol"])
        return orig(*a, **kw)
    monkeypatch.setattr(oracles.sd, "derivative", derivative)
    eps = np.finfo(np.float64).eps
    oracles.jacobian_fd(lambda u: np.array([0.25 * u[0] ** 2, 0.0 * u[1]]), np.array([0.5, 0.3]))
    oracles.jacobian_fd(lambda u: np.array([3.0 * u[0]]), np.array([2.0]))
    assert seen == [4.0 * eps * 1.0, 4.0 * eps * 6.0]                 # max(1, max|f(x)|): 0.0625 → 1, 6.0 → 6


@pytest.mark.survivor
def test_the_noise_probe_moves_every_coordinate_by_a_different_amount():
    # pins: the noise probe's direction has a random factor per coordinate (a mutant drew one scalar: inside |x| <= 1 the
    # probe then moved along (1, ..., 1), where a layer with equal weights, or u0 - u1, does not change at all)
    x = np.array([0.3, -0.7, 0.1, 0.9])
    seen = []

    def f(u):
        seen.append(np.array(u, dtype=np.float64))
        return np.array([np.sum(u)])
    oracles._jacobian_noise(f, x, f(x))
    step = np.sort(seen[1] - x)                       # the first probe point; rounding alone differs by ~1e-16 relative
    assert np.all(np.diff(step) > 1e-6 * step[-1]), step
