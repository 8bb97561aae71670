"""Goals on Goalville (``tests/goals/goalville.py``, SQLite: rendering and logic; storage on both backends is
``test_storage.py``): the baseline comes from the stored data, the status is recomputed here by hand from the
raw observations, per area and for the group, both polarities and neutral; the detectable change and its
warning; every bad input refused with its Problem and nothing written; what the public, members and the data
team see; performance measures; the CLI of the acceptance and the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from bettercities import access as accounts
from bettercities.areas.models import Area
from bettercities.audit.models import AuditEntry
from bettercities.cli.main import app as cli_app
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.goals import queries, service
from bettercities.goals.models import Goal, GoalArea
from bettercities.goals.progress import FixedViewer
from bettercities.goals.schemas import AreaSelection, GoalIn, GoalOut, GoalStatus, MeasureValueIn
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.goals.goalville import SLUG, build_goalville

PASSWORD = "Correct-horse-battery-staple-9"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path_factory.mktemp("goals") / "workspace")
    build_goalville(workspace)
    yield workspace
    workspace.close()


@pytest.fixture(autouse=True)
def one_test_s_goals(ws: Workspace) -> Iterator[None]:
    """Each test sees its own goals only (listings stay as short as the test needs)."""
    yield
    with ws.database.session() as session:
        for goal_id in session.scalars(select(Goal.id)).all():
            service.remove_goal(session, SLUG, goal_id)


def goal_in(**fields: Any) -> GoalIn:
    base: dict[str, Any] = {
        "title": "Less poverty",
        "indicator": "poverty",
        "areas": AreaSelection(kind="areas", value="A,B,C"),
        "target_value": 20.0,
        "baseline_period": "2022",
        "deadline": date(2027, 12, 31),
        "owner_unit": "Youth office",
    }
    return GoalIn(**(base | fields))


def add(ws: Workspace, **fields: Any) -> GoalOut:
    with ws.database.session() as session:
        return service.add_goal(session, SLUG, goal_in(**fields), actor="tester")


def read(ws: Workspace, goal_id: int, audience: Audience = Audience.INTERNAL) -> GoalOut:
    with ws.database.reader() as session:
        return queries.visible_goal(FixedViewer(session, audience), SLUG, goal_id)


def count_goals(ws: Workspace) -> int:
    with ws.database.reader() as session:
        return (session.scalar(select(func.count()).select_from(Goal)) or 0) + (
            session.scalar(select(func.count()).select_from(GoalArea)) or 0
        )


# -- the acceptance: status recomputed by hand from the observations ----------------------------------------


def raw(ws: Workspace, indicator: str) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(area, period) -> (value, numerator, denominator) of the current observations, read directly."""
    with ws.database.reader() as session:
        rows = session.execute(
            select(Area.code, Period.code, Observation.value, Observation.numerator, Observation.denominator)
            .join(Area, Area.id == Observation.area_id)
            .join(Period, Period.id == Observation.period_id)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .where(Indicator.code == indicator, Observation.is_current.is_(True))
        ).all()
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


def test_the_status_recomputed_by_hand_from_the_observations(ws: Workspace) -> None:
    goal = add(ws)
    obs = raw(ws, "poverty")
    # the group is a share: sum of numerators over sum of denominators x 100
    group = {
        p: 100 * sum(obs[(a, p)][1] for a in "ABC") / sum(obs[(a, p)][2] for a in "ABC")
        for p in ("2022", "2024")
    }
    assert group == {"2022": pytest.approx(23.75), "2024": pytest.approx(22.0)}
    # the straight line from 23.75 at 2022-12-31 to 20 at 2027-12-31, read at 2024-12-31 (731 of 1826 days)
    days = (date(2024, 12, 31) - date(2022, 12, 31)).days / (date(2027, 12, 31) - date(2022, 12, 31)).days
    expected = group["2022"] + (20.0 - group["2022"]) * days
    assert expected == pytest.approx(22.2488, abs=1e-4)
    # higher is worse: 22.0 is below (better than) the line and above the target -> on track
    assert group["2024"] < expected and group["2024"] > 20.0
    assert goal.baseline.value == pytest.approx(group["2022"]) and goal.baseline.period == "2022"
    assert goal.baseline.revision == 1
    assert goal.latest is not None and goal.latest.period == "2024"
    assert goal.latest.value == pytest.approx(group["2024"])
    assert goal.expected == pytest.approx(expected)
    assert goal.status == GoalStatus.ON_TRACK
    # per area, each against the same target from its own baseline (value of the observation itself)
    by_area = {a.area: a for a in goal.per_area}
    hand = {}
    for area in "ABC":
        base, latest = obs[(area, "2022")][0], obs[(area, "2024")][0]
        line = base + (20.0 - base) * days
        hand[area] = (
            GoalStatus.ACHIEVED
            if latest <= 20.0
            else GoalStatus.ON_TRACK
            if latest <= line
            else GoalStatus.OFF_TRACK
        )
        assert by_area[area].baseline.value == pytest.approx(base)
        assert by_area[area].latest is not None and by_area[area].latest.value == pytest.approx(latest)
        assert by_area[area].expected == pytest.approx(line)
    # A 32 -> 28 (line 27.196): off; B 26.5 -> 23.5 (line 23.898): on; C 10 -> 13 (target 20): achieved
    assert hand == {"A": GoalStatus.OFF_TRACK, "B": GoalStatus.ON_TRACK, "C": GoalStatus.ACHIEVED}
    assert {a: by_area[a].status for a in "ABC"} == hand
    # the detectable change from the group's 2019-2022 values (test_status.py has the hand computation)
    assert goal.detectable_change == pytest.approx(2.195876, abs=1e-5)
    assert goal.detectability_warning is None and goal.polarity_warning is None


