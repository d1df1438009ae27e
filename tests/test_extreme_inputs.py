"""The reference models and the oracles at extreme inputs (issue 13, part 4).

Pre-activations up to ±1e3, sequences of T = 1,000 steps, hidden size 256, saturated gates (biases ±1e3)
and float32 inputs: every result is finite, has its shape, raises no warning (pytest runs with warnings as
errors, and ``_strict`` also turns numpy's overflow / invalid / divide-by-zero into errors), and equals its
mathematical limit where one exists (σ(±1e3) = 1/0 exactly, tanh'(1e3) = 0, an LSTM whose forget gate is
saturated open carries its cell state exactly, a GRU whose update gate is saturated copies its state).
Underflow to 0 is allowed: it is the correctly rounded value of e^{−1000}.

Stated behaviours tested here:
* ReLU'(0) := 0 and leaky ReLU'(0) := α (PyTorch's choice, docs/DESIGN.md); autograd agrees, finite
  differences do not (a central stencil gives the symmetric subgradient ½), so check_jacobian fails there.
* float32: accepted; the models keep the dtype (float32 in, float32 out) and compute in float32; the oracles
  (jacobian_fd, jacobian_reverse, jacobian_forward) convert x to float64. relu'/leaky_relu' return float64
  (their values 0, 1, α are constants), and so do rnn.jacobian_products (its product starts from a float64 I).

Hypothesis example counts are capped (``max_examples`` below) because each T = 1,000 sequence costs about
0.1 s: the boundary cases are pinned with ``@example``, the draws add variety, and the module stays < 10 s.
"""

import contextlib
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from vanishing.checks import assertions, oracles, strategies
from vanishing.models import activations, batched, clipping, deepnet, gru, leaky, lstm, rnn, stacked

# Stress tests (T = 1000, H = 256, ±1e3): the slow tier (tests/conftest.py), run by CI and `pytest -m slow`.
pytestmark = pytest.mark.slow

T_LONG = 1000
H_WIDE = 256
BIG = 1e3
EPS = np.finfo(np.float64).eps
#: T = 1,000 sequences cost ~0.1 s each: two draws on top of the pinned @examples keep the module < 10 s
#: on one core (the boundaries are the @examples; the draws add variety, the ci/thorough profiles do not apply).
FEW = settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Elementwise functions are cheap (~3 ms a draw, 6 activations × 2 dtypes): more draws.
MANY = settings(max_examples=40, deadline=None)


@contextlib.contextmanager
def _strict():
    """No warning of any kind, and numpy's overflow, invalid and divide-by-zero raise (underflow to 0 is fine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield


def _finite(*arrays):
    for a in arrays:
        a = np.asarray(a)
        assert np.all(np.isfinite(a)), f"non-finite entries: {a[~np.isfinite(a)][:5]}"


EXTREMES = np.array([-BIG, -300.0, -40.0, -36.8, -20.0, -1.0, 0.0, 1.0, 20.0, 36.8, 40.0, 300.0, BIG])


# ---------------------------------------------------------------- activations
LIMITS = {  # name: (f(−1e3), f(+1e3), f'(−1e3), f'(+1e3)) exactly, in float64
    "sigmoid": (0.0, 1.0, 0.0, 0.0),
    "tanh": (-1.0, 1.0, 0.0, 0.0),
    "relu": (0.0, BIG, 0.0, 1.0),
    "leaky_relu": (-0.01 * BIG, BIG, 0.01, 1.0),
    "arctan": (-np.arctan(BIG), np.arctan(BIG), 1.0 / (1.0 + BIG * BIG), 1.0 / (1.0 + BIG * BIG)),
    "identity": (-BIG, BIG, 1.0, 1.0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_activation_limits_at_plus_minus_1e3(name, dtype):
    """f and f' at ±1e3: the exact limits, no warning, in float64 and float32 (float32 is kept for f)."""
    a = activations.ACTIVATIONS[name]
    x = np.array([-BIG, BIG], dtype=dtype)
    with _strict():
        f, df = a.f(x), a.df(x)
    assert f.dtype == dtype, f"{name}: f changed the dtype {dtype.__name__} to {f.dtype}"
    want_df = np.float64 if name in ("relu", "leaky_relu") else dtype    # the stated dtypes (module docstring)
    assert df.dtype == want_df, f"{name}': dtype {df.dtype}, expected {want_df.__name__}"
    lo, hi, dlo, dhi = LIMITS[name]
    tol = 0.0 if dtype is np.float64 else 4 * np.finfo(np.float32).eps
    np.testing.assert_allclose(f, np.array([lo, hi], dtype=dtype), rtol=tol, atol=0)
    np.testing.assert_allclose(df, np.array([dlo, dhi], dtype=dtype), rtol=tol, atol=0)


