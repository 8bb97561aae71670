"""City networks: programmes, networks, memberships with history, and datasets shared with a network.

Memberships keep their history (:mod:`bettercities.networks.history`): a change never overwrites a row; the
old version is superseded by a new one that says who changed it, when and why. A city shares a catalogued
dataset with a network; while the city is a member, the network's members (users of its other member cities
and users given a network role) may see the dataset's indicators once the dataset is approved or published,
even when it is not public (see :func:`shared_indicator_ids`, the reopening rule registered with
:mod:`bettercities.publication.rules` through the manifest). A city that leaves stops sharing; its history is
kept. Every write here is an ORM write, so the audit log records it whichever face calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.audit.context import current_actor
from bettercities.catalog.models import Dataset, DatasetIndicator
from bettercities.catalog.schemas import LOCKED_STATES
from bettercities.catalog.service import get_dataset
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.networks.history import (
    city_memberships,
    current,
    get_network,
    get_programme,
    history,
    members_on,
    membership,
    networks_of,
    programme_members,
    tandem_links,
    valid_on,
)
from bettercities.networks.models import DatasetShare, Membership, Network, Organisation, Programme
from bettercities.networks.schemas import (
    MemberIn,
    MemberRole,
    MembershipChange,
    MembershipOut,
    MemberStatus,
    NetworkCityOut,
    NetworkKind,
    NetworkOut,
    OrganisationKind,
    ProgrammeIn,
    ProgrammeOut,
    ShareOut,
)
from bettercities.publication import rules

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")
#: Dataset states whose shared data a network sees (approved data are locked, i.e. final).
SHARED_STATES = frozenset(s.value for s in LOCKED_STATES)
ONE_DAY = timedelta(days=1)


def _today() -> date:
    return datetime.now(UTC).date()


def _check_slug(kind: str, slug: str) -> None:
    if not SLUG.fullmatch(slug):
        raise InvalidInput(
            f"invalid {kind} slug '{slug}': use 2 to 80 characters, a-z, digits and '-', "
            "not starting with '-'"
        )


# -- programmes ---------------------------------------------------------------------------------------------


def create_programme(session: Session, spec: ProgrammeIn) -> ProgrammeOut:
    """Create a programme; :class:`Conflict` when the slug is taken, :class:`InvalidInput` for a period that
    ends before it starts."""
    if session.scalar(select(Programme.id).where(Programme.slug == spec.slug)) is not None:
        raise Conflict(f"programme '{spec.slug}' exists already")
    if spec.start and spec.end and spec.end < spec.start:
        raise InvalidInput(f"programme '{spec.slug}' ends ({spec.end}) before it starts ({spec.start})")
    programme = Programme(**spec.model_dump())
    session.add(programme)
    session.flush()
    return programme_out(session, programme)


def programme_out(session: Session, programme: Programme) -> ProgrammeOut:
    return ProgrammeOut(
        slug=programme.slug,
        name=programme.name,
        url=programme.url,
        description=programme.description,
        start=programme.start,
        end=programme.end,
        networks=networks_of(session, [programme.id]).get(programme.id, []),
    )


def list_programmes(session: Session) -> list[ProgrammeOut]:
    return [programme_out(session, p) for p in session.scalars(select(Programme).order_by(Programme.name))]


# -- networks -----------------------------------------------------------------------------------------------


def create_network(
    session: Session,
    slug: str,
    *,
    name_de: str,
    name_en: str,
    description: str | None = None,
    programme: str | None = None,
    kind: NetworkKind | str = NetworkKind.NETWORK,
    theme: str | None = None,
    start: date | None = None,
    end: date | None = None,
    url: str | None = None,
) -> NetworkOut:
    """Create a network (of programme ``programme``, a slug); :class:`InvalidInput` for a bad slug, empty
    name, unknown kind or a period that ends before it starts, :class:`Conflict` when taken."""
    _check_slug("network", slug)
    if not name_de.strip() or not name_en.strip():
        raise InvalidInput(f"network '{slug}' needs a German and an English name")
    try:
        kind = NetworkKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown network kind '{kind}': use network or tandem") from None
    if start and end and end < start:
        raise InvalidInput(f"network '{slug}' ends ({end}) before it starts ({start})")
    if session.scalar(select(Network.id).where(Network.slug == slug)) is not None:
        raise Conflict(f"network '{slug}' exists already")
    network = Network(
        slug=slug,
        name_de=name_de.strip(),
        name_en=name_en.strip(),
        description=description or None,
        programme_id=get_programme(session, programme).id if programme else None,
        kind=kind.value,
        theme=theme or None,
        start=start,
        end=end,
        url=url or None,
    )
    session.add(network)
    session.flush()
    return network_out(session, network)


def network_out(session: Session, network: Network) -> NetworkOut:
    members = session.execute(
        select(City.slug, Membership.start, Membership.end)
        .join(City, City.id == Membership.city_id)
        .where(Membership.network_id == network.id, current(), Membership.status == MemberStatus.ACTIVE.value)
        .order_by(City.slug, Membership.start)
    ).all()
    lead = session.execute(
        select(City.name, Organisation.name)
        .select_from(Membership)
        .outerjoin(City, City.id == Membership.city_id)
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            Membership.network_id == network.id,
            current(),
            Membership.status == MemberStatus.ACTIVE.value,
            Membership.role == MemberRole.LEAD_PARTNER.value,
        )
        .order_by(Membership.start.desc())
        .limit(1)
    ).first()
    shares = session.execute(
        select(City.slug, Dataset.code)
        .select_from(DatasetShare)
        .join(Dataset, Dataset.id == DatasetShare.dataset_id)
        .join(City, City.id == Dataset.city_id)
        .where(DatasetShare.network_id == network.id)
        .order_by(City.slug, Dataset.code)
    ).all()
    programme = session.get(Programme, network.programme_id) if network.programme_id else None
    return NetworkOut(
        slug=network.slug,
        name_de=network.name_de,
        name_en=network.name_en,
        description=network.description,
        programme=programme.slug if programme else None,
        programme_name=programme.name if programme else None,
        kind=network.kind,
        theme=network.theme,
        start=network.start,
        end=network.end,
        url=network.url,
        lead_partner=(lead[0] or lead[1]) if lead else None,
        members=[
            NetworkCityOut(city=c, joined=s, left=None if e is None else e + ONE_DAY) for c, s, e in members
        ],
        shares=[ShareOut(network=network.slug, city=c, dataset=d) for c, d in shares],
    )


def list_networks(session: Session, *, programme: str | None = None) -> list[NetworkOut]:
    query = select(Network).order_by(Network.slug)
    if programme is not None:
        query = query.where(Network.programme_id == get_programme(session, programme).id)
    return [network_out(session, n) for n in session.scalars(query)]


# -- memberships --------------------------------------------------------------------------------------------


def _recorder() -> str:
    return current_actor().name


def organisation(
    session: Session,
    name: str,
    country: str,
    kind: OrganisationKind | str,
    *,
    city_id: int | None = None,
    note: str | None = None,
) -> Organisation:
    """The organisation ``name`` of ``country``, created when absent (an existing one keeps its link)."""
    found = session.scalar(
        select(Organisation).where(Organisation.name == name, Organisation.country == country)
    )
    if found is None:
        found = Organisation(
            name=name, country=country, kind=OrganisationKind(kind).value, city_id=city_id, note=note
        )
        session.add(found)
        session.flush()
    return found


def add_membership(session: Session, network_slug: str, spec: MemberIn) -> MembershipOut:
    """Record a new membership of a city or an organisation in the network.

    :class:`Conflict` when the member has an open membership (no end) already, or ``start`` lies on or
    before the end of its last one; :class:`NotFound` for an unknown network or city.
    """
    network = get_network(session, network_slug)
    city = areas.get_city(session, spec.city) if spec.city else None
    if spec.organisation is not None:
        assert spec.country is not None and spec.organisation_kind is not None  # MemberIn checks
        org = organisation(
            session,
            spec.organisation.strip(),
            spec.country,
            spec.organisation_kind,
            city_id=city.id if city is not None else None,
        )
        row = Membership(network_id=network.id, organisation_id=org.id)
        who, member = Membership.organisation_id, org.id
        label = f"organisation '{org.name}'"
    else:
        assert city is not None
        row = Membership(network_id=network.id, city_id=city.id)
        who, member = Membership.city_id, city.id
        label = f"city '{city.slug}'"
    mine = and_(Membership.network_id == network.id, who == member, current())
    if spec.status == MemberStatus.ACTIVE:
        if session.scalar(
            select(Membership.id).where(mine, Membership.status == "active", Membership.end.is_(None))
        ):
            raise Conflict(f"{label} is a member of network '{network_slug}' already")
        last_end = session.scalar(
            select(Membership.end)
            .where(mine, Membership.status == "active")
            .order_by(Membership.end.desc())
            .limit(1)
        )
        if last_end is not None and (spec.start is None or spec.start <= last_end):
            raise Conflict(
                f"{label} left network '{network_slug}' on {last_end + ONE_DAY}: "
                "it cannot join again before that"
            )
    row.role = spec.role.value
    row.status = spec.status.value
    row.start = spec.start
    row.end = spec.end
    row.source = spec.source or None
    row.note = spec.note or None
    row.reason = spec.reason or None
    row.recorded_by = _recorder()
    session.add(row)
    session.flush()
    return membership(session, row.id)


def _current_row(session: Session, membership_id: int, network_slug: str | None) -> Membership:
    row = session.get(Membership, membership_id)
    if row is None:
        raise NotFound("membership", membership_id)
    if network_slug is not None and row.network_id != get_network(session, network_slug).id:
        raise NotFound("membership", f"{membership_id} in {network_slug}")
    if row.superseded_at is not None:
        raise Conflict(
            f"membership {membership_id} was superseded by {row.superseded_by_id}: change the current version"
        )
    return row


def change_membership(
    session: Session,
    membership_id: int,
    change: MembershipChange,
    *,
    network_slug: str | None = None,
    allow_empty: bool = False,
) -> MembershipOut:
    """Change a membership: a new version with the changed fields, recorded now by the current actor with
    ``change.reason``; the old version is superseded (kept, never overwritten).

    :class:`NotFound` for an unknown membership (or one of another network than ``network_slug``),
    :class:`Conflict` for a superseded version, :class:`InvalidInput` when nothing changes or the
    membership would end before it starts (``allow_empty``: the day before it starts is allowed, a membership
    that was never valid, as a city that leaves on the day it joined).
    """
    old = _current_row(session, membership_id, network_slug)
    start = change.start or old.start
    end = None if change.clear_end else (change.end or old.end)
    if start and end and end < start and not (allow_empty and end == start - ONE_DAY):
        raise InvalidInput(f"membership {membership_id} would end ({end}) before it starts ({start})")
    fields: dict[str, object] = {
        "role": change.role.value if change.role else old.role,
        "status": change.status.value if change.status else old.status,
        "start": start,
        "end": end,
        "source": (change.source if change.source is not None else old.source) or None,
        "note": (change.note if change.note is not None else old.note) or None,
    }
    if all(getattr(old, key) == value for key, value in fields.items()):
        raise InvalidInput(f"the change of membership {membership_id} changes nothing")
    new = Membership(
        network_id=old.network_id,
        city_id=old.city_id,
        organisation_id=old.organisation_id,
        recorded_by=_recorder(),
        reason=change.reason.strip(),
        **fields,
    )
    session.add(new)
    session.flush()
    old.superseded_at = new.recorded_at
    old.superseded_by_id = new.id
    session.flush()
    return membership(session, new.id)


def end_membership(
    session: Session,
    membership_id: int,
    end: date,
    *,
    reason: str,
    network_slug: str | None = None,
    allow_empty: bool = False,
) -> MembershipOut:
    """End a membership on day ``end`` (its last day as a member): :func:`change_membership`."""
    return change_membership(
        session,
        membership_id,
        MembershipChange(end=end, reason=reason),
        network_slug=network_slug,
        allow_empty=allow_empty,
    )


def _open_city_membership(session: Session, network: Network, city: City) -> Membership | None:
    return session.scalar(
        select(Membership).where(
            Membership.network_id == network.id,
            Membership.city_id == city.id,
            current(),
            Membership.status == MemberStatus.ACTIVE.value,
            Membership.end.is_(None),
        )
    )


def add_city(
    session: Session, network_slug: str, city_slug: str, *, joined: date | None = None
) -> NetworkOut:
    """Make city ``city_slug`` a member of the network from ``joined`` (default: today).

    :class:`Conflict` when it is a member already or ``joined`` lies before the end of its last membership.
    """
    joined = joined or _today()
    add_membership(session, network_slug, MemberIn(city=city_slug, start=joined))
    return network_out(session, get_network(session, network_slug))


def remove_city(
    session: Session, network_slug: str, city_slug: str, *, left: date | None = None
) -> NetworkOut:
    """End city ``city_slug``'s membership: ``left`` (default: today) is the first day it is no member; the
    history is kept.

    :class:`Conflict` when it is no member; :class:`InvalidInput` when ``left`` precedes the joining date (on
    the joining date itself, the membership was never valid).
    """
    network = get_network(session, network_slug)
    city = areas.get_city(session, city_slug)
    row = _open_city_membership(session, network, city)
    if row is None:
        raise Conflict(f"city '{city_slug}' is not a member of network '{network_slug}'")
    left = left or _today()
    if row.start is not None and left < row.start:
        raise InvalidInput(
            f"city '{city_slug}' joined network '{network_slug}' on {row.start}: "
            f"it cannot leave before that ({left})"
        )
    end_membership(session, row.id, left - ONE_DAY, reason="left the network", allow_empty=True)
    return network_out(session, network)


def city_networks(session: Session, city_ids: Iterable[int], *, on: date | None = None) -> frozenset[int]:
    """Ids of the networks that any of ``city_ids`` is a member of on ``on`` (default: today)."""
    ids = sorted(set(city_ids))
    if not ids:
        return frozenset()
    found = session.scalars(
        select(Membership.network_id).where(Membership.city_id.in_(ids), current(), valid_on(on or _today()))
    )
    return frozenset(found)


# -- shared datasets ----------------------------------------------------------------------------------------


def share_dataset(session: Session, city_slug: str, dataset_code: str, network_slug: str) -> ShareOut:
    """Share dataset ``dataset_code`` of city ``city_slug`` with a network the city is a member of.

    :class:`Conflict` when the city is no member or the dataset is shared with the network already.
    """
    network = get_network(session, network_slug)
    city = areas.get_city(session, city_slug)
    dataset = get_dataset(session, city, dataset_code)
    if _open_city_membership(session, network, city) is None:
        raise Conflict(
            f"city '{city_slug}' is not a member of network '{network_slug}': "
            f"it cannot share dataset '{dataset_code}' with it"
        )
    existing = session.scalar(
        select(DatasetShare.id).where(
            DatasetShare.dataset_id == dataset.id, DatasetShare.network_id == network.id
        )
    )
    if existing is not None:
        raise Conflict(f"dataset '{dataset_code}' of '{city_slug}' is shared with '{network_slug}' already")
    session.add(DatasetShare(dataset_id=dataset.id, network_id=network.id))
    session.flush()
    return ShareOut(network=network.slug, city=city.slug, dataset=dataset.code)


def unshare_dataset(session: Session, city_slug: str, dataset_code: str, network_slug: str) -> None:
    """Stop sharing a dataset with a network; :class:`NotFound` when it was not shared."""
    network = get_network(session, network_slug)
    city = areas.get_city(session, city_slug)
    dataset = get_dataset(session, city, dataset_code)
    share = session.scalar(
        select(DatasetShare).where(
            DatasetShare.dataset_id == dataset.id, DatasetShare.network_id == network.id
        )
    )
    if share is None:
        raise NotFound("dataset share", f"{city_slug}/{dataset_code} with {network_slug}")
    session.delete(share)
    session.flush()


@rules.reopens
def shared_indicator_ids(
    session: Session, city_id: int, networks: frozenset[int], *, on: date | None = None
) -> frozenset[int]:
    """Indicators of city ``city_id`` that members of any of ``networks`` may see: held by an approved or
    published dataset of the city that is shared with one of them while the city is a member (on ``on``,
    default today)."""
    if not networks:
        return frozenset()
    rows = session.scalars(
        select(DatasetIndicator.indicator_id)
        .join(Dataset, Dataset.id == DatasetIndicator.dataset_id)
        .join(DatasetShare, DatasetShare.dataset_id == Dataset.id)
        .join(
            Membership,
            and_(Membership.network_id == DatasetShare.network_id, Membership.city_id == Dataset.city_id),
        )
        .where(
            Dataset.city_id == city_id,
            Dataset.state.in_(sorted(SHARED_STATES)),
            DatasetShare.network_id.in_(sorted(networks)),
            current(),
            valid_on(on or _today()),
        )
        .distinct()
    )
    return frozenset(rows)


__all__ = [
    "SHARED_STATES",
    "add_city",
    "add_membership",
    "change_membership",
    "city_memberships",
    "city_networks",
    "create_network",
    "create_programme",
    "end_membership",
    "get_network",
    "get_programme",
    "history",
    "list_networks",
    "list_programmes",
    "members_on",
    "membership",
    "network_out",
    "organisation",
    "programme_members",
    "programme_out",
    "remove_city",
    "share_dataset",
    "shared_indicator_ids",
    "tandem_links",
    "unshare_dataset",
]
