"""Loading the demo city into a workspace, on both backends."""

from __future__ import annotations

import pytest

from bettercities.areas import service as areas
from bettercities.demo.generator import generate_demo_city
from bettercities.demo.service import build_demo
from bettercities.indicators import service as indicators
from bettercities.storage.workspace import Workspace

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)


#: Planning areas of this test's demo: every part of the build at a third of the default size (450), on both
#: backends (the benchmarks and the browser tests load the full size).
AREAS = 150


def test_build_demo_loads_everything_once(workspace: Workspace) -> None:
    summary = build_demo(workspace, seed=7, n_planning_areas=AREAS, first_year=2015, last_year=2024)
    demo = generate_demo_city(seed=7, n_planning_areas=AREAS, first_year=2015, last_year=2024)
    assert summary.built
    # the demo's boundary change (demo/boundary.py) splits the planning area with the most inhabitants in the
    # latest period into two new ones and stores that period's values carried to both as estimates
    obs = demo.observations
    latest = obs[(obs["period_code"] == "2024") & obs["value"].notna()]
    people = latest[latest["indicator_code"] == "inhabitants"]
    split = people.sort_values(["value", "area_code"], ascending=[False, True])["area_code"].iloc[0]
    carried = 2 * int((latest["area_code"] == split).sum())
    assert summary.areas == len(demo.areas) + 2
    assert summary.observations == len(demo.observations) + carried
    assert summary.periods == 10
    again = build_demo(workspace, seed=7, n_planning_areas=AREAS, first_year=2015, last_year=2024)
    assert not again.built
    assert again.observations == summary.observations

    with workspace.database.reader() as session:
        city = areas.get_city(session, summary.city)
        levels = {lv.code: lv.area_count for lv in areas.list_levels(session, city)}
        assert levels["planning_area"] == AREAS + 2  # every boundary version: the old area and its two halves
        # The city's population is the sum over planning areas, computed independently here.
        inhabitants = demo.observations[demo.observations["indicator_code"] == "inhabitants"]
        expected = inhabitants.groupby("period_code")["value"].sum()
        series = indicators.city_values(session, city, indicators.get_indicator(session, "inhabitants"))
        assert {p.period: p.value for p in series.points} == pytest.approx(expected.to_dict())
        # Unemployment of the city: sum of unemployed / sum of the population 15-65 (ratio of sums).
        unemployment = demo.observations[demo.observations["indicator_code"] == "unemployment"]
        sums = unemployment.groupby("period_code")[["numerator", "denominator"]].sum()
        expected_rate = (100 * sums["numerator"] / sums["denominator"]).to_dict()
        series = indicators.city_values(session, city, indicators.get_indicator(session, "unemployment"))
        assert {p.period: p.value for p in series.points} == pytest.approx(expected_rate)
