"""The Elman RNN h_t = g(W h_{t−1} + U x_t + b) in SymPy, at a fixed size with every entry a symbol.

The derivations here do not depend on the subject under test, so each is built once per process
(``functools.lru_cache``) and shared by the proofs of several claims; every proof still re-runs its
identities' final check and its tie to the model on every call.
"""

import functools

import mpmath
import numpy as np
import sympy as sp
from autograd.misc import flatten
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure

ACT = {"tanh": (S.th, S.dtanh), "sigmoid": (S.sig, S.dsig), "linear": (lambda u: u, lambda u: sp.Integer(1))}


H, D = 2, 1
SPLIT = "T = 2 in the ci profile, T = 3 in thorough"


def horizon(ctx):
    """Horizon T of the unrolled symbolic proofs: 2 in ci (fast), 3 in thorough."""
    return 3 if ctx.thorough else 2


class Net:
    """Symbols and the unrolled symbolic trajectory of an Elman RNN with H units, D inputs, T steps."""

    def __init__(self, H, D, T, act, bias=True):
        self.H, self.D, self.T, self.act = H, D, T, act
        self.g, self.dg = ACT[act]
        self.W, self.U = S.matrix("W", H, H), S.matrix("U", H, D)
        self.b = S.vector("b", H) if bias else sp.zeros(H, 1)
        self.h0 = S.vector("h0", H)
        self.xs = [S.vector(f"x{t}", D) for t in range(1, T + 1)]
        self.es = [S.vector(f"e{t}", H) for t in range(1, T + 1)]      # cotangents ∂E_t/∂h_t
        self.a, self.h = [], [self.h0]
        for t in range(T):
            self.a.append(self.W * self.h[-1] + self.U * self.xs[t] + self.b)   # a_t = W h_{t−1} + U x_t + b
            self.h.append(self.a[-1].applyfunc(self.g))                         # h_t = g(a_t)
        # the closed form J_t = diag(g'(a_t)) W, along the trajectory
        self.J = [S.diag(a.applyfunc(self.dg)) * self.W for a in self.a]

    def step(self, s, x):
        """F(s, x) = g(W s + U x + b)."""
        return (self.W * s + self.U * x + self.b).applyfunc(self.g)

    def theta(self):
        """The parameters θ = (W, U, b) as a flat list (b only with a bias)."""
        out = list(self.W) + list(self.U)
        return out + (list(self.b) if self.b.free_symbols else [])

    def product(self, t, k):
        """J_t J_{t−1} ⋯ J_{k+1} (I for t = k): the closed-form ∂h_t/∂h_k."""
        P = sp.eye(self.H)
        for i in range(t, k, -1):
            P = P * self.J[i - 1]
        return P

    def point(self, seed, w=1.5, scale_x=2.0):
        """Exact dyadic values for every symbol: (params dict for the model, h0, xs (T, D), cotangents (T, H), {symbol: value})."""
        H, D, T = self.H, self.D, self.T
        W = S.points((H, H), seed, -w, w)
        U = S.points((H, D), seed + 1, -scale_x, scale_x)
        b = S.points((H,), seed + 2, -1.0, 1.0) if self.b.free_symbols else np.zeros(H)
        h0 = S.points((H,), seed + 3, -1.0, 1.0)
        xs = S.points((T, D), seed + 4, -2.0, 2.0)
        es = S.points((T, H), seed + 5, -2.0, 2.0)
        pairs = [(self.W, W), (self.U, U), (self.h0, h0)] + [(self.xs[t], xs[t]) for t in range(T)] + \
                [(self.es[t], es[t]) for t in range(T)]
        if self.b.free_symbols:
            pairs.append((self.b, b))
        return {"W_hh": W, "W_xh": U, "b": b}, h0, xs, es, S.values(*pairs)


@functools.cache
def net(H, D, T, act, bias=True):
    return Net(H, D, T, act, bias)


