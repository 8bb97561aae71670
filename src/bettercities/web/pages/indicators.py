"""The indicator page: definition, distribution over the areas, ranking and the city series."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bettercities.core.errors import InvalidInput
from bettercities.views import change
from bettercities.views import service as views
from bettercities.views.change import ChangeView
from bettercities.views.schemas import IndicatorView
from bettercities.web import figures
from bettercities.web.deps import ChangeStateDep, ReaderDep, StateDep, TemplatesDep, permalink_state
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


# -- the change map between two periods (views/change.py) ------------------------------------------------


@router.get(
    "/cities/{slug}/indicators/{code}/change.json",
    response_model=ChangeView,
    summary="Change map between two periods (JSON twin)",
)
def change_json(slug: str, code: str, reader: ReaderDep, state: ChangeStateDep) -> ChangeView:
    return change.change_view(reader, slug, code, state)


@router.get("/cities/{slug}/indicators/{code}/change", response_class=HTMLResponse, include_in_schema=False)
def change_page(
    request: Request, slug: str, code: str, reader: ReaderDep, state: ChangeStateDep, templates: TemplatesDep
) -> HTMLResponse:
    notice: str | None = None
    try:
        view = change.change_view(reader, slug, code, state)
    except InvalidInput:
        # periods in the wrong order: the form again, with the default periods and a message
        fixed = state.model_copy(update={"from_period": None, "to_period": None})
        view = change.change_view(reader, slug, code, fixed)
        notice = "order"
    page = PageContext(request, state.lang)
    return templates.render(
        request,
        "indicators/change.html",
        lang=state.lang,
        state={"from": view.state.from_period, "to": view.state.to_period, "level": view.state.level},
        view=view,
        notice=notice,
        chosen={"from": state.from_period, "to": state.to_period},
        figures=figures.change_figures(reader, view, page),
        status_code=422 if notice else 200,
    )
