"""Build the shipped registry (``registry/data/``) from the original source files (``bettercities registry
build DIR``): merge the Urban Audit cities and the GeoNames towns into one city each (``merge``), assign the
GeoNames towns their NUTS-3 region by point in polygon (shapely STRtree over the NUTS-3 polygons), validate
the Urban Audit indicators, and write trimmed gzip CSV files, so that the package carries no polygons and
loading the registry needs no geometry library.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path

from bettercities.registry import merge as merging
from bettercities.registry import sources

__all__ = ["FILES", "BuildResult", "build"]

#: The original file names in the source folder.
FILES = {
    "urban_audit": "eu_urban_audit_cities_2021.csv",
    "geonames": "geonames_europe_cities5000.csv",
    "nuts3": "nuts3_2021_population_typologies.geojson",
    "indicators": "eurostat_urban_audit_indicators_latest.csv",
}
DATA = Path(__file__).with_name("data")


@dataclass
class BuildResult:
    cities: int
    urban_audit: int
    geonames: int
    merged: int
    districts: int
    regions: int
    statistics: int
    flagged: int
    unplaced: int


#: how far (degrees, ~10 km) a place may lie outside its own country's generalised NUTS-3 polygons
NEAR_DEGREES = 0.1


def assign_nuts3(recs: list[merging.Rec], shapes: list[tuple[str, object]]) -> int:
    """Set each record's NUTS-3 code from the polygon of its own country containing its point (a NUTS code
    starts with the Eurostat country code), or the nearest one of its country within :data:`NEAR_DEGREES`:
    the polygons are generalised, so a border town's point may fall into the neighbour's region (Riehen, CH,
    fell into Lörrach, DE139; Guben, DE, into PL432). Returns how many stay without a region."""
    from shapely import STRtree, points

    codes = [code for code, _ in shapes]
    geoms = [geom for _, geom in shapes]
    tree = STRtree(geoms)
    todo = [r for r in recs if r.nuts3_code is None and r.lat is not None and r.lon is not None]
    pts = points([(r.lon, r.lat) for r in todo])
    rec_idx, geom_idx = tree.query(pts, predicate="dwithin", distance=NEAR_DEGREES)
    best: dict[int, tuple[float, str]] = {}
    for i, g in zip(rec_idx.tolist(), geom_idx.tolist(), strict=True):
        if not codes[g].startswith(todo[i].country):
            continue
        distance = float(geoms[g].distance(pts[i]))
        if i not in best or (distance, codes[g]) < best[i]:
            best[i] = (distance, codes[g])
    for i, (_, code) in best.items():
        todo[i].nuts3_code = code
    return sum(1 for r in todo if r.nuts3_code is None)


def _write_gz(path: Path, header: tuple[str, ...], rows: list[list[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # mtime=0: the same input gives the same bytes
    path.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8"), compresslevel=9, mtime=0))


def _fmt(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) >= 1e5 else f"{value:.5f}".rstrip("0").rstrip(".")
    return value


def build(source: Path, target: Path = DATA, *, min_population: int = 5000) -> BuildResult:
    """Read the four original files in ``source``; write the shipped files to ``target``."""
    ua = sources.read_urban_audit((source / FILES["urban_audit"]).read_bytes(), FILES["urban_audit"])
    gn = sources.read_geonames(
        (source / FILES["geonames"]).read_bytes(), FILES["geonames"], min_population=min_population
    )
    regions, shapes = sources.read_nuts3((source / FILES["nuts3"]).read_bytes(), FILES["nuts3"])
    values, flags = sources.read_indicators((source / FILES["indicators"]).read_bytes(), FILES["indicators"])
    successions = sources.read_successions((DATA / "successions.csv").read_text("utf-8"), "successions.csv")

    unplaced = assign_nuts3(ua + gn, shapes)
    merging.apply_successions(gn, successions)
    index = merging.Index()
    merging.merge(index, ua, kind="local", source=sources.URBAN_AUDIT_SOURCE)
    gn_sorted = sorted(gn, key=lambda r: (-(r.population or 0), r.geonames_id or 0))
    areas = {r.nuts3_code: r.area_km2 for r in regions if r.area_km2}
    result = merging.merge(index, gn_sorted, kind="geonames", source=sources.GEONAMES_SOURCE, districts=areas)

    cities = sorted(index.all, key=lambda r: (-(r.population or 0), r.country, r.name, r.geonames_id or 0))
    target.mkdir(parents=True, exist_ok=True)
    rows = [
        [
            r.name,
            r.country,
            r.urau_code,
            r.nuts3_code,
            r.geonames_id,
            r.lat,
            r.lon,
            r.population,
            r.population_year,
            r.area_km2,
            json.dumps([list(a) for a in r.aliases], ensure_ascii=False) if r.aliases else "",
        ]
        for r in cities
    ]
    _write_gz(target / "cities.csv.gz", sources.CITY_COLUMNS, [[_fmt(v) for v in row] for row in rows])
    _write_gz(
        target / "geonames_nuts3.csv.gz",
        ("geonameid", "nuts3_code"),
        sorted([r.geonames_id, r.nuts3_code] for r in gn if r.geonames_id is not None and r.nuts3_code),
    )
    _write_gz(
        target / "regions.csv.gz",
        ("nuts3_code", "name", "country", "urban_rural", "population", "area_km2"),
        [
            [r.nuts3_code, r.name, r.country, r.urban_rural, r.population, _fmt(r.area_km2)]
            for r in sorted(regions, key=lambda r: r.nuts3_code)
        ],
    )
    _write_gz(
        target / "statistics.csv.gz",
        ("urau_code", "code", "year", "value"),
        [
            [v.urau_code, v.code, v.year, repr(v.value)]
            for v in sorted(values, key=lambda v: (v.urau_code, v.code, v.year))
        ],
    )
    with (target / "flagged.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("urau_code", "code", "year", "value", "reason", "row"))
        for f in flags:
            writer.writerow((f.urau_code, f.code, f.year, f.value, f.reason, f.row))
    return BuildResult(
        cities=len(cities),
        urban_audit=len(ua),
        geonames=len(gn),
        merged=len(result.merged),
        districts=len(result.districts),
        regions=len(regions),
        statistics=len(values),
        flagged=len(flags),
        unplaced=unplaced,
    )
