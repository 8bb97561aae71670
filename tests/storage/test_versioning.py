"""Every committed write bumps the data version; reads and rollbacks do not (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.areas.schemas import CitySpec
from bettercities.storage.workspace import Workspace


def test_writes_bump_the_data_version(workspace: Workspace) -> None:
    db = workspace.database
    start = db.data_version()

    with db.reader() as session:  # a read changes nothing
        areas.list_cities(session)
    assert db.data_version() == start

    with db.session() as session:  # ORM insert
        areas.create_city(session, CitySpec(slug="a", name="A", country="DE"))
    assert db.data_version() == start + 1

    with db.session() as session:  # ORM change in place
        areas.get_city(session, "a").name = "A-Stadt"
    assert db.data_version() == start + 2

    with db.session() as session:  # Core UPDATE through the session
        session.execute(update(City).where(City.slug == "a").values(population=5))
    assert db.data_version() == start + 3

    with db.session() as session:  # bulk path
        db.bulk_insert(
            session,
            City.__table__,
            ("slug", "name", "country", "created_at"),
            [("b", "B", "DE", "2020-01-01")],
        )
    assert db.data_version() == start + 4

    with pytest.raises(RuntimeError), db.session() as session:  # rolled back: no bump
        areas.create_city(session, CitySpec(slug="c", name="C", country="DE"))
        raise RuntimeError("abort")
    assert db.data_version() == start + 4

    with db.session() as session:  # a unit of work that only reads
        areas.get_city(session, "a")
    assert db.data_version() == start + 4


def test_page_cache_sees_cells_suppressed_in_place(sqlite_workspace: Workspace) -> None:
    """Values suppressed by an in-place UPDATE disappear from the public API on the very next request."""
    from fastapi.testclient import TestClient

    from bettercities.indicators.models import Observation
    from bettercities.web.app import create_app
    from tests.web.citybuilder import build_city

    build_city(sqlite_workspace)
    url = "/api/cities/testville/observations"
    params = {"indicator": "inhabitants", "period": "2022", "level": "planning_area"}
    with TestClient(create_app(sqlite_workspace)) as client:
        before = [item["value"] for item in client.get(url, params=params).json()["items"]]
        assert before and all(v is not None for v in before)
        with sqlite_workspace.database.session() as session:
            session.execute(update(Observation).values(suppressed=True))
        after = [item["value"] for item in client.get(url, params=params).json()["items"]]
    assert after == [None] * len(before)
