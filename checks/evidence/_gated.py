"""The LSTM and GRU cells for a symbolic size: entry i of each gate with IndexedBase, Sum and KroneckerDelta.

H is the symbol ``n`` and D the symbol ``m``; entry i of a pre-activation is Σ_k W[i,k] h[k] + Σ_q U[i,q] x[q] + b[i].
SymPy differentiates an entry with respect to h[j] or c[j] for symbolic n, and :func:`collapse` evaluates the
Kronecker sums (Σ_k δ_jk W[i,k] = W[i,j] for 0 ≤ j ≤ n − 1, the hypothesis on j). :func:`table` evaluates an
indexed expression at concrete sizes (every (i, j) at once, numpy broadcasting in extended precision), so the
model's code is tied to the expression SymPy derived, at any H.
"""

import functools

import numpy as np
import sympy as sp
from vanishing.checks.evidence import _sym as S
from vanishing.checks.evidence import ensure

n = sp.Symbol("n", integer=True, positive=True)       # H, symbolic
m = sp.Symbol("m", integer=True, positive=True)       # D, symbolic
i, j = sp.symbols("i j", integer=True, nonnegative=True)
k, l, q = sp.symbols("k l q", integer=True, nonnegative=True)   # summation dummies
GATES = {"forget": "ifgo", "cec": "igo", "peephole": "ifgo"}
h, c, x, op = (sp.IndexedBase(s) for s in ("h", "c", "x", "op"))
#: Sizes, seeds and weight scales of the every-size ties (scales up to 24: gates saturated, not only |a| ≤ 8).
SIZES = tuple((H, 1 + H % 2) for H in range(1, 9))
SCALES = (0.5, 3.0, 24.0)
TIED = (f"H = 1..8 (D = 1, 2), weight scale cycling {', '.join(map(str, SCALES))} (|a| up to ~100), exact dyadic points, "
        "float64 model vs the derived entry in 80-bit extended precision")


def W(g):
    return sp.IndexedBase(f"Wh_{g}")


def U(g):
    return sp.IndexedBase(f"Wx_{g}")


def b(g):
    return sp.IndexedBase(f"b_{g}")


def p(g):
    return sp.IndexedBase(f"p_{g}")


def hsum(M, row, v, d=k):
    """Σ_d M[row, d] v(d) over 0 ≤ d ≤ n − 1."""
    return sp.Sum(M[row, d] * v(d), (d, 0, n - 1))


def collapse(e):
    """Evaluate the Kronecker sums left by differentiation; an in-range condition on i or j is the hypothesis 0 ≤ i, j ≤ n − 1,
    so of a Piecewise((v, 0 ≤ j ≤ n − 1), (rest, True)) the branch v holds."""
    ok = {sp.And(s >= 0, s <= n - 1) for s in (i, j)} | {sp.And(s <= n - 1) for s in (i, j)} | {s <= n - 1 for s in (i, j)}

    def branch(pw):
        ensure(len(pw.args) == 2 and pw.args[1][1] == sp.true and pw.args[0][1] in ok,
               f"a Kronecker sum left a condition other than 0 ≤ i, j ≤ n − 1: {pw}")
        return pw.args[0][0]

    def strip(a):
        return a.replace(lambda p: isinstance(p, sp.Piecewise), branch)
    # only the sums differentiation made (a KroneckerDelta inside) or emptied, innermost first: SymPy's doit on the
    # pre-activations' own sums tries symbolic summation formulas, seconds per claim for nothing
    e = sp.sympify(e).replace(lambda a: isinstance(a, sp.Derivative), lambda a: a.doit())
    return e.replace(lambda a: isinstance(a, sp.Sum) and (a.function.has(sp.KroneckerDelta) or a.function == 0),
                     lambda a: strip(a.doit(deep=False)))


def zero(expr, label):
    """``expr`` (an indexed entry) expands to 0: an identity for every n, i, j."""
    d = sp.expand(collapse(expr))
    ensure(d == 0, f"{label}: the difference is not 0 for symbolic n: {d}")
    return True


def nonzero(expr, label):
    ensure(sp.expand(collapse(expr)) != 0, label)
    return True


