"""The profiles of every municipality, read from the registry's tables in one pass, standardised, with the
index over them and the themes of each city's goals, interventions and networks: a :class:`World`, built once
per data version and database and kept in an LRU cache (:func:`world`), so a request never rebuilds it.

Profile features (docs/peers.md, "Profile"): three registry attributes every municipality with a NUTS-3
region has (log population, the urban-rural type and the log population density of its NUTS-3 region) and
twelve Urban Audit indicators (the latest year per code; the registry's validation has already left out
values outside their plausible range). Counts that grow with size (companies, tourist nights, museum visitors,
libraries) and the climate (sunshine, temperatures, rainfall) are not part of a social profile.
"""

from __future__ import annotations

import json
import math
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from cachetools import LRUCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.goals.models import Goal
from bettercities.impact.models import Intervention, InterventionGoal, InterventionIndicator
from bettercities.indicators.models import Indicator
from bettercities.networks.models import Membership, Network, Organisation
from bettercities.peers import themes as theming
from bettercities.peers.matching import WINSOR_Z, PeerIndex, robust_standardise
from bettercities.peers.schemas import Practice
from bettercities.publication import Audience, withheld_indicators
from bettercities.registry import service as registry
from bettercities.registry.models import CityStatistic, RegistryRegion
from bettercities.storage.versioning import current_version

__all__ = [
    "FEATURES",
    "INDEX_MIN_OVERLAP",
    "Feature",
    "World",
    "build_world",
    "builds",
    "cities_with",
    "clear",
    "world",
]


@dataclass(frozen=True)
class Feature:
    """A profile feature: code, labels, unit and whether it is compared on a log scale."""

    code: str
    en: str
    de: str
    unit: str
    log: bool = False


#: The profile, in this order (the columns of :attr:`World.raw`).
FEATURES: tuple[Feature, ...] = (
    Feature("population", "Population", "Einwohner", "inhabitants", log=True),
    Feature("urbanRural", "Urban-rural type of its NUTS-3 region (1 urban … 3 rural)",
            "Stadt-Land-Typ der NUTS-3-Region (1 städtisch … 3 ländlich)", "type"),
    Feature("regionDensity", "Population density of its NUTS-3 region",
            "Bevölkerungsdichte der NUTS-3-Region", "inhabitants/km²", log=True),
    Feature("unemploymentPct", "Unemployment rate", "Arbeitslosenquote", "%"),
    Feature("activityRate", "Economic activity rate", "Erwerbsquote", "%"),
    Feature("medianIncome", "Median disposable household income",
            "Median des verfügbaren Haushaltseinkommens", "EUR", log=True),
    Feature("povertyPct", "At risk of poverty", "Armutsgefährdung", "%"),
    Feature("homeownershipPct", "Households owning their dwelling", "Haushalte mit Wohneigentum", "%"),
    Feature("rentPerSqm", "Average rent per m²", "Durchschnittliche Miete je m²", "EUR/m²/month"),
    Feature("medianAge", "Median age", "Medianalter", "years"),
    Feature("popChangePct", "Population change", "Bevölkerungsveränderung", "%"),
    Feature("ageDependency", "Age dependency ratio", "Abhängigenquotient", "%"),
    Feature("pm10", "PM10 concentration", "PM10-Konzentration", "µg/m³"),
    Feature("no2", "NO₂ concentration", "NO₂-Konzentration", "µg/m³"),
    Feature("cinemaSeatsPer1k", "Cinema seats per 1,000 residents", "Kinositze je 1.000 Einwohner",
            "per 1,000"),
)  # fmt: skip
COLUMN = {f.code: j for j, f in enumerate(FEATURES)}
#: Winsorising bound per feature. Population (log10) is not winsorised: standardised over the whole registry
#: (median town ~10,800 inhabitants, scaled MAD 0.33 in log10), +3 is ~107,000 inhabitants, so at ±3 every
#: city above that size (392 of the 726 Urban Audit cities) would be "alike in population" — Krefeld and
#: Berlin, or a town of 70,000 and Paris. On the log scale its z-scores stay below +8 (no glitch to tame).
WINSOR = tuple(math.inf if f.code == "population" else WINSOR_Z for f in FEATURES)
STATISTIC_CODES = tuple(f.code for f in FEATURES[3:])


