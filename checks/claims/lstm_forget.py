"""Checks of the forget-gate claims (spec/claims/lstm_forget.toml): f_t ∈ [0, 1], f = 1 and the added term,
the direct path ∏ f_t, forget bias 1, a closed forget gate that does not erase, and the forget bias as a lever.

Notation as in lstm.py (docs/DESIGN.md). Float facts measured on the model's σ (models/activations.py,
accurate in both tails) by bisection: fl(σ(x)) = 1.0 exactly iff x ≥ 36.73680056967711 (= 53·ln 2, where
1 + e^{−x} rounds to 1), and fl(σ(x)) = 0.0 exactly iff x ≤ −745.1332191019412 (where e^{x} underflows to 0).
"""

import functools

import autograd.numpy as anp
import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, oracles, recording, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    lstm_params,
    matrices,
    vectors,
)
from vanishing.checks.toolkit import le
from vanishing.models import activations as act
from vanishing.models import lstm


# ---------------------------------------------------------------- float thresholds (see the module docstring)

#: fl(σ(a)) == 1.0 exactly from here on (measured; 53·ln 2 rounded up to the next double).
_SIGMA_ONE_FROM = 36.73680056967711


# ================================================================ seed 004 §4.3 / seed 002: the direct path is ∏ f_t

def _frozen_h_cell(gates, p, hs, xs):
    """u ↦ c_T with every h_(t−1) frozen at its trajectory value (the direct path; H&S 1997's truncation)."""
    def c_T(u):
        c_ = u
        for h, x in zip(hs, xs):
            c_ = gates(p, h, c_, x, variant="forget")["c"]
        return c_
    return c_T


def _trajectory(gates, p, h0, c0, xs):
    """h_0..h_(T−1) (the h each step reads), c_0..c_(T−1), and every step's gates, rolled with ``gates``."""
    hs, cs, steps, h, c_ = [], [], [], h0, c0
    for x in xs:
        hs.append(h)
        cs.append(c_)
        g = gates(p, h, c_, x, variant="forget")
        steps.append(g)
        h, c_ = np.asarray(g["h"]), np.asarray(g["c"])
    return hs, cs, steps


def _direct_product(direct, p, hs, cs, xs):
    """∏_{t=T..1} ∂c_t/∂c_(t−1)|_h, later steps on the left, from the model's hand-derived direct_path_jacobian."""
    M = np.eye(len(cs[0]))
    for h, c_, x in zip(hs, cs, xs):
        M = direct(p, h, c_, x, variant="forget") @ M
    return M


@st.composite
def _forget_runs(draw, max_T=4, max_H=2):
    """A forget-variant LSTM run: parameters of every kind, the forget gate left as drawn, pinned open (exactly 1) or
    biased up by 1, 2, 5 or 40 (Jozefowicz et al.'s 1 or 2, Gers et al.'s 5; 40 rounds f to 1 unless the weights pull back)."""
    _, p, h0, c0, x = draw(cases.lstm_steps(variants=("forget",), max_H=max_H, pin=("f",)))
    H, D = c0.size, x.size
    shift = draw(st.sampled_from((0.0, 1.0, 2.0, 5.0, 40.0)), label="forget-bias shift")
    p = cases.with_bias(p, "forget", H, f=p["b"][cases.gate_rows("forget", "f", H)] + shift)
    T = draw(st.integers(1, max_T), label="T")
    xs = draw(vectors(T * D, -3.0, 3.0), label="xs").reshape(T, D)
    return p, h0, c0, xs


#: Two units with forget biases 1 and 2, four steps of x = 1 from h = 0, c = (1, −1): a kept example of the forget-runs.
_TWO_UNITS_RUN = (cases.lstm_params_by_hand(H=2, b=[0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0]), np.zeros(2), np.array([1.0, -1.0]), np.ones((4, 1)))
#: Three units (forget biases 1, 2, 1/2, W_h entries in ±{0, 1/8, 1/4, 3/8}), four steps: a kept example at H ≥ 3, T ≥ 3.
_THREE_UNITS_RUN = (cases.lstm_params_by_hand(H=3, W_h=((np.arange(36) % 7) - 3) / 8.0,
                                              b=[0.0, 0.5, -0.5, 1.0, 2.0, 0.5, 0.25, 0.0, -0.25, 0.5, 0.5, 0.5]),
                    np.array([0.25, -0.5, 0.0]), np.array([1.0, -1.0, 0.5]), np.array([[1.0], [-0.5], [0.25], [2.0]]))


def _gates_forget_on_write(p, h, c_prev, x, variant="forget"):
    """Bug: the forget gate multiplies the write instead of the old cell, c_t = c_(t−1) + f⊙i⊙g (a leak-free cell)."""
    g = dict(lstm.gates(p, h, c_prev, x, variant))
    g["c"] = c_prev + g["f"] * g["i"] * g["g"]
    g["h"] = g["o"] * act.tanh(g["c"])
    return g


