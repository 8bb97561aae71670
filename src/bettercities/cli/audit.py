"""``bettercities audit``: read and export the audit log (it has no command to change it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bettercities.audit import queries as audit
from bettercities.audit.schemas import AuditFilter
from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, open_workspace, refusals

app = typer.Typer(help="The audit log of every write: list and export.", no_args_is_help=True)

CityOption = Annotated[str | None, typer.Option("--city", help="Only entries of this city (slug).")]
NoCityOption = Annotated[
    bool, typer.Option("--no-city", help="Only entries of no city (sign-ins, tokens, users, networks).")
]
ActorOption = Annotated[
    str | None, typer.Option("--actor", help='Only entries by this actor, e.g. anna or "cli:ops".')
]
EntityOption = Annotated[str | None, typer.Option("--entity", help="Only entries about this table.")]
ActionOption = Annotated[
    str | None, typer.Option("--action", help="Only this action (insert, bulk-insert, login …).")
]
SinceOption = Annotated[
    datetime | None, typer.Option("--since", help="At or after this time (ISO, UTC when no zone).")
]
UntilOption = Annotated[
    datetime | None, typer.Option("--until", help="Before this time (ISO, UTC when no zone).")
]


@app.command("list")
def list_(
    city: CityOption = None,
    no_city: NoCityOption = False,
    actor: ActorOption = None,
    entity: EntityOption = None,
    action: ActionOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    page: Annotated[int, typer.Option(min=1, help="Page number, from 1.")] = 1,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Entries per page.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for the page.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List audit entries, newest first."""
    filters = AuditFilter(
        city=city,
        without_city=no_city,
        actor=actor,
        entity=entity,
        action=action,
        since=since,
        until=until,
    )
    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        found = audit.list_entries(session, filters=filters, page=page, page_size=page_size)
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    for entry in found.items:
        where = f" [{entry.city}]" if entry.city else ""
        reference = f" ({entry.reference})" if entry.reference else ""
        console.print(
            f"{entry.at:%Y-%m-%d %H:%M:%S} #{entry.id} {entry.actor} via {entry.via}{where}: "
            f"{entry.summary}{reference}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    shown = (
        f"{(page - 1) * page_size + 1}-{(page - 1) * page_size + len(found.items)}" if found.items else "0"
    )
    console.print(f"{shown} of {found.total} entries", highlight=False)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    city: CityOption = None,
    no_city: NoCityOption = False,
    actor: ActorOption = None,
    entity: EntityOption = None,
    action: ActionOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export audit entries, oldest first, as CSV or JSON Lines."""
    filters = AuditFilter(
        city=city,
        without_city=no_city,
        actor=actor,
        entity=entity,
        action=action,
        since=since,
        until=until,
    )
    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        text = audit.export(session, filters=filters, fmt=fmt)
        total = audit.list_entries(session, filters=filters, page_size=1).total
        out.write_text(text, encoding="utf-8")
    console.print(f"{total} entries written to {out} ({fmt})", highlight=False)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="audit")
