"""A goal's values as a viewer may see them: per area and for the group, read only through the publication
step (:func:`bettercities.indicators.service.level_values` publishes every value for the viewer's audience),
and the status computed from them (:mod:`bettercities.goals.status`). Nothing here writes.

**The group value** is the indicator's own aggregation over the goal's areas
(:func:`bettercities.indicators.aggregation.combine`, as the indicators domain rolls areas up): a share by its
numerators and denominators (``ratio``), a mean weighted by the denominator or, without one, by the weight
indicator (inhabitants), a count by its sum; an indicator without aggregation has a group value only for a
single area. It has a value only when every area has one.

**Withheld values never leak.** An area whose published value is withheld from the viewer (suppressed,
protected, or on an indicator the audience may not see) is ``withheld`` with no numbers. For every audience
but the city's data team, the group value of a period is withheld when any input is withheld *or perturbed*
(the rule :mod:`bettercities.privacy.carried` applies to carried values: a published derived value is a
function of published, unperturbed values only), the weight indicator's cells included.

**One read per request.** Every public function wraps its viewer in a request (:class:`Request`) whose memo
sits in front of the viewer's own: each (indicator, period, level) is read once with
:func:`~bettercities.indicators.service.level_values` for all goals of a request, the group values of all
goals on one indicator are combined with one :func:`~bettercities.indicators.aggregation.combine`
(:func:`groups_of`; source = area row, target = goal), and each goal is worked out once (its chart reuses its
:func:`goal_out`). Across requests only plain data are memoised (values, group values, goals as read), never
rows of the session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, TypeVar, cast

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.analysis.priority.models import PrioritySet
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.core.errors import NotFound
from bettercities.goals import status as kernel
from bettercities.goals.models import Goal, GoalArea, GoalMeasureValue, GoalPrioritySet
from bettercities.goals.schemas import (
    AreaProgress,
    AreaSelection,
    Baseline,
    GoalKind,
    GoalOut,
    GoalSeries,
    GoalStatus,
    Latest,
    PerformanceKind,
    SelectionKind,
    SeriesPoint,
)
from bettercities.indicators import carried
from bettercities.indicators import service as indicators
from bettercities.indicators.aggregation import combine
from bettercities.indicators.models import Indicator, Period
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import AreaValue, Polarity
from bettercities.publication import Audience, protection, withheld
from bettercities.publication.viewer import Viewer

T = TypeVar("T")

__all__ = [
    "FixedViewer",
    "GroupValue",
    "Request",
    "Scope",
    "goal_out",
    "goal_outs",
    "goal_series",
    "group_value",
    "groups_of",
    "scope_of",
    "series_of",
]


@dataclass
class FixedViewer:
    """A :class:`~bettercities.publication.viewer.Viewer` fixed to one audience with a memo for its own
    lifetime (the service's answer to the writer, the CLI's reads): use one per unit of work."""

    session: Session
    fixed: Audience
    budget: int | None = None

    def audience(self, city_id: int) -> Audience:
        return self.fixed

    def networks(self, city_id: int) -> frozenset[int]:
        return frozenset()

    cache: dict[tuple[Hashable, ...], Any] = field(default_factory=dict)

    def memo(self, key: tuple[Hashable, ...], compute: Callable[[], T], *, city_id: int | None = None) -> T:
        # within one unit of work (one command, one write): the data do not change under it
        if key not in self.cache:
            self.cache[key] = compute()
        return cast(T, self.cache[key])


@dataclass
class Request:
    """A :class:`~bettercities.publication.viewer.Viewer` for one unit of reading (a request, a command): its
    memo sits in front of the viewer's (what was read once is not read again in this unit, even by a viewer
    without caches), and it keeps rows of the session (periods, levels) for this unit only."""

    viewer: Viewer
    local: dict[tuple[Hashable, ...], Any] = field(default_factory=dict)

    @property
    def session(self) -> Session:
        return self.viewer.session

    @property
    def budget(self) -> int | None:
        return self.viewer.budget

    def audience(self, city_id: int) -> Audience:
        return self.viewer.audience(city_id)

    def networks(self, city_id: int) -> frozenset[int]:
        return self.viewer.networks(city_id)

    def memo(self, key: tuple[Hashable, ...], compute: Callable[[], T], *, city_id: int | None = None) -> T:
        """Plain data: memoised by the viewer (across requests where it can) and here."""
        if key not in self.local:
            self.local[key] = self.viewer.memo(key, compute, city_id=city_id)
        return cast(T, self.local[key])

    def rows(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """Rows of the session: memoised for this unit only."""
        key = ("rows", *key)
        if key not in self.local:
            self.local[key] = compute()
        return cast(T, self.local[key])


def request_of(viewer: Viewer) -> Request:
    """``viewer`` as a :class:`Request` (itself when it is one)."""
    return viewer if isinstance(viewer, Request) else Request(viewer)


@dataclass(frozen=True)
class Scope:
    """The indicator, level and areas a goal's values are read for."""

    city: City
    indicator: Indicator
    level: SpatialLevel
    codes: tuple[str, ...]
    area_ids: tuple[int, ...]  # every boundary version of the codes (protection marks key on ids)


