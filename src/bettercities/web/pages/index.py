"""Index run pages: the list of stored runs, a run's class map with its robustness beside it, and the change
of classes between two runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from bettercities.analysis.index import queries, results
from bettercities.analysis.index.change import ChangeView
from bettercities.analysis.index.queries import ChangePage, RunList
from bettercities.analysis.index.results import RunView
from bettercities.analysis.index.schemas import AreaScore, UnscoredReason
from bettercities.areas import service as areas
from bettercities.figures import index as figures
from bettercities.views.reader import Reader
from bettercities.web import formatting
from bettercities.web.deps import (
    Crosswalk,
    DbId,
    IndexPart,
    IndexView,
    Lang,
    ReaderDep,
    TemplatesDep,
    ThresholdDistance,
)
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


@router.get("/cities/{slug}/index-runs.json", response_model=RunList, summary="Index runs page (JSON twin)")
def runs_json(slug: str, reader: ReaderDep) -> RunList:
    return queries.run_list(reader, slug)


@router.get("/cities/{slug}/index-runs", response_class=HTMLResponse, include_in_schema=False)
def runs_page(
    request: Request, slug: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    city = areas.get_city(reader.session, slug)
    runs = queries.run_list(reader, slug).runs
    return templates.render(request, "index/list.html", lang=lang, state={}, city=city, runs=runs)


# The change routes come before ``/index-runs/{run_id}``, which would otherwise take ``change`` for a run id.


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
    part: IndexPart = None,
    crosswalk: Crosswalk = None,
) -> ChangePage:
    return queries.change_page(reader, slug, before, after, part=part, crosswalk=crosswalk)


def move_names(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {"better": _("Better class"), "same": _("Same class"), "worse": _("Worse class")}


def view_names(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "status": _("Status index"),
        "dynamics": _("Dynamics index"),
        "combined": _("Status and dynamics"),
        "index": _("Index"),
    }


def change_map(reader: Reader, found: ChangeView, city_id: int, page: PageContext) -> dict[str, Markup]:
    """The map of areas that moved to a better or worse class, and its legend."""
    _ = gettext_for(page.lang).gettext
    run = results.get_run(reader.session, found.change.after)
    level = areas.get_level(reader.session, areas.get_city(reader.session, run.city), run.level)
    title = _("Change of classes ({view}): {before} to {after}").format(
        view=view_names(page.lang)[found.part], before=found.change.before_name, after=found.change.after_name
    )
    drawn = figures.change_map(
        found,
        run,
        reader.shapes(city_id, level.id, run.period),
        move_names=move_names(page.lang),
        title=title,
        legend_title=_("Change"),
        not_classed=_("not classed in both runs"),
        area_url=lambda code: page.url(f"/cities/{run.city}/areas/{code}", level=run.level),
    )
    return {name: svg(drawing) for name, drawing in drawn.items()}


@router.get("/cities/{slug}/index-runs/change", response_class=HTMLResponse, include_in_schema=False)
def change_page(
    request: Request,
    slug: str,
    reader: ReaderDep,
    lang: Lang,
    templates: TemplatesDep,
    before: DbId | None = None,
    after: DbId | None = None,
    part: IndexPart = None,
    crosswalk: Crosswalk = None,
) -> HTMLResponse:
    city = areas.get_city(reader.session, slug)
    found = queries.change_page(reader, slug, before, after, part=part, crosswalk=crosswalk)
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
    slug: str, run_id: DbId, reader: ReaderDep, view: IndexView = "status", distance: ThresholdDistance = 0.1
) -> RunView:
    return queries.run_view(reader, run_id, view=view, distance=distance, city=slug)


def note_text(area: AreaScore, config: Mapping[str, Any], lang: str) -> str:
    """The note of an unscored ``area`` of a run with ``config`` in ``lang``: its codes
    (:class:`~bettercities.analysis.index.schemas.UnscoredReason`, parts joined by "; ") in words, the
    fewer-inhabitants one with the configuration's minimum and the area's population in the reader's
    notation; a part that is no code (the configuration's reason for excluding the area) as written."""
    _ = gettext_for(lang).gettext
    parts = []
    for part in (area.note or "").split("; "):
        if part == UnscoredReason.WITHHELD:
            parts.append(_("withheld (a suppressed input value)"))
        elif part == UnscoredReason.FEW_INHABITANTS:
            minimum, count = config.get("min_population"), area.population
            parts.append(
                _("fewer than {minimum} inhabitants ({count})").format(
                    minimum=_count(minimum, lang), count=_count(count, lang)
                )
            )
        elif part:
            parts.append(part)
    return "; ".join(parts)


def _count(value: Any, lang: str) -> str:
    """A number of inhabitants (whole, or with its decimals as stored) in the reader's notation."""
    if not isinstance(value, int | float):
        return "–"
    return formatting.number(value, 0 if float(value).is_integer() else 1, lang)


def class_map(reader: Reader, found: RunView, city_id: int, page: PageContext) -> dict[str, Markup]:
    """The class map of a run and its legend."""
    _ = gettext_for(page.lang).gettext
    run = found.run
    level = areas.get_level(reader.session, areas.get_city(reader.session, run.city), run.level)
    title = _("{name}: classes ({view}), {period}").format(
        name=run.name, view=view_names(page.lang)[found.view], period=run.period
    )
    drawn = figures.class_map(
        found,
        reader.shapes(city_id, level.id, run.period),
        title=title,
        legend_title=_("Class"),
        no_data=_("no data"),
        area_url=lambda code: page.url(f"/cities/{run.city}/areas/{code}", level=run.level),
        note_text=lambda area: note_text(area, run.result.config, page.lang),
    )
    return {name: svg(drawing) for name, drawing in drawn.items()}


@router.get("/cities/{slug}/index-runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(
    request: Request,
    slug: str,
    run_id: DbId,
    reader: ReaderDep,
    lang: Lang,
    templates: TemplatesDep,
    view: IndexView = "status",
    distance: ThresholdDistance = 0.1,
) -> HTMLResponse:
    found = queries.run_view(reader, run_id, view=view, distance=distance, city=slug)
    city = areas.get_city(reader.session, slug)
    state = {"view": found.view, "distance": distance}
    page = PageContext(request, lang, state)
    unstable = queries.unstable_areas(found)
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
