"""A map of Europe as a standalone ``<svg>``: cities as points sized by population, optional groups by colour,
lines between linked cities (tandem partners), on the country outlines of Natural Earth.

Data: the country outlines are Natural Earth's 1:50m countries (public domain) as TopoJSON, from the npm
package world-atlas 2.0.2 (ISC, Mike Bostock), installed at set-up time by ``scripts/install-boundaries``
(called by ``make bootstrap``) into ``figures/data/world-atlas/`` and read with pyogrio (GDAL's TopoJSON
driver). Nothing is downloaded at run time; without the file :func:`europe_map` raises
:class:`BoundariesMissing`, never draws a blank map. The SVG carries a credit line.

Projection: ETRS89 / LAEA Europe (EPSG:3035, Lambert azimuthal equal-area centred on 52° N 10° E, the frame
of Eurostat's maps of Europe) through pyproj, with the fixed extent :data:`EXTENT` (Iceland and Portugal to
Cyprus and Finland). The outlines are clipped, projected and simplified once per process and data file
(``functools.lru_cache``); a map then costs only its points.

Points: the area of a circle is proportional to the population (radius ∝ √population, the most populous city
of the map at :data:`R_MAX`; circles smaller than :data:`R_MIN` are drawn at :data:`R_MIN` so that they can
be seen and clicked), with a legend of two or three sizes. A point without a population is a small hollow
square, named in the legend. Each point is a link (``<a>`` when it has an ``href``, else focusable through
``tabindex="0"``) with a ``<title>`` and an ``aria-label``; the drawing has ``role="img"`` with a
``<title>`` and a ``<desc>``. Points outside the extent are not drawn but named in the description. Colour
never carries meaning alone: a group is also in each point's label and in the table that the caller renders
beside the map (:func:`europe_rows` gives its rows). Group colours are Okabe & Ito's (2008).

All words come from the caller in the reader's language (:class:`EuropeWords`), as in the other figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from bettercities.figures.svg import INK, MUTED

if TYPE_CHECKING:
    import numpy as np
    from pyproj import Transformer

__all__ = [
    "BOUNDARIES_FILE",
    "CRS",
    "DATA_DIR",
    "EXTENT",
    "GROUP_COLOURS",
    "PIPELINE",
    "Basemap",
    "BoundariesMissing",
    "EuropeLink",
    "EuropePoint",
    "EuropeRow",
    "EuropeWords",
    "basemap",
    "europe_map",
    "europe_rows",
    "to_laea",
]

#: Where ``scripts/install-boundaries`` puts the world-atlas files (git-ignored).
DATA_DIR = Path(__file__).with_name("data") / "world-atlas"
BOUNDARIES_FILE = "countries-50m.json"
#: ETRS89 / LAEA Europe.
CRS = "EPSG:3035"
#: The map's extent in EPSG:3035 metres (x min, y min, x max, y max): Iceland and Portugal to Cyprus and
#: Finland, Crete and Malta included.
EXTENT = (2_450_000.0, 1_350_000.0, 6_700_000.0, 5_450_000.0)
#: Outlines are cut to this longitude/latitude box before they are projected (it holds the extent).
LONLAT_BOX = (-40.0, 28.0, 70.0, 80.0)
#: Frame width in SVG units; the height follows the extent.
WIDTH = 800.0
#: Simplification tolerance in frame units (≈ 0.7 px at 800 px).
TOLERANCE = 0.7
R_MAX = 18.0
R_MIN = 3.0
NO_POPULATION_SIDE = 6.0

LAND = "#e4e7eb"
BORDER = "#ffffff"
SEA = "#f5f8fb"
POINT_COLOUR = "#0072b2"
LINK_COLOUR = "#1f2933"
#: Okabe & Ito's colours, distinguishable for colour-blind readers (black last: it is the link colour).
GROUP_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000")
UNGROUPED_COLOUR = "#7b8794"

Formatter = Callable[[float], str]


class BoundariesMissing(RuntimeError):
    """The country outlines are not installed (a set-up step was skipped)."""


@dataclass(frozen=True)
class EuropePoint:
    """A city on the map; ``key`` identifies it for links (e.g. its slug)."""

    key: str
    label: str
    lon: float
    lat: float
    population: int | None = None
    href: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class EuropeLink:
    """A line between two points (their keys), e.g. tandem partners; ``label`` is its hover text."""

    a: str
    b: str
    label: str


@dataclass(frozen=True)
class EuropeWords:
    """The map's words in the reader's language.

    ``outside`` introduces the names of points outside the map's extent in the description; ``links`` names
    the lines in the legend (e.g. "Tandem partners"); ``groups`` gives the legend label of each group code
    (in legend order; a group not named there is shown by its code).
    """

    title: str
    description: str
    population: str
    no_population: str
    outside: str
    links: str
    credit: str
    groups: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EuropeRow:
    """One row of the table beside the map: a point, its partners (labels of linked points) and whether it
    is drawn (``on_map`` is false outside the extent)."""

    key: str
    label: str
    group: str | None
    population: int | None
    href: str | None
    partners: tuple[str, ...]
    on_map: bool


@dataclass(frozen=True)
class Basemap:
    """The projected, simplified country outlines in the map's frame (``width`` × ``height`` units)."""

    width: float
    height: float
    paths: tuple[tuple[str, str], ...]  # (country name, SVG path data), in the data file's order


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


