"""Experiment 2, gradient against lag: ‖∂h_T/∂h_k‖ and ‖∂L/∂h_k‖ as T − k grows, RNN vs LSTM vs GRU.

Every model is a reference model at its default initialisation, run on Gaussian inputs from the zero state.
The long-range Jacobian is the product of step Jacobians, later steps on the left:

* vanilla RNN: ``rnn.jacobian_products`` (hand-derived, P[k] = J_T ⋯ J_{k+1}, J_i = diag(g'(a_i)) W_hh),
  overlaid with Pascanu et al.'s bound (γ_g'·σ_max(W_hh))^(T−k) (claim RNN-NORM-BOUND);
* GRU: ``gru.step_jacobian`` (hand-derived), both reset conventions;
* LSTM: the state is (h, c), so the step Jacobian is the 2H×2H ∂(h_t, c_t)/∂(h_{t−1}, c_{t−1}), taken by
  autograd through the batched reference cell; the plotted norm is ‖∂h_T/∂(h_k, c_k)‖₂.

The modern families (issue 24), from the reference models in models/:

* the gated linear recurrences, whose step Jacobian is diagonal and reads x_t only, so lags up to 1000 are cheap:
  minGRU and minLSTM (``mingru.step_jacobian``: diag(1 − z_t), diag(f′_t)), LRU (``lru.step_jacobian``: diag(λ), the
  norm of its lag-fold product is max_j |λ_j|^lag), Mamba S6 (``mamba.state_jacobian``: diag(exp(Δ_t A))) and mLSTM
  (∂(C_t, n_t)/∂(C_{t−1}, n_{t−1}) = f_t·I of the unstabilised step ``xlstm.mlstm_step_unstabilised``, f_t by autograd);
  the products are sums of logarithms, so they neither underflow nor overflow; plotted is the state's own Jacobian;
* sLSTM, whose gates read h_{t−1} through R: ∂h_T/∂(h_k, c_k, n_k, m_k), products of the 4H×4H step Jacobians of
  ``xlstm.slstm_step`` by autograd (:func:`slstm_state_jacobian`).

L = ½‖h_T − y‖² with a fixed random target y, so ∂L/∂h_k = (h_T − y)ᵀ ∂h_T/∂h_k (the linear families: L on their state).
"""

from collections.abc import Callable
from typing import NamedTuple

import autograd
import autograd.numpy as anp
import numpy as onp

from vanishing.experiments._common import Progress, caption_below, pyplot, save
from vanishing.experiments._torch_cells import mlstm_init
from vanishing.models import batched, gru, lru, lstm, mamba, mingru, rnn, xlstm
from vanishing.models.activations import get_activation

NAME = "lag"
TITLE = "Gradient against lag: vanilla RNN, LSTM, GRU and the modern recurrent families"
CLAIMS = ("RNN-NORM-BOUND", "RNN-VANISH-SUFFICIENT", "RNN-JACOBIAN-PRODUCT-ORDER", "RNN-LONG-TERM-TERMS-VANISH",
          "LSTM-FORGET-BIAS-ONE", "LSTM-FORGET-BIAS-LEVER", "LSTM-DIRECT-PATH-PRODUCT", "GRU-DIRECT-PATH", "GRU-STEP-JACOBIAN",
          "MODERN-DIRECT-PATH-DIAG", "MINGRU-STEP-JACOBIAN-DIAG", "LRU-STATE-JACOBIAN", "LRU-EIGENVALUE-MODULUS",
          "MAMBA-STATE-JACOBIAN-CONTRACTS", "XLSTM-SLSTM-DIRECT-PATH")

def lstm_state_jacobian(p, h, c, x):
    """∂(h_t, c_t)/∂(h_{t−1}, c_{t−1}) (2H×2H) by autograd: row b of the batch carries output b's cotangent."""
    H = h.shape[0]
    n = 2 * H
    S0 = onp.tile(onp.concatenate([h, c]), (n, 1))
    X = onp.tile(x, (n, 1))[None]

    def diag_out(S):
        hs, cs = batched.lstm_forward(p, S[:, :H], S[:, H:], X, "forget")
        return anp.sum(anp.concatenate([hs[0], cs[0]], axis=1) * onp.eye(n))   # Σ_b out_b[b]: row b of S gets ∂out_b/∂S_b

    return autograd.grad(diag_out)(S0)


