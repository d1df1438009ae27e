"""Tests of the gated reference models (models/lstm.py, models/gru.py) and models/layouts.py.

Hand-derived Jacobians are compared with two independent oracles, autograd and
scipy.differentiate (tolerance from its own error estimate); layouts must round-trip
bitwise; and, when torch is installed, our steps must equal torch's cells in float64.
"""

import ast
import inspect

import autograd.numpy as anp
import numpy as np
import pytest
import scipy.differentiate
from autograd import jacobian
from vanishing.models import gru, layouts, lstm
from vanishing.models.activations import sigmoid_prime, tanh_prime

H, D = 3, 2  # H ≠ D so a transposed block cannot pass a shape check by accident
EPS = np.finfo(np.float64).eps
# autograd and the closed forms evaluate the same float64 sums in different orders:
# allow a few dozen ulps relative to the entries' scale (not an absolute-only tolerance).
AD_RTOL, AD_ATOL = 64 * EPS, 64 * EPS


def _rng(seed=0):
    return np.random.default_rng(seed)


def _lstm_case(variant, seed=0, scale=2.0):
    """Parameters at scale 2 (gates away from saturation but not linear) and a random state."""
    rng = _rng(seed)
    p = lstm.init_params(H, D, rng, scale=scale, variant=variant)
    return p, rng.normal(size=H), rng.normal(size=H), rng.normal(size=D)


def _gru_case(seed=0, scale=2.0):
    rng = _rng(seed)
    return gru.init_params(H, D, rng, scale=scale), rng.normal(size=H), rng.normal(size=D)


def _close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, rtol=AD_RTOL, atol=AD_ATOL, err_msg=what)


def _fd_jacobian(f, x):
    """scipy.differentiate.jacobian of a non-vectorized f: (m,) -> (n,); returns (df, error)."""
    res = scipy.differentiate.jacobian(lambda X: np.apply_along_axis(f, 0, X), x)
    # status −2 (iteration cap) is expected at entries whose exact value is 0: the relative
    # stopping rule cannot be met there, but df and its error estimate are still usable.
    assert np.all(res.status != -3), f"scipy.differentiate met a non-finite value: status {res.status}"
    return res.df, res.error


def _assert_fd(hand, f, x, what):
    """|hand − df| ≤ 4·error + 64·eps·(1 + |df|).

    ``error`` is scipy's estimate (the last change between Richardson iterates); 4× is
    headroom because it estimates, not bounds, the error; the eps term covers rounding
    once the iterates agree to the last bits.
    """
    df, err = _fd_jacobian(f, x)
    tol = 4 * err + 64 * EPS * (1 + np.abs(df))
    bad = np.abs(hand - df) > tol
    assert not bad.any(), f"{what}: hand {hand[bad]} vs finite differences {df[bad]} (tol {tol[bad]})"


# ---------------------------------------------------------------- shapes and bookkeeping

@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_shapes(variant):
    p, h, c, x = _lstm_case(variant)
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
    xs = np.vstack([x, _rng(1).normal(size=(4, D))])
    hs, cs = lstm.forward(p, h, c, xs, variant)
    assert hs.shape == cs.shape == (5, H)
    assert np.array_equal(hs[0], h1) and np.array_equal(cs[0], c1), "forward's first step must equal step()"
    assert np.array_equal(hs[1], lstm.step(p, h1, c1, xs[1], variant)[0]), "forward must carry (h, c)"
    hs0, cs0 = lstm.forward(p, h, c, np.zeros((0, D)), variant)
    assert hs0.shape == cs0.shape == (0, H)
    for J in (lstm.direct_path_jacobian(p, h, c, x, variant), lstm.h_jacobian(p, h, c, x, variant)):
        assert J.shape == (H, H)
    terms = lstm.cell_jacobian_terms(p, c, _rng(2).uniform(size=H), x, variant)
    assert set(terms) == {"A", "B", "C", "D", "full"} and all(v.shape == (H, H) for v in terms.values())
    assert lstm.param_count(H, D, variant) == sum(np.size(v) for v in p.values())


def test_lstm_param_count_formula():
    assert lstm.param_count(H, D) == 4 * (H * D + H * H + H)
    assert lstm.param_count(H, D, "cec") == 3 * (H * D + H * H + H)


def test_lstm_forget_bias_lands_in_f_block():
    p0 = lstm.init_params(H, D, _rng(), forget_bias=0.0)
    p1 = lstm.init_params(H, D, _rng(), forget_bias=1.0)
    diff = p1["b"] - p0["b"]
    assert np.array_equal(diff != 0, np.repeat([False, True, False, False], H)), f"b difference {diff}"


