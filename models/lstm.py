"""LSTM cell: the forward step beside its hand-derived local Jacobians.

Three variants share one code path (canonical layouts in docs/DESIGN.md):

* ``"forget"`` (default): Gers, Schmidhuber & Cummins 2000, "Learning to forget";
  PyTorch's ``LSTMCell``. ``W_x (4H,D)``, ``W_h (4H,H)``, ``b (4H,)``, gate order i, f, g, o.
* ``"cec"``: Hochreiter & Schmidhuber 1997, no forget gate, ``c_t = c_{t-1} + i⊙g``
  (the constant error carousel). ``W_x (3H,D)``, ``W_h (3H,H)``, ``b (3H,)``, order i, g, o.
* ``"peephole"``: Gers & Schmidhuber 2000 diagonal peepholes, as in TF1's
  ``LSTMCell(use_peepholes=True)``: the forget layout plus ``p_i, p_f, p_o (H,)``;
  i and f see ``c_{t-1}``, o sees the new ``c_t``.

Every step computes, for k in the variant's gates,
``a_k = W_xk x_t + W_hk h_{t-1} + b_k`` (+ peephole term),
``i = σ(a_i)``, ``f = σ(a_f)``, ``g = tanh(a_g)``, ``o = σ(a_o)``,
``c_t = f⊙c_{t-1} + i⊙g``, ``h_t = o⊙tanh(c_t)``.
``W_hk`` is the k-th H-row block of ``W_h``. Seed 003_e8e07349f9f637ad.txt calls g the candidate c̃_t and
its weights W_c, and writes ``W_k·[h_{t-1}, x_t]`` for ``W_hk h_{t-1} + W_xk x_t``.
"""

import autograd.numpy as np
import numpy as onp
from vanishing.models._validate import as_array, check_choice, check_params, plain_dict
from vanishing.models.activations import get_activation
from vanishing.models.layouts import LSTM_GATES

#: The activations inside validated_once: the step validated its arguments (one way to skip validation, models/_validate.py).
_SIGMOID, _TANH = get_activation("sigmoid", kernels=True), get_activation("tanh", kernels=True)
sigmoid, sigmoid_prime, tanh, tanh_prime = _SIGMOID.f, _SIGMOID.df, _TANH.f, _TANH.df

__all__ = [
    "VARIANTS",
    "cell_jacobian_terms",
    "cell_jacobian_terms_seed003",
    "direct_path_jacobian",
    "forward",
    "gates",
    "h_jacobian",
    "init_params",
    "param_count",
    "step",
]

VARIANTS = ("forget", "cec", "peephole")
#: Row-block order of W_x, W_h, b per variant (the 1997 CEC cell has no forget gate).
GATES = {"forget": LSTM_GATES, "cec": LSTM_GATES.replace("f", ""), "peephole": LSTM_GATES}


# ---------------------------------------------------------------- validation helpers

def _layout(H, D, variant):
    """{key: shape} of the canonical parameters of ``variant`` (None where H or D is unknown)."""
    n = len(GATES[variant])
    nH = None if H is None else n * H
    shapes = {"W_x": (nH, D), "W_h": (nH, H), "b": (nH,)}
    if variant == "peephole":
        shapes.update({"p_i": (H,), "p_f": (H,), "p_o": (H,)})
    return shapes


def _params(params, variant):
    """Validate ``variant`` and ``params``; return (params, H, D)."""
    check_choice("variant", variant, VARIANTS)
    params = plain_dict(params)
    H = D = None
    if isinstance(params, dict) and "W_h" in params and "W_x" in params:
        H = as_array("params['W_h']", params["W_h"], ndim=2, finite=False).shape[1]
        D = as_array("params['W_x']", params["W_x"], ndim=2, finite=False).shape[1]
    return check_params("params", params, _layout(H, D, variant)), H, D


