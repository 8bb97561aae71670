"""Typed inputs and results of the indicators domain."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class Polarity(StrEnum):
    """Which direction of an indicator is socially better."""

    HIGHER_IS_BETTER = "higher_is_better"
    HIGHER_IS_WORSE = "higher_is_worse"
    NEUTRAL = "neutral"


class IndicatorKind(StrEnum):
    """How an indicator's value is defined."""

    COUNT = "count"  # a number of persons, households …; sums up
    SHARE = "share"  # numerator / denominator x factor (percent, per 1,000 …)
    RATIO = "ratio"  # numerator / denominator x factor, denominator not a subset (e.g. moves per 100)
    VALUE = "value"  # any other measured value (median age, rent per m²)


class Aggregation(StrEnum):
    """How values of child areas combine into the parent area's value."""

    SUM = "sum"
    RATIO = "ratio"  # sum of numerators / sum of denominators x factor
    WEIGHTED_MEAN = "weighted_mean"  # weighted by the weight indicator (default: inhabitants)
    NONE = "none"  # not aggregable (medians, indices)


class IndicatorSpec(BaseModel):
    """Definition of an indicator for the registry (input of :func:`register_indicator`)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
    name_de: str
    name_en: str
    description_de: str | None = None
    description_en: str | None = None
    unit: str = ""
    polarity: Polarity = Polarity.NEUTRAL
    kind: IndicatorKind = IndicatorKind.VALUE
    numerator_code: str | None = None
    denominator_code: str | None = None
    factor: float = 1.0
    min_value: float | None = None
    max_value: float | None = None
    aggregation: Aggregation = Aggregation.WEIGHTED_MEAN
    weight_code: str | None = None
    theme: str | None = None
    source_dataset: str | None = None
    decimals: int = Field(default=1, ge=0, le=6)

    @model_validator(mode="after")
    def _consistent(self) -> IndicatorSpec:
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError("min_value is greater than max_value")
        if self.aggregation == Aggregation.RATIO and not self.factor:
            raise ValueError("a ratio indicator needs a non-zero factor")
        return self


class IndicatorOut(IndicatorSpec):
    """An indicator as stored."""

    id: int

    def name(self, language: str) -> str:
        return self.name_de if language == "de" else self.name_en

    def description(self, language: str) -> str | None:
        return self.description_de if language == "de" else self.description_en


class PeriodOut(BaseModel):
    code: str
    kind: str
    start_date: str
    end_date: str


class AreaValue(BaseModel):
    """An indicator's value for one area in one period (a map or ranking row)."""

    area_code: str
    area_name: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    provisional: bool = False
    estimated: bool = False
    suppressed: bool = False
    revision: int = 1
    #: For the city's data team only: what the public sees instead of this raw value (``primary
    #: (frequency)``, ``secondary``, ``perturbed``; see docs/privacy.md); ``None`` when published as is.
    protection: str | None = None


class SeriesPoint(BaseModel):
    period: str
    value: float | None
    suppressed: bool = False
    provisional: bool = False
    #: An estimate, e.g. carried to a new area from the old ones by a crosswalk.
    estimated: bool = False
    #: For the city's data team only: the protection mark of this raw value (see :class:`AreaValue`).
    protection: str | None = None


class Series(BaseModel):
    """A time series of one indicator for one area (or the whole city)."""

    indicator: str
    area_code: str | None
    points: list[SeriesPoint]
