"""The change-of-classes page in headless Chromium: the map of moves and the transition matrix (Berlin 2019).

Two runs of the ``berlin-mss-2019`` preset on the stored 2019 values, the second on a copy in which
01011101's unemployment share is six times as high: that area moves to a worse status class.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bettercities.analysis.index.inputs import index_input
from bettercities.analysis.index.results import run_index, store_result
from bettercities.analysis.index.service import compute_index
from bettercities.areas import service as areas
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.mss_runs import LEVEL, PERIOD
from tests.support.net import ServerThread
from tests.web.test_index_pages import INDICATORS

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

MOVES = """() => [...document.querySelectorAll('svg[aria-labelledby="changemap-title"] path.area')]
  .map(p => [p.dataset.code, p.dataset.category, p.getAttribute('fill')])"""
MATRIX = """() => [...document.querySelectorAll('#transition-status tbody tr')]
  .map(r => [...r.querySelectorAll('td')].map(td => Number(td.textContent)))"""


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, berlin_mss_2019: Path
) -> Iterator[tuple[ServerThread, str]]:
    folder = Path(tmp_path_factory.mktemp("change")) / "berlin"
    shutil.copytree(berlin_mss_2019, folder)  # build_berlin_2019's workspace (tests/browser/conftest.py)
    workspace = Workspace(path=folder)
    with workspace.database.session() as session:
        first = run_index(session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD)
        data = index_input(session, "berlin", level=LEVEL, period=PERIOD, indicators=INDICATORS)
        frame = data.frame.copy()
        frame.loc[frame["area_id"] == "01011101", "s1_percentage_unemployed"] *= 6
        later = compute_index(
            frame, config="berlin-mss-2019", id_column="area_id", population_column="inhabitants"
        )
        second = store_result(
            session, areas.get_city(session, "berlin"), later, name="later", inputs=data.provenance
        )
        query = f"before={first.id}&after={second.id}"
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running, query
    workspace.close()


def test_change_map_and_matrix(server: tuple[ServerThread, str], chromium: Browser) -> None:
    from playwright.sync_api import expect

    running, query = server
    tab = chromium.new_page(viewport={"width": 1280, "height": 900})
    tab.goto(f"{running.url}/cities/berlin/index-runs/change?{query}&lang=en")
    expect(tab.locator("#change-map svg path.area").first).to_be_visible()
    drawn = tab.evaluate(MOVES)
    assert len(drawn) == 448
    moves = Counter(category for _code, category, _fill in drawn)
    assert moves[""] == 12 and moves["same"] + moves["worse"] + moves["better"] == 436
    assert dict((code, category) for code, category, _fill in drawn)["01011101"] == "worse"
    fills = {category: fill for _code, category, fill in drawn if category}
    assert len(set(fills.values())) == len(fills)  # one colour per kind of move
    matrix = tab.evaluate(MATRIX)
    assert len(matrix) == 4 and sum(sum(row[:4]) for row in matrix) == 436
    expect(tab.locator("#transition-status caption")).to_be_visible()
    expect(tab.locator("#moved-areas tr[data-area='01011101']")).to_be_visible()
