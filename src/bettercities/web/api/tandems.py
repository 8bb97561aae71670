"""``/api/tandems``: peer-learning tandems of a programme (networks of kind tandem) with their stages,
activities, documents, outputs and goals; formed and managed by the programme's coordinators (JSON)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bettercities.access.policy import audience_for, require_programme_coordinator
from bettercities.networks.history import get_programme
from bettercities.storage.workspace import Workspace
from bettercities.tandems import service
from bettercities.tandems.schemas import (
    ActivityIn,
    ActivityOut,
    DocumentIn,
    DocumentOut,
    GoalLinkOut,
    OutputIn,
    OutputOut,
    Stage,
    StageOut,
    TandemDetail,
    TandemOut,
)
from bettercities.web.deps import PrincipalDep, SessionDep, get_workspace
from bettercities.web.errors import PROBLEM_RESPONSES, coded_body_route


def problem_code(detail: dict[str, Any]) -> str:
    """A refused body of the tandems' API: a stage's ``tandem-invalid-stage``, an output's
    ``tandem-invalid-output``, anything else ``tandem-invalid``."""
    loc = tuple(detail.get("loc", ()))
    if loc[:1] in {("stage",), ("on",)}:
        return "tandem-invalid-stage"
    if loc[:1] in {("status",), ("drafted_on",), ("adopted_on",), ("kind",)}:
        return "tandem-invalid-output"
    return "tandem-invalid"


router = APIRouter(
    prefix="/api", tags=["tandems"], responses=PROBLEM_RESPONSES, route_class=coded_body_route(problem_code)
)
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]


class TandemIn(BaseModel):
    programme: str = Field(min_length=1, max_length=80)
    applications: list[int] = Field(min_length=1, max_length=5)
    name: str = Field(min_length=1, max_length=200)
    start: date | None = None


class StageIn(BaseModel):
    stage: Stage
    on: date
    note: str | None = Field(default=None, max_length=4000)


class GoalLinkIn(BaseModel):
    goal: int = Field(ge=1)
    output: int | None = Field(default=None, ge=1)
    note: str | None = Field(default=None, max_length=4000)


def _coordinating(session: Any, principal: PrincipalDep, slug: str) -> None:
    network = service.get_tandem(session, slug)
    require_programme_coordinator(principal, network.programme_id or 0, what="manage this tandem")


@router.get("/tandems", response_model=list[TandemOut], summary="Tandems (of a programme)")
def tandems(
    session: SessionDep, programme: Annotated[str | None, Query(max_length=80)] = None
) -> list[TandemOut]:
    return service.list_tandems(session, programme)


@router.post("/tandems", response_model=TandemOut, status_code=201, summary="Form a tandem (coordinators)")
def form(body: TandemIn, workspace: WorkspaceDep, principal: PrincipalDep) -> TandemOut:
    with workspace.database.session() as session:
        require_programme_coordinator(
            principal, get_programme(session, body.programme).id, what="form a tandem"
        )
        return service.form_tandem(
            session, body.programme, body.applications, name=body.name, by=principal.name, start=body.start
        )


@router.get("/tandems/{slug}", response_model=TandemDetail, summary="A tandem with its lifecycle and results")
def tandem(slug: str, session: SessionDep, principal: PrincipalDep) -> TandemDetail:
    return service.tandem_detail(session, slug, audience=lambda city: audience_for(principal, city))


@router.post("/tandems/{slug}/stages", response_model=StageOut, status_code=201, summary="Enter a stage")
def stage(slug: str, body: StageIn, workspace: WorkspaceDep, principal: PrincipalDep) -> StageOut:
    with workspace.database.session() as session:
        _coordinating(session, principal, slug)
        return service.set_stage(session, slug, body.stage, on=body.on, note=body.note)


@router.post(
    "/tandems/{slug}/activities", response_model=ActivityOut, status_code=201, summary="Add an activity"
)
def activity(slug: str, body: ActivityIn, workspace: WorkspaceDep, principal: PrincipalDep) -> ActivityOut:
    with workspace.database.session() as session:
        _coordinating(session, principal, slug)
        return service.add_activity(session, slug, body)


@router.post(
    "/tandems/{slug}/documents", response_model=DocumentOut, status_code=201, summary="Add a document"
)
def document(slug: str, body: DocumentIn, workspace: WorkspaceDep, principal: PrincipalDep) -> DocumentOut:
    with workspace.database.session() as session:
        _coordinating(session, principal, slug)
        return service.add_document(session, slug, body)


@router.post("/tandems/{slug}/outputs", response_model=OutputOut, status_code=201, summary="Add an output")
def output(slug: str, body: OutputIn, workspace: WorkspaceDep, principal: PrincipalDep) -> OutputOut:
    with workspace.database.session() as session:
        _coordinating(session, principal, slug)
        return service.add_output(session, slug, body)


@router.post(
    "/tandems/{slug}/goals", response_model=GoalLinkOut, status_code=201, summary="Link a member's goal"
)
def goal(slug: str, body: GoalLinkIn, workspace: WorkspaceDep, principal: PrincipalDep) -> GoalLinkOut:
    with workspace.database.session() as session:
        _coordinating(session, principal, slug)
        return service.link_goal(session, slug, body.goal, output_id=body.output, note=body.note)
