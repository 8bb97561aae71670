"""``/api/me``: who am I (principal, roles, token scope); issue and revoke one's own API tokens.

The token routes accept a signed-in session (with the CSRF header) or a write token. A token may only issue
tokens within its own scope: a token limited to some cities cannot issue one for every city.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.access import service as accounts
from bettercities.access.policy import Permission, Principal, Role, can
from bettercities.access.schemas import IssuedToken, TokenOut
from bettercities.areas.models import City
from bettercities.audit.service import record_event
from bettercities.core.errors import Forbidden
from bettercities.storage.workspace import Workspace
from bettercities.web.deps import DbId, PrincipalDep, SessionDep, get_workspace
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/me", tags=["account"], responses=PROBLEM_RESPONSES)
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]


class CityRoleOut(BaseModel):
    """The principal's role in one city and what it may do there (narrowed by a token's scope)."""

    city: str
    city_name: str
    role: Role
    permissions: list[Permission]


class ScopeOut(BaseModel):
    """The scope of the API token the request came with."""

    write: bool
    cities: list[str] | None  # slugs; None: every city of the user


class MeOut(BaseModel):
    """Who makes the request."""

    anonymous: bool
    username: str | None
    display_name: str | None = None
    platform_admin: bool = False
    roles: list[CityRoleOut] = []
    token: ScopeOut | None = None


class TokenIn(BaseModel):
    """A token to issue: a name to recognise it, write access or read-only, the cities it reaches."""

    name: str = Field(min_length=1, max_length=100)
    write: bool = Field(default=False, description="Also write (import, act on flags, approval steps).")
    cities: list[str] | None = Field(default=None, description="City slugs; empty: every city of the user.")
    expires_days: int = Field(default=90, ge=1, le=365)


def _city_names(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    rows = session.execute(select(City.id, City.slug, City.name).where(City.id.in_(ids))).all() if ids else []
    return {row.id: (row.slug, row.name) for row in rows}


def me_view(session: Session, principal: Principal) -> MeOut:
    """The principal as ``/api/me``, ``/account.json`` and the account page show it."""
    if principal.anonymous or principal.user_id is None:
        return MeOut(anonymous=True, username=None)
    user = accounts.get_user(session, principal.name)
    cities = _city_names(session, set(principal.city_roles))
    roles = [
        CityRoleOut(
            city=cities[city_id][0],
            city_name=cities[city_id][1],
            role=role,
            permissions=[p for p in Permission if can(principal, p, city_id)],
        )
        for city_id, role in principal.city_roles.items()
        if city_id in cities
    ]
    roles.sort(key=lambda r: r.city)
    token = None
    if principal.scope is not None:
        scoped = principal.scope.cities
        token = ScopeOut(
            write=principal.scope.write,
            cities=sorted(slug for slug, _ in _city_names(session, set(scoped)).values())
            if scoped is not None
            else None,
        )
    return MeOut(
        anonymous=False,
        username=user.username,
        display_name=user.display_name,
        platform_admin=user.platform_admin,
        roles=roles,
        token=token,
    )


def signed_in(principal: Principal) -> str:
    """The user name of a signed-in principal (401 for the anonymous visitor)."""
    if principal.anonymous:
        raise Forbidden("sign in to manage API tokens", anonymous=True)
    return principal.name


def check_token_write(principal: Principal) -> None:
    """A token request through a token needs a write token."""
    if principal.scope is not None and not principal.scope.write:
        raise Forbidden("a read-only token may not issue or revoke tokens; use a write token or sign in")


def check_token_request(
    session: Session, principal: Principal, cities: list[str] | None, expires_days: int = 1
) -> None:
    """A token request through a token: the token must write, and the token it issues may not reach beyond
    its own cities (``None`` or ``[]``, every city of the user, is refused to a token limited to cities)
    nor expire on a later day (UTC) than it (``expires_days`` from now): a leaked token cannot buy a
    longer life, not even through a chain of tokens."""
    check_token_write(principal)
    scope = principal.scope
    expires_at = scope.expires_at if scope is not None else None
    ends = (datetime.now(UTC) + timedelta(days=expires_days)).date()
    if expires_at is not None and ends > expires_at.date():
        raise Forbidden(
            f"this token expires on {expires_at:%Y-%m-%d} (UTC); a token it issues may not expire later "
            f"(asked for {expires_days} days)"
        )
    if scope is None or scope.cities is None:
        return
    allowed = {slug for slug, _ in _city_names(session, set(scope.cities)).values()}
    if not cities or not set(cities) <= allowed:  # None and [] both mean every city of the user
        raise Forbidden(
            f"this token reaches only {', '.join(sorted(allowed)) or 'no city'}; "
            "a token it issues may not reach further"
        )


def issue(
    workspace: Workspace, principal: Principal, request: TokenIn, *, via: Literal["web", "api"]
) -> IssuedToken:
    """Issue a token for the principal's own user and record it (shared by the API and the page)."""
    username = signed_in(principal)
    with workspace.database.session() as session:
        check_token_request(session, principal, request.cities, request.expires_days)
        issued = accounts.issue_token(
            session,
            username,
            name=request.name,
            write=request.write,
            cities=request.cities or None,
            expires_days=request.expires_days,
        )
        record_event(
            session,
            "token-issued",
            summary=f"{username} issued the {'write' if request.write else 'read-only'} token "
            f"'{request.name}' ({issued.info.prefix}…) via {via}",
            entity="api_token",
            entity_key=str(issued.info.id),
        )
    return issued


def revoke(workspace: Workspace, principal: Principal, token_id: int) -> TokenOut:
    """Revoke one of the principal's own tokens and record it."""
    username = signed_in(principal)
    with workspace.database.session() as session:
        check_token_write(principal)  # revoking never widens: a token limited to cities may revoke
        revoked = accounts.revoke_token(session, username, token_id)
        record_event(
            session,
            "token-revoked",
            summary=f"{username} revoked the token '{revoked.name}' ({revoked.prefix}…)",
            entity="api_token",
            entity_key=str(token_id),
        )
    return revoked


@router.get("", response_model=MeOut, summary="Who am I: user, roles per city, token scope")
def me(session: SessionDep, principal: PrincipalDep) -> MeOut:
    return me_view(session, principal)


@router.get("/tokens", response_model=list[TokenOut], summary="My API tokens (never their secrets)")
def my_tokens(session: SessionDep, principal: PrincipalDep) -> list[TokenOut]:
    return accounts.list_tokens(session, signed_in(principal))


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
    return issue(workspace, principal, token, via="api")


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke one of my API tokens")
def revoke_token(token_id: DbId, principal: PrincipalDep, workspace: WorkspaceDep) -> TokenOut:
    return revoke(workspace, principal, token_id)
