"""Proofs about the LSTM cell: direct paths, the four terms of ∂c_t/∂c_{t−1}, ∂h_t/∂h_{t−1}, gate ranges, counts.

Fixed size H = 2, D = 1, every weight, bias, peephole, state and input a symbol (models/lstm.py's equations
transcribed in _cells.py). Every H: the cell is elementwise in its gates (i, f, g, o, c, h are vectors whose
entry j reads row j of each block), so entry (j, l) of each Jacobian is the same expression for any H, with
sums over one hidden index; the direct paths are diagonal because f⊙c_{t−1} is entrywise.
"""

import functools
from functools import reduce

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _cells as C
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence

H = C.H
SIZE = "H = 2, D = 1, every weight, bias, peephole weight, state and input a symbol"
ELEMENTWISE = ("Every H: each gate entry j reads row j of its blocks and the update is entrywise, so entry (j, l) of every "
               "Jacobian here is the same expression for any H (the H = 2 identity with the index ranges widened).")
SEEDS = (101, 202)


def _direct(variant):
    L = C.lstm(variant)
    s = L.gates(L.h, L.c)
    return L, s, s["c"].jacobian(L.c)                                # ∂c_t/∂c_{t−1} with h_{t−1} fixed


def _tie_gates(s_gates, variant, seeds=SEEDS, keys=("i", "f", "g", "o", "c", "h")):
    L = C.lstm(variant)
    sym = L.gates(L.h, L.c)
    for seed in seeds:
        P, h, c, x, vals = L.point(seed)
        C.tie_dict(f"gates ({variant})", s_gates(P, h, c, x, variant), sym, vals, keys)


def _tie_direct(s_direct, variant, closed, seeds=SEEDS):
    L = C.lstm(variant)
    for seed in seeds:
        P, h, c, x, vals = L.point(seed)
        S.agree(f"direct_path_jacobian ({variant})", s_direct(P, h, c, x, variant), S.evaluate(closed, vals))


@evidence("LSTM-CELL-DIRECT-PATH", "proof")
def lstm_cell_direct_path_proof(s, ctx):
    _L, g, J = _direct("forget")
    S.zero(J - S.diag(g["f"]), "∂c_t/∂c_(t−1)|_h ≠ diag(f_t)")
    _tie_gates(s.gates, "forget")
    _tie_direct(s.direct, "forget", S.diag(g["f"]))
    return ("With h_(t−1) held fixed, ∂c_t/∂c_(t−1) = diag(f_t): SymPy differentiates c_t = f⊙c_(t−1) + i⊙g",
            (f"Fixed size {SIZE}. {ELEMENTWISE} Tie: subject gates and direct (forget variant) at {len(SEEDS)} exact points "
            f"equal the symbolic values {S.within()}. {S.versions()}."))


@evidence("LSTM-PEEPHOLE-DIRECT-PATH", "proof")
def lstm_peephole_direct_path_proof(s, ctx):
    L, g, J = _direct("peephole")
    closed = S.diag(g["f"] + L.c.multiply_elementwise(g["a_f"].applyfunc(S.dsig)).multiply_elementwise(L.p["f"])
                    + g["g"].multiply_elementwise(g["a_i"].applyfunc(S.dsig)).multiply_elementwise(L.p["i"]))
    S.zero(J - closed, "peephole direct path")
    ensure(all(sp.expand(J[i, j]) == 0 for i in range(H) for j in range(H) if i != j), "the peephole direct path is not diagonal")
    ensure(any(sp.expand((J - S.diag(g["f"]))[i, i]) != 0 for i in range(H)), "the peephole direct path is diag(f)")
    _tie_gates(s.gates, "peephole")
    _tie_direct(s.direct, "peephole", closed)
    return ("With peepholes, ∂c_t/∂c_(t−1)|_h = diag(f + c_(t−1)⊙σ'(a_f)⊙p_f + g⊙σ'(a_i)⊙p_i): diagonal, and not diag(f) (SymPy)",
            (f"Fixed size {SIZE}. The off-diagonal entries expand to 0 and the diagonal differs from f by the peephole terms. "
            f"{ELEMENTWISE} Tie: subject gates and direct (peephole) at {len(SEEDS)} exact points {S.within()}. {S.versions()}."))


@evidence("LSTM-CEC-CONSTANT-ERROR", "proof")
def lstm_cec_constant_error_proof(s, ctx):
    L, _g, J = _direct("cec")
    S.zero(J - sp.eye(H), "the CEC direct path is not I")
    _tie_gates(s.gates, "cec")
    for seed in SEEDS:
        P, h, c, x, _ = L.point(seed)
        got = np.asarray(s.direct(P, h, c, x, "cec"), float)
        ensure(np.array_equal(got, np.eye(H)), f"subject direct (cec) is not exactly I: {got}")
    return ("The 1997 carousel c_t = c_(t−1) + i⊙g has ∂c_t/∂c_(t−1)|_h = I, so along the direct path ∂c_T/∂c_0 = I^T = I for every T",
            (f"Fixed size {SIZE}; every T by induction (I·I = I). {ELEMENTWISE} Tie: subject gates (cec) equal the symbolic step "
            f"{S.within()} and subject direct is exactly I at {len(SEEDS)} points. {S.versions()}."))


