"""Views of the city registry: the /cities list with the registry's search, the profile of a registry city
without small-area data, and the benchmark of an indicator over a set of cities (a network, a programme, a
size class, a hand-picked list), which needs the networks domain beside the registry."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City, SpatialLevel
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.networks import analytics
from bettercities.networks import service as memberships
from bettercities.networks.schemas import MembershipOut, Participation
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
from bettercities.views.reader import Reader

__all__ = [
    "SET_KINDS",
    "benchmark_page",
    "benchmark_view",
    "city_networks",
    "participation",
    "profile",
    "registry_page",
    "resolve_set",
]

SET_KINDS = ("network", "programme", "size", "cities")
PAGE_SIZE = 50


def participation(reader: Reader) -> Participation:
    """The registry's participation rates (:func:`bettercities.networks.analytics.participation`), computed
    once per data version: the same for every caller (registry and memberships are public), and ~0.4 s over
    the 17,873 registry municipalities that every visit of the page and its API computed again."""
    return reader.memo(("participation",), lambda: analytics.participation(reader.session))


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


def _invalid_set(key: str, message: str) -> InvalidInput:
    problem = Problem(code="registry-invalid-set", message=message, column="set", value=key)
    return InvalidInput(message, Report(source="benchmark", problems=[problem]))


def _members_day(end: date | None, today: date) -> date:
    """The day whose members form a network's set: today, or the last day of a network that has ended
    (an ended network has no members today, and its benchmark would be empty)."""
    return end if end is not None and end < today else today


def resolve_set(session: Session, key: str) -> tuple[list[City], str, bool, date | None]:
    """The cities of a benchmark set ``network:<slug>`` (members today; of an ended network, members on its
    last day), ``programme:<slug>`` (members of its networks, each on the same rule), ``size:<class>`` (every
    registry city of the class), ``cities:<slug,slug>``; with its label, whether cities without a value are
    left out (a size class) and the last day of the network(s) when the members are those of an ended one.
    A key of no known kind, without a value or with an unknown size class is refused
    (``registry-invalid-set``); an unknown network, programme or city is not found."""
    kind, _, value = key.partition(":")
    value = value.strip()
    if kind not in SET_KINDS or not value:
        raise _invalid_set(
            key, f"unknown set {key!r}: use network:SLUG, programme:SLUG, size:CLASS or cities:SLUG,SLUG"
        )
    if kind == "cities":
        slugs = [s.strip() for s in value.split(",") if s.strip()]
        rows = {c.slug: c for c in session.scalars(select(City).where(City.slug.in_(slugs)))}
        missing = [s for s in slugs if s not in rows]
        if missing:
            raise NotFound("city", ", ".join(missing))
        return [rows[s] for s in slugs], ", ".join(rows[s].name for s in slugs), False, None
    if kind == "size":
        if value not in registry.SIZE_CLASSES:
            raise _invalid_set(
                key, f"unknown size class {value!r}: use one of {', '.join(registry.SIZE_CLASSES)}"
            )
        low, high = registry.size_bounds(value)
        query = select(City).where(City.population >= low)
        if high is not None:
            query = query.where(City.population < high)
        return list(session.scalars(query)), value, True, None
    today = date.today()
    if kind == "network":
        network = memberships.get_network(session, value)
        networks = [(network.slug, network.end)]
        label = network.name_en
    else:
        label = memberships.get_programme(session, value).name
        networks = [(n.slug, n.end) for n in memberships.list_networks(session, programme=value)]
    ids: list[int] = []
    ended: list[date] = []
    for slug, end in networks:
        day = _members_day(end, today)
        if day < today:
            ended.append(day)
        ids.extend(m.city_id for m in memberships.members_on(session, slug, day) if m.city_id is not None)
    return _cities(session, ids), label, False, max(ended) if ended else None


def benchmark_view(session: Session, indicator: str, set_key: str) -> BenchmarkOut:
    if indicator not in bench.indicator_codes():
        raise NotFound("indicator", indicator)
    cities, label, only_with_values, ended = resolve_set(session, set_key)
    result = bench.benchmark(
        session, indicator, cities, set_key=set_key, set_label=label, only_with_values=only_with_values
    )
    return result.model_copy(update={"members_on": ended})


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