# -- projection --------------------------------------------------------------------------------------------


#: EPSG:3035's definition as a PROJ pipeline from longitude/latitude: Lambert azimuthal equal-area on the
#: GRS 1980 ellipsoid, origin 52° N 10° E, false easting 4 321 000 m, false northing 3 210 000 m (ETRS89
#: and WGS 84 coordinates are taken as equal, as PROJ does between EPSG:4326 and EPSG:3035). Written out,
#: it needs no look-up in PROJ's database, which costs 0.3–3 s per process; the tests check it against
#: ``Transformer.from_crs("EPSG:4326", "EPSG:3035")``.
PIPELINE = (
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
    "+step +proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80"
)


@lru_cache(maxsize=1)
def _transformer() -> Transformer:
    from pyproj import Transformer

    return Transformer.from_pipeline(PIPELINE)


def to_laea(lon: Sequence[float], lat: Sequence[float]) -> tuple[list[float], list[float]]:
    """Longitudes and latitudes (WGS 84 / ETRS89 degrees) as EPSG:3035 eastings and northings in metres."""
    x, y = _transformer().transform(list(lon), list(lat))
    return [float(v) for v in x], [float(v) for v in y]


def _scale() -> float:
    return WIDTH / (EXTENT[2] - EXTENT[0])


def _height() -> float:
    return (EXTENT[3] - EXTENT[1]) * _scale()


def _frame(x: float, y: float) -> tuple[float, float]:
    k = _scale()
    return (x - EXTENT[0]) * k, (EXTENT[3] - y) * k


# -- the outlines ------------------------------------------------------------------------------------------


def _ring(coords: np.ndarray) -> str:
    """A closed ring as path data: the first point absolute, the others relative (``l``), in tenths of a
    unit. The steps are taken between the rounded points, so rounding never adds up along a ring."""
    if len(coords) < 4:
        return ""
    tenths = [(round(x * 10), round(y * 10)) for x, y in coords[:-1]]
    (x0, y0), steps = tenths[0], []
    px, py = x0, y0
    for x, y in tenths[1:]:
        steps.append(f"{(x - px) / 10:g} {(y - py) / 10:g}")
        px, py = x, y
    return f"M{x0 / 10:g} {y0 / 10:g}l{' '.join(steps)}z"


def _polygons(geom: object) -> list:
    """The polygons in ``geom`` (make_valid and cuts can leave collections with lines and points)."""
    import shapely

    out = []
    for part in shapely.get_parts(geom):
        if part.geom_type == "Polygon" and not part.is_empty:
            out.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            out.extend(_polygons(part))
    return out


def _path(geom: object) -> str:
    import numpy as np

    parts = []
    for polygon in _polygons(geom):
        parts.append(_ring(np.asarray(polygon.exterior.coords)))
        parts.extend(_ring(np.asarray(ring.coords)) for ring in polygon.interiors)
    return "".join(parts)


