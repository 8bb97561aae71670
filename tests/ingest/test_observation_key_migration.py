"""Migration 0012: the observation key in (indicator, period, area, revision) order, without the index that
order makes redundant; stored observations survive it both ways and the key stays unique."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from bettercities.indicators.models import Observation
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.storage import schema
from bettercities.storage.workspace import Workspace

from .conftest import CITY, build_city, write

KEY = "uq_observation_key_revision"
OLD = ["indicator_id", "area_id", "period_id", "revision"]
NEW = ["indicator_id", "period_id", "area_id", "revision"]


def _shape(ws: Workspace) -> tuple[list[str], dict[str, list[str]]]:
    """The unique key's columns and the table's other indexes with their columns."""
    inspector = inspect(ws.database.engine)
    (key,) = [u for u in inspector.get_unique_constraints("observation") if u["name"] == KEY]
    indexes = inspector.get_indexes("observation")  # PostgreSQL lists the key's own index too
    others = {str(i["name"]): list(i["column_names"]) for i in indexes if "duplicates_constraint" not in i}
    return list(key["column_names"]), others


def _rows(ws: Workspace) -> list[tuple]:
    observation = Observation.__table__
    with ws.database.reader() as session:
        return [tuple(r) for r in session.execute(select(observation).order_by(observation.c.id)).all()]


def test_upgrade_and_downgrade_keep_the_observations(workspace: Workspace, tmp_path: Path) -> None:
    build_city(workspace)
    csv = write(
        tmp_path / "values.csv",
        "area,indicator,period,value\nB1,inhabitants,2024,10\nB2,inhabitants,2024,12\n",
    )
    import_observations(
        workspace.database,
        CITY,
        csv,
        ObservationImportOptions(level="block", layout="long", id_column="area"),
    )
    stored = _rows(workspace)
    assert len(stored) == 2
    assert _shape(workspace) == (NEW, {"ix_observation_area": ["area_id", "indicator_id"]})

    config = schema.alembic_config(workspace.database.engine)
    command.downgrade(config, "0011")
    assert _shape(workspace) == (
        OLD,
        {
            "ix_observation_area": ["area_id", "is_current"],
            "ix_observation_current": ["indicator_id", "period_id", "is_current"],
            "ix_observation_import_id": ["import_id"],
        },
    )
    assert _rows(workspace) == stored

    workspace.database.migrate()
    assert workspace.database.schema_is_current()
    assert _shape(workspace) == (NEW, {"ix_observation_area": ["area_id", "indicator_id"]})
    assert _rows(workspace) == stored

    # the key is still unique: the same indicator, period, area and revision again is refused
    table = Observation.__table__
    assert isinstance(table, Table)
    first = dict(zip(table.c.keys(), stored[0], strict=True))
    duplicate = {name: value for name, value in first.items() if name != "id"} | {"is_current": False}
    with pytest.raises(IntegrityError), workspace.database.session() as session:
        session.execute(insert(table).values(**duplicate))
        session.flush()
