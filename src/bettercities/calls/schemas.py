"""What the calls domain takes and returns: calls, applications with their history, the panel's scores."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from bettercities.core.timestamps import UtcDateTime

SLUG = r"^[a-z0-9][a-z0-9-]{1,79}$"
CODE = r"^[a-z][a-z0-9_]{0,59}$"


class CallState(StrEnum):
    """Where a call stands: prepared (``draft``), taking applications in its window (``open``), ``closed``."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ApplicationState(StrEnum):
    """An application's status: draft → submitted → eligible | rejected → shortlisted → selected |
    rejected."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    SHORTLISTED = "shortlisted"
    SELECTED = "selected"
    REJECTED = "rejected"


#: The status changes allowed (from → to); every change is a row of the audited history.
TRANSITIONS: dict[ApplicationState, frozenset[ApplicationState]] = {
    ApplicationState.DRAFT: frozenset({ApplicationState.SUBMITTED}),
    ApplicationState.SUBMITTED: frozenset({ApplicationState.ELIGIBLE, ApplicationState.REJECTED}),
    ApplicationState.ELIGIBLE: frozenset({ApplicationState.SHORTLISTED, ApplicationState.REJECTED}),
    ApplicationState.SHORTLISTED: frozenset({ApplicationState.SELECTED, ApplicationState.REJECTED}),
    ApplicationState.SELECTED: frozenset(),
    ApplicationState.REJECTED: frozenset(),
}


class BodyType(StrEnum):
    """The type of body that applies."""

    MUNICIPALITY = "municipality"
    COUNTY = "county"
    ASSOCIATION = "association of municipalities"
    OTHER = "other public body"


class Combination(StrEnum):
    """How the reviewers' scores of an application are combined."""

    MEAN = "mean"  # the mean of the reviewers' weighted sums
    MEDIAN = "median"  # the median of the reviewers' weighted sums


class FormField(BaseModel):
    """A field of a call's application form."""

    code: str = Field(pattern=CODE)
    label_de: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)
    kind: Literal["text", "textarea"] = "textarea"
    required: bool = True
    max_length: int = Field(default=4000, ge=1, le=20000)


class Criterion(BaseModel):
    """A scoring criterion: its weight and its scale (0 to ``scale_max``)."""

    code: str = Field(pattern=CODE)
    label_de: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)
    weight: float = Field(gt=0, le=100)
    scale_max: float = Field(default=5, gt=0, le=100)


class CallIn(BaseModel):
    """A call to create. ``opens_at``/``closes_at`` without an offset are read in ``time_zone`` (an IANA
    name, e.g. Europe/Berlin); the window is [opens_at, closes_at)."""

    slug: str = Field(pattern=SLUG)
    programme: str = Field(pattern=SLUG)
    title_de: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=8000)
    themes: list[str] = Field(default_factory=list, max_length=50)
    opens_at: datetime
    closes_at: datetime
    time_zone: str = Field(min_length=1, max_length=64)
    countries: list[str] = Field(default_factory=list, max_length=60)
    size_classes: list[str] = Field(default_factory=list, max_length=10)
    body_types: list[BodyType] = Field(default_factory=list)
    form: list[FormField] = Field(default_factory=list, max_length=30)
    criteria: list[Criterion] = Field(default_factory=list, max_length=30)
    combination: Combination = Combination.MEAN


class CallOut(BaseModel):
    """A call as everyone sees it (window in the call's time zone)."""

    slug: str
    programme: str
    programme_name: str
    title_de: str
    title_en: str
    description: str | None
    themes: list[str]
    opens_at: datetime
    closes_at: datetime
    time_zone: str
    countries: list[str]
    size_classes: list[str]
    body_types: list[str]
    form: list[FormField]
    criteria: list[Criterion]
    combination: Combination
    state: CallState
    accepting: bool  # open and now within the window
    applications: int  # how many were submitted (a count, no names)


class ApplicationIn(BaseModel):
    """An application of a municipality (``city``: slug); ``submit`` submits it at once (else a draft)."""

    city: str = Field(min_length=1, max_length=80)
    body_type: BodyType = BodyType.MUNICIPALITY
    theme: str | None = Field(default=None, max_length=200)
    answers: dict[str, str] = Field(default_factory=dict)
    submit: bool = True
    time_zone: str | None = Field(default=None, max_length=64, description="The applicant's IANA zone.")


class StatusOut(BaseModel):
    status: ApplicationState
    at: UtcDateTime
    by: str
    reason: str | None = None


class ApplicationOut(BaseModel):
    """An application as its municipality's contacts and the programme's coordinators see it (no scores)."""

    id: int
    call: str
    city: str
    city_name: str
    country: str
    body_type: str
    theme: str | None
    answers: dict[str, str]
    status: ApplicationState
    created_at: UtcDateTime
    submitted_at: UtcDateTime | None
    history: list[StatusOut]
    ineligible: list[str]  # why the eligibility rules are not met (empty: met)


class StatusIn(BaseModel):
    status: ApplicationState
    reason: str | None = Field(default=None, max_length=4000)


class ScoreIn(BaseModel):
    """One reviewer's scores of an application, per criterion code."""

    values: dict[str, float]


class ReviewerScore(BaseModel):
    reviewer: str
    values: dict[str, float]
    weighted_sum: float | None  # None: not every criterion scored


class ApplicationScore(BaseModel):
    """The panel's scores of an application (coordinators and reviewers only; never public)."""

    application: int
    city: str
    city_name: str
    status: ApplicationState
    reviewers: list[ReviewerScore]
    combined: float | None
    method: str


class Ranking(BaseModel):
    """The applications of a call by their combined score (coordinators only)."""

    call: str
    method: str
    criteria: list[Criterion]
    applications: list[ApplicationScore]
