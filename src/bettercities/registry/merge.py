"""One city per real city: the merge of Urban Audit cities, GeoNames towns and the successions table.

Pure functions over :class:`Rec` records (no database), used by ``build.py`` (the shipped files) and by the
imports (``service``), which first read the stored cities into records. The rules (docs/registry.md):

1. **Identifiers**: same Urban Audit code, or same GeoNames id -> the same city.
2. **Name**: same country, the name's key (:func:`~bettercities.registry.names.name_key`) equals the other's
   name or an alias, and the points are at most :data:`MAX_KM` apart (or four times the radius of an Urban
   Audit city's area, at most 50 km: its point is a label point) -> the same city.
3. **Place**: GeoNames often names a city in English ("Munich" for München): same country, the nearest city
   within :data:`MAX_KM` that has no conflicting identifier, and populations within a factor of
   :data:`POPULATION_FACTOR` of each other -> the same city; the other name is kept as an alias. An Urban
   Audit city still without a GeoNames place takes the most populous one within its radius (at least 5 km):
   its Urban Audit population may be a greater city's (Athina 2.6 million, Athens 0.66 million).
4. **Districts**: a GeoNames place with at most a third of an Urban Audit city's population that lies in
   the city's NUTS-3 region when that region is the city (Berlin, Hamburg, Wien: their areas within a
   quarter of each other), or inside the city (closer to its point than the radius of a circle of the
   city's area) and named after it ("Berlin Köpenick", "Hamburg-Nord"), is a district of that city; it
   creates no city.
   (Districts of cities inside a larger region, Madrid's or Barcelona's, are not recognised.)
5. **Successions**: a municipality formed by a merger or renamed (Geestland, 2015: Langen + Bad Bederkesa)
   takes the place of its predecessor's GeoNames entry; the old names become aliases ("former", "member").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bettercities.registry.names import base_slug, name_key

__all__ = [
    "MAX_KM",
    "POPULATION_FACTOR",
    "Index",
    "MergeResult",
    "Rec",
    "Succession",
    "absorb",
    "apply_successions",
    "distance_km",
    "match",
    "merge",
    "unique_slug",
]

MAX_KM = 15.0
NAME_MAX_KM = 50.0
POPULATION_FACTOR = 2.0
DISTRICT_SHARE = 1 / 3
_CELL = 0.5  # degrees; 0.5 deg of longitude is > 15 km up to 73 deg N


@dataclass(eq=False)  # identity: two records are the same city only when the merge says so
class Rec:
    """A city as the merge sees it: identifiers, place, population and other names."""

    name: str
    country: str
    lat: float | None = None
    lon: float | None = None
    population: int | None = None
    population_year: int | None = None
    urau_code: str | None = None
    nuts3_code: str | None = None
    geonames_id: int | None = None
    lau_code: str | None = None
    area_km2: float | None = None
    #: (name, kind, source)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    id: int | None = None  # the stored city's id, for records read from the database
    slug: str | None = None
    changed: bool = False

    def name_keys(self) -> set[str]:
        return {name_key(self.name)} | {name_key(a[0]) for a in self.aliases}

    def add_alias(self, name: str, kind: str, source: str) -> bool:
        key = name_key(name)
        if not key or key in self.name_keys():
            return False
        self.aliases.append((name, kind, source))
        self.changed = True
        return True


@dataclass(frozen=True)
class Succession:
    """A municipality that took the place of another's entry (a merger or a renaming)."""

    country: str
    name: str
    geonames_id: int
    former: str
    members: tuple[str, ...]
    year: int
    source: str


@dataclass
class MergeResult:
    created: list[Rec] = field(default_factory=list)
    merged: list[tuple[Rec, Rec]] = field(default_factory=list)  # (stored/earlier city, incoming record)
    districts: list[tuple[Rec, Rec]] = field(default_factory=list)  # (city, the district's record)


def distance_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance (haversine, R = 6371 km)."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / _CELL), math.floor(lon / _CELL)


