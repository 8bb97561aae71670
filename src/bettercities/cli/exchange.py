"""``bettercities exchange``: open exchange formats (Data Package, SDMX-ML, SDMX-CSV, Excel with metadata)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from bettercities.indicators.export import ExportFilter
from bettercities.publication import Audience

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="Exchange formats: Data Package, SDMX-ML, SDMX-CSV, Excel.", no_args_is_help=True)

FORMATS = ("datapackage", "sdmx-csv", "sdmx-ml", "xlsx")


def export_exchange(session: Session, spec: ExportFilter, out: Path, fmt: str) -> tuple[str, int]:
    """Write ``spec``'s observations in exchange format ``fmt``; (path written, rows)."""
    import json

    from bettercities.exchange import excel, frictionless, sdmx

    if fmt == "datapackage":
        path = frictionless.export_package(session, spec, out)
        rows = json.loads(path.read_text("utf-8"))["resources"][0]["stats"]["rows"]
        return str(path), int(rows)
    writers = {"sdmx-csv": sdmx.write_sdmx_csv, "sdmx-ml": sdmx.write_sdmx_ml, "xlsx": excel.write_workbook}
    return str(out), writers[fmt](session, spec, out)


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
    from bettercities.indicators.periods import PeriodError, parse_period

    if format not in FORMATS:
        fail(f"unknown format {format!r}; use {', '.join(FORMATS)}", code=2)
    try:
        canonical = parse_period(period).code if period else None
    except PeriodError as error:
        fail(str(error), code=2)
    spec = ExportFilter(city=city, indicator=indicator, period=canonical, level=level, audience=audience)
    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        path, rows = export_exchange(session, spec, out, format)
    console.print(f"{rows} rows written to {path} ({format}).", highlight=False, soft_wrap=True)


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
