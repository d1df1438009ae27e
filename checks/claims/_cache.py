"""Strategies built once per shape and cached, shared by the LSTM and GRU checks (private: no claims here).

Hypothesis validates a strategy object the first time it is drawn from; re-building one inside a
composite on every draw costs more than the check itself.
"""

import functools

from hypothesis import strategies as st
from vanishing.checks.strategies import (
    gru_params,
    ill_conditioned_matrices,
    lstm_params,
    matrices,
    nilpotent_matrices,
    non_normal_matrices,
    orthogonal_matrices,
    vectors,
)

lstm_params_of = functools.cache(lstm_params)     # (H, D, scale, variant)
gru_params_of = functools.cache(gru_params)       # (H, D, scale)
vectors_of = functools.cache(vectors)             # (n, lo, hi)
matrices_of = functools.cache(matrices)           # (m, n, lo, hi)


@functools.cache
def square_blocks(H, scale):
    """An H×H recurrent block of one of the hard kinds: dense, orthogonal, nilpotent, ill-conditioned, non-normal."""
    return st.one_of(matrices(H, H, -scale, scale),
                     orthogonal_matrices(H).map(lambda q: scale * q),
                     nilpotent_matrices(H, scale),
                     ill_conditioned_matrices(H, norm=scale),
                     non_normal_matrices(H))
