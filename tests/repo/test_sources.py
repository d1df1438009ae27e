"""The repository stands on its own: no path outside it, every cited document exists or is listed in docs/SOURCES.md."""
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEXT = {".py", ".md", ".toml", ".txt", ".cff", ".cfg", ".ini", ".json", ".yml", ".yaml", ".html", ""}

#: Paths that exist only on the machine the project was written on, or beside the repository.
OUTSIDE = [
    (re.compile(r"\.\./shared\b"), "a path beside the repository (../shared)"),
    (re.compile(r"\bshared/(seeds|CONVENTIONS|STYLE)"), "the workspace's shared/ folder"),
    (re.compile(r"(?<![\w.])/(work|root|home|Users)/[\w.-]+"), "an absolute path on a developer's machine"),
    (re.compile(r"\bSCHEMA\.md\b"), "SCHEMA.md, a working note that is not in the repository (the claim record: docs/DESIGN.md)"),
    (re.compile(r"\b(?:docs/)?CONVENTIONS\.md\b"), "CONVENTIONS.md, which is not in the repository (cite the library source; see docs/SOURCES.md)"),
]
SEED = re.compile(r"\b(\d{3}_[0-9a-f]{16})\.txt\b")
DOC_REF = re.compile(r"\b(docs/[\w./-]+\.md)\b")


def _files():
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
        files = [ROOT / f for f in out]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts and ".venv" not in p.parts]
    this = Path(__file__).resolve()
    return [f for f in files if f.suffix in TEXT and f.is_file() and f.resolve() != this]


FILES = _files()


@pytest.mark.parametrize("pattern,what", OUTSIDE, ids=[w.split(" (")[0] for _, w in OUTSIDE])
def test_no_path_points_outside_the_repository(pattern, what):
    hits = [f"{f.relative_to(ROOT)}:{i}: {line.strip()[:120]}"
            for f in FILES for i, line in enumerate(f.read_text(errors="replace").splitlines(), 1) if pattern.search(line)]
    assert not hits, f"{what} is cited; the repository must stand on its own:\n" + "\n".join(hits[:20])


def test_every_docs_reference_exists():
    missing = sorted({f"{f.relative_to(ROOT)} → {m}" for f in FILES for m in DOC_REF.findall(f.read_text(errors="replace"))
                      if not (ROOT / m).exists()})
    assert not missing, "references to documents the repository does not have:\n" + "\n".join(missing)


def test_every_cited_seed_is_listed_in_sources_with_a_title():
    sources = (ROOT / "docs" / "SOURCES.md").read_text()
    cited = set()
    for toml in (ROOT / "spec" / "claims").glob("*.toml"):
        for claim in tomllib.loads(toml.read_text()).get("claim", []):
            for s in claim.get("sources", []):
                cited |= set(SEED.findall(s.get("ref", "")))
    assert cited, "no seed is cited by file name in spec/claims: the citation keys changed?"
    rows = {m.group(1): line for line in sources.splitlines() for m in [re.search(r"`(\d{3}_[0-9a-f]{16})\.txt`", line)] if m}
    assert not cited - set(rows), f"seeds cited in spec/ but not described in docs/SOURCES.md: {sorted(cited - set(rows))}"
    for key, row in rows.items():
        cells = [c.strip() for c in row.split("|")]
        assert len(cells) >= 5 and all(cells[2:5]), f"docs/SOURCES.md: {key} needs a title, what it covers and the claim topics"


def _seed_references():
    return {s["key"]: s for s in tomllib.loads((ROOT / "spec" / "sources.toml").read_text(encoding="utf-8"))["seed"]}


def test_the_seed_references_are_one_set_of_data_that_sources_md_and_citation_cff_agree_with():
    """spec/sources.toml is the one place of the five seeds' references; docs/SOURCES.md and CITATION.cff say the same."""
    from vanishing import citation
    seeds = _seed_references()
    assert len(seeds) == 5 and seeds == citation.seeds()
    rows = {m.group(1): line for line in (ROOT / "docs" / "SOURCES.md").read_text().splitlines()
            for m in [re.search(r"^\| `(\d{3}_[0-9a-f]{16}\.txt)` \|", line)] if m}
    assert set(rows) == set(seeds), "docs/SOURCES.md's table and spec/sources.toml name different seeds"
    # CITATION.cff: one `references` entry per seed, found by the "Seed <key>" of its notes
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    entries = {m.group(0): block for block in re.split(r"\n  - type: ", cff) for m in [SEED.search(block)] if m and "Seed " in block}
    assert set(entries) == set(seeds), "CITATION.cff's references and spec/sources.toml name different seeds"
    for key, s in seeds.items():
        row, entry = rows[key], entries[key]
        for field in ("title", "site", "url"):
            assert s[field] in row, f"docs/SOURCES.md, {key}: {field} {s[field]!r} differs from spec/sources.toml"
        assert f'title: "{s["title"]}"' in entry and f'url: "{s["url"]}"' in entry and f'name: "{s["site"]}"' in entry, key
        if s.get("author"):
            given, family = s["author"].rsplit(" ", 1)
            assert s["author"] in row and f"family-names: {family}" in entry and f"given-names: {given}" in entry, key
        else:
            assert "name: anonymous" in entry and "not found" in row.lower() + (ROOT / "docs" / "SOURCES.md").read_text().lower()
        if s.get("date"):
            assert f"year: {s['date'][:4]}" in entry and s["date"][:4] in row, key
            assert len(s["date"]) < 10 or f'date-published: "{s["date"]}"' in entry, key
        else:
            assert "date-published" not in entry and "year:" not in entry, key
        assert key in citation.reference(key)["text"] or citation.reference(key)["text"].startswith(s.get("author", s["title"]))


def test_every_listed_paper_is_a_complete_reference_cited_by_a_claim_and_resolved():
    """spec/sources.toml's [[paper]] tables: title, authors, year and the arXiv address; each cited and resolved by its id."""
    from vanishing import citation
    papers = tomllib.loads((ROOT / "spec" / "sources.toml").read_text(encoding="utf-8")).get("paper", [])
    assert papers and {p["key"] for p in papers} == set(citation.papers())
    refs = [s.get("ref", "") for toml in (ROOT / "spec" / "claims").glob("*.toml")
            for claim in tomllib.loads(toml.read_text()).get("claim", []) for s in claim.get("sources", [])]
    sources_md = (ROOT / "docs" / "SOURCES.md").read_text()
    for p in papers:
        arxiv_id = p["key"].removeprefix("arXiv:")
        assert p["key"] == f"arXiv:{arxiv_id}" and p["url"] == f"https://arxiv.org/abs/{arxiv_id}", p["key"]
        assert all(str(p.get(f, "")).strip() for f in ("title", "authors", "year")), f"{p['key']}: title, authors and year are required"
        assert any(p["key"] in r for r in refs), f"{p['key']} is listed in spec/sources.toml but no claim cites it"
        assert p["title"] in sources_md and p["key"] in sources_md, f"docs/SOURCES.md does not list {p['key']} ({p['title']})"
        ref = citation.reference(f"as cited, {p['key']} (docs/literature.md)")
        assert ref["key"] == p["key"] and ref["url"] == p["url"] and p["title"] in ref["text"] and not ref["seed"]
    assert citation.reference("arXiv:9999.99999")["key"] is None, "an unlisted arXiv id must stay the ref as written"
