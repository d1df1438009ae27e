"""Checks of the activation claims (spec/claims/activations.toml)."""

import mpmath
import numpy as np
from hypothesis import example, given, target

from vanishing.checks import assertions, recording, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import away_from, floats
from vanishing.checks.toolkit import FD_REACH, jac3
from vanishing.models import activations as act


# Where the exact derivative is within rounding of its supremum, float64 returns the supremum itself:
# "equality iff x = 0" can only be checked outside these neighbourhoods. Each is derived from how the
# model computes the derivative, not tuned:
#   tanh'(x) = 1/cosh²(x), cosh(x) = 1 + x²/2 + …: cosh rounds to exactly 1 while x²/2 < 2⁻⁵³ (half an ulp
#     of 1), i.e. |x| < 2⁻²⁶ ≈ 1.49e-8 (Hypothesis found tanh'(1.5e-8) = 1.0). cosh is faithfully, not
#     correctly, rounded, so we ask for two whole ulps, x²/2 ≥ 2⁻⁵¹: |x| ≥ 2⁻²⁵ ≈ 2.98e-8.
#   σ'(x) = ¼·tanh'(x/2): the same bound at x/2, |x| ≥ 2⁻²⁴ ≈ 5.96e-8.
#   arctan'(x) = 1/(1 + x²): 1 + x² > 1 once x² ≥ 2⁻⁵² (one ulp; 2⁻⁵³ ties to even, back to 1), i.e.
#     |x| ≥ 2⁻²⁶, and then 1/(1 + x²) ≤ 1/(1 + 2⁻⁵²) < 1.
_TANH_FLAT = 2.0 ** -25
_SIGMA_FLAT = 2.0 ** -24
_ARCTAN_FLAT = 2.0 ** -26


# Each derivative is claimed to full relative accuracy (models/activations.py: no loss of relative accuracy
# in either tail), so the closed form and autograd are compared with it RELATIVELY, against the exact
# function evaluated by mpmath to 40 digits and rounded once: jac3's analytic tolerance has an absolute
# floor of 2^8 ulps at scale 1 (5.7e-14), under which a tail value like tanh'(25) ≈ 7.7e-22 could be
# off by any factor (a factor-2 error in tanh's far tail survived a mutation run; docs/MUTATION.md).
_EXACT = {"sigmoid": lambda t: mpmath.sech(t / 2) ** 2 / 4,
          "tanh": lambda t: mpmath.sech(t) ** 2,
          "arctan": lambda t: 1 / (1 + t * t)}


def relative_to_exact(ctx, name, derivative, jacobian, x):
    """The model's f'(x) and autograd's ∂f/∂x (``jacobian``, from jac3) each within 2^8 ulps RELATIVE of f'(x) exact."""
    with mpmath.workdps(40):
        exact = float(_EXACT[name](mpmath.mpf(x)))
    tol = tolerances.relative(f"{name}' is claimed to full relative accuracy in both tails")
    recording.record_oracle("closed-form")
    for who, got in (("the model's " + name + "'", derivative), ("autograd", float(np.ravel(jacobian)[0]))):
        assertions.assert_close(got, exact, tol, f"{ctx.id}: {who} vs {name}' exact (mpmath, 40 digits)", reproduce=ctx.repro(x=x))


def _dsigmoid_cancelling_band(x):
    """Bug (band-dependent): σ' from the cached σ as σ − σ² on 9 ≤ x ≤ 30, where 1 − σ cancels (relative error up to 1e-3)."""
    x = np.asarray(x, dtype=np.float64)
    sx = act.sigmoid(x)
    return np.where((x >= 9.0) & (x <= 30.0), sx - sx * sx, act.sigmoid_prime(x))


@claim_check("ACT-SIGMOID-DERIV-BOUND",
             subject={"sigmoid": act.sigmoid, "dsigmoid": act.sigmoid_prime},
             plants={"σ' scaled by 1.001": {"dsigmoid": lambda x: 1.001 * act.sigmoid_prime(x)},
                     "σ' written as σ(1+σ)": {"dsigmoid": lambda x: act.sigmoid(x) * (1 + act.sigmoid(x))},
                     "σ' as σ − σ² for 9 ≤ x ≤ 30 (a cached-σ fast path; cancels in a band outside [−8, 8])":
                         {"dsigmoid": lambda x: _dsigmoid_cancelling_band(x)}})
