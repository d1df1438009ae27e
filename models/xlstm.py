"""sLSTM and mLSTM (Beck et al. 2024, "xLSTM: Extended Long Short-Term Memory", arXiv:2405.04517), one head each.

**sLSTM** (§2.2; stabilised as in its Appendix). Canonical layout ``W (4H,D)``, ``R (4H,H)``, ``b (4H,)``, gate order
i, f, z, o (the official code's). With ã = W x_t + R h_{t−1} + b split into z̃, ĩ, f̃, õ: z = tanh(z̃), o = σ(õ), log i = ĩ (exponential input
gate), log f = log σ(f̃) (``forget="sigmoid"``) or f̃ (``forget="exp"``);
m_t = max(log f_t + m_{t−1}, log i_t), i′ = exp(log i_t − m_t), f′ = exp(log f_t + m_{t−1} − m_t),
c_t = f′ c_{t−1} + i′ z_t, n_t = f′ n_{t−1} + i′, h_t = o_t ⊙ c_t / n_t. State (h, c, n, m), (H,) each. As the official
code does (NX-AI/xlstm, ``slstm_forward_pointwise``), a step from n_{t−1} = 0 everywhere sets m_t = log i_t, so that
i′_t = 1 and n_t ≥ 1 from then on (the stabiliser's value never changes h_t: XLSTM-SLSTM-STABILISER-INVARIANT).
The unstabilised form (i = e^{ĩ}, f = σ(f̃) or e^{f̃}, state (h, c, n)) is :func:`slstm_step_unstabilised`.

**mLSTM** (§2.3; stabilised as the official code, mlstm/backends.py). Canonical layout ``W_q, W_k, W_v, W_o (H,D)``,
``b_q, b_k, b_v, b_o (H,)``, ``w_i, w_f (D,)``, ``b_i, b_f ()``: q = W_q x + b_q, k = W_k x/√H + b_k, v = W_v x + b_v,
o = σ(W_o x + b_o), ĩ = w_iᵀx + b_i, f̃ = w_fᵀx + b_f; C_t = f′ C_{t−1} + i′ v kᵀ, n_t = f′ n_{t−1} + i′ k,
h_t = o ⊙ C_t q / max(|n_tᵀ q|, e^{−m_t}) (the stabilised lower bound; unstabilised: max(|nᵀq|, 1), §2.3).
State (C (H,H), n (H,), m ()). :func:`mlstm_parallel` is the parallel form (the paper's appendix; the official parallel_stabilized_simple).

The direct paths: ∂c_t/∂c_{t−1} = diag(f′_t) and ∂n_t/∂n_{t−1} = diag(f′_t) (sLSTM); ∂C_t/∂C_{t−1} = f′_t·I (mLSTM): no
gate reads c, n or C.
"""

import autograd.numpy as np
import numpy as onp
from vanishing.models._validate import as_array, check_choice, check_layout, unvalidated
from vanishing.models.activations import get_activation, log_sigmoid

_SIGMOID, _TANH = get_activation("sigmoid", kernels=True), get_activation("tanh", kernels=True)
sigmoid, tanh = _SIGMOID.f, _TANH.f
_log_sigmoid = unvalidated(log_sigmoid)

__all__ = ["FORGETS", "SLSTM_GATES", "mlstm_forward", "mlstm_parallel", "mlstm_param_count", "mlstm_shapes", "mlstm_step",
           "mlstm_step_unstabilised", "slstm_direct_path_jacobian", "slstm_forward", "slstm_init_params", "slstm_param_count",
           "slstm_shapes", "slstm_step", "slstm_step_unstabilised"]

FORGETS = ("sigmoid", "exp")
SLSTM_GATES = "ifzo"   # the official code's order (xlstm/blocks/slstm/src/vanilla/slstm.py: iraw, fraw, zraw, oraw)


def _raw(v):
    while hasattr(v, "_value"):
        v = v._value
    return onp.asarray(v)


def _finite_or_raise(name, v, why):
    if not onp.all(onp.isfinite(_raw(v))):
        raise ValueError(f"{name}: {why}")


