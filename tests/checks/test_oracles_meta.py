"""Tests of the testers: every oracle catches every planted defect, and passes the correct Jacobian.

Planted defects (issue: foundation): a derivative scaled by 1.001, a transposed
Jacobian, a missing tanh' factor, one zeroed entry in an otherwise correct Jacobian.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import assume, given

from vanishing.checks import assertions, oracles, recording, tolerances
from vanishing.checks.strategies import matrices, vectors

N = 4


def _problem(W, x):
    """f(h) = tanh(W h + 0.3): its Jacobian is diag(1 - tanh²(a)) W."""
    f = lambda h: anp.tanh(W @ h + 0.3)  # noqa: E731
    J = (1.0 - np.tanh(W @ x + 0.3) ** 2)[:, None] * W
    return f, J


def _defects(J, W):
    z = J.copy()
    k = np.unravel_index(np.argmax(np.abs(J)), J.shape)
    z[k] = 0.0
    return {"scaled by 1.001": 1.001 * J, "transposed": J.T, "missing tanh' factor": W, "one zeroed entry": z}


def _nondegenerate(W, x):
    f, J = _problem(W, x)
    assume(np.max(np.abs(J - J.T)) > 1e-2)                  # a transpose must differ
    assume(np.min(1 - np.tanh(W @ x + 0.3) ** 2) < 0.9)     # tanh' must not be ~1 everywhere
    assume(np.max(np.abs(J)) > 1e-2)
    return f, J


@given(W=matrices(N, N, -2.0, 2.0), x=vectors(N, -2.0, 2.0))
def test_correct_jacobian_passes_all_three_oracles(W, x):
    f, J = _problem(W, x)
    with recording.recording() as rec:
        oracles.check_jacobian(f, x, closed_form=J, label="tanh(Wh)")
    assert {"autograd", "autograd-forward", "fd", "closed-form"} <= rec.oracles
    v = np.linspace(1.0, -1.0, N)
    order = oracles.taylor_order(f, x, v, J @ v)
    assert order is None or order > 1.8, f"Taylor order {order} for the correct Jacobian"


@pytest.mark.parametrize("defect", ["scaled by 1.001", "transposed", "missing tanh' factor", "one zeroed entry"])
@given(W=matrices(N, N, -2.0, 2.0), x=vectors(N, -2.0, 2.0))
def test_closed_form_oracle_catches(defect, W, x):
    f, J = _nondegenerate(W, x)
    bad = _defects(J, W)[defect]
    assume(np.max(np.abs(bad - J)) > 1e-6)
    with pytest.raises(AssertionError, match="closed form vs autograd"):
        oracles.check_jacobian(f, x, closed_form=bad, label="planted")


@pytest.mark.parametrize("defect", ["scaled by 1.001", "transposed", "missing tanh' factor", "one zeroed entry"])
@given(W=matrices(N, N, -2.0, 2.0), x=vectors(N, -2.0, 2.0))
def test_finite_difference_oracle_catches(defect, W, x):
    f, J = _nondegenerate(W, x)
    bad = _defects(J, W)[defect]
    assume(np.max(np.abs(bad - J)) > 1e-6)
    Jd, err = oracles.jacobian_fd(f, x)
    with pytest.raises(AssertionError, match="differ"):
        assertions.assert_close(bad, Jd, tolerances.fd(err, scale=max(1.0, np.max(np.abs(J)))), "planted vs FD")


@pytest.mark.parametrize("defect", ["scaled by 1.001", "transposed", "missing tanh' factor", "one zeroed entry"])
@given(W=matrices(N, N, -2.0, 2.0), x=vectors(N, -2.0, 2.0))
def test_autograd_oracle_catches(defect, W, x):
    f, J = _nondegenerate(W, x)
    bad = _defects(J, W)[defect]
    assume(np.max(np.abs(bad - J)) > 1e-6)
    with pytest.raises(AssertionError, match="differ"):
        assertions.assert_close(bad, oracles.jacobian_reverse(f, x), tolerances.analytic(), "planted vs autograd reverse")
    with pytest.raises(AssertionError, match="differ"):
        assertions.assert_close(bad, oracles.jacobian_forward(f, x), tolerances.analytic(), "planted vs autograd forward")


@pytest.mark.parametrize("defect", ["scaled by 1.001", "transposed", "missing tanh' factor", "one zeroed entry"])
@given(W=matrices(N, N, -2.0, 2.0), x=vectors(N, -2.0, 2.0))
def test_taylor_remainder_catches_without_a_tolerance(defect, W, x):
    f, J = _nondegenerate(W, x)
    bad = _defects(J, W)[defect]
    v = np.ones(N)
    k = np.unravel_index(np.argmax(np.abs(J)), J.shape)
    assume(np.linalg.norm((bad - J) @ v) > 1e-6 * np.linalg.norm(J @ v) + 1e-12)
    order = oracles.taylor_order(f, x, v, bad @ v)
    assert order is not None and order < 1.2, f"Taylor order {order} for a {defect} Jacobian (entry {k})"


@given(W=matrices(N, N, -2.0, 2.0), x=vectors(N, -2.0, 2.0))
def test_directional_fd_matches_and_catches_scaling(W, x):
    f, J = _nondegenerate(W, x)
    u, v = np.linspace(-1.0, 1.0, N), np.linspace(1.0, 0.5, N)
    val, err = oracles.directional_fd(f, x, v, u)
    assertions.assert_close(u @ J @ v, val, tolerances.fd(err, scale=max(1.0, np.max(np.abs(J)))), "uᵀJv vs FD")
    assume(abs(u @ J @ v) > 1e-3)
    with pytest.raises(AssertionError):
        assertions.assert_close(1.001 * (u @ J @ v), val, tolerances.fd(err, scale=max(1.0, np.max(np.abs(J)))), "planted uᵀJv vs FD")


def test_structure_check_catches_a_tiny_off_diagonal_entry_that_projections_miss():
    """A diagonal Jacobian with one off-diagonal 1e-9: checked entry by entry, not by projection."""
    d = np.array([0.5, 0.25, 0.125, 1.0])
    J = np.diag(d)
    J[0, 3] = 1e-9
    assertions.assert_structure(np.diag(d), assertions.diagonal_mask(N), tolerances.analytic(), "diag")
    with pytest.raises(AssertionError, match=r"structure violated.*\(0, 3\)"):
        assertions.assert_structure(J, assertions.diagonal_mask(N), tolerances.analytic(), "planted")


def test_failure_message_names_label_values_and_reason():
    with pytest.raises(AssertionError) as e:
        assertions.assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.1]), tolerances.analytic(), "LABEL-X", reproduce="repro()")
    msg = str(e.value)
    for piece in ("LABEL-X", "index (1,)", "got 2.0", "expected 2.1", "ulps of float64", "reproduce: repro()"):
        assert piece in msg, f"{piece!r} missing from: {msg}"


def test_non_finite_is_an_error_not_a_pass():
    with pytest.raises(AssertionError, match="non-finite"):
        assertions.assert_close(np.array([np.nan]), np.array([1.0]), tolerances.analytic(), "nan")


def test_override_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        tolerances.override(tolerances.analytic(), "  ", rtol=1e-3)
    t = tolerances.override(tolerances.analytic(), "float32 accumulation over 100 steps", rtol=1e-4)
    assert t.rtol == 1e-4 and "float32 accumulation" in t.reason


def test_autograd_overflow_inside_its_vjp_is_not_a_false_failure():
    """autograd's tanh VJP is g/cosh(x)**2, which overflows for |x| > ~355; the limit 0 is right."""
    J = oracles.jacobian_reverse(lambda v: anp.tanh(v), np.array([1000.0, -400.0, 0.0]))
    np.testing.assert_array_equal(J, np.diag([0.0, 0.0, 1.0]))


