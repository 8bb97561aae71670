"""Period notations used by statistics offices, parsed into one canonical code."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bettercities.indicators.periods import PeriodError, parse_period


@pytest.mark.parametrize(
    ("text", "code", "kind", "start", "end"),
    [
        ("2020", "2020", "year", date(2020, 1, 1), date(2020, 12, 31)),
        ("2020.0", "2020", "year", date(2020, 1, 1), date(2020, 12, 31)),
        ("2020-H2", "2020-H2", "half_year", date(2020, 7, 1), date(2020, 12, 31)),
        ("2020S1", "2020-H1", "half_year", date(2020, 1, 1), date(2020, 6, 30)),
        ("2020q1", "2020-Q1", "quarter", date(2020, 1, 1), date(2020, 3, 31)),
        ("2024-Q1", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-2", "2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023M02", "2023-02", "month", date(2023, 2, 1), date(2023, 2, 28)),
        ("2018-12-31", "2018-12-31", "date", date(2018, 12, 31), date(2018, 12, 31)),
        ("31.12.2018", "2018-12-31", "date", date(2018, 12, 31), date(2018, 12, 31)),
    ],
)
def test_notations(text: str, code: str, kind: str, start: date, end: date) -> None:
    spec = parse_period(text)
    assert (spec.code, spec.kind, spec.start_date, spec.end_date) == (code, kind, start, end)


@pytest.mark.parametrize("text", ["", "20", "2020-13", "2021-02-29", "2020-Q5", "Q1 2020", "next year"])
def test_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_date_round_trips(day: date) -> None:
    spec = parse_period(day.isoformat())
    assert parse_period(spec.code) == spec
    assert parse_period(day.strftime("%d.%m.%Y")) == spec
    month = parse_period(f"{day.year}-{day.month:02d}")
    assert month.start_date <= day <= month.end_date
    quarter = parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    assert quarter.start_date <= day <= quarter.end_date
