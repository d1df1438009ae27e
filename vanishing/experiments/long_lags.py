"""Experiment 4, long time lags in the style of Hochreiter & Schmidhuber 1997: remember one bit across a lag.

The task is H&S 1997's "2-sequence"/latch problem with distractors: at t = 1 the input carries a bit
b ∈ {−1, +1} on channel 0; at t = 2..T channel 1 carries Gaussian noise and channel 0 is 0; at t = T the
net must output b through a linear readout ŷ = wᵀφ_T + c of its last state. The loss is the mean squared
error, and the trivial baseline (always answering 0, the mean of b) has loss E[b²] = 1, so "loss relative to
the baseline" is the MSE itself. The classic cells (tanh RNN, the 1997 LSTM, the LSTM with b_f = 1, the GRU) and
the modern ones (minGRU, minLSTM, LRU, sLSTM, mLSTM, Mamba S6) start from their reference initialisations and
train with BPTT, per-seed gradient-norm clipping (threshold 1) and Adam, through the PyTorch twins of the
reference cells in ``_torch_cells`` (tests/faces/test_experiments.py checks each twin's step against models/).
"""

import time
from dataclasses import dataclass

import numpy as onp

from vanishing.experiments import _torch_cells as TC
from vanishing.experiments._common import Progress, caption_below, pyplot, require, save

NAME = "long_lags"
TITLE = "Long time lags (Hochreiter & Schmidhuber 1997): remembering a bit across T steps"
CLAIMS = ("RNN-LONG-TERM-TERMS-VANISH", "RNN-VANISH-SUFFICIENT", "LSTM-CEC-CONSTANT-ERROR", "LSTM-FORGET-BIAS-ONE",
          "LSTM-DIRECT-PATH-PRODUCT", "GRU-DIRECT-PATH", "CLIP-NORM-DIRECTION", "MODERN-DIRECT-PATH-DIAG")

D = 2
SOLVED = 0.01   # training stops once 5 consecutive batch losses are below 1% of the baseline's
SUCCESS = 0.1   # a seed succeeds when its held-out MSE is below 10% of the baseline's (fixed before any run)


@dataclass(frozen=True)
class Model:
    """One contender: its label (figure and JSON), colour and its trainable twin in _torch_cells (checked against models/)."""

    label: str
    colour: str
    cell: str        # the key of _torch_cells.CELLS


MODELS = (
    Model("vanilla RNN (tanh)", "#08306b", "rnn-tanh"),
    Model("LSTM 1997 (no forget gate)", "#74c476", "lstm-cec"),
    Model("LSTM (b_f = 1)", "#00441b", "lstm-bf1"),
    Model("GRU (reset after)", "#d94801", "gru"),
    Model("minGRU", "#e7298a", "mingru"),
    Model("minLSTM", "#7570b3", "minlstm"),
    Model("LRU", "#1b9e77", "lru"),
    Model("sLSTM", "#a6761d", "slstm"),
    Model("mLSTM", "#666666", "mlstm"),
    Model("Mamba S6", "#e6ab02", "mamba-s6"),
)


def batch(T, B, rng):
    """(xs (T, B, 2), b (B,)): the bit at t = 1 on channel 0, N(0, 1) distractors on channel 1 afterwards."""
    b = rng.choice([-1.0, 1.0], size=B)
    xs = onp.zeros((T, B, D))
    xs[0, :, 0] = b
    xs[1:, :, 1] = rng.standard_normal((T - 1, B))
    return xs, b


def init(model, H, rng):
    """The cell's reference parameters, then the readout's w ~ N(0, 1/F) and c = 0 (drawn in that order from ``rng``)."""
    cell = TC.CELLS[model.cell]
    core = cell.init(H, D, rng)
    F = int(cell.features(cell.zero(1, 1, H, D)).shape[-1])
    return {**core, "readout_w": rng.standard_normal(F) / onp.sqrt(F), "readout_c": onp.zeros(())}


def seed_losses(model, P, xs, b, H):
    """MSE of ŷ = wᵀφ(s_T) + c against the bit, one per seed (S,): relative to the trivial baseline E[b²] = 1."""
    cell = TC.CELLS[model.cell]
    feats = cell.features(TC.last_state(cell, P, xs, H))                 # (S, B, F)
    y = (feats * P["readout_w"][:, None, :]).sum(-1) + P["readout_c"][:, None]
    return ((y - b) ** 2).mean(-1)


