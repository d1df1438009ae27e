"""Proofs about Hochreiter 1991/1997: the error flow as a path sum, the weak bound, the logistic unit at |w| = 4.

Interval certificates use mpmath.iv (outward rounding, _iv.IV_PREC bits) with branch-and-bound subdivision.
"""

import itertools

import mpmath
import numpy as np
import sympy as sp
from mpmath import iv
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _iv as V
from vanishing.checks.evidence import _sym as S


def _iv_sig(x):
    return 1 / (1 + iv.exp(-x))


def _iv_tanh(x):
    """tanh x = 1 − 2/(1 + e^{2x}) (mpmath.iv has no tanh; x occurs once, so the enclosure is tight)."""
    return 1 - 2 / (1 + iv.exp(2 * x))


def _iv_dsig(x):
    """σ' = 1/4 − (σ − 1/2)² (the square of an interval containing 0 starts at 0: a tight enclosure near the maximum)."""
    return iv.mpf(1) / 4 - (_iv_sig(x) - iv.mpf(1) / 2) ** 2


# ---------------------------------------------------------------- Hochreiter 1991/1997: a logistic unit
@evidence("RNN-HOCHREITER-SIGMOID-W4", "interval", statement={"bound": sp.Rational(1, 4), "peak": ("0.2238", "0.2240")},
          wrong={"bound 1/8": {"bound": sp.Rational(1, 8)}, "peak in [0.2, 0.21]": {"peak": ("0.2", "0.21")}})
