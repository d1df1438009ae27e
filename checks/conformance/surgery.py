"""The reference equations with switches: one common bug switched on, or every activation derivative set to 1.

The diagnosis's mutants (``mutants.py``) and the gradient tolerance's scale (``bounds.gradient_scale``) run
the reference cells through here. Pass/fail never compares with this module; it compares against
``vanishing.models`` only.

* A *forward* switch changes the function: gate blocks read in another order, an activation swapped, a bias
  unused, ``W_h`` transposed, ``h_t`` from the old cell...
* A *backward* switch keeps every value and changes one derivative, by stop-gradient surgery: ``sg(u)`` is u's
  value with derivative 0, so ``sg(f(a)) + (a − sg(a))·sg(d)`` has the value f(a) and the derivative d (a
  hand-written backward that forgot a factor, in autograd's words).

With no switch on, :func:`run` is the reference (``tests/conformance/test_layers.py`` checks it against
``vanishing.models`` to analytic tolerance). The cells are keyed by the row's ``family`` (``models/kinds.py``).
Arrays are 1-D states (H,), sequences (T, D).
"""

import autograd
import autograd.numpy as np
from autograd.tracer import getval

from vanishing.checks.conformance import modern_cells
from vanishing.models import activations, kinds
from vanishing.models.layouts import GRU_GATES, LSTM_GATES, param_set

__all__ = ["run", "sg", "vjp"]


def sg(u):
    """Stop-gradient: u's value, derivative 0 (autograd's getval unwraps every box)."""
    return getval(u)


def _sigmoid(a):
    return activations.sigmoid(a)   # the reference's σ: mutants differ from the reference only in their bug


def _relu(a):
    return np.where(a > 0, a, 0.0)


_ACT = {"sigmoid": _sigmoid, "tanh": np.tanh, "relu": _relu, "identity": lambda a: 1.0 * a}


def _act(name, a, deriv=None):
    """f(a); ``deriv`` replaces f'(a) (value unchanged) by a common wrong formula in terms of y = f(a)."""
    y = _ACT[name](a)
    if deriv is None:
        return y
    yv = sg(y)
    d = {"one": 1.0,                 # the derivative factor forgotten: d = 1
         "value": yv,                # f' written as f: σ' as σ (the (1−σ) forgotten), tanh' as tanh
         "linear": 1.0 - yv,         # tanh' written as 1 − y instead of 1 − y²
         "sigmoid'": yv * (1.0 - yv),  # σ'-formula y(1−y) used for a tanh
         "kink-half": np.where(sg(a) > 0, 1.0, np.where(sg(a) == 0, 0.5, 0.0)),   # relu'(0) = ½ (a tie split in two)
         "kink-one": np.where(sg(a) >= 0, 1.0, 0.0),                              # relu'(0) = 1
         }[deriv]
    return yv + (a - sg(a)) * d


def _param_surgery(P, o, t, T):
    """Per-step parameter copies whose derivative is mutated (values unchanged)."""
    mode = o.get("param_grad")
    if mode is None:
        return P
    if mode == "mean":           # ∂E/∂θ averaged over time instead of summed
        return {k: sg(v) + (v - sg(v)) / T for k, v in P.items()}
    if mode == "first-step":     # dθ = da_t assigned (=, not +=) in a backward loop t = T..1: step 1 survives
        return P if t == 0 else {k: sg(v) for k, v in P.items()}
    if mode == "last-step":      # dθ assigned in a forward-order loop: step T survives
        return P if t == T - 1 else {k: sg(v) for k, v in P.items()}
    if mode == "bias-first-step":
        return {k: (v if t == 0 or not k.startswith("b") else sg(v)) for k, v in P.items()}
    if mode == "bias-last-step":
        return {k: (v if t == T - 1 or not k.startswith("b") else sg(v)) for k, v in P.items()}
    raise ValueError(f"param_grad: unknown mode {mode!r}")


def _rec(W, h, o):
    """W h, the recurrent matmul, optionally with the backward using W instead of Wᵀ."""
    if o.get("transpose_Wh"):
        W = W.T
    if o.get("Wh_T_backward"):   # value W h; VJP w.r.t. h is W δ (should be Wᵀ δ); W's own gradient kept
        return np.dot(W, sg(h)) + (np.dot(sg(W).T, h) - sg(np.dot(sg(W).T, h)))
    return np.dot(W, h)


