"""Users, their roles, sign-in (with lock-out), sign-in sessions and API tokens; principals for requests.

Secrets (session keys, API tokens) are random (:func:`secrets.token_urlsafe`) and stored only as their
SHA-256; passwords only as argon2id hashes. Every function takes a session; the caller commits.
Bookkeeping writes (sessions, token use, failure counters) do not bump the data version
(:data:`bettercities.storage.versioning.BOOKKEEPING_TABLES`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bettercities.access import passwords
from bettercities.access.models import (
    ApiToken,
    ApiTokenCity,
    CityMembership,
    LoginSession,
    LoginThrottle,
    NetworkMembership,
    User,
)
from bettercities.access.policy import NetworkRole, Principal, Role, TokenScope
from bettercities.access.schemas import (
    IssuedToken,
    MembershipOut,
    NetworkMembershipOut,
    TokenOut,
    UserOut,
)
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import BettercitiesError, Conflict, InvalidInput, NotFound
from bettercities.core.settings import Settings, get_settings
from bettercities.networks.models import Network
from bettercities.networks.service import city_networks, get_network

WRONG_CREDENTIALS = "wrong user name or password"
TOKEN_PREFIX = "bct_"
#: Writes of ``last_seen_at`` / ``last_used_at`` happen at most this often per session or token.
TOUCH_INTERVAL = timedelta(minutes=1)
MAX_TOKEN_DAYS = 3650


class LoginRefused(BettercitiesError):
    """Sign-in refused: one message for unknown user, wrong password and disabled user; another (with
    ``locked_until``) while the user name is locked after too many failures."""

    def __init__(self, message: str = WRONG_CREDENTIALS, *, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


# -- helpers -------------------------------------------------------------------------------------------
def _now(now: datetime | None) -> datetime:
    return _aware(now) if now is not None else datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite returns stored timestamps without their zone; every timestamp here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _locked_message(until: datetime) -> str:
    return f"too many failed sign-ins; try again after {until.astimezone(UTC):%H:%M} UTC"


# -- users ---------------------------------------------------------------------------------------------
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
    return user_out(session, user)


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == passwords.normalise_username(username)))
    if user is None:
        raise NotFound("user", username)
    return user


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
        locked_until=_locked_until(session, user.username, _now(now)),
        created_at=_aware(user.created_at),
        memberships=[MembershipOut(city=slug, role=Role(role)) for slug, role in memberships],
        networks=[NetworkMembershipOut(network=slug, role=NetworkRole(role)) for slug, role in network_roles],
    )


def list_users(session: Session) -> list[UserOut]:
    return [user_out(session, u) for u in session.scalars(select(User).order_by(User.username))]


def disable_user(session: Session, username: str) -> UserOut:
    """Disable a user: it can no longer sign in; its sessions end and its tokens are revoked."""
    user = get_user(session, username)
    user.disabled = True
    now = datetime.now(UTC)
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return user_out(session, user)


def enable_user(session: Session, username: str) -> UserOut:
    """Enable a disabled user again (its revoked tokens stay revoked)."""
    user = get_user(session, username)
    user.disabled = False
    session.flush()
    return user_out(session, user)


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
    if membership is None:
        session.add(CityMembership(user_id=user.id, city_id=city.id, role=role.value))
    else:
        membership.role = role.value
    session.flush()
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
    session.delete(membership)
    session.flush()


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
    if membership is None:
        session.add(NetworkMembership(user_id=user.id, network_id=network.id, role=role.value))
    else:
        membership.role = role.value
    session.flush()
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
    session.delete(membership)
    session.flush()


# -- passwords and sign-in -----------------------------------------------------------------------------
def _locked_until(session: Session, name: str, now: datetime) -> datetime | None:
    until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.username == name))
    if until is None or _aware(until) <= now:
        return None
    return _aware(until)


def _record_failure(
    session: Session, name: str, now: datetime, settings: Settings | None = None
) -> datetime | None:
    """Count a failed sign-in of ``name``; the time until which it is now locked, if it is.

    Written and committed in a transaction of its own: the refusal that follows is an exception, which
    rolls back the caller's unit of work, and the count must survive it."""
    settings = settings or get_settings()
    for attempt in (1, 2):
        with Session(bind=session.get_bind()) as own:
            try:
                throttle = own.get(LoginThrottle, name, with_for_update=True)
                if throttle is None:
                    throttle = LoginThrottle(username=name, failures=0)
                    own.add(throttle)
                if throttle.locked_until is not None and _aware(throttle.locked_until) <= now:
                    throttle.failures, throttle.locked_until = 0, None  # an expired lock: a fresh count
                throttle.failures += 1
                throttle.last_failure_at = now
                if throttle.failures >= settings.login_max_failures:
                    throttle.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                until = _aware(throttle.locked_until) if throttle.locked_until is not None else None
                own.commit()
                return until
            except IntegrityError:  # a concurrent first failure of the same name inserted the row
                own.rollback()
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")


