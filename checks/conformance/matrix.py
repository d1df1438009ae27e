"""The conformance matrix: every installed built-in target × cell × dtype × check, as Markdown and JSON.

:func:`run` validates every adapter of every installed target (``loader.BUILTIN_TARGETS``; a target
whose framework is missing is listed with the extra to install), records the convention each cell
follows (gate order, reset placement, bias layout: the adapter's ``convention`` and ``param_set``),
the framework versions and the time per framework, and confirms every documented difference from
the textbook: the adapter module's ``textbook_variants()`` drop one part of the parameter map, and
the difference counts as *confirmed* when the diagnosis then names its mutant. A check that fails
on a built-in adapter is *explained* when the diagnosis names a mutant the adapter declares as a
difference (``adapter.differences``); otherwise it is an unexplained failure.

:func:`to_markdown` renders the document; :func:`write` writes ``FILE.md`` and ``FILE.json``. The CLI
(``vanishing validate --matrix [--out FILE]``) calls :func:`main`.
"""

import datetime
import importlib
import importlib.util
import json
import platform
import time
from pathlib import Path

from vanishing import install_hint
from vanishing.checks import profiles
from vanishing.checks.conformance.checks import CHECKS
from vanishing.checks.conformance.loader import BUILTIN_TARGETS, load
from vanishing.checks.conformance.protocol import AdapterError, AdapterInfo
from vanishing.checks.conformance.runner import NOT_APPLICABLE, validate_adapter

__all__ = ["EXTRAS", "main", "run", "to_markdown", "write"]

#: target → (module that must be importable, the optional extra that installs it)
EXTRAS = {"torch": ("torch", "torch"), "keras": ("keras", "keras"), "flax": ("flax", "flax"),
          "equinox": ("equinox", "equinox"), "haiku": ("haiku", "haiku"), "mlx": ("mlx", "mlx"),
          "onnx": ("onnxruntime", "onnx"),
          "mingru": ("minGRU_pytorch", "mingru"), "lru": ("LRU_pytorch", "lru"), "mambapy": ("mambapy", "mambapy")}
#: Targets that need jax besides their own module (the JAX frameworks).
_NEEDS_JAX = ("flax", "equinox", "haiku")


def _versions(target, mod):
    if hasattr(mod, "versions_installed"):
        return mod.versions_installed()
    import torch
    return {"torch": torch.__version__}


def _mutant_in(diagnosis):
    """The mutant names a diagnosis confirms ('[mutant NAME; reproduced ...]')."""
    out = []
    for d in diagnosis:
        i = d.find("[mutant ")
        if i >= 0 and "reproduced" in d:
            out.append(d[i + 8:d.index(";", i)])
    return out


def _confirm(target, mod, profile, seed):
    """[{cell, difference, mutant, what, claims, confirmed, by}] for the module's documented differences."""
    rows = []
    variants = mod.textbook_variants() if hasattr(mod, "textbook_variants") else []
    for adapter, (what, mutant, says, claims) in variants:
        info = AdapterInfo(adapter, origin=target)
        r = validate_adapter(info, profile=profile, seed=seed, only=["forward"]).results[0]
        found = _mutant_in(r.diagnosis)
        rows.append({"cell": adapter.name.split("[")[0], "difference": what, "mutant": mutant, "what": says, "claims": claims,
                     "confirmed": r.status == "fail" and mutant in found,
                     "by": f"{info.name}: forward {r.status}; diagnosis names {', '.join(found) or 'no known bug'}"})
    return rows


def _adapter_row(info, rep):
    obj = info.obj
    declared = {d[1]: d[0] for d in getattr(obj, "differences", ())}
    checks, unexplained, explained = {}, [], []
    for r in rep.results:
        if r.status in ("pass", NOT_APPLICABLE):   # n/a: a gradient check of a forward-only adapter (not run)
            checks[r.check] = r.status
            continue
        named = [m for m in _mutant_in(r.diagnosis) if m in declared]
        if r.status == "fail" and named:
            checks[r.check] = f"differs: {declared[named[0]]}"
            explained.append({"check": r.check, "mutant": named[0], "difference": declared[named[0]]})
        else:
            checks[r.check] = r.status
            unexplained.append({"check": r.check, "status": r.status, "message": r.lines[:2], "diagnosis": r.diagnosis[:2]})
    kind = f"stack of {info.cell}" if info.kind == "stack" else info.kind
    return {"adapter": info.name, "cell": info.name.split("[")[0], "dtype": info.dtype_name, "kind": kind,
            "reset": info.reset if info.has_reset else None, "param_set": info.param_set,
            "convention": getattr(obj, "convention", ""), "gradients": info.gradients, "checks": checks, "seconds": round(rep.seconds, 2),
            "broken": rep.broken or None, "explained": explained, "unexplained": unexplained,
            "examples": sum(r.examples for r in rep.results)}


