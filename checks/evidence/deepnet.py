"""Proofs about the deep net of seed 000: the product form of ∂L/∂W_i, the local factor, factor counts, derivative suprema.

The net z_i = f(W_i z_{i−1} + b_i), L = ½‖z_n − y‖² (models/deepnet.py) is built in SymPy with sizes [2, 2, 2, 1]
(three layers) and every weight, bias, input and target a symbol. Every width and depth: entry (p, q) of ∂L/∂W_i is
(∂L/∂z_i ⊙ f'(h_i))_p z_{i−1,q} whatever the widths, and ∂z_n/∂z_i = F_{n−1} ⋯ F_i by the chain rule, one factor per
layer (induction over n − i, as in RNN-JACOBIAN-PRODUCT-ORDER).
"""

import functools

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S

SIZES = (2, 2, 2, 1)

ACT = {"sigmoid": (S.sig, S.dsig), "tanh": (S.th, S.dtanh)}

DETAIL_SIZE = "sizes [2, 2, 2, 1] (3 layers), every weight, bias, input and target a symbol"


class Net:
    def __init__(self, act):
        self.f, self.df = ACT[act]
        n = len(SIZES) - 1
        self.W = [S.matrix(f"W{i}", SIZES[i], SIZES[i - 1]) for i in range(1, n + 1)]
        self.b = [S.vector(f"b{i}", SIZES[i]) for i in range(1, n + 1)]
        self.x, self.y = S.vector("x", SIZES[0]), S.vector("y", SIZES[-1])
        self.h, self.z = [], [self.x]
        for W, b in zip(self.W, self.b):
            self.h.append(W * self.z[-1] + b)
            self.z.append(self.h[-1].applyfunc(self.f))
        r = self.z[-1] - self.y
        self.L = (r.T * r)[0, 0] / 2
        # F[j] = ∂z_{j+1}/∂z_j = diag(f'(h_{j+1})) W_{j+1}   (0-based list, j = 0..n−1)
        self.F = [S.diag(h.applyfunc(self.df)) * W for h, W in zip(self.h, self.W)]

    def middle(self, i):
        """F_{n−1} ⋯ F_i = ∂z_n/∂z_i (i = 0..n; I for i = n)."""
        M = sp.eye(SIZES[-1])
        for j in range(len(self.F) - 1, i - 1, -1):
            M = M * self.F[j]
        return M

    def point(self, seed):
        P = {"W": [S.points(W.shape, seed + k, -2, 2) for k, W in enumerate(self.W)],
             "b": [S.points((b.shape[0],), seed + 10 + k, -1, 1) for k, b in enumerate(self.b)]}
        x, y = S.points((SIZES[0],), seed + 20, -2, 2), S.points((SIZES[-1],), seed + 21, -1, 1)
        pairs = list(zip(self.W, P["W"])) + list(zip(self.b, P["b"])) + [(self.x, x), (self.y, y)]
        return P, x, y, S.values(*pairs)


@functools.cache
def net(act):
    return Net(act)


@functools.cache
def _product_form(act, with_df=True):
    """SymPy's ∂L/∂W_i against the seed's product form, for every layer i."""
    N = net(act)
    out = []
    for i in range(1, len(N.W) + 1):
        grad = sp.Matrix(N.W[i - 1].shape[0], N.W[i - 1].shape[1], lambda p, q: sp.diff(N.L, N.W[i - 1][p, q]))  # noqa: B023 (called within the iteration)
        dL_dzi = (N.z[-1] - N.y).T * N.middle(i)                    # ∂L/∂z_i = (z_n − y)ᵀ ∂z_n/∂z_i
        form = (dL_dzi.T.multiply_elementwise(N.h[i - 1].applyfunc(N.df) if with_df else sp.ones(*N.h[i - 1].shape))) * N.z[i - 1].T
        S.zero(grad - form, f"∂L/∂W_{i} ≠ the product form ({act})")
        gb = sp.Matrix([sp.diff(N.L, v) for v in N.b[i - 1]])
        S.zero(gb - dL_dzi.T.multiply_elementwise(N.h[i - 1].applyfunc(N.df)), f"∂L/∂b_{i} ({act})")
        out.append((grad, gb))
    return N, out