def _log_bounds():
    """ln x ≤ x − 1 and ln x ≥ 1 − 1/x on x > 0: φ = x − 1 − ln x and ψ = ln x − 1 + 1/x vanish at 1 with derivatives changing sign there."""
    x = sp.Symbol("x", positive=True)
    phi, psi = x - 1 - sp.log(x), sp.log(x) - 1 + 1 / x
    ensure(phi.subs(x, 1) == 0 and sp.cancel(sp.diff(phi, x) - (x - 1) / x) == 0, "φ")
    ensure(psi.subs(x, 1) == 0 and sp.cancel(sp.diff(psi, x) - (x - 1) / x ** 2) == 0, "ψ")
    return True


@evidence("LSTM-DIRECT-PATH-PRODUCT", "proof")
def lstm_direct_path_product_proof(s, ctx):
    f = sp.symbols("f0:3", positive=True)
    Dg = [sp.diag(fi, fi + 1) for fi in f]                         # diagonal matrices multiply entrywise
    S.zero(Dg[2] * Dg[1] * Dg[0] - sp.diag(f[0] * f[1] * f[2], (f[0] + 1) * (f[1] + 1) * (f[2] + 1)), "diag product")
    _log_bounds()
    _L, g, J = _direct("forget")
    S.zero(J - S.diag(g["f"]), "∂c_t/∂c_(t−1)|_h ≠ diag(f_t)")
    _tie_gates(s.gates, "forget")
    _tie_direct(s.direct, "forget", S.diag(g["f"]))
    return ("Along the direct path ∂c_T/∂c_0 = ∏ diag(f_t) = diag(∏ f_t), and e^(−Σ(1−f)/f) ≤ ∏f ≤ e^(−Σ(1−f)) from 1 − 1/x ≤ ln x ≤ x − 1",
            (f"Each step's direct path is diag(f_t) (SymPy, {SIZE}); diagonal matrices multiply entrywise (checked), so the product "
            "is diag(∏f_t) for every T by induction; φ = x − 1 − ln x and ψ = ln x − 1 + 1/x vanish at 1 and have derivatives "
            "(x−1)/x and (x−1)/x² (SymPy), so both are ≥ 0 on x > 0; summing ln f_t gives the two exponential bounds, and "
            f"∏f ≤ (max f)^T is monotonicity. The float64 part (f_t = 1 exactly iff a_f ≥ 36.7368) is covered by ACT-SIGMOID-RANGE-FLOAT. "
            f"Tie: subject gates and direct at {len(SEEDS)} exact points {S.within()}. {S.versions()}."))


@evidence("LSTM-FORGET-BIAS-LEVER", "proof")
def lstm_forget_bias_lever_proof(s, ctx):
    a = sp.symbols("a0:3", real=True)
    bf = sp.Symbol("b", real=True)
    prod = sp.Mul(*[S.sig(ai + bf) for ai in a])
    S.zero(sp.diff(prod, bf) - prod * sum(1 - S.sig(ai + bf) for ai in a), "∂∏σ(a_t + b)/∂b ≠ ∏σ·Σ(1 − σ)")
    _log_bounds()                                                   # ∏f ≤ e^{−Σ(1−f)} = e^{−S}, so ∏f·S ≤ S e^{−S}
    u = sp.Symbol("u", nonnegative=True)
    ensure(sp.solve(sp.diff(u * sp.exp(-u), u), u) == [1] and sp.diff(u * sp.exp(-u), u, 2).subs(u, 1) < 0
           and (u * sp.exp(-u)).subs(u, 1) == sp.exp(-1), "sup_{s ≥ 0} s e^(−s) ≠ 1/e")
    L = C.lstm("forget")
    sym = L.gates(L.h, L.c)
    for seed in SEEDS:
        steps, want_f = [], []
        for t in range(3):                                          # three steps with h frozen, inputs varying
            P, h, c, x, vals = L.point(seed)
            x = S.points((C.D,), seed + 20 + t, -2, 2)
            vals.update(S.values((L.x, x)))
            steps.append(s.gates(P, h, c, x, "forget"))
            want_f.append(S.evaluate(sym["f"], vals).ravel())
        want_f = np.array(want_f)
        for st, wf in zip(steps, want_f):
            S.agree("gates f", np.asarray(st["f"], float), wf)
        want = np.diag(np.prod(want_f, axis=0) * np.sum(1.0 - want_f, axis=0))
        S.agree("lever", s.lever(steps), want)
    return ("∂(∏_t f_t)/∂b_f = diag(∏f ⊙ Σ(1 − f_t)) (SymPy, 3 steps), and 0 ≤ ∏f·Σ(1−f) ≤ sup_(s≥0) s e^(−s) = 1/e",
            ("σ' = σ(1−σ) gives d ln σ(a+b)/db = 1 − σ; SymPy checks the product rule for T = 3 (every T: the log-derivative of a "
            "product is the sum, induction). With S = Σ(1 − f_t): ln ∏f ≤ −S (ln x ≤ x − 1, proved), so ∏f·S ≤ S e^(−S) ≤ 1/e "
            f"(unique critical point s = 1, a maximum). Tie: subject gates' f over 3 steps and lever at {len(SEEDS)} exact points "
            f"{S.within()}. {S.versions()}."))


def _ranges():
    """σ(x) ∈ (0, 1), tanh(x) ∈ (−1, 1): with t = e^{−x} > 0 (or e^{−2x}), 1/(1+t) and (1−t)/(1+t) are strictly inside."""
    t = sp.Symbol("t", positive=True)
    ensure((1 / (1 + t)).is_positive and (1 - 1 / (1 + t)).simplify().is_positive, "σ range")
    ensure((1 - (1 - t) / (1 + t)).simplify().is_positive and (1 + (1 - t) / (1 + t)).simplify().is_positive, "tanh range")
    x = sp.Symbol("x", real=True)
    ensure(sp.simplify(((1 - t) / (1 + t)).subs(t, sp.exp(-2 * x)) - S.th(x).rewrite(sp.exp)) == 0, "tanh ≠ (1−t)/(1+t), t = e^(−2x)")
    return True


