"""Checks of seed 003's literal LSTM terms (spec/claims/lstm_seed003.toml; seed 003 (003_e8e07349f9f637ad.txt)):
the four terms A, B, C, D of ∂c_t/∂c_{t−1}, its D term and appendix C term, the balancing example and the
chain of eq. (4).

Notation as in lstm.py: seed 003 writes c̃_t for g and W_c for its weights, and reads h_{t-1} =
o_{t-1}⊙tanh(c_{t-1}) with o_{t-1} held fixed (``cases.h_of``).
"""

import autograd.numpy as anp
import numpy as np
from hypothesis import example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, oracles, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    vectors,
)
from vanishing.models import activations as act
from vanishing.models import lstm


#: For a literal statement whose error is structural (a wrong factor in a formula): almost every draw is a
#: counterexample, and the shrunk one runs first; the cap only bounds the search when a plant removes the error.
_STRUCTURAL_REASON = "the error is structural, so almost every draw refutes it; the shrunk counterexample runs first"


def _terms_stack(s, case):
    """u ↦ [A-path, B-path, C-path, D-path, full]: ∂/∂c_{t-1} of each is seed 003's A, B, C, D and the sum.

    Each path lets c_{t-1} = u act through one factor of c_t = f⊙c_{t-1} + i⊙g and freezes the others
    at their values at u = c_prev. One model call per evaluation (FD makes ~27 per column): the gates at
    (h(u), u) give every factor's u-dependent value and, as ``"c"``, the full c_t. (The peephole gates i, f
    read c_{t-1} itself as well as h_{t-1}; the others do not read it.)
    """
    p, v, c0, x = case.params, case.variant, case.c_prev, case.x
    h = cases.h_of(case)
    s0 = s.gates(p, h(c0), c0, x, variant=v)

    def stack(u):
        su = s.gates(p, h(u), u, x, variant=v)
        A = su["f"] * c0             # through f_t only
        B = s0["f"] * u              # the direct path
        C = su["i"] * s0["g"]        # through i_t only
        D = s0["i"] * su["g"]        # through the candidate g_t = c̃_t only
        return anp.concatenate([A, B, C, D, su["c"]])   # su["c"] = f⊙u + i⊙g: the full c_t
    return stack


# ================================================================ seed 003: the four terms of ∂c_t/∂c_{t−1}

def _terms_with_seed_D(p, c_prev, o_prev, x, variant="forget"):
    """Bug (seed 003's D_t): σ'(a_g) where the candidate c̃_t = tanh(a_g) needs tanh'(a_g)."""
    T = dict(lstm.cell_jacobian_terms(p, c_prev, o_prev, x, variant))
    if variant == "forget":
        T["D"] = lstm.cell_jacobian_terms_seed003(p, c_prev, o_prev, x)["D"]
    return T


@claim_check("LSTM-CELL-JACOBIAN-TERMS",
             subject={"gates": lstm.gates, "terms": lstm.cell_jacobian_terms, "seed_terms": lstm.cell_jacobian_terms_seed003},
             plants={"D_t with σ' (seed 003's D)": {"terms": _terms_with_seed_D},
                     "B_t = I (forget gate dropped from the direct path)":
                     {"terms": lambda p, c_prev, o_prev, x, variant="forget": {**lstm.cell_jacobian_terms(p, c_prev, o_prev, x, variant), "B": np.eye(len(c_prev))}}})
