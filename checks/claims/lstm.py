"""Checks of the LSTM claims (spec/claims/lstm.toml).

Notation (docs/DESIGN.md): gate blocks i, f, g, o of ``W_x (4H,D)``, ``W_h (4H,H)``, ``b (4H,)``;
``c_t = f⊙c_{t-1} + i⊙g``, ``h_t = o⊙tanh(c_t)``. Seed 003 writes c̃_t for g and W_c for its weights.
"The direct path" is ∂c_t/∂c_{t-1} with h_{t-1} held fixed; "the full" derivative also follows
c_{t-1} → h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) → gates (seed 003's reading, o_{t-1} fixed).

Float facts used below (the model's two-branch σ, models/activations.py): fl(σ(x)) = 1 exactly once
1 + e^{−x} rounds to 1, i.e. for x ≥ 53·ln 2 ≈ 36.7368; in the left tail σ(x) = e^{x}/(1 + e^{x}) keeps
full relative accuracy (σ(−41) = 1.6e−18) and reaches 0 only below x ≈ −745.13, where e^{x} underflows;
fl(tanh(x)) = ±1 for |x| ≥ 18.9903 (measured: the platform tanh is faithfully rounded). So a gate is
strictly inside (0, 1) for |a| ≤ 36 and tanh strictly inside (−1, 1) for |a| ≤ 18; beyond those the
float value may sit on the boundary.
"""

import functools
from typing import NamedTuple

import autograd.numpy as anp
import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import oracles, tolerances
from vanishing.checks.registry import claim_check, literal
from vanishing.checks.strategies import dims, floats, lstm_params, matrices, orthogonal_matrices, square_blocks, vectors
from vanishing.models import activations as act
from vanishing.models import layouts, lstm, rnn

# ---------------------------------------------------------------- float thresholds (see module docstring)

#: |a| at or below which σ(a) is strictly inside (0, 1) in float64 (rounding to 1 starts at 53·ln 2 ≈ 36.74,
#: to 0 only at −745.13): the integer below the threshold.
_SIGMA_STRICT = 36.0
#: |a| at or below which tanh(a) is strictly inside (−1, 1) in float64 (rounding starts at 18.99).
_TANH_STRICT = 18.0
#: A pre-activation at or above which fl(σ(a)) == 1.0 exactly: the derived threshold 53·ln 2 ≈ 36.7368 (1 + e^{−a}
#: rounds to 1 once e^{−a} ≤ 2^{−53}) rounded up to an integer, with a margin of more than 1 for the rounding of a.
_SIGMA_IS_ONE = 38.0


# ---------------------------------------------------------------- cases and strategies (private)

class _Case(NamedTuple):
    """One LSTM step: parameters, the previous state, the input, and seed 003's o_{t-1}."""
    variant: str
    params: dict
    h_prev: np.ndarray
    c_prev: np.ndarray
    x: np.ndarray
    o_prev: np.ndarray   # seed 003 writes h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) with o_{t-1} held fixed


def _n_gates(variant):
    return 3 if variant == "cec" else 4


def _block(variant, gate):
    """Index of a gate's H-row block in the stacked parameters (order i, f, g, o; cec: i, g, o)."""
    return ("igo" if variant == "cec" else "ifgo").index(gate)


def _case(H=1, D=1, variant="forget", W_x=None, W_h=None, b=None, h_prev=None, c_prev=None, x=None,
          o_prev=None, p_i=None, p_f=None, p_o=None):
    """A hand-written case (for @example): unspecified entries are zero, o_prev defaults to ones."""
    n = _n_gates(variant)
    arr = lambda v, shape: np.zeros(shape) if v is None else np.array(v, dtype=np.float64).reshape(shape)
    params = {"W_x": arr(W_x, (n * H, D)), "W_h": arr(W_h, (n * H, H)), "b": arr(b, (n * H,))}
    if variant == "peephole":
        params.update(p_i=arr(p_i, (H,)), p_f=arr(p_f, (H,)), p_o=arr(p_o, (H,)))
    return _Case(variant, params, arr(h_prev, (H,)), arr(c_prev, (H,)), arr(x, (D,)),
                 np.ones(H) if o_prev is None else arr(o_prev, (H,)))


#: Cap for properties that run finite differences on a Jacobian with structural zeros (diagonal ones):
#: scipy.differentiate cannot meet its relative stopping rule at an exact 0 and iterates to its cap
#: there, about 3x the work of a dense column (~86 instead of ~27 evaluations).
_FD_ZEROS_CAP = 15
_FD_ZEROS_REASON = "finite differences on a Jacobian with structural zeros: scipy iterates to its cap on every exact 0"
#: For a literal statement whose error is structural (a wrong factor in a formula): almost every draw is a
#: counterexample, and the shrunk one runs first; the cap only bounds the search when a plant removes the error.
_STRUCTURAL_REASON = "the error is structural, so almost every draw refutes it; the shrunk counterexample runs first"

#: Weight ranges: 0.5 is PyTorch's init range 1/√H at H = 4; 2 and 8 push the gates toward
#: saturation; 60 saturates them (σ and tanh round to their limits, see the module docstring).
_SCALES = (0.5, 2.0, 8.0, 60.0)


@st.composite
def _lstm_cases(draw, variants=lstm.VARIANTS, max_H=3, max_D=2, scales=_SCALES):
    """A step of one of ``variants``: H ≤ max_H (FD cost grows with H), weights at one of ``scales``.

    Half of the draws replace W_h's gate blocks by structured matrices (orthogonal, nilpotent,
    ill-conditioned, non-normal). h_prev is in [−1, 1] (every reachable h is, since |h| = o|tanh c| ≤ 1);
    c_prev is moderate or large (|c| up to 40 saturates tanh'(c)).
    """
    variant = draw(st.sampled_from(variants), label="variant")
    H = draw(dims(1, max_H), label="H")
    D = draw(dims(1, max_D), label="D")
    scale = draw(st.sampled_from(scales), label="weight scale")
    params = dict(draw(lstm_params(H, D, scale, variant), label="params"))
    if draw(st.booleans(), label="structured W_h blocks"):
        blocks = [draw(square_blocks(H, scale), label=f"W_h block {k}") for k in range(_n_gates(variant))]
        params["W_h"] = np.vstack(blocks)
    h_prev = draw(vectors(H, -1.0, 1.0), label="h_prev")
    c_range = draw(st.sampled_from((3.0, 40.0)), label="|c_prev| range")
    c_prev = draw(vectors(H, -c_range, c_range), label="c_prev")
    x = draw(vectors(D, -3.0, 3.0), label="x")
    o_prev = draw(vectors(H, 0.0, 1.0), label="o_prev")
    return _Case(variant, params, h_prev, c_prev, x, o_prev)


def _with_blocks(params, variant, H, **blocks):
    """A copy of ``params`` with whole gate blocks replaced: blocks={"W_h_o": 0.0, "b_f": 50.0, ...}."""
    p = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    for key, value in blocks.items():
        name, gate = key.rsplit("_", 1)
        k = _block(variant, gate)
        p[name][k * H:(k + 1) * H] = value
    return p


def _rollout(gates_fn, params, h0, c0, xs, variant="forget"):
    """Every step's gates dict along a trajectory, rolled with ``gates_fn`` (so a plant changes the whole trajectory)."""
    h, c, out = np.asarray(h0, dtype=np.float64), np.asarray(c0, dtype=np.float64), []
    for x in xs:
        s = gates_fn(params, h, c, x, variant=variant)
        out.append(s)
        h, c = s["h"], s["c"]
    return out


def _h_of(case):
    """Seed 003's h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) as a function of c_{t-1}, o_{t-1} fixed."""
    return lambda u: case.o_prev * act.tanh(u)


def _terms_stack(s, case):
    """u ↦ [A-path, B-path, C-path, D-path, full]: ∂/∂c_{t-1} of each is seed 003's A, B, C, D and the sum.

    Each path lets c_{t-1} = u act through one factor of c_t = f⊙c_{t-1} + i⊙g and freezes the others
    at their values at u = c_prev. One model call per evaluation (FD makes ~27 per column): the gates at
    (h(u), u) give every factor's u-dependent value and, as ``"c"``, the full c_t. (The peephole gates i, f
    read c_{t-1} itself as well as h_{t-1}; the others do not read it.)
    """
    p, v, c0, x = case.params, case.variant, case.c_prev, case.x
    h = _h_of(case)
    s0 = s.gates(p, h(c0), c0, x, variant=v)

    def stack(u):
        su = s.gates(p, h(u), u, x, variant=v)
        A = su["f"] * c0             # through f_t only
        B = s0["f"] * u              # the direct path
        C = su["i"] * s0["g"]        # through i_t only
        D = s0["i"] * su["g"]        # through the candidate g_t = c̃_t only
        return anp.concatenate([A, B, C, D, su["c"]])   # su["c"] = f⊙u + i⊙g: the full c_t
    return stack


# ---------------------------------------------------------------- plants (realistic bugs)

def _gates_g_1997(params, h_prev, c_prev, x, variant="forget"):
    """Bug: the 1997 paper's candidate squashing g(x) = 4σ(x) − 2 = 2tanh(x/2), range (−2, 2)."""
    s = dict(lstm.gates(params, h_prev, c_prev, x, variant=variant))
    s["g"] = 2.0 * act.tanh(0.5 * s["a_g"])
    s["c"] = s["f"] * np.asarray(c_prev) + s["i"] * s["g"]
    s["h"] = s["o"] * act.tanh(s["c"])
    return s


