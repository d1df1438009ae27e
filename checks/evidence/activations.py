"""Proofs about the activations: σ' = σ(1−σ) ≤ 1/4, tanh' = 1 − tanh² ≤ 1, ReLU', arctan' > σ', σ's range.

Each proof derives the statement from the definition (σ(x) = 1/(1+e^{−x}), tanh = (e^x−e^{−x})/(e^x+e^{−x}),
ReLU = max(x, 0), arctan) and then ties it to models/activations.py: the subject's functions, evaluated at
exact dyadic points, equal the symbolic expressions within tolerances.analytic.
"""

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _float32 as F
from vanishing.checks.evidence import _sym as S

x = sp.Symbol("x", real=True)
SIG = 1 / (1 + sp.exp(-x))                         # the definition of σ
TANH = (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))

#: Test points: exact dyadics in [−8, 8], 0 itself, and tails where the closed forms need care.
#: Magnitudes across the stated domain, not only [−8, 8]: ±2^(k/4) for k = −40..40 (1e-3 to 1024, every band in between).
_LOG = 2.0 ** (np.arange(-40, 41) / 4.0)
XS = np.concatenate([S.points(40, seed=1, lo=-8, hi=8), [0.0, 0.5, -0.5, 20.0, -20.0, 36.0, -36.0, 100.0, -100.0, 700.0, -700.0],
                     _LOG, -_LOG])
#: Below this the values are subnormal or near it: compared absolutely; above, relatively (tails carry the claims too).
_TINY = 1e-290


def _tie(label, fn, expr, xs=XS):
    """The model at ``xs`` against the exact values: relatively where |value| ≥ 1e-290 (a tail error is an error), else absolutely."""
    xs = np.asarray(xs, dtype=np.float64)
    got, want = np.asarray(fn(xs), dtype=np.float64), S.scalar_values(expr, x, xs)
    ensure(got.shape == want.shape, f"{label}: the model returns shape {got.shape} for {want.shape} points")
    big = np.abs(want) >= _TINY
    S.agree(f"{label} (relative, {int(big.sum())} points)", got[big] / want[big], np.ones(int(big.sum())), scale=1.0)
    if not big.all():
        S.agree(f"{label} (absolute, {int((~big).sum())} points)", got[~big], want[~big])


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
            f"x = 0. Tie: subject sigmoid and dsigmoid at {len(XS)} exact points in [−700, 700] (relatively) equal the symbolic values "
            f"(mpmath {S.MP_DPS} digits) {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real",),
                  steps=("SymPy: d/dx 1/(1+e^(−x)) − σ(1−σ) simplifies to 0",
                         f"SymPy: b − u(1−u) − (u − 1/2)² expands to the constant {rest} ≥ 0 (b = {b})",
                         "SymPy: b − u(1−u) = 0 only at u = 1/2; σ(x) = 1/2 only at x = 0"),
                  tied=(f"models.activations sigmoid and dsigmoid at {len(XS)} exact points in [−700, 700] (relatively)",)))


@evidence("ACT-TANH-DERIV-BOUND", "proof", statement={"bound": sp.Integer(1)},
          wrong={"bound 1/2": {"bound": sp.Rational(1, 2)}, "bound 2": {"bound": sp.Integer(2)}})
