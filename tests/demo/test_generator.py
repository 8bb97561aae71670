"""The demo city generator: determinism, hierarchy, geometry, value ranges and social-statistical realism."""

from __future__ import annotations

import json
import math
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

import bettercities.demo as demo_package
from bettercities.core.errors import NotFound
from bettercities.demo import DEMO_INDICATORS, DemoCity, generate_demo_city

LEVEL_ORDER = ("district", "district_region", "planning_area")
CODE_LENGTH = {"district": 2, "district_region": 4, "planning_area": 8}
REQUIRED_INDICATORS = {
    "inhabitants",
    "unemployment",
    "long_term_unemployment",
    "transfer_benefits",
    "child_poverty",
    "single_parent_households",
    "migration_background",
    "foreign_nationals",
    "age_under_18",
    "age_65_plus",
    "residential_mobility",
    "old_age_poverty",
    "residential_duration_5y",
    "social_housing",
}


@pytest.fixture(scope="module")
def demo() -> DemoCity:
    return generate_demo_city(seed=2026)


def geometries(city: DemoCity, level: str) -> dict[str, shapely.Geometry]:
    return {area.code: shape(area.geometry) for area in city.areas if area.level_code == level}


def wide(city: DemoCity, period: str) -> pd.DataFrame:
    """Planning areas × indicators for one period, rows in area-code order."""
    rows = city.observations[city.observations["period_code"] == period]
    return rows.pivot(index="area_code", columns="indicator_code", values="value").sort_index()


def city_rate(city: DemoCity, indicator: str, period: str) -> float:
    rows = city.observations[
        (city.observations["indicator_code"] == indicator) & (city.observations["period_code"] == period)
    ]
    return float(rows["numerator"].sum() / rows["denominator"].sum() * 100)


def queen_weights(geoms: list[shapely.Geometry]) -> np.ndarray:
    """Binary contiguity matrix: areas sharing at least a boundary point (queen), floating noise tolerated."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=1e-7)
    w = np.zeros((len(geoms), len(geoms)))
    off_diagonal = left != right
    w[left[off_diagonal], right[off_diagonal]] = 1.0
    return w


def morans_i(values: np.ndarray, w: np.ndarray) -> float:
    """Moran's I = n / S0 · zᵀWz / zᵀz with z the deviations from the mean (Moran 1950)."""
    z = values - values.mean()
    return float(len(values) / w.sum() * (z @ w @ z) / (z @ z))


def shoelace(ring: list[list[float]]) -> float:
    xy = np.asarray(ring)
    return float(0.5 * np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))


def polygons(geometry: dict) -> list[list[list[list[float]]]]:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


# --- the test helpers against hand-computed values --------------------------------------------------


def _strip(n: int) -> list[shapely.Geometry]:
    return [shapely.box(i, 0, i + 1, 1) for i in range(n)]


def test_morans_i_helper_matches_hand_computed_values() -> None:
    w = queen_weights(_strip(4))
    assert w.sum() == 6  # a path of four squares: three shared edges, counted both ways
    # Alternating values on a path are perfectly negatively autocorrelated.
    assert morans_i(np.array([1.0, 0.0, 1.0, 0.0]), w) == pytest.approx(-1.0)
    # z = (.5, .5, -.5, -.5): zᵀWz = 2 · (.25 - .25 + .25) = .5, zᵀz = 1, I = 4/6 · .5.
    assert morans_i(np.array([1.0, 1.0, 0.0, 0.0]), w) == pytest.approx(1 / 3)


