"""Tables of the audit domain: the append-only log of every write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow
from bettercities.storage.versioning import BOOKKEEPING_TABLES


class AuditEntry(Base):
    """One recorded write or event: who, when, through which face, what, before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_city_at", "city_id", "at"),
        Index("ix_audit_entry_entity", "entity", "entity_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), doc='Display text: a user name, "cli:<os user>" …')
    # Plain integers, no foreign keys: entries outlive the users and cities they name.
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    via: Mapped[str] = mapped_column(String(10), doc="web, api, cli or library")
    request_id: Mapped[str | None] = mapped_column(String(64))
    city_id: Mapped[int | None] = mapped_column(Integer)
    city: Mapped[str | None] = mapped_column(String(80), doc="The city's slug when the entry was written.")
    action: Mapped[str] = mapped_column(String(40), doc="insert, update, delete, bulk-… or a named event")
    entity: Mapped[str | None] = mapped_column(String(80), doc="Table name.")
    entity_key: Mapped[str | None] = mapped_column(String(200), doc="Primary key as text (a/b if composite).")
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    reference: Mapped[str | None] = mapped_column(Text, doc="Where the full change is, e.g. import_id=12.")
    summary: Mapped[str] = mapped_column(Text)


# Writing an entry is not a change of data: it must not bump the data version (nor audit itself).
BOOKKEEPING_TABLES.add(AuditEntry.__tablename__)
