"""Typed results behind the pages (and their JSON twins): everything a page shows, computed in the library."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bettercities.areas.schemas import AreaOut, CityOut, LevelOut
from bettercities.core.classify import ClassMethod
from bettercities.figures.classes import Classification
from bettercities.figures.schemas import ChoroplethData, HistogramBin
from bettercities.indicators.schemas import AreaValue, IndicatorOut, PeriodOut, Series, SeriesPoint
from bettercities.networks.schemas import MembershipOut
from bettercities.registry.schemas import RegistryCityOut, RegistryPage


class ViewState(BaseModel):
    """What a view shows; a page keeps it in its URL (permalink)."""

    lang: str = "de"
    indicator: str | None = None
    period: str | None = None
    level: str | None = None
    classes: ClassMethod = ClassMethod.QUANTILES
    k: int = 5


class Summary(BaseModel):
    """Distribution of the published values of one indicator over the areas of a level."""

    areas: int = Field(description="Areas of the level valid in the period.")
    with_value: int
    suppressed: int = Field(description="Areas whose value is withheld (statistical disclosure control).")
    no_data: int
    minimum: float | None = None
    maximum: float | None = None
    median: float | None = None
    mean: float | None = Field(default=None, description="Unweighted mean of the area values.")


class CityRef(BaseModel):
    slug: str
    name: str
    country: str


class AreaRef(BaseModel):
    code: str
    name: str
    level: str


class HomeView(BaseModel):
    """The front page: what the platform holds."""

    cities: list[CityOut]
    indicators: int = Field(description="Registered indicators.")
    registry: RegistryPage | None = Field(
        None, description="/cities: a page of the city registry for Europe (search, country, size class)."
    )


class CityLink(BaseModel):
    """A link of the city page to one of the city's analyses or data pages that the viewer may open."""

    key: str = Field(description="What the page is (the page's label in every language is looked up by it).")
    group: Literal["analyses", "data", "team"] = Field(
        description="analyses: index, clusters, typology, priorities; data: catalogue and protection; team: "
        "the data team's pages (data quality, audit log, import)."
    )
    href: str = Field(description="Path and query of the page.")
    detail: str | None = Field(default=None, description="What the link opens, e.g. the latest run's name.")


class CityView(BaseModel):
    """The city page: a choropleth of one indicator, period and level, and the city-wide series."""

    state: ViewState
    city: CityOut
    levels: list[LevelOut]
    indicators: list[IndicatorOut]
    periods: list[PeriodOut]
    indicator: IndicatorOut
    period: PeriodOut
    level: LevelOut
    derived: bool = Field(description="Values of this level were aggregated from a finer level.")
    map: ChoroplethData
    summary: Summary
    city_value: SeriesPoint | None
    city_series: Series
    links: list[CityLink] = Field(
        default_factory=list, description="The city's analyses and data pages the viewer may open."
    )


class CityStartView(BaseModel):
    """The page of a city without published data yet: what it holds and the pages the viewer may open."""

    city: CityOut
    levels: list[LevelOut]
    links: list[CityLink]
    profile: RegistryCityOut | None = Field(
        None, description="What the city registry knows of the city (identifiers, size, statistics)."
    )
    networks: list[MembershipOut] = Field(default_factory=list, description="The city's current memberships.")


class RankedValue(AreaValue):
    """An area's value with its rank (1 = highest value) among the areas with a published value."""

    rank: int | None = None


class IndicatorView(BaseModel):
    """The indicator page: definition, distribution, ranking of areas and the city series."""

    state: ViewState
    city: CityOut
    levels: list[LevelOut]
    periods: list[PeriodOut]
    indicator: IndicatorOut
    period: PeriodOut
    level: LevelOut
    derived: bool
    summary: Summary
    classification: Classification
    histogram: list[HistogramBin]
    ranking: list[RankedValue] = Field(description="Areas by value, highest first; areas without value last.")
    city_value: SeriesPoint | None
    city_series: Series


class AreaIndicatorRow(BaseModel):
    """One indicator on an area profile."""

    indicator: IndicatorOut
    period: str | None = Field(description="Latest period with an entry for the area.")
    value: float | None
    suppressed: bool = False
    estimated: bool = False
    provisional: bool = False
    comparable: bool = Field(
        default=True, description="Whether area and city values compare (not for counts, which add up)."
    )
    city_value: float | None = None
    difference: float | None = Field(
        default=None, description="Area value minus city value (only for comparable indicators)."
    )
    rank: int | None = Field(default=None, description="1 = highest value among the areas of the level.")
    ranked: int = Field(default=0, description="Areas of the level with a published value.")
    series: Series
    city_series: Series


class AreaView(BaseModel):
    """The area profile: every indicator's latest value beside the city's, rank, series and neighbours."""

    state: ViewState
    city: CityOut
    area: AreaOut
    level: LevelOut
    parent: AreaRef | None
    children: list[AreaRef]
    locator_level: str | None = Field(description="Level whose outlines frame the locator map.")
    rows: list[AreaIndicatorRow]
