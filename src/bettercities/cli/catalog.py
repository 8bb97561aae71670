"""``bettercities catalog``: DCAT-AP.de metadata, RDF export, approval, inventory, stewardship."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from bettercities.catalog.schemas import AccessRights, DatasetFilter, State, Theme
from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail_invalid,
    session_of,
)
from bettercities.core.errors import InvalidInput
from bettercities.publication import Audience

app = typer.Typer(help="The data catalogue: metadata, RDF export, approval, inventory, stewardship.")

CityArgument = Annotated[str, typer.Argument(help="City slug.")]
CodeArgument = Annotated[str, typer.Argument(help="Dataset code.")]
UserOption = Annotated[
    str | None, typer.Option("--user", help="Who takes the step (default: the system user).")
]


@app.command("list")
def list_(
    city: CityArgument,
    q: Annotated[str | None, typer.Option("--q", help="Words to search for.")] = None,
    theme: Annotated[Theme | None, typer.Option(help="EU data theme.")] = None,
    state: Annotated[State | None, typer.Option(help="Approval state.")] = None,
    access: Annotated[AccessRights | None, typer.Option(help="Access rights.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List a city's datasets (code, state, theme, frequency, next due date, title)."""
    from bettercities.catalog.queries import catalog_view

    filters = DatasetFilter(q=q, theme=theme, state=state, access_rights=access)
    with session_of(workspace, database_url) as session:
        view = catalog_view(session, city, filters, audience=Audience.INTERNAL)
    for d in view.datasets:
        due = d.next_due.isoformat() if d.next_due else "-"
        console.print(
            f"{d.code}\t{d.state.value}\t{d.theme.value}\t{d.frequency.value}\t{due}\t{d.title_en}",
            highlight=False,
        )
    console.print(f"{view.total} datasets", highlight=False)


