"""``bettercities plans``: action plans (URBACT Integrated Action Plan): plans, objectives, actions, risks,
status changes, links to goals and areas, and the import of a whole plan from a YAML file.

The CLI is the city's own tool: ``list`` and ``show`` see every plan (as the city's data team), unless
``--public`` asks for what the public sees. Input is read through :func:`bettercities.plans.schemas.read`,
so a refusal names each field with its problem code (exit code 2) and writes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, fail, session_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bettercities.plans.schemas import PlanOut

app = typer.Typer(
    help="Action plans: objectives, actions, budgets, risks and their status.", no_args_is_help=True
)
objective_app = typer.Typer(help="Objectives of a plan.", no_args_is_help=True)
action_app = typer.Typer(help="Actions of an objective and their status.", no_args_is_help=True)
risk_app = typer.Typer(help="Risks to a plan or an action.", no_args_is_help=True)
app.add_typer(objective_app, name="objective")
app.add_typer(action_app, name="action")
app.add_typer(risk_app, name="risk")

CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
GoalOption = Annotated[list[int] | None, typer.Option("--goal", help="A goal id (repeat for more).")]
AreaOption = Annotated[list[str] | None, typer.Option("--area", help="An area code of the city (repeat).")]


class Kind(StrEnum):
    """What ``plans remove`` removes."""

    PLAN = "plan"
    OBJECTIVE = "objective"
    ACTION = "action"
    RISK = "risk"


def _given(**fields: Any) -> dict[str, Any]:
    """The options that were given (``None`` means not given)."""
    return {name: value for name, value in fields.items() if value is not None}


def _show(session: Session, city: str, plan_id: int, *, public: bool = False) -> PlanOut:
    from bettercities.plans import queries
    from bettercities.publication import Audience
    from bettercities.views.reader import Reader

    reader = Reader(session, audience=Audience.PUBLIC if public else Audience.INTERNAL)
    return queries.visible_plan(reader, city, plan_id)


def _milestones(given: list[str]) -> list[dict[str, str]]:
    out = []
    for text in given:
        due, sep, title = text.partition("=")
        if not sep:
            fail(f"a milestone is DATE=TITLE, e.g. 2026-06-30=Kick-off: {text!r}")
        out.append({"due": due.strip(), "title": title.strip()})
    return out


@app.command("add")
def plans_add(
    city: CityOption,
    title: Annotated[str, typer.Option("--title", help="Title (at most 200 characters).")],
    period_from: Annotated[str, typer.Option("--from", help="First day of the plan's period, YYYY-MM-DD.")],
    period_to: Annotated[str, typer.Option("--to", help="Last day of the plan's period, YYYY-MM-DD.")],
    summary: Annotated[str, typer.Option("--summary", help="What the plan is about.")] = "",
    status: Annotated[str, typer.Option("--status", help="draft, adopted or archived.")] = "draft",
    owner: Annotated[str, typer.Option("--owner", help="The organisational unit that owns the plan.")] = "",
    public: Annotated[bool, typer.Option("--public", help="Show the plan to the public.")] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add an action plan to a city (seen only by the city's members unless --public)."""
    from bettercities.plans import service
    from bettercities.plans.schemas import PlanIn, read

    data = {"title": title, "summary": summary, "period_from": period_from, "period_to": period_to,
            "status": status, "owner_unit": owner, "public": public}  # fmt: skip
    with session_of(workspace, database_url, write=True) as session:
        plan_id = service.add_plan(session, city, read(PlanIn, data, what="plan"), user=_user())
        shown = _show(session, city, plan_id)
    _print_plan(shown, as_json, headline=f"plan {plan_id} added")


def _user() -> str:
    from bettercities.audit.context import current_actor

    return current_actor().name