# ---------------------------------------------------------------- the cells, entry i
class LSTM:
    """Entry ``row`` of every intermediate of models/lstm.py::_gates, for symbolic H = n and D = m."""

    def __init__(self, variant):
        self.variant, self.keys = variant, GATES[variant]

    def pre(self, g, row, hv=None, cv=None):
        hv = hv or (lambda d: h[d])
        cv = cv or (lambda r: c[r])
        a = hsum(W(g), row, hv) + sp.Sum(U(g)[row, q] * x[q], (q, 0, m - 1)) + b(g)[row]
        if self.variant == "peephole" and g in "if":
            a = a + p(g)[row] * cv(row)
        return a

    def entry(self, row=i, hv=None, cv=None):
        cv = cv or (lambda r: c[r])
        a = {g: self.pre(g, row, hv, cv) for g in self.keys}
        I, G = S.sig(a["i"]), S.th(a["g"])
        F = sp.S.One if self.variant == "cec" else S.sig(a["f"])
        cn = F * cv(row) + I * G
        if self.variant == "peephole":
            a["o"] = a["o"] + p("o")[row] * cn
        O = S.sig(a["o"])
        return {"a": a, "i": I, "f": F, "g": G, "o": O, "c": cn, "h": O * S.th(cn)}


class GRU:
    """Entry ``row`` of models/gru.py::_gates for symbolic H = n and D = m, reset after or before the matmul."""

    def pre(self, g, row, hv=None, d=k):
        hv = hv or (lambda e: h[e])
        return hsum(W(g), row, hv, d) + sp.Sum(U(g)[row, q] * x[q], (q, 0, m - 1)) + b(f"x{g}")[row] + b(f"h{g}")[row]

    def entry(self, reset, row=i):
        r, z = S.sig(self.pre("r", row)), S.sig(self.pre("z", row))
        xn = sp.Sum(U("n")[row, q] * x[q], (q, 0, m - 1)) + b("xn")[row]
        if reset == "after":
            hn = hsum(W("n"), row, lambda d: h[d]) + b("hn")[row]
            a_n = xn + r * hn
        else:
            hn = hsum(W("n"), row, lambda d: S.sig(self.pre("r", d, d=l)) * h[d]) + b("hn")[row]
            a_n = xn + hn
        nn = S.th(a_n)
        return {"r": r, "z": z, "hn": hn, "a_n": a_n, "n": nn, "h": (1 - z) * nn + z * h[row]}


@functools.cache
def lstm(variant):
    return LSTM(variant)


@functools.cache
def gru():
    return GRU()


# ---------------------------------------------------------------- evaluation at concrete sizes
_NAX = 6                     # axes: i, j, then one per nested Sum


def _ev(e, env, idx, depth, dt):
    if e.is_Number:
        return dt(e.p) / dt(e.q) if e.is_Rational else dt(float(e))
    if isinstance(e, sp.Indexed):
        return env[e.base.label.name][tuple(idx[s] for s in e.indices)]
    if isinstance(e, sp.KroneckerDelta):
        return (idx[e.args[0]] == idx[e.args[1]]).astype(dt)
    if isinstance(e, sp.Add):
        return sum((_ev(a, env, idx, depth, dt) for a in e.args), dt(0))
    if isinstance(e, sp.Mul):
        out = dt(1)
        for a in e.args:
            out = out * _ev(a, env, idx, depth, dt)
        return out
    if isinstance(e, sp.Pow) and e.exp.is_Integer:
        return _ev(e.base, env, idx, depth, dt) ** int(e.exp)
    if isinstance(e, S.sig):
        return 1 / (1 + np.exp(-_ev(e.args[0], env, idx, depth, dt)))
    if isinstance(e, S.th):
        return np.tanh(_ev(e.args[0], env, idx, depth, dt))
    if isinstance(e, sp.Sum):
        (d, lo, hi), = e.limits
        size = int((hi - lo + 1).subs(env["__sizes__"]))
        shape = [1] * _NAX
        shape[2 + depth] = size
        inner = {**idx, d: np.arange(size).reshape(shape)}
        return np.sum(_ev(e.function, env, inner, depth + 1, dt) * np.ones(shape, dt), axis=2 + depth, keepdims=True)
    raise TypeError(f"_gated.table: cannot evaluate {type(e).__name__} {e}")


def table(expr, env, H, D, square=None):
    """Cached :func:`_table` (``env`` carries the key of the point it was drawn from)."""
    return _table_cached(sp.sympify(expr), env["__key__"], H, D, square)


