"""Typed inputs and results of goals: what a goal asks for (:class:`GoalIn`), its baseline, its status per
area and for the group (:class:`GoalOut`), the series a chart draws (:class:`GoalSeries`) and a city's
scorecard (:class:`Scorecard`).

Status is never stored: it is computed from the data each time a goal is read (``goals.status``).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from bettercities.core.timestamps import UtcDateTime
from bettercities.indicators.schemas import Polarity

__all__ = [
    "AreaProgress",
    "AreaSelection",
    "Baseline",
    "GoalIn",
    "GoalKind",
    "GoalOut",
    "GoalSeries",
    "GoalStatus",
    "Latest",
    "MeasureValueIn",
    "MeasureValueOut",
    "PerformanceKind",
    "Scorecard",
    "SelectionKind",
    "SeriesPoint",
    "problem_code",
]

#: Lengths of free text (title, owner, rationale, themes).
MAX_NAME = 200
MAX_TEXT = 4000
MAX_THEMES = 20
#: Codes (indicator, level, period, area, measure): the longest stored code is 80.
Code = Annotated[str, Field(min_length=1, max_length=80)]


class GoalStatus(StrEnum):
    """Where a goal stands against the straight trajectory from its baseline to its target."""

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    NO_NEW_DATA = "no_new_data"


class GoalKind(StrEnum):
    """Results-based accountability's two kinds: a population result on a city indicator, or a performance
    measure of a programme, whose values the programme records."""

    POPULATION = "population"
    PERFORMANCE = "performance"


class PerformanceKind(StrEnum):
    """The three questions a performance measure answers."""

    HOW_MUCH = "how_much"  # how much did we do?
    HOW_WELL = "how_well"  # how well did we do it?
    BETTER_OFF = "better_off"  # is anyone better off?


#: Free-text fields of a goal and a measure's value: too long or empty is ``invalid-text``, as the service
#: calls a control character in them.
_TEXTS = frozenset(
    {"title", "owner_unit", "owner_person", "rationale", "themes", "measure_name", "unit", "note"}
)
#: Fields that describe a performance measure (a wrong one is ``goal-invalid-measure``).
_MEASURE = frozenset({"performance_kind", "polarity", "baseline_value", "measure_name", "unit"})


def problem_code(detail: Any) -> str:
    """The problem code of a refused field of :class:`GoalIn` or :class:`MeasureValueIn` (pydantic's error
    detail, ``loc`` from the model's root), for the API's refused bodies: ``goal-invalid-areas`` (the area
    selection: its ``kind`` or ``value``), ``goal-invalid-measure`` (a performance measure's fields, or
    their combination with ``kind``), ``invalid-text`` (a text too long or empty, as the service names a
    control character in it), else ``goal-invalid-entry``."""
    loc = tuple(detail.get("loc", ()))
    kind = str(detail.get("type"))
    if loc[:1] == ("areas",):
        return "goal-invalid-areas"
    if loc[:1] and loc[0] in _TEXTS and kind.startswith("string_"):
        return "invalid-text"
    if (not loc and kind == "value_error") or (loc[:1] and loc[0] in _MEASURE):
        return "goal-invalid-measure"  # the model's own check of a measure's fields is on its root
    return "goal-invalid-entry"


class SelectionKind(StrEnum):
    """How a goal's areas were chosen."""

    AREAS = "areas"  # explicit area codes, comma-separated
    LEVEL = "level"  # every area of a level
    PRIORITY_SET = "priority_set"  # the areas of a saved priority set


class AreaSelection(BaseModel):
    """The selection a goal's areas were resolved from (kept with the goal beside the resolved codes)."""

    model_config = {"extra": "forbid", "frozen": True}

    kind: SelectionKind
    value: str = Field(
        min_length=1, max_length=4000, description="Comma-separated area codes, a level code or a set name."
    )


class GoalIn(BaseModel):
    """A goal to set: exactly one of ``target_value`` and ``target_change`` (relative to the baseline).

    A population goal reads its baseline from the stored observations of ``indicator`` in its areas (the
    latest period with data unless ``baseline_period``). A performance measure has no city indicator:
    ``indicator`` is the measure's own code, ``measure_name``, ``unit`` and ``polarity`` describe it, and
    its baseline is given (``baseline_value`` at ``baseline_period``); later values are recorded with
    :func:`bettercities.goals.service.record_measure`.
    """

    model_config = {"extra": "forbid"}

    title: str = Field(min_length=1, max_length=MAX_NAME)
    indicator: Code = Field(description="Indicator code (population) or the measure's code (performance).")
    areas: AreaSelection
    target_value: float | None = Field(default=None, description="The value to reach by the deadline.")
    target_change: float | None = Field(
        default=None, description="The change from the baseline to reach by the deadline (same unit)."
    )
    deadline: date
    owner_unit: str = Field(min_length=1, max_length=MAX_NAME)
    owner_person: str | None = Field(default=None, max_length=MAX_NAME)
    rationale: str | None = Field(default=None, max_length=MAX_TEXT)
    themes: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=MAX_THEMES
    )
    kind: GoalKind = GoalKind.POPULATION
    performance_kind: PerformanceKind | None = None
    priority_sets: list[Annotated[str, Field(min_length=1, max_length=MAX_NAME)]] = Field(
        default_factory=list, max_length=20, description="Names of saved priority sets the goal follows from."
    )
    baseline_period: Code | None = Field(
        default=None, description="Period of the baseline; default: the latest with data in the areas."
    )
    # performance measures only
    measure_name: str | None = Field(default=None, max_length=MAX_NAME)
    unit: str | None = Field(default=None, max_length=60)
    polarity: Polarity | None = None
    baseline_value: float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> GoalIn:
        # shape errors only: whether codes exist and data are there is the service's to say (Problems)
        if self.kind is GoalKind.PERFORMANCE:
            if self.performance_kind is None:
                raise ValueError(
                    "a performance measure needs performance_kind (how_much, how_well, better_off)"
                )
            if self.baseline_value is None or self.baseline_period is None:
                raise ValueError("a performance measure needs its baseline_value and baseline_period")
        elif self.performance_kind is not None or self.baseline_value is not None:
            raise ValueError("performance_kind and baseline_value are for performance measures only")
        return self


