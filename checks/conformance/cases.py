"""Generated inputs ("cases") for the conformance checks, and how a failing one is shown.

Every array is drawn in float64 by ``vanishing.checks.strategies`` and then rounded to
the adapter's dtype; the reference is evaluated on the *same rounded* values, so a
float32 implementation is compared with the exact answer to its own inputs.
"""

import dataclasses
import hashlib
from dataclasses import dataclass, field

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from vanishing.checks import strategies as S
from vanishing.checks import tolerances
from vanishing.checks.conformance import bounds, modern_cells, reference
from vanishing.checks.conformance.protocol import param_shapes
from vanishing.models import kinds

__all__ = ["CLIP_STRUCTURES", "REGIMES", "STACK_STRUCTURES", "STRUCTURES", "Case", "ClipCase", "StackCase", "cell_cases", "clip_cases",
           "is_zero_norm_at_zero", "packed_stack_cases", "probe_cases", "probe_clip_cases", "stack_cases", "with_structure"]

#: Parameter structures a cell case is drawn with (besides its regime): whole groups exactly 0 while the others stay
#: non-zero, since bugs hide behind all-non-zero parameters (a bias-free code path, b_hn on the wrong side of the reset,
#: a gate whose pre-activation is 0), and h0 = c0 = 0 exactly with non-zero biases (a first step taken by a fast path).
STRUCTURES = ("dense", "biases-zero", "bias-block-only", "gate-block-zero", "h0-zero")

#: Input regimes. "saturated": weights scaled by 30 or 300, so |pre-activation| reaches 1e2–1e3
#: (sigmoid rounds to 1 above ~36.7 in float64, ~16.6 in float32); "zero-state": h0 = c0 = 0.
REGIMES = ("moderate", "saturated", "zero-state")


def _r(a, dtype):
    """Round to the adapter's dtype; keep as float64 for the reference."""
    return np.asarray(np.asarray(a, dtype=np.float64).astype(dtype), dtype=np.float64)


def _lit(a):
    """An exact, compact literal: nested lists of Python floats (repr round-trips every float64, hence every float32)."""
    return repr(np.asarray(a, dtype=np.float64).tolist())


@dataclass
class Case:
    """One cell input: canonical params, initial state, inputs, cotangents (all float64 holding dtype-rounded values)."""

    kind: str
    reset: str
    dtype: object
    params: dict
    state0: tuple
    xs: np.ndarray
    cot: tuple
    regime: str = "moderate"
    extra: dict = field(default_factory=dict)
    pset: str = "canonical"     # the adapter's native parameter set (layouts.PARAM_SETS): the keys of params

    @property
    def row(self):
        """The kind's row of ``models/kinds.py``."""
        return kinds.row(self.kind)

    def canonical(self):
        """The canonical parameters (the reference's), from the native ones."""
        return reference.canonical(self)

    def but(self, **changes):
        """A copy with some fields changed (extra copied, never shared)."""
        changes.setdefault("extra", dict(self.extra))
        return dataclasses.replace(self, **changes)

    @property
    def H(self):
        return self.state0[0].shape[-1]   # (H,), mLSTM's C (H, H), Mamba's h (D, H)

    @property
    def D(self):
        return self.xs.shape[1]

    @property
    def T(self):
        return self.xs.shape[0]

    def key(self):
        h = hashlib.sha1()
        for a in [*(self.params[k] for k in sorted(self.params)), *self.state0, self.xs, *self.cot,
                  *(v for v in self.extra.values() if v is not None)]:
            b = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
            h.update(str(b.shape).encode())
            h.update(b.tobytes())
        return h.hexdigest()

    def __repr__(self):
        return f"Case({self.kind}, H={self.H}, D={self.D}, T={self.T}, regime={self.regime})"

    def to_json(self):
        return {"H": self.H, "D": self.D, "T": self.T, "regime": self.regime, "param_set": self.pset,
                "params": {k: np.asarray(v).tolist() for k, v in self.params.items()},
                "state0": [np.asarray(s).tolist() for s in self.state0], "xs": np.asarray(self.xs).tolist(),
                "cotangents": [np.asarray(c).tolist() for c in self.cot],
                **{k: np.asarray(v).tolist() for k, v in self.extra.items() if v is not None}}

    def source(self):
        """Python lines that rebuild this case (in the adapter's dtype)."""
        dt = np.dtype(self.dtype).name
        lines = ["params = {"]
        lines += [f"    {k!r}: np.array({_lit(v)}, dtype=np.{dt})," for k, v in self.params.items()]
        lines += ["}", "state0 = (" + " ".join(f"np.array({_lit(s)}, dtype=np.{dt})," for s in self.state0) + ")",
                  f"xs = np.array({_lit(self.xs)}, dtype=np.{dt})",
                  "cotangents = (" + " ".join(f"np.array({_lit(c)}, dtype=np.{dt})," for c in self.cot) + ")"]
        return lines

    def brief(self, limit=800):
        """A short human-readable form for the report (cotangents included)."""
        parts = [f"H={self.H} D={self.D} T={self.T} regime={self.regime}"]
        for k, v in self.params.items():
            parts.append(f"{k}={_lit(v)}")
        parts += [f"{n}={_lit(s)}" for n, s in zip(self.row.state_keys, self.state0)]
        parts.append(f"xs={_lit(self.xs)}")
        parts += [f"d {n}={_lit(c)}" for n, c in zip(self.row.outputs, self.cot)]   # the cotangents (gradient checks use them)
        s = " ".join(" ".join(parts).split())
        return s if len(s) <= limit else s[:limit] + " …"


