"""Proofs about seed 003's LSTM derivation (topic lstm_seed003): the four terms of ∂c_t/∂c_{t−1}, its D_t and appendix C_t, balancing, the chain.

The four path terms are derived for a symbolic H (_gated.terms); the seed's printed D_t and appendix C_t are the same
closed forms with σ' for tanh' and W_c, σ'(a_g) for W_i, σ'(a_i). The chain (T = 2) and the balancing example are
checked at H = 2 only (fixed-size).
"""

from functools import reduce

import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _cells as C
from vanishing.checks.evidence import _gated as G
from vanishing.checks.evidence import _sym as S

HYP = ("H, D ≥ 1 symbolic (n, m)", "0 ≤ i, j ≤ H − 1", "h_(t−1) = o_(t−1)⊙tanh(c_(t−1)), o_(t−1) held fixed")
ACT = {"tanh'": S.dtanh, "σ'": S.dsig}
TERMS_STEPS = (("SymPy: each path's derivative of entry i of c_t through one gate's own copy of c_(t−1) (symbolic n, m), "
                "Kronecker sums collapsed; their sum minus the full derivative expands to 0"),)


def _seed_tie(s, exprs):
    """Tie subject seed_terms / terms keys to indexed expressions {("seed"|"true", key): expr} over the sweep."""
    def tie(H, D, scale, P, hv, cv, xv, ov, env):
        got = {"seed": s.seed_terms(P, cv, ov, xv), "true": s.terms(P, cv, ov, xv, "forget")}
        for (src, key), expr in exprs.items():
            ensure(key in got[src], f"subject {src} terms return no {key!r}")
            G.agree(f"{src}[{key!r}]", got[src][key], expr, env, H, D)
    return G.sweep(lambda H, D, seed, scale: G.lstm_point("forget", H, D, seed, scale), tie)


@evidence("LSTM-CELL-JACOBIAN-TERMS", "proof", statement={"D_act": "tanh'", "C_gate": "i"},
          wrong={"σ' in D_t (the seed's)": {"D_act": "σ'"}, "W_c, σ'(a_g) in C_t (the appendix's)": {"C_gate": "g"}})
def lstm_cell_jacobian_terms_proof(s, ctx):
    n = 0
    for variant in ("forget", "cec", "peephole"):
        path, _a = G.terms(variant)
        closed = G.closed_terms(variant, D_act=ACT[ctx.st.D_act], C_gate=ctx.st.C_gate)
        for key in "ABCD":
            G.zero(path[key] - closed[key], f"path {key} ≠ the stated closed form ({variant})")
        n += G.tie_terms(s.terms, variant)
    path = G.terms("forget")[0]
    n += _seed_tie(s, {("seed", key): path[key] for key in "ABC"})    # seed 003 prints A, B and eq. (6)'s C right
    return ("∂c_t/∂c_(t−1) = A_t + B_t + C_t + D_t for every H, each term SymPy's derivative along one path; seed 003's A, B, C are these",
            ("SymPy, symbolic H, all three variants: A = diag(c⊙σ'(a_f))(W_hf·dh + diag(p_f)), B = diag(f), C = diag(g⊙σ'(a_i))"
             "(W_hi·dh + diag(p_i)), D = diag(i⊙tanh'(a_g))W_hg·dh, dh = diag(o_(t−1)⊙tanh'(c_(t−1))) (peepholes only in the peephole "
             f"variant; cec: A = 0, B = I). Tie: subject terms (every key, every variant) and seed_terms' A, B, C at {n} points "
             f"({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP, TERMS_STEPS + (
                "SymPy: each of A, B, C, D minus its closed form (forget, cec, peephole) expands to 0",),
                (f"models.lstm cell_jacobian_terms (3 variants), cell_jacobian_terms_seed003 A, B, C: {G.TIED}",)))


@evidence("LSTM-SEED003-D-TERM", "proof", statement={"D_act": "tanh'"}, wrong={"the seed's σ' is right": {"D_act": "σ'"}})
def lstm_seed003_d_term_proof(s, ctx):
    path = G.terms("forget")[0]
    true, seed = G.closed_terms("forget", D_act=ACT[ctx.st.D_act])["D"], G.closed_terms("forget", D_act=S.dsig)["D"]
    G.zero(path["D"] - true, f"the path term D ≠ diag(i⊙{ctx.st.D_act}(a_g))W_hg·dh")
    G.nonzero(true - seed, "seed 003's D_t equals the true D_t identically")
    ensure(S.dsig(sp.Integer(0)) == sp.Rational(1, 4) and S.dtanh(sp.Integer(0)) == 1, "σ'(0) = 1/4, tanh'(0) = 1")
    n = _seed_tie(s, {("seed", "D"): seed, ("true", "D"): path["D"]})
    return ("Seed 003's D_t = σ'(W_c·[h,x])·W_c·dh·i_t differs from ∂c_t/∂c_(t−1) through c̃_t = tanh(·), which needs tanh' (at a_g = 0: 1/4 vs 1), every H",
            ("SymPy, symbolic H: the path term D = diag(i⊙tanh'(a_g))W_hg·dh, and minus the seed's diag(i⊙σ'(a_g))W_hg·dh it is "
             "not 0; at a_g = 0 the factors are tanh'(0) = 1 and σ'(0) = 1/4 (the seed's term is 4× too small). Tie: subject "
             f"seed_terms' D equals the seed's formula and terms' D the derived one at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP, TERMS_STEPS + (
                "SymPy: D − diag(i⊙tanh'(a_g))W_hg·dh expands to 0; minus the seed's σ' form it does not",
                "SymPy: σ'(0) = 1/4, tanh'(0) = 1"),
                (f"models.lstm cell_jacobian_terms D, cell_jacobian_terms_seed003 D: {G.TIED}",)))


