"""Numbers and dates written for the reader's language (formatting only: values come from the library)."""

from __future__ import annotations

import math

from bettercities.web.vocabularies import label

_GERMAN = str.maketrans({",": ".", ".": ","})


def number(value: float | None, decimals: int = 1, lang: str = "en") -> str:
    """``1,234.5`` in English, ``1.234,5`` in German; an en dash for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{max(decimals, 0)}f}"
    if text.startswith("-"):
        text = "−" + text[1:]  # a real minus sign
    if text in ("−0", "−0.0") or text.strip("−0.,") == "":
        text = text.lstrip("−")
    return text.translate(_GERMAN) if lang == "de" else text


def signed(value: float | None, decimals: int = 1, lang: str = "en") -> str:
    """Like :func:`number`, with a plus sign for positive differences."""
    if value is None:
        return "–"
    text = number(value, decimals, lang)
    return f"+{text}" if value > 0 and text.strip("0.,") else text


def with_unit(text: str, unit: str, lang: str = "en") -> str:
    """``12,5 %`` in German (DIN 5008), ``12.5%`` in English; other units after a space, in ``lang`` when
    the ``unit`` vocabulary knows them (``3 Personen``)."""
    if not unit or text == "–":
        return text
    if unit == "%":
        return f"{text}\u202f%" if lang == "de" else f"{text}%"
    return f"{text} {label(unit, 'unit', lang)}"