def rnn_hochreiter_sigmoid_w4_interval(s, ctx):
    """σ' ≤ 1/4 on all of ℝ (t = e^(−|a|) ∈ (0, 1]); the peak n*σ'(n*) certified, with its tail by monotonicity."""
    bnd = ctx.st.bound
    tt, n = sp.Symbol("t", positive=True), sp.Symbol("n", real=True)
    # (1) σ'(a) = t/(1+t)² with t = e^(−|a|) (σ' is even), and b(1+t)² − t = b(1−t)² + (4b − 1)t: termwise ≥ 0 iff 4b ≥ 1
    ensure(sp.simplify(S.dsig(n).rewrite(sp.exp) - sp.exp(-n) / (1 + sp.exp(-n)) ** 2) == 0, "σ' = e^(−n)/(1+e^(−n))²")
    ensure(sp.simplify(S.dsig(-n).rewrite(sp.exp) - S.dsig(n).rewrite(sp.exp)) == 0, "σ' is not even")
    ensure(sp.expand(bnd * (1 + tt) ** 2 - tt - bnd * (1 - tt) ** 2 - (4 * bnd - 1) * tt) == 0 and 4 * bnd - 1 >= 0,
           f"b(1+t)² − t = b(1−t)² + (4b − 1)t is not termwise ≥ 0 for the stated bound b = {bnd}")
    ensure(sp.simplify((bnd - tt / (1 + tt) ** 2).subs(tt, 1)) == 0, f"the bound {bnd} is not attained at t = 1 (a = 0)")
    # (2) φ(n) = n tanh(n/2) − 1 is increasing on (0, ∞): φ' = u + (n/2)(1 − u²) with u = tanh(n/2) ∈ (0, 1) (z3)
    ensure(sp.simplify(sp.diff(n * sp.tanh(n / 2), n) - (sp.tanh(n / 2) + n / 2 * (1 - sp.tanh(n / 2) ** 2))) == 0, "φ'")
    u, nn = sp.symbols("u nn", real=True)
    S.valid("φ' > 0 on (0, ∞)", [nn > 0, u > 0, u < 1], u + nn / 2 * (1 - u ** 2) > 0)
    # (3) the root n* of φ: a certified enclosure [lo, hi] with φ(lo) < 0 < φ(hi)
    with mpmath.workdps(40):
        root = mpmath.findroot(lambda v: v * mpmath.tanh(v / 2) - 1, 2.4)
    lo, hi = mpmath.mpf(root) - mpmath.mpf("1e-14"), mpmath.mpf(root) + mpmath.mpf("1e-14")
    plo, phi_ = (mpmath.mpf(x) for x in ctx.st.peak)
    old = iv.prec
    iv.prec = V.IV_PREC
    try:
        phi = lambda v: v * _iv_tanh(v / 2) - 1
        ensure(phi(iv.mpf(lo)).b < 0 < phi(iv.mpf(hi)).a, "no sign change of φ around n*")
        Nstar = iv.mpf([lo, hi])
        peak = Nstar * _iv_dsig(Nstar)                                # n* σ'(n*): the peak of |w f'(w y)|·|y|
        ensure(peak.a > plo and peak.b < phi_, f"peak enclosure {peak} is not inside the stated [{plo}, {phi_}]")
        # (4) n σ'(n) ≤ 0.22392 on [0, 60] (boxes); beyond 60, n σ'(n) ≤ n e^(−n), decreasing for n ≥ 1, ≤ 60 e^(−60)
        cap = iv.mpf("0.22392")
        b4 = V.certify("n σ'(n) ≤ 0.22392 on [0, 60]", lambda B: True if (B[0] * _iv_dsig(B[0])).b <= cap.a else
                       (False if (B[0] * _iv_dsig(B[0])).a > cap.b else None), [(0, 60)])
        ensure((60 * iv.exp(-60)).b < cap.a, "60 e^(−60) is not below the cap")
    finally:
        iv.prec = old
    ensure(sp.simplify(sp.diff(n * sp.exp(-n), n) - (1 - n) * sp.exp(-n)) == 0, "d/dn n e^(−n) ≠ (1 − n)e^(−n)")
    ensure(sp.simplify(S.dsig(n).rewrite(sp.exp) * sp.exp(n) - 1 / (1 + sp.exp(-n)) ** 2) == 0, "σ'(n)e^n ≠ 1/(1+e^(−n))² ≤ 1")
    # (5) |∂y(t)/∂y(t−q)| ≤ (b|w|)^q by induction over q (z3): p_q ≤ |σ'||w| p_(q−1), |σ'| ≤ b
    ds, w_, p_, e_, q_ = sp.symbols("ds w p e q", real=True)
    S.valid("inductive step: p_q ≤ |σ'||w|·p_(q−1) ≤ b|w|·(b|w|)^(q−1)", [ds >= 0, ds <= bnd, w_ >= 0, p_ >= 0, p_ <= e_, q_ <= ds * w_ * p_],
            q_ <= bnd * w_ * e_)
    # ties: the hand-derived d/dw [w σ'(w y)], the subject's n*, the products of a single unit
    w, y = sp.symbols("w y", real=True)
    d = sp.diff(w * S.dsig(w * y), w)
    ensure(sp.expand(d - S.dsig(w * y) * (1 - w * y * (2 * S.sig(w * y) - 1))) == 0, "d/dw [w σ'(wy)] ≠ σ'(n)(1 − n(2σ(n) − 1))")
    ensure(sp.simplify((2 * S.sig(n) - 1).rewrite(sp.exp) - sp.tanh(n / 2).rewrite(sp.exp)) == 0, "2σ(n) − 1 ≠ tanh(n/2)")
    for wv, yv in itertools.product((-3.5, -0.75, 0.5, 2.25, 6.0), (-1.5, 0.25, 2.0)):
        S.agree(f"dphi({wv}, {yv})", s.dphi(wv, yv), S.evaluate(d, {w: wv, y: yv}))
    ns = float(s.n_star())
    ensure(abs(ns - float(root)) <= 1e-12, f"subject n_star() = {ns!r} is not the certified root n* ∈ [{float(lo)!r}, {float(hi)!r}]")
    for seed in (701, 702, 703):
        P, h0, xs = E.spread_point(1, 6, seed, w=6.0, D=1)
        got = np.asarray(s.products(P, h0, xs, "sigmoid"), float)
        _, want, _ = E.mp_closed_form(P, h0, xs, "sigmoid")
        for k in range(7):
            S.agree(f"products k = {k}", got[k], want[k])
    return ("|σ'(a)w| ≤ |w|/4 < 1 for |w| < 4 on all of ℝ, so |∂y(t)/∂y(t−q)| ≤ (|w|/4)^q; the peak of |w σ'(wy)| is n*σ'(n*)/|y| ∈ [0.2238, 0.2240]/|y| at n* tanh(n*/2) = 1",
            (f"SymPy: σ'(a) = t/(1+t)² with t = e^(−|a|) ∈ (0, 1], and 1/4 − t/(1+t)² = (1 − t)²/(4(1+t)²) ≥ 0 (termwise, every a); "
             f"φ(n) = n tanh(n/2) − 1 has φ' = u + (n/2)(1 − u²) > 0 for n > 0, u = tanh(n/2) ∈ (0, 1) (z3), so its root n* is "
             f"unique, enclosed in [{mpmath.nstr(lo, 17)}, {mpmath.nstr(hi, 17)}] by a sign change ({V.version()}); n*σ'(n*) ∈ "
             f"[0.2238, 0.2240]; n σ'(n) ≤ 0.22392 on [0, 60] ({b4} boxes) and beyond by n σ'(n) ≤ n e^(−n), decreasing for n ≥ 1, "
             f"≤ 60e^(−60). SymPy: d/dw [w σ'(wy)] = σ'(n)(1 − n tanh(n/2)). Tie: subject dphi at 15 exact (w, y) within "
             f"{S.TIE_ULPS}, n_star within 1e-12 of the certified root, products of a one-unit σ RNN (T = 6, every lag) "
             f"(worst ratio {S.worst():.2g}). {S.versions()}, {S.z3_version()}."),
            Scope(sizes="every", hypotheses=("one logistic unit y(t) = σ(w y(t−1) + …)", "a, w, y real; q ≥ 1"),
                  steps=("SymPy: σ' even and σ'(a) = t/(1+t)², t = e^(−|a|); b(1+t)² − t = b(1−t)² + (4b − 1)t ≥ 0 termwise, b = 1/4 attained at a = 0",
                         "z3: φ'(n) > 0 for n > 0 (monotone, one root)", f"interval: sign change of φ around n*, peak enclosure ({V.version()})",
                         f"interval: n σ'(n) ≤ 0.22392 on [0, 60] ({b4} boxes); SymPy + interval: the tail n e^(−n) ≤ 60e^(−60) by monotonicity",
                         "z3: the inductive step of |∂y(t)/∂y(t−q)| ≤ (|w|/4)^q"),
                  tied=("dphi at 15 exact (w, y) points", "n_star against the certified root", "products of a one-unit σ RNN, T = 6")))


