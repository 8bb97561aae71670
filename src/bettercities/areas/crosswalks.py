"""Crosswalks from relationship files: old area, new area and weight per row (CSV or Excel).

A *relationship file* says which share of each old area lies in each new one, as statistics offices publish
them with a boundary change (e.g. Berlin's "Zuordnung LOR 2019 – LOR 2021"). The file is read whole and
checked before anything is stored: missing columns, empty ids, weights that are no numbers or outside 0..1,
unknown areas, pairs given twice and old areas whose weights do not add up to 1 are each reported with the
file, row (the header is row 1) and column; then the crosswalk is stored in one transaction or not at all.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from bettercities.areas import service
from bettercities.areas.schemas import CrosswalkEntrySpec, WeightBasis
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report

#: Column names recognised without an option, in this order (case-insensitive).
SOURCE_NAMES = ("source", "old", "source_id", "old_id", "from")
TARGET_NAMES = ("target", "new", "target_id", "new_id", "to")
WEIGHT_NAMES = ("weight", "share", "gewicht", "anteil")
SUFFIXES = (".csv", ".txt", ".xlsx")


def read_relationships(
    path: Path,
    *,
    source_column: str | None = None,
    target_column: str | None = None,
    weight_column: str | None = None,
) -> tuple[list[CrosswalkEntrySpec], list[int]]:
    """The entries of a relationship file and the row number of each (header = row 1).

    Raises :class:`InvalidInput` with every problem of the file (nothing is returned then).
    """
    name = path.name
    report = Report(source=name)
    frame = _read(path, report)
    if frame is None:
        raise InvalidInput(f"{name}: cannot read the relationship file", report)
    columns = {str(c).strip().lower(): str(c) for c in frame.columns}
    chosen: dict[str, str] = {}
    for role, given, names in (
        ("source", source_column, SOURCE_NAMES),
        ("target", target_column, TARGET_NAMES),
        ("weight", weight_column, WEIGHT_NAMES),
    ):
        wanted = [given] if given else list(names)
        found = next((columns[w.lower()] for w in wanted if w.lower() in columns), None)
        if found is None:
            report.add(
                Problem(
                    code="missing-column",
                    message=f"no column for the {role} ({' or '.join(repr(w) for w in wanted)}; "
                    f"columns: {', '.join(map(str, frame.columns))})",
                    file=name,
                    row=1,
                    column=given or names[0],
                )
            )
        else:
            chosen[role] = found
    if not report.ok:
        raise InvalidInput(f"{name}: missing columns; nothing was stored", report)
    entries: list[CrosswalkEntrySpec] = []
    rows: list[int] = []
    for offset, record in enumerate(
        frame[[chosen["source"], chosen["target"], chosen["weight"]]].itertuples(index=False, name=None)
    ):
        row = offset + 2
        source, target, raw = (_text(v) for v in record)
        if not source and not target and not raw:
            continue  # blank line
        ok = True
        for role, value in (("source", source), ("target", target)):
            if not value:
                report.add(
                    Problem(code="missing-value", message=f"no {role} area", file=name, row=row,
                            column=chosen[role])
                )  # fmt: skip
                ok = False
        weight = _number(raw)
        if weight is None:
            report.add(
                Problem(code="type-error", message="the weight is not a number", file=name, row=row,
                        column=chosen["weight"], value=raw)
            )  # fmt: skip
            ok = False
        elif not 0.0 <= weight <= 1.0:
            report.add(
                Problem(code="out-of-range", message="a weight must lie between 0 and 1", file=name, row=row,
                        column=chosen["weight"], value=raw)
            )  # fmt: skip
            ok = False
        if ok and weight is not None:
            entries.append(CrosswalkEntrySpec(source_code=source, target_code=target, weight=weight))
            rows.append(row)
    if not report.ok:
        raise InvalidInput(f"{name}: {len(report.errors)} problems; nothing was stored", report)
    return entries, rows


def import_crosswalk(
    session: Session,
    city_slug: str,
    code: str,
    path: Path,
    *,
    source_level: str,
    target_level: str,
    source_at: date | None = None,
    target_at: date | None = None,
    weight_basis: WeightBasis = WeightBasis.POPULATION,
    description: str | None = None,
    source_column: str | None = None,
    target_column: str | None = None,
    weight_column: str | None = None,
) -> int:
    """Read the relationship file at ``path`` and store it as crosswalk ``code`` of the city; returns the
    number of links stored. Problems of the file and of its areas are reported together with file, row and
    column (:class:`InvalidInput`); nothing is stored then."""
    city = service.get_city(session, city_slug)
    source = service.get_level(session, city, source_level)
    target = service.get_level(session, city, target_level)
    entries, rows = read_relationships(
        path, source_column=source_column, target_column=target_column, weight_column=weight_column
    )
    crosswalk = service.create_crosswalk(
        session,
        city,
        code,
        source,
        target,
        entries,
        source_at=source_at,
        target_at=target_at,
        weight_basis=WeightBasis(weight_basis).value,
        description=description,
        file=path.name,
        rows=rows,
    )
    return len(crosswalk.entries)


def _read(path: Path, report: Report) -> pd.DataFrame | None:
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        report.add(Problem(code="unsupported-format", message=f"read {', '.join(SUFFIXES)} files", file=name))
        return None
    try:
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
        else:
            frame = pd.read_csv(
                path, sep=None, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
    except FileNotFoundError:
        report.add(Problem(code="unreadable-file", message="no such file", file=name))
        return None
    except UnicodeDecodeError as error:
        report.add(Problem(code="encoding-error", message=f"not UTF-8: {error.reason}", file=name))
        return None
    except (ValueError, OSError, pd.errors.ParserError) as error:  # also openpyxl's zip errors
        report.add(Problem(code="unreadable-file", message=str(error).splitlines()[0][:200], file=name))
        return None
    if frame.empty:
        report.add(Problem(code="empty-file", message="the file has no rows below its header", file=name))
        return None
    return frame


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(text: str) -> float | None:
    try:
        number = float(text.replace(",", ".")) if text else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


__all__ = ["import_crosswalk", "read_relationships"]
