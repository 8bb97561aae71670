"""An adversarial review of accounts, roles, tokens, sessions, CSRF and the audit log (issue 3).

Each test is an attack the access crawl (``test_access_crawl.py``, GET routes only) does not make: write
routes with too little authority (a read token, a steward of the other city, ids of the other city's
objects), rules that *compute* on restricted values, a token that mints a wider token, redirects off the
site, session fixation and reuse after sign-out, secrets in the audit log or in logs.

Users: ``viewer-a`` (viewer of A), ``steward-b`` (steward of B), ``steward-a`` (steward of A), ``admin-b``
(city admin of B) and ``both`` (viewer of A *and* steward of B: the user whose token scoped to B must not
reach A's restricted data).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bettercities import access as accounts
from bettercities import audit
from bettercities.analysis.index.exports import export_run
from bettercities.analysis.index.results import run_index
from bettercities.analysis.index.schemas import CompositeConfig
from bettercities.audit.models import AuditEntry
from bettercities.core.settings import Settings, get_settings
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from bettercities.web.auth import safe_next
from tests.support.served import (
    BACKENDS,
    CITY_A,
    CITY_B,
    MARKER_INDICATOR,
    MARKER_PATTERN,
    PASSWORD,
    PUBLIC_DATASET,
    ServedCities,
    add_user,
    csrf_of,
    issue_token,
    sign_in,
    two_cities_workspace,
)

pytestmark = pytest.mark.slow

MARKER_OBSERVATIONS = f"/api/cities/{CITY_A}/observations?indicator={MARKER_INDICATOR}"


@dataclass
class World:
    workspace: Workspace
    app: object
    data: ServedCities

    def client(self, username: str | None = None) -> TestClient:
        """A new client, signed in as ``username`` (with its CSRF token as header) unless ``None``."""
        client = TestClient(self.app)  # type: ignore[arg-type]
        if username is not None:
            sign_in(client, username)
            client.headers["X-CSRF-Token"] = csrf_of(client.get("/account").text)
        return client

    def entries(self) -> int:
        with self.workspace.database.reader() as session:
            return int(session.scalar(select(func.count(AuditEntry.id))) or 0)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workspace, data = two_cities_workspace(request, tmp_path_factory.mktemp("review"))
    add_user(workspace, "viewer-a", {CITY_A: "viewer"})
    add_user(workspace, "steward-a", {CITY_A: "steward"})
    add_user(workspace, "steward-b", {CITY_B: "steward"})
    add_user(workspace, "admin-b", {CITY_B: "city_admin"})
    add_user(workspace, "both", {CITY_A: "viewer", CITY_B: "steward"})
    with workspace.database.session() as session:  # an analyst's index run on A's restricted indicator
        config = CompositeConfig.model_validate(
            {"method": "composite", "name": "secret-index",
             "indicators": [{"column": MARKER_INDICATOR}, {"column": "green_space"}]}
        )  # fmt: skip
        data.run_ids["secret"] = run_index(
            session, CITY_A, config=config, level="planning_area", period="2022"
        ).id
    app = create_app(workspace, settings=Settings(default_language="en"))
    with TestClient(app):  # start-up and shut-down of the app (jobs)
        yield World(workspace, app, data)
    workspace.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- tokens ------------------------------------------------------------------------------------------------


def test_a_token_limited_to_a_city_cannot_mint_a_token_for_every_city(world: World) -> None:
    """``cities: []`` means "every city of the user" when issuing: a token limited to B may not ask for it."""
    scoped = issue_token(world.workspace, "both", write=True, cities=[CITY_B])
    client = world.client()
    before = world.entries()
    for cities in ([], None, [CITY_A], [CITY_A, CITY_B]):
        response = client.post(
            "/api/me/tokens", json={"name": "wider", "write": True, "cities": cities}, headers=_bearer(scoped)
        )
        assert response.status_code == 403, (cities, response.status_code, response.text[:300])
    assert world.entries() == before, "a refused token request left an audit entry"
    same = client.post(
        "/api/me/tokens",
        json={"name": "same", "cities": [CITY_B], "expires_days": 30},
        headers=_bearer(scoped),
    )
    assert same.status_code == 201, same.text
    assert same.json()["info"]["cities"] == [CITY_B]
    revoked = client.delete(f"/api/me/tokens/{same.json()['info']['id']}", headers=_bearer(scoped))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None


def test_a_token_limited_to_b_does_not_reach_a_restricted_data_of_its_viewer(world: World) -> None:
    client = world.client()
    scoped = issue_token(world.workspace, "both", cities=[CITY_B])
    unscoped = issue_token(world.workspace, "both")
    assert MARKER_PATTERN.search(client.get(MARKER_OBSERVATIONS, headers=_bearer(unscoped)).text)
    for url in (
        MARKER_OBSERVATIONS,
        f"/cities/{CITY_A}/indicators/{MARKER_INDICATOR}.json",
        f"/api/cities/{CITY_A}/spatial?indicator={MARKER_INDICATOR}",
    ):
        response = client.get(url, headers=_bearer(scoped))
        assert not MARKER_PATTERN.search(response.text), url
    me = client.get("/api/me", headers=_bearer(scoped)).json()
    assert me["token"] == {"write": False, "cities": [CITY_B]}


def _write_requests(world: World, slug: str, flag_id: int) -> list[tuple[str, str, dict]]:
    """(method, url, httpx keyword arguments) of a valid request of every write route in city ``slug``."""
    upload = {"file": ("delivery.csv", b"id,inhabitants\n0101,5\n", "text/csv")}
    form = {"level": "planning_area", "period": "2022"}
    comment = {"action": "comment", "comment": "x"}
    return [
        ("POST", f"/cities/{slug}/import", {"files": upload, "data": form}),
        (
            "POST",
            f"/api/cities/{slug}/datasets/{PUBLIC_DATASET}/observations",
            {"files": upload, "data": form},
        ),
        ("POST", f"/api/cities/{slug}/datasets/{PUBLIC_DATASET}/unlock", {"json": {"reason": "x"}}),
        ("POST", f"/api/cities/{slug}/quality/outliers/{flag_id}", {"json": comment}),
        ("POST", f"/cities/{slug}/quality/outliers/{flag_id}", {"data": comment}),
        ("POST", f"/api/cities/{slug}/priority-sets", {"json": {"name": "intruder"}}),
        ("POST", f"/cities/{slug}/priority-sets", {"data": {"name": "intruder"}}),
    ]


def test_a_read_token_cannot_write(world: World) -> None:
    token = issue_token(world.workspace, "admin-b")
    client = world.client()
    before = world.entries()
    for method, url, kwargs in _write_requests(world, CITY_B, world.data.flag_ids[CITY_B]):
        response = client.request(method, url, headers=_bearer(token), **kwargs)
        assert response.status_code == 403, (url, response.status_code, response.text[:300])
    for method, url, kwargs in (
        ("POST", "/api/me/tokens", {"json": {"name": "more"}}),
        ("DELETE", "/api/me/tokens/1", {}),
    ):
        response = client.request(method, url, headers=_bearer(token), **kwargs)
        assert response.status_code == 403, (url, response.status_code, response.text[:300])
    assert world.entries() == before


@pytest.mark.parametrize("how", ["session", "write token"])
def test_a_steward_of_b_cannot_write_in_a(world: World, how: str) -> None:
    """Neither with A's slug, nor with the id of A's flag under B's slug (404: no such flag in B)."""
    client = world.client("steward-b" if how == "session" else None)
    headers = _bearer(issue_token(world.workspace, "steward-b", write=True)) if how == "write token" else {}
    before = world.entries()
    for method, url, kwargs in _write_requests(world, CITY_A, world.data.flag_ids[CITY_A]):
        response = client.request(method, url, headers=headers, **kwargs)
        assert response.status_code == 403, (url, response.status_code, response.text[:300])
    flag_a = world.data.flag_ids[CITY_A]
    for url, kwargs in (
        (f"/api/cities/{CITY_B}/quality/outliers/{flag_a}", {"json": {"action": "accept"}}),
        (f"/cities/{CITY_B}/quality/outliers/{flag_a}", {"data": {"action": "accept"}}),
    ):
        response = client.post(url, headers=headers, follow_redirects=False, **kwargs)
        assert response.status_code == 404, (url, response.status_code, response.text[:300])
    assert world.entries() == before


