"""vanishing.gradcheck on PyTorch (torch.autograd, a custom autograd.Function) and JAX (jax.vjp, custom_vjp)."""
import numpy as np
import pytest

from vanishing.gradcheck import GradcheckError, gradcheck



@pytest.mark.torch
class TestTorch:
    @pytest.fixture(autouse=True)
    def _torch(self):
        self.torch = pytest.importorskip("torch")

    def scaled(self, factor):
        torch = self.torch

        class Scaled(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                ctx.save_for_backward(x, w)
                return torch.tanh(x @ w)

            @staticmethod
            def backward(ctx, g):
                x, w = ctx.saved_tensors
                d = g * (1 - torch.tanh(x @ w) ** 2)
                return d @ w.T, (x.T @ d) * factor          # the weight gradient wrong by `factor`
        return Scaled.apply

    def inputs(self, dtype=None):
        g = self.torch.Generator().manual_seed(0)
        dtype = dtype or self.torch.float64
        return self.torch.randn(3, 4, dtype=dtype, generator=g), self.torch.randn(4, 2, dtype=dtype, generator=g)

    def test_custom_function_correct_passes_and_wrong_by_1_000001_fails(self):
        assert gradcheck(self.scaled(1.0), *self.inputs()).ok
        r = gradcheck(self.scaled(1.000001), *self.inputs())
        assert r.verdict == "fail" and r.framework == "torch"
        assert {e.input[0] for e in r.failures} == {1}          # only the weight's entries are wrong
        assert "forward mode not checked" in r.report() and "from " in r.reproduce()

    def test_builtin_ops_with_tuple_output_pass_in_both_modes(self):
        torch = self.torch
        x, w = self.inputs()
        r = gradcheck(lambda a, b: (torch.sin(a).sum(0), a @ b), x, w)
        assert r.ok and {e.mode for e in r.entries} == {"reverse", "forward"}
        assert gradcheck(lambda a, b: (torch.sin(a).sum(0), a @ b), x, w, mode="directional").ok

    def test_large_input_is_batched_with_vmap_and_still_exact(self):
        torch = self.torch
        from vanishing.gradcheck import frameworks
        x = torch.linspace(-1, 1, 120, dtype=torch.float64)
        f = lambda a: torch.tanh(a) * a.sum()                         # noqa: E731
        ad = frameworks.adapter(f, (x,))
        F = ad.evaluate_in(np.float64)
        assert ad.evaluate_many_in(np.float64, F) is not None          # the vmap path is taken
        r = gradcheck(f, x, mode="full", forward=False)
        assert r.ok and len(r.entries) == 120 * 120

    def test_float32_is_differenced_in_float64(self):
        r = gradcheck(lambda a: self.torch.sin(a) * 2, self.inputs(self.torch.float32)[0])
        assert r.ok and r.precision.startswith("float64") and r.dtype == "float32"

    def test_relu_at_zero_is_inconclusive(self):
        r = gradcheck(self.torch.relu, self.torch.tensor([0.0, 1.0, -1.0], dtype=self.torch.float64))
        assert r.verdict == "inconclusive" and not r.failures

    @pytest.mark.parametrize("case", ["dropout", "detached", "int"])
    def test_bad_input(self, case):
        torch = self.torch
        x = torch.ones(64, dtype=torch.float64)       # two dropout masks agree with probability 2^-64
        f, msg = {"dropout": (lambda a: torch.nn.functional.dropout(a, 0.5, training=True), "not deterministic"),
                  "detached": (lambda a: a.detach() * 2, "do not depend"),
                  "int": (torch.sin, "dtype int64")}[case]
        with pytest.raises(GradcheckError, match=msg):
            gradcheck(f, torch.arange(4) if case == "int" else x)


@pytest.mark.frameworks
class TestJax:
    @pytest.fixture(autouse=True)
    def _jax(self):
        self.jax = pytest.importorskip("jax")

    def test_jnp_function_passes_and_custom_vjp_wrong_fails(self):
        jax, jnp = self.jax, self.jax.numpy
        x = np.linspace(-1.0, 1.0, 4)
        assert gradcheck(lambda a: jnp.sin(a) * jnp.sum(a), x, framework="jax").ok

        @jax.custom_vjp
        def f(a):
            return jnp.sin(a)
        f.defvjp(lambda a: (jnp.sin(a), a), lambda a, g: (g * jnp.cos(a) * 1.000001,))
        r = gradcheck(f, x, framework="jax")
        assert r.verdict == "fail" and len(r.failures) == 4 and "forward mode not checked" in r.report()

    def test_float32_jax_array_is_differenced_in_float64(self):
        jnp = self.jax.numpy
        r = gradcheck(lambda a: jnp.tanh(a) * 2, jnp.asarray(np.linspace(-1, 1, 3, dtype=np.float32)))
        assert r.ok and r.framework == "jax" and r.precision.startswith("float64")
