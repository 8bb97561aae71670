"""Eurostat Urban Audit city indicators as city-level observations of a network pseudo-city.

The file ``eurostat_urban_audit_indicators_latest.csv`` has one row per Urban Audit city and, for
each variable, its own reference-year column (``medianIncome``, ``medianIncome_year``). bettercities
holds it as one *network* pseudo-city (default slug ``eu-urban-audit``, country ``EU``) with a spatial
level ``city`` whose areas are the Urban Audit cities (area code = Urban Audit code, e.g. ``AT001C``).
The file is reshaped to the long layout (one row per city, variable and year) and imported by the
ordinary importer, so validation, rules, revisions and outlier screening apply unchanged; problems
are reported at the row and column of the original file.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report, Severity
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator
from bettercities.indicators.presets import load_definitions
from bettercities.ingest.schemas import ImportResult
from bettercities.quality import rules
from bettercities.storage.database import Database

CITY = "eu-urban-audit"
LEVEL = "city"
# column of the Eurostat file -> indicator code of the `urban-audit` preset
COLUMNS = {
    "unemploymentPct": "ua_unemployment_pct",
    "activityRate": "ua_activity_rate",
    "medianIncome": "ua_median_income",
    "povertyPct": "ua_poverty_pct",
    "homeownershipPct": "ua_homeownership_pct",
    "rentPerSqm": "ua_rent_per_sqm",
    "totalCompanies": "ua_total_companies",
    "pm10": "ua_pm10",
    "no2": "ua_no2",
    "greenSpacePct": "ua_green_space_pct",
    "roadNoisePct": "ua_road_noise_pct",
    "medianAge": "ua_median_age",
    "popChangePct": "ua_pop_change_pct",
    "ageDependency": "ua_age_dependency",
    "touristNights": "ua_tourist_nights",
    "museumVisitors": "ua_museum_visitors",
    "libraries": "ua_libraries",
    "cinemaSeatsPer1k": "ua_cinema_seats_per_1k",
    "sunshineHours": "ua_sunshine_hours",
    "tempWarmest": "ua_temp_warmest",
    "tempColdest": "ua_temp_coldest",
    "rainfallMm": "ua_rainfall_mm",
    "roadNoisePct55": "ua_road_noise_pct55",
}


def prepare(db: Database, *, city: str = CITY, name: str = "Urban Audit cities (Eurostat)") -> None:
    """The pseudo-city, its level, the ``urban-audit`` indicators and rules (idempotent)."""
    with db.session() as session:
        try:
            target = areas.get_city(session, city)
        except NotFound:
            target = areas.create_city(session, CitySpec(slug=city, name=name, country="EU"))
        areas.ensure_level(session, target, LevelSpec(code=LEVEL, name_de="Stadt", name_en="city"))
        known = set(session.scalars(select(Indicator.code)))
        for spec in load_definitions("urban-audit"):
            if spec.code not in known:
                indicators.register_indicator(session, spec)
        rules.save_rules(session, target, rules.load_rules("urban-audit"))


def _reshape(path: Path, out: Path) -> tuple[list[AreaSpec], list[tuple[int, str]], list[Problem]]:
    """Write the long file; return the cities, per long row the original (row, column), undated values.

    A value without a reference year (785 in the 2025 file) cannot be placed in time: it is left out
    and reported as an ``undated-value`` warning at its row and column.
    """
    origin: list[tuple[int, str]] = [(1, "")]  # the long file's header
    undated: list[Problem] = []
    cities: list[AreaSpec] = []
    with path.open(encoding="utf-8-sig", newline="") as source, out.open("w", newline="") as target:
        reader = csv.DictReader(source)
        writer = csv.writer(target)
        writer.writerow(["area_code", "indicator", "period", "value"])
        for row_number, row in enumerate(reader, start=2):
            cities.append(AreaSpec(code=row["urau_code"], name=row.get("name") or row["urau_code"]))
            for column, code in COLUMNS.items():
                value = (row.get(column) or "").strip()
                if not value:
                    continue
                year = (row.get(f"{column}_year") or "").strip().removesuffix(".0")
                if not year:
                    undated.append(
                        Problem(
                            code="undated-value",
                            message=f"{code}: no reference year in {column}_year; the value is left out",
                            severity=Severity.WARNING,
                            file=path.name,
                            row=row_number,
                            column=column,
                            value=value,
                        )
                    )
                    continue
                writer.writerow([row["urau_code"], code, year, value])
                origin.append((row_number, column))
    return cities, origin, undated


def _relocate(report: Report, origin: list[tuple[int, str]], name: str) -> None:
    moved = []
    for problem in report.problems:
        if problem.row is not None and 2 <= problem.row <= len(origin):
            row, column = origin[problem.row - 1]
            problem = problem.model_copy(update={"file": name, "row": row, "column": column})
        moved.append(problem)
    report.problems[:] = moved


def import_urban_audit(
    db: Database, path: Path | str, *, city: str = CITY, user: str | None = None, dry_run: bool = False
) -> ImportResult:
    """Import the Urban Audit indicator file as city-level observations of ``city``."""
    from bettercities.ingest.schemas import Layout, ObservationImportOptions
    from bettercities.ingest.service import import_observations

    path = Path(path)
    prepare(db, city=city)
    with tempfile.TemporaryDirectory() as folder:
        long = Path(folder) / f"{path.stem}.long.csv"
        cities, origin, undated = _reshape(path, long)
        with db.session() as session:
            target: City = areas.get_city(session, city)
            level = areas.get_level(session, target, LEVEL)
            areas.add_areas(session, target, level, cities, source=path.name)
        try:
            result = import_observations(
                db,
                city,
                long,
                ObservationImportOptions(level=LEVEL, layout=Layout.LONG, id_column="area_code"),
                user=user,
                file_name=path.name,
                dry_run=dry_run,
            )
        except InvalidInput as error:
            if error.report is not None:
                _relocate(error.report, origin, path.name)
                error.report.problems[:0] = undated
            raise
    _relocate(result.report, origin, path.name)
    result.report.problems[:0] = undated
    return result


def summary(result: ImportResult) -> dict[str, Any]:
    problems: list[Problem] = result.report.problems
    return {"observations": result.observations, "problems": result.report.counts(), "listed": len(problems)}
