"""The indicator page: definition, distribution over the areas, ranking and the city series."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bettercities.views import service as views
from bettercities.views.schemas import IndicatorView
from bettercities.web import figures
from bettercities.web.deps import ReaderDep, StateDep, TemplatesDep, permalink_state
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.templating import PageContext

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

STATE = ("period", "level", "classes", "k")


@router.get(
    "/cities/{slug}/indicators/{code}.json",
    response_model=IndicatorView,
    summary="Indicator page (JSON twin)",
)
def indicator_json(slug: str, code: str, reader: ReaderDep, state: StateDep) -> IndicatorView:
    return views.indicator_view(reader, slug, code, state)


@router.get("/cities/{slug}/indicators/{code}", response_class=HTMLResponse, include_in_schema=False)
def indicator_page(
    request: Request, slug: str, code: str, reader: ReaderDep, state: StateDep, templates: TemplatesDep
) -> HTMLResponse:
    view = views.indicator_view(reader, slug, code, state)
    page = PageContext(request, state.lang)
    return templates.render(
        request,
        "indicators/detail.html",
        lang=state.lang,
        state=permalink_state(view.state, *STATE),
        view=view,
        histogram_svg=figures.histogram(view, page),
        legend_svg=figures.legend(view, page),
        chart_svg=figures.city_chart(view, page),
    )
