"""The diagnosis of a multi-layer module: which known stack bug reproduces it, else where it lies.

Each hypothesis is the stacked reference (``vanishing.models.stacked``'s layer, composed here) with one wiring
mistake switched on: every layer started from layer 0's state, a layer reading the wrong layer, the directions
concatenated the other way round, the reverse direction not reversed or not put back in order, h_n stacked
direction-major, h_n's batch and layer·direction axes swapped, batch and time swapped, or (backward) the bias
gradients of the layers above 0 lost. A mutant is named when it reproduces the module's values and gradients, at the
check's tolerance, on the failing case and on probe cases (B = 3, T = 3, states distinct per layer and direction,
with the failing case's structure: zero biases, h0 = 0). Otherwise the failure is located: the pass (values, or
gradients only), the layers and directions whose final states and gradients differ, and the batch sizes it needs.
"""

import dataclasses
import re
from dataclasses import dataclass, field

import autograd
import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from vanishing.checks import tolerances
from vanishing.checks.comparison import Comparison
from vanishing.checks.conformance import reference
from vanishing.checks.conformance.cases import simple_stack_case
from vanishing.checks.conformance.trigger_cases import triggers
from vanishing.checks.conformance.protocol import CallError, call_stack
from vanishing.models import kinds, layouts, stacked

__all__ = ["STACK_MUTANTS", "diagnose_stack", "mutated"]


@dataclass(frozen=True)
class StackMutant:
    name: str
    says: str
    opts: dict = field(default_factory=dict)
    needs: tuple = ()         # "bidirectional", "layers>=2", "layers>=3", "B==T", "B>=2"


STACK_MUTANTS = [
    StackMutant("h0-first-layer", "every layer starts from layer 0's initial state: h0[d] (and c0[d]) where h0[l·dirs + d] "
                "belongs (pytorch PR #95137; invisible while every state is 0)", {"h0_first_layer": True}, ("layers>=2",)),
    StackMutant("initial-state-ignored", "the initial states are ignored: every layer starts from 0", {"zero_state": True}),
    StackMutant("layer-skip", "the wiring between layers is wrong: layer l reads the output of layer l−2 instead of layer "
                "l−1's (from layer 2 on)", {"layer_skip": True}, ("layers>=3",)),
    StackMutant("concat-reversed", "the directions are concatenated the wrong way round for the next layer: layer l > 0 reads "
                "[reverse, forward] where [forward, reverse] belongs", {"concat_reversed": True}, ("bidirectional", "layers>=2")),
    StackMutant("output-concat-reversed", "the output concatenates [reverse, forward] where [forward, reverse] belongs",
                {"out_reversed": True}, ("bidirectional",)),
    StackMutant("reverse-not-reordered", "the reverse direction's outputs are left in the order it computed them (x_T's "
                "first) instead of being put back in input order", {"reverse_not_reordered": True}, ("bidirectional",)),
    StackMutant("reverse-not-reversed", "the reverse direction reads the sequence forwards (x_1 first): it is not reversed",
                {"reverse_not_reversed": True}, ("bidirectional",)),
    StackMutant("hn-direction-major", "h_n (and c_n) are stacked direction-major, index d·L + l, where PyTorch's layer-major "
                "index l·dirs + d belongs", {"hn_direction_major": True}, ("bidirectional", "layers>=2")),
    StackMutant("hn-axes-swapped", "the axes of h_n (and c_n) are swapped: (B, L·dirs, H) reshaped to (L·dirs, B, H) "
                "without a transpose (direction/batch)", {"hn_axes_swapped": True}, ("B>=2",)),
    StackMutant("batch-time-swapped", "the batch and time axes of the input and output are swapped (batch_first read the "
                "other way round; invisible in shape only while B = T)", {"batch_time_swapped": True}, ("B==T",)),
    StackMutant("reverse-flips-padded", "the reverse direction flips the padded sequence, not the valid prefix: it reads "
                "the padding first and starts at x_T where x_{len} belongs (jax PR #15169)", {"reverse_reads_padding": True},
                ("bidirectional", "lengths")),
    StackMutant("hn-at-padded-end", "h_n (and c_n) are taken after the padded end of the sequence, not at each sequence's "
                "last valid step (the padding is read as input)", {"forward_reads_padding": True}, ("lengths",)),
    StackMutant("bias-grad-zero-above-layer-0", "the bias gradients of every layer above 0 are zero while the values are "
                "right (apache/mxnet PR #17872)", {"bias_grad_above_0": "zero"}),
]


