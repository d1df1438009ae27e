"""models/_validate.py, the input checks every public model function runs: the messages of as_array,
check_params and check_choice, validation once per call (not once per step, nor at every stencil point of
finite differences), validated_once, and the checks while autograd differentiates through them."""
import autograd
import numpy as np
import pytest

from vanishing.checks import oracles
from vanishing.models import _validate, batched, deepnet, gru, lstm, rnn
from vanishing.models import activations as A

from vanishing_testkit import whole_message


def _count_validations(monkeypatch):
    """Count the as_array calls that check their argument, in every module that imports it."""
    n = [0]
    real = _validate.as_array

    def counting(name, value, *a, **kw):
        if not _validate._VALIDATED.get():
            n[0] += 1
        return real(name, value, *a, **kw)
    for mod in (_validate, A, rnn, deepnet, lstm, gru, batched):
        monkeypatch.setattr(mod, "as_array", counting)
    return n


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_validation_runs_once_per_call_not_once_per_step(model, monkeypatch, rng):
    H, D = 3, 2
    mod = {"rnn": rnn, "lstm": lstm, "gru": gru}[model]
    params = mod.init_params(H, D, rng)

    def run(T):
        xs = rng.standard_normal((T, D))
        state = (np.zeros(H), np.zeros(H)) if model == "lstm" else (np.zeros(H),)
        n = _count_validations(monkeypatch)
        mod.forward(params, *state, xs)
        return n[0]
    assert run(1) == run(20) > 0


def test_stencil_evaluations_skip_validation_but_the_first_call_does_not(monkeypatch, rng):
    H, D = 3, 2
    p, c, x = lstm.init_params(H, D, rng), rng.standard_normal(H), rng.standard_normal(D)
    n = _count_validations(monkeypatch)
    oracles.jacobian_fd(lambda h: lstm.step(p, h, c, x)[0], rng.standard_normal(H))
    one_call = n[0]
    n[0] = 0
    lstm.step(p, np.zeros(H), c, x)
    assert one_call == n[0] > 0                    # only f(x) itself was validated, not the stencil points
    with pytest.raises(ValueError, match="c_prev: expected finite values"):
        oracles.jacobian_fd(lambda h: lstm.step(p, h, c * np.nan, x)[0], np.zeros(H))


def test_validated_once_still_converts_and_checks_what_is_not_a_float_array():
    with _validate.validated_once():
        assert _validate.as_array("x", [1, 2]).dtype == np.float64
        with pytest.raises(ValueError, match="x: expected finite values"):
            _validate.as_array("x", [1.0, np.nan])
        with pytest.raises(ValueError, match="x: expected a real floating-point array"):
            _validate.as_array("x", np.array(["a"]))
    with pytest.raises(ValueError, match="x: expected finite values"):
        _validate.as_array("x", np.array([np.nan]))        # outside it, a float array is checked again


def test_as_array_states_the_dimension_shape_and_dtype_it_wanted():
    with pytest.raises(ValueError, match=whole_message("v: expected a real floating-point array, got dtype complex128")):
        _validate.as_array("v", np.ones(2, complex))
    with pytest.raises(ValueError, match=whole_message("v: expected 2 dimension(s), got shape (3,)")):
        _validate.as_array("v", [1, 2, 3], ndim=2)
    with pytest.raises(ValueError, match=whole_message("v: expected shape (3,), got shape (2,)")):
        _validate.as_array("v", np.ones(2), shape=(3,))
    with pytest.raises(ValueError, match=whole_message("v: expected shape (*, 2), got shape (2, 3)")):
        _validate.as_array("v", np.ones((2, 3)), shape=(None, 2))
    with pytest.raises(ValueError, match=whole_message("v: expected shape (), got shape (1,)")):
        _validate.as_array("v", np.ones(1), shape=())
    with pytest.raises(ValueError, match=whole_message("v: expected finite values, got 3 non-finite entries")):
        _validate.as_array("v", [np.inf, -np.inf, np.nan, 1.0])
    with pytest.raises(ValueError, match=whole_message("v: expected finite values, got 1 non-finite entry")):
        _validate.as_array("v", np.array([np.nan, 1.0]))
    ints = _validate.as_array("v", np.array([1, 2], dtype=np.int32))
    assert ints.dtype == np.float64
    assert _validate.as_array("v", [np.nan], finite=False).shape == (1,)


def test_validated_once_skips_the_checks_of_a_float_array_only_inside_the_block():
    bad = np.array([np.nan])
    with _validate.validated_once():
        assert _validate.as_array("v", bad, shape=(2,)) is bad       # no check at all
        with pytest.raises(ValueError, match=whole_message("v: expected finite values, got 1 non-finite entry")):
            _validate.as_array("v", [np.nan])                          # a list is still checked
    with pytest.raises(ValueError, match=whole_message("v: expected shape (2,), got shape (1,)")):
        _validate.as_array("v", bad, shape=(2,))                       # the flag is reset on exit


