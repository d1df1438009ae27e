"""Checks of the initialisation claims (spec/claims/init.toml): Glorot & Bengio 2010, He et al. 2015, Saxe et al. 2013.

Exact identities are computed three ways where possible (closed form, scipy.integrate.quad, scipy.stats)
and compared with tolerances.analytic. Statements that hold only in expectation are checked by
Monte-Carlo from a Hypothesis-chosen seed; each derives its own acceptance interval from the
sampling distribution (binomial, or a CLT interval at z = _Z), stated where it is used.
"""

import itertools
import math

import autograd.numpy as anp
import numpy as np
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from scipy import integrate, stats
from vanishing.checks import assertions, oracles, tolerances
from vanishing.checks.registry import claim_check
from vanishing.checks.strategies import dims, floats, orthogonal_matrices, vectors
from vanishing.models import activations as act
from vanishing.models import init as inits
from vanishing.models import rnn

#: Monte-Carlo acceptance: |estimate − expectation| ≤ _Z standard errors. Two-sided normal tail at
#: z = 6 is 2e-9, so a correct statement fails about one example in 500 million.
_Z = 6.0


def _rel_close(a, b, label):
    """a/b = 1 to 256 ulps: a relative comparison for quantities of any magnitude (variances from 1e-4 to 1e6)."""
    b = np.asarray(b, dtype=np.float64)
    assertions.assert_close(np.asarray(a, dtype=np.float64) / b, np.ones_like(b), tolerances.analytic(), label)


def _gauss_pdf(t):
    return math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)


#: quad's default absolute tolerance (1.5e-8) would stop early on small integrals (sd = 1e-3 gives
#: 5e-7): ask for relative accuracy only, near rounding.
_QUAD = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 200}

#: Beyond 12 standard deviations a Gaussian's moments up to the second carry less than 1e-30 of
#: their mass (∫_12^∞ t²φ(t) dt ≈ 12φ(12) ≈ 1e-30), far below float64 rounding: integrating over
#: [−12, 12] loses nothing and keeps quad on a finite interval, where it is accurate to rounding.
_GAUSS_SPAN = 12.0


# ================================================================ INIT-GLOROT-COMPROMISE
def _two_point_second_moment(v, x):
    """E_w[(w·x)²] exactly, for w with iid entries ±√v (every sign pattern equally likely, 2^n of them)."""
    signs = np.array(list(itertools.product((-1.0, 1.0), repeat=len(x))))
    y = math.sqrt(v) * (signs @ np.asarray(x, dtype=np.float64))
    return float(np.mean(y * y))


@claim_check("INIT-GLOROT-COMPROMISE",
             subject={"glorot_var": inits.glorot_variance},
             plants={"Var = 1/(n_in + n_out) (factor 2 dropped)": {"glorot_var": lambda n_in, n_out: 1.0 / (n_in + n_out)},
                     "Var = 2/n_in (He's fan-in rule)": {"glorot_var": lambda n_in, n_out: 2.0 / n_in}})
