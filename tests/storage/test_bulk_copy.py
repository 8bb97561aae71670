"""Bulk inserts read back exactly what was written, on both backends.

On PostgreSQL ``Database.bulk_insert`` and ``bulk_insert_columns`` send ``COPY … (FORMAT csv)``
payloads written by pyarrow: floats must keep every bit (-0.0, subnormals, the largest double,
0.1 + 0.2), texts their leading zeros, tabs, newlines, quotes and backslashes, NULL must stay NULL
and an empty text empty; everything in the caller's transaction, audited once per table.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import numpy as np
import pytest
from sqlalchemy import Table, func, select

from bettercities.areas import service as areas_service
from bettercities.areas.models import Area, City
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.audit.models import AuditEntry
from bettercities.indicators import service as indicators_service
from bettercities.indicators.models import ImportBatch, Observation
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.storage.database import Database
from bettercities.storage.workspace import Workspace

OBSERVATIONS = cast(Table, Observation.__table__)
BATCHES = cast(Table, ImportBatch.__table__)

AWKWARD_FLOATS = [
    1e-300,
    0.1 + 0.2,
    -0.0,
    0.0,
    1.7976931348623157e308,
    5e-324,  # the smallest subnormal
    -2.2250738585072014e-308,
    123456789012345680.0,
    1 / 3,
    math.nan,  # NULL in a column array
    1e16,
    -7.0,
]
AWKWARD_TEXTS = [
    "00123",
    "0",
    "tab\there",
    "line\nbreak and\r\ncarriage return",
    "back\\slash \\N \\t",
    "",
    '"quoted", with comma',
    "Ümlaut ß — 東京 🏙️ مرحبا",
    "  spaces around  ",
    "\\.",  # the end-of-data marker of COPY's text form
    "NULL",
    "a;b|c",
]


def _bits(value: float | None) -> bytes | None:
    """The double's exact bits (-0.0 differs from 0.0, NaN from None)."""
    return None if value is None else struct.pack(">d", value)


def _stored(db: Database, value: float) -> float:
    """What the backend keeps: SQLite stores a REAL without fraction as an integer, -0.0 as 0."""
    return 0.0 if db.is_sqlite and value == 0 else value


def _driver(db: Database, table: Table, column: str, value: Any) -> Any:
    """``value`` as the driver expects it (bulk inserts bypass SQLAlchemy's type processing)."""
    dialect = db.engine.dialect
    processor = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor is not None and value is not None else value


def _same_instant(db: Database, read: datetime | None, written: datetime | None) -> bool:
    if read is None or written is None:
        return read is written
    if db.is_postgresql:  # timestamptz: the same instant, whatever the zone it was given in
        return read.tzinfo is not None and read == written
    return read == written.astimezone(UTC).replace(tzinfo=None) or read == written.replace(tzinfo=None)


def _setup(ws: Workspace, areas: int) -> dict[str, Any]:
    with ws.database.session() as session:
        city = areas_service.create_city(session, CitySpec(slug="c", name="C", country="DE"))
        level = areas_service.ensure_level(session, city, LevelSpec(code="block", name_de="B", name_en="b"))
        areas_service.add_areas(
            session, city, level, [AreaSpec(code=f"{n:05d}", name=f"A{n}") for n in range(areas)]
        )
        indicator = indicators_service.register_indicator(
            session, IndicatorSpec(code="share", name_de="Anteil", name_en="share")
        )
        periods = indicators_service.ensure_periods(session, [parse_period("2020")])
        batch = ImportBatch(city_id=city.id, kind="observations", file_name="f.csv", file_sha256="0" * 64)
        session.add(batch)
        session.flush()
        area_ids = list(session.scalars(select(Area.id).order_by(Area.code)))
        return {
            "city_id": city.id,
            "indicator_id": indicator.id,
            "period_id": periods["2020"],
            "import_id": batch.id,
            "area_ids": area_ids,
        }


