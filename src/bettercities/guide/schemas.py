"""Typed inputs and results of the guide builder: a stored guide and the document compiled from it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from bettercities.guide.chapters import Chapter
from bettercities.hub.schemas import PracticeOut

__all__ = [
    "ChapterOut",
    "FigureOut",
    "GuideDocument",
    "GuideIn",
    "GuideItemIn",
    "GuideOut",
    "RecommendationOut",
    "SurveySection",
]


class GuideItemIn(BaseModel):
    """A practice or event (by slug) selected for a chapter."""

    slug: str = Field(max_length=80)
    chapter: Chapter


class GuideIn(BaseModel):
    """A guide to store: what to compile for a programme (saving it again replaces the selection)."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    programme: str = Field(max_length=80)
    title_de: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    intros: dict[Chapter, dict[str, str]] = Field(
        default_factory=dict, description="Per chapter, its introduction per language (de, en)."
    )
    survey: str | None = Field(default=None, max_length=80, description="Default: the programme's survey.")
    practices: list[GuideItemIn] = Field(default_factory=list, max_length=100)
    events: list[GuideItemIn] = Field(default_factory=list, max_length=100)


class GuideOut(BaseModel):
    """A stored guide."""

    slug: str
    programme: str
    title_de: str
    title_en: str
    intros: dict[str, dict[str, str]]
    survey: str | None
    practices: list[GuideItemIn]
    events: list[GuideItemIn]
    created_by: str


class FigureOut(BaseModel):
    """A figure drawn from the data at build time: the SVG, the numbers as a table, its source and date."""

    title: str
    svg: str
    rows: list[tuple[str, str]] = Field(description="The figure's numbers: (label, value as written).")
    source: str
    as_of: date


class RecommendationOut(BaseModel):
    event: str
    event_title: str
    held_on: date
    text: str
    language: str = Field(description="The event's language (de or en): the recommendation's text is in it.")


class SurveySection(BaseModel):
    """What a chapter says of the survey: its figures, or plainly why there are none."""

    survey: str | None
    title: str | None
    respondents: int | None
    note: str | None = Field(default=None, description="Why no results are shown, in the guide's language.")
    figures: list[FigureOut] = Field(default_factory=list)
    withheld: list[str] = Field(default_factory=list, description="Questions whose results are withheld.")


class ChapterOut(BaseModel):
    code: Chapter
    number: int
    title: str
    intro: str | None
    survey: SurveySection
    practices: list[PracticeOut]
    recommendations: list[RecommendationOut]
    figures: list[FigureOut]


class GuideDocument(BaseModel):
    """The compiled guide in one language."""

    slug: str
    lang: str
    title: str
    programme: str
    programme_name: str
    generated: date
    overview: list[FigureOut]
    chapters: list[ChapterOut]
