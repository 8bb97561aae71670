"""A data version: one counter that every committed write through the application bumps.

Caches of computed results (maps, city series) key on it, so a change of any kind — new rows,
values revised in place, a cell suppressed, a dataset unpublished — is visible on the next
request. Writes made outside the application (e.g. by hand in psql) do not bump it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bettercities.storage.base import Base, utcnow

_CHANGED = "bettercities.changed"

#: Tables whose rows are bookkeeping, not data (sign-in sessions, token use, the audit log itself): writes
#: that touch only these tables do not bump the data version. Domains add their table names at import.
BOOKKEEPING_TABLES: set[str] = {"data_version"}

#: Tables whose rows the database derives from other tables (full-text indexes kept by triggers, and the
#: rows such an index writes when it is created): a workspace holding rows only there is still empty for
#: ``restore``. Domains add their table names at import.
DERIVED_TABLES: set[str] = set()


class DataVersion(Base):
    """The single-row counter of committed writes (and the time of the last one)."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    #: when the last counted write was committed (HTTP ``Last-Modified`` of the API); empty before the first
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def mark_changed(session: Session) -> None:
    """Record that ``session`` wrote something (for writes that bypass the ORM, e.g. bulk inserts)."""
    session.info[_CHANGED] = True


def has_changes(session: Session) -> bool:
    """Whether ``session`` wrote data in its current transaction (read before the commit consumes it)."""
    return bool(session.info.get(_CHANGED))


def current_version(session: Session) -> int:
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


def _is_data(obj: object) -> bool:
    return getattr(obj, "__tablename__", None) not in BOOKKEEPING_TABLES


def _after_flush(session: Session, _context: Any) -> None:
    if any(_is_data(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        mark_changed(session)


def _on_execute(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) not in BOOKKEEPING_TABLES:
            mark_changed(state.session)


def _before_commit(session: Session) -> None:
    session.flush()
    if session.info.pop(_CHANGED, False):
        # Through the connection, not the session, so this update does not mark the session again.
        table = DataVersion.__table__
        session.connection().execute(
            update(table)  # type: ignore[arg-type]
            .where(table.c.id == 1)
            .values(version=table.c.version + 1, changed_at=utcnow())
        )


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def track(sessions: sessionmaker[Session]) -> None:
    """Bump the data version on every commit of a session from ``sessions`` that wrote anything."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _on_execute)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_soft_rollback", lambda session, _tx: _after_rollback(session))
