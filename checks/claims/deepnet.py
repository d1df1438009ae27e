"""Checks of the deep-network claims of seed 000 (spec/claims/deepnet.toml).

The seed's network (vanishing.models.deepnet): layers 1..n, z_0 = x, h_i = W_i z_{i−1} + b_i,
z_i = f(h_i), L = ½‖z_n − y‖². In a *scalar chain* every layer has one node, so W_i = [[w_i]].
"""

import math
from dataclasses import replace
from fractions import Fraction

import autograd.numpy as anp
import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from scipy import integrate, special, stats
from vanishing.checks import oracles, tolerances
from vanishing.checks.registry import claim_check, literal
from vanishing.checks.strategies import away_from, dims, floats, matrices, vectors
from vanishing.checks.toolkit import FD_REACH, MIN_REACH, jac3, magnitude
from vanishing.models import activations as act
from vanishing.models import deepnet as dn

SMOOTH = ("sigmoid", "tanh", "arctan", "identity")
KINKED = ("relu", "leaky_relu")           # a kink at 0; FD must not straddle it
ALL_ACTS = SMOOTH + KINKED



# ---------------------------------------------------------------- helpers (pure)
def _net(Ws, bs):
    return {"W": [np.asarray(W, dtype=np.float64) for W in Ws], "b": [np.asarray(b, dtype=np.float64) for b in bs]}


def _chain(ws, bs):
    """A scalar chain: one node per layer, W_i = [[w_i]], b_i = [b_i]."""
    return _net([[[w]] for w in ws], [[b] for b in bs])


def _with_weight(params, i, Wi):
    """params with W_i (layer number i, 1-based) replaced by Wi (which may be an autograd box)."""
    Ws = list(params["W"])
    Ws[i - 1] = Wi
    return {"W": Ws, "b": list(params["b"])}


def _sub_net(params, lo, hi):
    """Layers lo+1..hi of params as a net of their own: it maps z_lo to z_hi."""
    return {"W": params["W"][lo:hi], "b": params["b"][lo:hi]}


def _inf_norm(W):
    """‖W‖_∞ = max row sum of |W|: bounds how far W moves a vector in the max norm."""
    return float(np.max(np.sum(np.abs(W), axis=1)))


def _kink_free_reach(hs, sens):
    """Largest FD reach (≤ 0.5) that keeps every pre-activation on its side of the kink at 0.

    ``sens[k]`` bounds |Δh| of ``hs[k]`` per unit move of the differentiated coordinate
    (1-Lipschitz activations propagate it through ‖W‖_∞). We keep half the distance as margin.
    """
    reach = FD_REACH
    for h, s in zip(hs, sens):
        if s > 0:
            reach = min(reach, 0.5 * float(np.min(np.abs(h))) / s)
    return reach


def _middle_product(params, x, i, a):
    """The seed's highlighted terms: ∏_{j=n−1}^{i} ∂z_{j+1}/∂z_j = ∂z_n/∂z_i, from dn.chain_factors."""
    F = dn.chain_factors(params, x, a)
    M = np.eye(F[-1].shape[0])
    for j in range(len(F) - 1, i - 1, -1):   # F[j] = ∂z_{j+1}/∂z_j; j = n−1, …, i
        M = M @ F[j]
    return M


# ---------------------------------------------------------------- strategies (private)
@st.composite
def _nets(draw, acts=ALL_ACTS, max_layers=4, max_width=2, scale=4.0, square=False):
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
    return _net(Ws, bs), x, y, a, i


_WEIGHTS = floats(-4.0, 4.0)       # default weights and biases of a scalar chain: σ saturates, |w| reaches 4


@st.composite
def _scalar_chains(draw, n_lo=1, n_hi=5, w=_WEIGHTS, b=_WEIGHTS):
    """(ws, bs, x): a scalar chain of n_lo..n_hi layers."""
    n = draw(st.integers(n_lo, n_hi))
    ws = draw(st.lists(w, min_size=n, max_size=n))
    bs = draw(st.lists(b, min_size=n, max_size=n))
    x = draw(floats(-3.0, 3.0))
    return ws, bs, x


# The seed's own example: a 3-layer scalar chain, with weights of the size a standard normal gives.
_SEED_WS, _SEED_BS, _SEED_X, _SEED_Y = [0.3, -1.2, 0.8], [0.1, -0.2, 0.05], 0.7, np.array([1.0])
_SEED_NET = (_chain(_SEED_WS, _SEED_BS), np.array([_SEED_X]), _SEED_Y)


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
                     "backprop's δ forgets f'(h_{i−1})": {"backprop": _backprop_without_fprime}})