def test_nobody_revokes_the_token_of_someone_else(world: World) -> None:
    with world.workspace.database.session() as session:
        victim = accounts.issue_token(session, "viewer-a", name="victim")
    client = world.client("steward-b")
    response = client.delete(f"/api/me/tokens/{victim.info.id}")
    assert response.status_code == 404
    response = client.post(f"/account/tokens/{victim.info.id}/revoke", follow_redirects=False)
    assert response.status_code == 404
    assert client.get("/api/me", headers=_bearer(victim.token)).json()["username"] == "viewer-a"


def test_a_disabled_user_loses_its_token_and_session(world: World) -> None:
    add_user(world.workspace, "leaver", {CITY_A: "viewer"})
    token = issue_token(world.workspace, "leaver")
    client = world.client("leaver")
    assert client.get("/api/me").json()["username"] == "leaver"
    with world.workspace.database.session() as session:
        accounts.disable_user(session, "leaver")
    assert client.get("/api/me").json()["anonymous"] is True
    assert not MARKER_PATTERN.search(client.get(MARKER_OBSERVATIONS).text)
    assert world.client().get("/api/me", headers=_bearer(token)).status_code == 401


def test_no_secret_reaches_the_audit_log_the_logs_or_an_answer(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = world.client("steward-a")
    session_key = client.cookies.get("bc_session")
    assert session_key
    issued = client.post("/api/me/tokens", json={"name": "secretive", "write": True})
    assert issued.status_code == 201
    raw = issued.json()["token"]
    assert client.get("/api/me", headers=_bearer(raw)).status_code == 200
    client.get("/api/me", headers=_bearer(raw + "x"))  # refused: logged without the token
    with world.workspace.database.reader() as session:
        password_hash = accounts.get_user(session, "steward-a").password_hash
        entries = audit.export(session, fmt="jsonl")
    secrets = {
        "token": raw,
        "token hash": hashlib.sha256(raw.encode()).hexdigest(),
        "session key": session_key,
        "session hash": hashlib.sha256(session_key.encode()).hexdigest(),
        "password hash": password_hash,
        "password": PASSWORD,
    }
    answers = "".join(
        client.get(url).text
        for url in ("/api/me", "/api/me/tokens", "/account", "/account/tokens", "/account.json")
    )
    for what, secret in secrets.items():
        assert secret not in entries, f"the {what} is in the audit log"
        assert secret not in caplog.text, f"the {what} is in the log"
        assert secret not in answers, f"the {what} is in an account page or answer"
    assert "argon2" not in answers


# -- sessions, CSRF and redirects --------------------------------------------------------------------------


def test_sign_in_starts_a_new_session_and_sign_out_ends_it(world: World) -> None:
    planted = world.client()
    form = planted.get("/login")
    nonce = planted.cookies.get("bc_login")
    response = planted.post(
        "/login",
        data={"username": "viewer-a", "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": "/"},
        headers={"Cookie": f"bc_login={nonce}; bc_session=planted-by-an-attacker"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "planted-by-an-attacker" not in response.headers["set-cookie"]
    client = world.client()
    sign_in(client, "viewer-a")
    key = client.cookies.get("bc_session")
    assert key
    again = world.client()
    sign_in(again, "viewer-a")  # a second sign-in of the same user is a second session
    assert again.cookies.get("bc_session") != key
    csrf = csrf_of(client.get("/account").text)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    replay = world.client()
    replay.cookies.set("bc_session", key)
    assert replay.get("/api/me").json()["anonymous"] is True
    assert not MARKER_PATTERN.search(replay.get(MARKER_OBSERVATIONS).text)


def test_the_session_cookie_is_http_only_and_same_site(world: World) -> None:
    client = world.client()
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "viewer-a", "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": "/"},
        follow_redirects=False,
    )
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "bc_session=" in v)
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert "private" in client.get(MARKER_OBSERVATIONS).headers["cache-control"]


