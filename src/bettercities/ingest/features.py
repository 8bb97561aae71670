"""Features of a geodata file as area specs: ids, names, parents, geometry, with problems by feature."""

from __future__ import annotations

from typing import Any

from bettercities.areas.schemas import AreaSpec
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity
from bettercities.ingest.geo import FeatureTable
from bettercities.ingest.schemas import AreaImportOptions


def _code(value: Any) -> str | None:
    """An id cell as text: integral reals (ids stored as numbers) lose their '.0'."""
    if value is None:
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def area_specs(
    features: FeatureTable, options: AreaImportOptions
) -> tuple[list[AreaSpec], list[int], Report]:
    """Area specs of the features that have an id, their feature numbers, and the problems so far."""
    report = Report(source=features.name, problems=list(features.problems))
    missing = [
        c
        for c in (options.id_column, options.name_column, options.parent_column)
        if c and c not in features.columns
    ]
    for column in missing:
        report.add(
            Problem(
                code="missing-column",
                message=f"no attribute {column!r}; attributes: {', '.join(features.columns)}",
                file=features.name,
                column=column,
            )
        )
    if missing:
        raise InvalidInput(f"{features.name}: missing attributes", report)
    ids = features.columns[options.id_column]
    names = features.columns[options.name_column]
    parents = features.columns[options.parent_column] if options.parent_column else [None] * len(features)
    specs: list[AreaSpec] = []
    rows: list[int] = []
    first_row: dict[str, int] = {}
    unreadable = {p.row for p in features.problems if p.column == "geometry" and p.row is not None}
    for number in sorted(set(options.id_fixes) - set(range(1, len(features) + 1))):
        report.add(
            Problem(
                code="invalid-option",
                message=f"--fix-id names feature {number}, but the file has {len(features)} features",
                file=features.name,
                value=str(number),
            )
        )
    for number, (raw_id, raw_name, raw_parent, geometry) in enumerate(
        zip(ids, names, parents, features.geometries, strict=True), start=1
    ):
        code = _code(raw_id)
        where = {"file": features.name, "row": number}
        if number in options.id_fixes:
            fixed = options.id_fixes[number].strip()
            report.add(
                Problem(
                    code="id-fixed",
                    message=f"id {code!r} replaced by {fixed!r} (--fix-id)",
                    severity=Severity.WARNING,
                    column=options.id_column,
                    value=code,
                    **where,
                )
            )
            code = fixed or None
        if code is None:
            report.add(
                Problem(code="missing-value", message="the area has no id", column=options.id_column, **where)
            )
            continue
        if len(code) > 60:
            report.add(
                Problem(
                    code="invalid-id",
                    message="ids have at most 60 characters",
                    column=options.id_column,
                    value=code,
                    **where,
                )
            )
            continue
        if code in first_row:
            report.add(
                Problem(
                    code="duplicate-key",
                    message=f"area {code!r} again; first in feature {first_row[code]}",
                    column=options.id_column,
                    value=code,
                    **where,
                )
            )
            continue
        first_row[code] = number
        label = _code(raw_name) if not isinstance(raw_name, str) else raw_name.strip()
        if not label:
            report.add(
                Problem(
                    code="missing-value",
                    message="the area has no name; its id is used",
                    severity=Severity.WARNING,
                    column=options.name_column,
                    **where,
                )
            )
        if geometry is None and number not in unreadable:  # an undecodable one is reported once, as read
            report.add(
                Problem(
                    code="missing-geometry",
                    message="the feature has no geometry",
                    severity=Severity.WARNING,
                    column="geometry",
                    **where,
                )
            )
        specs.append(
            AreaSpec(
                code=code,
                name=label or code,
                parent_code=_code(raw_parent),
                geometry=geometry,
                valid_from=options.valid_from,
                valid_to=options.valid_to,
            )
        )
        rows.append(number)
    return specs, rows, report


def in_file_order(report: Report) -> Report:
    """``report`` with its problems sorted by feature: the file's own problems first, then row by row.

    The order within a feature stays as found (reading, attributes, then the geometry and parent checks).
    """
    report.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return report


def relocate(problems: list[Problem], rows: list[int], options: AreaImportOptions) -> list[Problem]:
    """Problems from :func:`areas.add_areas` (numbered by spec) at feature numbers and file columns."""
    columns = {"code": options.id_column, "parent": options.parent_column, "geometry": "geometry"}
    moved = []
    for problem in problems:
        update: dict[str, Any] = {}
        if problem.row is not None and 1 <= problem.row <= len(rows):
            update["row"] = rows[problem.row - 1]
        if problem.column in columns:
            update["column"] = columns[problem.column]
        moved.append(problem.model_copy(update=update))
    return moved
