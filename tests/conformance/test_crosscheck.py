"""The conformance reference is not trusted blindly: each planted reference bug is caught, and the reference is blamed.

checks/conformance/crosscheck.py compares ``reference`` (autograd through vanishing.models) with an independent NumPy
implementation (forward, hand-written BPTT, parameter-set maps, direct path, counts, clipping) and, where a gradient
differs, with finite differences of the reference. Here every reference quantity the validator uses gets a planted
bug: the cross-check must name it and blame vanishing, and a correct cell (tests/zoo/zoo.py, no torch) must not be
blamed, neither by the cross-check nor, when a bug slips past it, by the diagnosis.
"""

import types

import numpy as np
import pytest

from vanishing import cli
from vanishing.checks import oracles, tolerances
from vanishing.checks.conformance import crosscheck, independent, load, reference, validate_adapter
from vanishing.checks.conformance.protocol import CELL_KINDS
from vanishing.models import clipping, gru, kinds, layouts, lstm

from .test_layers import ZOO, needs_torch

pytest_plugins = ["pytester"]

#: Every (kind, reset, parameter set) the protocol admits.
COMBOS = [(k, r, p) for k in CELL_KINDS for r in (("after", "before") if k == "gru" else ("after",))
          for p, ps in layouts.PARAM_SETS.items() if k in ps.kinds]


def _info(kind="lstm", reset="after", pset="canonical", norm=False, value=False, eps=0.0):
    return types.SimpleNamespace(kind=kind, reset=reset, param_set=pset, has_clip_norm=norm, has_clip_value=value, clip_eps=eps)


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """No memoised verdict leaks between tests (a planted bug inside a model is not part of the memo's key)."""
    monkeypatch.setattr(crosscheck, "_DONE", {})


def _correct(name):
    return next(i for i in load(f"{ZOO / 'zoo.py'}:correct") if i.name == name)


# ---------------------------------------------------------------- the sound reference passes; the oracle is not an echo
@pytest.mark.parametrize("kind,reset,pset", COMBOS)
def test_the_sound_reference_agrees_with_the_independent_implementation(kind, reset, pset):
    assert crosscheck.findings(_info(kind, reset, pset)) == []


@pytest.mark.parametrize("cell,config", [("rnn-tanh", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
                                         ("rnn-relu", {"num_layers": 1}),
                                         ("lstm", {"num_layers": 2, "bidirectional": True, "proj_size": 1}),
                                         ("gru", {"num_layers": 2, "bidirectional": True, "batch_first": True})])
def test_the_sound_stack_reference_agrees_with_the_composed_hand_cells(cell, config):
    assert crosscheck.findings(_stack_info(cell, **config)) == []


def test_the_stack_layout_is_pytorchs():
    """The cross-check's own layout of a module's parameters is PyTorch's (what the stack adapters hand over)."""
    torch = pytest.importorskip("torch", reason="torch (the optional extra) is not installed")
    m = torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=1)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == independent.stack_layout(
        "lstm", {"num_layers": 2, "bidirectional": True, "proj_size": 1}, 3, 2)


@pytest.mark.parametrize("eps", [0.0, 1e-6])
def test_the_sound_clipping_agrees(eps):
    assert crosscheck.findings(_info("clip", norm=True, value=True, eps=eps)) == []


@pytest.mark.parametrize("kind,reset", [(k, r) for k in CELL_KINDS for r in (("after", "before") if k == "gru" else ("after",))
                                        if kinds.row(k).family in independent.CELLS])   # the modern families have none yet
