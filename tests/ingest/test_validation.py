"""Every validation code, with the exact row and column a spreadsheet shows (header = row 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Report
from bettercities.ingest.layouts import to_long
from bettercities.ingest.readers import read_table
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.ingest.validation import IndicatorRule, validate
from bettercities.quality import findings
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL, counts, write


def refused(ws: Workspace, path: Path, **options: object) -> Report:
    options = {"level": LEVEL, **options}
    with pytest.raises(InvalidInput) as error:
        import_observations(ws.database, CITY, path, ObservationImportOptions.checked(path.name, **options))
    assert error.value.report is not None
    assert counts(ws) == (0, 0)  # all or nothing
    return error.value.report


def where(report: Report) -> list[tuple[str, int | None, str | None]]:
    return [(p.code, p.row, p.column) for p in report.problems]


def test_wide_file_every_cell_problem(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "wide.csv",
        "id;inhabitants;unemployed_share;median_age;unknown_thing\n"
        "B1;100;5,5;40;1\n"  # row 2
        "B2;n/a;150;41;1\n"  # row 3: type-error, out-of-range
        ";120;5;42;1\n"  # row 4: missing id
        "B9;130;5;43;1\n"  # row 5: unknown area
        "B1;140;6;44;1\n"  # row 6: duplicate of row 2
        "B3;150;7;abc;1\n",  # row 7: type-error
    )
    report = refused(sqlite_city, path, period="2019")
    assert where(report) == [
        ("unknown-indicator", 1, "unknown_thing"),
        ("type-error", 3, "inhabitants"),  # rows top to bottom, columns left to right
        ("out-of-range", 3, "unemployed_share"),
        ("missing-value", 4, "id"),
        ("unknown-area", 5, "id"),
        ("duplicate-key", 6, "id"),
        ("type-error", 7, "median_age"),
    ]
    problems = {p.code + str(p.row): p for p in report.problems}
    assert problems["type-error3"].value == "n/a"
    assert problems["unknown-area5"].value == "B9"
    assert "first in row 2" in problems["duplicate-key6"].message
    assert "0 to 100" in problems["out-of-range3"].message


def test_long_file_every_key_problem(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "long.csv",
        "area,indicator,period,value\n"
        "B1,inhabitants,2019,100\n"  # 2
        "B1,inhabitants,2019.0,101\n"  # 3: the same period, written differently
        "B2,nonsense,2019,1\n"  # 4
        "B3,inhabitants,2019-13,1\n"  # 5
        "B4,,2019,1\n"  # 6
        "B4,inhabitants,,1\n"  # 7
        "B2,median_age,2019,\n",  # 8: empty value: a warning, the row is skipped
    )
    report = refused(sqlite_city, path, layout="long", id_column="area")
    assert where(report) == [
        ("duplicate-key", 3, "area"),
        ("unknown-indicator", 4, "indicator"),
        ("invalid-period", 5, "period"),
        ("missing-value", 6, "indicator"),
        ("missing-value", 7, "period"),
        ("empty-value", 8, "value"),
    ]
    assert report.problems[-1].severity == "warning"


def test_areas_are_checked_at_the_period(sqlite_city: Workspace, tmp_path: Path) -> None:
    # B5 is valid until the end of 2019, B6 from 2020 on
    path = write(tmp_path / "v.csv", "id,period,inhabitants\nB5,2019,1\nB6,2019,1\nB5,2020,1\nB6,2020,1\n")
    report = refused(sqlite_city, path)
    assert where(report) == [("unknown-area", 3, "id"), ("unknown-area", 4, "id")]
    assert "valid on 2020-12-31" in report.problems[1].message


def test_shares_numerator_denominator_and_flags(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "shares.csv",
        "area,indicator,period,value,numerator,denominator,suppressed\n"
        "B1,unemployed_share,2019,10,10,100,\n"  # 2 fine
        "B2,unemployed_share,2019,,120,100,\n"  # 3 numerator > denominator (value derived: 120)
        "B3,unemployed_share,2019,50,10,100,\n"  # 4 value inconsistent (warning)
        "B4,unemployed_share,2019,1,x,100,\n"  # 5 type-error in numerator
        "B5,unemployed_share,2019,1,1,100,maybe\n"  # 6 invalid flag
        "B1,moves_ratio,2019,,150,100,\n",  # 7 ratio may exceed 100: fine, value derived
    )
    report = refused(sqlite_city, path, layout="long", id_column="area")
    assert where(report) == [
        ("out-of-range", 3, "value"),
        ("numerator-exceeds-denominator", 3, "numerator"),
        ("type-error", 5, "numerator"),
        ("invalid-flag", 6, "suppressed"),
        ("inconsistent-value", 4, "value"),
    ]


def test_missing_columns_periods_and_options(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "code,inhabitants,inhabitants\nB1,1,2\n")
    assert where(refused(sqlite_city, path)) == [
        ("duplicate-column", 1, "inhabitants"),
        ("missing-column", 1, "id"),
    ]
    no_period = write(tmp_path / "np.csv", "id,inhabitants,median_age\nB1,1,2\n")
    assert where(refused(sqlite_city, no_period, mapping={"median_age": "median_age@2019"})) == [
        ("missing-period", 1, "inhabitants")
    ]
    assert where(refused(sqlite_city, no_period, period="2019-13")) == [("invalid-period", None, None)]
    options = refused(sqlite_city, no_period, period="2019", period_column="x")
    assert [p.code for p in options.problems] == ["invalid-option"]


def test_wide_column_with_period_in_the_mapping(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "id,ew_2019,ew_2020,name\nB1,10,11,x\nB2,20,,y\n")
    result = import_observations(
        sqlite_city.database,
        CITY,
        path,
        ObservationImportOptions(
            level=LEVEL,
            mapping={"ew_2019": "inhabitants@2019", "ew_2020": "inhabitants@2020"},
            ignore=["name", "not_there"],
        ),
    )
    assert (result.inserted, result.empty, result.periods) == (3, 1, ["2019", "2020"])
    assert [(p.code, p.column) for p in result.report.warnings] == [("unknown-column", "not_there")]


def test_two_columns_of_one_indicator(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "two.csv", "id,inhabitants,ew\nB1,1,1\n")
    report = refused(sqlite_city, path, period="2019", mapping={"ew": "inhabitants"})
    assert where(report) == [("duplicate-key", 2, "ew")]


def test_decimal_mark_mistakes_are_explained(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "id;median_age\nB1;40,5\nB2;41.5\nB3;42,5\n")
    [problem] = refused(sqlite_city, path, period="2019").problems
    assert (problem.code, problem.row, problem.value) == ("type-error", 3, "41.5")
    assert "decimal mark" in problem.message


def test_many_problems_are_capped(
    sqlite_city: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(findings, "LIMIT", 5)
    lines = ["id,period,inhabitants"] + [f"B{i % 5 + 1},{2000 + i // 5},x" for i in range(40)]
    report = refused(sqlite_city, write(tmp_path / "many.csv", "\n".join(lines) + "\n"))
    assert [p.row for p in report.problems] == [2, 3, 4, 5, 6]
    assert report.truncated == 35 and not report.ok


# -- property: injected bad cells are reported exactly where they are ---------------------------------------

AREAS = [f"A{i}" for i in range(6)]
RULES = {"x": IndicatorRule(id=1, code="x"), "y": IndicatorRule(id=2, code="y")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=6, max_size=6),
    bad=st.sets(st.tuples(st.integers(0, 5), st.sampled_from(["x", "y"]))),
    comma=st.booleans(),
)
def test_bad_cells_are_reported_where_they_are(
    tmp_path: Path, values: list[tuple[float, float]], bad: set[tuple[int, str]], comma: bool
) -> None:
    sep, mark = (";", ",") if comma else (",", ".")
    lines = [f"id{sep}x{sep}y"]
    for i, (x, y) in enumerate(values):
        cells = {"x": repr(x), "y": repr(y)}
        for row, column in bad:
            if row == i:
                cells[column] = "oops"
        lines.append(sep.join([AREAS[i], cells["x"].replace(".", mark), cells["y"].replace(".", mark)]))
    path = write(tmp_path / "p.csv", "\n".join(lines) + "\n")
    options = ObservationImportOptions(level="l", period="2020")
    long = to_long(read_table(path, options), options)
    result = validate(long, indicators=RULES, areas=lambda _p: {a: i for i, a in enumerate(AREAS)}, level="l")
    assert {(p.row, p.column) for p in result.report.problems} == {(r + 2, c) for r, c in bad}
    good = {
        (AREAS[i], "x" if j == 0 else "y"): v for i, pair in enumerate(values) for j, v in enumerate(pair)
    }
    checked = 0
    for k in range(len(result)):
        row, column = int(result.area_id[k]), "x" if result.indicator_id[k] == 1 else "y"
        if (row, column) not in bad:
            assert result.value[k] == good[(AREAS[row], column)]
            checked += 1
    assert checked == 12 - len(bad)


def test_malformed_rows_are_reported_with_the_cell_problems(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "id,inhabitants\nB1,1\nB2,2,3\nB3,x\n")
    assert where(refused(sqlite_city, path, period="2019")) == [
        ("malformed-row", 3, None),
        ("type-error", 4, "inhabitants"),
    ]


def test_no_data_and_invalid_mapping(sqlite_city: Workspace, tmp_path: Path) -> None:
    header_only = write(tmp_path / "h.csv", "id,inhabitants\n")
    assert where(refused(sqlite_city, header_only, period="2019")) == [("no-data", None, None)]
    long = write(tmp_path / "l.csv", "id,indicator,period,value\nB1,ew,2019,1\n")
    report = refused(sqlite_city, long, layout="long", mapping={"ew": "inhabitants@2019"})
    assert [p.code for p in report.problems] == ["invalid-mapping"]
