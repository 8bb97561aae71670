"""``bettercities calls``: calls for participation of a programme (add, list, show, open, close), applications
(apply, status, score, select) and the panel's ranking. The CLI is the operator's: it is not held to a
principal's permissions (the web faces are)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
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
    help="Calls for participation: applications of municipalities, the panel's scores, selection."
)

CallArgument = Annotated[str, typer.Argument(help="Call slug.")]
ApplicationArgument = Annotated[int, typer.Argument(help="Application id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _by() -> str:
    from bettercities.audit.context import current_actor

    return current_actor().name


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        fail(f"“{text}” is not a date and time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, optionally with an offset)")


@app.command("add")
def add(
    slug: CallArgument,
    programme: Annotated[str, typer.Option("--programme", help="Programme slug.")],
    title_de: Annotated[str, typer.Option("--title-de", help="German title.")],
    title_en: Annotated[str, typer.Option("--title-en", help="English title.")],
    opens: Annotated[str, typer.Option("--opens", help="Opens at (YYYY-MM-DD[THH:MM], in --time-zone).")],
    closes: Annotated[str, typer.Option("--closes", help="Closes at, exclusive (YYYY-MM-DD[THH:MM]).")],
    time_zone: Annotated[str, typer.Option("--time-zone", help="IANA time zone, e.g. Europe/Berlin.")],
    description: Annotated[str | None, typer.Option("--description", help="What the call is for.")] = None,
    themes: Annotated[str | None, typer.Option("--themes", help="Themes, comma-separated.")] = None,
    countries: Annotated[
        str | None, typer.Option("--countries", help="Eligible countries (DE,AT …).")
    ] = None,
    sizes: Annotated[
        str | None, typer.Option("--sizes", help="Eligible size classes, comma-separated.")
    ] = None,
    bodies: Annotated[
        str | None, typer.Option("--bodies", help="Eligible body types, comma-separated.")
    ] = None,
    form: Annotated[
        Path | None, typer.Option("--form", help="JSON file: the form's fields and the criteria.")
    ] = None,
    median: Annotated[bool, typer.Option("--median", help="Combine reviewers by the median.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a call (a draft; open it with ``calls open``). ``--form`` reads ``{"form": [...], "criteria":
    [...]}``."""
    from bettercities.calls import service
    from bettercities.calls.schemas import CallIn

    extra: dict[str, object] = {}
    if form is not None:
        try:
            extra = json.loads(form.read_text("utf-8"))
        except (OSError, ValueError) as error:
            fail(f"{form}: {error}")
    try:
        spec = CallIn.model_validate(
            {
                "slug": slug, "programme": programme, "title_de": title_de, "title_en": title_en,
                "description": description, "themes": comma_list(themes), "opens_at": _moment(opens),
                "closes_at": _moment(closes), "time_zone": time_zone, "countries": comma_list(countries),
                "size_classes": comma_list(sizes), "body_types": comma_list(bodies),
                "form": extra.get("form", []), "criteria": extra.get("criteria", []),
                "combination": "median" if median else "mean",
            }
        )  # fmt: skip
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        out = service.create_call(session, spec, by=_by())
    console.print(
        f"call '{out.slug}' added ({out.opens_at} – {out.closes_at}, {out.time_zone}).", highlight=False
    )


