"""Fixtures of the web tests: a small generated city (built through the library), in-process clients and
signed-in users (:func:`sign_in`, the ``steward`` fixture …)."""

from __future__ import annotations

import copy
import itertools
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from bettercities import access as accounts
from bettercities.access import passwords
from bettercities.access.policy import Role
from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.postgres import PostgresServer
from tests.web.citybuilder import BuiltCity, build_city

_database_numbers = itertools.count(1)

#: The one suppressed cell of the fixture city: (indicator, planning area, period).
SUPPRESSED = ("unemployment", "0102", "2022")

SETTINGS = Settings(default_language="de", page_size=50, max_page_size=5)


#: Testville built once per test process and backend: backend -> (workspace folder, PostgreSQL database or
#: None, what was built). Tests that take ``city`` get a copy (see :func:`workspace`).
_CITY_TEMPLATES: dict[str, tuple[Path, str | None, BuiltCity]] = {}


def _city_template(request: pytest.FixtureRequest, backend: str) -> tuple[Path, str | None, BuiltCity]:
    """Testville in a workspace of its own, built once per process and backend from the empty template.

    About three hundred web tests take ``city``; building it through the library each time cost a fifth of
    a second per test. The copies are the same database a fresh build makes: the build is deterministic
    and the copy is a file copy (SQLite) or ``CREATE DATABASE … TEMPLATE`` (PostgreSQL)."""
    if backend not in _CITY_TEMPLATES:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        folder = factory.mktemp(f"testville-{backend}") / "workspace"
        name: str | None = None
        if backend == "sqlite":
            shutil.copytree(request.getfixturevalue("_sqlite_template"), folder)
            url = None
        else:
            server: PostgresServer = request.getfixturevalue("postgres_server")
            base, empty = request.getfixturevalue("_postgres_template")
            shutil.copytree(base, folder)
            name = "bc_testville"
            url = server.clone_database(name, template=empty)
        ws = Workspace(path=folder, database_url=url)
        try:
            built = build_city(ws, suppress=(SUPPRESSED,))
        finally:
            ws.close()  # nobody may be connected to a template database while it is cloned
        _CITY_TEMPLATES[backend] = (folder, name, built)
    return _CITY_TEMPLATES[backend]


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The root fixture's database, cloned from Testville's template when the test takes ``city``."""
    if backend == "sqlite":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    if "city" in request.fixturenames:
        template = _city_template(request, backend)[1]
    else:
        template = request.getfixturevalue("_postgres_template")[1]
    name = f"bc_web_{next(_database_numbers)}"
    yield server.clone_database(name, template=template)
    server.drop_database(name)


@pytest.fixture
def workspace(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, database_url: str | None
) -> Iterator[Workspace]:
    """An initialised workspace on each backend: empty, or holding Testville when the test takes ``city``."""
    if "city" in request.fixturenames:
        folder = _city_template(request, backend)[0]
    elif backend == "sqlite":
        folder = request.getfixturevalue("_sqlite_template")
    else:
        folder = request.getfixturevalue("_postgres_template")[0]
    path = tmp_path / "workspace"
    shutil.copytree(folder, path)
    ws = Workspace(path=path, database_url=database_url)
    yield ws
    ws.close()


@pytest.fixture
def city(request: pytest.FixtureRequest, backend: str, workspace: Workspace) -> BuiltCity:
    """Testville on each backend: 2 districts of 4 planning areas, 3 indicators, 2021 and 2022 (a copy of
    the process's template, see :func:`_city_template`)."""
    return copy.deepcopy(_city_template(request, backend)[2])


@pytest.fixture
def client(workspace: Workspace, city: BuiltCity) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, settings=SETTINGS)) as test_client:
        yield test_client


@pytest.fixture
def sqlite_workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """An initialised SQLite workspace: empty, or holding Testville when the test takes ``sqlite_city``."""
    if "sqlite_city" in request.fixturenames:
        folder = _city_template(request, "sqlite")[0]
    else:
        folder = request.getfixturevalue("_sqlite_template")
    path = tmp_path / "workspace"
    shutil.copytree(folder, path)
    ws = Workspace(path=path)
    yield ws
    ws.close()


@pytest.fixture
def sqlite_city(request: pytest.FixtureRequest, sqlite_workspace: Workspace) -> BuiltCity:
    return copy.deepcopy(_city_template(request, "sqlite")[2])


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
