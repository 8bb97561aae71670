"""``bettercities indicators``: the indicator registry."""

from __future__ import annotations

from contextlib import closing
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail,
    fail_invalid,
    open_workspace,
    session_of,
)
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.indicators import service as indicators
from bettercities.indicators.presets import load_definitions, preset_names
from bettercities.publication import Audience
from bettercities.views.change import ChangeState, change_view
from bettercities.views.reader import Reader

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
    with closing(ws), ws.database.session() as session:
        for spec in specs:
            indicators.register_indicator(session, spec)
    console.print(f"{len(specs)} indicators registered.")


@app.command("list")
def list_(workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None) -> None:
    """List the registered indicators."""
    ws = open_workspace(workspace, database_url)
    with closing(ws), ws.database.reader() as session:
        for ind in indicators.list_indicators(session):
            console.print(f"{ind.code}\t{ind.unit}\t{ind.polarity}\t{ind.name_en}", highlight=False)


@app.command("change")
def change(
    city: Annotated[str, typer.Argument(help="City slug.")],
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    start: Annotated[
        str | None, typer.Option("--from", help="First period; default: the oldest with data.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Second period; default: the latest.")] = None,
    level: Annotated[str | None, typer.Option(help="Level code; default: the finest.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The change of an indicator between two periods, per area: absolute (pp for shares) and relative.

    Published values only, as the public sees them: an area whose value is withheld in either period has no
    change."""
    state = ChangeState(indicator=indicator, from_period=start, to_period=end, level=level)
    with session_of(workspace, database_url) as session:
        view = change_view(Reader(session, audience=Audience.PUBLIC), city, indicator, state)
    if as_json:
        console.print_json(data=view.model_dump(mode="json"))
        return
    unit = view.unit
    console.print(
        f"{view.indicator.code} {view.from_period.code} -> {view.to_period.code}, {view.level.code}: "
        f"{view.summary.increased} up, {view.summary.decreased} down, {view.summary.unchanged} unchanged, "
        f"{view.summary.withheld} withheld, {view.summary.no_data} no data, "
        f"{view.summary.new + view.summary.ended} not in both periods",
        highlight=False,
        soft_wrap=True,
    )

    def shown(value: float | None) -> str:
        return "–" if value is None else f"{value:.{view.indicator.decimals}f}"

    for row in view.rows:
        if row.status == "changed" and row.absolute is not None:
            relative = "–" if row.relative is None else f"{row.relative:+.1f}%"
            delta = f"{row.absolute:+.{view.indicator.decimals}f} {unit}\t{relative}"
        else:
            delta = row.status.value
        console.print(
            f"{row.area_code}\t{row.area_name}\t{shown(row.from_value)}\t{shown(row.to_value)}\t{delta}",
            highlight=False,
            soft_wrap=True,
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="indicators")
