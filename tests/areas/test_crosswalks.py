"""Crosswalks between boundary versions (issue 12): a relationship file imported from the command line, the
values carried to the new areas (estimates) on the API, the pages and the command line, and disclosure
control across the two boundary versions played by the attacker of ``tests/privacy/test_attacker.py``.

The world (one per module): the generated city of the attacker's test (two districts of two regions of three
planning areas, plus the planted district ``X`` whose planning area ``XR1P1`` has 2 benefit recipients), with
a boundary change from 2025: ``XR1P1`` is split into ``N1`` (30 % of its population) and ``N2`` (70 %), and
``N2`` also takes all of ``XR1P2``; ``XR1P3`` becomes ``N3`` unchanged. The crosswalk comes in as an Excel
file through ``bettercities crosswalk import``, and the 2024 values are carried and stored with
``bettercities crosswalk carry --store``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from typer.testing import CliRunner

from bettercities.access.policy import Role
from bettercities.areas import service as areas
from bettercities.areas.schemas import AreaSpec
from bettercities.cli.main import app as cli
from bettercities.indicators.models import Observation
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.privacy.test_attacker import (
    SETTINGS,
    SLUG,
    THRESHOLD,
    City,
    Published,
    build,
    gather,
    intervals,
    primary_cells,
    quantities,
)
from tests.web.conftest import add_user, issue_token

PERIOD = "2024"
CODE = "lor-2025"
#: (old area, new area, weight): the share of the old area's population in the new one.
LINKS = [("XR1P1", "N1", 0.3), ("XR1P1", "N2", 0.7), ("XR1P2", "N2", 1.0), ("XR1P3", "N3", 1.0)]
NEW = ("N1", "N2", "N3")
INDICATORS = ("inhabitants", "recipients", "recipient_share", "unemployment", "mean_age")


@dataclass
class World:
    ws: Workspace
    city: City
    client: TestClient
    analyst: dict[str, str]
    imported: str


def _xlsx(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def workspace(world: World) -> list[str]:
    return ["--workspace", str(world.ws.path)]


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("crosswalks")
    ws = Workspace.init(folder / "ws")
    city = build(ws, seed=5, districts=2, regions=2, planning=3, periods=(PERIOD,), small=3, index_run=False)
    with ws.database.session() as session:
        row = areas.get_city(session, SLUG)
        level = areas.get_level(session, row, "planning_area")
        ended = [
            AreaSpec(code=code, name=code, parent_code="XR1", valid_to=date(2025, 1, 1))
            for code in ("XR1P1", "XR1P2", "XR1P3")
        ]
        new = [AreaSpec(code=c, name=f"Neu {c}", parent_code="XR1", valid_from=date(2025, 1, 1)) for c in NEW]
        areas.add_areas(session, row, level, [*ended, *new])
    w = ["--workspace", str(ws.path)]
    rel = _xlsx(folder / "rel.xlsx", [("alt", "neu", "gewicht"), *LINKS])
    imported = run(
        "crosswalk", "import", "--city", SLUG, "--code", CODE, "--file", str(rel),
        "--source-level", "planning_area", "--target-level", "planning_area",
        "--source-at", "2024-12-31", "--target-at", "2025-01-01",
        "--source-column", "alt", "--target-column", "neu", "--weight-column", "gewicht", *w,
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    for code in INDICATORS:
        carried = run("crosswalk", "carry", CODE, "--city", SLUG, "--indicator", code, "--period", PERIOD,
                      "--store", *w)  # fmt: skip
        assert carried.exit_code == 0, carried.output
    add_user(ws, "ana", {SLUG: Role.ANALYST})
    token = issue_token(ws, "ana")
    with TestClient(create_app(ws, settings=SETTINGS)) as client:
        yield World(ws, city, client, {"Authorization": f"Bearer {token}"}, imported.output)
    ws.close()


def _carried(world: World, headers: dict[str, str] | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """(indicator, new area) -> the carried value the API publishes for ``headers``' caller."""
    found = {}
    for code in INDICATORS:
        response = world.client.get(
            f"/api/cities/{SLUG}/crosswalks/{CODE}/values",
            params={"indicator": code, "period": PERIOD},
            headers=headers or {},
        )
        assert response.status_code == 200, response.text
        for row in response.json()["targets"]:
            found[(code, row["area_code"])] = row
    return found


