"""``bettercities exchange``: open exchange formats (Data Package, SDMX-ML, SDMX-CSV, Excel with metadata)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail,
    open_workspace,
    print_report,
    refusals,
)
from bettercities.publication import Audience

app = typer.Typer(help="Exchange formats: Data Package, SDMX-ML, SDMX-CSV, Excel.", no_args_is_help=True)

#: For the help text; the formats themselves are the registered ``exchange/<format>`` exports.
FORMATS = ("datapackage", "sdmx-csv", "sdmx-ml", "xlsx")


@app.command("export")
def export(
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    out: Annotated[Path, typer.Option("--out", help="File to write (a folder for datapackage).")],
    format: Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))],
    indicator: Annotated[str | None, typer.Option(help="Only this indicator.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this period.")] = None,
    level: Annotated[str | None, typer.Option(help="Only this level.")] = None,
    audience: Annotated[
        Audience, typer.Option(help="public blanks suppressed cells; internal keeps them.")
    ] = Audience.PUBLIC,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export current observations (through the publication step) in an exchange format. SDMX writes the
    structure beside the data (``<name>.structure.xml``)."""
    from bettercities.core.exports import ExportRequest, formats
    from bettercities.core.exports import export as write
    from bettercities.exchange import excel, frictionless, sdmx  # noqa: F401 - they register the formats
    from bettercities.indicators.periods import PeriodError, parse_period

    if format not in formats("exchange"):
        fail(f"unknown format {format!r}; use {', '.join(formats('exchange'))}", code=2)
    try:
        if period:
            parse_period(period)
    except PeriodError as error:
        fail(str(error), code=2)
    request = ExportRequest(what="exchange", format=format, out=out, city=city, indicator=indicator,
                            period=period, level=level, audience=audience.value)  # fmt: skip
    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        done = write(session, request)
    console.print(f"{done.rows} rows written to {done.path} ({format}).", highlight=False, soft_wrap=True)


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="datapackage.json, SDMX-ML (.xml) or SDMX-CSV (.csv).", exists=True)
    ],
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    level: Annotated[str, typer.Option("--level", help="Spatial level of the areas.")],
    structure: Annotated[
        Path | None, typer.Option(help="SDMX structure file (default: <name>.structure.xml beside the data).")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Who imports (default: the system user).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and compare; write nothing.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import observations from a Data Package or an SDMX message, through the ordinary validation."""
    from bettercities.exchange import frictionless, sdmx

    ws = open_workspace(workspace, database_url)
    with refusals(ws):
        if file.name.endswith(".json"):
            result = frictionless.import_package(
                ws.database, city, file, level=level, user=user, dry_run=dry_run
            )
        else:
            result = sdmx.import_sdmx(
                ws.database, city, file, level=level, structure=structure, user=user, dry_run=dry_run
            )
    if result.report.problems:
        print_report(result.report)
    console.print(
        f"{result.inserted} new, {result.revised} revised, {result.unchanged} unchanged"
        f"{' (dry run)' if dry_run else ''}.",
        highlight=False,
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="exchange")
