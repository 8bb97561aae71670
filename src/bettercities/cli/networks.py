"""``bettercities networks``: programmes, city networks, memberships with their history, shared datasets and
participation; ``bettercities import memberships`` (registered with the ``import`` group of cli/ingest)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.table import Table
from rich.text import Text

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    err_console,
    open_workspace,
    refusals,
    session_of,
)

M = TypeVar("M", bound=BaseModel)
app = typer.Typer(help="City networks: programmes, members over time and the datasets they share.")
programme_app = typer.Typer(help="Programmes that form networks (URBACT, #vernetztinEuropa …).")
membership_app = typer.Typer(help="Memberships of cities and organisations, with their history.")

NetworkArgument = Annotated[str, typer.Argument(help="Network slug.")]
CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
DatasetOption = Annotated[str, typer.Option("--dataset", help="Dataset code (of the city's catalogue).")]
DateOption = Annotated[
    datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="Date (default: today).")
]
DayOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Date (YYYY-MM-DD).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept with the recorded change).")]


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@app.command("add")
def add(
    slug: NetworkArgument,
    name_de: Annotated[str, typer.Option("--name-de", help="German name.")],
    name_en: Annotated[str, typer.Option("--name-en", help="English name.")],
    description: Annotated[str | None, typer.Option("--description", help="What the network is.")] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="Programme slug.")] = None,
    kind: Annotated[str, typer.Option("--kind", help="network or tandem.")] = "network",
    theme: Annotated[str | None, typer.Option("--theme", help="Theme of the network.")] = None,
    start: DayOption = None,
    end: DayOption = None,
    url: Annotated[str | None, typer.Option("--url", help="The network's page.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a city network."""
    from bettercities.networks import create_network

    with session_of(workspace, database_url, write=True) as session:
        network = create_network(
            session, slug, name_de=name_de, name_en=name_en, description=description, programme=programme,
            kind=kind, theme=theme, start=_day(start), end=_day(end), url=url,
        )  # fmt: skip
    console.print(f"network '{network.slug}' added.", highlight=False)