@dataclass
class World:
    """Every municipality's profile and attributes at one data version, and the index over them."""

    version: int
    ids: np.ndarray
    slugs: list[str]
    names: list[str]
    #: Eurostat country codes, population (-1: unknown) and size class ("": unknown) per row
    countries: np.ndarray
    populations: np.ndarray
    size_classes: np.ndarray
    raw: np.ndarray
    z: np.ndarray
    min_overlap: int
    index: PeerIndex
    #: per city id: theme key -> where it comes from (practices of the city: networks, goals, interventions)
    practices: dict[int, dict[str, list[Practice]]]
    row_of: dict[int, int] = field(default_factory=dict)
    #: each row's place in the order of the slugs (ties of score are ranked by slug)
    slug_order: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def __post_init__(self) -> None:
        self.row_of = {int(i): r for r, i in enumerate(self.ids)}
        self.slug_order = np.argsort(np.argsort(np.array(self.slugs, dtype=object), kind="stable"))


def _latest_statistics(session: Session) -> dict[tuple[int, str], float]:
    """The latest year's value per (city, code) of the profile's Urban Audit codes (several sources in one
    year: their mean)."""
    rows = session.execute(
        select(CityStatistic.city_id, CityStatistic.code, CityStatistic.year, CityStatistic.value).where(
            CityStatistic.code.in_(STATISTIC_CODES)
        )
    ).all()
    latest: dict[tuple[int, str], tuple[int, list[float]]] = {}
    for city_id, code, year, value in rows:
        if value is None or not math.isfinite(value):
            continue
        key = (city_id, code)
        seen = latest.get(key)
        if seen is None or year > seen[0]:
            latest[key] = (year, [value])
        elif year == seen[0]:
            seen[1].append(value)
    return {key: float(np.mean(values)) for key, (_year, values) in latest.items()}


def _transform(raw: np.ndarray) -> np.ndarray:
    out = raw.copy()
    for j, feature in enumerate(FEATURES):
        if feature.log:
            column = out[:, j]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[:, j] = np.where(column > 0, np.log10(column), np.nan)
    return out


def _add(
    practices: dict[int, dict[str, list[Practice]]],
    city_id: int,
    text: str,
    practice: Practice,
    *,
    known_only: bool = False,
) -> None:
    for key in theming.theme_keys(text, known_only=known_only):
        found = practices[city_id].setdefault(key, [])
        if practice not in found:
            found.append(practice)


def _practices(session: Session) -> dict[int, dict[str, list[Practice]]]:
    """What each city does, by theme: networks it is (or was) a member of (itself or through an organisation
    of it) by their theme (without one: by their name, where it names a known theme), its goals and
    interventions with their themes. Goals and interventions on an indicator the public
    may not see give no theme from that indicator (the result is the same for every viewer)."""
    practices: dict[int, dict[str, list[Practice]]] = defaultdict(dict)
    org_city = dict(session.execute(select(Organisation.id, Organisation.city_id)).all())
    for network_slug, network_name, theme, city_id, org_id in session.execute(
        select(Network.slug, Network.name_en, Network.theme, Membership.city_id, Membership.organisation_id)
        .join(Membership, Membership.network_id == Network.id)
        .where(Membership.superseded_at.is_(None))
    ):
        member = city_id if city_id is not None else org_city.get(org_id) if org_id is not None else None
        if member is None:
            continue
        practice = Practice(kind="network", name=network_name, slug=network_slug)
        if theme:
            _add(practices, member, theme, practice)
        else:  # no theme recorded: the network's name, where it names a known theme ("One Health 4 Cities")
            _add(practices, member, network_name, practice, known_only=True)
    indicator_theme = dict(session.execute(select(Indicator.id, Indicator.theme)).all())
    hidden: dict[int, frozenset[int]] = {}

    def visible(city_id: int, indicator_id: int | None) -> str | None:
        if indicator_id is None:
            return None
        if city_id not in hidden:
            hidden[city_id] = withheld_indicators(session, city_id, audience=Audience.PUBLIC)
        return None if indicator_id in hidden[city_id] else indicator_theme.get(indicator_id)

    goal_themes: dict[int, list[str]] = {}
    for goal in session.scalars(select(Goal)):
        texts = [t for t in json.loads(goal.themes or "[]") if isinstance(t, str)]
        theme = visible(goal.city_id, goal.indicator_id)
        if goal.indicator_id is not None and goal.indicator_id in hidden.get(goal.city_id, frozenset()):
            continue  # a goal the public does not see at all
        texts += [theme] if theme else []
        goal_themes[goal.id] = texts
        for text in texts:
            _add(practices, goal.city_id, text, Practice(kind="goal", name=goal.title))
    linked: dict[int, list[str]] = defaultdict(list)
    for intervention_id, city_id, indicator_id in session.execute(
        select(InterventionIndicator.intervention_id, InterventionIndicator.city_id,
               InterventionIndicator.indicator_id)
    ):  # fmt: skip
        theme = visible(city_id, indicator_id)
        if theme:
            linked[intervention_id].append(theme)
    for intervention_id, goal_id in session.execute(
        select(InterventionGoal.intervention_id, InterventionGoal.goal_id)
    ):
        linked[intervention_id] += goal_themes.get(goal_id, [])
    for intervention in session.scalars(select(Intervention)):
        texts = [*linked.get(intervention.id, []), intervention.kind.replace("_", " ")]
        for text in texts:
            _add(practices, intervention.city_id, text, Practice(kind="intervention", name=intervention.name))
    return dict(practices)


