"""Checks of the claims about Pascanu, Mikolov & Bengio (2013) (spec/claims/pascanu.toml): the sufficient
condition for vanishing, what γ_vγ_g' > 1 and the spectral radius do not imply, the transposed Jacobian of
eq. (5) and the equivalence of the two RNN forms.

The claims about the *form* x_t = W σ(x_{t−1}) + W_in u_t + b use ``cases.pascanu_step``: the reference
models do not carry that form.
"""

import math

import autograd.numpy as anp
import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, cases, oracles, recording, tolerances
from vanishing.checks.assertions import literal
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import (
    dims,
    floats,
    matrices,
    unit_vectors,
    vectors,
)
from vanishing.checks.toolkit import jac3, le, magnitude, opnorm, spectral_radius
from vanishing.models import rnn


# ================================================================ Pascanu: ‖W‖ < 1/γ suffices for vanishing
@st.composite
def _vanish_cases(draw):
    """Long runs (T ∈ [50, 120]) with a recurrent matrix U of spectral norm 1 (every structure), to be scaled to η/γ_g'."""
    name, H = draw(st.sampled_from(cases.ACTS), label="act"), draw(dims(1, 4), label="H")
    T = draw(st.integers(50, 120), label="T")
    return {"act": name, "eta": draw(floats(0.05, 0.95), label="eta"), "U": draw(cases.with_norm(H, cases.UNIT), label="W_hh/‖W_hh‖"),
            "W_xh": draw(matrices(H, 1, -3.0, 3.0), label="W_xh"), "b": draw(cases.biases(H), label="b"),
            "h0": draw(vectors(H, -1.0, 1.0), label="h0"), "xs": draw(cases.long_inputs(T, 1), label="xs"),
            "v": draw(unit_vectors(H), label="dE_T/dh_T")}


@claim_check("RNN-VANISH-SUFFICIENT",
             subject={"products": rnn.jacobian_products, "gamma": cases.GAMMA},
             plants={"γ of tanh taken as 1/4 (the sigmoid's)": {"gamma": {**cases.GAMMA, "tanh": 0.25}},
                     "products drop diag(g') (W_hh^{T−k})": {"products": cases.products_without_gprime}})
def contraction_is_sufficient_for_vanishing(ctx, s):
    """γ_g'‖W_hh‖₂ ≤ η < 1 ⇒ ‖∂E_T/∂h_T · ∂h_T/∂h_k‖ ≤ η^{T−k}‖∂E_T/∂h_T‖ → 0.  [RNN-VANISH-SUFFICIENT]"""

    @ctx.holds
    @given(case=_vanish_cases())
    @example(case={"act": "tanh", "eta": 0.9, "U": np.eye(2), "W_xh": np.zeros((2, 1)), "b": np.zeros(2), "h0": np.zeros(2),
                   "xs": np.zeros((50, 1)), "v": np.array([1.0, 0.0])})
    @example(case={"act": "sigmoid", "eta": 0.9, "U": np.eye(2), "W_xh": np.zeros((2, 1)), "b": np.zeros(2), "h0": np.zeros(2),
                   "xs": np.zeros((50, 1)), "v": np.array([1.0, 0.0])})
    def long_term_contributions_vanish(case):
        name, eta, v, h0, xs = case["act"], case["eta"], case["v"], case["h0"], case["xs"]
        W = case["U"] * (eta / s.gamma[name])                   # ‖W_hh‖₂ = η/γ_g'
        P = cases.elman_params(W, case["W_xh"], case["b"])
        T, rep = len(xs), ctx.repro(**{**case, "xs": xs[:8]})
        prods = s.products(P, h0, xs, name)
        # cross-check the model's products on the last m = 10 steps (autograd through all T steps costs too much):
        # the VJP v·∂h_T/∂h_{T−m} by autograd from the actual state h_{T−m}
        m = min(T, 10)
        h_start = rnn.forward(P, h0, xs[:T - m], name)[-1] if T > m else h0
        vjp = oracles.jacobian_reverse(lambda h: anp.reshape(anp.dot(v, rnn.forward(P, h, xs[T - m:], name)[-1]), (1,)), h_start)[0]
        assertions.assert_close(v @ prods[T - m], vjp, tolerances.analytic(scale=1.0), f"{ctx.id} ({name}): v·∂h_T/∂h_(T−{m}) vs autograd", rep)
        recording.record_oracle("closed-form")
        worst = 0.0
        for k in range(T + 1):
            nv, bnd = float(np.linalg.norm(v @ prods[k])), eta ** (T - k)
            worst = max(worst, nv / bnd)
            le(nv, bnd, f"{ctx.id} ({name}): ‖v·∂h_T/∂h_k‖ at T={T}, k={k}, η={eta!r}", reproduce=rep)
        target(worst, label="max_k ‖v ∂h_T/∂h_k‖ / η^{T−k}")


