"""Proofs about the LSTM's forget gate (topic lstm_forget): the direct-path product, f = 0 and f = 1, the bias lever, f < 1.

Every size, as in lstm.py: entry i of the cell for a symbolic H (_gated.py); products over t by induction, checked as
a symbolic identity; inequalities by sign certificates (monotonicity on each side of the equality point).
"""

import mpmath
import numpy as np
import sympy as sp
from mpmath import iv
from vanishing.checks.evidence import _gated as G
from vanishing.checks.evidence import _iv as V
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure, evidence

HYP = ("H, D ≥ 1 symbolic (n, m)", "0 ≤ i, j ≤ H − 1", "weights, biases, states and inputs real")
xp = sp.Symbol("x", positive=True)


def _direct_tie(s, n0=0):
    e = G.lstm("forget").entry()
    J = G.collapse(sp.diff(e["c"], G.c[G.j]))

    def tie(H, D, scale, P, hv, cv, xv, ov, env):
        G.agree("direct_path_jacobian (forget)", s.direct(P, hv, cv, xv, "forget"), J, env, H, D)
    return e, J, n0 + G.sweep(lambda H, D, seed, scale: G.lstm_point("forget", H, D, seed, scale), tie) + G.tie_gates(s.gates, "forget")


@evidence("LSTM-DIRECT-PATH-PRODUCT", "proof", statement={"per_step": "f", "upper": xp - 1, "lower": 1 - 1 / xp},
          wrong={"per-step factor 1 − f": {"per_step": "1 − f"}, "bounds swapped": {"upper": 1 - 1 / xp, "lower": xp - 1}})
def lstm_direct_path_product_proof(s, ctx):
    e, J, n = _direct_tie(s)
    G.zero(J - G.delta() * (e["f"] if ctx.st.per_step == "f" else 1 - e["f"]), f"∂c_t/∂c_(t−1)|_h ≠ diag({ctx.st.per_step})")
    G.diag_induction()
    G.sign_certificate(ctx.st.upper - sp.log(xp), xp, 1, "ln x ≤ upper(x)")
    G.sign_certificate(sp.log(xp) - ctx.st.lower, xp, 1, "ln x ≥ lower(x)")
    return ("Along the direct path ∂c_T/∂c_0 = ∏ diag(f_t) = diag(∏ f_t) for every H and T, and e^(−Σ(1−f)/f) ≤ ∏f ≤ e^(−Σ(1−f)) from 1 − 1/x ≤ ln x ≤ x − 1",
            ("SymPy, symbolic H: each step's direct path is δ_ij f_i; induction over T: Σ_k δ_ik f_i δ_kj P_k = δ_ij f_i P_i. "
             "x − 1 − ln x and ln x − 1 + 1/x vanish at 1, decrease on (0, 1) and increase after (SymPy's sign analysis of "
             "their derivatives), so both are ≥ 0 on x > 0; summing ln f_t over t gives the two exponential bounds. The float64 "
             f"part (f_t = 1 exactly for a_f ≥ 36.74) is ACT-SIGMOID-RANGE-FLOAT. Tie: subject direct and gates at {n} points "
             f"({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP + ("T ≥ 1", "f_t ∈ (0, 1)"),
                  ("SymPy: d/dc[j] of entry i of c_t collapses to δ_ij f_i",
                         "SymPy: induction step Σ_k δ_ik f_i δ_kj P_k = δ_ij f_i P_i (symbolic n); base case T = 1 is the step",
                         "SymPy: (x − 1) − ln x vanishes at 1, its derivative is < 0 exactly on (0, 1) and > 0 on (1, ∞)",
                         "SymPy: ln x − (1 − 1/x) vanishes at 1, its derivative is < 0 exactly on (0, 1) and > 0 on (1, ∞)"),
                  (f"models.lstm direct_path_jacobian, gates (forget): {G.TIED}",)))