@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_shapes(reset):
    p, h, x = _gru_case()
    s = gru.gates(p, h, x, reset)
    assert set(s) == {"a_r", "a_z", "a_n", "hn", "r", "z", "n", "h"}
    assert all(np.shape(v) == (H,) for v in s.values())
    assert gru.step(p, h, x, reset).shape == (H,)
    xs = _rng(1).normal(size=(4, D))
    hs = gru.forward(p, h, xs, reset)
    assert hs.shape == (4, H) and np.array_equal(hs[0], gru.step(p, h, xs[0], reset))
    assert np.array_equal(hs[1], gru.step(p, hs[0], xs[1], reset)), "forward must carry h"
    assert gru.forward(p, h, np.zeros((0, D)), reset).shape == (0, H)
    assert gru.step_jacobian(p, h, x, reset).shape == gru.direct_path_jacobian(p, h, x, reset).shape == (H, H)
    assert gru.param_count(H, D) == sum(np.size(v) for v in p.values()) == 3 * (H * D + H * H + 2 * H)


def test_reset_conventions_differ():
    p, h, x = _gru_case()
    assert not np.allclose(gru.step(p, h, x, "after"), gru.step(p, h, x, "before")), \
        "with nonzero b_hn and r ≠ 1 the two GRU conventions must give different steps"


def test_public_names():
    for mod in (lstm, gru, layouts):
        assert all(hasattr(mod, name) for name in mod.__all__), f"{mod.__name__}.__all__ names a missing object"


def test_layouts_imports_no_torch():
    tree = ast.parse(inspect.getsource(layouts))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "torch" for name in names), f"layouts imports {names}"


# ---------------------------------------------------------------- bad inputs

def _bad_lstm_calls():
    p, h, c, x = _lstm_case("forget")
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
        ("H", "positive int", "0", lambda: lstm.init_params(0, D, _rng())),
        ("rng", "Generator", "int", lambda: lstm.init_params(H, D, 0)),
        ("forget_bias", "cec", "", lambda: lstm.init_params(H, D, _rng(), variant="cec", forget_bias=1.0)),
        ("scale", "finite", "", lambda: lstm.init_params(H, D, _rng(), scale=np.inf)),
    ]


def _bad_gru_calls():
    p, h, x = _gru_case()
    nan_p = dict(p, b_h=np.full(3 * H, np.inf))
    return [
        ("h_prev", "(3,)", "(4,)", lambda: gru.step(p, np.zeros(4), x)),
        ("x", "(2,)", "(1,)", lambda: gru.step_jacobian(p, h, np.zeros(1))),
        ("params['b_h']", "non-finite", "9", lambda: gru.step(nan_p, h, x)),
        ("reset", "after", "'middle'", lambda: gru.step(p, h, x, "middle")),
        ("params", "dict", "list", lambda: gru.step([p], h, x)),
        ("D", "positive int", "1.5", lambda: gru.init_params(H, 1.5, _rng())),
    ]


