"""Berlin MSS 2019 in a workspace, built through the command line, and the published classes.

Real files from ``tests/data/berlin-mss-2019``. Feature 124 of the published
GeoJSON carries a duplicated id; by place and order it is ``04030417`` (see the data README).
"""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from bettercities.storage.workspace import Workspace

AREAS = "berlin-mss-2019/berlin_planning_areas_until_2020.geojson"
SHARES = "berlin-mss-2019/mss_2019_index_indicator_shares.csv"
OFFICIAL = "berlin-mss-2019/mss_2019_official_classes.csv"
PERIOD = "2018-12-31"
LEVEL = "planning_area"


def cli(workspace: Workspace, *args: str) -> str:
    """Run ``bettercities`` against ``workspace`` (and its PostgreSQL database, if any)."""
    from bettercities.cli.main import app

    options = ["--workspace", str(workspace.path)]
    if workspace.database_url:
        options += ["--database-url", workspace.database_url]
    result = CliRunner().invoke(app, [*args, *options])
    assert result.exit_code == 0, result.output
    return result.output


def build_berlin_2019(workspace: Workspace, open_data: Path) -> None:
    """City ``berlin``, its 448 planning areas, the MSS indicators and the 2019 shares (period 2018-12-31)."""
    cli(workspace, "city", "add", "berlin", "--name", "Berlin", "--country", "DE", "--ags", "11000000")
    cli(workspace, "indicators", "load", "berlin-mss")
    cli(workspace, "import", "areas", str(open_data / AREAS), "--city", "berlin", "--level", LEVEL,
        "--fix-id", "124=04030417")  # fmt: skip
    cli(workspace, "import", "observations", str(open_data / SHARES), "--city", "berlin", "--level", LEVEL,
        "--layout", "wide", "--id-column", "id", "--period", PERIOD, "--ignore-columns", "name")  # fmt: skip


def official_classes(open_data: Path) -> dict[str, tuple[str, str]]:
    """Published (status, dynamics) class codes of the scored areas, e.g. ``("2", "+/-")``."""
    with (open_data / OFFICIAL).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        r["id"]: (str(int(float(r["status_index"]))), r["dynamik_index"])
        for r in rows
        if r["status_index"].strip()
    }
