"""The comparison of areas: values against the stored observations (and the aggregation rule for a district),
differences to the first area, withheld values left out, the chart with its legend and table, the form when
areas are missing; page, JSON twin, API and CLI agree."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bettercities.areas.models import Area
from bettercities.cli.main import app as cli
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.storage.workspace import Workspace
from bettercities.views.compare import parse_area_key
from bettercities.web import create_app
from tests.web.citybuilder import build_city
from tests.web.conftest import SETTINGS, SUPPRESSED
from tests.web.test_suppression import secrets

AREAS = ["planning_area:0103", "district:01", "0201"]
QUERY = [("area", a) for a in AREAS]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, TestClient]]:
    """Testville: 2 districts of 4 planning areas, 2021 and 2022; unemployment 2022 of 0102 suppressed."""
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("compare")) / "ws")
    build_city(workspace, suppress=(SUPPRESSED,))
    with TestClient(create_app(workspace, settings=SETTINGS)) as client:
        yield workspace, client
    workspace.close()


def stored(workspace: Workspace, indicator: str, period: str) -> dict[str, float]:
    """The stored values of the planning areas (the only level with observations)."""
    with workspace.database.reader() as session:
        rows = session.execute(
            select(Area.code, Observation.value)
            .join(Observation, Observation.area_id == Area.id)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .join(Period, Period.id == Observation.period_id)
            .where(Indicator.code == indicator, Period.code == period)
        ).all()
    return {code: float(value) for code, value in rows}


def test_parse_area_key() -> None:
    assert parse_area_key("district:01") == ("district", "01")
    assert parse_area_key("0101") == (None, "0101")


def test_values_and_differences(world: tuple[Workspace, TestClient]) -> None:
    workspace, client = world
    body = client.get("/cities/testville/compare.json", params=QUERY).json()
    assert [a["key"] for a in body["areas"]] == ["planning_area:0103", "district:01", "planning_area:0201"]
    rows = {r["indicator"]["code"]: r for r in body["rows"]}
    green, people = stored(workspace, "green_space", "2022"), stored(workspace, "inhabitants", "2022")
    # the district's green space: the planning areas' values weighted by their inhabitants (weighted_mean)
    district = ["0101", "0102", "0103", "0104"]
    district_green = sum(green[c] * people[c] for c in district) / sum(people[c] for c in district)
    values = rows["green_space"]["values"]
    assert rows["green_space"]["period"] == "2022"
    assert [v["value"] for v in values] == pytest.approx([green["0103"], district_green, green["0201"]])
    assert values[0]["difference"] is None
    assert values[1]["difference"] == pytest.approx(district_green - green["0103"])
    assert values[2]["difference"] == pytest.approx(green["0201"] - green["0103"])
    assert values[1]["estimated"] and not values[0]["estimated"]  # aggregated from the planning areas
    # counts: a district's inhabitants are their sum; compared only between areas of one level
    counts = rows["inhabitants"]["values"]
    assert counts[1]["value"] == sum(people[c] for c in district) and counts[1]["difference"] is None
    assert counts[2]["difference"] == people["0201"] - people["0103"]
    # shares: differences in percentage points; the city's value is its series' latest point
    assert rows["unemployment"]["difference_unit"] == "pp" and rows["green_space"]["difference_unit"] == "m²"
    series = client.get("/api/cities/testville/series", params={"indicator": "green_space"}).json()
    assert rows["green_space"]["city"]["value"] == pytest.approx(series["points"][-1]["value"])


def test_a_withheld_value_is_left_out(world: tuple[Workspace, TestClient]) -> None:
    _, client = world
    indicator, area, _ = SUPPRESSED
    query = [("area", area), ("area", "0103"), ("indicator", indicator)]
    body = client.get("/cities/testville/compare.json", params=query).json()
    row = next(r for r in body["rows"] if r["indicator"]["code"] == indicator)
    assert row["values"][0] == {
        "value": None, "suppressed": True, "estimated": False, "provisional": False, "difference": None,
    }  # fmt: skip
    assert row["values"][1]["value"] is not None and row["values"][1]["difference"] is None
    latest = body["series"][0]["points"][-1]
    assert (latest["period"], latest["value"], latest["suppressed"]) == ("2022", None, True)
    texts = [json.dumps(body)] + [
        client.get("/cities/testville/compare", params=[*query, ("lang", lang)]).text for lang in ("de", "en")
    ]
    texts.append(client.get("/api/cities/testville/compare", params=query).text)
    for text in texts:
        for secret in secrets():
            assert secret not in text


def test_page_chart_legend_and_table(world: tuple[Workspace, TestClient]) -> None:
    _, client = world
    page = client.get(
        "/cities/testville/compare", params=[*QUERY, ("indicator", "unemployment"), ("lang", "en")]
    )
    assert page.status_code == 200
    html = page.text
    assert "<h1>Compare areas</h1>" in html and "Side by side" in html
    # one legend line per area and the city's (dashed), a description for screen readers, a table fallback
    legend = re.findall(r'<g class="legend-line" data-label="([^"]+)">', html)
    assert legend == ["Planungsraum 0103", "Bezirk 01", "Planungsraum 0201", "Testville"]
    assert '<desc id="series-desc">' in html and 'aria-labelledby="series-title series-desc"' in html
    table = html[html.index('class="data compact compare-series"') :]
    assert re.search(r'<th scope="row">2021</th>', table) and re.search(r'<th scope="row">2022</th>', table)
    # the form keeps the areas; a row's link charts that indicator for the same areas
    assert html.count('name="area"') >= 4 and 'value="district:01"' in html
    assert "/cities/testville/compare?area=planning_area%3A0103&amp;area=district%3A01" in html
    german = client.get("/cities/testville/compare", params=[*QUERY, ("lang", "de")]).text
    assert "Gebiete vergleichen" in german and "Nebeneinander" in german


def test_form_when_areas_are_missing(world: tuple[Workspace, TestClient]) -> None:
    _, client = world
    empty = client.get("/cities/testville/compare", params={"lang": "en"})
    assert empty.status_code == 200 and "Choose at least 2 areas" in empty.text
    assert '<datalist id="area-choices">' in empty.text and 'value="district:02"' in empty.text
    one = client.get("/cities/testville/compare", params=[("area", "0101"), ("area", ""), ("lang", "en")])
    assert one.status_code == 200 and "Choose at least 2 areas" in one.text and 'value="0101"' in one.text
    many = client.get(
        "/cities/testville/compare", params=[*(("area", f"01{i:02d}") for i in range(1, 8)), ("lang", "de")]
    )
    assert many.status_code == 200 and "Höchstens 6 Gebiete" in many.text
    assert client.get("/cities/testville/compare.json", params={"area": "0101"}).status_code == 422
    # the form's empty fields are left out; one area written two ways is one area
    filled = client.get(
        "/cities/testville/compare",
        params=[("area", "0101"), ("area", " "), ("area", "0102"), ("lang", "de")],
    )
    assert filled.status_code == 200 and "Nebeneinander" in filled.text
    same = [("area", "0101"), ("area", "planning_area:0101")]
    assert client.get("/api/cities/testville/compare", params=same).status_code == 422
    assert client.get("/api/cities/testville/compare", params={"area": "0101"}).status_code == 422
    unknown = client.get("/api/cities/testville/compare", params=[("area", "0101"), ("area", "9999")])
    assert unknown.status_code == 404
    assert (
        client.get(
            "/api/cities/testville/compare", params=[("area", "0101"), ("area", "nope:01")]
        ).status_code
        == 404
    )


def test_twin_api_and_cli_agree(world: tuple[Workspace, TestClient]) -> None:
    workspace, client = world
    twin = client.get("/cities/testville/compare.json", params=[*QUERY, ("lang", "en")]).json()
    api = client.get("/api/cities/testville/compare", params=QUERY).json()
    assert {k: v for k, v in twin.items() if k != "state"} == {k: v for k, v in api.items() if k != "state"}
    result = CliRunner().invoke(
        cli, ["city", "compare", "testville", *AREAS, "--json", "--workspace", str(workspace.path)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == api["rows"]
    text = CliRunner().invoke(
        cli, ["city", "compare", "testville", "0102", "0103", "-w", str(workspace.path)]
    )
    assert text.exit_code == 0 and re.search(r"\nunemployment\s+2022\s+withheld\s+\d", text.output)


def test_the_profile_links_to_a_comparison_with_its_district(world: tuple[Workspace, TestClient]) -> None:
    _, client = world
    page = client.get("/cities/testville/areas/0103", params={"lang": "en"}).text
    link = re.search(r'class="compare-link" href="([^"]+)"', page)
    assert link and "area=planning_area%3A0103&amp;area=district%3A01" in link.group(1)
    target = client.get(link.group(1).replace("&amp;", "&"))
    assert target.status_code == 200 and "Bezirk 01" in target.text and "Side by side" in target.text