@dataclass(frozen=True)
class GroupValue:
    """The group's value in one period for a viewer: a value, withheld, or neither (incomplete data)."""

    value: float | None
    withheld: bool
    revision: int | None


def scope_of(
    session: Session, city: City, indicator: Indicator, level: SpatialLevel, codes: Sequence[str]
) -> Scope:
    ids = session.scalars(
        select(Area.id).where(Area.level_id == level.id, Area.code.in_(list(codes))).order_by(Area.id)
    ).all()
    return Scope(city, indicator, level, tuple(codes), tuple(ids))


def _values(viewer: Viewer, scope: Scope, indicator: Indicator, period: Period) -> dict[str, AreaValue]:
    """Published values of ``indicator`` in ``period`` for every area of the scope's level, by code (one
    :func:`~bettercities.indicators.service.level_values` per indicator, period and level and request)."""
    city_id = scope.city.id

    def compute() -> dict[str, AreaValue]:
        values, _ = indicators.level_values(
            viewer.session, indicator, period, scope.level,
            audience=viewer.audience(city_id), networks=viewer.networks(city_id),
        )  # fmt: skip
        return {v.area_code: v for v in values}

    return viewer.memo(("goals.values", indicator.id, period.id, scope.level.id), compute, city_id=city_id)


def is_withheld(value: AreaValue | None, audience: Audience) -> bool:
    """Whether a published value is withheld from ``audience`` (the data team sees every value)."""
    return audience != Audience.INTERNAL and value is not None and value.suppressed and value.value is None


def _weight(session: Session, indicator: Indicator) -> Indicator | None:
    code = indicator.weight_code or indicators.DEFAULT_WEIGHT
    return session.scalar(select(Indicator).where(Indicator.code == code))


def group_value(viewer: Viewer, scope: Scope, period: Period, *, since: date | None = None) -> GroupValue:
    """The group's value in ``period`` as the viewer may see it (module docs); ``since`` as
    :func:`group_values`."""
    return group_values(viewer, scope, since=since).get(period.id, GroupValue(None, False, None))


def group_values(viewer: Viewer, scope: Scope, *, since: date | None = None) -> dict[int, GroupValue]:
    """The group's value in every period with data (ending on or after ``since``), by period id, as the viewer
    may see it (memoised per data version; :func:`groups_of` computes many groups at once). A goal's status
    needs the periods from its baseline on only."""
    request = request_of(viewer)
    found = groups_of(request, [scope])[0]
    if since is None:
        return found
    wanted = {p.id for p in periods_of(request, scope.city, scope.indicator) if p.end_date >= since}
    return {period_id: value for period_id, value in found.items() if period_id in wanted}


def _group_key(scope: Scope) -> tuple[Hashable, ...]:
    return ("goals.group", scope.indicator.id, scope.level.id, scope.codes)


