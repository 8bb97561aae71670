"""``/api/me``: who am I (principal, roles, token scope); issue and revoke one's own API tokens.

The token routes accept a signed-in session (with the CSRF header) or a write token. A token may only issue
tokens within its own scope: a token limited to some cities cannot issue one for every city
(:func:`bettercities.access.tokens.issue_own_token`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from bettercities.access import tokens
from bettercities.access.policy import signed_in
from bettercities.access.queries import me_view
from bettercities.access.schemas import IssuedToken, MeOut, TokenIn, TokenOut
from bettercities.web.deps import DbId, PrincipalDep, SessionDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/me", tags=["account"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=MeOut, summary="Who am I: user, roles per city, token scope")
def me(session: SessionDep, principal: PrincipalDep) -> MeOut:
    return me_view(session, principal)


@router.get("/tokens", response_model=list[TokenOut], summary="My API tokens (never their secrets)")
def my_tokens(session: SessionDep, principal: PrincipalDep) -> list[TokenOut]:
    return tokens.list_tokens(session, signed_in(principal))


@router.post(
    "/tokens",
    response_model=IssuedToken,
    status_code=201,
    summary="Issue an API token (its secret is in this answer only)",
    description="Send it as `Authorization: Bearer bct_…`. Needs a signed-in session or a write token.",
)
def issue_token(
    principal: PrincipalDep, workspace: WorkspaceDep, token: Annotated[TokenIn, Body()]
) -> IssuedToken:
    with workspace.database.session() as session:
        return tokens.issue_own_token(session, principal, token)


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke one of my API tokens")
def revoke_token(token_id: DbId, principal: PrincipalDep, workspace: WorkspaceDep) -> TokenOut:
    with workspace.database.session() as session:
        return tokens.revoke_own_token(session, principal, token_id)
