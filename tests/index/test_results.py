"""Stored index runs of Berlin MSS 2019 (SQLite and PostgreSQL): official classes, provenance, exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bettercities.analysis.index.exports import export_run
from bettercities.analysis.index.results import delete_run, get_run, list_runs, run_index
from bettercities.core.errors import NotFound
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.support.mss_runs import LEVEL, PERIOD, cli, official_classes


@pytest.fixture
def berlin(berlin_2019: Workspace) -> Workspace:
    """Berlin MSS 2019 on each backend, copied from the process's template (``conftest.py``)."""
    return berlin_2019


def test_stored_run_reproduces_the_official_classes(berlin: Workspace, open_data: Path) -> None:
    with berlin.database.session() as session:
        run = run_index(
            session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD, user="tester"
        )
    with berlin.database.reader() as session:
        stored = get_run(session, run.id)
    official = official_classes(open_data)
    scored = {a.area_id: (a.status_class, a.dynamics_class) for a in stored.result.scored}
    assert len(official) == 436 and scored == official
    # 448 areas; 09041403 has no data at all; 11 of the other 447 are not scored, each with a reason
    assert stored.areas == 447 and stored.scored == 436
    assert stored.inputs.areas_without_data == ["09041403"]
    unscored = [a for a in stored.result.areas if not a.scored]
    assert len(unscored) == 11 and all(a.note for a in unscored)
    assert any("special area" in (a.note or "") for a in unscored if a.area_id == "10010203")
    # provenance: method, full configuration, input revisions and import batch, user, time
    assert stored.method == "berlin-mss" and stored.config["name"] == "berlin-mss-2019"
    assert stored.config["min_population"] == 300 and stored.user == "tester"
    assert {i.code for i in stored.inputs.indicators} >= {"s1_percentage_unemployed", "inhabitants"}
    assert all(i.revisions == [1] and len(i.import_ids) == 1 for i in stored.inputs.indicators)
    assert stored.names["01011101"] == "Stülerstraße"
    counts = {c.label: c.count for c in stored.class_counts["status"]}
    assert counts == {"hoch": 67, "mittel": 283, "niedrig": 47, "sehr niedrig": 39}


def test_runs_are_listed_and_deleted(berlin: Workspace) -> None:
    with berlin.database.session() as session:
        first = run_index(session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD)
        second = run_index(
            session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD, name="again"
        )
    with berlin.database.reader() as session:
        listed = list_runs(session, "berlin")
    assert [r.id for r in listed] == [second.id, first.id] and listed[0].name == "again"
    assert first.name == "berlin-mss-2019 2018-12-31"
    with berlin.database.session() as session:
        delete_run(session, first.id)
    with berlin.database.reader() as session:
        assert [r.id for r in list_runs(session)] == [second.id]
        with pytest.raises(NotFound):
            get_run(session, first.id)


def test_exports_csv_excel_geojson(berlin: Workspace, open_data: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    with berlin.database.session() as session:
        run = run_index(session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD)
    with berlin.database.reader() as session:
        csv_out = export_run(session, run.id, tmp_path / "run.csv", audience=Audience.PUBLIC)
        export_run(session, run.id, tmp_path / "run.xlsx")
        export_run(session, run.id, tmp_path / "run.geojson")
    assert csv_out.rows == 447
    with (tmp_path / "run.csv").open(encoding="utf-8") as handle:
        rows = {r["area_id"]: r for r in csv.DictReader(handle)}
    official = official_classes(open_data)
    assert {k: (r["status_class"], r["dynamics_class"]) for k, r in rows.items() if k in official} == official
    assert rows["01011102"]["status_index"] == "" and rows["01011102"]["note"] == "few-inhabitants"
    book = load_workbook(tmp_path / "run.xlsx", read_only=True)
    assert book.sheetnames == ["index", "metadata"]
    meta = {r[0]: r[1] for r in book["metadata"].iter_rows(min_row=2, values_only=True)}
    assert meta["method"] == "berlin-mss" and json.loads(meta["configuration"])["name"] == "berlin-mss-2019"
    assert "revisions [1]" in meta["input s1_percentage_unemployed"]
    geo = json.loads((tmp_path / "run.geojson").read_text("utf-8"))
    assert len(geo["features"]) == 447 and all(f["geometry"] for f in geo["features"])
    assert geo["metadata"]["period"] == PERIOD


def test_cli_run_list_show_export(berlin: Workspace, tmp_path: Path) -> None:
    out = cli(berlin, "index", "run", "--city", "berlin", "--config", "berlin-mss-2019", "--period", PERIOD,
              "--level", LEVEL, "--name", "MSS 2019")  # fmt: skip
    assert "436 areas scored, 11 not scored" in out and "sehr niedrig 39" in out
    assert "MSS 2019" in cli(berlin, "index", "runs", "--city", "berlin")
    shown = json.loads(cli(berlin, "index", "show", "1"))
    assert shown["scored"] == 436 and shown["inputs"]["period"] == PERIOD
    out = cli(berlin, "index", "export", "1", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"))
    assert "447 areas written" in out and (tmp_path / "r.xlsx").stat().st_size > 0
    change = json.loads(cli(berlin, "index", "compare", "1", "1"))
    assert change["changed"] == 0 and change["transitions"][0]["unchanged"] == 436
