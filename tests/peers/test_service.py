"""Peer matching through the library, the API, the page and its JSON twin on a small generated registry
(SQLite: matching, not storage; the service reads with plain selects).

The world: 60 municipalities in DE, AT, FR, PL, IT and CH, each in a NUTS-3 region with an urban-rural type,
population and area; 40 of them with the twelve Urban Audit indicators (values from three latent factors plus
noise, a few missing at random), the rest with the registry attributes only. Planted:

* ``twin``: a copy of ``city-00``'s profile (population × 1.01, every indicator × (1 + 0.5 % noise), same
  region): it must be ``city-00``'s first peer and ``city-00`` its first.
* ``halfie``: ``city-01``'s region and population with only half of its indicators.
* ``bare``: a population and no region: fewer features than the minimum overlap (``peer-no-profile``).
* a network with theme "One Health" whose member is ``city-30``; ``city-02`` is a member of a network on
  "Youth work" (its challenge theme, from its networks); ``city-31`` of "Cities@Heart" (no theme recorded:
  its name names ``regeneration``); ``city-03`` of a tandem without theme (its name names none).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.networks.models import Membership, Network
from bettercities.peers import profiles
from bettercities.peers.profiles import FEATURES, STATISTIC_CODES
from bettercities.peers.schemas import CountryChoice, PeerConstraints
from bettercities.peers.service import peers
from bettercities.registry.models import CityStatistic, RegistryRegion
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.web.conftest import SETTINGS

COUNTRIES = ("DE", "AT", "FR", "PL", "IT", "CH")
#: plausible centres and spreads of the twelve indicators (order of STATISTIC_CODES)
CENTRES = np.array([7.0, 58.0, 21000.0, 19.0, 48.0, 12.0, 42.0, 0.5, 66.0, 24.0, 22.0, 16.0])
SPREADS = np.array([3.0, 4.0, 6000.0, 5.0, 15.0, 4.0, 3.0, 1.0, 6.0, 6.0, 6.0, 6.0])


def _world(session: object) -> None:
    rng = np.random.default_rng(15)
    add = session.add  # type: ignore[attr-defined]
    loadings = rng.normal(size=(3, len(STATISTIC_CODES)))
    profiles_by_slug: dict[str, np.ndarray] = {}
    for i in range(60):
        country = COUNTRIES[i % len(COUNTRIES)]
        nuts3 = f"{country}{i:03d}"
        add(
            RegistryRegion(
                nuts3_code=nuts3, name=f"Region {i}", country=country, urban_rural=str(1 + i % 3),
                population=int(rng.integers(100_000, 2_000_000)), area_km2=float(rng.uniform(100, 3000)),
                source="test",
            )
        )  # fmt: skip
        slug = f"city-{i:02d}"
        add(City(slug=slug, name=f"City {i:02d}", country=country, nuts3_code=nuts3,
                 population=int(10 ** rng.uniform(3.8, 6.2))))  # fmt: skip
        if i < 40:
            values = CENTRES + SPREADS * (rng.normal(size=3) @ loadings / 2 + rng.normal(scale=0.5, size=12))
            values[rng.random(12) < 0.15] = np.nan
            profiles_by_slug[slug] = values
    session.flush()  # type: ignore[attr-defined]
    ids = dict(session.execute(select(City.slug, City.id)).all())  # type: ignore[attr-defined]
    original = session.scalar(select(City).where(City.slug == "city-00"))  # type: ignore[attr-defined]
    half = session.scalar(select(City).where(City.slug == "city-01"))  # type: ignore[attr-defined]
    add(City(slug="twin", name="Twin", country="FR", nuts3_code=original.nuts3_code,
             population=int(original.population * 1.01)))  # fmt: skip
    add(City(slug="halfie", name="Halfie", country="DE", nuts3_code=half.nuts3_code,
             population=half.population))  # fmt: skip
    add(City(slug="bare", name="Bare", country="DE", population=12_000))
    session.flush()  # type: ignore[attr-defined]
    ids = dict(session.execute(select(City.slug, City.id)).all())  # type: ignore[attr-defined]
    base = profiles_by_slug["city-00"].copy()
    base[np.isnan(base)] = CENTRES[np.isnan(base)]  # the twin and its original share every indicator
    profiles_by_slug["city-00"] = base
    profiles_by_slug["twin"] = base * (1 + rng.normal(scale=0.005, size=12))
    full = profiles_by_slug["city-01"]
    have = np.flatnonzero(~np.isnan(full))
    halved = full.copy()
    halved[have[: have.size // 2]] = np.nan
    profiles_by_slug["halfie"] = halved
    for slug, values in profiles_by_slug.items():
        for code, value in zip(STATISTIC_CODES, values, strict=True):
            if not np.isnan(value):
                add(CityStatistic(city_id=ids[slug], code=code, year=2021, value=float(value), source="test"))
    # an older year that the latest one replaces
    add(CityStatistic(city_id=ids["city-00"], code="unemploymentPct", year=2015, value=99.0, source="test"))
    now = datetime(2024, 1, 1, tzinfo=UTC)
    health = Network(slug="one-health", name_de="One Health", name_en="One Health", theme="One Health")
    youth = Network(slug="youth", name_de="Jugendarbeit", name_en="Youth work", theme="Youth work")
    add(health)
    add(youth)
    session.flush()  # type: ignore[attr-defined]
    heart = Network(slug="cities-at-heart", name_de="Cities@Heart", name_en="Cities@Heart")  # no theme
    tandem = Network(slug="tandem", name_de="Tandem City 03 – City 09", name_en="Tandem City 03 – City 09")
    add(heart)
    add(tandem)
    session.flush()  # type: ignore[attr-defined]
    for network, slug in ((health, "city-30"), (youth, "city-02"), (heart, "city-31"), (tandem, "city-03")):
        add(Membership(network_id=network.id, city_id=ids[slug], role="partner", status="active",
                       start=date(2023, 6, 1), recorded_at=now, recorded_by="test"))  # fmt: skip


@pytest.fixture(scope="module")
def workspace(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("peers") / "workspace"
    shutil.copytree(_sqlite_template, path)
    ws = Workspace(path=path)
    with ws.database.session() as session:
        _world(session)
    profiles.clear()
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def client(workspace: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, settings=SETTINGS)) as test_client:
        yield test_client


def find(workspace: Workspace, slug: str, limit: int = 10, **constraints: object):  # type: ignore[no-untyped-def]
    with workspace.database.reader() as session:
        return peers(session, slug, limit=limit, constraints=PeerConstraints(**constraints))  # type: ignore[arg-type]


def test_a_city_is_never_its_own_peer(workspace: Workspace) -> None:
    with workspace.database.reader() as session:
        slugs = list(session.scalars(select(City.slug)))
    for slug in slugs:
        result = find(workspace, slug, limit=5)
        assert slug not in [p.slug for p in result.peers]


def test_similarity_is_symmetric(workspace: Workspace) -> None:
    for slug in ("city-00", "city-05", "city-41", "halfie"):
        for peer in find(workspace, slug, limit=4).peers:
            back = {p.slug: p for p in find(workspace, peer.slug, limit=70).peers}
            assert back[slug].similarity == peer.similarity  # score(a, b) == score(b, a), no themes asked
            assert back[slug].score == peer.score
            assert back[slug].distance == peer.distance and back[slug].overlap == peer.overlap


def test_a_planted_twin_is_found_first(workspace: Workspace) -> None:
    first = find(workspace, "city-00").peers[0]
    assert first.slug == "twin"
    assert first.overlap == len(FEATURES)  # same region, every indicator
    assert [f.code for f in first.alike][:1] in (["urbanRural"], ["regionDensity"])  # identical: difference 0
    assert first.alike[0].difference == 0.0
    assert find(workspace, "twin").peers[0].slug == "city-00"


def test_the_latest_year_is_compared(workspace: Workspace) -> None:
    twin = find(workspace, "city-00").peers[0]
    codes = {f.code: f for f in find(workspace, "city-00", limit=1).peers[0].alike}
    assert twin.slug == "twin"
    assert all(f.city_value != 99.0 for f in codes.values())


def test_half_the_indicators_missing_gets_peers_with_the_overlap_stated(workspace: Workspace) -> None:
    result = find(workspace, "halfie")
    full = find(workspace, "city-01")
    have = len(result.features)
    assert have < len(full.features)
    assert len(result.peers) == 10
    for peer in result.peers:
        assert 3 <= peer.overlap <= have
        assert len(peer.overlap_codes) == peer.overlap
        assert set(peer.overlap_codes) <= set(result.features)
        assert {f.code for f in peer.alike} <= set(peer.overlap_codes)
    assert result.problems == []


def test_no_profile_no_peers(workspace: Workspace) -> None:
    result = find(workspace, "bare")
    assert result.peers == []
    assert [p.code for p in result.problems] == ["peer-no-profile"]
    assert result.features == ["population"]


def test_overlap_too_small_under_constraints(workspace: Workspace) -> None:
    # Bare has one feature: below a minimum overlap of 2 as well
    assert [p.code for p in find(workspace, "bare", min_overlap=2).problems] == ["peer-no-profile"]
    # city-40 has the three registry attributes only: below a minimum overlap of 4
    result = find(workspace, "city-40", min_overlap=4)
    assert [p.code for p in result.problems] == ["peer-no-profile"]
    result = find(workspace, "city-00", min_overlap=15, country=CountryChoice.SAME)
    assert result.peers == [] and [p.code for p in result.problems] == ["peer-overlap-too-small"]


def test_constraints(workspace: Workspace) -> None:
    other = find(workspace, "city-00", country=CountryChoice.OTHER, limit=20)
    assert other.peers and all(p.country != "DE" for p in other.peers)
    same = find(workspace, "city-00", country=CountryChoice.SAME, limit=20)
    assert same.peers and all(p.country == "DE" for p in same.peers)
    sized = find(workspace, "city-00", size="same", limit=20)
    assert all(p.size_class == sized.size_class for p in sized.peers)
    german = find(workspace, "city-03", language="same", limit=60)  # PL: Polish only
    assert german.peers and all(p.country == "PL" for p in german.peers)
    speaking = find(workspace, "city-04", language="de", limit=60)
    assert speaking.peers and {p.country for p in speaking.peers} <= {"DE", "AT", "CH"}
    eui = find(workspace, "city-00", programme="eui-ia", limit=60)
    assert all(p.country != "CH" and (p.population or 0) >= 50_000 for p in eui.peers)
    assert eui.candidates < find(workspace, "city-00", limit=1).candidates


def test_unknown_constraints_and_cities_are_refused(workspace: Workspace) -> None:
    with pytest.raises(InvalidInput) as refused:
        find(workspace, "city-00", size="huge")
    assert refused.value.report is not None
    assert refused.value.report.problems[0].code == "peer-invalid-constraint"
    with pytest.raises(InvalidInput):
        find(workspace, "city-00", programme="nope")
    with pytest.raises(NotFound):
        find(workspace, "atlantis")


def test_a_theme_that_fits_is_a_reason_and_lifts_the_peer(workspace: Workspace) -> None:
    plain = {p.slug: p for p in find(workspace, "city-00", limit=70).peers}
    asked = find(workspace, "city-00", limit=70, themes=("Gesundheit",))
    assert [c.theme for c in asked.challenges] == ["health"]
    fitting = {p.slug: p for p in asked.peers}["city-30"]
    assert [t.theme for t in fitting.themes] == ["health"]
    assert fitting.themes[0].practices[0].kind == "network"
    assert fitting.themes[0].practices[0].slug == "one-health"
    assert fitting.score == pytest.approx(fitting.similarity + 0.2)
    assert fitting.similarity == plain["city-30"].similarity
    assert fitting.rank < plain["city-30"].rank


def test_a_city_s_own_challenges_come_from_its_networks(workspace: Workspace) -> None:
    result = find(workspace, "city-02", limit=3)
    assert [(c.theme, c.source) for c in result.challenges] == [("youth", "network")]


def test_the_index_is_built_once_per_data_version(workspace: Workspace) -> None:
    find(workspace, "city-00")
    before = profiles.builds()
    find(workspace, "city-05")
    find(workspace, "city-06", country=CountryChoice.OTHER)
    assert profiles.builds() == before
    with workspace.database.session() as session:
        session.add(CityStatistic(city_id=session.scalar(select(City.id).where(City.slug == "city-59")),
                                  code="medianAge", year=2021, value=40.0, source="test"))  # fmt: skip
    result = find(workspace, "city-59")
    assert profiles.builds() == before + 1
    assert result.features == ["population", "urbanRural", "regionDensity", "medianAge"]


# -- the API, the page and its JSON twin ---------------------------------------------------------------------


def test_api_returns_ranked_peers_with_score_and_reasons(client: TestClient) -> None:
    response = client.get("/api/cities/city-00/peers", params={"limit": 10})
    assert response.status_code == 200
    body = response.json()
    assert body["city"] == "city-00" and len(body["peers"]) == 10
    assert [p["rank"] for p in body["peers"]] == list(range(1, 11))
    scores = [p["score"] for p in body["peers"]]
    assert scores == sorted(scores, reverse=True)
    first = body["peers"][0]
    assert first["slug"] == "twin" and first["alike"] and first["overlap"] == len(first["overlap_codes"])
    assert "city-00" not in [p["slug"] for p in body["peers"]]


def test_api_constraints_and_refusals(client: TestClient) -> None:
    body = client.get("/api/cities/city-00/peers?country=other&theme=health&limit=5").json()
    assert all(p["country"] != "DE" for p in body["peers"])
    assert body["constraints"]["themes"] == ["health"]
    assert client.get("/api/cities/atlantis/peers").status_code == 404
    refused = client.get("/api/cities/city-00/peers?size=huge")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "peer-invalid-constraint"
    assert client.get("/api/cities/city-00/peers?limit=0").status_code == 422
    assert client.get("/api/cities/city-00/peers?country=mars").status_code == 422
    half = client.get("/api/cities/halfie/peers").json()
    assert all(3 <= p["overlap"] <= len(half["features"]) for p in half["peers"])
    bare = client.get("/api/cities/bare/peers").json()
    assert bare["peers"] == [] and bare["problems"][0]["code"] in ("peer-no-profile",)


def test_page_and_json_twin(client: TestClient) -> None:
    api = client.get("/api/cities/city-00/peers?limit=5").json()
    twin = client.get("/cities/city-00/peers.json?limit=5").json()
    assert twin == api
    for lang, words in (("en", "Peers for City 00"), ("de", "Vergleichskommunen für City 00")):
        page = client.get(f"/cities/city-00/peers?limit=5&lang={lang}")
        assert page.status_code == 200
        assert words in page.text
        assert 'data-peer="twin"' in page.text
    refused = client.get("/cities/city-00/peers?size=huge&lang=en")
    assert refused.status_code == 200 and 'id="peer-errors"' in refused.text
    bare = client.get("/cities/bare/peers?lang=de")
    assert bare.status_code == 200 and 'data-problem="peer-no-profile"' in bare.text


def test_the_german_page_has_no_english_of_the_catalogue(client: TestClient) -> None:
    from babel.messages.pofile import read_po

    from bettercities.web.i18n import LOCALE_DIR

    with open(LOCALE_DIR / "de" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale="de")
    english = [
        str(m.id) for m in catalog if m.id and isinstance(m.id, str) and m.string and m.string != m.id
        and len(m.id) > 12 and "{" not in m.id
    ]  # fmt: skip
    for url in ("/cities/city-00/peers?lang=de&theme=health", "/cities/bare/peers?lang=de"):
        text = re.sub(r"<[^>]+>", " ", client.get(url).text)
        text = re.sub(r"\s+", " ", text)
        assert [e for e in english if e in text] == []


def test_cli(workspace: Workspace) -> None:
    import json

    from typer.testing import CliRunner

    from bettercities.cli.main import app as cli_app

    runner = CliRunner()
    where = ["--workspace", str(workspace.path)]
    shown = runner.invoke(cli_app, ["peers", "city-00", "--limit", "3", "--country", "other", *where])
    assert shown.exit_code == 0, shown.output
    assert "twin" in shown.output and "City 00 (DE)" in shown.output
    as_json = runner.invoke(cli_app, ["peers", "city-00", "--limit", "3", "--json", *where])
    body = json.loads(as_json.output)
    assert [p["rank"] for p in body["peers"]] == [1, 2, 3] and body["peers"][0]["slug"] == "twin"
    unknown = runner.invoke(cli_app, ["peers", "atlantis", *where])
    assert unknown.exit_code == 1 and "peer-unknown-city" in unknown.output
    refused = runner.invoke(cli_app, ["peers", "city-00", "--size", "huge", *where])
    assert refused.exit_code == 2 and "peer-invalid-constraint" in refused.output
    bare = runner.invoke(cli_app, ["peers", "bare", *where])
    assert bare.exit_code == 0 and "peer-no-profile" in bare.output


def test_a_network_without_theme_counts_by_a_name_that_names_one(workspace: Workspace) -> None:
    asked = find(workspace, "city-00", limit=70, themes=("Innenstadt",))
    assert [c.theme for c in asked.challenges] == ["regeneration"]
    fitting = {p.slug: p for p in asked.peers}["city-31"]
    assert [(t.theme, t.practices[0].slug) for t in fitting.themes] == [("regeneration", "cities-at-heart")]
    assert find(workspace, "city-03", limit=1).challenges == []  # "Tandem City 03 – City 09" names no theme
