"""Leaky units: h_t = α h_{t−1} + (1−α) g(W_hh h_{t−1} + W_xh x_t + b), RNN layout, 0 ≤ α ≤ 1.

Seed 001_4c6834f2b5048873.txt: "hidden units with linear self-connections ... with a weight
near 1" let the unit access values from the past. The update is the running average
μ_t = α μ_{t−1} + (1−α) v_t of Goodfellow, Bengio & Courville 2016, Deep Learning §10.9.2
("Leaky Units and a Spectrum of Different Time Scales"; Mozer 1992; El Hihi & Bengio 1996);
α near 1 remembers long, α = 0 is the Elman RNN of ``rnn.py``.

The Jacobian is J_t = α I + (1−α) diag(g'(a_t)) W_hh, so ‖J_t‖ ≥ α − (1−α)‖diag(g')W_hh‖:
the linear self-loop keeps a path whose factor per step is α, not f'(h)·w.
"""

import autograd.numpy as np
from autograd.tracer import getval
from vanishing.models import rnn
from vanishing.models._validate import as_array

__all__ = ["forward", "jacobian_products", "step", "step_jacobian"]


def _alpha(alpha):
    """Validate α as a finite scalar in [0, 1]; autograd boxes pass through (α may be differentiated)."""
    a = as_array("alpha", alpha, shape=())
    if not 0.0 <= float(getval(a)) <= 1.0:
        raise ValueError(f"alpha: expected a scalar in [0, 1], got {float(getval(a))!r}")
    return a


def _leak(alpha, h_prev, g, a):
    return alpha * h_prev + (1.0 - alpha) * g.f(a)                     # h_t = α h_{t−1} + (1−α) g(a_t)   (Goodfellow §10.9.2)


def step(params, h_prev, x, alpha, act="tanh"):
    """h_t = α h_{t−1} + (1−α) g(a_t), a_t = W_hh h_{t−1} + W_xh x_t + b."""
    P, h_prev, x, g = rnn._check(params, h_prev, "h_prev", act, x=x)
    alpha = _alpha(alpha)
    return _leak(alpha, h_prev, g, rnn._pre(P, h_prev, x))


def _run(P, h0, xs, alpha, g):
    a_s, h_s = [], [h0]
    for t in range(xs.shape[0]):
        a_s.append(rnn._pre(P, h_s[-1], xs[t]))                         # a_t = W_hh h_{t−1} + W_xh x_t + b
        h_s.append(_leak(alpha, h_s[-1], g, a_s[-1]))
    return a_s, h_s


def forward(params, h0, xs, alpha, act="tanh"):
    """hs[t−1] = h_t = α h_{t−1} + (1−α) g(a_t) for t = 1..T; returns shape (T, H)."""
    P, h0, xs, g = rnn._check(params, h0, "h0", act, xs=xs)
    alpha = _alpha(alpha)
    return np.stack(_run(P, h0, xs, alpha, g)[1][1:])


def _jac(P, alpha, a, g):
    # ∂h_t/∂h_{t−1} = ∂(α h_{t−1})/∂h_{t−1} + (1−α) ∂g(a_t)/∂h_{t−1}
    #              = α I + (1−α) diag(g'(a_t)) W_hh           (linear rule + rnn.step_jacobian; Goodfellow §10.9.2)
    return alpha * np.eye(P["W_hh"].shape[0]) + (1.0 - alpha) * rnn._jac(P, a, g)


def step_jacobian(params, h_prev, x, alpha, act="tanh"):
    """∂h_t/∂h_{t−1} = α I + (1−α) diag(g'(a_t)) W_hh, shape (H, H)."""
    P, h_prev, x, g = rnn._check(params, h_prev, "h_prev", act, x=x)
    alpha = _alpha(alpha)
    return _jac(P, alpha, rnn._pre(P, h_prev, x), g)


def jacobian_products(params, h0, xs, alpha, act="tanh"):
    """P[k] = ∂h_T/∂h_k = J_T ⋯ J_{k+1} (P[T] = I), J_i = α I + (1−α) diag(g'(a_i)) W_hh; shape (T+1, H, H)."""
    P, h0, xs, g = rnn._check(params, h0, "h0", act, xs=xs)
    alpha = _alpha(alpha)
    a_s, _ = _run(P, h0, xs, alpha, g)
    return rnn._products([_jac(P, alpha, a, g) for a in a_s], h0.shape[0])