def glorot_variance_preserves_both_passes_iff_square(ctx, s):
    """Linear layer: Var[y] = n_in Var[W] E[x²], Var[δ_in] = n_out Var[W] E[δ²]; 2/(n_in+n_out) keeps both iff n_in = n_out.  [INIT-GLOROT-COMPROMISE]"""
    @ctx.holds
    @given(n_in=dims(1, 8), n_out=dims(1, 8), data=st.data())
    @example(n_in=4, n_out=4, data=None)
    @example(n_in=2, n_out=6, data=None)
    def forward_and_backward_factors(n_in, n_out, data):
        if data is None:
            x, d = np.linspace(-1.0, 2.0, n_in), np.linspace(0.5, -1.5, n_out)
        else:
            # a second moment of at least 1e-6: the factors divide by it
            x = data.draw(vectors(n_in).filter(lambda v: np.mean(v * v) > 1e-6), label="x")
            d = data.draw(vectors(n_out).filter(lambda v: np.mean(v * v) > 1e-6), label="δ_out")
        msx, msd = float(np.mean(x * x)), float(np.mean(d * d))

        def fwd(v):   # E_W[y_k²] / E[x²] for y = W x: one row of W has n_in entries
            return _two_point_second_moment(v, x) / msx

        def bwd(v):   # E_W[δ_in,j²] / E[δ²] for δ_in = Wᵀ δ: one column of W has n_out entries
            return _two_point_second_moment(v, d) / msd
        lbl = f"{ctx.id} (n_in={n_in}, n_out={n_out})"
        tol = tolerances.analytic()             # every factor here lies in (0, 2): data of scale 1
        # the identity Var[y] = n_in Var[W] E[x²] (and its backward twin) at Glorot's own conditions (10), (11)
        assertions.assert_close(fwd(1.0 / n_in), 1.0, tol, f"{lbl}: eq. (10) Var = 1/n_in keeps the forward variance")
        assertions.assert_close(bwd(1.0 / n_out), 1.0, tol, f"{lbl}: eq. (11) Var = 1/n_out keeps the backward variance")
        # the compromise (12): the factors are 2n_in/(n_in+n_out) and 2n_out/(n_in+n_out). That they sum to 2
        # and are both 1 iff n_in = n_out is arithmetic on these two fractions, not asserted again.
        v = s.glorot_var(n_in, n_out)
        f, b = fwd(v), bwd(v)
        target(abs(math.log(f)), label="|log forward factor|")
        assertions.assert_close(f, 2.0 * n_in / (n_in + n_out), tol, f"{lbl}: forward factor n_in·Var vs 2n_in/(n_in+n_out)")
        assertions.assert_close(b, 2.0 * n_out / (n_in + n_out), tol, f"{lbl}: backward factor n_out·Var vs 2n_out/(n_in+n_out)")


# ================================================================ INIT-GLOROT-UNIFORM-VARIANCE
#: Draws per Monte-Carlo example. The sample variance's standard error is then √(0.8/N) ≈ 0.63% of Var[W]
#: (SE² = 4a⁴/(45N), Var = a²/3), so _Z = 6 standard errors is 3.8%: a wrong bound or support (the plants are
#: 50% and 75% off) lies far outside, and one example costs about a millisecond.
_MC_N = 20_000


@claim_check("INIT-GLOROT-UNIFORM-VARIANCE",
             subject={"bound": inits.glorot_uniform_bound, "sample": inits.uniform},
             plants={"√3 in place of √6": {"bound": lambda n_in, n_out: math.sqrt(3.0) / math.sqrt(n_in + n_out)},
                     "sampler draws U[0, a]": {"sample": lambda rng, a, size: rng.uniform(0.0, a, size)}})
def glorot_uniform_variance_is_two_over_fan_sum(ctx, s):
    """W ~ U[−√6/√(n_in+n_out), +√6/√(n_in+n_out)] has Var[W] = a²/3 = 2/(n_in+n_out) (eq. 16 gives eq. 12).  [INIT-GLOROT-UNIFORM-VARIANCE]"""
    @ctx.holds
    @given(n_in=st.integers(1, 4096), n_out=st.integers(1, 4096))
    @example(n_in=1, n_out=1)
    def variance_exact(n_in, n_out):
        a = s.bound(n_in, n_out)
        want = 2.0 / (n_in + n_out)
        lbl = f"{ctx.id} (n_in={n_in}, n_out={n_out}, a={a!r})"
        _rel_close(a * a / 3.0, want, f"{lbl}: a²/3 vs 2/(n_in+n_out)")
        # ∫ t² dt/(2a) over [−a, a], as ∫ u² du/2 over [−1, 1] times a² (t = a u) so quad works at scale 1
        by_quad, _ = integrate.quad(lambda u: 0.5 * u * u, -1.0, 1.0)
        _rel_close(a * a * by_quad, want, f"{lbl}: quad of the density vs 2/(n_in+n_out)")
        _rel_close(float(stats.uniform(loc=-a, scale=2.0 * a).var()), want, f"{lbl}: scipy.stats.uniform.var vs 2/(n_in+n_out)")

    @ctx.holds
    @given(seed=st.integers(0, 2**32 - 1), n_in=st.integers(1, 512), n_out=st.integers(1, 512))
    def sample_variance(seed, n_in, n_out):
        a = s.bound(n_in, n_out)
        w = np.asarray(s.sample(np.random.default_rng(seed), a, _MC_N))
        want = 2.0 / (n_in + n_out)
        # Var of the sample variance: (μ₄ − σ⁴)/N with μ₄ = a⁴/5 and σ⁴ = a⁴/9 for U[−a, a]
        se = math.sqrt((a**4 / 5.0 - a**4 / 9.0) / _MC_N)
        est = float(np.var(w, ddof=1))
        assert abs(est - want) <= _Z * se, (f"{ctx.id}: sample variance {est!r} of {_MC_N} draws (seed {seed}, "
                                            f"n_in={n_in}, n_out={n_out}) differs from 2/(n_in+n_out) = {want!r} by more than {_Z} SE = {_Z * se:.3g}")
        assert np.all(np.abs(w) <= a), f"{ctx.id}: a draw lies outside [−a, a], a = {a!r}"


