"""The table of cell kinds: what a kind of recurrent cell *is*, written once.

In the spirit of autograd's ``defvjp`` tables, each row puts the data of one kind next to its code: the
gates and their order, the state and its keys, the output names, the native parameter sets, the reference
step and forward pass (the models' own functions), and its conventions. Everything that depends on a cell's
kind asks its row (``kinds.row("lstm").state_keys``); nothing tests the kind's name (no ``startswith``).

Adding a cell kind is one new row here, its model module in ``models/``, and its claims (docs/DESIGN.md,
"Adding a cell kind", lists every file it touches). The validator's catalogue of known bugs for a kind is
found by the row's ``family`` (``vanishing.checks.conformance.mutants``): the models never import the checks.

A row's functions take a state *tuple* ``(h,)`` or ``(h, c)``, in the order of ``state``:

* ``step(params, state, x, reset)`` → the next state tuple;
* ``forward(params, state0, xs, reset)`` → the outputs tuple, named by ``outputs``: ``(hs,)`` or ``(hs, c_T)``;
* ``canonical_shapes(H, D)`` → {key: shape} of the canonical layout;
* ``param_count(H, D)`` → the canonical count of trainable scalars.

``reset`` is the GRU's convention ("after": PyTorch, Keras reset_after=True; "before": Cho et al. 2014);
the other kinds ignore it (``has_reset`` says which do).
"""

from dataclasses import dataclass, field
from typing import Callable

from vanishing.models import gru, lstm, lru, mamba, mingru, rnn, xlstm
from vanishing.models.layouts import GRU_GATES

__all__ = ["ALL_KINDS", "CELL_KINDS", "Kind", "ROWS", "STACK_KINDS", "family_row", "row"]


@dataclass(frozen=True)
class Kind:
    """One row of the kind table (see the module docstring)."""

    name: str                    # the adapter protocol's kind: "rnn-tanh", "lstm", ...
    family: str                  # "rnn", "lstm" or "gru": the layouts' kind (models/layouts.py) and the mutant catalogue's key
    gates: str                   # the canonical gate order of the stacked row blocks ("" for an Elman cell)
    state: tuple                 # the state's names in its tuple: ("h",) or ("h", "c")
    outputs: tuple               # the names of forward's outputs: ("hs",) or ("hs", "c_T")
    step: Callable               # step(params, state, x, reset) -> state
    forward: Callable            # forward(params, state0, xs, reset) -> outputs
    canonical_shapes: Callable   # canonical_shapes(H, D) -> {key: shape}
    param_count: Callable        # param_count(H, D) -> int
    act: str = ""                # the Elman cell's activation ("tanh", "relu"); "" for gated cells
    variant: str = ""            # the LSTM variant of models/lstm.py ("forget", "peephole"); "" otherwise
    has_reset: bool = False      # the GRU: the reset convention matters
    direct_gate: str = ""        # the gate on the direct path ∂state_t/∂state_{t−1}: "f_t" (LSTM), "z_t" (GRU)
    direct_state: str = "h"      # the state the direct path runs through: "c" (LSTM), "h" (GRU)
    stackable: bool = False      # a layer of vanishing.models.stacked (PyTorch's nn.RNN/LSTM/GRU)
    torch_second_bias: int = 0   # blocks of PyTorch's bias_hh that the canonical layout folds into b (0: kept apart)
    kink: bool = False           # the activation has a kink at 0 (relu): cases keep pre-activations away from it
    direct_path: Callable = None  # direct_path(params, state, x, reset) -> ∂state_t/∂state_{t−1} along direct_state (None: none)
    direct_path_zero: tuple = ()  # parameters set to 0 so that only the direct path remains (GRU: W_h)
    gate_zero: tuple = ()        # parameters set to 0 so that ∂state_1/∂state_0 along direct_state is diag(direct_gate) exactly
    conventions: tuple = field(default_factory=tuple)   # sentences a report shows for this kind
    state_shapes: Callable = None  # state_shapes(H, D) -> one shape per state entry (None: (H,) each); mLSTM's C is (H, H)
    parallel: Callable = None    # parallel(params, state0, xs, reset) -> forward's first output by the paper's parallel form
    parallel_needs: str = ""     # the precondition of ``parallel`` ("" : every state0)
    paper: str = ""              # the kind's source (the new families: the paper its equations are from)
    validator: bool = True       # the validator has this family's entries (docs/DESIGN.md, "Adding a cell kind"): in CELL_KINDS

    @property
    def state_keys(self):
        """The initial state's keys in the adapter protocol and in gradients: ("h0",) or ("h0", "c0")."""
        return tuple(f"{s}0" for s in self.state)

    @property
    def n_state(self):
        return len(self.state)

    @property
    def blocks(self):
        """How many row blocks W_x, W_h and the biases stack (1 for an Elman cell)."""
        return max(1, len(self.gates))

    @property
    def weight_keys(self):
        """(input weight, recurrent weight) keys of the canonical layout."""
        return ("W_xh", "W_hh") if self.family == "rnn" else ("W_x", "W_h")

    def shapes_of_state(self, H, D):
        """One shape per state entry, in the order of ``state``."""
        return tuple(self.state_shapes(H, D)) if self.state_shapes else ((H,),) * self.n_state

    def shapes_of_outputs(self, T, H, D):
        """One shape per output of ``forward``: the per-step output ("hs": (T, H); "ys", a readout: (T, D)), then the
        final states ("c_T" has the shape of the state "c")."""
        states = dict(zip(self.state, self.shapes_of_state(H, D)))
        return ((T, D) if self.outputs[0] == "ys" else (T, H),) + tuple(states[o[:-2]] for o in self.outputs[1:])

    def state_outputs(self):
        """For each state, in order: (the index of the output holding its last value, whether that output is per step):
        "c" is "c_T" (index 1, final); the first state "h" is the last row of "hs" (index 0, per step)."""
        out = []
        for i, s in enumerate(self.state):
            out.append((self.outputs.index(f"{s}_T"), False) if f"{s}_T" in self.outputs else (0, True))
        return tuple(out)

    def torch_param_count(self, H, D):
        """The count with PyTorch's second bias vector, where PyTorch keeps one the canonical layout folds."""
        return self.param_count(H, D) + self.torch_second_bias * H