def sign_in_subject(session: Session, username: str) -> str:
    """How a sign-in attempt names its user in the audit log: the user name when such a user exists, else
    ``unknown user name #<8 hex>`` (a SHA-256 prefix), so that repeated attempts on one name can be told apart
    without storing what was typed — often a password typed into the wrong field."""
    name = passwords.normalise_username(username)[:64]
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        return name
    return f"unknown user name #{_digest(name)[:8]}"


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> User:
    """The user whose name and password these are, else :class:`LoginRefused`.

    Failures in a row are counted per user name; after ``login_max_failures`` the name is locked for
    ``login_lockout_minutes`` (even the right password is refused then). A success resets the count and
    rehashes the password when the hashing parameters have changed. Unknown names are checked against a
    dummy hash, so they take as long as a wrong password. A failure is committed at once, in its own
    transaction (call this before writing anything else in ``session``). ``settings`` default to the
    environment's (:func:`~bettercities.core.settings.get_settings`); the web app passes its own.
    """
    moment = _now(now)
    name = passwords.normalise_username(username)[:64]
    locked = _locked_until(session, name, moment)
    if locked is not None:
        raise LoginRefused(_locked_message(locked), locked_until=locked)
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password) and not user.disabled
    if not ok or user is None:
        until = _record_failure(session, name, moment, settings)
        if until is not None:
            raise LoginRefused(_locked_message(until), locked_until=until)
        raise LoginRefused()
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == name))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.flush()
    return user


def _end_sessions(session: Session, user_id: int, *, keep: str | None = None) -> None:
    query = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(LoginSession.secret_hash != _digest(keep))
    session.execute(query.values(ended_at=datetime.now(UTC)))


def change_password(
    session: Session,
    username: str,
    old_password: str,
    new_password: str,
    *,
    keep_session: str | None = None,
) -> None:
    """Change one's own password: :class:`LoginRefused` when ``old_password`` is wrong (counted like a
    failed sign-in), :class:`InvalidInput` when the new one is weak. Ends the user's other sessions
    (all but ``keep_session``, the raw key of the session making the change)."""
    user = authenticate(session, username, old_password)
    passwords.check_password(new_password, username=user.username)
    user.password_hash = passwords.hash_password(new_password)
    _end_sessions(session, user.id, keep=keep_session)
    session.flush()


def set_password(session: Session, username: str, new_password: str) -> None:
    """Set a user's password (administrator's reset); ends all its sessions and lifts a lock."""
    user = get_user(session, username)
    passwords.check_password(new_password, username=user.username)
    user.password_hash = passwords.hash_password(new_password)
    _end_sessions(session, user.id)
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username))
    session.flush()


# -- sign-in sessions ----------------------------------------------------------------------------------
def start_session(
    session: Session, user: User, *, now: datetime | None = None, settings: Settings | None = None
) -> str:
    """Start a sign-in session of ``user``; the raw key (for the cookie), stored only as its SHA-256."""
    moment = _now(now)
    raw = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user_id=user.id,
            secret_hash=_digest(raw),
            created_at=moment,
            last_seen_at=moment,
            expires_at=moment + timedelta(days=(settings or get_settings()).session_max_days),
        )
    )
    session.flush()
    return raw


def resolve_session(
    session: Session, raw: str, *, now: datetime | None = None, settings: Settings | None = None
) -> Principal | None:
    """The principal of a session key; ``None`` when unknown, ended, expired (idle for
    ``session_idle_hours`` or older than ``session_max_days``) or its user is disabled."""
    moment = _now(now)
    row = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.secret_hash == _digest(raw))
    ).first()
    if row is None:
        return None
    login, user = row
    idle = timedelta(hours=(settings or get_settings()).session_idle_hours)
    if (
        login.ended_at is not None
        or user.disabled
        or _aware(login.expires_at) <= moment
        or _aware(login.last_seen_at) + idle <= moment
    ):
        return None
    if moment - _aware(login.last_seen_at) >= TOUCH_INTERVAL:
        login.last_seen_at = moment
        session.flush()
    return principal_for(session, user)


