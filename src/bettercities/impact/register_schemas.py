"""Typed inputs and results of the impact register: an intervention (:class:`InterventionIn`,
:class:`InterventionOut`), a version of its evaluation plan (:class:`PlanIn`, :class:`PlanOut`) and an
evaluation run (:class:`RunIn`, :class:`RunOut`) with the :class:`~bettercities.impact.schemas.EstimateResult`
it stored. The designs' own types are in :mod:`bettercities.impact.schemas`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from bettercities.core.timestamps import UtcDateTime
from bettercities.goals.schemas import AreaSelection
from bettercities.impact.schemas import ControlGroup, Design, EstimateResult, Verdict

__all__ = [
    "AreaSelection",
    "Departure",
    "GoalRef",
    "IndicatorRef",
    "InterventionIn",
    "InterventionKind",
    "InterventionOut",
    "PlanIn",
    "PlanOut",
    "RunIn",
    "RunOut",
    "RunSettings",
    "RunSummary",
]

MAX_NAME = 200
MAX_TEXT = 4000
Code = Annotated[str, Field(min_length=1, max_length=80)]
PeriodCode = Annotated[str, Field(min_length=1, max_length=20)]


class InterventionKind(StrEnum):
    """What kind of measure an intervention is."""

    NEIGHBOURHOOD_MANAGEMENT = "neighbourhood_management"
    YOUTH_WORK = "youth_work"
    SERVICE = "service"
    INFRASTRUCTURE = "infrastructure"
    OTHER = "other"


class InterventionIn(BaseModel):
    """An intervention to register: its treated areas are given as goals select theirs (area codes, a level
    or a saved priority set); ``budget_cents`` in cents of ``currency``."""

    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=MAX_NAME)
    description: str | None = Field(default=None, max_length=MAX_TEXT)
    kind: InterventionKind = InterventionKind.OTHER
    areas: AreaSelection
    start_period: PeriodCode = Field(description="The first period with the measure (2021, 2021-Q3 …).")
    end_period: PeriodCode | None = Field(default=None, description="The last period; empty: ongoing.")
    budget_cents: int | None = Field(default=None, ge=0, le=10**15)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    responsible_unit: str = Field(min_length=1, max_length=MAX_NAME)
    indicators: list[Code] = Field(default_factory=list, max_length=50)
    goals: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(default_factory=list, max_length=50)


class IndicatorRef(BaseModel):
    """An indicator by its code and names."""

    code: str
    name: str
    name_de: str | None = None


class GoalRef(BaseModel):
    """A goal by its id and title."""

    id: int
    title: str


class RunSummary(BaseModel):
    """One evaluation run of an intervention, in a list."""

    id: int
    created_at: UtcDateTime
    design: Design
    indicator: str
    verdict: Verdict
    evidence_level: int
    estimate: float
    followed_plan: bool
    plan_version: int | None
    audience: str


class PlanOut(BaseModel):
    """A registered version of an evaluation plan (locked: a change is the next version)."""

    id: int
    intervention_id: int
    version: int
    indicator: str
    indicator_name: str
    indicator_name_de: str | None = None
    design: Design
    comparison: list[str]
    pre_start: str
    pre_end: str
    post_start: str
    post_end: str | None
    control_group: ControlGroup
    alpha: float
    analysis: str | None
    registered_by: str | None
    registered_at: UtcDateTime


class InterventionOut(BaseModel):
    """An intervention with its treated areas, links, plan versions and runs."""

    id: int
    city: str
    name: str
    description: str | None
    kind: InterventionKind
    areas: AreaSelection
    level: str | None
    area_codes: list[str]
    priority_set: str | None
    start_period: str
    end_period: str | None
    budget_cents: int | None
    currency: str
    responsible_unit: str
    indicators: list[IndicatorRef]
    goals: list[GoalRef]
    plans: list[PlanOut] = Field(default_factory=list, description="Every registered version, oldest first.")
    runs: list[RunSummary] = Field(default_factory=list, description="Runs the viewer may see, newest first.")
    created_by: str | None
    created_at: UtcDateTime


class PlanIn(BaseModel):
    """An evaluation plan (or its next version): the outcome indicator, the design, the comparison areas (or
    donor pool; empty: the other areas of the treated areas' level), the pre- and post-periods (defaults:
    from the outcome's first period with data to the period before the start; from the start on, open) and
    the analysis in words."""

    model_config = {"extra": "forbid"}

    indicator: Code
    design: Design
    comparison: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=5000
    )
    pre_start: PeriodCode | None = None
    pre_end: PeriodCode | None = None
    post_start: PeriodCode | None = None
    post_end: PeriodCode | None = None
    control_group: ControlGroup = ControlGroup.NEVER_TREATED
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    analysis: str | None = Field(default=None, max_length=MAX_TEXT)


class RunSettings(BaseModel):
    """What an evaluation run estimated: the plan's analytic choices, as run."""

    indicator: str
    design: Design
    comparison: list[str]
    pre_start: str
    pre_end: str
    post_start: str
    post_end: str | None
    control_group: ControlGroup
    alpha: float


class RunIn(BaseModel):
    """An evaluation run: the latest plan version's settings, each of which may be overridden (a run that
    overrides one does not follow the plan, and says so)."""

    model_config = {"extra": "forbid"}

    indicator: Code | None = None
    design: Design | None = None
    comparison: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = Field(
        default=None, max_length=5000
    )
    pre_start: PeriodCode | None = None
    pre_end: PeriodCode | None = None
    post_start: PeriodCode | None = None
    post_end: PeriodCode | None = None
    control_group: ControlGroup | None = None
    alpha: float | None = Field(default=None, gt=0, lt=0.5)


class Departure(BaseModel):
    """A setting in which a run departed from the plan registered before it: what was planned and what was
    run (``setting`` "plan": no plan was registered before the run)."""

    setting: str = Field(
        description="indicator, design, pre_start, pre_end, post_start, post_end, comparison, …"
    )
    planned: str | None = None
    run: str | None = None


class RunOut(BaseModel):
    """A stored evaluation run: the result, what was run, the plan version in force before the run and
    whether the run followed it (with the differences), the data version and audience it read."""

    id: int
    city: str
    intervention_id: int
    intervention: str
    plan_version: int | None
    followed_plan: bool
    differences: list[str] = Field(description="The departures from the plan in plain English.")
    departures: list[Departure] = Field(default_factory=list)
    settings: RunSettings
    indicator_name: str
    indicator_name_de: str | None = None
    unit: str | None = None
    audience: str
    data_version: int
    treated_areas: list[str]
    comparison_areas: list[str]
    withheld_cells: int = Field(default=0, description="Cells withheld from the run's audience, not used.")
    left_out_areas: list[str] = Field(
        default_factory=list, description="Areas left out for lacking a usable value in some period."
    )
    notes: list[str] = Field(default_factory=list, description="How the panel was built, in plain English.")
    result: EstimateResult
    created_by: str | None
    created_at: UtcDateTime
