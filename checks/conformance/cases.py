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

__all__ = ["REGIMES", "Case", "ClipCase", "StackCase", "cell_cases", "clip_cases", "is_zero_norm_at_zero", "kept_clip_cases", "probe_cases", "probe_clip_cases", "stack_cases"]

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

    def key(self):
        h = hashlib.sha1(repr(sorted(self.config.items())).encode())
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
        return {"cell": self.cell, "config": self.config, "params": {n: np.asarray(p).tolist() for n, p in zip(self.names, self.params)},
                "xs": self.xs.tolist(), "h0": self.h0.tolist(), "c0": None if self.c0 is None else self.c0.tolist(),
                "cotangents": [np.asarray(c).tolist() for c in self.cot]}

    def source(self):
        dt = np.dtype(self.dtype).name
        return (["params = ["] + [f"    np.array({_lit(p)}, dtype=np.{dt}),  # {n}" for n, p in zip(self.names, self.params)] + ["]"]
                + [f"xs = np.array({_lit(self.xs)}, dtype=np.{dt})", f"h0 = np.array({_lit(self.h0)}, dtype=np.{dt})",
                   "c0 = None" if self.c0 is None else f"c0 = np.array({_lit(self.c0)}, dtype=np.{dt})",
                   "cotangents = [" + ", ".join(f"np.array({_lit(c)}, dtype=np.{dt})" for c in self.cot) + "]"])

    def brief(self, limit=800):
        s = (f"{self.cell} {self.config} B={self.B} T={self.T} " + " ".join(f"{n}={_lit(p)}" for n, p in zip(self.names, self.params))
             + f" xs={_lit(self.xs)} h0={_lit(self.h0)}" + ("" if self.c0 is None else f" c0={_lit(self.c0)}")
             + " cotangents=" + " ".join(_lit(c) for c in self.cot))
        s = " ".join(s.split())
        return s if len(s) <= limit else s[:limit] + " …"


@st.composite
def stack_cases(draw, cell, config, dtype, param_shapes):
    """Sizes H (> proj_size), D, T ≤ 4, B ≤ 3; every parameter in [−1, 1] (none all-zero), inputs, states, O(1) cotangents."""
    P = config.get("proj_size") or 0
    H = draw(st.integers(max(1, P + 1), max(3, P + 1)), label="H")
    D = draw(st.integers(1, 3), label="D")
    T = draw(st.integers(1, 4), label="T")
    B = draw(st.integers(1, 3), label="B")
    L, dirs = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1
    Hout, cell_state = P or H, kinds.row(cell).n_state > 1   # an LSTM layer carries c too
    shapes = param_shapes(H, D)
    params = [_r(_nonzero(draw(S.matrices(*s, -1.0, 1.0) if len(s) == 2 else S.vectors(s[0], -1.0, 1.0), label=n)), dtype)
              for n, s in shapes]
    xs = draw(hnp_arrays((B, T, D) if config.get("batch_first") else (T, B, D), 3.0), label="xs")
    h0 = draw(hnp_arrays((L * dirs, B, Hout), 1.0), label="h0")
    c0 = draw(hnp_arrays((L * dirs, B, H), 3.0), label="c0") if cell_state else None
    out_shape = (B, T, dirs * Hout) if config.get("batch_first") else (T, B, dirs * Hout)
    cot = [_order_one(draw(hnp_arrays(out_shape, 1.0), label="d output")), _order_one(draw(hnp_arrays((L * dirs, B, Hout), 1.0), label="d h_n"))]
    if cell_state:
        cot.append(_order_one(draw(hnp_arrays((L * dirs, B, H), 1.0), label="d c_n")))
    return StackCase(cell, dict(config), np.dtype(dtype), [n for n, _ in shapes], params, _r(xs, dtype), _r(h0, dtype),
                     None if c0 is None else _r(c0, dtype), [_r(c, dtype) for c in cot])


def simple_stack_case(cell, config, dtype, param_shapes, seed=0):
    """One ordinary stack case (H = proj_size + 2, D = 2, T = 2, B = 2, small values): the smoke test's."""
    rng = np.random.default_rng(seed)
    P = config.get("proj_size") or 0
    H, D, T, B = P + 2, 2, 2, 2
    L, dirs = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1
    Hout, cell_state = P or H, kinds.row(cell).n_state > 1
    shapes = param_shapes(H, D)
    u = lambda *s: _r(rng.uniform(-0.5, 0.5, s), dtype)
    bf = config.get("batch_first")
    cot = [u(*((B, T, dirs * Hout) if bf else (T, B, dirs * Hout))), u(L * dirs, B, Hout)] + ([u(L * dirs, B, H)] if cell_state else [])
    return StackCase(cell, dict(config), np.dtype(dtype), [n for n, _ in shapes], [u(*s) for _, s in shapes],
                     u(*((B, T, D) if bf else (T, B, D))), u(L * dirs, B, Hout), u(L * dirs, B, H) if cell_state else None, cot)


