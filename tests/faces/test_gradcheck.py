"""vanishing.gradcheck on NumPy/autograd functions: correct ones pass, planted errors fail at the right entry,
bad input is a one-line error, kinks are inconclusive, and the command's exit statuses."""
import sys

import autograd.numpy as anp
import numpy as np
import pytest
from autograd.extend import defvjp, primitive

import vanishing
from vanishing import cli, testing
from vanishing.checks import oracles
from vanishing.gradcheck import GradcheckError, gradcheck, miss_probability

RNG = np.random.default_rng(7)
W = RNG.standard_normal((3, 4))
X, B = RNG.standard_normal((2, 3)), RNG.standard_normal(4)


def layer(x, b):
    """Two inputs, a tuple of two outputs of different shapes."""
    h = anp.tanh(anp.dot(x, W) + b)
    return h, anp.sum(h ** 2, axis=1)


def planted(factor, at):
    """sin with a backward wrong by ``factor`` at flat index ``at`` only."""
    @primitive
    def s(x):
        return np.sin(x)
    mask = np.ones(5)
    mask[at] = factor
    defvjp(s, lambda ans, x: lambda g: g * np.cos(x) * mask.reshape(x.shape))
    return s


def test_correct_function_of_two_inputs_and_a_tuple_passes():
    r = gradcheck(layer, X, B)
    assert r.ok and r.verdict == "pass" and r.mode == "full" and not r.failures and not r.inconclusive
    assert len(r.entries) == 2 * (2 * 4 + 2) * (6 + 4)          # reverse and forward mode, every entry
    assert "PASS" in r.report() and vanishing.gradcheck(layer, X, B).ok   # the module is callable


@pytest.mark.parametrize("mode", ["full", "directional"])
def test_planted_factor_1_000001_fails_at_the_planted_entry(mode):
    x = np.linspace(-1.0, 1.2, 5)
    r = gradcheck(planted(1.000001, 3), x, mode=mode)
    assert not r.ok and r.verdict == "fail"
    if mode == "full":
        assert r.worst.input == (0, (3,)) and r.worst.output == (0, (3,)) and r.worst.mode == "reverse"
        assert [e.flat for e in r.failures] == [(3, 3)]
        assert abs(r.worst.claimed / r.worst.fd - 1.000001) < 1e-9
    rep = r.report()
    assert "FAIL" in rep and "reproduce:" in rep and "np.array([-1.0" in rep and "tolerance" in rep


def test_directional_guarantee_is_stated_and_decreases_with_probes():
    assert miss_probability(100.0, 1) == pytest.approx(0.0364, abs=1e-3)
    assert miss_probability(10.0, 4) < miss_probability(10.0, 2) < miss_probability(10.0, 1) < 1
    r = gradcheck(layer, X, B, mode="directional", probes=3)
    assert r.ok and len(r.entries) == 6 and "miss an error" in r.report()


def test_float32_function_is_differenced_in_float64():
    r = gradcheck(lambda x: anp.sin(x) * 3.0, np.linspace(-1, 1, 4).astype(np.float32))
    assert r.ok and r.precision.startswith("float64") and r.dtype == "float32"


@pytest.mark.parametrize("f, x", [
    (lambda x: anp.maximum(x, 0.0), np.array([0.0, 1.0, -2.0])),                 # ReLU at 0
    (lambda x: anp.abs(x), np.array([0.0, 0.5])),                                # abs at 0
    (lambda x: anp.max(x) * anp.ones(2), np.array([1.0, 1.0, -3.0])),            # a tie in max
    (lambda x: anp.sort(x), np.array([0.5, 0.5, 2.0])),                          # a tie in sort
    (lambda x: anp.clip(x, -1.0, 1.0), np.array([1.0, 0.3])),                    # a clamp at its bound
])
def test_kinks_are_inconclusive_never_pass_or_fail(f, x):
    r = gradcheck(f, x, mode="full")
    assert r.inconclusive and not r.failures and not r.ok and r.verdict == "inconclusive"
    assert all("not smooth" in e.why or "did not converge" in e.why or "too wide" in e.why for e in r.inconclusive)
    assert any("not smooth" in e.why for e in r.inconclusive)


def test_kink_detector_sees_no_kink_on_smooth_functions():
    r = oracles.jacobian_fd_result(lambda x: np.tanh(np.outer(x, x)).ravel() + np.exp(x).sum(), RNG.standard_normal(4))
    assert not np.any(r.kink) and np.all(r.status == 0)


@pytest.mark.parametrize("inputs, f, msg", [
    ((np.array([1.0, np.nan]),), anp.sin, "non-finite"),
    ((np.arange(3),), anp.sin, "dtype int"),
    ((np.ones(3),), lambda x: x * np.random.default_rng().random(), "not deterministic"),
    ((np.ones(3),), lambda x: np.ones(2), "do not depend on its inputs"),
    ((), anp.sin, "no inputs"),
])
def test_bad_input_is_a_one_line_error(inputs, f, msg):
    with pytest.raises(GradcheckError, match=msg) as e:
        gradcheck(f, *inputs)
    assert "\n" not in str(e.value)


def test_assert_gradients_raises_with_the_report():
    testing.assert_gradients(layer, X, B)
    with pytest.raises(AssertionError, match="worst entry"):
        testing.assert_gradients(planted(1.000001, 0), np.linspace(-1.0, 1.2, 5))
    with pytest.raises(AssertionError, match="inconclusive"):
        testing.assert_gradients(anp.abs, np.array([0.0, 1.0]))
    assert testing.assert_gradients(anp.abs, np.array([0.0, 1.0]), allow_inconclusive=True).inconclusive


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "gc_user_mod.py").write_text(
        "import autograd.numpy as anp\nimport numpy as np\nfrom autograd.extend import defvjp, primitive\n"
        "def good(x, b):\n    return anp.tanh(anp.dot(x, b))\n"
        "def kink(x):\n    return anp.abs(x * 0.0)\n"
        "@primitive\ndef bad(x):\n    return np.sin(x)\n"
        "defvjp(bad, lambda ans, x: lambda g: g * np.cos(x) * 1.000001)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "gc_user_mod"
    sys.modules.pop("gc_user_mod", None)


def test_command_exit_statuses(user_module, capsys):
    assert cli.main(["gradcheck", f"{user_module}:good", "--shapes", "3x4,4"]) == 0
    assert "PASS" in capsys.readouterr().out
    assert cli.main(["gradcheck", f"{user_module}:bad", "--shapes", "3"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "default_rng(0)" in out                  # the reproduce snippet rebuilds the inputs
    assert cli.main(["gradcheck", f"{user_module}:kink", "--shapes", "2"]) == 2     # does not depend on its inputs
    assert cli.main(["gradcheck", f"{user_module}:nothing", "--shapes", "2"]) == 2
    assert cli.main(["gradcheck", f"{user_module}:good", "--shapes", "3xq"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "no attribute 'nothing'" in err and "'3xq'" in err


def test_command_ctrl_c_exits_130(user_module, monkeypatch, capsys):
    import vanishing.gradcheck as gc

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(gc, "gradcheck", interrupted)
    assert cli.main(["gradcheck", f"{user_module}:good", "--shapes", "3x4,4"]) == 130
    assert "interrupted" in capsys.readouterr().err
