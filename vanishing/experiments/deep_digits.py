"""Experiment 1, seed 000's observation: per-layer gradient norms of fully connected nets trained on 8×8 digits.

Seed 000 (000_f9b81ecfd7a6e498.txt) describes sigmoid networks with standard-normal weights in which the
early layers get the smallest gradients, so they learn slowest. Here the same reference net
(models/deepnet.py, batched by models/batched.py, differentiated by autograd) is trained with plain
mini-batch SGD on scikit-learn's bundled digits for every combination of depth (2, 5, 10 hidden layers),
activation (sigmoid, tanh, ReLU) and initialisation (standard normal, Glorot, He), recording
‖∂L/∂W_i‖_F for every layer at every step.
"""

import autograd
import numpy as onp

from vanishing.experiments._common import Progress, caption_below, finite, overflowed, pyplot, require, save
from vanishing.models import batched, deepnet

NAME = "deep_digits"
TITLE = "Seed 000: per-layer gradient norms while training on 8×8 digits"
CLAIMS = ("DEEP-FIRST-LAYER-TYPICAL", "DEEP-EARLIER-SMALLER", "DEEP-EXPLODING-FACTOR", "DEEP-RELU-STABLE",
          "DEEP-FACTOR-BELOW-ONE", "INIT-GLOROT-COMPROMISE", "INIT-HE-VARIANCE-PRESERVED")

ACTS = ("sigmoid", "tanh", "relu")
INITS = ("standard normal", "Glorot", "He")


def _init_std(init, fan_in, fan_out):
    """Weight standard deviation: 1 (seed 000), √(2/(n_in+n_out)) (Glorot & Bengio 2010), √(2/n_in) (He et al. 2015)."""
    return {"standard normal": 1.0, "Glorot": (2.0 / (fan_in + fan_out)) ** 0.5, "He": (2.0 / fan_in) ** 0.5}[init]


def _init(sizes, init, rng):
    p = deepnet.init_params(sizes, rng)                    # W_i ~ N(0, 1), b_i = 0: the seed's initialisation
    p["W"] = [W * _init_std(init, W.shape[1], W.shape[0]) for W in p["W"]]
    return p


def digits():
    """(X_train, Y_train, X_test, labels_test, description): pixels/16, one-hot targets, a fixed 1500/297 split."""
    datasets = require("sklearn.datasets", "scikit-learn")
    d = datasets.load_digits()
    X, y = d.data / 16.0, d.target
    order = onp.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    return X[:1500], onp.eye(10)[y[:1500]], X[1500:], y[1500:], "scikit-learn load_digits (1797 8×8 images, 10 classes)"


def _train(sizes, act, init, seed, data, steps, batch, lr):
    Xtr, Ytr, Xte, yte, _ = data
    rng = onp.random.default_rng(seed)
    p = _init(sizes, init, rng)
    W0 = [W.copy() for W in p["W"]]
    grad = autograd.value_and_grad(batched.deepnet_loss)
    norms, losses, diverged = [], [], None
    with onp.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            idx = rng.choice(len(Xtr), batch, replace=False)
            r = overflowed(grad, p, Xtr[idx], Ytr[idx], act)
            if r is None or not (onp.isfinite(r[0]) and finite(r[1])):
                diverged = step
                break
            L, g = r
            norms.append([float(onp.linalg.norm(gW)) for gW in g["W"]])
            losses.append(float(L))
            p = {"W": [W - lr * gW for W, gW in zip(p["W"], g["W"])], "b": [b - lr * gb for b, gb in zip(p["b"], g["b"])]}
            if not finite(p):
                diverged = step + 1
                break
        acc = None
        if diverged is None:
            fw = overflowed(batched.deepnet_forward, p, Xte, act)
            acc = None if fw is None else float(onp.mean(onp.argmax(fw["z"][-1], axis=1) == yte))
    dead = None                                              # first step from which every layer's gradient is exactly 0
    for k in range(len(norms) - 1, -1, -1):
        if any(norms[k]):
            break
        dead = k
    moved = [float(onp.linalg.norm(W - W_0) / onp.linalg.norm(W_0)) for W, W_0 in zip(p["W"], W0)] if diverged is None else None
    return {"grad_norms": norms, "loss": losses, "diverged_at_step": diverged, "dead_from_step": dead, "test_accuracy": acc, "relative_weight_change": moved}


def _ratio(run):
    """Median over training steps of ‖∂L/∂W_1‖/‖∂L/∂W_n‖ (first hidden layer over output layer)."""
    n = onp.asarray(run["grad_norms"])
    if not len(n):
        return None
    with onp.errstate(divide="ignore", invalid="ignore"):
        r = n[:, 0] / n[:, -1]
    r = r[onp.isfinite(r)]
    return float(onp.median(r)) if len(r) else None


