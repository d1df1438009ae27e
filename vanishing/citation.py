"""Citation data: the five seed documents and the papers of the modern cells as references (spec/sources.toml), and a BibTeX entry per claim."""

import re
import tomllib
from functools import lru_cache
from importlib import resources

__all__ = ["ARXIV_KEY", "SEED_KEY", "bibtex", "papers", "reference", "seeds"]

#: a seed is named in a claim's ``sources.ref`` by its file name, the key to its text
SEED_KEY = re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt\b")
#: a paper listed in spec/sources.toml is named in a claim's ``sources.ref`` by its arXiv id
ARXIV_KEY = re.compile(r"\barXiv:\d{4}\.\d{4,5}\b")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
           "December")


@lru_cache(maxsize=1)
def seeds():
    """{file name: {"author", "title", "site", "date", "url", "not_found"}} from spec/sources.toml."""
    text = resources.files("vanishing.spec").joinpath("sources.toml").read_text(encoding="utf-8")
    return {s["key"]: s for s in tomllib.loads(text)["seed"]}


@lru_cache(maxsize=1)
def papers():
    """{"arXiv:<id>": {"authors", "title", "year", "venue", "url"}} from spec/sources.toml's [[paper]] tables."""
    text = resources.files("vanishing.spec").joinpath("sources.toml").read_text(encoding="utf-8")
    return {p["key"]: p for p in tomllib.loads(text).get("paper", [])}


def _date(d):
    """ISO "2016-10-09" or "2018-12" as "9 October 2016" or "December 2018"."""
    parts = [int(x) for x in d.split("-")]
    return " ".join(str(x) for x in ([parts[2]] if len(parts) > 2 else []) + [_MONTHS[parts[1] - 1]] * (len(parts) > 1)
                    + [parts[0]])


def reference(ref):
    """The reference a claim's ``sources.ref`` stands for: {"key", "text", "url", "seed"}.

    A seed's is "Author. Title. Site, date. URL", naming what could not be found; any other ref (a paper, a
    library's source) is already written as its reference.
    """
    m = SEED_KEY.search(ref)
    s = seeds().get(m.group(0)) if m else None
    if s is None:
        a = ARXIV_KEY.search(ref)
        p = papers().get(a.group(0)) if a else None
        if p is None:
            return {"key": None, "text": ref, "url": None, "seed": False}
        venue = f" {p['venue']}." if p.get("venue") else ""
        return {"key": p["key"], "text": f"{p['authors']}. {p['title']}.{venue} {p['year']}. {p['key']}. {p['url']}", "url": p["url"],
                "seed": False}
    parts = [s["author"]] if s.get("author") else []
    parts += [s["title"], f"{s['site']}, {_date(s['date'])}" if s.get("date") else s["site"], s["url"]]
    text = ". ".join(p.rstrip(".") for p in parts)
    if s.get("not_found"):
        text += f" (not found: {s['not_found']})"
    return {"key": m.group(0), "text": text, "url": s["url"], "seed": True}


def _bib(text):
    """Text safe inside a BibTeX field: TeX's special characters escaped, braces balanced."""
    text = re.sub(r"([&%#_$])", r"\\\1", str(text))
    return text.replace("{", "(").replace("}", ")")


def bibtex(claim_id, title, verdict, package, git, outcome=None, year=None):
    """A ``@misc`` entry citing one claim as decided by this package (``package``: provenance.package(); ``git``:
    provenance.git()); ``outcome`` is a run's, when there was one."""
    from vanishing.mathtext import title_text
    commit = f"commit {git['commit']}" + (" with uncommitted changes" if git.get("dirty") else "") if git.get("commit") \
        else (git.get("note") or "commit not recorded")
    run = f"; this run: {outcome}" if outcome else ""
    fields = [("title", f"{claim_id}: {title_text(title)}"), ("author", "{The vanishing developers}"),
              ("howpublished", f"vanishing {package['release']}, claim {claim_id}"),
              ("note", f"verdict {verdict}{run}; vanishing {package['release']}, {commit}; package SHA-256 "
                       f"{package['hash']}; cite as vanishing:{claim_id}@{package['release']}"),
              ("year", str(year))]
    key = f"vanishing:{claim_id}"
    body = ",\n".join(f"  {k} = {{{v if k == 'author' else _bib(v)}}}" for k, v in fields if v and v != "None")
    return f"@misc{{{key},\n{body}\n}}"