@MANY
@given(x=strategies.preactivations(5))
@example(x=EXTREMES[:5]).via("boundaries: ±1e3 and the tanh′ branch cuts at ±300, ±20")
@example(x=EXTREMES[8:]).via("boundaries: sigmoid rounds to 1 past 36.74")
@example(x=np.array([-89.5, 89.5, -20.0, 20.0, 0.0])).via("float32 cosh overflows past 89.4")
def test_activations_stay_in_range_without_warnings(x):
    """For every activation: f, f' finite, 0 ≤ f' ≤ sup f' (the registry's), f within its stated range, float64 and float32."""
    for dtype in (np.float64, np.float32):
        xd = x.astype(dtype)
        for a in activations.ACTIVATIONS.values():
            with _strict():
                f, df = np.asarray(a.f(xd)), np.asarray(a.df(xd))
            _finite(f, df)
            assert f.shape == df.shape == x.shape
            assert np.all(df >= 0) and np.all(df <= a.deriv_sup), f"{a.name}': {df} outside [0, {a.deriv_sup}]"
            if a.range_lo is not None:
                assert np.all(f >= np.asarray(a.range_lo, dtype=dtype)), f"{a.name}: {f} below {a.range_lo}"
            if a.range_hi is not None:
                assert np.all(f <= np.asarray(a.range_hi, dtype=dtype)), f"{a.name}: {f} above {a.range_hi}"


def test_tanh_prime_float32_matches_float64_in_the_tail():
    """tanh' in float32 (found overflowing in cosh past |x| ≈ 89.4 before the fix) equals the float64 value rounded."""
    x = np.array([-100.0, -50.0, -20.5, -20.0, 19.9, 30.0, 44.0, 89.5, 90.0, 300.0, BIG])
    with _strict():
        d32 = activations.tanh_prime(x.astype(np.float32))
        d64 = activations.tanh_prime(x)
    # where the float64 value is a float32 normal, float32 is within a few float32 ulps; below, it flushes toward 0
    normal = d64 >= np.finfo(np.float32).tiny
    np.testing.assert_allclose(d32[normal], d64[normal], rtol=8 * np.finfo(np.float32).eps, atol=0)
    assert np.all(d32[~normal] <= np.float32(d64[~normal].max()) * 2)
    assert d32[-1] == 0.0 and d32[-2] == 0.0


# ---------------------------------------------------------------- the kink
def test_relu_kink_convention_and_what_each_oracle_says():
    """relu'(0) := 0, leaky'(0) := α; autograd agrees (the where-form); FD gives ½ (resp. (1+α)/2), so check_jacobian fails."""
    zero = np.array([0.0])
    assert activations.relu_prime(zero)[0] == 0.0
    assert activations.leaky_relu_prime(zero, 0.2)[0] == 0.2
    assert oracles.jacobian_reverse(activations.relu, zero)[0, 0] == 0.0
    assert oracles.jacobian_forward(activations.relu, zero)[0, 0] == 0.0
    assert autograd.grad(lambda u: anp.sum(activations.leaky_relu(u, 0.2)))(zero)[0] == 0.2
    J, _ = oracles.jacobian_fd(activations.relu, zero)
    assert J[0, 0] == pytest.approx(0.5, abs=1e-12)        # the symmetric stencil sees the average slope
    J, _ = oracles.jacobian_fd(lambda u: activations.leaky_relu(u, 0.2), zero)
    assert J[0, 0] == pytest.approx(0.6, abs=1e-12)
    with pytest.raises(AssertionError, match="finite differences"):
        oracles.check_jacobian(activations.relu, zero)
    # one step beside the kink, with the stencil kept off it, all three oracles agree
    oracles.check_jacobian(activations.relu, np.array([1e-3, -1e-3]), initial_step=1e-4,
                           closed_form=np.diag(activations.relu_prime(np.array([1e-3, -1e-3]))))