@app.command("show")
def show(
    city: CityArgument,
    code: CodeArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Show a dataset's metadata (JSON) and its approval history."""
    from bettercities.catalog.queries import dataset_view

    with session_of(workspace, database_url) as session:
        view = dataset_view(session, city, code, audience=Audience.INTERNAL)
    dataset, steps = view.dataset, view.history
    console.print_json(dataset.model_dump_json())
    for step in steps:
        reason = f" — {step.reason}" if step.reason else ""
        console.print(
            f"{step.at:%Y-%m-%d %H:%M} {step.from_state.value} -> {step.to_state.value} "
            f"by {step.user}{reason}",
            highlight=False,
        )


@app.command("add")
def add(
    city: CityArgument,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML file of datasets.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add (or update, while in draft or submitted) the datasets described in a YAML file."""
    from bettercities.areas import service as areas
    from bettercities.catalog.service import add_dataset, load_specs

    try:
        specs = load_specs(file)
    except InvalidInput as error:
        fail_invalid(error)
    with session_of(workspace, database_url, write=True) as session:
        target = areas.get_city(session, city)
        for spec in specs:
            add_dataset(session, target, spec)
    console.print(f"{len(specs)} datasets added to the catalogue of {city}.", highlight=False)


@app.command("export")
def export(
    city: CityArgument,
    fmt: Annotated[str, typer.Option("--format", "-f", help="ttl, jsonld, rdf or nt.")] = "ttl",
    dataset: Annotated[str | None, typer.Option(help="Only this dataset.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default: standard output).")
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="Public address of the app; the IRIs start with it.")
    ] = "http://localhost:8000",
    audience: Annotated[
        Audience, typer.Option(help="public: published datasets with public access only; internal: all.")
    ] = Audience.PUBLIC,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export the catalogue (DCAT-AP.de) as Turtle, JSON-LD, RDF/XML or N-Triples."""
    from bettercities.catalog import dcat
    from bettercities.core.exports import ExportRequest, export

    if fmt not in dcat.FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(dcat.FORMATS)}", param_hint="--format")
    request = ExportRequest(what="catalog", format=fmt, out=output, city=city, dataset=dataset,
                            base_url=base_url, audience=audience.value)  # fmt: skip
    with session_of(workspace, database_url) as session:
        done = export(session, request)
    if output is None:
        typer.echo(done.text)
    else:
        console.print(f"Catalogue written to {output}", highlight=False)


def _step(action: str) -> Callable[..., None]:
    def command(
        city: CityArgument,
        code: CodeArgument,
        reason: Annotated[str | None, typer.Option(help="Why (required to unlock).")] = None,
        user: UserOption = None,
        workspace: WorkspaceOption = None,
        database_url: DatabaseUrlOption = None,
    ) -> None:
        from bettercities.catalog.approval import transition
        from bettercities.ingest.service import current_user

        with session_of(workspace, database_url, write=True) as session:
            event = transition(session, city, code, action, user=user or current_user(), reason=reason)
        console.print(f"{code}: {event.from_state.value} -> {event.to_state.value}", highlight=False)
        if event.warning:
            console.print(f"Warning: {event.warning}", highlight=False)

    command.__doc__ = {
        "submit": "Submit a draft dataset for approval.",
        "approve": "Approve a submitted dataset (locks its data).",
        "publish": "Publish an approved dataset (its data become public).",
        "unlock": "Unlock a dataset back to draft (needs --reason).",
    }[action]
    return command


for _action in ("submit", "approve", "publish", "unlock"):
    app.command(_action)(_step(_action))


@app.command("four-eyes")
def four_eyes(
    city: CityArgument,
    on: Annotated[
        bool | None,
        typer.Option("--on/--off", help="Turn the rule on or off (without: show the current setting)."),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Who sets it (default: the system user).")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Show or set the city's four-eyes rule: whoever submitted a dataset may not approve it."""
    from bettercities.catalog.approval import set_four_eyes, settings
    from bettercities.ingest.service import current_user

    with session_of(workspace, database_url, write=on is not None) as session:
        if on is None:
            found = settings(session, city)
        else:
            found = set_four_eyes(session, city, on, user=user or current_user())
    state = "on" if found.four_eyes else "off"
    by = f" (set by {found.changed_by} at {found.changed_at:%Y-%m-%d %H:%M})" if found.changed_at else ""
    console.print(f"four-eyes approval in {city}: {state}{by}", highlight=False)


@app.command("inventory")
def inventory(
    city: CityArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """What the city holds of the reference set of social indicators: held, missing, stale, too coarse."""
    from bettercities.catalog.inventory import inventory as build

    with session_of(workspace, database_url) as session:
        view = build(session, city, audience=Audience.INTERNAL)
    for row in view.rows:
        ref = row.reference
        have = (
            f"{row.indicator} @ {row.finest_level} ({row.level_kind}), latest {row.latest_period}"
            if row.indicator
            else ""
        )
        console.print(
            f"{row.status.value:<10}\t{ref.area:<13}\t{ref.code:<25}\tneeds {ref.spatial_level}, "
            f"{ref.frequency.value}\t{have}",
            highlight=False,
        )
    console.print(", ".join(f"{k}: {v}" for k, v in view.counts.items()), highlight=False)


@app.command("overdue")
def overdue(
    city: CityArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Datasets whose next delivery is overdue, with their owner and steward; then the reminders."""
    from bettercities.catalog.stewardship import stewardship

    with session_of(workspace, database_url) as session:
        view = stewardship(session, city, audience=Audience.INTERNAL)
    for item in view.overdue:
        console.print(
            f"{item.dataset}\tdue {item.next_due}\t{-(item.days_until_due or 0)} days overdue\t"
            f"{item.owner_unit or '-'}\t{item.steward or '-'}",
            highlight=False,
        )
    console.print(f"{len(view.overdue)} overdue", highlight=False)
    for note in view.reminders:
        if not note.overdue:
            console.print(note.message_en, highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="catalog")
