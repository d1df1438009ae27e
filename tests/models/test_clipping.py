"""models/clipping.py: the global norm (no overflow), the three clipping rules (Pascanu's and torch's), no
mutation of the inputs, bad input, the hand-derived Jacobian of global clipping against all three oracles, and
gradients up to 1e303."""
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from vanishing.checks import oracles, strategies
from vanishing.models import clipping

from vanishing_testkit import BIG, strict


def _grads(rng):
    return [rng.standard_normal((3, 2)), rng.standard_normal(4), np.array(2.5)]


def test_global_norm(rng):
    gs = _grads(rng)
    want = np.sqrt(sum(np.sum(g ** 2) for g in gs))
    np.testing.assert_allclose(clipping.global_norm(gs), want, rtol=1e-15)
    assert clipping.global_norm([]) == 0.0
    np.testing.assert_allclose(clipping.global_norm([np.full(4, 1e200)]), 2e200, rtol=1e-15)  # no overflow


@pytest.mark.parametrize("eps", [0.0, 1e-6])
def test_clip_by_global_norm(eps, rng):
    gs = _grads(rng)
    norm = clipping.global_norm(gs)
    kept, before = clipping.clip_by_global_norm(gs, 2 * norm, eps=eps)
    assert before == norm
    for g, k in zip(gs, kept):
        np.testing.assert_array_equal(k, g, err_msg="below the threshold: unchanged (coefficient exactly 1)")
    max_norm = norm / 4
    clipped, before = clipping.clip_by_global_norm(gs, max_norm, eps=eps)
    after = clipping.global_norm(clipped)
    coef = max_norm / (norm + eps)  # Pascanu Algorithm 1 (eps = 0) / torch clip_grad_norm_ (eps = 1e-6)
    np.testing.assert_allclose(after, coef * norm, rtol=1e-14)
    if eps > 0:
        assert after < max_norm, "torch semantics: clipped norm strictly below max_norm"
    for g, k in zip(gs, clipped):  # same direction
        np.testing.assert_allclose(k, coef * g, rtol=1e-14)


def test_clip_does_not_mutate_inputs(rng):
    gs = _grads(rng)
    copies = [g.copy() for g in gs]
    clipping.clip_by_global_norm(gs, 0.1)
    clipping.clip_by_norm_per_tensor(gs, 0.1)
    clipping.clip_by_value(gs, 0.1)
    for g, c in zip(gs, copies):
        np.testing.assert_array_equal(g, c)


def test_clip_per_tensor_can_exceed_max_norm_jointly():
    gs = [np.full(4, 5.0) for _ in range(4)]  # each norm 10
    clipped, norms = clipping.clip_by_norm_per_tensor(gs, 1.0)
    np.testing.assert_allclose(norms, [10.0] * 4, rtol=1e-15)
    for k in clipped:
        np.testing.assert_allclose(np.linalg.norm(k), 1.0, rtol=1e-15)
    np.testing.assert_allclose(clipping.global_norm(clipped), 2.0, rtol=1e-15)  # √m·max_norm with m = 4


def test_clip_by_value_changes_direction():
    g = [np.array([10.0, 0.5, -3.0])]
    np.testing.assert_array_equal(clipping.clip_by_value(g, 1.0)[0], [1.0, 0.5, -1.0])


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_clipping_rejects_bad_threshold(bad, rng):
    if bad != 0.0:   # max_norm = 0 is accepted (PyTorch, optax): test_max_norm_zero_clips_to_zero
        for fn in (clipping.clip_by_global_norm, clipping.clip_by_norm_per_tensor):
            with pytest.raises(ValueError, match="^max_norm: expected (a )?finite"):
                fn(_grads(rng), bad)
    with pytest.raises(ValueError, match="clip_value"):
        clipping.clip_by_value(_grads(rng), bad)