@dataclass
class ClipCase:
    """A list of gradient arrays and a threshold (max_norm or clip_value)."""

    grads: list
    threshold: float
    dtype: object

    def key(self):
        h = hashlib.sha1(repr(self.threshold).encode())
        for g in self.grads:
            h.update(str(np.shape(g)).encode())
            h.update(np.ascontiguousarray(g, dtype=np.float64).tobytes())
        return h.hexdigest()

    def __repr__(self):
        return f"ClipCase({len(self.grads)} arrays, threshold={self.threshold!r})"

    def to_json(self):
        return {"grads": [np.asarray(g).tolist() for g in self.grads], "threshold": self.threshold}

    def source(self):
        dt = np.dtype(self.dtype).name
        return [f"grads = [{', '.join(f'np.array({_lit(g)}, dtype=np.{dt})' for g in self.grads)}]",
                f"threshold = {self.threshold!r}"]

    def brief(self, limit=600):
        s = f"threshold={self.threshold!r} grads=[{', '.join(_lit(g) for g in self.grads)}]"
        s = " ".join(s.split())
        return s if len(s) <= limit else s[:limit] + " …"


def _order_one(c):
    """Cotangents of order 1: entries below 1/8 in magnitude (Hypothesis likes 1e-122 and 2e-308, which make every
    gradient underflow-sized) become ±1/2, keeping their sign (0 → +1/2). The gradient checks then compare O(1) vjps."""
    c = np.asarray(c, dtype=np.float64)
    return np.where(np.abs(c) < 0.125, np.where(np.signbit(c), -0.5, 0.5), c)


def _nonzero(a):
    """An all-zero array replaced by 0.5s: every native parameter is exercised (a zero bias_hh hides a cell ignoring it)."""
    return a if np.any(a) else np.full(np.shape(a), 0.5)


@dataclass
class StackCase:
    """A multi-layer module's input: its parameters (a list, the module's order), a batch, states and cotangents."""

    cell: str
    config: dict
    dtype: object
    names: list
    params: list
    xs: np.ndarray
    h0: np.ndarray
    c0: object
    cot: list
    lengths: object = None      # (B,) valid steps per sequence (run_packed), or None: every sequence has T

    def key(self):
        h = hashlib.sha1(repr(sorted(self.config.items())).encode() + repr(self.lengths and list(self.lengths)).encode())
        for a in [*self.params, self.xs, self.h0, *([] if self.c0 is None else [self.c0]), *self.cot]:
            h.update(str(np.shape(a)).encode())
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        return h.hexdigest()

    @property
    def B(self):
        return self.xs.shape[0 if self.config.get("batch_first") else 1]

    @property
    def T(self):
        return self.xs.shape[1 if self.config.get("batch_first") else 0]

    def __repr__(self):
        return f"StackCase({self.cell}, {self.config}, B={self.B}, T={self.T})"

    def to_json(self):
        return {"cell": self.cell, "config": self.config, "lengths": None if self.lengths is None else list(self.lengths),
                "params": {n: np.asarray(p).tolist() for n, p in zip(self.names, self.params)},
                "xs": self.xs.tolist(), "h0": self.h0.tolist(), "c0": None if self.c0 is None else self.c0.tolist(),
                "cotangents": [np.asarray(c).tolist() for c in self.cot]}

    def source(self):
        dt = np.dtype(self.dtype).name
        return (["params = ["] + [f"    np.array({_lit(p)}, dtype=np.{dt}),  # {n}" for n, p in zip(self.names, self.params)] + ["]"]
                + [f"xs = np.array({_lit(self.xs)}, dtype=np.{dt})", f"h0 = np.array({_lit(self.h0)}, dtype=np.{dt})",
                   "c0 = None" if self.c0 is None else f"c0 = np.array({_lit(self.c0)}, dtype=np.{dt})",
                   "cotangents = [" + ", ".join(f"np.array({_lit(c)}, dtype=np.{dt})" for c in self.cot) + "]",
                   f"lengths = {None if self.lengths is None else list(self.lengths)!r}"])

    def brief(self, limit=800):
        s = (f"{self.cell} {self.config} B={self.B} T={self.T} " + ("" if self.lengths is None else f"lengths={list(self.lengths)} ")
             + " ".join(f"{n}={_lit(p)}" for n, p in zip(self.names, self.params))
             + f" xs={_lit(self.xs)} h0={_lit(self.h0)}" + ("" if self.c0 is None else f" c0={_lit(self.c0)}")
             + " cotangents=" + " ".join(_lit(c) for c in self.cot))
        s = " ".join(s.split())
        return s if len(s) <= limit else s[:limit] + " …"