def _pinned(value):
    """The path terms and the cell entry with σ(a_f) replaced by ``value`` (the gate pinned open or shut)."""
    path, a = G.terms("forget")
    rep = {S.sig(a["f"]): value}
    return {k: v.xreplace(rep) for k, v in path.items()}, G.lstm("forget").entry()["c"].xreplace(
        {S.sig(G.lstm("forget").entry()["a"]["f"]): value})


PIN_STEPS = ("SymPy: the four path terms A, B, C, D of ∂c_t[i]/∂c_(t−1)[j] for symbolic H (h_(t−1) = o_(t−1)⊙tanh c_(t−1)), their sum the full derivative",)


@evidence("LSTM-FORGET-ONE-PASS-THROUGH", "proof", statement={"B": 1, "C_plus_D_zero": False},
          wrong={"direct path 1/2 at f = 1": {"B": sp.Rational(1, 2)}, "C + D = 0 at f = 1 too": {"C_plus_D_zero": True}})
def lstm_forget_one_pass_through_proof(s, ctx):
    one, _c = _pinned(1)
    G.zero(one["B"] - G.delta() * ctx.st.B, f"f = 1 does not make the direct path {ctx.st.B}·I")
    G.zero(one["A"], "f = 1 leaves A ≠ 0")
    (G.zero if ctx.st.C_plus_D_zero else G.nonzero)(one["C"] + one["D"], "C + D at f = 1 is not as stated")
    n = G.tie_terms(s.terms, "forget")
    return ("With f = 1 the direct path is exactly I (and A = 0 since σ'(a_f) = f(1−f) = 0), but C + D ≠ 0, every H: i⊙g still depends on c_(t−1) through h_(t−1)",
            (f"SymPy with σ(a_f) ↦ 1 in the symbolic-H path terms. Tie: subject terms (A, B, C, D, full) at {n} points ({G.TIED}) "
             f"{S.within()}. {S.versions()}."),
            G.every(HYP, PIN_STEPS + ("SymPy: with σ(a_f) ↦ 1, B − δ_ij and A expand to 0, C + D does not",),
                    (f"models.lstm cell_jacobian_terms (forget): {G.TIED}",)))


@evidence("LSTM-FORGET-ZERO-NOT-ERASE", "proof", statement={"C_plus_D_zero": False},
          wrong={"f = 0 erases the gradient (C + D = 0)": {"C_plus_D_zero": True}})
def lstm_forget_zero_not_erase_proof(s, ctx):
    zero, c0 = _pinned(0)
    G.zero(zero["B"], "f = 0 leaves the direct path")
    G.zero(zero["A"], "f = 0 leaves A ≠ 0")
    (G.zero if ctx.st.C_plus_D_zero else G.nonzero)(zero["C"] + zero["D"], "C + D at f = 0 is not as stated")
    e = G.lstm("forget").entry()
    G.zero(c0 - e["i"] * e["g"], "f = 0 does not give c_t = i⊙g")
    n = G.tie_terms(s.terms, "forget") + G.tie_gates(s.gates, "forget")
    return ("f = 0 cuts the direct path (B = A = 0, c_t = i⊙g), but ∂c_t/∂c_(t−1) = C + D ≠ 0 through h_(t−1), every H",
            (f"SymPy with σ(a_f) ↦ 0 in the symbolic-H path terms and cell entry. The float64 threshold a_f ≤ −745.13 is not "
             f"covered here. Tie: subject terms and gates at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP, PIN_STEPS + ("SymPy: with σ(a_f) ↦ 0, B and A expand to 0, C + D does not, and c_t[i] = i_i g_i",),
                    (f"models.lstm cell_jacobian_terms, gates (forget): {G.TIED}",)))


@evidence("LSTM-FORGET-BIAS-LEVER", "proof", statement={"log_derivative": "1 − σ", "sup": sp.exp(-1)},
          wrong={"σ'(a_f) for 1 − σ": {"log_derivative": "σ'"}, "sup 1/(2e)": {"sup": sp.exp(-1) / 2}})