# ---------------------------------------------------------------- path sums and the weak bound
def _flow_polys(nu, q, printed=False):
    """(W, d, M_rec, M_path, M_prod): the q-step error flow of nu units with symbolic W and f' values d[m][l] = f'_l(net(t−m))."""
    W = S.matrix("w", nu, nu)
    d = [S.vector(f"d{m}", nu) for m in range(1, q + 1)]
    M = S.diag(d[0]) * W.T                                           # eq. (1): M_1 = diag(f'(t−1)) Wᵀ
    for m in range(1, q):
        M = S.diag(d[m]) * W.T * M                                   # M_q = diag(f'(t−q)) Wᵀ M_(q−1)
    P = sp.zeros(nu, nu)
    for u, v in itertools.product(range(nu), repeat=2):
        for mids in itertools.product(range(nu), repeat=q - 1):
            path = (u,) + mids + (v,)
            P[v, u] += sp.Mul(*[d[m - 1][path[m]] * (W[path[m], path[m - 1]] if printed else W[path[m - 1], path[m]])
                                for m in range(1, q + 1)])
    J = sp.eye(nu)                                                   # ∂net(t)/∂net(t−q) = W D_1 W D_2 ⋯ W D_q (chain rule)
    for m in range(q):
        J = J * W * S.diag(d[m])
    return W, d, M, P, J