def cell_jacobian_is_the_sum_of_four_path_terms(ctx, s):
    """∂c_t/∂c_{t−1} = A_t + B_t + C_t + D_t (h_{t−1} = o_{t−1}⊙tanh c_{t−1}); each term = its path's derivative.  [LSTM-CELL-JACOBIAN-TERMS]"""

    @ctx.holds(max_examples=15, reason="five H×H Jacobians per example by finite differences (a (5H, H) stack, "
                                     "whose structural zeros make scipy iterate to its cap)")
    @given(case=cases.lstm_cases())
    # every W_h block 1, all else 0 (every pre-activation 0, forget variant): D_t = i·tanh'(0)·W_hg = 0.5 where σ' would
    # give 0.125, and B_t = f = 0.5 ≠ 1, so both plants are caught by this example whatever the random draws are
    # (a third of the draws are the forget variant, and a saturated a_g hides σ' against tanh')
    @example(case=cases.lstm_case(cases.lstm_params_by_hand(W_h=[1.0, 1.0, 1.0, 1.0])))
    def each_term_is_its_paths_derivative(case):
        p, v, H = case.params, case.variant, case.c_prev.size
        T = s.terms(p, case.c_prev, case.o_prev, case.x, variant=v)
        closed = np.vstack([T["A"], T["B"], T["C"], T["D"], T["full"]])
        J = oracles.check_jacobian(_terms_stack(s, case), case.c_prev, closed_form=closed,
                                   label=f"{ctx.id}: rows [A; B; C; D; full], {H} rows each", reproduce=ctx.repro(case=case))
        assertions.assert_close(T["A"] + T["B"] + T["C"] + T["D"], T["full"], tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{ctx.id}: A + B + C + D vs full")
        target(float(np.max(np.abs(J[4 * H:] - J[H:2 * H]))), label="|full − B|: the non-direct part")
        if v == "forget":   # seed 003 eq. (6) prints A_t, B_t and C_t correctly (under the documented reading)
            seed = s.seed_terms(p, case.c_prev, case.o_prev, case.x)
            for k in ("A", "B", "C"):
                assertions.assert_close(seed[k], T[k], tolerances.analytic(scale=max(1.0, float(np.max(np.abs(T[k]))))),
                                     f"{ctx.id}: seed 003 eq. (6) {k}_t vs the derived {k}_t", ctx.repro(case=case))


#: H = 3, D = 1, W_h entries in ±{0, 1/4, 1/2, 3/4}, o_(t−1) = (3/4, 1/2, 1/4): a kept example at H ≥ 3 (the strategies draw H ≤ 2).
_H3_CASE = cases.lstm_case(cases.lstm_params_by_hand(H=3, W_x=np.linspace(-1, 1, 12), W_h=((np.arange(36) % 7) - 3) / 4.0,
                                                     b=((np.arange(12) % 5) - 2) / 2.0),
                           h_prev=[0.5, -0.25, 0.75], c_prev=[1.0, -2.0, 0.5], x=[0.5], o_prev=[0.75, 0.5, 0.25])


@claim_check("LSTM-SEED003-D-TERM",
             subject={"gates": lstm.gates, "terms": lstm.cell_jacobian_terms, "seed_terms": lstm.cell_jacobian_terms_seed003},
             plants={"seed's D_t 'fixed' to the true D_t (the refutation disappears)":
                     {"seed_terms": lambda p, c_prev, o_prev, x: {**lstm.cell_jacobian_terms_seed003(p, c_prev, o_prev, x),
                                                                  "D": lstm.cell_jacobian_terms(p, c_prev, o_prev, x)["D"],
                                                                  "full": lstm.cell_jacobian_terms(p, c_prev, o_prev, x)["full"]}}})
def seed003_d_term_needs_the_tanh_derivative(ctx, s):
    """Seed 003's D_t = σ'(W_c·[h,x])·W_c·dh·i_t is wrong: c̃_t = tanh(·) gives D_t = diag(i⊙tanh'(a_g)) W_hg dh.  [LSTM-SEED003-D-TERM]"""

    @ctx.holds
    @given(case=cases.lstm_cases(variants=("forget",), max_H=2))   # the seed's error is structural: H ≤ 2 shows it, FD stays cheap
    @example(case=_H3_CASE)
    def seed_D_has_sigma_prime_for_tanh_prime(case):
        """What is true: D_true is the c̃-path's derivative (three oracles), and tanh'(a_g)·D_seed = σ'(a_g)·D_true row by row."""
        p, H = case.params, case.c_prev.size
        T = s.terms(p, case.c_prev, case.o_prev, case.x)
        seed = s.seed_terms(p, case.c_prev, case.o_prev, case.x)
        a_g = s.gates(p, case.o_prev * act.tanh(case.c_prev), case.c_prev, case.x)["a_g"]
        scale = max(1.0, float(np.max(np.abs(T["D"]))), float(np.max(np.abs(seed["D"]))))
        assertions.assert_close(act.tanh_prime(a_g)[:, None] * seed["D"], act.sigmoid_prime(a_g)[:, None] * T["D"],
                             tolerances.analytic(scale=scale), f"{ctx.id}: tanh'(a_g)·D_seed vs σ'(a_g)·D_true", ctx.repro(case=case))
        stack = _terms_stack(s, case)
        d_path = lambda u: stack(u)[3 * H:4 * H]
        J = oracles.check_jacobian(d_path, case.c_prev, closed_form=T["D"],
                                   label=f"{ctx.id}: D_t = ∂(i⊙c̃)/∂c_(t−1) through c̃ only", reproduce=ctx.repro(case=case))
        # hunt the largest discrepancy: at a_g = 0 the seed's D is 4x too small (σ'(0) = 1/4, tanh'(0) = 1)
        target(float(np.max(np.abs(J - seed["D"]))), label="|D_true − D_seed|")

    @ctx.refutes(max_examples=12, reason=_STRUCTURAL_REASON)
    @given(case=cases.lstm_cases(variants=("forget",)))
    @example(case=cases.lstm_case(cases.lstm_params_by_hand(W_h=[1.0, 1.0, 1.0, 1.0])))
    def literal_seed_D(case):
        H = case.c_prev.size
        seed = s.seed_terms(case.params, case.c_prev, case.o_prev, case.x)
        J = oracles.jacobian_reverse(_terms_stack(s, case), case.c_prev)
        tol = tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J)))))
        assertions.assert_close(seed["D"], J[3 * H:4 * H], tol, f"{ctx.id}: seed 003's D_t vs autograd's derivative through c̃_t",
                             ctx.repro(case=case), literal=True)
        assertions.assert_close(seed["full"], J[4 * H:], tol, f"{ctx.id}: seed 003's eq. (6) sum vs autograd's ∂c_t/∂c_(t−1)",
                             ctx.repro(case=case), literal=True)