def _size(name, value):
    """Validate a positive int size (H or D)."""
    if isinstance(value, bool) or not isinstance(value, (int, onp.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value!r}")
    return int(value)


def _blocks(p, variant, H):
    """{k: (W_xk, W_hk, b_k)}: the H-row blocks of the stacked parameters, per gate."""
    return {k: (p["W_x"][n * H:(n + 1) * H], p["W_h"][n * H:(n + 1) * H], p["b"][n * H:(n + 1) * H])
            for n, k in enumerate(GATES[variant])}


# ---------------------------------------------------------------- forward

def _gates(p, h_prev, c_prev, x, variant, H):
    """Unvalidated body of :func:`gates`."""
    blk = _blocks(p, variant, H)
    a = {k: Wx @ x + Wh @ h_prev + b for k, (Wx, Wh, b) in blk.items()}  # a_k = W_xk x + W_hk h_{t-1} + b_k
    if variant == "peephole":  # Gers & Schmidhuber 2000: i and f peek at the old cell
        a["i"] = a["i"] + p["p_i"] * c_prev  # a_i += p_i⊙c_{t-1}
        a["f"] = a["f"] + p["p_f"] * c_prev  # a_f += p_f⊙c_{t-1}
    i, g = sigmoid(a["i"]), tanh(a["g"])  # i = σ(a_i), g = tanh(a_g)
    if variant == "cec":
        f = np.ones(H)  # no forget gate: f ≡ 1 (Hochreiter & Schmidhuber 1997)
        c = c_prev + i * g  # c_t = c_{t-1} + i⊙g, the constant error carousel
    else:
        f = sigmoid(a["f"])  # f = σ(a_f) (Gers, Schmidhuber & Cummins 2000)
        c = f * c_prev + i * g  # c_t = f⊙c_{t-1} + i⊙g; seed 003_e8e07349f9f637ad.txt eq. (5)
    if variant == "peephole":
        a["o"] = a["o"] + p["p_o"] * c  # a_o += p_o⊙c_t: o sees the NEW cell (Gers & Schmidhuber 2000)
    o = sigmoid(a["o"])  # o = σ(a_o)
    h = o * tanh(c)  # h_t = o⊙tanh(c_t); seed 003_e8e07349f9f637ad.txt
    return {"a_i": a["i"], "a_f": a.get("f"), "a_g": a["g"], "a_o": a["o"],
            "i": i, "f": f, "g": g, "o": o, "c": c, "h": h}


def _inputs(params, h_prev, c_prev, x, variant):
    """Validate the arguments of one step; return (params, H, D, h_prev, c_prev, x)."""
    p, H, D = _params(params, variant)
    h_prev = as_array("h_prev", h_prev, (H,))
    c_prev = as_array("c_prev", c_prev, (H,))
    x = as_array("x", x, (D,))
    return p, H, D, h_prev, c_prev, x


def gates(params, h_prev, c_prev, x, variant="forget"):
    """a_k = W_xk x + W_hk h_{t-1} + b_k, c_t = f⊙c_{t-1} + i⊙g, h_t = o⊙tanh(c_t): every intermediate of one step.

    Returns a dict with pre-activations ``"a_i", "a_f", "a_g", "a_o"`` and
    ``"i", "f", "g", "o", "c", "h"``, each of shape (H,). Peephole terms are inside
    the pre-activations. For ``variant="cec"`` there is no forget gate:
    ``"a_f"`` is None and ``"f"`` is an array of ones.
    """
    p, H, _, h_prev, c_prev, x = _inputs(params, h_prev, c_prev, x, variant)
    return _gates(p, h_prev, c_prev, x, variant, H)


def step(params, h_prev, c_prev, x, variant="forget"):
    """(h_t, c_t) = LSTM(h_{t-1}, c_{t-1}, x_t): one step, returns two (H,) arrays."""
    s = gates(params, h_prev, c_prev, x, variant)
    return s["h"], s["c"]


def forward(params, h0, c0, xs, variant="forget"):
    """h_t, c_t = LSTM(h_{t-1}, c_{t-1}, x_t) for t = 1..T: returns (hs, cs), each (T, H)."""
    p, H, D = _params(params, variant)
    h, c = as_array("h0", h0, (H,)), as_array("c0", c0, (H,))
    xs = as_array("xs", xs, (None, D))
    hs, cs = [], []
    for t in range(xs.shape[0]):
        s = _gates(p, h, c, xs[t], variant, H)
        h, c = s["h"], s["c"]
        hs.append(h)
        cs.append(c)
    if not hs:  # T = 0: empty trajectories, not an error
        return np.zeros((0, H)), np.zeros((0, H))
    return np.stack(hs), np.stack(cs)


# ---------------------------------------------------------------- hand-derived Jacobians

def direct_path_jacobian(params, h_prev, c_prev, x, variant="forget"):
    """∂c_t/∂c_{t-1} = diag(f_t) (+ peephole terms) with h_{t-1} held fixed: the cell's direct path, (H, H).

    * ``"forget"``: diag(f_t) (seed 002_bb1b917dbc2d752a.txt; seed 003_e8e07349f9f637ad.txt eq. (6) B_t).
    * ``"cec"``: the identity, since c_t = c_{t-1} + i⊙g (Hochreiter & Schmidhuber 1997).
    * ``"peephole"``: i and f also read c_{t-1}, so with h_{t-1} fixed
      diag(f + c_{t-1}⊙σ'(a_f)⊙p_f + g⊙σ'(a_i)⊙p_i), still diagonal because the
      peepholes are diagonal (Gers & Schmidhuber 2000). Not just diag(f).
    """
    p, H, _, h_prev, c_prev, x = _inputs(params, h_prev, c_prev, x, variant)
    s = _gates(p, h_prev, c_prev, x, variant, H)
    if variant == "cec":
        return np.eye(H)  # ∂(c_{t-1} + i⊙g)/∂c_{t-1} = I: the constant error carousel
    d = s["f"]  # ∂(f⊙c_{t-1})/∂c_{t-1} at fixed f = diag(f_t); seed 003_e8e07349f9f637ad.txt eq. (6) B_t
    if variant == "peephole":
        d = d + c_prev * sigmoid_prime(s["a_f"]) * p["p_f"]  # + diag(c_{t-1}⊙σ'(a_f)) ∂a_f/∂c_{t-1}, ∂a_f/∂c_{t-1} = diag(p_f)
        d = d + s["g"] * sigmoid_prime(s["a_i"]) * p["p_i"]  # + diag(g⊙σ'(a_i)) ∂a_i/∂c_{t-1}, ∂a_i/∂c_{t-1} = diag(p_i)
    return np.diag(d)


def _cell_terms(p, c_prev, o_prev, x, variant, H):
    """Unvalidated body of :func:`cell_jacobian_terms`."""
    h_prev = o_prev * tanh(c_prev)  # h_{t-1} = o_{t-1}⊙tanh(c_{t-1}); seed 003_e8e07349f9f637ad.txt
    s = _gates(p, h_prev, c_prev, x, variant, H)
    Wh = {k: blk[1] for k, blk in _blocks(p, variant, H).items()}
    dh = np.diag(o_prev * tanh_prime(c_prev))  # ∂h_{t-1}/∂c_{t-1} = diag(o_{t-1}⊙tanh'(c_{t-1})), o_{t-1} fixed
    da_i = Wh["i"] @ dh  # ∂a_i/∂c_{t-1} = W_hi ∂h_{t-1}/∂c_{t-1}
    if variant == "peephole":
        da_i = da_i + np.diag(p["p_i"])  # + diag(p_i): i peeks at c_{t-1}
    if variant == "cec":
        A, B = np.zeros((H, H)), np.eye(H)  # no forget gate: nothing through f, direct path I
    else:
        da_f = Wh["f"] @ dh  # ∂a_f/∂c_{t-1} = W_hf ∂h_{t-1}/∂c_{t-1}
        if variant == "peephole":
            da_f = da_f + np.diag(p["p_f"])  # + diag(p_f): f peeks at c_{t-1}
        # A = diag(c_{t-1}⊙σ'(a_f)) ∂a_f/∂c_{t-1}: through f_t; seed 003_e8e07349f9f637ad.txt A_t
        A = np.diag(c_prev * sigmoid_prime(s["a_f"])) @ da_f
        B = np.diag(s["f"])  # B = diag(f_t): the direct path; seed 003_e8e07349f9f637ad.txt B_t
    # C = diag(c̃_t⊙σ'(a_i)) ∂a_i/∂c_{t-1}: through i_t; seed 003_e8e07349f9f637ad.txt C_t as printed in eq. (6)
    C = np.diag(s["g"] * sigmoid_prime(s["a_i"])) @ da_i
    # D = diag(i_t⊙tanh'(a_g)) W_hg ∂h_{t-1}/∂c_{t-1}: through c̃_t = tanh(a_g), so tanh' (the seed writes σ')
    D = np.diag(s["i"] * tanh_prime(s["a_g"])) @ Wh["g"] @ dh
    # ∂c_t/∂c_{t-1} = A + B + C + D; seed 003_e8e07349f9f637ad.txt eq. (6)
    return {"A": A, "B": B, "C": C, "D": D, "full": A + B + C + D}


def cell_jacobian_terms(params, c_prev, o_prev, x, variant="forget"):
    """∂c_t/∂c_{t-1} = A + B + C + D with h_{t-1} = o_{t-1}⊙tanh(c_{t-1}), o_{t-1} fixed; seed 003_e8e07349f9f637ad.txt eq. (6) corrected.

    Returns ``{"A", "B", "C", "D", "full"}``, each (H, H), with ``dh = diag(o_{t-1}⊙tanh'(c_{t-1}))``:

    * A (through f_t) = diag(c_{t-1}⊙σ'(a_f)) W_hf dh
    * B (direct path) = diag(f_t)
    * C (through i_t) = diag(g_t⊙σ'(a_i)) W_hi dh
    * D (through the candidate g_t = c̃_t) = diag(i_t⊙tanh'(a_g)) W_hg dh
    * full = A + B + C + D, the whole ∂c_t/∂c_{t-1} under the stated assumption.

    W_hk is gate k's H×H block of W_h. For ``"cec"``: A = 0 and B = I. For
    ``"peephole"``: diag(p_f) is added inside A's ∂a_f/∂c_{t-1} and diag(p_i)
    inside C's ∂a_i/∂c_{t-1}. Holding o_{t-1} fixed is the seed's assumption; in
    the peephole cell o_{t-1} itself depends on c_{t-1} (through p_o), a path
    this function leaves out by design (o_prev is an input).
    """
    p, H, D = _params(params, variant)
    c_prev = as_array("c_prev", c_prev, (H,))
    o_prev = as_array("o_prev", o_prev, (H,))
    x = as_array("x", x, (D,))
    return _cell_terms(p, c_prev, o_prev, x, variant, H)


def cell_jacobian_terms_seed003(params, c_prev, o_prev, x):
    """A_t + B_t + C_t + D_t as seed 003_e8e07349f9f637ad.txt eq. (6) and its appendix print them (partly WRONG).

    Seed 003_e8e07349f9f637ad.txt (Arbel, "How LSTM networks solve the problem of vanishing gradients")
    writes, with σ'(·) applied to ``W_k·[h_{t-1}, x_t]`` (we include our bias b_k; the
    seed drops biases "for simplicity") and ``dh = o_{t-1}⊗tanh'(c_{t-1})``:

        A_t = σ'(W_f·[h,x]) · W_f · dh · c_{t-1}        correct
        B_t = f_t                                        correct, read as diag(f_t)
        C_t = σ'(W_i·[h,x]) · W_i · dh · c̃_t            correct as printed in eq. (6)
        C_t = σ'(W_c·[h,x]) · W_c · dh · c̃_t            WRONG, the appendix's derivation
        D_t = σ'(W_c·[h,x]) · W_c · dh · i_t            WRONG

    What is wrong: (1) D_t differentiates c̃_t = tanh(W_c·[h,x]) with σ' where
    tanh' belongs (the appendix even rewrites c̃_t as σ(W_c·[h,x])); since
    tanh'(a) = 4σ'(2a), at a = 0 the seed's D_t is 4× too small. (2) The appendix's
    derivation of C_t (∂i_t/∂c_{t-1}) uses the candidate's W_c and σ'(W_c·[h,x]) instead
    of the input gate's W_i and σ'(W_i·[h,x]), contradicting eq. (6) itself. Its first
    line also writes ∂h_t/∂c_{t-1} for ∂h_{t-1}/∂c_{t-1} (a typo, harmless).

    Reading of the notation (ours, documented): W_k·[h,x] differentiated in c_{t-1}
    keeps only the h-block W_hk; a gate vector next to a matrix is diag(vector); the
    trailing factor (c_{t-1}, c̃_t, i_t) comes from the product rule ∂(u⊙v)/∂c =
    diag(v)∂u/∂c, so it scales rows. Under this reading A, B and eq.-(6) C agree
    with :func:`cell_jacobian_terms`; D and the appendix C do not. Returns
    ``{"A", "B", "C", "C_appendix", "D", "full"}`` with full = A + B + C + D (eq. (6)).
    Also note eq. (4) chains ∂c_t/∂c_{t-1} alone with o_{t-1} held fixed, which
    leaves out the path c_{t-2} → h_{t-2} → o_{t-1} → h_{t-1}: the true state is (h, c).
    """
    p, H, D = _params(params, "forget")
    c_prev = as_array("c_prev", c_prev, (H,))
    o_prev = as_array("o_prev", o_prev, (H,))
    x = as_array("x", x, (D,))
    h_prev = o_prev * tanh(c_prev)  # h_{t-1} = o_{t-1}⊗tanh(c_{t-1}); seed 003_e8e07349f9f637ad.txt
    s = _gates(p, h_prev, c_prev, x, "forget", H)
    W = {k: blk[1] for k, blk in _blocks(p, "forget", H).items()}  # W_f, W_i, W_c restricted to h_{t-1}
    dh = np.diag(o_prev * tanh_prime(c_prev))  # "o_{t-1} ⊗ tanh'(c_{t-1})"; seed 003_e8e07349f9f637ad.txt appendix
    # seed 003_e8e07349f9f637ad.txt eq. (6), term by term (the trailing factor scales rows, see the docstring):
    # A_t = σ'(W_f·[h,x]) · W_f · dh · c_{t-1}
    A = np.diag(c_prev) @ np.diag(sigmoid_prime(s["a_f"])) @ W["f"] @ dh
    # B_t = f_t
    B = np.diag(s["f"])
    # C_t = σ'(W_i·[h,x]) · W_i · dh · c̃_t
    C = np.diag(s["g"]) @ np.diag(sigmoid_prime(s["a_i"])) @ W["i"] @ dh
    # C_t as derived in the appendix: σ'(W_c·[h,x]) · W_c · dh · c̃_t  (the candidate's weights: wrong gate)
    C_app = np.diag(s["g"]) @ np.diag(sigmoid_prime(s["a_g"])) @ W["g"] @ dh
    # D_t = σ'(W_c·[h,x]) · W_c · dh · i_t  (σ' where c̃_t = tanh(·) needs tanh')
    Dt = np.diag(s["i"]) @ np.diag(sigmoid_prime(s["a_g"])) @ W["g"] @ dh
    return {"A": A, "B": B, "C": C, "C_appendix": C_app, "D": Dt, "full": A + B + C + Dt}


def h_jacobian(params, h_prev, c_prev, x, variant="forget"):
    """∂h_t/∂h_{t-1} = diag(tanh(c_t)⊙σ'(a_o)) ∂a_o/∂h_{t-1} + diag(o_t⊙tanh'(c_t)) ∂c_t/∂h_{t-1}, c_{t-1} fixed: (H, H).

    With ∂c_t/∂h_{t-1} = diag(c_{t-1}⊙σ'(a_f)) W_hf + diag(g⊙σ'(a_i)) W_hi
    + diag(i⊙tanh'(a_g)) W_hg (no f term for ``"cec"``) and ∂a_o/∂h_{t-1} = W_ho,
    plus diag(p_o) ∂c_t/∂h_{t-1} for ``"peephole"`` because o sees c_t.
    """
    p, H, _, h_prev, c_prev, x = _inputs(params, h_prev, c_prev, x, variant)
    s = _gates(p, h_prev, c_prev, x, variant, H)
    Wh = {k: blk[1] for k, blk in _blocks(p, variant, H).items()}
    dc = np.diag(s["g"] * sigmoid_prime(s["a_i"])) @ Wh["i"]  # ∂(i⊙g)/∂h via i: diag(g⊙σ'(a_i)) W_hi
    dc = dc + np.diag(s["i"] * tanh_prime(s["a_g"])) @ Wh["g"]  # ∂(i⊙g)/∂h via g: diag(i⊙tanh'(a_g)) W_hg
    if variant != "cec":
        dc = dc + np.diag(c_prev * sigmoid_prime(s["a_f"])) @ Wh["f"]  # ∂(f⊙c_{t-1})/∂h: diag(c_{t-1}⊙σ'(a_f)) W_hf
    da_o = Wh["o"]  # ∂a_o/∂h_{t-1} = W_ho
    if variant == "peephole":
        da_o = da_o + np.diag(p["p_o"]) @ dc  # + diag(p_o) ∂c_t/∂h_{t-1}: o sees c_t (Gers & Schmidhuber 2000)
    # h_t = o⊙tanh(c_t)  ⇒  ∂h_t/∂h_{t-1} = diag(tanh(c_t)⊙σ'(a_o)) ∂a_o/∂h + diag(o⊙tanh'(c_t)) ∂c_t/∂h
    return np.diag(tanh(s["c"]) * sigmoid_prime(s["a_o"])) @ da_o + np.diag(s["o"] * tanh_prime(s["c"])) @ dc


# ---------------------------------------------------------------- parameters

def init_params(H, D, rng, scale=1.0, variant="forget", forget_bias=0.0):
    """θ ~ U(−k, k), k = scale/√H (PyTorch's LSTMCell init at scale=1); b_f += forget_bias.

    ``rng`` is a ``numpy.random.Generator``. ``forget_bias`` is stored in the f block
    of ``b`` (unlike TF1, which adds it at call time); it must be 0 for ``"cec"``.
    Peephole weights p_i, p_f, p_o are drawn from the same U(−k, k).
    """
    H, D = _size("H", H), _size("D", D)
    check_choice("variant", variant, VARIANTS)
    if not isinstance(rng, onp.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    scale = float(as_array("scale", scale, ()))
    forget_bias = float(as_array("forget_bias", forget_bias, ()))
    if scale < 0:
        raise ValueError(f"scale: expected a finite value >= 0, got {scale}")
    if variant == "cec" and forget_bias != 0:
        raise ValueError(f"forget_bias: the 'cec' variant has no forget gate, got forget_bias={forget_bias}")
    k = scale / onp.sqrt(H)
    n = len(GATES[variant])
    params = {"W_x": rng.uniform(-k, k, (n * H, D)), "W_h": rng.uniform(-k, k, (n * H, H)), "b": rng.uniform(-k, k, n * H)}
    if variant != "cec":
        params["b"][H:2 * H] += forget_bias  # f is the second block (order i, f, g, o)
    if variant == "peephole":
        params.update({key: rng.uniform(-k, k, H) for key in ("p_i", "p_f", "p_o")})
    return params


def param_count(H, D, variant="forget"):
    """n·(H·D + H² + H) with n = 4 gates (3 for "cec"), + 3H peephole weights: the canonical count.

    PyTorch's LSTMCell has 4(HD + H² + 2H) because it stores two bias vectors.
    """
    H, D = _size("H", H), _size("D", D)
    check_choice("variant", variant, VARIANTS)
    n = len(GATES[variant])
    return n * (H * D + H * H + H) + (3 * H if variant == "peephole" else 0)
