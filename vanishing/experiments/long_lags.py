"""Experiment 4, long time lags in the style of Hochreiter & Schmidhuber 1997: remember one bit across a lag.

The task is H&S 1997's "2-sequence"/latch problem with distractors: at t = 1 the input carries a bit
b ∈ {−1, +1} on channel 0; at t = 2..T channel 1 carries Gaussian noise and channel 0 is 0; at t = T the
net must output b through a linear readout ŷ = wᵀh_T + c. The loss is the mean squared error, and the
trivial baseline (always answering 0, the mean of b) has loss E[b²] = 1, so "loss relative to the
baseline" is the MSE itself. A vanilla tanh RNN, an LSTM (forget bias 1) and a GRU (reset after), all the
reference models through models/batched.py, are trained with BPTT (autograd through the whole sequence),
gradient-norm clipping (models/clipping.py, threshold 1) and Adam, several seeds per lag.
"""

from dataclasses import dataclass
from typing import Callable

import autograd
import autograd.numpy as anp
import numpy as onp

from vanishing.experiments._common import Progress, adam, caption_below, clip_tree, flat_norm, pyplot, save
from vanishing.models import batched, gru, kinds, lstm, rnn

NAME = "long_lags"
TITLE = "Long time lags (Hochreiter & Schmidhuber 1997): remembering a bit across T steps"
CLAIMS = ("RNN-LONG-TERM-TERMS-VANISH", "RNN-VANISH-SUFFICIENT", "LSTM-CEC-CONSTANT-ERROR", "LSTM-FORGET-BIAS-ONE",
          "LSTM-DIRECT-PATH-PRODUCT", "GRU-DIRECT-PATH", "CLIP-NORM-DIRECTION")

D = 2
SOLVED = 0.01   # training stops once 5 consecutive batch losses are below 1% of the baseline's


@dataclass(frozen=True)
class Model:
    """One contender: its label (figure and JSON), colour, cell kind (models/kinds.py), initialisation and last state."""

    label: str
    colour: str
    kind: str        # its row in models/kinds.py (for the layout's keys)
    init: Callable   # init(H, rng) -> the cell's parameters
    last: Callable   # last(params, zeros (B, H), xs (T, B, D)) -> h_T (B, H), through models/batched.py


MODELS = (
    Model("vanilla RNN (tanh)", "#08306b", "rnn-tanh", lambda H, rng: rnn.init_params(H, D, rng),
          lambda P, z, xs: batched.rnn_forward(P, z, xs, "tanh")[-1]),
    Model("LSTM 1997 (no forget gate)", "#74c476", "lstm", lambda H, rng: lstm.init_params(H, D, rng, variant="cec"),
          lambda P, z, xs: batched.lstm_forward(P, z, z, xs, "cec")[0][-1]),
    Model("LSTM (b_f = 1)", "#00441b", "lstm", lambda H, rng: lstm.init_params(H, D, rng, forget_bias=1.0),
          lambda P, z, xs: batched.lstm_forward(P, z, z, xs, "forget")[0][-1]),
    Model("GRU (reset after)", "#d94801", "gru", lambda H, rng: gru.init_params(H, D, rng),
          lambda P, z, xs: batched.gru_forward(P, z, xs, "after")[-1]),
)


def batch(T, B, rng):
    """(xs (T, B, 2), b (B,)): the bit at t = 1 on channel 0, N(0, 1) distractors on channel 1 afterwards."""
    b = rng.choice([-1.0, 1.0], size=B)
    xs = onp.zeros((T, B, D))
    xs[0, :, 0] = b
    xs[1:, :, 1] = rng.standard_normal((T - 1, B))
    return xs, b


def init(model, H, rng):
    """The cell's parameters, then the readout's w ~ N(0, 1/H) and c = 0 (drawn in that order from ``rng``)."""
    return {"core": model.init(H, rng), "w": rng.standard_normal(H) / onp.sqrt(H), "c": onp.zeros(())}


def last_state(model, core, xs):
    """h_T of ``model`` from a zero state (and a zero cell state for an LSTM)."""
    B, H = xs.shape[1], core[kinds.row(model.kind).weight_keys[1]].shape[1]
    return model.last(core, onp.zeros((B, H)), xs)


def loss(params, model, xs, b):
    """Mean squared error of ŷ = wᵀh_T + c against the bit: relative to the trivial baseline E[b²] = 1."""
    y = anp.dot(last_state(model, params["core"], xs), params["w"]) + params["c"]
    return anp.mean((y - b) ** 2)


def train(model, T, seed, H, steps, B, lr, clip, eval_B):
    rng = onp.random.default_rng(seed)
    p = init(model, H, rng)
    opt = adam(lr)
    vg = autograd.value_and_grad(loss)
    losses, norms = [], []
    solved = None
    for step in range(steps):
        xs, b = batch(T, B, rng)
        L, g = vg(p, model, xs, b)
        norms.append(flat_norm(g))
        losses.append(float(L))
        g = clip_tree(g, "norm", clip)
        p = opt(p, g)
        if len(losses) >= 5 and max(losses[-5:]) < SOLVED:
            solved = step + 1                                            # early stop: solved (saves the time budget)
            break
    xs, b = batch(T, eval_B, onp.random.default_rng(10_000 + seed))   # a fixed held-out batch per seed
    return {"eval_loss": float(loss(p, model, xs, b)), "train_loss": losses, "grad_norm": norms, "solved_at_step": solved}