@evidence("LSTM-SEED003-C-APPENDIX", "proof", statement={"C_gate": "i"}, wrong={"the appendix's W_c, σ'(a_g) are right": {"C_gate": "g"}})
def lstm_seed003_c_appendix_proof(s, ctx):
    path = G.terms("forget")[0]
    true, app = G.closed_terms("forget", C_gate=ctx.st.C_gate)["C"], G.closed_terms("forget", C_gate="g")["C"]
    G.zero(path["C"] - true, f"the path term C ≠ the closed form through gate {ctx.st.C_gate}")
    G.nonzero(true - app, "the appendix's C_t equals the true C_t identically")
    Wi = G.W("i")[G.i, G.j]
    ensure(sp.expand(true).has(Wi) and not sp.expand(app).has(Wi), "the true C_t should read W_hi and the appendix's should not")
    n = _seed_tie(s, {("seed", "C_appendix"): app, ("seed", "C"): path["C"], ("true", "C"): path["C"]})
    return ("Seed 003's appendix derives C_t with the candidate's W_c and σ'(W_c·[h,x]); ∂i_t/∂c_(t−1) needs the input gate's W_i and σ'(W_i·[h,x]), every H",
            ("SymPy, symbolic H: the path term C = diag(g⊙σ'(a_i))W_hi·dh reads W_hi[i, j], the appendix's diag(g⊙σ'(a_g))W_hg·dh "
             f"does not, and their difference is not 0. Tie: subject seed_terms' C_appendix and C, terms' C at {n} points "
             f"({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP, TERMS_STEPS + (
                "SymPy: C − diag(g⊙σ'(a_i))W_hi·dh expands to 0; minus the appendix's form it does not; only the true C reads W_hi[i, j]",),
                (f"models.lstm cell_jacobian_terms C, cell_jacobian_terms_seed003 C, C_appendix: {G.TIED}",)))


@evidence("LSTM-SEED003-BALANCING", "fixed-size", statement={"norm_J3": sp.Rational(2197, 1000)},
          wrong={"‖J³‖₂ = 1 (balanced)": {"norm_J3": sp.Integer(1)}})
def lstm_seed003_balancing_fixed(s, ctx):
    J = sp.Matrix([[1, sp.Rational(3, 10)], [sp.Rational(3, 10), 1]])     # the record's example, H = 2
    ensure(J.norm(2) == sp.Rational(13, 10) and (J ** 3).norm(2) == ctx.st.norm_J3, f"‖J‖₂ = 1.3, ‖J³‖₂ = {ctx.st.norm_J3}")
    ensure(min(J.singular_values()) == sp.Rational(7, 10), "σ_min(J) = 0.7")
    A, B = sp.Matrix([[1, 2], [0, 1]]) / 2, sp.Matrix([[1, 0], [3, 1]]) / 4
    rng = np.random.default_rng(3)
    cases = [[A, B], [A, B, A.T], [J, J, J]]
    for H, T in ((3, 4), (5, 6), (8, 3)):                           # non-commuting exact dyadic matrices at larger sizes
        cases.append([sp.Matrix(rng.integers(-8, 9, (H, H))) / 8 for _ in range(T)])
    for Js in cases:
        exact = reduce(lambda P, M: M * P, Js[1:], Js[0])             # J_k ⋯ J_2: each new step on the left
        got = np.asarray(s.product([np.array(M.tolist(), dtype=float) for M in Js]), float)
        S.agree("product J_k ⋯ J_2", got, np.array(exact.tolist(), dtype=float))
    return ("Per-step terms summing to ≈ 1 do not keep ∏J_t ≈ 1: J = [[1, 0.3], [0.3, 1]] gives ‖J³‖₂ = 2.197 exactly (a counterexample at H = 2)",
            ("The record's symmetric J has singular values 1.3 and 0.7, so ‖J^(k−1)‖₂ = 1.3^(k−1) (SymPy, exact): one "
             "counterexample refutes the universal statement. The sandwich ∏σ_min ≤ ‖∏J‖₂ ≤ ∏‖J‖₂ is not derived here. Tie: "
             f"subject product of exact rational non-commuting matrices (H = 2, 3, 5, 8; up to 6 factors) {S.within()}. {S.versions()}."),
            Scope(sizes=("H=2",), hypotheses=("J = [[1, 0.3], [0.3, 1]], the record's example",),
                  steps=("SymPy: ‖J‖₂ = 13/10, ‖J³‖₂ = 2197/1000, σ_min(J) = 7/10, exactly",),
                  tied=("the subject product at H = 2, 3, 5, 8 with 2-6 exact dyadic factors",)))