# ---------------------------------------------------------------- oracles at ±1e3
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "arctan"])
def test_oracles_agree_at_saturated_preactivations(name):
    """check_jacobian (reverse, forward, FD, closed form) at pre-activations up to ±1e3: finite, diagonal, the limits."""
    a = activations.ACTIVATIONS[name]
    x = np.array([-BIG, -40.0, -1.0, 0.5, 40.0, BIG])
    with _strict():
        J = oracles.check_jacobian(a.f, x, closed_form=np.diag(a.df(x)), structure=assertions.diagonal_mask(x.size),
                                   label=name)
    _finite(J)
    if name != "arctan":
        assert J[0, 0] == 0.0 and J[-1, -1] == 0.0, f"{name}'(±1e3) = {J[0, 0]}, {J[-1, -1]}, expected 0"


# ---------------------------------------------------------------- Elman RNN, T = 1000
def _spectral(W):
    return float(np.linalg.norm(W, 2))


@FEW
@given(P=strategies.rnn_params(2, 1, weight_scale=0.5), xs=strategies.sequences(T_LONG, 1, -BIG, BIG))
@example(P={"W_hh": np.full((2, 2), 0.5), "W_xh": np.full((2, 1), 0.5), "b": np.full(2, 0.5)},
         xs=np.full((T_LONG, 1), BIG)).via("every step saturated: the product is exactly 0")
@example(P={"W_hh": np.eye(2) * 0.5, "W_xh": np.zeros((2, 1)), "b": np.zeros(2)},
         xs=np.zeros((T_LONG, 1))).via("linear regime, h = 0: P[k] = 0.5^(T−k) I, underflows past k < T − 1074")
def test_rnn_jacobian_products_over_1000_steps(P, xs):
    """P[k] = ∂h_T/∂h_k over T = 1,000: finite, (T+1, H, H), P[T] = I, ‖P[k]‖₂ ≤ ‖W_hh‖₂^{T−k}; BPTT finite."""
    h0 = np.zeros(2)
    with _strict():
        Pk = rnn.jacobian_products(P, h0, xs)
        g = rnn.bptt_grad(P, h0, xs, np.ones((T_LONG, 2)))
    assert Pk.shape == (T_LONG + 1, 2, 2)
    _finite(Pk, *g.values())
    assert np.array_equal(Pk[-1], np.eye(2))
    w = _spectral(P["W_hh"])
    norms = np.linalg.norm(Pk, 2, axis=(1, 2))
    with np.errstate(under="ignore"):
        bound = w ** np.arange(T_LONG, -1, -1.0)
    assert np.all(norms <= bound * (1 + 1e-9 * np.arange(T_LONG, -1, -1.0)) + 1e-300)
    a = xs @ P["W_xh"].T                                              # |a_t| ≥ 500 − |W_hh h| − |b| on saturated rows
    if np.all(np.abs(a) >= 400):
        assert np.all(Pk[:-1] == 0.0), "every step saturated, yet ∂h_T/∂h_k ≠ 0"
    if not np.any(P["W_xh"]) and not np.any(P["b"]) and np.allclose(P["W_hh"], 0.5 * np.eye(2)):
        with np.errstate(under="ignore"):
            expect = 0.5 ** np.arange(T_LONG, -1, -1.0)
        np.testing.assert_array_equal(Pk[:, 0, 0], expect)