# ================================================================ γ_vγ_g' > 1 does not imply exploding
def _products_of_norms(params, h0, xs, act="tanh"):
    """A plant: the norm of a product confused with the product of norms, ∂h_T/∂h_k := (∏ ‖J_i‖) I."""
    H = len(h0)
    hs = np.vstack([h0, rnn.forward(params, h0, xs, act)])
    norms = [opnorm(rnn.step_jacobian(params, hs[i], xs[i], act)) for i in range(len(xs))]
    return np.stack([np.prod(norms[k:]) * np.eye(H) for k in range(len(xs) + 1)])


@st.composite
def _explode_cases(draw):
    """Sequences of length 10..30 whose W_hh is rescaled to γ_vγ_g' ∈ [1.01, 5] (the seed's premise)."""
    case = draw(cases.seq_cases(H=(1, 3), T=(10, 30)))
    ratio = draw(floats(1.01, 5.0), label="γ_vγ_g'")
    n = opnorm(case["W_hh"])
    assume(n > 0)
    case["W_hh"] = case["W_hh"] * (ratio / (cases.GAMMA[case["act"]] * n))
    return case


@claim_check("RNN-EXPLODE-NOT-IMPLIED",
             subject={"products": rnn.jacobian_products},
             plants={"‖∏ J_i‖ taken as ∏ ‖J_i‖": {"products": _products_of_norms}})
def large_gamma_does_not_imply_exploding(ctx, s):
    """γ_vγ_g' > 1 does not imply ‖∂h_T/∂h_0‖ → ∞: strictly upper-triangular W_hh gives ∂h_T/∂h_k = 0 for T−k ≥ H.  [RNN-EXPLODE-NOT-IMPLIED]"""

    @ctx.holds
    @given(case=cases.seq_cases(H=(2, 4), T=(4, 8), w=1.0), scale=floats(1.0, 1e3), data=st.data())
    def strictly_upper_products_are_zero(case, scale, data):
        name, H = case["act"], len(case["h0"])
        W = scale * data.draw(cases.strictly_upper(H, 1.0), label="W_hh/scale (strictly upper)")
        P = cases.elman_params(W, case["W_xh"], case["b"])
        prods = s.products(P, case["h0"], case["xs"], name)
        T = len(case["xs"])
        for k in range(T - H + 1):
            # exactness is the claim: (diag · strictly upper) products of ≥ H factors have only zero entries
            assert np.all(prods[k] == 0.0), f"{ctx.id} ({name}): ∂h_T/∂h_k at T={T}, k={k} is not exactly 0: {prods[k].tolist()} ({ctx.repro(**{**case, 'W': W})})"
        Jr = oracles.jacobian_reverse(lambda v: rnn.forward(P, v, case["xs"], name)[-1], case["h0"])
        assertions.assert_structure(Jr, np.zeros((H, H), bool), tolerances.analytic(), f"{ctx.id} ({name}): autograd ∂h_T/∂h_0")
        recording.record_oracle("closed-form")

    @ctx.refutes
    @given(case=_explode_cases())
    @example(case={"act": "sigmoid", "W_hh": np.array([[8.0]]), "W_xh": np.array([[0.0]]), "b": np.array([0.0]),
                   "h0": np.array([0.0]), "xs": np.zeros((10, 1))})
    def seed001_explodes_when_rate_exceeds_one(case):
        name, W = case["act"], case["W_hh"]
        rate = opnorm(W) * cases.GAMMA[name]
        assume(rate > 1.0)                                       # the seed's premise γ_vγ_g' > 1
        # the true Jacobian products (the reference model; the subject is under test above)
        prods = rnn.jacobian_products(cases.elman_params(W, case["W_xh"], case["b"]), case["h0"], case["xs"], name)
        n0 = opnorm(prods[0])
        literal(n0 >= 1.0, (f"{ctx.id} ({name}): γ_vγ_g' = {rate!r} > 1 but ‖∂h_T/∂h_0‖ = {n0!r} < 1 "
                            f"after T={len(case['xs'])} steps: no explosion ({ctx.repro(**case)})"))