def test_without_a_baseline_period_the_latest_with_data_and_no_new_data(ws: Workspace) -> None:
    goal = add(ws, baseline_period=None)
    assert goal.baseline.period == "2024" and goal.baseline.value == pytest.approx(22.0)
    assert goal.status == GoalStatus.NO_NEW_DATA and goal.latest is None
    assert {a.status for a in goal.per_area} == {GoalStatus.NO_NEW_DATA}


def test_a_target_change_resolves_against_the_baseline(ws: Workspace) -> None:
    goal = add(ws, target_value=None, target_change=-3.75)
    assert goal.target_value == pytest.approx(20.0) and goal.target_change == -3.75
    assert {a.area: a.target for a in goal.per_area} == {
        "A": pytest.approx(28.25),
        "B": pytest.approx(22.75),
        "C": pytest.approx(6.25),
    }


@pytest.mark.parametrize(
    ("target", "deadline", "status"),
    [
        # green (higher is better), weighted by inhabitants: 8.25 (2022) -> 9.25 (2024)
        (10.0, date(2026, 12, 31), GoalStatus.ON_TRACK),  # line 8.25 + 1.75 * 731/1461 = 9.1256
        (9.0, date(2026, 12, 31), GoalStatus.ACHIEVED),
        (12.0, date(2025, 12, 31), GoalStatus.OFF_TRACK),  # line 8.25 + 3.75 * 731/1096 = 10.751
    ],
)
def test_higher_is_better_weighted_by_inhabitants(
    ws: Workspace, target: float, deadline: date, status: GoalStatus
) -> None:
    goal = add(ws, indicator="green", target_value=target, deadline=deadline)
    assert goal.baseline.value == pytest.approx((12 * 1000 + 6 * 2000 + 9 * 1000) / 4000)
    assert goal.latest is not None and goal.latest.value == pytest.approx(
        (14 * 1000 + 7 * 2000 + 9 * 1000) / 4000
    )
    assert goal.status == status


def test_neutral_polarity_follows_the_goals_direction(ws: Workspace) -> None:
    # drift in A: 50 (2022) -> 44 (2024), target 40 by 2026: line 50 - 10 * 731/1461 = 44.997; 44 is nearer 40
    goal = add(
        ws,
        indicator="drift",
        areas=AreaSelection(kind="areas", value="A"),
        target_value=40.0,
        deadline=date(2026, 12, 31),
    )
    assert goal.expected == pytest.approx(50 - 10 * 731 / 1461)
    assert goal.status == GoalStatus.ON_TRACK and goal.polarity_warning is None


def test_a_target_on_the_wrong_side_is_a_warning_and_the_goal_is_set(ws: Workspace) -> None:
    before = count_goals(ws)
    goal = add(ws, indicator="green", target_value=7.0, deadline=date(2026, 12, 31))
    assert goal.polarity_warning is not None and "higher values of green are better" in goal.polarity_warning
    assert count_goals(ws) > before
    assert read(ws, goal.id, Audience.PUBLIC).polarity_warning == goal.polarity_warning  # kept with the goal