def _applies(m, case):
    L, dirs = case.config.get("num_layers", 1), 2 if case.config.get("bidirectional") else 1
    ok = {"bidirectional": dirs == 2, "layers>=2": L >= 2, "layers>=3": L >= 3, "B==T": case.B == case.T and case.B > 1,
          "B>=2": case.B >= 2 and L * dirs >= 2, "lengths": case.lengths is not None and min(case.lengths) < case.T}
    return all(ok[n] for n in m.needs)


def _masked_layer(cell, P, s0, inp, reverse, n, reads_padding):
    """One direction over a padded sequence of n valid steps: the state moves only at valid steps (unless
    ``reads_padding``), the output is 0 at padded ones; (outputs in input order, final state)."""
    row, T = kinds.row(cell), inp.shape[0]
    state, outs = tuple(s0), [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        if t < n or reads_padding:
            state = stacked._step(row, P, state, inp[t], "after")
        outs[t] = state[0] if t < n else 0.0 * state[0]
    return anp.stack(outs), state


def _sequence(cell, layers, h0, c0, xs, o, n=None):
    """One sequence (T, D) (``n`` valid steps, or all) through the mutated stack: (output, [h_n rows], [c_n rows])."""
    dirs, L, has_c = len(layers[0]), len(layers), c0 is not None
    inp, h_n, c_n, per_layer = xs, [None] * (L * dirs), [None] * (L * dirs), []
    for l, lay in enumerate(layers):
        outs = []
        for d, P in enumerate(lay):
            k = d if o.get("h0_first_layer") else l * dirs + d
            s0 = (h0[k], c0[k]) if has_c else (h0[k],)
            if o.get("zero_state"):
                s0 = tuple(0.0 * s for s in s0)
            rev = d == 1 and not o.get("reverse_not_reversed")
            if n is None:
                out, s = stacked._layer(cell, P, s0, inp, rev, "after")
            else:
                out, s = _masked_layer(cell, P, s0, inp, rev, n, o.get("reverse_reads_padding" if d else "forward_reads_padding"))
            outs.append(out[::-1] if d == 1 and o.get("reverse_not_reordered") else out)
            at = d * L + l if o.get("hn_direction_major") else l * dirs + d
            h_n[at] = s[0]
            if has_c:
                c_n[at] = s[1]
        cat = anp.concatenate(outs, axis=1) if dirs == 2 else outs[0]
        per_layer.append(cat)
        if o.get("concat_reversed") and dirs == 2:
            inp = anp.concatenate(outs[::-1], axis=1)
        elif o.get("layer_skip") and l >= 1:
            inp = per_layer[l - 1]
        else:
            inp = cat
    if o.get("out_reversed") and dirs == 2:
        cat = anp.concatenate(outs[::-1], axis=1)
    return cat, h_n, c_n


def _forward(case, params, xs, h0, c0, o):
    """(output, h_n[, c_n]) of the mutated stack on a batch, in the module's layout."""
    bf = bool(case.config.get("batch_first")) != bool(o.get("batch_time_swapped"))
    flat = [anp.zeros(np.shape(p)) + getval(p) if o.get("bias_grad_above_0") and n.startswith("bias") and "_l0" not in n else p
            for n, p in zip(case.names, params)]   # getval: the value, no gradient (the bias gradients lost)
    layers = layouts.stack_from_torch(case.cell, flat, case.config)
    seqs = xs if bf else anp.swapaxes(xs, 0, 1)
    n = case.lengths or [None] * seqs.shape[0]
    res = [_sequence(case.cell, layers, h0[:, b], None if c0 is None else c0[:, b], seqs[b], o, n[b]) for b in range(seqs.shape[0])]
    out = anp.stack([r[0] for r in res], axis=0 if bf else 1)
    h_n = anp.stack([anp.stack(r[1]) for r in res], axis=1)
    outs = [out, h_n] + ([anp.stack([anp.stack(r[2]) for r in res], axis=1)] if c0 is not None else [])
    if o.get("hn_axes_swapped"):
        outs = outs[:1] + [anp.reshape(anp.swapaxes(s, 0, 1), s.shape) for s in outs[1:]]
    return tuple(outs)


def mutated(case, **o):
    """(outputs, gradients by name and xs, h0[, c0]) of the stack reference with the switches ``o`` on."""
    def loss(z):
        return sum(anp.sum(y * c) for y, c in zip(_forward(case, z["p"], z["xs"], z["h0"], z.get("c0"), o), case.cot))
    z = {"p": list(case.params), "xs": case.xs, "h0": case.h0, **({} if case.c0 is None else {"c0": case.c0})}
    with np.errstate(over="ignore"):
        outs = tuple(np.asarray(y) for y in _forward(case, case.params, case.xs, case.h0, case.c0, o))
        g = autograd.grad(loss)(z)
    grads = {n: np.asarray(v) for n, v in zip(case.names, g["p"])}
    grads.update({k: np.asarray(g[k]) for k in ("xs", "h0", "c0") if k in g})
    return outs, grads


def _tols(info, ref, gref):
    vt = tolerances.value(info.dtype, scale=max(1.0, max(float(np.max(np.abs(r))) for r in ref if np.size(r))))
    gt = tolerances.gradient(info.dtype, scale=max([1.0] + [float(np.max(np.abs(v))) for v in gref.values() if np.size(v)]))
    return vt, gt


def _matches(info, got, want):
    """Whether (outputs, grads) ``got`` equal ``want`` at the stack check's tolerances."""
    (go, gg), (wo, wg) = got, want
    vt, gt = _tols(info, wo, wg)
    return (all(Comparison(a, b, vt).ok for a, b in zip(go, wo)) and all(Comparison(gg[k], wg[k], gt).ok for k in wg))


def _impl(run, case):
    from vanishing.checks.conformance.checks import stack_shapes
    return call_stack(run, case.params, case.xs, case.h0, case.c0, case.cot, stack_shapes(case), case.lengths)


def _structure(case):
    s = triggers(case)
    return "biases-zero" if "biases-zero" in s else "h0-zero" if "h0-zero-biased" in s else "dense"


def _probes(run, case):
    """Probe cases of the module: B = 3, T = 3 (B ≠ T), H = 3, states distinct per layer and direction, with the failing
    case's structure; and B = T = 2 (where a batch/time swap keeps its shape)."""
    info = run.info
    P = case.config.get("proj_size") or 0
    mk = lambda seed, B, T: _with_lengths(case, simple_stack_case(case.cell, case.config, case.dtype, info.obj.param_shapes,
                                                                  seed=seed, B=B, T=T, structure=_structure(case), H=P + 3))
    return [mk(11, 3, 3), mk(12, 2, 2)]


def _with_lengths(case, probe):
    """The probe with lengths T, T−1, ... (at least 1) when the failing case has lengths (a packed module's)."""
    if case.lengths is None:
        return probe
    return dataclasses.replace(probe, lengths=[max(1, probe.T - b % probe.T) for b in range(probe.B)])


def _located(info, case, got, ref):
    """Where the module differs on one case: {"values": [...], "states": {(l, d)}, "output": {halves}, "grads": {(l, d)},
    "inputs": [...]} (the report's words built from these)."""
    (go, gg), (ro, rg) = got, ref
    vt, gt = _tols(info, ro, rg)
    L, dirs = case.config.get("num_layers", 1), 2 if case.config.get("bidirectional") else 1
    states, halves = set(), set()
    for s_got, s_ref in zip(go[1:], ro[1:]):
        c = Comparison(s_got, s_ref, vt)
        for k in range(s_ref.shape[0]):
            if np.any(c.ratio[k] > 1):
                states.add(divmod(k, dirs))
    c = Comparison(go[0], ro[0], vt)
    if not c.ok:
        W = ro[0].shape[-1] // dirs
        halves = {("forward", "reverse")[d] for d in range(dirs) if np.any(c.ratio[..., d * W:(d + 1) * W] > 1)}
    grads, inputs = set(), []
    for k in rg:
        if not Comparison(gg[k], rg[k], gt).ok:
            m = re.search(r"_l(\d+)(_reverse)?$", k)
            if m:
                grads.add((int(m.group(1)), 1 if m.group(2) else 0))
            else:
                inputs.append(k)
    values = bool(states or halves)
    return {"values": values, "states": states, "halves": halves, "grads": grads, "inputs": inputs, "L": L, "dirs": dirs}


def _where(loc):
    name = lambda ld: f"layer {ld[0]}" + (f" {('forward', 'reverse')[ld[1]]}" if loc["dirs"] == 2 else "")
    parts = []
    if loc["values"]:
        first = min(loc["states"])[0] if loc["states"] else None
        parts.append("pass: forward (the values differ)")
        if loc["states"]:
            parts.append(f"final states differ in {', '.join(map(name, sorted(loc['states'])))}"
                         + (f"; the lowest is layer {first}, so the bug is in layer {first} or in what it reads (its input, "
                            "its initial state)" if first is not None else ""))
        if loc["halves"]:
            parts.append(f"the output differs in its {' and '.join(sorted(loc['halves']))} half")
    else:
        parts.append("pass: backward only (the values match, the gradients differ)")
    if loc["grads"]:
        parts.append(f"parameter gradients differ in {', '.join(map(name, sorted(loc['grads'])))}")
    if loc["inputs"]:
        parts.append(f"gradients w.r.t. {', '.join(loc['inputs'])} differ")
    return "; ".join(parts)


def _batch_sizes(run, case):
    """The batch sizes 1..4 at which the module differs (B ≠ T, the failing case's structure): a size-dependent path."""
    info, P = run.info, case.config.get("proj_size") or 0
    bad = []
    for B in (1, 2, 3, 4):
        c = _with_lengths(case, simple_stack_case(case.cell, case.config, case.dtype, info.obj.param_shapes, seed=20 + B, B=B,
                                                  T=5 - B if B != 2 else 3, structure=_structure(case), H=P + 3))
        if not _matches(info, _impl(run, c), reference.stack(c)):
            bad.append(B)
    return bad


def diagnose_stack(run, mismatch):
    """Diagnosis lines for a failing stack case: a reproduced mutant, or where it lies."""
    info, case = run.info, mismatch.case
    try:
        probes = _probes(run, case)
        impl = [(c, _impl(run, c)) for c in [case] + probes]
        found = []
        for m in STACK_MUTANTS:
            if not _applies(m, case):
                continue
            tried = [(c, g) for c, g in impl if _applies(m, c)]
            if all(_matches(info, g, mutated(c, **m.opts)) for c, g in tried):
                found.append((m, len(tried) - (tried[0][0] is case)))
        if found:
            return [f"diagnosis: the values and gradients match the reference if {m.says} [mutant {m.name}; reproduced on the "
                    f"failing case and {n} probe case{'s' if n != 1 else ''}]" for m, n in found[:3]]
        lines = [ln.replace("  the gradient", "diagnosis: the gradient", 1) for ln in _unused(mismatch)]
        lines += [f"diagnosis: none of the {sum(_applies(m, case) for m in STACK_MUTANTS)} known stack bugs that apply to this "
                 "configuration reproduces it (the cells' catalogue applies to each cell alone). Where it lies:"]
        for c, g in impl:
            loc = _located(info, c, g, reference.stack(c))
            what = "the failing case" if c is case else f"probe case B={c.B}, T={c.T}"
            lines.append(f"  on {what}: " + (_where(loc) if loc["values"] or loc["grads"] or loc["inputs"] else "it matches"))
        bad = _batch_sizes(run, case)
        if bad and len(bad) < 4:
            k = min(bad)
            lines.append(f"  batch: it differs at B = {', '.join(map(str, bad))} and matches at B = "
                         f"{', '.join(str(b) for b in (1, 2, 3, 4) if b not in bad)}"
                         + (f": the bug needs B ≥ {k} (a batch-size-dependent kernel)" if bad == list(range(k, 5)) else "")
                         + (f", with the failing case's structure ({_structure(case).replace('-', ' ')})" if _structure(case) != "dense" else ""))
        return lines
    except CallError as e:
        return [f"diagnosis: (stopped: {e})"]


def diagnose_equal_sizes(run, mismatch):
    """For a module that fails by shape or by raising: the stack mutants tried on probe cases with B = T (where a batch/time
    swap keeps its shapes); the lines naming one that reproduces it there, or []."""
    info, case = run.info, mismatch.case
    P = case.config.get("proj_size") or 0
    probes = [_with_lengths(case, simple_stack_case(case.cell, case.config, case.dtype, info.obj.param_shapes, seed=30 + n, B=n,
                                                    T=n, H=P + 3)) for n in (2, 3)]
    try:
        impl = [(c, _impl(run, c)) for c in probes]
    except CallError:
        return []
    for m in STACK_MUTANTS:
        if all(_applies(m, c) for c in probes) and all(_matches(info, g, mutated(c, **m.opts)) for c, g in impl):
            return [f"diagnosis: where the shapes agree (B = T), the values and gradients match the reference if {m.says} "
                    f"[mutant {m.name}; reproduced on {len(probes)} probe cases with B = T]"]
    return []


def _unused(mismatch):
    """Zero gradients where the reference's are not: the parameters named, by layer and direction."""
    unused = [m.group(1) for ln in mismatch.lines for m in [re.search(r"the (\S+) gradient is zero: is", ln)] if m]
    where = [f"{n} (layer {m.group(1)}, {'reverse' if n.endswith('_reverse') else 'forward'} direction)"
             for n in unused for m in [re.search(r"_l(\d+)", n)] if m]
    return [f"  the gradient w.r.t. {', '.join(where or unused)} is zero where the reference's is not: that parameter looks "
            "unused"] if unused else []

