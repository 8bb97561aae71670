"""The audit log pages: a city's (``/cities/{slug}/audit``, city admins) and the platform's (``/audit``,
platform admins, also the entries without a city), each with its JSON twin.

The page lists the entries newest first with filters (actor, table, action, time; on the platform's also the
city or no city) and links to the CSV export of the same selection. Nothing on it changes an entry.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bettercities.areas.models import City
from bettercities.audit import queries as audit
from bettercities.audit.schemas import AuditEntryOut
from bettercities.audit.service import EVENTS
from bettercities.web.deps import (
    AuditedCity,
    AuditQuery,
    AuditQueryDep,
    Lang,
    PlatformAuditQueryDep,
    SessionDep,
    TemplatesDep,
    platform_admin,
)
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.pagination import Page, PageDep
from bettercities.web.templating import Templates

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


def audit_page(
    request: Request, session: SessionDep, city: City | None, query: AuditQuery, pages: PageDep
) -> Page[AuditEntryOut]:
    """One page of the entries of ``city`` (``None``: of the platform) that pass ``query``, newest first, in
    the API's page envelope (as ``/api/cities/{slug}/audit`` and ``/api/audit`` answer)."""
    found = audit.list_entries(
        session, filters=query.filters(city), page=pages.page, page_size=pages.page_size
    )
    return pages.envelope(request, found.items, found.total)


def render_log(
    request: Request,
    session: SessionDep,
    city: City | None,
    query: AuditQuery,
    pages: PageDep,
    lang: str,
    templates: Templates,
) -> HTMLResponse:
    """The audit log page of ``city`` (``None``: of the platform)."""
    found = audit_page(request, session, city, query, pages)
    state = query.params() | ({"page": pages.page} if pages.page > 1 else {})
    return templates.render(
        request,
        "audit/log.html",
        lang=lang,
        state=state,
        city=city,
        entries=found,
        filters=query.params(),
        page_number=pages.page,
        actions=EVENTS,
    )


@router.get(
    "/cities/{slug}/audit.json", response_model=Page[AuditEntryOut], summary="Audit log page (JSON twin)"
)
def audit_json(
    request: Request, slug: str, city: AuditedCity, session: SessionDep, query: AuditQueryDep, pages: PageDep
) -> Page[AuditEntryOut]:
    return audit_page(request, session, city, query, pages)


@router.get("/cities/{slug}/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_log_page(
    request: Request,
    slug: str,
    city: AuditedCity,
    session: SessionDep,
    query: AuditQueryDep,
    pages: PageDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    return render_log(request, session, city, query, pages, lang, templates)


@router.get(
    "/audit.json",
    response_model=Page[AuditEntryOut],
    summary="Platform audit log page (JSON twin)",
    dependencies=[Depends(platform_admin)],
)
def platform_audit_json(
    request: Request, session: SessionDep, query: PlatformAuditQueryDep, pages: PageDep
) -> Page[AuditEntryOut]:
    return audit_page(request, session, None, query, pages)


@router.get(
    "/audit", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(platform_admin)]
)
def platform_audit_page(
    request: Request,
    session: SessionDep,
    query: PlatformAuditQueryDep,
    pages: PageDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    return render_log(request, session, None, query, pages, lang, templates)