# ================================================================ the spectral-radius wording is not sufficient
def _rank_one_nilpotent(c, theta):
    """W = c·u vᵀ with u = (cos θ, sin θ), v = (−sin θ, cos θ): vᵀu = 0, so W² = 0 and ρ(W) = 0 while ‖W‖₂ = c."""
    u = np.array([math.cos(theta), math.sin(theta)])
    v = np.array([-math.sin(theta), math.cos(theta)])
    return c * np.outer(u, v)


def _fixed_point_jacobian(W, h_star):
    """∂h_t/∂h_{t−1} at a fixed point h* of h ↦ tanh(W h + b): diag(tanh'(a*)) W = diag(1 − h*²) W."""
    return np.diag(1.0 - h_star ** 2) @ W


@claim_check("RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT",
             subject={"step_jacobian": rnn.step_jacobian, "fp_jacobian": _fixed_point_jacobian},
             plants={"fixed-point Jacobian with the diagonal on the right (W diag(1−h*²))":
                         {"fp_jacobian": lambda W, h: W @ np.diag(1.0 - h ** 2)},
                     "fixed-point Jacobian without tanh' (K = W)": {"fp_jacobian": lambda W, h: np.asarray(W, float)}})
def small_spectral_radius_does_not_imply_vanishing(ctx, s):
    """ρ(W_hh) < 1/γ does not imply vanishing: W = c·u vᵀ (vᵀu = 0, ρ = 0) at a tanh fixed point has ‖K^l‖ = |tr K|^{l−1}‖K‖.  [RNN-SPECTRAL-RADIUS-NOT-SUFFICIENT]"""

    @ctx.holds
    @given(c_=floats(1.0, 20.0), theta=floats(0.0, 2 * math.pi), h_star=vectors(2, -0.9, 0.9))
    @example(c_=16.0, theta=-math.pi / 4 + 2 * math.pi, h_star=np.array([0.0, 0.5]))
    def rank_one_fixed_point(c_, theta, h_star):
        W = _rank_one_nilpotent(c_, theta)
        rep = ctx.repro(c=c_, theta=theta, h_star=h_star)
        # W² = c² u (vᵀu) vᵀ = 0 by construction (vᵀu = 0), so ρ(W) = 0
        P = cases.elman_params(W, np.zeros((2, 1)), np.arctanh(h_star) - W @ h_star)       # b := artanh(h*) − W h*
        assertions.assert_close(rnn.step(P, h_star, np.zeros(1), "tanh"), h_star, tolerances.analytic(scale=magnitude(h_star)),
                             f"{ctx.id}: h* is a fixed point", rep)
        K = s.fp_jacobian(W, h_star)
        jac3(lambda h: rnn.step(P, h, np.zeros(1), "tanh"), h_star, K, f"{ctx.id}: Jacobian at the fixed point", reproduce=rep)
        # K has rank one, K = (D u)(c vᵀ), so K² = (tr K) K; by induction K^l = (tr K)^{l−1} K, ‖K^l‖ = |tr K|^{l−1}‖K‖.
        # (Checked on K² — one product, rounding ≤ 2 ulps·‖K‖² — rather than on K^l computed by l products, whose
        # rounding grows like l·‖K‖/|tr K| relative: K is far from normal.)
        assertions.assert_close(K @ K, np.trace(K) * K, tolerances.analytic(scale=max(opnorm(K) ** 2, 1.0)), f"{ctx.id}: K² = (tr K) K", rep)


    @ctx.refutes
    @given(c_=floats(1.0, 20.0), theta=floats(0.0, 2 * math.pi), h_star=vectors(2, -0.9, 0.9))
    # Pascanu et al.'s example (docs/literature.md P5); the record's counterexample explains it
    @example(c_=16.0, theta=-math.pi / 4 + 2 * math.pi, h_star=np.array([0.0, 0.5]))
    def arxiv_eigenvalue_wording(c_, theta, h_star):
        W = _rank_one_nilpotent(c_, theta)
        rho = spectral_radius(W)            # 0 in exact arithmetic; at most ~sqrt(eps)·c after rounding
        assume(rho * cases.GAMMA["tanh"] < 1.0)    # the premise ρ(W)γ < 1 (true for every drawn W: ρ is ~1e-7 at most)
        P = cases.elman_params(W, np.zeros((2, 1)), np.arctanh(h_star) - W @ h_star)
        # along the orbit that stays at the fixed point h*, ∂h_{k+l}/∂h_k = K^l with K the model's step Jacobian at h*
        K = s.step_jacobian(P, h_star, np.zeros(1), "tanh")
        Kl = np.eye(2)
        for _ in range(_LONG_LAG):
            Kl = K @ Kl
        n = opnorm(Kl)
        literal(n <= 1.0, (f"{ctx.id}: ρ(W) = {rho:.1e} < 1/γ = 1 (arXiv wording) but ‖∂h_(k+l)/∂h_k‖ = {n!r} > 1 at lag l = {_LONG_LAG} "
                           f"along the fixed point h* = {h_star.tolist()}: no vanishing ({ctx.repro(W=W, b=P['b'])})"))