def run(quick, out, progress=None):
    progress = progress or Progress(NAME)
    lags = (5, 20) if quick else (5, 10, 20, 40)
    seeds = (0, 1) if quick else (0, 1, 2)
    H, steps, B, lr, clip, eval_B = (8, 12, 32, 0.02, 1.0, 256) if quick else (16, 60, 32, 0.02, 1.0, 512)
    res = {}
    for model in MODELS:
        for T in lags:
            res[f"{model.label}|{T}"] = [train(model, T, sd, H, steps, B, lr, clip, eval_B) for sd in seeds]
        progress(f"{model.label}: lags {', '.join(map(str, lags))} × {len(seeds)} seeds trained")
    fig, caption = _figure(res, lags, seeds, steps, quick)
    numbers = {k: {"eval_loss_per_seed": [r["eval_loss"] for r in v],
                   "final_train_loss_per_seed": [r["train_loss"][-1] for r in v],
                   "solved_at_step_per_seed": [r["solved_at_step"] for r in v],
                   "median_grad_norm_per_seed": [float(onp.median(r["grad_norm"])) for r in v]} for k, v in res.items()}
    return {"figures": [{"file": save(fig, out, "long_lags.png"), "caption": caption}],
            "seeds": list(seeds),
            "hyperparameters": {"lags": list(lags), "H": H, "steps": steps, "batch": B, "optimizer": "Adam",
                                "learning_rate": lr, "clip": f"global norm {clip} (clipping.clip_by_global_norm)",
                                "eval_batch": eval_B, "early_stop": f"5 consecutive batch losses < {SOLVED}", "task": "latch a ±1 bit from t = 1 to t = T; N(0,1) distractors",
                                "readout": "ŷ = wᵀh_T + c", "loss": "MSE; trivial baseline (ŷ = 0) has MSE 1"},
            "dataset": "synthetic latch sequences (generated per seed)",
            "numbers": numbers}


def _figure(res, lags, seeds, steps, quick):
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.6))
    ax = axes[0]
    summary = {}
    for k, m in enumerate(MODELS):
        vals = onp.array([[r["eval_loss"] for r in res[f"{m.label}|{T}"]] for T in lags])   # (lags, seeds)
        mean = vals.mean(axis=1)
        summary[m.label] = mean
        x = onp.array(lags) * (1 + 0.03 * (k - 1))
        ax.errorbar(x, mean, yerr=[mean - vals.min(axis=1), vals.max(axis=1) - mean], color=m.colour, marker="o", capsize=3,
                    lw=1.8, label=f"{m.label}, mean of {len(seeds)} seeds (bars: min–max)")
        for j, T in enumerate(lags):
            ax.scatter([x[j]] * len(seeds), vals[j], color=m.colour, s=10, alpha=0.5)
    ax.axhline(1.0, color="k", ls="--", lw=1, label="trivial baseline (answer 0): MSE 1")
    ax.set_xscale("log")
    ax.set_xticks(lags, [str(t) for t in lags])
    ax.minorticks_off()
    ax.set_xlabel("lag T (time steps between the bit and the answer)")
    ax.set_ylabel("held-out MSE ÷ baseline MSE")
    ax.set_ylim(0, max(1.3, float(onp.nanmax([onp.max(v) for v in summary.values()])) * 1.05))
    ax.set_title(f"After at most {steps} Adam steps with norm clipping")
    ax.legend(loc="upper left", fontsize=7.5)
    T = lags[-1]
    ax = axes[1]
    for m in MODELS:
        for i, r in enumerate(res[f"{m.label}|{T}"]):
            ax.semilogy(onp.maximum(r["train_loss"], 1e-6), color=m.colour, lw=1, alpha=0.8, label=m.label if i == 0 else None)
    ax.axhline(1.0, color="k", ls="--", lw=1, label="baseline")
    ax.set_xlabel("training step (a line ends where training stopped: solved)")
    ax.set_ylabel("training-batch MSE ÷ baseline (log scale)")
    ax.set_title(f"Training loss at lag {T} (one line per seed)")
    ax.legend(fontsize=7.5)
    ax = axes[2]
    for m in MODELS:
        for i, r in enumerate(res[f"{m.label}|{T}"]):
            ax.semilogy(r["grad_norm"], color=m.colour, lw=1, alpha=0.8, label=m.label if i == 0 else None)
    ax.axhline(1.0, color="k", lw=0.8, ls=":", label="clipping threshold 1")
    ax.set_xlabel("training step")
    ax.set_ylabel("‖∂L/∂θ‖₂ before clipping (log scale)")
    ax.set_title(f"Gradient norm while training at lag {T} (one line per seed)")
    ax.legend(fontsize=7.5)
    fig.suptitle("Remembering a bit across a lag: vanilla RNN vs LSTM vs GRU" + (" — quick run (too short to learn)" if quick else ""))
    best = {model: lags[int(onp.argmax(m > 0.5))] if (m > 0.5).any() else None for model, m in summary.items()}
    caption = (f"Held-out MSE relative to the trivial baseline (1 = no better than answering 0) after {steps} training steps, "
               f"against the lag. Mean over seeds {list(seeds)}: " + "; ".join(
                   f"{model}: " + ", ".join(f"T={T} {m:.2f}" for T, m in zip(lags, summary[model])) for model in summary)
               + ". First lag at which the mean is above 0.5 (less than half the baseline's error removed): "
               + ", ".join(f"{m}: {'T=' + str(t) if t else 'none up to T=' + str(lags[-1])}" for m, t in best.items()) + ".")
    fig.subplots_adjust(left=0.05, right=0.99, top=0.9, bottom=0.23, wspace=0.25)
    caption_below(fig, caption, width=210)
    return fig, caption
