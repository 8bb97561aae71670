"""Reads of action plans that the CLI, the JSON API and the pages share, each for one viewer.

A plan that is not public is visible only to the city's members (viewers and up: an audience other than
the public's); to anyone else it does not exist (:class:`NotFound`), nor do its actions. A linked goal is
shown with the status :func:`bettercities.goals.queries.visible_goal` gives the viewer; a goal the viewer may
not see is shown as not visible, with nothing of it but its id. Budget totals, overdue actions and actions by
status are computed here, on every read.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City
from bettercities.core.errors import NotFound
from bettercities.goals import queries as goals
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
    CLOSED,
    ActionOut,
    ActionStatus,
    AreaRef,
    BudgetLine,
    LinkedGoal,
    MilestoneOut,
    ObjectiveOut,
    PlanFigures,
    PlanOut,
    PlanStatus,
    PlanSummary,
    RiskLevel,
    RiskOut,
    StatusChangeOut,
)
from bettercities.publication import Audience
from bettercities.publication.viewer import Viewer

__all__ = ["figures", "is_member", "visible_action", "visible_plan", "visible_plans"]


def is_member(viewer: Viewer, city: City) -> bool:
    """Whether the viewer is one of the city's members (sees its plans that are not public)."""
    return viewer.audience(city.id) != Audience.PUBLIC


