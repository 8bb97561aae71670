"""The pure kernels of a goal's progress against hand computations: trajectory, status by polarity (both ways
and neutral), the minimum detectable change."""

from __future__ import annotations

import math
from datetime import date

import pytest

from bettercities.goals import status
from bettercities.goals.schemas import GoalStatus
from bettercities.indicators.schemas import Polarity

START, DEADLINE = date(2022, 12, 31), date(2027, 12, 31)


def test_the_trajectory_is_a_straight_line_in_days_clipped_at_both_ends() -> None:
    # 2022-12-31 -> 2024-12-31 is 731 days (2024 is a leap year), -> 2027-12-31 is 1826 days
    assert status.trajectory(23.75, 20.0, START, DEADLINE, date(2024, 12, 31)) == pytest.approx(
        23.75 - 3.75 * 731 / 1826
    )
    assert status.trajectory(23.75, 20.0, START, DEADLINE, date(2020, 1, 1)) == 23.75
    assert status.trajectory(23.75, 20.0, START, DEADLINE, date(2031, 1, 1)) == 20.0
    with pytest.raises(ValueError, match="deadline"):
        status.trajectory(1.0, 2.0, START, START, START)


@pytest.mark.parametrize(
    ("polarity", "baseline", "target", "latest", "expected", "found"),
    [
        # higher is worse: down is good
        (Polarity.HIGHER_IS_WORSE, 30.0, 20.0, 19.0, 25.0, GoalStatus.ACHIEVED),
        (Polarity.HIGHER_IS_WORSE, 30.0, 20.0, 20.0, 25.0, GoalStatus.ACHIEVED),  # reached exactly
        (Polarity.HIGHER_IS_WORSE, 30.0, 20.0, 24.0, 25.0, GoalStatus.ON_TRACK),
        (Polarity.HIGHER_IS_WORSE, 30.0, 20.0, 25.0, 25.0, GoalStatus.ON_TRACK),  # on the line
        (Polarity.HIGHER_IS_WORSE, 30.0, 20.0, 26.0, 25.0, GoalStatus.OFF_TRACK),
        # higher is better: up is good
        (Polarity.HIGHER_IS_BETTER, 8.0, 10.0, 10.5, 9.0, GoalStatus.ACHIEVED),
        (Polarity.HIGHER_IS_BETTER, 8.0, 10.0, 9.5, 9.0, GoalStatus.ON_TRACK),
        (Polarity.HIGHER_IS_BETTER, 8.0, 10.0, 8.5, 9.0, GoalStatus.OFF_TRACK),
        # neutral: the goal's own direction (here down)
        (Polarity.NEUTRAL, 50.0, 40.0, 44.0, 45.0, GoalStatus.ON_TRACK),
        (Polarity.NEUTRAL, 50.0, 40.0, 46.0, 45.0, GoalStatus.OFF_TRACK),
        (Polarity.NEUTRAL, 50.0, 40.0, 39.0, 45.0, GoalStatus.ACHIEVED),
        # neutral and up
        (Polarity.NEUTRAL, 40.0, 50.0, 46.0, 45.0, GoalStatus.ON_TRACK),
        # neutral, hold the value
        (Polarity.NEUTRAL, 50.0, 50.0, 50.0, 50.0, GoalStatus.ACHIEVED),
        (Polarity.NEUTRAL, 50.0, 50.0, 51.0, 50.0, GoalStatus.OFF_TRACK),
    ],
)
def test_status_by_polarity(
    polarity: Polarity, baseline: float, target: float, latest: float, expected: float, found: GoalStatus
) -> None:
    direction = status.direction(polarity, baseline, target)
    assert status.status(latest=latest, expected=expected, target=target, direction=direction) == found


def test_no_latest_value_is_no_new_data() -> None:
    assert status.status(latest=None, expected=None, target=1.0, direction=1) == GoalStatus.NO_NEW_DATA


def test_wrong_side_only_with_a_polarity() -> None:
    assert status.wrong_side(Polarity.HIGHER_IS_BETTER, 8.25, 7.0)
    assert status.wrong_side(Polarity.HIGHER_IS_BETTER, 8.25, 8.25)  # no improvement
    assert not status.wrong_side(Polarity.HIGHER_IS_BETTER, 8.25, 9.0)
    assert status.wrong_side(Polarity.HIGHER_IS_WORSE, 23.75, 25.0)
    assert not status.wrong_side(Polarity.HIGHER_IS_WORSE, 23.75, 20.0)
    assert not status.wrong_side(Polarity.NEUTRAL, 50.0, 60.0)


def test_detectable_change_by_hand() -> None:
    # Goalville's poverty group 2019-2022: 22.5, 23.5, 22.625, 23.75 -> differences 1.0, -0.875, 1.125
    # mean 5/12; squared deviations 0.340278 + 1.668403 + 0.501736 = 2.510417; / 2 -> SD 1.120360
    # MDC = 1.959964 * 1.120360 = 2.195876
    sd = math.sqrt(((1.0 - 5 / 12) ** 2 + (-0.875 - 5 / 12) ** 2 + (1.125 - 5 / 12) ** 2) / 2)
    assert sd == pytest.approx(1.120360, abs=1e-6)
    assert status.detectable_change([22.5, 23.5, 22.625, 23.75]) == pytest.approx(1.959964 * sd, abs=1e-5)
    assert status.detectable_change([22.5, 23.5, 22.625, 23.75]) == pytest.approx(2.195876, abs=1e-5)
    # a steady trend is not noise: constant differences detect any change
    assert status.detectable_change([1.0, 2.0, 3.0, 4.0]) == 0.0
    assert status.detectable_change([1.0, 2.0]) is None  # one difference: no spread to estimate
    # 99 %: z = 2.575829
    assert status.detectable_change([22.5, 23.5, 22.625, 23.75], alpha=0.01) == pytest.approx(2.575829 * sd)
