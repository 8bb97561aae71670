"""Hooks that domains register with storage, so that storage imports no domain.

* A :class:`SessionHook` watches the sessions of every :class:`~bettercities.storage.Database` and is told
  of the rows :meth:`~bettercities.storage.Database.bulk_insert` writes past the ORM (the audit log records
  every write this way).
* A :class:`RestoreHook` reads what it must keep from the database a restore is about to replace, and
  returns what to do in the restored one (the audit log carries its entries over and records the restore;
  the accounts keep the current users, roles, sessions and tokens, so a restore revives no access).

The manifest (:attr:`bettercities.domains.Domain.storage_hooks`) names the module of each domain that
registers hooks; those modules are imported on first use, so no hook depends on what happened to be imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Table
from sqlalchemy.orm import Session, sessionmaker

from bettercities import domains


@dataclass(frozen=True)
class SessionHook:
    """What a domain does with the sessions of a database."""

    #: installs the domain's listeners on a database's sessionmaker
    track: Callable[[sessionmaker[Session]], None]
    #: told of ``rows`` written into ``table`` by a bulk insert, with the ``constants`` of every row
    bulk_insert: Callable[[Session, Table, int, Mapping[str, Any]], None]


@dataclass(frozen=True)
class Restored:
    """What a restore brought back, for the hooks that run in the restored database."""

    #: the snapshot's folder
    source: Path
    #: when the snapshot was taken (UTC)
    taken_at: datetime
    snapshot_data_version: int
    replaced_data_version: int


class AfterRestore(Protocol):
    """Runs in the restored database, in the transaction that moves its data version forward; returns a note
    for the operator (what it kept, what it ended) or ``None``."""

    def __call__(self, session: Session, restored: Restored) -> str | None: ...


class RestoreHook(Protocol):
    """Reads what to keep from the database about to be replaced (``tables``: its tables) and returns what
    to do once the snapshot is back."""

    def __call__(self, replaced: Connection, tables: Sequence[str]) -> AfterRestore: ...


H = TypeVar("H", bound=RestoreHook)

_session_hooks: list[SessionHook] = []
_restore_hooks: list[RestoreHook] = []
_extensions = domains.Extensions(domains.storage_hooks_modules)


def on_sessions(hook: SessionHook) -> SessionHook:
    """Register ``hook`` for the sessions of every database opened from now on."""
    if hook not in _session_hooks:
        _session_hooks.append(hook)
    return hook


def on_restore(hook: H) -> H:
    """Register ``hook`` for every restore (usable as a decorator)."""
    if hook not in _restore_hooks:
        _restore_hooks.append(hook)
    return hook


def session_hooks() -> tuple[SessionHook, ...]:
    """Every registered session hook."""
    _extensions.load()
    return tuple(_session_hooks)


def restore_hooks() -> tuple[RestoreHook, ...]:
    """Every registered restore hook."""
    _extensions.load()
    return tuple(_restore_hooks)


__all__ = [
    "AfterRestore",
    "RestoreHook",
    "Restored",
    "SessionHook",
    "on_restore",
    "on_sessions",
    "restore_hooks",
    "session_hooks",
]
