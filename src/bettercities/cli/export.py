"""``bettercities export``: every registered export format (observations as CSV, Excel or GeoJSON by default;
index runs, the catalogue and the exchange formats with ``--what``), through the publication step."""

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
    what: Annotated[
        str,
        typer.Option(
            "--what",
            help="What to export: observations, index-run (with --run), catalog (ttl, jsonld, rdf, nt) or "
            "exchange (datapackage, sdmx-csv, sdmx-ml, xlsx).",
        ),
    ] = "observations",
    run: Annotated[int | None, typer.Option("--run", help="index-run: the stored run's id.")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="catalog: only this dataset.")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="catalog: the app's public address (IRIs start with it).")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export current observations in long form (area, level, indicator, period, value, flags, revision),
    or the areas of a level with one indicator's values as GeoJSON; with --what a stored index run, the
    catalogue or an exchange format, through the same registry as their own export commands."""
    from bettercities.core.exports import ExportRequest
    from bettercities.core.exports import export as write

    request = ExportRequest(
        what=what, format=format, out=out, city=city, indicator=indicator, period=period, level=level,
        audience=audience.value, run=run, dataset=dataset, base_url=base_url,
    )  # fmt: skip
    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        result = write(session, request)
    unit = "features" if result.format == "geojson" else "rows"
    done = f"{result.rows} {unit} written" if result.rows is not None else "Written"
    console.print(f"{done} to {result.path} ({result.format}).", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
