"""The plan pages in German and English (SQLite: rendering, not storage): the list, a plan's page with its
budget by hand, timeline, goals and risks, the printable document, the JSON twins, who sees a plan that is not
public, the forms of stewards (CSRF, refused input shown again with nothing written, status changes into the
history) and the API's writes. The city and plans are ``conftest.py``'s (figures by hand in test_plans.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bettercities.access.policy import ANONYMOUS
from bettercities.plans import queries
from bettercities.plans.models import PlanAction, PlanObjective, PlanStatusChange
from bettercities.views.reader import Reader
from bettercities.web import create_app
from tests.plans.conftest import SLUG, Built
from tests.web.conftest import CHEAP, SETTINGS, add_user, csrf_of, sign_in


@dataclass
class Served:
    built: Built
    client: TestClient


@pytest.fixture(scope="module")
def served(built: Built) -> Iterator[Served]:
    from bettercities.access import passwords

    original = passwords.hasher
    passwords.hasher = lambda: CHEAP  # type: ignore[assignment]
    add_user(built.workspace, "steward", {SLUG: "steward"})
    add_user(built.workspace, "member", {SLUG: "viewer"})
    with TestClient(create_app(built.workspace, settings=SETTINGS)) as client:
        yield Served(built, client)
    passwords.hasher = original  # type: ignore[assignment]


@pytest.fixture
def anonymous(served: Served) -> Iterator[TestClient]:
    with TestClient(served.client.app) as client:
        yield client


@pytest.fixture
def steward(served: Served) -> Iterator[TestClient]:
    with TestClient(served.client.app) as client:
        sign_in(client, "steward")
        yield client


@pytest.fixture
def member(served: Served) -> Iterator[TestClient]:
    with TestClient(served.client.app) as client:
        sign_in(client, "member")
        yield client


def text(response: object) -> str:
    return str(response.text).replace("\u202f", " ").replace("\xa0", " ")  # type: ignore[attr-defined]


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def test_the_plan_page_in_german_and_english(anonymous: TestClient, served: Served) -> None:
    plan = served.built.plans["public"]
    german = text(anonymous.get(f"/cities/{SLUG}/plans/{plan}?lang=de"))
    budget = _section(german, 'id="budget"')
    # by hand (test_plans.py): 155,000.50 in all, ESF+ 125,000.00, municipal 30,000.50; ERDF only dropped
    assert "155.000,50 EUR" in budget and "125.000,00 EUR" in budget and "30.000,50 EUR" in budget
    assert "ERDF" not in budget and "Nach Finanzierungsquelle" in budget
    assert "beschlossen" in german and "Zeitplan" in german and "Risiken" in german
    assert "Fachkräftemangel" in german and "Familienzentren" in german and "Caritas, AWO" in german
    english = text(anonymous.get(f"/cities/{SLUG}/plans/{plan}?lang=en"))
    assert "155,000.50 EUR" in english and "By funding source" in english and "adopted" in english
    # the action table and the timeline name every action with its status
    rows = dict(re.findall(r'<tr data-action="(\d+)" data-status="(\w+)"', english))
    statuses = {"A1": "planned", "A2": "in_progress", "A3": "done", "A4": "dropped", "A5": "delayed"}
    assert rows == {str(served.built.actions[key]): status for key, status in statuses.items()}
    svg = english[english.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline"') :]
    svg = svg[: svg.index("</svg>")]
    assert 'role="img"' in svg and "<title>Timeline of the actions</title>" in svg
    assert len(re.findall(r'<g class="bar"', svg)) == 5 and "Eröffnung" in svg  # the milestone's hover text


def test_linked_goals_show_their_status_and_hidden_goals_nothing(
    anonymous: TestClient, member: TestClient, served: Served
) -> None:
    plan = served.built.plans["public"]
    goals = _section(text(anonymous.get(f"/cities/{SLUG}/plans/{plan}?lang=en")), 'id="goals"')
    down, green = served.built.goals["down"], served.built.goals["green"]
    assert f'data-goal="{down}"' in goals and "Weniger Arbeitslose" in goals and "off track" in goals
    assert f'data-goal="{green}" data-hidden-goal' in goals and "Mehr Grün" not in goals
    assert "A goal you may not see." in goals
    seen = _section(text(member.get(f"/cities/{SLUG}/plans/{plan}?lang=en")), 'id="goals"')
    assert "Mehr Grün" in seen and "data-hidden-goal" not in seen


def test_a_plan_that_is_not_public_is_there_only_for_members(
    anonymous: TestClient, member: TestClient, served: Served
) -> None:
    internal, action = served.built.plans["internal"], served.built.actions["internal"]
    for url in (f"/cities/{SLUG}/plans/{internal}", f"/cities/{SLUG}/plans/{internal}.json",
                f"/cities/{SLUG}/plans/{internal}/print", f"/api/cities/{SLUG}/plans/{internal}",
                f"/api/cities/{SLUG}/plans/actions/{action}"):  # fmt: skip
        assert anonymous.get(url).status_code == 404, url
        assert member.get(url).status_code == 200, url
    listed = text(anonymous.get(f"/cities/{SLUG}/plans?lang=de"))
    assert "Aktionsplan Nord" in listed and "Interner Entwurf" not in listed
    assert "Interner Entwurf" in text(member.get(f"/cities/{SLUG}/plans?lang=de"))
    assert [p["id"] for p in anonymous.get(f"/api/cities/{SLUG}/plans").json()] == [
        served.built.plans["public"]
    ]
    # only stewards get the forms
    assert (
        'id="new-plan"' not in listed
        and 'id="add-objective"'
        not in member.get(f"/cities/{SLUG}/plans/{served.built.plans['public']}").text
    )


def test_the_printable_plan_has_no_navigation_and_prints_on_a4(anonymous: TestClient, served: Served) -> None:
    plan = served.built.plans["public"]
    for lang, words in (("de", ("Aktionsplan", "155.000,50 EUR", "Zeitplan")),
                        ("en", ("Action plan", "155,000.50 EUR", "Timeline"))):  # fmt: skip
        page = anonymous.get(f"/cities/{SLUG}/plans/{plan}/print?lang={lang}")
        assert page.status_code == 200 and page.headers["content-language"] == lang
        html = text(page)
        assert all(word in html for word in words), lang
        assert "site-header" not in html and "main-nav" not in html and "<form" not in html
        assert "plans-print.css" in html
    css = anonymous.get(re.findall(r'href="(/static/css/plans-print.css[^"]*)"', page.text)[0])
    assert css.status_code == 200 and "size: A4" in css.text and "@page" in css.text


def test_json_twins_return_the_queries_results(anonymous: TestClient, served: Served) -> None:
    plan = served.built.plans["public"]
    with served.built.workspace.database.reader() as session:
        reader = Reader(session, principal=ANONYMOUS)
        assert anonymous.get(f"/cities/{SLUG}/plans.json").json() == [
            p.model_dump(mode="json") for p in queries.visible_plans(reader, SLUG)
        ]
        expected = queries.visible_plan(reader, SLUG, plan).model_dump(mode="json")
    for url in (f"/cities/{SLUG}/plans/{plan}.json", f"/cities/{SLUG}/plans/{plan}/print.json",
                f"/api/cities/{SLUG}/plans/{plan}"):  # fmt: skip
        assert anonymous.get(url).json() == expected, url


def _count(served: Served, model: type) -> int:
    with served.built.workspace.database.reader() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_stewards_add_objectives_and_actions_through_the_forms(steward: TestClient, served: Served) -> None:
    plan = served.built.plans["public"]
    page = steward.get(f"/cities/{SLUG}/plans/{plan}?lang=en")
    token = csrf_of(page.text)
    objectives = _count(served, PlanObjective)
    done = steward.post(
        f"/cities/{SLUG}/plans/{plan}/objectives?lang=en",
        data={"csrf_token": token, "title": "Mehr Beteiligung", "goals": str(served.built.goals["down"])},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/cities/{SLUG}/plans/{plan}?lang=en"
    assert _count(served, PlanObjective) == objectives + 1
    # refused: a negative budget and an unknown area; shown above the form, values kept, nothing written
    actions = _count(served, PlanAction)
    refused = steward.post(
        f"/cities/{SLUG}/plans/{plan}/actions?lang=de",
        data={"csrf_token": token, "objective": str(served.built.objectives["O1"]), "title": "Kiezfest",
              "budget": "-5", "areas": "0101"},
    )  # fmt: skip
    assert refused.status_code == 422 and 'data-refused="action"' in refused.text
    assert "budget" in refused.text and 'value="Kiezfest"' in refused.text
    unknown = steward.post(
        f"/cities/{SLUG}/plans/{plan}/actions?lang=en",
        data={"csrf_token": token, "objective": str(served.built.objectives["O1"]), "title": "Kiezfest",
              "budget": "1500", "areas": "0101, 9999"},
    )  # fmt: skip
    assert unknown.status_code == 422 and "9999 is not an area of testville" in unknown.text
    assert _count(served, PlanAction) == actions
    added = steward.post(
        f"/cities/{SLUG}/plans/{plan}/actions?lang=en",
        data={"csrf_token": token, "objective": str(served.built.objectives["O1"]), "title": "Kiezfest",
              "budget": "1.500,25".replace(".", ""), "funding_source": "municipal", "areas": "0101",
              "start": "2026-05-01", "end": "2026-05-31", "partners": "Kiezverein, Schule"},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303 and _count(served, PlanAction) == actions + 1
    json = steward.get(f"/cities/{SLUG}/plans/{plan}.json").json()
    fest = next(a for o in json["objectives"] for a in o["actions"] if a["title"] == "Kiezfest")
    assert fest["budget"] == "1500.25" and fest["partners"] == ["Kiezverein", "Schule"]
    assert json["figures"]["budget_total"][0]["amount"] == "156500.75"  # 155,000.50 + 1,500.25
    steward.delete(f"/api/cities/{SLUG}/plans/actions/{fest['id']}")


@pytest.mark.parametrize(
    ("lang", "typed", "amount"),
    [
        ("de", "1.500", "1500"),  # German thousands: 1500 EUR (it was read as 1.5)
        ("de", "1.500,25", "1500.25"),
        ("en", "1,500.50", "1500.50"),
        ("en", "1500.5", "1500.5"),
    ],
)
def test_the_action_form_reads_a_budget_as_german_or_english_writes_it(
    steward: TestClient, served: Served, lang: str, typed: str, amount: str
) -> None:
    """The action form's budget through web.formatting.parse_amount, as the impact register's form."""
    plan = served.built.plans["internal"]
    objective = served.built.objectives["O3"]
    token = csrf_of(steward.get(f"/cities/{SLUG}/plans/{plan}?lang={lang}").text)
    title = f"Budget {lang} {typed}"
    added = steward.post(
        f"/cities/{SLUG}/plans/{plan}/actions?lang={lang}",
        data={"csrf_token": token, "objective": str(objective), "title": title, "budget": typed},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text[:2000]
    json = steward.get(f"/cities/{SLUG}/plans/{plan}.json").json()
    action = next(a for o in json["objectives"] for a in o["actions"] if a["title"] == title)
    assert Decimal(action["budget"]) == Decimal(amount)
    assert steward.delete(f"/api/cities/{SLUG}/plans/actions/{action['id']}").status_code == 204


def test_a_status_change_from_the_page_goes_into_the_history(steward: TestClient, served: Served) -> None:
    plan, action = served.built.plans["public"], served.built.actions["A5"]
    token = csrf_of(steward.get(f"/cities/{SLUG}/plans/{plan}").text)
    before = _count(served, PlanStatusChange)
    moved = steward.post(
        f"/cities/{SLUG}/plans/{plan}/actions/{action}/status",
        data={"csrf_token": token, "status": "in_progress", "note": "Bauantrag genehmigt"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and _count(served, PlanStatusChange) == before + 1
    history = _section(text(steward.get(f"/cities/{SLUG}/plans/{plan}?lang=en")), 'id="history"')
    assert "Bauantrag genehmigt" in history and "steward" in history
    bad = steward.post(
        f"/cities/{SLUG}/plans/{plan}/actions/{action}/status",
        data={"csrf_token": token, "status": "finished"},
    )
    assert bad.status_code == 422 and 'data-refused="status"' in bad.text
    assert _count(served, PlanStatusChange) == before + 1
    steward.post(f"/api/cities/{SLUG}/plans/actions/{action}/status", json={"status": "delayed"})


def test_writes_need_a_steward_and_a_csrf_token(
    anonymous: TestClient, member: TestClient, steward: TestClient, served: Served
) -> None:
    plan = served.built.plans["public"]
    body = {"title": "X", "period_from": "2026-01-01", "period_to": "2026-12-31"}
    assert anonymous.post(f"/api/cities/{SLUG}/plans", json=body).status_code == 401
    assert member.post(f"/api/cities/{SLUG}/plans", json=body).status_code == 403
    no_token = TestClient(served.client.app)
    sign_in(no_token, "steward")
    no_token.headers.pop("X-CSRF-Token", None)
    assert no_token.post(f"/cities/{SLUG}/plans/{plan}/objectives", data={"title": "X"}).status_code == 403
    created = steward.post(f"/api/cities/{SLUG}/plans", json=body)
    assert created.status_code == 201 and created.json()["public"] is False
    refused = steward.post(f"/api/cities/{SLUG}/plans", json={**body, "period_to": "2025-01-01"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "invalid-timeline"
    unknown = steward.post(f"/api/cities/{SLUG}/plans/{created.json()['id']}/objectives",
                           json={"title": "O", "goals": [999999]})  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["code"] == "unknown-goal"
    assert steward.delete(f"/api/cities/{SLUG}/plans/{created.json()['id']}").status_code == 204


def test_a_refused_api_body_answers_the_plans_problem_codes(steward: TestClient) -> None:
    """The body the model refuses answers like the pages and the CLI: "Invalid input" with a coded problem
    per field (not pydantic's "Invalid parameter" with its error types); nothing written."""
    before = len(steward.get(f"/api/cities/{SLUG}/plans").json())
    body = {"title": "x" * 201, "period_from": "2026-01-01", "period_to": "2026-12-31", "extra": 1}
    refused = steward.post(f"/api/cities/{SLUG}/plans", json=body)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["title"] == "Invalid input"
    assert [(e["code"], e["column"]) for e in problem["errors"]] == [
        ("invalid-text", "title"), ("invalid-plan", "extra"),
    ]  # fmt: skip
    assert "title: String should have at most 200 characters" in problem["detail"]
    assert len(steward.get(f"/api/cities/{SLUG}/plans").json()) == before
    # a refused path parameter is still a parameter's problem
    assert steward.get(f"/api/cities/{SLUG}/plans/abc").json()["title"] == "Invalid parameter"


def test_the_city_page_links_the_plans(anonymous: TestClient) -> None:
    html = anonymous.get(f"/cities/{SLUG}?lang=en").text
    assert 'data-link="plans"' in html and f'href="/cities/{SLUG}/plans?lang=en"' in html
