"""Proofs about the LSTM cell (topic lstm): direct paths, ∂h_t/∂h_{t−1}, the gates' ranges, the tanh factor, counts.

Every size: entry i of each gate is written for a symbolic H = n and D = m (IndexedBase, Sum; _gated.py), and
SymPy differentiates it with respect to c[j] or h[j]; Kronecker sums collapse under 0 ≤ i, j ≤ n − 1. The ties
evaluate the derived entry at H = 1..8 against models/lstm.py through the check's subject.
"""

import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _cells as C
from vanishing.checks.evidence import _gated as G
from vanishing.checks.evidence import _sym as S

HYP = ("H, D ≥ 1 symbolic (n, m)", "0 ≤ i, j ≤ H − 1", "weights, biases, states and inputs real")
#: What a statement may say the direct path's diagonal is, as a function of the gate f (entry i).
GATE_FORM = {"f": lambda f: f, "1 − f": lambda f: 1 - f, "1": lambda f: sp.S.One}


def _scope(steps, tied, hyp=HYP):
    return Scope(sizes="every", steps=tuple(steps), tied=tuple(tied), hypotheses=hyp)


def _tie_direct(s_direct, variant, expr):
    def tie(H, D, scale, P, hv, cv, xv, ov, env):
        G.agree(f"direct_path_jacobian ({variant})", s_direct(P, hv, cv, xv, variant), expr, env, H, D)
    return G.sweep(lambda H, D, seed, scale: G.lstm_point(variant, H, D, seed, scale), tie)


def _direct(variant):
    e = G.lstm(variant).entry()
    return e, G.collapse(sp.diff(e["c"], G.c[G.j]))                  # ∂c_t[i]/∂c_{t−1}[j], h_{t−1} held fixed


@evidence("LSTM-CELL-DIRECT-PATH", "proof", statement={"gate": "f"},
          wrong={"diag(1 − f)": {"gate": "1 − f"}, "I (f dropped, as for the CEC)": {"gate": "1"}})
def lstm_cell_direct_path_proof(s, ctx):
    e, J = _direct("forget")
    claimed = G.delta() * GATE_FORM[ctx.st.gate](e["f"])
    G.zero(J - claimed, f"∂c_t[i]/∂c_(t−1)[j]|_h ≠ δ_ij·({ctx.st.gate})_i")
    n1 = G.tie_gates(s.gates, "forget")
    n2 = _tie_direct(s.direct, "forget", J)
    return ("With h_(t−1) held fixed, ∂c_t/∂c_(t−1) = diag(f_t) for every H: SymPy differentiates entry i of c_t = f⊙c_(t−1) + i⊙g",
            (f"SymPy, symbolic H: ∂c_t[i]/∂c_(t−1)[j] = δ_ij σ(a_f[i]). Tie: subject gates and direct at {n1 + n2} points "
             f"({G.TIED}) {S.within()}. {S.versions()}."),
            _scope(["SymPy: d/dc[j] of f_i c[i] + i_i g_i (entry i, symbolic n, m) collapses to δ_ij f_i",
                    f"SymPy: the derived entry minus the statement δ_ij·({ctx.st.gate}) expands to 0"],
                   [f"models.lstm gates, direct_path_jacobian (forget): {G.TIED}"]))


@evidence("LSTM-PEEPHOLE-DIRECT-PATH", "proof", statement={"peepholes": ("f", "i")},
          wrong={"diag(f): the peepholes dropped": {"peepholes": ()}, "the p_i term dropped": {"peepholes": ("f",)}})