@evidence("LSTM-GATE-RANGES", "proof")
def lstm_gate_ranges_proof(s, ctx):
    _ranges()
    _tie_gates(s.gates, "forget")
    _tie_gates(s.gates, "cec", keys=("i", "g", "o", "c", "h"))
    return ("i, f, o = σ(·) ∈ (0, 1), g = tanh(·) ∈ (−1, 1), |h| = o|tanh c| < o < 1 (SymPy: 1/(1+t) and (1−t)/(1+t) for t > 0)",
            ("With t = e^(−a) > 0: σ = 1/(1+t) ∈ (0, 1); with t = e^(−2a): tanh = (1−t)/(1+t) ∈ (−1, 1); so |h| = o·|tanh c| < o. "
            "The float64 closure (values 0 and 1 reached) is ACT-SIGMOID-RANGE-FLOAT. "
            f"Tie: subject gates (forget, cec) equal the symbolic gates at {len(SEEDS)} exact points each "
            f"{S.within()}, so the model computes these functions. {S.versions()}."))


@evidence("LSTM-CELL-COUNTER-BOUND", "proof")
def lstm_cell_counter_bound_proof(s, ctx):
    _ranges()
    L = C.lstm("forget")
    g = L.gates(L.h, L.c)
    S.zero(g["c"] - g["f"].multiply_elementwise(L.c) - g["i"].multiply_elementwise(g["g"]), "c_t − f⊙c_(t−1) ≠ i⊙g")
    _tie_gates(s.gates, "forget")
    return ("c_t − f_t⊙c_(t−1) = i_t⊙g_t with |i⊙g| < 1 (i ∈ (0,1), g ∈ (−1,1)); c_t − c_(t−1) = (f−1)⊙c_(t−1) + i⊙g is unbounded in c_(t−1)",
            (f"SymPy ({SIZE}) reduces c_t − f⊙c_(t−1) to i⊙g; the ranges are those of LSTM-GATE-RANGES; (f − 1)c_(t−1) grows "
            f"without bound with |c_(t−1)|. Tie: subject gates at {len(SEEDS)} exact points {S.within()}. {S.versions()}."))


# ---------------------------------------------------------------- ∂c_t/∂c_{t−1} = A + B + C + D
@functools.cache
def _terms(variant):
    """Each path's derivative: every gate reads its own copy of c_{t−1} (through h_{t−1} = o_{t−1}⊙tanh(c_{t−1}) and peepholes)."""
    L = C.lstm(variant)
    op = S.vector("op", H)
    cp = {k: S.vector(f"c{k}", H) for k in "dfig"}                 # d: the direct path
    hprev = lambda v: op.multiply_elementwise(v.applyfunc(S.th))
    pre = lambda k, v: L.blk[k][0] * L.x + L.blk[k][1] * hprev(v) + L.blk[k][2] + (
        S.diag(L.p[k]) * v if variant == "peephole" and k in "if" else sp.zeros(H, 1))
    i, g = pre("i", cp["i"]).applyfunc(S.sig), pre("g", cp["g"]).applyfunc(S.th)
    f = sp.ones(H, 1) if variant == "cec" else pre("f", cp["f"]).applyfunc(S.sig)
    c = f.multiply_elementwise(cp["d"]) + i.multiply_elementwise(g)
    back = {v: L.c[j] for k in cp for j, v in enumerate(cp[k])}
    path = {k: c.jacobian(cp[kk]).xreplace(back) for k, kk in (("A", "f"), ("B", "d"), ("C", "i"), ("D", "g"))}
    full = c.xreplace(back).jacobian(L.c)
    S.zero(full - (path["A"] + path["B"] + path["C"] + path["D"]), "∂c_t/∂c_(t−1) ≠ A + B + C + D")
    # the closed forms of models/lstm.py::cell_jacobian_terms, transcribed
    a = {k: pre(k, L.c) for k in GATE_KEYS(variant)}
    dh = S.diag(op.multiply_elementwise(L.c.applyfunc(S.dtanh)))
    Whk = {k: L.blk[k][1] for k in a}
    pk = lambda k: S.diag(L.p[k]) if variant == "peephole" else sp.zeros(H, H)
    closed = {"B": sp.eye(H) if variant == "cec" else S.diag(a["f"].applyfunc(S.sig)),
              "A": sp.zeros(H, H) if variant == "cec" else S.diag(L.c.multiply_elementwise(a["f"].applyfunc(S.dsig))) * (Whk["f"] * dh + pk("f")),
              "C": S.diag(a["g"].applyfunc(S.th).multiply_elementwise(a["i"].applyfunc(S.dsig))) * (Whk["i"] * dh + pk("i")),
              "D": S.diag(a["i"].applyfunc(S.sig).multiply_elementwise(a["g"].applyfunc(S.dtanh))) * Whk["g"] * dh}
    for k in "ABCD":
        S.zero(path[k] - closed[k], f"path {k} ≠ its closed form ({variant})")
    closed["full"] = full
    return L, op, closed


def GATE_KEYS(variant):
    return "igo" if variant == "cec" else "ifgo"


