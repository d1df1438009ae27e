"""The modern families in the validator (checks/conformance/modern.py, modern_cells.py): the reference conforms,
the switch-free surgery cell is the reference, and a planted bug per family is rejected and named."""

import autograd.numpy as anp
import numpy as np
import pytest
from vanishing.checks import tolerances
from vanishing.checks.conformance import bounds, modern, modern_cells, reference, surgery, validate_adapter
from vanishing.checks.conformance.protocol import AdapterInfo
from vanishing.checks.conformance.reference_adapter import ReferenceCell
from vanishing.models import kinds
from vanishing.models.activations import sigmoid

MODERN = [k for k in kinds.CELL_KINDS if kinds.row(k).family in modern_cells.FAMILIES]


def test_the_four_families_are_validatable():
    assert {kinds.row(k).family for k in MODERN} == set(modern_cells.FAMILIES) == {"mingru", "minlstm", "lru", "mamba"}


@pytest.mark.parametrize("kind", MODERN)
def test_surgery_without_switches_is_the_reference(kind):
    for case in modern.probe_cases(kind, np.float64, 3, seed=3):
        for s, r, M in zip(surgery.run(case), reference.forward(case), bounds.magnitudes(case)):
            tol = tolerances.analytic(np.float64, scale=float(np.max(np.abs(r))))
            np.testing.assert_allclose(s, r, rtol=tol.rtol, atol=float(tol.atol), err_msg=kind)
            assert np.all(M >= np.abs(r)), f"{kind}: a forward-error magnitude below its value"


@pytest.mark.parametrize("kind", MODERN)
def test_unit_derivative_scale_bounds_the_gradient(kind):
    # bounds.gradient_scale replaces every activation derivative by 1: never below the true gradient's largest entry
    for case in modern.probe_cases(kind, np.float64, 2, seed=5):
        g = reference.vjp(case)
        assert bounds.gradient_scale(case) >= 0.5 * max(float(np.max(np.abs(v))) for v in g.values())


def _run(adapter, only=None):
    rep = validate_adapter(AdapterInfo(adapter), profile="ci", only=only)
    assert not rep.broken, rep.broken
    return {r.check: r for r in rep.results}


@pytest.mark.parametrize("kind", MODERN)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reference_conforms_on_the_new_checks(kind, dtype):
    results = _run(ReferenceCell(kind, dtype), only=["direct-path", "parallel", "gate-range"])
    assert set(results) == {"direct-path", "parallel", "gate-range"}
    bad = [r.text() for r in results.values() if r.status != "pass"]
    assert not bad, "\n".join(bad)


@pytest.mark.slow
@pytest.mark.parametrize("kind", MODERN)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reference_conforms_on_every_check(kind, dtype):
    results = _run(ReferenceCell(kind, dtype))
    bad = [r.text() for r in results.values() if r.status != "pass"]
    assert not bad, "\n".join(bad)


# ---------------------------------------------------------------- planted bugs, written like user code
class MinGRUFlipped(ReferenceCell):
    """A minGRU whose gate is used the wrong way round: h = z⊙h + (1 − z)⊙h̃."""

    def __init__(self):
        super().__init__("mingru")
        self.name = "planted.minGRU[1 − z swapped]"

    def _forward(self, P, state0, xs):
        h, hs = state0[0], []
        for x in xs:
            z = sigmoid(P["W_z"] @ x + P["b_z"])
            h = z * h + (1.0 - z) * (P["W_h"] @ x + P["b_h"])
            hs.append(h)
        return (anp.stack(hs),)


class ScanOffByOne(ReferenceCell):
    """A minLSTM whose parallel scan reports h_{t−1} at step t (an exclusive scan)."""

    def __init__(self):
        super().__init__("minlstm")
        self.name = "planted.minLSTM[parallel off by one]"

    def _parallel(self, params, state0, xs):
        hs = super()._parallel(params, state0, xs)
        return np.concatenate([np.asarray(state0[0], dtype=self.dtype)[None], hs[:-1]], axis=0)



class LRUNoGamma(ReferenceCell):
    """An LRU without the normalisation γ."""

    def __init__(self):
        super().__init__("lru")
        self.name = "planted.LRU[γ missing]"

    def _forward(self, P, state0, xs):
        r = anp.exp(-anp.exp(P["nu_log"]))
        lr, li = r * anp.cos(anp.exp(P["theta_log"])), r * anp.sin(anp.exp(P["theta_log"]))
        hr, hi = state0
        ys = []
        for u in xs:
            hr, hi = lr * hr - li * hi + P["B_re"] @ u, lr * hi + li * hr + P["B_im"] @ u
            ys.append(P["C_re"] @ hr - P["C_im"] @ hi + P["D"] * u)
        return anp.stack(ys), hr, hi


class MambaZOH(ReferenceCell):
    """Mamba's S6 with the paper's zero-order-hold B̄ where the kind declares B̄ = ΔB."""

    def __init__(self):
        super().__init__("mamba-s6")
        self.name = "planted.S6[ZOH B̄]"

    def _forward(self, P, state0, xs):
        from vanishing.models import mamba
        ys, hs = mamba.forward(P, state0[0], xs, bbar="zoh")
        return ys, hs[-1]


@pytest.mark.parametrize("adapter, check, mutant", [
    (MinGRUFlipped(), "forward", "z-flipped"),
    (ScanOffByOne(), "parallel", "scan-off-by-one"),
    (LRUNoGamma(), "forward", "gamma-missing"),
    (MambaZOH(), "forward", "bbar-zoh"),
], ids=lambda v: getattr(v, "name", v))
def test_a_planted_bug_is_rejected_and_named(adapter, check, mutant):
    r = _run(adapter, only=[check])[check]
    assert r.status == "fail", r.text()
    assert f"mutant {mutant}" in "\n".join(r.lines + r.diagnosis), r.text()


def test_parallel_needs_must_be_declared_from_the_list():
    a = ReferenceCell("mingru")
    a.parallel_needs = "sometimes"
    results = _run(a, only=["parallel"])
    assert results["parallel"].status == "error" and "parallel_needs must be one of" in results["parallel"].text()
