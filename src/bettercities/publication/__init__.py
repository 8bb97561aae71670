"""The publication step: every output (page, API response, export, map) passes through here.

It decides what an audience may see. Today: suppressed cells (statistical disclosure
control) never show their value, numerator or denominator to anyone outside the data
team. Visibility rules (restricted datasets, network sharing) join here, not elsewhere.
"""

from __future__ import annotations

from enum import StrEnum

from bettercities.indicators.schemas import AreaValue, Series, SeriesPoint


class Audience(StrEnum):
    """Who will see an output."""

    PUBLIC = "public"
    INTERNAL = "internal"  # the city's own data team


def publish_values(values: list[AreaValue], *, audience: Audience) -> list[AreaValue]:
    """Blank suppressed values for every audience but the city's data team."""
    if audience == Audience.INTERNAL:
        return values
    return [
        v.model_copy(update={"value": None, "numerator": None, "denominator": None}) if v.suppressed else v
        for v in values
    ]


def publish_series(series: Series, *, audience: Audience) -> Series:
    if audience == Audience.INTERNAL:
        return series
    points: list[SeriesPoint] = [
        p.model_copy(update={"value": None}) if p.suppressed else p for p in series.points
    ]
    return series.model_copy(update={"points": points})


def publish_scores(
    rows: list[dict], *, withheld: set[str], audience: Audience, key: str = "area_id"
) -> list[dict]:
    """Blank every value but the id and note of derived per-area rows (index results) whose inputs
    include a suppressed cell, for every audience but the city's data team."""
    if audience == Audience.INTERNAL or not withheld:
        return rows
    blank = {"note": "withheld (a suppressed input value)"}
    return [
        {k: (v if k == key else None) for k, v in r.items()} | blank if r.get(key) in withheld else r
        for r in rows
    ]
