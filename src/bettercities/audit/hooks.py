"""The audit log's hooks into storage, registered through the manifest (``storage_hooks``).

Every session of a database records its writes (:mod:`bettercities.audit.recording`), and a restore keeps
the log: the entries of the replaced database that the snapshot lacks (those after it, or of another
workspace) are carried over, and the restore itself is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from bettercities.audit import recording
from bettercities.audit.models import AuditEntry
from bettercities.audit.service import record_event
from bettercities.storage import hooks
from bettercities.storage.hooks import AfterRestore, Restored

hooks.on_sessions(hooks.SessionHook(track=recording.track, bulk_insert=recording.record_bulk_insert))


@hooks.on_restore
def keep_the_log(replaced: Connection, tables: Sequence[str]) -> AfterRestore:
    """Read the log of the database about to be replaced; after the restore, carry over the entries the
    snapshot lacks and record the restore."""
    log = _entries(replaced, tables)

    def carry_over(session: Session, restored: Restored) -> None:
        carried = _carry(session, log)
        record_event(
            session,
            "restore",
            summary=f"restored the snapshot taken {restored.taken_at:%Y-%m-%d %H:%M:%S} UTC",
            reference=f"snapshot {restored.source.resolve()}",
            after={
                "snapshot_data_version": restored.snapshot_data_version,
                "replaced_data_version": restored.replaced_data_version,
                "audit_entries_carried_over": carried,
            },
        )

    return carry_over


def _entries(conn: Connection, tables: Sequence[str]) -> list[dict[str, Any]]:
    """The audit log of the database about to be replaced (a restore must not lose it)."""
    if AuditEntry.__tablename__ not in tables:
        return []
    entries = AuditEntry.__table__
    return [dict(row) for row in conn.execute(select(entries).order_by(entries.c.id)).mappings()]


def _carry(session: Session, log: list[dict[str, Any]]) -> int:
    """Append the replaced database's entries the snapshot lacks (those after it, or of another workspace).

    The snapshot's own entries stay as they are; carried entries keep their time and get new ids.
    """
    if not log:
        return 0
    entries = cast(Table, AuditEntry.__table__)
    connection = session.connection()
    key = ("id", "at", "action", "summary")
    held = {tuple(row) for row in connection.execute(select(*(entries.c[k] for k in key)))}
    missing = [
        {k: v for k, v in row.items() if k != "id"} for row in log if tuple(row[k] for k in key) not in held
    ]
    if missing:
        connection.execute(insert(entries), missing)
    return len(missing)


__all__ = ["keep_the_log"]
