"""Proofs about gradient clipping: direction, norm after clipping, idempotence, torch's ε, value and per-tensor rules.

Norm clipping is clip(g) = s·g with s = min(1, c/(‖g‖ + ε)) (Pascanu et al. 2013 Algorithm 1 at ε = 0: clip iff
‖g‖ ≥ c; torch at ε = 1e-6: clip iff c/(‖g‖+ε) < 1). The statements follow from s by algebra (SymPy, ‖g‖ = n a
positive symbol); the tie evaluates the subject on exact dyadic gradient lists against the exact result (norms
and scales in mpmath at 50 digits, the clipping condition decided exactly).
"""

import functools

import mpmath
import numpy as np
import sympy as sp
from vanishing.checks.evidence import Scope, ensure, evidence
from vanishing.checks.evidence import _sym as S

TORCH_EPS = 1e-6
n, c, eps = sp.symbols("n c epsilon", positive=True)               # n = ‖g‖ > 0, c = max_norm > 0, ε > 0

# Gradient lists (tensors of different norms, so global and per-tensor clipping differ) and thresholds around them.
_G = [[np.array([3.0, -4.0]), np.array([[0.5, 1.5], [-2.0, 0.25]])],
      [np.array([0.125, -0.25, 0.375])],
      [np.array([12.0]), np.array([-0.5, 0.75]), np.array([[1.0]])],
      [np.array([-7.5, 2.25]), np.array([0.0, 0.0625])],
      [np.array([1.0])] * 9 + [np.array([4.0])],                      # 10 tensors (> 8) with ‖g‖ = 5 exactly
      [np.array([0.5, -0.25]) * (k + 1) for k in range(12)]]         # 12 tensors of growing norm


def _exact_norm(gs):
    with mpmath.workdps(S.MP_DPS):
        return mpmath.sqrt(sum(mpmath.mpf(float(v)) ** 2 for g in gs for v in np.ravel(g)))   # float → mpf is exact


def _exact_global(gs, cmax, e):
    """(clipped list, norm before) exactly: Algorithm 1 (e = 0: clip iff ‖g‖ ≥ c) or torch (clip iff ‖g‖ + e > c)."""
    key = tuple((np.shape(g), np.asarray(g, float).tobytes()) for g in gs)
    out, nn, clipped = _exact_global_cached(key, float(cmax), float(e))
    return [o.copy() for o in out], nn, clipped


@functools.lru_cache(maxsize=4096)
def _exact_global_cached(key, cmax, e):
    """The exact clipping of one list (a cache: the claims tie the same lists at the same thresholds)."""
    gs = [np.frombuffer(b, dtype=float).reshape(shape) for shape, b in key]
    with mpmath.workdps(S.MP_DPS):
        nn = _exact_norm(gs)
        cm, em = mpmath.mpf(cmax), mpmath.mpf(e)
        clipped = (nn >= cm) if e == 0 else (cm / (nn + em) < 1)
        sc = cm / (nn + em) if clipped else mpmath.mpf(1)
        return [np.array([float(mpmath.mpf(float(v)) * sc) for v in np.ravel(g)]).reshape(np.shape(g)) for g in gs], float(nn), clipped


def _thresholds(gs):
    """Thresholds at ‖g‖ (the float nearest it) and one ulp either side, below (0.375‖g‖), above (1.5‖g‖), and 3."""
    nn = float(_exact_norm(gs))
    return [0.375 * nn, float(np.nextafter(nn, 0.0)), nn, float(np.nextafter(nn, np.inf)), 1.5 * nn, 3.0]


def _radial_zero(M, norm_expr, label):
    """M ≡ 0 as a rational function once ‖g‖ = sqrt(Σg²) is named r (SymPy differentiated the sqrt itself, so ∂r/∂g = g/r is in M)."""
    r = sp.Symbol("r_norm", positive=True)
    S.zero(M.xreplace({norm_expr ** 2: r ** 2}).applyfunc(sp.cancel), label)   # Σg² ↦ r², so every (Σg²)^(k/2) becomes r^k


