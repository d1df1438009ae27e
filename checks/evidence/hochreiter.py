"""Proofs about Hochreiter 1991/1997: the error flow as a path sum, the weak bound, the logistic unit at |w| = 4.

Interval certificates use mpmath.iv (outward rounding, _iv.IV_PREC bits) with branch-and-bound subdivision.
"""

import itertools

import mpmath
import numpy as np
import sympy as sp
from mpmath import iv
from vanishing.checks.evidence import _elman as E
from vanishing.checks.evidence import _iv as V
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence


def _iv_sig(x):
    return 1 / (1 + iv.exp(-x))

def _iv_tanh(x):
    """tanh x = 1 − 2/(1 + e^{2x}) (mpmath.iv has no tanh; x occurs once, so the enclosure is tight)."""
    return 1 - 2 / (1 + iv.exp(2 * x))

def _iv_dsig(x):
    """σ' = 1/4 − (σ − 1/2)² (the square of an interval containing 0 starts at 0: a tight enclosure near the maximum)."""
    return iv.mpf(1) / 4 - (_iv_sig(x) - iv.mpf(1) / 2) ** 2

# ---------------------------------------------------------------- Hochreiter 1991/1997: a logistic unit
@evidence("RNN-HOCHREITER-SIGMOID-W4", "interval")
def rnn_hochreiter_sigmoid_w4_interval(s, ctx):
    # (1) |σ'(a)| ≤ 1/4 on [−40, 40] (boxes), and σ'(a) ≤ e^{−|a|} < 1e-17 beyond: so |σ'(a) w| ≤ |w|/4 < 1 for |w| < 4;
    #     at a = 0, |σ'(0) w| = |w|/4 > 1 for |w| > 4.
    quarter = V.I(1) / 4
    b1 = V.certify("σ'(a) ≤ 1/4 on [−40, 40]", lambda B: True if _iv_dsig(B[0]).b <= quarter.b else
                   (False if _iv_dsig(B[0]).a > quarter.b else None), [(-40, 40)])
    n = sp.Symbol("n", real=True)
    ensure(sp.simplify(S.dsig(n).rewrite(sp.exp) - sp.exp(-n) / (1 + sp.exp(-n)) ** 2) == 0, "σ' = e^(−n)/(1+e^(−n))²")
    # (2) φ(n) = n tanh(n/2) − 1 is increasing on (0, ∞): φ'(n) = tanh(n/2) + (n/2)(1 − tanh²(n/2)) > 0 on [1e-6, 60]
    ensure(sp.simplify(sp.diff(n * sp.tanh(n / 2), n) - (sp.tanh(n / 2) + n / 2 * (1 - sp.tanh(n / 2) ** 2))) == 0, "φ'")
    b2 = V.certify("φ' > 0 on [1e-6, 60]", lambda B: True if (_iv_tanh(B[0] / 2) + B[0] / 2 * (1 - _iv_tanh(B[0] / 2) ** 2)).a > 0 else None,
                   [("1e-6", 60)])
    # (3) the root n* of φ: a certified enclosure [lo, hi] with φ(lo) < 0 < φ(hi)
    with mpmath.workdps(40):
        root = mpmath.findroot(lambda u: u * mpmath.tanh(u / 2) - 1, 2.4)
    lo, hi = mpmath.mpf(root) - mpmath.mpf("1e-14"), mpmath.mpf(root) + mpmath.mpf("1e-14")
    old = iv.prec
    iv.prec = V.IV_PREC
    try:
        phi = lambda u: u * _iv_tanh(u / 2) - 1
        ensure(phi(iv.mpf(lo)).b < 0 < phi(iv.mpf(hi)).a, "no sign change of φ around n*")
        Nstar = iv.mpf([lo, hi])
        peak = Nstar * _iv_dsig(Nstar)                                # n* σ'(n*): the peak of |w f'(w y)|·|y|
        ensure(peak.a > mpmath.mpf("0.2238") and peak.b < mpmath.mpf("0.2240"), f"peak enclosure {peak}")
        # (4) n σ'(n) ≤ 0.22392 on [0, 60] (so the peak is the maximum, to 5e-5), and n σ'(n) ≤ n e^{−n} < 1e-24 beyond 60
        cap = iv.mpf("0.22392")
        b4 = V.certify("n σ'(n) ≤ 0.22392 on [0, 60]", lambda B: True if (B[0] * _iv_dsig(B[0])).b <= cap.a else
                       (False if (B[0] * _iv_dsig(B[0])).a > cap.b else None), [(0, 60)])
    finally:
        iv.prec = old
    # ties: the hand-derived d/dw [w σ'(w y)], the subject's n*, the products of a single unit
    w, y = sp.symbols("w y", real=True)
    d = sp.diff(w * S.dsig(w * y), w)
    ensure(sp.expand(d - S.dsig(w * y) * (1 - w * y * (2 * S.sig(w * y) - 1))) == 0, "d/dw [w σ'(wy)] ≠ σ'(n)(1 − n(2σ(n) − 1))")
    ensure(sp.simplify((2 * S.sig(n) - 1).rewrite(sp.exp) - sp.tanh(n / 2).rewrite(sp.exp)) == 0, "2σ(n) − 1 ≠ tanh(n/2)")
    for wv, yv in itertools.product((-3.5, -0.75, 0.5, 2.25, 6.0), (-1.5, 0.25, 2.0)):
        S.agree(f"dphi({wv}, {yv})", s.dphi(wv, yv), S.evaluate(d, {w: wv, y: yv}))
    ns = float(s.n_star())
    ensure(abs(ns - float(root)) <= 1e-12, f"subject n_star() = {ns!r} is not the certified root n* ∈ [{float(lo)!r}, {float(hi)!r}]")
    N = E.net(1, 1, 3, "sigmoid")
    for seed in (701, 702):
        P, h0, xs, _, vals = N.point(seed)
        got = np.asarray(s.products(P, h0, xs, "sigmoid"), float)
        for k in range(4):
            S.agree(f"products k = {k}", got[k], S.evaluate(N.product(3, k), vals))
    return ("|σ'(a)w| ≤ |w|/4 < 1 for |w| < 4 (= |w|/4 > 1 at a = 0 for |w| > 4); the peak of |w σ'(wy)| is n*σ'(n*)/|y| ∈ [0.2238, 0.2240]/|y| at n* tanh(n*/2) = 1",
            (f"Interval certificates ({V.version()}): σ'(a) ≤ 1/4 on [−40, 40] ({b1} boxes; beyond, σ'(a) ≤ e^(−|a|)); "
            f"φ(n) = n tanh(n/2) − 1 has φ' > 0 on [1e-6, 60] ({b2} boxes) so its root n* is unique, enclosed in "
            f"[{mpmath.nstr(lo, 17)}, {mpmath.nstr(hi, 17)}] by a sign change; n*σ'(n*) ∈ [0.2238, 0.2240]; n σ'(n) ≤ 0.22392 on "
            f"[0, 60] ({b4} boxes; beyond, n e^(−n) < 1e-24). SymPy: d/dw [w σ'(wy)] = σ'(n)(1 − n tanh(n/2)), n = wy. Tie: subject "
            f"dphi at 15 exact (w, y) within {S.TIE_ULPS}, n_star within 1e-12 of the certified root, products of a one-unit σ RNN "
            f"(T = 3, every lag) against SymPy (worst ratio {S.worst():.2g}). {S.versions()}."))

