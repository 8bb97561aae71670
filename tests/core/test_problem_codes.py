"""The catalogue of problem codes: docs/problems.md lists it, and the sources use no other code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ValidationError

from bettercities.core.problem_codes import PROBLEM_CODES
from bettercities.core.problems import Report

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "bettercities"
DOCS = ROOT / "docs" / "problems.md"
ROW = re.compile(r"^\| `([a-z-]+)` \| (error|warning) \| ([^|]+?) \| (.+?) \|$", flags=re.M)


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _assigned(function: ast.AST, name: str) -> Iterator[str]:
    """String constants assigned to ``name`` in ``function`` (``code = "x"``, ``code, m = "x", ...``)."""
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name and _text(node.value):
                yield str(_text(node.value))
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for item, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(item, ast.Name) and item.id == name and _text(value):
                        yield str(_text(value))


def _called(call: ast.Call) -> str | None:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)


def codes_used(tree: ast.AST) -> set[str]:
    """Problem codes in one module: ``Problem(code=...)`` (a literal, or a variable assigned literals in the
    same function), ``Findings.add("code", ..., message=...)``, ``refuse(name, "code", ...)`` and
    ``Report.from_validation_error(..., code="...")``."""
    used: set[str] = set()
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for function in [tree, *functions]:
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            name = _called(call)
            keywords = {k.arg: k.value for k in call.keywords}
            if name in ("Problem", "from_validation_error") and "code" in keywords:
                code = keywords["code"]
                if _text(code):
                    used.add(str(_text(code)))
                elif isinstance(code, ast.Name) and function is not tree:
                    used.update(_assigned(function, code.id))
            elif name == "add" and call.args and "message" in keywords and _text(call.args[0]):
                used.add(str(_text(call.args[0])))
            elif name == "refuse" and len(call.args) > 1 and _text(call.args[1]):
                used.add(str(_text(call.args[1])))
    return used


def test_every_code_used_in_the_sources_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in SOURCES.rglob("*.py"):
        found = codes_used(ast.parse(path.read_text("utf-8"), filename=str(path)))
        assert found <= set(PROBLEM_CODES), (path, found - set(PROBLEM_CODES))
        used |= found
    assert len(used) > 45  # the scan still finds the codes
    assert {"rule-violation", "rule-missing-value", "invalid-option"} <= used  # assigned and indirect ones


def test_the_scan_finds_a_code_missing_from_the_catalogue() -> None:
    source = (
        "def check(found, name):\n"
        "    found.add('no-such-code', rows, message='x')\n"
        "    code, text = 'another-unknown-code', 'y'\n"
        "    return Problem(code=code, message=text), refuse(name, 'third-unknown-code', 'z')\n"
    )
    assert codes_used(ast.parse(source)) == {"no-such-code", "another-unknown-code", "third-unknown-code"}


def test_docs_list_the_catalogue() -> None:
    rows = {code: (severity, title, description) for code, severity, title, description in ROW.findall(
        DOCS.read_text("utf-8")
    )}  # fmt: skip
    assert rows == {
        code: (entry.severity.value, entry.title, entry.description) for code, entry in PROBLEM_CODES.items()
    }


def test_catalogue_entries_are_well_formed() -> None:
    for code, entry in PROBLEM_CODES.items():
        assert entry.code == code and entry.title and entry.description and "|" not in entry.description


class _Options(BaseModel):
    level: str
    k: int = 5


def test_report_from_validation_error_has_one_problem_per_field() -> None:
    try:
        _Options.model_validate({"k": "many"})
    except ValidationError as error:
        report = Report.from_validation_error(error, code="invalid-option", file="f.yaml", row=3, source="f")
    assert report.source == "f" and not report.ok
    assert sorted((p.code, p.file, p.row, p.column, p.value) for p in report.problems) == [
        ("invalid-option", "f.yaml", 3, "k", "many"),
        ("invalid-option", "f.yaml", 3, "level", None),  # the input of a missing field is the whole entry
    ]
