"""``bettercities city``: add and list cities and their spatial levels; ``bettercities crosswalk``: crosswalks
between boundary versions."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from bettercities.areas import queries
from bettercities.areas import service as areas
from bettercities.areas.crosswalks import import_crosswalk
from bettercities.areas.schemas import CitySpec, LevelSpec, WeightBasis
from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail,
    open_workspace,
    session_of,
)
from bettercities.core.errors import BettercitiesError
from bettercities.indicators.crosswalks import carried_view
from bettercities.publication import Audience

app = typer.Typer(help="Cities and their spatial levels.", no_args_is_help=True)


@app.command("add")
def add(
    slug: Annotated[str, typer.Argument(help="Short id used in URLs, e.g. berlin.")],
    name: Annotated[str, typer.Option(help="Name of the city.")],
    country: Annotated[str, typer.Option(help="Two-letter Eurostat country code, e.g. DE.")],
    lau: Annotated[str | None, typer.Option(help="LAU code.")] = None,
    urau: Annotated[str | None, typer.Option(help="Urban Audit city code, e.g. DE001C.")] = None,
    nuts3: Annotated[str | None, typer.Option(help="NUTS-3 code.")] = None,
    ags: Annotated[str | None, typer.Option(help="German municipality key (AGS), 8 digits.")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude (WGS84).")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude (WGS84).")] = None,
    population: Annotated[int | None, typer.Option(help="Inhabitants.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a city."""
    try:
        spec = CitySpec(
            slug=slug,
            name=name,
            country=country,
            lau_code=lau,
            urau_code=urau,
            nuts3_code=nuts3,
            ags=ags,
            lat=lat,
            lon=lon,
            population=population,
        )
    except ValidationError as error:
        fail(f"invalid city: {error}")
    ws = open_workspace(workspace, database_url, create=True)
    try:
        with closing(ws), ws.database.session() as session:
            areas.create_city(session, spec)
    except BettercitiesError as error:
        fail(str(error))
    console.print(f"City {slug!r} added.")


