"""Checks of the deep-net gradient claims (spec/claims/deepnet.toml): the product form of ∂L/∂W_i, the index
and count of its factors, which layers learn slower, exploding factors, and the first layer's share in a
trained-size net. The single factors f'(h)·w are in deepnet_factors.py.

Conventions (docs/DESIGN.md, models/deepnet.py): z_0 = x, z_i = f(h_i), h_i = W_i z_{i−1} + b_i, L = ½‖z_n − y‖².
"""

import functools
import importlib.metadata
import importlib.util
import math
import os

import autograd.numpy as anp
import numpy as np
from autograd.misc.flatten import flatten
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, oracles, recording, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    matrices,
    vectors,
)
from vanishing.checks.toolkit import FD_REACH, MIN_REACH, jac3, magnitude
from vanishing.models import activations as act
from vanishing.models import deepnet
from vanishing.models import deepnet as dn


# ================================================================ seed 000: the first layer's gradient is usually smaller

@functools.cache
def _digits():
    """(X, Y, source): scikit-learn's bundled 8×8 digits (pixels/16, one-hot targets) when scikit-learn is installed,
    else a synthetic stand-in. The CSV that load_digits reads is read directly: importing sklearn.datasets costs
    ~1.4 s, over the claim's budget (both give the same arrays; checked once against load_digits)."""
    spec = importlib.util.find_spec("sklearn")
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz") if spec else None
    if path and os.path.exists(path):
        a = np.loadtxt(path, delimiter=",")
        return a[:, :-1] / 16.0, np.eye(10)[a[:, -1].astype(int)], "sklearn digits"
    # 10 classes of 64 features in [0, 1]: a fixed random prototype per class plus noise, like stroke images
    rng = np.random.default_rng(0)
    proto = (rng.random((10, 64)) < 0.35).astype(float)
    labels = rng.integers(0, 10, 1797)
    X = np.clip(proto[labels] + 0.25 * rng.standard_normal((1797, 64)), 0.0, 1.0)
    return X, np.eye(10)[labels], "synthetic digits"


def _read_digits():
    """``_digits()``, named in the claim's outcome (recording.record_dataset) so that the certificate says which data it used."""
    X, Y, source = _digits()
    if source == "sklearn digits":
        try:
            version = importlib.metadata.version("scikit-learn")
        except importlib.metadata.PackageNotFoundError:   # importable, but without its package metadata
            version = "of unknown version"
        recording.record_dataset(f"scikit-learn's bundled 8×8 digits (load_digits' digits.csv.gz, scikit-learn {version})")
    else:
        recording.record_dataset("a synthetic stand-in for the digits (scikit-learn not installed)")
    return X, Y, source


def _batch_weight_grads(backprop, params, X, Y):
    """The mini-batch gradient (1/B)Σ_b ∂L_b/∂W_i for every layer i, from per-example backprop."""
    total = None
    for x, y in zip(X, Y):
        g = backprop(params, x, y, "sigmoid")["W"]
        total = list(g) if total is None else [a + b for a, b in zip(total, g)]
    return [a / len(X) for a in total]


#: nets per Hypothesis example and examples per mini-batch: the median of 5 nets with batches of 8 exceeds 1 with
#: probability ~1e-6 (offline: a single net's ratio exceeds 1 in 0–0.3% of 400 draws), small enough to assert
_NETS, _BATCH = 5, 8


def _first_to_last(backprop, widths, seed, X, Y):
    """‖∂L/∂W_1‖_F / ‖∂L/∂W_n‖_F for one net, standard-normal weights from ``seed``, a batch drawn by the same rng."""
    rng = np.random.default_rng(seed)
    params = deepnet.init_params(widths, rng)
    idx = rng.choice(len(X), _BATCH, replace=False)
    g = _batch_weight_grads(backprop, params, X[idx], Y[idx])
    return float(np.linalg.norm(g[0]) / np.linalg.norm(g[-1])), params, idx



#: The training run of the literal reading: minibatch SGD as in the record's offline run (η = 1, batch 32), the ratio
#: logged every 50 steps up to 300 (7 logs; the first is at initialisation).
_ETA, _TRAIN_BATCH, _STEPS, _EVERY = 1.0, 32, 300, 50


def _sgd_gradients(params, X, Y):
    """The minibatch gradient of the sigmoid MLP vectorised over the batch (rows of X): (∂L/∂W_i, ∂L/∂b_i) averaged.

    The same recursion as models.deepnet.backprop, on a batch at once (300 steps × 32 per-example calls would take
    about 3 s per net); the training loop ties it to the subject's backprop at every logged step."""
    zs = [X]
    for W, b in zip(params["W"], params["b"]):
        zs.append(act.sigmoid(zs[-1] @ W.T + b))
    delta = (zs[-1] - Y) * zs[-1] * (1.0 - zs[-1])                  # δ_n = (z_n − y)⊙σ'(h_n), σ' = z(1 − z)
    gW, gb = [None] * len(params["W"]), [None] * len(params["W"])
    for i in range(len(params["W"]) - 1, -1, -1):
        gW[i], gb[i] = delta.T @ zs[i] / len(X), delta.mean(axis=0)
        if i:
            delta = (delta @ params["W"][i]) * zs[i] * (1.0 - zs[i])    # δ_(i−1) = σ'(h_(i−1))⊙W_iᵀδ_i
    return gW, gb