def _gates_tanh_output(params, h_prev, c_prev, x, variant="forget"):
    """Bug: the output gate squashed with tanh instead of σ (range (−1, 1))."""
    s = dict(lstm.gates(params, h_prev, c_prev, x, variant=variant))
    s["o"] = act.tanh(s["a_o"])
    s["h"] = s["o"] * act.tanh(s["c"])
    return s


def _gates_forget_1_plus_tanh(params, h_prev, c_prev, x, variant="forget"):
    """Bug: a forget gate 1 + tanh(a_f), range (0, 2) (a 'gain' instead of a gate)."""
    s = dict(lstm.gates(params, h_prev, c_prev, x, variant=variant))
    if s["a_f"] is not None:
        s["f"] = 1.0 + act.tanh(s["a_f"])
        s["c"] = s["f"] * np.asarray(c_prev) + s["i"] * s["g"]
        s["h"] = s["o"] * act.tanh(s["c"])
    return s


# ================================================================ gate ranges

@claim_check("LSTM-GATE-RANGES", subject={"gates": lstm.gates},
             plants={"candidate g of the 1997 paper, 2·tanh(a/2) ∈ (−2, 2)": {"gates": _gates_g_1997},
                     "output gate squashed with tanh instead of σ": {"gates": _gates_tanh_output}})
def _(c, s):
    """i, f, o ∈ (0,1), g ∈ (−1,1), |h| = o|tanh c| < 1; in float64 the closed intervals.  [LSTM-GATE-RANGES]"""
    cid = c.id

    @c.holds
    @given(case=_lstm_cases(max_H=4, max_D=3, scales=_SCALES + (1e3,)))
    @example(case=_case(b=[40.0, 40.0, 40.0, 40.0], c_prev=[30.0]))   # every gate rounds to 1, h to 1
    def ranges(case):
        g = s.gates(case.params, case.h_prev, case.c_prev, case.x, variant=case.variant)
        target(float(np.max(np.abs(g["h"]))), label="max |h|")
        for k in ("i", "f", "o"):
            v, a = np.asarray(g[k]), g["a_" + k]
            assert np.all((0.0 <= v) & (v <= 1.0)), f"{cid}: gate {k} = {v!r} outside [0, 1] ({c.repro(case=case)})"
            if a is not None:
                inner = np.abs(a) <= _SIGMA_STRICT
                assert np.all((0.0 < v[inner]) & (v[inner] < 1.0)), \
                    f"{cid}: gate {k} = {v[inner]!r} on the boundary although |a_{k}| = {np.abs(a[inner])!r} ≤ {_SIGMA_STRICT}"
        gv = np.asarray(g["g"])
        assert np.all(np.abs(gv) <= 1.0), f"{cid}: candidate g = {gv!r} outside [−1, 1] ({c.repro(case=case)})"
        inner = np.abs(g["a_g"]) <= _TANH_STRICT
        assert np.all(np.abs(gv[inner]) < 1.0), f"{cid}: candidate g = {gv[inner]!r} = ±1 although |a_g| ≤ {_TANH_STRICT}"
        h, o, cell = np.asarray(g["h"]), np.asarray(g["o"]), np.asarray(g["c"])
        # |h| = o·|tanh c| ≤ o exactly, also in floats: o·t ≤ o for |t| ≤ 1 and rounding is monotone
        # (with o ≤ 1, asserted above, this is also |h| ≤ 1)
        assert np.all(np.abs(h) <= o), f"{cid}: |h| = {np.abs(h)!r} exceeds o = {o!r}"
        inner = (np.abs(g["a_o"]) <= _SIGMA_STRICT) | (np.abs(cell) <= _TANH_STRICT)
        assert np.all(np.abs(h[inner]) < 1.0), f"{cid}: |h| = 1 although o < 1 or |c| ≤ {_TANH_STRICT}: h = {h[inner]!r}"


# ================================================================ seed 002: counters

@claim_check("LSTM-CELL-COUNTER-BOUND", subject={"gates": lstm.gates},
             plants={"candidate g of the 1997 paper, 2·tanh(a/2) ∈ (−2, 2)": {"gates": _gates_g_1997}})
def _(c, s):
    """|c_t − f_t⊙c_{t−1}| = |i_t⊙g_t| < 1, but |c_t − c_{t−1}| is not bounded by 1.  [LSTM-CELL-COUNTER-BOUND]"""
    cid = c.id

    @st.composite
    def trajectories(draw):
        H, D, T = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D"), draw(st.integers(2, 12), label="T")
        scale = draw(st.sampled_from((1.0, 4.0, 16.0, 100.0)), label="weight scale")
        xs = draw(vectors(T * D, -3.0, 3.0), label="xs").reshape(T, D)
        return draw(lstm_params(H, D, scale, "forget"), label="params"), xs

    @c.holds
    @given(traj=trajectories())
    def bounded_relative_to_forgotten_state(traj):
        params, xs = traj
        H = params["W_h"].shape[1]
        steps = _rollout(s.gates, params, np.zeros(H), np.zeros(H), xs)
        c_prev = np.zeros(H)
        worst = 0.0
        for t, st_ in enumerate(steps, start=1):
            inc = st_["i"] * st_["g"]
            worst = max(worst, float(np.max(np.abs(inc))))
            assert np.all(np.abs(inc) <= 1.0), f"{cid}: step {t}: |i⊙g| = {np.abs(inc)!r} > 1"
            oracles.assert_close(st_["c"] - st_["f"] * c_prev, inc, tolerances.analytic(scale=max(1.0, float(np.max(np.abs(st_["c"]))))),
                                 f"{cid}: step {t}: c_t − f⊙c_(t−1) vs i⊙g")
            # from c_0 = 0 the counter moves at most 1 per step: |c_t| ≤ t (plus rounding)
            assert np.all(np.abs(st_["c"]) <= tolerances.analytic(scale=t).bound(t) + t), \
                f"{cid}: step {t}: |c_t| = {np.abs(st_['c'])!r} > t = {t} starting from c_0 = 0"
            c_prev = st_["c"]
        target(worst, label="max |i⊙g|")

    @c.refutes
    @given(traj=trajectories())
    # found and shrunk by Hypothesis: zero inputs, h-feedback alone; c goes 0 → 1 → 1.869 → 0.549 (a jump of −1.32)
    @example(traj=({"W_x": np.zeros((12, 1)), "W_h": np.full((12, 3), -8.0), "b": np.full(12, 21.0)}, np.zeros((3, 1))))
    def literal_changes_by_at_most_one(traj):
        params, xs = traj
        H = params["W_h"].shape[1]
        steps = _rollout(s.gates, params, np.zeros(H), np.zeros(H), xs)
        cs = np.vstack([np.zeros(H)] + [st_["c"] for st_ in steps])
        jump = float(np.max(np.abs(np.diff(cs, axis=0))))
        target(jump, label="max |c_t − c_(t−1)|")
        literal(jump <= 1.0, f"{cid}: the cell changed by {jump!r} > 1 in one step (c = {cs.ravel()!r})")


# ================================================================ the direct path

@claim_check("LSTM-CELL-DIRECT-PATH",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian},
             plants={"f_t factor dropped (identity, as for the 1997 CEC)": {"direct": lambda p, h, c, x, variant="forget": np.eye(len(c))},
                     "diag(1 − f_t) (forget read as 'erase')": {"direct": lambda p, h, c, x, variant="forget": np.eye(len(c)) - lstm.direct_path_jacobian(p, h, c, x, variant)}})
def _(c, s):
    """∂c_t/∂c_{t−1} |_{h_{t−1} fixed} = diag(f_t): diagonal and equal to the forget gate.  [LSTM-CELL-DIRECT-PATH]"""
    cid = c.id

    @c.holds(max_examples=_FD_ZEROS_CAP, reason=_FD_ZEROS_REASON)
    @given(case=_lstm_cases(variants=("forget",)))
    def direct_path_is_diag_f(case):
        p, H = case.params, case.c_prev.size
        closed = s.direct(p, case.h_prev, case.c_prev, case.x, variant="forget")
        f = s.gates(p, case.h_prev, case.c_prev, case.x, variant="forget")["f"]
        oracles.check_jacobian(lambda u: s.gates(p, case.h_prev, u, case.x, variant="forget")["c"], case.c_prev,
                               closed_form=closed, structure=oracles.diagonal_mask(H),
                               label=f"{cid}: ∂c_t/∂c_(t−1) at fixed h_(t−1)", reproduce=c.repro(case=case))
        oracles.assert_close(np.diag(closed), f, tolerances.analytic(), f"{cid}: diagonal of the direct path vs the forget gate f_t")


@claim_check("LSTM-CELL-NO-W-MATMUL",
             subject={"gates": lstm.gates, "terms": lstm.cell_jacobian_terms},
             plants={"full Jacobian taken to be diag(f_t) (the seed's claim)":
                     {"terms": lambda p, c, o, x, variant="forget": {"full": np.diag(lstm.gates(p, o * np.tanh(c), c, x, variant)["f"])}}})
