"""Catalogs: every message the templates and the web code use exists in German and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bettercities.web import formatting
from bettercities.web.i18n import LANGUAGES, LOCALE_DIR, negotiate, parse_accept_language, translations

WEB = Path(LOCALE_DIR).parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
JINJA = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
OPTIONS = {"templates/**.html": JINJA}


def used_messages() -> set[str]:
    return {message for _, _, message, _, _ in extract_from_dir(str(WEB), METHODS, options_map=OPTIONS)}


def catalog(language: str) -> dict[str, str]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_messages_are_found() -> None:
    assert len(used_messages()) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    entries = catalog(language)
    missing = sorted(used_messages() - set(entries))
    assert not missing, f"not in {language} catalog: {missing}"
    empty = sorted(m for m in used_messages() if not entries[m])
    assert not empty, f"empty in {language} catalog: {empty}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    import re

    for msgid, msgstr in catalog(language).items():
        assert set(re.findall(r"\{\w+\}", msgid)) == set(re.findall(r"\{\w+\}", msgstr)), msgid


def test_catalogs_compile_in_memory() -> None:
    assert translations("de").gettext("Cities") == "Städte"
    assert translations("en").gettext("Cities") == "Cities"


def test_negotiation_order() -> None:
    assert negotiate("en", "de", "de", "de") == "en"
    assert negotiate(None, "en", "de", "de") == "en"
    assert negotiate(None, None, "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "de") == "en"
    assert negotiate(None, "xx", None, "en") == "en"
    assert parse_accept_language("de-DE,de;q=0.9,*;q=0.5") == ["de", "de"]
    assert parse_accept_language("en;q=0, de") == ["de"]


def test_number_formatting() -> None:
    assert formatting.number(1234.5, 1, "de") == "1.234,5"
    assert formatting.number(1234.5, 1, "en") == "1,234.5"
    assert formatting.number(-0.04, 1, "en") == "0.0"
    assert formatting.number(-2.5, 1, "en") == "−2.5"
    assert formatting.number(None) == "–"
    assert formatting.signed(2.5, 1, "de") == "+2,5"
    assert formatting.with_unit("12,5", "%", "de") == "12,5\u202f%"
    assert formatting.with_unit("12.5", "%", "en") == "12.5%"
    assert formatting.with_unit("40", "years", "en") == "40 years"
    assert formatting.with_unit("40", "years", "de") == "40 Jahre"  # the unit vocabulary (web/vocabularies)
    assert formatting.with_unit("40", "Meter", "de") == "40 Meter"  # a unit it does not know: as it is