def _trained_ratios(backprop, width, seed, X, Y, label):
    """Train [64, width, width, 10] (W ~ N(0, 1) from ``seed``, b = 0) by minibatch SGD; every 50th step log
    ‖∂L/∂W_1‖/‖∂L/∂W_3‖ of the current minibatch from the subject's backprop. Stops at the first logged ratio ≥ 1."""
    rng = np.random.default_rng(seed)
    p = deepnet.init_params([64, width, width, 10], rng)
    p = {"W": [np.asarray(W, dtype=np.float64) for W in p["W"]], "b": [np.asarray(b, dtype=np.float64) for b in p["b"]]}
    logged = []
    for step in range(_STEPS + 1):
        idx = rng.choice(len(X), _TRAIN_BATCH, replace=False)
        gW, gb = _sgd_gradients(p, X[idx], Y[idx])
        if step % _EVERY == 0:
            g = _batch_weight_grads(backprop, p, X[idx], Y[idx])       # the subject's gradient, per example
            for k, (a, b) in enumerate(zip(g, gW)):
                assertions.assert_close(b, a, tolerances.analytic(scale=max(1.0, float(np.max(np.abs(a))))),
                                     f"{label}: the training gradient of layer {k + 1} vs backprop at step {step}")
            logged.append((step, float(np.linalg.norm(g[0]) / np.linalg.norm(g[-1]))))
            if logged[-1][1] >= 1.0 or step == _STEPS:
                return logged
        p = {"W": [W - _ETA * d for W, d in zip(p["W"], gW)], "b": [b - _ETA * d for b, d in zip(p["b"], gb)]}
    return logged


def _backprop_reversed(params, x, y, act="sigmoid"):
    """Bug: the per-layer gradients returned in reverse order (first layer's list slot holds the last layer's)."""
    g = deepnet.backprop(params, x, y, act)
    return {"W": g["W"][::-1], "b": g["b"][::-1]}


def _backprop_without_fprime(params, x, y, act_name="sigmoid"):
    """Bug: δ_(i−1) = W_iᵀ δ_i, the activation's derivative f'(h_(i−1)) dropped in the hidden layers' recursion."""
    a = act.get_activation(act_name)
    fw = deepnet.forward(params, x, act_name)
    Ws = params["W"]
    delta = (fw["z"][-1] - y) * a.df(fw["h"][-1])          # δ_n is still right
    gW, gb = [None] * len(Ws), [None] * len(Ws)
    for i in range(len(Ws), 0, -1):
        gW[i - 1], gb[i - 1] = np.outer(delta, fw["z"][i - 1]), delta
        if i > 1:
            delta = Ws[i - 1].T @ delta                      # missing ⊙ f'(h_(i−1))
    return {"W": gW, "b": gb}


@claim_check("DEEP-FIRST-LAYER-TYPICAL",
             subject={"backprop": deepnet.backprop},
             plants={"per-layer gradients returned in reverse order": {"backprop": _backprop_reversed},
                     "f'(h) dropped in the hidden layers' δ recursion": {"backprop": _backprop_without_fprime}})
