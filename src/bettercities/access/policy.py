"""Who may do what: the one permission check for pages, API, exports, reports and the CLI.

A :class:`Principal` is whoever makes a request: an anonymous visitor, a signed-in user, or a user acting
through an API token (whose scope narrows what the user may do). Accounts (:mod:`bettercities.access`)
build principals; this module only decides. Roles are held per city; platform admins may do everything.

=============  =========================================================================================
role           may
=============  =========================================================================================
(anonymous)    see public data: published datasets with public access rights, indicators in no dataset
viewer         also see the city's restricted data (not suppressed cells)
analyst        also see suppressed cells, imports and the quality queue; save index runs, priority sets
steward        also import, correct, act on outlier flags, edit the catalogue, submit datasets
city admin     also approve, publish and unlock datasets; manage the city's members; read the audit log
platform admin everything, in every city; manage users
=============  =========================================================================================

Network members (and coordinators) also see what member cities share with their network
(:attr:`Principal.networks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from bettercities.core.errors import Forbidden
from bettercities.publication import Audience


class Role(StrEnum):
    """A user's role in one city, from least to most."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    STEWARD = "steward"
    CITY_ADMIN = "city_admin"


class NetworkRole(StrEnum):
    """A user's role in a city network."""

    MEMBER = "member"
    COORDINATOR = "coordinator"


class Permission(StrEnum):
    """What a principal may do in a city."""

    VIEW = "view"  # the city's restricted data, but not suppressed cells
    VIEW_SUPPRESSED = "view_suppressed"  # suppressed cells, import history, quality queue, revisions
    ANALYSE = "analyse"  # store index runs and priority sets
    EDIT = "edit"  # import, correct, act on outlier flags, edit the catalogue, submit datasets
    APPROVE = "approve"  # approve, publish and unlock datasets
    ADMINISTER = "administer"  # manage the city's members, read and export the audit log


ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.VIEWER: frozenset({Permission.VIEW}),
        Role.ANALYST: frozenset({Permission.VIEW, Permission.VIEW_SUPPRESSED, Permission.ANALYSE}),
        Role.STEWARD: frozenset(
            {Permission.VIEW, Permission.VIEW_SUPPRESSED, Permission.ANALYSE, Permission.EDIT}
        ),
        Role.CITY_ADMIN: frozenset(Permission),
    }
)

#: What a read-only API token allows at most.
READ_PERMISSIONS: frozenset[Permission] = frozenset({Permission.VIEW, Permission.VIEW_SUPPRESSED})


@dataclass(frozen=True)
class TokenScope:
    """The narrowing an API token applies to its user's permissions."""

    write: bool = False
    cities: frozenset[int] | None = None  # None: every city the user has a role in
    expires_at: datetime | None = None  # when the token expires (a token it issues may not outlive it)


@dataclass(frozen=True)
class Principal:
    """Whoever makes a request. ``Principal()`` is the anonymous visitor."""

    user_id: int | None = None
    name: str = "anonymous"
    platform_admin: bool = False
    city_roles: Mapping[int, Role] = field(default_factory=dict)
    networks: frozenset[int] = frozenset()  # networks whose shared data this principal may see
    network_roles: Mapping[int, NetworkRole] = field(default_factory=dict)
    scope: TokenScope | None = None  # set when the request came with an API token
    contact_cities: frozenset[int] = frozenset()  # municipalities this principal speaks for (contacts)
    #: programmes with a network this principal coordinates (calls, tandems, surveys of the programme)
    coordinated_programmes: frozenset[int] = frozenset()

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Principal()


def can(principal: Principal, permission: Permission, city_id: int | None = None) -> bool:
    """Whether ``principal`` has ``permission`` in city ``city_id`` (``None``: platform-wide)."""
    scope = principal.scope
    if scope is not None:
        if not scope.write and permission not in READ_PERMISSIONS:
            return False
        if scope.cities is not None and city_id not in scope.cities:
            return False
    if principal.platform_admin:
        return True
    if city_id is None:
        return False
    role = principal.city_roles.get(city_id)
    return role is not None and permission in ROLE_PERMISSIONS[role]


def require(
    principal: Principal, permission: Permission, city_id: int | None = None, *, what: str = ""
) -> None:
    """Raise :class:`Forbidden` unless ``principal`` has ``permission`` in city ``city_id``."""
    if can(principal, permission, city_id):
        return
    action = what or permission.value
    if principal.anonymous:
        raise Forbidden(f"sign in to {action}", anonymous=True)
    raise Forbidden(f"{principal.name} may not {action} here (needs the permission '{permission.value}')")