def test_the_hand_bptt_agrees_with_finite_differences_of_the_hand_forward(kind, reset):
    """The third oracle is checked on its own: ⟨hand BPTT, w⟩ against FD of the hand forward (no reference involved)."""
    for case, _ in crosscheck.cases(kind, reset):
        P, s0, xs, cot = case.params, case.state0, case.xs, case.cot
        g = independent.cell_vjp(kind, P, s0, xs, cot, reset)
        arrays = [P[k] for k in P] + [xs, *s0]
        sizes = [a.size for a in arrays]
        z0 = np.concatenate([np.ravel(a) for a in arrays])

        def f(z, arrays=arrays, sizes=sizes, P=P, s0=s0):
            parts = [p.reshape(a.shape) for p, a in zip(np.split(z, np.cumsum(sizes)[:-1]), arrays)]
            Pz = dict(zip(P, parts[:len(P)]))
            outs, _ = independent.cell_forward(kind, Pz, tuple(parts[len(P) + 1:]), parts[len(P)], reset)
            return np.concatenate([np.ravel(o) for o in outs])
        w = np.random.default_rng(3).uniform(-1, 1, z0.size)
        fd, err = oracles.directional_fd(f, z0, w, np.concatenate([np.ravel(c) for c in cot]),
                                         initial_step=1e-3 if kinds.row(kind).kink else 0.5)
        flat_g = np.concatenate([np.ravel(g[k]) for k in list(P) + ["xs"]] + [np.ravel(g[k]) for k in ("h0", "c0")[:len(s0)]])
        tol = tolerances.plus(tolerances.gradient(np.float64, scale=max(1.0, float(np.max(np.abs(flat_g)))) * float(np.sum(np.abs(w)))),
                              tolerances.fd(err, np.float64, scale=0.0))
        assert abs(flat_g @ w - fd) <= float(tol.bound(fd)), f"{kind}: hand BPTT {flat_g @ w} vs FD {fd} ± {err}"


# ---------------------------------------------------------------- planted reference bugs: each caught, with its message
def _vjp_drops_c_T(monkeypatch):
    orig = reference.vjp

    def vjp(case):
        if len(case.cot) == 2:
            case = case.but(cot=(case.cot[0], np.zeros_like(case.cot[1])))   # BUG: the c_T cotangent is ignored
        return orig(case)
    monkeypatch.setattr(reference, "vjp", vjp)


def _two_bias_count_off_by_H(monkeypatch):
    orig = reference.param_count
    monkeypatch.setattr(reference, "param_count", lambda kind, H, D: (orig(kind, H, D)[0], orig(kind, H, D)[1] + H))


def _canonical_count_off(monkeypatch):
    orig = reference.param_count
    monkeypatch.setattr(reference, "param_count", lambda kind, H, D: (orig(kind, H, D)[0] - H, orig(kind, H, D)[1]))


def _candidate_gate_bias_off(monkeypatch):
    """A forward bug inside the model, in one gate block: the candidate g's pre-activation is off by 0.1."""
    orig = lstm._gates

    def _gates(p, h, c, x, variant, H):
        p = dict(p)
        p["b"] = p["b"] + np.concatenate([np.zeros(2 * H), np.full(H, 0.1), np.zeros(H)])   # BUG: g block
        return orig(p, h, c, x, variant, H)
    monkeypatch.setattr(lstm, "_gates", _gates)


def _reset_swapped(monkeypatch):
    swap = {"after": "before", "before": "after"}
    forward, step = gru.forward, gru.step
    monkeypatch.setattr(gru, "forward", lambda p, h, xs, reset="after": forward(p, h, xs, reset=swap[reset]))
    monkeypatch.setattr(gru, "step", lambda p, h, x, reset="after": step(p, h, x, reset=swap[reset]))   # BUG: the other convention


def _two_biases_map_drops_b_h(monkeypatch):
    ps = layouts.PARAM_SETS["two-biases"]
    orig = ps.to_canonical

    def to_canonical(kind, params):
        P = orig(kind, params)
        P["b"] = params["b_x"]                                   # BUG: b_h is dropped
        return P
    monkeypatch.setattr(ps, "to_canonical", to_canonical)


def _direct_path_without_peepholes(monkeypatch):
    orig = lstm.direct_path_jacobian
    monkeypatch.setattr(lstm, "direct_path_jacobian", lambda params, h, c, x, variant="forget":
                        np.diag(lstm.gates(params, h, c, x, variant)["f"]) if variant == "peephole"
                        else orig(params, h, c, x, variant))      # BUG: diag(f) only, the peephole terms missing


def _gru_direct_path_one_minus_z(monkeypatch):
    monkeypatch.setattr(gru, "direct_path_jacobian", lambda params, h, x, reset="after":
                        np.diag(1.0 - gru.gates(params, h, x, reset)["z"]))   # BUG: 1 − z where z carries h


def _clip_ignores_eps(monkeypatch):
    orig = clipping.clip_by_global_norm
    monkeypatch.setattr(clipping, "clip_by_global_norm", lambda g, c, eps=0.0: orig(g, c, 0.0))


def _clip_value_upper_only(monkeypatch):
    monkeypatch.setattr(clipping, "clip_by_value", lambda gs, v: [np.minimum(g, v) for g in gs])


def _step_from_zero_state(monkeypatch):
    orig = reference.step
    monkeypatch.setattr(reference, "step", lambda case: orig(case.but(state0=tuple(np.zeros_like(s) for s in case.state0))))