def act_tanh_deriv_bound_proof(s, ctx):
    """tanh' = 1 − tanh² ≤ b, equality iff x = 0: b − (1 − t²) = (b − 1) + t², and tanh x = 0 iff x = 0."""
    b = ctx.st.bound
    d = sp.diff(TANH, x)
    ensure(sp.simplify(d - (1 - TANH ** 2)) == 0, "d/dx of (e^x − e^−x)/(e^x + e^−x) is not 1 − tanh²")
    ensure(sp.diff(sp.tanh(x), x) == 1 - sp.tanh(x) ** 2, "SymPy's tanh rule is not 1 − tanh²")
    ensure(S.tanh_rule_holds(), "the tanh atom's derivative rule disagrees with the definition")
    t = sp.Symbol("t", real=True)
    rest = sp.expand(b - (1 - t ** 2) - t ** 2)                      # the certificate's constant term
    ensure(rest.is_number and rest >= 0, f"b − (1 − t²) = ({rest}) + t² is not a sum of nonnegative terms for b = {b}")
    ensure(sp.solve(sp.Eq(b - (1 - t ** 2), 0), t) == [0], f"1 − t² = {b} is not attained exactly at t = 0, so {b} is not the maximum")
    ensure(sp.solve(sp.Eq(TANH, 0), x) == [0], "tanh x = 0 has a solution other than x = 0")
    sech2 = 1 / sp.cosh(x) ** 2                                     # the same function without 1 − tanh²'s cancellation
    ensure(sp.simplify((d - sech2).rewrite(sp.exp)) == 0, "tanh' ≠ sech²")
    _tie("tanh", s.tanh, TANH)
    _tie("tanh'", s.dtanh, sech2)                                   # the tie's exact values: 50 digits survive in the tails
    return (f"tanh' = 1 − tanh² = {b} − tanh² ≤ {b}, with equality iff tanh x = 0 iff x = 0 (SymPy)",
            (f"SymPy differentiates tanh = (e^x − e^(−x))/(e^x + e^(−x)) to 1 − tanh²; b − (1 − t²) = (b − 1) + t² with b = {b} is a "
             f"nonnegative constant plus a square, zero only at t = 0, and tanh x = 0 only at x = 0. Tie: subject tanh and dtanh at "
             f"{len(XS)} exact points in [−700, 700] equal the symbolic values {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real",),
                  steps=("SymPy: d/dx (e^x − e^(−x))/(e^x + e^(−x)) − (1 − tanh²) simplifies to 0",
                         f"SymPy: b − (1 − t²) − t² expands to the constant {rest} ≥ 0 (b = {b})",
                         "SymPy: b − (1 − t²) = 0 only at t = 0; tanh x = 0 only at x = 0"),
                  tied=(f"models.activations tanh and tanh_prime at {len(XS)} exact points in [−700, 700] (relatively)",)))


@evidence("ACT-RELU-DERIV", "proof", statement={"right": 1, "left": 0, "at_zero": 0},
          wrong={"ReLU' = 1 on x < 0": {"left": 1}, "ReLU'(0) = 1": {"at_zero": 1}})
def act_relu_deriv_proof(s, ctx):
    """ReLU' = 1 on x > 0, 0 on x < 0; at 0 the one-sided derivatives are 0 and 1, so 0 is a convention."""
    relu = sp.Piecewise((x, x > 0), (0, True))
    hp = sp.Symbol("h", positive=True)
    xp, xn = sp.Symbol("xp", positive=True), sp.Symbol("xn", negative=True)
    ensure(sp.diff(relu, x).subs(x, xp) == ctx.st.right and sp.diff(relu, x).subs(x, xn) == ctx.st.left,
           f"ReLU' on x > 0 and x < 0 is not {ctx.st.right}, {ctx.st.left}")
    right = sp.limit((relu.subs(x, hp) - relu.subs(x, 0)) / hp, hp, 0)
    left = sp.limit((relu.subs(x, -hp) - relu.subs(x, 0)) / (-hp), hp, 0)
    ensure((right, left) == (1, 0) and ctx.st.at_zero in (right, left), f"one-sided derivatives at 0 are {right}, {left}")
    xs = np.concatenate([S.points(40, seed=2, lo=-4, hi=4), [0.0, 0.5, -0.5, 1.0, 1.5, 1e-300, -1e-300, 1e300, -1e300]])
    want = np.where(xs > 0, float(ctx.st.right), np.where(xs < 0, float(ctx.st.left), float(ctx.st.at_zero)))
    ensure(np.array_equal(np.asarray(s.drelu(xs), dtype=float), want), "subject drelu is not the stated step at the test points")
    ensure(np.array_equal(np.asarray(s.relu(xs), dtype=float), np.where(xs > 0, xs, 0.0)), "subject relu is not max(x, 0)")
    return ("ReLU' = 1 for x > 0 and 0 for x < 0; at 0 the one-sided derivatives are 0 and 1 (SymPy limits), so relu'(0) = 0 is a convention",
            ("SymPy differentiates the piecewise max(x, 0) to 1 on x > 0 and 0 on x < 0; its one-sided difference-quotient limits at 0 "
             f"are 1 (right) and 0 (left). Tie: subject relu and drelu equal max(x, 0) and the step exactly at {len(xs)} points "
             f"(dyadics in [−4, 4], ±0.5, 1, 1.5, ±1e-300, ±1e300, 0). {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real; at 0 the convention 0 (PyTorch's)",),
                  steps=("SymPy: d/dx Piecewise((x, x > 0), (0, True)) is 1 at x > 0 and 0 at x < 0",
                         "SymPy: the right and left difference quotients at 0 tend to 1 and 0"),
                  tied=(f"models.activations relu and relu_prime exactly at {len(xs)} points",)))