# ================================================================ INIT-GLOROT-STANDARD-THIRD
#: Independent networks per Monte-Carlo example: the standard error of E‖δ‖² is then 1–7% of it (measured over
#: n ∈ 2..12, k ∈ 1..4), so 6 SE stay below a factor 1.5 while the plants are off by factors 3^k and n^k.
_M_NETS = 1000


@claim_check("INIT-GLOROT-STANDARD-THIRD",
             subject={"bound": inits.standard_uniform_bound},
             plants={"LeCun-uniform bound √3/√n": {"bound": lambda n: math.sqrt(3.0) / math.sqrt(n)},
                     "bound 1/n instead of 1/√n": {"bound": lambda n: 1.0 / n}})
def standard_uniform_init_shrinks_backprop_by_a_third(ctx, s):
    """W ~ U[−1/√n, 1/√n] gives n·Var[W] = 1/3, so with equal widths E‖δ‖² shrinks by 1/3 per layer.  [INIT-GLOROT-STANDARD-THIRD]"""
    @ctx.holds
    @given(n=st.integers(1, 4096))
    @example(n=1)
    def n_var_is_one_third(n):
        a = s.bound(n)
        by_quad, _ = integrate.quad(lambda u: 0.5 * u * u, -1.0, 1.0)     # E[u²] for u ~ U[−1, 1]
        tol = tolerances.analytic()                                          # n·Var = 1/3: data of scale 1
        assertions.assert_close(n * a * a / 3.0, 1.0 / 3.0, tol, f"{ctx.id}: n·a²/3 at n={n}")
        assertions.assert_close(n * a * a * by_quad, 1.0 / 3.0, tol, f"{ctx.id}: n·Var by quad at n={n}")

    @ctx.holds
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 12), k=st.integers(1, 4))
    @example(seed=1, n=4, k=3)
    def backward_variance_shrinks_by_a_third(seed, n, k):
        rng = np.random.default_rng(seed)
        a = s.bound(n)
        d = rng.standard_normal(n)
        d /= np.linalg.norm(d)                                      # ‖δ_top‖² = 1
        W = rng.uniform(-a, a, size=(_M_NETS, k, n, n))
        g = np.broadcast_to(d, (_M_NETS, n))
        for layer in range(k):                                      # δ ← Wᵀ δ through k layers
            g = np.einsum("mij,mi->mj", W[:, layer], g)
        sq = np.sum(g * g, axis=1)
        want = (n * a * a / 3.0) ** k
        est, se = float(np.mean(sq)), float(np.std(sq, ddof=1)) / math.sqrt(_M_NETS)
        assert abs(est - want) <= _Z * se, (f"{ctx.id}: E‖δ‖² after {k} layers (n={n}, seed {seed}) estimated {est!r}, "
                                            f"expected (n Var)^k = {want!r} (1/3^k = {3.0 ** -k!r}); allowed {_Z} SE = {_Z * se:.3g}")
        assert est < 1.0, f"{ctx.id}: E‖δ‖² = {est!r} did not decrease from 1 over {k} layers"


# ================================================================ INIT-HE-RELU-HALF
def _relu_scalar(f):
    return lambda t: float(f(t))


@claim_check("INIT-HE-RELU-HALF",
             subject={"relu": act.relu},
             plants={"leaky ReLU (α = 0.1) in place of ReLU": {"relu": lambda x: act.leaky_relu(x, 0.1)},
                     "ReLU written as |x|": {"relu": lambda x: np.abs(x)}})