def _tie_terms(s_terms, variants=("forget", "cec", "peephole"), keys=("A", "B", "C", "D", "full")):
    for variant in variants:
        L, op, closed = _terms(variant)
        for seed in SEEDS:
            P, _, c, x, vals = L.point(seed)
            o = S.points((H,), seed + 30, 0.0, 1.0)
            vals.update(S.values((op, o)))
            got = s_terms(P, c, o, x, variant)
            for k, want in zip(keys, S.evaluate([closed[k] for k in keys], vals)):
                ensure(k in got, f"subject terms returns no {k!r} (keys {sorted(got)})")
                S.agree(f"terms[{k!r}] ({variant})", got[k], want)


TERMS_DETAIL = ("Each path's term is SymPy's derivative through one gate with the others held (every gate reads its own copy of "
                "c_(t−1) through h_(t−1) = o_(t−1)⊙tanh(c_(t−1)), o_(t−1) fixed); their sum equals SymPy's full Jacobian and each "
                "equals the closed form A = diag(c⊙σ'(a_f))W_hf·dh, B = diag(f), C = diag(g⊙σ'(a_i))W_hi·dh, "
                "D = diag(i⊙tanh'(a_g))W_hg·dh, dh = diag(o_(t−1)⊙tanh'(c_(t−1))) (+ diag(p_f), diag(p_i) with peepholes; cec: A = 0, B = I).")


@evidence("LSTM-CELL-JACOBIAN-TERMS", "proof")
def lstm_cell_jacobian_terms_proof(s, ctx):
    _tie_terms(s.terms)
    L, op, closed = _terms("forget")
    for seed in SEEDS:
        P, _, c, x, vals = L.point(seed)
        o = S.points((H,), seed + 30, 0.0, 1.0)
        vals.update(S.values((op, o)))
        got = s.seed_terms(P, c, o, x)
        for k in "ABC":                                              # seed 003 prints A, B and eq. (6)'s C right
            S.agree(f"seed_terms[{k!r}]", got[k], S.evaluate(closed[k], vals))
    return ("∂c_t/∂c_(t−1) = A_t + B_t + C_t + D_t, each term SymPy's derivative along one path; seed 003's A, B, C are these",
            (f"Fixed size {SIZE}, all three variants. {TERMS_DETAIL} {ELEMENTWISE} Tie: subject terms (every key, every variant) and "
            f"seed_terms' A, B, C at {len(SEEDS)} exact points {S.within()}. {S.versions()}."))


@evidence("LSTM-CELL-NO-W-MATMUL", "proof")
def lstm_cell_no_w_matmul_proof(s, ctx):
    L, _op, closed = _terms("forget")
    ensure(all(sp.expand(closed["B"][i, j]) == 0 for i in range(H) for j in range(H) if i != j), "the direct path is not diagonal")
    off = sp.expand(closed["full"][0, 1])                          # unit 1's old cell reaches unit 0's new cell …
    ensure(off != 0, "the full Jacobian has no off-diagonal coupling")
    cut = {L.Wh[m * H, 1]: 0 for m in range(4)}                     # … only through the entries W_h[k-block row 0, column 1]
    ensure(sp.expand(off.xreplace(cut)) == 0, "the off-diagonal coupling does not come from W_h")
    _tie_terms(s.terms, ("forget",), keys=("full",))
    _tie_gates(s.gates, "forget")
    return ("The direct path diag(f_t) multiplies by no matrix (it is diagonal), but the full ∂c_t/∂c_(t−1) = A + B + C + D mixes units through W_h",
            (f"Fixed size {SIZE}, forget variant. SymPy: B's off-diagonal entries are 0; the full Jacobian's entry (0, 1) is not, and "
            "vanishes when the four W_h entries (row 0 of each gate block, column 1) are set to 0, so the coupling is the W_h "
            f"product. {TERMS_DETAIL} Tie: subject terms' full Jacobian and gates at {len(SEEDS)} exact points "
            f"{S.within()}. {S.versions()}."))


def _gate_pinned(closed, L, value):
    """The terms with σ(a_f) replaced by ``value`` (the gate pinned open or shut)."""
    a_f = L.blk["f"][0] * L.x + L.blk["f"][1] * S.vector("op", H).multiply_elementwise(L.c.applyfunc(S.th)) + L.blk["f"][2]
    rep = {S.sig(a_f[j]): value for j in range(H)}
    return {k: v.xreplace(rep) for k, v in closed.items()}


@evidence("LSTM-FORGET-ONE-PASS-THROUGH", "proof")
def lstm_forget_one_pass_through_proof(s, ctx):
    L, _op, closed = _terms("forget")
    one = _gate_pinned(closed, L, 1)
    S.zero(one["B"] - sp.eye(H), "f = 1 does not make the direct path I")
    S.zero(one["A"], "f = 1 leaves A ≠ 0")
    ensure(any(sp.expand(e) != 0 for e in one["C"] + one["D"]), "with f = 1, C + D vanishes identically")
    _tie_terms(s.terms, ("forget",))
    return ("With f = 1 the direct path is exactly I (and A = 0 since σ'(a_f) = f(1−f) = 0), but C + D ≠ 0: i⊙g still depends on c_(t−1) through h_(t−1)",
            (f"SymPy with σ(a_f) ↦ 1 in the symbolic terms ({SIZE}). {TERMS_DETAIL} Tie: subject terms at {len(SEEDS)} exact points "
            f"{S.within()}. {S.versions()}."))