@evidence("ACT-ARCTAN-DERIV-DOMINATES-SIGMOID", "proof", statement={"larger": "arctan"},
          wrong={"σ' > arctan' (flipped)": {"larger": "sigmoid"}})
def act_arctan_deriv_dominates_sigmoid_proof(s, ctx):
    """1/(1+x²) > σ'(x) = 1/(2 + 2cosh x) because 2 + 2cosh x − (1 + x²) = 3 + 2(cosh x − 1 − x²/2) ≥ 3."""
    da = sp.diff(sp.atan(x), x)
    ensure(sp.simplify(da - 1 / (1 + x ** 2)) == 0, "arctan' is not 1/(1+x²)")
    ds = sp.diff(SIG, x)
    ensure(sp.simplify((ds - 1 / (2 + 2 * sp.cosh(x))).rewrite(sp.exp)) == 0, "σ' is not 1/(2 + 2 cosh x)")
    q = sp.cosh(x) - 1 - x ** 2 / 2                                  # q(0) = q'(0) = 0, q'' = cosh x − 1 = 2 sinh²(x/2) ≥ 0
    ensure(q.subs(x, 0) == 0 and sp.diff(q, x).subs(x, 0) == 0, "q(0), q'(0)")
    ensure(sp.simplify((sp.diff(q, x, 2) - 2 * sp.sinh(x / 2) ** 2).rewrite(sp.exp)) == 0, "q'' ≠ 2 sinh²(x/2)")
    recip = {"arctan": 1 + x ** 2, "sigmoid": 2 + 2 * sp.cosh(x)}   # 1/derivative: the larger derivative has the smaller reciprocal
    other = "sigmoid" if ctx.st.larger == "arctan" else "arctan"
    rest = sp.expand(recip[other] - recip[ctx.st.larger] - 2 * q)
    ensure(rest.is_number and rest > 0, f"1/{other}' − 1/{ctx.st.larger}' = ({rest}) + 2q is not a positive constant plus 2q ≥ 0")
    ensure(sp.solve(sp.Eq(1 / (1 + x ** 2), 1), x) == [0], "arctan' = 1 away from 0")
    _tie("arctan'", s.darctan, da)
    _tie("sigmoid'", s.dsigmoid, ds)
    _tie("arctan", s.arctan, sp.atan(x))
    return ("arctan' = 1/(1+x²) > σ'(x) = 1/(2+2cosh x) for every real x, and arctan' ≤ 1 with equality iff x = 0 (SymPy)",
            ("σ' = 1/(2 + 2cosh x), so arctan' > σ' ⇔ 2 + 2cosh x > 1 + x² ⇔ 3 + 2q(x) > 0 with q = cosh x − 1 − x²/2. "
             "SymPy checks q(0) = q'(0) = 0 and q'' = 2 sinh²(x/2) ≥ 0, so q is convex with minimum 0 at 0 and 3 + 2q ≥ 3 > 0. "
             "1/(1+x²) ≤ 1 ⇔ x² ≥ 0, equality only at 0. "
             f"Tie: subject darctan, dsigmoid, arctan at {len(XS)} exact points in [−700, 700] (relatively) equal the symbolic values "
             f"{S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real",),
                  steps=("SymPy: arctan' − 1/(1+x²) and σ' − 1/(2 + 2cosh x) simplify to 0",
                         "SymPy: q = cosh x − 1 − x²/2 has q(0) = q'(0) = 0 and q'' − 2sinh²(x/2) = 0 (convex, q ≥ 0)",
                         f"SymPy: 1/{other}' − 1/{ctx.st.larger}' − 2q expands to the constant {rest} > 0",
                         "SymPy: 1/(1+x²) = 1 only at x = 0"),
                  tied=(f"models.activations arctan, arctan_prime, sigmoid_prime at {len(XS)} exact points in [−700, 700] (relatively)",)))


