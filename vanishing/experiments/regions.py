"""Experiment 3, Pascanu's regions: the growth rate of ‖∂h_T/∂h_0‖ as σ_max(W_hh) crosses 1/γ.

Pascanu, Mikolov & Bengio 2013 (§3.1): γ·σ_max(W_hh) < 1 is sufficient for vanishing (claim RNN-VANISH-SUFFICIENT),
and > 1 is necessary, not sufficient, for exploding (RNN-EXPLODE-NOT-IMPLIED). The sweep rescales one random
matrix W_0 to W = (x/γ)·W_0/σ_max(W_0) for x = γ·σ_max across 1 and measures the growth rate
(1/T)·log‖∂h_T/∂h_0‖₂ of the reference Elman RNN (``rnn.jacobian_products``) for tanh (γ = 1) and the
sigmoid (γ = 1/4), and of its linear counterpart h_t = γ·W h_{t−1} (the derivative replaced by its sup),
whose growth rate tends to log ρ(γW). The bound is log(γ·σ_max).

Special cases with γ·σ_max > 1 (tanh):

* nilpotent W (strictly upper triangular): ∂h_T/∂h_0 = 0 exactly once T ≥ H (rate −∞);
  (products are renormalised step by step, so a rate is never −∞ by float64 underflow, only by an exact 0)
* non-normal W = ½I + N, N strictly upper triangular scaled so σ_max(W) = 3: every eigenvalue is ½;
* saturated units: a large bias drives tanh' to ≈ 0;
* and the other way round: ρ(W) = 0 yet the gradient explodes, at a fixed point where
  diag(1 − h*²)W has trace > 1 (claim RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT).
"""

import numpy as onp

from vanishing.experiments._common import Progress, caption_below, pyplot, save
from vanishing.models import rnn

NAME = "regions"
TITLE = "Pascanu's regions: growth rate of the gradient as σ_max(W_hh) crosses 1/γ"
CLAIMS = ("RNN-VANISH-SUFFICIENT", "RNN-EXPLODE-NOT-IMPLIED", "RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT", "RNN-NORM-BOUND",
          "RNN-MATRIX-POWER-SPECTRAL-RADIUS")

GAMMA = {"tanh": 1.0, "sigmoid": 0.25}


def _rate(M, T):
    n = onp.linalg.norm(M, 2)
    return float(onp.log(n) / T) if n > 0 else -onp.inf


def log_norm_product(Js):
    """ln‖J_T ⋯ J_1‖₂ without underflow or overflow: the running product is renormalised after every step
    (−inf when it is exactly 0, e.g. a nilpotent W)."""
    M, log_scale = onp.eye(Js[0].shape[1]), 0.0
    for J in Js:                                                          # M ← J_t M, later steps on the left
        M = J @ M
        n = onp.linalg.norm(M, 2)
        if n == 0:
            return -onp.inf
        M, log_scale = M / n, log_scale + float(onp.log(n))
    return log_scale


def _rnn_rate(W, act, T, rng, D=4, b=None, xs=None, h0=None):
    """(1/T)·ln‖∂h_T/∂h_0‖₂ of the reference RNN, from its hand-derived step Jacobians diag(g'(a_t)) W_hh."""
    H = W.shape[0]
    p = {"W_hh": W, "W_xh": rng.standard_normal((H, D)) / onp.sqrt(D), "b": onp.zeros(H) if b is None else b}
    xs = rng.standard_normal((T, D)) if xs is None else xs
    h0 = onp.zeros(H) if h0 is None else h0
    hs = onp.vstack([h0, rnn.forward(p, h0, xs, act)])
    return log_norm_product([rnn.step_jacobian(p, hs[t], xs[t], act) for t in range(T)]) / T