def _initialised(cid, init, H, D, seed, scale, bias):
    """``init(H, D, rng, scale, forget_bias=bias)``, with its stated placement checked: against the same draws with
    forget_bias = 0, b differs by exactly ``bias`` on the f block (the forward pass's gate order, lstm.GATES) and
    nowhere else, and W_x, W_h are unchanged. A bias stored in another block gates nothing the claim is about."""
    p = init(H, D, np.random.default_rng(seed), scale=scale, forget_bias=bias)
    p0 = init(H, D, np.random.default_rng(seed), scale=scale, forget_bias=0.0)
    fi = lstm.GATES["forget"].index("f")
    want = np.zeros(4 * H)
    want[fi * H:(fi + 1) * H] = bias
    diff = np.asarray(p["b"]) - np.asarray(p0["b"])
    # |b0| ≤ scale/√H ≤ 1 and bias ≤ 2: one rounded addition each, within 2^8 ulps at scale 2
    assertions.assert_close(diff, want, tolerances.analytic(scale=2.0), f"{cid}: init_params' forget_bias should shift b's f block only (seed {seed})")
    for key in ("W_x", "W_h"):
        assert np.array_equal(p[key], p0[key]), f"{cid}: init_params' forget_bias changed {key}"
    return p


@claim_check("LSTM-DIRECT-PATH-PRODUCT",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian},
             plants={"forget gate applied to the write instead of the old cell (c_t = c_(t−1) + f⊙i⊙g)": {"gates": _gates_forget_on_write},
                     "direct path diag(σ'(a_f)) (the gate's derivative for the gate)":
                         {"direct": lambda p, h, c_, x, variant="forget": np.diag(act.sigmoid_prime(lstm.gates(p, h, c_, x, variant)["a_f"]))}})
