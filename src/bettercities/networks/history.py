"""Memberships in time: who was a member on a date (valid time), what was recorded when (recorded time), a
network's whole history, a city's memberships, a programme's members and its tandem links.

A membership row is one recorded *version*: it counts on day ``d`` when it is current (not superseded; or,
asked ``as_recorded`` at an instant, recorded by then and not yet superseded), ``active`` and
``start <= d <= end`` (an empty start or end is open). A ``withdrawn`` membership counts on no date: a source
listed it and a later one does not, and when it ended is not known.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from itertools import combinations

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session, aliased

from bettercities.areas.models import City
from bettercities.core.errors import NotFound
from bettercities.networks.models import Membership, Network, Organisation, Programme
from bettercities.networks.schemas import MembershipOut, MemberStatus, NetworkKind


def get_network(session: Session, slug: str) -> Network:
    network = session.scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise NotFound("network", slug)
    return network


def get_programme(session: Session, slug: str) -> Programme:
    programme = session.scalar(select(Programme).where(Programme.slug == slug))
    if programme is None:
        raise NotFound("programme", slug)
    return programme


def current() -> ColumnElement[bool]:
    """The versions not superseded (what is recorded now)."""
    return Membership.superseded_at.is_(None)


def as_recorded(at: datetime) -> ColumnElement[bool]:
    """The versions that were the record at instant ``at``."""
    return and_(
        Membership.recorded_at <= at, or_(Membership.superseded_at.is_(None), Membership.superseded_at > at)
    )


def valid_on(on: date) -> ColumnElement[bool]:
    """Active memberships whose valid time holds day ``on``."""
    return and_(
        Membership.status == MemberStatus.ACTIVE.value,
        or_(Membership.start.is_(None), Membership.start <= on),
        or_(Membership.end.is_(None), Membership.end >= on),
    )


_OrgCity = aliased(City)


def name_order(name: str) -> str:
    """A name's sort key: case-folded, accents stripped (Mértola between Longford and Murcia)."""
    text = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _by_role_and_name(m: MembershipOut) -> tuple[bool, str]:
    return (m.role != "lead partner", name_order(m.member))


def _rows(session: Session, query: Select) -> list[MembershipOut]:
    return [_out(*row) for row in session.execute(query)]


def _query() -> Select:
    return (
        select(Membership, Network.slug, Network.name_en, City, Organisation, _OrgCity)
        .join(Network, Network.id == Membership.network_id)
        .outerjoin(City, City.id == Membership.city_id)
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .outerjoin(_OrgCity, _OrgCity.id == Organisation.city_id)
    )


def _out(
    m: Membership,
    network: str,
    network_name: str,
    city: City | None,
    organisation: Organisation | None,
    org_city: City | None,
) -> MembershipOut:
    place = city or org_city
    return MembershipOut(
        id=m.id,
        network=network,
        network_name=network_name,
        member=city.name if city is not None else organisation.name if organisation is not None else "",
        country=city.country
        if city is not None
        else organisation.country
        if organisation is not None
        else "",
        city=place.slug if place is not None else None,
        city_id=place.id if place is not None else None,
        organisation=organisation.name if organisation is not None else None,
        organisation_kind=organisation.kind if organisation is not None else None,
        role=m.role,
        status=m.status,
        start=m.start,
        end=m.end,
        source=m.source,
        note=m.note,
        recorded_at=m.recorded_at,
        recorded_by=m.recorded_by,
        reason=m.reason,
        superseded_at=m.superseded_at,
        superseded_by_id=m.superseded_by_id,
        lat=place.lat if place is not None else None,
        lon=place.lon if place is not None else None,
        population=place.population if place is not None else None,
    )


def _ordered(query: Select) -> Select:
    return query.order_by(Network.slug, Membership.role != "lead partner", Membership.start, Membership.id)


def membership(session: Session, membership_id: int) -> MembershipOut:
    """One recorded version by its id; :class:`NotFound` when there is none."""
    found = _rows(session, _query().where(Membership.id == membership_id))
    if not found:
        raise NotFound("membership", membership_id)
    return found[0]


