"""Writes of the impact register: register an intervention (its treated areas resolved as goals resolve
theirs), remove it, and register a version of its evaluation plan (locked once stored: a change is the next
version). Evaluation runs are stored by :mod:`bettercities.impact.evaluation`.

Every refusal is a :class:`~bettercities.core.problems.Problem` in an
:class:`~bettercities.core.errors.InvalidInput` report, found before anything is written. The audit domain's
storage hooks record every write of the session (who registered which plan version, who ran what).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.analysis.priority.models import PrioritySet
from bettercities.areas import service as areas
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report, Severity
from bettercities.goals.models import Goal
from bettercities.goals.service import resolve_areas
from bettercities.impact.models import (
    EvaluationPlan,
    EvaluationRun,
    Intervention,
    InterventionArea,
    InterventionGoal,
    InterventionIndicator,
)
from bettercities.impact.register_schemas import InterventionIn, PlanIn, PlanOut
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator
from bettercities.indicators.periods import PeriodError, PeriodSpec, parse_period
from bettercities.publication import Audience, withheld

__all__ = [
    "SOURCE",
    "add_intervention",
    "comparable_codes",
    "get_intervention_row",
    "latest_plan",
    "period_of",
    "plan_out",
    "register_plan",
    "remove_intervention",
]

SOURCE = "intervention"


def _problem(code: str, message: str, *, column: str | None = None, value: str | None = None) -> Problem:
    return Problem(code=code, message=message, column=column, value=value, file=SOURCE)


def _refuse(problems: Sequence[Problem]) -> None:
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if errors:
        raise InvalidInput(
            "; ".join(p.message for p in errors), Report(source=SOURCE, problems=list(problems))
        )


def _check_text(values: dict[str, str | None], *, multiline: tuple[str, ...] = ()) -> list[Problem]:
    """Control characters are refused (a name is one line; PostgreSQL stores no NUL)."""
    found = []
    for name, text in values.items():
        allowed = "\n\r\t" if name in multiline else ""
        if text and any((ord(c) < 32 or c == "\x7f") and c not in allowed for c in text):
            found.append(_problem("invalid-text", f"the {name} contains a control character", column=name))
    return found


def period_of(code: str, column: str, problems: list[Problem]) -> PeriodSpec | None:
    """The period ``code`` names, or ``None`` with a problem."""
    try:
        return parse_period(code)
    except PeriodError:
        problems.append(_problem("invalid-period", f"{code!r} is not a period", column=column, value=code))
        return None


def get_intervention_row(session: Session, city: City, intervention_id: int) -> Intervention:
    row = session.scalar(
        select(Intervention).where(Intervention.id == intervention_id, Intervention.city_id == city.id)
    )
    if row is None:
        raise NotFound("intervention", f"{city.slug}/{intervention_id}")
    return row


# -- interventions -----------------------------------------------------------------------------------------


def add_intervention(
    session: Session,
    city: str | City,
    item: InterventionIn,
    *,
    actor: str | None,
    audience: Audience = Audience.INTERNAL,
) -> int:
    """Register an intervention; its areas resolved from the selection (a priority set as ``audience`` may
    see it). Returns its id. Raises :class:`InvalidInput` with every problem found, before writing."""
    city = city if isinstance(city, City) else areas.get_city(session, city)
    problems = _check_text(
        {"name": item.name, "description": item.description, "responsible_unit": item.responsible_unit},
        multiline=("description",),
    )
    start = period_of(item.start_period, "start_period", problems)
    end = period_of(item.end_period, "end_period", problems) if item.end_period else None
    if start is not None and end is not None and end.end_date < start.start_date:
        problems.append(
            _problem("invalid-period", f"the end {end.code} is before the start {start.code}",
                     column="end_period", value=end.code)
        )  # fmt: skip
    selected = resolve_areas(session, city, item.areas, audience=audience)
    problems += [p.model_copy(update={"file": SOURCE}) for p in selected.problems]
    found_indicators: list[Indicator] = []
    for code in dict.fromkeys(item.indicators):
        indicator = session.scalar(select(Indicator).where(Indicator.code == code))
        if indicator is None or withheld(session, city.id, indicator.id, audience=audience):
            problems.append(
                _problem("unknown-indicator", f"no indicator {code!r}", column="indicators", value=code)
            )
        else:
            found_indicators.append(indicator)
    goal_ids = list(dict.fromkeys(item.goals))
    known = set(session.scalars(select(Goal.id).where(Goal.city_id == city.id, Goal.id.in_(goal_ids))).all())
    for goal_id in goal_ids:
        if goal_id not in known:
            problems.append(
                _problem(
                    "unknown-goal", f"{city.slug} has no goal {goal_id}", column="goals", value=str(goal_id)
                )
            )
    _refuse(problems)
    assert start is not None
    row = Intervention(
        city_id=city.id,
        name=item.name,
        description=item.description,
        kind=item.kind.value,
        selection_kind=item.areas.kind.value,
        selection_value=item.areas.value,
        level_code=selected.level.code if selected.level is not None else None,
        priority_set_id=selected.set_ids[0] if selected.set_ids else None,
        start_period=start.code,
        end_period=end.code if end is not None else None,
        budget_cents=item.budget_cents,
        currency=item.currency,
        responsible_unit=item.responsible_unit,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    for code in selected.codes:
        session.add(InterventionArea(city_id=city.id, intervention_id=row.id, area_code=code))
    for indicator in found_indicators:
        session.add(InterventionIndicator(city_id=city.id, intervention_id=row.id, indicator_id=indicator.id))
    for goal_id in goal_ids:
        session.add(InterventionGoal(city_id=city.id, intervention_id=row.id, goal_id=goal_id))
    session.flush()
    return row.id


def remove_intervention(session: Session, city: str | City, intervention_id: int) -> None:
    """Remove an intervention with its areas, links, plan versions and runs."""
    city = city if isinstance(city, City) else areas.get_city(session, city)
    row = get_intervention_row(session, city, intervention_id)
    # the rows first: the tables know no relationship, so the unit of work would not order them before the
    # intervention, whose deletion the database cascades to them (the audit log records each)
    for model in (EvaluationRun, EvaluationPlan, InterventionArea, InterventionIndicator, InterventionGoal):
        for child in session.scalars(select(model).where(model.intervention_id == row.id)).all():
            session.delete(child)
    session.flush()
    session.delete(row)
    session.flush()


# -- evaluation plans --------------------------------------------------------------------------------------


def latest_plan(session: Session, intervention_id: int) -> EvaluationPlan | None:
    """The latest registered version of an intervention's plan."""
    return session.scalar(
        select(EvaluationPlan)
        .where(EvaluationPlan.intervention_id == intervention_id)
        .order_by(EvaluationPlan.version.desc())
        .limit(1)
    )


