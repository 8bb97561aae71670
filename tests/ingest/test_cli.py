"""Acceptance: the Berlin MSS 2019 flow through the command line, on SQLite and PostgreSQL.

Real files from ``tests/data``: 448 planning areas, 447 rows x 7 indicators.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bettercities.cli.main import app
from bettercities.ingest.service import count_observations, observation_revisions
from bettercities.storage.workspace import Workspace
from tests.support.templates import built_template, template_copy

AREAS = "berlin-mss-2019/berlin_planning_areas_until_2020.geojson"
SHARES = "berlin-mss-2019/mss_2019_index_indicator_shares.csv"
OBSERVATIONS = ["--city", "berlin", "--level", "planning_area", "--layout", "wide", "--id-column", "id",
                "--period", "2018-12-31", "--ignore-columns", "name"]  # fmt: skip
# Feature 124 of the published file carries the id of Steglitz's Schloßstraße (06010102, again as
# feature 205); by place and order it is Charlottenburg's Schloßstraße, 04030417 in the MSS table.
FIX = ["--fix-id", "124=04030417"]


class Cli:
    """Runs ``bettercities`` against one workspace (and its PostgreSQL database, if any)."""

    def __init__(self, workspace: Workspace) -> None:
        self.runner = CliRunner()
        self.options = ["--workspace", str(workspace.path)]
        if workspace.database_url:
            self.options += ["--database-url", workspace.database_url]

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, [*args, *self.options])
        assert result.exit_code == code, result.output
        return result.output


def build_berlin(workspace: Workspace, open_data: Path) -> None:
    """City ``berlin``, the MSS indicators and the 448 planning areas, through the command line."""
    cli = Cli(workspace)
    cli("city", "add", "berlin", "--name", "Berlin", "--country", "DE", "--ags", "11000000")
    assert "7 indicators registered" in cli("indicators", "load", "berlin-mss")
    out = cli("import", "areas", str(open_data / AREAS), "--city", "berlin", "--level", "planning_area",
              "--level-name-de", "Planungsraum", "--level-name-en", "planning area", *FIX)  # fmt: skip
    assert "448 areas" in out and "448 new" in out


@pytest.fixture
def berlin(
    request: pytest.FixtureRequest, backend: str, open_data: Path, tmp_path: Path
) -> Iterator[tuple[Cli, Workspace]]:
    """A copy of the workspace :func:`build_berlin` built once per test process on ``backend`` (its three
    commands took 1-3 s of every test's set-up): folder copied, PostgreSQL database cloned and dropped after
    the test."""
    folder, database, _ = built_template(
        request, backend, "ingest-berlin", lambda ws, _: build_berlin(ws, open_data)
    )
    for workspace in template_copy(request, tmp_path, folder, database):
        yield Cli(workspace), workspace


def file_values(open_data: Path) -> dict[str, dict[str, str]]:
    with (open_data / SHARES).open(encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def value(ws: Workspace, area: str, indicator: str) -> list[tuple[int, float | None, bool]]:
    with ws.database.reader() as session:
        history = observation_revisions(
            session, "berlin", area, indicator, "2018-12-31", level="planning_area"
        )
    return [(h.revision, h.value, h.is_current) for h in history]


def test_areas_with_a_duplicate_id_are_refused(workspace: Workspace, open_data: Path) -> None:
    cli = Cli(workspace)
    cli("city", "add", "berlin", "--name", "Berlin", "--country", "DE")
    out = cli(
        "import", "areas", str(open_data / AREAS), "--city", "berlin", "--level", "planning_area", code=2
    )
    assert "row 205, column 'id': duplicate-key: area '06010102' again; first in feature 124" in out
    with workspace.database.reader() as session:
        from bettercities.areas import service as areas

        assert areas.city_out(session, areas.get_city(session, "berlin")).area_count == 0


def test_berlin_flow(berlin: tuple[Cli, Workspace], open_data: Path, tmp_path: Path) -> None:
    cli, ws = berlin
    out = cli("import", "observations", str(open_data / SHARES), *OBSERVATIONS)
    assert "447 rows, 3129 observations of 7 indicators" in out and "3129 new" in out
    assert count_observations(ws.database, "berlin") == 447 * 7
    expected = file_values(open_data)
    for area, indicator in [
        ("01011101", "s1_percentage_unemployed"),
        ("04030417", "inhabitants"),
        ("06010102", "d4_percentage_transfer_payments_recipients_below_15_years"),
        ("12304314", "s3_percentage_transfer_payments_recipients"),
    ]:
        assert value(ws, area, indicator) == [(1, float(expected[area][indicator]), True)]
    assert value(ws, "01011101", "s1_percentage_unemployed") == [(1, 2.7978, True)]

    # the same file again: nothing new, not even a batch
    out = cli("import", "observations", str(open_data / SHARES), *OBSERVATIONS)
    assert "Nothing changed: 0 new, 0 revised, 3129 unchanged" in out
    assert count_observations(ws.database, "berlin") == 3129

    # one changed value: exactly one new revision, the old value still queryable
    text = (open_data / SHARES).read_text(encoding="utf-8")
    assert text.count("01011101,Stülerstraße,3384.0,2.7978,") == 1
    changed = tmp_path / "mss_2019_corrected.csv"
    changed.write_text(
        text.replace("01011101,Stülerstraße,3384.0,2.7978,", "01011101,Stülerstraße,3384.0,2.8,")
    )
    out = cli("import", "observations", str(changed), *OBSERVATIONS)
    assert "0 new, 1 revised, 3128 unchanged" in out
    assert count_observations(ws.database, "berlin") == 3130
    assert count_observations(ws.database, "berlin", current_only=True) == 3129
    assert value(ws, "01011101", "s1_percentage_unemployed") == [(2, 2.8, True), (1, 2.7978, False)]

    # exports: long CSV of the current values, and a map of one indicator
    cli("export", "--city", "berlin", "--format", "csv", "--out", str(tmp_path / "all.csv"))
    with (tmp_path / "all.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3129
    stueler = next(
        r for r in rows if r["area_code"] == "01011101" and r["indicator"] == "s1_percentage_unemployed"
    )
    assert (stueler["value"], stueler["revision"], stueler["period"]) == ("2.8", "2", "2018-12-31")
    map_file = str(tmp_path / "map.geojson")
    cli("export", "--city", "berlin", "--indicator", "inhabitants", "--period", "31.12.2018",
        "--level", "planning_area", "--format", "geojson", "--out", map_file)  # fmt: skip
    features = json.loads((tmp_path / "map.geojson").read_text(encoding="utf-8"))["features"]
    assert len(features) == 448
    mapped = {f["properties"]["area_code"]: f["properties"]["value"] for f in features}
    assert mapped["04030417"] == 10976.0 and mapped["09041403"] is None  # no MSS row for that area


def test_damaged_copy_is_refused_with_rows_and_columns(
    berlin: tuple[Cli, Workspace], open_data: Path, tmp_path: Path
) -> None:
    cli, ws = berlin
    cli("import", "observations", str(open_data / SHARES), *OBSERVATIONS)
    before = count_observations(ws.database)
    lines = (open_data / SHARES).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")

    def damage(row: int, column: str, text: str) -> None:  # row as a spreadsheet numbers it: header = 1
        cells = lines[row - 1].split(",")
        cells[header.index(column)] = text
        lines[row - 1] = ",".join(cells)

    damage(5, "s1_percentage_unemployed", "n/a")
    damage(12, "inhabitants", "abc")
    damage(20, "id", "99999999")
    lines.append(lines[30 - 1])  # row 449 repeats row 30
    damage(40, "s3_percentage_transfer_payments_recipients", "150")
    damaged = tmp_path / "damaged.csv"
    damaged.write_text("\n".join(lines) + "\n", encoding="utf-8")

    out = cli("import", "observations", str(damaged), *OBSERVATIONS, code=2)
    assert "damaged.csv, row 5, column 's1_percentage_unemployed': type-error" in out and "'n/a'" in out
    assert "damaged.csv, row 12, column 'inhabitants': type-error" in out and "'abc'" in out
    assert "damaged.csv, row 20, column 'id': unknown-area" in out and "'99999999'" in out
    assert "damaged.csv, row 40, column 's3_percentage_transfer_payments_recipients': out-of-range" in out
    assert "damaged.csv, row 449, column 'id': duplicate-key" in out and "first in row 30" in out
    assert "5 errors" in out and "nothing imported" in out
    assert count_observations(ws.database) == before


def test_help_everywhere() -> None:
    runner = CliRunner()
    for command in (["import", "--help"], ["import", "areas", "--help"], ["import", "observations", "--help"],
                    ["export", "--help"]):  # fmt: skip
        result = runner.invoke(app, command)
        assert result.exit_code == 0 and "Usage" in result.output


def test_city_page_shows_the_map_of_berlin(berlin: tuple[Cli, Workspace], open_data: Path) -> None:
    """After the CLI import, the city page draws the 448 planning areas, 447 of them with a value."""
    from fastapi.testclient import TestClient

    from bettercities.web.app import create_app

    cli, ws = berlin
    cli("import", "observations", str(open_data / SHARES), *OBSERVATIONS)
    with TestClient(create_app(ws)) as client:
        page = client.get(
            "/cities/berlin",
            params={
                "indicator": "s1_percentage_unemployed",
                "period": "2018-12-31",
                "level": "planning_area",
            },
        )
        assert page.status_code == 200
        assert page.text.count('<path class="area"') == 448
        titles = re.findall(r"<title>([^<]*)</title>", page.text)
        # hover text of one area, German by default: 2.7978 % shown with the indicator's 2 decimals
        assert any(t.startswith("Stülerstraße: 2,80\u202f%") for t in titles)
        twin = client.get(
            "/cities/berlin.json",
            params={
                "indicator": "s1_percentage_unemployed",
                "period": "2018-12-31",
                "level": "planning_area",
            },
        )
        assert twin.status_code == 200
        body = twin.text
        assert "01011101" in body and "09041403" in body