def _rnn(act):
    return Kind(
        name=f"rnn-{act}", family="rnn", gates="", state=("h",), outputs=("hs",),
        step=lambda P, s, x, reset="after": (rnn.step(P, s[0], x, act=act),),
        forward=lambda P, s, xs, reset="after": (rnn.forward(P, s[0], xs, act=act),),
        canonical_shapes=lambda H, D: {"W_hh": (H, H), "W_xh": (H, D), "b": (H,)},
        param_count=rnn.param_count, act=act, stackable=True, torch_second_bias=1, kink=act == "relu",
        conventions=(f"h_t = {act}(W_hh h_(t-1) + W_xh x_t + b)",))


def _lstm_forward(variant):
    def forward(P, s, xs, reset="after"):
        hs, cs = lstm.forward(P, s[0], s[1], xs, variant=variant)
        return hs, cs[-1]
    return forward


def _lstm_shapes(variant):
    def shapes(H, D):
        out = {"W_x": (4 * H, D), "W_h": (4 * H, H), "b": (4 * H,)}
        if variant == "peephole":
            out.update(p_i=(H,), p_f=(H,), p_o=(H,))
        return out
    return shapes


def _lstm(name, variant, stackable, conventions):
    # with peepholes, i and f read c_(t-1): only with p_i = p_f = 0 is ∂c_1/∂c_0 = diag(f) (o's p_o does not reach c_1)
    return Kind(
        name=name, family="lstm", gates=lstm.GATES[variant], state=("h", "c"), outputs=("hs", "c_T"),
        step=lambda P, s, x, reset="after": lstm.step(P, s[0], s[1], x, variant=variant),
        forward=_lstm_forward(variant), canonical_shapes=_lstm_shapes(variant),
        param_count=lambda H, D: lstm.param_count(H, D, variant=variant), variant=variant,
        direct_gate="f_t", direct_state="c", stackable=stackable, torch_second_bias=4, conventions=conventions,
        gate_zero=("p_i", "p_f") if variant == "peephole" else (),
        direct_path=lambda P, s, x, reset="after": lstm.direct_path_jacobian(P, s[0], s[1], x, variant=variant))


