"""No false rejection, by construction: the project's own reference, wrapped as adapters, conforms.

For every kind of models/kinds.py, both dtypes, every native parameter set that applies to the kind (and both GRU
reset conventions) and stacks of 1–3 layers, one or two directions, batch_first or not, an LSTM's proj_size 0 and
> 0 (``reference_adapter.builtins()``). A check that rejects one of them is wrong, not the reference.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from vanishing.checks.conformance import reference_adapter, validate_adapter
from vanishing.checks.conformance.protocol import AdapterInfo
from vanishing.models import clipping

ADAPTERS = {a.name: a for a in reference_adapter.builtins()}


def _conforms(adapter, profile, seed=None, only=None):
    rep = validate_adapter(AdapterInfo(adapter), profile=profile, seed=seed, only=only)
    assert not rep.broken, rep.broken
    bad = [r.text() for r in rep.results if r.status != "pass"]
    assert not bad, "\n".join(bad)
    assert rep.results


def test_every_kind_dtype_param_set_and_stack_configuration_is_covered():
    from vanishing.models import kinds, layouts
    cells = {(a.kind, a.dtype.name, a.param_set) for a in ADAPTERS.values() if a.kind != "stack"}
    assert cells == {(k, dt, p) for k in kinds.CELL_KINDS for dt in ("float64", "float32")
                     for p, ps in layouts.PARAM_SETS.items() if k in ps.kinds}
    stacks = [a for a in ADAPTERS.values() if a.kind == "stack"]
    assert {a.cell for a in stacks} == set(kinds.STACK_KINDS)
    assert {a.config["num_layers"] for a in stacks} == {1, 2, 3}
    assert {a.config["bidirectional"] for a in stacks} == {a.config["batch_first"] for a in stacks} == {False, True}
    assert {bool(a.config.get("proj_size")) for a in stacks if a.cell == "lstm"} == {False, True}


# The fast tier (~2 s): the checks a false rejection was found in, on every family, both dtypes, and one stack.
FAST = {"vanishing.reference[lstm-peephole, float64]": ["gate-range", "direct-path"],
        "vanishing.reference[lstm-peephole, float32]": ["gate-range"],
        "vanishing.reference[gru, reset=after, gru-bhn, float32]": ["gate-range"],
        "vanishing.reference[gru, reset=before, one-bias, float64]": ["gate-range", "direct-path"],
        "vanishing.reference[lstm, two-biases, float32]": ["gate-range"],
        "vanishing.reference[rnn-relu, float32]": ["gate-range"],
        "vanishing.reference.stack[rnn-tanh, num_layers=2, bidirectional=True, batch_first=True, float32]": None}


@pytest.mark.parametrize("name", sorted(FAST))
def test_reference_conforms_fast(name):
    _conforms(ADAPTERS[name], "ci", only=FAST[name])


def test_peephole_gate_range_regression():
    # issue 23: all weights 0, p_f = −0.96, c0 = −2.9 read f with p_f = 0 but c_1 with p_f = −0.96: "|i⊙g| = 1.28 > 1"
    from vanishing.checks.conformance.cases import Case
    from vanishing.checks.conformance.checks import CHECKS
    from vanishing.checks.conformance.protocol import Run
    z = lambda *s: np.zeros(s)
    case = Case("lstm-peephole", "after", np.dtype(np.float64), {"W_x": z(4, 1), "W_h": z(4, 1), "b": z(4), "p_i": z(1),
                "p_f": np.array([-0.96]), "p_o": z(1)}, (z(1), np.array([-2.9])), z(1, 1), (np.array([[-1.0]]), np.array([0.21])))
    gate_range = next(c for c in CHECKS if c.name == "gate-range")
    gate_range.body(Run(AdapterInfo(ADAPTERS["vanishing.reference[lstm-peephole, float64]"])), case)   # no Mismatch


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_reference_conforms_under_ci(name):
    _conforms(ADAPTERS[name], "ci")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_reference_conforms_under_dev_seeds(name, seed):
    _conforms(ADAPTERS[name], "dev", seed=seed)


# ---------------------------------------------------------------- max_norm = 0 (issue 23, item 2)
def _zoo():
    spec = importlib.util.spec_from_file_location("_vanishing_test_zoo_nf", Path(__file__).resolve().parents[1] / "zoo" / "zoo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_zero_over_zero_clipper_hides_under_easy_inputs_and_is_rejected_and_named():
    zoo = _zoo()
    bad, rng = zoo.clip_zero_over_zero(), np.random.default_rng(0)
    for _ in range(20):   # every max_norm > 0: it is right
        gs, c = [rng.uniform(-5, 5, (2, 3))], float(rng.uniform(0.1, 20))
        np.testing.assert_allclose(bad.clip_grad_norm(gs, c)[0][0], clipping.clip_by_global_norm(gs, c)[0][0], rtol=1e-14)
    rep = validate_adapter(AdapterInfo(bad), profile="ci", only=["clip-norm"])
    (r,) = rep.results
    assert r.status == "fail" and r.counterexample.threshold == 0.0 and not any(np.any(g) for g in r.counterexample.grads)
    assert any("[mutant zero-over-zero;" in d for d in r.diagnosis), r.diagnosis
    _conforms(zoo.Clip("zoo.clip"), "ci", only=["clip-norm"])   # the correct clipper passes the same cases


def test_a_structure_failure_of_an_exact_cell_names_no_mutant():
    # issue 23: the false gate-range failure of an exact float64 peephole cell was blamed on float32-precision
    from vanishing.checks.conformance.checks import GateRange
    from vanishing.checks.conformance.compare import Mismatch
    from vanishing.checks.conformance.protocol import Run
    from vanishing.checks.conformance.runner import run_check

    class Planted(GateRange):   # a wrong claim: every case fails
        def body(self, run, case):
            raise Mismatch("structure", ["planted"], case)
    r = run_check(Run(AdapterInfo(ADAPTERS["vanishing.reference[rnn-tanh, float64]"])), Planted(), "ci", None)
    assert r.status == "fail" and not any("[mutant" in d for d in r.diagnosis), r.diagnosis
    assert "equal the reference's to float64 precision" in r.diagnosis[0]
