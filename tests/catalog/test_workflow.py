"""Approval workflow on SQLite and PostgreSQL: every step recorded, approval locks the data (a write is
refused with a clear message through the API and the CLI), unpublished data never reach the public."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bettercities.areas import service as areas
from bettercities.catalog import approval, service
from bettercities.catalog.schemas import DatasetSpec
from bettercities.cli.main import app as cli
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.indicators import service as indicators
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.web.citybuilder import BuiltCity, build_city
from tests.web.conftest import SETTINGS, add_user, issue_token

SPEC = DatasetSpec(
    code="green",
    title_de="Grünflächen",
    title_en="Green space",
    description_de="Öffentliche Grünfläche je Einwohnerin und Einwohner.",
    description_en="Public green space per inhabitant.",
    publisher="Stadt Testville",
    indicators=["green_space"],
)


@pytest.fixture
def city(workspace: Workspace) -> BuiltCity:
    built = build_city(workspace)
    with workspace.database.session() as session:
        service.add_dataset(session, areas.get_city(session, built.slug), SPEC)
    return built


@pytest.fixture
def client(workspace: Workspace, city: BuiltCity) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, settings=SETTINGS)) as test_client:
        yield test_client


@pytest.fixture
def admin(workspace: Workspace, city: BuiltCity) -> dict[str, str]:
    """Headers of a city admin of Testville's write token (writes and approval steps need roles)."""
    add_user(workspace, "ann", {"testville": "city_admin"})
    return {"Authorization": f"Bearer {issue_token(workspace, 'ann', write=True)}"}


def upload(tmp_path: Path, city: BuiltCity, value: float) -> Path:
    path = tmp_path / "green.csv"
    rows = "".join(f"{code},{value}\n" for code in city.areas["planning_area"])
    path.write_text("id,green_space\n" + rows, encoding="utf-8")
    return path


def post(client: TestClient, path: Path, headers: dict[str, str]) -> object:
    with path.open("rb") as handle:
        return client.post(
            "/api/cities/testville/datasets/green/observations",
            files={"file": ("green.csv", handle, "text/csv")},
            data={"level": "planning_area", "period": "2023"},
            headers=headers,
        )


def cli_args(workspace: Workspace, *args: str) -> list[str]:
    options = ["--workspace", str(workspace.path)]
    if workspace.database_url:
        options += ["--database-url", workspace.database_url]
    return [*args, *options]


def test_steps_are_recorded_and_checked(workspace: Workspace, city: BuiltCity) -> None:
    with workspace.database.session() as session:
        with pytest.raises(Conflict, match="cannot approve dataset 'green': it is draft"):
            approval.transition(session, "testville", "green", "approve", user="ann")
        for action in ("submit", "approve", "publish"):
            approval.transition(session, "testville", "green", action, user="ann")
        with pytest.raises(InvalidInput, match="needs a reason"):
            approval.transition(session, "testville", "green", "unlock", user="bob", reason="  ")
        approval.transition(session, "testville", "green", "unlock", user="bob", reason="late correction")
        steps = approval.history(session, "testville", "green")
    assert [(s.from_state, s.to_state, s.user) for s in steps] == [
        ("draft", "submitted", "ann"),
        ("submitted", "approved", "ann"),
        ("approved", "published", "ann"),
        ("published", "draft", "bob"),
    ]
    assert steps[-1].reason == "late correction"