def _data(T, B, rngs):
    torch = require("torch", "torch")
    pairs = [batch(T, B, rng) for rng in rngs]                            # seed s draws from its own generator
    return (torch.tensor(onp.stack([p[0] for p in pairs], axis=1)), torch.tensor(onp.stack([p[1] for p in pairs])))


def train(model, T, seeds, H, steps, B, lr, clip, eval_B, checkpoint, b1=0.9, b2=0.999, eps=1e-8):
    """Train one model per seed at once (a seed axis): Adam after per-seed global-norm clipping, early stop per seed.

    Seed s draws its initialisation and then its batches from default_rng(s), as one run per seed would; a seed that
    has solved the task (5 consecutive batch losses < SOLVED) stops moving. Returns per-seed records.
    """
    torch = require("torch", "torch")
    S = len(seeds)
    rngs = [onp.random.default_rng(sd) for sd in seeds]
    P = TC.to_torch([init(model, H, rng) for rng in rngs], requires_grad=True)
    keys = sorted(P)
    m, v = ({k: torch.zeros_like(P[k]) for k in keys} for _ in range(2))
    held_out = [_data(T, eval_B, [onp.random.default_rng(10_000 + sd)]) for sd in seeds]   # a fixed batch per seed
    active = onp.ones(S, dtype=bool)
    losses, norms, solved, diverged = [[] for _ in seeds], [[] for _ in seeds], [None] * S, [None] * S

    def evaluate():
        with torch.no_grad():
            return [float(seed_losses(model, {k: P[k][i:i + 1] for k in keys}, xs, b, H)[0]) if diverged[i] is None
                    else float("nan") for i, (xs, b) in enumerate(held_out)]

    at_checkpoint = None
    for step in range(steps):
        xs, b = _data(T, B, rngs)
        L = seed_losses(model, P, xs, b, H)
        grads = torch.autograd.grad(L.sum(), [P[k] for k in keys], allow_unused=True)   # seeds do not interact
        grads = [torch.zeros_like(P[k]) if g is None else g for k, g in zip(keys, grads)]
        with torch.no_grad():
            norm = torch.sqrt(sum((g.reshape(S, -1) ** 2).sum(1) for g in grads))
            scale = torch.where(norm > clip, clip / norm, torch.ones_like(norm))   # clipping.clip_by_global_norm, per seed
            t = step + 1
            for i in onp.flatnonzero(active):
                losses[i].append(float(L[i]))
                norms[i].append(float(norm[i]))
                if not (onp.isfinite(losses[i][-1]) and onp.isfinite(norms[i][-1])):
                    diverged[i], active[i] = t, False
            mask = torch.tensor(active, dtype=torch.float64)
            for k, g in zip(keys, grads):
                shape = (S,) + (1,) * (g.dim() - 1)
                g = torch.nan_to_num(g) * scale.reshape(shape)
                m[k].mul_(b1).add_((1 - b1) * g)
                v[k].mul_(b2).add_((1 - b2) * g * g)
                step_k = lr * (m[k] / (1 - b1 ** t)) / (torch.sqrt(v[k] / (1 - b2 ** t)) + eps)
                P[k] -= step_k * mask.reshape(shape)                               # a stopped seed stays where it is
            for i in onp.flatnonzero(active):
                if len(losses[i]) >= 5 and max(losses[i][-5:]) < SOLVED:
                    solved[i], active[i] = t, False                               # early stop: solved
        if t == checkpoint:
            at_checkpoint = evaluate()
        if not active.any():
            break
    final = evaluate()
    if at_checkpoint is None:
        at_checkpoint = final              # every seed stopped before the checkpoint: its parameters are those of then
    return [{"eval_loss": final[i], "eval_loss_at_checkpoint": at_checkpoint[i], "train_loss": losses[i],
             "grad_norm": norms[i], "solved_at_step": solved[i], "diverged_at_step": diverged[i]} for i in range(S)]


