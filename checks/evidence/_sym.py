"""Shared tools of the proofs: the sigmoid as a SymPy atom, exact test points, and the tie to the model's code.

* :class:`sig` is σ kept as an atom whose derivative is σ(1−σ). ``ACT-SIGMOID-DERIV-BOUND`` proves that
  rule from σ(x) = 1/(1+e^{−x}) (:func:`sigmoid_rule_holds`), so the cell proofs may use it: every
  Jacobian of a σ/tanh network is then a polynomial in the atoms σ(·), tanh(·) and the symbols, and
  ``expand(A − B) == 0`` decides an identity exactly (no simplify heuristics).
* :func:`points` draws dyadic rationals k/8: exact in float64, so the model and SymPy see the same numbers.
* :func:`agree` is the tie: the model's float64 output against the symbolic expression evaluated in
  mpmath at 50 digits from the same exact inputs, within ``tolerances.analytic`` (256 ulps, scaled). Each tie is a
  :class:`~vanishing.checks.comparison.Comparison` recorded in the proof's recording (the evidence runner opens one
  per proof), and :func:`within` words the worst of them: a proof states its ties, it does not carry their ratios.
"""

import functools

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks import recording, tolerances
from vanishing.checks.comparison import Comparison
from vanishing.checks.evidence import ensure

__all__ = [
    "MP_DPS",
    "TIE_ULPS",
    "agree",
    "diag",
    "dsig",
    "dtanh",
    "evaluate",
    "matrix",
    "opnorm_exact",
    "points",
    "scalar_values",
    "sig",
    "sigmoid_rule_holds",
    "tanh_rule_holds",
    "th",
    "valid",
    "values",
    "vector",
    "versions",
    "within",
    "worst",
    "zero",
]

#: Working precision (decimal digits) of every mpmath evaluation of a symbolic expression.
MP_DPS = 50
#: The tie's tolerance in words: tolerances.analytic in float64, scaled by the data's magnitude (see :func:`agree`).
TIE_ULPS = f"{tolerances.ANALYTIC_ULPS:g} ulps"


class sig(sp.Function):
    """σ(x) = 1/(1+e^{−x}) as an atom, with σ' = σ(1−σ) (proved from the definition in ACT-SIGMOID-DERIV-BOUND)."""

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:
            return sp.S.Half
        return None

    def fdiff(self, argindex=1):
        s = sig(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))


class th(sp.Function):
    """tanh as an atom with tanh' = 1 − tanh² (proved from the definition in ACT-TANH-DERIV-BOUND).

    sympy.tanh asks costly questions (is its argument real? a Mod by iπ) inside large products; this atom does not.
    """

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:                                            # a structural test only: no assumption queries
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return 1 - th(self.args[0]) ** 2

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))


def dsig(u):
    """σ'(u) = σ(u)(1−σ(u))."""
    return sig(u) * (1 - sig(u))


def dtanh(u):
    """tanh'(u) = 1 − tanh²(u) with the :class:`th` atom."""
    return 1 - th(u) ** 2


def tanh_rule_holds():
    """The :class:`th` atom's derivative rule equals that of the definition (e^x − e^{−x})/(e^x + e^{−x})."""
    x = sp.Symbol("x", real=True)
    t = (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))
    return sp.simplify(sp.diff(th(x), x).rewrite(sp.exp) - sp.diff(t, x)) == 0


def sigmoid_rule_holds():
    """d/dx of the definition 1/(1+e^{−x}) equals σ(1−σ) with σ the definition: the rule :class:`sig` uses."""
    x = sp.Symbol("x", real=True)
    s = 1 / (1 + sp.exp(-x))
    return sp.simplify(sp.diff(s, x) - s * (1 - s)) == 0 and sp.simplify(sp.diff(sig(x), x).rewrite(sp.exp) - sp.diff(s, x)) == 0


def versions():
    return f"SymPy {sp.__version__}, mpmath {mpmath.__version__}"


# ---------------------------------------------------------------- symbols and exact points
def matrix(name, rows, cols):
    """A rows×cols Matrix of symbols name_ij (no assumptions: the identities are algebraic, and SymPy is faster without)."""
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}{j}"))


