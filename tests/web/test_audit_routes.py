"""The audit log's web face, and: every write through a page or the API leaves an audit entry naming the user.

The write routes come from the app itself (methods POST, PUT, PATCH, DELETE): each must have an entry in
:data:`WRITES` (a valid request, as a user with the needed role, with the form's CSRF token for pages) or
in :data:`NOT_WRITING` with the reason; a new write route fails :func:`test_every_write_route_is_listed`
until it is added. One CLI write is checked too (the audit tests of ``bettercities.audit`` cover the CLI).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from typer.testing import CliRunner

from bettercities.areas import service as areas
from bettercities.audit import queries as audit
from bettercities.audit.models import AuditEntry
from bettercities.audit.schemas import AuditEntryOut
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import State
from bettercities.cli.main import app as cli_app
from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.flags import open_flag
from tests.support.served import (
    BACKENDS,
    CITY_A,
    CITY_B,
    PASSWORD,
    PUBLIC_DATASET,
    add_user,
    build_two_cities,
    csrf_of,
    issue_token,
    module_workspace,
    sign_in,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ADMIN = "admin-a"  # city admin of A: may do every write in A
FREE = "unemployment"  # in no dataset of city A: its values are never locked by a published dataset


@dataclass
class World:
    """The app over two cities, city A's admin signed in (``page``) and with a write token (``api``)."""

    workspace: Workspace
    app: object
    page: TestClient
    api: TestClient
    token: str

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def csrf(self, client: TestClient | None = None) -> str:
        """The CSRF token of the signed-in session (from a form of the account page)."""
        return csrf_of((client or self.page).get("/account").text)

    def open_flag(self) -> int:
        """A new open outlier flag in city A, on the first current observation of the free indicator without
        one (not of a published dataset, whose values are locked: which observation came first used to depend
        on the order the tests ran in)."""
        with self.workspace.database.session() as session:
            return open_flag(session, CITY_A, FREE)

    def dataset_in(self, state: State) -> None:
        """Bring city A's public dataset into ``state`` through the library (draft or published)."""
        with self.workspace.database.session() as session:
            current = State(
                catalog.get_dataset(session, areas.get_city(session, CITY_A), PUBLIC_DATASET).state
            )
            if current == state:
                return
            if current in (State.APPROVED, State.PUBLISHED):
                approval.transition(
                    session, CITY_A, PUBLIC_DATASET, approval.Action.UNLOCK, user="test", reason="test"
                )
            if state == State.PUBLISHED:
                for action in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
                    approval.transition(session, CITY_A, PUBLIC_DATASET, action, user="test")


@dataclass(frozen=True)
class Expect:
    """What a write must leave in the log: an entry by ``actor`` (with ``action``, when given)."""

    response: Response
    actor: str = ADMIN
    action: str | None = None


DELIVERY = b"id,green_space\n0101,42.5\n0102,17.25\n"


def _page_import(world: World) -> Expect:
    world.dataset_in(State.DRAFT)  # green_space is in it: a published dataset's data are locked
    response = world.page.post(
        f"/cities/{CITY_A}/import",
        data={"csrf_token": world.csrf(), "kind": "observations", "level": "planning_area", "period": "2022"},
        files={"file": ("delivery.csv", DELIVERY, "text/csv")},
        follow_redirects=False,
    )
    job = world.page.get(response.headers["location"].split("?")[0] + ".json").json()
    assert job["status"] == "done", job
    return Expect(response)


def _api_observations(world: World) -> Expect:
    world.dataset_in(State.DRAFT)
    response = world.api.post(
        f"/api/cities/{CITY_A}/datasets/{PUBLIC_DATASET}/observations",
        headers=world.bearer(),
        data={"level": "planning_area", "period": "2021"},
        files={"file": ("delivery.csv", DELIVERY.replace(b"42.5", b"43.5"), "text/csv")},
    )
    return Expect(response)


