"""Proofs about the minimal cells' log-space identities (spec/claims/mingru.toml), for every x and every H.

Both statements are elementwise (every entry of a gate is the same scalar function of its own pre-activation), so a
derivation in one scalar symbol holds for every size H; the tie evaluates the model's code at exact dyadic points.
"""

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S

x, d = sp.symbols("x d", real=True)
SIG = lambda u: 1 / (1 + sp.exp(-u))
SOFTPLUS = lambda u: sp.log(1 + sp.exp(u))
#: exact dyadics, 0, and the tails: log σ(−800) = −800 where σ(−800) itself underflows to 0
XS = np.concatenate([S.points(24, seed=7, lo=-8, hi=8), [0.0, 36.0, -36.0, 100.0, -100.0, 700.0, -700.0, -800.0]])
ELEMENTWISE = "every entry is the same scalar function of its own pre-activation, so the scalar derivation holds for every H"


@evidence("MINGRU-LOG-SIGMOID-SOFTPLUS", "proof", statement={"sign": -1}, wrong={"+softplus(−x)": {"sign": 1}})
def mingru_log_sigmoid_softplus_proof(s, ctx):
    """log σ(x) = sign·softplus(−x) with sign = −1, and d/dx log σ(x) = σ(−x)."""
    sign = ctx.st.sign
    diff = sp.expand_log(sp.log(SIG(x)), force=True) - sign * SOFTPLUS(-x)
    ensure(sp.simplify(diff) == 0, f"log σ(x) − ({sign})·softplus(−x) = {sp.simplify(diff)} is not 0")
    ensure(sp.simplify(sp.diff(sp.log(SIG(x)), x) - SIG(-x)) == 0, "d/dx log σ(x) is not σ(−x)")
    with mpmath.workdps(S.MP_DPS):
        want = [float(-mpmath.log(1 + mpmath.exp(-mpmath.mpf(float(v))))) for v in XS]
        sp_want = [float(mpmath.log(1 + mpmath.exp(mpmath.mpf(float(v))))) for v in XS]
    S.agree("log_sigmoid", s.log_sigmoid(XS), want)
    S.agree("softplus", s.softplus(XS), sp_want)
    return ("log σ(x) = −softplus(−x) and (log σ)′ = σ(−x) for every real x (SymPy), tied at exact points",
            (f"SymPy: log(1/(1 + e^(−x))) + log(1 + e^(−x)) simplifies to 0, and d/dx log σ(x) − σ(−x) to 0; {ELEMENTWISE}. "
             f"Tie: log_sigmoid and softplus at {len(XS)} exact points in [−800, 700] equal mpmath's values {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("x real",),
                  steps=("SymPy: expand_log(log σ(x)) − sign·log(1 + e^(−x)) simplifies to 0 (sign = −1)",
                         "SymPy: d/dx log σ(x) − σ(−x) simplifies to 0"),
                  tied=(f"models.activations log_sigmoid and softplus at {len(XS)} exact points in [−800, 700]",)))