def _forward_raises(monkeypatch):
    def forward(*a, **k):
        raise FloatingPointError("overflow in exp")
    monkeypatch.setattr(reference, "forward", forward)


def _stack_reverse_not_reordered(monkeypatch):
    from vanishing.models import stacked
    orig = stacked._layer                                        # the unvalidated body stacked.forward runs

    def layer(kind, params, state0, xs, reverse, reset):
        out, s = orig(kind, params, state0, xs, reverse, reset)
        return (out[::-1] if reverse else out), s                # BUG: the reverse direction's outputs left reversed
    monkeypatch.setattr(stacked, "_layer", layer)


def _stack_drops_bias_hh(monkeypatch):
    orig = layouts.stack_from_torch

    def stack_from_torch(kind, flat, cfg):
        flat = list(flat)
        per = 5 if cfg.get("proj_size") else 4
        for j in range(3, len(flat), per):
            flat[j] = 0.0 * flat[j]                                  # BUG: bias_hh is dropped
        return orig(kind, flat, cfg)
    monkeypatch.setattr(layouts, "stack_from_torch", stack_from_torch)


def _bhn_shape_wrong(monkeypatch):
    ps = layouts.PARAM_SETS["gru-bhn"]
    orig = ps.shapes
    monkeypatch.setattr(ps, "shapes", lambda kind, H, D: {**orig(kind, H, D), "b_hn": (3 * H,)})   # BUG: b_hn is (H,)


def _stack_info(cell, **config):
    return types.SimpleNamespace(kind="stack", cell=cell, config=config, reset="after", param_set="canonical",
                                 has_clip_norm=False, has_clip_value=False, clip_eps=0.0)


#: name → (plant, the adapter it shows on, substrings every finding line of the message must hold somewhere)
PLANTED = {
    "vjp-drops-c_T": (_vjp_drops_c_T, _info("lstm", pset="two-biases"),
                      ["reference.vjp [lstm, param_set=two-biases", "where the hand BPTT gives",
                       ("finite differences of reference.forward agree with the hand BPTT, not with reference.vjp: the "
                        "reference's autograd gradient is wrong")]),
    "two-bias-count-off-by-H": (_two_bias_count_off_by_H, _info("rnn-tanh"),
                                ["reference.param_count('rnn-tanh', H=3, D=2) = (18, 24), the layout's shapes give (18, 21)"]),
    "canonical-count-off": (_canonical_count_off, _info("gru"), ["reference.param_count('gru', H=3, D=2) = (60, 63), the layout's shapes give (63, 63)"]),
    "forward-off-in-one-gate": (_candidate_gate_bias_off, _info("lstm"),
                                ["reference.forward [lstm, case 1", "reference.step [lstm, case 1",
                                 "finite differences of reference.forward agree with reference.vjp, not with the hand BPTT",
                                 "the reference's forward pass differs too"]),
    "gru-reset-swapped": (_reset_swapped, _info("gru", "after"), ["reference.forward [gru, reset=after, case 1",
                                                                  "reference.step [gru, reset=after, case 1"]),
    "two-biases-map-drops-b_h": (_two_biases_map_drops_b_h, _info("lstm", pset="two-biases"),
                                 ["reference.forward [lstm, param_set=two-biases, case 1"]),
    "direct-path-without-peepholes": (_direct_path_without_peepholes, _info("lstm-peephole"),
                                      ["lstm.direct_path_jacobian [lstm-peephole, case 1"]),
    "gru-direct-path-one-minus-z": (_gru_direct_path_one_minus_z, _info("gru", "before"),
                                    ["gru.direct_path_jacobian [gru, reset=before, case 1", "∂h_1/∂h_0 (W_h = 0)"]),
    "clip-norm-ignores-eps": (_clip_ignores_eps, _info("clip", norm=True, eps=1e-6),
                              ["clipping.clip_by_global_norm(max_norm=", "eps=1e-06): clipped[0]"]),
    "clip-value-upper-only": (_clip_value_upper_only, _info("clip", value=True), ["clipping.clip_by_value(clip_value=0.3)"]),
    "step-from-zero-state": (_step_from_zero_state, _info("rnn-relu"), ["reference.step [rnn-relu, case 1", "h_1["]),
    "stack-reverse-not-reordered": (_stack_reverse_not_reordered, _stack_info("gru", num_layers=2, bidirectional=True),
                                    ["stack reference [stack of gru, {'num_layers': 2, 'bidirectional': True}]: output[",
                                     "stack reference gradient [stack of gru"]),
    "stack-drops-bias_hh": (_stack_drops_bias_hh, _stack_info("lstm", num_layers=2, bidirectional=True, proj_size=1),
                            ["stack reference [stack of lstm, {'num_layers': 2, 'bidirectional': True, 'proj_size': 1}]: "
                             "output[", "stack reference gradient [stack of lstm"]),
    "gru-bhn-shape-wrong": (_bhn_shape_wrong, _info("gru", "after", "gru-bhn"),
                            ["layouts.PARAM_SETS['gru-bhn'].shapes('gru', H=3, D=2)", "'b_hn': (9,)"]),
    "forward-raises": (_forward_raises, _info("rnn-tanh"), ["the cross-check raised FloatingPointError: overflow in exp"]),
}


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_a_planted_reference_bug_is_caught_and_the_reference_is_blamed(bug, monkeypatch):
    plant, info, wanted = PLANTED[bug]
    assert crosscheck.findings(info) == [], f"{bug}: the sound reference already disagrees"
    monkeypatch.setattr(crosscheck, "_DONE", {})
    plant(monkeypatch)
    found = crosscheck.findings(info)
    assert found, f"{bug}: the cross-check did not catch the planted reference bug"
    text = "\n".join(found)
    for w in wanted:
        assert w in text, f"{bug}: {w!r} not in\n{text}"
    msg = crosscheck.message(found)
    assert msg[0].startswith("vanishing's own conformance reference is wrong, not your implementation")
    assert "This is a bug in vanishing: please report it" in msg[0]
    assert all(ln.startswith("reference bug: ") for ln in msg[1:]) and len(msg) == len(found) + 1