class Baseline(BaseModel):
    """A baseline value, the period it is of and the revision of the observation(s) it was taken from."""

    model_config = {"frozen": True}

    value: float | None = Field(description="None where the viewer may not see it.")
    period: str
    revision: int | None = Field(
        default=None, description="Highest revision among the observations read (None: a recorded measure)."
    )


class Latest(BaseModel):
    """The latest value newer than the baseline."""

    model_config = {"frozen": True}

    value: float
    period: str


class AreaProgress(BaseModel):
    """One area of a goal: its baseline, latest value, the trajectory's value then, and its status."""

    model_config = {"frozen": True}

    area: str
    name: str
    baseline: Baseline
    latest: Latest | None = None
    expected: float | None = Field(default=None, description="Trajectory value at the latest period.")
    target: float | None = Field(
        description="The area's target (None where withheld: it may reveal the baseline)."
    )
    status: GoalStatus | None = Field(description="None where withheld.")
    withheld: bool = Field(default=False, description="The viewer's audience may not see this area's values.")


class GoalOut(BaseModel):
    """A goal as a viewer may see it, with its status computed from the data."""

    model_config = {"frozen": True}

    id: int
    city: str
    title: str
    kind: GoalKind
    performance_kind: PerformanceKind | None = None
    indicator: str
    indicator_name: str = Field(description="The indicator's (or measure's) name in English.")
    indicator_name_de: str = Field(description="The indicator's (or measure's) name in German.")
    unit: str
    polarity: Polarity
    areas: AreaSelection
    area_codes: list[str] = Field(
        description="The areas the selection was resolved to when the goal was set."
    )
    baseline: Baseline = Field(description="The group's baseline.")
    target_value: float = Field(description="Absolute target (resolved from a change when one was given).")
    target_change: float | None = Field(default=None, description="The change as it was set, if it was.")
    deadline: date
    owner_unit: str
    owner_person: str | None
    rationale: str | None
    themes: list[str]
    priority_sets: list[str]
    latest: Latest | None = Field(
        default=None, description="The group's latest value newer than the baseline."
    )
    expected: float | None = Field(
        default=None, description="The group's trajectory value at the latest period."
    )
    status: GoalStatus | None = Field(description="The group's status; None where withheld.")
    withheld: bool = Field(
        default=False,
        description="The group's status is withheld: a value it needs is withheld from the viewer.",
    )
    detectable_change: float | None = Field(
        default=None,
        description="Smallest change distinguishable from year-to-year noise (None: too few years).",
    )
    detectability_warning: str | None = None
    polarity_warning: str | None = Field(
        default=None, description="Set when the target lies on the worse side of the baseline."
    )
    per_area: list[AreaProgress] = Field(default_factory=list)
    created_at: UtcDateTime
    created_by: str | None


class SeriesPoint(BaseModel):
    """One period of a goal's chart."""

    model_config = {"frozen": True}

    period: str
    end_date: date
    value: float | None = Field(description="The group's value (None: withheld or no data).")
    trajectory: float | None = Field(
        description="The straight line baseline -> target (None before the baseline)."
    )
    target: float
    city_total: float | None = Field(default=None, description="The city's value for comparison, if visible.")


class GoalSeries(BaseModel):
    """What a chart of a goal draws: group values per period, the trajectory, target and city total."""

    model_config = {"frozen": True}

    goal_id: int
    indicator: str
    unit: str
    baseline: Baseline
    target_value: float
    deadline: date
    points: list[SeriesPoint]


class Scorecard(BaseModel):
    """A city's goals as the viewer may see them, with counts by status."""

    model_config = {"frozen": True}

    city: str
    city_name: str
    goals: list[GoalOut]
    counts: dict[str, int] = Field(description="Goals per status (withheld group status: 'withheld').")
    data_version: int


class MeasureValueIn(BaseModel):
    """A value of a performance measure for a period, recorded by the programme."""

    model_config = {"extra": "forbid"}

    period: Code
    value: float
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class MeasureValueOut(BaseModel):
    """A recorded value of a performance measure."""

    model_config = {"frozen": True}

    goal_id: int
    period: str
    value: float
    note: str | None
    recorded_by: str | None
    recorded_at: UtcDateTime


#: What a goal listing may be filtered by (shared by the API and the pages).
StatusFilter = Literal["achieved", "on_track", "off_track", "no_new_data"]
