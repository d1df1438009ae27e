"""The certificate as a document: rendered maths, everything the Markdown has, figures next to their claims,
margin and evidence when a producer filled them, provenance; nothing fetched from the network."""

import json
import re
from html.parser import HTMLParser

import pytest

from vanishing import citation, provenance, report

STATEMENT = r"\Big\|\frac{\partial h_t}{\partial h_k}\Big\|_2 \le (\gamma_v\gamma_{g'})^{t-k} \text{ for all } t \ge k"


def _claim(cid="RNN-NORM-BOUND", **extra):
    c = {"id": cid, "cite": report.citation_id(cid), "title": "A bound on the long-range Jacobian", "statement": STATEMENT,
         "original": "the norm is bounded by $\\eta^{t-k}$", "hypotheses": ["$t \\ge k$", "finite float64"],
         "sources": [{"ref": "seed 001 (001_4c6834f2b5048873.txt)", "quote": "smaller than $1$", "where": "§2"}],
         "verdict": "verified", "outcome": "pass", "observed": "holds", "examples": 27, "max_error": 1e-15,
         "tolerance": 1e-12, "max_error_over_tolerance": 1e-3, "worst_comparison": "autograd vs fd", "oracles": ["autograd"],
         "oracles_used": ["autograd", "fd"], "counterexample": None, "recorded_counterexample": None,
         "properties": [{"name": "bound", "expect": "holds", "observed": "held", "examples": 27, "counterexample": None,
                         "message": None}], "problems": [], "seconds": 0.5, "spec_file": "spec/claims/rnn.toml",
         "check": "vanishing.checks.claims.rnn (checks/claims/rnn.py:10)", "reproduce": f"vanishing verify --only {cid} --profile ci",
         "figures": []}
    c.update(extra)
    return c


def _doc(claims):
    return {"tool": "vanishing verify", "created": "2026-01-01T00:00:00+00:00", "command": "vanishing verify --report R",
            "profile": "ci", "hypothesis_seed": "derandomized", "versions": report.environment(), "provenance": report.provenance(),
            "summary": {"claims": len(claims), "pass": len(claims), "fail": 0,
                        "verdicts": {"verified": len(claims), "corrected": 0, "refuted": 0}}, "claims": claims}


class _Resources(HTMLParser):
    """Every URL the page would load or link to."""

    def __init__(self):
        super().__init__()
        self.urls, self.links, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "srcset", "data", "poster", "action", "xmlns") and v:
                self.urls.append(v)
            elif k == "href" and v:
                self.links.append(v)


def _experiments_dir(tmp_path, name="exp"):
    d = tmp_path / name
    d.mkdir()
    (d / "lag.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    doc = {"created": "2026-01-01T00:00:00+00:00", "command": "vanishing experiments --quick", "quick": True,
           "versions": {"matplotlib": "3.x", "scikit-learn": "1.x"}, "provenance": {"commit": "abc", "dirty": False},
           "experiments": [{"name": "lag", "dataset": "synthetic", "seeds": [0], "seconds": 1.0}],
           "claims": {"RNN-NORM-BOUND": [{"experiment": "lag", "path": "lag.png", "caption": "gradient against lag"}]}}
    (d / "experiments.json").write_text(json.dumps(doc), encoding="utf-8")
    return d


def test_html_renders_statements_as_mathml_and_fetches_nothing(tmp_path):
    pytest.importorskip("latex2mathml")
    d = report.write_report(tmp_path / "r", _doc([_claim()]))
    page = (d / "certificate.html").read_text(encoding="utf-8")
    assert page.count("<math") >= 4                       # statement (flowing pieces), original, hypothesis, quote
    assert "\\frac" not in page.split("<details>")[0].split("<section")[1]   # LaTeX only inside the "source" details
    p = _Resources()
    p.feed(page)
    remote = [u for u in p.urls if u.lower().startswith(("http:", "https:", "//", "ftp:"))]
    assert not remote, f"the certificate would fetch {remote}"
    assert "script" not in p.tags and "link" not in p.tags and "@import" not in page and "url(" not in page
    # the only addresses are the seed documents' own, as links a reader may follow (nothing loads them)
    from vanishing import citation
    seeds = {s["url"] for s in citation.seeds().values()}
    assert {u for u in p.links if not u.startswith("#")} <= seeds
    assert set(re.findall(r"https?://[^\s'\"<]+", page)) <= seeds


def test_html_has_everything_the_markdown_has(tmp_path):
    d = report.write_report(tmp_path / "r", _doc([_claim()]))
    page = (d / "certificate.html").read_text(encoding="utf-8")
    md = (d / "certificate.md").read_text(encoding="utf-8")
    for needle in ("spec/claims/rnn.toml", "checks/claims/rnn.py:10", "vanishing verify --only RNN-NORM-BOUND --profile ci",
                   "001_4c6834f2b5048873.txt", "Mattia Mancassola. Introduction to RNN and LSTM", "vanishing:RNN-NORM-BOUND@", "autograd vs fd", "finite float64"):
        assert needle in md and needle in page, needle