def relu_halves_the_second_moment_of_a_symmetric_input(ctx, s):
    """y zero-mean and symmetric: E[relu(y)²] = Var[y]/2; for y ~ N(μ, s²) it equals s²/2 only at μ = 0.  [INIT-HE-RELU-HALF]"""
    relu = _relu_scalar(s.relu)

    @ctx.holds
    @given(sd=floats(1e-3, 1e3))
    @example(sd=1.0)
    def gaussian_half(sd):
        # y = sd·t, t ~ N(0,1): E[relu(y)²] = ∫ relu(sd t)² φ(t) dt, split at the kink t = 0
        m2, _ = integrate.quad(lambda t: relu(sd * t) ** 2 * _gauss_pdf(t), -_GAUSS_SPAN, _GAUSS_SPAN, points=[0.0], **_QUAD)
        m1, _ = integrate.quad(lambda t: relu(sd * t) * _gauss_pdf(t), -_GAUSS_SPAN, _GAUSS_SPAN, points=[0.0], **_QUAD)
        lbl = f"{ctx.id}: y ~ N(0, {sd!r}²)"
        _rel_close(m2, sd * sd / 2.0, f"{lbl}: E[relu(y)²] vs Var[y]/2")
        # He's remark: E[x²] ≠ Var[x] for x = relu(y), because E[x] = sd/√(2π) ≠ 0 (so Var[x] = E[x²] − E[x]² < E[x²])
        _rel_close(m1, sd / math.sqrt(2.0 * math.pi), f"{lbl}: E[relu(y)] vs sd/√(2π)")

    @ctx.holds
    @given(atoms=st.lists(st.tuples(floats(0.0, 10.0), floats(1e-3, 1.0)), min_size=1, max_size=6))
    @example(atoms=[(1.0, 1.0)])
    def any_symmetric_distribution(atoms):
        # y = ±a_k with probability p_k/2 each (symmetric, zero mean): E[relu(y)²] = Σ p_k a_k²/2 = Var[y]/2
        total = sum(p for _, p in atoms)
        e = sum(p / total * 0.5 * (relu(ak) ** 2 + relu(-ak) ** 2) for ak, p in atoms)
        var = sum(p / total * ak * ak for ak, p in atoms)
        # both sides are sums of p_k a_k² terms (a_k ≤ 10): the data's scale is Var[y]
        assertions.assert_close(e, var / 2.0, tolerances.analytic(scale=var),
                             f"{ctx.id}: symmetric atoms {atoms!r}: E[relu(y)²] vs Var[y]/2")

    @ctx.holds
    @given(mu=floats(-3.0, 3.0), sd=floats(0.1, 3.0))
    @example(mu=0.5, sd=1.0)
    def shifted_gaussian_is_not_half(mu, sd):
        assume(abs(mu) / sd > 1e-3)          # precondition of the contrast: a visible shift
        kink = -mu / sd                      # relu's kink in t; tell quad only when it lies inside the span
        m2, _ = integrate.quad(lambda t: relu(mu + sd * t) ** 2 * _gauss_pdf(t), -_GAUSS_SPAN, _GAUSS_SPAN,
                               points=[kink] if abs(kink) < _GAUSS_SPAN else None, **_QUAD)
        r = mu / sd
        closed = (mu * mu + sd * sd) * stats.norm.cdf(r) + mu * sd * stats.norm.pdf(r)
        # scale: E[relu(y)²] ≤ E[y²] = μ² + s² ≤ 18; an absolute floor of 1 (μ and s are O(1)) for the far
        # tail μ/s → −30, where both sides are ~1e-198 and only an absolute comparison is meaningful
        assertions.assert_close(m2, closed, tolerances.analytic(scale=max(1.0, mu * mu + sd * sd)),
                             f"{ctx.id}: y ~ N({mu!r}, {sd!r}²): quad vs closed form")
        target(abs(m2 - sd * sd / 2.0) / (sd * sd), label="|E[relu²] − Var/2| / Var")
        # E[relu(y)²] is strictly increasing in μ (its μ-derivative is 2E[relu(y)] > 0), so it meets Var/2 only at μ = 0
        assert (m2 > sd * sd / 2.0) == (mu > 0), f"{ctx.id}: μ={mu!r}, s={sd!r}: E[relu(y)²] = {m2!r} vs Var/2 = {sd * sd / 2!r}"