def test_columns_round_trip_floats_nulls_flags_and_timestamp(workspace: Workspace) -> None:
    db = workspace.database
    ids = _setup(workspace, len(AWKWARD_FLOATS))
    values = np.array(AWKWARD_FLOATS, dtype=np.float64)
    numerators = np.array([math.nan if n % 3 else n * 0.7 for n in range(len(values))])
    provisional = np.array([n % 2 == 0 for n in range(len(values))])
    created = datetime(2024, 3, 31, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    with db.session() as session:
        written = db.bulk_insert_columns(
            session,
            OBSERVATIONS,
            {
                "area_id": np.array(ids["area_ids"], dtype=np.int64),
                "value": values,
                "numerator": numerators,
                "denominator": np.full(len(values), math.nan),
                "provisional": provisional,
                "source_row": np.arange(2, len(values) + 2, dtype=np.int32),
            },
            constants={
                "indicator_id": ids["indicator_id"],
                "period_id": ids["period_id"],
                "estimated": False,
                "suppressed": True,
                "revision": 1,
                "is_current": True,
                "import_id": ids["import_id"],
                "created_at": _driver(db, OBSERVATIONS, "created_at", created),
            },
        )
    assert written == len(values)
    with db.reader() as session:
        rows = session.execute(select(*OBSERVATIONS.c).order_by(OBSERVATIONS.c.source_row)).all()
    assert [o.source_row for o in rows] == list(range(2, len(values) + 2))
    for o, value, numerator, flag in zip(rows, values, numerators, provisional, strict=True):
        assert _bits(o.value) == (None if math.isnan(value) else _bits(_stored(db, float(value)))), (
            o.source_row
        )
        assert _bits(o.numerator) == (None if math.isnan(numerator) else _bits(float(numerator)))
        assert o.denominator is None
        assert (o.provisional, o.estimated, o.suppressed) == (bool(flag), False, True)
        assert (o.indicator_id, o.period_id, o.import_id, o.revision, o.is_current) == (
            ids["indicator_id"],
            ids["period_id"],
            ids["import_id"],
            1,
            True,
        )
        assert _same_instant(db, o.created_at, created)


def test_rows_round_trip_texts_nulls_dates_and_infinities(workspace: Workspace) -> None:
    db = workspace.database
    ids = _setup(workspace, 1)
    started = [
        datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    ]
    rows = []
    for n, texts in enumerate(zip(AWKWARD_TEXTS, reversed(AWKWARD_TEXTS), strict=True)):
        file_name, options = texts
        rows.append(
            (
                "observations" if n % 2 else "areas",
                file_name,
                f"{n:05d}".rjust(64, "0"),  # leading zeros
                None if n % 3 == 0 else options,  # a nullable text: NULL and '' are different
                None if n % 4 == 1 else options,
                2**31 - 1 if n == 0 else -n,
                _driver(db, BATCHES, "started_at", started[n % 2]),
                None if n % 2 else _driver(db, BATCHES, "finished_at", started[0]),
            )
        )
    columns = ["kind", "file_name", "file_sha256", "user", "options", "rows", "started_at", "finished_at"]
    with db.session() as session:
        fixed = {"city_id": ids["city_id"], "inserted": 0, "revised": 0, "unchanged": 0}
        db.bulk_insert(session, BATCHES, columns, rows, constants=fixed)
    with db.reader() as session:
        read = session.execute(
            select(*BATCHES.c).where(BATCHES.c.id != ids["import_id"]).order_by(BATCHES.c.id)
        ).all()
    assert len(read) == len(rows)
    for batch, row in zip(read, rows, strict=True):
        assert (batch.kind, batch.file_name, batch.file_sha256, batch.user, batch.options, batch.rows) == row[
            :6
        ]
        assert batch.city_id == ids["city_id"]
    assert read[3].user is None and read[1].options is None  # NULL stays NULL …
    assert [b.file_name for b in read].count("") == 1  # … and the empty text stays empty
    assert read[0].file_sha256 == "0" * 64 and read[0].file_name == "00123"
    for n, batch in enumerate(read):
        assert _same_instant(db, batch.started_at, started[n % 2])
        assert _same_instant(db, batch.finished_at, None if n % 2 else started[0])


def test_rows_keep_infinities_and_dates(workspace: Workspace) -> None:
    db = workspace.database
    ids = _setup(workspace, 0)
    table = cast(Table, Area.__table__)
    with db.session() as session:
        city = areas_service.get_city(session, "c")
        the_level = areas_service.get_level(session, city, "block")
        floats = [math.inf, -math.inf, *AWKWARD_FLOATS[:9]]
        rows = [
            (
                f"{n:05d}",
                AWKWARD_TEXTS[n % len(AWKWARD_TEXTS)],
                value,
                None if n % 2 else _driver(db, table, "valid_from", date(1900 + n, 2, 28)),
            )
            for n, value in enumerate(floats)
        ]
        db.bulk_insert(
            session,
            table,
            ["code", "name", "area_km2", "valid_from"],
            rows,
            constants={"city_id": ids["city_id"], "level_id": the_level.id},
        )
    with db.reader() as session:
        read = session.execute(select(table.c.code, table.c.name, table.c.area_km2, table.c.valid_from)).all()
    by_code = {r.code: r for r in read}
    assert sorted(by_code) == [f"{n:05d}" for n in range(len(floats))]
    for n, value in enumerate(floats):
        got = by_code[f"{n:05d}"]
        assert got.name == AWKWARD_TEXTS[n % len(AWKWARD_TEXTS)]
        assert _bits(got.area_km2) == _bits(_stored(db, value)), (n, got.area_km2, value)
        assert got.valid_from == (None if n % 2 else date(1900 + n, 2, 28))


def test_a_failing_copy_leaves_nothing_and_one_audit_entry_per_table(workspace: Workspace) -> None:
    db = workspace.database
    ids = _setup(workspace, 3)
    constants = {
        "indicator_id": ids["indicator_id"],
        "period_id": ids["period_id"],
        "is_current": True,
        "import_id": ids["import_id"],
        "created_at": _driver(db, OBSERVATIONS, "created_at", datetime.now(UTC)),
        "provisional": False,
        "estimated": False,
        "suppressed": False,
        "revision": 1,
    }
    areas = np.array(ids["area_ids"], dtype=np.int64)
    # the driver's own error (the copy runs past SQLAlchemy): UniqueViolation, sqlite3.IntegrityError
    with pytest.raises(Exception, match=r"(?i)unique"), db.session() as session:
        db.bulk_insert_columns(
            session, OBSERVATIONS, {"area_id": areas, "value": np.ones(3)}, constants=constants
        )
        # the same keys again: the unique key refuses the second chunk, the first goes with it
        db.bulk_insert_columns(
            session, OBSERVATIONS, {"area_id": areas, "value": np.ones(3)}, constants=constants
        )
        session.flush()
    with db.reader() as session:
        assert session.execute(select(func.count()).select_from(OBSERVATIONS)).scalar_one() == 0

    with db.session() as session:  # two chunks, one transaction: one entry with the constant references
        db.bulk_insert_columns(
            session, OBSERVATIONS, {"area_id": areas[:2], "value": np.ones(2)}, constants=constants
        )
        db.bulk_insert_columns(
            session, OBSERVATIONS, {"area_id": areas[2:], "value": np.ones(1)}, constants={**constants}
        )
    with db.reader() as session:
        entries = session.execute(
            select(AuditEntry.after, AuditEntry.reference).where(
                AuditEntry.action == "bulk-insert", AuditEntry.entity == "observation"
            )
        ).all()
    assert len(entries) == 1
    assert entries[0].after == {"rows": 3}
    assert f"import_batch {ids['import_id']}" in (entries[0].reference or "")


def test_columns_need_arrays_of_one_length(workspace: Workspace) -> None:
    db = workspace.database
    with db.session() as session:
        with pytest.raises(ValueError, match="different lengths"):
            db.bulk_insert_columns(session, OBSERVATIONS, {"area_id": np.ones(2), "value": np.ones(3)})
        with pytest.raises(ValueError, match="no column arrays"):
            db.bulk_insert_columns(session, OBSERVATIONS, {}, constants={"revision": 1})
        with pytest.raises(ValueError, match="no columns"):
            db.bulk_insert_columns(session, OBSERVATIONS, {"nonsense": np.ones(1)})
        # a server default stands for a constant; only a PostgreSQL load sets such defaults
        with pytest.raises(ValueError, match=r"server defaults \['revision'\] are not constants"):
            db.bulk_insert_columns(session, OBSERVATIONS, {"value": np.ones(1)}, server_defaults=["revision"])
        if not db.is_postgresql:
            with pytest.raises(ValueError, match="set by a PostgreSQL bulk load only"):
                db.bulk_insert_columns(
                    session,
                    OBSERVATIONS,
                    {"value": np.ones(1)},
                    constants={"revision": 1},
                    server_defaults=["revision"],
                )


def test_rows_with_text_for_a_timestamp_are_copied_as_given(workspace: Workspace) -> None:
    """A value of another type than its column (text for a timestamp) leaves the server to parse it."""
    db = workspace.database
    table = cast(Table, City.__table__)
    with db.session() as session:
        db.bulk_insert(
            session,
            table,
            ("slug", "name", "country", "created_at"),
            [("t", "T\tab", "DE", "2020-01-02 03:04:05")],
        )
    with db.reader() as session:
        name, created = session.execute(
            select(table.c.name, table.c.created_at).where(table.c.slug == "t")
        ).one()
    assert name == "T\tab"
    assert (created.year, created.month, created.day, created.hour, created.minute) == (2020, 1, 2, 3, 4)