@evidence("ACT-SIGMOID-RANGE-FLOAT", "proof", statement={"one_from": "36.74"},
          wrong={"1.0 from x ≥ 30": {"one_from": "30"}, "1.0 only from x ≥ 40": {"one_from": "40"}})
def act_sigmoid_range_float_proof(s, ctx):
    """σ(ℝ) ⊂ (0, 1) exactly; fl(σ(x)) = 1 for x ≥ 36.74 because e^{−x} < 2^{−53} there and 1 + u rounds to 1."""
    t = sp.Symbol("t", positive=True)                              # t = e^{−x} > 0
    ensure(sp.simplify(1 - 1 / (1 + t)) == t / (1 + t) and (t / (1 + t)).is_positive and (1 / (1 + t)).is_positive,
           "0 < 1/(1+t) < 1 for t > 0")
    with mpmath.workdps(40):
        x1 = mpmath.mpf(ctx.st.one_from)
        margin = 53 * mpmath.log(2)                                 # e^{−x} ≤ 2^{−53} ⇔ x ≥ 53 ln 2
        ensure(margin < x1, f"53 ln 2 ≥ {ctx.st.one_from}: below it σ does not round to 1")
        ensure(mpmath.exp(-x1) < mpmath.mpf(2) ** -53 * (1 - mpmath.mpf(2) ** -40),
               f"e^(−{ctx.st.one_from}) is not below 2^(−53) by a margin larger than exp's error")
        ensure(x1 - margin < mpmath.mpf("0.01"), f"the threshold {ctx.st.one_from} is not within 0.01 of 53 ln 2 ≈ 36.7368: "
                                                  "fl(σ(x)) = 1 already below it")
    _tie("sigmoid", s.sigmoid, SIG, S.points(40, seed=3, lo=-30, hi=30))
    big = np.array([float(ctx.st.one_from), 36.75, 37.0, 40.0, 100.0, 700.0, 1e3, 1e300])
    got = np.asarray(s.sigmoid(big), dtype=float)
    ensure(np.all(got == 1.0), f"subject sigmoid does not round to 1.0 for x ≥ 36.74: {got}")
    ensure(np.all(np.asarray(s.sigmoid(-big), dtype=float) >= 0.0), "subject sigmoid below 0")
    return ("σ(x) = 1/(1+e^(−x)) ∈ (0, 1) for every real x; fl(σ(x)) = 1 for x ≥ 36.74 since e^(−x) < 2^(−53) there (53 ln 2 ≈ 36.7368)",
            ("With t = e^(−x) > 0: 0 < 1/(1+t) < 1. In float64 (the model's x ≥ 0 branch 1/(1 + e^(−x))), for x ≥ 36.74 the "
            "exact e^(−x) is below 2^(−53)·(1 − 2^(−40)) (mpmath, 40 digits), so a faithful exp returns at most 2^(−53), 1 + u rounds "
            "to 1 (ties to even) and 1/1 = 1. "
            f"Tie: subject sigmoid equals σ at 40 exact points in [−30, 30] {S.within()} and is exactly "
            f"1.0 at x ∈ {{36.74, 36.75, 37, 40, 100, 700, 1e3, 1e300}}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real; float64 with a faithful exp",),
                  steps=("SymPy: 0 < 1/(1+t) < 1 for t = e^(−x) > 0",
                         f"mpmath (40 digits): 53 ln 2 < {ctx.st.one_from} < 53 ln 2 + 0.01 and e^(−{ctx.st.one_from}) < 2^(−53)(1 − 2^(−40))"),
                  tied=("models.activations sigmoid at 40 exact points in [−30, 30], exactly 1.0 at 8 points ≥ 36.74, ≥ 0 below",)))


