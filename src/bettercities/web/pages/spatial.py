"""Pages of spatial analysis: LISA/Gi* maps with Moran's I and its scatter plot; typology."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bettercities.analysis.spatial import service as spatial_service
from bettercities.analysis.spatial.schemas import SpatialAnalysis
from bettercities.analysis.spatial.typology import TypologyResult
from bettercities.areas import service as areas
from bettercities.figures import spatial as figures
from bettercities.indicators import service as indicators
from bettercities.views.reader import Reader
from bettercities.web.deps import (
    Lang,
    ReaderDep,
    SpatialPageQueryDep,
    SpatialQueryDep,
    TemplatesDep,
    TypologyPageQueryDep,
    TypologyQueryDep,
)
from bettercities.web.errors import PROBLEM_RESPONSES, add_notice
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


def lisa_texts(result: SpatialAnalysis, lang: str) -> figures.LisaTexts:
    """The words of the LISA and Gi* figures in ``lang``."""
    _ = gettext_for(lang).gettext
    return figures.LisaTexts(
        labels=cluster_labels(lang),
        no_data=_("no data"),
        lisa_title=_("LISA clusters of {indicator}, {period}").format(
            indicator=result.indicator, period=result.period
        ),
        gi_title=_("Getis-Ord Gi* hot and cold spots of {indicator}, {period}").format(
            indicator=result.indicator, period=result.period
        ),
        lisa_legend=_("LISA cluster"),
        scatter_title=_("Moran scatter plot"),
        x_label=_("standardised value"),
        y_label=_("spatial lag"),
    )


@router.get("/cities/{slug}/spatial", response_class=HTMLResponse, include_in_schema=False)
def spatial_page(
    request: Request,
    slug: str,
    reader: ReaderDep,
    query: SpatialPageQueryDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    session = reader.session
    if query is None:
        city = areas.get_city(session, slug)
        add_notice(request, gettext_for(lang).gettext("Choose an indicator to see where its values cluster."))
        return templates.render(
            request,
            "spatial/lisa.html",
            lang=lang,
            result=None,
            city=city,
            indicator=None,
            options={
                "indicators": indicators.list_indicators(session, city),
                "periods": indicators.list_periods(session, city),
                "levels": areas.list_levels(session, city),
            },
        )
    city, indicator, _period, level = spatial_service.resolve(
        session, slug, query.indicator, period=query.period, level=query.level
    )
    result = query.run(reader, slug)
    page = PageContext(request, lang, query.params())
    drawn = figures.lisa_figures(
        result,
        reader.shapes(city.id, level.id, result.period),
        lisa_texts(result, lang),
        num=page.num,
        area_url=lambda code: page.url(f"/cities/{result.city}/areas/{code}", level=result.level),
    )
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
        figures={name: svg(drawing) for name, drawing in drawn.items()},
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
    texts = figures.TypologyTexts(
        type_name=_("Type {code}"),
        profile_title=_("Profile of type {code} (mean z-scores)"),
        map_title=_("Types of areas, {period}").format(period=result.period),
        legend_title=_("Types"),
        no_data=_("no data"),
    )
    drawn = figures.typology_map(
        result,
        reader.shapes(city_id, level_id, result.period),
        texts,
        area_url=lambda code: page.url(f"/cities/{result.city}/areas/{code}", level=result.level),
    )
    profiles = figures.typology_profiles(result, texts, names=names, num=page.num)
    return {
        "map": svg(drawn["map"]),
        "legend": svg(drawn["legend"]),
        "profiles": {code: svg(chart) for code, chart in profiles.items()},
    }


@router.get("/cities/{slug}/typology", response_class=HTMLResponse, include_in_schema=False)
def typology_page(
    request: Request,
    slug: str,
    reader: ReaderDep,
    query: TypologyPageQueryDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    session = reader.session
    if query is None:
        city = areas.get_city(session, slug)
        add_notice(request, gettext_for(lang).gettext("Choose the indicators to group the areas by."))
        available = indicators.list_indicators(session, city)
        return templates.render(
            request,
            "spatial/typology.html",
            lang=lang,
            result=None,
            city=city,
            names={},
            options={"indicators": available, "levels": areas.list_levels(session, city)},
        )
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
