"""Meta-tests: adapters that misbehave are each diagnosed by name, and none crashes the run, hangs it, or conforms.

The misbehaving adapters (tests/zoo/misbehaving.py) wrap the zoo's correct NumPy LSTM and clipping function,
with one misbehaviour switched on: raising, a wrong shape or dtype, NaN or inf, writing to the inputs, a
different answer to the same call, hanging, or mere slowness. On the smoke test's ordinary input a
misbehaviour makes the adapter *broken* (exit status 2); on an input only a check generates (large weights),
it is a non-conformance that check reports (exit 1), with a diagnosis saying what happened. A call that
does not return within the limit is reported as a timeout, on its case, and the adapter is broken (exit 2).
"""

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from vanishing import cli
from vanishing.checks.conformance import AdapterError, AdapterInfo, load, timeouts, validate_adapter
from vanishing.checks.conformance import checks as C
from vanishing.checks.conformance.protocol import CallError, Run, call_forward
from vanishing.checks.conformance.runner import _settings, run_check, smoke

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT / "tests" / "zoo" / "misbehaving.py"
CHECK = {c.name: c for c in C.CHECKS}


def _module():
    """tests/zoo/misbehaving.py, imported the way the loader imports it (its folder on sys.path)."""
    load(f"{ZOO}:slow")
    return sys.modules["_vanishing_adapter_misbehaving"]


MB = _module()


def _info(behaviour, method="forward", when="large", timeout=None, **kw):
    """A run of the misbehaving adapter (its declaration and the run's state: the time limit, the first time-out)."""
    return Run(AdapterInfo(MB.make(behaviour, method, when, **kw)), timeout)


def _cli(argv, capsys):
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


# ---------------------------------------------------------------- on inputs a check generates: a non-conformance (exit 1)
#: behaviour → (the misbehaving method, a check that meets it, what the failure says, what the diagnosis says)
ON_SOME_INPUTS = {
    "raise": ("forward", "forward", "forward raised FloatingPointError: overflow encountered in exp",
              "the call raised on this input, though not on the smoke test's ordinary one"),
    "nan": ("forward", "forward", "forward: hs has 1 non-finite entry (NaN)", "NaN or inf on this input, where the reference is finite"),
    "inf": ("vjp", "gradients", "vjp: gradient['W_h'] has 1 non-finite entry (inf)", "NaN or inf on this input"),
    "shape": ("forward", "forward", "forward: hs has shape", "a result of the wrong shape on this input only"),
    "dtype": ("step", "forward", "step: h has dtype float32, but the adapter declares dtype float64",
              "a result of the wrong dtype on this input only"),
    "mutate": ("forward", "forward", "forward modified its argument in place: the array xs",
               "the call wrote to its input arrays on this input"),
    "noise": ("forward", "forward", "h_t differs", "forward is nondeterministic: two calls with the same arguments returned "
              "different values (hs differs by up to"),
    # passes when Hypothesis replays the failing case (its FlakyFailure must not become an internal error)
    "flaky": ("forward", "gate-range", "", "forward is nondeterministic: two calls with the same arguments returned "
              "different values (hs differs by up to 0.001,"),
}


@pytest.mark.parametrize("behaviour", sorted(ON_SOME_INPUTS))
def test_misbehaviour_on_some_inputs_fails_the_check_with_a_diagnosis(behaviour):
    method, check, says, diagnosis = ON_SOME_INPUTS[behaviour]
    info = _info(behaviour, method)
    smoke(info)   # the ordinary input does not trigger it: this is the checks' finding
    r = run_check(info, CHECK[check], "ci", None)
    assert r.status == "fail", f"{behaviour}: {r.text()}"
    assert any(says in ln for ln in r.lines), f"{behaviour}: {r.lines}"
    assert r.diagnosis and diagnosis in r.diagnosis[0], f"{behaviour}: {r.diagnosis}"
    assert r.counterexample is not None and r.reproduce.get("command")
    assert r.shrunk == (behaviour not in ("noise", "flaky"))   # a nondeterministic failure is not shrunk (the shrinker would chase noise)


def test_a_mutating_clip_is_caught_and_the_case_stays_intact():
    info = _info("mutate", "clip_grad_norm")
    r = run_check(info, CHECK["clip-norm"], "ci", None)
    assert r.status == "fail" and "clip_grad_norm modified its argument in place: the array grads[" in r.lines[0]
    got = r.counterexample.grads
    assert max(float(np.max(np.abs(g))) for g in got) > 4, "the reported case must be the input as given, not the clipped one"


def test_the_validators_arrays_are_never_the_adapters():
    """Each call gets copies: a write reaches neither the case nor the reference, and is reported with its extent."""
    info = _info("mutate", "forward", "always")
    rng = np.random.default_rng(1)
    P = {"W_x": rng.normal(size=(4, 2)), "W_h": rng.normal(size=(4, 1)), "b": rng.normal(size=4)}
    s0, xs = (np.zeros(1), np.zeros(1)), rng.normal(size=(3, 2))
    before = xs.copy()
    with pytest.raises(CallError, match=r"modified its argument in place: the array xs \(6 of 6 entries changed\)") as e:
        call_forward(info, P, s0, xs)
    assert e.value.fault == "mutated" and np.array_equal(xs, before)


