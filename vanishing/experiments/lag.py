"""Experiment 2, gradient against lag: ‖∂h_T/∂h_k‖ and ‖∂L/∂h_k‖ as T − k grows, RNN vs LSTM vs GRU.

Every model is a reference model at its default initialisation, run on Gaussian inputs from the zero state.
The long-range Jacobian is the product of step Jacobians, later steps on the left:

* vanilla RNN: ``rnn.jacobian_products`` (hand-derived, P[k] = J_T ⋯ J_{k+1}, J_i = diag(g'(a_i)) W_hh),
  overlaid with Pascanu et al.'s bound (γ_g'·σ_max(W_hh))^(T−k) (claim RNN-NORM-BOUND);
* GRU: ``gru.step_jacobian`` (hand-derived), both reset conventions;
* LSTM: the state is (h, c), so the step Jacobian is the 2H×2H ∂(h_t, c_t)/∂(h_{t−1}, c_{t−1}), taken by
  autograd through the batched reference cell; the plotted norm is ‖∂h_T/∂(h_k, c_k)‖₂.

L = ½‖h_T − y‖² with a fixed random target y, so ∂L/∂h_k = (h_T − y)ᵀ ∂h_T/∂h_k.
"""

from typing import Callable, NamedTuple

import autograd
import autograd.numpy as anp
import numpy as onp

from vanishing.experiments._common import Progress, caption_below, pyplot, save
from vanishing.models import batched, gru, lstm, rnn
from vanishing.models.activations import get_activation

NAME = "lag"
TITLE = "Gradient against lag: vanilla RNN, LSTM and GRU"
CLAIMS = ("RNN-NORM-BOUND", "RNN-VANISH-SUFFICIENT", "RNN-JACOBIAN-PRODUCT-ORDER", "RNN-LONG-TERM-TERMS-VANISH",
          "LSTM-FORGET-BIAS-ONE", "LSTM-FORGET-BIAS-LEVER", "LSTM-DIRECT-PATH-PRODUCT", "GRU-DIRECT-PATH", "GRU-STEP-JACOBIAN")

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


class Model(NamedTuple):
    """One curve: its label (figure and JSON), colour, and jacobians(H, D, xs, rng) -> (P, h_T, facts)."""

    label: str
    colour: str
    jacobians: Callable


MODELS = (Model("RNN tanh", "#08306b", _rnn("tanh")), Model("RNN sigmoid", "#6baed6", _rnn("sigmoid")),
          Model("RNN relu", "#7b3294", _rnn("relu")), Model("LSTM b_f=0", "#a1d99b", _lstm(0.0)),
          Model("LSTM b_f=1", "#41ab5d", _lstm(1.0)), Model("LSTM b_f=2", "#005a32", _lstm(2.0)),
          Model("GRU reset after", "#fd8d3c", _gru("after")), Model("GRU reset before", "#a63603", _gru("before")))


def jacobians(model, H, D, T, rng):
    """(P, h_T, facts): P[k] = ∂h_T/∂s_k (H × state size) for k = 0..T, the final hidden state, and model facts."""
    xs = rng.standard_normal((T, D))
    return model.jacobians(H, D, xs, rng)


def run(quick, out, progress=None):
    progress = progress or Progress(NAME)
    H, D = (16, 4) if quick else (32, 4)
    T = 60 if quick else 120
    seeds = list(range(2 if quick else 5))
    lags = onp.arange(T + 1)
    res = {}
    for model in MODELS:
        name = model.label
        dh, dL, facts = [], [], []
        for sd in seeds:
            rng = onp.random.default_rng(sd)
            P, hT, extra = jacobians(model, H, D, T, rng)
            y = rng.standard_normal(H)
            v = hT - y                                                   # ∂L/∂h_T for L = ½‖h_T − y‖²
            dh.append([float(onp.linalg.norm(P[T - lag], 2)) for lag in lags])
            dL.append([float(onp.linalg.norm(v @ P[T - lag])) for lag in lags])
            facts.append(extra)
        res[name] = {"dh": onp.array(dh), "dL": onp.array(dL), "facts": facts}
        progress(f"{name} done")

    def med(a):
        return onp.exp(onp.median(onp.log(onp.maximum(a, 1e-300)), axis=0))

    fig = _figure(res, lags, T, H, len(seeds), quick, med)
    at = [lag for lag in (10, 25, 50, 100) if lag <= T]
    numbers = {name: {"median_dh_at_lag": {str(lag): float(med(r["dh"])[lag]) for lag in at},
                      "median_dL_at_lag": {str(lag): float(med(r["dL"])[lag]) for lag in at},
                      "dh_per_seed_at_max_lag": [float(x) for x in r["dh"][:, T]],
                      **({"sigma_max_W_hh": [f["sigma_max"] for f in r["facts"]], "gamma": r["facts"][0]["gamma"],
                          "bound_holds_at_every_lag": bool(all(
                              onp.all(r["dh"][i] <= (f["gamma"] * f["sigma_max"]) ** lags * (1 + 1e-9))
                              for i, f in enumerate(r["facts"])))} if r["facts"][0] else {})}
               for name, r in res.items()}
    order = sorted(numbers, key=lambda k: -numbers[k]["median_dh_at_lag"][str(at[-1])])
    caption = (f"Median over {len(seeds)} random models (shaded: min–max) of the spectral norm ‖∂h_T/∂h_k‖₂ (left) and "
               f"‖∂L/∂h_k‖ (right) against the lag T − k, log scale, H = {H}, default initialisations, Gaussian inputs. "
               f"Dashed: the bound (γ·σ_max(W_hh))^(T−k) for each vanilla RNN (left), times ‖∂L/∂h_T‖ (right). "
               + " ".join(f"{k}: bound base γσ_max = {numbers[k]['gamma'] * float(onp.median(numbers[k]['sigma_max_W_hh'])):.2f}"
                          + (" > 1 (the bound allows growth)" if numbers[k]["gamma"] * float(onp.median(numbers[k]["sigma_max_W_hh"])) > 1
                             else " < 1 (the bound vanishes)")
                          + f", measured median at lag {at[-1]}: {numbers[k]['median_dh_at_lag'][str(at[-1])]:.1g}."
                          for k in numbers if "gamma" in numbers[k])        # the vanilla RNNs: they have a bound
               + f" Ranked by ‖∂h_T/∂h_k‖ at lag {at[-1]}: " + ", ".join(f"{k} {numbers[k]['median_dh_at_lag'][str(at[-1])]:.1g}" for k in order) + ".")
    caption_below(fig, caption, width=160)
    return {
        "figures": [{"file": save(fig, out, "lag.png"), "caption": caption}],
        "seeds": seeds,
        "hyperparameters": {"H": H, "D": D, "T": T, "inputs": "x_t ~ N(0, I), h_0 = c_0 = 0",
                            "inits": "rnn.init_params (W_hh ~ N(0, 1/H)), lstm.init_params / gru.init_params "
                                     "(U(−1/√H, 1/√H), forget bias added to b_f)",
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
            ax.semilogy(lags, med(a), color=colors[name], lw=2, label=name)
            ax.fill_between(lags, a.min(axis=0), a.max(axis=0), color=colors[name], alpha=0.12, lw=0)
            if r["facts"][0]:
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
