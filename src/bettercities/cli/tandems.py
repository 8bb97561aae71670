"""``bettercities tandems``: form a peer-learning tandem from selected applications, record its stages,
activities and outputs, and show it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    comma_list,
    console,
    fail,
    session_of,
    validation_messages,
)

app = typer.Typer(
    help="Peer-learning tandems: pairs or triples of municipalities formed from a call's selection."
)

TandemArgument = Annotated[str, typer.Argument(help="Tandem (network) slug.")]
DayOption = Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Day (YYYY-MM-DD).")]


@app.command("form")
def form(
    programme: Annotated[str, typer.Option("--programme", help="Programme slug.")],
    application: Annotated[list[int], typer.Option("--application", help="A selected application (2 or 3).")],
    name: Annotated[str, typer.Option("--name", help="The tandem's name.")],
    start: Annotated[
        datetime | None, typer.Option("--start", formats=["%Y-%m-%d"], help="First day (default: today).")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Form a tandem: a network of kind tandem in the programme with the applicants as tandem partners."""
    from bettercities.audit.context import current_actor
    from bettercities.tandems import service

    with session_of(workspace, database_url, write=True) as session:
        out = service.form_tandem(
            session, programme, application, name=name, by=current_actor().name,
            start=start.date() if start else None,
        )  # fmt: skip
    console.print(f"tandem '{out.slug}' of {', '.join(m.city for m in out.members)} formed.", highlight=False)


@app.command("stage")
def stage(
    tandem: TandemArgument,
    stage: Annotated[str, typer.Option("--stage", help="kick-off, visits, workshops, outputs, follow-up.")],
    on: DayOption,
    note: Annotated[str | None, typer.Option("--note", help="A note.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The tandem enters a stage of its lifecycle on a day."""
    from bettercities.tandems import service

    with session_of(workspace, database_url, write=True) as session:
        out = service.set_stage(session, tandem, stage, on=on.date(), note=note)
    console.print(f"tandem '{tandem}': {out.stage.value} since {out.started_on}.", highlight=False)


@app.command("activity")
def activity(
    tandem: TandemArgument,
    kind: Annotated[str, typer.Option("--kind", help="kick-off, visit, workshop, meeting, webinar, other.")],
    title: Annotated[str, typer.Option("--title", help="Title.")],
    on: DayOption,
    until: Annotated[datetime | None, typer.Option("--until", formats=["%Y-%m-%d"], help="Last day.")] = None,
    place: Annotated[str | None, typer.Option("--place", help="Where.")] = None,
    participants: Annotated[str | None, typer.Option("--participants", help="Who, comma-separated.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Record an activity of the tandem."""
    from bettercities.tandems import service
    from bettercities.tandems.schemas import ActivityIn

    try:
        spec = ActivityIn.model_validate(
            {"kind": kind, "title": title, "starts_on": on.date(), "ends_on": until.date() if until else None,
             "place": place, "participants": comma_list(participants)}
        )  # fmt: skip
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        out = service.add_activity(session, tandem, spec)
    console.print(f"activity {out.id} ({out.kind.value}, {out.starts_on}) recorded.", highlight=False)


@app.command("output")
def output(
    tandem: TandemArgument,
    title: Annotated[str, typer.Option("--title", help="Title.")],
    drafted: Annotated[datetime, typer.Option("--drafted", formats=["%Y-%m-%d"], help="Day drafted.")],
    kind: Annotated[str, typer.Option("--kind", help="action_plan, report or other.")] = "action_plan",
    city: Annotated[str | None, typer.Option("--city", help="The member city it is for.")] = None,
    adopted: Annotated[
        datetime | None, typer.Option("--adopted", formats=["%Y-%m-%d"], help="Day adopted.")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Record an output of the tandem (adopted when ``--adopted`` is given)."""
    from bettercities.tandems import service
    from bettercities.tandems.schemas import OutputIn

    try:
        spec = OutputIn.model_validate(
            {"kind": kind, "title": title, "city": city, "drafted_on": drafted.date(),
             "status": "adopted" if adopted else "drafted", "adopted_on": adopted.date() if adopted else None}
        )  # fmt: skip
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        out = service.add_output(session, tandem, spec)
    console.print(f"output {out.id} ({out.kind.value}, {out.status.value}) recorded.", highlight=False)


@app.command("list")
def list_(
    programme: Annotated[str | None, typer.Option("--programme", help="Only this programme's.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the tandems with their members and stage."""
    from bettercities.tandems import service

    with session_of(workspace, database_url) as session:
        found = service.list_tandems(session, programme)
    if json_:
        console.print_json(json.dumps([t.model_dump(mode="json") for t in found]))
        return
    table = Table("tandem", "programme", "members", "stage")
    for t in found:
        table.add_row(
            t.slug, t.programme, ", ".join(m.city for m in t.members), t.stage.value if t.stage else ""
        )
    console.print(table)


@app.command("show")
def show(
    tandem: TandemArgument,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A tandem with its stages, activities, outputs and goals."""
    from bettercities.tandems import service

    with session_of(workspace, database_url) as session:
        detail = service.tandem_detail(session, tandem)
    if json_:
        console.print_json(detail.model_dump_json())
        return
    console.print(
        f"{detail.name_en} ({detail.programme}): {', '.join(m.city for m in detail.members)}; "
        f"stage {detail.stage.value if detail.stage else '—'}",
        highlight=False,
    )
    table = Table("day", "kind", "title", "participants")
    for a in detail.activities:
        table.add_row(str(a.starts_on), a.kind.value, a.title, ", ".join(a.participants))
    console.print(table)
    for o in detail.outputs:
        console.print(f"output {o.id}: {o.title} ({o.kind.value}, {o.status.value})", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="tandems")
