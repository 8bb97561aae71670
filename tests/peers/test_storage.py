"""Peer matching reads the registry's, networks' and goals' tables with plain selects on both backends; the
world is cached per database and data version (two databases never share one)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bettercities.areas.models import City
from bettercities.networks.models import Membership, Network
from bettercities.peers import profiles
from bettercities.peers.schemas import PeerConstraints
from bettercities.peers.service import peers
from bettercities.registry.models import CityStatistic, RegistryRegion
from bettercities.storage.workspace import Workspace

#: six cities: (slug, country, population, urban-rural type, unemployment, median age, no2)
CITIES = (
    ("a", "DE", 70_000, "2", 6.0, 44.0, 20.0),
    ("a-like", "AT", 72_000, "2", 6.1, 44.2, 20.5),
    ("b", "FR", 900_000, "1", 12.0, 36.0, 35.0),
    ("c", "PL", 150_000, "1", 4.0, 41.0, 25.0),
    ("d", "IT", 40_000, "3", 9.0, 47.0, 15.0),
    ("e", "ES", 300_000, "1", 15.0, 40.0, 30.0),
)


def test_peers_on_every_backend(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        for i, (slug, country, population, ur, unemployment, age, no2) in enumerate(CITIES):
            region = f"R{i}"
            session.add(
                RegistryRegion(
                    nuts3_code=region, name=region, country=country, urban_rural=ur,
                    population=population * 3, area_km2=1000.0, source="test",
                )
            )  # fmt: skip
            city = City(slug=slug, name=slug.upper(), country=country, nuts3_code=region)
            city.population = population
            session.add(city)
            session.flush()
            for code, value in (("unemploymentPct", unemployment), ("medianAge", age), ("no2", no2)):
                session.add(CityStatistic(city_id=city.id, code=code, year=2020, value=value, source="test"))
            if slug == "b":
                network = Network(slug="oh", name_de="One Health", name_en="One Health", theme="Health")
                session.add(network)
                session.flush()
                session.add(
                    Membership(
                        network_id=network.id, city_id=city.id, role="partner", status="active",
                        start=date(2023, 6, 1), recorded_by="test",
                        recorded_at=datetime(2024, 1, 1, tzinfo=UTC),
                    )
                )  # fmt: skip
    profiles.clear()
    with workspace.database.reader() as session:
        result = peers(session, "a", limit=5, constraints=PeerConstraints(themes=("health",)))
    assert [p.slug for p in result.peers][:1] == ["a-like"]
    assert "a" not in [p.slug for p in result.peers]
    assert all(p.overlap == 6 for p in result.peers)
    fitting = {p.slug: p for p in result.peers}["b"]
    assert [t.practices[0].slug for t in fitting.themes] == ["oh"]
    with workspace.database.reader() as session:
        back = {p.slug: p for p in peers(session, "a-like", limit=5).peers}
    assert back["a"].similarity == result.peers[0].similarity


def test_two_databases_never_share_a_world(
    workspace: Workspace, _sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("other") / "workspace"
    shutil.copytree(_sqlite_template, path)
    other_workspace = Workspace(path=path)
    with workspace.database.session() as session:
        session.add(City(slug="only-here", name="Only here", country="DE", population=50_000))
    with workspace.database.reader() as one, other_workspace.database.reader() as other:
        assert "only-here" in profiles.world(one).slugs
        assert "only-here" not in profiles.world(other).slugs
    other_workspace.close()
