"""Recording named audit events. There is no function to change or delete an entry; reading and exporting
them is :mod:`bettercities.audit.queries`.

Writes are recorded by :mod:`bettercities.audit.recording` without any call from the domains; a domain calls
:func:`record_event` only for what is not a data write (sign-ins, tokens, a restore).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bettercities.audit import recording
from bettercities.core.errors import InvalidInput

#: Events the domains record by name (free text is allowed; these are the ones the app uses).
EVENTS = (
    "login",
    "login-failed",
    "logout",
    "token-issued",
    "token-revoked",
    "user-created",
    "user-disabled",
    "user-enabled",
    "role-granted",
    "role-revoked",
    "network-role-granted",
    "network-role-revoked",
    "password-changed",
    "restore",
    "restore-kept-access",
    "registry-loaded",
)


def record_event(
    session: Session,
    action: str,
    *,
    summary: str,
    city_id: int | None = None,
    entity: str | None = None,
    entity_key: str | None = None,
    reference: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record a named event (``login``, ``token-issued`` …) by the current actor.

    The entry is written with ``session``'s transaction when it commits (a rolled-back transaction leaves
    none: commit the failure count and its event together). Values are redacted like recorded writes.
    """
    if not action.strip():
        raise InvalidInput("an audit event needs an action, e.g. login")
    if not summary.strip():
        raise InvalidInput(f"the audit event {action} needs a summary")
    recording.add(
        session,
        recording.new_entry(
            action,
            summary,
            city_id=city_id,
            entity=entity,
            entity_key=entity_key,
            reference=reference,
            before=None if before is None else recording.values(before.items()),
            after=None if after is None else recording.values(after.items()),
        ),
    )


__all__ = ["EVENTS", "record_event"]