def sigmoid_derivative_at_most_a_quarter(ctx, s):
    """σ'(x) = σ(x)(1−σ(x)) ≤ 1/4, equality iff x = 0.  [ACT-SIGMOID-DERIV-BOUND]"""
    @ctx.holds
    @given(x=floats(-800.0, 800.0))
    @example(x=0.0)
    @example(x=1.5e-8)   # the form e/(1+e)² rounded to 1/4 + 2⁻⁵⁴ here: kept as a regression example
    @example(x=-700.0)   # the far tails, where only a relative comparison sees an error (σ'(−700) ≈ 1e-304)
    @example(x=90.0)
    @example(x=17.0)     # inside 9 ≤ x ≤ 30, a band the old tie points (|x| ≤ 8, then 20, 36, 100, 700) skipped
    def bound(x):
        d = float(s.dsigmoid(x))
        target(d, label="sigma'(x)")
        J = jac3(s.sigmoid, np.array([x]), [[s.dsigmoid(x)]], f"{ctx.id}: σ'", reproduce=ctx.repro(x=x))
        relative_to_exact(ctx, "sigmoid", d, J, x)
        assertions.assert_le(d, 0.25, tolerances.exact("fl(σ'(x)) ≤ 1/4: the float statement"), f"{ctx.id}: σ'(x) vs 1/4", reproduce=ctx.repro(x=x))
        if abs(x) >= _SIGMA_FLAT:
            assert d < 0.25, f"{ctx.id}: σ'({x!r}) = {d!r} reaches 1/4 away from 0"

    @ctx.refutes
    @given(x=floats(-10.0, 10.0))
    @example(x=0.0)
    def literal_strict_bound(x):
        literal(float(s.dsigmoid(x)) < 0.25, f"σ'({x!r}) = {float(s.dsigmoid(x))!r} is not < 0.25")


@claim_check("ACT-TANH-DERIV-BOUND",
             subject={"tanh": act.tanh, "dtanh": act.tanh_prime},
             plants={"tanh' scaled by 1.001": {"dtanh": lambda x: 1.001 * act.tanh_prime(x)},
                     "tanh' written as 1 - tanh": {"dtanh": lambda x: 1 - act.tanh(x)}})
def tanh_derivative_at_most_one(ctx, s):
    """tanh'(x) = 1 − tanh²(x) ≤ 1, equality iff x = 0.  [ACT-TANH-DERIV-BOUND]"""
    @ctx.holds
    @given(x=floats(-800.0, 800.0))
    @example(x=0.0)
    @example(x=-7.448e-9)   # the form 4e/(1+e)² rounded to 1 + 2⁻⁵² here: kept as a regression example
    @example(x=1.5e-8)      # cosh(x) rounds to 1 here, so tanh'(x) = 1.0 in float64 (found by the thorough profile)
    @example(x=_TANH_FLAT)  # the first point where tanh' must be < 1
    @example(x=25.0)        # tanh''s tail form (|x| > 20), and tanh's own far-tail form (|x| ≥ 300) below:
    @example(x=-350.0)      # values 7.7e-22 and 4e-304, checked relatively (a factor 2 there once survived)
    def bound(x):
        d = float(s.dtanh(x))
        target(d, label="tanh'(x)")
        J = jac3(s.tanh, np.array([x]), [[s.dtanh(x)]], f"{ctx.id}: tanh'", reproduce=ctx.repro(x=x))
        relative_to_exact(ctx, "tanh", d, J, x)
        assertions.assert_le(d, 1.0, tolerances.exact("fl(tanh'(x)) ≤ 1: the float statement"), f"{ctx.id}: tanh'(x) vs 1", reproduce=ctx.repro(x=x))
        if abs(x) >= _TANH_FLAT:
            assert d < 1.0, f"{ctx.id}: tanh'({x!r}) = {d!r} reaches 1 away from 0"

    @ctx.refutes
    @given(x=floats(-10.0, 10.0))
    @example(x=0.0)
    def literal_strict_bound(x):
        literal(float(s.dtanh(x)) < 1.0, f"tanh'({x!r}) = {float(s.dtanh(x))!r} is not < 1")


@claim_check("ACT-RELU-DERIV",
             subject={"relu": act.relu, "drelu": act.relu_prime},
             plants={"ReLU' = 1 everywhere": {"drelu": lambda x: np.ones_like(np.asarray(x, dtype=float))},
                     "ReLU' = step at x > 1": {"drelu": lambda x: (np.asarray(x) > 1.0).astype(float)}})
def relu_derivative_is_a_step(ctx, s):
    """ReLU'(x) = 1 for x > 0, 0 for x < 0; ReLU'(0) := 0.  [ACT-RELU-DERIV]"""
    @ctx.holds
    @given(x=away_from(floats(-1e3, 1e3), [0.0], 1e-3))
    @example(x=0.5)
    @example(x=-0.5)
    def derivative(x):
        d = float(s.drelu(x))
        assert d == (1.0 if x > 0 else 0.0), f"{ctx.id}: ReLU'({x!r}) = {d!r}"
        if abs(x) > FD_REACH + 0.1:   # keep the kink at 0 outside FD's first stencil
            jac3(s.relu, np.array([x]), [[s.drelu(x)]], f"{ctx.id}: ReLU'", reproduce=ctx.repro(x=x))
        assert float(s.drelu(0.0)) == 0.0, f"{ctx.id}: the stated convention ReLU'(0) = 0 is not what the model does"


