"""``/api/cities``: cities, their spatial levels and areas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from bettercities.areas import service as areas
from bettercities.areas.queries import area_detail, crosswalk_detail, crosswalks
from bettercities.areas.schemas import AreaDetail, AreaOut, CityOut, CrosswalkDetail, CrosswalkOut, LevelOut
from bettercities.indicators.crosswalks import CarriedView, carried_view
from bettercities.views import compare
from bettercities.views.compare import CompareState, CompareView
from bettercities.web.deps import ReaderDep, SessionDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.pagination import Page, PageDep

router = APIRouter(prefix="/api/cities", tags=["cities"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    response_model=Page[CityOut],
    summary="List the cities using bettercities",
    description="Cities with spatial levels or added by hand; the city registry's ~18,000 European"
    " municipalities are listed and searched at `/api/registry/cities`.",
)
def list_cities(request: Request, session: SessionDep, pages: PageDep) -> Page[CityOut]:
    return pages.slice(request, areas.using_cities(session))


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
    return area_detail(session, slug, code, level=level, geometry=geometry)


# -- crosswalks between boundary versions -------------------------------------------------------------------


@router.get(
    "/{slug}/crosswalks", response_model=Page[CrosswalkOut], summary="Crosswalks between boundary versions"
)
def list_crosswalks(request: Request, slug: str, session: SessionDep, pages: PageDep) -> Page[CrosswalkOut]:
    return pages.slice(request, crosswalks(session, slug))


@router.get(
    "/{slug}/crosswalks/{code}",
    response_model=CrosswalkDetail,
    summary="One crosswalk with every link (old area, new area, weight)",
)
def get_crosswalk(slug: str, code: str, session: SessionDep) -> CrosswalkDetail:
    return crosswalk_detail(session, slug, code)


@router.get(
    "/{slug}/crosswalks/{code}/values",
    response_model=CarriedView,
    summary="Values on the old areas and carried to the new areas (estimated)",
    description=(
        "The values of an indicator in a period reported on the crosswalk's old areas and carried to its new "
        "areas by the weights (flag `estimated`). A carried value is withheld when any value it is computed "
        "from (the indicator's, for shares and means also the weight's, at any old area) is withheld."
    ),
)
def crosswalk_values(
    slug: str,
    code: str,
    reader: ReaderDep,
    indicator: Annotated[str, Query(max_length=80, description="Indicator code.")],
    period: Annotated[str, Query(max_length=40, description="Period code, e.g. 2024.")],
) -> CarriedView:
    city = areas.get_city(reader.session, slug)
    return carried_view(
        reader.session,
        slug,
        code,
        indicator,
        period,
        audience=reader.audience(city.id),
        networks=reader.networks(city.id),
    )


@router.get(
    "/{slug}/compare",
    response_model=CompareView,
    summary="Compare areas",
    description=(
        "Two to six areas (of any levels, as LEVEL:CODE or CODE) side by side: every indicator's "
        "published value in its latest period, the difference to the first area and the city-wide value, "
        "and the series of one indicator for every area. Withheld values have no value and yield no "
        "difference."
    ),
)
def compare_areas(
    slug: str,
    reader: ReaderDep,
    area: Annotated[list[str], Query(description="Areas as LEVEL:CODE or CODE, repeated (2 to 6).")],
    indicator: Annotated[
        str | None,
        Query(max_length=80, description="Indicator of the series; default: the first with a direction."),
    ] = None,
) -> CompareView:
    state = CompareState(areas=[a[:200] for a in area], indicator=indicator)
    return compare.compare_view(reader, slug, state)
