"""Hypothesis strategies, named after their preconditions.

They know shapes and preconditions, never claims. Elements are always explicit:
finite, bounded, float64, no subnormals unless asked. Sizes are small by default.
Every strategy here is exercised by ``tests/checks/test_strategies.py``, which also
checks that it produces non-trivial values.

The factories are cached (``functools.cache``): Hypothesis validates a strategy object the
first time it is drawn from, and the claim checks draw parametrised strategies inside
composites (sizes depend on earlier draws), so each distinct one is built once and reused.
Call them with hashable arguments (numbers, tuples, strategies).
"""

import functools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "floats", "vectors", "matrices", "dims", "unit_vectors",
    "matrices_with_spectral_norm", "orthogonal_matrices", "nilpotent_matrices",
    "non_normal_matrices", "ill_conditioned_matrices", "sequences",
    "saturated_preactivations", "preactivations", "away_from",
    "rnn_params", "lstm_params", "gru_params", "gradient_lists", "positive_floats", "square_blocks",
]


@functools.cache
def floats(lo=-10.0, hi=10.0):
    """Finite float64 in [lo, hi], no NaN, no infinity, no subnormals."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)


@functools.cache
def positive_floats(lo=1e-3, hi=1e3):
    """Finite float64 in [lo, hi] with lo > 0."""
    if lo <= 0:
        raise ValueError(f"positive_floats: lo must be > 0, got {lo}")
    return floats(lo, hi)


@functools.cache
def dims(lo=1, hi=4):
    """A small dimension."""
    return st.integers(lo, hi)


@functools.cache
def vectors(n, lo=-3.0, hi=3.0):
    """Float64 vectors of length n with entries in [lo, hi]."""
    return hnp.arrays(np.float64, (n,), elements=floats(lo, hi))


@functools.cache
def matrices(m, n, lo=-3.0, hi=3.0):
    """Float64 (m, n) matrices with entries in [lo, hi]."""
    return hnp.arrays(np.float64, (m, n), elements=floats(lo, hi))


@functools.cache
def unit_vectors(n):
    """Vectors of Euclidean norm 1 (drawn from non-degenerate vectors)."""
    return vectors(n, -1.0, 1.0).filter(lambda v: np.linalg.norm(v) > 1e-3).map(lambda v: v / np.linalg.norm(v))


def _gaussian(n, m, seed):
    return np.random.default_rng(seed).standard_normal((n, m))


@functools.cache
def orthogonal_matrices(n):
    """Orthogonal (n, n) matrices: QR of a Gaussian with the sign fix (Haar distributed)."""
    def make(seed):
        q, r = np.linalg.qr(_gaussian(n, n, seed))
        return q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))
    return st.integers(0, 2**32 - 1).map(make)


@functools.cache
def matrices_with_spectral_norm(n, norm, m=None):
    """(n, m) matrices whose largest singular value equals ``norm`` (a float or a strategy)."""
    m = n if m is None else m
    if not isinstance(norm, st.SearchStrategy) and not (np.isfinite(norm) and norm > 0):
        raise ValueError(f"matrices_with_spectral_norm: norm must be a finite value > 0 or a strategy, got {norm!r}")
    norms = norm if isinstance(norm, st.SearchStrategy) else st.just(float(norm))

    def make(a, s):
        return a * (s / np.linalg.norm(a, 2))
    return st.builds(make, matrices(n, m, -1.0, 1.0).filter(lambda a: np.linalg.norm(a, 2) > 1e-2), norms)


@functools.cache
def nilpotent_matrices(n, scale=3.0):
    """Nilpotent (n, n) matrices: a similarity transform of a strictly upper-triangular one (N**n == 0)."""
    def make(u, q):
        return q @ np.triu(u, 1) @ q.T
    return st.builds(make, matrices(n, n, -scale, scale), orthogonal_matrices(n))


@functools.cache
def non_normal_matrices(n, spectral_radius=0.5, coupling=(1.0, 20.0)):
    """Upper-triangular matrices with eigenvalues of modulus <= spectral_radius and strong off-diagonal coupling.

    Their norm can greatly exceed their spectral radius (transient growth).
    """
    def make(d, u, c, q):
        t = np.diag(d) + c * np.triu(u, 1)
        return q @ t @ q.T
    return st.builds(make, vectors(n, -spectral_radius, spectral_radius), matrices(n, n, -1.0, 1.0),
                     floats(*coupling), orthogonal_matrices(n)).filter(lambda a: np.linalg.norm(a, 2) > 1.0 if n > 1 else True)


@functools.cache
def ill_conditioned_matrices(n, log10_cond=(4.0, 12.0), norm=1.0):
    """(n, n) matrices U diag(s) Vᵀ with σ_max = norm and condition number 10**k, k drawn from log10_cond."""
    def make(u, v, k):
        s = norm * np.logspace(0.0, -k, n)
        return u @ np.diag(s) @ v.T
    return st.builds(make, orthogonal_matrices(n), orthogonal_matrices(n), floats(*log10_cond))


@functools.cache
def sequences(T, D, lo=-3.0, hi=3.0):
    """Input sequences of shape (T, D)."""
    return matrices(T, D, lo, hi)


@functools.cache
def saturated_preactivations(n, lo=20.0, hi=1e3):
    """Pre-activations with every |a| in [lo, hi]: gates and tanh saturate (sigmoid rounds to 1.0 above ~36.7)."""
    mag = hnp.arrays(np.float64, (n,), elements=floats(lo, hi))
    sign = hnp.arrays(np.bool_, (n,))
    return st.builds(lambda m, s: np.where(s, m, -m), mag, sign)


@functools.cache
def preactivations(n, hi=1e3):
    """Pre-activations mixing moderate values, saturating ones up to ``hi`` and exact zeros."""
    return st.one_of(vectors(n, -4.0, 4.0), saturated_preactivations(n, 4.0, hi),
                     hnp.arrays(np.float64, (n,), elements=st.one_of(st.just(0.0), floats(-hi, hi))))


def away_from(strategy, points, margin):
    """Values of ``strategy`` at least ``margin`` from every point (kinks): the precondition is stated, not hidden."""
    if not margin > 0:
        raise ValueError(f"away_from: margin must be > 0, got {margin!r}")
    pts = np.asarray(points, dtype=np.float64)
    return strategy.filter(lambda x: bool(np.all(np.abs(np.subtract.outer(np.ravel(x), pts)) >= margin)))


@functools.cache
def rnn_params(H, D, weight_scale=1.0):
    """Canonical Elman-RNN parameters ``{W_hh (H,H), W_xh (H,D), b (H,)}``."""
    w = weight_scale
    return st.fixed_dictionaries({"W_hh": matrices(H, H, -w, w), "W_xh": matrices(H, D, -w, w), "b": vectors(H, -w, w)})


@functools.cache
def lstm_params(H, D, weight_scale=1.0, variant="forget"):
    """Canonical LSTM parameters: gate blocks (i, f, g, o), or (i, g, o) for the 1997 'cec' variant."""
    if variant not in ("forget", "cec", "peephole"):
        raise ValueError(f"lstm_params: variant must be one of ['forget', 'cec', 'peephole'], got {variant!r}")
    n = 3 if variant == "cec" else 4
    w = weight_scale
    d = {"W_x": matrices(n * H, D, -w, w), "W_h": matrices(n * H, H, -w, w), "b": vectors(n * H, -w, w)}
    if variant == "peephole":
        d.update(p_i=vectors(H, -w, w), p_f=vectors(H, -w, w), p_o=vectors(H, -w, w))
    return st.fixed_dictionaries(d)


@functools.cache
def gru_params(H, D, weight_scale=1.0):
    """Canonical GRU parameters: gate blocks (r, z, n), two bias vectors."""
    w = weight_scale
    return st.fixed_dictionaries({"W_x": matrices(3 * H, D, -w, w), "W_h": matrices(3 * H, H, -w, w),
                                  "b_x": vectors(3 * H, -w, w), "b_h": vectors(3 * H, -w, w)})


@functools.cache
def gradient_lists(max_tensors=4, max_size=5, lo=-1e3, hi=1e3):
    """Lists of 1..max_tensors gradient arrays of assorted small shapes, entries in [lo, hi]."""
    shapes = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=max_size)
    return st.lists(shapes.flatmap(lambda s: hnp.arrays(np.float64, s, elements=floats(lo, hi))), min_size=1, max_size=max_tensors)


@functools.cache
def square_blocks(H, scale):
    """An H×H recurrent block of one of the hard kinds: dense, orthogonal, nilpotent, ill-conditioned, non-normal."""
    return st.one_of(matrices(H, H, -scale, scale),
                     orthogonal_matrices(H).map(lambda q: scale * q),
                     nilpotent_matrices(H, scale),
                     ill_conditioned_matrices(H, norm=scale),
                     non_normal_matrices(H))
