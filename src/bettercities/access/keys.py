"""Random keys (session keys, API tokens) and the clock of the accounts domain.

Keys are random (:func:`secrets.token_urlsafe`) and stored only as their SHA-256 (:func:`digest`). Every
timestamp is UTC; operations take an optional ``now`` so that tests can move the clock.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from bettercities.core.timestamps import as_utc

#: Writes of ``last_seen_at`` / ``last_used_at`` happen at most this often per session or token.
TOUCH_INTERVAL = timedelta(minutes=1)


def new_key(prefix: str = "") -> str:
    """A new random key (32 bytes, URL-safe), after ``prefix``."""
    return prefix + secrets.token_urlsafe(32)


def digest(raw: str) -> str:
    """The SHA-256 of a key: what the database stores instead of the key."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def moment(now: datetime | None) -> datetime:
    """``now`` (read as UTC when naive), or the current time."""
    return as_utc(now) if now is not None else datetime.now(UTC)