def _(c, s):
    """∂c_t/∂c_{t−1} = diag(f_t) + Σ_k diag(u_k) W_hk diag(o_{t−1}⊙tanh'(c_{t−1})): W_h appears off the direct path.  [LSTM-CELL-NO-W-MATMUL]"""
    cid = c.id

    def full_fn(case, params):
        """c_{t-1} ↦ c_t with h_{t-1} = o_{t-1}⊙tanh(c_{t-1}) (the forget-variant gates do not read c_{t-1})."""
        h = _h_of(case)
        return lambda u: s.gates(params, h(u), u, case.x, variant="forget")["c"]

    @c.holds(max_examples=18, reason="finite differences on the full Jacobian, then both autograd modes at W_h = 0, per example")
    @given(case=_lstm_cases(variants=("forget",)))
    def w_enters_only_through_h(case):
        p, H = case.params, case.c_prev.size
        J = oracles.check_jacobian(full_fn(case, p), case.c_prev,
                                   closed_form=s.terms(p, case.c_prev, case.o_prev, case.x, variant="forget")["full"],
                                   label=f"{cid}: full ∂c_t/∂c_(t−1)", reproduce=c.repro(case=case))
        target(float(np.max(np.abs(J - np.diag(np.diag(J))))), label="largest off-diagonal entry")
        # Without recurrent weights the h-path is cut and only the element-wise factor f_t is left.
        p0 = dict(p, W_h=np.zeros_like(p["W_h"]))
        f0 = s.gates(p0, case.o_prev * act.tanh(case.c_prev), case.c_prev, case.x, variant="forget")["f"]
        for J0, who in ((oracles.jacobian_reverse(full_fn(case, p0), case.c_prev), "autograd"),
                        (oracles.jacobian_forward(full_fn(case, p0), case.c_prev), "autograd forward")):
            oracles.assert_structure(J0, oracles.diagonal_mask(H), tolerances.analytic(), f"{cid}: W_h = 0, {who}")
            oracles.assert_close(J0, np.diag(f0), tolerances.analytic(), f"{cid}: W_h = 0, {who} vs diag(f_t)", c.repro(case=case))

    @c.refutes
    @given(case=_lstm_cases(variants=("forget",)))
    # shrunk by Hypothesis: every W_h block 0.5, all else 0: full = f + i·tanh'(0)·W_hg = 0.5 + 0.25 = 0.75 ≠ f = 0.5
    @example(case=_case(W_h=[0.5, 0.5, 0.5, 0.5]))
    def literal_only_elementwise_by_f(case):
        p = case.params
        J = oracles.jacobian_reverse(full_fn(case, p), case.c_prev)
        f = s.gates(p, case.o_prev * act.tanh(case.c_prev), case.c_prev, case.x, variant="forget")["f"]
        oracles.assert_close(J, np.diag(f), tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{cid}: the full ∂c_t/∂c_(t−1) is not diag(f_t) (it contains W_h)", c.repro(case=case), literal=True)


# ================================================================ seed 002: "values sometimes > 1"

@claim_check("LSTM-FORGET-GATE-NOT-ABOVE-ONE", subject={"gates": lstm.gates},
             plants={"forget gate 1 + tanh(a_f) ∈ (0, 2)": {"gates": _gates_forget_1_plus_tanh}})
def _(c, s):
    """f_t = σ(a_f) ∈ (0, 1) (float: [0, 1], < 1 for a_f ≤ 36) at every step: 'sometimes > 1' never happens.  [LSTM-FORGET-GATE-NOT-ABOVE-ONE]"""
    cid = c.id

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
        steps = _rollout(s.gates, params, np.zeros(H), np.zeros(H), xs, variant)
        return np.array([st_["f"] for st_ in steps]), np.array([st_["a_f"] for st_ in steps])

    # The seed's statement is existential ("values sometimes > 1"): no single draw refutes it. Its negation,
    # "f_t ≤ 1 for every input", holding on every example (with target() driving max f_t up) does.
    @c.negation
    @given(traj=trajectories())
    # saturated from the first step: b_f = 40 > 36.74, so f = 1.0 exactly, the supremum, and still not above it
    @example(traj=("forget", {"W_x": np.zeros((4, 1)), "W_h": np.zeros((4, 1)), "b": np.array([0.0, 40.0, 0.0, 0.0])},
                   np.zeros((3, 1))))
    def never_above_one(traj):
        f, _ = forget_gates(traj)
        target(float(np.max(f)), label="max f_t")
        assert np.all(f <= 1.0), f"{cid}: a forget-gate value f_t = {float(np.max(f))!r} > 1 (variant {traj[0]}, T = {len(traj[2])})"

    @c.holds
    @given(traj=trajectories())
    def inside_the_unit_interval(traj):
        """What is true beyond the negation: f_t ≥ 0, and f_t < 1 strictly while a_f ≤ 36 (float64 reaches 1 only from 36.74)."""
        f, a = forget_gates(traj)
        assert np.all(f >= 0.0), f"{cid}: a forget-gate value f_t = {float(np.min(f))!r} < 0"
        inner = a <= _SIGMA_STRICT
        assert np.all(f[inner] < 1.0), f"{cid}: f_t = 1 although a_f ≤ {_SIGMA_STRICT}: a_f = {a[inner & (f >= 1.0)]!r}"


# ================================================================ seed 000: f = 1 and the added term

@claim_check("LSTM-FORGET-ONE-PASS-THROUGH",
             subject={"step": lstm.step, "gates": lstm.gates, "direct": lstm.direct_path_jacobian, "terms": lstm.cell_jacobian_terms},
             plants={"the added term's derivative taken as zero (C_t + D_t dropped)":
                     {"terms": lambda p, c, o, x, variant="forget": {**lstm.cell_jacobian_terms(p, c, o, x, variant),
                                                                     "C": np.zeros((len(c), len(c))), "D": np.zeros((len(c), len(c)))}}})
def _(c, s):
    """f_t = 1 ⇒ ∂c_t/∂c_{t−1}|_h = I exactly, but the full ∂c_t/∂c_{t−1} = I + A + C + D, C + D = ∂(i⊙g)/∂c_{t−1} ≠ 0.  [LSTM-FORGET-ONE-PASS-THROUGH]"""
    cid = c.id

    @st.composite
    def open_forget_gate(draw):
        """A case with f = 1.0 exactly: W_f entries in [−1, 1] keep |W_hf h + W_xf x| ≤ H + 3D ≤ 9, b_f = 50 ≥ 38 + 9."""
        case = draw(_lstm_cases(variants=("forget",)))
        H, D = case.c_prev.size, case.x.size
        W_f = draw(matrices(H, H + D, -1.0, 1.0), label="forget-gate weights [W_hf, W_xf]")
        p = _with_blocks(case.params, "forget", H, W_h_f=W_f[:, :H], W_x_f=W_f[:, H:], b_f=50.0)
        return case._replace(params=p)

    @c.holds(max_examples=18, reason="finite differences on a (3H, H) stack of Jacobians per example")
    @given(case=open_forget_gate())
    def identity_on_the_direct_path_only(case):
        p, H, x, c0 = case.params, case.c_prev.size, case.x, case.c_prev
        h = _h_of(case)
        s0 = s.gates(p, h(c0), c0, x, variant="forget")
        assume(np.all(s0["a_f"] >= _SIGMA_IS_ONE))    # stated precondition: the forget gate rounds to 1
        assert np.all(s0["f"] == 1.0), f"{cid}: f = {s0['f']!r} is not exactly 1 with a_f = {s0['a_f']!r} ≥ {_SIGMA_IS_ONE}"
        direct = s.direct(p, h(c0), c0, x, variant="forget")
        # exactness is the claim: diag(fl(σ(a_f))) = diag(1.0) = I bit for bit
        assert np.array_equal(direct, np.eye(H)), f"{cid}: direct path {direct!r} is not exactly I although f = 1"
        T = s.terms(p, c0, case.o_prev, x, variant="forget")

        def stack(u):
            """[c_t with h_(t−1) fixed; the added term i⊙g via h_(t−1) = o⊙tanh(u); the full c_t]."""
            su = s.gates(p, h(u), u, x, variant="forget")      # forget-variant gates do not read c_(t−1)
            return anp.concatenate([s0["f"] * u + s0["i"] * s0["g"], su["i"] * su["g"], su["c"]])
        closed = np.vstack([direct, T["C"] + T["D"], np.eye(H) + T["A"] + T["C"] + T["D"]])
        J = oracles.check_jacobian(stack, c0, closed_form=closed,
                                   label=f"{cid}: [direct path; ∂(i⊙g)/∂c_(t−1) via h_(t−1); full]", reproduce=c.repro(case=case))
        target(float(np.max(np.abs(J[H:2 * H]))), label="|∂(i⊙g)/∂c_(t−1)|")

    @c.refutes
    @given(case=open_forget_gate())
    # shrunk by Hypothesis: b_f = 50 (f = 1), W_hi = W_hg = W_ho = 0.5: full = 1 + i·tanh'(0)·W_hg = 1.25 ≠ 1
    @example(case=_case(W_h=[0.5, 0.0, 0.5, 0.5], b=[0.0, 50.0, 0.0, 0.0]))
    def literal_added_term_disappears(case):
        p, H, x, c0 = case.params, case.c_prev.size, case.x, case.c_prev
        h = _h_of(case)
        assume(np.all(s.gates(p, h(c0), c0, x, variant="forget")["f"] == 1.0))   # the statement's premise: f = 1
        J = oracles.jacobian_reverse(lambda u: s.step(p, h(u), u, x, variant="forget")[1], c0)
        oracles.assert_close(J, np.eye(H), tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{cid}: with f = 1 the full ∂c_t/∂c_(t−1) is not I (the added term i⊙g does not disappear)",
                             c.repro(case=case), literal=True)


# ================================================================ seed 003: the four terms of ∂c_t/∂c_{t−1}

def _terms_with_seed_D(p, c, o, x, variant="forget"):
    """Bug (seed 003's D_t): σ'(a_g) where the candidate c̃_t = tanh(a_g) needs tanh'(a_g)."""
    T = dict(lstm.cell_jacobian_terms(p, c, o, x, variant))
    if variant == "forget":
        T["D"] = lstm.cell_jacobian_terms_seed003(p, c, o, x)["D"]
    return T


@claim_check("LSTM-CELL-JACOBIAN-TERMS",
             subject={"gates": lstm.gates, "terms": lstm.cell_jacobian_terms, "seed_terms": lstm.cell_jacobian_terms_seed003},
             plants={"D_t with σ' (seed 003's D)": {"terms": _terms_with_seed_D},
                     "B_t = I (forget gate dropped from the direct path)":
                     {"terms": lambda p, c, o, x, variant="forget": {**lstm.cell_jacobian_terms(p, c, o, x, variant), "B": np.eye(len(c))}}})
def _(c, s):
    """∂c_t/∂c_{t−1} = A_t + B_t + C_t + D_t (h_{t−1} = o_{t−1}⊙tanh c_{t−1}); each term = its path's derivative.  [LSTM-CELL-JACOBIAN-TERMS]"""
    cid = c.id

    @c.holds(max_examples=15, reason="five H×H Jacobians per example by finite differences (a (5H, H) stack, "
                                     "whose structural zeros make scipy iterate to its cap)")
    @given(case=_lstm_cases())
    # every W_h block 1, all else 0 (every pre-activation 0, forget variant): D_t = i·tanh'(0)·W_hg = 0.5 where σ' would
    # give 0.125, and B_t = f = 0.5 ≠ 1, so both plants are caught by this example whatever the random draws are
    # (a third of the draws are the forget variant, and a saturated a_g hides σ' against tanh')
    @example(case=_case(W_h=[1.0, 1.0, 1.0, 1.0]))
    def each_term_is_its_paths_derivative(case):
        p, v, H = case.params, case.variant, case.c_prev.size
        T = s.terms(p, case.c_prev, case.o_prev, case.x, variant=v)
        closed = np.vstack([T["A"], T["B"], T["C"], T["D"], T["full"]])
        J = oracles.check_jacobian(_terms_stack(s, case), case.c_prev, closed_form=closed,
                                   label=f"{cid}: rows [A; B; C; D; full], {H} rows each", reproduce=c.repro(case=case))
        oracles.assert_close(T["A"] + T["B"] + T["C"] + T["D"], T["full"], tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{cid}: A + B + C + D vs full")
        target(float(np.max(np.abs(J[4 * H:] - J[H:2 * H]))), label="|full − B|: the non-direct part")
        if v == "forget":   # seed 003 eq. (6) prints A_t, B_t and C_t correctly (under the documented reading)
            seed = s.seed_terms(p, case.c_prev, case.o_prev, case.x)
            for k in ("A", "B", "C"):
                oracles.assert_close(seed[k], T[k], tolerances.analytic(scale=max(1.0, float(np.max(np.abs(T[k]))))),
                                     f"{cid}: seed 003 eq. (6) {k}_t vs the derived {k}_t", c.repro(case=case))


@claim_check("LSTM-SEED003-D-TERM",
             subject={"gates": lstm.gates, "terms": lstm.cell_jacobian_terms, "seed_terms": lstm.cell_jacobian_terms_seed003},
             plants={"seed's D_t 'fixed' to the true D_t (the refutation disappears)":
                     {"seed_terms": lambda p, c, o, x: {**lstm.cell_jacobian_terms_seed003(p, c, o, x),
                                                        "D": lstm.cell_jacobian_terms(p, c, o, x)["D"],
                                                        "full": lstm.cell_jacobian_terms(p, c, o, x)["full"]}}})
def _(c, s):
    """Seed 003's D_t = σ'(W_c·[h,x])·W_c·dh·i_t is wrong: c̃_t = tanh(·) gives D_t = diag(i⊙tanh'(a_g)) W_hg dh.  [LSTM-SEED003-D-TERM]"""
    cid = c.id

    @c.holds
    @given(case=_lstm_cases(variants=("forget",), max_H=2))   # the seed's error is structural: H ≤ 2 shows it, FD stays cheap
    def seed_D_has_sigma_prime_for_tanh_prime(case):
        """What is true: D_true is the c̃-path's derivative (three oracles), and tanh'(a_g)·D_seed = σ'(a_g)·D_true row by row."""
        p, H = case.params, case.c_prev.size
        T = s.terms(p, case.c_prev, case.o_prev, case.x)
        seed = s.seed_terms(p, case.c_prev, case.o_prev, case.x)
        a_g = s.gates(p, case.o_prev * act.tanh(case.c_prev), case.c_prev, case.x)["a_g"]
        scale = max(1.0, float(np.max(np.abs(T["D"]))), float(np.max(np.abs(seed["D"]))))
        oracles.assert_close(act.tanh_prime(a_g)[:, None] * seed["D"], act.sigmoid_prime(a_g)[:, None] * T["D"],
                             tolerances.analytic(scale=scale), f"{cid}: tanh'(a_g)·D_seed vs σ'(a_g)·D_true", c.repro(case=case))
        stack = _terms_stack(s, case)
        d_path = lambda u: stack(u)[3 * H:4 * H]
        J = oracles.check_jacobian(d_path, case.c_prev, closed_form=T["D"],
                                   label=f"{cid}: D_t = ∂(i⊙c̃)/∂c_(t−1) through c̃ only", reproduce=c.repro(case=case))
        # hunt the largest discrepancy: at a_g = 0 the seed's D is 4x too small (σ'(0) = 1/4, tanh'(0) = 1)
        target(float(np.max(np.abs(J - seed["D"]))), label="|D_true − D_seed|")

    @c.refutes(max_examples=12, reason=_STRUCTURAL_REASON)
    @given(case=_lstm_cases(variants=("forget",)))
    # shrunk by Hypothesis: every W_h block 1, all else 0 (a = 0): D_true = i·tanh'(0)·W_hg = 0.5, D_seed = i·σ'(0)·W_hg = 0.125
    @example(case=_case(W_h=[1.0, 1.0, 1.0, 1.0]))
    def literal_seed_D(case):
        H = case.c_prev.size
        seed = s.seed_terms(case.params, case.c_prev, case.o_prev, case.x)
        J = oracles.jacobian_reverse(_terms_stack(s, case), case.c_prev)
        tol = tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J)))))
        oracles.assert_close(seed["D"], J[3 * H:4 * H], tol, f"{cid}: seed 003's D_t vs autograd's derivative through c̃_t",
                             c.repro(case=case), literal=True)
        oracles.assert_close(seed["full"], J[4 * H:], tol, f"{cid}: seed 003's eq. (6) sum vs autograd's ∂c_t/∂c_(t−1)",
                             c.repro(case=case), literal=True)


