"""Area imports: problems by feature number and column, all or nothing, provenance, any CRS."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bettercities.areas.models import Area, SpatialLevel
from bettercities.areas.schemas import CitySpec
from bettercities.core.errors import InvalidInput
from bettercities.indicators.models import ImportBatch
from bettercities.ingest.schemas import AreaImportOptions
from bettercities.ingest.service import import_areas
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import square
from tests.ingest.test_geo import berlin_subset, reproject_to, write_layer


def geojson(path: Path, features: list[tuple[dict, dict | None]]) -> Path:
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def areas_in(ws: Workspace, level: str) -> dict[str, Area]:
    with ws.database.reader() as session:
        rows = session.scalars(
            select(Area)
            .join(SpatialLevel, SpatialLevel.id == Area.level_id)
            .where(SpatialLevel.code == level)
        ).all()
        for area in rows:
            session.expunge(area)  # loaded attributes stay readable after the session ends
        return {a.code: a for a in rows}


@pytest.fixture
def city(workspace: Workspace) -> Workspace:
    from bettercities.areas import service as areas

    with workspace.database.session() as session:
        areas.create_city(session, CitySpec(slug="t", name="T", country="DE"))
    return workspace


def test_geopackage_import_creates_level_and_records_provenance(
    city: Workspace, open_data: Path, tmp_path: Path
) -> None:
    geometries, ids, names = berlin_subset(open_data, 8)
    path = write_layer(tmp_path / "plr.gpkg", geometries, {"PLR_ID": ids, "PLR_NAME": names}, driver="GPKG")
    result = import_areas(
        city.database,
        "t",
        path,
        AreaImportOptions(
            level="planning_area",
            level_name_de="Planungsraum",
            level_name_en="planning area",
            id_column="PLR_ID",
            name_column="PLR_NAME",
            valid_from=date(2019, 1, 1),
        ),
        user="tester",
    )
    assert (result.features, result.created, result.updated) == (8, 8, 0)
    stored = areas_in(city, "planning_area")
    assert sorted(stored) == sorted(ids)
    first = stored[ids[0]]
    assert first.name == names[0] and first.valid_from == date(2019, 1, 1)
    assert first.import_id == result.batch_id and first.area_km2 and first.area_km2 > 0
    with city.database.reader() as session:
        batch = session.get(ImportBatch, result.batch_id)
        level = session.scalar(select(SpatialLevel).where(SpatialLevel.code == "planning_area"))
        assert batch is not None and level is not None
        assert (level.name_de, level.name_en) == ("Planungsraum", "planning area")
        assert (batch.kind, batch.file_name, batch.user, batch.rows, batch.inserted) == (
            "areas",
            "plr.gpkg",
            "tester",
            8,
            8,
        )
        assert batch.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert json.loads(batch.options or "{}")["id_column"] == "PLR_ID"

    again = import_areas(
        city.database,
        "t",
        path,
        AreaImportOptions(
            level="planning_area", id_column="PLR_ID", name_column="PLR_NAME", valid_from=date(2019, 1, 1)
        ),
    )
    assert (again.created, again.updated) == (0, 8)


def test_shapefile_in_utm_is_stored_in_wgs84(city: Workspace, open_data: Path, tmp_path: Path) -> None:
    geometries, ids, names = berlin_subset(open_data, 5)
    wgs84 = write_layer(tmp_path / "w.gpkg", geometries, {"id": ids, "name": names}, driver="GPKG")
    utm = reproject_to(wgs84, tmp_path / "utm.shp", "EPSG:25833", "ESRI Shapefile")
    result = import_areas(city.database, "t", utm, AreaImportOptions(level="planning_area"))
    assert result.reprojected and result.crs == "EPSG:25833"
    stored = areas_in(city, "planning_area")
    assert 13.0 < (stored[ids[0]].centroid_lon or 0) < 13.8
    assert 52.3 < (stored[ids[0]].centroid_lat or 0) < 52.7


def test_every_problem_is_reported_and_nothing_written(city: Workspace, tmp_path: Path) -> None:
    from bettercities.areas import service as areas
    from bettercities.areas.schemas import AreaSpec, LevelSpec

    with city.database.session() as session:
        c = areas.get_city(session, "t")
        district = areas.ensure_level(
            session, c, LevelSpec(code="district", name_de="Bezirk", name_en="district")
        )
        areas.add_areas(session, c, district, [AreaSpec(code="D1", name="One", geometry=square(13, 52, 0.1))])
    path = geojson(
        tmp_path / "bad.geojson",
        [
            ({"id": "A1", "name": "ok", "district": "D1"}, square(13, 52)),
            ({"id": None, "name": "no id", "district": "D1"}, square(13.01, 52)),  # feature 2
            ({"id": "A1", "name": "again", "district": "D1"}, square(13.02, 52)),  # feature 3
            (
                {"id": "A4", "name": "line", "district": "D1"},
                {"type": "LineString", "coordinates": [[13, 52], [13.1, 52]]},
            ),
            ({"id": "A5", "name": "orphan", "district": "D9"}, square(13.04, 52)),  # feature 5
            ({"id": "A6", "name": "metres", "district": "D1"}, square(390000, 5820000, 100)),
        ],
    )
    with pytest.raises(InvalidInput) as refused:
        import_areas(
            city.database,
            "t",
            path,
            AreaImportOptions(level="block", parent_level="district", parent_column="district"),
        )
    report = refused.value.report
    assert report is not None
    found = sorted((p.row, p.column, p.code) for p in report.errors)
    assert found == [
        (2, "id", "missing-value"),
        (3, "id", "duplicate-key"),
        (4, "geometry", "invalid-geometry"),
        (5, "district", "unknown-parent"),
        (6, "geometry", "invalid-geometry"),
    ]
    assert "first in feature 1" in next(p.message for p in report.errors if p.code == "duplicate-key")
    assert areas_in(city, "block") == {}
    with city.database.reader() as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 0
        assert session.scalar(select(func.count(SpatialLevel.id)).where(SpatialLevel.code == "block")) == 0


def test_parents_and_fixed_ids(city: Workspace, tmp_path: Path) -> None:
    top = geojson(tmp_path / "d.geojson", [({"id": 1, "name": "North"}, square(13, 52, 0.1))])
    import_areas(city.database, "t", top, AreaImportOptions(level="district"))
    blocks = geojson(
        tmp_path / "b.geojson",
        [
            ({"code": "11", "label": "A", "parent": 1.0}, square(13, 52)),
            ({"code": "11", "label": "B", "parent": 1.0}, square(13.01, 52)),
        ],
    )
    result = import_areas(
        city.database,
        "t",
        blocks,
        AreaImportOptions(
            level="block",
            parent_level="district",
            id_column="code",
            name_column="label",
            parent_column="parent",
            id_fixes={2: "12"},
        ),
    )
    assert [(p.code, p.row, p.value) for p in result.report.warnings] == [("id-fixed", 2, "11")]
    stored = areas_in(city, "block")
    district = areas_in(city, "district")["1"]  # an integer id is read as text
    assert {c: a.parent_id for c, a in stored.items()} == {"11": district.id, "12": district.id}


def test_missing_attribute_is_named(city: Workspace, tmp_path: Path) -> None:
    path = geojson(tmp_path / "x.geojson", [({"ID": "1", "name": "x"}, square(13, 52))])
    with pytest.raises(InvalidInput) as refused:
        import_areas(city.database, "t", path, AreaImportOptions(level="block"))
    assert refused.value.report is not None
    assert [(p.code, p.column) for p in refused.value.report.problems] == [("missing-column", "id")]


BOWTIE = {  # self-intersecting at (13.005, 52.005)
    "type": "Polygon",
    "coordinates": [[[13, 52], [13.01, 52.01], [13.01, 52], [13, 52.01], [13, 52]]],
}
UNCLOSED = {"type": "Polygon", "coordinates": [[[13.02, 52], [13.03, 52], [13.03, 52.01]]]}


def test_repaired_geometry_is_reported_with_its_feature(city: Workspace, tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "bowtie.geojson",
        [({"id": "A1", "name": "ok"}, square(13.1, 52)), ({"id": "A2", "name": "bow tie"}, BOWTIE)],
    )
    result = import_areas(city.database, "t", path, AreaImportOptions(level="block"))
    assert result.created == 2
    [warning] = result.report.warnings
    assert (warning.code, warning.row, warning.column) == ("geometry-repaired", 2, "geometry")
    assert "'A2'" in warning.message and "self-intersection at 13.005, 52.005" in warning.message
    assert "MultiPolygon of 2 parts" in warning.message
    assert json.loads(areas_in(city, "block")["A2"].geometry or "{}")["type"] == "MultiPolygon"


def test_one_problem_per_cause_in_file_order(city: Workspace, tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "broken.geojson",
        [
            ({"id": "A1", "name": "ok"}, square(13.1, 52)),
            ({"id": "A2", "name": "bow tie"}, BOWTIE),
            ({"id": "A3", "name": "unclosed ring"}, UNCLOSED),  # GDAL reads it, shapely cannot decode it
            ({"id": None, "name": "no id"}, square(13.2, 52)),
            ({"id": "A5", "name": ""}, square(13.3, 52)),
        ],
    )
    with pytest.raises(InvalidInput) as refused:
        import_areas(city.database, "t", path, AreaImportOptions(level="block"))
    report = refused.value.report
    assert report is not None
    assert [(p.row, p.code) for p in report.problems] == [
        (2, "geometry-repaired"),
        (3, "invalid-geometry"),  # once: not also missing-geometry
        (4, "missing-value"),
        (5, "missing-value"),
    ]
    assert areas_in(city, "block") == {}
