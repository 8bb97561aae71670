"""Pages of the areas domain: the front page, the list of cities, the city page (a choropleth of any
indicator, period and level, and the city-wide series) and the area profile (every indicator's latest value
beside the city's, rank, trend, neighbours, locator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from bettercities.core.errors import NotFound
from bettercities.registry import service as registry
from bettercities.registry.sources import INDICATORS
from bettercities.views import compare
from bettercities.views import crosswalks as crosswalk_views
from bettercities.views import registry as registry_views
from bettercities.views import service as views
from bettercities.views.compare import CompareState, CompareView
from bettercities.views.crosswalks import CrosswalkListView, CrosswalkPageView
from bettercities.views.schemas import AreaView, CityView, HomeView
from bettercities.web import figures
from bettercities.web.deps import Lang, ReaderDep, StateDep, TemplatesDep, permalink_state
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.templating import PageContext

router = APIRouter(tags=["pages"])

STATE = ("indicator", "period", "level", "classes", "k")


@router.get("/index.json", response_model=HomeView, summary="Front page (JSON twin of /)")
def home_json(reader: ReaderDep) -> HomeView:
    return views.home_view(reader)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, reader: ReaderDep, templates: TemplatesDep, lang: Lang) -> HTMLResponse:
    return templates.render(request, "areas/home.html", lang=lang, view=views.home_view(reader))


class RegistryQuery:
    """The registry search of /cities: ``q`` (name or other name), ``country``, ``size`` (size class) and
    ``offset`` (paging, 50 a page)."""

    def __init__(
        self,
        q: Annotated[str | None, Query(max_length=100)] = None,
        country: Annotated[str | None, Query(max_length=2)] = None,
        size: Annotated[str | None, Query(max_length=20)] = None,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> None:
        self.q = q or None
        self.country = (country or "").upper() or None
        self.size = size or None
        self.offset = offset


def _cities_view(reader: ReaderDep, query: RegistryQuery) -> HomeView:
    view = views.home_view(reader)
    view.registry = registry_views.registry_page(
        reader.session, q=query.q, country=query.country, size=query.size, offset=query.offset
    )
    return view


@router.get(
    "/cities.json",
    response_model=HomeView,
    summary="City list and a page of the city registry (JSON twin of /cities)",
    responses=PROBLEM_RESPONSES,
)
def cities_json(reader: ReaderDep, query: Annotated[RegistryQuery, Depends()]) -> HomeView:
    return _cities_view(reader, query)


@router.get("/cities", response_class=HTMLResponse, include_in_schema=False, responses=PROBLEM_RESPONSES)
def cities(
    request: Request,
    reader: ReaderDep,
    templates: TemplatesDep,
    lang: Lang,
    query: Annotated[RegistryQuery, Depends()],
) -> HTMLResponse:
    return templates.render(
        request,
        "areas/cities.html",
        lang=lang,
        view=_cities_view(reader, query),
        query=query,
        size_classes=list(registry.SIZE_CLASSES),
    )


@router.get(
    "/cities/{slug}.json",
    response_model=CityView,
    summary="City page (JSON twin)",
    responses=PROBLEM_RESPONSES,
)
def city_json(slug: str, reader: ReaderDep, state: StateDep) -> CityView:
    return views.city_view(reader, slug, state)


@router.get(
    "/cities/{slug}", response_class=HTMLResponse, include_in_schema=False, responses=PROBLEM_RESPONSES
)
def city_page(
    request: Request, slug: str, reader: ReaderDep, state: StateDep, templates: TemplatesDep
) -> HTMLResponse:
    try:
        view = views.city_view(reader, slug, state)
    except NotFound as missing:
        if missing.kind != "indicator with data":
            raise
        # a new city (or one whose data the viewer may not see yet): what to do, and the pages it has
        start = views.city_start_view(reader, slug)
        return templates.render(
            request, "areas/city_empty.html", lang=state.lang, view=start, ua_indicators=INDICATORS
        )
    page = PageContext(request, state.lang)
    return templates.render(
        request,
        "areas/city.html",
        lang=state.lang,
        state=permalink_state(view.state, *STATE),
        view=view,
        map_svg=figures.city_map(reader, view, page),
        legend_svg=figures.legend(view, page),
        chart_svg=figures.city_chart(view, page),
    )


@router.get(
    "/cities/{slug}/areas/{code}.json",
    response_model=AreaView,
    summary="Area profile (JSON twin)",
    responses=PROBLEM_RESPONSES,
)
def area_json(slug: str, code: str, reader: ReaderDep, state: StateDep) -> AreaView:
    return views.area_view(reader, slug, code, state)


@router.get(
    "/cities/{slug}/areas/{code}",
    response_class=HTMLResponse,
    include_in_schema=False,
    responses=PROBLEM_RESPONSES,
)
def area_page(
    request: Request, slug: str, code: str, reader: ReaderDep, state: StateDep, templates: TemplatesDep
) -> HTMLResponse:
    view = views.area_view(reader, slug, code, state)
    page = PageContext(request, state.lang)
    sparklines = {row.indicator.code: figures.sparkline(row, view, page) for row in view.rows}
    return templates.render(
        request,
        "areas/profile.html",
        lang=state.lang,
        state={"level": view.level.code},
        view=view,
        locator_svg=figures.locator(reader, view, page),
        sparklines=sparklines,
    )


# -- the comparison of areas (views/compare.py) ----------------------------------------------------------


def compare_state(
    lang: Lang,
    area: Annotated[
        list[str] | None,
        Query(description="Areas to compare as LEVEL:CODE or CODE, repeated (2 to 6), e.g. district:01."),
    ] = None,
    indicator: Annotated[
        str | None,
        Query(max_length=80, description="Indicator of the chart; default: the first with a direction."),
    ] = None,
) -> CompareState:
    # the form sends every field, the empty ones too
    chosen = list(dict.fromkeys(a.strip()[:200] for a in area or [] if a.strip()))
    return CompareState(lang=lang, areas=chosen, indicator=indicator)


CompareStateDep = Annotated[CompareState, Depends(compare_state)]


@router.get(
    "/cities/{slug}/compare.json",
    response_model=CompareView,
    summary="Comparison of areas (JSON twin)",
    responses=PROBLEM_RESPONSES,
)
def compare_json(slug: str, reader: ReaderDep, state: CompareStateDep) -> CompareView:
    return compare.compare_view(reader, slug, state)


@router.get(
    "/cities/{slug}/compare",
    response_class=HTMLResponse,
    include_in_schema=False,
    responses=PROBLEM_RESPONSES,
)
def compare_page(
    request: Request, slug: str, reader: ReaderDep, state: CompareStateDep, templates: TemplatesDep
) -> HTMLResponse:
    form = compare.compare_form(reader, slug)
    view, notice = None, None
    if len(state.areas) < compare.MIN_AREAS:
        notice = "choose"  # no areas yet (or one): the form, with a hint, not an error
    elif len(state.areas) > compare.MAX_AREAS:
        notice = "too-many"
    else:
        view = compare.compare_view(reader, slug, state)
    page = PageContext(request, state.lang)
    chart = view.state.indicator if view else None
    return templates.render(
        request,
        "areas/compare.html",
        lang=state.lang,
        state={"area": view.state.areas if view else state.areas, "indicator": chart},
        form=form,
        view=view,
        notice=notice,
        chosen=state.areas,
        limits=(compare.MIN_AREAS, compare.MAX_AREAS),
        chart_svg=figures.compare_chart(view, page) if view else None,
    )


# -- crosswalks between boundary versions (views/crosswalks.py) -------------------------------------------


@router.get(
    "/cities/{slug}/crosswalks.json",
    response_model=CrosswalkListView,
    summary="Crosswalks of a city (JSON twin)",
    responses=PROBLEM_RESPONSES,
)
def crosswalks_json(slug: str, reader: ReaderDep) -> CrosswalkListView:
    return crosswalk_views.crosswalk_list_view(reader, slug)


@router.get(
    "/cities/{slug}/crosswalks",
    response_class=HTMLResponse,
    include_in_schema=False,
    responses=PROBLEM_RESPONSES,
)
def crosswalks_page(
    request: Request, slug: str, reader: ReaderDep, templates: TemplatesDep, lang: Lang
) -> HTMLResponse:
    view = crosswalk_views.crosswalk_list_view(reader, slug)
    return templates.render(request, "areas/crosswalks.html", lang=lang, view=view)


CrosswalkIndicator = Annotated[
    str | None, Query(max_length=80, description="Indicator code; default: the first with data.")
]
CrosswalkPeriod = Annotated[str | None, Query(max_length=40, description="Period code; default: the latest.")]


@router.get(
    "/cities/{slug}/crosswalks/{code}.json",
    response_model=CrosswalkPageView,
    summary="One crosswalk with old and carried values (JSON twin)",
    responses=PROBLEM_RESPONSES,
)
def crosswalk_json(
    slug: str,
    code: str,
    reader: ReaderDep,
    indicator: CrosswalkIndicator = None,
    period: CrosswalkPeriod = None,
) -> CrosswalkPageView:
    return crosswalk_views.crosswalk_page_view(reader, slug, code, indicator=indicator, period=period)


@router.get(
    "/cities/{slug}/crosswalks/{code}",
    response_class=HTMLResponse,
    include_in_schema=False,
    responses=PROBLEM_RESPONSES,
)
def crosswalk_page(
    request: Request,
    slug: str,
    code: str,
    reader: ReaderDep,
    templates: TemplatesDep,
    lang: Lang,
    indicator: CrosswalkIndicator = None,
    period: CrosswalkPeriod = None,
) -> HTMLResponse:
    view = crosswalk_views.crosswalk_page_view(reader, slug, code, indicator=indicator, period=period)
    return templates.render(
        request,
        "areas/crosswalk.html",
        lang=lang,
        state={"indicator": view.indicator, "period": view.period},
        view=view,
    )
