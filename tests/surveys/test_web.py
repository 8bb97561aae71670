"""The surveys' API and pages on one small world (SQLite): a contact answers for its municipality (the form
page with server-side skip logic, required answers and constraints, errors at the field), others are refused;
answers are seen only by the municipality's contacts and the coordinators; the public results withhold small
groups; the German pages speak German."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bettercities import access as accounts
from bettercities.access.contacts import add_contact
from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.served import PASSWORD, csrf_of, sign_in
from tests.surveys import world as survey_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, str]]]:
    ws = Workspace.init(tmp_path_factory.mktemp("surveys-web"))
    with ws.database.session() as session:
        survey_world.build(session)
        for user in ("fano-contact", "aue-contact", "coordinator", "other"):
            accounts.create_user(session, user, PASSWORD)
        add_contact(session, "fano-contact", "fano", by="test")
        add_contact(session, "aue-contact", "aue", by="test")
        accounts.grant_network(session, "coordinator", "south", "coordinator")
        tokens = {
            user: accounts.issue_token(session, user, name="t", write=True).token
            for user in ("fano-contact", "aue-contact", "coordinator", "other")
        }
    yield ws, tokens
    ws.close()


@pytest.fixture(scope="module")
def client(world: tuple[Workspace, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(world[0], settings=Settings(default_language="en"))) as test_client:
        yield test_client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ANSWERS = {
    "topics": "labour",
    "small_area": "no",
    "staff": "4",
    "sources": "open_data",
    "priorities": "never",
    "goals": "no",
    "measures_impact": "no",
}


def test_only_contacts_answer_and_see_the_answers(
    world: tuple[Workspace, dict[str, str]], client: TestClient
) -> None:
    _, tokens = world
    path = "/api/surveys/practice/responses/fano"
    assert client.put(path, json={"answers": ANSWERS}).status_code == 401
    assert (
        client.put(path, json={"answers": ANSWERS}, headers=_auth(tokens["aue-contact"])).status_code == 403
    )
    refused = client.put(
        path, json={"answers": ANSWERS | {"staff": "500"}}, headers=_auth(tokens["fano-contact"])
    )
    assert refused.status_code == 422, refused.text
    assert [(p["column"], p["code"]) for p in refused.json()["errors"]] == [("staff", "survey-constraint")]
    saved = client.put(path, json={"answers": ANSWERS}, headers=_auth(tokens["fano-contact"]))
    assert saved.status_code == 200, saved.text
    assert saved.json()["answers"]["staff"] == "4" and saved.json()["updated_by"] == "fano-contact"
    # answers: the contact, the coordinator of the programme; not the public, not another city's contact
    assert client.get(path).status_code == 401
    assert client.get(path, headers=_auth(tokens["aue-contact"])).status_code == 403
    assert client.get(path, headers=_auth(tokens["other"])).status_code == 403
    assert client.get(path, headers=_auth(tokens["coordinator"])).status_code == 200
    assert client.get(path, headers=_auth(tokens["fano-contact"])).json()["city"] == "fano"
    assert client.get("/api/surveys/practice/gaps/fano").status_code == 401
    # the survey page lists the responses for its coordinators only
    listed = client.get("/surveys/practice", headers=_auth(tokens["coordinator"])).text
    assert 'id="responses"' in listed and 'data-city="fano"' in listed
    assert 'id="responses"' not in client.get("/surveys/practice", headers=_auth(tokens["aue-contact"])).text
    # the public sees the aggregate: 6 respondents now, IT (empoli, fano) 2 -> withheld, DE secondary
    results = client.get("/api/surveys/practice/results", params={"by": "country"}).json()
    assert results["respondents"] == 6 and results["withheld_groups"] == ["DE", "IT"]
    assert "fano" not in client.get("/surveys/practice/results", params={"by": "country"}).text


def test_the_form_page_checks_on_the_server(
    world: tuple[Workspace, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    with TestClient(create_app(world[0], settings=Settings(default_language="de"))) as browser:
        sign_in(browser, "aue-contact")
        page = browser.get("/surveys/practice/respond", params={"city": "aue", "lang": "de"})
        assert page.status_code == 200, page.text
        # aue answered small_area = no: the level question is hidden
        assert 'id="q-finest_level" data-question="finest_level" hidden' in page.text
        assert "Sozialdaten in der Praxis der Kommunen" in page.text
        data = {
            **ANSWERS,
            "small_area": "yes",
            "staff": "900",
            "csrf_token": csrf_of(page.text),
            "action": "save",
        }
        refused = browser.post("/surveys/practice/respond?city=aue&lang=de", data=data)
        assert refused.status_code == 422
        assert 'aria-describedby="err-staff hint-staff" aria-invalid="true"' in refused.text
        assert "Bitte eine Zahl von 0 bis 200 angeben." in refused.text
        # the level question applies now and is required
        assert 'id="q-finest_level" data-question="finest_level" hidden' not in refused.text
        assert 'id="err-finest_level"' in refused.text
        data |= {"staff": "9", "finest_level": "district"}
        saved = browser.post("/surveys/practice/respond?city=aue&lang=de", data=data, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        assert "data-saved" in browser.get(saved.headers["location"]).text
        assert browser.get("/surveys/practice/respond", params={"city": "bonn"}).status_code == 403
        gaps = browser.get("/surveys/practice/gaps/aue", params={"lang": "de"})
        assert gaps.status_code == 200 and "nutzt bettercities nicht" in gaps.text


def test_pages_and_twins(client: TestClient) -> None:
    for url in (
        "/surveys",
        "/surveys/practice",
        "/surveys/practice/results",
        "/surveys/practice/results?by=size_class&network=north",
        "/surveys.json",
        "/surveys/practice.json",
        "/surveys/practice/results.json?by=network",
        "/api/surveys",
        "/api/surveys/practice/form",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get("/surveys/practice/results", params={"network": "north", "by": "size_class"}).text
    assert 'data-withheld="true"' in page and "<svg" not in page.split('id="withheld-note"')[0]
    whole = client.get("/surveys/practice/results").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="answer-chart"' in whole and "<desc" in whole
    assert client.get("/surveys/practice/results", params={"by": "nonsense"}).status_code == 422
