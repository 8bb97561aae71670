"""``bettercities init``: create a workspace."""

from __future__ import annotations

import typer

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, fail, resolve
from bettercities.core.errors import BettercitiesError
from bettercities.storage.workspace import Workspace


def init(workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Create a workspace (folder + database schema); safe to run again."""
    path, url = resolve(workspace, database_url)
    try:
        ws = Workspace.init(path, database_url=url)
    except BettercitiesError as error:
        fail(str(error))
    console.print(f"Workspace ready: {ws.path} (database {ws.database.describe()})", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