# ================================================================ INIT-HE-VARIANCE-PRESERVED
#: Independent networks per Monte-Carlo example: the standard error of E[y_L²] is then 4–18% of it (measured over
#: n ∈ 8..24, depth 2..6); 6 SE ≤ 0.43 at depth 2, where the plants are off by factors 2 and n/2 ≥ 4 per layer.
_M_HE = 200


@claim_check("INIT-HE-VARIANCE-PRESERVED",
             subject={"he_std": inits.he_std},
             plants={"std √(1/n) (fan-in rule without ReLU's 2)": {"he_std": lambda n: math.sqrt(1.0 / n)},
                     "std 2/n (variance and std confused)": {"he_std": lambda n: 2.0 / n}})
def he_init_preserves_relu_variance(ctx, s):
    """ReLU net, b = 0: Var[y_l] = n_l Var[w_l] E[x_l²] = ½ n_l Var[w_l] Var[y_{l−1}]; Var[w] = 2/n keeps it.  [INIT-HE-VARIANCE-PRESERVED]"""
    @ctx.holds
    @given(n=st.integers(1, 4096), q=floats(1e-3, 1e3))
    @example(n=100, q=1.0)
    def mean_field_factor_is_one(n, q):
        # one layer: Var[y_l] / Var[y_{l−1}] = n Var[w] E_{y~N(0,q)}[relu(y)²] / q, E computed by quad
        sd = math.sqrt(q)
        e, _ = integrate.quad(lambda t: max(sd * t, 0.0) ** 2 * _gauss_pdf(t), -_GAUSS_SPAN, _GAUSS_SPAN, points=[0.0], **_QUAD)
        std = s.he_std(n)
        _rel_close(n * std * std * e / q, 1.0, f"{ctx.id}: per-layer factor n·Var[w]·E[relu(y)²]/Var[y] at n={n}, q={q!r}")
        _rel_close(n * (1.0 / n) * e / q, 0.5, f"{ctx.id}: with Var[w] = 1/n the factor is 1/2 (n={n}, q={q!r})")

    @ctx.holds
    @given(y=dims(1, 8).flatmap(lambda n: vectors(n, -3.0, 3.0)))
    @example(y=np.array([1.0, -0.5, 2.0, -1.0]))
    def layer_identity_uses_second_moment(y):
        # eq. (7): E_w[y_l²] = n Var[w] E[x²] for x = relu(y_{l−1}): the second moment, not the variance,
        # because relu's output has a non-zero mean. Exact expectation over the two-point law ±std.
        x = np.maximum(y, 0.0)
        n = len(x)
        v = s.he_std(n) ** 2
        ms = float(np.mean(x * x))
        # E_w[(w·x)²] ≤ n·Var[w]·max x² ≤ 2·9: data of scale up to 18 (relative part) over an absolute floor of 1
        assertions.assert_close(_two_point_second_moment(v, x), n * v * ms, tolerances.analytic(scale=max(1.0, n * v * ms)),
                             f"{ctx.id}: E_w[(w·x)²] vs n·Var[w]·E[x²], x = relu({y!r})")
        assertions.assert_close(n * v, 2.0, tolerances.analytic(), f"{ctx.id}: n·Var[w] = 2 for He's std at n={n}")

    @ctx.holds
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(8, 24), depth=st.integers(2, 6))
    @example(seed=1, n=16, depth=6)
    def finite_width_monte_carlo(seed, n, depth):
        rng = np.random.default_rng(seed)
        std = s.he_std(n)
        y = rng.standard_normal((_M_HE, n))                       # y_1 ~ N(0, 1): Var[y_1] = 1
        for _ in range(depth - 1):                                 # y_l = W_l relu(y_{l−1}), b = 0
            W = std * rng.standard_normal((_M_HE, n, n))
            y = np.einsum("mij,mj->mi", W, np.maximum(y, 0.0))
        stat = np.mean(y * y, axis=1)                              # per-network mean of y_L²
        est, se = float(np.mean(stat)), float(np.std(stat, ddof=1)) / math.sqrt(_M_HE)
        assert abs(est - 1.0) <= _Z * se, (f"{ctx.id}: E[y_L²] after {depth} layers (n={n}, seed {seed}) estimated {est!r}, "
                                           f"expected Var[y_1] = 1; allowed {_Z} SE = {_Z * se:.3g}")


