"""Issue 10, reproduction 1: an outlier correction passes the same guards as an import.

``POST /api/cities/<city>/quality/outliers/<id> {"action": "correct", "value": 250.0}`` stored 250 as the
current value of a share whose maximum is 100, inside a published (locked) dataset, and ``"value": NaN``
stored an empty value. Now the lock answers 409 (CLI exit code 1), the range and NaN 422 (exit code 2), and
nothing is written — through the JSON API, the page and the command line alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bettercities.cli.main import app as cli_app
from bettercities.indicators.models import Indicator, Observation
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.indicators.test_writes import SHARE, build_labour_city, lock_labour
from tests.ingest.conftest import CITY
from tests.support.flags import open_flag
from tests.support.served import add_user, csrf_of, issue_token, sign_in
from tests.support.templates import built_template, template_copy

STEWARD = "steward"


@dataclass
class World:
    workspace: Workspace
    client: TestClient
    token: str

    def flag(self) -> int:
        """A new open flag on the share's first current value without one."""
        with self.workspace.database.session() as session:
            return open_flag(session, CITY, SHARE)

    def current(self) -> list[float | None]:
        with self.workspace.database.reader() as session:
            return list(
                session.scalars(
                    select(Observation.value)
                    .join(Indicator, Indicator.id == Observation.indicator_id)
                    .where(Observation.is_current.is_(True), Indicator.code == SHARE)
                    .order_by(Observation.area_id)
                )
            )

    def cli(self, *args: str) -> tuple[int, str]:
        where = ["--workspace", str(self.workspace.path)]
        if self.workspace.database_url:
            where += ["--database-url", self.workspace.database_url]
        result = CliRunner().invoke(cli_app, [*args, *where])
        return result.exit_code, result.output


def _build(workspace: Workspace, folder: Path) -> str:
    """The labour city, its steward and a writing token (returned)."""
    build_labour_city(workspace, folder)
    add_user(workspace, STEWARD, {CITY: "steward"})
    return issue_token(workspace, STEWARD, write=True)


@pytest.fixture
def world(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[World]:
    """A copy of the world, built once per test process and backend, with a client of its app."""
    folder, database, token = built_template(request, backend, "correction-guards", _build)
    for workspace in template_copy(request, tmp_path, folder, database):
        with TestClient(create_app(workspace)) as client:
            yield World(workspace, client, token)


def _post(world: World, flag: int, value: float) -> tuple[int, dict]:
    response = world.client.post(
        f"/api/cities/{CITY}/quality/outliers/{flag}",
        headers={"Authorization": f"Bearer {world.token}", "Content-Type": "application/json"},
        content=f'{{"action": "correct", "value": {value!r}}}'.replace("nan", "NaN").replace(
            "inf", "Infinity"
        ),
    )
    return response.status_code, response.json()


def test_api_refuses_a_correction_into_a_locked_dataset(world: World) -> None:
    lock_labour(world.workspace)
    before = world.current()
    status, body = _post(world, world.flag(), 250.0)
    assert status == 409, body
    assert "dataset 'labour' (Labour) is published: its data are locked" in body["detail"]
    assert world.current() == before


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (250.0, "250 is outside the range of 'unemployed_share' (0 to 100)"),
        (math.nan, "nan is not a finite number"),
        (math.inf, "inf is not a finite number"),
    ],
    ids=["250", "nan", "inf"],
)
def test_api_refuses_a_correction_breaking_the_indicator_s_rules(
    world: World, value: float, says: str
) -> None:
    before = world.current()
    flag = world.flag()
    status, body = _post(world, flag, value)
    assert status == 422, body
    assert says in body["detail"] and f"outlier flag {flag}" in body["detail"]
    assert world.current() == before
    assert None not in world.current()
    # the flag stays open: nothing was settled
    ok, settled = _post(world, flag, 42.0)
    assert ok == 200 and settled["status"] == "corrected"
    assert 42.0 in world.current()


def test_page_refuses_a_correction_breaking_the_indicator_s_rules(world: World) -> None:
    sign_in(world.client, STEWARD)
    before = world.current()
    csrf = csrf_of(world.client.get("/account").text)
    response = world.client.post(
        f"/cities/{CITY}/quality/outliers/{world.flag()}",
        data={"csrf_token": csrf, "action": "correct", "value": "250"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "outside the range of" in response.text
    assert world.current() == before


def test_cli_refuses_the_same_corrections(world: World) -> None:
    before = world.current()
    code, output = world.cli(
        "quality", "outliers", "correct", str(world.flag()), "--city", CITY, "--value", "250"
    )
    assert code == 2, output
    assert "outside the range of 'unemployed_share'" in " ".join(output.split())
    code, output = world.cli(
        "quality", "outliers", "correct", str(world.flag()), "--city", CITY, "--value", "nan"
    )
    assert code == 2, output
    assert "not a finite number" in output
    lock_labour(world.workspace)
    code, output = world.cli(
        "quality", "outliers", "correct", str(world.flag()), "--city", CITY, "--value", "20"
    )
    assert code == 1, output
    assert "its data are locked" in " ".join(output.split())
    assert world.current() == before
