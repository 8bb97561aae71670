"""Deterministic generator of a synthetic city for demos, tests and benchmarks.

The city is invented: its outline is a smooth random blob, its planning areas are Voronoi cells of
points sampled more densely in the centre, and district regions and districts are contiguous groups
of them. Social indicators are binomial draws around rates driven by a few latent, spatially smooth
fields ("deprivation", "migration", "age", "mobility", "social housing"), so that they cluster in
space and correlate the way real small-area statistics do. Everything follows from ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from bettercities.demo.schemas import (
    DEMO_INDICATORS,
    DemoArea,
    DemoCity,
    DemoCityInfo,
    DemoLevel,
    GeoJSONGeometry,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CITY_NAME = "Auenstedt an der Spree"
_CITY_SLUG = "auenstedt"
# Invented identifiers: Kreis 999 and URAU "DE999C" do not exist, NUTS "DE40Y" neither.
_CITY_AGS = "12999000"
_CITY_URAU = "DE999C"
_CITY_NUTS3 = "DE40Y"
_CENTRE_LON = 13.0
_CENTRE_LAT = 52.2
_KM_PER_DEG_LAT = 111.32
_KM_PER_DEG_LON = _KM_PER_DEG_LAT * math.cos(math.radians(_CENTRE_LAT))
# Coordinates are snapped to 1e-6 degrees (about 0.1 m) so that neighbouring cells share vertices exactly.
_GRID = 1e-6

LEVELS: tuple[DemoLevel, ...] = (
    DemoLevel("district", "Bezirk", "District", None),
    DemoLevel("district_region", "Bezirksregion", "District region", "district"),
    DemoLevel("planning_area", "Planungsraum", "Planning area", "district_region"),
)


def generate_demo_city(
    *,
    seed: int = 2026,
    n_planning_areas: int = 450,
    n_district_regions: int = 60,
    n_districts: int = 12,
    first_year: int = 2013,
    last_year: int = 2024,
    area_km2: float = 890.0,
) -> DemoCity:
    """Generate a synthetic city with a three-level area hierarchy and annual indicator observations.

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same arguments always give identical output.
    n_planning_areas : int
        Number of planning areas (Planungsräume), the level that carries observations.
    n_district_regions : int
        Number of district regions (Bezirksregionen), contiguous groups of planning areas.
    n_districts : int
        Number of districts (Bezirke), contiguous groups of district regions; at most 99.
    first_year, last_year : int
        Inclusive range of the annual periods.
    area_km2 : float
        Area of the city outline.

    Returns
    -------
    DemoCity
        Identity, levels, areas (districts, then regions, then planning areas, each sorted by code),
        the indicator catalogue, the period codes and the observations of the planning areas.

    Raises
    ------
    ValueError
        If the counts are not ``1 <= n_districts <= n_district_regions <= n_planning_areas``, if
        ``n_districts > 99``, if ``last_year < first_year`` or if ``area_km2`` is not positive.

    Examples
    --------
    >>> demo = generate_demo_city(seed=1, n_planning_areas=80, n_district_regions=16, n_districts=4)
    >>> [level.code for level in demo.levels]
    ['district', 'district_region', 'planning_area']
    >>> sum(area.level_code == "planning_area" for area in demo.areas)
    80
    """
    if not 1 <= n_districts <= n_district_regions <= n_planning_areas:
        raise ValueError("need 1 <= n_districts <= n_district_regions <= n_planning_areas")
    if n_districts > 99:
        raise ValueError("at most 99 districts fit the two-digit district code")
    if last_year < first_year:
        raise ValueError("last_year must not be before first_year")
    if not area_km2 > 0:
        raise ValueError("area_km2 must be positive")

    rng = np.random.default_rng(seed)
    outline = _outline(rng, area_km2)
    points = _sample_points(rng, outline, n_planning_areas)
    cells = _planning_cells(points, outline)
    centroids = _to_km(shapely.get_coordinates(shapely.centroid(cells)))
    cell_km2 = shapely.area(cells) * _KM_PER_DEG_LON * _KM_PER_DEG_LAT
    pairs = _rook_pairs(cells)

    region_of = _contiguous_groups(rng, centroids, np.ones(n_planning_areas), pairs, n_district_regions)
    region_xy = _group_centroids(centroids, cell_km2, region_of, n_district_regions)
    region_pairs = np.unique(np.sort(region_of[pairs], axis=1), axis=0)
    region_pairs = region_pairs[region_pairs[:, 0] != region_pairs[:, 1]]
    region_weight = np.bincount(region_of, minlength=n_district_regions).astype(np.float64)
    district_of_region = _contiguous_groups(rng, region_xy, region_weight, region_pairs, n_districts)
    district_xy = _group_centroids(region_xy, region_weight, district_of_region, n_districts)

    district_codes, region_codes, cell_codes = _codes(
        centroids, region_of, region_xy, district_of_region, district_xy
    )
    names = _NameBook(rng)
    areas = _areas(names, cells, region_of, district_of_region, district_codes, region_codes, cell_codes)

    years = list(range(first_year, last_year + 1))
    observations, inhabitants = _observations(rng, centroids, cell_km2, cell_codes, years, area_km2)
    outline_deg = _to_degrees(outline)
    centre = shapely.get_coordinates(shapely.centroid(outline_deg))[0]
    city = DemoCityInfo(
        name=CITY_NAME,
        slug=_CITY_SLUG,
        country="DE",
        lau_code=_CITY_AGS,
        urau_code=_CITY_URAU,
        nuts3_code=_CITY_NUTS3,
        ags=_CITY_AGS,
        lat=round(float(centre[1]), 6),
        lon=round(float(centre[0]), 6),
        population=inhabitants,
    )
    return DemoCity(
        city=city,
        levels=LEVELS,
        areas=tuple(areas),
        indicators=DEMO_INDICATORS,
        periods=tuple(str(year) for year in years),
        observations=observations,
    )


# --- geometry -------------------------------------------------------------------------------------------


def _outline(rng: np.random.Generator, area_km2: float) -> shapely.Polygon:
    """A smooth star-shaped blob in local kilometres around the origin, scaled to ``area_km2``."""
    theta = np.linspace(0.0, 2.0 * math.pi, 240, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(1, 15):
        # Broad lobes plus a ragged fringe; the amplitudes sum to well below 1, so the radius stays positive.
        amplitude = rng.uniform(0.02, 0.12) / math.sqrt(k) if k < 8 else rng.uniform(0.0, 0.05) / k**0.7
        radius += amplitude * np.cos(k * theta + rng.uniform(0.0, 2.0 * math.pi))
    blob = shapely.Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta)]))
    scale = math.sqrt(area_km2 / blob.area)
    return shapely.Polygon(shapely.get_coordinates(blob) * scale)


def _density(xy: FloatArray) -> FloatArray:
    """Relative residential density (inhabitants per km²) falling off from the centre."""
    r = np.hypot(xy[:, 0], xy[:, 1])
    return np.asarray(11000.0 * np.exp(-r / 5.5) + 900.0, dtype=np.float64)


def _sample_points(rng: np.random.Generator, outline: shapely.Polygon, n: int) -> FloatArray:
    """Points inside ``outline``, dense where :func:`_density` is high, with a density-aware minimum spacing.

    The spacing keeps Voronoi cells from degenerating into slivers while the density makes inner cells small.
    """
    minx, miny, maxx, maxy = outline.bounds
    probe = rng.uniform((minx, miny), (maxx, maxy), size=(4000, 2))
    inside = shapely.contains_xy(outline, probe[:, 0], probe[:, 1])
    mean_density = float(_density(probe[inside]).mean())
    max_density = float(_density(np.zeros((1, 2)))[0])
    spacing_factor = 0.5
    points = np.empty((n, 2))
    count = 0
    for attempt in range(200):
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(20 * n, 2))
        keep = rng.uniform(size=len(batch)) * max_density < _density(batch)
        keep &= shapely.contains_xy(outline, batch[:, 0], batch[:, 1])
        candidates = batch[keep]
        local = np.sqrt(outline.area / (n * _density(candidates) / mean_density))
        for xy, spacing in zip(candidates, local, strict=True):
            if count and np.min(np.hypot(*(points[:count] - xy).T)) < spacing_factor * spacing:
                continue
            points[count] = xy
            count += 1
            if count == n:
                return points
        if attempt % 10 == 9:  # pragma: no cover - only for extreme n; relax rather than loop forever
            spacing_factor *= 0.8
    raise RuntimeError("could not place the planning-area seeds")  # pragma: no cover


def _to_degrees(geometry: Any) -> Any:
    """Project local kilometres (equirectangular around the centre) to WGS84 lon/lat."""
    return shapely.transform(
        geometry,
        lambda xy: np.column_stack(
            [_CENTRE_LON + xy[:, 0] / _KM_PER_DEG_LON, _CENTRE_LAT + xy[:, 1] / _KM_PER_DEG_LAT]
        ),
    )


def _to_km(lonlat: FloatArray) -> FloatArray:
    return np.column_stack(
        [(lonlat[:, 0] - _CENTRE_LON) * _KM_PER_DEG_LON, (lonlat[:, 1] - _CENTRE_LAT) * _KM_PER_DEG_LAT]
    )


def _planning_cells(points: FloatArray, outline: shapely.Polygon) -> NDArray[np.object_]:
    """Voronoi cells of ``points`` clipped to ``outline``, in degrees, snapped, valid and CCW-oriented.

    Clipping a concave outline can cut a cell in two; the part without the seed point is merged into
    the neighbour it shares most boundary with, so every cell stays one piece around its seed.
    """
    voronoi = shapely.voronoi_polygons(
        shapely.MultiPoint(points), extend_to=outline.buffer(5.0).envelope, ordered=True
    )
    outline_deg = _to_degrees(outline)
    seeds = _to_degrees(shapely.points(points))
    clipped = shapely.intersection(_to_degrees(np.asarray(voronoi.geoms)), outline_deg)
    cells = np.empty(len(points), dtype=object)
    fragments: list[shapely.Polygon] = []
    for i, geometry in enumerate(clipped):
        parts = [part for part in shapely.get_parts(geometry) if isinstance(part, shapely.Polygon)]
        main = next((part for part in parts if part.intersects(seeds[i])), max(parts, key=lambda p: p.area))
        cells[i] = main
        fragments.extend(part for part in parts if part is not main)
    if fragments:
        tree = shapely.STRtree(cells)
        for fragment in fragments:
            candidates = tree.query(fragment, predicate="intersects")
            shared = shapely.length(
                shapely.intersection(fragment.boundary, shapely.boundary(cells[candidates]))
            )
            if len(candidates) and shared.max() > 0:
                target = int(candidates[int(np.argmax(shared))])
                cells[target] = shapely.union(cells[target], fragment)
    cells = shapely.set_precision(cells, _GRID)
    cells = shapely.make_valid(cells)
    return np.asarray(shapely.orient_polygons(cells, exterior_cw=False))


def _rook_pairs(cells: NDArray[np.object_]) -> IntArray:
    """Index pairs ``(i, j)``, ``i < j``, of cells sharing a boundary of positive length."""
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(cells[left]), shapely.boundary(cells[right]))
    )
    keep = shared > 10 * _GRID
    return np.column_stack([left[keep], right[keep]]).astype(np.int64)


def _group_centroids(xy: FloatArray, weight: FloatArray, label: IntArray, k: int) -> FloatArray:
    total = np.bincount(label, weights=weight, minlength=k)
    return np.column_stack(
        [np.bincount(label, weights=weight * xy[:, d], minlength=k) / total for d in (0, 1)]
    )


def _contiguous_groups(
    rng: np.random.Generator, xy: FloatArray, weight: FloatArray, pairs: IntArray, k: int
) -> IntArray:
    """Partition units into ``k`` contiguous, non-empty groups of similar total weight.

    A weighted k-means of the unit centroids gives compact groups; a piece of a group cut off from its
    main part (possible along a ragged outline) then joins the neighbouring group it touches most.
    """
    label = _kmeans(rng, xy, weight, k)
    neighbours: list[list[int]] = [[] for _ in range(len(xy))]
    for i, j in pairs:
        neighbours[int(i)].append(int(j))
        neighbours[int(j)].append(int(i))
    for _ in range(len(xy)):
        moved = False
        for group in range(k):
            pieces = _components(np.flatnonzero(label == group), neighbours)
            pieces.sort(key=lambda piece: (-float(weight[piece].sum()), min(piece)))
            for piece in pieces[1:]:
                touching = [int(label[o]) for u in piece for o in neighbours[u] if label[o] != group]
                if touching:
                    counts = np.bincount(touching, minlength=k)
                    label[piece] = int(np.argmax(counts))
                    moved = True
        if not moved:
            break
    return label


def _components(members: IntArray, neighbours: list[list[int]]) -> list[list[int]]:
    """Connected components of the subgraph induced by ``members``."""
    inside = {int(m) for m in members}
    seen: set[int] = set()
    pieces: list[list[int]] = []
    for start in sorted(inside):
        if start in seen:
            continue
        piece, stack = [], [start]
        seen.add(start)
        while stack:
            unit = stack.pop()
            piece.append(unit)
            for other in neighbours[unit]:
                if other in inside and other not in seen:
                    seen.add(other)
                    stack.append(other)
        pieces.append(sorted(piece))
    return pieces


def _kmeans(rng: np.random.Generator, xy: FloatArray, weight: FloatArray, k: int) -> IntArray:
    """Labels of a weighted k-means (k-means++ start, Lloyd steps); no cluster is left empty."""
    p = weight / weight.sum()
    centres = [xy[int(rng.choice(len(xy), p=p))]]
    for _ in range(1, k):
        d2 = np.min([np.sum((xy - c) ** 2, axis=1) for c in centres], axis=0) * weight
        centres.append(xy[int(rng.choice(len(xy), p=d2 / d2.sum()))])
    c = np.array(centres)
    label = np.zeros(len(xy), dtype=np.int64)
    for _ in range(100):
        d2 = ((xy[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        label = np.argmin(d2, axis=1).astype(np.int64)
        for empty in np.flatnonzero(np.bincount(label, minlength=k) == 0):
            # Hand the empty cluster the unit farthest from its own centre (never the last of a cluster).
            sizes = np.bincount(label, minlength=k)
            far = d2[np.arange(len(xy)), label] * (sizes[label] > 1)
            label[int(np.argmax(far))] = empty
        total = np.bincount(label, weights=weight, minlength=k)
        moved = np.column_stack(
            [np.bincount(label, weights=weight * xy[:, d], minlength=k) / total for d in (0, 1)]
        )
        if np.allclose(moved, c):
            break
        c = moved
    return label


def _reading_order(xy: FloatArray) -> IntArray:
    """North to south, then west to east, on a 1 km grid: the order codes are handed out in."""
    return np.lexsort((np.round(xy[:, 0]), -np.round(xy[:, 1]))).astype(np.int64)


def _codes(
    centroids: FloatArray,
    region_of: IntArray,
    region_xy: FloatArray,
    district_of_region: IntArray,
    district_xy: FloatArray,
) -> tuple[list[str], list[str], list[str]]:
    """Berlin-style codes: district ``01``, region ``0101``, planning area ``01010101``.

    District ``01`` is the central one ("Mitte"); the others follow clockwise from north. Regions and
    planning areas are numbered in reading order within their parent; a planning area's last four digits
    are a two-digit block and a two-digit number, ``0101`` … ``0199``, ``0201`` ….
    """
    k = len(district_xy)
    centre_first = int(np.argmin(np.hypot(*district_xy.T)))
    bearing = np.mod(np.arctan2(district_xy[:, 0], district_xy[:, 1]), 2 * math.pi)
    order = [centre_first] + [int(i) for i in np.argsort(bearing, kind="stable") if i != centre_first]
    district_codes = [""] * k
    for rank, district in enumerate(order):
        district_codes[district] = f"{rank + 1:02d}"

    region_codes = [""] * len(region_xy)
    for district in range(k):
        members = np.flatnonzero(district_of_region == district)
        if len(members) > 99:
            raise ValueError("a district got more than 99 regions; use more districts")
        for rank, local in enumerate(_reading_order(region_xy[members])):
            region_codes[int(members[local])] = f"{district_codes[district]}{rank + 1:02d}"

    cell_codes = [""] * len(centroids)
    for region in range(len(region_xy)):
        members = np.flatnonzero(region_of == region)
        for rank, local in enumerate(_reading_order(centroids[members])):
            cell_codes[int(members[local])] = f"{region_codes[region]}{rank // 99 + 1:02d}{rank % 99 + 1:02d}"
    return district_codes, region_codes, cell_codes


def _geojson(geometry: Any) -> GeoJSONGeometry:
    """GeoJSON dict with plain lists; rings are already counter-clockwise (exterior) / clockwise (holes)."""

    def rings(polygon: shapely.Polygon) -> list[list[list[float]]]:
        return [
            [[float(x), float(y)] for x, y in ring.coords] for ring in (polygon.exterior, *polygon.interiors)
        ]

    if isinstance(geometry, shapely.Polygon):
        return {"type": "Polygon", "coordinates": rings(geometry)}
    polygons = [part for part in shapely.get_parts(geometry) if isinstance(part, shapely.Polygon)]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": rings(polygons[0])}
    return {"type": "MultiPolygon", "coordinates": [rings(polygon) for polygon in polygons]}


def _areas(
    names: _NameBook,
    cells: NDArray[np.object_],
    region_of: IntArray,
    district_of_region: IntArray,
    district_codes: list[str],
    region_codes: list[str],
    cell_codes: list[str],
) -> list[DemoArea]:
    """Assemble the three levels; region and district shapes are exact unions of their cells."""
    district_of_cell = district_of_region[region_of]

    def union(members: IntArray) -> Any:
        merged = shapely.union_all(cells[members], grid_size=_GRID)
        return shapely.orient_polygons(shapely.make_valid(merged), exterior_cw=False)

    areas: list[DemoArea] = []
    district_stems: dict[int, str] = {}
    for district in sorted(range(len(district_codes)), key=district_codes.__getitem__):
        name, stem = names.district(central=district_codes[district] == "01")
        district_stems[district] = stem
        members = np.flatnonzero(district_of_cell == district)
        areas.append(DemoArea(district_codes[district], name, "district", None, _geojson(union(members))))
    region_stems: dict[int, str] = {}
    for region in sorted(range(len(region_codes)), key=region_codes.__getitem__):
        district = int(district_of_region[region])
        name, stem = names.region(district_stems[district])
        region_stems[region] = stem
        members = np.flatnonzero(region_of == region)
        areas.append(
            DemoArea(
                region_codes[region],
                name,
                "district_region",
                district_codes[district],
                _geojson(union(members)),
            )
        )
    for cell in sorted(range(len(cell_codes)), key=cell_codes.__getitem__):
        region = int(region_of[cell])
        areas.append(
            DemoArea(
                cell_codes[cell],
                names.planning_area(region_stems[region]),
                "planning_area",
                region_codes[region],
                _geojson(cells[cell]),
            )
        )
    return areas


# --- names ----------------------------------------------------------------------------------------------

_PREFIXES = (
    "Linden", "Birken", "Eichen", "Erlen", "Weiden", "Rosen", "Falken", "Hasel", "Kiefern", "Buchen",
    "Wolfs", "Kranich", "Mühlen", "Wiesen", "Sand", "Stein", "Ahorn", "Schwanen", "Reiher", "Biber",
    "Ulmen", "Espen", "Tannen", "Finken", "Lerchen", "Hirsch", "Fuchs", "Bären", "Adler", "Marien",
    "Johannis", "Friedrichs", "Karls", "Wilhelms", "Luisen", "Sophien", "Grün", "Schön", "Lichten",
    "Blanken", "Hohen", "Kalten", "Weißen", "Kloster", "Heiligen", "Otter", "Schilf", "Fließ",
)  # fmt: skip
_SUFFIXES = (
    "au", "felde", "hagen", "dorf", "walde", "heide", "brück", "thal", "bruch", "rode", "horst", "berg",
    "see", "burg", "hof", "grund", "hain", "stedt", "wiese", "aue",
)  # fmt: skip
_DIRECTIONS = ("Nord", "Süd", "Ost", "West", "Mitte", "Nordost", "Nordwest", "Südost", "Südwest")
_PLACE_FEATURES = (
    "Feld", "Aue", "Kiez", "Park", "Markt", "Hof", "Anger", "Heide", "Siedlung", "Brücke", "Wiesen",
    "Höhe", "Grund", "Graben", "Hafen", "Bahnhof", "Viertel", "Gärten", "Tor", "Ring", "Platz", "Forst",
)  # fmt: skip
# Compound features with the preposition their grammatical gender or number needs.
_LOCATIVES = (
    ("Am", ("feld", "park", "markt", "hof", "anger", "graben", "teich", "berg", "weg", "ring", "platz",
            "winkel", "hain", "grund", "kanal", "hafen", "wald")),
    ("An der", ("aue", "brücke", "heide", "wiese", "allee", "schleuse", "höhe", "kirche", "mühle")),
    ("An den", ("gärten", "wiesen", "höfen", "eichen", "linden")),
)  # fmt: skip
_MODIFIERS = (
    "Mühlen", "Linden", "Birken", "Rosen", "Eichen", "Schloss", "Kirch", "Wald", "See", "Sand", "Stadt",
    "Weiden", "Kiefern", "Tannen", "Schwanen", "Fischer", "Ziegel", "Wasser", "Sonnen", "Buchen", "Dorf",
)  # fmt: skip
_PEOPLE = (
    "Schiller", "Goethe", "Fontane", "Humboldt", "Heine", "Lessing", "Kleist", "Körner", "Uhland", "Herder",
    "Menzel", "Liebermann", "Kollwitz", "Zille", "Brecht", "Tucholsky", "Einstein", "Planck", "Virchow",
    "Mendelssohn", "Händel", "Bach", "Eichendorff", "Hölderlin", "Droste", "Seghers", "Arnim", "Nolde",
)  # fmt: skip
_QUARTERS = ("kiez", "viertel", "platz", "siedlung", "park")


class _NameBook:
    """Hands out plausible German place names, each at most once per city."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used: set[str] = {CITY_NAME, "Mitte"}
        self._stems = [
            prefix + suffix
            for prefix in _PREFIXES
            for suffix in _SUFFIXES
            if suffix.rstrip("e") not in prefix.lower() and not (prefix.endswith("e") and suffix[0] in "ae")
        ]
        self._free_stems = list(self._rng.permutation(self._stems))

    def _pick(self, options: Sequence[str]) -> str:
        return str(options[int(self._rng.integers(len(options)))])

    def _stem(self) -> str:
        while self._free_stems:
            stem = str(self._free_stems.pop())
            if stem not in self._used:
                return stem
        return f"{self._pick(_PREFIXES)}{self._pick(_SUFFIXES)}"  # pragma: no cover - stems exhausted

    def _claim(self, name: str) -> bool:
        if name in self._used:
            return False
        self._used.add(name)
        return True

    def district(self, *, central: bool) -> tuple[str, str]:
        """Return ``(name, stem)``; the central district is "Mitte", some names are double-barrelled."""
        if central:
            return "Mitte", self._stem()
        stem = self._stem()
        name = f"{stem}-{self._stem()}" if self._rng.uniform() < 0.4 else stem
        if not self._claim(name):  # pragma: no cover - stems are drawn without replacement
            name = f"{name} {self._pick(_DIRECTIONS)}"
            self._used.add(name)
        self._used.add(stem)
        return name, stem

    def region(self, district_stem: str) -> tuple[str, str]:
        """Return ``(name, stem)``: a new place name, or the district's with a direction."""
        for _ in range(20):
            if self._rng.uniform() < 0.3:
                name = f"{district_stem} {self._pick(_DIRECTIONS)}"
                if self._claim(name):
                    return name, district_stem
            else:
                stem = self._stem()
                if self._claim(stem):
                    return stem, stem
        stem = self._stem()  # pragma: no cover - fallback after many collisions
        self._claim(stem)  # pragma: no cover
        return stem, stem  # pragma: no cover

    def planning_area(self, stem: str) -> str:
        """A neighbourhood name, usually built on the region's place name."""
        adjective = stem + ("r" if stem.endswith("e") else "er")
        for _ in range(200):
            pattern = int(self._rng.integers(8))
            if pattern == 0:
                name = f"{stem} {self._pick(_DIRECTIONS)}"
            elif pattern in (1, 2):
                name = f"{adjective} {self._pick(_PLACE_FEATURES)}"
            elif pattern == 3:
                preposition, features = _LOCATIVES[int(self._rng.integers(len(_LOCATIVES)))]
                name = f"{preposition} {self._pick(_MODIFIERS)}{self._pick(features)}"
            elif pattern == 4:
                name = f"{self._pick(('Alt', 'Neu'))}-{stem}"
            elif pattern == 5:
                name = f"{self._pick(_PEOPLE)}{self._pick(_QUARTERS)}"
            elif pattern == 6:
                name = f"Siedlung {self._stem()}"
            else:
                name = self._stem()
            if self._claim(name):
                return name
        name = f"{self._stem()} {self._pick(_DIRECTIONS)}"  # pragma: no cover - fallback
        self._used.add(name)  # pragma: no cover
        return name  # pragma: no cover


