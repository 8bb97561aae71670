"""``bettercities privacy …``: rules, relations, the report and the p-table through the CLI.

The CLI is a face over the privacy service, whose storage is tested on SQLite and PostgreSQL in
tests/privacy/test_service.py; these tests run on SQLite only (each invocation opens the workspace anew).

The city is tests/web/citybuilder's Testville (8 planning areas, 2 years) with one planted small count: the
unemployed of planning area 0101 in 2022 set to 2. Every other count of the city is at least 12 (the builder
draws 600 or more people aged 15 to 64 per area and at least 2 % of them unemployed), so the minimum
frequency rule (threshold 3) finds exactly that one cell, and secondary suppression must withhold at least one
more cell of ``unemployed`` in 2022 (else 0101 = district 01 − its three published siblings).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bettercities.areas.models import Area
from bettercities.cli.main import app
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.storage.workspace import Workspace
from tests.web.citybuilder import build_city

CITY = "testville"


@pytest.fixture
def city(sqlite_workspace: Workspace) -> Iterator[Workspace]:
    workspace = sqlite_workspace
    build_city(workspace, slug=CITY, name="Testville")
    with workspace.database.session() as session:
        unemployment = session.scalar(select(Indicator.id).where(Indicator.code == "unemployment"))
        area = session.scalar(select(Area.id).where(Area.code == "0101"))
        period = session.scalar(select(Period.id).where(Period.code == "2022"))
        session.execute(
            update(Observation)
            .where(
                Observation.indicator_id == unemployment,
                Observation.area_id == area,
                Observation.period_id == period,
            )
            .values(numerator=2.0, value=round(100 * 2.0 / 606, 2))
        )
    yield workspace


def run(ws: Workspace, *args: str) -> tuple[int, str]:
    where = ["--workspace", str(ws.path)]
    if ws.database_url:
        where += ["--database-url", ws.database_url]
    result = CliRunner().invoke(app, ["privacy", *args, *where])
    return result.exit_code, result.output


def test_rules_set_and_remove(city: Workspace) -> None:
    code, out = run(city, "rules", "--city", CITY)
    assert code == 0, out
    assert "default: suppression (threshold 3, zeros published)  (built-in default)" in out

    code, out = run(
        city, "set", "--city", CITY, "--indicator", "unemployment", "--method", "cell-key",
        "--max-deviation", "3", "--variance", "1.5", "--js", "2",
    )  # fmt: skip
    assert code == 0, out
    assert "indicator:unemployment: cell_key (max deviation 3, variance 1.5, js 2)" in out
    code, out = run(city, "set", "--city", CITY, "--method", "suppression", "--threshold", "5", "--zeros")
    assert code == 0, out

    code, out = run(city, "rules", "--city", CITY, "--json")
    assert code == 0, out
    rules = {r["indicator"] or "default": r for r in json.loads(out)[CITY]}
    assert rules["unemployment"]["method"] == "cell_key" and rules["unemployment"]["max_deviation"] == 3
    assert rules["default"]["threshold"] == 5 and rules["default"]["zeros"] is True
    assert rules["default"]["id"] is not None  # stored now, no longer the built-in one

    code, out = run(city, "remove", "--city", CITY, "--indicator", "unemployment")
    assert code == 0 and "rule indicator:unemployment removed" in out
    code, out = run(city, "remove", "--city", CITY, "--indicator", "unemployment")
    assert code == 1 and "protection rule not found: testville/indicator:unemployment" in out


def test_refusals_and_exit_codes(city: Workspace) -> None:
    both = run(
        city, "set", "--city", CITY, "--indicator", "unemployment", "--dataset", "x", "--method", "none"
    )
    assert both[0] == 2 and "not both" in both[1]
    code, out = run(city, "set", "--city", CITY, "--method", "suppression", "--threshold", "0")
    assert code == 2 and "threshold" in out
    code, out = run(city, "set", "--city", CITY, "--indicator", "nosuch", "--method", "none")
    assert code == 1 and "indicator not found: nosuch" in out
    code, out = run(city, "set", "--city", "nowhere", "--method", "none")
    assert code == 1 and "nowhere" in out
    code, out = run(city, "set", "--city", CITY, "--method", "rounding")
    assert code == 2  # Typer refuses a method it does not know
    code, out = run(city, "report", "--city", CITY, "--period", "1999")
    assert code == 1 and "period not found: 1999" in out


def test_relations(city: Workspace) -> None:
    code, out = run(city, "relation", "add", "--city", CITY, "inhabitants", "population_65_plus",
                    "population_under_65")  # fmt: skip
    assert code == 0, out
    assert "inhabitants = population_65_plus + population_under_65" in out
    again = run(city, "relation", "add", "--city", CITY, "inhabitants", "population_under_65",
                "population_65_plus")  # fmt: skip
    assert again[0] == 1 and "declared already" in again[1]
    code, out = run(city, "relation", "add", "--city", CITY, "inhabitants", "inhabitants", "b")
    assert code == 2 and "cannot be one of its parts" in out
    code, out = run(city, "relation", "add", "--city", CITY, "inhabitants", "only_one")
    assert code == 2

    code, out = run(city, "relation", "list", "--city", CITY, "--json")
    [relation] = json.loads(out)
    assert relation["total"] == "inhabitants"
    assert relation["parts"] == ["population_65_plus", "population_under_65"]
    code, out = run(city, "relation", "remove", "--city", CITY, str(relation["id"]))
    assert code == 0, out
    code, out = run(city, "relation", "remove", "--city", CITY, str(relation["id"]))
    assert code == 1 and "not found" in out
    code, out = run(city, "relation", "list", "--city", CITY)
    assert "No relations declared in testville." in out


def test_report_names_the_planted_cell_and_its_complement(city: Workspace) -> None:
    code, out = run(city, "report", "--city", CITY, "--period", "2022", "--json")
    assert code == 0, out
    report = json.loads(out)
    rows = {(q["quantity"], q["period"]): q for q in report["quantities"]}
    assert {period for _, period in rows} == {"2022"}
    unemployed = rows[("unemployed", "2022")]
    assert unemployed["primary"] == {"frequency": 1}
    assert unemployed["secondary"] >= 1
    # nothing else of the city is below the threshold: no other primary cell anywhere
    others = [q for key, q in rows.items() if key != ("unemployed", "2022")]
    assert others and all(not q["primary"] for q in others)

    code, out = run(city, "report", "--city", CITY, "--period", "2022")
    assert code == 0, out
    assert "2022  unemployed  [suppression]" in out and "primary frequency 1" in out


def test_ptable(city: Workspace) -> None:
    code, out = run(city, "ptable", "--city", CITY, "--indicator", "unemployment")
    assert code == 1 and "not protected by the cell-key method" in out
    run(city, "set", "--city", CITY, "--indicator", "unemployment", "--method", "cell-key",
        "--max-deviation", "2", "--variance", "1")  # fmt: skip
    code, out = run(city, "ptable", "--city", CITY, "--indicator", "unemployment", "--json")
    assert code == 0, out
    table = json.loads(out)
    assert (table["max_deviation"], table["variance"], table["js"]) == (2, 1.0, 0)
    for row in table["rows"]:
        assert abs(sum(row["probabilities"]) - 1.0) < 1e-6, row
        # a deviation never exceeds D and never makes a count negative
        assert all(abs(d) <= 2 and row["original"] + d >= 0 for d in row["deviations"]), row
        if row["original"] >= 1:  # unbiased with the documented variance (Enderle et al. 2018, section 3)
            pairs = list(zip(row["deviations"], row["probabilities"], strict=True))
            assert abs(sum(p * d for d, p in pairs)) < 1e-9, row
            assert abs(sum(p * d * d for d, p in pairs) - 1.0) < 1e-9, row
    assert table["rows"][0] == {"original": 0, "and_above": False, "deviations": [0], "probabilities": [1.0]}
    code, out = run(city, "ptable", "--city", CITY, "--indicator", "unemployment")
    assert code == 0 and "p-table of unemployment in testville: max deviation 2, variance 1, js 0" in out
