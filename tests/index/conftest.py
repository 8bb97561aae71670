"""Fixtures of the analysis tests: the published MSS editions as inputs and official results."""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import typer

from bettercities.cli import index as index_cli
from bettercities.cli import priority as priority_cli
from bettercities.cli import spatial as spatial_cli
from bettercities.storage.workspace import Workspace
from tests.support.mss_runs import build_berlin_2019
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="session")
def cli_app() -> typer.Typer:
    """A root app with only the index, spatial and priority commands (the same ``register`` that
    ``cli.main`` calls)."""
    root = typer.Typer()
    for face in (index_cli, spatial_cli, priority_cli):
        face.register(root)
    return root


@pytest.fixture(scope="session")
def mss_2019_input(open_data: Path) -> Path:
    return open_data / "berlin-mss-2019" / "mss_2019_index_indicator_shares.csv"


@pytest.fixture(scope="session")
def mss_2021_input(open_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2021 index indicators for all 542 planning areas.

    The published indicator table lists only the 536 scored areas; the 6 unscored ones are added
    from the official context table (ids and inhabitants at 31.12.2020), with empty indicator cells.
    """
    folder = open_data / "berlin-mss-2021"
    shares = pd.read_csv(folder / "mss_2021_index_indicator_shares.csv", dtype=str, keep_default_na=False)
    context = pd.read_csv(
        folder / "mss_2021_context_indicators.csv",
        sep=";",
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    missing = context[~context["PLR-ID"].isin(shares["id"])]
    extra = pd.DataFrame(
        {"id": missing["PLR-ID"], "name": missing["PLR-Name"], "inhabitants": missing["EW 31.12.2020"]}
    )
    table = pd.concat([shares, extra], ignore_index=True).fillna("")
    path = tmp_path_factory.mktemp("mss2021") / "mss_2021_all_areas.csv"
    table.to_csv(path, index=False)
    return path


def official(open_data: Path, year: int) -> pd.DataFrame:
    path = open_data / f"berlin-mss-{year}" / f"mss_{year}_official_classes.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    frame["status_class"] = frame["status_index"].astype(float).astype(int).astype(str)
    return frame


_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def _berlin_2019_templates() -> dict[str, tuple[Path, str | None]]:
    """Per backend: the folder of a workspace holding :func:`build_berlin_2019`'s city, and on PostgreSQL the
    name of its database (filled by :func:`berlin_2019` on first use)."""
    return {}


def _berlin_2019_template(request: pytest.FixtureRequest, backend: str) -> tuple[Path, str | None]:
    """Berlin MSS 2019 built through the command line once per test process and backend, into a copy of the
    empty template workspace (``tests/conftest.py``): the four commands took 3-8 s a test."""
    templates: dict[str, tuple[Path, str | None]] = request.getfixturevalue("_berlin_2019_templates")
    if backend not in templates:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        path = factory.mktemp(f"berlin-2019-{backend}") / "workspace"
        name = url = None
        if backend == "postgresql":
            server: PostgresServer = request.getfixturevalue("postgres_server")
            folder, empty = request.getfixturevalue("_postgres_template")
            name = f"bc_berlin_2019_{uuid.uuid4().hex[:12]}"
            url = server.clone_database(name, template=empty)
        else:
            folder = request.getfixturevalue("_sqlite_template")
        shutil.copytree(folder, path)
        template = Workspace(path=path, database_url=url)
        try:
            build_berlin_2019(template, request.getfixturevalue("open_data"))
        finally:
            template.close()  # nobody may be connected to a template database while it is cloned
        if name is not None:  # nor a pool of a CLI command's workspace that the garbage collector keeps
            with request.getfixturevalue("postgres_server").connect() as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
        templates[backend] = (path, name)
    return templates[backend]


def berlin_2019_copy(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Workspace]:
    """A copy of the Berlin MSS 2019 template on ``backend``: its folder copied, its PostgreSQL database
    cloned (``CREATE DATABASE … TEMPLATE``) and dropped after the test."""
    folder, template = _berlin_2019_template(request, backend)
    path = tmp_path / "workspace"
    shutil.copytree(folder, path)
    server: PostgresServer | None = None
    name = url = None
    if template is not None:
        server = request.getfixturevalue("postgres_server")
        name = f"bc_berlin_{next(_database_numbers)}"
        url = server.clone_database(name, template=template)
    ws = Workspace(path=path, database_url=url)
    yield ws
    ws.close()
    if server is not None and name is not None:
        server.drop_database(name)


@pytest.fixture
def berlin_2019(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace on each backend holding Berlin MSS 2019 as :func:`build_berlin_2019` builds it."""
    yield from berlin_2019_copy(request, backend, tmp_path)


@pytest.fixture
def sqlite_berlin_2019(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """:func:`berlin_2019` on SQLite only."""
    yield from berlin_2019_copy(request, "sqlite", tmp_path)
