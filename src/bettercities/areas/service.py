"""Operations on cities, levels, areas and crosswalks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from bettercities.areas.geometry import normalise
from bettercities.areas.models import Area, City, Crosswalk, CrosswalkEntry, SpatialLevel
from bettercities.areas.schemas import (
    AreaOut,
    AreaSpec,
    CityOut,
    CitySpec,
    CrosswalkEntrySpec,
    LevelOut,
    LevelSpec,
)
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report, Severity

# -- cities ------------------------------------------------------------------------------------------------


def create_city(session: Session, spec: CitySpec) -> City:
    """Create a city; its ``slug`` must be new."""
    if session.scalar(select(City.id).where(City.slug == spec.slug)) is not None:
        raise Conflict(f"a city with slug {spec.slug!r} exists already")
    city = City(**spec.model_dump())
    session.add(city)
    session.flush()
    return city


def get_city(session: Session, slug: str) -> City:
    city = session.scalar(select(City).where(City.slug == slug))
    if city is None:
        raise NotFound("city", slug)
    return city


def city_out(session: Session, city: City) -> CityOut:
    count = session.scalar(select(func.count(Area.id)).where(Area.city_id == city.id)) or 0
    data = {name: getattr(city, name) for name in CitySpec.model_fields}
    return CityOut(id=city.id, area_count=count, **data)


def list_cities(session: Session) -> list[CityOut]:
    """Every city of the workspace, the city registry's municipalities included (~18,000 once loaded)."""
    return _city_outs(session, select(City).order_by(City.name))


def using_cities(session: Session) -> list[CityOut]:
    """The cities that use bettercities: those with spatial levels, and those added by hand (neither an Urban
    Audit code nor a GeoNames id, so not brought in by the city registry). Commands and pages that work on
    "every city" (protection rules, the list on /cities) mean these, not the registry's municipalities."""
    with_levels = select(SpatialLevel.city_id).distinct()
    by_hand = and_(City.urau_code.is_(None), City.geonames_id.is_(None))
    return _city_outs(session, select(City).where(or_(City.id.in_(with_levels), by_hand)).order_by(City.name))


def _city_outs(session: Session, query: Select[City]) -> list[CityOut]:
    """The cities ``query`` selects, each with its number of areas (one grouped count over all areas)."""
    counts = dict(session.execute(select(Area.city_id, func.count(Area.id)).group_by(Area.city_id)).all())
    return [
        CityOut(id=c.id, area_count=counts.get(c.id, 0), **{n: getattr(c, n) for n in CitySpec.model_fields})
        for c in session.scalars(query)
    ]


# -- levels ------------------------------------------------------------------------------------------------


def ensure_level(session: Session, city: City, spec: LevelSpec) -> SpatialLevel:
    """Return the level ``spec.code`` of ``city``, creating it (below its parent) if new."""
    level = session.scalar(
        select(SpatialLevel).where(SpatialLevel.city_id == city.id, SpatialLevel.code == spec.code)
    )
    if level is not None:
        return level
    parent = get_level(session, city, spec.parent) if spec.parent else None
    rank = parent.rank + 1 if parent else 0
    if parent is None:
        # A new top level goes above existing roots only if it is explicitly their parent; default: finest.
        existing = session.scalar(select(func.max(SpatialLevel.rank)).where(SpatialLevel.city_id == city.id))
        rank = 0 if existing is None else existing + 1
    level = SpatialLevel(
        city_id=city.id,
        code=spec.code,
        name_de=spec.name_de,
        name_en=spec.name_en,
        rank=rank,
        parent_level_id=parent.id if parent else None,
    )
    session.add(level)
    session.flush()
    return level


def get_level(session: Session, city: City, code: str) -> SpatialLevel:
    level = session.scalar(
        select(SpatialLevel).where(SpatialLevel.city_id == city.id, SpatialLevel.code == code)
    )
    if level is None:
        raise NotFound("spatial level", f"{city.slug}/{code}")
    return level


