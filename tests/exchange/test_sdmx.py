"""SDMX-ML and SDMX-CSV exports read back by ``sdmx1`` to the same observations, and import back."""

from __future__ import annotations

from pathlib import Path

import pytest
import sdmx

from bettercities.exchange import sdmx as bc_sdmx
from bettercities.indicators.export import ExportFilter, export_observations, observation_rows
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL

DATA = (
    "area,indicator,period,value,numerator,denominator,provisional,estimated,suppressed\n"
    "B1,inhabitants,2019,100,,,,,\n"
    "B2,inhabitants,2019,80,,,1,,\n"
    "B1,inhabitants,2020-Q3,101.25,,,,x,\n"
    "B1,unemployed_share,2019,10.5,21,200,,,\n"
    "B2,unemployed_share,2019,0.1234567890123,,,,,\n"
    "B3,unemployed_share,2019,,,,,,x\n"
    "B1,median_age,2018-12-31,41.7,,,,,\n"
)


def _load(ws: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(DATA)
    import_observations(
        ws.database, CITY, source, ObservationImportOptions(level=LEVEL, layout="long", id_column="area")
    )


def _expected(ws: Workspace, audience: Audience) -> dict[tuple[str, ...], dict]:
    with ws.database.reader() as session:
        rows = observation_rows(session, ExportFilter(city=CITY, audience=audience))
    return {(r["level"], r["area_code"], r["indicator"], r["period"]): r for r in rows}


def _attribute(observation: object, name: str) -> str | None:
    found = observation.attached_attribute.get(name)  # type: ignore[attr-defined]
    return None if found is None or found.value in ("", None) else str(found.value)


def _number(text: object) -> float | None:
    return None if text in (None, "") or text != text else float(str(text))


@pytest.mark.parametrize("fmt", ["sdmx-ml", "sdmx-csv"])
@pytest.mark.parametrize("audience", [Audience.INTERNAL, Audience.PUBLIC])
def test_export_reads_back_with_sdmx1(
    sqlite_city: Workspace, tmp_path: Path, fmt: str, audience: Audience
) -> None:
    _load(sqlite_city, tmp_path)
    expected = _expected(sqlite_city, audience)
    out = tmp_path / ("data.xml" if fmt == "sdmx-ml" else "data.csv")
    with sqlite_city.database.reader() as session:
        result = export_observations(session, CITY, out, format=fmt, audience=audience)
    assert result.rows == len(expected) == 7
    structure = sdmx.read_sdmx(bc_sdmx.structure_path(out))
    dsd = structure.structure[bc_sdmx.DSD_ID]
    flow = structure.dataflow[bc_sdmx.dataflow_id(CITY)]
    assert [d.id for d in dsd.dimensions] == list(bc_sdmx.DIMENSIONS)
    assert {c.id for c in structure.codelist["CL_AREA"]} == {"B1", "B2", "B3"}
    assert {c.id for c in structure.codelist["CL_PERIOD"]} == {"2019", "2020-Q3", "2018-12-31"}
    assert (
        str(structure.codelist["CL_INDICATOR"]["unemployed_share"].name.localizations["de"]) == "Arbeitslose"
    )
    message = sdmx.read_sdmx(out, structure=flow if fmt == "sdmx-csv" else dsd)
    observations = message.data[0].obs
    assert len(observations) == len(expected)
    for observation in observations:
        key = tuple(str(observation.key[d].value) for d in bc_sdmx.DIMENSIONS)
        row = expected.pop(key)
        assert _number(observation.value) == row["value"]  # exactly: shortest repr both ways
        for attribute, column in bc_sdmx.ATTRIBUTES.items():
            text = _attribute(observation, attribute)
            if column in ("numerator", "denominator"):
                assert _number(text) == row[column]
            elif column == "revision":
                assert text is not None and int(text) == row[column]
            else:
                assert text == ("true" if row[column] else "false")
    assert not expected  # every observation came back
    if audience == Audience.PUBLIC:  # the suppressed cell is published without its value
        assert _expected(sqlite_city, audience)[(LEVEL, "B3", "unemployed_share", "2019")]["value"] is None


@pytest.mark.parametrize("fmt", ["sdmx-ml", "sdmx-csv"])
def test_internal_export_imports_back_unchanged(city_ws: Workspace, tmp_path: Path, fmt: str) -> None:
    _load(city_ws, tmp_path)
    out = tmp_path / ("data.xml" if fmt == "sdmx-ml" else "data.csv")
    with city_ws.database.reader() as session:
        export_observations(session, CITY, out, format=fmt, audience=Audience.INTERNAL)
    result = bc_sdmx.import_sdmx(city_ws.database, CITY, out, level=LEVEL)
    assert (result.unchanged, result.inserted, result.revised) == (7, 0, 0)
    assert result.file == out.name


def test_import_goes_through_validation(sqlite_city: Workspace, tmp_path: Path) -> None:
    from bettercities.core.errors import InvalidInput

    _load(sqlite_city, tmp_path)
    out = tmp_path / "data.csv"
    with sqlite_city.database.reader() as session:
        export_observations(session, CITY, out, format="sdmx-csv", audience=Audience.INTERNAL)
    text = out.read_text().replace(",10.5,", ",150.5,")  # a share above its maximum of 100
    out.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        bc_sdmx.import_sdmx(sqlite_city.database, CITY, out, level=LEVEL)
    assert [p.code for p in caught.value.report.errors] == ["out-of-range"]
    broken = tmp_path / "broken.xml"
    broken.write_text("<not-sdmx/>")
    with pytest.raises(InvalidInput):
        bc_sdmx.import_sdmx(sqlite_city.database, CITY, broken, level=LEVEL)
