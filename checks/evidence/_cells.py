"""The LSTM (three variants) and GRU (two reset conventions) cells in SymPy, H = 2, D = 1, every entry a symbol.

The equations are transcribed from the model docstrings (models/lstm.py, models/gru.py), gate order
i, f, g, o (LSTM; cec: i, g, o) and r, z, n (GRU). σ is the atom :class:`_sym.sig`.
"""

import functools

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure

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


class GRU:
    def __init__(self):
        self.Wx, self.Wh = S.matrix("Wx", 3 * H, D), S.matrix("Wh", 3 * H, H)
        self.bx, self.bh = S.vector("bx", 3 * H), S.vector("bh", 3 * H)
        self.h, self.x = S.vector("h", H), S.vector("x", D)
        self.blk = {k: tuple(M[m * H:(m + 1) * H, :] for M in (self.Wx, self.Wh, self.bx, self.bh)) for m, k in enumerate("rzn")}

    def gates(self, h_prev, reset):
        """Every intermediate of one step, as in models/gru.py::_gates."""
        x, blk = self.x, self.blk
        a_r = blk["r"][0] * x + blk["r"][2] + blk["r"][1] * h_prev + blk["r"][3]
        a_z = blk["z"][0] * x + blk["z"][2] + blk["z"][1] * h_prev + blk["z"][3]
        r, z = a_r.applyfunc(S.sig), a_z.applyfunc(S.sig)
        W_xn, W_hn, b_xn, b_hn = blk["n"]
        if reset == "after":
            hn = W_hn * h_prev + b_hn
            a_n = W_xn * x + b_xn + r.multiply_elementwise(hn)
        else:
            hn = W_hn * r.multiply_elementwise(h_prev) + b_hn
            a_n = W_xn * x + b_xn + hn
        n = a_n.applyfunc(S.th)
        h = (sp.ones(H, 1) - z).multiply_elementwise(n) + z.multiply_elementwise(h_prev)
        return {"a_r": a_r, "a_z": a_z, "a_n": a_n, "hn": hn, "r": r, "z": z, "n": n, "h": h}

    def point(self, seed, w=1.5):
        P = {"W_x": S.points((3 * H, D), seed, -w, w), "W_h": S.points((3 * H, H), seed + 1, -w, w),
             "b_x": S.points((3 * H,), seed + 2, -1, 1), "b_h": S.points((3 * H,), seed + 3, -1, 1)}
        h, x = S.points((H,), seed + 4, -1, 1), S.points((D,), seed + 5, -2, 2)
        vals = S.values((self.Wx, P["W_x"]), (self.Wh, P["W_h"]), (self.bx, P["b_x"]), (self.bh, P["b_h"]), (self.h, h), (self.x, x))
        return P, h, x, vals


@functools.cache
def gru():
    return GRU()


def tie_dict(label, got, sym, vals, keys):
    """Tie a model's dict of intermediates to the symbolic ones (only ``keys``), each through :func:`_sym.agree`."""
    for k, want in zip(keys, S.evaluate([sym[k] for k in keys], vals)):
        ensure(k in got, f"{label}: the model returns no {k!r} (keys {sorted(got)})")
        S.agree(f"{label}[{k!r}]", np.asarray(got[k], float), want.ravel())
