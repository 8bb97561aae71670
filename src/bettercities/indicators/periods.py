"""Reference periods: parse the notations statistics offices use into one canonical code.

Canonical codes: ``2020`` (year), ``2020-H1`` (half-year), ``2020-Q3`` (quarter),
``2020-07`` (month), ``2020-12-31`` (reference date, *Stichtag*).

>>> parse_period("2020-q3").code
'2020-Q3'
>>> parse_period("31.12.2020").kind
'date'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("year", re.compile(r"^(?P<y>\d{4})$")),
    ("half_year", re.compile(r"^(?P<y>\d{4})[-_ ]?[HS](?P<n>[12])$", re.I)),
    ("quarter", re.compile(r"^(?P<y>\d{4})[-_ ]?Q(?P<n>[1-4])$", re.I)),
    ("month", re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$")),
    ("month", re.compile(r"^(?P<y>\d{4})M(?P<m>\d{1,2})$", re.I)),
    ("date", re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")),
    ("date", re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$")),
]

KINDS = ("year", "half_year", "quarter", "month", "date")


@dataclass(frozen=True, order=True)
class PeriodSpec:
    """A parsed period: canonical code, kind and its first and last day."""

    start_date: date
    end_date: date
    code: str
    kind: str


class PeriodError(ValueError):
    """The text is not a period in any supported notation."""


def parse_period(text: str) -> PeriodSpec:
    """Parse a period code; raise :class:`PeriodError` for anything else."""
    raw = str(text).strip()
    if raw.endswith(".0") and raw[:-2].isdigit():  # years read from spreadsheets as floats
        raw = raw[:-2]
    for kind, pattern in _PATTERNS:
        match = pattern.match(raw)
        if not match:
            continue
        year = int(match["y"])
        try:
            if kind == "year":
                return PeriodSpec(date(year, 1, 1), date(year, 12, 31), f"{year}", kind)
            if kind == "half_year":
                half = int(match["n"])
                start, end = (
                    (date(year, 1, 1), date(year, 6, 30))
                    if half == 1
                    else (date(year, 7, 1), date(year, 12, 31))
                )
                return PeriodSpec(start, end, f"{year}-H{half}", kind)
            if kind == "quarter":
                q = int(match["n"])
                first = 3 * (q - 1) + 1
                last_day = calendar.monthrange(year, first + 2)[1]
                return PeriodSpec(date(year, first, 1), date(year, first + 2, last_day), f"{year}-Q{q}", kind)
            if kind == "month":
                month = int(match["m"])
                last_day = calendar.monthrange(year, month)[1]
                return PeriodSpec(
                    date(year, month, 1), date(year, month, last_day), f"{year}-{month:02d}", kind
                )
            day = date(year, int(match["m"]), int(match["d"]))
            return PeriodSpec(day, day, day.isoformat(), "date")
        except ValueError as error:  # month 13, 31 February …
            raise PeriodError(f"not a valid period: {text!r} ({error})") from None
    raise PeriodError(
        f"not a period: {text!r}; use 2020, 2020-H1, 2020-Q3, 2020-07, 2020-12-31 or 31.12.2020"
    )


def is_period(text: str) -> bool:
    try:
        parse_period(text)
    except PeriodError:
        return False
    return True
