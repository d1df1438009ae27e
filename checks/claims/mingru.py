"""Checks of the minGRU / minLSTM claims (spec/claims/mingru.toml), and the generalised direct path of every modern kind.

Notation (models/mingru.py): h_t = a_t ⊙ h_{t−1} + b_t; minGRU a = 1 − z = σ(−k_z), b = z ⊙ h̃; minLSTM a = f′, b = i′ ⊙ h̃.
"""

import dataclasses

import numpy as np
from hypothesis import example, given, target
from hypothesis import strategies as st
from vanishing.checks import assertions, tolerances
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import floats, vectors
from vanishing.checks.toolkit import jac3, magnitude
from vanishing.models import activations as act
from vanishing.models import kinds, mamba, mingru, scan

#: weights up to 60 saturate the gates (σ(±60) rounds to 1 and 0 in float64); 1e3 reaches the ±1e3 tails
SCALES = (0.5, 3.0, 60.0, 1e3)


@st.composite
def min_cases(draw, cells=mingru.CELLS, T=(3, 6), positive=False):
    """(cell, params, h0, xs): H ∈ [3, 4], D ∈ [1, 3], every weight group at its own scale, zeros in some groups."""
    cell = draw(st.sampled_from(cells), label="cell")
    H, D = draw(st.integers(3, 4), label="H"), draw(st.integers(1, 3), label="D")
    p = {}
    for k, shape in mingru.param_shapes(H, D, cell).items():
        s = draw(st.sampled_from(SCALES + (0.0,)), label=f"scale {k}")
        p[k] = np.asarray(draw(vectors(int(np.prod(shape)), -1.0, 1.0), label=k)).reshape(shape) * s
    lo = 1e-3 if positive else -3.0
    h0 = draw(vectors(H, lo, 3.0), label="h0")
    xs = np.asarray(draw(vectors(draw(st.integers(*T), label="T") * D, -3.0, 3.0), label="xs")).reshape(-1, D)
    return cell, p, np.asarray(h0), xs


def _case(cell, H=3, D=1, T=3, h0=1.0, **given_params):
    p = {k: np.zeros(s) for k, s in mingru.param_shapes(H, D, cell).items()}
    p.update({k: np.asarray(v, dtype=float).reshape(p[k].shape) for k, v in given_params.items()})
    return cell, p, np.full(H, float(h0)), np.ones((T, D))


# ================================================================ the direct path, generalised

def _diag_z(p, h, x, cell="mingru", candidate="linear"):
    """Bug: the GRU's keep gate read the other way round (diag(z) for diag(1 − z))."""
    return np.eye(len(h)) - mingru.step_jacobian(p, h, x, cell, candidate)


@claim_check("MINGRU-STEP-JACOBIAN-DIAG", subject={"step": mingru.step, "step_jacobian": mingru.step_jacobian},
             plants={"diag(z_t) for diag(1 − z_t)": {"step_jacobian": _diag_z},
                     "the identity (the gate dropped)": {"step_jacobian": lambda p, h, x, cell="mingru", candidate="linear": np.eye(len(h))}})
def min_cells_step_jacobian_is_the_gate(ctx, s):
    """∂h_t/∂h_{t−1} = diag(a_t): diag(1 − z_t) for minGRU, diag(f′_t) for minLSTM, the whole step Jacobian.  [MINGRU-STEP-JACOBIAN-DIAG]"""
    @ctx.holds(max_examples=20, reason="three oracles on an H×H Jacobian per draw")
    @given(case=min_cases(), candidate=st.sampled_from(mingru.CANDIDATES))
    @example(case=_case("mingru", W_z=[60.0] * 3, b_h=[2.0] * 3), candidate="linear")      # z = σ(60): 1 − z = 8.8e-27, no cancellation
    def whole_jacobian_is_diag_a(case, candidate):
        cell, p, h0, xs = case
        closed = s.step_jacobian(p, h0, xs[0], cell, candidate)
        J = jac3(lambda h: s.step(p, h, xs[0], cell, candidate), h0, closed, f"{ctx.id}: ∂h_t/∂h_(t−1) ({cell})",
                 reproduce=ctx.repro(case=case, candidate=candidate))
        a, _ = mingru.coefficients(p, xs[0], cell, candidate)
        assertions.assert_close(J, np.diag(a), tolerances.analytic(), f"{ctx.id}: autograd's Jacobian vs diag(a_t)")
        target(float(np.max(np.abs(J - np.diag(np.diag(J))))), label="largest off-diagonal entry")


