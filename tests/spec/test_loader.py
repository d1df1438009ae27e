"""The catalogue loader names the file, the record and the field of anything malformed."""
import pytest

from vanishing.spec import SpecError, load_catalogue, parse_file

GOOD = '''
[[claim]]
id = "ACT-EXAMPLE-ONE"
title = "t"
statement = "s"
hypotheses = []
sources = [{ref = "000_f9b81ecfd7a6e498.txt", quote = "q"}]
verdict = "verified"
oracles = ["hypothesis"]
'''


def test_good_record_parses():
    (c,) = parse_file(GOOD, "x.toml")
    assert c.id == "ACT-EXAMPLE-ONE" and c.sources[0].quote == "q"


@pytest.mark.parametrize("edit,field", [
    (lambda s: s.replace('verdict = "verified"', 'verdict = "maybe"'), "verdict"),
    (lambda s: s.replace('title = "t"\n', ''), "title"),
    (lambda s: s.replace('id = "ACT-EXAMPLE-ONE"', 'id = "lower case"'), "id"),
    (lambda s: s.replace('oracles = ["hypothesis"]', 'oracles = ["fd"]'), "oracles"),
    (lambda s: s.replace('oracles = ["hypothesis"]', 'oracles = ["hypothesis", "magic"]'), "oracles"),
    (lambda s: s.replace('sources = [{ref = "000_f9b81ecfd7a6e498.txt", quote = "q"}]', 'sources = []'), "sources"),
    (lambda s: s.replace('quote = "q"', 'quote = 3'), "sources[0]"),
    (lambda s: s.replace('verdict = "verified"', 'verdict = "refuted"'), "original"),
    (lambda s: s + 'colour = "blue"\n', "colour"),
    (lambda s: s.replace('hypotheses = []', 'hypotheses = "x"'), "hypotheses"),
])
def test_malformed_record_names_file_record_and_field(edit, field):
    with pytest.raises(SpecError) as e:
        parse_file(edit(GOOD), "spec/claims/broken.toml")
    msg = str(e.value)
    assert "spec/claims/broken.toml" in msg and "record #1" in msg and f"'{field}'" in msg, msg


def test_invalid_toml_names_the_file():
    with pytest.raises(SpecError, match="broken.toml: not valid TOML"):
        parse_file("[[claim]\n", "broken.toml")


def test_catalogue_ids_are_unique_and_sources_cite_seeds_or_papers():
    claims = load_catalogue()
    assert len({c.id for c in claims}) == len(claims)
    for c in claims:
        for s in c.sources:
            assert s.quote.strip(), f"{c.id}: a source without the sentence or equation it comes from"