def special_cases(H, T, rng):
    """{name: (γσ_max, growth rate, ρ(W), note)} for the nilpotent, non-normal, saturated and ρ = 0 exploding cases (tanh)."""
    out = {}
    N = onp.triu(rng.standard_normal((H, H)), 1)
    W = 3.0 * N / onp.linalg.norm(N, 2)                                   # strictly upper triangular, σ_max = 3
    out["nilpotent"] = (3.0, _rnn_rate(W, "tanh", T, rng), 0.0, "strictly upper triangular W: ∂h_T/∂h_0 = 0 for T ≥ H")
    # ½I + cN: find c with σ_max = 3 (σ_max grows monotonically with c here; bisection)
    lo, hi = 0.0, 10.0
    for _ in range(60):
        c = (lo + hi) / 2
        lo, hi = (c, hi) if onp.linalg.norm(0.5 * onp.eye(H) + c * N / onp.linalg.norm(N, 2), 2) < 3.0 else (lo, c)
    W = 0.5 * onp.eye(H) + lo * N / onp.linalg.norm(N, 2)
    out["non-normal"] = (float(onp.linalg.norm(W, 2)), _rnn_rate(W, "tanh", T, rng), 0.5, "½I + N: every eigenvalue ½, σ_max = 3")
    W = rng.standard_normal((H, H))
    W = 2.5 * W / onp.linalg.norm(W, 2)
    rate = _rnn_rate(W, "tanh", T, rng, b=8.0 * onp.ones(H))
    out["saturated"] = (2.5, rate, float(max(abs(onp.linalg.eigvals(W)))), "bias 8: tanh'(a) ≈ 1e-6 per step")
    # ρ(W) = 0 but exploding: W = c·u vᵀ with vᵀu = 0, at the fixed point h* = tanh(W h* + b), inputs 0
    u, v = onp.zeros(H), onp.zeros(H)
    u[:2], v[:2] = onp.array([1.0, 1.0]) / 2 ** 0.5, onp.array([1.0, -1.0]) / 2 ** 0.5
    W = 4.0 * onp.outer(u, v)                                             # σ_max = 4, W² = 0
    hstar = onp.zeros(H)
    hstar[1] = 0.95                                                       # diag(1 − h*²) = diag(1, 0.0975, 1, …)
    b = onp.arctanh(hstar) - W @ hstar                                    # so h* = tanh(W h* + b) is a fixed point
    rate = _rnn_rate(W, "tanh", T, rng, D=1, b=b, xs=onp.zeros((T, 1)), h0=hstar)
    K = (1 - hstar ** 2)[:, None] * W
    out["ρ(W) = 0, exploding"] = (4.0, rate, 0.0, f"fixed point with tr(diag(1−h*²)W) = {onp.trace(K):.2f} > 1")
    return out


def run(quick, out, progress=None):
    progress = progress or Progress(NAME)
    H = 16 if quick else 32
    T = 60 if quick else 150
    n_seeds = 2 if quick else 5
    xs_grid = onp.geomspace(0.25, 4.0, 9 if quick else 17)
    res = {f"{act} {kind}": onp.zeros((n_seeds, len(xs_grid))) for act in GAMMA for kind in ("non-linear", "linear")}
    rho_over_sigma = []
    for sd in range(n_seeds):
        rng = onp.random.default_rng(sd)
        W0 = rng.standard_normal((H, H))
        W0 /= onp.linalg.norm(W0, 2)
        rho_over_sigma.append(float(max(abs(onp.linalg.eigvals(W0)))))
        for j, x in enumerate(xs_grid):
            for act, g in GAMMA.items():
                W = (x / g) * W0
                res[f"{act} non-linear"][sd, j] = _rnn_rate(W, act, T, rng)
                res[f"{act} linear"][sd, j] = _rate(onp.linalg.matrix_power(g * W, T), T)   # ∂h_T/∂h_0 = (γW)^T
        progress(f"seed {sd} swept")
    special = special_cases(H, T, onp.random.default_rng(100))
    progress("special cases done")
    fig, caption = _figure(res, xs_grid, special, H, T, n_seeds, quick)
    numbers = {"gamma_sigma_max": [float(x) for x in xs_grid],
               "growth_rate_mean": {k: [float(v) for v in a.mean(axis=0)] for k, a in res.items()},
               "growth_rate_per_seed": {k: a.tolist() for k, a in res.items()},
               "rho_over_sigma_max_of_W0": rho_over_sigma,
               "special_cases": {k: {"gamma_sigma_max": v[0], "growth_rate": v[1] if onp.isfinite(v[1]) else "-inf",
                                     "spectral_radius": v[2], "note": v[3]} for k, v in special.items()}}
    return {"figures": [{"file": save(fig, out, "regions.png"), "caption": caption}],
            "seeds": {"sweep": list(range(n_seeds)), "special_cases": 100},
            "hyperparameters": {"H": H, "T": T, "D": 4, "inputs": "x_t ~ N(0, I), W_xh ~ N(0, 1/D), b = 0, h_0 = 0",
                                "gamma": GAMMA, "W": "W_0 ~ N(0, 1) entries, rescaled to σ_max(W) = x/γ"},
            "dataset": "synthetic Gaussian inputs",
            "numbers": numbers}


