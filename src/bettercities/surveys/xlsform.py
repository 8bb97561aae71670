"""Reading a questionnaire written as XLSForm (the format of ODK and KoboToolbox) into a
:class:`~bettercities.surveys.schemas.FormDefinition`.

The workbook is read twice: once cell by cell, to check it against what bettercities supports and to name the
sheet, row and column of every problem (question types of :data:`~bettercities.surveys.schemas.QUESTION_TYPES`
and groups; choice lists that exist; unique names; ``relevant``, ``constraint`` and ``required`` in the subset
of :mod:`bettercities.surveys.expressions`, referring to questions that exist), then with pyxform, which reads
it as ODK tools do (its refusals are reported with the row it names). Labels in several languages are the
columns ``label::German (de)``, ``label::English (en)``: the code in parentheses is the language.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from bettercities.core.problems import Problem, Report
from bettercities.surveys import expressions
from bettercities.surveys.schemas import QUESTION_TYPES, Choice, FormDefinition, Item

__all__ = ["ReadForm", "read_form"]

_GROUP_BEGIN = {"begin_group", "begin group"}
_GROUP_END = {"end_group", "end group"}
_SELECTS = {"select_one", "select_multiple"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_LANGUAGE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$")
_PYXFORM_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_PYXFORM_TYPES = {"select one": "select_one", "select all that apply": "select_multiple"}


@dataclass
class ReadForm:
    """The definition read from a workbook (``None`` when it was refused), every problem, the file's hash."""

    definition: FormDefinition | None
    report: Report
    sha256: str
    filename: str


@dataclass
class _Sheet:
    name: str
    header: dict[str, int]  # lower-cased column name -> 1-based column number
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (spreadsheet row, cells)

    def where(self, column: str) -> str:
        number = self.header.get(column.lower())
        return f"{column} ({get_column_letter(number)})" if number else column


def language_code(column_language: str) -> str:
    """``German (de)`` -> ``de``; a language without a code in parentheses -> its name in lower case."""
    match = _LANGUAGE.search(column_language)
    return match.group(1).lower() if match else column_language.strip().lower()


def _sheets(path: Path) -> dict[str, _Sheet]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        found: dict[str, _Sheet] = {}
        for worksheet in workbook.worksheets:
            rows = iter(worksheet.iter_rows(values_only=True))
            first = next(rows, None)
            if first is None:
                continue
            header = {str(v).strip().lower(): i + 1 for i, v in enumerate(first) if v not in (None, "")}
            names = {i: str(v).strip().lower() for i, v in enumerate(first) if v not in (None, "")}
            sheet = _Sheet(worksheet.title.strip().lower(), header)
            for number, values in enumerate(rows, start=2):
                cells = {
                    names[i]: str(v).strip()
                    for i, v in enumerate(values)
                    if i in names and v not in (None, "")
                }
                if cells:
                    sheet.rows.append((number, cells))
            found[sheet.name] = sheet
        return found
    finally:
        workbook.close()


def _labels(cells: dict[str, str], column: str) -> dict[str, str]:
    """The texts of ``column`` by language code (``label``, ``label::German (de)``)."""
    found: dict[str, str] = {}
    for name, text in cells.items():
        if name == column:
            found.setdefault("", text)
        elif name.startswith(column + "::"):
            found[language_code(name.split("::", 1)[1])] = text
    return found


def _check(sheets: dict[str, _Sheet], filename: str) -> list[Problem]:
    """Every problem of the workbook against the supported subset, with sheet, row and column."""
    problems: list[Problem] = []
    survey = sheets.get("survey")
    if survey is None or not survey.rows:
        return [
            Problem(
                code="survey-invalid-form",
                message="the workbook has no sheet 'survey' with questions",
                file=filename,
            )
        ]
    choices = sheets.get("choices")
    lists: set[str] = {c.get("list_name", "") for _r, c in choices.rows} if choices else set()

    def problem(code: str, message: str, row: int, column: str, value: str | None = None) -> None:
        problems.append(
            Problem(
                code=code,
                message=message,
                file=f"{filename}, sheet survey",
                row=row,
                column=survey.where(column),
                value=value,
            )
        )

    for column in ("type", "name"):
        if column not in survey.header:
            problems.append(
                Problem(
                    code="survey-invalid-form",
                    message=f"the sheet 'survey' has no column {column!r}",
                    file=f"{filename}, sheet survey",
                    row=1,
                )
            )
    if problems:
        return problems
    names: dict[str, int] = {}
    depth = 0
    for row, cells in survey.rows:
        kind = cells.get("type", "")
        words = kind.split()
        base = words[0] if words else ""
        if not kind:
            problem("survey-unknown-type", "the row has no type", row, "type")
            continue
        if kind in _GROUP_END:
            depth -= 1
            if depth < 0:
                problem("survey-unbalanced-group", "end_group without a begin_group", row, "type", kind)
                depth = 0
            continue
        if kind in _GROUP_BEGIN:
            depth += 1
        elif base in _SELECTS:
            if len(words) != 2:
                problem(
                    "survey-unknown-type",
                    f"{base} needs the name of its choice list (e.g. '{base} yes_no')",
                    row,
                    "type",
                    kind,
                )
            elif words[1] not in lists:
                problem(
                    "survey-unknown-choice-list",
                    f"the choice list {words[1]!r} is not in the sheet 'choices'",
                    row,
                    "type",
                    kind,
                )
        elif kind not in QUESTION_TYPES:
            problem(
                "survey-unknown-type",
                f"the question type {kind!r} is not supported (supported: "
                f"{', '.join(QUESTION_TYPES)}, begin_group, end_group)",
                row,
                "type",
                kind,
            )
        name = cells.get("name", "")
        if not name or not _NAME.match(name):
            problem(
                "survey-invalid-name",
                "a question needs a name of letters, digits and _ (starting with a letter)",
                row,
                "name",
                name or None,
            )
        elif name in names:
            problem(
                "survey-duplicate-name",
                f"the name {name!r} is already used in row {names[name]}",
                row,
                "name",
                name,
            )
        else:
            names[name] = row
    if depth > 0:
        problems.append(
            Problem(
                code="survey-unbalanced-group",
                message="a begin_group has no end_group",
                file=f"{filename}, sheet survey",
                column=survey.where("type"),
            )
        )
    for row, cells in survey.rows:
        for column in ("relevant", "constraint", "required"):
            text = cells.get(column)
            if not text or (
                column == "required" and text.lower() in {"yes", "no", "true", "false", "true()", "false()"}
            ):
                continue
            try:
                parsed = expressions.parse(text)
            except expressions.ExpressionError as error:
                problem(
                    "survey-invalid-expression",
                    f"the {column} expression is not understood: {error}",
                    row,
                    column,
                    text,
                )
                continue
            unknown = sorted(parsed.references - names.keys())
            if unknown:
                problem(
                    "survey-invalid-expression",
                    f"the {column} expression refers to "
                    f"{', '.join('${' + u + '}' for u in unknown)}, which is no question",
                    row,
                    column,
                    text,
                )
            elif parsed.uses_dot and column != "constraint":
                problem(
                    "survey-invalid-expression",
                    f"'.' (this answer) is only meaningful in a constraint, not in {column}",
                    row,
                    column,
                    text,
                )
        gap = cells.get("gap")
        if gap and gap not in {"holds", "needs"}:
            problem("survey-invalid-form", "the column gap takes 'holds' or 'needs'", row, "gap", gap)
    return problems


