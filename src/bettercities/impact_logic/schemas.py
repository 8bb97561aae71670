"""What the impact-logic domain takes and returns: boxes, links, measures with their current value, trend and
target, and the whole logic of a programme as of a day."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


class Stage(StrEnum):
    """The five columns of an impact logic, in their order."""

    INPUTS = "inputs"
    ACTIVITIES = "activities"
    OUTPUTS = "outputs"
    OUTCOMES = "outcomes"
    IMPACT = "impact"

    @property
    def rank(self) -> int:
        return list(Stage).index(self)


def _key(value: str) -> str:
    value = value.strip()
    if not KEY.fullmatch(value):
        raise ValueError(f"'{value}' is no key: use 1 to 80 characters, a-z, digits and '-'")
    return value


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


class BoxIn(BaseModel):
    """A new box (or, with :func:`~bettercities.impact_logic.service.update_box`, a box's new fields)."""

    key: str = Field(max_length=80, description="Names the box within the programme (a-z, digits, '-').")
    stage: Stage
    title_de: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    text_de: str | None = Field(default=None, max_length=4000)
    text_en: str | None = Field(default=None, max_length=4000)
    position: int | None = Field(
        default=None, ge=0, le=999, description="Order in its column (default: last)."
    )

    _check_key = field_validator("key")(_key)
    _check_text = field_validator("text_de", "text_en")(_text)


class BoxChange(BaseModel):
    """Changed fields of a box (empty: unchanged)."""

    stage: Stage | None = None
    title_de: str | None = Field(default=None, min_length=1, max_length=200)
    title_en: str | None = Field(default=None, min_length=1, max_length=200)
    text_de: str | None = Field(default=None, max_length=4000)
    text_en: str | None = Field(default=None, max_length=4000)
    position: int | None = Field(default=None, ge=0, le=999)


class LinkIn(BaseModel):
    """An arrow from box ``source`` to box ``target`` (keys; the target lies in a later stage)."""

    source: str = Field(max_length=80)
    target: str = Field(max_length=80)


class MeasureIn(BaseModel):
    """A new measure of a box: automatic when ``code`` names one of
    :data:`bettercities.impact_logic.measures.MEASURES` (its labels and unit come from there unless given),
    manual otherwise (labels required; values are entered)."""

    key: str = Field(max_length=80, description="Names the measure within the programme.")
    box: str = Field(max_length=80, description="The box's key.")
    code: str | None = Field(default=None, max_length=80, description="An automatic measure's code.")
    label_de: str | None = Field(default=None, max_length=200)
    label_en: str | None = Field(default=None, max_length=200)
    unit_de: str | None = Field(default=None, max_length=60)
    unit_en: str | None = Field(default=None, max_length=60)
    target: float | None = Field(default=None, allow_inf_nan=False)
    target_date: date | None = None
    position: int | None = Field(default=None, ge=0, le=999)

    _check_key = field_validator("key", "box")(_key)
    _check_text = field_validator("code", "label_de", "label_en", "unit_de", "unit_en")(_text)


class TargetIn(BaseModel):
    """A measure's new target (and the day it is to be reached by); ``clear``: remove the target."""

    target: float | None = Field(default=None, allow_inf_nan=False)
    target_date: date | None = None
    clear: bool = False


class ValueIn(BaseModel):
    """A value of a manual measure on a day, with where it comes from."""

    day: date
    value: float = Field(allow_inf_nan=False)
    source: str = Field(min_length=1, max_length=500)

    _check_source = field_validator("source")(_text)


class TrendPoint(BaseModel):
    """A measure's value as of a day (the end of a quarter); ``None``: not available then."""

    day: date
    value: float | None


class ValueOut(BaseModel):
    """An entered value of a manual measure."""

    day: date
    value: float
    source: str
    recorded_by: str | None


class MeasureOut(BaseModel):
    """A measure with its value as of the logic's day, its trend and its target."""

    key: str
    box: str
    code: str | None = Field(description="The automatic measure's code; empty for a manual one.")
    automatic: bool
    label_de: str
    label_en: str
    unit_de: str | None
    unit_en: str | None
    available: bool = Field(description="False when the data it is computed from are not available here.")
    unavailable_reason: str | None = None
    current: float | None = Field(
        description="The value as of the logic's day (a manual one: the last entered)."
    )
    current_day: date | None = Field(
        description="The day the current value holds for (a manual one: the day it was entered for)."
    )
    source: str | None = Field(description="Where the value comes from.")
    trend: list[TrendPoint]
    target: float | None
    target_date: date | None
    values: list[ValueOut] = Field(default_factory=list, description="A manual measure's entered values.")


class BoxOut(BaseModel):
    """A box with its measures and the keys of the boxes its arrows lead to."""

    key: str
    stage: Stage
    position: int
    title_de: str
    title_en: str
    text_de: str | None
    text_en: str | None
    measures: list[MeasureOut]
    leads_to: list[str]


class LinkOut(BaseModel):
    source: str
    target: str


class ImpactLogicOut(BaseModel):
    """A programme's impact logic as of ``on``: its boxes in stage order, their links, and the quarter ends
    its trends are computed at."""

    programme: str
    programme_name: str
    on: date
    quarters: list[date]
    boxes: list[BoxOut]
    links: list[LinkOut]


class MeasureCode(BaseModel):
    """One automatic measure of the fixed table."""

    code: str
    label_de: str
    label_en: str
    unit_de: str
    unit_en: str
    description: str
    available: bool
    unavailable_reason: str | None = None