def direct_path_is_the_product_of_forget_gates(ctx, s):
    """∂c_T/∂c_0|_direct = diag(∏_t f_t), exp(−Σ(1−f_t)/f_t) ≤ ∏_t f_t ≤ min(exp(−Σ(1−f_t)), (max f)^T): it survives only if f_t → 1.  [LSTM-DIRECT-PATH-PRODUCT]"""

    @ctx.holds(max_examples=12, reason="finite differences on a diagonal Jacobian through up to 4 steps: scipy iterates to its cap on every exact 0")
    @given(run=_forget_runs())
    @example(run=_TWO_UNITS_RUN)
    @example(run=_THREE_UNITS_RUN)
    def product_of_forget_gates_three_oracles(run):
        p, h0, c0, xs = run
        H = c0.size
        hs, cs, steps = _trajectory(s.gates, p, h0, c0, xs)
        closed = _direct_product(s.direct, p, hs, cs, xs)
        J = oracles.check_jacobian(_frozen_h_cell(s.gates, p, hs, xs), c0, closed_form=closed, structure=assertions.diagonal_mask(H),
                                   label=f"{ctx.id}: ∂c_T/∂c_0 along the direct path (T = {len(xs)})",
                                   reproduce=ctx.repro(H=H, T=len(xs)))
        f = np.array([np.asarray(g["f"]) for g in steps])
        assertions.assert_close(np.diag(J), np.prod(f, axis=0), tolerances.analytic(), f"{ctx.id}: ∂c_T/∂c_0 vs ∏_t f_t")

    @st.composite
    def long_runs(draw):
        p, h0, c0, xs = draw(_forget_runs(max_T=1, max_H=3))
        T = draw(st.integers(1, 150), label="T")
        # a repeated block of ≤ 8 inputs: long sequences without drawing 150·D floats
        block = draw(vectors(8 * xs.shape[1], -3.0, 3.0), label="input block").reshape(8, -1)
        return p, h0, c0, np.resize(block, (T, block.shape[1]))

    @ctx.holds(max_examples=6, reason="trajectories of up to 150 validated model steps, ~0.15 ms each")
    @given(run=long_runs())
    @example(run=(cases.lstm_params_by_hand(H=2, b=[0.0, 0.0, 5.0, 40.0, 0.0, 0.0, 0.0, 0.0]), np.zeros(2), np.zeros(2), np.zeros((150, 1))))
    # the float threshold itself: a_f one double below it gives f = 1 − 2⁻⁵² (∏ < 1), at it f = 1.0 (∏ = 1)
    @example(run=(cases.lstm_params_by_hand(H=2, b=[0.0, 0.0, np.nextafter(_SIGMA_ONE_FROM, 0.0), _SIGMA_ONE_FROM, 0.0, 0.0, 0.0, 0.0]),
                  np.zeros(2), np.zeros(2), np.zeros((150, 1))))
    def vanishes_unless_forget_gates_tend_to_one(run):
        p, h0, c0, xs = run
        _, _, steps = _trajectory(s.gates, p, h0, c0, xs)
        f = np.array([np.asarray(g["f"]) for g in steps])          # (T, H)
        a_f = np.array([np.asarray(g["a_f"]) for g in steps])
        prod = np.prod(f, axis=0)
        # log f ≤ f − 1 and log f ≥ −(1 − f)/f  (from log u ≤ u − 1 at u = f and at u = 1/f)
        upper = np.exp(-np.sum(1.0 - f, axis=0))
        with np.errstate(divide="ignore"):
            lower = np.exp(-np.sum((1.0 - f) / f, axis=0))
        T = len(xs)
        # each bound is a product/exp of T rounded factors: T·eps relative at most, inside 2^8 ulps for T ≤ 150
        le(prod, upper, f"{ctx.id}: ∏f_t vs exp(−Σ(1 − f_t)) (T = {T})", scale=1.0)
        le(prod, np.max(f, axis=0) ** T, f"{ctx.id}: ∏f_t vs (max_t f_t)^T (T = {T})", scale=1.0)
        le(lower, prod, f"{ctx.id}: exp(−Σ(1 − f_t)/f_t) vs ∏f_t (T = {T})", scale=1.0)
        # exactly 1 iff every f_t is exactly 1.0, iff every a_f ≥ 53·ln 2 (exact float facts: rounding is monotone)
        assert np.array_equal(prod == 1.0, np.all(f == 1.0, axis=0)), f"{ctx.id}: ∏f_t = {prod!r} is 1 without every f_t = 1"
        assert np.array_equal(f == 1.0, a_f >= _SIGMA_ONE_FROM), f"{ctx.id}: f = 1.0 exactly does not match a_f ≥ {_SIGMA_ONE_FROM}"
        target(float(np.max(np.where(prod < 1.0, prod, 0.0))), label="largest ∏f_t below 1")

    @st.composite
    def initialised_lstms(draw):
        """PyTorch's default init U(−1/√H, 1/√H) (lstm.init_params, scale 1), forget bias 0, 1 or 2, |x| ≤ 1."""
        H, D = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D")
        bias = draw(st.sampled_from((0.0, 1.0, 2.0)), label="forget bias")
        p = lstm.init_params(H, D, np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="init seed")), forget_bias=bias)
        T = draw(st.integers(2, 100), label="T")
        return p, draw(vectors(T * D, -1.0, 1.0), label="xs").reshape(T, D)

    @ctx.refutes
    @given(run=initialised_lstms())
    @example(run=(lstm.init_params(1, 1, np.random.default_rng(0)), np.ones((2, 1))))
    def literal_consistent_over_long_sequences(run):
        p, xs = run
        H = p["W_h"].shape[1]
        _, _, steps = _trajectory(s.gates, p, np.zeros(H), np.zeros(H), xs)
        flow = float(np.max(np.prod([np.asarray(g["f"]) for g in steps], axis=0)))
        # "remain consistent" read as: within a factor 2 of ∂c_T/∂c_T = 1, i.e. ∂c_T/∂c_0 ≥ 1/2 along the direct path
        literal(flow >= 0.5, f"{ctx.id}: along the direct path ∂c_T/∂c_0 = ∏f_t = {flow!r} < 1/2 after T = {len(xs)} steps")


# ================================================================ seed 002 / 000: a closed forget gate does not erase

#: fl(σ(a)) == 0.0 exactly from here down (measured, see the module docstring): e^{a} underflows to 0.
_SIGMA_ZERO_UPTO = -745.1332191019412
#: A forget bias that closes the gate to exactly 0.0 whatever the weights add: a_f < −2000 + 700 = −1300 < −745.13.
_SHUT = -2000.0


def _terms_without_candidate_path(p, c_prev, o_prev, x, variant="forget"):
    """Bug: ∂c_t/∂c_(t−1) assembled without the path through the candidate g_t (the D term of seed 003)."""
    t = dict(lstm.cell_jacobian_terms(p, c_prev, o_prev, x, variant))
    t["full"] = t["A"] + t["B"] + t["C"]
    return t


def _gates_coupled_forget(p, h, c_prev, x, variant="forget"):
    """Bug: the forget gate read as an erase gate, c_t = (1 − f)⊙c_(t−1) + i⊙g."""
    g = dict(lstm.gates(p, h, c_prev, x, variant))
    g["c"] = (1.0 - g["f"]) * c_prev + g["i"] * g["g"]
    g["h"] = g["o"] * act.tanh(g["c"])
    return g


@st.composite
def _shut_forget_steps(draw):
    """(params, c_prev, o_prev, x) of a forget-variant step whose forget gate is exactly 0.0 (bias −2000), with seed
    003's h_(t−1) = o_(t−1)⊙tanh(c_(t−1)), o_(t−1) ∈ [0, 1] held fixed."""
    _, p, _, c0, x = draw(cases.lstm_steps(variants=("forget",), max_H=2, pin=("i", "o")))
    return cases.with_bias(p, "forget", c0.size, f=_SHUT), c0, draw(vectors(c0.size, 0.0, 1.0), label="o_prev"), x


