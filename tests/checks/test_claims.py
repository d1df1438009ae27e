"""Every claim of the catalogue, through the same runner as ``vanishing verify``."""
import pytest

from vanishing.checks import runner

CATALOGUE = runner.catalogue()


@pytest.mark.parametrize("claim_id", list(CATALOGUE))
def test_claim_agrees_with_its_verdict(claim_id):
    out = runner.run_claim(CATALOGUE[claim_id])
    assert out.consistent, f"{claim_id} ({CATALOGUE[claim_id].verdict}) observed {out.observed}:\n{out.summary()}"