@functools.cache
def bptt_terms(H, D, T, act, bias=True):
    """(N, dE, terms, h0_terms): dE = ∇_θ E of E = Σ_t e_tᵀ h_t by SymPy; terms[(t, k)] = e_tᵀ (∂h_t/∂h_k) ∂⁺h_k/∂θ (row);
    h0_terms[t] = e_tᵀ ∂h_t/∂h_0 with the closed-form products."""
    N = net(H, D, T, act, bias)
    th = N.theta()
    E = sum((N.es[t].T * N.h[t + 1])[0, 0] for t in range(T))
    dE = sp.Matrix([[sp.diff(E, p) for p in th]])
    s = S.vector("s", H)
    terms = {}
    for k in range(1, T + 1):
        Fk = N.step(s, N.xs[k - 1])
        rep = {s[i]: N.h[k - 1][i] for i in range(H)}
        dplus = sp.Matrix([[sp.diff(Fk[i], p) for p in th] for i in range(H)]).xreplace(rep)   # ∂⁺h_k/∂θ, h_{k−1} fixed
        for t in range(k, T + 1):
            terms[(t, k)] = N.es[t - 1].T * N.product(t, k) * dplus
    h0_terms = {t: N.es[t - 1].T * N.product(t, 0) for t in range(1, T + 1)}
    dE_h0 = sp.Matrix([[sp.diff(E, v) for v in N.h0]])
    return N, dE, dE_h0, terms, h0_terms


def flat_grads(g, bias=True):
    """The model's gradient dict as one flat vector in θ order (W_hh, W_xh[, b]: autograd's flatten sorts the keys), and h0 separately."""
    theta, _ = flatten({k: np.asarray(g[k], float) for k in (("W_hh", "W_xh", "b") if bias else ("W_hh", "W_xh"))})
    return theta, np.asarray(g["h0"], float)


SIZE = "H = 2, D = 1 with every entry of W_hh, W_xh, b, h and x a symbol"

ELEMENTWISE = ("Every H: entry (i, j) of ∂g(W h + U x + b)/∂h is g'(a_i)·W_ij for any H (a_i involves row i of W only), "
               "so the H = 2 identity is the general one with the index ranges widened.")

CHECKED_AT_3 = " SymPy also checks the one-step identity at H = 3."


def chain_step_holds(act):
    """Induction step over t: ∂F(u(v))/∂v = diag(g'(a)) W · ∂u/∂v for an ARBITRARY smooth inner map u (symbolic functions)."""
    N = net(H, D, 1, act)
    v = S.vector("v", H)
    u = sp.Matrix([sp.Function(f"u{i}")(*v) for i in range(H)])
    outer = N.step(u, N.xs[0])
    lhs = outer.jacobian(v)
    a = N.W * u + N.U * N.xs[0] + N.b
    rhs = S.diag(a.applyfunc(N.dg)) * N.W * u.jacobian(v)
    return S.zero(lhs - rhs, "chain rule step")


def step_proof(act):
    for size in (3, H):                                             # H = 3 too: the same entrywise identity at a second size
        N = net(size, D, 1, act)
        S.zero(N.h[1].jacobian(N.h0) - N.J[0], f"∂h_t/∂h_(t−1) ≠ diag(g'(a_t)) W_hh ({act}, H = {size})")
    return N


@functools.cache
def products_proof(act, T=3):
    """∂h_T/∂h_k = J_T ⋯ J_{k+1} for every k, symbolically at horizon T, with the composition started from fresh symbols."""
    N = net(H, D, T, act)
    v = S.vector("v", H)
    out = []
    for k in range(T + 1):
        hv, Js = v, []
        for i in range(k, T):
            a = N.W * hv + N.U * N.xs[i] + N.b
            Js.append(S.diag(a.applyfunc(N.dg)) * N.W)
            hv = a.applyfunc(N.g)
        P = sp.eye(H)
        for J in reversed(Js):                              # J_T ⋯ J_{k+1}: P = J_T·(J_{T−1}·(⋯))
            P = P * J
        S.zero(hv.jacobian(v) - P, f"∂h_T/∂h_{k} ≠ J_T ⋯ J_(k+1)")
        out.append(N.product(T, k))
    return N, out


