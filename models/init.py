"""Weight initialisers and the deep linear map they are studied on (Glorot & Bengio 2010, He et al. 2015, Saxe et al. 2014).

Closed forms (variances, bounds, standard deviations) for the fan-in n_in and fan-out n_out of a layer, the samplers
that draw from them, and W_L ⋯ W_1, the input-output Jacobian of a deep linear net.
"""

import math
from functools import reduce

import numpy as np
from vanishing.models._validate import as_array, check_init

__all__ = ["batched_product", "deep_product", "gaussian", "glorot_uniform_bound", "glorot_variance", "he_std", "orthogonal",
           "standard_uniform_bound", "uniform"]


def _width(name, n):
    """A layer width as a float > 0 (a one-line ValueError otherwise)."""
    v = float(as_array(name, n, shape=()))
    if not v > 0:
        raise ValueError(f"{name}: expected a width > 0, got {n!r}")
    return v


def glorot_variance(n_in, n_out):
    """Var[W] = 2/(n_in + n_out) (Glorot & Bengio 2010, eq. 12: the compromise of the forward and backward conditions)."""
    return 2.0 / (_width("n_in", n_in) + _width("n_out", n_out))


def glorot_uniform_bound(n_in, n_out):
    """a = √6/√(n_in + n_out): U[−a, a] has variance a²/3 = 2/(n_in + n_out) (Glorot & Bengio 2010, eq. 16)."""
    return math.sqrt(6.0) / math.sqrt(_width("n_in", n_in) + _width("n_out", n_out))


def standard_uniform_bound(n):
    """a = 1/√n: the 'standard' initialisation U[−1/√n, 1/√n] (Glorot & Bengio 2010, eq. 1)."""
    return 1.0 / math.sqrt(_width("n", n))


def he_std(n):
    """std = √(2/n): He et al. 2015's fan-in rule for ReLU layers (Var[w] = 2/n_l)."""
    return math.sqrt(2.0 / _width("n", n))


def uniform(rng, a, size):
    """Draws from U[−a, a]."""
    a = check_init(rng, a)
    return rng.uniform(-a, a, size)


def gaussian(rng, n, m=None):
    """m independent n×n matrices with iid N(0, 1/n) entries (Saxe et al. 2014 §3: std 1/√N)."""
    check_init(rng, 1.0)
    return rng.standard_normal((m, n, n)) / math.sqrt(_width("n", n))


def orthogonal(rng, n, m=None):
    """m Haar-distributed n×n orthogonal matrices (QR of a Gaussian with the signs of R's diagonal fixed)."""
    check_init(rng, 1.0)
    _width("n", n)
    q, r = np.linalg.qr(rng.standard_normal((m, n, n)))
    return q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]


def deep_product(Ws):
    """W_L ⋯ W_1 for Ws = [W_1, …, W_L]: the input-output Jacobian of the deep linear map."""
    return reduce(lambda P, W: W @ P, Ws, np.eye(Ws[0].shape[1]))


def batched_product(Ws):
    """W_L ⋯ W_1 for each of a batch: Ws has shape (L, m, n, n)."""
    P = Ws[0]
    for W in Ws[1:]:
        P = W @ P
    return P