def _row_cases():
    """(kind, params, state, x) for every modern row with a direct path: sizes 3, states and inputs drawn."""
    rows = [r for r in kinds.ROWS.values() if not r.validator and r.direct_path is not None]
    @st.composite
    def draw_case(draw):
        r = draw(st.sampled_from(rows), label="kind")
        H, D = 3, draw(st.integers(1, 3), label="D")
        P = {k: np.asarray(draw(vectors(int(np.prod(sh)) or 1, -2.0, 2.0), label=k)).reshape(sh)
             for k, sh in r.canonical_shapes(H, D).items()}
        state = tuple(np.asarray(draw(vectors(int(np.prod(sh)) or 1, 0.5, 2.0), label=n)).reshape(sh)
                      for n, sh in zip(r.state, r.shapes_of_state(H, D)))
        return r.name, P, state, np.asarray(draw(vectors(D, -3.0, 3.0), label="x"))
    return draw_case()


def _flat_state_step(row, P, state, x, which):
    """The step as a function of the direct path's state entries only (the others held), flattened."""
    import autograd.numpy as anp
    idx = [row.state.index(n) for n in which]
    shapes = [np.shape(state[i]) for i in idx]
    sizes = [int(np.prod(sh)) or 1 for sh in shapes]
    def f(v):
        parts, o = list(state), 0
        for i, sh, n in zip(idx, shapes, sizes):
            parts[i] = anp.reshape(v[o:o + n], sh)
            o += n
        out = row.step(P, tuple(parts), x)
        return anp.concatenate([anp.ravel(out[i]) for i in idx])
    return f, np.concatenate([np.ravel(state[i]) for i in idx])


def _rows_with(name, direct_path):
    """The modern rows with one row's direct path replaced (a plant)."""
    rows = {r.name: r for r in kinds.ROWS.values() if not r.validator}
    return {**rows, name: dataclasses.replace(rows[name], direct_path=direct_path)}


@claim_check("MODERN-DIRECT-PATH-DIAG", subject={"rows": {r.name: r for r in kinds.ROWS.values() if not r.validator}},
             plants={"minGRU's direct path read as diag(z_t)": {"rows": _rows_with("mingru", lambda P, s, x, reset="after": _diag_z(P, s[0], x))},
                     "Mamba's as diag(1 + Δ_t A) (Euler)": {"rows": _rows_with("mamba-s6", lambda P, s, x, reset="after": np.diag(np.ravel(
                         1.0 + np.log(mamba.discretize(P, x)[1]))))}})
def modern_direct_path_is_diag_a(ctx, s):
    """c_t = a_t ⊙ c_{t−1} + b_t with a, b free of c_{t−1} ⇒ ∂c_t/∂c_{t−1} = diag(a_t), for every modern kind's row.  [MODERN-DIRECT-PATH-DIAG]"""
    @ctx.holds(max_examples=15, reason="three oracles on each row's state Jacobian (the LRU's 2H×2H, Mamba's DH×DH)")
    @given(case=_row_cases())
    # Mamba's row with Δ = softplus(2) = 2.13 and A = −1: exp(ΔA) = 0.12, where Euler's 1 + ΔA = −1.13
    @example(case=("mamba-s6", dict({k: np.zeros(sh) for k, sh in kinds.row("mamba-s6").canonical_shapes(3, 1).items()}, b_delta=np.array([2.0])),
                   (np.ones((1, 3)),), np.ones(1)))
    def every_row_direct_path(case):
        name, P, state, x = case
        row = s.rows[name]
        which = tuple(n.strip() for n in row.direct_state.split(","))
        f, v0 = _flat_state_step(row, P, state, x, which)
        closed = row.direct_path(P, state, x)
        jac3(f, v0, closed, f"{ctx.id}: {name} ∂{row.direct_state}_t/∂{row.direct_state}_(t−1)", reproduce=ctx.repro(case=case))


