"""Areas: validation collects every problem and writes nothing; hierarchy and validity; geometry facts."""

from __future__ import annotations

import itertools
import json
import math
from datetime import date

import pytest
from sqlalchemy import func, select

from bettercities.areas import service as areas
from bettercities.areas.geometry import GeometryError, normalise
from bettercities.areas.models import Area
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.storage.workspace import Workspace

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[13.0, 52.0], [13.0, 52.01], [13.01, 52.01], [13.01, 52.0], [13.0, 52.0]]],
}  # clockwise on purpose
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[13.0, 52.0], [13.01, 52.01], [13.01, 52.0], [13.0, 52.01], [13.0, 52.0]]],
}


def test_add_areas_reports_every_problem_and_writes_nothing(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="x", name="X", country="DE"))
        top = areas.ensure_level(
            session, city, LevelSpec(code="district", name_de="Bezirk", name_en="District")
        )
        areas.ensure_level(
            session, city, LevelSpec(code="block", name_de="Block", name_en="Block", parent="district")
        )
        areas.add_areas(session, city, top, [AreaSpec(code="D1", name="D1", geometry=SQUARE)])
    specs = [
        AreaSpec(code="1", name="ok", parent_code="D1", geometry=SQUARE),
        AreaSpec(code="1", name="again", parent_code="D1"),
        AreaSpec(code="2", name="no parent", parent_code="D9"),
        AreaSpec(code="3", name="point", geometry={"type": "Point", "coordinates": [13, 52]}),
        AreaSpec(code="4", name="dates", valid_from=date(2021, 1, 1), valid_to=date(2020, 1, 1)),
    ]
    with workspace.database.session() as session:
        city = areas.get_city(session, "x")
        with pytest.raises(InvalidInput) as caught:
            areas.add_areas(
                session, city, areas.get_level(session, city, "block"), specs, source="blocks.geojson"
            )
    found = [(p.code, p.row, p.column) for p in caught.value.report.problems]
    assert found == [
        ("duplicate-key", 2, "code"),
        ("unknown-parent", 3, "parent"),
        ("invalid-geometry", 4, "geometry"),
        ("invalid-validity", 5, "valid_to"),
    ]
    assert all(p.file == "blocks.geojson" for p in caught.value.report.problems)
    with workspace.database.reader() as session:
        assert session.scalar(select(func.count(Area.id)).where(Area.code != "D1")) == 0


def test_re_adding_updates_instead_of_duplicating(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="x", name="X", country="DE"))
        level = areas.ensure_level(session, city, LevelSpec(code="block", name_de="Block", name_en="Block"))
        assert areas.add_areas(session, city, level, [AreaSpec(code="1", name="Old")])[:2] == (1, 0)
        assert areas.add_areas(session, city, level, [AreaSpec(code="1", name="New")])[:2] == (0, 1)
        assert [a.name for a in areas.areas_of_level(session, level)] == ["New"]
        with pytest.raises(Conflict):
            areas.create_city(session, CitySpec(slug="x", name="X again", country="DE"))


def test_boundary_versions_are_selected_by_date(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="x", name="X", country="DE"))
        level = areas.ensure_level(session, city, LevelSpec(code="lor", name_de="LOR", name_en="LOR"))
        areas.add_areas(
            session,
            city,
            level,
            [
                AreaSpec(code="old", name="Old", valid_to=date(2021, 1, 1)),
                AreaSpec(code="new", name="New", valid_from=date(2021, 1, 1)),
            ],
        )
        assert [a.code for a in areas.areas_of_level(session, level, at=date(2020, 12, 31))] == ["old"]
        assert [a.code for a in areas.areas_of_level(session, level, at=date(2021, 1, 1))] == ["new"]
        assert len(areas.areas_of_level(session, level)) == 2


def test_geometry_is_oriented_counter_clockwise_and_measured() -> None:
    facts = normalise(SQUARE)
    ring = json.loads(facts.geojson)["coordinates"][0]
    signed = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))
    assert signed > 0  # RFC 7946: exterior rings counter-clockwise
    # Independent closed form for a lon/lat box on the authalic sphere (R = 6371.0072 km):
    # area = R·Δλ · R·(sin φ2 − sin φ1).
    r = 6371.0072
    expected = r * math.radians(0.01) * r * (math.sin(math.radians(52.01)) - math.sin(math.radians(52.0)))
    assert facts.area_km2 == pytest.approx(expected, rel=1e-9)
    assert (facts.min_lon, facts.max_lat) == (13.0, 52.01)


def test_self_intersecting_polygons_are_repaired_and_points_refused() -> None:
    repaired = normalise(BOWTIE)
    assert repaired.area_km2 > 0
    assert repaired.repaired is not None and repaired.repaired.startswith("self-intersection at ")
    assert normalise(SQUARE).repaired is None
    with pytest.raises(GeometryError, match="Polygon or MultiPolygon"):
        normalise({"type": "LineString", "coordinates": [[13, 52], [14, 53]]})
    with pytest.raises(GeometryError, match="WGS84"):
        normalise(
            {
                "type": "Polygon",
                "coordinates": [[[390000, 5800000], [391000, 5800000], [391000, 5801000], [390000, 5800000]]],
            }
        )
