"""scripts/mutation.py (issue 13 §5, not run in CI): its test selection and its interval, without running mutants."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mutation():
    spec = importlib.util.spec_from_file_location("mutation_script", ROOT / "scripts" / "mutation.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_model_mutant_runs_the_claims_whose_check_uses_the_model(mutation):
    sel = mutation.selection("models/rnn.py")
    assert "tests/test_claims.py::test_claim_agrees_with_its_verdict[INIT-RNN-SPECTRAL-RADIUS]" in sel
    assert "tests/test_models_basic.py" in sel
    # direct users first, so that -x stops a killed mutant early
    assert sel.index("tests/test_claims.py::test_claim_agrees_with_its_verdict[INIT-RNN-SPECTRAL-RADIUS]") < sel.index("tests/test_models_basic.py")


def test_a_module_every_model_imports_reaches_every_model(mutation):
    deps = mutation.dependents("models/_validate.py")
    models = {"vanishing.models." + p.stem for p in (ROOT / "models").glob("*.py") if p.stem != "__init__"}
    assert models - {"vanishing.models._validate"} <= deps | {"vanishing.models.__init__"}


def test_oracle_mutants_run_every_claim(mutation):
    assert mutation.selection("checks/oracles.py")[0] == "tests/test_claims.py"


@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (55, 64), (1, 1)])
def test_wilson_interval_contains_the_estimate(mutation, k, n):
    lo, hi = mutation.wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_mutants_are_mutmuts_and_change_the_source(mutation):
    pytest.importorskip("mutmut", reason="mutmut is not a test dependency; install it to run scripts/mutation.py")
    ms = mutation.mutants_of("models/leaky.py")
    assert len(ms) > 10
    src = (ROOT / "models/leaky.py").read_text()
    assert ms[0].source() != src and "→" in ms[0].describe()
