"""What the tandems domain takes and returns."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from bettercities.core.timestamps import UtcDateTime


class Stage(StrEnum):
    """The stages of a tandem's lifecycle, in order."""

    KICK_OFF = "kick-off"
    VISITS = "visits"
    WORKSHOPS = "workshops"
    OUTPUTS = "outputs"
    FOLLOW_UP = "follow-up"


class ActivityKind(StrEnum):
    KICK_OFF = "kick-off"
    VISIT = "visit"
    WORKSHOP = "workshop"
    MEETING = "meeting"
    WEBINAR = "webinar"
    OTHER = "other"


class OutputKind(StrEnum):
    ACTION_PLAN = "action_plan"
    REPORT = "report"
    OTHER = "other"


class OutputStatus(StrEnum):
    DRAFTED = "drafted"
    ADOPTED = "adopted"


class ActivityIn(BaseModel):
    kind: ActivityKind
    title: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date | None = None
    place: str | None = Field(default=None, max_length=200)
    participants: list[str] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _period(self) -> ActivityIn:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError(f"the activity ends ({self.ends_on}) before it starts ({self.starts_on})")
        return self


class DocumentIn(BaseModel):
    """A document: its title and a link (http/https) or the reference of an uploaded file."""

    title: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    file_ref: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one(self) -> DocumentIn:
        if not self.url and not self.file_ref:
            raise ValueError("a document needs a link or a file reference")
        return self


class OutputIn(BaseModel):
    kind: OutputKind = OutputKind.ACTION_PLAN
    title: str = Field(min_length=1, max_length=200)
    city: str | None = Field(default=None, max_length=80, description="The member city it is for (slug).")
    status: OutputStatus = OutputStatus.DRAFTED
    drafted_on: date
    adopted_on: date | None = None


class MemberOut(BaseModel):
    city: str
    city_name: str
    country: str
    application: int | None  # the selected application it came from


class StageOut(BaseModel):
    stage: Stage
    started_on: date
    note: str | None
    recorded_by: str


class ActivityOut(ActivityIn):
    id: int
    recorded_by: str
    recorded_at: UtcDateTime


class DocumentOut(BaseModel):
    id: int
    title: str
    url: str | None
    file_ref: str | None
    recorded_by: str
    recorded_at: UtcDateTime


class OutputOut(BaseModel):
    id: int
    kind: OutputKind
    title: str
    city: str | None
    status: OutputStatus
    drafted_on: date
    adopted_on: date | None


class GoalLinkOut(BaseModel):
    goal: int
    title: str
    city: str
    deadline: date
    output: int | None
    note: str | None


class TandemOut(BaseModel):
    """A tandem: its network row and its members."""

    slug: str
    name_de: str
    name_en: str
    programme: str
    start: date | None
    members: list[MemberOut]
    stage: Stage | None


class TandemDetail(TandemOut):
    """A tandem's page: stages, activities, documents, outputs and the goals it serves (those the viewer may
    see), with the member cities' goals it could link."""

    stages: list[StageOut]
    activities: list[ActivityOut]
    documents: list[DocumentOut]
    outputs: list[OutputOut]
    goals: list[GoalLinkOut]
    linkable_goals: list[GoalLinkOut]
