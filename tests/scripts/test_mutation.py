"""scripts/mutation.py (issue 13 §5, not run in CI): its test selection and its interval, without running mutants."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mutation():
    spec = importlib.util.spec_from_file_location("mutation_script", ROOT / "scripts" / "mutation.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_model_mutant_runs_the_claims_whose_check_uses_the_model(mutation):
    sel = mutation.selection("models/rnn.py")
    assert "tests/checks/test_claims.py::test_claim_agrees_with_its_verdict[INIT-RNN-SPECTRAL-RADIUS]" in sel
    assert "tests/models/test_rnn.py" in sel
    # direct users first, so that -x stops a killed mutant early
    assert sel.index("tests/checks/test_claims.py::test_claim_agrees_with_its_verdict[INIT-RNN-SPECTRAL-RADIUS]") < sel.index("tests/models/test_rnn.py")


@pytest.mark.parametrize("text,found", [
    ("from vanishing.models import rnn, stacked\n", True),
    ("from vanishing.models import (\n    rnn,\n    stacked,\n)\n", True),             # wrapped over several lines
    ("import vanishing.models.stacked as s\n", True),
    ("from vanishing.models.stacked import forward\n", True),
    ("from vanishing.models import (rnn,\n    lstm)\nstacked = None\n", False),       # the name outside the import
    ("from vanishing.models import stackedness\n", False),
])
def test_a_test_module_is_found_by_any_form_of_its_import(mutation, text, found):
    assert mutation._imports(text, "vanishing.models.stacked") is found


def test_a_module_every_model_imports_reaches_every_model(mutation):
    deps = mutation.dependents("models/_validate.py")
    models = {"vanishing.models." + p.stem for p in (ROOT / "models").glob("*.py") if p.stem != "__init__"}
    assert models - {"vanishing.models._validate"} <= deps | {"vanishing.models.__init__"}


def test_oracle_mutants_run_every_claim(mutation):
    assert mutation.selection("checks/oracles.py")[0] == "tests/checks/test_claims.py"


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


# what pytest printed for models/activations.py:306 (seed 29): the Activation table raises at import
_IMPORT_BROKEN = """
==================================== ERRORS ====================================
____________________ ERROR collecting tests/checks/test_claims.py _____________________
tests/checks/test_claims.py:6: in <module>
    CATALOGUE = runner.catalogue()
vanishing/checks/registry.py:165: in load_checks
    importlib.import_module(f"{pkg.__name__}.{info.name}")
<frozen importlib._bootstrap>:1204: in _gcd_import
    ???
vanishing/checks/claims/activations.py:11: in <module>
    from vanishing.models import activations as act
vanishing/models/activations.py:234: in <module>
    "sigmoid": Activation("sigmoid", sigmoid_prime, 0.25, 0.0, 0.0, 1.0),
E   TypeError: Activation.__init__() missing 1 required positional argument: 'range_hi'
1 error in 0.42s
ERROR: found no collectors for /tmp/w0/repo/tests/checks/test_claims.py::test_claim_agrees_with_its_verdict
"""
# pytest's form for a conftest that cannot import (a planted raise in checks/profiles.py: exit 4, on stderr)
_CONFTEST_BROKEN = """ImportError while loading conftest '/tmp/w0/repo/tests/conftest.py'.
tests/conftest.py:40: in <module>
    from vanishing.checks import profiles  # noqa: E402
vanishing/checks/profiles.py:162: in <module>
    raise KeyError("planted")
E   KeyError: 'planted'
"""
# Python's own traceback form, with absolute paths into the worker's copy
_ABSOLUTE = """ImportError while loading conftest '/tmp/w0/repo/tests/conftest.py'.
  File "/tmp/w0/repo/tests/conftest.py", line 40, in <module>
    from vanishing.checks import profiles
  File "/tmp/w0/repo/vanishing/checks/tolerances.py", line 12, in <module>
    EPS = {np.float64: np.finfo(np.float64).eps, }[np.float32]
KeyError: <class 'numpy.float32'>
"""


def test_a_mutant_that_breaks_the_import_through_its_own_file_is_killed(mutation):
    assert mutation.classify(4, _IMPORT_BROKEN, "models/activations.py", None, lambda: True) == ("killed", "breaks the import")
    assert mutation.classify(4, _CONFTEST_BROKEN, "checks/profiles.py", None, lambda: True) == ("killed", "breaks the import")
    assert mutation.classify(4, _ABSOLUTE, "checks/tolerances.py", Path("/tmp/w0/repo"), lambda: True) == (
        "killed", "breaks the import")
    assert mutation.classify(2, _IMPORT_BROKEN, "models/activations.py", None, lambda: True)[0] == "killed"


def test_a_broken_scratch_copy_is_never_a_kill(mutation):
    # the traceback does not pass through the mutated file: the copy is broken elsewhere
    assert mutation.classify(4, _IMPORT_BROKEN, "models/rnn.py", None, lambda: True) == ("error rc=4", None)
    # the same frame in another copy (not this worker's) or in a look-alike path does not count
    assert mutation.classify(4, _ABSOLUTE, "checks/tolerances.py", Path("/tmp/w1/repo"), lambda: True)[0] == "error rc=4"
    assert mutation.classify(4, _CONFTEST_BROKEN, "checks/tolerances.py", None, lambda: True)[0] == "error rc=4"
    assert not mutation.breaks_the_import(_IMPORT_BROKEN.replace("vanishing/models/activations.py", "xmodels/activations.py"),
                                          "models/activations.py")
    # the copy without the mutant does not collect either (e.g. its own imports are broken): not the mutant's doing
    assert mutation.classify(4, _IMPORT_BROKEN, "models/activations.py", None, lambda: False) == ("error rc=4", None)
    # a usage error such as a selected file missing from the copy: no import failed
    missing = "ERROR: file or directory not found: tests/test_new.py\n\nno tests ran in 0.01s\n"
    assert mutation.classify(4, missing, "models/activations.py", None, lambda: True) == ("error rc=4", None)
    # a frame in the mutated file, but not from an import (an internal error of pytest, say): not a kill
    assert mutation.classify(3, _IMPORT_BROKEN, "models/activations.py", None, lambda: True) == ("error rc=3", None)


def test_exit_0_survives_and_exit_1_kills_without_probing(mutation):
    def never():
        raise AssertionError("the clean copy is probed only for an error exit")
    assert mutation.classify(0, "", "models/rnn.py", None, never) == ("survived", None)
    assert mutation.classify(1, "FAILED tests/x.py::t", "models/rnn.py", None, never) == ("killed", "a test failed")
