"""A Berlin MSS 2019 workspace built through the command line, and the same data read directly from the files.

Real files from ``tests/data/berlin-mss-2019``: 448 planning areas (feature 124 of
the published GeoJSON carries a duplicated id; by place and order it is ``04030417``, see the data README),
447 rows x 7 indicators with reference date 31.12.2018.
"""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from bettercities.storage.workspace import Workspace

AREAS = "berlin-mss-2019/berlin_planning_areas_until_2020.geojson"
SHARES = "berlin-mss-2019/mss_2019_index_indicator_shares.csv"
PERIOD = "2018-12-31"
FIX_FEATURE, FIX_ID = 124, "04030417"


def build_berlin_2019(workspace: Workspace, open_data: Path) -> None:
    """City ``berlin``, level ``planning_area``, the MSS indicators and the 2019 observations, via the CLI."""
    from bettercities.cli.main import app

    runner = CliRunner()
    options = ["--workspace", str(workspace.path)]
    if workspace.database_url:
        options += ["--database-url", workspace.database_url]

    def cli(*args: str) -> str:
        result = runner.invoke(app, [*args, *options])
        assert result.exit_code == 0, result.output
        return result.output

    cli("city", "add", "berlin", "--name", "Berlin", "--country", "DE", "--ags", "11000000")
    cli("indicators", "load", "berlin-mss")
    cli("import", "areas", str(open_data / AREAS), "--city", "berlin", "--level", "planning_area",
        "--level-name-de", "Planungsraum", "--level-name-en", "planning area",
        "--fix-id", f"{FIX_FEATURE}={FIX_ID}")  # fmt: skip
    cli("import", "observations", str(open_data / SHARES), "--city", "berlin", "--level", "planning_area",
        "--layout", "wide", "--id-column", "id", "--period", PERIOD, "--ignore-columns", "name")  # fmt: skip


def file_layer(open_data: Path, variable: str) -> tuple[list[str], list[object], list[float]]:
    """Ids (sorted), polygons and values of the areas with a value, from the files directly."""
    import pyogrio.raw
    import shapely

    _meta, _fids, wkb, fields = pyogrio.raw.read(str(open_data / AREAS))
    ids = [str(v) for v in fields[0]]
    ids[FIX_FEATURE - 1] = FIX_ID
    geometries = dict(zip(ids, shapely.from_wkb(wkb), strict=True))
    with (open_data / SHARES).open(encoding="utf-8") as handle:
        values = {row["id"]: float(row[variable]) for row in csv.DictReader(handle) if row[variable]}
    keep = sorted(i for i in ids if i in values)
    return keep, [geometries[i] for i in keep], [values[i] for i in keep]