def _tie_flow(fn, label, nu=2, q=3):
    W, d, M, _, _ = _flow_polys(nu, q)
    for seed in (801, 802):
        Wv = S.points((nu, nu), seed, -2, 2)
        dv = [S.points((nu,), seed + 1 + m, 0, 0.25) for m in range(q)]
        vals = S.values((W, Wv), *[(d[m], dv[m]) for m in range(q)])
        S.agree(label, fn(Wv, dv), S.evaluate(M, vals))


@evidence("RNN-HOCHREITER-PATH-SUM", "fixed-size", statement={"printed_index": False},
          wrong={"the printed index w_(l_m l_(m−1))": {"printed_index": True}})
def rnn_hochreiter_path_sum_proof(s, ctx):
    for nu, q in ((2, 3), (3, 2)):
        W, d, M, P, J = _flow_polys(nu, q, ctx.st.printed_index)
        S.zero(M - P, f"recursion ≠ path sum with w_(l_(m−1) l_m) (n = {nu}, q = {q})")
        S.zero(M - J.T, f"recursion ≠ (∂net(t)/∂net(t−q))ᵀ (n = {nu}, q = {q})")
    W, d, M, P, J = _flow_polys(2, 2)
    printed = sp.zeros(2, 2)
    for u, v in itertools.product(range(2), repeat=2):
        for mid in range(2):
            path = (u, mid, v)
            printed[v, u] += sp.Mul(*[d[m - 1][path[m]] * W[path[m], path[m - 1]] for m in (1, 2)])
    ensure(any(sp.expand(e) != 0 for e in M - printed), "the printed index gives the same polynomial")
    _tie_flow(s.recursion, "recursion")
    _tie_flow(lambda Wv, dv: s.path_sum(Wv, dv), "path_sum")
    return ("Unrolling eq. (1) gives Σ_paths ∏_m f'_(l_m) w_(l_(m−1) l_m) = [(∂net(t)/∂net(t−q))ᵀ]_(vu): SymPy polynomial identities; the printed w_(l_m l_(m−1)) differs",
            ("With symbolic W and f' values: recursion M_q = D_q Wᵀ M_(q−1), the brute-force path sum and the transposed chain-rule "
            "product W D_1 ⋯ W D_q expand to the same polynomials at (n, q) = (2, 3) and (3, 2); every n, q: entry (v, u) of "
            "D_q Wᵀ ⋯ D_1 Wᵀ expands, by the definition of the matrix product, into exactly the sum over paths (induction over q). "
            f"Tie: subject recursion and path_sum at n = 2, q = 3, 2 exact points, {S.within()}. {S.versions()}."),
            Scope(sizes=("n=2, q=3", "n=3, q=2"), hypotheses=("f'_l(net_l(t−m)) any values", "n units, q steps"),
                  steps=("SymPy: recursion = brute-force path sum = (∂net(t)/∂net(t−q))ᵀ as polynomials at (n, q) = (2, 3), (3, 2)",
                         "SymPy: the printed index w_(l_m l_(m−1)) gives a different polynomial at n = 2, q = 2"),
                  tied=("recursion and path_sum at n = 2, q = 3, 2 exact points",)))


@evidence("RNN-HOCHREITER-WEAK-BOUND", "proof", statement={"factor": lambda n: n},
          wrong={"τ^q/(2n) in place of nτ^q": {"factor": lambda n: 1 / (2 * n)}})