@app.command("list")
def list_(
    programme: Annotated[str | None, typer.Option("--programme", help="Only this programme's.")] = None,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the networks with their programme, members (past ones with their dates) and shared datasets."""
    from bettercities.networks import list_networks

    with session_of(workspace, database_url) as session:
        found = list_networks(session, programme=programme)
    if json_:
        console.print_json(json.dumps([n.model_dump(mode="json") for n in found]))
        return
    table = Table("network", "name", "programme", "members", "shared datasets")
    for n in found:
        members = "\n".join(
            f"{m.city} (since {m.joined})" if m.left is None else f"{m.city} ({m.joined} to {m.left})"
            for m in n.members
        )
        shares = "\n".join(f"{s.city}/{s.dataset}" for s in n.shares)
        table.add_row(n.slug, n.name_en, n.programme or "", members, shares)
    console.print(table)


def _members_table(members: list, *, history: bool = False) -> Table:
    columns = ["id", "member", "country", "city", "role", "status", "start", "end"]
    if history:
        columns += ["recorded", "by", "reason", "superseded by"]
    table = Table(*columns)
    for m in members:
        row = [
            str(m.id),
            m.member,
            m.country,
            m.city or "",
            m.role,
            m.status,
            str(m.start or ""),
            str(m.end or ""),
        ]
        if history:
            row += [
                m.recorded_at.isoformat(timespec="seconds"), m.recorded_by, m.reason or "",
                str(m.superseded_by_id or ""),
            ]  # fmt: skip
        table.add_row(*row)
    return table


@app.command("show")
def show(
    slug: NetworkArgument,
    at: Annotated[
        datetime | None,
        typer.Option("--at", formats=["%Y-%m-%d"], help="Members on this day (default: today)."),
    ] = None,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A network's members on a day."""
    from bettercities.networks import queries

    with session_of(workspace, database_url) as session:
        detail = queries.network_detail(session, slug, on=_day(at))
    if json_:
        console.print_json(detail.model_dump_json())
        return
    console.print(f"{detail.network.name_en}: members on {detail.on}", highlight=False)
    console.print(_members_table(detail.members))


@app.command("history")
def history(
    slug: NetworkArgument,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Every recorded version of the network's memberships (superseded ones too), who recorded it and why."""
    from bettercities.networks import history as read_history

    with session_of(workspace, database_url) as session:
        found = read_history(session, slug)
    if json_:
        console.print_json(json.dumps([m.model_dump(mode="json") for m in found]))
        return
    console.print(_members_table(found, history=True))


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


@app.command("participation")
def participation(
    csv_: Annotated[bool, typer.Option("--csv", help="Print the rates as CSV.")] = False,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Participation rates by country, size class and urban-rural type (Wilson 95 % intervals) against all
    registry municipalities; under-represented groups flagged."""
    from bettercities.networks import analytics

    with session_of(workspace, database_url) as session:
        result = analytics.participation(session)
    if json_:
        console.print_json(result.model_dump_json())
        return
    if csv_:
        typer.echo(analytics.rates_csv(result), nl=False)
        return
    table = Table("dimension", "group", "municipalities", "participants", "rate", "95 % interval", "under")
    for g in [result.overall, *result.groups]:
        table.add_row(
            g.dimension, g.group, str(g.municipalities), str(g.participants), f"{g.rate:.4%}",
            f"{g.low:.4%} – {g.high:.4%}", "yes" if g.under_represented else "",
        )  # fmt: skip
    console.print(table)


# -- programmes ---------------------------------------------------------------------------------------------


@programme_app.command("add")
def programme_add(
    slug: Annotated[str, typer.Argument(help="Programme slug.")],
    name: Annotated[str, typer.Option("--name", help="Name.")],
    url: Annotated[str | None, typer.Option("--url", help="The programme's page.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="What it is.")] = None,
    start: DayOption = None,
    end: DayOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a programme."""
    from bettercities.networks import ProgrammeIn, create_programme

    with session_of(workspace, database_url, write=True) as session:
        spec = _checked(ProgrammeIn, slug=slug, name=name, url=url, description=description,
                        start=_day(start), end=_day(end))  # fmt: skip
        create_programme(session, spec)
    console.print(f"programme '{slug}' added.", highlight=False)


@programme_app.command("list")
def programme_list(
    json_: JsonOption = False, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """List the programmes with their networks."""
    from bettercities.networks import list_programmes

    with session_of(workspace, database_url) as session:
        found = list_programmes(session)
    if json_:
        console.print_json(json.dumps([p.model_dump(mode="json") for p in found]))
        return
    table = Table("programme", "name", "period", "networks")
    for p in found:
        table.add_row(p.slug, p.name, f"{p.start or ''} – {p.end or ''}", "\n".join(p.networks))
    console.print(table)


# -- memberships --------------------------------------------------------------------------------------------


def _checked(model: type[M], **fields: object) -> M:
    """``model(**fields)``, refused input as :class:`InvalidInput` (exit code 2 with the messages)."""
    from pydantic import ValidationError

    from bettercities.cli.common import validation_messages
    from bettercities.core.errors import InvalidInput

    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise InvalidInput(validation_messages(error)) from None


@membership_app.command("add")
def membership_add(
    network: NetworkArgument,
    city: Annotated[
        str | None, typer.Option("--city", help="Member city (slug); or the organisation's.")
    ] = None,
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Member that is not a municipality.")
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Organisation's country (EL, DE …).")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Organisation's kind, e.g. district.")] = None,
    role: Annotated[str, typer.Option("--role", help="lead partner, partner, observer, peer, …")] = "member",
    start: DayOption = None,
    end: DayOption = None,
    source: Annotated[str | None, typer.Option("--source", help="Where the membership is stated.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Record a membership of a city or an organisation."""
    from bettercities.networks import MemberIn, add_membership

    with session_of(workspace, database_url, write=True) as session:
        spec = _checked(
            MemberIn, city=city, organisation=organisation, country=country, organisation_kind=kind,
            role=role, start=_day(start), end=_day(end), source=source, note=note,
        )  # fmt: skip
        added = add_membership(session, network, spec)
    console.print(f"membership {added.id}: {added.member} in '{network}' ({added.role}).", highlight=False)


@membership_app.command("end")
def membership_end(
    network: NetworkArgument,
    membership: Annotated[int, typer.Argument(help="Membership id (the current version's).")],
    end: Annotated[datetime, typer.Option("--end", formats=["%Y-%m-%d"], help="Last day as a member.")],
    reason: ReasonOption,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """End a membership (the old version is kept, superseded)."""
    from bettercities.networks import end_membership

    with session_of(workspace, database_url, write=True) as session:
        new = end_membership(session, membership, end.date(), reason=reason, network_slug=network)
    console.print(f"membership {membership} ends on {new.end} (version {new.id}).", highlight=False)


@membership_app.command("change")
def membership_change(
    network: NetworkArgument,
    membership: Annotated[int, typer.Argument(help="Membership id (the current version's).")],
    reason: ReasonOption,
    role: Annotated[str | None, typer.Option("--role", help="New role.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="active or withdrawn.")] = None,
    start: DayOption = None,
    end: DayOption = None,
    source: Annotated[str | None, typer.Option("--source", help="New source.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="New note.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Change a membership: a new version; the old one is superseded, never overwritten."""
    from bettercities.networks import MembershipChange, change_membership

    with session_of(workspace, database_url, write=True) as session:
        change = _checked(
            MembershipChange, role=role, status=status, start=_day(start), end=_day(end), source=source,
            note=note, reason=reason,
        )  # fmt: skip
        new = change_membership(session, membership, change, network_slug=network)
    console.print(f"membership {membership} changed (version {new.id}).", highlight=False)


@membership_app.command("list")
def membership_list(
    network: NetworkArgument,
    at: Annotated[
        datetime | None,
        typer.Option("--at", formats=["%Y-%m-%d"], help="Members on this day (default: today)."),
    ] = None,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The members of a network on a day (as recorded now)."""
    show(network, at=at, json_=json_, workspace=workspace, database_url=database_url)


@membership_app.command("history")
def membership_history(
    network: NetworkArgument,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Every recorded version of the network's memberships."""
    history(network, json_=json_, workspace=workspace, database_url=database_url)


# -- the import (a command of ``bettercities import``) ------------------------------------------------------


def import_memberships(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The memberships CSV file.")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and match only; write nothing.")] = False,
    withdraw_missing: Annotated[
        bool,
        typer.Option(
            "--withdraw-missing",
            help="The file lists every member of the networks it names: mark current members not in it "
            "withdrawn (no end date is invented).",
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why (recorded with changed memberships; default: the file)."),
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import programmes, networks and memberships (columns programme, network, member, country, role, start,
    end, source, note); members are matched to registry cities, organisations kept as such, unmatched members
    reported by row. All or nothing; a re-import changes nothing."""
    from bettercities.networks.importing import import_memberships as run
    from bettercities.networks.importing import read_file

    ws = open_workspace(workspace, database_url)
    with refusals(ws):
        text = read_file(file)
        with ws.database.reader() if dry_run else ws.database.session() as session:
            result, report = run(
                session, text, file.name, dry_run=dry_run, withdraw_missing=withdraw_missing, reason=reason
            )
    for problem in report.problems:
        err_console.print(Text(str(problem), style="yellow"), highlight=False, soft_wrap=True)
    unmatched = sum(1 for m in result.matched if m.matched == "unmatched")
    organisations = sum(1 for m in result.matched if m.matched == "organisation")
    console.print(
        f"{result.file}: {result.rows} rows; {result.rows - unmatched - organisations} matched to registry "
        f"cities, {organisations} organisations, {unmatched} unmatched (kept, reported above).",
        highlight=False,
        soft_wrap=True,
    )
    counts = (
        f"{len(result.programmes_created)} programmes and {len(result.networks_created)} networks new; "
        f"{result.memberships_added} memberships new, {result.memberships_changed} changed, "
        f"{result.memberships_unchanged} unchanged"
    )
    prefix = "Dry run, nothing written" if result.dry_run else "Imported"
    console.print(f"{prefix}: {counts}.", highlight=False, soft_wrap=True)


def register(root: typer.Typer) -> None:
    app.add_typer(programme_app, name="programme")
    app.add_typer(membership_app, name="membership")
    root.add_typer(app, name="networks")
