"""The JSON API under /api on SQLite and PostgreSQL: envelopes, pagination, typed bodies, problems."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import SUPPRESSED


def assert_envelope(body: dict, *, page: int, page_size: int, total: int) -> None:
    assert set(body) == {"items", "page", "page_size", "total", "next"}
    assert (body["page"], body["page_size"], body["total"]) == (page, page_size, total)


def test_cities(client: TestClient) -> None:
    body = client.get("/api/cities").json()
    assert_envelope(body, page=1, page_size=5, total=1)
    assert body["items"][0]["slug"] == "testville"
    assert body["items"][0]["area_count"] == 10
    assert body["next"] is None
    city = client.get("/api/cities/testville").json()
    assert city["name"] == "Testville"


def test_levels(client: TestClient) -> None:
    body = client.get("/api/cities/testville/levels").json()
    assert [lv["code"] for lv in body["items"]] == ["district", "planning_area"]
    assert [lv["area_count"] for lv in body["items"]] == [2, 8]


def test_areas_are_paginated_and_capped(client: TestClient) -> None:
    params = {"level": "planning_area", "page_size": 3}
    first = client.get("/api/cities/testville/areas", params=params).json()
    assert_envelope(first, page=1, page_size=3, total=8)
    assert [a["code"] for a in first["items"]] == ["0101", "0102", "0103"]
    assert first["next"] is not None
    second = client.get(first["next"]).json()
    assert [a["code"] for a in second["items"]] == ["0104", "0201", "0202"]
    last = client.get(second["next"]).json()
    assert [a["code"] for a in last["items"]] == ["0203", "0204"]
    assert last["next"] is None
    capped = client.get("/api/cities/testville/areas", params={"page_size": 1000}).json()
    assert capped["page_size"] == 5 and len(capped["items"]) == 5 and capped["total"] == 10
    assert capped["items"][0]["level"] == "district"  # coarse levels first


def test_area_with_geometry_on_request(client: TestClient) -> None:
    plain = client.get("/api/cities/testville/areas/0101").json()
    assert plain["parent_code"] == "01" and plain["level"] == "planning_area"
    assert plain["geometry"] is None and len(plain["bbox"]) == 4
    full = client.get("/api/cities/testville/areas/01", params={"geometry": "true"}).json()
    assert full["geometry"]["type"] == "Polygon"
    assert full["children"] == ["0101", "0102", "0103", "0104"]


def test_indicators(client: TestClient) -> None:
    body = client.get("/api/indicators", params={"page_size": 2}).json()
    assert_envelope(body, page=1, page_size=2, total=3)
    one = client.get("/api/indicators/unemployment").json()
    assert one["polarity"] == "higher_is_worse" and one["name_de"] == "Arbeitslosigkeit"


def test_observations_publish_no_suppressed_value(client: TestClient) -> None:
    indicator, area, period = SUPPRESSED
    params = {"indicator": indicator, "period": period, "level": "planning_area"}
    body = client.get("/api/cities/testville/observations", params=params).json()
    assert_envelope(body, page=1, page_size=5, total=8)
    everything = body["items"] + client.get(body["next"]).json()["items"]
    hidden = next(v for v in everything if v["area_code"] == area)
    assert hidden["suppressed"] is True
    assert hidden["value"] is None and hidden["numerator"] is None and hidden["denominator"] is None
    # 0101 is withheld too (secondary suppression), so that the district total cannot reveal 0102
    complement = next(v for v in everything if v["area_code"] == "0101")
    assert complement["suppressed"] is True and complement["numerator"] is None
    assert sum(v["value"] is not None for v in everything) == 6


def test_observations_of_a_coarser_level_are_aggregated(client: TestClient) -> None:
    params = {"indicator": "inhabitants", "period": "2021", "level": "district"}
    body = client.get("/api/cities/testville/observations", params=params).json()
    first = body["items"][0]
    # planning areas 0..3 of district 01 have 1000 + 100 * index inhabitants in 2021
    assert first["area_code"] == "01" and first["value"] == 4600 and first["estimated"] is True
    # the district holding the suppressed cell stays published (issue 11): a complementary cell (0101) is
    # withheld instead, so the total cannot be differenced; its value is the ratio of the sums
    params = {"indicator": "unemployment", "period": "2022", "level": "district"}
    items = client.get("/api/cities/testville/observations", params=params).json()["items"]
    assert items[0]["suppressed"] is False and items[0]["value"] is not None
    assert items[0]["value"] == pytest.approx(100 * items[0]["numerator"] / items[0]["denominator"])


def test_series(client: TestClient) -> None:
    city = client.get("/api/cities/testville/series", params={"indicator": "inhabitants"}).json()
    assert city["area_code"] is None
    assert [p["period"] for p in city["points"]] == ["2021", "2022"]
    assert city["points"][0]["value"] == sum(1000 + 100 * i for i in range(8))
    params = {"indicator": "unemployment", "area": "0102"}
    area = client.get("/api/cities/testville/series", params=params).json()
    assert area["points"][1] == {
        "period": "2022",
        "value": None,
        "suppressed": True,
        "provisional": False,
        "estimated": False,
        "protection": None,
    }
    district = client.get(
        "/api/cities/testville/series", params={"indicator": "inhabitants", "area": "02"}
    ).json()
    assert [p["value"] for p in district["points"]] == [6200, 6240]  # areas 4..7, +10 each in 2022


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/api/cities/nowhere", "city"),
        ("/api/cities/testville/areas/9999", "area"),
        ("/api/indicators/nothing", "indicator"),
        ("/api/cities/testville/observations?indicator=unemployment&period=1999", "period"),
        ("/api/cities/testville/observations?indicator=unemployment&level=block", "spatial level"),
        ("/api/cities/testville/series?indicator=nothing", "indicator"),
    ],
)
def test_unknown_objects_are_404_problems(client: TestClient, url: str, kind: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["kind"] == kind


@pytest.mark.parametrize(
    "url",
    [
        "/api/cities?page=0",
        "/api/cities?page_size=0",
        "/api/cities?page=x",
        "/api/cities/testville/observations?indicator=unemployment&period=not-a-period",
        "/api/cities/testville/observations",
        "/api/cities/testville/areas/0101?geometry=maybe",
    ],
)
def test_bad_parameters_are_422_problems(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["status"] == 422


def test_openapi_and_offline_docs(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/cities", "/api/cities/{slug}/observations", "/api/indicators", "/cities/{slug}.json"):
        assert path in spec["paths"]
    envelope = spec["components"]["schemas"]["Page_AreaOut_"]
    assert set(envelope["properties"]) == {"items", "page", "page_size", "total", "next"}
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger/swagger-ui.css").status_code == 200
