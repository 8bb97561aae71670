"""What the accounts domain takes and returns: users, memberships, API tokens (never a secret but once) and
who the principal is."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from bettercities.access.policy import NetworkRole, Permission, Role


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


class TokenIn(BaseModel):
    """A token to issue: a name to recognise it, write access or read-only, the cities it reaches."""

    name: str = Field(min_length=1, max_length=100)
    write: bool = Field(default=False, description="Also write (import, act on flags, approval steps).")
    cities: list[str] | None = Field(default=None, description="City slugs; empty: every city of the user.")
    expires_days: int = Field(default=90, ge=1, le=365)


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
