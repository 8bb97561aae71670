"""Acceptance: Berlin MSS 2019 in the web app shows the MSS classes on the map (headless Chromium).

The workspace is built through the command line from the published files (the duplicated id fixed with
``--fix-id 124=04030417``), the ``berlin-mss-2019`` preset is run on the stored values, and the areas drawn
per class on the run page must equal the published classes (436 scored areas).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bettercities.analysis.index.results import run_index
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.mss_runs import LEVEL, PERIOD, official_classes
from tests.support.net import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

AREAS = """() => [...document.querySelectorAll('svg[aria-labelledby="classmap-title"] path.area')]
  .map(p => [p.dataset.code, p.dataset.category, p.getAttribute('fill')])"""
LEGEND = """() => Object.fromEntries([...document.querySelectorAll(
  'svg[aria-labelledby="class-legend-title"] g.legend-class')]
  .map(g => [g.dataset.category, Number(g.dataset.count)]))"""


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, berlin_mss_2019: Path
) -> Iterator[tuple[ServerThread, int]]:
    folder = Path(tmp_path_factory.mktemp("mss")) / "berlin"
    shutil.copytree(berlin_mss_2019, folder)  # build_berlin_2019's workspace (tests/browser/conftest.py)
    workspace = Workspace(path=folder)
    with workspace.database.session() as session:
        run = run_index(session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD)
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running, run.id
    workspace.close()


def test_berlin_2019_mss_classes_on_the_map(
    server: tuple[ServerThread, int], open_data: Path, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    running, run_id = server
    official = official_classes(open_data)
    tab = chromium.new_page(viewport={"width": 1280, "height": 900})
    for view, position in (("status", 0), ("dynamics", 1)):
        tab.goto(f"{running.url}/cities/berlin/index-runs/{run_id}?view={view}&lang=en")
        expect(tab.locator("#class-map svg path.area").first).to_be_visible()
        drawn = tab.evaluate(AREAS)
        assert len(drawn) == 448
        classes = {code: category for code, category, _fill in drawn if category}
        assert classes == {code: pair[position] for code, pair in official.items()}
        fills = {category: fill for _code, category, fill in drawn if category}
        assert len(set(fills.values())) == len(fills)  # one colour per class
        assert all(fill.startswith("url(") for _c, category, fill in drawn if not category)
        expected = Counter(pair[position] for pair in official.values())
        assert tab.evaluate(LEGEND) == dict(expected)
    expect(tab.locator("#robustness-summary tr[data-part='status']")).to_be_visible()
