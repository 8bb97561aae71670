"""web.formatting.parse_amount: amounts typed into forms in German or English notation (the forms' tests
in tests/impact/test_pages.py and tests/plans/test_pages.py post them)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bettercities.web.formatting import parse_amount


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1.500", "1500"),  # German thousands
        ("1.500.000,50", "1500000.50"),
        ("1500,50", "1500.50"),
        ("1,500.50", "1500.50"),  # English
        ("1,500,000", "1500000"),
        ("99.5", "99.5"),
        ("0,125", "0.125"),  # a leading 0 groups nothing
        ("0.125", "0.125"),
        (" 1 500,00 ", "1500.00"),
        ("1\u202f500", "1500"),
        ("12", "12"),
    ],
)
def test_an_amount_is_read_as_german_or_english_writes_it(typed: str, amount: str) -> None:
    assert parse_amount(typed) == Decimal(amount)


def test_an_empty_field_is_no_amount() -> None:
    assert parse_amount("  ") is None


@pytest.mark.parametrize("typed", ["lots", "1,5.0", "1.500,5.0", "1.500.00", "nan", "1e5", "1.5.0"])
def test_what_is_no_amount_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(typed)
