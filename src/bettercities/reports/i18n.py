"""The reports' languages: the project's one gettext catalogue per language, compiled in memory.

The catalogues are the web app's (``bettercities/web/locale/<lang>/LC_MESSAGES/messages.po``, see
:mod:`bettercities.web.i18n`): one source of translations for pages and documents. They are read here by
path, not through the web package, which sits above this one; both compile the same ``.po`` file the same
way (Babel, in memory, no build step). ``tests/reports/test_i18n.py`` checks that every message the reports
use is in both catalogues.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Literal

__all__ = ["LANGUAGES", "LOCALE_DIR", "Language", "translations"]

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue of ``language`` (read once per process); a language we do not have is an
    error, not a silent fallback (a report must say which language it is in)."""
    if language not in LANGUAGES:
        raise ValueError(f"no report language {language!r}; choose one of {', '.join(LANGUAGES)}")
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
