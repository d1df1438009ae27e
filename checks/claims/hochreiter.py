"""Checks of the claims about Hochreiter's error-flow analysis (spec/claims/hochreiter.toml), in the notation
of Hochreiter & Schmidhuber 1997 §3.1: net_i(t) = Σ_j w_ij y^j(t−1), y^i = f_i(net_i), so w_ij is the weight
from unit j to unit i (our W[i, j]); ϑ_j(t) = f'_j(net_j(t)) Σ_i w_ij ϑ_i(t+1) is the back-propagated error.
"""

import functools
import itertools
import math

import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from scipy import optimize
from vanishing.checks import assertions, cases, oracles, recording, tolerances
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    matrices,
    vectors,
)
from vanishing.checks.toolkit import jac3, le, magnitude
from vanishing.models import activations as act
from vanishing.models import rnn


# ================================================================ Hochreiter's error-flow analysis
# Notation of Hochreiter & Schmidhuber 1997 §3.1: net_i(t) = Σ_j w_ij y^j(t−1), y^i = f_i(net_i), so w_ij is the
# weight from unit j to unit i (our W[i, j]); ϑ_j(t) = f'_j(net_j(t)) Σ_i w_ij ϑ_i(t+1) is the back-propagated error.
def _nets(W, a0, cs, name):
    """net(t−q), …, net(t): net(s) = W f(net(s−1)) + c_s (c_s: external input and bias); returns a list of q+1 vectors."""
    out = [np.asarray(a0, float)]
    for c_ in cs:
        out.append(cases.pascanu_step(W, np.eye(len(a0)), np.zeros(len(a0)), out[-1], c_, name))
    return out


def _hochreiter_recursion(W, fprimes):
    """Eq. (1): M_q[v, u] = ∂ϑ_v(t−q)/∂ϑ_u(t); M_1[v, u] = f'_v(net_v(t−1)) w_uv,
    M_q[v, u] = f'_v(net_v(t−q)) Σ_l M_{q−1}[l, u] w_lv.  ``fprimes[m−1]`` = f'(net(t−m)), m = 1..q."""
    M = fprimes[0][:, None] * W.T
    for fp in fprimes[1:]:
        M = fp[:, None] * (W.T @ M)
    return M


def _path_sum(W, fprimes, printed=False):
    """Eq. (2) by brute force over the n^{q−1} paths l_0 = u, l_1, …, l_q = v: ∏_m f'_{l_m}(net_{l_m}(t−m)) · w.
    The weight on step m is w_{l_{m−1} l_m} (from l_m to l_{m−1}: what unrolling eq. (1) gives) or, ``printed``,
    w_{l_m l_{m−1}} as eq. (2) is printed."""
    n, q = W.shape[0], len(fprimes)
    M = np.zeros((n, n))
    for u in range(n):
        for v in range(n):
            for mids in itertools.product(range(n), repeat=q - 1):
                path = (u,) + mids + (v,)
                term = 1.0
                for m in range(1, q + 1):
                    w = W[path[m], path[m - 1]] if printed else W[path[m - 1], path[m]]
                    term *= fprimes[m - 1][path[m]] * w
                M[v, u] += term
    return M


@st.composite
def _flow_cases(draw, n=(1, 3), q=(1, 4), acts=cases.SMOOTH, w=3.0):
    name = draw(st.sampled_from(acts), label="f")
    n_, q_ = draw(dims(*n), label="n"), draw(st.integers(*q), label="q")
    W = draw(cases.with_norm(n_, floats(0.0, w * n_)), label="W")
    a0 = draw(vectors(n_, -5.0, 5.0), label="net(t−q)")
    cs = draw(matrices(q_, n_, -3.0, 3.0), label="inputs")
    return {"act": name, "W_hh": W, "a0": a0, "cs": cs}


def _flow(case):
    """(W, nets, fprimes) with fprimes[m−1] = f'(net(t−m)), m = 1..q."""
    nets = _nets(case["W_hh"], case["a0"], case["cs"], case["act"])
    q = len(case["cs"])
    return nets, [cases.activation(case["act"]).df(nets[q - m]) for m in range(1, q + 1)]


@claim_check("RNN-HOCHREITER-PATH-SUM",
             subject={"recursion": _hochreiter_recursion, "path_sum": _path_sum},
             plants={"path sum with the printed weight index w_{l_m l_{m−1}}":
                         {"path_sum": lambda W, fps, printed=False: _path_sum(W, fps, printed=True)},
                     "recursion with W instead of Wᵀ": {"recursion": lambda W, fps: _hochreiter_recursion(np.asarray(W).T, fps)}})
