"""A large import into PostgreSQL checks its foreign keys set-wise (and rebuilds the indexes of a table it
outgrows), as a role that is not a superuser.

The workspace's database belongs to a login role without superuser rights that ran the migrations (it
owns the tables), as a city's installation would have it. :data:`SET_WISE_FROM` is lowered to one row so
that the test city's small files take the path a million-row file takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from bettercities.core.errors import InvalidInput
from bettercities.indicators.models import ImportBatch, Observation
from bettercities.ingest.schemas import ImportResult, ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.storage import bulk_load
from bettercities.storage.workspace import Workspace
from tests.support.postgres import PostgresServer

from .conftest import build_city, counts, write

pytestmark = pytest.mark.postgres

ROLE = "bc_importer"
OPTIONS = ObservationImportOptions(level="block", layout="long", id_column="area")
INDEXES = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'observation' ORDER BY indexname"
FOREIGN_KEYS = (
    "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
    "WHERE conrelid = 'observation'::regclass AND contype = 'f' ORDER BY conname"
)


@pytest.fixture(scope="module")
def owned(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A workspace whose database and tables belong to a role that is not a superuser."""
    with postgres_server.connect() as conn:
        conn.execute(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    postgres_server.create_database("bc_set_wise", postgis=postgres_server.has_postgis())
    with postgres_server.connect() as conn:
        conn.execute(f"ALTER DATABASE bc_set_wise OWNER TO {ROLE}")
    url = postgres_server.url("bc_set_wise").replace("postgres@", f"{ROLE}@")
    ws = Workspace.init(tmp_path_factory.mktemp("set-wise") / "workspace", database_url=url)
    build_city(ws)
    yield ws
    ws.close()


@pytest.fixture
def set_wise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_load, "SET_WISE_FROM", 1)


def _import_ages(ws: Workspace, folder: Path, year: int) -> ImportResult:
    """Import the median age of the five blocks for ``year`` (values 41-45, rows 2-6), without screening."""
    rows = "".join(f"B{a},median_age,{year},{40 + a}\n" for a in range(1, 6))
    csv = write(folder / f"ages{year}.csv", "area,indicator,period,value\n" + rows)
    return import_observations(ws.database, "testcity", csv, OPTIONS, screen_outliers=False)


def _keys(ws: Workspace) -> list[tuple[str, str, bool]]:
    with ws.database.reader() as session:
        return [tuple(row) for row in session.execute(text(FOREIGN_KEYS)).all()]


def test_the_role_is_not_a_superuser(owned: Workspace) -> None:
    with owned.database.reader() as session:
        assert session.execute(
            text("SELECT current_user, usesuper FROM pg_user WHERE usename = current_user")
        ).one() == (
            ROLE,
            False,
        )


def test_one_unknown_area_gets_its_row_and_nothing_is_written(
    owned: Workspace, set_wise: None, tmp_path: Path
) -> None:
    before, keys = counts(owned), _keys(owned)
    csv = write(
        tmp_path / "one_unknown.csv",
        "area,indicator,period,value\nB1,inhabitants,2024,10\nXX,inhabitants,2024,12\n",
    )
    with pytest.raises(InvalidInput) as caught:
        import_observations(owned.database, "testcity", csv, OPTIONS, screen_outliers=False)
    problems = caught.value.report.problems  # type: ignore[union-attr]
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [("unknown-area", 3, "area", "XX")]
    assert counts(owned) == before and _keys(owned) == keys


def test_imports_are_written_and_the_keys_are_back(owned: Workspace, set_wise: None, tmp_path: Path) -> None:
    keys = [(name, definition.removesuffix(" NOT VALID")) for name, definition, _ in _keys(owned)]
    assert len(keys) == 4  # indicator, area, period, import batch
    with owned.database.reader() as session:
        indexes = session.execute(text(INDEXES)).all()
    assert len(indexes) == 3  # primary key, unique key, area
    for year in (2021, 2022):  # the second import finds the constraints the first one re-added
        result = _import_ages(owned, tmp_path, year)
        assert result.inserted == 5 and result.batch_id is not None
        # the same constraints by name and definition, NOT VALID (added without a scan of the table)
        assert _keys(owned) == [(name, f"{definition} NOT VALID", False) for name, definition in keys]
        with owned.database.reader() as session:
            stored = session.execute(
                text(
                    "SELECT count(*), min(source_row), max(source_row) FROM observation WHERE import_id = :b"
                ),
                {"b": result.batch_id},
            ).one()
        assert tuple(stored) == (5, 2, 6)
        # the first load outgrows the empty table: its indexes were rebuilt, the same as before
        assert session.execute(text(INDEXES)).all() == indexes