def groups_of(viewer: Viewer, scopes: Sequence[Scope]) -> list[dict[int, GroupValue]]:
    """The group values (by period id, every period with data) of each scope, in the order given: those this
    request has not worked out yet are computed together (:func:`_combine_groups`), memoised as one set per
    data version and kept per scope for the request."""
    request = request_of(viewer)
    missing: dict[tuple[Hashable, ...], Scope] = {}
    for scope in scopes:
        key = _group_key(scope)
        if key not in request.local:
            missing.setdefault(key, scope)
    by_city: dict[int, list[tuple[tuple[Hashable, ...], Scope]]] = {}
    for key, scope in missing.items():
        by_city.setdefault(scope.city.id, []).append((key, scope))
    for city_id, members in by_city.items():
        keys = tuple(key for key, _ in members)
        computed = request.viewer.memo(
            ("goals.groups", keys),
            partial(_combine_groups, request, [scope for _, scope in members]),
            city_id=city_id,
        )
        for key, found in zip(keys, computed, strict=True):
            request.local[key] = found
    return [cast(dict[int, GroupValue], request.local[_group_key(scope)]) for scope in scopes]


def _combine_groups(request: Request, scopes: Sequence[Scope]) -> list[dict[int, GroupValue]]:
    """The group values of ``scopes`` (of one city): per indicator, the published values of each period read
    once and one :func:`~bettercities.indicators.aggregation.combine` over every group and period that has
    values to aggregate (``links``: source = a row of an area's value, target = a (group, period) pair; the
    rows of one target in the order of the group's areas, so each sum is the one a single group gives)."""
    session = request.session
    found: list[dict[int, GroupValue]] = [{} for _ in scopes]
    by_indicator: dict[int, list[int]] = {}
    for index, scope in enumerate(scopes):
        by_indicator.setdefault(scope.indicator.id, []).append(index)
    for members in by_indicator.values():
        city, indicator = scopes[members[0]].city, scopes[members[0]].indicator
        audience = request.audience(city.id)
        marks = (
            request.rows(("goals.marks", city.id), partial(protection.marks, session, city.id))
            if audience != Audience.INTERNAL
            else {}
        )
        inputs = carried.inputs(session, indicator)
        weight = _weight(session, indicator) if indicator.aggregation in {"weighted_mean", "ratio"} else None
        periods = periods_of(request, city, indicator)
        rows: list[dict[str, Any]] = []
        cells_of: list[tuple[int, int]] = []  # combine's target -> (group index, period id)
        revisions: dict[int, int] = {}  # by target
        for period in periods:
            for index in members:
                scope = scopes[index]
                values = _values(request, scope, indicator, period)
                cells = [values.get(code) for code in scope.codes]
                if any(is_withheld(cell, audience) for cell in cells) or (
                    len(scope.codes) > 1
                    and bool(marks)
                    and carried.withheld_input(marks, inputs, period.id, scope.area_ids)
                ):
                    found[index][period.id] = GroupValue(None, True, None)
                    continue
                present = [cell for cell in cells if cell is not None and cell.value is not None]
                if len(present) < len(cells):
                    found[index][period.id] = GroupValue(None, False, None)  # an area without a value
                    continue
                revision = max(cell.revision for cell in present)
                if len(present) == 1:
                    found[index][period.id] = GroupValue(present[0].value, False, revision)
                    continue
                if indicator.aggregation == "none":
                    found[index][period.id] = GroupValue(None, False, None)
                    continue
                bases: list[float | None] = [cell.denominator for cell in present]
                if weight is not None and any(b is None for b in bases):
                    weights = _values(request, scope, weight, period)
                    if any(is_withheld(weights.get(code), audience) for code in scope.codes):
                        found[index][period.id] = GroupValue(None, True, None)
                        continue
                    own = [weights.get(code) for code in scope.codes]
                    bases = [
                        b if b is not None else (w.value if w else None)
                        for b, w in zip(bases, own, strict=True)
                    ]
                target = len(cells_of)
                cells_of.append((index, period.id))
                revisions[target] = revision
                rows += [
                    {"target": target, "value": c.value, "numerator": c.numerator,
                     "denominator": c.denominator, "base": b}
                    for c, b in zip(present, bases, strict=True)
                ]  # fmt: skip
        if rows:
            data = pd.DataFrame(rows).astype(
                {"value": float, "numerator": float, "denominator": float, "base": float}
            )
            data["source"] = range(len(data))
            links = data[["source", "target"]].assign(weight=1.0)
            result = combine(
                links, data.drop(columns="target"), method=indicator.aggregation, factor=indicator.factor
            )
            for key, row in result.iterrows():
                ok = bool(row["complete"]) and not pd.isna(row["value"])
                index, period_id = cells_of[cast(int, key)]
                found[index][period_id] = GroupValue(
                    float(row["value"]) if ok else None, False, revisions[cast(int, key)] if ok else None
                )
        for index in members:  # oldest period first
            found[index] = {p.id: found[index][p.id] for p in periods if p.id in found[index]}
    return found


