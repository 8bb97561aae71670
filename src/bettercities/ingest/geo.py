"""Feature readers: GeoJSON, GeoPackage and Shapefile into a :class:`FeatureTable` (WGS84).

Files are read with pyogrio's raw interface (no geopandas). A file in another coordinate
reference system is reprojected to WGS84 (EPSG:4326) by GDAL itself, through an OGR VRT
warped layer, so no pyproj is needed. Readers are registered by suffix (:func:`feature_reader`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from bettercities.core.problems import Problem, Severity
from bettercities.core.registry import Registry
from bettercities.ingest.readers import refuse

WGS84_NAMES = {"EPSG:4326", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326"}


@dataclass
class FeatureTable:
    """Attribute columns and GeoJSON geometries (WGS84) of one layer; feature ``i`` is number ``i + 1``."""

    name: str
    layer: str | None
    columns: dict[str, list[Any]]
    geometries: list[dict[str, Any] | None]
    crs: str | None
    reprojected: bool = False
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.geometries)


FeatureReader = Callable[[Path, str | None, str], FeatureTable]
_READERS: Registry[FeatureReader] = Registry("feature reader")


def feature_reader(*suffixes: str) -> Callable[[FeatureReader], FeatureReader]:
    """Register a reader for files ending in ``suffixes`` (lower case, with the dot)."""
    return _READERS.register(*suffixes)


def feature_suffixes() -> list[str]:
    return _READERS.names()


def read_features(path: Path, *, layer: str | None = None, name: str | None = None) -> FeatureTable:
    """Read the features of ``path`` with the reader registered for its suffix."""
    path = Path(path)
    display = name or path.name
    suffix = "".join(path.suffixes[-2:]).lower() if path.name.lower().endswith(".shp.zip") else path.suffix
    reader = _READERS.find(suffix.lower())
    if reader is None:
        raise refuse(
            display,
            "unsupported-format",
            f"cannot read {path.suffix or 'files without suffix'} as areas; "
            f"use {', '.join(feature_suffixes())}",
        )
    return reader(path, layer, display)


def is_wgs84(crs: str | None) -> bool:
    return crs is not None and crs in WGS84_NAMES


def _warped_vrt(source: str, layer: str) -> str:
    """An OGR VRT that reprojects ``layer`` of ``source`` to WGS84 longitude/latitude."""
    return (
        "<OGRVRTDataSource><OGRVRTWarpedLayer>"
        f'<OGRVRTLayer name="{escape(layer, {chr(34): "&quot;"})}">'
        f'<SrcDataSource relativeToVRT="0">{escape(source)}</SrcDataSource>'
        f"<SrcLayer>{escape(layer)}</SrcLayer></OGRVRTLayer>"
        "<TargetSRS>EPSG:4326</TargetSRS>"
        "</OGRVRTWarpedLayer></OGRVRTDataSource>"
    )


def _plain(value: Any) -> Any:
    """An attribute value as a plain Python object; NaN (a missing real) becomes ``None``."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


@feature_reader(".geojson", ".json", ".gpkg", ".shp", ".zip", ".shp.zip", ".fgb")
def read_ogr(path: Path, layer: str | None, name: str) -> FeatureTable:
    """Read one layer through GDAL/OGR (pyogrio), reprojecting to WGS84 where needed."""
    import pyogrio
    import pyogrio.errors
    import shapely
    from pyogrio import raw
    from shapely.geometry import mapping

    source = f"/vsizip/{path}" if path.name.lower().endswith(".zip") else str(path)
    problems: list[Problem] = []
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(source)]
        if layer is not None and layer not in layers:
            raise refuse(name, "missing-layer", f"no layer {layer!r}; layers: {', '.join(layers)}")
        chosen = layer or layers[0]
        if layer is None and len(layers) > 1:
            problems.append(
                Problem(
                    code="several-layers",
                    message=f"the file has {len(layers)} layers ({', '.join(layers)}); read {chosen!r}",
                    severity=Severity.WARNING,
                    file=name,
                )
            )
        info = pyogrio.read_info(source, layer=chosen)
        crs = info.get("crs")
        reprojected = False
        read_from = source
        if crs is not None and not is_wgs84(crs):
            read_from, reprojected = _warped_vrt(source, chosen), True
        meta, _fids, geometry, fields = raw.read(read_from, layer=None if reprojected else chosen)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.CRSError) as error:
        raise refuse(name, "unreadable-file", f"not a readable geodata file: {error}") from None
    except pyogrio.errors.GeometryError as error:
        raise refuse(name, "invalid-geometry", f"cannot read the geometries: {error}") from None
    if crs is None:
        problems.append(
            Problem(
                code="missing-crs",
                message="the file names no coordinate reference system; assumed WGS84 (EPSG:4326)",
                severity=Severity.WARNING,
                file=name,
            )
        )
    columns = {
        str(column): [_plain(v) for v in values]
        for column, values in zip(meta["fields"], fields, strict=True)
    }
    count = len(geometry) if geometry is not None else (len(fields[0]) if len(fields) else 0)
    geometries: list[dict[str, Any] | None] = [None] * count
    if geometry is not None:
        shapes = shapely.from_wkb(geometry, on_invalid="ignore")
        for index, (wkb, shape) in enumerate(zip(geometry, shapes, strict=True)):
            if shape is not None and not shape.is_empty:
                geometries[index] = mapping(shape)
            elif wkb is not None and shape is None:
                problems.append(
                    Problem(
                        code="invalid-geometry",
                        message="the geometry cannot be decoded",
                        file=name,
                        row=index + 1,
                        column="geometry",
                    )
                )
    return FeatureTable(
        name=name,
        layer=chosen,
        columns=columns,
        geometries=geometries,
        crs=crs,
        reprojected=reprojected,
        problems=problems,
    )
