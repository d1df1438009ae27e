"""models/lstm.py: shapes and bookkeeping of the three variants, bad input, the hand-derived Jacobians against
autograd and scipy.differentiate, seed 003's eq. (6) right and wrong, and saturated gates over T = 1,000 steps."""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import jacobian
from hypothesis import example, given
from hypothesis import strategies as st

from vanishing.checks import strategies
from vanishing.models import lstm
from vanishing.models.activations import sigmoid_prime, tanh_prime

from vanishing_testkit import (BIG, FEW, GATED_SIZES, T_LONG, assert_fd_agrees, assert_raises_naming, assert_ulps_close,
                               finite, lstm_case, strict)

H, D = GATED_SIZES


# ---------------------------------------------------------------- shapes and bookkeeping
@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_shapes(variant):
    p, h, c, x = lstm_case(variant)
    s = lstm.gates(p, h, c, x, variant)
    assert set(s) == {"a_i", "a_f", "a_g", "a_o", "i", "f", "g", "o", "c", "h"}
    for k, v in s.items():
        if variant == "cec" and k == "a_f":
            assert v is None, "cec has no forget gate: a_f must be None"
        else:
            assert np.shape(v) == (H,), f"gates()[{k!r}] has shape {np.shape(v)}"
    if variant == "cec":
        assert np.array_equal(s["f"], np.ones(H)), "cec: f must be ones"
    h1, c1 = lstm.step(p, h, c, x, variant)
    assert h1.shape == c1.shape == (H,)
    xs = np.vstack([x, np.random.default_rng(1).normal(size=(4, D))])
    hs, cs = lstm.forward(p, h, c, xs, variant)
    assert hs.shape == cs.shape == (5, H)
    assert np.array_equal(hs[0], h1) and np.array_equal(cs[0], c1), "forward's first step must equal step()"
    assert np.array_equal(hs[1], lstm.step(p, h1, c1, xs[1], variant)[0]), "forward must carry (h, c)"
    hs0, cs0 = lstm.forward(p, h, c, np.zeros((0, D)), variant)
    assert hs0.shape == cs0.shape == (0, H)
    for J in (lstm.direct_path_jacobian(p, h, c, x, variant), lstm.h_jacobian(p, h, c, x, variant)):
        assert J.shape == (H, H)
    terms = lstm.cell_jacobian_terms(p, c, np.random.default_rng(2).uniform(size=H), x, variant)
    assert set(terms) == {"A", "B", "C", "D", "full"} and all(v.shape == (H, H) for v in terms.values())
    assert lstm.param_count(H, D, variant) == sum(np.size(v) for v in p.values())


def test_lstm_param_count_formula():
    assert lstm.param_count(H, D) == 4 * (H * D + H * H + H)
    assert lstm.param_count(H, D, "cec") == 3 * (H * D + H * H + H)


def test_lstm_forget_bias_lands_in_f_block():
    p0 = lstm.init_params(H, D, np.random.default_rng(0), forget_bias=0.0)
    p1 = lstm.init_params(H, D, np.random.default_rng(0), forget_bias=1.0)
    diff = p1["b"] - p0["b"]
    assert np.array_equal(diff != 0, np.repeat([False, True, False, False], H)), f"b difference {diff}"