def plan_out(session: Session, row: EvaluationPlan) -> PlanOut:
    indicator = session.get(Indicator, row.indicator_id)
    assert indicator is not None
    return PlanOut(
        id=row.id,
        intervention_id=row.intervention_id,
        version=row.version,
        indicator=indicator.code,
        indicator_name=indicator.name_en,
        indicator_name_de=indicator.name_de,
        design=row.design,
        comparison=json.loads(row.comparison),
        pre_start=row.pre_start,
        pre_end=row.pre_end,
        post_start=row.post_start,
        post_end=row.post_end,
        control_group=row.control_group,
        alpha=row.alpha,
        analysis=row.analysis,
        registered_by=row.registered_by,
        registered_at=row.registered_at,
    )


def comparable_codes(session: Session, city: City, level_code: str | None) -> set[str]:
    """Codes of the areas of the intervention's level (every boundary version)."""
    if level_code is None:
        return set()
    level = session.scalar(
        select(SpatialLevel).where(SpatialLevel.city_id == city.id, SpatialLevel.code == level_code)
    )
    if level is None:
        return set()
    return set(session.scalars(select(Area.code).where(Area.level_id == level.id)).all())


def check_settings(
    session: Session,
    city: City,
    row: Intervention,
    *,
    indicator_code: str,
    comparison: Sequence[str],
    periods: dict[str, str | None],
    audience: Audience,
) -> tuple[Indicator | None, dict[str, PeriodSpec | None], list[Problem]]:
    """The outcome indicator, the periods parsed and the problems of a plan's (or a run's) settings: an
    indicator the audience may see with data in the city, comparison areas of the treated areas' level
    that are not treated, pre-periods before the post-periods."""
    problems: list[Problem] = []
    indicator = session.scalar(select(Indicator).where(Indicator.code == indicator_code))
    if indicator is None or withheld(session, city.id, indicator.id, audience=audience):
        problems.append(
            _problem("unknown-indicator", f"no indicator {indicator_code!r}", column="indicator",
                     value=indicator_code)
        )  # fmt: skip
        indicator = None
    parsed = {
        name: (period_of(code, name, problems) if code is not None else None)
        for name, code in periods.items()
    }
    pre_end, post_start = parsed.get("pre_end"), parsed.get("post_start")
    pre_start, post_end = parsed.get("pre_start"), parsed.get("post_end")
    if pre_start and pre_end and pre_end.end_date < pre_start.start_date:
        problems.append(_problem("invalid-period", "the pre-period ends before it starts", column="pre_end"))
    if post_start and post_end and post_end.end_date < post_start.start_date:
        problems.append(
            _problem("invalid-period", "the post-period ends before it starts", column="post_end")
        )
    if pre_end and post_start and not pre_end.end_date < post_start.start_date:
        problems.append(
            _problem("invalid-period", f"the pre-period (to {pre_end.code}) must end before the post-period "
                     f"starts ({post_start.code})", column="post_start", value=post_start.code)
        )  # fmt: skip
    treated = set(
        session.scalars(select(InterventionArea.area_code).where(InterventionArea.intervention_id == row.id))
    )
    level_codes = comparable_codes(session, city, row.level_code)
    unknown = [c for c in comparison if c not in level_codes]
    if unknown:
        problems.append(
            _problem("unknown-area", f"{city.slug} has no area {', '.join(unknown[:10])} at level "
                     f"{row.level_code}", column="comparison", value=",".join(unknown[:10]))
        )  # fmt: skip
    both = [c for c in comparison if c in treated]
    if both:
        problems.append(
            _problem("invalid-option", f"comparison areas must not be treated: {', '.join(both[:10])}",
                     column="comparison", value=",".join(both[:10]))
        )  # fmt: skip
    return indicator, parsed, problems


