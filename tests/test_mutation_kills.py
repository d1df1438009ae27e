"""Tests added for survivors of the mutation run (docs/MUTATION.md): each pins a behaviour no other test pinned.

House rule: bad input gets a clear one-line error naming what was wrong, so the message is part of the behaviour.
"""
import numpy as np
import pytest
from vanishing.checks import assertions, oracles, recording, tolerances
from vanishing.models import layouts


def test_assert_le_on_nan_names_its_label_and_the_cause():
    # survivor checks/oracles.py:414 raised AssertionError(None): the verdict was kept, the diagnosis lost
    with pytest.raises(AssertionError, match=r"^my bound: non-finite bound or NaN value: value \[?nan\]?, bound \[?1\.0\]?$"):
        assertions.assert_le(np.nan, 1.0, tolerances.exact("a test"), "my bound")


def test_from_torch_names_the_four_state_dict_keys_it_expects():
    # survivor models/layouts.py:61 misspelt bias_hh in the list of keys the error message names
    with pytest.raises(ValueError, match=r"^tensors_or_arrays: expected a dict with keys \['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'\], got list$"):
        layouts.from_torch("lstm", [])


def test_lstm_init_names_a_bad_forget_bias():
    # survivor models/lstm.py:870 upper-cased the name the error gives
    from vanishing.models import lstm
    with pytest.raises(ValueError, match=r"^forget_bias: "):
        lstm.init_params(2, 1, np.random.default_rng(0), forget_bias=np.nan)


def test_jacobian_fd_reports_its_function_evaluations():
    # survivor checks/oracles.py:1097 reported nfev = None: stats are part of jacobian_fd's documented API
    stats = {}
    oracles.jacobian_fd(np.sin, np.array([0.3, -1.2]), stats=stats)
    assert isinstance(stats["nfev"], int) and stats["nfev"] > 1 + 2, stats   # f(x) once, then each column's stencil
    assert stats["retried"] == 0, stats                                       # sin converges from the first step


def test_batched_loss_rejects_targets_of_the_wrong_shape():
    # survivor models/batched.py:75 dropped Y's shape check: a (B, n) vs (B, m) mismatch then broadcast or failed in numpy
    from vanishing.models import batched, deepnet
    p = deepnet.init_params([3, 4, 2], np.random.default_rng(0))
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"^Y: "):
        batched.deepnet_loss(p, X, np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"^Y: "):
        batched.deepnet_loss(p, X, np.ones((1, 2)))


@pytest.mark.parametrize("H", [2.5, True, "3", 0])
def test_rnn_param_count_rejects_a_size_that_is_not_a_positive_int(H):
    # survivor models/rnn.py:686 turned an `or` of the checks into an `and`: floats and bools were accepted
    from vanishing.models import rnn
    with pytest.raises(ValueError, match=r"^H: expected a positive int"):
        rnn.param_count(H, 1)


def test_assert_close_counts_only_the_entries_beyond_the_tolerance():
    # survivor checks/oracles.py:361 counted an entry exactly at the allowed error as differing (ratio >= 1)
    tol = tolerances.Tol(rtol=0.0, atol=1.0, reason="a test")
    with pytest.raises(AssertionError, match=r"^m: 1 of 3 entries differ "):
        assertions.assert_close(np.array([1.0, 3.0, 0.5]), np.zeros(3), tol, "m")


def test_directional_fd_along_zero_is_exactly_zero_with_no_error():
    # survivor checks/oracles.py:1135 returned the error estimate 1.0 for v = 0: a tolerance 10 wide on that comparison
    assert oracles.directional_fd(np.sin, np.array([0.3, 1.0]), np.zeros(2), np.ones(2)) == (0.0, 0.0)


def test_every_registered_activation_is_named_by_its_key():
    # survivor models/activations.py:410 renamed the identity's entry: reports and errors name an activation by .name
    from vanishing.models import activations as act
    assert {k: a.name for k, a in act.ACTIVATIONS.items()} == {k: k for k in act.ACTIVATIONS}


def test_rnn_init_rejects_a_scale_that_is_not_a_scalar():
    # survivor models/rnn.py:653 dropped the scalar shape check on scale: a vector then failed inside float()
    from vanishing.models import rnn
    with pytest.raises(ValueError, match=r"^scale: "):
        rnn.init_params(2, 1, np.random.default_rng(0), scale=[1.0, 2.0])