def rnn_hochreiter_weak_bound_proof(s, ctx):
    """|entry of M_q| ≤ B_q = n^(q−1)(w_max/4)^q = τ^q/n by induction over q (z3), and τ^q/n ≤ factor(n)·τ^q."""
    n, q, wm = sp.Symbol("n", integer=True, positive=True), sp.Symbol("q", integer=True, positive=True), sp.Symbol("w_max", positive=True)
    B = lambda k: n ** (k - 1) * (wm / 4) ** k
    ensure(sp.simplify(B(1) - wm / 4) == 0, "base case q = 1: |f'·w| ≤ w_max/4")
    ensure(sp.simplify(B(q + 1) - n * (wm / 4) * B(q)) == 0, "B_(q+1) ≠ n·(w_max/4)·B_q")
    ensure(sp.simplify(B(q) - (n * wm / 4) ** q / n) == 0, "n^(q−1)(w_max/4)^q ≠ τ^q/n")
    term, dd, w_, m_, b_, e_, nn, tq = sp.symbols("term d w m b e nn tq", real=True)
    S.valid("inductive step, one term: |f'_l w_lv (M_q)_lu| ≤ (1/4)·w_max·B_q", [dd >= 0, dd <= sp.Rational(1, 4), w_ >= 0, w_ <= wm,
            b_ >= 0, b_ <= e_, m_ <= dd * w_ * b_], m_ <= wm / 4 * e_)
    S.valid("inductive step, the n terms: Σ_l ≤ n·(w_max/4)·B_q", [nn >= 1, term <= wm / 4 * e_], nn * term <= nn * (wm / 4) * e_)
    S.valid("τ^q/n ≤ factor(n)·τ^q", [nn >= 1, tq >= 0], tq / nn <= ctx.st.factor(nn) * tq)
    _W, _d, M, P, _ = _flow_polys(2, 3)
    S.zero(M - P, "recursion ≠ path sum")
    _tie_flow(s.recursion, "recursion")
    for nu, q_ in ((3, 4), (5, 3), (8, 2)):                         # the bound on the model's recursion at larger sizes
        Wv = S.points((nu, nu), 850 + nu, -1, 1)
        dv = [np.full(nu, 0.25)] + [S.points((nu,), 860 + nu + m, 0, 0.25) for m in range(1, q_)]
        got = np.asarray(s.recursion(Wv, dv), float)
        bound = nu ** (q_ - 1) * (float(np.max(np.abs(Wv))) / 4) ** q_
        ensure(np.all(np.abs(got) <= bound * (1 + 1e-12)), f"the model's recursion exceeds n^(q−1)(w_max/4)^q at n = {nu}, q = {q_}")
    return ("|w_ij| ≤ w_max, |f'| ≤ 1/4 ⇒ |∂ϑ_v(t−q)/∂ϑ_u(t)| ≤ n^(q−1)(w_max/4)^q = τ^q/n ≤ n τ^q, τ = n w_max/4, every n and q",
            ("Entry (v, u) of M_q = D_q Wᵀ M_(q−1) is a sum of n terms f'_l w_lv (M_(q−1))_lu, each ≤ (w_max/4)·B_(q−1), so "
             "B_q = n(w_max/4)B_(q−1) with B_1 = w_max/4 (induction over q; the step by z3, the closed form by SymPy): B_q = τ^q/n ≤ nτ^q. "
             f"Tie: subject recursion at n = 2, q = 3 against SymPy {S.within()}, and the bound on it at (n, q) = (3, 4), (5, 3), (8, 2). "
             f"{S.versions()}, {S.z3_version()}."),
            Scope(sizes="every", hypotheses=("|w_ij| ≤ w_max", "0 ≤ f' ≤ 1/4 (the logistic σ, ACT-SIGMOID-DERIV-BOUND)", "n ≥ 1, q ≥ 1"),
                  steps=("SymPy: B_1 = w_max/4, B_(q+1) = n(w_max/4)B_q, B_q = τ^q/n", "z3: each of the n terms, and their sum (inductive step)",
                         "z3: τ^q/n ≤ nτ^q for n ≥ 1"),
                  tied=("recursion at n = 2, q = 3 against SymPy (2 exact points)", "the bound on the model's recursion at (3, 4), (5, 3), (8, 2)")))
