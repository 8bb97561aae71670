"""``/api/hub``: the knowledge hub's search (full text and filters), practices and events (JSON); coordinators
of a programme's networks (and platform admins) add and remove the programme's entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from bettercities.hub import queries, service
from bettercities.hub.schemas import EventIn, EventOut, HubFilter, HubItemOut, PracticeIn, PracticeOut
from bettercities.web.deps import PrincipalDep, ReaderDep, SessionDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/hub", tags=["hub"], responses=PROBLEM_RESPONSES)

WRITERS = "Needs to coordinate a network of the entry's programme (or a platform admin)."


@router.get(
    "",
    response_model=list[HubItemOut],
    summary="Search practices and events",
    description='Full text (words; "a phrase"; or; -without) on SQLite FTS5 or PostgreSQL, most relevant '
    "first, and filters by theme, network, city, programme and kind; without `q` every item the filters"
    " admit.",
)
def search(session: SessionDep, f: Annotated[HubFilter, Depends()]) -> list[HubItemOut]:
    return queries.find(session, f)


@router.get("/practices/{slug}", response_model=PracticeOut, summary="A practice")
def practice(slug: str, reader: ReaderDep) -> PracticeOut:
    return queries.practice(reader, slug)


@router.get("/events/{slug}", response_model=EventOut, summary="An event")
def event(slug: str, session: SessionDep) -> EventOut:
    return queries.event(session, slug)


@router.post(
    "/practices", response_model=PracticeOut, status_code=201, summary="Add a practice", description=WRITERS
)
def add_practice(body: PracticeIn, workspace: WorkspaceDep, principal: PrincipalDep) -> PracticeOut:
    with workspace.database.session() as session:
        programme = service.programme_of(session, network=body.network, programme=body.programme)
        service.require_writer(principal, programme, what="add practices to the hub")
        added = service.add_practice(session, body, by=principal.name)
        return queries.practice_out(session, added)


@router.post("/events", response_model=EventOut, status_code=201, summary="Add an event", description=WRITERS)
def add_event(body: EventIn, workspace: WorkspaceDep, principal: PrincipalDep) -> EventOut:
    with workspace.database.session() as session:
        programme = service.programme_of(session, network=body.network, programme=body.programme)
        service.require_writer(principal, programme, what="add events to the hub")
        return queries.event_out(session, service.add_event(session, body, by=principal.name))


@router.delete("/practices/{slug}", status_code=204, summary="Remove a practice", description=WRITERS)
def remove_practice(slug: str, workspace: WorkspaceDep, principal: PrincipalDep) -> Response:
    with workspace.database.session() as session:
        programme = service.get_practice(session, slug).programme_id
        service.require_writer(principal, programme, what="remove practices from the hub")
        service.remove(session, "practice", slug)
    return Response(status_code=204)


@router.delete("/events/{slug}", status_code=204, summary="Remove an event", description=WRITERS)
def remove_event(slug: str, workspace: WorkspaceDep, principal: PrincipalDep) -> Response:
    with workspace.database.session() as session:
        programme = service.get_event(session, slug).programme_id
        service.require_writer(principal, programme, what="remove events from the hub")
        service.remove(session, "event", slug)
    return Response(status_code=204)