@app.command("list")
def list_(
    programme: Annotated[str | None, typer.Option("--programme", help="Only this programme's.")] = None,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the calls with their window and state."""
    from bettercities.calls import service

    with session_of(workspace, database_url) as session:
        found = service.list_calls(session, programme)
    if json_:
        console.print_json(json.dumps([c.model_dump(mode="json") for c in found]))
        return
    table = Table("call", "programme", "title", "opens", "closes", "zone", "state", "applications")
    for c in found:
        table.add_row(
            c.slug, c.programme, c.title_en, c.opens_at.isoformat(), c.closes_at.isoformat(), c.time_zone,
            c.state.value, str(c.applications),
        )  # fmt: skip
    console.print(table)


@app.command("show")
def show(
    call: CallArgument,
    scores: Annotated[bool, typer.Option("--scores", help="With the panel's ranking.")] = False,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A call with its applications (and the panel's ranking with ``--scores``)."""
    from bettercities.calls import service

    with session_of(workspace, database_url) as session:
        out = service.call_out(session, service.get_call(session, call))
        applications = service.list_applications(session, call)
        ranking = service.ranking(session, call) if scores else None
    if json_:
        data = {
            "call": out.model_dump(mode="json"),
            "applications": [a.model_dump(mode="json") for a in applications],
        }
        if ranking is not None:
            data["ranking"] = ranking.model_dump(mode="json")
        console.print_json(json.dumps(data))
        return
    console.print(
        f"{out.title_en} ({out.programme}): {out.opens_at} – {out.closes_at} {out.time_zone},"
        f" {out.state.value}",
        highlight=False,
    )
    table = Table("id", "city", "country", "theme", "status", "ineligible")
    for a in applications:
        table.add_row(str(a.id), a.city, a.country, a.theme or "", a.status.value, "; ".join(a.ineligible))
    console.print(table)
    if ranking is not None:
        ranked = Table("application", "city", "status", "combined", "reviewers")
        for s in ranking.applications:
            ranked.add_row(
                str(s.application), s.city, s.status.value, "" if s.combined is None else f"{s.combined:.2f}",
                ", ".join(f"{r.reviewer}: {r.weighted_sum}" for r in s.reviewers),
            )  # fmt: skip
        console.print(ranked)
        console.print(f"combined as the {ranking.method}", highlight=False)


@app.command("open")
def open_(
    call: CallArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Open a call: it takes applications within its window."""
    from bettercities.calls import service

    with session_of(workspace, database_url, write=True) as session:
        service.open_call(session, call, by=_by())
    console.print(f"call '{call}' is open.", highlight=False)


@app.command("close")
def close(
    call: CallArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Close a call: it takes no more applications."""
    from bettercities.calls import service

    with session_of(workspace, database_url, write=True) as session:
        service.close_call(session, call, by=_by())
    console.print(f"call '{call}' is closed.", highlight=False)


@app.command("apply")
def apply(
    call: CallArgument,
    city: Annotated[str, typer.Option("--city", help="The municipality (slug).")],
    answer: Annotated[
        list[str] | None, typer.Option("--answer", help="A form answer, CODE=TEXT (repeat).")
    ] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="One of the call's themes.")] = None,
    body: Annotated[str, typer.Option("--body", help="Type of body.")] = "municipality",
    draft: Annotated[bool, typer.Option("--draft", help="Keep it a draft (do not submit).")] = False,
    time_zone: Annotated[str | None, typer.Option("--tz", help="The applicant's IANA time zone.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Apply for a municipality (within the call's window; a late application is refused)."""
    from bettercities.calls import service
    from bettercities.calls.schemas import ApplicationIn

    answers = {}
    for item in answer or []:
        code, sep, text = item.partition("=")
        if not sep:
            fail(f"--answer “{item}”: write CODE=TEXT", code=2)
        answers[code.strip()] = text
    try:
        spec = ApplicationIn.model_validate(
            {"city": city, "theme": theme, "body_type": body, "answers": answers, "submit": not draft,
             "time_zone": time_zone}
        )  # fmt: skip
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        out = service.apply(session, call, spec, by=_by())
    console.print(f"application {out.id} of {out.city}: {out.status.value}.", highlight=False)


@app.command("status")
def status(
    application: ApplicationArgument,
    to: Annotated[str, typer.Option("--to", help="eligible, shortlisted, selected, rejected or submitted.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (a rejection needs one).")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Move an application on (``--to submitted`` submits a draft)."""
    from bettercities.calls import service

    with session_of(workspace, database_url, write=True) as session:
        if to == "submitted":
            out = service.submit(session, application, by=_by())
        else:
            out = service.set_status(session, application, to, by=_by(), reason=reason)
    console.print(f"application {out.id} of {out.city}: {out.status.value}.", highlight=False)


@app.command("score")
def score(
    application: ApplicationArgument,
    value: Annotated[list[str], typer.Option("--value", help="CRITERION=SCORE (repeat).")],
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="Reviewer (default: you).")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Record a reviewer's scores of an application (never shown publicly)."""
    from bettercities.calls import service

    values: dict[str, float] = {}
    for item in value:
        code, sep, text = item.partition("=")
        try:
            values[code.strip()] = float(text)
        except ValueError:
            fail(f"--value “{item}”: write CRITERION=NUMBER", code=2)
        if not sep:
            fail(f"--value “{item}”: write CRITERION=NUMBER", code=2)
    with session_of(workspace, database_url, write=True) as session:
        out = service.score(session, application, reviewer or _by(), values)
    combined = "none yet" if out.combined is None else f"{out.combined:.2f}"
    console.print(
        f"application {out.application}: combined score {combined} ({out.method}).", highlight=False
    )


@app.command("select")
def select_(
    application: ApplicationArgument,
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Select a shortlisted application."""
    from bettercities.calls import service

    with session_of(workspace, database_url, write=True) as session:
        out = service.set_status(session, application, "selected", by=_by(), reason=reason)
    console.print(f"application {out.id} of {out.city}: selected.", highlight=False)


contact_app = typer.Typer(
    help="Contacts of a municipality: user accounts that speak for it in calls and surveys."
)


@contact_app.command("add")
def contact_add(
    username: Annotated[str, typer.Argument(help="An existing user account.")],
    city: Annotated[str, typer.Option("--city", help="The municipality (slug).")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Make a user a contact of a municipality."""
    from bettercities.access import contacts

    with session_of(workspace, database_url, write=True) as session:
        out = contacts.add_contact(session, username, city, by=_by())
    console.print(f"{out.username} speaks for {out.city}.", highlight=False)


@contact_app.command("invite")
def contact_invite(
    city: Annotated[str, typer.Option("--city", help="The municipality (slug).")],
    label: Annotated[str, typer.Option("--label", help="Whom the invitation is for (an office's name).")],
    days: Annotated[int, typer.Option("--days", help="Days until it expires.")] = 30,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Invite someone to speak for a municipality; prints the token once (only its SHA-256 is stored)."""
    from bettercities.access import contacts

    with session_of(workspace, database_url, write=True) as session:
        out, token = contacts.invite_contact(session, city, label, by=_by(), days=days)
    console.print(
        f"invitation {out.id} for {out.city} until {out.expires_at:%Y-%m-%d}: {token}", highlight=False
    )


@contact_app.command("accept")
def contact_accept(
    token: Annotated[str, typer.Argument(help="The invitation's token.")],
    username: Annotated[str, typer.Option("--user", help="The existing account that accepts it.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """An existing account accepts an invitation and becomes the municipality's contact."""
    from bettercities.access import contacts

    with session_of(workspace, database_url, write=True) as session:
        out = contacts.accept_invitation(session, token, username)
    console.print(f"{out.username} speaks for {out.city}.", highlight=False)


@contact_app.command("list")
def contact_list(
    city: Annotated[str | None, typer.Option("--city", help="Only this municipality's.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the contacts of municipalities."""
    from bettercities.access import contacts

    with session_of(workspace, database_url) as session:
        found = contacts.list_contacts(session, city)
    table = Table("city", "user", "added", "by")
    for c in found:
        table.add_row(c.city, c.username, c.added_at.isoformat(timespec="seconds"), c.added_by)
    console.print(table)


def register(root: typer.Typer) -> None:
    app.add_typer(contact_app, name="contact")
    root.add_typer(app, name="calls")
