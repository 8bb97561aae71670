"""What the account faces show: who the principal is (user, roles per city, token scope)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.access.policy import Permission, Principal, can
from bettercities.access.schemas import CityRoleOut, MeOut, ScopeOut
from bettercities.access.users import get_user
from bettercities.areas.models import City


def city_names(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    """Slug and name of the cities ``ids``, by id."""
    rows = session.execute(select(City.id, City.slug, City.name).where(City.id.in_(ids))).all() if ids else []
    return {row.id: (row.slug, row.name) for row in rows}


def me_view(session: Session, principal: Principal) -> MeOut:
    """The principal as ``/api/me``, ``/account.json`` and the account page show it."""
    if principal.anonymous or principal.user_id is None:
        return MeOut(anonymous=True, username=None)
    user = get_user(session, principal.name)
    cities = city_names(session, set(principal.city_roles))
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
            cities=sorted(slug for slug, _ in city_names(session, set(scoped)).values())
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
