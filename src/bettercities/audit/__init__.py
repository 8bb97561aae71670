"""The audit log: every write through page, API, CLI or library leaves an entry (who, when, what, before and
after, or a reference to the full change); entries can be read and exported, never changed or deleted."""

from bettercities.audit.context import LIBRARY, Actor, acting_as, cli_actor, current_actor, set_actor
from bettercities.audit.queries import export, list_entries
from bettercities.audit.schemas import AuditEntryOut, AuditFilter, AuditPage
from bettercities.audit.service import record_event

__all__ = [
    "LIBRARY",
    "Actor",
    "AuditEntryOut",
    "AuditFilter",
    "AuditPage",
    "acting_as",
    "cli_actor",
    "current_actor",
    "export",
    "list_entries",
    "record_event",
    "set_actor",
]
