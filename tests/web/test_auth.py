"""Sign-in, sessions, CSRF, API tokens and who sees what, on SQLite and PostgreSQL.

Testville (see ``conftest``) has one suppressed cell (unemployment, 0102, 2022) and here a draft dataset
holding ``green_space``: its values are restricted to the city's members until the dataset is published.
"""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import update

from bettercities import access as accounts
from bettercities import audit
from bettercities.access.models import ApiToken
from bettercities.access.policy import Role, audience_for
from bettercities.analysis import parse_config
from bettercities.analysis.index.results import run_index
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import DatasetSpec
from bettercities.indicators.export import export_observations
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from bettercities.web.auth import SECRET_FILE
from tests.web.citybuilder import SECRET_VALUE, BuiltCity
from tests.web.conftest import (
    PASSWORD,
    SETTINGS,
    SUPPRESSED,
    SignIn,
    add_user,
    csrf_of,
    issue_token,
    sign_in,
)
from tests.web.test_index_pages import TESTVILLE_INDEX
from tests.web.test_suppression import secrets

INDICATOR, AREA, PERIOD = SUPPRESSED
#: green_space of Testville's planning areas in 2022 (see citybuilder), restricted while in a draft dataset
GREEN_2022 = [6.0, 8.5, 11.0, 13.5, 16.0, 6.0, 8.5, 11.0]

GREEN = DatasetSpec(
    code="green",
    title_de="Grünflächen",
    title_en="Green space",
    description_de="Öffentliche Grünfläche je Einwohnerin und Einwohner.",
    description_en="Public green space per inhabitant.",
    publisher="Stadt Testville",
    indicators=["green_space"],
)


@pytest.fixture
def town(workspace: Workspace, city: BuiltCity) -> Workspace:
    """Testville with the draft dataset ``green``, a second city Otherville, and users:
    vera (viewer of Testville), ana (analyst of Testville), stella (steward of Testville), otto (steward of
    Otherville)."""
    with workspace.database.session() as session:
        catalog.add_dataset(session, areas.get_city(session, "testville"), GREEN)
        areas.create_city(session, CitySpec(slug="otherville", name="Otherville", country="DE"))
    add_user(workspace, "vera", {"testville": "viewer"})
    add_user(workspace, "ana", {"testville": "analyst"})
    add_user(workspace, "stella", {"testville": "steward"})
    add_user(workspace, "otto", {"otherville": "steward"})
    return workspace


@pytest.fixture
def app_client(town: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(town, settings=SETTINGS)) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def green_values(client: TestClient, headers: dict[str, str] | None = None) -> list[float | None]:
    values = []
    for page in (1, 2):  # the test settings allow five items a page
        body = client.get(
            "/api/cities/testville/observations",
            params={"indicator": "green_space", "period": "2022", "level": "planning_area", "page": page},
            headers=headers or {},
        ).json()
        values += [item["value"] for item in body["items"]]
    return values


def suppressed_value(client: TestClient, headers: dict[str, str] | None = None) -> float | None:
    body = client.get(
        "/api/cities/testville/observations",
        params={"indicator": INDICATOR, "period": PERIOD, "level": "planning_area", "page_size": 5},
        headers=headers or {},
    ).json()
    value: float | None = next(item["value"] for item in body["items"] if item["area_code"] == AREA)
    return value


def entries(workspace: Workspace, **filters: str) -> list[audit.AuditEntryOut]:
    with workspace.database.reader() as session:
        return audit.list_entries(session, **filters, page_size=100).items  # type: ignore[arg-type]


# -- signing in and out -------------------------------------------------------------------------------------


