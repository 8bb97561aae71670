"""``bettercities networks``: city networks, their member cities over time, and shared datasets."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    session_of,
)

app = typer.Typer(help="City networks: members over time and the datasets they share with each other.")

NetworkArgument = Annotated[str, typer.Argument(help="Network slug.")]
CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
DatasetOption = Annotated[str, typer.Option("--dataset", help="Dataset code (of the city's catalogue).")]
DateOption = Annotated[
    datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="Date (default: today).")
]


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@app.command("add")
def add(
    slug: NetworkArgument,
    name_de: Annotated[str, typer.Option("--name-de", help="German name.")],
    name_en: Annotated[str, typer.Option("--name-en", help="English name.")],
    description: Annotated[str | None, typer.Option("--description", help="What the network is.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a city network."""
    from bettercities.networks import create_network

    with session_of(workspace, database_url, write=True) as session:
        network = create_network(session, slug, name_de=name_de, name_en=name_en, description=description)
    console.print(f"network '{network.slug}' added.", highlight=False)


@app.command("list")
def list_(
    json_: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the networks with their members (past ones with their dates) and shared datasets."""
    from bettercities.networks import list_networks

    with session_of(workspace, database_url) as session:
        found = list_networks(session)
    if json_:
        console.print_json(json.dumps([n.model_dump(mode="json") for n in found]))
        return
    table = Table("network", "name", "members", "shared datasets")
    for n in found:
        members = "\n".join(
            f"{m.city} (since {m.joined})" if m.left is None else f"{m.city} ({m.joined} to {m.left})"
            for m in n.members
        )
        shares = "\n".join(f"{s.city}/{s.dataset}" for s in n.shares)
        table.add_row(n.slug, n.name_en, members, shares)
    console.print(table)


@app.command("join")
def join(
    slug: NetworkArgument,
    city: CityOption,
    when: DateOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A city joins a network."""
    from bettercities.networks import add_city

    with session_of(workspace, database_url, write=True) as session:
        add_city(session, slug, city, joined=_day(when))
    console.print(f"{city} is a member of network '{slug}'.", highlight=False)


@app.command("leave")
def leave(
    slug: NetworkArgument,
    city: CityOption,
    when: DateOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A city leaves a network (its membership history is kept; its shares stop counting)."""
    from bettercities.networks import remove_city

    with session_of(workspace, database_url, write=True) as session:
        remove_city(session, slug, city, left=_day(when))
    console.print(f"{city} left network '{slug}'.", highlight=False)


@app.command("share")
def share(
    slug: NetworkArgument,
    city: CityOption,
    dataset: DatasetOption,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Share a city's dataset with a network it is a member of (seen once approved or published)."""
    from bettercities.networks import share_dataset

    with session_of(workspace, database_url, write=True) as session:
        share_dataset(session, city, dataset, slug)
    console.print(f"dataset '{dataset}' of {city} is shared with network '{slug}'.", highlight=False)


@app.command("unshare")
def unshare(
    slug: NetworkArgument,
    city: CityOption,
    dataset: DatasetOption,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Stop sharing a city's dataset with a network."""
    from bettercities.networks import unshare_dataset

    with session_of(workspace, database_url, write=True) as session:
        unshare_dataset(session, city, dataset, slug)
    console.print(
        f"dataset '{dataset}' of {city} is no longer shared with network '{slug}'.", highlight=False
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="networks")