def tie_products(s_products, act, seeds, T):
    N, Ps = products_proof(act, T)
    for seed in seeds:
        P, h0, xs, _, vals = N.point(seed)
        got = np.asarray(s_products(P, h0, xs, act), float)
        ensure(got.shape == (T + 1, H, H), f"products: shape {got.shape}, expected {(T + 1, H, H)}")
        for k, want in enumerate(S.evaluate(list(Ps), vals)):
            S.agree(f"∂h_T/∂h_{k} ({act})", got[k], want)

PRODUCT_ARG = ("Every T: ∂h_T/∂v = J_T·∂h_(T−1)/∂v (chain rule), checked symbolically as the induction step for an arbitrary "
               "smooth inner map u(v) (SymPy undefined functions), so J_T ⋯ J_(k+1) holds for all T by induction.")


# ---------------------------------------------------------------- norms
def norm_bound_common(s, ctx, gammas):
    """‖diag(d) W‖ ≤ max|d|·‖W‖ (elementwise: Σ d_i² y_i² ≤ max d² Σ y_i²), sup|g'| per activation, ties of products and γ_v."""
    d, y, m = sp.symbols("d0:3", real=True), sp.symbols("y0:3", real=True), sp.Symbol("m", real=True)
    ensure(sp.expand(m * sum(yi ** 2 for yi in y) - sum(di ** 2 * yi ** 2 for di, yi in zip(d, y))
                     - sum((m - di ** 2) * yi ** 2 for di, yi in zip(d, y))) == 0, "the elementwise bound")
    if gammas is not None:
        sup = {"tanh": sp.Integer(1), "sigmoid": sp.Rational(1, 4), "relu": sp.Integer(1)}
        u = sp.Symbol("u", real=True)                               # u = σ(x) ∈ (0, 1) or tanh(x) ∈ (−1, 1), σ(0) = 1/2, tanh(0) = 0
        ensure(sp.expand(u * (1 - u) - (sup["sigmoid"] - (u - sp.Rational(1, 2)) ** 2)) == 0, "σ(1−σ) ≠ 1/4 − (σ − 1/2)²")
        ensure(sp.expand((1 - u ** 2) - (sup["tanh"] - u ** 2)) == 0, "1 − tanh² ≠ 1 − u²")
        ensure((S.dsig(sp.Integer(0)).rewrite(sp.exp) - sup["sigmoid"]).simplify() == 0 and S.dtanh(sp.Integer(0)) == 1,
               "the suprema are not attained at 0")
        for name, v in sup.items():
            ensure(gammas[name] == float(v), f"γ_g' of {name} is {gammas[name]}, the proved supremum is {v}")
    for act in ("tanh", "sigmoid"):
        tie_products(s.products, act, (17,), horizon(ctx))

NORM_ARG = ("‖J_i‖₂ = ‖diag(g'(a_i)) W‖₂ ≤ max_j|g'(a_ij)|·‖W‖₂ ≤ γ_g'γ_v (the diagonal bound is elementwise, any H: "
            "Σ d_j² y_j² ≤ max d²·Σ y_j², checked symbolically), and ‖∂h_t/∂h_k‖ ≤ ∏‖J_i‖ by submultiplicativity "
            "(induction over t with the product form of RNN-JACOBIAN-PRODUCT-ORDER).")


# ---------------------------------------------------------------- every size: symbolic H (IndexedBase, Sum, KroneckerDelta)
NH, ND = sp.Symbol("n", integer=True, positive=True), sp.Symbol("m", integer=True, positive=True)   # H and D, symbolic
_i, _k, _l = sp.symbols("i k l", integer=True)
_j, _p = sp.Symbol("j", integer=True, nonnegative=True), sp.Symbol("p", integer=True, nonnegative=True)
IW, IU, Ih, Ix, Ib = (sp.IndexedBase(c) for c in ("W", "U", "h", "x", "b"))
EVERY_H = "H = n and D = m symbolic (SymPy IndexedBase and Sum): every H ≥ 1, D ≥ 1"