def test_shoelace_sign_is_positive_for_counter_clockwise_rings() -> None:
    assert shoelace([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]) == pytest.approx(1.0)
    assert shoelace([[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]) == pytest.approx(-1.0)


# --- determinism -------------------------------------------------------------------------------------


def test_same_seed_gives_identical_city(demo: DemoCity) -> None:
    again = generate_demo_city(seed=2026)
    pd.testing.assert_frame_equal(demo.observations, again.observations)
    assert demo.areas == again.areas  # codes, names, parents and every coordinate
    assert demo.city == again.city
    assert demo.indicators == again.indicators
    assert demo.periods == again.periods


def test_other_seed_gives_other_city(demo: DemoCity) -> None:
    other = generate_demo_city(seed=2027)
    assert [a.geometry for a in other.areas] != [a.geometry for a in demo.areas]
    assert not demo.observations["value"].equals(other.observations["value"])
    assert {a.name for a in other.areas} != {a.name for a in demo.areas}


# --- counts, codes and names ---------------------------------------------------------------------------


def test_counts(demo: DemoCity) -> None:
    levels = Counter(area.level_code for area in demo.areas)
    assert levels == {"district": 12, "district_region": 60, "planning_area": 450}
    assert demo.periods == tuple(str(year) for year in range(2013, 2025))
    assert len([i for i in demo.indicators if i.code != "inhabitants"]) >= 12
    assert {i.code for i in demo.indicators} >= REQUIRED_INDICATORS


def test_levels_form_a_chain() -> None:
    levels = generate_demo_city(seed=3, n_planning_areas=40, n_district_regions=8, n_districts=3).levels
    assert tuple(level.code for level in levels) == LEVEL_ORDER
    assert [level.parent_code for level in levels] == [None, "district", "district_region"]
    assert [level.name_de for level in levels] == ["Bezirk", "Bezirksregion", "Planungsraum"]


def test_codes_are_hierarchical_and_unique(demo: DemoCity) -> None:
    by_code = {area.code: area for area in demo.areas}
    assert len(by_code) == len(demo.areas)
    parent_level = {"district_region": "district", "planning_area": "district_region"}
    for area in demo.areas:
        assert re.fullmatch(r"\d+", area.code)
        assert len(area.code) == CODE_LENGTH[area.level_code]
        if area.level_code == "district":
            assert area.parent_code is None
            continue
        assert area.parent_code is not None
        assert area.code.startswith(area.parent_code)
        assert by_code[area.parent_code].level_code == parent_level[area.level_code]
    districts = sorted(a.code for a in demo.areas if a.level_code == "district")
    assert districts == [f"{i:02d}" for i in range(1, 13)]
    assert "01010101" in by_code
    assert [a.code for a in demo.areas] == sorted((a.code for a in demo.areas), key=lambda c: (len(c), c)), (
        "areas are listed level by level, each in code order"
    )


def test_every_parent_has_children(demo: DemoCity) -> None:
    parents = {area.parent_code for area in demo.areas}
    for area in demo.areas:
        if area.level_code != "planning_area":
            assert area.code in parents


def test_names_are_unique_and_plausible(demo: DemoCity) -> None:
    names = [area.name for area in demo.areas]
    assert len(set(names)) == len(names)
    assert demo.city.name not in names
    assert next(a.name for a in demo.areas if a.code == "01") == "Mitte"
    for name in names:
        assert re.fullmatch(r"[A-ZÄÖÜ][A-Za-zÄÖÜäöüß\- ]+", name), name
        assert "  " not in name and len(name) <= 40


def test_city_identity(demo: DemoCity) -> None:
    city = demo.city
    assert city.country == "DE"
    assert re.fullmatch(r"\d{8}", city.ags) and city.lau_code == city.ags
    assert re.fullmatch(r"DE\d{3}C", city.urau_code)
    assert re.fullmatch(r"DE[0-9A-Z]{3}", city.nuts3_code)
    assert city.slug == re.sub(r"[^a-z0-9-]", "", city.slug)
    assert 12.8 < city.lon < 13.2 and 52.1 < city.lat < 52.3
    latest = demo.observations.query("indicator_code == 'inhabitants' and period_code == '2024'")
    assert city.population == int(latest["value"].sum())


# --- geometry ------------------------------------------------------------------------------------------


def test_geometries_are_valid_ccw_polygons(demo: DemoCity) -> None:
    for area in demo.areas:
        assert area.geometry["type"] in {"Polygon", "MultiPolygon"}
        geom = shape(area.geometry)
        assert geom.is_valid, (area.code, shapely.is_valid_reason(geom))
        assert geom.area > 0
        for polygon in polygons(area.geometry):
            exterior, *holes = polygon
            assert exterior[0] == exterior[-1]
            assert shoelace(exterior) > 0, f"{area.code}: exterior ring must be counter-clockwise"
            assert all(shoelace(hole) < 0 for hole in holes), f"{area.code}: holes must be clockwise"
        for x, y in (point for polygon in polygons(area.geometry) for ring in polygon for point in ring):
            assert 12.5 < x < 13.5 and 51.9 < y < 52.5


def test_city_outline_has_the_requested_area(demo: DemoCity) -> None:
    city = shapely.union_all(list(geometries(demo, "district").values()))
    km2_per_deg2 = 111.32**2 * math.cos(math.radians(city.centroid.y))
    assert city.area * km2_per_deg2 == pytest.approx(890, rel=0.02)
    assert isinstance(city, shapely.Polygon) and len(city.interiors) == 0


def test_planning_areas_tile_the_city_without_overlaps(demo: DemoCity) -> None:
    cells = list(geometries(demo, "planning_area").values())
    assert shapely.coverage_is_valid(cells)
    union = shapely.union_all(cells)
    assert sum(cell.area for cell in cells) == pytest.approx(union.area, rel=1e-9)


@pytest.mark.parametrize(
    ("child", "parent"), [("planning_area", "district_region"), ("district_region", "district")]
)
def test_children_lie_in_and_exactly_cover_their_parent(demo: DemoCity, child: str, parent: str) -> None:
    children = geometries(demo, child)
    parents = geometries(demo, parent)
    parent_of = {a.code: a.parent_code for a in demo.areas if a.level_code == child}
    for parent_code, parent_geom in parents.items():
        members = [children[c] for c, p in parent_of.items() if p == parent_code]
        for member in members:
            assert member.difference(parent_geom).area <= 1e-9 * member.area
        assert sum(m.area for m in members) == pytest.approx(parent_geom.area, rel=1e-9)
        assert shapely.union_all(members).symmetric_difference(parent_geom).area <= 1e-9 * parent_geom.area


def test_regions_and_districts_are_contiguous(demo: DemoCity) -> None:
    for level in ("district_region", "district"):
        for code, geom in geometries(demo, level).items():
            assert isinstance(geom, shapely.Polygon), f"{level} {code} falls apart"


def test_inner_planning_areas_are_smaller(demo: DemoCity) -> None:
    cells = geometries(demo, "planning_area")
    centre = shapely.Point(demo.city.lon, demo.city.lat)
    distance = np.array([cell.centroid.distance(centre) for cell in cells.values()])
    area = np.array([cell.area for cell in cells.values()])
    inner, outer = distance < np.quantile(distance, 0.25), distance > np.quantile(distance, 0.75)
    assert np.median(area[outer]) > 3 * np.median(area[inner])


def test_area_features_is_a_feature_collection(demo: DemoCity) -> None:
    collection = demo.area_features("district_region")
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 60
    feature = collection["features"][0]
    assert feature["type"] == "Feature"
    assert set(feature["properties"]) == {"code", "name", "parent"}
    assert feature["properties"]["parent"] == feature["properties"]["code"][:2]
    assert json.loads(json.dumps(collection)) == collection
    feature["geometry"]["coordinates"].clear()  # a copy: the city stays intact
    assert demo.area_features("district_region")["features"][0]["geometry"]["coordinates"]
    assert all(f["properties"]["parent"] is None for f in demo.area_features("district")["features"])


def test_area_features_rejects_unknown_level(demo: DemoCity) -> None:
    with pytest.raises(NotFound):
        demo.area_features("borough")


# --- indicator catalogue and observations ---------------------------------------------------------------


def test_indicator_catalogue_is_consistent() -> None:
    codes = [i.code for i in DEMO_INDICATORS]
    assert len(set(codes)) == len(codes)
    for indicator in DEMO_INDICATORS:
        assert indicator.polarity in {"higher_is_better", "higher_is_worse", "neutral"}
        assert indicator.kind in {"count", "share", "ratio", "value"}
        assert indicator.aggregation in {"sum", "ratio", "weighted_mean"}
        assert indicator.theme in {"labour", "poverty", "demography", "housing", "migration"}
        assert indicator.name_de and indicator.name_en and indicator.unit
        assert indicator.description_de.endswith(".") and indicator.description_en.endswith(".")
        if indicator.aggregation == "ratio":
            assert indicator.numerator_code and indicator.denominator_code and indicator.factor > 0
        if indicator.aggregation == "weighted_mean":
            assert indicator.weight_code in codes
        if indicator.kind == "share":
            assert (indicator.unit, indicator.min_value, indicator.max_value) == ("%", 0.0, 100.0)
    by_code = {i.code: i for i in DEMO_INDICATORS}
    unemployment = by_code["unemployment"]
    assert (unemployment.numerator_code, unemployment.denominator_code) == ("unemployed", "population_15_65")
    assert unemployment.factor == 100 and unemployment.polarity == "higher_is_worse"
    assert by_code["residential_duration_5y"].polarity == "higher_is_better"
    assert (by_code["inhabitants"].kind, by_code["inhabitants"].aggregation) == ("count", "sum")
    assert by_code["residential_mobility"].unit == "per 100 inhabitants"


def test_observations_cover_planning_areas_periods_and_indicators(demo: DemoCity) -> None:
    obs = demo.observations
    assert list(obs.columns) == [
        "indicator_code",
        "area_code",
        "period_code",
        "value",
        "numerator",
        "denominator",
    ]
    planning = {a.code for a in demo.areas if a.level_code == "planning_area"}
    assert set(obs["area_code"]) == planning
    assert set(obs["period_code"]) == set(demo.periods)
    assert set(obs["indicator_code"]) == {i.code for i in demo.indicators}
    assert not obs.duplicated(["indicator_code", "area_code", "period_code"]).any()
    # Only ratios without a denominator may be missing, and there are few of them.
    full = len(planning) * len(demo.periods)
    counts = obs.groupby("indicator_code").size()
    assert counts["inhabitants"] == full and counts["unemployment"] == full
    assert (counts >= 0.99 * full).all()


def test_ratio_values_follow_from_numerator_and_denominator(demo: DemoCity) -> None:
    obs = demo.observations
    for indicator in demo.indicators:
        rows = obs[obs["indicator_code"] == indicator.code]
        value, numerator, denominator = (rows[c].to_numpy() for c in ("value", "numerator", "denominator"))
        if indicator.aggregation != "ratio":
            assert np.isnan(numerator).all() and np.isnan(denominator).all()
            continue
        assert (numerator == np.round(numerator)).all() and (denominator == np.round(denominator)).all()
        assert (numerator >= 0).all() and (denominator >= 0).all()
        # 0 of 0: no rate, but the row stays so that sums over areas stay complete.
        undefined = denominator == 0
        assert (numerator[undefined] == 0).all() and np.isnan(value[undefined]).all()
        value, numerator, denominator = value[~undefined], numerator[~undefined], denominator[~undefined]
        expected = np.round(numerator / denominator * indicator.factor, indicator.decimals)
        np.testing.assert_allclose(value, expected, rtol=0, atol=10.0**-indicator.decimals / 2)
        if indicator.kind == "share":
            assert (numerator <= denominator).all(), indicator.code
            assert ((value >= 0) & (value <= 100)).all(), indicator.code


def test_denominators_are_consistent_across_indicators(demo: DemoCity) -> None:
    obs = demo.observations.set_index(["area_code", "period_code"])

    def base(indicator: str, column: str) -> pd.Series:
        return obs[obs["indicator_code"] == indicator][column]

    inhabitants = base("inhabitants", "value")
    for indicator in ("migration_background", "foreign_nationals", "age_under_18", "residential_duration_5y"):
        denominator = base(indicator, "denominator")
        pd.testing.assert_series_equal(denominator, inhabitants.loc[denominator.index], check_names=False)
    # Unemployed persons who are long-term unemployed are a subset of all unemployed.
    long_term = base("long_term_unemployment", "numerator")
    assert (long_term <= base("unemployment", "numerator").loc[long_term.index]).all()
    foreign = base("foreign_nationals", "numerator")
    assert (foreign <= base("migration_background", "numerator").loc[foreign.index]).all()


def test_values_within_declared_bounds(demo: DemoCity) -> None:
    for indicator in demo.indicators:
        values = demo.observations.loc[demo.observations["indicator_code"] == indicator.code, "value"]
        if indicator.min_value is not None:
            assert values.min() >= indicator.min_value, indicator.code
        if indicator.max_value is not None:
            assert values.max() <= indicator.max_value, indicator.code


# --- realism -----------------------------------------------------------------------------------------------


def test_inhabitants_are_realistic(demo: DemoCity) -> None:
    inhabitants = demo.observations.query("indicator_code == 'inhabitants'").pivot(
        index="area_code", columns="period_code", values="value"
    )
    totals = inhabitants.sum()
    assert ((totals > 1.2e6) & (totals < 1.6e6)).all()
    assert totals["2024"] > totals["2013"]
    latest = inhabitants["2024"]
    assert latest.between(300, 20_000).mean() > 0.95
    assert 1 <= (latest < 300).sum() <= 25, "a few small areas (parks, industry)"
    assert (latest < 50).sum() >= 1, "an almost empty area"
    assert latest.max() > 8_000


def test_unemployment_clusters_in_space(demo: DemoCity) -> None:
    values = wide(demo, "2024")
    cells = geometries(demo, "planning_area")
    w = queen_weights([cells[code] for code in values.index])
    assert (w.sum(axis=1) > 0).all(), "every planning area has a neighbour"
    assert 4 < w.sum(axis=1).mean() < 8, "Voronoi cells have about six neighbours"
    assert morans_i(values["unemployment"].to_numpy(), w) > 0.3
    assert morans_i(values["transfer_benefits"].to_numpy(), w) > 0.3
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(values["unemployment"].to_numpy())
    assert abs(morans_i(shuffled, w)) < 0.1, "the statistic itself does not produce clustering"


def test_social_indicators_correlate(demo: DemoCity) -> None:
    for period in ("2013", "2024"):
        corr = wide(demo, period).corr()["unemployment"]
        assert corr["transfer_benefits"] > 0.6
        assert corr["child_poverty"] > 0.6
        assert corr["single_parent_households"] > 0.4
        assert corr["long_term_unemployment"] > 0.6
        assert corr["residential_duration_5y"] < 0


def test_unemployment_falls_to_2019_and_bumps_in_2020(demo: DemoCity) -> None:
    rates = {period: city_rate(demo, "unemployment", period) for period in demo.periods}
    assert rates["2019"] < rates["2013"] - 1.0
    assert all(rates[str(y + 1)] < rates[str(y)] for y in range(2013, 2019))
    assert rates["2020"] > rates["2019"]
    assert min(rates.values()) > 3 and max(rates.values()) < 15


def test_most_regions_improve_while_a_few_deteriorate(demo: DemoCity) -> None:
    # District-region rates (sums of planning-area counts) average the binomial noise out.
    rows = demo.observations[demo.observations["indicator_code"] == "unemployment"]
    counts = rows.groupby([rows["area_code"].str[:4], "period_code"])[["numerator", "denominator"]].sum()
    rate = (counts["numerator"] / counts["denominator"] * 100).unstack()
    change = rate["2024"] - rate["2013"]
    assert (change < -2.0).sum() >= 0.25 * len(change), "broad improvement (and gentrification)"
    assert 2 <= (change > 0).sum() <= 0.2 * len(change), "against the trend, a few regions deteriorate"


# --- arguments and properties -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        {"n_planning_areas": 10, "n_district_regions": 20},
        {"n_district_regions": 5, "n_districts": 6},
        {"n_districts": 0},
        {"first_year": 2024, "last_year": 2013},
        {"area_km2": 0.0},
        {"n_planning_areas": 200, "n_district_regions": 150, "n_districts": 100},
    ],
)
def test_invalid_arguments_are_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        generate_demo_city(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [1, 2, 5])
def test_degenerate_sizes_still_give_a_consistent_city(size: int) -> None:
    city = generate_demo_city(seed=5, n_planning_areas=size, n_district_regions=size, n_districts=size)
    assert Counter(a.level_code for a in city.areas) == dict.fromkeys(LEVEL_ORDER, size)
    assert all(shape(a.geometry).is_valid for a in city.areas)
    assert city.city.population > 0


