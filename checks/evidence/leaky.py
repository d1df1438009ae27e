"""Proofs about leaky units h_t = α h_(t−1) + (1−α) g(a_t): the step Jacobian and the memory sandwich, for every H and lag.

The Jacobian is derived for a symbolic number of units (SymPy IndexedBase/Sum, _elman.py); the sandwich by the triangle
inequality per step and induction over t (z3), with ‖diag(g')W‖ ≤ γ‖W‖ from RNN-NORM-BOUND's termwise certificate.
"""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _sym as S

AL = sp.Symbol("alpha")
LEAKY = {"entry": lambda act, i, j: AL * sp.KroneckerDelta(i, j) + (1 - AL) * E.dg_at(act, i) * E.IW[i, j]}


@evidence("RNN-LEAKY-JACOBIAN", "proof", statement=LEAKY,
          wrong={"(1−α) dropped": {"entry": lambda act, i, j: AL * sp.KroneckerDelta(i, j) + E.dg_at(act, i) * E.IW[i, j]},
                 "α and 1−α swapped": {"entry": lambda act, i, j: (1 - AL) * sp.KroneckerDelta(i, j) + AL * E.dg_at(act, i) * E.IW[i, j]}})
def rnn_leaky_jacobian_proof(s, ctx):
    tied = []
    for k, (act, alpha) in enumerate((("tanh", 0.375), ("sigmoid", 0.875))):
        g, _ = E.ACT[act]
        lhs = sp.diff(AL * E.Ih[E._i] + (1 - AL) * g(E.pre(E._i)), E.Ih[E._j])
        E.entry_holds(lhs, ctx.st.entry(act, E._i, E._j), f"leaky ∂h_i/∂h_j ({act})")
        seed = 2000 + 31 * k
        tied.append(E.tie_step_sizes(lambda P, h0, x, a=act, al=alpha: s.step_jacobian(P, h0, x, al, a), act,
                                     f"step_jacobian (α = {alpha:g})", seed=seed, alpha=alpha))
        E.tie_step_sizes(lambda P, h0, x, a=act, al=alpha: s.formula(P["W_hh"], P["W_hh"] @ h0 + P["W_xh"] @ x + P["b"], al, a),
                         act, "formula", seed=seed, alpha=alpha)
        for n_, (Hs, _) in enumerate(E.SIZES_TIED):
            P, h0, xs, _, _, h1 = E.closed_at(Hs, 1, seed + 10 * n_, act, alpha)
            S.agree(f"step ({act}, α = {alpha:g}, H = {Hs})", s.step(P, h0, xs[0], alpha, act), h1)
    return ("h_t = α h_(t−1) + (1−α) g(a_t) ⇒ ∂h_t/∂h_(t−1) = α I + (1−α) diag(g'(a_t)) W_hh, every H (SymPy, α symbolic)",
            (f"SymPy differentiates α h_i + (1−α) g(Σ_k W_ik h_k + …) in h_j for symbolic H and α: α δ_ij + (1−α) g'(a_i) W_ij. "
             f"Tie: subject step, step_jacobian and formula (tanh at α = 3/8, sigmoid at α = 7/8) against the closed form at H = 1..8 "
             f"{S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("g ∈ {tanh, σ}", "α a real number (the claim uses α ∈ [0, 1])", "H, D ≥ 1"),
                  steps=(f"SymPy, {E.EVERY_H}, α symbolic: ∂(α h_i + (1−α) g(a_i))/∂h_j = α δ_ij + (1−α) g'(a_i) W_ij (tanh, sigmoid)",),
                  tied=tuple(tied) + ("step and formula at the same points",)))


@evidence("RNN-LEAKY-MEMORY-BOUND", "proof", statement={"lower": lambda a, c: a - c, "upper": lambda a, c: a + c},
          wrong={"upper α + c/2": {"upper": lambda a, c: a + c / 2}, "lower α − c/2": {"lower": lambda a, c: a - c / 2}})