#: The stack structures: ordinary; every bias 0 (a bias-free kernel: onnxruntime's GRU was wrong there, and only from
#: B = 3); h0 = c0 = 0 with non-zero biases (what most tests use). Distinct states per layer and direction are drawn
#: in the other two (a module that starts every layer from layer 0's state passes when they are all 0).
STACK_STRUCTURES = ("dense", "biases-zero", "h0-zero")


def _stack_biases_zero(names, params):
    return [np.zeros_like(p) if n.startswith("bias") else p for n, p in zip(names, params)]


@st.composite
def stack_cases(draw, cell, config, dtype, param_shapes, structures=STACK_STRUCTURES):
    """Sizes H (> proj_size), D, T ≤ 4, B ≤ 4; every parameter in [−1, 1] (none all-zero, unless the structure zeroes the
    biases), inputs, states (distinct per layer and direction, or 0), O(1) cotangents."""
    P = config.get("proj_size") or 0
    H = draw(st.integers(max(1, P + 1), max(3, P + 1)), label="H")
    D = draw(st.integers(1, 3), label="D")
    T = draw(st.integers(1, 4), label="T")
    B = draw(st.integers(1, 4), label="B")
    structure = draw(st.sampled_from(structures), label="structure")
    L, dirs = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1
    Hout, cell_state = P or H, kinds.row(cell).n_state > 1   # an LSTM layer carries c too
    shapes = param_shapes(H, D)
    params = [_r(_nonzero(draw(S.matrices(*s, -1.0, 1.0) if len(s) == 2 else S.vectors(s[0], -1.0, 1.0), label=n)), dtype)
              for n, s in shapes]
    if structure == "biases-zero":
        params = _stack_biases_zero([n for n, _ in shapes], params)
    xs = draw(hnp_arrays((B, T, D) if config.get("batch_first") else (T, B, D), 3.0), label="xs")
    h0 = draw(hnp_arrays((L * dirs, B, Hout), 1.0), label="h0")
    c0 = draw(hnp_arrays((L * dirs, B, H), 3.0), label="c0") if cell_state else None
    if structure == "h0-zero":
        h0, c0 = np.zeros_like(h0), None if c0 is None else np.zeros_like(c0)
    out_shape = (B, T, dirs * Hout) if config.get("batch_first") else (T, B, dirs * Hout)
    cot = [_order_one(draw(hnp_arrays(out_shape, 1.0), label="d output")), _order_one(draw(hnp_arrays((L * dirs, B, Hout), 1.0), label="d h_n"))]
    if cell_state:
        cot.append(_order_one(draw(hnp_arrays((L * dirs, B, H), 1.0), label="d c_n")))
    case = StackCase(cell, dict(config), np.dtype(dtype), [n for n, _ in shapes], params, _r(xs, dtype), _r(h0, dtype),
                     None if c0 is None else _r(c0, dtype), [_r(c, dtype) for c in cot])
    assume(stack_off_the_kink(case))
    return case


