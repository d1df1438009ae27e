"""Running forward-error magnitudes: how much rounding a correct implementation may show, per entry.

An implementation that computes a cell in precision u (u = eps/2 of its dtype) makes
a relative error of a few u at every operation. Standard forward error analysis
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1 for dot
products, §3.3 for running error bounds) bounds the error of each computed
quantity y by u·M(y), where M is built along the reference trajectory:

* a dot product or sum  a = Σ w_j v_j:   M(a) = Σ |w_j||v_j| + Σ |w_j| M(v_j)
  (the rounding of each term, plus the propagated error of the inputs),
* an elementwise function y = φ(a):       M(y) = |φ'(a)| M(a) + |y| for tanh; for the sigmoid
  M(y) = σ'(a) M(a) + 1, because correct implementations differ in the tail: the common
  stable form σ(a) = ½(1 + tanh(a/2)) is accurate to u *absolutely* but not relatively
  (σ(−60) ≈ 8.8e−27 comes out as 0), while PyTorch's (and the reference's two-branch
  exp form) is relatively accurate. Both are correct to u in the gate's own scale, [0, 1];
* a product y = u⊙v:                      M(y) = |u| M(v) + |v| M(u) + |y|.

The constant in front (the length of the dot product, ≤ 4H + D + 2 here, times u = eps/2)
is far inside the 2**8 ulps of ``tolerances.analytic`` ("a short chain of operations");
M carries everything that *grows*: the magnitude of the
terms (|a| up to 1e3 when pre-activations saturate, where the terms of the sum
may cancel) and the error propagated from earlier steps through the recurrence
(which is what makes a long sequence in float32 legitimately drift from the
float64 reference on a chaotic RNN). The comparison is then
``|impl − ref| ≤ e·M + e·|ref|`` with e = ``tolerances.analytic(dtype).rtol``
(``checks.forward_tol``).

Every function returns, for each output of the reference (``reference.forward``), an array M of the same
shape; :func:`gradient_scale` is the gradients' scale (the VJP with unit activation derivatives).
"""

import numpy as np
from scipy.special import expit

from vanishing.checks.conformance import modern_cells, surgery
from vanishing.models import kinds
from vanishing.models.layouts import GRU_GATES, LSTM_GATES, param_set

__all__ = ["gradient_scale", "magnitudes"]


def _sig(a):
    return expit(a)


def _dsig(a):
    e = np.exp(-np.abs(a))
    return e / (1.0 + e) ** 2            # σ' without overflow (models/activations.py)


def _dtanh(a):
    e = np.exp(-2.0 * np.abs(a))
    return 4.0 * e / (1.0 + e) ** 2      # tanh' = sech², no overflow


def _rnn(P, h0, xs, act):
    W, U, b = np.abs(P["W_hh"]), np.abs(P["W_xh"]), P.get("|b|", np.abs(P["b"]))
    h, dh, out = h0, np.zeros_like(h0), []
    for x in xs:
        a = P["W_hh"] @ h + P["W_xh"] @ x + P["b"]
        da = W @ np.abs(h) + U @ np.abs(x) + b + W @ dh          # M(a): terms + propagated
        h = np.tanh(a) if act == "tanh" else np.maximum(a, 0.0)
        slope = _dtanh(a) if act == "tanh" else 1.0                # relu is 1-Lipschitz (a may round across 0)
        dh = slope * da + np.abs(h)
        out.append(dh)
    return (np.stack(out),)


def _lstm(P, h0, c0, xs, peephole):
    H = h0.shape[0]
    blk = lambda M, k: M[k * H:(k + 1) * H]
    Wx = {g: blk(P["W_x"], k) for k, g in enumerate(LSTM_GATES)}
    Wh = {g: blk(P["W_h"], k) for k, g in enumerate(LSTM_GATES)}
    b = {g: blk(P["b"], k) for k, g in enumerate(LSTM_GATES)}
    babs = {g: blk(P.get("|b|", np.abs(P["b"])), k) for k, g in enumerate(LSTM_GATES)}
    h, c, dh, dc = h0, c0, np.zeros(H), np.zeros(H)
    outs_h, outs_c = [], []
    for x in xs:
        a, da = {}, {}
        for g in LSTM_GATES:
            a[g] = Wx[g] @ x + Wh[g] @ h + b[g]
            da[g] = np.abs(Wx[g]) @ np.abs(x) + np.abs(Wh[g]) @ np.abs(h) + babs[g] + np.abs(Wh[g]) @ dh
        if peephole:
            for g in "if":
                p = P["p_" + g]
                a[g] = a[g] + p * c
                da[g] = da[g] + np.abs(p * c) + np.abs(p) * dc
        i, f, gg = _sig(a["i"]), _sig(a["f"]), np.tanh(a["g"])
        di = _dsig(a["i"]) * da["i"] + 1.0     # sigmoid: absolute rounding (module docstring)
        df = _dsig(a["f"]) * da["f"] + 1.0
        dg = _dtanh(a["g"]) * da["g"] + np.abs(gg)
        c_new = f * c + i * gg
        dc_new = f * dc + np.abs(c) * df + i * dg + np.abs(gg) * di + np.abs(f * c) + np.abs(i * gg) + np.abs(c_new)
        if peephole:
            a["o"] = a["o"] + P["p_o"] * c_new
            da["o"] = da["o"] + np.abs(P["p_o"] * c_new) + np.abs(P["p_o"]) * dc_new
        o = _sig(a["o"])
        do = _dsig(a["o"]) * da["o"] + 1.0
        tc = np.tanh(c_new)
        dtc = _dtanh(c_new) * dc_new + np.abs(tc)
        h_new = o * tc
        dh = np.abs(tc) * do + o * dtc + np.abs(h_new)
        h, c, dc = h_new, c_new, dc_new
        outs_h.append(dh)
        outs_c.append(dc)
    return np.stack(outs_h), outs_c[-1]