def lstm_peephole_direct_path_proof(s, ctx):
    e, J = _direct("peephole")
    a = e["a"]
    extra = {"f": G.c[G.i] * S.dsig(a["f"]) * G.p("f")[G.i], "i": S.th(a["g"]) * S.dsig(a["i"]) * G.p("i")[G.i]}
    claimed = G.delta() * (e["f"] + sum((extra[g] for g in ctx.st.peepholes), sp.S.Zero))
    G.zero(J - claimed, "the peephole direct path ≠ the statement's diagonal")
    G.nonzero(J - G.delta() * e["f"], "the peephole direct path is diag(f)")
    n = _tie_direct(s.direct, "peephole", J) + G.tie_gates(s.gates, "peephole")
    return ("With peepholes, ∂c_t/∂c_(t−1)|_h = diag(f + c_(t−1)⊙σ'(a_f)⊙p_f + g⊙σ'(a_i)⊙p_i) for every H: diagonal, and not diag(f) (SymPy)",
            (f"SymPy, symbolic H: the derived entry is δ_ij times the stated diagonal, and differs from δ_ij f_i. Tie: subject "
             f"direct and gates (peephole) at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            _scope(["SymPy: d/dc[j] of entry i of c_t with a_i, a_f reading p⊙c_(t−1) collapses to a multiple of δ_ij",
                    "SymPy: the derived entry minus δ_ij(f + Σ the stated peephole terms) expands to 0",
                    "SymPy: the derived entry minus δ_ij f_i does not expand to 0"],
                   [f"models.lstm direct_path_jacobian, gates (peephole): {G.TIED}"]))


@evidence("LSTM-CEC-CONSTANT-ERROR", "proof", statement={"carry": 1}, wrong={"a carry of 1/2": {"carry": sp.Rational(1, 2)}})
def lstm_cec_constant_error_proof(s, ctx):
    _e, J = _direct("cec")
    G.zero(J - G.delta() * ctx.st.carry, f"the CEC direct path is not {ctx.st.carry}·I")
    G.diag_induction()
    n = G.tie_gates(s.gates, "cec", keys=("i", "g", "o", "c", "h"))

    def tie(H, D, scale, P, hv, cv, xv, ov, env):
        got = np.asarray(s.direct(P, hv, cv, xv, "cec"), float)
        ensure(np.array_equal(got, np.eye(H)), f"subject direct (cec) is not exactly I at H = {H}: {got}")
    n += G.sweep(lambda H, D, seed, scale: G.lstm_point("cec", H, D, seed, scale), tie)
    return ("The 1997 carousel c_t = c_(t−1) + i⊙g has ∂c_t/∂c_(t−1)|_h = I, so along the direct path ∂c_T/∂c_0 = I for every T and H",
            (f"SymPy, symbolic H: the entry is δ_ij; induction over T: diag(v)·diag(P) = diag(v⊙P) (symbolic n), with v = 1. "
             f"Tie: subject gates (cec) and direct (exactly I) at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            _scope(["SymPy: d/dc[j] of c[i] + i_i g_i collapses to δ_ij",
                    "SymPy: induction step Σ_k δ_ik v_i δ_kj P_k = δ_ij v_i P_i (symbolic n); base case T = 1 is the step's Jacobian"],
                   [f"models.lstm gates (cec), direct_path_jacobian exactly I: {G.TIED}"], HYP + ("T ≥ 1",)))


@evidence("LSTM-H-JACOBIAN", "proof", statement={"out_act": "tanh'"},
          wrong={"tanh'(c_t) factor dropped": {"out_act": "1"}, "σ' for tanh'(c_t)": {"out_act": "σ'"}})
