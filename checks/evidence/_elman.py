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

ACT = {"tanh": (S.th, S.dtanh), "sigmoid": (S.sig, S.dsig)}


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
