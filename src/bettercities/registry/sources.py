"""Readers of the registry's source files (the originals in ``eu-cities/``) and of the shipped files, and
the validation of Urban Audit indicator values.

Every reader checks the whole file first: a missing column, an unreadable number or coordinate is a
:class:`~bettercities.core.problems.Problem` naming the file, row (header = row 1) and column, and the file
is refused as a whole (:class:`~bettercities.core.errors.InvalidInput`), so nothing is partially written.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from typing import Any

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity
from bettercities.registry.merge import Rec, Succession
from bettercities.registry.names import eurostat_country

__all__ = [
    "INDICATORS",
    "Region",
    "Statistic",
    "read_geonames",
    "read_indicators",
    "read_nuts3",
    "read_urban_audit",
    "validate_statistic",
]

URBAN_AUDIT_SOURCE = "Urban Audit 2021 cities (GISCO - Eurostat, via riatelab/map-templates)"
GEONAMES_SOURCE = "GeoNames cities5000 (CC BY 4.0)"
NUTS3_SOURCE = "NUTS-3 2021 typologies (GISCO - Eurostat, via riatelab/map-templates)"
INDICATORS_SOURCE = "Eurostat Urban Audit (City statistics, urb_c*)"
SHIPPED_SOURCE = "bettercities registry (Urban Audit 2021 + GeoNames + successions)"

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Indicator:
    """An Urban Audit indicator: its code in the file, Eurostat's code, labels, unit and plausible range."""

    code: str
    eurostat: str
    en: str
    de: str
    unit: str
    low: float | None
    high: float | None

    @property
    def unit_de(self) -> str:
        return UNITS_DE.get(self.unit, self.unit)


#: The Urban Audit indicators of ``eurostat_urban_audit_indicators_latest.csv``, with the range of values
#: the validation step accepts (docs/registry.md, "Validation"): outside it, a value is flagged, not stored.
INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in (
        Indicator("unemploymentPct", "EC1020I", "Unemployment rate", "Arbeitslosenquote", "%", 0, 60),
        Indicator("activityRate", "EC1001I", "Economic activity rate", "Erwerbsquote", "%", 20, 100),
        Indicator(
            "medianIncome",
            "EC3039V",
            "Median disposable household income",
            "Median des verfügbaren Haushaltseinkommens",
            "EUR",
            1_000,
            200_000,
        ),
        Indicator("povertyPct", "EC3065V", "At risk of poverty", "Armutsgefährdung", "%", 0, 100),
        Indicator(
            "homeownershipPct",
            "SA1049I",
            "Households owning their dwelling",
            "Haushalte mit Wohneigentum",
            "%",
            0,
            100,
        ),
        Indicator(
            "rentPerSqm",
            "SA1050V",
            "Average rent per m²",
            "Durchschnittliche Miete je m²",
            "EUR/m²/month",
            0,
            60,
        ),
        Indicator("totalCompanies", "EC2021V", "Companies", "Unternehmen", "count", 0, None),
        Indicator("pm10", "EN2027V", "PM10 concentration", "PM10-Konzentration", "µg/m³", 0, 150),
        Indicator("no2", "EN2026V", "NO₂ concentration", "NO₂-Konzentration", "µg/m³", 0, 150),
        Indicator("greenSpacePct", "EN5200V", "Green urban areas", "Städtische Grünflächen", "%", 0, 100),
        Indicator(
            "roadNoisePct",
            "EN2033I",
            "Population exposed to road noise > 65 dB",
            "Straßenlärm > 65 dB",
            "%",
            0,
            100,
        ),
        Indicator("medianAge", "DE1073V", "Median age", "Medianalter", "years", 15, 70),
        Indicator("popChangePct", "DE1061I", "Population change", "Bevölkerungsveränderung", "%", -50, 50),
        Indicator("ageDependency", "DE1058I", "Age dependency ratio", "Abhängigenquotient", "%", 20, 150),
        Indicator("touristNights", "CR2001V", "Tourist overnight stays", "Übernachtungen", "count", 0, None),
        Indicator("museumVisitors", "CR1007V", "Museum visitors", "Museumsbesuche", "count", 0, None),
        Indicator("libraries", "CR1010V", "Public libraries", "Öffentliche Bibliotheken", "count", 0, None),
        Indicator(
            "cinemaSeatsPer1k",
            "CR1003I",
            "Cinema seats per 1,000 residents",
            "Kinositze je 1.000 Einwohner",
            "per 1,000",
            0,
            200,
        ),
        Indicator(
            "sunshineHours", "EN1002V", "Hours of sunshine per day", "Sonnenstunden pro Tag", "h/day", 0, 24
        ),
        Indicator(
            "tempWarmest",
            "EN1003V",
            "Mean temperature of the warmest month",
            "Mitteltemperatur des wärmsten Monats",
            "°C",
            0,
            45,
        ),
        Indicator(
            "tempColdest",
            "EN1004V",
            "Mean temperature of the coldest month",
            "Mitteltemperatur des kältesten Monats",
            "°C",
            -30,
            25,
        ),
        Indicator("rainfallMm", "EN1005V", "Rainfall", "Niederschlag", "mm/year", 0, 5_000),
        Indicator(
            "roadNoisePct55",
            "EN2035I",
            "Population exposed to road noise > 55 dB",
            "Straßenlärm > 55 dB",
            "%",
            0,
            100,
        ),
    )
}

