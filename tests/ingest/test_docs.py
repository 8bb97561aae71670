"""The problem codes are documented and no source uses another; the public API is explicit."""

from __future__ import annotations

import re
from pathlib import Path

import bettercities.ingest as ingest
from bettercities.ingest.codes import PROBLEM_CODES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "importing.md"
SOURCES = [
    *(ROOT / "src" / "bettercities" / "ingest").glob("*.py"),
    ROOT / "src/bettercities/indicators/export.py",
]
# codes that reach an area import through areas.service.add_areas
FROM_AREAS = {"invalid-geometry", "unknown-parent", "no-parent-level", "invalid-validity", "duplicate-key"}


def test_every_code_is_documented_with_its_severity() -> None:
    table = dict(re.findall(r"^\| `([a-z-]+)` \| (error|warning) \|", DOCS.read_text("utf-8"), flags=re.M))
    assert table == {code: severity for code, (severity, _meaning) in PROBLEM_CODES.items()}


def test_sources_use_only_registered_codes() -> None:
    used: set[str] = set(FROM_AREAS)
    patterns = [r'code="([a-z-]+)"', r'found\.add\(\s*"([a-z-]+)"', r'refuse\(\s*\w+,\s*"([a-z-]+)"']
    for source in SOURCES:
        text = source.read_text("utf-8")
        for pattern in patterns:
            used |= set(re.findall(pattern, text))
    assert used <= set(PROBLEM_CODES), used - set(PROBLEM_CODES)
    assert len(used) > 30  # the patterns still find the codes


def test_public_api_is_sorted_and_importable() -> None:
    assert ingest.__all__ == sorted(ingest.__all__)
    for name in ingest.__all__:
        assert getattr(ingest, name) is not None