@pytest.mark.parametrize("name, expected, received, call", _bad_lstm_calls() + _bad_gru_calls(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_bad_input_raises_naming_parameter(name, expected, received, call):
    with pytest.raises(ValueError) as err:
        call()
    msg = str(err.value)
    assert msg.startswith(name) and expected in msg and received in msg, f"unhelpful message: {msg!r}"


# ---------------------------------------------------------------- Jacobians vs autograd

@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_direct_path_vs_autograd(variant):
    p, h, c, x = _lstm_case(variant)
    J = jacobian(lambda c_: lstm.step(p, h, c_, x, variant)[1])(c)
    _close(lstm.direct_path_jacobian(p, h, c, x, variant), J, f"∂c_t/∂c_(t-1) at fixed h_(t-1), {variant}")


def test_lstm_direct_path_is_diag_f_without_peepholes():
    p, h, c, x = _lstm_case("forget")
    assert np.array_equal(lstm.direct_path_jacobian(p, h, c, x), np.diag(lstm.gates(p, h, c, x)["f"]))
    p, h, c, x = _lstm_case("cec")
    assert np.array_equal(lstm.direct_path_jacobian(p, h, c, x, "cec"), np.eye(H))
    p, h, c, x = _lstm_case("peephole")
    J = lstm.direct_path_jacobian(p, h, c, x, "peephole")
    assert not np.allclose(np.diag(J), lstm.gates(p, h, c, x, "peephole")["f"]), "peephole terms must count"


@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_h_jacobian_vs_autograd(variant):
    p, h, c, x = _lstm_case(variant)
    J = jacobian(lambda h_: lstm.step(p, h_, c, x, variant)[0])(h)
    _close(lstm.h_jacobian(p, h, c, x, variant), J, f"∂h_t/∂h_(t-1) at fixed c_(t-1), {variant}")


@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_cell_terms_vs_autograd(variant):
    """Each of A, C, D is the Jacobian of one product-rule piece of c_t = f⊙c_{t-1} + i⊙g."""
    p, _, c, x = _lstm_case(variant)
    o = _rng(3).uniform(size=H)
    s0 = lstm.gates(p, o * np.tanh(c), c, x, variant)

    def gate(c_, k):
        return lstm.gates(p, o * anp.tanh(c_), c_, x, variant)[k]

    terms = lstm.cell_jacobian_terms(p, c, o, x, variant)
    full = jacobian(lambda c_: lstm.step(p, o * anp.tanh(c_), c_, x, variant)[1])(c)
    _close(terms["full"], full, f"A+B+C+D vs autograd, {variant}")
    if variant != "cec":
        _close(terms["A"], jacobian(lambda c_: gate(c_, "f") * c)(c), f"A (through f), {variant}")
    _close(terms["B"], np.diag(s0["f"]), f"B = diag(f), {variant}")
    _close(terms["C"], jacobian(lambda c_: gate(c_, "i") * s0["g"])(c), f"C (through i), {variant}")
    _close(terms["D"], jacobian(lambda c_: s0["i"] * gate(c_, "g"))(c), f"D (through g), {variant}")


@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_step_jacobian_vs_autograd(reset):
    p, h, x = _gru_case()
    J = jacobian(lambda h_: gru.step(p, h_, x, reset))(h)
    _close(gru.step_jacobian(p, h, x, reset), J, f"GRU ∂h_t/∂h_(t-1), reset={reset}")


@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_direct_path_vs_autograd(reset):
    p, h, x = _gru_case()
    s = gru.gates(p, h, x, reset)
    J = jacobian(lambda h_: (1 - s["z"]) * s["n"] + s["z"] * h_)(h)  # gates held at their values at h
    _close(gru.direct_path_jacobian(p, h, x, reset), J, f"GRU diag(z), reset={reset}")


# ---------------------------------------------------------------- Jacobians vs finite differences

@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_lstm_jacobians_vs_scipy(variant):
    p, h, c, x = _lstm_case(variant)
    o = _rng(3).uniform(size=H)
    _assert_fd(lstm.h_jacobian(p, h, c, x, variant), lambda h_: lstm.step(p, h_, c, x, variant)[0], h,
               f"∂h_t/∂h_(t-1), {variant}")
    _assert_fd(lstm.direct_path_jacobian(p, h, c, x, variant), lambda c_: lstm.step(p, h, c_, x, variant)[1], c,
               f"∂c_t/∂c_(t-1) at fixed h, {variant}")
    _assert_fd(lstm.cell_jacobian_terms(p, c, o, x, variant)["full"],
               lambda c_: lstm.step(p, o * np.tanh(c_), c_, x, variant)[1], c, f"A+B+C+D, {variant}")


@pytest.mark.parametrize("reset", gru.RESETS)
def test_gru_step_jacobian_vs_scipy(reset):
    p, h, x = _gru_case()
    _assert_fd(gru.step_jacobian(p, h, x, reset), lambda h_: gru.step(p, h_, x, reset), h, f"GRU, reset={reset}")


def test_planted_error_is_caught():
    """The FD check is not vacuous: a Jacobian off by 0.1% in one entry fails it."""
    p, h, c, x = _lstm_case("forget")
    wrong = lstm.h_jacobian(p, h, c, x)
    wrong[0, 1] *= 1.001
    with pytest.raises(AssertionError, match="finite differences"):
        _assert_fd(wrong, lambda h_: lstm.step(p, h_, c, x)[0], h, "planted")


# ---------------------------------------------------------------- seed 003 eq. (6)

def test_seed003_terms_right_and_wrong():
    """Seed 003 eq. (6): A, B and the printed C are right; D (σ' for tanh') and the appendix's C (W_c) are wrong."""
    p, _, c, x = _lstm_case("forget")
    o = _rng(3).uniform(size=H)
    seed = lstm.cell_jacobian_terms_seed003(p, c, o, x)
    ours = lstm.cell_jacobian_terms(p, c, o, x)
    for k in "ABC":
        _close(seed[k], ours[k], f"seed 003 {k}_t should be right")
    assert not np.allclose(seed["D"], ours["D"]), "seed 003 D_t (σ' of the tanh candidate) should be wrong"
    assert not np.allclose(seed["C_appendix"], ours["C"]), "seed 003 appendix C_t (W_c) should be wrong"
    s = lstm.gates(p, o * np.tanh(c), c, x)
    ratio = sigmoid_prime(s["a_g"]) / tanh_prime(s["a_g"])  # σ'(a)/tanh'(a): the seed's D is off row-wise by this
    _close(seed["D"], ratio[:, None] * ours["D"], "seed D = diag(σ'/tanh') · true D")
    full = jacobian(lambda c_: lstm.step(p, o * anp.tanh(c_), c_, x)[1])(c)
    assert not np.allclose(seed["full"], full), "the seed's A+B+C+D should differ from autograd"


# ---------------------------------------------------------------- layouts

def _canonical(kind, seed=0):
    rng = _rng(seed)
    if kind == "rnn":
        p = {"W_hh": rng.normal(size=(H, H)), "W_xh": rng.normal(size=(H, D)), "b": rng.normal(size=H)}
    elif kind == "lstm":
        p = lstm.init_params(H, D, rng)
    else:
        p = gru.init_params(H, D, rng)
    bias = "b" if "b" in p else "b_x"
    p[bias][0] = -0.0  # a signed zero must survive: np.array_equal alone would not notice +0.0
    return p


def _assert_same(a, b, what):
    assert set(a) == set(b), f"{what}: keys {sorted(a)} vs {sorted(b)}"
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), f"{what}: {k} differs"
        assert np.array_equal(np.signbit(a[k]), np.signbit(b[k])), f"{what}: {k} lost a sign bit"


@pytest.mark.parametrize("kind", layouts.KINDS)
def test_torch_round_trip_bitwise(kind):
    p = _canonical(kind)
    t = layouts.to_torch(kind, p)
    assert set(t) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    _assert_same(layouts.from_torch(kind, t), p, f"canonical→torch→canonical, {kind}")
    if kind != "gru":
        assert not np.any(t["bias_hh"]), "rnn/lstm: to_torch writes zeros to bias_hh"


def test_from_torch_sums_biases_and_accepts_l0_suffix():
    rng = _rng(4)
    t = {"weight_ih_l0": rng.normal(size=(4 * H, D)), "weight_hh_l0": rng.normal(size=(4 * H, H)),
         "bias_ih_l0": rng.normal(size=4 * H), "bias_hh_l0": rng.normal(size=4 * H)}
    p = layouts.from_torch("lstm", t)
    assert np.array_equal(p["b"], t["bias_ih_l0"] + t["bias_hh_l0"])


@pytest.mark.parametrize("kind, reset_after", [("rnn", True), ("lstm", True), ("gru", True), ("gru", False)])
def test_keras_round_trip_bitwise(kind, reset_after):
    p = _canonical(kind)
    if kind == "gru" and not reset_after:
        p["b_h"] = np.zeros(3 * H)  # Keras reset_after=False has no recurrent bias
    w = layouts.to_keras(kind, p, reset_after=reset_after)
    n = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    assert w[0].shape == (D, n * H) and w[1].shape == (H, n * H)
    assert w[2].shape == ((2, 3 * H) if kind == "gru" and reset_after else (n * H,))
    _assert_same(layouts.from_keras(kind, w, reset_after=reset_after), p, f"canonical→keras→canonical, {kind}")
    _assert_same(layouts.from_keras(kind, dict(zip(("kernel", "recurrent_kernel", "bias"), w)),
                                    reset_after=reset_after), p, f"dict form, {kind}")


def test_keras_gru_before_rejects_nonzero_b_h_unless_folded():
    p = _canonical("gru")
    with pytest.raises(ValueError, match=r"params\['b_h'\].*fold_bias"):
        layouts.to_keras("gru", p, reset_after=False)
    back = layouts.from_keras("gru", layouts.to_keras("gru", p, reset_after=False, fold_bias=True), reset_after=False)
    assert np.array_equal(back["b_x"], p["b_x"] + p["b_h"]) and not np.any(back["b_h"])
    _, h, x = _gru_case()
    np.testing.assert_allclose(gru.step(back, h, x, "before"), gru.step(p, h, x, "before"), rtol=AD_RTOL, atol=AD_ATOL)


def _keras_gru_step(w, h, x, reset_after):
    """Keras 3 GRUCell.call, implementation 2 (keras/src/layers/rnn/gru.py), transcribed for one sample."""
    kernel, recurrent, bias = w
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
    x_z, x_r, x_h = np.split(x @ kernel + input_bias, 3)
    inner = h @ recurrent + recurrent_bias if reset_after else h @ recurrent[:, :2 * H]
    z, r = 1 / (1 + np.exp(-(x_z + inner[:H]))), 1 / (1 + np.exp(-(x_r + inner[H:2 * H])))
    rec_h = r * inner[2 * H:] if reset_after else (r * h) @ recurrent[:, 2 * H:]
    return z * h + (1 - z) * np.tanh(x_h + rec_h)


def _keras_lstm_step(w, h, c, x):
    """Keras 3 LSTMCell.call (keras/src/layers/rnn/lstm.py): z = x·kernel + h·recurrent + bias, order i, f, c, o."""
    kernel, recurrent, bias = w
    z0, z1, z2, z3 = np.split(x @ kernel + h @ recurrent + bias, 4)
    i, f, o = (1 / (1 + np.exp(-z)) for z in (z0, z1, z3))
    c = f * c + i * np.tanh(z2)
    return o * np.tanh(c), c


@pytest.mark.parametrize("reset_after", [True, False])
def test_keras_gru_semantics(reset_after):
    """to_keras's reordering is right: the transcribed Keras GRU equals our step (reset_after ↔ reset)."""
    p, h, x = _gru_case()
    if not reset_after:
        p["b_h"] = np.zeros(3 * H)
    ours = gru.step(p, h, x, "after" if reset_after else "before")
    np.testing.assert_allclose(_keras_gru_step(layouts.to_keras("gru", p, reset_after), h, x, reset_after), ours,
                               rtol=AD_RTOL, atol=AD_ATOL)


def test_keras_lstm_semantics():
    p, h, c, x = _lstm_case("forget")
    kh, kc = _keras_lstm_step(layouts.to_keras("lstm", p), h, c, x)
    oh, oc = lstm.step(p, h, c, x)
    np.testing.assert_allclose(kh, oh, rtol=AD_RTOL, atol=AD_ATOL)
    np.testing.assert_allclose(kc, oc, rtol=AD_RTOL, atol=AD_ATOL)


def test_layout_bad_inputs():
    p = _canonical("lstm")
    with pytest.raises(ValueError, match="^kind"):
        layouts.to_torch("transformer", p)
    with pytest.raises(ValueError, match=r"unexpected \['p_f', 'p_i', 'p_o'\]"):
        layouts.to_torch("lstm", lstm.init_params(H, D, _rng(), variant="peephole"))
    with pytest.raises(ValueError, match=r"bias_hh.*expected shape \(12,\), got shape \(3,\)"):
        layouts.from_torch("lstm", dict(layouts.to_torch("lstm", p), bias_hh=np.zeros(3)))
    with pytest.raises(ValueError, match=r"bias.*expected shape \(2, 9\)"):
        layouts.from_keras("gru", layouts.to_keras("gru", dict(_canonical("gru"), b_h=np.zeros(9)), reset_after=False))


# ---------------------------------------------------------------- torch, if installed

def _torch_cell(kind, torch):
    cls = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind]
    return cls(D, H, dtype=torch.float64)


