"""The reference is checked too: at the start of every ``vanishing validate`` run, before any check.

Every verdict of the validator is a comparison with :mod:`reference` (autograd through
``vanishing.models``). A bug there fails correct implementations and blames them. So each run
first compares the reference, on a few small fixed cases of the adapter's kind, reset convention
and parameter set, with

* an **independent implementation** written here in plain NumPy, sharing no code with
  ``vanishing.models``: the cells' forward passes, their reverse-mode BPTT derived by hand (the
  closed-form backward pass: the third oracle), the parameter-set maps and their chain rule, the
  direct-path Jacobians (rows of the hand BPTT), clipping by global norm and by value;
* **finite differences of the reference** (``oracles.directional_fd``, scipy.differentiate with an
  error estimate) along a fixed random direction, the arbiter when a gradient disagrees: if FD of
  ``reference.forward`` agrees with the hand BPTT and not with ``reference.vjp``, the reference's
  autograd VJP is wrong (and the message says so);
* **the parameter counts** implied by the layout shapes (``protocol.param_shapes``, checked against
  the shapes written here), against ``reference.param_count``.

:func:`findings` returns one line per disagreement (empty: the reference is sound on these cases);
the runner then stops the run with exit status 2 and blames the reference, not the user's cell.
It is memoised per process on what it checks; its cost (tens of milliseconds per distinct cell, a few hundred for a
two-layer bidirectional stack; about 0.35 s CPU for all of ``validate torch``) is measured by
``benchmarks/crosscheck.py`` and stated in docs/CONFORMANCE.md.
"""

import numpy as np
from scipy.special import expit

from vanishing.checks import assertions, tolerances
from vanishing.checks.conformance import reference
from vanishing.checks.conformance.cases import Case
from vanishing.checks.conformance.checks import reference_directional_fd
from vanishing.checks.conformance.protocol import CELL_KINDS, param_shapes
from vanishing.models import clipping, gru, layouts, lstm, rnn, stacked

__all__ = ["CLAIM", "DOC", "cases", "cell_forward", "cell_vjp", "clip_findings", "findings", "hand_shapes", "message", "to_canonical"]

#: Small fixed cases: H = 3 hidden units, D = 2 inputs, T = 3 steps (every gate block and time step distinct).
H, D, T = 3, 2, 3
#: Weight scales of the cases (times 1/√H): moderate, and one that drives the gates towards saturation.
SCALES = (1.0, 2.5)
#: relu: every pre-activation of a case stays at least this far from the kink (so FD and relu'(0) are moot).
RELU_MARGIN = 0.05


#: The claim of the cross-check, as a report shows it.
CLAIM = ("vanishing's reference (autograd through vanishing.models) agrees with an independent NumPy implementation "
         "(forward, step, hand-written BPTT, direct path, parameter counts, clipping) and, where a gradient differs, "
         "finite differences of the reference say which is right")


def _sigmoid(a):
    return expit(a)      # scipy's logistic: accurate in both tails, no overflow


# ---------------------------------------------------------------- shapes and the parameter-set maps, by hand
def hand_shapes(kind, H, D, pset="canonical"):
    """{key: shape} as written in docs/DESIGN.md and docs/VALIDATE.md, independently of ``layouts``."""
    if kind.startswith("rnn"):
        base = {"W_hh": (H, H), "W_xh": (H, D), "b": (H,)}
    elif kind.startswith("lstm"):
        base = {"W_x": (4 * H, D), "W_h": (4 * H, H), "b": (4 * H,)}
        if kind == "lstm-peephole":
            base.update(p_i=(H,), p_f=(H,), p_o=(H,))
    else:
        base = {"W_x": (3 * H, D), "W_h": (3 * H, H), "b_x": (3 * H,), "b_h": (3 * H,)}
    if pset == "two-biases":            # PyTorch: b = b_ih + b_hh
        base = {**{k: s for k, s in base.items() if k != "b"}, "b_x": base["b"], "b_h": base["b"]}
    elif pset == "one-bias":            # one bias: b_x = b, b_h = 0
        base = {"W_x": base["W_x"], "W_h": base["W_h"], "b": base["b_x"]}
    elif pset == "gru-bhn":             # b_h = [0, 0, b_hn]
        base = {"W_x": base["W_x"], "W_h": base["W_h"], "b_x": base["b_x"], "b_hn": (H,)}
    return base


def to_canonical(kind, params, pset="canonical"):
    """The canonical parameters of native ``params`` (the documented maps, written again)."""
    P = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    if pset == "two-biases":
        P["b"] = P.pop("b_x") + P.pop("b_h")
    elif pset == "one-bias":
        P["b_x"] = P.pop("b")
        P["b_h"] = np.zeros_like(P["b_x"])
    elif pset == "gru-bhn":
        b_hn = P.pop("b_hn")
        P["b_h"] = np.concatenate([np.zeros(2 * b_hn.shape[0]), b_hn])
    return P


