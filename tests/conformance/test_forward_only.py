"""The forward-only mode of the protocol (``gradients = False``): gradient checks are "n/a", neither passed nor
failed; the forward checks still run and can fail. Needs nothing optional: the adapters wrap the reference."""

import json

import numpy as np
import pytest

from vanishing.checks.conformance import reference, validate_adapter
from vanishing.checks.conformance.cases import Case
from vanishing.checks.conformance.protocol import AdapterError, AdapterInfo
from vanishing.checks.conformance.runner import NOT_APPLICABLE

pytest_plugins = ["pytester"]


class ForwardOnlyLSTM:
    """The reference LSTM without a vjp; ``scale`` plants a forward bug (the output gate's h scaled)."""

    kind, dtype, gradients = "lstm", np.float64, False

    def __init__(self, scale=1.0, name="fwd-only LSTM"):
        self.scale, self.name = scale, name

    def forward(self, params, state0, xs):
        c = Case("lstm", "after", np.dtype(np.float64), params, state0, xs, None)
        hs, cT = reference.forward(c)
        return hs * self.scale, cT

    def step(self, params, state, x):
        hs, c = self.forward(params, state, np.asarray(x)[None])
        return hs[0], c


def test_gradient_checks_do_not_apply_and_are_not_counted():
    rep = validate_adapter(AdapterInfo(ForwardOnlyLSTM(), origin="test"))
    status = {r.check: r.status for r in rep.results}
    assert {c for c, s in status.items() if s == NOT_APPLICABLE} == {"gradients", "gradients-fd", "direct-path", "gate-range"}
    assert status["forward"] == status["long-sequence"] == "pass"
    assert rep.ok and all("does not apply" in r.text() for r in rep.results if r.status == NOT_APPLICABLE)
    assert all(r.to_json()["status"] == "n/a" for r in rep.results if r.status == NOT_APPLICABLE)


def test_a_forward_only_adapter_still_fails_its_forward_checks():
    rep = validate_adapter(AdapterInfo(ForwardOnlyLSTM(scale=1.01), origin="test"))
    status = {r.check: r.status for r in rep.results}
    assert status["forward"] == "fail" and not rep.ok
    assert status["gradients"] == NOT_APPLICABLE   # never "fail" either


def test_gradients_must_be_a_bool():
    a = ForwardOnlyLSTM()
    a.gradients = "no"
    with pytest.raises(AdapterError, match="gradients must be True or False"):
        AdapterInfo(a)


def test_a_gradient_adapter_still_needs_vjp():
    a = ForwardOnlyLSTM()
    a.gradients = True
    with pytest.raises(AdapterError, match="missing method.*vjp"):
        AdapterInfo(a)


def test_cli_summary_and_json_count_n_a_apart(tmp_path, monkeypatch):
    import sys
    mod = tmp_path / "fwd_only_adapters.py"
    mod.write_text("from vanishing.checks.conformance import reference\nimport numpy as np\n"
                   "from vanishing.checks.conformance.cases import Case\n"
                   "class A:\n    kind, dtype, gradients, name = 'rnn-tanh', np.float64, False, 'fwd-rnn'\n"
                   "    def forward(self, p, s, xs):\n        return reference.forward(Case('rnn-tanh', 'after', np.dtype('float64'), p, s, xs, None))\n"
                   "    def step(self, p, s, x):\n        return (self.forward(p, s, np.asarray(x)[None])[0][0],)\n"
                   "def make():\n    return [A()]\n", encoding="utf-8")
    from vanishing.cli import main
    out = tmp_path / "r.json"
    monkeypatch.setattr(sys, "argv", ["vanishing", "validate"])
    rc = main(["validate", f"{mod}:make", "--json", str(out), "--quiet"])
    doc = json.loads(out.read_text())
    assert rc == 0, doc
    s = doc["summary"]
    assert s["checks_not_applicable"] == 2 and s["checks"] == s["checks_passed"] == 3, s   # forward, long-sequence, gate-range


def test_matrix_shows_n_a_and_does_not_count_it():
    from vanishing.checks.conformance import matrix
    info = AdapterInfo(ForwardOnlyLSTM(), origin="test")
    row = matrix._adapter_row(info, validate_adapter(info, only=["forward", "gradients"]))
    assert row["checks"] == {"forward": "pass", "gradients": NOT_APPLICABLE} and not row["unexplained"]
    fw = {"target": "fake", "versions": {}, "adapters": [row], "differences": [], "checks": 1, "passed": 1,
          "not_applicable": 1, "explained": 0, "unexplained": 0, "broken": 0, "seconds": 0.0}
    doc = {"generated": "now", "profile": "ci", "python": "3", "frameworks": [fw], "missing": []}
    md = matrix.to_markdown(doc)
    line = next(ln for ln in md.splitlines() if ln.startswith("| fwd-only LSTM"))
    cells = [c.strip() for c in line.split("|")]
    assert cells[5:7] == ["✓", "n/a"], line          # forward ✓, gradients n/a (never ✓, never ✗)
    assert "| fake |  | 1 | 1 | 1 | 0 | 0 | 1 |" in md


FORWARD_ONLY_MODULE = """
import numpy as np
from vanishing.checks.conformance import reference
from vanishing.checks.conformance.cases import Case


class A:
    kind, dtype, gradients, name = "rnn-tanh", np.float64, False, "fwd-rnn"

    def forward(self, p, s, xs):
        return reference.forward(Case("rnn-tanh", "after", np.dtype("float64"), p, tuple(s), np.asarray(xs), None))

    def step(self, p, s, x):
        return (self.forward(p, s, np.asarray(x)[None])[0][0],)


def make():
    return [A()]
"""


def test_pytest_plugin_skips_what_does_not_apply(pytester, monkeypatch):
    monkeypatch.syspath_prepend(pytester.path)
    pytester.makepyfile(fwd_adapters=FORWARD_ONLY_MODULE)
    res = pytester.runpytest_inprocess("--vanishing-impl=fwd_adapters:make", "-rs")
    res.assert_outcomes(passed=3, skipped=2)   # forward, long-sequence, gate-range; gradients, gradients-fd n/a
    res.stdout.fnmatch_lines(["*does not apply: the adapter is forward-only*"])


def test_an_adapter_may_declare_its_call_timeout_and_the_cli_overrides_it():
    from vanishing.checks.conformance.protocol import Run
    a = ForwardOnlyLSTM()
    a.call_timeout = 120
    info = AdapterInfo(a)
    assert Run(info).call_timeout == 120 and Run(info, call_timeout=5).call_timeout == 5
    assert Run(AdapterInfo(ForwardOnlyLSTM())).call_timeout == 30
    a.call_timeout = -1
    with pytest.raises(AdapterError, match="call_timeout must be a number of seconds > 0"):
        AdapterInfo(a)