def vector(name, n):
    """An n×1 Matrix of symbols name_i."""
    return sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"{name}_{i}"))


def diag(v):
    """diag(v) for an n×1 Matrix or a list."""
    return sp.diag(*list(v))


def points(shape, seed, lo=-3.0, hi=3.0, den=8):
    """Dyadic rationals k/den in [lo, hi] (exact in float64) from a fixed seed: deterministic test points."""
    rng = np.random.default_rng(seed)
    k = rng.integers(int(lo * den), int(hi * den) + 1, size=shape)
    return k.astype(np.float64) / den


def values(*pairs):
    """{symbol: float} from (Matrix of symbols, array of the same shape) pairs."""
    out = {}
    for M, a in pairs:
        a = np.asarray(a, dtype=np.float64).reshape(M.shape)
        for i in range(M.shape[0]):
            for j in range(M.shape[1]):
                out[M[i, j]] = float(a[i, j])
    return out


# ---------------------------------------------------------------- evaluation and the tie
def _mp_sig(x):
    return 1 / (1 + mpmath.exp(-x))


_MODULES = [{"sig": _mp_sig, "th": mpmath.tanh}, "mpmath"]


@functools.lru_cache(maxsize=512)
def _lambdified(expr, syms):
    """SymPy → mpmath code for ``expr`` (a code cache only: the value is recomputed at every call)."""
    return sp.lambdify(list(syms), expr, modules=_MODULES, cse=True, docstring_limit=0)


def _key(e):
    return sp.ImmutableMatrix(e) if isinstance(e, sp.MatrixBase) else sp.sympify(e)


def _to_float(e, r):
    if isinstance(e, sp.MatrixBase):
        return np.array([[float(r[i, j]) for j in range(e.shape[1])] for i in range(e.shape[0])])
    return float(r)


def evaluate(expr, vals):
    """``expr`` (scalar, Matrix, or a list of them: one code generation with shared subexpressions) at ``vals``
    {symbol: float}, in mpmath at MP_DPS digits, rounded to float64 (an array, or a list of them)."""
    syms = list(vals)
    many = isinstance(expr, (list, tuple))
    key = tuple(_key(e) for e in expr) if many else _key(expr)
    fn = _lambdified_many(key, tuple(syms)) if many else _lambdified(key, tuple(syms))
    with mpmath.workdps(MP_DPS):
        r = fn(*[mpmath.mpf(vals[s]) for s in syms])
        return [_to_float(e, ri) for e, ri in zip(expr, r)] if many else _to_float(expr, r)


@functools.lru_cache(maxsize=512)
def _lambdified_many(exprs, syms):
    return sp.lambdify(list(syms), list(exprs), modules=_MODULES, cse=True, docstring_limit=0)


def agree(label, got, want, scale=None):
    """The tie: ``got`` (the model, float64) equals ``want`` (exact value, float64-rounded) within tolerances.analytic.

    ``scale`` is the magnitude of the data (default: max(1, max|want|)). The comparison is recorded in the active
    recording (the proof's, read back by :func:`within`) and returned.
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape and got.size == want.size:
        got = got.reshape(want.shape)
    ensure(got.shape == want.shape, f"{label}: the model returns shape {got.shape}, the symbolic expression has {want.shape}")
    ensure(np.all(np.isfinite(got)), f"{label}: the model returns non-finite values {got}")
    if scale is None:
        scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    tie = Comparison(got, want, tolerances.analytic(np.float64, scale), label)
    if tie.size:
        recording.record_comparison(label, tie.worst_err, tie.worst_allowed)
    ensure(tie.ok, f"{label}: the model's code does not compute the symbolic expression: "
                   f"max |model − exact| = {float(np.max(tie.err)):.3g} > {tie.reason} (ratio {tie.max_ratio:.3g}); "
                   f"model {np.array2string(got.ravel()[:6], precision=6)} vs exact {np.array2string(want.ravel()[:6], precision=6)}")
    return tie


def worst():
    """The largest error/tolerance ratio of the ties the running proof has recorded (0 before the first)."""
    rec = recording.active()
    if rec is None:
        raise RuntimeError("_sym.worst: no recording is active (a proof runs inside evidence.run)")
    return rec.max_ratio


def within():
    """The tie sentence's tolerance and result, e.g. "within 256 ulps (worst ratio 0.0031)", over every tie so far."""
    return f"within {TIE_ULPS} (worst ratio {worst():.2g})"