def test_rnn_bptt_over_1000_steps_equals_autograd():
    """bptt_grad over T = 1,000 with inputs up to ±1e3 equals autograd through forward (a 1,000-step graph)."""
    rng = np.random.default_rng(13)
    P = rnn.init_params(2, 2, rng, scale=0.9)
    xs = rng.uniform(-BIG, BIG, (T_LONG, 2)) * (rng.random((T_LONG, 1)) < 0.3) + rng.normal(size=(T_LONG, 2))
    h0, dE = rng.normal(size=2), rng.normal(size=(T_LONG, 2))
    with _strict():
        g = rnn.bptt_grad(P, h0, xs, dE)
        ad = autograd.grad(lambda p: anp.sum(rnn.forward(p, h0, xs) * dE))(P)
    for k in ("W_hh", "W_xh", "b"):
        _finite(g[k])
        np.testing.assert_allclose(g[k], ad[k], rtol=1e-10, atol=1e-10 * np.max(np.abs(ad[k])), err_msg=k)


def test_leaky_rnn_over_1000_steps_saturated():
    """Leaky units, T = 1,000, every a_t saturated: J_t = α I exactly, so P[k] = α^{T−k} I (no warning at underflow)."""
    P = {"W_hh": np.full((2, 2), 0.1), "W_xh": np.ones((2, 1)), "b": np.zeros(2)}
    xs = np.full((T_LONG, 1), BIG)
    with _strict():
        hs = leaky.forward(P, np.zeros(2), xs, 0.5)
        Pk = leaky.jacobian_products(P, np.zeros(2), xs, 0.5)
    _finite(hs, Pk)
    with np.errstate(under="ignore"):
        expect = 0.5 ** np.arange(T_LONG, -1, -1.0)
    np.testing.assert_array_equal(Pk[:, 0, 0], expect)
    assert np.all(Pk[:, 0, 1] == 0.0)


# ---------------------------------------------------------------- LSTM, GRU: T = 1000, saturated gates
def _lstm_saturated(variant, H=2, D=1, forget=BIG, inp=-BIG):
    """Parameters with the forget bias ``forget`` and the input-gate bias ``inp`` (the gate order of lstm.GATES)."""
    p = lstm.init_params(H, D, np.random.default_rng(3), variant=variant)
    order = lstm.GATES[variant]
    b = p["b"].copy()
    b[order.index("i") * H:(order.index("i") + 1) * H] = inp
    if "f" in order:
        b[order.index("f") * H:(order.index("f") + 1) * H] = forget
    return {**p, "b": b}


@pytest.mark.parametrize("variant", ["forget", "cec", "peephole"])
def test_lstm_forget_gate_saturated_open_carries_the_cell_exactly(variant):
    """b_f = +1e3, b_i = −1e3: f = 1, i = 0 exactly, so c_t = c_0 for all 1,000 steps and the direct path is I."""
    P = _lstm_saturated(variant)
    rng = np.random.default_rng(4)
    h0, c0, xs = rng.normal(size=2), rng.normal(size=2), rng.uniform(-3, 3, (T_LONG, 1))
    with _strict():
        hs, cs = lstm.forward(P, h0, c0, xs, variant=variant)
        Jc = lstm.direct_path_jacobian(P, h0, c0, xs[0], variant=variant)
        Jh = lstm.h_jacobian(P, h0, c0, xs[0], variant=variant)
    assert hs.shape == cs.shape == (T_LONG, 2)
    _finite(hs, cs, Jc, Jh)
    assert np.all(cs == c0), f"{variant}: the cell drifted by {np.max(np.abs(cs - c0))}"
    assert np.array_equal(Jc, np.eye(2)), f"{variant}: direct path {Jc}, expected I exactly"
    assert np.all(np.abs(hs) <= 1.0)


@FEW
@given(variant=st.sampled_from(["forget", "cec", "peephole"]),
       P_scale=st.sampled_from([1.0, 300.0]), xs=strategies.sequences(T_LONG, 1, -BIG, BIG))