# --- observations ---------------------------------------------------------------------------------------


def _standardise(values: FloatArray) -> FloatArray:
    spread = float(values.std())
    centred = values - values.mean()
    return np.asarray(centred / spread if spread > 0 else centred, dtype=np.float64)


def _smooth_field(rng: np.random.Generator, xy: FloatArray, bandwidth_km: float) -> FloatArray:
    """Gaussian-kernel-smoothed white noise on random anchors, standardised over ``xy``."""
    low, high = xy.min(axis=0) - 2 * bandwidth_km, xy.max(axis=0) + 2 * bandwidth_km
    anchors = rng.uniform(low, high, size=(600, 2))
    noise = rng.standard_normal(len(anchors))
    d2 = ((xy[:, None, :] - anchors[None, :, :]) ** 2).sum(axis=2)
    weights = np.exp(-d2 / (2.0 * bandwidth_km**2))
    return _standardise(weights @ noise / np.sqrt((weights**2).sum(axis=1) + 1e-12))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _expit(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def _labour_market(year: int) -> float:
    """City-wide log-shift of unemployment: falling to 2019, a pandemic bump in 2020, slow recovery."""
    trend = -0.055 * (min(max(year, 2005), 2019) - 2013)
    shock = {2020: 0.16, 2021: 0.13, 2022: 0.06, 2023: 0.07}.get(year, 0.09 if year >= 2024 else 0.0)
    return trend + shock


def _city_growth(year: int) -> float:
    """City-wide log-growth of the population since 2013 (with the pandemic standstill and 2022 arrivals)."""

    def rate(y: int) -> float:
        return {2020: 0.001, 2021: 0.0, 2022: 0.013}.get(y, 0.009 if y < 2020 else 0.005)

    if year >= 2013:
        return sum(rate(y) for y in range(2014, year + 1))
    return -sum(rate(y) for y in range(year + 1, 2014))


def _observations(
    rng: np.random.Generator,
    xy: FloatArray,
    cell_km2: FloatArray,
    codes: list[str],
    years: list[int],
    area_km2: float,
) -> tuple[pd.DataFrame, int]:
    """Draw all base counts per planning area and year; return the observation table and latest population."""
    n, n_years = len(xy), len(years)
    r_km = np.hypot(xy[:, 0], xy[:, 1])
    r = r_km / math.sqrt(area_km2 / math.pi)  # 1 at the typical edge of the city
    angle = np.arctan2(xy[:, 1], xy[:, 0])
    fields = [_smooth_field(rng, xy, 2.5) for _ in range(7)]

    ring = np.exp(-(((r - 0.3) / 0.12) ** 2) / 2) * (
        0.55 + 0.45 * np.cos(angle - rng.uniform(0, 2 * math.pi))
    )
    estate_angles = rng.uniform(0, 2 * math.pi) + np.array([0.0, 2.1, 4.2]) + rng.uniform(-0.4, 0.4, 3)
    estate_radii = rng.uniform(0.55, 0.8, 3) * math.sqrt(area_km2 / math.pi)
    estates = np.zeros(n)
    for a, rad in zip(estate_angles, estate_radii, strict=True):
        d2 = (xy[:, 0] - rad * math.cos(a)) ** 2 + (xy[:, 1] - rad * math.sin(a)) ** 2
        estates += np.exp(-d2 / (2 * (0.09 * math.sqrt(area_km2 / math.pi)) ** 2))
    core = np.exp(-((r / 0.12) ** 2) / 2)
    outer = _expit((r - 0.6) / 0.08)

    deprivation = _standardise(0.9 * ring + 1.4 * estates - 0.6 * core - 0.5 * outer + 0.5 * fields[0])
    migration = _standardise(0.6 * deprivation + 0.6 * (1 - r) + 0.5 * fields[1])
    ageing = _standardise(0.8 * r + 0.5 * estates + 0.5 * fields[2])
    social_housing = _standardise(1.5 * estates + 0.5 * ring - 0.5 * outer + 0.4 * fields[3])
    # Gentrification: parts of the inner city improve over the years; a small cluster deteriorates.
    gentrifying = np.clip(fields[4], 0, None) * _expit((0.5 - r) / 0.06)
    mobility = _standardise(1.0 * (1 - r) + 0.5 * fields[5] + 0.6 * gentrifying + 0.4 * deprivation)
    outer_units = np.flatnonzero(r > 0.4)
    declining = np.zeros(n)
    k_declining = max(1, round(0.05 * n))
    declining[outer_units[np.argsort(-fields[6][outer_units])[:k_declining]]] = 1.2
    drift = -1.0 * gentrifying + declining

    tau = (np.array(years, dtype=np.float64) - 2013.0) / 11.0
    dep = deprivation[:, None] + drift[:, None] * tau[None, :] + 0.05 * rng.standard_normal((n, n_years))
    labour = np.array([_labour_market(y) for y in years])[None, :]
    since = (np.array(years, dtype=np.float64) - 2013.0)[None, :]

    def offset(scale: float) -> FloatArray:
        """Persistent, spatially unstructured area effect."""
        return np.asarray(scale * rng.standard_normal((n, 1)), dtype=np.float64)

    inhabitants = _inhabitants(rng, r, r_km, cell_km2, years)
    people = inhabitants.astype(np.int64)

    share_65 = _expit(_logit(0.19) + 0.55 * ageing[:, None] + 0.01 * since + offset(0.1))
    share_18 = _expit(_logit(0.21) - 0.35 * ageing[:, None] + 0.2 * dep + 0.01 * since + offset(0.1))
    n65 = rng.binomial(people, share_65)
    n18 = rng.binomial(people - n65, share_18)
    n15 = rng.binomial(n18, 0.83)
    n15_65 = people - n15 - n65
    under_65 = people - n65

    unemployed = rng.binomial(n15_65, _expit(_logit(0.085) + 0.62 * dep + labour + offset(0.1)))
    lagged = np.array([0.2 if y in (2021, 2022) else 0.0 for y in years])[None, :]
    long_term = rng.binomial(unemployed, _expit(_logit(0.36) + 0.3 * dep + lagged + offset(0.1)))
    sgb2_children = rng.binomial(n15, _expit(_logit(0.27) + 0.85 * dep + 0.5 * labour + offset(0.1)))
    sgb2_adults = rng.binomial(n15_65, _expit(_logit(0.11) + 0.8 * dep + 0.5 * labour + offset(0.1)))

    household_size = np.clip(1.65 + 0.6 * r + 0.05 * ageing, 1.5, 2.6)[:, None]
    households = np.round(people / household_size).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        family_share = np.where(households > 0, np.clip(n18 / 1.65 / households, 0.0, 0.9), 0.0)
    with_children = rng.binomial(households, family_share)
    single_parents = rng.binomial(with_children, _expit(_logit(0.27) + 0.4 * dep + offset(0.1)))

    migrants = rng.binomial(
        people, _expit(_logit(0.30) + 0.75 * migration[:, None] + 0.035 * since + offset(0.1))
    )
    foreign = rng.binomial(migrants, _expit(_logit(0.55) + 0.25 * migration[:, None] + 0.02 * since))
    covid_moves = np.array([{2020: -0.08, 2021: -0.04}.get(y, 0.0) for y in years])[None, :]
    moves = rng.poisson(
        people * np.exp(math.log(0.24) + 0.28 * mobility[:, None] + 0.12 * dep + covid_moves + offset(0.05))
    )
    settled = rng.binomial(
        people,
        _expit(_logit(0.56) - 0.3 * mobility[:, None] - 0.35 * dep + 0.25 * ageing[:, None] + offset(0.1)),
    )
    old_age_poor = rng.binomial(
        n65, _expit(_logit(0.045) + 0.5 * dep + 0.35 * migration[:, None] + 0.035 * since + offset(0.1))
    )
    dwellings = np.round(households * rng.uniform(1.02, 1.06, size=(n, 1))).astype(np.int64)
    social = rng.binomial(
        dwellings, _expit(_logit(0.05) + 1.1 * social_housing[:, None] - 0.04 * since + offset(0.15))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_age = (9.0 * n18 + 40.5 * (people - n18 - n65) + 76.0 * n65) / people + offset(0.6)

    base: dict[str, IntArray] = {
        "inhabitants": people,
        "unemployed": unemployed,
        "population_15_65": n15_65,
        "long_term_unemployed": long_term,
        "sgb2_recipients": sgb2_children + sgb2_adults,
        "population_under_65": under_65,
        "sgb2_recipients_under_15": sgb2_children,
        "population_under_15": n15,
        "single_parent_households": single_parents,
        "households_with_children": with_children,
        "population_migration_background": migrants,
        "population_foreign": foreign,
        "population_under_18": n18,
        "population_65_plus": n65,
        "moves": moves,
        "basic_income_support_65_plus": old_age_poor,
        "residents_5y_at_address": settled,
        "social_housing_dwellings": social,
        "dwellings": dwellings,
    }
    table = _observation_table(base, {"mean_age": mean_age}, codes, years)
    return table, int(people[:, -1].sum())


def _inhabitants(
    rng: np.random.Generator, r: FloatArray, r_km: FloatArray, cell_km2: FloatArray, years: list[int]
) -> IntArray:
    """Inhabitants per area and year: density × area × noise, a few nearly empty areas, slow growth."""
    n = len(r)
    base = _density(np.column_stack([r_km, np.zeros(n)])) * cell_km2 * np.exp(0.45 * rng.standard_normal(n))
    total = rng.uniform(1.30e6, 1.42e6)
    base = np.clip(base * total / base.sum(), 320.0, 19500.0)
    # Parks, forests, industry, an airport (given 20 areas or more): drawn among the larger cells.
    empty = rng.choice(n, size=round(0.025 * n), replace=False, p=cell_km2 / cell_km2.sum())
    base[empty] = rng.uniform(60.0, 290.0, size=len(empty))
    base[empty[:2]] = rng.uniform(4.0, 40.0, size=min(2, len(empty)))

    growth = 0.006 * rng.standard_normal(n)
    candidates = np.flatnonzero((r > 0.35) & (r < 0.85))
    developing = rng.choice(candidates, size=min(len(candidates), max(1, round(0.03 * n))), replace=False)
    start = rng.integers(2014, 2021, size=len(developing))
    log_level = np.empty((n, len(years)))
    walk = np.cumsum(0.01 * rng.standard_normal((n, len(years))), axis=1)
    for t, year in enumerate(years):
        boom = np.zeros(n)
        boom[developing] = 0.07 * np.clip(year - start, 0, 6)
        log_level[:, t] = _city_growth(year) + growth * (year - 2013) + boom + walk[:, t]
    return np.asarray(np.round(base[:, None] * np.exp(log_level)), dtype=np.int64)


def _observation_table(
    base: dict[str, IntArray], means: dict[str, FloatArray], codes: list[str], years: list[int]
) -> pd.DataFrame:
    """Long table in catalogue order, then period, then area code.

    A ratio with a zero denominator keeps its row with numerator and denominator 0 and an empty value:
    a nearly empty area without children has no child-poverty rate, but it still counts (0 of 0) when
    the rate of its district or of the city is computed from sums. Means of empty areas are left out.
    """
    n, n_years = base["inhabitants"].shape
    order = np.argsort(np.array(codes), kind="stable")
    area_codes = np.tile(np.array(codes, dtype=object)[order], n_years)
    period_codes = np.repeat(np.array([str(year) for year in years], dtype=object), n)
    empty = np.full(n * n_years, np.nan)
    frames: list[pd.DataFrame] = []
    for indicator in DEMO_INDICATORS:
        # Transposed, so that rows run period by period, each period listing all areas.
        numerator = denominator = empty
        if indicator.aggregation == "sum":
            value = base[indicator.code][order].T.ravel().astype(np.float64)
        elif indicator.aggregation == "ratio":
            assert indicator.numerator_code and indicator.denominator_code
            numerator = base[indicator.numerator_code][order].T.ravel().astype(np.float64)
            denominator = base[indicator.denominator_code][order].T.ravel().astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.round(numerator / denominator * indicator.factor, indicator.decimals)
        else:
            value = np.round(means[indicator.code][order].T.ravel(), indicator.decimals)
        keep = np.isfinite(value) | (denominator == 0)
        frames.append(
            pd.DataFrame(
                {
                    "indicator_code": indicator.code,
                    "area_code": area_codes[keep],
                    "period_code": period_codes[keep],
                    "value": value[keep],
                    "numerator": numerator[keep],
                    "denominator": denominator[keep],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
