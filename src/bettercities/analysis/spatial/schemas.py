"""Typed spatial weights and results of spatial statistics: of a layer (:mod:`.statistics`) and of stored data
(:mod:`.service`; pages, JSON API, CLI and exports render these)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Report

#: LISA clusters in legend order, with the usual colours (GeoDa: red, blue, pink, light blue, grey).
CLUSTERS = ("HH", "LL", "LH", "HL", "ns")
CLUSTER_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "LH": "#abd9e9", "HL": "#fdae61", "ns": "#eeeeee"}
HOTSPOTS = ("hot", "cold", "ns")
HOTSPOT_COLOURS = {"hot": "#d7191c", "cold": "#2c7bb6", "ns": "#eeeeee"}


#: The seeds of the random permutations and of k-means: numpy's legacy generator (which esda and
#: scikit-learn seed) takes 0 … 2**32 - 1 and raises on anything else.
MAX_SEED = 2**32 - 1
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
#: A code (indicator, level, period, class) in a query or a posted rule: the longest stored code is 80.
Code = Annotated[str, Field(max_length=80)]


# -- weights and statistics of a layer (statistics.py) ----------------------------------------------------


class WeightsKind(StrEnum):
    """Kinds of spatial weights built from geometries."""

    QUEEN = "queen"
    ROOK = "rook"
    DISTANCE_BAND = "distance-band"
    KNN = "knn"


class WeightsSpec(BaseModel):
    """How to build spatial weights; ``threshold`` (distance band) and ``k`` (knn) in the data's units."""

    model_config = {"extra": "forbid", "frozen": True}

    kind: WeightsKind = WeightsKind.QUEEN
    k: int = Field(default=6, ge=1)
    threshold: float | None = Field(default=None, gt=0)
    binary: bool = True
    transform: Literal["r", "b"] = Field(default="r", description="Row-standardised (r) or binary (b).")

    @model_validator(mode="after")
    def _valid(self) -> WeightsSpec:
        if self.kind == WeightsKind.DISTANCE_BAND and self.threshold is None:
            raise ValueError("a distance band needs a threshold")
        return self

    @classmethod
    def of(cls, kind: WeightsKind | str, *, k: int = 6, threshold: float | None = None) -> WeightsSpec:
        """Weights from loose options (a query string, the command line); :class:`InvalidInput` with the
        first complaint for a bad combination, e.g. a distance band without a threshold."""
        try:
            return cls(kind=kind, k=k, threshold=threshold)
        except ValidationError as error:
            raise InvalidInput(f"invalid weights: {error.errors()[0]['msg']}") from error


class WeightsSummary(BaseModel):
    kind: WeightsKind
    n: int
    mean_neighbors: float
    islands: list[str] = Field(default_factory=list)


class LocalArea(BaseModel):
    """Local statistics of one area: LISA cluster and/or Getis-Ord Gi* hot/cold spot."""

    area_id: str
    value: float
    local_i: float | None = None
    quadrant: Literal["HH", "LH", "LL", "HL"] | None = None
    p_sim: float | None = None
    cluster: Literal["HH", "LL", "HL", "LH", "ns"] | None = Field(
        default=None, description="LISA cluster if significant at alpha, else 'ns'."
    )
    gi_star_z: float | None = None
    gi_star_p_sim: float | None = None
    hotspot: Literal["hot", "cold", "ns"] | None = None


class MoranResult(BaseModel):
    """Global Moran's I with permutation inference, optionally with LISA per area."""

    variable: str
    n: int
    weights: WeightsSummary
    permutations: int
    seed: int | None
    I: float  # noqa: E741 - the statistic's name
    expected_I: float
    variance_I_norm: float
    z_norm: float
    p_norm: float
    p_sim: float | None
    z_sim: float | None
    alpha: float
    local: list[LocalArea] | None = None
    report: Report = Field(default_factory=Report)


class LocalResult(BaseModel):
    """Local statistics (LISA and/or Gi*) for every area."""

    variable: str
    n: int
    weights: WeightsSummary
    permutations: int
    seed: int | None
    alpha: float
    areas: list[LocalArea]
    report: Report = Field(default_factory=Report)


# -- stored data (service.py) ------------------------------------------------------------------------------


class GlobalMoran(BaseModel):
    """Global Moran's I with its permutation (``*_sim``) and normal-approximation (``*_norm``) inference."""

    I: float  # noqa: E741 - the statistic's name
    expected_I: float
    p_sim: float | None
    z_sim: float | None
    p_norm: float
    z_norm: float


class SpatialArea(LocalArea):
    """Local statistics of one area, with its name and its point on the Moran scatter plot."""

    name: str
    z: float = Field(description="Standardised value (population standard deviation).")
    lag: float = Field(description="Spatial lag of z (row-standardised weights).")


class SpatialAnalysis(BaseModel):
    """Moran's I, LISA clusters and Gi* hot/cold spots of one indicator over a city level in one period."""

    city: str
    indicator: str
    period: str
    level: str
    weights: WeightsSpec
    permutations: int
    seed: int | None
    alpha: float
    n: int
    moran: GlobalMoran | None = None
    mean_neighbors: float | None = None
    islands: list[str] = Field(default_factory=list)
    areas: list[SpatialArea]
    cluster_counts: dict[str, int] = Field(default_factory=dict)
    hotspot_counts: dict[str, int] = Field(default_factory=dict)
    left_out: list[str] = Field(default_factory=list, description="Areas without a value or a geometry.")
    report: Report = Field(default_factory=Report)
