"""The registry's tables: the migration creates what the models declare; city.geonames_id is unique."""

from __future__ import annotations

from pathlib import Path

from bettercities.areas.models import City
from bettercities.registry.models import CityStatistic, RegistryAlias, RegistryRegion
from bettercities.storage.workspace import Workspace

MODELS = (CityStatistic, RegistryAlias, RegistryRegion)


def test_the_migration_creates_the_tables_the_models_declare(sqlite_workspace: Workspace) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bettercities.storage.models import metadata

    with sqlite_workspace.database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    names = {m.__tablename__ for m in MODELS} | {"geonames_id"}
    ours = [d for d in diff if any(name in repr(d) for name in names)]
    assert ours == []


def test_geonames_id_is_unique(sqlite_workspace: Workspace) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), sqlite_workspace.database.session() as session:
        session.add(City(slug="a", name="A", country="DE", geonames_id=1))
        session.add(City(slug="b", name="B", country="DE", geonames_id=1))
        session.flush()


def test_the_migration_keeps_every_row_that_references_a_city(tmp_path: Path) -> None:
    """0131 adds a column to ``city``. A batch rebuild of the table on SQLite (copy, DROP, rename) with
    foreign keys on would delete the rows of every table whose foreign key cascades from ``city``."""
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, func, insert, inspect, select

    from bettercities.storage.database import Database, sqlite_url

    db = Database(sqlite_url(tmp_path / "old.sqlite"))
    try:
        db.migrate("0002")  # the city table as it was before the registry
        tables = MetaData()
        tables.reflect(db.engine)
        with db.engine.begin() as conn:
            city = conn.execute(
                insert(tables.tables["city"]).values(
                    slug="old", name="Old", country="DE", created_at=datetime(2024, 1, 1, tzinfo=UTC)
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(tables.tables["spatial_level"]).values(
                    city_id=city, code="district", name_de="Bezirk", name_en="District", rank=0
                )
            )
        db.migrate("0131")
        with db.engine.connect() as conn:
            level = tables.tables["spatial_level"]
            levels = conn.execute(select(func.count()).select_from(level)).scalar_one()
            columns = {c["name"] for c in inspect(conn).get_columns("city")}
        assert levels == 1
        assert "geonames_id" in columns
    finally:
        db.dispose()
