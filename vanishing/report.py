"""Certificates: the machine-readable JSON and the citable Markdown/HTML report of a verify run."""

import datetime as _dt
import html
import json
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

import vanishing
from vanishing import citation
from vanishing import provenance as _prov
from vanishing.mathtext import title_html, title_text

__all__ = ["citation_id", "environment", "optional_versions", "reproduce_command", "summarise_case", "to_json",
           "write_json", "write_report"]

#: optional packages that can change a result: torch (the conformance adapters), scikit-learn (the digits data set
#: of DEEP-FIRST-LAYER-TYPICAL and the experiments), matplotlib (the figures), latex2mathml (the rendered statements)
OPTIONAL = ("torch", "scikit-learn", "matplotlib", "latex2mathml")


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment():
    """Versions of everything that can change a verdict."""
    return {
        "vanishing": vanishing.__version__,
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "autograd": _version("autograd"),
        "hypothesis": _version("hypothesis"),
        "platform": platform.platform(),
    }


def optional_versions(names=OPTIONAL):
    """{distribution: version or "not installed"} for optional packages."""
    return {n: _version(n) for n in names}


def citation_id(claim_id):
    """How a claim is cited: ``vanishing:<ID>@<version>+<hash12>`` (:func:`vanishing.provenance.cite_key`)."""
    return _prov.cite_key(claim_id)


#: a case longer than this is summarised (the whole case stays in the JSON and one click away in the HTML)
SUMMARY_CHARS = 160


def summarise_case(text, limit=SUMMARY_CHARS):
    """A counterexample or margin input cut to what a reader needs: each long list as its shape and range.

    ``xs=[[-1.38], [1.80], …]`` (19 entries) becomes ``xs=‹19×1 array in [−1.93, 1.8]›``; Hypothesis's
    "Failing explicit example: name(" wrapper is dropped. Short text is returned as it is.
    """
    if not text:
        return text
    text = re.sub(r"Failing explicit example: \w+\(\s*(.*?),?\s*\)(?=;|$)", r"\1", text)
    if len(text) <= limit:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] != "[":
            out.append(text[i])
            i += 1
            continue
        j, depth = i, 0
        while j < len(text):
            depth += {"[": 1, "]": -1}.get(text[j], 0)
            j += 1
            if depth == 0:
                break
        group = text[i:j]
        out.append(_summarise_list(group) if len(group) > 40 else group)
        i = j
    short = "".join(out)
    return short if len(short) <= 3 * limit else short[:3 * limit] + " …"


def _summarise_list(group):
    import ast

    import numpy as np
    if not group.endswith("]"):
        return "‹…›"                               # the recorder cut the input inside this list
    try:
        a = np.asarray(ast.literal_eval(re.sub(r"array\((.*?)\)", r"\1", group)), dtype=float)
    except (ValueError, SyntaxError, TypeError):
        return f"‹list of {group.count(',') + 1} entries›"
    if a.size == 0:
        return group
    lo, hi = float(np.min(a)), float(np.max(a))
    values = f"all {lo:.4g}" if lo == hi else f"in [{lo:.3g}, {hi:.3g}]"
    return f"‹{'×'.join(map(str, a.shape))} array {values}›"


def reproduce_command(outcome):
    """The command that re-runs exactly this claim (:attr:`vanishing.checks.runner.Outcome.reproduce`)."""
    return outcome.reproduce


def _check_location(claim_id):
    from vanishing.checks.registry import REGISTRY
    cd = REGISTRY.get(claim_id)
    return cd.where if cd else None