@functools.lru_cache(maxsize=4096)
def _table_cached(expr, key, H, D, square):
    return _table(expr, _POINTS[key][-1], H, D, square)


def _table(expr, env, H, D, square=None):
    """``expr`` (entry (i) or (i, j)) at every i, j < H, with arrays ``env`` {IndexedBase name: ndarray}: an (H, H) array
    (an (H,) array if it reads no j), in numpy's extended precision (80-bit on x86)."""
    dt = np.longdouble
    env = {**{kk: np.asarray(v, dt) for kk, v in env.items() if kk != "__key__"}, "__sizes__": {n: H, m: D}}
    ax = lambda a: np.arange(H).reshape([H if t == a else 1 for t in range(_NAX)])
    with np.errstate(over="ignore"):
        v = _ev(sp.sympify(expr), env, {i: ax(0), j: ax(1)}, 0, dt) * np.ones([H, H] + [1] * (_NAX - 2), dt)
    v, has_j = v.reshape(H, H), j in sp.sympify(expr).free_symbols
    square = has_j if square is None else square
    if not (has_j or not square or sp.sympify(expr) == 0):
        ensure(False, f"an (H, H) value is asked of an entry that reads no j: {expr}")
    return v.astype(np.float64) if square else v[:, 0].astype(np.float64)


_POINTS = {}


def _frozen(key, out):
    """Register a drawn point under ``key``; its arrays are read-only (a subject that writes into them errs)."""
    for v in out:
        for a in (v.values() if isinstance(v, dict) else [v]):
            if isinstance(a, np.ndarray):
                a.setflags(write=False)
    out[-1]["__key__"] = key
    _POINTS[key] = out
    return out


@functools.cache
def lstm_point(variant, H, D, seed, scale):
    """(params for models/lstm.py, h, c, x, o_prev, env for :func:`table`) at exact dyadic values."""
    keys = GATES[variant]
    P = {"W_x": S.points((len(keys) * H, D), seed, -scale, scale), "W_h": S.points((len(keys) * H, H), seed + 1, -scale, scale),
         "b": S.points((len(keys) * H,), seed + 2, -scale, scale)}
    env = {}
    for t, g in enumerate(keys):
        env.update({f"Wx_{g}": P["W_x"][t * H:(t + 1) * H], f"Wh_{g}": P["W_h"][t * H:(t + 1) * H], f"b_{g}": P["b"][t * H:(t + 1) * H]})
    if variant == "peephole":
        for t, g in enumerate("ifo"):
            P[f"p_{g}"] = env[f"p_{g}"] = S.points((H,), seed + 3 + t, -2, 2)
    hv, cv, xv, ov = (S.points((H,), seed + 7, -1, 1), S.points((H,), seed + 8, -3, 3), S.points((D,), seed + 9, -3, 3),
                      S.points((H,), seed + 10, 0, 1))
    env.update({"h": hv, "c": cv, "x": xv, "op": ov})
    return _frozen(("lstm", variant, H, D, seed, scale), (P, hv, cv, xv, ov, env))


@functools.cache
def gru_point(H, D, seed, scale):
    P = {"W_x": S.points((3 * H, D), seed, -scale, scale), "W_h": S.points((3 * H, H), seed + 1, -scale, scale),
         "b_x": S.points((3 * H,), seed + 2, -scale, scale), "b_h": S.points((3 * H,), seed + 3, -scale, scale)}
    env = {}
    for t, g in enumerate("rzn"):
        env.update({f"Wx_{g}": P["W_x"][t * H:(t + 1) * H], f"Wh_{g}": P["W_h"][t * H:(t + 1) * H],
                    f"b_x{g}": P["b_x"][t * H:(t + 1) * H], f"b_h{g}": P["b_h"][t * H:(t + 1) * H]})
    hv, xv = S.points((H,), seed + 4, -1, 1), S.points((D,), seed + 5, -3, 3)
    env.update({"h": hv, "x": xv})
    return _frozen(("gru", H, D, seed, scale), (P, hv, xv, env))


def sweep(point, tie, seed=0):
    """Call ``tie(H, D, scale, *point(H, D, seed, scale))`` at each of :data:`SIZES` (scales cycling); returns the count."""
    for H, D in SIZES:
        scale = SCALES[H % len(SCALES)]
        tie(H, D, scale, *point(H, D, 1000 + seed + 37 * H, scale))
    return len(SIZES)