def lstm_h_jacobian_proof(s, ctx):
    act = {"tanh'": S.dtanh, "σ'": S.dsig, "1": lambda u: sp.S.One}[ctx.st.out_act]
    n = 0
    for variant in ("forget", "cec", "peephole"):
        e = G.lstm(variant).entry()
        a = e["a"]
        J = G.collapse(sp.diff(e["h"], G.h[G.j]))
        dc = S.th(a["g"]) * S.dsig(a["i"]) * G.W("i")[G.i, G.j] + S.sig(a["i"]) * S.dtanh(a["g"]) * G.W("g")[G.i, G.j]
        if variant != "cec":
            dc += G.c[G.i] * S.dsig(a["f"]) * G.W("f")[G.i, G.j]
        da_o = G.W("o")[G.i, G.j] + (G.p("o")[G.i] * dc if variant == "peephole" else 0)
        closed = S.th(e["c"]) * S.dsig(a["o"]) * da_o + e["o"] * act(e["c"]) * dc     # models/lstm.py::h_jacobian's docstring
        G.zero(J - closed, f"∂h_t/∂h_(t−1) ≠ the closed form ({variant})")

        def tie(H, D, scale, P, hv, cv, xv, ov, env, v=variant, J=J, e=e):
            G.agree(f"h_jacobian ({v})", s.h_jacobian(P, hv, cv, xv, v), J, env, H, D)
            G.agree(f"step h ({v})", s.step(P, hv, cv, xv, v)[0], e["h"], env, H, D)
        n += G.sweep(lambda H, D, seed, scale, v=variant: G.lstm_point(v, H, D, seed, scale), tie)
    return ("∂h_t/∂h_(t−1) (c_(t−1) fixed) = diag(tanh(c_t)⊙σ'(a_o))∂a_o/∂h + diag(o⊙tanh'(c_t))∂c_t/∂h for every H, all three variants (SymPy)",
            (f"SymPy, symbolic H: d/dh[j] of entry i of h_t = o⊙tanh(c_t) equals the closed form of models/lstm.py::h_jacobian. "
             f"Tie: subject h_jacobian and step at {n} points ({G.TIED}, each variant) {S.within()}. {S.versions()}."),
            _scope(["SymPy: d/dh[j] of entry i of h_t (forget, cec, peephole), Kronecker sums collapsed",
                    "SymPy: minus the closed form (∂c_t/∂h, ∂a_o/∂h with the peephole p_o term) expands to 0 per variant"],
                   [f"models.lstm h_jacobian, step (forget, cec, peephole): {G.TIED}"]))


@evidence("LSTM-OPEN-GATE-TANH-FACTOR", "proof", statement={"act": "tanh'"},
          wrong={"∂h/∂c = diag(o): tanh' dropped": {"act": "1"}, "σ' for the candidate's tanh'": {"act": "σ'"}})
def lstm_open_gate_tanh_factor_proof(s, ctx):
    act = {"tanh'": S.dtanh, "σ'": S.dsig, "1": lambda u: sp.S.One}[ctx.st.act]
    cs, ag = sp.IndexedBase("cs"), sp.IndexedBase("ag")                # c_t and a_g as free entries
    e = G.lstm("forget").entry()
    G.zero(sp.diff(e["o"] * S.th(cs[G.i]), cs[G.j]) - G.delta() * e["o"] * act(cs[G.i]), "∂h_t/∂c_t ≠ the statement")
    G.zero(sp.diff(e["f"] * G.c[G.i] + e["i"] * S.th(ag[G.i]), ag[G.j]) - G.delta() * e["i"] * act(ag[G.i]), "∂c_t/∂a_g ≠ the statement")
    u = sp.Symbol("u", real=True)
    ensure(sp.solve(sp.Eq(1 - sp.tanh(u) ** 2, 1), u) == [0], "tanh'(c) = 1 away from c = 0")
    n = 0
    for variant in ("forget", "cec"):
        ev = G.lstm(variant).entry()

        def tie(H, D, scale, P, hv, cv, xv, ov, env, v=variant, ev=ev):
            st = s.gates(P, hv, cv, xv, v)
            G.agree("out_factor", s.out_factor(st), ev["o"] * S.dtanh(ev["c"]), env, H, D)
            G.agree("in_factor", s.in_factor(st), ev["i"] * S.dtanh(ev["a"]["g"]), env, H, D)
        n += G.sweep(lambda H, D, seed, scale, v=variant: G.lstm_point(v, H, D, seed, scale), tie)
    return ("∂h_t/∂c_t = diag(o⊙tanh'(c_t)) and ∂c_t/∂a_g = diag(i⊙tanh'(a_g)) for every H (SymPy): at o = 1 the factor is tanh'(c_t) ≤ 1, = 1 iff c_t = 0",
            (f"SymPy, symbolic H, c_t and a_g as free entries (o and i do not read them without peepholes); tanh' ≤ 1 with "
             f"equality iff c = 0 is ACT-TANH-DERIV-BOUND. Tie: subject out_factor and in_factor on the subject gates' output "
             f"(forget, cec) at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            _scope(["SymPy: d/dcs[j] of o_i tanh(cs[i]) − δ_ij o_i tanh'(cs[i]) expands to 0",
                    "SymPy: d/dag[j] of f_i c[i] + i_i tanh(ag[i]) − δ_ij i_i tanh'(ag[i]) expands to 0",
                    "SymPy: 1 − tanh²(u) = 1 only at u = 0"],
                   [f"out_factor, in_factor on models.lstm gates (forget, cec): {G.TIED}"]))