@evidence("LSTM-FORGET-ZERO-NOT-ERASE", "proof")
def lstm_forget_zero_not_erase_proof(s, ctx):
    L, _op, closed = _terms("forget")
    zero = _gate_pinned(closed, L, 0)
    S.zero(zero["B"], "f = 0 leaves the direct path")
    S.zero(zero["A"], "f = 0 leaves A ≠ 0")
    ensure(any(sp.expand(e) != 0 for e in zero["C"] + zero["D"]), "with f = 0, C + D vanishes identically")
    g = L.gates(L.h, L.c)
    rep = {S.sig(g["a_f"][j]): 0 for j in range(H)}
    S.zero(g["c"].xreplace(rep) - g["i"].multiply_elementwise(g["g"]), "f = 0 does not give c_t = i⊙g")
    _tie_terms(s.terms, ("forget",))
    _tie_gates(s.gates, "forget")
    return ("f = 0 cuts the direct path (B = A = 0, c_t = i⊙g), but ∂c_t/∂c_(t−1) = C + D ≠ 0 through h_(t−1)",
            (f"SymPy with σ(a_f) ↦ 0 ({SIZE}). {TERMS_DETAIL} The float64 threshold a_f ≤ −745.13 is not covered here. "
            f"Tie: subject terms and gates at {len(SEEDS)} exact points {S.within()}. {S.versions()}."))


@evidence("LSTM-H-JACOBIAN", "proof")
def lstm_h_jacobian_proof(s, ctx):
    for variant in ("forget", "cec", "peephole"):
        L = C.lstm(variant)
        hn = L.gates(L.h, L.c)["h"]
        J = hn.jacobian(L.h)
        for seed in SEEDS:
            P, h, c, x, vals = L.point(seed)
            Jv, hv = S.evaluate([J, hn], vals)
            S.agree(f"h_jacobian ({variant})", s.h_jacobian(P, h, c, x, variant), Jv)
            S.agree(f"step h ({variant})", s.step(P, h, c, x, variant)[0], hv.ravel())
    return ("The model's hand-derived ∂h_t/∂h_(t−1) (c_(t−1) fixed) equals SymPy's Jacobian of h_t = o⊙tanh(c_t), all three variants",
            (f"Fixed size {SIZE}; the closed form (docstring of models/lstm.py::h_jacobian) is tied at the model's output rather than "
            f"re-transcribed. {ELEMENTWISE} Tie: subject h_jacobian and step at {len(SEEDS)} exact points per variant "
            f"{S.within()}. {S.versions()}."))


@evidence("LSTM-OPEN-GATE-TANH-FACTOR", "proof")
def lstm_open_gate_tanh_factor_proof(s, ctx):
    L = C.lstm("forget")
    g = L.gates(L.h, L.c)
    cs, ag = S.vector("cs", H), S.vector("ag", H)                   # c_t and a_g as free variables
    o, i = g["o"], g["i"]
    S.zero(o.multiply_elementwise(cs.applyfunc(S.th)).jacobian(cs) - S.diag(o.multiply_elementwise(cs.applyfunc(S.dtanh))), "∂h/∂c")
    S.zero((g["f"].multiply_elementwise(L.c) + i.multiply_elementwise(ag.applyfunc(S.th))).jacobian(ag)
           - S.diag(i.multiply_elementwise(ag.applyfunc(S.dtanh))), "∂c/∂a_g")
    u = sp.Symbol("u", real=True)
    ensure(sp.solve(sp.Eq(1 - sp.tanh(u) ** 2, 1), u) == [0], "tanh'(c) = 1 away from c = 0")
    for variant in ("forget", "cec"):
        Lv = C.lstm(variant)
        gv = Lv.gates(Lv.h, Lv.c)
        for seed in SEEDS:
            P, h, c, x, vals = Lv.point(seed)
            st = s.gates(P, h, c, x, variant)
            S.agree("out_factor", s.out_factor(st), S.evaluate(gv["o"].multiply_elementwise(gv["c"].applyfunc(S.dtanh)), vals).ravel())
            S.agree("in_factor", s.in_factor(st), S.evaluate(gv["i"].multiply_elementwise(gv["a_g"].applyfunc(S.dtanh)), vals).ravel())
    return ("∂h_t/∂c_t = diag(o⊙tanh'(c_t)) and ∂c_t/∂a_g = diag(i⊙tanh'(a_g)) (SymPy): |·| ≤ the gate; at o = 1 the factor is tanh'(c_t) ≤ 1, = 1 iff c_t = 0",
            (f"Fixed size {SIZE}, c_t and a_g as free variables (o and i do not read them without peepholes). tanh' ≤ 1 with equality "
            "iff c = 0 is ACT-TANH-DERIV-BOUND; the gate's own multiplication ∂(o⊙u)/∂u = diag(o) is exactly 1 at o = 1. "
            f"Tie: subject out_factor and in_factor on the subject gates' output (forget, cec) at {len(SEEDS)} exact points "
            f"{S.within()}. {S.versions()}."))


