"""Proofs about the activations: σ' = σ(1−σ) ≤ 1/4, tanh' = 1 − tanh² ≤ 1, ReLU', arctan' > σ', σ's range.

Each proof derives the statement from the definition (σ(x) = 1/(1+e^{−x}), tanh = (e^x−e^{−x})/(e^x+e^{−x}),
ReLU = max(x, 0), arctan) and then ties it to models/activations.py: the subject's functions, evaluated at
exact dyadic points, equal the symbolic expressions within tolerances.analytic.
"""

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S

x = sp.Symbol("x", real=True)
SIG = 1 / (1 + sp.exp(-x))                         # the definition of σ
TANH = (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))

#: Test points: exact dyadics in [−8, 8], 0 itself, and tails where the closed forms need care.
XS = np.concatenate([S.points(40, seed=1, lo=-8, hi=8), [0.0, 0.5, -0.5, 20.0, -20.0, 36.0, -36.0, 100.0, -100.0, 700.0, -700.0]])


def _tie(label, fn, expr, xs=XS):
    got = np.asarray(fn(np.asarray(xs)), dtype=np.float64)
    return S.agree(label, got, S.scalar_values(expr, x, xs), )


@evidence("ACT-SIGMOID-DERIV-BOUND", "proof", statement={"bound": sp.Rational(1, 4)},
          wrong={"bound 1/8": {"bound": sp.Rational(1, 8)}, "bound 1/2": {"bound": sp.Rational(1, 2)}})
def act_sigmoid_deriv_bound_proof(s, ctx):
    """σ' = σ(1−σ) ≤ b with equality iff x = 0, for the stated b: b − σ(1−σ) = (b − 1/4) + (σ − 1/2)²."""
    b = ctx.st.bound
    d = sp.diff(SIG, x)
    ensure(sp.simplify(d - SIG * (1 - SIG)) == 0, "d/dx 1/(1+e^{-x}) is not σ(1−σ)")
    ensure(S.sigmoid_rule_holds(), "the σ atom's derivative rule disagrees with the definition")
    u = sp.Symbol("u", real=True)
    rest = sp.expand(b - u * (1 - u) - (u - sp.Rational(1, 2)) ** 2)     # the certificate's constant term
    ensure(rest.is_number and rest >= 0, f"b − σ(1−σ) = ({rest}) + (σ − 1/2)² is not a sum of nonnegative terms for b = {b}")
    ensure(sp.solve(sp.Eq(b - u * (1 - u), 0), u) == [sp.Rational(1, 2)],
           f"σ(1−σ) = {b} is not attained exactly at σ = 1/2, so the bound {b} is not the maximum")
    ensure(sp.solve(sp.Eq(SIG, sp.Rational(1, 2)), x) == [0], "σ(x) = 1/2 has a solution other than x = 0")
    _tie("sigmoid", s.sigmoid, SIG)
    _tie("sigmoid'", s.dsigmoid, d)
    return (f"σ' = σ(1−σ) = {b} − (σ−1/2)² ≤ {b}, with equality iff σ(x) = 1/2 iff x = 0 (SymPy)",
            (f"SymPy differentiates σ = 1/(1+e^(−x)) to σ(1−σ); the certificate b − σ(1−σ) = (b − 1/4) + (σ − 1/2)² with "
            f"b = {b} is a nonnegative constant plus a square, which vanishes only where σ = 1/2, whose only solution is "
            f"x = 0. Tie: subject sigmoid and dsigmoid at {len(XS)} exact points in [−700, 700] equal the symbolic values "
            f"(mpmath {S.MP_DPS} digits) {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real",),
                  steps=("SymPy: d/dx 1/(1+e^(−x)) − σ(1−σ) simplifies to 0",
                         f"SymPy: b − u(1−u) − (u − 1/2)² expands to the constant {rest} ≥ 0 (b = {b})",
                         "SymPy: b − u(1−u) = 0 only at u = 1/2; σ(x) = 1/2 only at x = 0"),
                  tied=(f"models.activations sigmoid and dsigmoid at {len(XS)} exact points in [−700, 700]",)))


@evidence("ACT-TANH-DERIV-BOUND", "proof")
def act_tanh_deriv_bound_proof(s, ctx):
    """tanh' = 1 − tanh² ≤ 1, equality iff tanh x = 0 iff x = 0."""
    d = sp.diff(TANH, x)
    ensure(sp.simplify(d - (1 - TANH ** 2)) == 0, "d/dx of (e^x − e^−x)/(e^x + e^−x) is not 1 − tanh²")
    ensure(sp.diff(sp.tanh(x), x) == 1 - sp.tanh(x) ** 2, "SymPy's tanh rule is not 1 − tanh²")
    ensure(S.tanh_rule_holds(), "the tanh atom's derivative rule disagrees with the definition")
    ensure(sp.solve(sp.Eq(TANH, 0), x) == [0], "tanh x = 0 has a solution other than x = 0")
    _tie("tanh", s.tanh, TANH)
    _tie("tanh'", s.dtanh, d)
    return ("tanh' = 1 − tanh² ≤ 1, with equality iff tanh x = 0 iff x = 0 (SymPy)",
            ("SymPy differentiates tanh = (e^x − e^(−x))/(e^x + e^(−x)) to 1 − tanh²; 1 − t² ≤ 1 with equality iff t = 0, and "
            f"tanh x = 0 only at x = 0. Tie: subject tanh and dtanh at {len(XS)} exact points in [−700, 700] equal the "
            f"symbolic values {S.within()}. {S.versions()}."))


