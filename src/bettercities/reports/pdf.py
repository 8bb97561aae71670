"""HTML to PDF with WeasyPrint: a tagged PDF (PDF/UA-1) in the document's language, without the network.

WeasyPrint is imported on first use (it loads Pango through cffi, a second or more): importing the reports
costs nothing until a PDF is asked for, and a machine without it gets :class:`PdfUnavailable` with what to
install instead of an ImportError from deep inside. The document's language is the ``lang`` of its
``<html>`` element (PDF/UA asks for it; the reports' templates always set it) and its title is the
``<title>``.

Only the package's own files and ``data:`` URLs are fetched (:class:`LocalOnlyFetcher`): a report never
reaches out to a server while it is rendered, whatever its HTML links to; links stay links in the PDF.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["PACKAGE_ROOT", "PDF_VARIANT", "PdfUnavailable", "render_pdf"]

#: PDF/UA-1 (ISO 14289-1): tagged structure, document language and title, embedded fonts.
PDF_VARIANT = "pdf/ua-1"
#: Files under this folder (the bettercities package) may be read while rendering; nothing else.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]

_LANG = re.compile(r"<html[^>]*\blang=[\"']?([A-Za-z-]+)", re.IGNORECASE)

INSTALL_HINT = (
    "PDF reports need WeasyPrint and the Pango library: `pip install 'weasyprint>=70'` and, on Debian or "
    "Ubuntu, `apt-get install libpango-1.0-0 libpangoft2-1.0-0` (the HTML report works without them)"
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library it loads) is not installed; the message says what to install."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the Python package is there, Pango is not
        raise PdfUnavailable(f"{INSTALL_HINT} ({error})") from error
    return weasyprint


def local_only_fetcher(weasyprint: Any) -> Any:
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and files under :data:`PACKAGE_ROOT` and refuses
    everything else (WeasyPrint then leaves the resource out and logs a warning)."""

    class LocalOnlyFetcher(weasyprint.URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file" and parts.netloc in ("", "localhost"):
                path = Path(unquote(parts.path)).resolve()
                if path.is_relative_to(PACKAGE_ROOT):
                    return super().fetch(url, headers)
            raise ValueError(f"reports fetch only the package's own files, not {url}")

    return LocalOnlyFetcher(allowed_protocols=("file", "data"))


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html``: tagged, PDF/UA-1, in the language its ``<html lang>`` names.

    ``base_url`` resolves relative URLs of the HTML; only the package's own files are read (e.g.
    ``Path(...).as_uri()`` of a folder in the package). Raises :class:`PdfUnavailable` when WeasyPrint cannot
    be loaded and :class:`ValueError` when the HTML names no language.
    """
    if not _LANG.search(html[:2000]):
        raise ValueError("the HTML of a PDF report needs <html lang=...> (PDF/UA asks for the language)")
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=local_only_fetcher(weasyprint))
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    return pdf
