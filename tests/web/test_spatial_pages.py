"""The spatial statistics page, its JSON twin and the API route: one result, withheld cells left out."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import SUPPRESSED

QUERY = "indicator=unemployment&period=2022&level=planning_area&permutations=99"


def test_page_json_twin_and_api_agree(client: TestClient) -> None:
    twin = client.get(f"/cities/testville/spatial.json?{QUERY}")
    api = client.get(f"/api/cities/testville/spatial?{QUERY}")
    assert twin.status_code == api.status_code == 200
    assert twin.json() == api.json()
    body = api.json()
    assert body["level"] == "planning_area" and body["weights"]["kind"] == "queen"
    # the withheld cells are never used: 0102 (withheld by the source) and 0101 (withheld beside it by
    # secondary suppression, so that 0102 cannot be recovered from its district) are left out
    assert sum(body["cluster_counts"].values()) == body["n"] == 6
    assert body["left_out"] == ["0101", SUPPRESSED[1]]
    assert {"0101", SUPPRESSED[1]}.isdisjoint({a["area_id"] for a in body["areas"]})


def test_page_draws_cluster_map_scatter_plot_and_moran(sqlite_client: TestClient) -> None:
    page = sqlite_client.get(f"/cities/testville/spatial?{QUERY}&lang=en")
    assert page.status_code == 200
    html = page.text
    assert html.count('class="area"') == 16  # LISA map and Gi* map, 8 areas each
    assert 'data-category="ns"' in html and "Moran scatter plot" in html and 'data-stat="I"' in html
    assert html.count("<circle") == 6  # 0101 and 0102 are withheld (see above)
    assert '<link rel="alternate"' in html or page.headers["link"].endswith('type="application/json"')
    german = sqlite_client.get(f"/cities/testville/spatial?{QUERY}&lang=de").text
    assert "Räumliche Cluster" in german and "Moran-Streudiagramm" in german


def test_parameters_are_checked(sqlite_client: TestClient) -> None:
    assert sqlite_client.get("/api/cities/testville/spatial?indicator=nope").status_code == 404
    assert sqlite_client.get("/api/cities/nowhere/spatial?indicator=unemployment").status_code == 404
    band = sqlite_client.get("/api/cities/testville/spatial?indicator=unemployment&weights=distance-band")
    assert band.status_code == 422 and "threshold" in band.json()["detail"]
    knn = sqlite_client.get("/api/cities/testville/spatial?indicator=unemployment&weights=knn&k=3")
    assert knn.status_code == 200 and knn.json()["mean_neighbors"] == 3


TYPES = "indicator=unemployment&indicator=green_space&level=planning_area&period=2021&k=3"


def test_typology_page_twin_and_api(client: TestClient) -> None:
    api = client.get(f"/api/cities/testville/typology?{TYPES}")
    twin = client.get(f"/cities/testville/typology.json?{TYPES}")
    assert api.status_code == twin.status_code == 200 and api.json() == twin.json()
    body = api.json()
    sizes = [c["size"] for c in body["clusters"]]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(c["size"] for c in body["clusters"]) == len(body["areas"]) == 8


def test_typology_page_draws_map_and_a_profile_per_type(sqlite_client: TestClient) -> None:
    html = sqlite_client.get(f"/cities/testville/typology?{TYPES}&lang=en").text
    assert html.count('class="area"') == 8
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="profile"') == 3
    assert 'data-category="1"' in html and "Type 1" in html
    assert sqlite_client.get("/api/cities/testville/typology?indicator=unemployment&k=11").status_code == 422


def test_priority_page_twin_api_and_sets(sqlite_client: TestClient, sqlite_workspace: object) -> None:
    rule = {
        "name": "high unemployment",
        "conditions": [{"kind": "threshold", "indicator": "unemployment", "op": ">=", "value": 4}],
    }
    posted = sqlite_client.post("/api/cities/testville/priority?period=2021&level=planning_area", json=rule)
    assert posted.status_code == 200
    body = posted.json()
    assert 0 < len(body["areas"]) < body["total"] == 8
    assert all(a["reasons"][0].startswith("unemployment = ") for a in body["areas"])
    # the preset needs a stored MSS run: none here
    assert sqlite_client.get("/api/cities/testville/priority").status_code == 404
    assert sqlite_client.get("/api/cities/testville/priority?rule=nope").status_code == 404
    assert sqlite_client.get("/api/cities/testville/priority-sets").json() == []
    bad = sqlite_client.post(
        "/api/cities/testville/priority", json={"name": "x", "conditions": [{"kind": "?"}]}
    )
    assert bad.status_code == 422


def test_spatial_results_are_memoised_until_the_data_change(sqlite_client: TestClient) -> None:
    from unittest import mock

    from bettercities.analysis.spatial import service as spatial_service

    with mock.patch.object(spatial_service, "analyse", wraps=spatial_service.analyse) as analyse:
        first = sqlite_client.get(f"/api/cities/testville/spatial?{QUERY}").json()
        again = sqlite_client.get(f"/cities/testville/spatial.json?{QUERY}").json()
        other = sqlite_client.get(f"/api/cities/testville/spatial?{QUERY}&seed=2").json()
    assert first == again and other["seed"] == 2
    assert analyse.call_count == 2


def test_city_page_links_to_the_spatial_clusters(sqlite_client: TestClient) -> None:
    html = sqlite_client.get("/cities/testville?indicator=unemployment&period=2022&lang=en").text
    assert "/cities/testville/spatial?indicator=unemployment&amp;period=2022" in html
