"""Four-eyes approval and the open-outlier-flag warning (issue 12), on SQLite and PostgreSQL, through the
library, the API (problem JSON with the code), the CLI and the pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bettercities.areas import service as areas
from bettercities.catalog import approval, service
from bettercities.catalog.schemas import DatasetSpec
from bettercities.cli.main import app as cli
from bettercities.core.errors import Conflict
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.catalog.test_workflow import cli_args
from tests.support.flags import open_flag
from tests.web.citybuilder import build_city
from tests.web.conftest import SETTINGS, add_user, issue_token

SPEC = DatasetSpec(
    code="green",
    title_de="Grünflächen",
    title_en="Green space",
    publisher="Stadt Testville",
    indicators=["green_space"],
)


@pytest.fixture
def city(workspace: Workspace) -> str:
    built = build_city(workspace)
    with workspace.database.session() as session:
        service.add_dataset(session, areas.get_city(session, built.slug), SPEC)
    return built.slug


def test_four_eyes_refuses_the_submitters_approval_and_lets_a_second_user_pass(
    workspace: Workspace, city: str
) -> None:
    add_user(workspace, "ann", {city: "city_admin"})
    add_user(workspace, "bob", {city: "city_admin"})
    add_user(workspace, "sue", {city: "steward"})
    ann = {"Authorization": f"Bearer {issue_token(workspace, 'ann', write=True)}"}
    bob = {"Authorization": f"Bearer {issue_token(workspace, 'bob', write=True)}"}
    sue = {"Authorization": f"Bearer {issue_token(workspace, 'sue', write=True)}"}
    base = f"/api/cities/{city}"
    with TestClient(create_app(workspace, settings=SETTINGS)) as client:
        assert client.get(f"{base}/catalog/settings").json()["four_eyes"] is False
        # only a city admin may set it
        denied = client.put(f"{base}/catalog/settings", json={"four_eyes": True}, headers=sue)
        assert denied.status_code == 403
        turned = client.put(f"{base}/catalog/settings", json={"four_eyes": True}, headers=ann)
        assert turned.status_code == 200 and turned.json()["four_eyes"] is True
        assert turned.json()["changed_by"] == "ann"
        assert client.post(f"{base}/datasets/green/submit", json={}, headers=ann).status_code == 200

        refused = client.post(f"{base}/datasets/green/approve", json={}, headers=ann)
        assert refused.status_code == 409
        problem = refused.json()
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["code"] for e in problem["errors"]] == ["four-eyes"]
        assert "four-eyes rule" in problem["detail"] and "submitted by 'ann'" in problem["detail"]

        passed = client.post(f"{base}/datasets/green/approve", json={}, headers=bob)
        assert passed.status_code == 200, passed.text
        assert passed.json()["four_eyes"] is True and passed.json()["user"] == "bob"
        history = client.get(f"{base}/datasets/green/history", headers=bob).json()
        assert [(h["to_state"], h["user"], h["four_eyes"]) for h in history] == [
            ("submitted", "ann", False),
            ("approved", "bob", True),
        ]
        page = client.get(f"/cities/{city}/catalog?lang=en", headers=bob)
        assert "Four-eyes approval is on" in page.text

    # the CLI: turning it off lets the submitter approve again; the state is printed
    runner = CliRunner()
    result = runner.invoke(cli, cli_args(workspace, "catalog", "four-eyes", city, "--off", "--user", "ann"))
    assert result.exit_code == 0 and "four-eyes approval in testville: off" in result.output
    with workspace.database.session() as session:
        approval.transition(session, city, "green", "unlock", user="ann", reason="again")
        approval.transition(session, city, "green", "submit", user="ann")
        assert approval.transition(session, city, "green", "approve", user="ann").four_eyes is False


def test_four_eyes_in_the_cli_names_the_rule_and_the_submitter(workspace: Workspace, city: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, cli_args(workspace, "catalog", "four-eyes", city, "--on"))
    assert result.exit_code == 0 and "four-eyes approval in testville: on" in result.output
    assert (
        "four-eyes approval in testville: on"
        in runner.invoke(cli, cli_args(workspace, "catalog", "four-eyes", city)).output
    )
    submitted = runner.invoke(cli, cli_args(workspace, "catalog", "submit", city, "green", "--user", "ann"))
    assert submitted.exit_code == 0, submitted.output
    result = runner.invoke(cli, cli_args(workspace, "catalog", "approve", city, "green", "--user", "ann"))
    assert result.exit_code != 0
    assert "four-eyes rule: dataset 'green' was submitted by 'ann'; 'ann' may not approve it too" in " ".join(
        result.output.split()
    )
    with workspace.database.session() as session, pytest.raises(Conflict, match="needs a named user"):
        approval.transition(session, city, "green", "approve", user=None)


def test_approval_with_open_outlier_flags_records_a_warning(workspace: Workspace, city: str) -> None:
    with workspace.database.session() as session:
        open_flag(session, city, "green_space")
        open_flag(session, city, "green_space")
        open_flag(session, city, "inhabitants")  # not in the dataset: not counted
    runner = CliRunner()
    assert runner.invoke(cli, cli_args(workspace, "catalog", "submit", city, "green")).exit_code == 0
    result = runner.invoke(cli, cli_args(workspace, "catalog", "approve", city, "green", "--user", "bob"))
    assert result.exit_code == 0, result.output
    assert "Warning: approved with 2 open outlier flags (green_space)" in result.output
    with workspace.database.reader() as session:
        last = approval.history(session, city, "green")[-1]
    assert (last.to_state, last.open_flags, last.flagged_indicators) == ("approved", 2, ["green_space"])
    add_user(workspace, "ann", {city: "city_admin"})
    ann = {"Authorization": f"Bearer {issue_token(workspace, 'ann')}"}
    with TestClient(create_app(workspace, settings=SETTINGS)) as client:
        body = client.get(f"/api/cities/{city}/datasets/green/history", headers=ann).json()
        assert body[-1]["open_flags"] == 2 and body[-1]["warning"].startswith("approved with 2 open")
        page = client.get(f"/cities/{city}/catalog/green?lang=de", headers=ann)
        assert "Freigegeben mit 2 offenen Ausreißer-Markierungen (green_space)." in page.text
        # a submit step carries no flag count
        assert body[0]["open_flags"] is None and body[0]["warning"] is None