def _gru(P, h0, xs, reset):
    H = h0.shape[0]
    blk = lambda M, k: M[k * H:(k + 1) * H]
    Wx = {g: blk(P["W_x"], k) for k, g in enumerate(GRU_GATES)}
    Wh = {g: blk(P["W_h"], k) for k, g in enumerate(GRU_GATES)}
    bx = {g: blk(P["b_x"], k) for k, g in enumerate(GRU_GATES)}
    bh = {g: blk(P["b_h"], k) for k, g in enumerate(GRU_GATES)}
    h, dh, out = h0, np.zeros(H), []
    for x in xs:
        gate, dgate = {}, {}
        for g in "rz":
            a = Wx[g] @ x + bx[g] + Wh[g] @ h + bh[g]
            da = np.abs(Wx[g]) @ np.abs(x) + np.abs(bx[g]) + np.abs(Wh[g]) @ np.abs(h) + np.abs(bh[g]) + np.abs(Wh[g]) @ dh
            gate[g] = _sig(a)
            dgate[g] = _dsig(a) * da + 1.0     # sigmoid: absolute rounding (module docstring)
        r, z = gate["r"], gate["z"]
        if reset == "after":
            hn = Wh["n"] @ h + bh["n"]
            dhn = np.abs(Wh["n"]) @ np.abs(h) + np.abs(bh["n"]) + np.abs(Wh["n"]) @ dh
            a_n = Wx["n"] @ x + bx["n"] + r * hn
            da_n = np.abs(Wx["n"]) @ np.abs(x) + np.abs(bx["n"]) + np.abs(hn) * dgate["r"] + r * dhn + np.abs(r * hn)
        else:
            rh = r * h
            drh = np.abs(h) * dgate["r"] + r * dh + np.abs(rh)
            hn = Wh["n"] @ rh + bh["n"]
            dhn = np.abs(Wh["n"]) @ np.abs(rh) + np.abs(bh["n"]) + np.abs(Wh["n"]) @ drh
            a_n = Wx["n"] @ x + bx["n"] + hn
            da_n = np.abs(Wx["n"]) @ np.abs(x) + np.abs(bx["n"]) + dhn
        n = np.tanh(a_n)
        dn = _dtanh(a_n) * da_n + np.abs(n)
        h_new = (1.0 - z) * n + z * h
        dh = np.abs(h - n) * dgate["z"] + (1.0 - z) * dn + z * dh + np.abs((1.0 - z) * n) + np.abs(z * h) + np.abs(h_new)
        h = h_new
        out.append(dh)
    return (np.stack(out),)


#: The magnitudes by family (the row's ``family``): f(row, canonical params with "|b|", state0, xs, reset) -> M.
_CELLS = {
    "rnn": lambda row, P, s, xs, reset: _rnn(P, s[0], xs, row.act),
    "lstm": lambda row, P, s, xs, reset: _lstm(P, s[0], s[1], xs, row.variant == "peephole"),
    "gru": lambda row, P, s, xs, reset: _gru(P, s[0], xs, reset),
    **modern_cells.MAGNITUDES,   # minGRU, minLSTM, LRU, Mamba S6
}


def magnitudes(case):
    """M for each output of a whole-sequence run on ``case`` (``(M_hs,)`` or ``(M_hs, M_c_T)``), float64 arrays.

    ``case.pset``: the native parameter set of its params; two biases summed count as |b_x| + |b_h| (the
    implementation adds them in its own order, each partial sum rounded)."""
    row = kinds.row(case.kind)
    P = {k: np.asarray(v, dtype=np.float64) for k, v in case.params.items()}
    if case.pset == "two-biases":
        babs = np.abs(P["b_x"]) + np.abs(P["b_h"])
        P = param_set(case.pset).to_canonical(row.name, P)
        P["|b|"] = babs
    else:
        P = param_set(case.pset).to_canonical(row.name, P)
    s = tuple(np.asarray(v, dtype=np.float64) for v in case.state0)
    xs = np.asarray(case.xs, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        return _CELLS[row.family](row, P, s, xs, case.reset)


def gradient_scale(case):
    """s = max |entry| of the VJP with every activation derivative replaced by 1 (values unchanged).

    Why: an implementation computes f'(a) from its rounded output y (1 − y², y(1 − y)), which
    carries an *absolute* error of ~u, not a relative one; at saturation f'(a) ~ e^{−|a|} is far
    below u, so the gradient's rounding error is u times the gradient it would have with
    unit derivatives, not u times the (vanishing) gradient itself.
    """
    g = surgery.vjp(case, unit_derivatives=True)
    return max((float(np.max(np.abs(v))) for v in g.values() if np.size(v)), default=0.0)