def _summary(row: Plan, city: City) -> PlanSummary:
    return PlanSummary(
        id=row.id,
        city=city.slug,
        title=row.title,
        summary=row.summary,
        period_from=row.period_from,
        period_to=row.period_to,
        status=PlanStatus(row.status),
        owner_unit=row.owner_unit,
        public=row.public,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def visible_plans(viewer: Viewer, slug: str) -> list[PlanSummary]:
    """The city's plans the viewer may see, the latest period first."""
    city = areas.get_city(viewer.session, slug)
    query = select(Plan).where(Plan.city_id == city.id)
    if not is_member(viewer, city):
        query = query.where(Plan.public.is_(True))
    rows = viewer.session.scalars(query.order_by(Plan.period_from.desc(), Plan.id))
    return [_summary(row, city) for row in rows]


def _visible_row(viewer: Viewer, city: City, plan_id: int) -> Plan:
    row = viewer.session.get(Plan, plan_id)
    if row is None or row.city_id != city.id or not (row.public or is_member(viewer, city)):
        raise NotFound("plan", f"{city.slug}/{plan_id}")  # a plan the viewer may not see does not exist
    return row


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _actions(
    session: Session, city: City, plan: Plan, rows: Iterable[PlanAction], *, member: bool, today: date
) -> list[ActionOut]:
    rows = list(rows)
    ids = [row.id for row in rows]
    milestones: dict[int, list[MilestoneOut]] = defaultdict(list)
    goal_ids: dict[int, list[int]] = defaultdict(list)
    codes: dict[int, list[str]] = defaultdict(list)
    history: dict[int, list[StatusChangeOut]] = defaultdict(list)
    if ids:
        for m in session.scalars(
            select(PlanMilestone).where(PlanMilestone.action_id.in_(ids)).order_by(PlanMilestone.due)
        ):
            milestones[m.action_id].append(MilestoneOut(title=m.title, due=m.due))
        for link in session.scalars(
            select(PlanGoalLink).where(PlanGoalLink.action_id.in_(ids)).order_by(PlanGoalLink.goal_id)
        ):
            goal_ids[int(link.action_id or 0)].append(link.goal_id)
        for area in session.scalars(
            select(PlanActionArea).where(PlanActionArea.action_id.in_(ids)).order_by(PlanActionArea.area_code)
        ):
            codes[area.action_id].append(area.area_code)
        for change in session.scalars(
            select(PlanStatusChange)
            .where(PlanStatusChange.action_id.in_(ids))
            .order_by(PlanStatusChange.changed_at, PlanStatusChange.id)
        ):
            history[change.action_id].append(
                StatusChangeOut(
                    from_status=ActionStatus(change.from_status) if change.from_status else None,
                    to_status=ActionStatus(change.to_status),
                    note=change.note,
                    changed_by=change.changed_by if member else None,
                    changed_at=change.changed_at,
                )
            )
    names = _area_names(session, city, {c for found in codes.values() for c in found})
    return [
        ActionOut(
            id=row.id,
            city=city.slug,
            plan_id=plan.id,
            plan_title=plan.title,
            objective_id=row.objective_id,
            title=row.title,
            description=row.description,
            responsible_unit=row.responsible_unit,
            partners=json.loads(row.partners or "[]"),
            start=row.start,
            end=row.end,
            milestones=milestones[row.id],
            budget=None if row.budget_cents is None else _money(row.budget_cents),
            currency=row.currency,
            funding_source=row.funding_source,
            status=ActionStatus(row.status),
            overdue=_overdue(row, today),
            goals=goal_ids[row.id],
            areas=[AreaRef(code=code, name=names.get(code, code)) for code in codes[row.id]],
            history=history[row.id],
        )
        for row in rows
    ]


def _overdue(row: PlanAction, today: date) -> bool:
    return row.end is not None and row.end < today and ActionStatus(row.status) not in CLOSED


def _area_names(session: Session, city: City, codes: set[str]) -> dict[str, str]:
    """The latest name of each area code (a code may name areas of several boundary versions)."""
    if not codes:
        return {}
    rows = session.execute(
        select(Area.code, Area.name)
        .where(Area.city_id == city.id, Area.code.in_(sorted(codes)))
        .order_by(Area.valid_from.asc().nulls_first())
    )
    return {code: name for code, name in rows}


def _linked_goal(viewer: Viewer, slug: str, goal_id: int) -> LinkedGoal:
    try:
        goal = goals.visible_goal(viewer, slug, goal_id)
    except NotFound:
        return LinkedGoal(id=goal_id, visible=False)
    return LinkedGoal(
        id=goal_id,
        visible=True,
        title=goal.title,
        status=goal.status.value if goal.status is not None else None,
        indicator=goal.indicator_name,
        indicator_de=goal.indicator_name_de,
        deadline=goal.deadline,
    )


def figures(objectives: list[ObjectiveOut], *, today: date) -> PlanFigures:
    """Budget totals (per currency: in all, by funding source, by objective), actions without a budget,
    actions by status and the overdue ones. Dropped actions are left out of the budget totals."""
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_source: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    by_objective: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    statuses: Counter[ActionStatus] = Counter()
    without = 0
    overdue = []
    for objective in objectives:
        for action in objective.actions:
            statuses[action.status] += 1
            if action.overdue:
                overdue.append(action.id)
            if action.status == ActionStatus.DROPPED:
                continue
            if action.budget is None:
                without += 1
                continue
            amount = int(action.budget * 100)
            source = action.funding_source or ""
            for bucket in (
                total[action.currency],
                by_source[(source, action.currency)],
                by_objective[(str(objective.id), action.currency)],
            ):
                bucket[0] += amount
                bucket[1] += 1

    def lines(items: dict, keyed: bool) -> list[BudgetLine]:
        return [
            BudgetLine(
                key=key if not keyed else key[0],
                currency=key if not keyed else key[1],
                amount=_money(cents),
                actions=count,
            )
            for key, (cents, count) in sorted(items.items())
        ]

    return PlanFigures(
        as_of=today,
        budget_total=lines(total, False),
        budget_by_source=lines(by_source, True),
        budget_by_objective=lines(by_objective, True),
        without_budget=without,
        actions_by_status={status: statuses.get(status, 0) for status in ActionStatus},
        overdue=sorted(overdue),
    )


def visible_plan(viewer: Viewer, slug: str, plan_id: int, *, today: date | None = None) -> PlanOut:
    """A plan with its objectives, actions, risks, linked goals and computed figures (as of ``today``:
    default the current date); :class:`NotFound` for a plan the viewer may not see."""
    session = viewer.session
    today = today or date.today()
    city = areas.get_city(session, slug)
    plan = _visible_row(viewer, city, plan_id)
    member = is_member(viewer, city)
    objective_rows = list(
        session.scalars(
            select(PlanObjective).where(PlanObjective.plan_id == plan.id).order_by(PlanObjective.id)
        )
    )
    action_rows = list(
        session.scalars(
            select(PlanAction)
            .where(PlanAction.plan_id == plan.id)
            .order_by(PlanAction.start.asc().nulls_last(), PlanAction.id)
        )
    )
    actions = _actions(session, city, plan, action_rows, member=member, today=today)
    objective_goals: dict[int, list[int]] = defaultdict(list)
    for link in session.scalars(
        select(PlanGoalLink)
        .where(PlanGoalLink.plan_id == plan.id, PlanGoalLink.objective_id.is_not(None))
        .order_by(PlanGoalLink.goal_id)
    ):
        objective_goals[int(link.objective_id or 0)].append(link.goal_id)
    objectives = [
        ObjectiveOut(
            id=row.id,
            title=row.title,
            description=row.description,
            goals=objective_goals[row.id],
            actions=[a for a in actions if a.objective_id == row.id],
        )
        for row in objective_rows
    ]
    risks = [
        RiskOut(
            id=r.id,
            action_id=r.action_id,
            description=r.description,
            likelihood=RiskLevel(r.likelihood),
            impact=RiskLevel(r.impact),
            mitigation=r.mitigation,
        )
        for r in session.scalars(select(PlanRisk).where(PlanRisk.plan_id == plan.id).order_by(PlanRisk.id))
    ]
    linked = sorted({g for o in objectives for g in o.goals} | {g for a in actions for g in a.goals})
    summary = _summary(plan, city)
    return PlanOut(
        **summary.model_dump(),
        objectives=objectives,
        risks=risks,
        goals=[_linked_goal(viewer, slug, goal_id) for goal_id in linked],
        figures=figures(objectives, today=today),
    )


def visible_action(viewer: Viewer, slug: str, action_id: int, *, today: date | None = None) -> ActionOut:
    """One action of a plan the viewer may see; :class:`NotFound` otherwise (consultations validate their
    ``action`` items with it)."""
    session = viewer.session
    city = areas.get_city(session, slug)
    row = session.get(PlanAction, action_id)
    if row is None or row.city_id != city.id:
        raise NotFound("action", f"{slug}/{action_id}")
    try:
        plan = _visible_row(viewer, city, row.plan_id)
    except NotFound:
        raise NotFound("action", f"{slug}/{action_id}") from None
    member = is_member(viewer, city)
    return _actions(session, city, plan, [row], member=member, today=today or date.today())[0]
