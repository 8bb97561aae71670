"""The change map between two periods: numbers against the stored observations, withheld values never give a
published change, areas of only one boundary version are marked, polarity flips the legend; page, JSON twin,
API and CLI agree."""

from __future__ import annotations

import doctest
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bettercities.areas import service as areas
from bettercities.areas.models import Area, SpatialLevel
from bettercities.areas.schemas import AreaSpec
from bettercities.cli.main import app as cli
from bettercities.figures.change import ChangeTexts, change_legend, diverging_scale
from bettercities.indicators import service as indicators
from bettercities.indicators.change import ChangeStatus, area_changes, summarise_changes
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import AreaValue
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.views.change import ChangeState, change_view
from bettercities.views.reader import Reader
from bettercities.web import create_app
from tests.web.citybuilder import build_city
from tests.web.conftest import SETTINGS, SUPPRESSED
from tests.web.test_suppression import secrets

#: An area valid from mid-2022 only (a boundary change): on the 2022 map, not on the 2021 one.
NEW_AREA = "0199"
URL = "/cities/testville/indicators/{code}/change"


# -- the pure parts ----------------------------------------------------------------------------------------


def _value(code: str, value: float | None, **flags: object) -> AreaValue:
    return AreaValue(area_code=code, area_name=f"Area {code}", value=value, **flags)  # type: ignore[arg-type]


def test_area_changes_by_hand() -> None:
    before = [_value("a", 10.0), _value("b", 4.0), _value("c", None, suppressed=True), _value("d", 0.0)]
    before += [_value("gone", 3.0), _value("e", None)]
    after = [_value("a", 12.5), _value("b", 3.0), _value("c", 9.0), _value("d", 2.0), _value("new", 1.0)]
    after += [_value("e", 5.0)]
    changes = {c.area_code: c for c in area_changes(before, after)}
    assert (changes["a"].absolute, changes["a"].relative) == (2.5, 25.0)  # 12.5 - 10; 2.5 / 10
    assert (changes["b"].absolute, changes["b"].relative) == (-1.0, -25.0)
    assert changes["c"].status == ChangeStatus.WITHHELD and changes["c"].absolute is None
    assert changes["d"].absolute == 2.0 and changes["d"].relative is None  # no percent of 0
    assert changes["new"].status == ChangeStatus.NEW and changes["gone"].status == ChangeStatus.ENDED
    assert changes["e"].status == ChangeStatus.NO_DATA and changes["e"].absolute is None
    summary = summarise_changes(list(changes.values()))
    assert (summary.increased, summary.decreased, summary.withheld, summary.new, summary.ended) == (
        2,
        1,
        1,
        1,
        1,
    )


def test_the_data_team_sees_the_change_the_public_does_not() -> None:
    # the team's values carry the protection mark; the change is computed but stays "withheld"
    before = [_value("a", 10.0, protection="secondary")]
    after = [_value("a", 11.0)]
    (change,) = area_changes(before, after)
    assert (
        change.status == ChangeStatus.WITHHELD and change.absolute == 1.0 and change.protection == "secondary"
    )
    perturbed = area_changes([_value("a", 10.0, protection="perturbed")], after)[0]
    assert perturbed.status == ChangeStatus.CHANGED  # the public sees a perturbed value: a change it may see


TEXTS = ChangeTexts(
    title="t", legend_title="Change", increase="increase", decrease="decrease", unchanged="unchanged",
    better="better", worse="worse", withheld="withheld", no_data="no data", not_in_both="not in both",
)  # fmt: skip


def test_diverging_scale_is_centred_and_polarity_flips_the_legend() -> None:
    values = [-2.9, -0.4, 0.0, 0.5, 1.2, None]
    worse = diverging_scale(values, polarity="higher_is_worse")
    better = diverging_scale(values, polarity="higher_is_better")
    # max |change| 2.9 over 3 classes a side: the next round width above 0.967 is 1
    assert worse.step == 1.0 and [c.upper for c in worse.classes] == [-2, -1, 0, 0, 1, 2, 3]
    assert worse.assignments == [0, 2, 3, 4, 5, None]
    assert worse.classes[3].direction == "none"
    assert [c.count for c in worse.classes] == [1, 0, 1, 1, 1, 1, 0]
    # more unemployment is worse: increases red (ColorBrewer RdBu's red end), decreases blue
    assert worse.classes[-1].colour == "#b2182b" and worse.classes[-1].meaning == "worse"
    assert worse.classes[0].colour == "#2166ac" and worse.classes[0].meaning == "better"
    assert better.classes[-1].colour == "#2166ac" and better.classes[-1].meaning == "better"
    assert better.classes[0].meaning == "worse"
    assert diverging_scale(values, polarity="neutral").classes[-1].meaning is None
    legend = change_legend(worse, TEXTS, fmt=lambda v: f"{v:+g}")
    first = re.search(r'data-direction="increase" data-meaning="(\w+)".*?<text[^>]*>([^<]*)<', legend)
    assert first and first.group(1) == "worse" and first.group(2) == "increase +2 … +3 · worse"
    flipped = change_legend(better, TEXTS, fmt=lambda v: f"{v:+g}")
    assert "increase +2 … +3 · better" in flipped and "decrease -3 … -2 · worse" in flipped


