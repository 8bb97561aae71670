"""Acceptance: `bettercities demo --workspace W --no-serve` builds the demo; the API answers on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bettercities.cli.main import app
from bettercities.storage.workspace import Workspace
from bettercities.web.app import create_app

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)


def test_demo_without_serving_then_api(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--workspace", str(tmp_path / "demo"), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Built demo city 'auenstedt': 524 areas, 15 indicators, 12 periods" in result.output
    again = runner.invoke(app, ["demo", "--workspace", str(tmp_path / "demo"), "--no-serve"])
    assert again.exit_code == 0 and "Found demo city 'auenstedt'" in again.output
    # issue 16: the practice survey with twelve responses, once
    assert "Practice survey 'practice-survey' of #vernetztinEuropa: 12 responses" in result.output
    assert "Practice survey" not in again.output
    # issue 16: the impact logic of #vernetztinEuropa, once
    assert "Impact logic of #vernetztinEuropa: 8 boxes, 11 links, 8 measures" in result.output
    assert "Impact logic of" not in again.output
    # issue 16: three practices of the demo city, the four URBACT webinars and the guide, once
    assert "Knowledge hub: 3 practices, 4 events; guide 'urbact-social-data-guide'" in result.output
    assert "Knowledge hub" not in again.output

    # issue 16: the #vernetztinEuropa call, an application per tandem's German member, each tandem's kick-off
    # and workshop, once
    assert "Call 'vernetztineuropa-2021': 6 applications; 6 tandems with 12 activities" in result.output
    assert "Call 'vernetztineuropa-2021'" not in again.output

    ws = Workspace.open(tmp_path / "demo")
    with TestClient(create_app(ws)) as client:
        cities = client.get("/api/cities")
        assert cities.status_code == 200 and cities.headers["content-type"].startswith("application/json")
        assert [c["slug"] for c in cities.json()["items"]] == ["auenstedt"]
        docs = client.get("/api/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert "cdn" not in docs.text.lower()
        survey = client.get("/api/surveys/practice-survey/results").json()
        assert survey["respondents"] == 12 and survey["questions"][0]["name"] == "topics"
        logic = client.get("/api/programmes/vernetztineuropa/impact-logic").json()
        formed = next(m for box in logic["boxes"] for m in box["measures"] if m["key"] == "tandems-formed")
        assert (formed["current"], logic["on"]) == (6, "2024-12-31")  # the six tandems, on the last day
        webinars = client.get("/api/hub", params={"kind": "event", "programme": "urbact-iv"}).json()
        days = sorted(e["held_on"] for e in webinars)  # the URBACT series (issue 16)
        assert days == ["2026-01-15", "2026-01-22", "2026-01-29", "2026-02-19"]
        guide = client.get("/programmes/urbact-iv/guide.json").json()
        assert [c["code"] for c in guide["chapters"]] == ["collect", "manage", "use", "impact"]
        assert guide["overview"][0]["rows"] and guide["chapters"][0]["survey"]["respondents"] == 12
        paths = client.get("/api/openapi.json").json()["paths"]
        assert "/api/cities" in paths and "/api/cities/{slug}/observations" in paths


def test_help_everywhere() -> None:
    runner = CliRunner()
    for command in (
        [],
        ["init"],
        ["demo"],
        ["serve"],
        ["city"],
        ["indicators"],
        ["import", "areas"],
        ["import", "observations"],
        ["export"],
        ["survey"],
        ["survey", "load"],
        ["impact-logic"],
        ["hub"],
        ["guide", "build"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage" in result.output


def test_a_smaller_demo_and_a_refused_year_range(tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--workspace", str(tmp_path / "demo"), "--no-serve"]
    small = ["--planning-areas", "60", "--first-year", "2023", "--last-year", "2024"]
    result = runner.invoke(app, ["demo", *where, *small])
    assert result.exit_code == 0, result.output
    assert "Built demo city 'auenstedt'" in result.output and "2 periods" in result.output
    backwards = runner.invoke(app, ["demo", "--workspace", str(tmp_path / "other"), "--no-serve",
                                    "--first-year", "2024", "--last-year", "2023"])  # fmt: skip
    assert backwards.exit_code != 0 and "--first-year 2024 is after --last-year 2023" in backwards.output
    assert not (tmp_path / "other").exists()