def test_check_params_and_check_choice_name_what_they_got():
    with pytest.raises(ValueError, match=whole_message("p: expected a dict of arrays with keys ['a', 'b'], got tuple")):
        _validate.check_params("p", (), {"a": (1,), "b": (2,)})
    with pytest.raises(ValueError, match=whole_message("p: expected keys ['a', 'b']; missing ['b'], unexpected ['c']")):
        _validate.check_params("p", {"a": np.ones(1), "c": np.ones(1)}, {"a": (1,), "b": (2,)})
    with pytest.raises(ValueError, match=whole_message("p['b']: expected shape (2,), got shape (3,)")):
        _validate.check_params("p", {"a": np.ones(1), "b": np.ones(3)}, {"a": (1,), "b": (2,)})
    assert _validate.check_choice("c", "x", ("x", "y")) == "x"
    with pytest.raises(ValueError, match=whole_message("c: expected one of ['x', 'y'], got 'z'")):
        _validate.check_choice("c", "z", ("x", "y"))


def test_the_checks_hold_while_autograd_differentiates_through_them():
    """Gradients w.r.t. params pass an autograd DictBox, and higher orders nest boxes: the same messages apply."""
    shapes = {"a": (2,), "b": (1,)}

    def total(p):
        q = _validate.check_params("p", p, shapes)
        return autograd.numpy.sum(q["a"]) + autograd.numpy.sum(q["b"])

    g = autograd.grad(total)({"a": np.ones(2), "b": np.ones(1)})
    assert g["a"].tolist() == [1.0, 1.0] and g["b"].tolist() == [1.0]
    with pytest.raises(ValueError, match=whole_message("p: expected keys ['a', 'b']; missing ['b'], unexpected ['c']")):
        autograd.grad(total)({"a": np.ones(2), "c": np.ones(1)})
    with pytest.raises(ValueError, match=whole_message("p['a']: expected finite values, got 1 non-finite entry")):
        autograd.grad(total)({"a": np.array([1.0, np.nan]), "b": np.ones(1)})
    with pytest.raises(ValueError, match=whole_message("p['b']: expected shape (1,), got shape (2,)")):
        autograd.grad(total)({"a": np.ones(2), "b": np.ones(2)})

    def cube(x):
        return autograd.numpy.sum(_validate.as_array("x", x, shape=(2,)) ** 3)

    second = autograd.grad(lambda x: autograd.numpy.sum(autograd.grad(cube)(x)))          # nested boxes
    assert second(np.array([1.0, 2.0])).tolist() == [6.0, 12.0]
    with pytest.raises(ValueError, match=whole_message("x: expected shape (2,), got shape (3,)")):
        second(np.ones(3))
    with pytest.raises(ValueError, match=whole_message("x: expected finite values, got 1 non-finite entry")):
        second(np.array([np.inf, 1.0]))


# ---------------------------------------------------------------- written for mutation survivors
@pytest.mark.survivor
def test_a_missing_key_is_named_while_differentiating_through_the_parameters():
    # pins: with autograd's DictBox (gradients w.r.t. params) a missing key is a ValueError naming it, not the
    # TypeError a mutant raised
    shapes = {"W_hh": (2, 2), "W_xh": (2, 1), "b": (2,)}
    with pytest.raises(ValueError, match=r"^params: expected keys \['W_hh', 'W_xh', 'b'\]; missing \['b'\], unexpected \[\]$"):
        autograd.grad(lambda p: np.sum(_validate.check_params("params", p, shapes)["W_hh"]))(
            {"W_hh": np.eye(2), "W_xh": np.ones((2, 1))})


@pytest.mark.survivor
def test_check_params_finite_false_accepts_non_finite_values_also_while_differentiating():
    # pins: finite=False ("checks only keys, dtypes and shapes") holds on autograd's DictBox path too; a mutant that
    # dropped finite=finite there rejected an inf. No public model reaches that path (rnn unboxes params before its
    # finite=False pass), so the helper's contract is tested directly
    shapes = {"W": (2, 2), "b": (2,)}
    p = {"W": np.array([[np.inf, 0.0], [0.0, 1.0]]), "b": np.zeros(2)}
    g = autograd.grad(lambda q: np.sum(_validate.check_params("params", q, shapes, finite=False)["b"]))(p)
    assert np.array_equal(g["b"], np.ones(2))
    with pytest.raises(ValueError, match=r"^params\['W'\]: expected finite values, got 1 non-finite entry$"):
        autograd.grad(lambda q: np.sum(_validate.check_params("params", q, shapes)["b"]))(p)


@pytest.mark.survivor
def test_the_non_finite_count_is_worded_in_the_plural():
    # pins: more than one non-finite entry is counted as "entries", in lower case (a mutant upper-cased it)
    with pytest.raises(ValueError, match=r"^v: expected finite values, got 2 non-finite entries$"):
        _validate.as_array("v", [np.nan, 1.0, np.inf])
