"""``bettercities export``: current observations as CSV, Excel or GeoJSON (through the publication step)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    open_workspace,
    refusals,
)
from bettercities.publication import Audience


def export(
    city: Annotated[str, typer.Option("--city", help="City slug, e.g. berlin.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.", dir_okay=False)],
    format: Annotated[
        str | None,
        typer.Option("--format", help="csv, xlsx or geojson (default: from the suffix of --out)."),
    ] = None,
    indicator: Annotated[str | None, typer.Option(help="Only this indicator (required for geojson).")] = None,
    period: Annotated[str | None, typer.Option(help="Only this period (required for geojson).")] = None,
    level: Annotated[
        str | None, typer.Option(help="Only this level (geojson: the areas drawn; default the finest).")
    ] = None,
    audience: Annotated[
        Audience,
        typer.Option(help="public blanks suppressed cells; internal (the city's data team) keeps them."),
    ] = Audience.PUBLIC,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export current observations in long form (area, level, indicator, period, value, flags, revision),
    or the areas of a level with one indicator's values as GeoJSON."""
    from bettercities.indicators.export import export_observations

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        result = export_observations(
            session,
            city,
            out,
            format=format,
            indicator=indicator,
            period=period,
            level=level,
            audience=audience,
        )
    unit = "features" if result.format == "geojson" else "rows"
    console.print(
        f"{result.rows} {unit} written to {result.path} ({result.format}).", highlight=False, soft_wrap=True
    )


def register(app: typer.Typer) -> None:
    app.command("export")(export)
