"""Writes of action plans: plans, objectives, actions (with milestones, goals and areas), risks, and the
status of an action with its history.

Every function works in the caller's session (one transaction: a refused input writes nothing) and leaves
its audit entries through the audit domain's session hooks. Who may call them (``Permission.EDIT``: stewards
and city admins) is checked by the faces; ``user`` names the writer in the plan and the status history.
Expected bad input raises :class:`~bettercities.core.errors.InvalidInput` with a report of coded problems
(``unknown-goal``, ``unknown-area``, and those of :func:`bettercities.plans.schemas.read`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.goals.models import Goal
from bettercities.plans.models import (
    Plan,
    PlanAction,
    PlanActionArea,
    PlanGoalLink,
    PlanMilestone,
    PlanObjective,
    PlanRisk,
    PlanStatusChange,
)
from bettercities.plans.schemas import (
    ActionIn,
    ActionStatus,
    ActionUpdate,
    LinkIn,
    MilestoneIn,
    ObjectiveIn,
    ObjectiveUpdate,
    PlanIn,
    PlanUpdate,
    RiskIn,
    StatusChangeIn,
)

__all__ = [
    "add_action",
    "add_objective",
    "add_plan",
    "add_risk",
    "cents",
    "check_areas",
    "check_goals",
    "link",
    "remove_action",
    "remove_objective",
    "remove_plan",
    "remove_risk",
    "set_status",
    "unlink",
    "update_action",
    "update_objective",
    "update_plan",
]


def cents(amount: Decimal | None) -> int | None:
    """An amount in cents (the schemas allow two decimals at most)."""
    return None if amount is None else int((amount * 100).to_integral_exact())


def _refuse(message: str, problems: list[Problem], what: str) -> InvalidInput:
    return InvalidInput(message, Report(source=what, problems=problems))


# -- finding rows of a city ----------------------------------------------------------------------------------


def _plan(session: Session, city: City, plan_id: int) -> Plan:
    row = session.get(Plan, plan_id)
    if row is None or row.city_id != city.id:
        raise NotFound("plan", f"{city.slug}/{plan_id}")
    return row


def _objective(session: Session, city: City, objective_id: int) -> PlanObjective:
    row = session.get(PlanObjective, objective_id)
    if row is None or row.city_id != city.id:
        raise NotFound("objective", f"{city.slug}/{objective_id}")
    return row


def _action(session: Session, city: City, action_id: int) -> PlanAction:
    row = session.get(PlanAction, action_id)
    if row is None or row.city_id != city.id:
        raise NotFound("action", f"{city.slug}/{action_id}")
    return row


def _risk(session: Session, city: City, risk_id: int) -> PlanRisk:
    row = session.get(PlanRisk, risk_id)
    if row is None or row.city_id != city.id:
        raise NotFound("risk", f"{city.slug}/{risk_id}")
    return row


# -- checks against the stored state -------------------------------------------------------------------------


def check_goals(session: Session, city: City, goals: Iterable[int], what: str) -> list[Problem]:
    """A problem ``unknown-goal`` for each goal id that is not a goal of ``city``."""
    wanted = sorted(set(goals))
    if not wanted:
        return []
    found = set(session.scalars(select(Goal.id).where(Goal.city_id == city.id, Goal.id.in_(wanted))))
    return [
        Problem(
            code="unknown-goal",
            message=f"{what}: goal {goal} is not a goal of {city.slug}",
            column="goals",
            value=str(goal),
        )
        for goal in wanted
        if goal not in found
    ]


def check_areas(session: Session, city: City, codes: Iterable[str], what: str) -> list[Problem]:
    """A problem ``unknown-area`` for each code that names no area of ``city`` (on any level)."""
    wanted = sorted(set(codes))
    if not wanted:
        return []
    found = set(session.scalars(select(Area.code).where(Area.city_id == city.id, Area.code.in_(wanted))))
    return [
        Problem(
            code="unknown-area",
            message=f"{what}: {code} is not an area of {city.slug} (on any level)",
            column="areas",
            value=code,
        )
        for code in wanted
        if code not in found
    ]


def _check_links(session: Session, city: City, goals: Iterable[int], codes: Iterable[str], what: str) -> None:
    problems = check_goals(session, city, goals, what) + check_areas(session, city, codes, what)
    if problems:
        raise _refuse(f"{what}: {problems[0].message}" + _more(problems), problems, what)


def _more(problems: Sequence[Problem]) -> str:
    return f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""


# -- plans ---------------------------------------------------------------------------------------------------


def add_plan(session: Session, slug: str, plan: PlanIn, *, user: str | None = None) -> int:
    """Store a new plan of city ``slug``; its id."""
    city = areas.get_city(session, slug)
    row = Plan(
        city_id=city.id,
        title=plan.title,
        summary=plan.summary or None,
        period_from=plan.period_from,
        period_to=plan.period_to,
        status=plan.status.value,
        owner_unit=plan.owner_unit or None,
        public=plan.public,
        created_by=user,
    )
    session.add(row)
    session.flush()
    return row.id


def update_plan(session: Session, slug: str, plan_id: int, changes: PlanUpdate) -> None:
    """Change the fields of a plan that ``changes`` gives (its period checked as a whole)."""
    row = _plan(session, areas.get_city(session, slug), plan_id)
    start = changes.period_from or row.period_from
    end = changes.period_to or row.period_to
    if end < start:
        problem = Problem(
            code="invalid-timeline",
            message=f"plan: the plan period ends ({end}) before it starts ({start})",
            column="period_to",
            value=end.isoformat(),
        )
        raise _refuse(problem.message, [problem], "plan")
    row.period_from, row.period_to = start, end
    if changes.title is not None:
        row.title = changes.title
    if changes.status is not None:
        row.status = changes.status.value
    if changes.public is not None:
        row.public = changes.public
    if changes.summary is not None:
        row.summary = changes.summary or None
    if changes.owner_unit is not None:
        row.owner_unit = changes.owner_unit or None
    session.flush()


def remove_plan(session: Session, slug: str, plan_id: int) -> None:
    """Remove a plan with its objectives, actions, links, history and risks."""
    city = areas.get_city(session, slug)
    row = _plan(session, city, plan_id)
    actions = list(session.scalars(select(PlanAction.id).where(PlanAction.plan_id == row.id)))
    _remove_actions(session, actions)
    session.execute(delete(PlanRisk).where(PlanRisk.plan_id == row.id))
    session.execute(delete(PlanGoalLink).where(PlanGoalLink.plan_id == row.id))
    session.execute(delete(PlanObjective).where(PlanObjective.plan_id == row.id))
    session.delete(row)
    session.flush()


# -- objectives ----------------------------------------------------------------------------------------------


def add_objective(session: Session, slug: str, plan_id: int, objective: ObjectiveIn) -> int:
    """Store a new objective of a plan with the goals it serves; its id."""
    city = areas.get_city(session, slug)
    plan = _plan(session, city, plan_id)
    _check_links(session, city, objective.goals, (), "objective")
    row = PlanObjective(
        city_id=city.id, plan_id=plan.id, title=objective.title, description=objective.description or None
    )
    session.add(row)
    session.flush()
    _link_goals(session, city, plan.id, objective.goals, objective_id=row.id)
    return row.id


def update_objective(session: Session, slug: str, objective_id: int, changes: ObjectiveUpdate) -> None:
    row = _objective(session, areas.get_city(session, slug), objective_id)
    if changes.title is not None:
        row.title = changes.title
    if changes.description is not None:
        row.description = changes.description or None
    session.flush()


def remove_objective(session: Session, slug: str, objective_id: int) -> None:
    """Remove an objective with its actions."""
    row = _objective(session, areas.get_city(session, slug), objective_id)
    actions = list(session.scalars(select(PlanAction.id).where(PlanAction.objective_id == row.id)))
    _remove_actions(session, actions)
    session.execute(delete(PlanGoalLink).where(PlanGoalLink.objective_id == row.id))
    session.delete(row)
    session.flush()


# -- actions -------------------------------------------------------------------------------------------------


def _milestones(session: Session, city: City, action_id: int, milestones: list[MilestoneIn]) -> None:
    session.add_all(
        PlanMilestone(city_id=city.id, action_id=action_id, title=m.title, due=m.due) for m in milestones
    )


def add_action(
    session: Session, slug: str, objective_id: int, action: ActionIn, *, user: str | None = None
) -> int:
    """Store a new action of an objective (its first history entry is its status); its id."""
    city = areas.get_city(session, slug)
    objective = _objective(session, city, objective_id)
    _check_links(session, city, action.goals, action.areas, "action")
    row = PlanAction(
        city_id=city.id,
        plan_id=objective.plan_id,
        objective_id=objective.id,
        title=action.title,
        description=action.description or None,
        responsible_unit=action.responsible_unit or None,
        partners=json.dumps(list(action.partners), ensure_ascii=False),
        start=action.start,
        end=action.end,
        budget_cents=cents(action.budget),
        currency=action.currency,
        funding_source=action.funding_source.strip() or None,
        status=action.status.value,
    )
    session.add(row)
    session.flush()
    _milestones(session, city, row.id, action.milestones)
    _link_goals(session, city, objective.plan_id, action.goals, action_id=row.id)
    _link_areas(session, city, row.id, action.areas)
    session.add(
        PlanStatusChange(
            city_id=city.id,
            action_id=row.id,
            from_status=None,
            to_status=row.status,
            note=None,
            changed_by=user,
        )
    )
    session.flush()
    return row.id


def update_action(session: Session, slug: str, action_id: int, changes: ActionUpdate) -> None:
    """Change the fields of an action that ``changes`` gives (its timeline checked as a whole)."""
    city = areas.get_city(session, slug)
    row = _action(session, city, action_id)
    given = changes.model_dump(exclude_unset=True)
    start = given.get("start", row.start)
    end = given.get("end", row.end)
    if start is not None and end is not None and end < start:
        problem = Problem(
            code="invalid-timeline",
            message=f"action: the action ends ({end}) before it starts ({start})",
            column="end",
            value=end.isoformat(),
        )
        raise _refuse(problem.message, [problem], "action")
    for name in ("title", "currency"):
        if given.get(name) is not None:
            setattr(row, name, given[name])
    for name in ("description", "responsible_unit", "funding_source"):
        if name in given:
            setattr(row, name, (given[name] or "").strip() or None)
    if "start" in given:
        row.start = start
    if "end" in given:
        row.end = end
    if "budget" in given:
        row.budget_cents = cents(changes.budget)
    if changes.partners is not None:
        row.partners = json.dumps(list(changes.partners), ensure_ascii=False)
    if changes.milestones is not None:
        session.execute(delete(PlanMilestone).where(PlanMilestone.action_id == row.id))
        _milestones(session, city, row.id, changes.milestones)
    session.flush()


def set_status(
    session: Session, slug: str, action_id: int, change: StatusChangeIn, *, user: str | None = None
) -> bool:
    """Give an action a new status and record the change (from, to, note, who, when); ``False`` (nothing
    written) when the action has that status already."""
    city = areas.get_city(session, slug)
    row = _action(session, city, action_id)
    if row.status == change.status.value:
        return False
    session.add(
        PlanStatusChange(
            city_id=city.id,
            action_id=row.id,
            from_status=row.status,
            to_status=change.status.value,
            note=change.note or None,
            changed_by=user,
        )
    )
    row.status = change.status.value
    session.flush()
    return True


def _remove_actions(session: Session, ids: list[int]) -> None:
    if not ids:
        return
    for table in (PlanStatusChange, PlanMilestone, PlanActionArea):
        session.execute(delete(table).where(table.action_id.in_(ids)))
    session.execute(delete(PlanGoalLink).where(PlanGoalLink.action_id.in_(ids)))
    session.execute(delete(PlanRisk).where(PlanRisk.action_id.in_(ids)))
    session.execute(delete(PlanAction).where(PlanAction.id.in_(ids)))


def remove_action(session: Session, slug: str, action_id: int) -> None:
    """Remove an action with its milestones, links, history and risks."""
    row = _action(session, areas.get_city(session, slug), action_id)
    _remove_actions(session, [row.id])
    session.flush()


# -- links ---------------------------------------------------------------------------------------------------


def _link_goals(
    session: Session,
    city: City,
    plan_id: int,
    goals: Iterable[int],
    *,
    objective_id: int | None = None,
    action_id: int | None = None,
) -> None:
    owner = PlanGoalLink.objective_id == objective_id if objective_id else PlanGoalLink.action_id == action_id
    held = set(session.scalars(select(PlanGoalLink.goal_id).where(owner)))
    session.add_all(
        PlanGoalLink(
            city_id=city.id, plan_id=plan_id, objective_id=objective_id, action_id=action_id, goal_id=goal
        )
        for goal in sorted(set(goals) - held)
    )
    session.flush()


def _link_areas(session: Session, city: City, action_id: int, codes: Iterable[str]) -> None:
    held = set(session.scalars(select(PlanActionArea.area_code).where(PlanActionArea.action_id == action_id)))
    session.add_all(
        PlanActionArea(city_id=city.id, action_id=action_id, area_code=code)
        for code in sorted(set(codes) - held)
    )
    session.flush()


def link(
    session: Session,
    slug: str,
    links: LinkIn,
    *,
    action_id: int | None = None,
    objective_id: int | None = None,
) -> None:
    """Link goals (and, to an action, areas) to an action or an objective; links held already stay."""
    city = areas.get_city(session, slug)
    if (action_id is None) == (objective_id is None):
        raise InvalidInput("link to an action or to an objective (one of the two)")
    if objective_id is not None:
        objective = _objective(session, city, objective_id)
        if links.areas:
            problem = Problem(
                code="invalid-plan",
                message="objective: areas are linked to actions, not to objectives",
                column="areas",
            )
            raise _refuse(problem.message, [problem], "objective")
        _check_links(session, city, links.goals, (), "objective")
        _link_goals(session, city, objective.plan_id, links.goals, objective_id=objective.id)
        return
    assert action_id is not None
    action = _action(session, city, action_id)
    _check_links(session, city, links.goals, links.areas, "action")
    _link_goals(session, city, action.plan_id, links.goals, action_id=action.id)
    _link_areas(session, city, action.id, links.areas)


def unlink(
    session: Session,
    slug: str,
    links: LinkIn,
    *,
    action_id: int | None = None,
    objective_id: int | None = None,
) -> None:
    """Remove links of goals (and areas) from an action or an objective; one not held is refused."""
    city = areas.get_city(session, slug)
    if (action_id is None) == (objective_id is None):
        raise InvalidInput("unlink from an action or from an objective (one of the two)")
    if objective_id is not None:
        owner = PlanGoalLink.objective_id == _objective(session, city, objective_id).id
        held_areas: set[str] = set()
        area_owner = None
    else:
        action = _action(session, city, action_id)  # type: ignore[arg-type]
        owner = PlanGoalLink.action_id == action.id
        area_owner = PlanActionArea.action_id == action.id
        held_areas = set(session.scalars(select(PlanActionArea.area_code).where(area_owner)))
    held_goals = set(session.scalars(select(PlanGoalLink.goal_id).where(owner)))
    problems = [
        Problem(code="unknown-goal", message=f"goal {g} is not linked here", column="goals", value=str(g))
        for g in sorted(set(links.goals) - held_goals)
    ] + [
        Problem(code="unknown-area", message=f"area {a} is not linked here", column="areas", value=a)
        for a in sorted(set(links.areas) - held_areas)
    ]
    if problems:
        raise _refuse(problems[0].message + _more(problems), problems, "link")
    if links.goals:
        session.execute(delete(PlanGoalLink).where(owner, PlanGoalLink.goal_id.in_(links.goals)))
    if links.areas and area_owner is not None:
        session.execute(delete(PlanActionArea).where(area_owner, PlanActionArea.area_code.in_(links.areas)))
    session.flush()


# -- risks ---------------------------------------------------------------------------------------------------


def add_risk(session: Session, slug: str, plan_id: int, risk: RiskIn) -> int:
    """Store a risk to a plan (or to one of its actions); its id."""
    city = areas.get_city(session, slug)
    plan = _plan(session, city, plan_id)
    if risk.action_id is not None:
        action = session.get(PlanAction, risk.action_id)
        if action is None or action.plan_id != plan.id:
            problem = Problem(
                code="invalid-plan",
                message=f"risk: action {risk.action_id} is not an action of plan {plan.id}",
                column="action_id",
                value=str(risk.action_id),
            )
            raise _refuse(problem.message, [problem], "risk")
    row = PlanRisk(
        city_id=city.id,
        plan_id=plan.id,
        action_id=risk.action_id,
        description=risk.description,
        likelihood=risk.likelihood.value,
        impact=risk.impact.value,
        mitigation=risk.mitigation or None,
    )
    session.add(row)
    session.flush()
    return row.id


def remove_risk(session: Session, slug: str, risk_id: int) -> None:
    row = _risk(session, areas.get_city(session, slug), risk_id)
    session.delete(row)
    session.flush()


#: The statuses an action may have (for messages and forms).
ACTION_STATUSES = tuple(status.value for status in ActionStatus)
