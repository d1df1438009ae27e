"""A fully connected net z_i = f(W_i z_{i−1} + b_i), and its gradient two ways.

Seed 000_f9b81ecfd7a6e498.txt draws a chain of one-node layers: h_i = w_i z_{i−1} + b_i,
z_i = f(h_i), and writes ∂Loss/∂w_i as a product whose middle factors are all
∂z_{j+1}/∂z_j = f'(h_{j+1})·w_{j+1}. Here the same net has n_i nodes per layer; the scalar
chain is the case n_i = 1. Indexing follows the seed (layers 1..n, z_0 = x), so in
the Python lists ``W[i-1]`` is W_i, ``h[i-1]`` is h_i and ``z[i]`` is z_i.

The loss is L = ½‖z_n − y‖² (squared error on the last activation, no separate output
function g), so ∂L/∂z_n = z_n − y.
"""

import itertools

import autograd.numpy as np
import numpy as onp
from autograd.tracer import getval
from vanishing.models._validate import as_array, check_choice, check_init
from vanishing.models.activations import ACTIVATIONS, get_activation

__all__ = ["backprop", "chain_factors", "dL_dw_product_form", "forward", "init_params", "loss"]


# ---------------------------------------------------------------- validation
def _unbox(c):
    """A dict/list that autograd boxed (DictBox, SequenceBox) as a plain dict/list of boxed entries."""
    v = getval(c)
    if isinstance(v, dict):
        return {k: c[k] for k in v}
    if isinstance(v, (list, tuple)):
        return [c[i] for i in range(len(v))]
    return c


def _check(params, x, act, y=None):
    """Validate params = {"W": [W_1..W_n], "b": [b_1..b_n]}, x (n_0,), act, and y (n_n,)."""
    params = _unbox(params)
    if isinstance(params, dict):
        params = {k: _unbox(v) for k, v in params.items()}
    if not isinstance(params, dict) or sorted(params) != ["W", "b"]:
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params: expected a dict with keys ['W', 'b'], got {got}")
    Ws, bs = params["W"], params["b"]
    if not isinstance(Ws, (list, tuple)) or not isinstance(bs, (list, tuple)):
        raise ValueError("params: expected 'W' and 'b' to be lists of arrays, one per layer")  # noqa: TRY004 (DESIGN.md: a bad call raises ValueError)
    if len(Ws) == 0 or len(Ws) != len(bs):
        raise ValueError(f"params: expected equally long non-empty 'W' and 'b' lists, got {len(Ws)} and {len(bs)}")
    check_choice("act", act, list(ACTIVATIONS))
    x = as_array("x", x, shape=(None,))
    n_prev = x.shape[0]
    W_out, b_out = [], []
    for i, (W, b) in enumerate(zip(Ws, bs), start=1):
        W = as_array(f"params['W'][{i - 1}] (W_{i})", W, shape=(None, n_prev))
        n_i = W.shape[0]
        b = as_array(f"params['b'][{i - 1}] (b_{i})", b, shape=(n_i,))
        W_out.append(W)
        b_out.append(b)
        n_prev = n_i
    out = [{"W": W_out, "b": b_out}, x, get_activation(act, kernels=True)]
    if y is not None:
        out.append(as_array("y", y, shape=(n_prev,)))
    return out


# ---------------------------------------------------------------- forward
def _forward(P, x, a):
    hs, zs = [], [x]                                         # z_0 = x               (seed 000)
    for W, b in zip(P["W"], P["b"]):
        h = np.dot(W, zs[-1]) + b                            # h_i = W_i z_{i−1} + b_i (seed 000; its "h_3 = w_2·z_2 + b_2" slips an index)
        hs.append(h)
        zs.append(a.f(h))                                    # z_i = f(h_i)           (seed 000)
    return {"h": hs, "z": zs}


def forward(params, x, act="sigmoid"):
    """h_i = W_i z_{i−1} + b_i, z_i = f(h_i), z_0 = x; returns {"h": [h_1..h_n], "z": [z_0..z_n]}."""
    P, x, a = _check(params, x, act)
    return _forward(P, x, a)


def loss(params, x, y, act="sigmoid"):
    """L = ½‖z_n − y‖², the squared error of the last activation z_n against target y."""
    P, x, a, y = _check(params, x, act, y)
    r = _forward(P, x, a)["z"][-1] - y
    return 0.5 * np.dot(r, r)


