"""Proofs about sLSTM's stabiliser (spec/claims/xlstm.toml), by induction over t, for every H (the update is entrywise).

Induction hypothesis: c′_(t−1) = e^{−m_(t−1)} c_(t−1), n′_(t−1) = e^{−m_(t−1)} n_(t−1) (base: c′_0 = c_0, n′_0 = n_0 at m_0 = 0).
Step, with m_t an arbitrary symbol: c′_t = f′c′_(t−1) + i′z = e^{−m_t}(f c_(t−1) + i z) = e^{−m_t}c_t, likewise n′_t; so
h′_t = o c′_t/n′_t = o c_t/n_t = h_t whatever m_t is: the max of the paper and the code's first-step rule alike.
"""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S

c0, n0, m0, m1, f, i, z, o = sp.symbols("c n m_prev m_t f i z o", real=True)


@evidence("XLSTM-SLSTM-STABILISER-INVARIANT", "proof", statement={"scale": sp.exp(-m1)},
          wrong={"rescaled by e^(+m_t)": {"scale": sp.exp(m1)}})
def xlstm_slstm_stabiliser_invariant_proof(s, ctx):
    """c′_t = scale·c_t, n′_t = scale·n_t with scale = e^{−m_t}, by induction; hence h′_t = h_t."""
    fs, is_ = f * sp.exp(m0 - m1), i * sp.exp(-m1)                     # f′ = e^{log f + m_(t−1) − m_t}, i′ = e^{log i − m_t}
    c_prev_s, n_prev_s = sp.exp(-m0) * c0, sp.exp(-m0) * n0            # the induction hypothesis at t − 1
    c_t, n_t = f * c0 + i * z, f * n0 + i                              # the unstabilised step
    c_s, n_s = fs * c_prev_s + is_ * z, fs * n_prev_s + is_            # the stabilised step
    ensure(sp.simplify(c_s - ctx.st.scale * c_t) == 0, f"c′_t − ({ctx.st.scale})·c_t = {sp.simplify(c_s - ctx.st.scale * c_t)} is not 0")
    ensure(sp.simplify(n_s - ctx.st.scale * n_t) == 0, f"n′_t − ({ctx.st.scale})·n_t is not 0")
    ensure(sp.simplify(o * c_s / n_s - o * c_t / n_t) == 0, "h′_t is not h_t")
    ensure(sp.simplify((c_prev_s - c0).subs(m0, 0)) == 0 and sp.simplify((n_prev_s - n0).subs(m0, 0)) == 0, "the base case m_0 = 0 fails")
    # the tie: the model's stabilised and unstabilised steps over T = 4 at exact inputs give the same h_t
    H, D = 3, 2
    rng = np.random.default_rng(9)
    P = {k: S.points(sh, seed=int(rng.integers(1 << 30)), lo=-2, hi=2) for k, sh in {"W": (4 * H, D), "R": (4 * H, H), "b": (4 * H,)}.items()}
    xs = S.points((4, D), seed=21)
    zero = np.zeros(H)
    st, un = (zero, zero, zero, zero), (zero, zero, zero)
    for x in xs:
        st = s.step(P, st, x, "sigmoid")
        un = s.unstabilised(P, un, x, "sigmoid")
        S.agree("h_t stabilised vs unstabilised", st[0], un[0])
    return ("c′_t = e^(−m_t)c_t and n′_t = e^(−m_t)n_t for every t and every choice of m_t (induction, SymPy), so h′_t = h_t",
            ("SymPy, the induction step with m_(t−1), m_t, f, i, z, o, c, n free symbols: the stabilised c′_t, n′_t equal e^(−m_t) "
             "times the unstabilised c_t, n_t, and o c′/n′ − o c/n simplifies to 0; the base case holds at m_0 = 0. The update is "
             "entrywise, so every H; m_t is a free symbol, so the paper's max and the code's first-step rule alike, and every "
             f"gradient of h_t is the same. Tie: the subject's stabilised and unstabilised steps over T = 4 exact inputs, H = 3, "
             f"D = 2, give the same h_t {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("f, i > 0 (i = e^ĩ, f = σ(f̃) or e^f̃)", "n_t ≠ 0", "m_0 = 0 or c_0 = n_0 = 0"),
                  steps=("SymPy: f′c′_(t−1) + i′z − e^(−m_t)(f c_(t−1) + i z) simplifies to 0 under the induction hypothesis",
                         "SymPy: f′n′_(t−1) + i′ − e^(−m_t)(f n_(t−1) + i) simplifies to 0",
                         "SymPy: o c′_t/n′_t − o c_t/n_t simplifies to 0; base case at m_0 = 0"),
                  tied=("models.xlstm slstm_step and slstm_step_unstabilised over T = 4 exact inputs, H = 3, D = 2",)))