@evidence("ACT-TANH-RANGE", "proof", statement={"lo": -1}, wrong={"range [0, 1] (the seed's)": {"lo": 0}})
def act_tanh_range_proof(s, ctx):
    """tanh(ℝ) = (−1, 1) and tanh(x) < 0 for x < 0: the seed's '[0, 1] range' is false for every negative x."""
    t = sp.Symbol("t", positive=True)                              # t = e^{−2x}: x < 0 ⇔ t > 1
    ensure(sp.simplify(((1 - t) / (1 + t)).subs(t, sp.exp(-2 * x)) - TANH) == 0, "tanh ≠ (1−t)/(1+t), t = e^(−2x)")
    u = sp.Symbol("u", positive=True)                              # t = 1 + u > 1
    neg = (1 - (1 + u)) / (1 + (1 + u))
    ensure(neg.is_negative, "(1−t)/(1+t) is not < 0 for t > 1")
    ensure(sp.simplify(neg - ctx.st.lo).is_positive, f"tanh(x) > {ctx.st.lo} does not hold for every x < 0")
    ensure(sp.simplify(ctx.st.lo - neg).is_positive or ctx.st.lo == -1 and sp.limit(neg, u, sp.oo) == -1,
           f"the range's lower end {ctx.st.lo} is not the infimum −1 of tanh on x < 0")
    _tie("tanh", s.tanh, TANH)
    got = np.asarray(s.tanh(np.array([-1.0, -0.5, -3.0])), dtype=float)
    ensure(np.all(got < 0), f"subject tanh is not negative at x < 0: {got}")
    return ("tanh(x) = (1−t)/(1+t) with t = e^(−2x) > 1 for x < 0, so tanh(x) < 0 there: the range is (−1, 1), not [0, 1] (SymPy)",
            (f"For x < 0, t = e^(−2x) = 1 + u with u > 0 and (1 − t)/(1 + t) = −u/(2 + u) < 0 (SymPy sign). Tie: subject tanh at "
            f"{len(XS)} exact points equals tanh {S.within()} and is negative at −0.5, −1, −3. {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real",),
                  steps=("SymPy: tanh x − (1−t)/(1+t) simplifies to 0 for t = e^(−2x)",
                         f"SymPy: for t = 1 + u, u > 0: (1−t)/(1+t) < 0 and > {ctx.st.lo}, with limit −1 as u → ∞"),
                  tied=(f"models.activations tanh at {len(XS)} exact points in [−700, 700] (relatively), negative at −0.5, −1, −3",)))


# ---------------------------------------------------------------- exhaustive: every finite float32
#: Measured on the shared 2-core machine (docs/EVIDENCE.md, "Exhaustive float32"): one pass of one function ≈ 2 min of CPU.
F32_COST = "exhaustive over all 4 278 190 080 finite float32, about 2 min of CPU per function evaluated (docs/EVIDENCE.md)"
F32_SCOPE = ("every finite float32 (±0 and subnormals included), in chunks of 2^22",)
F32_HYP = ("models/activations.py evaluated in float32 (numpy, float32 in, float32 out)",)


def _f32(ctx, label, check, what):
    count, secs = F.sweep(label, check)
    return count, (f"{what} Every finite float32 x ({count} values, bit patterns in chunks of {F.CHUNK}) in {secs:.0f} s; "
                         f"numpy {np.__version__}.")