class Index:
    """Cities by identifier, by (country, name key) and by grid cell, for the merge's lookups."""

    def __init__(self, recs: Iterable[Rec] = ()) -> None:
        self.by_urau: dict[str, Rec] = {}
        self.by_geonames: dict[int, Rec] = {}
        self.by_key: dict[tuple[str, str], list[Rec]] = defaultdict(list)
        self.by_cell: dict[tuple[str, int, int], list[Rec]] = defaultdict(list)
        self.ua_by_country: dict[str, list[Rec]] = defaultdict(list)
        self.all: list[Rec] = []
        for rec in recs:
            self.add(rec)

    def add(self, rec: Rec) -> None:
        self.all.append(rec)
        self.reindex(rec)

    def reindex(self, rec: Rec) -> None:
        if rec.urau_code and rec.urau_code not in self.by_urau:
            self.by_urau[rec.urau_code] = rec
            if rec.area_km2 and rec.lat is not None and rec.lon is not None:
                self.ua_by_country[rec.country].append(rec)
        if rec.geonames_id is not None:
            self.by_geonames.setdefault(rec.geonames_id, rec)
        for key in rec.name_keys():
            bucket = self.by_key[(rec.country, key)]
            if rec not in bucket:
                bucket.append(rec)
        if rec.lat is not None and rec.lon is not None:
            bucket = self.by_cell[(rec.country, *_cell(rec.lat, rec.lon))]
            if rec not in bucket:
                bucket.append(rec)

    def near(self, country: str, lat: float, lon: float, km: float = MAX_KM) -> list[tuple[float, Rec]]:
        """Cities of ``country`` within ``km`` of the point, nearest first."""
        row, col = _cell(lat, lon)
        found = []
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for rec in self.by_cell.get((country, row + dr, col + dc), ()):
                    assert rec.lat is not None and rec.lon is not None
                    d = distance_km(lat, lon, rec.lat, rec.lon)
                    if d <= km:
                        found.append((d, rec))
        return sorted(found, key=lambda pair: (pair[0], pair[1].name))


def _conflicts(a: Rec, b: Rec) -> bool:
    """Two records with different identifiers of the same kind are different cities."""
    return bool(
        (a.urau_code and b.urau_code and a.urau_code != b.urau_code)
        or (a.geonames_id is not None and b.geonames_id is not None and a.geonames_id != b.geonames_id)
    )


def _name_km(a: Rec, b: Rec) -> float:
    """How far apart two places of the same name may be: :data:`MAX_KM`, or twice the radius of an Urban
    Audit city's area, at most :data:`NAME_MAX_KM` (its point is the label point of the whole municipality:
    Jyväskylä's is 31 km from the town's, Stavanger's 35 km)."""
    area = max(a.area_km2 or 0.0, b.area_km2 or 0.0)
    return max(MAX_KM, min(NAME_MAX_KM, 4 * math.sqrt(area / math.pi)))


def _plausible(a: int | None, b: int | None) -> bool:
    if not a or not b:
        return False
    return 1 / POPULATION_FACTOR <= a / b <= POPULATION_FACTOR


def match(index: Index, rec: Rec, *, by_place: bool = True) -> Rec | None:
    """The stored city ``rec`` is (rules 1-3), or ``None``."""
    if rec.urau_code and rec.urau_code in index.by_urau:
        return index.by_urau[rec.urau_code]
    if rec.geonames_id is not None and rec.geonames_id in index.by_geonames:
        return index.by_geonames[rec.geonames_id]
    candidates: list[Rec] = []
    for key in rec.name_keys():
        candidates.extend(index.by_key.get((rec.country, key), ()))
    placed = rec.lat is not None and rec.lon is not None
    best: tuple[float, Rec] | None = None
    for other in candidates:
        if _conflicts(rec, other):
            continue
        if not placed or other.lat is None or other.lon is None:
            if not placed and other.lat is None:
                return other  # neither has a place: the name and country decide
            continue
        assert rec.lat is not None and rec.lon is not None
        d = distance_km(rec.lat, rec.lon, other.lat, other.lon)
        if d <= _name_km(rec, other) and (best is None or d < best[0]):
            best = (d, other)
    if best is not None:
        return best[1]
    if placed and by_place:
        assert rec.lat is not None and rec.lon is not None
        for d, other in index.near(rec.country, rec.lat, rec.lon):
            if _conflicts(rec, other):
                continue
            # only across the two sources: an Urban Audit city and a GeoNames town
            if (rec.urau_code is None) == (other.urau_code is None):
                continue
            ua = other if other.urau_code else rec
            place = rec if ua is other else other
            radius = math.sqrt(ua.area_km2 / math.pi) if ua.area_km2 else MAX_KM
            if d > max(radius, 5.0):
                continue
            if _plausible(rec.population, other.population):
                return other
            if (
                ua.geonames_id is None
                and place.population
                and (ua.population is None or ua.population / 5 <= place.population <= ua.population)
            ):
                # the most populous place within the city's radius (GeoNames comes largest first): the
                # city itself, whose Urban Audit population is that of a greater city (Athina, Napoli)
                return other
    return None


def _contains_name(place: str, city: str) -> bool:
    words, name = name_key(place).split(), name_key(city).split()
    return (
        bool(name)
        and len(words) > len(name)
        and any(words[i : i + len(name)] == name for i in range(len(words) - len(name) + 1))
    )


def _is_region(city_km2: float, region_km2: float) -> bool:
    """The city and its NUTS-3 region are one territory: areas within a quarter of each other (Berlin 891.8
    and 891 km², Wien 413.5 and 415). Half the region was not enough: the Urban Audit's Milano (1,055 km²) is
    the metropolitan city's core, 67 % of ITC4C, and would have taken Cinisello Balsamo (75,943 inhabitants, a
    municipality of its own) as a district; Gdańsk would have taken Sopot, København Frederiksberg."""
    return 0.8 * region_km2 <= city_km2 <= 1.25 * region_km2