def hochreiter_path_sum_is_a_jacobian_entry(ctx, s):
    """∂ϑ_v(t−q)/∂ϑ_u(t) = Σ_{l_1..l_{q−1}} ∏_m f'_{l_m}(net_{l_m}(t−m)) w_{l_{m−1} l_m} = [(∂net(t)/∂net(t−q))ᵀ]_{vu}.  [RNN-HOCHREITER-PATH-SUM]"""

    @ctx.holds
    @given(case=_flow_cases())
    @example(case={"act": "sigmoid", "W_hh": np.array([[0.0, 1.0], [0.0, 0.0]]), "a0": np.zeros(2), "cs": np.zeros((1, 2))})
    def recursion_paths_autograd(case):
        W, name = case["W_hh"], case["act"]
        n, q = len(case["a0"]), len(case["cs"])
        nets, fps = _flow(case)
        rep = ctx.repro(**case)
        M = s.recursion(W, fps)
        assertions.assert_close(s.path_sum(W, fps), M, tolerances.analytic(scale=magnitude(M)),
                             f"{ctx.id}: eq. (2) path sum (w_(l_(m−1) l_m)) vs eq. (1) recursion, q={q}", rep)
        # the model: net(t) = W h(t−1) + c, h = f(net) ⇒ ∂net(t)/∂net(t−q) = W (∂h(t−1)/∂h(t−q)) diag(f'(net(t−q)))
        P = cases.elman_params(W, np.eye(n), np.zeros(n))
        dh = rnn.jacobian_products(P, cases.activation(name).f(nets[0]), case["cs"][:q - 1], name)[0] if q > 1 else np.eye(n)
        model = (W @ dh @ np.diag(fps[-1])).T
        assertions.assert_close(M, model, tolerances.analytic(scale=magnitude(model)), f"{ctx.id}: eq. (1) vs the model's (W ∂h/∂h D)ᵀ", rep)

        def net_t(a):                                             # net(t) as a function of net(t−q)
            for c_ in case["cs"]:
                a = cases.pascanu_step(W, np.eye(n), np.zeros(n), a, c_, name)
            return a
        jac3(net_t, nets[0], M.T, f"{ctx.id} ({name}, q={q}): ∂net(t)/∂net(t−q) = Mᵀ", reproduce=rep)

    @ctx.refutes
    @given(case=_flow_cases())
    @example(case={"act": "sigmoid", "W_hh": np.array([[0.0, 1.0], [0.0, 0.0]]), "a0": np.zeros(2), "cs": np.zeros((1, 2))})
    def printed_eq2(case):
        _, fps = _flow(case)
        M = _hochreiter_recursion(case["W_hh"], fps)
        assertions.assert_close(_path_sum(case["W_hh"], fps, printed=True), M, tolerances.analytic(scale=magnitude(M)),
                             f"{ctx.id}: eq. (2) as printed (w_(l_m l_(m−1))) vs eq. (1)", ctx.repro(**case), literal=True)