def _input_gate_from_candidate(params):
    """The LSTM whose input gate i reuses the candidate's weights W_xc, W_hc, b_c (what the appendix differentiates)."""
    H = params["W_h"].shape[1]
    g = cases.gate_index("forget", "g")
    return cases.with_blocks(params, "forget", H, **{f"{k}_i": params[k][g * H:(g + 1) * H] for k in ("W_x", "W_h", "b")})


@claim_check("LSTM-SEED003-C-APPENDIX",
             subject={"gates": lstm.gates, "terms": lstm.cell_jacobian_terms, "seed_terms": lstm.cell_jacobian_terms_seed003},
             plants={"appendix C_t 'fixed' to eq. (6)'s C_t (the refutation disappears)":
                     {"seed_terms": lambda p, c_prev, o_prev, x: {**lstm.cell_jacobian_terms_seed003(p, c_prev, o_prev, x),
                                                                  "C_appendix": lstm.cell_jacobian_terms_seed003(p, c_prev, o_prev, x)["C"]}}})
def seed003_c_term_needs_the_input_gate_weights(ctx, s):
    """Seed 003's appendix C_t = σ'(W_c·[h,x])·W_c·dh·c̃_t is wrong: ∂i_t/∂c_{t−1} needs W_i, σ'(W_i·[h,x]).  [LSTM-SEED003-C-APPENDIX]"""

    @ctx.holds
    @given(case=cases.lstm_cases(variants=("forget",), max_H=2))   # the seed's error is structural: H ≤ 2 shows it, FD stays cheap
    @example(case=_H3_CASE)
    def appendix_differentiates_the_wrong_gate(case):
        """What is true: the appendix's C_t is exactly the i-path derivative of the LSTM whose input gate has the
        candidate's weights (three oracles); eq. (6)'s own C_t is right (checked in LSTM-CELL-JACOBIAN-TERMS)."""
        H = case.c_prev.size
        seed = s.seed_terms(case.params, case.c_prev, case.o_prev, case.x)
        swapped = case._replace(params=_input_gate_from_candidate(case.params))
        stack = _terms_stack(s, swapped)
        i_path = lambda u: stack(u)[2 * H:3 * H]
        J = oracles.check_jacobian(i_path, case.c_prev, closed_form=seed["C_appendix"],
                                   label=f"{ctx.id}: appendix C_t vs the i-path of the LSTM with W_i := W_c", reproduce=ctx.repro(case=case))
        target(float(np.max(np.abs(J - seed["C"]))), label="|C_appendix − C_eq6|")

    @ctx.refutes(max_examples=12, reason=_STRUCTURAL_REASON)
    @given(case=cases.lstm_cases(variants=("forget",)))
    @example(case=cases.lstm_case(cases.lstm_params_by_hand(W_h=[0.0, 0.0, 0.5, 0.5], b=[0.5, 0.5, 0.5, 0.5])))
    def literal_appendix_C(case):
        H = case.c_prev.size
        seed = s.seed_terms(case.params, case.c_prev, case.o_prev, case.x)
        J = oracles.jacobian_reverse(_terms_stack(s, case), case.c_prev)[2 * H:3 * H]
        assertions.assert_close(seed["C_appendix"], J, tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{ctx.id}: the appendix's C_t (W_c, σ'(W_c·[h,x])) vs autograd's derivative through i_t", ctx.repro(case=case),
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
def per_step_balance_does_not_balance_the_product(ctx, s):
    """‖∏_{t=2}^k J_t‖ ∈ [∏σ_min(J_t), ∏‖J_t‖₂], J_t = A+B+C+D: a per-step sum ≈ 1 does not make the product ≈ 1.  [LSTM-SEED003-BALANCING]"""

    @ctx.holds
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
        assertions.assert_le(nP, upper, tol, f"{ctx.id}: ‖∏J‖ vs ∏‖J_t‖₂ (k − 1 = {n})")
        assertions.assert_le(lower, nP, tol, f"{ctx.id}: ∏σ_min(J_t) vs ‖∏J‖ (k − 1 = {n})")
        if case["constant"]:
            # J = (0.7+δ)I + 3(0.1+δ)·11ᵀ (matrix reading) or (1+4δ)I (vector reading): symmetric positive
            # definite, so ‖J^(k−1)‖₂ = ‖J‖₂^(k−1) with ‖J‖₂ = 0.7 + δ + 3H(0.1 + δ), resp. 1 + 4δ.
            rho = (1 + 4 * off) if case["diagonal"] else (0.7 + off + 3 * H * (0.1 + off))
            assertions.assert_close(nP, rho ** n, tol, f"{ctx.id}: constant J_t: ‖J^{n}‖₂ vs ‖J‖₂^{n} = {rho!r}^{n} (H = {H}, δ = {off!r})")

    @ctx.refutes
    @given(case=_balanced_products(diagonal=True))
    @example(case=_balance_case(H=1, k=24, diagonal=True, off=2.0**-7))
    def literal_vector_reading(case):
        nP = float(np.linalg.norm(s.product(case["Js"]), 2))
        target(abs(np.log(max(nP, 1e-300))), label="|log ‖∏J‖| (vectors)")
        # "≈ ∏ 1 ↛ 0 and the product does not vanish", read as: within a factor 2 of 1 for every k ≤ 200
        literal(0.5 <= nP <= 2.0, f"{ctx.id}: terms within ±{_BALANCE_DELTA} of (0.1, 0.7, 0.1, 0.1) but "
                                f"‖∏_(t=2..{len(case['Js']) + 1}) J_t‖ = {nP!r}")

    @ctx.refutes
    @given(case=_balanced_products(diagonal=False, min_H=2))   # H = 1 is the vector reading again
    @example(case=_balance_case(H=2, k=4, diagonal=False))
    def literal_matrix_reading(case):
        nP = float(np.linalg.norm(s.product(case["Js"]), 2))
        target(abs(np.log(max(nP, 1e-300))), label="|log ‖∏J‖| (matrices)")
        literal(0.5 <= nP <= 2.0, f"{ctx.id}: terms within ±{_BALANCE_DELTA} of (0.1, 0.7, 0.1, 0.1) but "
                                f"‖∏_(t=2..{len(case['Js']) + 1}) J_t‖ = {nP!r}")


