"""Exact converters between the canonical layouts (docs/DESIGN.md) and PyTorch / Keras 3.

``kind`` is one of ``"rnn"``, ``"lstm"`` (the ``"forget"`` variant only: neither
library has our ``"cec"`` or ``"peephole"`` cells) or ``"gru"``. Everything is plain
NumPy: torch tensors are accepted by :func:`from_torch` through ``.detach()``
without importing torch. Every canonical → X → canonical round trip is bitwise
exact (only copies, transposes and block permutations; no arithmetic), except
where a docstring says otherwise.

Gate orders (PyTorch 2.13.0 torch/nn/modules/rnn.py; Keras 3 keras/src/layers/rnn/; docs/SOURCES.md):

=========  ============  =================  ====================================
kind       canonical     PyTorch            Keras 3
=========  ============  =================  ====================================
rnn        –             –                  –
lstm       i, f, g, o    i, f, g, o         i, f, c, o   (c is our g)
gru        r, z, n       r, z, n            z, r, h      (h is our n)
=========  ============  =================  ====================================

TF1's ``LSTMCell`` stacks i, j, f, o (j is our g) and adds ``forget_bias`` at call
time; it is not converted here (informational only).
"""

import autograd.numpy as anp
import numpy as np
from vanishing.models._validate import as_array, check_choice, check_params

__all__ = ["stack_from_torch", "GRU_GATES", "KINDS", "LSTM_GATES", "PARAM_SETS", "ParamSet", "from_keras", "from_torch",
           "param_set", "to_keras", "to_torch"]

KINDS = ("rnn", "lstm", "gru")

#: The canonical gate order of the stacked row blocks of W_x, W_h and the biases: defined here once, imported
#: everywhere it is needed (models, checks, the conformance validator).
LSTM_GATES = "ifgo"
GRU_GATES = "rzn"
_TORCH = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_KERAS = ("kernel", "recurrent_kernel", "bias")
_KERAS_GRU = (1, 0, 2)  # canonical (r, z, n) blocks → Keras (z, r, h); the permutation is its own inverse


def _family(kind):
    """The row of ``models/kinds.py`` that stands for the family ``kind`` (its canonical layout), after checking ``kind``."""
    from vanishing.models import kinds   # imported here: the cells import layouts (its gate orders)
    check_choice("kind", kind, KINDS)
    return kinds.family_row(kind)


def _one_bias(row):
    """Whether the family's canonical layout holds one summed bias ``b`` (RNN, LSTM) rather than ``b_x`` and ``b_h``."""
    return "b" in row.canonical_shapes(1, 1)


def _ordered(row, values):
    """``values`` in the order of the canonical layout's keys."""
    return {k: values[k] for k in row.canonical_shapes(1, 1)}


def _canonical(kind, params):
    """Validate canonical ``params`` of ``kind``; return (params, H, D)."""
    row = _family(kind)
    W_x, W_h = row.weight_keys
    H = D = None
    if isinstance(params, dict) and W_h in params and W_x in params:
        H = as_array(f"params[{W_h!r}]", params[W_h], ndim=2, finite=False).shape[1]
        D = as_array(f"params[{W_x!r}]", params[W_x], ndim=2, finite=False).shape[1]
    if H is None:   # the sizes unknown: only the keys and the dimensions are checked
        shapes = {k: (None,) * len(s) for k, s in row.canonical_shapes(1, 1).items()}
    else:
        shapes = row.canonical_shapes(H, D)
    return check_params("params", params, shapes), H, D