def _(c, s):
    """∂L/∂W_i = (∂L/∂z_n ∏_{j=n−1}^{i} ∂z_{j+1}/∂z_j) ∂z_i/∂W_i = backprop = autograd = FD.  [DEEP-GRAD-PRODUCT-FORM]"""
    @c.holds
    @given(net=_nets())
    @example(net=(*_SEED_NET, "sigmoid", 1))
    @example(net=(*_SEED_NET, "relu", 2))
    def product_form_is_the_gradient(net):
        params, x, y, a, i = net
        n = len(params["W"])
        Wi = params["W"][i - 1]
        C = np.asarray(s.product_form(params, x, y, i, a))
        reach = FD_REACH
        if a in KINKED:
            # moving one entry of W_i by t moves h_i by ≤ |t|·‖z_{i−1}‖_∞, and each later layer
            # multiplies that by ‖W_j‖_∞ (the activations are 1-Lipschitz)
            fw = dn.forward(params, x, a)
            sens = [float(np.max(np.abs(fw["z"][i - 1])))]
            for j in range(i + 1, n + 1):
                sens.append(sens[-1] * _inf_norm(params["W"][j - 1]))
            reach = _kink_free_reach(fw["h"][i - 1:], sens)
            assume(reach >= MIN_REACH)   # precondition: no pre-activation sits on the kink
        lbl = f"{c.id}: ∂L/∂W_{i} of a {n}-layer {a} net"

        def loss_of_Wi(w):
            return s.loss(_with_weight(params, i, anp.reshape(w, Wi.shape)), x, y, a)
        jac3(loss_of_Wi, Wi.ravel(), C.ravel()[None, :], lbl, reach=reach, reproduce=c.repro(net=net))
        G = s.backprop(params, x, y, a)
        for k in range(1, n + 1):
            pf = s.product_form(params, x, y, k, a)
            oracles.assert_close(G["W"][k - 1], pf, tolerances.analytic(scale=magnitude(pf)),
                                 f"{c.id}: backprop vs product form for W_{k} of a {n}-layer {a} net")


# ================================================================ DEEP-LOCAL-FACTOR-INDEX
def _factor_precise(ws, hs, j, a):
    """∂z_{j+1}/∂z_j = f'(h_{j+1})·w_{j+1} (0-based lists: ws[k] = w_{k+1}, hs[k] = h_{k+1})."""
    return act.get_activation(a).df(hs[j]) * ws[j]


@claim_check("DEEP-LOCAL-FACTOR-INDEX",
             subject={"factor": _factor_precise},
             plants={"the seed's indexing f'(h_{j+1})·w_j": {"factor": lambda ws, hs, j, a: act.get_activation(a).df(hs[j]) * ws[j - 1]},
                     "f' taken at the earlier pre-activation h_j": {"factor": lambda ws, hs, j, a: act.get_activation(a).df(hs[j - 1]) * ws[j]}})
