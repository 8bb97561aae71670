"""Typed inputs and results of the areas domain."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class CitySpec(BaseModel):
    """A city to create."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    lau_code: str | None = None
    urau_code: str | None = None
    nuts3_code: str | None = None
    ags: str | None = Field(default=None, pattern=r"^\d{8}$|^\d{12}$")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    population: int | None = Field(default=None, ge=0)
    population_year: int | None = None


class CityOut(CitySpec):
    id: int
    area_count: int = 0


class LevelSpec(BaseModel):
    """A spatial level of a city; ``parent`` is the code of the next coarser level."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_de: str
    name_en: str
    parent: str | None = None


class LevelOut(LevelSpec):
    id: int
    rank: int
    area_count: int = 0

    def name(self, language: str) -> str:
        return self.name_de if language == "de" else self.name_en


class AreaSpec(BaseModel):
    """An area to add to a level."""

    code: str = Field(min_length=1, max_length=60)
    name: str
    parent_code: str | None = None
    geometry: dict[str, Any] | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class AreaOut(BaseModel):
    id: int
    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    centroid_lon: float | None
    centroid_lat: float | None
    area_km2: float | None


class AreaDetail(AreaOut):
    """An area with its bounding box, children and (on request) its GeoJSON geometry."""

    # a list, not a 4-tuple: the tuple's schema (``items`` as a list) is no valid OpenAPI 3.1 schema
    bbox: list[float] | None = Field(
        default=None, min_length=4, max_length=4, description="min_lon, min_lat, max_lon, max_lat (WGS84)."
    )
    children: list[str] = Field(default_factory=list, description="Codes of the areas one level finer.")
    geometry: dict[str, Any] | None = Field(
        default=None, description="GeoJSON geometry (WGS84), with ?geometry=true."
    )


class CrosswalkEntrySpec(BaseModel):
    source_code: str
    target_code: str
    weight: float = Field(ge=0, le=1)


class WeightBasis(StrEnum):
    """What a crosswalk's weights measure: the share of an old area's population, surface or households that
    lies in a new area."""

    POPULATION = "population"
    AREA = "area"
    HOUSEHOLDS = "households"


class CrosswalkOut(BaseModel):
    """A crosswalk between two boundary versions, with what its entries link."""

    code: str
    description: str | None = None
    weight_basis: str
    source_level: str | None = Field(description="Level of the old areas.")
    target_level: str | None = Field(description="Level of the new areas.")
    sources: int = Field(description="Number of old areas.")
    targets: int = Field(description="Number of new areas.")
    entries: int = Field(description="Number of (old, new, weight) links.")
    source_valid_to: date | None = Field(default=None, description="Last day after which the old areas end.")
    target_valid_from: date | None = Field(default=None, description="First day of the new areas.")


class CrosswalkLink(BaseModel):
    """Share ``weight`` of old area ``source_code`` that lies in new area ``target_code``."""

    source_code: str
    source_name: str
    target_code: str
    target_name: str
    weight: float


class CrosswalkDetail(CrosswalkOut):
    """A crosswalk with every link, by old then new area code."""

    links: list[CrosswalkLink] = Field(default_factory=list)