def first_layer_gradient_is_smaller_at_initialisation(ctx, s):
    """Sigmoid MLP, W ~ N(0,1), digits: at initialisation the median over nets of ‖∂L/∂W_1‖/‖∂L/∂W_3‖ < 1, smaller still with depth; not over training.  [DEEP-FIRST-LAYER-TYPICAL]"""

    @ctx.holds(max_examples=8, reason="10 nets of up to 7 layers per example, each with a mini-batch of 8 backprops")
    @given(width=st.sampled_from((16, 32)), base=st.integers(0, 2**30))
    @example(width=32, base=0)
    def first_layer_smaller_and_more_so_with_depth(width, base):
        X, Y, source = _read_digits()
        seeds = [base * _NETS + k for k in range(_NETS)]
        shallow = [_first_to_last(s.backprop, [64, width, width, 10], sd, X, Y) for sd in seeds]   # the seed's net
        deep = [_first_to_last(s.backprop, [64] + [width] * 5 + [10], sd, X, Y) for sd in seeds]   # three more hidden layers
        m2 = float(np.median([r for r, _, _ in shallow]))
        m5 = float(np.median([r for r, _, _ in deep]))
        target(m2, label="median ‖∂L/∂W_1‖/‖∂L/∂W_3‖")
        target(m5 / m2, label="deeper ÷ shallower median")
        # the gradients behind the ratio, on one example: backprop vs autograd (entry by entry) and directional FD
        _, params, idx = shallow[0]
        x, y = X[idx[0]], Y[idx[0]]
        g = s.backprop(params, x, y, "sigmoid")["W"]
        theta, unflat = flatten(params["W"])          # θ = (W_1, W_2, W_3), each raveled
        loss = lambda th: anp.reshape(deepnet.loss({"W": unflat(th), "b": params["b"]}, x, y, "sigmoid"), (1,))
        closed = flatten(g)[0]
        rep = ctx.repro(data=source, width=width, init_seed=seeds[0], example=idx[0])
        Jr = oracles.jacobian_reverse(loss, theta)
        recording.record_oracle("closed-form")
        assertions.assert_close(closed, Jr[0], tolerances.analytic(scale=max(1.0, float(np.max(np.abs(Jr))))),
                             f"{ctx.id}: backprop ∂L/∂W vs autograd", rep)
        directions = [np.random.default_rng(theta.size).standard_normal(theta.size)]    # fixed seed: reproducible
        if np.any(closed != 0.0):
            directions.append(closed)          # the claimed gradient's own direction exposes any wrong entry
        for v in directions:
            v = v / np.linalg.norm(v)
            d, err = oracles.directional_fd(loss, theta, v, np.ones(1))
            assertions.assert_close(np.array([closed @ v]), np.array([d]), tolerances.fd(np.array([err]), scale=max(1.0, abs(d))),
                                 f"{ctx.id}: backprop ∂L/∂W along a direction vs finite differences", rep)
        assert m2 < 1.0, (f"{ctx.id}: median over {_NETS} nets [64, {width}, {width}, 10] of ‖∂L/∂W_1‖/‖∂L/∂W_3‖ = {m2!r} ≥ 1 "
                          f"(ratios {[r for r, _, _ in shallow]!r}; data: {source}; {rep})")
        assert m5 < m2, (f"{ctx.id}: three more hidden layers did not make the first layer's share smaller: median {m5!r} "
                         f"≥ {m2!r} (data: {source}; {rep})")

    @ctx.refutes(max_examples=20, reason="each example trains one net by SGD for up to 300 steps (about 0.1 s); offline about "
                                       "one net in ten reaches a ratio ≥ 1, so 20 draws miss it with probability ~0.1")
    @given(width=st.sampled_from((16, 32)), init_seed=st.integers(0, 2**30))
    # Kept: it refutes on both data sources (the digits need the optional scikit-learn; without it the check
    # trains on a synthetic stand-in), so the verdict does not depend on what is installed. Hypothesis's own
    # shrunk find on the digits, init seed 1, refutes there only (see the record's counterexample).
    @example(width=32, init_seed=10)
    def literal_much_lower_over_training(width, init_seed):
        X, Y, source = _read_digits()
        logged = _trained_ratios(s.backprop, width, init_seed, X, Y, ctx.id)
        target(max(r for _, r in logged), label="largest ‖∂L/∂W_1‖/‖∂L/∂W_3‖ during training")
        literal(all(r < 1.0 for _, r in logged),
                f"{ctx.id}: net [64, {width}, {width}, 10] (init seed {init_seed}, {source}) trained by SGD (η = {_ETA:g}, batch "
                f"{_TRAIN_BATCH}): ‖∂L/∂W_1‖/‖∂L/∂W_3‖ at steps {[s_ for s_, _ in logged]} = {[round(r, 4) for _, r in logged]}: "
                f"not lower than the third layer's over training")


def _with_weight(params, i, Wi):
    """params with W_i (layer number i, 1-based) replaced by Wi (which may be an autograd box)."""
    Ws = list(params["W"])
    Ws[i - 1] = Wi
    return {"W": Ws, "b": list(params["b"])}


def _inf_norm(W):
    """‖W‖_∞ = max row sum of |W|: bounds how far W moves a vector in the max norm."""
    return float(np.max(np.sum(np.abs(W), axis=1)))


def _middle_product(params, x, i, a):
    """The seed's highlighted terms: ∏_{j=n−1}^{i} ∂z_{j+1}/∂z_j = ∂z_n/∂z_i, from dn.chain_factors."""
    F = dn.chain_factors(params, x, a)
    M = np.eye(F[-1].shape[0])
    for j in range(len(F) - 1, i - 1, -1):   # F[j] = ∂z_{j+1}/∂z_j; j = n−1, …, i
        M = M @ F[j]
    return M


# ---------------------------------------------------------------- strategies (private)
@st.composite
def _nets(draw, acts=cases.DEEP_ACTS, max_layers=4, max_width=2, scale=4.0, square=False):
    """(params, x, y, act, i): a net of 1..max_layers layers, widths ≤ max_width, a layer number i.

    Weights and biases in [−scale, scale] and |x| ≤ 3 give |h| up to ~30: sigmoid/tanh saturate.
    ``square``: every layer has the same width (the products of Jacobians are then square).
    """
    n = draw(st.integers(1, max_layers))
    if square:
        sizes = [draw(dims(1, max_width))] * (n + 1)
    else:
        sizes = [draw(dims(1, max_width)) for _ in range(n + 1)]
    Ws = [draw(matrices(sizes[k + 1], sizes[k], -scale, scale)) for k in range(n)]
    bs = [draw(vectors(sizes[k + 1], -scale, scale)) for k in range(n)]
    x = draw(vectors(sizes[0], -3.0, 3.0))
    y = draw(vectors(sizes[-1], -1.0, 1.0))
    a = draw(st.sampled_from(acts))
    i = draw(st.integers(1, n))
    return cases.net(Ws, bs), x, y, a, i


