"""Registry, periods, aggregation up the hierarchy and across a boundary change — on both backends.

Expected values are computed by hand in the comments (sums of numerators and denominators,
population-weighted means), not taken from the code's earlier output.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.schemas import AreaSpec, CitySpec, CrosswalkEntrySpec, LevelSpec
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Observation
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace


def square(x: float, y: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
    }


INDICATORS = [
    IndicatorSpec(
        code="inhabitants",
        name_de="Einwohner",
        name_en="Inhabitants",
        kind="count",
        aggregation="sum",
        unit="persons",
        decimals=0,
    ),
    IndicatorSpec(
        code="unemployment",
        name_de="Arbeitslosigkeit",
        name_en="Unemployment",
        kind="share",
        aggregation="ratio",
        factor=100,
        unit="%",
        polarity="higher_is_worse",
        min_value=0,
        max_value=100,
        decimals=2,
    ),
    IndicatorSpec(
        code="migration",
        name_de="Migrationshintergrund",
        name_en="Migration background",
        kind="share",
        aggregation="weighted_mean",
        unit="%",
        decimals=1,
    ),
    IndicatorSpec(code="median_age", name_de="Medianalter", name_en="Median age", aggregation="none"),
]

# area: (inhabitants, unemployed, population 15-65, migration %)
DATA = {"A1": (1000, 50, 600, 20.0), "A2": (3000, 90, 2000, 40.0), "B1": (500, 40, 300, 10.0)}


def build(session: Session) -> None:
    city = areas.create_city(session, CitySpec(slug="test", name="Teststadt", country="DE"))
    district = areas.ensure_level(
        session, city, LevelSpec(code="district", name_de="Bezirk", name_en="District")
    )
    planning = areas.ensure_level(
        session,
        city,
        LevelSpec(code="planning_area", name_de="Planungsraum", name_en="Planning area", parent="district"),
    )
    areas.add_areas(
        session,
        city,
        district,
        [
            AreaSpec(code="A", name="Nord", geometry=square(13.0, 52.0, 0.02)),
            AreaSpec(code="B", name="Süd", geometry=square(13.0, 51.98, 0.02)),
        ],
    )
    areas.add_areas(
        session,
        city,
        planning,
        [
            AreaSpec(code="A1", name="Nord 1", parent_code="A", geometry=square(13.0, 52.0)),
            AreaSpec(code="A2", name="Nord 2", parent_code="A", geometry=square(13.01, 52.0)),
            AreaSpec(code="B1", name="Süd 1", parent_code="B", geometry=square(13.0, 51.98)),
        ],
    )
    registry = {spec.code: indicators.register_indicator(session, spec) for spec in INDICATORS}
    period_ids = indicators.ensure_periods(session, [parse_period("2020")])
    ids = areas.area_codes(session, planning)
    for code, (inh, unemployed, base, migration) in DATA.items():
        session.add_all(
            [
                Observation(
                    indicator_id=registry["inhabitants"].id,
                    area_id=ids[code],
                    period_id=period_ids["2020"],
                    value=inh,
                ),
                Observation(
                    indicator_id=registry["unemployment"].id,
                    area_id=ids[code],
                    period_id=period_ids["2020"],
                    value=100 * unemployed / base,
                    numerator=unemployed,
                    denominator=base,
                ),
                Observation(
                    indicator_id=registry["migration"].id,
                    area_id=ids[code],
                    period_id=period_ids["2020"],
                    value=migration,
                ),
                Observation(
                    indicator_id=registry["median_age"].id,
                    area_id=ids[code],
                    period_id=period_ids["2020"],
                    value=40.0,
                ),
            ]
        )
    session.flush()


@pytest.fixture
def city_ws(workspace: Workspace) -> Workspace:
    with workspace.database.session() as session:
        build(session)
    return workspace


def values_of(session: Session, indicator: str, level: str) -> dict[str, float | None]:
    city = areas.get_city(session, "test")
    found, _ = indicators.level_values(
        session,
        indicators.get_indicator(session, indicator),
        indicators.get_period(session, "2020"),
        areas.get_level(session, city, level),
    )
    return {v.area_code: v.value for v in found}


def test_stored_values_at_their_own_level(city_ws: Workspace) -> None:
    with city_ws.database.reader() as session:
        assert values_of(session, "unemployment", "planning_area") == pytest.approx(
            {"A1": 8.333333, "A2": 4.5, "B1": 13.333333}
        )


def test_aggregation_up_the_hierarchy(city_ws: Workspace) -> None:
    with city_ws.database.reader() as session:
        # counts add up: A = 1000 + 3000
        assert values_of(session, "inhabitants", "district") == {"A": 4000, "B": 500}
        # ratio of sums: A = (50 + 90) / (600 + 2000) = 5.384615 %
        assert values_of(session, "unemployment", "district") == pytest.approx(
            {"A": 5.384615, "B": 13.333333}
        )
        # population-weighted where only shares exist: A = (1000*20 + 3000*40) / 4000 = 35 %
        assert values_of(session, "migration", "district") == pytest.approx({"A": 35.0, "B": 10.0})
        # not aggregable: medians have no parent value
        assert values_of(session, "median_age", "district") == {"A": None, "B": None}


def test_city_value_combines_all_areas(city_ws: Workspace) -> None:
    with city_ws.database.reader() as session:
        city = areas.get_city(session, "test")
        unemployment = indicators.city_values(
            session, city, indicators.get_indicator(session, "unemployment")
        )
        # (50 + 90 + 40) / (600 + 2000 + 300) = 6.206897 %
        assert [(p.period, p.value) for p in unemployment.points] == [("2020", pytest.approx(6.206897))]
        migration = indicators.city_values(session, city, indicators.get_indicator(session, "migration"))
        # (20000 + 120000 + 5000) / 4500 = 32.2222 %
        assert migration.points[0].value == pytest.approx(32.2222, abs=1e-4)


def test_missing_child_value_leaves_parent_empty(city_ws: Workspace) -> None:
    with city_ws.database.session() as session:
        migration = indicators.get_indicator(session, "migration")
        a2 = areas.get_area(session, areas.get_city(session, "test"), "A2")
        obs = session.query(Observation).filter_by(indicator_id=migration.id, area_id=a2.id).one()
        session.delete(obs)
    with city_ws.database.reader() as session:
        assert values_of(session, "migration", "district") == pytest.approx({"A": None, "B": 10.0})


def test_suppressed_values_never_reach_the_public(city_ws: Workspace) -> None:
    with city_ws.database.session() as session:
        unemployment = indicators.get_indicator(session, "unemployment")
        b1 = areas.get_area(session, areas.get_city(session, "test"), "B1")
        obs = session.query(Observation).filter_by(indicator_id=unemployment.id, area_id=b1.id).one()
        obs.suppressed = True
    with city_ws.database.reader() as session:
        city = areas.get_city(session, "test")
        args = (
            session,
            indicators.get_indicator(session, "unemployment"),
            indicators.get_period(session, "2020"),
            areas.get_level(session, city, "planning_area"),
        )
        public, _ = indicators.level_values(*args)
        internal, _ = indicators.level_values(*args, audience=Audience.INTERNAL)
        district, _ = indicators.level_values(*args[:3], areas.get_level(session, city, "district"))
    assert {v.area_code: v.value for v in public}["B1"] is None
    assert {v.area_code: v.numerator for v in public}["B1"] is None
    assert {v.area_code: v.value for v in internal}["B1"] == pytest.approx(13.333333)
    # B is B1 alone: publishing B's aggregate would disclose the suppressed cell.
    assert {v.area_code: v.value for v in district}["B"] is None


def test_carry_over_a_boundary_change(city_ws: Workspace) -> None:
    with city_ws.database.session() as session:
        city = areas.get_city(session, "test")
        planning = areas.get_level(session, city, "planning_area")
        new_level = areas.ensure_level(
            session,
            city,
            LevelSpec(code="planning_area_2021", name_de="Planungsraum 2021", name_en="Planning area 2021"),
        )
        areas.add_areas(
            session,
            city,
            new_level,
            [
                AreaSpec(code="N1", name="Neu 1", valid_from=date(2021, 1, 1)),
                AreaSpec(code="N2", name="Neu 2", valid_from=date(2021, 1, 1)),
            ],
        )
        crosswalk = areas.create_crosswalk(
            session,
            city,
            "lor-2021",
            planning,
            new_level,
            [
                CrosswalkEntrySpec(source_code="A1", target_code="N1", weight=1.0),
                CrosswalkEntrySpec(source_code="A2", target_code="N1", weight=0.5),
                CrosswalkEntrySpec(source_code="A2", target_code="N2", weight=0.5),
            ],
        )
        period = indicators.get_period(session, "2020")
        inhabitants = indicators.carry_over(
            session, crosswalk, indicators.get_indicator(session, "inhabitants"), period
        )
        # N1 = 1000 + 0.5 * 3000, N2 = 0.5 * 3000
        assert {v.area_code: v.value for v in inhabitants} == {"N1": 2500, "N2": 1500}
        unemployment = indicators.carry_over(
            session, crosswalk, indicators.get_indicator(session, "unemployment"), period, store=True
        )
        # N1 = (50 + 45) / (600 + 1000) = 5.9375 %, N2 = 45 / 1000 = 4.5 %
        assert {v.area_code: v.value for v in unemployment} == pytest.approx({"N1": 5.9375, "N2": 4.5})
        assert all(v.estimated for v in unemployment)
    with city_ws.database.reader() as session:
        assert values_of(session, "unemployment", "planning_area_2021") == pytest.approx(
            {"N1": 5.9375, "N2": 4.5}
        )


def test_crosswalk_weights_must_add_up(city_ws: Workspace) -> None:
    with city_ws.database.session() as session:
        city = areas.get_city(session, "test")
        planning = areas.get_level(session, city, "planning_area")
        with pytest.raises(InvalidInput) as caught:
            areas.create_crosswalk(
                session,
                city,
                "bad",
                planning,
                planning,
                [
                    CrosswalkEntrySpec(source_code="A1", target_code="A2", weight=0.4),
                    CrosswalkEntrySpec(source_code="ZZ", target_code="A2", weight=1.0),
                ],
            )
    codes = sorted(p.code for p in caught.value.report.problems)
    assert codes == ["unknown-area", "weights-not-one"]


def test_unknown_lookups_raise_not_found(city_ws: Workspace) -> None:
    with city_ws.database.reader() as session:
        with pytest.raises(NotFound):
            indicators.get_indicator(session, "nope")
        with pytest.raises(NotFound):
            indicators.get_period(session, "1999")
        with pytest.raises(NotFound):
            areas.get_city(session, "atlantis")
