"""Declarative rules: row-by-row problems on import, hierarchy sums, missing-value strategies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bettercities.areas import service as areas
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.core.errors import InvalidInput
from bettercities.indicators import service as indicators
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.quality import rules
from bettercities.storage.workspace import Workspace


def _city(ws: Workspace) -> None:
    with ws.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="t", name="T", country="DE"))
        top = areas.ensure_level(session, city, LevelSpec(code="city", name_de="Stadt", name_en="city"))
        low = areas.ensure_level(
            session, city, LevelSpec(code="district", name_de="Bezirk", name_en="district", parent="city")
        )
        areas.add_areas(session, city, top, [AreaSpec(code="T", name="T")])
        areas.add_areas(session, city, low, [AreaSpec(code=c, name=c, parent_code="T") for c in ("a", "b")])
        for code in ("unemployed", "working_age", "inhabitants"):
            indicators.register_indicator(
                session, IndicatorSpec(code=code, name_de=code, name_en=code, kind="count")
            )
        rules.save_rules(
            session,
            city,
            [
                rules.RuleSpec(
                    code="unemployed-le-working-age", left="unemployed", operator="<=", right="working_age"
                ),
                rules.RuleSpec(
                    code="districts-sum",
                    level="city",
                    left="inhabitants",
                    operator="==",
                    right="children_sum(inhabitants)",
                    severity="error",
                ),
            ],
        )


def test_rule_violations_are_reported_at_file_row_and_column(workspace: Workspace, tmp_path: Path) -> None:
    _city(workspace)
    path = tmp_path / "d.csv"
    path.write_text("id,unemployed,working_age,inhabitants\na,10,100,150\nb,120,100,50\n")
    result = import_observations(
        workspace.database, "t", path, ObservationImportOptions(level="district", period="2020")
    )
    problems = [p for p in result.report.problems if p.code == "rule-violation"]
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [("d.csv", 3, "unemployed", "120")]
    # the city's total must be the districts' sum: an 'error' rule refuses the file
    bad = tmp_path / "c.csv"
    bad.write_text("id,inhabitants\nT,210\n")
    with pytest.raises(InvalidInput) as caught:
        import_observations(
            workspace.database, "t", bad, ObservationImportOptions(level="city", period="2020")
        )
    [problem] = caught.value.report.errors
    assert (problem.row, problem.column, problem.value) == (2, "inhabitants", "210")
    bad.write_text("id,inhabitants\nT,200\n")
    import_observations(workspace.database, "t", bad, ObservationImportOptions(level="city", period="2020"))
    with workspace.database.reader() as session:
        report = rules.check_city(session, "t")
    assert [p.row for p in report.problems] == [3]  # stored values keep their file and row


def test_missing_strategies() -> None:
    frame = pd.DataFrame(
        {
            "area_id": [1, 1, 2],
            "area_code": ["a", "a", "b"],
            "parent_id": [None] * 3,
            "level": ["x"] * 3,
            "indicator_id": [1, 2, 1],
            "indicator": ["u", "w", "u"],
            "period_id": [1, 1, 1],
            "period": ["2020"] * 3,
            "value": [5.0, 4.0, 3.0],
            "file": [None] * 3,
            "source_row": [None] * 3,
            "from_import": [False] * 3,
        }
    )
    spec = {"code": "r", "left": "u", "operator": "<=", "right": "w"}
    assert len(rules.evaluate(rules.RuleSpec(**spec), frame)) == 1  # area b skipped
    assert len(rules.evaluate(rules.RuleSpec(**spec, missing="zero"), frame)) == 2
    failed = rules.evaluate(rules.RuleSpec(**spec, missing="fail"), frame)
    assert failed["missing"].tolist() == [False, True]
    assert [p.code for p in rules.check([rules.RuleSpec(**spec, missing="fail")], frame).problems] == [
        "rule-violation",
        "rule-missing-value",
    ]


def test_shipped_rules_load_and_bad_rules_are_reported(tmp_path: Path) -> None:
    assert "urban-audit" in rules.rule_set_names()
    assert any(r.operator == "between" for r in rules.load_rules("urban-audit"))
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - {code: x, left: 'import os', operator: '<', right: '1'}\n"
        "  - {code: y, left: a, operator: between, right: '1'}\n"
    )
    with pytest.raises(InvalidInput) as caught:
        rules.load_rules(path)
    assert [p.row for p in caught.value.report.problems] == [1, 2]