@evidence("ACT-RELU-DERIV", "proof")
def act_relu_deriv_proof(s, ctx):
    """ReLU' = 1 on x > 0, 0 on x < 0; at 0 the one-sided derivatives are 0 and 1, so 0 is a convention."""
    relu = sp.Piecewise((x, x > 0), (0, True))
    ensure(sp.diff(x, x) == 1 and sp.diff(sp.S(0), x) == 0, "piece derivatives")
    h = sp.Symbol("h", positive=True)
    right = sp.limit((relu.subs(x, h) - relu.subs(x, 0)) / h, h, 0)
    left = sp.limit((relu.subs(x, -h) - relu.subs(x, 0)) / (-h), h, 0)
    ensure((right, left) == (1, 0), f"one-sided derivatives at 0 are {right}, {left}, not 1, 0")
    xs = np.concatenate([S.points(40, seed=2, lo=-4, hi=4), [0.0, 0.5, -0.5, 1.0, 1.5, 1e-300, -1e-300]])
    want = np.where(xs > 0, 1.0, 0.0)                              # the convention at 0 is PyTorch's relu'(0) = 0
    ensure(np.array_equal(np.asarray(s.drelu(xs), dtype=float), want), "subject drelu is not [x > 0] at the test points")
    ensure(np.array_equal(np.asarray(s.relu(xs), dtype=float), np.where(xs > 0, xs, 0.0)), "subject relu is not max(x, 0)")
    return ("ReLU' = 1 for x > 0 and 0 for x < 0; at 0 the one-sided derivatives are 0 and 1 (SymPy limits), so relu'(0) = 0 is a convention",
            ("On each open half-line ReLU is x or 0, with derivative 1 or 0; SymPy's one-sided difference-quotient limits at 0 "
            f"are 1 (right) and 0 (left). Tie: subject relu and drelu equal max(x, 0) and [x > 0] exactly at {len(xs)} points "
            f"(dyadics in [−4, 4], ±0.5, 1, 1.5, ±1e-300, 0). {S.versions()}."))


@evidence("ACT-ARCTAN-DERIV-DOMINATES-SIGMOID", "proof")
def act_arctan_deriv_dominates_sigmoid_proof(s, ctx):
    """1/(1+x²) > σ'(x) = 1/(2 + 2cosh x) because 2 + 2cosh x − (1 + x²) = 3 + 2(cosh x − 1 − x²/2) ≥ 3."""
    da = sp.diff(sp.atan(x), x)
    ensure(sp.simplify(da - 1 / (1 + x ** 2)) == 0, "arctan' is not 1/(1+x²)")
    ds = sp.diff(SIG, x)
    ensure(sp.simplify((ds - 1 / (2 + 2 * sp.cosh(x))).rewrite(sp.exp)) == 0, "σ' is not 1/(2 + 2 cosh x)")
    q = sp.cosh(x) - 1 - x ** 2 / 2                                  # q(0) = q'(0) = 0, q'' = cosh x − 1 = 2 sinh²(x/2) ≥ 0
    ensure(q.subs(x, 0) == 0 and sp.diff(q, x).subs(x, 0) == 0, "q(0), q'(0)")
    ensure(sp.simplify((sp.diff(q, x, 2) - 2 * sp.sinh(x / 2) ** 2).rewrite(sp.exp)) == 0, "q'' ≠ 2 sinh²(x/2)")
    ensure(sp.expand(2 + 2 * sp.cosh(x) - (1 + x ** 2) - (3 + 2 * q)) == 0, "2 + 2cosh x − (1+x²) ≠ 3 + 2q")
    ensure(sp.solve(sp.Eq(1 / (1 + x ** 2), 1), x) == [0], "arctan' = 1 away from 0")
    _tie("arctan'", s.darctan, da)
    _tie("sigmoid'", s.dsigmoid, ds)
    _tie("arctan", s.arctan, sp.atan(x))
    return ("arctan' = 1/(1+x²) > σ'(x) = 1/(2+2cosh x) for every real x, and arctan' ≤ 1 with equality iff x = 0 (SymPy)",
            ("σ' = 1/(2 + 2cosh x), so arctan' > σ' ⇔ 2 + 2cosh x > 1 + x² ⇔ 3 + 2q(x) > 0 with q = cosh x − 1 − x²/2. "
            "SymPy checks q(0) = q'(0) = 0 and q'' = 2 sinh²(x/2) ≥ 0, so q is convex with minimum 0 at 0 and 3 + 2q ≥ 3 > 0. "
            "1/(1+x²) ≤ 1 ⇔ x² ≥ 0, equality only at 0. "
            f"Tie: subject darctan, dsigmoid, arctan at {len(XS)} exact points in [−700, 700] equal the symbolic values "
            f"{S.within()}. {S.versions()}."))


