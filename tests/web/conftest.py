"""Fixtures of the web tests: a small generated city (built through the library) and in-process clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

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