def _products(Js):
    """P[k] = J_T ⋯ J_{k+1} for k = 0..T (P[T] = I)."""
    out = [onp.eye(Js[0].shape[0])]
    for J in reversed(Js):
        out.append(out[-1] @ J)
    return out[::-1]


def _rnn(act):
    """The vanilla RNN's products (hand-derived), with the facts of Pascanu's bound: σ_max(W_hh) and γ = sup|g'|."""
    def jac(H, D, xs, rng):
        p = rnn.init_params(H, D, rng)
        P = rnn.jacobian_products(p, onp.zeros(H), xs, act)
        hT = rnn.forward(p, onp.zeros(H), xs, act)[-1]
        return list(P), hT, {"sigma_max": float(onp.linalg.norm(p["W_hh"], 2)), "gamma": get_activation(act).deriv_sup}
    return jac


def _gru(reset):
    """The GRU's products of hand-derived step Jacobians."""
    def jac(H, D, xs, rng):
        p = gru.init_params(H, D, rng)
        hs = onp.vstack([onp.zeros(H), gru.forward(p, onp.zeros(H), xs, reset)])
        Js = [gru.step_jacobian(p, hs[t], xs[t], reset) for t in range(len(xs))]
        return _products(Js), hs[-1], {}
    return jac


def _lstm(forget_bias):
    """The LSTM's rows ∂h_T/∂(h_k, c_k) of the products of 2H×2H state Jacobians (autograd)."""
    def jac(H, D, xs, rng):
        p = lstm.init_params(H, D, rng, forget_bias=forget_bias)
        hs, cs = lstm.forward(p, onp.zeros(H), onp.zeros(H), xs)
        hs, cs = onp.vstack([onp.zeros(H), hs]), onp.vstack([onp.zeros(H), cs])
        Js = [lstm_state_jacobian(p, hs[t], cs[t], xs[t]) for t in range(len(xs))]
        return [M[:H] for M in _products(Js)], hs[-1], {}
    return jac


def _norms(P, v):
    """‖P[T − lag]‖₂ and ‖vᵀP[T − lag]‖ for lag = 0..T."""
    T = len(P) - 1
    return ([float(onp.linalg.norm(P[T - lag], 2)) for lag in range(T + 1)],
            [float(onp.linalg.norm(v @ P[T - lag])) for lag in range(T + 1)])


def _dense(jac):
    """measure() of a model whose jac(H, D, xs, rng) gives the dense products (the rng draws as before: xs, params, y)."""
    def measure(H, D, T, rng):
        xs = rng.standard_normal((T, D))
        P, hT, facts = jac(H, D, xs, rng)
        y = rng.standard_normal(H)
        return (*_norms(P, hT - y), facts)                                 # ∂L/∂h_T = h_T − y for L = ½‖h_T − y‖²
    return measure


def slstm_state_jacobian(p, s, x):
    """∂(h_t, c_t, n_t, m_t)/∂(h_{t−1}, c_{t−1}, n_{t−1}, m_{t−1}) (4H×4H) of ``xlstm.slstm_step``, by autograd.

    Every operation of the step after ã = W x + R h_{t−1} + b is elementwise, so one reverse pass of Σ_j out_j per
    output gives ∂out_j/∂(ã_j, c_j, n_j, m_j) for every j; h_{t−1} enters through R only: ∂out/∂h = Σ_g diag(∂out/∂ã_g) R_g.
    The step is evaluated as slstm_step with W = I, R = 0, b = 0 on the input ã, which computes the same gates.
    """
    H = p["R"].shape[1]
    a = p["W"] @ x + p["R"] @ s[0] + p["b"]
    q = {"W": onp.eye(4 * H), "R": onp.zeros((4 * H, H)), "b": onp.zeros(4 * H)}
    z = onp.concatenate([a, s[1], s[2], s[3]])

    def out(z, k):
        return anp.sum(xlstm.slstm_step(q, (s[0], z[4 * H:5 * H], z[5 * H:6 * H], z[6 * H:]), z[:4 * H])[k])

    J = onp.zeros((4 * H, 4 * H))
    for k in range(4):
        d = autograd.grad(out)(z, k)
        J[k * H:(k + 1) * H, :H] = sum(d[g * H:(g + 1) * H, None] * p["R"][g * H:(g + 1) * H] for g in range(4))
        for j in range(3):                                                 # c, n, m: diagonal blocks
            J[k * H:(k + 1) * H, (j + 1) * H:(j + 2) * H] = onp.diag(d[(4 + j) * H:(5 + j) * H])
    return J