def test_a_target_smaller_than_the_detectable_change_is_warned(ws: Workspace) -> None:
    # change -0.75 against an MDC of 2.196
    goal = add(ws, target_value=23.0)
    assert goal.detectable_change == pytest.approx(2.195876, abs=1e-5)
    assert goal.detectability_warning is not None and "detectable" in goal.detectability_warning
    assert read(ws, goal.id).detectability_warning == goal.detectability_warning


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"deadline": date(2022, 6, 30)}, "deadline-before-baseline"),
        ({"deadline": date(2022, 12, 31)}, "deadline-before-baseline"),  # the baseline's reference date
        ({"indicator": "drift", "areas": AreaSelection(kind="areas", value="B,C")}, "no-baseline-data"),
        ({"baseline_period": "2018"}, "no-baseline-data"),
        ({"indicator": "nonesuch"}, "unknown-indicator"),
        ({"areas": AreaSelection(kind="areas", value="A,Z")}, "unknown-area"),
        ({"areas": AreaSelection(kind="priority_set", value="nonesuch")}, "unknown-priority-set"),
        ({"areas": AreaSelection(kind="level", value="nonesuch")}, "unknown-level"),
        ({"priority_sets": ["nonesuch"]}, "unknown-priority-set"),
        ({"target_change": -1.0}, "invalid-target"),  # both
        ({"target_value": None}, "invalid-target"),  # neither
        ({"title": "two\nlines"}, "invalid-text"),
        ({"baseline_period": "someday"}, "invalid-period"),
    ],
)
def test_bad_input_is_refused_with_its_problem_and_nothing_written(
    ws: Workspace, fields: dict[str, Any], code: str
) -> None:
    before = count_goals(ws)
    with pytest.raises(InvalidInput) as refused:
        add(ws, **fields)
    assert refused.value.report is not None
    assert code in {p.code for p in refused.value.report.errors}, refused.value.report.problems
    assert count_goals(ws) == before


def test_visibility_public_member_internal(ws: Workspace) -> None:
    """B's 2024 poverty is suppressed: the public sees B withheld (no numbers) and no group status (an input
    is withheld); the baseline of 2022 stays visible. A goal on the restricted indicator does not exist for
    the public; members see it."""
    poverty = add(ws)
    secret = add(ws, indicator="secret", areas=AreaSelection(kind="areas", value="A"), target_value=4.0)
    public = read(ws, poverty.id, Audience.PUBLIC)
    areas = {a.area: a for a in public.per_area}
    assert areas["B"].withheld and areas["B"].status is None and areas["B"].baseline.value is None
    assert areas["B"].latest is None and areas["B"].target is None and areas["B"].expected is None
    assert public.withheld and public.status is None and public.latest is None
    assert public.baseline.value == pytest.approx(23.75)  # 2022 has no withheld input
    secret_value = raw(ws, "poverty")[("B", "2024")][0]
    assert str(secret_value) not in public.model_dump_json()
    # members do not see suppressed cells either; the data team does
    assert read(ws, poverty.id, Audience.MEMBER).withheld
    assert read(ws, poverty.id, Audience.INTERNAL).status == GoalStatus.ON_TRACK
    # the restricted indicator
    with pytest.raises(NotFound):
        read(ws, secret.id, Audience.PUBLIC)
    assert read(ws, secret.id, Audience.MEMBER).baseline.value == pytest.approx(8.0)
    with ws.database.reader() as session:
        public_ids = {g.id for g in queries.visible_goals(FixedViewer(session, Audience.PUBLIC), SLUG)}
        card = queries.scorecard(FixedViewer(session, Audience.PUBLIC), SLUG)
        series = queries.goal_series(FixedViewer(session, Audience.PUBLIC), SLUG, poverty.id)
    assert poverty.id in public_ids and secret.id not in public_ids
    assert secret.id not in {g.id for g in card.goals}
    assert sum(card.counts.values()) == len(card.goals)
    points = {p.period: p for p in series.points}
    assert points["2024"].value is None and points["2022"].value == pytest.approx(23.75)
    assert points["2022"].trajectory == pytest.approx(23.75) and points["2019"].trajectory is None


