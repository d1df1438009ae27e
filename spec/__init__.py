"""The claim catalogue: one TOML record per claim, in ``spec/claims/*.toml``.

A record is data; its check is code in ``vanishing.checks.claims`` under the
same ID. :func:`load_catalogue` validates every record at load time and names
the file, the record and the field of anything malformed.
"""

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

__all__ = ["Claim", "Source", "SpecError", "load_catalogue", "VERDICTS", "ORACLE_NAMES"]

VERDICTS = ("verified", "corrected", "refuted")
ORACLE_NAMES = ("hypothesis", "autograd", "autograd-forward", "fd", "taylor", "closed-form")
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


class SpecError(ValueError):
    """A malformed spec record: the message names file, record and field."""


@dataclass(frozen=True)
class Source:
    ref: str            # a seed file name ("001_4c6834f2b5048873.txt") or a paper citation
    quote: str          # the sentence or equation the claim comes from
    where: str = ""     # section, equation number or paragraph


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str                 # LaTeX; for a corrected claim, the *precise* (true) statement
    hypotheses: tuple
    sources: tuple
    verdict: str
    oracles: tuple
    original: str = ""             # the seed's literal statement when it differs (corrected/refuted)
    counterexample: str = ""       # for corrected/refuted: the minimal counterexample, as found by the check
    notes: str = ""
    tolerance_reason: str = ""     # present iff the check overrides a tolerance
    file: str = ""
    index: int = 0
    extra: dict = field(default_factory=dict)


_REQUIRED = {"id": str, "title": str, "statement": str, "hypotheses": list, "sources": list, "verdict": str, "oracles": list}
_OPTIONAL = {"original": str, "counterexample": str, "notes": str, "tolerance_reason": str}


def _fail(file, index, rid, fld, msg):
    raise SpecError(f"{file}: record #{index} ({rid or 'no id'}): field '{fld}': {msg}")


def parse_record(rec, file, index):
    """Validate one raw TOML table and return a :class:`Claim`."""
    rid = rec.get("id") if isinstance(rec.get("id"), str) else None
    for key, typ in _REQUIRED.items():
        if key not in rec:
            _fail(file, index, rid, key, "missing (required)")
        if not isinstance(rec[key], typ):
            _fail(file, index, rid, key, f"expected {typ.__name__}, got {type(rec[key]).__name__}")
    for key, typ in _OPTIONAL.items():
        if key in rec and not isinstance(rec[key], typ):
            _fail(file, index, rid, key, f"expected {typ.__name__}, got {type(rec[key]).__name__}")
    unknown = sorted(set(rec) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        _fail(file, index, rid, unknown[0], f"unknown field; allowed: {sorted(set(_REQUIRED) | set(_OPTIONAL))}")
    if not ID_PATTERN.match(rec["id"]):
        _fail(file, index, rid, "id", f"{rec['id']!r} is not of the form TOPIC-WORD-WORD (capitals, digits, hyphens)")
    for key in ("title", "statement"):
        if not rec[key].strip():
            _fail(file, index, rid, key, "empty")
    if rec["verdict"] not in VERDICTS:
        _fail(file, index, rid, "verdict", f"{rec['verdict']!r} is not one of {list(VERDICTS)}")
    if rec["verdict"] in ("corrected", "refuted"):
        for key in ("original", "counterexample"):
            if not rec.get(key, "").strip():
                _fail(file, index, rid, key, f"required when verdict is {rec['verdict']!r}")
    if not rec["sources"]:
        _fail(file, index, rid, "sources", "at least one source is required")
    sources = []
    for j, s in enumerate(rec["sources"]):
        if not isinstance(s, dict) or not isinstance(s.get("ref"), str) or not isinstance(s.get("quote"), str):
            _fail(file, index, rid, f"sources[{j}]", "expected a table with string fields 'ref' and 'quote' (and optional 'where')")
        extra = sorted(set(s) - {"ref", "quote", "where"})
        if extra:
            _fail(file, index, rid, f"sources[{j}].{extra[0]}", "unknown field; allowed: ref, quote, where")
        sources.append(Source(ref=s["ref"], quote=s["quote"], where=str(s.get("where", ""))))
    if not all(isinstance(h, str) for h in rec["hypotheses"]):
        _fail(file, index, rid, "hypotheses", "expected a list of strings")
    bad = [o for o in rec["oracles"] if o not in ORACLE_NAMES]
    if bad or not rec["oracles"]:
        _fail(file, index, rid, "oracles", f"unknown or empty: {bad}; allowed: {list(ORACLE_NAMES)}")
    if "hypothesis" not in rec["oracles"]:
        _fail(file, index, rid, "oracles", "every claim is confirmed with Hypothesis: 'hypothesis' must be listed")
    return Claim(id=rec["id"], title=rec["title"], statement=rec["statement"], hypotheses=tuple(rec["hypotheses"]),
                 sources=tuple(sources), verdict=rec["verdict"], oracles=tuple(rec["oracles"]),
                 original=rec.get("original", ""), counterexample=rec.get("counterexample", ""),
                 notes=rec.get("notes", ""), tolerance_reason=rec.get("tolerance_reason", ""), file=file, index=index)


def parse_file(text, file):
    """Parse one TOML catalogue file: an array of ``[[claim]]`` tables."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{file}: not valid TOML: {e}") from None
    extra = sorted(set(data) - {"claim"})
    if extra:
        raise SpecError(f"{file}: unknown top-level key {extra[0]!r}; records are [[claim]] tables")
    recs = data.get("claim", [])
    if not isinstance(recs, list):
        raise SpecError(f"{file}: 'claim' must be an array of tables ([[claim]])")
    return [parse_record(r, file, i + 1) for i, r in enumerate(recs)]


def load_catalogue():
    """Every claim in ``spec/claims/*.toml``, in file then record order; IDs must be unique."""
    root = resources.files("vanishing.spec") / "claims"
    claims, seen = [], {}
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        for c in parse_file(entry.read_text(encoding="utf-8"), f"spec/claims/{entry.name}"):
            if c.id in seen:
                raise SpecError(f"{c.file}: record #{c.index} ({c.id}): field 'id': duplicate of {seen[c.id]}")
            seen[c.id] = f"{c.file} record #{c.index}"
            claims.append(c)
    return claims
