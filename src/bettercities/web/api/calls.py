"""``/api/calls``, ``/api/applications``: calls for participation of a programme, applications of
municipalities (an applicant sees only its own), the coordinators' status changes and the panel's scores
(coordinators only; never public) (JSON)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from bettercities.access.policy import require_programme_coordinator, require_speaker
from bettercities.areas import service as areas
from bettercities.calls import queries, service
from bettercities.calls.schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationScore,
    CallIn,
    CallOut,
    Ranking,
    ScoreIn,
    StatusIn,
)
from bettercities.networks.history import get_programme
from bettercities.storage.workspace import Workspace
from bettercities.web.deps import DbId, PrincipalDep, SessionDep, get_workspace
from bettercities.web.errors import PROBLEM_RESPONSES, coded_body_route


def problem_code(detail: dict[str, Any]) -> str:
    """A refused body of the calls' API: an application's fields ``call-invalid-answers``, a score's
    ``call-invalid-score``, anything else ``call-invalid``."""
    loc = tuple(detail.get("loc", ()))
    if loc[:1] in {("answers",), ("theme",), ("city",), ("body_type",)}:
        return "call-invalid-answers"
    if loc[:1] == ("values",):
        return "call-invalid-score"
    return "call-invalid"


router = APIRouter(
    prefix="/api", tags=["calls"], responses=PROBLEM_RESPONSES, route_class=coded_body_route(problem_code)
)
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]


@router.get("/calls", response_model=list[CallOut], summary="Calls for participation")
def calls(
    session: SessionDep, programme: Annotated[str | None, Query(max_length=80)] = None
) -> list[CallOut]:
    return service.list_calls(session, programme)


@router.post(
    "/calls",
    response_model=CallOut,
    status_code=201,
    summary="Create a call (a draft)",
    description="Coordinators of a network of the programme and platform admins. The window is given with an "
    "offset or in `time_zone` (IANA name).",
)
def add_call(body: CallIn, workspace: WorkspaceDep, principal: PrincipalDep) -> CallOut:
    with workspace.database.session() as session:
        require_programme_coordinator(
            principal, get_programme(session, body.programme).id, what="create a call"
        )
        return service.create_call(session, body, by=principal.name)


@router.get(
    "/calls/{call}", response_model=CallOut, summary="A call: title, themes, window, eligibility, form"
)
def call_(call: str, session: SessionDep) -> CallOut:
    return service.call_out(session, service.get_call(session, call))


@router.post("/calls/{call}/open", response_model=CallOut, summary="Open a call (coordinators)")
def open_(call: str, workspace: WorkspaceDep, principal: PrincipalDep) -> CallOut:
    with workspace.database.session() as session:
        queries.require_call_coordinator(session, principal, call, what="open the call")
        return service.open_call(session, call, by=principal.name)


@router.post("/calls/{call}/close", response_model=CallOut, summary="Close a call (coordinators)")
def close(call: str, workspace: WorkspaceDep, principal: PrincipalDep) -> CallOut:
    with workspace.database.session() as session:
        queries.require_call_coordinator(session, principal, call, what="close the call")
        return service.close_call(session, call, by=principal.name)


@router.get(
    "/calls/{call}/applications",
    response_model=list[ApplicationOut],
    summary="Applications to a call",
    description="The call's coordinators see every application; a municipality's contact only its own "
    "municipality's. No scores.",
)
def applications(call: str, session: SessionDep, principal: PrincipalDep) -> list[ApplicationOut]:
    return queries.visible_applications(session, call, principal)


@router.post(
    "/calls/{call}/applications",
    response_model=ApplicationOut,
    status_code=201,
    summary="Apply (a contact of the municipality)",
    description="Within the call’s window only: a late application answers 409 `call-late` naming the "
    "deadline "
    "in the call's zone, the applicant's (`time_zone`) and UTC.",
)
def apply(call: str, body: ApplicationIn, workspace: WorkspaceDep, principal: PrincipalDep) -> ApplicationOut:
    with workspace.database.session() as session:
        require_speaker(principal, areas.get_city(session, body.city).id, what="apply for this municipality")
        return service.apply(session, call, body, by=principal.name)


@router.get("/calls/{call}/ranking", response_model=Ranking, summary="The panel's ranking (coordinators)")
def ranking(call: str, session: SessionDep, principal: PrincipalDep) -> Ranking:
    return queries.visible_ranking(session, call, principal)


@router.get("/applications/{application_id}", response_model=ApplicationOut, summary="One application")
def application(application_id: DbId, session: SessionDep, principal: PrincipalDep) -> ApplicationOut:
    return queries.visible_application(session, application_id, principal)


@router.post(
    "/applications/{application_id}/submit",
    response_model=ApplicationOut,
    summary="Submit a draft (its contact)",
)
def submit(
    application_id: DbId,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    time_zone: Annotated[str | None, Query(max_length=64)] = None,
) -> ApplicationOut:
    with workspace.database.session() as session:
        found = queries.visible_application(session, application_id, principal)
        require_speaker(principal, areas.get_city(session, found.city).id, what="submit this application")
        return service.submit(session, application_id, by=principal.name, time_zone=time_zone)


@router.post(
    "/applications/{application_id}/status",
    response_model=ApplicationOut,
    summary="Change the status (coordinators)",
)
def status(
    application_id: DbId, body: StatusIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> ApplicationOut:
    with workspace.database.session() as session:
        found = service.get_application(session, application_id)
        call = service.call_of(session, found)
        require_programme_coordinator(principal, call.programme_id, what="change the application's status")
        return service.set_status(session, application_id, body.status, by=principal.name, reason=body.reason)


@router.get(
    "/applications/{application_id}/scores",
    response_model=ApplicationScore,
    summary="The panel's scores of an application (coordinators)",
)
def scores(application_id: DbId, session: SessionDep, principal: PrincipalDep) -> ApplicationScore:
    return queries.visible_scores(session, application_id, principal)


@router.post(
    "/applications/{application_id}/scores",
    response_model=ApplicationScore,
    summary="Score an application (a coordinator as reviewer)",
)
def score(
    application_id: DbId, body: ScoreIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> ApplicationScore:
    with workspace.database.session() as session:
        call = service.call_of(session, service.get_application(session, application_id))
        require_programme_coordinator(principal, call.programme_id, what="score applications")
        return service.score(session, application_id, principal.name, body.values)