def _api_dataset_step(world: World) -> Expect:
    world.dataset_in(State.DRAFT)
    response = world.api.post(
        f"/api/cities/{CITY_A}/datasets/{PUBLIC_DATASET}/submit", headers=world.bearer(), json={}
    )
    return Expect(response)


def _api_catalog_settings(world: World) -> Expect:
    response = world.api.put(
        f"/api/cities/{CITY_A}/catalog/settings", headers=world.bearer(), json={"four_eyes": False}
    )
    return Expect(response)


def _api_flag(world: World) -> Expect:
    response = world.api.post(
        f"/api/cities/{CITY_A}/quality/outliers/{world.open_flag()}",
        headers=world.bearer(),
        json={"action": "correct", "value": 12.75},
    )
    return Expect(response)


def _page_flag(world: World) -> Expect:
    response = world.page.post(
        f"/cities/{CITY_A}/quality/outliers/{world.open_flag()}",
        data={"csrf_token": world.csrf(), "action": "accept", "comment": "plausible"},
        follow_redirects=False,
    )
    return Expect(response)


def _api_issue_token(world: World) -> Expect:
    response = world.api.post("/api/me/tokens", headers=world.bearer(), json={"name": "script"})
    return Expect(response, action="token-issued")


def _api_revoke_token(world: World) -> Expect:
    issued = world.api.post("/api/me/tokens", headers=world.bearer(), json={"name": "to revoke"}).json()
    response = world.api.delete(f"/api/me/tokens/{issued['info']['id']}", headers=world.bearer())
    return Expect(response, action="token-revoked")