def _text(value: Any, default_language: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {language_code(k) if k != "default" else default_language: str(v) for k, v in value.items()}
    return {default_language: str(value)}


def _items(children: list[dict[str, Any]], rows: Iterator[int], lang: str) -> list[Item]:
    found: list[Item] = []
    for child in children:
        kind = child.get("type", "")
        if child.get("name") == "meta" and kind == "group" and child.get("control", {}).get("bodyless"):
            continue
        row = next(rows)
        bind = child.get("bind", {})
        required = bind.get("required")
        item = Item(
            kind=_PYXFORM_TYPES.get(kind, kind),
            name=child["name"],
            row=row,
            label=_text(child.get("label"), lang),
            hint=_text(child.get("hint"), lang),
            list_name=child.get("list_name") or child.get("itemset"),
            choices=[
                Choice(name=str(c["name"]), label=_text(c.get("label"), lang))
                for c in child.get("choices", [])
            ],
            relevant=bind.get("relevant"),
            constraint=bind.get("constraint"),
            constraint_message=_text(bind.get("jr:constraintMsg"), lang),
            required=None if str(required).lower() in {"none", "no", "false", "false()"} else str(required),
            required_message=_text(bind.get("jr:requiredMsg"), lang),
            gap=child.get("gap"),
        )
        if kind == "group":
            item.items = _items(child.get("children", []), rows, lang)
            next(rows)  # the end_group row
        found.append(item)
    return found


def read_form(path: Path, *, filename: str | None = None) -> ReadForm:
    """Read and check the XLSForm at ``path``; nothing is stored here."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    filename = filename or path.name
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    report = Report(source=filename)
    try:
        sheets = _sheets(path)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        report.problems.append(
            Problem(code="unreadable-file", message=f"not an .xlsx workbook: {error}", file=filename)
        )
        return ReadForm(None, report, sha, filename)
    report.problems.extend(_check(sheets, filename))
    if not report.ok:
        return ReadForm(None, report, sha, filename)
    with tempfile.TemporaryDirectory() as folder:
        # pyxform takes the form's name from the file's; a neutral copy keeps odd file names out of it
        copy = Path(folder) / "form.xlsx"
        copy.write_bytes(data)
        try:
            parsed = parse_file_to_json(str(copy), warnings=[])
        except PyXFormError as error:
            match = _PYXFORM_ROW.search(str(error))
            report.problems.append(
                Problem(
                    code="survey-invalid-form",
                    message=f"pyxform: {error}",
                    file=f"{filename}, sheet survey",
                    row=int(match.group(1)) if match else None,
                )
            )
            return ReadForm(None, report, sha, filename)
    settings = sheets["settings"].rows[0][1] if "settings" in sheets and sheets["settings"].rows else {}
    survey = sheets["survey"]
    languages: list[str] = []
    for column in survey.header:
        if column.startswith("label::"):
            code = language_code(column.split("::", 1)[1])
            if code not in languages:
                languages.append(code)
    default = settings.get("default_language")
    default_language = language_code(default) if default else (languages[0] if languages else "en")
    if not languages:
        languages = [default_language]
    rows = iter(r for r, _c in survey.rows)
    items = _items(parsed.get("children", []), rows, default_language)
    title = _labels(settings, "form_title") or {default_language: str(parsed.get("title") or "")}
    if "" in title:
        title[default_language] = title.pop("")
    definition = FormDefinition(
        form_id=str(settings.get("form_id") or parsed.get("id_string") or path.stem),
        title=title,
        version=str(settings["version"]) if settings.get("version") else None,
        default_language=default_language,
        languages=languages,
        items=items,
    )
    return ReadForm(definition, report, sha, filename)