# ---------------------------------------------------------------- path sums and the weak bound
def _flow_polys(nu, q):
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
            P[v, u] += sp.Mul(*[d[m - 1][path[m]] * W[path[m - 1], path[m]] for m in range(1, q + 1)])
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

@evidence("RNN-HOCHREITER-PATH-SUM", "proof")
def rnn_hochreiter_path_sum_proof(s, ctx):
    for nu, q in ((2, 3), (3, 2)):
        W, d, M, P, J = _flow_polys(nu, q)
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
            f"Tie: subject recursion and path_sum at n = 2, q = 3, 2 exact points, {S.within()}. {S.versions()}."))

@evidence("RNN-HOCHREITER-WEAK-BOUND", "proof")
def rnn_hochreiter_weak_bound_proof(s, ctx):
    nn, q, wm = sp.symbols("n q w_max", positive=True)
    ensure(sp.simplify(nn ** (q - 1) * (wm / 4) ** q - (nn * wm / 4) ** q / nn) == 0, "n^(q−1)(w/4)^q ≠ τ^q/n")
    ensure(sp.simplify(nn * (nn * wm / 4) ** q - (nn * wm / 4) ** q / nn - (nn ** 2 - 1) * (nn * wm / 4) ** q / nn) == 0, "nτ^q − τ^q/n")
    _W, _d, M, P, _ = _flow_polys(2, 3)
    S.zero(M - P, "recursion ≠ path sum")
    ensure(all(len(sp.Add.make_args(sp.expand(e))) <= 2 ** 2 for e in M), "more than n^(q−1) paths in an entry")
    _tie_flow(s.recursion, "recursion")
    return ("|w_ij| ≤ w_max, |f'| ≤ 1/4 ⇒ |∂ϑ_v(t−q)/∂ϑ_u(t)| ≤ n^(q−1)(w_max/4)^q = τ^q/n ≤ n τ^q, τ = n w_max/4",
            ("Each entry is a sum of n^(q−1) path products (RNN-HOCHREITER-PATH-SUM; SymPy counts the monomials at n = 2, q = 3), "
            "each of modulus ≤ (w_max/4)^q since f' ≤ 1/4 (ACT-SIGMOID-DERIV-BOUND); SymPy: n^(q−1)(w_max/4)^q = τ^q/n ≤ nτ^q. "
            f"Tie: subject recursion at n = 2, q = 3, 2 exact points, {S.within()}. {S.versions()}."))