@claim_check("LSTM-FORGET-ZERO-NOT-ERASE",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian, "terms": lstm.cell_jacobian_terms},
             plants={"∂c_t/∂c_(t−1) without the candidate path (seed 003's D_t dropped)": {"terms": _terms_without_candidate_path},
                     "forget gate read as an erase gate: c_t = (1 − f)⊙c_(t−1) + i⊙g": {"gates": _gates_coupled_forget}})
def closed_forget_gate_does_not_erase_the_gradient(ctx, s):
    """f_t = 0 ⇒ ∂c_t/∂c_(t−1)|_h = 0 and c_t = i⊙g, yet ∂c_t/∂c_(t−1) = A_t + C_t + D_t through h_(t−1) ≠ 0.  [LSTM-FORGET-ZERO-NOT-ERASE]"""

    @ctx.holds(max_examples=15, reason="finite differences through a step with saturated gates (exact zeros in the Jacobian)")
    @given(step=_shut_forget_steps())
    @example(step=(cases.lstm_params_by_hand(W_h=[1.0, 1.0, 1.0, 1.0], b=[0.0, _SHUT, 0.0, 0.0]), np.zeros(1), np.ones(1), np.zeros(1)))
    def shut_gate_cuts_only_the_direct_path(step):
        p, c0, o0, x = step
        H = c0.size
        h = o0 * act.tanh(c0)
        g0 = s.gates(p, h, c0, x, variant="forget")
        rep = ctx.repro(H=H, D=x.size)
        assert np.all(np.asarray(g0["f"]) == 0.0), f"{ctx.id}: a_f = {g0['a_f']!r} < −1300 did not round the forget gate to 0"
        # the direct path is cut exactly, and the old cell's value is gone from the forward formula: c_t = i⊙g (0·c = 0)
        assert np.all(s.direct(p, h, c0, x, variant="forget") == 0.0), f"{ctx.id}: the direct path is not exactly 0 at f = 0"
        assert np.array_equal(g0["c"], g0["i"] * g0["g"]), f"{ctx.id}: c_t = {g0['c']!r} ≠ i⊙g = {g0['i'] * g0['g']!r} at f = 0"
        # but c_(t−1) still reaches c_t through h_(t−1) = o_(t−1)⊙tanh(c_(t−1)) and the gates i, g (and f, saturated)
        t = s.terms(p, c0, o0, x)
        oracles.check_jacobian(lambda u: s.gates(p, o0 * act.tanh(u), u, x, variant="forget")["c"], c0, closed_form=t["full"],
                               label=f"{ctx.id}: ∂c_t/∂c_(t−1) through h_(t−1) at f = 0", reproduce=rep)
        assert np.all(t["B"] == 0.0), f"{ctx.id}: B_t = diag(f_t) = {t['B']!r} is not 0"
        target(float(np.max(np.abs(t["full"]))), label="largest |∂c_t/∂c_(t−1)| at f = 0")
        # a float gate is exactly 0 only below the underflow threshold (σ(a) > 0 above it)
        assert act.sigmoid(np.nextafter(_SIGMA_ZERO_UPTO, 0.0)) > 0.0 and act.sigmoid(_SIGMA_ZERO_UPTO) == 0.0, \
            f"{ctx.id}: σ's underflow threshold moved from {_SIGMA_ZERO_UPTO!r}"

    @ctx.refutes
    @given(step=_shut_forget_steps())
    @example(step=(cases.lstm_params_by_hand(W_h=[1.0, 1.0, 1.0, 1.0], b=[0.0, _SHUT, 0.0, 0.0]), np.zeros(1), np.ones(1), np.zeros(1)))
    def literal_zero_gets_rid_of_the_old_cell(step):
        p, c0, o0, x = step
        J = oracles.jacobian_reverse(lambda u: s.gates(p, o0 * act.tanh(u), u, x, variant="forget")["c"], c0)
        literal(np.all(np.abs(J) <= tolerances.tiny()),
                f"{ctx.id}: the forget gate is exactly 0, yet ∂c_t/∂c_(t−1) = {J!r} through h_(t−1): the old cell is not gone")


# ================================================================ seed 003: the forget gate as a lever on the direct path

def _lever(steps):
    """∂(∏_t f_t)/∂b_f = diag(∏_t f_t ⊙ Σ_t (1 − f_t)): d log σ(a)/da = 1 − σ(a), and ∂a_(f,t)/∂b_f = I (h frozen)."""
    f = np.array([np.asarray(g["f"]) for g in steps])
    return np.diag(np.prod(f, axis=0) * np.sum(1.0 - f, axis=0))


