"""Checks of the xLSTM claims (spec/claims/xlstm.toml): sLSTM's stabiliser and normaliser, its direct path, mLSTM's parallel form.

Notation (models/xlstm.py): sLSTM gates i, f, z, o; m_t = max(log f_t + m_(t−1), ĩ_t), i′ = e^{ĩ − m_t}, f′ = e^{log f + m_(t−1) − m_t};
c_t = f′c_(t−1) + i′z_t, n_t = f′n_(t−1) + i′, h_t = o_t c_t/n_t.
"""

import autograd
import autograd.numpy as anp
import numpy as np
from hypothesis import example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, tolerances
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import vectors
from vanishing.checks.toolkit import jac3, le, magnitude
from vanishing.models import xlstm


@st.composite
def slstm_cases(draw, T=(3, 6), scale=(0.5, 3.0, 12.0)):
    """(params, state0, xs, forget): H ∈ [3, 4], D ≤ 3; weights at scales up to 12 (|ĩ| up to ~150: finite unstabilised)."""
    H, D = draw(st.integers(3, 4), label="H"), draw(st.integers(1, 3), label="D")
    p = {k: np.asarray(draw(vectors(int(np.prod(s)), -1.0, 1.0), label=k)).reshape(s) * draw(st.sampled_from(scale), label=f"scale {k}")
         for k, s in xlstm.slstm_shapes(H, D).items()}
    z = np.zeros(H)
    h0 = np.asarray(draw(vectors(H, -1.0, 1.0), label="h0"))
    xs = np.asarray(draw(vectors(draw(st.integers(*T), label="T") * D, -3.0, 3.0), label="xs")).reshape(-1, D)
    return p, (h0, z, z, z), xs, draw(st.sampled_from(xlstm.FORGETS), label="forget")


def _slstm_zero(H=3, D=1, T=3, **blocks):
    p = {k: np.zeros(s) for k, s in xlstm.slstm_shapes(H, D).items()}
    for k, v in blocks.items():                               # bias blocks by gate name
        j = xlstm.SLSTM_GATES.index(k)
        p["b"][j * H:(j + 1) * H] = v
    z = np.zeros(H)
    return p, (z, z, z, z), np.ones((T, D)), "sigmoid"


def _run(step, P, state, xs, forget, stabilised):
    h, c, n, m = state
    hs = []
    for x in xs:
        if stabilised:
            h, c, n, m = step(P, (h, c, n, m), x, forget)
        else:
            h, c, n = step(P, (h, c, n), x, forget)
        hs.append(h)
    return anp.stack(hs)


def _no_m_prev(P, state, x, forget="sigmoid"):
    """Bug: f′ = exp(log f_t − m_t), the previous stabiliser m_(t−1) dropped."""
    h, c, n, m = state
    out = xlstm.slstm_step(P, (h, c, n, anp.zeros_like(m)), x, forget)
    return out[0], out[1], out[2], out[3] + m


@claim_check("XLSTM-SLSTM-STABILISER-INVARIANT", subject={"step": xlstm.slstm_step, "unstabilised": xlstm.slstm_step_unstabilised},
             plants={"m_(t−1) dropped from f′": {"step": _no_m_prev}})
def slstm_stabiliser_changes_nothing(ctx, s):
    """The stabiliser m_t rescales c_t and n_t by e^{−m_t}: h_t and ∂h_T/∂x_1 equal the unstabilised ones wherever both are finite.  [XLSTM-SLSTM-STABILISER-INVARIANT]"""
    @ctx.holds(max_examples=8, reason="three oracles on ∂h_T/∂x_1 through T steps of two forms")
    @given(case=slstm_cases(T=(3, 5)))
    @example(case=_slstm_zero(i=200.0, f=-3.0))       # i = e^200 ≈ 7e86: finite unstabilised, i′ = 1 stabilised
    def same_values_and_gradients(case):
        p, s0, xs, forget = case
        hs = _run(s.step, p, s0, xs, forget, True)
        ref = _run(s.unstabilised, p, s0, xs, forget, False)
        assertions.assert_close(hs, ref, tolerances.chain(4 * xs.shape[0], "T steps, each a ratio c/n of rescaled sums"),
                                f"{ctx.id}: h_t stabilised vs unstabilised", ctx.repro(case=case))
        last = lambda x1, stab: _run(s.step if stab else s.unstabilised, p, s0, anp.concatenate([x1[None], xs[1:]]), forget, stab)[-1]
        closed = autograd.jacobian(lambda x1: last(x1, False))(xs[0])            # the unstabilised form's Jacobian
        jac3(lambda x1: last(x1, True), xs[0], closed, f"{ctx.id}: ∂h_T/∂x_1 stabilised vs unstabilised", reproduce=ctx.repro(case=case))


