"""Exports of stored index runs: CSV, Excel (with a metadata sheet) and GeoJSON.

Rows pass the publication step (:func:`bettercities.publication.publish_scores`): for the public,
areas whose inputs include a suppressed value keep their id and a note only. Writers are
registered in the one registry of export formats (:data:`bettercities.core.exports.EXPORTS`) as
``index-run/<format>``, like the observation exports.
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
from bettercities.core import exports
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.exports import ExportRequest, ExportResult
from bettercities.core.problems import Problem, Report
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


WHAT = "index-run"
Writer = Callable[[Session, StoredRun, Path, Audience], int]


def writer(name: str) -> Callable[[Writer], Writer]:
    """Register ``write(session, run, path, audience) -> rows`` as the export format ``index-run/<name>``."""

    def register(write: Writer) -> Writer:
        def run(session: Session, request: ExportRequest) -> ExportResult:
            if request.run is None:
                problem = Problem(code="missing-option", message="an export of an index run needs its id")
                raise InvalidInput("no index run to export", Report(problems=[problem]))
            audience = Audience(request.audience)
            found = get_run(session, request.run)
            if request.city is not None and found.city != request.city:
                raise NotFound("index run", f"{request.run} of {request.city}")
            stored = published_run(session, found, audience)
            out = request.target()
            rows = write(session, stored, out, audience)
            return ExportResult(what=WHAT, path=str(out), format=name, rows=rows)

        exports.EXPORTS.add(exports.key(WHAT, name), run)
        return write

    return register


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
    audience = Audience(audience)
    done = exports.export(
        session, ExportRequest(what=WHAT, format=format, out=Path(out), run=run_id, audience=audience.value)
    )
    return RunExport(run=run_id, path=str(done.path), format=done.format, rows=done.rows)
