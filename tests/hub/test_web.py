"""The hub's API and pages on one small world (SQLite): a coordinator of a network of the programme adds and
removes a practice and an event through the API; the anonymous visitor gets 401, a user without the role and
a read-only token 403, an entry of no programme needs a platform admin; the search page with its filters and
its JSON twin, a practice and an event page in German and English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from bettercities import access as accounts
from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.core.settings import Settings
from bettercities.hub import service
from bettercities.hub.schemas import EventIn, PracticeIn
from bettercities.networks.schemas import ProgrammeIn
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, str]]]:
    ws = Workspace.init(tmp_path_factory.mktemp("hub-web"))
    with ws.database.session() as session:
        areas.create_city(session, CitySpec(slug="leipzig", name="Leipzig", country="DE"))
        networks.create_programme(session, ProgrammeIn(slug="urbact-iv", name="URBACT IV"))
        networks.create_network(session, "social-data", name_de="Sozialdaten", name_en="Social data",
                                programme="urbact-iv")  # fmt: skip
        service.add_practice(session, PracticeIn(
            slug="leipzig-monitoring", title="Kleinräumiges Sozialmonitoring", language="de", city="leipzig",
            network="social-data", theme="monitoring", summary="Sozialdaten für alle Ortsteile.",
        ), by="test")  # fmt: skip
        service.add_event(session, EventIn(
            slug="webinar-1", title="What do you collect?", held_on=date(2026, 1, 15), programme="urbact-iv",
            topic="Which social data cities hold.", speakers=["URBACT expert"],
            recommendations=["Start with an inventory."],
        ), by="test")  # fmt: skip
        for user in ("coordinator", "other"):
            accounts.create_user(session, user, PASSWORD)
        accounts.grant_network(session, "coordinator", "social-data", "coordinator")
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


def test_writes_need_a_coordinator_of_the_programme(
    world: tuple[Workspace, dict[str, str]], client: TestClient
) -> None:
    _, tokens = world
    body = {"slug": "leipzig-goals", "title": "Goals from data", "city": "leipzig", "programme": "urbact-iv",
            "summary": "Goals with baselines and targets.", "theme": "goals"}  # fmt: skip
    assert client.post("/api/hub/practices", json=body).status_code == 401
    assert client.post("/api/hub/practices", json=body, headers=_auth(tokens["other"])).status_code == 403
    assert client.post("/api/hub/practices", json=body, headers=_auth(tokens["read-only"])).status_code == 403
    added = client.post("/api/hub/practices", json=body, headers=_auth(tokens["coordinator"]))
    assert added.status_code == 201, added.text
    assert added.json()["city_name"] == "Leipzig"
    unplaced = {**body, "slug": "nowhere", "programme": None}  # an entry of no programme: platform admins
    assert (
        client.post("/api/hub/practices", json=unplaced, headers=_auth(tokens["coordinator"])).status_code
        == 403
    )
    refused = client.post("/api/hub/practices", json={**body, "slug": "x2", "city": "atlantis"},
                          headers=_auth(tokens["coordinator"]))  # fmt: skip
    assert refused.status_code == 422 and "atlantis" in refused.text
    event = {"slug": "webinar-2", "title": "How is it managed?", "held_on": "2026-01-22",
             "network": "social-data", "topic": "Sources", "recommendations": ["A steward."]}  # fmt: skip
    assert client.post("/api/hub/events", json=event, headers=_auth(tokens["coordinator"])).status_code == 201
    assert [i["slug"] for i in client.get("/api/hub", params={"q": "steward"}).json()] == ["webinar-2"]
    assert client.delete("/api/hub/events/webinar-2").status_code == 401
    assert client.delete("/api/hub/events/webinar-2", headers=_auth(tokens["coordinator"])).status_code == 204
    assert (
        client.delete("/api/hub/practices/leipzig-goals", headers=_auth(tokens["coordinator"])).status_code
        == 204
    )
    assert client.get("/api/hub/practices/leipzig-goals").status_code == 404
    with world[0].database.reader() as session:  # every write audited, by the coordinator
        from sqlalchemy import select

        from bettercities.audit.models import AuditEntry

        tables = set(session.scalars(select(AuditEntry.entity).where(AuditEntry.actor == "coordinator")))
    assert {"hub_practice", "hub_event"} <= tables


def test_search_page_twin_and_entries(client: TestClient) -> None:
    page = client.get("/hub", params={"q": "Sozialdaten", "lang": "de"})
    assert page.status_code == 200 and 'data-slug="leipzig-monitoring"' in page.text
    assert "Wissensspeicher" in page.text and 'data-slug="webinar-1"' not in page.text
    twin = client.get("/hub.json", params={"kind": "event"}).json()
    assert [i["slug"] for i in twin] == ["webinar-1"]
    assert (
        client.get("/hub.json", params={"network": "social-data"}).json()[0]["slug"] == "leipzig-monitoring"
    )
    assert client.get("/hub.json", params={"kind": "nonsense"}).status_code == 422
    practice = client.get("/hub/practices/leipzig-monitoring", params={"lang": "en"})
    assert practice.status_code == 200 and "What was done" in practice.text
    assert client.get("/hub/practices/leipzig-monitoring.json").json()["network"] == "social-data"
    event = client.get("/hub/events/webinar-1", params={"lang": "de"})
    assert "Empfehlungen" in event.text and "Start with an inventory." in event.text
    assert client.get("/hub/events/nowhere").status_code == 404