def pre(i, h=Ih, bias=True):
    """a_i = Σ_k W_ik h_k + Σ_l U_il x_l (+ b_i), with n = H and m = D symbolic."""
    a = sp.Sum(IW[i, _k] * h[_k], (_k, 0, NH - 1)) + sp.Sum(IU[i, _l] * Ix[_l], (_l, 0, ND - 1))
    return a + Ib[i] if bias else a


def in_range(e):
    """Resolve the KroneckerDelta sums for an index j with 0 ≤ j ≤ n − 1 (n = j + 1 + p, p ≥ 0)."""
    return e.doit().subs(NH, _j + 1 + _p)


def entry_holds(lhs, stated, label):
    """Entry (i, j) of a Jacobian for symbolic n equals the stated entry: SymPy simplifies the difference to 0."""
    diff = _entry_difference(lhs, stated)
    ensure(diff == 0, f"{label}: for symbolic H the entry (i, j) differs from the stated one by {diff}")
    return True


@functools.lru_cache(maxsize=256)
def _entry_difference(lhs, stated):
    """Shared between the claims that derive the same entry (a cache of the derivation; each claim still checks the result)."""
    d = in_range(lhs) - in_range(stated)
    return sp.Integer(0) if _vanishes(d) else sp.simplify(d)


@functools.lru_cache(maxsize=256)
def _vanishes(d):
    """d ≡ 0: factor_terms (constants out of the Sums) decides the usual case fast; simplify decides the rest."""
    return sp.factor_terms(sp.expand(d)) == 0 or sp.factor_terms(d) == 0 or sp.simplify(d) == 0


@functools.cache
def step_entry(act, bias=True):
    """∂h_i/∂h_j of h_i = g(a_i) for symbolic n: SymPy's derivative through the Sum (a KroneckerDelta sum)."""
    g, _ = ACT[act]
    return sp.diff(g(pre(_i, bias=bias)), Ih[_j])


def dg_at(act, i, bias=True):
    """g'(a_i) for symbolic n."""
    return ACT[act][1](pre(i, bias=bias))


@functools.cache
def chain_entry(act):
    """Induction step for symbolic n: ∂g(Σ_k W_ik u_k(v) + c_i)/∂v_j for undefined u, with ∂u_k/∂v_j named P(k, j)."""
    g, dg = ACT[act]
    y, u, P, c = sp.Symbol("y"), sp.Function("u"), sp.Function("P"), sp.IndexedBase("c")
    a = sp.Sum(IW[_i, _k] * u(_k, y), (_k, 0, NH - 1)) + c[_i]
    lhs = sp.diff(g(a), y).replace(lambda e: isinstance(e, sp.Derivative), lambda e: P(e.expr.args[0], _j))
    J = lambda r, q: dg(a.subs(_i, r)) * IW[r, q]
    return lhs, J, P


def chain_order_holds(act, later_left=True):
    """∂h_t/∂v = J_t ∂h_(t−1)/∂v (later step on the left) for symbolic n and an arbitrary inner map: the induction step."""
    lhs, J, P = chain_entry(act)
    rhs = sp.Sum(J(_i, _k) * P(_k, _j), (_k, 0, NH - 1)) if later_left else sp.Sum(P(_i, _k) * J(_k, _j), (_k, 0, NH - 1))
    ensure(_vanishes(lhs - rhs), f"the induction step ∂h_t/∂v = {'J_t·∂h_(t−1)/∂v' if later_left else '∂h_(t−1)/∂v·J_t'} "
                                        f"does not hold for symbolic H ({act})")
    ensure(sp.diff(Ih[_i], Ih[_j]) == sp.KroneckerDelta(_i, _j), "the base case ∂h_k/∂h_k = I")
    return True