@evidence("ACT-SIGMOID-RANGE-FLOAT", "proof")
def act_sigmoid_range_float_proof(s, ctx):
    """σ(ℝ) ⊂ (0, 1) exactly; fl(σ(x)) = 1 for x ≥ 36.74 because e^{−x} < 2^{−53} there and 1 + u rounds to 1."""
    t = sp.Symbol("t", positive=True)                              # t = e^{−x} > 0
    ensure(sp.simplify(1 - 1 / (1 + t)) == t / (1 + t) and (t / (1 + t)).is_positive and (1 / (1 + t)).is_positive,
           "0 < 1/(1+t) < 1 for t > 0")
    with mpmath.workdps(40):
        margin = 53 * mpmath.log(2)                                 # e^{−x} ≤ 2^{−53} ⇔ x ≥ 53 ln 2
        ensure(margin < mpmath.mpf("36.74"), "53 ln 2 ≥ 36.74")
        ensure(mpmath.exp(-mpmath.mpf("36.74")) < mpmath.mpf(2) ** -53 * (1 - mpmath.mpf(2) ** -40),
               "e^{−36.74} is not below 2^{−53} by a margin larger than exp's error")
    _tie("sigmoid", s.sigmoid, SIG, S.points(40, seed=3, lo=-30, hi=30))
    big = np.array([36.74, 36.75, 37.0, 40.0, 100.0, 700.0, 1e3, 1e300])
    got = np.asarray(s.sigmoid(big), dtype=float)
    ensure(np.all(got == 1.0), f"subject sigmoid does not round to 1.0 for x ≥ 36.74: {got}")
    ensure(np.all(np.asarray(s.sigmoid(-big), dtype=float) >= 0.0), "subject sigmoid below 0")
    return ("σ(x) = 1/(1+e^(−x)) ∈ (0, 1) for every real x; fl(σ(x)) = 1 for x ≥ 36.74 since e^(−x) < 2^(−53) there (53 ln 2 ≈ 36.7368)",
            ("With t = e^(−x) > 0: 0 < 1/(1+t) < 1. In float64 (the model's x ≥ 0 branch 1/(1 + e^(−x))), for x ≥ 36.74 the "
            "exact e^(−x) is below 2^(−53)·(1 − 2^(−40)) (mpmath, 40 digits), so a faithful exp returns at most 2^(−53), 1 + u rounds "
            "to 1 (ties to even) and 1/1 = 1. "
            f"Tie: subject sigmoid equals σ at 40 exact points in [−30, 30] {S.within()} and is exactly "
            f"1.0 at x ∈ {{36.74, 36.75, 37, 40, 100, 700, 1e3, 1e300}}. {S.versions()}."))


@evidence("ACT-TANH-RANGE", "proof")
def act_tanh_range_proof(s, ctx):
    """tanh(ℝ) = (−1, 1) and tanh(x) < 0 for x < 0: the seed's '[0, 1] range' is false for every negative x."""
    t = sp.Symbol("t", positive=True)                              # t = e^{−2x}: x < 0 ⇔ t > 1
    ensure(sp.simplify(((1 - t) / (1 + t)).subs(t, sp.exp(-2 * x)) - TANH) == 0, "tanh ≠ (1−t)/(1+t), t = e^(−2x)")
    u = sp.Symbol("u", positive=True)                              # t = 1 + u > 1
    ensure(((1 - (1 + u)) / (1 + (1 + u))).is_negative, "(1−t)/(1+t) is not < 0 for t > 1")
    _tie("tanh", s.tanh, TANH)
    got = np.asarray(s.tanh(np.array([-1.0, -0.5, -3.0])), dtype=float)
    ensure(np.all(got < 0), f"subject tanh is not negative at x < 0: {got}")
    return ("tanh(x) = (1−t)/(1+t) with t = e^(−2x) > 1 for x < 0, so tanh(x) < 0 there: the range is (−1, 1), not [0, 1] (SymPy)",
            (f"For x < 0, t = e^(−2x) = 1 + u with u > 0 and (1 − t)/(1 + t) = −u/(2 + u) < 0 (SymPy sign). Tie: subject tanh at "
            f"{len(XS)} exact points equals tanh {S.within()} and is negative at −0.5, −1, −3. {S.versions()}."))
