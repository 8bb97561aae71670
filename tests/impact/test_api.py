"""The register's JSON API on Impactville: writes need ``edit`` (401/403 otherwise) and refuse bad input
with 422 and every problem; plan versions; runs by the plan or departing from it; the run and its panel as
the public sees them (the suppressed cell nowhere); a data team's run not there for anyone else."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from bettercities.impact import evaluation
from bettercities.impact.register_schemas import RunIn
from bettercities.publication import Audience
from tests.impact.conftest import Served
from tests.impact.impactville import RAW_SUPPRESSED, SET, SLUG, TREATED

API = f"/api/cities/{SLUG}/interventions"
BODY: dict[str, Any] = {
    "name": "Quartiersmanagement Nord",
    "kind": "neighbourhood_management",
    "areas": {"kind": "priority_set", "value": SET},
    "start_period": "2020",
    "budget_cents": 50_000_000,
    "responsible_unit": "Sozialamt",
    "indicators": ["jobless"],
}


def test_writes_need_the_permission_edit(anonymous: TestClient, member: TestClient) -> None:
    assert anonymous.post(API, json=BODY).status_code == 401
    assert member.post(API, json=BODY).status_code == 403
    assert anonymous.post(f"{API}/1/plans", json={"indicator": "jobless", "design": "did"}).status_code == 401
    assert member.post(f"{API}/1/evaluations", json={}).status_code == 403
    assert member.delete(f"{API}/1").status_code == 403


def test_bad_input_answers_422_with_every_problem(steward: TestClient) -> None:
    response = steward.post(
        API, json={**BODY, "indicators": ["nope"], "areas": {"kind": "areas", "value": "X1"}}
    )
    assert response.status_code == 422
    codes = {p["code"] for p in response.json()["errors"]}
    assert {"unknown-indicator", "unknown-area"} <= codes
    assert steward.post(API, json={**BODY, "budget_cents": -1}).status_code == 422
    assert steward.get(f"{API}/99999").status_code == 404
    assert steward.get(f"{API}/{2**63}").status_code == 422


def test_register_plan_and_run_through_the_api(steward: TestClient, anonymous: TestClient) -> None:
    created = steward.post(API, json=BODY)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["area_codes"] == list(TREATED) and item["priority_set"] == SET
    base = f"{API}/{item['id']}"
    assert steward.post(f"{base}/evaluations", json={}).status_code == 422  # no plan yet
    first = steward.post(f"{base}/plans", json={"indicator": "jobless", "design": "did", "analysis": "DiD"})
    assert first.status_code == 201 and first.json()["version"] == 1
    second = steward.post(f"{base}/plans", json={"indicator": "jobless", "design": "twfe"})
    assert second.json()["version"] == 2
    assert [p["version"] for p in anonymous.get(f"{base}/plans").json()] == [1, 2]
    bad = steward.post(f"{base}/plans", json={"indicator": "jobless", "design": "did", "comparison": ["D01"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "invalid-option"

    run = steward.post(f"{base}/evaluations", json={})
    assert run.status_code == 201, run.text
    out = run.json()
    assert out["followed_plan"] and out["plan_version"] == 2 and out["settings"]["design"] == "twfe"
    assert out["result"]["verdict"] == "better" and out["audience"] == "public"
    departed = steward.post(f"{base}/evaluations", json={"design": "did"}).json()
    assert not departed["followed_plan"] and departed["differences"] == ["design: planned twfe, run with did"]

    public = anonymous.get(f"{base}/evaluations/{out['id']}")
    assert public.status_code == 200 and public.json()["result"] == out["result"]
    panel = anonymous.get(f"{base}/evaluations/{out['id']}/panel.csv")
    assert panel.status_code == 200 and panel.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(panel.text)))
    assert {r["unit"] for r in rows} == {f"D{i:02d}" for i in range(1, 11)} - {"D02"}
    assert all(float(r["outcome"]) != RAW_SUPPRESSED for r in rows)
    listed = anonymous.get(API).json()
    assert [r["id"] for r in listed[-1]["runs"]] == [departed["id"], out["id"]]
    assert steward.delete(base).status_code == 204
    assert anonymous.get(base).status_code == 404


def test_a_data_team_run_is_not_there_for_the_public_or_members(
    served: Served, steward: TestClient, anonymous: TestClient, member: TestClient
) -> None:
    item = steward.post(API, json=BODY).json()["id"]
    steward.post(f"{API}/{item}/plans", json={"indicator": "jobless", "design": "did"})
    with served.workspace.database.session() as session:
        run_id = evaluation.evaluate(
            session, SLUG, item, RunIn(), actor="data team", audience=Audience.INTERNAL
        )
    for client in (anonymous, member):
        assert client.get(f"{API}/{item}/evaluations/{run_id}").status_code == 404
        assert client.get(f"{API}/{item}/evaluations/{run_id}/panel.csv").status_code == 404
        assert client.get(f"{API}/{item}").json()["runs"] == []
    steward.delete(f"{API}/{item}")