def test_figures_from_the_report_directory_sit_next_to_their_claim(tmp_path):
    d = _experiments_dir(tmp_path, "r")
    doc = _doc([_claim(), _claim("CLIP-NORM-CAP")])
    report.write_report(d, doc)
    cert = json.loads((d / "certificate.json").read_text(encoding="utf-8"))
    by = {c["id"]: c for c in cert["claims"]}
    assert by["RNN-NORM-BOUND"]["figures"] == [{"experiment": "lag", "path": "lag.png", "caption": "gradient against lag"}]
    assert by["CLIP-NORM-CAP"]["figures"] == []
    page = (d / "certificate.html").read_text(encoding="utf-8")
    section = page.split("<section id='RNN-NORM-BOUND'>")[1].split("</section>")[0]
    assert "<img src='lag.png'" in section and "gradient against lag" in section
    assert "<img" not in page.split("<section id='CLIP-NORM-CAP'>")[1]
    assert "![lag](lag.png)" in (d / "certificate.md").read_text(encoding="utf-8")
    assert cert["experiments"]["command"] == "vanishing experiments --quick"


def test_figures_from_another_directory_are_copied_in(tmp_path):
    exp = _experiments_dir(tmp_path)
    d = report.write_report(tmp_path / "r", _doc([_claim()]), experiments=exp)
    assert (d / "figures" / "lag.png").read_bytes().startswith(b"\x89PNG")
    assert "<img src='figures/lag.png'" in (d / "certificate.html").read_text(encoding="utf-8")


def test_a_missing_or_broken_experiments_json_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no experiments.json"):
        report.write_report(tmp_path / "r", _doc([_claim()]), experiments=tmp_path / "nowhere")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "experiments.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="is not an experiments.json"):
        report.write_report(tmp_path / "r", _doc([_claim()]), experiments=bad)


def test_margin_and_evidence_are_rendered_when_present(tmp_path):
    margin = {"worst_ratio": 0.875, "value": 0.7, "bound": 0.8, "label": "‖∂h_t/∂h_k‖ vs η^(t−k)", "input": "T=7, H=3"}
    evidence = [{"level": "proof", "status": "passed", "summary": "SymPy proves the bound for every size",
                 "detail": "sympy 1.13; induction on t − k", "seconds": 0.25},
                {"level": "property", "status": "passed", "summary": "27 Hypothesis examples", "detail": "", "seconds": 0.5}]
    d = report.write_report(tmp_path / "r", _doc([_claim(margin=margin, evidence=evidence)]))
    page = (d / "certificate.html").read_text(encoding="utf-8")
    md = (d / "certificate.md").read_text(encoding="utf-8")
    for text in (page, md):
        assert "0.875" in text and "T=7, H=3" in text
        assert "SymPy proves the bound for every size" in text and "induction on t − k" in text
    assert page.index("proof") < page.index("27 Hypothesis examples")
    # absent or empty keys: nothing rendered
    page2 = (report.write_report(tmp_path / "r2", _doc([_claim(margin=None, evidence=[])])) / "certificate.html").read_text("utf-8")
    assert "Margin" not in page2 and "Evidence" not in page2


def test_provenance_names_optional_packages_and_git():
    p = report.provenance()
    assert set(report.OPTIONAL) <= set(p["optional_packages"])
    assert "commit" in p["git"]
    g = provenance.git()
    assert g["commit"] is None or len(g["commit"]) == 40
    assert p["package"]["hash"] == provenance.package()["hash"] and len(p["package"]["catalogue_hash"]) == 64


def test_cite_key_carries_version_and_hash_and_bibtex_the_commit():
    pkg = provenance.package()
    assert report.citation_id("RNN-NORM-BOUND") == f"vanishing:RNN-NORM-BOUND@{pkg['version']}+{pkg['hash'][:12]}"
    entry = citation.bibtex("RNN-NORM-BOUND", "‖∂h_t/∂h_k‖ ≤ (γ_v γ_g')^{t−k} with max_norm", "verified", pkg,
                            {"commit": "a" * 40, "dirty": False}, outcome="pass", year=2026)
    assert entry.startswith("@misc{vanishing:RNN-NORM-BOUND,\n") and entry.endswith("\n}")
    assert "a" * 40 in entry and pkg["release"] in entry and "year = {2026}" in entry and "verdict verified; this run: pass" in entry
    assert "^{" not in entry and "γᵥ" in entry and "max\\_norm" in entry and entry.count("{") == entry.count("}")
    no_git = citation.bibtex("X-Y", "t", "refuted", pkg, {"commit": None, "note": "not built from a git checkout"}, year=2026)
    assert "not built from a git checkout" in no_git


