"""PostgreSQL's binary ``COPY`` format, written from whole numpy columns.

In ``COPY … (FORMAT binary)`` every row is a field count (int16) and, per field, its length (int32,
-1 for NULL) and its bytes in network order: an ``integer`` is 4 bytes, a ``double precision`` the
8 bytes of the IEEE double, a ``boolean`` one byte, a ``timestamp[tz]`` the microseconds since
2000-01-01 (UTC for ``timestamptz``) as int64, a ``date`` the days since 2000-01-01 as int32
(PostgreSQL documentation, "COPY", section "Binary Format", and the types' ``*send`` functions).
Rows whose fields are all of fixed width are records of a numpy structured type, so a million rows
are encoded by a few column assignments instead of formatting a million lines of text, and the
server stores the bytes instead of parsing text (``float8in`` and ``timestamptz_in`` were most of a
CSV ``COPY``'s server time for observations).

Rows with NULL in different columns have different layouts: rows are grouped by the columns that
are NULL in them (for observations: one to three groups), each group one block of records, the rows
of a group in their given order.

Only tables whose columns are all of the kinds above take this path (:func:`encoder` answers
``None`` otherwise, and for values that are not plainly of the column's kind: the caller then writes
CSV). A value out of its column's range raises :class:`ValueError` naming the column, as the server
would refuse it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Table
from sqlalchemy import types as sqltypes

__all__ = ["SIGNATURE", "TRAILER", "Encoded", "encoder"]

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # signature, flags, extension
TRAILER = b"\xff\xff"

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(2000, 1, 1)
_EPOCH_DATE = date(2000, 1, 1)
_EPOCH_DATETIME64 = np.datetime64("2000-01-01T00:00:00", "us")
_EPOCH_DATE64 = np.datetime64("2000-01-01", "D")


@dataclass(frozen=True)
class _Kind:
    wire: str  # numpy dtype of the field's bytes (big-endian)
    family: str  # bool, int, float, timestamp, date


def _kind(column_type: sqltypes.TypeEngine[Any]) -> _Kind | None:
    if isinstance(column_type, sqltypes.Boolean):
        return _Kind("u1", "bool")
    if isinstance(column_type, sqltypes.SmallInteger):
        return _Kind(">i2", "int")
    if isinstance(column_type, sqltypes.BigInteger):
        return _Kind(">i8", "int")
    if isinstance(column_type, sqltypes.Integer):
        return _Kind(">i4", "int")
    if isinstance(column_type, sqltypes.Float):
        # FLOAT without precision and DOUBLE PRECISION are float8; REAL and FLOAT(p <= 24) are float4
        single = isinstance(column_type, sqltypes.REAL) or (
            column_type.precision is not None and column_type.precision <= 24
        )
        return _Kind(">f4" if single else ">f8", "float")
    if isinstance(column_type, sqltypes.DateTime):
        return _Kind(">i8", "timestamp" if column_type.timezone else "timestamp-naive")
    if isinstance(column_type, sqltypes.Date):
        return _Kind(">i4", "date")
    return None


class _NotPlain(Exception):
    """A value this format does not take as it is (the caller writes CSV instead)."""


_LIMITS = {">i2": (-(2**15), 2**15 - 1), ">i4": (-(2**31), 2**31 - 1), ">i8": (-(2**63), 2**63 - 1)}


def _column(name: str, kind: _Kind, array: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The values of a column array as its wire dtype, and its NULL mask (``None``: no NULL)."""
    dtype = array.dtype
    if kind.family == "bool":
        if dtype.kind != "b":
            raise _NotPlain(name)
        return array.astype("u1"), None
    if kind.family == "float":
        if dtype.kind not in "fiub":
            raise _NotPlain(name)
        values = array.astype(kind.wire)
        nulls = np.isnan(array) if dtype.kind == "f" else None
        return values, nulls if nulls is not None and nulls.any() else None
    if kind.family == "int":
        nulls = None
        if dtype.kind == "f":
            nulls = np.isnan(array)
            whole = array[~nulls]
            if not np.array_equal(whole, np.floor(whole)):
                raise ValueError(f"column {name}: values with a fraction for an integer column")
            array = np.where(nulls, 0, array)
            nulls = nulls if nulls.any() else None
        elif dtype.kind not in "iub":
            raise _NotPlain(name)
        if len(array):
            low, high = _LIMITS[kind.wire]
            smallest, largest = array.min(), array.max()
            if smallest < low or largest > high:
                raise ValueError(
                    f"column {name}: value {smallest if smallest < low else largest} out of range"
                )
        return array.astype(kind.wire), nulls
    if kind.family in ("timestamp", "timestamp-naive"):
        if dtype.kind != "M":
            raise _NotPlain(name)
        micro = array.astype("datetime64[us]")
        nulls = np.isnat(micro)
        values = (micro - _EPOCH_DATETIME64).astype(np.int64)
        return values.astype(kind.wire), nulls if nulls.any() else None
    if dtype.kind != "M":  # date
        raise _NotPlain(name)
    days = array.astype("datetime64[D]")
    nulls = np.isnat(days)
    return (days - _EPOCH_DATE64).astype(np.int64).astype(kind.wire), nulls if nulls.any() else None