def _f32_scope(steps):
    return Scope(sizes="every", steps=tuple(steps), tied=("the check's subject on every finite float32",),
                 hypotheses=F32_HYP)


def _exhaustive(claim_id, statement, wrong, unaffected=None):
    return evidence(claim_id, "exhaustive", statement=statement, wrong=wrong, unaffected=unaffected,
                    profiles=("thorough",), cost=F32_COST)


def _deriv_bound_f32(fn, name, b, why):
    """fl32(name'(x)) ∈ [0, b] at every finite float32 x, and the band where it equals b (the real 'iff x = 0' vs float32)."""
    top = []

    def check(x):
        y = F.float32_out(f"{name}'", fn(x), x)
        top.append(float(np.max(np.abs(x[y == b]), initial=-1.0)))
        return (y >= 0) & (y <= b)
    count, detail = _f32(None, f"fl32({name}'(x)) ∈ [0, b]", check, f"fl32({name}'(x)) ∈ [0, {b}]")
    band = max(top)
    return (f"fl32({name}'(x)) ∈ [0, {b}] for every finite float32 x ({count} values); it equals {b} exactly for |x| ≤ {band:.3g}, not only at 0",
            (f"{detail} In float32 {name}'(x) rounds to exactly {b} on the band |x| ≤ {band!r} ({why}), so the real "
             "statement's 'equality iff x = 0' does not carry over to float32; the bound does."),
            _f32_scope([f"fl32({name}'(x)) ≥ 0 and ≤ {b} at every finite float32 x", f"the largest |x| with fl32({name}'(x)) = {b}: {band!r}"]))


@_exhaustive("ACT-SIGMOID-DERIV-BOUND", {"bound": np.float32(0.25)}, {"bound 1/8": {"bound": np.float32(0.125)}})
def act_sigmoid_deriv_bound_float32(s, ctx):
    return _deriv_bound_f32(s.dsigmoid, "σ", ctx.st.bound, "σ' = tanh'(x/2)/4 and cosh(x/2) rounds to 1")


@_exhaustive("ACT-TANH-DERIV-BOUND", {"bound": np.float32(1.0)}, {"bound 1/2": {"bound": np.float32(0.5)}})
def act_tanh_deriv_bound_float32(s, ctx):
    return _deriv_bound_f32(s.dtanh, "tanh", ctx.st.bound, "cosh x rounds to 1")


@_exhaustive("ACT-RELU-DERIV", {"at_zero": np.float32(0.0)}, {"ReLU'(0) = 1": {"at_zero": np.float32(1.0)}})
def act_relu_deriv_float32(s, ctx):
    z = ctx.st.at_zero

    def check(x):
        d = np.asarray(s.drelu(x))   # relu' returns float64 by the models' contract (DESIGN.md): its values are 0 and 1
        ensure(d.shape == x.shape, f"relu': the subject returned shape {d.shape} for float32 input of shape {x.shape}")
        r = F.float32_out("relu", s.relu(x), x)
        return (d == np.where(x > 0, np.float32(1), np.where(x == 0, z, np.float32(0)))) & (r == np.where(x > 0, x, np.float32(0)))
    count, detail = _f32(ctx, "relu'(x) = [x > 0]", check, f"relu'(x) = [x > 0] (relu'(±0) = {z}) and relu(x) = max(x, 0) exactly.")
    return (f"relu'(x) = [x > 0] with relu'(±0) = {z}, and relu(x) = max(x, 0), exactly, for every finite float32 x ({count} values)",
            detail, _f32_scope(["relu'(x) equals 1, 0 and the convention at ±0, bit for bit, at every finite float32 x",
                                "relu(x) equals max(x, 0) bit for bit at every finite float32 x"]))