def test_the_import_stores_the_file_and_the_list_shows_it(world: World) -> None:
    assert "4 links from rel.xlsx" in world.imported
    listed = run("crosswalk", "list", "--city", SLUG, "--json", *workspace(world))
    assert listed.exit_code == 0, listed.output
    (only,) = json.loads(listed.output)
    assert (only["code"], only["sources"], only["targets"], only["entries"]) == (CODE, 3, 3, 4)
    assert only["target_valid_from"] == "2025-01-01"
    shown = world.client.get(f"/api/cities/{SLUG}/crosswalks/{CODE}").json()
    assert [(x["source_code"], x["target_code"], x["weight"]) for x in shown["links"]] == LINKS


def test_a_bad_file_is_refused_with_file_row_and_column(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "source;target;weight\n"
        "XR1P1;N1;0,3\n"  # row 2: the weights of XR1P1 add up to 0.3 only
        "XR1P2;N9;1\n"  # row 3: no new area N9
        "XR1P3;N3;abc\n",  # row 4: not a number
        encoding="utf-8",
    )
    result = run(
        "crosswalk", "import", "--city", SLUG, "--code", "bad", "--file", str(bad),
        "--source-level", "planning_area", "--target-level", "planning_area", *workspace(world),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "bad.csv, row 4, column 'weight': type-error" in result.output
    missing = tmp_path / "missing.csv"
    missing.write_text("old;target\nXR1P1;N1\n", encoding="utf-8")
    result = run(
        "crosswalk", "import", "--city", SLUG, "--code", "bad", "--file", str(missing),
        "--source-level", "planning_area", "--target-level", "planning_area", *workspace(world),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "missing.csv, row 1, column 'weight': missing-column" in result.output
    bad.write_text("source,target,weight\nXR1P1,N1,0.3\nXR1P2,N9,1\n", encoding="utf-8")
    result = run(
        "crosswalk", "import", "--city", SLUG, "--code", "bad", "--file", str(bad),
        "--source-level", "planning_area", "--target-level", "planning_area", "--target-at", "2025-01-01",
        *workspace(world),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "bad.csv, row 3, column 'target': unknown-area" in result.output
    assert "bad.csv, row 2, column 'weight': weights-not-one" in result.output
    assert world.client.get(f"/api/cities/{SLUG}/crosswalks/bad").status_code == 404  # nothing stored


def test_carried_values_for_the_data_team_are_the_weighted_counts(world: World) -> None:
    """Computed here from the generated counts: a count of a new area is the sum of weight x count of its old
    areas; a share is recombined from the carried numerator and denominator."""
    truth = world.city.truth
    expected: dict[str, dict[str, float]] = {n: {} for n in NEW}
    for q in ("inhabitants", "recipients", "unemployed", "population_15_65"):
        for old, new, weight in LINKS:
            expected[new][q] = expected[new].get(q, 0.0) + weight * truth[(q, old, PERIOD)]
    raw = _carried(world, world.analyst)
    for n in NEW:
        assert raw[("inhabitants", n)]["value"] == pytest.approx(expected[n]["inhabitants"])
        assert raw[("recipients", n)]["value"] == pytest.approx(expected[n]["recipients"])
        share = 100 * expected[n]["unemployed"] / expected[n]["population_15_65"]
        assert raw[("unemployment", n)]["value"] == pytest.approx(share)
        assert all(raw[(code, n)]["estimated"] for code in INDICATORS)
    # stored: the new area's series shows the estimate, flagged (and marked for the data team where withheld)
    series = world.client.get(
        f"/api/cities/{SLUG}/series", params={"indicator": "recipients", "area": "N2"}, headers=world.analyst
    ).json()
    (point,) = series["points"]
    assert point["estimated"] and point["value"] == pytest.approx(expected["N2"]["recipients"])
    assert point["protection"] == "secondary"


def test_a_carried_value_of_a_withheld_cell_is_withheld(world: World) -> None:
    """XR1P1's 2 recipients are withheld (primary), so N1 (its 30 %) and N2 (its 70 % plus XR1P2) are withheld
    too, in the crosswalk API, the series and the page; N3 (XR1P3 unchanged) is published as XR1P3 is."""
    public = _carried(world)
    for n in ("N1", "N2"):
        for code in ("recipients", "recipient_share"):
            assert public[(code, n)]["suppressed"] and public[(code, n)]["value"] is None, (code, n)
    old = world.client.get(
        f"/api/cities/{SLUG}/observations",
        params={"indicator": "recipients", "period": PERIOD, "level": "planning_area"},
    ).json()["items"]
    by_code = {row["area_code"]: row for row in old}
    assert by_code["XR1P1"]["suppressed"]
    assert set(by_code).isdisjoint(NEW)  # the 2024 map shows the old areas only
    assert public[("recipients", "N3")]["value"] == by_code["XR1P3"]["value"]
    point = world.client.get(
        f"/api/cities/{SLUG}/series", params={"indicator": "recipients", "area": "N1"}
    ).json()["points"][0]
    assert point["suppressed"] and point["value"] is None
    page = world.client.get(f"/cities/{SLUG}/crosswalks/{CODE}", params={"indicator": "recipients"})
    assert page.status_code == 200
    assert "estimated" in page.text and "withheld" in page.text


def _crosswalk_relations(pub: Published) -> list[dict[tuple[str, str], float]]:
    """What the attacker knows from the published crosswalk: every quantity of a new area is the weighted sum
    of its old areas' (the carried counts)."""
    names = {q for v in quantities(pub.indicators).values() for q in (v or ())}
    names |= {c for c, v in quantities(pub.indicators).items() if v is None}
    relations = []
    for q in sorted(names):
        for n in NEW:
            row = {(q, n): 1.0}
            for old, new, weight in LINKS:
                if new == n:
                    row[(q, old)] = -weight
            relations.append(row)
    return relations


def _with_carried(pub: Published, carried: dict[tuple[str, str], dict[str, Any]]) -> Published:
    cells = dict(pub.cells)
    for (code, area), row in carried.items():
        cells[(code, area, PERIOD)] = row
    return Published(pub.parent, pub.indicators, cells, pub.runs, pub.relations, pub.starts)


def test_the_attacker_learns_nothing_from_carried_values(world: World) -> None:
    """Everything published (every level, the carried values, the crosswalk's weights as relations): every
    primary cell's feasible interval stays at least 3 wide. The attack is real: with the carried values as
    the data team sees them, XR1P1's 2 recipients come out exactly (N1 / 0.3)."""
    public = _with_carried(gather(world.client, [PERIOD], slug=SLUG), _carried(world))
    assert public.starts == {n: "2025-01-01" for n in NEW}
    relations = _crosswalk_relations(public)
    targets = [(q, a) for q, a, p in primary_cells(world.city)]
    assert ("recipients", "XR1P1") in targets
    found = intervals(public, PERIOD, targets, relations)
    narrow = {cell: ends for cell, ends in found.items() if ends[1] - ends[0] < THRESHOLD - 1e-6}
    assert narrow == {}
    for cell, (lo, hi) in found.items():
        assert lo - 1e-6 <= world.city.truth[(*cell, PERIOD)] <= hi + 1e-6, cell
    leaked = _with_carried(public, _carried(world, world.analyst))
    cell = ("recipients", "XR1P1")
    lo, hi = intervals(leaked, PERIOD, [cell], relations)[cell]
    assert lo == pytest.approx(2.0, abs=1e-6) and hi == pytest.approx(2.0, abs=1e-6)


def test_the_pages_list_and_show_the_crosswalk(world: World) -> None:
    listed = world.client.get(f"/cities/{SLUG}/crosswalks", params={"lang": "de"})
    assert listed.status_code == 200
    assert "Gebietsänderungen" in listed.text and f"/cities/{SLUG}/crosswalks/{CODE}" in listed.text
    page = world.client.get(f"/cities/{SLUG}/crosswalks/{CODE}.json", params={"indicator": "inhabitants"})
    body = page.json()
    assert body["period"] == PERIOD and body["carried"]["stored"]
    assert [v["area_code"] for v in body["carried"]["targets"]] == list(NEW)
    assert world.client.get(f"/cities/{SLUG}/crosswalks/{CODE}").status_code == 200  # defaults, no 422
    assert world.client.get(f"/cities/{SLUG}/crosswalks/nope").status_code == 404
    profile = world.client.get(f"/cities/{SLUG}/areas/N3.json").json()
    (row,) = [r for r in profile["rows"] if r["indicator"]["code"] == "inhabitants"]
    assert (row["period"], row["value"], row["estimated"]) == (PERIOD, 300.0, True)  # XR1P3's 300, carried
    assert "est." in world.client.get(f"/cities/{SLUG}/areas/N3", params={"lang": "en"}).text


def test_estimates_are_stored_once(world: World) -> None:
    with world.ws.database.reader() as session:
        estimated = session.query(Observation).filter(Observation.estimated.is_(True)).count()
    assert estimated == len(NEW) * len(INDICATORS)
