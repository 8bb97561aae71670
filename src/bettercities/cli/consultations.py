"""``bettercities consultations``: consultation rounds, their items, invitations, moderation and results."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail,
    session_of,
)

if TYPE_CHECKING:
    from bettercities.access.policy import Principal

consultations_app = typer.Typer(
    help="Consultation rounds: items, invitations, votes, results.", no_args_is_help=True
)
item_app = typer.Typer(help="Items of a round.", no_args_is_help=True)
consultations_app.add_typer(item_app, name="item")

CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
RoundArgument = Annotated[int, typer.Argument(help="Round id.")]


def _when(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 time with its time zone (a time without one is refused: whose 9 o'clock?)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: not an ISO 8601 time: {text!r} (e.g. 2025-06-01T09:00+02:00)", code=2)
    if value.tzinfo is None:
        fail(f"{option}: give the time zone, e.g. {text}+02:00 (or Z for UTC)", code=2)
    return value


def _cli_principal() -> Principal:
    """The CLI acts with every right (as the other commands do): drafts and live results included."""
    from bettercities.access.policy import Principal

    return Principal(name="cli", platform_admin=True)


def _actor() -> str:
    from bettercities.audit.context import current_actor

    return current_actor().name


@consultations_app.command("add")
def consultations_add(
    city: CityOption,
    title: Annotated[str, typer.Option("--title", help="Title of the round.")],
    question: Annotated[str, typer.Option("--question", help="The question put to participants.")],
    audience: Annotated[str, typer.Option("--audience", help="public (any account) or invited.")] = "public",
    method: Annotated[str, typer.Option("--method", help="ranking (Borda count) or dot.")] = "ranking",
    dots: Annotated[int | None, typer.Option("--dots", help="Dots per participant (dot voting).")] = None,
    dot_cap: Annotated[int | None, typer.Option("--dot-cap", help="Most dots on one item.")] = None,
    proposals: Annotated[bool, typer.Option("--proposals", help="Participants may propose items.")] = False,
    opens: Annotated[str | None, typer.Option("--opens", help="Opening time, ISO 8601 with zone.")] = None,
    closes: Annotated[str | None, typer.Option("--closes", help="Closing time, ISO 8601 with zone.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create a round (a draft unless --opens and --closes are given); prints its id."""
    from pydantic import ValidationError

    from bettercities.consultations import service
    from bettercities.consultations.schemas import RoundIn

    try:
        data = RoundIn(
            title=title, question=question, audience=audience, method=method, dots=dots, dot_cap=dot_cap,
            proposals=proposals, opens_at=_when(opens, "--opens"), closes_at=_when(closes, "--closes"),
        )  # fmt: skip
    except ValidationError as error:
        fail("; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors()), code=2)
    with session_of(workspace, database_url, write=True) as session:
        row = service.add_round(session, city, data, actor=_actor())
        status, round_id = service.status_of(row).value, row.id
    console.print(f"round {round_id} ({status})", highlight=False)


@consultations_app.command("list")
def consultations_list(
    city: CityOption, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """The city's rounds: id, status, method, audience, title."""
    from bettercities.consultations import queries

    with session_of(workspace, database_url) as session:
        rounds = queries.visible_rounds(session, _cli_principal(), city)
    for r in rounds:
        typer.echo("\t".join([str(r.id), r.status.value, r.method.value, r.audience.value, r.title]))


@consultations_app.command("show")
def consultations_show(
    city: CityOption,
    round_id: RoundArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A round with its items, invitations and comments."""
    from bettercities.consultations import participation, queries

    with session_of(workspace, database_url) as session:
        shown = queries.visible_round(session, _cli_principal(), city, round_id)
        invitations = participation.list_invitations(session, city, round_id)
    typer.echo(f"{shown.title} [{shown.status.value}; {shown.method.value}; {shown.audience.value}]")
    typer.echo(shown.question)
    typer.echo(f"opens {shown.opens_at or '-'}  closes {shown.closes_at or '-'}  ballots {shown.ballots}")
    for item in shown.items:
        typer.echo(f"item {item.id}\t{item.kind.value}\t{item.key}\t{item.status}\t{item.title}")
    for inv in invitations:
        holder = inv.account or f"link {inv.prefix}…"
        used = "used" if inv.used else "unused"
        typer.echo(f"invitation {inv.id}\t{holder}\t{inv.label}\t{inv.group or ''}\t{used}")
    for comment in queries.flatten(shown.comments):
        text = f"hidden by moderator: {comment.hidden_reason}" if comment.hidden else comment.body
        reply = f" reply to {comment.parent}" if comment.parent else ""
        typer.echo(f"comment {comment.id} on item {comment.item}{reply}\t{comment.author or ''}\t{text}")


@item_app.command("add")
def consultations_item_add(
    city: CityOption,
    round_id: RoundArgument,
    kind: Annotated[str, typer.Option("--kind", help="priority_area, goal, action or proposal.")],
    key: Annotated[str, typer.Option("--key", help="<set name>/<area code>, a goal or action id.")] = "",
    title: Annotated[str | None, typer.Option("--title", help="Title of a proposal.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Of a proposal.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Put an item to a round before it opens (its title is taken from what it names)."""
    from pydantic import ValidationError

    from bettercities.consultations import service
    from bettercities.consultations.schemas import ItemIn

    try:
        data = ItemIn(kind=kind, key=key, title=title, description=description)
    except ValidationError as error:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()), code=2)
    with session_of(workspace, database_url, write=True) as session:
        item = service.add_item(session, city, round_id, data)
    console.print(f"item {item.id}: {item.title}", highlight=False)


@consultations_app.command("invite")
def consultations_invite(
    city: CityOption,
    round_id: RoundArgument,
    label: Annotated[
        str, typer.Option("--label", help="Who holds the link, e.g. Jugendhilfeträger Nord.")
    ] = "",
    group: Annotated[str | None, typer.Option("--group", help="Stakeholder group (for breakdowns).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Invite this account instead of a link.")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="Link expiry, ISO 8601 with zone.")] = None,
    base_url: Annotated[str, typer.Option("--base-url", help="Site address the link starts with.")] = "",
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Invite an account, or create a single-use invitation link (printed once: only its hash is kept)."""
    from pydantic import ValidationError

    from bettercities.consultations import participation
    from bettercities.consultations.schemas import InvitationIn

    try:
        data = InvitationIn(label=label, group=group, username=user, expires_at=_when(expires, "--expires"))
    except ValidationError as error:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()), code=2)
    with session_of(workspace, database_url, write=True) as session:
        issued = participation.invite(session, city, round_id, data, actor=_actor())
    if issued.path:
        typer.echo(f"{base_url.rstrip('/')}{issued.path}")
        console.print("the link is shown this once; only its hash is stored", highlight=False)
    else:
        console.print(f"invited {issued.info.account}", highlight=False)


@consultations_app.command("open")
def consultations_open(
    city: CityOption,
    round_id: RoundArgument,
    closes: Annotated[str | None, typer.Option("--closes", help="Closing time, ISO 8601 with zone.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Open a round now (until --closes, or its stored closing time)."""
    from bettercities.consultations import service

    with session_of(workspace, database_url, write=True) as session:
        row = service.open_round(session, city, round_id, closes_at=_when(closes, "--closes"))
        until = row.closes_at
    console.print(f"round {round_id} open until {until}", highlight=False)


@consultations_app.command("close")
def consultations_close(
    city: CityOption,
    round_id: RoundArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Close an open round now."""
    from bettercities.consultations import service

    with session_of(workspace, database_url, write=True) as session:
        service.close_round(session, city, round_id)
    console.print(f"round {round_id} closed", highlight=False)


@consultations_app.command("results")
def consultations_results(
    city: CityOption,
    round_id: RoundArgument,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The ranking with its method and formula, and the participants by group (small groups withheld)."""
    from bettercities.consultations import queries

    if fmt not in ("table", "csv", "json"):
        fail(f"--format: table, csv or json, not {fmt!r}", code=2)
    with session_of(workspace, database_url) as session:
        results = queries.visible_results(session, _cli_principal(), city, round_id)
    if fmt == "table":
        lines = [f"{results.title} [{results.status.value}] {results.ballots} ballots", results.formula,
                 f"ties: {results.ties}"]  # fmt: skip
        lines += [f"{r.rank}\t{r.score}\t{r.title}" + ("\t(tied)" if r.tied else "") for r in results.items]
        for row in results.breakdown:
            shown = (
                f"fewer than {results.threshold}"
                if row.small
                else "withheld"
                if row.withheld
                else str(row.participants)
            )
            lines.append(f"group {row.group or '(none)'}\t{shown}")
        text = "\n".join(lines) + "\n"
    else:
        text = queries.results_csv(results) if fmt == "csv" else queries.results_json(results) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@consultations_app.command("moderate")
def consultations_moderate(
    city: CityOption,
    round_id: RoundArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why (shown with a hidden comment).")],
    comment: Annotated[int | None, typer.Option("--comment", help="Hide this comment.")] = None,
    proposal: Annotated[int | None, typer.Option("--proposal", help="Decide on this proposed item.")] = None,
    decision: Annotated[str, typer.Option("--decision", help="hide (comments), approve or reject.")] = "hide",
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Hide a comment, or approve or reject a proposal, with a reason (audited; nothing is deleted)."""
    from pydantic import ValidationError

    from bettercities.consultations import participation
    from bettercities.consultations.schemas import ModerationIn

    try:
        data = ModerationIn(reason=reason, decision=decision)
    except ValidationError as error:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()), code=2)
    with session_of(workspace, database_url, write=True) as session:
        participation.moderate(
            session, city, round_id, comment=comment, item=proposal, decision=data, actor=_actor()
        )
    console.print(f"{decision}: done", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(consultations_app, name="consultations")
