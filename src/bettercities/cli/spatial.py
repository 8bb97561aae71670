"""``bettercities spatial``: Moran's I, LISA, Getis-Ord Gi* and typologies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    fail,
    fail_invalid,
    open_workspace,
    print_report,
    refusals,
)
from bettercities.core.errors import InvalidInput

spatial_app = typer.Typer(help="Spatial statistics (Moran's I, LISA, Getis-Ord Gi*).", no_args_is_help=True)


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
    from bettercities.analysis.spatial import statistics as spatial
    from bettercities.analysis.spatial.schemas import WeightsSpec

    try:
        spec = WeightsSpec.of(weights, k=k, threshold=threshold)
    except InvalidInput as error:
        fail(str(error))
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
    """Moran's I, LISA clusters and Gi* of a stored indicator over a city level, as JSON (as the public sees
    the data)."""
    from bettercities.analysis.spatial.queries import SpatialQuery
    from bettercities.analysis.spatial.schemas import WeightsSpec
    from bettercities.publication import Audience
    from bettercities.views.reader import Reader

    try:
        spec = WeightsSpec.of(weights, k=k, threshold=threshold)
    except InvalidInput as error:
        fail(str(error))
    query = SpatialQuery(
        indicator=indicator, period=period, level=level, weights=spec, permutations=permutations, seed=seed,
        alpha=alpha,
    )  # fmt: skip
    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        result = query.run(Reader(session, audience=Audience.PUBLIC), city)
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
    """Types of areas by their standardised indicator profile (k-means or Ward), as JSON (as the public sees
    the data)."""
    from bettercities.analysis.spatial.queries import TypologyQuery
    from bettercities.analysis.spatial.typology import ClusterMethod
    from bettercities.publication import Audience
    from bettercities.views.reader import Reader

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        try:
            query = TypologyQuery(
                indicators=indicator, k=k, method=ClusterMethod(method), period=period, level=level, seed=seed
            )
            result = query.run(Reader(session, audience=Audience.PUBLIC), city)
        except ValueError as error:  # an unknown clustering method
            fail(str(error))
    typer.echo(result.model_dump_json(indent=2, exclude={"report"}))


def register(root: typer.Typer) -> None:
    root.add_typer(spatial_app, name="spatial")
