"""Mutated reference models: the reference equations with one common bug switched on.

The diagnosis (``diagnosis.py``) asks, on a failing case, which mutant reproduces
the implementation: its outputs (a forward bug) or its vector-Jacobian products
(a backward bug). Pass/fail never uses this module; it compares against
``vanishing.models`` only.

* A *forward* mutant changes the function: gate blocks read in another order, an
  activation swapped, a bias unused, ``W_h`` transposed, ``h_t`` from the old cell...
* A *backward* mutant keeps every value and changes one derivative, by
  stop-gradient surgery: ``sg(u)`` is u's value with derivative 0, so
  ``sg(f(a)) + (a − sg(a))·sg(d)`` has the value f(a) and the derivative d
  (a hand-written backward that forgot a factor, in autograd's words).

With no option switched on, :func:`run` is the reference (``tests/test_conformance.py``
checks it against ``vanishing.models`` to analytic tolerance).

Kinds (``protocol.KINDS``): ``rnn-tanh``, ``rnn-relu``, ``lstm``, ``lstm-peephole``,
``gru`` (with ``reset`` "after" or "before"). Arrays are 1-D states (H,), sequences (T, D).
"""

import itertools
from dataclasses import dataclass, field

import autograd
import autograd.numpy as np

from vanishing.models import activations
from vanishing.models.layouts import GRU_GATES, LSTM_GATES, param_set
from autograd.tracer import getval

__all__ = ["IDENTITY", "Mutant", "mutants_for", "output_names", "run", "state_keys", "vjp"]


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


def state_keys(kind):
    """Names of the initial-state arguments: ("h0",) or ("h0", "c0")."""
    return ("h0", "c0") if kind.startswith("lstm") else ("h0",)


def output_names(kind):
    """Names of the outputs of a whole-sequence run: ("hs",) or ("hs", "c_T") (an LSTM layer's final cell)."""
    return ("hs", "c_T") if kind.startswith("lstm") else ("hs",)


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


def run(kind, params, state0, xs, reset="after", pset="canonical", **opts):
    """Outputs of the (mutated) reference over a sequence: ``(hs,)`` or ``(hs, c_T)``; ``opts`` switch bugs on.

    ``params`` are in the native parameter set ``pset`` (``layouts.PARAM_SETS``); ``drop_native=key`` zeroes
    one native parameter before the map to the canonical layout (the implementation ignores it)."""
    if opts.get("drop_native"):
        params = {**params, opts["drop_native"]: 0.0 * params[opts["drop_native"]]}
    params = param_set(pset).to_canonical(kind, params)
    if opts.get("cut_state0"):
        state0 = tuple(sg(s) for s in state0)
    if opts.get("cut_x"):
        xs = sg(xs)
    if kind in ("rnn-tanh", "rnn-relu"):
        return _rnn(params, state0[0], xs, opts, kind.split("-")[1])
    if kind in ("lstm", "lstm-peephole"):
        return _lstm(params, state0[0], state0[1], xs, opts, kind == "lstm-peephole")
    if kind == "gru":
        return _gru(params, state0[0], xs, opts, reset)
    raise ValueError(f"kind: expected one of rnn-tanh, rnn-relu, lstm, lstm-peephole, gru, got {kind!r}")


def vjp(kind, params, state0, xs, cotangents, reset="after", pset="canonical", **opts):
    """The VJP ``{param keys..., "xs", "h0"[, "c0"]}`` of Σ⟨outputs, cotangents⟩ (autograd), w.r.t. the native keys."""
    keys = state_keys(kind)

    def loss(z):
        outs = run(kind, z["params"], tuple(z[k] for k in keys), z["xs"], reset, pset, **opts)
        return sum(np.sum(y * v) for y, v in zip(outs, cotangents))
    z = {"params": dict(params), "xs": xs, **dict(zip(keys, state0))}
    with np.errstate(over="ignore"):   # autograd's tanh VJP g/cosh² overflows harmlessly to 0 at |a| > ~355
        g = autograd.grad(loss)(z)
    out = dict(g["params"])
    out.update({k: g[k] for k in ("xs",) + keys})
    return out


# ---------------------------------------------------------------- the catalogue
@dataclass(frozen=True)
class Mutant:
    """One hypothesis about a bug: ``opts`` for :func:`run`, and the sentence that names it."""

    name: str
    says: str                       # completes "the outputs match the reference if ..." / "the gradients match ... if ..."
    opts: dict = field(default_factory=dict)
    where: str = "forward"          # "forward" (values change) or "backward" (only derivatives change)
    precision: str = ""             # "float32": matches at float32 tolerance (computes in lower precision)