@pytest.mark.torch
@pytest.mark.parametrize("kind", layouts.KINDS)
def test_step_equals_torch_cell(kind):
    """Our step equals torch.nn.{RNN,LSTM,GRU}Cell in float64, both after to_torch and after from_torch."""
    torch = pytest.importorskip("torch")
    rng = _rng(5)
    h, c, x = rng.normal(size=H), rng.normal(size=H), rng.normal(size=D)
    cell = _torch_cell(kind, torch)

    def ours(p):
        if kind == "rnn":
            return (np.tanh(p["W_hh"] @ h + p["W_xh"] @ x + p["b"]),)
        if kind == "lstm":
            return lstm.step(p, h, c, x)
        return (gru.step(p, h, x, "after"),)

    def theirs():
        th, tc, tx = (torch.from_numpy(v)[None] for v in (h, c, x))
        with torch.no_grad():
            out = cell(tx, (th, tc)) if kind == "lstm" else cell(tx, th)
        return tuple(o[0].numpy() for o in (out if isinstance(out, tuple) else (out,)))

    # torch → canonical: torch's own random init, with a nonzero bias_hh to be summed
    for a, b in zip(ours(layouts.from_torch(kind, cell.state_dict())), theirs()):
        np.testing.assert_allclose(a, b, rtol=AD_RTOL, atol=AD_ATOL, err_msg=f"from_torch, {kind}")
    # canonical → torch
    p = _canonical(kind, seed=6)
    cell.load_state_dict({k: torch.from_numpy(v) for k, v in layouts.to_torch(kind, p).items()})
    for a, b in zip(ours(p), theirs()):
        np.testing.assert_allclose(a, b, rtol=AD_RTOL, atol=AD_ATOL, err_msg=f"to_torch, {kind}")
