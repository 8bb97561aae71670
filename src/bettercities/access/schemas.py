"""What the accounts domain returns: users, memberships and API tokens (never a secret but once)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from bettercities.access.policy import NetworkRole, Role


class MembershipOut(BaseModel):
    """A user's role in a city."""

    city: str  # slug
    role: Role


class NetworkMembershipOut(BaseModel):
    """A user's role in a city network."""

    network: str  # slug
    role: NetworkRole


class UserOut(BaseModel):
    """A user as shown to administrators (no password hash)."""

    username: str
    display_name: str | None
    email: str | None
    platform_admin: bool
    disabled: bool
    locked_until: datetime | None
    created_at: datetime
    memberships: list[MembershipOut]
    networks: list[NetworkMembershipOut] = []


class TokenOut(BaseModel):
    """An API token without its secret; ``prefix`` is its first eight characters, to recognise it."""

    id: int
    name: str
    prefix: str
    write: bool
    cities: list[str] | None  # slugs; None: every city the user has a role in
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class IssuedToken(BaseModel):
    """A newly issued token: ``token`` is shown this once and stored only as a hash."""

    token: str
    info: TokenOut
