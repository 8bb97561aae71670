"""Typed configurations and results of social indices (MSS-type and composite methods)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from bettercities.core.problems import Report
from bettercities.core.timestamps import UtcDateTime

# -- configuration -----------------------------------------------------------------------------------------


class Polarity(StrEnum):
    """Which direction of an indicator (or of the index) is socially worse."""

    HIGHER_IS_WORSE = "higher_is_worse"
    HIGHER_IS_BETTER = "higher_is_better"


class Standardisation(StrEnum):
    """How raw indicator values are made comparable before aggregation."""

    Z_SCORE = "z-score"
    MIN_MAX = "min-max"
    RANK = "rank"


class Aggregation(StrEnum):
    """How standardised indicator values combine into one index value."""

    WEIGHTED_SUM = "weighted-sum"
    MEAN = "mean"
    GEOMETRIC_MEAN = "geometric-mean"


class ClassScheme(StrEnum):
    """How index values are cut into classes."""

    FIXED = "fixed"
    QUANTILES = "quantiles"
    NATURAL_BREAKS = "natural-breaks"


class ClassBand(BaseModel):
    """One class of a fixed scheme: values ``< below`` or ``<= up_to``; the last band is open."""

    model_config = {"extra": "forbid", "frozen": True}

    code: str
    label: str
    below: float | None = Field(default=None, description="Upper bound, exclusive (value < below).")
    up_to: float | None = Field(default=None, description="Upper bound, inclusive (value <= up_to).")

    @model_validator(mode="after")
    def _one_bound(self) -> ClassBand:
        if self.below is not None and self.up_to is not None:
            raise ValueError("give either 'below' (exclusive) or 'up_to' (inclusive), not both")
        return self

    @property
    def upper(self) -> float | None:
        return self.below if self.below is not None else self.up_to


def _check_bands(bands: list[ClassBand]) -> None:
    if not bands:
        raise ValueError("at least one class is needed")
    if bands[-1].upper is not None:
        raise ValueError("the last class must be open (no 'below'/'up_to')")
    uppers = [b.upper for b in bands[:-1]]
    if any(u is None for u in uppers):
        raise ValueError("only the last class may be open")
    values = [float(u) for u in uppers if u is not None]
    if values != sorted(values) or len(set(values)) != len(values):
        raise ValueError("class bounds must increase strictly")
    codes = [b.code for b in bands]
    if len(set(codes)) != len(codes):
        raise ValueError("class codes must be unique")


class Exclusion(BaseModel):
    """An area excluded from scoring by configuration, with the reason shown in the result."""

    model_config = {"extra": "forbid", "frozen": True}

    id: str
    reason: str = "excluded by configuration"


class IndexPart(BaseModel):
    """One MSS-type sub-index (status or dynamics): its indicators and classes."""

    model_config = {"extra": "forbid", "frozen": True}

    indicators: list[str] = Field(min_length=1)
    classes: list[ClassBand]

    @model_validator(mode="after")
    def _valid(self) -> IndexPart:
        _check_bands(self.classes)
        if len(set(self.indicators)) != len(self.indicators):
            raise ValueError("indicators must be unique")
        return self


class IndexConfigBase(BaseModel):
    """Options every index method shares: name, provenance, minimum population, exclusions."""

    model_config = {"extra": "forbid", "frozen": True}

    method: str = Field(description="Name of a registered index method.")
    name: str = Field(description="Short name, e.g. 'berlin-mss-2021'.")
    title: str | None = None
    description: str | None = None
    source: str | None = Field(default=None, description="Where the method is published.")
    min_population: float | None = Field(
        default=None, ge=0, description="Areas with fewer inhabitants are not scored."
    )
    population_column: str | None = Field(
        default=None, description="Default population column (the command-line option overrides it)."
    )
    exclude: list[Exclusion] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _exclusions(cls, data: Any) -> Any:
        # A bare id in the YAML list is an exclusion with the default reason; ids must stay strings.
        if isinstance(data, dict) and isinstance(data.get("exclude"), list):
            data = dict(data)
            data["exclude"] = [{"id": str(e)} if isinstance(e, str | int) else e for e in data["exclude"]]
        return data


class MssConfig(IndexConfigBase):
    """Configuration of the ``berlin-mss`` method: a status and a dynamics index, 4 x 3 classes."""

    method: Literal["berlin-mss"] = "berlin-mss"
    status: IndexPart
    dynamics: IndexPart


class IndicatorWeight(BaseModel):
    """One indicator of a composite index with its direction and weight."""

    model_config = {"extra": "forbid", "frozen": True}

    column: str
    polarity: Polarity = Polarity.HIGHER_IS_WORSE
    weight: float = Field(default=1.0, gt=0)


class ClassSpec(BaseModel):
    """Class breaks of a composite index: fixed bands, or k quantiles / natural breaks."""

    model_config = {"extra": "forbid", "frozen": True}

    scheme: ClassScheme = ClassScheme.QUANTILES
    k: int = Field(default=5, ge=2, le=20)
    bands: list[ClassBand] = Field(default_factory=list)
    labels: list[str] | None = Field(default=None, description="Labels of the k classes (low to high).")

    @model_validator(mode="after")
    def _valid(self) -> ClassSpec:
        if self.scheme == ClassScheme.FIXED:
            _check_bands(self.bands)
        elif self.bands:
            raise ValueError("'bands' only apply to the fixed scheme")
        elif self.labels is not None and len(self.labels) != self.k:
            raise ValueError(f"{len(self.labels)} labels for k = {self.k} classes")
        return self


class CompositeConfig(IndexConfigBase):
    """Configuration of the general ``composite`` method (one index, one class scheme)."""

    method: Literal["composite"] = "composite"
    indicators: list[IndicatorWeight] = Field(min_length=1)
    polarity: Polarity = Field(
        default=Polarity.HIGHER_IS_WORSE, description="Direction of the index: high index = worse by default."
    )
    standardisation: Standardisation = Standardisation.Z_SCORE
    scale: tuple[float, float] = Field(
        default=(0.0, 1.0), description="Target range of min-max standardisation."
    )
    aggregation: Aggregation = Aggregation.WEIGHTED_SUM
    restandardise: bool = Field(
        default=False, description="z-standardise the aggregated index again (as the MSS does)."
    )
    classes: ClassSpec = Field(default_factory=ClassSpec)

    @model_validator(mode="after")
    def _valid(self) -> CompositeConfig:
        columns = [i.column for i in self.indicators]
        if len(set(columns)) != len(columns):
            raise ValueError("indicators must be unique")
        if self.scale[0] >= self.scale[1]:
            raise ValueError("scale must be (low, high) with low < high")
        if self.aggregation == Aggregation.GEOMETRIC_MEAN and not (
            self.standardisation == Standardisation.RANK
            or (self.standardisation == Standardisation.MIN_MAX and self.scale[0] > 0)
        ):
            raise ValueError(
                "a geometric mean needs positive standardised values: use rank, or min-max with a "
                "scale whose lower end is above 0 (e.g. scale: [1, 100])"
            )
        return self


# -- results -----------------------------------------------------------------------------------------------


class UnscoredReason(StrEnum):
    """Why an area is not scored, as its note stores it (a code, not words: the pages say it in the reader's
    language). Parts of a note are joined by ``"; "``; a part that is no code is the configuration's own
    reason for excluding the area (``exclude``), kept as its author wrote it."""

    FEW_INHABITANTS = (
        "few-inhabitants"  # fewer than the configuration's min_population (the area's population)
    )
    WITHHELD = "withheld"  # an input value is suppressed: withheld from an audience that may not see it


class AreaScore(BaseModel):
    """The outcome of an index for one input area (scored or excluded with a note)."""

    area_id: str
    population: float | None = None
    scored: bool
    note: str | None = Field(
        default=None,
        description=(
            "Why the area is not scored, parts joined by '; ': 'few-inhabitants' (fewer than the "
            "configuration's min_population; the area's population), 'withheld' (a suppressed input value), "
            "else the configuration's reason for excluding it."
        ),
    )
    components: dict[str, float] = Field(
        default_factory=dict, description="Standardised (and oriented) indicator values."
    )

    def as_row(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError


def _num(value: float | None) -> float | None:
    return None if value is None else float(value)


class MssAreaScore(AreaScore):
    """Status and dynamics index and classes of one area (MSS-type method)."""

    status_index: float | None = None
    status_class: str | None = None
    status_label: str | None = None
    dynamics_index: float | None = None
    dynamics_class: str | None = None
    dynamics_label: str | None = None
    combined_class: str | None = None
    combined_label: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "area_id": self.area_id,
            "status_index": _num(self.status_index),
            "status_class": self.status_class,
            "dynamics_index": _num(self.dynamics_index),
            "dynamics_class": self.dynamics_class,
            "combined_class": self.combined_class,
            "note": self.note,
        }


class CompositeAreaScore(AreaScore):
    """Index value and class of one area (single-index method)."""

    index: float | None = None
    class_code: str | None = None
    class_label: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "area_id": self.area_id,
            "index": _num(self.index),
            "class": self.class_code,
            "note": self.note,
        }


class InputInfo(BaseModel):
    """Provenance of the input table."""

    source: str | None = None
    sha256: str | None = None
    rows: int
    id_column: str
    population_column: str | None = None


class ClassCount(BaseModel):
    code: str
    label: str
    count: int


class IndexResult(BaseModel):
    """A computed index with its full configuration and provenance (stored and rendered as is)."""

    method: str
    config: dict[str, Any] = Field(description="The configuration used, as a plain mapping.")
    input: InputInfo
    computed_at: UtcDateTime
    version: str
    columns: list[str] = Field(description="Columns of the tabular output, in order.")
    areas: list[MssAreaScore | CompositeAreaScore]
    class_counts: dict[str, list[ClassCount]] = Field(
        default_factory=dict, description="Number of scored areas per class, per index."
    )
    breaks: dict[str, list[float]] = Field(
        default_factory=dict, description="Upper class bounds actually used, per index."
    )
    report: Report = Field(default_factory=Report)

    @property
    def scored(self) -> list[MssAreaScore | CompositeAreaScore]:
        return [a for a in self.areas if a.scored]

    def rows(self) -> list[dict[str, Any]]:
        return [a.as_row() for a in self.areas]
