"""Index run pages: the list of stored runs and a run's class map with its robustness beside it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import BaseModel

from bettercities.analysis import results
from bettercities.analysis.results import RunSummary, RunView
from bettercities.areas import service as areas
from bettercities.core.errors import NotFound
from bettercities.reports import categorical as draw
from bettercities.reports.service import Reader
from bettercities.web.api.index import Distance, View
from bettercities.web.deps import Lang, ReaderDep, SessionDep, TemplatesDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


class RunList(BaseModel):
    """The stored index runs of a city."""

    city: str
    runs: list[RunSummary]


def _view(session: SessionDep, slug: str, run_id: int, view: str, distance: float) -> RunView:
    found = results.run_view(session, run_id, view=view, distance=distance)
    if found.run.city != slug:
        raise NotFound("index run", run_id)
    return found


@router.get("/cities/{slug}/index-runs.json", response_model=RunList, summary="Index runs page (JSON twin)")
def runs_json(slug: str, session: SessionDep) -> RunList:
    return RunList(city=slug, runs=results.list_runs(session, slug))


@router.get("/cities/{slug}/index-runs", response_class=HTMLResponse, include_in_schema=False)
def runs_page(
    request: Request, slug: str, session: SessionDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    city = areas.get_city(session, slug)
    return templates.render(
        request, "index/list.html", lang=lang, state={}, city=city, runs=results.list_runs(session, slug)
    )


@router.get(
    "/cities/{slug}/index-runs/{run_id}.json", response_model=RunView, summary="Index run page (JSON twin)"
)
def run_json(
    slug: str, run_id: int, session: SessionDep, view: View = "status", distance: Distance = 0.1
) -> RunView:
    return _view(session, slug, run_id, view, distance)


def view_names(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "status": _("Status index"),
        "dynamics": _("Dynamics index"),
        "combined": _("Status and dynamics"),
        "index": _("Index"),
    }


def class_map(reader: Reader, found: RunView, city_id: int, page: PageContext) -> dict[str, Markup]:
    """The class map of a run and its legend."""
    _ = gettext_for(page.lang).gettext
    run = found.run
    level = areas.get_level(reader.session, areas.get_city(reader.session, run.city), run.level)
    shapes = reader.shapes(city_id, level.id, run.period)
    legend = [draw.Category(c.code, c.label, c.colour, c.count) for c in found.classes]
    labels = {c.code: c.label for c in found.classes}
    notes = {a.area_id: a.note for a in run.result.areas}

    def hover(code: str) -> str:
        name = run.names.get(code) or code
        cls = found.area_classes.get(code)
        if cls is None:
            return f"{name}: {notes.get(code) or _('no data')}"
        return f"{name}: {labels.get(cls, cls)}"

    title = _("{name}: classes ({view}), {period}").format(
        name=run.name, view=view_names(page.lang)[found.view], period=run.period
    )
    return {
        "map": svg(
            draw.categorical_map(
                shapes,
                found.area_classes,
                legend,
                title=title,
                hover=hover,
                href=lambda code: page.url(f"/cities/{run.city}/areas/{code}", level=run.level),
                id_prefix="classmap",
            )
        ),
        "legend": svg(draw.category_legend(legend, title=_("Class"), id_prefix="class-legend")),
    }


@router.get("/cities/{slug}/index-runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(
    request: Request,
    slug: str,
    run_id: int,
    reader: ReaderDep,
    lang: Lang,
    templates: TemplatesDep,
    view: View = "status",
    distance: Distance = 0.1,
) -> HTMLResponse:
    found = _view(reader.session, slug, run_id, view, distance)
    city = areas.get_city(reader.session, slug)
    state = {"view": found.view, "distance": distance}
    page = PageContext(request, lang, state)
    unstable = [
        a
        for a in (found.robustness.areas if found.robustness else [])
        if a.near_threshold or a.loo_changes or a.bootstrap_areas > 0.1 or a.bootstrap_weights > 0.1
    ]
    unstable.sort(key=lambda a: (a.part, a.distance))
    return templates.render(
        request,
        "index/run.html",
        lang=lang,
        state=state,
        city=city,
        found=found,
        unstable=unstable[:60],
        unstable_total=len(unstable),
        view_names=view_names(lang),
        figures=class_map(reader, found, city.id, page),
    )