_GRU = Kind(
    name="gru", family="gru", gates=GRU_GATES, state=("h",), outputs=("hs",),
    step=lambda P, s, x, reset="after": (gru.step(P, s[0], x, reset=reset),),
    forward=lambda P, s, xs, reset="after": (gru.forward(P, s[0], xs, reset=reset),),
    canonical_shapes=lambda H, D: {"W_x": (3 * H, D), "W_h": (3 * H, H), "b_x": (3 * H,), "b_h": (3 * H,)},
    param_count=gru.param_count, has_reset=True, direct_gate="z_t", direct_state="h", stackable=True,
    direct_path=lambda P, s, x, reset="after": gru.direct_path_jacobian(P, s[0], x, reset=reset), direct_path_zero=("W_h",),
    gate_zero=("W_h",),
    conventions=("h_t = (1 − z)⊙n + z⊙h_(t-1)", "reset='after': n = tanh(W_xn x + b_xn + r⊙(W_hn h + b_hn)); "
                 "reset='before': n = tanh(W_xn x + b_xn + W_hn (r⊙h) + b_hn)"))

def _min(cell, gate, conventions):
    """minGRU / minLSTM (Feng et al. 2024): h_t = a_t⊙h_(t−1) + b_t with a_t = 1 − z_t or f′_t; the step Jacobian is diag(a_t)."""
    return Kind(
        name=cell, family=cell, gates="", state=("h",), outputs=("hs",),
        step=lambda P, s, x, reset="after": (mingru.step(P, s[0], x, cell),),
        forward=lambda P, s, xs, reset="after": (mingru.forward(P, s[0], xs, cell),),
        canonical_shapes=lambda H, D: mingru.param_shapes(H, D, cell),
        param_count=lambda H, D: mingru.param_count(H, D, cell), direct_gate=gate, direct_state="h",
        direct_path=lambda P, s, x, reset="after": mingru.step_jacobian(P, s[0], x, cell),
        parallel=lambda P, s, xs, reset="after": mingru.forward_scan(P, s[0], xs, cell),
        conventions=conventions, paper="Feng et al. 2024, arXiv:2410.01201")


def _lru_forward(P, s, xs, reset="after"):
    ys, hr, hi = lru.forward(P, s[0], s[1], xs)
    return ys, hr[-1] if len(hr) else s[0], hi[-1] if len(hi) else s[1]


def _slstm_forward(P, s, xs, reset="after"):
    return xlstm.slstm_forward(P, tuple(s), xs)


def _mlstm_forward(P, s, xs, reset="after"):
    return xlstm.mlstm_forward(P, tuple(s), xs)


def _mlstm_parallel(P, s, xs, reset="after"):
    import numpy as onp
    if onp.any(onp.asarray(getattr(s[0], "_value", s[0])) != 0) or onp.any(onp.asarray(getattr(s[1], "_value", s[1])) != 0):
        raise ValueError("state0: the mLSTM's parallel form starts from C_0 = 0, n_0 = 0 (Beck et al. 2024, Appendix A.3)")
    return xlstm.mlstm_parallel(P, xs)


def _mamba_forward(P, s, xs, reset="after"):
    ys, hs = mamba.forward(P, s[0], xs)
    return ys, hs[-1] if len(hs) else s[0]