def _input_gate_from_candidate(params):
    """The LSTM whose input gate i reuses the candidate's weights W_xc, W_hc, b_c (what the appendix differentiates)."""
    H = params["W_h"].shape[1]
    g = _block("forget", "g")
    return _with_blocks(params, "forget", H, **{f"{k}_i": params[k][g * H:(g + 1) * H] for k in ("W_x", "W_h", "b")})


@claim_check("LSTM-SEED003-C-APPENDIX",
             subject={"gates": lstm.gates, "terms": lstm.cell_jacobian_terms, "seed_terms": lstm.cell_jacobian_terms_seed003},
             plants={"appendix C_t 'fixed' to eq. (6)'s C_t (the refutation disappears)":
                     {"seed_terms": lambda p, c, o, x: {**lstm.cell_jacobian_terms_seed003(p, c, o, x),
                                                        "C_appendix": lstm.cell_jacobian_terms_seed003(p, c, o, x)["C"]}}})
def _(c, s):
    """Seed 003's appendix C_t = σ'(W_c·[h,x])·W_c·dh·c̃_t is wrong: ∂i_t/∂c_{t−1} needs W_i, σ'(W_i·[h,x]).  [LSTM-SEED003-C-APPENDIX]"""
    cid = c.id

    @c.holds
    @given(case=_lstm_cases(variants=("forget",), max_H=2))   # the seed's error is structural: H ≤ 2 shows it, FD stays cheap
    def appendix_differentiates_the_wrong_gate(case):
        """What is true: the appendix's C_t is exactly the i-path derivative of the LSTM whose input gate has the
        candidate's weights (three oracles); eq. (6)'s own C_t is right (checked in LSTM-CELL-JACOBIAN-TERMS)."""
        H = case.c_prev.size
        seed = s.seed_terms(case.params, case.c_prev, case.o_prev, case.x)
        swapped = case._replace(params=_input_gate_from_candidate(case.params))
        stack = _terms_stack(s, swapped)
        i_path = lambda u: stack(u)[2 * H:3 * H]
        J = oracles.check_jacobian(i_path, case.c_prev, closed_form=seed["C_appendix"],
                                   label=f"{cid}: appendix C_t vs the i-path of the LSTM with W_i := W_c", reproduce=c.repro(case=case))
        target(float(np.max(np.abs(J - seed["C"]))), label="|C_appendix − C_eq6|")

    @c.refutes(max_examples=12, reason=_STRUCTURAL_REASON)
    @given(case=_lstm_cases(variants=("forget",)))
    # shrunk by Hypothesis: W_hg = W_ho = 0.5, W_hi = W_hf = 0, b ≡ 0.5: the true C_t = 0 (W_hi = 0), the appendix's 0.054
    @example(case=_case(W_h=[0.0, 0.0, 0.5, 0.5], b=[0.5, 0.5, 0.5, 0.5]))
    def literal_appendix_C(case):
        H = case.c_prev.size
        seed = s.seed_terms(case.params, case.c_prev, case.o_prev, case.x)
        J = oracles.jacobian_reverse(_terms_stack(s, case), case.c_prev)[2 * H:3 * H]
        oracles.assert_close(seed["C_appendix"], J, tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{cid}: the appendix's C_t (W_c, σ'(W_c·[h,x])) vs autograd's derivative through i_t", c.repro(case=case),
                             literal=True)