def zero(expr, label):
    """Prove ``expr`` (scalar or Matrix) identically zero by expansion (a polynomial identity in the atoms)."""
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    for k, e in enumerate(entries):
        if sp.expand(e) != 0:
            ensure(sp.simplify(e) == 0, f"{label}: entry {k} of the difference is not zero: {sp.simplify(e)}")
    return True


def scalar_values(expr, x, xs):
    """The scalar ``expr`` in the one symbol ``x`` at each float of ``xs`` (mpmath, MP_DPS digits), rounded to float64."""
    fn = _lambdified(expr, (x,))
    with mpmath.workdps(MP_DPS):
        return np.array([float(fn(mpmath.mpf(float(v)))) for v in np.ravel(xs)])


def opnorm_exact(W):
    """‖W‖₂ = sqrt(λ_max(WᵀW)) for W with float entries taken as exact rationals: exact for 2×2, else to MP_DPS digits."""
    if W.shape[1] <= 2:
        M = sp.Matrix(W.shape[0], W.shape[1], lambda i, j: sp.Rational(W[i, j]))
        return sp.sqrt(max((M.T * M).eigenvals(), key=lambda e: float(sp.re(sp.N(e, MP_DPS)))))
    with mpmath.workdps(MP_DPS):
        A = mpmath.matrix(W.tolist())
        return mpmath.sqrt(max(mpmath.eigsy(A.T * A, eigvals_only=True)))


# ---------------------------------------------------------------- quantifier-free real arithmetic (z3)
def _z3(e, env):
    import z3
    if e.is_Symbol:
        return env[e]
    if e.is_Integer or e.is_Rational:
        return z3.RealVal(str(e.p)) / z3.RealVal(str(e.q)) if e.q != 1 else z3.RealVal(str(e.p))
    if e is sp.true or e is sp.false:
        return z3.BoolVal(bool(e))
    args = [_z3(a, env) for a in e.args]
    if e.is_Add:
        return z3.Sum(*args)
    if e.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if e.is_Pow and e.exp.is_Integer:
        k = int(e.exp)
        base = args[0]
        out = z3.RealVal(1)
        for _ in range(abs(k)):
            out = out * base
        return out if k >= 0 else 1 / out
    table = {sp.StrictLessThan: lambda a, b: a < b, sp.LessThan: lambda a, b: a <= b,
             sp.StrictGreaterThan: lambda a, b: a > b, sp.GreaterThan: lambda a, b: a >= b,
             sp.Equality: lambda a, b: a == b, sp.Unequality: lambda a, b: a != b}
    if type(e) in table:
        return table[type(e)](*args)
    if isinstance(e, sp.And):
        return z3.And(*args)
    if isinstance(e, sp.Or):
        return z3.Or(*args)
    if isinstance(e, sp.Not):
        return z3.Not(*args)
    if isinstance(e, sp.Implies):
        return z3.Implies(*args)
    if isinstance(e, sp.Equivalent):
        return args[0] == args[1]
    raise TypeError(f"_sym.valid: no z3 translation for {type(e).__name__} in {e}")


def valid(label, hypotheses, goal, timeout_ms=20000):
    """Prove ``hypotheses ⇒ goal`` for every real value of the free symbols: z3 finds the negation unsatisfiable.

    Raises ProofFailed with z3's counterexample when the implication is false, or when z3 cannot decide it.
    """
    import z3
    exprs = [sp.sympify(h) for h in hypotheses] + [sp.sympify(goal)]
    env = {s: z3.Real(str(s)) for s in sorted(set().union(*[e.free_symbols for e in exprs]), key=str)}
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*[_z3(h, env) for h in exprs[:-1]])
    solver.add(z3.Not(_z3(exprs[-1], env)))
    r = solver.check()
    ensure(r != z3.sat, f"{label}: false, z3 counterexample {solver.model() if r == z3.sat else ''}")
    ensure(r == z3.unsat, f"{label}: z3 could not decide it ({r})")
    return True


def z3_version():
    import z3
    return f"z3 {z3.get_version_string()}"
