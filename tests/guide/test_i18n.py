"""The guide's messages (its templates and the chapter titles, notes and captions of guide/service.py) are in
both catalogues: the guide is compiled in German and English with the web app's gettext catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bettercities.guide
from bettercities.reports.i18n import LANGUAGES, LOCALE_DIR

GUIDE = Path(bettercities.guide.__file__).parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {
    "templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
}


def used() -> set[str]:
    return {message for _, _, message, _, _ in extract_from_dir(str(GUIDE), METHODS, options_map=OPTIONS)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_guide_message_is_in_the_catalogue(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        entries = {m.id: m.string for m in read_po(handle) if m.id}
    messages = used()
    assert "What do you collect?" in messages and "Chapter {n}" in messages  # the extraction finds them
    assert not sorted(m for m in messages if not entries.get(m)), language
