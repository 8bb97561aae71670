"""Values carried across a boundary change: the disclosure rule for carried cells.

A value carried to a new area by a crosswalk (:func:`bettercities.indicators.service.carry_over`) is a
function of the old areas' values: a new area that lies in one old area gets ``weight × count`` of a count,
the old area's own share of a share. Published next to the old area's value, such a value must not reveal
an old cell that disclosure control withholds: ``weight × count`` alone gives the count back, and a new area
made of two old areas, next to one of them, gives the other.

**The rule.** A carried cell of a new area is withheld for an audience when *any* input of it is withheld or
perturbed for that audience: the indicator's cell at any old area that contributes to the new one, and for
shares and means, which may be combined with population weights, the weight indicator's cell there too. A
published carried value is then a function of published values only, so it tells an attacker nothing the
published old cells do not (and perturbed cells are never combined into unperturbed values). The privacy
domain applies the same rule to carried values that are stored (:mod:`bettercities.privacy.carried`), and
keeps them out of the tables of the boundary version they do not belong to, so that the hierarchy of that
period stays what it is on the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import Area, CrosswalkEntry
from bettercities.indicators.models import Indicator

#: Why the data team sees a carried value marked: it is withheld from the public by the rule above.
NOTE = "carried from withheld or perturbed cells"


def inputs(session: Session, indicator: Indicator) -> list[int]:
    """The indicators whose cells a carried value of ``indicator`` depends on: itself, and for shares and
    means its weight indicator (``inhabitants`` by default), when registered."""
    found = [indicator.id]
    if indicator.aggregation in {"weighted_mean", "ratio"}:
        code = indicator.weight_code or "inhabitants"
        weight = session.scalar(select(Indicator.id).where(Indicator.code == code))
        if weight is not None and weight != indicator.id:
            found.append(weight)
    return found


def withheld_input(
    marks: Mapping[tuple[int, int, int | None], Any],
    indicator_ids: Iterable[int],
    period_id: int,
    sources: Iterable[int],
) -> bool:
    """Whether any input cell (an indicator of ``indicator_ids`` at an old area of ``sources``) carries a
    protection mark, withheld or perturbed."""
    ids = list(indicator_ids)
    return any((i, period_id, s) in marks for s in sources for i in ids)


def sources_of(session: Session, city_id: int) -> dict[int, list[int]]:
    """New area id -> the old area ids its values are carried from, over every crosswalk of the city."""
    rows = session.execute(
        select(CrosswalkEntry.target_area_id, CrosswalkEntry.source_area_id)
        .join(Area, Area.id == CrosswalkEntry.target_area_id)
        .where(Area.city_id == city_id)
    ).all()
    found: dict[int, list[int]] = {}
    for target, source in rows:
        found.setdefault(int(target), []).append(int(source))
    return found


__all__ = ["NOTE", "inputs", "sources_of", "withheld_input"]