def run(targets=None, profile=None, seed=None, progress=None):
    """The matrix as a JSON-able dict (see the module docstring)."""
    profile = profile or profiles.DEFAULT_PROFILE
    doc = {"generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "profile": profile,
           "seed": seed, "python": platform.python_version(), "frameworks": [], "missing": []}
    for target in targets or list(BUILTIN_TARGETS):
        module, extra = EXTRAS[target]
        if importlib.util.find_spec(module) is None or (target in _NEEDS_JAX and importlib.util.find_spec("jax") is None):
            doc["missing"].append({"target": target, "install": install_hint(extra)})
            continue
        t0 = time.perf_counter()
        try:
            infos = load(target)
        except AdapterError as e:
            doc["missing"].append({"target": target, "install": install_hint(extra), "error": str(e)})
            continue
        mod = importlib.import_module(f"vanishing.checks.conformance.{BUILTIN_TARGETS[target].partition(':')[0]}")
        rows = []
        for info in infos:
            rep = validate_adapter(info, profile=profile, seed=seed)
            rows.append(_adapter_row(info, rep))
            if progress:
                progress(target, rows[-1])
        t_validate = time.perf_counter() - t0
        diffs = _confirm(target, mod, profile, seed)
        for row in rows:   # differences found on the built-ins themselves (Keras's float64 cells)
            for e in row["explained"]:
                if not any(d["cell"] == row["cell"] and d["mutant"] == e["mutant"] for d in diffs):
                    obj = next(i.obj for i in infos if i.name == row["adapter"])
                    says, claims = next((d[2], d[3]) for d in obj.differences if d[1] == e["mutant"])
                    diffs.append({"cell": row["cell"], "difference": e["difference"], "mutant": e["mutant"], "what": says,
                                  "claims": claims, "confirmed": True,
                                  "by": f"{row['adapter']}: {e['check']} fails; the diagnosis names {e['mutant']}"})
        n = sum(v != NOT_APPLICABLE for r in rows for v in r["checks"].values())
        doc["frameworks"].append({
            "target": target, "versions": _versions(target, mod), "adapters": rows, "differences": diffs,
            "restrictions": mod.restrictions() if hasattr(mod, "restrictions") else [],
            "checks": n, "passed": sum(v == "pass" for r in rows for v in r["checks"].values()),
            "not_applicable": sum(v == NOT_APPLICABLE for r in rows for v in r["checks"].values()),
            "explained": sum(len(r["explained"]) for r in rows), "unexplained": sum(len(r["unexplained"]) for r in rows),
            "broken": sum(1 for r in rows if r["broken"]), "seconds": round(t_validate, 1),
            "seconds_with_confirmations": round(time.perf_counter() - t0, 1)})
    return doc


def _esc(s):
    """Table-safe text: a '|' inside a cell would end it."""
    return str(s).replace("|", "\\|")


def _cell(v, gradients=True):
    if v == "pass" and not gradients:
        return "✓ values"   # a forward-only adapter's stack check compares the values only
    return {"pass": "✓", "fail": "✗ FAIL", "error": "error", NOT_APPLICABLE: "n/a"}.get(
        v, f"≠ {v[len('differs: '):]}" if v.startswith("differs") else v)


