"""The batched reads of many goals (one ``level_values`` per indicator, period and level, one ``combine`` per
indicator for every goal on it) give what each goal read alone gives: the two paths against each other on
Goalville (``tests/goals/goalville.py``: poverty as a share, green weighted by inhabitants, drift in one
area, the public's withheld B 2024 poverty cell, a restricted indicator), and the batch against a hand
computation from the goalville constants. SQLite: logic only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.models import SpatialLevel
from bettercities.core.errors import NotFound
from bettercities.goals import progress, queries, service
from bettercities.goals.models import Goal
from bettercities.goals.progress import FixedViewer, GroupValue
from bettercities.goals.schemas import AreaSelection, GoalIn
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Period
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.goals.goalville import (
    GREEN,
    INHABITANTS,
    POVERTY_DEN,
    POVERTY_NUM,
    SLUG,
    YEARS,
    build_goalville,
)

#: (indicator, area codes) of the goals set once for the module.
GOALS = (
    ("poverty", "A,B,C"),  # B 2024 withheld from the public
    ("poverty", "A,C"),
    ("poverty", "A,B"),
    ("green", "A,B,C"),  # weighted by inhabitants
    ("green", "B,C"),
    ("drift", "A"),  # one area: its own value
    ("secret", "A"),  # restricted: not there for the public
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path_factory.mktemp("goals-batch") / "workspace")
    build_goalville(workspace)
    with workspace.database.session() as session:
        for indicator, codes in GOALS:
            service.add_goal(
                session,
                SLUG,
                GoalIn(
                    title=f"{indicator} in {codes}", indicator=indicator,
                    areas=AreaSelection(kind="areas", value=codes), target_value=1.0,
                    baseline_period="2022", deadline=date(2027, 12, 31), owner_unit="Office",
                ),
                actor="tester",
            )  # fmt: skip
    yield workspace
    workspace.close()


def goals_of(session: Any) -> list[Goal]:
    return list(session.scalars(select(Goal).order_by(Goal.id)).all())


def scopes_of(session: Any, audience: Audience) -> list[progress.Scope]:
    city = areas.get_city(session, SLUG)
    level = session.scalar(select(SpatialLevel).where(SpatialLevel.code == "district"))
    found = []
    for indicator, codes in GOALS:
        if indicator == "secret" and audience is not Audience.INTERNAL:
            continue
        row = session.scalar(select(Indicator).where(Indicator.code == indicator))
        found.append(progress.scope_of(session, city, row, level, codes.split(",")))
    return found


@pytest.mark.parametrize("audience", [Audience.PUBLIC, Audience.INTERNAL])
def test_the_batch_equals_each_goal_read_alone(ws: Workspace, audience: Audience) -> None:
    with ws.database.reader() as session:
        city = areas.get_city(session, SLUG)
        goals = goals_of(session)
        scopes = scopes_of(session, audience)
        batched_groups = progress.groups_of(FixedViewer(session, audience), scopes)
        alone_groups = [progress.group_values(FixedViewer(session, audience), s) for s in scopes]
        reader = FixedViewer(session, audience)  # the scorecard's: goals, then their series
        batched = progress.goal_outs(reader, goals, city)
        batched_series = progress.series_of(reader, goals, city)
        alone: dict[int, Any] = {}
        alone_series: dict[int, Any] = {}
        for goal in goals:
            viewer = FixedViewer(session, audience)  # one goal's reader, as its page has
            try:
                alone[goal.id] = progress.goal_out(viewer, goal, city)
            except NotFound:
                continue
            alone_series[goal.id] = progress.goal_series(viewer, goal, city)
    assert batched_groups == alone_groups
    assert len(batched_groups[0]) == len(YEARS)
    assert list(batched) == list(alone) and batched == alone
    assert batched_series == alone_series
    assert len(batched) == len(GOALS) - (audience is Audience.PUBLIC)
    # the order of each group's periods is the periods' (oldest first)
    with ws.database.reader() as session:
        codes = {p.id: p.code for p in session.scalars(select(Period)).all()}
    assert [codes[i] for i in batched_groups[0]] == [str(y) for y in YEARS]


def test_the_batch_against_a_hand_computation(ws: Workspace) -> None:
    with ws.database.reader() as session:
        scopes = scopes_of(session, Audience.PUBLIC)
        found = progress.groups_of(FixedViewer(session, Audience.PUBLIC), scopes)
        team = progress.groups_of(FixedViewer(session, Audience.INTERNAL), scopes)
        codes = {p.id: p.code for p in session.scalars(select(Period)).all()}
    by_code = [{codes[pid]: value for pid, value in group.items()} for group in found]
    team_by_code = [{codes[pid]: value for pid, value in group.items()} for group in team]

    def share(areas_: str, year: int) -> float:
        i = YEARS.index(year)
        return 100 * sum(POVERTY_NUM[a][i] for a in areas_) / sum(POVERTY_DEN[a] for a in areas_)

    def green(areas_: str, year: int) -> float:
        i = YEARS.index(year)
        return sum(GREEN[a][i] * INHABITANTS[a] for a in areas_) / sum(INHABITANTS[a] for a in areas_)

    poverty_abc, poverty_ac, poverty_ab, green_abc, green_bc, drift_a = by_code
    for year in YEARS[:-1]:
        assert poverty_abc[str(year)].value == pytest.approx(share("ABC", year))
        assert poverty_ab[str(year)].value == pytest.approx(share("AB", year))
    assert poverty_abc["2022"].value == pytest.approx(23.75)  # (320 + 530 + 100) / 4000 x 100
    # B's 2024 cell is withheld from the public, and C's with it (secondary suppression by the publication
    # step): every group with B or C is withheld then; the data team sees them all
    for group in (poverty_abc, poverty_ab, poverty_ac):
        assert group["2024"] == GroupValue(None, True, None)
    assert team_by_code[1]["2024"] == GroupValue((280 + 130) / 2000 * 100, False, 1)  # A+C: 20.5
    assert team_by_code[0]["2024"].value == pytest.approx(share("ABC", 2024))  # 22.0
    assert team_by_code[2]["2024"].value == pytest.approx(share("AB", 2024))
    assert green_abc["2022"].value == pytest.approx(8.25) and green_abc["2024"].value == pytest.approx(9.25)
    for year in YEARS:
        assert green_bc[str(year)].value == pytest.approx(green("BC", year))
    assert [drift_a[str(y)].value for y in YEARS] == [50, 50, 50, 50, 47, 44]


def test_one_level_read_per_indicator_period_and_level(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scorecard and its series of all goals read each (indicator, period, level) once, with a viewer
    without a memo of its own (the bare reader the CLI has)."""
    calls: Counter[tuple[int, int, int]] = Counter()
    real = indicators.level_values

    def counted(session: Any, indicator: Any, period: Any, level: Any, **options: Any) -> Any:
        calls[(indicator.id, period.id, level.id)] += 1
        return real(session, indicator, period, level, **options)

    monkeypatch.setattr(indicators, "level_values", counted)

    class Bare(FixedViewer):
        def memo(self, key: Any, compute: Any, *, city_id: int | None = None) -> Any:
            return compute()

    with ws.database.reader() as session:
        viewer = progress.request_of(Bare(session, Audience.PUBLIC))
        card = queries.scorecard(viewer, SLUG)
        series = queries.scorecard_series(viewer, SLUG)
    assert set(series) == {g.id for g in card.goals}
    assert calls and max(calls.values()) == 1
    # poverty, green and its weight inhabitants, drift: four indicators over six years on one level
    assert len(calls) == 4 * len(YEARS)