# ================================================================ seed 003: the balancing example

#: The seed's "≈": every term within ±0.01 of its value, so each step's sum of the four is within ±0.04 of 1.
_BALANCE_DELTA = 0.01


def _seed_balance_step(H, diagonal, offsets):
    """J_t = A_t + B_t + C_t + D_t with seed 003's A ≈ 0.1, B ≈ 0.7, C ≈ 0.1, D ≈ 0.1 plus ``offsets`` (4, H, H).

    ``diagonal``: the seed's arrows read as vectors, so every term is diagonal. Otherwise the terms are what
    they are in an LSTM: B = diag(f) is diagonal, A, C, D = diag(·) W_h dh are full H×H matrices, here with
    every entry ≈ 0.1.
    """
    base = np.array([0.1, 0.7, 0.1, 0.1])
    terms = [base[k] * np.ones((H, H)) + offsets[k] for k in range(4)]
    terms[1] = np.diag(np.diag(terms[1]))               # B_t = diag(f_t)
    if diagonal:
        terms = [np.diag(np.diag(T)) for T in terms]
    return sum(terms)


@st.composite
def _balanced_products(draw, diagonal=None, min_H=1):
    """k − 1 per-step sums J_t (t = 2..k, k ≤ 200) whose terms are within ±δ of the seed's values.

    A common offset moves all terms of all steps alike (then J_t = J is constant); optional per-step
    jitter varies each entry within the ±δ band.
    """
    H = draw(dims(min_H, 3), label="H")
    k = draw(st.integers(2, 200), label="k")
    diagonal = draw(st.booleans(), label="terms read as vectors") if diagonal is None else diagonal
    off = draw(floats(-_BALANCE_DELTA, _BALANCE_DELTA), label="common offset of every term")
    jitter = draw(st.none() | st.integers(0, 2**32 - 1), label="per-step jitter seed (None: constant J_t)")
    rng = None if jitter is None else np.random.default_rng(jitter)
    Js = []
    for _ in range(k - 1):
        d = np.full((4, H, H), off)
        if rng is not None:
            d = np.clip(d + rng.uniform(-_BALANCE_DELTA, _BALANCE_DELTA, d.shape), -_BALANCE_DELTA, _BALANCE_DELTA)
        Js.append(_seed_balance_step(H, diagonal, d))
    return {"H": H, "diagonal": diagonal, "offset": off, "constant": rng is None, "Js": Js}


def _balance_case(H, k, diagonal, off=0.0):
    """A hand-written constant-J case (for @example)."""
    J = _seed_balance_step(H, diagonal, np.full((4, H, H), off))
    return {"H": H, "diagonal": diagonal, "offset": off, "constant": True, "Js": [J] * (k - 1)}


def _chain_product(Js):
    """∏_{t=2}^{k} J_t in the order J_k ⋯ J_2 (each new step multiplies from the left)."""
    P = Js[0]
    for J in Js[1:]:
        P = J @ P
    return P


@claim_check("LSTM-SEED003-BALANCING", subject={"product": _chain_product},
             plants={"terms multiplied entrywise, as the seed's vectors are": {"product": lambda Js: np.prod(np.stack(Js), axis=0)}})
def _(c, s):
    """‖∏_{t=2}^k J_t‖ ∈ [∏σ_min(J_t), ∏‖J_t‖₂], J_t = A+B+C+D: a per-step sum ≈ 1 does not make the product ≈ 1.  [LSTM-SEED003-BALANCING]"""
    cid = c.id

    @c.holds
    @given(case=_balanced_products())
    # the seed's exact values as 2×2 matrices, constant: ‖J³‖₂ = 1.3³ = 2.197 (an entrywise product, which agrees with
    # the matrix product for diagonal terms and stays inside both norm bounds here, gives 1.03)
    @example(case=_balance_case(H=2, k=4, diagonal=False))
    def product_is_governed_by_the_step_matrices(case):
        Js, H, off = case["Js"], case["H"], case["offset"]
        n = len(Js)
        P = s.product(Js)
        nP = float(np.linalg.norm(P, 2))
        target(abs(np.log(max(nP, 1e-300))), label="|log ‖∏J‖|")
        # Rounding, per step (n = k − 1 ≤ 199 steps): every J_t has nonnegative entries (all terms are ≥ 0.09), so
        # fl(J_t P) is within γ_H ≤ 3.0u of J_t P entrywise and in 2-norm; ‖J_t‖₂ and σ_min(J_t) come from an SVD
        # accurate to a few u·‖J_t‖₂, with κ(J_t) ≤ 3 here (σ_min ≥ 0.7 − 0.04H ≥ 0.58, ‖J_t‖₂ ≤ 0.7 + 0.34H ≤ 1.72),
        # and one more rounding as they are multiplied (resp. the constant case's ρ^n, one per factor): tens of ulps
        # per step, inside the 2^8 ulps per step of tolerances.chain.
        tol = tolerances.chain(n, "∏_t J_t against ∏‖J_t‖₂, ∏σ_min(J_t) or ‖J‖₂^n")
        upper = float(np.prod([np.linalg.norm(J, 2) for J in Js]))
        lower = float(np.prod([np.linalg.svd(J, compute_uv=False)[-1] for J in Js]))
        oracles.assert_le(nP, upper, tol, f"{cid}: ‖∏J‖ vs ∏‖J_t‖₂ (k − 1 = {n})")
        oracles.assert_le(lower, nP, tol, f"{cid}: ∏σ_min(J_t) vs ‖∏J‖ (k − 1 = {n})")
        if case["constant"]:
            # J = (0.7+δ)I + 3(0.1+δ)·11ᵀ (matrix reading) or (1+4δ)I (vector reading): symmetric positive
            # definite, so ‖J^(k−1)‖₂ = ‖J‖₂^(k−1) with ‖J‖₂ = 0.7 + δ + 3H(0.1 + δ), resp. 1 + 4δ.
            rho = (1 + 4 * off) if case["diagonal"] else (0.7 + off + 3 * H * (0.1 + off))
            oracles.assert_close(nP, rho ** n, tol, f"{cid}: constant J_t: ‖J^{n}‖₂ vs ‖J‖₂^{n} = {rho!r}^{n} (H = {H}, δ = {off!r})")

    @c.refutes
    @given(case=_balanced_products(diagonal=True))
    # shrunk by Hypothesis: every term 2⁻⁷ above the seed's value (sum 1.03125 per step), k = 24: 1.03125²³ = 2.03
    # (the other side: 0.01 below gives 0.96 per step, and 0.96^(k−1) < 1/2 from k = 19 on)
    @example(case=_balance_case(H=1, k=24, diagonal=True, off=2.0**-7))
    def literal_vector_reading(case):
        nP = float(np.linalg.norm(s.product(case["Js"]), 2))
        target(abs(np.log(max(nP, 1e-300))), label="|log ‖∏J‖| (vectors)")
        # "≈ ∏ 1 ↛ 0 and the product does not vanish", read as: within a factor 2 of 1 for every k ≤ 200
        literal(0.5 <= nP <= 2.0, f"{cid}: terms within ±{_BALANCE_DELTA} of (0.1, 0.7, 0.1, 0.1) but "
                                f"‖∏_(t=2..{len(case['Js']) + 1}) J_t‖ = {nP!r}")

    @c.refutes
    @given(case=_balanced_products(diagonal=False, min_H=2))   # H = 1 is the vector reading again
    # shrunk by Hypothesis: the seed's exact values as 2×2 matrices: J = [[1, .3], [.3, 1]], ‖J‖₂ = 1.3, k = 4: 1.3³ = 2.197
    @example(case=_balance_case(H=2, k=4, diagonal=False))
    def literal_matrix_reading(case):
        nP = float(np.linalg.norm(s.product(case["Js"]), 2))
        target(abs(np.log(max(nP, 1e-300))), label="|log ‖∏J‖| (matrices)")
        literal(0.5 <= nP <= 2.0, f"{cid}: terms within ±{_BALANCE_DELTA} of (0.1, 0.7, 0.1, 0.1) but "
                                f"‖∏_(t=2..{len(case['Js']) + 1}) J_t‖ = {nP!r}")


# ================================================================ seed 003 eq. (4): chaining ∂c_t/∂c_{t−1} alone

def _seed003_chain(params, c0, o0, xs):
    """Seed 003 eq. (4): ∏_t ∂c_t/∂c_{t−1} = J_T ⋯ J_1 with J_t = (A+B+C+D)_t at the trajectory's c_{t−1}, o_{t−1}."""
    H = c0.size
    steps = _rollout(lstm.gates, params, o0 * act.tanh(c0), c0, xs)
    P, c_prev, o_prev = np.eye(H), c0, o0
    for t, x in enumerate(xs):
        P = lstm.cell_jacobian_terms(params, c_prev, o_prev, x)["full"] @ P
        c_prev, o_prev = steps[t]["c"], steps[t]["o"]
    return P


def _reversed_chain(params, c0, o0, xs):
    """Bug: the product J_1 ⋯ J_T (earliest step on the left)."""
    H = c0.size
    steps = _rollout(lstm.gates, params, o0 * act.tanh(c0), c0, xs)
    P, c_prev, o_prev = np.eye(H), c0, o0
    for t, x in enumerate(xs):
        P = P @ lstm.cell_jacobian_terms(params, c_prev, o_prev, x)["full"]
        c_prev, o_prev = steps[t]["c"], steps[t]["o"]
    return P