def _tie_global(label, clip, cases=None, epss=(0.0, TORCH_EPS)):
    count = 0
    for gs in cases or _G:
        for cmax in _thresholds(gs):
            for e in epss:
                out, norm = clip([g.copy() for g in gs], cmax, e)
                want, nn, _ = _exact_global(gs, cmax, e)
                ensure(len(out) == len(gs), f"{label}: {len(out)} tensors returned for {len(gs)}")
                S.agree(f"{label}: returned norm (c = {cmax:g}, ε = {e:g})", norm, nn)
                ensure([np.shape(o) for o in out] == [np.shape(w) for w in want], f"{label}: the tensors' shapes changed")
                S.agree(f"{label}: the {len(gs)} tensors (c = {cmax:g}, ε = {e:g})",   # one comparison per case: vectorised
                        np.concatenate([np.ravel(np.asarray(o, float)) for o in out]), np.concatenate([np.ravel(w) for w in want]),
                        scale=max(1.0, nn))
                count += 1
    return count

TIE = ("exact dyadic gradient lists (1 to 12 tensors, two with more than 8), thresholds at ‖g‖ and one ulp either side, "
       "0.375‖g‖, 1.5‖g‖ and 3, ε ∈ {0, 1e-6}")
HYP = ("c > 0, ε ≥ 0, n = ‖g‖ ≥ 0 with n + ε > 0", "exact arithmetic (the float64 ulps are the property check's)")


def _scope(steps, k, extra=()):
    return Scope(sizes="every", steps=tuple(steps), tied=(f"models.clipping on {k} cases: {TIE}",) + tuple(extra), hypotheses=HYP)


# ---------------------------------------------------------------- value and per-tensor clipping
def _tie_value(label, clip_value):
    for gs in _G:
        for v in (0.25, 1.0, 5.0):
            out = clip_value([g.copy() for g in gs], v)
            ensure(len(out) == len(gs), f"{label}: {len(out)} tensors returned for {len(gs)}")
            for o, g in zip(out, gs):
                ensure(np.array_equal(np.asarray(o, float), np.minimum(np.maximum(g, -v), v)),
                       f"{label}: clip_value(·, {v}) is not clamp(g, −v, v) exactly")


def tie_three_rules(s):
    """The subject's clip_global, clip_value and clip_per_tensor (c = 1, ε = 0) against the exact rules; returns the cases of the first."""
    k = _tie_global("clip_global", s.clip_global)
    _tie_value("clip_value", s.clip_value)
    for gs in _G:
        out, _ = s.clip_per_tensor([g.copy() for g in gs], 1.0, 0.0)
        for o, g in zip(out, gs):
            want, nn, _ = _exact_global([g], 1.0, 0.0)
            S.agree("clip_per_tensor", np.asarray(o, float), want[0], scale=max(1.0, nn))
    return k


@evidence("CLIP-NORM-DIRECTION", "proof", statement={"cos": sp.Integer(1), "clipped_iff": lambda n_, e_, c_: n_ + e_ > c_},
          wrong={"s < 1 iff ‖g‖ > c (ε forgotten)": {"clipped_iff": lambda n_, e_, c_: n_ > c_}, "cos = 1/2": {"cos": sp.Rational(1, 2)}})
def clip_norm_direction_proof(s, ctx):
    nr, er, cr = sp.symbols("n e c", real=True)
    base = [cr > 0, er >= 0, nr >= 0, nr + er > 0]
    S.valid("c/(n+ε) > 0, so s = min(1, c/(n+ε)) ∈ (0, 1]", base, cr / (nr + er) > 0)
    S.valid("s < 1 iff the stated condition: c/(n+ε) < 1 ⇔ n + ε > c", base, sp.Equivalent(cr / (nr + er) < 1, ctx.st.clipped_iff(nr, er, cr)))
    g, i = sp.IndexedBase("g"), sp.Symbol("i", integer=True)
    N, sp_ = sp.Symbol("N", integer=True, positive=True), sp.Symbol("s", positive=True)
    Q = sp.Symbol("Q", positive=True)                                # Q = Σ g_i² > 0 (g ≠ 0)
    inner = sp.factor_terms(sp.Sum(sp_ * g[i] * g[i], (i, 0, N - 1))).subs(sp.Sum(g[i] ** 2, (i, 0, N - 1)), Q)
    norm_sg = sp.sqrt(sp.factor_terms(sp.Sum((sp_ * g[i]) ** 2, (i, 0, N - 1))).subs(sp.Sum(g[i] ** 2, (i, 0, N - 1)), Q))
    cos = sp.simplify(inner / (norm_sg * sp.sqrt(Q)))
    ensure(cos == ctx.st.cos, f"cos∠(s g, g) = {cos} for s > 0 and every N, not the stated {ctx.st.cos}")
    k = _tie_global("clip", s.clip)
    return ("clip(g) = s·g with s = min(1, c/(‖g‖+ε)) ∈ (0, 1], s < 1 iff ‖g‖ + ε > c, and cos∠(clip(g), g) = 1 for every size",
            ("z3: c/(n+ε) > 0 and c/(n+ε) < 1 ⇔ n + ε > c (given c > 0, n + ε > 0); SymPy, N symbolic: ⟨sg, g⟩ = sΣg_i², "
             f"‖sg‖ = s‖g‖, so cos∠ = 1 for s > 0; every tensor is multiplied by the same s. Tie: subject clip on {k} cases ({TIE}) "
             f"equals s·g exactly computed (mpmath) {S.within()}. {S.versions()}, {S.z3_version()}."),
            _scope(["z3: s = c/(n+ε) > 0", "z3: c/(n+ε) < 1 ⇔ n + ε > c", "SymPy, N symbolic: cos∠(sg, g) = sΣg²/(s‖g‖·‖g‖) = 1"], k))


