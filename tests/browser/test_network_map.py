"""Issue 15's acceptance in headless Chromium: the #vernetztinEuropa programme's page shows the six tandems on
the Europe map — a point for each of the 13 member cities and a line for each pair of tandem partners (one
for five tandems, three for Basel – Mulhouse – Freiburg) — with the table beside it; a point is a link to the
city's page. The programme is the demo's (``demo/networks.py``) on the registry's 13 member cities (their
names, coordinates and populations as the shipped registry has them), not the whole registry: the page and
the map are what is tested."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.demo.networks import load_networks
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.net import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: slug, name, country, lat, lon, population: the shipped registry's rows of the tandems' cities
CITIES = (
    ("muenchen", "München", "DE", 48.1532, 11.5473, 1484226),
    ("sofia", "Sofia", "BG", 42.6734, 23.3649, 1242568),
    ("utrecht", "Utrecht", "NL", 52.0712, 5.0714, 457055),
    ("basel", "Basel", "CH", 47.5274, 7.6011, 346640),
    ("freiburg-im-breisgau", "Freiburg im Breisgau", "DE", 47.9927, 7.818, 231195),
    ("krefeld", "Krefeld", "DE", 51.3452, 6.5797, 227417),
    ("mulhouse", "Mulhouse", "FR", 47.7621, 7.3331, 205684),
    ("hamm", "Hamm", "DE", 51.6652, 7.8236, 179916),
    ("arezzo", "Arezzo", "IT", 43.4451, 11.9043, 97373),
    ("arnsberg", "Arnsberg", "DE", 51.38333, 8.08333, 74879),
    ("alba-iulia", "Alba Iulia", "RO", 46.0651, 23.5547, 74659),
    ("voula", "Voúla", "EL", 37.84221, 23.77651, 28364),  # seat of Vari Voula Vouliagmeni
    ("geestland", "Geestland", "DE", 53.60554, 8.59509, 18863),
)
LINKS = {
    frozenset(pair)
    for pair in (
        ("sofia", "krefeld"), ("arezzo", "hamm"), ("voula", "geestland"), ("utrecht", "muenchen"),
        ("alba-iulia", "arnsberg"), ("basel", "mulhouse"), ("basel", "freiburg-im-breisgau"),
        ("mulhouse", "freiburg-im-breisgau"),
    )
}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("network-map")) / "ws")
    with workspace.database.session() as session:
        for slug, name, country, lat, lon, population in CITIES:
            spec = CitySpec(slug=slug, name=name, country=country, lat=lat, lon=lon, population=population)
            areas.create_city(session, spec)
    load_networks(workspace)  # the URBACT members are not in this small registry: kept unmatched
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running
    workspace.close()


def test_the_programme_map_shows_the_six_tandems(server: ServerThread, chromium: Browser) -> None:
    from playwright.sync_api import expect

    page = chromium.new_context().new_page()
    page.goto(f"{server.url}/programmes?lang=en")
    page.locator("tr[data-programme=vernetztineuropa] a").click()
    expect(page.locator("h1")).to_contain_text("#vernetztinEuropa")
    figure = page.locator("#programme-map svg.europe-map")
    expect(figure).to_be_visible()
    points = figure.locator(".point")
    expect(points).to_have_count(len(CITIES))
    keys = {points.nth(i).get_attribute("data-key") for i in range(points.count())}
    assert keys == {slug for slug, *_ in CITIES}
    lines = figure.locator("line.link")
    expect(lines).to_have_count(len(LINKS))
    drawn = {
        frozenset((lines.nth(i).get_attribute("data-a"), lines.nth(i).get_attribute("data-b")))
        for i in range(lines.count())
    }
    assert drawn == LINKS
    for i in range(lines.count()):  # a line is drawn, not a point
        box = lines.nth(i).bounding_box()
        assert box is not None and box["width"] + box["height"] > 1
    # the table beside the map names each city with its partners; a point links to the city's page
    expect(page.locator("#map-table tbody tr")).to_have_count(len(CITIES))
    expect(page.locator("#map-table tr[data-key=basel]")).to_contain_text("Mulhouse")
    expect(page.locator("#tandem-links li")).to_have_count(len(LINKS))
    href = figure.locator(".point[data-key=geestland]").first.evaluate(
        "p => (p.closest('a') || p).getAttribute('href')"
    )
    assert href is not None and href.startswith("/cities/geestland")
