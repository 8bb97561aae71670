"""The served app builds the Europe map's outlines in its warm-up thread, so the first /benchmark, network
or programme page does not pay for them (measured: ~1 s at load 4, up to ~17 s on the loaded shared machine,
of the first /benchmark request of a process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bettercities.figures import europe
from bettercities.web.app import warm_europe_map


def test_warming_builds_the_outlines_once_for_the_process() -> None:
    assert warm_europe_map() is True
    built = europe._build_basemap.cache_info()
    assert built.currsize >= 1
    europe.basemap()  # what a page calls afterwards: served from the cache
    assert europe._build_basemap.cache_info().hits > built.hits


def test_missing_outlines_do_not_stop_the_warm_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(europe, "DATA_DIR", tmp_path / "world-atlas")
    assert warm_europe_map() is False
