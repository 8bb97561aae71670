"""API tokens: issue, list, revoke, and the principal a token stands for (narrowed by its scope).

A token is random and stored only as its SHA-256 and its first eight characters
(:mod:`bettercities.access.keys`). A principal issuing or revoking its own token through a token is held to
that token's scope (:func:`issue_own_token`). Every function takes a session; the caller commits. Issuing and
revoking are recorded as the named audit events ``token-issued`` and ``token-revoked`` whichever face calls
them. Token use (``last_used_at``) is bookkeeping and does not bump the data version.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.access.keys import TOUCH_INTERVAL, digest, moment, new_key
from bettercities.access.models import ApiToken, ApiTokenCity, User
from bettercities.access.policy import Principal, TokenScope, signed_in
from bettercities.access.queries import city_names
from bettercities.access.roles import principal_for
from bettercities.access.schemas import IssuedToken, TokenIn, TokenOut
from bettercities.access.users import get_user
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.audit.service import record_event
from bettercities.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bettercities.core.timestamps import as_utc

TOKEN_PREFIX = "bct_"
MAX_TOKEN_DAYS = 3650


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
        created_at=as_utc(token.created_at),
        expires_at=as_utc(token.expires_at),
        revoked_at=as_utc(token.revoked_at) if token.revoked_at else None,
        last_used_at=as_utc(token.last_used_at) if token.last_used_at else None,
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
    at = moment(now)
    raw = new_key(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[:8],
        secret_hash=digest(raw),
        write=write,
        all_cities=cities is None,
        created_at=at,
        expires_at=at + timedelta(days=expires_days),
    )
    session.add(token)
    session.flush()
    session.add_all(ApiTokenCity(token_id=token.id, city_id=cid) for cid in city_ids)
    session.flush()
    info = _token_out(session, token)
    reach = f"cities {', '.join(info.cities)}" if info.cities else "every city of the user"
    record_event(
        session,
        "token-issued",
        summary=f"{'write' if write else 'read-only'} token '{name}' ({info.prefix}…) issued for "
        f"{user.username}, {reach}, expires {info.expires_at:%Y-%m-%d}",
        entity="api_token",
        entity_key=str(token.id),
        after={"user": user.username, "name": name, "write": write, "cities": info.cities},
    )
    return IssuedToken(token=raw, info=info)


def list_tokens(session: Session, username: str) -> list[TokenOut]:
    """A user's tokens, newest first (never their secrets)."""
    user = get_user(session, username)
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    return [_token_out(session, t) for t in tokens]


def revoke_token(session: Session, username: str, token_id: int) -> TokenOut:
    """Revoke one of a user's tokens (again: no change, no event); :class:`NotFound` when the user has no such
    token."""
    user = get_user(session, username)
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFound("token", f"{token_id} of {user.username}")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.flush()
        record_event(
            session,
            "token-revoked",
            summary=f"token '{token.name}' ({token.prefix}…) of {user.username} revoked",
            entity="api_token",
            entity_key=str(token.id),
            after={"user": user.username, "name": token.name},
        )
    return _token_out(session, token)


def resolve_token(session: Session, raw: str, *, now: datetime | None = None) -> Principal | None:
    """The principal of an API token, narrowed by its scope; ``None`` when unknown, revoked, expired or
    its user is disabled."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    at = moment(now)
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.secret_hash == digest(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or user.disabled or as_utc(token.expires_at) <= at:
        return None
    if token.last_used_at is None or at - as_utc(token.last_used_at) >= TOUCH_INTERVAL:
        token.last_used_at = at
        session.flush()
    cities = None
    if not token.all_cities:
        cities = frozenset(
            session.scalars(select(ApiTokenCity.city_id).where(ApiTokenCity.token_id == token.id))
        )
    scope = TokenScope(write=token.write, cities=cities, expires_at=as_utc(token.expires_at))
    return principal_for(session, user, scope)


# -- a principal's own tokens (the account page and /api/me/tokens) ------------------------------------
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
    allowed = {slug for slug, _ in city_names(session, set(scope.cities)).values()}
    if not cities or not set(cities) <= allowed:  # None and [] both mean every city of the user
        raise Forbidden(
            f"this token reaches only {', '.join(sorted(allowed)) or 'no city'}; "
            "a token it issues may not reach further"
        )


def issue_own_token(session: Session, principal: Principal, request: TokenIn) -> IssuedToken:
    """Issue a token for the principal's own user (the API and the account page), held to the principal's
    token scope; :func:`issue_token` records it (the entry's ``via`` names the face)."""
    username = signed_in(principal)
    check_token_request(session, principal, request.cities, request.expires_days)
    return issue_token(
        session,
        username,
        name=request.name,
        write=request.write,
        cities=request.cities or None,
        expires_days=request.expires_days,
    )


def revoke_own_token(session: Session, principal: Principal, token_id: int) -> TokenOut:
    """Revoke one of the principal's own tokens (:func:`revoke_token` records it)."""
    username = signed_in(principal)
    check_token_write(principal)  # revoking never widens: a token limited to cities may revoke
    return revoke_token(session, username, token_id)
