"""What every model module shares, tested over all of them at once: the public names, one step of each cell at
hidden size 256 against autograd, and float32 in, float32 out (T = 1,000 steps at ±1e3)."""
import importlib
import pkgutil

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import vanishing.checks
import vanishing.models
# scripts/mutation.py picks the tests of a mutated module by this import
from vanishing.models import _validate, activations, batched, clipping, deepnet, gru, layouts, leaky, lstm, rnn, stacked

from vanishing_testkit import BIG, H_WIDE, T_LONG, finite, strict


def test_public_names():
    for mod in (lstm, gru, layouts):
        assert all(hasattr(mod, name) for name in mod.__all__), f"{mod.__name__}.__all__ names a missing object"


@pytest.mark.parametrize("module", [_validate, activations, batched, clipping, deepnet, gru, layouts, leaky, lstm, rnn, stacked],
                         ids=lambda m: m.__name__)
def test_every_name_in_a_models_all_exists(module):
    """``from vanishing.models.<module> import *`` works: __all__ names only what the module defines."""
    missing = [n for n in getattr(module, "__all__", ()) if not hasattr(module, n)]
    assert not missing, f"{module.__name__}.__all__ names what it does not define: {missing}"


@pytest.mark.survivor
def test_every_name_in_a_models_or_checks_all_exists():
    # pins: `from <module> import *` works for every module of vanishing.models and vanishing.checks, found by
    # walking the packages (a mutant put "FORWARD" in models/deepnet.py's __all__)
    for pkg in (vanishing.models, vanishing.checks):
        for info in pkgutil.iter_modules(pkg.__path__):
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            missing = [n for n in getattr(mod, "__all__", ()) if not hasattr(mod, n)]
            assert not missing, f"{mod.__name__}.__all__ names what it does not define: {missing}"


# ---------------------------------------------------------------- extreme inputs (the slow tier)
def _vjp_matches(step, x, J, rng):
    """vᵀJ from the closed-form Jacobian = autograd's VJP of the step, for a random cotangent v."""
    v = rng.normal(size=J.shape[0])
    ad = autograd.grad(lambda u: anp.dot(v, step(u)))(x)
    finite(ad)
    np.testing.assert_allclose(v @ J, ad, rtol=1e-9, atol=1e-11 * max(1.0, np.max(np.abs(ad))))


@pytest.mark.slow
@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_one_step_at_hidden_size_256(scale):
    """H = 256 (D = 8): each cell's step and its closed-form Jacobian, against autograd's VJP; finite, no warning."""
    H, D = H_WIDE, 8
    rng = np.random.default_rng(9)
    h, c, x = rng.uniform(-1, 1, H), rng.normal(size=H), rng.normal(size=D)
    with strict():
        P = {k: v * scale for k, v in rnn.init_params(H, D, rng).items()}
        J = rnn.step_jacobian(P, h, x)
        assert J.shape == (H, H)
        finite(J, rnn.step(P, h, x))
        _vjp_matches(lambda u: rnn.step(P, u, x), h, J, rng)
        for variant in ("forget", "cec", "peephole"):
            Q = {k: v * scale for k, v in lstm.init_params(H, D, rng, variant=variant).items()}
            J = lstm.h_jacobian(Q, h, c, x, variant=variant)
            assert J.shape == (H, H)
            finite(J, *lstm.step(Q, h, c, x, variant=variant))
            _vjp_matches(lambda u: lstm.step(Q, u, c, x, variant=variant)[0], h, J, rng)
        for reset in ("after", "before"):
            G = {k: v * scale for k, v in gru.init_params(H, D, rng).items()}
            J = gru.step_jacobian(G, h, x, reset=reset)
            assert J.shape == (H, H)
            finite(J, gru.step(G, h, x, reset=reset))
            _vjp_matches(lambda u: gru.step(G, u, x, reset=reset), h, J, rng)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_float32_is_kept_and_stays_finite_at_saturation(kind):
    """float32 params and inputs: accepted, outputs float32 (computed in float32), finite at ±1e3 over T = 1,000.

    rnn.jacobian_products returns float64 (its product starts from a float64 I), as stated in its docstring."""
    rng = np.random.default_rng(12)
    f32 = lambda d: {k: v.astype(np.float32) for k, v in d.items()}  # noqa: E731
    xs = rng.choice([-BIG, BIG, 0.5], size=(T_LONG, 2)).astype(np.float32)
    h0 = np.zeros(3, np.float32)
    with strict():
        if kind == "rnn":
            P = f32(rnn.init_params(3, 2, rng))
            outs = [rnn.forward(P, h0, xs), rnn.step_jacobian(P, h0, xs[0])]
            Pk = rnn.jacobian_products(P, h0, xs[:50])      # starts from the float64 identity: float64 out (stated)
            assert Pk.dtype == np.float64 and Pk.shape == (51, 3, 3)
            finite(Pk)
        elif kind == "lstm":
            P = f32(lstm.init_params(3, 2, rng))
            outs = [*lstm.forward(P, h0, h0, xs), lstm.h_jacobian(P, h0, h0, xs[0])]
        else:
            P = f32(gru.init_params(3, 2, rng))
            outs = [gru.forward(P, h0, xs), gru.step_jacobian(P, h0, xs[0])]
    for o in outs:
        assert o.dtype == np.float32, f"{kind}: a float32 computation returned {o.dtype}"
        finite(o)
    # the float32 result is the float64 computation to float32 accuracy (first output, the states)
    P64 = {k: v.astype(np.float64) for k, v in P.items()}
    ref = {"rnn": lambda: rnn.forward(P64, h0 * 1.0, xs * 1.0),
           "lstm": lambda: lstm.forward(P64, h0 * 1.0, h0 * 1.0, xs * 1.0)[0],
           "gru": lambda: gru.forward(P64, h0 * 1.0, xs * 1.0)}[kind]()
    assert ref.dtype == np.float64
    np.testing.assert_allclose(outs[0][:20], ref[:20], rtol=0, atol=1e-4)
