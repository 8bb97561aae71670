"""``/api/indicators`` (the registry) and a city's observations and series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from bettercities.indicators import service as indicators
from bettercities.indicators.schemas import AreaValue, IndicatorOut, Series
from bettercities.views import change as changes
from bettercities.views import service as views
from bettercities.views.change import ChangeView
from bettercities.web.caching import NOT_MODIFIED, cached_json
from bettercities.web.deps import ChangeStateDep, ReaderDep, SessionDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.pagination import Page, PageDep

router = APIRouter(prefix="/api", tags=["indicators"], responses=PROBLEM_RESPONSES)


@router.get("/indicators", response_model=Page[IndicatorOut], summary="The indicator registry")
def list_indicators(request: Request, session: SessionDep, pages: PageDep) -> Page[IndicatorOut]:
    return pages.slice(request, indicators.list_indicators(session))


@router.get("/indicators/{code}", response_model=IndicatorOut, summary="One indicator's definition")
def get_indicator(code: str, session: SessionDep) -> IndicatorOut:
    return indicators.indicator_out(indicators.get_indicator(session, code))


@router.get(
    "/cities/{slug}/observations",
    response_model=Page[AreaValue],
    responses=NOT_MODIFIED,
    summary="Values of an indicator for the areas of a level in a period",
    description=(
        "Published values: withheld (suppressed) cells have no value, numerator or denominator. A level "
        "without stored data gets values aggregated from the nearest finer level (flag `estimated`). "
        "Conditional: `ETag` and `Last-Modified` change with the data; `If-None-Match` answers 304."
    ),
)
def observations(
    request: Request,
    slug: str,
    reader: ReaderDep,
    pages: PageDep,
    indicator: Annotated[str, Query(description="Indicator code.")],
    period: Annotated[str | None, Query(description="Period code; default: the latest.")] = None,
    level: Annotated[str | None, Query(description="Level code; default: the finest.")] = None,
) -> Response:
    def compute() -> Page[AreaValue]:
        _, values = views.level_view(reader, slug, indicator, period=period, level=level)
        return pages.slice(request, values)

    return cached_json(request, reader, slug=slug, compute=compute)


@router.get("/cities/{slug}/series", response_model=Series, summary="Time series of the city or of one area")
def series(
    slug: str,
    reader: ReaderDep,
    indicator: Annotated[str, Query(description="Indicator code.")],
    area: Annotated[str | None, Query(description="Area code; default: the whole city.")] = None,
    level: Annotated[str | None, Query(description="Level of the area, when codes repeat.")] = None,
) -> Series:
    return views.series_view(reader, slug, indicator, area_code=area, level=level)


@router.get(
    "/cities/{slug}/indicators/{code}/change",
    response_model=ChangeView,
    summary="Change of an indicator between two periods, per area",
    description=(
        "Absolute change (percentage points for shares in %) and relative change (percent of the first "
        "value) of the published values of every area of a level, classed on a diverging scale centred on "
        "0. An area whose value is withheld in either period has status `withheld` and no change; areas on "
        "the map of only one period are `new` or `ended`."
    ),
)
def change(slug: str, code: str, reader: ReaderDep, state: ChangeStateDep) -> ChangeView:
    return changes.change_view(reader, slug, code, state)
