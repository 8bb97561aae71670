"""A CLI command run in process (a test's CliRunner, a notebook, a script calling the app) closes its
workspace: no connection of it stays open after the command. A leaked pool kept a template database busy
until the garbage collector ran, and ``CREATE DATABASE … TEMPLATE`` failed ("being accessed by other
users")."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bettercities.cli.main import app
from bettercities.storage.workspace import Workspace
from tests.support.postgres import PostgresServer

COMMANDS = [
    ["city", "add", "aachen", "--name", "Aachen", "--country", "DE"],
    ["city", "add-level", "aachen", "district", "--name-de", "Bezirk", "--name-en", "district"],
    ["city", "list"],
    ["indicators", "load", "berlin-mss"],
    ["indicators", "list"],
    ["index", "runs"],
]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_commands_leave_no_connection_open(
    workspace: Workspace, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = workspace.database_url
    assert url is not None
    name = url.rsplit("/", 1)[-1]
    workspace.close()
    gc.disable()  # a pool left for the garbage collector would be closed by it: nothing may be left for it
    try:
        for command in COMMANDS:
            result = CliRunner().invoke(
                app, [*command, "--workspace", str(workspace.path), "--database-url", url]
            )
            assert result.exit_code == 0, (command, result.output)
            with postgres_server.connect() as conn:
                [(open_sessions,)] = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                ).fetchall()
            assert open_sessions == 0, f"{' '.join(command)} left {open_sessions} connection(s) open"
    finally:
        gc.enable()