def _(c, s):
    """∂z_{j+1}/∂z_j = f'(h_{j+1})·w_{j+1} when h_i = w_i z_{i−1} + b_i; not f'(h_{j+1})·w_j.  [DEEP-LOCAL-FACTOR-INDEX]"""
    @c.holds
    @given(chain=_scalar_chains(2, 5), a=st.sampled_from(ALL_ACTS), jj=st.integers(1, 4))
    @example(chain=(_SEED_WS, _SEED_BS, _SEED_X), a="sigmoid", jj=2)
    def factor_carries_the_later_weight(chain, a, jj):
        ws, bs, x = chain
        n = len(ws)
        j = 1 + (jj - 1) % (n - 1)          # j in 1..n−1: the factor ∂z_{j+1}/∂z_j exists
        params = _chain(ws, bs)
        fw = dn.forward(params, np.array([x]), a)
        hs = [float(h[0]) for h in fw["h"]]
        reach = FD_REACH
        if a in KINKED:                      # z_j moved by t moves h_{j+1} by |w_{j+1}|·|t|
            reach = _kink_free_reach([hs[j]], [abs(ws[j])])
            assume(reach >= MIN_REACH)
        layer = lambda u: dn.forward(_sub_net(params, j, j + 1), u, a)["z"][-1]
        closed = float(s.factor(ws, hs, j, a))
        lbl = f"{c.id}: ∂z_{j + 1}/∂z_{j} in a {n}-layer {a} chain"
        jac3(layer, fw["z"][j], [[closed]], lbl, reach=reach, reproduce=c.repro(chain=chain, a=a, jj=jj))
        oracles.assert_close(dn.chain_factors(params, np.array([x]), a)[j], [[closed]], tolerances.analytic(scale=magnitude(closed)),
                             lbl + ": model's chain_factors vs f'(h_{j+1})·w_{j+1}")

    @c.refutes
    @given(chain=_scalar_chains(2, 5), a=st.sampled_from(SMOOTH), jj=st.integers(1, 4))
    @example(chain=(_SEED_WS, _SEED_BS, _SEED_X), a="sigmoid", jj=2)     # the seed's own chain and factor ∂z_3/∂z_2
    def literal_factor_is_fprime_h3_times_w2(chain, a, jj):
        # The seed's chain ∂L/∂w_1 = … ∂z_3/∂z_2 ∂z_2/∂z_1 ∂z_1/∂w_1 needs z_i to depend on w_i,
        # i.e. h_i = w_i z_{i−1} + b_i; in that chain the text's factor is f'(h_{j+1})·w_j.
        ws, bs, x = chain
        n = len(ws)
        j = 1 + (jj - 1) % (n - 1)
        params = _chain(ws, bs)
        fw = dn.forward(params, np.array([x]), a)
        layer = lambda u: dn.forward(_sub_net(params, j, j + 1), u, a)["z"][-1]
        J = oracles.jacobian_reverse(layer, fw["z"][j])
        text = np.reshape(act.get_activation(a).df(fw["h"][j]) * ws[j - 1], (1, 1))      # the text's f'(h_{j+1})·w_j
        oracles.assert_close(J, text, tolerances.analytic(scale=magnitude(text)),
                             f"{c.id} (literal): ∂z_{j + 1}/∂z_{j} vs f'(h_{j + 1})·w_{j}", literal=True)

    @c.refutes
    @given(chain=_scalar_chains(3, 3), a=st.sampled_from(SMOOTH), y=floats(-1.0, 1.0))
    @example(chain=([0.0, 0.0, 1.0], [0.0, 0.0, 0.0], 0.0), a="sigmoid", y=0.0)   # shrunk counterexample
    def literal_chain_under_the_texts_indexing(chain, a, y):
        # Take the text's own definition instead, h_{i+1} = w_i z_i + b_i (h_3 = w_2 z_2 + b_2): the
        # weights are w_0, w_1, w_2, i.e. the model's W_1, W_2, W_3. Then ∂z_3/∂z_2 = f'(h_3)·w_2 is
        # right, but the seed's chain ∂L/∂w_1 = ∂L/∂z_3 ∂z_3/∂z_2 ∂z_2/∂z_1 ∂z_1/∂w_1 breaks:
        # z_1 = f(w_0 x + b_0) does not depend on w_1.
        ws, bs, x = chain
        params, xv, yv = _chain(ws, bs), np.array([x]), np.array([y])
        fw = dn.forward(params, xv, a)
        df = act.get_activation(a).df
        w1 = params["W"][1].ravel()              # the text's w_1 is the model's W_2
        true = oracles.jacobian_reverse(lambda w: dn.loss(_with_weight(params, 2, anp.reshape(w, (1, 1))), xv, yv, a), w1)
        # ∂z_1/∂w_1 by finite differences (autograd would warn that z_1 is independent of w_1)
        dz1_dw1, _ = oracles.jacobian_fd(lambda w: dn.forward(_with_weight(params, 2, np.reshape(w, (1, 1))), xv, a)["z"][1], w1)
        z3, h3, h2 = fw["z"][3], fw["h"][2], fw["h"][1]
        seed_chain = np.reshape((z3 - yv) * (df(h3) * ws[2]) * (df(h2) * ws[1]) * dz1_dw1.ravel(), (1, 1))
        oracles.assert_close(true, seed_chain, tolerances.analytic(scale=magnitude(seed_chain)),
                             f"{c.id} (literal, text's indexing): ∂L/∂w_1 vs the seed's chain", literal=True)


# ================================================================ DEEP-FACTOR-COUNT
@claim_check("DEEP-FACTOR-COUNT",
             subject={"middle": _middle_product},
             plants={"loop runs one factor too far (n − i + 1 factors)": {"middle": _middle_product_one_too_many}})
def _(c, s):
    """∂L/∂w_i contains n − i factors ∂z_{j+1}/∂z_j (j = i..n−1), and their product is ∂z_n/∂z_i.  [DEEP-FACTOR-COUNT]"""
    @c.holds
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
        M1 = float(np.asarray(s.middle(_chain(ws, [0.0] * n), x, i, "identity")).ravel()[0])
        M2 = float(np.asarray(s.middle(_chain([2.0 * w for w in ws], [0.0] * n), x, i, "identity")).ravel()[0])
        m = math.log2(M2 / M1)
        assert m == n - i, f"{c.id}: ∂L/∂w_{i} of a {n}-layer chain has {m!r} factors ∂z_(j+1)/∂z_j, expected n − i = {n - i}"

    @c.holds
    @given(net=_nets(acts=SMOOTH, square=True))
    @example(net=(*_SEED_NET, "sigmoid", 1))
    def product_is_dzn_dzi(net):
        params, x, _, a, i = net
        n = len(params["W"])
        zi = dn.forward(params, x, a)["z"][i]
        to_out = lambda u: dn.forward(_sub_net(params, i, n), u, a)["z"][-1] if i < n else 1.0 * u
        jac3(to_out, zi, s.middle(params, x, i, a), f"{c.id}: ∂z_{n}/∂z_{i} of a {n}-layer {a} net", reproduce=c.repro(net=net))


# ================================================================ DEEP-ACT-DERIV-SUP
_COMMON = ("sigmoid", "tanh", "relu", "arctan")      # the functions seed 000 names
#: "Pretty much always" allows isolated exceptions: the literal statement is tested for |x| ≥ _ISOLATED. Any fixed
#: neighbourhood of 0 removes tanh's and arctan's single point x = 0; at |x| = 1e-3 their derivatives are 1 − 1e-6,
#: far from rounding to 1.
_ISOLATED = 1e-3