@evidence("LSTM-GATE-RANGES", "proof", statement={"sig_range": (0, 1), "tanh_range": (-1, 1)},
          wrong={"g ∈ (0, 1)": {"tanh_range": (0, 1)}, "gates in (1/2, 1)": {"sig_range": (sp.Rational(1, 2), 1)}})
def lstm_gate_ranges_proof(s, ctx):
    G.ranges(ctx.st.sig_range, ctx.st.tanh_range)
    for variant in ("forget", "cec"):
        G.entry_heads(variant)
    n = G.tie_gates(s.gates, "forget") + G.tie_gates(s.gates, "cec", keys=("i", "g", "o", "c", "h"))
    lo, hi = ctx.st.sig_range
    return (f"i, f, o = σ(·) ∈ ({lo}, {hi}), g = tanh(·) ∈ {tuple(ctx.st.tanh_range)}, |h| = o|tanh c| < o < 1, every entry, every H (SymPy)",
            (f"Entry i of each gate is σ or tanh of a real pre-activation for symbolic H (checked on the expression); with t = e^(−a) > 0, "
             "σ = 1/(1+t) and tanh = (1−t)/(1+t) lie strictly inside the ranges (SymPy signs). The float64 closure is "
             f"ACT-SIGMOID-RANGE-FLOAT. Tie: subject gates (forget, cec) at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            _scope(["SymPy: entry i of i, f, o is sig(·) and of g is th(·), h_i = o_i·th(c_i) (symbolic n, m)",
                    "SymPy: σ − lo, hi − σ, tanh − lo, hi − tanh are positive for every t > 0"],
                   [f"models.lstm gates (forget, cec): {G.TIED}"]))


@evidence("LSTM-CELL-COUNTER-BOUND", "proof", statement={"bound": 1}, wrong={"|i⊙g| < 1/2": {"bound": sp.Rational(1, 2)}})
def lstm_cell_counter_bound_proof(s, ctx):
    e = G.entry_heads("forget")
    G.zero(e["c"] - e["f"] * G.c[G.i] - e["i"] * e["g"], "c_t − f⊙c_(t−1) ≠ i⊙g")
    u, v = sp.symbols("u v", positive=True)                         # i = 1/(1+u) ∈ (0, 1), |g| = (1 − w)/(1 + w) < 1 …
    ig = 1 / (1 + u) * (1 - v) / (1 + v)                            # … so |i g| ≤ 1/(1+u)·|1−v|/(1+v) with v = e^(−2|a_g|) ∈ (0, 1]
    for sign in (1, -1):                                            # bound ∓ i·g > 0: numerator a polynomial with coefficients ≥ 0
        num, den = sp.fraction(sp.together(ctx.st.bound - sign * ig))
        coeffs = sp.Poly(sp.expand(num), u, v).coeffs()
        ensure(sp.Poly(sp.expand(den), u, v).coeffs() and all(co > 0 for co in sp.Poly(sp.expand(den), u, v).coeffs())
               and all(co >= 0 for co in coeffs) and any(co > 0 for co in coeffs),
               f"|i⊙g| < {ctx.st.bound}: the numerator {sp.expand(num)} of the bound ∓ i·g is not a sum of nonnegative terms in u, v > 0")
    ensure(sp.simplify((e["f"] - 1) * G.c[G.i]).has(G.c[G.i]), "(f − 1)c_(t−1) does not depend on c_(t−1)")
    n = G.tie_gates(s.gates, "forget")
    return (f"c_t − f_t⊙c_(t−1) = i_t⊙g_t with |i⊙g| < {ctx.st.bound} (i ∈ (0,1), g ∈ (−1,1)), every H; c_t − c_(t−1) = (f−1)⊙c_(t−1) + i⊙g is unbounded in c_(t−1)",
            (f"SymPy, symbolic H: entry i of c_t − f⊙c_(t−1) is i_i g_i; with i = 1/(1+u), g = ±(1−v)/(1+v), u, v > 0, the bound "
             f"minus ±i·g has a numerator and denominator with nonnegative coefficients in u, v > 0 (a certificate). Tie: subject gates at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            _scope(["SymPy: entry i of c_t − f⊙c_(t−1) − i⊙g expands to 0 (symbolic n, m)",
                    (f"SymPy: {ctx.st.bound} ∓ 1/(1+u)·(1−v)/(1+v) over a common denominator: numerator and denominator "
                     "are polynomials in u, v > 0 with coefficients ≥ 0 (a sum of nonnegative terms)")],
                   [f"models.lstm gates (forget): {G.TIED}"]))