def _slstm(H, D, xs, rng):
    """The sLSTM's rows ∂h_T/∂(h_k, c_k, n_k, m_k) of the products of its 4H×4H state Jacobians."""
    p = xlstm.slstm_init_params(H, D, rng)
    s = (onp.zeros(H),) * 4
    Js = []
    for x in xs:
        Js.append(slstm_state_jacobian(p, s, x))
        s = xlstm.slstm_step(p, s, x)
    return [M[:H] for M in _products(Js)], s[0], {}


def _diagonal_products(log_a, v):
    """For diagonal step Jacobians with log-moduli log_a (T, n) (complex pairs share a modulus) and v (n,):
    ‖∏ J‖₂ = max_j exp(Σ log|a_j|) and ‖vᵀ∏ J‖ for lag = 0..T, as sums of logarithms (no underflow)."""
    T = len(log_a)
    S = onp.vstack([onp.zeros(log_a.shape[1]), onp.cumsum(log_a[::-1], axis=0)])   # S[lag] = Σ_{t > T − lag} log|a_t|
    dh = onp.exp(S.max(axis=1))
    with onp.errstate(divide="ignore"):
        lv = onp.log(onp.abs(v))
    top = (S + lv).max(axis=1)
    dL = onp.exp(top) * onp.sqrt(onp.sum(onp.exp(2 * (S + lv - top[:, None])), axis=1))   # ‖v ⊙ e^S‖ without underflow
    assert len(dh) == T + 1
    return list(map(float, dh)), list(map(float, dL))


def _min(cell):
    """minGRU / minLSTM: the diagonal of ``mingru.step_jacobian`` (1 − z_t or f′_t) at every step; L on h_T."""
    def measure(H, D, T, rng):
        xs = rng.standard_normal((T, D))
        p = mingru.init_params(H, D, rng, cell)
        hs = mingru.forward(p, onp.zeros(H), xs, cell)
        a = onp.array([onp.diag(mingru.step_jacobian(p, onp.zeros(H) if t == 0 else hs[t - 1], xs[t], cell)) for t in range(T)])
        return (*_diagonal_products(onp.log(a), hs[-1] - rng.standard_normal(H)), {})
    return measure


def _lru(H, D, T, rng):
    """LRU: |λ_j| from the 2×2 blocks of ``lru.step_jacobian``; L on the state (Re x_T, Im x_T)."""
    us = rng.standard_normal((T, D))
    p = lru.init_params(H, D, rng)
    _, hr, hi = lru.forward(p, onp.zeros(H), onp.zeros(H), us)
    mods = []
    for t in range(T):
        J = lru.step_jacobian(p, onp.zeros(H) if t == 0 else hr[t - 1], onp.zeros(H) if t == 0 else hi[t - 1], us[t])
        mods.append(onp.hypot(onp.diag(J[:H, :H]), onp.diag(J[H:, :H])))   # |λ_j| = |Re λ_j + i Im λ_j|
    v = onp.concatenate([hr[-1], hi[-1]]) - rng.standard_normal(2 * H)
    log_mod = onp.log(onp.array(mods))
    # the real 2×2 block of λ^lag is |λ|^lag times a rotation: ‖(v_re, v_im)_j block‖ = |λ_j|^lag ‖(v_re_j, v_im_j)‖
    dh, dL = _diagonal_products(log_mod, onp.hypot(v[:H], v[H:]))
    return dh, dL, {"max_abs_lambda": float(onp.exp(log_mod[0].max()))}