def test_a_performance_measure_is_recorded_and_tracked(ws: Workspace) -> None:
    goal = add(
        ws,
        kind="performance",
        performance_kind="how_much",
        indicator="sessions",
        measure_name="Counselling",
        unit="sessions",
        polarity="higher_is_better",
        baseline_value=100.0,
        baseline_period="2023",
        target_value=200.0,
        deadline=date(2026, 12, 31),
    )
    assert goal.status == GoalStatus.NO_NEW_DATA and goal.per_area == []
    with ws.database.session() as session:
        service.record_measure(
            session, SLUG, goal.id, MeasureValueIn(period="2024", value=150.0), actor="tester"
        )
    # line 100 + 100 * 366/1096 = 133.39 at 2024-12-31: 150 is above it
    found = read(ws, goal.id, Audience.PUBLIC)
    assert found.expected == pytest.approx(100 + 100 * 366 / 1096)
    assert found.status == GoalStatus.ON_TRACK and found.kind == "performance"
    with ws.database.session() as session:
        service.record_measure(
            session, SLUG, goal.id, MeasureValueIn(period="2024", value=210.0), actor="tester"
        )
    assert read(ws, goal.id).status == GoalStatus.ACHIEVED  # corrected, not duplicated
    with ws.database.session() as session, pytest.raises(InvalidInput, match="population goal"):
        service.record_measure(session, SLUG, add(ws).id, MeasureValueIn(period="2024", value=1.0), actor="x")


def test_writes_leave_audit_entries(ws: Workspace) -> None:
    with ws.database.reader() as session:
        last = session.scalar(select(func.max(AuditEntry.id))) or 0
    goal = add(ws)
    with ws.database.session() as session:
        service.remove_goal(session, SLUG, goal.id)
    with ws.database.reader() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.id > last)).all()
        actions = {(e.entity, e.action) for e in entries}
        assert {e.actor for e in entries} == {"library"}  # the faces set the actor (CLI: tests/audit)
        assert session.get(Goal, goal.id) is None
    assert {("goal", "insert"), ("goal_area", "insert"), ("goal", "delete")} <= actions, actions


# -- the faces ---------------------------------------------------------------------------------------------


def test_the_cli_of_the_acceptance(ws: Workspace) -> None:
    where = ["--workspace", str(ws.path)]
    runner = CliRunner()
    added = runner.invoke(
        cli_app,
        [
            "goals",
            "add",
            "--city",
            SLUG,
            "--indicator",
            "poverty",
            "--areas",
            "district",
            "--target",
            "20",
            "--deadline",
            "2027-12-31",
            "--owner",
            "Youth office",
            "--baseline-period",
            "2022",
            "--json",
            *where,
        ],
    )
    assert added.exit_code == 0, added.output
    goal = json.loads(added.output)
    assert goal["areas"] == {"kind": "level", "value": "district"} and goal["area_codes"] == ["A", "B", "C"]
    assert goal["baseline"]["value"] == pytest.approx(23.75) and goal["status"] == "on_track"
    shown = runner.invoke(cli_app, ["goals", "show", "--city", SLUG, str(goal["id"]), "--public", *where])
    assert shown.exit_code == 0 and "withheld" in shown.output
    listed = runner.invoke(cli_app, ["goals", "list", "--city", SLUG, "--json", *where])
    assert goal["id"] in {g["id"] for g in json.loads(listed.output)}
    refused = runner.invoke(
        cli_app,
        [
            "goals",
            "add",
            "--city",
            SLUG,
            "--indicator",
            "poverty",
            "--areas",
            "areas:A,Q",
            "--target",
            "20",
            "--deadline",
            "2027-12-31",
            "--owner",
            "Youth office",
            *where,
        ],
    )
    assert refused.exit_code == 2 and "unknown-area" in refused.output


@pytest.fixture(scope="module")
def client(ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(ws)) as test_client:
        yield test_client


def _token(ws: Workspace, role: str) -> dict[str, str]:
    name = f"{role}-goals"
    with ws.database.session() as session:
        accounts.create_user(session, name, PASSWORD)
        accounts.grant(session, name, SLUG, role)
        token = accounts.issue_token(session, name, name="test", write=True).token
    return {"Authorization": f"Bearer {token}"}