# ---------------------------------------------------------------- every size: the norm of diag(d)·W and the product bound
def diag_norm_certificate_holds(factor_sq):
    """‖diag(d) z‖² ≤ M‖z‖² when d_i² ≤ M, for symbolic n: M Σz² − Σd²z² = Σ (M − d_i²) z_i², each term ≥ 0 (z3).

    ``factor_sq`` is the stated bound's square (M, or a wrong one such as M/4).
    """
    M, d, z = sp.Symbol("M", nonnegative=True), sp.IndexedBase("d"), sp.IndexedBase("z")
    gap = sp.Sum(factor_sq(M) * z[_i] ** 2, (_i, 0, NH - 1)) - sp.Sum(d[_i] ** 2 * z[_i] ** 2, (_i, 0, NH - 1))
    cert = sp.Sum((factor_sq(M) - d[_i] ** 2) * z[_i] ** 2, (_i, 0, NH - 1))
    ensure(sp.simplify(sp.expand(gap.doit() - cert.doit())) == 0 or sp.simplify((gap - cert).doit()) == 0,
           "the gap is not the termwise certificate Σ (M − d_i²) z_i²")
    di, zi, Mr = sp.symbols("d_i z_i M", real=True)
    S.valid("each term (M' − d_i²) z_i² ≥ 0 given d_i² ≤ M", [di ** 2 <= Mr, Mr >= 0],
            (factor_sq(Mr) - di ** 2) * zi ** 2 >= 0)
    return True


def product_bound_holds(rate, exponent):
    """p_t ≤ rate^e(t) for every t ≥ k by induction: base p_k = ‖I‖ = 1, step p_t ≤ ‖J_t‖ p_(t−1) with ‖J_t‖ ≤ γ_g'γ_v.

    ``rate(gg, gv)`` and ``exponent(t, k)`` are the statement's (a wrong one is refused); the step is checked by z3.
    """
    t, k = sp.symbols("t k", integer=True)
    ensure(sp.simplify(exponent(t, k).subs(t, k)) == 0, f"base case: the exponent at t = k is {exponent(k, k)}, not 0, so "
                                                      "the bound is not 1 = ‖∂h_k/∂h_k‖")
    ensure(sp.simplify(exponent(t, k) - exponent(t - 1, k)) == 1, "step: the exponent does not grow by 1 per step")
    gg, gv, dmax, wn, J, p, e, q = sp.symbols("gamma_g gamma_v dmax wnorm J p e q", real=True)
    r = rate(gg, gv)
    S.valid("per step ‖J_t‖ ≤ max|g'|·‖W‖ ≤ rate", [dmax >= 0, wn >= 0, dmax <= gg, wn <= gv, J <= dmax * wn, J >= 0], J <= r)
    S.valid("inductive step p_t ≤ ‖J_t‖ p_(t−1) ≤ rate·rate^(e−1)", [J >= 0, J <= r, p >= 0, p <= e, q <= J * p, e >= 0], q <= r * e)
    return True


SIZES_TIED = ((1, 6), (2, 3), (3, 6), (4, 3), (5, 4), (6, 5), (7, 3), (8, 6))   # (H, T): the tie's spread of sizes
PRODUCT_SEED = 1200                                                  # the products' tie points, shared (cached) by the claims
XSCALES = (2.0, 8.0, 40.0)                                           # |x| up to 2, 8 and 40 (saturation) in turn


def spread_point(H, T, seed, w=1.5, D=2):
    """Exact dyadic parameters, h0 and inputs at size H, T; the input scale cycles through XSCALES with the seed."""
    xs_scale = XSCALES[seed % len(XSCALES)]
    P = {"W_hh": S.points((H, H), seed, -w, w), "W_xh": S.points((H, D), seed + 1, -1.0, 1.0), "b": S.points((H,), seed + 2, -1.0, 1.0)}
    return P, S.points((H,), seed + 3, -1.0, 1.0), S.points((T, D), seed + 4, -xs_scale, xs_scale)


def _mp_act(act):
    sig = lambda u: 1 / (1 + mpmath.exp(-u))
    if act == "sigmoid":
        return sig, lambda u: sig(u) * (1 - sig(u))
    return mpmath.tanh, lambda u: 1 - mpmath.tanh(u) ** 2


