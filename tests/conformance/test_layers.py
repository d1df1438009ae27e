"""Conformance layer: the mutable reference, the error bounds, the loader and CLI faces, the built-in adapters."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from vanishing import cli
from vanishing.checks import tolerances
from vanishing.checks.conformance import (
    bounds,
    load,
    mutants,
    reference,
    surgery,
    validate_adapter,
)
from vanishing.checks.conformance.protocol import Run
from vanishing.models import kinds
from vanishing.checks.conformance.cases import Case, probe_cases, relu_margin_ok
from vanishing.checks.conformance.tolerance import forward_tol

ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT / "tests" / "zoo"
KINDS = [("rnn-tanh", "after"), ("rnn-relu", "after"), ("lstm", "after"), ("lstm-peephole", "after"), ("gru", "after"),
         ("gru", "before")]


def _close(a, b):
    tol = tolerances.analytic(np.float64, scale=max(1.0, float(np.max(np.abs(b)))))
    return np.all(np.abs(np.asarray(a) - np.asarray(b)) <= tol.bound(b))


# ---------------------------------------------------------------- the mutant library
@pytest.mark.parametrize("kind,reset", KINDS)
def test_unmutated_model_is_the_reference(kind, reset):
    for c in probe_cases(kind, reset, np.float64):
        outs = surgery.run(c)
        ref = reference.forward(c)
        assert all(_close(o, r) for o, r in zip(outs, ref)), f"{kind}: the unmutated model's outputs differ from vanishing.models"
        g = surgery.vjp(c)
        gr = reference.vjp(c)
        assert set(g) == set(gr)
        bad = [k for k in gr if not _close(g[k], gr[k])]
        assert not bad, f"{kind}: the unmutated model's gradients differ from autograd through vanishing.models for {bad}"


@pytest.mark.parametrize("kind,reset", KINDS)
def test_every_mutant_is_a_distinct_hypothesis(kind, reset):
    """A forward mutant changes some output; a backward mutant keeps every output bit for bit and changes a gradient."""
    cases = probe_cases(kind, reset, np.float64, n=1)
    for m in mutants.mutants_for(cases[0]):
        if m.precision:
            continue
        changed_f = changed_g = False
        for c in cases:
            ref = reference.forward(c)
            outs = surgery.run(c, **m.opts)
            changed_f |= not all(_close(o, r) for o, r in zip(outs, ref))
            if m.where == "backward":
                assert all(np.array_equal(np.asarray(o), np.asarray(u)) for o, u in
                           zip(outs, surgery.run(c))), f"{m.name}: changes values"
                g = surgery.vjp(c, **m.opts)
                gr = reference.vjp(c)
                changed_g |= not all(_close(g[k], gr[k]) for k in gr)
        if m.name.startswith("relu-kink"):
            continue   # only visible at a == 0 exactly; tests/conformance/test_zoo.py covers it
        assert changed_f if m.where == "forward" else changed_g, f"{kind}: mutant {m.name} changes nothing on the probes"


# ---------------------------------------------------------------- the error bounds (derive, don't loosen)
@pytest.mark.parametrize("kind,reset", KINDS)
@pytest.mark.parametrize("regime", ["moderate", "saturated"])
def test_forward_bound_covers_a_float32_evaluation(kind, reset, regime):
    """The reference evaluated in float32 arithmetic stays within forward_tol(float32, M) of the float64 reference."""
    rng = np.random.default_rng(7)
    for c in probe_cases(kind, reset, np.float32, n=3, seed=11):
        P = {k: v * (300.0 if regime == "saturated" else 1.0) for k, v in c.params.items()}
        P = {k: v.astype(np.float32).astype(np.float64) for k, v in P.items()}
        xs = np.concatenate([c.xs] * 10)  # T = 40: the bound must carry the error through the recurrence
        xs = xs + rng.uniform(-0.5, 0.5, xs.shape).astype(np.float32)
        if kinds.row(kind).kink and not relu_margin_ok(Case(kind, reset, np.float32, P, c.state0, xs.astype(np.float32).astype(np.float64), c.cot)):
            continue   # the checks' precondition: a relu trajectory representable in float32, away from the kink
        c = c.but(params=P, xs=xs, cot=(np.zeros((xs.shape[0], c.H)),) + c.cot[1:])
        ref = reference.forward(c)
        with np.errstate(over="ignore"):
            f32 = surgery.run(c.but(params={k: v.astype(np.float32) for k, v in P.items()},
                                    state0=tuple(s.astype(np.float32) for s in c.state0), xs=xs.astype(np.float32)))
        M = bounds.magnitudes(c)
        for o, r, m in zip(f32, ref, M):
            assert np.asarray(o).dtype == np.float32
            assert np.all(np.abs(np.asarray(o, dtype=np.float64) - r) <= forward_tol(np.float32, m).bound(r)), \
                f"{kind} {regime}: a float32 evaluation leaves the derived bound"


def test_forward_bound_is_not_vacuous():
    """On moderate data the float32 bound stays below 1e-3 (float16's resolution): precision loss is caught."""
    c = probe_cases("lstm", "after", np.float32)[0]
    ref = reference.forward(c)
    M = bounds.magnitudes(c)
    assert np.max(forward_tol(np.float32, M[0]).bound(ref[0])) < 1e-3
    assert np.max(forward_tol(np.float64, M[0]).bound(ref[0])) < 1e-12


# ---------------------------------------------------------------- loader and CLI (exit status 2, one line)
def _cli(argv, capsys):
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


BROKEN_SPECS = {
    "does-not-import": ("tests_zoo_nonexistent_module:make", "cannot import module"),
    "bad-spec": ("no_colon_here", "expected a built-in target (torch, keras, flax, equinox, haiku, mlx, onnx, mingru, lru, mambapy) or 'package.module:factory'"),
    "no-such-factory": (f"{ZOO / 'broken.py'}:nope", "has no attribute 'nope'"),
    "not-callable": (f"{ZOO / 'broken.py'}:not_callable", "is not callable"),
    "factory-raises": (f"{ZOO / 'broken.py'}:raises", "raised RuntimeError: CUDA device not found"),
    "returns-none": (f"{ZOO / 'broken.py'}:returns_none", "returned None"),
    "wrong-shapes": (f"{ZOO / 'broken.py'}:wrong_shapes", "has shape"),
    "nan": (f"{ZOO / 'broken.py'}:nan", "non-finite"),
    "wrong-dtype": (f"{ZOO / 'broken.py'}:wrong_dtype", "has dtype float32, but the adapter declares dtype float64"),
    "missing-method": (f"{ZOO / 'broken.py'}:missing_method", "missing method(s) vjp"),
    "bad-kind": (f"{ZOO / 'broken.py'}:bad_kind", "kind must be one of"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_SPECS))
def test_broken_adapter_exits_2_with_one_line(case, capsys):
    spec, words = BROKEN_SPECS[case]
    rc, out, err = _cli(["validate", spec, "--only", "forward"], capsys)
    assert rc == 2, f"{case}: exit status {rc}, expected 2 (stdout: {out[-300:]!r})"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"{case}: expected one line on stderr, got {lines}"
    assert "Traceback" not in err + out
    assert words in lines[0], f"{case}: {lines[0]!r} does not say {words!r}"


def test_usage_errors_exit_2(capsys):
    rc, _, err = _cli(["validate", "examples.numpy_lstm:make", "--profile", "nosuch"], capsys)
    assert rc == 2 and "unknown profile" in err
    rc, _, err = _cli(["validate", "examples.numpy_lstm:make", "--only", "no-such-check"], capsys)
    assert rc == 2 and "matches no check" in err


def test_example_conforms_and_writes_json(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)   # the loader puts the current directory on sys.path, like python -m
    path = tmp_path / "out.json"
    rc, out, _ = _cli(["validate", "examples.numpy_lstm:make", "--only", "*float64*/forward", "*float32*/gradients",
                       "--json", str(path)], capsys)
    assert rc == 0, out
    doc = json.loads(path.read_text())
    assert doc["summary"]["conform"] == 2 and doc["summary"]["checks"] == 2
    assert {c["check"] for a in doc["adapters"] for c in a["checks"]} == {"forward", "gradients"}


def test_non_conformance_exits_1_with_diagnosis_and_reproduce(tmp_path, capsys):
    path = tmp_path / "out.json"
    rc, out, _ = _cli(["validate", f"{ZOO / 'zoo.py'}:lstm_gate_order", "--only", "forward", "--json", str(path)], capsys)
    assert rc == 1
    # What differs first (h_t or c_T) depends on the shrunk case; the diagnosis must name the bug either way.
    assert "gates f and g are swapped" in out and ("h_t differs from t=1" in out or "c_T differs at unit" in out)
    assert "reproduce: vanishing validate" in out and "--only 'zoo.lstm_gate_order/forward'" in out
    check = json.loads(path.read_text())["adapters"][0]["checks"][0]
    assert check["status"] == "fail" and check["counterexample"]["H"] >= 1 and check["diagnosis"]


def test_reproduce_snippet_runs_and_shows_the_difference(capsys):
    infos = load(f"{ZOO / 'zoo.py'}:gru_z_flipped")
    r = validate_adapter(infos[0], only=["forward"]).results[0]
    assert r.status == "fail"
    exec(compile(r.reproduce["python"], "<reproduce>", "exec"), {})
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 2 and printed[0] != printed[1]


# ---------------------------------------------------------------- PyTorch built-ins
try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch (the optional extra) is not installed")


@pytest.fixture(scope="module")
def torch_adapters():
    return {i.name: i for i in load("torch")}


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("name,checks", [("torch.nn.LSTMCell[float32]", ["forward", "gradients"]),
                                         ("torch.nn.GRU[float64]", ["forward", "gradients"]),
                                         ("torch.nn.RNNCell(relu)[float32]", ["gradients"])])
def test_torch_builtin_conforms(name, checks, torch_adapters):
    """A sample of the built-ins (the full set, every check: vanishing validate torch, ~40 s)."""
    rep = validate_adapter(torch_adapters[name], only=checks)
    assert not rep.broken
    bad = [r.text() for r in rep.results if r.status != "pass"]
    assert not bad, "\n".join(bad)


@needs_torch
@pytest.mark.torch
def test_torch_clipping_conforms_and_eps_is_found(torch_adapters):
    rep = validate_adapter(torch_adapters["torch.nn.utils.clip_grad[float64]"])
    assert rep.ok, [r.text() for r in rep.results]
    note = " ".join(n for r in rep.results for n in r.notes)
    assert "ε as found: 1e-06 (declared 1e-06)" in note and "< max_norm, strictly" in note


def test_all_builtins_are_declared(monkeypatch):
    if not HAVE_TORCH:
        pytest.skip("torch not installed")
    names = [i.name for i in load("torch")]
    for cls in ("RNNCell(tanh)", "RNNCell(relu)", "LSTMCell", "GRUCell", "RNN(tanh)", "RNN(relu)", "LSTM", "GRU", "utils.clip_grad"):
        for dt in ("float64", "float32"):
            assert f"torch.nn.{cls}[{dt}]" in names


def test_missing_torch_is_a_clear_adapter_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)   # import torch now raises ImportError
    rc, _, err = _cli(["validate", "torch"], capsys)
    assert rc == 2 and "torch is not installed" in err and len(err.strip().splitlines()) == 1


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_norm_underflow_is_inside_the_derived_floor(dtype, torch_adapters):
    """PyTorch returns ‖g‖ = 0.0 for g = [3e-170, 4e-170] (sqrt(Σg²) underflows); the floor sqrt(N·tiny) admits it."""
    from vanishing.checks.conformance.cases import ClipCase
    from vanishing.checks.conformance.checks import ClipNorm
    info = torch_adapters[f"torch.nn.utils.clip_grad[{dtype}]"]
    for g in ([3e-170, 4e-170], [3e-25, 4e-25], [1.2e-38]):
        ClipNorm().body(Run(info), ClipCase([np.asarray(g, dtype=dtype).astype(np.float64)], 0.5, np.dtype(dtype)))


