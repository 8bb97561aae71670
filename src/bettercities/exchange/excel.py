"""Excel export with a metadata sheet: the long table of current values and what they mean.

Sheet ``data``: the long export (:data:`bettercities.indicators.export.COLUMNS`), current values
after the publication step. Sheet ``metadata``: when and how the file was made (export time,
filters, audience, licence note), then one row per exported indicator with its definition in German
and English, unit, polarity, kind, source and valid range. Registered as export format
``xlsx-metadata``; ``bettercities exchange export --format xlsx`` writes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities import __version__
from bettercities.areas import service as areas
from bettercities.indicators.export import COLUMNS, ExportFilter, observation_rows, writer
from bettercities.indicators.models import Indicator

LICENCE_NOTE = (
    "Licence: the licence of the source datasets applies (see the city's data catalogue); "
    "open data of German cities is usually published under the Datenlizenz Deutschland "
    "Namensnennung 2.0 (dl-de/by-2-0). Cite the city's statistics office as the source."
)
INDICATOR_COLUMNS = (
    "code",
    "name_de",
    "name_en",
    "description_de",
    "description_en",
    "unit",
    "polarity",
    "kind",
    "factor",
    "min_value",
    "max_value",
    "source_dataset",
)


def metadata_rows(
    session: Session,
    spec: ExportFilter,
    indicator_codes: list[str],
    *,
    rows: int,
    licence: str = LICENCE_NOTE,
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The two blocks of the metadata sheet: (key, value) pairs and indicator definitions."""
    city = areas.get_city(session, spec.city)
    about: list[list[Any]] = [
        ["city", f"{city.name} ({city.slug})"],
        ["exported at (UTC)", datetime.now(UTC).replace(microsecond=0).isoformat()],
        ["exported by", f"bettercities {__version__}"],
        ["filter: indicator", spec.indicator or "all"],
        ["filter: period", spec.period or "all"],
        ["filter: level", spec.level or "all"],
        ["audience", spec.audience.value],
        ["rows", rows],
        [
            "publication",
            "current revisions only; suppressed cells have no value, numerator or denominator"
            if spec.audience.value == "public"
            else "internal: current revisions with suppressed cells (do not publish)",
        ],
        ["licence", licence],
    ]
    found = session.scalars(
        select(Indicator).where(Indicator.code.in_(indicator_codes)).order_by(Indicator.code)
    )
    definitions = [[getattr(i, c) for c in INDICATOR_COLUMNS] for i in found]
    return about, definitions


@writer("xlsx", what="exchange")
def write_workbook(session: Session, spec: ExportFilter, path: Path, *, licence: str = LICENCE_NOTE) -> int:
    """Write the ``data`` and ``metadata`` sheets to ``path``; the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows = observation_rows(session, spec)
    codes = sorted({r["indicator"] for r in rows} | ({spec.indicator} if spec.indicator else set()))
    about, definitions = metadata_rows(session, spec, codes, rows=len(rows), licence=licence)
    workbook = Workbook()
    data = workbook.active
    assert data is not None
    data.title = "data"
    data.append(list(COLUMNS))
    for row in rows:
        data.append([row[c] for c in COLUMNS])
    data.freeze_panes = "A2"
    meta = workbook.create_sheet("metadata")
    for pair in about:
        meta.append(pair)
    meta.append([])
    meta.append(["indicators"])
    meta.append(list(INDICATOR_COLUMNS))
    for definition in definitions:
        meta.append(definition)
    bold = Font(bold=True)
    for cell in (*data[1], *meta["A"][: len(about)], *meta[len(about) + 3]):
        cell.font = bold
    meta.column_dimensions["A"].width = 22
    meta.column_dimensions["B"].width = 40
    workbook.save(path)
    return len(rows)


@writer("xlsx-metadata")
def write_xlsx_metadata(session: Session, spec: ExportFilter, path: Path) -> int:
    return write_workbook(session, spec, path)


__all__ = ["INDICATOR_COLUMNS", "LICENCE_NOTE", "metadata_rows", "write_workbook", "write_xlsx_metadata"]