@pytest.mark.parametrize("call", [
    lambda: tolerances.value(np.float16), lambda: tolerances.gradient(np.int64), lambda: tolerances.fd(-1.0),
    lambda: tolerances.fd(np.nan), lambda: tolerances.override(tolerances.analytic(), "why", rtol=-1.0),
    lambda: tolerances.analytic(scale=np.inf), lambda: recording.record_oracle("magic"),
])
def test_bad_input_to_the_checking_api_is_a_clear_value_error(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------- issue 12: an FD oracle that gave up must not pass anything
def _issue12_rnn():
    """A tanh RNN unrolled T = 10 steps, H = 16, spectral radius of W_hh ≈ 3.03: h0 ↦ h_T at h0 = 0.

    From initial_step 0.5 scipy.differentiate gives up (status −1) on some entries with error
    estimates as large as |J|; before the fix the FD check passed this Jacobian with its largest
    entry (−129.1) negated, and so did the directional check along that entry.
    """
    from vanishing.models import rnn
    rng = np.random.default_rng(49)
    p = rnn.init_params(16, 4, rng, scale=3.0)
    xs = rng.standard_normal((10, 4))
    return (lambda h: rnn.forward(p, h, xs)[-1]), np.zeros(16)


def _raw_scipy_status(f, x, j, step):
    """What the old oracle saw for column j: scipy's status per entry, from initial_step ``step``."""
    import scipy.differentiate as sd
    f0 = np.ravel(f(x))

    def phi(t, i):
        tb, ib = np.broadcast_arrays(t, i)
        out = np.empty(tb.shape)
        for pos in np.ndindex(tb.shape):
            out[pos] = np.ravel(f(x + tb[pos] * np.eye(x.size)[j]))[int(ib[pos])]
        return out
    res = sd.derivative(phi, np.zeros(f0.size), args=(np.arange(f0.size),), initial_step=step,
                        tolerances={"atol": 4 * np.finfo(float).eps * max(1.0, np.abs(f0).max()), "rtol": np.sqrt(np.finfo(float).eps)})
    return res.status, res.df, res.error


def test_issue12_the_trap_is_live_scipy_gives_up_from_step_half():
    f, x = _issue12_rnn()
    J = oracles.jacobian_reverse(f, x)
    i, j = np.unravel_index(np.argmax(np.abs(J)), J.shape)
    status, df, error = _raw_scipy_status(f, x, j, 0.5)
    assert status[i] == -1, f"scipy converged on the largest entry from step 0.5 (status {status[i]}): the case no longer exercises the fix"
    assert error[i] > 0.1 * abs(J[i, j]), "scipy's error estimate on the failing entry is no longer of the order of |J|"


def test_issue12_negated_largest_entry_is_rejected_by_the_fd_check():
    f, x = _issue12_rnn()
    J = oracles.jacobian_reverse(f, x)
    s = max(1.0, float(np.max(np.abs(J))))
    Jd, err = oracles.jacobian_fd(f, x)
    assertions.assert_close_fd(J, Jd, err, "correct J vs FD", scale=s)
    bad = J.copy()
    k = np.unravel_index(np.argmax(np.abs(J)), J.shape)
    bad[k] = -bad[k]
    with pytest.raises(AssertionError, match="differ") as e:
        assertions.assert_close_fd(bad, Jd, err, "negated largest entry vs FD", scale=s)
    assert not isinstance(e.value, assertions.FDInconclusive), "a negated entry of size 129 must be contradicted, not left undecided"


def test_issue12_negated_largest_entry_is_rejected_by_the_directional_check():
    f, x = _issue12_rnn()
    J = oracles.jacobian_reverse(f, x)
    i, j = np.unravel_index(np.argmax(np.abs(J)), J.shape)
    u, v = np.eye(16)[i], np.eye(16)[j]
    d, err = oracles.directional_fd(f, x, v, u)
    s = max(1.0, float(np.max(np.abs(J))))
    assertions.assert_close_fd(J[i, j], d, err, "uᵀJv vs FD", scale=s)
    with pytest.raises(AssertionError, match="differ"):
        assertions.assert_close_fd(-J[i, j], d, err, "negated uᵀJv vs FD", scale=s)


def test_issue12_an_entry_that_never_converges_is_inconclusive_not_accepted(monkeypatch):
    """Without the retries (first step 0.5 only) the oracle must refuse to answer, loudly."""
    f, x = _issue12_rnn()
    monkeypatch.setattr(oracles, "FD_RETRIES", 0)
    with pytest.raises(assertions.FDInconclusive, match="did not converge.*initial steps 0.5") as e:
        oracles.jacobian_fd(f, x)
    assert isinstance(e.value, AssertionError)
    J = oracles.jacobian_reverse(f, x)
    i, j = np.unravel_index(np.argmax(np.abs(J)), J.shape)
    with pytest.raises(assertions.FDInconclusive, match="did not converge"):
        oracles.directional_fd(f, x, np.eye(16)[j], np.eye(16)[i])


def test_fd_tolerance_is_capped_and_a_difference_only_a_wide_estimate_forgives_is_inconclusive():
    J = np.array([1.0, 2.0])
    err = np.array([0.0, 1e-3])                 # FD_SAFETY x 1e-3 = 1e-2 > FD_CAP_RTOL x scale
    with recording.recording() as rec:
        assertions.assert_close_fd(J, J, err, "exact", scale=2.0)
        with pytest.raises(assertions.FDInconclusive, match="cannot decide.*exceeds the cap"):
            assertions.assert_close_fd(J + np.array([0.0, 1e-4]), J, err, "inside the wide tolerance only", scale=2.0)
        with pytest.raises(AssertionError, match="differ") as e:
            assertions.assert_close_fd(J + np.array([0.0, 1.0]), J, err, "beyond both", scale=2.0)
        assert not isinstance(e.value, assertions.FDInconclusive)
    assert rec.fd_capped == 3 and rec.fd_entries == 6


# ---------------------------------------------------------------- FD rounding noise, measured (thorough-profile finding)
def _saturated_gru():
    """GRU-STEP-JACOBIAN's thorough-profile case: reset after, W_h = 31, b_h = 1, h = (0, 0.5), x = 0.

    h_t[0] = (1 − z)·n + z·0 with z = σ(16.5): 1 − z = 6.8e-8 is computed with an absolute error of
    ~eps/2, so f_0 carries a relative error of ~1e-9, not a few ulps of |f_0|. Returns (f, x, exact J),
    the exact Jacobian by mpmath at 50 digits.
    """
    import mpmath

    from vanishing.checks import cases
    from vanishing.models import gru
    case = cases.gru_case(H=2, D=1, reset="after", W_h=[31.0] * 12, b_h=[1.0] * 6, h_prev=[0.0, 0.5], x=[0.0])
    f = lambda u: gru.step(case.params, u, case.x, reset="after")  # noqa: E731

    def exact(i, j):
        with mpmath.workdps(50):
            def h_t(t):
                h = [mpmath.mpf(float(v)) + (t if k == j else 0) for k, v in enumerate(case.h_prev)]
                a = [31 * (h[0] + h[1]) + 1] * 2                          # every pre-activation (x = 0, W_x = 0)
                z, r = 1 / (1 + mpmath.exp(-a[i])), 1 / (1 + mpmath.exp(-a[i]))
                return (1 - z) * mpmath.tanh(r * a[i]) + z * h[i]        # a_n = r⊙(W_hn h + b_hn)
            return float(mpmath.diff(h_t, 0))
    return f, case.h_prev, np.array([[exact(i, j) for j in range(2)] for i in range(2)])


def test_measured_noise_bounds_the_fd_error_where_the_componentwise_model_did_not(monkeypatch):
    f, x, J = _saturated_gru()
    monkeypatch.setattr(oracles, "FD_RETRIES", 4)          # from first step 0.004 scipy converges on entry (0, 1)
    # The former estimate: the rounding of f_i modelled as 8 ulps of |f_i| (no measured noise), and the
    # stencil's weights taken to sum to 2 (scipy's order-8 stencil: 13.5).
    with monkeypatch.context() as m:
        m.setattr(oracles, "measured_noise", lambda f, x, f0, v: np.zeros_like(f0))
        m.setattr(oracles, "_STENCIL_WEIGHTS", 2.0)
        m.setattr(oracles, "_ROUNDING_FACTOR", 16.0)
        Jd_old, err_old = oracles.jacobian_fd(f, x)
    actual_old = abs(Jd_old[0, 1] - J[0, 1])
    assert actual_old > tolerances.FD_SAFETY * err_old[0, 1], (actual_old, err_old[0, 1])   # 1.5e-12 against 10 x 9.4e-15
    # Measured: σ of f_0 is ~1e-16 (eps/2 of 1 − z), not ~1e-23 (ulps of 6.8e-8), and the estimate now bounds the error.
    sigma = oracles.measured_noise(f, x, np.ravel(f(x)), np.array([0.0, 1.0]))     # along column 1's stencil
    assert sigma[0] > 1e4 * np.finfo(float).eps * abs(f(x)[0])
    Jd, err = oracles.jacobian_fd(f, x)
    assert np.all(np.abs(Jd - J) <= err), (np.abs(Jd - J), err)                  # (0, 1): 3.8e-14 within 4.4e-13


def test_the_saturated_gru_step_passes_all_three_oracles_with_the_default_retries():
    from vanishing.models import gru
    f, x, J = _saturated_gru()
    p = {"W_x": np.zeros((6, 1)), "W_h": np.full((6, 2), 31.0), "b_x": np.zeros(6), "b_h": np.ones(6)}
    Jr = oracles.check_jacobian(f, x, closed_form=gru.step_jacobian(p, x, np.zeros(1), reset="after"))
    np.testing.assert_allclose(Jr, J, rtol=1e-14, atol=1e-20)


def test_measured_noise_sees_no_noise_in_an_exact_function_and_ulps_in_a_rounded_one():
    x = np.array([0.3, -1.2, 2.0])
    lin = lambda u: np.array([2.0 * u[0], 4.0 * u[1] - u[2]])      # noqa: E731  one rounding at most: noise ≤ ulps of |f|
    s = oracles.measured_noise(lin, x, lin(x), np.array([0.7, 1.0, 0.9]))
    assert np.all(s <= np.finfo(float).eps * np.abs(lin(x)))
    cancel = lambda u: np.array([(1e8 + u[0]) - 1e8])               # noqa: E731  noise ~ eps·1e8, far above ulps of |f|
    s = oracles.measured_noise(cancel, x, cancel(x), np.array([1.0, 0.0, 0.0]))
    assert 1e-10 < s[0] < 1e-7


def test_fd_does_not_trust_two_coarse_iterates_that_agree_by_coincidence():
    """Found by the flakiness runs (pytest, dev profile, --hypothesis-seed=1127705287): for this 4-step tanh
    recursion the order-8 iterates at h = 0.25 and 0.125 agree to 1.3e-9 while both are 3.5e-8 off, and the
    old best-iterate rule returned that entry with an estimate 28x too small. A change is now believed only
    against the one before it (oracles._History)."""
    import autograd
    from vanishing.checks import cases
    W = np.array([[-0.6920168674994832, -0.36999463233702123, -2.083857121242],
                  [-0.11812604275223165, -0.5576022973001236, 0.4015011297459841],
                  [0.8259292432872356, 1.2496469732966726, 1.2496191647996069]])
    a0 = np.array([0.0, 0.0, -0.2872792803785531])
    cs = np.array([[-2.827736969825249, 0.0, 0.0], [0.3333333333333333, 0.0, 0.0],
                   [0.0, -2.4217623493661007, 0.2872988239366272], [0.0, 0.0, 0.0]])

    def net_t(a):
        for c_ in cs:
            a = cases.pascanu_step(W, np.eye(3), np.zeros(3), a, c_, "tanh")
        return a
    exact = autograd.jacobian(net_t)(a0)          # = mpmath's 0.486796922291701137... at (2, 2), to 17 digits
    J, err = oracles.jacobian_fd(net_t, a0)
    assert np.all(np.abs(J - exact) <= err), (np.abs(J - exact)[2, 2], err[2, 2])


def test_fd_estimate_bounds_the_error_where_a_saturated_gate_makes_f_a_staircase(monkeypatch):
    """Found by the flakiness runs: GRU-STEP-JACOBIAN, dev profile, 4 of 400 seeds (169: this case; 192, 197 and 329:
    FDInconclusive on the same kind of entry). z₁ = σ(28.8) = 1 − 3.1e-13, so h_t[1] = (1 − z₁)·n₁ + z₁·h₁ carries
    the rounding of z₁ (an ulp of 1, 1.1e-16) and moves as a staircase in h₀: one jump of 2.2e-16 every 1.1e-5.
    The noise probe's 12 points 6e-7 apart sit on one stair (σ = 9e-23), while the stencil's steps (1e-3 to
    2e-2) cross many: FD returned −1.36424e-11 with an estimate of 3.7e-17, against the truth −1.37048e-11
    (mpmath, 60 digits; autograd and the closed form agree to 15 digits), an error 1,700 times the estimate.
    The second, 64 times wider probe (tolerances.NOISE_COARSE) sees the stairs.
    """
    from vanishing.models import gru
    p = {"b_h": [-1.1754943508222875e-38, 14.348062990780917, 1.4263580904378271e-120, -2.220446049250313e-16,
                 -2.2250738585072014e-308, -0.3333333333333333],
         "W_x": [[59.99999999999999], [3.326199343129336e-106], [43.02062573894405], [-44.756891602465906],
                 [3.9998321076873893], [-11.029796372418708]],
         "b_x": [9.956855826616278e-258, 9.956855826616278e-258, -41.35195085626401, 9.956855826616278e-258,
                 1.298595686780341e-80, 9.956855826616278e-258],
         "W_h": [[-1.1783280476748652e-302, 10.04365622340849], [-13.155956428494186, 8.20157187889184],
                 [45.51044085034539, -47.84596622406772], [45.71360205937464, -25.21401119721481],
                 [17.240028854878446, 7.571664824410803], [0.3333333333333333, -0.3430123166059431]]}
    p = {k: np.array(v) for k, v in p.items()}
    h, x = np.array([-1.401298464324817e-45, -4.261467361627111e-119]), np.array([-0.6442732809044385])
    f = lambda u: gru.step(p, u, x, reset="after")          # noqa: E731
    truth = -1.3704783798699725e-11                         # ∂h_t[1]/∂h_(t−1)[0], mpmath at 60 digits
    J, err = oracles.jacobian_fd(f, h)
    assert abs(J[1, 0] - truth) <= err[1, 0], (J[1, 0], truth, err[1, 0])
    with monkeypatch.context() as m:                 # the one-probe estimate, as before: the trap is live
        m.setattr(tolerances, "NOISE_COARSE", 1.0)
        J_old, err_old = oracles.jacobian_fd(f, h)
    assert abs(J_old[1, 0] - truth) > 100 * err_old[1, 0], (J_old[1, 0], err_old[1, 0])
