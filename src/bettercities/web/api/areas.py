"""``/api/cities``: cities, their spatial levels and areas."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.models import Area, SpatialLevel
from bettercities.areas.schemas import AreaOut, CityOut, LevelOut
from bettercities.web.api.schemas import AreaDetail
from bettercities.web.deps import SessionDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.pagination import Page, PageDep

router = APIRouter(prefix="/api/cities", tags=["cities"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[CityOut], summary="List cities")
def list_cities(request: Request, session: SessionDep, pages: PageDep) -> Page[CityOut]:
    return pages.slice(request, areas.list_cities(session))


@router.get("/{slug}", response_model=CityOut, summary="One city")
def get_city(slug: str, session: SessionDep) -> CityOut:
    return areas.city_out(session, areas.get_city(session, slug))


@router.get(
    "/{slug}/levels", response_model=Page[LevelOut], summary="Spatial levels of a city, coarse to fine"
)
def list_levels(request: Request, slug: str, session: SessionDep, pages: PageDep) -> Page[LevelOut]:
    return pages.slice(request, areas.list_levels(session, areas.get_city(session, slug)))


@router.get("/{slug}/areas", response_model=Page[AreaOut], summary="Areas of a city (of one level)")
def list_areas(
    request: Request,
    slug: str,
    session: SessionDep,
    pages: PageDep,
    level: Annotated[str | None, Query(description="Level code; default: all levels.")] = None,
) -> Page[AreaOut]:
    city = areas.get_city(session, slug)
    chosen = areas.get_level(session, city, level) if level else None
    items, total = areas.list_areas(session, city, level=chosen, offset=pages.offset, limit=pages.page_size)
    return pages.envelope(request, items, total)


@router.get("/{slug}/areas/{code}", response_model=AreaDetail, summary="One area")
def get_area(
    slug: str,
    code: str,
    session: SessionDep,
    level: Annotated[str | None, Query(description="Level code, when codes repeat across levels.")] = None,
    geometry: Annotated[bool, Query(description="Include the GeoJSON geometry.")] = False,
) -> AreaDetail:
    city = areas.get_city(session, slug)
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
