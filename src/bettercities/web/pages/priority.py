"""Pages of priority areas: a rule's areas on a map, the named sets the viewer may see, the form that keeps a
rule's areas as a named set, and a named set's page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError

from bettercities.access.policy import Permission, audience_for, can
from bettercities.analysis.index import results as index_results
from bettercities.analysis.priority import queries, service
from bettercities.analysis.priority.queries import PriorityQuery
from bettercities.analysis.priority.schemas import PRESETS, PriorityResult, PrioritySetOut, PrioritySetRequest
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.figures.priority import priority_map
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.views.reader import Reader
from bettercities.web.deps import (
    Lang,
    PrincipalDep,
    PriorityQueryDep,
    ReaderDep,
    TemplatesDep,
    city_with,
    get_workspace,
    requires,
)
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, svg
from bettercities.web.vocabularies import label

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


@router.get(
    "/cities/{slug}/priority.json", response_model=PriorityResult, summary="Priority areas page (JSON twin)"
)
def priority_json(slug: str, reader: ReaderDep, query: PriorityQueryDep) -> PriorityResult:
    return query.run(reader, slug)


def priority_figures(
    reader: Reader,
    city: City,
    items: PriorityResult | PrioritySetOut,
    page: PageContext,
    *,
    title: str,
) -> dict[str, Markup]:
    """The map of the chosen areas (the others grey) and its legend, of a rule's result or a stored set."""
    _ = gettext_for(page.lang).gettext
    level = areas.get_level(reader.session, city, items.level)
    drawn = priority_map(
        items,
        reader.shapes(city.id, level.id, items.period),
        title=title,
        priority_label=_("priority area"),
        other_label=_("other areas"),
        legend_title=_("Legend"),
        area_url=lambda code: page.url(f"/cities/{city.slug}/areas/{code}", level=items.level),
    )
    return {name: svg(drawing) for name, drawing in drawn.items()}


def audience_labels(lang: str) -> dict[str, str]:
    """Who may see a named set, in words."""
    _ = gettext_for(lang).gettext
    return {
        Audience.PUBLIC.value: _("everyone (evaluated on public data)"),
        Audience.MEMBER.value: _("the city's members (evaluated on restricted data, no suppressed cells)"),
        Audience.INTERNAL.value: _("the city's data team (evaluated on all data)"),
    }


def render_priority(
    request: Request,
    slug: str,
    reader: Reader,
    query: PriorityQuery,
    lang: str,
    templates: TemplatesDep,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The priority page; with ``error`` (and the posted ``form``), after a refused save. A city without an
    index run (which the rule reads) gets the page with an explanation of what to do, not a 404."""
    _ = gettext_for(lang).gettext
    city = areas.get_city(reader.session, slug)
    latest = next(iter(index_results.list_runs(reader.session, slug)), None)
    try:
        result: PriorityResult | None = query.run(reader, slug)
    except NotFound as missing:
        if missing.kind != "index run":
            raise
        result = None
    page = PageContext(request, lang, query.params())
    principal = page.principal
    own = audience_for(principal, city.id)
    labels = audience_labels(lang)
    choices = [(a.value, labels[a.value]) for a in service.AUDIENCE_ORDER if service.visible_to(a, own)]
    return templates.render(
        request,
        "priority/rule.html",
        lang=lang,
        state=query.params(),
        status_code=status_code,
        result=result,
        city=city,
        presets=PRESETS,
        sets=queries.visible_sets(reader, slug),
        can_save=result is not None and can(principal, Permission.ANALYSE, city.id),
        audiences=choices,
        own_audience=own.value,
        form=form or {},
        error=error,
        rule=result.rule if result is not None else PRESETS.get(query.rule),
        latest_run=latest,
        fitting_rule=queries.fitting_preset(latest.method) if latest is not None else None,
        figures=priority_figures(
            reader,
            city,
            result,
            page,
            title=_("Priority areas: {rule}").format(
                rule=label(result.rule.name, "priority_rule", lang, result.rule.title or result.rule.name)
            ),
        )
        if result is not None
        else {},
    )


@router.get("/cities/{slug}/priority", response_class=HTMLResponse, include_in_schema=False)
def priority_page(
    request: Request,
    slug: str,
    reader: ReaderDep,
    query: PriorityQueryDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    return render_priority(request, slug, reader, query, lang, templates)


@router.post(
    "/cities/{slug}/priority-sets",
    include_in_schema=False,
    response_model=None,
    dependencies=[Depends(requires(Permission.ANALYSE))],
)
def priority_set_save(
    request: Request,
    slug: str,
    reader: ReaderDep,
    workspace: Annotated[Workspace, Depends(get_workspace)],
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    name: Annotated[str, Form()],
    rule: Annotated[str, Form()] = "mss-low-status-negative-dynamics",
    description: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    audience: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The priority page's "Save as named set" form: 303 to the stored set's page, else the priority page
    with the message (409 for a name in use, 422 for invalid input)."""
    form = {"name": name, "description": description, "audience": audience}
    query = PriorityQuery(rule=rule, level=level or None, period=period or None)
    try:
        body = PrioritySetRequest.model_validate(
            {
                "name": name.strip(),
                "description": description.strip() or None,
                "rule": rule,
                "level": level or None,
                "period": period or None,
                "audience": audience or None,
            }
        )
        with workspace.database.session() as session:
            city = city_with(session, principal, slug, Permission.ANALYSE)
            own = audience_for(principal, city.id)
            saved = service.save_requested(session, slug, body, own=own, user=principal.name)
    except Conflict as error:
        return render_priority(
            request, slug, reader, query, lang, templates, form=form, error=str(error), status_code=409
        )
    except (InvalidInput, ValidationError) as error:
        message = (
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            if isinstance(error, ValidationError)
            else str(error)
        )
        return render_priority(
            request, slug, reader, query, lang, templates, form=form, error=message, status_code=422
        )
    return RedirectResponse(
        f"/cities/{slug}/priority-sets/{quote(saved.name, safe='')}?lang={lang}", status_code=303
    )


@router.get(
    "/cities/{slug}/priority-sets/{name}.json",
    response_model=PrioritySetOut,
    summary="Named set of priority areas page (JSON twin)",
)
def priority_set_json(slug: str, name: str, reader: ReaderDep) -> PrioritySetOut:
    return queries.visible_set(reader, slug, name)


@router.get("/cities/{slug}/priority-sets/{name}", response_class=HTMLResponse, include_in_schema=False)
def priority_set_page(
    request: Request, slug: str, name: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    _ = gettext_for(lang).gettext
    stored = queries.visible_set(reader, slug, name)
    city = areas.get_city(reader.session, slug)
    page = PageContext(request, lang)
    return templates.render(
        request,
        "priority/set.html",
        lang=lang,
        stored=stored,
        city=city,
        audience=audience_labels(lang)[stored.audience.value],
        rule_json=stored.rule.model_dump_json(indent=2, exclude_none=True),
        figures=priority_figures(
            reader, city, stored, page, title=_("Named set: {name}").format(name=stored.name)
        ),
    )