# The seed's own example: a 3-layer scalar chain, with weights of the size a standard normal gives.
_SEED_WS, _SEED_BS, _SEED_X, _SEED_Y = [0.3, -1.2, 0.8], [0.1, -0.2, 0.05], 0.7, np.array([1.0])
_SEED_NET = (cases.scalar_chain(_SEED_WS, _SEED_BS), np.array([_SEED_X]), _SEED_Y)


# ---------------------------------------------------------------- plants: realistic bugs
def _product_form_variant(params, x, y, i, a, *, local_fprime=True, sign=1.0):
    """The product form with a switchable bug: drop f'(h_i) in ∂z_i/∂W_i, or flip the residual's sign."""
    fw, F = dn.forward(params, x, a), dn.chain_factors(params, x, a)
    n = len(F)
    M = np.eye(len(fw["z"][n]))
    for j in range(n - 1, i - 1, -1):
        M = M @ F[j]
    g = (sign * (fw["z"][n] - y)) @ M
    if local_fprime:
        g = g * act.get_activation(a).df(fw["h"][i - 1])
    return np.outer(g, fw["z"][i - 1])


def _backprop_without_fprime(params, x, y, a):
    """Backprop whose δ recursion forgets f'(h_{i−1}): δ_{i−1} = W_iᵀδ_i."""
    fw, df = dn.forward(params, x, a), act.get_activation(a).df
    hs, zs, Ws = fw["h"], fw["z"], params["W"]
    n = len(Ws)
    gW = [None] * n
    delta = (zs[n] - y) * df(hs[n - 1])
    for i in range(n, 0, -1):
        gW[i - 1] = np.outer(delta, zs[i - 1])
        delta = Ws[i - 1].T @ delta
    return {"W": gW, "b": [None] * n}


def _backprop_three_layers_deep(params, x, y, a):
    """Backprop written for the depth it was tried at: only the last 3 layers get a gradient, the rest stay 0."""
    G, n = dn.backprop(params, x, y, a), len(params["W"])
    keep = range(max(n - 3, 0), n)
    return {"W": [g if k in keep else 0.0 * np.asarray(g) for k, g in enumerate(G["W"])],
            "b": [g if k in keep else 0.0 * np.asarray(g) for k, g in enumerate(G["b"])]}


#: A 5-layer net of width 3 (every layer ≥ 4 deep is reached on every ci run: bugs that need depth hide below 4).
_DEEP5 = cases.net([np.array([[0.5, -0.75, 0.25], [-0.5, 0.375, 1.0], [0.625, 0.125, -0.25]])] * 4
                   + [np.array([[0.75, -0.5, 0.5]])],
                   [np.array([0.125, -0.25, 0.5])] * 4 + [np.array([-0.125])])


def _middle_product_one_too_many(params, x, i, a):
    """Off by one: the loop also multiplies ∂z_i/∂z_{i−1} (n − i + 1 factors)."""
    F = dn.chain_factors(params, x, a)
    M = np.eye(F[-1].shape[0])
    for j in range(len(F) - 1, i - 2, -1):
        M = M @ F[j]
    return M


# ================================================================ DEEP-GRAD-PRODUCT-FORM
@claim_check("DEEP-GRAD-PRODUCT-FORM",
             subject={"product_form": dn.dL_dw_product_form, "backprop": dn.backprop, "loss": dn.loss},
             plants={"∂z_i/∂W_i without f'(h_i)": {"product_form": lambda P, x, y, i, a: _product_form_variant(P, x, y, i, a, local_fprime=False)},
                     "residual sign flipped (y − z_n)": {"product_form": lambda P, x, y, i, a: _product_form_variant(P, x, y, i, a, sign=-1.0)},
                     "backprop's δ forgets f'(h_{i−1})": {"backprop": _backprop_without_fprime},
                     "backprop reaches only the last 3 layers (shows from depth 4)": {"backprop": _backprop_three_layers_deep}})
def layer_gradient_is_a_product_of_local_factors(ctx, s):
    """∂L/∂W_i = (∂L/∂z_n ∏_{j=n−1}^{i} ∂z_{j+1}/∂z_j) ∂z_i/∂W_i = backprop = autograd = FD.  [DEEP-GRAD-PRODUCT-FORM]"""
    @ctx.holds
    @given(net=_nets())
    @example(net=(*_SEED_NET, "sigmoid", 1))
    @example(net=(*_SEED_NET, "relu", 2))
    @example(net=(_DEEP5, np.array([0.5, -1.0, 0.75]), np.array([0.25]), "tanh", 1))
    def product_form_is_the_gradient(net):
        params, x, y, a, i = net
        n = len(params["W"])
        Wi = params["W"][i - 1]
        C = np.asarray(s.product_form(params, x, y, i, a))
        reach = FD_REACH
        if a in cases.DEEP_KINKED:
            # moving one entry of W_i by t moves h_i by ≤ |t|·‖z_{i−1}‖_∞, and each later layer
            # multiplies that by ‖W_j‖_∞ (the activations are 1-Lipschitz)
            fw = dn.forward(params, x, a)
            sens = [float(np.max(np.abs(fw["z"][i - 1])))]
            for j in range(i + 1, n + 1):
                sens.append(sens[-1] * _inf_norm(params["W"][j - 1]))
            reach = cases.kink_free_reach(fw["h"][i - 1:], sens)
            assume(reach >= MIN_REACH)   # precondition: no pre-activation sits on the kink
        lbl = f"{ctx.id}: ∂L/∂W_{i} of a {n}-layer {a} net"

        def loss_of_Wi(w):
            return s.loss(_with_weight(params, i, anp.reshape(w, Wi.shape)), x, y, a)
        jac3(loss_of_Wi, Wi.ravel(), C.ravel()[None, :], lbl, reach=reach, reproduce=ctx.repro(net=net))
        G = s.backprop(params, x, y, a)
        for k in range(1, n + 1):
            pf = s.product_form(params, x, y, k, a)
            assertions.assert_close(G["W"][k - 1], pf, tolerances.analytic(scale=magnitude(pf)),
                                 f"{ctx.id}: backprop vs product form for W_{k} of a {n}-layer {a} net")


