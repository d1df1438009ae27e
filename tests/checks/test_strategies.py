"""Strategies produce what their names promise, and non-trivial values."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vanishing.checks import strategies as S


@given(S.matrices_with_spectral_norm(4, S.floats(0.1, 5.0)), st.data())
def test_matrices_with_spectral_norm(W, data):
    s = np.linalg.svd(W, compute_uv=False)
    assert 0.1 - 1e-12 <= s[0] <= 5.0 + 1e-12


@given(S.matrices_with_spectral_norm(3, 2.0))
def test_fixed_spectral_norm(W):
    np.testing.assert_allclose(np.linalg.norm(W, 2), 2.0, rtol=1e-12)


@given(S.orthogonal_matrices(4))
def test_orthogonal(Q):
    np.testing.assert_allclose(Q.T @ Q, np.eye(4), atol=1e-12)


@given(S.nilpotent_matrices(4))
def test_nilpotent(N):
    assert np.max(np.abs(np.linalg.matrix_power(N, 4))) <= 1e-9 * max(1.0, np.max(np.abs(N)) ** 4)


@given(S.non_normal_matrices(4))
def test_non_normal_has_norm_above_spectral_radius(A):
    # Eigenvalues of a (nearly) defective matrix are computed only to ~(eps·‖A‖)^(1/n) (Bauer–Fike for a
    # Jordan block), so the allowed excess over the constructed radius 0.5 is 10 times that, not 1e-9.
    slack = 10 * (np.finfo(float).eps * np.linalg.norm(A, 2)) ** (1 / 4)
    assert np.max(np.abs(np.linalg.eigvals(A))) <= 0.5 + slack
    assert np.linalg.norm(A, 2) > 1.0


@given(S.ill_conditioned_matrices(4))
def test_ill_conditioned(A):
    assert np.linalg.cond(A) >= 1e3


@given(S.saturated_preactivations(5))
def test_saturated(a):
    assert np.all(np.abs(a) >= 20.0)


@given(S.gradient_lists())
def test_gradient_lists(gs):
    assert 1 <= len(gs) <= 4 and all(np.all(np.isfinite(g)) for g in gs)


def test_strategies_are_not_trivial():
    """A strategy that quietly returns identity or zero matrices would pass every test above."""
    @settings(max_examples=30, derandomize=True, database=None)
    @given(S.matrices_with_spectral_norm(3, 1.0), S.orthogonal_matrices(3), S.nilpotent_matrices(3),
           S.ill_conditioned_matrices(3), S.preactivations(4))
    def collect(a, q, n, c, p):
        seen.append((a, q, n, c, p))
    seen = []
    collect()
    assert len(seen) >= 10
    for k, name in enumerate(["spectral", "orthogonal", "nilpotent", "ill-conditioned", "preactivations"]):
        arrays = [s[k] for s in seen]
        assert any(not np.allclose(a, np.eye(*a.shape)) if a.ndim == 2 else True for a in arrays), f"{name}: only identities"
        assert any(np.max(np.abs(a)) > 1e-3 for a in arrays), f"{name}: only zeros"
        assert len({a.tobytes() for a in arrays}) >= 5, f"{name}: fewer than 5 distinct values in 30 draws"
    assert any(np.max(np.abs(s[4])) > 20 for s in seen), "preactivations: never saturating"


@given(S.away_from(S.floats(-2.0, 2.0), [0.0, 1.0], 0.1))
def test_away_from_keeps_the_margin(x):
    assert abs(x) >= 0.1 and abs(x - 1.0) >= 0.1


def test_strategy_arguments_are_validated():
    import pytest
    for bad in (lambda: S.matrices_with_spectral_norm(2, -1.0), lambda: S.lstm_params(2, 2, variant="foo"),
                lambda: S.away_from(S.floats(), [0.0], 0.0), lambda: S.positive_floats(0.0)):
        with pytest.raises(ValueError):
            bad()


@settings(max_examples=10, derandomize=True, database=None)
@given(st.data())
def test_elman_cases_use_the_models_parameter_names(data):
    from vanishing.checks import cases
    step = data.draw(cases.step_cases())
    seq = data.draw(cases.seq_cases())
    assert {"W_hh", "W_xh", "b", "h_prev", "x"} <= set(step) and {"W_hh", "W_xh", "b", "h0", "xs"} <= set(seq)
    P = cases.elman_params(step["W_hh"], step["W_xh"], step["b"])
    assert set(P) == {"W_hh", "W_xh", "b"} and P["W_hh"].shape == (len(step["h_prev"]),) * 2


def test_lstm_case_takes_a_cells_params_and_its_state():
    import pytest

    from vanishing.checks import cases
    case = cases.lstm_case(cases.lstm_params_by_hand(H=2, D=3, b=[1.0] * 8), c_prev=[0.5, -0.5])
    assert (case.variant, case.h_prev.shape, case.x.shape) == ("forget", (2,), (3,))
    assert case.c_prev.tolist() == [0.5, -0.5] and case.o_prev.tolist() == [1.0, 1.0] and case.params["b"].tolist() == [1.0] * 8
    peep = cases.lstm_case(cases.lstm_params_by_hand(variant="peephole", p_f=[2.0]), variant="peephole")
    assert peep.params["p_f"].tolist() == [2.0]
    for params, variant in ((cases.lstm_params_by_hand(H=2), "cec"), (cases.lstm_params_by_hand(), "peephole"),
                            (cases.lstm_params_by_hand(variant="peephole"), "forget")):
        with pytest.raises(ValueError, match="not a"):
            cases.lstm_case(params, variant=variant)
