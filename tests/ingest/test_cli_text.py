"""The CLI prints file text as written (issue 10, reproduction 7: a cell ``[/]`` crashed the CLI with a
traceback, ``[red]0101`` was reported as the wrong id, regex patterns printed as ``^*$``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bettercities.cli import common
from bettercities.cli.main import app
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL


def test_cells_that_look_like_markup_are_reported_as_written(sqlite_city: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "delivery.csv"
    path.write_text("id,inhabitants\n[/],5\n[red]0101,6\nB1,[bold]7\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["import", "observations", str(path), "--city", CITY, "--level", LEVEL, "--period", "2022",
         "--workspace", str(sqlite_city.path)],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "'[/]'" in result.output
    assert "[red]0101" in result.output
    assert "[bold]7" in result.output


def test_the_printers_do_not_read_markup(capsys: pytest.CaptureFixture[str]) -> None:
    problem = Problem(code="rule-violation", message="does not match ^[a-z]*$ [/]", file="f.csv", row=2)
    with pytest.raises(typer.Exit):
        common.fail_invalid(InvalidInput("f.csv: [red]refused[/red]", Report(problems=[problem])))
    err = capsys.readouterr().err
    assert "^[a-z]*$ [/]" in err
    assert "[red]refused[/red]" in err
