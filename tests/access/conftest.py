"""Fixtures of the accounts tests: a cheap argon2id hasher (the production parameters take ~0.1 s a
hash; the tests hash hundreds of times) and a workspace with two cities."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from bettercities.access import passwords
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.storage.workspace import Workspace

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[PasswordHasher]:
    monkeypatch.setattr(passwords, "hasher", lambda: CHEAP)
    yield CHEAP


@pytest.fixture
def cities(workspace: Workspace) -> Workspace:
    """``workspace`` with the cities ``a`` and ``b``."""
    with workspace.database.session() as session:
        areas.create_city(session, CitySpec(slug="a", name="A-Stadt", country="DE"))
        areas.create_city(session, CitySpec(slug="b", name="B-Stadt", country="DE"))
    return workspace