def _numpy(value):
    """A torch tensor (duck-typed through ``.detach()``) or array-like → ndarray."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return value


def _permute(M, H, order):
    """Reorder the H-row blocks of M (axis 0) into ``order``."""
    return np.concatenate([M[k * H:(k + 1) * H] for k in order], axis=0)


def _copy(M):
    """A C-contiguous copy (so transposed results own their data)."""
    return np.array(M, copy=True, order="C")


# ---------------------------------------------------------------- PyTorch

def to_torch(kind, params):
    """canonical → {weight_ih, weight_hh, bias_ih, bias_hh}, the state_dict of torch.nn.{RNN,LSTM,GRU}Cell.

    rnn/lstm: canonical ``b`` goes to ``bias_ih`` and zeros to ``bias_hh`` (PyTorch
    sums the two); parameters in the ``"two-biases"`` set (:data:`PARAM_SETS`: ``b_x``, ``b_h``
    instead of ``b``) go to ``bias_ih`` and ``bias_hh`` as they are, so both are exercised. gru: ``b_x`` → ``bias_ih`` and ``b_h`` → ``bias_hh`` exactly (they
    are not interchangeable: b_hn sits inside r⊙(W_hn h + b_hn)). Gate orders
    already agree. Load with ``cell.load_state_dict({k: torch.from_numpy(v) ...})``.
    """
    row = _family(kind)
    if _one_bias(row) and isinstance(params, dict) and "b_x" in params and "b_h" in params and "b" not in params:
        two = {k: v for k, v in params.items() if k not in ("b_x", "b_h")}
        sd = to_torch(kind, {**two, "b": np.asarray(params["b_x"])})
        sd["bias_hh"] = _copy(as_array("params['b_h']", params["b_h"], sd["bias_ih"].shape))
        return sd
    p, _, _ = _canonical(kind, params)
    W_x, W_h = row.weight_keys
    if _one_bias(row):
        return {"weight_ih": _copy(p[W_x]), "weight_hh": _copy(p[W_h]),
                "bias_ih": _copy(p["b"]), "bias_hh": np.zeros_like(p["b"])}
    return {"weight_ih": _copy(p[W_x]), "weight_hh": _copy(p[W_h]),
            "bias_ih": _copy(p["b_x"]), "bias_hh": _copy(p["b_h"])}


def from_torch(kind, tensors_or_arrays):
    """{weight_ih, weight_hh, bias_ih, bias_hh} → canonical; rnn/lstm get b = bias_ih + bias_hh.

    Accepts torch tensors or arrays, keyed as in a cell's ``state_dict()``; the
    ``_l0`` suffix of a one-layer ``nn.RNN/LSTM/GRU`` is also accepted. When
    ``bias_hh`` is all zeros (as :func:`to_torch` writes it), ``b`` is ``bias_ih``
    unchanged, so that −0.0 entries survive and the round trip is bitwise exact.
    """
    row = _family(kind)
    if not isinstance(tensors_or_arrays, dict):
        raise ValueError(f"tensors_or_arrays: expected a dict with keys {list(_TORCH)}, "
                         f"got {type(tensors_or_arrays).__name__}")
    raw = {k.removesuffix("_l0"): _numpy(v) for k, v in tensors_or_arrays.items()}
    H = D = None
    if "weight_hh" in raw and "weight_ih" in raw:
        H = as_array("tensors_or_arrays['weight_hh']", raw["weight_hh"], ndim=2, finite=False).shape[1]
        D = as_array("tensors_or_arrays['weight_ih']", raw["weight_ih"], ndim=2, finite=False).shape[1]
    nH = None if H is None else row.blocks * H
    t = check_params("tensors_or_arrays", raw, {"weight_ih": (nH, D), "weight_hh": (nH, H),
                                                "bias_ih": (nH,), "bias_hh": (nH,)})
    W_x, W_h = row.weight_keys
    if not _one_bias(row):
        return _ordered(row, {W_x: _copy(t["weight_ih"]), W_h: _copy(t["weight_hh"]),
                              "b_x": _copy(t["bias_ih"]), "b_h": _copy(t["bias_hh"])})
    # b = b_ih + b_hh (PyTorch sums them); adding +0.0 would turn a −0.0 into +0.0, so skip a zero bias_hh
    b = t["bias_ih"] + t["bias_hh"] if np.any(t["bias_hh"]) else _copy(t["bias_ih"])
    return _ordered(row, {W_x: _copy(t["weight_ih"]), W_h: _copy(t["weight_hh"]), "b": b})


# ---------------------------------------------------------------- Keras 3

def to_keras(kind, params, reset_after=True, fold_bias=False):
    """canonical → [kernel (D, n·H), recurrent_kernel (H, n·H), bias]: the list for a Keras 3 cell's set_weights.

    kernel = W_x.T and recurrent_kernel = W_h.T (Keras applies x·kernel). lstm: Keras
    order i, f, c, o equals ours, bias = b. gru: blocks reordered r, z, n → z, r, h.
    ``reset_after`` (gru only; ignored otherwise) picks the Keras convention:

    * True ↔ our ``reset="after"``: bias (2, 3H) = [b_x, b_h], reordered.
    * False ↔ our ``reset="before"``: Keras keeps one bias (3H,) and no recurrent
      bias, so b_h has no slot. Every b_h entry only adds to a pre-activation under
      "before", so the model is the same with bias = b_x + b_h; but that sum rounds
      and cannot be split back. So a nonzero b_h raises ValueError unless
      ``fold_bias=True``, which writes b_x + b_h (same function up to one rounding
      per entry; :func:`from_keras` then returns b_x + b_h and b_h = 0).
    """
    p, H, _ = _canonical(kind, params)
    row = _family(kind)
    if _one_bias(row):   # RNN, LSTM: Keras's gate order is ours, one bias
        W_x, W_h = row.weight_keys
        return [_copy(p[W_x].T), _copy(p[W_h].T), _copy(p["b"])]
    check_choice("reset_after", reset_after, (True, False))
    kernel = _copy(_permute(p["W_x"], H, _KERAS_GRU).T)
    recurrent = _copy(_permute(p["W_h"], H, _KERAS_GRU).T)
    if reset_after:
        return [kernel, recurrent, np.stack([_permute(p["b_x"], H, _KERAS_GRU), _permute(p["b_h"], H, _KERAS_GRU)])]
    if not np.any(p["b_h"]):
        bias = p["b_x"]
    elif fold_bias:
        bias = p["b_x"] + p["b_h"]  # a_k = W_xk x + W_hk(·) + (b_xk + b_hk): every bias is additive under "before"
    else:
        raise ValueError("params['b_h']: Keras GRU(reset_after=False) has no recurrent bias, and b_h has "
                         f"{int(np.count_nonzero(p['b_h']))} nonzero entries; pass fold_bias=True to store "
                         "b_x + b_h (same function, not round-trippable) or use reset_after=True")
    return [kernel, recurrent, _copy(_permute(bias, H, _KERAS_GRU))]


def from_keras(kind, weights, reset_after=True):
    """[kernel, recurrent_kernel, bias] (a Keras 3 cell's get_weights()) → canonical; inverse of :func:`to_keras`.

    A dict keyed ``kernel``, ``recurrent_kernel``, ``bias`` is accepted too. gru
    with ``reset_after=False`` returns b_x = the Keras bias and b_h = zeros.
    """
    row = _family(kind)
    if isinstance(weights, dict):
        if set(weights) != set(_KERAS):
            raise ValueError(f"weights: expected keys {list(_KERAS)}, got {sorted(weights)}")
        weights = [weights[k] for k in _KERAS]
    if not isinstance(weights, (list, tuple)) or len(weights) != 3:
        raise ValueError(f"weights: expected [kernel, recurrent_kernel, bias] (or a dict with those keys), "
                         f"got {type(weights).__name__}"
                         + (f" of length {len(weights)}" if isinstance(weights, (list, tuple)) else ""))
    kernel = as_array("weights[0] (kernel)", _numpy(weights[0]), ndim=2)
    recurrent = as_array("weights[1] (recurrent_kernel)", _numpy(weights[1]), ndim=2)
    H, D = recurrent.shape[0], kernel.shape[0]
    nH = row.blocks * H
    kernel = as_array("weights[0] (kernel)", kernel, (D, nH))
    recurrent = as_array("weights[1] (recurrent_kernel)", recurrent, (H, nH))
    if _one_bias(row):
        W_x, W_h = row.weight_keys
        bias = as_array("weights[2] (bias)", _numpy(weights[2]), (nH,))
        return _ordered(row, {W_x: _copy(kernel.T), W_h: _copy(recurrent.T), "b": _copy(bias)})
    check_choice("reset_after", reset_after, (True, False))
    W_x = _permute(kernel.T, H, _KERAS_GRU)
    W_h = _permute(recurrent.T, H, _KERAS_GRU)
    if reset_after:
        bias = as_array("weights[2] (bias)", _numpy(weights[2]), (2, nH))
        return {"W_x": W_x, "W_h": W_h, "b_x": _permute(bias[0], H, _KERAS_GRU), "b_h": _permute(bias[1], H, _KERAS_GRU)}
    bias = as_array("weights[2] (bias)", _numpy(weights[2]), (nH,))
    return {"W_x": W_x, "W_h": W_h, "b_x": _permute(bias, H, _KERAS_GRU), "b_h": np.zeros_like(bias)}


# ---------------------------------------------------------------- native parameter sets
class ParamSet:
    """A documented, linear mapping from a framework's *native* parameter set to the canonical one.

    The canonical layout sums biases that some frameworks keep apart (PyTorch's ``b_ih`` and
    ``b_hh``), and holds biases that others do not have (Flax's GRU has no recurrent bias for r
    and z). A validator that drew canonical parameters could not exercise a parameter it never
    sets: a cell that ignored ``bias_hh`` passed every check while ``bias_hh`` was zero. So an
    adapter declares its parameter set; every native parameter is then drawn independently
    (and non-zero), and the reference runs on :meth:`to_canonical` of it, with gradients w.r.t.
    the native keys by the chain rule through this map (autograd: it is written in
    ``autograd.numpy``; every map here only sums, copies or pads with zeros, so it is exact).

    ``kinds``: the protocol kinds it applies to (None: every row of ``models/kinds.py``); ``keys``: {native key: what it is}.
    """

    def __init__(self, name, kinds, keys, doc):
        self.name, self._kinds, self.keys, self.doc = name, None if kinds is None else tuple(kinds), dict(keys), doc

    @property
    def kinds(self):
        from vanishing.models import kinds   # imported here: the cells import layouts (its gate orders)
        return kinds.CELL_KINDS if self._kinds is None else self._kinds

    def __repr__(self):
        return f"ParamSet({self.name!r})"

    def shapes(self, kind, H, D):
        """{native key: shape} for a cell ``kind`` (a protocol kind: rnn-tanh, lstm, gru, ...)."""
        from vanishing.models import kinds   # imported here: the cells import layouts (its gate orders)
        base = kinds.row(kind).canonical_shapes(H, D)
        if self.name == "canonical":
            return base
        if self.name == "two-biases":
            out = {k: v for k, v in base.items() if k != "b"}
            out.update(b_x=base["b"], b_h=base["b"])
            return out
        if self.name == "one-bias":
            return {"W_x": base["W_x"], "W_h": base["W_h"], "b": base["b_x"]}
        if self.name == "gru-bhn":
            return {"W_x": base["W_x"], "W_h": base["W_h"], "b_x": base["b_x"], "b_hn": (H,)}
        if self.name == "no-bias":
            return {k: v for k, v in base.items() if not k.startswith("b_")}
        raise AssertionError(self.name)

    def to_canonical(self, kind, params):
        """The canonical parameters (exact: sums of two entries round once, like the framework's own sum)."""
        P = dict(params)
        if self.name == "canonical":
            return P
        if self.name == "two-biases":
            b_x, b_h = P.pop("b_x"), P.pop("b_h")
            P["b"] = b_x + b_h
            return P
        if self.name == "one-bias":
            b = P.pop("b")
            P["b_x"], P["b_h"] = b, 0.0 * b
            return P
        if self.name == "gru-bhn":
            b_hn = P.pop("b_hn")
            P["b_h"] = anp.concatenate([0.0 * P["b_x"][:2 * b_hn.shape[0]], b_hn])
            return P
        if self.name == "no-bias":   # b_X = 0 beside each W_X (H, D)
            P.update({"b" + k[1:]: 0.0 * P[k][:, 0] for k in list(P) if k.startswith("W_")})
            return P
        raise AssertionError(self.name)


PARAM_SETS = {p.name: p for p in [
    ParamSet("canonical", None, {},
             "the canonical layout: W_xh, W_hh, b (RNN); W_x, W_h, b with gate blocks i, f, g, o (LSTM); W_x, W_h, b_x, b_h "
             "with blocks r, z, n (GRU)"),
    ParamSet("two-biases", ("rnn-tanh", "rnn-relu", "lstm"),
             {"b_x": "the input bias (PyTorch bias_ih)", "b_h": "the recurrent bias (PyTorch bias_hh)"},
             "b_x and b_h instead of b, summed: b = b_x + b_h (PyTorch's RNN and LSTM keep bias_ih and bias_hh)"),
    ParamSet("one-bias", ("gru",), {"b": "the only bias"},
             "one bias b instead of b_x and b_h: b_x = b, b_h = 0 (Keras GRU reset_after=False, Haiku GRU; with "
             "reset='before' every bias only adds to a pre-activation, so nothing is lost)"),
    ParamSet("gru-bhn", ("gru",), {"b_hn": "the recurrent bias of the candidate, inside r⊙(W_hn h + b_hn)"},
             "b_x (3H,) and b_hn (H,) only: b_h = [0, 0, b_hn] (Flax NNX and Equinox GRUCell: no recurrent bias for r "
             "and z, whose b_h would only add to b_x)"),
    ParamSet("no-bias", ("mingru", "minlstm"), {},
             "the weights only, every bias 0: W_z, W_h (minGRU), W_f, W_i, W_h (minLSTM) (mingru-pytorch's "
             "Linear(bias=False))"),
]}


def param_set(name):
    """The :class:`ParamSet` called ``name``; ValueError naming the known ones otherwise."""
    if isinstance(name, ParamSet):
        return name
    if name not in PARAM_SETS:
        raise ValueError(f"param_set: expected one of {list(PARAM_SETS)}, got {name!r}")
    return PARAM_SETS[name]


def stack_from_torch(kind, flat, cfg):
    """``layers[l][d]`` (canonical dicts, ``W_hr`` when projected) from a module's parameters in ``named_parameters()``
    order: per layer, per direction, weight_ih, weight_hh, bias_ih, bias_hh[, weight_hr]. RNN/LSTM: b = b_ih + b_hh."""
    # imported here, not at the top: layouts needs none of the cells at import
    from vanishing.models import kinds, stacked
    check_choice("kind", kind, stacked.KINDS)
    row = kinds.row(kind)
    W_x, W_h = row.weight_keys
    if not isinstance(cfg, dict):
        raise ValueError(f"cfg: expected a dict of the module's options (num_layers, bidirectional, proj_size), got {type(cfg).__name__}")
    L, dirs = cfg.get("num_layers", 1), 2 if cfg.get("bidirectional") else 1
    per = 5 if cfg.get("proj_size") else 4
    if isinstance(L, bool) or not isinstance(L, int) or L < 1:
        raise ValueError(f"cfg['num_layers']: expected a positive int, got {L!r}")
    # a list, or autograd's box of one while the reference is differentiated w.r.t. the parameters
    n = len(flat) if hasattr(flat, "__len__") and hasattr(flat, "__getitem__") and not isinstance(flat, (str, dict)) else None
    if n != L * dirs * per:
        got = type(flat).__name__ if n is None else f"{n} arrays"
        raise ValueError(f"flat: expected {L * dirs * per} parameter arrays ({L} layer(s) x {dirs} direction(s) x {per}: weight_ih, "
                         f"weight_hh, bias_ih, bias_hh{', weight_hr' if per == 5 else ''}), got {got}")
    layers, k = [], 0
    for _ in range(L):
        lay = []
        for _ in range(dirs):
            w_ih, w_hh, b_ih, b_hh = flat[k:k + 4]
            P = {W_x: w_ih, W_h: w_hh}
            # PyTorch's two biases are summed where the canonical layout holds one (the row's torch_second_bias)
            P.update({"b": b_ih + b_hh} if row.torch_second_bias else {"b_x": b_ih, "b_h": b_hh})
            if per == 5:   # an LSTM's projection (proj_size)
                P["W_hr"] = flat[k + 4]
            lay.append(P)
            k += per
        layers.append(lay)
    return layers
