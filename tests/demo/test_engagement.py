"""The demo's goals, action plan and closed consultation round (issue 13, item 6) on a small demo of two years
(60 planning areas, 2023-2024): the three goals' statuses as the public sees them, recomputed by hand from the
generator's observations; the plan and the round as the public sees them; audit entries; nothing built twice;
no goals on a demo of a single year."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bettercities.areas import service as areas
from bettercities.audit.models import AuditEntry
from bettercities.consultations.models import ConsultationRound
from bettercities.demo.consultation import COMMENTS, GROUPS, PER_GROUP
from bettercities.demo.generator import generate_demo_city
from bettercities.demo.goals import add_goals
from bettercities.demo.service import build_demo
from bettercities.goals.models import Goal
from bettercities.plans.models import Plan
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.demo.goals_by_hand import by_hand
from tests.support.demos import built_demo

SEED, AREAS, FIRST, LAST = 2026, 60, 2023, 2024
PARAMS = {"seed": SEED, "n_planning_areas": AREAS, "first_year": FIRST, "last_year": LAST}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    # a copy of the demo as build_demo made it, once per test run (tests/support/demos.py), with the
    # parameters the browser and German-walk tests use (the seed is build_demo's default, SEED)
    folder = Path(tmp_path_factory.mktemp("engagement")) / "demo"
    workspace, _ = built_demo(
        tmp_path_factory, folder, n_planning_areas=AREAS, first_year=FIRST, last_year=LAST
    )
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def client(demo: Workspace) -> TestClient:
    return TestClient(create_app(demo))


def test_the_public_sees_one_goal_achieved_one_on_track_one_off_track(client: TestClient) -> None:
    goals = client.get("/api/cities/auenstedt/goals").json()  # anonymous: the public
    assert sorted(g["status"] for g in goals) == ["achieved", "off_track", "on_track"]
    generated = generate_demo_city(seed=SEED, n_planning_areas=AREAS, first_year=FIRST, last_year=LAST)
    for goal in goals:
        assert not goal["withheld"]
        assert goal["areas"] == {"kind": "priority_set", "value": f"low-status-{LAST}"}
        assert goal["baseline"]["period"] == str(FIRST)  # within the demo's years
        assert goal["deadline"] == f"{LAST + 4}-12-31"
        baseline, latest, status = by_hand(generated, goal, LAST)
        assert goal["baseline"]["value"] == pytest.approx(baseline, rel=1e-9)
        assert goal["latest"] == {"value": pytest.approx(latest, rel=1e-9), "period": str(LAST)}
        assert goal["status"] == status
        assert goal["polarity_warning"] is None  # every target improves on its baseline
    # the public scorecard counts them so
    card = client.get("/cities/auenstedt/scorecard.json").json()
    assert {k: v for k, v in card["counts"].items() if v} == {"achieved": 1, "on_track": 1, "off_track": 1}


def test_the_plan_serves_the_goals_in_the_priority_areas(client: TestClient) -> None:
    plans = client.get("/api/cities/auenstedt/plans").json()
    assert [(p["status"], p["public"]) for p in plans] == [("adopted", True)]
    plan = client.get(f"/api/cities/auenstedt/plans/{plans[0]['id']}").json()
    goals = {g["id"]: g for g in client.get("/api/cities/auenstedt/goals").json()}
    assert [o["goals"] for o in plan["objectives"]] == [[i] for i in goals]
    assert [g["status"] for g in plan["goals"]] == [goals[g["id"]]["status"] for g in plan["goals"]]
    actions = [a for o in plan["objectives"] for a in o["actions"]]
    assert len(actions) == 6 and len({a["title"] for a in actions}) == 6
    for objective in plan["objectives"]:
        for action in objective["actions"]:
            assert action["goals"] == objective["goals"]
            assert action["responsible_unit"] and action["funding_source"] and action["partners"]
            assert action["start"] < action["end"] <= plan["period_to"]
            codes = {a["code"] for a in action["areas"]}
            assert codes and codes <= set(goals[objective["goals"][0]]["area_codes"])
    total = sum(float(a["budget"]) for a in actions)
    assert [(b["currency"], float(b["amount"])) for b in plan["figures"]["budget_total"]] == [("EUR", total)]
    assert len(plan["risks"]) == 3 and any(r["action_id"] for r in plan["risks"])


def test_the_round_is_closed_with_its_ranking(client: TestClient) -> None:
    rounds = client.get("/api/cities/auenstedt/consultations").json()
    assert [(r["status"], r["audience"], r["method"]) for r in rounds] == [("closed", "invited", "ranking")]
    assert rounds[0]["closes_at"].startswith(f"{LAST + 1}-03-30")
    round_id = rounds[0]["id"]
    results = client.get(f"/api/cities/auenstedt/consultations/{round_id}/results").json()
    ballots, items = len(GROUPS) * PER_GROUP, results["items"]
    assert results["ballots"] == ballots
    kinds = sorted(i["kind"] for i in items)
    assert kinds == ["goal", "goal", "goal", "priority_area", "priority_area"]
    # Borda: each ballot ranks all n items and hands out n-1, n-2, ..., 0 points
    n = len(items)
    assert sum(i["score"] for i in items) == ballots * n * (n - 1) // 2
    assert [i["rank"] for i in items] == sorted(i["rank"] for i in items)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert all(i["ballots"] == ballots for i in items)
    assert sum(i["firsts"] for i in items) == ballots
    # every stakeholder group has PER_GROUP participants, at the disclosure threshold: all shown
    assert sorted((b["group"], b["participants"]) for b in results["breakdown"]) == sorted(
        (g, PER_GROUP) for g in GROUPS
    )
    comments = results["comments"]
    assert sum(1 + len(c["replies"]) for c in comments) == len(COMMENTS)
    assert any(c["replies"] for c in comments)
    page = client.get(f"/cities/auenstedt/consultations/{round_id}/results?lang=en")
    assert page.status_code == 200
    where = [page.text.index(i["title"]) for i in items]
    assert where == sorted(where), "the results page lists the items in the ranking's order"


def test_every_demo_write_left_its_audit_entries(demo: Workspace) -> None:
    with demo.database.reader() as session:
        for model in (Goal, Plan, ConsultationRound):
            table = model.__tablename__
            rows = session.scalar(select(func.count()).select_from(model))
            entries = session.scalar(
                select(func.count()).where(AuditEntry.entity == table, AuditEntry.action == "insert")
            )
            assert rows and entries == rows, table
        invited = session.scalar(select(func.count()).where(AuditEntry.action == "consultation-invitation"))
        assert invited == len(GROUPS) * PER_GROUP


def test_a_second_build_adds_no_goal_plan_or_round(demo: Workspace) -> None:
    assert not build_demo(demo, **PARAMS).built
    with demo.database.reader() as session:
        tables = (Goal, Plan, ConsultationRound)
        counted = [session.scalar(select(func.count()).select_from(m)) for m in tables]
    assert counted == [3, 1, 1]


def test_a_demo_of_one_year_has_no_goals(demo: Workspace) -> None:
    # documented: a trajectory needs a baseline year before the last one; nothing is read or written
    with demo.database.session() as session:
        city = areas.get_city(session, "auenstedt")
        assert add_goals(session, city, set_name=f"low-status-{LAST}", first_year=LAST, last_year=LAST) == []
        session.rollback()


@pytest.mark.parametrize(
    "path",
    [
        "/cities/auenstedt/scorecard?lang=en",
        "/cities/auenstedt/goals?lang=en",
        "/cities/auenstedt/plans?lang=en",
        "/cities/auenstedt/consultations?lang=en",
    ],
)
def test_the_pages_show_the_demo_s_goals_plan_and_round(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    if "plans" in path:
        assert "Integrierter Handlungsplan für die Fördergebiete" in page.text
    elif "consultations" in path:
        assert f"Prioritäten für die Fördergebiete {LAST + 1}" in page.text
    else:
        for goal in client.get("/api/cities/auenstedt/goals").json():
            assert goal["title"] in page.text


HUGE = "99999999999999999999"  # beyond 64 bits: SQLite's driver raised OverflowError (a 500)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/cities/auenstedt/goals/{HUGE}"),
        ("GET", f"/api/cities/auenstedt/goals/{HUGE}/series"),
        ("DELETE", f"/api/cities/auenstedt/goals/{HUGE}"),
        ("GET", f"/api/cities/auenstedt/plans/{HUGE}"),
        ("GET", f"/api/cities/auenstedt/plans/actions/{HUGE}"),
        ("GET", f"/api/cities/auenstedt/consultations/{HUGE}"),
        ("GET", f"/api/cities/auenstedt/consultations/{HUGE}/results"),
        ("POST", f"/api/cities/auenstedt/consultations/1/comments/{HUGE}/moderation"),
        ("POST", f"/api/cities/auenstedt/consultations/1/items/{HUGE}/moderation"),
        ("GET", f"/cities/auenstedt/goals/{HUGE}"),
        ("GET", f"/cities/auenstedt/plans/{HUGE}"),
        ("GET", f"/cities/auenstedt/consultations/{HUGE}"),
        ("GET", f"/cities/auenstedt/consultations/{HUGE}/results"),
        ("POST", f"/cities/auenstedt/consultations/{HUGE}/comments"),
    ],
)
def test_an_id_beyond_64_bits_is_refused_not_a_500(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path)
    assert answer.status_code in (401, 403, 404, 422), (path, answer.status_code)
    if method == "GET":
        assert answer.status_code == 422


def test_a_goal_on_a_level_whose_boundaries_changed_has_a_baseline(demo: Workspace) -> None:
    """The demo splits its most populous planning area after its last year (demo/boundary.py): a goal on the
    whole level is on the areas the baseline was measured in (the old area, not its halves), and its group
    baseline is the level's value then, computed here from the stored values of those areas."""
    from datetime import date

    from bettercities.goals import service as goals
    from bettercities.goals.schemas import AreaSelection, GoalIn, SelectionKind

    goal_in = GoalIn(
        title="Weniger Arbeitslosigkeit in allen Planungsräumen",
        indicator="unemployment",
        areas=AreaSelection(kind=SelectionKind.LEVEL, value="planning_area"),
        target_change=-1.0,
        deadline=date(2030, 12, 31),
        owner_unit="Jobcenter",
    )
    with demo.database.session() as session:
        goal = goals.add_goal(session, "auenstedt", goal_in, actor="test")
        city = areas.get_city(session, "auenstedt")
        level = areas.get_level(session, city, "planning_area")
        then = {a.code for a in areas.areas_of_level(session, level, at=date(LAST, 12, 31))}
        now = {a.code for a in areas.areas_of_level(session, level, at=date.today())}
        goals.remove_goal(session, city, goal.id)
    assert then != now  # the split is after the baseline: today's areas would have no value in any period
    assert goal.baseline.period == str(LAST)
    assert set(goal.area_codes) == then
    # the level's unemployment then, by hand from the generator: unemployed / population 15-65 over its areas
    generated = generate_demo_city(**PARAMS).observations
    wanted = (generated["indicator_code"] == "unemployment") & (generated["period_code"] == str(LAST))
    rows = generated[wanted]
    rows = rows[rows["area_code"].isin(then)]
    assert len(rows) == len(then)
    assert goal.baseline.value == pytest.approx(100 * rows["numerator"].sum() / rows["denominator"].sum())
