"""Elman RNN h_t = g(a_t), a_t = W_hh h_{t−1} + W_xh x_t + b: forward, Jacobians and BPTT.

Layout (docs/DESIGN.md): W_hh (H, H), W_xh (H, D), b (H,); h0 (H,), xs (T, D), hs (T, H)
holding h_1..h_T. Time steps are numbered 1..T as in the seeds, so ``xs[t-1]`` is x_t and
``hs[t-1]`` is h_t.

The loss is E = Σ_t E_t, and the functions here take its cotangents dE_dh[t−1] = ∂E_t/∂h_t
as given (any per-step readout and loss reduce to them). Then, with ∂⁺ the *immediate*
partial that holds h_{k−1} fixed (Pascanu, Mikolov & Bengio 2013, "On the difficulty of
training recurrent neural networks", §2; seeds 001_4c6834f2b5048873.txt, 003_e8e07349f9f637ad.txt):

    ∂E/∂θ = Σ_{t=1..T} Σ_{k=1..t} ∂E_t/∂h_t · ∂h_t/∂h_k · ∂⁺h_k/∂θ
    ∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1},   J_i = ∂h_i/∂h_{i−1} = diag(g'(a_i)) W_hh

Pascanu et al. write the state as x_t = W_rec σ(x_{t−1}) + …, whose Jacobian is
W_rec diag(σ'(x_{t−1})) (the paper prints W_recᵀ, which matters for products but not for
the norm bounds it derives). In the Elman form used here (and by torch.nn.RNNCell) the
derivative is taken at the *current* pre-activation a_i and stands on the left.
"""

import autograd.numpy as np
import numpy as onp
from autograd.tracer import getval
from vanishing.models._validate import as_array, check_choice, check_init, check_params
from vanishing.models.activations import get_activation

__all__ = [
    "ACTS",
    "bptt_grad",
    "bptt_grad_sum_form",
    "forward",
    "init_params",
    "jacobian_products",
    "param_count",
    "step",
    "step_jacobian",
    "truncated_bptt_grad",
]

ACTS = ("tanh", "sigmoid", "relu")


# ---------------------------------------------------------------- validation (shared with leaky.py)
def _unbox(params):
    """autograd boxes a dict argument as a DictBox; give check_params a plain dict of boxed arrays."""
    v = getval(params)
    return {k: params[k] for k in v} if isinstance(v, dict) and not isinstance(params, dict) else params


def _layout(params):
    """Validate the RNN layout; returns (P, H, D)."""
    params = _unbox(params)
    loose = check_params("params", params, {"W_hh": (None, None), "W_xh": (None, None), "b": (None,)}, finite=False)
    H, D = loose["W_xh"].shape
    return check_params("params", params, {"W_hh": (H, H), "W_xh": (H, D), "b": (H,)}), H, D


def _check(params, h, h_name, act, xs=None, x=None, dE_dh=None):
    """Validate params, a state, one input or a sequence, and the cotangents; returns (P, h, x|xs, g[, dE_dh])."""
    check_choice("act", act, ACTS)
    P, H, D = _layout(params)
    h = as_array(h_name, h, shape=(H,))
    if x is not None:
        return P, h, as_array("x", x, shape=(D,)), get_activation(act, kernels=True)
    xs = as_array("xs", xs, shape=(None, D))
    if xs.shape[0] < 1:
        raise ValueError(f"xs: expected at least one time step, shape (T, {D}) with T >= 1, got shape {xs.shape}")
    out = [P, h, xs, get_activation(act, kernels=True)]
    if dE_dh is not None:
        out.append(as_array("dE_dh", dE_dh, shape=(xs.shape[0], H)))
    return out


# ---------------------------------------------------------------- one step and its Jacobian
def _pre(P, h_prev, x):
    return np.dot(P["W_hh"], h_prev) + np.dot(P["W_xh"], x) + P["b"]    # a_t = W_hh h_{t−1} + W_xh x_t + b


def step(params, h_prev, x, act="tanh"):
    """h_t = g(W_hh h_{t−1} + W_xh x_t + b) (Elman 1990; torch.nn.RNNCell with b = b_ih + b_hh)."""
    P, h_prev, x, g = _check(params, h_prev, "h_prev", act, x=x)
    return g.f(_pre(P, h_prev, x))


def _jac(P, a, g):
    # h_t = g(a_t), a_t = W_hh h_{t−1} + …  ⇒  ∂h_t/∂h_{t−1} = ∂g(a_t)/∂a_t · ∂a_t/∂h_{t−1} = diag(g'(a_t)) W_hh
    #   (seed 001_4c6834f2b5048873.txt: ∂h^i/∂h^{i−1} = v^{(1)} g'(·); seed 003_e8e07349f9f637ad.txt eq. (2))
    return g.df(a)[:, None] * P["W_hh"]


