"""``bettercities priority``: priority areas by rule, and named sets of them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail,
    open_workspace,
    refusals,
)

priority_app = typer.Typer(help="Priority areas: rules and named sets.", no_args_is_help=True)


@priority_app.command("evaluate")
def priority_evaluate(
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    rule: Annotated[
        str, typer.Option("--rule", help="Preset name or a YAML/JSON rule file.")
    ] = "mss-low-status-negative-dynamics",
    level: Annotated[str | None, typer.Option("--level", help="Level; default: the rule's run's.")] = None,
    period: Annotated[str | None, typer.Option("--period", help="Period; default: the rule's run's.")] = None,
    save: Annotated[str | None, typer.Option("--save", help="Keep the areas as this named set.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Of the named set.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a set of the same name.")] = False,
    internal: Annotated[
        bool,
        typer.Option(
            "--internal",
            help="Evaluate on the data team's view (suppressed inputs too); a saved set is the data team's.",
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the areas as CSV.")] = None,
    geojson: Annotated[Path | None, typer.Option("--geojson", help="Write the areas as GeoJSON.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Choose the priority areas of a city by a rule; list them, optionally keep them as a named set (as the
    public sees the data, unless --internal; the set is shown only to the audience it was evaluated for)."""
    from pydantic import ValidationError

    from bettercities.analysis.priority import service as priority
    from bettercities.analysis.priority.evaluation import evaluate
    from bettercities.analysis.priority.schemas import load_rule
    from bettercities.publication import Audience

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.session() as session:
        try:
            result = evaluate(
                session, city, load_rule(rule), level=level, period=period,
                audience=Audience.INTERNAL if internal else Audience.PUBLIC,
            )  # fmt: skip
        except ValidationError as error:
            fail(f"invalid rule: {error}")
        if save:
            priority.save_set(session, result, save, description=description, replace=replace)
        if geojson is not None:
            priority.write_geojson(session, result, geojson)
    for area in result.areas:
        typer.echo(f"{area.area_id}\t{area.name}\t{'; '.join(area.reasons)}")
    console.print(f"{len(result.areas)} of {result.total} areas", highlight=False)
    if save:
        console.print(f"kept as the named set {save!r}", highlight=False)
    if out is not None:
        priority.write_csv(result, out)


@priority_app.command("sets")
def priority_sets(
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    show: Annotated[str | None, typer.Option("--show", help="List the areas of this set.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the shown set as CSV.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the named sets of priority areas of a city (or the areas of one)."""
    from bettercities.analysis.priority import service as priority

    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.reader() as session:
        if show is None:
            for item in priority.list_sets(session, city):
                fields = [item.name, item.level, item.period or "", item.rule.name, item.audience.value]
                typer.echo("\t".join(fields))
            return
        found = priority.get_set(session, city, show)
    for area in found.areas:
        typer.echo(f"{area.area_id}\t{area.name}\t{'; '.join(area.reasons)}")
    if out is not None:
        priority.write_csv(found, out)


def register(root: typer.Typer) -> None:
    root.add_typer(priority_app, name="priority")