def members_on(
    session: Session, network_slug: str, on: date, *, recorded: datetime | None = None
) -> list[MembershipOut]:
    """The members of the network on day ``on`` as recorded now (or as recorded at instant ``recorded``):
    "who was in the network on 1 March 2024?". Lead partners first, then by start."""
    network = get_network(session, network_slug)
    when = current() if recorded is None else as_recorded(recorded)
    query = _query().where(Membership.network_id == network.id, when, valid_on(on))
    members = _rows(session, _ordered(query))
    return sorted(members, key=_by_role_and_name)


def history(session: Session, network_slug: str) -> list[MembershipOut]:
    """Every recorded version of every membership of the network, superseded ones included, in the order
    they were recorded."""
    network = get_network(session, network_slug)
    query = (
        _query().where(Membership.network_id == network.id).order_by(Membership.recorded_at, Membership.id)
    )
    return _rows(session, query)


def current_members(session: Session, network_slug: str) -> list[MembershipOut]:
    """The current version of every membership of the network (any date, any status)."""
    network = get_network(session, network_slug)
    query = _query().where(Membership.network_id == network.id, current())
    return sorted(_rows(session, query), key=_by_role_and_name)


def city_memberships(session: Session, city_id: int) -> list[MembershipOut]:
    """The current memberships of a city: its own, and those of organisations linked to it (for the
    registry's profile of a municipality). By network."""
    org_ids = select(Organisation.id).where(Organisation.city_id == city_id)
    query = _query().where(
        current(), or_(Membership.city_id == city_id, Membership.organisation_id.in_(org_ids))
    )
    return _rows(session, _ordered(query))


def programme_members(session: Session, programme_slug: str, on: date | None = None) -> list[MembershipOut]:
    """The members of every network of the programme: current versions (on day ``on`` when given: only those
    active then). By network, lead partners first."""
    programme = get_programme(session, programme_slug)
    query = _query().where(Network.programme_id == programme.id, current())
    if on is not None:
        query = query.where(valid_on(on))
    return _rows(session, _ordered(query))


def tandem_links(session: Session, programme_slug: str) -> list[tuple[int, int]]:
    """Pairs of city ids of the programme's tandems (every pair of a tandem's cities; organisations count
    as their municipality); active current memberships, sorted, without duplicates."""
    pairs = {pair for pair, _network in _tandem_pairs(session, programme_slug)}
    return sorted(pairs)


def tandem_pairs(session: Session, programme_slug: str) -> list[tuple[tuple[int, int], str]]:
    """:func:`tandem_links` with the slug of the tandem each pair belongs to."""
    return _tandem_pairs(session, programme_slug)


def _tandem_pairs(session: Session, programme_slug: str) -> list[tuple[tuple[int, int], str]]:
    programme = get_programme(session, programme_slug)
    found: dict[str, list[int]] = {}
    members = _rows(
        session,
        _ordered(
            _query().where(
                Network.programme_id == programme.id,
                Network.kind == NetworkKind.TANDEM.value,
                current(),
                Membership.status == MemberStatus.ACTIVE.value,
            )
        ),
    )
    for m in members:
        if m.city_id is not None and m.city_id not in found.setdefault(m.network, []):
            found[m.network].append(m.city_id)
    out: list[tuple[tuple[int, int], str]] = []
    for network, cities in sorted(found.items()):
        for a, b in combinations(sorted(cities), 2):
            out.append(((a, b), network))
    return out


def networks_of(session: Session, programme_ids: Sequence[int]) -> dict[int, list[str]]:
    """Network slugs per programme id."""
    found: dict[int, list[str]] = {pid: [] for pid in programme_ids}
    rows = session.execute(
        select(Network.programme_id, Network.slug)
        .where(Network.programme_id.in_(list(programme_ids)))
        .order_by(Network.slug)
    )
    for pid, slug in rows:
        if pid is not None:
            found.setdefault(pid, []).append(slug)
    return found
