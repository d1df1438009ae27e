"""Elementwise activations f and their hand-derived derivatives f'.

Each value function sits beside its derivative. The derivatives are derived by
hand (never by autograd), and written so that no finite float64 input gives an
overflow warning, a NaN, or a loss of relative accuracy from cancellation.
The values are written in ``autograd.numpy``, so autograd can differentiate them
and serve as an independent oracle for the hand-derived ``*_prime``.

Seed 000_f9b81ecfd7a6e498.txt names the candidates (sigmoid, inverse tangent,
ReLU) and why they matter: every backward factor is f'(h)·w, so sup|f'| bounds
how fast a chain of them shrinks.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

import autograd.numpy as np
from vanishing.models._validate import as_array, check_choice, unvalidated

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "arctan",
    "arctan_prime",
    "get_activation",
    "identity",
    "identity_prime",
    "leaky_relu",
    "leaky_relu_prime",
    "log_sigmoid",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "softplus",
    "softplus_prime",
    "tanh",
    "tanh_prime",
]


def _x(x):
    return as_array("x", x)


def _slope(alpha):
    a = as_array("alpha", alpha, shape=())
    return float(a) if getattr(a, "_value", None) is None else a


# ---------------------------------------------------------------- sigmoid
def sigmoid(x):
    """σ(x) = 1/(1+e^{−x}), evaluated so that it neither overflows nor loses relative accuracy in either tail."""
    return _sigmoid(_x(x))


def _sigmoid(x):
    """Unvalidated body of :func:`sigmoid` (``x`` already validated: the models' inner loops call this)."""
    # x ≥ 0: 1/(1+e^{−x});  x < 0: e^{x}/(1+e^{x})  (the same function; each exponent is ≤ 0, so no overflow,
    # and the negative tail keeps full relative accuracy: σ(−40) = 4.2e-18, not 0 as ½(1+tanh(x/2)) gives).
    # One exponential serves both sides, e = e^{−|x|} ≤ 1, and np.where evaluates both quotients, each finite
    # (1 ≤ 1+e ≤ 2); autograd then differentiates the side that is taken (at x = 0 the first: σ'(0) = 1/4).
    # The same values and derivatives, bit for bit, as one exponential per side, in 8 primitives instead of
    # 13: σ is the models' most frequent call, and each primitive is an autograd node (issue 8, speed).
    pos = x >= 0
    e = np.exp(np.where(pos, -x, x))
    d = 1.0 + e
    return np.where(pos, 1.0 / d, e / d)
    # In float64 fl(σ(x)) = 1 exactly once 1 + e^{−x} rounds to 1, i.e. x ≥ 53·ln 2 ≈ 36.737 (IEEE 754 binary64; docs/SOURCES.md).


def sigmoid_prime(x):
    """σ'(x) = σ(x)(1−σ(x)) = ¼·sech²(x/2), at most 1/4 (exactly 1/4 at x = 0, and never above it in floats)."""
    return _sigmoid_prime(_x(x))


def _sigmoid_prime(x):
    """Unvalidated body of :func:`sigmoid_prime` (``x`` already validated: the models' inner loops call this)."""
    # σ' = e^{−x}/(1+e^{−x})² = σ(x)·(1−σ(x))          (quotient rule; seed 000_f9b81ecfd7a6e498.txt "derivative of a sigmoid < 0.25")
    #    = 1/(e^{x/2}+e^{−x/2})² = ¼·sech²(x/2)         (σ(x) = ½(1+tanh(x/2)), so σ' = ¼·tanh'(x/2))
    return 0.25 * _tanh_prime(0.5 * x)


# ---------------------------------------------------------------- tanh
def tanh(x):
    """tanh(x) = (e^x − e^{−x})/(e^x + e^{−x}), written so that autograd's derivative of it never overflows."""
    return _tanh(_x(x))


def _tanh(x):
    """Unvalidated body of :func:`tanh` (``x`` already validated: the models' inner loops call this)."""
    # autograd differentiates np.tanh as g/cosh(x)², and cosh(x)² overflows (a RuntimeWarning, an error under
    # pytest) once |x| > 355: a tanh RNN at pre-activation 1e3 could not be differentiated without a warning.
    # So np.tanh only sees |x| < 300; beyond, the same function in the form that keeps its exponent ≤ 0:
    #   tanh(x) = sign(x)·(1 − 2e/(1+e)),  e = e^{−2|x|}   (tanh|x| = (1−e)/(1+e) = 1 − 2e/(1+e))
    # whose derivative autograd builds as sign(x)·(−2)·(−2·sign(x)·e)/(1+e)² = 4e/(1+e)² = sech²(x) (no overflow).
    # The values are bit-for-bit np.tanh's: for |x| ≥ 300, 2e/(1+e) < 1e-260 and both round to ±1 exactly.
    # np.where evaluates both branches, so each is fed an argument on its own side (as in sigmoid above).
    # There 2e/(1+e) = 2e to far below an ulp of 1 (e < 1e-260), and so is the derivative 4e/(1+e)² = 4e: the
    # far branch is written sign(x)·(1 − 2e), two primitives fewer, with the same values and derivatives.
    ax = np.abs(x)
    inner = ax < 300.0
    e = np.exp(-2.0 * np.where(inner, 300.0, ax))
    return np.where(inner, np.tanh(np.where(inner, x, 0.0)), np.sign(x) * (1.0 - 2.0 * e))


def tanh_prime(x):
    """tanh'(x) = 1 − tanh²(x) = 4e^{−2|x|}/(1+e^{−2|x|})², at most 1 (at x = 0)."""
    return _tanh_prime(_x(x))


def _tanh_prime(x):
    """Unvalidated body of :func:`tanh_prime` (``x`` already validated: the models' inner loops call this)."""
    # tanh' = 1 − tanh² = sech²(x)                           (seed 003_e8e07349f9f637ad.txt uses it in eq. (2))
    # sech²(x) = 4/(e^{x}+e^{−x})² = 4e^{−2|x|}/(1+e^{−2|x|})²  (even in x; e^{−2|x|} ≤ 1, so no overflow,
    #                                                       and no 1−tanh² cancellation once tanh rounds to ±1)
    # Two forms, each where it is exact to a few ulps and can never exceed the bound 1:
    #   |x| ≤ 20: 1/cosh²(x). cosh(x) ≥ 1 in floats, so the result is ≤ 1 (the form 4e/(1+e)² rounds
    #             to 1 + 2⁻⁵² near x = 0, one ulp above the true supremum). cosh²(20) ≈ 5.9e16, far below
    #             the overflow threshold of float32 (3.4e38) as well as float64: float32 inputs stay in
    #             float32 (as_array keeps the dtype), and cosh overflows float32 already past |x| ≈ 89.4
    #             (the former cut at 300 warned "overflow encountered in cosh" for float32 |x| > 89.4).
    #   |x| > 20: 4e/(1+e)² with e = e^{−2|x|} < 4.3e-18: −2|x| is exact, e^{−2|x|} is good to an ulp and
    #             (1+e)² to an ulp, so the value has a relative error of a few ulps; e underflows to 0
    #             (no warning: numpy ignores underflow) only where tanh' itself is below the smallest subnormal.
    # np.where evaluates both branches, so each is fed an argument clipped to its own range.
    ax = np.abs(x)
    small = 1.0 / np.cosh(np.minimum(ax, 20.0)) ** 2
    e = np.exp(-2.0 * np.maximum(ax, 20.0))
    return np.where(ax <= 20.0, small, 4.0 * e / (1.0 + e) ** 2)


# ---------------------------------------------------------------- ReLU
def relu(x):
    """relu(x) = max(x, 0); written with where so autograd also gives relu'(0) = 0."""
    return _relu(_x(x))


def _relu(x):
    """Unvalidated body of :func:`relu` (``x`` already validated: the models' inner loops call this)."""
    return np.where(x > 0, x, 0.0)


def relu_prime(x):
    """relu'(x) = 1 if x > 0 else 0; at the kink relu'(0) := 0 (PyTorch's choice)."""
    return _relu_prime(_x(x))


def _relu_prime(x):
    """Unvalidated body of :func:`relu_prime` (``x`` already validated: the models' inner loops call this)."""
    # d/dx max(x, 0) = [x > 0]; the subgradient at 0 is [0, 1] and we pick 0, like torch.relu's backward
    return np.where(x > 0, 1.0, 0.0)


# ---------------------------------------------------------------- leaky ReLU
def leaky_relu(x, alpha=0.01):
    """leaky_relu(x) = x if x > 0 else α·x (α = 0.01 is torch's default negative_slope)."""
    return _leaky_relu(_x(x), _slope(alpha))


def _leaky_relu(x, alpha=0.01):
    """Unvalidated body of :func:`leaky_relu`."""
    return np.where(x > 0, x, alpha * x)


def leaky_relu_prime(x, alpha=0.01):
    """leaky_relu'(x) = 1 if x > 0 else α; at the kink leaky_relu'(0) := α (PyTorch's choice)."""
    return _leaky_relu_prime(_x(x), _slope(alpha))


def _leaky_relu_prime(x, alpha=0.01):
    """Unvalidated body of :func:`leaky_relu_prime`."""
    # d/dx = [x > 0] + α[x ≤ 0]; torch's leaky_relu_backward uses x > 0 ? g : g·α, so 0 takes α
    return np.where(x > 0, 1.0, alpha)


# ---------------------------------------------------------------- arctan
def arctan(x):
    """arctan(x), the inverse tangent, with range (−π/2, π/2)."""
    return _arctan(_x(x))


def _arctan(x):
    """Unvalidated body of :func:`arctan`."""
    return np.arctan(x)


def arctan_prime(x):
    """arctan'(x) = 1/(1+x²), computed as r²/(1+r²) with r = 1/x when |x| > 1 (no overflow)."""
    return _arctan_prime(_x(x))


def _arctan_prime(x):
    """Unvalidated body of :func:`arctan_prime` (``x`` already validated: the models' inner loops call this)."""
    # d/dx arctan x = 1/(1+x²)                               (inverse-function rule: 1/sec²(arctan x))
    # for |x| > 1:  1/(1+x²) = (1/x)²/(1+(1/x)²)             (divide numerator and denominator by x²)
    # np.where evaluates both branches, so each branch gets an input on which it is safe:
    big = np.abs(x) > 1.0
    small_x = np.where(big, 0.0, x)                         # |small_x| ≤ 1: x² cannot overflow
    r = 1.0 / np.where(big, x, 1.0)                          # |r| < 1 and never 1/0
    return np.where(big, r * r / (1.0 + r * r), 1.0 / (1.0 + small_x * small_x))


# ---------------------------------------------------------------- identity
def identity(x):
    """identity(x) = x (the LSTM cell's linear self-loop; seed 000_f9b81ecfd7a6e498.txt)."""
    return _identity(_x(x))


def _identity(x):
    """Unvalidated body of :func:`identity`."""
    return 1.0 * x


def identity_prime(x):
    """identity'(x) = 1 everywhere."""
    return _identity_prime(_x(x))


def _identity_prime(x):
    """Unvalidated body of :func:`identity_prime`."""
    return np.ones_like(x)


# ---------------------------------------------------------------- registry
@dataclass(frozen=True)
class Activation:
    """f, f' and the facts a bound needs: sup_x |f'(x)|, where it is attained, and inf/sup of f."""

    name: str
    f: Callable
    df: Callable
    deriv_sup: float                 # sup over real x of |f'(x)|
    deriv_sup_at: float | None    # a point x* with |f'(x*)| = deriv_sup, or None if never attained
    range_lo: float | None        # inf f (not necessarily attained: sigmoid's 0 is approached only); None if −∞
    range_hi: float | None        # sup f (same remark); None if +∞


ACTIVATIONS = {
    # σ' = σ(1−σ) ≤ 1/4 with equality iff σ = 1/2 iff x = 0 (AM–GM)
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, 0.25, 0.0, 0.0, 1.0),
    # tanh' = sech² ≤ 1 with equality iff x = 0
    "tanh": Activation("tanh", tanh, tanh_prime, 1.0, 0.0, -1.0, 1.0),
    # relu' ∈ {0, 1}; equals 1 at every x > 0, e.g. x = 1
    "relu": Activation("relu", relu, relu_prime, 1.0, 1.0, 0.0, None),
    # leaky' ∈ {1, α} with α = 0.01: sup = max(1, |α|) = 1, attained at every x > 0
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_prime, 1.0, 1.0, None, None),
    # arctan' = 1/(1+x²) ≤ 1 with equality iff x = 0; range (−π/2, π/2), never attained
    "arctan": Activation("arctan", arctan, arctan_prime, 1.0, 0.0, -float(np.pi) / 2, float(np.pi) / 2),
    # identity' ≡ 1, attained everywhere, e.g. x = 0
    "identity": Activation("identity", identity, identity_prime, 1.0, 0.0, None, None),
}


