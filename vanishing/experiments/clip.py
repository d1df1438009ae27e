"""Experiment 5, clipping: SGD on an RNN in an exploding regime, without clipping, with norm clipping, with value clipping.

Pascanu, Mikolov & Bengio 2013 (§3.2, Algorithm 1) rescale the gradient when its norm passes a threshold;
value clipping (torch's clip_grad_value_, Keras clipvalue) clamps each entry instead and so turns the
direction (claim CLIP-VALUE-DIRECTION: cos∠(clamp(g), g) > 1/√N, and can come close to it). The net is the
reference Elman RNN with ReLU units (models/batched.py) and W_hh initialised with spectral radius ≈ SCALE > 1,
so states and gradients grow geometrically with the sequence length; the task is the latch task of
experiment 4 (long_lags.batch). The three runs share seed, initialisation, batches and learning rate.
"""

import autograd
import autograd.numpy as anp
import numpy as onp

from vanishing.experiments._common import Progress, caption_below, clip_tree, finite, overflowed, pyplot, save
from vanishing.experiments.long_lags import batch
from vanishing.models import batched, clipping, rnn

NAME = "clip"
TITLE = "Clipping: training an RNN in an exploding regime with and without norm/value clipping"
CLAIMS = ("CLIP-NORM-DIRECTION", "CLIP-VALUE-DIRECTION", "CLIP-NORM-CAP", "CLIP-DESCENT-DIRECTION",
          "RNN-SCALAR-REPEATED-PRODUCT", "RNN-RELU-NOT-IDENTITY")

RUNS = (("no clipping", None, "#a50f15"), ("norm clipping", "norm", "#08519c"), ("value clipping", "value", "#ff7f00"))


def loss(params, xs, b):
    H = params["W_hh"].shape[0]
    core = {k: params[k] for k in ("W_hh", "W_xh", "b")}
    h = batched.rnn_forward(core, onp.zeros((xs.shape[1], H)), xs, "relu")[-1]
    return anp.mean((anp.dot(h, params["w"]) - b) ** 2)


def _leaves(d):
    return [d[k] for k in sorted(d)]


def train(how, seed, H, T, steps, B, lr, threshold, scale):
    rng = onp.random.default_rng(seed)
    p = rnn.init_params(H, 2, rng, scale=scale)
    p["w"] = rng.standard_normal(H) / onp.sqrt(H)
    data = onp.random.default_rng(1000 + seed)                           # the same batches for every run of a seed
    vg = autograd.value_and_grad(loss)
    out = {"loss": [], "grad_norm": [], "update_norm": [], "cos_update_grad": [], "diverged_at_step": None}
    with onp.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            xs, b = batch(T, B, data)
            r = overflowed(vg, p, xs, b)
            if r is None or not (onp.isfinite(r[0]) and finite(r[1])):
                out["diverged_at_step"] = step
                break
            L, g = r
            d = clip_tree(g, how, threshold)
            gl, dl = onp.concatenate([x.ravel() for x in _leaves(g)]), onp.concatenate([x.ravel() for x in _leaves(d)])
            n_g = float(clipping.global_norm([gl]))
            out["loss"].append(float(L))
            out["grad_norm"].append(n_g)
            out["update_norm"].append(float(clipping.global_norm([dl])))
            m = max(onp.abs(gl).max(), onp.abs(dl).max())               # cosine on rescaled copies: no overflow
            out["cos_update_grad"].append(float((gl / m) @ (dl / m) / (onp.linalg.norm(gl / m) * onp.linalg.norm(dl / m))))
            p = {k: p[k] - lr * d[k] for k in p}
            if not finite(p):
                out["diverged_at_step"] = step + 1
                break
    out["n_params"] = int(sum(v.size for v in p.values()))
    return out


