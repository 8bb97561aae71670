"""Typed inputs and results of the hub: practices, events, the items a search finds and its filter."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from bettercities.core.ids import DbId

__all__ = [
    "DocumentLink",
    "EventIn",
    "EventKind",
    "EventOut",
    "HubFilter",
    "HubItemOut",
    "ItemKind",
    "LinkedGoal",
    "LinkedIndicator",
    "PracticeIn",
    "PracticeOut",
]

Language = Literal["de", "en"]
Slug = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$", description="2 to 80 characters: a-z, digits, '-'.")


class ItemKind(StrEnum):
    PRACTICE = "practice"
    EVENT = "event"


class EventKind(StrEnum):
    WEBINAR = "webinar"
    WORKSHOP = "workshop"
    CONFERENCE = "conference"
    VISIT = "visit"


class DocumentLink(BaseModel):
    """A document of a practice: its title and address (http or https)."""

    title: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=500)


class PracticeIn(BaseModel):
    """A practice to add: who did it (city, network, programme), what was done, what came of it."""

    slug: str = Slug
    title: str = Field(min_length=1, max_length=200)
    language: Language = "en"
    city: str | None = Field(default=None, max_length=80, description="Slug of the city (registry or using).")
    network: str | None = Field(default=None, max_length=80)
    programme: str | None = Field(default=None, max_length=80, description="Default: the network's.")
    theme: str | None = Field(default=None, max_length=200)
    summary: str = Field(min_length=1, max_length=20_000, description="What was done.")
    results: str | None = Field(default=None, max_length=20_000)
    documents: list[DocumentLink] = Field(default_factory=list, max_length=50)
    indicators: list[str] = Field(default_factory=list, max_length=50, description="Indicator codes.")
    goals: list[DbId] = Field(default_factory=list, max_length=50, description="Goal ids of the city.")


class EventIn(BaseModel):
    """An event to add: a webinar (or workshop, conference, visit) with its outcomes and recommendations."""

    slug: str = Slug
    title: str = Field(min_length=1, max_length=200)
    kind: EventKind = EventKind.WEBINAR
    language: Language = "en"
    held_on: date
    network: str | None = Field(default=None, max_length=80)
    programme: str | None = Field(default=None, max_length=80, description="Default: the network's.")
    theme: str | None = Field(default=None, max_length=200)
    topic: str = Field(min_length=1, max_length=20_000)
    speakers: list[str] = Field(default_factory=list, max_length=50, description="Names or roles.")
    recording_url: str | None = Field(default=None, max_length=500)
    outcomes: str | None = Field(default=None, max_length=20_000)
    recommendations: list[str] = Field(default_factory=list, max_length=50)


class LinkedIndicator(BaseModel):
    code: str
    name_de: str
    name_en: str


class LinkedGoal(BaseModel):
    id: int
    title: str


class PracticeOut(BaseModel):
    """A practice as pages, API and CLI show it."""

    kind: Literal["practice"] = "practice"
    slug: str
    title: str
    language: str
    city: str | None
    city_name: str | None
    network: str | None
    network_name: str | None
    programme: str | None
    theme: str | None
    summary: str
    results: str | None
    documents: list[DocumentLink]
    indicators: list[LinkedIndicator]
    goals: list[LinkedGoal]
    created_by: str


class EventOut(BaseModel):
    """An event as pages, API and CLI show it."""

    kind: Literal["event"] = "event"
    slug: str
    title: str
    event_kind: EventKind
    language: str
    held_on: date
    network: str | None
    network_name: str | None
    programme: str | None
    theme: str | None
    topic: str
    speakers: list[str]
    recording_url: str | None
    outcomes: str | None
    recommendations: list[str]
    created_by: str


class HubItemOut(BaseModel):
    """One item a search or listing finds: a practice or an event, with an excerpt of its text."""

    kind: ItemKind
    slug: str
    title: str
    language: str
    theme: str | None
    city: str | None
    city_name: str | None
    network: str | None
    programme: str | None
    held_on: date | None
    excerpt: str
    rank: float | None = Field(default=None, description="Relevance (higher first); none without a query.")


class HubFilter(BaseModel):
    """What a search asks for (one filter for the page, its JSON twin, the API and the CLI)."""

    q: str | None = Field(default=None, max_length=200, description='Words; "a phrase", or, -without.')
    theme: str | None = Field(default=None, max_length=200)
    network: str | None = Field(default=None, max_length=80)
    city: str | None = Field(default=None, max_length=80)
    programme: str | None = Field(default=None, max_length=80)
    kind: ItemKind | None = None