def _default_periods(
    session: Session, city: City, row: Intervention, indicator: Indicator | None, given: dict[str, str | None]
) -> dict[str, str | None]:
    """The plan's periods with the defaults filled in: the outcome's first period with data, the last one
    before the intervention's start, and the start."""
    filled = dict(given)
    start = parse_period(row.start_period)
    if filled.get("post_start") is None:
        filled["post_start"] = start.code
    if indicator is not None and (filled.get("pre_start") is None or filled.get("pre_end") is None):
        try:
            post = parse_period(filled["post_start"] or start.code)
        except PeriodError:
            post = start
        stored = sorted(
            (parse_period(p.code) for p in indicators.list_periods(session, city, indicator)),
            key=lambda p: (p.end_date, p.start_date),
        )
        before = [p for p in stored if p.end_date < post.start_date and p.kind == post.kind]
        if before:
            filled.setdefault("pre_start", None)
            if filled.get("pre_start") is None:
                filled["pre_start"] = before[0].code
            if filled.get("pre_end") is None:
                filled["pre_end"] = before[-1].code
    return filled


def register_plan(
    session: Session,
    city: str | City,
    intervention_id: int,
    plan: PlanIn,
    *,
    actor: str | None,
    audience: Audience = Audience.INTERNAL,
) -> PlanOut:
    """Register the next version of an intervention's evaluation plan. A registered version is never
    changed: every call stores a new one (version 1 first), which the audit log records with its author."""
    city = city if isinstance(city, City) else areas.get_city(session, city)
    row = get_intervention_row(session, city, intervention_id)
    problems = _check_text({"analysis": plan.analysis}, multiline=("analysis",))
    indicator = session.scalar(select(Indicator).where(Indicator.code == plan.indicator))
    given = {"pre_start": plan.pre_start, "pre_end": plan.pre_end, "post_start": plan.post_start,
             "post_end": plan.post_end}  # fmt: skip
    periods = _default_periods(session, city, row, indicator, given)
    found, _parsed, more = check_settings(
        session, city, row, indicator_code=plan.indicator, comparison=plan.comparison, periods=periods,
        audience=audience,
    )  # fmt: skip
    problems += more
    if found is not None and (periods.get("pre_start") is None or periods.get("pre_end") is None):
        problems.append(
            _problem("no-baseline-data", f"{plan.indicator} has no period before {periods['post_start']} in "
                     f"{city.slug}: give the pre-period", column="pre_end")
        )  # fmt: skip
    _refuse(problems)
    assert found is not None
    version = (
        session.scalar(
            select(func.max(EvaluationPlan.version)).where(EvaluationPlan.intervention_id == row.id)
        )
        or 0
    ) + 1
    stored = EvaluationPlan(
        city_id=city.id,
        intervention_id=row.id,
        version=version,
        indicator_id=found.id,
        design=plan.design.value,
        comparison=json.dumps(sorted(dict.fromkeys(plan.comparison))),
        pre_start=periods["pre_start"],
        pre_end=periods["pre_end"],
        post_start=periods["post_start"],
        post_end=periods.get("post_end"),
        control_group=plan.control_group.value,
        alpha=plan.alpha,
        analysis=plan.analysis,
        registered_by=actor,
    )
    session.add(stored)
    session.flush()
    return plan_out(session, stored)


def set_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Names of priority sets by id."""
    if not ids:
        return {}
    rows = session.execute(
        select(PrioritySet.id, PrioritySet.name).where(PrioritySet.id.in_(list(ids)))
    ).all()
    return {int(r.id): r.name for r in rows}
