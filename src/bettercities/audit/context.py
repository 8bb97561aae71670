"""Who is acting: the actor every audit entry names, held in a context variable.

The faces set it once per unit of work (the CLI callback, the web app's request middleware); library code
never passes it around. Unset, writes are attributed to ``Actor("library", None, "library")``.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

Via = Literal["web", "api", "cli", "library"]


@dataclass(frozen=True)
class Actor:
    """Who writes: display name, user id (when signed in), the face used and the request it came with."""

    name: str
    user_id: int | None = None
    via: Via = "library"
    request_id: str | None = None


LIBRARY = Actor("library", None, "library")

_actor: ContextVar[Actor | None] = ContextVar("bettercities.audit.actor", default=None)


def current_actor() -> Actor:
    """The actor set by the innermost :func:`acting_as` (or :func:`set_actor`), else :data:`LIBRARY`."""
    return _actor.get() or LIBRARY


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Attribute every write inside the block to ``actor``; the previous actor is back afterwards."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def set_actor(actor: Actor) -> None:
    """Attribute every later write in this context to ``actor`` (for a process that is one actor: the CLI)."""
    _actor.set(actor)


def cli_actor() -> Actor:
    """``cli:<os user>`` via "cli" (``cli:unknown`` when the system knows no user name)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"cli:{user}", None, "cli")


__all__ = ["LIBRARY", "Actor", "Via", "acting_as", "cli_actor", "current_actor", "set_actor"]