def _native_grads(kind, g, pset):
    """The chain rule through :func:`to_canonical`: gradients w.r.t. the native keys from the canonical ones."""
    g = dict(g)
    if pset == "two-biases":            # b = b_x + b_h ⇒ ∂/∂b_x = ∂/∂b_h = ∂/∂b
        gb = g.pop("b")
        g["b_x"], g["b_h"] = gb.copy(), gb.copy()
    elif pset == "one-bias":            # b_x = b ⇒ ∂/∂b = ∂/∂b_x; b_h = 0 is no parameter
        g["b"] = g.pop("b_x")
        g.pop("b_h")
    elif pset == "gru-bhn":             # b_h = [0, 0, b_hn] ⇒ ∂/∂b_hn = (∂/∂b_h)[2H:]
        gh = g.pop("b_h")
        g["b_hn"] = gh[2 * (gh.shape[0] // 3):]
    return g


# ---------------------------------------------------------------- the cells: forward, and BPTT by hand
def _blocks(W, n):
    return [W[k * (W.shape[0] // n):(k + 1) * (W.shape[0] // n)] for k in range(n)]


def cell_forward(kind, P, state0, xs, reset="after"):
    """(outputs, caches): outputs ``(hs,)`` or ``(hs, c_T)`` of the canonical-parameter cell, caches per step."""
    h = np.asarray(state0[0], dtype=np.float64)
    c = np.asarray(state0[1], dtype=np.float64) if kind.startswith("lstm") else None
    hs, caches = [], []
    for x in np.asarray(xs, dtype=np.float64):
        if kind.startswith("rnn"):
            a = P["W_hh"] @ h + P["W_xh"] @ x + P["b"]                  # a_t = W_hh h_{t−1} + W_xh x_t + b
            h_new = np.tanh(a) if kind == "rnn-tanh" else np.where(a > 0, a, 0.0)
            caches.append((x, h, a, h_new))
            h = h_new
        elif kind.startswith("lstm"):
            ai, af, ag, ao = _blocks(P["W_x"] @ x + P["W_h"] @ h + P["b"], 4)   # gate order i, f, g, o
            if kind == "lstm-peephole":                                 # i, f see c_{t−1}; o sees c_t
                ai, af = ai + P["p_i"] * c, af + P["p_f"] * c
            i, f, g = _sigmoid(ai), _sigmoid(af), np.tanh(ag)
            c_new = f * c + i * g                                       # c_t = f⊙c_{t−1} + i⊙g
            if kind == "lstm-peephole":
                ao = ao + P["p_o"] * c_new
            o = _sigmoid(ao)
            tc = np.tanh(c_new)
            m = o * tc                                                  # h_t = o⊙tanh(c_t)
            caches.append((x, h, c, i, f, g, o, c_new, tc, m))
            h, c = (P["W_hr"] @ m if "W_hr" in P else m), c_new         # projected (PyTorch proj_size): h_t = W_hr m_t
        else:
            xr, xz, xn = _blocks(P["W_x"] @ x + P["b_x"], 3)            # gate order r, z, n
            Wr, Wz, Wn = _blocks(P["W_h"], 3)
            br, bz, bn = _blocks(P["b_h"], 3)
            r, z = _sigmoid(xr + Wr @ h + br), _sigmoid(xz + Wz @ h + bz)
            hn = Wn @ h + bn if reset == "after" else Wn @ (r * h) + bn
            n = np.tanh(xn + r * hn) if reset == "after" else np.tanh(xn + hn)
            caches.append((x, h, r, z, n, hn))
            h = (1.0 - z) * n + z * h                                   # h_t = (1 − z)⊙n + z⊙h_{t−1}
        hs.append(h)
    outs = (np.stack(hs), c) if kind.startswith("lstm") else (np.stack(hs),)
    return outs, caches


def cell_vjp(kind, P, state0, xs, cotangents, reset="after"):
    """Σ⟨outputs, cotangents⟩'s gradient w.r.t. every canonical key, "xs", "h0"[, "c0"]: reverse-mode BPTT by hand."""
    _, caches = cell_forward(kind, P, state0, xs, reset)
    dhs = np.asarray(cotangents[0], dtype=np.float64)
    g = {k: np.zeros_like(v) for k, v in P.items()}
    dxs = np.zeros((len(caches), np.shape(xs)[1]))
    dh_next = np.zeros(np.shape(state0[0]))
    dc_next = np.array(cotangents[1], dtype=np.float64) if kind.startswith("lstm") else None   # ∂/∂c_T: the c_T cotangent
    for t in range(len(caches) - 1, -1, -1):
        dh = dhs[t] + dh_next                                           # ∂E/∂h_t: its own cotangent + from step t+1
        if kind.startswith("rnn"):
            x, h_prev, a, h_t = caches[t]
            da = dh * ((1.0 - h_t * h_t) if kind == "rnn-tanh" else (a > 0))   # tanh' = 1 − h², relu' = [a > 0]
            g["W_hh"] += np.outer(da, h_prev)
            g["W_xh"] += np.outer(da, x)
            g["b"] += da
            dxs[t] = P["W_xh"].T @ da
            dh_next = P["W_hh"].T @ da
        elif kind.startswith("lstm"):
            x, h_prev, c_prev, i, f, gg, o, c_t, tc, m = caches[t]
            if "W_hr" in P:                                             # h = W_hr m
                g["W_hr"] += np.outer(dh, m)
                dh = P["W_hr"].T @ dh
            do = dh * tc                                                # m = o⊙tanh(c)
            da_o = do * o * (1.0 - o)
            dc = dc_next + dh * o * (1.0 - tc * tc)
            if kind == "lstm-peephole":                                 # a_o += p_o⊙c_t
                dc = dc + da_o * P["p_o"]
                g["p_o"] += da_o * c_t
            da_i = dc * gg * i * (1.0 - i)                              # c = f⊙c_prev + i⊙g
            da_f = dc * c_prev * f * (1.0 - f)
            da_g = dc * i * (1.0 - gg * gg)
            dc_next = dc * f
            if kind == "lstm-peephole":                                 # a_i += p_i⊙c_prev, a_f += p_f⊙c_prev
                dc_next = dc_next + da_i * P["p_i"] + da_f * P["p_f"]
                g["p_i"] += da_i * c_prev
                g["p_f"] += da_f * c_prev
            da = np.concatenate([da_i, da_f, da_g, da_o])
            g["W_x"] += np.outer(da, x)
            g["W_h"] += np.outer(da, h_prev)
            g["b"] += da
            dxs[t] = P["W_x"].T @ da
            dh_next = P["W_h"].T @ da
        else:
            x, h_prev, r, z, n, hn = caches[t]
            Wr, Wz, Wn = _blocks(P["W_h"], 3)
            da_n = dh * (1.0 - z) * (1.0 - n * n)                       # h = (1 − z)⊙n + z⊙h_prev
            da_z = dh * (h_prev - n) * z * (1.0 - z)
            dh_prev = dh * z
            if reset == "after":                                        # a_n = W_xn x + b_xn + r⊙(W_hn h + b_hn)
                dr = da_n * hn
                dhn = da_n * r
                g["W_h"][2 * len(r):] += np.outer(dhn, h_prev)
                dh_prev = dh_prev + Wn.T @ dhn
            else:                                                       # a_n = W_xn x + b_xn + W_hn (r⊙h) + b_hn
                dhn = da_n
                drh = Wn.T @ da_n
                dr = drh * h_prev
                g["W_h"][2 * len(r):] += np.outer(da_n, r * h_prev)
                dh_prev = dh_prev + drh * r
            da_r = dr * r * (1.0 - r)
            Hh = len(r)
            g["W_h"][:Hh] += np.outer(da_r, h_prev)
            g["W_h"][Hh:2 * Hh] += np.outer(da_z, h_prev)
            g["b_h"] += np.concatenate([da_r, da_z, dhn])
            da = np.concatenate([da_r, da_z, da_n])
            g["W_x"] += np.outer(da, x)
            g["b_x"] += da
            dxs[t] = P["W_x"].T @ da
            dh_next = dh_prev + Wr.T @ da_r + Wz.T @ da_z
    g.update(xs=dxs, h0=dh_next)
    if kind.startswith("lstm"):
        g["c0"] = dc_next
    return g


def direct_path(kind, P, state0, x, reset="after"):
    """The direct-path Jacobian as rows of the hand BPTT on one step: ∂c_1/∂c_0 (h_0 fixed) for an LSTM, ∂h_1/∂h_0 for
    a GRU (called with W_h = 0, as the direct-path check does)."""
    Hn = np.shape(state0[0])[0]
    rows = []
    for j in range(Hn):
        e = np.zeros(Hn)
        e[j] = 1.0
        cot = (np.zeros((1, Hn)), e) if kind.startswith("lstm") else (e[None, :],)
        rows.append(cell_vjp(kind, P, state0, np.asarray(x)[None, :], cot, reset)["c0" if kind.startswith("lstm") else "h0"])
    return np.stack(rows)


# ---------------------------------------------------------------- the fixed cases
def _min_relu_margin(kind, P, state0, xs):
    _, caches = cell_forward(kind, P, state0, xs)
    return min(float(np.min(np.abs(c[2]))) for c in caches)


def cases(kind, reset="after", pset="canonical"):
    """[(native params, state0, xs, cotangents, scale)]: one case per :data:`SCALES`, every entry non-zero, fixed seeds.

    A relu case is redrawn (the next seed) until every pre-activation is at least :data:`RELU_MARGIN` from the kink."""
    out = []
    for n, scale in enumerate(SCALES):
        for seed in range(100 * n, 100 * n + 100):
            rng = np.random.default_rng(seed)
            P = {k: scale * rng.uniform(-1.0, 1.0, s) / np.sqrt(H) for k, s in hand_shapes(kind, H, D, pset).items()}
            state0 = tuple(rng.uniform(-1.0, 1.0, H) for _ in range(2 if kind.startswith("lstm") else 1))
            xs = rng.uniform(-1.0, 1.0, (T, D))
            cot = (rng.uniform(-1.0, 1.0, (T, H)),) + ((rng.uniform(-1.0, 1.0, H),) if kind.startswith("lstm") else ())
            if kind != "rnn-relu" or _min_relu_margin(kind, to_canonical(kind, P, pset), state0, xs) >= RELU_MARGIN:
                break
        out.append((P, state0, xs, cot, scale))
    return out


# ---------------------------------------------------------------- the comparisons
def _compare(got, want, tol):
    """(worst |got − want| / allowed, its index, got, want) over the entries; a shape mismatch is infinitely bad."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return np.inf, (), f"shape {got.shape}", f"shape {want.shape}"
    with np.errstate(all="ignore"):
        ratio = np.abs(got - want) / tol.bound(want)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    if not ratio.size:
        return 0.0, (), got, want
    w = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    return float(ratio[w]), w, float(got[w]), float(want[w])


def _worst(got, want, tol):
    """(ok, index, got, want) of the worst entry of |got − want| against ``tol`` (a shape mismatch: got, want are NaN)."""
    ratio, w, g, v = _compare(got, want, tol)
    return ratio <= 1.0, w, (g if isinstance(g, float) else np.nan), (v if isinstance(v, float) else np.nan)


def _num(v):
    return f"{v:.17g}" if isinstance(v, float) else str(v)


def _where(w):
    return "[" + ", ".join(str(int(i)) for i in w) + "]"


def _value_tol(arrays):
    s = max([1.0] + [float(np.max(np.abs(a))) for a in arrays if np.size(a)])
    return tolerances.value(np.float64, scale=s)


def _grad_tol(grads):
    s = max([1.0] + [float(np.max(np.abs(v))) for v in grads.values() if np.size(v)])
    return tolerances.gradient(np.float64, scale=s)


def _cell_findings(kind, reset, pset):
    label = f"{kind}" + (f", reset={reset}" if kind == "gru" else "") + (f", param_set={pset}" if pset != "canonical" else "")
    out = []
    state_keys = ("h0", "c0") if kind.startswith("lstm") else ("h0",)
    for n, (P, state0, xs, cot, scale) in enumerate(cases(kind, reset, pset)):
        where = f"{label}, case {n + 1} (H={H}, D={D}, T={T}, weights ×{scale:g})"
        C = to_canonical(kind, P, pset)
        indep, _ = cell_forward(kind, C, state0, xs, reset)
        with np.errstate(all="ignore"):
            ref = reference.forward(kind, P, state0, xs, reset, pset)
        names = ("hs", "c_T") if kind.startswith("lstm") else ("hs",)
        fwd_ok = True
        if len(ref) != len(indep):
            out.append(f"reference.forward [{where}]: returns {len(ref)} output(s), the independent forward {len(indep)}")
            fwd_ok = False
        for name, r, i in zip(names, ref, indep):
            if np.shape(r) != np.shape(i):
                out.append(f"reference.forward [{where}]: {name} has shape {np.shape(r)}, expected {np.shape(i)}")
                fwd_ok = False
                continue
            ok, w, got, want = _worst(r, i, _value_tol(indep))
            if not ok:
                fwd_ok = False
                out.append(f"reference.forward [{where}]: {name}{_where(w)} = {got:.17g}, the independent forward gives {want:.17g}")
        # one step from state0
        s_ref = reference.step(kind, P, state0, xs[0], reset, pset)
        s_ind, _ = cell_forward(kind, C, state0, xs[:1], reset)
        s_ind = (s_ind[0][0],) + tuple(s_ind[1:])
        for name, r, i in zip(("h_1", "c_1"), s_ref, s_ind):
            if np.shape(r) != np.shape(i):
                out.append(f"reference.step [{where}]: {name} has shape {np.shape(r)}, expected {np.shape(i)}")
                continue
            ok, w, got, want = _worst(r, i, _value_tol(s_ind))
            if not ok:
                out.append(f"reference.step [{where}]: {name}{_where(w)} = {got:.17g}, the independent step gives {want:.17g}")
        # gradients: reference.vjp (autograd), the hand BPTT, and FD of reference.forward as the arbiter
        g_ind = _native_grads(kind, cell_vjp(kind, C, state0, xs, cot, reset), pset)
        g_ref = reference.vjp(kind, P, state0, xs, cot, reset, pset)
        keys = list(P) + ["xs", *state_keys]
        missing = [k for k in keys if k not in g_ref]
        if missing:
            out.append(f"reference.vjp [{where}]: no gradient w.r.t. {', '.join(missing)}")
            continue
        tol = _grad_tol(g_ind)
        bad = sorted(((_compare(g_ref[k], g_ind[k], tol), k) for k in keys), key=lambda x: -x[0][0])
        bad = [(c, k) for c, k in bad if c[0] > 1.0]
        if bad:
            (_, w, got, want), k = bad[0]
            out.append(f"reference.vjp [{where}]: the gradient differs w.r.t. {', '.join(k for _, k in bad)} (of {len(keys)} keys); "
                       f"worst: ∂/∂{k}{_where(w)} = {_num(got)} where the hand BPTT gives {_num(want)}; "
                       + _arbiter(kind, reset, pset, P, state0, xs, cot, g_ref, g_ind, fwd_ok))
        if kind in ("lstm", "lstm-peephole", "gru"):
            out += _direct_path_findings(kind, reset, C, state0, xs[0], where)
    return out


def _arbiter(kind, reset, pset, P, state0, xs, cot, g_ref, g_ind, fwd_ok):
    """What finite differences of reference.forward say about a gradient disagreement (one clause)."""
    case = Case(kind, reset, np.dtype(np.float64), P, tuple(state0), xs, tuple(cot), pset=pset)
    try:
        d = reference_directional_fd(case, seed=7)
    except assertions.FDInconclusive as e:
        return f"finite differences of reference.forward were inconclusive ({e})"
    tol = d.tol(np.float64, max([1.0] + [float(np.max(np.abs(v))) for v in g_ind.values() if np.size(v)]))
    d_ref, d_ind = d.along(g_ref), d.along(g_ind)
    ref_ok, ind_ok = _worst(d_ref, d.fd, tol)[0], _worst(d_ind, d.fd, tol)[0]
    nums = f"(⟨·, w⟩ along a random direction w: reference.vjp {d_ref:.12g}, hand BPTT {d_ind:.12g}, FD {d.fd:.12g} ± {d.fd_err:.2g})"
    if ind_ok and not ref_ok:
        return ("finite differences of reference.forward agree with the hand BPTT, not with reference.vjp: the reference's "
                "autograd gradient is wrong " + nums)
    if ref_ok and not ind_ok:
        return "finite differences of reference.forward agree with reference.vjp, not with the hand BPTT " + nums + (
            "" if fwd_ok else ": the reference's forward pass differs too (above), so its gradient is that of another function")
    return "finite differences of reference.forward agree with neither " + nums


def _direct_path_findings(kind, reset, C, state0, x, where):
    if kind.startswith("lstm"):
        ref = lstm.direct_path_jacobian(C, state0[0], state0[1], x, variant="peephole" if kind == "lstm-peephole" else "forget")
        P = C
    else:
        P = {**C, "W_h": np.zeros_like(C["W_h"])}
        ref = gru.direct_path_jacobian(P, state0[0], x, reset=reset)
    ind = direct_path(kind, P, state0, x, reset)
    ok, w, got, want = _worst(ref, ind, tolerances.gradient(np.float64, scale=max(1.0, float(np.max(np.abs(ind))))))
    if ok:
        return []
    name = "lstm" if kind.startswith("lstm") else "gru"
    what = "∂c_1/∂c_0" if name == "lstm" else "∂h_1/∂h_0 (W_h = 0)"
    return [f"{name}.direct_path_jacobian [{where}]: entry {_where(w)} = {got:.17g}, the hand BPTT's {what} gives {want:.17g}"]


def _count_findings(kind):
    out = []
    for h, d in ((1, 1), (3, 2), (2, 5)):
        shapes = param_shapes(kind, h, d, "canonical")
        canon = sum(int(np.prod(s)) for s in shapes.values())
        # PyTorch's second bias doubles the one summed bias b (rnn, lstm); a GRU keeps two biases already
        two = canon + (int(np.prod(shapes["b"])) if "b" in shapes else 0)
        if kind in ("rnn-tanh", "rnn-relu", "lstm"):
            two_lay = sum(int(np.prod(s)) for s in param_shapes(kind, h, d, "two-biases").values())
            if two_lay != two:
                out.append(f"layouts.PARAM_SETS['two-biases'] of {kind!r} (H={h}, D={d}) holds {two_lay} scalars, not the "
                           f"canonical {canon} plus one more bias vector ({two})")
        for pset in [p for p, ps in layouts.PARAM_SETS.items() if kind in ps.kinds]:
            lay, hand = param_shapes(kind, h, d, pset), hand_shapes(kind, h, d, pset)
            if {k: tuple(s) for k, s in lay.items()} != hand:
                out.append(f"layouts.PARAM_SETS[{pset!r}].shapes({kind!r}, H={h}, D={d}) = {dict(lay)}, documented {hand}")
        got = reference.param_count(kind, h, d)
        if tuple(got) != (canon, two):
            out.append(f"reference.param_count({kind!r}, H={h}, D={d}) = {tuple(got)}, the layout's shapes give "
                       f"({canon}, {two}) (canonical, with PyTorch's second bias)")
    return out


# ---------------------------------------------------------------- clipping
def _clip_cases():
    rng = np.random.default_rng(11)
    grads = [rng.uniform(-1.0, 1.0, (2, 3)), rng.uniform(-1.0, 1.0, 4)]
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    return grads, norm, (0.5 * norm, 2.0 * norm)      # clipped, and left alone


def clip_findings(eps=0.0, norm_clip=True, value_clip=True):
    """clipping.clip_by_global_norm / clip_by_value (what the clip checks compare with) against NumPy written here."""
    out = []
    grads, norm, thresholds = _clip_cases()
    tol = tolerances.value(np.float64, scale=max(float(np.max(np.abs(g))) for g in grads))
    for c in thresholds if norm_clip else ():
        coef = min(1.0, c / (norm + eps))                               # torch: min(1, max_norm/(‖g‖ + ε))
        ref, ref_norm = clipping.clip_by_global_norm(grads, c, eps=eps)
        if not _worst(ref_norm, norm, tol)[0]:
            out.append(f"clipping.clip_by_global_norm(max_norm={c:.6g}, eps={eps:g}) returns the norm {ref_norm:.17g}, "
                       f"the global norm is {norm:.17g}")
        for j, (r, g) in enumerate(zip(ref, grads)):
            ok, w, got, want = _worst(r, coef * g, tol)
            if not ok:
                out.append(f"clipping.clip_by_global_norm(max_norm={c:.6g}, eps={eps:g}): clipped[{j}]{_where(w)} = {got:.17g}, "
                           f"min(1, max_norm/(‖g‖ + ε))·g gives {want:.17g}")
    for v in (0.3,) if value_clip else ():
        for j, (r, g) in enumerate(zip(clipping.clip_by_value(grads, v), grads)):
            ok, w, got, want = _worst(r, np.minimum(np.maximum(g, -v), v), tol)
            if not ok:
                out.append(f"clipping.clip_by_value(clip_value={v:g}): clipped[{j}]{_where(w)} = {got:.17g}, "
                           f"clamp(g, −v, v) gives {want:.17g}")
    return out


# ---------------------------------------------------------------- multi-layer modules (what the stack check compares with)
def _stack_layout(cell, config, H, D):
    """[(name, shape)] of a module's parameters in PyTorch's order (per layer, per direction: weight_ih, weight_hh,
    bias_ih, bias_hh[, weight_hr]), written from PyTorch's documentation of nn.RNN / nn.LSTM / nn.GRU."""
    L, dirs, Pj = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1, config.get("proj_size") or 0
    n, Hout = {"lstm": 4, "gru": 3}.get(cell, 1), Pj or H
    out = []
    for l in range(L):
        for d in range(dirs):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            out += [(f"weight_ih{sfx}", (n * H, D if l == 0 else dirs * Hout)), (f"weight_hh{sfx}", (n * H, Hout)),
                    (f"bias_ih{sfx}", (n * H,)), (f"bias_hh{sfx}", (n * H,))]
            if Pj:
                out.append((f"weight_hr{sfx}", (Pj, H)))
    return out


def _stack_cell(cell, w):
    """The canonical cell parameters of one direction of one layer from [weight_ih, weight_hh, bias_ih, bias_hh(, weight_hr)]."""
    if cell.startswith("rnn"):
        return {"W_hh": w[1], "W_xh": w[0], "b": w[2] + w[3]}
    if cell == "lstm":
        return {"W_x": w[0], "W_h": w[1], "b": w[2] + w[3], **({"W_hr": w[4]} if len(w) == 5 else {})}
    return {"W_x": w[0], "W_h": w[1], "b_x": w[2], "b_h": w[3]}


def stack_run(cell, config, params, xs, h0, c0, cot):
    """(outputs, grads) of a multi-layer module from the hand cells: the forward composition and its reverse-mode
    gradient (the layers' hand BPTT chained through their inputs), w.r.t. every parameter (by position), xs, h0, c0."""
    L, dirs, bf = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1, config.get("batch_first", False)
    per = 5 if config.get("proj_size") else 4
    W = [[params[(l * dirs + d) * per:(l * dirs + d + 1) * per] for d in range(dirs)] for l in range(L)]
    Ps = [[_stack_cell(cell, w) for w in lay] for lay in W]
    seqs = xs if bf else np.swapaxes(xs, 0, 1)
    B = seqs.shape[0]
    lstm_like = cell == "lstm"
    kind = cell
    gW = [np.zeros_like(p) for p in params]
    outs, hn, cn = [], np.zeros_like(h0), None if c0 is None else np.zeros_like(c0)
    dxs, dh0, dc0 = np.zeros_like(seqs), np.zeros_like(h0), None if c0 is None else np.zeros_like(c0)
    d_out = cot[0] if bf else np.swapaxes(cot[0], 0, 1)
    for b in range(B):
        inp, trace = seqs[b], []
        for l in range(L):
            res = []
            for d in range(dirs):
                k = l * dirs + d
                s0 = (h0[k, b], c0[k, b]) if lstm_like else (h0[k, b],)
                xd = inp if d == 0 else inp[::-1]                      # the reverse direction reads x_T..x_1
                o, _ = cell_forward(kind, Ps[l][d], s0, xd)
                hn[k, b] = o[0][-1]
                if lstm_like:
                    cn[k, b] = o[1]
                res.append(o[0] if d == 0 else o[0][::-1])             # its outputs back in input order
                trace.append((l, d, k, s0, xd))
            inp = np.concatenate(res, axis=1)
        outs.append(inp)
        dout = d_out[b]
        for l in range(L - 1, -1, -1):
            din = None
            Hout = dout.shape[1] // dirs
            for (ll, d, k, s0, xd) in [t for t in trace if t[0] == l]:
                dhs = dout[:, d * Hout:(d + 1) * Hout]
                dhs = np.array(dhs if d == 0 else dhs[::-1])
                dhs[-1] += cot[1][k, b]                                 # h_n is the last output in reading order
                cots = (dhs, cot[2][k, b]) if lstm_like else (dhs,)
                g = cell_vjp(kind, Ps[l][d], s0, xd, cots)
                gx = g["xs"] if d == 0 else g["xs"][::-1]
                din = gx if din is None else din + gx
                j = k * per
                gW[j] += g["W_xh" if cell.startswith("rnn") else "W_x"]
                gW[j + 1] += g["W_hh" if cell.startswith("rnn") else "W_h"]
                gW[j + 2] += g["b" if cell != "gru" else "b_x"]          # b = b_ih + b_hh: both get ∂/∂b
                gW[j + 3] += g["b" if cell != "gru" else "b_h"]
                if per == 5:
                    gW[j + 4] += g["W_hr"]
                dh0[k, b] = g["h0"]
                if lstm_like:
                    dc0[k, b] = g["c0"]
            dout = din
        dxs[b] = dout
    out = np.stack(outs, axis=0 if bf else 1)
    grads = {"params": gW, "xs": dxs if bf else np.swapaxes(dxs, 0, 1), "h0": dh0}
    if lstm_like:
        grads["c0"] = dc0
    return ((out, hn, cn) if lstm_like else (out, hn)), grads


#: The stack cases: H = proj_size + 2, D = 2, T = 2, B = 2 (two steps and two sequences: order and batch mixing show).
def stack_case(cell, config):
    from vanishing.checks.conformance.cases import StackCase
    rng = np.random.default_rng(5)
    Pj = config.get("proj_size") or 0
    Hs, Ds, Ts, Bs = Pj + 2, 2, 2, 2
    L, dirs, bf = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1, config.get("batch_first", False)
    Hout = Pj or Hs
    layout = _stack_layout(cell, config, Hs, Ds)
    u = lambda *shape: rng.uniform(-1.0, 1.0, shape)   # noqa: E731
    cot = [u(*((Bs, Ts, dirs * Hout) if bf else (Ts, Bs, dirs * Hout))), u(L * dirs, Bs, Hout)] + (
        [u(L * dirs, Bs, Hs)] if cell == "lstm" else [])
    return StackCase(cell, dict(config), np.dtype(np.float64), [n for n, _ in layout], [u(*s) for _, s in layout],
                     u(*((Bs, Ts, Ds) if bf else (Ts, Bs, Ds))), u(L * dirs, Bs, Hout), u(L * dirs, Bs, Hs) if cell == "lstm" else None,
                     cot)


def stack_findings(cell, config):
    """The stack check's reference (``checks.stack_reference``: autograd through ``vanishing.models.stacked``) against
    :func:`stack_run`."""
    from vanishing.checks.conformance.checks import stack_reference
    case = stack_case(cell, config)
    where = f"stack of {cell}, {config}"
    with np.errstate(all="ignore"):
        ref, gref = stack_reference(case)
    ind, gind = stack_run(cell, config, case.params, case.xs, case.h0, case.c0, case.cot)
    out = []
    for name, r, i in zip(("output", "h_n", "c_n"), ref, ind):
        if np.shape(r) != np.shape(i):
            out.append(f"stack reference [{where}]: {name} has shape {np.shape(r)}, expected {np.shape(i)}")
            continue
        ok, w, got, want = _worst(r, i, _value_tol([i]))
        if not ok:
            out.append(f"stack reference [{where}]: {name}{_where(w)} = {got:.17g}, the composed hand cells give {want:.17g}")
    gi = dict(zip(case.names, gind["params"]))
    gi.update({k: gind[k] for k in ("xs", "h0", "c0") if k in gind})
    tol = _grad_tol(gi)
    bad = sorted(((_compare(gref.get(k, np.nan), gi[k], tol), k) for k in gi), key=lambda x: -x[0][0])
    bad = [(c, k) for c, k in bad if c[0] > 1.0]
    if bad:
        (_, w, got, want), k = bad[0]
        out.append(f"stack reference gradient [{where}]: differs w.r.t. {', '.join(k for _, k in bad)} (of {len(gi)} keys); "
                   f"worst: ∂/∂{k}{_where(w)} = {_num(got)} where the composed hand BPTT gives {_num(want)}")
    return out


#: The section of docs/CONFORMANCE.md that says how the reference itself is checked (``matrix.to_markdown`` appends it).
DOC = [
    "## The reference is checked too",
    "",
    "Every verdict above compares an implementation with vanishing's reference (autograd through `vanishing.models`), so "
    "a bug in the reference would fail correct implementations and blame them. Every `vanishing validate` run therefore "
    "starts by cross-checking the reference (`checks/conformance/crosscheck.py`) on small fixed cases of each adapter's "
    "cell kind, reset convention, parameter set, stack configuration and clipping, against an independent implementation "
    "in plain NumPy that shares no code with `vanishing.models`: the forward passes and a hand-written reverse-mode BPTT "
    "(the closed-form backward pass, the third oracle), the parameter-set maps and their chain rule, the direct-path "
    "Jacobians, the layer and direction composition of multi-layer modules, the parameter counts implied by the layout "
    "shapes, and clipping by global norm and by value. Where a gradient disagrees, finite differences of the reference's "
    "forward pass arbitrate: when they agree with the hand BPTT and not with `reference.vjp`, the reference's autograd "
    "gradient is named as wrong.",
    "",
    "When the reference disagrees, no check runs: the run stops with exit status 2, reports the adapter as *not "
    "validated* (never as non-conforming), and says, one line per finding, that vanishing's reference is wrong and not "
    "the implementation under test (a bug in vanishing, to be reported). Past the cross-check, the diagnosis of a failing "
    "gradient check does the same on the failing case: when the implementation's gradients agree with finite differences "
    "of the reference along every direction tried and `reference.vjp` does not, it says that the reference's gradient is "
    "suspect instead of naming a known bug; and float32 precision is offered as an explanation only when the reference "
    "itself is within float32 tolerance of the implementation (a larger difference is not rounding, whatever the dtype).",
    "",
    "The cross-check is memoised per distinct cell kind, convention, parameter set, stack configuration and clipping, so a "
    "run pays once for each: `python benchmarks/crosscheck.py` measures it (on the shared 2-core development machine, "
    "0.35 s CPU for all 26 torch adapters, 0.09 s for the NumPy zoo; medians of 7). tests/test_conformance_reference.py "
    "plants a bug in each reference quantity (the LSTM VJP ignoring the c_T cotangent, wrong parameter counts, a forward "
    "bias off in one gate, the GRU reset convention swapped, a parameter-set map dropping a bias, direct-path Jacobians, "
    "clipping, the stack's direction order and biases, a reference that raises) and checks the message for each.",
]


# ---------------------------------------------------------------- the entry point
def _subjects():
    """The reference functions the verdicts rest on: a run that replaced one (a test planting a bug) is checked afresh."""
    return (reference.forward, reference.step, reference.vjp, reference.param_count, reference.canonical,
            rnn.forward, rnn.step, rnn.param_count, lstm.forward, lstm.step, lstm.param_count, gru.forward, gru.step,
            gru.param_count, layouts.param_set, lstm.direct_path_jacobian, gru.direct_path_jacobian, clipping.clip_by_global_norm, clipping.clip_by_value)


_DONE = {}


def findings(info):
    """One line per disagreement of the reference with the independent implementation, for adapter ``info``
    (its kind, reset convention, parameter set, and clipping methods). Empty: the reference holds on these cases.

    Memoised per process on what is checked (kind, reset, parameter set, clipping, ε) and on the identity of the
    reference functions, so ``validate torch`` with its eight cells pays once per distinct cell."""
    cell = info.kind in CELL_KINDS
    stack = (info.cell, tuple(sorted(info.config.items()))) if info.kind == "stack" else None
    norm, value = bool(getattr(info, "has_clip_norm", False)), bool(getattr(info, "has_clip_value", False))
    key = (info.kind if cell else None, info.reset if cell else None, info.param_set if cell else None, stack,
           norm, value, float(getattr(info, "clip_eps", 0.0)) if norm else None, _subjects())
    if key not in _DONE:
        out = []
        try:
            if cell:
                out += _cell_findings(info.kind, info.reset, info.param_set)
                out += _count_findings(info.kind)
            if stack:
                out += stack_findings(info.cell, info.config)
            if norm or value:
                out += clip_findings(key[6] or 0.0, norm, value)
        except Exception as e:  # noqa: BLE001 (the reference raised on a plain input: vanishing's bug too, reported as such)
            out.append(f"the cross-check raised {type(e).__name__}: {' '.join(str(e).split())[:200]}")
        _DONE[key] = tuple(out)
    return list(_DONE[key])


def message(lines):
    """The report of a reference that disagrees: who is to blame (vanishing), then one line per finding."""
    head = (f"vanishing's own conformance reference is wrong, not your implementation: it disagrees with an independent "
            f"implementation on {len(lines)} count{'s' if len(lines) != 1 else ''} (below); no check was run, since every "
            "verdict would compare against it. This is a bug in vanishing: please report it with this output")
    return [head] + [f"reference bug: {ln}" for ln in lines]