@app.command("update")
def plans_update(
    plan: Annotated[int, typer.Argument(help="Plan id.")],
    city: CityOption,
    title: Annotated[str | None, typer.Option("--title")] = None,
    period_from: Annotated[str | None, typer.Option("--from")] = None,
    period_to: Annotated[str | None, typer.Option("--to")] = None,
    summary: Annotated[str | None, typer.Option("--summary")] = None,
    status: Annotated[str | None, typer.Option("--status", help="draft, adopted or archived.")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    public: Annotated[bool | None, typer.Option("--public/--members-only")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Change a plan's title, summary, period, status, owner or who sees it."""
    from bettercities.plans import service
    from bettercities.plans.schemas import PlanUpdate, read

    data = _given(title=title, period_from=period_from, period_to=period_to, summary=summary, status=status,
                  owner_unit=owner, public=public)  # fmt: skip
    with session_of(workspace, database_url, write=True) as session:
        service.update_plan(session, city, plan, read(PlanUpdate, data, what="plan"))
        shown = _show(session, city, plan)
    _print_plan(shown, as_json, headline=f"plan {plan} updated")


@app.command("list")
def plans_list(
    city: CityOption,
    public: Annotated[bool, typer.Option("--public", help="Only what the public sees.")] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the plans of a city: id, period, status, public or members only, title."""
    from bettercities.plans import queries
    from bettercities.publication import Audience
    from bettercities.views.reader import Reader

    with session_of(workspace, database_url) as session:
        reader = Reader(session, audience=Audience.PUBLIC if public else Audience.INTERNAL)
        found = queries.visible_plans(reader, city)
    if as_json:
        console.print_json(data=[p.model_dump(mode="json") for p in found])
        return
    for p in found:
        seen = "public" if p.public else "members"
        typer.echo(f"{p.id}\t{p.period_from}..{p.period_to}\t{p.status.value}\t{seen}\t{p.title}")


@app.command("show")
def plans_show(
    plan: Annotated[int, typer.Argument(help="Plan id.")],
    city: CityOption,
    public: Annotated[bool, typer.Option("--public", help="As the public sees it.")] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Show a plan: objectives, actions (status, timeline, budget), budget totals, overdue actions, risks and
    the status of its goals."""
    with session_of(workspace, database_url) as session:
        shown = _show(session, city, plan, public=public)
    _print_plan(shown, as_json)


def _print_plan(plan: PlanOut, as_json: bool, *, headline: str = "") -> None:
    if as_json:
        console.print_json(plan.model_dump_json())
        return
    if headline:
        console.print(headline, highlight=False)
    seen = "public" if plan.public else "members only"
    typer.echo(f"{plan.id}\t{plan.title}\t{plan.status.value}\t{plan.period_from}..{plan.period_to}\t{seen}")
    for objective in plan.objectives:
        goals = f"\tgoals {', '.join(map(str, objective.goals))}" if objective.goals else ""
        typer.echo(f"  objective {objective.id}\t{objective.title}{goals}")
        for a in objective.actions:
            budget = f"{a.budget} {a.currency} ({a.funding_source or '-'})" if a.budget is not None else "-"
            late = "\tOVERDUE" if a.overdue else ""
            typer.echo(
                f"    action {a.id}\t{a.status.value}\t{a.start or '?'}..{a.end or '?'}\t{budget}"
                f"\t{a.title}{late}"
            )
    figures = plan.figures
    for line in figures.budget_total:
        typer.echo(f"  budget\t{line.amount} {line.currency}\t{line.actions} actions")
    for line in figures.budget_by_source:
        typer.echo(f"  by source\t{line.key or '-'}\t{line.amount} {line.currency}")
    counts = ", ".join(f"{status.value} {n}" for status, n in figures.actions_by_status.items() if n)
    typer.echo(f"  actions\t{counts or 'none'}\toverdue {len(figures.overdue)}")
    for risk in plan.risks:
        typer.echo(f"  risk {risk.id}\t{risk.likelihood.value}/{risk.impact.value}\t{risk.description}")
    for goal in plan.goals:
        shown = f"{goal.title}\t{goal.status or 'no status'}" if goal.visible else "not visible"
        typer.echo(f"  goal {goal.id}\t{shown}")


@app.command("remove")
def plans_remove(
    kind: Annotated[Kind, typer.Argument(help="plan, objective, action or risk.")],
    item: Annotated[int, typer.Argument(help="Its id.")],
    city: CityOption,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove a plan, an objective, an action or a risk (with what belongs to it)."""
    from bettercities.plans import service

    remove = {
        Kind.PLAN: service.remove_plan,
        Kind.OBJECTIVE: service.remove_objective,
        Kind.ACTION: service.remove_action,
        Kind.RISK: service.remove_risk,
    }[kind]
    with session_of(workspace, database_url, write=True) as session:
        remove(session, city, item)
    console.print(f"{kind.value} {item} removed", highlight=False)


@objective_app.command("add")
def objective_add(
    plan: Annotated[int, typer.Argument(help="Plan id.")],
    city: CityOption,
    title: Annotated[str, typer.Option("--title")],
    description: Annotated[str, typer.Option("--description")] = "",
    goal: GoalOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add an objective to a plan, with the goals it serves."""
    from bettercities.plans import service
    from bettercities.plans.schemas import ObjectiveIn, read

    data = {"title": title, "description": description, "goals": goal or []}
    with session_of(workspace, database_url, write=True) as session:
        found = service.add_objective(session, city, plan, read(ObjectiveIn, data, what="objective"))
    console.print(f"objective {found} added to plan {plan}", highlight=False)


def _action_fields(
    *, title: str | None, description: str | None, unit: str | None, partner: list[str] | None,
    start: str | None, end: str | None, milestone: list[str] | None, budget: str | None,
    currency: str | None, funding: str | None,
) -> dict[str, Any]:  # fmt: skip
    return _given(
        title=title, description=description, responsible_unit=unit, partners=partner or None,
        start=start, end=end, milestones=_milestones(milestone) if milestone else None,
        budget=budget.replace(",", ".") if budget is not None else None, currency=currency,
        funding_source=funding,
    )  # fmt: skip


@action_app.command("add")
def action_add(
    objective: Annotated[int, typer.Argument(help="Objective id.")],
    city: CityOption,
    title: Annotated[str, typer.Option("--title")],
    description: Annotated[str | None, typer.Option("--description")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="The responsible organisational unit.")] = None,
    partner: Annotated[list[str] | None, typer.Option("--partner", help="A partner (repeat).")] = None,
    start: Annotated[str | None, typer.Option("--start", help="YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="YYYY-MM-DD.")] = None,
    milestone: Annotated[
        list[str] | None, typer.Option("--milestone", help="DATE=TITLE, e.g. 2026-06-30=Kick-off (repeat).")
    ] = None,
    budget: Annotated[str | None, typer.Option("--budget", help="Amount, e.g. 120000 or 1500.50.")] = None,
    currency: Annotated[str | None, typer.Option("--currency", help="ISO code; default EUR.")] = None,
    funding: Annotated[
        str | None, typer.Option("--funding", help="Funding source, e.g. municipal, ESF+, ERDF.")
    ] = None,
    status: Annotated[str, typer.Option("--status", help="planned, in_progress, done, delayed, dropped.")] = (
        "planned"
    ),
    goal: GoalOption = None,
    area: AreaOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add an action to an objective."""
    from bettercities.plans import service
    from bettercities.plans.schemas import ActionIn, read

    data = _action_fields(
        title=title, description=description, unit=unit, partner=partner, start=start, end=end,
        milestone=milestone, budget=budget, currency=currency, funding=funding,
    )  # fmt: skip
    data |= {"status": status, "goals": goal or [], "areas": area or []}
    with session_of(workspace, database_url, write=True) as session:
        found = service.add_action(
            session, city, objective, read(ActionIn, data, what="action"), user=_user()
        )
    console.print(f"action {found} added to objective {objective}", highlight=False)


@action_app.command("update")
def action_update(
    action: Annotated[int, typer.Argument(help="Action id.")],
    city: CityOption,
    title: Annotated[str | None, typer.Option("--title")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    unit: Annotated[str | None, typer.Option("--unit")] = None,
    partner: Annotated[list[str] | None, typer.Option("--partner", help="Replaces the partners.")] = None,
    start: Annotated[str | None, typer.Option("--start")] = None,
    end: Annotated[str | None, typer.Option("--end")] = None,
    milestone: Annotated[
        list[str] | None, typer.Option("--milestone", help="Replaces the milestones.")
    ] = None,
    budget: Annotated[str | None, typer.Option("--budget")] = None,
    currency: Annotated[str | None, typer.Option("--currency")] = None,
    funding: Annotated[str | None, typer.Option("--funding")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Change an action's fields (its status with ``plans action status``)."""
    from bettercities.plans import service
    from bettercities.plans.schemas import ActionUpdate, read

    data = _action_fields(
        title=title, description=description, unit=unit, partner=partner, start=start, end=end,
        milestone=milestone, budget=budget, currency=currency, funding=funding,
    )  # fmt: skip
    with session_of(workspace, database_url, write=True) as session:
        service.update_action(session, city, action, read(ActionUpdate, data, what="action"))
    console.print(f"action {action} updated", highlight=False)


@action_app.command("status")
def action_status(
    action: Annotated[int, typer.Argument(help="Action id.")],
    city: CityOption,
    status: Annotated[str, typer.Option("--status", help="planned, in_progress, done, delayed, dropped.")],
    note: Annotated[str, typer.Option("--note", help="Why (kept in the action's history).")] = "",
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Set an action's status; the change is kept in its history (from, to, note, who, when)."""
    from bettercities.plans import service
    from bettercities.plans.schemas import StatusChangeIn, read

    change = read(StatusChangeIn, {"status": status, "note": note}, what="status change")
    with session_of(workspace, database_url, write=True) as session:
        changed = service.set_status(session, city, action, change, user=_user())
    message = f"action {action} is now {change.status.value}" if changed else f"action {action} unchanged"
    console.print(message, highlight=False)


@risk_app.command("add")
def risk_add(
    plan: Annotated[int, typer.Argument(help="Plan id.")],
    city: CityOption,
    description: Annotated[str, typer.Option("--description")],
    likelihood: Annotated[str, typer.Option("--likelihood", help="low, medium or high.")],
    impact: Annotated[str, typer.Option("--impact", help="low, medium or high.")],
    mitigation: Annotated[str, typer.Option("--mitigation")] = "",
    action: Annotated[
        int | None, typer.Option("--action", help="The action at risk (default: the plan).")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a risk to a plan (or to one of its actions)."""
    from bettercities.plans import service
    from bettercities.plans.schemas import RiskIn, read

    data = _given(description=description, likelihood=likelihood, impact=impact, mitigation=mitigation,
                  action_id=action)  # fmt: skip
    with session_of(workspace, database_url, write=True) as session:
        found = service.add_risk(session, city, plan, read(RiskIn, data, what="risk"))
    console.print(f"risk {found} added to plan {plan}", highlight=False)


def _link_command(unlink: bool):
    def command(
        city: CityOption,
        action: Annotated[int | None, typer.Option("--action", help="Action id.")] = None,
        objective: Annotated[
            int | None, typer.Option("--objective", help="Objective id (goals only).")
        ] = None,
        goal: GoalOption = None,
        area: AreaOption = None,
        workspace: WorkspaceOption = None,
        database_url: DatabaseUrlOption = None,
    ) -> None:
        from bettercities.plans import service
        from bettercities.plans.schemas import LinkIn, read

        if (action is None) == (objective is None):
            fail("give --action or --objective (one of the two)")
        links = read(LinkIn, {"goals": goal or [], "areas": area or []}, what="link")
        operation = service.unlink if unlink else service.link
        with session_of(workspace, database_url, write=True) as session:
            operation(session, city, links, action_id=action, objective_id=objective)
        target = f"action {action}" if action is not None else f"objective {objective}"
        console.print(f"{'unlinked from' if unlink else 'linked to'} {target}", highlight=False)

    command.__doc__ = (
        "Remove links of goals and areas from an action (goals from an objective)."
        if unlink
        else "Link goals and areas to an action (goals to an objective); checked against the city's goals and"
        " areas."
    )
    return command


app.command("link")(_link_command(unlink=False))
app.command("unlink")(_link_command(unlink=True))


@app.command("import")
def plans_import(
    file: Annotated[Path, typer.Argument(help="A YAML file: the plan, its objectives, actions and risks.")],
    city: CityOption,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import a whole plan from a YAML file (docs/plans.md shows one); every problem of the file is listed
    and nothing is stored unless the whole file is valid."""
    from bettercities.plans.imports import import_plan, read_plan_file

    with session_of(workspace, database_url, write=True) as session:
        document = read_plan_file(file)
        plan_id = import_plan(session, city, document, user=_user())
        shown = _show(session, city, plan_id)
    _print_plan(shown, as_json, headline=f"plan {plan_id} imported from {file.name}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="plans")
