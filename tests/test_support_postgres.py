"""The throw-away PostgreSQL server of tests/support works: starts, serves SQLAlchemy, stops cleanly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with PostgresServer() as pg:
        yield pg


def test_create_database_and_query_with_sqlalchemy(server: PostgresServer) -> None:
    url = server.create_database("support_roundtrip")
    assert url == f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/support_roundtrip"

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar_one() == 1
            assert conn.execute(sa.text("select current_database()")).scalar_one() == "support_roundtrip"
            assert conn.execute(sa.text("show fsync")).scalar_one() == "off"
    finally:
        engine.dispose()
    server.drop_database("support_roundtrip")


def test_postgis(server: PostgresServer, record_property: pytest.RecordProperty) -> None:
    available = server.has_postgis()
    record_property("postgis_available", available)
    if not available:
        pytest.skip("PostGIS extension not installed on this server (scripts/install-system-deps adds it)")

    engine = sa.create_engine(server.create_database("support_postgis", postgis=True))
    try:
        with engine.connect() as conn:
            area = conn.execute(sa.text("select ST_Area(ST_MakeEnvelope(0, 0, 2, 3))")).scalar_one()
    finally:
        engine.dispose()
    assert area == 6.0


def test_stop_removes_everything() -> None:
    pg = PostgresServer()
    tmpdir = pg.tmpdir
    assert (tmpdir / "data" / "PG_VERSION").exists()
    pg.stop()
    assert not tmpdir.exists()
    pg.stop()  # idempotent, as fixtures and atexit may both call it