@evidence("LSTM-PARAM-COUNT-FOUR-TIMES", "proof")
def lstm_param_count_four_times_proof(s, ctx):
    Hs, Ds = sp.symbols("H D", positive=True, integer=True)
    rnn = Hs * Hs + Hs * Ds + Hs                                    # W_hh, W_xh, b
    count = {v: len(C.GATES[v]) * (Hs * Ds + Hs * Hs + Hs) + (3 * Hs if v == "peephole" else 0) for v in C.GATES}
    ensure(sp.expand(count["forget"] - 4 * rnn) == 0 and sp.expand(count["cec"] - 3 * rnn) == 0, "not 4× / 3×")
    grid = [(h, d) for h in range(1, 6) for d in range(1, 6)]
    for h, d in grid:
        ensure(s.rnn_count(h, d) == rnn.subs({Hs: h, Ds: d}), f"subject rnn_count({h}, {d}) = {s.rnn_count(h, d)} ≠ H² + HD + H")
        for v in C.GATES:
            want = count[v].subs({Hs: h, Ds: d})
            ensure(s.lstm_count(h, d, v) == want, f"subject lstm_count({h}, {d}, {v!r}) = {s.lstm_count(h, d, v)} ≠ {want}")
            held = sum(np.asarray(a).size for a in s.init(h, d, np.random.default_rng(0), variant=v).values())
            ensure(held == want, f"subject init({h}, {d}, {v!r}) holds {held} numbers, the layout {want}")
    return ("An LSTM has 4(HD + H² + H) = 4× the Elman RNN's H² + HD + H parameters, symbolic in H and D (cec 3×, peephole 4× + 3H)",
            ("SymPy: the canonical layout (n gate blocks of W_x (H×D), W_h (H×H), b (H)) gives n(HD + H² + H), which expands to "
            "4× (forget), 3× (cec) the RNN count. Tie: subject lstm_count, rnn_count and the sizes of init's arrays equal the "
            f"polynomials on the 25-point grid H, D ∈ 1..5 (a polynomial of degree ≤ 2 in each is fixed by 3 values per variable). {S.versions()}."))


# ---------------------------------------------------------------- seed 003's printed terms (refutations)
def _seed_terms_sym():
    """Seed 003's D_t and appendix C_t as printed: σ' of the candidate's pre-activation, with W_c (= W_hg)."""
    L, op, closed = _terms("forget")
    g = C.lstm("forget")
    a = {k: g.blk[k][0] * g.x + g.blk[k][1] * op.multiply_elementwise(g.c.applyfunc(S.th)) + g.blk[k][2] for k in "ifgo"}
    dh = S.diag(op.multiply_elementwise(g.c.applyfunc(S.dtanh)))
    D_seed = S.diag(a["i"].applyfunc(S.sig).multiply_elementwise(a["g"].applyfunc(S.dsig))) * g.blk["g"][1] * dh
    C_app = S.diag(a["g"].applyfunc(S.th).multiply_elementwise(a["g"].applyfunc(S.dsig))) * g.blk["g"][1] * dh
    return L, op, closed, a, D_seed, C_app


def _tie_seed(s, keys_sym):
    L = C.lstm("forget")
    op = S.vector("op", H)
    for seed in SEEDS:
        P, _, c, x, vals = L.point(seed)
        o = S.points((H,), seed + 30, 0.0, 1.0)
        vals.update(S.values((op, o)))
        got_seed, got_true = s.seed_terms(P, c, o, x), s.terms(P, c, o, x, "forget")
        for (src, k), expr in keys_sym.items():
            got = got_seed if src == "seed" else got_true
            ensure(k in got, f"subject {src} terms return no {k!r}")
            S.agree(f"{src}[{k!r}]", got[k], S.evaluate(expr, vals))


@evidence("LSTM-SEED003-D-TERM", "proof")
def lstm_seed003_d_term_proof(s, ctx):
    _L, _op, closed, _a, D_seed, _ = _seed_terms_sym()
    diff = closed["D"] - D_seed                                    # = diag(i⊙(tanh'(a_g) − σ'(a_g))) W_hg dh
    ensure(any(sp.expand(e) != 0 for e in diff), "seed 003's D_t equals the true D_t identically")
    r0 = sp.Rational(1, 4)
    ensure(S.dsig(sp.Integer(0)) == r0 and S.dtanh(sp.Integer(0)) == 1, "σ'(0) = 1/4, tanh'(0) = 1")
    _tie_seed(s, {("seed", "D"): D_seed, ("true", "D"): closed["D"]})
    return ("Seed 003's D_t = σ'(W_c·[h,x])·W_c·dh·i_t differs from ∂c_t/∂c_(t−1) through c̃_t = tanh(·), which needs tanh' (at a_g = 0: 1/4 vs 1)",
            (f"SymPy ({SIZE}): the true path term D = diag(i⊙tanh'(a_g))W_hg·dh (LSTM-CELL-JACOBIAN-TERMS) minus the seed's "
            "diag(i⊙σ'(a_g))W_hg·dh is not identically zero; at a_g = 0 the factors are tanh'(0) = 1 and σ'(0) = 1/4 (the seed's "
            f"term is 4× too small). Tie: subject seed_terms' D equals the seed's printed formula and terms' D the true one at "
            f"{len(SEEDS)} exact points {S.within()}. {S.versions()}."))


@evidence("LSTM-SEED003-C-APPENDIX", "proof")
def lstm_seed003_c_appendix_proof(s, ctx):
    L, _op, closed, _a, _, C_app = _seed_terms_sym()
    ensure(any(sp.expand(e) != 0 for e in closed["C"] - C_app), "the appendix's C_t equals the true C_t identically")
    ensure(any(sp.expand(sp.diff(e, w)) != 0 for e in closed["C"] for w in L.blk["i"][1]) and
           not any(sp.expand(sp.diff(e, w)) != 0 for e in C_app for w in L.blk["i"][1]),
           "the true C_t should depend on W_hi and the appendix's should not")
    _tie_seed(s, {("seed", "C_appendix"): C_app, ("seed", "C"): closed["C"], ("true", "C"): closed["C"]})
    return ("Seed 003's appendix derives C_t with the candidate's W_c and σ'(W_c·[h,x]); ∂i_t/∂c_(t−1) needs the input gate's W_i and σ'(W_i·[h,x])",
            (f"SymPy ({SIZE}): the true C = diag(g⊙σ'(a_i))W_hi·dh depends on W_hi, the appendix's diag(g⊙σ'(a_g))W_hg·dh does not, and "
            f"their difference is not zero. Tie: subject seed_terms' C_appendix and C, and terms' C, at {len(SEEDS)} exact points "
            f"{S.within()}. {S.versions()}."))


