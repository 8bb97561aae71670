"""Languages of the web pages: gettext catalogs compiled in memory at start-up, and language negotiation.

The catalogs are ``locale/<lang>/LC_MESSAGES/messages.po`` beside this module; msgids are English. They are
read with Babel and compiled to ``.mo`` bytes in memory, so there is no build step. To add messages after
changing templates, extract them with ``pybabel extract -F src/bettercities/web/locale/babel.cfg -o
messages.pot src/bettercities/web`` and merge into both catalogs (``tests/web/test_i18n.py`` checks that
every msgid used is in both).

The language of a request is the first of: ``?lang=``, the ``lang`` cookie (set when ``?lang=`` is used),
the ``Accept-Language`` header, the ``default_language`` setting.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("de", "en")
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
LOCALE_DIR = Path(__file__).with_name("locale")
COOKIE = "lang"


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``language`` (read once per process)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(language: str) -> gettext.GNUTranslations:
    return translations(language if language in LANGUAGES else LANGUAGES[0])


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language tags of an ``Accept-Language`` header, best first."""
    if not header:
        return []
    weighted = []
    for index, item in enumerate(header.split(",")):
        parts = item.strip().split(";")
        tag = parts[0].strip().lower()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weighted.append((-quality, index, tag.split("-")[0]))
    return [tag for quality, _, tag in sorted(weighted) if quality < 0]


def negotiate(query: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    """The language of a request (see the module docstring for the order)."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for tag in parse_accept_language(accept_language):
        if tag in LANGUAGES:
            return tag
    return default if default in LANGUAGES else LANGUAGES[0]
