"""Shared fixtures: workspaces on SQLite and on a real PostgreSQL server, the demo city.

``workspace`` is parametrised over both backends, so every test that takes it runs twice:
once on an embedded SQLite file, once on a fresh database of a PostgreSQL server that this
session starts on loopback (see ``tests/support/postgres.py``) and stops at the end.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from bettercities.storage.workspace import Workspace
from tests.support.postgres import PostgresServer

OPEN_DATA = Path(__file__).resolve().parent / "data"
_database_numbers = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding slow tests first. ``make test`` hands whole files to the workers (``--dist loadfile``) in
    collection order; a long file handed out last keeps one worker busy while the other has nothing left.
    The order within the slow and the other files stays as collected (a stable sort)."""
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)


@pytest.fixture(scope="session")
def open_data() -> Path:
    """``tests/data``: the real open data the tests read, carried in the repository with their licences and
    sources (``tests/data/README.md``)."""
    return OPEN_DATA


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


def _postgres_url(server: PostgresServer) -> str:
    name = f"bc_test_{next(_database_numbers)}"
    return server.create_database(name, postgis=server.has_postgis())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """``None`` (the workspace's SQLite file) or the URL of a fresh PostgreSQL database."""
    if backend == "sqlite":
        return None
    return _postgres_url(request.getfixturevalue("postgres_server"))


@pytest.fixture
def workspace(tmp_path: Path, database_url: str | None) -> Iterator[Workspace]:
    """An initialised, empty workspace on each backend."""
    ws = Workspace.init(tmp_path / "workspace", database_url=database_url)
    yield ws
    ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[Workspace]:
    """An initialised, empty workspace on SQLite only (for tests of non-storage logic)."""
    ws = Workspace.init(tmp_path / "workspace")
    yield ws
    ws.close()