@claim_check("LSTM-FORGET-BIAS-LEVER",
             subject={"gates": lstm.gates, "lever": _lever},
             plants={"d f/d b_f taken as σ'(a_f) in the log-derivative (∏f ⊙ Σσ'(a_f))":
                         {"lever": lambda steps: np.diag(np.prod([g["f"] for g in steps], axis=0)
                                                         * np.sum([act.sigmoid_prime(g["a_f"]) for g in steps], axis=0))},
                     "only the last step's gate differentiated (∏f ⊙ (1 − f_T))":
                         {"lever": lambda steps: np.diag(np.prod([g["f"] for g in steps], axis=0) * (1.0 - steps[-1]["f"]))},
                     "a two-step buffer: the lever over the first two steps only (T ≥ 3 only)": {"lever": lambda steps: _lever(steps[:2])}})
def forget_bias_gain_at_most_one_over_e(ctx, s):
    """∂(∏_t f_t)/∂b_f = diag(∏f ⊙ Σ_t(1 − f_t)) ∈ [0, 1/e]: the forget bias raises the direct path, with a gain ≤ 1/e.  [LSTM-FORGET-BIAS-LEVER]"""

    @ctx.holds(max_examples=15, reason="finite differences on a diagonal Jacobian through up to 4 steps: scipy iterates to its cap on every exact 0")
    @given(run=_forget_runs())
    @example(run=_TWO_UNITS_RUN)
    @example(run=_THREE_UNITS_RUN)
    def lever_three_oracles(run):
        p, h0, c0, xs = run
        H = c0.size
        hs, cs, steps = _trajectory(s.gates, p, h0, c0, xs)
        sl = cases.gate_rows("forget", "f", H)

        def flow_of_bias(u):        # ∏_t f_t along the direct path as a function of the forget bias (every h frozen)
            q = dict(p, b=anp.concatenate([p["b"][:sl.start], u, p["b"][sl.stop:]]))
            out = anp.ones(H)
            for h, c_, x in zip(hs, cs, xs):
                out = out * s.gates(q, h, c_, x, variant="forget")["f"]
            return out
        closed = s.lever(steps)
        oracles.check_jacobian(flow_of_bias, p["b"][sl], closed_form=closed, structure=assertions.diagonal_mask(H),
                               label=f"{ctx.id}: ∂(∏f_t)/∂b_f (T = {len(xs)})",
                               reproduce=ctx.repro(H=H, T=len(xs)))
        d = np.diag(closed)
        # P·s with s = Σ(1 − f) ≥ 0 and P ≤ e^{−s}: 0 ≤ P·s ≤ s·e^{−s} ≤ 1/e
        assert np.all(d >= 0.0), f"{ctx.id}: raising b_f lowered the direct path: ∂∏f/∂b_f = {d!r}"
        le(d, np.full(H, np.exp(-1.0)), f"{ctx.id}: ∂∏f/∂b_f vs 1/e", scale=1.0)
        target(float(np.max(d)), label="largest lever ∂∏f/∂b_f")
#: A pre-activation at or above which fl(σ(a)) == 1.0 exactly: the derived threshold 53·ln 2 ≈ 36.7368 (1 + e^{−a}
#: rounds to 1 once e^{−a} ≤ 2^{−53}) rounded up to an integer, with a margin of more than 1 for the rounding of a.
_SIGMA_IS_ONE = 38.0


def _gates_forget_1_plus_tanh(params, h_prev, c_prev, x, variant="forget"):
    """Bug: a forget gate 1 + tanh(a_f), range (0, 2) (a 'gain' instead of a gate)."""
    s = dict(lstm.gates(params, h_prev, c_prev, x, variant=variant))
    if s["a_f"] is not None:
        s["f"] = 1.0 + act.tanh(s["a_f"])
        s["c"] = s["f"] * np.asarray(c_prev) + s["i"] * s["g"]
        s["h"] = s["o"] * act.tanh(s["c"])
    return s


# ================================================================ seed 002: "values sometimes > 1"

@claim_check("LSTM-FORGET-GATE-NOT-ABOVE-ONE", subject={"gates": lstm.gates},
             plants={"forget gate 1 + tanh(a_f) ∈ (0, 2)": {"gates": _gates_forget_1_plus_tanh}})
