"""Vectorised cell conversion: numbers, flags and codes."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from bettercities.ingest.cells import encode, parse_flags, parse_numbers


def test_numbers_point() -> None:
    parsed = parse_numbers(
        pa.array(["1", " 2.5 ", "-.5", "+3e2", "", "n/a", "abc", "1,5", "inf", "nan", "1e999"])
    )
    assert parsed.values[:4].tolist() == [1.0, 2.5, -0.5, 300.0]
    assert parsed.empty.tolist() == [False] * 4 + [True] + [False] * 6
    assert parsed.bad.tolist() == [False] * 5 + [True] * 6
    assert parsed.wrong_mark.tolist() == [False] * 7 + [True] + [False] * 3
    assert np.isnan(parsed.values[4:]).all()


def test_numbers_decimal_comma_refuses_points() -> None:
    parsed = parse_numbers(pa.array(["3,5", "-0,25", "1.234,5", "7", "1.5"]), decimal=",")
    assert parsed.values[[0, 1, 3]].tolist() == [3.5, -0.25, 7.0]
    assert parsed.bad.tolist() == [False, False, True, False, True]  # thousands separators are ambiguous


def test_na_values_are_empty() -> None:
    parsed = parse_numbers(pa.array(["-", ".", "x"]), na_values=["-", "."])
    assert parsed.empty.tolist() == [True, True, False]
    assert parsed.bad.tolist() == [False, False, True]


def test_flags() -> None:
    flags = parse_flags(pa.array(["1", "x", "TRUE", "ja", "", "0", "nein", "False", "maybe"]))
    assert flags.values.tolist() == [True] * 4 + [False] * 5
    assert flags.bad.tolist() == [False] * 8 + [True]


def test_encode_marks_empty_cells() -> None:
    codes = encode(pa.chunked_array([["a", " b", ""], ["a", "c "]]))
    assert [codes.uniques[c] if c >= 0 else None for c in codes.codes] == ["a", "b", None, "a", "c"]


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(finite, min_size=1, max_size=50))
def test_every_float_round_trips_through_text(values: list[float]) -> None:
    point = parse_numbers(pa.array([repr(v) for v in values]))
    comma = parse_numbers(pa.array([repr(v).replace(".", ",") for v in values]), decimal=",")
    for parsed in (point, comma):
        assert not parsed.bad.any()
        assert [math.copysign(1, v) * abs(v) for v in parsed.values.tolist()] == values