def periods_of(viewer: Viewer, city: City, indicator: Indicator) -> list[Period]:
    """Periods with current observations of ``indicator`` in the city, oldest first (the codes are
    memoised; the rows belong to the viewer's session and are kept for the request)."""
    request = request_of(viewer)
    codes = request.memo(
        ("goals.periods", indicator.id),
        lambda: tuple(p.code for p in indicators.list_periods(request.session, city, indicator)),
        city_id=city.id,
    )
    rows = request.rows(
        ("goals.periods", codes),
        lambda: sorted(
            request.session.scalars(select(Period).where(Period.code.in_(codes))).all(),
            key=lambda p: (p.end_date, p.start_date),
        ),
    )
    return list(rows)


def _area_target(goal: Goal, baseline: float) -> float:
    return baseline + goal.target_change if goal.target_change is not None else goal.target_value


def _polarity(goal: Goal, indicator: Indicator | None) -> Polarity:
    if indicator is not None:
        return Polarity(indicator.polarity)
    return Polarity(goal.measure_polarity or Polarity.NEUTRAL)


def _common(
    session: Session, goal: Goal, city: City, indicator: Indicator | None, codes: Sequence[str] | None = None
) -> dict[str, Any]:
    """The goal's own fields (``codes``: its area codes in order, when the caller has read them)."""
    sets = (
        session.execute(select(GoalPrioritySet.set_id).where(GoalPrioritySet.goal_id == goal.id))
        .scalars()
        .all()
    )
    names = session.scalars(
        select(PrioritySet.name).where(PrioritySet.id.in_(sets)).order_by(PrioritySet.name)
    ).all()
    if codes is None:
        codes = session.scalars(
            select(GoalArea.area_code).where(GoalArea.goal_id == goal.id).order_by(GoalArea.area_code)
        ).all()
    return {
        "id": goal.id,
        "city": city.slug,
        "title": goal.title,
        "kind": GoalKind(goal.kind),
        "performance_kind": PerformanceKind(goal.performance_kind) if goal.performance_kind else None,
        "indicator": indicator.code if indicator is not None else goal.measure_code or "",
        "indicator_name": indicator.name_en if indicator is not None else goal.measure_name or "",
        "indicator_name_de": indicator.name_de if indicator is not None else goal.measure_name or "",
        "unit": indicator.unit if indicator is not None else goal.measure_unit or "",
        "polarity": _polarity(goal, indicator),
        "areas": AreaSelection(kind=SelectionKind(goal.selection_kind), value=goal.selection_value),
        "area_codes": list(codes),
        "target_value": goal.target_value,
        "target_change": goal.target_change,
        "deadline": goal.deadline,
        "owner_unit": goal.owner_unit,
        "owner_person": goal.owner_person,
        "rationale": goal.rationale,
        "themes": json.loads(goal.themes or "[]"),
        "priority_sets": list(names),
        "detectability_warning": goal.detectability_warning,
        "polarity_warning": goal.polarity_warning,
        "created_at": goal.created_at,
        "created_by": goal.created_by,
    }


def _period(session: Session, code: str) -> Period:
    return indicators.get_period(session, code)


@dataclass(frozen=True)
class _Prepared:
    """What a population goal is read for (rows of the request's session)."""

    indicator: Indicator
    rows: tuple[GoalArea, ...]
    scope: Scope
    base_period: Period


def _area_ids(session: Session, level: SpatialLevel) -> dict[str, list[int]]:
    """Area code -> the ids of every boundary version of it on ``level``."""
    found: dict[str, list[int]] = {}
    for code, area_id in session.execute(select(Area.code, Area.id).where(Area.level_id == level.id)):
        found.setdefault(code, []).append(int(area_id))
    return found