def test_the_c_T_bug_is_named_on_the_c0_gradient(monkeypatch):
    """The dropped c_T cotangent shows where it should: ∂/∂c0 (and the parameters), with FD as the arbiter."""
    _vjp_drops_c_T(monkeypatch)
    found = crosscheck.findings(_info("lstm"))
    assert len(found) == 2 and all("reference's autograd gradient is wrong" in f for f in found), found


def test_the_memo_sees_a_replaced_reference_function(monkeypatch):
    """``validate torch`` pays once per cell kind, but a replaced reference function is checked afresh."""
    assert crosscheck.findings(_info("rnn-tanh")) == []
    _two_bias_count_off_by_H(monkeypatch)
    assert crosscheck.findings(_info("rnn-tanh")), "the memo returned a stale verdict"


# ---------------------------------------------------------------- the runner and the CLI: the reference is blamed, exit 2
def test_validate_stops_before_any_check_and_blames_the_reference(monkeypatch):
    _vjp_drops_c_T(monkeypatch)
    rep = validate_adapter(_correct("zoo.hand_lstm"), only=["forward"])
    assert [r.check for r in rep.results] == ["reference"], [r.text() for r in rep.results]
    r = rep.results[0]
    assert r.status == "error" and not rep.broken
    assert "not your implementation" in r.lines[0] and "please report it" in r.lines[0]
    assert "the reference's autograd gradient is wrong" in r.text()


@pytest.mark.slow
def test_a_correct_cell_still_conforms_with_the_cross_check_in_place():
    rep = validate_adapter(_correct("zoo.gru_before"), only=["forward", "param-count"])
    assert rep.ok and [r.check for r in rep.results] == ["forward"], [r.text() for r in rep.results]


def test_the_cli_exits_2_and_blames_vanishing_not_the_cell(monkeypatch, capsys):
    _two_bias_count_off_by_H(monkeypatch)
    rc = cli.main(["validate", f"{ZOO / 'zoo.py'}:correct", "--only", "zoo.rnn_tanh/forward", "--quiet"])
    out, err = capsys.readouterr()
    assert rc == 2, out + err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "zoo.rnn_tanh/reference: vanishing's own conformance reference is wrong, not your implementation" \
        in lines[0], err                                          # the adapters --only leaves out are not cross-checked
    assert "does not conform" not in out and "not validated: zoo.rnn_tanh: vanishing's own reference is wrong" in out, out
    assert "0 do not, 0 broken, 1 not validated" in out, out
    assert "reference bug: reference.param_count('rnn-tanh', H=1, D=1)" in out