def lstm_forget_bias_lever_proof(s, ctx):
    a, bf = sp.Symbol("a", real=True), sp.IndexedBase("b_f")
    ld = {"1 − σ": lambda u: 1 - S.sig(u), "σ'": S.dsig}[ctx.st.log_derivative]
    f_i = S.sig(a + bf[G.i])                                        # entry i of f_t, h frozen: a_f[i] = a + b_f[i]
    G.zero(sp.diff(f_i, bf[G.j]) - G.delta() * f_i * ld(a + bf[G.i]), "∂f_i/∂b_f[j] ≠ δ_ij f_i·(stated log-derivative)")
    P, Sg, F = sp.Function("P"), sp.Function("Sg"), sp.Function("F")    # induction over T: P_T = P_(T−1) F_T
    bb = sp.Symbol("beta", real=True)
    hyp = {sp.Derivative(P(bb), bb): P(bb) * Sg(bb), sp.Derivative(F(bb), bb): F(bb) * (1 - F(bb))}
    step = sp.diff(P(bb) * F(bb), bb).subs(hyp)
    ensure(sp.expand(step - P(bb) * F(bb) * (Sg(bb) + 1 - F(bb))) == 0,
           "(P F)' ≠ P F (Σ + 1 − F): the inductive step of d∏σ/db = ∏σ·Σ(1 − σ) fails")
    u = sp.Symbol("u", nonnegative=True)                            # ∏f ≤ e^{−S} (ln x ≤ x − 1), so ∏f·S ≤ S e^{−S}
    G.sign_certificate(xp - 1 - sp.log(xp), xp, 1, "ln x ≤ x − 1")
    ensure(sp.solve(sp.diff(u * sp.exp(-u), u), u) == [1] and sp.diff(u * sp.exp(-u), u, 2).subs(u, 1) < 0
           and sp.limit(u * sp.exp(-u), u, sp.oo) == 0 and sp.simplify((u * sp.exp(-u)).subs(u, 1) - ctx.st.sup) == 0,
           f"sup_(s ≥ 0) s e^(−s) ≠ {ctx.st.sup}")
    e = G.lstm("forget").entry()
    n = 0

    def tie(H, D, scale, P0, hv, cv, xv, ov, env):
        steps, want = [], []
        for t in range(6):                                          # T = 6 steps with h frozen, inputs varying
            x_t = S.points((D,), 5000 + 13 * H + t, -3, 3)
            steps.append(s.gates(P0, hv, cv, x_t, "forget"))
            want.append(G._table(e["f"], {**env, "x": x_t}, H, D))
        want = np.array(want)
        for st, wf in zip(steps, want):
            S.agree(f"gates f (H = {H})", np.asarray(st["f"], float), wf)
        S.agree(f"lever (H = {H})", s.lever(steps), np.diag(np.prod(want, axis=0) * np.sum(1.0 - want, axis=0)))
    n += G.sweep(lambda H, D, seed, scale: G.lstm_point("forget", H, D, seed, scale), tie)
    return ("∂(∏_t f_t)/∂b_f = diag(∏f ⊙ Σ(1 − f_t)) for every H and T, and 0 ≤ ∏f·Σ(1−f) ≤ sup_(s≥0) s e^(−s) = 1/e",
            ("SymPy: ∂f_i/∂b_f[j] = δ_ij f_i(1 − f_i) (symbolic H); induction over T with undefined functions: if P' = P·Σ and "
             "F' = F(1 − F) then (PF)' = PF(Σ + 1 − F). With S = Σ(1 − f_t): ln ∏f ≤ −S (ln x ≤ x − 1, sign certificate), so "
             "∏f·S ≤ S e^(−S) ≤ 1/e (unique critical point s = 1, a maximum, limit 0 at ∞). "
             f"Tie: subject gates' f over T = 6 steps and lever at {n} sizes ({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP + ("h frozen across the T steps", "T ≥ 1"),
                  ("SymPy: d σ(a + b_f[i]) / d b_f[j] − δ_ij σ(1 − σ) expands to 0",
                         "SymPy: induction step (P F)' = P F (Σ + 1 − F) from P' = PΣ, F' = F(1 − F)",
                         "SymPy: x − 1 − ln x ≥ 0 by monotonicity on each side of 1",
                         "SymPy: s e^(−s) has one critical point s = 1, a maximum, value 1/e, limit 0"),
                  (f"models.lstm gates (forget) over T = 6 steps and the subject lever: {G.TIED}",)))


