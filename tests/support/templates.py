"""Worlds built once per test process and backend, copied per test: a built world's workspace folder is
copied and, on PostgreSQL, its database cloned (``CREATE DATABASE … TEMPLATE``) and dropped after the test.

The world is built into a copy of the empty template workspace of ``tests/conftest.py`` by ``build(workspace,
folder)``, whose result (a run id, a token …) is kept beside the template."""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bettercities.storage.workspace import Workspace

T = TypeVar("T")

_BUILT: dict[tuple[str, str], tuple[Path, str | None, Any]] = {}
_clones = itertools.count(1)


def built_template(
    request: pytest.FixtureRequest, backend: str, key: str, build: Callable[[Workspace, Path], T]
) -> tuple[Path, str | None, T]:
    """The folder of world ``key`` built on ``backend``, its PostgreSQL database (None on SQLite) and what
    ``build`` returned; built on first use in this process."""
    if (key, backend) not in _BUILT:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        base = factory.mktemp(f"{key}-{backend}")
        path = base / "workspace"
        name = url = None
        if backend == "postgresql":
            server = request.getfixturevalue("postgres_server")
            folder, empty = request.getfixturevalue("_postgres_template")
            name = f"bc_{key.replace('-', '_')}_{uuid.uuid4().hex[:12]}"
            url = server.clone_database(name, template=empty)
        else:
            folder = request.getfixturevalue("_sqlite_template")
        shutil.copytree(folder, path)
        template = Workspace(path=path, database_url=url)
        try:
            result = build(template, base)
        finally:
            template.close()  # nobody may be connected to a template database while it is cloned
        if name is not None:  # nor a pool some build step left to the garbage collector
            with request.getfixturevalue("postgres_server").connect() as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
        _BUILT[key, backend] = (path, name, result)
    path, name, result = _BUILT[key, backend]
    return path, name, result


def template_copy(
    request: pytest.FixtureRequest, tmp_path: Path, folder: Path, database: str | None
) -> Iterator[Workspace]:
    """A workspace copied from a built template (:func:`built_template`), closed and its database dropped
    after the test."""
    path = tmp_path / "workspace"
    shutil.copytree(folder, path)
    server = request.getfixturevalue("postgres_server") if database is not None else None
    name = f"bc_copy_{next(_clones)}" if server is not None else None
    url = server.clone_database(name, template=database) if server is not None and name else None
    ws = Workspace(path=path, database_url=url)
    try:
        yield ws
    finally:
        ws.close()
        if server is not None and name is not None:
            server.drop_database(name)