def district_of(index: Index, rec: Rec, region_areas: Mapping[str, float]) -> Rec | None:
    """The Urban Audit city ``rec`` (a GeoNames place) is a district of (rule 4), or ``None``: at most a
    third of its population, and either in the city's NUTS-3 region when that region is the city (Berlin,
    Wien, Bucureşti: the areas within a quarter of each other) or within the city's radius and named
    after it ("Hamburg-Nord", "Paris 15 Vaugirard")."""
    if rec.urau_code or rec.lat is None or rec.lon is None:
        return None
    for city in index.ua_by_country.get(rec.country, ()):
        assert city.lat is not None and city.lon is not None and city.area_km2
        if rec.population and city.population and rec.population > city.population * DISTRICT_SHARE:
            continue
        region = region_areas.get(city.nuts3_code or "")
        same_region = rec.nuts3_code and rec.nuts3_code == city.nuts3_code
        if same_region and region and _is_region(city.area_km2, region):
            return city  # the region is the city: anywhere in it (Staaken, at Berlin's western edge)
        radius = math.sqrt(city.area_km2 / math.pi)
        inside = distance_km(rec.lat, rec.lon, city.lat, city.lon) <= radius
        if inside and _contains_name(rec.name, city.name):
            return city
    return None


def absorb(target: Rec, rec: Rec, kind: str, source: str) -> None:
    """Fill ``target``'s missing identifiers and values from ``rec``; keep ``rec``'s name as an alias."""
    if target.area_km2 is None:
        target.area_km2 = rec.area_km2  # not stored on a city: no change to write
    for attr in ("urau_code", "geonames_id", "nuts3_code", "lau_code", "lat", "lon"):
        if getattr(target, attr) is None and getattr(rec, attr) is not None:
            setattr(target, attr, getattr(rec, attr))
            target.changed = True
    if rec.population is not None and (
        target.population is None
        or (rec.population_year is not None and (target.population_year or 0) < rec.population_year)
    ):
        target.population, target.population_year = rec.population, rec.population_year
        target.changed = True
    target.add_alias(rec.name, kind, source)
    for alias in rec.aliases:
        target.add_alias(*alias)


def merge(
    index: Index,
    incoming: Iterable[Rec],
    *,
    kind: str,
    source: str,
    districts: Mapping[str, float] | None = None,
) -> MergeResult:
    """Merge ``incoming`` into ``index`` (changing its records in place) and say what was created/merged.

    ``kind`` is the alias kind an incoming record's differing name is kept as ("geonames", "local");
    ``districts`` (NUTS-3 code -> area in km²) turns on rule 4."""
    result = MergeResult()
    pending = []
    for rec in incoming:  # pass 1: identifiers and names, so that a neighbour cannot take a city by place
        target = match(index, rec, by_place=False)
        if target is None:
            pending.append(rec)
            continue
        absorb(target, rec, kind, source)
        index.reindex(target)
        result.merged.append((target, rec))
    for rec in pending:  # pass 2: place, districts, new cities
        target = match(index, rec)
        if target is not None:
            absorb(target, rec, kind, source)
            index.reindex(target)
            result.merged.append((target, rec))
            continue
        city = district_of(index, rec, districts) if districts is not None else None
        if city is not None:
            result.districts.append((city, rec))
            continue
        rec.changed = True
        index.add(rec)
        result.created.append(rec)
    return result


def apply_successions(recs: Iterable[Rec], successions: Iterable[Succession]) -> list[Rec]:
    """Rename the GeoNames entries that successions name (rule 5); returns the records changed."""
    by_id = {rec.geonames_id: rec for rec in recs if rec.geonames_id is not None}
    done = []
    for succ in successions:
        rec = by_id.get(succ.geonames_id)
        if rec is None or rec.country != succ.country:
            continue
        if name_key(rec.name) != name_key(succ.name):
            old = rec.name
            rec.name = succ.name
            rec.aliases = [a for a in rec.aliases if name_key(a[0]) != name_key(succ.name)]
            rec.add_alias(old, "former", succ.source)
        rec.add_alias(succ.former, "former", succ.source)
        for member in succ.members:
            rec.add_alias(member, "member", succ.source)
        rec.changed = True
        done.append(rec)
    return done


def unique_slug(name: str, country: str, geonames_id: int | None, taken: set[str]) -> str:
    """The first free of ``slug``, ``slug-<country>``, ``slug-<geonames id>`` (then a counter); added to
    ``taken``."""
    base = base_slug(name)[:60]
    choices = [base, f"{base}-{country.lower()}"]
    if geonames_id is not None:
        choices.append(f"{base}-{geonames_id}")
    for slug in choices:
        if slug not in taken:
            taken.add(slug)
            return slug
    n = 2
    while f"{choices[-1]}-{n}" in taken:
        n += 1
    slug = f"{choices[-1]}-{n}"
    taken.add(slug)
    return slug