@evidence("LSTM-CELL-NO-W-MATMUL", "proof", statement={"full_diagonal": False},
          wrong={"the full Jacobian is diag(f_t) (the seed's)": {"full_diagonal": True}})
def lstm_cell_no_w_matmul_proof(s, ctx):
    path, _a = G.terms("forget")
    G.zero(path["B"] - G.delta() * path["B"].coeff(G.delta()), "the direct path is not a multiple of δ_ij")
    off = path["full"] - path["B"]                                   # A + C + D
    cut = {G.W(g)[G.i, G.j]: 0 for g in "ifg"}
    G.zero(off.xreplace(cut), "A + C + D does not vanish with W_h[i, j] = 0: the coupling is not through W_h")
    if ctx.st.full_diagonal:
        G.zero(off, "the full Jacobian is not diag(f)")
    else:
        G.nonzero(off, "A + C + D vanishes identically")
    n = G.tie_terms(s.terms, "forget", keys=("full",)) + G.tie_gates(s.gates, "forget")
    return ("The direct path diag(f_t) multiplies by no matrix, but the full ∂c_t/∂c_(t−1) = A + B + C + D mixes units through W_h, every H",
            (f"SymPy, symbolic H (the four path terms of LSTM-CELL-JACOBIAN-TERMS): B = δ_ij f_i; A + C + D is not 0 and every "
             f"term carries a factor W_h(f,i,g)[i, j]. Tie: subject terms' full and gates at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            _scope(["SymPy: B is δ_ij times f_i", "SymPy: A + C + D with W_hf, W_hi, W_hg[i, j] = 0 expands to 0",
                    "SymPy: A + C + D does not expand to 0"],
                   [f"models.lstm cell_jacobian_terms (full), gates: {G.TIED}"]))


W_G = sp.Symbol("w")


def _at_zero_state(expr, w=None):
    """``expr`` at h = c = x = 0 (and, with ``w``, b = 0, W_h = 0 except W_hg = w·I), Kronecker sums collapsed."""
    zero = {G.h, G.c, G.x} | ({G.b(g) for g in "ifgo"} | {G.W(g) for g in "ifo"} if w is not None else set())
    out = sp.sympify(expr).replace(lambda e: isinstance(e, sp.Indexed) and e.base in zero, lambda e: sp.S.Zero)
    if w is not None:
        out = out.replace(lambda e: isinstance(e, sp.Indexed) and e.base == G.W("g"), lambda e: w * sp.KroneckerDelta(*e.indices))
    return G.collapse(out)


