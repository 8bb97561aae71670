"""``/api/cities/{slug}/consultations``: consultation rounds, their items, invitations, ballots, comments,
proposals, moderation and results (JSON; results also as CSV).

Stewards and city admins (``edit``) create rounds, put items, invite, open, close and moderate. Ballots,
comments and proposals come from a signed-in account (session with its CSRF token, or an API token) or from
an invitation link's holder, who sends the link's token in the body field ``invitation`` (no account, no
cookie: nothing is stored about them but the steward's label).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from bettercities.access.policy import Permission
from bettercities.audit.context import current_actor
from bettercities.consultations import participation, queries, service
from bettercities.consultations.schemas import (
    BallotIn,
    CommentIn,
    CommentOut,
    InvitationIn,
    InvitationOut,
    IssuedInvitation,
    ItemIn,
    ItemOut,
    ModerationIn,
    ProposalIn,
    RoundIn,
    RoundOut,
    RoundResults,
    problem_code,
)
from bettercities.storage.workspace import Workspace
from bettercities.web.deps import DbId, PrincipalDep, SessionDep, get_workspace, requires
from bettercities.web.errors import PROBLEM_RESPONSES, coded_body_route

#: A refused body answers with the consultations' problem codes (invalid-text, invalid-ballot …), as the
#: service does for the checks it makes itself
router = APIRouter(
    prefix="/api/cities/{slug}/consultations",
    tags=["consultations"],
    responses=PROBLEM_RESPONSES,
    route_class=coded_body_route(problem_code),
)

WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
EDIT = [Depends(requires(Permission.EDIT))]


@router.get("", response_model=list[RoundOut], summary="Consultation rounds of a city")
def rounds(slug: str, session: SessionDep, principal: PrincipalDep) -> list[RoundOut]:
    return queries.visible_rounds(session, principal, slug)


@router.post("", response_model=RoundOut, status_code=201, summary="Create a round", dependencies=EDIT)
def create_round(slug: str, body: RoundIn, workspace: WorkspaceDep) -> RoundOut:
    with workspace.database.session() as session:
        row = service.add_round(session, slug, body, actor=current_actor().name)
        return queries.round_out(session, row, editor=True)


@router.get("/{round_id}", response_model=RoundOut, summary="One round with its items and comments")
def one_round(slug: str, round_id: DbId, session: SessionDep, principal: PrincipalDep) -> RoundOut:
    return queries.visible_round(session, principal, slug, round_id)


@router.post(
    "/{round_id}/items",
    response_model=ItemOut,
    status_code=201,
    summary="Put an item to a round",
    dependencies=EDIT,
)
def add_item(slug: str, round_id: DbId, body: ItemIn, workspace: WorkspaceDep) -> ItemOut:
    with workspace.database.session() as session:
        return service.add_item(session, slug, round_id, body)


@router.post("/{round_id}/open", response_model=RoundOut, summary="Open a round now", dependencies=EDIT)
def open_round(slug: str, round_id: DbId, workspace: WorkspaceDep) -> RoundOut:
    with workspace.database.session() as session:
        row = service.open_round(session, slug, round_id)
        return queries.round_out(session, row, editor=True)


@router.post("/{round_id}/close", response_model=RoundOut, summary="Close a round now", dependencies=EDIT)
def close_round(slug: str, round_id: DbId, workspace: WorkspaceDep) -> RoundOut:
    with workspace.database.session() as session:
        row = service.close_round(session, slug, round_id)
        return queries.round_out(session, row, editor=True)


@router.get(
    "/{round_id}/invitations", response_model=list[InvitationOut], summary="Invitations", dependencies=EDIT
)
def invitations(slug: str, round_id: DbId, session: SessionDep) -> list[InvitationOut]:
    return participation.list_invitations(session, slug, round_id)


@router.post(
    "/{round_id}/invitations",
    response_model=IssuedInvitation,
    status_code=201,
    summary="Invite an account or create a single-use link",
    description="The link's token is in the answer this once; only its SHA-256 is stored.",
    dependencies=EDIT,
)
def invite(slug: str, round_id: DbId, body: InvitationIn, workspace: WorkspaceDep) -> IssuedInvitation:
    with workspace.database.session() as session:
        return participation.invite(session, slug, round_id, body, actor=current_actor().name)


@router.post(
    "/{round_id}/ballots",
    status_code=201,
    summary="Cast a ballot",
    description=(
        "Dot voting: item id -> dots (at most the round's dots, each at most its cap). Ranking: item id -> "
        "rank, every visible item once from 1. A second ballot of the account or invitation answers 409, "
        "as does a round that is not open."
    ),
)
def ballot(
    slug: str, round_id: DbId, body: BallotIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> dict[str, int]:
    with workspace.database.session() as session:
        cast = participation.cast_ballot(session, slug, round_id, body, principal=principal)
        return {"ballot": cast.id, "round": round_id}


@router.post("/{round_id}/comments", response_model=CommentOut, status_code=201, summary="Comment on an item")
def comment(
    slug: str, round_id: DbId, body: CommentIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> CommentOut:
    with workspace.database.session() as session:
        row = participation.add_comment(session, slug, round_id, body, principal=principal)
        return CommentOut(
            id=row.id, item=row.item_id, parent=row.parent_id, author=row.author, body=row.body,
            created_at=row.created_at, hidden=False, hidden_reason=None,
        )  # fmt: skip


@router.post(
    "/{round_id}/proposals",
    response_model=ItemOut,
    status_code=201,
    summary="Propose an item (shown once a steward approved it)",
)
def proposal(
    slug: str, round_id: DbId, body: ProposalIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> ItemOut:
    with workspace.database.session() as session:
        return participation.propose(session, slug, round_id, body, principal=principal)


@router.post(
    "/{round_id}/comments/{comment_id}/moderation",
    status_code=204,
    summary="Hide a comment with a reason",
    dependencies=EDIT,
)
def hide_comment(
    slug: str, round_id: DbId, comment_id: DbId, body: ModerationIn, workspace: WorkspaceDep
) -> Response:
    with workspace.database.session() as session:
        participation.moderate(
            session, slug, round_id, comment=comment_id, decision=body, actor=current_actor().name
        )
    return Response(status_code=204)


@router.post(
    "/{round_id}/items/{item_id}/moderation",
    status_code=204,
    summary="Approve or reject a proposed item with a reason",
    dependencies=EDIT,
)
def decide_proposal(
    slug: str, round_id: DbId, item_id: DbId, body: ModerationIn, workspace: WorkspaceDep
) -> Response:
    with workspace.database.session() as session:
        participation.moderate(
            session, slug, round_id, item=item_id, decision=body, actor=current_actor().name
        )
    return Response(status_code=204)


@router.get(
    "/{round_id}/results",
    response_model=RoundResults,
    summary="Results: ranking with its method, participants by group (small groups withheld), comments",
    description="To stewards live; to everyone once the round has closed (403 before).",
)
def results(slug: str, round_id: DbId, session: SessionDep, principal: PrincipalDep) -> RoundResults:
    return queries.visible_results(session, principal, slug, round_id)


@router.get("/{round_id}/results.csv", summary="Results as CSV", response_class=Response)
def results_csv(slug: str, round_id: DbId, session: SessionDep, principal: PrincipalDep) -> Response:
    text = queries.results_csv(queries.visible_results(session, principal, slug, round_id))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-consultation-{round_id}.csv"'},
    )
