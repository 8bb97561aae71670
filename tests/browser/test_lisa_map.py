"""Acceptance: Berlin MSS 2019 in the web app shows the LISA clusters on the map (headless Chromium).

The workspace is built through the command line from the published files; the cluster counts drawn on the
map must equal those esda (Anselin 1995 local Moran, conditional permutations; Rey & Anselin 2007) gives
directly on the same values and the same queen weights built from the file's polygons, with the same seed.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from bettercities.analysis.spatial.statistics import ALTERNATIVE
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.berlin2019 import build_berlin_2019, file_layer
from tests.support.net import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

VARIABLE = "s3_percentage_transfer_payments_recipients"
CATEGORIES = """() => [...document.querySelectorAll('svg[aria-labelledby="lisa-title"] path.area')]
  .map(p => [p.dataset.code, p.dataset.category, p.getAttribute('fill')])"""
LEGEND = """() => Object.fromEntries([...document.querySelectorAll(
  'svg[aria-labelledby="lisa-legend-title"] g.legend-class')]
  .map(g => [g.dataset.category, Number(g.dataset.count)]))"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, open_data: Path) -> Iterator[ServerThread]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("lisa")) / "berlin")
    build_berlin_2019(workspace, open_data)
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running
    workspace.close()


@functools.cache  # both tests compare with it: 999 permutations per area, computed once
def esda_counts(open_data: Path) -> dict[str, int]:
    import esda
    from libpysal.weights import Queen

    ids, geometries, values = file_layer(open_data, VARIABLE)
    w = Queen.from_iterable(geometries, ids=ids)
    w.transform = "r"
    from esda.significance import calculate_significance

    with warnings.catch_warnings():  # esda's default alternative (changing); the one we use is applied below
        warnings.filterwarnings("ignore", "The alternative hypothesis", DeprecationWarning)
        lisa = esda.Moran_Local(np.array(values), w, permutations=999, seed=1, n_jobs=1)
    p_sim = calculate_significance(lisa.Is, lisa.rlisas, alternative=ALTERNATIVE)
    quadrant = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    counts = Counter(quadrant[int(q)] if p < 0.05 else "ns" for q, p in zip(lisa.q, p_sim, strict=True))
    return {c: counts.get(c, 0) for c in ("HH", "LL", "LH", "HL", "ns")}


def test_berlin_2019_lisa_clusters_on_the_map(
    server: ServerThread, open_data: Path, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    expected = esda_counts(open_data)
    tab = chromium.new_page(viewport={"width": 1280, "height": 900})
    tab.goto(f"{server.url}/cities/berlin/spatial?indicator={VARIABLE}&lang=de", timeout=60_000)
    expect(tab.locator("html")).to_have_attribute("lang", "de")
    areas = tab.evaluate(CATEGORIES)
    assert len(areas) == 448  # every planning area is drawn; the one without a value is hatched
    drawn = Counter(category for _, category, _ in areas if category)
    assert {c: drawn.get(c, 0) for c in expected} == expected
    assert expected["HH"] > 0 and expected["LL"] > 0 and expected["LH"] > 0
    # the usual colours: HH red, LL blue
    fills = {category: fill for _, category, fill in areas}
    assert fills["HH"] == "#d7191c" and fills["LL"] == "#2c7bb6"
    assert [code for code, category, _ in areas if not category] == ["09041403"]


def test_legend_counts_and_moran(server: ServerThread, open_data: Path, chromium: Browser) -> None:
    tab = chromium.new_page()
    tab.goto(f"{server.url}/cities/berlin/spatial?indicator={VARIABLE}&lang=en", timeout=60_000)
    legend = tab.evaluate(LEGEND)
    moran = tab.locator("#moran [data-stat='I']").inner_text()
    scatter_points = tab.locator("svg.scatter circle").count()
    assert legend == esda_counts(open_data)
    assert moran == "0.418"
    assert scatter_points == 447
