"""The registry of withholding rules: domains tell the publication step what an audience may not see.

A *withholding* rule answers which indicators of a city an audience may not see at all (the catalogue:
indicators of no published public dataset). A *reopening* rule answers which of them a viewer's networks
may see all the same (network shares). The publication step applies every registered rule
(:func:`bettercities.publication.withheld_indicators`) and imports no domain: the manifest
(:attr:`bettercities.domains.Domain.publication_rules`) names the module of each domain that registers its
rules, and those modules are imported on first use, so no rule depends on what happened to be imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from bettercities import domains

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bettercities.publication.audience import Audience


class Withholding(Protocol):
    """Ids of the indicators whose observations in city ``city_id`` ``audience`` may not see."""

    def __call__(self, session: Session, city_id: int, audience: Audience) -> frozenset[int]: ...


class Reopening(Protocol):
    """Ids of the indicators of city ``city_id`` that members of any of ``networks`` may see."""

    def __call__(self, session: Session, city_id: int, networks: frozenset[int]) -> frozenset[int]: ...


W = TypeVar("W", bound=Withholding)
R = TypeVar("R", bound=Reopening)

_withholding: list[Withholding] = []
_reopening: list[Reopening] = []
_extensions = domains.Extensions(domains.publication_rules_modules)


def withholds(rule: W) -> W:
    """Register ``rule`` as a withholding rule (usable as a decorator)."""
    if rule not in _withholding:
        _withholding.append(rule)
    return rule


def reopens(rule: R) -> R:
    """Register ``rule`` as a reopening rule (usable as a decorator)."""
    if rule not in _reopening:
        _reopening.append(rule)
    return rule


def withholding() -> tuple[Withholding, ...]:
    """Every registered withholding rule."""
    _extensions.load()
    return tuple(_withholding)


def reopening() -> tuple[Reopening, ...]:
    """Every registered reopening rule."""
    _extensions.load()
    return tuple(_reopening)


__all__ = ["Reopening", "Withholding", "reopening", "reopens", "withholding", "withholds"]
