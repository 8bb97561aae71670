"""``bettercities index`` and ``bettercities spatial``: social indices and spatial statistics."""

from __future__ import annotations

import json
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
spatial_app = typer.Typer(help="Spatial statistics (Moran's I, LISA, Getis-Ord Gi*).", no_args_is_help=True)


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
    with ws.database.reader() as session:
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


@spatial_app.command("moran")
def moran(
    geodata: Annotated[Path, typer.Option("--geodata", help="GeoJSON, GeoPackage, shapefile …", exists=True)],
    variable: Annotated[str, typer.Option("--variable", help="Numeric attribute to test.")],
    weights: Annotated[str, typer.Option("--weights", help="queen, rook, distance-band or knn.")] = "queen",
    k: Annotated[int, typer.Option("--k", help="Neighbours for knn.")] = 6,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Distance band (data units).")
    ] = None,
    permutations: Annotated[int, typer.Option("--permutations", help="Random permutations.")] = 999,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (reproducible p-values).")] = None,
    id_column: Annotated[str | None, typer.Option("--id-column", help="Attribute with area ids.")] = None,
    local: Annotated[bool, typer.Option("--local", help="Add LISA cluster and Gi* per area.")] = False,
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level of local clusters.")] = 0.05,
) -> None:
    """Global Moran's I with permutation inference (and, with --local, LISA clusters), as JSON."""
    from pydantic import ValidationError

    from bettercities.analysis.index.schemas import WeightsSpec
    from bettercities.analysis.spatial import statistics as spatial

    try:
        spec = WeightsSpec(kind=weights, k=k, threshold=threshold)
    except ValidationError as error:
        fail(f"invalid weights: {error.errors()[0]['msg']}")
    try:
        layer = spatial.read_geodata(geodata, id_column=id_column)
        result = spatial.moran(
            layer, variable, weights=spec, permutations=permutations, seed=seed, local=local, alpha=alpha
        )
    except InvalidInput as error:
        fail_invalid(error)
    if result.report.problems:
        print_report(result.report)
    payload = result.model_dump(mode="json", exclude={"report"}, exclude_none=False)
    if not local:
        payload.pop("local", None)
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


@spatial_app.command("local")
def spatial_local(
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    indicator: Annotated[str, typer.Option("--indicator", help="Indicator code.")],
    period: Annotated[str | None, typer.Option("--period", help="Period; default: the latest.")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Level; default: the finest.")] = None,
    weights: Annotated[str, typer.Option("--weights", help="queen, rook, distance-band or knn.")] = "queen",
    k: Annotated[int, typer.Option("--k", help="Neighbours for knn.")] = 6,
    threshold: Annotated[float | None, typer.Option("--threshold", help="Distance band in metres.")] = None,
    permutations: Annotated[int, typer.Option("--permutations", help="Random permutations.")] = 999,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level.")] = 0.05,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Moran's I, LISA clusters and Gi* of a stored indicator over a city level, as JSON."""
    from pydantic import ValidationError

    from bettercities.analysis.index.schemas import WeightsSpec
    from bettercities.analysis.spatial.service import analyse

    try:
        spec = WeightsSpec(kind=weights, k=k, threshold=threshold)
    except ValidationError as error:
        fail(f"invalid weights: {error.errors()[0]['msg']}")
    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        result = analyse(
            session, city, indicator, period=period, level=level, weights=spec,
            permutations=permutations, seed=seed, alpha=alpha,
        )  # fmt: skip
    typer.echo(result.model_dump_json(indent=2, exclude={"report"}))


@spatial_app.command("typology")
def spatial_typology(
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    indicator: Annotated[list[str], typer.Option("--indicator", help="Indicator code (repeat).")],
    k: Annotated[int, typer.Option("--k", help="Number of types.")] = 4,
    method: Annotated[str, typer.Option("--method", help="kmeans or hierarchical.")] = "kmeans",
    period: Annotated[str | None, typer.Option("--period", help="Period; default: the latest.")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Level; default: the finest.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of k-means.")] = 1,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Types of areas by their standardised indicator profile (k-means or Ward), as JSON."""
    from bettercities.analysis.spatial.typology import ClusterMethod, typology

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        try:
            result = typology(
                session, city, indicator, k=k, method=ClusterMethod(method), period=period, level=level,
                seed=seed,
            )  # fmt: skip
        except ValueError as error:  # an unknown clustering method
            fail(str(error))
    typer.echo(result.model_dump_json(indent=2, exclude={"report"}))


priority_app = typer.Typer(help="Priority areas: rules and named sets.", no_args_is_help=True)


@priority_app.command("evaluate")
def priority_evaluate(
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    rule: Annotated[
        str, typer.Option("--rule", help="Preset name or a YAML/JSON rule file.")
    ] = "mss-low-status-negative-dynamics",
    level: Annotated[str | None, typer.Option("--level", help="Level; default: the rule's run's.")] = None,
    period: Annotated[str | None, typer.Option("--period", help="Period; default: the rule's run's.")] = None,
    save: Annotated[str | None, typer.Option("--save", help="Keep the areas as this named set.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Of the named set.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a set of the same name.")] = False,
    internal: Annotated[
        bool,
        typer.Option(
            "--internal",
            help="Evaluate on the data team's view (suppressed inputs too); a saved set is the data team's.",
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the areas as CSV.")] = None,
    geojson: Annotated[Path | None, typer.Option("--geojson", help="Write the areas as GeoJSON.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Choose the priority areas of a city by a rule; list them, optionally keep them as a named set (as the
    public sees the data, unless --internal; the set is shown only to the audience it was evaluated for)."""
    from pydantic import ValidationError

    from bettercities.analysis.priority import service as priority
    from bettercities.publication import Audience

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.session() as session:
        try:
            result = priority.evaluate(
                session, city, priority.load_rule(rule), level=level, period=period,
                audience=Audience.INTERNAL if internal else Audience.PUBLIC,
            )  # fmt: skip
        except ValidationError as error:
            fail(f"invalid rule: {error}")
        if save:
            priority.save_set(session, result, save, description=description, replace=replace)
        if geojson is not None:
            priority.write_geojson(session, result, geojson)
    for area in result.areas:
        typer.echo(f"{area.area_id}\t{area.name}\t{'; '.join(area.reasons)}")
    console.print(f"{len(result.areas)} of {result.total} areas", highlight=False)
    if save:
        console.print(f"kept as the named set {save!r}", highlight=False)
    if out is not None:
        priority.write_csv(result, out)


@priority_app.command("sets")
def priority_sets(
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    show: Annotated[str | None, typer.Option("--show", help="List the areas of this set.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the shown set as CSV.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the named sets of priority areas of a city (or the areas of one)."""
    from bettercities.analysis.priority import service as priority

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        if show is None:
            for item in priority.list_sets(session, city):
                fields = [item.name, item.level, item.period or "", item.rule.name, item.audience.value]
                typer.echo("\t".join(fields))
            return
        found = priority.get_set(session, city, show)
    for area in found.areas:
        typer.echo(f"{area.area_id}\t{area.name}\t{'; '.join(area.reasons)}")
    if out is not None:
        priority.write_csv(found, out)


def register(root: typer.Typer) -> None:
    root.add_typer(index_app, name="index")
    root.add_typer(spatial_app, name="spatial")
    root.add_typer(priority_app, name="priority")
