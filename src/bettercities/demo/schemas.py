"""Plain typed records of a generated demo city.

Nothing here touches storage: the records are what the importers and the test fixtures consume.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bettercities.core.errors import NotFound

if TYPE_CHECKING:
    import pandas as pd

Polarity = Literal["higher_is_better", "higher_is_worse", "neutral"]
IndicatorKind = Literal["count", "share", "ratio", "value"]
Aggregation = Literal["sum", "ratio", "weighted_mean"]

#: A GeoJSON geometry object (``Polygon`` or ``MultiPolygon``, WGS84 lon/lat, RFC 7946 ring order).
GeoJSONGeometry = dict[str, Any]


@dataclass(frozen=True)
class DemoCityInfo:
    """Identity and key figures of the generated city (codes are invented, never real ones)."""

    name: str
    slug: str
    country: str
    lau_code: str
    urau_code: str
    nuts3_code: str
    ags: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class DemoLevel:
    """One level of the area hierarchy; ``parent_code`` is the next coarser level (``None`` at the top)."""

    code: str
    name_de: str
    name_en: str
    parent_code: str | None


@dataclass(frozen=True)
class DemoArea:
    """One area: Berlin-style hierarchical code, German name, level, parent area code and geometry."""

    code: str
    name: str
    level_code: str
    parent_code: str | None
    geometry: GeoJSONGeometry


@dataclass(frozen=True)
class DemoIndicator:
    """Definition of one indicator, with the rule that aggregates it to coarser levels.

    ``aggregation`` says how the observation columns are to be read:

    * ``"sum"`` – ``value`` is a count; ``numerator`` and ``denominator`` are empty.
    * ``"ratio"`` – ``numerator`` and ``denominator`` are integer counts of ``numerator_code`` and
      ``denominator_code``; ``value = round(numerator / denominator * factor, decimals)``.
    * ``"weighted_mean"`` – ``value`` is the area's mean (``kind="value"``); it is weighted by the same
      area's and period's value of the indicator ``weight_code``; ``numerator`` and ``denominator`` are empty.

    ``kind`` follows the platform's vocabulary: ``count`` sums up, ``share`` is a part of its denominator,
    ``ratio`` divides by a denominator it is not part of (moves per 100 inhabitants), ``value`` is any
    other measured value.
    """

    code: str
    name_de: str
    name_en: str
    description_de: str
    description_en: str
    unit: str
    polarity: Polarity
    kind: IndicatorKind
    numerator_code: str | None
    denominator_code: str | None
    factor: float
    min_value: float | None
    max_value: float | None
    theme: str
    aggregation: Aggregation
    decimals: int
    weight_code: str | None = None


@dataclass(frozen=True, eq=False)
class DemoCity:
    """A complete synthetic city: identity, hierarchy, areas, indicator catalogue and observations.

    ``observations`` has the columns ``indicator_code, area_code, period_code, value, numerator,
    denominator`` and holds planning areas only; coarser levels are left to the platform's aggregation.
    A ratio whose denominator is zero in an area and year (almost empty areas) has numerator and
    denominator 0 and an empty ``value``.
    """

    city: DemoCityInfo
    levels: tuple[DemoLevel, ...]
    areas: tuple[DemoArea, ...]
    indicators: tuple[DemoIndicator, ...]
    periods: tuple[str, ...]
    observations: pd.DataFrame

    def area_features(self, level_code: str) -> dict[str, Any]:
        """Return the areas of one level as a GeoJSON ``FeatureCollection``.

        Parameters
        ----------
        level_code : str
            One of the codes in :attr:`levels`, e.g. ``"planning_area"``.

        Returns
        -------
        dict
            A FeatureCollection whose features carry the properties ``code``, ``name`` and ``parent``
            (the parent area's code, ``None`` at the top level). Geometries are copies.

        Raises
        ------
        NotFound
            If ``level_code`` is not a level of this city.
        """
        if level_code not in {level.code for level in self.levels}:
            raise NotFound("level", level_code)
        features = [
            {
                "type": "Feature",
                "id": area.code,
                "geometry": copy.deepcopy(area.geometry),
                "properties": {"code": area.code, "name": area.name, "parent": area.parent_code},
            }
            for area in self.areas
            if area.level_code == level_code
        ]
        return {"type": "FeatureCollection", "features": features}


def _share(
    code: str,
    name_de: str,
    name_en: str,
    description_de: str,
    description_en: str,
    *,
    numerator_code: str,
    denominator_code: str,
    polarity: Polarity,
    theme: str,
) -> DemoIndicator:
    return DemoIndicator(
        code=code,
        name_de=name_de,
        name_en=name_en,
        description_de=description_de,
        description_en=description_en,
        unit="%",
        polarity=polarity,
        kind="share",
        numerator_code=numerator_code,
        denominator_code=denominator_code,
        factor=100.0,
        min_value=0.0,
        max_value=100.0,
        theme=theme,
        aggregation="ratio",
        decimals=2,
    )


#: The indicator catalogue of every demo city, in presentation order.
DEMO_INDICATORS: tuple[DemoIndicator, ...] = (
    DemoIndicator(
        code="inhabitants",
        name_de="Einwohnerinnen und Einwohner",
        name_en="Inhabitants",
        description_de="Zahl der mit Hauptwohnsitz gemeldeten Einwohnerinnen und Einwohner am 31.12.",
        description_en="Number of inhabitants registered with their main residence on 31 December.",
        unit="persons",
        polarity="neutral",
        kind="count",
        numerator_code=None,
        denominator_code=None,
        factor=1.0,
        min_value=0.0,
        max_value=None,
        theme="demography",
        aggregation="sum",
        decimals=0,
    ),
    _share(
        "unemployment",
        "Arbeitslosigkeit",
        "Unemployment",
        "Anteil der Arbeitslosen (SGB II und III) an den Einwohnerinnen und Einwohnern "
        "von 15 bis unter 65 Jahren.",
        "Registered unemployed (SGB II and III) as a share of inhabitants aged 15 to under 65.",
        numerator_code="unemployed",
        denominator_code="population_15_65",
        polarity="higher_is_worse",
        theme="labour",
    ),
    _share(
        "long_term_unemployment",
        "Langzeitarbeitslosigkeit",
        "Long-term unemployment",
        "Anteil der seit mindestens einem Jahr Arbeitslosen an den Einwohnerinnen und Einwohnern "
        "von 15 bis unter 65 Jahren.",
        "People unemployed for a year or longer as a share of inhabitants aged 15 to under 65.",
        numerator_code="long_term_unemployed",
        denominator_code="population_15_65",
        polarity="higher_is_worse",
        theme="labour",
    ),
    _share(
        "transfer_benefits",
        "Transferbezug (SGB II)",
        "Transfer benefits (SGB II)",
        "Anteil der Leistungsberechtigten nach SGB II an den Einwohnerinnen und Einwohnern unter 65 Jahren.",
        "Recipients of basic income support for jobseekers (SGB II) as a share of inhabitants under 65.",
        numerator_code="sgb2_recipients",
        denominator_code="population_under_65",
        polarity="higher_is_worse",
        theme="poverty",
    ),
    _share(
        "child_poverty",
        "Kinderarmut",
        "Child poverty",
        "Anteil der Kinder unter 15 Jahren in Bedarfsgemeinschaften nach SGB II "
        "an allen Kindern unter 15 Jahren.",
        "Children under 15 living in SGB II benefit households as a share of all children under 15.",
        numerator_code="sgb2_recipients_under_15",
        denominator_code="population_under_15",
        polarity="higher_is_worse",
        theme="poverty",
    ),
    _share(
        "single_parent_households",
        "Alleinerziehende",
        "Single-parent households",
        "Anteil der Haushalte von Alleinerziehenden an allen Haushalten mit Kindern unter 18 Jahren.",
        "Single-parent households as a share of all households with children under 18.",
        numerator_code="single_parent_households",
        denominator_code="households_with_children",
        polarity="higher_is_worse",
        theme="demography",
    ),
    _share(
        "migration_background",
        "Migrationshintergrund",
        "Migration background",
        "Anteil der Einwohnerinnen und Einwohner mit Migrationshintergrund "
        "an allen Einwohnerinnen und Einwohnern.",
        "Inhabitants with a migration background as a share of all inhabitants.",
        numerator_code="population_migration_background",
        denominator_code="inhabitants",
        polarity="neutral",
        theme="migration",
    ),
    _share(
        "foreign_nationals",
        "Ausländische Staatsangehörige",
        "Foreign nationals",
        "Anteil der Einwohnerinnen und Einwohner ohne deutsche Staatsangehörigkeit "
        "an allen Einwohnerinnen und Einwohnern.",
        "Inhabitants without German citizenship as a share of all inhabitants.",
        numerator_code="population_foreign",
        denominator_code="inhabitants",
        polarity="neutral",
        theme="migration",
    ),
    _share(
        "age_under_18",
        "Minderjährige",
        "Minors",
        "Anteil der Einwohnerinnen und Einwohner unter 18 Jahren an allen Einwohnerinnen und Einwohnern.",
        "Inhabitants under 18 as a share of all inhabitants.",
        numerator_code="population_under_18",
        denominator_code="inhabitants",
        polarity="neutral",
        theme="demography",
    ),
    _share(
        "age_65_plus",
        "Ältere Menschen",
        "Older people",
        "Anteil der Einwohnerinnen und Einwohner ab 65 Jahren an allen Einwohnerinnen und Einwohnern.",
        "Inhabitants aged 65 and over as a share of all inhabitants.",
        numerator_code="population_65_plus",
        denominator_code="inhabitants",
        polarity="neutral",
        theme="demography",
    ),
    DemoIndicator(
        code="residential_mobility",
        name_de="Wanderungsvolumen",
        name_en="Residential mobility",
        description_de=(
            "Summe der Zu- und Fortzüge über die Gebietsgrenze je 100 Einwohnerinnen und Einwohner."
        ),
        description_en="Moves into and out of the area per 100 inhabitants.",
        unit="per 100 inhabitants",
        polarity="higher_is_worse",
        kind="ratio",
        numerator_code="moves",
        denominator_code="inhabitants",
        factor=100.0,
        min_value=0.0,
        max_value=None,
        theme="housing",
        aggregation="ratio",
        decimals=2,
    ),
    _share(
        "old_age_poverty",
        "Altersarmut",
        "Old-age poverty",
        "Anteil der Empfängerinnen und Empfänger von Grundsicherung im Alter "
        "an den Einwohnerinnen und Einwohnern ab 65 Jahren.",
        "Recipients of basic income support in old age as a share of inhabitants aged 65 and over.",
        numerator_code="basic_income_support_65_plus",
        denominator_code="population_65_plus",
        polarity="higher_is_worse",
        theme="poverty",
    ),
    _share(
        "residential_duration_5y",
        "Wohndauer über 5 Jahre",
        "Residence of 5 years or more",
        "Anteil der Einwohnerinnen und Einwohner, die seit mindestens fünf Jahren "
        "an derselben Adresse wohnen.",
        "Share of inhabitants who have lived at the same address for at least five years.",
        numerator_code="residents_5y_at_address",
        denominator_code="inhabitants",
        polarity="higher_is_better",
        theme="housing",
    ),
    _share(
        "social_housing",
        "Sozialwohnungen",
        "Social housing",
        "Anteil der mietpreis- und belegungsgebundenen Sozialwohnungen an allen Wohnungen.",
        "Rent-controlled social housing dwellings as a share of all dwellings.",
        numerator_code="social_housing_dwellings",
        denominator_code="dwellings",
        polarity="neutral",
        theme="housing",
    ),
    DemoIndicator(
        code="mean_age",
        name_de="Durchschnittsalter",
        name_en="Mean age",
        description_de="Durchschnittliches Alter der Einwohnerinnen und Einwohner in Jahren.",
        description_en="Average age of the inhabitants in years.",
        unit="years",
        polarity="neutral",
        kind="value",
        numerator_code=None,
        denominator_code=None,
        factor=1.0,
        min_value=0.0,
        max_value=100.0,
        theme="demography",
        aggregation="weighted_mean",
        decimals=1,
        weight_code="inhabitants",
    ),
)