# ---------------------------------------------------------------- bad inputs
def _bad_lstm_calls():
    p, h, c, x = lstm_case("forget")
    nan_x = x.copy()
    nan_x[0] = np.nan
    no_b = {k: v for k, v in p.items() if k != "b"}
    short_Wh = dict(p, W_h=p["W_h"][:, :2])
    return [
        ("h_prev", "(3,)", "(4,)", lambda: lstm.step(p, np.zeros(4), c, x)),
        ("c_prev", "(3,)", "(3, 1)", lambda: lstm.gates(p, h, c[:, None], x)),
        ("x", "(2,)", "(3,)", lambda: lstm.h_jacobian(p, h, c, np.zeros(3))),
        ("x", "non-finite", "1", lambda: lstm.step(p, h, c, nan_x)),
        ("xs", "(*, 2)", "(4, 3)", lambda: lstm.forward(p, h, c, np.zeros((4, 3)))),
        ("h0", "(3,)", "(2,)", lambda: lstm.forward(p, np.zeros(2), c, np.zeros((4, 2)))),
        ("o_prev", "(3,)", "(5,)", lambda: lstm.cell_jacobian_terms(p, c, np.zeros(5), x)),
        ("variant", "forget", "'lstm'", lambda: lstm.step(p, h, c, x, "lstm")),
        ("params", "missing ['b']", "", lambda: lstm.step(no_b, h, c, x)),
        ("params", "missing ['p_f', 'p_i', 'p_o']", "", lambda: lstm.step(p, h, c, x, "peephole")),
        ("params['W_x']", "(9, 2)", "(12, 2)", lambda: lstm.step(p, h, c, x, "cec")),
        ("params['W_x']", "(8, 2)", "(12, 2)", lambda: lstm.step(short_Wh, h, c, x)),
        ("H", "positive int", "0", lambda: lstm.init_params(0, D, np.random.default_rng(0))),
        ("rng", "Generator", "int", lambda: lstm.init_params(H, D, 0)),
        ("forget_bias", "cec", "", lambda: lstm.init_params(H, D, np.random.default_rng(0), variant="cec", forget_bias=1.0)),
        ("scale", "finite", "", lambda: lstm.init_params(H, D, np.random.default_rng(0), scale=np.inf)),
    ]


@pytest.mark.parametrize("name, expected, received, call", _bad_lstm_calls(), ids=lambda v: v if isinstance(v, str) else "")
def test_bad_input_raises_naming_parameter(name, expected, received, call):
    assert_raises_naming(name, expected, received, call)


# ---------------------------------------------------------------- Jacobians vs autograd
@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_direct_path_vs_autograd(variant):
    p, h, c, x = lstm_case(variant)
    J = jacobian(lambda c_: lstm.step(p, h, c_, x, variant)[1])(c)
    assert_ulps_close(lstm.direct_path_jacobian(p, h, c, x, variant), J, f"∂c_t/∂c_(t-1) at fixed h_(t-1), {variant}")


def test_lstm_direct_path_is_diag_f_without_peepholes():
    p, h, c, x = lstm_case("forget")
    assert np.array_equal(lstm.direct_path_jacobian(p, h, c, x), np.diag(lstm.gates(p, h, c, x)["f"]))
    p, h, c, x = lstm_case("cec")
    assert np.array_equal(lstm.direct_path_jacobian(p, h, c, x, "cec"), np.eye(H))
    p, h, c, x = lstm_case("peephole")
    J = lstm.direct_path_jacobian(p, h, c, x, "peephole")
    assert not np.allclose(np.diag(J), lstm.gates(p, h, c, x, "peephole")["f"]), "peephole terms must count"


@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_h_jacobian_vs_autograd(variant):
    p, h, c, x = lstm_case(variant)
    J = jacobian(lambda h_: lstm.step(p, h_, c, x, variant)[0])(h)
    assert_ulps_close(lstm.h_jacobian(p, h, c, x, variant), J, f"∂h_t/∂h_(t-1) at fixed c_(t-1), {variant}")


@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_cell_terms_vs_autograd(variant):
    """Each of A, C, D is the Jacobian of one product-rule piece of c_t = f⊙c_{t-1} + i⊙g."""
    p, _, c, x = lstm_case(variant)
    o = np.random.default_rng(3).uniform(size=H)
    s0 = lstm.gates(p, o * np.tanh(c), c, x, variant)

    def gate(c_, k):
        return lstm.gates(p, o * anp.tanh(c_), c_, x, variant)[k]

    terms = lstm.cell_jacobian_terms(p, c, o, x, variant)
    full = jacobian(lambda c_: lstm.step(p, o * anp.tanh(c_), c_, x, variant)[1])(c)
    assert_ulps_close(terms["full"], full, f"A+B+C+D vs autograd, {variant}")
    if variant != "cec":
        assert_ulps_close(terms["A"], jacobian(lambda c_: gate(c_, "f") * c)(c), f"A (through f), {variant}")
    assert_ulps_close(terms["B"], np.diag(s0["f"]), f"B = diag(f), {variant}")
    assert_ulps_close(terms["C"], jacobian(lambda c_: gate(c_, "i") * s0["g"])(c), f"C (through i), {variant}")
    assert_ulps_close(terms["D"], jacobian(lambda c_: s0["i"] * gate(c_, "g"))(c), f"D (through g), {variant}")