def _figure(res, xs_grid, special, H, T, n_seeds, quick):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(13, 6.4))
    ax.axvspan(xs_grid[0], 1.0, color="#deebf7", alpha=0.6, lw=0)
    ax.text(0.27, 1.2, "γ·σ_max < 1:\nvanishing guaranteed", fontsize=9, color="#08519c")
    ax.text(1.05, 1.2, "γ·σ_max > 1: exploding possible,\nnot implied", fontsize=9, color="#a50f15")
    ax.plot(xs_grid, onp.log(xs_grid), "k--", lw=1.2, label="bound log(γ·σ_max)")
    style = {"tanh non-linear": ("#08519c", "-", "o"), "sigmoid non-linear": ("#e6550d", "-", "s"),
             "tanh linear": ("#08519c", ":", None), "sigmoid linear": ("#e6550d", ":", None)}
    for k, a in res.items():
        c, ls, m = style[k]
        label = {"tanh non-linear": "tanh RNN (γ = 1)", "sigmoid non-linear": "sigmoid RNN (γ = ¼)",
                 "tanh linear": "linear h_t = γW h_{t−1}, tanh's γ", "sigmoid linear": "linear, sigmoid's γ\n   (same W: the two overlap)"}[k]
        ax.plot(xs_grid, a.mean(axis=0), color=c, ls=ls, marker=m, ms=4, lw=1.6, label=label)
        if n_seeds > 1:
            ax.fill_between(xs_grid, a.min(axis=0), a.max(axis=0), color=c, alpha=0.12, lw=0)
    bottom = -3.0
    markers = {"nilpotent": ("v", "#54278f"), "non-normal": ("D", "#238b45"), "saturated": ("X", "#636363"),
               "ρ(W) = 0, exploding": ("*", "#a50f15")}
    for k, (x, r, rho, note) in special.items():
        m, c = markers[k]
        y = max(bottom + 0.1, r)
        ax.plot([x], [y], marker=m, color=c, ms=11, ls="none",
                label=f"{k}, rate {'−∞' if not onp.isfinite(r) else f'{r:.2f}'}" + (" (drawn at the bottom edge)" if y != r else "")
                + "\n   " + note)
    ax.axvline(1.0, color="k", lw=0.8)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlim(xs_grid[0], xs_grid[-1] * 1.1)
    ax.set_ylim(bottom, 1.5)
    ax.set_xlabel("γ·σ_max(W_hh)   (γ = sup g': 1 for tanh, ¼ for the sigmoid; log scale)")
    ax.set_ylabel(f"growth rate (1/T)·ln‖∂h_T/∂h_0‖₂  (per step, T = {T})")
    ax.set_title(f"Pascanu's regions, H = {H}, mean of {n_seeds} random W (shaded: min–max)" + (" — quick run" if quick else ""))
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter
    ax.xaxis.set_major_locator(FixedLocator([0.25, 0.5, 1, 2, 4]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    t_nl = res["tanh non-linear"].mean(axis=0)
    s_nl = res["sigmoid non-linear"].mean(axis=0)
    above = xs_grid > 1
    under = all(bool(onp.all(a <= onp.log(xs_grid) + 1e-9)) for a in res.values())
    neg_left = all(bool(onp.all(a[:, xs_grid < 1] < 0)) for a in res.values())
    caption = (f"{'Every' if under else 'NOT every'} curve stays under the bound log(γσ_max); left of γσ_max = 1 "
               f"{'every rate is negative (vanishing)' if neg_left else 'some rate is NOT negative'}. "
               f"Right of it the non-linear tanh RNN's rate is {'positive somewhere' if (t_nl[above] > 0).any() else 'still negative everywhere'} "
               f"(max {t_nl[above].max():.2f} at γσ_max = {xs_grid[above][t_nl[above].argmax()]:.2f}), the sigmoid RNN's "
               f"{'positive somewhere' if (s_nl[above] > 0).any() else 'negative everywhere'} (max {s_nl[above].max():.2f}): "
               "γσ_max > 1 is necessary for growth, not sufficient. The linear model grows at about log ρ(γW), below the bound "
               "because ρ < σ_max. Markers: " + "; ".join(
                   f"{k} (γσ_max = {x:.1f}): rate {'−∞' if not onp.isfinite(r) else f'{r:.2f}'}" for k, (x, r, _, _) in special.items()) + ".")
    fig.subplots_adjust(left=0.07, right=0.66, top=0.93, bottom=0.22)
    caption_below(fig, caption, width=195)
    return fig, caption