@example(variant="forget", P_scale=300.0, xs=np.full((T_LONG, 1), -BIG)).via("every gate saturated")
@example(variant="peephole", P_scale=300.0, xs=np.full((T_LONG, 1), BIG)).via("peepholes saturated")
def test_lstm_sequence_of_1000_steps_at_extreme_inputs(variant, P_scale, xs):
    """lstm.forward over T = 1,000 with inputs ±1e3 and weights ×300 (pre-activations ~1e5): finite, |h| ≤ 1, |c_t| ≤ t + |c_0|."""
    p = lstm.init_params(2, 1, np.random.default_rng(5), variant=variant)
    p = {k: v * P_scale for k, v in p.items()}
    with _strict():
        hs, cs = lstm.forward(p, np.zeros(2), np.zeros(2), xs, variant=variant)
    assert hs.shape == cs.shape == (T_LONG, 2)
    _finite(hs, cs)
    assert np.all(np.abs(hs) <= 1.0)
    # |c_t| ≤ |f||c_{t−1}| + |i||g| ≤ |c_{t−1}| + 1 (σ ∈ [0, 1], |tanh| ≤ 1)
    assert np.all(np.abs(cs) <= np.arange(1, T_LONG + 1)[:, None] * (1 + 1e-12))


@pytest.mark.parametrize("reset", ["after", "before"])
@pytest.mark.parametrize("bz", [BIG, -BIG])
def test_gru_update_gate_saturated_over_1000_steps(reset, bz):
    """b_z = +1e3: z = 1 exactly, h_t = h_0 for 1,000 steps and ∂h_t/∂h_{t−1} = I; b_z = −1e3: z = 0, h_t = n_t, direct path 0."""
    H = 2
    p = gru.init_params(H, 1, np.random.default_rng(6))
    b = p["b_x"].copy()
    b[H:2 * H] = bz                                 # gate blocks r, z, n (docs/DESIGN.md)
    p = {**p, "b_x": b}
    rng = np.random.default_rng(7)
    h0, xs = rng.uniform(-1, 1, H), rng.uniform(-BIG, BIG, (T_LONG, 1))
    with _strict():
        hs = gru.forward(p, h0, xs, reset=reset)
        Jd = gru.direct_path_jacobian(p, h0, xs[0], reset=reset)
        J = gru.step_jacobian(p, h0, xs[0], reset=reset)
        gs = gru.gates(p, h0, xs[0], reset=reset)
    assert hs.shape == (T_LONG, H)
    _finite(hs, Jd, J)
    if bz > 0:
        assert np.all(hs == h0), "z = 1 must copy the state exactly"
        assert np.array_equal(Jd, np.eye(H)) and np.array_equal(J, np.eye(H))
    else:
        assert np.all(np.asarray(gs["z"]) == 0.0)
        np.testing.assert_array_equal(hs[0], np.asarray(gs["n"]))
        assert np.array_equal(Jd, np.zeros((H, H)))
        assert np.all(np.abs(hs) <= 1.0)


@FEW
@given(reset=st.sampled_from(["after", "before"]), xs=strategies.sequences(T_LONG, 1, -BIG, BIG))
@example(reset="before", xs=np.full((T_LONG, 1), BIG)).via("all gates saturated")
def test_gru_sequence_of_1000_steps_at_extreme_inputs(reset, xs):
    """gru.forward over T = 1,000, inputs ±1e3, weights ×300: finite, |h_t| ≤ max(|h_0|, 1) (a convex combination)."""
    p = {k: 300.0 * v for k, v in gru.init_params(2, 1, np.random.default_rng(8)).items()}
    with _strict():
        hs = gru.forward(p, np.full(2, 0.5), xs, reset=reset)
    assert hs.shape == (T_LONG, 2)
    _finite(hs)
    assert np.all(np.abs(hs) <= 1.0)


# ---------------------------------------------------------------- H = 256: one forward + backward step
def _vjp_matches(step, x, J, rng):
    """vᵀJ from the closed-form Jacobian = autograd's VJP of the step, for a random cotangent v."""
    v = rng.normal(size=J.shape[0])
    ad = autograd.grad(lambda u: anp.dot(v, step(u)))(x)
    _finite(ad)
    np.testing.assert_allclose(v @ J, ad, rtol=1e-9, atol=1e-11 * max(1.0, np.max(np.abs(ad))))


