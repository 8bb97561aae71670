"""Sign-in with lock-out, password changes and resets, and sign-in sessions.

Session keys are random and stored only as their SHA-256 (:mod:`bettercities.access.keys`). Every function
takes a session; the caller commits. Bookkeeping writes (sessions, failure counters) do not bump the data
version (:data:`bettercities.storage.versioning.BOOKKEEPING_TABLES`). A password change or reset is recorded
as the named audit event ``password-changed`` whichever face calls it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bettercities.access import passwords
from bettercities.access.keys import TOUCH_INTERVAL, digest, moment, new_key
from bettercities.access.models import LoginSession, LoginThrottle, User
from bettercities.access.policy import Principal
from bettercities.access.roles import principal_for
from bettercities.access.users import get_user, locked_until
from bettercities.audit.service import record_event
from bettercities.core.errors import BettercitiesError
from bettercities.core.settings import Settings, get_settings
from bettercities.core.timestamps import as_utc

WRONG_CREDENTIALS = "wrong user name or password"


class LoginRefused(BettercitiesError):
    """Sign-in refused: one message for unknown user, wrong password and disabled user; another (with
    ``locked_until``) while the user name is locked after too many failures."""

    def __init__(self, message: str = WRONG_CREDENTIALS, *, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


def _locked_message(until: datetime) -> str:
    return f"too many failed sign-ins; try again after {until.astimezone(UTC):%H:%M} UTC"


# -- sign-in with lock-out -----------------------------------------------------------------------------
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
                if throttle.locked_until is not None and as_utc(throttle.locked_until) <= now:
                    throttle.failures, throttle.locked_until = 0, None  # an expired lock: a fresh count
                throttle.failures += 1
                throttle.last_failure_at = now
                if throttle.failures >= settings.login_max_failures:
                    throttle.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                until = as_utc(throttle.locked_until) if throttle.locked_until is not None else None
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
    return f"unknown user name #{digest(name)[:8]}"


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
    at = moment(now)
    name = passwords.normalise_username(username)[:64]
    locked = locked_until(session, name, at)
    if locked is not None:
        raise LoginRefused(_locked_message(locked), locked_until=locked)
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password) and not user.disabled
    if not ok or user is None:
        until = _record_failure(session, name, at, settings)
        if until is not None:
            raise LoginRefused(_locked_message(until), locked_until=until)
        raise LoginRefused()
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == name))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.flush()
    return user


# -- passwords -----------------------------------------------------------------------------------------
def _end_sessions(session: Session, user_id: int, *, keep: str | None = None) -> None:
    query = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(LoginSession.secret_hash != digest(keep))
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
    record_event(
        session,
        "password-changed",
        summary=f"{user.username} changed the password",
        entity="app_user",
        entity_key=user.username,
        after={"by": "self"},
    )


def set_password(session: Session, username: str, new_password: str) -> None:
    """Set a user's password (administrator's reset); ends all its sessions and lifts a lock."""
    user = get_user(session, username)
    passwords.check_password(new_password, username=user.username)
    user.password_hash = passwords.hash_password(new_password)
    _end_sessions(session, user.id)
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username))
    session.flush()
    record_event(
        session,
        "password-changed",  # the same event as one's own change; ``after`` tells the reset apart
        summary=f"password of {user.username} reset by an administrator; its sessions ended",
        entity="app_user",
        entity_key=user.username,
        after={"by": "administrator"},
    )


# -- sign-in sessions ----------------------------------------------------------------------------------
def start_session(
    session: Session, user: User, *, now: datetime | None = None, settings: Settings | None = None
) -> str:
    """Start a sign-in session of ``user``; the raw key (for the cookie), stored only as its SHA-256."""
    at = moment(now)
    raw = new_key()
    session.add(
        LoginSession(
            user_id=user.id,
            secret_hash=digest(raw),
            created_at=at,
            last_seen_at=at,
            expires_at=at + timedelta(days=(settings or get_settings()).session_max_days),
        )
    )
    session.flush()
    return raw


def resolve_session(
    session: Session, raw: str, *, now: datetime | None = None, settings: Settings | None = None
) -> Principal | None:
    """The principal of a session key; ``None`` when unknown, ended, expired (idle for
    ``session_idle_hours`` or older than ``session_max_days``) or its user is disabled."""
    at = moment(now)
    row = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.secret_hash == digest(raw))
    ).first()
    if row is None:
        return None
    login, user = row
    idle = timedelta(hours=(settings or get_settings()).session_idle_hours)
    if (
        login.ended_at is not None
        or user.disabled
        or as_utc(login.expires_at) <= at
        or as_utc(login.last_seen_at) + idle <= at
    ):
        return None
    if at - as_utc(login.last_seen_at) >= TOUCH_INTERVAL:
        login.last_seen_at = at
        session.flush()
    return principal_for(session, user)


def end_session(session: Session, raw: str) -> None:
    """End a sign-in session (sign out); nothing happens for an unknown key."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.secret_hash == digest(raw), LoginSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )


def purge_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete sessions that ended or expired more than a day ago; how many."""
    cutoff = moment(now) - timedelta(days=1)
    idle_cutoff = cutoff - timedelta(hours=get_settings().session_idle_hours)
    result = session.execute(
        delete(LoginSession).where(
            (LoginSession.ended_at < cutoff)
            | (LoginSession.expires_at < cutoff)
            | (LoginSession.last_seen_at < idle_cutoff)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