def test_public_api_is_explicit() -> None:
    assert demo_package.__all__ == sorted(demo_package.__all__)
    for name in demo_package.__all__:
        assert getattr(demo_package, name) is not None
    with pytest.raises(AttributeError):
        getattr(demo_package, "no_such_name")  # noqa: B009


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    n_planning_areas=st.integers(min_value=20, max_value=160),
    regions_per_district=st.integers(min_value=1, max_value=6),
    n_districts=st.integers(min_value=1, max_value=6),
    years=st.integers(min_value=1, max_value=4),
)
def test_any_small_city_is_consistent(
    seed: int, n_planning_areas: int, regions_per_district: int, n_districts: int, years: int
) -> None:
    n_regions = min(n_planning_areas, regions_per_district * n_districts)
    city = generate_demo_city(
        seed=seed,
        n_planning_areas=n_planning_areas,
        n_district_regions=n_regions,
        n_districts=n_districts,
        first_year=2018,
        last_year=2018 + years - 1,
        area_km2=300.0,
    )
    levels = Counter(area.level_code for area in city.areas)
    assert levels == {
        "district": n_districts,
        "district_region": n_regions,
        "planning_area": n_planning_areas,
    }
    assert len({area.name for area in city.areas}) == len(city.areas)
    cells = geometries(city, "planning_area")
    assert all(cell.is_valid and cell.area > 0 for cell in cells.values())
    assert shapely.coverage_is_valid(list(cells.values()))
    for parent_level, child_level in (("district", "district_region"), ("district_region", "planning_area")):
        parents = geometries(city, parent_level)
        for area in city.areas:
            if area.level_code == child_level:
                assert area.parent_code is not None and area.code.startswith(area.parent_code)
                child = shape(area.geometry)
                assert child.difference(parents[area.parent_code]).area <= 1e-9 * child.area
    obs = city.observations
    shares = obs[obs["indicator_code"].isin([i.code for i in city.indicators if i.kind == "share"])]
    assert (shares["numerator"] <= shares["denominator"]).all()
    assert len(obs) > 0 and set(obs["period_code"]) == set(city.periods)
