"""Observation imports on SQLite and PostgreSQL: provenance, all or nothing, revisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bettercities.core.errors import InvalidInput
from bettercities.indicators.models import ImportBatch, Observation
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations, observation_revisions
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL, counts, write

WIDE = "id;inhabitants;unemployed_share;median_age\nB1;100;5,5;40\nB2;200;6,25;41\nB3;300;;42\n"


def current(ws: Workspace) -> dict[tuple[str, str], tuple[float | None, int, bool]]:
    """(area id, indicator id) -> (value, revision, suppressed) of the current observations."""
    with ws.database.reader() as session:
        rows = session.execute(
            select(
                Observation.area_id,
                Observation.indicator_id,
                Observation.value,
                Observation.revision,
                Observation.suppressed,
            ).where(Observation.is_current.is_(True))
        ).all()
    return {(str(r[0]), str(r[1])): (r[2], r[3], r[4]) for r in rows}


def test_wide_import_with_provenance(city_ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "wide.csv", WIDE)
    seen: list[tuple[int, int]] = []
    result = import_observations(
        city_ws.database,
        CITY,
        path,
        ObservationImportOptions(level=LEVEL, period="31.12.2019"),
        user="anna",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (result.rows, result.observations, result.inserted, result.empty) == (3, 8, 8, 1)
    assert result.periods == ["2019-12-31"] and result.indicators == [
        "inhabitants",
        "median_age",
        "unemployed_share",
    ]
    assert seen[0] == (0, 8) and seen[-1] == (8, 8)
    with city_ws.database.reader() as session:
        batch = session.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.kind, batch.user, batch.rows, batch.inserted, batch.unchanged) == (
            "observations",
            "anna",
            3,
            8,
            0,
        )
        assert json.loads(batch.options or "{}")["period"] == "31.12.2019"
        assert batch.finished_at is not None
        rows = session.execute(
            select(
                Observation.value, Observation.source_row, Observation.import_id, Observation.revision
            ).order_by(Observation.source_row, Observation.value)
        ).all()
    assert [(r.value, r.source_row) for r in rows[:3]] == [(5.5, 2), (40.0, 2), (100.0, 2)]
    assert {(r.import_id, r.revision) for r in rows} == {(result.batch_id, 1)}


def test_refused_file_leaves_stored_data_alone(city_ws: Workspace, tmp_path: Path) -> None:
    import_observations(
        city_ws.database,
        CITY,
        write(tmp_path / "ok.csv", WIDE),
        ObservationImportOptions(level=LEVEL, period="2019"),
    )
    before = counts(city_ws)
    stored = current(city_ws)
    # one good change and one bad cell: nothing of it may be written
    bad = write(tmp_path / "bad.csv", WIDE.replace("B1;100", "B1;999").replace("41", "4l"))
    with pytest.raises(InvalidInput) as refused:
        import_observations(city_ws.database, CITY, bad, ObservationImportOptions(level=LEVEL, period="2019"))
    assert refused.value.report is not None
    assert [(p.code, p.row, p.column, p.value) for p in refused.value.report.problems] == [
        ("type-error", 3, "median_age", "4l")
    ]
    assert counts(city_ws) == before
    assert current(city_ws) == stored


def test_revisions(city_ws: Workspace, tmp_path: Path) -> None:
    first = import_observations(
        city_ws.database,
        CITY,
        write(tmp_path / "a.csv", WIDE),
        ObservationImportOptions(level=LEVEL, period="2019"),
    )
    assert counts(city_ws) == (8, 1)

    again = import_observations(
        city_ws.database,
        CITY,
        write(tmp_path / "b.csv", WIDE),
        ObservationImportOptions(level=LEVEL, period="2019"),
    )
    assert (again.batch_id, again.inserted, again.revised, again.unchanged) == (None, 0, 0, 8)
    assert counts(city_ws) == (8, 1)  # nothing new, not even a batch

    changed = WIDE.replace("B2;200", "B2;210") + "B4;400;;\n"
    third = import_observations(
        city_ws.database,
        CITY,
        write(tmp_path / "c.csv", changed),
        ObservationImportOptions(level=LEVEL, period="2019"),
    )
    assert (third.inserted, third.revised, third.unchanged) == (1, 1, 7)
    assert counts(city_ws) == (10, 2)

    with city_ws.database.reader() as session:
        history = observation_revisions(session, CITY, "B2", "inhabitants", "2019", level=LEVEL)
    assert [(h.revision, h.value, h.is_current, h.import_id) for h in history] == [
        (2, 210.0, True, third.batch_id),
        (1, 200.0, False, first.batch_id),
    ]
    assert history[0].file_name == "c.csv" and history[0].source_row == 3

    flagged = "area,indicator,period,value,suppressed\nB2,inhabitants,2019,210,x\n"
    fourth = import_observations(
        city_ws.database,
        CITY,
        write(tmp_path / "d.csv", flagged),
        ObservationImportOptions(level=LEVEL, layout="long", id_column="area"),
    )
    assert (fourth.revised, fourth.unchanged) == (1, 0)  # a changed flag is a revision too
    with city_ws.database.reader() as session:
        internal = observation_revisions(session, CITY, "B2", "inhabitants", "2019")
        public = observation_revisions(session, CITY, "B2", "inhabitants", "2019", audience=Audience.PUBLIC)
    assert [(h.revision, h.suppressed, h.value) for h in internal] == [
        (3, True, 210.0),
        (2, False, 210.0),
        (1, False, 200.0),
    ]
    assert [h.value for h in public] == [None, 210.0, 200.0]  # a suppressed cell is never published


def test_dry_run_writes_nothing(city_ws: Workspace, tmp_path: Path) -> None:
    result = import_observations(
        city_ws.database,
        CITY,
        write(tmp_path / "a.csv", WIDE),
        ObservationImportOptions(level=LEVEL, period="2019"),
        dry_run=True,
    )
    assert (result.dry_run, result.inserted, result.batch_id) == (True, 8, None)
    assert counts(city_ws) == (0, 0)


def test_excel_long_layout(city_ws: Workspace, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Gebiet", "Merkmal", "Jahr", "Wert", "Zähler", "Nenner", "vorläufig"])
    sheet.append(["B1", "ALQ", 2020, 5.0, 5, 100, "x"])
    sheet.append(["B2", "ALQ", 2020, None, 7, 200, None])
    sheet.append(["B3", "EW", 2020, 1234, None, None, 0])
    path = tmp_path / "long.xlsx"
    book.save(path)
    result = import_observations(
        city_ws.database,
        CITY,
        path,
        ObservationImportOptions(
            level=LEVEL,
            layout="long",
            id_column="Gebiet",
            indicator_column="Merkmal",
            period_column="Jahr",
            value_column="Wert",
            numerator_column="Zähler",
            denominator_column="Nenner",
            provisional_column="vorläufig",
            mapping={"ALQ": "unemployed_share", "EW": "inhabitants"},
        ),
    )
    assert (result.inserted, result.report.problems) == (3, [])
    with city_ws.database.reader() as session:
        rows = session.execute(
            select(
                Observation.source_row, Observation.value, Observation.numerator, Observation.provisional
            ).order_by(Observation.source_row)
        ).all()
    assert [tuple(r) for r in rows] == [(2, 5.0, 5.0, True), (3, 3.5, 7.0, False), (4, 1234.0, None, False)]