def forget_gate_never_above_one(ctx, s):
    """f_t = σ(a_f) ∈ (0, 1) (float: [0, 1], < 1 for a_f ≤ 36) at every step: 'sometimes > 1' never happens.  [LSTM-FORGET-GATE-NOT-ABOVE-ONE]"""

    @st.composite
    def trajectories(draw):
        variant = draw(st.sampled_from(("forget", "peephole")), label="variant")
        H, D, T = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D"), draw(st.integers(1, 50), label="T")
        scale = draw(st.sampled_from((0.5, 8.0, 60.0, 1e3)), label="weight scale")
        params = draw(lstm_params(H, D, scale, variant), label="params")
        xs = draw(vectors(T * D, -3.0, 3.0), label="xs").reshape(T, D)
        return variant, params, xs

    def forget_gates(traj):
        variant, params, xs = traj
        H = params["W_h"].shape[1]
        steps = cases.rollout(s.gates, params, np.zeros(H), np.zeros(H), xs, variant)
        return np.array([st_["f"] for st_ in steps]), np.array([st_["a_f"] for st_ in steps])

    # The seed's statement is existential ("values sometimes > 1"): no single draw refutes it. Its negation,
    # "f_t ≤ 1 for every input", holding on every example (with target() driving max f_t up) does.
    @ctx.negation
    @given(traj=trajectories())
    # saturated from the first step: b_f = 40 > 36.74, so f = 1.0 exactly, the supremum, and still not above it
    @example(traj=("forget", {"W_x": np.zeros((4, 1)), "W_h": np.zeros((4, 1)), "b": np.array([0.0, 40.0, 0.0, 0.0])},
                   np.zeros((3, 1))))
    def never_above_one(traj):
        f, _ = forget_gates(traj)
        target(float(np.max(f)), label="max f_t")
        assertions.assert_le(f, 1.0, tolerances.exact("fl(σ(a)) ≤ 1"), f"{ctx.id}: forget-gate values f_t vs 1", reproduce=ctx.repro(traj=traj))

    @ctx.holds
    @given(traj=trajectories())
    def inside_the_unit_interval(traj):
        """What is true beyond the negation: f_t ≥ 0, and f_t < 1 strictly while a_f ≤ 36 (float64 reaches 1 only from 36.74)."""
        f, a = forget_gates(traj)
        assert np.all(f >= 0.0), f"{ctx.id}: a forget-gate value f_t = {float(np.min(f))!r} < 0"
        inner = a <= cases.SIGMA_STRICT
        assert np.all(f[inner] < 1.0), f"{ctx.id}: f_t = 1 although a_f ≤ {cases.SIGMA_STRICT}: a_f = {a[inner & (f >= 1.0)]!r}"


# ================================================================ seed 000: f = 1 and the added term

@claim_check("LSTM-FORGET-ONE-PASS-THROUGH",
             subject={"step": lstm.step, "gates": lstm.gates, "direct": lstm.direct_path_jacobian, "terms": lstm.cell_jacobian_terms},
             plants={"the added term's derivative taken as zero (C_t + D_t dropped)":
                     {"terms": lambda p, c_prev, o_prev, x, variant="forget": {**lstm.cell_jacobian_terms(p, c_prev, o_prev, x, variant),
                                                                               "C": np.zeros((len(c_prev), len(c_prev))), "D": np.zeros((len(c_prev), len(c_prev)))}}})
def open_forget_gate_is_not_a_full_pass_through(ctx, s):
    """f_t = 1 ⇒ ∂c_t/∂c_{t−1}|_h = I exactly, but the full ∂c_t/∂c_{t−1} = I + A + C + D, C + D = ∂(i⊙g)/∂c_{t−1} ≠ 0.  [LSTM-FORGET-ONE-PASS-THROUGH]"""

    @st.composite
    def open_forget_gate(draw):
        """A case with f = 1.0 exactly: W_f entries in [−1, 1] keep |W_hf h + W_xf x| ≤ H + 3D ≤ 9, b_f = 50 ≥ 38 + 9."""
        case = draw(cases.lstm_cases(variants=("forget",)))
        H, D = case.c_prev.size, case.x.size
        W_f = draw(matrices(H, H + D, -1.0, 1.0), label="forget-gate weights [W_hf, W_xf]")
        p = cases.with_blocks(case.params, "forget", H, W_h_f=W_f[:, :H], W_x_f=W_f[:, H:], b_f=50.0)
        return case._replace(params=p)

    @ctx.holds(max_examples=18, reason="finite differences on a (3H, H) stack of Jacobians per example")
    @given(case=open_forget_gate())
    def identity_on_the_direct_path_only(case):
        p, H, x, c0 = case.params, case.c_prev.size, case.x, case.c_prev
        h = cases.h_of(case)
        s0 = s.gates(p, h(c0), c0, x, variant="forget")
        assume(np.all(s0["a_f"] >= _SIGMA_IS_ONE))    # stated precondition: the forget gate rounds to 1
        assert np.all(s0["f"] == 1.0), f"{ctx.id}: f = {s0['f']!r} is not exactly 1 with a_f = {s0['a_f']!r} ≥ {_SIGMA_IS_ONE}"
        direct = s.direct(p, h(c0), c0, x, variant="forget")
        # exactness is the claim: diag(fl(σ(a_f))) = diag(1.0) = I bit for bit
        assert np.array_equal(direct, np.eye(H)), f"{ctx.id}: direct path {direct!r} is not exactly I although f = 1"
        T = s.terms(p, c0, case.o_prev, x, variant="forget")

        def stack(u):
            """[c_t with h_(t−1) fixed; the added term i⊙g via h_(t−1) = o⊙tanh(u); the full c_t]."""
            su = s.gates(p, h(u), u, x, variant="forget")      # forget-variant gates do not read c_(t−1)
            return anp.concatenate([s0["f"] * u + s0["i"] * s0["g"], su["i"] * su["g"], su["c"]])
        closed = np.vstack([direct, T["C"] + T["D"], np.eye(H) + T["A"] + T["C"] + T["D"]])
        J = oracles.check_jacobian(stack, c0, closed_form=closed,
                                   label=f"{ctx.id}: [direct path; ∂(i⊙g)/∂c_(t−1) via h_(t−1); full]", reproduce=ctx.repro(case=case))
        target(float(np.max(np.abs(J[H:2 * H]))), label="|∂(i⊙g)/∂c_(t−1)|")

    @ctx.refutes
    @given(case=open_forget_gate())
    @example(case=cases.lstm_case(cases.lstm_params_by_hand(W_h=[0.5, 0.0, 0.5, 0.5], b=[0.0, 50.0, 0.0, 0.0])))
    def literal_added_term_disappears(case):
        p, H, x, c0 = case.params, case.c_prev.size, case.x, case.c_prev
        h = cases.h_of(case)
        assume(np.all(s.gates(p, h(c0), c0, x, variant="forget")["f"] == 1.0))   # the statement's premise: f = 1
        J = oracles.jacobian_reverse(lambda u: s.step(p, h(u), u, x, variant="forget")[1], c0)
        assertions.assert_close(J, np.eye(H), tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{ctx.id}: with f = 1 the full ∂c_t/∂c_(t−1) is not I (the added term i⊙g does not disappear)",
                             ctx.repro(case=case), literal=True)