def _claim_json(o):
    from vanishing.checks.recording import show
    from vanishing.checks.registry import REGISTRY
    c = o.claim
    check = REGISTRY.get(c.id)
    margin = o.recorder.margin()
    if margin:
        margin["input_summary"] = summarise_case(margin.get("input"))
    counterexample = "; ".join(o.counterexamples) or None
    return {
        "id": c.id,
        "cite": citation_id(c.id),
        "anchor": f"#{c.id}",   # the claim's section in certificate.html: the same in every run
        "bibtex": citation.bibtex(c.id, c.title, c.verdict, _prov.package(), _prov.git(), outcome=o.outcome,
                                  year=_dt.datetime.now(_dt.timezone.utc).year),
        "title": c.title,
        "statement": c.statement,
        "original": c.original,
        "hypotheses": list(c.hypotheses),
        "sources": [{"ref": s.ref, "quote": s.quote, "where": s.where, "reference": citation.reference(s.ref)} for s in c.sources],
        "verdict": c.verdict,
        "outcome": o.outcome,
        "observed": o.observed,
        "examples": o.examples,
        "max_error": o.recorder.max_error,
        "tolerance": o.recorder.tolerance,
        "max_error_over_tolerance": o.recorder.max_ratio,
        "worst_comparison": o.recorder.worst_label,
        "margin": margin,     # the claim's own inequality, worst value/bound (docs/DESIGN.md, the claim record)
        "evidence": list(getattr(o, "evidence", [])),
        # FD entries compared, and how many of them FD could not check to the capped tolerance (tolerances.FD_CAP_RTOL)
        "fd_entries": o.recorder.fd_entries,
        "fd_capped": o.recorder.fd_capped,   # graded evidence, strongest first (docs/DESIGN.md, the claim record)
        "oracles": list(c.oracles),
        "oracles_used": sorted(o.recorder.oracles),
        "counterexample": counterexample,
        "counterexample_summary": summarise_case(counterexample),
        "recorded_counterexample": c.counterexample or None,
        # the refutation's kept input, shown from its one place (the check's @example)
        "kept_counterexamples": [f"{name}: {show(**kw)}" for name, kw in check.kept_examples()] if check else [],
        "properties": [{"name": p.name, "expect": p.expect, "observed": p.observed, "examples": p.examples,
                        "counterexample": p.counterexample or None, "message": p.message or None,
                        "shrink_cut": getattr(p, "shrink_cut", 0) or None} for p in o.properties],   # the shrink budget, when it ran out
        "problems": list(o.problems),
        "stopped": getattr(o, "stopped", "") or None,   # what was not run once the outcome was decided (runner.run_claim's stop_early)
        "seconds": round(o.seconds, 4),
        "spec_file": c.file,
        "check": _check_location(c.id),
        "reproduce": reproduce_command(o),
        "figures": [],  # filled by write_report from an experiments.json (docs/DESIGN.md, the claim record)
    }


def provenance(outcomes=()):
    """Where the result came from: git commit of the checkout, optional packages, and the data sets that the checks of
    ``outcomes`` read ({claim ID: data set}, from each outcome: the same whichever process ran the claim)."""
    return {"git": _prov.git(), "package": _prov.package(), "optional_packages": optional_versions(),
            "datasets": {o.claim.id: "; ".join(sorted(o.recorder.datasets)) for o in outcomes if o.recorder.datasets}}


def to_json(outcomes, profile, seed, argv=None):
    return {
        "tool": "vanishing verify",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["vanishing"] + list(argv if argv is not None else sys.argv[1:])),
        "profile": profile,
        "hypothesis_seed": seed,
        "versions": environment(),
        "provenance": provenance(outcomes),
        "summary": {
            "claims": len(outcomes),
            "pass": sum(o.consistent for o in outcomes),
            "fail": sum(not o.consistent for o in outcomes),
            "verdicts": {v: sum(o.claim.verdict == v for o in outcomes) for v in ("verified", "corrected", "refuted")},
        },
        "claims": [_claim_json(o) for o in outcomes],
    }


def write_json(path, doc):
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    return p


# ---------------------------------------------------------------- figures from `vanishing experiments`
FIGURES_JSON = "experiments.json"   # the name vanishing.experiments writes (kept here so the report needs no matplotlib)


