"""The registry's tables: the migration creates what the models declare; city.geonames_id is unique."""

from __future__ import annotations

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
