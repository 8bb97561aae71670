"""HTML of the reports: the package's Jinja templates rendered in the reader's language, and the numbers and
dates written for it.

One environment per language (gettext installed from :mod:`bettercities.reports.i18n`, autoescaping on),
templates under ``reports/templates/``, the stylesheet ``reports/static/report.css``. A standalone document
carries the stylesheet inline (a file on disk, a PDF); a page of the web app links it instead, because the
app's Content-Security-Policy allows no inline styles.
"""

from __future__ import annotations

import math
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bettercities.reports.i18n import translations

__all__ = [
    "STATIC",
    "TEMPLATES",
    "date_text",
    "environment",
    "number",
    "render",
    "signed",
    "stylesheet",
    "with_unit",
]

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

_GERMAN = str.maketrans({",": ".", ".": ","})


def number(value: float | None, decimals: int = 2, lang: str = "en") -> str:
    """``1,234.5`` in English, ``1.234,5`` in German, a real minus sign, an en dash for a missing value (as
    the web pages write numbers, ``bettercities.web.formatting``)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{value:,.{max(decimals, 0)}f}"
    if text.startswith("-"):
        text = "−" + text[1:]
    if text.strip("−0.,") == "":
        text = text.lstrip("−")
    return text.translate(_GERMAN) if lang == "de" else text


def signed(value: float | None, decimals: int = 2, lang: str = "en") -> str:
    """Like :func:`number`, with a plus sign for a positive difference."""
    text = number(value, decimals, lang)
    return f"+{text}" if value is not None and value > 0 and text.strip("0.,") else text


def with_unit(text: str, unit: str, lang: str = "en") -> str:
    """``12,5 %`` in German (DIN 5008), ``12.5%`` in English; any other unit after a space, as given (the
    caller passes it in the reader's language)."""
    if not unit or text == "–":
        return text
    if unit == "%":
        return f"{text}\u202f%" if lang == "de" else f"{text}%"
    return f"{text} {unit}"


def date_text(day: date, lang: str) -> str:
    """``3 December 2026`` / ``3. Dezember 2026``."""
    from babel.dates import format_date

    return format_date(day, format="long", locale=lang)


@cache
def stylesheet() -> str:
    """The reports' CSS (screen and print)."""
    return (STATIC / "report.css").read_text(encoding="utf-8")


@cache
def environment(lang: str) -> Environment:
    """The Jinja environment of ``lang`` (built once per process)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=lang, stylesheet=stylesheet)
    env.filters["num"] = lambda value, decimals=2: number(value, decimals, lang)
    env.filters["signed"] = lambda value, decimals=2: signed(value, decimals, lang)
    env.filters["unit"] = lambda text, unit: with_unit(text, unit, lang)
    env.filters["date_text"] = lambda day: date_text(day, lang)
    return env


def render(name: str, lang: str, **context: Any) -> str:
    """Template ``name`` rendered in ``lang``."""
    return environment(lang).get_template(name).render(**context)


def svg(markup: str) -> Markup:
    """SVG from :mod:`bettercities.figures` (which escapes its text), marked safe for the templates."""
    return Markup(markup)
