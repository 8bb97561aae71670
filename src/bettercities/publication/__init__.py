"""The publication step: every output (page, API response, export, map) passes through here.

It decides what an audience may see. Suppressed cells (statistical disclosure control) never
show their value, numerator or denominator to anyone outside the data team. Catalogue rule:
observations of an indicator that belongs to datasets of the city, none of them published with
public access rights, are withheld from the public like suppressed cells (indicators in no dataset
stay public); see :func:`withheld`. Network rule: indicators of approved or published datasets that
the city shares with a network it is a member of are not withheld from that network's members
(:func:`bettercities.networks.shared_indicator_ids`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from bettercities.indicators.schemas import AreaValue, Series, SeriesPoint

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Audience(StrEnum):
    """Who will see an output (see :mod:`bettercities.access.policy` for who is which)."""

    PUBLIC = "public"
    MEMBER = "member"  # the city's members: its restricted data, but not suppressed cells
    INTERNAL = "internal"  # the city's own data team: everything


def withheld(
    session: Session,
    city_id: int,
    indicator_id: int,
    *,
    audience: Audience,
    networks: frozenset[int] = frozenset(),
) -> bool:
    """Whether ``audience`` may not see the observations of ``indicator_id`` in city ``city_id`` at all,
    because the datasets holding it are not published (approval workflow of :mod:`bettercities.catalog`)
    nor shared with one of ``networks`` (the viewer's, :attr:`Principal.networks`)."""
    return indicator_id in withheld_indicators(session, city_id, audience=audience, networks=networks)


def withheld_indicators(
    session: Session, city_id: int, *, audience: Audience, networks: frozenset[int] = frozenset()
) -> frozenset[int]:
    """Ids of the indicators whose observations in city ``city_id`` ``audience`` may not see at all;
    for the public, indicators the city shares with one of ``networks`` are not withheld."""
    if audience in (Audience.MEMBER, Audience.INTERNAL):
        return frozenset()
    from bettercities.catalog.approval import unreleased_indicator_ids

    unreleased = unreleased_indicator_ids(session, city_id)
    if not unreleased or not networks:
        return unreleased
    from bettercities.networks.service import shared_indicator_ids

    return unreleased - shared_indicator_ids(session, city_id, networks)


def publish_values(values: list[AreaValue], *, audience: Audience, withheld: bool = False) -> list[AreaValue]:
    """Blank suppressed values (all values when ``withheld``) for every audience but the city's data team."""
    if audience == Audience.INTERNAL:
        return values
    return [
        v.model_copy(update={"value": None, "numerator": None, "denominator": None, "suppressed": True})
        if v.suppressed or withheld
        else v
        for v in values
    ]


def publish_series(series: Series, *, audience: Audience, withheld: bool = False) -> Series:
    if audience == Audience.INTERNAL:
        return series
    points: list[SeriesPoint] = [
        p.model_copy(update={"value": None, "suppressed": True}) if p.suppressed or withheld else p
        for p in series.points
    ]
    return series.model_copy(update={"points": points})


def publish_scores(
    rows: list[dict], *, withheld: set[str], audience: Audience, key: str = "area_id"
) -> list[dict]:
    """Blank every value but the id and note of derived per-area rows (index results) whose inputs
    include a suppressed cell, for every audience but the city's data team."""
    if audience == Audience.INTERNAL or not withheld:
        return rows
    blank = {"note": "withheld (a suppressed input value)"}
    return [
        {k: (v if k == key else None) for k, v in r.items()} | blank if r.get(key) in withheld else r
        for r in rows
    ]
