"""Users: create (under the user-name and password rules), look up, list, disable and enable.

Passwords are stored only as argon2id hashes (:mod:`bettercities.access.passwords`). Every function takes a
session; the caller commits. Each change is recorded as a named audit event (``user-created``,
``user-disabled``, ``user-enabled``) whichever face calls it, beside the row the recording hooks log.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bettercities.access import passwords
from bettercities.access.keys import moment
from bettercities.access.models import (
    ApiToken,
    CityMembership,
    LoginSession,
    LoginThrottle,
    NetworkMembership,
    User,
)
from bettercities.access.policy import NetworkRole, Role
from bettercities.access.schemas import MembershipOut, NetworkMembershipOut, UserOut
from bettercities.areas.models import City
from bettercities.audit.service import record_event
from bettercities.core.errors import Conflict, NotFound
from bettercities.core.timestamps import as_utc
from bettercities.networks.models import Network


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
    platform_admin: bool = False,
) -> UserOut:
    """Create a user; :class:`InvalidInput` for a bad name or weak password, :class:`Conflict` when taken."""
    name = passwords.check_username(username)
    passwords.check_password(password, username=name)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"user '{name}' exists already")
    user = User(
        username=name,
        display_name=(display_name or "").strip() or None,
        email=(email or "").strip() or None,
        password_hash=passwords.hash_password(password),
        platform_admin=platform_admin,
        disabled=False,
    )
    session.add(user)
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == name))
    session.flush()
    record_event(
        session,
        "user-created",
        summary=f"user {name} created" + (" (platform admin)" if platform_admin else ""),
        entity="app_user",
        entity_key=name,
        after={"platform_admin": platform_admin},
    )
    return user_out(session, user)


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == passwords.normalise_username(username)))
    if user is None:
        raise NotFound("user", username)
    return user


def locked_until(session: Session, name: str, now: datetime) -> datetime | None:
    """Until when the user name ``name`` is locked after too many failed sign-ins (``None``: it is not)."""
    until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.username == name))
    if until is None or as_utc(until) <= now:
        return None
    return as_utc(until)


def user_out(session: Session, user: User, *, now: datetime | None = None) -> UserOut:
    memberships = session.execute(
        select(City.slug, CityMembership.role)
        .join(City, City.id == CityMembership.city_id)
        .where(CityMembership.user_id == user.id)
        .order_by(City.slug)
    ).all()
    network_roles = session.execute(
        select(Network.slug, NetworkMembership.role)
        .join(Network, Network.id == NetworkMembership.network_id)
        .where(NetworkMembership.user_id == user.id)
        .order_by(Network.slug)
    ).all()
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        platform_admin=user.platform_admin,
        disabled=user.disabled,
        locked_until=locked_until(session, user.username, moment(now)),
        created_at=as_utc(user.created_at),
        memberships=[MembershipOut(city=slug, role=Role(role)) for slug, role in memberships],
        networks=[NetworkMembershipOut(network=slug, role=NetworkRole(role)) for slug, role in network_roles],
    )


def list_users(session: Session) -> list[UserOut]:
    return [user_out(session, u) for u in session.scalars(select(User).order_by(User.username))]


def disable_user(session: Session, username: str) -> UserOut:
    """Disable a user: it can no longer sign in; its sessions end and its tokens are revoked."""
    user = get_user(session, username)
    was = user.disabled
    user.disabled = True
    now = datetime.now(UTC)
    ended = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    sessions_ended, tokens_revoked = _count(ended), _count(revoked)
    record_event(
        session,
        "user-disabled",
        summary=f"user {user.username} disabled: {sessions_ended} sessions ended, "
        f"{tokens_revoked} tokens revoked",
        entity="app_user",
        entity_key=user.username,
        before={"disabled": was},
        after={"disabled": True, "sessions_ended": sessions_ended, "tokens_revoked": tokens_revoked},
    )
    return user_out(session, user)


def _count(result: object) -> int:
    """Rows an UPDATE matched (0 when the driver does not say)."""
    rows = getattr(result, "rowcount", -1)
    return rows if isinstance(rows, int) and rows >= 0 else 0


def enable_user(session: Session, username: str) -> UserOut:
    """Enable a disabled user again (its revoked tokens stay revoked)."""
    user = get_user(session, username)
    was = user.disabled
    user.disabled = False
    session.flush()
    record_event(
        session,
        "user-enabled",
        summary=f"user {user.username} enabled",
        entity="app_user",
        entity_key=user.username,
        before={"disabled": was},
        after={"disabled": False},
    )
    return user_out(session, user)
