"""Roles: grant and revoke a user's role in a city or a city network, and the principal those roles make.

Every function takes a session; the caller commits. Each grant and revocation is recorded as a named audit
event (``role-granted``, ``role-revoked``, ``network-role-granted``, ``network-role-revoked``) whichever face
calls it; a city role's event belongs to the city's log.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.access.contacts import contact_cities as _contact_cities
from bettercities.access.models import CityMembership, NetworkMembership, User
from bettercities.access.policy import NetworkRole, Principal, Role, TokenScope
from bettercities.access.schemas import MembershipOut, NetworkMembershipOut
from bettercities.access.users import get_user
from bettercities.areas import service as areas
from bettercities.audit.service import record_event
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.networks.models import Network
from bettercities.networks.service import city_networks, get_network


def grant(session: Session, username: str, city_slug: str, role: Role | str) -> MembershipOut:
    """Give a user ``role`` in a city, replacing an earlier role there."""
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role '{role}': use one of {choices}") from None
    user = get_user(session, username)
    city = areas.get_city(session, city_slug)
    membership = session.scalar(
        select(CityMembership).where(CityMembership.user_id == user.id, CityMembership.city_id == city.id)
    )
    before = None if membership is None else {"role": membership.role}
    if membership is None:
        session.add(CityMembership(user_id=user.id, city_id=city.id, role=role.value))
    else:
        membership.role = role.value
    session.flush()
    record_event(
        session,
        "role-granted",
        summary=f"{user.username} is {role.value} in {city.slug}",
        city_id=city.id,
        entity="city_membership",
        entity_key=f"{user.username}/{city.slug}",
        before=before,
        after={"role": role.value},
    )
    return MembershipOut(city=city.slug, role=role)


def revoke(session: Session, username: str, city_slug: str) -> None:
    """Remove a user's role in a city; :class:`NotFound` when it has none."""
    user = get_user(session, username)
    city = areas.get_city(session, city_slug)
    membership = session.scalar(
        select(CityMembership).where(CityMembership.user_id == user.id, CityMembership.city_id == city.id)
    )
    if membership is None:
        raise NotFound("membership", f"{user.username} in {city.slug}")
    role = membership.role
    session.delete(membership)
    session.flush()
    record_event(
        session,
        "role-revoked",
        summary=f"{user.username} has no role in {city.slug} any more (was {role})",
        city_id=city.id,
        entity="city_membership",
        entity_key=f"{user.username}/{city.slug}",
        before={"role": role},
    )


def grant_network(
    session: Session, username: str, network_slug: str, role: NetworkRole | str
) -> NetworkMembershipOut:
    """Give a user ``role`` (member or coordinator) in a city network, replacing an earlier one."""
    try:
        role = NetworkRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in NetworkRole)
        raise InvalidInput(f"unknown network role '{role}': use one of {choices}") from None
    user = get_user(session, username)
    network = get_network(session, network_slug)
    membership = session.scalar(
        select(NetworkMembership).where(
            NetworkMembership.user_id == user.id, NetworkMembership.network_id == network.id
        )
    )
    before = None if membership is None else {"role": membership.role}
    if membership is None:
        session.add(NetworkMembership(user_id=user.id, network_id=network.id, role=role.value))
    else:
        membership.role = role.value
    session.flush()
    record_event(
        session,
        "network-role-granted",
        summary=f"{user.username} is {role.value} of network {network.slug}",
        entity="network_membership",
        entity_key=f"{user.username}/{network.slug}",
        before=before,
        after={"role": role.value},
    )
    return NetworkMembershipOut(network=network.slug, role=role)


def revoke_network(session: Session, username: str, network_slug: str) -> None:
    """Remove a user's role in a city network; :class:`NotFound` when it has none."""
    user = get_user(session, username)
    network = get_network(session, network_slug)
    membership = session.scalar(
        select(NetworkMembership).where(
            NetworkMembership.user_id == user.id, NetworkMembership.network_id == network.id
        )
    )
    if membership is None:
        raise NotFound("network membership", f"{user.username} in {network.slug}")
    role = membership.role
    session.delete(membership)
    session.flush()
    record_event(
        session,
        "network-role-revoked",
        summary=f"{user.username} has no role in network {network.slug} any more (was {role})",
        entity="network_membership",
        entity_key=f"{user.username}/{network.slug}",
        before={"role": role},
    )


def principal_for(session: Session, user: User, scope: TokenScope | None = None) -> Principal:
    """The principal of ``user``: its role per city, its network roles, and the networks whose shared data
    it sees (those its cities are members of today, and those it holds a role in), the municipalities it is
    a contact of and the programmes it coordinates a network of. A token ``scope`` limited to cities
    reaches only the networks its cities are members of: the user's own network roles (and so the
    programmes) stay outside it, as every city outside the list does."""
    city_roles = {
        city_id: Role(role)
        for city_id, role in session.execute(
            select(CityMembership.city_id, CityMembership.role).where(CityMembership.user_id == user.id)
        )
    }
    network_roles = {
        network_id: NetworkRole(role)
        for network_id, role in session.execute(
            select(NetworkMembership.network_id, NetworkMembership.role).where(
                NetworkMembership.user_id == user.id
            )
        )
    }
    cities = set(city_roles)
    networks = frozenset(network_roles)
    contacts = _contact_cities(session, user.id)
    coordinated = [n for n, role in network_roles.items() if role == NetworkRole.COORDINATOR]
    programmes = frozenset(
        programme_id
        for programme_id in (
            session.scalars(select(Network.programme_id).where(Network.id.in_(coordinated)))
            if coordinated
            else ()
        )
        if programme_id is not None
    )
    if scope is not None and scope.cities is not None:
        cities &= scope.cities
        networks = frozenset()
        contacts &= scope.cities
        programmes = frozenset()
    networks |= city_networks(session, cities)
    return Principal(
        user_id=user.id,
        name=user.username,
        platform_admin=user.platform_admin,
        city_roles=city_roles,
        networks=networks,
        network_roles=network_roles,
        scope=scope,
        contact_cities=contacts,
        coordinated_programmes=programmes,
    )
