"""The registry's faces on the tiny registry (tests/data/registry): /cities with the registry's search and
paging, the profile of a registry city, the JSON API, /benchmark and its twin, the CLI."""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bettercities.cli.main import app as cli_app
from bettercities.networks import service as networks
from bettercities.networks.schemas import MemberIn, ProgrammeIn
from bettercities.registry import service
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.web.conftest import SETTINGS

DATA = Path(__file__).parents[1] / "data" / "registry"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("registry-pages") / "ws")
    with ws.database.session() as session:
        service.import_regions(session, DATA / "nuts3.geojson")
        service.import_urban_audit(session, DATA / "urban_audit_cities.csv")
        service.import_geonames(session, DATA / "geonames_cities.csv")
        service.import_indicators(session, DATA / "indicators.csv")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def client(world: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(world, settings=SETTINGS)) as test_client:
        yield test_client


def _file_values(code: str) -> dict[str, float]:
    with (DATA / "indicators.csv").open(encoding="utf-8") as fh:
        return {row["urau_code"]: float(row[code]) for row in csv.DictReader(fh) if row[code]}


def test_cities_lists_the_registry_paged_and_searchable(client: TestClient) -> None:
    page = client.get("/cities", params={"lang": "en"})
    assert page.status_code == 200
    assert "City registry for Europe" in page.text and 'href="/cities/geestland?lang=en"' in page.text
    twin = client.get("/cities.json", params={"size": "small-town"}).json()
    assert {c["slug"] for c in twin["registry"]["cities"]} == {"geestland"}  # 18,863 inhabitants (GeoNames)
    found = client.get("/cities.json", params={"q": "Munich"}).json()["registry"]["cities"]
    assert [c["slug"] for c in found] == ["muenchen"]
    first = client.get("/cities.json", params={"country": "DE"}).json()["registry"]
    assert (
        first["total"] == len({c["slug"] for c in first["cities"]}) and first["cities"][0]["slug"] == "berlin"
    )
    assert client.get("/cities", params={"size": "huge"}).status_code == 404


def test_a_registry_city_without_data_has_a_profile(client: TestClient) -> None:
    page = client.get("/cities/geestland", params={"lang": "en"})
    assert page.status_code == 200
    text = page.text
    assert "Langen (former name)" in text and "Bad Bederkesa (merged into it)" in text
    assert "2881276" in text and "DE932" in text and "Small town (under 20,000)" in text
    assert "No network membership is recorded" in text and "does not use bettercities yet" in text
    berlin = client.get("/cities/berlin", params={"lang": "de"})
    assert berlin.status_code == 200 and "Arbeitslosenquote" in berlin.text and "DE001C" in berlin.text


def test_the_profile_links_to_the_peers_page_in_both_languages(client: TestClient) -> None:
    english = client.get("/cities/geestland", params={"lang": "en"}).text
    assert 'href="/cities/geestland/peers?lang=en" data-link="peers">Peers</a>' in english
    german = client.get("/cities/geestland", params={"lang": "de"}).text
    assert 'href="/cities/geestland/peers?lang=de" data-link="peers">Vergleichskommunen</a>' in german
    assert client.get("/cities/geestland/peers", params={"lang": "de"}).status_code == 200


def test_the_api(client: TestClient) -> None:
    listed = client.get("/api/registry/cities", params={"q": "sofia"}).json()
    assert [c["slug"] for c in listed["cities"]] == ["sofia"]
    city = client.get("/api/registry/cities/muenchen").json()
    assert (city["urau_code"], city["geonames_id"], city["size_class"], city["urban_rural"]) == (
        "DE003C",
        2867714,
        "large-city",
        "1",
    )
    assert {"name": "Munich", "kind": "geonames"} in [
        {"name": a["name"], "kind": a["kind"]} for a in city["aliases"]
    ]
    assert client.get("/api/registry/cities/atlantis").status_code == 404