def rnn_leaky_memory_bound_proof(s, ctx):
    """(α − c)^(t−k) ≤ σ_min ≤ ‖·‖ ≤ (α + c)^(t−k): the triangle inequality per step, then induction over t (z3)."""
    from vanishing.checks.evidence.jacobians import NORM
    E.diag_norm_certificate_holds(NORM["diag_sq"])
    a, c, nv, e, jv, lo, hi, x, y = sp.symbols("alpha c nv e jv lo hi x y", real=True)
    L, U = ctx.st.lower(a, c), ctx.st.upper(a, c)
    hyp = [a > 0, c >= 0, c < a, nv >= 0, e >= 0, e <= c * nv]       # ‖E v‖ = e ≤ c‖v‖ with E = (1−α)diag(g')W
    S.valid("per step, upper: ‖Jv‖ ≤ α‖v‖ + ‖Ev‖ ⇒ ‖Jv‖ ≤ U‖v‖", hyp + [jv <= a * nv + e], jv <= U * nv)
    S.valid("per step, lower: ‖Jv‖ ≥ α‖v‖ − ‖Ev‖ ⇒ ‖Jv‖ ≥ L‖v‖", hyp + [jv >= a * nv - e], jv >= L * nv)
    S.valid("induction, upper: ‖P_t‖ ≤ U·‖P_(t−1)‖ ≤ U·U^(q)", [U >= 0, x >= 0, x <= hi, y <= U * x], y <= U * hi)
    S.valid("induction, lower: σ_min(P_t) ≥ L·σ_min(P_(t−1)) ≥ L·L^(q)", [L >= 0, x >= lo, lo >= 0, y >= L * x], y >= L * lo)
    ensure(sp.simplify(L.subs(c, 0) - a) == 0 and sp.simplify(U.subs(c, 0) - a) == 0, "W_hh = 0 (c = 0) does not give α^(t−k)")
    tied = []
    for k, alpha in enumerate((0.75, 0.9375)):
        tied.append(E.tie_products_sizes(s.products, "tanh", alpha=alpha, seed=2100 + 97 * k, w=0.25))
        for n_, (Hs, T) in enumerate(E.SIZES_TIED):
            P, _, _, _, prods, _ = E.closed_at(Hs, T, 2100 + 97 * k + 10 * n_, "tanh", alpha, 0.25)
            cc = (1 - alpha) * float(S.opnorm_exact(P["W_hh"]))
            sv = np.linalg.svd(prods[0], compute_uv=False)
            ensure(cc < alpha and (alpha - cc) ** T <= sv[-1] * (1 + 1e-12) and sv[0] <= (alpha + cc) ** T * (1 + 1e-12),
                   f"the sandwich fails at α = {alpha}, H = {Hs}: c = {cc}, σ = {sv}")
    return ("c = (1−α)γ‖W_hh‖₂ < α ⇒ (α−c)^(t−k) ≤ σ_min(∂h_t/∂h_k) ≤ ‖∂h_t/∂h_k‖₂ ≤ (α+c)^(t−k), every H and lag; W_hh = 0 gives α^(t−k) I",
            ("Per step J = αI + E with ‖E‖₂ ≤ (1−α)γ‖W‖₂ = c (RNN-NORM-BOUND's termwise certificate, symbolic H); the triangle "
             "inequality ‖αv ± Ev‖ gives (α − c)‖v‖ ≤ ‖Jv‖ ≤ (α + c)‖v‖ (z3), and induction over t carries both to the product "
             f"(z3). Tie: subject products (tanh) at α = 3/4 and 15/16 against the closed form at H = 1..8 {S.within()}, and the "
             f"sandwich holds there. {S.versions()}, {S.z3_version()}."),
            Scope(sizes="every", hypotheses=("c = (1−α)γ_g'‖W_hh‖₂ < α, α > 0", "‖·‖₂ the operator norm and its triangle inequality",
                                             "σ_min(J) = min_(‖v‖=1) ‖Jv‖", "H ≥ 1, t ≥ k"),
                  steps=("SymPy + z3, symbolic H: ‖diag(d)z‖² ≤ max d²·‖z‖² termwise", "z3: per step (α − c)‖v‖ ≤ ‖Jv‖ ≤ (α + c)‖v‖",
                         "z3: the inductive steps of both product bounds", "SymPy: c = 0 gives α on both sides"),
                  tied=tuple(tied) + ("the sandwich on the model's products at the same points (SVD)",)))
