"""Numbers and dates written for the reader's language (values come from the library), and the one reader of
amounts of money typed into the pages' forms (:func:`parse_amount`)."""

from __future__ import annotations

import math
import re
from decimal import Decimal

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


#: Spaces a writer may put between groups of digits (space, no-break space, thin and narrow no-break space).
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u2009\u202f")


def parse_amount(text: str) -> Decimal | None:
    """An amount of money as typed into a form field, in German or English notation; ``None`` when empty.

    ``1.500,50`` and ``1,500.50`` are both 1500.50; ``1500,50`` and ``1500.5`` too. Dots between groups of
    three digits without a decimal comma group thousands (``1.500`` is 1500, ``1.500.000`` a million), as do
    commas between groups of three (``1,500``): money has at most two decimals, so three digits after a
    separator are a group, unless the number starts with 0 (``0.125`` and ``0,125`` are 0.125, which the
    caller refuses or rounds as cents). Spaces between groups are ignored. The result is a
    :class:`~decimal.Decimal`, so cents stay exact. General numbers (a target of 0.125) are not amounts:
    read them otherwise.

    Raises :class:`ValueError` when the text is not a number in either notation (``lots``, ``1,5.0``).

    >>> parse_amount("1.500"), parse_amount("1,500.50"), parse_amount("1.500.000,50"), parse_amount("99,5")
    (Decimal('1500'), Decimal('1500.50'), Decimal('1500000.50'), Decimal('99.5'))
    """
    text = text.strip().translate(_GROUP_SPACES).replace("\u2212", "-")
    if not text:
        return None
    if re.fullmatch(r"[+-]?[1-9]\d{0,2}(\.\d{3})+", text):
        text = text.replace(".", "")  # German thousands: 1.500
    elif re.fullmatch(r"[+-]?[1-9]\d{0,2}(\.\d{3})+,\d+", text):
        text = text.replace(".", "").replace(",", ".")  # German: 1.500,50
    elif re.fullmatch(r"[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")  # English: 1,500.50 or 1,500
    elif text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # German decimal comma: 1500,50
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueError(f"not an amount: {text!r}")
    return Decimal(text)