def attach_figures(doc, directory, experiments=None):
    """Give every claim of ``doc`` its ``"figures"`` from an experiments.json, with paths relative to ``directory``.

    ``experiments`` is a directory holding experiments.json (or the JSON file itself); by default ``directory``
    itself. Figures from another directory are copied into ``directory/figures/`` so the report stands alone.
    Returns the experiments JSON's provenance summary, or None when there is none. A bad file raises ValueError.
    """
    import shutil
    d = Path(directory)
    src = Path(experiments) if experiments is not None else d
    path = src if src.suffix == ".json" else src / FIGURES_JSON
    if not path.exists():
        if experiments is not None:
            raise ValueError(f"experiments: no {FIGURES_JSON} at {path} (run `vanishing experiments --out DIR` first)")
        return None
    try:
        exp = json.loads(path.read_text(encoding="utf-8"))
        index = exp["claims"]
        if not isinstance(index, dict):
            raise TypeError("'claims' is not an object")
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"experiments: {path} is not an experiments.json written by `vanishing experiments` ({e})") from None
    same = path.parent.resolve() == d.resolve()
    copied = {}
    for c in doc["claims"]:
        figs = []
        for f in index.get(c["id"], []):
            rel = f["path"]
            if not same:
                if rel not in copied:
                    (d / "figures").mkdir(parents=True, exist_ok=True)
                    target = d / "figures" / Path(rel).name
                    if (path.parent / rel).exists():
                        shutil.copyfile(path.parent / rel, target)
                    copied[rel] = f"figures/{Path(rel).name}"
                rel = copied[rel]
            if (d / rel).exists():
                figs.append({"experiment": f["experiment"], "path": rel, "caption": f["caption"]})
        c["figures"] = figs
    return {"source": str(path), "created": exp.get("created"), "command": exp.get("command"), "quick": exp.get("quick"),
            "versions": exp.get("versions", {}), "provenance": exp.get("provenance", {}),
            "experiments": [{"name": e.get("name"), "dataset": e.get("dataset"), "seeds": e.get("seeds"),
                             "seconds": e.get("seconds")} for e in exp.get("experiments", [])]}


# ---------------------------------------------------------------- Markdown
def _margin_line(m, label=str):
    """The margin in one line: the input as its summary (the whole input is in the JSON and the HTML's details)."""
    shown = m.get("input_summary") or summarise_case(m.get("input"))
    return (f"worst value/bound {m['worst_ratio']:.3g} ({m['value']:.6g} ≤ {m['bound']:.6g})"
            + (f" for “{label(m['label'])}”" if m.get("label") else "") + (f" at {shown}" if shown else ""))


def _package_line(p):
    k = (p or {}).get("package")
    if not k:
        return "package hash not recorded"
    return (f"vanishing {k['release']}: package SHA-256 {k['hash']} ({k['files']} files), "
            f"claim catalogue SHA-256 {k['catalogue_hash']} ({k['catalogue_files']} files)")


def _refs(doc):
    """The seed documents the claims of ``doc`` cite, as {key: reference text}, in key order."""
    found = {}
    for c in doc["claims"]:
        for s in c["sources"]:
            r = s.get("reference") or citation.reference(s["ref"])
            if r["seed"]:
                found[r["key"]] = r
    return dict(sorted(found.items()))


def _git_line(p):
    g = (p or {}).get("git") or {}
    if not g:
        return "git commit not recorded"
    if not g.get("commit"):
        return g.get("note", "not run from a git checkout")
    return (f"git commit {g['commit']}" + (" (with uncommitted changes)" if g.get("dirty") else "")
            + (f", {g['from']}" if g.get("from") else ""))


