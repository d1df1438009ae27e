"""The Elman RNN h_t = g(W h_{t−1} + U x_t + b) in SymPy, at a fixed size with every entry a symbol.

The derivations here do not depend on the subject under test, so each is built once per process
(``functools.lru_cache``) and shared by the proofs of several claims; every proof still re-runs its
identities' final check and its tie to the model on every call.
"""

import functools

import numpy as np
import sympy as sp
from autograd.misc import flatten
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure

ACT = {"tanh": (S.th, S.dtanh), "sigmoid": (S.sig, S.dsig)}


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
