"""Workspaces and migrations on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bettercities.core.errors import BettercitiesError
from bettercities.storage.workspace import Workspace


def test_init_creates_schema_and_is_idempotent(workspace: Workspace) -> None:
    db = workspace.database
    assert db.schema_is_current()
    assert {"city", "area", "indicator", "period", "observation", "import_batch", "crosswalk"} <= set(
        db.table_names()
    )
    again = Workspace.init(workspace.path, database_url=workspace.database_url)
    assert again.database.current_heads() == db.current_heads()
    again.close()


def test_sqlite_uses_wal(sqlite_workspace: Workspace) -> None:
    with sqlite_workspace.database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.postgres
def test_postgis_mirrors_geometry(postgres_server, tmp_path: Path) -> None:
    if not postgres_server.has_postgis():
        pytest.skip("PostGIS is not installed on this machine")
    from bettercities.areas import service as areas
    from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec

    url = postgres_server.create_database("bc_postgis_mirror")
    ws = Workspace.init(tmp_path / "ws", database_url=url)
    square = {
        "type": "Polygon",
        "coordinates": [[[13.0, 52.0], [13.01, 52.0], [13.01, 52.01], [13.0, 52.01], [13.0, 52.0]]],
    }
    with ws.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="t", name="T", country="DE"))
        level = areas.ensure_level(session, city, LevelSpec(code="block", name_de="Block", name_en="block"))
        areas.add_areas(session, city, level, [AreaSpec(code="1", name="One", geometry=square)])
    assert ws.database.has_postgis()
    with ws.database.engine.connect() as conn:
        # ST_Area on geography: square metres on the ellipsoid; compare with our spherical estimate.
        pg_km2 = conn.execute(text("SELECT ST_Area(geom::geography) / 1e6 FROM area")).scalar()
        ours = conn.execute(text("SELECT area_km2 FROM area")).scalar()
    assert pg_km2 == pytest.approx(0.765, rel=0.01)  # 0.01° x 0.01° at 52° N: 1.113 km x 0.687 km
    assert ours == pytest.approx(pg_km2, rel=0.005)
    ws.close()


def test_open_refuses_a_folder_that_is_no_workspace(tmp_path: Path) -> None:
    with pytest.raises(BettercitiesError, match="not a bettercities workspace"):
        Workspace.open(tmp_path / "nothing")