def stack_off_the_kink(case, ulps=8, patterns=2):
    """For a kinked cell (rnn-relu): no pre-activation of the stack sits within rounding distance of the kink, where
    relu' = 0 or 1 is the rounding's choice (a sum that nearly cancels, or a term below the dtype's normal range, which
    the dtype flushes). Tested on the reference: moving every input of the case by ``ulps`` ulps of its dtype and by
    the dtype's smallest normal number (random signs) must not move its gradients by more than a quarter of the value
    tolerance. (An exact 0 is at the kink too: relu'(0) is the cells' kept "at-the-kink" case, not the stacks'.)"""
    if not kinds.row(case.cell).kink:
        return True
    tol = tolerances.value(case.dtype).rtol / 4
    fi = np.finfo(case.dtype)
    d, tiny = ulps * float(fi.eps), float(fi.tiny)
    rng = np.random.default_rng(0)

    def nudged(a):
        a = np.asarray(a, dtype=np.float64)
        return a * (1.0 + d * rng.choice([-1.0, 1.0], size=a.shape)) + tiny * rng.choice([-1.0, 1.0], size=a.shape)
    _, g0 = reference.stack(case)
    for _ in range(patterns):
        moved = dataclasses.replace(case, params=[nudged(p) for p in case.params], xs=nudged(case.xs), h0=nudged(case.h0))
        _, g1 = reference.stack(moved)
        for k, v in g0.items():
            if np.max(np.abs(g1[k] - v), initial=0.0) > tol * (1.0 + np.max(np.abs(v), initial=0.0)):
                return False
    return True


@st.composite
def packed_stack_cases(draw, cell, config, dtype, param_shapes):
    """:func:`stack_cases` with per-sequence lengths in 1..T (at least one shorter than T when T > 1), padded with
    values that a correct module never reads."""
    case = draw(stack_cases(cell, config, dtype, param_shapes))
    lengths = [draw(st.integers(1, case.T), label=f"length {b}") for b in range(case.B)]
    if case.T > 1 and min(lengths) == case.T:
        lengths[0] = draw(st.integers(1, case.T - 1), label="a shorter length")
    case = dataclasses.replace(case, lengths=lengths)
    assume(stack_off_the_kink(case))
    return case


def simple_stack_case(cell, config, dtype, param_shapes, seed=0, B=2, T=2, structure="dense", H=None):
    """One ordinary stack case (H = proj_size + 2, D = 2, T = 2, B = 2, small values, every state distinct): the smoke
    test's; ``B``, ``T``, ``structure`` (:data:`STACK_STRUCTURES`) and ``H`` for the kept cases."""
    rng = np.random.default_rng(seed)
    P = config.get("proj_size") or 0
    H, D = H or P + 2, 2
    L, dirs = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1
    Hout, cell_state = P or H, kinds.row(cell).n_state > 1
    shapes = param_shapes(H, D)
    u = lambda *s: _r(rng.uniform(-0.5, 0.5, s), dtype)
    bf = config.get("batch_first")
    cot = [u(*((B, T, dirs * Hout) if bf else (T, B, dirs * Hout))), u(L * dirs, B, Hout)] + ([u(L * dirs, B, H)] if cell_state else [])
    params = [u(*s) for _, s in shapes]
    h0, c0 = u(L * dirs, B, Hout), u(L * dirs, B, H) if cell_state else None
    if structure == "biases-zero":
        params = _stack_biases_zero([n for n, _ in shapes], params)
    if structure == "h0-zero":
        h0, c0 = np.zeros_like(h0), None if c0 is None else np.zeros_like(c0)
    return StackCase(cell, dict(config), np.dtype(dtype), [n for n, _ in shapes], params,
                     u(*((B, T, D) if bf else (T, B, D))), h0, c0, cot)


def hnp_arrays(shape, bound):
    """Float64 arrays of ``shape`` with entries in [−bound, bound]."""
    from hypothesis.extra import numpy as hnp
    return hnp.arrays(np.float64, shape, elements=S.floats(-bound, bound))


