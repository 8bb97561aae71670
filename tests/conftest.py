"""Shared fixtures: workspaces on SQLite and on a real PostgreSQL server, the demo city.

``workspace`` is parametrised over both backends, so every test that takes it runs twice:
once on an embedded SQLite file, once on a fresh database of a PostgreSQL server that this
session starts on loopback (see ``tests/support/postgres.py``) and stops at the end.
"""

from __future__ import annotations

import gc
import itertools
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bettercities.storage.workspace import Workspace
from tests.support import cli as _cli
from tests.support import hashing as _hashing
from tests.support.postgres import PostgresServer

OPEN_DATA = Path(__file__).resolve().parent / "data"
_database_numbers = itertools.count(1)

_cli.install()  # CliRunner builds the bettercities command tree once, not on every invoke
_hashing.install()  # argon2id with the cheapest parameters in every test (tests/support/hashing.py)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding slow tests first, then the other files by their number of tests, most first.

    ``make test`` hands whole files to the workers (``--dist loadfile``) in this order (it passes
    ``--no-loadscope-reorder``: xdist's own reordering, by number of tests alone, put the access crawls and
    schemathesis, a dozen tests and two minutes each, in the middle); a long file handed out last keeps one
    worker busy while the other has nothing left, and the files with one or two quick tests are the ones that
    even the two out at the end. Within a file the order stays as collected (a stable sort)."""
    files = [item.nodeid.split("::")[0] for item in items]
    slow = {file for file, item in zip(files, items, strict=True) if item.get_closest_marker("slow")}
    sizes = Counter(files)
    rank = {file: (file not in slow, 0 if file in slow else -sizes[file]) for file in sizes}
    order = {id(item): rank[file] for file, item in zip(files, items, strict=True)}
    items.sort(key=lambda item: order[id(item)])


def pytest_collection_finish(session: pytest.Session) -> None:
    """Less garbage-collector work in every test process (each xdist worker runs this after collecting).

    The suite imports the whole stack (pandas, scikit-learn, SQLAlchemy, FastAPI, every domain) and every test
    allocates freely, so with CPython's default thresholds (700, 10, 10) the collector ran some 3,000 times in
    two page-test files and each full collection walked the whole heap: 3.8 s of 40 s CPU (gc.callbacks).
    What was imported and collected is frozen (never walked again) and collections are rarer: 0.9 s. Cycles
    are still collected, only later; nothing a test checks depends on when (the test that counts connections
    switches the collector off itself)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@pytest.fixture(scope="session")
def open_data() -> Path:
    """``tests/data``: the real open data the tests read, carried in the repository with their licences and
    sources (``tests/data/README.md``)."""
    return OPEN_DATA


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised, empty SQLite workspace, made once per test process with ``Workspace.init``.

    Migrating a new database runs every Alembic revision (~0.4 s on SQLite, ~0.8 s with a new PostgreSQL
    database); the ``workspace`` fixture runs for about a thousand tests, so it copies this one instead.
    """
    path = tmp_path_factory.mktemp("template-sqlite") / "workspace"
    Workspace.init(path).close()
    return path


@pytest.fixture(scope="session")
def _postgres_template(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """The PostgreSQL twin of :func:`_sqlite_template`: a workspace folder and its migrated database, which
    ``database_url`` clones (``CREATE DATABASE … TEMPLATE``)."""
    name = "bc_template"
    url = postgres_server.create_database(name, postgis=postgres_server.has_postgis())
    path = tmp_path_factory.mktemp("template-postgresql") / "workspace"
    Workspace.init(path, database_url=url).close()
    return path, name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """``None`` (the workspace's SQLite file) or the URL of a fresh, migrated PostgreSQL database (a clone of
    the session's template), dropped after the test: a few hundred databases of ~10 MB each (PostGIS's
    spatial_ref_sys alone is 7 MB) would otherwise pile up on the server's disk until the session ends."""
    if backend == "sqlite":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    _, template = request.getfixturevalue("_postgres_template")
    name = f"bc_test_{next(_database_numbers)}"
    yield server.clone_database(name, template=template)
    server.drop_database(name)


def _copy_of_template(request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None) -> Workspace:
    """A copy of the template workspace in ``tmp_path``: the same folder and schema ``Workspace.init`` gives.

    The copy is opened without running the migrations again: the template was migrated by this very
    process, so the check would only repeat what ``Workspace.init`` just did (``tests/storage`` tests
    ``init`` and ``open`` themselves).
    """
    fixture = "_sqlite_template" if database_url is None else "_postgres_template"
    template = request.getfixturevalue(fixture)
    folder = template if database_url is None else template[0]
    path = tmp_path / "workspace"
    shutil.copytree(folder, path)
    return Workspace(path=path, database_url=database_url)


@pytest.fixture
def workspace(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None
) -> Iterator[Workspace]:
    """An initialised, empty workspace on each backend."""
    ws = _copy_of_template(request, tmp_path, database_url)
    yield ws
    ws.close()


@pytest.fixture
def sqlite_workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """An initialised, empty workspace on SQLite only (for tests of non-storage logic)."""
    ws = _copy_of_template(request, tmp_path, None)
    yield ws
    ws.close()
