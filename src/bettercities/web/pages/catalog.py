"""Catalogue pages: the dataset list with search and filters, a dataset, the inventory against the reference
set (printable) and the responsibilities with reminders. Each has its JSON twin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bettercities.catalog import queries as catalog
from bettercities.catalog.inventory import inventory
from bettercities.catalog.schemas import (
    AccessRights,
    CatalogView,
    DatasetFilter,
    DatasetView,
    Frequency,
    InventoryView,
    State,
    StewardshipView,
    Theme,
)
from bettercities.catalog.stewardship import stewardship
from bettercities.web.deps import AudienceDep, Lang, LevelNames, SessionDep, TemplatesDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)
FilterDep = Annotated[DatasetFilter, Depends()]
VOCABULARIES: dict[str, Any] = {
    "themes": list(Theme),
    "states": list(State),
    "access": list(AccessRights),
    "frequencies": list(Frequency),
}


@router.get("/cities/{slug}/catalog.json", response_model=CatalogView, summary="Catalogue page (JSON twin)")
def catalog_json(slug: str, session: SessionDep, audience: AudienceDep, filters: FilterDep) -> CatalogView:
    return catalog.catalog_view(session, slug, filters, audience=audience)


@router.get("/cities/{slug}/catalog", response_class=HTMLResponse, include_in_schema=False)
def catalog_page(
    request: Request,
    slug: str,
    session: SessionDep,
    audience: AudienceDep,
    filters: FilterDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    view = catalog.catalog_view(session, slug, filters, audience=audience)
    state = filters.model_dump(mode="json", exclude_defaults=True)
    return templates.render(request, "catalog/list.html", lang=lang, state=state, view=view, **VOCABULARIES)


@router.get(
    "/cities/{slug}/catalog/{code}.json", response_model=DatasetView, summary="Dataset page (JSON twin)"
)
def dataset_json(slug: str, code: str, session: SessionDep, audience: AudienceDep) -> DatasetView:
    return catalog.dataset_view(session, slug, code, audience=audience)


@router.get("/cities/{slug}/catalog/{code}", response_class=HTMLResponse, include_in_schema=False)
def dataset_page(
    request: Request,
    slug: str,
    code: str,
    session: SessionDep,
    audience: AudienceDep,
    lang: Lang,
    templates: TemplatesDep,
    levels: LevelNames,
) -> HTMLResponse:
    view = catalog.dataset_view(session, slug, code, audience=audience)
    return templates.render(request, "catalog/dataset.html", lang=lang, view=view, level_names=levels)


@router.get(
    "/cities/{slug}/inventory.json", response_model=InventoryView, summary="Inventory page (JSON twin)"
)
def inventory_json(slug: str, session: SessionDep, audience: AudienceDep) -> InventoryView:
    return inventory(session, slug, audience=audience)


@router.get("/cities/{slug}/inventory", response_class=HTMLResponse, include_in_schema=False)
def inventory_page(
    request: Request,
    slug: str,
    session: SessionDep,
    audience: AudienceDep,
    lang: Lang,
    templates: TemplatesDep,
    levels: LevelNames,
) -> HTMLResponse:
    view = inventory(session, slug, audience=audience)
    return templates.render(request, "catalog/inventory.html", lang=lang, view=view, level_names=levels)


@router.get(
    "/cities/{slug}/responsibilities.json",
    response_model=StewardshipView,
    summary="Responsibilities page (JSON twin)",
)
def responsibilities_json(slug: str, session: SessionDep, audience: AudienceDep) -> StewardshipView:
    return stewardship(session, slug, audience=audience)


@router.get("/cities/{slug}/responsibilities", response_class=HTMLResponse, include_in_schema=False)
def responsibilities_page(
    request: Request,
    slug: str,
    session: SessionDep,
    audience: AudienceDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    view = stewardship(session, slug, audience=audience)
    return templates.render(request, "catalog/responsibilities.html", lang=lang, view=view)