def test_the_api(ws: Workspace, client: TestClient) -> None:
    body = goal_in().model_dump(mode="json")
    assert client.post(f"/api/cities/{SLUG}/goals", json=body).status_code == 401
    assert (
        client.post(f"/api/cities/{SLUG}/goals", json=body, headers=_token(ws, "analyst")).status_code == 403
    )
    steward = _token(ws, "steward")
    created = client.post(f"/api/cities/{SLUG}/goals", json=body, headers=steward)
    assert created.status_code == 201, created.text
    goal = created.json()
    assert goal["status"] == "on_track" and goal["created_by"] == "steward-goals"
    listed = client.get(f"/api/cities/{SLUG}/goals").json()  # the public
    mine = next(g for g in listed if g["id"] == goal["id"])
    for key in ("baseline", "target_value", "deadline", "status", "detectable_change"):
        assert key in mine
    assert mine["status"] is None and mine["withheld"] and mine["baseline"]["value"] == pytest.approx(23.75)
    assert client.get(f"/api/cities/{SLUG}/goals/{goal['id']}/series").status_code == 200
    bad = client.post(f"/api/cities/{SLUG}/goals", json=body | {"deadline": "2020-01-01"}, headers=steward)
    assert bad.status_code == 422 and "deadline-before-baseline" in bad.text
    assert client.delete(f"/api/cities/{SLUG}/goals/{goal['id']}", headers=steward).status_code == 204
    assert client.get(f"/api/cities/{SLUG}/goals/{goal['id']}").status_code == 404


def test_a_refused_api_body_answers_the_goals_problem_codes(ws: Workspace, client: TestClient) -> None:
    """A body GoalIn or MeasureValueIn refuses answers "Invalid input" with a goals problem code per field
    (as plans and consultations do), not pydantic's "Invalid parameter"; nothing written."""
    admin = _token(ws, "city_admin")
    body = goal_in().model_dump(mode="json")
    before = count_goals(ws)
    for changed, expected in (
        ({"areas": {"kind": "districts", "value": "A"}}, [("goal-invalid-areas", "areas.kind")]),
        ({"areas": {"kind": "areas", "value": ""}}, [("goal-invalid-areas", "areas.value")]),
        ({"title": "x" * 201, "target_value": "viel"}, [("invalid-text", "title"),
                                                       ("goal-invalid-entry", "target_value")]),
        ({"kind": "performance"}, [("goal-invalid-measure", None)]),
        ({"deadline": "someday", "colour": "red"}, [("goal-invalid-entry", "deadline"),
                                                    ("goal-invalid-entry", "colour")]),
    ):  # fmt: skip
        refused = client.post(f"/api/cities/{SLUG}/goals", json=body | changed, headers=admin)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["title"] == "Invalid input", problem
        assert [(e["code"], e.get("column")) for e in problem["errors"]] == expected, problem
    assert count_goals(ws) == before
    measure = client.post(f"/api/cities/{SLUG}/goals/1/measures", json={"period": "2024"}, headers=admin)
    assert [e["code"] for e in measure.json()["errors"]] == ["goal-invalid-entry"]  # value missing
    # a refused path parameter is still a parameter's problem
    assert client.get(f"/api/cities/{SLUG}/goals/abc").json()["title"] == "Invalid parameter"


def test_parse_selection(ws: Workspace) -> None:
    with ws.database.reader() as session:
        from bettercities.areas import service as areas

        city = areas.get_city(session, SLUG)
        parse = lambda text: service.parse_selection(session, city, text)  # noqa: E731
        assert parse("district") == AreaSelection(kind="level", value="district")
        assert parse("A,B") == AreaSelection(kind="areas", value="A,B")
        assert parse("set:green") == AreaSelection(kind="priority_set", value="green")
        assert parse("areas:district") == AreaSelection(kind="areas", value="district")


def test_resolve_areas_names_the_selection_s_areas_or_its_problem(ws: Workspace) -> None:
    """The public area selection goals and the impact register share (one level, district, areas A-C)."""
    from bettercities.areas import service as areas

    with ws.database.reader() as session:
        city = areas.get_city(session, SLUG)

        def resolve(kind: str, value: str) -> service.ResolvedAreas:
            selection = AreaSelection(kind=kind, value=value)
            return service.resolve_areas(session, city, selection, audience=Audience.PUBLIC)

        level = resolve("level", "district")
        assert level.level is not None and level.level.code == "district"
        assert level.codes == ["A", "B", "C"] and level.problems == []
        chosen = resolve("areas", " C, A ")
        assert chosen.codes == ["A", "C"] and chosen.level is not None and chosen.set_ids == []
        for kind, value, code in (
            ("areas", "A,Z", "unknown-area"),
            ("level", "county", "unknown-level"),
            ("priority_set", "nothing", "unknown-priority-set"),
        ):
            refused = resolve(kind, value)
            assert [(p.code, p.column) for p in refused.problems] == [(code, "areas")] and refused.codes == []