# ================================================================ DEEP-LOCAL-FACTOR-INDEX
def _factor_precise(ws, hs, j, a):
    """∂z_{j+1}/∂z_j = f'(h_{j+1})·w_{j+1} (0-based lists: ws[k] = w_{k+1}, hs[k] = h_{k+1})."""
    return act.get_activation(a).df(hs[j]) * ws[j]


@claim_check("DEEP-LOCAL-FACTOR-INDEX",
             subject={"factor": _factor_precise},
             plants={"the seed's indexing f'(h_{j+1})·w_j": {"factor": lambda ws, hs, j, a: act.get_activation(a).df(hs[j]) * ws[j - 1]},
                     "f' taken at the earlier pre-activation h_j": {"factor": lambda ws, hs, j, a: act.get_activation(a).df(hs[j - 1]) * ws[j]}})
def local_factor_uses_the_next_layers_weight(ctx, s):
    """∂z_{j+1}/∂z_j = f'(h_{j+1})·w_{j+1} when h_i = w_i z_{i−1} + b_i; not f'(h_{j+1})·w_j.  [DEEP-LOCAL-FACTOR-INDEX]"""
    @ctx.holds
    @given(chain=cases.scalar_chains(2, 5), a=st.sampled_from(cases.DEEP_ACTS), jj=st.integers(1, 4))
    @example(chain=(_SEED_WS, _SEED_BS, _SEED_X), a="sigmoid", jj=2)
    def factor_carries_the_later_weight(chain, a, jj):
        ws, bs, x = chain
        n = len(ws)
        j = 1 + (jj - 1) % (n - 1)          # j in 1..n−1: the factor ∂z_{j+1}/∂z_j exists
        params = cases.scalar_chain(ws, bs)
        fw = dn.forward(params, np.array([x]), a)
        hs = [float(h[0]) for h in fw["h"]]
        reach = FD_REACH
        if a in cases.DEEP_KINKED:                      # z_j moved by t moves h_{j+1} by |w_{j+1}|·|t|
            reach = cases.kink_free_reach([hs[j]], [abs(ws[j])])
            assume(reach >= MIN_REACH)
        layer = lambda u: dn.forward(cases.sub_net(params, j, j + 1), u, a)["z"][-1]
        closed = float(s.factor(ws, hs, j, a))
        lbl = f"{ctx.id}: ∂z_{j + 1}/∂z_{j} in a {n}-layer {a} chain"
        jac3(layer, fw["z"][j], [[closed]], lbl, reach=reach, reproduce=ctx.repro(chain=chain, a=a, jj=jj))
        assertions.assert_close(dn.chain_factors(params, np.array([x]), a)[j], [[closed]], tolerances.analytic(scale=magnitude(closed)),
                             lbl + ": model's chain_factors vs f'(h_{j+1})·w_{j+1}")

    @ctx.refutes
    @given(chain=cases.scalar_chains(2, 5), a=st.sampled_from(cases.DEEP_SMOOTH), jj=st.integers(1, 4))
    @example(chain=(_SEED_WS, _SEED_BS, _SEED_X), a="sigmoid", jj=2)     # the seed's own chain and factor ∂z_3/∂z_2
    def literal_factor_is_fprime_h3_times_w2(chain, a, jj):
        # The seed's chain ∂L/∂w_1 = … ∂z_3/∂z_2 ∂z_2/∂z_1 ∂z_1/∂w_1 needs z_i to depend on w_i,
        # i.e. h_i = w_i z_{i−1} + b_i; in that chain the text's factor is f'(h_{j+1})·w_j.
        ws, bs, x = chain
        n = len(ws)
        j = 1 + (jj - 1) % (n - 1)
        params = cases.scalar_chain(ws, bs)
        fw = dn.forward(params, np.array([x]), a)
        layer = lambda u: dn.forward(cases.sub_net(params, j, j + 1), u, a)["z"][-1]
        J = oracles.jacobian_reverse(layer, fw["z"][j])
        text = np.reshape(act.get_activation(a).df(fw["h"][j]) * ws[j - 1], (1, 1))      # the text's f'(h_{j+1})·w_j
        assertions.assert_close(J, text, tolerances.analytic(scale=magnitude(text)),
                             f"{ctx.id} (literal): ∂z_{j + 1}/∂z_{j} vs f'(h_{j + 1})·w_{j}", literal=True)

    @ctx.refutes
    @given(chain=cases.scalar_chains(3, 3), a=st.sampled_from(cases.DEEP_SMOOTH), y=floats(-1.0, 1.0))
    @example(chain=([0.0, 0.0, 1.0], [0.0, 0.0, 0.0], 0.0), a="sigmoid", y=0.0)   # shrunk counterexample
    def literal_chain_under_the_texts_indexing(chain, a, y):
        # Take the text's own definition instead, h_{i+1} = w_i z_i + b_i (h_3 = w_2 z_2 + b_2): the
        # weights are w_0, w_1, w_2, i.e. the model's W_1, W_2, W_3. Then ∂z_3/∂z_2 = f'(h_3)·w_2 is
        # right, but the seed's chain ∂L/∂w_1 = ∂L/∂z_3 ∂z_3/∂z_2 ∂z_2/∂z_1 ∂z_1/∂w_1 breaks:
        # z_1 = f(w_0 x + b_0) does not depend on w_1.
        ws, bs, x = chain
        params, xv, yv = cases.scalar_chain(ws, bs), np.array([x]), np.array([y])
        fw = dn.forward(params, xv, a)
        df = act.get_activation(a).df
        w1 = params["W"][1].ravel()              # the text's w_1 is the model's W_2
        true = oracles.jacobian_reverse(lambda w: dn.loss(_with_weight(params, 2, anp.reshape(w, (1, 1))), xv, yv, a), w1)
        # ∂z_1/∂w_1 by finite differences (autograd would warn that z_1 is independent of w_1)
        dz1_dw1, _ = oracles.jacobian_fd(lambda w: dn.forward(_with_weight(params, 2, np.reshape(w, (1, 1))), xv, a)["z"][1], w1)
        z3, h3, h2 = fw["z"][3], fw["h"][2], fw["h"][1]
        seed_chain = np.reshape((z3 - yv) * (df(h3) * ws[2]) * (df(h2) * ws[1]) * dz1_dw1.ravel(), (1, 1))
        assertions.assert_close(true, seed_chain, tolerances.analytic(scale=magnitude(seed_chain)),
                             f"{ctx.id} (literal, text's indexing): ∂L/∂w_1 vs the seed's chain", literal=True)


