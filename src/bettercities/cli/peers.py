"""``bettercities peers SLUG``: a city's suggested peers with score, overlap and reasons (docs/peers.md), the
same search as ``/api/cities/{slug}/peers`` and the page ``/cities/{slug}/peers``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, comma_list, console, fail, session_of
from bettercities.peers.schemas import CountryChoice


def peers(
    slug: Annotated[str, typer.Argument(help="The city's slug (a registry municipality).")],
    limit: Annotated[int, typer.Option(help="How many peers.", min=1, max=100)] = 10,
    country: Annotated[
        CountryChoice, typer.Option(help="Peers from any country, the same or another than the city's.")
    ] = CountryChoice.ANY,
    size: Annotated[
        str, typer.Option(help="any, same or a size class (small-town, medium-town, city, large-city).")
    ] = "any",
    language: Annotated[
        str, typer.Option(help="any, same (a shared official language) or ISO 639-1.")
    ] = "any",
    programme: Annotated[str | None, typer.Option(help="Eligible for a programme: urbact, eui-ia.")] = None,
    theme: Annotated[
        str | None,
        typer.Option("--theme", help="Challenge themes, comma-separated (default: the city's own)."),
    ] = None,
    min_overlap: Annotated[int, typer.Option(help="Fewest shared profile features.", min=2, max=20)] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Suggested peers of a city: similar social profile, practices in its challenge themes."""
    from bettercities.core.errors import NotFound
    from bettercities.peers import service
    from bettercities.peers.schemas import PeerConstraints

    constraints = PeerConstraints(
        country=country,
        size=size,
        language=language,
        programme=programme,
        themes=tuple(comma_list(theme)),
        min_overlap=min_overlap,
    )
    with session_of(workspace, database_url) as session:
        try:
            result = service.peers(session, slug, limit=limit, constraints=constraints)
        except NotFound:
            fail(f"peer-unknown-city: no city '{slug}' in the registry or on the platform")
    if as_json:
        console.print_json(result.model_dump_json())
        return
    console.print(
        f"{result.city_name} ({result.country}): {len(result.features)} of {result.profile_size} profile "
        f"features; {result.candidates} municipalities meet the constraints",
        highlight=False,
        soft_wrap=True,
    )
    if result.challenges:
        console.print(
            "challenge themes: " + ", ".join(c.label_en for c in result.challenges), highlight=False
        )
    for problem in result.problems:
        console.print(f"{problem.code}: {problem.message}", style="yellow", highlight=False, soft_wrap=True)
    if not result.peers:
        return
    table = Table(
        "#", "peer", "country", "score", "similarity", "overlap", "most alike in", "themes that fit"
    )
    for peer in result.peers:
        table.add_row(
            str(peer.rank),
            f"{peer.name} ({peer.slug})",
            peer.country,
            f"{peer.score:.3f}",
            f"{peer.similarity:.3f}",
            f"{peer.overlap}/{result.profile_size}",
            "; ".join(f"{f.name_en} {f.city_value:.4g}/{f.peer_value:.4g}" for f in peer.alike),
            "; ".join(f"{t.label_en} ({', '.join(p.name for p in t.practices)})" for t in peer.themes),
        )
    console.print(table)


def register(root: typer.Typer) -> None:
    root.command("peers")(peers)


__all__ = ["register"]
