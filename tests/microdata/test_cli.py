"""``bettercities microdata generate`` and ``aggregate`` end to end on a workspace, dry run first."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from bettercities.cli.main import app
from bettercities.storage.workspace import Workspace
from tests.microdata.conftest import EXAMPLE, area_sizes, build_city, count_observations, stored


def test_generate_and_aggregate_on_a_workspace(demo_workspace: Workspace, tmp_path: Path) -> None:
    city = build_city(demo_workspace)
    runner = CliRunner()
    where = ["--workspace", str(demo_workspace.path)]
    register = tmp_path / "register.parquet"
    generated = runner.invoke(
        app,
        [
            "microdata",
            "generate",
            "--city",
            city,
            "--period",
            "2024",
            "--out",
            str(register),
            "--seed",
            "3",
            "--blocks",
            str(tmp_path / "b.csv"),
            *where,
        ],
    )
    assert generated.exit_code == 0, generated.output
    # Sized by the stored inhabitants of 2024 (the demo's), area by area, over today's planning areas: the
    # area the demo splits ended on 1 January 2025, its two new areas carry its 2024 value as estimates.
    inhabitants = stored(demo_workspace, "2024", ["inhabitants"])
    current = set(area_sizes(demo_workspace))
    planning = inhabitants[(inhabitants["level"] == "planning_area") & inhabitants["area"].isin(current)]
    persons = sum(round(v) for v in planning["value"])
    assert len(planning) == len(current)
    assert pq.read_metadata(register).num_rows == persons
    assert f"{persons} persons in {len(planning)} areas" in generated.output

    before = count_observations(demo_workspace)
    command = [
        "microdata",
        "aggregate",
        "--spec",
        str(EXAMPLE),
        "--data",
        str(register),
        "--city",
        city,
        "--period",
        "2025",
        *where,
    ]
    dry = runner.invoke(app, [*command, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing written" in dry.output
    assert count_observations(demo_workspace) == before

    done = runner.invoke(app, command)
    assert done.exit_code == 0, done.output
    assert "records read" in done.output and "imported level district" in done.output  # progress (stderr)
    assert f"{pq.read_metadata(register).num_rows} records, 10 indicators on duckdb" in done.output
    after = stored(demo_workspace, "2025")
    assert count_observations(demo_workspace) == before + len(after)
    assert set(after["level"]) == {"planning_area", "district_region", "district"}
    total = after[(after["indicator"] == "inhabitants") & (after["level"] == "district")]["value"].sum()
    assert total == pq.read_metadata(register).num_rows

    refused = runner.invoke(app, [*command[:5], str(tmp_path / "b.csv"), *command[6:]])
    assert refused.exit_code == 2 and "missing-column" in refused.output  # the blocks file has no 'age'
