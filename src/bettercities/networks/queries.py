"""The reads that the pages, the API and the CLI share: a network on a day with its history, a programme
with its members and tandem links."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.networks import service
from bettercities.networks.history import get_programme, history, members_on, programme_members, tandem_pairs
from bettercities.networks.models import Network
from bettercities.networks.schemas import NetworkDetail, ProgrammeDetail


def default_day(start: date | None, end: date | None) -> date:
    """Today, within the network's period: its last day once it has ended, its first before it starts."""
    today = datetime.now(UTC).date()
    if end is not None and today > end:
        return end
    if start is not None and today < start:
        return start
    return today


def network_detail(session: Session, slug: str, *, on: date | None = None) -> NetworkDetail:
    """The network, its members on day ``on`` (default: :func:`default_day`) and every recorded version of
    its memberships; :class:`~bettercities.core.errors.NotFound` for an unknown network."""
    network = service.get_network(session, slug)
    on = on or default_day(network.start, network.end)
    return NetworkDetail(
        network=service.network_out(session, network),
        on=on,
        members=members_on(session, slug, on),
        history=history(session, slug),
    )


def programme_detail(session: Session, slug: str, *, on: date | None = None) -> ProgrammeDetail:
    """The programme, its networks, their members (current versions; on day ``on`` only those active then)
    and the tandem links as pairs of city slugs with the tandem's slug."""
    programme = get_programme(session, slug)
    networks = session.scalars(
        select(Network).where(Network.programme_id == programme.id).order_by(Network.slug)
    )
    pairs = tandem_pairs(session, slug)
    ids = {i for (a, b), _ in pairs for i in (a, b)}
    slugs = {i: s for i, s in session.execute(select(City.id, City.slug).where(City.id.in_(ids)))}
    return ProgrammeDetail(
        programme=service.programme_out(session, programme),
        networks=[service.network_out(session, n) for n in networks],
        members=programme_members(session, slug, on),
        links=[(slugs[a], slugs[b], network) for (a, b), network in pairs],
    )
