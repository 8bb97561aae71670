"""The city page: a choropleth of any indicator, period and level, and the city-wide series."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bettercities.views import service as views
from bettercities.views.schemas import CityView
from bettercities.web import figures
from bettercities.web.deps import ReaderDep, StateDep, TemplatesDep, permalink_state
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.templating import PageContext

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

STATE = ("indicator", "period", "level", "classes", "k")


@router.get("/cities/{slug}.json", response_model=CityView, summary="City page (JSON twin)")
def city_json(slug: str, reader: ReaderDep, state: StateDep) -> CityView:
    return views.city_view(reader, slug, state)


@router.get("/cities/{slug}", response_class=HTMLResponse, include_in_schema=False)
def city_page(
    request: Request, slug: str, reader: ReaderDep, state: StateDep, templates: TemplatesDep
) -> HTMLResponse:
    view = views.city_view(reader, slug, state)
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
