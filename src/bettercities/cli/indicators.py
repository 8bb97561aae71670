"""``bettercities indicators``: the indicator registry."""

from __future__ import annotations

from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail,
    fail_invalid,
    open_workspace,
)
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.indicators import service as indicators
from bettercities.indicators.presets import load_definitions, preset_names

app = typer.Typer(help="The indicator registry.", no_args_is_help=True)


@app.command("load")
def load(
    source: Annotated[
        str, typer.Argument(help=f"A YAML file or a shipped preset ({', '.join(preset_names())}).")
    ],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Register (or update) indicator definitions from a YAML file or preset."""
    try:
        specs = load_definitions(source)
    except InvalidInput as error:
        fail_invalid(error)
    except NotFound as error:
        fail(f"{error}; presets: {', '.join(preset_names())}")
    ws = open_workspace(workspace, database_url, create=True)
    with ws.database.session() as session:
        for spec in specs:
            indicators.register_indicator(session, spec)
    console.print(f"{len(specs)} indicators registered.")


@app.command("list")
def list_(workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None) -> None:
    """List the registered indicators."""
    ws = open_workspace(workspace, database_url)
    with ws.database.reader() as session:
        for ind in indicators.list_indicators(session):
            console.print(f"{ind.code}\t{ind.unit}\t{ind.polarity}\t{ind.name_en}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="indicators")