def test_benchmark_ranks_against_the_median(client: TestClient) -> None:
    values = _file_values("unemploymentPct")  # the tiny copy of the Eurostat file
    codes = {"berlin": "DE001C", "muenchen": "DE003C", "krefeld": "DE087C", "sofia": "BG001C"}
    result = client.get(
        "/api/benchmark",
        params={"indicator": "unemploymentPct", "set": "cities:" + ",".join([*codes, "pirna"])},
    ).json()
    median = statistics.median(values[c] for c in codes.values())
    assert result["median"] == pytest.approx(median)
    ranked = sorted(codes, key=lambda s: -values[codes[s]])
    assert [r["slug"] for r in result["rows"][:4]] == ranked
    assert [r["rank"] for r in result["rows"]] == [1, 2, 3, 4, None]
    for row in result["rows"][:4]:
        assert row["vs_median"] == pytest.approx(values[codes[row["slug"]]] - median)
    assert result["missing"] == ["pirna"]
    twin = client.get(
        "/benchmark.json", params={"indicator": "unemploymentPct", "set": "cities:berlin,sofia"}
    )
    assert twin.json()["result"]["set_label"] == "Berlin, Sofia"
    page = client.get(
        "/benchmark", params={"indicator": "unemploymentPct", "set": "size:large-city", "lang": "en"}
    )
    assert page.status_code == 200 and 'id="benchmark-ranking"' in page.text and "München" in page.text
    assert client.get("/benchmark", params={"lang": "de"}).status_code == 200
    assert client.get("/api/benchmark", params={"indicator": "nope", "set": "size:city"}).status_code == 404
    assert (
        client.get("/api/benchmark", params={"indicator": "medianAge", "set": "network:nope"}).status_code
        == 404
    )


@pytest.mark.parametrize("key", ["galaxy:x", "network:", "size:huge", "muenchen,krefeld"])
def test_a_bad_set_is_refused_with_its_code(client: TestClient, key: str) -> None:
    refused = client.get("/api/benchmark", params={"indicator": "medianAge", "set": key})
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["registry-invalid-set"]
    german = client.get("/benchmark", params={"indicator": "medianAge", "set": key, "lang": "de"})
    assert german.status_code == 422 and "Ungültige Städtegruppe" in german.text
    assert "Traceback" not in german.text


def test_a_network_that_has_ended_is_benchmarked_with_its_members_on_its_last_day(
    world: Workspace, client: TestClient, tmp_path: Path
) -> None:
    """Every network of the demo has ended (URBACT IV in 2025, the tandems in 2024): 'members today' left
    their benchmarks empty. The members on the network's last day are compared, and the page says so."""
    end = date(2024, 12, 31)
    with world.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug="review-tandems", name="Tandems", end=end))
        networks.create_network(
            session, "review-sofia-krefeld", name_de="Sofia – Krefeld", name_en="Sofia – Krefeld",
            programme="review-tandems", kind="tandem", start=date(2022, 5, 17), end=end,
        )  # fmt: skip
        for city in ("sofia", "krefeld"):
            networks.add_membership(
                session,
                "review-sofia-krefeld",
                MemberIn(city=city, role="tandem partner", start=date(2022, 5, 17), end=end),
            )
    values = _file_values("unemploymentPct")  # Sofia BG001C, Krefeld DE087C in the copy of Eurostat's file
    for key in ("network:review-sofia-krefeld", "programme:review-tandems"):
        result = client.get("/api/benchmark", params={"indicator": "unemploymentPct", "set": key}).json()
        assert sorted(r["slug"] for r in result["rows"]) == ["krefeld", "sofia"], key
        assert result["members_on"] == "2024-12-31"
        assert result["median"] == pytest.approx(statistics.median([values["BG001C"], values["DE087C"]]))
    german = client.get(
        "/benchmark",
        params={"indicator": "unemploymentPct", "set": "network:review-sofia-krefeld", "lang": "de"},
    )
    assert "Das Netzwerk ist beendet: seine Mitglieder am 2024-12-31." in german.text
    cli = CliRunner().invoke(
        cli_app,
        ["benchmark", "--indicator", "unemploymentPct", "--set", "network:review-sofia-krefeld",
         "--workspace", str(world.path)],
    )  # fmt: skip
    assert cli.exit_code == 0 and "members on 2024-12-31" in cli.output
    # the profile lists the membership with its role in the reader's language and its period
    profile = client.get("/cities/sofia", params={"lang": "de"}).text
    assert "</a> · Tandempartner · 2022-05-17 – 2024-12-31</li>" in profile


