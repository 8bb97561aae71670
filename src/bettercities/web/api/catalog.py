"""``/api/cities/{slug}/datasets``: the catalogue, approval steps, writes into a dataset, inventory and
stewardship; ``/catalog/{slug}.ttl|.jsonld`` (and per dataset): the DCAT-AP.de export at stable URLs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bettercities.access.policy import Permission
from bettercities.catalog import approval, dcat
from bettercities.catalog.inventory import inventory
from bettercities.catalog.queries import catalog_view, visible_dataset
from bettercities.catalog.queries import dataset_history as history_for
from bettercities.catalog.schemas import (
    ApprovalEventOut,
    CatalogSettings,
    CatalogSettingsIn,
    DatasetFilter,
    DatasetOut,
    InventoryView,
    StewardshipView,
)
from bettercities.catalog.stewardship import stewardship
from bettercities.core.errors import NotFound
from bettercities.ingest.schemas import ImportResult
from bettercities.publication import Audience
from bettercities.web.deps import (
    AudienceDep,
    PrincipalDep,
    SessionDep,
    WorkspaceDep,
    city_with,
    requires,
)
from bettercities.web.errors import PROBLEM_RESPONSES, ProblemOut
from bettercities.web.pagination import Page, PageDep

router = APIRouter(tags=["catalog"], responses=PROBLEM_RESPONSES)
FilterDep = Annotated[DatasetFilter, Depends()]


class StepIn(BaseModel):
    """An approval step: why (a reason is required to unlock). It is recorded under the signed-in user."""

    reason: str | None = Field(default=None, description="Why; required to unlock.")


def base_url(request: Request) -> str:
    """The address the app is served at: the base of the catalogue's IRIs."""
    return str(request.base_url).rstrip("/")


@router.get("/api/cities/{slug}/datasets", response_model=Page[DatasetOut], summary="Datasets of a city")
def list_datasets(
    request: Request,
    slug: str,
    session: SessionDep,
    audience: AudienceDep,
    pages: PageDep,
    filters: FilterDep,
) -> Page[DatasetOut]:
    return pages.slice(request, catalog_view(session, slug, filters, audience=audience).datasets)


@router.get("/api/cities/{slug}/datasets/{code}", response_model=DatasetOut, summary="One dataset")
def get_dataset(slug: str, code: str, session: SessionDep, audience: AudienceDep) -> DatasetOut:
    return visible_dataset(session, slug, code, audience)


@router.get(
    "/api/cities/{slug}/datasets/{code}/history",
    response_model=list[ApprovalEventOut],
    summary="Approval steps of a dataset (who, when, from, to, why)",
)
def dataset_history(
    slug: str, code: str, session: SessionDep, audience: AudienceDep
) -> list[ApprovalEventOut]:
    return history_for(session, slug, code, audience=audience)


@router.post(
    "/api/cities/{slug}/datasets/{code}/observations",
    response_model=ImportResult,
    status_code=201,
    summary="Import observations into a dataset (409 while the dataset is approved or published)",
    description="Needs the permission 'edit' in the city (steward); recorded under the signed-in user.",
    dependencies=[Depends(requires(Permission.EDIT))],
)
def write_observations(
    slug: str,
    code: str,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="CSV or Excel file of observations.")],
    level: Annotated[str, Form(min_length=1)],
    layout: Annotated[str, Form(pattern="^(wide|long)$")] = "wide",
    period: Annotated[str | None, Form()] = None,
    id_column: Annotated[str, Form()] = "id",
    pad_ids: Annotated[
        bool, Form(description="Pad numeric area ids that lost their leading zeros to the level's id width.")
    ] = False,
) -> ImportResult:
    from bettercities.ingest.schemas import ObservationImportOptions
    from bettercities.ingest.service import import_observations

    with workspace.database.reader() as session:
        approval.ensure_dataset_writable(session, slug, code)
    suffix = Path(file.filename or "upload.csv").suffix or ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(file.file.read())
        return import_observations(
            workspace.database,
            slug,
            path,
            ObservationImportOptions.checked(
                file.filename or path.name,
                level=level,
                layout=layout,
                period=period,
                id_column=id_column,
                pad_ids=pad_ids,
            ),
            user=principal.name,
            file_name=file.filename,
        )