# ================================================================ minLSTM's normalised gates

@claim_check("MINLSTM-GATES-SUM-TO-ONE", subject={"coefficients": mingru.coefficients},
             plants={"f′ = σ(k_f) unnormalised": {"coefficients": lambda p, x, cell="minlstm", candidate="linear": (
                 act.sigmoid(p["W_f"] @ x + p["b_f"]), mingru.coefficients(p, x, cell, candidate)[1])}})
def minlstm_gates_are_a_convex_pair(ctx, s):
    """f′_t + i′_t = 1, f′, i′ ∈ [0, 1]: h_t is a convex combination of h_{t−1} and h̃_t.  [MINLSTM-GATES-SUM-TO-ONE]"""
    @ctx.holds
    @given(case=min_cases(cells=("minlstm",)))
    @example(case=_case("minlstm", b_f=[800.0, -800.0, 0.0], b_i=[-800.0, 800.0, 0.0], b_h=[1.0, 1.0, 1.0]))  # f + i underflows to 0 naively
    def normalised_pair(case):
        _, p, _, xs = case
        q = dict(p, W_h=np.zeros_like(p["W_h"]), b_h=np.ones_like(p["b_h"]))    # h̃ = 1: then b_t = i′_t exactly
        for x in xs:
            f_n, i_n = s.coefficients(q, x, "minlstm", "linear")
            assertions.assert_close(f_n + i_n, np.ones_like(f_n), tolerances.analytic(), f"{ctx.id}: f′ + i′ vs 1", ctx.repro(case=case))
            assertions.assert_le(np.concatenate([-f_n, -i_n, f_n - 1, i_n - 1]), np.zeros(4 * f_n.size), tolerances.analytic(),
                                 f"{ctx.id}: f′, i′ ∈ [0, 1]", reproduce=ctx.repro(case=case))


# ================================================================ log σ(x) = −softplus(−x)

@claim_check("MINGRU-LOG-SIGMOID-SOFTPLUS", subject={"log_sigmoid": act.log_sigmoid, "softplus": act.softplus},
             plants={"−softplus(x)": {"log_sigmoid": lambda x: -act.softplus(x)},
                     "log of the rounded σ": {"log_sigmoid": lambda x: np.log(np.maximum(act.sigmoid(x), 1e-300))}})
def log_sigmoid_is_minus_softplus(ctx, s):
    """log σ(x) = −softplus(−x), and d/dx log σ(x) = σ(−x), for every finite x (to 2^8 ulps, relative).  [MINGRU-LOG-SIGMOID-SOFTPLUS]"""
    @ctx.holds
    @given(x=st.one_of(floats(-40.0, 40.0), floats(-1e3, 1e3)))
    @example(x=-800.0)    # σ(−800) underflows to 0: log σ = −800, not −inf
    @example(x=0.0)
    def identity_and_derivative(x):
        v = float(s.log_sigmoid(np.array(x)))
        # reference: log σ(x) = −log(1 + e^{−x}), in the form with a non-positive exponent: min(x, 0) − log1p(e^{−|x|})
        ref = min(x, 0.0) - np.log1p(np.exp(-abs(x)))
        assertions.assert_close(np.array([v]), np.array([ref]), tolerances.relative("log σ(x) is computed without cancellation"),
                                f"{ctx.id}: log σ(x) vs −softplus(−x)", ctx.repro(x=x))
        if abs(x) <= 40:
            jac3(lambda u: s.log_sigmoid(u), np.array([x]), [[float(act.sigmoid(np.array(-x)))]], f"{ctx.id}: d log σ/dx vs σ(−x)",
                 reproduce=ctx.repro(x=x))