IDENTITY = Mutant("reference", "nothing is changed", {})


def _perm_says(canon, order):
    moved = [(c, o) for c, o in zip(canon, order) if c != o]
    if len(moved) == 2:
        return f"gates {moved[0][0]} and {moved[1][0]} are swapped (blocks read in order {', '.join(order)})"
    return f"the gate blocks are read in the order {', '.join(order)} instead of {', '.join(canon)}"


def _perms(canon):
    return [Mutant(f"gate-order-{''.join(p)}", _perm_says(canon, p), {"perm": "".join(p)})
            for p in itertools.permutations(canon) if "".join(p) != canon]


def _common_backward(state_word):
    return [
        Mutant("recurrent-gradient-dropped", f"the recurrent gradient is dropped: nothing flows back from step t to {state_word}_{{t−1}} "
               "through the recurrent weights (each step's gradient stops at its own step)", {"cut_h": True}, "backward"),
        Mutant("Wh-not-transposed-in-backward", "the backward pass multiplies by W_h where W_hᵀ is needed (dh_{t−1} = W_h δ_t)",
               {"Wh_T_backward": True}, "backward"),
        Mutant("param-grad-first-step", "the parameter gradients keep only time step 1's contribution (assigned with = "
               "instead of accumulated with += in the backward loop)", {"param_grad": "first-step"}, "backward"),
        Mutant("param-grad-last-step", "the parameter gradients keep only the last time step's contribution (assigned with = "
               "instead of accumulated with +=)", {"param_grad": "last-step"}, "backward"),
        Mutant("bias-grad-first-step", "the bias gradient keeps only time step 1's contribution (assigned with = instead of "
               "accumulated with += in the backward loop)", {"param_grad": "bias-first-step"}, "backward"),
        Mutant("bias-grad-last-step", "the bias gradient keeps only the last time step's contribution (assigned instead of "
               "accumulated)", {"param_grad": "bias-last-step"}, "backward"),
        Mutant("param-grad-mean", "the parameter gradients are averaged over time (divided by T) instead of summed",
               {"param_grad": "mean"}, "backward"),
        Mutant("no-state0-grad", "the gradient w.r.t. the initial state is not propagated (it is zero)", {"cut_state0": True}, "backward"),
        Mutant("no-input-grad", "the gradient w.r.t. the inputs x_t is not computed (it is zero)", {"cut_x": True}, "backward"),
    ]


def _precision():
    return [Mutant("float32-precision", "it loses precision: it matches the reference to float32 precision but not to "
                   "float64 precision (float32 arithmetic inside, or a formula that cancels, such as (e^{2a}−1)/(e^{2a}+1) "
                   "for tanh near 0)", {}, "forward", precision="float32")]


def _rnn_mutants(act):
    other = {"tanh": ["relu", "sigmoid", "identity"], "relu": ["tanh", "sigmoid", "identity"]}[act]
    out = [Mutant(f"act-{a}", f"the activation is {a} where {act} is expected", {"act": a}) for a in other]
    out += [Mutant("bias-unused", "the bias b is unused (the b gradient is zero: is the bias used?)", {"drop_bias": True}),
            Mutant("Whh-transposed", "W_hh is used transposed (W_hhᵀ h_{t−1})", {"transpose_Wh": True})]
    out += _precision()
    if act == "tanh":
        out += [Mutant("act-derivative-missing", "the backward pass drops the activation's derivative tanh'(a_t) (treats it as 1)",
                       {"deriv": {"h": "one"}}, "backward"),
                Mutant("act-derivative-as-value", "the backward pass uses tanh(a_t) where tanh'(a_t) = 1 − h_t² belongs",
                       {"deriv": {"h": "value"}}, "backward"),
                Mutant("act-derivative-linear", "the backward pass uses 1 − h_t where tanh'(a_t) = 1 − h_t² belongs",
                       {"deriv": {"h": "linear"}}, "backward")]
    else:
        out += [Mutant("act-derivative-missing", "the backward pass drops the activation's derivative relu'(a_t) (treats it as 1)",
                       {"deriv": {"h": "one"}}, "backward"),
                Mutant("relu-kink-half", "relu'(0) = 1/2 where the convention is relu'(0) = 0 (PyTorch's; e.g. autograd's "
                       "np.maximum(a, 0) splits the gradient at a tie)", {"deriv": {"h": "kink-half"}}, "backward"),
                Mutant("relu-kink-one", "relu'(0) = 1 where the convention is relu'(0) = 0 (PyTorch's)",
                       {"deriv": {"h": "kink-one"}}, "backward")]
    return out + _common_backward("h")