def _chain_o_off_by_one(params, c0, o0, xs):
    """Bug: J_t evaluated with o_t (this step's output gate) in place of o_{t−1}."""
    H = c0.size
    steps = _rollout(lstm.gates, params, o0 * act.tanh(c0), c0, xs)
    P, c_prev = np.eye(H), c0
    for t, x in enumerate(xs):
        P = lstm.cell_jacobian_terms(params, c_prev, steps[t]["o"], x)["full"] @ P
        c_prev = steps[t]["c"]
    return P


@st.composite
def _chain_cases(draw, max_H=2, max_T=3):
    """A trajectory of T ≤ max_T steps (T = 2 already has the path c_0 → h_0 → o_1 → h_1 → c_2) from c_0 with h_0 = o_0⊙tanh(c_0); FD runs through all T steps, so H ≤ 2."""
    case = draw(_lstm_cases(variants=("forget",), max_H=max_H))
    T = draw(st.integers(2, max_T), label="T")
    xs = draw(vectors(T * case.x.size, -3.0, 3.0), label="xs").reshape(T, -1)
    return case, xs


@claim_check("LSTM-SEED003-CELL-CHAIN",
             subject={"forward": lstm.forward, "chain": _seed003_chain},
             plants={"chain multiplied in the wrong order (J_1 ⋯ J_T)": {"chain": _reversed_chain},
                     "o_(t−1) taken from the current step (off by one)": {"chain": _chain_o_off_by_one}})
def _(c, s):
    """∂c_T/∂c_0 = ∏ (A+B+C+D)_t only if W_ho = 0; in general the state is (h, c) and o_{t−1} carries c_{t−2}.  [LSTM-SEED003-CELL-CHAIN]"""
    cid = c.id

    def c_T(case, params, xs):
        """c_0 ↦ c_T with h_0 = o_0⊙tanh(c_0): the true map the chain claims to differentiate."""
        return lambda u: s.forward(params, case.o_prev * act.tanh(u), u, xs)[1][-1]

    @c.holds(max_examples=15, reason="finite differences through a T-step forward pass per example")
    @given(traj=_chain_cases(), cut_output_gate=st.booleans())
    # both branches run in every profile (the record lists the closed form, used only when W_ho = 0)
    @example(traj=(_case(W_h=[0.5, 0.5, 0.5, 0.5], b=[0.0, 0.0, 0.5, 0.0], o_prev=[0.5]), np.zeros((2, 1))), cut_output_gate=True)
    @example(traj=(_case(W_h=[0.5, 0.5, 0.5, 0.5], b=[0.0, 0.0, 0.5, 0.0], o_prev=[0.5]), np.zeros((2, 1))), cut_output_gate=False)
    # H = 2 with different inputs per step: the step Jacobians do not commute, so the order of the product matters
    @example(traj=(_case(H=2, W_x=[0.4, -0.6, 0.9, 0.1, -0.8, 0.3, 0.5, 0.2],
                         W_h=[0.3, -0.7, 0.9, 0.2, 0.5, 0.1, -0.4, 0.6, 1.1, -0.3, 0.2, 0.8, 0.0, 0.0, 0.0, 0.0],
                         c_prev=[0.5, -0.3], o_prev=[0.7, 0.4]), np.array([[1.0], [-2.0]])), cut_output_gate=True)
    def chain_is_exact_iff_output_gate_ignores_h(traj, cut_output_gate):
        case, xs = traj
        p = case.params
        if cut_output_gate:
            # W_ho = 0: o_t no longer depends on h_{t−1}, the state is c alone and eq. (4) is the chain rule
            p = _with_blocks(p, "forget", case.c_prev.size, W_h_o=0.0)
            oracles.check_jacobian(c_T(case, p, xs), case.c_prev, closed_form=s.chain(p, case.c_prev, case.o_prev, xs),
                                   label=f"{cid}: W_ho = 0: ∂c_T/∂c_0 vs ∏(A+B+C+D)", reproduce=c.repro(case=case))
        else:
            # the true ∂c_T/∂c_0 by the other two oracles: the value the literal chain is compared with
            J = oracles.check_jacobian(c_T(case, p, xs), case.c_prev, label=f"{cid}: ∂c_T/∂c_0, autograd vs FD",
                                       reproduce=c.repro(case=case))
            target(float(np.max(np.abs(J - s.chain(p, case.c_prev, case.o_prev, xs)))), label="|true − chain|")

    @c.refutes
    @given(traj=_chain_cases())
    # shrunk by Hypothesis: H = 1, T = 3, zero inputs, W_hg = W_ho = 0.5, b_g = 0.5, c_0 = 0, o_0 = 0:
    # the chain gives 0.170861, the true ∂c_3/∂c_0 is 0.172737 (the path c_1 → h_1 → o_2 → h_2 → c_3 is missing)
    @example(traj=(_case(W_h=[0.0, 0.0, 0.5, 0.5], b=[0.0, 0.0, 0.5, 0.0], o_prev=[0.0]), np.zeros((3, 1))))
    def literal_chain_of_cell_jacobians(traj):
        case, xs = traj
        J = oracles.jacobian_reverse(c_T(case, case.params, xs), case.c_prev)
        oracles.assert_close(s.chain(case.params, case.c_prev, case.o_prev, xs), J,
                             tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{cid}: seed 003 eq. (4) ∏(A+B+C+D) vs autograd's ∂c_T/∂c_0", c.repro(case=case), literal=True)


# ================================================================ seed 004 §5.1: LSTMs can still explode

def _zero_state_pair_jacobian(params, D):
    """∂(h_t, c_t)/∂(h_{t−1}, c_{t−1}) at the zero state with zero input, from the model's hand-derived pieces.

    With o_prev = 1, cell_jacobian_terms' h_{t−1} = 1⊙tanh(0) = 0 and dh = diag(tanh'(0)) = I, so its
    full − B is ∂c_t/∂h_{t−1}. ∂h_t/∂c_{t−1} (h fixed) = diag(o_t⊙tanh'(c_t)) diag(f_t).
    """
    H = params["W_h"].shape[1]
    z, x = np.zeros(H), np.zeros(D)
    g = lstm.gates(params, z, z, x)
    T = lstm.cell_jacobian_terms(params, z, np.ones(H), x)
    hh = lstm.h_jacobian(params, z, z, x)
    cc = lstm.direct_path_jacobian(params, z, z, x)
    hc = np.diag(g["o"] * act.tanh_prime(g["c"])) @ cc
    ch = T["full"] - T["B"]
    return np.block([[hh, hc], [ch, cc]])


def _pair_without_input_gate(params, D):
    """Bug: ∂c_t/∂h_{t−1} without the factor i_t = ½ (so ∂c/∂h = W_hg at the zero state)."""
    J = _zero_state_pair_jacobian(params, D)
    H = params["W_h"].shape[1]
    J[H:, :H] *= 2.0
    return J


def _pair_without_forget_gate(params, D):
    """Bug: the c→c block (the direct path diag(f)) left out of the pair Jacobian."""
    J = _zero_state_pair_jacobian(params, D)
    H = params["W_h"].shape[1]
    J[H:, H:] = 0.0
    return J


@st.composite
def _exploding_lstms(draw):
    """b = 0, zero inputs, zero initial state (a fixed point), W_hg = w·Q with Q orthogonal and w ∈ [12, 40].

    w ≥ 12 makes σ_min(K) ≥ w/4 − ½ ≥ 2.5, so already T = 10 gives ‖∂c_T/∂c_0‖ ≥ ½·2.5⁹ ≈ 1.9e3.

    The other recurrent blocks and the input weights are arbitrary and large: at the zero state they
    multiply h = 0 or x = 0 and drop out of the Jacobian.
    """
    H, D = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D")
    w = draw(floats(12.0, 40.0), label="w = ‖W_hg‖₂")
    Q = draw(orthogonal_matrices(H), label="Q")
    params = dict(draw(lstm_params(H, D, 8.0, "forget"), label="params"))
    params = _with_blocks(params, "forget", H, W_h_g=w * Q, b_i=0.0, b_f=0.0, b_g=0.0, b_o=0.0)
    T = draw(st.integers(10, 15), label="T")
    return params, w, T


@claim_check("LSTM-GRADIENT-CAN-EXPLODE",
             subject={"forward": lstm.forward, "pair_jacobian": _zero_state_pair_jacobian},
             plants={"input gate dropped from ∂c_t/∂h_(t−1) (W_hg instead of i·W_hg)": {"pair_jacobian": _pair_without_input_gate},
                     "forget gate dropped from the c→c block": {"pair_jacobian": _pair_without_forget_gate}})
def _(c, s):
    """∃ θ: ‖∂c_T/∂c_0‖ = ½‖K^{T−1}‖ ≥ ½(w/4 − ½)^{T−1}, K = ½I + ¼W_hg, W_hg = wQ, at the zero state.  [LSTM-GRADIENT-CAN-EXPLODE]"""
    cid = c.id

    @c.holds(max_examples=10, reason="autograd in both modes through T ≥ 10 steps costs ~1.2 ms per step and mode")
    @given(lstm_=_exploding_lstms())
    def explodes_at_the_zero_fixed_point(lstm_):
        params, w, T = lstm_
        H, D = params["W_h"].shape[1], params["W_x"].shape[1]
        xs, z = np.zeros((T, D)), np.zeros(H)
        c_T = lambda u: s.forward(params, z, u, xs)[1][-1]
        Jr, Jf = oracles.jacobian_reverse(c_T, z), oracles.jacobian_forward(c_T, z)
        # closed form 1: the model's one-step pair Jacobian, to the power T, c→c block
        closed = np.linalg.matrix_power(s.pair_jacobian(params, D), T)[H:, H:]
        # closed form 2 (hand-derived): J = [o; 1] [i W_hg, f I] at a = 0 (i = f = o = ½, tanh'(0) = 1),
        # so J^T = [o; 1] K^(T−1) [i W_hg, f I] with K = o·i·W_hg + f·I = ½I + ¼W_hg, and ∂c_T/∂c_0 = ½ K^(T−1)
        K = 0.5 * np.eye(H) + 0.25 * params["W_h"][2 * H:3 * H]
        formula = 0.5 * np.linalg.matrix_power(K, T - 1)
        tol = tolerances.analytic(scale=float(np.max(np.abs(Jr))))
        oracles.assert_close(Jf, Jr, tol, f"{cid}: autograd forward vs reverse (T = {T}, w = {w!r})")
        oracles.record_oracle("closed-form")
        oracles.assert_close(closed, Jr, tol, f"{cid}: (model pair Jacobian)^T vs autograd (T = {T}, w = {w!r})")
        oracles.assert_close(formula, Jr, tol, f"{cid}: ½K^(T−1) vs autograd (T = {T}, w = {w!r})")
        # K is normal (Q is), so ‖K^n‖₂ = ρ(K)^n ≥ σ_min(K)^n ≥ (w/4 − ½)^n, tight for H = 1, Q = −1: the comparison
        # needs the chain's rounding. Per step (T ≤ 15): autograd at the zero state multiplies by the exact ½ and
        # tanh'(0) = 1 and rounds one H-term matvec (H ≤ 3) and a few sums, normwise ≲ 6√H·u·‖K‖, K being normal;
        # the bound's power rounds once per factor: tens of ulps per step, inside the 2^8 ulps per step of tolerances.chain.
        # (The bound is ≥ ½·2.5⁹ ≈ 1.9e3 for w ≥ 12, T ≥ 10, so reaching it is the explosion.)
        norm, bound = float(np.linalg.norm(Jr, 2)), 0.5 * (w / 4 - 0.5) ** (T - 1)
        target(-np.log(norm / bound), label="−log(‖∂c_T/∂c_0‖ / bound)")
        chain = tolerances.chain(T, "autograd's ∂c_T/∂c_0 through T steps against ½(w/4 − ½)^(T−1)")
        oracles.assert_le(bound, norm, chain, f"{cid}: ½(w/4 − ½)^(T−1) vs ‖∂c_T/∂c_0‖ (T = {T}, w = {w!r})")


# ================================================================ Hochreiter & Schmidhuber 1997: the constant error carousel

@claim_check("LSTM-CEC-CONSTANT-ERROR",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian},
             plants={"CEC self-weight just below 1 (0.999·I)": {"direct": lambda p, h, c, x, variant="cec": 0.999 * np.eye(len(c))},
                     "a leaky carousel c_t = 0.99·c_(t−1) + i⊙g": {"gates": lambda p, h, c, x, variant="cec": {
                         **lstm.gates(p, h, c, x, variant), "c": lstm.gates(p, h, c, x, variant)["c"] - 0.01 * c}}})
