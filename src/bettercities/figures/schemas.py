"""Typed data of the figures: what a choropleth map and a histogram draw (the page views compute them)."""

from __future__ import annotations

from pydantic import BaseModel

from bettercities.figures.classes import Classification


class MapArea(BaseModel):
    """One area on a choropleth map."""

    code: str
    name: str
    value: float | None
    suppressed: bool = False
    estimated: bool = False
    provisional: bool = False
    class_index: int | None = None
    fill: str


class ChoroplethData(BaseModel):
    """Everything a choropleth needs except the geometry (drawn from the cached shapes)."""

    level: str
    period: str
    indicator: str
    classification: Classification
    areas: list[MapArea]


class HistogramBin(BaseModel):
    """One bar of a histogram: the values from ``lower`` to ``upper``, and its class colour."""

    lower: float
    upper: float
    count: int
    colour: str


__all__ = ["ChoroplethData", "HistogramBin", "MapArea"]