# ================================================================ INIT-SAXE-ORTHOGONAL-ISOMETRY
@st.composite
def _orthogonal_stacks(draw, max_n=4, max_depth=50):
    """(n, [Q_1, …, Q_L]): L ≤ max_depth Haar-orthogonal n×n matrices."""
    n = draw(dims(1, max_n))
    return n, draw(st.lists(orthogonal_matrices(n), min_size=1, max_size=max_depth))


def _rotation(theta):
    return np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])


_REFLECTION = np.array([[1.0, 0.0], [0.0, -1.0]])   # does not commute with a rotation


@claim_check("INIT-SAXE-ORTHOGONAL-ISOMETRY",
             subject={"gain": 1.0, "product": inits.deep_product},
             plants={"orthogonal init with gain 1.01": {"gain": 1.01},
                     "product multiplied in the wrong order (W_1⋯W_L)": {"product": lambda Ws: inits.deep_product(Ws[::-1])}})
def orthogonal_deep_linear_jacobian_is_an_isometry(ctx, s):
    """W_i orthogonal ⇒ the deep linear Jacobian W_L⋯W_1 has every singular value 1, at any depth.  [INIT-SAXE-ORTHOGONAL-ISOMETRY]"""
    @ctx.holds
    @given(stack=_orthogonal_stacks())
    @example(stack=(2, [_rotation(0.3), _REFLECTION]))
    def all_singular_values_one(stack):
        n, Qs = stack
        Ws = [s.gain * Q for Q in Qs]
        L = len(Ws)
        P = s.product(Ws)
        sv = np.linalg.svd(P, compute_uv=False)
        target(float(np.max(np.abs(sv - 1.0))), label="max |σ − 1|")
        lbl = f"{ctx.id}: depth {L}, width {n}"
        assertions.assert_close(sv, np.ones(n), tolerances.analytic(), f"{lbl}: singular values of W_L⋯W_1")

        def deep_linear(x):                     # z_L = W_L(⋯(W_1 x)), layer by layer as a network computes it
            for W in Ws:
                x = anp.dot(W, x)
            return x
        # the network's Jacobian is that product (three oracles), so its singular values are the ones just checked
        oracles.check_jacobian(deep_linear, np.linspace(-1.0, 1.0, n), closed_form=P, label=f"{lbl}: Jacobian", reproduce=ctx.repro(stack=stack))


# ================================================================ INIT-SAXE-GAUSSIAN-SPREAD
_M_SAXE = 1000        # independent products per Monte-Carlo example (the spread test needs SE ≲ 0.1)
_M_NORM = 300         # the mean-norm test: a CLT interval needs only a few hundred


def _log_cond(P):
    sv = np.linalg.svd(P, compute_uv=False)
    return np.log(sv[..., 0] / sv[..., -1])


@claim_check("INIT-SAXE-GAUSSIAN-SPREAD",
             subject={"init": inits.gaussian, "product": inits.batched_product},
             plants={"orthogonal init in place of the Gaussian": {"init": inits.orthogonal},
                     "product keeps only the last factor": {"product": lambda Ws: Ws[-1]}})