def to_markdown(doc):
    check_names = list(dict.fromkeys(c.name for c in CHECKS))   # one column per name (modern kinds have their own direct-path)
    out = ["# Conformance matrix", "",
           "Every built-in target of `vanishing validate`, cell × dtype × check, generated by `vanishing validate --matrix` "
           f"({doc['generated']}, profile `{doc['profile']}`, Python {doc['python']}). ✓ conforms; ≠ a named, confirmed "
           "difference of the framework from the textbook (below); ✗ an unexplained failure; – not a check of this kind; "
           "n/a does not apply: a gradient check of a forward-only adapter (an inference runtime has no gradients), "
           "neither passed nor failed, and not counted among the checks (`✓ values`: a stack's values, its gradients n/a). "
           "Every native parameter is drawn (the `params` column: `two-biases` = PyTorch's `bias_ih` and `bias_hh` "
           "drawn independently; the protocol: `vanishing validate --help`).", "",
           "| target | versions | adapters | checks | ✓ | ≠ | ✗ | n/a | time (s) |", "|---|---|---|---|---|---|---|---|---|"]
    for fw in doc["frameworks"]:
        v = ", ".join(f"{k} {x}" for k, x in fw["versions"].items())
        out.append(f"| {fw['target']} | {v} | {len(fw['adapters'])} | {fw['checks']} | {fw['passed']} | {fw['explained']} | "
                   f"{fw['unexplained']} | {fw.get('not_applicable', 0)} | {fw['seconds']} |")
    for m in doc["missing"]:
        out.append(f"| {m['target']} | not installed: `{m['install']}` | | | | | | | |")
    for fw in doc["frameworks"]:
        cols = [c for c in check_names if any(c in r["checks"] for r in fw["adapters"])]
        out += ["", f"## {fw['target']}", ""]
        if fw.get("generated"):   # a section generated apart from the rest (merged into the document)
            out += [f"Generated {fw['generated']} (profile `{fw.get('profile', doc['profile'])}`).", ""]
        if fw.get("cli_seconds"):
            out += [f"`vanishing validate {fw['target']}`: {fw['cli_seconds']} s wall ({_esc(fw.get('cli_seconds_how', ''))}).", ""]
        out += ["| cell | dtype | kind | params | " + " | ".join(cols) + " | convention |",
                "|---|---|---|---|" + "---|" * len(cols) + "---|"]
        for r in fw["adapters"]:
            kind = r["kind"] + (f", reset {r['reset']}" if r["reset"] else "")
            cells = [_cell(r["checks"][c], r.get("gradients", True) or c != "stack") if c in r["checks"] else "–" for c in cols]
            out.append(f"| {r['cell']} | {r['dtype']} | {kind} | {r['param_set']} | " + " | ".join(_esc(c) for c in cells)
                       + f" | {_esc(r['convention'])} |")
        if fw["differences"]:
            out += ["", f"Differences of {fw['target']} from the textbook equations (each confirmed: the named mutant "
                    "reproduces the framework where the adapter does not map the difference):", "",
                    "| cell | difference | what differs | confirmed by | claims it touches |", "|---|---|---|---|---|"]
            for d in fw["differences"]:
                mark = "confirmed" if d["confirmed"] else "**NOT confirmed**"
                out.append(f"| {d['cell']} | {_esc(d['difference'])} | {_esc(d['what'])} | {mark}: mutant `{d['mutant']}` "
                           f"({_esc(d['by'])}) | {_esc(d['claims'])} |")
        if fw.get("restrictions"):
            out += ["", f"Restrictions of {fw['target']} (measured when the matrix was made):", ""]
            out += [f"- {_esc(x)}" for x in fw["restrictions"]]
        bad = [(r["adapter"], u) for r in fw["adapters"] for u in r["unexplained"]]
        if bad:
            out += ["", "Unexplained failures:", ""]
            out += [f"- {a} / {u['check']}: {' '.join(u['message'])} {' '.join(u['diagnosis'])}" for a, u in bad]
    from vanishing.checks.conformance.crosscheck import DOC
    return "\n".join(out + ["", *DOC]) + "\n"


def write(doc, out):
    """Write ``out`` (Markdown; ``.md`` added if missing) and the JSON beside it; returns (md path, json path)."""
    md = Path(out)
    if md.suffix != ".md":
        md = md.with_name(md.name + ".md")
    js = md.with_suffix(".json")
    md.write_text(to_markdown(doc), encoding="utf-8")
    js.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return md, js


def main(out=None, profile=None, seed=None, targets=None, stream=None):
    """Run the matrix, print the Markdown (or write ``out``); exit status 0 when every failure is a named, confirmed
    difference, 1 when any failure is unexplained or a difference is not confirmed, 2 when no target is installed."""
    import sys
    stream = stream or sys.stdout
    doc = run(targets=targets, profile=profile, seed=seed)
    if not doc["frameworks"]:
        print("no built-in target is installed: " + "; ".join(m["install"] for m in doc["missing"]), file=sys.stderr)
        return 2
    if out:
        md, js = write(doc, out)
        print(f"wrote {md} and {js}", file=stream)
    else:
        stream.write(to_markdown(doc))
    bad = any(fw["unexplained"] or fw["broken"] or not all(d["confirmed"] for d in fw["differences"]) for fw in doc["frameworks"])
    return 1 if bad else 0
