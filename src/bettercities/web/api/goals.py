"""``/api/cities/{slug}/goals``: goals with their baseline, target, deadline, status (computed from the data)
and detectable change; set, removed and (performance measures) recorded by stewards and city admins (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from bettercities.access.policy import Permission, audience_for
from bettercities.goals import queries, service
from bettercities.goals.schemas import (
    GoalIn,
    GoalOut,
    GoalSeries,
    MeasureValueIn,
    MeasureValueOut,
    problem_code,
)
from bettercities.storage.workspace import Workspace
from bettercities.web.deps import DbId, PrincipalDep, ReaderDep, city_with, get_workspace, requires
from bettercities.web.errors import PROBLEM_RESPONSES, coded_body_route

#: A refused body answers "Invalid input" with the goals' problem codes (goal-invalid-areas,
#: goal-invalid-measure, invalid-text, goal-invalid-entry), as the service's own refusals do
router = APIRouter(
    prefix="/api",
    tags=["goals"],
    responses=PROBLEM_RESPONSES,
    route_class=coded_body_route(problem_code),
)

WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]


@router.get(
    "/cities/{slug}/goals",
    response_model=list[GoalOut],
    summary="A city's goals with their status",
    description=(
        "Each goal with its baseline (from the stored data, with the period and revision it was taken from), "
        "target, deadline, status (achieved, on_track, off_track, no_new_data: computed from the data "
        "against the straight trajectory from baseline to target) per area and for the group, and the "
        "detectable change. Goals on indicators the caller may not see are left out; withheld values "
        "have no numbers."
    ),
)
def goals(slug: str, reader: ReaderDep) -> list[GoalOut]:
    return queries.visible_goals(reader, slug)


@router.get("/cities/{slug}/goals/{goal_id}", response_model=GoalOut, summary="One goal with its status")
def goal(slug: str, goal_id: DbId, reader: ReaderDep) -> GoalOut:
    return queries.visible_goal(reader, slug, goal_id)


@router.get(
    "/cities/{slug}/goals/{goal_id}/series",
    response_model=GoalSeries,
    summary="A goal's chart data: group values, trajectory, target, city total",
)
def goal_series(slug: str, goal_id: DbId, reader: ReaderDep) -> GoalSeries:
    return queries.goal_series(reader, slug, goal_id)


@router.post(
    "/cities/{slug}/goals",
    response_model=GoalOut,
    status_code=201,
    summary="Set a goal",
    description=(
        "Needs the permission `edit` in the city. The baseline is read from the stored data as the caller "
        "sees them; refused input answers 422 with every problem; warnings (a target on the worse side of "
        "the baseline, a target smaller than the detectable change) are kept with the goal."
    ),
    dependencies=[Depends(requires(Permission.EDIT))],
)
def add_goal(slug: str, body: GoalIn, workspace: WorkspaceDep, principal: PrincipalDep) -> GoalOut:
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.EDIT)
        return service.add_goal(
            session, city, body, actor=principal.name, audience=audience_for(principal, city.id)
        )


@router.delete(
    "/cities/{slug}/goals/{goal_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a goal",
    dependencies=[Depends(requires(Permission.EDIT))],
)
def remove_goal(slug: str, goal_id: DbId, workspace: WorkspaceDep, principal: PrincipalDep) -> Response:
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.EDIT)
        service.remove_goal(session, city, goal_id)
    return Response(status_code=204)


@router.post(
    "/cities/{slug}/goals/{goal_id}/measures",
    response_model=MeasureValueOut,
    status_code=201,
    summary="Record a performance measure's value for a period",
    description="Needs the permission `edit`. A population goal's values are the city's observations: 422.",
    dependencies=[Depends(requires(Permission.EDIT))],
)
def record_measure(
    slug: str, goal_id: DbId, body: MeasureValueIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> MeasureValueOut:
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.EDIT)
        return service.record_measure(session, city, goal_id, body, actor=principal.name)