@evidence("LSTM-FORGET-GATE-NOT-ABOVE-ONE", "proof", statement={"sup": 1}, wrong={"f < 1/2": {"sup": sp.Rational(1, 2)}})
def lstm_forget_gate_not_above_one_proof(s, ctx):
    G.ranges((0, ctx.st.sup))
    for variant in ("forget", "peephole"):
        G.entry_heads(variant)
    n = G.tie_gates(s.gates, "forget", keys=("f",)) + G.tie_gates(s.gates, "peephole", keys=("f",))
    return (f"f_t = σ(a_f) = 1/(1 + e^(−a_f)) < {ctx.st.sup} for every input and H (e^(−a_f) > 0): 'sometimes above 1' never happens; in float64 the sup 1 is reached, not exceeded",
            ("Entry i of f is σ of a real pre-activation for symbolic H (forget, peephole); with t = e^(−a) > 0, 1/(1+t) ∈ (0, 1) "
             f"(SymPy signs). The float64 value 1.0 from a_f ≥ 36.74 is ACT-SIGMOID-RANGE-FLOAT. Tie: subject gates' f "
             f"(forget, peephole) at {n} points ({G.TIED}) {S.within()}. {S.versions()}."),
            G.every(HYP,
                  ("SymPy: entry i of f is sig(·) (forget, peephole; symbolic n, m)",
                         f"SymPy: 1/(1+t) − 0 and {ctx.st.sup} − 1/(1+t) are positive for every t > 0"),
                  (f"models.lstm gates' f (forget, peephole): {G.TIED}",)))


# ---------------------------------------------------------------- forget bias 1 (and 0, 2, 5): every constant the statement names
def _rounded(text):
    """The interval a decimal stands for: "0.7311" is [0.73105, 0.73115] (the value rounded to its digits)."""
    d = mpmath.mpf(text)
    digits = len(text.split(".")[1]) if "." in text else 0
    half = mpmath.mpf(10) ** -digits / 2
    return d - half, d + half


def _iv_sig(b):
    return 1 / (1 + iv.exp(-iv.mpf(b)))


def _w_zero(expr):
    """``expr`` with W_h = 0 (every gate) and W_xf = 0: the statement's hypotheses, for symbolic H."""
    gone = {G.W(g) for g in "ifgo"} | {G.U("f")}
    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Indexed) and e.base in gone, lambda e: sp.S.Zero).doit()


@evidence("LSTM-FORGET-BIAS-ONE", "interval",
          statement={"sigma": (("0", "0.5"), ("1", "0.7311"), ("2", "0.8808"), ("5", "0.9933")),
                     "half_life": (("0", "1"), ("1", "2.21"), ("2", "5.46"), ("5", "103"))},
          wrong={"σ(2) = 0.8909": {"sigma": (("0", "0.5"), ("1", "0.7311"), ("2", "0.8909"), ("5", "0.9933"))},
                 "half-life 10 steps at b_f = 5": {"half_life": (("0", "1"), ("1", "2.21"), ("2", "5.46"), ("5", "10"))}},
          unaffected={"init's forget_bias stored in the i block":
                      "the certificate bounds σ(b_f) for given b_f; it never draws parameters with init_params"})
