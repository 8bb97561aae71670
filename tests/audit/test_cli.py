"""``bettercities audit``: every command writes as cli:<os user>; list and export read the log back."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from typer.testing import CliRunner

from bettercities.audit import current_actor
from bettercities.cli.main import app
from bettercities.storage.workspace import Workspace


def run(ws: Workspace, *args: str, code: int = 0) -> str:
    options = ["--workspace", str(ws.path)]
    if ws.database_url:
        options += ["--database-url", ws.database_url]
    result = CliRunner().invoke(app, [*args, *options])
    assert result.exit_code == code, result.output
    return result.output


def test_cli_writes_as_the_os_user_and_reads_the_log(workspace: Workspace, tmp_path: Path) -> None:
    run(workspace, "city", "add", "ulm", "--name", "Ulm", "--country", "DE")
    run(workspace, "city", "add", "bonn", "--name", "Bonn", "--country", "DE")
    assert current_actor().name == "library"  # the command's actor ends with the command

    page = json.loads(run(workspace, "audit", "list", "--city", "ulm", "--json"))
    assert page["total"] == 1
    [entry] = page["items"]
    assert (entry["actor"], entry["via"], entry["action"], entry["entity"], entry["city"]) == (
        f"cli:{getpass.getuser()}",
        "cli",
        "insert",
        "city",
        "ulm",
    )
    text = run(workspace, "audit", "list", "--actor", f"cli:{getpass.getuser()}")
    assert "insert city" in text and "1-2 of 2 entries" in text
    assert "0 of 0 entries" in run(workspace, "audit", "list", "--since", "2999-01-01")

    out = tmp_path / "log.jsonl"
    assert "2 entries written" in run(workspace, "audit", "export", "--format", "jsonl", "--out", str(out))
    assert [json.loads(line)["city"] for line in out.read_text("utf-8").splitlines()] == ["ulm", "bonn"]
    refused = run(workspace, "audit", "export", "--format", "xml", "--out", str(out), code=1)
    assert "audit export format not found: xml (known: csv, jsonl)" in refused.replace("\n", "")
    # reading the log is not a write: it leaves no entry
    assert json.loads(run(workspace, "audit", "list", "--json"))["total"] == 2


def test_cli_lists_the_entries_of_no_city(workspace: Workspace) -> None:
    """A user belongs to no city: ``--no-city`` lists it and not the city; with ``--city`` it is refused."""
    run(workspace, "city", "add", "ulm", "--name", "Ulm", "--country", "DE")
    options = ["--workspace", str(workspace.path)]
    if workspace.database_url:
        options += ["--database-url", workspace.database_url]
    added = CliRunner().invoke(
        app, ["users", "add", "anna", "--password-stdin", *options], input="a-long-enough-password\n"
    )
    assert added.exit_code == 0, added.output
    page = json.loads(run(workspace, "audit", "list", "--no-city", "--json"))
    assert page["total"] >= 1 and {item["entity"] for item in page["items"]} == {"app_user"}
    assert all(item["city"] is None for item in page["items"])
    refused = run(workspace, "audit", "list", "--no-city", "--city", "ulm", code=2)
    assert "city" in refused
