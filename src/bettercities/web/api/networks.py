"""``/api/networks``, ``/api/programmes``: programmes and city networks, their members on any date, the
recorded history of every membership and participation analytics (JSON); a network's coordinators (and
platform admins) add, change and end its memberships."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from bettercities.access.policy import require_coordinator
from bettercities.networks import queries, service
from bettercities.networks.schemas import (
    MemberIn,
    MembershipChange,
    MembershipEnd,
    MembershipOut,
    NetworkDetail,
    NetworkOut,
    Participation,
    ProgrammeDetail,
    ProgrammeOut,
)
from bettercities.views import registry as registry_views
from bettercities.web.deps import DbId, PrincipalDep, ReaderDep, SessionDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["networks"], responses=PROBLEM_RESPONSES)

AtQuery = Annotated[
    date | None,
    Query(description="The day (YYYY-MM-DD); default: today (a network's last day once it has ended)."),
]


@router.get("/networks", response_model=list[NetworkOut], summary="City networks with their programme")
def networks(
    session: SessionDep,
    programme: Annotated[str | None, Query(max_length=80, description="Only this programme's.")] = None,
) -> list[NetworkOut]:
    return service.list_networks(session, programme=programme)


@router.get(
    "/networks/participation",
    response_model=Participation,
    summary="Participation rates by country, size class and urban-rural type",
    description=(
        "Per group of registry municipalities: how many take part in a network (a current, active "
        "membership, also through an organisation linked to them), the rate with its Wilson 95 % interval, "
        "and whether the interval lies below the overall rate (under-represented); the participating "
        "municipalities with their number of networks and programmes."
    ),
)
def participation(reader: ReaderDep) -> Participation:
    return registry_views.participation(reader)


@router.get("/networks/{slug}", response_model=NetworkDetail, summary="A network: members on a day, history")
def network(slug: str, session: SessionDep, at: AtQuery = None) -> NetworkDetail:
    return queries.network_detail(session, slug, on=at)


@router.get(
    "/networks/{slug}/members",
    response_model=list[MembershipOut],
    summary="The members of a network on a day",
    description="Who was a member on day `at` (default: today), as recorded now: any past date answers.",
)
def members(slug: str, session: SessionDep, at: AtQuery = None) -> list[MembershipOut]:
    return queries.network_detail(session, slug, on=at).members


@router.get(
    "/networks/{slug}/history",
    response_model=list[MembershipOut],
    summary="Every recorded version of a network's memberships",
    description="Superseded versions included, each with who recorded it, when and why, in recorded order.",
)
def history(slug: str, session: SessionDep) -> list[MembershipOut]:
    return service.history(session, slug)


@router.post(
    "/networks/{slug}/members",
    response_model=MembershipOut,
    status_code=201,
    summary="Add a membership",
    description="Needs the network role `coordinator` (or a platform admin).",
)
def add_member(slug: str, body: MemberIn, workspace: WorkspaceDep, principal: PrincipalDep) -> MembershipOut:
    with workspace.database.session() as session:
        require_coordinator(principal, service.get_network(session, slug).id)
        return service.add_membership(session, slug, body)


@router.patch(
    "/networks/{slug}/members/{membership_id}",
    response_model=MembershipOut,
    summary="Change a membership (a new version; the old one is kept, superseded)",
    description="Needs the network role `coordinator` (or a platform admin). `reason` is required.",
)
def change_member(
    slug: str, membership_id: DbId, body: MembershipChange, workspace: WorkspaceDep, principal: PrincipalDep
) -> MembershipOut:
    with workspace.database.session() as session:
        require_coordinator(principal, service.get_network(session, slug).id)
        return service.change_membership(session, membership_id, body, network_slug=slug)


@router.post(
    "/networks/{slug}/members/{membership_id}/end",
    response_model=MembershipOut,
    summary="End a membership on a day (its last day as a member)",
    description="Needs the network role `coordinator` (or a platform admin).",
)
def end_member(
    slug: str, membership_id: DbId, body: MembershipEnd, workspace: WorkspaceDep, principal: PrincipalDep
) -> MembershipOut:
    with workspace.database.session() as session:
        require_coordinator(principal, service.get_network(session, slug).id)
        return service.end_membership(session, membership_id, body.end, reason=body.reason, network_slug=slug)


@router.get("/programmes", response_model=list[ProgrammeOut], summary="Programmes with their networks")
def programmes(session: SessionDep) -> list[ProgrammeOut]:
    return service.list_programmes(session)


@router.get(
    "/programmes/{slug}",
    response_model=ProgrammeDetail,
    summary="A programme: its networks, members and tandem links",
)
def programme(slug: str, session: SessionDep, at: AtQuery = None) -> ProgrammeDetail:
    return queries.programme_detail(session, slug, on=at)
