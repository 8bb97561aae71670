"""Feature readers: GeoJSON, GeoPackage and Shapefile (written with pyogrio), reprojection by GDAL."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pyogrio
import pytest
import shapely
from pyogrio import raw
from shapely.geometry import shape

from bettercities.core.errors import InvalidInput
from bettercities.ingest.geo import feature_suffixes, read_features

BERLIN = "berlin-mss-2019/berlin_planning_areas_until_2020.geojson"


def berlin_subset(open_data: Path, count: int = 12) -> tuple[list[dict], list[str], list[str]]:
    data = json.loads((open_data / BERLIN).read_text(encoding="utf-8"))
    features = data["features"][:count]
    return (
        [f["geometry"] for f in features],
        [f["properties"]["id"] for f in features],
        [f["properties"]["name"] for f in features],
    )


def write_layer(
    path: Path,
    geometries: list[dict],
    columns: dict[str, list],
    *,
    crs: str | None = "EPSG:4326",
    driver: str,
) -> Path:
    """Write features with pyogrio's raw writer (no geopandas here)."""
    wkb = shapely.to_wkb([shape(g) for g in geometries])
    names = list(columns)
    raw.write(
        str(path),
        np.array(wkb, dtype=object),
        [np.array(columns[n], dtype=object) for n in names],
        names,
        geometry_type="MultiPolygon",
        crs=crs,
        driver=driver,
        promote_to_multi=True,
    )
    return path


def reproject_to(source: Path, target: Path, crs: str, driver: str) -> Path:
    """A copy of ``source`` in ``crs``, transformed by GDAL (through an OGR VRT warped layer)."""
    layer = pyogrio.list_layers(source)[0][0]
    vrt = (
        f'<OGRVRTDataSource><OGRVRTWarpedLayer><OGRVRTLayer name="{escape(layer)}">'
        f"<SrcDataSource>{escape(str(source))}</SrcDataSource></OGRVRTLayer>"
        f"<TargetSRS>{crs}</TargetSRS></OGRVRTWarpedLayer></OGRVRTDataSource>"
    )
    meta, _fids, geometry, fields = raw.read(vrt)
    raw.write(
        str(target),
        geometry,
        list(fields),
        list(meta["fields"]),
        geometry_type=meta["geometry_type"],
        crs=meta["crs"],
        driver=driver,
    )
    return target


def test_suffixes_are_registered() -> None:
    assert {".geojson", ".gpkg", ".shp"} <= set(feature_suffixes())


def test_geojson(open_data: Path) -> None:
    features = read_features(open_data / BERLIN)
    assert len(features) == 448
    assert features.crs == "EPSG:4326" and not features.reprojected
    assert features.columns["id"][:2] == ["01011101", "01011102"]
    assert features.geometries[0] is not None and features.geometries[0]["type"] == "MultiPolygon"


@pytest.mark.parametrize(("suffix", "driver"), [(".gpkg", "GPKG"), (".shp", "ESRI Shapefile")])
def test_geopackage_and_shapefile(open_data: Path, tmp_path: Path, suffix: str, driver: str) -> None:
    geometries, ids, names = berlin_subset(open_data)
    path = write_layer(tmp_path / f"areas{suffix}", geometries, {"id": ids, "name": names}, driver=driver)
    features = read_features(path)
    assert features.columns["id"] == ids
    assert features.columns["name"] == names
    for ours, original in zip(features.geometries, geometries, strict=True):
        assert ours is not None
        assert (
            shape(ours).hausdorff_distance(shape(original)) < 1e-9
        )  # shapefiles store single parts as Polygon


def test_other_crs_is_reprojected_to_wgs84(open_data: Path, tmp_path: Path) -> None:
    geometries, ids, names = berlin_subset(open_data)
    wgs84 = write_layer(tmp_path / "wgs84.gpkg", geometries, {"id": ids, "name": names}, driver="GPKG")
    utm = reproject_to(wgs84, tmp_path / "utm33.shp", "EPSG:25833", "ESRI Shapefile")
    assert pyogrio.read_info(utm)["crs"] == "EPSG:25833"
    assert shape(read_features(wgs84).geometries[0] or {}).bounds[0] < 14  # longitude, not metres

    features = read_features(utm)
    assert features.reprojected and features.crs == "EPSG:25833"
    for ours, original in zip(features.geometries, geometries, strict=True):
        a, b = shape(ours or {}), shape(original)
        assert a.centroid.distance(b.centroid) < 1e-7  # ~1 cm: lon/lat order kept, datum unchanged
        assert a.area == pytest.approx(b.area, rel=1e-6)


def test_several_layers_and_missing_crs(open_data: Path, tmp_path: Path) -> None:
    geometries, ids, names = berlin_subset(open_data, 3)
    path = tmp_path / "two.gpkg"
    write_layer(path, geometries, {"id": ids, "name": names}, driver="GPKG")
    raw.write(
        str(path),
        np.array(shapely.to_wkb([shape(g) for g in geometries]), dtype=object),
        [np.array(ids, dtype=object)],
        ["code"],
        layer="second",
        geometry_type="MultiPolygon",
        crs="EPSG:4326",
        driver="GPKG",
        promote_to_multi=True,
        append=False,
    )
    first = read_features(path)
    assert [p.code for p in first.problems] == ["several-layers"]
    assert list(read_features(path, layer="second").columns) == ["code"]
    with pytest.raises(InvalidInput):
        read_features(path, layer="third")

    with pytest.warns(UserWarning, match="crs"):
        no_crs = write_layer(
            tmp_path / "nocrs.shp", geometries, {"id": ids}, driver="ESRI Shapefile", crs=None
        )
    assert [p.code for p in read_features(no_crs).problems] == ["missing-crs"]


def test_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "areas.kml"
    path.write_text("<kml/>")
    with pytest.raises(InvalidInput) as refused:
        read_features(path)
    assert refused.value.report is not None
    assert refused.value.report.problems[0].code == "unsupported-format"
