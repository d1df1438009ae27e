"""certificate.html in a real browser: headless Chromium renders it to a PNG (skipped only when Chromium is absent).

CI installs Chromium (Debian: `apt-get install -y chromium`) so this runs there. The screenshot must exist and
show a page with text, maths and a figure on it, not a blank or an error page.
"""

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
