"""City networks: membership of cities over time and datasets they share with a network.

A city shares a catalogued dataset with a network; while the city is a member, the network's members
(users of its other member cities and users given a network role) may see the dataset's indicators once
the dataset is approved or published, even when it is not public (see :func:`shared_indicator_ids`, the
reopening rule registered with :mod:`bettercities.publication.rules` through the manifest). A city that
leaves stops sharing; its history is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.catalog.models import Dataset, DatasetIndicator
from bettercities.catalog.schemas import LOCKED_STATES
from bettercities.catalog.service import get_dataset
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.networks.models import DatasetShare, Network, NetworkCity
from bettercities.networks.schemas import NetworkCityOut, NetworkOut, ShareOut
from bettercities.publication import rules

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")
#: Dataset states whose shared data a network sees (approved data are locked, i.e. final).
SHARED_STATES = frozenset(s.value for s in LOCKED_STATES)


def _today() -> date:
    return datetime.now(UTC).date()


def create_network(
    session: Session, slug: str, *, name_de: str, name_en: str, description: str | None = None
) -> NetworkOut:
    """Create a network; :class:`InvalidInput` for a bad slug or empty name, :class:`Conflict` when taken."""
    if not SLUG.fullmatch(slug):
        raise InvalidInput(
            f"invalid network slug '{slug}': use 2 to 80 characters, a-z, digits and '-', "
            "not starting with '-'"
        )
    if not name_de.strip() or not name_en.strip():
        raise InvalidInput(f"network '{slug}' needs a German and an English name")
    if session.scalar(select(Network.id).where(Network.slug == slug)) is not None:
        raise Conflict(f"network '{slug}' exists already")
    network = Network(
        slug=slug, name_de=name_de.strip(), name_en=name_en.strip(), description=description or None
    )
    session.add(network)
    session.flush()
    return network_out(session, network)


def get_network(session: Session, slug: str) -> Network:
    network = session.scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise NotFound("network", slug)
    return network


def network_out(session: Session, network: Network) -> NetworkOut:
    members = session.execute(
        select(City.slug, NetworkCity.joined, NetworkCity.left)
        .join(City, City.id == NetworkCity.city_id)
        .where(NetworkCity.network_id == network.id)
        .order_by(City.slug, NetworkCity.joined)
    ).all()
    shares = session.execute(
        select(City.slug, Dataset.code)
        .select_from(DatasetShare)
        .join(Dataset, Dataset.id == DatasetShare.dataset_id)
        .join(City, City.id == Dataset.city_id)
        .where(DatasetShare.network_id == network.id)
        .order_by(City.slug, Dataset.code)
    ).all()
    return NetworkOut(
        slug=network.slug,
        name_de=network.name_de,
        name_en=network.name_en,
        description=network.description,
        members=[NetworkCityOut(city=c, joined=j, left=lft) for c, j, lft in members],
        shares=[ShareOut(network=network.slug, city=c, dataset=d) for c, d in shares],
    )


def list_networks(session: Session) -> list[NetworkOut]:
    return [network_out(session, n) for n in session.scalars(select(Network).order_by(Network.slug))]


def _member_on(on: date) -> ColumnElement[bool]:
    return and_(NetworkCity.joined <= on, or_(NetworkCity.left.is_(None), NetworkCity.left > on))


def _open_membership(session: Session, network: Network, city: City) -> NetworkCity | None:
    return session.scalar(
        select(NetworkCity).where(
            NetworkCity.network_id == network.id, NetworkCity.city_id == city.id, NetworkCity.left.is_(None)
        )
    )


def add_city(
    session: Session, network_slug: str, city_slug: str, *, joined: date | None = None
) -> NetworkOut:
    """Make city ``city_slug`` a member of the network from ``joined`` (default: today).

    :class:`Conflict` when it is a member already or ``joined`` lies before the end of its last membership.
    """
    network = get_network(session, network_slug)
    city = areas.get_city(session, city_slug)
    joined = joined or _today()
    if _open_membership(session, network, city) is not None:
        raise Conflict(f"city '{city_slug}' is a member of network '{network_slug}' already")
    last_left = session.scalar(
        select(NetworkCity.left)
        .where(NetworkCity.network_id == network.id, NetworkCity.city_id == city.id)
        .order_by(NetworkCity.left.desc())
        .limit(1)
    )
    if last_left is not None and joined < last_left:
        raise Conflict(
            f"city '{city_slug}' left network '{network_slug}' on {last_left}: "
            "it cannot join again before that"
        )
    session.add(NetworkCity(network_id=network.id, city_id=city.id, joined=joined))
    session.flush()
    return network_out(session, network)


def remove_city(
    session: Session, network_slug: str, city_slug: str, *, left: date | None = None
) -> NetworkOut:
    """End city ``city_slug``'s membership on ``left`` (default: today); the history is kept.

    :class:`Conflict` when it is no member; :class:`InvalidInput` when ``left`` precedes the joining date.
    """
    network = get_network(session, network_slug)
    city = areas.get_city(session, city_slug)
    membership = _open_membership(session, network, city)
    if membership is None:
        raise Conflict(f"city '{city_slug}' is not a member of network '{network_slug}'")
    left = left or _today()
    if left < membership.joined:
        raise InvalidInput(
            f"city '{city_slug}' joined network '{network_slug}' on {membership.joined}: "
            f"it cannot leave before that ({left})"
        )
    membership.left = left
    session.flush()
    return network_out(session, network)


def city_networks(session: Session, city_ids: Iterable[int], *, on: date | None = None) -> frozenset[int]:
    """Ids of the networks that any of ``city_ids`` is a member of on ``on`` (default: today)."""
    ids = sorted(set(city_ids))
    if not ids:
        return frozenset()
    found = session.scalars(
        select(NetworkCity.network_id).where(NetworkCity.city_id.in_(ids), _member_on(on or _today()))
    )
    return frozenset(found)


def share_dataset(session: Session, city_slug: str, dataset_code: str, network_slug: str) -> ShareOut:
    """Share dataset ``dataset_code`` of city ``city_slug`` with a network the city is a member of.

    :class:`Conflict` when the city is no member or the dataset is shared with the network already.
    """
    network = get_network(session, network_slug)
    city = areas.get_city(session, city_slug)
    dataset = get_dataset(session, city, dataset_code)
    if _open_membership(session, network, city) is None:
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
            NetworkCity,
            and_(NetworkCity.network_id == DatasetShare.network_id, NetworkCity.city_id == Dataset.city_id),
        )
        .where(
            Dataset.city_id == city_id,
            Dataset.state.in_(sorted(SHARED_STATES)),
            DatasetShare.network_id.in_(sorted(networks)),
            _member_on(on or _today()),
        )
        .distinct()
    )
    return frozenset(rows)
