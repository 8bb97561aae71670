"""Every message the reports use is in the project's German and English catalogues (the web app's, one source
of translations), with its placeholders kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bettercities.reports import i18n

REPORTS = Path(i18n.__file__).parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
JINJA = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def used_messages() -> set[str]:
    found = extract_from_dir(str(REPORTS), METHODS, options_map={"templates/**.html": JINJA})
    return {message for _, _, message, _, _ in found}


def catalog(language: str) -> dict[str, str]:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_messages_are_found() -> None:
    assert {"Verdict", "No detectable change", "Strength of the evidence"} <= used_messages()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    entries = catalog(language)
    used = used_messages()
    assert not sorted(used - set(entries)), f"not in the {language} catalogue"
    assert not sorted(m for m in used if not entries[m]), f"empty in the {language} catalogue"
    for message in used:
        assert set(re.findall(r"\{\w+\}", message)) == set(re.findall(r"\{\w+\}", entries[message])), message
        # Jinja's newstyle gettext formats every message with %: a % sign would break it
        assert "%" not in message, message


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no report language 'fr'"):
        i18n.translations("fr")