def _stack_candidates(case):
    """Simpler stack cases: one sequence of the batch, fewer steps, rounded arrays (cotangents kept O(1))."""
    bf = case.config.get("batch_first")
    n = case.lengths
    if case.B > 1:
        for b in ([0] if n is None else sorted({0, int(np.argmin(n))})):   # the shortest sequence too (a padding bug)
            sl = (slice(b, b + 1), slice(None)) if bf else (slice(None), slice(b, b + 1))
            cot = [case.cot[0][sl]] + [c[:, b:b + 1] for c in case.cot[1:]]
            yield dataclasses.replace(case, xs=case.xs[sl], h0=case.h0[:, b:b + 1], c0=None if case.c0 is None else case.c0[:, b:b + 1],
                                      cot=cot, lengths=None if n is None else [n[b]])
    if case.T > 1 and (n is None or max(n) < case.T):   # with lengths: only padding that no sequence reads
        T = 1 if n is None else max(n)
        sl = (slice(None), slice(0, T)) if bf else (slice(0, T),)
        yield dataclasses.replace(case, xs=case.xs[sl], cot=[case.cot[0][sl]] + list(case.cot[1:]))
    yield dataclasses.replace(case, params=[_simplify(p, case.dtype) for p in case.params], xs=_simplify(case.xs, case.dtype),
                              h0=_simplify(case.h0, case.dtype), c0=None if case.c0 is None else _simplify(case.c0, case.dtype))


def _params_strategy(kind, H, D, pset="canonical"):
    """Every native parameter drawn independently in [−1, 1] (the canonical strategies' scale)."""
    shapes = param_shapes(kind, H, D, pset)
    return st.fixed_dictionaries({k: (S.matrices(*s, -1.0, 1.0) if len(s) == 2 else S.vectors(s[0], -1.0, 1.0))
                                  for k, s in shapes.items()})


def relu_margin_ok(case, margin=None):
    """Preconditions for rnn-relu: the trajectory is representable in the dtype (its magnitudes stay below
    max·2^−20, so no term of a pre-activation overflows), and every pre-activation a_t is farther from
    the kink 0 than rounding can move it.

    |a| > e·M(a) with M from ``bounds`` (e = the value tolerance's ulps); an exact 0 from all-zero
    terms is fine (every implementation computes it exactly). ``margin`` (absolute) for FD stencils.
    """
    P, h = case.canonical(), case.state0[0]
    e = tolerances.value(case.dtype).rtol
    M = bounds.magnitudes(case)[0]
    if not np.all(np.isfinite(M)) or np.max(M) > np.finfo(case.dtype).max * 2.0**-20:
        return False   # a relu RNN can grow like ‖W_hh‖^T: the trajectory must be representable in the dtype
    hs = reference.forward(case)[0]
    prev, Mprev = h, np.zeros_like(h)
    for t in range(case.T):
        a = P["W_hh"] @ prev + P["W_xh"] @ case.xs[t] + P["b"]
        babs = np.abs(case.params["b_x"]) + np.abs(case.params["b_h"]) if case.pset == "two-biases" else np.abs(P["b"])
        Ma = np.abs(P["W_hh"]) @ np.abs(prev) + np.abs(P["W_xh"]) @ np.abs(case.xs[t]) + babs + np.abs(P["W_hh"]) @ Mprev
        lim = np.maximum(e * Ma, margin or 0.0)
        ok = (np.abs(a) > lim) | ((a == 0) & (Ma == 0) & (margin is None))
        if not np.all(ok):
            return False
        prev, Mprev = hs[t], M[t]
    return True


def _is_bias(k, v):
    return k[0] == "b" and np.ndim(v) == 1   # b, b_x, b_h, b_hn (p_i, p_f, p_o are the peepholes)


def _block_rows(v, H, k):
    """The rows of gate block k in a parameter with gate blocks (all of its rows when it has one block of H)."""
    n = np.shape(v)[0] // H
    return slice(k * H, (k + 1) * H) if n > 1 else slice(None)


def with_structure(row, P, H, structure, block=0):
    """``P`` with :data:`STRUCTURES`' ``structure`` applied: every bias 0; every bias 0 but one block (a GRU's b_hn,
    otherwise the last block of the last bias); gate ``block``'s rows 0 in every weight and bias; ("h0-zero" and "dense"
    leave P as it is)."""
    P = dict(P)
    biases = [k for k, v in P.items() if _is_bias(k, v)]
    if structure == "biases-zero":
        P.update({k: np.zeros_like(P[k]) for k in biases})
    elif structure == "bias-block-only" and biases:
        keep = "b_hn" if "b_hn" in P else ("b_h" if "b_h" in P else biases[-1])
        for k in biases:
            v = np.zeros_like(P[k])
            if k == keep:
                sl = slice(None) if k == "b_hn" else _block_rows(v, H, row.blocks - 1)   # the last block: n of a GRU
                v[sl] = _nonzero(P[k][sl])
            P[k] = v
    elif structure == "gate-block-zero" and row.blocks > 1:
        for k, v in P.items():
            if np.shape(v)[0] == row.blocks * H:
                v = np.array(v, copy=True)
                v[_block_rows(v, H, block)] = 0.0
                P[k] = v
    return P