def _(c, s):
    """CEC (no forget gate): ∂c_t/∂c_{t−1}|_h = I exactly, so along the direct path ∂c_T/∂c_0 = I for every T.  [LSTM-CEC-CONSTANT-ERROR]"""
    cid = c.id

    @c.holds(max_examples=_FD_ZEROS_CAP, reason=_FD_ZEROS_REASON)
    @given(case=_lstm_cases(variants=("cec",)))
    def one_step_is_identity(case):
        p, H = case.params, case.c_prev.size
        closed = s.direct(p, case.h_prev, case.c_prev, case.x, variant="cec")
        # exactness is the claim: f'(net)·w_jj = 1 with f = id and w_jj = 1
        assert np.array_equal(closed, np.eye(H)), f"{cid}: direct path {closed!r} is not exactly I"
        J = oracles.check_jacobian(lambda u: s.gates(p, case.h_prev, u, case.x, variant="cec")["c"], case.c_prev,
                                   closed_form=closed, structure=oracles.diagonal_mask(H),
                                   label=f"{cid}: ∂c_t/∂c_(t−1) at fixed h_(t−1)", reproduce=c.repro(case=case))
        # exact in autograd too: c_t = c_(t−1) + i⊙g with i, g not reading c_(t−1), and d(u + const)/du = 1.0 bit for bit.
        # The T-step statement follows by the chain rule: with h held fixed, ∂c_T/∂c_0 = ∏_t I = I, exactly also in floats.
        assert np.array_equal(J, np.eye(H)), f"{cid}: autograd's ∂c_t/∂c_(t−1) = {J!r} is not exactly I ({c.repro(case=case)})"


# ================================================================ Jozefowicz et al. 2015: forget bias 1

@functools.cache
def _forget_biases(H):
    """Forget-gate biases per unit: the usual choices 0, 1, 2 (Jozefowicz et al.), 5 (Gers et al.), or any in [−3, 6]."""
    return st.lists(st.one_of(st.sampled_from((0.0, 1.0, 2.0, 5.0)), floats(-3.0, 6.0)), min_size=H, max_size=H)


@st.composite
def _bias_only_forget_gates(draw, max_T=100):
    """W_h = 0 and W_xf = 0, so f_t = σ(b_f) at every step; b_f per unit from {0, 1, 2, 5} or [−3, 6]."""
    case = draw(_lstm_cases(variants=("forget",)))
    H, D = case.c_prev.size, case.x.size
    b_f = np.array(draw(_forget_biases(H), label="b_f"), dtype=np.float64)
    p = _with_blocks(dict(case.params, W_h=np.zeros_like(case.params["W_h"])), "forget", H, W_x_f=0.0, b_f=b_f)
    T = draw(st.integers(1, max_T), label="T")
    xs = draw(vectors(T * D, -3.0, 3.0), label="xs").reshape(T, D)
    return case._replace(params=p), xs


def _forward_forget_bias_shifted(shift):
    """Bug: a forward pass whose forget-gate bias is off by ``shift`` (e.g. TF1's call-time forget_bias added
    on top of a bias that already holds it, or a bias stored but never applied)."""
    def forward(p, h0, c0, xs, variant="forget"):
        H = p["W_h"].shape[1]
        return lstm.forward(_with_blocks(p, variant, H, b_f=p["b"][H:2 * H] + shift), h0, c0, xs, variant)
    return forward


@claim_check("LSTM-FORGET-BIAS-ONE", subject={"forward": lstm.forward, "gates": lstm.gates},
             plants={"forget bias added twice (TF1's call-time forget_bias on a stored bias)": {"forward": _forward_forget_bias_shifted(1.0)},
                     "init's forget_bias = 1 lost (b_f − 1)": {"forward": _forward_forget_bias_shifted(-1.0)}})
def _(c, s):
    """With W = 0: ∂c_T/∂c_0 = diag(σ(b_f))^T; b_f = 1 gives 0.731^T (half-life 2.21 steps): still geometric decay.  [LSTM-FORGET-BIAS-ONE]"""
    cid = c.id

    @c.holds(max_examples=_FD_ZEROS_CAP, reason="finite differences on a diagonal Jacobian through up to 3 steps, autograd through up to 20")
    @given(run=_bias_only_forget_gates(max_T=20))
    # both branches run in every profile (the record lists FD): b_f = (1, 2), T = 3 with FD; b_f = (0, 5), T = 20 without
    @example(run=(_case(H=2, b=[0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0], c_prev=[1.0, -1.0]), np.zeros((3, 1))))
    @example(run=(_case(H=2, b=[0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0], c_prev=[1.0, -1.0]), np.ones((20, 1))))
    def product_is_sigma_b_to_the_T(run):
        case, xs = run
        p, H, T = case.params, case.c_prev.size, len(xs)
        b_f = p["b"][H:2 * H]
        closed = np.diag(act.sigmoid(b_f) ** T)
        c_T = lambda u: s.forward(p, case.h_prev, u, xs)[1][-1]
        if T <= 3:   # FD through at most 3 steps (its cost grows with T), autograd and the closed form for every T
            J = oracles.check_jacobian(c_T, case.c_prev, closed_form=closed, structure=oracles.diagonal_mask(H),
                                       label=f"{cid}: ∂c_T/∂c_0 vs σ(b_f)^T (T = {T})", reproduce=c.repro(case=case))
        else:
            J = oracles.jacobian_reverse(c_T, case.c_prev)
            oracles.record_oracle("closed-form")
            # T rounded multiplications: relative error ≤ T·eps ≤ 20 eps, inside the analytic 256 eps
            oracles.assert_close(closed, J, tolerances.analytic(scale=float(np.max(np.abs(closed)))),
                                 f"{cid}: σ(b_f)^T vs autograd (T = {T})", c.repro(case=case))
        f = np.array([st_["f"] for st_ in _rollout(s.gates, p, case.h_prev, case.c_prev, xs)])
        oracles.assert_close(np.prod(f, axis=0), np.diag(J), tolerances.analytic(scale=float(np.max(np.abs(J)))),
                             f"{cid}: ∏_t f_t along the trajectory vs ∂c_T/∂c_0")
        target(float(np.max(np.diag(J))), label="largest surviving ∂c_T/∂c_0")

    @st.composite
    def initialised_lstms(draw):
        """'Small random weights' U(−0.1/√H, 0.1/√H) plus forget_bias 1 or 2 (Jozefowicz et al.: 'such as 1 or 2').

        Small weights are the passage's setting ('this initialization effectively sets the forget gate to 0.5');
        with PyTorch's full-size init U(−1/√H, 1/√H) the gates spread further and the literal fails sooner.
        """
        H, D = draw(dims(1, 3), label="H"), draw(dims(1, 2), label="D")
        bias = draw(st.sampled_from((1.0, 2.0)), label="forget bias")
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="init seed"))
        p = lstm.init_params(H, D, rng, scale=0.1, forget_bias=bias)
        T = draw(st.integers(2, 100), label="T")
        xs = draw(vectors(T * D, -1.0, 1.0), label="xs").reshape(T, D)
        return bias, p, xs

    @c.refutes
    @given(lstm_=initialised_lstms())
    # shrunk by Hypothesis: H = D = 1, forget bias 1 (b_f = 1.087 after init), zero inputs: ∏f_t = 0.0097 after T = 16
    @example(lstm_=(1.0, {"W_x": np.array([[0.02739234], [-0.04604266], [-0.0918053], [-0.09669447]]),
                          "W_h": np.array([[0.06265405], [0.08255112], [0.02132716], [0.04589931]]),
                          "b": np.array([0.008725, 1.08701448, 0.06317071, -0.0994523])}, np.zeros((16, 1))))
    def literal_close_to_one_enables_flow(lstm_):
        bias, p, xs = lstm_
        H = p["W_h"].shape[1]
        f = np.array([st_["f"] for st_ in _rollout(s.gates, p, np.zeros(H), np.zeros(H), xs)])
        flow = float(np.max(np.prod(f, axis=0)))
        # "close to 1, enabling gradient flow" over the long lags the passage is about: ≥ 1% left after T ≤ 100 steps
        literal(flow >= 0.01, f"{cid}: forget bias {bias}: the direct-path gradient ∏f_t after T = {len(xs)} steps is {flow!r} < 1%")


