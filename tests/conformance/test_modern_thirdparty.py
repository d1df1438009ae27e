"""The third-party implementations of the modern families (checks/conformance/modern_adapters.py): what they are found
to be, each difference named by its mutant. They skip without their optional extra (mingru, lru, mambapy)."""

import numpy as np
import pytest
from vanishing.checks.conformance import validate_adapter
from vanishing.checks.conformance.protocol import AdapterInfo

pytestmark = pytest.mark.torch


def _results(adapter, only):
    rep = validate_adapter(AdapterInfo(adapter), profile="ci", only=only)
    assert not rep.broken, rep.broken
    return {r.check: r for r in rep.results}


def _names(r, mutant):
    return f"[mutant {mutant};" in "\n".join(r.diagnosis)


@pytest.fixture(scope="module")
def mingru():
    pytest.importorskip("minGRU_pytorch")
    from vanishing.checks.conformance import modern_adapters
    return modern_adapters


@pytest.fixture(scope="module")
def lru():
    pytest.importorskip("LRU_pytorch")
    from vanishing.checks.conformance import modern_adapters
    return modern_adapters


@pytest.fixture(scope="module")
def mambapy():
    pytest.importorskip("mambapy")
    from vanishing.checks.conformance import modern_adapters
    return modern_adapters


def test_mingru_pytorch_uses_the_log_space_candidate_g(mingru):
    r = _results(mingru.MinCell("mingru", np.float32), ["forward", "direct-path"])
    assert r["forward"].status == "fail" and _names(r["forward"], "candidate-g"), r["forward"].text()
    assert r["direct-path"].status == "pass", r["direct-path"].text()   # a_t = 1 − z_t is untouched by the candidate


def test_mingru_pytorch_minlstm_parallel_path_passes_h0_through_g(mingru):
    r = _results(mingru.MinCell("minlstm", np.float64), ["parallel"])["parallel"]
    assert r.status == "fail" and _names(r, "h0-through-g") and "on top of forward()'s candidate-g" in r.diagnosis[0], r.text()


def test_mingru_pytorch_mingru_parallel_values_equal_its_loop_but_log_g_has_a_zero_slope_at_0(mingru):
    # log_g(x) = log(relu(x) + 0.5) for x >= 0: relu'(0) = 0 makes d log g/dx = 0 at x = 0, where g'(0) = 1 (d log g = 2)
    r = _results(mingru.MinCell("mingru", np.float64), ["parallel"])["parallel"]
    assert r.status == "fail" and r.lines[0].startswith("parallel_vjp differs"), r.text()
    assert "the gradient w.r.t. xs" in "\n".join(r.lines) and "[mutant" not in "\n".join(r.diagnosis[:1]), r.text()


def test_lru_pytorch_conforms_in_float32_and_rounds_to_float32_in_float64(lru):
    r32 = _results(lru.LRUAdapter(np.float32), ["forward", "gradients", "direct-path"])
    assert all(r.status == "pass" for r in r32.values()), "\n".join(r.text() for r in r32.values())
    r64 = _results(lru.LRUAdapter(np.float64), ["forward"])["forward"]
    assert r64.status == "fail" and _names(r64, "float32-precision"), r64.text()


def test_mambapy_conforms_in_float32_with_its_pscan_and_rounds_A_to_float32_in_float64(mambapy):
    r32 = _results(mambapy.MambaS6(np.float32), ["forward", "gradients", "parallel"])
    assert all(r.status == "pass" for r in r32.values()), "\n".join(r.text() for r in r32.values())
    r64 = _results(mambapy.MambaS6(np.float64), ["forward"])["forward"]
    assert r64.status == "fail" and _names(r64, "float32-precision"), r64.text()
