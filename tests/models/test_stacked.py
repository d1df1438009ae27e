"""models/stacked.py by the three oracles: autograd, finite differences (checks/oracles.py) and closed forms;
then PyTorch's multi-layer modules (num_layers = 2, bidirectional, batch_first, proj_size, a batch) against it.
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from vanishing.checks import assertions, oracles, tolerances
from vanishing.models import kinds, lstm, rnn, stacked
from vanishing.models.activations import sigmoid

RNG = np.random.default_rng(11)


def _params(kind, H, D, P=None, rng=RNG, scale=0.6):
    """Canonical parameters of ``kind`` (its row's shapes); with a projection P, W_h reads the projected h, and W_hr."""
    shapes = kinds.row(kind).canonical_shapes(H, D)
    if P:
        shapes = {**shapes, "W_h": (shapes["W_h"][0], P), "W_hr": (P, H)}
    return {k: rng.uniform(-scale, scale, s) for k, s in shapes.items()}


def _stack(kind, L, dirs, H, D, P=None):
    Hout = P or H
    return [[_params(kind, H, D if l == 0 else dirs * Hout, P) for _ in range(dirs)] for l in range(L)]


def _flat_out(res):
    return anp.concatenate([anp.ravel(r) for r in res])


CONFIGS = [("rnn-tanh", 2, 2, None), ("lstm", 2, 2, None), ("gru", 2, 2, None), ("lstm", 2, 2, 2), ("lstm", 1, 1, 2)]


@pytest.mark.parametrize("kind,L,dirs,P", CONFIGS)
def test_autograd_equals_finite_differences(kind, L, dirs, P):
    """Oracles (a) and (b): the Jacobian of everything the stack returns w.r.t. the inputs and the initial states."""
    # The smallest sizes that still wire distinct layers, directions and steps (a projection needs P < H).
    H, D, T = (3 if P else 2), 2, 3
    layers = _stack(kind, L, dirs, H, D, P)
    Hout = P or H
    xs, h0 = RNG.uniform(-1, 1, (T, D)), RNG.uniform(-1, 1, (L * dirs, Hout))
    c0 = RNG.uniform(-1, 1, (L * dirs, H)) if kinds.row(kind).n_state > 1 else None
    sizes = [xs.size, h0.size] + ([c0.size] if c0 is not None else [])

    def f(z):
        parts = np.split(z, np.cumsum(sizes)[:-1]) if isinstance(z, np.ndarray) else anp.split(z, np.cumsum(sizes)[:-1])
        x, h = parts[0].reshape(xs.shape), parts[1].reshape(h0.shape)
        c = parts[2].reshape(c0.shape) if c0 is not None else None
        return _flat_out(stacked.forward(kind, layers, h, x, c))
    z0 = np.concatenate([xs.ravel(), h0.ravel()] + ([c0.ravel()] if c0 is not None else []))
    J = oracles.jacobian_reverse(f, z0)
    Jfd, err = oracles.jacobian_fd(f, z0)
    tol = tolerances.fd(err, scale=max(1.0, float(np.max(np.abs(J)))))
    assertions.assert_close(J, Jfd, tol, f"stacked {kind} L={L} dirs={dirs} P={P}: autograd vs FD")


def _rnn_tanh_stack_jacobian_closed_form(layers, h0, xs):
    """∂output/∂xs of an RNN-tanh stack, by hand: per step ∂h_t/∂h_{t−1} = diag(1 − h_t²) W_hh and
    ∂h_t/∂in_t = diag(1 − h_t²) W_xh, accumulated forward in time (reverse direction: backward in time)."""
    T = xs.shape[0]
    dirs = len(layers[0])
    inp = xs
    dinp = np.zeros((T, xs.shape[1], T, xs.shape[1]))   # d in_t[i] / d xs[s, j]
    for t in range(T):
        dinp[t, :, t, :] = np.eye(xs.shape[1])
    for l, lay in enumerate(layers):
        outs, douts = [], []
        for d, P in enumerate(lay):
            H = P["W_hh"].shape[0]
            hs, _ = stacked.layer("rnn-tanh", P, (h0[l * dirs + d],), inp, reverse=d == 1)
            dh = np.zeros((T, H, T, xs.shape[1]))
            order = range(T - 1, -1, -1) if d == 1 else range(T)
            prev = None
            for t in order:
                gp = 1.0 - hs[t] ** 2
                acc = np.einsum("ij,jsk->isk", np.diag(gp) @ P["W_xh"], dinp[t])
                if prev is not None:
                    acc += np.einsum("ij,jsk->isk", np.diag(gp) @ P["W_hh"], dh[prev])
                dh[t] = acc
                prev = t
            outs.append(hs)
            douts.append(dh)
        inp = np.concatenate(outs, axis=1)
        dinp = np.concatenate(douts, axis=1)
    return inp, dinp


def test_closed_form_rnn_stack_jacobian():
    """Oracle (c) for stacking and the reverse direction: a 2-layer bidirectional tanh RNN."""
    H, D, T = 2, 3, 4
    layers = _stack("rnn-tanh", 2, 2, H, D)
    xs, h0 = RNG.uniform(-1, 1, (T, D)), RNG.uniform(-1, 1, (4, H))
    out, dout = _rnn_tanh_stack_jacobian_closed_form(layers, h0, xs)
    ref = stacked.forward("rnn-tanh", layers, h0, xs)[0]
    assert np.allclose(out, ref, rtol=0, atol=0)
    J = autograd.jacobian(lambda x: stacked.forward("rnn-tanh", layers, h0, x)[0])(xs)
    tol = tolerances.analytic(scale=max(1.0, float(np.max(np.abs(J)))))
    assertions.assert_close(J, dout, tol, "RNN stack ∂output/∂xs: autograd vs closed form")
    # first layer: the forward direction's output at t depends on x_1..x_t only, the reverse's on x_t..x_T only
    _, d1 = _rnn_tanh_stack_jacobian_closed_form([layers[0]], h0[:2], xs)
    for t in range(T):
        assert not np.any(d1[t, :H, t + 1:]) and np.any(d1[t, :H, t])
        assert not np.any(d1[t, H:, :t]) and np.any(d1[t, H:, t])
    # second layer: every output depends on every input (both directions of layer 1 feed it)
    assert np.all(np.abs(dout).sum(axis=(1, 3)) > 0)


def _proj_step_jacobian_closed_form(P, h_prev, c_prev, x):
    """∂h_t/∂h_{t−1} of the projected LSTM step, by hand: W_hr [diag(tanh c ⊙ σ'(a_o)) W_ho + diag(o ⊙ tanh'(c))
    (diag(c_{t−1} ⊙ σ'(a_f)) W_hf + diag(g ⊙ σ'(a_i)) W_hi + diag(i ⊙ tanh'(a_g)) W_hg)]."""
    H = P["W_hr"].shape[1]
    a = P["W_x"] @ x + P["W_h"] @ h_prev + P["b"]
    ai, af, ag, ao = (a[k * H:(k + 1) * H] for k in range(4))
    Wi, Wf, Wg, Wo = (P["W_h"][k * H:(k + 1) * H] for k in range(4))
    i, f, g, o = sigmoid(ai), sigmoid(af), np.tanh(ag), sigmoid(ao)
    c = f * c_prev + i * g
    ds = lambda y: y * (1 - y)
    dc = np.diag(c_prev * ds(f)) @ Wf + np.diag(g * ds(i)) @ Wi + np.diag(i * (1 - g ** 2)) @ Wg
    inner = np.diag(np.tanh(c) * ds(o)) @ Wo + np.diag(o * (1 - np.tanh(c) ** 2)) @ dc
    return P["W_hr"] @ inner


def test_closed_form_projected_lstm_step():
    """Oracle (c) for the projection; without W_hr (P = H, W_hr = I) it is models.lstm's own closed form."""
    H, D, P_ = 3, 2, 2
    P = _params("lstm", H, D, P_)
    h, c, x = RNG.uniform(-1, 1, P_), RNG.uniform(-1, 1, H), RNG.uniform(-1, 1, D)
    J = autograd.jacobian(lambda hh: stacked.projected_lstm_step(P, hh, c, x)[0])(h)
    assertions.assert_close(J, _proj_step_jacobian_closed_form(P, h, c, x), tolerances.analytic(), "projected LSTM ∂h_t/∂h_{t−1}")
    Q = _params("lstm", H, D)
    hq = RNG.uniform(-1, 1, H)
    Qp = dict(Q, W_hr=np.eye(H))
    assertions.assert_close(_proj_step_jacobian_closed_form(Qp, hq, c, x), lstm.h_jacobian(Q, hq, c, x), tolerances.analytic(),
                         "identity projection vs models.lstm.h_jacobian")


def test_reverse_is_the_forward_layer_on_reversed_inputs():
    P = _params("gru", 3, 2)
    xs, h0 = RNG.uniform(-1, 1, (5, 2)), RNG.uniform(-1, 1, 3)
    out, (hT,) = stacked.layer("gru", P, (h0,), xs, reverse=True)
    fwd, (hT2,) = stacked.layer("gru", P, (h0,), xs[::-1])
    assert np.array_equal(out, fwd[::-1]) and np.array_equal(hT, hT2)
    Q = _params("rnn-tanh", 2, 2)
    one, _ = stacked.layer("rnn-tanh", Q, (np.zeros(2),), xs)
    assert np.array_equal(one, rnn.forward(Q, np.zeros(2), xs))   # one forward layer is the reference model itself


def test_bad_layers_are_one_line():
    with pytest.raises(ValueError, match="every layer needs the same 1 or 2 directions"):
        stacked.forward("gru", [[_params("gru", 2, 2)], []], np.zeros((2, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="kind: expected one of"):
        stacked.forward("peephole", [[{}]], np.zeros((1, 2)), np.zeros((3, 2)))


# ---------------------------------------------------------------- PyTorch's multi-layer modules against the compositions
TORCH_CONFIGS = [("rnn-tanh", dict(num_layers=2, bidirectional=True, batch_first=True)),
                 ("rnn-relu", dict(num_layers=2, bidirectional=False, batch_first=False)),
                 ("lstm", dict(num_layers=2, bidirectional=True, batch_first=True)),
                 ("lstm", dict(num_layers=2, bidirectional=True, batch_first=False, proj_size=2)),
                 ("gru", dict(num_layers=2, bidirectional=True, batch_first=True))]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN:UserWarning")   # torch's notice
@pytest.mark.parametrize("kind,cfg", TORCH_CONFIGS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_multilayer_modules_equal_the_compositions(kind, cfg, dtype):
    """A batch of 3 sequences; every parameter (both biases, drawn independently), values and torch.autograd gradients."""
    torch = pytest.importorskip("torch")
    from vanishing.checks.conformance.torch_adapters import stack_module, stack_params
    H, D, T, B = 3, 2, 4, 3
    dt = np.dtype(dtype)
    rng = np.random.default_rng(5)
    m, layers_t, layers_c = stack_module(kind, D, H, cfg, dt, rng)
    L, dirs, P = cfg["num_layers"], 2 if cfg["bidirectional"] else 1, cfg.get("proj_size", 0) or None
    Hout = P or H
    xs = rng.uniform(-1, 1, (B, T, D) if cfg["batch_first"] else (T, B, D)).astype(dt)
    h0 = rng.uniform(-1, 1, (L * dirs, B, Hout)).astype(dt)
    c0 = rng.uniform(-1, 1, (L * dirs, B, H)).astype(dt) if kinds.row(kind).n_state > 1 else None
    xt = torch.from_numpy(xs).requires_grad_(True)
    h0t = torch.from_numpy(h0).requires_grad_(True)
    if c0 is not None:
        c0t = torch.from_numpy(c0).requires_grad_(True)
        out, (hn, cn) = m(xt, (h0t, c0t))
        outs, ins = (out, hn, cn), [xt, h0t, c0t]
    else:
        out, hn = m(xt, h0t)
        outs, ins = (out, hn), [xt, h0t]
    cots = [rng.uniform(-1, 1, tuple(o.shape)).astype(dt) for o in outs]
    params = list(m.parameters())
    grads = torch.autograd.grad(outs, ins + params, grad_outputs=[torch.from_numpy(c) for c in cots])

    def ref(flat_layers, xs_, h0_, c0_):
        return stacked.batch_forward(kind, stack_params(kind, flat_layers, cfg), h0_, xs_, c0_, batch_first=cfg["batch_first"])
    x64 = [np.asarray(a, dtype=np.float64) for a in (xs, h0)] + ([np.asarray(c0, dtype=np.float64)] if c0 is not None else [])
    flat = [np.asarray(p.detach().numpy(), dtype=np.float64) for p in params]
    r = ref(flat, *x64, *([None] if c0 is None else []))
    scale = max(1.0, max(float(np.max(np.abs(a))) for a in r))
    vt = tolerances.value(dt, scale=scale)
    for name, o, rr in zip(("output", "h_n", "c_n"), outs, r):
        assertions.assert_close(o.detach().numpy(), rr, vt, f"torch {kind} {cfg} {name}")

    def loss(flat_, *inputs):
        res = ref(flat_, *inputs, *([None] if c0 is None else []))
        return sum(anp.sum(a * np.asarray(c, dtype=np.float64)) for a, c in zip(res, cots))
    g_ref = autograd.grad(lambda z: loss(z[0], *z[1]))((flat, x64))
    g_ref = list(g_ref[1]) + list(g_ref[0])
    gscale = max(1.0, max(float(np.max(np.abs(g))) for g in g_ref))
    gt = tolerances.gradient(dt, scale=gscale)
    names = ["xs", "h0", "c0"][:len(ins)] + [n for n, _ in m.named_parameters()]
    for name, g, gr in zip(names, grads, g_ref):
        assertions.assert_close(g.numpy(), gr, gt, f"torch {kind} {cfg} ∂/∂{name}")
