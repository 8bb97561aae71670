"""The public API of the ingest package is explicit (its problem codes: tests/core/test_problem_codes.py)."""

from __future__ import annotations

import bettercities.ingest as ingest


def test_public_api_is_sorted_and_importable() -> None:
    assert ingest.__all__ == sorted(ingest.__all__)
    for name in ingest.__all__:
        assert getattr(ingest, name) is not None
