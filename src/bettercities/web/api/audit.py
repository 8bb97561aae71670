"""``/api/cities/{slug}/audit``: a city's audit log, newest first, paginated, and its CSV export.

Reading needs :attr:`~bettercities.publication.access.Permission.ADMINISTER` in the city (city admins and
platform admins). There is no route that changes or deletes an entry: the log is written only by the
recording of writes (:mod:`bettercities.audit.recording`) and by named events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from bettercities.areas.models import City
from bettercities.audit import service as audit
from bettercities.audit.schemas import AuditEntryOut, AuditFilter
from bettercities.publication.access import Permission
from bettercities.web.deps import SessionDep, requires
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

    def filters(self, city: City) -> AuditFilter:
        return AuditFilter(
            city_id=city.id,
            actor=self.actor or None,
            entity=self.entity or None,
            action=self.action or None,
            since=self.since,
            until=self.until,
        )

    def params(self) -> dict[str, object]:
        """The filters for a page's URL (unset ones left out)."""
        return {k: v for k, v in vars(self).items() if v not in (None, "")}


AuditQueryDep = Annotated[AuditQuery, Depends()]


def audit_page(
    request: Request, session: SessionDep, city: City, query: AuditQuery, pages: PageDep
) -> Page[AuditEntryOut]:
    """One page of ``city``'s entries that pass ``query``, newest first, in the API's page envelope."""
    found = audit.list_entries(
        session, filters=query.filters(city), page=pages.page, page_size=pages.page_size
    )
    return pages.envelope(request, found.items, found.total)


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
    responses={200: {"content": {"text/csv": {}}, "description": "Every entry that passes the filters."}},
    summary="Audit log of a city as CSV, oldest first (city admins)",
)
def export_audit_entries(slug: str, city: AuditedCity, session: SessionDep, query: AuditQueryDep) -> Response:
    text = audit.export(session, filters=query.filters(city), fmt="csv")
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{city.slug}.csv"'},
    )
