"""Pages of spatial analysis: LISA/Gi* maps with Moran's I and its scatter plot; typology; priority areas
and their named sets (saved through a form)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError

from bettercities.access.policy import Permission, audience_for, can
from bettercities.analysis.priority import service as priority
from bettercities.analysis.priority.schemas import PRESETS, PriorityArea, PriorityResult, PrioritySetOut
from bettercities.analysis.spatial import service as spatial_service
from bettercities.analysis.spatial.schemas import (
    CLUSTER_COLOURS,
    CLUSTERS,
    HOTSPOT_COLOURS,
    HOTSPOTS,
    SpatialAnalysis,
)
from bettercities.analysis.spatial.typology import TypologyResult
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.figures import categorical as draw
from bettercities.indicators import service as indicators
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.views.service import Reader
from bettercities.web.api.spatial import (
    PriorityQuery,
    PriorityQueryDep,
    PrioritySetRequest,
    SpatialQueryDep,
    TypologyQueryDep,
    save_priority_set,
    visible_set,
    visible_sets,
)
from bettercities.web.deps import Lang, PrincipalDep, ReaderDep, TemplatesDep, get_workspace, requires
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


@router.get(
    "/cities/{slug}/spatial.json",
    response_model=SpatialAnalysis,
    summary="Spatial statistics page (JSON twin)",
)
def spatial_json(slug: str, reader: ReaderDep, query: SpatialQueryDep) -> SpatialAnalysis:
    return query.run(reader, slug)


def cluster_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "HH": _("high-high"),
        "LL": _("low-low"),
        "LH": _("low-high"),
        "HL": _("high-low"),
        "ns": _("not significant"),
        "hot": _("hot spot"),
        "cold": _("cold spot"),
    }


def figures(
    reader: Reader, result: SpatialAnalysis, city_id: int, level_id: int, page: PageContext
) -> dict[str, Markup]:
    """The LISA map and legend, the Gi* map and legend and the Moran scatter plot of a result."""
    _ = gettext_for(page.lang).gettext
    labels = cluster_labels(page.lang)
    shapes = reader.shapes(city_id, level_id, result.period)
    by_code = {a.area_id: a for a in result.areas}

    def hover(code: str) -> str:
        area = by_code.get(code)
        if area is None:
            return f"{code}: {_('no data')}"
        return (
            f"{area.name}: {page.num(area.value, 2)} – {labels[area.cluster or 'ns']}, "
            f"Gi* {labels[area.hotspot or 'ns']}"
        )

    def href(code: str) -> str:
        return page.url(f"/cities/{result.city}/areas/{code}", level=result.level)

    lisa_legend = [
        draw.Category(c, labels[c], CLUSTER_COLOURS[c], result.cluster_counts.get(c, 0)) for c in CLUSTERS
    ]
    gi_legend = [
        draw.Category(h, labels[h], HOTSPOT_COLOURS[h], result.hotspot_counts.get(h, 0)) for h in HOTSPOTS
    ]
    title = _("LISA clusters of {indicator}, {period}").format(
        indicator=result.indicator, period=result.period
    )
    gi_title = _("Getis-Ord Gi* hot and cold spots of {indicator}, {period}").format(
        indicator=result.indicator, period=result.period
    )
    points = [
        (a.z, a.lag, CLUSTER_COLOURS[a.cluster or "ns"], f"{a.name}: {labels[a.cluster or 'ns']}")
        for a in result.areas
    ]
    return {
        "lisa_map": svg(
            draw.categorical_map(
                shapes,
                {a.area_id: a.cluster for a in result.areas},
                lisa_legend,
                title=title,
                hover=hover,
                href=href,
                id_prefix="lisa",
            )
        ),
        "lisa_legend": svg(
            draw.category_legend(lisa_legend, title=_("LISA cluster"), id_prefix="lisa-legend")
        ),
        "gi_map": svg(
            draw.categorical_map(
                shapes,
                {a.area_id: a.hotspot for a in result.areas},
                gi_legend,
                title=gi_title,
                hover=hover,
                href=href,
                id_prefix="gi",
            )
        ),
        "gi_legend": svg(draw.category_legend(gi_legend, title="Gi*", id_prefix="gi-legend")),
        "scatter": svg(
            draw.scatter_plot(
                points,
                slope=result.moran.I if result.moran else 0.0,
                fmt=lambda v: page.num(v, 1),
                title=_("Moran scatter plot"),
                x_label=_("standardised value"),
                y_label=_("spatial lag"),
            )
        ),
    }


@router.get("/cities/{slug}/spatial", response_class=HTMLResponse, include_in_schema=False)
def spatial_page(
    request: Request,
    slug: str,
    reader: ReaderDep,
    query: SpatialQueryDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    session = reader.session
    city, indicator, _period, level = spatial_service.resolve(
        session, slug, query.indicator, period=query.period, level=query.level
    )
    result = query.run(reader, slug)
    page = PageContext(request, lang, query.params())
    return templates.render(
        request,
        "spatial/lisa.html",
        lang=lang,
        state=query.params(),
        result=result,
        city=city,
        indicator=indicator,
        options={
            "indicators": indicators.list_indicators(session, city),
            "periods": indicators.list_periods(session, city, indicator),
            "levels": areas.list_levels(session, city),
        },
        labels=cluster_labels(lang),
        figures=figures(reader, result, city.id, level.id, page),
    )


# -- typology ----------------------------------------------------------------------------------------------


@router.get(
    "/cities/{slug}/typology.json", response_model=TypologyResult, summary="Typology page (JSON twin)"
)
def typology_json(slug: str, reader: ReaderDep, query: TypologyQueryDep) -> TypologyResult:
    return query.run(reader, slug)


def typology_figures(
    reader: Reader,
    result: TypologyResult,
    city_id: int,
    level_id: int,
    page: PageContext,
    names: dict[str, str],
) -> dict[str, object]:
    """The map of the types, its legend and one profile chart per type."""
    _ = gettext_for(page.lang).gettext
    shapes = reader.shapes(city_id, level_id, result.period)
    by_code = {a.area_id: a for a in result.areas}
    labels = [names.get(code, code) for code in result.indicators]
    legend = [
        draw.Category(c.code, _("Type {code}").format(code=c.code), c.colour, c.size) for c in result.clusters
    ]

    def hover(code: str) -> str:
        area = by_code.get(code)
        return (
            f"{area.name}: {_('Type {code}').format(code=area.cluster)}"
            if area
            else f"{code}: {_('no data')}"
        )

    profiles = {
        c.code: svg(
            draw.profile_chart(
                labels,
                [draw.ProfileLine(_("Type {code}").format(code=c.code), c.colour, list(c.profile.values()))],
                fmt=lambda v: page.num(v, 1),
                title=_("Profile of type {code} (mean z-scores)").format(code=c.code),
                id_prefix=f"profile-{c.code}",
            )
        )
        for c in result.clusters
    }
    return {
        "map": svg(
            draw.categorical_map(
                shapes,
                {a.area_id: a.cluster for a in result.areas},
                legend,
                title=_("Types of areas, {period}").format(period=result.period),
                hover=hover,
                href=lambda code: page.url(f"/cities/{result.city}/areas/{code}", level=result.level),
                id_prefix="types",
            )
        ),
        "legend": svg(draw.category_legend(legend, title=_("Types"), id_prefix="types-legend")),
        "profiles": profiles,
    }


@router.get("/cities/{slug}/typology", response_class=HTMLResponse, include_in_schema=False)
def typology_page(
    request: Request,
    slug: str,
    reader: ReaderDep,
    query: TypologyQueryDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    session = reader.session
    city, _indicator, _period, level = spatial_service.resolve(
        session, slug, query.indicators[0], period=query.period, level=query.level
    )
    result = query.run(reader, slug)
    page = PageContext(request, lang, query.params())
    available = indicators.list_indicators(session, city)
    names = {item.code: page.name(item) for item in available}
    return templates.render(
        request,
        "spatial/typology.html",
        lang=lang,
        state=query.params(),
        result=result,
        city=city,
        names=names,
        options={"indicators": available, "levels": areas.list_levels(session, city)},
        figures=typology_figures(reader, result, city.id, level.id, page, names),
    )


# -- priority areas ----------------------------------------------------------------------------------------


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
    shapes = reader.shapes(city.id, level.id, items.period)
    chosen: dict[str, PriorityArea] = {a.area_id: a for a in items.areas}
    others = sum(1 for code in shapes.order if code not in chosen)
    legend = [
        draw.Category("priority", _("priority area"), "#b2182b", len(chosen)),
        draw.Category("other", _("other areas"), "#e8e8e8", others),
    ]

    def hover(code: str) -> str:
        area = chosen.get(code)
        return f"{area.name}: {'; '.join(area.reasons)}" if area else code

    return {
        "map": svg(
            draw.categorical_map(
                shapes,
                {code: "priority" if code in chosen else "other" for code in shapes.order},
                legend,
                title=title,
                hover=hover,
                href=lambda code: page.url(f"/cities/{city.slug}/areas/{code}", level=items.level),
                id_prefix="priority",
            )
        ),
        "legend": svg(draw.category_legend(legend, title=_("Legend"), id_prefix="priority-legend")),
    }


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
    """The priority page; with ``error`` (and the posted ``form``), after a refused save."""
    _ = gettext_for(lang).gettext
    result = query.run(reader, slug)
    city = areas.get_city(reader.session, slug)
    page = PageContext(request, lang, query.params())
    principal = page.principal
    own = audience_for(principal, city.id)
    labels = audience_labels(lang)
    choices = [(a.value, labels[a.value]) for a in priority.AUDIENCE_ORDER if priority.visible_to(a, own)]
    return templates.render(
        request,
        "priority/rule.html",
        lang=lang,
        state=query.params(),
        status_code=status_code,
        result=result,
        city=city,
        presets=PRESETS,
        sets=visible_sets(reader, slug),
        can_save=can(principal, Permission.ANALYSE, city.id),
        audiences=choices,
        own_audience=own.value,
        form=form or {},
        error=error,
        figures=priority_figures(
            reader,
            city,
            result,
            page,
            title=_("Priority areas: {rule}").format(rule=result.rule.title or result.rule.name),
        ),
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
        saved = save_priority_set(
            workspace,
            principal,
            slug,
            PrioritySetRequest.model_validate(
                {
                    "name": name.strip(),
                    "description": description.strip() or None,
                    "rule": rule,
                    "level": level or None,
                    "period": period or None,
                    "audience": audience or None,
                }
            ),
        )
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
    return visible_set(reader, slug, name)


@router.get("/cities/{slug}/priority-sets/{name}", response_class=HTMLResponse, include_in_schema=False)
def priority_set_page(
    request: Request, slug: str, name: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    _ = gettext_for(lang).gettext
    stored = visible_set(reader, slug, name)
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
