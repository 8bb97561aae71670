"""``bettercities goals``: goals with baselines from the stored data and targets, their status, and the values
of programmes' performance measures (docs/goals.md).

``--areas`` takes ``set:NAME`` (a saved priority set), ``level:CODE`` (every area of a level) or
``areas:A,B`` (area codes); without a prefix, a level code of the city if it is one, else a saved set's
name, else comma-separated area codes. Reads show the data team's view of the data unless ``--public``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    err_console,
    fail,
    session_of,
    validation_messages,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bettercities.goals.progress import FixedViewer
    from bettercities.goals.schemas import GoalOut

app = typer.Typer(help="Goals: baselines, targets, status and performance measures.", no_args_is_help=True)
measure_app = typer.Typer(help="Values of a programme's performance measure.", no_args_is_help=True)
app.add_typer(measure_app, name="measure")

CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
GoalArgument = Annotated[int, typer.Argument(help="The goal's id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
PublicOption = Annotated[bool, typer.Option("--public", help="As the public sees the data.")]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _status(goal: GoalOut) -> str:
    return "withheld" if goal.withheld else goal.status.value if goal.status else ""


def _print_goal(goal: GoalOut) -> None:
    console.print(f"goal {goal.id}: {goal.title}", highlight=False)
    console.print(
        f"  {goal.kind.value} · {goal.indicator} ({goal.indicator_name}, {goal.polarity.value}) · "
        f"{goal.areas.kind.value} {goal.areas.value} ({len(goal.area_codes)} areas)",
        highlight=False,
        soft_wrap=True,
    )
    baseline = "withheld" if goal.baseline.value is None else _number(goal.baseline.value)
    console.print(
        f"  baseline {baseline} ({goal.baseline.period}) -> target {_number(goal.target_value)} by "
        f"{goal.deadline.isoformat()} · owner {goal.owner_unit}"
        + (f" ({goal.owner_person})" if goal.owner_person else ""),
        highlight=False,
    )
    latest = f"{_number(goal.latest.value)} ({goal.latest.period})" if goal.latest else "none"
    console.print(
        f"  status {_status(goal)} · latest {latest} · trajectory {_number(goal.expected)} · "
        f"detectable change {_number(goal.detectable_change) or 'unknown'}",
        highlight=False,
    )
    for warning in (goal.polarity_warning, goal.detectability_warning):
        if warning:
            err_console.print(f"  warning: {warning}", highlight=False, soft_wrap=True)


def _print_areas(goal: GoalOut) -> None:
    table = Table("area", "name", "baseline", "latest", "period", "trajectory", "target", "status")
    for area in goal.per_area:
        if area.withheld:
            table.add_row(area.area, area.name, "", "", "", "", "", "withheld")
            continue
        table.add_row(
            area.area,
            area.name,
            _number(area.baseline.value),
            _number(area.latest.value) if area.latest else "",
            area.latest.period if area.latest else "",
            _number(area.expected),
            _number(area.target),
            area.status.value if area.status else "",
        )
    console.print(table)


def _viewer(session: Session, public: bool) -> FixedViewer:
    from bettercities.goals.progress import FixedViewer
    from bettercities.publication import Audience

    return FixedViewer(session, Audience.PUBLIC if public else Audience.INTERNAL)


@app.command("add")
def add_command(
    city: CityOption,
    indicator: Annotated[str, typer.Option("--indicator", help="Indicator code (a measure's code: --kind).")],
    areas: Annotated[
        str,
        typer.Option("--areas", help="set:NAME, level:CODE or areas:A,B (unprefixed: level, set, codes)."),
    ],
    deadline: Annotated[datetime, typer.Option("--deadline", formats=["%Y-%m-%d"], help="YYYY-MM-DD.")],
    owner: Annotated[str, typer.Option("--owner", help="The owning organisational unit.")],
    target: Annotated[float | None, typer.Option("--target", help="The value to reach.")] = None,
    change: Annotated[
        float | None,
        typer.Option("--change", help="The change from the baseline to reach (instead of --target)."),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Default: indicator and areas.")] = None,
    person: Annotated[str | None, typer.Option("--person", help="The owning person.")] = None,
    rationale: Annotated[str | None, typer.Option("--rationale", help="Why this goal.")] = None,
    theme: Annotated[list[str] | None, typer.Option("--theme", help="A theme (repeatable).")] = None,
    priority_set: Annotated[
        list[str] | None, typer.Option("--priority-set", help="A priority set it follows from (repeatable).")
    ] = None,
    baseline_period: Annotated[
        str | None, typer.Option("--baseline-period", help="Default: the latest with data in every area.")
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="population or performance.")] = "population",
    performance_kind: Annotated[
        str | None, typer.Option("--performance-kind", help="how_much, how_well or better_off.")
    ] = None,
    measure_name: Annotated[str | None, typer.Option("--measure-name", help="A measure's name.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="A measure's unit.")] = None,
    polarity: Annotated[
        str | None,
        typer.Option("--polarity", help="A measure's: higher_is_better, higher_is_worse, neutral."),
    ] = None,
    baseline_value: Annotated[
        float | None, typer.Option("--baseline-value", help="A measure's baseline.")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Set a goal: its baseline is read from the stored data (the data team's view), its status computed."""
    from bettercities.areas import service as areas_service
    from bettercities.audit.context import current_actor
    from bettercities.goals import service
    from bettercities.goals.schemas import GoalIn

    with session_of(workspace, database_url, write=True) as session:
        found = areas_service.get_city(session, city)
        selection = service.parse_selection(session, found, areas)
        try:
            goal_in = GoalIn.model_validate(
                {
                    "title": title or f"{indicator} in {selection.value}"[:200],
                    "indicator": indicator,
                    "areas": selection,
                    "target_value": target,
                    "target_change": change,
                    "deadline": deadline.date(),
                    "owner_unit": owner,
                    "owner_person": person,
                    "rationale": rationale,
                    "themes": theme or [],
                    "priority_sets": priority_set or [],
                    "baseline_period": baseline_period,
                    "kind": kind,
                    "performance_kind": performance_kind,
                    "measure_name": measure_name,
                    "unit": unit,
                    "polarity": polarity,
                    "baseline_value": baseline_value,
                }
            )
        except ValidationError as error:
            fail(validation_messages(error), code=2)
        goal = service.add_goal(session, found, goal_in, actor=current_actor().name)
    if as_json:
        console.print_json(goal.model_dump_json())
        return
    _print_goal(goal)