# ================================================================ the scans

def _swapped_scan(p, h0, xs, cell="mingru", candidate="linear"):
    """Bug: the associative operator composed in the wrong order ((a_j, b_j) then (a_i, b_i))."""
    a = np.stack([mingru.coefficients(p, x, cell, candidate)[0] for x in xs])
    b = np.stack([mingru.coefficients(p, x, cell, candidate)[1] for x in xs])
    A, B = scan.associative_scan(lambda e, l: (e[0] * l[0], e[0] * l[1] + e[1]), (a, b))
    return A * h0 + B


@claim_check("MINGRU-SCAN-EQUALS-LOOP", subject={"forward": mingru.forward, "forward_scan": mingru.forward_scan},
             plants={"operator composed in the wrong order": {"forward_scan": _swapped_scan}})
def min_cells_associative_scan_equals_loop(ctx, s):
    """The associative scan of (a_t, b_t) gives every h_t of the sequential loop, for every h_0 (no sign condition).  [MINGRU-SCAN-EQUALS-LOOP]"""
    @ctx.holds
    @given(case=min_cases(T=(3, 9)), candidate=st.sampled_from(mingru.CANDIDATES))
    def scan_equals_loop(case, candidate):
        cell, p, h0, xs = case
        loop, par = s.forward(p, h0, xs, cell, candidate), s.forward_scan(p, h0, xs, cell, candidate)
        # both are sums of T + 1 terms of products of at most T factors a_s ∈ [0, 1]: scale of the largest term
        scale = max(magnitude(h0), magnitude(mingru.forward_scan(p, np.abs(h0), xs, cell, candidate)), 1.0)
        tol = tolerances.chain(2 * xs.shape[0], "the scan's and the loop's products of at most T factors")
        tol = tolerances.override(tol, tol.reason.removeprefix("override: ") + ", at the scale of the largest term", atol=tol.rtol * scale)
        assertions.assert_close(par, loop, tol,
                                f"{ctx.id}: scan vs loop ({cell}, {candidate})", ctx.repro(case=case, candidate=candidate))


