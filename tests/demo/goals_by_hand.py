"""A demo goal's status recomputed by hand from the generator's observations (no library code): the group
value of a share is the sum of its numerators over the sum of its denominators times 100 (the indicator's
``ratio`` aggregation), the trajectory the straight line from the baseline at its period's last day to the
target at the deadline, and the status as docs/goals.md defines it."""

from __future__ import annotations

from datetime import date

import pandas as pd

from bettercities.demo.schemas import DEMO_INDICATORS, DemoCity


def planning_areas_of(demo: DemoCity, codes: list[str], level: str) -> list[str]:
    """The planning areas (where the generator has observations) inside ``codes`` of ``level``."""
    parent = {a.code: a.parent_code for a in demo.areas}
    chosen = set(codes)
    found = []
    for area in demo.areas:
        if area.level_code != "planning_area":
            continue
        code: str | None = area.code
        while code is not None and code not in chosen:
            code = parent.get(code)
        if code is not None:
            found.append(area.code)
    assert level == "planning_area" or found, f"no planning area under {codes}"
    return found


def group_value(demo: DemoCity, indicator: str, areas: list[str], year: int) -> float:
    definition = next(i for i in DEMO_INDICATORS if i.code == indicator)
    assert definition.aggregation == "ratio", "the demo's goals are on shares and ratios"
    obs: pd.DataFrame = demo.observations
    chosen = obs["area_code"].isin(areas)
    rows = obs[(obs["indicator_code"] == indicator) & (obs["period_code"] == str(year)) & chosen]
    assert len(rows) == len(areas), (indicator, year, len(rows), len(areas))
    return float(rows["numerator"].sum() / rows["denominator"].sum() * definition.factor)


def status(*, polarity: str, baseline: float, target: float, start: date, deadline: date, at: date,
           latest: float) -> str:  # fmt: skip
    good = 1 if polarity == "higher_is_better" else -1
    expected = baseline + (target - baseline) * (at - start).days / (deadline - start).days
    if good * (latest - target) >= 0:
        return "achieved"
    if good * (latest - expected) >= 0:
        return "on_track"
    return "off_track"


def by_hand(demo: DemoCity, goal: dict, last_year: int) -> tuple[float, float, str]:
    """Baseline, last year's value and status of a goal as the API gives it (its JSON), from the generator."""
    level = "planning_area" if goal["areas"]["kind"] == "priority_set" else goal["areas"]["value"]
    areas = planning_areas_of(demo, goal["area_codes"], level)
    base_year = int(goal["baseline"]["period"])
    baseline = group_value(demo, goal["indicator"], areas, base_year)
    latest = group_value(demo, goal["indicator"], areas, last_year)
    found = status(
        polarity=goal["polarity"], baseline=baseline, target=goal["target_value"],
        start=date(base_year, 12, 31), deadline=date.fromisoformat(goal["deadline"]),
        at=date(last_year, 12, 31), latest=latest,
    )  # fmt: skip
    return baseline, latest, found