def _without_normaliser(P, state, xs, forget):
    """Bug: h_t = o_t⊙c_t, the division by n_t dropped (h_t·n_t of the model, step by step)."""
    hs = []
    for x in xs:
        state = xlstm.slstm_step(P, state, x, forget)
        hs.append(state[0] * state[2])
    return (np.stack(hs), *state[1:])


@claim_check("XLSTM-SLSTM-NORMALISER-BOUND", subject={"forward": xlstm.slstm_forward},
             plants={"h_t = o_t⊙c_t (no normaliser)": {"forward": lambda P, s, xs, forget="sigmoid": _without_normaliser(P, s, xs, forget)}})
def slstm_normaliser_bounds_the_cell(ctx, s):
    """From n_0 = 0 (or n_0 ≥ 1, |c_0| ≤ n_0): n_t ≥ 1 and |c_t| ≤ n_t for t ≥ 1, so |c_t/n_t| ≤ 1 and |h_t| ≤ o_t < 1.  [XLSTM-SLSTM-NORMALISER-BOUND]"""
    @ctx.holds
    @given(case=slstm_cases(T=(3, 10), scale=(0.5, 3.0, 60.0, 1e3)), n0=st.sampled_from([0.0, 1.0, 2.5]))
    @example(case=_slstm_zero(i=-700.0, f=30.0), n0=0.0)
    def bounded(case, n0):
        p, (h0, _, _, m0), xs, forget = case
        H = h0.size
        n_init = np.full(H, n0)
        c_init = np.clip(h0, -1, 1) * n0
        hs = s.forward(p, (h0, c_init, n_init, m0), xs, forget)[0]
        for t in range(1, xs.shape[0] + 1):
            _, ct, nt, _ = s.forward(p, (h0, c_init, n_init, m0), xs[:t], forget)
            le(np.ones(H), nt, f"{ctx.id}: n_t ≥ 1 (t = {t})", reproduce=ctx.repro(case=case, n0=n0))
            le(np.abs(ct), nt, f"{ctx.id}: |c_t| ≤ n_t (t = {t})", reproduce=ctx.repro(case=case, n0=n0))
        le(np.abs(hs), np.ones_like(hs), f"{ctx.id}: |h_t| ≤ 1", reproduce=ctx.repro(case=case, n0=n0))
        target(float(np.max(np.abs(hs))), label="max |h_t|")


@claim_check("XLSTM-SLSTM-DIRECT-PATH", subject={"step": xlstm.slstm_step, "direct": xlstm.slstm_direct_path_jacobian},
             plants={"diag(σ(f̃)) (the unstabilised f)": {"direct": lambda P, s, x, forget="sigmoid": np.diag(
                 1.0 / (1.0 + np.exp(-(P["W"] @ x + P["R"] @ s[0] + P["b"])[len(s[0]):2 * len(s[0])])))}})