# ---------------------------------------------------------------- on the ordinary input: a broken adapter (exit 2)
ALWAYS = {
    ("raise", "vjp"): "vjp raised FloatingPointError: overflow encountered in exp",
    ("nan", "forward"): "forward: hs has 1 non-finite entry (NaN)",
    ("inf", "step"): "step: h has 1 non-finite entry (inf)",
    ("shape", "vjp"): "vjp: gradient['W_h'] has shape (7, 2), expected (8, 2)",
    ("dtype", "forward"): "forward: hs has dtype float32, but the adapter declares dtype float64",
    ("mutate", "step"): "step modified its argument in place: the array state[0] (2 of 2 entries changed)",
    ("noise", "vjp"): "vjp is nondeterministic: two calls with the same arguments returned different values (['W_h'] differs",
    ("mutate", "clip_grad_value"): "clip_grad_value modified its argument in place: the array grads[",
    ("noise", "clip_grad_norm"): "clip_grad_norm is nondeterministic",
}


@pytest.mark.parametrize("behaviour,method", sorted(ALWAYS))
def test_misbehaviour_on_the_ordinary_input_is_a_broken_adapter(behaviour, method):
    info = _info(behaviour, method, "always")
    with pytest.raises(AdapterError) as e:
        smoke(info)
    assert ALWAYS[behaviour, method] in str(e.value) and "\n" not in str(e.value)
    rep = validate_adapter(info.info)
    assert ALWAYS[behaviour, method] in rep.broken and not rep.results and not rep.ok


# ---------------------------------------------------------------- hangs: a time limit per call, reported as such
@pytest.fixture
def short_grace(monkeypatch):
    monkeypatch.setattr(timeouts, "GRACE", 0.2)


def test_a_spinning_call_is_stopped_and_reported(short_grace):
    info = _info("spin", "step", "always", timeout=0.3)
    t0 = time.perf_counter()
    with pytest.raises(AdapterError, match=r"adapter call `step` timed out after 0\.3 s on the smoke test's ordinary input"):
        smoke(info)
    assert time.perf_counter() - t0 < 2
    assert "could not be interrupted" not in info.timed_out   # Python code: interrupted, the worker thread is free
    assert timeouts.call(lambda: 42, 1.0) == 42


def test_a_sleeping_call_is_abandoned_and_reported(short_grace):
    info = _info("hang", "forward", "always", timeout=0.2)
    with pytest.raises(AdapterError, match=r"`forward` timed out after 0\.2 s \(it could not be interrupted, being blocked "
                                           r"outside Python code"):
        smoke(info)
    assert timeouts.call(lambda: threading.current_thread().name, 1.0) == "vanishing-adapter-call"   # a fresh worker


def test_a_timeout_during_a_check_names_the_call_and_the_case_and_ends_the_adapter(short_grace):
    info = _info("spin", "forward", timeout=0.3)
    name = info.info.name
    rep = validate_adapter(info.info, only=[f"{name}/forward", f"{name}/gate-range"], call_timeout=0.3)
    assert [r.status for r in rep.results] == ["broken"], [r.text() for r in rep.results]
    assert rep.broken.startswith(f"{name}: adapter call `forward` timed out after 0.3 s on case Case(lstm, H=")
    assert "(check forward); the adapter's remaining checks are not run" in rep.broken
    assert run_check(info, CHECK["forward"], "ci", None).status == "broken"
    r = run_check(info, CHECK["gate-range"], "ci", None)   # the pytest plugin's items share the run: not called again
    assert r.status == "broken" and "not run: an earlier adapter call `forward` timed out" in r.lines[0]


def test_a_timed_out_param_count_is_reported(short_grace):
    info = _info("spin", "param_count", timeout=0.3)
    r = run_check(info, CHECK["param-count"], "ci", None)
    assert r.status == "broken" and "adapter call `param_count` timed out after 0.3 s during check param-count" in r.lines[0]


def test_a_slow_adapter_is_merely_slow():
    """Slow but within the limit: the right verdict, and no Hypothesis deadline (the time limit is per call)."""
    info = _info("slow", "none", delay=0.002, timeout=5)
    assert run_check(info, CHECK["gate-range"], "ci", None).status == "pass"
    assert _settings("ci", CHECK["forward"]).deadline is None


def test_timeouts_call_keeps_the_callers_context_and_exceptions():
    with np.errstate(over="raise"):
        assert timeouts.call(lambda: np.geterr()["over"], 1.0) == "raise"
    with pytest.raises(KeyError, match="x"):
        timeouts.call(lambda: {}["x"], 1.0)
    assert timeouts.call(threading.current_thread, 0) is threading.current_thread()   # 0: no limit, no worker


