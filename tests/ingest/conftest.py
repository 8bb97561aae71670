"""A small test city for import tests: one level of five blocks, five indicators of every kind."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bettercities.areas import service as areas
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.indicators import service as indicators
from bettercities.indicators.models import ImportBatch, Observation
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.storage.workspace import Workspace

CITY = "testcity"
LEVEL = "block"
BLOCKS = ["B1", "B2", "B3", "B4", "B5"]

INDICATORS = [
    IndicatorSpec(code="inhabitants", name_de="EW", name_en="Inhabitants", kind="count", min_value=0),
    IndicatorSpec(
        code="unemployed_share",
        name_de="Arbeitslose",
        name_en="Unemployed",
        kind="share",
        factor=100,
        min_value=0,
        max_value=100,
        decimals=2,
    ),
    IndicatorSpec(code="moves_ratio", name_de="Umzüge", name_en="Moves", kind="ratio", factor=100),
    IndicatorSpec(code="median_age", name_de="Alter", name_en="Median age", min_value=0, max_value=120),
    IndicatorSpec(code="change", name_de="Veränderung", name_en="Change", min_value=-100, max_value=100),
]


def square(x: float, y: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
    }


def build_city(ws: Workspace, *, retired: bool = False) -> None:
    """The test city; with ``retired`` block B5 stops being valid on 2020-01-01 and B6 starts then."""
    with ws.database.session() as session:
        city = areas.create_city(session, CitySpec(slug=CITY, name="Testcity", country="DE"))
        level = areas.ensure_level(session, city, LevelSpec(code=LEVEL, name_de="Block", name_en="block"))
        specs = [
            AreaSpec(code=c, name=f"Block {c}", geometry=square(13 + i / 100, 52))
            for i, c in enumerate(BLOCKS)
        ]
        if retired:
            specs[-1] = specs[-1].model_copy(update={"valid_to": date(2020, 1, 1)})
            specs.append(
                AreaSpec(code="B6", name="Block B6", valid_from=date(2020, 1, 1), geometry=square(13.1, 52))
            )
        areas.add_areas(session, city, level, specs)
        for spec in INDICATORS:
            indicators.register_indicator(session, spec)


@pytest.fixture
def city_ws(workspace: Workspace) -> Workspace:
    """The test city on SQLite and on PostgreSQL."""
    build_city(workspace)
    return workspace


@pytest.fixture
def sqlite_city(sqlite_workspace: Workspace) -> Workspace:
    """The test city on SQLite only (validation logic that does not depend on the backend)."""
    build_city(sqlite_workspace, retired=True)
    return sqlite_workspace


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def counts(ws: Workspace) -> tuple[int, int]:
    """(observations, import batches) stored."""
    with ws.database.reader() as session:
        return (
            session.scalar(select(func.count(Observation.id))) or 0,
            session.scalar(select(func.count(ImportBatch.id))) or 0,
        )
