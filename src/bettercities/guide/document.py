"""The guide's HTML: its body (what the web page shows inside the site's layout) and the standalone document
(the reports' base template, stylesheet inline) that the PDF is rendered from. Templates under
``guide/templates/``, on the reports' gettext catalogues and number and date formats."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bettercities.guide.schemas import GuideDocument
from bettercities.reports import html as reports
from bettercities.reports.i18n import translations

__all__ = ["body", "standalone"]

TEMPLATES = Path(__file__).with_name("templates")
STYLE = """
.bc-guide h2 { break-before: page; }
.bc-guide figure { break-inside: avoid; margin: 1em 0; }
.bc-guide figcaption { font-size: 0.85em; color: #52606d; }
.bc-guide table.bc-guide-numbers { font-size: 0.85em; border-collapse: collapse; }
.bc-guide table.bc-guide-numbers td, .bc-guide table.bc-guide-numbers th {
  padding: 0 0.6em 0 0; text-align: left;
}
.bc-guide .bc-guide-note { font-style: italic; }
"""


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(reports.TEMPLATES)]),
        autoescape=select_autoescape(["html", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=lang, stylesheet=lambda: reports.stylesheet() + STYLE)
    env.filters["date_text"] = lambda day: reports.date_text(day, lang)
    env.filters["svg"] = Markup  # SVG of guide.charts, which escapes its text
    return env


def body(guide: GuideDocument) -> Markup:
    """The guide's chapters as HTML (trusted markup)."""
    return Markup(_environment(guide.lang).get_template("guide/body.html").render(guide=guide))


def standalone(guide: GuideDocument) -> str:
    """The guide as a standalone document (title, language, stylesheet inline)."""
    template = _environment(guide.lang).get_template("guide/document.html")
    return template.render(guide=guide, body=body(guide), stylesheet_href=None)