def test_every_unsafe_route_needs_the_csrf_token_of_the_session(world: World) -> None:
    """Cookie-authenticated writes without the token (or with another session's) are refused: multipart
    uploads, forms and the JSON API alike."""
    other = world.client("steward-b")
    client = world.client("steward-b")
    del client.headers["X-CSRF-Token"]
    before = world.entries()
    requests = [
        *_write_requests(world, CITY_B, world.data.flag_ids[CITY_B]),
        ("POST", "/api/me/tokens", {"json": {"name": "csrf"}}),
        ("POST", "/account/tokens", {"data": {"name": "csrf"}}),
        ("POST", "/account/password", {"data": {"old_password": PASSWORD, "new_password": "x" * 20,
                                                 "repeat_password": "x" * 20}}),
        ("POST", "/logout", {}),
        ("POST", "/account/tokens/1/revoke", {}),
        ("DELETE", "/api/me/tokens/1", {}),
    ]  # fmt: skip
    for token in (None, other.headers["X-CSRF-Token"]):
        headers = {"X-CSRF-Token": token} if token else {}
        for method, url, kwargs in requests:
            response = client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
            assert response.status_code == 403, (url, token, response.status_code, response.text[:300])
    assert world.entries() == before
    assert client.get("/api/me").json()["username"] == "steward-b"


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example", "https:evil.example",
     "/\t/evil.example", "/\n/evil.example", "/\r//evil.example", " //evil.example", "javascript:alert(1)",
     "///evil.example", "\x00//evil.example", "/\x0b/evil.example"],
)  # fmt: skip
def test_next_never_leads_off_the_site(world: World, target: str) -> None:
    assert safe_next(target, "/account") == "/account", repr(target)
    client = world.client()
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "viewer-a", "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": target},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account", repr(target)