def test_seeds_are_cited_as_references_with_the_file_name_as_key(tmp_path):
    r = citation.reference("000_f9b81ecfd7a6e498.txt")
    assert r["text"] == ("Harini Suresh. Vanishing Gradients & LSTMs. harinisuresh.com, 9 October 2016. "
                         "http://harinisuresh.com/2016/10/09/lstms/")
    assert "not found: author and date" in citation.reference("004_22ac8824845a90f5.txt")["text"]
    assert citation.reference("Hochreiter & Schmidhuber 1997")["text"] == "Hochreiter & Schmidhuber 1997"
    d = report.write_report(tmp_path / "r", _doc([_claim()]))
    page = (d / "certificate.html").read_text(encoding="utf-8")
    section = page.split("<section id='RNN-NORM-BOUND'>")[1].split("</section>")[0]
    assert "Mattia Mancassola. Introduction to RNN and LSTM. Matt Log (mett29.github.io), 22 December 2019." in section
    assert "<h2><a class='anchor' href='#RNN-NORM-BOUND'>RNN-NORM-BOUND</a></h2>" in section
    assert "id='seed-documents'" in page


def test_long_cases_are_summarised_and_kept_whole():
    xs = [[float(i) / 7] for i in range(30)]
    case = f"case={{'W_hh': [[0.0]], 'xs': {xs!r}, 'T': 30}}"
    short = report.summarise_case(case)
    assert "30×1 array in [0, 4.14]" in short and "'W_hh': [[0.0]]" in short and len(short) < 120
    assert report.summarise_case("T=7") == "T=7"
    arrays = "p: Failing explicit example: p( case={'Js': [" + ", ".join(["array([[1.03125]])"] * 23) + "]}, )"
    assert report.summarise_case(arrays) == "p: case={'Js': ‹23×1×1 array all 1.031›}"
    margin = {"worst_ratio": 1.0, "value": 0.5, "bound": 0.5, "label": "‖x‖_F", "input": case, "input_summary": short}
    c = _claim(margin=margin, counterexample=case, counterexample_summary=short)
    page = report._claim_html(c, {})
    assert page.count(case.replace("'", "&#x27;")) == 2               # the whole case, once for each, in a source block
    assert "<details class='source'><summary>the whole case</summary>" in page and "‖x‖<sub>F</sub>" in page


def test_a_real_run_records_the_digits_data_set(tmp_path):
    """DEEP-FIRST-LAYER-TYPICAL reads the digits; the certificate says which data set it actually used."""
    from vanishing.checks import runner
    outcomes = runner.run_all(["DEEP-FIRST-LAYER-TYPICAL"], profile="ci", seed=None)
    doc = report.to_json(outcomes, "ci", "derandomized", argv=["verify"])
    ds = doc["provenance"]["datasets"]["DEEP-FIRST-LAYER-TYPICAL"]
    assert outcomes[0].recorder.datasets == {ds}             # carried by the outcome: the same from a --jobs worker
    assert report.provenance()["datasets"] == {}             # no outcomes, no data sets: not read from this process's caches
    try:
        import sklearn  # noqa: F401
        assert "scikit-learn" in ds and "digits" in ds
    except ImportError:
        assert "synthetic" in ds
    page = (report.write_report(tmp_path, doc) / "certificate.html").read_text(encoding="utf-8")
    assert "Data set:" in page.split("<section id='DEEP-FIRST-LAYER-TYPICAL'>")[1]


def test_the_evidence_column_the_legend_and_each_scope_are_rendered(tmp_path):
    """The summary table names each claim's strongest evidence and its reach; scopes and the theorem's hypotheses show apart."""
    from vanishing.checks.evidence import LEGEND
    scope = {"sizes": ["H=2", "T=2"], "steps": ["SymPy: the identity at H = 2"], "tied": ["products at 2 points"],
             "hypotheses": ["g ∈ {tanh, σ}"]}
    evidence = [{"level": "fixed-size", "status": "passed", "summary": "identity at H = 2", "detail": "", "seconds": 0.1, "scope": scope},
                {"level": "property", "status": "passed", "summary": "25 examples", "detail": "", "seconds": 0.5,
                 "scope": {"sizes": ["H ≤ 4"], "steps": [], "tied": [], "hypotheses": []}}]
    d = report.write_report(tmp_path / "r", _doc([_claim(evidence=evidence)]))
    for text in ((d / "certificate.html").read_text("utf-8"), (d / "certificate.md").read_text("utf-8")):
        assert "fixed-size (H=2, T=2)" in text and "sizes covered: only H=2, T=2" in text
        assert "step: SymPy: the identity at H = 2" in text and "tied: products at 2 points" in text
        assert "Theorem's hypotheses" in text and "Property search" in text
        assert all(k in text for k in LEGEND)
