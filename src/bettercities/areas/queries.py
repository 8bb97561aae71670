"""What the areas faces show beyond the service's lists: one area in detail."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, SpatialLevel
from bettercities.areas.schemas import AreaDetail


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


__all__ = ["area_detail"]