def test_repeated_failures_lock_the_name_through_the_form(world: World) -> None:
    add_user(world.workspace, "target", {CITY_A: "viewer"})
    client = world.client()

    def attempt(password: str) -> int:
        form = client.get("/login")
        data = {"username": "target", "password": password, "csrf_token": csrf_of(form.text), "next": "/"}
        return client.post("/login", data=data, follow_redirects=False).status_code

    # the accounts service reads the process settings (not the app's): the default is 5
    failures = get_settings().login_max_failures
    assert [attempt("wrong") for _ in range(failures)] == [401] * failures
    assert attempt(PASSWORD) == 401  # locked: even the right password
    assert client.get("/api/me").json()["anonymous"] is True


# -- computations on restricted values ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "steward-b"])
def test_a_rule_learns_nothing_from_a_restricted_indicator(world: World, who: str) -> None:
    """Threshold, LISA and Gi* conditions on A's restricted indicator choose no area for outsiders."""
    client = world.client(None if who == "anonymous" else who)
    conditions = [
        {"kind": "threshold", "indicator": MARKER_INDICATOR, "op": ">", "value": 0},
        {"kind": "threshold", "indicator": MARKER_INDICATOR, "op": "!=", "value": -1},
        {"kind": "lisa", "indicator": MARKER_INDICATOR, "clusters": ["HH", "LL", "HL", "LH"]},
        {"kind": "hotspot", "indicator": MARKER_INDICATOR, "spots": ["hot", "cold"]},
    ]
    for condition in conditions:
        response = client.post(
            f"/api/cities/{CITY_A}/priority",
            json={"name": "probe", "combine": "any", "conditions": [condition]},
        )
        assert response.status_code in (200, 422), response.text[:300]
        if response.status_code == 200:
            assert response.json()["areas"] == [], condition
    typology = client.get(
        f"/api/cities/{CITY_A}/typology",
        params=[("indicator", "unemployment"), ("indicator", MARKER_INDICATOR), ("k", "2")],
    )
    assert not MARKER_PATTERN.search(typology.text)
    assert typology.status_code == 422  # no area has a value of every indicator for outsiders
    spatial = client.get(f"/api/cities/{CITY_A}/spatial", params={"indicator": MARKER_INDICATOR})
    assert spatial.json()["areas"] == [] and spatial.json()["moran"] is None


