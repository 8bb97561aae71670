"""Backup -> wipe -> restore on SQLite and PostgreSQL: every table's rows come back, checksums hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bettercities.cli.main import app
from bettercities.core.errors import BettercitiesError
from bettercities.storage import backup as snapshots
from bettercities.storage.database import Database
from bettercities.storage.workspace import DB_FILE, Workspace
from tests.web.citybuilder import build_city

#: Its value is bumped past the snapshot's on restore, on purpose (caches key on it).
VERSION_TABLE = "data_version"
#: A restore appends its own entry to the restored log, on purpose (tests/audit checks the log's rows).
AUDIT_TABLE = "audit_entry"


def contents(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (in a stable order), except PostGIS' own table, the data version and the
    audit log."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for name in db.table_names():
            if name in snapshots.EXTENSION_TABLES or name in (VERSION_TABLE, AUDIT_TABLE):
                continue
            # Plain SQL, not reflection: SQLAlchemy does not know PostGIS' geometry (its text form compares).
            rows = conn.execute(text(f'SELECT * FROM "{name}"'))
            result[name] = sorted((tuple(row) for row in rows), key=repr)
    return result


def wipe(ws: Workspace) -> None:
    db = ws.database
    if db.is_sqlite:
        ws.close()
        for suffix in ("", "-wal", "-shm"):
            (ws.path / (DB_FILE + suffix)).unlink(missing_ok=True)
    else:
        with db.engine.begin() as conn:
            for name in db.table_names():
                if name not in snapshots.EXTENSION_TABLES:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        ws.close()
    assert [n for n in ws.database.table_names() if n not in snapshots.EXTENSION_TABLES] == []
    ws.close()  # a pooled connection would keep reading the replaced SQLite file


@pytest.fixture
def city_workspace(workspace: Workspace) -> Workspace:
    build_city(workspace, suppress=(("inhabitants", "district-1-planning_area-1", "2021"),))
    (workspace.uploads / "nested").mkdir(parents=True)
    (workspace.uploads / "nested" / "areas.geojson").write_text('{"type": "FeatureCollection"}', "utf-8")
    return workspace


def test_round_trip(city_workspace: Workspace, tmp_path: Path) -> None:
    ws = city_workspace
    before = contents(ws.database)
    version = ws.database.data_version()
    assert sum(len(rows) for rows in before.values()) > 50

    manifest = snapshots.backup(ws, tmp_path / "snap")

    assert manifest.backend == ("sqlite" if ws.database.is_sqlite else "postgresql")
    assert manifest.data_version == version
    assert manifest.alembic_heads == sorted(ws.database.current_heads())
    assert manifest.row_counts["observation"] == len(before["observation"]) > 0
    files = sorted(
        p.relative_to(tmp_path / "snap").as_posix() for p in (tmp_path / "snap").rglob("*") if p.is_file()
    )
    assert files == sorted([*manifest.files, "manifest.json"])
    assert "uploads/nested/areas.geojson" in manifest.files
    assert manifest.files == {
        name: snapshots.sha256(tmp_path / "snap" / name) for name in files if name != "manifest.json"
    }
    assert snapshots.read_manifest(tmp_path / "snap") == manifest

    wipe(ws)
    (ws.uploads / "nested" / "areas.geojson").unlink()
    restored = snapshots.restore(ws, tmp_path / "snap")

    assert restored == manifest
    assert contents(ws.database) == before
    assert ws.database.data_version() > version  # never rewound: caches keyed on older versions stay stale
    assert (ws.uploads / "nested" / "areas.geojson").read_text("utf-8") == '{"type": "FeatureCollection"}'
    assert ws.database.schema_is_current()
    # the snapshot is untouched by the restore
    assert manifest.files == {name: snapshots.sha256(tmp_path / "snap" / name) for name in manifest.files}


def test_tampered_file_is_refused_and_nothing_touched(city_workspace: Workspace, tmp_path: Path) -> None:
    ws = city_workspace
    snapshots.backup(ws, tmp_path / "snap")
    with (tmp_path / "snap" / "uploads" / "nested" / "areas.geojson").open("a") as stream:
        stream.write(" ")
    before = contents(ws.database)
    with pytest.raises(
        BettercitiesError, match=r"uploads/nested/areas\.geojson .*does not match its checksum"
    ):
        snapshots.restore(ws, tmp_path / "snap", force=True)
    assert contents(ws.database) == before


def test_tampered_database_is_refused(city_workspace: Workspace, tmp_path: Path) -> None:
    snapshots.backup(city_workspace, tmp_path / "snap")
    name = "database.sqlite" if city_workspace.database.is_sqlite else "database.pgdump"
    data = bytearray((tmp_path / "snap" / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "snap" / name).write_bytes(bytes(data))
    wipe(city_workspace)
    with pytest.raises(BettercitiesError, match=rf"{name} .*does not match its checksum"):
        snapshots.restore(city_workspace, tmp_path / "snap")


def test_non_empty_database_needs_force(city_workspace: Workspace, tmp_path: Path) -> None:
    ws = city_workspace
    manifest = snapshots.backup(ws, tmp_path / "snap")
    before = contents(ws.database)
    with pytest.raises(BettercitiesError, match=r"not empty .*--force"):
        snapshots.restore(ws, tmp_path / "snap")
    assert contents(ws.database) == before
    assert snapshots.restore(ws, tmp_path / "snap", force=True) == manifest
    assert contents(ws.database) == before


def test_backup_refuses_a_folder_with_files(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(BettercitiesError, match="not an empty folder"):
        snapshots.backup(workspace, tmp_path / "busy")


def test_snapshot_of_other_backend_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    manifest = snapshots.backup(workspace, tmp_path / "snap")
    other = "postgresql" if manifest.backend == "sqlite" else "sqlite"
    data = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    data["backend"] = other
    data["files"] = {("database.pgdump" if other == "postgresql" else "database.sqlite"): "0" * 64}
    (tmp_path / "snap" / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(BettercitiesError, match=r"checksum|missing"):
        snapshots.restore(workspace, tmp_path / "snap")


def test_libpq_environment_keeps_the_password_out_of_arguments() -> None:
    from sqlalchemy.engine import make_url

    env = snapshots.libpq_environment(
        make_url("postgresql+psycopg://ann:s3cret@db.example:5433/city?sslmode=require")
    )
    assert env == {
        "PGHOST": "db.example",
        "PGPORT": "5433",
        "PGUSER": "ann",
        "PGPASSWORD": "s3cret",
        "PGDATABASE": "city",
        "PGSSLMODE": "require",
    }


def test_cli_backup_and_restore(city_workspace: Workspace, tmp_path: Path) -> None:
    ws = city_workspace
    before = contents(ws.database)
    url = ws.database_url
    common = ["--workspace", str(ws.path), *(["--database-url", url] if url else [])]
    runner = CliRunner()

    result = runner.invoke(app, ["backup", *common, "--out", str(tmp_path / "snap")])
    assert result.exit_code == 0, result.output
    assert "Snapshot of" in result.output and "files" in result.output

    refused = runner.invoke(app, ["restore", *common, "--from", str(tmp_path / "snap")])
    assert refused.exit_code == 1 and "--force" in refused.output

    wipe(ws)
    result = runner.invoke(app, ["restore", *common, "--from", str(tmp_path / "snap")])
    assert result.exit_code == 0, result.output
    assert "checksums and row counts verified" in result.output
    assert contents(ws.database) == before


def test_restore_into_an_initialised_empty_workspace(
    city_workspace: Workspace, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An initialised workspace holds rows only where the database derives them (the hub's full-text index
    writes its configuration rows when it is created): it is empty, a restore needs no ``--force``."""
    before = contents(city_workspace.database)
    snapshots.backup(city_workspace, tmp_path / "snap")
    url = None
    if city_workspace.database_url:
        url = request.getfixturevalue("postgres_server").create_database("bc_restore_initialised")
    empty = Workspace.init(tmp_path / "initialised", database_url=url)
    try:
        snapshots.restore(empty, tmp_path / "snap")
        assert contents(empty.database) == before
    finally:
        empty.close()


