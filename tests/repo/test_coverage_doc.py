"""docs/COVERAGE.md names every claim of the catalogue, and names no claim that does not exist."""
import re
from pathlib import Path

from vanishing.checks import runner

COVERAGE = Path(__file__).resolve().parents[2] / "docs" / "COVERAGE.md"
#: A claim ID as written in the docs: upper-case words joined by hyphens, the first a known topic prefix.
ID = re.compile(r"(?<![\w-])(?:ACT|RNN|LSTM|GRU|DEEP|CLIP|INIT|BPTT|MINGRU|MINLSTM|MODERN|LRU|XLSTM|MAMBA)(?:-[A-Z0-9]+)+(?![\w-])")


def _named():
    return set(ID.findall(COVERAGE.read_text(encoding="utf-8")))


def test_every_catalogue_claim_appears_in_coverage():
    missing = sorted(set(runner.catalogue()) - _named())
    assert not missing, f"docs/COVERAGE.md does not mention {len(missing)} claim(s) of the catalogue: {missing}"


def test_coverage_names_no_claim_that_does_not_exist():
    unknown = sorted(_named() - set(runner.catalogue()))
    assert not unknown, f"docs/COVERAGE.md names ID(s) that are not in the catalogue: {unknown}"


def test_the_id_pattern_covers_every_catalogue_prefix():
    """The pattern must match every real ID, or a claim with a new prefix could never be found (and never be missed)."""
    unmatched = sorted(cid for cid in runner.catalogue() if not ID.fullmatch(cid))
    assert not unmatched, f"tests/repo/test_coverage_doc.py's ID pattern does not match {unmatched}: add their prefix"
