"""The accounts' hook into storage, registered through the manifest (``storage_hooks``): a restore brings
data back, not access.

Restoring a snapshot must not revive what was taken away after it: a revoked token, a password since
changed, a disabled user, a role withdrawn. So a restore keeps the security state of the database it
replaces — users (with their password hashes and whether they are disabled), their roles in cities and
networks, sign-in sessions, API tokens (with their revocations and cities) and the failed sign-in counter —
instead of the snapshot's, and ends what was issued after the snapshot: sign-in sessions and API tokens the
snapshot does not hold are ended and revoked, so whoever held them signs in again. Roles in a city or network
the snapshot does not hold are dropped (their city is gone). When the replaced database holds no accounts
(a restore into a new workspace, or after the database was lost), the snapshot's accounts are restored as
they are.

The restore says what it kept and what it ended (its note, shown by ``bettercities restore``) and records it
in the audit log (``restore-kept-access``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from bettercities.access.models import (
    ApiToken,
    ApiTokenCity,
    CityMembership,
    LoginSession,
    LoginThrottle,
    NetworkMembership,
    User,
)
from bettercities.areas.models import City
from bettercities.audit.service import record_event
from bettercities.networks.models import Network
from bettercities.storage import hooks
from bettercities.storage.base import Base
from bettercities.storage.hooks import AfterRestore, Restored

#: The security tables, parents first (deleted in the reverse order).
TABLES: tuple[type[Base], ...] = (
    User,
    LoginThrottle,
    CityMembership,
    NetworkMembership,
    LoginSession,
    ApiToken,
    ApiTokenCity,
)
#: Tables with a generated ``id`` whose sequence follows the kept rows on PostgreSQL.
_SEQUENCED: tuple[type[Base], ...] = (User, CityMembership, NetworkMembership, LoginSession, ApiToken)


@dataclass
class SecurityState:
    """The security tables of the database a restore replaces; memberships keep the slug of their city or
    network (``_slug``), since the restored database may number them differently."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def of(self, model: type[Base]) -> list[dict[str, Any]]:
        return self.rows.get(model.__tablename__, [])


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def read_state(conn: Connection, tables: Sequence[str]) -> SecurityState | None:
    """The security state of the database about to be replaced, or ``None`` when it holds no accounts."""
    if User.__tablename__ not in tables:
        return None
    users = [dict(r) for r in conn.execute(select(User.__table__).order_by(User.id)).mappings()]
    if not users:
        return None
    state = SecurityState({User.__tablename__: users})
    plain: tuple[type[Base], ...] = (LoginThrottle, LoginSession, ApiToken)
    for model in plain:
        rows = conn.execute(select(_table(model))).mappings()
        state.rows[model.__tablename__] = [dict(r) for r in rows]
    placed: tuple[tuple[type[Base], type[City] | type[Network], str], ...] = (
        (CityMembership, City, "city_id"),
        (ApiTokenCity, City, "city_id"),
        (NetworkMembership, Network, "network_id"),
    )
    for linked, parent, key in placed:
        table = _table(linked)
        query = select(table, parent.slug.label("_slug")).join(parent, parent.id == table.c[key])
        state.rows[linked.__tablename__] = [dict(r) for r in conn.execute(query).mappings()]
    return state


@dataclass(frozen=True)
class Kept:
    """What :func:`keep_state` did."""

    users: int
    snapshot_users: int
    ended_sessions: int
    revoked_tokens: int
    dropped_roles: list[str]

    def note(self) -> str:
        text = (
            f"kept the workspace's current accounts, roles, sign-in sessions and API tokens ({self.users} "
            f"users; the snapshot had {self.snapshot_users}) — a restore does not roll back access; "
            f"ended {self.ended_sessions} sign-in sessions and revoked {self.revoked_tokens} API tokens "
            "issued after the snapshot"
        )
        if self.dropped_roles:
            lost = ", ".join(self.dropped_roles)
            text += f"; dropped roles in cities or networks the snapshot lacks: {lost}"
        return text


def keep_state(session: Session, state: SecurityState, *, now: datetime | None = None) -> Kept:
    """Replace the restored database's security tables by ``state``; end the sessions and revoke the tokens
    the restored database (the snapshot) does not hold."""
    now = now or datetime.now(UTC)
    conn = session.connection()  # past the ORM: the rows are put back as they were, not recorded one by one
    known_sessions = set(conn.scalars(select(LoginSession.secret_hash)))
    known_tokens = set(conn.scalars(select(ApiToken.secret_hash)))
    snapshot_users = int(conn.scalar(select(func.count()).select_from(User)) or 0)
    for model in reversed(TABLES):
        conn.execute(delete(model))
    cities = {slug: id_ for slug, id_ in conn.execute(select(City.slug, City.id))}
    networks = {slug: id_ for slug, id_ in conn.execute(select(Network.slug, Network.id))}
    users = {u["id"]: u["username"] for u in state.of(User)}

    ended = revoked = 0
    sessions = []
    for row in state.of(LoginSession):
        if row["secret_hash"] not in known_sessions and row["ended_at"] is None:
            row, ended = {**row, "ended_at": now}, ended + 1
        sessions.append(row)
    tokens = []
    for row in state.of(ApiToken):
        if row["secret_hash"] not in known_tokens and row["revoked_at"] is None:
            row, revoked = {**row, "revoked_at": now}, revoked + 1
        tokens.append(row)

    dropped: list[str] = []

    def placed(model: type[Base], ids: dict[str, int], column: str) -> list[dict[str, Any]]:
        rows = []
        for row in state.of(model):
            slug = row.pop("_slug")
            if slug in ids:
                rows.append({**row, column: ids[slug]})
            elif "role" in row:
                dropped.append(f"{users.get(row['user_id'], row['user_id'])} in {slug}")
        return rows

    for model, rows in (
        (User, state.of(User)),
        (LoginThrottle, state.of(LoginThrottle)),
        (CityMembership, placed(CityMembership, cities, "city_id")),
        (NetworkMembership, placed(NetworkMembership, networks, "network_id")),
        (LoginSession, sessions),
        (ApiToken, tokens),
        (ApiTokenCity, placed(ApiTokenCity, cities, "city_id")),
    ):
        if rows:
            conn.execute(insert(model), rows)
    if conn.dialect.name == "postgresql":  # explicit ids leave the sequences behind: the next id follows
        for model in _SEQUENCED:
            column = _table(model).c.id
            sequence = func.pg_get_serial_sequence(model.__tablename__, "id")
            conn.execute(select(func.setval(sequence, func.coalesce(func.max(column), 0) + 1, False)))
    return Kept(len(state.of(User)), snapshot_users, ended, revoked, sorted(dropped))


@hooks.on_restore
def keep_access(replaced: Connection, tables: Sequence[str]) -> AfterRestore:
    """Read the security state of the database about to be replaced; after the restore, put it back (see the
    module's docstring) and say so."""
    state = read_state(replaced, tables)

    def put_back(session: Session, restored: Restored) -> str | None:
        if state is None:
            return None
        kept = keep_state(session, state)
        record_event(
            session,
            "restore-kept-access",
            summary=kept.note(),
            reference=f"snapshot {restored.source.resolve()}",
            after={
                "users": kept.users,
                "snapshot_users": kept.snapshot_users,
                "ended_sessions": kept.ended_sessions,
                "revoked_tokens": kept.revoked_tokens,
                "dropped_roles": kept.dropped_roles,
            },
        )
        return kept.note()

    return put_back


__all__ = ["Kept", "SecurityState", "keep_access", "keep_state", "read_state"]