@claim_check("DEEP-ACT-DERIV-SUP",
             subject={"activations": act.ACTIVATIONS, "dleaky": act.leaky_relu_prime},
             plants={"tanh' scaled by 1.01": {"activations": {**act.ACTIVATIONS, "tanh": replace(act.ACTIVATIONS["tanh"], df=lambda x: 1.01 * act.tanh_prime(x))}},
                     "registry records sup σ' = 0.2": {"activations": {**act.ACTIVATIONS, "sigmoid": replace(act.ACTIVATIONS["sigmoid"], deriv_sup=0.2)}},
                     "leaky ReLU' ignores α on the negative side": {"dleaky": lambda x, alpha=0.01: act.relu_prime(x)}})
def _(c, s):
    """sup|f'| ≤ 1 for sigmoid (1/4), tanh, ReLU, leaky ReLU (α ≤ 1), arctan, identity; = 1 is attained.  [DEEP-ACT-DERIV-SUP]"""
    @c.holds
    @given(name=st.sampled_from(sorted(ALL_ACTS)), x=floats(-1e3, 1e3))
    @example(name="tanh", x=0.0)
    @example(name="sigmoid", x=0.0)
    @example(name="relu", x=1.0)
    def sup_at_most_one_and_attained(name, x):
        A = s.activations[name]
        d = abs(float(A.df(x)))
        target(d / A.deriv_sup, label="|f'(x)| / sup|f'|")
        # exact in float64: the model's derivatives never exceed their sup (tanh' = 1/cosh² with cosh ≥ 1 in
        # floats, σ' = ¼·tanh'(x/2); see ACT-TANH-DERIV-BOUND and ACT-SIGMOID-DERIV-BOUND)
        assert d <= A.deriv_sup, f"{c.id}: |{name}'({x!r})| = {d!r} > recorded sup {A.deriv_sup!r}"
        assert A.deriv_sup <= 1.0, f"{c.id}: sup|{name}'| = {A.deriv_sup!r} > 1"
        at = float(abs(A.df(A.deriv_sup_at)))
        # exactness is the claim here: the sup is attained, and 1/4 and 1 are exact in float64
        assert at == A.deriv_sup, f"{c.id}: |{name}'({A.deriv_sup_at!r})| = {at!r}, expected the sup {A.deriv_sup!r} to be attained there"
        if name in ("relu", "leaky_relu", "identity") and x > 0:
            assert float(A.df(x)) == 1.0, f"{c.id}: {name}'({x!r}) = {float(A.df(x))!r}, expected exactly 1 on the whole half-line x > 0"
        if name in SMOOTH or abs(x) > FD_REACH + 0.1:   # FD's stencil must not straddle the kink at 0
            jac3(A.f, [x], [[float(A.df(x))]], f"{c.id}: {name}'({x!r})", reproduce=c.repro(name=name, x=x))

    @c.holds
    @given(alpha=floats(0.0, 4.0), x=floats(-1e3, 1e3).filter(lambda v: v != 0.0))
    @example(alpha=2.0, x=-1.0)
    def leaky_bound_needs_slope_at_most_one(alpha, x):
        # leaky'(x; α) ∈ {1, α}: sup|leaky'| = max(1, α), so "≤ 1" holds iff α ≤ 1
        d = abs(float(s.dleaky(x, alpha)))
        expected = 1.0 if x > 0 else alpha
        assert d == expected, f"{c.id}: |leaky_relu'({x!r}; α={alpha!r})| = {d!r}, expected {expected!r}"
        sup = max(abs(float(s.dleaky(1.0, alpha))), abs(float(s.dleaky(-1.0, alpha))))
        assert sup == max(1.0, alpha), f"{c.id}: sup|leaky_relu'(·; α={alpha!r})| = {sup!r}, expected max(1, α)"
        # so sup ≤ 1 iff α ≤ 1: arithmetic on max(1, α), not asserted again

    @c.refutes
    @given(name=st.sampled_from(_COMMON), x=away_from(floats(-10.0, 10.0), [0.0], _ISOLATED))
    @example(name="relu", x=1.0)       # ReLU' = 1 on the whole half-line x > 0
    def literal_always_below_one(name, x):
        # "pretty much always": every x but isolated points. tanh' and arctan' reach 1 only at x = 0, which the
        # sentence allows, so the literal statement is tested outside a neighbourhood of 0
        d = abs(float(s.activations[name].df(x)))
        literal(d < 1.0, f"|{name}'({x!r})| = {d!r} is not below 1")


# ================================================================ DEEP-NORMAL-WEIGHT-BELOW-ONE
def _gauss_pdf(t):
    return math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)


#: Monte-Carlo: N draws per example; the acceptance interval is the central binomial interval of
#: probability 1 − 1e-9, so a correct sampler fails one example in a billion.
_MC_N, _MC_ALPHA = 20_000, 1e-9


@claim_check("DEEP-NORMAL-WEIGHT-BELOW-ONE",
             subject={"p_below": lambda cut: special.erf(cut / math.sqrt(2.0)),
                      "sample": lambda rng, n: rng.standard_normal(n)},
             plants={"closed form erf(c) (the √2 dropped)": {"p_below": lambda cut: special.erf(cut)},
                     "sampler with std 0.5": {"sample": lambda rng, n: 0.5 * rng.standard_normal(n)}})
