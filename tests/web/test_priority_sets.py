"""Named sets of priority areas saved from the web (form and API), and who sees them.

Testville (``tests/web/citybuilder.py``) with an MSS-type run (``tests/support/testville_mss.py``): Berlin's
preset rule chooses 0202 and 0203 on public data and also 0102 for the data team, whose view includes the
suppressed unemployment cell of 0102. A set saved for the data team therefore holds restricted information
(0102's class) and must not reach anyone outside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from bettercities.analysis.index.results import StoredRun
from bettercities.storage.workspace import Workspace
from tests.support.testville_mss import INTERNAL_CHOICE, PUBLIC_CHOICE, run_testville_mss
from tests.web.citybuilder import BuiltCity
from tests.web.conftest import add_user, csrf_of, issue_token, sign_in

PRESET = "mss-low-status-negative-dynamics"
API = "/api/cities/testville/priority-sets"


@pytest.fixture
def mss_run(workspace: Workspace, city: BuiltCity) -> StoredRun:
    with workspace.database.session() as session:
        return run_testville_mss(session)


@pytest.fixture
def users(workspace: Workspace, mss_run: StoredRun) -> dict[str, str]:
    """An analyst, a viewer (member) of Testville and a steward of nowhere else; returns their names."""
    return {
        "analyst": add_user(workspace, "ana", {"testville": "analyst"}),
        "viewer": add_user(workspace, "vic", {"testville": "viewer"}),
    }


def fresh(client: TestClient, username: str | None = None) -> TestClient:
    """Another browser on the same app, signed in as ``username`` (anonymous without)."""
    other = TestClient(client.app)
    if username:
        sign_in(other, username)
    return other


@pytest.fixture
def analyst(client: TestClient, users: dict[str, str]) -> Iterator[TestClient]:
    with fresh(client, users["analyst"]) as browser:
        yield browser


def test_an_analyst_saves_the_shown_rule_through_the_form(
    analyst: TestClient, client: TestClient, mss_run: StoredRun
) -> None:
    page = analyst.get("/cities/testville/priority?lang=en")
    assert page.status_code == 200 and "Save as named set" in page.text
    # the form is the page's second (the header's sign-out form comes first): take the token from it
    form = page.text[page.text.index('id="save-set"') :]
    response = analyst.post(
        "/cities/testville/priority-sets?lang=en",
        data={
            "csrf_token": csrf_of(form),
            "rule": PRESET,
            "name": "Aufmerksamkeit 2022",
            "description": "for the district office",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    assert location == f"/cities/testville/priority-sets/{quote('Aufmerksamkeit 2022', safe='')}?lang=en"
    shown = analyst.get(location)
    assert shown.status_code == 200
    html = shown.text
    assert all(f"<td>{code}</td>" in html for code in INTERNAL_CHOICE)
    assert html.count('class="area"') == 8 and html.count('data-category="priority"') >= 3
    assert ">ana<" in html and f"/index-runs/{mss_run.id}" in html and 'data-audience="internal"' in html
    assert "for the district office" in html
    german = analyst.get(location.replace("lang=en", "lang=de")).text
    assert "Gebietsauswahl: Aufmerksamkeit 2022" in german and "Statistikteam" in german
    twin = analyst.get(location.replace("?lang=en", ".json")).json()
    api = analyst.get(f"{API}/{quote('Aufmerksamkeit 2022')}").json()
    assert twin == api
    assert [a["area_id"] for a in api["areas"]] == INTERNAL_CHOICE
    assert api["audience"] == "internal" and api["runs"] == [mss_run.id] and api["user"] == "ana"
    assert api["rule"]["name"] == PRESET and api["level"] == "planning_area" and api["period"] == "2022"
    # the priority page lists it and links to its page
    assert (
        "/cities/testville/priority-sets/Aufmerksamkeit%202022"
        in analyst.get("/cities/testville/priority?lang=en").text
    )
    # a set evaluated on the data team's view is the data team's: nobody else learns of it
    for username in (None, "vic"):
        with fresh(client, username) as other:
            assert other.get(API).json() == []
            assert other.get(f"{API}/{quote('Aufmerksamkeit 2022')}").status_code == 404
            assert other.get(location).status_code == 404
            assert other.get(location.replace("?lang=en", ".json")).status_code == 404
            assert "Aufmerksamkeit" not in other.get("/cities/testville/priority?lang=en").text


def test_a_set_for_the_public_is_evaluated_on_public_data(
    workspace: Workspace, client: TestClient, users: dict[str, str]
) -> None:
    token = issue_token(workspace, users["analyst"], write=True)
    response = client.post(
        API,
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "public attention", "rule": PRESET, "audience": "public"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [a["area_id"] for a in body["areas"]] == PUBLIC_CHOICE and body["audience"] == "public"
    members = client.post(
        API,
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "members", "rule": PRESET, "audience": "member", "description": "restricted"},
    )
    assert members.status_code == 201 and members.json()["audience"] == "member"
    with fresh(client) as anonymous:
        assert [s["name"] for s in anonymous.get(API).json()] == ["public attention"]
        page = anonymous.get("/cities/testville/priority-sets/public%20attention?lang=en")
        assert page.status_code == 200 and "<td>0102</td>" not in page.text and "<td>0202</td>" in page.text
        assert anonymous.get(f"{API}/members").status_code == 404
    with fresh(client, users["viewer"]) as viewer:
        assert [s["name"] for s in viewer.get(API).json()] == ["members", "public attention"]
        assert viewer.get(f"{API}/members").json()["areas"] == members.json()["areas"]


def test_a_rule_in_the_body_and_its_level_and_period(
    workspace: Workspace, client: TestClient, users: dict[str, str]
) -> None:
    token = issue_token(workspace, users["analyst"], write=True)
    rule = {
        "name": "much green",
        "conditions": [{"kind": "threshold", "indicator": "green_space", "op": ">=", "value": 12}],
    }
    response = client.post(
        API,
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "green", "rule": rule, "level": "planning_area", "period": "2021"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["period"] == "2021" and body["runs"] == [] and body["rule"]["name"] == "much green"
    assert body["areas"] and all(a["reasons"][0].startswith("green_space = ") for a in body["areas"])
    unknown = client.post(
        API, headers={"Authorization": f"Bearer {token}"}, json={"name": "x", "rule": "no-such-preset"}
    )
    assert unknown.status_code == 422 and "no-such-preset" in unknown.json()["detail"]


def test_a_name_in_use_answers_409_naming_it(analyst: TestClient) -> None:
    first = analyst.post(API, json={"name": "twice", "rule": PRESET})
    assert first.status_code == 201, first.text
    again = analyst.post(API, json={"name": "twice", "rule": PRESET})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "'twice'" in again.json()["detail"]
    page = analyst.get("/cities/testville/priority?lang=en").text
    form = page[page.index('id="save-set"') :]
    refused = analyst.post(
        "/cities/testville/priority-sets?lang=en",
        data={"csrf_token": csrf_of(form), "rule": PRESET, "name": "twice", "description": "kept"},
        follow_redirects=False,
    )
    assert refused.status_code == 409 and "&#39;twice&#39;" in refused.text and 'value="kept"' in refused.text
    blank = analyst.post(
        "/cities/testville/priority-sets?lang=en",
        data={"csrf_token": csrf_of(form), "rule": PRESET, "name": "   "},
        follow_redirects=False,
    )
    assert blank.status_code == 422 and 'role="alert"' in blank.text
    nul = analyst.post(API, json={"name": "a\x00b", "rule": PRESET})  # was a 500 on PostgreSQL
    assert nul.status_code == 422 and "control character" in nul.json()["detail"]


def test_only_analysts_save_sets(workspace: Workspace, client: TestClient, users: dict[str, str]) -> None:
    body = {"name": "nope", "rule": PRESET}
    with fresh(client) as anonymous:
        assert anonymous.post(API, json=body).status_code == 401
        assert "Save as named set" not in anonymous.get("/cities/testville/priority?lang=en").text
    with fresh(client, users["viewer"]) as viewer:
        assert viewer.post(API, json=body).status_code == 403
        page = viewer.get("/cities/testville/priority?lang=en").text
        assert "Save as named set" not in page
        refused = viewer.post(
            "/cities/testville/priority-sets",
            data={"csrf_token": csrf_of(page), "name": "nope"},
            follow_redirects=False,
        )
        assert refused.status_code == 403
    read = issue_token(workspace, users["analyst"], write=False)
    assert client.post(API, json=body, headers={"Authorization": f"Bearer {read}"}).status_code == 403
    with fresh(client, users["analyst"]) as analyst:
        del analyst.headers["X-CSRF-Token"]  # a session without the CSRF token is refused
        missing = analyst.post(API, json=body)
        assert missing.status_code == 403 and "CSRF" in missing.text
    with fresh(client) as anonymous:
        assert anonymous.get(API).json() == []