def _md(doc):
    s = doc["summary"]
    v = doc["versions"]
    prov = doc.get("provenance", {})
    out = ["# vanishing certificate", "",
           f"Created {doc['created']} by `{doc['command']}`.", "",
           f"**{s['pass']} of {s['claims']} claims** behave as their recorded verdict says "
           f"({s['verdicts']['verified']} verified, {s['verdicts']['corrected']} corrected, {s['verdicts']['refuted']} refuted); "
           f"{s['fail']} contradict it.", "",
           f"Hypothesis profile `{doc['profile']}`, seed `{doc['hypothesis_seed']}`. Versions: " +
           ", ".join(f"{k} {val}" for k, val in v.items() if k != "platform") + f" on {v['platform']}.", ""]
    if prov:
        out += [f"Provenance: {_package_line(prov)}; {_git_line(prov)}; optional packages: "
                + ", ".join(f"{k} {val}" for k, val in prov.get("optional_packages", {}).items()) + "."
                + ("".join(f" {cid} used {ds}." for cid, ds in prov.get("datasets", {}).items())), ""]
    if doc.get("experiments"):
        e = doc["experiments"]
        out += [(f"Figures from `{e.get('command') or e.get('source')}` ({e.get('created') or 'date not recorded'}"
                 f"{', quick run' if e.get('quick') else ''}; {_git_line({'git': e.get('provenance') or {}})})."), ""]
    out += ["| ID | verdict | outcome | evidence | examples | max error / tolerance |", "|---|---|---|---|---|---|"]
    for c in doc["claims"]:
        out.append(f"| [{c['id']}](#{c['id'].lower()}) | {c['verdict']} | {c['outcome']} | {evidence_label(c)} | {c['examples']} "
                   f"| {c['max_error_over_tolerance']:.2g} |")
    out += ["", "The levels of the evidence column, strongest first:", ""] + [f"- `{k}`: {v}" for k, v in _legend().items()]
    refs = _refs(doc)
    if refs:
        out += ["", "Seed documents (the file name is the key to the text each quote is taken from):", ""]
        out += [f"- `{k}`: {r['text']}" for k, r in refs.items()]
    for c in doc["claims"]:
        out += ["", f"## {c['id']}", "", f"**{title_text(c['title'])}** — cite as `{c['cite']}`", "",
                f"*Verdict:* **{c['verdict']}**; *this run:* {c['outcome']} ({c['observed']}).", "",
                "*Statement:*", "", f"$$ {c['statement']} $$", ""]
        if c["original"]:
            out += ["*As the source states it:*", "", f"> {c['original']}", ""]
        if theorem_hypotheses(c):
            out += ["*Theorem's hypotheses (from the proofs' scopes):* " + "; ".join(theorem_hypotheses(c)), ""]
        if c["hypotheses"]:
            out += ["*Property search (the record's hypotheses and the ranges searched):* " + "; ".join(c["hypotheses"]), ""]
        out += ["*Sources:*", ""] + [f"- {_ref_md(s)}{' (' + s['where'] + ')' if s['where'] else ''}: “{s['quote']}”" for s in c["sources"]] + [""]
        if c["recorded_counterexample"]:
            out += [f"*Counterexample (recorded):* {c['recorded_counterexample']}", ""]
        if c["counterexample"]:
            out += [f"*Counterexample (this run):* `{c.get('counterexample_summary') or c['counterexample']}`"
                    + (" (the whole case: certificate.json)" if c.get("counterexample_summary") != c["counterexample"] else ""), ""]
        if c.get("margin"):
            out += [f"*Margin:* {_margin_line(c['margin'])}.", ""]
        if c.get("evidence"):
            from vanishing.checks.evidence import scope_lines
            for e in c["evidence"]:
                out += [f"- **{e['level']}** ({e['status']}, {e['seconds']:.2f} s): {e['summary']}"
                        + (f" — {e['detail']}" if e.get("detail") else "")]
                out += [f"  - {line}" for line in scope_lines(e.get("scope"))]
            out += [""]
        out += [f"*How it was verified:* {c['examples']} Hypothesis examples over properties "
                + ", ".join(f"`{p['name']}` (must {'be falsified' if p['expect'] == 'fails' else 'hold'}: {p['observed']})" for p in c["properties"])
                + f"; oracles {', '.join(c['oracles_used'])}; largest error {c['max_error']:.3g} against tolerance {c['tolerance']:.3g}"
                + (f" at “{c['worst_comparison']}”" if c["worst_comparison"] else "") + f"; {c['seconds']:.2f} s.", ""]
        if c["id"] in prov.get("datasets", {}):
            out += [f"*Data set:* {prov['datasets'][c['id']]}.", ""]
        out += [f"*Spec record:* `{c['spec_file']}`; *check:* `{c['check']}`.", "",
                f"*Reproduce:* `{c['reproduce']}`", ""]
        for f in c.get("figures") or []:
            out += [f"![{f['experiment']}]({f['path']})", "", f"*Figure ({f['experiment']}):* {f['caption']}", ""]
        if c["problems"]:
            out += ["*Problems:* " + "; ".join(c["problems"]), ""]
        if c.get("bibtex"):
            out += ["*BibTeX:*", "", "```bibtex", c["bibtex"], "```", ""]
    return "\n".join(out) + "\n"