def run(quick, out, progress=None):
    progress = progress or Progress(NAME)
    H, T, B = 16, 30, 32
    steps = 20 if quick else 150
    seeds = (0, 1, 2)
    lr, threshold, scale = 0.01, 1.0, 2.0
    res = {}
    for label, how, _ in RUNS:
        res[label] = [train(how, sd, H, T, steps, B, lr, threshold, scale) for sd in seeds]
        progress(f"{label}: {len(seeds)} seeds")
    fig, caption = _figure(res, seeds, steps, threshold, T, scale)
    numbers = {label: {"diverged_at_step_per_seed": [r["diverged_at_step"] for r in rs],
                       "final_loss_per_seed": [r["loss"][-1] if r["loss"] else None for r in rs],
                       "max_grad_norm_per_seed": [max(r["grad_norm"]) if r["grad_norm"] else None for r in rs],
                       "min_cos_update_grad_per_seed": [min(r["cos_update_grad"]) if r["cos_update_grad"] else None for r in rs],
                       "all_losses_finite": all(r["diverged_at_step"] is None for r in rs)}
               for label, rs in res.items()}
    numbers["n_params"] = res["no clipping"][0]["n_params"]
    return {"figures": [{"file": save(fig, out, "clip.png"), "caption": caption}],
            "seeds": list(seeds),
            "hyperparameters": {"H": H, "T": T, "batch": B, "steps": steps, "optimizer": "plain SGD", "learning_rate": lr,
                                "threshold": threshold, "W_hh": f"rnn.init_params(scale={scale}): spectral radius ≈ {scale}",
                                "act": "relu", "task": "latch (long_lags.batch)", "loss": "MSE of ŷ = wᵀh_T against the bit"},
            "dataset": "synthetic latch sequences (generated per seed)",
            "numbers": numbers}


def _figure(res, seeds, steps, threshold, T, scale):
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.4))
    N = res["no clipping"][0]["n_params"]
    for label, _, c in RUNS:
        for i, r in enumerate(res[label]):
            kw = {"color": c, "lw": 1.2, "alpha": 0.85, "label": label if i == 0 else None}
            axes[0].semilogy(r["loss"], **kw)
            axes[1].semilogy(r["grad_norm"], **kw)
            if r["diverged_at_step"] is not None and r["loss"]:
                axes[0].plot([len(r["loss"]) - 1], [r["loss"][-1]], "x", color=c, ms=10, mew=2,
                             label="last finite loss before divergence" if i == 0 else None)
            if label != "no clipping":
                axes[2].plot(r["cos_update_grad"], **kw)
    axes[0].set_ylabel("training-batch MSE (log scale)")
    axes[0].set_title("Loss (× = the next step overflowed: diverged)")
    axes[1].set_ylabel("‖∂L/∂θ‖₂ before clipping (log scale)")
    axes[1].axhline(threshold, color="k", ls=":", lw=1, label=f"threshold {threshold:g}")
    axes[1].set_title("Gradient norm")
    axes[2].axhline(1 / onp.sqrt(N), color="k", ls="--", lw=1, label=f"1/√N = {1 / onp.sqrt(N):.3f} (N = {N} parameters)")
    axes[2].set_ylim(0, 1.05)
    axes[2].set_ylabel("cos∠(update, gradient)")
    axes[2].set_title("Direction of the clipped update")
    for ax in axes:
        ax.set_xlabel("SGD step")
        ax.legend(fontsize=7.5)
    fig.suptitle(f"ReLU RNN with spectral radius ≈ {scale}, latch task at lag {T}: SGD with and without clipping ({len(seeds)} seeds)")
    div = {label: [r["diverged_at_step"] for r in rs] for label, rs in res.items()}
    cos_v = [min(r["cos_update_grad"]) for r in res["value clipping"] if r["cos_update_grad"]]
    runs = "; ".join(f"{label}: " + (f"every seed's loss stayed finite for {steps} steps" if all(d is None for d in ds) else
                                      "diverged (non-finite loss) at step " + ", ".join("–" if d is None else str(d) for d in ds))
                     for label, ds in div.items())
    finals = "; ".join(f"{label} {onp.median([r['loss'][-1] for r in rs if r['diverged_at_step'] is None]):.3g}"
                       for label, rs in res.items() if any(r["diverged_at_step"] is None and r["loss"] for r in rs))
    cos_n = min(min(r["cos_update_grad"]) for r in res["norm clipping"] if r["cos_update_grad"])
    turned = "value clipping: no steps."
    if cos_v:
        limit = onp.degrees(onp.arccos(1 / onp.sqrt(N)))
        turned = (f"value clipping turned the update by up to arccos({min(cos_v):.3f}) = {onp.degrees(onp.arccos(min(cos_v))):.0f}°, "
                  f"{'never reaching' if min(cos_v) > 1 / onp.sqrt(N) else 'REACHING'} arccos(1/√N) = {limit:.1f}° "
                  f"(N = {N}; CLIP-VALUE-DIRECTION).")
    caption = (f"Same seeds, initialisations, batches and learning rate for the three runs. {runs}. Final loss (median over "
               f"seeds that stayed finite): {finals}. Norm clipping kept the direction (smallest cosine {cos_n:.15f}); {turned}")
    fig.subplots_adjust(left=0.05, right=0.99, top=0.88, bottom=0.22, wspace=0.25)
    caption_below(fig, caption, width=210)
    return fig, caption