def list_levels(session: Session, city: City) -> list[LevelOut]:
    counts = dict(
        session.execute(
            select(Area.level_id, func.count(Area.id)).where(Area.city_id == city.id).group_by(Area.level_id)
        ).all()
    )
    levels = session.scalars(
        select(SpatialLevel).where(SpatialLevel.city_id == city.id).order_by(SpatialLevel.rank)
    ).all()
    by_id = {lv.id: lv for lv in levels}
    return [
        LevelOut(
            id=lv.id,
            code=lv.code,
            name_de=lv.name_de,
            name_en=lv.name_en,
            parent=by_id[lv.parent_level_id].code if lv.parent_level_id in by_id else None,
            rank=lv.rank,
            area_count=counts.get(lv.id, 0),
        )
        for lv in levels
    ]


def finest_level(session: Session, city: City) -> SpatialLevel | None:
    return session.scalar(
        select(SpatialLevel)
        .where(SpatialLevel.city_id == city.id)
        .order_by(SpatialLevel.rank.desc())
        .limit(1)
    )


# -- areas -------------------------------------------------------------------------------------------------


def valid_at(when: date | None) -> list:
    """SQL conditions selecting the boundary version valid on ``when`` (all versions when ``None``)."""
    if when is None:
        return []
    return [
        or_(Area.valid_from.is_(None), Area.valid_from <= when),
        or_(Area.valid_to.is_(None), Area.valid_to > when),
    ]


class _Version(Protocol):
    @property
    def valid_from(self) -> date | None: ...

    @property
    def valid_to(self) -> date | None: ...


def valid_on(version: _Version, when: date) -> bool:
    """Whether a boundary version (an area, or a row with its validity) is valid on ``when``: the rule of
    :func:`valid_at` for objects already read."""
    return (version.valid_from is None or version.valid_from <= when) and (
        version.valid_to is None or version.valid_to > when
    )


def areas_of_level(session: Session, level: SpatialLevel, *, at: date | None = None) -> Sequence[Area]:
    return session.scalars(
        select(Area).where(Area.level_id == level.id, *valid_at(at)).order_by(Area.code)
    ).all()


def area_codes(session: Session, level: SpatialLevel, *, at: date | None = None) -> dict[str, int]:
    """Map area code -> id for the areas of ``level`` (valid on ``at``)."""
    rows = session.execute(select(Area.code, Area.id).where(Area.level_id == level.id, *valid_at(at)))
    return dict(rows.all())


def get_area(session: Session, city: City, code: str, *, level: SpatialLevel | None = None) -> Area:
    query = select(Area).where(Area.city_id == city.id, Area.code == code)
    if level is not None:
        query = query.where(Area.level_id == level.id)
    area = session.scalars(query.order_by(Area.valid_from.desc())).first()
    if area is None:
        raise NotFound("area", f"{city.slug}/{code}")
    return area


def area_out(area: Area, level_code: str, parent_code: str | None) -> AreaOut:
    return AreaOut(
        id=area.id,
        code=area.code,
        name=area.name,
        level=level_code,
        parent_code=parent_code,
        valid_from=area.valid_from,
        valid_to=area.valid_to,
        centroid_lon=area.centroid_lon,
        centroid_lat=area.centroid_lat,
        area_km2=area.area_km2,
    )


def list_areas(
    session: Session,
    city: City,
    *,
    level: SpatialLevel | None = None,
    at: date | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[AreaOut], int]:
    """A page of the areas of ``city`` (of ``level``, valid on ``at``) by level rank and code, and the total.

    Reads no geometry text, so listing thousands of areas stays cheap.
    """
    parent = aliased(Area)
    conditions = [Area.city_id == city.id, *valid_at(at)]
    if level is not None:
        conditions.append(Area.level_id == level.id)
    total = session.scalar(select(func.count(Area.id)).where(*conditions)) or 0
    query = (
        select(
            Area.id,
            Area.code,
            Area.name,
            SpatialLevel.code,
            parent.code,
            Area.valid_from,
            Area.valid_to,
            Area.centroid_lon,
            Area.centroid_lat,
            Area.area_km2,
        )
        .join(SpatialLevel, SpatialLevel.id == Area.level_id)
        .outerjoin(parent, parent.id == Area.parent_id)
        .where(*conditions)
        .order_by(SpatialLevel.rank, Area.code, Area.valid_from)
        .offset(offset)
        .limit(limit)
    )
    names = (
        "id",
        "code",
        "name",
        "level",
        "parent_code",
        "valid_from",
        "valid_to",
        "centroid_lon",
        "centroid_lat",
        "area_km2",
    )
    items = [AreaOut(**dict(zip(names, row, strict=True))) for row in session.execute(query).all()]
    return items, total


