"""Reports: class breaks and ramps, SVG drawing, the geometry and value caches and their invalidation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from bettercities.areas.models import Area
from bettercities.core.classify import ClassMethod
from bettercities.figures import svg
from bettercities.figures.classes import classify, ramp
from bettercities.figures.schemas import ChoroplethData, MapArea
from bettercities.figures.shapes import build_shapes
from bettercities.indicators.schemas import Series, SeriesPoint
from bettercities.storage.workspace import Workspace
from bettercities.views.cache import ValueCache
from bettercities.views.reader import Caches, Reader
from bettercities.views.schemas import ViewState
from bettercities.views.service import city_view, ranks
from tests.web.citybuilder import build_city

values_lists = st.lists(
    st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(values=values_lists, method=st.sampled_from(list(ClassMethod)), k=st.integers(3, 7))
def test_every_known_value_gets_a_class_within_its_bounds(values: list, method: ClassMethod, k: int) -> None:
    result = classify(values, method=method, k=k, polarity="higher_is_worse")
    assert sum(c.count for c in result.classes) + result.no_data_count == len(values)
    for value, index in zip(values, result.assignments, strict=True):
        assert (value is None) == (index is None)
        if value is not None:
            cls = result.classes[index]
            assert cls.lower - 1e-9 <= value <= cls.upper + 1e-9
    uppers = [c.upper for c in result.classes]
    assert uppers == sorted(uppers) and len(uppers) <= k


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.floats(min_value=0.1, max_value=1e4), min_size=6, max_size=40, unique=True))
def test_classes_do_not_depend_on_the_unit(values: list) -> None:
    """Rescaling (percent to per mille) keeps every area in its class."""
    first = classify(values, method="quantiles", k=5)
    second = classify([v * 10 for v in values], method="quantiles", k=5)
    assert first.assignments == second.assignments


def test_ramps_follow_polarity() -> None:
    assert ramp("higher_is_worse", 5)[-1] == "#a50f15"
    assert ramp("higher_is_better", 5)[-1] == "#0868ac"
    assert ramp("neutral", 5)[-1] == "#54278f"
    assert len(ramp("neutral", 2)) == 2 and len(ramp("neutral", 9)) == 7


def test_natural_breaks_are_deterministic() -> None:
    values = list(np.random.default_rng(7).gamma(2, 3, 200))
    one = classify(values, method="natural_breaks")
    two = classify(list(values), method="natural_breaks")
    assert [c.upper for c in one.classes] == [c.upper for c in two.classes]


def test_ranks_highest_first_ties_shared() -> None:
    assert ranks(np.array([3.0, np.nan, 5.0, 3.0, 1.0])).tolist() == [2, 0, 1, 2, 4]


def _square(x: float, y: float) -> str:
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def test_shapes_fill_the_frame_north_up() -> None:
    shapes = build_shapes([("a", _square(13.0, 52.0)), ("b", _square(14.0, 52.0)), ("none", None)])
    assert shapes.order == ("a", "b")
    assert shapes.width == 1000
    assert shapes.paths["a"].startswith("M0.0 ")  # west edge at x = 0
    ys = [float(t) for t in shapes.paths["a"][1:-1].split()[1::2]]
    assert min(ys) == 0.0 and max(ys) == pytest.approx(shapes.height, abs=0.1)


def test_svg_escapes_names_and_draws_one_path_per_area() -> None:
    shapes = build_shapes([("a", _square(13.0, 52.0)), ("b", _square(14.0, 52.0))])
    classification = classify([1.0, None], polarity="neutral")
    data = ChoroplethData(
        level="x", period="2020", indicator="i", classification=classification,
        areas=[
            MapArea(code="a", name="<script>", value=1.0, class_index=0, fill="#f2f0f7"),
            MapArea(code="b", name="B & C", value=None, fill="#d9d9d9"),
        ],
    )  # fmt: skip
    drawing = svg.choropleth(
        shapes, data, title="T", hover=lambda a: a.name, href=lambda a: f"/a/{a.code}?x=1&y=2"
    )
    assert drawing.count('<path class="area"') == 2
    assert "<script>" not in drawing and "&lt;script&gt;" in drawing and "B &amp; C" in drawing
    assert 'href="/a/a?x=1&amp;y=2"' in drawing and 'fill="url(#map-nodata)"' in drawing
    chart = svg.line_chart(
        [svg.Line("city", Series(indicator="i", area_code=None, points=[
            SeriesPoint(period="2020", value=1.0), SeriesPoint(period="2021", value=None, suppressed=True),
            SeriesPoint(period="2022", value=2.0),
        ]), "#000")],
        fmt=str, title="chart",
    )  # fmt: skip
    assert chart.count("<circle") == 2 and "<polyline" not in chart  # a gap where the value is withheld


def test_value_cache_recomputes_on_a_new_stamp_and_after_expiry() -> None:
    now = [0.0]
    cache = ValueCache(ttl=10, clock=lambda: now[0])
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert cache.get("k", 1, compute) == 1
    assert cache.get("k", 1, compute) == 1
    assert cache.get("k", 2, compute) == 2
    now[0] = 11
    assert cache.get("k", 2, compute) == 3


def test_caches_follow_the_data(sqlite_workspace: Workspace) -> None:
    """New observations and changed boundaries show at once; unchanged data is served from the caches."""
    build_city(sqlite_workspace)
    caches = Caches()
    db = sqlite_workspace.database
    state = ViewState(indicator="inhabitants", period="2022")
    with db.reader() as session:
        first = city_view(Reader(session, caches), "testville", state)
        Reader(session, caches).shapes(first.city.id, first.level.id, "2022")
    misses, builds = caches.values.misses, caches.shapes.builds
    with db.reader() as session:
        again = city_view(Reader(session, caches), "testville", state)
        Reader(session, caches).shapes(first.city.id, first.level.id, "2022")
    assert again == first and caches.values.misses == misses and caches.shapes.builds == builds
    build_city(sqlite_workspace, slug="otherville", name="Otherville", years=(2022,))
    with db.reader() as session:
        city_view(Reader(session, caches), "testville", state)
    assert caches.values.misses > misses  # a new stamp: recomputed
    with db.session() as session:  # a boundary edit in place (no new row): the geometry marker sees it
        area = session.query(Area).filter(Area.code == "0101", Area.city_id == first.city.id).one()
        moved = json.loads(area.geometry)
        moved["coordinates"][0][0][0] += 0.001
        moved["coordinates"][0][-1][0] += 0.001
        session.execute(update(Area).where(Area.id == area.id).values(geometry=json.dumps(moved) + " "))
    with db.reader() as session:
        Reader(session, caches).shapes(first.city.id, first.level.id, "2022")
    assert caches.shapes.builds == builds + 1
