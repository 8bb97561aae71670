"""The audit log page of a city (``/cities/{slug}/audit``) and its JSON twin; city admins only.

The page lists the entries newest first with filters (actor, table, action, time) and links to the CSV
export of the same selection. Nothing on it changes an entry.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bettercities.audit import service as audit
from bettercities.audit.schemas import AuditEntryOut
from bettercities.web.api.audit import AuditedCity, AuditQueryDep, audit_page
from bettercities.web.deps import Lang, SessionDep, TemplatesDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.pagination import Page, PageDep

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


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
        actions=audit.EVENTS,
    )