@evidence("DEEP-GRAD-PRODUCT-FORM", "fixed-size", statement={"with_df": True},
          unaffected={"backprop reaches only the last 3 layers (shows from depth 4)":
                      "the fixed-size identity ties backprop on a 3-layer net, where the last 3 layers are all of them"},
          wrong={"∂z_i/∂W_i without f'(h_i)": {"with_df": False}})
def deep_grad_product_form_proof(s, ctx):
    for act in ("sigmoid", "tanh"):
        N, grads = _product_form(act, ctx.st.with_df)
        for seed in (501, 601):
            P, x, y, vals = N.point(seed)
            bp = s.backprop(P, x, y, act)
            ev = S.evaluate([N.L] + [g for pair in grads for g in pair], vals)
            S.agree(f"loss ({act})", s.loss(P, x, y, act), ev[0])
            for i in range(1, len(grads) + 1):
                want, want_b = ev[2 * i - 1], ev[2 * i]
                S.agree(f"product_form i = {i} ({act})", s.product_form(P, x, y, i, act), want)
                S.agree(f"backprop W_{i} ({act})", bp["W"][i - 1], want)
                S.agree(f"backprop b_{i} ({act})", bp["b"][i - 1], want_b.ravel())
    return ("∂L/∂W_i = (∂L/∂z_n · ∏_(j=n−1..i) ∂z_(j+1)/∂z_j ⊙ f'(h_i)) z_(i−1)ᵀ equals SymPy's gradient of L, every layer",
            (f"Fixed size: {DETAIL_SIZE}, σ and tanh. Every width and depth: entry (p, q) of the identity is the same expression "
            "with wider sums, and ∂z_n/∂z_i is the product of the n − i local factors by the chain rule (induction). Tie: subject "
            f"loss, product_form (every i) and backprop (W and b) at 2 exact points per activation {S.within()}. {S.versions()}."),
            Scope(sizes=("widths [2, 2, 2, 1]", "depth 3"), hypotheses=("f ∈ {σ, tanh}", "L = ½‖z_n − y‖²"), steps=("SymPy: ∂L/∂W_i and ∂L/∂b_i of the unrolled net equal the product form, every layer (σ, tanh)",),
                  tied=("loss, product_form and backprop at 2 exact points per activation, sizes [2, 2, 2, 1]",)))


def _scalar_chain(act, n=3):
    f, df = ACT[act]
    w, b = sp.symbols(f"w1:{n + 1}", real=True), sp.symbols(f"b1:{n + 1}", real=True)
    zsym = sp.Symbol("zeta", real=True)
    return f, df, w, b, zsym


@evidence("DEEP-LOCAL-FACTOR-INDEX", "proof", statement={"later_weight": True},
          wrong={"the seed's f'(h_(j+1))·w_j": {"later_weight": False}})
