"""Proofs about the GRU cell, both reset conventions: the direct path, the step Jacobian, reset before/after, the single gate.

Fixed size H = 2, D = 1 with every weight, bias, state and input a symbol (models/gru.py's equations transcribed in
_cells.py). Every H: each gate entry j reads row j of its blocks and the update is entrywise, so entry (j, l) of each
Jacobian is the same expression for any H.
"""

import sympy as sp
from vanishing.checks.evidence import _cells as C
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence

H = C.H
SIZE = "H = 2, D = 1, every weight, both biases, state and input a symbol"
ELEMENTWISE = ("Every H: each gate entry j reads row j of its blocks and the update is entrywise, so entry (j, l) of the "
               "Jacobian is the same expression for any H.")
SEEDS = (301, 402)
RESETS = ("after", "before")


def _tie_step(s, keys=("r", "z", "n", "h", "a_n")):
    G = C.gru()
    for reset in RESETS:
        sym = G.gates(G.h, reset)
        for seed in SEEDS:
            P, h, x, vals = G.point(seed)
            if hasattr(s, "gates"):
                C.tie_dict(f"gates ({reset})", s.gates(P, h, x, reset), sym, vals, keys)
            S.agree(f"step ({reset})", s.step(P, h, x, reset), S.evaluate(sym["h"], vals).ravel())


@evidence("GRU-DIRECT-PATH", "proof")
def gru_direct_path_proof(s, ctx):
    G = C.gru()
    Z, N = S.vector("Z", H), S.vector("N", H)                       # the gates held fixed: free symbols
    hn = (sp.ones(H, 1) - Z).multiply_elementwise(N) + Z.multiply_elementwise(G.h)
    S.zero(hn.jacobian(G.h) - S.diag(Z), "∂h_t/∂h_(t−1) at fixed z, n ≠ diag(z)")
    _tie_step(s)
    for reset in RESETS:
        z = G.gates(G.h, reset)["z"]
        for seed in SEEDS:
            P, h, x, vals = G.point(seed)
            S.agree(f"direct ({reset})", s.direct(P, h, x, reset), S.evaluate(S.diag(z), vals))
    return ("With z and n held fixed, ∂h_t/∂h_(t−1) = diag(z_t) under both reset conventions (SymPy)",
            (f"h_t = (1−z)⊙n + z⊙h_(t−1) with z, n free symbols ({SIZE}). {ELEMENTWISE} Tie: subject gates, step and direct "
            f"(after, before) at {len(SEEDS)} exact points each {S.within()}. {S.versions()}."))


@evidence("GRU-STEP-JACOBIAN", "proof")
def gru_step_jacobian_proof(s, ctx):
    G = C.gru()
    for reset in RESETS:
        g = G.gates(G.h, reset)
        J = g["h"].jacobian(G.h)
        Wr, Wz, Wn = (G.blk[k][1] for k in "rzn")
        dr, dz = S.diag(g["a_r"].applyfunc(S.dsig)) * Wr, S.diag(g["a_z"].applyfunc(S.dsig)) * Wz
        da_n = (S.diag(g["r"]) * Wn + S.diag(g["hn"]) * dr) if reset == "after" else Wn * (S.diag(g["r"]) + S.diag(G.h) * dr)
        closed = S.diag(g["z"]) + S.diag(G.h - g["n"]) * dz + S.diag(sp.ones(H, 1) - g["z"]) * S.diag(g["a_n"].applyfunc(S.dtanh)) * da_n
        S.zero(J - closed, f"GRU step Jacobian ({reset})")
        for seed in SEEDS:
            P, h, x, vals = G.point(seed)
            S.agree(f"step_jacobian ({reset})", s.step_jacobian(P, h, x, reset), S.evaluate(J, vals))
    _tie_step(s)
    return ("∂h_t/∂h_(t−1) = diag(z) + diag(h−n)∂z/∂h + diag(1−z)∂n/∂h, reset after and before: SymPy's Jacobian equals the closed form",
            (f"Fixed size {SIZE}; the closed form is models/gru.py::step_jacobian's docstring (∂a_n/∂h = diag(r)W_hn + "
            "diag(W_hn h + b_hn)∂r/∂h after, W_hn(diag(r) + diag(h)∂r/∂h) before). "
            f"{ELEMENTWISE} Tie: subject step_jacobian and step at {len(SEEDS)} exact points per convention "
            f"{S.within()}. {S.versions()}."))


@evidence("GRU-RESET-BEFORE-AFTER", "proof")
def gru_reset_before_after_proof(s, ctx):
    G = C.gru()
    ga, gb = G.gates(G.h, "after"), G.gates(G.h, "before")
    Wn, bhn = G.blk["n"][1], G.blk["n"][3]
    r = ga["r"]
    comm = r.multiply_elementwise(Wn * G.h) - Wn * r.multiply_elementwise(G.h)     # the reset commutator [diag(r), W_hn] h
    S.zero(ga["a_n"] - gb["a_n"] - comm - (r - sp.ones(H, 1)).multiply_elementwise(bhn), "a_n(after) − a_n(before)")
    ensure(any(sp.expand(e) != 0 for e in comm), "the commutator vanishes identically")
    _tie_step(s)
    return ("a_n(after) − a_n(before) = [diag(r), W_hn] h + (r − 1)⊙b_hn: the two conventions are different GRUs (SymPy)",
            (f"Fixed size {SIZE}. The commutator diag(r)W_hn − W_hn diag(r) is not identically zero (it is for diagonal W_hn or "
            f"constant r). Tie: subject gates (a_n, r, z, n, h) and step under both conventions at {len(SEEDS)} exact points "
            f"{S.within()}. {S.versions()}."))


@evidence("GRU-SINGLE-GATE-INTERPOLATION", "proof")
def gru_single_gate_interpolation_proof(s, ctx):
    G = C.gru()
    for reset in RESETS:
        g = G.gates(G.h, reset)
        keep, write = S.diag(g["z"]), S.diag(sp.ones(H, 1) - g["z"])
        S.zero(g["h"] - (keep * G.h + write * g["n"]), "h ≠ z⊙h + (1−z)⊙n")
        S.zero(keep + write - sp.eye(H), "keep + write ≠ 1")
    _tie_step(s)
    return ("h_t = z⊙h_(t−1) + (1−z)⊙n: one gate z sets both the kept share z and the written share 1 − z (they sum to 1; SymPy)",
            (f"Fixed size {SIZE}, both conventions. {ELEMENTWISE} Tie: subject gates and step at {len(SEEDS)} exact points per "
            f"convention {S.within()}. {S.versions()}."))