@evidence("LSTM-SEED003-CELL-CHAIN", "fixed-size", statement={"path_through_o": True},
          wrong={"J_2 J_1 is the whole derivative": {"path_through_o": False}})
def lstm_seed003_cell_chain_fixed(s, ctx):
    """True ∂c_2/∂c_0 (o_1 reads h_0 = o_0⊙tanh c_0) = J_2 J_1 + ∂c_2/∂o_1·∂o_1/∂c_0; the extra path vanishes iff W_ho = 0."""
    L, op, full = C.cell_full()
    H = C.H
    x1, x2 = S.vector("xa", C.D), S.vector("xb", C.D)
    c1s, o1s = S.vector("c1s", H), S.vector("o1s", H)                # step 2 as a function of (c_1, o_1): the chain rule's split
    g1 = L.gates(op.multiply_elementwise(L.c.applyfunc(S.th)), L.c, x1)
    F = L.gates(o1s.multiply_elementwise(c1s.applyfunc(S.th)), c1s, x2)["c"]
    J2s = full.xreplace({**{v: x2[a] for a, v in enumerate(L.x)}, **{L.c[a]: c1s[a] for a in range(H)}, **{op[a]: o1s[a] for a in range(H)}})
    S.zero(F.jacobian(c1s) - J2s, "∂c_2/∂c_1 (o_1 fixed) ≠ J_2")
    J1 = full.xreplace({v: x1[a] for a, v in enumerate(L.x)})
    S.zero(g1["c"].jacobian(L.c) - J1, "∂c_1/∂c_0 (o_0 fixed) ≠ J_1")
    dO = g1["o"].jacobian(L.c)
    S.zero(dO - S.diag(g1["a_o"].applyfunc(S.dsig)) * L.blk["o"][1] * S.diag(op.multiply_elementwise(L.c.applyfunc(S.dtanh))),
           "∂o_1/∂c_0 ≠ diag(σ'(a_o)) W_ho dh_0")
    to_traj = {**{c1s[a]: g1["c"][a] for a in range(H)}, **{o1s[a]: g1["o"][a] for a in range(H)}}
    chain = J2s.xreplace(to_traj) * J1
    gap = F.jacobian(o1s).xreplace(to_traj) * dO                     # true − chain, by the multivariable chain rule
    ensure(dO.xreplace({w: 0 for w in L.blk["o"][1]}) == sp.zeros(H, H), "with W_ho = 0 the path through o_1 does not vanish")
    for seed in (101, 202):
        P, _, c0, _, vals = L.point(seed)
        o0 = S.points((H,), seed + 30, 0.0, 1.0)
        xs = S.points((2, C.D), seed + 40, -2, 2)
        vals.update(S.values((op, o0), (x1, xs[0]), (x2, xs[1])))
        want_chain, c1v, c2v, gapv = S.evaluate([chain, g1["c"], F.xreplace(to_traj), gap], vals)
        ensure((np.max(np.abs(gapv)) > 1e-6) == ctx.st.path_through_o, f"the path through o_1 at the test point: {gapv}")
        S.agree("chain J_2 J_1", s.chain(P, c0, o0, xs), want_chain)
        _, cs = s.forward(P, o0 * np.tanh(c0), c0, xs)
        S.agree("forward c_1, c_2", np.asarray(cs, float), np.vstack([c1v.ravel(), c2v.ravel()]))
    return ("Chaining ∂c_t/∂c_(t−1) (o_(t−1) held fixed) as eq. (4) does misses the path c_0 → h_0 → o_1 → h_1: SymPy's true ∂c_2/∂c_0 differs from J_2 J_1 unless W_ho = 0 (H = 2, T = 2)",
            ("SymPy (H = 2, D = 1, T = 2, h_0 = o_0⊙tanh c_0): c_2 = F(c_1, o_1), ∂c_2/∂c_0 = ∂F/∂c_1·∂c_1/∂c_0 + ∂F/∂o_1·∂o_1/∂c_0; "
             "∂F/∂c_1 and ∂c_1/∂c_0 are the four-term J_2, J_1 and ∂o_1/∂c_0 = diag(σ'(a_o))W_ho·dh_0, 0 iff W_ho = 0; the extra "
             f"term is nonzero at the test points. Tie: subject chain and forward at 2 exact points {S.within()}. {S.versions()}."),
            Scope(sizes=("H=2", "D=1", "T=2"), hypotheses=("h_0 = o_0⊙tanh(c_0)",),
                  steps=("SymPy: ∂F/∂c_1 = J_2 and ∂c_1/∂c_0 = J_1 (the four-term Jacobians)",
                         "SymPy: ∂o_1/∂c_0 = diag(σ'(a_o))W_ho dh_0, zero when W_ho = 0",
                         "mpmath: the extra path ∂F/∂o_1·∂o_1/∂c_0 is nonzero at 2 exact points"),
                  tied=("the subject chain and models.lstm forward at 2 exact points (H = 2, T = 2)",)))