@lru_cache(maxsize=2)
def _build_basemap(path: str, stamp: int) -> Basemap:
    import numpy as np
    import pyogrio
    import shapely

    _meta, _fids, wkb, fields = pyogrio.raw.read(path, layer="countries")
    names = [str(name) for name in fields[1]]
    # Parts that cross the antimeridian (Russia's mainland, Wrangel Island) jump from 180° to −180°: an edge
    # that would run across the whole box once cut. Their points west of −100° are moved east of 180°.
    parts, owner = shapely.get_parts(shapely.from_wkb(wkb), return_index=True)
    bounds = shapely.bounds(parts)
    wraps = (bounds[:, 2] - bounds[:, 0]) > 270
    parts[wraps] = shapely.transform(
        parts[wraps], lambda c: np.column_stack((np.where(c[:, 0] < -100, c[:, 0] + 360, c[:, 0]), c[:, 1]))
    )
    invalid = ~shapely.is_valid(parts)  # a few of Natural Earth's rings touch themselves
    parts[invalid] = shapely.make_valid(parts[invalid])
    parts = shapely.clip_by_rect(parts, *LONLAT_BOX)
    # the cuts along the box are long straight edges in degrees, curves once projected
    parts = shapely.segmentize(parts, 0.25)
    keep = ~shapely.is_empty(parts)
    geoms = np.array([shapely.union_all(parts[keep & (owner == i)]) for i in range(len(names))], dtype=object)
    transformer = _transformer()
    k = _scale()

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack(((np.asarray(x) - EXTENT[0]) * k, (EXTENT[3] - np.asarray(y)) * k))

    projected = shapely.transform(geoms, project)
    clipped = shapely.clip_by_rect(projected, 0.0, 0.0, WIDTH, _height())
    simple = shapely.simplify(clipped, TOLERANCE, preserve_topology=True)
    paths = []
    for name, geom in zip(names, simple, strict=True):
        if geom is None or geom.is_empty:
            continue
        d = _path(geom)
        if d:
            paths.append((name, d))
    return Basemap(width=WIDTH, height=_height(), paths=tuple(paths))


def basemap() -> Basemap:
    """The country outlines of the map, built once per process (and again when the data file changes)."""
    file = DATA_DIR / BOUNDARIES_FILE
    try:
        stat = file.stat()
    except FileNotFoundError:
        raise BoundariesMissing(
            f"The country outlines of the Europe map are not installed ({file} is missing). Run "
            "`make bootstrap` (or `python3 scripts/install-boundaries`) once: it installs Natural Earth's "
            "outlines from the npm package world-atlas 2.0.2."
        ) from None
    try:
        return _build_basemap(str(file), stat.st_mtime_ns)
    except (OSError, ValueError, RuntimeError) as error:  # pyogrio's DataSourceError is a RuntimeError
        raise BoundariesMissing(
            f"The country outlines of the Europe map ({file}) cannot be read ({error}). Install them again: "
            "`python3 scripts/install-boundaries --force`."
        ) from error


# -- the map -----------------------------------------------------------------------------------------------


def _nice_below(value: float) -> float:
    """The largest 1, 2 or 5 × 10^n not above ``value``."""
    magnitude = 10 ** math.floor(math.log10(value))
    return max(m * magnitude for m in (1, 2, 5) if m * magnitude <= value)


def _legend_sizes(populations: Sequence[int]) -> list[int]:
    """Two or three round populations spanning the map's points, largest first (none so small that its
    circle would be drawn at the minimum radius, nor far below the smallest city)."""
    if not populations:
        return []
    top, low = max(populations), min(populations)
    smallest = top * (R_MIN / R_MAX) ** 2
    sizes: list[int] = []
    for candidate in (top, top / 6, top / 30):
        if candidate < 1:
            break
        value = int(_nice_below(candidate))
        if sizes and (value >= sizes[-1] or value < low / 2 or value < smallest):
            continue
        sizes.append(value)
    return sizes[:3]


def _default_fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")  # a narrow no-break space: neutral in German and English


def _group_colours(points: Sequence[EuropePoint], words: EuropeWords) -> dict[str, str]:
    used = {p.group for p in points if p.group is not None}
    order = [g for g in words.groups if g in used] + sorted(used - set(words.groups))
    return {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(order)}


def _positions(points: Sequence[EuropePoint]) -> dict[str, tuple[float, float] | None]:
    """Frame coordinates of each point, ``None`` outside the extent (or without finite coordinates)."""
    if not points:
        return {}
    xs, ys = to_laea([p.lon for p in points], [p.lat for p in points])
    out: dict[str, tuple[float, float] | None] = {}
    for p, x, y in zip(points, xs, ys, strict=True):
        inside = math.isfinite(x) and math.isfinite(y)
        inside = inside and EXTENT[0] <= x <= EXTENT[2] and EXTENT[1] <= y <= EXTENT[3]
        out[p.key] = _frame(x, y) if inside else None
    return out


