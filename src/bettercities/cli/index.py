"""``bettercities index``: social indices (Berlin MSS, composite indices), stored runs, exports and change."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail,
    fail_invalid,
    open_workspace,
    print_report,
    refusals,
)
from bettercities.core.errors import InvalidInput, NotFound

index_app = typer.Typer(help="Social indices (Berlin MSS, composite indices).", no_args_is_help=True)


@index_app.command("compute")
def compute(
    config: Annotated[
        str, typer.Option("--config", help="A YAML file or a preset name (see 'index presets').")
    ],
    data: Annotated[
        Path, typer.Option("--data", help="CSV with one row per area.", exists=True, dir_okay=False)
    ],
    id_column: Annotated[str, typer.Option("--id-column", help="Column with the area ids.")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")],
    population_column: Annotated[
        str | None,
        typer.Option(
            "--population-column", help="Column with inhabitants (default: from the configuration)."
        ),
    ] = None,
    result_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the full typed result (with configuration).")
    ] = None,
) -> None:
    """Compute a social index and write one row per input area."""
    from bettercities.analysis.index import service
    from bettercities.analysis.index.config import preset_names

    try:
        result = service.compute_index_file(
            data, config=config, id_column=id_column, population_column=population_column
        )
    except NotFound as error:
        fail(f"{error}; presets: {', '.join(preset_names())}")
    except InvalidInput as error:
        fail_invalid(error)
    service.write_csv(result, out)
    if result_json is not None:
        result_json.write_text(result.model_dump_json(indent=2), "utf-8")
    if result.report.problems:
        print_report(result.report)
    scored = len(result.scored)
    console.print(
        f"{scored} areas scored, {len(result.areas) - scored} not scored; written to {out}", highlight=False
    )
    for name, counts in result.class_counts.items():
        summary = ", ".join(f"{c.label} {c.count}" for c in counts)
        console.print(f"{name}: {summary}", highlight=False)


@index_app.command("presets")
def presets() -> None:
    """List the shipped index configurations."""
    from bettercities.analysis.index.config import load_config, preset_names

    for name in preset_names():
        console.print(f"{name}\t{load_config(name).title or ''}", highlight=False)


# -- stored runs (index run / runs / show / export) --------------------------------------------------------


@index_app.command("run")
def run(
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    config: Annotated[str, typer.Option("--config", help="A YAML file or a preset name.")],
    period: Annotated[str, typer.Option("--period", help="Period of the stored values, e.g. 2018-12-31.")],
    level: Annotated[str, typer.Option("--level", help="Spatial level code.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Name of the run (default: preset + period).")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Compute an index on stored observations and store it (with provenance) as a run."""
    from bettercities.analysis.index.results import run_index
    from bettercities.ingest.service import current_user

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.session() as session:
        stored = run_index(
            session, city, config=config, level=level, period=period, name=name, user=current_user()
        )
    unscored = stored.areas - stored.scored
    console.print(
        f"Run {stored.id} '{stored.name}': {stored.scored} areas scored, {unscored} not scored.",
        highlight=False,
    )
    for part, counts in stored.class_counts.items():
        console.print(f"{part}: " + ", ".join(f"{c.label} {c.count}" for c in counts), highlight=False)


@index_app.command("runs")
def runs(
    city: Annotated[str | None, typer.Option("--city", help="Only this city.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List stored index runs, newest first."""
    from bettercities.analysis.index.results import list_runs

    ws = open_workspace(workspace, database_url)
    with closing(ws), ws.database.reader() as session:
        for item in list_runs(session, city):
            console.print(
                f"{item.id}\t{item.city}\t{item.name}\t{item.method}\t{item.level}\t{item.period}\t"
                f"{item.scored}/{item.areas}\t{item.computed_at:%Y-%m-%d %H:%M}",
                highlight=False,
            )


@index_app.command("show")
def show(
    run_id: Annotated[int, typer.Argument(help="Run id (see 'index runs').")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Print a stored run with its provenance and per-area classes as JSON."""
    from bettercities.analysis.index.results import get_run

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        stored = get_run(session, run_id)
    typer.echo(stored.model_dump_json(indent=2))


@index_app.command("export")
def export_run(
    run_id: Annotated[int, typer.Argument(help="Run id (see 'index runs').")],
    out: Annotated[Path, typer.Option("--out", help="Output file.")],
    format: Annotated[
        str | None, typer.Option("--format", help="csv, xlsx or geojson (default: from the suffix).")
    ] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="For the city's data team (no withholding).")
    ] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export a stored run as CSV, Excel (with a metadata sheet) or GeoJSON, through the publication step."""
    from bettercities.analysis.index.exports import export_run as write
    from bettercities.publication import Audience

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        done = write(
            session, run_id, out, format=format, audience=Audience.INTERNAL if internal else Audience.PUBLIC
        )
    console.print(f"Run {run_id}: {done.rows} areas written to {done.path} ({done.format}).", highlight=False)


@index_app.command("compare")
def compare(
    before: Annotated[int, typer.Argument(help="Earlier run id.")],
    after: Annotated[int, typer.Argument(help="Later run id.")],
    crosswalk: Annotated[
        str | None, typer.Option("--crosswalk", help="Crosswalk code when the boundaries differ.")
    ] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="For the city's data team (no withholding).")
    ] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Which areas changed class between two runs, with the transition matrices, as JSON (as the public
    sees it: areas with a suppressed input have no class; --internal for the data team)."""
    from bettercities.analysis.index.change import compare_runs
    from bettercities.publication import Audience

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        change = compare_runs(
            session,
            before,
            after,
            crosswalk=crosswalk,
            audience=Audience.INTERNAL if internal else Audience.PUBLIC,
        )
    typer.echo(change.model_dump_json(indent=2))


def register(root: typer.Typer) -> None:
    root.add_typer(index_app, name="index")
