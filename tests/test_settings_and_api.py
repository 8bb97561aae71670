"""Settings are documented and read from the environment; the public API is explicit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bettercities
from bettercities.core.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented_and_nothing_else() -> None:
    documented = set(re.findall(r"`BETTERCITIES_([A-Z_]+)`", DOCS.read_text("utf-8")))
    declared = {name.upper() for name in Settings.model_fields}
    assert documented == declared


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTERCITIES_PORT", "8123")
    monkeypatch.setenv("BETTERCITIES_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:5/x")
    settings = Settings()
    assert settings.port == 8123
    assert settings.database_url == "postgresql+psycopg://u@127.0.0.1:5/x"


def test_public_api_is_sorted_and_importable() -> None:
    assert bettercities.__all__ == sorted(bettercities.__all__)
    for name in bettercities.__all__:
        assert hasattr(bettercities, name), name