def add_areas(
    session: Session,
    city: City,
    level: SpatialLevel,
    specs: Iterable[AreaSpec],
    *,
    import_id: int | None = None,
    source: str | None = None,
) -> tuple[int, int, Report]:
    """Add or update the areas of one level in one transaction.

    An area with the same level, code and ``valid_from`` is updated (name, parent, geometry);
    otherwise a new one is created. Every problem is collected first; if any is an error,
    nothing is written and :class:`InvalidInput` is raised with the report.

    Returns ``(created, updated, report)``.
    """
    specs = list(specs)
    report = Report(source=source)
    parent_level = session.get(SpatialLevel, level.parent_level_id) if level.parent_level_id else None
    parents = area_codes(session, parent_level) if parent_level else {}
    existing = {
        (a.code, a.valid_from): a
        for a in session.scalars(select(Area).where(Area.level_id == level.id)).all()
    }
    seen: dict[tuple[str, date | None], int] = {}
    prepared = []
    for index, spec in enumerate(specs, start=1):
        key = (spec.code, spec.valid_from)
        if key in seen:
            report.add(
                Problem(
                    code="duplicate-key",
                    message=f"area {spec.code!r} appears again (first in feature {seen[key]})",
                    file=source,
                    row=index,
                    column="code",
                    value=spec.code,
                )
            )
            continue
        seen[key] = index
        facts = None
        if spec.geometry is not None:
            try:
                facts = normalise(spec.geometry)
            except ValueError as error:
                report.add(
                    Problem(
                        code="invalid-geometry", message=str(error), file=source, row=index, column="geometry"
                    )
                )
            if facts is not None and facts.repaired:
                report.add(
                    Problem(
                        code="geometry-repaired",
                        message=f"invalid polygon of area {spec.code!r} stored repaired: {facts.repaired}",
                        severity=Severity.WARNING,
                        file=source,
                        row=index,
                        column="geometry",
                    )
                )
        parent_id = None
        if spec.parent_code:
            if parent_level is None:
                report.add(
                    Problem(
                        code="no-parent-level",
                        message=f"level {level.code!r} has no parent level, but a parent was given",
                        file=source,
                        row=index,
                        column="parent",
                        value=spec.parent_code,
                    )
                )
            elif spec.parent_code not in parents:
                report.add(
                    Problem(
                        code="unknown-parent",
                        message=f"no area {spec.parent_code!r} in level {parent_level.code!r}",
                        file=source,
                        row=index,
                        column="parent",
                        value=spec.parent_code,
                    )
                )
            else:
                parent_id = parents[spec.parent_code]
        if spec.valid_from and spec.valid_to and spec.valid_to <= spec.valid_from:
            report.add(
                Problem(
                    code="invalid-validity",
                    message="valid_to must be after valid_from",
                    file=source,
                    row=index,
                    column="valid_to",
                    value=str(spec.valid_to),
                )
            )
        prepared.append((spec, facts, parent_id))
    if not report.ok:
        raise InvalidInput(f"{len(report.errors)} problems in the areas; nothing was imported", report)

    created = updated = 0
    for spec, facts, parent_id in prepared:
        area = existing.get((spec.code, spec.valid_from))
        if area is None:
            area = Area(city_id=city.id, level_id=level.id, code=spec.code, valid_from=spec.valid_from)
            session.add(area)
            created += 1
        else:
            updated += 1
        area.name = spec.name
        area.parent_id = parent_id
        area.valid_to = spec.valid_to
        area.import_id = import_id if import_id is not None else area.import_id
        if facts is not None:
            area.geometry = facts.geojson
            area.min_lon, area.min_lat, area.max_lon, area.max_lat = (
                facts.min_lon,
                facts.min_lat,
                facts.max_lon,
                facts.max_lat,
            )
            area.centroid_lon, area.centroid_lat = facts.centroid_lon, facts.centroid_lat
            area.area_km2 = facts.area_km2
    session.flush()
    return created, updated, report


