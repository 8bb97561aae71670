"""``bettercities import``: areas from geodata files, observations from CSV and Excel tables; memberships of
city networks (the command is the networks domain's, :func:`bettercities.cli.networks.import_memberships`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    comma_list,
    console,
    err_console,
    open_workspace,
    refusals,
)
from bettercities.cli.networks import import_memberships
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Report
from bettercities.ingest.schemas import (
    AreaImportOptions,
    Layout,
    ObservationImportOptions,
    parse_mapping,
)

app = typer.Typer(help="Import areas and observations (validated; all or nothing).", no_args_is_help=True)

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The file to import.")
]
CityOption = Annotated[str, typer.Option("--city", help="City slug, e.g. berlin.")]
LevelOption = Annotated[str, typer.Option("--level", help="Spatial level code, e.g. planning_area.")]
UserOption = Annotated[
    str | None, typer.Option("--user", help="Who imports (recorded with the batch; default: your login).")
]


def _pairs(items: list[str], option: str) -> dict[str, str]:
    """``["a=b", …]`` as a dict (the ingest library's mapping parser); a malformed item is a usage error."""
    try:
        return parse_mapping(items)
    except InvalidInput as error:
        bad = error.report.problems[0].value if error.report else None
        raise typer.BadParameter(f"expected SOURCE=TARGET, got {bad!r}", param_hint=option) from None


def _print_warnings(report: Report) -> None:
    for problem in report.warnings[:50]:
        err_console.print(Text(str(problem), style="yellow"), highlight=False, soft_wrap=True)
    if len(report.warnings) > 50:
        err_console.print(f"… and {len(report.warnings) - 50} more warnings", highlight=False, soft_wrap=True)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar (on stderr) fed by the library's ``progress(done, total)`` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{label}: reading and validating", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, description=f"{label}: writing", completed=done, total=total)

        yield update


@app.command("areas")
def areas(
    file: FileArgument,
    city: CityOption,
    level: LevelOption,
    level_name_de: Annotated[
        str | None, typer.Option(help="German name of the level when it is new, e.g. Planungsraum.")
    ] = None,
    level_name_en: Annotated[
        str | None, typer.Option(help="English name of the level when it is new, e.g. planning area.")
    ] = None,
    parent_level: Annotated[
        str | None, typer.Option(help="Next coarser level, when the level is new.")
    ] = None,
    id_column: Annotated[str, typer.Option(help="Attribute holding the area id.")] = "id",
    name_column: Annotated[str, typer.Option(help="Attribute holding the area name.")] = "name",
    parent_column: Annotated[
        str | None, typer.Option(help="Attribute holding the id of the parent area (in --parent-level).")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Layer of a multi-layer file (GeoPackage).")] = None,
    fix_id: Annotated[
        list[str] | None,
        typer.Option(
            "--fix-id",
            help="FEATURE=ID: replace the id of feature number FEATURE (a known error in the file).",
        ),
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option(help="First day the boundaries are valid (YYYY-MM-DD).")
    ] = None,
    valid_to: Annotated[
        str | None, typer.Option(help="First day they are no longer valid (YYYY-MM-DD).")
    ] = None,
    user: UserOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import the areas of one level from GeoJSON, GeoPackage or Shapefile (any CRS; stored as WGS84)."""
    from bettercities.ingest.service import import_areas

    try:
        fixes = {int(k): v for k, v in _pairs(fix_id or [], "--fix-id").items()}
        start = date.fromisoformat(valid_from) if valid_from else None
        end = date.fromisoformat(valid_to) if valid_to else None
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    ws = open_workspace(workspace, database_url)
    with refusals(ws), err_console.status(f"Importing areas from {file.name} …"):
        options = AreaImportOptions.checked(
            file.name,
            level=level,
            level_name_de=level_name_de,
            level_name_en=level_name_en,
            parent_level=parent_level,
            id_column=id_column,
            name_column=name_column,
            parent_column=parent_column,
            layer=layer,
            id_fixes=fixes,
            valid_from=start,
            valid_to=end,
        )
        result = import_areas(ws.database, city, file, options, user=user)
    _print_warnings(result.report)
    crs = (
        f"{result.crs}, reprojected to WGS84"
        if result.reprojected
        else (result.crs or "no CRS, taken as WGS84")
    )
    console.print(
        f"{result.features} areas of level {result.level!r} imported from {result.file} ({crs}): "
        f"{result.created} new, {result.updated} updated (batch {result.batch_id}).",
        highlight=False,
        soft_wrap=True,
    )


@app.command("observations")
def observations(
    file: FileArgument,
    city: CityOption,
    level: LevelOption,
    layout: Annotated[
        Layout, typer.Option(help="wide: one column per indicator; long: one row per observation.")
    ] = Layout.WIDE,
    id_column: Annotated[str, typer.Option(help="Column holding the area id.")] = "id",
    pad_ids: Annotated[
        bool,
        typer.Option(
            "--pad-ids",
            help="Pad numeric area ids that lost their leading zeros (an Excel number column shown as "
            "00000000) to the level's id width.",
        ),
    ] = False,
    period: Annotated[
        str | None, typer.Option(help="Period of every value, e.g. 2020, 2020-H1 or 2018-12-31.")
    ] = None,
    period_column: Annotated[
        str | None, typer.Option(help="Column holding the period (default: 'period' if present).")
    ] = None,
    indicator_column: Annotated[
        str, typer.Option(help="Long layout: column of indicator codes.")
    ] = "indicator",
    value_column: Annotated[str, typer.Option(help="Long layout: column of values.")] = "value",
    numerator_column: Annotated[
        str | None, typer.Option(help="Long layout: numerators (default: 'numerator' if present).")
    ] = None,
    denominator_column: Annotated[
        str | None, typer.Option(help="Long layout: denominators (default: 'denominator' if present).")
    ] = None,
    provisional_column: Annotated[
        str | None, typer.Option(help="Flag column: provisional values (default: 'provisional' if present).")
    ] = None,
    estimated_column: Annotated[
        str | None, typer.Option(help="Flag column: estimated values (default: 'estimated' if present).")
    ] = None,
    suppressed_column: Annotated[
        str | None, typer.Option(help="Flag column: suppressed cells (default: 'suppressed' if present).")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="SOURCE=CODE: column (wide) or indicator value (long) SOURCE holds indicator CODE; "
            "wide also SOURCE=CODE@PERIOD. Repeatable.",
        ),
    ] = None,
    ignore_columns: Annotated[
        str | None,
        typer.Option(
            "--ignore-columns",
            "--ignore",
            help="Comma-separated columns (wide) or indicator values (long) to skip.",
        ),
    ] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: detected).")] = None,
    decimal: Annotated[str | None, typer.Option(help="Decimal mark, '.' or ',' (default: detected).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding (default: UTF-8, else cp1252).")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel: sheet to read (default: the first).")] = None,
    na_values: Annotated[
        str | None, typer.Option(help="Comma-separated cell texts that mean 'no value', e.g. '-,.'.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and compare only; write nothing.")
    ] = False,
    user: UserOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import observations from CSV or Excel; every cell is validated before anything is written.

    Re-importing a file changes nothing; a changed value becomes a new revision (the old one stays).
    """
    from bettercities.ingest.service import import_observations

    mapping = _pairs(map_ or [], "--map")
    ws = open_workspace(workspace, database_url)
    with refusals(ws), _progress(file.name) as progress:
        options = ObservationImportOptions.checked(
            file.name,
            level=level,
            layout=layout,
            id_column=id_column,
            pad_ids=pad_ids,
            period=period,
            period_column=period_column,
            indicator_column=indicator_column,
            value_column=value_column,
            numerator_column=numerator_column,
            denominator_column=denominator_column,
            provisional_column=provisional_column,
            estimated_column=estimated_column,
            suppressed_column=suppressed_column,
            mapping=mapping,
            ignore=comma_list(ignore_columns),
            delimiter=delimiter,
            decimal=decimal,
            encoding=encoding,
            sheet=sheet,
            na_values=comma_list(na_values),
        )
        result = import_observations(
            ws.database, city, file, options, user=user, dry_run=dry_run, progress=progress
        )
    _print_warnings(result.report)
    periods = ", ".join(result.periods[:5]) + (" …" if len(result.periods) > 5 else "")
    console.print(
        f"{result.file}: {result.rows} rows, {result.observations} observations of "
        f"{len(result.indicators)} indicators, periods {periods or '-'}"
        f"{f'; {result.empty} empty cells skipped' if result.empty else ''}.",
        highlight=False,
        soft_wrap=True,
    )
    counts = f"{result.inserted} new, {result.revised} revised, {result.unchanged} unchanged"
    if result.dry_run:
        console.print(f"Dry run, nothing written: {counts}.", highlight=False, soft_wrap=True)
    elif result.batch_id is None:
        console.print(f"Nothing changed: {counts}; no batch recorded.", highlight=False, soft_wrap=True)
    else:
        console.print(f"Imported (batch {result.batch_id}): {counts}.", highlight=False, soft_wrap=True)


# the networks domain's import of programmes, networks and memberships (its command lives with its domain)
app.command("memberships")(import_memberships)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="import")