@st.composite
def cell_cases(draw, kind, reset, dtype, T=(1, 6), regimes=REGIMES, H=(1, 3), D=(1, 3), relu_margin=None, pset="canonical",
               structures=STRUCTURES):
    """Cases for a cell kind: sizes, regime, structure (:data:`STRUCTURES`), native params (``pset``), state, inputs and
    cotangents, rounded to ``dtype``."""
    if kinds.row(kind).family in modern_cells.FAMILIES:   # their states and outputs are not all (H,)
        from vanishing.checks.conformance import modern
        return draw(modern.cell_cases(kind, dtype, T, regimes, H, D, pset))
    nH = draw(S.dims(*H), label="H")
    nD = draw(S.dims(*D), label="D")
    nT = draw(st.integers(*T), label="T")
    regime = draw(st.sampled_from(regimes), label="regime")
    P = draw(_params_strategy(kind, nH, nD, pset), label="params")
    if regime != "zero-state":   # there, exact zeros (relu'(0), all-zero terms) are the point; elsewhere all are exercised
        P = {k: _nonzero(v) for k, v in P.items()}
    if regime == "saturated":
        s = draw(st.sampled_from([30.0, 300.0]), label="weight scale")
        P = {k: v * s for k, v in P.items()}
    row = kinds.row(kind)
    structure = draw(st.sampled_from(structures), label="structure")
    P = with_structure(row, P, nH, structure, draw(st.integers(0, row.blocks - 1), label="zero gate block"))
    xs = draw(S.sequences(nT, nD, -3.0, 3.0), label="xs")
    if regime == "zero-state" or structure == "h0-zero":
        state0 = tuple(np.zeros(nH) for _ in row.state)
    else:   # h in [−1, 1] (a tanh's range), a cell state c in [−3, 3]
        state0 = (draw(S.vectors(nH, -1.0, 1.0), label="h0"),)
        state0 += tuple(draw(S.vectors(nH, -3.0, 3.0), label=k) for k in row.state_keys[1:])
    cot = (_order_one(draw(S.matrices(nT, nH, -1.0, 1.0), label="d hs")),)
    cot += tuple(_order_one(draw(S.vectors(nH, -1.0, 1.0), label=f"d {k}")) for k in row.outputs[1:])
    case = Case(kind, reset, np.dtype(dtype), {k: _r(v, dtype) for k, v in P.items()},
                tuple(_r(s, dtype) for s in state0), _r(xs, dtype), tuple(_r(c, dtype) for c in cot), regime, pset=pset)
    if row.kink:
        case.extra["relu_margin"] = relu_margin
        assume(relu_margin_ok(case, relu_margin))
    return case


#: The clipping structures: ordinary lists; many small arrays (a multi-tensor path that chunks its list); a threshold
#: within a few ulps (or ε = 1e-6) of ‖g‖, where the test "‖g‖ > max_norm" and the factor max_norm/(‖g‖ + ε) can
#: disagree; max_norm = 0 (coef = 0·0/0 when every gradient is 0 too: :func:`kept_clip_cases`).
CLIP_STRUCTURES = ("ordinary", "many-small", "near-norm", "zero-threshold")


@st.composite
def clip_cases(draw, dtype, lo=1e-2, hi=1e3, structures=CLIP_STRUCTURES):
    """Gradient lists (1–4 arrays, entries in ±1e3, or 9–16 arrays of 1–2 entries) and a threshold (positive, near ‖g‖, or
    0 by ``structures``), rounded to ``dtype``."""
    structure = draw(st.sampled_from(structures), label="structure")
    if structure == "many-small":
        grads = draw(st.lists(st.integers(1, 2).flatmap(lambda n: S.vectors(n, -1.0, 1.0)), min_size=9, max_size=16), label="grads")
    else:
        grads = draw(S.gradient_lists(max_tensors=4, max_size=4), label="grads")
    grads = [_r(g, dtype) for g in grads]
    if structure == "near-norm":
        norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
        ulps = draw(st.sampled_from([-4, -1, 0, 1, 4]), label="ulps") * float(np.finfo(dtype).eps) * norm
        thr = max(0.0, norm + ulps + draw(st.sampled_from([0.0, -1e-6, -5e-7, 5e-7]), label="ε offset"))
    elif structure == "zero-threshold":   # norms that do not underflow: 0, or ≥ 1e-6
        grads, thr = [_r(_flush(g), dtype) for g in grads], 0.0
    else:
        thr = draw(S.positive_floats(lo, hi), label="threshold")
    return ClipCase(grads, float(_r(thr, dtype)), np.dtype(dtype))