@evidence("MINLSTM-GATES-SUM-TO-ONE", "proof", statement={"total": 1}, wrong={"f′ + i′ = 2": {"total": 2}})
def minlstm_gates_sum_to_one_proof(s, ctx):
    """f′ = f/(f + i) = σ(−d), i′ = σ(d) with d = log i − log f: f′ + i′ = total with total = 1."""
    f, i = sp.symbols("f i", positive=True)
    ensure(sp.simplify(f / (f + i) - SIG(-(sp.log(i) - sp.log(f)))) == 0, "f/(f + i) is not σ(log f − log i)")
    ensure(sp.simplify(SIG(-d) + SIG(d) - ctx.st.total) == 0, f"σ(−d) + σ(d) − {ctx.st.total} is not 0")
    rng = np.random.default_rng(11)
    H, D = 3, 2
    P = {k: S.points(sh, seed=int(rng.integers(1 << 30)), lo=-4, hi=4) for k, sh in
         {"W_f": (H, D), "b_f": (H,), "W_i": (H, D), "b_i": (H,), "W_h": (H, D), "b_h": (H,)}.items()}
    P["W_h"], P["b_h"] = np.zeros((H, D)), np.ones(H)                # h̃ = 1: b_t = i′_t
    for x_ in (S.points(D, seed=3), S.points(D, seed=4)):
        f_n, i_n = s.coefficients(P, x_, "minlstm", "linear")
        with mpmath.workdps(S.MP_DPS):
            kf, ki = P["W_f"] @ x_ + P["b_f"], P["W_i"] @ x_ + P["b_i"]          # exact: dyadics times dyadics
            fe = [1 / (1 + mpmath.exp(-mpmath.mpf(float(a)))) for a in kf]
            ie = [1 / (1 + mpmath.exp(-mpmath.mpf(float(b)))) for b in ki]
            want_f = [float(a / (a + b)) for a, b in zip(fe, ie)]
            want_i = [float(b / (a + b)) for a, b in zip(fe, ie)]
        S.agree("f′ (minLSTM)", f_n, want_f)
        S.agree("i′ (minLSTM)", i_n, want_i)
    return ("f′ = f/(f + i) = σ(−d), i′ = σ(d), so f′ + i′ = 1 for every H (SymPy), tied at exact points",
            (f"SymPy: f/(f + i) − σ(log f − log i) and σ(−d) + σ(d) − 1 simplify to 0 (f, i > 0, d real); {ELEMENTWISE}. "
             f"Tie: the subject's coefficients (f′, i′) at 2 exact inputs, H = 3, D = 2, equal f/(f + i), i/(f + i) in mpmath "
             f"{S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("f, i > 0", "d = log i − log f real"),
                  steps=("SymPy: f/(f + i) − σ(log f − log i) simplifies to 0",
                         f"SymPy: σ(−d) + σ(d) − {ctx.st.total} simplifies to 0"),
                  tied=("models.mingru.coefficients (minLSTM) at 2 exact inputs, H = 3, D = 2",)))


def _exact_gates(name, P, state, x):
    """The direct path's a_t of each modern row, from the row's own equations, in mpmath at exact inputs (a list of floats)."""
    mp = mpmath.mpf
    sig = lambda u: 1 / (1 + mpmath.exp(-u))
    softplus = lambda u: mpmath.log(1 + mpmath.exp(u))
    lin = lambda W, b: [sum(mp(float(W[r, c])) * mp(float(x[c])) for c in range(len(x))) + mp(float(b[r])) for r in range(len(b))]
    if name == "mingru":
        return [sig(-k) for k in lin(P["W_z"], P["b_z"])]                          # 1 − z = σ(−k_z)
    if name == "minlstm":
        kf, ki = lin(P["W_f"], P["b_f"]), lin(P["W_i"], P["b_i"])
        return [sig(a) / (sig(a) + sig(b)) for a, b in zip(kf, ki)]               # f′ = f/(f + i)
    if name == "lru":
        r = [mpmath.exp(-mpmath.exp(mp(float(v)))) for v in P["nu_log"]]
        th = [mpmath.exp(mp(float(v))) for v in P["theta_log"]]
        re, im = [a * mpmath.cos(t) for a, t in zip(r, th)], [a * mpmath.sin(t) for a, t in zip(r, th)]
        H = len(re)
        M = [[mp(0)] * (2 * H) for _ in range(2 * H)]                             # [[Re λ, −Im λ], [Im λ, Re λ]]
        for j in range(H):
            M[j][j], M[j][H + j], M[H + j][j], M[H + j][H + j] = re[j], -im[j], im[j], re[j]
        return M
    if name == "slstm":
        H = len(state[0])
        a = [sum(mp(float(P["W"][r, c])) * mp(float(x[c])) for c in range(len(x))) + sum(mp(float(P["R"][r, c])) * mp(float(state[0][c]))
             for c in range(H)) + mp(float(P["b"][r])) for r in range(4 * H)]
        log_i, log_f = a[:H], [-softplus(-u) for u in a[H:2 * H]]
        m_prev = [mp(float(v)) for v in state[3]]
        m = [max(lf + mprev, li) for lf, li, mprev in zip(log_f, log_i, m_prev)]
        return [mpmath.exp(lf + mprev - mm) for lf, mprev, mm in zip(log_f, m_prev, m)]
    if name != "mamba-s6":
        raise ValueError(f"_exact_gates: no exact equations for the row {name!r}")
    A = [[-mpmath.exp(mp(float(v))) for v in row] for row in P["A_log"]]           # mamba-s6: exp(Δ_d A_dn)
    delta = [softplus(u) for u in lin(P["W_delta"], P["b_delta"])]
    return [mpmath.exp(d * a) for d, row in zip(delta, A) for a in row]


