"""The goals' scorecard as a PDF: the same body the scorecard page shows, in a print layout.

The web app renders the scorecard's counts and goals once per data version, audience and language
(``web/pages/goals.scorecard_body``: what the viewer may see, with a compact SVG chart per goal); this module
wraps that HTML in the reports' document and stylesheet and renders it with
:func:`bettercities.reports.pdf.render_pdf`. So the PDF shows exactly what the page shows to the same viewer.
"""

from __future__ import annotations

from datetime import date

from markupsafe import Markup

from bettercities.reports import html as documents
from bettercities.reports.pdf import render_pdf

__all__ = ["scorecard_html", "scorecard_pdf"]


def scorecard_html(
    body_html: str,
    *,
    title: str,
    language: str,
    generated: date,
    lead: str | None = None,
    site_url: str | None = None,
) -> str:
    """The scorecard document: ``body_html`` (trusted markup rendered by the web app's templates) under the
    ``title`` and ``lead``, the date and the page's address in the foot."""
    return documents.render(
        "goals/scorecard.html",
        language,
        body=Markup(body_html),
        title=title,
        lead=lead,
        generated=generated,
        site_url=site_url,
        stylesheet_href=None,
    )


def scorecard_pdf(
    body_html: str,
    *,
    title: str,
    language: str,
    generated: date,
    lead: str | None = None,
    site_url: str | None = None,
) -> bytes:
    """The scorecard as a tagged PDF (PDF/UA-1). Relative links of the body resolve against ``site_url`` (the
    address of the scorecard page), so that they stay links in the PDF."""
    html = scorecard_html(
        body_html, title=title, language=language, generated=generated, lead=lead, site_url=site_url
    )
    return render_pdf(html, base_url=site_url)