@evidence("CLIP-NORM-CAP", "proof", statement={"margin": c * eps / (n + eps)}, wrong={"margin cε/n": {"margin": c * eps / n}})
def clip_norm_cap_proof(s, ctx):
    after = c * n / (n + eps)                                        # ‖s·g‖ when clipped
    ensure(sp.cancel(c - after - ctx.st.margin) == 0 and ctx.st.margin.is_positive, f"c − ‖clip‖ ≠ {ctx.st.margin} > 0")
    nr, er, cr = sp.symbols("n e c", real=True)
    S.valid("below the threshold ‖clip‖ = n ≤ c − ε ≤ c; above, c·n/(n+ε) ≤ c", [cr > 0, er >= 0, nr >= 0, nr + er > 0], cr * nr / (nr + er) <= cr)
    ensure(after.subs(eps, 0) == c, "ε = 0 does not give ‖clip‖ = c")
    k = _tie_global("clip", s.clip)
    return ("After clipping ‖clip(g)‖ = c‖g‖/(‖g‖+ε): exactly c at ε = 0 and below c for ε > 0 (in exact arithmetic; floats may exceed by an ulp)",
            ("‖s·g‖ = s‖g‖; with s = c/(n+ε) SymPy gives c − s n = cε/(n+ε) > 0 for ε > 0, and s n = c at ε = 0. The float64 ulp "
            f"above c is the property check's business, not covered here. Tie: subject clip on {k} cases ({TIE}) "
            f"{S.within()}. {S.versions()}."),
            _scope(["SymPy: c − c·n/(n+ε) = cε/(n+ε) > 0 for ε > 0, = 0 at ε = 0", "z3: c·n/(n+ε) ≤ c"], k))


@evidence("CLIP-NORM-IDEMPOTENT", "proof", statement={"kappa": c * (n + eps) / (c * n + eps * (n + eps))},
          wrong={"κ = c/(n+ε) (the first factor)": {"kappa": c / (n + eps)}})
