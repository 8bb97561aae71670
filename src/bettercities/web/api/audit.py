"""``/api/cities/{slug}/audit``: a city's audit log, newest first, paginated, and its CSV export; and
``/api/audit`` (+ ``.csv``): every entry of the platform, also those without a city (sign-ins, tokens, users).

A city's log needs :attr:`~bettercities.access.policy.Permission.ADMINISTER` in the city (city admins and
platform admins); the platform's log needs a platform admin
(:func:`~bettercities.access.policy.can_administer_platform`). There is no route that changes or
deletes an entry: the log is written only by the recording of writes (:mod:`bettercities.audit.recording`)
and by named events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from bettercities.access.policy import Permission, Principal, can_administer_platform
from bettercities.areas.models import City
from bettercities.audit import service as audit
from bettercities.audit.schemas import AuditEntryOut, AuditFilter
from bettercities.core.errors import Forbidden
from bettercities.web.deps import PrincipalDep, SessionDep, requires
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.pagination import Page, PageDep

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES)

#: The city, once the principal's permission to read its audit log is checked.
AuditedCity = Annotated[City, Depends(requires(Permission.ADMINISTER))]


@dataclass(frozen=True)
class AuditQuery:
    """The filters of the audit log in the query string (the city comes from the path)."""

    actor: Annotated[str | None, Query(description='Entries by this actor, e.g. "anna" or "cli:ops".')] = None
    entity: Annotated[str | None, Query(description="Entries about this table, e.g. observation.")] = None
    action: Annotated[
        str | None, Query(description="insert, update, delete, bulk-insert, login, login-failed …")
    ] = None
    since: Annotated[datetime | None, Query(description="At or after this time (UTC when naive).")] = None
    until: Annotated[datetime | None, Query(description="Before this time (UTC when naive).")] = None

    def filters(self, city: City | None = None) -> AuditFilter:
        """The filter of the log of ``city`` (``None``: of the platform)."""
        return AuditFilter(
            city_id=None if city is None else city.id,
            actor=self.actor or None,
            entity=self.entity or None,
            action=self.action or None,
            since=self.since,
            until=self.until,
        )

    def params(self) -> dict[str, object]:
        """The filters for a page's URL (unset ones left out)."""
        return {k: v for k, v in vars(self).items() if v is not None and v != "" and v is not False}


@dataclass(frozen=True)
class PlatformAuditQuery(AuditQuery):
    """The filters of the platform's audit log: those of a city's, and the city or no city at all."""

    city: Annotated[str | None, Query(description="Entries of this city (by slug, also once deleted).")] = (
        None
    )
    no_city: Annotated[
        bool, Query(description="Only entries that concern no city: sign-ins, tokens, users, networks.")
    ] = False

    def filters(self, city: City | None = None) -> AuditFilter:
        chosen = {"city": self.city or None, "without_city": self.no_city}
        return super().filters(city).model_copy(update=chosen)


AuditQueryDep = Annotated[AuditQuery, Depends()]
PlatformAuditQueryDep = Annotated[PlatformAuditQuery, Depends()]


def platform_admin(principal: PrincipalDep) -> Principal:
    """The principal, once it is a platform admin (401 for the anonymous visitor, 403 for anyone else)."""
    if not can_administer_platform(principal):
        if principal.anonymous:
            raise Forbidden("sign in to read the platform's audit log", anonymous=True)
        raise Forbidden(f"{principal.name} may not read the platform's audit log (platform admins only)")
    return principal


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
