"""What the areas faces show beyond the service's lists: one area in detail, the crosswalks."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from bettercities.areas import service as areas
from bettercities.areas.models import Area, Crosswalk, CrosswalkEntry, SpatialLevel
from bettercities.areas.schemas import AreaDetail, CrosswalkDetail, CrosswalkLink, CrosswalkOut


def area_detail(
    session: Session, city_slug: str, code: str, *, level: str | None = None, geometry: bool = False
) -> AreaDetail:
    """Area ``code`` of a city (of ``level``, when codes repeat across levels) with its bounding box, its
    children and, when ``geometry``, its GeoJSON geometry."""
    city = areas.get_city(session, city_slug)
    area = areas.get_area(session, city, code, level=areas.get_level(session, city, level) if level else None)
    level_code = session.scalar(select(SpatialLevel.code).where(SpatialLevel.id == area.level_id)) or ""
    parent = session.scalar(select(Area.code).where(Area.id == area.parent_id)) if area.parent_id else None
    children = session.scalars(select(Area.code).where(Area.parent_id == area.id).order_by(Area.code)).all()
    bbox = [area.min_lon, area.min_lat, area.max_lon, area.max_lat] if area.min_lon is not None else None
    return AreaDetail(
        **areas.area_out(area, level_code, parent).model_dump(),
        bbox=bbox,
        children=list(children),
        geometry=json.loads(area.geometry) if geometry and area.geometry else None,
    )


# -- crosswalks ----------------------------------------------------------------------------------------------


def crosswalks(session: Session, city_slug: str) -> list[CrosswalkOut]:
    """The crosswalks of a city by code, each with its levels, counts and the validity of its versions."""
    city = areas.get_city(session, city_slug)
    found = session.scalars(select(Crosswalk).where(Crosswalk.city_id == city.id).order_by(Crosswalk.code))
    return [_crosswalk_out(session, walk) for walk in found]


def crosswalk_detail(session: Session, city_slug: str, code: str) -> CrosswalkDetail:
    """Crosswalk ``code`` of a city with every link (old area, new area, weight), by old then new code."""
    walk = areas.get_crosswalk(session, areas.get_city(session, city_slug), code)
    old, new = aliased(Area), aliased(Area)
    rows = session.execute(
        select(old.code, old.name, new.code, new.name, CrosswalkEntry.weight)
        .join(old, old.id == CrosswalkEntry.source_area_id)
        .join(new, new.id == CrosswalkEntry.target_area_id)
        .where(CrosswalkEntry.crosswalk_id == walk.id)
        .order_by(old.code, new.code)
    ).all()
    links = [
        CrosswalkLink(source_code=s, source_name=sn, target_code=t, target_name=tn, weight=w)
        for s, sn, t, tn, w in rows
    ]
    return CrosswalkDetail(**_crosswalk_out(session, walk).model_dump(), links=links)


def _crosswalk_out(session: Session, walk: Crosswalk) -> CrosswalkOut:
    def side(column: InstrumentedAttribute[int]) -> tuple[str | None, int, date | None, date | None]:
        ids = select(column).where(CrosswalkEntry.crosswalk_id == walk.id)
        level, count, valid_to, valid_from = session.execute(
            select(
                func.min(SpatialLevel.code),
                func.count(func.distinct(Area.id)),
                func.max(Area.valid_to),
                func.min(Area.valid_from),
            )
            .join(SpatialLevel, SpatialLevel.id == Area.level_id)
            .where(Area.id.in_(ids))
        ).one()
        return level, count, valid_to, valid_from

    source_level, sources, source_valid_to, _ = side(CrosswalkEntry.source_area_id)
    target_level, targets, _, target_valid_from = side(CrosswalkEntry.target_area_id)
    entries = session.scalar(
        select(func.count(CrosswalkEntry.id)).where(CrosswalkEntry.crosswalk_id == walk.id)
    )
    return CrosswalkOut(
        code=walk.code,
        description=walk.description,
        weight_basis=walk.weight_basis,
        source_level=source_level,
        target_level=target_level,
        sources=sources,
        targets=targets,
        entries=entries or 0,
        source_valid_to=source_valid_to,
        target_valid_from=target_valid_from,
    )


__all__ = ["area_detail", "crosswalk_detail", "crosswalks"]