# ---------------------------------------------------------------- the command line: exit status and one line on stderr
@pytest.mark.parametrize("factory,only,rc,says", [
    ("raises_on_large", "forward", 1, "forward raised FloatingPointError: overflow encountered in exp"),
    ("nan_on_large", "forward", 1, "hs has 1 non-finite entry (NaN)"),
    ("inf_in_vjp_on_large", "gradients", 1, "gradient['W_h'] has 1 non-finite entry (inf)"),
    ("wrong_shape_on_large", "forward", 1, "hs has shape"),
    ("wrong_dtype_on_large", "forward", 1, "h has dtype float32, but the adapter declares dtype float64"),
    ("mutates_on_large", "forward", 1, "modified its argument in place: the array xs"),
    ("clip_mutates_on_large", "clip-norm", 1, "modified its argument in place: the array grads["),
    ("noise_on_large", "forward", 1, "is nondeterministic"),
    ("flaky_on_large", "forward", 1, "is nondeterministic"),
    ("mutates_always", "forward", 2, "modified its argument in place: the array xs (9 of 9 entries changed)"),
    ("noise_always", "forward", 2, "is nondeterministic"),
    ("hangs_always", "forward", 2, "adapter call `vjp` timed out after 0.5 s (it could not be interrupted"),
    ("hangs_on_large", "forward", 2, "adapter call `step` timed out after 0.5 s (it could not be interrupted"),
    ("spins_on_large", "forward", 2, "adapter call `forward` timed out after 0.5 s on case Case(lstm"),
])
def test_cli_exit_status_and_message(factory, only, rc, says, capsys, short_grace):
    got, out, err = _cli(["validate", f"{ZOO}:{factory}", "--only", f"*/{only}", "--call-timeout", "0.5"], capsys)
    assert got == rc, f"{factory}: exit {got}, expected {rc}\n{out[-2000:]}\n{err}"
    assert "Traceback" not in out + err
    assert says in (out if rc == 1 else err), f"{factory}: {says!r} not in\n{out[-2000:]}\n{err}"
    if rc == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("vanishing validate: broken adapter: "), lines
        assert "0 conform" in out
    else:
        assert "does not conform" in out and "diagnosis: " in out


def test_the_run_goes_on_after_a_hung_adapter(capsys, short_grace):
    rc, out, err = _cli(["validate", f"{ZOO}:spins_then_correct", "--only", "*/gate-range", "--call-timeout", "0.3"], capsys)
    assert rc == 2 and "adapter call `forward` timed out after 0.3 s on the smoke test's ordinary input" in err
    assert "PASS  zoo.hand_lstm / gate-range" in out and "2 adapter(s): 1 conform, 0 do not, 1 broken" in out


@pytest.mark.slow
def test_a_hung_adapter_does_not_keep_the_process_alive():
    """The abandoned call (a sleep of an hour) runs in a daemon thread: the command reports and exits."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "vanishing", "validate", f"{ZOO}:hangs_always", "--call-timeout", "1"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "adapter call `vjp` timed out after 1 s" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert time.perf_counter() - t0 < 60


@pytest.mark.slow
def test_a_slow_adapter_conforms_on_the_command_line(capsys):
    rc, out, _ = _cli(["validate", f"{ZOO}:slow", "--only", "*/forward", "*/gradients"], capsys)
    assert rc == 0 and "1 conform" in out


# ---------------------------------------------------------------- the pytest plugin: a hang fails its item, the run goes on
SPINNING = """
import numpy as np
from vanishing.checks.conformance import reference
from vanishing.checks.conformance.cases import Case


def _case(kind, params, state0, xs, cot=()):
    return Case(kind, "after", np.dtype(np.float64), params, tuple(state0), np.asarray(xs), tuple(cot))


class Spins:
    kind, dtype, name = "rnn-tanh", np.float64, "spins"

    def step(self, params, state, x):
        return reference.step(_case(self.kind, params, state, np.asarray(x)[None]))

    def forward(self, params, state0, xs):
        while max(float(np.max(np.abs(v))) for v in params.values()) > 4:   # loops forever on large weights
            pass
        return reference.forward(_case(self.kind, params, state0, xs))

    def vjp(self, params, state0, xs, cotangents):
        return reference.vjp(_case(self.kind, params, state0, xs, cotangents))


def make():
    return Spins()
"""


@pytest.mark.slow
def test_the_plugin_reports_a_hang_and_skips_the_adapters_later_calls(pytester, monkeypatch):
    monkeypatch.syspath_prepend(pytester.path)
    pytester.makepyfile(spinning=SPINNING)
    res = pytester.runpytest_inprocess("--vanishing-impl=spinning:make", "--vanishing-call-timeout", "0.5",
                                       "-k", "forward or gate", "-p", "no:randomly")
    res.assert_outcomes(failed=2)
    res.stdout.fnmatch_lines(["*spins: adapter call `forward` timed out after 0.5 s on case Case(rnn-tanh, *(check forward)*",
                              "*spins: not run: an earlier adapter call `forward` timed out after 0.5 s*"])
    bad = pytester.runpytest_inprocess("--vanishing-impl=spinning:make", "--vanishing-call-timeout", "-1")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--vanishing-call-timeout: expected a number of seconds >= 0*"])