def _n_star():
    """The root of n tanh(n/2) = 1 (n > 0): where |w f'(w y)| peaks for the logistic f (n = w y)."""
    return optimize.brentq(lambda n: n * math.tanh(n / 2) - 1.0, 0.5, 3.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def _dphi(w, y):
    """d/dw [w σ'(w y)] = σ'(n) + w y σ''(n) = σ'(n)(1 − n tanh(n/2)), n = w y, using σ'' = −σ' tanh(n/2) (by hand)."""
    n = w * y
    return act.sigmoid_prime(n) * (1.0 - n * np.tanh(n / 2.0))


@claim_check("RNN-HOCHREITER-SIGMOID-W4",
             subject={"dphi": _dphi, "n_star": _n_star, "products": rnn.jacobian_products},
             plants={"chain factor y dropped in d/dw": {"dphi": lambda w, y: act.sigmoid_prime(w * y) * (1.0 - w * np.tanh(w * y / 2.0))},
                     "peak from n·tanh(n) = 1 (half angle dropped)":
                         {"n_star": lambda: optimize.brentq(lambda n: n * math.tanh(n) - 1.0, 0.1, 3.0, xtol=1e-15)},
                     "products drop σ' (w^q)": {"products": cases.products_without_gprime}})
def logistic_unit_flow_below_one_for_weight_below_four(ctx, s):
    """Logistic f: |f'(net) w| ≤ |w|/4 < 1 for |w| < 4, so a scalar unit's q-step flow is ≤ (|w|/4)^q; with net = w y, max_w |w f'(w y)| = n*f'(n*)/|y| at w = coth(n*/2)/y.  [RNN-HOCHREITER-SIGMOID-W4]"""

    @ctx.holds
    @given(w=floats(-3.999, 3.999), q=st.integers(1, 100), data=st.data())
    def scalar_unit_decays(w, q, data):
        P = cases.elman_params(np.array([[w]]), np.array([[1.0]]), data.draw(cases.biases(1), label="b"))
        y0, xs = data.draw(vectors(1, 0.0, 1.0), label="y(t−q)"), data.draw(cases.long_inputs(q, 1), label="inputs")
        prods = s.products(P, y0, xs, "sigmoid")
        if q <= 3:
            jac3(lambda v: rnn.forward(P, v, xs, "sigmoid")[-1], y0, prods[0], f"{ctx.id}: ∂y(t)/∂y(t−q), q={q}")
        flow, bound = abs(float(prods[0][0, 0])), (abs(w) / 4) ** q
        if w != 0.0:
            assume(bound > 1e-300)          # stated precondition: the bound itself does not underflow
            target(flow / bound, label="|∂y(t)/∂y(t−q)| / (|w|/4)^q")
        le(flow, bound, f"{ctx.id}: |∂y(t)/∂y(t−q)| ≤ (|w|/4)^q < 1, w={w!r}, q={q}")

    @ctx.holds
    @given(w=floats(-50.0, 50.0), y=st.one_of(floats(0.05, 3.0), floats(-3.0, -0.05)))
    def coth_maximiser(w, y):
        phi = lambda v: v * act.sigmoid_prime(v * y)
        jac3(phi, np.array([w]), np.array([[s.dphi(w, y)]]), f"{ctx.id}: d/dw [w f'(w y)], y={y!r}")
        ns = s.n_star()
        peak = ns * float(act.sigmoid_prime(ns)) / abs(y)
        target(abs(float(phi(w))) / peak, label="|w f'(w y)| / peak")
        le(abs(float(phi(w))), peak, f"{ctx.id}: |w f'(w y)| ≤ n*f'(n*)/|y| at w={w!r}, y={y!r}")
        le(abs(float(phi(w))), abs(w) * math.exp(-abs(w * y)), f"{ctx.id}: |w f'(w y)| ≤ |w| e^(−|w y|) → 0 as |w| → ∞")
        w_star = (1.0 / math.tanh(ns / 2.0)) / y                      # Hochreiter: w = (1/y) coth(net/2)
        assertions.assert_close(np.array([abs(float(phi(w_star)))]), np.array([peak]), tolerances.analytic(scale=magnitude(np.array([peak]))),
                             f"{ctx.id}: the peak is attained at w = coth(n*/2)/y, y={y!r}")
        assertions.assert_close(np.array([float(s.dphi(w_star, y))]), np.zeros(1), tolerances.analytic(scale=1.0),
                             f"{ctx.id}: d/dw [w f'(w y)] = 0 at w = coth(n*/2)/y")


@functools.cache
def _unit_entry_matrices(n):
    """(n, n) matrices with entries in [−1, 1], including the extreme all-(+1) and all-(−1) ones."""
    return st.one_of(matrices(n, n, -1.0, 1.0), st.just(np.ones((n, n))), st.just(-np.ones((n, n))))


@claim_check("RNN-HOCHREITER-WEAK-BOUND",
             subject={"recursion": _hochreiter_recursion},
             plants={"f' dropped (M_q = (Wᵀ)^q)": {"recursion": lambda W, fps: _hochreiter_recursion(W, [np.ones_like(f) for f in fps])},
                     "f' of the 1997 cell-input squashing g = 4σ − 2 (g' = 4σ') used for f'":
                         {"recursion": lambda W, fps: _hochreiter_recursion(W, [4.0 * f for f in fps])}})
def hochreiter_weak_bound_on_error_flow(ctx, s):
    """|w_ij| ≤ w_max < 4/n ⇒ |∂ϑ_v(t−q)/∂ϑ_u(t)| ≤ n τ^q, τ = n w_max/4 < 1 (logistic f).  [RNN-HOCHREITER-WEAK-BOUND]"""

    @ctx.holds
    @given(n=dims(1, 4), q=st.integers(1, 30), frac=floats(0.01, 0.999), data=st.data())
    def exponential_decay(n, q, frac, data):
        w_max = frac * 4.0 / n
        W = w_max * data.draw(_unit_entry_matrices(n), label="W/w_max")
        case = {"act": "sigmoid", "W_hh": W, "a0": data.draw(vectors(n, -5.0, 5.0), label="net(t−q)"),
                "cs": data.draw(matrices(q, n, -3.0, 3.0), label="inputs")}
        nets, fps = _flow(case)
        M = s.recursion(W, fps)
        if q <= 5:
            def net_t(a):
                for c_ in case["cs"]:
                    a = cases.pascanu_step(W, np.eye(n), np.zeros(n), a, c_, "sigmoid")
                return a
            assertions.assert_close(M.T, oracles.jacobian_reverse(net_t, nets[0]), tolerances.analytic(scale=1.0),
                                 f"{ctx.id}: eq. (1) vs autograd ∂net(t)/∂net(t−q)")
            recording.record_oracle("closed-form")
        tau = n * w_max / 4.0
        worst = float(np.max(np.abs(M)))
        target(worst / (n * tau ** q), label="max |M_q| / (n τ^q)")
        le(worst, n * tau ** q, f"{ctx.id}: max_uv |∂ϑ_v(t−q)/∂ϑ_u(t)| ≤ n τ^q, n={n}, q={q}, τ={tau!r}", reproduce=ctx.repro(**case))
