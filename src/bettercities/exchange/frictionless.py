"""Frictionless Data Packages: export current observations with a Table Schema, import them back.

The package is a folder with ``datapackage.json`` and ``observations.csv`` (the long export of
:mod:`bettercities.indicators.export`, so it passes the publication step). The schema declares
types, required fields, the primary key (area, indicator, period) and the range of the flags;
``frictionless validate datapackage.json`` accepts it (tested). Import reads the package's first
resource through the ordinary long-layout importer. ``frictionless`` itself is only needed to
validate, and is imported lazily.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bettercities.core import exports
from bettercities.core.errors import InvalidInput
from bettercities.indicators.export import COLUMNS, ExportFilter, export_filter, write_csv
from bettercities.ingest.schemas import ImportResult
from bettercities.storage.database import Database

TYPES = {
    "area_code": "string",
    "area_name": "string",
    "level": "string",
    "indicator": "string",
    "period": "string",
    "value": "number",
    "numerator": "number",
    "denominator": "number",
    "provisional": "boolean",
    "estimated": "boolean",
    "suppressed": "boolean",
    "revision": "integer",
}
REQUIRED = ("area_code", "level", "indicator", "period", "revision")


def table_schema() -> dict[str, Any]:
    fields = []
    for name in COLUMNS:
        field: dict[str, Any] = {"name": name, "type": TYPES[name]}
        if TYPES[name] == "boolean":
            field |= {"trueValues": ["true", "1"], "falseValues": ["false", "0", ""]}
        constraints: dict[str, Any] = {"required": True} if name in REQUIRED else {}
        if name == "revision":
            constraints["minimum"] = 1
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {
        "fields": fields,
        "primaryKey": ["area_code", "level", "indicator", "period"],
        "missingValues": [""],
    }


def export_package(session: Session, spec: ExportFilter, folder: Path | str) -> Path:
    """Write ``datapackage.json`` and ``observations.csv`` into ``folder``; return the descriptor's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = write_csv(session, spec, folder / "observations.csv")
    descriptor = {
        "name": f"bettercities-{spec.city}",
        "title": f"Observations of {spec.city} (bettercities)",
        "resources": [
            {
                "name": "observations",
                "path": "observations.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table_schema(),
                "stats": {"rows": rows},
            }
        ],
    }
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False), "utf-8")
    return path


@exports.EXPORTS.register(exports.key("exchange", "datapackage"))
def export_datapackage(session: Session, request: exports.ExportRequest) -> exports.ExportResult:
    """The export format ``exchange/datapackage``: the package in the folder ``request.out``."""
    path = export_package(session, export_filter(request), request.target())
    rows = json.loads(path.read_text("utf-8"))["resources"][0]["stats"]["rows"]
    return exports.ExportResult(what="exchange", path=str(path), format="datapackage", rows=int(rows))


def import_package(
    db: Database,
    city: str,
    descriptor: Path | str,
    *,
    level: str,
    resource: str | None = None,
    **options: Any,
) -> ImportResult:
    """Import the observations resource of a Data Package (long layout, ``area_code`` as id)."""
    from bettercities.ingest.schemas import Layout, ObservationImportOptions
    from bettercities.ingest.service import import_observations

    descriptor = Path(descriptor)
    document = json.loads(descriptor.read_text("utf-8"))
    resources = [r for r in document.get("resources", []) if resource in (None, r.get("name"))]
    if not resources or not isinstance(resources[0].get("path"), str):
        raise InvalidInput(f"{descriptor.name}: no tabular resource {resource or ''} with a local path")
    path = descriptor.parent / resources[0]["path"]
    fields = {f["name"] for f in resources[0].get("schema", {}).get("fields", [])}
    id_column = "area_code" if "area_code" in fields or not fields else "id"
    wanted = ObservationImportOptions(level=level, layout=Layout.LONG, id_column=id_column)
    return import_observations(db, city, path, wanted, **options)


def validate_package(descriptor: Path | str) -> Any:
    """frictionless' own report on a package (lazy import)."""
    try:
        from frictionless import validate
    except ImportError as error:  # pragma: no cover
        raise RuntimeError("install frictionless: pip install frictionless") from error
    return validate(str(descriptor))
