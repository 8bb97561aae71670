"""Every export publishes the protected values (issue 11): CSV, XLSX, GeoJSON, SDMX-ML, SDMX-CSV, the Data
Package and the DCAT catalogue of a small demo city (``bettercities.demo``, 60 planning areas, 2023-2024).

Anonymous (public) exports hold no count, numerator or denominator in 1..2 (below the default threshold 3) and
no value of a cell the data team sees marked as withheld; every other cell equals the raw value. The data
team's (internal) exports hold the raw values, the small counts among them. Before issue 11 the exports read
the stored rows and blanked only the cells the source flagged, so the demo's export held hundreds of counts of
1 or 2 (the issue); the table exports now read through ``level_values`` like the pages and the API.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bettercities.areas import service as areas
from bettercities.core.exports import ExportRequest, export
from bettercities.exchange.sdmx import message_rows, read_message
from bettercities.indicators import service as indicators
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.support.demos import built_demo

THRESHOLD = 3

#: (indicator, area, period) -> the data team's view of the cell: raw value, numerator, denominator, mark
Marks = dict[tuple[str, str, str], tuple[float | None, float | None, float | None, str | None]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, str]]:
    folder = tmp_path_factory.mktemp("outputs") / "ws"
    ws, summary = built_demo(
        tmp_path_factory, folder, seed=7, n_planning_areas=60, first_year=2023, last_year=2024
    )
    yield ws, summary.city
    ws.close()


@pytest.fixture(scope="module")
def marks(demo: tuple[Workspace, str]) -> Marks:
    """The data team's cells at the planning areas (where the demo stores its data), with their marks."""
    ws, slug = demo
    out: Marks = {}
    with ws.database.reader() as session:
        city = areas.get_city(session, slug)
        level = areas.get_level(session, city, "planning_area")
        for indicator in indicators.list_indicators(session, city):
            row = indicators.get_indicator(session, indicator.code)
            for period in indicators.list_periods(session, city, row):
                found, _ = indicators.level_values(
                    session,
                    row,
                    indicators.get_period(session, period.code),
                    level,
                    audience=Audience.INTERNAL,
                )
                for v in found:
                    out[(indicator.code, v.area_code, period.code)] = (
                        v.value,
                        v.numerator,
                        v.denominator,
                        v.protection,
                    )
    return out


def _counts(ws: Workspace, slug: str) -> dict[str, tuple[str, ...]]:
    """Per indicator, which fields of a row are counts: a sum's value, a ratio's numerator and denominator."""
    with ws.database.reader() as session:
        found = indicators.list_indicators(session, areas.get_city(session, slug))
    return {
        i.code: ("value",)
        if i.aggregation == "sum"
        else ("numerator", "denominator")
        if i.aggregation == "ratio"
        else ()
        for i in found
    }


def _number(text: Any) -> float | None:
    return None if text in (None, "") else float(text)


def _rows(ws: Workspace, slug: str, fmt: str, out: Path, audience: Audience) -> list[dict[str, Any]]:
    """Export the city's observations as ``fmt`` for ``audience`` and read the rows back (area, indicator,
    period, value, numerator, denominator)."""
    what = "exchange" if fmt == "datapackage" else "observations"
    with ws.database.reader() as session:
        export(session, ExportRequest(what=what, format=fmt, out=out, city=slug, audience=audience.value))
    if fmt in ("csv", "datapackage"):
        path = out / "observations.csv" if fmt == "datapackage" else out
        with path.open(encoding="utf-8") as handle:
            return [{**r, "area": r["area_code"]} for r in csv.DictReader(handle)]
    if fmt == "xlsx":
        sheet = load_workbook(out, read_only=True)["observations"]
        header, *body = sheet.iter_rows(values_only=True)
        return [{**dict(zip(header, r, strict=True)), "area": r[0]} for r in body]
    return message_rows(read_message(out))


FORMATS = [("csv", "csv"), ("xlsx", "xlsx"), ("sdmx-ml", "xml"), ("sdmx-csv", "csv"), ("datapackage", "")]


