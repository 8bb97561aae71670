"""Names of the registry: the normalised key a name is matched on, a city's URL slug, country codes.

Pure functions (no database), shared by the merge, the imports and the lookups."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["ISO_TO_EUROSTAT", "base_slug", "city_slug", "eurostat_country", "name_key"]

#: GeoNames (ISO 3166) codes that Eurostat spells differently.
ISO_TO_EUROSTAT = {"GR": "EL", "GB": "UK"}

#: Letters that NFKD does not decompose into an ASCII base letter.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
        "ħ": "h",
        "Ħ": "h",
    }
)
_UMLAUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def eurostat_country(code: str) -> str:
    """Eurostat's country code for an ISO 3166 one (GR -> EL, GB -> UK; others unchanged, upper case)."""
    code = code.strip().upper()
    return ISO_TO_EUROSTAT.get(code, code)


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The key a name is matched on: case-folded, accents stripped (ä -> a), punctuation collapsed to one
    space. ``name_key("Frankfurt am Main") == "frankfurt am main"``, ``name_key("München") == "munchen"``."""
    text = _ascii(name.casefold())
    return " ".join(_NON_ALNUM.split(text.lower())).strip()


def base_slug(name: str) -> str:
    """The slug of a local name before clashes: lower-case ASCII, ä -> ae, ö -> oe, ü -> ue, ß -> ss, other
    accents stripped, runs of other characters -> ``-``."""
    text = _ascii(name.translate(_UMLAUT)).lower()
    return _NON_ALNUM.sub("-", text).strip("-") or "city"


def city_slug(name: str, country: str) -> str:
    """A city's slug from its local name (``München`` -> ``muenchen``, ``Bielsko-Biała`` ->
    ``bielsko-biala``). On a clash the registry appends ``-<country lower>``, then ``-<geonames id>``
    (:func:`bettercities.registry.merge.unique_slug`); this function gives the first choice."""
    del country  # the country only takes part on a clash
    return base_slug(name)
