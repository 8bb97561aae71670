"""A planner's first clicks on the demo's first start (issue 12): from the city page to the latest social
index run, the spatial clusters, the priority areas (with the demo's stored set) and the catalogue, by
clicking only, back to the city each time through the breadcrumbs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bettercities.web import create_app
from tests.support.demos import built_demo
from tests.support.net import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # slow: scheduled first (tests/conftest.py)

CITY = "Auenstedt an der Spree"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    # first start: nothing but the demo's own build (a copy of the process's build, tests/support/demos.py)
    folder = Path(tmp_path_factory.mktemp("first-start")) / "demo"
    workspace, _ = built_demo(tmp_path_factory, folder, seed=2026, n_planning_areas=120)
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running
    workspace.close()


@pytest.fixture(scope="module")
def tab(server: ServerThread, chromium: Browser) -> Page:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/cities/auenstedt?lang=en")
    return page


def _open(tab: Page, link: str, heading: str | re.Pattern[str]) -> None:
    """Click ``link`` in the city page's analyses and data links; the page opened has ``heading``."""
    from playwright.sync_api import expect

    nav = tab.get_by_role("navigation", name="Analyses and data of this city")
    with tab.expect_navigation():
        nav.get_by_role("link", name=link, exact=True).click()
    expect(tab.locator("h1")).to_have_text(heading)


def _back_to_city(tab: Page, here: str) -> None:
    """The breadcrumbs end at the page (``here``) and lead back to the city page."""
    from playwright.sync_api import expect

    trail = tab.get_by_role("navigation", name="Breadcrumbs")
    expect(trail.locator("li[aria-current=page]")).to_have_text(here)
    expect(trail.locator("li")).to_have_count(4)  # Home › Cities › the city › here
    with tab.expect_navigation():
        trail.get_by_role("link", name=CITY).click()
    expect(tab.locator("h1")).to_have_text(CITY)


def test_every_analysis_is_a_click_away_on_first_start(tab: Page) -> None:
    from playwright.sync_api import expect

    expect(tab.locator("h1")).to_have_text(CITY)
    # an anonymous visitor is offered no page of the data team
    assert tab.locator("#city-nav [data-link=audit], #city-nav [data-link=import]").count() == 0

    # the demo's stored index run (status index of the latest year)
    _open(tab, "Social index: latest run", "demo-social-status 2024")
    assert tab.locator("#class-map svg").count() == 1
    trail = tab.get_by_role("navigation", name="Breadcrumbs")
    expect(trail.locator("li")).to_have_text(
        ["Home", "Cities", CITY, "Social index runs", "demo-social-status 2024"]
    )
    with tab.expect_navigation():
        trail.get_by_role("link", name=CITY).click()

    # hotspots of the indicator the map shows
    _open(tab, "Spatial clusters", re.compile(r"^Spatial clusters: "))
    _back_to_city(tab, "Spatial clusters")

    # priority areas: the rule that fits the demo's run chooses areas, and the demo's public set is listed
    _open(tab, "Priority areas", "Priority areas")
    assert int(tab.locator("#priority-count").inner_text()) > 0
    with tab.expect_navigation():
        tab.locator("#priority-sets").get_by_role("link", name="low-status-2024").click()
    expect(tab.locator("h1")).to_have_text("Named set: low-status-2024")
    trail = tab.get_by_role("navigation", name="Breadcrumbs")
    with tab.expect_navigation():
        trail.get_by_role("link", name=CITY).click()

    # the catalogue
    _open(tab, "Data catalogue", f"Data catalogue: {CITY}")
    _back_to_city(tab, "Data catalogue")