def test_cli(world: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--workspace", str(world.path)]
    listed = runner.invoke(cli_app, ["registry", "list", "--q", "langen", "--json", *where])
    assert listed.exit_code == 0, listed.output
    assert "langen" in listed.output
    shown = runner.invoke(cli_app, ["registry", "show", "geestland", *where])
    assert shown.exit_code == 0 and "Langen (former)" in shown.output
    bench = runner.invoke(
        cli_app, ["benchmark", "--indicator", "medianAge", "--set", "cities:berlin,sofia", *where]
    )
    assert bench.exit_code == 0 and "Berlin" in bench.output
    bad = tmp_path / "ua.csv"
    bad.write_text(
        "urau_code,name,country,nuts3_2021,lon,lat,area_km2,pop,pop_year\nXX1,Nowhere,DE,,200,1,,,\n"
    )
    refused = runner.invoke(cli_app, ["registry", "import", "urban-audit", str(bad), *where])
    assert refused.exit_code == 2
    assert (
        "row 2" in refused.output and "'lon'" in refused.output and "registry-out-of-range" in refused.output
    )


def test_every_city_commands_mean_the_cities_using_bettercities(tmp_path: Path) -> None:
    """`city list` and `privacy rules` without --city work on the cities using bettercities (a city added
    by hand, or with levels), not on the registry's ~18,000 municipalities; `city list --registry` lists
    all of them."""
    from bettercities.areas import service as areas
    from bettercities.areas.schemas import CitySpec

    ws = Workspace.init(tmp_path / "ws")
    try:
        with ws.database.session() as session:
            service.import_urban_audit(session, DATA / "urban_audit_cities.csv")
            areas.create_city(session, CitySpec(slug="auenstedt", name="Auenstedt", country="DE"))
            registry_count = len(areas.list_cities(session))
        runner = CliRunner()
        where = ["--workspace", str(ws.path)]
        listed = runner.invoke(cli_app, ["city", "list", *where])
        assert listed.exit_code == 0, listed.output
        assert [line.split()[0] for line in listed.output.splitlines()] == ["auenstedt"]
        everything = runner.invoke(cli_app, ["city", "list", "--registry", *where])
        assert len(everything.output.splitlines()) == registry_count > 2
        rules = runner.invoke(cli_app, ["privacy", "rules", "--json", *where])
        assert rules.exit_code == 0, rules.output
        assert list(json.loads(rules.output)) == ["auenstedt"]
    finally:
        ws.close()


def test_a_programme_set_after_its_networks_ended(tmp_path: Path) -> None:
    """The URBACT IV networks ran until 31 December 2025 (tests/data/networks/memberships.csv): benchmarked
    after that day, a network or programme set is its members on the network's last day, not "members
    today" (nobody)."""
    from bettercities.networks import importing

    ws = Workspace.init(tmp_path / "ws")
    try:
        with ws.database.session() as session:
            service.import_urban_audit(session, DATA / "urban_audit_cities.csv")
            service.import_geonames(session, DATA / "geonames_cities.csv")
            service.import_indicators(session, DATA / "indicators.csv")
            memberships = DATA.parent / "networks" / "memberships.csv"
            importing.import_memberships(session, memberships.read_text(encoding="utf-8"), memberships.name)
        with TestClient(create_app(ws, settings=SETTINGS)) as client:
            programmes = client.get("/api/programmes").json()
            urbact = next(p for p in programmes if p["name"].startswith("URBACT IV"))
            networks = client.get("/api/networks").json()
            health = next(n for n in networks if n["name_en"] == "One Health 4 Cities")
            assert health["end"] == "2025-12-31"
            by_network = client.get(
                "/api/benchmark", params={"indicator": "medianAge", "set": f"network:{health['slug']}"}
            ).json()
            by_programme = client.get(
                "/api/benchmark", params={"indicator": "medianAge", "set": f"programme:{urbact['slug']}"}
            ).json()
        # München is a partner of One Health 4 Cities in the file and a city of the tiny registry
        assert "muenchen" in [r["slug"] for r in by_network["rows"]]
        assert "muenchen" in [r["slug"] for r in by_programme["rows"]]
    finally:
        ws.close()