def deep_local_factor_index_proof(s, ctx):
    wj, wn, bn, zeta = sp.symbols("w_j w_jp1 b_jp1 zeta", real=True)   # any layer j: z_(j+1) = f(w_(j+1) z_j + b_(j+1))
    for act in ("sigmoid", "tanh"):
        f, df = ACT[act]
        stated = df(wn * zeta + bn) * (wn if ctx.st.later_weight else wj)
        ensure(sp.expand(sp.diff(f(wn * zeta + bn), zeta) - stated) == 0, f"∂z_(j+1)/∂z_j is not the stated factor ({act})")
    ws, bs = [0.75, -1.25, 1.5, -0.5, 2.5, 1.0], [0.125, -0.5, 0.25, 0.0, -1.0, 0.5]   # a depth-6 scalar chain
    for act in ("sigmoid", "tanh"):
        zs, hs = [0.625], []
        with mpmath.workdps(S.MP_DPS):
            fm = (lambda u: 1 / (1 + mpmath.exp(-u))) if act == "sigmoid" else mpmath.tanh
            for wv, bv in zip(ws, bs):
                hs.append(mpmath.mpf(wv) * zs[-1] + bv)
                zs.append(fm(hs[-1]))
            hsf = [float(h) for h in hs]
            for j in range(1, len(ws)):
                u = mpmath.mpf(hsf[j])
                want = float((fm(u) * (1 - fm(u)) if act == "sigmoid" else 1 - mpmath.tanh(u) ** 2) * ws[j])
                S.agree(f"factor j = {j} ({act})", s.factor(ws, hsf, j, act), want)
    return ("∂z_(j+1)/∂z_j = f'(h_(j+1))·w_(j+1) for h_i = w_i z_(i−1) + b_i at every layer j (SymPy), not the seed's f'(h_(j+1))·w_j",
            ("SymPy differentiates z_(j+1) = f(w_(j+1) z_j + b_(j+1)) in z_j with j a free layer index (symbolic weights): the weight "
             f"of the later layer. Tie: subject factor on a depth-6 scalar chain (σ, tanh), j = 1..5, equals f'(h_(j+1))w_(j+1) {S.within()}. "
             f"{S.versions()}."),
            Scope(sizes="every", hypotheses=("h_i = w_i z_(i−1) + b_i, z_i = f(h_i), f ∈ {σ, tanh}",),
                  steps=("SymPy: ∂f(w_(j+1) ζ + b_(j+1))/∂ζ = f'(h_(j+1)) w_(j+1) for symbolic w, b, ζ (any layer j)",),
                  tied=("factor on a depth-6 scalar chain, j = 1..5, σ and tanh",)))


@evidence("DEEP-FACTOR-COUNT", "fixed-size", statement={"count": lambda n, i: n - i},
          wrong={"n − i + 1 factors": {"count": lambda n, i: n - i + 1}})
def deep_factor_count_proof(s, ctx):
    for act in ("sigmoid", "tanh"):
        N = net(act)
        n = len(N.W)
        for i in range(1, n + 1):
            ensure(len(range(i, n)) == ctx.st.count(n, i), f"∂z_n/∂z_{i} composes {n - i} layers, not the stated {ctx.st.count(n, i)}")
            v = S.vector("v", SIZES[i])
            zz = v
            for j in range(i, n):
                zz = (N.W[j] * zz + N.b[j]).applyfunc(N.f)
            rep = {v[k]: N.z[i][k] for k in range(SIZES[i])}
            S.zero(zz.jacobian(v).xreplace(rep) - N.middle(i), f"∂z_n/∂z_{i} ≠ F_(n−1)⋯F_{i} ({act})")
        for seed in (502, 602):
            P, x, _, vals = N.point(seed)
            for i in range(1, n + 1):
                S.agree(f"middle i = {i} ({act})", s.middle(P, x, i, act), S.evaluate(N.middle(i), vals))
    return ("∂z_n/∂z_i is the product of exactly n − i factors F_j = ∂z_(j+1)/∂z_j, j = i..n−1 (SymPy Jacobian of the composition)",
            (f"Fixed size: {DETAIL_SIZE}, every i = 1..3, σ and tanh; every depth by induction over n − i (one factor per layer "
            f"composed). Tie: subject middle at 2 exact points, every i, {S.within()}. {S.versions()}."),
            Scope(sizes=("widths [2, 2, 2, 1]", "depth 3"), hypotheses=("f ∈ {σ, tanh}", "L = ½‖z_n − y‖²"), steps=("SymPy: the Jacobian of the composition z_i ↦ z_n equals F_(n−1) ⋯ F_i, i = 1..3",),
                  tied=("middle at 2 exact points per activation, every i",)))


# ---------------------------------------------------------------- activation derivative suprema
_SUP = {"sigmoid": (sp.Rational(1, 4), 0.0), "tanh": (sp.Integer(1), 0.0), "arctan": (sp.Integer(1), 0.0),
        "relu": (sp.Integer(1), 1.0), "leaky_relu": (sp.Integer(1), 1.0), "identity": (sp.Integer(1), 0.0)}

_XS = np.concatenate([S.points(24, seed=7, lo=-6, hi=6), [0.5, -0.5, 3.0, -3.0]])