# ================================================================ Jozefowicz et al. 2015: forget bias 1

@functools.cache
def _forget_biases(H):
    """Forget-gate biases per unit: the usual choices 0, 1, 2 (Jozefowicz et al.), 5 (Gers et al.), or any in [−3, 6]."""
    return st.lists(st.one_of(st.sampled_from((0.0, 1.0, 2.0, 5.0)), floats(-3.0, 6.0)), min_size=H, max_size=H)


@st.composite
def _bias_only_forget_gates(draw, max_T=100):
    """W_h = 0 and W_xf = 0, so f_t = σ(b_f) at every step; b_f per unit from {0, 1, 2, 5} or [−3, 6]."""
    case = draw(cases.lstm_cases(variants=("forget",)))
    H, D = case.c_prev.size, case.x.size
    b_f = np.array(draw(_forget_biases(H), label="b_f"), dtype=np.float64)
    p = cases.with_blocks(dict(case.params, W_h=np.zeros_like(case.params["W_h"])), "forget", H, W_x_f=0.0, b_f=b_f)
    T = draw(st.integers(1, max_T), label="T")
    xs = draw(vectors(T * D, -3.0, 3.0), label="xs").reshape(T, D)
    return case._replace(params=p), xs


def _init_bias_in_block(block):
    """Bug: lstm.init_params with the forget bias added to gate block ``block`` instead of f's."""
    def init(H, D, rng, scale=1.0, variant="forget", forget_bias=0.0):
        p = lstm.init_params(H, D, rng, scale=scale, variant=variant)
        p["b"][block * H:(block + 1) * H] += forget_bias
        return p
    return init


def _forward_forget_bias_shifted(shift):
    """Bug: a forward pass whose forget-gate bias is off by ``shift`` (e.g. TF1's call-time forget_bias added
    on top of a bias that already holds it, or a bias stored but never applied)."""
    def forward(p, h0, c0, xs, variant="forget"):
        H = p["W_h"].shape[1]
        return lstm.forward(cases.with_blocks(p, variant, H, b_f=p["b"][H:2 * H] + shift), h0, c0, xs, variant)
    return forward


@claim_check("LSTM-FORGET-BIAS-ONE", subject={"forward": lstm.forward, "gates": lstm.gates, "init": lstm.init_params},
             plants={"init's forget_bias stored in the i block": {"init": _init_bias_in_block(0)},
                     "forget bias added twice (TF1's call-time forget_bias on a stored bias)": {"forward": _forward_forget_bias_shifted(1.0)},
                     "init's forget_bias = 1 lost (b_f − 1)": {"forward": _forward_forget_bias_shifted(-1.0)}})