def _prepare(request: Request, goal: Goal, city: City) -> _Prepared:
    """A population goal's indicator, areas and baseline period (:class:`NotFound` when the viewer may not see
    its indicator at all), kept for the request."""

    def compute() -> _Prepared:
        session = request.session
        indicator = session.get(Indicator, goal.indicator_id)
        if indicator is None or request.memo(
            ("goals.withheld", indicator.id),
            lambda: withheld(
                session, city.id, indicator.id,
                audience=request.audience(city.id), networks=request.networks(city.id),
            ),
            city_id=city.id,
        ):  # fmt: skip
            raise NotFound("goal", f"{city.slug}/{goal.id}")
        level = request.rows(
            ("goals.level", city.id, goal.level_code),
            lambda: session.scalar(
                select(SpatialLevel).where(
                    SpatialLevel.city_id == city.id, SpatialLevel.code == goal.level_code
                )
            ),
        )
        if level is None:
            raise NotFound("level", goal.level_code)
        rows = request.rows(
            ("goals.areas", goal.id),
            lambda: session.scalars(
                select(GoalArea).where(GoalArea.goal_id == goal.id).order_by(GoalArea.area_code)
            ).all(),
        )
        codes = [r.area_code for r in rows]
        ids_of = request.rows(("goals.area-ids", level.id), partial(_area_ids, session, level))
        ids = sorted(i for code in set(codes) for i in ids_of.get(code, ()))  # as scope_of reads them
        scope = Scope(city, indicator, level, tuple(codes), tuple(ids))
        base_period = request.rows(
            ("goals.period", goal.baseline_period), lambda: _period(session, goal.baseline_period)
        )
        return _Prepared(indicator, tuple(rows), scope, base_period)

    return request.rows(("goals.prepared", goal.id), compute)


def goal_out(viewer: Viewer, goal: Goal, city: City) -> GoalOut:
    """The goal as the viewer may see it, its status computed from the data (:class:`NotFound` when the
    viewer may not see its indicator at all); worked out once per request and memoised per data version."""
    request = request_of(viewer)
    if goal.kind == GoalKind.PERFORMANCE:
        return request.memo(
            ("goals.out", goal.id), lambda: _performance_out(request, goal, city), city_id=city.id
        )
    prepared = _prepare(request, goal, city)
    return request.memo(
        ("goals.out", goal.id), lambda: _population_out(request, goal, city, prepared), city_id=city.id
    )


def goal_outs(viewer: Viewer, goals: Sequence[Goal], city: City) -> dict[int, GoalOut]:
    """The goals the viewer may see (the others left out), by id in the order given: the group values of all
    of them computed together (:func:`groups_of`) before each goal is worked out."""
    request = request_of(viewer)
    visible: list[Goal] = []
    scopes: list[Scope] = []
    ids = [goal.id for goal in goals if goal.kind != GoalKind.PERFORMANCE]
    by_goal: dict[int, list[GoalArea]] = {goal_id: [] for goal_id in ids}
    for row in request.session.scalars(
        select(GoalArea).where(GoalArea.goal_id.in_(ids)).order_by(GoalArea.goal_id, GoalArea.area_code)
    ):
        by_goal[row.goal_id].append(row)
    for goal_id, rows in by_goal.items():  # one read of every goal's areas
        request.rows(("goals.areas", goal_id), partial(tuple, rows))
    for goal in goals:
        if goal.kind == GoalKind.PERFORMANCE:
            visible.append(goal)
            continue
        try:
            scopes.append(_prepare(request, goal, city).scope)
        except NotFound:
            continue  # on an indicator the viewer's audience may not see
        visible.append(goal)
    groups_of(request, scopes)
    return {goal.id: goal_out(request, goal, city) for goal in visible}


