"""Server-rendered pages and their JSON twins: map, legend, state in the URL, language, 404s."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.citybuilder import BuiltCity

AREA_PATH = re.compile(r'<path class="area"[^>]*fill="([^"]+)"[^>]*data-code="([^"]+)"')


def fills(html: str) -> dict[str, str]:
    """Area code -> fill of the map on a city page."""
    return {code: fill for fill, code in AREA_PATH.findall(html)}


def test_home_and_city_list(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200 and '<html lang="de">' in home.text
    assert 'href="/cities/testville?lang=de"' in home.text
    assert client.get("/index.json").json()["cities"][0]["slug"] == "testville"
    listing = client.get("/cities", params={"lang": "en"})
    assert '<html lang="en">' in listing.text and "Testville" in listing.text
    assert client.get("/cities.json").json()["indicators"] == 3


def test_city_map_has_one_path_per_area_and_a_legend(client: TestClient, city: BuiltCity) -> None:
    page = client.get("/cities/testville", params={"indicator": "inhabitants", "period": "2022"})
    assert page.status_code == 200
    assert set(fills(page.text)) == set(city.areas["planning_area"])
    assert page.text.count('<path class="area"') == 8
    assert page.text.count('class="legend-class"') == 5
    assert "<title>Planungsraum 0101: 1.010 Personen (2022)</title>" in page.text
    assert 'href="/cities/testville/areas/0101?level=planning_area&amp;lang=de#ind-inhabitants"' in page.text
    district = client.get("/cities/testville", params={"indicator": "inhabitants", "level": "district"})
    assert set(fills(district.text)) == {"01", "02"}


def test_changing_indicator_or_period_changes_fills(client: TestClient) -> None:
    base = fills(client.get("/cities/testville", params={"indicator": "green_space", "period": "2022"}).text)
    other_indicator = fills(
        client.get("/cities/testville", params={"indicator": "inhabitants", "period": "2022"}).text
    )
    assert base != other_indicator
    # unemployment 2021 vs 2022: a suppressed cell in 2022 is hatched, and the classes shift
    first = fills(client.get("/cities/testville?indicator=unemployment&period=2021").text)
    second = fills(client.get("/cities/testville?indicator=unemployment&period=2022").text)
    assert first != second
    assert second["0102"].startswith("url(#") and not first["0102"].startswith("url(#")


def test_polarity_chooses_the_ramp(client: TestClient) -> None:
    worse = client.get("/cities/testville.json?indicator=unemployment&period=2021").json()
    better = client.get("/cities/testville.json", params={"indicator": "green_space"}).json()
    assert worse["map"]["classification"]["classes"][-1]["colour"] == "#a50f15"  # dark red
    assert better["map"]["classification"]["classes"][-1]["colour"] == "#0868ac"  # dark blue


def test_city_json_twin_is_the_page_state(client: TestClient) -> None:
    body = client.get(
        "/cities/testville.json?indicator=unemployment&period=2021&classes=equal_interval"
    ).json()
    assert body["state"] == {
        "lang": "de", "indicator": "unemployment", "period": "2021", "level": "planning_area",
        "classes": "equal_interval", "k": 5,
    }  # fmt: skip
    assert len(body["map"]["areas"]) == 8
    assert body["summary"]["with_value"] == 8
    assert [p["period"] for p in body["city_series"]["points"]] == ["2021", "2022"]
    assert body["city_value"]["period"] == "2021"
    defaults = client.get("/cities/testville.json").json()["state"]
    assert defaults["indicator"] == "green_space"  # the first (by theme, code) with a direction
    assert defaults["period"] == "2022" and defaults["level"] == "planning_area"


def test_language_switch_keeps_the_state(client: TestClient) -> None:
    page = client.get("/cities/testville", params={"indicator": "green_space", "period": "2021"})
    switch = re.search(r'<a href="([^"]+)" lang="en" hreflang="en">English</a>', page.text)
    assert switch is not None
    url = urlsplit(switch.group(1).replace("&amp;", "&"))
    assert url.path == "/cities/testville"
    assert parse_qs(url.query) == {
        "indicator": ["green_space"], "period": ["2021"], "level": ["planning_area"], "lang": ["en"],
    }  # fmt: skip
    english = client.get(switch.group(1).replace("&amp;", "&"))
    assert '<html lang="en">' in english.text and '<label for="period">Period</label>' in english.text
    assert "Green space" in english.text
    assert '<label for="period">Zeitraum</label>' in page.text and "Grünflächenversorgung" in page.text
    assert english.cookies.get("lang") == "en"


def test_language_negotiation(client: TestClient) -> None:
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="de">' in client.get("/", headers={"Accept-Language": "fr, de;q=0.5"}).text
    client.cookies.set("lang", "en")
    assert '<html lang="en">' in client.get("/").text
    assert '<html lang="de">' in client.get("/", params={"lang": "de"}).text


def test_german_numbers(client: TestClient) -> None:
    page = client.get("/cities/testville?indicator=inhabitants&period=2022&lang=de")
    assert "1.010 Personen" in page.text
    english = client.get("/cities/testville?indicator=inhabitants&period=2022&lang=en")
    assert "1,010 persons" in english.text


def test_area_profile(client: TestClient) -> None:
    page = client.get("/cities/testville/areas/0103")
    assert page.status_code == 200
    assert "Planungsraum 0103" in page.text and 'class="locator"' in page.text
    assert 'href="/cities/testville/areas/01?level=district&amp;lang=de"' in page.text  # parent
    body = client.get("/cities/testville/areas/0103.json").json()
    assert body["area"]["code"] == "0103" and body["parent"]["code"] == "01"
    rows = {row["indicator"]["code"]: row for row in body["rows"]}
    assert set(rows) == {"inhabitants", "unemployment", "green_space"}
    people = rows["inhabitants"]
    assert people["period"] == "2022" and people["value"] == 1210
    assert people["rank"] == 6 and people["ranked"] == 8  # 1000 + 100 * index: 0103 is the 3rd smallest
    assert people["comparable"] is False and people["difference"] is None
    green = rows["green_space"]
    assert green["difference"] == pytest.approx(green["value"] - green["city_value"])
    district = client.get("/cities/testville/areas/02.json").json()
    assert [c["code"] for c in district["children"]] == ["0201", "0202", "0203", "0204"]
    assert {row["indicator"]["code"]: row["value"] for row in district["rows"]}["inhabitants"] == 6240


def test_indicator_page(client: TestClient) -> None:
    page = client.get("/cities/testville/indicators/inhabitants", params={"period": "2021"})
    assert page.status_code == 200 and 'class="histogram"' in page.text
    assert page.text.count('<rect class="bin"') >= 1
    body = client.get("/cities/testville/indicators/inhabitants.json", params={"period": "2021"}).json()
    ranking = body["ranking"]
    assert [r["rank"] for r in ranking] == list(range(1, 9))
    assert ranking[0]["area_code"] == "0204" and ranking[0]["value"] == 1700
    assert sum(b["count"] for b in body["histogram"]) == 8
    assert body["summary"]["minimum"] == 1000 and body["summary"]["maximum"] == 1700


@pytest.mark.parametrize(
    "url",
    [
        "/cities/nowhere",
        "/cities/testville?indicator=nothing",
        "/cities/testville?period=1999",
        "/cities/testville?level=block",
        "/cities/testville/areas/9999",
        "/cities/testville/indicators/nothing",
        "/no/such/page",
    ],
)
def test_unknown_pages_are_404(client: TestClient, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html") and "Nicht gefunden" in page.text
    parts = urlsplit(url)
    twin = client.get(parts.path + ".json" + (f"?{parts.query}" if parts.query else ""))
    assert twin.status_code == 404 and twin.json()["status"] == 404


def test_bad_page_parameters_are_422_for_the_twin_and_a_message_on_the_page(client: TestClient) -> None:
    """Issue 12: a page shows itself without the refused parameter and says why (test_page_errors.py)."""
    assert client.get("/cities/testville", params={"k": 12}).status_code == 200
    assert client.get("/cities/testville", params={"classes": "random"}).status_code == 200
    assert client.get("/cities/testville.json", params={"k": 12}).status_code == 422
    assert client.get("/cities/testville.json", params={"period": "someday"}).status_code == 422


def test_unsupported_language_falls_back(client: TestClient) -> None:
    """Issue 12: ``?lang=fr`` is no error; the cookie, Accept-Language or the default decides."""
    french = client.get(
        "/cities/testville", params={"lang": "fr"}, headers={"accept-language": "fr, de;q=0.5"}
    )
    assert french.status_code == 200 and '<html lang="de"' in french.text
    english = client.get("/cities/testville", params={"lang": "fr"}, headers={"accept-language": "en"})
    assert english.status_code == 200 and '<html lang="en"' in english.text
    assert client.get("/api/cities/testville", params={"lang": "fr"}).status_code == 200


def test_german_404_has_no_english_reason_phrase(client: TestClient) -> None:
    page = client.get("/no/such/page", headers={"accept-language": "de"})
    assert page.status_code == 404 and "Nicht gefunden" in page.text and "Not Found" not in page.text
