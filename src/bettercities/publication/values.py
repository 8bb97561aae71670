"""Blanking what an audience may not see in published values: suppressed cells and withheld indicators.

The helpers work on any pydantic model with the fields they touch (an indicator's area values and series,
and whatever later outputs carry the same fields), so the publication step imports no domain's schemas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Self, TypeVar

from bettercities.publication.audience import Audience


class Cell(Protocol):
    """A published value that may be suppressed: a pydantic model with ``suppressed`` and ``value`` (and, for
    :func:`publish_values`, ``numerator`` and ``denominator``)."""

    @property
    def suppressed(self) -> bool: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self: ...


class CellSeries(Protocol):
    """A series of published values (a pydantic model with ``points``)."""

    @property
    def points(self) -> Sequence[Cell]: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self: ...


C = TypeVar("C", bound=Cell)
S = TypeVar("S", bound=CellSeries)


def publish_values(values: list[C], *, audience: Audience, withheld: bool = False) -> list[C]:
    """Blank suppressed values (all values when ``withheld``) for every audience but the city's data team:
    value, numerator and denominator become ``None`` and the value is marked suppressed."""
    if audience == Audience.INTERNAL:
        return values
    return [
        v.model_copy(update={"value": None, "numerator": None, "denominator": None, "suppressed": True})
        if v.suppressed or withheld
        else v
        for v in values
    ]


def publish_series(series: S, *, audience: Audience, withheld: bool = False) -> S:
    """Blank the suppressed points of ``series`` (all of them when ``withheld``) like :func:`publish_values`
    does values."""
    if audience == Audience.INTERNAL:
        return series
    points = [
        p.model_copy(update={"value": None, "suppressed": True}) if p.suppressed or withheld else p
        for p in series.points
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


__all__ = ["Cell", "CellSeries", "publish_scores", "publish_series", "publish_values"]