def test_an_internal_error_is_reported_not_raised(capsys):
    from vanishing.checks.conformance.checks import ForwardValues
    from vanishing.checks.conformance.runner import run_check

    class Broken(ForwardValues):
        name = "forward"

        def body(self, info, case):
            raise ZeroDivisionError("float division by zero")
    (info,) = load(f"{ZOO / 'zoo.py'}:lstm_gate_order")
    r = run_check(Run(info), Broken(), "ci", None)
    assert r.status == "error" and "internal error in vanishing (ZeroDivisionError" in r.lines[0]
    assert "vanishing validate" in r.lines[0]


class _Clip32:
    """A correct float32 clip_grad_norm (ε = 0), computed in float32 as a float32 framework does."""
    kind, dtype, clip_eps, name = "clip", np.float32, 0.0, "test.clip32"

    def clip_grad_norm(self, grads, max_norm):
        g32 = [np.asarray(g, dtype=np.float32) for g in grads]
        total = np.float32(np.sqrt(sum(np.sum(g * g) for g in g32)))
        coef = np.float32(max_norm) / total if total > max_norm else np.float32(1.0)
        return [g * coef for g in g32], float(total)


def clip32():
    return _Clip32()


@pytest.mark.parametrize("planted", [False, True])
def test_clip_norm_factor_of_a_subnormal_array_is_not_a_direction_change(planted):
    """Found by the flakiness runs (validate torch, dev profile, seed 636081609): in float32, 0.899 × 1.4e-45
    rounds back to 1.4e-45, so that array's factor reads 1.0. The factor check allows the subnormal spacing
    (tolerances.scale_factor); a real change of direction, planted on normal numbers, still fails."""
    from vanishing.checks.conformance.cases import ClipCase
    from vanishing.checks.conformance.checks import ClipNorm
    from vanishing.checks.conformance.compare import Mismatch
    (info,) = load(f"{__file__}:clip32")
    grads = [np.array([-570.0, 530.0]), np.array([[1.401298464324817e-45]])]
    if planted:
        info.obj.clip_grad_norm = lambda g, m: ([np.asarray(g[0], np.float32) * np.float32(0.9), np.asarray(g[1], np.float32)],
                                                float(np.sqrt(sum(np.sum(x * x) for x in g))))
        grads[1] = np.array([[0.25]])
    case = ClipCase(grads, 700.0, np.dtype(np.float32))
    if planted:
        with pytest.raises(Mismatch, match="scaled by different factors"):
            ClipNorm().body(Run(info), case)
    else:
        ClipNorm().body(Run(info), case)