def _population_out(request: Request, goal: Goal, city: City, prepared: _Prepared) -> GoalOut:
    """A population goal from its indicator's published values (module docs)."""
    viewer, session = request, request.session
    indicator, rows, scope = prepared.indicator, prepared.rows, prepared.scope
    audience = viewer.audience(city.id)
    base_period = prepared.base_period
    later = [p for p in periods_of(viewer, city, indicator) if p.end_date > base_period.end_date]
    polarity = Polarity(indicator.polarity)
    start = base_period.end_date

    # per area
    base_values = _values(viewer, scope, indicator, base_period)
    newest_first = [(period, _values(viewer, scope, indicator, period)) for period in reversed(later)]
    per_area: list[AreaProgress] = []
    for row in rows:
        cell = base_values.get(row.area_code)
        name = cell.area_name if cell is not None else row.area_code
        hidden = is_withheld(cell, audience)
        latest: Latest | None = None
        if not hidden and row.baseline_value is not None:
            for period, values in newest_first:
                value = values.get(row.area_code)
                if is_withheld(value, audience):
                    hidden = True
                    break
                if value is not None and value.value is not None:
                    latest = Latest(value=value.value, period=period.code)
                    latest_end = period.end_date
                    break
        if hidden:
            per_area.append(
                AreaProgress(
                    area=row.area_code, name=name,
                    baseline=Baseline(value=None, period=goal.baseline_period, revision=None),
                    target=None, status=None, withheld=True,
                )
            )  # fmt: skip
            continue
        baseline = Baseline(
            value=row.baseline_value, period=goal.baseline_period, revision=row.baseline_revision
        )
        if row.baseline_value is None:
            per_area.append(
                AreaProgress(area=row.area_code, name=name, baseline=baseline, target=None, status=None)
            )
            continue
        target = _area_target(goal, row.baseline_value)
        expected = (
            kernel.trajectory(row.baseline_value, target, start, goal.deadline, latest_end)
            if latest
            else None
        )
        direction = kernel.direction(polarity, row.baseline_value, target)
        per_area.append(
            AreaProgress(
                area=row.area_code, name=name, baseline=baseline, latest=latest, expected=expected,
                target=target, withheld=False,
                status=kernel.status(
                    latest=latest.value if latest else None, expected=expected, target=target,
                    direction=direction,
                ),
            )
        )  # fmt: skip

    # the group: the baseline is shown where its period's group value may be; the status where the latest may
    common = _common(session, goal, city, indicator, [r.area_code for r in rows])
    baseline_hidden = group_value(viewer, scope, base_period, since=start).withheld
    status_hidden = baseline_hidden
    group_latest: Latest | None = None
    group_expected: float | None = None
    if not baseline_hidden:
        for period in reversed(later):
            found = group_value(viewer, scope, period, since=start)
            if found.withheld:
                status_hidden = True
                break
            if found.value is not None:
                group_latest = Latest(value=found.value, period=period.code)
                group_expected = kernel.trajectory(
                    goal.baseline_value, goal.target_value, start, goal.deadline, period.end_date
                )
                break
    if baseline_hidden:
        # the change as set would give the baseline back from the target: only the target is shown
        common["target_change"] = None
        baseline = Baseline(value=None, period=goal.baseline_period, revision=None)
    else:
        baseline = Baseline(
            value=goal.baseline_value, period=goal.baseline_period, revision=goal.baseline_revision
        )
    if status_hidden:
        return GoalOut(
            **common,
            baseline=baseline, status=None, withheld=True,
            detectable_change=None if baseline_hidden else goal.detectable_change, per_area=per_area,
        )  # fmt: skip
    direction = kernel.direction(polarity, goal.baseline_value, goal.target_value)
    return GoalOut(
        **common,
        baseline=baseline, latest=group_latest, expected=group_expected,
        status=kernel.status(
            latest=group_latest.value if group_latest else None, expected=group_expected,
            target=goal.target_value, direction=direction,
        ),
        withheld=False, detectable_change=goal.detectable_change, per_area=per_area,
    )  # fmt: skip


def _end(code: str) -> date:
    return parse_period(code).end_date


def measure_values(session: Session, goal: Goal) -> list[GoalMeasureValue]:
    """The recorded values of a performance measure, oldest period first."""
    rows = session.scalars(select(GoalMeasureValue).where(GoalMeasureValue.goal_id == goal.id)).all()
    return sorted(rows, key=lambda r: _end(r.period_code))


