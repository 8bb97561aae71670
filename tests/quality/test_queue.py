"""The outlier follow-up queue: accept, correct (a new revision, the old value kept) and comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bettercities.core.errors import InvalidInput, NotFound
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations, observation_revisions
from bettercities.quality import outliers
from bettercities.quality.models import FlagEvent
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL, build_city


@pytest.fixture
def city_ws(workspace: Workspace) -> Workspace:
    """The import tests' small city on SQLite and on PostgreSQL."""
    build_city(workspace)
    return workspace


def _flagged(ws: Workspace, tmp_path: Path) -> outliers.FlagOut:
    """Inhabitants of B1 jump from 100 to 400 (a +300 % change): one ``jump`` flag."""
    path = tmp_path / "d.csv"
    path.write_text("id,period,inhabitants\nB1,2019,100\nB2,2019,80\nB1,2020,400\nB2,2020,81\n")
    result = import_observations(
        ws.database, CITY, path, ObservationImportOptions(level=LEVEL), user="loader"
    )
    assert [p.code for p in result.report.problems] == ["outlier"]
    with ws.database.reader() as session:
        [flag] = outliers.list_flags(session, CITY)
    assert (flag.area, flag.indicator, flag.period, flag.method, flag.value) == (
        "B1",
        "inhabitants",
        "2020",
        "jump",
        400.0,
    )
    assert (flag.file, flag.source_row, flag.status) == ("d.csv", 4, "open")
    return flag


def test_accept_closes_the_flag(city_ws: Workspace, tmp_path: Path) -> None:
    flag = _flagged(city_ws, tmp_path)
    with city_ws.database.session() as session:
        done = outliers.resolve_flag(session, CITY, flag.id, action="accept", user="steward", comment="ok")
    assert done.status == "accepted" and done.comments == ["accept: ok"]
    with city_ws.database.reader() as session:
        assert outliers.list_flags(session, CITY) == []
        assert [f.id for f in outliers.list_flags(session, CITY, status="accepted")] == [flag.id]


def test_correct_creates_a_revision_and_keeps_the_old_value(city_ws: Workspace, tmp_path: Path) -> None:
    flag = _flagged(city_ws, tmp_path)
    with city_ws.database.session() as session:
        done = outliers.resolve_flag(
            session, CITY, flag.id, action="correct", value=104.0, user="steward", comment="typo"
        )
    assert done.status == "corrected"
    with city_ws.database.reader() as session:
        history = observation_revisions(session, CITY, "B1", "inhabitants", "2020")
        events = [(e.action, e.old_value, e.new_value, e.user) for e in session.query(FlagEvent)]
    assert [(r.revision, r.value, r.is_current) for r in history] == [(2, 104.0, True), (1, 400.0, False)]
    assert history[1].file_name == "d.csv" and history[1].source_row == 4
    assert events == [("correct", 400.0, 104.0, "steward")]
    # the corrected value is not corrected twice
    with city_ws.database.session() as session, pytest.raises(InvalidInput):
        outliers.resolve_flag(session, CITY, flag.id, action="correct", value=105.0)


def test_comment_keeps_the_flag_open(city_ws: Workspace, tmp_path: Path) -> None:
    flag = _flagged(city_ws, tmp_path)
    with city_ws.database.session() as session:
        outliers.resolve_flag(
            session, CITY, flag.id, action="comment", comment="asked the district", user="s"
        )
        outliers.resolve_flag(session, CITY, flag.id, action="comment", comment="no answer yet", user="s")
    with city_ws.database.reader() as session:
        [still] = outliers.list_flags(session, CITY)
    assert still.status == "open"
    assert still.comments == ["comment: asked the district", "comment: no answer yet"]


def test_invalid_actions_are_refused(city_ws: Workspace, tmp_path: Path) -> None:
    flag = _flagged(city_ws, tmp_path)
    with city_ws.database.session() as session:
        with pytest.raises(InvalidInput):
            outliers.resolve_flag(session, CITY, flag.id, action="delete")
        with pytest.raises(InvalidInput):
            outliers.resolve_flag(session, CITY, flag.id, action="comment", comment="  ")
        with pytest.raises(InvalidInput):
            outliers.resolve_flag(session, CITY, flag.id, action="correct")
        with pytest.raises(NotFound):
            outliers.resolve_flag(session, CITY, flag.id + 99, action="accept")


def test_queue_and_exchange_through_the_command_line(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    """The CLI calls the same functions: list, correct, diff, history, rules, exchange export and import."""
    import json

    from typer.testing import CliRunner

    from bettercities.cli.main import app

    build_city(sqlite_workspace)
    flag = _flagged(sqlite_workspace, tmp_path)
    runner = CliRunner()
    ws = ["--workspace", str(sqlite_workspace.path)]

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, [*args, *ws])
        assert result.exit_code == code, result.output
        return result.output

    assert f"#{flag.id} open" in run("quality", "outliers", "list", "--city", CITY)
    run("quality", "outliers", "comment", str(flag.id), "--city", CITY, "--comment", "asked")
    run("quality", "outliers", "correct", str(flag.id), "--city", CITY, "--value", "104", "--user", "s")
    assert "0 flags" in run("quality", "outliers", "list", "--city", CITY)
    changed = json.loads(
        run("quality", "diff", "--city", CITY, "--from-revision", "1", "--to-revision", "2", "--json")
    )
    assert [(e["area"], e["old"], e["new"]) for e in changed["changed"]] == [("B1", 400.0, 104.0)]
    assert "d.csv" in run("quality", "history", "--city", CITY, "--indicator", "inhabitants")
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - code: few\n    left: inhabitants\n    operator: '<'\n    right: '100'\n")
    run("quality", "rules", "add", str(rules), "--city", CITY)
    assert "few" in run("quality", "rules", "list", "--city", CITY)
    assert "rule-violation" in run("quality", "rules", "check", "--city", CITY)
    for fmt, name in (
        ("sdmx-ml", "o.xml"),
        ("sdmx-csv", "o.csv"),
        ("xlsx", "o.xlsx"),
        ("datapackage", "pkg"),
    ):
        assert "rows written" in run(
            "exchange",
            "export",
            "--city",
            CITY,
            "--format",
            fmt,
            "--out",
            str(tmp_path / name),
            "--audience",
            "internal",
        )
    assert "4 unchanged" in run(
        "exchange", "import", str(tmp_path / "o.xml"), "--city", CITY, "--level", LEVEL
    )
    assert "4 unchanged" in run(
        "exchange", "import", str(tmp_path / "pkg" / "datapackage.json"), "--city", CITY, "--level", LEVEL
    )
    run("exchange", "export", "--city", CITY, "--format", "pdf", "--out", str(tmp_path / "x"), code=2)
