"""Catalogue faces on the demo city: pages and JSON twins, RDF at stable URLs, inventory, stewardship, CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from typer.testing import CliRunner

from bettercities.catalog.inventory import inventory, reference_set
from bettercities.catalog.schemas import InventoryStatus
from bettercities.catalog.stewardship import stewardship
from bettercities.cli.main import app as cli
from bettercities.demo.generator import _CITY_SLUG as DEMO
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support import demos
from tests.web.conftest import SETTINGS


@pytest.fixture(scope="module")
def client(demo_workspace: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(demo_workspace, settings=SETTINGS)) as test_client:
        yield test_client


@pytest.mark.parametrize("lang", ["de", "en"])
def test_pages_render_with_json_twins(client: TestClient, lang: str) -> None:
    for path in ("catalog", "catalog/labour-market", "inventory", "responsibilities"):
        page = client.get(f"/cities/{DEMO}/{path}", params={"lang": lang})
        assert page.status_code == 200, path
        assert client.get(f"/cities/{DEMO}/{path}.json").status_code == 200
    listing = client.get(f"/cities/{DEMO}/catalog", params={"lang": lang}).text
    assert ("Arbeitslosigkeit" if lang == "de" else "Unemployment") in listing
    inventory = client.get(f"/cities/{DEMO}/inventory").text  # printable: print styles in the stylesheet
    assert 'class="print-summary"' in inventory and "data-print" in inventory


def test_search_and_filters_serve_page_and_api(client: TestClient) -> None:
    found = client.get(f"/cities/{DEMO}/catalog.json", params={"q": "Transfer"}).json()
    assert [d["code"] for d in found["datasets"]] == ["transfers"]
    by_theme = client.get(f"/api/cities/{DEMO}/datasets", params={"theme": "ECON"}).json()
    assert [d["code"] for d in by_theme["items"]] == ["labour-market"]
    assert client.get(f"/api/cities/{DEMO}/datasets", params={"state": "draft"}).json()["total"] == 0


def test_rdf_at_stable_urls(client: TestClient) -> None:
    turtle = client.get(f"/catalog/{DEMO}.ttl")
    assert turtle.headers["content-type"].startswith("text/turtle")
    jsonld = client.get(f"/catalog/{DEMO}.jsonld")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    a = Graph().parse(data=turtle.text, format="turtle")
    b = Graph().parse(data=jsonld.text, format="json-ld")
    assert len(a) == len(b)
    one = client.get(f"/catalog/{DEMO}/housing.ttl")
    assert one.status_code == 200 and f"http://testserver/catalog/{DEMO}/housing" in one.text
    assert client.get(f"/catalog/{DEMO}/nothing.ttl").status_code == 404
    assert client.get(f"/catalog/{DEMO}.xyz").status_code == 404


def test_inventory_against_the_reference_set(demo_workspace: Workspace) -> None:
    refs, sources = reference_set()
    assert {r.area for r in refs} == {
        "labour", "poverty", "education", "housing", "health", "demography", "participation"
    }  # fmt: skip
    assert all(r.source in sources for r in refs)
    with demo_workspace.database.reader() as session:
        view = inventory(session, DEMO, audience=Audience.INTERNAL, today=date(2025, 6, 1))
        later = inventory(session, DEMO, audience=Audience.INTERNAL, today=date(2030, 1, 1))
    rows = {r.reference.code: r for r in view.rows}
    assert rows["unemployment_rate"].status == InventoryStatus.HELD
    assert rows["unemployment_rate"].level_kind == "small_area"
    assert rows["unemployment_rate"].dataset == "labour-market"
    # 60 planning areas and the two new ones of the demo's boundary change (demo/boundary.py), which hold the
    # values carried to them
    assert rows["unemployment_rate"].areas_with_data == rows["unemployment_rate"].areas_total == 60 + 2
    assert rows["life_expectancy"].status == InventoryStatus.MISSING
    assert sum(view.counts.values()) == len(refs)
    assert {r.status for r in later.rows if r.indicator} == {InventoryStatus.STALE}


def test_stewardship_overdue_and_reminders(demo_workspace: Workspace) -> None:
    with demo_workspace.database.reader() as session:
        view = stewardship(session, DEMO, audience=Audience.INTERNAL, today=date(2025, 4, 15))
    assert [r.dataset for r in view.overdue] == ["housing"]  # last delivered for 2023, due 2025-03-31
    assert all(r.owner_unit and r.steward and r.next_due for r in view.responsibilities)
    assert {r.dataset: r.overdue for r in view.reminders} == {"housing": True}


def test_cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # its own copy: this test changes the catalogue
    demo_workspace, _ = demos.built_demo(
        tmp_path_factory, tmp_path / "workspace", n_planning_areas=60, first_year=2023, last_year=2024
    )
    demo_workspace.close()
    runner = CliRunner()
    options = ["--workspace", str(demo_workspace.path)]

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, [*args, *options])
        assert result.exit_code == code, result.output
        return result.output

    assert "5 datasets" in run("catalog", "list", DEMO)
    assert "published" in run("catalog", "show", DEMO, "population")
    out = tmp_path / "catalog.jsonld"
    run("catalog", "export", DEMO, "--format", "jsonld", "--output", str(out))
    assert len(Graph().parse(out, format="json-ld")) > 100
    assert "missing" in run("catalog", "inventory", DEMO)
    assert "overdue" in run("catalog", "overdue", DEMO)
    spec = tmp_path / "more.yaml"
    spec.write_text(
        "datasets:\n  - code: elections\n    title_de: Wahlen\n    title_en: Elections\n"
        "    description_de: Wahlbeteiligung\n    publisher: Stadt\n    theme: GOVE\n"
        "    frequency: QUINQUENNIAL\n",
        encoding="utf-8",
    )
    assert "1 datasets added" in run("catalog", "add", DEMO, str(spec))
    bad = tmp_path / "bad.yaml"
    bad.write_text("- code: Bad Code\n  title_de: x\n", encoding="utf-8")
    assert "invalid" in run("catalog", "add", DEMO, str(bad), code=2)
    assert "draft -> submitted" in run("catalog", "submit", DEMO, "elections", "--user", "ann")
    assert "elections" not in run("catalog", "export", DEMO)  # not published: not in the public catalogue
    assert "elections" in run("catalog", "export", DEMO, "--audience", "internal")
