"""Typed results of the registry: a city of the registry, its statistics, an import's summary, a benchmark."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

__all__ = [
    "BenchmarkIndicator",
    "BenchmarkOut",
    "BenchmarkPage",
    "BenchmarkRow",
    "BenchmarkSeries",
    "CityStatisticOut",
    "RegistryAliasOut",
    "RegistryCityOut",
    "RegistryImportSummary",
    "RegistryPage",
]


class RegistryImportSummary(BaseModel):
    """What an import (or loading the shipped registry) did."""

    source: str
    read: int = Field(0, description="Rows read from the file(s).")
    created: int = Field(0, description="Cities (or regions, statistics) created.")
    merged: int = Field(
        0, description="Rows merged into an existing city (same identifiers or name + place)."
    )
    updated: int = Field(0, description="Existing rows whose values changed.")
    skipped: int = Field(0, description="Rows left out (e.g. districts of a city, flagged values).")
    flagged: int = Field(
        0, description="Values flagged as implausible by the validation step (not imported)."
    )
    aliases: int = Field(0, description="Aliases added.")
    seconds: float = 0.0


class CityStatisticOut(BaseModel):
    city_id: int
    code: str
    year: int
    value: float
    source: str


class RegistryAliasOut(BaseModel):
    name: str
    kind: str
    source: str


class RegistryCityOut(BaseModel):
    """A city of the registry with what the registry knows of it."""

    id: int
    slug: str
    name: str
    country: str
    urau_code: str | None = None
    nuts3_code: str | None = None
    lau_code: str | None = None
    geonames_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    population: int | None = None
    population_year: int | None = None
    size_class: str | None = None
    urban_rural: str | None = None
    region_name: str | None = None
    uses_bettercities: bool = False
    aliases: list[RegistryAliasOut] = Field(default_factory=list)
    statistics: list[CityStatisticOut] = Field(default_factory=list)


class RegistryPage(BaseModel):
    """One page of a registry search."""

    total: int
    offset: int
    limit: int
    cities: list[RegistryCityOut]


class BenchmarkRow(BaseModel):
    """One city of a benchmark: its latest value, its rank and its distance from the set's median."""

    slug: str
    name: str
    country: str
    value: float | None
    year: int | None
    rank: int | None
    vs_median: float | None = Field(None, description="value - the set's median")
    lat: float | None = None
    lon: float | None = None
    population: int | None = None


class BenchmarkSeries(BaseModel):
    slug: str
    name: str
    points: list[tuple[int, float]]


class BenchmarkOut(BaseModel):
    """A benchmark of one indicator over a set of cities."""

    indicator: str
    set: str
    set_label: str
    median: float | None
    polarity: str
    rows: list[BenchmarkRow]
    series: list[BenchmarkSeries]
    missing: list[str] = Field(default_factory=list, description="Slugs of the set's cities without a value.")
    members_on: date | None = Field(
        default=None,
        description="A network or programme that has ended: its members are those on this day, the (latest) "
        "last day of its networks; None: members today (or a set that is not a network or programme).",
    )


class BenchmarkIndicator(BaseModel):
    code: str
    name_en: str
    name_de: str
    unit: str
    unit_de: str


class BenchmarkPage(BaseModel):
    """The benchmark page: its indicators and, once an indicator and a set are chosen, the result."""

    indicators: list[BenchmarkIndicator]
    indicator: str | None = None
    set: str | None = None
    result: BenchmarkOut | None = None