# ================================================================ DEEP-FACTOR-COUNT
@claim_check("DEEP-FACTOR-COUNT",
             subject={"middle": _middle_product},
             plants={"loop runs one factor too far (n − i + 1 factors)": {"middle": _middle_product_one_too_many}})
def layer_gradient_has_n_minus_i_factors(ctx, s):
    """∂L/∂w_i contains n − i factors ∂z_{j+1}/∂z_j (j = i..n−1), and their product is ∂z_n/∂z_i.  [DEEP-FACTOR-COUNT]"""
    @ctx.holds
    @given(n=st.integers(1, 60), k=st.integers(1, 60), data=st.data())
    @example(n=3, k=1, data=None)
    def count_by_exact_scaling(n, k, data):
        # Count the factors without looking at the loop: in an identity-activation chain every
        # factor is a weight, so scaling every weight by 2 scales a product of m factors by 2**m
        # exactly (a power-of-2 scaling rounds nothing). m = log2 of the ratio, an exact integer.
        i = 1 + (k - 1) % n
        if data is None:                     # the seed's 3-layer example, i = 1: two terms
            ws = [0.5, -1.5, 1.25]
        else:
            ws = data.draw(st.lists(st.one_of(floats(0.5, 2.0), floats(-2.0, -0.5)), min_size=n, max_size=n), label="weights")
        x = np.array([1.0])
        M1 = float(np.asarray(s.middle(cases.scalar_chain(ws, [0.0] * n), x, i, "identity")).ravel()[0])
        M2 = float(np.asarray(s.middle(cases.scalar_chain([2.0 * w for w in ws], [0.0] * n), x, i, "identity")).ravel()[0])
        m = math.log2(M2 / M1)
        assert m == n - i, f"{ctx.id}: ∂L/∂w_{i} of a {n}-layer chain has {m!r} factors ∂z_(j+1)/∂z_j, expected n − i = {n - i}"

    @ctx.holds
    @given(net=_nets(acts=cases.DEEP_SMOOTH, square=True))
    @example(net=(*_SEED_NET, "sigmoid", 1))
    def product_is_dzn_dzi(net):
        params, x, _, a, i = net
        n = len(params["W"])
        zi = dn.forward(params, x, a)["z"][i]
        to_out = lambda u: dn.forward(cases.sub_net(params, i, n), u, a)["z"][-1] if i < n else 1.0 * u
        jac3(to_out, zi, s.middle(params, x, i, a), f"{ctx.id}: ∂z_{n}/∂z_{i} of a {n}-layer {a} net", reproduce=ctx.repro(net=net))


# ================================================================ DEEP-EARLIER-SMALLER
def _chain_factors_missing_fprime(params, x, a):
    """∂z_{j+1}/∂z_j written as the weight alone (f'(h_{j+1}) forgotten)."""
    return [np.asarray(W, dtype=np.float64) for W in params["W"]]


