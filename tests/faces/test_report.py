"""The certificate as a document: rendered maths, everything the Markdown has, figures next to their claims,
margin and evidence when a producer filled them, provenance; nothing fetched from the network."""

import json
from html.parser import HTMLParser

import pytest

from vanishing import report

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
        self.urls, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "poster", "action", "xmlns") and v:
                self.urls.append(v)


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
    assert "http://" not in page and "https://" not in page


def test_html_has_everything_the_markdown_has(tmp_path):
    d = report.write_report(tmp_path / "r", _doc([_claim()]))
    page = (d / "certificate.html").read_text(encoding="utf-8")
    md = (d / "certificate.md").read_text(encoding="utf-8")
    for needle in ("spec/claims/rnn.toml", "checks/claims/rnn.py:10", "vanishing verify --only RNN-NORM-BOUND --profile ci",
                   "seed 001 (001_4c6834f2b5048873.txt)", "vanishing:RNN-NORM-BOUND@", "autograd vs fd", "finite float64"):
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
    g = report.git_provenance()
    assert g["commit"] is None or len(g["commit"]) == 40


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