def clip_norm_idempotent_proof(s, ctx):
    n1 = c * n / (n + eps)                                           # the norm after one application (clipped: n + ε > c)
    ensure(sp.cancel((n1 + eps - c) - eps * (n + eps - c) / (n + eps)) == 0, "n1 + ε − c ≠ ε(n + ε − c)/(n + ε)")
    ensure(sp.cancel(c / (n1 + eps) - ctx.st.kappa) == 0, f"the second factor c/(n₁+ε) is {sp.cancel(c / (n1 + eps))}, not the stated κ")
    ensure(sp.cancel((c / (n1 + eps)).subs(eps, 0) - 1) == 0, "ε = 0: the second factor c/n₁ is not 1 (clip∘clip ≠ clip)")
    nr, er, cr = sp.symbols("n e c", real=True)
    S.valid("κ < 1 whenever n + ε > c and ε > 0", [cr > 0, er > 0, nr >= 0, nr + er > cr],
            cr * (nr + er) < cr * nr + er * (nr + er))
    S.valid("and n₁ + ε > c, so the second application clips again", [cr > 0, er > 0, nr >= 0, nr + er > cr],
            cr * nr + er * (nr + er) > cr * (nr + er))
    k = _tie_global("clip", s.clip)
    for gs in _G:
        for cmax in _thresholds(gs):
            for e in (0.0, TORCH_EPS):
                once, _, _ = _exact_global(gs, cmax, e)
                twice, _, _ = _exact_global(once, cmax, e)
                out, _ = s.clip(s.clip([g.copy() for g in gs], cmax, e)[0], cmax, e)
                for o, w in zip(out, twice):
                    S.agree(f"clip∘clip (c = {cmax:g}, ε = {e:g})", np.asarray(o, float), w, scale=max(1.0, cmax))
    return ("ε = 0: clip∘clip = clip (the clipped norm is c, so the second factor is c/c = 1); ε > 0: n₁ + ε − c = ε(n + ε − c)/(n + ε) > 0, so every re-application shrinks again",
            ("SymPy checks both identities with n = ‖g‖ > 0; after a clip n + ε > c, hence the second application clips again by "
            f"c/(n₁+ε) < 1. Tie: subject clip once and twice on {k} cases ({TIE}) against the exact results "
            f"{S.within()}. {S.versions()}."),
            _scope(["SymPy: n₁ + ε − c = ε(n + ε − c)/(n + ε)", "SymPy: c/(n₁ + ε) = κ = c(n+ε)/(cn + ε(n+ε)); = 1 at ε = 0",
                    "z3: κ < 1 and n₁ + ε > c when n + ε > c, ε > 0"], k, ("clip∘clip against the exact twice-clipped lists",)))


@evidence("CLIP-NORM-IDENTITY-BELOW", "proof", statement={"threshold": c - eps}, wrong={"torch clips only once ‖g‖ > c": {"threshold": c}})
def clip_norm_identity_below_proof(s, ctx):
    u = sp.Symbol("u", positive=True)
    ensure(sp.Min(1, c / (c / (1 + u))) == 1, "‖g‖ = c/(1+u) < c does not give s = 1")     # Algorithm 1 below the threshold
    ensure(sp.cancel(c / (n + eps) - 1 - (ctx.st.threshold - n) / (n + eps)) == 0,
           f"torch: c/(n+ε) − 1 ≠ ({ctx.st.threshold} − n)/(n+ε)")  # < 0 iff n > c − ε
    k = _tie_global("clip", s.clip)
    for gs in _G:                                                   # below: Algorithm 1 returns g bit for bit
        nn = float(_exact_norm(gs))
        out, _ = s.clip([g.copy() for g in gs], 2.0 * nn, 0.0)
        ensure(all(np.array_equal(np.asarray(o), g) for o, g in zip(out, gs)), "below the threshold Algorithm 1 changed g")
    band = [np.array([0.9999996])]                                  # ‖g‖ ∈ (c − ε, c) with c = 1: torch still shrinks g
    out, _ = s.clip([band[0].copy()], 1.0, TORCH_EPS)
    want, _, clipped = _exact_global(band, 1.0, TORCH_EPS)
    ensure(clipped, "the band case is not clipped by torch's rule")
    S.agree("torch rule in the band (c − ε, c)", out[0], want[0])
    return ("Below the threshold (‖g‖ < c, ε = 0) s = 1 and Algorithm 1 returns g unchanged; torch's rule clips once ‖g‖ > c − ε",
            ("s = min(1, c/‖g‖) = 1 for ‖g‖ < c; with ε: c/(‖g‖+ε) < 1 ⇔ ‖g‖ > c − ε. Tie: subject clip is the identity "
            f"bit for bit on every list at c = 2‖g‖, equals the exact rule on {k} cases ({TIE}) and shrinks g = 0.9999996 at c = 1, "
            f"ε = 1e-6 as the exact rule does, {S.within()}. {S.versions()}."),
            _scope(["SymPy: min(1, c/‖g‖) = 1 for ‖g‖ = c/(1+u) < c", "SymPy: c/(n+ε) − 1 = (c − ε − n)/(n+ε): < 0 iff n > c − ε"], k,
                   ("identity bit for bit at c = 2‖g‖ on every list", "the band (c − ε, c) at c = 1, ε = 1e-6")))