# -- crosswalks --------------------------------------------------------------------------------------------


def create_crosswalk(
    session: Session,
    city: City,
    code: str,
    source_level: SpatialLevel,
    target_level: SpatialLevel,
    entries: Iterable[CrosswalkEntrySpec],
    *,
    source_at: date | None = None,
    target_at: date | None = None,
    weight_basis: str = "population",
    description: str | None = None,
    file: str | None = None,
    rows: Sequence[int] | None = None,
) -> Crosswalk:
    """Store crosswalk ``code`` of ``city`` from the old areas of ``source_level`` (valid on ``source_at``)
    to the new ones of ``target_level`` (valid on ``target_at``).

    Each old area's weights must add up to 1 (± 0.001), every area must exist and each (old, new) pair may
    appear once; otherwise nothing is stored and :class:`InvalidInput` carries every problem, located by
    ``file`` and ``rows`` (the row number of each entry in the file; by default 1, 2, …). A code the city
    has already is a :class:`Conflict`.
    """
    if session.scalar(select(Crosswalk.id).where(Crosswalk.city_id == city.id, Crosswalk.code == code)):
        raise Conflict(f"crosswalk {code!r} of {city.slug!r} exists already")
    sources = area_codes(session, source_level, at=source_at)
    targets = area_codes(session, target_level, at=target_at)
    report = Report(source=file or f"crosswalk {code}")
    totals: dict[str, float] = {}
    first_row: dict[str, int] = {}
    seen: dict[tuple[str, str], int] = {}
    links = []
    for index, entry in enumerate(entries):
        row = rows[index] if rows is not None else index + 1
        problems = []
        if entry.source_code not in sources:
            problems.append(
                Problem(
                    code="unknown-area",
                    message=f"no area {entry.source_code!r} in level {source_level.code!r}"
                    + (f" valid on {source_at}" if source_at else ""),
                    file=file,
                    row=row,
                    column="source",
                    value=entry.source_code,
                )
            )
        if entry.target_code not in targets:
            problems.append(
                Problem(
                    code="unknown-area",
                    message=f"no area {entry.target_code!r} in level {target_level.code!r}"
                    + (f" valid on {target_at}" if target_at else ""),
                    file=file,
                    row=row,
                    column="target",
                    value=entry.target_code,
                )
            )
        pair = (entry.source_code, entry.target_code)
        if pair in seen:
            problems.append(
                Problem(
                    code="duplicate-key",
                    message=f"the pair {pair[0]!r} -> {pair[1]!r} again (first in row {seen[pair]})",
                    file=file,
                    row=row,
                    column="target",
                    value=entry.target_code,
                )
            )
        for problem in problems:
            report.add(problem)
        if problems:
            continue
        seen[pair] = row
        first_row.setdefault(entry.source_code, row)
        totals[entry.source_code] = totals.get(entry.source_code, 0.0) + entry.weight
        links.append((sources[entry.source_code], targets[entry.target_code], entry.weight))
    for source_code, total in sorted(totals.items()):
        if abs(total - 1.0) > 1e-3:
            report.add(
                Problem(
                    code="weights-not-one",
                    message=f"the weights of area {source_code!r} add up to {total:.4f}, not 1",
                    file=file,
                    row=first_row[source_code],
                    column="weight",
                    value=source_code,
                )
            )
    if not links and report.ok:
        report.add(Problem(code="no-data", message="the crosswalk has no entries", file=file))
    if not report.ok:
        raise InvalidInput(f"crosswalk {code!r} refused; nothing was stored", report)
    crosswalk = Crosswalk(city_id=city.id, code=code, weight_basis=weight_basis, description=description)
    crosswalk.entries = [CrosswalkEntry(source_area_id=s, target_area_id=t, weight=w) for s, t, w in links]
    session.add(crosswalk)
    session.flush()
    return crosswalk


def get_crosswalk(session: Session, city: City, code: str) -> Crosswalk:
    found = session.scalar(select(Crosswalk).where(Crosswalk.city_id == city.id, Crosswalk.code == code))
    if found is None:
        raise NotFound("crosswalk", f"{city.slug}/{code}")
    return found