def _blocks(M, order, H):
    return {g: M[k * H:(k + 1) * H] for k, g in enumerate(order)}


# ---------------------------------------------------------------- cells
def _rnn(P, h0, xs, o, act):
    act = o.get("act", act)
    h, hs, T = h0, [], xs.shape[0]
    for t in range(T):
        Q = _param_surgery(P, o, t, T)
        hr = sg(h) if o.get("cut_h") else h
        a = _rec(Q["W_hh"], hr, o) + np.dot(Q["W_xh"], xs[t]) + (0.0 if o.get("drop_bias") else Q["b"])
        h = _act(act, a, o.get("deriv", {}).get("h"))        # h_t = g(W_hh h_{t−1} + W_xh x_t + b)
        hs.append(h)
    return (np.stack(hs),)


def _lstm(P, h0, c0, xs, o, peephole):
    H, T = h0.shape[0], xs.shape[0]
    order, acts, der = o.get("perm", LSTM_GATES), o.get("acts", {}), o.get("deriv", {})
    h, c, hs = h0, c0, []
    for t in range(T):
        Q = _param_surgery(P, o, t, T)
        Wx, Wh, b = _blocks(Q["W_x"], order, H), _blocks(Q["W_h"], order, H), _blocks(Q["b"], order, H)
        hr = sg(h) if o.get("cut_h") else h
        cp = sg(c) if o.get("cut_c") else c
        a = {g: np.dot(Wx[g], xs[t]) + _rec(Wh[g], hr, o) + (0.0 if o.get("drop_bias") else b[g]) for g in LSTM_GATES}
        if peephole and not o.get("drop_peepholes"):
            a["i"] = a["i"] + Q["p_i"] * cp                  # i and f peek at c_{t−1}
            a["f"] = a["f"] + Q["p_f"] * cp
        i = _act(acts.get("i", "sigmoid"), a["i"], der.get("i"))
        f = _act(acts.get("f", "sigmoid"), a["f"] + o.get("forget_shift", 0.0), der.get("f"))
        g = _act(acts.get("g", "tanh"), a["g"], der.get("g"))
        if o.get("one_minus_f"):
            f = 1.0 - f
        fc = f * sg(cp) + (cp - sg(cp)) if o.get("no_f_factor") else f * cp   # ∂c_t/∂c_{t−1} = I instead of diag(f)
        c_new = fc + (g if o.get("no_input_gate") else i * g)                   # c_t = f⊙c_{t−1} + i⊙g
        if peephole and not o.get("drop_peepholes"):
            a["o"] = a["o"] + Q["p_o"] * (cp if o.get("o_sees_old_cell") else c_new)
        og = _act(acts.get("o", "sigmoid"), a["o"], der.get("o"))
        h = og * _act(o.get("cell_act", "tanh"), cp if o.get("old_cell") else c_new, der.get("c"))
        c = c_new
        hs.append(h)
    return np.stack(hs), c                                                      # (h_1..h_T, c_T)


def _gru(P, h0, xs, o, reset):
    H, T = h0.shape[0], xs.shape[0]
    order, acts, der = o.get("perm", GRU_GATES), o.get("acts", {}), o.get("deriv", {})
    reset = {"after": "before", "before": "after"}[reset] if o.get("other_reset") else reset
    h, hs = h0, []
    for t in range(T):
        Q = _param_surgery(P, o, t, T)
        Wx, Wh = _blocks(Q["W_x"], order, H), _blocks(Q["W_h"], order, H)
        bx = _blocks(0.0 * Q["b_x"] if o.get("drop_b_x") else Q["b_x"], order, H)
        bh = _blocks(0.0 * Q["b_h"] if o.get("drop_b_h") else Q["b_h"], order, H)
        if o.get("drop_bhn"):      # b_hn (the candidate's block of b_h) unused
            bh = {**bh, "n": 0.0 * bh["n"]}
        hr = sg(h) if o.get("cut_h") else h
        a_r = np.dot(Wx["r"], xs[t]) + bx["r"] + _rec(Wh["r"], hr, o) + bh["r"]
        a_z = np.dot(Wx["z"], xs[t]) + bx["z"] + _rec(Wh["z"], hr, o) + bh["z"]
        r = _act(acts.get("r", "sigmoid"), a_r, der.get("r"))
        z = _act(acts.get("z", "sigmoid"), a_z, der.get("z"))
        if reset == "after":
            if o.get("bhn_outside"):   # b_hn added outside the reset: r⊙(W_hn h) + b_hn
                a_n = np.dot(Wx["n"], xs[t]) + bx["n"] + r * _rec(Wh["n"], hr, o) + bh["n"]
            else:                      # PyTorch: r⊙(W_hn h + b_hn)
                a_n = np.dot(Wx["n"], xs[t]) + bx["n"] + r * (_rec(Wh["n"], hr, o) + bh["n"])
        else:                          # Cho et al. 2014: W_hn (r⊙h) + b_hn
            a_n = np.dot(Wx["n"], xs[t]) + bx["n"] + _rec(Wh["n"], r * hr, o) + bh["n"]
        n = _act(acts.get("n", "tanh"), a_n, der.get("n"))
        zh = z * sg(hr) + (hr - sg(hr)) if o.get("no_z_factor") else z * hr   # ∂h_t/∂h_{t−1} direct path: I instead of diag(z)
        h = z * n + (1.0 - z) * hr if o.get("z_flip") else (1.0 - z) * n + zh  # h_t = (1−z)⊙n + z⊙h_{t−1}
        hs.append(h)
    return (np.stack(hs),)