def lstm_forget_bias_one_interval(s, ctx):
    path = G.terms("forget")[0]
    G.zero(_w_zero(path["full"]) - G.delta() * S.sig(G.b("f")[G.i]), "with W_h = W_xf = 0, ∂c_t/∂c_(t−1) ≠ diag(σ(b_f))")
    G.diag_induction()
    old, boxes = iv.prec, []
    iv.prec = V.IV_PREC
    try:
        for (b, text), (b2, hl) in zip(ctx.st.sigma, ctx.st.half_life, strict=True):
            ensure(b == b2, f"the statement pairs σ({b}) with the half-life at {b2}")
            sv = _iv_sig(b)
            lo, hi = _rounded(text)
            ensure(sv.a >= lo and sv.b <= hi, f"σ({b}) ∈ {sv} is not {text} (the interval [{lo}, {hi}])")
            half = iv.log(2) / -iv.log(sv)                          # σ(b)^T = 1/2 at T = ln 2/(−ln σ(b))
            lo, hi = _rounded(hl)
            ensure(half.a >= lo and half.b <= hi, f"the half-life at b_f = {b}, {half}, is not {hl} steps ([{lo}, {hi}])")
            boxes.append(f"σ({b}) ∈ [{mpmath.nstr(sv.a, 8)}, {mpmath.nstr(sv.b, 8)}], half-life ∈ [{mpmath.nstr(half.a, 6)}, {mpmath.nstr(half.b, 6)}]")
    finally:
        iv.prec = old
    count = 0
    for H in range(1, 9):                                            # W = 0, x = 0, b_g = 0 ⇒ g = 0 and c_t = σ(b_f)⊙c_(t−1)
        for T in (3, 6, 20):
            rng = np.random.default_rng(100 * H + T)
            bias = rng.choice([0.0, 1.0, 2.0, 5.0], size=H)
            b = S.points(4 * H, 700 + H, -3, 3)
            b[H:2 * H], b[2 * H:3 * H] = bias, 0.0
            P = {"W_x": np.zeros((4 * H, 1)), "W_h": np.zeros((4 * H, H)), "b": b}
            c0 = S.points(H, 800 + H, -3, 3)
            _, cs = s.forward(P, np.zeros(H), c0, np.zeros((T, 1)))
            with mpmath.workdps(S.MP_DPS):
                want = np.array([float((1 / (1 + mpmath.exp(-mpmath.mpf(bf)))) ** T * mpmath.mpf(v)) for bf, v in zip(bias, c0)])
            S.agree(f"forward c_T (H = {H}, T = {T})", np.asarray(cs, float)[-1], want)
            count += 1
    return ("With W_h = W_xf = 0: ∂c_T/∂c_0 = diag(σ(b_f))^T for every H and T; σ(0), σ(1), σ(2), σ(5) = 0.5, 0.7311, 0.8808, 0.9933 and half-lives 1, 2.21, 5.46, 103 steps (interval enclosures)",
            (f"SymPy, symbolic H: the four-term ∂c_t/∂c_(t−1) with W_h = W_xf = 0 is δ_ij σ(b_f[i]); the product over T steps is "
             f"diagonal by induction. Interval enclosures ({V.version()}) of every constant the statement names, each inside the "
             f"interval its decimal stands for: {'; '.join(boxes)}. Tie: subject forward's c_T at {count} runs (H = 1..8, "
             f"T = 3, 6, 20, b_f per unit from {{0, 1, 2, 5}}, other biases in [−3, 3]) equals σ(b_f)^T c_0 (mpmath) {S.within()}. "
             f"{S.versions()}."),
            G.every(("W_h = 0, W_xf = 0 (the forget gate sees only its bias)", "H ≥ 1 symbolic", "T ≥ 1"),
                  ("SymPy: the path terms of ∂c_t/∂c_(t−1) with W_h = W_xf = 0 collapse to δ_ij σ(b_f[i]) (symbolic n)",
                         "SymPy: induction step Σ_k δ_ik f_i δ_kj P_k = δ_ij f_i P_i",
                         *(f"interval: {x}" for x in boxes)),
                  (f"models.lstm forward's c_T at H = 1..8, T = 3, 6, 20, b_f ∈ {{0, 1, 2, 5}} per unit ({count} runs)",)))
