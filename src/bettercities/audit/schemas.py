"""Typed views of the audit log: one entry, one page of entries, the filter shared by page, API and export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bettercities.core.timestamps import UtcDateTime


class AuditFilter(BaseModel):
    """Which entries to show or export; every field narrows, none given means all."""

    city_id: int | None = Field(default=None, description="Entries of this city (by id).")
    city: str | None = Field(default=None, description="Entries of this city (by slug, also once deleted).")
    without_city: bool = Field(
        default=False, description="Only entries that concern no city (sign-ins, tokens, users, networks)."
    )
    actor: str | None = Field(default=None, description='Entries by this actor, e.g. "anna" or "cli:ops".')
    entity: str | None = Field(default=None, description="Entries about this table, e.g. observation.")
    action: str | None = Field(default=None, description="insert, update, delete, bulk-insert, login …")
    since: datetime | None = Field(default=None, description="At or after this time (UTC when naive).")
    until: datetime | None = Field(default=None, description="Before this time (UTC when naive).")


class AuditEntryOut(BaseModel):
    """One entry of the audit log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: UtcDateTime = Field(description="When (UTC).")
    actor: str
    actor_user_id: int | None
    via: str
    request_id: str | None
    city_id: int | None
    city: str | None
    action: str
    entity: str | None
    entity_key: str | None
    before: Any | None
    after: Any | None
    reference: str | None
    summary: str


class AuditPage(BaseModel):
    """One page of entries, newest first."""

    items: list[AuditEntryOut]
    page: int = Field(description="This page's number, from 1.")
    page_size: int
    total: int = Field(description="Entries that pass the filter.")

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


__all__ = ["AuditEntryOut", "AuditFilter", "AuditPage"]
