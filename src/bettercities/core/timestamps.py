"""Timestamps in results: always timezone-aware UTC.

Every timestamp column is ``DateTime(timezone=True)`` and written as UTC (``storage.base.utcnow``), but
SQLite keeps no offset and hands naive datetimes back; serialised as is they are not RFC 3339
``date-time`` values, which the OpenAPI schema promises. :data:`UtcDateTime` reads a naive value as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def as_utc(moment: datetime) -> datetime:
    """``moment`` with UTC attached when it has no offset (naive values are UTC by convention)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


#: A datetime field of a result schema: naive values (from SQLite) are read as UTC.
UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]

__all__ = ["UtcDateTime", "as_utc"]
