"""models/rnn.py: shapes, the step Jacobian and its products, BPTT (full, double sum, truncated) against autograd
and finite differences, bad input, saturation, and sequences of T = 1,000 steps."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from autograd.tracer import getval
from hypothesis import example, given

from vanishing.checks import strategies
from vanishing.models import rnn

from vanishing_testkit import (BIG, ELMAN_SIZES, FEW, T_LONG, assert_ad_close, assert_fd_close, elman_case, fd_jacobian,
                               finite, strict)

H, D, T = ELMAN_SIZES


def test_rnn_shapes_and_step_consistency(rng):
    p, h0, xs, _ = elman_case(rng)
    hs = rnn.forward(p, h0, xs)
    assert hs.shape == (T, H), f"forward shape {hs.shape}"
    h = h0
    for t in range(T):
        h = rnn.step(p, h, xs[t])
        np.testing.assert_allclose(hs[t], h, rtol=1e-15, err_msg=f"forward[{t}] vs iterated step")
    assert rnn.jacobian_products(p, h0, xs).shape == (T + 1, H, H)
    assert rnn.param_count(H, D) == sum(v.size for v in p.values())


@pytest.mark.parametrize("act", list(rnn.ACTS))
def test_rnn_step_jacobian(act, rng):
    p, h0, xs, _ = elman_case(rng)
    J = rnn.step_jacobian(p, h0, xs[0], act)
    f = lambda h: rnn.step(p, h, xs[0], act)
    assert_ad_close(J, autograd.jacobian(f)(h0), f"dh_1/dh_0 ({act})")
    if act != "relu" or np.min(np.abs(anp.dot(p["W_hh"], h0) + anp.dot(p["W_xh"], xs[0]) + p["b"])) > 0.5:
        df, err = fd_jacobian(f, h0)  # relu: only away from the kink (precondition stated, not silent)
        assert_fd_close(J, df, err, f"dh_1/dh_0 ({act}) vs FD")


@pytest.mark.parametrize("act", list(rnn.ACTS))
def test_rnn_jacobian_products(act, rng):
    p, h0, xs, _ = elman_case(rng)
    Ps = rnn.jacobian_products(p, h0, xs, act)
    hs = np.vstack([h0, rnn.forward(p, h0, xs, act)])     # hs[k] = h_k
    np.testing.assert_array_equal(Ps[T], np.eye(H), err_msg="P[T] must be I")
    for k in range(T):  # ∂h_T/∂h_k: the map h_k -> h_T runs the remaining inputs x_{k+1..T}
        ref = autograd.jacobian(lambda h, k=k: rnn.forward(p, h, xs[k:], act)[-1])(hs[k])
        assert_ad_close(Ps[k], ref, f"dh_T/dh_{k} ({act})")
    df, err = fd_jacobian(lambda h: rnn.forward(p, h, xs, act)[-1], h0)
    if act != "relu":
        assert_fd_close(Ps[0], df, err, f"dh_T/dh_0 ({act}) vs FD")


def test_jacobian_products_uses_linear_number_of_products(rng, monkeypatch):
    p = rnn.init_params(H, D, rng)
    long_T = 40
    calls = {"dot": 0}

    class CountingNumpy:  # rnn's autograd.numpy, with np.dot counted
        def __getattr__(self, name):
            return getattr(anp, name)

        def dot(self, a, b):
            calls["dot"] += 1
            return anp.dot(a, b)

    monkeypatch.setattr(rnn, "np", CountingNumpy())
    rnn.jacobian_products(p, np.zeros(H), rng.standard_normal((long_T, D)))
    # 2 dots per step for a_t (W_hh h, W_xh x) + 1 per step for P[k−1] = P[k] J_k; O(T²) would be ~T²/2 = 800
    assert calls["dot"] == 3 * long_T, f"expected 3T = {3 * long_T} np.dot calls, got {calls['dot']}"


def _E(p, h0, xs, c, act):
    """E = Σ_t c_t · h_t, whose ∂E_t/∂h_t is c_t."""
    return anp.sum(c * rnn.forward(p, h0, xs, act))


@pytest.mark.parametrize("act", list(rnn.ACTS))
@pytest.mark.parametrize("fn", [rnn.bptt_grad, rnn.bptt_grad_sum_form], ids=["recursion", "double_sum"])
def test_bptt_matches_autograd(fn, act, rng):
    p, h0, xs, c = elman_case(rng)
    ref = autograd.grad(_E, argnum=0)(p, h0, xs, c, act)
    ref["h0"] = autograd.grad(_E, argnum=1)(p, h0, xs, c, act)
    got = fn(p, h0, xs, c, act)
    assert sorted(got) == ["W_hh", "W_xh", "b", "h0"]
    for key in got:
        assert_ad_close(got[key], ref[key], f"{fn.__name__} dE/d{key} ({act})")


def test_bptt_matches_fd(rng):
    p, h0, xs, c = elman_case(rng)
    Whh = p["W_hh"]
    g = rnn.bptt_grad(p, h0, xs, c)
    df, err = fd_jacobian(lambda w: _E({**p, "W_hh": w.reshape(Whh.shape)}, h0, xs, c, "tanh"), Whh.ravel())
    assert_fd_close(g["W_hh"].ravel()[None, :], df, err, "dE/dW_hh vs FD")


def _truncated_by_autograd(p, h0, xs, c, U, act):
    """Autograd of Σ_t c_t·h_t where each h_t is re-run from the constant state h_{t−U−1} (getval cuts the tape)."""
    def E(p, h0):
        hs = [h0] + [h for h in rnn.forward(p, h0, xs, act)]          # hs[k] = h_k
        total = 0.0 * anp.sum(h0)   # keeps h0 on the tape: autograd then returns zeros instead of warning
        for t in range(1, T + 1):
            s = t - U - 1                                              # the last state outside E_t's window
            h = hs[max(0, s)] if s < 0 else getval(hs[s])              # s < 0: the window reaches h0 itself
            for k in range(max(0, s) + 1, t + 1):
                h = rnn.step(p, h, xs[k - 1], act)
            total = total + anp.dot(c[t - 1], h)
        return total
    ref = autograd.grad(E, 0)(p, h0)
    ref["h0"] = autograd.grad(E, 1)(p, h0)
    return ref


@pytest.mark.parametrize("U", [0, 1, 2, T - 1, T, T + 3])
def test_truncated_bptt(U, rng):
    p, h0, xs, c = elman_case(rng)
    got = rnn.truncated_bptt_grad(p, h0, xs, c, U)
    ref = _truncated_by_autograd(p, h0, xs, c, U, "tanh")
    for key in got:
        assert_ad_close(got[key], ref[key], f"truncated U={U} dE/d{key}")
    full = rnn.bptt_grad(p, h0, xs, c)
    if U >= T:
        for key in full:
            assert_ad_close(got[key], full[key], f"U={U} >= T must equal full BPTT for {key}")


def test_rnn_rejects_bad_inputs(rng):
    p, h0, xs, c = elman_case(rng)
    with pytest.raises(ValueError, match=r"params\['W_hh'\]: expected shape \(3, 3\), got shape \(3, 4\)"):
        rnn.forward({**p, "W_hh": np.zeros((3, 4))}, h0, xs)
    with pytest.raises(ValueError, match=r"xs: expected shape \(\*, 2\), got shape \(6, 3\)"):
        rnn.forward(p, h0, np.zeros((T, 3)))
    with pytest.raises(ValueError, match=r"h0: expected shape \(3,\)"):
        rnn.forward(p, np.zeros(4), xs)
    with pytest.raises(ValueError, match="h0: expected finite"):
        rnn.forward(p, np.array([0.0, np.inf, 0.0]), xs)
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        rnn.step({"W_hh": p["W_hh"], "W_xh": p["W_xh"]}, h0, xs[0])
    with pytest.raises(ValueError, match="act: expected one of"):
        rnn.forward(p, h0, xs, act="arctan")
    with pytest.raises(ValueError, match=r"dE_dh: expected shape \(6, 3\)"):
        rnn.bptt_grad(p, h0, xs, c[:-1])
    with pytest.raises(ValueError, match="U: expected an int >= 0"):
        rnn.truncated_bptt_grad(p, h0, xs, c, -1)
    with pytest.raises(ValueError, match="at least one time step"):
        rnn.forward(p, h0, np.zeros((0, D)))


def test_rnn_stable_when_saturated(rng):
    p, h0, xs, c = elman_case(rng, scale=1e3)
    for act in rnn.ACTS:
        if act == "relu":
            continue  # unbounded: large weights legitimately overflow over long horizons
        Ps = rnn.jacobian_products(p, h0, xs, act)
        g = rnn.bptt_grad(p, h0, xs, c, act)
        assert np.all(np.isfinite(Ps)) and all(np.all(np.isfinite(v)) for v in g.values()), act


# ---------------------------------------------------------------- written for mutation survivors
@pytest.mark.survivor
@pytest.mark.parametrize("H", [2.5, True, "3", 0])
def test_rnn_param_count_rejects_a_size_that_is_not_a_positive_int(H):
    # pins: param_count refuses a float, a bool, a string and 0 for H, naming H; a mutant that turned the `or` of
    # the checks into an `and` accepted floats and bools
    with pytest.raises(ValueError, match=r"^H: expected a positive int"):
        rnn.param_count(H, 1)


@pytest.mark.survivor
def test_rnn_init_rejects_a_scale_that_is_not_a_scalar():
    # pins: init_params refuses a vector scale with an error naming scale; a mutant without the scalar shape check
    # failed inside float() instead
    with pytest.raises(ValueError, match=r"^scale: "):
        rnn.init_params(2, 1, np.random.default_rng(0), scale=[1.0, 2.0])


@pytest.mark.survivor
@pytest.mark.parametrize("fn", ["step", "step_jacobian"])
def test_rnn_step_names_a_bad_input(fn):
    # pins: step and step_jacobian name x, in lower case, when its shape is wrong
    p = rnn.init_params(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^x: expected shape \(3,\), got shape \(2,\)$"):
        getattr(rnn, fn)(p, np.zeros(2), np.zeros(2))


# ---------------------------------------------------------------- T = 1,000 steps (the slow tier)
def _spectral(W):
    return float(np.linalg.norm(W, 2))


@pytest.mark.slow
@FEW
@given(P=strategies.rnn_params(2, 1, weight_scale=0.5), xs=strategies.sequences(T_LONG, 1, -BIG, BIG))
@example(P={"W_hh": np.full((2, 2), 0.5), "W_xh": np.full((2, 1), 0.5), "b": np.full(2, 0.5)},
         xs=np.full((T_LONG, 1), BIG)).via("every step saturated: the product is exactly 0")
@example(P={"W_hh": np.eye(2) * 0.5, "W_xh": np.zeros((2, 1)), "b": np.zeros(2)},
         xs=np.zeros((T_LONG, 1))).via("linear regime, h = 0: P[k] = 0.5^(T−k) I, underflows past k < T − 1074")
def test_rnn_jacobian_products_over_1000_steps(P, xs):
    """P[k] = ∂h_T/∂h_k over T = 1,000: finite, (T+1, H, H), P[T] = I, ‖P[k]‖₂ ≤ ‖W_hh‖₂^{T−k}; BPTT finite."""
    h0 = np.zeros(2)
    with strict():
        Pk = rnn.jacobian_products(P, h0, xs)
        g = rnn.bptt_grad(P, h0, xs, np.ones((T_LONG, 2)))
    assert Pk.shape == (T_LONG + 1, 2, 2)
    finite(Pk, *g.values())
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


@pytest.mark.slow
def test_rnn_bptt_over_1000_steps_equals_autograd():
    """bptt_grad over T = 1,000 with inputs up to ±1e3 equals autograd through forward (a 1,000-step graph)."""
    rng = np.random.default_rng(13)
    P = rnn.init_params(2, 2, rng, scale=0.9)
    xs = rng.uniform(-BIG, BIG, (T_LONG, 2)) * (rng.random((T_LONG, 1)) < 0.3) + rng.normal(size=(T_LONG, 2))
    h0, dE = rng.normal(size=2), rng.normal(size=(T_LONG, 2))
    with strict():
        g = rnn.bptt_grad(P, h0, xs, dE)
        ad = autograd.grad(lambda p: anp.sum(rnn.forward(p, h0, xs) * dE))(P)
    for k in ("W_hh", "W_xh", "b"):
        finite(g[k])
        np.testing.assert_allclose(g[k], ad[k], rtol=1e-10, atol=1e-10 * np.max(np.abs(ad[k])), err_msg=k)