@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_one_step_at_hidden_size_256(scale):
    """H = 256 (D = 8): each cell's step and its closed-form Jacobian, against autograd's VJP; finite, no warning."""
    H, D = H_WIDE, 8
    rng = np.random.default_rng(9)
    h, c, x = rng.uniform(-1, 1, H), rng.normal(size=H), rng.normal(size=D)
    with _strict():
        P = {k: v * scale for k, v in rnn.init_params(H, D, rng).items()}
        J = rnn.step_jacobian(P, h, x)
        assert J.shape == (H, H)
        _finite(J, rnn.step(P, h, x))
        _vjp_matches(lambda u: rnn.step(P, u, x), h, J, rng)
        for variant in ("forget", "cec", "peephole"):
            Q = {k: v * scale for k, v in lstm.init_params(H, D, rng, variant=variant).items()}
            J = lstm.h_jacobian(Q, h, c, x, variant=variant)
            assert J.shape == (H, H)
            _finite(J, *lstm.step(Q, h, c, x, variant=variant))
            _vjp_matches(lambda u: lstm.step(Q, u, c, x, variant=variant)[0], h, J, rng)
        for reset in ("after", "before"):
            G = {k: v * scale for k, v in gru.init_params(H, D, rng).items()}
            J = gru.step_jacobian(G, h, x, reset=reset)
            assert J.shape == (H, H)
            _finite(J, gru.step(G, h, x, reset=reset))
            _vjp_matches(lambda u: gru.step(G, u, x, reset=reset), h, J, rng)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
def test_deepnet_width_256_saturated_backprop(act):
    """A 3-layer net of width 256, weights ~N(0, 1e3²) (pre-activations ~1e4): backprop finite and = autograd."""
    rng = np.random.default_rng(10)
    P = deepnet.init_params([H_WIDE, H_WIDE, H_WIDE, 4], rng, scale=BIG)
    x, y = rng.uniform(-1, 1, H_WIDE), rng.uniform(0, 1, 4)
    with _strict():
        g = deepnet.backprop(P, x, y, act=act)
        ad = autograd.grad(lambda p: deepnet.loss(p, x, y, act=act))(P)
    for k in ("W", "b"):
        for a, b in zip(g[k], ad[k]):
            _finite(a)
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(1.0, np.max(np.abs(b))))
    if act == "sigmoid":    # |h| ~ 1e4 almost everywhere: σ' = 0 exactly there, so most of ∂L/∂W_1 is exactly 0
        assert np.mean(g["W"][0] == 0.0) > 0.9