def _sup_proofs():
    u, x = sp.Symbol("u", real=True), sp.Symbol("x", real=True)
    ensure(sp.expand(u * (1 - u) - (sp.Rational(1, 4) - (u - sp.Rational(1, 2)) ** 2)) == 0, "σ' = 1/4 − (σ − 1/2)²")
    ensure(sp.expand(1 - u ** 2) == 1 - u ** 2 and sp.solve(sp.Eq(sp.diff(sp.atan(x), x), 1), x) == [0], "tanh', arctan'")
    return True


def _exact_df(name, xs, alpha=0.01):
    x = sp.Symbol("x", real=True)
    smooth = {"sigmoid": sp.diff(1 / (1 + sp.exp(-x)), x), "tanh": sp.diff(sp.tanh(x), x), "arctan": sp.diff(sp.atan(x), x)}
    if name in smooth:
        return S.scalar_values(smooth[name], x, xs)
    return {"relu": np.where(xs > 0, 1.0, 0.0), "leaky_relu": np.where(xs > 0, 1.0, alpha), "identity": np.ones_like(xs)}[name]


def _tie_activations(acts, names):
    for name in names:
        a = acts[name]
        S.agree(f"{name}'", a.df(_XS), _exact_df(name, _XS))


@evidence("DEEP-EXPLODING-FACTOR", "proof", statement={"needs": lambda g: 1 / g},
          wrong={"|w| > 2/γ needed": {"needs": lambda g: 2 / g}})
def deep_exploding_factor_proof(s, ctx):
    _sup_proofs()
    fd, w_, g_ = sp.symbols("fd w g", real=True)
    S.valid("0 ≤ f'(h) ≤ γ and f'(h)|w| > 1 ⇒ |w| > needs(γ)", [fd >= 0, fd <= g_, g_ > 0, g_ <= 1, w_ >= 0, fd * w_ > 1],
            w_ * g_ > ctx.st.needs(g_) * g_)
    c, q = sp.Symbol("c", positive=True), sp.Symbol("q", integer=True, positive=True)
    ensure(sp.limit((1 + c) ** q, q, sp.oo) == sp.oo, "c_j = 1 + c > 1 does not grow geometrically")
    ensure(S.dsig(sp.Integer(0)).rewrite(sp.exp) * 4 == 1, "σ'(0)·4c ≠ c (the chain factor at h_j = 0)")
    for act in ("sigmoid", "tanh"):
        N = net(act)
        for seed in (503, 603):
            P, x, _, vals = N.point(seed)
            F = s.factors(P, x, act)
            ensure(len(F) == len(N.F), f"factors: {len(F)} for {len(N.F)} layers")
            for j, (Fm, Fs) in enumerate(zip(F, N.F)):
                S.agree(f"factor {j} ({act})", Fm, S.evaluate(Fs, vals))
    return ("|f'(h)w| > 1 needs |w| > 1/|f'(h)| ≥ 1/γ since 0 ≤ f'(h) ≤ γ ≤ 1: > 4 for σ; exploding factors come from the weights",
            ("|f'(h)w| = |f'(h)|·|w| > 1 ⇔ |w| > 1/|f'(h)|, and |f'(h)| ≤ γ (DEEP-ACT-DERIV-SUP). Tie: subject factors "
            f"(diag(f'(h_(j+1))) W_(j+1)) on {DETAIL_SIZE} at 2 exact points per activation {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("0 ≤ f' ≤ γ ≤ 1 (DEEP-ACT-DERIV-SUP)", "a chain of any depth"),
                  steps=("z3: 0 ≤ f'(h) ≤ γ, f'(h)|w| > 1 ⇒ |w| > 1/γ", "SymPy: σ'(0)·4c = c, and (1 + c)^q → ∞"),
                  tied=(f"factors on {DETAIL_SIZE}, 2 exact points per activation",)))


@evidence("DEEP-EARLIER-SMALLER", "proof", statement={"ratio": 2 * (1 - S.sig(sp.Integer(-1)))},
          wrong={"ratio 2σ(−1) < 1": {"ratio": 2 * S.sig(sp.Integer(-1))}})