@app.command("list")
def list_(
    registry: Annotated[
        bool,
        typer.Option("--registry", help="Also the city registry's municipalities (~18,000 once loaded)."),
    ] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the cities using bettercities (with levels, or added by hand); --registry lists all."""
    ws = open_workspace(workspace, database_url)
    with closing(ws), ws.database.reader() as session:
        cities = areas.list_cities(session) if registry else areas.using_cities(session)
        for city in cities:
            console.print(
                f"{city.slug}\t{city.name}\t{city.country}\t{city.area_count} areas", highlight=False
            )


@app.command("add-level")
def add_level(
    city: Annotated[str, typer.Argument(help="City slug.")],
    code: Annotated[str, typer.Argument(help="Level code, e.g. planning_area.")],
    name_de: Annotated[str, typer.Option(help="German name, e.g. Planungsraum.")],
    name_en: Annotated[str, typer.Option(help="English name, e.g. planning area.")],
    parent: Annotated[str | None, typer.Option(help="Code of the next coarser level.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a spatial level (below ``--parent``)."""
    ws = open_workspace(workspace, database_url)
    try:
        with closing(ws), ws.database.session() as session:
            areas.ensure_level(
                session,
                areas.get_city(session, city),
                LevelSpec(code=code, name_de=name_de, name_en=name_en, parent=parent),
            )
    except (BettercitiesError, ValidationError) as error:
        fail(str(error))
    console.print(f"Level {code!r} ready in {city!r}.")


# -- crosswalks: `bettercities crosswalk …` -----------------------------------------------------------------

crosswalk_app = typer.Typer(
    help="Crosswalks between boundary versions: import a relationship file, list, show, carry values over.",
    no_args_is_help=True,
)
CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@crosswalk_app.command("import")
def crosswalk_import(
    city: CityOption,
    code: Annotated[str, typer.Option("--code", help="Code of the new crosswalk, e.g. lor-2021.")],
    file: Annotated[
        Path,
        typer.Option("--file", help="Relationship file (.csv or .xlsx): old area, new area, weight per row."),
    ],
    source_level: Annotated[str, typer.Option("--source-level", help="Level of the old areas.")],
    target_level: Annotated[str, typer.Option("--target-level", help="Level of the new areas.")],
    source_at: Annotated[
        datetime | None,
        typer.Option("--source-at", formats=["%Y-%m-%d"], help="A day the old areas are valid (YYYY-MM-DD)."),
    ] = None,
    target_at: Annotated[
        datetime | None,
        typer.Option("--target-at", formats=["%Y-%m-%d"], help="A day the new areas are valid (YYYY-MM-DD)."),
    ] = None,
    weight_basis: Annotated[
        WeightBasis, typer.Option("--weight-basis", help="What the weights measure.")
    ] = WeightBasis.POPULATION,
    description: Annotated[str | None, typer.Option("--description", help="What the crosswalk is.")] = None,
    source_column: Annotated[
        str | None, typer.Option("--source-column", help="Column of the old area ids (default: source/old).")
    ] = None,
    target_column: Annotated[
        str | None, typer.Option("--target-column", help="Column of the new area ids (default: target/new).")
    ] = None,
    weight_column: Annotated[
        str | None, typer.Option("--weight-column", help="Column of the weights (default: weight).")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import a relationship file as a crosswalk; every problem is listed with file, row and column, and
    nothing is stored unless the whole file is right (exit code 2)."""
    with session_of(workspace, database_url, write=True) as session:
        links = import_crosswalk(
            session,
            city,
            code,
            file,
            source_level=source_level,
            target_level=target_level,
            source_at=source_at.date() if source_at else None,
            target_at=target_at.date() if target_at else None,
            weight_basis=weight_basis,
            description=description,
            source_column=source_column,
            target_column=target_column,
            weight_column=weight_column,
        )
    console.print(f"Crosswalk {code!r} of {city!r} stored: {links} links from {file.name}.", highlight=False)


@crosswalk_app.command("list")
def crosswalk_list(
    city: CityOption,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the crosswalks of a city."""
    with session_of(workspace, database_url) as session:
        found = queries.crosswalks(session, city)
    if as_json:
        console.print_json(data=[c.model_dump(mode="json") for c in found])
        return
    if not found:
        console.print(f"No crosswalks in {city!r}: import one with `bettercities crosswalk import`.")
    for c in found:
        console.print(
            f"{c.code}\t{c.source_level} -> {c.target_level}\t{c.sources} old, {c.targets} new areas"
            f"\t{c.weight_basis}\t{c.description or ''}",
            highlight=False,
        )


@crosswalk_app.command("show")
def crosswalk_show(
    code: Annotated[str, typer.Argument(help="Crosswalk code.")],
    city: CityOption,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Show a crosswalk: its levels and every link (old area, new area, weight)."""
    with session_of(workspace, database_url) as session:
        detail = queries.crosswalk_detail(session, city, code)
    if as_json:
        console.print_json(data=detail.model_dump(mode="json"))
        return
    console.print(
        f"{detail.code}: {detail.source_level} -> {detail.target_level}, weights by {detail.weight_basis}"
        + (f"; new areas from {detail.target_valid_from}" if detail.target_valid_from else ""),
        highlight=False,
    )
    for link in detail.links:
        console.print(
            f"{link.source_code}\t{link.source_name}\t{link.target_code}\t{link.target_name}\t{link.weight:g}",
            highlight=False,
        )


@crosswalk_app.command("carry")
def crosswalk_carry(
    code: Annotated[str, typer.Argument(help="Crosswalk code.")],
    city: CityOption,
    indicator: Annotated[str, typer.Option("--indicator", help="Indicator code.")],
    period: Annotated[str, typer.Option("--period", help="Period, e.g. 2024.")],
    store: Annotated[
        bool,
        typer.Option("--store", help="Store the carried values as estimated observations of the new areas."),
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Carry an indicator's values of one period from the old areas to the new ones (estimates); with
    --store, keep them as estimated observations. Shows the raw values (the command line is the data team's);
    the public sees a carried value withheld when any value it comes from is withheld."""
    with session_of(workspace, database_url, write=store) as session:
        view = carried_view(session, city, code, indicator, period, audience=Audience.INTERNAL, store=store)
    if as_json:
        console.print_json(data=view.model_dump(mode="json"))
        return
    console.print(
        f"{view.indicator.code} {view.period.code}: {len(view.sources)} old areas -> "
        f"{len(view.targets)} new areas (estimated{', stored' if view.stored else ''})",
        highlight=False,
    )
    for value in view.targets:
        shown = "–" if value.value is None else f"{value.value:.{view.indicator.decimals}f}"
        mark = f"\t{value.protection}" if value.protection else ""
        console.print(f"{value.area_code}\t{value.area_name}\t{shown}\testimated{mark}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="city")
    root.add_typer(crosswalk_app, name="crosswalk")


# -- comparison of areas: `bettercities city compare …` ----------------------------------------------------


@app.command("compare")
def compare_areas(
    city: Annotated[str, typer.Argument(help="City slug.")],
    area: Annotated[
        list[str],
        typer.Argument(help="2 to 6 areas as LEVEL:CODE or CODE, e.g. planning_area:0101 district:01."),
    ],
    indicator: Annotated[
        str | None, typer.Option(help="Indicator of the series; default: the first with a direction.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Compare areas side by side: every indicator's published value in its latest period, the difference
    to the first area and the city-wide value (as the public sees them: withheld values are left out)."""
    from bettercities.publication import Audience
    from bettercities.views.compare import CompareState, compare_view
    from bettercities.views.reader import Reader

    with session_of(workspace, database_url) as session:
        view = compare_view(
            Reader(session, audience=Audience.PUBLIC), city, CompareState(areas=area, indicator=indicator)
        )
    if as_json:
        console.print_json(data=view.model_dump(mode="json"))
        return
    header = ["indicator", "period", *(a.key for a in view.areas), "city"]
    console.print("\t".join(header), highlight=False, soft_wrap=True)

    def shown(value: float | None, suppressed: bool, decimals: int) -> str:
        return "withheld" if suppressed else "–" if value is None else f"{value:.{decimals}f}"

    for row in view.rows:
        decimals = row.indicator.decimals
        cells = []
        for cell in row.values:
            text = shown(cell.value, cell.suppressed, decimals)
            if cell.difference is not None:
                text += f" ({cell.difference:+.{decimals}f})"
            cells.append(text)
        city_cell = shown(row.city.value, row.city.suppressed, decimals) if row.city else "–"
        line = [row.indicator.code, row.period or "–", *cells, city_cell]
        console.print("\t".join(line), highlight=False, soft_wrap=True)
