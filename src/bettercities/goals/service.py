"""Writes of goals: set a goal (its areas resolved and its baseline taken from the stored data), change its
owner and texts, remove it, and record the values of a programme's performance measure.

Every refusal is a :class:`~bettercities.core.problems.Problem` in an
:class:`~bettercities.core.errors.InvalidInput` report, found before anything is written; warnings (a target
on the worse side of the baseline, a target smaller than the detectable change) are kept with the goal.
The audit domain's storage hooks record every write of the session.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.analysis.priority import service as priority
from bettercities.analysis.priority.models import PrioritySet
from bettercities.areas import service as areas
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report, Severity
from bettercities.goals import progress
from bettercities.goals import status as kernel
from bettercities.goals.models import Goal, GoalArea, GoalMeasureValue, GoalPrioritySet
from bettercities.goals.schemas import (
    AreaSelection,
    GoalIn,
    GoalKind,
    GoalOut,
    MeasureValueIn,
    MeasureValueOut,
    SelectionKind,
)
from bettercities.indicators.models import Indicator, Period
from bettercities.indicators.periods import PeriodError, parse_period
from bettercities.indicators.schemas import Polarity
from bettercities.publication import Audience, withheld

__all__ = [
    "GoalUpdate",
    "ResolvedAreas",
    "add_goal",
    "get_goal_row",
    "parse_selection",
    "record_measure",
    "remove_goal",
    "resolve_areas",
    "update_goal",
]

SOURCE = "goal"


def _problem(code: str, message: str, *, column: str | None = None, value: str | None = None) -> Problem:
    return Problem(code=code, message=message, column=column, value=value, file=SOURCE)


def _warning(code: str, message: str) -> Problem:
    return Problem(code=code, message=message, severity=Severity.WARNING, file=SOURCE)


def _refuse(problems: Sequence[Problem]) -> None:
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if errors:
        report = Report(source=SOURCE, problems=list(problems))
        raise InvalidInput("; ".join(p.message for p in errors), report)


def _check_text(values: dict[str, str | None]) -> list[Problem]:
    """Control characters are refused (a title is one line; PostgreSQL stores no NUL)."""
    found = []
    for name, text in values.items():
        allowed = "\n\r\t" if name == "rationale" else ""
        if text and any((ord(c) < 32 or c == "\x7f") and c not in allowed for c in text):
            found.append(_problem("invalid-text", f"the {name} contains a control character", column=name))
    return found


# -- areas -------------------------------------------------------------------------------------------------


def parse_selection(session: Session, city: City, text: str) -> AreaSelection:
    """What ``--areas`` means: ``set:NAME``, ``level:CODE`` or ``areas:A,B`` say it; without a prefix, a level
    code of the city if it is one, else the name of a saved priority set, else comma-separated area codes."""
    text = text.strip()
    prefixes = {
        "set:": SelectionKind.PRIORITY_SET,
        "level:": SelectionKind.LEVEL,
        "areas:": SelectionKind.AREAS,
    }
    for prefix, kind in prefixes.items():
        if text.startswith(prefix):
            return AreaSelection(kind=kind, value=text[len(prefix) :].strip())
    level = session.scalar(
        select(SpatialLevel.id).where(SpatialLevel.city_id == city.id, SpatialLevel.code == text)
    )
    if level is not None:
        return AreaSelection(kind=SelectionKind.LEVEL, value=text)
    named = session.scalar(
        select(PrioritySet.id).where(PrioritySet.city_id == city.id, PrioritySet.name == text)
    )
    if named is not None:
        return AreaSelection(kind=SelectionKind.PRIORITY_SET, value=text)
    return AreaSelection(kind=SelectionKind.AREAS, value=text)


@dataclass
class ResolvedAreas:
    """The areas a selection names: their level, codes, the priority set they came from, problems."""

    level: SpatialLevel | None = None
    codes: list[str] = field(default_factory=list)
    set_ids: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def resolve_areas(
    session: Session, city: City, selection: AreaSelection, *, audience: Audience
) -> ResolvedAreas:
    """The level and area codes ``selection`` names in ``city``, with problems instead of exceptions.

    A level: its areas valid today (a goal on a level then takes those of its baseline period). A priority
    set: its areas and level, the set as ``audience`` may see it (its id in ``set_ids``). Area codes: those
    codes, which must exist and belong to one level. What cannot be resolved is a problem in ``problems``
    (``unknown-level``, ``unknown-priority-set``, ``unknown-area``, ``mixed-levels``; column ``areas``) and
    the codes stay empty; nothing is written. Goals and the impact register's interventions select their
    areas with it."""
    found = ResolvedAreas()
    if selection.kind is SelectionKind.LEVEL:
        level = session.scalar(
            select(SpatialLevel).where(SpatialLevel.city_id == city.id, SpatialLevel.code == selection.value)
        )
        if level is None:
            found.problems.append(
                _problem("unknown-level", f"{city.slug} has no level {selection.value!r}", column="areas",
                         value=selection.value)
            )  # fmt: skip
            return found
        found.level = level
        found.codes = sorted({a.code for a in areas.areas_of_level(session, level, at=date.today())})
    elif selection.kind is SelectionKind.PRIORITY_SET:
        try:
            named = priority.get_set(session, city.slug, selection.value, audience=audience)
        except NotFound:
            found.problems.append(
                _problem("unknown-priority-set", f"{city.slug} has no priority set {selection.value!r}",
                         column="areas", value=selection.value)
            )  # fmt: skip
            return found
        found.level = areas.get_level(session, city, named.level)
        found.codes = sorted({a.area_id for a in named.areas})
        found.set_ids = [named.id]
    else:
        codes = sorted({c.strip() for c in selection.value.split(",") if c.strip()})
        rows = session.execute(
            select(Area.code, Area.level_id).where(Area.city_id == city.id, Area.code.in_(codes))
        ).all()
        known = {r.code for r in rows}
        missing = [c for c in codes if c not in known]
        if missing:
            found.problems.append(
                _problem("unknown-area", f"{city.slug} has no area {', '.join(missing)}", column="areas",
                         value=",".join(missing))
            )  # fmt: skip
            return found
        levels = {r.level_id for r in rows}
        if len(levels) > 1:
            found.problems.append(
                _problem("mixed-levels", "the areas of a goal must belong to one level", column="areas")
            )
            return found
        found.level = session.get(SpatialLevel, levels.pop()) if levels else None
        found.codes = codes
    if not found.codes:
        found.problems.append(_problem("unknown-area", "the selection holds no area", column="areas"))
    return found


def _level_codes(
    session: Session, level: SpatialLevel, periods: list[Period], wanted: str | None
) -> list[str]:
    """The codes of ``level``'s areas at the end of the wanted baseline period, else of the latest period
    (a level's areas change with boundary versions: the goal is on the areas its baseline was measured in)."""
    at: date | None = None
    if wanted is not None:
        try:
            code = parse_period(wanted).code
        except PeriodError:
            code = None
        at = next((p.end_date for p in periods if p.code == code), None)
    elif periods:
        at = periods[-1].end_date
    return sorted(a.code for a in areas.areas_of_level(session, level, at=at or date.today()))


# -- baseline and detectability ----------------------------------------------------------------------------


def _baseline(
    viewer: progress.FixedViewer, scope: progress.Scope, periods: list[Period], wanted: str | None
) -> tuple[Period | None, progress.GroupValue | None, Problem | None]:
    """The baseline period and group value: ``wanted``, or the latest period with a value in every area."""
    indicator = scope.indicator
    if wanted is not None:
        try:
            code = parse_period(wanted).code
        except PeriodError:
            return (
                None,
                None,
                _problem("invalid-period", f"{wanted!r} is not a period", column="baseline_period"),
            )
        chosen = [p for p in periods if p.code == code]
        found = progress.group_value(viewer, scope, chosen[0]) if chosen else None
        if found is None or found.value is None:
            return None, None, _problem(
                "no-baseline-data",
                f"{indicator.code} has no value in {code} for every chosen area ({len(scope.codes)} areas)",
                column="baseline_period", value=code,
            )  # fmt: skip
        return chosen[0], found, None
    for period in reversed(periods):
        found = progress.group_value(viewer, scope, period)
        if found.value is not None:
            return period, found, None
    return None, None, _problem(
        "no-baseline-data",
        f"{indicator.code} has no data in the chosen areas ({len(scope.codes)} areas of {scope.level.code}): "
        "no period has a value in every one of them",
        column="indicator", value=indicator.code,
    )  # fmt: skip


def _past_group_values(
    viewer: progress.FixedViewer, scope: progress.Scope, periods: list[Period], base: Period
) -> list[float]:
    """The group's values in the periods of the baseline's kind up to the baseline, oldest first."""
    past = [p for p in periods if p.kind == base.kind and p.end_date <= base.end_date]
    values = [progress.group_value(viewer, scope, p).value for p in past]
    return [v for v in values if v is not None]


def _format(value: float) -> str:
    return f"{value:.4g}"


# -- writes ------------------------------------------------------------------------------------------------


def add_goal(
    session: Session,
    city: str | City,
    goal_in: GoalIn,
    *,
    actor: str | None,
    audience: Audience = Audience.INTERNAL,
) -> GoalOut:
    """Set a goal: areas resolved, baseline read from the stored data as ``audience`` sees them (the
    writer's view; stewards and city admins see the data team's), target resolved, warnings kept.

    Raises :class:`InvalidInput` with every problem found, before writing anything."""
    city = city if isinstance(city, City) else areas.get_city(session, city)
    problems = _check_text(
        {"title": goal_in.title, "owner_unit": goal_in.owner_unit, "owner_person": goal_in.owner_person,
         "rationale": goal_in.rationale, "measure_name": goal_in.measure_name,
         **{f"theme {t!r}": t for t in goal_in.themes}}
    )  # fmt: skip
    if (goal_in.target_value is None) == (goal_in.target_change is None):
        problems.append(
            _problem(
                "invalid-target", "give exactly one of a target value and a target change", column="target"
            )
        )
    viewer = progress.FixedViewer(session, audience)
    selected = resolve_areas(session, city, goal_in.areas, audience=audience)
    problems += selected.problems
    set_ids = list(selected.set_ids)
    for name in goal_in.priority_sets:
        row = session.scalar(
            select(PrioritySet).where(PrioritySet.city_id == city.id, PrioritySet.name == name)
        )
        if row is None or not priority.visible_to(row.audience, audience):
            problems.append(
                _problem("unknown-priority-set", f"{city.slug} has no priority set {name!r}",
                         column="priority_sets", value=name)
            )  # fmt: skip
        elif row.id not in set_ids:
            set_ids.append(row.id)

    indicator: Indicator | None = None
    base_period: Period | None = None
    base_value: float | None = None
    revision: int | None = None
    area_baselines: dict[str, tuple[float | None, int | None]] = {}
    mdc: float | None = None
    if goal_in.kind is GoalKind.POPULATION:
        indicator = session.scalar(select(Indicator).where(Indicator.code == goal_in.indicator))
        if indicator is None or withheld(session, city.id, indicator.id, audience=audience):
            problems.append(
                _problem("unknown-indicator", f"no indicator {goal_in.indicator!r}", column="indicator",
                         value=goal_in.indicator)
            )  # fmt: skip
        elif selected.level is not None and selected.codes:
            periods = progress.periods_of(viewer, city, indicator)
            if goal_in.areas.kind is SelectionKind.LEVEL:
                # a level's areas as they were in the baseline period (today's may have split since)
                selected.codes = _level_codes(session, selected.level, periods, goal_in.baseline_period)
            scope = progress.scope_of(session, city, indicator, selected.level, selected.codes)
            base_period, found, problem = _baseline(viewer, scope, periods, goal_in.baseline_period)
            if (
                problem is not None
                and goal_in.areas.kind is SelectionKind.LEVEL
                and not goal_in.baseline_period
            ):
                # the latest period may have no value in the level's areas of its time: try earlier ones,
                # each with the level's areas of that period
                for period in reversed(periods):
                    codes = sorted(
                        a.code for a in areas.areas_of_level(session, selected.level, at=period.end_date)
                    )
                    candidate = progress.scope_of(session, city, indicator, selected.level, codes)
                    measured = progress.group_value(viewer, candidate, period)
                    if measured.value is not None:
                        selected.codes, scope = codes, candidate
                        base_period, found, problem = period, measured, None
                        break
            if problem is not None:
                problems.append(problem)
            else:
                assert base_period is not None and found is not None
                base_value, revision = found.value, found.revision
                cells = progress._values(viewer, scope, indicator, base_period)
                for code in selected.codes:
                    cell = cells.get(code)
                    area_baselines[code] = (cell.value, cell.revision) if cell else (None, None)
                mdc = kernel.detectable_change(_past_group_values(viewer, scope, periods, base_period))
        polarity = Polarity(indicator.polarity) if indicator is not None else Polarity.NEUTRAL
    else:
        polarity = goal_in.polarity or Polarity.NEUTRAL
        try:
            spec = parse_period(goal_in.baseline_period or "")
        except PeriodError:
            problems.append(
                _problem(
                    "invalid-period", f"{goal_in.baseline_period!r} is not a period", column="baseline_period"
                )
            )
        else:
            base_period = Period(
                code=spec.code, kind=spec.kind, start_date=spec.start_date, end_date=spec.end_date
            )
            base_value = goal_in.baseline_value
        if not goal_in.measure_name:
            problems.append(
                _problem(
                    "missing-option", "a performance measure needs its measure_name", column="measure_name"
                )
            )

    target: float | None = None
    warnings: list[Problem] = []
    if base_value is not None and base_period is not None:
        if goal_in.target_value is not None and goal_in.target_change is None:
            target = goal_in.target_value
        elif goal_in.target_change is not None and goal_in.target_value is None:
            target = base_value + goal_in.target_change
        if not goal_in.deadline > base_period.end_date:
            problems.append(
                _problem(
                    "deadline-before-baseline",
                    f"the deadline {goal_in.deadline.isoformat()} is not after the baseline period "
                    f"{base_period.code} (ends {base_period.end_date.isoformat()})",
                    column="deadline", value=goal_in.deadline.isoformat(),
                )
            )  # fmt: skip
    if target is not None and base_value is not None and kernel.wrong_side(polarity, base_value, target):
        better = "higher" if polarity is Polarity.HIGHER_IS_BETTER else "lower"
        warnings.append(
            _warning(
                "target-wrong-side",
                f"the target does not improve on the baseline: {better} values of {goal_in.indicator} "
                "are better",
            )
        )
    if target is not None and base_value is not None and mdc is not None and abs(target - base_value) < mdc:
        warnings.append(
            _warning(
                "target-undetectable",
                "the target change is smaller than the change detectable from the year-to-year variation of "
                "these areas (95 % minimum detectable change): its status may reflect noise",
            )
        )
    _refuse(problems + warnings)
    assert base_period is not None and base_value is not None and target is not None

    goal = Goal(
        city_id=city.id,
        title=goal_in.title,
        kind=goal_in.kind.value,
        performance_kind=goal_in.performance_kind.value if goal_in.performance_kind else None,
        indicator_id=indicator.id if indicator is not None else None,
        measure_code=goal_in.indicator if indicator is None else None,
        measure_name=goal_in.measure_name if indicator is None else None,
        measure_unit=goal_in.unit if indicator is None else None,
        measure_polarity=polarity.value if indicator is None else None,
        selection_kind=goal_in.areas.kind.value,
        selection_value=goal_in.areas.value,
        level_code=selected.level.code if selected.level is not None else None,
        baseline_period=base_period.code,
        baseline_value=base_value,
        baseline_revision=revision,
        target_value=target,
        target_change=goal_in.target_change,
        deadline=goal_in.deadline,
        owner_unit=goal_in.owner_unit,
        owner_person=goal_in.owner_person,
        rationale=goal_in.rationale,
        themes=json.dumps(list(goal_in.themes)),
        audience=audience.value,
        detectable_change=mdc,
        detectability_warning=next((w.message for w in warnings if w.code == "target-undetectable"), None),
        polarity_warning=next((w.message for w in warnings if w.code == "target-wrong-side"), None),
        created_by=actor,
    )
    session.add(goal)
    session.flush()
    for code in selected.codes:
        value, rev = area_baselines.get(code, (None, None))
        session.add(GoalArea(goal_id=goal.id, area_code=code, baseline_value=value, baseline_revision=rev))
    for set_id in set_ids:
        session.add(GoalPrioritySet(goal_id=goal.id, set_id=set_id))
    session.flush()
    return progress.goal_out(viewer, goal, city)


def get_goal_row(session: Session, city: City, goal_id: int) -> Goal:
    goal = session.scalar(select(Goal).where(Goal.id == goal_id, Goal.city_id == city.id))
    if goal is None:
        raise NotFound("goal", f"{city.slug}/{goal_id}")
    return goal


@dataclass(frozen=True)
class GoalUpdate:
    """What may change of a goal once set: who owns it and why (its baseline, target and areas stay: a new
    target is a new goal)."""

    title: str | None = None
    owner_unit: str | None = None
    owner_person: str | None = None
    rationale: str | None = None
    themes: tuple[str, ...] | None = None


def update_goal(session: Session, city: str | City, goal_id: int, update: GoalUpdate) -> GoalOut:
    """Change a goal's title, owner, rationale or themes."""
    city = city if isinstance(city, City) else areas.get_city(session, city)
    goal = get_goal_row(session, city, goal_id)
    texts = {"title": update.title, "owner_unit": update.owner_unit, "owner_person": update.owner_person,
             "rationale": update.rationale}  # fmt: skip
    _refuse(_check_text(texts))
    for name, value in texts.items():
        if value is not None:
            setattr(goal, name, value)
    if update.themes is not None:
        goal.themes = json.dumps(list(update.themes))
    session.flush()
    return progress.goal_out(progress.FixedViewer(session, Audience.INTERNAL), goal, city)


def remove_goal(session: Session, city: str | City, goal_id: int) -> None:
    """Remove a goal with its areas, links and recorded values."""
    city = city if isinstance(city, City) else areas.get_city(session, city)
    goal = get_goal_row(session, city, goal_id)
    for model in (GoalArea, GoalPrioritySet, GoalMeasureValue):
        for row in session.scalars(select(model).where(model.goal_id == goal.id)).all():
            session.delete(row)
    # the rows first: the tables know no relationship, so the unit of work would not order them before the
    # goal, whose deletion the database cascades to them
    session.flush()
    session.delete(goal)
    session.flush()


def record_measure(
    session: Session, city: str | City, goal_id: int, value_in: MeasureValueIn, *, actor: str | None
) -> MeasureValueOut:
    """Record (or correct) a performance measure's value for a period (a population goal's values come from
    the city's observations and are refused here)."""
    city = city if isinstance(city, City) else areas.get_city(session, city)
    goal = get_goal_row(session, city, goal_id)
    problems = _check_text({"note": value_in.note})
    if goal.kind != GoalKind.PERFORMANCE:
        problems.append(
            _problem("invalid-option", f"goal {goal_id} is a population goal: its values are the city's "
                     "observations of its indicator", column="goal")
        )  # fmt: skip
    try:
        period = parse_period(value_in.period).code
    except PeriodError:
        problems.append(_problem("invalid-period", f"{value_in.period!r} is not a period", column="period"))
        period = value_in.period
    if not math.isfinite(value_in.value):
        problems.append(_problem("type-error", "the value is not a finite number", column="value"))
    _refuse(problems)
    row = session.scalar(
        select(GoalMeasureValue).where(
            GoalMeasureValue.goal_id == goal.id, GoalMeasureValue.period_code == period
        )
    )
    if row is None:
        row = GoalMeasureValue(goal_id=goal.id, period_code=period)
        session.add(row)
    row.value = value_in.value
    row.note = value_in.note
    row.recorded_by = actor
    session.flush()
    return MeasureValueOut(
        goal_id=goal.id, period=period, value=row.value, note=row.note, recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )  # fmt: skip
