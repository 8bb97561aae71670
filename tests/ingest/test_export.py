"""Exports through the publication step, and the import -> export round trip."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from bettercities.core.errors import InvalidInput
from bettercities.indicators.export import COLUMNS, export_observations
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import BLOCKS, CITY, LEVEL, write

LONG = (
    "area,indicator,period,value,numerator,denominator,suppressed,provisional\n"
    "B1,unemployed_share,2019,5,5,100,,\n"
    "B2,unemployed_share,2019,2,1,50,x,\n"
    "B1,inhabitants,2019,100,,,,x\n"
)


@pytest.fixture
def exported(city_ws: Workspace, tmp_path: Path) -> Workspace:
    import_observations(
        city_ws.database,
        CITY,
        write(tmp_path / "in.csv", LONG),
        ObservationImportOptions(level=LEVEL, layout="long", id_column="area"),
    )
    return city_ws


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_csv_blanks_suppressed_cells_for_the_public(exported: Workspace, tmp_path: Path) -> None:
    with exported.database.reader() as session:
        public = export_observations(session, CITY, tmp_path / "public.csv")
        export_observations(session, CITY, tmp_path / "internal.csv", audience=Audience.INTERNAL)
    assert (public.rows, public.format) == (3, "csv")
    rows = read_csv(tmp_path / "public.csv")
    assert list(rows[0]) == list(COLUMNS)
    by_key = {(r["area_code"], r["indicator"]): r for r in rows}
    hidden = by_key[("B2", "unemployed_share")]
    assert (hidden["value"], hidden["numerator"], hidden["denominator"], hidden["suppressed"]) == (
        "",
        "",
        "",
        "true",
    )
    shown = by_key[("B1", "unemployed_share")]
    assert (shown["value"], shown["numerator"], shown["level"], shown["period"]) == (
        "5.0",
        "5.0",
        LEVEL,
        "2019",
    )
    assert by_key[("B1", "inhabitants")]["provisional"] == "true"
    assert {(r["area_code"], r["value"]) for r in read_csv(tmp_path / "internal.csv")} >= {("B2", "2.0")}


def test_filters_and_excel(exported: Workspace, tmp_path: Path) -> None:
    with exported.database.reader() as session:
        result = export_observations(
            session, CITY, tmp_path / "x.xlsx", indicator="inhabitants", period="2019", level=LEVEL
        )
    assert result.rows == 1
    sheet = load_workbook(tmp_path / "x.xlsx", read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    assert rows[1][:6] == ("B1", "Block B1", LEVEL, "inhabitants", "2019", 100)


def test_geojson_map_of_one_indicator(exported: Workspace, tmp_path: Path) -> None:
    with exported.database.reader() as session:
        result = export_observations(
            session, CITY, tmp_path / "map.geojson", indicator="unemployed_share", period="2019"
        )
        with pytest.raises(InvalidInput):
            export_observations(session, CITY, tmp_path / "nomap.geojson")
        with pytest.raises(InvalidInput):
            export_observations(session, CITY, tmp_path / "x.pdf")
    collection = json.loads((tmp_path / "map.geojson").read_text(encoding="utf-8"))
    assert result.rows == len(BLOCKS) == len(collection["features"])
    props = {f["properties"]["area_code"]: f["properties"] for f in collection["features"]}
    assert props["B1"]["value"] == 5.0 and props["B2"]["value"] is None and props["B2"]["suppressed"]
    assert props["B3"]["value"] is None and not props["B3"]["suppressed"]
    assert collection["features"][0]["geometry"]["type"] == "Polygon"


# -- property: what is imported is exported unchanged, and imports back as 'unchanged' ---------------------

_months = itertools.count(0)  # examples share the workspace: each gets a fresh month before 2020
cell = st.one_of(st.none(), st.floats(0, 1e9, allow_nan=False))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(st.tuples(cell, st.booleans(), st.booleans()), min_size=len(BLOCKS), max_size=len(BLOCKS))
)
def test_import_export_round_trip(
    sqlite_city: Workspace, tmp_path: Path, values: list[tuple[float | None, bool, bool]]
) -> None:
    month = next(_months)
    period = f"{1900 + month // 12}-{month % 12 + 1:02d}"
    lines = ["area,indicator,period,value,suppressed,estimated"]
    for block, (value, suppressed, estimated) in zip(BLOCKS, values, strict=True):
        text = "" if value is None else repr(value)
        lines.append(f"{block},inhabitants,{period},{text},{'x' if suppressed else ''},{int(estimated)}")
    source = write(tmp_path / f"in-{period}.csv", "\n".join(lines) + "\n")
    db = sqlite_city.database
    imported = import_observations(
        db, CITY, source, ObservationImportOptions(level=LEVEL, layout="long", id_column="area")
    )
    stored = {b: v for b, v in zip(BLOCKS, values, strict=True) if v[0] is not None or v[1]}
    assert imported.inserted == len(stored)  # empty cells are skipped, suppressed ones kept
    if not stored:
        return
    out = tmp_path / f"out-{period}.csv"
    with db.reader() as session:
        export_observations(session, CITY, out, period=period, audience=Audience.INTERNAL)
    rows = {r["area_code"]: r for r in read_csv(out)}
    assert set(rows) == set(stored)
    for block, (value, suppressed, estimated) in stored.items():
        row = rows[block]
        assert (float(row["value"]) if row["value"] else None) == value
        assert (row["suppressed"], row["estimated"]) == (str(suppressed).lower(), str(estimated).lower())
    again = import_observations(
        db, CITY, out, ObservationImportOptions(level=LEVEL, layout="long", id_column="area_code")
    )
    assert (again.inserted, again.revised, again.unchanged) == (0, 0, len(stored))


def test_one_export_command_dispatches_through_the_registry(exported: Workspace, tmp_path: Path) -> None:
    """``bettercities export --what`` reaches every registered kind; ``exchange export`` writes the same."""
    from typer.testing import CliRunner

    from bettercities.cli.main import app
    from bettercities.core import exports

    where = ["--workspace", str(exported.path)] + (
        ["--database-url", exported.database_url] if exported.database_url else []
    )

    def cli(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(app, [*args, *where])
        assert result.exit_code == code, result.output
        return result.output

    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    cli("export", "--what", "exchange", "--format", "sdmx-csv", "--city", CITY, "--out", str(one))
    cli("exchange", "export", "--format", "sdmx-csv", "--city", CITY, "--out", str(two))
    assert one.read_text("utf-8") == two.read_text("utf-8")
    turtle = tmp_path / "catalog.ttl"
    assert "Written to" in cli("export", "--what", "catalog", "--city", CITY, "--out", str(turtle))
    assert "dcat:Catalog" in turtle.read_text("utf-8")
    refused = cli("export", "--what", "nothing", "--city", CITY, "--out", str(tmp_path / "x.csv"), code=2)
    assert "unsupported-format" in refused
    assert exports.kinds() == ["catalog", "exchange", "index-run", "observations"]
    assert exports.formats("index-run") == ["csv", "geojson", "xlsx"]
    assert {"csv", "geojson", "xlsx", "sdmx-ml"} <= set(exports.formats("observations"))