@claim_check("ACT-ARCTAN-DERIV-DOMINATES-SIGMOID",
             subject={"arctan": act.arctan, "darctan": act.arctan_prime, "dsigmoid": act.sigmoid_prime},
             plants={"arctan' replaced by σ'/2": {"darctan": lambda x: 0.5 * act.sigmoid_prime(x)},
                     "arctan' scaled by 1.001": {"darctan": lambda x: 1.001 * act.arctan_prime(x)}})
def arctan_derivative_dominates_sigmoids(ctx, s):
    """arctan'(x) = 1/(1+x²) > σ'(x) for all x; arctan' ≤ 1.  [ACT-ARCTAN-DERIV-DOMINATES-SIGMOID]"""
    @ctx.holds
    @given(x=floats(-700.0, 700.0))
    @example(x=0.0)
    @example(x=-650.0)   # the 1/x² tail: 2.4e-6, checked relatively
    def dominates(x):
        da, ds = float(s.darctan(x)), float(s.dsigmoid(x))
        target(ds / da, label="sigma'/arctan'")
        J = jac3(s.arctan, np.array([x]), [[s.darctan(x)]], f"{ctx.id}: arctan'", reproduce=ctx.repro(x=x))
        relative_to_exact(ctx, "arctan", da, J, x)
        assert da > ds, f"arctan'({x!r}) = {da!r} is not > σ'({x!r}) = {ds!r}"
        assertions.assert_le(da, 1.0, tolerances.exact("fl(arctan'(x)) ≤ 1: the float statement"), f"{ctx.id}: arctan'(x) vs 1", reproduce=ctx.repro(x=x))
        if abs(x) >= _ARCTAN_FLAT:
            assert da < 1.0, f"arctan'({x!r}) = {da!r} reaches 1 away from 0"


@claim_check("ACT-TANH-RANGE", subject={"tanh": act.tanh},
             plants={"tanh replaced by σ (range (0,1))": {"tanh": act.sigmoid}})
def tanh_range_is_minus_one_to_one(ctx, s):
    """tanh(ℝ) = (−1, 1); the seed's '[0, 1] range' is refuted by any x < 0.  [ACT-TANH-RANGE]"""
    @ctx.holds
    @given(x=floats(-1e3, 1e3))
    @example(x=-1.0)
    @example(x=18.995)   # tanh rounds to 1.0 here already (faithful rounding): the strict check must not run
    def in_minus_one_one(x):
        y = float(s.tanh(x))
        assertions.assert_le(abs(y), 1.0, tolerances.exact("fl(tanh(x)) ∈ [−1, 1]: the float statement"), f"{ctx.id}: |tanh(x)| vs 1", reproduce=ctx.repro(x=x))
        # Exactly, 1 − tanh(x) ≈ 2e^{−2x} drops below half an ulp of 1 (2⁻⁵⁴) at x = 55·ln2/2 ≈ 19.06; the
        # platform's tanh is faithfully, not correctly, rounded and returns 1.0 from x ≈ 18.990 (measured).
        # Below 18.5 neither can happen: there 1 − tanh(x) > 2e^{−37} ≈ 1.7e-16 > 2⁻⁵³, a whole ulp of 1.
        if abs(x) < 18.5:
            assert -1.0 < y < 1.0, f"tanh({x!r}) = {y!r} reached ±1 before rounding can explain it"
        assert (y < 0) == (x < 0) or y == 0.0, f"tanh({x!r}) = {y!r} has the wrong sign"

    @ctx.refutes
    @given(x=floats(-10.0, 10.0))
    @example(x=-1.0)
    def literal_zero_one_range(x):
        y = float(s.tanh(x))
        literal(0.0 <= y <= 1.0, f"tanh({x!r}) = {y!r} is not in [0, 1]")


@claim_check("ACT-SIGMOID-RANGE-FLOAT", subject={"sigmoid": act.sigmoid},
             plants={"a gate that clips below 1": {"sigmoid": lambda x: np.minimum(act.sigmoid(x), 1 - 1e-12)}})
def sigmoid_rounds_to_one_in_float64(ctx, s):
    """σ(ℝ) ⊂ [0, 1] in float64, and fl(σ(x)) = 1 for x ≥ 36.74.  [ACT-SIGMOID-RANGE-FLOAT]"""
    @ctx.holds
    @given(x=floats(-1e3, 1e3))
    @example(x=37.0)
    @example(x=36.8)     # just above 53·ln2: must already round to 1.0
    @example(x=-745.0)   # σ underflows towards 0 but stays >= 0
    def closed_unit_interval(x):
        y = float(s.sigmoid(x))
        assert 0.0 <= y, f"σ({x!r}) = {y!r} < 0"
        assertions.assert_le(y, 1.0, tolerances.exact("fl(σ(x)) ∈ [0, 1]: the float statement"), f"{ctx.id}: σ(x) vs 1", reproduce=ctx.repro(x=x))
        if x >= 36.74:  # 1 - σ(x) = e^{-x}/(1+e^{-x}) < eps/2 = 1.1e-16 once x > 36.74
            assert y == 1.0, f"σ({x!r}) = {y!r}: expected the float64 value to round to exactly 1.0"
