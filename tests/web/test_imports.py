"""The upload page (a steward's): a plain POST imports and shows the counts; bad files show every problem;
scripts poll."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

GOOD = "id,inhabitants,green_space\n0101,1500,12.5\n0102,1600,13.5\n"
BAD = "id,inhabitants,green_space\n0101,many,12.5\n9999,1600,13.5\n"


def upload(client: TestClient, content: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"kind": "observations", "level": "planning_area", "layout": "wide", "period": "2023", **fields}
    return client.post(
        "/cities/testville/import",
        data=data,
        files={"file": ("values.csv", content.encode(), "text/csv")},
        follow_redirects=False,
    )


def test_form_and_its_twin(steward: TestClient) -> None:
    page = steward.get("/cities/testville/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert '<label for="file">Datei</label>' in page.text
    form = steward.get("/cities/testville/import.json").json()
    assert [lv["code"] for lv in form["levels"]] == ["district", "planning_area"]


def test_plain_post_imports_and_shows_the_counts(steward: TestClient) -> None:
    response = upload(steward, GOOD)
    assert response.status_code == 303
    result = steward.get(response.headers["location"])
    assert result.status_code == 200 and "Importiert." in result.text
    job = steward.get(response.headers["location"].split("?")[0] + ".json").json()
    assert job["status"] == "done" and job["result"]["inserted"] == 4
    # the new period shows at once (the caches see the new data stamp)
    body = steward.get("/cities/testville.json", params={"indicator": "inhabitants", "period": "2023"}).json()
    values = {a["code"]: a["value"] for a in body["map"]["areas"]}
    assert values["0101"] == 1500 and values["0103"] is None


def test_bad_file_shows_every_problem_and_writes_nothing(steward: TestClient) -> None:
    response = upload(steward, BAD)
    page = steward.get(response.headers["location"])
    assert "Es wurde nichts importiert" in page.text
    job = steward.get(response.headers["location"].split("?")[0] + ".json").json()
    assert job["status"] == "failed"
    problems = job["report"]["problems"]
    assert {(p["row"], p["column"]) for p in problems} >= {(2, "inhabitants"), (3, "id")}
    assert steward.get("/cities/testville.json", params={"period": "2023"}).status_code == 404


def test_script_upload_runs_in_the_background(steward: TestClient) -> None:
    response = steward.post(
        "/cities/testville/import",
        data={"kind": "observations", "level": "planning_area", "period": "2023"},
        files={"file": ("values.csv", GOOD.encode(), "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 202
    status_url = response.json()["status_url"]
    for _ in range(200):
        job = steward.get(status_url).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "done", job


def test_invalid_form_is_refused(steward: TestClient) -> None:
    response = upload(steward, GOOD, mapping="just words")
    assert response.status_code == 422 and "column = indicator" in response.text
    assert upload(steward, "").status_code == 422
    assert steward.get("/cities/testville/import/nothing.json").status_code == 404