@pytest.mark.parametrize("eps", [0.0, 1e-6])
@pytest.mark.parametrize("zero_grads", [False, True])
def test_max_norm_zero_clips_to_zero(eps, zero_grads, rng):
    # PyTorch: coef = 0/(‖g‖ + 1e-6) = 0; with ε = 0 and g = 0, 0·0/0 would be NaN (optax before PR #1752): zeros
    gs = [0.0 * g for g in _grads(rng)] if zero_grads else _grads(rng)
    clipped, norm = clipping.clip_by_global_norm(gs, 0.0, eps=eps)
    assert all(np.array_equal(c, np.zeros_like(g)) for c, g in zip(clipped, gs))
    assert norm == clipping.global_norm(gs) and (norm == 0.0) == zero_grads
    per, _ = clipping.clip_by_norm_per_tensor(gs, 0.0, eps=eps)
    assert all(np.array_equal(c, np.zeros_like(g)) for c, g in zip(per, gs))
    flat = np.concatenate([np.ravel(g) for g in gs])
    np.testing.assert_array_equal(clipping.global_clip_jacobian(flat, 0.0, eps), np.zeros((flat.size, flat.size)))


def test_clipping_rejects_non_finite_grads():
    with pytest.raises(ValueError, match=r"grads\[1\]: expected finite"):
        clipping.clip_by_global_norm([np.ones(2), np.array([np.nan])], 1.0)
    with pytest.raises(ValueError, match="grads: expected a list"):
        clipping.global_norm(np.ones(3))


# ---------------------------------------------------------------- the Jacobian: clipping is differentiable by autograd
@pytest.mark.parametrize("eps", [0.0, 1e-6])
@given(g=strategies.vectors(4, -50.0, 50.0), c=strategies.floats(0.1, 100.0))
def test_global_clip_jacobian_three_oracles(eps, g, c):
    n = np.linalg.norm(g)
    assume(abs(n - c) > 1e-3 * max(c, 1.0) and n > 1e-3)     # away from the kink at ‖g‖ = c (FD steps are scaled below)
    step = min(0.5, 0.25 * abs(n - c))                         # keep the FD stencil on one side of the kink
    oracles.check_jacobian(lambda v: clipping.clip_by_global_norm([v], c, eps=eps)[0][0], g,
                           closed_form=clipping.global_clip_jacobian(g, c, eps), label=f"clip Jacobian (eps={eps})",
                           initial_step=step)


def test_planted_wrong_jacobian_is_caught():
    g = np.array([3.0, -4.0, 1.0])
    wrong = 1.0 / np.linalg.norm(g) * np.eye(3)                 # the projection term −ĝĝᵀ dropped
    with pytest.raises(AssertionError, match="closed form vs autograd"):
        oracles.check_jacobian(lambda v: clipping.clip_by_global_norm([v], 1.0)[0][0], g, closed_form=wrong, label="planted")


# ---------------------------------------------------------------- written for mutation survivors
@pytest.mark.survivor
@pytest.mark.parametrize("eps", [[1e-6, 1e-6], "x"])
def test_clipping_names_a_bad_eps(eps):
    # pins: a vector or a string eps is refused with an error that names eps (a mutant named it None)
    with pytest.raises(ValueError, match=r"^eps: "):
        clipping.clip_by_global_norm([np.ones(2)], 1.0, eps=eps)


# ---------------------------------------------------------------- extreme inputs (the slow tier)
@pytest.mark.slow
@settings(max_examples=20, deadline=None)     # ~5 ms a draw; the overflow boundary is the @example
@given(grads=strategies.gradient_lists(lo=-BIG, hi=BIG), scale=st.sampled_from([1.0, 1e150, 1e300]))
@example(grads=[np.full(5, BIG)], scale=1e300).via("squares overflow: Σg² ≈ 5e606")
def test_clipping_of_huge_gradients(grads, scale):
    """Gradients up to 1e303: the global norm is finite (max-abs rescaling) and the clipped norm is ≤ max_norm."""
    gs = [g * scale for g in grads]
    with strict():
        n = clipping.global_norm(gs)
        clipped, n0 = clipping.clip_by_global_norm(gs, 1.0)
    assert np.isfinite(n) and n0 == n
    flat = np.concatenate([np.ravel(g) for g in gs])
    if np.any(flat):
        ref = np.max(np.abs(flat)) * np.linalg.norm(flat / np.max(np.abs(flat)))
        assert n == pytest.approx(ref, rel=1e-12)
    assert clipping.global_norm(clipped) <= 1.0 * (1 + 1e-12)