@evidence("LSTM-GRADIENT-CAN-EXPLODE", "proof", statement={"growth": W_G / 4 + sp.Rational(1, 2)},
          wrong={"growth w/4": {"growth": W_G / 4}, "growth w/2 + 1/2": {"growth": W_G / 2 + sp.Rational(1, 2)}})
def lstm_gradient_can_explode_proof(s, ctx):
    """At the zero state (a fixed point for b = 0, x = 0) the pair Jacobian is K = [[w/4, 1/4], [w/2, 1/2]] ⊗ I_H when W_hg = wI."""
    e = G.lstm("forget").entry()
    blocks = {(u, v): G.collapse(sp.diff(e[u], base[G.j])) for u in "hc" for v, base in (("h", G.h), ("c", G.c))}
    blk = sp.Matrix([[W_G / 4, sp.Rational(1, 4)], [W_G / 2, sp.Rational(1, 2)]])
    for r, u in enumerate("hc"):
        for q, v in enumerate("hc"):
            G.zero(_at_zero_state(blocks[(u, v)], W_G) - blk[r, q] * G.delta(), f"∂{u}_t/∂{v}_(t−1) at the zero state ≠ ({blk[r, q]})·δ_ij")
    # (blk ⊗ I)(blk ⊗ I) = blk² ⊗ I: Σ_k δ_ik δ_kj = δ_ij for symbolic n; then blk² = growth·blk
    G.zero(sp.Sum(sp.KroneckerDelta(G.i, G.k) * sp.KroneckerDelta(G.k, G.j), (G.k, 0, G.n - 1)) - G.delta(), "δ·δ ≠ δ")
    S.zero(blk * blk - ctx.st.growth * blk, f"blk² ≠ ({ctx.st.growth}) blk")
    T = sp.Symbol("T", integer=True, positive=True)                # induction: K·(g^(T−1) K) = g^(T−1) K² = g^T K
    ensure(sp.simplify(sp.powsimp(ctx.st.growth ** (T - 1) * ctx.st.growth) - ctx.st.growth ** T) == 0, "K^(T+1) ≠ g^T K")
    ensure(sp.solve(sp.Eq(ctx.st.growth, 1), W_G) == [2], f"the growth factor {ctx.st.growth} does not cross 1 at w = 2")
    zs = {k: _at_zero_state(v) for k, v in blocks.items()}

    def tie(H, D, scale, P, hv, cv, xv, ov, env):
        env0 = {**env, "h": np.zeros(H), "c": np.zeros(H), "x": np.zeros(D)}
        want = np.block([[G._table(zs[("h", "h")], env0, H, D, True), G._table(zs[("h", "c")], env0, H, D, True)],
                         [G._table(zs[("c", "h")], env0, H, D, True), G._table(zs[("c", "c")], env0, H, D, True)]])
        S.agree(f"pair_jacobian at the zero state (H = {H})", s.pair_jacobian(P, D), want)
        Pw = {"W_x": np.zeros((4 * H, D)), "W_h": np.zeros((4 * H, H)), "b": np.zeros(4 * H)}
        Pw["W_h"][2 * H:3 * H] = 12.0 * np.eye(H)                  # W_hg = 12 I: growth factor 12/4 + 1/2 = 3.5
        _, cs = s.forward(Pw, np.zeros(H), np.zeros(H), np.zeros((6, D)))
        ensure(np.all(np.asarray(cs) == 0.0), f"the zero state is not a fixed point of the subject forward pass (H = {H}, T = 6)")
    n = G.sweep(lambda H, D, seed, scale: G.lstm_point("forget", H, D, seed, scale), tie)
    return (f"At the zero state with x = 0, b = 0 (a fixed point) and W_hg = wI the pair Jacobian is K = [[w/4, 1/4], [w/2, 1/2]] ⊗ I_H for every H, K² = ({ctx.st.growth})K, so ∂(h,c)_T/∂(h,c)_0 = (w/4 + 1/2)^(T−1)K grows geometrically for w > 2",
            ("SymPy, symbolic H: the four blocks ∂(h, c)_t/∂(h, c)_(t−1) at h = c = x = 0, b = 0, W_h = 0 except W_hg = wI "
             "are w/4, 1/4, w/2, 1/2 times δ_ij; (blk ⊗ I)² = blk² ⊗ I since Σ_k δ_ik δ_kj = δ_ij; blk² = (w/4 + 1/2)blk; by "
             "induction K^T = (w/4 + 1/2)^(T−1)K, and the factor exceeds 1 exactly for w > 2. Tie: subject pair_jacobian with "
             f"generic parameters at the zero state, and forward's fixed point (W_hg = 12 I, T = 6), at {n} sizes ({G.TIED}) "
             f"{S.within()}. {S.versions()}."),
            _scope(["SymPy: the four blocks at the zero state, specialised, minus (w/4, 1/4, w/2, 1/2)·δ_ij expand to 0 (symbolic n)",
                    "SymPy: Σ_k δ_ik δ_kj = δ_ij; blk² − growth·blk expands to 0",
                    "SymPy: growth·growth^(T−1) = growth^T (induction K^(T+1) = K^T K); growth = 1 only at w = 2"],
                   [f"the subject pair_jacobian at the zero state with generic parameters, forward at W_hg = 12 I: {G.TIED}"],
                   HYP + ("x = 0, b = 0, W_h = 0 except W_hg = wI (the witness)", "T ≥ 1")))