#: The index's minimum overlap: the least a search may ask for (a search raises it per query).
INDEX_MIN_OVERLAP = 2


def build_world(
    session: Session, *, min_overlap: int = INDEX_MIN_OVERLAP, version: int | None = None
) -> World:
    """Read every municipality and build its profile, the index and the practices (one pass per table)."""
    cities = session.execute(
        select(City.id, City.slug, City.name, City.country, City.population, City.nuts3_code).order_by(
            City.id
        )
    ).all()
    regions = {
        r.nuts3_code: r
        for r in session.execute(
            select(
                RegistryRegion.nuts3_code,
                RegistryRegion.urban_rural,
                RegistryRegion.population,
                RegistryRegion.area_km2,
            )
        ).all()
    }
    stats = _latest_statistics(session)
    n = len(cities)
    raw = np.full((n, len(FEATURES)), np.nan)
    row_of = {city.id: row for row, city in enumerate(cities)}
    populations = np.array([c.population if c.population else -1 for c in cities], dtype=np.int64)
    raw[:, COLUMN["population"]] = np.where(populations > 0, populations, np.nan)
    for row, city in enumerate(cities):
        region = regions.get(city.nuts3_code) if city.nuts3_code else None
        if region is not None:
            if region.urban_rural in ("1", "2", "3"):
                raw[row, COLUMN["urbanRural"]] = float(region.urban_rural)
            if region.population and region.area_km2:
                raw[row, COLUMN["regionDensity"]] = region.population / region.area_km2
    for (city_id, code), value in stats.items():
        if city_id in row_of:
            raw[row_of[city_id], COLUMN[code]] = value
    z = robust_standardise(_transform(raw), winsor=WINSOR).z if n else np.empty((0, len(FEATURES)))
    return World(
        version=current_version(session) if version is None else version,
        ids=np.array([c.id for c in cities], dtype=np.int64),
        slugs=[c.slug for c in cities],
        names=[c.name for c in cities],
        countries=np.array([c.country.upper() for c in cities], dtype="<U2"),
        populations=populations,
        size_classes=np.array([registry.size_class(c.population) or "" for c in cities], dtype="<U20"),
        raw=raw,
        z=z,
        min_overlap=min_overlap,
        index=PeerIndex(z, min_overlap=min_overlap),
        practices=_practices(session),
    )


_cache: LRUCache[tuple[Any, ...], World] = LRUCache(maxsize=4)
_lock = threading.Lock()
_building: dict[tuple[Any, ...], threading.Lock] = {}
_counter = {"builds": 0}


def builds() -> int:
    """How often a world was built in this process (for tests and benchmarks)."""
    return _counter["builds"]


def world(session: Session) -> World:
    """The :class:`World` at the current data version of the session's database, built on first use and
    kept (concurrent callers wait for the first one's build). One world serves every minimum overlap."""
    version = current_version(session)
    key = (str(session.get_bind().engine.url), version)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            return found
        building = _building.setdefault(key, threading.Lock())
    with building:
        with _lock:
            found = _cache.get(key)
        if found is None:
            found = build_world(session, version=version)
            _counter["builds"] += 1
            with _lock:
                _cache[key] = found
                _building.pop(key, None)
    return found


def clear() -> None:
    """Forget every cached world."""
    with _lock:
        _cache.clear()


def cities_with(practices: dict[int, dict[str, list[Practice]]], keys: Iterable[str]) -> set[int]:
    """Ids of the cities with a practice in any of ``keys``."""
    wanted = set(keys)
    return {city_id for city_id, by_theme in practices.items() if wanted & by_theme.keys()}