def signed_in(principal: Principal) -> str:
    """The user name of a signed-in principal; :class:`Forbidden` (401) for the anonymous visitor."""
    if principal.anonymous:
        raise Forbidden("sign in to manage API tokens", anonymous=True)
    return principal.name


def audience_for(principal: Principal, city_id: int) -> Audience:
    """What ``principal`` may see of city ``city_id``: everything (its data team), its restricted data but
    not suppressed cells (its members), or what the public sees."""
    if can(principal, Permission.VIEW_SUPPRESSED, city_id):
        return Audience.INTERNAL
    if can(principal, Permission.VIEW, city_id):
        return Audience.MEMBER
    return Audience.PUBLIC


def can_coordinate(principal: Principal, network_id: int) -> bool:
    """Managing a network's memberships: its coordinators and platform admins, not through a read-only
    token."""
    if principal.scope is not None and not principal.scope.write:
        return False
    return principal.platform_admin or principal.network_roles.get(network_id) == NetworkRole.COORDINATOR


def require_coordinator(principal: Principal, network_id: int, *, what: str = "manage this network") -> None:
    """Raise :class:`Forbidden` (401 for the anonymous visitor, 403 otherwise) unless ``principal`` may
    manage the network's memberships (:func:`can_coordinate`)."""
    if can_coordinate(principal, network_id):
        return
    if principal.anonymous:
        raise Forbidden(f"sign in to {what}", anonymous=True)
    raise Forbidden(f"{principal.name} may not {what} (needs the network role 'coordinator')")


def can_coordinate_programme(principal: Principal, programme_id: int) -> bool:
    """Managing a programme's calls, tandems, surveys and hub entries: coordinators of any network of the
    programme and platform admins, not through a read-only token."""
    if principal.scope is not None and not principal.scope.write:
        return False
    return principal.platform_admin or programme_id in principal.coordinated_programmes


def require_programme_coordinator(
    principal: Principal, programme_id: int, *, what: str = "manage this programme"
) -> None:
    """Raise :class:`Forbidden` (401 for the anonymous visitor, 403 otherwise) unless ``principal`` may
    manage the programme (:func:`can_coordinate_programme`)."""
    if can_coordinate_programme(principal, programme_id):
        return
    if principal.anonymous:
        raise Forbidden(f"sign in to {what}", anonymous=True)
    raise Forbidden(f"{principal.name} may not {what} (needs to coordinate a network of the programme)")


def can_speak_for(principal: Principal, city_id: int) -> bool:
    """Speaking for a municipality in calls and surveys: its contacts, its city admins and platform admins,
    not through a read-only token nor a token limited to other cities."""
    scope = principal.scope
    if scope is not None:
        if not scope.write:
            return False
        if scope.cities is not None and city_id not in scope.cities:
            return False
    if principal.platform_admin or city_id in principal.contact_cities:
        return True
    return principal.city_roles.get(city_id) == Role.CITY_ADMIN


def require_speaker(principal: Principal, city_id: int, *, what: str = "speak for this municipality") -> None:
    """Raise :class:`Forbidden` (401 for the anonymous visitor, 403 otherwise) unless ``principal`` may
    speak for the municipality (:func:`can_speak_for`)."""
    if can_speak_for(principal, city_id):
        return
    if principal.anonymous:
        raise Forbidden(f"sign in to {what}", anonymous=True)
    raise Forbidden(f"{principal.name} may not {what} (needs to be a contact of the municipality)")


def can_administer_platform(principal: Principal) -> bool:
    """Platform-wide administration (users, cities): platform admins, not through a read-only token."""
    return can(principal, Permission.ADMINISTER, None)


__all__ = [
    "ANONYMOUS",
    "READ_PERMISSIONS",
    "ROLE_PERMISSIONS",
    "Forbidden",
    "NetworkRole",
    "Permission",
    "Principal",
    "Role",
    "TokenScope",
    "audience_for",
    "can",
    "can_administer_platform",
    "can_coordinate",
    "can_coordinate_programme",
    "can_speak_for",
    "require",
    "require_coordinator",
    "require_programme_coordinator",
    "require_speaker",
    "signed_in",
]