def _(c, s):
    """w ~ N(0, 1): P(|w| < 1) = erf(1/√2) ≈ 0.6827, so about one weight in three has |w| ≥ 1.  [DEEP-NORMAL-WEIGHT-BELOW-ONE]"""
    @c.holds
    @given(cut=floats(1e-2, 8.0))
    @example(cut=1.0)        # the seed's cut-off: erf(1/√2) = 0.6827, a majority ("usually"), though not every weight
    def probability_three_ways(cut):
        p = float(s.p_below(cut))
        by_cdf = float(stats.norm.cdf(cut) - stats.norm.cdf(-cut))
        # quad's own error estimate is conservative (~1e-11 here); its value must still agree to 256 ulps
        by_quad, _ = integrate.quad(_gauss_pdf, -cut, cut)
        tol = tolerances.analytic()
        oracles.assert_close(p, by_cdf, tol, f"{c.id}: erf(c/√2) vs Φ(c) − Φ(−c) at c={cut!r}")
        oracles.assert_close(p, by_quad, tol, f"{c.id}: erf(c/√2) vs ∫φ over [−c, c] at c={cut!r}")

    @c.holds
    @given(seed=st.integers(0, 2**32 - 1))
    def monte_carlo(seed):
        p = float(s.p_below(1.0))
        k = int(np.count_nonzero(np.abs(s.sample(np.random.default_rng(seed), _MC_N)) < 1.0))
        lo, hi = stats.binom.interval(1.0 - _MC_ALPHA, _MC_N, p)
        assert lo <= k <= hi, (f"{c.id}: {k} of {_MC_N} standard-normal draws (seed {seed}) have |w| < 1; "
                               f"the {1 - _MC_ALPHA} binomial interval for p = {p:.6f} is [{lo:.0f}, {hi:.0f}]")


# ================================================================ DEEP-SMALL-PRODUCT
_TINY = Fraction(2) ** -1022        # smallest normal float64; below it products lose relative precision


@claim_check("DEEP-SMALL-PRODUCT",
             subject={"mul": lambda a, b: a * b},
             plants={"float32 multiply": {"mul": lambda a, b: float(np.float32(a) * np.float32(b))},
                     "multiply rounding toward +∞ in magnitude": {"mul": lambda a, b: float(np.nextafter(a * b, math.copysign(np.inf, a * b))) if a * b != 0 else 0.0}})
def _(c, s):
    """|a|, |b| < 1 ⇒ |ab| ≤ min(|a|, |b|), strictly iff ab ≠ 0 (and, in float64, if ab does not underflow).  [DEEP-SMALL-PRODUCT]"""
    below_one = floats(-1.0, 1.0).filter(lambda v: abs(v) < 1.0)

    @c.holds
    @given(a=below_one, b=below_one)
    @example(a=0.0, b=0.5)
    @example(a=0.9999999999999999, b=0.9999999999999999)
    @example(a=2.2250738585072014e-308, b=0.9999999999999999)
    def at_most_min_strict_unless_zero(a, b):
        exact = abs(Fraction(a) * Fraction(b))           # exact rational arithmetic
        m = min(abs(Fraction(a)), abs(Fraction(b)))
        if m > 0:
            target(float(exact / m), label="|ab| / min(|a|,|b|)")
        assert exact <= m, f"{c.id}: |{a!r}·{b!r}| > min"
        assert (exact < m) == (a != 0 and b != 0), f"{c.id}: a={a!r}, b={b!r}: strictness should hold iff ab ≠ 0"
        p = abs(float(s.mul(a, b)))
        assert p <= float(m), f"{c.id}: fl({a!r}·{b!r}) = {p!r} > min(|a|,|b|) = {float(m)!r}"
        if exact >= _TINY:   # no underflow: a relative rounding of 2^-53 cannot reach min(|a|,|b|)
            assert p < float(m), f"{c.id}: fl({a!r}·{b!r}) = {p!r} is not below min(|a|,|b|) = {float(m)!r}"

    @c.refutes
    @given(a=below_one, b=below_one)
    @example(a=0.0, b=0.0)
    def literal_strictly_smaller(a, b):
        exact = abs(Fraction(a) * Fraction(b))
        m = min(abs(Fraction(a)), abs(Fraction(b)))
        literal(exact < m, f"|{a!r}·{b!r}| = {float(exact)!r} is not smaller than min(|a|,|b|) = {float(m)!r}")


# ================================================================ DEEP-FACTOR-BELOW-ONE
_FACTOR_ACTS = ("sigmoid", "tanh", "arctan", "relu")


@claim_check("DEEP-FACTOR-BELOW-ONE",
             subject={"activations": act.ACTIVATIONS},
             plants={"σ' written as σ(1+σ)": {"activations": {**act.ACTIVATIONS, "sigmoid": replace(act.ACTIVATIONS["sigmoid"], df=lambda x: act.sigmoid(x) * (1 + act.sigmoid(x)))}},
                     "ReLU' = 1 everywhere": {"activations": {**act.ACTIVATIONS, "relu": replace(act.ACTIVATIONS["relu"], df=lambda x: np.ones_like(np.asarray(x, dtype=float)))}}})
