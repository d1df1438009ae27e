"""The triggers: the input structures real bugs hid behind, how a case shows them, and the cases every run keeps.

:data:`TRIGGERS` names the categories (issue 23): zero parameter groups and h0 = 0 with biases for cells; B ≥ 3,
B ≠ T, T = 1, distinct or zero states and zero biases for stacks; max_norm = 0, thresholds near ‖g‖ and many small
arrays for clipping. :func:`triggers` reads them off a case's values; the ``kept_*`` functions give the cases each
check tries first on every run (``Check.kept``), so that every category is reached under ``ci``
(tests/conformance/test_cases.py); :func:`probe_cases_like` gives the diagnosis probes with a failing case's structure.
"""

import dataclasses

import numpy as np

from vanishing.checks.conformance.cases import (
    STRUCTURES,
    ClipCase,
    StackCase,
    _block_rows,
    _is_bias,
    _order_one,
    _r,
    is_zero_norm_at_zero,
    probe_cases,
    relu_margin_ok,
    simple_stack_case,
    with_structure,
)
from vanishing.models import kinds

__all__ = ["TRIGGERS", "TRIGGER_WORDS", "kept_cell_cases", "kept_clip_cases", "kept_packed_cases", "kept_stack_cases",
           "probe_cases_like", "triggers"]


def kept_packed_cases(cell, config, dtype, param_shapes):
    """Packed cases every run tries first: B = 3, T = 4, lengths [4, 2, 3] (unsorted) with distinct states; B = 4, T = 3,
    lengths [1, 3, 2, 3] with every bias 0."""
    P = config.get("proj_size") or 0
    a = simple_stack_case(cell, config, dtype, param_shapes, seed=5, B=3, T=4, H=P + 3)
    b = simple_stack_case(cell, config, dtype, param_shapes, seed=6, B=4, T=3, structure="biases-zero")
    return [dataclasses.replace(c, lengths=n, cot=[_r(_order_one(x), dtype) for x in c.cot])
            for c, n in ((a, [4, 2, 3]), (b, [1, 3, 2, 3]))]


def kept_stack_cases(cell, config, dtype, param_shapes):
    """Stack cases every run tries first, one per trigger a random search of 8 examples can miss: B = 3 with a state
    distinct per layer and direction; B = 4 with every bias 0 (B ≠ T); B = 1, T = 1 from h0 = c0 = 0 with biases."""
    P = config.get("proj_size") or 0
    out = [simple_stack_case(cell, config, dtype, param_shapes, seed=1, B=3, T=2, H=P + 3),
           simple_stack_case(cell, config, dtype, param_shapes, seed=2, B=4, T=3, structure="biases-zero"),
           simple_stack_case(cell, config, dtype, param_shapes, seed=3, B=1, T=1, structure="h0-zero")]
    return [dataclasses.replace(c, cot=[_r(_order_one(x), dtype) for x in c.cot]) for c in out]   # O(1) cotangents


def kept_cell_cases(kind, reset, dtype, pset="canonical", T=3):
    """Cell cases every run tries first, one per :data:`STRUCTURES` but "dense" (H = 3, D = 2, moderate values): a
    random search of 25 examples need not draw each."""
    out, row = [], kinds.row(kind)
    for seed, structure in enumerate(STRUCTURES[1:]):
        for attempt in range(20):   # rnn-relu: a case whose pre-activations keep off the kink
            c = probe_cases(kind, reset, dtype, n=1, seed=100 * seed + attempt, pset=pset, T=T)[0]
            P = {k: _r(v, dtype) for k, v in with_structure(row, c.params, c.H, structure, block=1 % row.blocks).items()}
            if structure != "h0-zero" and all(np.array_equal(P[k], c.params[k]) for k in P):
                break   # the structure does not apply (one bias block, one gate block): nothing to keep
            c = c.but(params=P, regime=structure, state0=tuple(np.zeros_like(s) for s in c.state0) if structure == "h0-zero" else c.state0,
                      cot=tuple(_r(_order_one(x), dtype) for x in c.cot))
            if not row.kink or relu_margin_ok(c):
                out.append(c)
                break
    if row.kink:   # every pre-activation exactly at the kink (the input weights, biases and state 0): relu'(0) is the convention
        c = out[0]
        out.append(c.but(params={k: (v if k == "W_hh" else np.zeros_like(v)) for k, v in c.params.items()}, regime="at-the-kink",
                         state0=tuple(np.zeros_like(s) for s in c.state0)))
    return out


#: The trigger categories (:func:`triggers`) every ``ci`` run must reach (tests/conformance/test_cases.py shows it).
TRIGGERS = {"cell": ("biases-zero", "bias-block-only", "gate-block-zero", "h0-zero-biased"),
            "stack": ("distinct-states-per-layer", "batch>=3", "B!=T", "T=1", "biases-zero", "h0-zero-biased"),
            "clip": ("zero-threshold-zero-grads", "near-norm", "many-small-tensors")}