# ---------------------------------------------------------------- Jacobians vs finite differences
@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_jacobians_vs_scipy(variant):
    p, h, c, x = lstm_case(variant)
    o = np.random.default_rng(3).uniform(size=H)
    assert_fd_agrees(lstm.h_jacobian(p, h, c, x, variant), lambda h_: lstm.step(p, h_, c, x, variant)[0], h,
                     f"∂h_t/∂h_(t-1), {variant}")
    assert_fd_agrees(lstm.direct_path_jacobian(p, h, c, x, variant), lambda c_: lstm.step(p, h, c_, x, variant)[1], c,
                     f"∂c_t/∂c_(t-1) at fixed h, {variant}")
    assert_fd_agrees(lstm.cell_jacobian_terms(p, c, o, x, variant)["full"],
                     lambda c_: lstm.step(p, o * np.tanh(c_), c_, x, variant)[1], c, f"A+B+C+D, {variant}")


def test_planted_error_is_caught():
    """The FD check is not vacuous: a Jacobian off by 0.1% in one entry fails it."""
    p, h, c, x = lstm_case("forget")
    wrong = lstm.h_jacobian(p, h, c, x)
    wrong[0, 1] *= 1.001
    with pytest.raises(AssertionError, match="finite differences"):
        assert_fd_agrees(wrong, lambda h_: lstm.step(p, h_, c, x)[0], h, "planted")


# ---------------------------------------------------------------- seed 003 eq. (6)
def test_seed003_terms_right_and_wrong():
    """Seed 003 eq. (6): A, B and the printed C are right; D (σ' for tanh') and the appendix's C (W_c) are wrong."""
    p, _, c, x = lstm_case("forget")
    o = np.random.default_rng(3).uniform(size=H)
    seed = lstm.cell_jacobian_terms_seed003(p, c, o, x)
    ours = lstm.cell_jacobian_terms(p, c, o, x)
    for k in "ABC":
        assert_ulps_close(seed[k], ours[k], f"seed 003 {k}_t should be right")
    assert not np.allclose(seed["D"], ours["D"]), "seed 003 D_t (σ' of the tanh candidate) should be wrong"
    assert not np.allclose(seed["C_appendix"], ours["C"]), "seed 003 appendix C_t (W_c) should be wrong"
    s = lstm.gates(p, o * np.tanh(c), c, x)
    ratio = sigmoid_prime(s["a_g"]) / tanh_prime(s["a_g"])  # σ'(a)/tanh'(a): the seed's D is off row-wise by this
    assert_ulps_close(seed["D"], ratio[:, None] * ours["D"], "seed D = diag(σ'/tanh') · true D")
    full = jacobian(lambda c_: lstm.step(p, o * anp.tanh(c_), c_, x)[1])(c)
    assert not np.allclose(seed["full"], full), "the seed's A+B+C+D should differ from autograd"


# ---------------------------------------------------------------- written for mutation survivors
@pytest.mark.survivor
def test_lstm_init_names_a_bad_forget_bias():
    # pins: a non-finite forget_bias is refused with an error naming forget_bias as written (a mutant upper-cased it)
    with pytest.raises(ValueError, match=r"^forget_bias: "):
        lstm.init_params(2, 1, np.random.default_rng(0), forget_bias=np.nan)