def hnp_arrays(shape, bound):
    """Float64 arrays of ``shape`` with entries in [−bound, bound]."""
    from hypothesis.extra import numpy as hnp
    return hnp.arrays(np.float64, shape, elements=S.floats(-bound, bound))


def _stack_candidates(case):
    """Simpler stack cases: one sequence of the batch, fewer steps, rounded arrays (cotangents kept O(1))."""
    bf = case.config.get("batch_first")
    if case.B > 1:
        sl = (slice(0, 1), slice(None)) if bf else (slice(None), slice(0, 1))
        cot = [case.cot[0][sl]] + [c[:, :1] for c in case.cot[1:]]
        yield dataclasses.replace(case, xs=case.xs[sl], h0=case.h0[:, :1], c0=None if case.c0 is None else case.c0[:, :1], cot=cot)
    if case.T > 1:
        sl = (slice(None), slice(0, 1)) if bf else (slice(0, 1),)
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


@st.composite
def cell_cases(draw, kind, reset, dtype, T=(1, 6), regimes=REGIMES, H=(1, 3), D=(1, 3), relu_margin=None, pset="canonical"):
    """Cases for a cell kind: sizes, regime, native params (``pset``), state, inputs and cotangents, rounded to ``dtype``."""
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
    xs = draw(S.sequences(nT, nD, -3.0, 3.0), label="xs")
    row = kinds.row(kind)
    if regime == "zero-state":
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


@st.composite
def clip_cases(draw, dtype, lo=1e-2, hi=1e3):
    """Gradient lists (1–4 arrays, entries in ±1e3) and a positive threshold, rounded to ``dtype``."""
    grads = draw(S.gradient_lists(max_tensors=4, max_size=4), label="grads")
    thr = draw(S.positive_floats(lo, hi), label="threshold")
    return ClipCase([_r(g, dtype) for g in grads], float(_r(thr, dtype)), np.dtype(dtype))


def probe_cases(kind, reset, dtype, n=2, seed=20240601, pset="canonical"):
    """A few generic cases (H=3, D=2, T=4, moderate) for the diagnosis: no shrunk degeneracy (H=1 hides a transpose)."""
    rng, row = np.random.default_rng(seed), kinds.row(kind)
    if row.family in modern_cells.FAMILIES:
        from vanishing.checks.conformance import modern
        return modern.probe_cases(kind, dtype, n, seed, pset)
    out = []
    while len(out) < n:
        H, D, T = 3, 2, 4
        P = {k: _r(rng.uniform(-1, 1, s), dtype) for k, s in param_shapes(kind, H, D, pset).items()}
        state0 = tuple(_r(rng.uniform(-1, 1, H), dtype) for _ in row.state)
        xs = _r(rng.uniform(-2, 2, (T, D)), dtype)
        cot = (_r(rng.uniform(-1, 1, (T, H)), dtype),) + tuple(_r(rng.uniform(-1, 1, H), dtype) for _ in row.outputs[1:])
        c = Case(kind, reset, np.dtype(dtype), P, state0, xs, cot, "probe", pset=pset)
        if not row.kink or relu_margin_ok(c, 1e-3):
            out.append(c)
    return out


def kept_clip_cases(dtype):
    """Clipping cases every run tries first (Hypothesis rarely draws them): max_norm = 0 with every gradient 0, where
    coef = max_norm/‖g‖ is 0·0/0 with ε = 0 (optax before its PR #1752 returned NaN), and with non-zero gradients."""
    return [ClipCase([np.zeros(3), np.zeros((2, 2))], 0.0, np.dtype(dtype)),
            ClipCase([_r(np.array([3.0, -4.0]), dtype), _r(np.array([[0.5]]), dtype)], 0.0, np.dtype(dtype))]


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
            used += 1
            m = still_fails(cand)
            if _visible(m, best_m):
                best, best_m, progress = cand, m, True
                break
    return best, best_m, used
