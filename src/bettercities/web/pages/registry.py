"""Pages of the registry: ``/benchmark`` (an Urban Audit indicator over a set of cities: ranking, Europe
map, series, each city against the set's median) and its JSON twin ``/benchmark.json``. The registry's city
pages are areas' ``/cities`` and ``/cities/{slug}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from bettercities.figures.europe import BoundariesMissing, EuropePoint
from bettercities.registry.schemas import BenchmarkOut, BenchmarkPage
from bettercities.views import registry as registry_views
from bettercities.web import figures
from bettercities.web.deps import Lang, SessionDep, TemplatesDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext

router = APIRouter(tags=["pages"])

IndicatorQuery = Annotated[str | None, Query(max_length=60, description="Urban Audit indicator code.")]
SetQuery = Annotated[
    str | None,
    Query(
        max_length=2000, description="network:<slug>, programme:<slug>, size:<class> or cities:<slug,slug>."
    ),
]


@router.get(
    "/benchmark.json",
    response_model=BenchmarkPage,
    summary="Benchmark of an indicator over a set of cities (JSON twin of /benchmark)",
    responses=PROBLEM_RESPONSES,
)
def benchmark_json(
    session: SessionDep, indicator: IndicatorQuery = None, set: SetQuery = None
) -> BenchmarkPage:
    return registry_views.benchmark_page(session, indicator or None, set or None)


def _map(result: BenchmarkOut, page: PageContext) -> Markup | None:
    _ = gettext_for(page.lang).gettext
    points = [
        EuropePoint(
            key=row.slug,
            label=row.name,
            lon=row.lon,
            lat=row.lat,
            population=row.population,
            href=page.url("/cities/" + row.slug),
            group=None if row.vs_median is None else ("above" if row.vs_median > 0 else "below"),
        )
        for row in result.rows
        if row.lon is not None and row.lat is not None
    ][:400]
    if not points:
        return None
    try:
        return figures.europe_map(
            points,
            [],
            page,
            title=_("Cities of the benchmark"),
            description=_(
                "The set's cities on a map of Europe, sized by population; colour: above or below the median."
            ),
            groups={"above": _("Above the median"), "below": _("At or below the median")},
            id_prefix="bench",
        )
    except BoundariesMissing:
        return None


@router.get("/benchmark", response_class=HTMLResponse, include_in_schema=False, responses=PROBLEM_RESPONSES)
def benchmark_page(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    lang: Lang,
    indicator: IndicatorQuery = None,
    set: SetQuery = None,
) -> HTMLResponse:
    view = registry_views.benchmark_page(session, indicator or None, set or None)
    page = PageContext(request, lang)
    map_svg = _map(view.result, page) if view.result else None
    return templates.render(
        request,
        "registry/benchmark.html",
        lang=lang,
        state={"indicator": indicator, "set": set},
        view=view,
        map_svg=map_svg,
    )