def _lstm_mutants(peephole):
    out = _perms(LSTM_GATES)
    out += [Mutant(f"gate-{k}-tanh", f"gate {k} uses tanh where sigmoid is expected", {"acts": {k: "tanh"}}) for k in "ifo"]
    out += [Mutant("candidate-sigmoid", "the candidate g uses sigmoid where tanh is expected", {"acts": {"g": "sigmoid"}}),
            Mutant("candidate-identity", "the candidate g has no activation (identity where tanh is expected)", {"acts": {"g": "identity"}}),
            Mutant("candidate-relu", "the candidate g uses relu where tanh is expected", {"acts": {"g": "relu"}}),
            Mutant("cell-output-no-tanh", "h_t = o⊙c_t: tanh is missing on the cell output", {"cell_act": "identity"}),
            Mutant("cell-output-sigmoid", "h_t = o⊙σ(c_t): sigmoid where tanh is expected on the cell output", {"cell_act": "sigmoid"}),
            Mutant("bias-unused", "the bias b is unused (the b gradient is zero: is the bias used?)", {"drop_bias": True}),
            Mutant("Wh-transposed", "W_h is used transposed (each gate's recurrent block W_hk applied as W_hkᵀ)", {"transpose_Wh": True}),
            Mutant("output-from-old-cell", "h_t is computed from the old cell: h_t = o⊙tanh(c_{t−1}) instead of o⊙tanh(c_t)", {"old_cell": True}),
            Mutant("forget-one-minus", "the forget gate is applied as (1 − f): c_t = (1−f)⊙c_{t−1} + i⊙g", {"one_minus_f": True}),
            Mutant("input-gate-unused", "the input gate is not applied: c_t = f⊙c_{t−1} + g", {"no_input_gate": True}),
            Mutant("forget-bias-plus-one", "1 is added to the forget gate's pre-activation at call time, f = σ(a_f + 1) (TF1's "
                   "forget_bias = 1, Sonnet's and Haiku's LSTM), on top of the bias b_f", {"forget_shift": 1.0})]
    if peephole:
        out += [Mutant("o-peeks-old-cell", "the output gate peeks at c_{t−1} where it should see the new c_t", {"o_sees_old_cell": True}),
                Mutant("peepholes-unused", "the peephole weights p_i, p_f, p_o are unused", {"drop_peepholes": True})]
    out += _precision()
    out += [Mutant("no-f-factor", "the gradient w.r.t. c_{t−1} lacks the factor f_t (dc_{t−1} = dc_t instead of dc_t⊙f_t)",
                   {"no_f_factor": True}, "backward"),
            Mutant("cell-gradient-dropped", "the cell gradient is not carried back: nothing flows from c_t to c_{t−1}",
                   {"cut_c": True}, "backward"),
            Mutant("no-tanh-prime-c", "the backward pass lacks the factor tanh'(c_t) in dh_t → dc_t", {"deriv": {"c": "one"}}, "backward"),
            Mutant("tanh-prime-c-linear", "the backward pass uses 1 − tanh(c_t) where tanh'(c_t) = 1 − tanh²(c_t) belongs",
                   {"deriv": {"c": "linear"}}, "backward"),
            Mutant("candidate-derivative-linear", "the backward pass uses 1 − g where tanh'(a_g) = 1 − g² belongs",
                   {"deriv": {"g": "linear"}}, "backward"),
            Mutant("candidate-derivative-sigmoid", "the backward pass differentiates the candidate as a sigmoid, g(1−g), "
                   "where tanh'(a_g) = 1 − g² belongs", {"deriv": {"g": "sigmoid'"}}, "backward"),
            Mutant("gate-derivative-as-value", "the backward pass uses σ(a) where σ'(a) = σ(1−σ) belongs, for gates i, f, o",
                   {"deriv": {"i": "value", "f": "value", "o": "value"}}, "backward")]
    out += [Mutant(f"gate-{k}-derivative-missing", f"the backward pass drops σ'(a_{k}) for gate {k}", {"deriv": {k: "one"}}, "backward")
            for k in "ifo"]
    return out + _common_backward("h")