def probe_cases(kind, reset, dtype, n=2, seed=20240601, pset="canonical", T=4):
    """A few generic cases (H=3, D=2, T=4, moderate) for the diagnosis: no shrunk degeneracy (H=1 hides a transpose)."""
    rng, row = np.random.default_rng(seed), kinds.row(kind)
    if row.family in modern_cells.FAMILIES:
        from vanishing.checks.conformance import modern
        return modern.probe_cases(kind, dtype, n, seed, pset)
    out = []
    while len(out) < n:
        H, D = 3, 2
        P = {k: _r(rng.uniform(-1, 1, s), dtype) for k, s in param_shapes(kind, H, D, pset).items()}
        state0 = tuple(_r(rng.uniform(-1, 1, H), dtype) for _ in row.state)
        xs = _r(rng.uniform(-2, 2, (T, D)), dtype)
        cot = (_r(rng.uniform(-1, 1, (T, H)), dtype),) + tuple(_r(rng.uniform(-1, 1, H), dtype) for _ in row.outputs[1:])
        c = Case(kind, reset, np.dtype(dtype), P, state0, xs, cot, "probe", pset=pset)
        if not row.kink or relu_margin_ok(c, 1e-3):
            out.append(c)
    return out


def is_zero_norm_at_zero(case):
    """Whether ``case`` is the 0·0/0 trigger: max_norm = 0 and every gradient 0."""
    return isinstance(case, ClipCase) and case.threshold == 0.0 and not any(np.any(g) for g in case.grads)


def probe_clip_cases(dtype, seed=20240601):
    """Generic clipping cases: one far above the threshold, one below, one with several arrays."""
    rng = np.random.default_rng(seed)
    return [ClipCase([_r(rng.uniform(-5, 5, (2, 3)), dtype), _r(rng.uniform(-5, 5, 4), dtype)], 1.0, np.dtype(dtype)),
            ClipCase([_r(rng.uniform(-0.1, 0.1, 3), dtype)], 10.0, np.dtype(dtype)),
            ClipCase([_r(rng.uniform(-3, 3, 2), dtype), _r(rng.uniform(-30, 30, (2, 2)), dtype), _r(rng.uniform(-1, 1, 1), dtype)],
                     2.5, np.dtype(dtype))]


# ---------------------------------------------------------------- shrinking
def _units(case, sel):
    """The same cell restricted to hidden units ``sel`` (a smaller, valid cell: rows of every gate block, columns of W_h)."""
    H, sel = case.H, list(sel)
    P = {}
    for k, v in case.params.items():   # n stacked H-row blocks (n = 1 for W_hh, W_xh, p_*, an RNN's biases, b_hn)
        n = v.shape[0] // H
        rows = [g * H + j for g in range(n) for j in sel]
        P[k] = v[rows][:, sel] if k in ("W_h", "W_hh") else v[rows]
    state0 = tuple(s[sel] for s in case.state0)
    cot = (case.cot[0][:, sel],) + tuple(c[sel] for c in case.cot[1:])
    return case.but(params=P, state0=state0, cot=cot)


def _inputs(case, sel):
    sel = list(sel)
    P = {k: (v[:, sel] if k in ("W_x", "W_xh") else v) for k, v in case.params.items()}
    return case.but(params=P, xs=case.xs[:, sel])


def _steps(case, T):
    return case.but(xs=case.xs[:T], cot=(case.cot[0][:T],) + case.cot[1:])


def _simplify(a, dtype):
    """Round to 2 significant digits (so printed counterexamples read as 0.31, −2.4, 150)."""
    a = np.asarray(a, dtype=np.float64)
    return _r(np.vectorize(lambda v: float(f"{v:.2g}"), otypes=[np.float64])(a) if a.size else a, dtype)