# ---------------------------------------------------------------- backward: delta recursion
def backprop(params, x, y, act="sigmoid"):
    """δ_n = (z_n − y)⊙f'(h_n), δ_i = f'(h_i)⊙W_{i+1}ᵀδ_{i+1}; ∂L/∂W_i = δ_i z_{i−1}ᵀ, ∂L/∂b_i = δ_i."""
    P, x, a, y = _check(params, x, act, y)
    fw = _forward(P, x, a)
    hs, zs, Ws = fw["h"], fw["z"], P["W"]
    n = len(Ws)
    gW, gb = [None] * n, [None] * n
    # δ_i := ∂L/∂h_i.   Rumelhart, Hinton & Williams 1986; Goodfellow et al. 2016 §6.5.4, Algorithm 6.4
    delta = (zs[n] - y) * a.df(hs[n - 1])                    # δ_n = ∂L/∂z_n ⊙ f'(h_n) = (z_n − y) ⊙ f'(h_n)
    for i in range(n, 0, -1):                                # i = n, …, 1 (layer numbers)
        gW[i - 1] = np.outer(delta, zs[i - 1])               # ∂L/∂W_i = δ_i z_{i−1}ᵀ   (h_i = W_i z_{i−1} + b_i)
        gb[i - 1] = delta                                    # ∂L/∂b_i = δ_i
        if i > 1:
            delta = a.df(hs[i - 2]) * np.dot(Ws[i - 1].T, delta)  # δ_{i−1} = f'(h_{i−1}) ⊙ W_iᵀ δ_i
    return {"W": gW, "b": gb}


# ---------------------------------------------------------------- backward: the seed's product form
def _factors(P, x, a):
    fw = _forward(P, x, a)
    # ∂z_{i+1}/∂z_i = ∂f(h_{i+1})/∂h_{i+1} · ∂h_{i+1}/∂z_i = diag(f'(h_{i+1})) W_{i+1}
    #   (seed 000: "f'(h_3)·w"; the seed's text writes that factor as f'(h_3)·w_2 — see note in dL_dw_product_form)
    return fw, [a.df(h)[:, None] * W for h, W in zip(fw["h"], P["W"])]


def chain_factors(params, x, act="sigmoid"):
    """[∂z_1/∂z_0, …, ∂z_n/∂z_{n−1}] with ∂z_{i+1}/∂z_i = diag(f'(h_{i+1})) W_{i+1}, shape (n_{i+1}, n_i)."""
    P, x, a = _check(params, x, act)
    return _factors(P, x, a)[1]


def dL_dw_product_form(params, x, y, i, act="sigmoid"):
    """∂L/∂W_i = (∂L/∂z_n · Π_{j=n−1…i} ∂z_{j+1}/∂z_j) · ∂z_i/∂W_i, i the layer number 1..n (seed 000)."""
    P, x, a, y = _check(params, x, act, y)
    n = len(P["W"])
    if isinstance(i, bool) or not isinstance(i, (int, onp.integer)) or not 1 <= i <= n:
        raise ValueError(f"i: expected a layer number in 1..{n} (W_i is params['W'][i-1]), got {i!r}")
    fw, F = _factors(P, x, a)
    # seed 000: ∂L/∂w_1 = ∂L/∂ŷ · ∂ŷ/∂z_3 · ∂z_3/∂z_2 · ∂z_2/∂z_1 · ∂z_1/∂w_1  (there ŷ = g(z_3); here ŷ = z_n)
    # The seed writes the middle factor as f'(h_3)·w_2, but h_3 = w_3 z_2 + b_3, so it is f'(h_3)·w_3:
    # the factor carries the weight of the *later* layer, F[j] = ∂z_{j+1}/∂z_j = diag(f'(h_{j+1})) W_{j+1}.
    M = np.eye(len(fw["z"][n]))                              # ∂z_n/∂z_n = I
    for j in range(n - 1, i - 1, -1):                        # ∂z_n/∂z_i = F[n−1] F[n−2] ⋯ F[i]   (n − i factors, seed 000)
        M = np.dot(M, F[j])
    dL_dzi = np.dot(fw["z"][n] - y, M)                       # ∂L/∂z_i = (z_n − y)ᵀ ∂z_n/∂z_i
    # ∂z_i[p]/∂W_i[p', q] = f'(h_i[p]) [p = p'] z_{i−1}[q], so contracting with ∂L/∂z_i:
    return np.outer(dL_dzi * a.df(fw["h"][i - 1]), fw["z"][i - 1])   # ∂L/∂W_i = (∂L/∂z_i ⊙ f'(h_i)) z_{i−1}ᵀ


# ---------------------------------------------------------------- initialisation
def init_params(sizes, rng, scale=1.0):
    """W_i ~ scale·N(0, 1) of shape (n_i, n_{i−1}), b_i = 0 (seed 000: "weights ... from a standard normal")."""
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2 or not all(
        isinstance(s, (int, onp.integer)) and not isinstance(s, bool) and s >= 1 for s in sizes
    ):
        raise ValueError(f"sizes: expected a list [n_0, n_1, ..., n_n] of at least 2 positive ints, got {sizes!r}")
    scale = check_init(rng, scale)
    W = [scale * rng.standard_normal((int(m), int(k))) for k, m in itertools.pairwise(sizes)]
    b = [onp.zeros(int(m)) for m in sizes[1:]]
    return {"W": W, "b": b}