def every(hypotheses, steps, tied):
    """The Scope of an every-size derivation: its hypotheses, executed steps and ties (tuples of strings)."""
    from vanishing.checks.evidence import Scope
    return Scope(sizes="every", hypotheses=tuple(hypotheses), steps=tuple(steps), tied=tuple(tied))


def agree(label, got, expr, env, H, D):
    """The tie at a concrete size: the model's ``got`` against ``expr`` (indexed) evaluated by :func:`table`."""
    got = np.asarray(got, float)
    return S.agree(f"{label} (H = {H})", got, table(expr, env, H, D, square=got.ndim == 2))


def delta():
    return sp.KroneckerDelta(i, j)


def dh(base=c):
    """Entry j of dh = diag(o_{t−1}⊙tanh'(c_{t−1})): ∂h_{t−1}[j]/∂c_{t−1}[j] with h_{t−1} = o_{t−1}⊙tanh(c_{t−1})."""
    return op[j] * S.dtanh(base[j])


def h_of(base):
    """h_{t−1} = o_{t−1}⊙tanh(c_{t−1}) on the copy ``base`` of c_{t−1}."""
    return lambda d: op[d] * S.th(base[d])


@functools.cache
def terms(variant):
    """(SymPy's path derivatives {A, B, C, D, full} of ∂c_t[i]/∂c_{t−1}[j}, the entry's gates) for symbolic H.

    Every gate reads its own copy of c_{t−1} (through h_{t−1} = o_{t−1}⊙tanh(c_{t−1}) and its peephole); A, B, C, D
    differentiate through the copies of f, the direct product f⊙c, i and g; their sum is checked against the full
    derivative."""
    L = lstm(variant)
    cp = {g: sp.IndexedBase(f"c{g}") for g in "dfig"}
    a = {g: L.pre(g, i, h_of(cp[g]), lambda r, B=cp[g]: B[r]) for g in L.keys if g != "o"}
    F = sp.S.One if variant == "cec" else S.sig(a["f"])
    cn = F * cp["d"][i] + S.sig(a["i"]) * S.th(a["g"])
    back = {cp[g]: c for g in cp}
    path = {key: collapse(sp.diff(cn, cp[g][j])).xreplace(back) for key, g in (("A", "f"), ("B", "d"), ("C", "i"), ("D", "g"))}
    full = collapse(sp.diff(cn.xreplace(back), c[j]))
    zero(full - sum(path.values()), "∂c_t/∂c_(t−1) ≠ A + B + C + D")
    path["full"] = full
    gates = {g: L.pre(g, i, h_of(c)) for g in L.keys}
    return path, gates


def closed_terms(variant, D_act=S.dtanh, C_gate="i", B=lambda f: f):
    """The closed forms of models/lstm.py::cell_jacobian_terms at entry (i, j); D_act, C_gate and B name what a statement says."""
    a = terms(variant)[1]
    peep = (lambda g: delta() * p(g)[i]) if variant == "peephole" else (lambda g: 0)
    A = 0 if variant == "cec" else c[i] * S.dsig(a["f"]) * (W("f")[i, j] * dh() + peep("f"))
    Bv = delta() * (1 if variant == "cec" else B(S.sig(a["f"])))
    C = S.th(a["g"]) * S.dsig(a[C_gate]) * (W(C_gate)[i, j] * dh() + (peep("i") if C_gate == "i" else 0))
    D = S.sig(a["i"]) * D_act(a["g"]) * W("g")[i, j] * dh()
    return {"A": A, "B": Bv, "C": C, "D": D}


def tie_terms(s_terms, variant, keys=("A", "B", "C", "D", "full"), exprs=None, label="terms"):
    """Tie subject ``terms`` (models/lstm.py::cell_jacobian_terms) to SymPy's derived path terms over :func:`sweep`."""
    exprs = exprs or terms(variant)[0]

    def tie(H, D, scale, P, hv, cv, xv, ov, env):
        got = s_terms(P, cv, ov, xv, variant) if variant is not None else s_terms(P, cv, ov, xv)
        for key in keys:
            ensure(key in got, f"subject {label} returns no {key!r} (keys {sorted(got)})")
            agree(f"{label}[{key!r}] ({variant or 'forget'})", got[key], exprs[key], env, H, D)
    return sweep(lambda H, D, seed, scale: lstm_point(variant or "forget", H, D, seed, scale), tie)


