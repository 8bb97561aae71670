"""``bettercities hub``: the knowledge hub's practices and events (add, show, remove) and its search."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, fail, session_of

app = typer.Typer(help="Knowledge hub: practices of cities and events of networks, searched in full text.")
practice_app = typer.Typer(help="Practices: what a city did, its results, linked indicators and goals.")
event_app = typer.Typer(help="Events: webinars, workshops … with outcomes and recommendations.")

SlugArgument = Annotated[str, typer.Argument(help="Slug (a-z, digits, '-').")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
TitleOption = Annotated[str, typer.Option("--title", help="Title.")]
LanguageOption = Annotated[str, typer.Option("--language", help="Language of the texts: de or en.")]
NetworkOption = Annotated[str | None, typer.Option("--network", help="Network slug.")]
ProgrammeOption = Annotated[
    str | None, typer.Option("--programme", help="Programme slug (default: the network's).")
]
ThemeOption = Annotated[str | None, typer.Option("--theme", help="Theme.")]


def _actor() -> str:
    from bettercities.audit.context import current_actor

    return current_actor().name


@practice_app.command("add")
def practice_add(
    slug: SlugArgument,
    title: TitleOption,
    summary: Annotated[str, typer.Option("--summary", help="What was done.")],
    city: Annotated[str | None, typer.Option("--city", help="City slug (registry or using).")] = None,
    network: NetworkOption = None,
    programme: ProgrammeOption = None,
    theme: ThemeOption = None,
    results: Annotated[str | None, typer.Option("--results", help="What came of it.")] = None,
    language: LanguageOption = "en",
    document: Annotated[
        list[str] | None, typer.Option("--document", help="TITLE=URL of a document (repeat).")
    ] = None,
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="Indicator code (repeat).")
    ] = None,
    goal: Annotated[list[int] | None, typer.Option("--goal", help="Goal id of the city (repeat).")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a practice."""
    from pydantic import ValidationError

    from bettercities.cli.common import validation_messages
    from bettercities.hub import service
    from bettercities.hub.schemas import DocumentLink, PracticeIn

    documents = []
    for item in document or []:
        name, sep, url = item.partition("=")
        if not sep:
            fail(f"--document {item!r}: write TITLE=URL")
        documents.append(DocumentLink(title=name.strip(), url=url.strip()))
    try:
        spec = PracticeIn(
            slug=slug, title=title, summary=summary, city=city, network=network, programme=programme,
            theme=theme, results=results, language=language, documents=documents,
            indicators=indicator or [], goals=goal or [],
        )  # fmt: skip
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        service.add_practice(session, spec, by=_actor())
    console.print(f"practice '{slug}' added.", highlight=False)


@event_app.command("add")
def event_add(
    slug: SlugArgument,
    title: TitleOption,
    held_on: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Day (YYYY-MM-DD).")],
    topic: Annotated[str, typer.Option("--topic", help="Topic.")],
    kind: Annotated[str, typer.Option("--kind", help="webinar, workshop, conference or visit.")] = "webinar",
    network: NetworkOption = None,
    programme: ProgrammeOption = None,
    theme: ThemeOption = None,
    speaker: Annotated[
        list[str] | None, typer.Option("--speaker", help="Speaker (name or role; repeat).")
    ] = None,
    recording: Annotated[str | None, typer.Option("--recording", help="Address of the recording.")] = None,
    outcomes: Annotated[str | None, typer.Option("--outcomes", help="What came of it.")] = None,
    recommendation: Annotated[
        list[str] | None, typer.Option("--recommendation", help="A recommendation (repeat).")
    ] = None,
    language: LanguageOption = "en",
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add an event."""
    from pydantic import ValidationError

    from bettercities.cli.common import validation_messages
    from bettercities.hub import service
    from bettercities.hub.schemas import EventIn

    try:
        spec = EventIn(
            slug=slug, title=title, held_on=held_on.date(), topic=topic, kind=kind, network=network,
            programme=programme, theme=theme, speakers=speaker or [], recording_url=recording,
            outcomes=outcomes, recommendations=recommendation or [], language=language,
        )  # fmt: skip
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        service.add_event(session, spec, by=_actor())
    console.print(f"event '{slug}' added.", highlight=False)


@practice_app.command("show")
def practice_show(
    slug: SlugArgument, json_: JsonOption = False, workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:  # fmt: skip
    """A practice in full (its linked goals as the public sees them)."""
    from bettercities.goals.progress import FixedViewer
    from bettercities.hub import queries
    from bettercities.publication import Audience

    with session_of(workspace, database_url) as session:
        found = queries.practice(FixedViewer(session, Audience.PUBLIC), slug)
    if json_:
        console.print_json(found.model_dump_json())
        return
    console.print(f"{found.title} ({found.city_name or '–'}, {found.network or '–'})", highlight=False)
    console.print(found.summary, highlight=False)
    if found.results:
        console.print(f"Results: {found.results}", highlight=False)


@event_app.command("show")
def event_show(
    slug: SlugArgument, json_: JsonOption = False, workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:  # fmt: skip
    """An event in full."""
    from bettercities.hub import queries

    with session_of(workspace, database_url) as session:
        found = queries.event(session, slug)
    if json_:
        console.print_json(found.model_dump_json())
        return
    console.print(f"{found.held_on} {found.title}: {found.topic}", highlight=False)
    for item in found.recommendations:
        console.print(f"- {item}", highlight=False)


def _remove(kind: str, slug: str, workspace: Path | None, database_url: str | None) -> None:
    from bettercities.hub import service

    with session_of(workspace, database_url, write=True) as session:
        service.remove(session, kind, slug)
    console.print(f"{kind} '{slug}' removed.", highlight=False)


@practice_app.command("remove")
def practice_remove(
    slug: SlugArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Remove a practice (also from the guides that select it)."""
    _remove("practice", slug, workspace, database_url)


@event_app.command("remove")
def event_remove(
    slug: SlugArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Remove an event (also from the guides that select it)."""
    _remove("event", slug, workspace, database_url)


@app.command("search")
def search(
    q: Annotated[str | None, typer.Argument(help='Words; "a phrase", or, -without.')] = None,
    theme: ThemeOption = None,
    network: NetworkOption = None,
    city: Annotated[str | None, typer.Option("--city", help="City slug.")] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="Programme slug.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="practice or event.")] = None,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Search practices and events in full text (SQLite FTS5 / PostgreSQL), with filters."""
    from bettercities.hub import queries

    if kind not in (None, "practice", "event"):
        fail(f"--kind {kind!r}: use practice or event", code=2)
    with session_of(workspace, database_url) as session:
        found = queries.search(session, q, theme=theme, network_slug=network, city_slug=city, kind=kind,
                               programme_slug=programme)  # fmt: skip
    if json_:
        console.print_json(json.dumps([i.model_dump(mode="json") for i in found]))
        return
    table = Table("kind", "slug", "title", "city / date", "network", "theme")
    for i in found:
        table.add_row(i.kind.value, i.slug, i.title, i.city_name or str(i.held_on or ""), i.network or "",
                      i.theme or "")  # fmt: skip
    console.print(table)


def register(root: typer.Typer) -> None:
    app.add_typer(practice_app, name="practice")
    app.add_typer(event_app, name="event")
    root.add_typer(app, name="hub")
