"""Exports of current observations: long tables (CSV, Excel) and maps (GeoJSON).

Every exported value passes the publication step (:func:`bettercities.publication.publish_values`):
suppressed cells are blanked for the public. Writers are registered by format name (:func:`writer`) in
the one registry of export formats (:data:`bettercities.core.exports.EXPORTS`, as ``observations/<format>``);
the long table's columns are the ones the long-layout importer reads, so an internal export imports back
unchanged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, SpatialLevel
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.exports import EXPORTS, ExportRequest, ExportResult, export, key
from bettercities.core.problems import Problem, Report
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.indicators.periods import PeriodError, parse_period
from bettercities.indicators.schemas import AreaValue
from bettercities.publication import Audience

COLUMNS = (
    "area_code",
    "area_name",
    "level",
    "indicator",
    "period",
    "value",
    "numerator",
    "denominator",
    "provisional",
    "estimated",
    "suppressed",
    "revision",
)


class ExportFilter(BaseModel):
    """Which observations to export (one filter for CLI, API and pages)."""

    city: str
    indicator: str | None = None
    period: str | None = None
    level: str | None = None
    audience: Audience = Audience.PUBLIC
    networks: frozenset[int] = Field(
        default=frozenset(), description="Networks of the viewer: their shared data is not withheld."
    )


def observation_rows(session: Session, spec: ExportFilter) -> list[dict[str, Any]]:
    """Current observations as long-form rows, published for ``spec.audience``.

    The stored rows decide which cells are exported (area, level, indicator, period, in that order); their
    values come from :func:`bettercities.indicators.service.level_values` for each (indicator, period, level)
    exported, so an export shows exactly what the pages and the API show ``spec.audience``: cells withheld
    by disclosure control (primary, secondary, weighted means of withheld inputs) and indicators withheld
    from the audience are blank and marked suppressed, never read from the stored row.
    """
    city = areas.get_city(session, spec.city)
    query = (
        select(
            Area.code,
            Area.name,
            SpatialLevel.code,
            Indicator.code,
            Period.code,
            SpatialLevel.id,
            Indicator.id,
            Period.id,
        )
        .select_from(Observation)
        .join(Area, Area.id == Observation.area_id)
        .join(SpatialLevel, SpatialLevel.id == Area.level_id)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .join(Period, Period.id == Observation.period_id)
        .where(Area.city_id == city.id, Observation.is_current.is_(True))
        .order_by(SpatialLevel.rank, Indicator.code, Period.end_date, Area.code)
    )
    if spec.level:
        query = query.where(SpatialLevel.id == areas.get_level(session, city, spec.level).id)
    if spec.indicator:
        query = query.where(Indicator.id == indicators.get_indicator(session, spec.indicator).id)
    if spec.period:
        query = query.where(Period.id == indicators.get_period(session, spec.period).id)
    found = session.execute(query).all()
    published = _published_cells(session, spec, {(r[5], r[6], r[7]) for r in found})
    rows = []
    for r in found:
        v = published[(r[5], r[6], r[7])].get(r[0])
        if v is None:  # an area the level's values do not list (e.g. a new area of a boundary change that
            continue  # holds values carried to it while its old area is valid): as on the map, not exported
        rows.append(
            {
                "area_code": r[0],
                "area_name": r[1],
                "level": r[2],
                "indicator": r[3],
                "period": r[4],
                "value": v.value,
                "numerator": v.numerator,
                "denominator": v.denominator,
                "provisional": v.provisional,
                "estimated": v.estimated,
                "suppressed": v.suppressed,
                "revision": v.revision,
            }
        )
    return rows


def _published_cells(
    session: Session, spec: ExportFilter, keys: set[tuple[int, int, int]]
) -> dict[tuple[int, int, int], dict[str, AreaValue]]:
    """The published values of every (level id, indicator id, period id) in ``keys``, by area code."""
    levels = {
        lv.id: lv
        for lv in session.scalars(select(SpatialLevel).where(SpatialLevel.id.in_({k[0] for k in keys})))
    }
    codes = {
        i.id: i for i in session.scalars(select(Indicator).where(Indicator.id.in_({k[1] for k in keys})))
    }
    periods = {p.id: p for p in session.scalars(select(Period).where(Period.id.in_({k[2] for k in keys})))}
    out: dict[tuple[int, int, int], dict[str, AreaValue]] = {}
    for level_id, indicator_id, period_id in sorted(keys):
        values, _ = indicators.level_values(
            session,
            codes[indicator_id],
            periods[period_id],
            levels[level_id],
            audience=spec.audience,
            networks=spec.networks,
        )
        out[(level_id, indicator_id, period_id)] = {v.area_code: v for v in values}
    return out


def area_features(session: Session, spec: ExportFilter) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: the areas of a level with one indicator's values in one period."""
    problems = [
        Problem(code="missing-option", message=f"a map export needs --{name}", column=name)
        for name in ("indicator", "period")
        if getattr(spec, name) is None
    ]
    if problems:
        raise InvalidInput("a GeoJSON export shows one indicator in one period", Report(problems=problems))
    assert spec.indicator is not None and spec.period is not None
    city = areas.get_city(session, spec.city)
    level = areas.get_level(session, city, spec.level) if spec.level else areas.finest_level(session, city)
    if level is None:
        raise NotFound("spatial level", spec.city)
    indicator = indicators.get_indicator(session, spec.indicator)
    period = indicators.get_period(session, spec.period)
    values, derived = indicators.level_values(
        session, indicator, period, level, audience=spec.audience, networks=spec.networks
    )
    geometry = {a.code: a.geometry for a in areas.areas_of_level(session, level, at=period.end_date)}
    features = []
    for value in values:
        shape = geometry.get(value.area_code)
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shape) if shape else None,
                "properties": {
                    "area_code": value.area_code,
                    "area_name": value.area_name,
                    "level": level.code,
                    "indicator": indicator.code,
                    "period": period.code,
                    "value": value.value,
                    "numerator": value.numerator,
                    "denominator": value.denominator,
                    "provisional": value.provisional,
                    "estimated": value.estimated,
                    "suppressed": value.suppressed,
                    "revision": value.revision,
                    "aggregated": derived,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# -- writers -----------------------------------------------------------------------------------------------

WHAT = "observations"
Writer = Callable[[Session, ExportFilter, Path], int]


def writer(name: str, *, what: str = WHAT) -> Callable[[Writer], Writer]:
    """Register ``write(session, filter, path) -> rows`` as the export format ``<what>/<name>`` (observations
    unless ``what`` says otherwise, e.g. ``exchange``)."""

    def register(write: Writer) -> Writer:
        def run(session: Session, request: ExportRequest) -> ExportResult:
            out = request.target()
            rows = write(session, export_filter(request), out)
            return ExportResult(what=what, path=str(out), format=name, rows=rows)

        EXPORTS.add(key(what, name), run)
        return write

    return register


def export_filter(request: ExportRequest) -> ExportFilter:
    """The observations an export request asks for; its period is checked and written canonically."""
    if request.city is None:
        problem = Problem(code="missing-option", message="an export of observations needs a city (--city)")
        raise InvalidInput("no city to export", Report(problems=[problem]))
    try:
        canonical = parse_period(request.period).code if request.period else None
    except PeriodError as error:
        problem = Problem(code="invalid-period", message=str(error), column="period", value=request.period)
        raise InvalidInput(f"not a period: {request.period!r}", Report(problems=[problem])) from None
    return ExportFilter(
        city=request.city,
        indicator=request.indicator,
        period=canonical,
        level=request.level,
        audience=Audience(request.audience),
        networks=request.networks,
    )


def csv_cell(value: Any) -> Any:
    """A CSV cell that reads back as the same value: true/false, the shortest exact float, empty for None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same number
    return "" if value is None else value


@writer("csv")
def write_csv(session: Session, spec: ExportFilter, path: Path) -> int:
    rows = observation_rows(session, spec)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        out.writerows([csv_cell(row[c]) for c in COLUMNS] for row in rows)
    return len(rows)


@writer("xlsx")
def write_xlsx(session: Session, spec: ExportFilter, path: Path) -> int:
    from openpyxl import Workbook

    rows = observation_rows(session, spec)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("observations")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    workbook.save(path)
    return len(rows)


@writer("geojson")
def write_geojson(session: Session, spec: ExportFilter, path: Path) -> int:
    collection = area_features(session, spec)
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(collection["features"])


def export_observations(
    session: Session,
    city: str,
    out: Path | str,
    *,
    format: str | None = None,
    indicator: str | None = None,
    period: str | None = None,
    level: str | None = None,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
) -> ExportResult:
    """Write current observations of ``city`` to ``out`` (format from ``format`` or the file suffix)."""
    request = ExportRequest(
        what=WHAT, format=format, out=Path(out), city=city, indicator=indicator, period=period, level=level,
        audience=Audience(audience).value, networks=networks,
    )  # fmt: skip
    return export(session, request)


__all__ = [
    "COLUMNS",
    "ExportFilter",
    "export_filter",
    "export_observations",
    "observation_rows",
]
