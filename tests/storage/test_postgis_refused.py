"""A workspace on PostgreSQL where PostGIS cannot be created: one clear warning and a working workspace when
the server refuses it for good (a role's privileges, a broken set-up); a failed migration, retried next time,
when the failure is passing (a cancel, a timeout, a lost connection)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from bettercities.storage.workspace import Workspace
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

ROLE = "bc_no_postgis"
DATABASE = "bc_no_postgis"
migration = importlib.import_module("bettercities.storage.migrations.versions.0002_postgis")


@pytest.fixture
def server(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """The session's server, which must have PostGIS installed (scripts/install-system-deps installs it; a
    skip would hide that nothing was tried); the test's role and database dropped after it."""
    if not postgres_server.has_postgis():
        pytest.fail("PostGIS is not installed on the test server: run scripts/install-system-deps")
    try:
        yield postgres_server
    finally:
        postgres_server.drop_database(DATABASE)
        with postgres_server.connect() as conn:
            conn.execute(f"DROP ROLE IF EXISTS {ROLE}")


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "PostGIS" in r.getMessage()]


def _columns(ws: Workspace) -> set[str]:
    with ws.database.reader() as session:
        sql = text("SELECT column_name FROM information_schema.columns WHERE table_name = 'area'")
        return set(session.execute(sql).scalars())


def _init(path: Path, url: str, caplog: pytest.LogCaptureFixture) -> tuple[set[str], list[str]]:
    with caplog.at_level(logging.WARNING):
        ws = Workspace.init(path, database_url=url)
    try:
        return _columns(ws), _warnings(caplog)
    finally:
        ws.close()


def test_a_role_that_may_not_create_postgis_is_told_once_and_how(
    server: PostgresServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with server.connect() as conn:
        conn.execute(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    server.create_database(DATABASE)  # without the extension
    with server.connect() as conn:
        conn.execute(f"ALTER DATABASE {DATABASE} OWNER TO {ROLE}")
    columns, warnings = _init(
        tmp_path / "workspace", server.url(DATABASE).replace("postgres@", f"{ROLE}@"), caplog
    )
    assert len(warnings) == 1
    (message,) = warnings
    assert "\n" not in message
    assert f"role '{ROLE}' may not create it in database '{DATABASE}'" in message
    assert "permission denied to create extension" in message
    assert "have a superuser run CREATE EXTENSION postgis" in message
    assert "create it anew to have PostGIS" in message
    assert "sqlalche.me" not in message and "[SQL:" not in message
    assert "geom" not in columns  # GeoJSON only, as the message says


def test_a_server_whose_postgis_fails_otherwise_is_not_blamed_on_the_role(
    server: PostgresServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.create_database(DATABASE)
    with server.connect(DATABASE) as conn:  # a table in the way of the extension's own
        conn.execute("CREATE TABLE spatial_ref_sys (srid integer)")
    columns, warnings = _init(tmp_path / "workspace", server.url(DATABASE), caplog)
    (message,) = warnings
    assert "CREATE EXTENSION postgis failed in database" in message and "as role 'postgres'" in message
    assert "spatial_ref_sys" in message  # the server's reason
    assert "may not" not in message and "superuser" not in message
    assert "geom" not in columns


@pytest.mark.parametrize(
    ("sqlstate", "transient"),
    [
        ("42501", False),  # insufficient privilege: warned, the workspace goes on without PostGIS
        ("42P07", False),  # duplicate table: a broken set-up, warned
        ("0A000", False),  # feature not supported (a managed server's extension allow-list)
        ("57014", True),  # query canceled (a cancel, a statement timeout)
        ("55P03", True),  # lock not available
        ("40P01", True),  # deadlock detected
        ("08006", True),  # connection failure
        ("", False),  # no SQLSTATE at all
    ],
)
def test_passing_failures_fail_the_migration_and_lasting_ones_are_warned(
    sqlstate: str, transient: bool
) -> None:
    class Orig(Exception):
        pass

    orig = Orig("")  # an empty message too: the warning must still be written
    orig.sqlstate = sqlstate or None  # type: ignore[attr-defined]
    error = sa.exc.DBAPIError("CREATE EXTENSION IF NOT EXISTS postgis", None, orig)
    assert migration._transient(error) is transient
    assert migration._sqlstate(error) == sqlstate
