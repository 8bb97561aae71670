"""The registry's library: load the shipped registry or a source file, find a city by name, a city's size
class and urban-rural type, its statistics, and the registry's search.

Writes go through the session (the audit domain's storage hooks record them: one bulk entry per table for
the bulk inserts); a refused file raises :class:`~bettercities.core.errors.InvalidInput` before anything is
written.
"""

from __future__ import annotations

import csv
import gzip
import io
import time
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bettercities.areas.models import City, SpatialLevel
from bettercities.core.errors import NotFound
from bettercities.registry import merge as merging
from bettercities.registry import sources
from bettercities.registry.merge import Index, Rec
from bettercities.registry.models import CityStatistic, RegistryAlias, RegistryRegion
from bettercities.registry.names import base_slug, eurostat_country, name_key
from bettercities.registry.names import city_slug as city_slug  # re-exported: the contract's name
from bettercities.registry.schemas import (
    CityStatisticOut,
    RegistryAliasOut,
    RegistryCityOut,
    RegistryImportSummary,
    RegistryPage,
)

__all__ = [
    "SIZE_CLASSES",
    "URBAN_RURAL",
    "city_out",
    "city_slug",
    "find_city",
    "get_city",
    "import_geonames",
    "import_indicators",
    "import_regions",
    "import_urban_audit",
    "load_shipped",
    "search",
    "size_class",
    "statistics",
    "urban_rural",
    "using_city_ids",
]

#: Size classes by population: code -> (lower bound inclusive, upper bound exclusive).
SIZE_CLASSES: dict[str, tuple[int, int | None]] = {
    "small-town": (0, 20_000),
    "medium-town": (20_000, 100_000),
    "city": (100_000, 500_000),
    "large-city": (500_000, None),
}
#: Eurostat's urban-rural typology of NUTS-3 regions (URBN_TYPE).
URBAN_RURAL = {"1": "predominantly urban", "2": "intermediate", "3": "predominantly rural"}


def size_class(population: int | None) -> str | None:
    """``small-town`` (< 20,000), ``medium-town`` (20,000-99,999), ``city`` (100,000-499,999),
    ``large-city`` (>= 500,000); ``None`` without a population."""
    if population is None or population < 0:
        return None
    for code, (low, high) in SIZE_CLASSES.items():
        if population >= low and (high is None or population < high):
            return code
    return None  # pragma: no cover - the classes cover every population


def size_bounds(code: str) -> tuple[int, int | None]:
    """The population bounds of a size class (``KeyError`` for an unknown code)."""
    return SIZE_CLASSES[code]


# -- lookups ----------------------------------------------------------------------------------------------


def find_city(session: Session, name: str, country: str) -> City | None:
    """The city called ``name`` (its name or an alias) in ``country`` (Eurostat code; ISO GR/GB are read as
    EL/UK), or ``None``. Several -> the most populous (a city using bettercities first)."""
    country = eurostat_country(country)
    key = name_key(name)
    if not key:
        return None
    ids = set(
        session.scalars(
            select(RegistryAlias.city_id)
            .join(City, City.id == RegistryAlias.city_id)
            .where(RegistryAlias.key == key, City.country == country)
        )
    )
    rows = list(session.scalars(select(City).where(City.id.in_(ids)))) if ids else []
    if not rows:
        # a city whose name is no alias (one a demo or a test made): its name read with its id only, the few
        # that match loaded as objects (loading every city of a country took ~70 ms per unknown name)
        names = session.execute(select(City.id, City.name).where(City.country == country))
        named = [city_id for city_id, city_name in names if name_key(city_name) == key]
        rows = list(session.scalars(select(City).where(City.id.in_(named)))) if named else []
    if not rows:
        return None
    using = using_city_ids(session, [c.id for c in rows])
    return sorted(rows, key=lambda c: (c.id not in using, -(c.population or 0), c.id))[0]


