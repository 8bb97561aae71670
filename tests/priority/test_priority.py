"""Priority areas: Berlin's rule on a stored MSS 2019 run equals the published classes; user-defined rules
over LISA clusters and thresholds; named sets on SQLite and PostgreSQL.

Independent reference: the published MSS 2019 classes (``mss_2019_official_classes.csv``, Senatsverwaltung
für Stadtentwicklung und Wohnen Berlin, via open-lifeworlds, see ``tests/data/README.md``): the areas
with status class 3 or 4 (niedrig, sehr niedrig) and dynamics class "-" (negativ).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bettercities.analysis.index.results import run_index
from bettercities.analysis.priority import evaluation, schemas, service
from bettercities.analysis.spatial.service import analyse
from bettercities.core.errors import Conflict, NotFound
from bettercities.storage.workspace import Workspace
from tests.support.berlin2019 import PERIOD, build_berlin_2019
from tests.web.citybuilder import build_city

S3 = "s3_percentage_transfer_payments_recipients"


def published_low_status_negative_dynamics(open_data: Path) -> list[str]:
    with (open_data / "berlin-mss-2019" / "mss_2019_official_classes.csv").open(encoding="utf-8") as handle:
        return sorted(
            row["id"]
            for row in csv.DictReader(handle)
            if row["status_index"] in ("3.0", "4.0") and row["dynamik_index"] == "-"
        )


@pytest.fixture(scope="module")
def berlin(tmp_path_factory: pytest.TempPathFactory, open_data: Path) -> Workspace:
    workspace = Workspace.init(tmp_path_factory.mktemp("priority") / "berlin")
    build_berlin_2019(workspace, open_data)
    with workspace.database.session() as session:
        run_index(session, "berlin", config="berlin-mss-2019", level="planning_area", period=PERIOD)
    return workspace


def test_berlin_rule_on_the_stored_mss_run_equals_the_published_classes(
    berlin: Workspace, open_data: Path
) -> None:
    rule = schemas.load_rule("mss-low-status-negative-dynamics")
    with berlin.database.reader() as session:
        result = evaluation.evaluate(session, "berlin", rule)
    expected = published_low_status_negative_dynamics(open_data)
    assert len(expected) == 5
    assert [a.area_id for a in result.areas] == expected
    assert result.level == "planning_area" and result.period == PERIOD and len(result.runs) == 1
    assert result.total == 448
    assert all(any(r.startswith("status class") for r in a.reasons) for a in result.areas)


def test_user_rule_combining_index_class_lisa_and_threshold(berlin: Workspace) -> None:
    rule = schemas.load_rule(
        {
            "name": "low status in a hot cluster or very high transfer payments",
            "combine": "any",
            "conditions": [
                {
                    "kind": "group",
                    "conditions": [
                        {"kind": "index-class", "index": "status", "classes": ["3", "4"]},
                        {"kind": "lisa", "indicator": S3, "clusters": ["HH"]},
                    ],
                },
                {"kind": "threshold", "indicator": S3, "op": ">=", "value": 45},
            ],
        }
    )
    with berlin.database.reader() as session:
        result = evaluation.evaluate(session, "berlin", rule)
        lisa = analyse(session, "berlin", S3, seed=1)
        run = evaluation._Context(session, evaluation.areas.get_city(session, "berlin"), None, None).run(None)
    hh = {a.area_id for a in lisa.areas if a.cluster == "HH"}
    low = {a.area_id for a in run.result.areas if getattr(a, "status_class", None) in ("3", "4")}
    high = {a.area_id: a.value for a in lisa.areas if a.value >= 45}
    assert {a.area_id for a in result.areas} == (low & hh) | set(high)
    assert result.condition_counts == [len(low & hh), len(high)]


def test_threshold_and_hotspot_rules_without_a_run(sqlite_workspace: Workspace) -> None:
    build_city(sqlite_workspace, slug="grid", levels=(("cell", "Zelle", "cell", (4, 4)),), years=(2021,))
    rule = schemas.PriorityRule.model_validate(
        {
            "name": "green",
            "conditions": [{"kind": "threshold", "indicator": "green_space", "op": ">", "value": 10}],
        }
    )
    with sqlite_workspace.database.reader() as session:
        result = evaluation.evaluate(session, "grid", rule)
        with pytest.raises(NotFound):
            evaluation.evaluate(session, "grid", schemas.PRESETS["mss-low-status-negative-dynamics"])
    # citybuilder: green_space = 5 + 2.5 * (position % 5) in 2021 > 10 for positions 3, 4 of every 5
    expected = [f"{i + 1:02d}" for i in range(16) if 5 + 2.5 * (i % 5) > 10]
    assert [a.area_id for a in result.areas] == expected and result.total == 16


def test_named_sets(workspace: Workspace) -> None:
    build_city(workspace, slug="grid", levels=(("cell", "Zelle", "cell", (3, 3)),), years=(2021,))
    rule = schemas.PriorityRule.model_validate(
        {
            "name": "g",
            "conditions": [{"kind": "threshold", "indicator": "green_space", "op": ">=", "value": 10}],
        }
    )
    with workspace.database.session() as session:
        result = evaluation.evaluate(session, "grid", rule)
        saved = service.save_set(session, result, "Fokus 2021", description="for goals", user="ana")
        with pytest.raises(Conflict):
            service.save_set(session, result, "Fokus 2021")
    with workspace.database.reader() as session:
        kept = service.get_set(session, "grid", "Fokus 2021")
        listed = service.list_sets(session, "grid")
    assert (
        [a.area_id for a in kept.areas]
        == [a.area_id for a in result.areas]
        == [a.area_id for a in saved.areas]
    )
    assert kept.rule == rule and kept.level == "cell" and kept.period == "2021" and kept.user == "ana"
    assert [s.name for s in listed] == ["Fokus 2021"]
    with workspace.database.session() as session:
        narrower = evaluation.evaluate(
            session,
            "grid",
            rule.model_copy(update={"conditions": [rule.conditions[0].model_copy(update={"value": 12})]}),
        )
        replaced = service.save_set(session, narrower, "Fokus 2021", replace=True)
        assert len(replaced.areas) < len(kept.areas)
        service.delete_set(session, "grid", "Fokus 2021")
    with workspace.database.reader() as session, pytest.raises(NotFound):
        service.get_set(session, "grid", "Fokus 2021")


def test_csv_and_geojson_export(berlin: Workspace, tmp_path: Path) -> None:
    import json

    with berlin.database.reader() as session:
        result = evaluation.evaluate(session, "berlin", schemas.PRESETS["mss-low-status-negative-dynamics"])
        assert service.write_geojson(session, result, tmp_path / "p.geojson") == len(result.areas)
    features = json.loads((tmp_path / "p.geojson").read_text("utf-8"))["features"]
    assert [f["properties"]["area_id"] for f in features] == [a.area_id for a in result.areas]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    service.write_csv(result, tmp_path / "p.csv")
    with (tmp_path / "p.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["area_id"] for r in rows] == [a.area_id for a in result.areas]
    assert rows[0]["reasons"].startswith("status class")


def test_priority_page_lists_and_maps_the_areas(berlin: Workspace, open_data: Path) -> None:
    from fastapi.testclient import TestClient

    from bettercities.web import create_app

    expected = published_low_status_negative_dynamics(open_data)
    with TestClient(create_app(berlin)) as client:
        html = client.get("/cities/berlin/priority?lang=de").text
        twin = client.get("/cities/berlin/priority.json").json()
    assert [a["area_id"] for a in twin["areas"]] == expected
    assert html.count('data-category="priority"><title>') == len(expected)  # map paths (not the legend)
    assert html.count('data-category="other"><title>') == 448 - len(expected)
    assert "Prioritäre Gebiete" in html and all(code in html for code in expected)


def test_cli_evaluate_save_and_list(berlin: Workspace, open_data: Path, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from bettercities.cli.main import app

    options = ["--workspace", str(berlin.path)]
    runner = CliRunner()
    out = tmp_path / "attention.csv"
    evaluated = runner.invoke(
        app,
        [
            "priority",
            "evaluate",
            "--city",
            "berlin",
            "--save",
            "MSS 2019 attention",
            "--out",
            str(out),
            *options,
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    expected = published_low_status_negative_dynamics(open_data)
    assert f"{len(expected)} of 448 areas" in evaluated.output and out.is_file()
    listed = runner.invoke(app, ["priority", "sets", "--city", "berlin", *options])
    assert "MSS 2019 attention\tplanning_area\t2018-12-31" in listed.output
    shown = runner.invoke(
        app, ["priority", "sets", "--city", "berlin", "--show", "MSS 2019 attention", *options]
    )
    assert [line.split("\t")[0] for line in shown.output.strip().splitlines()] == expected
    again = runner.invoke(
        app, ["priority", "evaluate", "--city", "berlin", "--save", "MSS 2019 attention", *options]
    )
    assert again.exit_code == 1 and "exists" in again.output
    local = runner.invoke(
        app, ["spatial", "local", "--city", "berlin", "--indicator", S3, "--permutations", "99", *options]
    )
    assert local.exit_code == 0, local.output
    assert sum(json.loads(local.output)["cluster_counts"].values()) == 447
    both = ["--indicator", S3, "--indicator", "s1_percentage_unemployed"]
    types = runner.invoke(app, ["spatial", "typology", "--city", "berlin", *both, "--k", "3", *options])
    assert types.exit_code == 0, types.output
    assert [c["code"] for c in json.loads(types.output)["clusters"]] == ["1", "2", "3"]


def test_every_rule_key_is_documented() -> None:
    import re

    docs = (Path(__file__).resolve().parents[2] / "docs" / "priority.md").read_text("utf-8")
    documented = set(re.findall(r"`([a-z_-]+)`", docs))
    models = [schemas.PriorityRule, schemas.IndexClassCondition, schemas.LisaCondition,
              schemas.HotspotCondition, schemas.ThresholdCondition, schemas.GroupCondition]  # fmt: skip
    for model in models:
        assert set(model.model_fields) <= documented, model.__name__
        kind = model.model_fields.get("kind")
        if kind is not None:
            assert kind.default in documented