def deep_earlier_smaller_proof(s, ctx):
    """|∂z_n/∂z_i| ≤ ∏|w_j|/4, but |∂L/∂w_1| / |∂L/∂w_2| = w_2σ'(h_1)x/z_1 = 2σ(1) > 1 at w = (0, 1), b = (−1, 0), x = 2."""
    w1, w2, b1, b2, x, y = sp.symbols("w1 w2 b1 b2 x y")
    z1 = S.sig(w1 * x + b1)
    z2 = S.sig(w2 * z1 + b2)
    L = (z2 - y) ** 2 / 2
    g1, g2 = sp.diff(L, w1), sp.diff(L, w2)
    S.zero(g1 - (z2 - y) * S.dsig(w2 * z1 + b2) * w2 * S.dsig(w1 * x + b1) * x, "∂L/∂w_1 ≠ the product form")
    S.zero(g2 - (z2 - y) * S.dsig(w2 * z1 + b2) * z1, "∂L/∂w_2 ≠ the product form")
    pt = {w1: 0, w2: 1, b1: -1, b2: 0, x: 2, y: 0}
    ratio = sp.simplify((g1 / g2).xreplace(pt))
    ensure(sp.simplify((ratio - ctx.st.ratio).rewrite(sp.exp)) == 0, f"the ratio is {ratio}, not the stated {ctx.st.ratio}")
    ensure(sp.simplify((1 - S.sig(sp.Integer(-1))).rewrite(sp.exp) - 1 / (1 + sp.exp(-1))) == 0 and sp.exp(-1) < 1,
           "σ(1) = 1/(1 + e^(−1)) > 1/2")                             # so 2σ(1) > 1: the earlier weight's gradient is larger
    for act in ACT:
        N = net(act)
        for seed in (504, 604):
            P, xv, _, vals = N.point(seed)
            F = s.factors(P, xv, act)
            for j, want in enumerate(S.evaluate(list(N.F), vals)):
                S.agree(f"factor {j} ({act})", F[j], want)
    chain = {"W": [np.array([[0.0]]), np.array([[1.0]])], "b": [np.array([-1.0]), np.array([0.0])]}
    F = s.factors(chain, np.array([2.0]), "sigmoid")
    with mpmath.workdps(S.MP_DPS):
        sg = lambda u: 1 / (1 + mpmath.exp(-u))
        want = [float(sg(-1) * (1 - sg(-1)) * 0), float(sg(sg(-1)) * (1 - sg(sg(-1))) * 1)]
    S.agree("factors at the counterexample", np.array([float(np.ravel(f)[0]) for f in F]), np.array(want))
    return ("An earlier weight's gradient need not be smaller: at w = (0, 1), b = (−1, 0), x = 2 the ratio |∂L/∂w_1|/|∂L/∂w_2| is exactly 2σ(1) ≈ 1.46 > 1; only the bound ∏|w_j|/4 shrinks",
            ("SymPy: ∂L/∂w_1 = (z_2 − y)σ'(h_2)w_2σ'(h_1)x and ∂L/∂w_2 = (z_2 − y)σ'(h_2)z_1, so the ratio is w_2σ'(h_1)x/z_1, which at "
            "the point is 2(1 − σ(−1)) = 2σ(1) > 1 because e^(−1) < 1. The bound |∂z_n/∂z_i| ≤ ∏|w_j|/4 follows from σ' ≤ 1/4 "
            f"(ACT-SIGMOID-DERIV-BOUND). Tie: subject factors on {DETAIL_SIZE} (σ, tanh; 2 exact points) and on the counterexample chain "
            f"{S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("an existential refutation: one witness (a depth-2 σ chain) proves it",),
                  steps=("SymPy: ∂L/∂w_1 and ∂L/∂w_2 in product form", "SymPy: the ratio at the witness is 2σ(1) > 1 (e^(−1) < 1)"),
                  tied=(f"factors on {DETAIL_SIZE} (σ, tanh; 2 exact points)", "factors at the witness chain")))
