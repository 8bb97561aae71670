"""Area geometries as SVG paths: projected, simplified for the display size, cached per boundary version.

Projection: equirectangular, longitudes scaled by cos(mean latitude), so that a city looks as it does on a
map (the distortion across one city is far below a pixel). The frame is :data:`FRAME_WIDTH` units wide; the
height follows the city's aspect ratio. Geometries are simplified in frame units with
``shapely.simplify(preserve_topology=True)`` at :data:`TOLERANCE` (a fraction of a pixel at the usual display
width), and coordinates are written with one decimal.

Turning hundreds of polygons into paths costs tens of milliseconds, so :class:`ShapeCache` keeps the result
per (level, validity date) together with a *marker* of the stored geometries (number of areas, largest id,
largest import id and total length of the GeoJSON text): a re-import or an edit of the boundaries changes the
marker and the next page view rebuilds the paths.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import date

import numpy as np
from cachetools import LRUCache, cached
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.areas.models import Area, SpatialLevel
from bettercities.areas.service import valid_at

FRAME_WIDTH = 1000.0
TOLERANCE = 0.6  # frame units; ≈ 0.4 px at 700 px width
MAX_ASPECT = 2.5


@dataclass(frozen=True)
class LevelShapes:
    """SVG paths of the areas of one level in one frame; ``view_box`` is ``"0 0 W H"``."""

    width: float
    height: float
    paths: dict[str, str]  # area code -> SVG path data
    order: tuple[str, ...]  # area codes in drawing order
    centroids: dict[str, tuple[float, float]]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:.0f} {self.height:.0f}"


@dataclass(frozen=True)
class Frame:
    """The projection of one city: lon/lat -> frame units."""

    lon0: float
    lat1: float
    kx: float
    scale: float
    width: float
    height: float

    @classmethod
    def around(cls, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> Frame:
        kx = math.cos(math.radians((min_lat + max_lat) / 2))
        span_x = max((max_lon - min_lon) * kx, 1e-9)
        span_y = max(max_lat - min_lat, 1e-9)
        scale = FRAME_WIDTH / span_x
        height = min(span_y * scale, FRAME_WIDTH * MAX_ASPECT)
        if span_y * scale > height:  # very tall cities: fit the height instead
            scale = height / span_y
        return cls(lon0=min_lon, lat1=max_lat, kx=kx, scale=scale, width=FRAME_WIDTH, height=height)

    def project(self, coords: np.ndarray) -> np.ndarray:
        out = np.empty_like(coords)
        out[:, 0] = (coords[:, 0] - self.lon0) * self.kx * self.scale
        out[:, 1] = (self.lat1 - coords[:, 1]) * self.scale
        return out


def _ring(coords: np.ndarray) -> str:
    if len(coords) < 3:
        return ""
    pts = coords[:-1] if np.array_equal(coords[0], coords[-1]) else coords
    text = " ".join(f"{x:.1f} {y:.1f}" for x, y in pts)
    return f"M{text}Z"


def _path(geom: object) -> str:
    parts = []
    for polygon in getattr(geom, "geoms", [geom]):
        if polygon.is_empty:
            continue
        parts.append(_ring(np.asarray(polygon.exterior.coords)))
        parts.extend(_ring(np.asarray(r.coords)) for r in polygon.interiors)
    return "".join(parts)


def build_shapes(rows: list[tuple[str, str | None]], frame: Frame | None = None) -> LevelShapes:
    """Project and simplify ``(code, geojson)`` rows into SVG paths (areas without geometry are left out)."""
    import shapely

    usable = [(code, text) for code, text in rows if text]
    if not usable:
        return LevelShapes(width=FRAME_WIDTH, height=FRAME_WIDTH * 0.6, paths={}, order=(), centroids={})
    geoms = shapely.from_geojson([text for _, text in usable])
    if frame is None:
        bounds = shapely.total_bounds(geoms)
        frame = Frame.around(*bounds)
    projected = shapely.transform(geoms, frame.project)
    simple = shapely.simplify(projected, TOLERANCE, preserve_topology=True)
    points = shapely.point_on_surface(simple)
    paths: dict[str, str] = {}
    centroids: dict[str, tuple[float, float]] = {}
    for (code, _), geom, point in zip(usable, simple, points, strict=True):
        paths[code] = _path(geom)
        centroids[code] = (round(float(point.x), 1), round(float(point.y), 1))
    return LevelShapes(
        width=frame.width, height=frame.height, paths=paths, order=tuple(paths), centroids=centroids
    )


def _marker(session: Session, level: SpatialLevel, at: date | None) -> tuple:
    return tuple(
        session.execute(
            select(
                func.count(Area.id),
                func.max(Area.id),
                func.max(Area.import_id),
                func.sum(func.length(Area.geometry)),
            ).where(Area.level_id == level.id, *valid_at(at))
        ).one()
    )


class ShapeCache:
    """In-process cache of :class:`LevelShapes` per (level, validity date, geometry marker): a cachetools
    ``LRUCache`` of ``maxsize`` entries."""

    def __init__(self, maxsize: int = 64) -> None:
        self.maxsize = maxsize
        self._items: LRUCache[tuple, LevelShapes] = LRUCache(maxsize)
        self._lock = threading.Lock()
        self._build = cached(self._items, key=lambda key, session: key, lock=self._lock, info=True)(
            self._rebuild
        )

    @property
    def builds(self) -> int:
        """How often paths were (re)built: for tests and benchmarks."""
        return self._build.cache_info().misses

    def shapes(
        self, session: Session, level: SpatialLevel, at: date | None, *, frame: Frame | None = None
    ) -> LevelShapes:
        """Paths of the areas of ``level`` valid on ``at``, rebuilt only when the stored geometries change.

        ``frame`` fixes the projection (pass the city's, so that all its levels overlay); by default the
        level's own extent fills the frame.
        """
        shapes: LevelShapes = self._build((level.id, at, frame, _marker(session, level, at)), session)
        return shapes

    def _rebuild(self, key: tuple, session: Session) -> LevelShapes:
        level_id, at, frame, _ = key
        rows = session.execute(
            select(Area.code, Area.geometry)
            .where(Area.level_id == level_id, *valid_at(at))
            .order_by(Area.code)
        ).all()
        built = build_shapes([(code, text) for code, text in rows], frame)
        with self._lock:
            # Drop older versions of the same level and date: they can never be asked for again.
            for old in [k for k in self._items if k[:3] == key[:3]]:
                del self._items[old]
        return built

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