class _EveryOne(dict):
    """``deriv`` for ``unit_derivatives``: every activation's derivative replaced by 1."""

    def get(self, key, default=None):
        return "one"


#: The cells by family (the row's ``family``): f(row, canonical params, state0, xs, opts, reset) -> outputs.
_CELLS = {
    "rnn": lambda row, P, s, xs, o, reset: _rnn(P, s[0], xs, o, row.act),
    "lstm": lambda row, P, s, xs, o, reset: _lstm(P, s[0], s[1], xs, o, row.variant == "peephole"),
    "gru": lambda row, P, s, xs, o, reset: _gru(P, s[0], xs, o, reset),
    **modern_cells.SURGERY,   # minGRU, minLSTM, LRU, Mamba S6
}


def _run(row, params, state0, xs, reset, pset, opts):
    if opts.get("drop_native"):   # one native key, or several (every bias)
        keys = (opts["drop_native"],) if isinstance(opts["drop_native"], str) else opts["drop_native"]
        params = {**params, **{k: 0.0 * params[k] for k in keys}}
    if opts.get("swap"):   # two parameters read in each other's place (a packing order mistaken)
        a, b = opts["swap"]
        params = {**params, a: params[b], b: params[a]}
    params = param_set(pset).to_canonical(row.name, params)
    if opts.get("cut_state0"):
        state0 = tuple(sg(s) for s in state0)
    if opts.get("cut_x"):
        xs = sg(xs)
    if opts.get("unit_derivatives"):
        opts = {**opts, "deriv": _EveryOne()}
    return _CELLS[row.family](row, params, tuple(state0), xs, opts, reset)


def run(case, **opts):
    """Outputs of the (mutated) reference over ``case``'s sequence: ``(hs,)`` or ``(hs, c_T)``; ``opts`` switch bugs on.

    ``case.params`` are in the native parameter set ``case.pset`` (``layouts.PARAM_SETS``); ``drop_native=key`` zeroes
    one native parameter before the map to the canonical layout (the implementation ignores it);
    ``unit_derivatives=True`` replaces every activation's derivative by 1 (values unchanged)."""
    return _run(kinds.row(case.kind), case.params, case.state0, case.xs, case.reset, case.pset, opts)


def vjp(case, **opts):
    """The VJP ``{param keys..., "xs", "h0"[, "c0"]}`` of Σ⟨outputs, cotangents⟩ (autograd), w.r.t. the native keys."""
    row = kinds.row(case.kind)
    keys = row.state_keys

    def loss(z):
        outs = _run(row, z["params"], tuple(z[k] for k in keys), z["xs"], case.reset, case.pset, opts)
        return sum(np.sum(y * v) for y, v in zip(outs, case.cot))
    z = {"params": dict(case.params), "xs": case.xs, **dict(zip(keys, case.state0))}
    with np.errstate(over="ignore"):   # autograd's tanh VJP g/cosh² overflows harmlessly to 0 at |a| > ~355
        g = autograd.grad(loss)(z)
    out = dict(g["params"])
    out.update({k: g[k] for k in ("xs",) + keys})
    return out
