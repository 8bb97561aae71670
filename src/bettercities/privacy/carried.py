"""Stored values carried across a boundary change, in the protection of a period.

A value carried by a crosswalk to a new area and stored as an estimated observation
(:func:`bettercities.indicators.service.carry_over` with ``store``) belongs to a period in which its area
is not valid: the old areas are. Kept in that period's tables it would sit beside its own old area in the
hierarchy (the parent would no longer be the sum of its children, so that relation would be dropped and the
old areas' cells would lose their protection). So :func:`split` takes such cells out of the tables, and
:func:`mark` withholds each of them whose inputs are withheld or perturbed (the rule of
:mod:`bettercities.indicators.carried`): a published carried value is a function of published values only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from bettercities.areas.service import valid_on
from bettercities.indicators import carried
from bettercities.indicators.models import Indicator
from bettercities.privacy.schemas import Mark, Reason


class _Cell(Protocol):
    @property
    def indicator_id(self) -> int: ...

    @property
    def area_id(self) -> int: ...


class _Validity(Protocol):
    @property
    def valid_from(self) -> date | None: ...

    @property
    def valid_to(self) -> date | None: ...


C = TypeVar("C", bound=_Cell)


def links(
    session: Session, city_id: int, indicators: Mapping[int, Indicator]
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The city's carried links (new area id -> old area ids) and, for each of ``indicators``, the
    indicators its carried values depend on (none when the city has no crosswalk)."""
    sources = carried.sources_of(session, city_id)
    if not sources:
        return {}, {}
    return sources, {i: carried.inputs(session, indicator) for i, indicator in indicators.items()}


def split(
    rows: Sequence[C], sources: Mapping[int, list[int]], areas: Mapping[int, _Validity], end: date
) -> tuple[list[C], list[C]]:
    """``rows`` of one period as (the table's, the carried ones): a row is carried when its area is a new area
    of a crosswalk (``sources``: new area id -> old area ids) and not valid at the period's ``end``."""
    moving = {a for a in sources if (area := areas.get(a)) is not None and not valid_on(area, end)}
    if not moving:  # checked once per new area, not per row (a period has up to 10^5 rows)
        return list(rows), []
    kept: list[C] = []
    moved: list[C] = []
    for row in rows:
        (moved if row.area_id in moving else kept).append(row)
    return kept, moved


def mark(
    marks: dict[tuple[int, int, int | None], Any],
    rows: Sequence[_Cell],
    sources: Mapping[int, list[int]],
    inputs: Mapping[int, list[int]],
    period_id: int,
) -> None:
    """Withhold every carried cell of ``rows`` (period ``period_id``) with a withheld or perturbed input;
    ``inputs`` names the indicators each indicator's carried value depends on."""
    for row in rows:
        deps = inputs.get(row.indicator_id, [row.indicator_id])
        if carried.withheld_input(marks, deps, period_id, sources.get(row.area_id, [])):
            marks[(row.indicator_id, period_id, row.area_id)] = Mark(
                reason=Reason.SECONDARY, note=carried.NOTE
            )


__all__ = ["links", "mark", "split"]