_A, _C = sp.IndexedBase("a"), sp.IndexedBase("c")
_I, _J = sp.symbols("i j", integer=True)


@evidence("MODERN-DIRECT-PATH-DIAG", "proof", statement={"jacobian": _A[_I] * sp.KroneckerDelta(_I, _J)},
          wrong={"the identity": {"jacobian": sp.KroneckerDelta(_I, _J)}, "diag(1 − a)": {"jacobian": (1 - _A[_I]) * sp.KroneckerDelta(_I, _J)}})
def modern_direct_path_diag_proof(s, ctx):
    """∂(a_i c_i + b_i)/∂c_j = a_i δ_ij for a symbolic size (IndexedBase): the Jacobian is diag(a) for every H; each row tied."""
    b = sp.IndexedBase("b")
    ensure(sp.simplify(sp.diff(_A[_I] * _C[_I] + b[_I], _C[_J]) - ctx.st.jacobian) == 0,
           f"∂(a_i c_i + b_i)/∂c_j is not {ctx.st.jacobian}")
    tied = []
    for name, row in s.rows.items():
        if row.direct_path is None:
            continue
        H, D = 3, 2
        seed = sum(map(ord, name))
        P = {k: S.points(sh, seed=seed + n, lo=-2, hi=2) for n, (k, sh) in enumerate(row.canonical_shapes(H, D).items())}
        state = tuple(S.points(sh, seed=seed + 50 + n, lo=0.5, hi=2) for n, sh in enumerate(row.shapes_of_state(H, D)))
        x = S.points(D, seed=seed + 99)
        got = np.asarray(row.direct_path(P, state, x), dtype=np.float64)
        with mpmath.workdps(S.MP_DPS):
            g = _exact_gates(name, P, state, x)
            want = np.array([[float(v) for v in r] for r in g]) if isinstance(g[0], list) else np.diag([float(v) for v in g])
        S.agree(f"{name}: direct path vs diag(a_t)", got, want)
        tied.append(name)
    return ("∂c_t/∂c_(t−1) = diag(a_t) for every size when a_t, b_t do not read c_(t−1) (SymPy, IndexedBase); every modern row tied",
            ("SymPy differentiates a[i]·c[i] + b[i] by c[j] with symbolic indices to a[i]·KroneckerDelta(i, j): the Jacobian of a "
             f"gated linear recurrence is diag(a) for every size. Tie: the direct path of each row ({', '.join(tied)}) at an exact "
             f"point, H = 3, D = 2, equals its a_t computed in mpmath from the row's equations {S.within()}. {S.versions()}."),
            Scope(sizes="every", hypotheses=("a_t and b_t do not depend on c_(t−1)",),
                  steps=("SymPy: diff(a[i]c[i] + b[i], c[j]) − a[i]·KroneckerDelta(i, j) simplifies to 0 (symbolic i, j)",),
                  tied=tuple(f"models.kinds row {n}: direct_path (the hand-derived a_t; step itself is tied to it by the property check) at one exact point, H = 3, D = 2" for n in tied)))
