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
    """The command that re-runs exactly this claim."""
    cmd = f"vanishing verify --only {outcome.claim.id} --profile {outcome.profile}"
    if outcome.seed != "derandomized":
        cmd += f" --seed {outcome.seed}"
    return cmd


def _check_location(claim_id):
    from vanishing.checks.registry import REGISTRY
    cd = REGISTRY.get(claim_id)
    return cd.where if cd else None


def _claim_json(o):
    c = o.claim
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
        "max_error": o.max_error,
        "tolerance": o.tolerance,
        "max_error_over_tolerance": o.max_ratio,
        "worst_comparison": o.worst_label,
        "oracles": list(c.oracles),
        "oracles_used": list(o.oracles_used),
        "counterexample": "; ".join(o.counterexamples) or None,
        "recorded_counterexample": c.counterexample or None,
        "properties": [{"name": p.name, "expect": p.expect, "observed": p.observed, "examples": p.examples,
                        "counterexample": p.counterexample or None, "message": p.message or None} for p in o.properties],
        "problems": list(o.problems),
        "seconds": round(o.seconds, 4),
        "spec_file": c.file,
        "check": _check_location(c.id),
        "reproduce": reproduce_command(o),
    }


def to_json(outcomes, profile, seed, argv=None):
    return {
        "tool": "vanishing verify",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["vanishing"] + list(argv if argv is not None else sys.argv[1:])),
        "profile": profile,
        "hypothesis_seed": seed,
        "versions": environment(),
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


def _md(doc):
    s = doc["summary"]
    v = doc["versions"]
    out = ["# vanishing certificate", "",
           f"Created {doc['created']} by `{doc['command']}`.", "",
           f"**{s['pass']} of {s['claims']} claims** behave as their recorded verdict says "
           f"({s['verdicts']['verified']} verified, {s['verdicts']['corrected']} corrected, {s['verdicts']['refuted']} refuted); "
           f"{s['fail']} contradict it.", "",
           f"Hypothesis profile `{doc['profile']}`, seed `{doc['hypothesis_seed']}`. Versions: " +
           ", ".join(f"{k} {val}" for k, val in v.items() if k != "platform") + f" on {v['platform']}.", "",
           "| ID | verdict | outcome | examples | max error / tolerance |", "|---|---|---|---|---|"]
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
        out += [f"*How it was verified:* {c['examples']} Hypothesis examples over properties "
                + ", ".join(f"`{p['name']}` (must {'be falsified' if p['expect'] == 'fails' else 'hold'}: {p['observed']})" for p in c["properties"])
                + f"; oracles {', '.join(c['oracles_used'])}; largest error {c['max_error']:.3g} against tolerance {c['tolerance']:.3g}"
                + (f" at “{c['worst_comparison']}”" if c["worst_comparison"] else "") + f"; {c['seconds']:.2f} s.", "",
                f"*Spec record:* `{c['spec_file']}`; *check:* `{c['check']}`.", "",
                f"*Reproduce:* `{c['reproduce']}`", ""]
        if c["problems"]:
            out += ["*Problems:* " + "; ".join(c["problems"]), ""]
    return "\n".join(out) + "\n"


def _html(doc, md_text):
    s = doc["summary"]
    rows = "".join(
        f"<tr class='{c['outcome']}'><td><a href='#{html.escape(c['id'])}'>{html.escape(c['id'])}</a></td><td>{c['verdict']}</td>"
        f"<td>{c['outcome']}</td><td>{c['examples']}</td><td>{c['max_error_over_tolerance']:.2g}</td></tr>" for c in doc["claims"])
    sections = []
    for c in doc["claims"]:
        src = "".join(f"<li>{html.escape(x['ref'])}{(' (' + html.escape(x['where']) + ')') if x['where'] else ''}: “{html.escape(x['quote'])}”</li>" for x in c["sources"])
        props = "".join(f"<li><code>{html.escape(p['name'])}</code> must {'be falsified' if p['expect'] == 'fails' else 'hold'}: {p['observed']}"
                        f"{(' — <code>' + html.escape(p['counterexample']) + '</code>') if p['counterexample'] else ''}</li>" for p in c["properties"])
        sections.append(
            f"<section id='{html.escape(c['id'])}'><h2>{html.escape(c['id'])}</h2><p><b>{html.escape(c['title'])}</b> — cite as <code>{html.escape(c['cite'])}</code></p>"
            f"<p>Verdict: <b>{c['verdict']}</b>; this run: <span class='{c['outcome']}'>{c['outcome']}</span> ({html.escape(c['observed'])})</p>"
            f"<p>Statement:</p><pre>{html.escape(c['statement'])}</pre>"
            + (f"<p>As the source states it:</p><blockquote>{html.escape(c['original'])}</blockquote>" if c["original"] else "")
            + (f"<p>Hypotheses: {html.escape('; '.join(c['hypotheses']))}</p>" if c["hypotheses"] else "")
            + f"<p>Sources:</p><ul>{src}</ul>"
            + (f"<p>Counterexample (recorded): {html.escape(c['recorded_counterexample'])}</p>" if c["recorded_counterexample"] else "")
            + f"<p>How it was verified: {c['examples']} Hypothesis examples; oracles {html.escape(', '.join(c['oracles_used']))}; "
            f"largest error {c['max_error']:.3g} against tolerance {c['tolerance']:.3g}; {c['seconds']:.2f} s.</p><ul>{props}</ul>"
            f"<p>Reproduce: <code>{html.escape(c['reproduce'])}</code></p></section>")
    v = doc["versions"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>vanishing certificate</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em}}.pass{{color:#060}}.fail{{color:#a00;font-weight:bold}}
pre{{background:#f6f6f6;padding:.5em;white-space:pre-wrap}}blockquote{{border-left:3px solid #ccc;margin-left:0;padding-left:1em;color:#444}}</style>
</head><body><h1>vanishing certificate</h1>
<p>Created {html.escape(doc['created'])} by <code>{html.escape(doc['command'])}</code>.</p>
<p><b>{s['pass']} of {s['claims']} claims</b> behave as their recorded verdict says ({s['verdicts']['verified']} verified,
{s['verdicts']['corrected']} corrected, {s['verdicts']['refuted']} refuted); {s['fail']} contradict it.</p>
<p>Hypothesis profile <code>{html.escape(str(doc['profile']))}</code>, seed <code>{html.escape(str(doc['hypothesis_seed']))}</code>.
Versions: {html.escape(', '.join(f'{k} {val}' for k, val in v.items()))}.</p>
<table><tr><th>ID</th><th>verdict</th><th>outcome</th><th>examples</th><th>max error / tolerance</th></tr>{rows}</table>
{''.join(sections)}
</body></html>
"""


def write_report(directory, doc):
    """Write ``certificate.md``, ``certificate.html`` and ``certificate.json`` into ``directory``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    md_text = _md(doc)
    (d / "certificate.md").write_text(md_text, encoding="utf-8")
    (d / "certificate.html").write_text(_html(doc, md_text), encoding="utf-8")
    write_json(d / "certificate.json", doc)
    return d
