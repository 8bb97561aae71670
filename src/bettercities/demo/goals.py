"""The demo city's goals: three goals on its public priority set, one achieved, one on track and one off
track, chosen from its own data and set through :func:`bettercities.goals.service.add_goal` as a planner
would (``bettercities goals add``).

The status of a goal is never typed: the library computes it from the stored observations each time the goal
is read. What the demo chooses is the indicator, the baseline period and the target, from the group values of
the set's areas **as the public sees them** (:mod:`bettercities.goals.progress`), so that the computed status
is the intended one:

* a candidate is an indicator with a polarity (neutral ones have no good direction of their own) whose
  group value in the set is published both in the last year and in a baseline year ``last - k``
  (``k`` = 1, 2, 3, where the demo has that year); its improvement is ``Δ = d · (y - b)`` with ``d`` = +1
  where higher is better, -1 where higher is worse, ``b`` the baseline and ``y`` the last year's value;
* the indicators are scanned in the order of :data:`PREFERENCE` (child poverty first) and only until the
  three goals are found (each costs a publication step); an improved indicator's baseline year is the one
  with the largest relative improvement ``Δ/|b|``;
* all goals have the deadline 31 December of ``last + 4``; ``f`` is the share of the trajectory from the
  baseline to the deadline that has passed at the last year's end (``goals.status.trajectory``);
* **achieved**: the first improved indicator (``Δ > 0``); target change ``Δ/2`` (already passed);
* **on track**: the second improved indicator; target change ``Δ(1 + 1/f)/2``, between ``Δ`` (not reached
  yet) and ``Δ/f`` (the trajectory at the last year is no further than the value);
* **off track**: the first indicator scanned that is not used yet, at its latest baseline year; target change
  ``max(|b|/10, 2Δ/f)``, beyond what the last year's value keeps up with.

Targets are rounded to one or two decimals where the rounded target keeps the status (checked with the same
kernel), else kept as computed. When the set has too few fitting candidates (fewer than two indicators
improved there, as in the 120-area demo), the candidates of the whole city (level ``district``, every area)
are added and the missing goals taken from them. A goal with no fitting candidate even then is left out, as
are all goals when the demo has a single year: a trajectory needs a baseline year before the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.analysis.priority import service as priority
from bettercities.areas import service as areas
from bettercities.areas.models import City, SpatialLevel
from bettercities.goals import progress
from bettercities.goals import service as goals
from bettercities.goals import status as kernel
from bettercities.goals.schemas import AreaSelection, GoalIn, GoalOut, GoalStatus, SelectionKind
from bettercities.indicators.models import Indicator
from bettercities.indicators.schemas import Polarity
from bettercities.publication import Audience

USER = "bettercities demo"
#: Years before the last one a baseline may lie in.
BASELINE_LAGS = (1, 2, 3)
#: The statuses the demo's goals are chosen to have, in the order they are set.
GOALS = (GoalStatus.ACHIEVED, GoalStatus.ON_TRACK, GoalStatus.OFF_TRACK)
#: The level whose areas make up the whole city: goals no indicator of the priority set fits are set there.
CITY_LEVEL = "district"
#: Years after the last one the goals' deadline lies in (31 December).
HORIZON = 4
#: Indicators an off-track goal is looked for in, most telling first; the others follow in code order.
PREFERENCE = (
    "child_poverty",
    "unemployment",
    "transfer_benefits",
    "long_term_unemployment",
    "single_parent_households",
    "old_age_poverty",
    "residential_mobility",
    "residential_duration_5y",
)
#: Units as a German title writes them (others are left out of titles).
UNITS = {"%": "%", "per 100 inhabitants": "je 100 Einwohnerinnen und Einwohner"}
#: Who owns a goal on an indicator (by its theme; child poverty the youth office).
OWNERS = {
    "child_poverty": "Jugendamt",
    "labour": "Jobcenter Auenstedt",
    "poverty": "Sozialamt",
    "demography": "Jugendamt",
    "housing": "Amt für Stadtentwicklung und Wohnen",
}


@dataclass(frozen=True)
class Selection:
    """Areas goals may be set on: the selection as a planner gives it, its level and area codes."""

    areas: AreaSelection
    level: SpatialLevel
    codes: tuple[str, ...]
    label: str  # how a title names the areas


@dataclass(frozen=True)
class Candidate:
    """An indicator's published group values in a selection: baseline ``b`` in ``period``, last year's
    ``y``."""

    selection: Selection
    indicator: Indicator
    period: str
    baseline: float
    latest: float
    share: float  # f: the part of the trajectory passed at the last year's end
    direction: int

    @property
    def improvement(self) -> float:
        return self.direction * (self.latest - self.baseline)

    @property
    def relative(self) -> float:
        return self.improvement / abs(self.baseline) if self.baseline else 0.0


def _selections(session: Session, city: City, set_name: str) -> list[Selection]:
    """The public priority set, then the whole city as its districts (the fallback of a goal no indicator
    of the set fits)."""
    found = priority.get_set(session, city.slug, set_name, audience=Audience.PUBLIC)
    level = areas.get_level(session, city, found.level)
    chosen = [
        Selection(
            AreaSelection(kind=SelectionKind.PRIORITY_SET, value=set_name),
            level,
            tuple(sorted({a.area_id for a in found.areas})),
            "in den Planungsräumen mit niedrigem Status",
        )
    ]
    district = session.scalar(
        select(SpatialLevel).where(SpatialLevel.city_id == city.id, SpatialLevel.code == CITY_LEVEL)
    )
    if district is not None:
        codes = tuple(a.code for a in areas.areas_of_level(session, district))
        chosen.append(
            Selection(
                AreaSelection(kind=SelectionKind.LEVEL, value=CITY_LEVEL), district, codes, "gesamtstädtisch"
            )
        )
    return [s for s in chosen if s.codes]


def _ordered(session: Session) -> list[Indicator]:
    """The indicators with a polarity: :data:`PREFERENCE` first, the others in code order."""
    rows = session.scalars(select(Indicator).where(Indicator.polarity != Polarity.NEUTRAL.value)).all()
    order = {code: i for i, code in enumerate(PREFERENCE)}
    return sorted(rows, key=lambda i: (order.get(i.code, len(order)), i.code))


def _candidates(
    viewer: progress.FixedViewer,
    city: City,
    selection: Selection,
    indicator: Indicator,
    years: tuple[int, int],
    deadline: date,
) -> list[Candidate]:
    """The baseline years of ``indicator`` in ``selection`` whose group value the public sees, as the last
    year's (``years``: the demo's first and last year)."""
    first_year, last_year = years
    lags = [lag for lag in BASELINE_LAGS if last_year - lag >= first_year]
    scope = progress.scope_of(viewer.session, city, indicator, selection.level, selection.codes)
    by_code = {p.code: p for p in progress.periods_of(viewer, city, indicator)}
    values = progress.group_values(viewer, scope, since=date(last_year - max(lags), 12, 31))
    last = by_code.get(str(last_year))
    latest = values.get(last.id) if last is not None else None
    if last is None or latest is None or latest.value is None:
        return []
    direction = kernel.direction(indicator.polarity, 0.0, 1.0)
    found = []
    for lag in lags:
        base = by_code.get(str(last_year - lag))
        value = values.get(base.id) if base is not None else None
        if base is None or value is None or value.value is None:
            continue
        share = kernel.trajectory(0.0, 1.0, base.end_date, deadline, last.end_date)
        found.append(Candidate(selection, indicator, base.code, value.value, latest.value, share, direction))
    return found


def _target(candidate: Candidate, change: float, intended: GoalStatus, deadline: date, last: date) -> float:
    """The target ``change`` better than the baseline, rounded if that keeps the status."""
    b, d = candidate.baseline, candidate.direction
    exact = b + d * change
    for target in (round(exact, 1), round(exact, 2), exact):
        expected = kernel.trajectory(b, target, date(int(candidate.period), 12, 31), deadline, last)
        if kernel.wrong_side(candidate.indicator.polarity, b, target):
            continue
        got = kernel.status(latest=candidate.latest, expected=expected, target=target, direction=d)
        if got is intended:
            return target
    return exact


def _choose(scanned: list[list[Candidate]]) -> list[tuple[GoalStatus, Candidate, float]]:
    """The candidate and target change of each goal (module docs) from the candidates of the indicators
    scanned so far, one list per (selection, indicator) in scan order; a goal without one is left out."""
    chosen: list[tuple[GoalStatus, Candidate, float]] = []
    improved = [
        max(found, key=lambda c: (c.relative, c.period))
        for found in scanned
        if any(c.improvement > 0 for c in found)
    ]
    used: set[str] = set()
    for intended, pick in zip(GOALS[:2], _distinct(improved), strict=False):
        used.add(pick.indicator.code)
        delta = pick.improvement
        change = delta / 2 if intended is GoalStatus.ACHIEVED else delta * (1 + 1 / pick.share) / 2
        chosen.append((intended, pick, change))
    # off track: the latest baseline of the first indicator scanned and not used
    rest = next((found for found in scanned if found and found[0].indicator.code not in used), None)
    if rest:
        pick = max(rest, key=lambda c: int(c.period))
        change = max(abs(pick.baseline) / 10, 2 * max(pick.improvement, 0.0) / pick.share)
        if change > 0:
            chosen.append((GoalStatus.OFF_TRACK, pick, change))
    return chosen


def _distinct(candidates: list[Candidate]) -> list[Candidate]:
    """The first candidate of each indicator."""
    first: dict[str, Candidate] = {}
    for candidate in candidates:
        first.setdefault(candidate.indicator.code, candidate)
    return list(first.values())


def _number(value: float, unit: str) -> str:
    """A value as a German text writes it (decimal comma) with its unit in German."""
    shown = f"{round(value, 2):g}".replace(".", ",")
    return f"{shown} {UNITS[unit]}" if UNITS.get(unit) else shown


def _title(candidate: Candidate, target: float, deadline: date) -> str:
    verb = "senken" if candidate.direction < 0 else "steigern"
    indicator, where = candidate.indicator, candidate.selection.label
    return f"{indicator.name_de} {where} bis {deadline.year} auf {_number(target, indicator.unit)} {verb}"


def _rationale(candidate: Candidate, set_name: str) -> str:
    indicator = candidate.indicator
    where = (
        f"in den Planungsräumen mit niedrigem oder sehr niedrigem sozialem Status ({set_name}), den "
        "Fördergebieten der Stadt,"
        if candidate.selection.areas.kind is SelectionKind.PRIORITY_SET
        else "in der ganzen Stadt"
    )
    return (
        f"{indicator.name_de} {where} lag {candidate.period} bei "
        f"{_number(candidate.baseline, indicator.unit)} und im letzten Jahr bei "
        f"{_number(candidate.latest, indicator.unit)}."
    )


def _owner(indicator: Indicator) -> str:
    return OWNERS.get(indicator.code) or OWNERS.get(indicator.theme or "", OWNERS["housing"])


def add_goals(
    session: Session, city: City, *, set_name: str, first_year: int, last_year: int
) -> list[GoalOut]:
    """Set the demo's goals on the public priority set ``set_name`` (module docs); the goals set, as the
    writer sees them (none when the demo has no year before ``last_year``)."""
    if first_year >= last_year:
        return []  # no baseline year before the last: no trajectory
    deadline = date(last_year + HORIZON, 12, 31)
    last = date(last_year, 12, 31)
    viewer = progress.FixedViewer(session, Audience.PUBLIC)
    scanned: list[list[Candidate]] = []
    chosen: list[tuple[GoalStatus, Candidate, float]] = []
    indicators = _ordered(session)
    for selection in _selections(session, city, set_name):
        for indicator in indicators:  # until the goals are found: each indicator costs a publication step
            scanned.append(_candidates(viewer, city, selection, indicator, (first_year, last_year), deadline))
            chosen = _choose(scanned)
            if len(chosen) == len(GOALS):
                break
        if len(chosen) == len(GOALS):
            break
    stored: list[GoalOut] = []
    for intended, candidate, change in chosen:
        target = _target(candidate, change, intended, deadline, last)
        indicator = candidate.indicator
        stored.append(
            goals.add_goal(
                session,
                city,
                GoalIn(
                    title=_title(candidate, target, deadline),
                    indicator=indicator.code,
                    areas=candidate.selection.areas,
                    target_value=target,
                    deadline=deadline,
                    owner_unit=_owner(indicator),
                    rationale=_rationale(candidate, set_name),
                    themes=[indicator.theme] if indicator.theme else [],
                    baseline_period=candidate.period,
                ),
                actor=USER,
            )
        )
    return stored


__all__ = ["add_goals"]