@app.command("list")
def list_command(
    city: CityOption,
    public: PublicOption = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List a city's goals with baseline, target, deadline, status and detectable change."""
    from bettercities.goals import queries

    with session_of(workspace, database_url) as session:
        goals = queries.visible_goals(_viewer(session, public), city)
    if as_json:
        console.print_json(data=[g.model_dump(mode="json") for g in goals])
        return
    table = Table(
        "id", "title", "indicator", "baseline", "period", "target", "deadline", "status", "detectable"
    )
    for goal in goals:
        table.add_row(
            str(goal.id),
            goal.title,
            goal.indicator,
            "withheld" if goal.baseline.value is None else _number(goal.baseline.value),
            goal.baseline.period,
            _number(goal.target_value),
            goal.deadline.isoformat(),
            _status(goal),
            _number(goal.detectable_change),
        )
    console.print(table)
    if not goals:
        console.print("No goals.", highlight=False)


@app.command("show")
def show_command(
    city: CityOption,
    goal_id: GoalArgument,
    public: PublicOption = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Show one goal with its status per area and for the group."""
    from bettercities.goals import queries

    with session_of(workspace, database_url) as session:
        goal = queries.visible_goal(_viewer(session, public), city, goal_id)
    if as_json:
        console.print_json(goal.model_dump_json())
        return
    _print_goal(goal)
    if goal.per_area:
        _print_areas(goal)


@app.command("remove")
def remove_command(
    city: CityOption,
    goal_id: GoalArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove a goal with its areas, links and recorded values."""
    from bettercities.goals import service

    with session_of(workspace, database_url, write=True) as session:
        service.remove_goal(session, city, goal_id)
    console.print(f"{city}: goal {goal_id} removed.", highlight=False)


@measure_app.command("record")
def measure_record_command(
    city: CityOption,
    goal_id: GoalArgument,
    period: Annotated[str, typer.Option("--period", help="The period the value is of (2025, 2025-Q2 …).")],
    value: Annotated[float, typer.Option("--value", help="The measure's value.")],
    note: Annotated[str | None, typer.Option("--note", help="Where the value comes from.")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Record (or correct) a performance measure's value for a period."""
    from bettercities.audit.context import current_actor
    from bettercities.goals import service
    from bettercities.goals.schemas import MeasureValueIn

    try:
        value_in = MeasureValueIn(period=period, value=value, note=note)
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        recorded = service.record_measure(session, city, goal_id, value_in, actor=current_actor().name)
    if as_json:
        console.print_json(recorded.model_dump_json())
        return
    console.print(f"{city}: goal {goal_id} {recorded.period} = {_number(recorded.value)}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="goals")


__all__ = ["register"]