# ================================================================ seed 003 eq. (4): chaining ∂c_t/∂c_{t−1} alone

def _seed003_chain(params, c0, o0, xs):
    """Seed 003 eq. (4): ∏_t ∂c_t/∂c_{t−1} = J_T ⋯ J_1 with J_t = (A+B+C+D)_t at the trajectory's c_{t−1}, o_{t−1}."""
    H = c0.size
    steps = cases.rollout(lstm.gates, params, o0 * act.tanh(c0), c0, xs)
    P, c_prev, o_prev = np.eye(H), c0, o0
    for t, x in enumerate(xs):
        P = lstm.cell_jacobian_terms(params, c_prev, o_prev, x)["full"] @ P
        c_prev, o_prev = steps[t]["c"], steps[t]["o"]
    return P


def _reversed_chain(params, c0, o0, xs):
    """Bug: the product J_1 ⋯ J_T (earliest step on the left)."""
    H = c0.size
    steps = cases.rollout(lstm.gates, params, o0 * act.tanh(c0), c0, xs)
    P, c_prev, o_prev = np.eye(H), c0, o0
    for t, x in enumerate(xs):
        P = P @ lstm.cell_jacobian_terms(params, c_prev, o_prev, x)["full"]
        c_prev, o_prev = steps[t]["c"], steps[t]["o"]
    return P