@pytest.mark.survivor
def test_lstm_forward_names_a_bad_initial_cell_state():
    # pins: forward names c0 when the initial cell state has the wrong shape (a mutant misnamed it)
    p = lstm.init_params(2, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^c0: "):
        lstm.forward(p, np.zeros(2), np.zeros(3), np.zeros((2, 1)))


@pytest.mark.survivor
def test_lstm_init_names_a_bad_variant():
    # pins: init_params names variant when it is not one of lstm.VARIANTS (a mutant passed None as the name)
    with pytest.raises(ValueError, match=r"^variant: "):
        lstm.init_params(2, 1, np.random.default_rng(0), variant="peephole-ish")


@pytest.mark.survivor
def test_lstm_init_draws_every_parameter_from_both_sides_of_zero():
    # pins: every parameter is drawn from U(−k, k), k = 1/√H, as the docstring says. A mutant drew b from U(+k, k)
    # (every bias = k), and no test read that
    H, D = 16, 3
    k = 1.0 / np.sqrt(H)
    for variant in lstm.VARIANTS:
        P = lstm.init_params(H, D, np.random.default_rng(0), variant=variant, forget_bias=0.0)
        for key, value in P.items():
            assert value.min() < 0.0 < value.max() and np.all(np.abs(value) <= k), (variant, key)


# ---------------------------------------------------------------- T = 1,000 steps, saturated gates (the slow tier)
def _lstm_saturated(variant, H=2, D=1, forget=BIG, inp=-BIG):
    """Parameters with the forget bias ``forget`` and the input-gate bias ``inp`` (the gate order of lstm.GATES)."""
    p = lstm.init_params(H, D, np.random.default_rng(3), variant=variant)
    order = lstm.GATES[variant]
    b = p["b"].copy()
    b[order.index("i") * H:(order.index("i") + 1) * H] = inp
    if "f" in order:
        b[order.index("f") * H:(order.index("f") + 1) * H] = forget
    return {**p, "b": b}


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["forget", "cec", "peephole"])
def test_lstm_forget_gate_saturated_open_carries_the_cell_exactly(variant):
    """b_f = +1e3, b_i = −1e3: f = 1, i = 0 exactly, so c_t = c_0 for all 1,000 steps and the direct path is I."""
    P = _lstm_saturated(variant)
    rng = np.random.default_rng(4)
    h0, c0, xs = rng.normal(size=2), rng.normal(size=2), rng.uniform(-3, 3, (T_LONG, 1))
    with strict():
        hs, cs = lstm.forward(P, h0, c0, xs, variant=variant)
        Jc = lstm.direct_path_jacobian(P, h0, c0, xs[0], variant=variant)
        Jh = lstm.h_jacobian(P, h0, c0, xs[0], variant=variant)
    assert hs.shape == cs.shape == (T_LONG, 2)
    finite(hs, cs, Jc, Jh)
    assert np.all(cs == c0), f"{variant}: the cell drifted by {np.max(np.abs(cs - c0))}"
    assert np.array_equal(Jc, np.eye(2)), f"{variant}: direct path {Jc}, expected I exactly"
    assert np.all(np.abs(hs) <= 1.0)


@pytest.mark.slow
@FEW
@given(variant=st.sampled_from(["forget", "cec", "peephole"]),
       P_scale=st.sampled_from([1.0, 300.0]), xs=strategies.sequences(T_LONG, 1, -BIG, BIG))
@example(variant="forget", P_scale=300.0, xs=np.full((T_LONG, 1), -BIG)).via("every gate saturated")
@example(variant="peephole", P_scale=300.0, xs=np.full((T_LONG, 1), BIG)).via("peepholes saturated")
def test_lstm_sequence_of_1000_steps_at_extreme_inputs(variant, P_scale, xs):
    """lstm.forward over T = 1,000 with inputs ±1e3 and weights ×300 (pre-activations ~1e5): finite, |h| ≤ 1, |c_t| ≤ t + |c_0|."""
    p = lstm.init_params(2, 1, np.random.default_rng(5), variant=variant)
    p = {k: v * P_scale for k, v in p.items()}
    with strict():
        hs, cs = lstm.forward(p, np.zeros(2), np.zeros(2), xs, variant=variant)
    assert hs.shape == cs.shape == (T_LONG, 2)
    finite(hs, cs)
    assert np.all(np.abs(hs) <= 1.0)
    # |c_t| ≤ |f||c_{t−1}| + |i||g| ≤ |c_{t−1}| + 1 (σ ∈ [0, 1], |tanh| ≤ 1)
    assert np.all(np.abs(cs) <= np.arange(1, T_LONG + 1)[:, None] * (1 + 1e-12))