def test_sign_in_and_out(app_client: TestClient, town: Workspace) -> None:
    form = app_client.get("/login", params={"next": "/cities/testville?lang=en"})
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    response = app_client.post(
        "/login",
        data={
            "username": "vera",
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/cities/testville?lang=en",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/cities/testville?lang=en"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("bc_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (the test client); see the https test below
    page = app_client.get("/cities/testville?lang=en")
    assert "data-user>vera</a>" in page.text and "Sign out" in page.text
    assert page.headers["cache-control"] == "private, no-store"  # no shared cache keeps a member's view
    me = app_client.get("/api/me").json()
    assert me["username"] == "vera" and me["token"] is None
    assert [(r["city"], r["role"], r["permissions"]) for r in me["roles"]] == [
        ("testville", "viewer", ["view"])
    ]
    assert app_client.get("/account.json").json() == me
    account = app_client.get("/account?lang=en").text
    assert "Testville" in account and 'data-role="viewer">viewer<' in account
    assert "see restricted data" in account and "see suppressed cells" not in account
    assert 'data-role="viewer">Lesende<' in app_client.get("/account?lang=de").text

    first = app_client.cookies["bc_session"]
    sign_in(app_client, "ana")  # signing in again, as someone else, ends the first session
    assert app_client.get("/api/me").json()["username"] == "ana"
    with TestClient(create_app(town, settings=SETTINGS), cookies={"bc_session": first}) as stale:
        assert stale.get("/api/me").json()["anonymous"] is True
    page = app_client.get("/cities/testville")
    out = app_client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert app_client.get("/api/me").json()["anonymous"] is True
    public = app_client.get("/cities/testville")
    assert "data-sign-in" in public.text and "cache-control" not in public.headers

    first_login, second_login = sorted(entries(town, action="login"), key=lambda e: e.id)
    assert (first_login.actor, first_login.via) == ("vera", "web") and first_login.request_id
    assert second_login.actor == "ana"
    [logout] = entries(town, action="logout")
    assert logout.actor == "ana"


def test_sign_in_page_in_german_and_english(sqlite_client: TestClient) -> None:
    german = sqlite_client.get("/login?lang=de").text
    assert "<h1>Anmelden</h1>" in german and "Benutzername" in german and "Passwort" in german
    english = sqlite_client.get("/login?lang=en").text
    assert "<h1>Sign in</h1>" in english and "User name" in english
    assert sqlite_client.get("/login.json?next=//evil.example").json()["next"] == "/account"


def test_no_secret_reaches_the_log(
    sqlite_client: TestClient, sqlite_workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    add_user(sqlite_workspace, "vera")
    token = issue_token(sqlite_workspace, "vera")
    with caplog.at_level(logging.DEBUG):
        csrf = sign_in(sqlite_client, "vera")
        sqlite_client.get("/api/me", headers=bearer(token))
        sqlite_client.get("/api/me", headers=bearer(token + "x"))  # refused: logged without the token
        sqlite_client.post("/account/tokens", data={"name": "x"}, headers={"X-CSRF-Token": ""})
    session = sqlite_client.cookies["bc_session"]
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert "refused an unknown, expired or revoked API token" in logged
    for secret in (token, session, csrf, PASSWORD):
        assert secret not in logged


def test_wrong_password_and_lock_out(app_client: TestClient, town: Workspace) -> None:
    form = app_client.get("/login?lang=en")
    token = csrf_of(form.text)
    for _ in range(4):
        refused = app_client.post(
            "/login", data={"username": "vera", "password": "nope", "csrf_token": token}
        )
        assert refused.status_code == 401
        assert "wrong user name or password" in refused.text
        assert "bc_session" not in app_client.cookies
    fifth = app_client.post("/login", data={"username": "vera", "password": "nope", "csrf_token": token})
    assert fifth.status_code == 401 and "too many failed sign-ins; try again after" in fifth.text
    locked = app_client.post("/login", data={"username": "vera", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 401 and "too many failed sign-ins" in locked.text
    assert app_client.get("/api/me").json()["anonymous"] is True
    failed = entries(town, action="login-failed")
    assert len(failed) == 6 and all(e.actor == "anonymous" for e in failed)
    assert all(PASSWORD not in e.summary and "nope" not in e.summary for e in failed)


def test_the_apps_own_settings_govern_lock_out(town: Workspace) -> None:
    """The app's settings (not only the environment's) set the lock-out: a limit of 2 locks at the second."""
    strict = SETTINGS.model_copy(update={"login_max_failures": 2})
    with TestClient(create_app(town, settings=strict)) as client:
        token = csrf_of(client.get("/login?lang=en").text)
        first = client.post("/login", data={"username": "vera", "password": "nope", "csrf_token": token})
        assert "wrong user name or password" in first.text
        second = client.post("/login", data={"username": "vera", "password": "nope", "csrf_token": token})
        assert second.status_code == 401 and "too many failed sign-ins" in second.text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/cities/testville", "/cities/testville"),
        ("https://evil.example/", "/account"),
        ("//evil.example/x", "/account"),
        ("/\\evil.example", "/account"),
        ("", "/account"),
    ],
)
def test_next_is_a_local_path_only(
    sqlite_client: TestClient, sqlite_workspace: Workspace, given: str, expected: str
) -> None:
    add_user(sqlite_workspace, "vera")
    form = sqlite_client.get("/login")
    response = sqlite_client.post(
        "/login",
        data={"username": "vera", "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": given},
        follow_redirects=False,
    )
    assert response.headers["location"] == expected


def test_session_cookie_is_secure_on_https(sqlite_workspace: Workspace, sqlite_city: BuiltCity) -> None:
    add_user(sqlite_workspace, "vera")
    with TestClient(create_app(sqlite_workspace, settings=SETTINGS), base_url="https://testserver") as client:
        form = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "vera", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("bc_session="))
    assert "Secure" in cookie
    secret = sqlite_workspace.path / SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_text().strip()) == 64


def test_password_change_ends_the_other_sessions(app_client: TestClient, town: Workspace) -> None:
    token = sign_in(app_client, "vera")
    with TestClient(create_app(town, settings=SETTINGS)) as other:
        sign_in(other, "vera")
        wrong = app_client.post(
            "/account/password",
            data={
                "old_password": "nope",
                "new_password": "a new long passphrase",
                "repeat_password": "a new long passphrase",
                "csrf_token": token,
            },
        )
        assert wrong.status_code == 422 and "wrong user name or password" in wrong.text
        done = app_client.post(
            "/account/password",
            data={
                "old_password": PASSWORD,
                "new_password": "a new long passphrase",
                "repeat_password": "a new long passphrase",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert app_client.get("/api/me").json()["username"] == "vera"  # this session stays
        assert other.get("/api/me").json()["anonymous"] is True  # the other one ended
    assert [e.actor for e in entries(town, action="password-changed")] == ["vera"]


# -- CSRF -------------------------------------------------------------------------------------------------


def test_csrf_refused_without_the_token_and_accepted_with_it(app_client: TestClient, town: Workspace) -> None:
    token = sign_in(app_client, "stella")
    del app_client.headers["X-CSRF-Token"]
    missing = app_client.post("/account/tokens", data={"name": "script"})
    assert missing.status_code == 403 and "no CSRF token" in missing.text
    wrong = app_client.post("/account/tokens", data={"name": "script", "csrf_token": "0" * 64})
    assert wrong.status_code == 403 and "does not belong to this session" in wrong.text
    assert app_client.post("/api/me/tokens", json={"name": "script"}).status_code == 403
    assert app_client.get("/api/me/tokens").json() == []  # nothing was issued

    issued = app_client.post("/account/tokens", data={"name": "script", "csrf_token": token})
    assert issued.status_code == 201 and "data-issued-token>bct_" in issued.text
    assert issued.headers["cache-control"] == "no-store"
    [listed] = app_client.get("/account/tokens.json").json()
    assert listed["name"] == "script" and listed["prefix"] in issued.text
    page = app_client.get("/account/tokens")
    assert "data-issued-token" not in page.text  # shown once
    revoke = f"/account/tokens/{listed['id']}/revoke"
    assert app_client.post(revoke).status_code == 403  # the revoke form needs its token too
    assert app_client.post(revoke, data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert app_client.get("/account/tokens.json").json()[0]["revoked_at"]
    by_header = app_client.post("/api/me/tokens", json={"name": "cron"}, headers={"X-CSRF-Token": token})
    assert by_header.status_code == 201 and by_header.json()["token"].startswith("bct_")
    # a multipart form (the upload) carries the token in its field too
    upload = app_client.post(
        "/cities/testville/import",
        data={"kind": "observations", "level": "planning_area", "period": "2023", "csrf_token": token},
        files={"file": ("v.csv", b"id,inhabitants\n0101,1500\n", "text/csv")},
        follow_redirects=False,
    )
    assert upload.status_code == 303
    refused = app_client.post(
        "/cities/testville/import",
        data={"kind": "observations", "level": "planning_area", "period": "2024"},
        files={"file": ("v.csv", b"id,inhabitants\n0101,1500\n", "text/csv")},
    )
    assert refused.status_code == 403


def test_sign_in_form_needs_its_pre_session_token(app_client: TestClient) -> None:
    assert app_client.post("/login", data={"username": "vera", "password": PASSWORD}).status_code == 403
    form = app_client.get("/login")
    token = csrf_of(form.text)
    app_client.cookies.clear()  # a forged form from another site: the token without this browser's cookie
    forged = app_client.post("/login", data={"username": "vera", "password": PASSWORD, "csrf_token": token})
    assert forged.status_code == 403 and "without its cookie" in forged.text
    assert app_client.get("/api/me").json()["anonymous"] is True


# -- API tokens -------------------------------------------------------------------------------------------


def test_read_token_reads_and_write_token_writes(app_client: TestClient, town: Workspace) -> None:
    read = bearer(issue_token(town, "stella"))
    write = bearer(issue_token(town, "stella", write=True))
    me = app_client.get("/api/me", headers=read).json()
    assert me["username"] == "stella" and me["token"] == {"write": False, "cities": None}
    assert app_client.get("/api/cities/testville/quality/outliers", headers=read).status_code == 200
    action = {"action": "accept"}
    refused = app_client.post("/api/cities/testville/quality/outliers/999", json=action, headers=read)
    assert refused.status_code == 403 and "needs the permission 'edit'" in refused.json()["detail"]
    # no CSRF token needed (no cookie); the permission check passes and the unknown flag is the answer
    passed = app_client.post("/api/cities/testville/quality/outliers/999", json=action, headers=write)
    assert passed.status_code == 404
    assert app_client.post("/api/me/tokens", json={"name": "x"}, headers=read).status_code == 403
    assert app_client.post("/api/me/tokens", json={"name": "x"}, headers=write).status_code == 201
    # anonymous and signed-in-but-not-permitted
    assert app_client.post("/api/cities/testville/quality/outliers/999", json=action).status_code == 401
    viewer = bearer(issue_token(town, "vera", write=True))
    assert (
        app_client.post("/api/cities/testville/datasets/green/submit", json={}, headers=viewer).status_code
        == 403
    )
    assert (
        app_client.post("/api/cities/testville/datasets/green/submit", json={}, headers=write).status_code
        == 200
    )
    assert (
        app_client.post("/api/cities/testville/datasets/green/approve", json={}, headers=write).status_code
        == 403
    )


def test_revoked_expired_and_unknown_tokens_are_refused(app_client: TestClient, town: Workspace) -> None:
    csrf = sign_in(app_client, "vera")
    issued = app_client.post("/api/me/tokens", json={"name": "cron"}, headers={"X-CSRF-Token": csrf}).json()
    headers = bearer(issued["token"])
    with TestClient(create_app(town, settings=SETTINGS)) as script:  # no cookies: the token alone
        assert script.get("/api/me", headers=headers).json()["username"] == "vera"
        revoked = app_client.delete(f"/api/me/tokens/{issued['info']['id']}", headers={"X-CSRF-Token": csrf})
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        refused = script.get("/api/me", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert "unknown, expired or revoked" in refused.json()["detail"]
        assert issued["token"] not in refused.text

        expiring = issue_token(town, "vera")
        with town.database.session() as session:
            session.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        assert script.get("/api/me", headers=bearer(expiring)).status_code == 401
        for wrong in ("bct_unknown", "not-even-a-token"):
            assert script.get("/cities/testville.json", headers=bearer(wrong)).status_code == 401
    assert [e.action for e in entries(town, actor="vera") if e.action.startswith("token")] == [
        "token-revoked",
        "token-issued",
    ]


def test_a_token_issues_tokens_within_its_own_scope(app_client: TestClient, town: Workspace) -> None:
    with town.database.session() as session:
        accounts.grant(session, "stella", "otherville", "viewer")
    narrow = bearer(issue_token(town, "stella", write=True, cities=["otherville"]))
    wide = app_client.post("/api/me/tokens", json={"name": "all", "write": True}, headers=narrow)
    assert wide.status_code == 403 and "reaches only otherville" in wide.json()["detail"]
    same = app_client.post("/api/me/tokens", json={"name": "o", "cities": ["otherville"]}, headers=narrow)
    assert same.status_code == 201
    # the narrow token does not reach Testville: its restricted values stay withheld
    assert green_values(app_client, narrow) == [None] * 8


# -- who sees what ------------------------------------------------------------------------------------------


def test_viewer_sees_restricted_values_and_outsiders_do_not(
    app_client: TestClient, town: Workspace, tmp_path: Path
) -> None:
    viewer = bearer(issue_token(town, "vera"))
    other_steward = bearer(issue_token(town, "otto", write=True))
    analyst = bearer(issue_token(town, "ana"))
    assert green_values(app_client) == [None] * 8  # anonymous
    assert green_values(app_client, other_steward) == [None] * 8  # a steward of another city
    assert green_values(app_client, viewer) == GREEN_2022
    assert green_values(app_client, analyst) == GREEN_2022

    twin = "/cities/testville/indicators/green_space.json?period=2022"
    assert app_client.get(twin).json()["summary"]["with_value"] == 0
    assert app_client.get(twin, headers=other_steward).json()["summary"]["with_value"] == 0
    assert app_client.get(twin, headers=viewer).json()["summary"]["with_value"] == 8
    series = "/api/cities/testville/series?indicator=green_space"
    assert {p["value"] for p in app_client.get(series).json()["points"]} == {None}
    assert None not in {p["value"] for p in app_client.get(series, headers=viewer).json()["points"]}

    page = "/cities/testville/indicators/green_space?period=2022&lang=en"
    shown = ">16.0"  # the largest value, as the ranking shows it
    assert shown not in app_client.get(page).text
    assert shown not in app_client.get(page, headers=other_steward).text
    assert shown in app_client.get(page, headers=viewer).text

    # spatial statistics and the typology are computed on the values the principal may see (and cached
    # per audience: the anonymous result, computed first, does not answer the viewer)
    spatial = "/api/cities/testville/spatial?indicator=green_space&period=2022&permutations=99"
    assert app_client.get(spatial).json()["n"] == 0
    assert app_client.get(spatial, headers=other_steward).json()["n"] == 0
    assert app_client.get(spatial, headers=viewer).json()["n"] == 8
    types = "/api/cities/testville/typology?indicator=green_space&indicator=inhabitants&period=2022"
    assert app_client.get(types).status_code == 422  # no area has both values
    assert len(app_client.get(types, headers=viewer).json()["areas"]) == 8

    rule = {
        "name": "green",
        "conditions": [{"kind": "threshold", "indicator": "green_space", "op": ">", "value": 10}],
        "period": "2022",
        "level": "planning_area",
    }
    chosen = "/api/cities/testville/priority"
    assert app_client.post(chosen, json=rule).json()["areas"] == []
    assert app_client.post(chosen, json=rule, headers=other_steward).json()["areas"] == []
    assert len(app_client.post(chosen, json=rule, headers=viewer).json()["areas"]) == 4  # 11, 13.5, 16, 11

    # the CSV export publishes for the same audiences
    with town.database.reader() as session:
        city_id = areas.get_city(session, "testville").id
        for name, visible in (("otto", False), ("vera", True)):
            principal = accounts.principal_for(session, accounts.get_user(session, name))
            out = tmp_path / f"{name}.csv"
            audience = audience_for(principal, city_id)
            export_observations(
                session,
                "testville",
                out,
                indicator="green_space",
                period="2022",
                audience=audience,
                networks=principal.networks,
            )
            text = out.read_text()
            assert ("16.0" in text) is visible, text[:300]


def test_network_members_see_what_a_city_shares_with_their_network(
    app_client: TestClient, town: Workspace
) -> None:
    from bettercities.catalog import approval
    from bettercities.networks import service as networks

    with town.database.session() as session:
        networks.create_network(session, "ruhr", name_de="Ruhr", name_en="Ruhr")
        for slug in ("testville", "otherville"):
            networks.add_city(session, "ruhr", slug)
        for action in ("submit", "approve"):  # approved, not published: shared, not public
            approval.transition(session, "testville", "green", action, user="ann")
        networks.share_dataset(session, "testville", "green", "ruhr")
    other_steward = bearer(issue_token(town, "otto"))
    assert green_values(app_client) == [None] * 8  # computed first: the cache must not answer otto
    assert green_values(app_client, other_steward) == GREEN_2022
    assert green_values(app_client) == [None] * 8
    assert suppressed_value(app_client, other_steward) is None  # sharing never reveals suppressed cells


def test_unpublished_datasets_are_listed_for_members_only(app_client: TestClient, town: Workspace) -> None:
    viewer = bearer(issue_token(town, "vera"))
    outsider = bearer(issue_token(town, "otto"))
    for headers, listed in (({}, False), (outsider, False), (viewer, True)):
        codes = [
            d["code"]
            for d in app_client.get("/api/cities/testville/datasets", headers=headers).json()["items"]
        ]
        assert ("green" in codes) is listed
        page = app_client.get("/cities/testville/catalog.json", headers=headers).json()
        assert ("green" in [d["code"] for d in page["datasets"]]) is listed
        for url in ("/cities/testville/catalog/green", "/api/cities/testville/datasets/green/history"):
            assert app_client.get(url, headers=headers).status_code == (200 if listed else 404)


def test_priority_areas_by_index_class_leave_out_withheld_areas(
    client: TestClient, workspace: Workspace, signed_in: SignIn
) -> None:
    """An area whose index inputs include a suppressed cell has no class outside the data team, so a rule on
    index classes must not reveal it either."""
    with workspace.database.session() as session:
        config = parse_config(TESTVILLE_INDEX)
        run = run_index(session, "testville", config=config, level="planning_area", period=PERIOD)
    classes = sorted({a.class_code for a in run.result.areas if a.class_code})
    rule = {
        "name": "all",
        "conditions": [{"kind": "index-class", "run": run.id, "index": "index", "classes": classes}],
    }
    public = client.post("/api/cities/testville/priority", json=rule).json()
    # 0102 and 0101 (withheld beside it by secondary suppression, issue 11) have no class for the public
    assert AREA not in {a["area_id"] for a in public["areas"]} and len(public["areas"]) == 6
    team = signed_in(Role.ANALYST)
    internal = team.post("/api/cities/testville/priority", json=rule).json()
    assert AREA in {a["area_id"] for a in internal["areas"]} and len(internal["areas"]) == 8


def test_suppressed_cells_only_for_the_data_team(app_client: TestClient, town: Workspace) -> None:
    viewer = bearer(issue_token(town, "vera"))
    analyst = bearer(issue_token(town, "ana"))
    assert suppressed_value(app_client) is None
    assert suppressed_value(app_client, viewer) is None
    assert suppressed_value(app_client, analyst) == SECRET_VALUE
    area_page = f"/cities/testville/areas/{AREA}"
    for headers in ({}, viewer):
        text = (
            app_client.get(area_page, headers=headers).text
            + app_client.get(f"{area_page}.json", headers=headers).text
        )
        assert not [s for s in secrets() if s in text]
    assert any(s in app_client.get(f"{area_page}.json", headers=analyst).text for s in secrets())
    # the data team's pages: analysts yes, viewers no, the anonymous visitor is sent to sign in
    assert app_client.get("/cities/testville/quality/history", headers=analyst).status_code == 200
    assert app_client.get("/cities/testville/quality/history.json", headers=viewer).status_code == 403
    anonymous = app_client.get("/cities/testville/quality/history?lang=en")
    assert anonymous.status_code == 401
    assert 'href="/login?next=%2Fcities%2Ftestville%2Fquality%2Fhistory%3Flang%3Den' in anonymous.text
    problem = app_client.get("/cities/testville/import.json")
    assert problem.status_code == 401 and problem.json()["title"] == "Unauthorized"


def test_writes_are_attributed_to_the_signed_in_user(app_client: TestClient, town: Workspace) -> None:
    """The actor set by the middleware reaches sync handlers in the thread pool."""
    sign_in(app_client, "stella")
    step = app_client.post("/api/cities/testville/datasets/green/submit", json={})
    assert step.status_code == 200 and step.json()["user"] == "stella"
    written = [e for e in entries(town, actor="stella") if e.action not in ("login",)]
    assert written and {e.via for e in written} == {"api"}
    assert all(e.actor_user_id is not None and e.request_id for e in written)
    # an upload imported in the background (a thread of the job pool) is the steward's too
    started = app_client.post(
        "/cities/testville/import",
        data={"kind": "observations", "level": "planning_area", "period": "2023"},
        files={"file": ("v.csv", b"id,inhabitants\n0101,1500\n", "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert started.status_code == 202
    for _ in range(200):
        job = app_client.get(started.json()["status_url"]).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "done", job
    imported = [e for e in entries(town, actor="stella") if e.via == "web"]
    assert imported and all(e.actor_user_id is not None for e in imported)
    [login] = entries(town, action="login")
    assert {e.actor for e in entries(town) if e.id > login.id} == {"stella"}  # none left to "library"


def test_openapi_documents_the_bearer_scheme(sqlite_client: TestClient) -> None:
    schema = sqlite_client.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "bct_…",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }
    assert {"/api/me", "/api/me/tokens", "/api/me/tokens/{token_id}"} <= set(schema["paths"])
    assert schema["paths"]["/api/me"]["get"]["security"] == [{"apiToken": []}]


def test_a_failing_request_is_logged_under_its_audit_request_id(
    sqlite_workspace: Workspace, sqlite_city: BuiltCity
) -> None:
    seen: list[str] = []
    app = create_app(sqlite_workspace, settings=SETTINGS)

    def boom(request: Request) -> None:
        seen.append(request.state.request_id)
        raise RuntimeError("bug")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500 and response.headers["X-Request-ID"] == seen[0]