def mp_closed_form(P, h0, xs, act, alpha=None):
    """The closed forms at a point, in mpmath (MP_DPS digits): [J_1..J_T] = diag(g'(a_t))W (leaky: αI + (1−α)·that) and
    the products ∂h_T/∂h_k = J_T ⋯ J_(k+1), k = 0..T, as float64 arrays."""
    g, dg = _mp_act(act)
    with mpmath.workdps(S.MP_DPS):
        W, U, b = mpmath.matrix(P["W_hh"].tolist()), mpmath.matrix(P["W_xh"].tolist()), mpmath.matrix(list(P["b"]))
        H = W.rows
        h, Js = mpmath.matrix(list(h0)), []
        for x in xs:
            a = W * h + U * mpmath.matrix(list(x)) + b
            J = mpmath.matrix(H, H)
            for r in range(H):
                d = dg(a[r])
                for q in range(H):
                    J[r, q] = d * W[r, q]
            hn = mpmath.matrix([g(a[r]) for r in range(H)])
            if alpha is not None:
                al = mpmath.mpf(alpha)
                J = al * mpmath.eye(H) + (1 - al) * J
                hn = al * h + (1 - al) * hn
            Js.append(J)
            h = hn
        T, prods = len(Js), [None] * (len(Js) + 1)
        prods[T] = mpmath.eye(H)
        for k in range(T - 1, -1, -1):
            prods[k] = prods[k + 1] * Js[k]
        tof = lambda M: np.array(M.tolist(), dtype=float)
        return [tof(J) for J in Js], [tof(M) for M in prods], [float(v) for v in h]


@functools.lru_cache(maxsize=512)
def closed_at(H, T, seed, act, alpha=None, w=1.5):
    """(P, h0, xs, Js, products, h_T) at the spread point of size (H, T): built once, shared by the claims that tie there."""
    P, h0, xs = spread_point(H, T, seed, w=w)
    Js, prods, hT = mp_closed_form(P, h0, xs, act, alpha)
    return P, h0, xs, Js, prods, np.array(hT)


def tie_products_sizes(s_products, act, alpha=None, seed=900, thorough=False, w=1.5):
    """The model's products against the closed form J_T ⋯ J_(k+1) at every (H, T) of SIZES_TIED (thorough: also
    H = 12, T = 8); returns the sizes tied, in words."""
    sizes = SIZES_TIED + (((12, 8),) if thorough else ())
    for n_, (Hs, T) in enumerate(sizes):
        P, h0, xs, _, want, _ = closed_at(Hs, T, seed + 10 * n_, act, alpha, w)
        got = np.asarray(s_products(P, h0, xs, act) if alpha is None else s_products(P, h0, xs, alpha, act), float)
        ensure(got.shape == (T + 1, Hs, Hs), f"products at H = {Hs}, T = {T}: shape {got.shape}, expected {(T + 1, Hs, Hs)}")
        for k in range(T + 1):
            S.agree(f"∂h_T/∂h_{k} (H = {Hs}, T = {T}, {act})", got[k], want[k])
    return tied_words(f"products ({act})", sizes)


def tie_step_sizes(fn, act, label, seed=950, alpha=None):
    """A step-Jacobian function fn(P, h0, x) against the closed form at every H of SIZES_TIED (T = 1 each)."""
    for n_, (Hs, _) in enumerate(SIZES_TIED):
        P, h0, xs, Js, _, _ = closed_at(Hs, 1, seed + 10 * n_, act, alpha)
        S.agree(f"{label} (H = {Hs}, {act})", fn(P, h0, xs[0]), Js[0])
    return tied_words(label)


def tied_words(label, sizes=SIZES_TIED):
    sizes = ", ".join(f"H = {h}, T = {t}" for h, t in sizes)
    return f"{label} against the closed form (mpmath, {S.MP_DPS} digits) at {sizes}; |x| up to {', '.join(f'{v:g}' for v in XSCALES)}"