def test_restore_into_a_new_workspace(
    city_workspace: Workspace, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    before = contents(city_workspace.database)
    snapshots.backup(city_workspace, tmp_path / "snap")
    url = None
    if city_workspace.database_url:
        url = request.getfixturevalue("postgres_server").create_database("bc_restore_target")
    fresh = Workspace(path=tmp_path / "elsewhere", database_url=url)  # neither folder nor schema yet
    try:
        snapshots.restore(fresh, tmp_path / "snap")
        assert fresh.exists() and contents(fresh.database) == before
        assert Workspace.open(fresh.path, database_url=url).database.schema_is_current()
    finally:
        fresh.close()


def test_sqlite_backup_while_the_app_writes(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    """The online backup API copies one committed state while another connection keeps writing (WAL)."""
    import sqlite3
    import threading

    ws = sqlite_workspace
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for number in range(4):
                build_city(ws, slug=f"city{number}", name=f"City {number}")
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    manifests: list[snapshots.Manifest] = []
    while not done.is_set() or not manifests:
        manifests.append(snapshots.backup(ws, tmp_path / f"snap{len(manifests)}"))
    writer.join()
    assert not errors
    # The last backup in the loop may have started before the writer's first commit; one taken after the
    # writer has ended holds every city.
    manifests.append(snapshots.backup(ws, tmp_path / f"snap{len(manifests)}"))
    for number, manifest in enumerate(manifests):
        copy = sqlite3.connect(tmp_path / f"snap{number}" / "database.sqlite")
        try:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            for name, count in manifest.row_counts.items():
                assert copy.execute(f'SELECT count(*) FROM "{name}"').fetchone() == (count,)
        finally:
            copy.close()
    assert manifests[-1].row_counts["city"] == 4