@_exhaustive("ACT-ARCTAN-DERIV-DOMINATES-SIGMOID", {"direction": ">="}, {"σ' ≥ arctan' (flipped)": {"direction": "<="}})
def act_arctan_dominates_float32(s, ctx):
    ge, ties = ctx.st.direction == ">=", []

    def check(x):
        da, ds = F.float32_out("arctan'", s.darctan(x), x), F.float32_out("sigmoid'", s.dsigmoid(x), x)
        ties.append(float(np.min(np.abs(x[da == ds]), initial=np.inf)))
        return ((da >= ds) if ge else (da <= ds)) & (da <= 1)
    count, detail = _f32(ctx, "fl32(arctan'(x)) ≥ fl32(σ'(x))", check, "fl32(arctan'(x)) ≥ fl32(σ'(x)) and fl32(arctan'(x)) ≤ 1.")
    first = min(ties)
    return (f"fl32(arctan'(x)) ≥ fl32(σ'(x)) and ≤ 1 for every finite float32 x ({count} values); strictly > for |x| < {first:.4g}",
            f"{detail} Equality first at |x| = {first!r}, where both round to the same float32 (σ' underflows before arctan' does).",
            _f32_scope(["fl32(arctan'(x)) ≥ fl32(σ'(x)) and fl32(arctan'(x)) ≤ 1 at every finite float32 x",
                        f"the smallest |x| where they are equal: {first!r}"]))


@_exhaustive("ACT-TANH-RANGE", {"lo": np.float32(-1.0)}, {"range [0, 1] (the seed's)": {"lo": np.float32(0.0)}})
def act_tanh_range_float32(s, ctx):
    lo = ctx.st.lo

    def check(x):
        y = F.float32_out("tanh", s.tanh(x), x)
        return (y >= lo) & (y <= 1) & ((y < 0) == (x < 0)) & ((y == 0) == (x == 0))
    count, detail = _f32(ctx, "fl32(tanh(x)) ∈ [lo, 1], sign(tanh x) = sign x", check,
                               f"fl32(tanh(x)) ∈ [{lo}, 1], negative exactly for x < 0 and zero exactly at ±0.")
    return (f"fl32(tanh(x)) ∈ [{lo}, 1] and tanh(x) < 0 exactly when x < 0, for every finite float32 x ({count} values): not [0, 1]",
            detail, _f32_scope([f"fl32(tanh(x)) ∈ [{lo}, 1] at every finite float32 x",
                                "fl32(tanh(x)) < 0 iff x < 0, and = 0 iff x = ±0"]))


@_exhaustive("ACT-SIGMOID-RANGE-FLOAT", {"one_from": np.float32(16.635532), "zero_to": np.float32(-103.972084)},
             {"1.0 from the float64 threshold 36.74": {"one_from": np.float32(36.74)}, "1.0 from 16": {"one_from": np.float32(16.0)}},
             unaffected={"a gate that clips below 1": "np.minimum(σ, 1 − 1e-12) is the identity in float32, where 1 − 1e-12 rounds to 1.0"})
def act_sigmoid_range_float32(s, ctx):
    one, zero = ctx.st.one_from, ctx.st.zero_to

    def check(x):
        y = F.float32_out("sigmoid", s.sigmoid(x), x)
        return (y >= 0) & (y <= 1) & ((y == 1) == (x >= one)) & ((y == 0) == (x <= zero))
    count, detail = _f32(ctx, "fl32(σ(x)) ∈ [0, 1], = 1 iff x ≥ one_from", check,
                               f"fl32(σ(x)) ∈ [0, 1], = 1 exactly iff x ≥ {one!r}, = 0 exactly iff x ≤ {zero!r}.")
    return (f"fl32(σ(x)) ∈ [0, 1] for every finite float32 x ({count} values), exactly 1 iff x ≥ {one!r} (≈ 24 ln 2) and exactly 0 iff x ≤ {zero!r}",
            detail + " In float32 a gate is exactly 1 from x ≈ 16.64 on, not from the float64 threshold 36.74.",
            _f32_scope(["fl32(σ(x)) ∈ [0, 1] at every finite float32 x",
                        f"fl32(σ(x)) = 1 iff x ≥ {one!r}; fl32(σ(x)) = 0 iff x ≤ {zero!r}"]))
