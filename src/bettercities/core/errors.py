"""Exceptions for faults and refused operations.

Expected data problems are *data* (see :mod:`bettercities.core.problems`); an
:class:`InvalidInput` carries such a report when an operation refuses its input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bettercities.core.problems import Report


class BettercitiesError(Exception):
    """Base class of every error raised on purpose by bettercities."""


class NotFound(BettercitiesError):
    """A requested object (city, area, indicator, period …) does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} not found: {key}")
        self.kind = kind
        self.key = key


class InvalidInput(BettercitiesError):
    """The input was refused; ``report`` lists every problem found. Nothing was written."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


class Conflict(BettercitiesError):
    """The operation contradicts the stored state (e.g. a duplicate code); ``report`` may name the rule (its
    problem code) that refused it."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


class Forbidden(BettercitiesError):
    """The principal may not do this: HTTP 401 for the anonymous visitor (sign in), 403 otherwise."""

    def __init__(self, message: str, *, anonymous: bool = False) -> None:
        super().__init__(message)
        self.anonymous = anonymous