# -- on a stored city --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, TestClient]]:
    """Testville (unemployment 2022 of 0102 suppressed at the source, 0101 withheld beside it by secondary
    suppression) and one planning area that exists from mid-2022 only, with its 2022 values."""
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("change")) / "ws")
    build_city(workspace, suppress=(SUPPRESSED,))
    with workspace.database.session() as session:
        city = areas.get_city(session, "testville")
        level = areas.get_level(session, city, "planning_area")
        ring = [[13.30, 52.45], [13.31, 52.45], [13.31, 52.46], [13.30, 52.46], [13.30, 52.45]]
        spec = AreaSpec(
            code=NEW_AREA, name="Neubaugebiet", parent_code="01", valid_from=date(2022, 6, 1),
            geometry={"type": "Polygon", "coordinates": [ring]},
        )  # fmt: skip
        areas.add_areas(session, city, level, [spec])
        area_id = session.scalar(select(Area.id).where(Area.code == NEW_AREA))
        period_id = indicators.ensure_periods(session, [parse_period("2022")])["2022"]
        for code, value in (("unemployment", 4.5), ("inhabitants", 900.0), ("green_space", 8.0)):
            indicator = indicators.get_indicator(session, code)
            session.add(
                Observation(indicator_id=indicator.id, area_id=area_id, period_id=period_id, value=value)
            )
    with TestClient(create_app(workspace, settings=SETTINGS)) as client:
        yield workspace, client
    workspace.close()


def stored(workspace: Workspace, indicator: str, period: str) -> dict[str, float]:
    """The stored (raw) values of the planning areas, read from the observations table."""
    with workspace.database.reader() as session:
        rows = session.execute(
            select(Area.code, Observation.value)
            .join(Observation, Observation.area_id == Area.id)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .join(Period, Period.id == Observation.period_id)
            .join(SpatialLevel, SpatialLevel.id == Area.level_id)
            .where(Indicator.code == indicator, Period.code == period, SpatialLevel.code == "planning_area")
        ).all()
    return {code: float(value) for code, value in rows}


def test_changes_are_the_stored_values_differences(world: tuple[Workspace, TestClient]) -> None:
    workspace, client = world
    body = client.get(URL.format(code="green_space") + ".json", params={"from": "2021", "to": "2022"}).json()
    before, after = stored(workspace, "green_space", "2021"), stored(workspace, "green_space", "2022")
    rows = {r["area_code"]: r for r in body["rows"]}
    for code in before:
        assert rows[code]["absolute"] == pytest.approx(after[code] - before[code])
        assert rows[code]["relative"] == pytest.approx(100 * (after[code] - before[code]) / before[code])
    assert body["unit"] == "m²" and body["state"]["level"] == "planning_area"
    assert rows[NEW_AREA]["status"] == "new" and rows[NEW_AREA]["absolute"] is None
    assert rows[NEW_AREA]["to_value"] == 8.0
    # largest increase first, areas without a change last
    changes = [r["absolute"] for r in body["rows"] if r["status"] == "changed"]
    assert changes == sorted(changes, reverse=True) and body["rows"][-1]["status"] == "new"
    # the city-wide change is the difference of the city series' two points
    series = client.get("/api/cities/testville/series", params={"indicator": "green_space"}).json()
    points = {p["period"]: p["value"] for p in series["points"]}
    assert body["city_change"]["absolute"] == pytest.approx(points["2022"] - points["2021"])


def test_shares_change_in_percentage_points(world: tuple[Workspace, TestClient]) -> None:
    workspace, client = world
    body = client.get(URL.format(code="unemployment") + ".json").json()  # defaults: oldest to latest
    assert (body["from_period"]["code"], body["to_period"]["code"]) == ("2021", "2022")
    assert body["unit"] == "pp"
    before, after = stored(workspace, "unemployment", "2021"), stored(workspace, "unemployment", "2022")
    rows = {r["area_code"]: r for r in body["rows"]}
    assert rows["0201"]["absolute"] == pytest.approx(after["0201"] - before["0201"])
    page = client.get(URL.format(code="unemployment"), params={"lang": "en"})
    assert page.status_code == 200 and "Change of Unemployment, 2021 to 2022" in page.text
    assert "pp" in page.text