@claim_check("DEEP-EARLIER-SMALLER",
             subject={"factors": dn.chain_factors},
             plants={"chain factors built with tanh' instead of σ'": {"factors": lambda params, x, a: dn.chain_factors(params, x, "tanh")},
                     "chain factors without f'": {"factors": _chain_factors_missing_fprime}})
def sigmoid_chain_flow_shrinks_geometrically_with_depth(ctx, s):
    """Sigmoid chain, |w_j| < 4: |∂z_n/∂z_i| ≤ ∏_{j>i}|w_j|/4 (geometric in n − i); |∂L/∂w_i| itself need not shrink.  [DEEP-EARLIER-SMALLER]"""
    @ctx.holds
    @given(chain=cases.scalar_chains(1, 30, w=floats(-4.0, 4.0).filter(lambda v: abs(v) < 4.0)), y=floats(-1.0, 1.0))
    @example(chain=([3.999] * 20, [0.0] * 20, 0.0), y=1.0)      # weights just below 4, h_j near 0: the bound is nearly tight
    def bound_decays_geometrically(chain, y):
        ws, bs, x = chain
        n = len(ws)
        params, xv, yv = cases.scalar_chain(ws, bs), np.array([x]), np.array([y])
        fw = dn.forward(params, xv, "sigmoid")
        F = [float(np.asarray(f).ravel()[0]) for f in s.factors(params, xv, "sigmoid")]
        # autograd's gradient of every weight at once, and the bound per weight:
        # |∂L/∂w_i| = |z_n − y| · |∂z_n/∂z_i| · σ'(h_i) · |z_{i−1}| ≤ |z_n − y| · ∏_{j>i}|w_j|/4 · ¼ · |z_{i−1}|
        grads = oracles.jacobian_reverse(lambda w: dn.loss(_chain_from(w, bs), xv, yv, "sigmoid"), np.array(ws)).ravel()
        resid = abs(float(fw["z"][n][0]) - y)
        prod, bound_prod = 1.0, 1.0                # ∂z_n/∂z_i and ∏_{j>i}|w_j|/4, built from i = n down
        worst = 0.0
        for i in range(n, 0, -1):
            g_bound = resid * bound_prod * 0.25 * abs(float(fw["z"][i - 1][0]))
            if g_bound > 0:
                worst = max(worst, abs(grads[i - 1]) / g_bound)
            # exact, no allowance: the model's σ' never exceeds ¼ in floats, so each computed |F_j| = fl(σ'(h_j)|w_j|)
            # ≤ |w_j|/4 (÷4 is exact), and rounding is monotone, so the two products, multiplied in the same order,
            # keep |prod| ≤ bound_prod step by step
            assertions.assert_le(abs(prod), bound_prod, tolerances.exact("σ' ≤ ¼ in floats and rounding is monotone"),
                              f"{ctx.id}: |∂z_{n}/∂z_{i}| vs ∏|w_j|/4", reproduce=ctx.repro(chain=chain, y=y))
            tol = tolerances.chain(n - i + _CHAIN_EXTRA_FACTORS, "|∂L/∂w_i| and its bound, each a product of rounded factors")
            assertions.assert_le(abs(grads[i - 1]), g_bound, tol, f"{ctx.id}: |∂L/∂w_{i}| vs |z_n − y|·∏_(j>i)|w_j|/4·¼·|z_(i−1)|",
                              reproduce=ctx.repro(chain=chain, y=y))
            prod *= F[i - 1]                        # F[i−1] = ∂z_i/∂z_{i−1}
            bound_prod *= abs(ws[i - 1]) / 4.0
        target(worst, label="max_i |∂L/∂w_i| / bound")
        if n <= 4:                                  # three oracles on ∂z_n/∂z_0 (FD is affordable here)
            jac3(lambda u: dn.forward(params, u, "sigmoid")["z"][-1], xv, [[prod]],
                           f"{ctx.id}: ∂z_{n}/∂z_0 of a sigmoid chain", reproduce=ctx.repro(chain=chain, y=y))

    @ctx.refutes
    @given(chain=cases.scalar_chains(2, 5, w=floats(-3.0, 3.0), b=floats(-3.0, 3.0)), y=floats(-1.0, 1.0))
    @example(chain=([0.0, 1.0], [-1.0, 0.0], 2.0), y=0.0)   # shrunk counterexample
    def literal_farther_back_smaller(chain, y):
        ws, bs, x = chain
        xv, yv = np.array([x]), np.array([y])
        g = np.abs(oracles.jacobian_reverse(lambda w: dn.loss(_chain_from(w, bs), xv, yv, "sigmoid"), np.array(ws)).ravel())
        for i in range(1, len(ws)):
            literal(g[i - 1] <= g[i], f"|∂L/∂w_{i}| = {g[i - 1]!r} > |∂L/∂w_{i + 1}| = {g[i]!r} (ws={ws!r}, bs={bs!r}, x={x!r}, y={y!r})")


