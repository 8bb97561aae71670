"""A workspace on PostgreSQL whose role may not create PostGIS: one clear warning, and a working workspace."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from bettercities.storage.workspace import Workspace
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

ROLE = "bc_no_postgis"
DATABASE = "bc_no_postgis"


def test_a_role_that_may_not_create_postgis_is_told_once_and_how(
    postgres_server: PostgresServer, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    if (
        not postgres_server.has_postgis()
    ):  # scripts/install-system-deps installs it; without it nothing is tried
        pytest.fail("PostGIS is not installed on the test server: run scripts/install-system-deps")
    with postgres_server.connect() as conn:
        conn.execute(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    postgres_server.create_database(DATABASE)  # without the extension
    with postgres_server.connect() as conn:
        conn.execute(f"ALTER DATABASE {DATABASE} OWNER TO {ROLE}")
    url = postgres_server.url(DATABASE).replace("postgres@", f"{ROLE}@")
    try:
        with caplog.at_level(logging.WARNING):
            ws = Workspace.init(tmp_path / "workspace", database_url=url)
        refusals = [r.getMessage() for r in caplog.records if "PostGIS" in r.getMessage()]
        assert len(refusals) == 1
        (message,) = refusals
        assert "\n" not in message
        assert f"role '{ROLE}'" in message and f"database '{DATABASE}'" in message
        assert "permission denied to create extension" in message
        assert "CREATE EXTENSION postgis" in message
        assert "sqlalche.me" not in message and "[SQL:" not in message
        with ws.database.reader() as session:
            columns = session.execute(
                text("SELECT column_name FROM information_schema.columns WHERE table_name = 'area'")
            ).scalars()
            assert "geom" not in set(columns)  # GeoJSON only, as the message says
        ws.close()
    finally:
        postgres_server.drop_database(DATABASE)
        with postgres_server.connect() as conn:
            conn.execute(f"DROP ROLE IF EXISTS {ROLE}")