def end_session(session: Session, raw: str) -> None:
    """End a sign-in session (sign out); nothing happens for an unknown key."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.secret_hash == _digest(raw), LoginSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )


def purge_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete sessions that ended or expired more than a day ago; how many."""
    cutoff = _now(now) - timedelta(days=1)
    idle_cutoff = cutoff - timedelta(hours=get_settings().session_idle_hours)
    result = session.execute(
        delete(LoginSession).where(
            (LoginSession.ended_at < cutoff)
            | (LoginSession.expires_at < cutoff)
            | (LoginSession.last_seen_at < idle_cutoff)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- API tokens ----------------------------------------------------------------------------------------
def _token_out(session: Session, token: ApiToken) -> TokenOut:
    cities: list[str] | None = None
    if not token.all_cities:
        cities = list(
            session.scalars(
                select(City.slug)
                .join(ApiTokenCity, ApiTokenCity.city_id == City.id)
                .where(ApiTokenCity.token_id == token.id)
                .order_by(City.slug)
            )
        )
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        write=token.write,
        cities=cities,
        created_at=_aware(token.created_at),
        expires_at=_aware(token.expires_at),
        revoked_at=_aware(token.revoked_at) if token.revoked_at else None,
        last_used_at=_aware(token.last_used_at) if token.last_used_at else None,
    )


def issue_token(
    session: Session,
    username: str,
    *,
    name: str,
    write: bool = False,
    cities: list[str] | None = None,
    expires_days: int = 90,
    now: datetime | None = None,
) -> IssuedToken:
    """Issue an API token for a user: read-only unless ``write``, limited to ``cities`` (slugs) if given.
    The token is returned this once; only its SHA-256 and first eight characters are stored."""
    user = get_user(session, username)
    if user.disabled:
        raise Conflict(f"user '{user.username}' is disabled: enable it before issuing a token")
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("a token needs a name of 1 to 100 characters (what it is for)")
    if not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"token lifetime must be 1 to {MAX_TOKEN_DAYS} days, not {expires_days}")
    if cities is not None and not cities:
        raise InvalidInput("a token limited to cities needs at least one city")
    city_ids = [areas.get_city(session, slug).id for slug in dict.fromkeys(cities or [])]
    moment = _now(now)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[:8],
        secret_hash=_digest(raw),
        write=write,
        all_cities=cities is None,
        created_at=moment,
        expires_at=moment + timedelta(days=expires_days),
    )
    session.add(token)
    session.flush()
    session.add_all(ApiTokenCity(token_id=token.id, city_id=cid) for cid in city_ids)
    session.flush()
    return IssuedToken(token=raw, info=_token_out(session, token))


def list_tokens(session: Session, username: str) -> list[TokenOut]:
    """A user's tokens, newest first (never their secrets)."""
    user = get_user(session, username)
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    return [_token_out(session, t) for t in tokens]


def revoke_token(session: Session, username: str, token_id: int) -> TokenOut:
    """Revoke one of a user's tokens (again: no change); :class:`NotFound` when the user has no such token."""
    user = get_user(session, username)
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFound("token", f"{token_id} of {user.username}")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.flush()
    return _token_out(session, token)


def resolve_token(session: Session, raw: str, *, now: datetime | None = None) -> Principal | None:
    """The principal of an API token, narrowed by its scope; ``None`` when unknown, revoked, expired or
    its user is disabled."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    moment = _now(now)
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.secret_hash == _digest(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or user.disabled or _aware(token.expires_at) <= moment:
        return None
    if token.last_used_at is None or moment - _aware(token.last_used_at) >= TOUCH_INTERVAL:
        token.last_used_at = moment
        session.flush()
    cities = None
    if not token.all_cities:
        cities = frozenset(
            session.scalars(select(ApiTokenCity.city_id).where(ApiTokenCity.token_id == token.id))
        )
    scope = TokenScope(write=token.write, cities=cities, expires_at=_aware(token.expires_at))
    return principal_for(session, user, scope)


# -- principals ----------------------------------------------------------------------------------------
def principal_for(session: Session, user: User, scope: TokenScope | None = None) -> Principal:
    """The principal of ``user``: its role per city, its network roles, and the networks whose shared data
    it sees (those its cities are members of today, and those it holds a role in). A token ``scope``
    limited to cities reaches only the networks its cities are members of: the user's own network roles
    stay outside it, as every city outside the list does."""
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
    if scope is not None and scope.cities is not None:
        cities &= scope.cities
        networks = frozenset()
    networks |= city_networks(session, cities)
    return Principal(
        user_id=user.id,
        name=user.username,
        platform_admin=user.platform_admin,
        city_roles=city_roles,
        networks=networks,
        network_roles=network_roles,
        scope=scope,
    )