def _gru_mutants(reset):
    out = _perms(GRU_GATES)
    other = {"after": "before", "before": "after"}[reset]
    out += [Mutant("reset-" + other, f"the reset gate is applied {other} the recurrent matmul (reset={other!r}) where "
                   f"reset={reset!r} is declared", {"other_reset": True}),
            Mutant("z-flipped", "z is used the other way round: h_t = z⊙n + (1−z)⊙h_{t−1}", {"z_flip": True}),
            Mutant("candidate-sigmoid", "the candidate n uses sigmoid where tanh is expected", {"acts": {"n": "sigmoid"}}),
            Mutant("candidate-identity", "the candidate n has no activation (identity where tanh is expected)", {"acts": {"n": "identity"}})]
    out += [Mutant(f"gate-{k}-tanh", f"gate {k} uses tanh where sigmoid is expected", {"acts": {k: "tanh"}}) for k in "rz"]
    out += [Mutant("b_x-unused", "the input bias b_x is unused (the b_x gradient is zero: is the bias used?)", {"drop_b_x": True}),
            Mutant("b_h-unused", "the recurrent bias b_h is unused (the b_h gradient is zero: is the bias used?)", {"drop_b_h": True}),
            Mutant("Wh-transposed", "W_h is used transposed (each gate's recurrent block W_hk applied as W_hkᵀ)", {"transpose_Wh": True})]
    if reset == "after":
        out.append(Mutant("b_hn-outside-reset", "b_hn is added outside the reset: r⊙(W_hn h) + b_hn instead of r⊙(W_hn h + b_hn)",
                          {"bhn_outside": True}))
    out += _precision()
    out += [Mutant("no-z-factor", "the gradient w.r.t. h_{t−1} along the direct path lacks the factor z_t (dh_{t−1} = dh_t instead of dh_t⊙z_t)",
                   {"no_z_factor": True}, "backward"),
            Mutant("candidate-derivative-linear", "the backward pass uses 1 − n where tanh'(a_n) = 1 − n² belongs",
                   {"deriv": {"n": "linear"}}, "backward"),
            Mutant("gate-derivative-as-value", "the backward pass uses σ(a) where σ'(a) = σ(1−σ) belongs, for gates r and z",
                   {"deriv": {"r": "value", "z": "value"}}, "backward")]
    out += [Mutant(f"gate-{k}-derivative-missing", f"the backward pass drops σ'(a_{k}) for gate {k}", {"deriv": {k: "one"}}, "backward")
            for k in "rz"]
    return out + _common_backward("h")


def _native(kind, pset, out):
    """The catalogue adapted to a native parameter set: one 'unused' mutant per native bias, none that is a no-op."""
    if pset == "two-biases":
        at = out.index(next(m for m in out if m.name == "bias-unused")) + 1
        out[at:at] = [Mutant("b_x-unused", "the input bias b_x (PyTorch bias_ih) is unused: only the recurrent bias b_h is "
                             "added", {"drop_native": "b_x"}),
                      Mutant("b_h-unused", "the recurrent bias b_h (PyTorch bias_hh) is unused: only the input bias b_x is "
                             "added", {"drop_native": "b_h"})]
    elif pset == "one-bias":   # b_h is 0: its mutants change nothing
        out = [m for m in out if m.name not in ("b_h-unused", "b_hn-outside-reset")]
        out = [Mutant(m.name.replace("b_x", "b"), "the bias b is unused (the b gradient is zero: is the bias used?)",
                      {"drop_native": "b"}) if m.name == "b_x-unused" else m for m in out]
    elif pset == "gru-bhn":
        out = [Mutant("b_hn-unused", "the recurrent bias b_hn is unused (n = tanh(W_xn x + b_xn + r⊙(W_hn h)))",
                      {"drop_native": "b_hn"}) if m.name == "b_h-unused" else m for m in out]
    return out


def mutants_for(kind, reset="after", pset="canonical"):
    """Every mutant that applies to ``kind`` and its native parameter set ``pset`` (forward mutants first)."""
    if kind in ("rnn-tanh", "rnn-relu"):
        out = _rnn_mutants(kind.split("-")[1])
    elif kind in ("lstm", "lstm-peephole"):
        out = _lstm_mutants(kind == "lstm-peephole")
    elif kind == "gru":
        out = _gru_mutants(reset)
    else:
        raise ValueError(f"kind: no mutants for {kind!r}")
    return _native(kind, pset, out)