def _literal_log_scan(p, h0, xs, cell="mingru", candidate="linear"):
    """Heinsen's expression with real logarithms applied as written, whatever the signs (NaN where a log is undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.stack([mingru.coefficients(p, x, cell, candidate)[0] for x in xs])
        b = np.stack([mingru.coefficients(p, x, cell, candidate)[1] for x in xs])
        a_star = np.cumsum(np.log(a), axis=0)                      # Heinsen's two prefix sums, written out (no validation:
        v = np.concatenate([np.log(h0)[None], np.log(b) - a_star])  # the literal statement is applied as it stands)
        return np.exp(a_star + np.logaddexp.accumulate(v, axis=0)[1:])


@claim_check("MINGRU-LOG-SCAN-POSITIVE", subject={"forward": mingru.forward, "log_scan": mingru.forward_log_scan,
                                                   "literal": _literal_log_scan},
             plants={"log a_t taken as log z_t": {"log_scan": lambda p, h0, xs, cell="mingru", candidate="g": np.exp(scan.log_scan(
                 np.stack([mingru.log_coefficients(p, x, cell, candidate)[1] - mingru.log_g(p["W_h"] @ x + p["b_h"]) for x in xs]),
                 np.stack([mingru.log_coefficients(p, x, cell, candidate)[1] for x in xs]), np.log(h0)))}})
def log_space_scan_needs_positive_states(ctx, s):
    """log h_t = a*_t + log(h_0 + b*_t) equals the loop for a_t, b_t, h_0 > 0; with h_0 ≤ 0 or b_t ≤ 0 it does not.  [MINGRU-LOG-SCAN-POSITIVE]"""
    @ctx.holds
    @given(case=min_cases(T=(3, 9), positive=True))
    def positive_states(case):
        cell, p, h0, xs = case
        loop, par = s.forward(p, h0, xs, cell, "g"), s.log_scan(p, h0, xs, cell, "g")
        # log h_t is a*_t plus a log-sum-exp of T + 1 terms, each |log| ≤ L: absolute error ≤ (2T + 2)·L·ε_a in log h,
        # i.e. relative error in h_t (derived: docs/literature.md, "Modern recurrent cells")
        logs = np.abs(np.concatenate([np.ravel(mingru.log_coefficients(p, x, cell, "g")) for x in xs] + [np.log(h0)]))
        L = max(1.0, float(np.sum(logs)))
        n = int(np.ceil((2 * xs.shape[0] + 2) * L))
        assertions.assert_close(par, loop, tolerances.chain(n, "the log-space scan: (2T + 2) rounded log terms of size ≤ L, "
                                "exponentiated (a relative error in h_t)"), f"{ctx.id}: log-space scan vs loop ({cell})",
                                ctx.repro(case=case))

    @ctx.refutes
    @given(case=min_cases(T=(3, 5)))
    @example(case=_case("mingru", b_h=[1.0, 1.0, 1.0], h0=-1.0))
    def for_every_real_state(case):
        cell, p, h0, xs = case
        loop, lit = s.forward(p, h0, xs, cell, "linear"), s.literal(p, h0, xs, cell, "linear")
        assertions.literal(bool(np.all(np.abs(lit - loop) <= 1e-8 * (1 + np.abs(loop)))),
                           f"{ctx.id}: Heinsen's real-log expression = the loop for h_0 = {h0!r} (got {lit[-1]!r} vs {loop[-1]!r})")


def _listing8(p, h0, xs, cell="mingru"):
    """The paper's parallel listing as written: log_h_0 = log_g(h_0), i.e. the log-space scan started from g(h_0)."""
    return mingru.forward_log_scan(p, mingru.g(h0), xs, cell, "g")


@claim_check("MINGRU-LISTINGS-H0", subject={"sequential": mingru.forward, "parallel": _listing8},
             plants={"the parallel listing started from h_0 itself": {"parallel": lambda p, h0, xs, cell="mingru": mingru.forward_log_scan(
                 p, np.maximum(np.asarray(h0), 1e-3), xs, cell, "g")}})
def paper_listings_start_from_different_states(ctx, s):
    """Listing 8 (parallel, log_h_0 = log_g(h_0)) from h_0 equals Listing 7 (sequential) from g(h_0), never from h_0.  [MINGRU-LISTINGS-H0]"""
    @ctx.holds
    @given(case=min_cases(T=(3, 8)))
    def parallel_from_h0_is_sequential_from_g_h0(case):
        cell, p, h0, xs = case
        par, seq = s.parallel(p, h0, xs, cell), s.sequential(p, mingru.g(h0), xs, cell, "g")
        logs = np.abs(np.concatenate([np.ravel(mingru.log_coefficients(p, x, cell, "g")) for x in xs] + [mingru.log_g(h0)]))
        n = int(np.ceil((2 * xs.shape[0] + 2) * max(1.0, float(np.sum(logs)))))
        assertions.assert_close(par, seq, tolerances.chain(n, "the log-space scan: (2T + 2) rounded log terms of size ≤ L, exponentiated"),
                                f"{ctx.id}: Listing 8 from h_0 vs Listing 7 from g(h_0)", ctx.repro(case=case))

    @ctx.refutes
    @given(case=min_cases(T=(3, 5)))
    @example(case=_case("mingru", h0=0.0))
    def the_listings_agree_from_the_same_h0(case):
        cell, p, h0, xs = case
        par, seq = s.parallel(p, h0, xs, cell), s.sequential(p, h0, xs, cell, "g")
        assertions.literal(bool(np.all(np.abs(par - seq) <= 1e-8 * (1 + np.abs(seq)))),
                           f"{ctx.id}: Listing 8 gives h_1 = {par[0]!r}, Listing 7 gives {seq[0]!r} from the same h_0 = {h0!r}")