def triggers(case):
    """The trigger categories (:data:`TRIGGERS`) ``case`` reaches, read off its values (not off how it was drawn)."""
    out = set()
    if isinstance(case, ClipCase):
        norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in case.grads)))
        if is_zero_norm_at_zero(case):
            out.add("zero-threshold-zero-grads")
        if norm > 0 and abs(case.threshold - norm) <= 2e-6 + 8 * np.finfo(case.dtype).eps * norm:
            out.add("near-norm")
        if len(case.grads) > 8 and all(np.size(g) <= 2 for g in case.grads):
            out.add("many-small-tensors")
        return out
    if isinstance(case, StackCase):
        biases = [p for n, p in zip(case.names, case.params) if n.startswith("bias")]
        states = [case.h0] + ([] if case.c0 is None else [case.c0])
        if case.h0.shape[0] > 1 and all(len({s[k].tobytes() for k in range(s.shape[0])}) == s.shape[0] and np.all(s != 0) for s in states):
            out.add("distinct-states-per-layer")
        out |= {"batch>=3"} if case.B >= 3 else set()
        out |= {"B!=T"} if case.B != case.T else set()
        out |= {"T=1"} if case.T == 1 else set()
        out |= {"biases-zero"} if biases and not any(np.any(b) for b in biases) else set()
        out |= {"h0-zero-biased"} if not any(np.any(s) for s in states) and any(np.any(b) for b in biases) else set()
        return out
    biases = {k: v for k, v in case.params.items() if _is_bias(k, v)}
    H, blocks = case.H, case.row.blocks
    if biases and not any(np.any(v) for v in biases.values()):
        out.add("biases-zero")
    nz = [(k, j) for k, v in biases.items() for j in range(max(1, np.size(v) // H)) if np.any(v[_block_rows(v, H, j)])]
    if len(nz) == 1 and sum(max(1, np.size(v) // H) for v in biases.values()) > 1:
        out.add("bias-block-only")
    if blocks > 1 and any(all(not np.any(v[_block_rows(v, H, j)]) for v in case.params.values() if np.shape(v)[0] == blocks * H)
                          for j in range(blocks)):
        out.add("gate-block-zero")
    if not any(np.any(s) for s in case.state0) and any(np.any(v) for v in biases.values()):
        out.add("h0-zero-biased")
    return out


#: What each cell trigger is, in words (the diagnosis's probe cases "with the failing case's structure").
TRIGGER_WORDS = {"biases-zero": "every bias 0", "bias-block-only": "every bias 0 but one block", "gate-block-zero":
                 "one gate block 0", "h0-zero-biased": "h0 = 0 with non-zero biases"}


def probe_cases_like(case, dtype, n=2, seed=20240707):
    """Generic probe cases (H = 3, D = 2, T = 4) given the failing cell case's trigger structure (its zero parameter
    groups, h0 = 0): a bug that needs the structure shows on them too. [] when the case has none."""
    found = triggers(case)
    if not found:
        return []
    row, out = case.row, []
    block = next((j for j in range(row.blocks) if all(not np.any(v[_block_rows(v, case.H, j)]) for v in case.params.values()
                                                    if np.shape(v)[0] == row.blocks * case.H)), 0)
    for c in probe_cases(case.kind, case.reset, dtype, n=n, seed=seed, pset=case.pset):
        P = c.params
        for s in ("biases-zero", "bias-block-only", "gate-block-zero"):
            if s in found:
                P = with_structure(row, P, c.H, s, block)
        z = "h0-zero-biased" in found or not any(np.any(s) for s in case.state0)
        out.append(c.but(params={k: _r(v, dtype) for k, v in P.items()}, regime="like the failing case",
                         state0=tuple(np.zeros_like(s) for s in c.state0) if z else c.state0))
    return out


def kept_clip_cases(dtype):
    """Clipping cases every run tries first (Hypothesis rarely draws them): max_norm = 0 with every gradient 0, where
    coef = max_norm/‖g‖ is 0·0/0 with ε = 0 (optax before its PR #1752 returned NaN), and with non-zero gradients;
    12 arrays of 1–2 entries; max_norm = ‖g‖ + 5e-7 (between ‖g‖ and ‖g‖ + ε for PyTorch's ε = 1e-6, where PyTorch
    scales by max_norm/(‖g‖ + ε) < 1 although ‖g‖ < max_norm)."""
    dt = np.dtype(dtype)
    rng = np.random.default_rng(7)
    many = [_r(rng.uniform(-1, 1, 1 + i % 2), dt) for i in range(12)]
    near = [_r(np.array([3.0, -4.0]), dt), _r(np.array([[12.0]]), dt)]   # ‖g‖ = 13 exactly
    return [ClipCase([np.zeros(3), np.zeros((2, 2))], 0.0, dt),
            ClipCase([_r(np.array([3.0, -4.0]), dt), _r(np.array([[0.5]]), dt)], 0.0, dt),
            ClipCase(many, 0.5, dt),
            ClipCase(near, float(_r(13.0 + 5e-7, dt)), dt)]
