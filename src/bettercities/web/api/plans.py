"""``/api/cities/{slug}/plans`` (JSON): action plans, their objectives, actions and risks.

Reads follow :mod:`bettercities.plans.queries` (a plan that is not public exists only for the city's
members); writes need the permission ``edit`` (stewards, city admins) and answer with the plan as the caller
now sees it (a removal with 204).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.access.policy import Principal
from bettercities.plans import queries, service
from bettercities.plans.models import PlanAction, PlanObjective
from bettercities.plans.schemas import (
    ActionIn,
    ActionOut,
    ActionUpdate,
    LinkIn,
    ObjectiveIn,
    ObjectiveUpdate,
    PlanIn,
    PlanOut,
    PlanSummary,
    PlanUpdate,
    RiskIn,
    StatusChangeIn,
    problem_code,
    read,
)
from bettercities.views.reader import Reader
from bettercities.web.deps import NEEDS_EDIT, DbId, PrincipalDep, ReaderDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES, coded_body_route

#: A refused body answers with the plans' problem codes (invalid-text, invalid-timeline, negative-budget …),
#: as the pages and the CLI do
router = APIRouter(
    prefix="/api/cities/{slug}/plans",
    tags=["plans"],
    responses=PROBLEM_RESPONSES,
    route_class=coded_body_route(problem_code),
)

EDIT = "Needs the permission `edit` in the city (stewards, city admins). Answers with the whole plan."


def _plan(session: Session, principal: Principal, slug: str, plan_id: int) -> PlanOut:
    """The plan as the writer now sees it, read in the writing session."""
    return queries.visible_plan(Reader(session, principal=principal), slug, plan_id)


@router.get("", response_model=list[PlanSummary], summary="Action plans of a city")
def list_plans(slug: str, reader: ReaderDep) -> list[PlanSummary]:
    return queries.visible_plans(reader, slug)


@router.post(
    "", response_model=PlanOut, status_code=201, summary="Add an action plan", description=EDIT,
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def add_plan(slug: str, body: PlanIn, workspace: WorkspaceDep, principal: PrincipalDep) -> PlanOut:
    with workspace.database.session() as session:
        plan_id = service.add_plan(session, slug, body, user=principal.name)
        return _plan(session, principal, slug, plan_id)


@router.get(
    "/{plan_id}",
    response_model=PlanOut,
    summary="An action plan with objectives, actions, risks, budget totals and its goals' status",
    description="404 also for a plan that is not public, unless the caller is a member of the city.",
)
def get_plan(slug: str, plan_id: DbId, reader: ReaderDep) -> PlanOut:
    return queries.visible_plan(reader, slug, plan_id)


@router.patch(
    "/{plan_id}", response_model=PlanOut, summary="Change an action plan", description=EDIT,
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def update_plan(
    slug: str, plan_id: DbId, body: PlanUpdate, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.update_plan(session, slug, plan_id, body)
        return _plan(session, principal, slug, plan_id)


@router.delete("/{plan_id}", status_code=204, summary="Remove an action plan", dependencies=NEEDS_EDIT)
def remove_plan(slug: str, plan_id: DbId, workspace: WorkspaceDep) -> Response:
    with workspace.database.session() as session:
        service.remove_plan(session, slug, plan_id)
    return Response(status_code=204)


@router.post(
    "/{plan_id}/objectives", response_model=PlanOut, status_code=201, summary="Add an objective",
    description=EDIT, dependencies=NEEDS_EDIT,
)  # fmt: skip
def add_objective(
    slug: str, plan_id: DbId, body: ObjectiveIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.add_objective(session, slug, plan_id, body)
        return _plan(session, principal, slug, plan_id)


@router.post(
    "/{plan_id}/risks", response_model=PlanOut, status_code=201, summary="Add a risk", description=EDIT,
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def add_risk(
    slug: str, plan_id: DbId, body: RiskIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.add_risk(session, slug, plan_id, body)
        return _plan(session, principal, slug, plan_id)


def _plan_of(session: Session, model: type[PlanObjective | PlanAction], key: int) -> int:
    """The plan of an objective or an action (the service has checked that it is one of the city's)."""
    return session.scalar(select(model.plan_id).where(model.id == key)) or 0


@router.patch(
    "/objectives/{objective_id}", response_model=PlanOut, summary="Change an objective", description=EDIT,
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def update_objective(
    slug: str, objective_id: DbId, body: ObjectiveUpdate, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.update_objective(session, slug, objective_id, body)
        return _plan(session, principal, slug, _plan_of(session, PlanObjective, objective_id))


@router.delete(
    "/objectives/{objective_id}", status_code=204, summary="Remove an objective with its actions",
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def remove_objective(slug: str, objective_id: DbId, workspace: WorkspaceDep) -> Response:
    with workspace.database.session() as session:
        service.remove_objective(session, slug, objective_id)
    return Response(status_code=204)


@router.post(
    "/objectives/{objective_id}/actions", response_model=PlanOut, status_code=201, summary="Add an action",
    description=EDIT, dependencies=NEEDS_EDIT,
)  # fmt: skip
def add_action(
    slug: str, objective_id: DbId, body: ActionIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.add_action(session, slug, objective_id, body, user=principal.name)
        return _plan(session, principal, slug, _plan_of(session, PlanObjective, objective_id))


@router.post(
    "/objectives/{objective_id}/links", response_model=PlanOut, summary="Link goals to an objective",
    description=EDIT, dependencies=NEEDS_EDIT,
)  # fmt: skip
def link_objective(
    slug: str, objective_id: DbId, body: LinkIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.link(session, slug, body, objective_id=objective_id)
        return _plan(session, principal, slug, _plan_of(session, PlanObjective, objective_id))


@router.delete(
    "/objectives/{objective_id}/links", response_model=PlanOut, summary="Unlink goals from an objective",
    description=EDIT, dependencies=NEEDS_EDIT,
)  # fmt: skip
def unlink_objective(
    slug: str,
    objective_id: DbId,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    goal: Annotated[list[DbId], Query(description="Goal ids to unlink.")],
) -> PlanOut:
    with workspace.database.session() as session:
        service.unlink(session, slug, read(LinkIn, {"goals": goal}, what="link"), objective_id=objective_id)
        return _plan(session, principal, slug, _plan_of(session, PlanObjective, objective_id))


@router.get(
    "/actions/{action_id}",
    response_model=ActionOut,
    summary="One action with its timeline, budget, links and status history",
    description="404 also for an action of a plan the caller may not see.",
)
def get_action(slug: str, action_id: DbId, reader: ReaderDep) -> ActionOut:
    return queries.visible_action(reader, slug, action_id)


@router.patch(
    "/actions/{action_id}", response_model=PlanOut, summary="Change an action", description=EDIT,
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def update_action(
    slug: str, action_id: DbId, body: ActionUpdate, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.update_action(session, slug, action_id, body)
        return _plan(session, principal, slug, _plan_of(session, PlanAction, action_id))


@router.delete("/actions/{action_id}", status_code=204, summary="Remove an action", dependencies=NEEDS_EDIT)
def remove_action(slug: str, action_id: DbId, workspace: WorkspaceDep) -> Response:
    with workspace.database.session() as session:
        service.remove_action(session, slug, action_id)
    return Response(status_code=204)


@router.post(
    "/actions/{action_id}/status",
    response_model=PlanOut,
    summary="Set an action's status (kept in its history)",
    description=EDIT,
    dependencies=NEEDS_EDIT,
)
def set_status(
    slug: str, action_id: DbId, body: StatusChangeIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.set_status(session, slug, action_id, body, user=principal.name)
        return _plan(session, principal, slug, _plan_of(session, PlanAction, action_id))


@router.post(
    "/actions/{action_id}/links", response_model=PlanOut, summary="Link goals and areas to an action",
    description=EDIT, dependencies=NEEDS_EDIT,
)  # fmt: skip
def link_action(
    slug: str, action_id: DbId, body: LinkIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        service.link(session, slug, body, action_id=action_id)
        return _plan(session, principal, slug, _plan_of(session, PlanAction, action_id))


@router.delete(
    "/actions/{action_id}/links", response_model=PlanOut, summary="Unlink goals and areas from an action",
    description=EDIT, dependencies=NEEDS_EDIT,
)  # fmt: skip
def unlink_action(
    slug: str,
    action_id: DbId,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    goal: Annotated[list[DbId] | None, Query(description="Goal ids to unlink.")] = None,
    area: Annotated[list[str] | None, Query(description="Area codes to unlink.")] = None,
) -> PlanOut:
    with workspace.database.session() as session:
        links = read(LinkIn, {"goals": goal or [], "areas": area or []}, what="link")
        service.unlink(session, slug, links, action_id=action_id)
        return _plan(session, principal, slug, _plan_of(session, PlanAction, action_id))


@router.delete("/risks/{risk_id}", status_code=204, summary="Remove a risk", dependencies=NEEDS_EDIT)
def remove_risk(slug: str, risk_id: DbId, workspace: WorkspaceDep) -> Response:
    with workspace.database.session() as session:
        service.remove_risk(session, slug, risk_id)
    return Response(status_code=204)