def tie_gates(s_gates, variant, keys=("i", "f", "g", "o", "c", "h")):
    """Tie subject ``gates`` (models/lstm.py::gates) to the indexed entries over :func:`sweep`."""
    e = lstm(variant).entry()

    def tie(H, D, scale, P, hv, cv, xv, ov, env):
        got = s_gates(P, hv, cv, xv, variant)
        for key in keys:
            ensure(key in got, f"subject gates returns no {key!r}")
            agree(f"gates[{key!r}] ({variant})", got[key], e[key], env, H, D)
    return sweep(lambda H, D, seed, scale: lstm_point(variant, H, D, seed, scale), tie)


def sign_certificate(expr, x, at, label):
    """expr ≥ 0 on x > 0 with equality only at ``at``: expr(at) = 0, and SymPy's sign analysis of expr' gives
    expr' < 0 exactly on (0, at) and > 0 exactly on (at, ∞) (monotonicity on each side)."""
    d = sp.simplify(sp.diff(expr, x))
    ensure(sp.simplify(expr.subs(x, at)) == 0, f"{label}: the certificate does not vanish at {at}")
    dom = sp.Interval.open(0, sp.oo)
    neg = sp.solve_univariate_inequality(d < 0, x, relational=False, domain=dom)
    pos = sp.solve_univariate_inequality(d > 0, x, relational=False, domain=dom)
    ensure(neg == sp.Interval.open(0, at) and pos == sp.Interval.open(at, sp.oo),
           f"{label}: {expr} is not decreasing on (0, {at}) and increasing after: its derivative {d} is < 0 on {neg}, > 0 on {pos}")
    return True


def ranges(sig_range=(0, 1), tanh_range=(-1, 1)):
    """σ = 1/(1+t) ∈ sig_range and tanh = (1−t)/(1+t) ∈ tanh_range for every t = e^(−a) > 0 (resp. e^(−2a)): SymPy signs."""
    t = sp.Symbol("t", positive=True)
    xr = sp.Symbol("x", real=True)
    ensure(sp.simplify(((1 - t) / (1 + t)).subs(t, sp.exp(-2 * xr)) - S.th(xr).rewrite(sp.exp)) == 0, "tanh ≠ (1−t)/(1+t), t = e^(−2x)")
    ensure(sp.simplify(S.sig(xr).rewrite(sp.exp) - (1 / (1 + t)).subs(t, sp.exp(-xr))) == 0, "σ ≠ 1/(1+t), t = e^(−x)")
    for name, v, (lo, hi) in (("σ", 1 / (1 + t), sig_range), ("tanh", (1 - t) / (1 + t), tanh_range)):
        ensure(sp.simplify(v - lo).is_positive and sp.simplify(hi - v).is_positive,
               f"{name} = {v} is not inside ({lo}, {hi}) for every t > 0")
    return True


def entry_heads(variant):
    """Entry i of i, f, o is σ(·) and of g is tanh(·) of a real pre-activation, for symbolic H (not just at H = 2)."""
    e = lstm(variant).entry()
    for key, head in (("i", S.sig), ("g", S.th), ("o", S.sig)) + ((("f", S.sig),) if variant != "cec" else ()):
        ensure(isinstance(e[key], head), f"entry i of {key} is not {head.__name__}(·): {e[key]}")
    ensure(isinstance(e["h"], sp.Mul) and set(map(type, e["h"].args)) == {S.sig, S.th}, "h_i is not o_i·tanh(c_i)")
    return e


def diag_induction():
    """The inductive step of ∏_t diag(v_t) = diag(∏_t v_t): Σ_k δ_ik v_i · δ_kj P_k = δ_ij v_i P_i for symbolic n."""
    P, V = sp.IndexedBase("P"), sp.Function("v")
    step = sp.Sum(sp.KroneckerDelta(i, k) * V(i) * sp.KroneckerDelta(k, j) * P[k], (k, 0, n - 1))
    zero(step - sp.KroneckerDelta(i, j) * V(i) * P[i], "diag(v)·diag(P) ≠ diag(v⊙P) for symbolic n")
    return True