def run(quick, out, progress=None):
    torch = require("torch", "torch")
    progress = progress or Progress(NAME)
    lags = (5, 20) if quick else (5, 10, 20, 40)
    seeds = (0, 1) if quick else tuple(range(8))
    H, steps, B, lr, clip, eval_B = (8, 12, 32, 0.02, 1.0, 256) if quick else (16, 400, 32, 0.02, 1.0, 512)
    checkpoint = 6 if quick else 60          # the budget of the earlier figure (60 Adam steps)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                 # tiny tensors: one thread is faster, and the machine is shared
    res, times = {}, {}
    try:
        for model in MODELS:
            w0, c0 = time.perf_counter(), time.process_time()
            for T in lags:
                res[f"{model.label}|{T}"] = train(model, T, seeds, H, steps, B, lr, clip, eval_B, checkpoint)
            times[model.label] = {"wall_s": round(time.perf_counter() - w0, 2), "cpu_s": round(time.process_time() - c0, 2)}
            progress(f"{model.label}: lags {', '.join(map(str, lags))} × {len(seeds)} seeds trained")
    finally:
        torch.set_num_threads(threads)
    fig, caption, table = _figure(res, lags, seeds, steps, checkpoint, quick)
    numbers = {k: {"eval_loss_per_seed": [r["eval_loss"] for r in v],
                   f"eval_loss_after_{checkpoint}_steps_per_seed": [r["eval_loss_at_checkpoint"] for r in v],
                   "final_train_loss_per_seed": [r["train_loss"][-1] if r["train_loss"] else None for r in v],
                   "solved_at_step_per_seed": [r["solved_at_step"] for r in v],
                   "diverged_at_step_per_seed": [r["diverged_at_step"] for r in v],
                   "median_grad_norm_per_seed": [float(onp.median(r["grad_norm"])) for r in v]} for k, v in res.items()}
    return {"figures": [{"file": save(fig, out, "long_lags.png"), "caption": caption}],
            "seeds": list(seeds),
            "hyperparameters": {"lags": list(lags), "H": H, "steps": steps, "checkpoint_steps": checkpoint, "batch": B,
                                "optimizer": "Adam", "learning_rate": lr, "clip": f"global norm {clip} per seed",
                                "eval_batch": eval_B, "early_stop": f"5 consecutive batch losses < {SOLVED}",
                                "success": f"held-out MSE ÷ baseline < {SUCCESS}",
                                "task": "latch a ±1 bit from t = 1 to t = T; N(0,1) distractors",
                                "readout": "ŷ = wᵀφ + c; φ = h_T (LRU: the state (Re, Im); Mamba S6: the state, D × N)",
                                "loss": "MSE; trivial baseline (ŷ = 0) has MSE 1",
                                "framework": f"torch {torch.__version__}, float64, one thread (vanishing/experiments/_torch_cells.py)"},
            "dataset": "synthetic latch sequences (generated per seed)",
            "numbers": {**numbers, "success_table": table, "time_per_model": times}}


def _rates(res, lags, key):
    """{label: [successes at each lag]} for the per-seed held-out losses under ``key``."""
    return {m.label: [int(sum(r[key] < SUCCESS for r in res[f"{m.label}|{T}"])) for T in lags] for m in MODELS}


def _heatmap(ax, counts, lags, n_seeds, title):
    grid = onp.array([counts[m.label] for m in MODELS], dtype=float) / n_seeds
    ax.imshow(grid, cmap="Greens", vmin=0, vmax=1, aspect="auto")
    for i, m in enumerate(MODELS):
        for j, _ in enumerate(lags):
            ax.text(j, i, f"{counts[m.label][j]}/{n_seeds}", ha="center", va="center", fontsize=9,
                    color="white" if grid[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(lags)), [str(t) for t in lags])
    ax.set_yticks(range(len(MODELS)), [m.label for m in MODELS])
    ax.set_xlabel("lag T (time steps between the bit and the answer)")
    ax.set_title(title)
    ax.grid(False)