def gaussian_deep_linear_spectrum_spreads_with_depth(ctx, s):
    """W_i iid N(0, 1/n): E‖W_L⋯W_1 v‖² = ‖v‖², yet the product is not an isometry and its spread grows with depth.  [INIT-SAXE-GAUSSIAN-SPREAD]"""
    @ctx.holds
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 6), depth=st.integers(1, 30))
    def never_isometric(seed, n, depth):
        rng = np.random.default_rng(seed)
        P = s.product(np.stack([s.init(rng, n, 1) for _ in range(depth)]))[0]
        sv = np.linalg.svd(P, compute_uv=False)
        ratio = float(sv[0] / sv[-1])
        target(-ratio, label="−σ_max/σ_min")           # hunt the most nearly isometric product
        # an exactly isometric Gaussian product has probability 0; 1e-6 sits ~1e9 ulps above rounding
        assert ratio > 1.0 + 1e-6, f"{ctx.id}: σ_max/σ_min = {ratio!r} for depth {depth}, width {n}, seed {seed}: isometric"

    @ctx.holds
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 6), depth=st.integers(1, 6))
    @example(seed=1, n=2, depth=1)
    def spread_grows_with_depth(seed, n, depth):
        rng = np.random.default_rng(seed)
        Ws = np.stack([s.init(rng, n, _M_SAXE) for _ in range(3 * depth)])
        shallow = _log_cond(s.product(Ws[:depth]))         # independent samples at depth L …
        deep = _log_cond(s.product(Ws[depth:]))             # … and at depth 2L (the other 2L matrices)
        diff = float(np.mean(deep) - np.mean(shallow))
        se = math.sqrt(float(np.var(deep, ddof=1) + np.var(shallow, ddof=1)) / _M_SAXE)
        assert diff > _Z * se, (f"{ctx.id}: mean log(σ_max/σ_min) grew by only {diff:.4g} from depth {depth} "
                                f"to {2 * depth} (width {n}, seed {seed}); required > {_Z} SE = {_Z * se:.3g}")

    @ctx.holds
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 6), depth=st.integers(1, 3))
    def norm_preserved_on_average(seed, n, depth):
        rng = np.random.default_rng(seed)
        v = rng.standard_normal(n)
        v /= np.linalg.norm(v)
        P = s.product(np.stack([s.init(rng, n, _M_NORM) for _ in range(depth)]))
        sq = np.sum((P @ v) ** 2, axis=1)
        est, se = float(np.mean(sq)), float(np.std(sq, ddof=1)) / math.sqrt(_M_NORM)
        assert abs(est - 1.0) <= _Z * se, (f"{ctx.id}: E‖W_tot v‖² estimated {est!r} at depth {depth}, width {n} "
                                           f"(seed {seed}), expected ‖v‖² = 1; allowed {_Z} SE = {_Z * se:.3g}")


# ================================================================ INIT-RNN-SPECTRAL-RADIUS
#: The finite-H band of ρ(W_hh)/s, measured (spec/claims/init.toml): over 1500/600/200 seeds at H = 64/128/256 the
#: ratio stayed in [0.934, 1.316]; the band is at least 1.5 sd beyond every observed value at every H ≥ 64.
_RHO_BAND = (0.85, 1.5)


@claim_check("INIT-RNN-SPECTRAL-RADIUS",
             subject={"init": rnn.init_params},
             plants={"W_hh std s/H instead of s/√H": {"init": lambda H, D, rng, scale=1.0: {**rnn.init_params(H, D, rng, scale), "W_hh": rnn.init_params(H, D, rng, scale)["W_hh"] / math.sqrt(H)}},
                     "W_hh std s·√2/√H (variance doubled)": {"init": lambda H, D, rng, scale=1.0: rnn.init_params(H, D, rng, math.sqrt(2.0) * scale)}})
def gaussian_recurrent_weight_spectral_radius_near_scale(ctx, s):
    """W_hh iid N(0, s²/H): H·mean(W²)/s² = 1 within 6 SE, and ρ(W_hh)/s ∈ [0.85, 1.5] for H ∈ 64..128.  [INIT-RNN-SPECTRAL-RADIUS]"""
    @ctx.holds
    @given(seed=st.integers(0, 2**32 - 1), H=st.integers(64, 128), D=st.integers(1, 4), scale=floats(0.01, 10.0))
    @example(seed=0, H=64, D=1, scale=1.0)
    def variance_and_spectral_radius(seed, H, D, scale):
        W = np.asarray(s.init(H, D, np.random.default_rng(seed), scale=scale)["W_hh"])
        assert W.shape == (H, H), f"{ctx.id}: W_hh has shape {W.shape}, expected ({H}, {H})"
        v = float(np.mean(W * W)) * H / scale ** 2          # E = 1; SE = √(Var[g²]/H²) = √2/H for g ~ N(0, 1)
        se = math.sqrt(2.0) / H
        assert abs(v - 1.0) <= _Z * se, (f"{ctx.id}: H·mean(W_hh²)/s² = {v!r} at H={H}, s={scale!r}, seed {seed}; "
                                         f"expected 1 within {_Z} SE = {_Z * se:.3g}")
        rho = float(np.max(np.abs(np.linalg.eigvals(W)))) / scale
        target(abs(rho - 1.0), label="|rho/s - 1|")
        lo, hi = _RHO_BAND
        assert lo <= rho <= hi, f"{ctx.id}: ρ(W_hh)/s = {rho!r} at H={H}, s={scale!r}, seed {seed}; expected within [{lo}, {hi}]"