@router.post(
    "/api/cities/{slug}/datasets/{code}/{action}",
    response_model=ApprovalEventOut,
    summary="Take an approval step: submit, approve (locks the data), publish, unlock (needs a reason)",
    description="submit needs the permission 'edit' (steward); approve, publish and unlock need 'approve' "
    "(city admin). The step is recorded under the signed-in user. With the city's four-eyes rule on, the "
    "submitter's own approval is refused (409, problem code 'four-eyes'); an approval with open outlier "
    "flags passes and returns (and records) them in 'open_flags', 'flagged_indicators' and 'warning'.",
    responses={409: {"model": ProblemOut, "description": "Not in a state the step starts from; four-eyes."}},
)
def dataset_step(
    slug: str,
    code: str,
    action: approval.Action,
    step: StepIn,
    workspace: WorkspaceDep,
    session: SessionDep,
    principal: PrincipalDep,
) -> ApprovalEventOut:
    needed = Permission.EDIT if action == approval.Action.SUBMIT else Permission.APPROVE
    city_with(session, principal, slug, needed)
    with workspace.database.session() as writer:
        return approval.transition(writer, slug, code, action, user=principal.name, reason=step.reason)


@router.get(
    "/api/cities/{slug}/catalog/settings",
    response_model=CatalogSettings,
    summary="The catalogue's settings of a city (four-eyes approval)",
)
def catalog_settings(slug: str, session: SessionDep) -> CatalogSettings:
    return approval.settings(session, slug)


@router.put(
    "/api/cities/{slug}/catalog/settings",
    response_model=CatalogSettings,
    summary="Set the catalogue's settings of a city: four_eyes (the submitter may not approve)",
    description="Needs the permission 'administer' in the city (city admin); recorded under the user.",
    dependencies=[Depends(requires(Permission.ADMINISTER))],
)
def set_catalog_settings(
    slug: str, body: CatalogSettingsIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> CatalogSettings:
    with workspace.database.session() as writer:
        return approval.set_four_eyes(writer, slug, body.four_eyes, user=principal.name)


@router.get("/api/cities/{slug}/inventory", response_model=InventoryView, summary="Inventory and gaps")
def city_inventory(slug: str, session: SessionDep, audience: AudienceDep) -> InventoryView:
    return inventory(session, slug, audience=audience)


@router.get(
    "/api/cities/{slug}/stewardship", response_model=StewardshipView, summary="Responsibilities and reminders"
)
def city_stewardship(slug: str, session: SessionDep, audience: AudienceDep) -> StewardshipView:
    return stewardship(session, slug, audience=audience)


def _rdf(session: SessionDep, request: Request, slug: str, fmt: str, code: str | None = None) -> Response:
    if fmt not in dcat.FORMATS:
        raise NotFound("RDF format", fmt)
    text = dcat.export(
        session, slug, fmt=fmt, base_url=base_url(request), code=code, audience=Audience.PUBLIC
    )
    return Response(text, media_type=dcat.FORMATS[fmt][1])


@router.get("/catalog/{slug}.{fmt}", summary="The city's catalogue as RDF (ttl, jsonld, rdf, nt)")
def catalog_rdf(request: Request, slug: str, fmt: str, session: SessionDep) -> Response:
    return _rdf(session, request, slug, fmt)


@router.get("/catalog/{slug}/{code}.{fmt}", summary="One dataset as RDF (ttl, jsonld, rdf, nt)")
def dataset_rdf(request: Request, slug: str, code: str, fmt: str, session: SessionDep) -> Response:
    return _rdf(session, request, slug, fmt, code)