def _figure(res, lags, seeds, steps, checkpoint, quick):
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(17, 6.4), gridspec_kw={"width_ratios": [1, 1, 1.25]})
    early = _rates(res, lags, "eval_loss_at_checkpoint")
    final = _rates(res, lags, "eval_loss")
    _heatmap(axes[0], early, lags, len(seeds), f"Seeds solved after {checkpoint} Adam steps (the earlier budget)")
    _heatmap(axes[1], final, lags, len(seeds), f"Seeds solved after at most {steps} Adam steps")
    axes[1].set_yticklabels([])
    T = lags[-1]
    ax = axes[2]
    for m in MODELS:
        curves = [r["train_loss"] for r in res[f"{m.label}|{T}"]]
        n = max(len(c) for c in curves)
        padded = onp.array([c + [c[-1]] * (n - len(c)) for c in curves])     # a solved seed keeps its last loss
        ax.semilogy(onp.arange(1, n + 1), onp.maximum(onp.median(padded, axis=0), 1e-6), color=m.colour, lw=1.6, label=m.label)
    ax.axhline(1.0, color="k", ls="--", lw=1, label="trivial baseline (answer 0)")
    ax.axvline(checkpoint, color="k", ls=":", lw=1, label=f"{checkpoint} steps")
    ax.set_xlabel("training step")
    ax.set_ylabel("batch MSE ÷ baseline (median of seeds, log)")
    ax.set_title(f"Training loss at lag {T}")
    ax.legend(fontsize=7.5, ncol=2, loc="lower left")
    fig.suptitle(f"Remembering a bit across a lag: {len(seeds)} seeds per cell and lag, success = held-out MSE < {SUCCESS} "
                 "of the baseline's" + (" — quick run (too short to learn)" if quick else ""))
    mean = {m.label: [float(onp.nanmean([r["eval_loss"] for r in res[f"{m.label}|{T}"]])) for T in lags] for m in MODELS}
    caption = (f"Seeds {list(seeds)}, lags {list(lags)}, Adam (lr 0.02) after per-seed norm clipping at 1, early stop once 5 "
               f"batch losses < {SOLVED}. Solved seeds after {checkpoint} → {steps} steps: " + "; ".join(
                   f"{m.label}: " + ", ".join(f"T={T} {a}→{b}" for T, a, b in zip(lags, early[m.label], final[m.label]))
                   for m in MODELS)
               + ". Mean held-out MSE ÷ baseline at the end: " + "; ".join(
                   f"{m.label} " + "/".join(f"{x:.2f}" for x in mean[m.label]) for m in MODELS) + ".")
    fig.subplots_adjust(left=0.13, right=0.99, top=0.9, bottom=0.3, wspace=0.3)
    caption_below(fig, caption, width=230)
    table = {m.label: {str(T): {"solved_after_checkpoint": early[m.label][j], "solved_at_end": final[m.label][j],
                                "seeds": len(seeds), "mean_eval_loss": mean[m.label][j]} for j, T in enumerate(lags)}
             for m in MODELS}
    return fig, caption, table


def extended(out, lags=(40,), seeds=tuple(range(8)), steps=1500, checkpoint=400):
    """A longer run than ``vanishing experiments`` affords (docs/EXPERIMENTS.md): every family, the default run's settings
    but ``steps``, the held-out loss also at ``checkpoint`` (= the default budget, so it reproduces the default run's
    final numbers); writes ``out/long_lags_extended.json`` and returns its table."""
    import json
    from pathlib import Path
    torch = require("torch", "torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    table, t0, c0 = {}, time.perf_counter(), time.process_time()
    try:
        for model in MODELS:
            for T in lags:
                rs = train(model, T, seeds, 16, steps, 32, 0.02, 1.0, 512, checkpoint)
                table[f"{model.label}|{T}"] = {
                    f"solved_after_{checkpoint}": int(sum(r["eval_loss_at_checkpoint"] < SUCCESS for r in rs)),
                    f"solved_after_{steps}": int(sum(r["eval_loss"] < SUCCESS for r in rs)), "seeds": len(seeds),
                    "eval_loss_per_seed": [r["eval_loss"] for r in rs],
                    "solved_at_step_per_seed": [r["solved_at_step"] for r in rs]}
    finally:
        torch.set_num_threads(threads)
    doc = {"steps": steps, "checkpoint": checkpoint, "lags": list(lags), "seeds": list(seeds), "table": table,
           "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1)}
    Path(out, "long_lags_extended.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return table
