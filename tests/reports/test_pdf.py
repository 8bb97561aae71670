"""PDF reports: real PDFs from WeasyPrint, tagged for PDF/UA-1 in the document's language, whose text (read
back with poppler's pdftotext) says the verdict and the evidence label, whose first page is not blank
(pdftoppm), and whose rendering fetches nothing from outside the package."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import zlib
from datetime import date
from pathlib import Path

import pytest

from bettercities.reports import goals, pdf
from bettercities.reports.impact import impact_report_pdf
from tests.reports.results import report_context, synthetic_result

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftotext, pdftoppm) missing: scripts/install-system-deps installs it"
)


def pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed streams (object streams too) inflated, to look for dictionary keys."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        with contextlib.suppress(zlib.error):  # an image or font stream compressed otherwise
            parts.append(zlib.decompress(match.group(1)))
    return b"\n".join(parts)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full report (~2 s to render): the synthetic control's, in German, with every chart."""
    path = tmp_path_factory.mktemp("pdf") / "report-de.pdf"
    path.write_bytes(impact_report_pdf(synthetic_result(), report_context(), "de"))
    return path


def test_pdf_is_tagged_for_pdf_ua(report: Path) -> None:
    data = report.read_bytes()
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    objects = pdf_objects(data)
    assert b"/StructTreeRoot" in objects  # the tag tree
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", objects)
    assert b"/Lang (de)" in objects
    # the PDF/UA-1 identification in the XMP metadata (an attribute or an element)
    assert re.search(rb'pdfuaid:part(="1"|>1</pdfuaid:part>)', objects)
    assert b"/DisplayDocTitle true" in objects


@needs_poppler
def test_pdf_text_has_verdict_and_label(report: Path) -> None:
    text = subprocess.run(["pdftotext", str(report), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    assert "Befund Schlechter Geschätzte Wirkung auf Youth unemployment rate" in text
    assert "Stufe 3 von 5 Vorher und nachher, mit einer Vergleichsgruppe" in text
    assert text.index("Schlechter") < text.index("Beobachtet")  # the verdict before the chart's legend
    assert "Cataluna" in text and "0,85" in text  # the donor weights, as text of the SVG
    info = subprocess.run(["pdfinfo", str(report)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M)
    assert re.search(r"^Title:\s+Wirkungsbericht: Street work in Nordstadt · Demostadt", info, re.M)


@needs_poppler
def test_first_page_is_not_blank(report: Path, tmp_path: Path) -> None:
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(report), str(tmp_path / "page")],
        check=True,
    )
    (image_path,) = tmp_path.glob("page*.png")
    image = Image.open(image_path).convert("L")
    assert image.size == (414, 585)  # A4 at 50 dpi
    dark = sum(image.histogram()[:200])
    assert dark / (image.size[0] * image.size[1]) > 0.02  # text, the verdict box and the chart


def test_fetcher_refuses_all_but_package_files() -> None:
    weasyprint = pdf._weasyprint()
    fetcher = pdf.local_only_fetcher(weasyprint)
    for url in ("http://127.0.0.1:9/x.css", "https://example.org/x.png", "file:///etc/hostname", "ftp://x/y"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    inside = (pdf.PACKAGE_ROOT / "reports" / "static" / "report.css").as_uri()
    response = fetcher.fetch(inside)
    assert response is not None


def test_outside_resources_are_left_out() -> None:
    html = (
        '<!doctype html><html lang="en"><head><title>t</title>'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>'
        '<body><p>Hello</p><img src="file:///etc/hostname" alt="x"></body></html>'
    )
    data = pdf.render_pdf(html)
    assert data.startswith(b"%PDF") and b"/Lang (en)" in pdf_objects(data)


def test_html_without_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang"):
        pdf.render_pdf("<!doctype html><html><body>x</body></html>")


def test_missing_weasyprint_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    with pytest.raises(pdf.PdfUnavailable, match="pip install 'weasyprint"):
        pdf.render_pdf('<html lang="en"><body>x</body></html>')


@needs_poppler
def test_scorecard_pdf(tmp_path: Path) -> None:
    body = (
        '<section><h2>Ziele nach Status</h2><dl class="stats scorecard-counts">'
        '<div><dt>Ziele</dt><dd>2</dd></div></dl></section><section><article class="scorecard-goal">'
        '<h3><a href="/cities/x/goals/1">Weniger '
        'Kinderarmut</a></h3><p class="scorecard-status">auf Kurs</p></article></section>'
    )
    data = goals.scorecard_pdf(
        body, title="Zielbilanz von Demostadt", language="de", generated=date(2026, 12, 3),
        site_url="https://example.org/cities/x/scorecard",
    )  # fmt: skip
    path = tmp_path / "scorecard.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Zielbilanz von Demostadt" in text and "Weniger" in text and "Erstellt am 3. Dezember 2026" in text
    assert b"/Lang (de)" in pdf_objects(data)
    assert b"https://example.org/cities/x/goals/1" in pdf_objects(data)  # the link resolved against the page
