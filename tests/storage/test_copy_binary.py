"""PostgreSQL's binary COPY format written from numpy columns (``bettercities.storage.copy_binary``).

The reference is the server itself: ``COPY (SELECT …) TO STDOUT (FORMAT binary)`` of the same values
gives the bytes PostgreSQL writes for them (PostgreSQL documentation, "COPY", "Binary Format"), which
the encoder must reproduce byte for byte; and what the encoder writes must read back unchanged.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import numpy as np
import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.types import REAL

from bettercities.indicators.models import Observation
from bettercities.storage import copy_binary
from bettercities.storage.workspace import Workspace

OBSERVATIONS = cast(Table, Observation.__table__)

METADATA = MetaData()
SAMPLE = Table(
    "copy_sample",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("small", SmallInteger),
    Column("whole", Integer),
    Column("big", BigInteger),
    Column("double", Float),
    Column("single", REAL),
    Column("flag", Boolean),
    Column("stamp", DateTime(timezone=True)),
    Column("local", DateTime),
    Column("day", Date),
    Column("label", String(20)),
)
SELECT = "SELECT small, whole, big, double, single, flag, stamp, local, day FROM copy_sample ORDER BY id"

ROWS = [
    # small, whole, big, double, single, flag, stamp, local, day
    (
        1,
        2,
        3,
        0.1 + 0.2,
        0.5,
        True,
        datetime(2024, 3, 31, 1, 30, 15, 123456, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59),
        date(2000, 1, 1),
    ),
    (
        -(2**15),
        -(2**31),
        -(2**63),
        -0.0,
        -1.5,
        False,
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2000, 1, 1),
        date(1969, 7, 20),
    ),
    (
        2**15 - 1,
        2**31 - 1,
        2**63 - 1,
        5e-324,
        3.25,
        True,
        datetime(2100, 6, 1, 12, tzinfo=UTC),
        datetime(2038, 1, 19, 3, 14, 8),
        date(2999, 12, 31),
    ),
    (
        0,
        0,
        0,
        math.inf,
        -math.inf,
        False,
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(1900, 2, 28, 0, 0, 0, 1),
        date(1900, 3, 1),
    ),
]
NAMES = ["small", "whole", "big", "double", "single", "flag", "stamp", "local", "day"]


def _columns(rows: list[tuple[Any, ...]]) -> dict[str, np.ndarray]:
    parts = list(zip(*rows, strict=True))
    return {
        "small": np.array(parts[0], dtype=np.int64),
        "whole": np.array(parts[1], dtype=np.int64),
        "big": np.array(parts[2], dtype=np.int64),
        "double": np.array(parts[3], dtype=np.float64),
        "single": np.array(parts[4], dtype=np.float64),
        "flag": np.array(parts[5], dtype=bool),
        "stamp": np.array([v.replace(tzinfo=None) for v in parts[6]], dtype="datetime64[us]"),
        "local": np.array(parts[7], dtype="datetime64[us]"),
        "day": np.array(parts[8], dtype="datetime64[D]"),
    }


def _raw(ws: Workspace) -> Any:
    return ws.database.engine.raw_connection()


def _server_bytes(connection: Any, sql: str) -> bytes:
    with connection.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
        return b"".join(bytes(block) for block in copy)


def _copy_in(connection: Any, names: list[str], blocks: list[bytes]) -> None:
    listed = ", ".join(f'"{n}"' for n in names)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY copy_sample ({listed}) FROM STDIN (FORMAT binary)") as copy,
    ):
        for block in blocks:
            copy.write(block)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_encoding_is_the_servers_own_and_reads_back(workspace: Workspace) -> None:
    METADATA.create_all(workspace.database.engine)
    data = _columns(ROWS)
    encoded = copy_binary.encoder(SAMPLE, data, {}, len(ROWS))
    assert encoded is not None
    payload = b"".join(encoded.blocks(2))  # two blocks of two rows
    connection = _raw(workspace)
    try:
        _copy_in(connection.driver_connection, encoded.names, [payload])
        connection.commit()
        # the server writes the same rows as the same bytes
        assert _server_bytes(connection.driver_connection, SELECT) == payload
        with connection.driver_connection.cursor() as cursor:
            cursor.execute(SELECT)
            read = cursor.fetchall()
    finally:
        connection.close()
    for got, want in zip(read, ROWS, strict=True):
        assert got[:3] == want[:3]
        assert math.copysign(1, got[3]) == math.copysign(1, want[3]) and got[3] == want[3]
        assert got[4:6] == want[4:6]
        assert got[6] == want[6] and got[7:] == want[7:]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_nulls_constants_and_row_groups(workspace: Workspace) -> None:
    """NaN and NaT are NULL; rows with NULL in different columns travel in groups, each in its order."""
    METADATA.create_all(workspace.database.engine)
    doubles = np.array([1.0, math.nan, 3.0, math.nan, 5.0, 6.0])
    wholes = np.array([math.nan, 2.0, 3.0, math.nan, 5.0, 6.0])  # floats for an integer column
    stamps = np.array(
        ["2020-01-01T00:00", "NaT", "2021-06-30T12:00", "2022-01-01", "NaT", "2023-01-01"],
        dtype="datetime64[us]",
    )
    local = datetime(2024, 5, 6, 7, 8, 9)
    created = datetime(2024, 3, 31, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    encoded = copy_binary.encoder(
        SAMPLE,
        {"id": np.arange(1, 7), "double": doubles, "whole": wholes, "day": stamps.astype("datetime64[D]")},
        {"small": 7, "flag": None, "stamp": created, "local": local, "single": 0.25},
        6,
    )
    assert encoded is not None
    connection = _raw(workspace)
    try:
        _copy_in(connection.driver_connection, encoded.names, list(encoded.blocks(1)))
        connection.commit()
        with connection.driver_connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, double, whole, day, small, flag, stamp, local, single "
                "FROM copy_sample ORDER BY id"
            )
            read = cursor.fetchall()
    finally:
        connection.close()
    for n, row in enumerate(read):
        assert row[0] == n + 1
        assert row[1] == (None if math.isnan(doubles[n]) else doubles[n])
        assert row[2] == (None if math.isnan(wholes[n]) else int(wholes[n]))
        assert row[3] == (None if np.isnat(stamps[n]) else stamps[n].astype("datetime64[D]").item())
        assert row[4:] == (7, None, created, local, 0.25)


def test_values_the_column_cannot_hold_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="column whole: value 2147483648 out of range"):
        copy_binary.encoder(SAMPLE, {"whole": np.array([1, 2**31])}, {}, 2)
    with pytest.raises(ValueError, match="column small: value -32769 out of range"):
        copy_binary.encoder(SAMPLE, {"id": np.array([1])}, {"small": -(2**15) - 1}, 1)
    with pytest.raises(ValueError, match="column big: values with a fraction"):
        copy_binary.encoder(SAMPLE, {"big": np.array([1.0, 2.5])}, {}, 2)


def test_kinds_and_values_it_does_not_take_go_back_to_the_caller() -> None:
    """A text column, a text where a number belongs, an aware time for a local column: ``None`` (CSV)."""
    assert copy_binary.encoder(SAMPLE, {"label": np.array(["a"], dtype=object)}, {}, 1) is None
    assert copy_binary.encoder(SAMPLE, {"id": np.array([1])}, {"label": "a"}, 1) is None
    assert copy_binary.encoder(SAMPLE, {"whole": np.array(["1"], dtype=object)}, {}, 1) is None
    assert copy_binary.encoder(SAMPLE, {"id": np.array([1])}, {"whole": "1"}, 1) is None
    assert copy_binary.encoder(SAMPLE, {"id": np.array([1])}, {"flag": 1}, 1) is None
    aware = datetime(2024, 1, 1, tzinfo=UTC)
    assert copy_binary.encoder(SAMPLE, {"id": np.array([1])}, {"local": aware}, 1) is None
    assert copy_binary.encoder(SAMPLE, {"id": np.array([1])}, {"day": "2024-01-01"}, 1) is None


def test_observations_take_the_binary_path() -> None:
    """Every column an observation import writes has a binary form (else imports would write CSV)."""
    count = 3
    data = {
        "indicator_id": np.array([1, 1, 2]),
        "area_id": np.array([4, 5, 6]),
        "period_id": np.array([7, 7, 7]),
        "value": np.array([0.5, math.nan, 2.0]),
        "numerator": np.array([1.0, 2.0, math.nan]),
        "denominator": np.full(count, math.nan),
        "provisional": np.zeros(count, dtype=bool),
        "estimated": np.zeros(count, dtype=bool),
        "suppressed": np.zeros(count, dtype=bool),
        "revision": np.ones(count, dtype=np.int64),
        "source_row": np.array([2, 3, 4], dtype=np.int32),
    }
    constants = {"is_current": True, "import_id": 9, "created_at": datetime.now(UTC)}
    encoded = copy_binary.encoder(OBSERVATIONS, data, constants, count)
    assert encoded is not None
    assert encoded.names == [*data, *constants]
    blocks = list(encoded.blocks(1000))
    assert blocks[0] == copy_binary.SIGNATURE and blocks[-1] == copy_binary.TRAILER
    assert len(blocks) == 2 + 3  # three rows, three different sets of NULL columns
