"""Views of the city registry: the /cities list with the registry's search, the profile of a registry city
without small-area data, and the benchmark of an indicator over a set of cities (a network, a programme, a
size class, a hand-picked list), which needs the networks domain beside the registry."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City, SpatialLevel
from bettercities.core.errors import NotFound
from bettercities.networks import service as memberships
from bettercities.networks.schemas import MembershipOut
from bettercities.registry import benchmark as bench
from bettercities.registry import service as registry
from bettercities.registry.schemas import (
    BenchmarkIndicator,
    BenchmarkOut,
    BenchmarkPage,
    RegistryCityOut,
    RegistryPage,
)
from bettercities.registry.sources import INDICATORS

__all__ = [
    "SET_KINDS",
    "benchmark_page",
    "benchmark_view",
    "city_networks",
    "profile",
    "registry_page",
    "resolve_set",
]

SET_KINDS = ("network", "programme", "size", "cities")
PAGE_SIZE = 50


def registry_page(
    session: Session,
    *,
    q: str | None = None,
    country: str | None = None,
    size: str | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> RegistryPage:
    if size and size not in registry.SIZE_CLASSES:
        raise NotFound("size class", size)
    return registry.search(session, q=q, country=country, size=size, offset=offset, limit=limit)


def profile(session: Session, city: City) -> RegistryCityOut:
    return registry.city_out(session, city)


def city_networks(session: Session, city_id: int) -> list[MembershipOut]:
    """The city's current memberships (networks.history.city_memberships)."""
    return memberships.city_memberships(session, city_id)


def _cities(session: Session, ids: list[int]) -> list[City]:
    found: dict[int, City] = {}
    for start in range(0, len(ids), 900):
        for city in session.scalars(select(City).where(City.id.in_(ids[start : start + 900]))):
            found[city.id] = city
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def _last_day(end: date | None) -> date:
    """The day a set's members are taken on: today, or the network's last day when it has ended (the URBACT
    IV networks ended on 31 December 2025: "members today" would be nobody)."""
    today = date.today()
    return today if end is None or end >= today else end


def resolve_set(session: Session, key: str) -> tuple[list[City], str, bool]:
    """The cities of a benchmark set: ``network:<slug>`` (members today, or on its last day when it has
    ended), ``programme:<slug>`` (the members of its networks, each network's the same way), ``size:<class>``
    (every registry city of the class), ``cities:<slug,slug>``; with its label and whether cities without a
    value are left out (a size class)."""
    kind, _, value = key.partition(":")
    value = value.strip()
    if kind not in SET_KINDS or not value:
        raise NotFound("benchmark set", key)
    if kind == "cities":
        slugs = [s.strip() for s in value.split(",") if s.strip()]
        rows = {c.slug: c for c in session.scalars(select(City).where(City.slug.in_(slugs)))}
        missing = [s for s in slugs if s not in rows]
        if missing:
            raise NotFound("city", ", ".join(missing))
        return [rows[s] for s in slugs], ", ".join(rows[s].name for s in slugs), False
    if kind == "size":
        if value not in registry.SIZE_CLASSES:
            raise NotFound("size class", value)
        low, high = registry.size_bounds(value)
        query = select(City).where(City.population >= low)
        if high is not None:
            query = query.where(City.population < high)
        return list(session.scalars(query)), value, True
    if kind == "network":
        network = memberships.get_network(session, value)
        members = memberships.members_on(session, value, _last_day(network.end))
        label = network.name_en
    else:
        label = memberships.get_programme(session, value).name
        members = [
            member
            for network in memberships.list_networks(session, programme=value)
            for member in memberships.members_on(session, network.slug, _last_day(network.end))
        ]
    ids = [m.city_id for m in members if m.city_id is not None]
    return _cities(session, ids), label, False


def benchmark_view(session: Session, indicator: str, set_key: str) -> BenchmarkOut:
    if indicator not in bench.indicator_codes():
        raise NotFound("indicator", indicator)
    cities, label, only_with_values = resolve_set(session, set_key)
    return bench.benchmark(
        session, indicator, cities, set_key=set_key, set_label=label, only_with_values=only_with_values
    )


def uses_bettercities(session: Session, city: City) -> bool:
    return session.scalar(select(SpatialLevel.id).where(SpatialLevel.city_id == city.id).limit(1)) is not None


def benchmark_page(session: Session, indicator: str | None, set_key: str | None) -> BenchmarkPage:
    """The benchmark page's view: the indicators, and the result once an indicator and a set are given."""
    indicators = [
        BenchmarkIndicator(code=i.code, name_en=i.en, name_de=i.de, unit=i.unit, unit_de=i.unit_de)
        for i in INDICATORS.values()
    ]
    result = benchmark_view(session, indicator, set_key) if indicator and set_key else None
    return BenchmarkPage(indicators=indicators, indicator=indicator, set=set_key, result=result)
