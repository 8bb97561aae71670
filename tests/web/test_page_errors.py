"""Friendly page errors (issue 12, point 5): a page whose query parameters are refused is shown again with
its form and a message in the visitor's language; a page missing its required indicator shows its form and
asks for one; the JSON twins and the API keep their 422 problem documents."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app

NOTICES = re.compile(r'<div class="note" role="status" data-page-notices>(.*?)</div>', re.S)


def notices(html: str) -> str:
    found = NOTICES.search(html)
    assert found, "the page shows no message"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_the_spatial_page_without_an_indicator_shows_its_form(sqlite_client: TestClient) -> None:
    page = sqlite_client.get("/cities/testville/spatial")
    assert page.status_code == 200
    assert "Wählen Sie einen Indikator" in notices(page.text)
    assert '<select id="indicator" name="indicator"' in page.text and 'value="unemployment"' in page.text
    assert 'id="moran"' not in page.text  # nothing computed
    english = sqlite_client.get("/cities/testville/spatial?lang=en")
    assert "Choose an indicator to see where its values cluster." in notices(english.text)
    # the JSON twin and the API still need the indicator
    for url in ("/cities/testville/spatial.json", "/api/cities/testville/spatial"):
        refused = sqlite_client.get(url)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["loc"] == ["query", "indicator"]


def test_the_typology_page_without_indicators_shows_its_form(sqlite_client: TestClient) -> None:
    page = sqlite_client.get("/cities/testville/typology", params={"lang": "en"})
    assert page.status_code == 200
    assert "Choose the indicators to group the areas by." in notices(page.text)
    assert 'type="checkbox" name="indicator" value="unemployment"' in page.text
    assert sqlite_client.get("/cities/testville/typology.json").status_code == 422


def test_a_refused_parameter_is_dropped_with_a_message(sqlite_client: TestClient) -> None:
    # 12 classes: MAX_CLASSES is 7; the city page is drawn with the default number of classes
    page = sqlite_client.get("/cities/testville", params={"k": 12})
    assert page.status_code == 200
    text = notices(page.text)
    assert "„12“ ist zu groß (höchstens 7)" in text and "Voreinstellung" in text
    assert "<svg" in page.text  # the map is there
    random = sqlite_client.get("/cities/testville", params={"classes": "random", "lang": "en"})
    assert random.status_code == 200
    assert "Class breaks: “random” is not one of" in notices(random.text)
    # the parameters the page took are kept: the indicator stays the one asked for
    both = sqlite_client.get("/cities/testville", params={"k": 0, "indicator": "inhabitants", "lang": "de"})
    assert both.status_code == 200 and "„0“ ist zu klein (mindestens 3)" in notices(both.text)
    assert re.search(r'<option value="inhabitants"[^>]*selected', both.text)
    # the twin keeps its 422
    twin = sqlite_client.get("/cities/testville.json", params={"k": 12})
    assert twin.status_code == 422 and twin.json()["errors"][0]["loc"] == ["query", "k"]


def test_too_few_permutations_are_replaced_by_the_default(sqlite_client: TestClient) -> None:
    page = sqlite_client.get(
        "/cities/testville/spatial", params={"indicator": "unemployment", "permutations": 5, "lang": "en"}
    )
    assert page.status_code == 200
    assert "Permutations: “5” is too small (at least 99)." in notices(page.text)
    assert "999 permutations" in page.text  # the default
    # a distance band without its threshold: the page falls back to the default weights (queen contiguity)
    spatial = "/cities/testville/spatial"
    band = sqlite_client.get(
        spatial, params={"indicator": "unemployment", "weights": "distance-band", "lang": "de"}
    )
    assert band.status_code == 200
    assert "Räumliche Gewichte: „distance-band“ ist nicht gültig." in notices(band.text)
    assert re.search(r'<option value="queen"[^>]*selected', band.text) and 'id="moran"' in band.text
    alpha = sqlite_client.get(spatial, params={"indicator": "unemployment", "alpha": 0.9, "lang": "de"})
    assert "„0.9“ ist zu groß (es muss weniger als 0,5 sein)" in notices(alpha.text)


def test_what_cannot_be_dropped_is_a_422_page_in_the_visitors_language(sqlite_client: TestClient) -> None:
    """A path parameter out of range cannot be left out: the error page names it in German."""
    page = sqlite_client.get(f"/cities/testville/index-runs/{2**64}")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "Ungültige Anfrage" in page.text and "run_id" in page.text and "zu groß" in page.text
    assert "Input should be" not in page.text  # pydantic's English is not shown


def test_a_page_without_bad_parameters_shows_no_message(sqlite_client: TestClient) -> None:
    page = sqlite_client.get("/cities/testville", params={"k": 5})
    assert page.status_code == 200 and "data-page-notices" not in page.text


def test_refused_input_names_its_problems_by_label(tmp_path: Path) -> None:
    """An input refused with a report (``InvalidInput``) lists its problems by the labels of their codes."""
    workspace = Workspace.init(tmp_path / "workspace")
    app = create_app(workspace, settings=Settings(default_language="de"))

    @app.get("/refusing-page", response_class=HTMLResponse)
    def refusing_page() -> HTMLResponse:
        problem = Problem(code="unknown-area", message="no area '99'", row=7, column="id", value="99")
        raise InvalidInput("1 problem", Report(problems=[problem]))

    with TestClient(app) as client:
        page = client.get("/refusing-page")
    workspace.close()
    assert page.status_code == 422
    assert "<li>Unbekanntes Gebiet, Zeile 7, Spalte <code>id</code></li>" in page.text
