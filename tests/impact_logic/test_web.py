"""The impact logic's API and page on the small world (SQLite): the page shows each box's measures with the
value computed from the stored data (recomputed here with a plain count), in German and English, with the
diagram and its table; the JSON twin is the API's answer; a coordinator of a network of the programme adds a
box, a link, a measure and a value through the API and the page's forms, others are refused (401 for the
anonymous visitor, 403 for a user without the role and for the coordinator's read-only token)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bettercities import access as accounts
from bettercities.audit.models import AuditEntry
from bettercities.core.settings import Settings
from bettercities.networks.models import Network, Programme
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.impact_logic.world import AS_OF, build
from tests.support.served import PASSWORD, csrf_of, sign_in


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, str]]]:
    ws = Workspace.init(tmp_path_factory.mktemp("impact-logic-web"))
    with ws.database.session() as session:
        build(session)
        for user in ("coordinator", "other"):
            accounts.create_user(session, user, PASSWORD)
        accounts.grant_network(session, "coordinator", "tandem-arezzo-hamm", "coordinator")
        tokens = {
            "coordinator": accounts.issue_token(session, "coordinator", name="w", write=True).token,
            "read-only": accounts.issue_token(session, "coordinator", name="r").token,
            "other": accounts.issue_token(session, "other", name="o", write=True).token,
        }
    yield ws, tokens
    ws.close()


@pytest.fixture(scope="module")
def client(world: tuple[Workspace, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(world[0], settings=Settings(default_language="en"))) as test_client:
        yield test_client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_page_shows_values_computed_from_the_stored_data(
    world: tuple[Workspace, dict[str, str]], client: TestClient
) -> None:
    ws, _ = world
    with ws.database.reader() as session:  # the recount, independent of the library: a plain count
        expected = session.scalar(
            select(func.count(Network.id))
            .join(Programme, Programme.id == Network.programme_id)
            .where(Programme.slug == "vie", Network.kind == "tandem", Network.start <= AS_OF)
        )
    assert expected == 2
    page = client.get("/programmes/vie/impact-logic", params={"on": AS_OF.isoformat()})
    assert page.status_code == 200, page.text
    row = re.search(
        r'<tr data-box="tandems" data-measure="formed" data-code="tandems_formed" data-value="([^"]+)"',
        page.text,
    )
    assert row is not None and float(row.group(1)) == expected
    assert "Tandems formed" in page.text and 'id="logic-table"' in page.text
    svg = re.search(r'<svg[^>]*class="impact-logic".*?</svg>', page.text, re.S)
    assert svg is not None and 'role="img"' in svg.group(0) and "<desc" in svg.group(0)
    assert svg.group(0).count('class="logic-box"') == 3 and svg.group(0).count('class="link"') == 2
    assert f"{expected} tandems" in svg.group(0)  # the value on the diagram
    twin = client.get("/programmes/vie/impact-logic.json", params={"on": AS_OF.isoformat()}).json()
    api = client.get("/api/programmes/vie/impact-logic", params={"on": AS_OF.isoformat()}).json()
    assert twin == api
    formed = next(m for b in api["boxes"] for m in b["measures"] if m["key"] == "formed")
    assert formed["current"] == expected and formed["target"] == 6
    german = client.get("/programmes/vie/impact-logic", params={"on": AS_OF.isoformat(), "lang": "de"})
    assert "Wirkungslogik" in german.text and "Output (Leistungen)" in german.text
    assert client.get("/programmes/nowhere/impact-logic").status_code == 404
    programme = client.get("/programmes/vie")
    assert 'href="/programmes/vie/impact-logic' in programme.text


def test_writes_need_a_coordinator_of_the_programme(
    world: tuple[Workspace, dict[str, str]], client: TestClient
) -> None:
    ws, tokens = world
    path = "/api/programmes/vie/impact-logic/boxes"
    body = {"key": "info", "stage": "activities", "title_de": "Information", "title_en": "Information"}
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body, headers=_auth(tokens["other"])).status_code == 403
    assert client.post(path, json=body, headers=_auth(tokens["read-only"])).status_code == 403
    added = client.post(path, json=body, headers=_auth(tokens["coordinator"]))
    assert added.status_code == 201, added.text
    coordinator = _auth(tokens["coordinator"])
    linked = client.post(
        "/api/programmes/vie/impact-logic/links",
        json={"source": "info", "target": "tandems"},
        headers=coordinator,
    )
    assert linked.status_code == 201, linked.text
    backward = client.post(
        "/api/programmes/vie/impact-logic/links",
        json={"source": "lasting", "target": "info"},
        headers=coordinator,
    )
    assert backward.status_code == 422 and backward.json()["errors"][0]["code"] == "logic-backward-link"
    measure = client.post(
        "/api/programmes/vie/impact-logic/measures",
        json={"key": "webinars", "box": "info", "label_de": "Webinare", "label_en": "Webinars"},
        headers=coordinator,
    )
    assert measure.status_code == 201, measure.text
    value = client.post(
        "/api/programmes/vie/impact-logic/measures/webinars/values",
        json={"day": "2023-02-19", "value": 4, "source": "programme report"},
        headers=coordinator,
    )
    assert value.status_code == 201, value.text
    target = client.patch(
        "/api/programmes/vie/impact-logic/measures/webinars", json={"target": 8}, headers=coordinator
    )
    assert target.status_code == 200 and target.json()["target"] == 8
    logic = client.get("/api/programmes/vie/impact-logic", params={"on": AS_OF.isoformat()}).json()
    webinars = next(m for b in logic["boxes"] for m in b["measures"] if m["key"] == "webinars")
    assert (webinars["current"], webinars["source"]) == (4, "programme report")
    with ws.database.reader() as session:
        tables = set(session.scalars(select(AuditEntry.entity).where(AuditEntry.actor == "coordinator")))
    assert {"impact_logic_box", "impact_logic_link", "impact_logic_measure", "impact_logic_value"} <= tables
    assert (
        client.delete("/api/programmes/vie/impact-logic/boxes/info", headers=coordinator).status_code == 204
    )
    assert (
        client.delete("/api/programmes/vie/impact-logic/boxes/info", headers=coordinator).status_code == 404
    )


def test_the_page_forms(world: tuple[Workspace, dict[str, str]]) -> None:
    ws, _ = world
    with TestClient(create_app(ws, settings=Settings(default_language="en"))) as browser:
        anonymous = browser.get("/programmes/vie/impact-logic")
        assert 'id="box-form"' not in anonymous.text
        sign_in(browser, "coordinator")
        page = browser.get("/programmes/vie/impact-logic")
        assert 'id="box-form"' in page.text and 'data-measure="continuing"' in page.text
        token = csrf_of(page.text)
        added = browser.post(
            "/programmes/vie/impact-logic/boxes",
            data={"csrf_token": token, "key": "visits", "stage": "activities", "title_de": "Besuche",
                  "title_en": "Visits"},
            follow_redirects=False,
        )  # fmt: skip
        assert added.status_code == 303, added.text
        refused = browser.post(
            "/programmes/vie/impact-logic/links",
            data={"csrf_token": token, "source": "lasting", "target": "visits"},
            follow_redirects=False,
        )
        assert refused.status_code == 422 and 'id="logic-errors"' in refused.text
        value = browser.post(
            "/programmes/vie/impact-logic/measures/continuing/values",
            data={"csrf_token": token, "day": "2024-09-01", "value": "3", "source": "follow-up survey"},
            follow_redirects=False,
        )
        assert value.status_code == 303, value.text
        shown = browser.get("/programmes/vie/impact-logic", params={"on": "2024-12-31"})
        assert 'data-measure="continuing" data-value="3.0"' in shown.text and "Visits" in shown.text
