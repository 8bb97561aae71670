"""Quality pages and their JSON twins: outlier queue with POST actions, rules, history and diffs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bettercities.areas import service as areas
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.quality import rules
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.ingest.conftest import CITY, LEVEL, build_city
from tests.web.conftest import SETTINGS, add_user, sign_in

BASE = f"/cities/{CITY}/quality"


@pytest.fixture
def quality_client(workspace: Workspace, tmp_path: Path) -> Iterator[TestClient]:
    """The import tests' city with two deliveries (B1's inhabitants jump from 100 to 400) and one rule."""
    build_city(workspace)
    for number, text in enumerate(
        [
            "id,period,inhabitants\nB1,2019,100\nB2,2019,80\nB3,2019,60\n",
            "id,period,inhabitants\nB1,2020,400\nB2,2020,81\nB3,2020,60\nB1,2019,101\n",
        ],
        start=1,
    ):
        path = tmp_path / f"delivery{number}.csv"
        path.write_text(text)
        import_observations(
            workspace.database, CITY, path, ObservationImportOptions(level=LEVEL), user="loader"
        )
    with workspace.database.session() as session:
        rules.save_rules(
            session,
            areas.get_city(session, CITY),
            [rules.RuleSpec(code="few", left="inhabitants", operator="<", right="300")],
        )
    add_user(workspace, "stella", {CITY: "steward"})
    with TestClient(create_app(workspace, settings=SETTINGS)) as client:
        sign_in(client, "stella")  # the queue, history and diffs are the data team's; actions a steward's
        yield client


def test_outlier_queue_page_and_actions(quality_client: TestClient) -> None:
    queue = quality_client.get(f"{BASE}/outliers.json").json()
    [flag] = queue["flags"]
    assert (flag["area"], flag["period"], flag["method"], flag["value"]) == ("B1", "2020", "jump", 400.0)
    page = quality_client.get(f"{BASE}/outliers?lang=en")
    assert page.status_code == 200 and "delivery2.csv" in page.text
    assert f'action="{BASE}/outliers/{flag["id"]}?lang=en"' in page.text
    assert "Auffällige Werte" in quality_client.get(f"{BASE}/outliers?lang=de").text
    # a comment through the form, then a correction that is not a number, then a correction
    done = quality_client.post(
        f"{BASE}/outliers/{flag['id']}",
        data={"action": "comment", "comment": "asked"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    bad = quality_client.post(f"{BASE}/outliers/{flag['id']}", data={"action": "correct", "value": "x"})
    assert bad.status_code == 422 and "not a number" in bad.text
    quality_client.post(f"{BASE}/outliers/{flag['id']}", data={"action": "correct", "value": "104,5"})
    assert quality_client.get(f"{BASE}/outliers.json").json()["flags"] == []
    corrected = quality_client.get(f"{BASE}/outliers.json?status=corrected").json()["flags"]
    assert corrected[0]["comments"] == ["comment: asked"]
    # the API accepts the same actions as JSON
    missing = quality_client.post(f"/api/cities/{CITY}/quality/outliers/999", json={"action": "accept"})
    assert missing.status_code == 404
    history = quality_client.get(f"/api/cities/{CITY}/quality/history?indicator=inhabitants").json()
    assert [i["file_name"] for i in history["imports"]] == ["delivery2.csv", "delivery1.csv"]


def test_rules_history_and_diff_pages(quality_client: TestClient) -> None:
    view = quality_client.get(f"{BASE}/rules.json").json()
    [status] = view["rules"]
    assert status["rule"]["code"] == "few" and status["failures"] == 1  # B1's 400 in 2020
    assert "few" in quality_client.get(f"{BASE}/rules?lang=en").text
    history = quality_client.get(f"{BASE}/history.json?indicator=inhabitants").json()
    newest, first = history["imports"]
    assert (newest["inserted"], newest["revised"], newest["previous_batch"]) == (3, 1, first["batch_id"])
    page = quality_client.get(f"{BASE}/history?indicator=inhabitants&lang=en")
    query = f"indicator=inhabitants&from_batch={first['batch_id']}&to_batch={newest['batch_id']}"
    assert f"{BASE}/diff?{query.replace('&', '&amp;')}" in page.text
    found = quality_client.get(f"{BASE}/diff.json?{query}").json()
    assert len(found["added"]) == 3
    assert [(e["area"], e["old"], e["new"]) for e in found["changed"]] == [("B1", 100.0, 101.0)]
    assert found["removed"] == []
    html = quality_client.get(f"{BASE}/diff?{query}&lang=en")
    assert html.status_code == 200 and "+1" in html.text
    assert quality_client.get(f"/api/cities/{CITY}/quality/diff?{query}").json() == found
    assert quality_client.get(f"{BASE}/diff.json?from_batch=1").status_code == 422