#: German spelling of the units that are words.
UNITS_DE = {
    "count": "Anzahl",
    "years": "Jahre",
    "per 1,000": "je 1.000",
    "h/day": "h/Tag",
    "mm/year": "mm/Jahr",
    "EUR/m²/month": "EUR/m²/Monat",
}

#: Years the validation step accepts.
YEARS = (1990, 2035)


@dataclass(frozen=True)
class Region:
    nuts3_code: str
    name: str
    country: str
    urban_rural: str
    population: int | None
    area_km2: float | None


@dataclass(frozen=True)
class Statistic:
    urau_code: str
    code: str
    year: int
    value: float


@dataclass(frozen=True)
class Flag:
    """A value the validation step did not import, with the rule it broke."""

    urau_code: str
    code: str
    year: str
    value: str
    reason: str
    row: int


def _refuse(report: Report, what: str) -> None:
    errors = report.errors
    if errors:
        raise InvalidInput(
            f"{what}: {errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""), report
        )


class _Rows:
    """A CSV file's rows with problem collection by row and column."""

    def __init__(self, data: bytes, file: str, required: tuple[str, ...], *, source: str) -> None:
        self.file = file
        self.report = Report(source=source)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.problem("registry-unreadable-file", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            _refuse(self.report, file)
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        for col in missing:
            self.problem("registry-missing-column", f"the file has no column {col!r}", column=col)
        _refuse(self.report, file)
        self.rows = list(reader)

    def problem(
        self,
        code: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        warning: bool = False,
    ) -> None:
        if len(self.report.problems) >= MAX_PROBLEMS:
            self.report.truncated += 1
            return
        self.report.add(
            Problem(
                code=code,
                message=message,
                file=self.file,
                row=row,
                column=column,
                value=None if value is None else str(value)[:200],
                severity=Severity.WARNING if warning else Severity.ERROR,
            )
        )

    def number(
        self,
        row: dict[str, str],
        n: int,
        column: str,
        *,
        required: bool = False,
        integer: bool = False,
        low: float | None = None,
        high: float | None = None,
    ) -> float | None:
        raw = (row.get(column) or "").strip()
        if not raw:
            if required:
                self.problem("registry-missing-value", "a value is required", row=n, column=column)
            return None
        try:
            value = float(raw)
        except ValueError:
            self.problem("registry-not-a-number", "not a number", row=n, column=column, value=raw)
            return None
        if (
            not math.isfinite(value)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            self.problem("registry-out-of-range", f"outside {low}..{high}", row=n, column=column, value=raw)
            return None
        if integer and value != int(value):
            self.problem("registry-not-a-number", "not a whole number", row=n, column=column, value=raw)
            return None
        return value

    def text(self, row: dict[str, str], n: int, column: str) -> str:
        value = (row.get(column) or "").strip()
        if not value:
            self.problem("registry-missing-value", "a value is required", row=n, column=column)
        return value

    def done(self) -> None:
        _refuse(self.report, self.file)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def name_variants(name: str) -> list[str]:
    """Other spellings of an Urban Audit name that GeoNames may use: each part of "Tampere/Tammerfors",
    the name without its qualifier ("Frankenthal (Pfalz)" -> "Frankenthal"), the article in front
    ("Puerto de Santa María, El" -> "El Puerto de Santa María")."""
    out: list[str] = []
    if "/" in name:
        out.extend(part.strip() for part in name.split("/") if part.strip())
    bare = name.split("(")[0].strip()
    if bare and bare != name:
        out.append(bare)
    if ", " in name:
        head, _, article = name.rpartition(", ")
        if article and len(article) <= 4:
            out.append(f"{article} {head}")
    return [v for v in dict.fromkeys(out) if v != name]


def read_urban_audit(data: bytes, file: str) -> list[Rec]:
    """Urban Audit cities: ``urau_code,name,country,nuts3_2021,lon,lat,area_km2,pop,pop_year`` (+ others)."""
    rows = _Rows(
        data,
        file,
        ("urau_code", "name", "country", "nuts3_2021", "lon", "lat", "area_km2", "pop", "pop_year"),
        source=URBAN_AUDIT_SOURCE,
    )
    recs = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows.rows, start=2):
        code = rows.text(row, n, "urau_code").upper()
        if code in seen:
            rows.problem(
                "registry-duplicate-row",
                f"Urban Audit code also in row {seen[code]}",
                row=n,
                column="urau_code",
                value=code,
            )
        seen[code] = n
        recs.append(
            Rec(
                name=rows.text(row, n, "name"),
                country=eurostat_country(rows.text(row, n, "country")),
                urau_code=code,
                nuts3_code=(row.get("nuts3_2021") or "").strip() or None,
                lat=rows.number(row, n, "lat", required=True, low=-90, high=90),
                lon=rows.number(row, n, "lon", required=True, low=-180, high=180),
                area_km2=rows.number(row, n, "area_km2", low=0),
                population=_int(rows.number(row, n, "pop", integer=True, low=0)),
                population_year=_int(rows.number(row, n, "pop_year", integer=True, low=1900, high=2100)),
            )
        )
        for variant in name_variants(recs[-1].name):
            recs[-1].add_alias(variant, "local", URBAN_AUDIT_SOURCE)
    rows.done()
    return recs


def read_geonames(data: bytes, file: str, *, min_population: int = 5000) -> list[Rec]:
    """GeoNames places: ``geonameid,name,country,lat,lon,population`` (+ others); places below
    ``min_population`` are left out."""
    rows = _Rows(
        data, file, ("geonameid", "name", "country", "lat", "lon", "population"), source=GEONAMES_SOURCE
    )
    recs = []
    seen: dict[int, int] = {}
    for n, row in enumerate(rows.rows, start=2):
        gid = _int(rows.number(row, n, "geonameid", required=True, integer=True, low=1))
        if gid is not None and gid in seen:
            rows.problem(
                "registry-duplicate-row",
                f"GeoNames id also in row {seen[gid]}",
                row=n,
                column="geonameid",
                value=gid,
            )
        if gid is not None:
            seen[gid] = n
        population = _int(rows.number(row, n, "population", integer=True, low=0))
        rec = Rec(
            name=rows.text(row, n, "name"),
            country=eurostat_country(rows.text(row, n, "country")),
            geonames_id=gid,
            lat=rows.number(row, n, "lat", required=True, low=-90, high=90),
            lon=rows.number(row, n, "lon", required=True, low=-180, high=180),
            population=population,
        )
        if population is None or population >= min_population:
            recs.append(rec)
    rows.done()
    return recs


def read_successions(text: str, file: str) -> list[Succession]:
    rows = _Rows(
        text.encode(),
        file,
        ("country", "name", "geonames_id", "former", "members", "year", "source"),
        source="successions",
    )
    out = []
    for n, row in enumerate(rows.rows, start=2):
        out.append(
            Succession(
                country=rows.text(row, n, "country"),
                name=rows.text(row, n, "name"),
                geonames_id=_int(rows.number(row, n, "geonames_id", required=True, integer=True)) or 0,
                former=rows.text(row, n, "former"),
                members=tuple(m.strip() for m in (row.get("members") or "").split("|") if m.strip()),
                year=_int(rows.number(row, n, "year", required=True, integer=True)) or 0,
                source=rows.text(row, n, "source"),
            )
        )
    rows.done()
    return out


def read_nuts3(data: bytes, file: str, *, shapes: bool = True) -> tuple[list[Region], list[tuple[str, Any]]]:
    """NUTS-3 regions of a GeoJSON FeatureCollection (``NUTS_ID``, ``NAME_LATN``, ``URBN_TYPE``, ``POP_2021``,
    ``AREA_2021``) and, with ``shapes``, their geometries as (code, shapely geometry)."""
    report = Report(source=NUTS3_SOURCE)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
        features = doc["features"]
        if not isinstance(features, list):
            raise TypeError("features is not a list")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        report.add(
            Problem(
                code="registry-unreadable-file", message=f"not a GeoJSON FeatureCollection ({exc})", file=file
            )
        )
        _refuse(report, file)
        raise AssertionError from exc  # pragma: no cover - _refuse raised
    regions: list[Region] = []
    geoms: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for n, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        code = str(props.get("NUTS_ID") or "").strip()
        urban = str(props.get("URBN_TYPE") or "").strip()
        where = {"file": file, "row": n}
        if not code:
            report.add(
                Problem(
                    code="registry-missing-value",
                    message="a value is required (feature number as row)",
                    column="NUTS_ID",
                    **where,
                )
            )
            continue
        if urban not in {"1", "2", "3"}:
            report.add(
                Problem(
                    code="registry-out-of-range",
                    message="URBN_TYPE must be 1, 2 or 3",
                    column="URBN_TYPE",
                    value=urban,
                    **where,
                )
            )
            continue

        def num(key: str, props: dict[str, Any] = props, where: dict[str, Any] = where) -> float | None:
            value = props.get(key)
            try:
                return None if value in (None, "") else float(value)
            except (TypeError, ValueError):
                report.add(
                    Problem(
                        code="registry-not-a-number",
                        message="not a number",
                        column=key,
                        value=str(value),
                        **where,
                    )
                )
                return None

        pop = num("POP_2021")
        if shapes:
            from shapely.geometry import shape

            try:
                geoms.append((code, shape(feature["geometry"])))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                report.add(
                    Problem(
                        code="registry-unreadable-file",
                        message=f"unreadable geometry ({exc})",
                        column="geometry",
                        **where,
                    )
                )
        if code in seen:
            continue  # a region in several features (parts moved into an inset box): its first one's values
        seen.add(code)
        regions.append(
            Region(
                nuts3_code=code,
                name=str(props.get("NAME_LATN") or code),
                country=eurostat_country(code[:2]),
                urban_rural=urban,
                population=None if pop is None else int(pop),
                area_km2=num("AREA_2021"),
            )
        )
    _refuse(report, file)
    return regions, geoms


def validate_statistic(code: str, value: float, year: int | None) -> str | None:
    """Why ``value`` of indicator ``code`` is implausible, or ``None``. The rule (docs/registry.md): a value
    needs a year in 1990..2035 and must lie in the indicator's range (:data:`INDICATORS`), which catches the
    unit glitches of the collected file (a median income of 1,690,302 EUR, yearly sunshine hours in a
    per-day indicator, a rent per m² of 85 EUR a month)."""
    if year is None:
        return "no year"
    if not YEARS[0] <= year <= YEARS[1]:
        return f"year outside {YEARS[0]}..{YEARS[1]}"
    ind = INDICATORS[code]
    if (ind.low is not None and value < ind.low) or (ind.high is not None and value > ind.high):
        return f"outside the plausible range {ind.low}..{ind.high} {ind.unit}"
    return None


def read_indicators(data: bytes, file: str) -> tuple[list[Statistic], list[Flag]]:
    """Urban Audit indicators: ``urau_code`` and, per indicator, a value column and a ``<code>_year``
    column. Returns the values that pass :func:`validate_statistic` and the flagged ones."""
    rows = _Rows(data, file, ("urau_code",), source=INDICATORS_SOURCE)
    header = set(rows.rows[0].keys()) if rows.rows else set()
    codes = [c for c in INDICATORS if c in header]
    if not codes:
        rows.problem(
            "registry-missing-column", "no indicator column (" + ", ".join(list(INDICATORS)[:4]) + ", …)"
        )
    values: list[Statistic] = []
    flags: list[Flag] = []
    for n, row in enumerate(rows.rows, start=2):
        urau = rows.text(row, n, "urau_code").upper()
        for code in codes:
            value = rows.number(row, n, code)
            if value is None:
                continue
            year = _int(rows.number(row, n, f"{code}_year", integer=True)) if f"{code}_year" in row else None
            reason = validate_statistic(code, value, year)
            if reason:
                flags.append(
                    Flag(urau, code, "" if year is None else str(year), row[code].strip(), reason, n)
                )
                continue
            assert year is not None
            values.append(Statistic(urau, code, year, value))
    rows.done()
    return values, flags


# -- the shipped files ------------------------------------------------------------------------------------

CITY_COLUMNS = (
    "name",
    "country",
    "urau_code",
    "nuts3_code",
    "geonames_id",
    "lat",
    "lon",
    "population",
    "population_year",
    "area_km2",
    "aliases",
)


def _opt_int(value: str) -> int | None:
    return int(value) if value else None


def _opt_float(value: str) -> float | None:
    return float(value) if value else None


def read_shipped_cities(text: str) -> list[Rec]:
    recs = []
    for row in csv.DictReader(io.StringIO(text)):
        recs.append(
            Rec(
                name=row["name"],
                country=row["country"],
                urau_code=row["urau_code"] or None,
                nuts3_code=row["nuts3_code"] or None,
                geonames_id=_opt_int(row["geonames_id"]),
                lat=_opt_float(row["lat"]),
                lon=_opt_float(row["lon"]),
                population=_opt_int(row["population"]),
                population_year=_opt_int(row["population_year"]),
                area_km2=_opt_float(row["area_km2"]),
                aliases=[tuple(a) for a in json.loads(row["aliases"])] if row["aliases"] else [],
            )
        )
    return recs


def read_shipped_regions(text: str) -> list[Region]:
    return [
        Region(
            r["nuts3_code"],
            r["name"],
            r["country"],
            r["urban_rural"],
            _opt_int(r["population"]),
            _opt_float(r["area_km2"]),
        )
        for r in csv.DictReader(io.StringIO(text))
    ]


def read_shipped_statistics(text: str) -> list[Statistic]:
    return [
        Statistic(r["urau_code"], r["code"], int(r["year"]), float(r["value"]))
        for r in csv.DictReader(io.StringIO(text))
    ]