def _(c, s):
    """sup_h |f'(h)·w| = γ|w| (γ = sup|f'|), so every factor is < 1 iff |w| < 1/γ: 4 for σ, 1 for tanh/arctan/ReLU.  [DEEP-FACTOR-BELOW-ONE]"""
    @c.holds
    @given(name=st.sampled_from(_FACTOR_ACTS), w=floats(-10.0, 10.0), z=floats(-3.0, 3.0), b=floats(-5.0, 5.0))
    @example(name="sigmoid", w=4.0, z=0.5, b=-2.0)
    @example(name="sigmoid", w=3.999, z=0.0, b=0.0)
    @example(name="relu", w=2.0, z=-1.0, b=0.5)         # an inactive unit: the factor is 0, not w
    def factor_bounded_by_gamma_w(name, w, z, b):
        A = s.activations[name]
        h = w * z + b
        factor = float(A.df(h)) * w                 # ∂z'/∂z for z' = f(w z + b)
        bound = A.deriv_sup * abs(w)
        if bound > 0:
            target(abs(factor) / bound, label="|f'(h) w| / (γ|w|)")
        reach = FD_REACH
        if name in KINKED:
            reach = _kink_free_reach([np.array([h])], [abs(w)])
            assume(reach >= MIN_REACH)
        jac3(lambda u: A.f(w * u + b), [z], [[factor]], f"{c.id}: ∂{name}(w z + b)/∂z at w={w!r}, z={z!r}, b={b!r}", reach=reach, reproduce=c.repro(name=name, w=w, z=z, b=b))
        # exact in float64: |f'(h)| ≤ γ in floats (DEEP-ACT-DERIV-SUP) and rounding is monotone, so fl(|f'(h)|·|w|) ≤ fl(γ|w|)
        assert abs(factor) <= bound, f"{c.id}: |{name}'({h!r})·{w!r}| = {abs(factor)!r} > γ|w| = {bound!r}"
        # the sup over h is attained (at h* = deriv_sup_at), so "every factor < 1" fails once |w| ≥ 1/γ
        at = abs(float(A.df(A.deriv_sup_at)) * w)
        assert at == bound, f"{c.id}: at h* = {A.deriv_sup_at!r} the factor is {at!r}, expected γ|w| = {bound!r}"
        # so sup_h |f'(h) w| = γ|w| < 1 iff |w| < 1/γ (γ = 1/4 or 1: exact in floats), not asserted again

    @c.holds
    @given(name=st.sampled_from(_FACTOR_ACTS))
    def normal_weight_exceeds_threshold(name):
        # For w ~ N(0,1): P(|w| ≥ 1/γ) = erfc(1/(γ√2)) — ≈ 6.3e-5 for σ (1/γ = 4), ≈ 0.317 for the others.
        thr = 1.0 / s.activations[name].deriv_sup
        p = float(special.erfc(thr / math.sqrt(2.0)))
        tol = tolerances.analytic()
        oracles.assert_close(p, 2.0 * float(stats.norm.sf(thr)), tol, f"{c.id}: erfc(t/√2) vs 2Φ(−t), t={thr}")
        inside, _ = integrate.quad(_gauss_pdf, -thr, thr)      # agreement to 256 ulps, not quad's loose estimate
        oracles.assert_close(1.0 - p, inside, tol, f"{c.id}: 1 − P(|w| ≥ {thr}) vs ∫φ over [−{thr}, {thr}]")


# ================================================================ DEEP-EARLIER-SMALLER
def _chain_factors_missing_fprime(params, x, a):
    """∂z_{j+1}/∂z_j written as the weight alone (f'(h_{j+1}) forgotten)."""
    return [np.asarray(W, dtype=np.float64) for W in params["W"]]


@claim_check("DEEP-EARLIER-SMALLER",
             subject={"factors": dn.chain_factors},
             plants={"chain factors built with tanh' instead of σ'": {"factors": lambda params, x, a: dn.chain_factors(params, x, "tanh")},
                     "chain factors without f'": {"factors": _chain_factors_missing_fprime}})
