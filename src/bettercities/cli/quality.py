"""``bettercities quality``: validation rules, the outlier follow-up queue, revision diffs and history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    print_report,
    session_of,
)

app = typer.Typer(help="Data quality: validation rules, outlier queue, revision diffs.", no_args_is_help=True)
rules_app = typer.Typer(help="Declarative validation rules of a city.", no_args_is_help=True)
outliers_app = typer.Typer(help="The outlier follow-up queue.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(outliers_app, name="outliers")

CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
UserOption = Annotated[str | None, typer.Option("--user", help="Who acts (default: the system user).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _user(user: str | None) -> str | None:
    from bettercities.ingest.service import current_user

    return user or current_user()


# -- rules -------------------------------------------------------------------------------------------------


@rules_app.command("add")
def rules_add(
    source: Annotated[str, typer.Argument(help="A YAML file with a 'rules:' list, or a shipped rule set.")],
    city: CityOption,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add rules to a city (a rule with the same code is replaced)."""
    from bettercities.areas import service as areas
    from bettercities.quality import rules

    with session_of(workspace, database_url, write=True) as session:
        count = rules.save_rules(session, areas.get_city(session, city), rules.load_rules(source))
    console.print(f"{count} rules stored for {city}.", highlight=False)


@rules_app.command("list")
def rules_list(
    city: CityOption,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List a city's rules with the result of checking each now."""
    from bettercities.quality.queries import rules_view

    with session_of(workspace, database_url) as session:
        view = rules_view(session, city)
    if as_json:
        console.print_json(view.model_dump_json())
        return
    for status in view.rules:
        result = "ok" if not status.failures else f"{status.failures} failures"
        console.print(
            f"{status.rule.code}  [{status.rule.severity}]  {status.description}  -> {result}",
            highlight=False,
            soft_wrap=True,
        )
    if not view.rules:
        console.print(f"No rules; add one, e.g. a shipped set: {', '.join(view.rule_sets)}", highlight=False)


@rules_app.command("check")
def rules_check(
    city: CityOption, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Run a city's rules on its current values; each failure at file, row and column (exit 2 on errors)."""
    from bettercities.quality import rules

    with session_of(workspace, database_url) as session:
        report = rules.check_city(session, city)
    print_report(report)
    if not report.ok:
        raise typer.Exit(2)


# -- outliers ----------------------------------------------------------------------------------------------


@outliers_app.command("list")
def outliers_list(
    city: CityOption,
    status: Annotated[str, typer.Option(help="open, accepted, corrected or all.")] = "open",
    indicator: Annotated[str | None, typer.Option(help="Only this indicator.")] = None,
    method: Annotated[str | None, typer.Option(help="zscore, robust, band or jump.")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List flagged values of the follow-up queue."""
    from bettercities.quality.queries import queue_view
    from bettercities.quality.schemas import QueueFilter

    filters = QueueFilter(status=None if status == "all" else status, indicator=indicator, method=method)
    with session_of(workspace, database_url) as session:
        view = queue_view(session, city, filters)
    if as_json:
        console.print_json(view.model_dump_json())
        return
    for f in view.flags:
        where = f" ({f.file}, row {f.source_row})" if f.file else ""
        console.print(
            f"#{f.id} {f.status}  {f.indicator} {f.area} {f.period} = {f.value:g}  "
            f"{f.method}: {f.message}{where}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"{len(view.flags)} flags.", highlight=False)


def _resolve(
    city: str,
    flag: int,
    action: str,
    *,
    user: str | None,
    comment: str,
    value: float | None,
    workspace: Path | None,
    database_url: str | None,
) -> None:
    from bettercities.quality import outliers

    with session_of(workspace, database_url, write=True) as session:
        done = outliers.resolve_flag(
            session, city, flag, action=action, user=_user(user), comment=comment, value=value
        )
    console.print(f"#{done.id}: {action} -> {done.status}", highlight=False)


FlagArgument = Annotated[int, typer.Argument(help="Flag number (see 'quality outliers list').")]
CommentOption = Annotated[str, typer.Option("--comment", help="Why.")]


@outliers_app.command("accept")
def outliers_accept(
    flag: FlagArgument,
    city: CityOption,
    comment: CommentOption = "",
    user: UserOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Accept a flagged value as right."""
    _resolve(
        city,
        flag,
        "accept",
        user=user,
        comment=comment,
        value=None,
        workspace=workspace,
        database_url=database_url,
    )


@outliers_app.command("correct")
def outliers_correct(
    flag: FlagArgument,
    city: CityOption,
    value: Annotated[float, typer.Option("--value", help="The corrected value (a new revision).")],
    comment: CommentOption = "",
    user: UserOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Correct a flagged value: a new current revision; the old value stays in the history."""
    _resolve(
        city,
        flag,
        "correct",
        user=user,
        comment=comment,
        value=value,
        workspace=workspace,
        database_url=database_url,
    )


@outliers_app.command("comment")
def outliers_comment(
    flag: FlagArgument,
    city: CityOption,
    comment: Annotated[str, typer.Option("--comment", help="The comment.")],
    user: UserOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Comment on a flag (it stays open)."""
    _resolve(
        city,
        flag,
        "comment",
        user=user,
        comment=comment,
        value=None,
        workspace=workspace,
        database_url=database_url,
    )


# -- diff and history --------------------------------------------------------------------------------------


@app.command("diff")
def diff_command(
    city: CityOption,
    indicator: Annotated[str | None, typer.Option(help="Only this indicator.")] = None,
    level: Annotated[str | None, typer.Option(help="Only this spatial level.")] = None,
    from_batch: Annotated[
        int | None, typer.Option("--from-import", help="Old state: as of this import.")
    ] = None,
    to_batch: Annotated[int | None, typer.Option("--to-import", help="New state: as of this import.")] = None,
    from_revision: Annotated[
        int | None, typer.Option("--from-revision", help="Old state: revisions <= this.")
    ] = None,
    to_revision: Annotated[
        int | None, typer.Option("--to-revision", help="New state: revisions <= this.")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """What was added, changed (old -> new) and removed between two imports or two revision numbers."""
    from bettercities.quality.diff import DiffFilter, diff

    spec = DiffFilter(
        city=city,
        indicator=indicator,
        level=level,
        from_batch=from_batch,
        to_batch=to_batch,
        from_revision=from_revision,
        to_revision=to_revision,
    )
    with session_of(workspace, database_url) as session:
        result = diff(session, spec)
    if as_json:
        console.print_json(result.model_dump_json())
        return
    console.print(f"{result.old} -> {result.new}: {result.counts}", highlight=False)
    for mark, entries in (("+", result.added), ("~", result.changed), ("-", result.removed)):
        for e in entries:
            change = f"{e.old} -> {e.new}" + (f" ({e.difference:+g})" if e.difference is not None else "")
            fields = f" [{', '.join(e.changed)}]" if e.changed else ""
            console.print(
                f"{mark} {e.indicator} {e.level} {e.area} {e.period}: {change}{fields}", highlight=False
            )


@app.command("history")
def history_command(
    city: CityOption,
    indicator: Annotated[str | None, typer.Option(help="Only imports that wrote this indicator.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The imports of a city (of one indicator), newest first, with counts."""
    from bettercities.quality.queries import history_view

    with session_of(workspace, database_url) as session:
        view = history_view(session, city, indicator=indicator)
    for entry in view.imports:
        console.print(
            f"import {entry.batch_id}  {entry.started_at}  {entry.file_name}  by {entry.user or '–'}: "
            f"{entry.inserted} new, {entry.revised} revised (diff against {entry.previous_batch or '–'})",
            highlight=False,
            soft_wrap=True,
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="quality")