@evidence("LSTM-GRADIENT-CAN-EXPLODE", "proof")
def lstm_gradient_can_explode_proof(s, ctx):
    """At the zero state (a fixed point for b_g = 0, x = 0) the pair Jacobian K of (h, c) has K² = (w/4 + 1/2)K when W_hg = wI."""
    L = C.lstm("forget")
    g = L.gates(L.h, L.c)
    state = L.h.col_join(L.c)
    J = g["h"].col_join(g["c"]).jacobian(state)
    zero = {v: 0 for v in list(L.h) + list(L.c) + list(L.x)}
    Jz = J.xreplace(zero)
    w = sp.Symbol("w")
    special = {e: 0 for e in list(L.Wh) + list(L.b)}
    special.update({L.blk["g"][1][i, j]: (w if i == j else 0) for i in range(H) for j in range(H)})
    K = Jz.xreplace(special)
    blk = sp.Matrix([[w / 4, sp.Rational(1, 4)], [w / 2, sp.Rational(1, 2)]])
    S.zero(K - sp.kronecker_product(blk, sp.eye(H)), "K ≠ [[w/4, 1/4], [w/2, 1/2]] ⊗ I")
    S.zero(K * K - (w / 4 + sp.Rational(1, 2)) * K, "K² ≠ (w/4 + 1/2) K")
    for seed in SEEDS:
        P, _, _, _, vals = L.point(seed)
        vals.update({v: 0.0 for v in zero})
        S.agree("pair_jacobian at the zero state", s.pair_jacobian(P, C.D), S.evaluate(Jz, vals))
    Pw = {"W_x": np.zeros((4 * H, C.D)), "W_h": np.zeros((4 * H, H)), "b": np.zeros(4 * H)}
    Pw["W_h"][2 * H:3 * H] = 12.0 * np.eye(H)                      # W_hg = 12 I: growth factor 12/4 + 1/2 = 3.5
    _, cs = s.forward(Pw, np.zeros(H), np.zeros(H), np.zeros((4, C.D)))
    ensure(np.all(np.asarray(cs) == 0.0), "the zero state is not a fixed point of the subject forward pass")
    return ("At the zero state with x = 0, b = 0 (a fixed point) and W_hg = wI the pair Jacobian K satisfies K² = (w/4 + 1/2)K, so ∂(h,c)_T/∂(h,c)_0 = (w/4 + 1/2)^(T−1)K grows geometrically for w > 2",
            (f"SymPy ({SIZE}): the Jacobian of (h_t, c_t) in (h_(t−1), c_(t−1)) at h = c = x = 0, specialised to W_h = 0 except "
            "W_hg = wI and b = 0, is [[w/4, 1/4], [w/2, 1/2]] ⊗ I, a rank-H map with K² = (w/4 + 1/2)K. Along the fixed point "
            "the T-step Jacobian is K^T (chain rule, induction). Tie: subject pair_jacobian with generic exact parameters equals "
            f"SymPy's Jacobian at the zero state {S.within()}, and subject forward keeps the zero "
            f"state at 0 exactly. {S.versions()}."))