def test_a_withheld_value_never_yields_a_public_change(world: tuple[Workspace, TestClient]) -> None:
    workspace, client = world
    _, area, period = SUPPRESSED
    raw_before, raw_after = (
        stored(workspace, "unemployment", "2021"),
        stored(workspace, "unemployment", "2022"),
    )
    maps = [
        client.get("/cities/testville.json", params={"indicator": "unemployment", "period": year}).json()
        for year in ("2021", period)
    ]
    withheld = {a["code"] for one in maps for a in one["map"]["areas"] if a["suppressed"]}
    assert area in withheld  # suppressed at the source (and whatever protection withholds beside it)
    body = client.get(URL.format(code="unemployment") + ".json", params={"from": "2021", "to": period}).json()
    rows = {r["area_code"]: r for r in body["rows"]}
    for code, row in rows.items():
        if code in withheld:
            assert row["status"] == "withheld"
            assert row["absolute"] is None and row["relative"] is None and row["class_index"] is None
        else:
            assert row["status"] in ("changed", "new")
    assert body["summary"]["withheld"] == len(withheld)
    hidden_change = raw_after[area] - raw_before[area]  # the secret minus the published 2021 value
    texts = [
        client.get(URL.format(code="unemployment") + suffix, params={"lang": lang}).text
        for suffix in ("", ".json")
        for lang in ("de", "en")
    ] + [client.get(f"/api/cities/testville/indicators/unemployment/change?from=2021&to={period}").text]
    for text in texts:
        for secret in secrets():
            assert secret not in text
        for decimals in (2, 3):
            for written in (f"{hidden_change:.{decimals}f}", f"{abs(hidden_change):.{decimals}f}"):
                assert written not in text and written.replace(".", ",") not in text
    page = texts[1]
    assert re.search(rf'data-code="{area}"[^>]*data-change="withheld"', page)  # hatched on the map
    assert re.search(rf'data-code="{NEW_AREA}"[^>]*data-change="not_in_both"', page)  # dotted
    # the city's data team sees the raw change, still marked as not published
    with workspace.database.reader() as session:
        reader = Reader(session, audience=Audience.INTERNAL)
        team = change_view(reader, "testville", "unemployment", ChangeState(indicator="unemployment"))
    row = next(r for r in team.rows if r.area_code == area)
    assert row.status == ChangeStatus.WITHHELD and row.absolute == pytest.approx(hidden_change)


def test_polarity_flips_the_legend_on_the_page(world: tuple[Workspace, TestClient]) -> None:
    _, client = world
    worse = client.get(URL.format(code="unemployment"), params={"lang": "en"}).text
    better = client.get(URL.format(code="green_space"), params={"lang": "en"}).text
    assert 'data-direction="increase" data-meaning="worse"' in worse
    assert 'data-direction="increase" data-meaning="better"' in better
    assert "· worse" in worse and "· better" in better
    german = client.get(URL.format(code="unemployment"), params={"lang": "de"}).text
    assert "Zunahme" in german and "schlechter" in german


def test_page_twin_api_and_cli_agree(world: tuple[Workspace, TestClient]) -> None:
    workspace, client = world
    query = {"from": "2021", "to": "2022", "level": "district"}
    twin = client.get(URL.format(code="inhabitants") + ".json", params=query).json()
    api = client.get("/api/cities/testville/indicators/inhabitants/change", params=query).json()
    assert twin == api and {r["area_code"] for r in api["rows"]} == {"01", "02"}
    # districts are the sums of their planning areas (0199 counts in 2022 only)
    before, after = stored(workspace, "inhabitants", "2021"), stored(workspace, "inhabitants", "2022")
    district = {r["area_code"]: r for r in api["rows"]}["02"]
    expected = sum(after[c] for c in after if c.startswith("02")) - sum(
        before[c] for c in before if c[:2] == "02"
    )
    assert district["absolute"] == pytest.approx(expected)
    result = CliRunner().invoke(
        cli,
        ["indicators", "change", "testville", "inhabitants", "--from", "2021", "--to", "2022", "--level",
         "district", "--json", "--workspace", str(workspace.path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == api["rows"]
    text = CliRunner().invoke(
        cli, ["indicators", "change", "testville", "unemployment", "--workspace", str(workspace.path)]
    )
    assert text.exit_code == 0 and re.search(
        r"\n0102\s+Planungsraum 0102\s+3\.03\s+–\s+withheld\n", text.output
    )


def test_periods_in_the_wrong_order(world: tuple[Workspace, TestClient]) -> None:
    _, client = world
    api = client.get("/api/cities/testville/indicators/unemployment/change?from=2022&to=2021")
    assert api.status_code == 422 and "must end before" in api.json()["detail"]
    page = client.get(URL.format(code="unemployment"), params={"from": "2022", "to": "2021", "lang": "en"})
    assert page.status_code == 422 and "The first period must come before the second" in page.text
    assert '<form class="controls"' in page.text
    assert client.get(URL.format(code="unemployment"), params={"from": "1999"}).status_code == 404


def test_the_indicator_page_links_to_the_change_map(world: tuple[Workspace, TestClient]) -> None:
    _, client = world
    page = client.get("/cities/testville/indicators/unemployment", params={"lang": "en"}).text
    link = re.search(r'href="(/cities/testville/indicators/unemployment/change[^"]*)"', page)
    assert link and client.get(link.group(1).replace("&amp;", "&")).status_code == 200


def test_docstring_examples() -> None:
    from bettercities.figures import change as figure
    from bettercities.indicators import change

    for module in (change, figure):
        assert doctest.testmod(module).failed == 0
