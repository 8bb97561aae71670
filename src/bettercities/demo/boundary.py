"""The demo city's boundary change: its most populous planning area is split into two new planning areas
valid from 1 January 2025, and the latest period's values are carried to them as estimates.

It goes through the same library calls as a city's own boundary change: the old area's validity ends
(:func:`~bettercities.areas.service.add_areas` updates it), the new areas are added with their outlines, the
relationship (old area, new area, weight) is stored as a population-weighted crosswalk
(:func:`~bettercities.areas.service.create_crosswalk`, as ``bettercities crosswalk import`` does), and every
indicator's values of the latest period are carried and stored as estimated observations of the new areas
(:func:`~bettercities.indicators.service.store_carried`, as ``bettercities crosswalk carry --store``). The
maps of the periods with data keep showing the old area (the new ones begin after them); the new areas'
profiles show the carried values, marked as estimated, and ``/cities/{slug}/crosswalks`` shows both sides.

The split is west/east at the old area's centroid; the population shares of the two halves are the demo's
own (the generator has no population below the planning area): 60 % west, 40 % east.
"""

from __future__ import annotations

import json
from datetime import date

from shapely.geometry import box, mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City
from bettercities.areas.schemas import AreaSpec, CrosswalkEntrySpec
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Observation

LEVEL = "planning_area"
#: The first day of the new planning areas.
SPLIT_FROM = date(2025, 1, 1)
CODE = "planning-areas-2025"
DESCRIPTION = "Planungsräume 2025: ein Planungsraum geteilt"
#: Population share of the west and east halves.
WEIGHTS = (0.6, 0.4)


def add_boundary_change(session: Session, city: City, *, period: str) -> dict[str, int]:
    """Split the planning area with the most inhabitants in ``period`` and carry that period's values to its
    two halves; returns the new areas' ids by code."""
    level = areas.get_level(session, city, LEVEL)
    when = indicators.get_period(session, period)
    inhabitants = indicators.get_indicator(session, "inhabitants")
    old = session.scalars(
        select(Area)
        .join(Observation, Observation.area_id == Area.id)
        .where(
            Area.level_id == level.id,
            Observation.indicator_id == inhabitants.id,
            Observation.period_id == when.id,
            Observation.is_current.is_(True),
        )
        .order_by(Observation.value.desc(), Area.code)
        .limit(1)
    ).one()
    parent = session.get(Area, old.parent_id) if old.parent_id is not None else None
    outline = shape(json.loads(old.geometry)) if old.geometry else None
    halves = [None, None]
    if outline is not None:
        min_x, min_y, max_x, max_y = outline.bounds
        middle = outline.centroid.x
        halves = [
            mapping(outline.intersection(box(min_x, min_y, middle, max_y))),
            mapping(outline.intersection(box(middle, min_y, max_x, max_y))),
        ]
    parent_code = parent.code if parent is not None else None
    new = [
        AreaSpec(
            code=f"{old.code[:4]}91{i + 1:02d}",
            name=f"{old.name} {side}",
            parent_code=parent_code,
            geometry=halves[i],
            valid_from=SPLIT_FROM,
        )
        for i, side in enumerate(("West", "Ost"))
    ]
    ended = AreaSpec(
        code=old.code,
        name=old.name,
        parent_code=parent_code,
        geometry=json.loads(old.geometry) if old.geometry else None,
        valid_from=old.valid_from,
        valid_to=SPLIT_FROM,
    )
    areas.add_areas(
        session, city, level, [ended, *new], import_id=old.import_id, source="demo boundary change"
    )
    crosswalk = areas.create_crosswalk(
        session,
        city,
        CODE,
        level,
        level,
        [
            CrosswalkEntrySpec(source_code=old.code, target_code=spec.code, weight=weight)
            for spec, weight in zip(new, WEIGHTS, strict=True)
        ],
        source_at=when.end_date,
        target_at=SPLIT_FROM,
        weight_basis="population",
        description=DESCRIPTION,
    )
    codes = session.scalars(
        select(Indicator.code)
        .join(Observation, Observation.indicator_id == Indicator.id)
        .where(
            Observation.area_id == old.id, Observation.period_id == when.id, Observation.is_current.is_(True)
        )
        .order_by(Indicator.code)
    ).all()
    indicators.store_carried(session, crosswalk, when, list(codes))
    return {spec.code: areas.get_area(session, city, spec.code, level=level).id for spec in new}


__all__ = ["CODE", "SPLIT_FROM", "add_boundary_change"]
