"""``/api/cities/{slug}/audit``: a city's audit log, newest first, paginated, and its CSV export; and
``/api/audit`` (+ ``.csv``): every entry of the platform, also those without a city (sign-ins, tokens, users).

A city's log needs :attr:`~bettercities.access.policy.Permission.ADMINISTER` in the city (city admins and
platform admins); the platform's log needs a platform admin
(:func:`~bettercities.access.policy.can_administer_platform`). There is no route that changes or
deletes an entry: the log is written only by the recording of writes (:mod:`bettercities.audit.recording`)
and by named events.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bettercities.areas.models import City
from bettercities.audit import queries as audit
from bettercities.audit.schemas import AuditEntryOut
from bettercities.web.deps import (
    AuditedCity,
    AuditQuery,
    AuditQueryDep,
    PlatformAuditQueryDep,
    SessionDep,
    platform_admin,
)
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.pagination import Page, PageDep

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES)


def audit_page(
    request: Request, session: SessionDep, city: City | None, query: AuditQuery, pages: PageDep
) -> Page[AuditEntryOut]:
    """One page of the entries of ``city`` (``None``: of the platform) that pass ``query``, newest first, in
    the API's page envelope."""
    found = audit.list_entries(
        session, filters=query.filters(city), page=pages.page, page_size=pages.page_size
    )
    return pages.envelope(request, found.items, found.total)


def audit_csv(session: SessionDep, city: City | None, query: AuditQuery) -> Response:
    """The entries of ``city`` (``None``: of the platform) that pass ``query`` as a CSV download."""
    text = audit.export(session, filters=query.filters(city), fmt="csv")
    name = "audit" if city is None else f"audit-{city.slug}"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


CSV_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {}}, "description": "Every entry that passes the filters."}
}


@router.get(
    "/api/cities/{slug}/audit",
    response_model=Page[AuditEntryOut],
    summary="Audit log of a city, newest first (city admins)",
)
def list_audit_entries(
    request: Request, slug: str, city: AuditedCity, session: SessionDep, query: AuditQueryDep, pages: PageDep
) -> Page[AuditEntryOut]:
    return audit_page(request, session, city, query, pages)


@router.get(
    "/api/cities/{slug}/audit.csv",
    response_class=Response,
    responses=CSV_RESPONSES,
    summary="Audit log of a city as CSV, oldest first (city admins)",
)
def export_audit_entries(slug: str, city: AuditedCity, session: SessionDep, query: AuditQueryDep) -> Response:
    return audit_csv(session, city, query)


@router.get(
    "/api/audit",
    response_model=Page[AuditEntryOut],
    summary="Audit log of the whole platform, newest first (platform admins)",
    dependencies=[Depends(platform_admin)],
)
def list_platform_audit_entries(
    request: Request, session: SessionDep, query: PlatformAuditQueryDep, pages: PageDep
) -> Page[AuditEntryOut]:
    return audit_page(request, session, None, query, pages)


@router.get(
    "/api/audit.csv",
    response_class=Response,
    responses=CSV_RESPONSES,
    summary="Audit log of the whole platform as CSV, oldest first (platform admins)",
    dependencies=[Depends(platform_admin)],
)
def export_platform_audit_entries(session: SessionDep, query: PlatformAuditQueryDep) -> Response:
    return audit_csv(session, None, query)
