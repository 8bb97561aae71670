"""Calls and tandems through the API and the pages on one small world (SQLite): a contact applies within the
window and is refused after it (409 call-late naming the deadline); an applicant sees only its own
applications (another's is 404); the panel's scores are for coordinators only (401/403, not in any JSON twin);
the coordinator moves applications on and forms a tandem that the programme's map draws; German pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bettercities import access as accounts
from bettercities.access import contacts
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.calls import service as calls
from bettercities.core.settings import Settings
from bettercities.networks import service as networks
from bettercities.networks.schemas import ProgrammeIn
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.calls.conftest import CHEAP, PASSWORD
from tests.calls.test_calls import call_spec

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, str]]]:
    from bettercities.access import passwords

    original = passwords.hasher
    passwords.hasher = lambda: CHEAP  # type: ignore[assignment]
    ws = Workspace.init(tmp_path_factory.mktemp("calls-web"))
    with ws.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug="vie", name="#vernetztinEuropa"))
        networks.create_network(session, "vie-net", name_de="Netz", name_en="Net", programme="vie")
        for slug, name, country, lat, lon in (
            ("hamm", "Hamm", "DE", 51.68, 7.82), ("arezzo", "Arezzo", "IT", 43.46, 11.88),
            ("krefeld", "Krefeld", "DE", 51.34, 6.59),
        ):  # fmt: skip
            spec = CitySpec(slug=slug, name=name, country=country, lat=lat, lon=lon, population=150_000)
            areas.create_city(session, spec)
        for user in ("coord", "hammc", "arezzoc", "krefeldc"):
            accounts.create_user(session, user, PASSWORD)
        accounts.grant_network(session, "coord", "vie-net", "coordinator")
        for user, city in (("hammc", "hamm"), ("arezzoc", "arezzo"), ("krefeldc", "krefeld")):
            contacts.add_contact(session, user, city, by="admin")
        window = {"opens_at": NOW - timedelta(days=10), "closes_at": NOW + timedelta(days=10)}
        calls.create_call(
            session, call_spec(slug="open-call", countries=[], size_classes=[], **window), by="c"
        )
        past = {"opens_at": datetime(2021, 12, 2), "closes_at": datetime(2022, 2, 26)}
        calls.create_call(session, call_spec(slug="past-call", **past), by="c")
        for slug in ("open-call", "past-call"):
            calls.open_call(session, slug, by="c")
        tokens = {
            name: accounts.issue_token(session, name, name="t", write=True).token
            for name in ("coord", "hammc", "arezzoc", "krefeldc")
        }
    yield ws, tokens
    ws.close()
    passwords.hasher = original  # type: ignore[assignment]


@pytest.fixture(scope="module")
def client(world: tuple[Workspace, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(world[0], settings=Settings(default_language="en"))) as test_client:
        yield test_client


def _as(tokens: dict[str, str], name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[name]}"}


def _apply(
    client: TestClient, tokens: dict[str, str], who: str, city: str, call: str = "open-call"
) -> object:
    body = {
        "city": city,
        "theme": "climate",
        "answers": {"motivation": "learn"},
        "time_zone": "Europe/Athens",
    }
    return client.post(f"/api/calls/{call}/applications", json=body, headers=_as(tokens, who))


def test_call_to_tandem_through_the_api(world: tuple[Workspace, dict[str, str]], client: TestClient) -> None:
    _, tokens = world
    assert client.get("/api/calls/open-call").json()["accepting"] is True
    ids = {}
    for who, city in (("hammc", "hamm"), ("arezzoc", "arezzo"), ("krefeldc", "krefeld")):
        response = _apply(client, tokens, who, city)
        assert response.status_code == 201, response.text  # type: ignore[attr-defined]
        ids[city] = response.json()["id"]  # type: ignore[attr-defined]
    # a contact speaks only for its own municipality
    assert _apply(client, tokens, "hammc", "arezzo").status_code == 403  # type: ignore[attr-defined]
    # late: refused, naming the deadline in the call's and the applicant's zone
    late = _apply(client, tokens, "hammc", "hamm", call="past-call")
    assert late.status_code == 409  # type: ignore[attr-defined]
    problem = late.json()  # type: ignore[attr-defined]
    assert "2022-02-26 00:00 CET (Europe/Berlin)" in problem["detail"]
    assert "2022-02-26 01:00 EET (Europe/Athens)" in problem["detail"]
    # an applicant sees only its own
    own = client.get("/api/calls/open-call/applications", headers=_as(tokens, "hammc")).json()
    assert [a["city"] for a in own] == ["hamm"]
    assert client.get(f"/api/applications/{ids['arezzo']}", headers=_as(tokens, "hammc")).status_code == 404
    assert client.get(f"/applications/{ids['arezzo']}.json", headers=_as(tokens, "hammc")).status_code == 404
    assert client.get("/api/calls/open-call/applications").status_code == 401
    # the coordinator moves them on and scores
    for city in ("hamm", "arezzo"):
        for step in ("eligible", "shortlisted", "selected"):
            response = client.post(
                f"/api/applications/{ids[city]}/status", json={"status": step}, headers=_as(tokens, "coord")
            )
            assert response.status_code == 200, response.text
    assert (
        client.post(
            f"/api/applications/{ids['hamm']}/status",
            json={"status": "rejected"},
            headers=_as(tokens, "hammc"),
        ).status_code
        == 403
    )
    scored = client.post(
        f"/api/applications/{ids['hamm']}/scores",
        json={"values": {"relevance": 4, "capacity": 3}},
        headers=_as(tokens, "coord"),
    )
    assert scored.status_code == 200 and scored.json()["combined"] == 11  # 2·4 + 1·3
    # scores are never public nor the applicant's
    assert client.get("/api/calls/open-call/ranking").status_code == 401
    assert client.get("/api/calls/open-call/ranking", headers=_as(tokens, "hammc")).status_code == 403
    assert (
        client.get(f"/api/applications/{ids['hamm']}/scores", headers=_as(tokens, "hammc")).status_code == 403
    )
    for path in ("/api/calls/open-call", "/calls/open-call.json", f"/api/applications/{ids['hamm']}"):
        body = client.get(path, headers=_as(tokens, "hammc")).text
        assert "weighted_sum" not in body and "reviewers" not in body
    assert "weighted_sum" in client.get("/api/calls/open-call/ranking", headers=_as(tokens, "coord")).text
    # a tandem, on the programme's map
    formed = client.post(
        "/api/tandems",
        json={"programme": "vie", "applications": [ids["hamm"], ids["arezzo"]], "name": "Arezzo – Hamm"},
        headers=_as(tokens, "coord"),
    )
    assert formed.status_code == 201, formed.text
    slug = formed.json()["slug"]
    assert client.get("/programmes/vie.json").json()["links"]
    stage = client.post(
        f"/api/tandems/{slug}/stages",
        json={"stage": "kick-off", "on": "2026-01-10"},
        headers=_as(tokens, "coord"),
    )
    assert stage.status_code == 201
    assert (
        client.post(
            f"/api/tandems/{slug}/stages",
            json={"stage": "visits", "on": "2026-02-10"},
            headers=_as(tokens, "hammc"),
        ).status_code
        == 403
    )
    page = client.get(f"/tandems/{slug}?lang=de")
    assert page.status_code == 200 and "Auftakt" in page.text


def test_pages_in_german_and_english(client: TestClient) -> None:
    call = client.get("/calls/past-call?lang=de")
    assert call.status_code == 200
    assert "Aufruf zur Teilnahme" in call.text and "Europe/Berlin" in call.text
    assert "Bewerbungsformular" in call.text
    english = client.get("/programmes/vie/calls?lang=en")
    assert english.status_code == 200 and "Call for participation" in english.text
    assert client.get("/calls/open-call/applications").status_code == 401
    assert client.get("/calls/nothing").status_code == 404
