"""Impactville served once per module for the API and page tests (SQLite: the faces, not storage)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.impact.impactville import SLUG, build_impactville
from tests.web.conftest import SETTINGS, add_user, sign_in


@dataclass
class Served:
    workspace: Workspace
    app: object


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("impact-web")) / "ws")
    build_impactville(workspace)
    add_user(workspace, "steward", {SLUG: "steward"})
    add_user(workspace, "member", {SLUG: "viewer"})
    with TestClient(create_app(workspace, settings=SETTINGS)) as client:
        yield Served(workspace, client.app)
    workspace.close()


@pytest.fixture
def anonymous(served: Served) -> Iterator[TestClient]:
    with TestClient(served.app) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def steward(served: Served) -> Iterator[TestClient]:
    with TestClient(served.app) as client:  # type: ignore[arg-type]
        sign_in(client, "steward")
        yield client


@pytest.fixture
def member(served: Served) -> Iterator[TestClient]:
    with TestClient(served.app) as client:  # type: ignore[arg-type]
        sign_in(client, "member")
        yield client