# ---------------------------------------------------------------- batched, stacked, clipping
def test_batched_and_stacked_match_the_cells_at_saturation_over_1000_steps():
    """Batched RNN/LSTM/GRU over T = 1,000 and a 2-layer bidirectional stack (4 × 250 steps), inputs ±1e3: finite, = the cells."""
    rng = np.random.default_rng(11)
    H, D, B = 3, 2, 2
    xs = rng.choice([-BIG, BIG, 0.0, 1.0], size=(T_LONG, B, D))
    h0 = rng.uniform(-1, 1, (B, H))
    Pr, Pl, Pg = rnn.init_params(H, D, rng), lstm.init_params(H, D, rng), gru.init_params(H, D, rng)
    with _strict():
        hr = batched.rnn_forward(Pr, h0, xs)
        hl, cl = batched.lstm_forward(Pl, h0, h0, xs)
        hg = batched.gru_forward(Pg, h0, xs)
        layers = [[rnn.init_params(H, D, rng), rnn.init_params(H, D, rng)],
                  [rnn.init_params(H, 2 * H, rng), rnn.init_params(H, 2 * H, rng)]]
        out, h_n = stacked.forward("rnn-tanh", layers, np.zeros((4, H)), xs[:T_LONG // 4, 0])   # 4 passes: T/4 each
    for a in (hr, hl, cl, hg):
        assert a.shape == (T_LONG, B, H)
        _finite(a)
    assert out.shape == (T_LONG // 4, 2 * H) and h_n.shape == (4, H)
    _finite(out, h_n)
    for b in range(B):
        np.testing.assert_allclose(hr[:, b], rnn.forward(Pr, h0[b], xs[:, b]), rtol=0, atol=1e-14)
        np.testing.assert_allclose(hl[:, b], lstm.forward(Pl, h0[b], h0[b], xs[:, b])[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(hg[:, b], gru.forward(Pg, h0[b], xs[:, b]), rtol=0, atol=1e-14)


@settings(max_examples=20, deadline=None)     # ~5 ms a draw; the overflow boundary is the @example
@given(grads=strategies.gradient_lists(lo=-BIG, hi=BIG), scale=st.sampled_from([1.0, 1e150, 1e300]))
@example(grads=[np.full(5, BIG)], scale=1e300).via("squares overflow: Σg² ≈ 5e606")
def test_clipping_of_huge_gradients(grads, scale):
    """Gradients up to 1e303: the global norm is finite (max-abs rescaling) and the clipped norm is ≤ max_norm."""
    gs = [g * scale for g in grads]
    with _strict():
        n = clipping.global_norm(gs)
        clipped, n0 = clipping.clip_by_global_norm(gs, 1.0)
    assert np.isfinite(n) and n0 == n
    flat = np.concatenate([np.ravel(g) for g in gs])
    if np.any(flat):
        ref = np.max(np.abs(flat)) * np.linalg.norm(flat / np.max(np.abs(flat)))
        assert n == pytest.approx(ref, rel=1e-12)
    assert clipping.global_norm(clipped) <= 1.0 * (1 + 1e-12)


# ---------------------------------------------------------------- float32
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_float32_is_kept_and_stays_finite_at_saturation(kind):
    """float32 params and inputs: accepted, outputs float32 (computed in float32), finite at ±1e3 over T = 1,000."""
    rng = np.random.default_rng(12)
    f32 = lambda d: {k: v.astype(np.float32) for k, v in d.items()}  # noqa: E731
    xs = rng.choice([-BIG, BIG, 0.5], size=(T_LONG, 2)).astype(np.float32)
    h0 = np.zeros(3, np.float32)
    with _strict():
        if kind == "rnn":
            P = f32(rnn.init_params(3, 2, rng))
            outs = [rnn.forward(P, h0, xs), rnn.step_jacobian(P, h0, xs[0])]
            Pk = rnn.jacobian_products(P, h0, xs[:50])      # starts from the float64 identity: float64 out (stated)
            assert Pk.dtype == np.float64 and Pk.shape == (51, 3, 3)
            _finite(Pk)
        elif kind == "lstm":
            P = f32(lstm.init_params(3, 2, rng))
            outs = [*lstm.forward(P, h0, h0, xs), lstm.h_jacobian(P, h0, h0, xs[0])]
        else:
            P = f32(gru.init_params(3, 2, rng))
            outs = [gru.forward(P, h0, xs), gru.step_jacobian(P, h0, xs[0])]
    for o in outs:
        assert o.dtype == np.float32, f"{kind}: a float32 computation returned {o.dtype}"
        _finite(o)
    # the float32 result is the float64 computation to float32 accuracy (first output, the states)
    P64 = {k: v.astype(np.float64) for k, v in P.items()}
    ref = {"rnn": lambda: rnn.forward(P64, h0 * 1.0, xs * 1.0),
           "lstm": lambda: lstm.forward(P64, h0 * 1.0, h0 * 1.0, xs * 1.0)[0],
           "gru": lambda: gru.forward(P64, h0 * 1.0, xs * 1.0)}[kind]()
    assert ref.dtype == np.float64
    np.testing.assert_allclose(outs[0][:20], ref[:20], rtol=0, atol=1e-4)


def test_oracles_compute_float32_inputs_in_float64():
    """jacobian_fd / reverse / forward convert x to float64: a float32 x gives the float64 Jacobian of the float64 point."""
    x32 = np.array([-BIG, 0.25, 40.0], dtype=np.float32)
    x64 = x32.astype(np.float64)
    for oracle in (oracles.jacobian_reverse, oracles.jacobian_forward):
        with _strict():
            J = oracle(activations.tanh, x32)
        assert J.dtype == np.float64
        np.testing.assert_array_equal(J, oracle(activations.tanh, x64))
    with _strict():
        J, err = oracles.jacobian_fd(activations.tanh, x32)
    assert J.dtype == np.float64
    np.testing.assert_allclose(np.diag(J), activations.tanh_prime(x64), rtol=0, atol=1e-12)