def _(c, s):
    """Sigmoid chain, |w_j| < 4: |∂z_n/∂z_i| ≤ ∏_{j>i}|w_j|/4 (geometric in n − i); |∂L/∂w_i| itself need not shrink.  [DEEP-EARLIER-SMALLER]"""
    @c.holds
    @given(chain=_scalar_chains(1, 30, w=floats(-4.0, 4.0).filter(lambda v: abs(v) < 4.0)), y=floats(-1.0, 1.0))
    @example(chain=([3.999] * 20, [0.0] * 20, 0.0), y=1.0)      # weights just below 4, h_j near 0: the bound is nearly tight
    def bound_decays_geometrically(chain, y):
        ws, bs, x = chain
        n = len(ws)
        params, xv, yv = _chain(ws, bs), np.array([x]), np.array([y])
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
            oracles.assert_le(abs(prod), bound_prod, tolerances.exact("σ' ≤ ¼ in floats and rounding is monotone"),
                              f"{c.id}: |∂z_{n}/∂z_{i}| vs ∏|w_j|/4", reproduce=c.repro(chain=chain, y=y))
            tol = tolerances.chain(n - i + _CHAIN_EXTRA_FACTORS, "|∂L/∂w_i| and its bound, each a product of rounded factors")
            oracles.assert_le(abs(grads[i - 1]), g_bound, tol, f"{c.id}: |∂L/∂w_{i}| vs |z_n − y|·∏_(j>i)|w_j|/4·¼·|z_(i−1)|",
                              reproduce=c.repro(chain=chain, y=y))
            prod *= F[i - 1]                        # F[i−1] = ∂z_i/∂z_{i−1}
            bound_prod *= abs(ws[i - 1]) / 4.0
        target(worst, label="max_i |∂L/∂w_i| / bound")
        if n <= 4:                                  # three oracles on ∂z_n/∂z_0 (FD is affordable here)
            jac3(lambda u: dn.forward(params, u, "sigmoid")["z"][-1], xv, [[prod]],
                           f"{c.id}: ∂z_{n}/∂z_0 of a sigmoid chain", reproduce=c.repro(chain=chain, y=y))

    @c.refutes
    @given(chain=_scalar_chains(2, 5, w=floats(-3.0, 3.0), b=floats(-3.0, 3.0)), y=floats(-1.0, 1.0))
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
def _(c, s):
    """A factor |f'(h)w| > 1 needs |w| > 1/f'(h) ≥ 1/γ (f' never > 1); σ-chain with h_j = 0, |w_j| = 4c: |∂z_n/∂z_0| = cⁿ.  [DEEP-EXPLODING-FACTOR]"""
    @c.holds
    @given(cs=st.lists(floats(1.0, 3.0), min_size=1, max_size=50), signs=st.lists(st.booleans(), min_size=50, max_size=50), x=floats(-3.0, 3.0))
    @example(cs=[2.0] * 3, signs=[True] * 50, x=0.5)
    def sigmoid_chain_explodes_when_w_above_4(cs, signs, x):
        n = len(cs)
        ws = [4.0 * cj * (1.0 if sg else -1.0) for cj, sg in zip(cs, signs)]
        # biases that centre every pre-activation at exactly 0 (σ'(0) = 1/4): b_1 = −w_1 x, b_j = −w_j σ(0) = −w_j/2
        bs = [-(ws[0] * x)] + [-(w * 0.5) for w in ws[1:]]
        params, xv = _chain(ws, bs), np.array([x])
        hs = [float(h[0]) for h in dn.forward(params, xv, "sigmoid")["h"]]
        assert all(h == 0.0 for h in hs), f"{c.id}: pre-activations not centred: {hs!r}"
        closed = 1.0
        for f in s.factors(params, xv, "sigmoid"):
            closed *= float(np.asarray(f).ravel()[0])
        expected = float(np.prod(cs)) * float(np.prod([1.0 if sg else -1.0 for sg in signs[:n]]))
        # each factor σ'(0)·4c_j = ±c_j is exact (σ'(0) = ¼ and ×4 are exact); the two products of ≤ 50 factors,
        # multiplied in different orders, differ by at most 2·50 half-ulps = 50 ulps relative: inside the analytic
        # tolerance (2^8 ulps), which therefore needs no growth with n here
        oracles.assert_close(closed, expected, tolerances.analytic(scale=magnitude(expected)),
                             f"{c.id}: product of {n} chain factors vs ∏ ±c_j")
        target(math.log(abs(expected)), label="log|∂z_n/∂z_0|")
        to_out = lambda u: dn.forward(params, u, "sigmoid")["z"][-1]
        if n <= 4:
            jac3(to_out, xv, [[closed]], f"{c.id}: ∂z_{n}/∂z_0, σ chain with |w_j| = 4c_j", reproduce=c.repro(cs=cs, signs=signs, x=x))
        else:
            oracles.assert_close(oracles.jacobian_reverse(to_out, xv), [[closed]], tolerances.analytic(scale=magnitude(closed)),
                                 f"{c.id}: autograd ∂z_{n}/∂z_0 vs product")
        # |∂z_n/∂z_0| = ∏c_j ≥ 1 with c_j ≥ 1, growing geometrically: arithmetic on the product just checked

    @c.refutes
    @given(name=st.sampled_from(("sigmoid", "tanh", "arctan")), h=floats(-5.0, 5.0), w=floats(-20.0, 20.0))
    @example(name="sigmoid", h=0.0, w=5.0)   # shrunk counterexample
    def literal_needs_both_large(name, h, w):
        d = float(act.get_activation(name).df(h))
        literal(abs(d * w) <= 1.0 or (d > 1.0 and abs(w) > 1.0),
                f"{name}: the factor |f'({h!r})·{w!r}| = {abs(d * w)!r} > 1 although f' = {d!r} is not > 1")


# ================================================================ DEEP-RELU-STABLE
def _relu_factor(h, w):
    """∂z_{j+1}/∂z_j in a ReLU chain: ReLU'(h_{j+1})·w_{j+1} = 1[h_{j+1} > 0]·w_{j+1} (ReLU'(0) := 0)."""
    return np.where(np.asarray(h) > 0, 1.0, 0.0) * w