def step_jacobian(params, h_prev, x, act="tanh"):
    """∂h_t/∂h_{t−1} = diag(g'(a_t)) W_hh with a_t = W_hh h_{t−1} + W_xh x_t + b, shape (H, H)."""
    P, h_prev, x, g = _check(params, h_prev, "h_prev", act, x=x)
    return _jac(P, _pre(P, h_prev, x), g)


# ---------------------------------------------------------------- the unrolled sequence
def _run(P, h0, xs, g):
    """Returns (a, h): a[t−1] = a_t for t = 1..T and h[t] = h_t for t = 0..T (h[0] = h0)."""
    a_s, h_s = [], [h0]
    for t in range(xs.shape[0]):
        a_s.append(_pre(P, h_s[-1], xs[t]))
        h_s.append(g.f(a_s[-1]))                                        # h_t = g(a_t)
    return a_s, h_s


def forward(params, h0, xs, act="tanh"):
    """hs[t−1] = h_t = g(W_hh h_{t−1} + W_xh x_t + b) for t = 1..T; returns shape (T, H)."""
    P, h0, xs, g = _check(params, h0, "h0", act, xs=xs)
    return np.stack(_run(P, h0, xs, g)[1][1:])


def _products(Js, H):
    # P[T] = ∂h_T/∂h_T = I;  P[k−1] = ∂h_T/∂h_{k−1} = ∂h_T/∂h_k · ∂h_k/∂h_{k−1} = P[k] J_k   (chain rule;
    #   Pascanu et al. 2013 §2: ∂x_t/∂x_k = Π_{t≥i>k} ∂x_i/∂x_{i−1}); T matrix products in all, not O(T²)
    out = [np.eye(H)]
    for J in reversed(Js):                                              # J_T, …, J_1
        out.append(np.dot(out[-1], J))
    return np.stack(out[::-1])


def jacobian_products(params, h0, xs, act="tanh"):
    """P[k] = ∂h_T/∂h_k = J_T ⋯ J_{k+1} for k = 0..T (P[T] = I), J_i = diag(g'(a_i)) W_hh; shape (T+1, H, H)."""
    P, h0, xs, g = _check(params, h0, "h0", act, xs=xs)
    a_s, _ = _run(P, h0, xs, g)
    return _products([_jac(P, a, g) for a in a_s], h0.shape[0])


# ---------------------------------------------------------------- BPTT
def _immediate(P, v, a, h_prev, x, g, grads):
    """Add v·∂⁺h_k/∂θ for θ = W_hh, W_xh, b (h_{k−1} held fixed); returns δ = v⊙g'(a_k)."""
    delta = v * g.df(a)                                                 # v·∂h_k/∂a_k = v ⊙ g'(a_k)
    grads["W_hh"] = grads["W_hh"] + np.outer(delta, h_prev)            # ∂a_k/∂W_hh[p,q] = e_p h_{k−1}[q]
    grads["W_xh"] = grads["W_xh"] + np.outer(delta, x)                 # ∂a_k/∂W_xh[p,q] = e_p x_k[q]
    grads["b"] = grads["b"] + delta                                     # ∂a_k/∂b = I
    return delta


def _zeros(P, H):
    return {"W_hh": np.zeros_like(P["W_hh"]), "W_xh": np.zeros_like(P["W_xh"]), "b": np.zeros(H), "h0": np.zeros(H)}


def bptt_grad_sum_form(params, h0, xs, dE_dh, act="tanh"):
    """∂E/∂θ = Σ_t Σ_{k≤t} ∂E_t/∂h_t · ∂h_t/∂h_k · ∂⁺h_k/∂θ, ∂E/∂h0 = Σ_t ∂E_t/∂h_t · ∂h_t/∂h_0 (O(T²) products)."""
    P, h0, xs, g, dE_dh = _check(params, h0, "h0", act, xs=xs, dE_dh=dE_dh)
    H, T = h0.shape[0], xs.shape[0]
    a_s, h_s = _run(P, h0, xs, g)
    Js = [_jac(P, a, g) for a in a_s]                                   # Js[i−1] = J_i = ∂h_i/∂h_{i−1}
    grads = _zeros(P, H)
    for t in range(1, T + 1):                                          # ∂E/∂θ = Σ_t ∂E_t/∂θ        (seed 003, eq. (3))
        M = np.eye(H)                                                   # M = ∂h_t/∂h_k, starting at k = t
        for k in range(t, 0, -1):                                      # ∂E_t/∂θ = Σ_{k=1..t} …      (seed 001; Pascanu §2)
            v = np.dot(dE_dh[t - 1], M)                                 # ∂E_t/∂h_t · ∂h_t/∂h_k
            _immediate(P, v, a_s[k - 1], h_s[k - 1], xs[k - 1], g, grads)   # · ∂⁺h_k/∂θ
            M = np.dot(M, Js[k - 1])                                    # ∂h_t/∂h_{k−1} = ∂h_t/∂h_k · J_k
        grads["h0"] = grads["h0"] + np.dot(dE_dh[t - 1], M)            # h_0 enters only through h_1: ∂E_t/∂h_0
    return grads