def slstm_direct_path_is_diag_f(ctx, s):
    """∂c_t/∂c_(t−1) = ∂n_t/∂n_(t−1) = diag(f′_t), the stabilised forget gate: no gate reads c or n.  [XLSTM-SLSTM-DIRECT-PATH]"""
    @ctx.holds(max_examples=12, reason="three oracles on two H×H Jacobians per draw (FD is the cost of verify)")
    @given(case=slstm_cases(T=(1, 1)), c=vectors(4, -3.0, 3.0), n=vectors(4, 1.0, 4.0), m=vectors(4, -5.0, 5.0))
    def diag_f(case, c, n, m):
        p, (h0, *_), xs, forget = case
        H = h0.size
        c, n, m = np.asarray(c[:H]), np.asarray(n[:H]), np.asarray(m[:H])
        closed = s.direct(p, (h0, c, n, m), xs[0], forget)
        jac3(lambda v: s.step(p, (h0, v, n, m), xs[0], forget)[1], c, closed, f"{ctx.id}: ∂c_t/∂c_(t−1)", reproduce=ctx.repro(case=case, c=c, n=n, m=m))
        jac3(lambda v: s.step(p, (h0, c, v, m), xs[0], forget)[2], n, closed, f"{ctx.id}: ∂n_t/∂n_(t−1)", reproduce=ctx.repro(case=case, c=c, n=n, m=m))


@st.composite
def mlstm_cases(draw, T=(3, 8)):
    H, D = draw(st.integers(3, 4), label="H"), draw(st.integers(1, 3), label="D")
    p = {k: np.asarray(draw(vectors(max(1, int(np.prod(s))), -1.0, 1.0), label=k)).reshape(s) * draw(st.sampled_from((0.5, 3.0, 30.0)), label=f"scale {k}")
         for k, s in xlstm.mlstm_shapes(H, D).items()}
    xs = np.asarray(draw(vectors(draw(st.integers(*T), label="T") * D, -3.0, 3.0), label="xs")).reshape(-1, D)
    return p, xs, draw(st.sampled_from(xlstm.FORGETS), label="forget")


def _parallel_bound_one(P, xs, forget="sigmoid"):
    """Bug: the stabilised states with the unstabilised bound max(|nᵀq|, 1) in place of max(|nᵀq|, e^{−m_t})."""
    out = []
    for x, (C, n) in zip(xs, _stabilised_states(P, xs, forget)):
        q, o = P["W_q"] @ x + P["b_q"], 1.0 / (1.0 + np.exp(-(P["W_o"] @ x + P["b_o"])))
        out.append(o * (C @ q) / max(abs(float(n @ q)), 1.0))
    return np.stack(out)


def _stabilised_states(P, xs, forget):
    H = P["W_q"].shape[0]
    C, n, m, out = np.zeros((H, H)), np.zeros(H), np.array(0.0), []
    for x in xs:
        _, C, n, m = xlstm.mlstm_step(P, (C, n, m), x, forget)
        out.append((C, n))
    return out


@claim_check("XLSTM-MLSTM-PARALLEL", subject={"forward": xlstm.mlstm_forward, "parallel": xlstm.mlstm_parallel},
             plants={"the bound 1 not rescaled to e^(−m_t)": {"parallel": _parallel_bound_one}})
def mlstm_parallel_equals_recurrent(ctx, s):
    """From C_0 = 0, n_0 = 0: h_t = o_t⊙Σ_s C̃_ts v_s / max(|Σ_s C̃_ts|, e^{−m_t}) equals the recurrent (stabilised) mLSTM.  [XLSTM-MLSTM-PARALLEL]"""
    @ctx.holds
    @given(case=mlstm_cases())
    def parallel_equals_recurrent(case):
        p, xs, forget = case
        H = p["W_q"].shape[0]
        rec = s.forward(p, (np.zeros((H, H)), np.zeros(H), np.array(0.0)), xs, forget)[0]
        par = s.parallel(p, xs, forget)
        scale = max(1.0, magnitude(rec))
        tol = tolerances.chain(4 * xs.shape[0] + H, "T steps of rescaled sums of H-term products")
        tol = tolerances.override(tol, tol.reason.removeprefix("override: ") + ", at the scale of h", atol=tol.rtol * scale)
        assertions.assert_close(par, rec, tol, f"{ctx.id}: parallel vs recurrent", ctx.repro(case=case))
        target(float(np.max(np.abs(par - rec))), label="|parallel − recurrent|")
