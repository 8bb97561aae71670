"""Reading XLSForms and the expression subset: `bettercities survey load` loads the shipped practice survey
and refuses malformed forms naming sheet, row and column; expressions evaluate as XPath 1.0 does (the values
below follow the XPath 1.0 recommendation, §3.4 booleans and §4.2-4.4: comparisons with a number convert to
numbers, the empty string is NaN, NaN compares false except with !=)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from bettercities.cli.main import app
from bettercities.storage.workspace import Workspace
from bettercities.surveys import expressions
from bettercities.surveys.practice import SURVEY, shipped_path
from bettercities.surveys.xlsform import read_form

HEADER = ["type", "name", "label::German (de)", "label::English (en)", "relevant", "constraint", "required"]


def _form(path: Path, rows: list[list[str]], *, lists: tuple[str, ...] = ("yes_no",)) -> Path:
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(HEADER)
    for row in rows:
        survey.append(row + [""] * (len(HEADER) - len(row)))
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::German (de)", "label::English (en)"])
    for name in lists:
        choices.append([name, "yes", "Ja", "Yes"])
        choices.append([name, "no", "Nein", "No"])
    book.save(path)
    return path


def test_the_shipped_practice_survey_loads(tmp_path: Path, sqlite_workspace: Workspace) -> None:
    result = CliRunner().invoke(
        app, ["survey", "load", str(shipped_path()), "--workspace", str(sqlite_workspace.path)]
    )
    assert result.exit_code == 0, result.output
    assert "survey practice-survey: version 1 (new version)" in result.output
    read = read_form(shipped_path())
    assert read.definition is not None and read.definition.languages == ["de", "en"]
    # the four questions are the four groups, in order; every row of practice.SURVEY is a question or group
    groups = [item.name for item in read.definition.items]
    assert groups == ["collect", "manage", "use", "impact"]
    assert len(read.definition.questions()) == sum(not r[0].startswith(("begin", "end")) for r in SURVEY)
    shown = CliRunner().invoke(
        app, ["survey", "show", "practice-survey", "--workspace", str(sqlite_workspace.path)]
    )
    assert shown.exit_code == 0 and "row 5: finest_level (select_one)" in shown.output


@pytest.mark.parametrize(
    ("rows", "where", "code"),
    [
        ([["geopoint", "place", "Ort", "Place"]], "row 2, column 'type (A)'", "survey-unknown-type"),
        (
            [["select_one yes_no", "a", "A", "A"], ["integer", "b", "B", "B", "${a} = "]],
            "row 3, column 'relevant (E)'",
            "survey-invalid-expression",
        ),
        (
            [["integer", "b", "B", "B", "${nowhere} > 1"]],
            "row 2, column 'relevant (E)'",
            "survey-invalid-expression",
        ),
        (
            [["integer", "b", "B", "B", "", "regex(., '[0-9]')"]],
            "row 2, column 'constraint (F)'",
            "survey-invalid-expression",
        ),
        ([["select_one colours", "c", "C", "C"]], "row 2, column 'type (A)'", "survey-unknown-choice-list"),
        (
            [["text", "a", "A", "A"], ["text", "a", "A", "A"]],
            "row 3, column 'name (B)'",
            "survey-duplicate-name",
        ),
        (
            [["begin_group", "g", "G", "G"], ["text", "a", "A", "A"]],
            "column 'type (A)'",
            "survey-unbalanced-group",
        ),
    ],
)
def test_a_malformed_form_is_refused_with_sheet_row_and_column(
    tmp_path: Path, sqlite_workspace: Workspace, rows: list[list[str]], where: str, code: str
) -> None:
    form = _form(tmp_path / "broken.xlsx", rows)
    result = CliRunner().invoke(app, ["survey", "load", str(form), "--workspace", str(sqlite_workspace.path)])
    assert result.exit_code == 2, result.output
    assert f"broken.xlsx, sheet survey, {where}: {code}" in " ".join(result.output.split())
    listed = CliRunner().invoke(app, ["survey", "list", "--json", "--workspace", str(sqlite_workspace.path)])
    assert listed.exit_code == 0 and listed.output.strip() == "[]"  # nothing written


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    form = _form(
        tmp_path / "f.xlsx", [["geopoint", "p", "P", "P"], ["select_one colours", "c", "C", "C", "${x}"]]
    )
    read = read_form(form)
    assert read.definition is None
    found = [(p.row, p.column, p.code) for p in read.report.problems]
    assert found == [
        (2, "type (A)", "survey-unknown-type"),
        (3, "type (A)", "survey-unknown-choice-list"),
        (3, "relevant (E)", "survey-invalid-expression"),
    ]


@pytest.mark.parametrize(
    ("text", "answers", "current", "expected"),
    [
        ("${n} > 3", {"n": "4"}, "", True),
        ("${n} > 3", {}, "", False),  # empty is NaN: false
        ("${n} != 3", {}, "", True),  # NaN != 3 is true (XPath 1.0 §3.4)
        ("${n} = ''", {}, "", True),  # string comparison when neither side is a number
        ("${n} = '10'", {"n": "10"}, "", True),
        ("${n} < 9", {"n": "10"}, "", False),  # numbers, not strings ('10' < '9' as text)
        ("selected(${m}, 'b')", {"m": "a b c"}, "", True),
        ("selected(${m}, 'd')", {"m": "a b c"}, "", False),
        ("count-selected(${m}) = 3", {"m": "a b c"}, "", True),
        ("string-length(.) <= 3", {}, "abcd", False),
        (". >= 0 and . <= 200", {}, "200", True),
        (". >= 0 and . <= 200", {}, "900", False),
        ("not(${a} = 'yes') or ${b} = 'x'", {"a": "yes", "b": "x"}, "", True),
        ("(${a} + 2) * 3 = 15", {"a": "3"}, "", True),
        ("7 mod 4 = 3 and 8 div 2 = 4", {}, "", True),
        ("-${a} < 0", {"a": "2"}, "", True),
        ("${a} and true()", {"a": "text"}, "", True),
        ("${a} or false()", {}, "", False),
    ],
)
def test_expressions_follow_xpath(text: str, answers: dict[str, str], current: str, expected: bool) -> None:
    assert expressions.parse(text).holds(answers, current=current) is expected


@pytest.mark.parametrize(
    "text",
    ["", "${a} >", "1 = = 2", "1 < 2 < 3", "now()", "__import__('os')", "${a}.x", "selected(${a})", "'open"],
)
def test_outside_the_subset_is_refused(text: str) -> None:
    with pytest.raises(expressions.ExpressionError):
        expressions.parse(text)