def test_the_pytest_plugin_blames_the_reference_too(pytester, monkeypatch):
    """The plugin runs one check per item (not validate_adapter): each item cross-checks the reference first."""
    from ..faces.test_pytest_plugin import ADAPTERS, IMPL
    monkeypatch.syspath_prepend(pytester.path)
    pytester.makepyfile(adapters=ADAPTERS)
    _two_bias_count_off_by_H(monkeypatch)
    res = pytester.runpytest_inprocess(IMPL, "-k", "good and forward and not long", "-p", "no:randomly")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*vanishing's own conformance reference is wrong, not your implementation*",
                              "*reference bug: reference.param_count('rnn-tanh', H=1, D=1) = (3, 5)*"])


# ---------------------------------------------------------------- a reference bug the cross-check misses: the diagnosis
def _cross_check_misses(monkeypatch):
    monkeypatch.setattr(crosscheck, "findings", lambda info: [])


@pytest.mark.parametrize("name", ["zoo.lstm", "zoo.hand_lstm", "zoo.hand_lstm32"])
def test_the_diagnosis_blames_a_wrong_reference_gradient_never_float32_precision(name, monkeypatch):
    """A correct cell that agrees with FD of the reference while reference.vjp does not: the reference is suspect."""
    _cross_check_misses(monkeypatch)
    _vjp_drops_c_T(monkeypatch)
    r = validate_adapter(_correct(name), only=["gradients"]).results[0]
    assert r.status == "fail", r.text()
    text = "\n".join(r.diagnosis)
    assert r.diagnosis[0].startswith("diagnosis: the reference's gradient is suspect, not your implementation"), text
    assert "This is a bug in vanishing" in text and "float32" not in text and "[mutant " not in text, text


def test_a_tiny_reference_gradient_error_is_not_called_float32_precision(monkeypatch):
    """A reference.vjp off by 1e-6 relative (inside float32's tolerance) on a float64 cell: the reference is suspect."""
    _cross_check_misses(monkeypatch)
    orig = reference.vjp
    monkeypatch.setattr(reference, "vjp", lambda *a, **k: {key: v * (1 + 1e-6) for key, v in orig(*a, **k).items()})
    r = validate_adapter(_correct("zoo.hand_lstm"), only=["gradients"]).results[0]
    assert r.status == "fail", r.text()
    text = "\n".join(r.diagnosis)
    assert "the reference's gradient is suspect" in text and "float32" not in text, text


@pytest.mark.slow
def test_a_float32_precision_mutant_needs_the_reference_within_float32(monkeypatch):
    """The precision mutant is the reference rounded: it is not named when the reference is far off the cell."""
    from vanishing.checks.conformance import diagnosis
    _cross_check_misses(monkeypatch)
    _vjp_drops_c_T(monkeypatch)
    monkeypatch.setattr(diagnosis, "reference_gradient_suspect", lambda info, impl: [])   # the FD triage too is bypassed
    r = validate_adapter(_correct("zoo.hand_lstm"), only=["gradients"]).results[0]
    text = "\n".join(r.diagnosis)
    assert r.status == "fail" and "float32-precision" not in text and "loses precision" not in text, text


# ---------------------------------------------------------------- torch end to end
@needs_torch
@pytest.mark.torch
@pytest.mark.slow
def test_torch_cells_are_not_blamed_for_a_wrong_reference_vjp(monkeypatch):
    """The independent mutation run's finding: with reference.vjp ignoring c_T, ``validate torch`` blamed torch and
    named float32 precision for float64 cells. Now the run stops on the reference; past it, the diagnosis blames it."""
    infos = {i.name: i for i in load("torch")}
    _vjp_drops_c_T(monkeypatch)
    rep = validate_adapter(infos["torch.nn.LSTMCell[float64]"])
    assert [r.check for r in rep.results] == ["reference"] and rep.results[0].status == "error"
    assert "the reference's autograd gradient is wrong" in rep.results[0].text()
    _cross_check_misses(monkeypatch)
    for name in ("torch.nn.LSTMCell[float64]", "torch.nn.LSTMCell[float32]"):
        r = validate_adapter(infos[name], only=["gradients"]).results[0]
        text = "\n".join(r.diagnosis)
        assert r.status == "fail" and r.diagnosis[0].startswith("diagnosis: the reference's gradient is suspect"), text
        assert "float32" not in text, text
        rf = validate_adapter(infos[name], only=["gradients-fd"]).results[0]
        assert rf.status == "pass", rf.text()     # torch agrees with FD of the reference: the reference is the odd one out
