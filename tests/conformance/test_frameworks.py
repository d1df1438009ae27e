"""The built-in framework targets: keras, flax, equinox, haiku (each an optional extra; a missing one is a skip here
and a one-line error naming the extra for `vanishing validate`).

A sample of each target's adapters runs here (the full set, every check: `vanishing validate <target>`, or the
conformance matrix, docs/CONFORMANCE.md). Every documented difference of a framework from the textbook is confirmed:
its *textbook* variant, which drops that part of the parameter map, fails and is reproduced by the named mutant.
"""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

import vanishing
from vanishing.checks.conformance import load, validate_adapter
from vanishing.checks.conformance.protocol import AdapterError, AdapterInfo

pytestmark = pytest.mark.frameworks

SAMPLE = {   # target → [(adapter name, checks)]
    "flax": [("flax.nnx.GRUCell[float64]", ["forward", "gradients", "direct-path"]),
             ("flax.nnx.OptimizedLSTMCell[float32]", ["forward", "gradients"])],
    "equinox": [("equinox.nn.GRUCell[float64]", ["forward", "gradients", "direct-path"]),
                ("equinox.nn.LSTMCell[float32]", ["forward", "gradients"])],
    "haiku": [("haiku.GRU[float64]", ["forward", "gradients", "direct-path"]),
              ("haiku.LSTM[float32]", ["forward", "gradients"]), ("haiku.VanillaRNN[float64]", ["forward"])],
    "keras": [("keras.layers.GRUCell(reset_after=False)[float32, {b} backend]", ["forward", "gradients"]),
              ("keras.layers.LSTM[float64, {b} backend]", ["forward", "gradients"])],
}
NEEDS = {"flax": "flax", "equinox": "equinox", "haiku": "haiku", "keras": "keras"}


def _installed(module):
    """Skip unless ``module`` is installed (found, not imported: importing keras would fix its backend first)."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} (an optional extra) is not installed")


def _adapters(target):
    _installed(NEEDS[target])
    if target != "keras":
        _installed("jax")
    return {i.name: i for i in load(target)}


@pytest.mark.parametrize("target,name,checks", [(t, n, c) for t, rows in SAMPLE.items() for n, c in rows])
def test_framework_builtin_conforms(target, name, checks):
    infos = _adapters(target)
    if target == "keras":
        from vanishing.checks.conformance.keras_adapters import backend
        name = name.format(b=backend()[1])
    rep = validate_adapter(infos[name], only=checks)
    assert not rep.broken, rep.broken
    bad = [r.text() for r in rep.results if r.status != "pass"]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("target", ["haiku", "keras"])
def test_every_documented_difference_is_confirmed_by_its_mutant(target):
    _adapters(target)
    import importlib
    mod = importlib.import_module(f"vanishing.checks.conformance.{target}_adapters")
    for adapter, (what, mutant, _, _) in mod.textbook_variants():
        r = validate_adapter(AdapterInfo(adapter, origin=target), only=["forward"]).results[0]
        assert r.status == "fail", f"{adapter.name}: the textbook map of {what!r} conforms: the difference is not real"
        assert any(f"[mutant {mutant};" in d for d in r.diagnosis), f"{adapter.name}: {what!r} not confirmed by {mutant}: {r.diagnosis}"


def test_keras_float64_cells_compute_in_float32_confirmed():
    """A finding: keras.ops.matmul demotes float64 to float32, so the float64 cells agree to float32 precision only."""
    infos = _adapters("keras")
    from vanishing.checks.conformance.keras_adapters import backend
    r = validate_adapter(infos[f"keras.layers.SimpleRNNCell[float64, {backend()[1]} backend]"], only=["forward"]).results[0]
    assert r.status == "fail" and any("[mutant float32-precision;" in d for d in r.diagnosis), r.text()


def test_haiku_gru_direct_path_is_one_minus_z_through_the_map():
    """Haiku's h' = (1−z)h + z·a: through the exact map (z weights negated) the canonical direct path diag(z) holds."""
    infos = _adapters("haiku")
    from vanishing.checks.conformance.haiku_adapters import HaikuCell
    a = infos["haiku.GRU[float64]"].obj
    rng = np.random.default_rng(3)
    H, D = 2, 3
    P = {"W_x": rng.normal(size=(3 * H, D)), "W_h": np.zeros((3 * H, H)), "b": rng.normal(size=3 * H)}
    x, h = rng.normal(size=D), rng.normal(size=H)
    J = np.stack([a.vjp(P, (h,), x[None], (np.eye(H)[j][None],))["h0"] for j in range(H)])
    z_canon = 1 / (1 + np.exp(-(P["W_x"][H:2 * H] @ x + P["b"][H:2 * H])))
    assert np.allclose(J, np.diag(z_canon), rtol=1e-12, atol=1e-15)
    assert isinstance(a, HaikuCell) and "z weights the candidate" in a.convention


def test_jax_x64_does_not_leak_into_the_callers_process():
    infos = _adapters("equinox")
    import jax
    import jax.numpy as jnp
    before = bool(jax.config.jax_enable_x64)
    rep = validate_adapter(infos["equinox.nn.LSTMCell[float64]"], only=["forward"])
    assert rep.ok
    assert bool(jax.config.jax_enable_x64) == before and jnp.zeros(1).dtype == (jnp.float64 if before else jnp.float32)


@pytest.mark.parametrize("target,module,extra", [("flax", "jax", "flax"), ("equinox", "equinox", "equinox"),
                                                  ("haiku", "haiku", "haiku"), ("keras", "keras", "keras")])
def test_a_missing_framework_is_one_line_naming_the_extra(target, module, extra, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)   # import <module> now raises ImportError
    if target == "keras":
        monkeypatch.setenv("KERAS_BACKEND", "torch")
    with pytest.raises(AdapterError) as e:
        load(target)
    msg = str(e.value)
    assert "\n" not in msg and vanishing.install_hint(extra) in msg, msg


def test_keras_backend_is_chosen_in_a_fresh_process_without_touching_a_set_one():
    _installed("keras")
    code = ("import os; from vanishing.checks.conformance.keras_adapters import backend; k, b = backend(); "
            "print(b, os.environ['KERAS_BACKEND'])")
    env = {k: v for k, v in __import__("os").environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd="/", timeout=300)
    assert out.returncode == 0, out.stderr[-500:]
    b, env_b = out.stdout.split()
    assert b == env_b and b in ("torch", "jax")
    env["KERAS_BACKEND"] = "jax" if b == "torch" else "torch"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd="/", timeout=300)
    if out.returncode == 0:   # the other backend is installed: the user's choice is kept
        assert out.stdout.split()[0] == env["KERAS_BACKEND"]
