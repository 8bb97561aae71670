"""Typed forms and results of surveys: a questionnaire as read from its XLSForm (:class:`FormDefinition`),
a survey with its versions (:class:`SurveyOut`), a municipality's response (:class:`ResponseOut`), the
results per group with small groups withheld (:class:`SurveyResults`) and a city's gaps
(:class:`GapAnalysis`)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from bettercities.core.timestamps import UtcDateTime

__all__ = [
    "QUESTION_TYPES",
    "AnswerCount",
    "Choice",
    "FormDefinition",
    "GapAnalysis",
    "GapRow",
    "GroupResult",
    "Item",
    "QuestionResult",
    "ResponseOut",
    "SurveyOut",
    "SurveyResults",
    "SurveyStatus",
    "VersionOut",
]

#: The XLSForm question types a form may use (``select_one``/``select_multiple`` name their choice list).
QUESTION_TYPES = ("select_one", "select_multiple", "text", "integer", "decimal", "date", "note")
#: The default minimum group size of results (privacy's minimum-frequency rule: counts 1 and 2 withheld).
MIN_GROUP_SIZE = 3

Labels = dict[str, str]


class SurveyStatus(StrEnum):
    """A survey is drafted, open for responses, or closed (responses can no longer change)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Choice(BaseModel):
    """One answer of a choice list."""

    name: str
    label: Labels = Field(default_factory=dict)


class Item(BaseModel):
    """A question, a note or a group (with its items) of a form, with the spreadsheet row it came from."""

    kind: Literal["select_one", "select_multiple", "text", "integer", "decimal", "date", "note", "group"]
    name: str
    row: int
    label: Labels = Field(default_factory=dict)
    hint: Labels = Field(default_factory=dict)
    list_name: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Labels = Field(default_factory=dict)
    required: str | None = Field(default=None, description="'yes', or an expression that makes it required")
    required_message: Labels = Field(default_factory=dict)
    gap: Literal["holds", "needs"] | None = Field(
        default=None, description="a select_multiple over the reference topics read by the gap analysis"
    )
    items: list[Item] = Field(default_factory=list)

    def label_in(self, lang: str, fallback: str) -> str:
        return self.label.get(lang) or self.label.get(fallback) or next(iter(self.label.values()), self.name)


class FormDefinition(BaseModel):
    """A questionnaire as read from its XLSForm: title and languages, its items in order."""

    form_id: str
    title: Labels
    version: str | None = None
    default_language: str
    languages: list[str]
    items: list[Item]

    def questions(self) -> list[Item]:
        """Every item that is not a group, in order (notes included)."""
        found: list[Item] = []

        def walk(items: list[Item]) -> None:
            for item in items:
                if item.kind == "group":
                    walk(item.items)
                else:
                    found.append(item)

        walk(self.items)
        return found


class VersionOut(BaseModel):
    number: int
    form_version: str | None
    sha256: str
    filename: str
    loaded_at: UtcDateTime
    loaded_by: str | None
    questions: int
    responses: int = 0


class SurveyOut(BaseModel):
    """A survey: its slug, title, programme, status, minimum group size and versions."""

    slug: str
    title: Labels
    programme: str | None
    status: SurveyStatus
    min_group_size: int
    opened_at: UtcDateTime | None = None
    closed_at: UtcDateTime | None = None
    current_version: int
    versions: list[VersionOut] = Field(default_factory=list)
    respondents: int = 0


class ResponseOut(BaseModel):
    """A municipality's response: its answers (question name -> answer as text) and the form version it
    answers."""

    survey: str
    city: str
    city_name: str
    version: int
    submitted: bool
    answers: dict[str, str]
    updated_at: UtcDateTime
    updated_by: str | None


class AnswerCount(BaseModel):
    answer: str
    label: str
    count: int
    share: float = Field(description="share of the group's respondents who answered the question (0..1)")


class GroupResult(BaseModel):
    """One group's answers to a question; a group below the minimum size has no counts, only the reason."""

    group: str
    label: str
    withheld: bool = False
    reason: Literal["small-group", "secondary"] | None = Field(
        default=None,
        description="small-group: fewer respondents than the minimum group size; secondary: withheld so that"
        " the one small group cannot be derived from the total",
    )
    respondents: int | None = Field(default=None, description="None when withheld")
    answers: list[AnswerCount] = Field(default_factory=list)
    mean: float | None = Field(default=None, description="numbers: the mean answer")


class QuestionResult(BaseModel):
    name: str
    kind: str
    label: str
    section: str | None = None
    groups: list[GroupResult]


class SurveyResults(BaseModel):
    """A survey's results: per question, counts and shares per answer per group; small groups withheld."""

    survey: str
    title: str
    group_by: str | None
    min_group_size: int
    respondents: int | None = Field(description="municipalities with a submitted response (None if withheld)")
    groups: list[str]
    withheld_groups: list[str]
    questions: list[QuestionResult]


class GapRow(BaseModel):
    """One reference topic: what the city says it collects and needs, what it holds in bettercities."""

    topic: str
    label: str
    says_collects: bool
    says_needs: bool
    held: int | None = Field(default=None, description="reference indicators held (None: not known)")
    total: int
    finding: Literal["confirmed", "not-in-bettercities", "unreported", "need", "none", "unknown"] = Field(
        description="confirmed: says it collects and holds some; not-in-bettercities: says it collects,"
        " holds none in bettercities; unreported: holds some, did not say; need: says it needs, holds none;"
        " unknown: says it collects, the city does not use bettercities; none: nothing said or held"
    )


class GapAnalysis(BaseModel):
    """What a city says it collects and needs, set against the catalogue's inventory where it uses
    bettercities."""

    survey: str
    city: str
    city_name: str
    uses_bettercities: bool
    answered: bool
    as_of: date
    rows: list[GapRow]
    note: Literal["compared", "not-using", "no-response", "no-gap-questions"]