#: "as t → ∞" tested at a lag of 60 steps (2^59·‖K‖ ≈ 8e18 for Pascanu's example: no overflow).
_LONG_LAG = 60


def _pascanu_jacobian(W, x_prev, name):
    """∂x_t/∂x_{t−1} = W_rec diag(σ'(x_{t−1})) (chain rule through σ(x_{t−1}), then the linear map W_rec)."""
    return W * cases.activation(name).df(x_prev)[None, :]


@st.composite
def _pascanu_cases(draw, acts=cases.SMOOTH, H=(1, 3), D=(1, 2), w=3.0):
    name = draw(st.sampled_from(acts), label="σ")
    n, d = draw(dims(*H), label="H"), draw(dims(*D), label="D")
    return {"act": name, "W_hh": draw(cases.with_norm(n, floats(0.0, w)), label="W_rec"), "W_xh": draw(matrices(n, d, -w, w), label="W_in"),
            "b": draw(cases.biases(n, 50.0), label="b"), "x": draw(vectors(n, -5.0, 5.0), label="x_prev"), "u": draw(vectors(d, -3.0, 3.0), label="u")}


@claim_check("RNN-PASCANU-JACOBIAN-TRANSPOSE",
             subject={"step": cases.pascanu_step, "jacobian": _pascanu_jacobian},
             plants={"Jacobian as printed, W_recᵀ diag(σ')": {"jacobian": lambda W, x, n: W.T * cases.activation(n).df(x)[None, :]},
                     "Jacobian in the Elman form diag(σ') W_rec": {"jacobian": lambda W, x, n: cases.activation(n).df(x)[:, None] * W}})
def pascanu_step_jacobian_is_not_transposed(ctx, s):
    """x_t = W_rec σ(x_{t−1}) + W_in u_t + b ⇒ ∂x_t/∂x_{t−1} = W_rec diag(σ'(x_{t−1})), not W_recᵀ diag(σ'(x_{t−1})).  [RNN-PASCANU-JACOBIAN-TRANSPOSE]"""

    @ctx.holds
    @given(case=_pascanu_cases())
    @example(case={"act": "tanh", "W_hh": np.array([[0.0, 1.0], [0.0, 0.0]]), "W_xh": np.zeros((2, 1)), "b": np.zeros(2),
                   "x": np.zeros(2), "u": np.zeros(1)})
    def jacobian_is_w_diag(case):
        name, W = case["act"], case["W_hh"]
        J = s.jacobian(W, case["x"], name)
        jac3(lambda x: s.step(W, case["W_xh"], case["b"], x, case["u"], name), case["x"], J,
              f"{ctx.id} ({name}): W_rec diag(σ'(x_(t-1)))", reproduce=ctx.repro(**case))
        # eq. (6) is unaffected by the transpose: both W diag(σ') and Wᵀ diag(σ') have norm ≤ ‖W‖₂ γ
        bound = opnorm(W) * cases.GAMMA[name]
        le(opnorm(J), bound, f"{ctx.id}: ‖W_rec diag(σ')‖ vs ‖W_rec‖γ")
        le(opnorm(W.T * cases.activation(name).df(case["x"])[None, :]), bound, f"{ctx.id}: ‖W_recᵀ diag(σ')‖ vs ‖W_rec‖γ")

    @ctx.refutes
    @given(case=_pascanu_cases())
    @example(case={"act": "tanh", "W_hh": np.array([[0.0, 1.0], [0.0, 0.0]]), "W_xh": np.zeros((2, 1)), "b": np.zeros(2),
                   "x": np.zeros(2), "u": np.zeros(1)})
    def printed_eq5(case):
        name, W = case["act"], case["W_hh"]
        Jr = oracles.jacobian_reverse(lambda x: s.step(W, case["W_xh"], case["b"], x, case["u"], name), case["x"])
        assertions.assert_close(W.T * cases.activation(name).df(case["x"])[None, :], Jr, tolerances.analytic(scale=magnitude(Jr)),
                             f"{ctx.id} ({name}): printed W_recᵀ diag(σ'(x_k)) vs autograd", ctx.repro(**case), literal=True)