def _chain_o_off_by_one(params, c0, o0, xs):
    """Bug: J_t evaluated with o_t (this step's output gate) in place of o_{t−1}."""
    H = c0.size
    steps = cases.rollout(lstm.gates, params, o0 * act.tanh(c0), c0, xs)
    P, c_prev = np.eye(H), c0
    for t, x in enumerate(xs):
        P = lstm.cell_jacobian_terms(params, c_prev, steps[t]["o"], x)["full"] @ P
        c_prev = steps[t]["c"]
    return P


@st.composite
def _chain_cases(draw, max_H=2, max_T=3):
    """A trajectory of T ≤ max_T steps (T = 2 already has the path c_0 → h_0 → o_1 → h_1 → c_2) from c_0 with h_0 = o_0⊙tanh(c_0); FD runs through all T steps, so H ≤ 2."""
    case = draw(cases.lstm_cases(variants=("forget",), max_H=max_H))
    T = draw(st.integers(2, max_T), label="T")
    xs = draw(vectors(T * case.x.size, -3.0, 3.0), label="xs").reshape(T, -1)
    return case, xs


@claim_check("LSTM-SEED003-CELL-CHAIN",
             subject={"forward": lstm.forward, "chain": _seed003_chain},
             plants={"chain multiplied in the wrong order (J_1 ⋯ J_T)": {"chain": _reversed_chain},
                     "o_(t−1) taken from the current step (off by one)": {"chain": _chain_o_off_by_one}})
