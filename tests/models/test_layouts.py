"""models/layouts.py: the canonical ↔ torch and canonical ↔ Keras layouts round-trip bitwise, the reordered
weights compute what Keras and torch compute, the parameter sets, and bad input. layouts imports no torch; when
torch is installed, our steps must equal torch's cells in float64."""
import ast
import inspect

import numpy as np
import pytest

from vanishing.models import gru, layouts, lstm

from vanishing_testkit import GATED_SIZES, assert_ulps_close, gru_case, lstm_case

H, D = GATED_SIZES


def test_layouts_imports_no_torch():
    tree = ast.parse(inspect.getsource(layouts))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "torch" for name in names), f"layouts imports {names}"


def _canonical(kind, seed=0):
    rng = np.random.default_rng(seed)
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
    rng = np.random.default_rng(4)
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
    _, h, x = gru_case()
    assert_ulps_close(gru.step(back, h, x, "before"), gru.step(p, h, x, "before"), "b_h folded into b_x: the same step")


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
    p, h, x = gru_case()
    if not reset_after:
        p["b_h"] = np.zeros(3 * H)
    ours = gru.step(p, h, x, "after" if reset_after else "before")
    assert_ulps_close(_keras_gru_step(layouts.to_keras("gru", p, reset_after), h, x, reset_after), ours,
                      f"Keras GRU, reset_after={reset_after}")


def test_keras_lstm_semantics():
    p, h, c, x = lstm_case("forget")
    kh, kc = _keras_lstm_step(layouts.to_keras("lstm", p), h, c, x)
    oh, oc = lstm.step(p, h, c, x)
    assert_ulps_close(kh, oh, "Keras LSTM: h")
    assert_ulps_close(kc, oc, "Keras LSTM: c")


def test_layout_bad_inputs():
    p = _canonical("lstm")
    with pytest.raises(ValueError, match="^kind"):
        layouts.to_torch("transformer", p)
    with pytest.raises(ValueError, match=r"unexpected \['p_f', 'p_i', 'p_o'\]"):
        layouts.to_torch("lstm", lstm.init_params(H, D, np.random.default_rng(0), variant="peephole"))
    with pytest.raises(ValueError, match=r"bias_hh.*expected shape \(12,\), got shape \(3,\)"):
        layouts.from_torch("lstm", dict(layouts.to_torch("lstm", p), bias_hh=np.zeros(3)))
    with pytest.raises(ValueError, match=r"bias.*expected shape \(2, 9\)"):
        layouts.from_keras("gru", layouts.to_keras("gru", dict(_canonical("gru"), b_h=np.zeros(9)), reset_after=False))


def test_param_set_shapes_refuse_an_unknown_set_by_its_name():
    rogue = layouts.ParamSet("rogue", ("gru",), {}, "no such mapping")
    assert repr(rogue) == "ParamSet('rogue')"
    with pytest.raises(AssertionError, match="^rogue$"):
        rogue.shapes("gru", 2, 3)
    with pytest.raises(AssertionError, match="^rogue$"):
        rogue.to_canonical("gru", {})
    assert layouts.param_set(rogue) is rogue


# ---------------------------------------------------------------- written for mutation survivors
@pytest.mark.survivor
def test_from_torch_names_the_four_state_dict_keys_it_expects():
    # pins: the whole error for a state dict that is not a dict, with the four keys spelt as torch spells them (a
    # mutant misspelt bias_hh in it)
    with pytest.raises(ValueError, match=r"^tensors_or_arrays: expected a dict with keys \['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'\], got list$"):
        layouts.from_torch("lstm", [])


@pytest.mark.survivor
def test_a_bad_canonical_parameter_set_is_named_params():
    # pins: to_torch names its argument params when a canonical key is missing (a mutant renamed it)
    with pytest.raises(ValueError, match=r"^params: expected keys"):
        layouts.to_torch("rnn", {"W_hh": np.eye(2), "W_xh": np.ones((2, 1))})


@pytest.mark.survivor
@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_to_torch_checks_the_second_bias_of_a_two_bias_set(kind):
    # pins: a two-bias set's b_h becomes bias_hh as it is, and a b_h of the wrong size is refused by shape (a mutant
    # without that check passed it through)
    n = {"rnn": 1, "lstm": 4}[kind] * 2
    W = ({"W_hh": np.eye(2), "W_xh": np.ones((2, 1))} if kind == "rnn" else {"W_h": np.ones((n, 2)), "W_x": np.ones((n, 1))})
    assert layouts.to_torch(kind, {**W, "b_x": np.ones(n), "b_h": np.full(n, 2.0)})["bias_hh"].tolist() == [2.0] * n
    with pytest.raises(ValueError, match=rf"^params\['b_h'\]: expected shape \({n},\), got shape \({n + 1},\)$"):
        layouts.to_torch(kind, {**W, "b_x": np.ones(n), "b_h": np.ones(n + 1)})


@pytest.mark.survivor
def test_a_param_sets_keys_document_exactly_its_native_keys_that_are_not_canonical():
    # pins: ParamSet.keys lists exactly the native keys a set adds to the canonical ones, which is what an adapter
    # author reads (a mutant misspelt the one-bias set's documented key "b")
    for ps in layouts.PARAM_SETS.values():
        for kind in ps.kinds:
            added = set(ps.shapes(kind, 2, 3)) - set(layouts.PARAM_SETS["canonical"].shapes(kind, 2, 3))
            assert set(ps.keys) == added, (ps.name, kind, sorted(ps.keys), sorted(added))


@pytest.mark.survivor
def test_one_bias_sets_a_zero_recurrent_bias_exactly_even_where_b_is_zero():
    # pins: the one-bias set maps b to b_x and a b_h of exact zeros, also where b is 0 (a mutant wrote 0.0 / b for
    # 0.0 * b: equal wherever b ≠ 0)
    b = np.array([0.0, 1.5, -2.0, 0.0])
    P = layouts.param_set("one-bias").to_canonical("rnn-tanh", {"W_x": np.ones((4, 1)), "W_h": np.ones((4, 4)), "b": b})
    assert np.array_equal(P["b_x"], b) and np.array_equal(P["b_h"], np.zeros(4))


# ---------------------------------------------------------------- torch, if installed
def _torch_cell(kind, torch):
    cls = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind]
    return cls(D, H, dtype=torch.float64)


@pytest.mark.torch
@pytest.mark.parametrize("kind", layouts.KINDS)
def test_step_equals_torch_cell(kind):
    """Our step equals torch.nn.{RNN,LSTM,GRU}Cell in float64, both after to_torch and after from_torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
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
        assert_ulps_close(a, b, f"from_torch, {kind}")
    # canonical → torch
    p = _canonical(kind, seed=6)
    cell.load_state_dict({k: torch.from_numpy(v) for k, v in layouts.to_torch(kind, p).items()})
    for a, b in zip(ours(p), theirs()):
        assert_ulps_close(a, b, f"to_torch, {kind}")