def _performance_out(viewer: Viewer, goal: Goal, city: City) -> GoalOut:
    """A performance measure: its values are the programme's records, public like the goal itself."""
    start = _end(goal.baseline_period)
    later = [r for r in measure_values(viewer.session, goal) if _end(r.period_code) > start]
    latest = Latest(value=later[-1].value, period=later[-1].period_code) if later else None
    expected = (
        kernel.trajectory(
            goal.baseline_value, goal.target_value, start, goal.deadline, _end(later[-1].period_code)
        )
        if later
        else None
    )
    polarity = Polarity(goal.measure_polarity or Polarity.NEUTRAL)
    direction = kernel.direction(polarity, goal.baseline_value, goal.target_value)
    return GoalOut(
        **_common(viewer.session, goal, city, None),
        baseline=Baseline(value=goal.baseline_value, period=goal.baseline_period, revision=None),
        latest=latest, expected=expected,
        status=kernel.status(
            latest=latest.value if latest else None, expected=expected, target=goal.target_value,
            direction=direction,
        ),
        withheld=False, detectable_change=goal.detectable_change, per_area=[],
    )  # fmt: skip


def goal_series(viewer: Viewer, goal: Goal, city: City) -> GoalSeries:
    """The chart of a goal: the group's value per period (None where withheld or incomplete), the trajectory
    from the baseline period on, the target, and the city's published value for comparison (the goal is
    worked out once per request: its :func:`goal_out` is reused)."""
    request = request_of(viewer)
    return request.memo(("goals.series", goal.id), lambda: _series(request, goal, city), city_id=city.id)


def series_of(viewer: Viewer, goals: Sequence[Goal], city: City) -> dict[int, GoalSeries]:
    """The charts of the goals the viewer may see (the others left out), by id, from one pass over all of
    them (:func:`goal_outs`)."""
    request = request_of(viewer)
    visible = goal_outs(request, goals, city)
    return {goal.id: goal_series(request, goal, city) for goal in goals if goal.id in visible}


def _series(viewer: Request, goal: Goal, city: City) -> GoalSeries:
    out = goal_out(viewer, goal, city)  # raises NotFound for an invisible goal
    start = _end(goal.baseline_period)
    points: list[SeriesPoint] = []

    def line(end: date) -> float | None:
        if end < start or out.baseline.value is None:
            return None
        return kernel.trajectory(goal.baseline_value, goal.target_value, start, goal.deadline, end)

    if goal.kind == GoalKind.PERFORMANCE:
        for row in measure_values(viewer.session, goal):
            end = _end(row.period_code)
            points.append(
                SeriesPoint(
                    period=row.period_code,
                    end_date=end,
                    value=row.value,
                    trajectory=line(end),
                    target=goal.target_value,
                )
            )
    else:
        session = viewer.session
        prepared = _prepare(viewer, goal, city)  # goal_out's
        indicator, scope = prepared.indicator, prepared.scope
        total = viewer.memo(
            ("goals.city", indicator.id),
            lambda: indicators.city_values(
                session, city, indicator, audience=viewer.audience(city.id), networks=viewer.networks(city.id)
            ),
            city_id=city.id,
        )
        city_by_period = {p.period: p.value for p in total.points}
        for period in periods_of(viewer, city, indicator):
            found = group_value(viewer, scope, period)
            points.append(
                SeriesPoint(
                    period=period.code, end_date=period.end_date,
                    value=found.value,
                    trajectory=line(period.end_date), target=goal.target_value,
                    city_total=city_by_period.get(period.code),
                )
            )  # fmt: skip
    return GoalSeries(
        goal_id=goal.id, indicator=out.indicator, unit=out.unit, baseline=out.baseline,
        target_value=goal.target_value, deadline=goal.deadline, points=points,
    )  # fmt: skip


def counts(goals: Sequence[GoalOut]) -> dict[str, int]:
    """Goals per status (a withheld group status counts as ``withheld``), every status present."""
    found = {s.value: 0 for s in GoalStatus} | {"withheld": 0}
    for goal in goals:
        found[goal.status.value if goal.status is not None else "withheld"] += 1
    return found
