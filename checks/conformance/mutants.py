"""The catalogue of known bugs: one :class:`Mutant` per common bug, each a switch of :mod:`.surgery`'s reference.

The diagnosis (``diagnosis.py``) asks, on a failing case, which mutant reproduces the implementation: its
outputs (a forward bug) or its vector-Jacobian products (a backward bug). A kind's catalogue is found by its
row's ``family`` (``models/kinds.py``: :data:`CATALOGUES`), then adapted to its native parameter set.
"""

import itertools
from dataclasses import dataclass, field

from vanishing.checks.conformance import modern_cells
from vanishing.models import kinds, layouts
from vanishing.models.layouts import GRU_GATES, LSTM_GATES

__all__ = ["CATALOGUES", "IDENTITY", "Mutant", "mutants_for"]


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
                Mutant("peepholes-unused", "the peephole weights p_i, p_f, p_o are unused", {"drop_peepholes": True}),
                Mutant("peepholes-f-o-swapped", "the peepholes p_f and p_o are swapped (packed i, f, o where i, o, f is "
                       "read: ONNX's P)", {"swap": ("p_f", "p_o")})]
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


def _native(pset, out, row=None):
    """The catalogue adapted to a native parameter set: one 'unused' mutant per native bias (and b_hn, the candidate's
    recurrent bias, wherever it is a parameter of its own or a block), every bias unused at once, none that is a no-op."""
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
    if row is not None and row.family == "gru" and pset == "canonical":   # b_hn is the n block of b_h
        at = out.index(next(m for m in out if m.name == "b_h-unused")) + 1
        out.insert(at, Mutant("b_hn-unused", "the candidate's recurrent bias b_hn (the n block of b_h) is unused, while the "
                              "r and z blocks of b_h are added", {"drop_bhn": True}))
    biases = [k for k in layouts.param_set(pset).shapes(row.name, 2, 2) if k[0] == "b"] if row is not None else []
    if len(biases) > 1 and not any(m.name == "bias-unused" for m in out):   # every bias at once (Equinox's GRUCell before PR #215 ignored use_bias=True)
        at = next(i for i, m in enumerate(out) if m.name.endswith("-unused"))
        out.insert(at, Mutant("biases-unused", f"no bias is used ({', '.join(biases)} all unused: it computes as if "
                              "use_bias=False)", {"drop_native": tuple(biases)}))
    return out


#: The catalogue of each family (the row's ``family``): f(row, reset) -> [Mutant].
CATALOGUES = {
    "rnn": lambda row, reset: _rnn_mutants(row.act),
    "lstm": lambda row, reset: _lstm_mutants(row.variant == "peephole"),
    "gru": lambda row, reset: _gru_mutants(reset),
    **modern_cells.CATALOGUES,   # minGRU, minLSTM, LRU, Mamba S6
}


def mutants_for(case):
    """Every mutant that applies to ``case``'s kind, reset convention and native parameter set (forward mutants first)."""
    row = kinds.row(case.kind)
    return _native(case.pset, CATALOGUES[row.family](row, case.reset), row)
