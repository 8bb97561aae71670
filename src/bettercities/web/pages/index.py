"""Index run pages: the list of stored runs and a run's class map with its robustness beside it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import BaseModel

from bettercities.access.policy import audience_for
from bettercities.analysis.index import change, results
from bettercities.analysis.index.change import ChangeView
from bettercities.analysis.index.results import RunSummary, RunView
from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.figures import categorical as draw
from bettercities.views.service import Reader
from bettercities.web.api.index import Crosswalk, Distance, Part, View, run_audience
from bettercities.web.deps import DbId, Lang, ReaderDep, SessionDep, TemplatesDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


class RunList(BaseModel):
    """The stored index runs of a city."""

    city: str
    runs: list[RunSummary]


def _view(reader: Reader, slug: str, run_id: int, view: str, distance: float) -> RunView:
    audience = run_audience(reader.session, reader.principal, run_id)
    found = results.run_view(
        reader.session, run_id, view=view, distance=distance, memo=reader.memo, audience=audience
    )
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


# The change routes come before ``/index-runs/{run_id}``, which would otherwise take ``change`` for a run id.


class ChangePage(BaseModel):
    """The change page: the runs to choose from, the crosswalks, and the comparison (None: no pair)."""

    city: str
    runs: list[RunSummary]
    crosswalks: list[str]
    view: ChangeView | None = None


def change_page_view(
    reader: Reader, slug: str, before: int | None, after: int | None, part: str | None, crosswalk: str | None
) -> ChangePage:
    session = reader.session
    audience = audience_for(reader.principal, areas.get_city(session, slug).id)
    if (before is None) != (after is None):
        raise InvalidInput("choose both runs to compare (before and after), or neither for the newest pair")
    pair = (before, after) if before is not None and after is not None else change.default_pair(session, slug)
    view = None
    if pair is not None:
        view = change.change_view(
            session, pair[0], pair[1], part=part, crosswalk=crosswalk or None, city=slug, audience=audience
        )
    return ChangePage(
        city=slug,
        runs=results.list_runs(session, slug),
        crosswalks=change.crosswalk_codes(session, slug),
        view=view,
    )


@router.get(
    "/cities/{slug}/index-runs/change.json",
    response_model=ChangePage,
    summary="Change of index classes page (JSON twin)",
)
def change_json(
    slug: str,
    reader: ReaderDep,
    before: DbId | None = None,
    after: DbId | None = None,
    part: Part = None,
    crosswalk: Crosswalk = None,
) -> ChangePage:
    return change_page_view(reader, slug, before, after, part, crosswalk)


def move_names(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {"better": _("Better class"), "same": _("Same class"), "worse": _("Worse class")}


MOVE_COLOURS = {"better": "#1a9850", "same": "#d9d9d9", "worse": "#d73027"}


def change_map(reader: Reader, found: ChangeView, city_id: int, page: PageContext) -> dict[str, Markup]:
    """The map of areas that moved to a better or worse class, and its legend."""
    _ = gettext_for(page.lang).gettext
    run = results.get_run(reader.session, found.change.after)
    level = areas.get_level(reader.session, areas.get_city(reader.session, run.city), run.level)
    shapes = reader.shapes(city_id, level.id, run.period)
    names = move_names(page.lang)
    legend = [
        draw.Category(m, names[m], MOVE_COLOURS[m], found.counts[m]) for m in ("better", "same", "worse")
    ]
    classes = {a.area_id: a for a in found.change.areas}

    def hover(code: str) -> str:
        name = run.names.get(code) or code
        area, move = classes.get(code), found.moves.get(code)
        if area is None or move is None:
            return f"{name}: {_('not classed in both runs')}"
        return f"{name}: {area.before[found.part]} → {area.after[found.part]} ({names[move]})"

    title = _("Change of classes ({view}): {before} to {after}").format(
        view=view_names(page.lang)[found.part], before=found.change.before_name, after=found.change.after_name
    )
    return {
        "map": svg(
            draw.categorical_map(
                shapes,
                found.moves,
                legend,
                title=title,
                hover=hover,
                href=lambda code: page.url(f"/cities/{run.city}/areas/{code}", level=run.level),
                id_prefix="changemap",
            )
        ),
        "legend": svg(draw.category_legend(legend, title=_("Change"), id_prefix="change-legend")),
    }


@router.get("/cities/{slug}/index-runs/change", response_class=HTMLResponse, include_in_schema=False)
def change_page(
    request: Request,
    slug: str,
    reader: ReaderDep,
    lang: Lang,
    templates: TemplatesDep,
    before: DbId | None = None,
    after: DbId | None = None,
    part: Part = None,
    crosswalk: Crosswalk = None,
) -> HTMLResponse:
    city = areas.get_city(reader.session, slug)
    found = change_page_view(reader, slug, before, after, part, crosswalk)
    state: dict[str, object] = {"crosswalk": crosswalk or None}
    if found.view is not None:
        state |= {
            "before": found.view.change.before,
            "after": found.view.change.after,
            "part": found.view.part,
        }
    page = PageContext(request, lang, state)
    return templates.render(
        request,
        "index/change.html",
        lang=lang,
        state=state,
        city=city,
        found=found,
        view_names=view_names(lang),
        move_names=move_names(lang),
        figures=change_map(reader, found.view, city.id, page) if found.view is not None else None,
    )


@router.get(
    "/cities/{slug}/index-runs/{run_id}.json", response_model=RunView, summary="Index run page (JSON twin)"
)
def run_json(
    slug: str, run_id: DbId, reader: ReaderDep, view: View = "status", distance: Distance = 0.1
) -> RunView:
    return _view(reader, slug, run_id, view, distance)


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
    run_id: DbId,
    reader: ReaderDep,
    lang: Lang,
    templates: TemplatesDep,
    view: View = "status",
    distance: Distance = 0.1,
) -> HTMLResponse:
    found = _view(reader, slug, run_id, view, distance)
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