_MODERN = (
    _min("mingru", "1 − z_t", ("h_t = (1 − z_t)⊙h_(t-1) + z_t⊙h̃_t, z_t = σ(W_z x_t + b_z), h̃_t = W_h x_t + b_h (Feng et al. 2024)",)),
    _min("minlstm", "f′_t", ("h_t = f′_t⊙h_(t-1) + i′_t⊙h̃_t, f′ = f/(f + i), i′ = i/(f + i), gates of x_t only (Feng et al. 2024)",)),
    Kind(name="lru", family="lru", gates="", state=("h_re", "h_im"), outputs=("ys", "h_re_T", "h_im_T"),
         step=lambda P, s, x, reset="after": lru.step(P, s[0], s[1], x)[:2], forward=_lru_forward,
         canonical_shapes=lru.param_shapes, param_count=lru.param_count, direct_gate="λ", direct_state="h_re, h_im",
         direct_path=lambda P, s, x, reset="after": lru.step_jacobian(P, s[0], s[1], x),
         parallel=lambda P, s, xs, reset="after": lru.forward_scan(P, s[0], s[1], xs)[0],
         conventions=("x_k = λ⊙x_(k-1) + γ⊙(B u_k), y_k = Re(C x_k) + D⊙u_k, λ = exp(−exp(ν_log) + i·exp(θ_log)); "
                      "the complex state as (h_re, h_im)",), paper="Orvieto et al. 2023, arXiv:2303.06349"),
    Kind(name="slstm", family="slstm", gates=xlstm.SLSTM_GATES, state=("h", "c", "n", "m"), outputs=("hs", "c_T", "n_T", "m_T"),
         step=lambda P, s, x, reset="after": xlstm.slstm_step(P, tuple(s), x), forward=_slstm_forward,
         canonical_shapes=lambda H, D: xlstm.slstm_shapes(H, D), param_count=xlstm.slstm_param_count,
         direct_gate="f′_t", direct_state="c",
         direct_path=lambda P, s, x, reset="after": xlstm.slstm_direct_path_jacobian(P, tuple(s), x),
         conventions=("stabilised: m_t = max(log f_t + m_(t-1), ĩ_t), c_t = f′c_(t-1) + i′z_t, n_t = f′n_(t-1) + i′, "
                      "h_t = o_t⊙c_t/n_t; gates z, i, f, o; forget σ",), paper="Beck et al. 2024, arXiv:2405.04517", validator=False),
    Kind(name="mlstm", family="mlstm", gates="", state=("C", "n", "m"), outputs=("hs", "C_T", "n_T", "m_T"),
         step=lambda P, s, x, reset="after": xlstm.mlstm_step(P, tuple(s), x)[1:], forward=_mlstm_forward,
         canonical_shapes=xlstm.mlstm_shapes, param_count=xlstm.mlstm_param_count,
         state_shapes=lambda H, D: ((H, H), (H,), ()), direct_gate="f′_t", direct_state="C",
         parallel=_mlstm_parallel, parallel_needs="C_0 = 0, n_0 = 0",
         conventions=("C_t = f′C_(t-1) + i′v kᵀ, n_t = f′n_(t-1) + i′k, h_t = o⊙C_t q/max(|n_tᵀq|, e^(−m_t)); one head",),
         paper="Beck et al. 2024, arXiv:2405.04517", validator=False),
    Kind(name="mamba-s6", family="mamba", gates="", state=("h",), outputs=("ys", "h_T"),
         step=lambda P, s, x, reset="after": (mamba.step(P, s[0], x)[0],), forward=_mamba_forward,
         canonical_shapes=mamba.param_shapes, param_count=mamba.param_count, state_shapes=lambda H, D: ((D, H),),
         direct_gate="exp(Δ_t A)", direct_state="h",
         direct_path=lambda P, s, x, reset="after": mamba.state_jacobian(P, s[0], x),
         parallel=lambda P, s, xs, reset="after": mamba.forward_scan(P, s[0], xs)[0],
         conventions=("h_t = exp(Δ_t A)⊙h_(t-1) + Δ_t B_t x_t (B̄ = ΔB, as the official code), y_t = h_t C_t + D⊙x_t; "
                      "A = −exp(A_log), Δ = softplus(W_Δ x + b_Δ); the state (D channels, H = N states)",),
         paper="Gu & Dao 2023, arXiv:2312.00752"),
)

#: The table: one row per kind, in the order reports list them.
ROWS = {k.name: k for k in (
    _rnn("tanh"),
    _rnn("relu"),
    _lstm("lstm", "forget", True, ("c_t = f⊙c_(t-1) + i⊙g, h_t = o⊙tanh(c_t) (Gers et al. 2000)",)),
    _lstm("lstm-peephole", "peephole", False, ("i, f see c_(t-1) through p_i, p_f; o sees c_t through p_o",)),
    _GRU,
) + _MODERN}

#: The kinds the validator (checks/conformance/) accepts: its per-family tables have their families. Of the modern rows
#: (those with a ``paper``), minGRU, minLSTM, LRU and Mamba S6 have them (checks/conformance/modern_cells.py); sLSTM and
#: mLSTM are in ROWS and ALL_KINDS and join CELL_KINDS once those tables do.
CELL_KINDS = tuple(k for k, r in ROWS.items() if r.validator)
ALL_KINDS = tuple(ROWS)
STACK_KINDS = tuple(k for k, r in ROWS.items() if r.stackable)


def row(kind):
    """The :class:`Kind` row of ``kind`` (a name or a row); ValueError naming the known kinds otherwise."""
    if isinstance(kind, Kind):
        return kind
    if kind not in ROWS:
        raise ValueError(f"kind: expected one of {', '.join(ROWS)}, got {kind!r}")
    return ROWS[kind]


def family_row(family):
    """The first row of ``family`` ("rnn", "lstm", "gru"): what the family's rows share, its canonical layout's weights,
    gate blocks and biases (``models/layouts.py`` converts a family's layout to and from the frameworks')."""
    for r in ROWS.values():
        if r.family == family:
            return r
    raise ValueError(f"family: expected one of {', '.join(dict.fromkeys(r.family for r in ROWS.values()))}, got {family!r}")