def _ref_md(s):
    r = s.get("reference") or citation.reference(s["ref"])
    return f"{r['text']} [`{r['key']}`]" if r["seed"] else r["text"]


# ---------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;max-width:62em;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}
h1{font-size:1.7em}h2{font-size:1.25em;border-top:1px solid #ddd;padding-top:1em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.pass{color:#060}.notrun{color:#666}.fail{color:#a00;font-weight:bold}.error{color:#a60;font-weight:bold}
.statement{background:#f6f8fa;border-left:4px solid #4a7;padding:.6em 1em;overflow-x:auto;font-size:1.08em;line-height:1.9}
.statement math{font-size:1.05em}
math[display=block]{margin:.2em 0}
pre,code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em}pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}
blockquote{border-left:3px solid #ccc;margin-left:0;padding-left:1em;color:#444}
figure{margin:1em 0;border:1px solid #ddd;padding:.5em;background:#fff}figure img{max-width:100%;height:auto}
figcaption{font-size:.9em;color:#333}
.meta{font-size:.92em;color:#333}.verdict-verified{color:#060}.verdict-corrected{color:#a60}.verdict-refuted{color:#a00}
dl.prov{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;font-size:.92em}dl.prov dt{font-weight:bold}
dl.prov dd{margin:0}details summary{cursor:pointer;color:#555;font-size:.9em}
p.title{font-weight:bold;font-size:1.05em;margin:.3em 0}h2 a.anchor{color:inherit;text-decoration:none}h2 a.anchor:hover::after{content:" ¶";color:#999}
li blockquote{margin:.2em 0 .2em 0}blockquote{overflow-x:auto;overflow-y:hidden;padding-top:.2em;padding-bottom:.3em}span.display{display:block;margin:.3em 0}div.quote{margin:.3em 0 0 0}details.source{margin:.1em 0 .4em 0}div.meta code,div.fail code{word-break:break-all}
"""


def _e(x):
    return html.escape(str(x))


def _math_block(latex):
    """The statement with its formulas as MathML (converted now: nothing is fetched when the page is opened).

    First choice: words as text and formulas as inline MathML, so a long statement wraps like a sentence; if a
    piece cannot be converted on its own, the whole statement as one block of MathML; failing that, its LaTeX.
    """
    from vanishing.mathtext import MathMLUnavailable, to_html_flow, to_mathml
    for render in (to_html_flow, lambda x: to_mathml(x, display="block")):
        try:
            return _strip_ns(render(latex))
        except MathMLUnavailable:
            break
        except Exception:  # noqa: BLE001,S112 (a formula the converter cannot read is shown another way, not lost)
            continue
    return f"<pre>{_e(latex)}</pre>"


def _strip_ns(mathml):
    # HTML5 knows <math> without the namespace attribute; dropping it keeps every URL out of the document
    return mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "")


def _text(x):
    """Prose that may hold $…$ maths and plain-text scripts: escaped, maths as MathML, scripts as <sub>/<sup>."""
    from vanishing.mathtext import prose_html
    return _strip_ns(prose_html(str(x)))


def _prov_html(doc):
    v, prov = doc["versions"], doc.get("provenance", {})
    rows = [("created", f"{_e(doc['created'])} by <code>{_e(doc['command'])}</code>"),
            ("Hypothesis", f"profile <code>{_e(doc['profile'])}</code>, seed <code>{_e(doc['hypothesis_seed'])}</code>"),
            ("versions", _e(", ".join(f"{k} {val}" for k, val in v.items() if k != "platform"))),
            ("platform", _e(v.get("platform", "")))]
    if prov:
        rows.append(("package", _e(_package_line(prov))))
        rows.append(("source", _e(_git_line(prov))))
        rows.append(("cite", "each claim as <code>vanishing:ID@" + _e((prov.get("package") or {}).get("release", vanishing.__version__))
                     + "</code>; its section has a BibTeX entry and a stable address (<code>certificate.html#ID</code>)"))
        rows.append(("optional packages", _e(", ".join(f"{k} {val}" for k, val in prov.get("optional_packages", {}).items()))))
        for cid, ds in prov.get("datasets", {}).items():
            rows.append(("data set", f"<a href='#{_e(cid)}'>{_e(cid)}</a> used {_e(ds)}"))
    e = doc.get("experiments")
    if e:
        ev = e.get("versions", {})
        made = [f"from <code>{_e(e['command'])}</code>" if e.get("command") else "from " + _e(e.get("source", "?")),
                _e(e["created"]) if e.get("created") else None, "quick run" if e.get("quick") else None,
                _e(_git_line({"git": e.get("provenance") or {}})),
                ", ".join(f"{k} {_e(ev[k])}" for k in ("matplotlib", "scikit-learn") if k in ev) or None]
        rows.append(("figures", "; ".join(x for x in made if x)))
        for x in e.get("experiments", []):
            rows.append((f"experiment {_e(x['name'])}", f"{_e(x.get('dataset'))}; seeds {_e(x.get('seeds'))}; {_e(x.get('seconds'))} s"))
    return "<dl class='prov'>" + "".join(f"<dt>{k}</dt><dd>{val}</dd>" for k, val in rows) + "</dl>"


#: The class of an evidence's status in the HTML: "not run" (an evidence gated out of the profile) is neither pass nor fail.
_STATUS_CLASS = {"passed": "pass", "not run": "notrun", "error": "error"}


def evidence_label(c):
    """The strongest evidence that passed, with its reach: "proof (every size)", "fixed-size (H=2, T=2)", "property"."""
    for e in c.get("evidence") or []:
        if e.get("status") == "passed":
            sc = e.get("scope") or {}
            if e["level"] == "property":
                return "property"
            return f"{e['level']} ({'every size' if sc.get('sizes') == 'every' else ', '.join(sc.get('sizes') or ['?'])})"
    return "none passed"


def theorem_hypotheses(c):
    """The theorem's hypotheses, from the scopes of its proofs and certificates (not the search's ranges), without repeats."""
    out = []
    for e in c.get("evidence") or []:
        if e["level"] != "property":
            for h in (e.get("scope") or {}).get("hypotheses", []):
                if h not in out:
                    out.append(h)
    return out


def _legend():
    from vanishing.checks.evidence import LEGEND
    return LEGEND


def _scope_html(scope):
    from vanishing.checks.evidence import scope_lines
    lines = scope_lines(scope)
    return ("<ul class='scope'>" + "".join(f"<li>{_text(x)}</li>" for x in lines) + "</ul>") if lines else ""


def _source_block(text, summary="verbatim"):
    """The verbatim text, one click away: a source block (the browser test allows raw LaTeX only in these)."""
    return f"<details class='source'><summary>{summary}</summary><pre class='source'>{_e(text)}</pre></details>"


def _quote_html(text):
    """A source's words: its LaTeX as mathematics, the verbatim text in a source block."""
    from vanishing.mathtext import quote_to_html
    return f"<blockquote>{_strip_ns(quote_to_html(text))}</blockquote>" + (_source_block(text) if re.search(r"[\\$^_]", text) else "")


def _ref_html(s):
    r = s.get("reference") or citation.reference(s["ref"])
    if not r["seed"]:
        return _e(r["text"])
    text = _e(r["text"]).replace(_e(r["url"]), f"<a href='{_e(r['url'])}'>{_e(r['url'])}</a>", 1)
    return f"{text} <span class='meta'>(text: <code>{_e(r['key'])}</code>)</span>"


def _case_html(label, full, summary, cls="meta"):
    """A counterexample or an input: its summary, and the whole case one click away when the summary cut it."""
    shown = summary or full
    return (f"<div class='{cls}'>{label} <code>{_e(shown)}</code>"
            + (_source_block(full, "the whole case") if len(full) > SUMMARY_CHARS else "") + "</div>")


def _claim_html(c, prov):
    by_ref = {}                                    # a document cited twice is named once, with each of its quotes
    for x in c["sources"]:
        by_ref.setdefault(x["ref"], []).append(x)
    src = "".join(f"<li>{_ref_html(xs[0])}" + "".join(f"<div class='quote'>{_text(x['where']) + ':' if x['where'] else ''}"
                                                       f"{_quote_html(x['quote'])}</div>" for x in xs) + "</li>"
                  for xs in by_ref.values())
    props = "".join(f"<li><code>{_e(p['name'])}</code> must {'be falsified' if p['expect'] == 'fails' else 'hold'}: {_e(p['observed'])}"
                    + (_case_html(" — ", p["counterexample"], summarise_case(p["counterexample"])) if p["counterexample"] else "")
                    + "</li>" for p in c["properties"])
    parts = [f"<section id='{_e(c['id'])}'><h2><a class='anchor' href='#{_e(c['id'])}'>{_e(c['id'])}</a></h2>",
             f"<p class='title'>{title_html(c['title'])}</p><p class='meta'>Cite as <code>{_e(c['cite'])}</code></p>",
             (f"<p>Verdict: <b class='verdict-{_e(c['verdict'])}'>{_e(c['verdict'])}</b>; this run: "
              f"<span class='{_e(c['outcome'])}'>{_e(c['outcome'])}</span> ({_e(c['observed'])})</p>"),
             f"<div class='statement'>{_math_block(c['statement'])}</div>",
             f"<details><summary>LaTeX source of the statement</summary><pre>{_e(c['statement'])}</pre></details>"]
    if c["original"]:
        parts.append(f"<p>As the source states it:</p>{_quote_html(c['original'])}")
    if theorem_hypotheses(c):
        parts.append("<p>Theorem's hypotheses (from the proofs' scopes):</p><ul>"
                     + "".join(f"<li>{_text(h)}</li>" for h in theorem_hypotheses(c)) + "</ul>")
    if c["hypotheses"]:
        parts.append("<p>Property search (the record's hypotheses and the ranges searched):</p><ul>"
                     + "".join(f"<li>{_text(h)}</li>" for h in c["hypotheses"]) + "</ul>")
    parts.append(f"<p>Sources:</p><ul>{src}</ul>")
    if c["recorded_counterexample"]:
        parts.append(f"<p>Counterexample (recorded): {_text(c['recorded_counterexample'])}</p>")
    if c["counterexample"]:
        parts.append(_case_html("Counterexample (this run):", c["counterexample"], c.get("counterexample_summary"),
                                "fail" if c["outcome"] != "pass" else "meta"))
    if c.get("margin"):
        m = c["margin"]
        parts.append(f"<p>Margin of the claim's own inequality: {_margin_line(dict(m, input_summary=_e(m.get('input_summary') or summarise_case(m.get('input')) or '')), title_html)}.</p>"
                     + (_source_block(m["input"], "the whole input") if m.get("input") and len(m["input"]) > SUMMARY_CHARS else ""))
    if c.get("evidence"):
        parts.append("<p>Evidence, strongest first:</p><table><tr><th>level</th><th>status</th><th>summary</th><th>time</th></tr>"
                     + "".join(f"<tr><td>{_e(x['level'])}</td><td class='{_STATUS_CLASS.get(x['status'], 'fail')}'>{_e(x['status'])}</td>"
                               f"<td>{_text(x['summary'])}" + _scope_html(x.get("scope"))
                               + (f"<details><summary>detail</summary>{_text(x['detail'])}</details>" if x.get("detail") else "")
                               + f"</td><td>{float(x.get('seconds', 0)):.2f} s</td></tr>" for x in c["evidence"]) + "</table>")
    parts.append(f"<p>How it was verified: {_e(c['examples'])} Hypothesis examples; oracles {_e(', '.join(c['oracles_used']))}; "
                 f"largest error {c['max_error']:.3g} against tolerance {c['tolerance']:.3g}"
                 + (f" at “{_text(c['worst_comparison'])}”" if c["worst_comparison"] else "") + f"; {c['seconds']:.2f} s.</p><ul>{props}</ul>")
    if c["id"] in prov.get("datasets", {}):
        parts.append(f"<p>Data set: {_e(prov['datasets'][c['id']])}.</p>")
    parts.append(f"<p class='meta'>Spec record: <code>{_e(c['spec_file'])}</code>; check: <code>{_e(c['check'])}</code>.</p>"
                 f"<p class='meta'>Reproduce: <code>{_e(c['reproduce'])}</code></p>")
    for f in c.get("figures") or []:
        parts.append(f"<figure><img src='{_e(f['path'])}' alt='{_e(f['experiment'])}: {_e(f['caption'][:200])}' loading='lazy'>"
                     f"<figcaption><b>{_e(f['experiment'])}</b> (<code>vanishing experiments --only {_e(f['experiment'])}</code>): "
                     f"{_e(f['caption'])}</figcaption></figure>")
    if c["problems"]:
        parts.append(f"<p class='fail'>Problems: {_e('; '.join(c['problems']))}</p>")
    if c.get("bibtex"):
        parts.append(_source_block(c["bibtex"], "BibTeX"))
    parts.append("</section>")
    return "".join(parts)


def _html(doc):
    s = doc["summary"]
    rows = "".join(
        f"<tr class='{_e(c['outcome'])}'><td><a href='#{_e(c['id'])}'>{_e(c['id'])}</a></td><td>{_e(c['verdict'])}</td>"
        f"<td>{_e(c['outcome'])}</td><td>{_e(evidence_label(c))}</td><td>{_e(c['examples'])}</td><td>{c['max_error_over_tolerance']:.2g}</td>"
        f"<td>{len(c.get('figures') or [])}</td></tr>" for c in doc["claims"])
    sections = "".join(_claim_html(c, doc.get("provenance", {})) for c in doc["claims"])
    refs = _refs(doc)
    seeds = ("<section id='seed-documents'><h2>Seed documents</h2><p>The five documents whose derivations the claims check; a "
             "quote's file name is only the key to its text.</p><ul>"
             + "".join(f"<li>{_ref_html({'ref': k, 'reference': r})}</li>" for k, r in refs.items()) + "</ul></section>") if refs else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>vanishing certificate</title><style>{_CSS}</style></head><body>
<h1>vanishing certificate</h1>
<p><b>{s['pass']} of {s['claims']} claims</b> behave as their recorded verdict says ({s['verdicts']['verified']} verified,
{s['verdicts']['corrected']} corrected, {s['verdicts']['refuted']} refuted); {s['fail']} contradict it.</p>
{_prov_html(doc)}
<table><tr><th>ID</th><th>verdict</th><th>outcome</th><th>evidence</th><th>examples</th><th>max error / tolerance</th><th>figures</th></tr>{rows}</table>
<p>The levels of the evidence column, strongest first:</p><dl class='legend'>{"".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _legend().items())}</dl>
{seeds}
{sections}
</body></html>
"""


def write_report(directory, doc, experiments=None):
    """Write ``certificate.md``, ``certificate.html`` and ``certificate.json`` into ``directory``.

    Figures: from ``experiments`` (a directory with experiments.json, or the file), else from an experiments.json
    already in ``directory`` (``vanishing experiments --out DIR`` then ``vanishing verify --report DIR``). Each
    claim's ``"figures"`` lists the ones that illustrate it, and the HTML shows them next to the claim.
    Raises ValueError for an experiments.json that cannot be read.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    exp = attach_figures(doc, d, experiments)
    if exp is not None:
        doc["experiments"] = exp
    (d / "certificate.md").write_text(_md(doc), encoding="utf-8")
    (d / "certificate.html").write_text(_html(doc), encoding="utf-8")
    write_json(d / "certificate.json", doc)
    return d
