"""Built-in adapters for Haiku (``vanishing validate haiku``): ``hk.VanillaRNN``, ``hk.LSTM``, ``hk.GRU``.

Each in float64 (x64 scoped to the call, see ``jax_adapters``) and float32; gradients by ``jax.vjp``
through ``hk.transform``'s apply. Haiku's cells follow other conventions than the textbook
(haiku/_src/recurrent.py), each mapped exactly and each confirmed by a *textbook* variant that
drops the map and is then reproduced by a named mutant (``DIFFERENCES``):

* ``VanillaRNN``: ``h' = relu(x·w + b + h·w' + b')``: **ReLU**, not tanh, and two biases
  (``double_bias=True``): kind ``rnn-relu``, parameter set ``two-biases``.
* ``LSTM``: one Linear on ``[x, h]``, gate order **i, g, f, o**, and ``f = σ(a_f + 1)``: a forget bias
  of 1 added at call time (as in Sonnet and TF1), not stored. Mapped: blocks reordered, stored
  ``b_f`` = canonical ``b_f − 1`` (one rounding in float32, far inside the tolerance).
* ``GRU``: gates in the order **z, r, a**, the reset *before* the matmul (Cho et al. 2014), one
  bias, and ``h' = (1−z)⊙h + z⊙a``: **z weights the new candidate**, so the direct path is
  ∂h'/∂h = diag(1 − z), not diag(z). Mapped exactly: 1 − σ(a) = σ(−a), so Haiku's z weights are
  the canonical ones negated (negation is exact).
"""

import numpy as np

from vanishing.checks.conformance.frameworks import blocks, unblocks
from vanishing.checks.conformance.jax_adapters import JaxCell
from vanishing.models.layouts import GRU_GATES, LSTM_GATES

__all__ = ["DIFFERENCES", "HaikuCell", "builtins", "textbook_variants", "versions_installed"]

#: Haiku's own stacking orders: LSTM jnp.split(gated, 4) → i, g, f, o; GRU z, r then the candidate a.
HK_LSTM_ORDER, HK_GRU_ORDER = "igfo", "zrn"

#: cell → [(difference dropped by the textbook variant, mutant that must reproduce it, what differs, claims it touches)]
DIFFERENCES = {
    "VanillaRNN": [("activation", "act-relu", "h' = relu(W x + b_x + W' h + b_h): ReLU, not tanh, despite the name",
                    "RNN-NORM-BOUND and RNN-STEP-JACOBIAN hold with relu (γ_g' = 1, g' ∈ {0, 1}); RNN-RELU-NOT-IDENTITY applies; "
                    "the tanh saturation arguments do not (h ≥ 0, unbounded)")],
    "LSTM": [("gate order", "gate-order-igfo", "gate blocks stacked i, g, f, o (canonical and PyTorch: i, f, g, o)",
              "none: a layout (parameters are mapped)"),
             ("forget bias", "forget-bias-plus-one", "f = σ(a_f + 1): a forget bias of 1 added at call time, not stored",
              "LSTM-CELL-DIRECT-PATH holds with f = σ(a_f + 1): at zero-initialised weights the direct path starts at "
              "σ(1) ≈ 0.73 per step instead of 0.5")],
    "GRU": [("gate order", "gate-order-zrn", "gate blocks stacked z, r, a (canonical and PyTorch: r, z, n)",
             "none: a layout (parameters are mapped)"),
            ("z convention", "z-flipped", "h' = (1−z)⊙h + z⊙a: z weights the new candidate, so ∂h'/∂h along the direct path "
             "is diag(1 − z), not diag(z)", "GRU-DIRECT-PATH and GRU-SINGLE-GATE-INTERPOLATION hold with z ↔ 1 − z")],
}

_KIND = {"VanillaRNN": ("rnn-relu", "after", "two-biases"), "LSTM": ("lstm", "after", "canonical"),
         "GRU": ("gru", "before", "one-bias")}
_CONV = {
    "VanillaRNN": "h' = relu(x·w + b_x + h·w' + b_h): ReLU, two biases (double_bias=True)",
    "LSTM": "one Linear on [x, h], gate order i, g, f, o, f = σ(a_f + 1) (forget bias 1 at call time)",
    "GRU": "gates z, r, a; reset before the matmul (Cho 2014); one bias; h' = (1−z)⊙h + z⊙a (z weights the candidate)",
}


