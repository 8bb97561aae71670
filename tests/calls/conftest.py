"""Fixtures of the calls tests: a cheap argon2id hasher (accounts are created in most tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from bettercities.access import passwords

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[PasswordHasher]:
    monkeypatch.setattr(passwords, "hasher", lambda: CHEAP)
    yield CHEAP