def _mamba(H, D, T, rng):
    """Mamba S6: the diagonal of ``mamba.state_jacobian``, exp(Δ_t A) (D·H entries); L on the state vec h_T."""
    xs = rng.standard_normal((T, D))
    p = mamba.init_params(H, D, rng)
    _, hs = mamba.forward(p, onp.zeros((D, H)), xs)
    a = onp.array([onp.diag(mamba.state_jacobian(p, onp.zeros((D, H)) if t == 0 else hs[t - 1], xs[t])) for t in range(T)])
    return (*_diagonal_products(onp.log(a), hs[-1].ravel() - rng.standard_normal(D * H)), {})


def _mlstm(H, D, T, rng):
    """mLSTM: f_t = ∂n_t/∂n_{t−1} (the same for every entry, and for C) by autograd of the unstabilised step."""
    xs = rng.standard_normal((T, D))
    p = mlstm_init(H, D, rng)
    C, n = onp.zeros((H, H)), onp.zeros(H)
    fs = []
    for t in range(T):
        fs.append(autograd.grad(lambda m, C=C, x=xs[t]: anp.sum(xlstm.mlstm_step_unstabilised(p, (C, m), x)[2]))(n))   # f_t in every entry
        _, C, n = xlstm.mlstm_step_unstabilised(p, (C, n), xs[t])
    v = onp.concatenate([C.ravel(), n]) - rng.standard_normal(H * H + H)
    log_f = onp.log(onp.array(fs)[:, :1])                                  # f_t·I: one modulus shared by every entry
    dh, _ = _diagonal_products(log_f, onp.ones(1))
    return dh, [x * float(onp.linalg.norm(v)) for x in dh], {}            # ‖vᵀ f·I‖ = ‖v‖ ∏ f


class Model(NamedTuple):
    """One curve: its label (figure and JSON), colour, measure(H, D, T, rng) -> (‖∂s_T/∂s_k‖, ‖∂L/∂s_k‖ by lag, facts),
    and whether it is a diagonal linear recurrence (measured up to the long lag)."""

    label: str
    colour: str
    measure: Callable
    linear: bool = False


MODELS = (Model("RNN tanh", "#08306b", _dense(_rnn("tanh"))), Model("RNN sigmoid", "#6baed6", _dense(_rnn("sigmoid"))),
          Model("RNN relu", "#7b3294", _dense(_rnn("relu"))), Model("LSTM b_f=0", "#a1d99b", _dense(_lstm(0.0))),
          Model("LSTM b_f=1", "#41ab5d", _dense(_lstm(1.0))), Model("LSTM b_f=2", "#005a32", _dense(_lstm(2.0))),
          Model("GRU reset after", "#fd8d3c", _dense(_gru("after"))), Model("GRU reset before", "#a63603", _dense(_gru("before"))),
          Model("sLSTM", "#a6761d", _dense(_slstm)),
          Model("minGRU", "#e7298a", _min("mingru"), True), Model("minLSTM", "#4d4dff", _min("minlstm"), True),
          Model("LRU", "#1b9e77", _lru, True), Model("mLSTM", "#666666", _mlstm, True),
          Model("Mamba S6", "#e6ab02", _mamba, True))