@evidence("CLIP-SCALE-BY-DIVIDING", "proof", statement={"divisor": n / c}, wrong={"divide by c/‖g‖": {"divisor": c / n}})
def clip_scale_by_dividing_proof(s, ctx):
    ensure(sp.cancel(n * c / n - c) == 0 and sp.cancel(1 / ctx.st.divisor - c / n) == 0, f"dividing by {ctx.st.divisor} is not multiplying by c/‖g‖")
    nr, cr = sp.symbols("n c", real=True)
    S.valid("‖g‖ > c ⇔ ‖g‖/c > 1 (c > 0)", [cr > 0, nr >= 0], sp.Equivalent(nr > cr, nr / cr > 1))
    k = _tie_global("clip", s.clip, epss=(0.0,))
    return ("'Scale it by dividing': g/(‖g‖/c) = (c/‖g‖)·g, the divisor ‖g‖/c > 1 above the threshold; at ‖g‖ = c both tests give g",
            ("SymPy: 1/(n/c) = c/n; n > c ⇔ n/c > 1; at n = c Algorithm 1's '≥' multiplies by c/n = 1, so '>' and '≥' agree. "
            f"Tie: subject clip on {k} cases (ε = 0) {S.within()}. {S.versions()}."),
            _scope(["SymPy: 1/(n/c) = c/n", "z3: n > c ⇔ n/c > 1"], k))


@evidence("CLIP-TORCH-EPS-MARGIN", "proof", statement={"margin": c * eps / (n + eps)}, wrong={"margin ε": {"margin": eps}})
def clip_torch_eps_margin_proof(s, ctx):
    ensure(sp.cancel(c - c * n / (n + eps) - ctx.st.margin) == 0, f"margin ≠ {ctx.st.margin}")
    k = _tie_global("clip", s.clip, epss=(TORCH_EPS,))
    return ("torch's ε keeps ‖clip(g)‖ = c − cε/(‖g‖+ε) below c by exactly cε/(‖g‖+ε) (SymPy); the returned norm is the one before clipping",
            ("c − c·n/(n+ε) = cε/(n+ε). When that margin is below half an ulp of c, float64 rounds it away (about ‖g‖ > 5e9 at "
            f"c = 1): the property check's business. Tie: subject clip's tensors and returned norm (before clipping) on {k} cases "
            f"(ε = 1e-6) {S.within()}. {S.versions()}."),
            _scope(["SymPy: c − c·n/(n+ε) = cε/(n+ε)"], k))


@evidence("CLIP-NORM-JACOBIAN", "fixed-size", statement={"sign": -1}, wrong={"ĝĝᵀ added": {"sign": 1}})
def clip_norm_jacobian_proof(s, ctx):
    N = 3
    g = S.vector("g", N)
    e = sp.Symbol("epsilon", nonnegative=True)
    nn = sp.sqrt(sum(gi ** 2 for gi in g))
    f = c * g / (nn + e)
    closed = c / (nn + e) * (sp.eye(N) + ctx.st.sign * g * g.T / (nn * (nn + e)))
    _radial_zero(f.jacobian(g) - closed, nn, "∂clip/∂g ≠ c/(n+ε)(I − ggᵀ/(n(n+ε)))")
    for seed in (1, 2, 3):
        gv = S.points((N,), seed, -4, 4)
        normv = float(_exact_norm([gv]))
        for cm, ev in ((0.5 * normv, 0.0), (0.25 * normv, TORCH_EPS)):
            vals = S.values((g, gv))
            vals.update({c: cm, e: ev})
            S.agree(f"jac (c = {cm:g}, ε = {ev:g})", s.jac(gv, cm, ev), S.evaluate(closed, vals))
    k = _tie_global("clip", s.clip)
    return ("Above the threshold ∂clip(g)/∂g = c/(‖g‖+ε)·(I − ggᵀ/(‖g‖(‖g‖+ε))): SymPy's Jacobian of c·g/(‖g‖+ε), N = 3; below, I",
            ("Fixed size N = 3 with every entry a symbol. Every N: entry (i, j) of ∂(c g_i/(n+ε))/∂g_j is c(δ_ij/(n+ε) − g_i g_j/(n(n+ε)²)) "
            "whatever N is (∂n/∂g_j = g_j/n), so N = 3 is the general case with the index ranges widened. Tie: subject jac at 3 "
            f"exact points (two thresholds, ε ∈ {{0, 1e-6}}) and clip on {k} cases {S.within()}. {S.versions()}."),
            Scope(sizes=("N=3",), hypotheses=HYP, steps=("SymPy: the Jacobian of c·g/(‖g‖+ε) at N = 3 with symbolic entries",),
                  tied=("jac at 3 exact points of size 3", f"clip on {k} cases")))


