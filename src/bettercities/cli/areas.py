"""``bettercities city``: add and list cities and their spatial levels."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec, LevelSpec
from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, fail, open_workspace
from bettercities.core.errors import BettercitiesError

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
        with ws.database.session() as session:
            areas.create_city(session, spec)
    except BettercitiesError as error:
        fail(str(error))
    console.print(f"City {slug!r} added.")


@app.command("list")
def list_(workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None) -> None:
    """List the cities of the workspace."""
    ws = open_workspace(workspace, database_url)
    with ws.database.reader() as session:
        for city in areas.list_cities(session):
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
        with ws.database.session() as session:
            areas.ensure_level(
                session,
                areas.get_city(session, city),
                LevelSpec(code=code, name_de=name_de, name_en=name_en, parent=parent),
            )
    except (BettercitiesError, ValidationError) as error:
        fail(str(error))
    console.print(f"Level {code!r} ready in {city!r}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="city")
