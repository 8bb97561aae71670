"""The networks' API and pages on one small world (SQLite): a coordinator changes a membership through the API
and the members on the dates before and after the change answer accordingly; others are refused (401 for the
anonymous visitor, 403 for a user without the network role, also for the coordinator's read-only token);
pages and their JSON twins answer the same; the German page speaks German; the participation CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bettercities import access as accounts
from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.core.settings import Settings
from bettercities.networks import analytics
from bettercities.networks.schemas import MemberIn, Participation, ProgrammeIn
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app

PASSWORD = "correct horse battery"
CITIES = (
    ("sofia", "Sofia", "BG", 42.69751, 23.32415, 1_152_556),
    ("krefeld", "Krefeld", "DE", 51.33921, 6.58615, 227_417),
    ("lyon", "Lyon", "FR", 45.74846, 4.84671, 522_969),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, str], int]]:
    ws = Workspace.init(tmp_path_factory.mktemp("networks-web"))
    with ws.database.session() as session:
        for slug, name, country, lat, lon, population in CITIES:
            spec = CitySpec(slug=slug, name=name, country=country, lat=lat, lon=lon, population=population)
            areas.create_city(session, spec)
        networks.create_programme(session, ProgrammeIn(slug="vie", name="#vernetztinEuropa"))
        networks.create_network(
            session, "tandem-sofia-krefeld", name_de="Tandem Sofia – Krefeld",
            name_en="Tandem Sofia – Krefeld", programme="vie", kind="tandem", start=date(2022, 5, 17),
            end=date(2024, 12, 31),
        )  # fmt: skip
        ids = {}
        for city in ("sofia", "krefeld"):
            spec = MemberIn(city=city, role="tandem partner", start=date(2022, 5, 17), end=date(2024, 12, 31))
            ids[city] = networks.add_membership(session, "tandem-sofia-krefeld", spec).id
        for user in ("coordinator", "other"):
            accounts.create_user(session, user, PASSWORD)
        accounts.grant_network(session, "coordinator", "tandem-sofia-krefeld", "coordinator")
        tokens = {
            "coordinator": accounts.issue_token(session, "coordinator", name="w", write=True).token,
            "read-only": accounts.issue_token(session, "coordinator", name="r").token,
            "other": accounts.issue_token(session, "other", name="o", write=True).token,
        }
    yield ws, tokens, ids["krefeld"]
    ws.close()


@pytest.fixture(scope="module")
def client(world: tuple[Workspace, dict[str, str], int]) -> Iterator[TestClient]:
    with TestClient(create_app(world[0], settings=Settings(default_language="en"))) as test_client:
        yield test_client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _members(client: TestClient, at: str) -> list[str]:
    response = client.get("/api/networks/tandem-sofia-krefeld/members", params={"at": at})
    assert response.status_code == 200, response.text
    return [m["city"] for m in response.json()]


def test_a_coordinator_changes_a_membership_and_both_dates_answer(
    world: tuple[Workspace, dict[str, str], int], client: TestClient
) -> None:
    _, tokens, krefeld = world
    path = f"/api/networks/tandem-sofia-krefeld/members/{krefeld}/end"
    body = {"end": "2023-06-30", "reason": "the tandem's German side withdrew"}
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body, headers=_auth(tokens["other"])).status_code == 403
    assert client.post(path, json=body, headers=_auth(tokens["read-only"])).status_code == 403
    response = client.post(path, json=body, headers=_auth(tokens["coordinator"]))
    assert response.status_code == 200, response.text
    assert (response.json()["end"], response.json()["recorded_by"]) == ("2023-06-30", "coordinator")
    assert _members(client, "2023-03-01") == ["krefeld", "sofia"]
    assert _members(client, "2024-03-01") == ["sofia"]
    history = client.get("/api/networks/tandem-sofia-krefeld/history").json()
    old = next(m for m in history if m["id"] == krefeld)
    assert old["superseded_by_id"] == response.json()["id"] and old["end"] == "2024-12-31"
    # the page's JSON twin is the API's answer
    twin = client.get("/networks/tandem-sofia-krefeld.json", params={"at": "2024-03-01"}).json()
    assert [m["city"] for m in twin["members"]] == ["sofia"]
    refused = client.post(
        f"/api/networks/tandem-sofia-krefeld/members/{krefeld}/end",
        json=body,
        headers=_auth(tokens["coordinator"]),
    )
    assert refused.status_code == 409  # superseded: change the current version


def test_lists_and_pages(client: TestClient) -> None:
    listed = client.get("/api/networks").json()
    assert [(n["slug"], n["programme"], n["kind"]) for n in listed] == [
        ("tandem-sofia-krefeld", "vie", "tandem")
    ]
    programme = client.get("/api/programmes/vie").json()
    assert programme["links"] == [["sofia", "krefeld", "tandem-sofia-krefeld"]]  # by city id
    page = client.get("/networks/tandem-sofia-krefeld", params={"at": "2023-03-01", "lang": "de"})
    assert page.status_code == 200
    assert "Mitglieder am 2023-03-01" in page.text and 'id="history"' in page.text
    for url in ("/networks", "/programmes", "/programmes/vie", "/networks/participation"):
        assert client.get(url).status_code == 200, url
    assert client.get("/networks/nowhere").status_code == 404
    csv = client.get("/networks/participation.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert (
        csv.text.splitlines()[0]
        == "dimension,group,municipalities,participants,rate,low,high,under_represented"
    )


def test_the_coordinator_s_form_and_a_refusal(
    world: tuple[Workspace, dict[str, str], int], client: TestClient
) -> None:
    page = client.get("/networks/tandem-sofia-krefeld")
    assert 'id="member-form"' not in page.text  # the public gets no forms
    response = client.post("/api/networks/tandem-sofia-krefeld/members", json={"city": "lyon"})
    assert response.status_code == 401
    response = client.post(
        "/api/networks/tandem-sofia-krefeld/members",
        json={"city": "lyon", "role": "observer", "start": "2024-01-01"},
        headers=_auth(world[1]["coordinator"]),
    )
    assert response.status_code == 201 and response.json()["role"] == "observer"
    bad = client.post(
        "/api/networks/tandem-sofia-krefeld/members",
        json={"city": "lyon", "role": "chair"},
        headers=_auth(world[1]["coordinator"]),
    )
    assert bad.status_code == 422


def test_participation_is_computed_once_per_data_version(
    world: tuple[Workspace, dict[str, str], int], client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page, its JSON and CSV twins and the API share one computation until the data change."""
    ws = world[0]
    computed: list[int] = []
    real = analytics.participation

    def counted(session: Session) -> Participation:
        computed.append(1)
        return real(session)

    monkeypatch.setattr(analytics, "participation", counted)
    with ws.database.session() as session:  # a write (a new registry city): earlier answers are of older data
        areas.create_city(session, CitySpec(slug="graz", name="Graz", country="AT", population=291_134))
    first = client.get("/api/networks/participation").json()
    assert client.get("/networks/participation.json").json() == first
    assert client.get("/networks/participation").status_code == 200
    assert client.get("/networks/participation.csv").status_code == 200
    assert len(computed) == 1
    assert "graz" not in {p["city"] for p in first["participants"]}
    with ws.database.session() as session:  # Graz joins a network: the next answer counts it
        networks.create_network(
            session, "graz-lab", name_de="Graz Lab", name_en="Graz Lab", programme="vie", kind="network",
            start=date(2025, 1, 1),
        )  # fmt: skip
        networks.add_membership(
            session, "graz-lab", MemberIn(city="graz", role="partner", start=date(2025, 1, 1))
        )
    after = client.get("/api/networks/participation").json()
    assert len(computed) == 2 and "graz" in {p["city"] for p in after["participants"]}