def run(quick, out, progress=None):
    progress = progress or Progress(NAME)
    H, D = (16, 4) if quick else (32, 4)
    T = 60 if quick else 120
    T_long = 200 if quick else 1000                                      # the diagonal linear recurrences
    seeds = list(range(2 if quick else 5))
    lags = onp.arange(T + 1)
    res = {}
    for model in MODELS:
        name = model.label
        dh, dL, facts = [], [], []
        for sd in seeds:
            a, b, extra = model.measure(H, D, T_long if model.linear else T, onp.random.default_rng(sd))
            dh.append(a)
            dL.append(b)
            facts.append(extra)
        res[name] = {"dh": onp.array(dh), "dL": onp.array(dL), "facts": facts, "linear": model.linear}
        progress(f"{name} done")

    def med(a):
        return onp.exp(onp.median(onp.log(onp.maximum(a, 1e-300)), axis=0))

    fig = _figure({k: {**r, "dh": r["dh"][:, :T + 1], "dL": r["dL"][:, :T + 1]} for k, r in res.items()}, lags, T, H,
                  len(seeds), quick, med)
    fig_long, caption_long = _figure_long({k: r for k, r in res.items() if r["linear"]}, T_long, H, D, len(seeds), quick, med)
    at = [lag for lag in (10, 25, 50, 100) if lag <= T]
    at_long = [lag for lag in (100, 250, 500, 1000) if lag <= T_long]
    numbers = {name: {"median_dh_at_lag": {str(lag): float(med(r["dh"])[lag]) for lag in (at_long if r["linear"] else at)},
                      "median_dL_at_lag": {str(lag): float(med(r["dL"])[lag]) for lag in (at_long if r["linear"] else at)},
                      "dh_per_seed_at_max_lag": [float(x) for x in r["dh"][:, -1]],
                      "max_lag": int(r["dh"].shape[1] - 1),
                      **({k: [f[k] for f in r["facts"]] for k in r["facts"][0] if k not in ("sigma_max", "gamma")}),
                      **({"sigma_max_W_hh": [f["sigma_max"] for f in r["facts"]], "gamma": r["facts"][0]["gamma"],
                          "bound_holds_at_every_lag": bool(all(
                              onp.all(r["dh"][i] <= (f["gamma"] * f["sigma_max"]) ** lags * (1 + 1e-9))
                              for i, f in enumerate(r["facts"])))} if "gamma" in r["facts"][0] else {})}
               for name, r in res.items()}
    order = sorted(numbers, key=lambda k: -numbers[k]["median_dh_at_lag"].get(str(at[-1]), float(med(res[k]["dh"])[at[-1]])))
    caption = (f"Median over {len(seeds)} random models (shaded: min–max) of the spectral norm ‖∂h_T/∂h_k‖₂ (left) and "
               f"‖∂L/∂h_k‖ (right) against the lag T − k, log scale, H = {H}, default initialisations, Gaussian inputs. "
               f"Dashed: the bound (γ·σ_max(W_hh))^(T−k) for each vanilla RNN (left), times ‖∂L/∂h_T‖ (right). "
               + " ".join(f"{k}: bound base γσ_max = {numbers[k]['gamma'] * float(onp.median(numbers[k]['sigma_max_W_hh'])):.2f}"
                          + (" > 1 (the bound allows growth)" if numbers[k]["gamma"] * float(onp.median(numbers[k]["sigma_max_W_hh"])) > 1
                             else " < 1 (the bound vanishes)")
                          + f", measured median at lag {at[-1]}: {numbers[k]['median_dh_at_lag'][str(at[-1])]:.1g}."
                          for k in numbers if "gamma" in numbers[k])        # the vanilla RNNs: they have a bound
               + f" Ranked by ‖∂h_T/∂h_k‖ at lag {at[-1]}: " + ", ".join(f"{k} {float(med(res[k]['dh'])[at[-1]]):.1g}" for k in order)
               + f". sLSTM: ‖∂h_T/∂(h_k, c_k, n_k, m_k)‖; the linear families (minGRU, minLSTM, LRU, mLSTM, Mamba S6): the "
               f"norm of their state's own Jacobian, from sequences of length {T_long} (their step Jacobian reads x_t only).")
    caption_below(fig, caption, width=160)
    return {
        "figures": [{"file": save(fig, out, "lag.png"), "caption": caption},
                    {"file": save(fig_long, out, "lag_long.png"), "caption": caption_long}],
        "seeds": seeds,
        "hyperparameters": {"H": H, "D": D, "T": T, "T_linear_families": T_long, "inputs": "x_t ~ N(0, I), zero initial states",
                            "inits": "rnn.init_params (W_hh ~ N(0, 1/H)), lstm.init_params / gru.init_params "
                                     "(U(−1/√H, 1/√H), forget bias added to b_f), mingru/lru/mamba/xlstm.slstm init_params, "
                                     "mLSTM: _torch_cells.mlstm_init (NX-AI's gate init: b_f = 3)",
                            "loss": "L = ½‖h_T − y‖², y ~ N(0, I) per seed"},
        "dataset": "synthetic Gaussian inputs",
        "numbers": numbers,
    }


