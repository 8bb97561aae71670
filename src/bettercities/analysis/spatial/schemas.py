"""Typed results of spatial statistics on stored data (pages, JSON API, CLI and exports render these)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bettercities.analysis.index.schemas import LocalArea, WeightsSpec
from bettercities.core.problems import Report

#: LISA clusters in legend order, with the usual colours (GeoDa: red, blue, pink, light blue, grey).
CLUSTERS = ("HH", "LL", "LH", "HL", "ns")
CLUSTER_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "LH": "#abd9e9", "HL": "#fdae61", "ns": "#eeeeee"}
HOTSPOTS = ("hot", "cold", "ns")
HOTSPOT_COLOURS = {"hot": "#d7191c", "cold": "#2c7bb6", "ns": "#eeeeee"}


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
