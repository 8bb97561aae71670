"""Which indicators an audience may not see at all, by the rules the domains registered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bettercities.publication import rules
from bettercities.publication.audience import Audience

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def withheld(
    session: Session,
    city_id: int,
    indicator_id: int,
    *,
    audience: Audience,
    networks: frozenset[int] = frozenset(),
) -> bool:
    """Whether ``audience`` may not see the observations of ``indicator_id`` in city ``city_id`` at all
    (see :func:`withheld_indicators`)."""
    return indicator_id in withheld_indicators(session, city_id, audience=audience, networks=networks)


def withheld_indicators(
    session: Session, city_id: int, *, audience: Audience, networks: frozenset[int] = frozenset()
) -> frozenset[int]:
    """Ids of the indicators whose observations in city ``city_id`` ``audience`` may not see at all: those
    a withholding rule withholds, less those a reopening rule opens to one of ``networks`` (the viewer's,
    :attr:`Principal.networks`). The city's data team sees everything."""
    if audience == Audience.INTERNAL:
        return frozenset()
    hidden = frozenset[int]().union(*(rule(session, city_id, audience) for rule in rules.withholding()))
    if not hidden or not networks:
        return hidden
    return hidden.difference(*(rule(session, city_id, networks) for rule in rules.reopening()))


__all__ = ["withheld", "withheld_indicators"]