def _login(world: World) -> Expect:
    with TestClient(world.app) as fresh:  # type: ignore[arg-type]
        form = fresh.get("/login")
        response = fresh.post(
            "/login",
            data={"username": ADMIN, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
    return Expect(response, action="login")


def _logout(world: World) -> Expect:
    with TestClient(world.app) as other:  # type: ignore[arg-type]
        sign_in(other, ADMIN)
        response = other.post("/logout", data={"csrf_token": world.csrf(other)}, follow_redirects=False)
    return Expect(response, action="logout")


def _change_password(world: World) -> Expect:
    add_user(world.workspace, "changer", {CITY_B: "viewer"})
    with TestClient(world.app) as own:  # type: ignore[arg-type]
        sign_in(own, "changer")
        new = PASSWORD + "-new"
        response = own.post(
            "/account/password",
            data={
                "csrf_token": world.csrf(own),
                "old_password": PASSWORD,
                "new_password": new,
                "repeat_password": new,
            },
            follow_redirects=False,
        )
    return Expect(response, actor="changer")


def _page_issue_token(world: World) -> Expect:
    response = world.page.post(
        "/account/tokens", data={"csrf_token": world.csrf(), "name": "from the page"}, follow_redirects=False
    )
    return Expect(response, action="token-issued")


def _page_revoke_token(world: World) -> Expect:
    issued = world.api.post("/api/me/tokens", headers=world.bearer(), json={"name": "page revoke"}).json()
    response = world.page.post(
        f"/account/tokens/{issued['info']['id']}/revoke",
        data={"csrf_token": world.csrf()},
        follow_redirects=False,
    )
    return Expect(response, action="token-revoked")


def _api_priority_set(world: World) -> Expect:
    green = {"kind": "threshold", "indicator": "green_space", "op": ">=", "value": 10}
    rule = {"name": "green", "conditions": [green]}
    response = world.api.post(
        f"/api/cities/{CITY_A}/priority-sets",
        headers=world.bearer(),
        json={"name": "audited via api", "rule": rule, "level": "planning_area", "period": "2022"},
    )
    return Expect(response)


def _page_priority_set(world: World) -> Expect:
    response = world.page.post(
        f"/cities/{CITY_A}/priority-sets",
        data={"csrf_token": world.csrf(), "name": "audited via page"},  # the preset rule, on A's latest run
        follow_redirects=False,
    )
    return Expect(response)


def _api_privacy_set(world: World) -> Expect:
    rule = {"indicator": "green_space", "method": "suppression", "threshold": 4}
    response = world.api.put(f"/api/cities/{CITY_A}/privacy/rules", headers=world.bearer(), json=rule)
    return Expect(response)


def _api_privacy_remove(world: World) -> Expect:
    _api_privacy_set(world)
    response = world.api.delete(
        f"/api/cities/{CITY_A}/privacy/rules", headers=world.bearer(), params={"indicator": "green_space"}
    )
    return Expect(response)


def _page_privacy_set(world: World) -> Expect:
    response = world.page.post(
        f"/cities/{CITY_A}/privacy/rules",
        data={"csrf_token": world.csrf(), "scope": "indicator", "target": "green_space", "method": "none"},
        follow_redirects=False,
    )
    return Expect(response)


def _page_privacy_remove(world: World) -> Expect:
    _api_privacy_set(world)
    response = world.page.post(
        f"/cities/{CITY_A}/privacy/rules/remove",
        data={"csrf_token": world.csrf(), "indicator": "green_space"},
        follow_redirects=False,
    )
    return Expect(response)


#: Every write route: (method, path) -> a valid request that writes, and what it must leave in the log.
WRITES: dict[tuple[str, str], Callable[[World], Expect]] = {
    ("POST", "/cities/{slug}/import"): _page_import,
    ("POST", "/api/cities/{slug}/datasets/{code}/observations"): _api_observations,
    ("POST", "/api/cities/{slug}/datasets/{code}/{action}"): _api_dataset_step,
    ("PUT", "/api/cities/{slug}/catalog/settings"): _api_catalog_settings,
    ("POST", "/api/cities/{slug}/quality/outliers/{flag_id}"): _api_flag,
    ("POST", "/cities/{slug}/quality/outliers/{flag_id}"): _page_flag,
    ("POST", "/api/me/tokens"): _api_issue_token,
    ("DELETE", "/api/me/tokens/{token_id}"): _api_revoke_token,
    ("POST", "/login"): _login,
    ("POST", "/logout"): _logout,
    ("POST", "/account/password"): _change_password,
    ("POST", "/account/tokens"): _page_issue_token,
    ("POST", "/account/tokens/{token_id}/revoke"): _page_revoke_token,
    ("POST", "/api/cities/{slug}/priority-sets"): _api_priority_set,
    ("POST", "/cities/{slug}/priority-sets"): _page_priority_set,
    ("PUT", "/api/cities/{slug}/privacy/rules"): _api_privacy_set,
    ("DELETE", "/api/cities/{slug}/privacy/rules"): _api_privacy_remove,
    ("POST", "/cities/{slug}/privacy/rules"): _page_privacy_set,
    ("POST", "/cities/{slug}/privacy/rules/remove"): _page_privacy_remove,
}

#: POST routes that change nothing, and why.
NOT_WRITING: dict[tuple[str, str], str] = {
    ("POST", "/api/cities/{slug}/priority"): "evaluates a rule sent in the body; stores nothing (GET-like)",
}


def write_routes(app: object) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        for method in (context.methods or set()) & WRITE_METHODS:
            assert context.path is not None
            found.add((method, context.path))
    return found


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workspace = module_workspace(request, tmp_path_factory.mktemp("audit-routes"))
    build_two_cities(workspace)
    add_user(workspace, ADMIN, {CITY_A: "city_admin"})
    add_user(workspace, "viewer-a", {CITY_A: "viewer"})
    add_user(workspace, "admin-b", {CITY_B: "city_admin"})
    token = issue_token(workspace, ADMIN, write=True)
    app = create_app(workspace, settings=Settings(default_language="en", page_size=20, max_page_size=50))
    with TestClient(app) as page, TestClient(app) as api:
        sign_in(page, ADMIN)
        yield World(workspace, app, page, api, token)
    workspace.close()


def last_id(workspace: Workspace) -> int:
    with workspace.database.reader() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def entries_after(workspace: Workspace, after: int) -> list[AuditEntryOut]:
    with workspace.database.reader() as session:
        return [e for e in audit.entries(session) if e.id > after]


# -- every write route leaves an entry -------------------------------------------------------------------


def test_every_write_route_is_listed(world: World) -> None:
    routes = write_routes(world.app)
    missing = sorted(routes - WRITES.keys() - NOT_WRITING.keys())
    assert not missing, f"write routes without an audit check (add them to WRITES or NOT_WRITING): {missing}"
    stale = sorted((WRITES.keys() | NOT_WRITING.keys()) - routes)
    assert not stale, f"listed routes the app does not have: {stale}"


@pytest.mark.parametrize("route", sorted(WRITES), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_write_leaves_an_entry_naming_the_user(world: World, route: tuple[str, str]) -> None:
    before = last_id(world.workspace)
    expected = WRITES[route](world)
    assert expected.response.status_code < 400, expected.response.text[:500]
    new = entries_after(world.workspace, before)
    mine = [e for e in new if e.actor == expected.actor]
    assert mine, (
        f"{route}: no audit entry by {expected.actor}; new entries: {[(e.actor, e.action) for e in new]}"
    )
    if expected.action is not None:
        assert expected.action in {e.action for e in mine}, [e.action for e in mine]


def test_a_failed_sign_in_is_recorded(world: World) -> None:
    before = last_id(world.workspace)
    with TestClient(world.app) as fresh:  # type: ignore[arg-type]
        form = fresh.get("/login")
        response = fresh.post(
            "/login", data={"username": ADMIN, "password": "wrong", "csrf_token": csrf_of(form.text)}
        )
    assert response.status_code == 401
    failed = [e for e in entries_after(world.workspace, before) if e.action == "login-failed"]
    assert len(failed) == 1 and failed[0].entity_key == ADMIN
    assert "wrong" not in str(failed[0].model_dump())  # the password is never logged


def test_a_password_typed_as_the_user_name_is_not_logged(world: World) -> None:
    """An unknown name (often a password typed into the wrong field) is logged as a hash prefix only."""
    typed = "Correct-Horse-Battery-42"
    before = last_id(world.workspace)
    with TestClient(world.app) as fresh:  # type: ignore[arg-type]
        for _ in range(2):
            form = fresh.get("/login")
            fresh.post("/login", data={"username": typed, "password": "x", "csrf_token": csrf_of(form.text)})
    failed = [e for e in entries_after(world.workspace, before) if e.action == "login-failed"]
    assert len(failed) == 2
    dumped = str([e.model_dump() for e in failed]).lower()
    assert typed.lower() not in dumped and "correct-horse" not in dumped
    assert failed[0].entity_key == failed[1].entity_key  # the same name, recognisable as the same
    assert failed[0].entity_key is not None and failed[0].entity_key.startswith("unknown user name #")


def test_a_refused_write_changes_nothing(world: World) -> None:
    """A viewer's write is refused before it reaches the data (nothing to audit but nothing written)."""
    with TestClient(world.app) as viewer:  # type: ignore[arg-type]
        sign_in(viewer, "viewer-a")
        before = last_id(world.workspace)
        response = viewer.post(
            f"/cities/{CITY_A}/quality/outliers/{world.open_flag()}",
            data={"csrf_token": world.csrf(viewer), "action": "accept"},
            follow_redirects=False,
        )
    assert response.status_code == 403
    assert [e.actor for e in entries_after(world.workspace, before)] == ["library"]  # open_flag's insert


def test_a_cli_write_leaves_an_entry(world: World) -> None:
    before = last_id(world.workspace)
    where = ["--workspace", str(world.workspace.path)]
    if world.workspace.database_url:
        where += ["--database-url", world.workspace.database_url]
    grant = ["users", "grant", "viewer-a", "--city", CITY_B, "--role", "analyst"]
    result = CliRunner().invoke(cli_app, [*grant, *where])
    assert result.exit_code == 0, result.output
    new = entries_after(world.workspace, before)
    assert any(
        e.via == "cli" and e.actor.startswith("cli:") and e.entity == "city_membership" for e in new
    ), [(e.actor, e.via, e.entity) for e in new]


# -- the audit log's pages and API -----------------------------------------------------------------------


def test_city_admins_read_their_city_s_log(world: World) -> None:
    WRITES[("POST", "/api/cities/{slug}/quality/outliers/{flag_id}")](world)  # at least one entry by ADMIN
    listed = world.page.get(f"/api/cities/{CITY_A}/audit", params={"actor": ADMIN, "page_size": 5}).json()
    assert listed["total"] >= 1 and listed["page_size"] == 5
    assert {e["actor"] for e in listed["items"]} == {ADMIN} and {e["city"] for e in listed["items"]} == {
        CITY_A
    }
    everything = world.page.get(f"/api/cities/{CITY_A}/audit", params={"page_size": 50}).json()
    assert CITY_B not in {e["city"] for e in everything["items"]}
    twin = world.page.get(f"/cities/{CITY_A}/audit.json", params={"actor": ADMIN, "page_size": 5}).json()
    assert twin["items"] == listed["items"]
    page = world.page.get(f"/cities/{CITY_A}/audit", params={"lang": "de"})
    assert page.status_code == 200 and "Änderungsprotokoll" in page.text
    assert f'id="entry-{listed["items"][0]["id"]}"' in world.page.get(f"/cities/{CITY_A}/audit").text
    assert "Audit log" in world.page.get(f"/cities/{CITY_A}/audit", params={"lang": "en"}).text


def test_the_csv_export_holds_the_selected_entries(world: World) -> None:
    response = world.page.get(f"/api/cities/{CITY_A}/audit.csv", params={"actor": ADMIN})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f'filename="audit-{CITY_A}.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["actor"] for r in rows} == {ADMIN} and {r["city"] for r in rows} == {CITY_A}
    assert list(rows[0]) == list(audit.COLUMNS)


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("viewer-a", 403), ("admin-b", 403), ("read token", 403)]
)
def test_only_the_city_s_admins_read_its_log(world: World, who: str, status: int) -> None:
    with TestClient(world.app) as client:  # type: ignore[arg-type]
        headers = {}
        if who == "read token":
            headers = {"Authorization": f"Bearer {issue_token(world.workspace, ADMIN, write=False)}"}
        elif who != "anonymous":
            sign_in(client, who)
        for path in (
            "/api/cities/{}/audit",
            "/api/cities/{}/audit.csv",
            "/cities/{}/audit",
            "/cities/{}/audit.json",
        ):
            response = client.get(path.format(CITY_A), headers=headers)
            assert response.status_code == status, (who, path, response.status_code)
            assert ADMIN not in response.text or who == "read token"


def test_no_route_changes_the_log(world: World) -> None:
    for context in iter_route_contexts(world.app.routes):  # type: ignore[attr-defined]
        if context.path and "audit" in context.path:
            assert context.methods is not None and context.methods <= {"GET", "HEAD"}, context.path


def test_a_new_write_route_is_noticed(tmp_path: Path) -> None:
    workspace = Workspace.init(tmp_path / "workspace")
    app = create_app(workspace)

    @app.put("/cities/{slug}/novelty")
    def novelty(slug: str) -> dict[str, str]:
        return {"slug": slug}

    assert write_routes(app) - WRITES.keys() - NOT_WRITING.keys() == {("PUT", "/cities/{slug}/novelty")}
    workspace.close()