def using_city_ids(session: Session, city_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the cities that use bettercities (they have spatial levels)."""
    query = select(SpatialLevel.city_id).distinct()
    if city_ids is not None:
        query = query.where(SpatialLevel.city_id.in_(list(city_ids)))
    return set(session.scalars(query))


def region_of(session: Session, city: City) -> RegistryRegion | None:
    if not city.nuts3_code:
        return None
    return session.scalar(select(RegistryRegion).where(RegistryRegion.nuts3_code == city.nuts3_code))


def urban_rural(session: Session, city: City) -> str | None:
    """``"1"``/``"2"``/``"3"``: the urban-rural type of the city's NUTS-3 region, or ``None``."""
    region = region_of(session, city)
    return region.urban_rural if region else None


def statistics(
    session: Session, city_ids: Sequence[int] | None = None, *, code: str | None = None
) -> list[CityStatisticOut]:
    """City-wide statistics (Urban Audit), by city, code and year."""
    query = select(CityStatistic).order_by(CityStatistic.city_id, CityStatistic.code, CityStatistic.year)
    if city_ids is not None:
        query = query.where(CityStatistic.city_id.in_(list(city_ids)))
    if code is not None:
        query = query.where(CityStatistic.code == code)
    return [
        CityStatisticOut(city_id=s.city_id, code=s.code, year=s.year, value=s.value, source=s.source)
        for s in session.scalars(query)
    ]


def get_city(session: Session, slug: str) -> City:
    city = session.scalar(select(City).where(City.slug == slug))
    if city is None:
        raise NotFound("city", slug)
    return city


def city_out(session: Session, city: City, *, details: bool = True) -> RegistryCityOut:
    """A city with its size class, region, aliases and (``details``) statistics."""
    region = region_of(session, city)
    out = RegistryCityOut(
        id=city.id,
        slug=city.slug,
        name=city.name,
        country=city.country,
        urau_code=city.urau_code,
        nuts3_code=city.nuts3_code,
        lau_code=city.lau_code,
        geonames_id=city.geonames_id,
        lat=city.lat,
        lon=city.lon,
        population=city.population,
        population_year=city.population_year,
        size_class=size_class(city.population),
        urban_rural=region.urban_rural if region else None,
        region_name=region.name if region else None,
        uses_bettercities=bool(using_city_ids(session, [city.id])),
    )
    if details:
        aliases = session.scalars(
            select(RegistryAlias)
            .where(RegistryAlias.city_id == city.id)
            .order_by(RegistryAlias.kind, RegistryAlias.name)
        )
        out.aliases = [
            RegistryAliasOut(name=a.name, kind=a.kind, source=a.source)
            for a in aliases
            if a.name != city.name
        ]
        out.statistics = statistics(session, [city.id])
    return out


def search(
    session: Session,
    *,
    q: str | None = None,
    country: str | None = None,
    size: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> RegistryPage:
    """A page of the registry: cities using bettercities first, then by population (largest first)."""
    query = select(City)
    if q and q.strip():
        key = name_key(q)
        alias_ids = select(RegistryAlias.city_id).where(RegistryAlias.key.like(f"{key}%"))
        slug = base_slug(q)
        query = query.where(
            or_(City.name.ilike(f"%{q.strip()}%"), City.id.in_(alias_ids), City.slug.like(f"{slug}%"))
        )
    if country:
        query = query.where(City.country == eurostat_country(country))
    if size:
        low, high = size_bounds(size)
        query = query.where(City.population >= low)
        if high is not None:
            query = query.where(City.population < high)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    using = select(SpatialLevel.city_id).distinct()
    ordered = query.order_by(
        City.id.notin_(using), func.coalesce(City.population, -1).desc(), City.name, City.id
    )
    rows = list(session.scalars(ordered.offset(max(offset, 0)).limit(max(1, min(limit, 500)))))
    using_ids = using_city_ids(session, [c.id for c in rows])
    regions = {
        r.nuts3_code: r
        for r in session.scalars(
            select(RegistryRegion).where(
                RegistryRegion.nuts3_code.in_({c.nuts3_code for c in rows if c.nuts3_code})
            )
        )
    }
    cities = []
    for c in rows:
        region = regions.get(c.nuts3_code or "")
        cities.append(
            RegistryCityOut(
                id=c.id,
                slug=c.slug,
                name=c.name,
                country=c.country,
                urau_code=c.urau_code,
                nuts3_code=c.nuts3_code,
                geonames_id=c.geonames_id,
                lat=c.lat,
                lon=c.lon,
                population=c.population,
                population_year=c.population_year,
                size_class=size_class(c.population),
                urban_rural=region.urban_rural if region else None,
                region_name=region.name if region else None,
                uses_bettercities=c.id in using_ids,
            )
        )
    return RegistryPage(total=total, offset=offset, limit=limit, cities=cities)


# -- writing ----------------------------------------------------------------------------------------------


def _stored(
    session: Session, ua_areas: Mapping[str, float] | None = None
) -> tuple[Index, set[str], dict[int, set[str]]]:
    """The stored cities as merge records, the slugs taken, and each city's stored alias keys."""
    alias_rows = session.execute(
        select(
            RegistryAlias.city_id,
            RegistryAlias.name,
            RegistryAlias.kind,
            RegistryAlias.source,
            RegistryAlias.key,
        )
    ).all()
    aliases: dict[int, list[tuple[str, str, str]]] = {}
    keys: dict[int, set[str]] = {}
    for city_id, name, kind, source, key in alias_rows:
        aliases.setdefault(city_id, []).append((name, kind, source))
        keys.setdefault(city_id, set()).add(key)
    recs = []
    slugs = set()
    areas_km2 = ua_areas or {}
    # Each row unpacked like a tuple: a Row's attribute access costs ~1 µs, 0.2 s over the shipped registry's
    # 17,873 cities on every registry write.
    for (
        city_id,
        slug,
        name,
        country,
        lat,
        lon,
        population,
        population_year,
        urau_code,
        nuts3_code,
        geonames_id,
        lau_code,
    ) in session.execute(
        select(
            City.id,
            City.slug,
            City.name,
            City.country,
            City.lat,
            City.lon,
            City.population,
            City.population_year,
            City.urau_code,
            City.nuts3_code,
            City.geonames_id,
            City.lau_code,
        )
    ):
        slugs.add(slug)
        recs.append(
            Rec(
                id=city_id,
                slug=slug,
                name=name,
                country=country,
                lat=lat,
                lon=lon,
                population=population,
                population_year=population_year,
                urau_code=urau_code,
                nuts3_code=nuts3_code,
                geonames_id=geonames_id,
                lau_code=lau_code,
                aliases=list(aliases.get(city_id, [])),
                area_km2=areas_km2.get(urau_code or ""),
            )
        )
    return Index(recs), slugs, keys


_CITY_FIELDS = (
    "name",
    "country",
    "lat",
    "lon",
    "population",
    "population_year",
    "urau_code",
    "nuts3_code",
    "geonames_id",
    "lau_code",
)


def _premerged(index: Index, incoming: Sequence[Rec], source: str) -> merging.MergeResult:
    """The merge of records that are merged already (the shipped registry): by identifier; a stored city
    without registry identifiers (a demo's, a test's) is matched against them by name and place."""
    result = merging.MergeResult()
    pending = []
    for rec in incoming:
        target = index.by_urau.get(rec.urau_code) if rec.urau_code else None
        if target is None and rec.geonames_id is not None:
            target = index.by_geonames.get(rec.geonames_id)
        if target is None:
            pending.append(rec)
            continue
        merging.absorb(target, rec, "local", source)
        result.merged.append((target, rec))
    loose = [r for r in index.all if r.urau_code is None and r.geonames_id is None]
    claimed: set[int] = set()
    if loose and pending:
        # merging.match looks for a city without identifiers among the records of its own country only (by
        # name key and grid cell): indexing those countries' records finds the same ones as indexing all
        # 17,873 (~0.25 s for a demo's city)
        countries = {r.country for r in loose}
        shipped = Index(r for r in pending if r.country in countries)
        for stored in loose:
            hit = merging.match(shipped, stored)
            if hit is not None and id(hit) not in claimed:
                claimed.add(id(hit))
                merging.absorb(stored, hit, "local", source)
                result.merged.append((stored, hit))
    result.created = [r for r in pending if id(r) not in claimed]
    return result


def write_cities(
    session: Session,
    incoming: Sequence[Rec],
    *,
    kind: str,
    source: str,
    districts: Mapping[str, float] | None = None,
    premerged: bool = False,
    ua_areas: Mapping[str, float] | None = None,
) -> RegistryImportSummary:
    """Merge ``incoming`` into the stored cities and write the result (new cities, filled identifiers, new
    aliases; every city's own name is an alias of kind ``local`` so that :func:`find_city` finds it).
    ``premerged``: the records are one per city already (the shipped file): matched by identifier."""
    started = time.perf_counter()
    index, slugs, stored_keys = _stored(session, ua_areas)
    if premerged:
        result = _premerged(index, incoming, source)
    else:
        result = merging.merge(index, incoming, kind=kind, source=source, districts=districts)
    summary = RegistryImportSummary(source=source, read=len(incoming), skipped=len(result.districts))
    created = sorted(result.created, key=lambda r: (-(r.population or 0), r.name))
    rows = []
    for rec in created:
        rec.slug = merging.unique_slug(rec.name, rec.country, rec.geonames_id, slugs)
        rows.append({"slug": rec.slug, **{f: getattr(rec, f) for f in _CITY_FIELDS}})
    if rows:
        session.execute(insert(_table(City)), rows)
        ids = dict(session.execute(select(City.slug, City.id)).all())
        for rec in created:
            assert rec.slug is not None
            rec.id = ids[rec.slug]
    summary.created = len(created)
    created_ids = {id(r) for r in created}
    merged_targets = {id(t): t for t, _ in result.merged if t.id is not None and id(t) not in created_ids}
    summary.merged = len(result.merged)
    updates = [
        {"id": t.id, **{f: getattr(t, f) for f in _CITY_FIELDS if f != "name"}}
        for t in merged_targets.values()
        if t.changed
    ]
    if updates:
        session.execute(update(City), updates)
    summary.updated = len(updates)
    alias_rows = []
    for rec in [*created, *merged_targets.values()]:
        assert rec.id is not None
        have = stored_keys.setdefault(rec.id, set())
        for name, a_kind, a_source in [(rec.name, "local", source), *rec.aliases]:
            key = name_key(name)
            if key and key not in have:
                have.add(key)
                alias_rows.append(
                    {
                        "city_id": rec.id,
                        "name": name[:200],
                        "key": key[:200],
                        "kind": a_kind,
                        "source": a_source[:200],
                    }
                )
    if alias_rows:
        session.execute(insert(_table(RegistryAlias)), alias_rows)
    summary.aliases = len(alias_rows)
    session.flush()
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def write_regions(
    session: Session, regions: Sequence[sources.Region], *, source: str
) -> RegistryImportSummary:
    """Insert or update NUTS-3 regions by code."""
    stored = {r.nuts3_code: r for r in session.scalars(select(RegistryRegion))}
    new = []
    updated = 0
    for reg in regions:
        values = {
            "nuts3_code": reg.nuts3_code,
            "name": reg.name[:200],
            "country": reg.country,
            "urban_rural": reg.urban_rural,
            "population": reg.population,
            "area_km2": reg.area_km2,
            "source": source[:200],
        }
        old = stored.get(reg.nuts3_code)
        if old is None:
            new.append(values)
        elif any(getattr(old, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(old, k, v)
            updated += 1
    if new:
        session.execute(insert(_table(RegistryRegion)), new)
    session.flush()
    return RegistryImportSummary(source=source, read=len(regions), created=len(new), updated=updated)


def write_statistics(
    session: Session, values: Sequence[sources.Statistic], *, source: str, flagged: int = 0
) -> RegistryImportSummary:
    """Insert or update statistics of cities found by Urban Audit code (values of unknown codes: skipped)."""
    city_ids = dict(session.execute(select(City.urau_code, City.id).where(City.urau_code.is_not(None))).all())
    stored = {
        (s.city_id, s.code, s.year): s
        for s in session.scalars(select(CityStatistic).where(CityStatistic.source == source))
    }
    new = []
    updated = skipped = 0
    seen = set()
    for v in values:
        city_id = city_ids.get(v.urau_code)
        if city_id is None:
            skipped += 1
            continue
        key = (city_id, v.code, v.year)
        if key in seen:
            continue
        seen.add(key)
        old = stored.get(key)
        if old is None:
            new.append(
                {"city_id": city_id, "code": v.code, "year": v.year, "value": v.value, "source": source[:200]}
            )
        elif old.value != v.value:
            old.value = v.value
            updated += 1
    if new:
        session.execute(insert(_table(CityStatistic)), new)
    session.flush()
    return RegistryImportSummary(
        source=source,
        read=len(values) + flagged,
        created=len(new),
        updated=updated,
        skipped=skipped,
        flagged=flagged,
    )


# -- the source files and the shipped registry --------------------------------------------------------------


def import_urban_audit(session: Session, path: Path) -> RegistryImportSummary:
    """Import the Urban Audit cities file (``eu_urban_audit_cities_2021.csv``)."""
    recs = sources.read_urban_audit(path.read_bytes(), path.name)
    areas = {r.urau_code: r.area_km2 for r in recs if r.urau_code and r.area_km2}
    return write_cities(session, recs, kind="local", source=sources.URBAN_AUDIT_SOURCE, ua_areas=areas)


def import_geonames(session: Session, path: Path, *, min_population: int = 5000) -> RegistryImportSummary:
    """Import GeoNames towns (``geonames_europe_cities5000.csv``); their NUTS-3 region is taken from the
    shipped assignment (point in polygon, computed by ``registry build``)."""
    recs = sources.read_geonames(path.read_bytes(), path.name, min_population=min_population)
    nuts = shipped_nuts3()
    for rec in recs:
        if rec.nuts3_code is None and rec.geonames_id in nuts:
            rec.nuts3_code = nuts[rec.geonames_id]
    merging.apply_successions(
        recs, sources.read_successions(_data("successions.csv").decode(), "successions.csv")
    )
    areas = {
        code: area
        for code, area in session.execute(select(RegistryRegion.nuts3_code, RegistryRegion.area_km2))
        if area
    } or {
        r.nuts3_code: r.area_km2
        for r in sources.read_shipped_regions(_gz_text("regions.csv.gz"))
        if r.area_km2
    }
    recs.sort(key=lambda r: (-(r.population or 0), r.geonames_id or 0))  # largest first (merge rule 3)
    return write_cities(
        session,
        recs,
        kind="geonames",
        source=sources.GEONAMES_SOURCE,
        districts=areas,
        ua_areas=shipped_areas(),
    )


def import_regions(session: Session, path: Path) -> RegistryImportSummary:
    """Import NUTS-3 regions with their urban-rural type (``nuts3_2021_population_typologies.geojson``)."""
    regions, _shapes = sources.read_nuts3(path.read_bytes(), path.name, shapes=False)
    return write_regions(session, regions, source=sources.NUTS3_SOURCE)


def import_indicators(session: Session, path: Path) -> RegistryImportSummary:
    """Import Urban Audit indicators (``eurostat_urban_audit_indicators_latest.csv``); implausible values are
    flagged (not imported): see :func:`bettercities.registry.sources.validate_statistic`."""
    values, flags = sources.read_indicators(path.read_bytes(), path.name)
    return write_statistics(session, values, source=sources.INDICATORS_SOURCE, flagged=len(flags))


def _table(model: type[Any]) -> Table:
    """The Core table of a model: a Core insert (executemany) past the ORM's per-row bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _data(name: str) -> bytes:
    return resources.files("bettercities.registry").joinpath("data", name).read_bytes()


def _gz_text(name: str) -> str:
    return gzip.decompress(_data(name)).decode("utf-8")


def shipped_nuts3() -> dict[int, str]:
    """GeoNames id -> NUTS-3 code of every GeoNames place >= 5,000 (point in polygon, see build.py)."""
    text = _gz_text("geonames_nuts3.csv.gz")
    return {int(row["geonameid"]): row["nuts3_code"] for row in csv.DictReader(io.StringIO(text))}


def shipped_areas() -> dict[str, float]:
    """Urban Audit code -> the city's area in km² (the shipped file; a city row keeps no area)."""
    return {
        rec.urau_code: rec.area_km2
        for rec in sources.read_shipped_cities(_gz_text("cities.csv.gz"))
        if rec.urau_code and rec.area_km2
    }


def load_shipped(session: Session) -> RegistryImportSummary:
    """Load the registry shipped with the package (``registry/data/``): NUTS-3 regions with their urban-rural
    type, the merged cities (Urban Audit 2021 + GeoNames towns >= 5,000 + successions) and the Urban Audit
    indicators. Idempotent: a second load changes nothing. Existing cities (the demo's, a test's) are merged
    by identifiers or name and place, keeping their slugs."""
    started = time.perf_counter()
    regions = sources.read_shipped_regions(_gz_text("regions.csv.gz"))
    reg = write_regions(session, regions, source=sources.NUTS3_SOURCE)
    recs = sources.read_shipped_cities(_gz_text("cities.csv.gz"))
    cities = write_cities(session, recs, kind="local", source=sources.SHIPPED_SOURCE, premerged=True)
    values = sources.read_shipped_statistics(_gz_text("statistics.csv.gz"))
    stats = write_statistics(session, values, source=sources.INDICATORS_SOURCE)
    return RegistryImportSummary(
        source=sources.SHIPPED_SOURCE,
        read=cities.read + reg.read + stats.read,
        created=cities.created,
        merged=cities.merged,
        updated=cities.updated + reg.updated + stats.updated,
        skipped=cities.skipped + stats.skipped,
        aliases=cities.aliases,
        seconds=round(time.perf_counter() - started, 3),
    )


def shipped_flags() -> list[dict[str, str]]:
    """The values the validation step flagged when the shipped file was built (``data/flagged.csv``)."""
    return list(csv.DictReader(io.StringIO(_data("flagged.csv").decode("utf-8"))))
