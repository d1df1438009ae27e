"""Certificates: the machine-readable JSON and the citable Markdown/HTML report of a verify run."""

import datetime as _dt
import html
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import vanishing

__all__ = ["citation_id", "environment", "git_provenance", "optional_versions", "reproduce_command", "to_json",
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


def git_provenance():
    """{"commit", "dirty"} of the checkout this package runs from, or {"commit": None} outside a git checkout."""
    import subprocess
    root = Path(vanishing.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return {"commit": None, "dirty": None, "note": "not run from a git checkout"}
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip() != ""
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None, "note": "git not available"}
    return {"commit": commit, "dirty": dirty}


def citation_id(claim_id):
    """How a claim is cited: ``vanishing:<ID>@<version>``."""
    return f"vanishing:{claim_id}@{vanishing.__version__}"


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
    return {
        "id": c.id,
        "cite": citation_id(c.id),
        "title": c.title,
        "statement": c.statement,
        "original": c.original,
        "hypotheses": list(c.hypotheses),
        "sources": [{"ref": s.ref, "quote": s.quote, "where": s.where} for s in c.sources],
        "verdict": c.verdict,
        "outcome": o.outcome,
        "observed": o.observed,
        "examples": o.examples,
        "max_error": o.recorder.max_error,
        "tolerance": o.recorder.tolerance,
        "max_error_over_tolerance": o.recorder.max_ratio,
        "worst_comparison": o.recorder.worst_label,
        "margin": o.recorder.margin(),     # the claim's own inequality, worst value/bound (docs/DESIGN.md, the claim record)
        "evidence": list(getattr(o, "evidence", [])),
        # FD entries compared, and how many of them FD could not check to the capped tolerance (tolerances.FD_CAP_RTOL)
        "fd_entries": o.recorder.fd_entries,
        "fd_capped": o.recorder.fd_capped,   # graded evidence, strongest first (docs/DESIGN.md, the claim record)
        "oracles": list(c.oracles),
        "oracles_used": sorted(o.recorder.oracles),
        "counterexample": "; ".join(o.counterexamples) or None,
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
    return {"git": git_provenance(), "optional_packages": optional_versions(),
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
def _margin_line(m):
    return (f"worst value/bound {m['worst_ratio']:.3g} ({m['value']:.6g} ≤ {m['bound']:.6g})"
            + (f" for “{m['label']}”" if m.get("label") else "") + (f" at {m['input']}" if m.get("input") else ""))


def _git_line(p):
    g = (p or {}).get("git") or {}
    if not g:
        return "git commit not recorded"
    if not g.get("commit"):
        return g.get("note", "not run from a git checkout")
    return f"git commit {g['commit']}" + (" (with uncommitted changes)" if g.get("dirty") else "")


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
        out += [f"Provenance: {_git_line(prov)}; optional packages: "
                + ", ".join(f"{k} {val}" for k, val in prov.get("optional_packages", {}).items()) + "."
                + ("".join(f" {cid} used {ds}." for cid, ds in prov.get("datasets", {}).items())), ""]
    if doc.get("experiments"):
        e = doc["experiments"]
        out += [(f"Figures from `{e.get('command') or e.get('source')}` ({e.get('created') or 'date not recorded'}"
                 f"{', quick run' if e.get('quick') else ''}; {_git_line({'git': e.get('provenance') or {}})})."), ""]
    out += ["| ID | verdict | outcome | examples | max error / tolerance |", "|---|---|---|---|---|"]
    for c in doc["claims"]:
        out.append(f"| [{c['id']}](#{c['id'].lower()}) | {c['verdict']} | {c['outcome']} | {c['examples']} | {c['max_error_over_tolerance']:.2g} |")
    for c in doc["claims"]:
        out += ["", f"## {c['id']}", "", f"**{c['title']}** — cite as `{c['cite']}`", "",
                f"*Verdict:* **{c['verdict']}**; *this run:* {c['outcome']} ({c['observed']}).", "",
                "*Statement:*", "", f"$$ {c['statement']} $$", ""]
        if c["original"]:
            out += ["*As the source states it:*", "", f"> {c['original']}", ""]
        if c["hypotheses"]:
            out += ["*Hypotheses:* " + "; ".join(c["hypotheses"]), ""]
        out += ["*Sources:*", ""] + [f"- {s['ref']}{' (' + s['where'] + ')' if s['where'] else ''}: “{s['quote']}”" for s in c["sources"]] + [""]
        if c["recorded_counterexample"]:
            out += [f"*Counterexample (recorded):* {c['recorded_counterexample']}", ""]
        if c["counterexample"]:
            out += [f"*Counterexample (this run):* `{c['counterexample']}`", ""]
        if c.get("margin"):
            out += [f"*Margin:* {_margin_line(c['margin'])}.", ""]
        if c.get("evidence"):
            out += ["*Evidence:*", ""] + [f"- **{e['level']}** ({e['status']}, {e['seconds']:.2f} s): {e['summary']}"
                                          + (f" — {e['detail']}" if e.get("detail") else "") for e in c["evidence"]] + [""]
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
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;max-width:62em;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}
h1{font-size:1.7em}h2{font-size:1.25em;border-top:1px solid #ddd;padding-top:1em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.pass{color:#060}.fail{color:#a00;font-weight:bold}.error{color:#a60;font-weight:bold}
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
    """Text that may hold inline $…$ maths: escaped, with the maths as inline MathML."""
    from vanishing.mathtext import inline_to_html
    return _strip_ns(inline_to_html(str(x)))


def _prov_html(doc):
    v, prov = doc["versions"], doc.get("provenance", {})
    rows = [("created", f"{_e(doc['created'])} by <code>{_e(doc['command'])}</code>"),
            ("Hypothesis", f"profile <code>{_e(doc['profile'])}</code>, seed <code>{_e(doc['hypothesis_seed'])}</code>"),
            ("versions", _e(", ".join(f"{k} {val}" for k, val in v.items() if k != "platform"))),
            ("platform", _e(v.get("platform", "")))]
    if prov:
        rows.append(("source", _e(_git_line(prov))))
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


def _claim_html(c, prov):
    src = "".join(f"<li>{_e(x['ref'])}{(' (' + _e(x['where']) + ')') if x['where'] else ''}: “{_text(x['quote'])}”</li>" for x in c["sources"])
    props = "".join(f"<li><code>{_e(p['name'])}</code> must {'be falsified' if p['expect'] == 'fails' else 'hold'}: {_e(p['observed'])}"
                    f"{(' — <code>' + _e(p['counterexample']) + '</code>') if p['counterexample'] else ''}</li>" for p in c["properties"])
    parts = [f"<section id='{_e(c['id'])}'><h2>{_e(c['id'])}</h2>",
             f"<p><b>{_e(c['title'])}</b> — cite as <code>{_e(c['cite'])}</code></p>",
             (f"<p>Verdict: <b class='verdict-{_e(c['verdict'])}'>{_e(c['verdict'])}</b>; this run: "
              f"<span class='{_e(c['outcome'])}'>{_e(c['outcome'])}</span> ({_e(c['observed'])})</p>"),
             f"<div class='statement'>{_math_block(c['statement'])}</div>",
             f"<details><summary>LaTeX source of the statement</summary><pre>{_e(c['statement'])}</pre></details>"]
    if c["original"]:
        parts.append(f"<p>As the source states it:</p><blockquote>{_text(c['original'])}</blockquote>")
    if c["hypotheses"]:
        parts.append("<p>Hypotheses:</p><ul>" + "".join(f"<li>{_text(h)}</li>" for h in c["hypotheses"]) + "</ul>")
    parts.append(f"<p>Sources:</p><ul>{src}</ul>")
    if c["recorded_counterexample"]:
        parts.append(f"<p>Counterexample (recorded): {_text(c['recorded_counterexample'])}</p>")
    if c["counterexample"]:
        parts.append(f"<p class='{'fail' if c['outcome'] != 'pass' else 'meta'}'>Counterexample (this run): <code>{_e(c['counterexample'])}</code></p>")
    if c.get("margin"):
        parts.append(f"<p>Margin of the claim's own inequality: {_e(_margin_line(c['margin']))}.</p>")
    if c.get("evidence"):
        parts.append("<p>Evidence, strongest first:</p><table><tr><th>level</th><th>status</th><th>summary</th><th>time</th></tr>"
                     + "".join(f"<tr><td>{_e(x['level'])}</td><td class='{'pass' if x['status'] == 'passed' else 'fail'}'>{_e(x['status'])}</td>"
                               f"<td>{_e(x['summary'])}" + (f"<details><summary>detail</summary>{_e(x['detail'])}</details>" if x.get("detail") else "")
                               + f"</td><td>{float(x.get('seconds', 0)):.2f} s</td></tr>" for x in c["evidence"]) + "</table>")
    parts.append(f"<p>How it was verified: {_e(c['examples'])} Hypothesis examples; oracles {_e(', '.join(c['oracles_used']))}; "
                 f"largest error {c['max_error']:.3g} against tolerance {c['tolerance']:.3g}"
                 + (f" at “{_e(c['worst_comparison'])}”" if c["worst_comparison"] else "") + f"; {c['seconds']:.2f} s.</p><ul>{props}</ul>")
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
    parts.append("</section>")
    return "".join(parts)


def _html(doc):
    s = doc["summary"]
    rows = "".join(
        f"<tr class='{_e(c['outcome'])}'><td><a href='#{_e(c['id'])}'>{_e(c['id'])}</a></td><td>{_e(c['verdict'])}</td>"
        f"<td>{_e(c['outcome'])}</td><td>{_e(c['examples'])}</td><td>{c['max_error_over_tolerance']:.2g}</td>"
        f"<td>{len(c.get('figures') or [])}</td></tr>" for c in doc["claims"])
    sections = "".join(_claim_html(c, doc.get("provenance", {})) for c in doc["claims"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>vanishing certificate</title><style>{_CSS}</style></head><body>
<h1>vanishing certificate</h1>
<p><b>{s['pass']} of {s['claims']} claims</b> behave as their recorded verdict says ({s['verdicts']['verified']} verified,
{s['verdicts']['corrected']} corrected, {s['verdicts']['refuted']} refuted); {s['fail']} contradict it.</p>
{_prov_html(doc)}
<table><tr><th>ID</th><th>verdict</th><th>outcome</th><th>examples</th><th>max error / tolerance</th><th>figures</th></tr>{rows}</table>
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
