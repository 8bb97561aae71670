"""A generated test city built through the library: nested square areas, indicators, periods, observations.

``build_city`` makes a rectangular city split into a grid of districts, each district split into a grid of
finer areas, and so on. Observations are stored at the finest level only (coarser levels are left to the
platform's aggregation, like real small-area data). Values are deterministic functions of the area's position
and the year, so tests can predict them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import insert

from bettercities.areas import service as areas
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Observation
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import Aggregation, IndicatorKind, IndicatorSpec, Polarity
from bettercities.storage.workspace import Workspace

#: Levels: (code, German name, English name, split of each parent area as (columns, rows)).
LEVELS: tuple[tuple[str, str, str, tuple[int, int]], ...] = (
    ("district", "Bezirk", "district", (2, 1)),
    ("planning_area", "Planungsraum", "planning area", (2, 2)),
)

INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        code="inhabitants",
        name_de="Einwohnerinnen und Einwohner",
        name_en="Inhabitants",
        description_de="Gemeldete Einwohnerinnen und Einwohner am 31.12.",
        description_en="Registered inhabitants on 31 December.",
        unit="persons",
        kind=IndicatorKind.COUNT,
        aggregation=Aggregation.SUM,
        decimals=0,
        theme="demography",
    ),
    IndicatorSpec(
        code="unemployment",
        name_de="Arbeitslosigkeit",
        name_en="Unemployment",
        description_de="Anteil der Arbeitslosen an den Einwohnerinnen und Einwohnern von 15 bis 65 Jahren.",
        description_en="Unemployed as a share of inhabitants aged 15 to 65.",
        unit="%",
        polarity=Polarity.HIGHER_IS_WORSE,
        kind=IndicatorKind.SHARE,
        numerator_code="unemployed",
        denominator_code="population_15_65",
        factor=100,
        aggregation=Aggregation.RATIO,
        decimals=2,
        theme="labour",
    ),
    IndicatorSpec(
        code="green_space",
        name_de="Grünflächenversorgung",
        name_en="Green space",
        description_de="Öffentliche Grünfläche je Einwohnerin und Einwohner.",
        description_en="Public green space per inhabitant.",
        unit="m²",
        polarity=Polarity.HIGHER_IS_BETTER,
        kind=IndicatorKind.VALUE,
        aggregation=Aggregation.WEIGHTED_MEAN,
        decimals=1,
        theme="environment",
    ),
)


#: What a suppressed cell holds in the database (and must never be published).
SECRET_VALUE = 77.777
SECRET_NUMERATOR = 98765.0
SECRET_DENOMINATOR = 126985.0


@dataclass
class BuiltCity:
    """What `build_city` made, for assertions."""

    slug: str
    levels: list[str]
    areas: dict[str, list[str]] = field(default_factory=dict)  # level code -> area codes
    periods: list[str] = field(default_factory=list)
    #: (indicator, area, period) of the suppressed observations and their (secret) values
    suppressed: dict[tuple[str, str, str], float] = field(default_factory=dict)


def _square(x0: float, y0: float, x1: float, y1: float, points_per_side: int = 1) -> dict:
    """A counter-clockwise polygon; more points per side make geometry work realistic."""
    n = max(points_per_side, 1)
    xs = np.linspace(x0, x1, n + 1)
    ys = np.linspace(y0, y1, n + 1)
    ring = (
        [(float(x), y0) for x in xs[:-1]]
        + [(x1, float(y)) for y in ys[:-1]]
        + [(float(x), y1) for x in xs[::-1][:-1]]
        + [(x0, float(y)) for y in ys[::-1][:-1]]
    )
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def build_city(
    ws: Workspace,
    *,
    slug: str = "testville",
    name: str = "Testville",
    levels: tuple[tuple[str, str, str, tuple[int, int]], ...] = LEVELS,
    years: tuple[int, ...] = (2021, 2022),
    suppress: tuple[tuple[str, str, str], ...] = (),
    points_per_side: int = 1,
    origin: tuple[float, float] = (13.3, 52.45),
    extent: tuple[float, float] = (0.2, 0.1),
) -> BuiltCity:
    """Create city ``slug`` with ``levels`` of nested squares, three indicators and ``years`` of data.

    ``suppress`` lists ``(indicator, area, period)`` cells stored as suppressed (their value is kept in the
    database, as statistical disclosure control does, and must never be published).
    """
    built = BuiltCity(slug=slug, levels=[lv[0] for lv in levels], periods=[str(y) for y in years])
    with ws.database.session() as session:
        city = areas.create_city(
            session, CitySpec(slug=slug, name=name, country="DE", lat=origin[1], lon=origin[0])
        )
        # (code, parent code, x0, y0, x1, y1) of the areas of the previous level
        parents: list[tuple[str, str | None, float, float, float, float]] = [
            ("", None, origin[0], origin[1], origin[0] + extent[0], origin[1] + extent[1])
        ]
        parent_level: str | None = None
        for depth, (code, name_de, name_en, (cols, rows)) in enumerate(levels):
            level = areas.ensure_level(
                session, city, LevelSpec(code=code, name_de=name_de, name_en=name_en, parent=parent_level)
            )
            children = []
            for parent_code, _, x0, y0, x1, y1 in parents:
                number = 0
                for row in range(rows):
                    for col in range(cols):
                        number += 1
                        cx0 = x0 + (x1 - x0) * col / cols
                        cx1 = x0 + (x1 - x0) * (col + 1) / cols
                        cy0 = y0 + (y1 - y0) * row / rows
                        cy1 = y0 + (y1 - y0) * (row + 1) / rows
                        child = f"{parent_code}{number:02d}"
                        children.append((child, parent_code or None, cx0, cy0, cx1, cy1))
            specs = [
                AreaSpec(
                    code=c,
                    name=f"{name_de} {c}",
                    parent_code=p if depth else None,
                    geometry=_square(a, b, c2, d, points_per_side),
                )
                for c, p, a, b, c2, d in children
            ]
            areas.add_areas(session, city, level, specs)
            built.areas[code] = [c[0] for c in children]
            parents = children
            parent_level = code
        for spec in INDICATORS:
            indicators.register_indicator(session, spec)
        ids = {i.code: i.id for i in indicators.list_indicators(session)}
        period_ids = indicators.ensure_periods(session, [parse_period(str(y)) for y in years])
        finest = areas.finest_level(session, city)
        assert finest is not None
        area_ids = areas.area_codes(session, finest)
        rows_out = []
        for index, area_code in enumerate(sorted(area_ids)):
            for y_index, year in enumerate(years):
                period = str(year)
                people = 1000 + 100 * index + 10 * y_index
                labour = round(people * 0.6)
                unemployed = round(labour * (0.02 + 0.01 * (index % 7) + 0.005 * y_index))
                green = 5.0 + 2.5 * (index % 5) + y_index
                cells = {
                    "inhabitants": (float(people), None, None),
                    "unemployment": (round(100 * unemployed / labour, 2), float(unemployed), float(labour)),
                    "green_space": (green, None, None),
                }
                for ind_code, (value, num, den) in cells.items():
                    hidden = (ind_code, area_code, period) in suppress
                    if hidden:
                        # A value no other cell has, so that a leak anywhere is detectable.
                        value, num, den = SECRET_VALUE, SECRET_NUMERATOR, SECRET_DENOMINATOR
                        built.suppressed[(ind_code, area_code, period)] = value
                    rows_out.append(
                        {
                            "indicator_id": ids[ind_code],
                            "area_id": area_ids[area_code],
                            "period_id": period_ids[period],
                            "value": value,
                            "numerator": num,
                            "denominator": den,
                            "suppressed": hidden,
                        }
                    )
        # Core executemany: fast, and applies the columns' Python-side defaults (revision, created_at …).
        session.execute(insert(Observation), rows_out)
    return built