def _check(points: Sequence[EuropePoint], links: Sequence[EuropeLink]) -> None:
    keys: set[str] = set()
    for p in points:
        if p.key in keys:
            raise ValueError(f"europe_map: two points have the key {p.key!r}")
        keys.add(p.key)
    for link in links:
        for key in (link.a, link.b):
            if key not in keys:
                raise ValueError(f"europe_map: the link {link.label!r} names {key!r}, which is not a point")


def _point_text(p: EuropePoint, words: EuropeWords, fmt: Formatter) -> str:
    population = (
        f"{words.population} {fmt(p.population)}" if p.population is not None else words.no_population
    )
    group = f" – {words.groups.get(p.group, p.group)}" if p.group is not None else ""
    return f"{p.label}: {population}{group}"


def europe_rows(points: Sequence[EuropePoint], links: Sequence[EuropeLink]) -> list[EuropeRow]:
    """The rows of the table to render beside the map, in the order of ``points``: label, group,
    population, partners (the other end of each link) and whether the point is on the map."""
    _check(points, links)
    labels = {p.key: p.label for p in points}
    partners: dict[str, list[str]] = {p.key: [] for p in points}
    for link in links:
        partners[link.a].append(labels[link.b])
        partners[link.b].append(labels[link.a])
    where = _positions(points)
    return [
        EuropeRow(
            key=p.key,
            label=p.label,
            group=p.group,
            population=p.population,
            href=p.href,
            partners=tuple(partners[p.key]),
            on_map=where[p.key] is not None,
        )
        for p in points
    ]


def _text_width(text: str, size: float) -> float:
    return len(text) * size * 0.58


def europe_map(
    points: Sequence[EuropePoint],
    links: Sequence[EuropeLink],
    *,
    words: EuropeWords,
    id_prefix: str = "eu",
    fmt: Formatter | None = None,
) -> str:
    """The map of ``points`` and ``links`` on Europe's country outlines, with its legend and credit line.

    ``fmt`` formats a population in the reader's language (default: digits grouped by narrow spaces).
    Raises :class:`BoundariesMissing` when the outlines are not installed and ``ValueError`` when two points
    share a key or a link names an unknown key.
    """
    _check(points, links)
    fmt = fmt or _default_fmt
    id_prefix = _attr(id_prefix)
    base = basemap()
    where = _positions(points)
    shown = [p for p in points if where[p.key] is not None]
    outside = [p for p in points if where[p.key] is None]
    colours = _group_colours(points, words)
    grouped = bool(colours)

    def colour(p: EuropePoint) -> str:
        if p.group is not None:
            return colours[p.group]
        return UNGROUPED_COLOUR if grouped else POINT_COLOUR

    populations = [p.population for p in shown if p.population is not None and p.population > 0]
    top = max(populations, default=1)

    def radius(population: int) -> float:
        return max(R_MIN, R_MAX * math.sqrt(max(population, 0) / top))

    description = words.description
    if outside:
        description += f" {words.outside}: {', '.join(p.label for p in outside)}."

    legend_parts, legend_height = _legend(
        words,
        sizes=_legend_sizes(populations),
        radius=radius,
        fmt=fmt,
        colours=colours,
        no_population=any(p.population is None for p in shown),
        links=bool(links),
        top=base.height,
    )
    height = base.height + legend_height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="europe-map" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" '
        'preserveAspectRatio="xMidYMid meet">',
        f'<title id="{id_prefix}-title">{escape(words.title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>',
        f'<rect class="sea" x="0" y="0" width="{WIDTH:.0f}" height="{base.height:.1f}" fill="{SEA}"/>',
        f'<g class="countries" fill="{LAND}" stroke="{BORDER}" stroke-width="0.6" stroke-linejoin="round" '
        'aria-hidden="true">',
    ]
    parts.extend(f'<path d="{d}" data-name="{_attr(name)}"/>' for name, d in base.paths)
    parts.append("</g>")
    # links under the points
    parts.append(f'<g class="links" stroke="{LINK_COLOUR}" stroke-width="1.6" stroke-linecap="round">')
    for link in links:
        a, b = where[link.a], where[link.b]
        if a is None or b is None:
            continue
        parts.append(
            f'<line class="link" data-a="{_attr(link.a)}" data-b="{_attr(link.b)}" x1="{a[0]:.1f}" '
            f'y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}"><title>{escape(link.label)}</title></line>'
        )
    parts.append("</g>")
    # the largest circles first, so that a small city is never hidden under a big one
    order = sorted(shown, key=lambda p: (-(p.population or 0), p.population is None, p.key))
    parts.append('<g class="points">')
    for p in order:
        x, y = where[p.key] or (0.0, 0.0)
        text = _point_text(p, words, fmt)
        fill = colour(p)
        if p.population is None:
            side = NO_POPULATION_SIDE
            mark = (
                f'<rect x="{x - side / 2:.1f}" y="{y - side / 2:.1f}" width="{side:.0f}" height="{side:.0f}" '
                f'fill="#ffffff" stroke="{fill}" stroke-width="2" aria-hidden="true">'
                f"<title>{escape(text)}</title></rect>"
            )
        else:
            mark = (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius(p.population):.1f}" fill="{fill}" '
                f'stroke="#ffffff" stroke-width="1" aria-hidden="true"><title>{escape(text)}</title></circle>'
            )
        data = f'class="point" data-key="{_attr(p.key)}" aria-label="{_attr(text)}"'
        if p.href:
            parts.append(f'<a href="{_attr(p.href)}" {data}>{mark}</a>')
        else:
            parts.append(f'<g {data} tabindex="0" role="img">{mark}</g>')
    parts.append("</g>")
    parts.extend(legend_parts)
    parts.append("</svg>")
    return "".join(parts)