def test_lstm_forward_names_a_bad_initial_cell_state():
    # survivor models/lstm.py:364 misnamed c0 in forward's error
    from vanishing.models import lstm
    p = lstm.init_params(2, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^c0: "):
        lstm.forward(p, np.zeros(2), np.zeros(3), np.zeros((2, 1)))


# ---- survivors of the second sample (seed 29, docs/MUTATION.md §4)
def test_every_name_in_a_models_or_checks_all_exists():
    # survivor models/deepnet.py:9 put "FORWARD" in __all__: `from vanishing.models.deepnet import *` then fails
    import importlib
    import pkgutil

    import vanishing.checks
    import vanishing.models
    for pkg in (vanishing.models, vanishing.checks):
        for info in pkgutil.iter_modules(pkg.__path__):
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            missing = [n for n in getattr(mod, "__all__", ()) if not hasattr(mod, n)]
            assert not missing, f"{mod.__name__}.__all__ names what it does not define: {missing}"


def test_gru_gates_default_to_reset_after():
    # survivor models/gru.py:227 changed gates()' default reset to an invalid string
    from vanishing.models import gru
    p = gru.init_params(3, 2, np.random.default_rng(0))
    h, x = np.full(3, 0.3), np.array([0.5, -1.0])
    assert np.array_equal(gru.gates(p, h, x)["h"], gru.gates(p, h, x, reset="after")["h"])


def test_a_bad_canonical_parameter_set_is_named_params():
    # survivor models/layouts.py:175 renamed the argument the error names
    with pytest.raises(ValueError, match=r"^params: expected keys"):
        layouts.to_torch("rnn", {"W_hh": np.eye(2), "W_xh": np.ones((2, 1))})


def test_a_missing_key_is_named_while_differentiating_through_the_parameters():
    # survivor models/_validate.py:140: with autograd's DictBox (gradients w.r.t. params) a missing key raised TypeError
    import autograd
    from vanishing.models._validate import check_params
    shapes = {"W_hh": (2, 2), "W_xh": (2, 1), "b": (2,)}
    with pytest.raises(ValueError, match=r"^params: expected keys \['W_hh', 'W_xh', 'b'\]; missing \['b'\], unexpected \[\]$"):
        autograd.grad(lambda p: np.sum(check_params("params", p, shapes)["W_hh"]))({"W_hh": np.eye(2), "W_xh": np.ones((2, 1))})


def test_tolerance_reasons_and_messages_are_stated():
    # survivors checks/tolerances.py:241 (the message of relative()) and :264 (returned_norm's reason dropped)
    with pytest.raises(ValueError, match=r"^tolerances\.relative: why must say which claim is about relative accuracy$"):
        tolerances.relative("  ")
    assert "underflow floor sqrt(N·tiny)" in tolerances.returned_norm(np.float64, 4).reason


# ---- survivors of the third sample (seed 41, docs/MUTATION.md §4c)
def test_the_fd_noise_constant_is_one_over_the_variance_gain_of_a_sixth_difference():
    # survivor checks/tolerances.py:54 (518401 for 518400): the sixth difference Δ⁶ε of iid noise of variance σ² has
    # variance σ²·Σ_k C(6,k)² = σ²·C(12,6) (Vandermonde), so the unbiased estimate of σ² is mean((Δ⁶)²)/C(12,6),
    # which the module writes as (6!)²/12!: both are the correctly rounded 1/924
    import math
    assert sum(math.comb(6, k) ** 2 for k in range(7)) == math.comb(12, 6) == 924
    assert tolerances.NOISE_GAMMA6 == math.factorial(6) ** 2 / math.factorial(12) == 1 / math.comb(12, 6)


def test_an_unconverged_fd_entry_is_named_with_scipys_status_in_words():
    # survivor checks/oracles.py:890 keyed "maximum iterations reached" by +2: scipy's -2 was then shown as "status -2"
    e = oracles._unconverged("J", [(0, 1), (2, 0), (1, 1)], [-1, -2, -3], [0.5, 0.1])
    assert isinstance(e, assertions.FDInconclusive)
    assert ("(0, 1): error estimate increased, (2, 0): maximum iterations reached, (1, 1): non-finite value;"
            in str(e)), str(e)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_to_torch_checks_the_second_bias_of_a_two_bias_set(kind):
    # survivor models/layouts.py:245 dropped b_h's shape check: a b_h of the wrong size became bias_hh as it was
    n = {"rnn": 1, "lstm": 4}[kind] * 2
    W = ({"W_hh": np.eye(2), "W_xh": np.ones((2, 1))} if kind == "rnn" else {"W_h": np.ones((n, 2)), "W_x": np.ones((n, 1))})
    assert layouts.to_torch(kind, {**W, "b_x": np.ones(n), "b_h": np.full(n, 2.0)})["bias_hh"].tolist() == [2.0] * n
    with pytest.raises(ValueError, match=rf"^params\['b_h'\]: expected shape \({n},\), got shape \({n + 1},\)$"):
        layouts.to_torch(kind, {**W, "b_x": np.ones(n), "b_h": np.ones(n + 1)})


@pytest.mark.parametrize("fn", ["step", "step_jacobian"])
def test_rnn_step_names_a_bad_input(fn):
    # survivor models/rnn.py:101 upper-cased the name of x in the error of step and step_jacobian
    from vanishing.models import rnn
    p = rnn.init_params(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^x: expected shape \(3,\), got shape \(2,\)$"):
        getattr(rnn, fn)(p, np.zeros(2), np.zeros(2))


def test_an_override_replaces_the_bounds_it_is_given_and_keeps_the_others():
    # survivor checks/tolerances.py:341 dropped an override's atol (the base tolerance's was kept)
    base = tolerances.Tol(rtol=1e-12, atol=1e-14, reason="base")
    t = tolerances.override(base, "a stated reason", atol=1e-9)
    assert (t.rtol, t.atol, t.reason) == (1e-12, 1e-9, "override: a stated reason")
    t = tolerances.override(base, "a stated reason", rtol=1e-6)
    assert (t.rtol, t.atol) == (1e-6, 1e-14)
    t = tolerances.override(base, "a stated reason", rtol=0.0, atol=0.0)      # 0 is a value, not "not given"
    assert (t.rtol, t.atol) == (0.0, 0.0)
    # chain() is such an override (relative only): with the mutant it kept analytic()'s absolute floor of 5.7e-14
    assert tolerances.chain(3, "three factors").atol == 0.0


def test_a_claims_margin_names_the_first_input_that_reached_its_worst_ratio():
    # survivor checks/oracles.py:117 (ratio >= margin for >): on a tie the margin moved to the later input. Ties are
    # common (a bound met with equality, at every saturated draw); Hypothesis runs the explicit @examples first, so
    # the first input reaching the worst ratio is the stable, reproducible one to name
    rec = recording.Recorder()
    rec.note_bound("first", 1.0, 4.0, 0.25)
    rec.note_bound("second", 2.0, 8.0, 0.25)
    rec.note_bound("smaller", 1.0, 8.0, 0.125)
    assert (rec.bounds, rec.margin_label, rec.margin_value, rec.margin_bound) == (3, "first", 1.0, 4.0)
    rec.note_bound("worse", 3.0, 6.0, 0.5)
    assert rec.margin()["label"] == "worse" and rec.margin()["worst_ratio"] == 0.5


# ---- survivors of the fourth sample (seed 53, docs/MUTATION.md §4d)
@pytest.mark.parametrize("kind", ["gru", "lstm", "layouts-gru", "layouts-lstm"])
@pytest.mark.parametrize("bad", ["W_h", "W_x"])
def test_a_weight_matrix_that_is_not_2d_is_named_by_its_key(kind, bad):
    # survivors models/gru.py:64 and models/lstm.py:97 changed the name in the error of the first pass that reads H
    # and D from W_h and W_x; the same pass in layouts._canonical is checked alongside
    import importlib
    H, D = 2, 3
    n = {"gru": 3, "lstm": 4}[kind.removeprefix("layouts-")] * H
    p = {"W_h": np.ones((n, H)), "W_x": np.ones((n, D))}
    p.update({"b_x": np.zeros(n), "b_h": np.zeros(n)} if kind.endswith("gru") else {"b": np.zeros(n)})
    p[bad] = np.ones(n)
    with pytest.raises(ValueError, match=rf"^params\['{bad}'\]: expected 2 dimension\(s\), got shape \({n},\)$"):
        if kind.startswith("layouts-"):
            layouts.to_torch(kind.removeprefix("layouts-"), p)
        else:
            importlib.import_module(f"vanishing.models.{kind}").step(p, *([np.zeros(H)] * (2 if kind == "lstm" else 1)), np.zeros(D))


def test_check_params_finite_false_accepts_non_finite_values_also_while_differentiating():
    # survivor models/_validate.py:157 dropped finite=finite on autograd's DictBox path: finite=False (documented as
    # "checks only keys, dtypes and shapes") then rejected an inf. No public model reaches that path (rnn unboxes
    # params before its finite=False pass), so the helper's contract is tested directly
    import autograd
    from vanishing.models._validate import check_params
    shapes = {"W": (2, 2), "b": (2,)}
    p = {"W": np.array([[np.inf, 0.0], [0.0, 1.0]]), "b": np.zeros(2)}
    g = autograd.grad(lambda q: np.sum(check_params("params", q, shapes, finite=False)["b"]))(p)
    assert np.array_equal(g["b"], np.ones(2))
    with pytest.raises(ValueError, match=r"^params\['W'\]: expected finite values, got 1 non-finite entry$"):
        autograd.grad(lambda q: np.sum(check_params("params", q, shapes)["b"]))(p)


def test_the_non_finite_count_is_worded_in_the_plural():
    # survivor models/_validate.py:116 upper-cased "entries" in the error for more than one non-finite entry
    from vanishing.models._validate import as_array
    with pytest.raises(ValueError, match=r"^v: expected finite values, got 2 non-finite entries$"):
        as_array("v", [np.nan, 1.0, np.inf])


def test_a_relative_tolerance_states_its_reason():
    # survivor checks/tolerances.py:249 dropped relative()'s reason: the report shows why a tolerance is what it is
    t = tolerances.relative("tanh' in its far tail", np.float32)
    assert t.reason == "relative: 256 ulps of float32 down to tiny (tanh' in its far tail)"


def test_a_long_input_is_cut_with_an_ellipsis():
    # survivor checks/oracles.py:197 changed the marker of an input cut to _SHOWN_INPUT_CHARS in a claim's margin
    text = recording._shown_input({"x": np.arange(1000.0)})
    assert text.startswith("x=[0.0, 1.0, 2.0") and text.endswith(" …")
    assert len(text) == recording._SHOWN_INPUT_CHARS + 2
    assert recording._shown_input({"x": 1.5}) == "x=1.5"


def test_a_tolerance_bound_is_computed_in_float64_whatever_the_reference_dtype():
    # survivor checks/tolerances.py:91 dropped dtype=float64: a float32 reference then gave a float32 bound (rounded
    # to 24 bits; with a float16 reference 2**8 ulps of float64 times |b| underflowed to 0)
    for dt in (np.float16, np.float32, np.int64):
        b = tolerances.Tol(rtol=1 / 3, atol=0.0).bound(np.ones(2, dt))
        assert b.dtype == np.float64 and b[0] == 1 / 3, (dt, b)
    assert tolerances.analytic().bound(np.ones(1, np.float16))[0] == 2 * tolerances.analytic().rtol


def test_a_param_sets_keys_document_exactly_its_native_keys_that_are_not_canonical():
    # survivor models/layouts.py:1047 misspelt the one-bias set's documented key ("b"): keys is what an adapter author
    # reads to know which native parameters a set adds
    for ps in layouts.PARAM_SETS.values():
        for kind in ps.kinds:
            added = set(ps.shapes(kind, 2, 3)) - set(layouts.PARAM_SETS["canonical"].shapes(kind, 2, 3))
            assert set(ps.keys) == added, (ps.name, kind, sorted(ps.keys), sorted(added))


def test_batched_lstm_rejects_an_initial_state_of_the_wrong_width():
    # survivor models/batched.py:176 dropped h0's shape check: a wrong width failed inside np.dot, not with a clear error
    from vanishing.models import batched, lstm
    p = lstm.init_params(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^h0: expected shape \(\*, 2\), got shape \(4, 5\)$"):
        batched.lstm_forward(p, np.zeros((4, 5)), np.zeros((4, 5)), np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match=r"^h0: expected shape \(\*, 2\), got shape \(2,\)$"):
        batched.lstm_forward(p, np.zeros(2), np.zeros(2), np.zeros((1, 2, 3)))


def test_an_override_without_a_reason_is_refused_by_name():
    # survivor checks/tolerances.py:319 changed the message that refuses an override without a reason
    with pytest.raises(ValueError, match=r"^tolerances\.override: reason must be a non-empty explanation$"):
        tolerances.override(tolerances.analytic(), " ")


def test_a_bad_scale_is_named_by_the_tolerance_constructor():
    # survivor checks/tolerances.py:117 passed None as the name of analytic()'s scale check
    with pytest.raises(ValueError, match=r"^scale: expected finite values >= 0, got -1\.0$"):
        tolerances.analytic(scale=-1.0)


@pytest.mark.parametrize("eps", [[1e-6, 1e-6], "x"])
def test_clipping_names_a_bad_eps(eps):
    # survivor models/clipping.py:33 passed None as the name of eps's shape check
    from vanishing.models import clipping
    with pytest.raises(ValueError, match=r"^eps: "):
        clipping.clip_by_global_norm([np.ones(2)], 1.0, eps=eps)


def test_lstm_init_names_a_bad_variant():
    # survivor models/lstm.py:840 passed None as the name of init_params' variant check
    from vanishing.models import lstm
    with pytest.raises(ValueError, match=r"^variant: "):
        lstm.init_params(2, 1, np.random.default_rng(0), variant="peephole-ish")


def test_jacobian_fd_counts_the_entries_it_retried():
    # survivor checks/oracles.py:1224 subtracted the retried entries (stats["retried"] < 0). A tanh RNN with gain 3
    # (H = 4, 10 steps, seed 1) has entries that do not converge from the first step 0.5 and do from a smaller one
    from vanishing.models import rnn
    rng = np.random.default_rng(1)
    p = rnn.init_params(4, 1, rng, scale=3.0)
    xs = rng.standard_normal((10, 1))

    def f(h):
        return rnn.forward(p, h, xs)[-1]
    stats = {}
    J, _ = oracles.jacobian_fd(f, np.zeros(4), stats=stats)
    assert 0 < stats["retried"] <= oracles.FD_RETRIES * J.size, stats
    np.testing.assert_allclose(J, oracles.jacobian_reverse(f, np.zeros(4)), rtol=1e-9, atol=1e-9)


def test_an_activation_whose_derivative_reaches_its_sup_says_where():
    # survivor models/activations.py:367 recorded leaky ReLU's sup |f'| = 1 as never attained (deriv_sup_at None);
    # DEEP-ACT-DERIV-SUP reaches it only when Hypothesis draws name="leaky_relu", and test_models_basic skips None
    from vanishing.models import activations as act
    grid = np.linspace(-5.0, 5.0, 101)
    for name, a in act.ACTIVATIONS.items():
        reached = np.abs(np.array([float(a.df(x)) for x in grid])) == a.deriv_sup
        if reached.any():
            assert a.deriv_sup_at is not None, f"{name}: |f'| = sup at x = {grid[reached][0]}, but deriv_sup_at is None"
        if a.deriv_sup_at is not None:
            assert abs(float(a.df(a.deriv_sup_at))) == a.deriv_sup, name


def test_an_exact_structure_check_passes_a_zero_and_fails_the_smallest_nonzero():
    # survivor checks/oracles.py:637 (off >= 0 for off > 0): with a zero tolerance every entry then counted as
    # violated, an exact zero included. No claim checks a structure with atol = 0, so nothing ran that branch
    J = np.array([[1.0, 0.0], [0.0, -2.0]])
    assertions.assert_structure(J, np.eye(2, dtype=bool), tolerances.exact("a diagonal Jacobian"), "diag")
    J[0, 1] = 5e-324
    with pytest.raises(AssertionError, match=r"^diag: structure violated: 1 entries must be zero but are not; worst at index \(0, 1\) = 5e-324"):
        assertions.assert_structure(J, np.eye(2, dtype=bool), tolerances.exact("a diagonal Jacobian"), "diag")


# ---- survivors of the fifth sample (seed 67, docs/MUTATION.md §4e), each written after that sample was scored
def test_one_bias_sets_a_zero_recurrent_bias_exactly_even_where_b_is_zero():
    # survivor models/layouts.py:905 (0.0 * b → 0.0 / b): equal wherever b ≠ 0, so only a zero entry of b shows it
    b = np.array([0.0, 1.5, -2.0, 0.0])
    P = layouts.param_set("one-bias").to_canonical("rnn-tanh", {"W_x": np.ones((4, 1)), "W_h": np.ones((4, 4)), "b": b})
    assert np.array_equal(P["b_x"], b) and np.array_equal(P["b_h"], np.zeros(4))


class _Iterate:
    def __init__(self, df, error, nit):
        self.df, self.error, self.nit = np.array([df]), np.array([error]), np.array([nit])


def test_fd_history_keeps_the_earlier_of_two_iterates_that_are_equally_good():
    # survivor checks/oracles.py:989 (est < best → est <= best): on a tie the later iterate, at a smaller step
    # (more rounding), replaced the earlier one. The estimates here are exact binary fractions, so the tie is exact.
    hist = oracles._History()
    hist(_Iterate(1.0, np.nan, 0))
    hist(_Iterate(2.0, 0.5, 1))                # first change: nothing before it, not trusted
    hist(_Iterate(2.5, 0.25, 2))               # trusted (0.5 before it): est = max(0.25, 0.5/255) = 0.25
    hist(_Iterate(3.0, 0.25, 3))               # trusted, est = 0.25 again: a tie, the earlier iterate stays
    assert hist.err[0] == 0.25 and hist.nit[0] == 2
    assert hist.df[0] == 2.5 + (2.5 - 2.0) / 255.0


def test_check_jacobian_names_finite_differences_when_only_they_disagree_with_autograd():
    # survivor checks/oracles.py:1697 (label → None): a primitive whose VJP and JVP are both wrong by the same
    # factor makes autograd's two modes and the closed form agree; only finite differences see it
    from autograd.extend import defjvp, defvjp, primitive

    @primitive
    def cube(x):
        return x ** 3

    defvjp(cube, lambda ans, x: lambda g: g * 3.3 * x ** 2)        # 3.3 where 3 belongs
    defjvp(cube, lambda g, ans, x: g * 3.3 * x ** 2)
    x = np.array([0.7, -1.2])
    with pytest.raises(AssertionError, match=r"^cube: autograd vs finite differences"):
        oracles.check_jacobian(cube, x, closed_form=np.diag(3.3 * x ** 2), label="cube")


def test_check_directional_differentiates_f_at_the_shape_of_x():
    # survivor checks/oracles.py:1770 (reshape(w, np.shape(x)) → reshape(w, None)): autograd then called f on the
    # flattened x; every caller passed `claimed`, so the VJP path ran on no matrix-shaped input
    A = np.array([[1.0, -2.0], [0.5, 3.0]])

    def f(X):
        return np.tanh(X) @ A                                           # needs X of shape (3, 2)
    X = np.array([[0.1, -0.4], [0.3, 0.2], [-0.6, 0.5]])
    v = np.arange(6.0).reshape(3, 2) / 6.0
    u = np.array([[1.0, 0.0], [0.0, -1.0], [0.5, 0.5]])
    claimed, d = oracles.check_directional(f, X, v, u, label="uᵀJv")
    want = float(np.sum(u * (((1.0 - np.tanh(X) ** 2) * v) @ A)))      # the closed form of uᵀ J v
    assert claimed == pytest.approx(want, rel=1e-12) and d == pytest.approx(want, rel=1e-8)


# ---- survivors of the sixth sample (seed 79, docs/MUTATION.md §4f), each written after that sample was scored
def test_check_jacobian_puts_the_reproduce_line_in_a_closed_form_failure():
    # survivor checks/oracles.py:1688 (reproduce → None): the closed-form comparison's failure lost its command
    f = lambda x: x ** 3                                                 # noqa: E731
    x = np.array([0.5, -1.5])
    with pytest.raises(AssertionError, match=r"^cube: closed form vs autograd.*\n?.*reproduce: vanishing verify --only X"):
        oracles.check_jacobian(f, x, closed_form=np.diag(3.3 * x ** 2), label="cube", reproduce="reproduce: vanishing verify --only X")


def test_measured_noise_estimates_the_standard_deviation_of_white_noise():
    # survivor checks/oracles.py:828 (6th differences → 7th): γ₆ = (6!)²/12! then scales the wrong difference and the
    # estimate is √(C(14,7)/C(12,6)) = 1.93 times σ. Deterministic white noise of σ = 1e-9 on a smooth function:
    import hashlib
    sigma = 1e-9

    def f(u):
        seed = int.from_bytes(hashlib.blake2b(np.asarray(u, dtype=np.float64).tobytes(), digest_size=8).digest(), "little")
        return np.array([np.sin(u[0]) + u[1] ** 2 + sigma * np.random.default_rng(seed).standard_normal()])
    rng = np.random.default_rng(3)
    ratios = []
    for _ in range(100):
        x = rng.uniform(-1.0, 1.0, 2)
        ratios.append(oracles.measured_noise(f, x, f(x), np.array([0.6, 0.9]))[0] / sigma)
    assert 0.8 < np.median(ratios) < 1.5, np.median(ratios)   # the larger of two estimates: a little above 1


def test_lstm_init_draws_every_parameter_from_both_sides_of_zero():
    # survivor models/lstm.py:916 (b from U(+k, k), i.e. every bias = k): the docstring's U(−k, k) was read for no key
    from vanishing.models import lstm
    H, D = 16, 3
    k = 1.0 / np.sqrt(H)
    for variant in lstm.VARIANTS:
        P = lstm.init_params(H, D, np.random.default_rng(0), variant=variant, forget_bias=0.0)
        for key, value in P.items():
            assert value.min() < 0.0 < value.max() and np.all(np.abs(value) <= k), (variant, key)


def test_assert_le_counts_the_entries_beyond_their_bound_from_two_entries_on():
    # survivor checks/oracles.py:501 (v.size > 1 → > 2): the count "k of n entries" vanished for two entries
    with pytest.raises(AssertionError, match=r"; 1 of 2 entries$"):
        assertions.assert_le(np.array([0.5, 2.0]), np.array([1.0, 1.0]), tolerances.exact("a stated bound"), "two")


def test_a_fresh_recorder_reports_zero_error_and_zero_tolerance():
    # survivor checks/oracles.py:71 (tolerance default 0.0 → None): a claim with no comparison reported None
    rec = recording.Recorder()
    assert (rec.comparisons, rec.max_ratio, rec.max_error, rec.tolerance, rec.worst_label) == (0, 0.0, 0.0, 0.0, "")


def test_jacobian_fd_names_itself_and_the_shape_when_it_cannot_converge():
    # survivor checks/oracles.py:1266 (its label → None): a jump at x makes every central difference diverge
    with pytest.raises(assertions.FDInconclusive, match=r"^jacobian_fd \(1x1\): scipy\.differentiate did not converge on 1 entry"):
        oracles.jacobian_fd(lambda u: np.where(u >= 0.0, 1.0, -1.0) + u, np.array([0.0]))


def test_leaky_relu_is_differentiable_in_its_slope():
    # survivor models/activations.py:56 (autograd's box attribute misspelt): the slope α was turned into a float,
    # so autograd lost it and d leaky_relu(x; α)/dα = x (for x < 0) came out as an error or 0
    import autograd
    from vanishing.models import activations as act
    assert autograd.grad(lambda a: act.leaky_relu(-3.0, a))(0.2) == -3.0
    assert autograd.grad(lambda a: act.leaky_relu(2.0, a))(0.2) == 0.0


def test_fd_stops_refining_at_four_ulps_of_the_outputs_scale(monkeypatch):
    # survivor checks/oracles.py:1083 (max(1, |f|) → max(2, |f|)): the atol that ends refinement of an exact zero entry
    seen = []
    orig = oracles.sd.derivative

    def derivative(*a, **kw):
        seen.append(kw["tolerances"]["atol"])
        return orig(*a, **kw)
    monkeypatch.setattr(oracles.sd, "derivative", derivative)
    eps = np.finfo(np.float64).eps
    oracles.jacobian_fd(lambda u: np.array([0.25 * u[0] ** 2, 0.0 * u[1]]), np.array([0.5, 0.3]))
    oracles.jacobian_fd(lambda u: np.array([3.0 * u[0]]), np.array([2.0]))
    assert seen == [4.0 * eps * 1.0, 4.0 * eps * 6.0]                 # max(1, max|f(x)|): 0.0625 → 1, 6.0 → 6


def test_the_noise_probe_moves_every_coordinate_by_a_different_amount():
    # survivor checks/oracles.py:857 (the direction's random factors drawn as one scalar): inside |x| <= 1 the probe
    # then moved along (1, ..., 1), where a layer with equal weights, or u0 - u1, does not change at all
    x = np.array([0.3, -0.7, 0.1, 0.9])
    seen = []

    def f(u):
        seen.append(np.array(u, dtype=np.float64))
        return np.array([np.sum(u)])
    oracles._jacobian_noise(f, x, f(x))
    step = np.sort(seen[1] - x)                       # the first probe point; rounding alone differs by ~1e-16 relative
    assert np.all(np.diff(step) > 1e-6 * step[-1]), step