# ================================================================ peephole direct path

def _peephole_direct_without_peepholes(p, h, c, x, variant="peephole"):
    """Bug: the peephole cell's direct path taken to be diag(f_t), as without peepholes."""
    return np.diag(lstm.gates(p, h, c, x, variant)["f"])


def _peephole_direct_p_i_with_sigma_f(p, h, c, x, variant="peephole"):
    """Bug: the input-gate peephole term with σ'(a_f) instead of σ'(a_i)."""
    g = lstm.gates(p, h, c, x, variant)
    return np.diag(g["f"] + np.asarray(c) * act.sigmoid_prime(g["a_f"]) * p["p_f"] + g["g"] * act.sigmoid_prime(g["a_f"]) * p["p_i"])


@claim_check("LSTM-PEEPHOLE-DIRECT-PATH",
             subject={"gates": lstm.gates, "direct": lstm.direct_path_jacobian},
             plants={"peephole terms dropped (diag(f_t))": {"direct": _peephole_direct_without_peepholes},
                     "p_i term with σ'(a_f) instead of σ'(a_i)": {"direct": _peephole_direct_p_i_with_sigma_f}})
def _(c, s):
    """Peepholes: ∂c_t/∂c_{t−1}|_h = diag(f + c_{t−1}⊙σ'(a_f)⊙p_f + g⊙σ'(a_i)⊙p_i): diagonal, but not diag(f).  [LSTM-PEEPHOLE-DIRECT-PATH]"""
    cid = c.id

    @c.holds(max_examples=_FD_ZEROS_CAP, reason=_FD_ZEROS_REASON)
    @given(case=_lstm_cases(variants=("peephole",)))
    def diagonal_with_peephole_terms(case):
        p, H = case.params, case.c_prev.size
        closed = s.direct(p, case.h_prev, case.c_prev, case.x, variant="peephole")
        J = oracles.check_jacobian(lambda u: s.gates(p, case.h_prev, u, case.x, variant="peephole")["c"], case.c_prev,
                                   closed_form=closed, structure=oracles.diagonal_mask(H),
                                   label=f"{cid}: ∂c_t/∂c_(t−1) at fixed h_(t−1)", reproduce=c.repro(case=case))
        f = s.gates(p, case.h_prev, case.c_prev, case.x, variant="peephole")["f"]
        target(float(np.max(np.abs(np.diag(J) - f))), label="|∂c_t/∂c_(t−1) − f| on the diagonal")
        # with the two peepholes into c_t switched off, the direct path is diag(f) again (three oracles)
        p0 = dict(p, p_i=np.zeros(H), p_f=np.zeros(H))
        f0 = s.gates(p0, case.h_prev, case.c_prev, case.x, variant="peephole")["f"]
        oracles.assert_close(s.direct(p0, case.h_prev, case.c_prev, case.x, variant="peephole"), np.diag(f0),
                             tolerances.analytic(), f"{cid}: p_i = p_f = 0: closed form vs diag(f_t)")


# ================================================================ ∂h_t/∂h_{t−1}

def _h_jacobian_without_output_gate_path(p, h, c, x, variant="forget"):
    """Bug: ∂h_t/∂h_{t−1} without the output-gate term diag(tanh(c_t)⊙σ'(a_o)) W_ho (o treated as constant)."""
    H = len(h)
    g = lstm.gates(p, h, c, x, variant)
    W_ho = p["W_h"][_block(variant, "o") * H:(_block(variant, "o") + 1) * H]
    J = lstm.h_jacobian(p, h, c, x, variant)
    return J - np.diag(act.tanh(g["c"]) * act.sigmoid_prime(g["a_o"])) @ W_ho   # (peephole: the p_o path stays in)


@claim_check("LSTM-H-JACOBIAN", subject={"step": lstm.step, "h_jacobian": lstm.h_jacobian},
             plants={"denominator layout (the transpose)": {"h_jacobian": lambda p, h, c, x, variant="forget": lstm.h_jacobian(p, h, c, x, variant).T},
                     "output-gate path dropped (o treated as constant)": {"h_jacobian": _h_jacobian_without_output_gate_path}})
def _(c, s):
    """∂h_t/∂h_{t−1} = diag(tanh(c_t)⊙σ'(a_o)) ∂a_o/∂h + diag(o⊙tanh'(c_t)) ∂c_t/∂h_{t−1}, c_{t−1} fixed.  [LSTM-H-JACOBIAN]"""
    cid = c.id

    @c.holds(max_examples=15, reason="finite differences on a dense H×H Jacobian per example, H ≤ 3, three variants")
    @given(case=_lstm_cases())
    def h_jacobian_three_oracles(case):
        p, v = case.params, case.variant
        J = oracles.check_jacobian(lambda u: s.step(p, u, case.c_prev, case.x, variant=v)[0], case.h_prev,
                                   closed_form=s.h_jacobian(p, case.h_prev, case.c_prev, case.x, variant=v),
                                   label=f"{cid}: ∂h_t/∂h_(t−1) ({v})", reproduce=c.repro(case=case))
        target(float(np.linalg.norm(J, 2)), label="‖∂h_t/∂h_(t−1)‖₂")


# ================================================================ seed 004 §5.3: four times the parameters

@claim_check("LSTM-PARAM-COUNT-FOUR-TIMES",
             subject={"lstm_count": lstm.param_count, "rnn_count": rnn.param_count, "init": lstm.init_params},
             plants={"LSTM count without the biases": {"lstm_count": lambda H, D, variant="forget": lstm.param_count(H, D, variant) - 4 * H},
                     "LSTM count with 3 gate blocks (no forget gate) for every variant": {"lstm_count": lambda H, D, variant="forget": lstm.param_count(H, D, "cec")}})
def _(c, s):
    """|θ_LSTM| = 4(HD + H² + H) = 4·|θ_RNN| exactly (cec: 3×, peephole: 4× + 3H); PyTorch's two biases: still 4×.  [LSTM-PARAM-COUNT-FOUR-TIMES]"""
    cid = c.id

    @c.holds
    @given(H=st.integers(1, 4096), D=st.integers(1, 4096))
    def exactly_four_times(H, D):
        # integers: exact equality is the claim
        n_lstm, n_rnn = s.lstm_count(H, D), s.rnn_count(H, D)
        assert n_lstm == 4 * n_rnn, f"{cid}: H={H}, D={D}: |θ_LSTM| = {n_lstm} ≠ 4·|θ_RNN| = {4 * n_rnn}"
        assert s.lstm_count(H, D, "cec") == 3 * n_rnn, f"{cid}: H={H}, D={D}: cec count {s.lstm_count(H, D, 'cec')} ≠ 3·{n_rnn}"
        assert s.lstm_count(H, D, "peephole") == 4 * n_rnn + 3 * H, f"{cid}: H={H}, D={D}: peephole count ≠ 4·{n_rnn} + 3H"

    @c.holds
    @given(H=dims(1, 16), D=dims(1, 16), variant=st.sampled_from(lstm.VARIANTS))
    def count_is_what_the_parameters_hold(H, D, variant):
        p = s.init(H, D, np.random.default_rng(0), variant=variant)
        held = sum(np.size(v) for v in p.values())
        assert held == s.lstm_count(H, D, variant), f"{cid}: {variant} H={H}, D={D}: parameters hold {held}, count says {s.lstm_count(H, D, variant)}"
        if variant == "forget":
            # PyTorch's layout stores two bias vectors: 4(HD + H² + 2H) vs HD + H² + 2H, still exactly 4×
            n_lstm_torch = sum(np.size(v) for v in layouts.to_torch("lstm", p).values())
            n_rnn_torch = sum(np.size(v) for v in layouts.to_torch("rnn", {"W_hh": np.zeros((H, H)), "W_xh": np.zeros((H, D)), "b": np.zeros(H)}).values())
            assert n_lstm_torch == 4 * n_rnn_torch, f"{cid}: torch layout H={H}, D={D}: {n_lstm_torch} ≠ 4·{n_rnn_torch}"
