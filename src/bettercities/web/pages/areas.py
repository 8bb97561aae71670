"""The area profile: every indicator's latest value beside the city's, rank, trend, neighbours, locator."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bettercities.views import service as views
from bettercities.views.schemas import AreaView
from bettercities.web import figures
from bettercities.web.deps import ReaderDep, StateDep, TemplatesDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.templating import PageContext

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


@router.get("/cities/{slug}/areas/{code}.json", response_model=AreaView, summary="Area profile (JSON twin)")
def area_json(slug: str, code: str, reader: ReaderDep, state: StateDep) -> AreaView:
    return views.area_view(reader, slug, code, state)


@router.get("/cities/{slug}/areas/{code}", response_class=HTMLResponse, include_in_schema=False)
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