def run(quick, out, progress=None):
    progress = progress or Progress(NAME)
    depths = (2, 5, 10)
    width = 16 if quick else 32
    steps = 25 if quick else 300
    batch, lr, seed = 32, 0.1, 0
    data = digits()
    progress(f"digits loaded; {len(depths) * len(ACTS) * len(INITS)} nets, {steps} SGD steps each")
    runs = {}
    for depth in depths:
        sizes = [64] + [width] * depth + [10]
        for act in ACTS:
            for init in INITS:
                r = _train(sizes, act, init, seed, data, steps, batch, lr)
                r["first_over_last_median"] = _ratio(r)
                runs[f"{depth}|{act}|{init}"] = r
        progress(f"depth {depth} done")

    figs = [_figure_layers(runs, depths[-1], out, quick), _figure_ratios(runs, depths, out)]
    holds, fails, div = _verdicts(runs, depths)
    summary = {k: {"first_over_last_median": r["first_over_last_median"], "diverged_at_step": r["diverged_at_step"],
                   "dead_from_step": r["dead_from_step"], "test_accuracy": r["test_accuracy"], "final_loss": r["loss"][-1] if r["loss"] else None,
                   "relative_weight_change_first": (r["relative_weight_change"] or [None])[0],
                   "relative_weight_change_last": (r["relative_weight_change"] or [None])[-1]} for k, r in runs.items()}
    every = max(1, steps // 50)                                # the traces behind the figure, every `every`-th step
    deepest = [f"{depths[-1]}|{act}|{init}" for act in ACTS for init in INITS]
    traces = {k: [[float(f"{x:.4g}") for x in row] for row in runs[k]["grad_norms"][::every]] for k in deepest}
    return {
        "figures": figs,
        "seeds": {"init_and_batches": seed, "train_test_split": 0},
        "hyperparameters": {"depths": list(depths), "width": width, "activations": list(ACTS), "inits": list(INITS),
                            "optimizer": "plain mini-batch SGD", "learning_rate": lr, "batch": batch, "steps": steps,
                            "loss": "mean over the batch of ½‖z_n − y‖² (deepnet.loss; the output layer has the same activation)"},
        "dataset": data[4] + "; train 1500, test 297 (permutation seed 0)",
        "numbers": {"runs": summary, "grad_norm_traces_deepest": traces, "trace_every_steps": every},
        "findings": {"holds": holds, "does_not_hold": fails, "diverged": div},
    }


def _verdicts(runs, depths):
    """Seed 000's description holds for a (activation, init) when the first layer's gradient is smaller than the last's
    at every depth and the ratio shrinks as the net gets deeper."""
    holds, fails, div = [], [], []
    for act in ACTS:
        for init in INITS:
            rs = [runs[f"{d}|{act}|{init}"] for d in depths]
            if any(r["dead_from_step"] is not None for r in rs):
                div.append(f"{act}/{init}: every unit dead (zero gradient) at depth "
                           + ", ".join(f"{d} from step {r['dead_from_step']}" for d, r in zip(depths, rs) if r["dead_from_step"] is not None))
            if any(r["diverged_at_step"] is not None for r in rs):
                div.append(f"{act}/{init}: diverged at depth " + ", ".join(str(d) for d, r in zip(depths, rs) if r["diverged_at_step"] is not None))
            ratios = [r["first_over_last_median"] for r in rs]
            if any(x is None for x in ratios):
                fails.append(f"{act}/{init}")
                continue
            ok = all(x < 1 for x in ratios) and all(b < a for a, b in zip(ratios, ratios[1:]))
            (holds if ok else fails).append(f"{act}/{init}")
    return holds, fails, div


def _figure_layers(runs, depth, out, quick):
    plt = pyplot()
    import matplotlib as mpl
    fig, axes = plt.subplots(len(ACTS), len(INITS), figsize=(12, 9.5), sharex=True)
    n_layers = depth + 1
    cmap = mpl.colormaps["viridis"]
    for i, act in enumerate(ACTS):
        for j, init in enumerate(INITS):
            ax, r = axes[i, j], runs[f"{depth}|{act}|{init}"]
            n = onp.asarray(r["grad_norms"])
            if len(n):
                with onp.errstate(divide="ignore"):
                    for layer in range(n.shape[1]):
                        ax.semilogy(onp.arange(len(n)), onp.where(n[:, layer] > 0, n[:, layer], onp.nan),
                                    color=cmap(layer / max(n_layers - 1, 1)), lw=1, marker="." if len(n) < 5 else None, ms=4)
            title = f"{act}, {init} init"
            if r["diverged_at_step"] is not None:
                title += f" — diverged at step {r['diverged_at_step']}"
            elif r["dead_from_step"] is not None:
                title += f" — all gradients 0 from step {r['dead_from_step']}"
            elif r["test_accuracy"] is not None:
                title += f" — test acc. {r['test_accuracy']:.2f}"
            ax.set_title(title)
            if i == len(ACTS) - 1:
                ax.set_xlabel("SGD step")
            if j == 0:
                ax.set_ylabel("‖∂L/∂W_i‖_F (per layer)")
    fig.subplots_adjust(left=0.07, right=0.86, top=0.93, bottom=0.1, hspace=0.3, wspace=0.22)
    sm = mpl.cm.ScalarMappable(cmap=cmap, norm=mpl.colors.Normalize(1, n_layers))
    cb = fig.colorbar(sm, cax=fig.add_axes((0.89, 0.3, 0.015, 0.45)))
    cb.set_label(f"layer i (1 = first hidden, {n_layers} = output)")
    fig.suptitle(f"Per-layer gradient norm during training, {depth} hidden layers, digits" + (" (quick run)" if quick else ""))
    caption = (f"Each line is one weight matrix W_i of a net with {depth} hidden layers trained by SGD on the 8×8 digits; "
               "dark = early layers, yellow = output layer. Seed 000 says the early (dark) lines sit lowest. "
               "A line that stops has reached a gradient of exactly 0 (all ReLUs of a layer dead).")
    caption_below(fig, caption)
    return {"file": save(fig, out, "deep_digits_layers.png"), "caption": caption + " " + _layers_caption(runs, depth)}


def _layers_caption(runs, depth):
    parts = []
    for act in ACTS:
        for init in INITS:
            r = runs[f"{depth}|{act}|{init}"]
            x = r["first_over_last_median"]
            if r["diverged_at_step"] is not None:
                parts.append(f"{act}/{init}: diverged at step {r['diverged_at_step']}")
            elif x is not None:
                parts.append(f"{act}/{init}: first/last {x:.2g}" + (f" (all dead from step {r['dead_from_step']})" if r["dead_from_step"] is not None else ""))
    return "Median over steps of ‖∂L/∂W_1‖/‖∂L/∂W_n‖: " + "; ".join(parts) + "."


def _figure_ratios(runs, depths, out):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 5.2))
    combos = [(a, i) for a in ACTS for i in INITS]
    w = 0.8 / len(depths)
    colors = ("#9ecae1", "#4292c6", "#08306b")
    for k, d in enumerate(depths):
        vals, hatch = [], []
        for a, i in combos:
            r = runs[f"{d}|{a}|{i}"]
            x = r["first_over_last_median"]
            vals.append(x if x is not None else onp.nan)
            hatch.append(r["diverged_at_step"] is not None or r["dead_from_step"] is not None)
        xs = onp.arange(len(combos)) + (k - (len(depths) - 1) / 2) * w
        bars = ax.bar(xs, onp.nan_to_num(vals, nan=1e-300), width=w, color=colors[k], label=f"{d} hidden layers", bottom=None)
        for b, h, v in zip(bars, hatch, vals):
            if h:
                b.set_hatch("//")
                b.set_edgecolor("red")
            if onp.isnan(v):
                ax.annotate("n/a", (b.get_x() + b.get_width() / 2, 1e-3), ha="center", fontsize=7, rotation=90)
    ax.set_yscale("log")
    ax.axhline(1.0, color="k", lw=1, ls="--")
    ax.set_xticks(onp.arange(len(combos)), [f"{a}\n{i}" for a, i in combos], fontsize=8)
    ax.set_ylabel("median over steps of ‖∂L/∂W_1‖ / ‖∂L/∂W_n‖")
    ax.set_title("First layer's gradient relative to the output layer's (below the dashed line: the first layer learns slower)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    holds, fails, div = _verdicts(runs, depths)
    caption = ("Seed 000's description (the first layer's gradient is smaller than the last's, and more so with depth) "
               f"holds for {', '.join(holds) or 'none'}; it does not hold for {', '.join(fails) or 'none'}."
               + (f" Red hatching: the run diverged (non-finite loss) or every unit died, so the ratio covers only the steps "
                  f"before — {'; '.join(div)}." if div else ""))
    fig.subplots_adjust(bottom=0.25, top=0.92, left=0.08, right=0.86)
    caption_below(fig, caption, width=170)
    return {"file": save(fig, out, "deep_digits_ratio.png"), "caption": caption}
