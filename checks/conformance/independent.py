"""An independent implementation of the cells, in plain NumPy: what the cross-check (crosscheck.py) holds the reference to.

It shares no maths with ``vanishing.models``: the forward passes, their reverse-mode BPTT derived by hand (the
closed-form backward pass: the third oracle), the parameter-set maps and their chain rule, the direct-path
Jacobians (rows of the hand BPTT) and the composition of multi-layer modules. Each cell's step forward and its
backward sit side by side (as in micrograd), linked by a :class:`Tape` of named intermediate values. The kind's
row (``models/kinds.py``) only says which cell it is (``family``, ``act``, ``variant``), never how to compute it.
"""

from types import SimpleNamespace as Tape

import numpy as np
from scipy.special import expit

from vanishing.models import kinds

__all__ = ["CELLS", "Tape", "cell_forward", "cell_vjp", "direct_path", "hand_shapes", "native_grads", "stack_layout",
           "stack_run", "to_canonical"]


def _sigmoid(a):
    return expit(a)      # scipy's logistic: accurate in both tails, no overflow


def _blocks(W, n):
    return [W[k * (W.shape[0] // n):(k + 1) * (W.shape[0] // n)] for k in range(n)]


# ---------------------------------------------------------------- shapes and the parameter-set maps, by hand
#: The canonical shapes by family, as written in docs/DESIGN.md and docs/VALIDATE.md (independently of ``layouts``).
_SHAPES = {
    "rnn": lambda row, H, D: {"W_hh": (H, H), "W_xh": (H, D), "b": (H,)},
    "lstm": lambda row, H, D: {"W_x": (4 * H, D), "W_h": (4 * H, H), "b": (4 * H,),
                               **({"p_i": (H,), "p_f": (H,), "p_o": (H,)} if row.variant == "peephole" else {})},
    "gru": lambda row, H, D: {"W_x": (3 * H, D), "W_h": (3 * H, H), "b_x": (3 * H,), "b_h": (3 * H,)},
}


def hand_shapes(kind, H, D, pset="canonical"):
    """{key: shape} of ``kind``'s parameters in the native set ``pset``, written from the documentation."""
    base = _SHAPES[kinds.row(kind).family](kinds.row(kind), H, D)
    if pset == "two-biases":            # PyTorch: b = b_ih + b_hh
        base = {**{k: s for k, s in base.items() if k != "b"}, "b_x": base["b"], "b_h": base["b"]}
    elif pset == "one-bias":            # one bias: b_x = b, b_h = 0
        base = {"W_x": base["W_x"], "W_h": base["W_h"], "b": base["b_x"]}
    elif pset == "gru-bhn":             # b_h = [0, 0, b_hn]
        base = {"W_x": base["W_x"], "W_h": base["W_h"], "b_x": base["b_x"], "b_hn": (H,)}
    return base


def to_canonical(params, pset="canonical"):
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


def native_grads(g, pset):
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


# ---------------------------------------------------------------- the cells: one step forward, and its backward
class Elman:
    """h_t = act(a_t), a_t = W_hh h_{t−1} + W_xh x_t + b (act: tanh or relu)."""

    @staticmethod
    def forward(row, P, state, x, reset):
        (h,) = state
        a = P["W_hh"] @ h + P["W_xh"] @ x + P["b"]
        h_new = np.tanh(a) if row.act == "tanh" else np.where(a > 0, a, 0.0)
        return Tape(x=x, h_prev=h, a=a, h=h_new, state=(h_new,))

    @staticmethod
    def backward(row, P, t, d_state, g):
        """(∂E/∂state_{t−1}, ∂E/∂x_t) from ∂E/∂state_t, accumulating ∂E/∂θ into g."""
        (dh,) = d_state
        da = dh * ((1.0 - t.h * t.h) if row.act == "tanh" else (t.a > 0))   # tanh' = 1 − h², relu' = [a > 0]
        g["W_hh"] += np.outer(da, t.h_prev)
        g["W_xh"] += np.outer(da, t.x)
        g["b"] += da
        return (P["W_hh"].T @ da,), P["W_xh"].T @ da


class LSTM:
    """Gates i, f, g, o of a = W_x x + W_h h + b; c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t) (projected: W_hr of it).

    The peephole variant (the parameters p_i, p_f, p_o): i, f see c_{t−1}; o sees c_t."""

    @staticmethod
    def forward(row, P, state, x, reset):
        h, c = state
        ai, af, ag, ao = _blocks(P["W_x"] @ x + P["W_h"] @ h + P["b"], 4)   # gate order i, f, g, o
        peep = "p_i" in P
        if peep:
            ai, af = ai + P["p_i"] * c, af + P["p_f"] * c
        i, f, gg = _sigmoid(ai), _sigmoid(af), np.tanh(ag)
        c_new = f * c + i * gg                                          # c_t = f⊙c_{t−1} + i⊙g
        if peep:
            ao = ao + P["p_o"] * c_new
        o = _sigmoid(ao)
        tc = np.tanh(c_new)
        m = o * tc                                                      # h_t = o⊙tanh(c_t)
        h_new = P["W_hr"] @ m if "W_hr" in P else m                     # projected (PyTorch proj_size): h_t = W_hr m_t
        return Tape(x=x, h_prev=h, c_prev=c, i=i, f=f, g=gg, o=o, c=c_new, tc=tc, m=m, state=(h_new, c_new))

    @staticmethod
    def backward(row, P, t, d_state, g):
        dh, dc_next = d_state
        if "W_hr" in P:                                                 # h = W_hr m
            g["W_hr"] += np.outer(dh, t.m)
            dh = P["W_hr"].T @ dh
        do = dh * t.tc                                                  # m = o⊙tanh(c)
        da_o = do * t.o * (1.0 - t.o)
        dc = dc_next + dh * t.o * (1.0 - t.tc * t.tc)
        if "p_o" in P:                                                  # a_o += p_o⊙c_t
            dc = dc + da_o * P["p_o"]
            g["p_o"] += da_o * t.c
        da_i = dc * t.g * t.i * (1.0 - t.i)                             # c = f⊙c_prev + i⊙g
        da_f = dc * t.c_prev * t.f * (1.0 - t.f)
        da_g = dc * t.i * (1.0 - t.g * t.g)
        dc_prev = dc * t.f
        if "p_i" in P:                                                  # a_i += p_i⊙c_prev, a_f += p_f⊙c_prev
            dc_prev = dc_prev + da_i * P["p_i"] + da_f * P["p_f"]
            g["p_i"] += da_i * t.c_prev
            g["p_f"] += da_f * t.c_prev
        da = np.concatenate([da_i, da_f, da_g, da_o])
        g["W_x"] += np.outer(da, t.x)
        g["W_h"] += np.outer(da, t.h_prev)
        g["b"] += da
        return (P["W_h"].T @ da, dc_prev), P["W_x"].T @ da


class GRU:
    """Gates r, z and the candidate n; h_t = (1 − z)⊙n + z⊙h_{t−1}; the reset after or before the recurrent matmul."""

    @staticmethod
    def forward(row, P, state, x, reset):
        (h,) = state
        xr, xz, xn = _blocks(P["W_x"] @ x + P["b_x"], 3)                # gate order r, z, n
        Wr, Wz, Wn = _blocks(P["W_h"], 3)
        br, bz, bn = _blocks(P["b_h"], 3)
        r, z = _sigmoid(xr + Wr @ h + br), _sigmoid(xz + Wz @ h + bz)
        hn = Wn @ h + bn if reset == "after" else Wn @ (r * h) + bn
        n = np.tanh(xn + r * hn) if reset == "after" else np.tanh(xn + hn)
        h_new = (1.0 - z) * n + z * h                                   # h_t = (1 − z)⊙n + z⊙h_{t−1}
        return Tape(x=x, h_prev=h, r=r, z=z, n=n, hn=hn, reset=reset, state=(h_new,))

    @staticmethod
    def backward(row, P, t, d_state, g):
        (dh,) = d_state
        Wr, Wz, Wn = _blocks(P["W_h"], 3)
        Hh = len(t.r)
        da_n = dh * (1.0 - t.z) * (1.0 - t.n * t.n)                     # h = (1 − z)⊙n + z⊙h_prev
        da_z = dh * (t.h_prev - t.n) * t.z * (1.0 - t.z)
        dh_prev = dh * t.z
        if t.reset == "after":                                          # a_n = W_xn x + b_xn + r⊙(W_hn h + b_hn)
            dr = da_n * t.hn
            dhn = da_n * t.r
            g["W_h"][2 * Hh:] += np.outer(dhn, t.h_prev)
            dh_prev = dh_prev + Wn.T @ dhn
        else:                                                           # a_n = W_xn x + b_xn + W_hn (r⊙h) + b_hn
            dhn = da_n
            drh = Wn.T @ da_n
            dr = drh * t.h_prev
            g["W_h"][2 * Hh:] += np.outer(da_n, t.r * t.h_prev)
            dh_prev = dh_prev + drh * t.r
        da_r = dr * t.r * (1.0 - t.r)
        g["W_h"][:Hh] += np.outer(da_r, t.h_prev)
        g["W_h"][Hh:2 * Hh] += np.outer(da_z, t.h_prev)
        g["b_h"] += np.concatenate([da_r, da_z, dhn])
        da = np.concatenate([da_r, da_z, da_n])
        g["W_x"] += np.outer(da, t.x)
        g["b_x"] += da
        return (dh_prev + Wr.T @ da_r + Wz.T @ da_z,), P["W_x"].T @ da


#: The hand cells by family (the row's ``family``).
CELLS = {"rnn": Elman, "lstm": LSTM, "gru": GRU}


def cell_forward(kind, P, state0, xs, reset="after"):
    """(outputs, tapes): outputs ``(hs,)`` or ``(hs, c_T)`` of the canonical-parameter cell, one :class:`Tape` per step."""
    row = kinds.row(kind)
    cell = CELLS[row.family]
    state, hs, tapes = tuple(np.asarray(s, dtype=np.float64) for s in state0), [], []
    for x in np.asarray(xs, dtype=np.float64):
        tape = cell.forward(row, P, state, x, reset)
        tapes.append(tape)
        state = tape.state
        hs.append(state[0])
    return (np.stack(hs),) + tuple(state[1:]), tapes


def cell_vjp(kind, P, state0, xs, cotangents, reset="after"):
    """Σ⟨outputs, cotangents⟩'s gradient w.r.t. every canonical key, "xs" and the state keys: reverse-mode BPTT by hand."""
    row = kinds.row(kind)
    cell = CELLS[row.family]
    _, tapes = cell_forward(kind, P, state0, xs, reset)
    dhs = np.asarray(cotangents[0], dtype=np.float64)
    g = {k: np.zeros_like(v) for k, v in P.items()}
    dxs = np.zeros((len(tapes), np.shape(xs)[1]))
    d_prev = (np.zeros(np.shape(state0[0])),) + tuple(np.array(c, dtype=np.float64) for c in cotangents[1:])  # ∂/∂c_T: its cotangent
    for t in range(len(tapes) - 1, -1, -1):
        d_state = (dhs[t] + d_prev[0],) + d_prev[1:]                    # ∂E/∂h_t: its own cotangent + from step t+1
        d_prev, dxs[t] = cell.backward(row, P, tapes[t], d_state, g)
    g["xs"] = dxs
    g.update(zip(row.state_keys, d_prev))
    return g


def direct_path(kind, P, state0, x, reset="after"):
    """The direct-path Jacobian as rows of the hand BPTT on one step: ∂c_1/∂c_0 (h_0 fixed) for an LSTM, ∂h_1/∂h_0 for
    a GRU (called with W_h = 0, as the direct-path check does): the state the row's ``direct_state`` names."""
    row = kinds.row(kind)
    Hn, i = np.shape(state0[0])[0], row.state.index(row.direct_state)
    rows = []
    for j in range(Hn):
        cot = [np.zeros((1, Hn))] + [np.zeros(Hn) for _ in row.outputs[1:]]
        if i == 0:
            cot[0][0, j] = 1.0
        else:
            cot[i][j] = 1.0
        rows.append(cell_vjp(kind, P, state0, np.asarray(x)[None, :], cot, reset)[row.state_keys[i]])
    return np.stack(rows)


# ---------------------------------------------------------------- multi-layer modules (what the stack check compares with)
def stack_layout(cell, config, H, D):
    """[(name, shape)] of a module's parameters in PyTorch's order (per layer, per direction: weight_ih, weight_hh,
    bias_ih, bias_hh[, weight_hr]), written from PyTorch's documentation of nn.RNN / nn.LSTM / nn.GRU."""
    L, dirs, Pj = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1, config.get("proj_size") or 0
    n, Hout = kinds.row(cell).blocks, Pj or H
    out = []
    for l in range(L):
        for d in range(dirs):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            out += [(f"weight_ih{sfx}", (n * H, D if l == 0 else dirs * Hout)), (f"weight_hh{sfx}", (n * H, Hout)),
                    (f"bias_ih{sfx}", (n * H,)), (f"bias_hh{sfx}", (n * H,))]
            if Pj:
                out.append((f"weight_hr{sfx}", (Pj, H)))
    return out


def _stack_cell(row, w):
    """The canonical cell parameters of one direction of one layer from [weight_ih, weight_hh, bias_ih, bias_hh(, weight_hr)]:
    PyTorch's two biases are summed where the canonical layout has one (``torch_second_bias``)."""
    W_x, W_h = row.weight_keys
    P = {W_x: w[0], W_h: w[1], **({"b": w[2] + w[3]} if row.torch_second_bias else {"b_x": w[2], "b_h": w[3]})}
    return {**P, **({"W_hr": w[4]} if len(w) == 5 else {})}


def stack_run(cell, config, params, xs, h0, c0, cot):
    """(outputs, grads) of a multi-layer module from the hand cells: the forward composition and its reverse-mode
    gradient (the layers' hand BPTT chained through their inputs), w.r.t. every parameter (by position), xs, h0, c0."""
    row = kinds.row(cell)
    L, dirs, bf = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1, config.get("batch_first", False)
    per = 5 if config.get("proj_size") else 4
    W = [[params[(l * dirs + d) * per:(l * dirs + d + 1) * per] for d in range(dirs)] for l in range(L)]
    Ps = [[_stack_cell(row, w) for w in lay] for lay in W]
    seqs = xs if bf else np.swapaxes(xs, 0, 1)
    B = seqs.shape[0]
    has_c = row.n_state > 1
    W_x, W_h = row.weight_keys
    b_keys = ("b", "b") if row.torch_second_bias else ("b_x", "b_h")   # b = b_ih + b_hh: both get ∂/∂b
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
                s0 = (h0[k, b], c0[k, b]) if has_c else (h0[k, b],)
                xd = inp if d == 0 else inp[::-1]                      # the reverse direction reads x_T..x_1
                o, _ = cell_forward(cell, Ps[l][d], s0, xd)
                hn[k, b] = o[0][-1]
                if has_c:
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
                cots = (dhs, cot[2][k, b]) if has_c else (dhs,)
                g = cell_vjp(cell, Ps[l][d], s0, xd, cots)
                gx = g["xs"] if d == 0 else g["xs"][::-1]
                din = gx if din is None else din + gx
                j = k * per
                gW[j] += g[W_x]
                gW[j + 1] += g[W_h]
                gW[j + 2] += g[b_keys[0]]
                gW[j + 3] += g[b_keys[1]]
                if per == 5:
                    gW[j + 4] += g["W_hr"]
                dh0[k, b] = g["h0"]
                if has_c:
                    dc0[k, b] = g["c0"]
            dout = din
        dxs[b] = dout
    out = np.stack(outs, axis=0 if bf else 1)
    grads = {"params": gW, "xs": dxs if bf else np.swapaxes(dxs, 0, 1), "h0": dh0}
    if has_c:
        grads["c0"] = dc0
    return ((out, hn, cn) if has_c else (out, hn)), grads