def cell_chain_rule_needs_the_hidden_state_too(ctx, s):
    """∂c_T/∂c_0 = ∏ (A+B+C+D)_t only if W_ho = 0; in general the state is (h, c) and o_{t−1} carries c_{t−2}.  [LSTM-SEED003-CELL-CHAIN]"""

    def c_T(case, params, xs):
        """c_0 ↦ c_T with h_0 = o_0⊙tanh(c_0): the true map the chain claims to differentiate."""
        return lambda u: s.forward(params, case.o_prev * act.tanh(u), u, xs)[1][-1]

    @ctx.holds(max_examples=15, reason="finite differences through a T-step forward pass per example")
    @given(traj=_chain_cases(), cut_output_gate=st.booleans())
    # both branches run in every profile (the record lists the closed form, used only when W_ho = 0)
    @example(traj=(cases.lstm_case(cases.lstm_params_by_hand(W_h=[0.5, 0.5, 0.5, 0.5], b=[0.0, 0.0, 0.5, 0.0]), o_prev=[0.5]), np.zeros((2, 1))), cut_output_gate=True)
    @example(traj=(cases.lstm_case(cases.lstm_params_by_hand(W_h=[0.5, 0.5, 0.5, 0.5], b=[0.0, 0.0, 0.5, 0.0]), o_prev=[0.5]), np.zeros((2, 1))), cut_output_gate=False)
    # H = 2 with different inputs per step: the step Jacobians do not commute, so the order of the product matters
    @example(traj=(cases.lstm_case(cases.lstm_params_by_hand(H=2, W_x=[0.4, -0.6, 0.9, 0.1, -0.8, 0.3, 0.5, 0.2],
                                                             W_h=[0.3, -0.7, 0.9, 0.2, 0.5, 0.1, -0.4, 0.6, 1.1, -0.3, 0.2, 0.8, 0.0, 0.0, 0.0, 0.0]),
                                   c_prev=[0.5, -0.3], o_prev=[0.7, 0.4]), np.array([[1.0], [-2.0]])), cut_output_gate=True)
    # H = 3, T = 3: beyond the strategy's H ≤ 2 (both branches)
    @example(traj=(_H3_CASE, np.array([[1.0], [-0.5], [0.25]])), cut_output_gate=True)
    @example(traj=(_H3_CASE, np.array([[1.0], [-0.5], [0.25]])), cut_output_gate=False)
    def chain_is_exact_iff_output_gate_ignores_h(traj, cut_output_gate):
        case, xs = traj
        p = case.params
        if cut_output_gate:
            # W_ho = 0: o_t no longer depends on h_{t−1}, the state is c alone and eq. (4) is the chain rule
            p = cases.with_blocks(p, "forget", case.c_prev.size, W_h_o=0.0)
            oracles.check_jacobian(c_T(case, p, xs), case.c_prev, closed_form=s.chain(p, case.c_prev, case.o_prev, xs),
                                   label=f"{ctx.id}: W_ho = 0: ∂c_T/∂c_0 vs ∏(A+B+C+D)", reproduce=ctx.repro(case=case))
        else:
            # the true ∂c_T/∂c_0 by the other two oracles: the value the literal chain is compared with
            J = oracles.check_jacobian(c_T(case, p, xs), case.c_prev, label=f"{ctx.id}: ∂c_T/∂c_0, autograd vs FD",
                                       reproduce=ctx.repro(case=case))
            target(float(np.max(np.abs(J - s.chain(p, case.c_prev, case.o_prev, xs)))), label="|true − chain|")

    @ctx.refutes
    @given(traj=_chain_cases())
    @example(traj=(cases.lstm_case(cases.lstm_params_by_hand(W_h=[0.0, 0.0, 0.5, 0.5], b=[0.0, 0.0, 0.5, 0.0]), o_prev=[0.0]), np.zeros((3, 1))))
    def literal_chain_of_cell_jacobians(traj):
        case, xs = traj
        J = oracles.jacobian_reverse(c_T(case, case.params, xs), case.c_prev)
        assertions.assert_close(s.chain(case.params, case.c_prev, case.o_prev, xs), J,
                             tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J))))),
                             f"{ctx.id}: seed 003 eq. (4) ∏(A+B+C+D) vs autograd's ∂c_T/∂c_0", ctx.repro(case=case), literal=True)
