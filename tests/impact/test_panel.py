"""Panels for impact evaluation: reading a CSV panel and the problems that refuse it (docs/impact.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bettercities.core.errors import InvalidInput
from bettercities.core.problem_codes import PROBLEM_CODES
from bettercities.impact.designs import estimate
from bettercities.impact.panel import prepare, read_panel, treatment_of, validate
from bettercities.impact.schemas import Design, EstimateSpec


def _panel(
    units: int = 4, periods: int = 4, treated: tuple[str, ...] = ("u0",), start: int = 3
) -> pd.DataFrame:
    rows = []
    for u in range(units):
        for t in range(1, periods + 1):
            unit = f"u{u}"
            rows.append({"unit": unit, "t": t, "y": float(u + t), "d": int(unit in treated and t >= start)})
    return pd.DataFrame(rows)


def _spec(design: str = "did", **options: object) -> EstimateSpec:
    base: dict[str, object] = {
        "design": design,
        "unit": "unit",
        "time": "t",
        "outcome": "y",
        "treatment": "d",
    }
    base.update(options)
    return EstimateSpec.model_validate(base)


def _codes(frame: pd.DataFrame, spec: EstimateSpec) -> list[str]:
    return [p.code for p in validate(frame, spec, source="panel.csv").errors]


def test_read_panel_keeps_rows_and_text(tmp_path: Path) -> None:
    path = tmp_path / "panel.csv"
    path.write_text("unit;t;y;d\n01;1;2,5;0\n01;2;3,5;1\n02;1;1,0;0\n02;2;x;0\n", encoding="utf-8")
    frame = read_panel(path)
    assert list(frame.index) == [2, 3, 4, 5]
    assert frame["unit"].tolist() == ["01", "01", "02", "02"]  # codes stay text
    assert frame["y"].tolist()[:3] == ["2.5", "3.5", "1.0"]  # decimal comma read
    report = validate(frame, _spec(), source="panel.csv")
    (problem,) = report.errors
    assert (problem.code, problem.file, problem.row, problem.column, problem.value) == (
        "impact-not-numeric", "panel.csv", 5, "y", "x",
    )  # fmt: skip


def test_read_panel_refuses_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as missing:
        read_panel(tmp_path / "nope.csv")
    assert missing.value.report is not None and missing.value.report.problems[0].code == "unreadable-file"
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,t,y\na,1,2\na,2,3,4\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as malformed:
        read_panel(bad)
    assert malformed.value.report is not None
    assert [(p.code, p.row) for p in malformed.value.report.problems] == [("malformed-row", 3)]


def test_clean_panel_has_no_problem() -> None:
    frame = _panel()
    clean, report = prepare(frame, _spec(), source="p")
    assert report.ok and not report.problems
    assert clean["t"].dtype == "int64" and clean["d"].tolist().count(1.0) == 2
    info = treatment_of(clean, _spec())
    assert info.starts == {"u0": 3} and info.untreated == ["u1", "u2", "u3"]


def test_missing_column() -> None:
    report = validate(_panel(), _spec(outcome="rate"), source="p.csv")
    (problem,) = report.errors
    assert problem.code == "impact-missing-column" and problem.column == "rate"
    assert "it has: unit, t, y, d" in problem.message


def test_duplicate_unit_period_rows_name_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("unit,t,y,d\na,1,1,0\na,2,2,1\nb,1,1,0\nb,2,2,0\na,2,5,1\n", encoding="utf-8")
    report = validate(read_panel(path), _spec(), source="dup.csv")
    (problem,) = report.errors
    assert (problem.code, problem.row, problem.column) == ("impact-duplicate-row", 6, "unit")
    assert "also in row 3" in problem.message and "period 2" in problem.message


def test_no_untreated_and_no_treated() -> None:
    everyone = _panel(treated=("u0", "u1", "u2", "u3"))
    assert _codes(everyone, _spec()) == ["impact-no-untreated"]
    assert _codes(everyone, _spec("twfe")) == ["impact-no-untreated"]
    nobody = _panel(treated=())
    assert _codes(nobody, _spec()) == ["impact-no-treated"]
    assert _codes(_panel(), _spec(treatment=None, treated_unit="zz", treatment_start=3)) == [
        "impact-no-treated"
    ]


def test_treatment_after_the_last_period() -> None:
    frame = _panel()
    assert _codes(frame, _spec(treatment=None, treated_unit="u0", treatment_start=9)) == [
        "impact-treatment-after-end"
    ]
    its = frame[frame.unit == "u0"]
    assert _codes(its, _spec("its", treatment=None, treatment_start=7)) == ["impact-treatment-after-end"]


def test_too_few_pre_periods_for_each_design() -> None:
    frame = _panel(start=1)  # treated from the first period: nothing before
    assert _codes(frame, _spec()) == ["impact-too-few-pre-periods"]
    synthetic = _spec("synthetic-control", treatment=None, treated_unit="u0", treatment_start=2)
    assert _codes(frame, synthetic) == ["impact-too-few-pre-periods"]  # needs 2, has 1
    its = _panel(units=1, periods=8)
    assert _codes(its, _spec("its", treatment=None, treatment_start=3)) == ["impact-too-few-pre-periods"]
    assert _codes(its, _spec("its", treatment=None, treatment_start=5)) == []
    assert _codes(its, _spec("its", treatment=None, treatment_start=5, seasonality=6)) == [
        "impact-too-few-pre-periods"
    ]


def test_staggered_cohorts() -> None:
    frame = _panel(units=3, periods=4)
    frame["g"] = frame["unit"].map({"u0": 3, "u1": 0, "u2": ""})
    assert _codes(frame, _spec("staggered-did", treatment=None, cohort="g")) == []
    frame.loc[frame.unit == "u1", "g"] = 5
    frame.loc[frame.unit == "u2", "g"] = 1
    codes = _codes(frame, _spec("staggered-did", treatment=None, cohort="g"))
    assert codes == ["impact-no-untreated", "impact-treatment-after-end", "impact-too-few-pre-periods"]


def test_not_numeric_empty_and_non_binary_cells() -> None:
    frame = _panel().astype({"y": object, "d": object, "t": object})
    frame.loc[1, "y"] = "n/a"
    frame.loc[2, "d"] = 2
    frame.loc[3, "t"] = 2.5
    frame.loc[4, "y"] = ""
    report = validate(frame, _spec(), source="p")
    got = sorted((p.code, p.column) for p in report.errors)
    assert got == [
        ("impact-missing-value", "y"), ("impact-not-numeric", "d"), ("impact-not-numeric", "t"),
        ("impact-not-numeric", "y"),
    ]  # fmt: skip
    assert all(p.row is None for p in report.errors)  # a frame without spreadsheet rows names none


def test_spec_problems() -> None:
    assert _codes(_panel(), _spec(treatment=None)) == ["impact-invalid-spec"]
    assert _codes(_panel(), _spec(treatment_start=3)) == ["impact-invalid-spec"]
    assert _codes(_panel(), _spec("its", treatment=None)) == ["impact-invalid-spec"]
    assert _codes(_panel(), _spec("its", treatment=None, treatment_start=3)) == [
        "impact-invalid-spec"
    ]  # which unit?
    staggered = _panel(treated=("u0",))
    staggered.loc[staggered.unit == "u1", "d"] = [0, 1, 1, 1]
    assert _codes(staggered, _spec()) == ["impact-invalid-spec"]  # did needs one start
    assert _codes(staggered, _spec("twfe")) == []
    assert _codes(_panel(), _spec(outcome="d")) == ["impact-invalid-spec"]  # one column, two roles
    switching = _panel()
    switching.loc[3, "d"] = 0  # u0 treated in period 3, not in 4
    assert _codes(switching, _spec()) == ["impact-invalid-spec"]


def test_unbalanced_panel_is_a_warning() -> None:
    frame = _panel().drop(index=[5])
    report = validate(frame, _spec(), source="p")
    assert report.ok and [p.code for p in report.warnings] == ["impact-unbalanced-panel"]


def test_estimate_raises_invalid_input_with_the_report() -> None:
    with pytest.raises(InvalidInput) as refused:
        estimate(_panel(treated=()), _spec(), source="p.csv")
    assert refused.value.report is not None
    assert [p.code for p in refused.value.report.problems] == ["impact-no-treated"]


IMPACT_CODES = [
    "impact-duplicate-row",
    "impact-no-untreated",
    "impact-treatment-after-end",
    "impact-too-few-pre-periods",
    "impact-missing-column",
    "impact-not-numeric",
    "impact-no-treated",
    "impact-missing-value",
    "impact-invalid-spec",
    "impact-estimation-failed",
    "impact-design-unavailable",
    "impact-unbalanced-panel",
]


def test_every_code_used_is_in_the_catalogue() -> None:
    assert set(IMPACT_CODES) <= set(PROBLEM_CODES)
    assert set(Design) >= {Design.DID, Design.TWFE, Design.ITS}
