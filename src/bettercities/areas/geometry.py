"""Geometry facts of area polygons (GeoJSON, WGS84): validity, orientation, bbox, centroid, size."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

# Mean radius of the WGS84 ellipsoid's authalic sphere, km.
_EARTH_RADIUS_KM = 6371.0072


@dataclass(frozen=True)
class GeometryFacts:
    """Normalised GeoJSON text and the facts derived from it."""

    geojson: str
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    centroid_lon: float
    centroid_lat: float
    area_km2: float
    repaired: str | None = None  # what was repaired (invalid polygons made valid), for a warning


class GeometryError(ValueError):
    """The geometry cannot be used for an area."""


def to_shape(geometry: dict[str, Any] | str) -> BaseGeometry:
    data = json.loads(geometry) if isinstance(geometry, str) else geometry
    try:
        return shape(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise GeometryError(f"not a GeoJSON geometry: {error}") from None


def area_km2(geom: BaseGeometry) -> float:
    """Area on the authalic sphere (Lambert cylindrical equal-area about the geometry's centre), km².

    The error against the ellipsoidal area is below 0.5 % for city-sized polygons, enough for
    densities and display; official areas come from the cadastre, not from here.
    """
    if geom.is_empty:
        return 0.0
    lon0 = geom.centroid.x

    def project(coords: Any) -> Any:
        lon = (coords[:, 0] - lon0) * math.pi / 180.0
        lat = coords[:, 1] * math.pi / 180.0
        out = coords.copy()
        out[:, 0] = _EARTH_RADIUS_KM * lon
        out[:, 1] = _EARTH_RADIUS_KM * np.sin(lat)
        return out

    return float(shapely.transform(geom, project).area)


def normalise(geometry: dict[str, Any] | str) -> GeometryFacts:
    """Validate a polygonal geometry, repair where possible and orient it as RFC 7946 wants."""
    geom = to_shape(geometry)
    if geom.is_empty:
        raise GeometryError("the geometry is empty")
    if geom.geom_type not in {"Polygon", "MultiPolygon"}:
        raise GeometryError(f"areas need Polygon or MultiPolygon geometry, not {geom.geom_type}")
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise GeometryError(
            "coordinates are not WGS84 longitude/latitude (EPSG:4326); reproject the file first"
        )
    repaired = None
    if not geom.is_valid:
        reason = _reason(geom)
        geom = shapely.make_valid(geom)
        polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in {"Polygon", "MultiPolygon"}]
        geom = shapely.union_all(polys) if polys else geom
        if geom.is_empty or geom.geom_type not in {"Polygon", "MultiPolygon"}:
            raise GeometryError(f"the geometry is invalid ({reason}) and cannot be repaired into a polygon")
        parts = len(getattr(geom, "geoms", [geom]))
        repaired = f"{reason}; repaired into a {geom.geom_type} of {parts} part{'s' if parts != 1 else ''}"
    geom = shapely.orient_polygons(geom) if hasattr(shapely, "orient_polygons") else _orient(geom)
    centroid = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    minx, miny, maxx, maxy = geom.bounds
    return GeometryFacts(
        geojson=json.dumps(mapping(geom), separators=(",", ":")),
        min_lon=minx,
        min_lat=miny,
        max_lon=maxx,
        max_lat=maxy,
        centroid_lon=centroid.x,
        centroid_lat=centroid.y,
        area_km2=area_km2(geom),
        repaired=repaired,
    )


def _reason(geom: BaseGeometry) -> str:
    """GEOS's reason a geometry is invalid, in words: 'self-intersection at 13.005, 52.005'."""
    text = str(shapely.is_valid_reason(geom))
    name, _, where = text.partition("[")
    coordinates = where.rstrip("]").split()
    place = f" at {', '.join(coordinates)}" if coordinates else ""
    return f"{name.strip().lower()}{place}"


def _orient(geom: BaseGeometry) -> BaseGeometry:
    from shapely.geometry import MultiPolygon
    from shapely.geometry.polygon import orient

    if geom.geom_type == "Polygon":
        return orient(geom, sign=1.0)
    return MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