@evidence("LSTM-PARAM-COUNT-FOUR-TIMES", "proof", statement={"ratio": 4}, wrong={"3× (the CEC's ratio for the forget cell)": {"ratio": 3}})
def lstm_param_count_four_times_proof(s, ctx):
    Hs, Ds = sp.symbols("H D", positive=True, integer=True)
    rnn = Hs * Hs + Hs * Ds + Hs                                    # W_hh, W_xh, b
    count = {v: len(C.GATES[v]) * (Hs * Ds + Hs * Hs + Hs) + (3 * Hs if v == "peephole" else 0) for v in C.GATES}
    ensure(sp.expand(count["forget"] - ctx.st.ratio * rnn) == 0 and sp.expand(count["cec"] - 3 * rnn) == 0,
           f"the forget cell's count is not {ctx.st.ratio}× the RNN's, or the CEC's not 3×")
    grid = [(h, d) for h in range(1, 9) for d in range(1, 6)]
    for h, d in grid:
        ensure(s.rnn_count(h, d) == rnn.subs({Hs: h, Ds: d}), f"subject rnn_count({h}, {d}) = {s.rnn_count(h, d)} ≠ H² + HD + H")
        for v in C.GATES:
            want = count[v].subs({Hs: h, Ds: d})
            ensure(s.lstm_count(h, d, v) == want, f"subject lstm_count({h}, {d}, {v!r}) = {s.lstm_count(h, d, v)} ≠ {want}")
            held = sum(np.asarray(a).size for a in s.init(h, d, np.random.default_rng(0), variant=v).values())
            ensure(held == want, f"subject init({h}, {d}, {v!r}) holds {held} numbers, the layout {want}")
    return (f"An LSTM has 4(HD + H² + H) = {ctx.st.ratio}× the Elman RNN's H² + HD + H parameters, symbolic in H and D (cec 3×, peephole 4× + 3H)",
            ("SymPy: n gate blocks of W_x (H×D), W_h (H×H), b (H) give n(HD + H² + H), which expands to 4× (forget), 3× (cec) the "
             f"RNN count, for symbolic H and D. Tie: subject lstm_count, rnn_count and init's array sizes on H ∈ 1..8, D ∈ 1..5. {S.versions()}."),
            Scope(sizes="every", hypotheses=("H, D ≥ 1 symbolic integers",),
                  steps=("SymPy: n(HD + H² + H) − ratio·(H² + HD + H) expands to 0 (n = 4 forget, 3 cec)",),
                  tied=("models.lstm param_count, init_params, models.rnn param_count on H ∈ 1..8, D ∈ 1..5",)))