# ================================================================ Pascanu footnote 1: the two forms are equivalent
@claim_check("RNN-PASCANU-FORM-EQUIVALENCE",
             subject={"pascanu_step": cases.pascanu_step, "products": rnn.jacobian_products},
             plants={"σ dropped from eq. (2): x_t = W x_{t−1} + W_in u_t + b":
                         {"pascanu_step": lambda W, Wi, b, x, u, n: anp.dot(W, x) + anp.dot(Wi, u) + b},
                     "products in the wrong order": {"products": cases.products_reversed}})
def pascanu_form_is_the_standard_rnn(ctx, s):
    """x_t = W σ(x_{t−1}) + W_in u_t + b ⇔ h_t := σ(x_t) = σ(W h_{t−1} + W_in u_t + b); D_T ∂x_T/∂x_k = ∂h_T/∂h_k D_k, D_i = diag(σ'(x_i)).  [RNN-PASCANU-FORM-EQUIVALENCE]"""

    @ctx.holds
    @given(case=cases.seq_cases(acts=cases.SMOOTH, H=(1, 3), T=(1, 4), bias_hi=50.0), x0=vectors(3, -5.0, 5.0), k_frac=floats(0.0, 1.0))
    @example(case={"act": "tanh", "W_hh": np.array([[0.5, -1.0], [1.0, 0.2]]), "W_xh": np.array([[1.0], [-0.5]]),
                   "b": np.array([0.1, 0.2]), "h0": np.zeros(2), "xs": np.array([[1.0], [-1.0], [0.5]])},
             x0=np.array([0.3, -0.2, 0.0]), k_frac=0.0)
    def same_trajectory_and_jacobians(case, x0, k_frac):
        name, g = case["act"], cases.activation(case["act"])
        W, Win, b, us = case["W_hh"], case["W_xh"], case["b"], case["xs"]
        H, T = len(b), len(us)
        x0 = x0[:H]
        rep = ctx.repro(x0=x0, **case)

        def run(x, start):                                       # x_T from x_start by eq. (2)
            for t in range(start, T):
                x = s.pascanu_step(W, Win, b, x, us[t], name)
            return x
        xs_p = [x0]                                              # x_0 .. x_T by eq. (2)
        for t in range(T):
            xs_p.append(s.pascanu_step(W, Win, b, xs_p[-1], us[t], name))
        P = cases.elman_params(W, Win, b)
        hs = rnn.forward(P, g.f(x0), us, name)
        assertions.assert_close(np.stack([g.f(x) for x in xs_p[1:]]), hs, tolerances.analytic(scale=magnitude(hs)),
                             f"{ctx.id}: σ(x_t) vs h_t of the Elman form with h_0 = σ(x_0)", rep)
        k = min(int(k_frac * T), T - 1)
        # closed form: x_T = W h_{T−1} + …, h_k = σ(x_k) ⇒ ∂x_T/∂x_k = W (∂h_{T−1}/∂h_k) D_k
        dh = s.products(P, g.f(x0), us[:T - 1], name)[k] if T > 1 else np.eye(H)
        D = lambda x: np.diag(g.df(x))
        closed = W @ dh @ D(xs_p[k])
        Jx = jac3(lambda x: run(x, k), xs_p[k], closed, f"{ctx.id} ({name}): ∂x_T/∂x_k, T={T}, k={k}", reproduce=rep)
        rhs = s.products(P, g.f(x0), us, name)[k] @ D(xs_p[k])
        assertions.assert_close(D(xs_p[T]) @ Jx, rhs, tolerances.analytic(scale=magnitude(rhs)),
                             f"{ctx.id} ({name}): D_T ∂x_T/∂x_k vs ∂h_T/∂h_k D_k", rep)
