"""Vectorised conversion of text cells: numbers, flags and codes (no Python work per cell).

Each function takes a pyarrow string array and returns numpy arrays plus masks that
validation turns into problems: a cell that is neither empty nor a number is *bad*, never
silently "not a number".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# A plain decimal number with optional exponent; no thousands separators (they make 1.234 ambiguous).
NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"

TRUE_TEXTS = ("1", "true", "yes", "ja", "x", "y", "j", "t", "wahr")
FALSE_TEXTS = ("", "0", "false", "no", "nein", "n", "f", "falsch")


def _numpy_bool(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.bool_)


@dataclass(frozen=True)
class Numbers:
    """Parsed numeric cells: ``values`` (NaN where empty or bad), ``empty`` and ``bad`` masks."""

    values: np.ndarray
    empty: np.ndarray
    bad: np.ndarray
    wrong_mark: np.ndarray  # bad because of the other decimal mark (for a helpful message)


def parse_numbers(texts: pa.Array, *, decimal: str = ".", na_values: Sequence[str] = ()) -> Numbers:
    """Parse decimal numbers written with ``decimal`` as the decimal mark.

    Happy path: one cast of the whole column (Arrow's parser accepts exactly :data:`NUMBER` plus
    inf/nan, which the finiteness check refuses). Only when that cast fails does a regular
    expression find the bad cells.
    """
    text = pc.utf8_trim_whitespace(texts)
    empty = pc.equal(text, "")
    if na_values:
        empty = pc.or_(empty, pc.is_in(text, value_set=pa.array(list(na_values), type=pa.string())))
    if decimal == ",":
        wrong_mark = pc.match_substring(text, ".")
        text = pc.replace_substring(text, ",", ".")
    else:
        wrong_mark = pc.match_substring(text, ",")
    empty_np = _numpy_bool(empty)
    if not pc.any(wrong_mark).as_py():
        try:
            numbers = pc.cast(pc.if_else(empty, "0", text), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # some cell is not a number: find which below
        else:
            values = np.array(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)  # writable copy
            values[empty_np] = np.nan
            bad = ~empty_np & ~np.isfinite(values)
            values[bad] = np.nan
            return Numbers(values=values, empty=empty_np, bad=bad, wrong_mark=np.zeros_like(bad))
    valid = pc.and_(pc.match_substring_regex(text, NUMBER), pc.invert(wrong_mark))
    valid = pc.and_(valid, pc.invert(empty))
    numbers = pc.cast(pc.if_else(valid, text, pa.scalar(None, pa.string())), pa.float64())
    values = np.array(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)  # writable copy
    valid_np = _numpy_bool(valid)
    overflow = valid_np & ~np.isfinite(values)
    values[overflow] = np.nan
    bad = ~empty_np & (~valid_np | overflow)
    return Numbers(values=values, empty=empty_np, bad=bad, wrong_mark=_numpy_bool(wrong_mark) & bad)


@dataclass(frozen=True)
class Flags:
    """Parsed yes/no cells: ``values`` and the ``bad`` mask of cells that are neither."""

    values: np.ndarray
    bad: np.ndarray


def parse_flags(texts: pa.Array) -> Flags:
    """Parse flag cells: 1/true/yes/ja/x (set) or empty/0/false/no/nein (not set), any case."""
    text = pc.utf8_lower(pc.utf8_trim_whitespace(texts))
    is_true = _numpy_bool(pc.is_in(text, value_set=pa.array(TRUE_TEXTS)))
    is_false = _numpy_bool(pc.is_in(text, value_set=pa.array(FALSE_TEXTS)))
    return Flags(values=is_true, bad=~(is_true | is_false))


@dataclass(frozen=True)
class Codes:
    """Dictionary-encoded text cells: ``codes[i]`` indexes ``uniques``; -1 marks an empty cell."""

    codes: np.ndarray
    uniques: list[str]


def encode(texts: pa.Array) -> Codes:
    """Dictionary-encode trimmed texts (one pass in C++); empty cells get code -1."""
    if isinstance(texts, pa.ChunkedArray):  # chunks would each get their own dictionary
        texts = texts.combine_chunks()
    encoded = pc.utf8_trim_whitespace(texts).dictionary_encode()
    uniques = [str(u) for u in encoded.dictionary.to_pylist()]
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
    if "" in uniques:
        codes = codes.copy()
        codes[codes == uniques.index("")] = -1
    return Codes(codes=codes, uniques=uniques)