# -- the audit log -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["steward-a", "admin-b", "viewer-a"])
def test_the_audit_log_of_a_is_only_for_its_admins(world: World, who: str) -> None:
    client = world.client(who)
    for url in (f"/cities/{CITY_A}/audit", f"/api/cities/{CITY_A}/audit", f"/api/cities/{CITY_A}/audit.csv"):
        assert client.get(url).status_code == 403, (who, url)
    token = issue_token(world.workspace, who, write=True)
    assert world.client().get(f"/api/cities/{CITY_A}/audit", headers=_bearer(token)).status_code == 403


def test_the_audit_log_cannot_be_changed_through_the_app(world: World) -> None:
    """No route of the app writes to the audit log's entries but by recording: none accepts PUT, PATCH or
    DELETE on an audit path, and the audit paths answer 405 to them."""
    add_user(world.workspace, "admin-a", {CITY_A: "city_admin"})
    client = world.client("admin-a")
    first = client.get(f"/api/cities/{CITY_A}/audit").json()["items"][0]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for url in (f"/api/cities/{CITY_A}/audit", f"/api/cities/{CITY_A}/audit/{first['id']}"):
            assert client.request(method, url, json={}).status_code in (404, 405), (method, url)


@pytest.mark.parametrize("who", ["anonymous", "steward-b", "viewer-a"])
def test_an_index_run_on_a_restricted_indicator_shows_outsiders_no_scores(world: World, who: str) -> None:
    """Its scores, per-indicator z-scores (``components``), breaks and robustness derive from A's restricted
    values: outsiders see the run without them (every area withheld), A's members see them."""
    client = world.client(None if who == "anonymous" else who)
    secret = world.data.run_ids["secret"]
    view = client.get(f"/api/index-runs/{secret}").json()
    scored = [a for a in view["run"]["result"]["areas"] if a["scored"]]
    threshold = {"kind": "index-class", "run": secret, "index": "index", "classes": ["1", "2", "3", "4", "5"]}
    chosen = client.post(f"/api/cities/{CITY_A}/priority", json={"name": "s", "conditions": [threshold]})
    assert chosen.status_code == 200, chosen.text[:300]
    change = client.get(f"/api/cities/{CITY_A}/index-change", params={"before": secret, "after": secret})
    assert change.status_code == 200, change.text[:300]
    if who == "viewer-a":
        assert len(scored) == 8 and view["run"]["result"]["breaks"] and chosen.json()["areas"]
        return
    assert scored == [] and view["run"]["result"]["breaks"] == {}
    assert view["robustness"] is None
    assert view["area_classes"] and set(view["area_classes"].values()) == {None}
    assert chosen.json()["areas"] == []
    assert "green_space" not in str([a for a in change.json()["change"]["areas"] if any(a["after"].values())])
    assert all(not any(a["after"].values()) for a in change.json()["change"]["areas"])


def test_an_export_of_a_run_on_a_restricted_indicator_is_blank_for_the_public(
    world: World, tmp_path: Path
) -> None:
    with world.workspace.database.reader() as session:
        public = export_run(session, world.data.run_ids["secret"], tmp_path / "public.csv")
        internal = export_run(
            session, world.data.run_ids["secret"], tmp_path / "internal.csv", audience=Audience.INTERNAL
        )
    assert public.rows == internal.rows == 8
    rows = list(csv.DictReader((tmp_path / "public.csv").open(encoding="utf-8")))
    assert all(not row.get("index") for row in rows) and all(row.get("note") for row in rows)
    internal_rows = list(csv.DictReader((tmp_path / "internal.csv").open(encoding="utf-8")))
    assert all(row.get("index") for row in internal_rows)