#: The same rows with ``f`` and ``df`` evaluated inside validated_once (models/_validate.py), for the inner loops of
#: the models: their public entry points validate every array once, so a per-step call need not check it again.
_KERNELS = {name: replace(a, f=unvalidated(a.f), df=unvalidated(a.df)) for name, a in ACTIVATIONS.items()}


def get_activation(name, kernels=False):
    """ACTIVATIONS[name]; a ValueError lists the valid names.

    ``kernels=True`` gives the same entry with ``f`` and ``df`` that skip input validation (they run inside
    validated_once): only for arrays a public entry point has already validated (a model's per-step calls).
    """
    name = check_choice("act", name, list(ACTIVATIONS))
    return _KERNELS[name] if kernels else ACTIVATIONS[name]


# ---------------------------------------------------------------- softplus (the modern cells: Mamba's Δ, minGRU's log-space gates)
def softplus(x):
    """softplus(x) = log(1 + e^x), evaluated so that it neither overflows nor loses accuracy in either tail."""
    return _softplus(_x(x))


def _softplus(x):
    """Unvalidated body of :func:`softplus` (``x`` already validated: the models' inner loops call this)."""
    # log(1 + e^x) = max(x, 0) + log1p(e^{−|x|}): the exponent is ≤ 0, so no overflow at x = 1e3 (the naive form
    # gives inf), and log1p keeps the negative tail's relative accuracy (softplus(−40) = 4.2e-18, not 0).
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def softplus_prime(x):
    """softplus'(x) = σ(x), in (0, 1)."""
    return _softplus_prime(_x(x))


def _softplus_prime(x):
    """Unvalidated body of :func:`softplus_prime`."""
    # d/dx log(1 + e^x) = e^x/(1 + e^x) = σ(x)  (chain rule); the stable σ above
    return _sigmoid(x)


def log_sigmoid(x):
    """log σ(x) = −softplus(−x): finite for every finite x (log σ(−1e3) = −1e3, not log 0)."""
    return -_softplus(-_x(x))
