"""City pages in headless Chromium on the demo city: indicator, period, an area's profile, the language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bettercities.web import create_app
from tests.support.demos import built_demo
from tests.support.net import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

FILLS = """() => Object.fromEntries([...document.querySelectorAll('svg.choropleth path.area')]
  .map(p => [p.dataset.code, p.getAttribute('fill')]))"""

# An area whose link receives a click at the centre of its box (polygons are not convex).
CLICKABLE = """() => {
  for (const link of document.querySelectorAll('svg.choropleth a')) {
    const box = link.getBoundingClientRect();
    const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    if (hit && hit.closest('a') === link) { return link.querySelector('path').dataset.code; }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    workspace, _ = built_demo(tmp_path_factory, Path(tmp_path_factory.mktemp("browser")) / "demo", seed=2026)
    with ServerThread(create_app(workspace, warm=True), timeout=60) as running:
        yield running
    workspace.close()


def test_switch_indicator_period_open_area_and_language(server: ServerThread, chromium: Browser) -> None:
    from playwright.sync_api import expect

    tab = chromium.new_page(viewport={"width": 1280, "height": 900})
    tab.goto(f"{server.url}/cities/auenstedt?lang=de")
    expect(tab.locator("html")).to_have_attribute("lang", "de")
    before = tab.evaluate(FILLS)
    assert len(before) >= 400

    # another indicator: the selector submits the form by itself (script), the URL keeps the state
    current = tab.locator("#indicator").input_value()
    other = next(
        code
        for code in tab.locator("#indicator option").evaluate_all("options => options.map(o => o.value)")
        if code != current
    )
    with tab.expect_navigation():
        tab.select_option("#indicator", other)
    assert f"indicator={other}" in tab.url
    after_indicator = tab.evaluate(FILLS)
    assert after_indicator.keys() == before.keys() and after_indicator != before

    # another period
    periods = tab.locator("#period option").evaluate_all("options => options.map(o => o.value)")
    with tab.expect_navigation():
        tab.select_option("#period", periods[-1])
    assert f"period={periods[-1]}" in tab.url and f"indicator={other}" in tab.url
    after_period = tab.evaluate(FILLS)
    assert after_period != after_indicator

    # an area of the map opens its profile
    code = tab.evaluate(CLICKABLE)
    assert code is not None
    with tab.expect_navigation():
        tab.locator(f'svg.choropleth path[data-code="{code}"]').click()
    assert f"/cities/auenstedt/areas/{code}" in tab.url
    expect(tab.locator("#indicators-heading")).to_have_text("Alle Indikatoren")
    expect(tab.locator(f"#ind-{other}")).to_be_visible()

    # the language switch: German labels become English, the page stays the same area
    with tab.expect_navigation():
        tab.get_by_role("link", name="English").click()
    expect(tab.locator("html")).to_have_attribute("lang", "en")
    expect(tab.locator("#indicators-heading")).to_have_text("All indicators")
    assert f"/cities/auenstedt/areas/{code}" in tab.url and "lang=en" in tab.url
    tab.close()


def test_map_works_with_the_keyboard(server: ServerThread, chromium: Browser) -> None:
    tab = chromium.new_page()
    tab.goto(f"{server.url}/cities/auenstedt?lang=en")
    tab.locator("svg.choropleth a").first.focus()
    focused = tab.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused and ":" in focused
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    assert "/areas/" in tab.url
    tab.close()