def _flush(a):
    """Entries below 1e-6 in magnitude set to 0 (Hypothesis likes 1e-201; it rarely matters)."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.abs(a) < 1e-6, 0.0, a)


def _candidates(case):
    """Simpler variants of a cell case, roughly from the biggest simplification to the smallest."""
    T, H, D = case.T, case.H, case.D
    for t in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]:
        if t < T:
            yield _steps(case, t)
    blocked = case.row.family not in modern_cells.FAMILIES   # the modern layouts are not stacked H-row blocks
    for k in range(1, H if blocked else 1):
        for sel in _subsets(H, k):
            yield _units(case, sel)
    for k in range(1, D if blocked else 1):
        for sel in _subsets(D, k):
            yield _inputs(case, sel)
    if case.regime == "saturated":   # the same failure without saturation: a discrepancy large relative to the values
        for s in (1 / 300, 1 / 30):
            yield case.but(params={k: _r(v * s, case.dtype) for k, v in case.params.items()}, regime="moderate")
    if any(np.any(s) for s in case.state0):
        yield case.but(state0=tuple(np.zeros_like(s) for s in case.state0))
    arrays = [("params", k) for k in case.params] + [("xs", None), ("state0", None)]
    for what in (lambda a: np.zeros_like(a), _flush, lambda a: _simplify(a, case.dtype)):
        for where, k in arrays:
            yield _replace(case, where, k, what)
    yield _replace(case, "cot", None, lambda a: _simplify(a, case.dtype))   # cotangents stay O(1): rounded, never zeroed


def _subsets(n, k):
    import itertools
    return list(itertools.combinations(range(n), k))


def _replace(case, where, k, fn):
    c = case.but(params=dict(case.params))
    if where == "params":
        c.params[k] = fn(case.params[k])
    elif where == "xs":
        c.xs = fn(case.xs)
    elif where == "state0":
        c.state0 = tuple(fn(s) for s in case.state0)
    else:
        c.cot = tuple(fn(x) for x in case.cot)
    return c


def _clip_candidates(case):
    gs = case.grads
    for i in range(len(gs)):
        if len(gs) > 1:
            yield ClipCase(gs[:i] + gs[i + 1:], case.threshold, case.dtype)
    for i, g in enumerate(gs):
        flat = np.ravel(g)
        for n in range(1, flat.size):
            yield ClipCase(gs[:i] + [flat[:n].copy()] + gs[i + 1:], case.threshold, case.dtype)
    yield ClipCase([_flush(g) for g in gs], case.threshold, case.dtype)
    yield ClipCase([_simplify(g, case.dtype) for g in gs], case.threshold, case.dtype)
    yield ClipCase(gs, float(_simplify(case.threshold, case.dtype)), case.dtype)


def _same(a, b):
    return a.key() == b.key()


def _visible(m, best_m):
    """Whether a candidate's failure stays visible: its discrepancy relative to the values compared (``rel``) is not
    far below the current one's. Without this, shrinking drifts to saturated cases where the difference is 1e-9
    against a tolerance of 1e-14: a real failure, but one a reader cannot see. NaN (unknown) is accepted."""
    if m is None:
        return False
    if getattr(best_m, "forward_differs", False) and not m.forward_differs:
        return False   # a gradient failure whose forward differs too stays one: the report says so first
    if best_m is None or not np.isfinite(getattr(best_m, "rel", np.nan)) or not np.isfinite(getattr(m, "rel", np.nan)):
        return True
    return m.rel >= min(0.5 * best_m.rel, 1e-3)


def shrink(case, still_fails, budget=40):
    """Greedy shrinking with at most ``budget`` evaluations of ``still_fails(case) -> Mismatch | None``.

    Returns (smallest failing case found, its Mismatch or None, evaluations used). Each accepted
    candidate restarts the pass; candidates violating a precondition (relu margin) are skipped, and so
    are candidates whose discrepancy becomes invisible relative to the values (:func:`_visible`).
    """
    used, best = 0, case
    best_m = still_fails(case) if isinstance(case, Case) else None
    used += best_m is not None
    progress = True
    while progress and used < budget:
        progress = False
        gen = (_clip_candidates(best) if isinstance(best, ClipCase) else _stack_candidates(best) if isinstance(best, StackCase)
               else _candidates(best))
        for cand in gen:
            if used >= budget:
                break
            if _same(cand, best):
                continue
            if isinstance(cand, Case) and cand.row.kink and not relu_margin_ok(cand, cand.extra.get("relu_margin")):
                continue
            if isinstance(cand, StackCase) and not stack_off_the_kink(cand):
                continue
            used += 1
            m = still_fails(cand)
            if _visible(m, best_m):
                best, best_m, progress = cand, m, True
                break
    return best, best_m, used