FORMULAS = ('=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "-2+3")


def test_the_audit_export_neutralises_spreadsheet_formulas(world: World) -> None:
    """Text that users write (titles, names, reasons) reaches the log; the CSV export an admin opens in a
    spreadsheet must not carry a formula (CWE-1236). An anonymous visitor's sign-in name does not even
    reach it (an unknown name is logged as a hash prefix)."""
    client = world.client()
    for name in FORMULAS:
        form = client.get("/login")
        data = {"username": name, "password": "wrong", "csrf_token": csrf_of(form.text), "next": "/"}
        assert client.post("/login", data=data).status_code == 401
    with world.workspace.database.reader() as session:
        assert "HYPERLINK" not in audit.export(session, fmt="csv")
    with world.workspace.database.session() as session:
        for text in FORMULAS:
            audit.record_event(session, "comment", summary=text, entity="dataset", entity_key=text)
    with world.workspace.database.reader() as session:
        text = audit.export(session, fmt="csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    dangerous = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not dangerous, dangerous


# -- cost and errors of anonymous computations -------------------------------------------------------------


def test_a_rule_anyone_may_post_is_bounded(world: World) -> None:
    """``POST …/priority`` needs no sign-in: permutations and the number of conditions have limits (the GET
    spatial route already caps permutations at 9999), else one request keeps a core busy for minutes."""
    client = world.client()
    url = f"/api/cities/{CITY_A}/priority"
    for kind in ("lisa", "hotspot"):
        condition = {"kind": kind, "indicator": "green_space", "permutations": 20000}
        response = client.post(url, json={"name": "costly", "conditions": [condition]})
        assert response.status_code == 422, (kind, response.status_code)
    threshold = {"kind": "threshold", "indicator": "green_space", "op": ">", "value": 0}
    many = {"name": "many", "conditions": [{"kind": "group", "conditions": [threshold] * 30}] * 3}
    assert client.post(url, json=many).status_code == 422
    assert client.post(url, json={"name": "few", "conditions": [threshold] * 5}).status_code == 200


def test_more_nearest_neighbours_than_areas_is_an_input_error(world: World) -> None:
    client = world.client()
    count = len(world.data.areas[CITY_A]) - 2  # planning areas of A (the codes hold the 2 districts too)
    response = client.get(
        f"/api/cities/{CITY_A}/spatial",
        params={"indicator": "green_space", "weights": "knn", "k": count, "level": "planning_area"},
    )
    assert response.status_code == 422, response.text[:300]
    assert "neighbours" in response.json()["detail"]
    condition = {"kind": "lisa", "indicator": "green_space", "weights": {"kind": "knn", "k": count}}
    response = client.post(f"/api/cities/{CITY_A}/priority", json={"name": "knn", "conditions": [condition]})
    assert response.status_code == 422, response.text[:300]


def test_a_token_cannot_issue_a_token_that_outlives_it(world: World) -> None:
    """Else a leaked short-lived token buys its holder a year: a token issued through a token expires no
    later than the token itself."""
    with world.workspace.database.session() as session:
        short = accounts.issue_token(session, "steward-b", name="short", write=True, expires_days=2).token
    client = world.client()
    longer = client.post(
        "/api/me/tokens", json={"name": "longer", "expires_days": 90}, headers=_bearer(short)
    )
    assert longer.status_code == 403, longer.text[:300]
    assert "expire later" in longer.json()["detail"]
    within = client.post("/api/me/tokens", json={"name": "within", "expires_days": 1}, headers=_bearer(short))
    assert within.status_code == 201, within.text[:300]