def _figure(res, lags, T, H, n_seeds, quick, med):
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.6), sharey=False)
    colors = {m.label: m.colour for m in MODELS}
    for ax, key, label in ((axes[0], "dh", "‖∂h_T/∂h_k‖₂"), (axes[1], "dL", "‖∂L/∂h_k‖₂")):
        for name, r in res.items():
            a = onp.maximum(r[key], 1e-300)
            ax.semilogy(lags, med(a), color=colors[name], lw=2, label=name, ls="-." if r["linear"] else "-")
            ax.fill_between(lags, a.min(axis=0), a.max(axis=0), color=colors[name], alpha=0.12, lw=0)
            if "gamma" in r["facts"][0]:
                eta = onp.median([f["gamma"] * f["sigma_max"] for f in r["facts"]])
                scale = 1.0 if key == "dh" else float(onp.median(r["dL"][:, 0]))
                ax.semilogy(lags, scale * eta ** lags, color=colors[name], lw=1, ls="--",
                            label=f"{name}: bound ({r['facts'][0]['gamma']:g}·{onp.median([f['sigma_max'] for f in r['facts']]):.2f})^(T−k)")
        ax.set_xlabel("lag T − k (time steps)")
        ax.set_ylabel(label + " (log scale)")
        ax.set_ylim(1e-30, 1e4)
        ax.set_xlim(0, T)
    axes[0].set_title("Jacobian of the last hidden state w.r.t. the state at step k")
    axes[1].set_title("Gradient of L = ½‖h_T − y‖² w.r.t. the state at step k")
    axes[0].legend(loc="lower left", ncol=2, fontsize=7.5)
    fig.suptitle(f"How far back the gradient reaches (H = {H}, {n_seeds} seeds)" + (" — quick run" if quick else ""))
    fig.subplots_adjust(left=0.07, right=0.98, top=0.91, bottom=0.25, wspace=0.2)
    return fig


def _figure_long(res, T, H, D, n_seeds, quick, med):
    """The diagonal linear recurrences up to lag T: the norm of their state Jacobian and of ∂L/∂s_k."""
    plt = pyplot()
    lags = onp.arange(T + 1)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.2))
    colors = {m.label: m.colour for m in MODELS}
    for ax, key, label in ((axes[0], "dh", "‖∂s_T/∂s_k‖₂"), (axes[1], "dL", "‖∂L/∂s_k‖₂")):
        for name, r in res.items():
            a = onp.maximum(r[key], 1e-300)
            ax.semilogy(lags, med(a), color=colors[name], lw=2, label=name)
            ax.fill_between(lags, a.min(axis=0), a.max(axis=0), color=colors[name], alpha=0.12, lw=0)
        ax.set_xlabel("lag T − k (time steps)")
        ax.set_ylabel(label + " (log scale)")
        ax.set_xlim(0, T)
    axes[0].set_title("Jacobian of the last state w.r.t. the state at step k (diagonal products)")
    axes[1].set_title("Gradient of L = ½‖s_T − y‖² w.r.t. the state at step k")
    axes[0].legend(loc="lower left", fontsize=8.5)
    fig.suptitle(f"The gated linear recurrences up to lag {T} (H = {H}, D = {D}, {n_seeds} seeds)" + (" — quick run" if quick else ""))
    at = [lag for lag in (100, 250, 500, 1000) if lag <= T]
    caption = (f"Median over {n_seeds} random models (shaded: min–max) at default initialisations, Gaussian inputs, of the "
               "norm of the product of the models' own diagonal step Jacobians: minGRU diag(1 − z_t), minLSTM diag(f′_t), "
               "LRU diag(λ) (state (Re x, Im x)), mLSTM f_t·I on (C, n) (unstabilised), Mamba S6 diag(exp(Δ_t A)) on the "
               f"D × N state. Median ‖∂s_T/∂s_k‖ at lags {', '.join(map(str, at))}: " + "; ".join(
                   f"{k} " + ", ".join(f"{float(med(r['dh'])[lag]):.1g}" for lag in at) for k, r in res.items()) + ".")
    fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.22, wspace=0.2)
    caption_below(fig, caption, width=160)
    return fig, caption