def _legend(
    words: EuropeWords,
    *,
    sizes: Sequence[int],
    radius: Callable[[int], float],
    fmt: Formatter,
    colours: Mapping[str, str],
    no_population: bool,
    links: bool,
    top: float,
) -> tuple[list[str], float]:
    """The legend below the map (sizes, the symbol without population, groups, the link line) and the
    credit line; returns the markup and its height."""
    font, gap, left = 13.0, 18.0, 12.0
    parts = [
        f'<g class="europe-legend" transform="translate(0 {top:.1f})" font-size="{font:.0f}" fill="{INK}">'
    ]
    y = 12.0
    # row 1: the sizes, side by side, bottom-aligned, and the symbol of a city without a population
    if sizes or no_population:
        r_top = max((radius(s) for s in sizes), default=NO_POPULATION_SIDE / 2)
        base = y + 2 * r_top
        x = left
        if sizes:
            label = words.population
            parts.append(f'<text x="{x:.1f}" y="{base:.1f}">{escape(label)}</text>')
            x += _text_width(label, font) + gap / 2
            for size in sizes:
                r = radius(size)
                parts.append(
                    f'<g class="legend-size" data-population="{size}">'
                    f'<circle cx="{x + r:.1f}" cy="{base - r:.1f}" r="{r:.1f}" fill="none" stroke="{MUTED}" '
                    f'stroke-width="1"/><text x="{x + 2 * r + 4:.1f}" y="{base:.1f}">{escape(fmt(size))}'
                    "</text></g>"
                )
                x += 2 * r + 4 + _text_width(fmt(size), font) + gap
        if no_population:
            side = NO_POPULATION_SIDE
            parts.append(
                f'<g class="legend-no-population"><rect x="{x:.1f}" y="{base - side:.1f}" width="{side:.0f}" '
                f'height="{side:.0f}" fill="#ffffff" stroke="{MUTED}" stroke-width="2"/>'
                f'<text x="{x + side + 6:.1f}" y="{base:.1f}">{escape(words.no_population)}</text></g>'
            )
        y = base + 12
    # row 2: groups and the link line, wrapped at the frame's width
    entries: list[tuple[str, str, str, int]] = []  # (css, mark, label, where the label starts)
    for group, fill in colours.items():
        entries.append(
            (
                "legend-group",
                f'<circle cx="6" cy="-4.5" r="6" fill="{fill}"/>',
                words.groups.get(group, group),
                18,
            )
        )
    if links:
        line = f'<line x1="0" x2="22" y1="-4.5" y2="-4.5" stroke="{LINK_COLOUR}" stroke-width="1.6"/>'
        entries.append(("legend-link", line, words.links, 28))
    if entries:
        y += 8
        x = left
        for css, mark, label, indent in entries:
            width = indent + _text_width(label, font)
            if x > left and x + width > WIDTH - left:
                x, y = left, y + 22
            parts.append(
                f'<g class="{css}" transform="translate({x:.1f} {y + 4.5:.1f})">{mark}'
                f'<text x="{indent}" y="0">{escape(label)}</text></g>'
            )
            x += width + gap
        y += 18
    # the credit line
    y += 10
    parts.append(
        f'<text class="credit" x="{left:.0f}" y="{y:.1f}" font-size="11" fill="{MUTED}">'
        f"{escape(words.credit)}</text>"
    )
    parts.append("</g>")
    return parts, y + 8
