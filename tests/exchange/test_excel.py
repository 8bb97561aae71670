"""Excel export: a data sheet of published current values and a metadata sheet."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from bettercities.exchange import excel
from bettercities.indicators.export import COLUMNS, ExportFilter, export_observations, observation_rows
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL

DATA = (
    "area,indicator,period,value,suppressed\n"
    "B1,inhabitants,2019,100,\n"
    "B2,inhabitants,2019,80,\n"
    "B1,unemployed_share,2019,10.5,\n"
    "B2,unemployed_share,2019,7.25,x\n"
)


def test_workbook_has_published_data_and_metadata(city_ws: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(DATA)
    import_observations(
        city_ws.database, CITY, source, ObservationImportOptions(level=LEVEL, layout="long", id_column="area")
    )
    source.write_text(DATA.replace(",100,", ",101,"))  # a revision: only the current value is exported
    import_observations(
        city_ws.database, CITY, source, ObservationImportOptions(level=LEVEL, layout="long", id_column="area")
    )
    out = tmp_path / "export.xlsx"
    with city_ws.database.reader() as session:
        result = export_observations(session, CITY, out, format="xlsx-metadata", period="2019")
        expected = observation_rows(session, ExportFilter(city=CITY, period="2019"))
    assert result.rows == 4
    book = load_workbook(out)
    assert book.sheetnames == ["data", "metadata"]
    rows = list(book["data"].iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    got = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    assert got == expected
    by_key = {(r["area_code"], r["indicator"]): r for r in got}
    assert by_key[("B1", "inhabitants")]["value"] == 101 and by_key[("B1", "inhabitants")]["revision"] == 2
    hidden = by_key[("B2", "unemployed_share")]
    assert hidden["suppressed"] is True and hidden["value"] is None  # the publication step
    meta = list(book["metadata"].iter_rows(values_only=True))
    about = {r[0]: r[1] for r in meta if r and r[0] and len(r) > 1}
    assert about["filter: period"] == "2019" and about["audience"] == "public"
    assert about["licence"] == excel.LICENCE_NOTE and about["exported at (UTC)"]
    header = meta.index(excel.INDICATOR_COLUMNS)
    definitions = {r[0]: dict(zip(excel.INDICATOR_COLUMNS, r, strict=False)) for r in meta[header + 1 :]}
    assert set(definitions) == {"inhabitants", "unemployed_share"}
    assert definitions["unemployed_share"]["name_de"] == "Arbeitslose"
    assert definitions["unemployed_share"]["name_en"] == "Unemployed"
    assert definitions["unemployed_share"]["max_value"] == 100
    assert definitions["inhabitants"]["polarity"] == "neutral"