@claim_check("DEEP-RELU-STABLE",
             subject={"relu_factor": _relu_factor},
             plants={"factor 1 on active units (weight dropped)": {"relu_factor": lambda h, w: np.where(np.asarray(h) > 0, 1.0, 0.0)},
                     "ReLU' = 1 everywhere": {"relu_factor": lambda h, w: 1.0 * w}})
def _(c, s):
    """ReLU chain: ∂z_n/∂z_i = ∏_{j>i} 1[h_j > 0]·w_j — the weights' product on active paths, 0 if a unit is off.  [DEEP-RELU-STABLE]"""
    @c.holds
    @given(chain=_scalar_chains(1, 40, b=floats(-2.0, 2.0)), k=st.integers(0, 39))
    @example(chain=([2.0] * 10, [0.5] * 10, 1.0), k=0)
    def product_of_active_weights(chain, k):
        ws, bs, x = chain
        n = len(ws)
        i = k % n
        params = _chain(ws, bs)
        fw = dn.forward(params, np.array([x]), "relu")
        hs = [float(h[0]) for h in fw["h"]]
        closed = 1.0
        for j in range(i, n):                 # factors ∂z_{j+1}/∂z_j, j = i..n−1
            closed *= float(s.relu_factor(hs[j], ws[j]))
        active = all(h > 0 for h in hs[i:])
        if active:
            expected = float(np.prod(ws[i:]))
            # the same ≤ 40 weights multiplied in two orders: ≤ 2·40 half-ulps = 40 ulps apart, inside 2^8 ulps
            oracles.assert_close(closed, expected, tolerances.analytic(scale=magnitude(expected)),
                                 f"{c.id}: active chain: product vs ∏ w_j")
            if expected != 0:
                target(abs(math.log2(abs(expected))), label="|log2 ∂z_n/∂z_i|")
        else:   # exactness is the claim: an inactive unit multiplies by exactly 0
            assert closed == 0.0, f"{c.id}: a unit is off (h = {hs!r}) but the product is {closed!r}"
        to_out = lambda u: dn.forward(_sub_net(params, i, n), u, "relu")["z"][-1]
        zi = fw["z"][i]
        if n - i <= 4:
            # |Δh_{j+1}| per unit |Δz_i|: ∏|w| along the path; an inactive unit (kept inactive by the
            # reach) passes nothing on, so the units after it do not move at all
            sens, acc = [], 1.0
            for j in range(i, n):
                acc *= abs(ws[j])
                sens.append(acc)
                if hs[j] <= 0:
                    acc = 0.0
            reach = _kink_free_reach([np.array([h]) for h in hs[i:]], sens)
            assume(reach >= MIN_REACH)
            jac3(to_out, zi, [[closed]], f"{c.id}: ∂z_{n}/∂z_{i} of a ReLU chain", reach=reach, reproduce=c.repro(chain=chain, k=k))
        else:
            oracles.assert_close(oracles.jacobian_reverse(to_out, zi), [[closed]], tolerances.analytic(scale=magnitude(closed)),
                                 f"{c.id}: autograd ∂z_{n}/∂z_{i} vs ∏ 1[h_j>0] w_j")

    @c.refutes
    @given(chain=_scalar_chains(1, 10, w=floats(0.1, 4.0), b=floats(0.0, 2.0)))
    @example(chain=([0.5], [0.0], 0.0))   # shrunk counterexample
    def literal_gradient_passes_unchanged(chain):
        ws, bs, x = chain
        x = abs(x) + 0.1                        # premise, built in: x > 0, w > 0, b ≥ 0 make every unit active
        params, xv = _chain(ws, bs), np.array([x])
        J = float(oracles.jacobian_reverse(lambda u: dn.forward(params, u, "relu")["z"][-1], xv)[0, 0])
        oracles.assert_close(abs(J), 1.0, tolerances.analytic(),
                             f"|∂z_n/∂z_0| of an all-active ReLU chain (ws={ws!r}) is {abs(J)!r}, not 1", literal=True)


# ================================================================ DEEP-IDENTITY-DERIV-ONE
@claim_check("DEEP-IDENTITY-DERIV-ONE",
             subject={"identity": act.identity, "didentity": act.identity_prime},
             plants={"identity' computed as ReLU'": {"didentity": act.relu_prime},
                     "identity scaled by 0.999 (a 'nearly linear' unit)": {"identity": lambda x: 0.999 * act.identity(x)}})
def _(c, s):
    """identity'(x) = 1 for every x.  [DEEP-IDENTITY-DERIV-ONE]"""
    @c.holds
    @given(x=floats(-1e3, 1e3))
    @example(x=0.0)
    @example(x=-1.0)
    def derivative_is_one(x):
        d = float(s.didentity(x))
        assert d == 1.0, f"{c.id}: identity'({x!r}) = {d!r}, expected exactly 1"   # exact: the claim is "always one"
        jac3(s.identity, [x], [[d]], f"{c.id}: identity'({x!r})", reproduce=c.repro(x=x))