def bptt_grad(params, h0, xs, dE_dh, act="tanh"):
    """Backward recursion ḡ_t = ∂E_t/∂h_t + W_hhᵀ δ_{t+1}, δ_t = ḡ_t⊙g'(a_t); ∂E/∂W_hh = Σ_t δ_t h_{t−1}ᵀ, etc."""
    P, h0, xs, g, dE_dh = _check(params, h0, "h0", act, xs=xs, dE_dh=dE_dh)
    H, T = h0.shape[0], xs.shape[0]
    a_s, h_s = _run(P, h0, xs, g)
    grads = _zeros(P, H)
    carry = np.zeros(H)                                                 # ∂(E_{t+1} + … + E_T)/∂h_t through h_{t+1}
    # Regrouping the double sum by k: ḡ_k := ∂E/∂h_k (total) = Σ_{t≥k} ∂E_t/∂h_t · ∂h_t/∂h_k
    #   = ∂E_k/∂h_k + ḡ_{k+1} J_{k+1}   (Werbos 1990 BPTT; Goodfellow et al. 2016 §10.2.2)
    for k in range(T, 0, -1):
        gbar = dE_dh[k - 1] + carry                                     # ḡ_k
        delta = _immediate(P, gbar, a_s[k - 1], h_s[k - 1], xs[k - 1], g, grads)  # += ḡ_k · ∂⁺h_k/∂θ
        carry = np.dot(P["W_hh"].T, delta)                              # ḡ_k J_k = (diag(g'(a_k)) W_hh)ᵀ ḡ_k = W_hhᵀ δ_k
    grads["h0"] = carry                                                 # ∂E/∂h_0 = ḡ_1 J_1
    return grads


def truncated_bptt_grad(params, h0, xs, dE_dh, U, act="tanh"):
    """∂E/∂θ ≈ Σ_t Σ_{k=max(1,t−U)..t} ∂E_t/∂h_t · ∂h_t/∂h_k · ∂⁺h_k/∂θ: each E_t flows back at most U steps.

    Convention: E_t's gradient reaches the states h_k with t − U ≤ k ≤ t (U + 1 states, the
    unrolled copies τ = 0..U of seed 001_4c6834f2b5048873.txt, k = t − τ); U = 0 keeps only the
    immediate partials ∂⁺h_t/∂θ. The h0 gradient gets ∂E_t/∂h_0 only from the t ≤ U.
    U ≥ T − 1 already gives the full θ-gradient; U ≥ T gives full BPTT including "h0".
    This truncates each loss term separately (a sliding window per term, cf. the BPTT(h) of
    Williams & Peng 1990); it is not the chunked "detach every k steps" of training loops,
    whose window depends on where t falls in its chunk.
    """
    P, h0, xs, g, dE_dh = _check(params, h0, "h0", act, xs=xs, dE_dh=dE_dh)
    if isinstance(U, bool) or not isinstance(U, (int, onp.integer)) or U < 0:
        raise ValueError(f"U: expected an int >= 0 (steps each E_t flows back), got {U!r}")
    H, T = h0.shape[0], xs.shape[0]
    a_s, h_s = _run(P, h0, xs, g)
    grads = _zeros(P, H)
    for t in range(1, T + 1):
        v = dE_dh[t - 1]                                                # v = ∂E_t/∂h_t · ∂h_t/∂h_k, k = t
        for k in range(t, max(1, t - U) - 1, -1):                      # k = t, t−1, …, max(1, t−U)
            delta = _immediate(P, v, a_s[k - 1], h_s[k - 1], xs[k - 1], g, grads)
            v = np.dot(P["W_hh"].T, delta)                              # v ← v J_k = ∂E_t/∂h_t · ∂h_t/∂h_{k−1}
        if t - U <= 0:                                                  # the window reached k = 0
            grads["h0"] = grads["h0"] + v
    return grads


# ---------------------------------------------------------------- initialisation
def _sizes(H, D):
    """(H, D) as ints, each checked to be a positive int."""
    for name, n in (("H", H), ("D", D)):
        if isinstance(n, bool) or not isinstance(n, (int, onp.integer)) or n < 1:
            raise ValueError(f"{name}: expected a positive int, got {n!r}")
    return int(H), int(D)


def init_params(H, D, rng, scale=1.0):
    """W_hh ~ N(0, scale²/H) (spectral radius ≈ scale, circular law), W_xh ~ N(0, 1/D), b = 0."""
    H, D = _sizes(H, D)
    scale = check_init(rng, scale)
    return {
        "W_hh": scale / onp.sqrt(H) * rng.standard_normal((H, H)),
        "W_xh": rng.standard_normal((H, D)) / onp.sqrt(D),
        "b": onp.zeros(H),
    }


def param_count(H, D):
    """|θ| = H·H + H·D + H (W_hh, W_xh, b)."""
    H, D = _sizes(H, D)
    return H * H + H * D + H