@evidence("CLIP-NONEXPANSIVE", "fixed-size", statement={"dphi": c * eps / (sp.Symbol("r", positive=True) + sp.Symbol("epsilon", nonnegative=True)) ** 2},
          wrong={"φ' = cε/(r+ε)": {"dphi": c * eps / (sp.Symbol("r", positive=True) + sp.Symbol("epsilon", nonnegative=True))}})
def clip_nonexpansive_proof(s, ctx):
    """Norm clipping is the radial map g ↦ φ(‖g‖)ĝ; its Jacobian is symmetric with eigenvalues φ' and φ(r)/r, both in [0, 1]."""
    r, e = sp.Symbol("r", positive=True), sp.Symbol("epsilon", nonnegative=True)
    phi = c * r / (r + e)                                            # the clipped branch, r + ε ≥ c
    dphi = sp.diff(phi, r)
    ensure(sp.cancel(dphi - ctx.st.dphi.subs(eps, e)) == 0, f"φ' ≠ {ctx.st.dphi}")
    # φ' ≤ 1 on r + ε ≥ c: (r+ε)² − cε ≥ c² − cε = c(c − ε) ≥ 0 if c ≥ ε; and (r+ε)² − cε ≥ ε² − cε = ε(ε − c) > 0 if c < ε
    ensure(sp.expand((c ** 2 - c * e) - c * (c - e)) == 0 and sp.expand((e ** 2 - c * e) - e * (e - c)) == 0, "φ' ≤ 1 cases")
    ensure(sp.cancel(phi / r - c / (r + e)) == 0, "φ(r)/r ≠ c/(r+ε) (< 1 on the clipped branch)")
    N = 3
    g = S.vector("g", N)
    nn = sp.sqrt(sum(gi ** 2 for gi in g))
    J = (c * g / (nn + e)).jacobian(g)
    ghat = g / nn
    spectral = (c * e / (nn + e) ** 2) * ghat * ghat.T + (c / (nn + e)) * (sp.eye(N) - ghat * ghat.T)
    _radial_zero(J - spectral, nn, "J ≠ φ'ĝĝᵀ + (φ/r)(I − ĝĝᵀ)")
    # value clipping: clamp is 1-Lipschitz per coordinate (slopes 0 and 1 on its pieces, continuous at ±v)
    v, xx = sp.Symbol("v", positive=True), sp.Symbol("x")
    ensure([sp.diff(p, xx) for p in (-v, xx, v)] == [0, 1, 0], "clamp's slopes")
    k = tie_three_rules(s)
    return ("Norm, per-tensor and value clipping are 1-Lipschitz: the norm rule's Jacobian is symmetric with eigenvalues φ' = cε/(r+ε)² ≤ 1 and c/(r+ε) < 1; clamp has slopes 0 and 1",
            ("SymPy (N = 3 symbolic): ∂(c g/(‖g‖+ε))/∂g = φ'(r)ĝĝᵀ + (φ(r)/r)(I − ĝĝᵀ) with φ' = cε/(r+ε)² ≤ 1 on the clipped "
            "branch (both cases c ≥ ε and c < ε checked) and φ/r = c/(r+ε) < 1; below the threshold the map is I. A continuous, "
            "piecewise C¹ map whose Jacobian has operator norm ≤ 1 everywhere off a null set is 1-Lipschitz on the convex space "
            "(integrate along the segment). Every N: the same spectral form. Per tensor: a block-diagonal map of such blocks. "
            f"Value: coordinatewise clamp with slopes 0, 1. Tie: subject clip_global ({k} cases), clip_per_tensor and clip_value "
            f"against the exact rules {S.within()}. {S.versions()}."),
            Scope(sizes=("N=3",), hypotheses=HYP + ("a piecewise C¹ map with ‖J‖ ≤ 1 off a null set is 1-Lipschitz (prose, not code)",),
                  steps=("SymPy: φ' = cε/(r+ε)² ≤ 1 (both cases), φ/r = c/(r+ε)", "SymPy: the spectral form of J at N = 3", "SymPy: clamp's slopes 0 and 1"),
                  tied=(f"clip_global on {k} cases", "clip_per_tensor and clip_value against the exact rules")))
