"""Pages of the knowledge hub, each with its JSON twin: search with filters (``/hub``), a practice, an event.

Every page reads through :mod:`bettercities.hub.queries`, as the API and the CLI do. Entries are written
through the API and the CLI (coordinators of the programme's networks, platform admins).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bettercities.guide import service as guides
from bettercities.hub import queries
from bettercities.hub.schemas import EventOut, HubFilter, HubItemOut, PracticeOut
from bettercities.networks import service as networks
from bettercities.web.deps import Lang, ReaderDep, SessionDep, TemplatesDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

FilterDep = Annotated[HubFilter, Depends()]


@router.get("/hub.json", response_model=list[HubItemOut], summary="Hub page (JSON twin)")
def hub_json(session: SessionDep, f: FilterDep) -> list[HubItemOut]:
    return queries.find(session, f)


@router.get("/hub", response_class=HTMLResponse, include_in_schema=False)
def hub_page(
    request: Request, session: SessionDep, lang: Lang, templates: TemplatesDep, f: FilterDep
) -> HTMLResponse:
    state = {k: v for k, v in f.model_dump(mode="json").items() if v}
    return templates.render(
        request,
        "hub/search.html",
        lang=lang,
        state=state,
        items=queries.find(session, f),
        filter=f,
        themes=queries.themes(session),
        networks=[n for n in networks.list_networks(session) if n.kind == "network"],
        programmes=networks.list_programmes(session),
        guides=guides.list_guides(session),
    )


@router.get("/hub/practices/{slug}.json", response_model=PracticeOut, summary="Practice page (JSON twin)")
def practice_json(slug: str, reader: ReaderDep) -> PracticeOut:
    return queries.practice(reader, slug)


@router.get("/hub/practices/{slug}", response_class=HTMLResponse, include_in_schema=False)
def practice_page(
    request: Request, slug: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return templates.render(request, "hub/practice.html", lang=lang, practice=queries.practice(reader, slug))


@router.get("/hub/events/{slug}.json", response_model=EventOut, summary="Event page (JSON twin)")
def event_json(slug: str, session: SessionDep) -> EventOut:
    return queries.event(session, slug)


@router.get("/hub/events/{slug}", response_class=HTMLResponse, include_in_schema=False)
def event_page(
    request: Request, slug: str, session: SessionDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return templates.render(request, "hub/event.html", lang=lang, event=queries.event(session, slug))
