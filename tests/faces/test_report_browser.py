"""certificate.html in a real browser: headless Chromium renders it to a PNG (skipped only when Chromium is absent).

CI installs Chromium (Debian: `apt-get install -y chromium`) so this runs there. The screenshot must exist and
show a page with text, maths and a figure on it, not a blank or an error page. The text the browser renders for
a certificate of the whole catalogue holds no raw LaTeX (a backslash, ``^{``, ``_{``, a ``$``) outside
the source blocks (``<pre>``, ``.source``), and nothing makes the page wider than the window.
"""

import json
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from vanishing import report

pytestmark = pytest.mark.browser

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def _browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"no Chromium found (looked for {', '.join(BROWSERS)}); install it with `apt-get install -y chromium`")


def _png_pixels(data):
    """(width, height, raw scanlines) of a non-interlaced 8-bit PNG, decoded with zlib only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", None, None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    return width, height, zlib.decompress(idat)


def _certificate(tmp_path):
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("_report_records", Path(__file__).with_name("test_report.py"))
    records = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(records)                  # the synthetic claim records of the report tests
    _claim, _doc = records._claim, records._doc
    d = tmp_path / "cert"
    d.mkdir()
    try:
        import matplotlib
        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.semilogy([0.9 ** t for t in range(60)], label="‖∂h_T/∂h_k‖")
        ax.set_xlabel("lag T − k")
        ax.legend()
        fig.tight_layout()
        fig.savefig(d / "lag.png")
        plt.close(fig)
        index = {"RNN-NORM-BOUND": [{"experiment": "lag", "path": "lag.png", "caption": "gradient against lag"}]}
        (d / "experiments.json").write_text(__import__("json").dumps({"claims": index, "experiments": []}), encoding="utf-8")
    except ImportError:
        pass
    margin = {"worst_ratio": 0.875, "value": 0.7, "bound": 0.8, "label": "norm vs bound", "input": "T=7"}
    return report.write_report(d, _doc([_claim(margin=margin), _claim("CLIP-NORM-CAP")])) / "certificate.html"


def test_chromium_renders_the_certificate(tmp_path):
    browser = _browser()
    pytest.importorskip("latex2mathml")
    page = _certificate(tmp_path)
    shot = tmp_path / "certificate.png"
    r = subprocess.run([browser, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                        "--window-size=1100,1600", page.as_uri()], capture_output=True, text=True, timeout=180)
    assert shot.exists(), f"no screenshot; chromium exit {r.returncode}: {r.stderr[-1500:]}"
    data = shot.read_bytes()
    w, h, raw = _png_pixels(data)
    assert (w, h) == (1100, 1600)
    assert len(data) > 30_000, f"screenshot of {len(data)} bytes: a near-blank page?"
    # a rendered page has many distinct byte values (text anti-aliasing, the plot); a blank or error page has few
    assert len(set(raw)) > 100, f"only {len(set(raw))} distinct byte values in the (filtered) scanlines"
    try:
        from PIL import (
            Image,  # comes with matplotlib; decodes the PNG filters for a pixel count
        )
    except ImportError:
        return
    with Image.open(shot) as im:
        grey = im.convert("L").resize((275, 400))
        px = grey.tobytes()                           # one byte per pixel in mode "L"
    ink = sum(p < 200 for p in px) / len(px)          # text, rules, the plot: anything not near-white
    assert 0.02 < ink < 0.6, f"{ink:.2%} non-white pixels: expected dark text and a figure on a light page"


# ---------------------------------------------------------------- the rendered text: no raw LaTeX outside source blocks
RAW_LATEX = re.compile(r"\\|\^\{|_\{|\$")   # any backslash: a command, or a lone one the converter kept
#: run in the page once loaded: open every <details>, drop the source blocks, and report what the reader sees
_PROBE = """<script>addEventListener('load', () => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('pre, .source').forEach(e => e.remove());
  const boxed = e => { for (let a = e.parentElement; a; a = a.parentElement)
                        if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true; return false; };
  const wide = [...document.querySelectorAll('body *')]     // wider than the window, and not inside a scrolling box
                 .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !boxed(e))
                 .map(e => e.tagName + ' ' + e.textContent.slice(0, 60));
  const out = document.createElement('textarea');
  out.id = '__probe';
  out.textContent = JSON.stringify({text: document.body.innerText, wide: wide.slice(0, 5)});
  document.body.replaceChildren(out);
});</script>"""


def _catalogue_certificate(tmp_path, **plant):
    """A certificate of every claim of the catalogue as its records stand (titles, statements, quotes, hypotheses,
    counterexamples), with a long margin input and counterexample; ``plant`` overrides fields of the first claim."""
    import importlib.util
    from pathlib import Path

    from vanishing import citation
    from vanishing.checks import runner
    spec = importlib.util.spec_from_file_location("_report_records", Path(__file__).with_name("test_report.py"))
    records = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(records)
    long_case = "case={'W_hh': [[0.5]], 'xs': " + repr([[i / 7] for i in range(30)]) + "}"
    claims = []
    for c in runner.catalogue().values():
        claims.append(records._claim(
            c.id, title=c.title, statement=c.statement, original=c.original, hypotheses=list(c.hypotheses),
            verdict=c.verdict, recorded_counterexample=c.counterexample or None,
            sources=[{"ref": x.ref, "quote": x.quote, "where": x.where, "reference": citation.reference(x.ref)} for x in c.sources],
            margin={"worst_ratio": 0.9, "value": 0.9, "bound": 1.0, "label": f"{c.id}: ‖∂h_T/∂h_k‖_F", "input": long_case,
                    "input_summary": report.summarise_case(long_case)},
            counterexample=long_case, counterexample_summary=report.summarise_case(long_case)))
    claims[0].update(plant)
    d = tmp_path / "catalogue"
    d.mkdir(exist_ok=True)
    return report.write_report(d, records._doc(claims)) / "certificate.html"


def _rendered(browser, page, tmp_path):
    """{"text", "wide"}: the page's text as Chromium lays it out, source blocks removed; elements wider than the window."""
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    r = subprocess.run([browser, *FLAGS, f"--user-data-dir={tmp_path / 'profile-dom'}", "--window-size=1280,2000",
                        "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=180)
    m = re.search(r"<textarea id=\"__probe\">(.*?)</textarea>", r.stdout, re.S)
    assert m, f"the probe did not run; chromium exit {r.returncode}: {r.stderr[-1500:]}"
    import html
    return json.loads(html.unescape(m.group(1)))


def _raw_latex(text):
    return sorted({text[max(0, m.start() - 30):m.end() + 30].replace("\n", " ") for m in RAW_LATEX.finditer(text)})


def test_no_raw_latex_reaches_the_page_outside_source_blocks(tmp_path):
    browser = _browser()
    pytest.importorskip("latex2mathml")
    seen = _rendered(browser, _catalogue_certificate(tmp_path), tmp_path)
    assert len(seen["text"]) > 50_000, "the catalogue's certificate rendered almost no text"
    raw = _raw_latex(seen["text"])
    assert not raw, f"{len(raw)} places where raw LaTeX reaches the rendered page:\n" + "\n".join(raw[:25])
    assert not seen["wide"], f"elements wider than the window: {seen['wide']}"


@pytest.mark.slow   # a test of the tester: Chromium once per planted string (3 s each), so in the slow tier with the other plants
@pytest.mark.parametrize("planted", ["holds, as \\frac{a}{b} says", "the bound x^{t-k}", "at h_{t-1}", "costs $5"])
def test_the_raw_latex_check_finds_a_planted_string(tmp_path, planted):
    """The check above is not blind: raw LaTeX planted in a field the page shows as text is found."""
    browser = _browser()
    pytest.importorskip("latex2mathml")
    seen = _rendered(browser, _catalogue_certificate(tmp_path, observed=planted), tmp_path)
    assert any(planted in hit or hit in planted or planted.split()[-1] in hit for hit in _raw_latex(seen["text"])), planted
