"""``/api/cities/{slug}/peers``: a city's suggested peers, ranked by similarity of social profile and the fit
of their practices with the city's challenge themes, under constraints, each with its reasons (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from bettercities.peers import service
from bettercities.peers.schemas import PeerQuery, PeerResult
from bettercities.storage.workspace import Workspace
from bettercities.web.deps import get_workspace
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["peers"], responses=PROBLEM_RESPONSES)

WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
QueryDep = Annotated[PeerQuery, Depends()]


@router.get(
    "/cities/{slug}/peers",
    response_model=PeerResult,
    summary="A city's suggested peers with score and reasons",
    description=(
        "Municipalities of the registry ranked by the similarity of their social profile (robust z-scores "
        "of Urban Audit indicators and registry attributes, compared on the features both cities have; "
        "the overlap is given) plus a bonus for practices in the city's challenge themes (its goals' and "
        "networks' themes, or `theme`: comma-separated). Constraints: `country` (any, same, other), "
        "`size` (any, same or a size class), `language` (any, same or an ISO 639-1 code), `programme` "
        "(urbact, eui-ia: the peer must be eligible). Each peer states the features that make the "
        "cities alike and the themes that fit. A city without enough profile features has no peers and "
        "the problem `peer-no-profile`."
    ),
)
def peers(slug: str, params: QueryDep, workspace: WorkspaceDep) -> PeerResult:
    with workspace.database.reader() as session:
        return service.peers(session, slug, limit=params.limit, constraints=params.constraints())
