"""``/api/cities/{slug}/priority`` (priority areas by a preset or posted rule) and ``…/priority-sets``
(named sets of them) (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from bettercities.access.policy import Permission, audience_for
from bettercities.analysis.priority import queries, service
from bettercities.analysis.priority.schemas import (
    PriorityResult,
    PriorityRule,
    PrioritySetOut,
    PrioritySetRequest,
)
from bettercities.storage.workspace import Workspace
from bettercities.web.deps import (
    PrincipalDep,
    PriorityQueryDep,
    ReaderDep,
    city_with,
    get_workspace,
    requires,
)
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["analysis"], responses=PROBLEM_RESPONSES)


@router.get(
    "/cities/{slug}/priority", response_model=PriorityResult, summary="Priority areas by a preset rule"
)
def priority_areas(slug: str, reader: ReaderDep, query: PriorityQueryDep) -> PriorityResult:
    return query.run(reader, slug)


@router.post(
    "/cities/{slug}/priority",
    response_model=PriorityResult,
    summary="Priority areas by a rule in the request body",
    description="Conditions: index-class (stored runs), lisa, hotspot, threshold and nested groups.",
)
def priority_by_rule(
    slug: str, reader: ReaderDep, query: PriorityQueryDep, rule: Annotated[PriorityRule, Body()]
) -> PriorityResult:
    return query.run(reader, slug, rule)


@router.post(
    "/cities/{slug}/priority-sets",
    response_model=PrioritySetOut,
    status_code=201,
    summary="Evaluate a rule and keep its areas as a named set",
    description=(
        "Needs the permission `analyse` in the city. The set stores the rule, level, period, the index "
        "runs read, who and when, and the audience it was evaluated for; only principals who may see that "
        "audience see the set. An existing name answers 409."
    ),
    dependencies=[Depends(requires(Permission.ANALYSE))],
)
def create_priority_set(
    slug: str,
    body: PrioritySetRequest,
    workspace: Annotated[Workspace, Depends(get_workspace)],
    principal: PrincipalDep,
) -> PrioritySetOut:
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.ANALYSE)
        own = audience_for(principal, city.id)
        return service.save_requested(session, slug, body, own=own, user=principal.name)


@router.get(
    "/cities/{slug}/priority-sets",
    response_model=list[PrioritySetOut],
    summary="Named sets of priority areas",
    description="Only the sets evaluated for the caller's audience in the city, or a narrower one.",
)
def priority_sets(slug: str, reader: ReaderDep) -> list[PrioritySetOut]:
    return queries.visible_sets(reader, slug)


@router.get(
    "/cities/{slug}/priority-sets/{name}",
    response_model=PrioritySetOut,
    summary="One named set with its areas",
    description="404 also for a set evaluated for an audience the caller does not belong to.",
)
def priority_set(slug: str, name: str, reader: ReaderDep) -> PrioritySetOut:
    return queries.visible_set(reader, slug, name)