def _constant(name: str, kind: _Kind, value: Any) -> Any:
    """A constant as the number its field holds (``None``: NULL)."""
    if value is None:
        return None
    family = kind.family
    if family == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise _NotPlain(name)
        return int(value)
    if family == "int":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise _NotPlain(name)
        low, high = _LIMITS[kind.wire]
        if not low <= int(value) <= high:
            raise ValueError(f"column {name}: value {value} out of range")
        return int(value)
    if family == "float":
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise _NotPlain(name)
        return float(value)
    if family == "timestamp":
        if not isinstance(value, datetime):
            raise _NotPlain(name)
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return _microseconds(aware - _EPOCH)
    if family == "timestamp-naive":
        if not isinstance(value, datetime) or value.tzinfo is not None:
            raise _NotPlain(name)
        return _microseconds(value - _EPOCH_NAIVE)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _NotPlain(name)
    return (value - _EPOCH_DATE).days


def _microseconds(delta: Any) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass
class Encoded:
    """Rows ready for ``COPY … (FORMAT binary)``: :meth:`blocks` yields the payload in pieces."""

    names: list[str]
    count: int
    _kinds: list[_Kind]
    _values: list[np.ndarray | None]  # per column: the array's values, or None for a constant
    _constants: list[Any]
    _nulls: list[np.ndarray | None]

    def blocks(self, rows_per_block: int) -> Iterator[bytes]:
        """The signature, the rows (grouped by their NULL columns, ``rows_per_block`` at a time), the
        trailer."""
        yield SIGNATURE
        masks = [(n, mask) for n, mask in enumerate(self._nulls) if mask is not None]
        pattern = np.zeros(self.count, dtype=np.int64)  # bit b: the row is NULL in the b-th masked column
        for bit, (_, mask) in enumerate(masks):
            pattern |= mask.astype(np.int64) << bit
        codes, first = np.unique(pattern, return_index=True)
        for code in codes[np.argsort(first)]:
            rows = np.flatnonzero(pattern == code)
            null = frozenset(n for bit, (n, _) in enumerate(masks) if int(code) >> bit & 1)
            for start in range(0, len(rows), rows_per_block):
                yield self._records(rows[start : start + rows_per_block], null)
        yield TRAILER

    def _records(self, rows: np.ndarray, null: frozenset[int]) -> bytes:
        fields: list[tuple[str, str]] = [("count", ">i2")]
        present = [
            n not in null and not (self._values[n] is None and self._constants[n] is None)
            for n in range(len(self._kinds))
        ]
        for n, kind in enumerate(self._kinds):
            fields.append((f"length{n}", ">i4"))
            if present[n]:
                fields.append((f"value{n}", kind.wire))
        records = np.empty(len(rows), dtype=np.dtype(fields))
        records["count"] = len(self._kinds)
        for n, kind in enumerate(self._kinds):
            values = self._values[n]
            if not present[n]:
                records[f"length{n}"] = -1
                continue
            records[f"length{n}"] = np.dtype(kind.wire).itemsize
            records[f"value{n}"] = self._constants[n] if values is None else values[rows]
        return records.tobytes()


def encoder(
    table: Table, data: Mapping[str, np.ndarray], constants: Mapping[str, Any], count: int
) -> Encoded | None:
    """The rows of ``data`` (equally long arrays) and ``constants`` encoded for ``table``, or ``None``
    when a column's type or a value is not one this format takes as it is."""
    names: list[str] = [*data, *constants]
    kinds: list[_Kind] = []
    for name in names:
        kind = _kind(table.c[name].type)
        if kind is None:
            return None
        kinds.append(kind)
    values: list[np.ndarray | None] = []
    fixed: list[Any] = []
    nulls: list[np.ndarray | None] = []
    try:
        for name, kind in zip(names[: len(data)], kinds, strict=False):
            array, mask = _column(name, kind, np.asarray(data[name]))
            values.append(array)
            fixed.append(None)
            nulls.append(mask)
        for name, kind in zip(names[len(data) :], kinds[len(data) :], strict=True):
            values.append(None)
            fixed.append(_constant(name, kind, constants[name]))
            nulls.append(None)
    except _NotPlain:
        return None
    return Encoded(names, count, kinds, values, fixed, nulls)