def test_approval_locks_writes_through_api_and_cli(
    workspace: Workspace, city: BuiltCity, client: TestClient, admin: dict[str, str], tmp_path: Path
) -> None:
    assert post(client, upload(tmp_path, city, 10.0), admin).status_code == 201  # a draft takes data
    for action in ("submit", "approve"):
        assert (
            client.post(f"/api/cities/testville/datasets/green/{action}", json={}, headers=admin).status_code
            == 200
        )

    refused = post(client, upload(tmp_path, city, 11.0), admin)
    assert refused.status_code == 409
    assert "dataset 'green' (Green space) is approved" in refused.json()["detail"]

    runner = CliRunner()
    path = str(upload(tmp_path, city, 12.0))
    args = ["--city", "testville", "--level", "planning_area", "--period", "2023"]
    result = runner.invoke(cli, cli_args(workspace, "import", "observations", path, *args))
    assert result.exit_code != 0
    assert "dataset 'green' (Green space) is approved" in result.output
    assert "locked" in result.output

    result = runner.invoke(cli, cli_args(workspace, "catalog", "unlock", "testville", "green"))
    assert result.exit_code != 0 and "needs a reason" in result.output
    result = runner.invoke(
        cli, cli_args(workspace, "catalog", "unlock", "testville", "green", "--reason", "fix")
    )
    assert result.exit_code == 0, result.output
    assert post(client, upload(tmp_path, city, 13.0), admin).status_code == 201
    history = client.get("/api/cities/testville/datasets/green/history", headers=admin).json()
    assert [h["to_state"] for h in history] == ["submitted", "approved", "draft"]
    assert history[-1]["reason"] == "fix"


def _public_values(client: TestClient, indicator: str) -> list[object]:
    body = client.get(
        "/api/cities/testville/observations",
        params={"indicator": indicator, "period": "2022", "level": "planning_area", "page_size": 5},
    ).json()
    return [item["value"] for item in body["items"]]


def test_unpublished_data_never_reach_the_public(
    workspace: Workspace, city: BuiltCity, client: TestClient, admin: dict[str, str]
) -> None:
    assert all(v is None for v in _public_values(client, "green_space"))  # draft: withheld
    assert all(v is not None for v in _public_values(client, "inhabitants"))  # in no dataset: public
    with workspace.database.reader() as session:
        internal, _ = indicators.level_values(
            session,
            indicators.get_indicator(session, "green_space"),
            indicators.get_period(session, "2022"),
            areas.get_level(session, areas.get_city(session, "testville"), "planning_area"),
            audience=Audience.INTERNAL,
        )
    assert all(v.value is not None for v in internal)
    page = client.get("/cities/testville/indicators/green_space.json", params={"period": "2022"}).json()
    assert page["city_value"] is None or page["city_value"]["value"] is None
    for action in ("submit", "approve", "publish"):
        client.post(f"/api/cities/testville/datasets/green/{action}", json={}, headers=admin)
    assert all(v is not None for v in _public_values(client, "green_space"))  # published: public


def test_inventory_and_stewardship_on_each_backend(workspace: Workspace, city: BuiltCity) -> None:
    from datetime import date

    from bettercities.catalog.inventory import inventory
    from bettercities.catalog.schemas import InventoryStatus
    from bettercities.catalog.stewardship import stewardship

    with workspace.database.session() as session:
        due = SPEC.model_copy(
            update={"last_updated": date(2024, 3, 1), "owner_unit": "Stats", "steward": "Ann"}
        )
        service.add_dataset(session, areas.get_city(session, "testville"), due)
    with workspace.database.reader() as session:
        view = inventory(session, "testville", audience=Audience.INTERNAL, today=date(2023, 6, 1))
        duty = stewardship(session, "testville", audience=Audience.INTERNAL, today=date(2025, 3, 20))
    rows = {r.reference.code: r for r in view.rows}
    assert rows["population"].status == InventoryStatus.HELD
    assert (rows["population"].finest_level, rows["population"].level_kind) == ("planning_area", "small_area")
    assert rows["population"].areas_with_data == rows["population"].areas_total == 8
    assert rows["population"].latest_period == "2022-12-31"
    assert rows["unemployment_rate"].status == InventoryStatus.HELD
    assert rows["voter_turnout"].status == InventoryStatus.MISSING
    assert [r.dataset for r in duty.overdue] == ["green"]  # due 2025-03-01
    assert duty.reminders[0].overdue and "19 days overdue" in duty.reminders[0].message_en
