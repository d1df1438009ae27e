"""The LSTM cell (three variants) in SymPy at the fixed size H = 2, D = 1, every entry a symbol (the fixed-size evidence).

The equations are transcribed from models/lstm.py, gate order i, f, g, o (cec: i, g, o); σ is the atom
:class:`_sym.sig`. The every-size derivations use _gated.py instead.
"""

import functools

import sympy as sp
from vanishing.checks.evidence import _sym as S

H, D = 2, 1
GATES = {"forget": "ifgo", "cec": "igo", "peephole": "ifgo"}


class LSTM:
    def __init__(self, variant):
        self.variant = variant
        n = len(GATES[variant])
        self.Wx, self.Wh, self.b = S.matrix("Wx", n * H, D), S.matrix("Wh", n * H, H), S.vector("b", n * H)
        self.p = {k: S.vector(f"p{k}", H) for k in "ifo"} if variant == "peephole" else {}
        self.h, self.c, self.x = S.vector("h", H), S.vector("c", H), S.vector("x", D)
        self.blk = {k: (self.Wx[m * H:(m + 1) * H, :], self.Wh[m * H:(m + 1) * H, :], self.b[m * H:(m + 1) * H, :])
                    for m, k in enumerate(GATES[variant])}

    def gates(self, h_prev, c_prev, x=None):
        """Every intermediate of one step, as in models/lstm.py::_gates."""
        x = self.x if x is None else x
        a = {k: Wx * x + Wh * h_prev + b for k, (Wx, Wh, b) in self.blk.items()}
        if self.variant == "peephole":
            a["i"] = a["i"] + S.diag(self.p["i"]) * c_prev
            a["f"] = a["f"] + S.diag(self.p["f"]) * c_prev
        i, g = a["i"].applyfunc(S.sig), a["g"].applyfunc(S.th)
        if self.variant == "cec":
            f = sp.ones(H, 1)
            c = c_prev + i.multiply_elementwise(g)
        else:
            f = a["f"].applyfunc(S.sig)
            c = f.multiply_elementwise(c_prev) + i.multiply_elementwise(g)
        if self.variant == "peephole":
            a["o"] = a["o"] + S.diag(self.p["o"]) * c
        o = a["o"].applyfunc(S.sig)
        hn = o.multiply_elementwise(c.applyfunc(S.th))
        return {"a_i": a["i"], "a_f": a.get("f"), "a_g": a["g"], "a_o": a["o"], "i": i, "f": f, "g": g, "o": o, "c": c, "h": hn}

    def point(self, seed, w=1.5):
        """(params for the model, h, c, x, {symbol: value}) at exact dyadic values."""
        n = len(GATES[self.variant])
        P = {"W_x": S.points((n * H, D), seed, -w, w), "W_h": S.points((n * H, H), seed + 1, -w, w),
             "b": S.points((n * H,), seed + 2, -1.0, 1.0)}
        pairs = [(self.Wx, P["W_x"]), (self.Wh, P["W_h"]), (self.b, P["b"])]
        for k, v in self.p.items():
            P[f"p_{k}"] = S.points((H,), seed + 3 + "ifo".index(k), -1.0, 1.0)
            pairs.append((v, P[f"p_{k}"]))
        h, c, x = S.points((H,), seed + 7, -1, 1), S.points((H,), seed + 8, -2, 2), S.points((D,), seed + 9, -2, 2)
        pairs += [(self.h, h), (self.c, c), (self.x, x)]
        return P, h, c, x, S.values(*pairs)


@functools.cache
def lstm(variant):
    return LSTM(variant)


@functools.cache
def cell_full():
    """(L, op, ∂c_t/∂c_{t−1}) at H = 2 with h_{t−1} = o_{t−1}⊙tanh(c_{t−1}), o_{t−1} = op fixed (forget variant)."""
    L = lstm("forget")
    op = S.vector("op", H)
    c = L.gates(op.multiply_elementwise(L.c.applyfunc(S.th)), L.c)["c"]
    return L, op, c.jacobian(L.c)
