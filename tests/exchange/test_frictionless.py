"""A Data Package export passes frictionless' own validator and imports back unchanged."""

from __future__ import annotations

import csv
from pathlib import Path

from bettercities.exchange import frictionless as fl
from bettercities.indicators.export import ExportFilter
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL

DATA = (
    "area,indicator,period,value,numerator,denominator,suppressed\n"
    "B1,inhabitants,2019,100,,,\n"
    "B2,inhabitants,2019,80,,,\n"
    "B1,unemployed_share,2019,10.5,,,\n"
    "B2,unemployed_share,2019,,,,x\n"
)


def test_package_passes_frictionless_validate_and_round_trips(sqlite_city: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(DATA)
    import_observations(
        sqlite_city.database,
        CITY,
        source,
        ObservationImportOptions(level=LEVEL, layout="long", id_column="area"),
    )
    with sqlite_city.database.reader() as session:
        descriptor = fl.export_package(
            session, ExportFilter(city=CITY, audience=Audience.INTERNAL), tmp_path / "package"
        )
    report = fl.validate_package(descriptor)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # the same check through frictionless' command line
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", str(descriptor)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = fl.import_package(sqlite_city.database, CITY, descriptor, level=LEVEL)
    assert result.unchanged == 4 and result.inserted == 0
    with (tmp_path / "package" / "observations.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {float(r["value"]) for r in rows if r["value"]} == {100.0, 80.0, 10.5}