#: |∂L/∂w_i| by autograd against its bound |z_n − y|·∏_{j>i}|w_j|/4·¼·|z_{i−1}|: each side is a product of
#: m = n − i + 3 rounded factors, in pairs (the n − i middle factors σ'(h_j)·w_j against |w_j|/4, then σ'(h_i)
#: against ¼, z_{i−1} and the residual, the same floats on both sides). Within a pair, autograd's factor is one short
#: expression chain (its derivative of the model's sigmoid: exp, add, square, divide, times w: a handful of
#: roundings) and the bound's factor one rounded multiplication, so the pair's computed ratio is within the
#: analytic unit ε_a = 2^8 ulps of its exact value (≤ 1), and the product of m pairs within (1 + ε_a)^m − 1 ≈ m·ε_a.
#: The allowance grows with the chain, by design and by this count only: at most 33·ε_a ≈ 1.9e-12 relative for the
#: 30-layer chains drawn here. (The middle product alone needs no allowance: see the exact comparison in the
#: property.)
_CHAIN_EXTRA_FACTORS = 3


def _chain_from(w, bs):
    """A scalar chain whose weights come from a (possibly boxed) vector w: differentiable in w."""
    return {"W": [anp.reshape(w[k], (1, 1)) for k in range(len(bs))], "b": [np.array([b]) for b in bs]}


# ================================================================ DEEP-EXPLODING-FACTOR
@claim_check("DEEP-EXPLODING-FACTOR",
             subject={"factors": dn.chain_factors},
             plants={"chain factors with σ'(0) = 1/2 (σ' doubled)": {"factors": lambda params, x, a: [2.0 * np.asarray(f) for f in dn.chain_factors(params, x, a)]},
                     "chain factors without the weight": {"factors": lambda params, x, a: [act.get_activation(a).df(h)[:, None] * np.ones_like(W) for h, W in zip(dn.forward(params, x, a)["h"], params["W"])]}})
def exploding_factor_needs_a_large_weight(ctx, s):
    """A factor |f'(h)w| > 1 needs |w| > 1/f'(h) ≥ 1/γ (f' never > 1); σ-chain with h_j = 0, |w_j| = 4c: |∂z_n/∂z_0| = cⁿ.  [DEEP-EXPLODING-FACTOR]"""
    @ctx.holds
    @given(cs=st.lists(floats(1.0, 3.0), min_size=1, max_size=50), signs=st.lists(st.booleans(), min_size=50, max_size=50), x=floats(-3.0, 3.0))
    @example(cs=[2.0] * 3, signs=[True] * 50, x=0.5)
    def sigmoid_chain_explodes_when_w_above_4(cs, signs, x):
        n = len(cs)
        ws = [4.0 * cj * (1.0 if sg else -1.0) for cj, sg in zip(cs, signs)]
        # biases that centre every pre-activation at exactly 0 (σ'(0) = 1/4): b_1 = −w_1 x, b_j = −w_j σ(0) = −w_j/2
        bs = [-(ws[0] * x)] + [-(w * 0.5) for w in ws[1:]]
        params, xv = cases.scalar_chain(ws, bs), np.array([x])
        hs = [float(h[0]) for h in dn.forward(params, xv, "sigmoid")["h"]]
        assert all(h == 0.0 for h in hs), f"{ctx.id}: pre-activations not centred: {hs!r}"
        closed = 1.0
        for f in s.factors(params, xv, "sigmoid"):
            closed *= float(np.asarray(f).ravel()[0])
        expected = float(np.prod(cs)) * float(np.prod([1.0 if sg else -1.0 for sg in signs[:n]]))
        # each factor σ'(0)·4c_j = ±c_j is exact (σ'(0) = ¼ and ×4 are exact); the two products of ≤ 50 factors,
        # multiplied in different orders, differ by at most 2·50 half-ulps = 50 ulps relative: inside the analytic
        # tolerance (2^8 ulps), which therefore needs no growth with n here
        assertions.assert_close(closed, expected, tolerances.analytic(scale=magnitude(expected)),
                             f"{ctx.id}: product of {n} chain factors vs ∏ ±c_j")
        target(math.log(abs(expected)), label="log|∂z_n/∂z_0|")
        to_out = lambda u: dn.forward(params, u, "sigmoid")["z"][-1]
        if n <= 4:
            jac3(to_out, xv, [[closed]], f"{ctx.id}: ∂z_{n}/∂z_0, σ chain with |w_j| = 4c_j", reproduce=ctx.repro(cs=cs, signs=signs, x=x))
        else:
            assertions.assert_close(oracles.jacobian_reverse(to_out, xv), [[closed]], tolerances.analytic(scale=magnitude(closed)),
                                 f"{ctx.id}: autograd ∂z_{n}/∂z_0 vs product")
        # |∂z_n/∂z_0| = ∏c_j ≥ 1 with c_j ≥ 1, growing geometrically: arithmetic on the product just checked

    @ctx.refutes
    @given(name=st.sampled_from(("sigmoid", "tanh", "arctan")), h=floats(-5.0, 5.0), w=floats(-20.0, 20.0))
    @example(name="sigmoid", h=0.0, w=5.0)   # shrunk counterexample
    def literal_needs_both_large(name, h, w):
        d = float(act.get_activation(name).df(h))
        literal(abs(d * w) <= 1.0 or (d > 1.0 and abs(w) > 1.0),
                f"{name}: the factor |f'({h!r})·{w!r}| = {abs(d * w)!r} > 1 although f' = {d!r} is not > 1")
