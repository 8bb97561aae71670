"""The platform's audit log (``/audit``, ``/audit.json``, ``/api/audit``, ``/api/audit.csv``): every entry,
also those without a city, for platform admins only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.served import (
    BACKENDS,
    CITY_A,
    CITY_B,
    add_user,
    issue_token,
    sign_in,
    two_cities_workspace,
)

ROOT = "root"  # platform admin
ADMIN_A = "admin-a"  # city admin of A: may read A's log, not the platform's
URLS = ("/audit", "/audit.json", "/api/audit", "/api/audit.csv")


@dataclass
class World:
    workspace: Workspace
    app: object
    root: TestClient
    admin_a: TestClient

    def client(self) -> TestClient:
        return TestClient(self.app)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workspace, _ = two_cities_workspace(request, tmp_path_factory.mktemp("platform-audit"))
    add_user(workspace, ROOT, {}, platform_admin=True)
    add_user(workspace, ADMIN_A, {CITY_A: "city_admin"})
    app = create_app(workspace, settings=Settings(default_language="en", page_size=20, max_page_size=500))
    with TestClient(app) as root, TestClient(app) as admin_a:
        sign_in(root, ROOT)
        sign_in(admin_a, ADMIN_A)
        yield World(workspace, app, root, admin_a)
    workspace.close()


def test_the_platform_admin_sees_sign_ins_and_entries_of_both_cities(world: World) -> None:
    found = world.root.get("/api/audit", params={"page_size": 500}).json()
    assert found["total"] > len({e["city"] for e in found["items"]})
    logins = [e for e in found["items"] if e["action"] == "login" and e["actor"] == ROOT]
    assert logins and all(e["city"] is None and e["city_id"] is None for e in logins)
    assert {CITY_A, CITY_B} <= {e["city"] for e in found["items"]}

    own = world.root.get("/api/audit", params={"no_city": "true", "action": "login"}).json()["items"]
    assert own and all(e["city"] is None and e["action"] == "login" for e in own)
    of_b = world.root.get("/audit.json", params={"city": CITY_B, "page_size": 500}).json()["items"]
    assert of_b and {e["city"] for e in of_b} == {CITY_B}

    page = world.root.get("/audit", params={"actor": ROOT, "action": "login"})
    assert page.status_code == 200, page.text
    assert "Audit log of the platform" in page.text and "/api/audit.csv?" in page.text
    assert f"<td>{ROOT}</td>" in page.text
    without = world.root.get("/audit", params={"no_city": "true"})
    assert 'name="no_city" type="checkbox" value="true" checked' in without.text


def test_a_city_and_no_city_together_are_refused(world: World) -> None:
    answer = world.root.get("/api/audit", params={"city": CITY_A, "no_city": "true"})
    assert answer.status_code == 422
    assert "either a city or the entries without a city" in answer.text


def test_the_csv_export_parses(world: World) -> None:
    answer = world.root.get("/api/audit.csv", params={"no_city": "true"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="audit.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert any(r["action"] == "login" and r["actor"] == ROOT for r in rows)
    assert all(r["city"] == "" for r in rows)


def test_a_city_admin_gets_403_and_the_anonymous_visitor_401(world: World) -> None:
    for url in URLS:
        assert world.admin_a.get(url).status_code == 403, url
        assert world.client().get(url, headers={"Accept": "application/json"}).status_code == 401, url
    assert world.admin_a.get(f"/api/cities/{CITY_A}/audit").status_code == 200  # so the 403 can be told apart


def test_a_city_limited_token_of_a_platform_admin_is_refused(world: World) -> None:
    token = issue_token(world.workspace, ROOT, write=True, cities=[CITY_A])
    answer = world.client().get("/api/audit", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


def test_the_account_page_links_to_it_for_platform_admins_only(world: World) -> None:
    assert "data-platform-audit" in world.root.get("/account").text
    assert "data-platform-audit" not in world.admin_a.get("/account").text