def test_a_missing_reference_is_found_set_wise_and_the_keys_stay(owned: Workspace, set_wise: None) -> None:
    keys, before = _keys(owned), counts(owned)
    table: Table = Observation.__table__  # type: ignore[assignment]
    references = {
        "indicator_id": np.array([1, 1]),
        "area_id": np.array([1, 999_999]),  # an area deleted after the file was validated
        "period_id": np.array([1, 1]),
        "import_id": np.array([1]),
    }
    checked = bulk_load.bulk_load
    with owned.database.session() as session:
        with (
            pytest.raises(bulk_load.MissingReferences) as caught,
            checked(owned.database, session, table, references, rows=2),
        ):
            raise AssertionError("the block must not run")
        assert caught.value.missing["area_id"] == [999_999]
        session.rollback()
    assert _keys(owned) == keys and counts(owned) == before


def test_an_area_deleted_during_the_import_is_reported_by_row(
    owned: Workspace, set_wise: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bettercities.areas.models import Area

    with owned.database.reader() as session:
        b2 = session.execute(select(Area.id).where(Area.code == "B2")).scalar_one()
    # as if B2 had been deleted after the file was validated: the set-wise check finds its id missing
    monkeypatch.setattr(bulk_load, "_missing", lambda *_: {"area_id": [b2]})
    before, keys = counts(owned), _keys(owned)
    csv = write(tmp_path / "gone.csv", "area,indicator,period,value\nB1,change,2023,1\nB2,change,2023,2\n")
    with pytest.raises(InvalidInput) as caught:
        import_observations(owned.database, "testcity", csv, OPTIONS, screen_outliers=False)
    problems = caught.value.report.problems  # type: ignore[union-attr]
    assert [(p.code, p.row, p.column) for p in problems] == [("unknown-area", 3, "area")]
    assert counts(owned) == before and _keys(owned) == keys


HEADER = "area,indicator,period,value\n"
REFERRING = (
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE confrelid = 'observation'::regclass AND contype = 'f' ORDER BY 1, 2"
)


def test_rows_bring_a_block_of_ids_and_the_primary_key_is_rebuilt(
    owned: Workspace, set_wise: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that outgrows the table rebuilds its primary key (the outlier flags' key to it dropped and
    added again), its rows bring ids reserved as one block; later inserts draw the ids after that block."""
    with owned.database.reader() as session:
        referring = session.execute(text(REFERRING)).all()
    assert [row[:2] for row in referring] == [("outlier_flag", "fk_outlier_flag_observation_id_observation")]
    with owned.database.session() as session:
        session.execute(text("TRUNCATE observation CASCADE"))
        session.execute(text("ANALYZE observation"))  # the planner's count: the table is empty
    first = _import_ages(owned, tmp_path, 2019)
    monkeypatch.setattr(bulk_load, "SET_WISE_FROM", 10**9)  # the next one draws ids row by row
    second = _import_ages(owned, tmp_path, 2020)
    with owned.database.reader() as session:
        ids = session.execute(text("SELECT import_id, id, source_row FROM observation ORDER BY id")).all()
        # the outlier flags still refer to observations (added again, NOT VALID: their rows were not touched)
        after = session.execute(text(REFERRING)).all()
        assert [(*row[:2], row[2].removesuffix(" NOT VALID")) for row in after] == [
            (*row[:2], row[2].removesuffix(" NOT VALID")) for row in referring
        ]
        primary = session.execute(
            text(
                "SELECT count(*) FROM pg_constraint "
                "WHERE conrelid = 'observation'::regclass AND contype = 'p'"
            )
        ).scalar_one()
    assert primary == 1
    # five ids in the order of the rows, then five more after them
    assert [row[0] for row in ids] == [first.batch_id] * 5 + [second.batch_id] * 5
    assert [row[1] for row in ids] == list(range(ids[0][1], ids[0][1] + 10))
    assert [row[2] for row in ids] == [2, 3, 4, 5, 6] * 2


DEFAULTS = (
    "SELECT column_name, column_default FROM information_schema.columns "
    "WHERE table_name = 'observation' AND column_default IS NOT NULL ORDER BY 1"
)


def test_columns_alike_in_every_row_are_filled_by_the_server_and_their_defaults_go_again(
    owned: Workspace, set_wise: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch, the time, the flags and the empty numerators are the same in every row of a load: the
    server fills them as the columns' defaults for the load, and the table's defaults are as before after."""
    with owned.database.reader() as session:
        defaults = session.execute(text(DEFAULTS)).all()
    assert [row[0] for row in defaults] == ["id"]  # the sequence; the other defaults are the application's
    seen: list[tuple[frozenset[str], list[tuple[str, str]]]] = []
    real = bulk_load.column_defaults

    @contextmanager
    def watched(session: Session, table: Table, values: dict) -> Iterator[frozenset[str]]:
        with real(session, table, values) as given:
            seen.append((given, [tuple(row) for row in session.execute(text(DEFAULTS)).all()]))
            yield given

    monkeypatch.setattr(bulk_load, "column_defaults", watched)
    result = _import_ages(owned, tmp_path, 2017)
    ((given, during),) = seen
    expected = {"is_current", "import_id", "created_at", "indicator_id", "period_id", "revision"}
    expected |= {"numerator", "denominator", "provisional", "estimated", "suppressed"}
    assert given == expected  # every column but the id, the area, the value and the row
    during_names = {name for name, _ in during}
    assert during_names == {"id"} | expected - {"numerator", "denominator"}  # NULL needs no default
    with owned.database.reader() as session:
        assert session.execute(text(DEFAULTS)).all() == defaults
        stored = session.execute(
            text(
                "SELECT DISTINCT import_id, is_current, revision, provisional, estimated, suppressed, "
                "numerator IS NULL, denominator IS NULL, created_at IS NOT NULL FROM observation "
                "WHERE import_id = :b"
            ),
            {"b": result.batch_id},
        ).all()
        values = session.execute(
            text("SELECT source_row, value FROM observation WHERE import_id = :b ORDER BY source_row"),
            {"b": result.batch_id},
        ).all()
    assert [tuple(row) for row in stored] == [
        (result.batch_id, True, 1, False, False, False, True, True, True)
    ]
    assert [tuple(row) for row in values] == [(a + 1, 40.0 + a) for a in range(1, 6)]


def test_a_column_with_a_default_of_its_own_is_left_alone(owned: Workspace) -> None:
    table: Table = Observation.__table__  # type: ignore[assignment]
    with owned.database.session() as session:
        with bulk_load.column_defaults(
            session, table, {"id": 7, "is_current": True, "numerator": None}
        ) as given:
            assert given == {"is_current", "numerator"}  # id keeps its sequence
            during: dict[str, str] = {row[0]: row[1] for row in session.execute(text(DEFAULTS)).all()}
            assert during["is_current"] == "true" and during["id"].startswith("nextval(")
        assert [row[0] for row in session.execute(text(DEFAULTS)).all()] == ["id"]
        session.rollback()


def test_defaults_read_back_exactly_whatever_the_value(owned: Workspace, tmp_path: Path) -> None:
    """A float's sign of zero survives (psycopg writes -0.0 as a number, which PostgreSQL reads as a
    numeric without one); a text with ``%``, a colon and quotes is set as it is."""
    csv = write(tmp_path / "period.csv", HEADER + "B1,change,2016,1\n")  # a period to refer to
    import_observations(owned.database, "testcity", csv, OPTIONS, screen_outliers=False)
    observation: Table = Observation.__table__  # type: ignore[assignment]
    batch: Table = ImportBatch.__table__  # type: ignore[assignment]
    text_value = "50% :off 'quoted' \\ done"
    with owned.database.session() as session:
        with (
            bulk_load.column_defaults(
                session, observation, {"numerator": -0.0, "value": 1e-320, "denominator": np.float64(-2.5)}
            ),
            bulk_load.column_defaults(session, batch, {"file_name": text_value}),
        ):
            signs = session.execute(
                text(
                    "INSERT INTO observation (indicator_id, area_id, period_id, provisional, estimated, "
                    "suppressed, revision, is_current, created_at) "
                    "SELECT (SELECT min(id) FROM indicator), (SELECT min(id) FROM area), "
                    "(SELECT min(id) FROM period), false, false, false, 99, false, now() "
                    "RETURNING CAST(numerator AS text), value, denominator"
                )
            ).one()
            assert tuple(signs) == ("-0", 1e-320, -2.5)
            stored = session.execute(
                text(
                    "INSERT INTO import_batch (kind, file_name, file_sha256, rows, inserted, revised, "
                    "unchanged, started_at) VALUES ('observations', DEFAULT, 'x', 0, 0, 0, 0, now()) "
                    "RETURNING file_name"
                )
            ).scalar_one()
            assert stored == text_value
        session.rollback()
