"""Fixtures of the web tests: a small generated city (built through the library), in-process clients and
signed-in users (:func:`sign_in`, the ``steward`` fixture …)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from bettercities import access as accounts
from bettercities.access import passwords
from bettercities.access.policy import Role
from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.web.citybuilder import BuiltCity, build_city

#: The one suppressed cell of the fixture city: (indicator, planning area, period).
SUPPRESSED = ("unemployment", "0102", "2022")

SETTINGS = Settings(default_language="de", page_size=50, max_page_size=5)


@pytest.fixture
def city(workspace: Workspace) -> BuiltCity:
    """Testville on each backend: 2 districts of 4 planning areas, 3 indicators, 2021 and 2022."""
    return build_city(workspace, suppress=(SUPPRESSED,))


@pytest.fixture
def client(workspace: Workspace, city: BuiltCity) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, settings=SETTINGS)) as test_client:
        yield test_client


@pytest.fixture
def sqlite_city(sqlite_workspace: Workspace) -> BuiltCity:
    return build_city(sqlite_workspace, suppress=(SUPPRESSED,))


@pytest.fixture
def sqlite_client(sqlite_workspace: Workspace, sqlite_city: BuiltCity) -> Iterator[TestClient]:
    """A client on SQLite only, for tests of rendering rather than storage."""
    with TestClient(create_app(sqlite_workspace, settings=SETTINGS)) as test_client:
        yield test_client


# -- users and signing in ----------------------------------------------------------------------------------

PASSWORD = "correct horse battery"
#: argon2id with the cheapest parameters: the production ones take ~0.1 s a hash.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "hasher", lambda: CHEAP)


def add_user(
    workspace: Workspace,
    username: str,
    roles: dict[str, Role | str] | None = None,
    *,
    platform_admin: bool = False,
) -> str:
    """Create ``username`` (password :data:`PASSWORD`) with a role per city slug; returns the name."""
    with workspace.database.session() as session:
        accounts.create_user(session, username, PASSWORD, platform_admin=platform_admin)
        for slug, role in (roles or {}).items():
            accounts.grant(session, username, slug, role)
    return username


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = CSRF_INPUT.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; the client keeps the session cookie and sends the session's CSRF token
    as ``X-CSRF-Token`` from now on (so tests of other features post as a browser would). Returns it."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": "/account",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    token = csrf_of(client.get("/account").text)
    client.headers["X-CSRF-Token"] = token
    return token


def issue_token(
    workspace: Workspace, username: str, *, write: bool = False, cities: list[str] | None = None
) -> str:
    """A raw API token of ``username``."""
    with workspace.database.session() as session:
        return accounts.issue_token(session, username, name="test", write=write, cities=cities).token


SignIn = Callable[[Role | str], TestClient]


@pytest.fixture
def signed_in(client: TestClient, workspace: Workspace) -> SignIn:
    """``signed_in(role)``: the ``client``, signed in as a new user with ``role`` in Testville."""

    def sign_in_as(role: Role | str) -> TestClient:
        name = add_user(workspace, f"{Role(role).value.replace('_', '')}1", {"testville": role})
        sign_in(client, name)
        return client

    return sign_in_as


@pytest.fixture
def steward(signed_in: SignIn) -> TestClient:
    """The ``client`` signed in as a steward of Testville (may import and act on flags)."""
    return signed_in(Role.STEWARD)