def forget_bias_one_still_decays_geometrically(ctx, s):
    """With W = 0: ∂c_T/∂c_0 = diag(σ(b_f))^T; b_f = 1 gives 0.731^T (half-life 2.21 steps): still geometric decay.  [LSTM-FORGET-BIAS-ONE]"""

    @ctx.holds
    @given(H=dims(1, 4), D=dims(1, 2), seed=st.integers(0, 2**32 - 1), bias=st.sampled_from((1.0, 2.0)), scale=st.sampled_from((0.1, 1.0)))
    @example(H=2, D=1, seed=0, bias=1.0, scale=1.0)
    def init_puts_the_bias_on_the_forget_gate(H, D, seed, bias, scale):
        # the refuted reading below draws its LSTMs with init_params(forget_bias=…): the bias must land on f
        _initialised(ctx.id, s.init, H, D, seed, scale, bias)

    @ctx.holds(max_examples=cases.FD_ZEROS_CAP, reason="finite differences on a diagonal Jacobian through up to 3 steps, autograd through up to 20")
    @given(run=_bias_only_forget_gates(max_T=20))
    # both branches run in every profile (the record lists FD): b_f = (1, 2), T = 3 with FD; b_f = (0, 5), T = 20 without
    @example(run=(cases.lstm_case(cases.lstm_params_by_hand(H=2, b=[0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0]), c_prev=[1.0, -1.0]), np.zeros((3, 1))))
    @example(run=(cases.lstm_case(cases.lstm_params_by_hand(H=2, b=[0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0]), c_prev=[1.0, -1.0]), np.ones((20, 1))))
    def product_is_sigma_b_to_the_T(run):
        case, xs = run
        p, H, T = case.params, case.c_prev.size, len(xs)
        b_f = p["b"][H:2 * H]
        closed = np.diag(act.sigmoid(b_f) ** T)
        c_T = lambda u: s.forward(p, case.h_prev, u, xs)[1][-1]
        if T <= 3:   # FD through at most 3 steps (its cost grows with T), autograd and the closed form for every T
            J = oracles.check_jacobian(c_T, case.c_prev, closed_form=closed, structure=assertions.diagonal_mask(H),
                                       label=f"{ctx.id}: ∂c_T/∂c_0 vs σ(b_f)^T (T = {T})", reproduce=ctx.repro(case=case))
        else:
            J = oracles.jacobian_reverse(c_T, case.c_prev)
            recording.record_oracle("closed-form")
            # T rounded multiplications: relative error ≤ T·eps ≤ 20 eps, inside the analytic 256 eps
            assertions.assert_close(closed, J, tolerances.analytic(scale=float(np.max(np.abs(closed)))),
                                 f"{ctx.id}: σ(b_f)^T vs autograd (T = {T})", ctx.repro(case=case))
        f = np.array([st_["f"] for st_ in cases.rollout(s.gates, p, case.h_prev, case.c_prev, xs)])
        assertions.assert_close(np.prod(f, axis=0), np.diag(J), tolerances.analytic(scale=float(np.max(np.abs(J)))),
                             f"{ctx.id}: ∏_t f_t along the trajectory vs ∂c_T/∂c_0")
        target(float(np.max(np.diag(J))), label="largest surviving ∂c_T/∂c_0")

    @st.composite
    def initialised_lstms(draw):
        """'Small random weights' U(−0.1/√H, 0.1/√H) plus forget_bias 1 or 2 (Jozefowicz et al.: 'such as 1 or 2').

        Small weights are the passage's setting ('this initialization effectively sets the forget gate to 0.5');
        with PyTorch's full-size init U(−1/√H, 1/√H) the gates spread further and the literal fails sooner.
        """
        H, D = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D")
        bias = draw(st.sampled_from((1.0, 2.0)), label="forget bias")
        p = _initialised(ctx.id, s.init, H, D, draw(st.integers(0, 2**32 - 1), label="init seed"), 0.1, bias)
        T = draw(st.integers(2, 100), label="T")
        xs = draw(vectors(T * D, -1.0, 1.0), label="xs").reshape(T, D)
        return bias, p, xs

    @ctx.refutes
    @given(lstm_=initialised_lstms())
    @example(lstm_=(1.0, {"W_x": np.array([[0.02739234], [-0.04604266], [-0.0918053], [-0.09669447]]),
                          "W_h": np.array([[0.06265405], [0.08255112], [0.02132716], [0.04589931]]),
                          "b": np.array([0.008725, 1.08701448, 0.06317071, -0.0994523])}, np.zeros((16, 1))))
    def literal_close_to_one_enables_flow(lstm_):
        bias, p, xs = lstm_
        H = p["W_h"].shape[1]
        f = np.array([st_["f"] for st_ in cases.rollout(s.gates, p, np.zeros(H), np.zeros(H), xs)])
        flow = float(np.max(np.prod(f, axis=0)))
        # "close to 1, enabling gradient flow" over the long lags the passage is about: ≥ 1% left after T ≤ 100 steps
        literal(flow >= 0.01, f"{ctx.id}: forget bias {bias}: the direct-path gradient ∏f_t after T = {len(xs)} steps is {flow!r} < 1%")
