"""The audiences an output can be published for."""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    """Who will see an output (see :mod:`bettercities.access.policy` for who is which)."""

    PUBLIC = "public"
    MEMBER = "member"  # the city's members: its restricted data, but not suppressed cells
    INTERNAL = "internal"  # the city's own data team: everything


__all__ = ["Audience"]
