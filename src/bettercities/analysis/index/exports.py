"""Exports of stored index runs: CSV, Excel (with a metadata sheet) and GeoJSON.

Rows pass the publication step (:func:`bettercities.publication.publish_scores`): for the public,
areas whose inputs include a suppressed value keep their id and a note only. Writers are
registered by format name, like the observation exports.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from bettercities.analysis.index.results import StoredRun, get_run, published_run
from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.core.registry import Registry
from bettercities.indicators import service as indicators
from bettercities.indicators.export import csv_cell
from bettercities.publication import Audience, publish_scores


class RunExport(BaseModel):
    """What an export of a run wrote."""

    run: int
    path: str
    format: str
    rows: int


def run_rows(run: StoredRun, *, audience: Audience = Audience.PUBLIC) -> list[dict[str, Any]]:
    """One row per area: the method's columns plus name, population and class labels, published."""
    rows = []
    for score in run.result.areas:
        row = score.as_row()
        extra = {"area_name": run.names.get(score.area_id), "population": score.population}
        labels = {k: v for k, v in score.model_dump().items() if k.endswith("_label")}
        rows.append({"area_id": row.pop("area_id"), **extra, **row, **labels})
    return publish_scores(rows, withheld=set(run.inputs.suppressed_areas), audience=audience)


def run_metadata(run: StoredRun) -> list[tuple[str, str]]:
    """Key/value provenance of a run (the Excel metadata sheet and the GeoJSON header)."""
    items: list[tuple[str, str]] = [
        ("run", str(run.id)),
        ("name", run.name),
        ("method", run.method),
        ("city", run.city),
        ("level", run.level),
        ("period", run.period),
        ("computed_at", run.computed_at.isoformat()),
        ("user", run.user or ""),
        ("bettercities_version", run.version),
        ("areas", str(run.areas)),
        ("scored", str(run.scored)),
        ("configuration", json.dumps(run.config, ensure_ascii=False)),
    ]
    for source in run.inputs.indicators:
        items.append(
            (
                f"input {source.code}",
                f"{source.values} values; revisions {source.revisions}; import batches {source.import_ids}"
                + ("; aggregated from a finer level" if source.derived else ""),
            )
        )
    for name, counts in run.result.class_counts.items():
        items.append((f"classes {name}", ", ".join(f"{c.code} {c.label}: {c.count}" for c in counts)))
    return items


Writer = Callable[[Session, StoredRun, Path, Audience], int]
_WRITERS: Registry[Writer] = Registry("export format")


def writer(name: str) -> Callable[[Writer], Writer]:
    """Register the writer of export format ``name``."""
    return _WRITERS.register(name)


def formats() -> list[str]:
    return _WRITERS.names()


@writer("csv")
def write_csv(session: Session, run: StoredRun, path: Path, audience: Audience) -> int:
    rows = run_rows(run, audience=audience)
    columns = list(rows[0]) if rows else ["area_id"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        out.writerows([csv_cell(row.get(c)) for c in columns] for row in rows)
    return len(rows)


@writer("xlsx")
def write_xlsx(session: Session, run: StoredRun, path: Path, audience: Audience) -> int:
    from openpyxl import Workbook

    rows = run_rows(run, audience=audience)
    columns = list(rows[0]) if rows else ["area_id"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("index")
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    meta = workbook.create_sheet("metadata")
    meta.append(["key", "value"])
    for key, value in run_metadata(run):
        meta.append([key, value])
    workbook.save(path)
    return len(rows)


@writer("geojson")
def write_geojson(session: Session, run: StoredRun, path: Path, audience: Audience) -> int:
    collection = run_features(session, run, audience=audience)
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(collection["features"])


def run_features(session: Session, run: StoredRun, *, audience: Audience = Audience.PUBLIC) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the run's areas (geometry of the areas valid at the period's end)."""
    city = areas.get_city(session, run.city)
    level = areas.get_level(session, city, run.level)
    period = indicators.get_period(session, run.period)
    shapes = {a.code: a.geometry for a in areas.areas_of_level(session, level, at=period.end_date)}
    for area in areas.areas_of_level(session, level):  # areas of another boundary version, if any
        shapes.setdefault(area.code, area.geometry)
    features = []
    for row in run_rows(run, audience=audience):
        shape = shapes.get(row["area_id"])
        features.append(
            {"type": "Feature", "geometry": json.loads(shape) if shape else None, "properties": row}
        )
    return {"type": "FeatureCollection", "metadata": dict(run_metadata(run)), "features": features}


def export_run(
    session: Session,
    run_id: int,
    out: Path | str,
    *,
    format: str | None = None,
    audience: Audience = Audience.PUBLIC,
) -> RunExport:
    """Write stored run ``run_id`` to ``out`` (format from ``format`` or the file suffix)."""
    out = Path(out)
    chosen = (format or out.suffix.lstrip(".")).lower()
    chosen = "geojson" if chosen == "json" else chosen
    if chosen not in _WRITERS:
        problem = Problem(
            code="unsupported-format", message=f"cannot export {chosen!r}; use {', '.join(formats())}"
        )
        raise InvalidInput(f"unsupported export format {chosen!r}", Report(problems=[problem]))
    run = published_run(session, get_run(session, run_id), audience)
    rows = _WRITERS.get(chosen)(session, run, out, audience)
    return RunExport(run=run_id, path=str(out), format=chosen, rows=rows)
