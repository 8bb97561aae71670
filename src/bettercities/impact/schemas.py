"""Typed inputs and results of impact evaluation: what to estimate (:class:`EstimateSpec`), what a design
returns (:class:`DesignOutput`) and the full result with verdict and evidence label (:class:`EstimateResult`).

``RESULT.json`` of ``bettercities impact estimate … --out RESULT.json`` is
``EstimateResult.model_dump(mode="json")``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from bettercities.indicators.schemas import Polarity

__all__ = [
    "Aggregation",
    "ControlGroup",
    "Design",
    "DesignOutput",
    "Diagnostics",
    "EstimateResult",
    "EstimateSpec",
    "EventTimePoint",
    "GroupTime",
    "PlaceboResult",
    "SeriesPoint",
    "Term",
    "Verdict",
]


class Design(StrEnum):
    """An evaluation design, registered in :data:`bettercities.impact.designs.DESIGNS`."""

    DID = "did"
    TWFE = "twfe"
    STAGGERED_DID = "staggered-did"
    SYNTHETIC_CONTROL = "synthetic-control"
    ITS = "its"


class ControlGroup(StrEnum):
    """Which units serve as comparison in staggered adoption."""

    NEVER_TREATED = "never-treated"
    NOT_YET_TREATED = "not-yet-treated"


class Verdict(StrEnum):
    """The plain-language verdict: better/worse when the indicator's polarity is known, increase/decrease when
    it is not (or neutral), no detectable change when the interval includes zero."""

    BETTER = "better"
    WORSE = "worse"
    NO_DETECTABLE_CHANGE = "no_detectable_change"
    INCREASE = "increase"
    DECREASE = "decrease"


class EstimateSpec(BaseModel):
    """What to estimate: the design and the column names of a long panel (one row per unit and period)."""

    design: Design
    unit: str
    time: str
    outcome: str
    #: 0/1 column: unit treated in that period (did, twfe; its optional)
    treatment: str | None = None
    #: first treated period per unit, 0 or empty = never treated (staggered-did)
    cohort: str | None = None
    #: the one treated unit (synthetic-control, its)
    treated_unit: str | None = None
    #: first treated period (synthetic-control, its; did when there is no treatment column)
    treatment_start: int | None = None
    covariates: list[str] = Field(default_factory=list)
    control_group: ControlGroup = ControlGroup.NEVER_TREATED
    #: its: periods per cycle (12 monthly, 4 quarterly), None = no seasonal terms
    seasonality: int | None = Field(default=None, ge=2)
    #: 1 - confidence level
    alpha: float = Field(default=0.05, gt=0, lt=1)
    #: from the indicator; None = unknown
    polarity: Polarity | None = None
    #: synthetic-control: placebo-in-space inference
    placebos: bool = True
    #: the treated areas were chosen by this indicator -> regression-to-the-mean warning
    selected_on_outcome: bool = False


class EventTimePoint(BaseModel):
    """One event-study coefficient: periods relative to the start (-1 is the reference, shown as 0)."""

    event_time: int
    estimate: float
    se: float | None
    ci_low: float | None
    ci_high: float | None


class Term(BaseModel):
    """One coefficient of a design's model that a reader may want besides the headline estimate (its: the
    level change and the slope change; did: the group and period differences)."""

    name: str
    estimate: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None = None


class GroupTime(BaseModel):
    """A group-time average treatment effect ATT(g, t) (Callaway & Sant'Anna)."""

    group: int
    time: int
    att: float
    se: float | None
    ci_low: float | None
    ci_high: float | None


class Aggregation(BaseModel):
    """An aggregation of group-time effects; ``points`` per group / event time / calendar time:
    ``{"key": g_or_e_or_t, "estimate": …, "se": …, "ci_low": …, "ci_high": …}``."""

    kind: Literal["simple", "group", "dynamic", "calendar"]
    estimate: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    points: list[dict[str, float | int | None]] = Field(default_factory=list)


class PlaceboResult(BaseModel):
    """A placebo-in-space run: a donor treated as if it had the measure."""

    unit: str
    pre_rmspe: float
    post_rmspe: float
    ratio: float


class SeriesPoint(BaseModel):
    """What a counterfactual chart draws: the treated group's observed mean and the estimate without the
    measure (with its interval) per period."""

    time: int
    observed: float | None
    counterfactual: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    treated: bool


class Diagnostics(BaseModel):
    """Diagnostics of a design run: sizes, pre-trend test, event study, fit, placebos and plain-language
    notes."""

    #: joint test of the pre-period event-study coefficients = 0 (did/twfe/staggered)
    pre_trend_p: float | None = None
    pre_trend_note: str | None = None
    event_study: list[EventTimePoint] = Field(default_factory=list)
    #: synthetic control
    pre_rmspe: float | None = None
    post_rmspe: float | None = None
    #: standard deviation (ddof=0) of the treated unit's pre-period outcomes: the scale of a good fit
    #: (:func:`bettercities.impact.evidence.good_fit`)
    pre_outcome_sd: float | None = None
    #: permutation p-value (rank of the treated post/pre RMSPE ratio)
    placebo_p: float | None = None
    placebos: list[PlaceboResult] = Field(default_factory=list)
    n_units: int
    n_periods: int
    n_treated: int
    n_pre_periods: int
    n_post_periods: int
    #: the design compared the treated units with untreated ones (its without comparison: False)
    has_comparison: bool = True
    #: its: Durbin-Watson statistic of the residuals; other designs: None
    durbin_watson: float | None = None
    #: its: lags of the Newey-West standard errors
    hac_lags: int | None = None
    #: further coefficients of the model (its: level and slope change)
    terms: list[Term] = Field(default_factory=list)
    #: plain-language diagnostics
    notes: list[str] = Field(default_factory=list)


class DesignOutput(BaseModel):
    """What a design function returns: everything of :class:`EstimateResult` but the spec, the verdict and
    the evidence label, which :func:`bettercities.impact.designs.estimate` adds the same way for all
    designs."""

    estimate: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    #: plain words, English
    method: str
    #: e.g. "statsmodels 0.14.2", "pysyncon 1.5.1"
    library: str
    assumptions: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    diagnostics: Diagnostics
    series: list[SeriesPoint] = Field(default_factory=list)
    #: synthetic control: donor -> weight
    weights: dict[str, float] | None = None
    #: staggered did
    group_time: list[GroupTime] | None = None
    #: staggered did: simple, group, dynamic, calendar
    aggregations: dict[str, Aggregation] | None = None


class EstimateResult(BaseModel):
    """The result of one evaluation: the estimate with its interval, verdict, evidence label, method,
    assumptions, warnings and diagnostics."""

    design: Design
    spec: EstimateSpec
    estimate: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    verdict: Verdict
    #: Maryland Scientific Methods Scale 1-5
    evidence_level: int = Field(ge=1, le=5)
    evidence_reason: str
    #: plain words, English
    method: str
    library: str
    assumptions: list[str]
    warnings: list[str]
    diagnostics: Diagnostics
    series: list[SeriesPoint] = Field(default_factory=list)
    weights: dict[str, float] | None = None
    group_time: list[GroupTime] | None = None
    aggregations: dict[str, Aggregation] | None = None