@evidence("LSTM-SEED003-CELL-CHAIN", "proof")
def lstm_seed003_cell_chain_proof(s, ctx):
    """True ∂c_2/∂c_0 (o_1 reads h_0 = o_0⊙tanh c_0) = J_2 J_1 + ∂c_2/∂o_1·∂o_1/∂c_0; the extra path vanishes iff W_ho = 0."""
    L, op, closed = _terms("forget")
    x1, x2 = S.vector("xa", C.D), S.vector("xb", C.D)
    c1s, o1s = S.vector("c1s", H), S.vector("o1s", H)                # step 2 as a function of (c_1, o_1): the chain rule's split
    g1 = L.gates(op.multiply_elementwise(L.c.applyfunc(S.th)), L.c, x1)
    F = L.gates(o1s.multiply_elementwise(c1s.applyfunc(S.th)), c1s, x2)["c"]
    to_x2 = {v: x2[i] for i, v in enumerate(L.x)}
    J2s = closed["full"].xreplace({**to_x2, **{L.c[i]: c1s[i] for i in range(H)}, **{op[i]: o1s[i] for i in range(H)}})
    S.zero(F.jacobian(c1s) - J2s, "∂c_2/∂c_1 (o_1 fixed) ≠ the four-term J_2")
    J1 = closed["full"].xreplace({v: x1[i] for i, v in enumerate(L.x)})
    S.zero(g1["c"].jacobian(L.c) - J1, "∂c_1/∂c_0 (o_0 fixed) ≠ the four-term J_1")
    dO = g1["o"].jacobian(L.c)                                       # o_1 = σ(W_xo x_1 + W_ho h_0 + b_o), h_0 = o_0⊙tanh c_0
    S.zero(dO - S.diag(g1["a_o"].applyfunc(S.dsig)) * L.blk["o"][1] * S.diag(op.multiply_elementwise(L.c.applyfunc(S.dtanh))),
           "∂o_1/∂c_0 ≠ diag(σ'(a_o)) W_ho dh_0")
    to_traj = {**{c1s[i]: g1["c"][i] for i in range(H)}, **{o1s[i]: g1["o"][i] for i in range(H)}}
    chain = J2s.xreplace(to_traj) * J1                               # eq. (4): J_2 J_1
    gap = F.jacobian(o1s).xreplace(to_traj) * dO                     # true − chain, by the multivariable chain rule
    no_o = {w: 0 for w in L.blk["o"][1]}
    ensure(dO.xreplace(no_o) == sp.zeros(H, H), "with W_ho = 0 the path through o_1 does not vanish")
    for seed in SEEDS:
        P, _, c0, _, vals = L.point(seed)
        o0 = S.points((H,), seed + 30, 0.0, 1.0)
        xs = S.points((2, C.D), seed + 40, -2, 2)
        vals.update(S.values((op, o0), (x1, xs[0]), (x2, xs[1])))
        want_chain, c1v, c2v, gapv = S.evaluate([chain, g1["c"], F.xreplace(to_traj), gap], vals)
        ensure(np.max(np.abs(gapv)) > 1e-6, f"the path through o_1 vanishes at the test point: {gapv}")
        S.agree("chain J_2 J_1", s.chain(P, c0, o0, xs), want_chain)
        _, cs = s.forward(P, o0 * np.tanh(c0), c0, xs)
        S.agree("forward c_1, c_2", np.asarray(cs, float), np.vstack([c1v.ravel(), c2v.ravel()]))
    return ("Chaining ∂c_t/∂c_(t−1) (o_(t−1) held fixed) as eq. (4) does misses the path c_0 → h_0 → o_1 → h_1: SymPy's true ∂c_2/∂c_0 differs from J_2 J_1 unless W_ho = 0",
            (f"SymPy ({SIZE}, T = 2, h_0 = o_0⊙tanh c_0): writing c_2 = F(c_1, o_1), the chain rule gives ∂c_2/∂c_0 = "
            "∂F/∂c_1·∂c_1/∂c_0 + ∂F/∂o_1·∂o_1/∂c_0; SymPy checks that ∂F/∂c_1 and ∂c_1/∂c_0 are the four-term J_2, J_1 of "
            "LSTM-CELL-JACOBIAN-TERMS and that ∂o_1/∂c_0 = diag(σ'(a_o))W_ho·dh_0, which is 0 iff W_ho = 0; the extra term is "
            "nonzero at the test points (mpmath, 50 digits, > 1e-6). Every T: the same missing path at each step (induction). "
            f"Tie: subject chain and forward at {len(SEEDS)} exact points {S.within()}. {S.versions()}."))


@evidence("LSTM-FORGET-GATE-NOT-ABOVE-ONE", "proof")
def lstm_forget_gate_not_above_one_proof(s, ctx):
    _ranges()
    _tie_gates(s.gates, "forget", keys=("f",))
    _tie_gates(s.gates, "peephole", keys=("f",))
    return ("f_t = σ(a_f) = 1/(1 + e^(−a_f)) < 1 for every input (e^(−a_f) > 0): 'sometimes above 1' never happens; in float64 the sup 1 is reached, not exceeded",
            ("With t = e^(−a) > 0, 1/(1+t) ∈ (0, 1) (SymPy, as in LSTM-GATE-RANGES); the float64 value 1.0 from a_f ≥ 36.74 is "
            f"ACT-SIGMOID-RANGE-FLOAT. Tie: subject gates' f (forget, peephole) at {len(SEEDS)} exact points each "
            f"{S.within()}. {S.versions()}."))


@evidence("LSTM-SEED003-BALANCING", "proof")
def lstm_seed003_balancing_proof(s, ctx):
    J = sp.Matrix([[1, sp.Rational(3, 10)], [sp.Rational(3, 10), 1]])     # the seed's terms as matrices, H = 2 (the record's example)
    ensure(J.norm(2) == sp.Rational(13, 10) and (J ** 3).norm(2) == sp.Rational(2197, 1000), "‖J‖₂ = 1.3, ‖J³‖₂ = 2.197")
    ensure(min(J.singular_values()) == sp.Rational(7, 10), "σ_min(J) = 0.7")
    A, B = sp.Matrix([[1, 2], [0, 1]]) / 2, sp.Matrix([[1, 0], [3, 1]]) / 4
    for Js in ([A, B], [A, B, A.T], [J, J, J]):
        exact = reduce(lambda P, M: M * P, Js[1:], Js[0])             # J_k ⋯ J_2: each new step on the left
        got = np.asarray(s.product([np.array(M.tolist(), dtype=float) for M in Js]), float)
        S.agree("product J_k ⋯ J_2", got, np.array(exact.tolist(), dtype=float))
    return ("Per-step terms summing to ≈ 1 do not keep ∏J_t ≈ 1: ‖∏J_t‖₂ lies in [∏σ_min(J_t), ∏‖J_t‖₂], and J = [[1, 0.3], [0.3, 1]] gives ‖J³‖₂ = 2.197 exactly",
            ("Submultiplicativity and σ_min(AB) ≥ σ_min(A)σ_min(B) give the sandwich (induction over k); the record's symmetric J has "
            "singular values 1.3 and 0.7, so ‖J^(k−1)‖₂ = 1.3^(k−1) (SymPy, exact). Tie: subject product of exact rational "
            f"non-commuting matrices equals J_k ⋯ J_2 {S.within()}. {S.versions()}."))