def _size(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, onp.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")
    return int(value)


# ================================================================ sLSTM

def slstm_shapes(H, D):
    """{key: shape}: W (4H,D), R (4H,H), b (4H,), blocks z, i, f, o."""
    return {"W": (None if H is None else 4 * H, D), "R": (None if H is None else 4 * H, H), "b": (None if H is None else 4 * H,)}


def _slstm_params(params):
    # W is (4H, D): H is read as its rows / 4 (a W of other rows fails the shape check, naming W)
    p, (rows, D) = check_layout(params, "W", lambda r, d: slstm_shapes(None if r is None else max(1, r // 4), d))
    return p, None if rows is None else max(1, rows // 4), D


def _slstm_pre(p, h_prev, x, H):
    a = p["W"] @ x + p["R"] @ h_prev + p["b"]                        # ã = W x_t + R h_{t−1} + b (§2.2)
    return {k: a[j * H:(j + 1) * H] for j, k in enumerate(SLSTM_GATES)}


def _log_f(f_pre, forget):
    return _log_sigmoid(f_pre) if forget == "sigmoid" else f_pre     # log σ(f̃) = −softplus(−f̃), finite; or log e^{f̃} = f̃


def _slstm_gates(p, h_prev, m_prev, x, forget, H, fresh=False):
    a = _slstm_pre(p, h_prev, x, H)
    log_f, log_i = _log_f(a["f"], forget), a["i"]
    m = np.maximum(log_f + m_prev, log_i)                              # m_t = max(log f_t + m_{t−1}, log i_t)
    if fresh:                                                          # n_{t−1} = 0: m_t = log i_t (the official code's first step)
        m = log_i
    i_s = np.exp(log_i - m)                                            # i′_t = exp(log i_t − m_t) ≤ 1
    f_s = np.exp(np.minimum(log_f + m_prev - m, 0.0) if fresh else log_f + m_prev - m)   # f′_t = exp(log f_t + m_{t−1} − m_t)
    return {"z": tanh(a["z"]), "o": sigmoid(a["o"]), "i": i_s, "f": f_s, "m": m, "pre": a}


def _slstm_inputs(params, state, x, forget, n_state):
    check_choice("forget", forget, FORGETS)
    p, H, D = _slstm_params(params)
    if not isinstance(state, (tuple, list)) or len(state) != n_state:
        names = "(h, c, n, m)" if n_state == 4 else "(h, c, n)"
        raise ValueError(f"state: expected a tuple {names} of (H,) arrays, got {type(state).__name__} of length "
                         f"{len(state) if isinstance(state, (tuple, list)) else '-'}")
    names = ("h_prev", "c_prev", "n_prev", "m_prev")[:n_state]
    return p, H, tuple(as_array(nm, s, (H,)) for nm, s in zip(names, state)), as_array("x", x, (D,))


def _all_zero(n):
    return bool(onp.all(_raw(n) == 0.0))


def _normalise(c, n, where):
    if onp.any(_raw(n) == 0):
        raise ValueError(f"n_t: the normaliser is 0 at {where} (every input-gate contribution underflowed and n_0 = 0): "
                         "start from n_0 >= 1 or m_0 low enough that i'_1 = 1")
    return c / n                                                       # h̃_t = c_t / n_t   (§2.2)


def slstm_step(params, state, x, forget="sigmoid"):
    """One stabilised sLSTM step: (h, c, n, m) → (h_t, c_t, n_t, m_t)."""
    p, H, (h, c, n, m), x = _slstm_inputs(params, state, x, forget, 4)
    g = _slstm_gates(p, h, m, x, forget, H, fresh=_all_zero(n))
    c = g["f"] * c + g["i"] * g["z"]                                   # c_t = f′ c_{t−1} + i′ z_t   (§2.2, stabilised)
    n = g["f"] * n + g["i"]                                            # n_t = f′ n_{t−1} + i′       (§2.2, stabilised)
    return g["o"] * _normalise(c, n, "this step"), c, n, g["m"]        # h_t = o_t ⊙ c_t/n_t         (§2.2)


def slstm_step_unstabilised(params, state, x, forget="sigmoid"):
    """One sLSTM step without the stabiliser (§2.2): (h, c, n) → (h_t, c_t, n_t); ValueError where e^{ĩ} overflows."""
    p, H, (h, c, n), x = _slstm_inputs(params, state, x, forget, 3)
    a = _slstm_pre(p, h, x, H)
    with onp.errstate(over="ignore", invalid="ignore"):
        i = np.exp(a["i"])                                             # i_t = exp(ĩ_t)   (§2.2)
        f = sigmoid(a["f"]) if forget == "sigmoid" else np.exp(a["f"])  # f_t = σ(f̃_t) or exp(f̃_t)
        c = f * c + i * tanh(a["z"])
        n = f * n + i
        _finite_or_raise("i_t", c + n, "exp(ĩ_t) or exp(f̃_t) overflowed: the unstabilised sLSTM is finite only below "
                         "ĩ ≈ 709; use slstm_step")
    return sigmoid(a["o"]) * _normalise(c, n, "this step"), c, n


def slstm_direct_path_jacobian(params, state, x, forget="sigmoid"):
    """∂c_t/∂c_{t−1} = ∂n_t/∂n_{t−1} = diag(f′_t): the gates read h_{t−1}, m_{t−1} and x_t, never c or n; (H, H)."""
    p, H, (h, _, n, m), x = _slstm_inputs(params, state, x, forget, 4)
    return np.diag(_slstm_gates(p, h, m, x, forget, H, fresh=_all_zero(n))["f"])          # ∂(f′c + i′z)/∂c = diag(f′), f′ free of c


def slstm_forward(params, state0, xs, forget="sigmoid"):
    """The stabilised recurrence over xs (T, D): (hs (T,H), c_T, n_T, m_T)."""
    p, H, (h, c, n, m), _ = _slstm_inputs(params, state0, onp.zeros(_slstm_params(params)[2]), forget, 4)
    xs = as_array("xs", xs, (None, p["W"].shape[1]))
    hs = []
    for t in range(xs.shape[0]):
        g = _slstm_gates(p, h, m, xs[t], forget, H, fresh=_all_zero(n))
        c, n, m = g["f"] * c + g["i"] * g["z"], g["f"] * n + g["i"], g["m"]
        h = g["o"] * _normalise(c, n, f"t = {t + 1}")
        hs.append(h)
    return (np.stack(hs) if hs else np.zeros((0, H))), c, n, m


def slstm_init_params(H, D, rng, scale=1.0):
    """θ ~ U(−k, k), k = scale/√H (the PyTorch LSTMCell init) for W, R and b."""
    from vanishing.models._validate import check_init
    H, D = _size("H", H), _size("D", D)
    k = check_init(rng, scale) / onp.sqrt(H)
    return {"W": rng.uniform(-k, k, (4 * H, D)), "R": rng.uniform(-k, k, (4 * H, H)), "b": rng.uniform(-k, k, 4 * H)}


def slstm_param_count(H, D):
    """4(H·D + H² + H): W, R and b for the four gates z, i, f, o (one head: R dense)."""
    H, D = _size("H", H), _size("D", D)
    return 4 * (H * D + H * H + H)


# ================================================================ mLSTM

def mlstm_shapes(H, D):
    """{key: shape} of the one-head mLSTM (d = H)."""
    out = {f"W_{k}": (H, D) for k in "qkvo"}
    out.update({f"b_{k}": (H,) for k in "qkvo"})
    out.update(w_i=(D,), w_f=(D,), b_i=(), b_f=())
    return out


def _mlstm_params(params):
    p, (H, D) = check_layout(params, "W_q", mlstm_shapes)               # W_q is (H, D)
    return p, H, D


def _mlstm_proj(p, x, forget, H):
    """q, k, v, o and (log i, log f) of one input (§2.3); none reads the state."""
    q = p["W_q"] @ x + p["b_q"]                                        # q_t = W_q x_t + b_q          (§2.3)
    k = (p["W_k"] @ x) / onp.sqrt(H) + p["b_k"]                        # k_t = W_k x_t/√d + b_k       (§2.3)
    v = p["W_v"] @ x + p["b_v"]                                        # v_t = W_v x_t + b_v          (§2.3)
    o = sigmoid(p["W_o"] @ x + p["b_o"])                               # o_t = σ(W_o x_t + b_o)       (§2.3)
    log_i = np.dot(p["w_i"], x) + p["b_i"]                             # log i_t = ĩ_t               (§2.3)
    f_pre = np.dot(p["w_f"], x) + p["b_f"]
    return q, k, v, o, log_i, _log_f(f_pre, forget)                    # log f_t                      (§2.3)


def _mlstm_inputs(params, state, x, forget, n_state):
    check_choice("forget", forget, FORGETS)
    p, H, D = _mlstm_params(params)
    if not isinstance(state, (tuple, list)) or len(state) != n_state:
        names = "(C, n, m)" if n_state == 3 else "(C, n)"
        raise ValueError(f"state: expected a tuple {names}, got {type(state).__name__}")
    shapes = ((H, H), (H,), ())[:n_state]
    names = ("C_prev", "n_prev", "m_prev")[:n_state]
    return p, H, tuple(as_array(nm, s, sh) for nm, s, sh in zip(names, state, shapes)), as_array("x", x, (D,))


def _mlstm_update(p, C, n, m, x, forget, H):
    q, k, v, o, log_i, log_f = _mlstm_proj(p, x, forget, H)
    m_new = np.maximum(log_f + m, log_i)                               # m_t = max(log f_t + m_{t−1}, log i_t)
    i_s, f_s = np.exp(log_i - m_new), np.exp(log_f + m - m_new)        # i′_t, f′_t ≤ 1
    C = f_s * C + i_s * np.outer(v, k)                                 # C_t = f′ C_{t−1} + i′ v_t k_tᵀ   (§2.3)
    n = f_s * n + i_s * k                                              # n_t = f′ n_{t−1} + i′ k_t        (§2.3)
    # h_t = o_t ⊙ C_t q_t / max(|n_tᵀq_t|, e^{−m_t})  (§2.3, its bound 1 rescaled by the stabiliser)
    return o * (C @ q) * _inverse_bound(np.dot(n, q), m_new), C, n, m_new


def _inverse_bound(nq, m):
    """1/max(|nq|, e^{−m}) = exp(−max(log|nq|, −m)), which neither overflows (e^{−m} for m < −709) nor divides by 0.

    |nq| is read as max(|nq|, 1e-300) inside the logarithm: that moves the value only where |nq| < 1e-300 and m > 690.
    """
    log_nq = np.log(np.maximum(np.abs(nq), 1e-300))
    return np.exp(-np.maximum(log_nq, -m))


def mlstm_step(params, state, x, forget="sigmoid"):
    """One stabilised mLSTM step: (C, n, m) → (h_t, C_t, n_t, m_t)."""
    p, H, (C, n, m), x = _mlstm_inputs(params, state, x, forget, 3)
    return _mlstm_update(p, C, n, m, x, forget, H)


def mlstm_step_unstabilised(params, state, x, forget="sigmoid"):
    """One mLSTM step as §2.3 writes it (i = e^{ĩ}, bound max(|nᵀq|, 1)): (C, n) → (h_t, C_t, n_t)."""
    p, H, (C, n), x = _mlstm_inputs(params, state, x, forget, 2)
    q, k, v, o, log_i, log_f = _mlstm_proj(p, x, forget, H)
    with onp.errstate(over="ignore", invalid="ignore"):
        i, f = np.exp(log_i), np.exp(log_f)
        C = f * C + i * np.outer(v, k)
        n = f * n + i * k
        _finite_or_raise("i_t", np.sum(C) + np.sum(n), "exp(ĩ_t) overflowed: the unstabilised mLSTM is finite only below "
                         "ĩ ≈ 709; use mlstm_step")
    return o * (C @ q) / np.maximum(np.abs(np.dot(n, q)), 1.0), C, n


def mlstm_forward(params, state0, xs, forget="sigmoid"):
    """The stabilised recurrence over xs (T, D): (hs (T,H), C_T, n_T, m_T)."""
    p, H, D = _mlstm_params(params)
    p, H, (C, n, m), _ = _mlstm_inputs(params, state0, onp.zeros(D), forget, 3)
    xs = as_array("xs", xs, (None, D))
    hs = []
    for t in range(xs.shape[0]):
        h, C, n, m = _mlstm_update(p, C, n, m, xs[t], forget, H)
        hs.append(h)
    return (np.stack(hs) if hs else np.zeros((0, H))), C, n, m


def mlstm_parallel(params, xs, forget="sigmoid"):
    """hs (T, H) of the recurrence from C_0 = 0, n_0 = 0, by the parallel form (Beck et al. 2024, Appendix A.3).

    F_t = Σ_{s≤t} log f_s; log D_ts = F_t − F_s + ĩ_s (s ≤ t), m_t = max_s log D_ts, D′ = e^{log D − m_t};
    C̃ = (Q Kᵀ) ⊙ D′, h̃_t = Σ_s C̃_ts v_s / max(|Σ_s C̃_ts|, e^{−m_t}), h_t = o_t ⊙ h̃_t.
    """
    check_choice("forget", forget, FORGETS)
    p, H, D = _mlstm_params(params)
    xs = as_array("xs", xs, (None, D))
    T = xs.shape[0]
    if T == 0:
        return np.zeros((0, H))
    proj = [_mlstm_proj(p, xs[t], forget, H) for t in range(T)]
    Q, K, V, O = (np.stack([pr[j] for pr in proj]) for j in range(4))
    log_i, log_f = np.stack([pr[4] for pr in proj]), np.stack([pr[5] for pr in proj])
    F = np.cumsum(log_f)                                               # F_t = Σ_{s≤t} log f_s
    causal = onp.tril(onp.ones((T, T), dtype=bool))
    # −1e300 (not −inf) off the causal triangle: e^{−1e300 − m} underflows to 0 quietly, and autograd's max never sees −inf
    log_D = np.where(causal, F[:, None] - F[None, :] + log_i[None, :], -1e300)
    m = np.max(log_D, axis=1)                                          # m_t = max_{s≤t} log D_ts
    Dp = np.where(causal, np.exp(log_D - m[:, None]), 0.0)             # D′_ts = exp(log D_ts − m_t)
    Ct = (Q @ K.T) * Dp                                                # C̃ = (Q Kᵀ) ⊙ D′   (K carries the 1/√d)
    return O * (Ct @ V) * _inverse_bound(np.sum(Ct, axis=1), m)[:, None]   # ÷ max(|Σ_s C̃_ts|, e^{−m_t})


def mlstm_param_count(H, D):
    """4(H·D + H) for q, k, v, o and 2(D + 1) for the scalar gates i, f."""
    H, D = _size("H", H), _size("D", D)
    return 4 * (H * D + H) + 2 * (D + 1)