class HaikuCell(JaxCell):
    framework = extra = module = "haiku"
    dist = "dm-haiku"

    def __init__(self, cls, dtype, textbook=None):
        self.hk = self.framework_module()
        self.cls = cls
        self.convention = _CONV[cls]
        self.differences = DIFFERENCES[cls]
        kind, reset, pset = _KIND[cls]
        if textbook == "activation":
            kind = "rnn-tanh"                       # declared as the name suggests: a vanilla (tanh) RNN
        if textbook is not None and textbook not in [d[0] for d in DIFFERENCES[cls]]:
            raise ValueError(f"textbook: {cls} has no difference {textbook!r}")
        super().__init__(kind, dtype, reset=reset, param_set=pset, name=f"haiku.{cls}", textbook=textbook)

    def _build(self, H, D):
        hk, cls = self.hk, self.cls
        if cls == "LSTM":
            return hk.without_apply_rng(hk.transform(lambda x, h, c: hk.LSTM(H)(x, hk.LSTMState(h, c))[1]))
        return hk.without_apply_rng(hk.transform(lambda x, h: getattr(hk, cls)(H)(x, h)[1]))

    def _orders(self):
        keep = self.textbook != "gate order"
        return (HK_LSTM_ORDER if keep else LSTM_GATES), (HK_GRU_ORDER if keep else GRU_GATES)

    def _to_fw(self, P, H, D):
        lo, go = self._orders()
        if self.cls == "VanillaRNN":
            return {"vanilla_rnn/linear": {"w": P["W_xh"].T, "b": P["b_x"]},
                    "vanilla_rnn/linear_1": {"w": P["W_hh"].T, "b": P["b_h"]}}
        if self.cls == "LSTM":
            o = (H, lo, LSTM_GATES)
            b = blocks(P["b"], *o).astype(np.float64)
            if self.textbook != "forget bias":
                k = HK_LSTM_ORDER.index("f")           # the position Haiku reads as f
                b[k * H:(k + 1) * H] -= 1.0            # Haiku adds 1 back at call time
            return {"lstm/linear": {"w": np.concatenate([blocks(P["W_x"], *o).T, blocks(P["W_h"], *o).T]), "b": b}}
        o = (H, go, GRU_GATES)
        sign = np.ones(3 * H)
        if self.textbook != "z convention":
            k = HK_GRU_ORDER.index("z")                # the position Haiku reads as z
            sign[k * H:(k + 1) * H] = -1.0             # 1 − σ(a) = σ(−a): exact
        return {"gru": {"w_i": (sign[:, None] * blocks(P["W_x"], *o)).T, "w_h": (sign[:, None] * blocks(P["W_h"], *o)).T,
                        "b": sign * blocks(P["b"], *o)}}

    def _from_fw(self, G, H, D):
        lo, go = self._orders()
        if self.cls == "VanillaRNN":
            return {"W_xh": G["vanilla_rnn/linear"]["w"].T, "b_x": G["vanilla_rnn/linear"]["b"],
                    "W_hh": G["vanilla_rnn/linear_1"]["w"].T, "b_h": G["vanilla_rnn/linear_1"]["b"]}
        if self.cls == "LSTM":
            o = (H, lo, LSTM_GATES)
            w = G["lstm/linear"]["w"]
            return {"W_x": unblocks(w[:D].T, *o), "W_h": unblocks(w[D:].T, *o), "b": unblocks(G["lstm/linear"]["b"], *o)}
        o = (H, go, GRU_GATES)
        sign = np.ones(3 * H)
        if self.textbook != "z convention":
            k = HK_GRU_ORDER.index("z")
            sign[k * H:(k + 1) * H] = -1.0
        g = G["gru"]
        return {"W_x": unblocks(sign[:, None] * g["w_i"].T, *o), "W_h": unblocks(sign[:, None] * g["w_h"].T, *o),
                "b": unblocks(sign * g["b"], *o)}

    def _step(self, transformed, fw, state, x):
        if self.cls == "LSTM":
            new = transformed.apply(fw, x, state[0], state[1])
            return (new.hidden, new.cell)
        return (transformed.apply(fw, x, state[0]),)


def builtins(dtypes=(np.float64, np.float32)):
    """Every Haiku built-in, in each dtype (with Haiku's conventions mapped)."""
    return [HaikuCell(c, dt) for dt in dtypes for c in ("VanillaRNN", "LSTM", "GRU")]


def textbook_variants(dtype=np.float64):
    """One adapter per documented difference, with that part of the map dropped: each must fail, reproduced by its mutant."""
    return [(HaikuCell(c, dtype, textbook=d[0]), d) for c in DIFFERENCES for d in DIFFERENCES[c]]


versions_installed = HaikuCell.versions_installed