@pytest.mark.parametrize(("fmt", "suffix"), FORMATS)
def test_public_exports_hold_only_protected_values(
    demo: tuple[Workspace, str], marks: Marks, tmp_path: Path, fmt: str, suffix: str
) -> None:
    ws, slug = demo
    counts = _counts(ws, slug)
    out = tmp_path / (f"public.{suffix}" if suffix else "package")
    rows = _rows(ws, slug, fmt, out, Audience.PUBLIC)
    assert len(rows) == len(marks)
    withheld = 0
    for row in rows:
        key = (row["indicator"], row["area"], row["period"])
        raw_value, raw_num, raw_den, mark = marks[key]
        published = {k: _number(row[k]) for k in ("value", "numerator", "denominator")}
        for field in counts[row["indicator"]]:
            count = published[field]
            assert count is None or not 1 <= count < THRESHOLD, (key, field, row)
        if mark is not None and not mark.startswith("perturbed"):
            withheld += 1
            assert published == {"value": None, "numerator": None, "denominator": None}, (key, mark)
            assert str(row["suppressed"]).lower() == "true"
        elif mark is None:
            assert published["value"] == pytest.approx(raw_value), key
            assert (published["numerator"], published["denominator"]) == (raw_num, raw_den), key
    assert withheld >= 10  # the demo's small cells and their complements


@pytest.mark.parametrize(("fmt", "suffix"), [("csv", "csv"), ("sdmx-csv", "csv")])
def test_internal_exports_hold_the_raw_values(
    demo: tuple[Workspace, str], marks: Marks, tmp_path: Path, fmt: str, suffix: str
) -> None:
    ws, slug = demo
    counts = _counts(ws, slug)
    rows = _rows(ws, slug, fmt, tmp_path / f"internal.{suffix}", Audience.INTERNAL)
    small = 0
    for row in rows:
        raw_value, raw_num, raw_den, _ = marks[(row["indicator"], row["area"], row["period"])]
        assert _number(row["value"]) == pytest.approx(raw_value)
        assert (_number(row["numerator"]), _number(row["denominator"])) == (raw_num, raw_den)
        small += any(
            (v := _number(row[f])) is not None and 1 <= v < THRESHOLD for f in counts[row["indicator"]]
        )
    assert small >= 5  # the small counts are there for the data team


def test_geojson_of_every_level_is_protected(demo: tuple[Workspace, str], tmp_path: Path) -> None:
    """The map export of a count at every level (the coarser ones aggregated from the planning areas)."""
    ws, slug = demo
    with ws.database.reader() as session:
        levels = [lv.code for lv in areas.list_levels(session, areas.get_city(session, slug))]
    counts = {code: fields for code, fields in _counts(ws, slug).items() if fields}
    seen = 0
    for code, fields in counts.items():
        for level in levels:
            out = tmp_path / f"{code}-{level}.geojson"
            with ws.database.reader() as session:
                request = ExportRequest(
                    format="geojson", out=out, city=slug, indicator=code, period="2024", level=level
                )
                export(session, request)
            for feature in json.loads(out.read_text())["features"]:
                props = feature["properties"]
                for field in fields:
                    value = props[field]
                    assert not (value is not None and 1 <= value < THRESHOLD), (code, level, props)
                    seen += value is not None
    assert seen > 100


def test_dcat_catalogue_carries_no_value(demo: tuple[Workspace, str], marks: Marks) -> None:
    """The catalogue describes datasets and their distributions (links to the protected exports); it holds no
    observation, so no withheld value can appear in it."""
    ws, slug = demo
    with ws.database.reader() as session:
        text = export(session, ExportRequest(what="catalog", format="ttl", city=slug)).text
    assert text
    secrets = {
        repr(v)
        for (_, _, _), (value, num, den, mark) in marks.items()
        if mark is not None and not mark.startswith("perturbed")
        for v in (value, num, den)
        if v is not None and v >= 100 and v != int(v)
    }
    assert not [s for s in secrets if s in text]
