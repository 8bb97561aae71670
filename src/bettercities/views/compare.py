"""The comparison view: two or more areas of a city (of any levels, e.g. a planning area, its district and
another district) side by side — every indicator's value in its latest period, the difference to the first
area, the city-wide value — and the series of one indicator for every area on one chart.

Every value is read through the :class:`~bettercities.views.reader.Reader`, published for the principal's
audience (withheld values have none, so no difference is computed from them) and cached per data version.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.areas.schemas import CityOut, LevelOut
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.indicators import service as indicators
from bettercities.indicators.change import change_unit
from bettercities.indicators.models import Indicator
from bettercities.indicators.schemas import IndicatorOut, Series
from bettercities.views import service as views
from bettercities.views.reader import Reader

__all__ = [
    "MAX_AREAS",
    "MIN_AREAS",
    "AreaChoice",
    "CompareForm",
    "CompareRow",
    "CompareState",
    "CompareView",
    "ComparedArea",
    "ComparedValue",
    "area_choices",
    "compare_form",
    "compare_view",
    "parse_area_key",
]

#: How many areas a comparison takes: at least two, at most so many that a table and a chart stay legible.
MIN_AREAS = 2
MAX_AREAS = 6


class CompareState(BaseModel):
    """What a comparison shows; its page keeps it in the URL (``area`` repeated)."""

    lang: str = "de"
    areas: list[str] = Field(default_factory=list, description="Areas as LEVEL:CODE (or CODE), in order.")
    indicator: str | None = Field(default=None, description="The indicator of the chart.")


class ComparedArea(BaseModel):
    """One area of the comparison."""

    key: str = Field(description="LEVEL:CODE, as in the URL.")
    code: str
    name: str
    level: str
    level_name_de: str
    level_name_en: str
    parent_code: str | None = None

    def name_of_level(self, language: str) -> str:
        return self.level_name_de if language == "de" else self.level_name_en


class ComparedValue(BaseModel):
    """One area's published value of an indicator (or the city's)."""

    value: float | None
    suppressed: bool = False
    estimated: bool = False
    provisional: bool = False
    difference: float | None = Field(
        default=None, description="This value minus the first area's (both published, comparable)."
    )


class CompareRow(BaseModel):
    """One indicator: every area's value in the indicator's latest period, and the city's."""

    indicator: IndicatorOut
    period: str | None = Field(description="Latest period with data in the city.")
    values: list[ComparedValue] = Field(description="One per area, in the order of the comparison.")
    city: ComparedValue | None = None
    difference_unit: str = Field(
        description="Unit of the differences: pp (percentage points) for shares in %."
    )


class AreaChoice(BaseModel):
    """An area the form offers."""

    key: str
    name: str
    level: str


class CompareView(BaseModel):
    """Areas side by side and the series of one indicator."""

    state: CompareState
    city: CityOut
    levels: list[LevelOut]
    areas: list[ComparedArea]
    rows: list[CompareRow]
    indicators: list[IndicatorOut] = Field(description="Indicators with data (the chart's choices).")
    indicator: IndicatorOut | None = Field(description="The indicator of the chart.")
    series: list[Series] = Field(description="The chart's series, one per area, in order.")
    city_series: Series | None = None


def parse_area_key(key: str) -> tuple[str | None, str]:
    """``"district:01"`` -> ``("district", "01")``; ``"0101"`` -> ``(None, "0101")``."""
    level, sep, code = key.partition(":")
    return (level, code) if sep else (None, key)


def _resolve(reader: Reader, city: City, keys: list[str]) -> list[tuple[Area, SpatialLevel]]:
    session = reader.session
    unique = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
    if len(unique) < MIN_AREAS:
        raise InvalidInput(
            f"parameter 'area': choose at least {MIN_AREAS} areas to compare (got {len(unique)})"
        )
    if len(unique) > MAX_AREAS:
        raise InvalidInput(f"parameter 'area': at most {MAX_AREAS} areas can be compared (got {len(unique)})")
    found: dict[int, tuple[Area, SpatialLevel]] = {}
    for key in unique:
        level_code, code = parse_area_key(key)
        level = areas.get_level(session, city, level_code) if level_code else None
        area = areas.get_area(session, city, code, level=level)
        area_level = session.get(SpatialLevel, area.level_id)
        assert area_level is not None
        found.setdefault(area.id, (area, area_level))  # "0101" and "planning_area:0101" are one area
    if len(found) < MIN_AREAS:
        raise InvalidInput(f"parameter 'area': choose at least {MIN_AREAS} different areas to compare")
    return list(found.values())


def _chart_indicator(available: list[IndicatorOut], code: str | None, city: City) -> IndicatorOut | None:
    if code:
        chosen = next((i for i in available if i.code == code), None)
        if chosen is None:
            raise NotFound("indicator", f"{city.slug}/{code}")
        return chosen
    return next((i for i in available if i.polarity != "neutral"), available[0] if available else None)


def _row(
    reader: Reader,
    city: City,
    indicator: Indicator,
    out: IndicatorOut,
    chosen: list[tuple[Area, SpatialLevel]],
) -> CompareRow:
    periods = reader.periods(city, indicator)
    unit = change_unit(out.unit)
    if not periods:
        empty = [ComparedValue(value=None) for _ in chosen]
        return CompareRow(indicator=out, period=None, values=empty, difference_unit=unit)
    latest = indicators.get_period(reader.session, periods[-1].code)
    # a count (inhabitants) adds up: compare counts only between areas of one level
    count = indicator.aggregation == "sum" or indicator.kind == "count"
    values: list[ComparedValue] = []
    for area, level in chosen:
        published = reader.table(indicator, latest, level).get(area.code)
        if published is None:  # not on the level's map in that period (boundary version)
            values.append(ComparedValue(value=None))
            continue
        values.append(
            ComparedValue(
                value=published.value,
                suppressed=published.suppressed,
                estimated=published.estimated,
                provisional=published.provisional,
            )
        )
    first_value, first_level = values[0].value, chosen[0][1].id
    for value, (_, level) in zip(values[1:], chosen[1:], strict=True):
        if value.value is not None and first_value is not None and (not count or level.id == first_level):
            value.difference = value.value - first_value
    point = next((p for p in reader.city_series(city, indicator).points if p.period == latest.code), None)
    city_value = (
        ComparedValue(value=point.value, suppressed=point.suppressed, provisional=point.provisional)
        if point
        else None
    )
    return CompareRow(indicator=out, period=latest.code, values=values, city=city_value, difference_unit=unit)


def compare_view(reader: Reader, slug: str, state: CompareState) -> CompareView:
    """Areas ``state.areas`` of city ``slug`` side by side, and the series of ``state.indicator`` (default:
    the first indicator with a direction).

    Raises :class:`~bettercities.core.errors.InvalidInput` for fewer than :data:`MIN_AREAS` or more than
    :data:`MAX_AREAS` areas, :class:`~bettercities.core.errors.NotFound` for an unknown area or indicator."""
    session = reader.session
    city = areas.get_city(session, slug)
    chosen = _resolve(reader, city, state.areas)
    levels = reader.levels(city)
    names = {lv.code: lv for lv in levels}
    compared = []
    for area, level in chosen:
        parent = (
            session.scalar(select(Area.code).where(Area.id == area.parent_id)) if area.parent_id else None
        )
        compared.append(
            ComparedArea(
                key=f"{level.code}:{area.code}",
                code=area.code,
                name=area.name,
                level=level.code,
                level_name_de=names[level.code].name_de,
                level_name_en=names[level.code].name_en,
                parent_code=parent,
            )
        )
    available = reader.indicators(city)
    registry = indicators.indicators_by_code(session)
    rows = [_row(reader, city, registry[out.code], out, chosen) for out in available]
    charted = _chart_indicator(available, state.indicator, city)
    series: list[Series] = []
    city_series = None
    if charted is not None:
        series = [
            views.series_view(reader, slug, charted.code, area_code=area.code, level=level.code)
            for area, level in chosen
        ]
        city_series = reader.city_series(city, registry[charted.code])
    return CompareView(
        state=state.model_copy(
            update={"areas": [a.key for a in compared], "indicator": charted.code if charted else None}
        ),
        city=areas.city_out(session, city),
        levels=levels,
        areas=compared,
        rows=rows,
        indicators=available,
        indicator=charted,
        series=series,
        city_series=city_series,
    )


def area_choices(reader: Reader, slug: str) -> list[AreaChoice]:
    """Every area of the city's current boundary versions (and older ones), coarse levels first: the form's
    choices."""
    session = reader.session
    city = areas.get_city(session, slug)
    out: list[AreaChoice] = []
    for level in reader.levels(city):
        rows = session.execute(
            select(Area.code, Area.name).where(Area.level_id == level.id).order_by(Area.code).distinct()
        ).all()
        out.extend(AreaChoice(key=f"{level.code}:{code}", name=name, level=level.code) for code, name in rows)
    return out


class CompareForm(BaseModel):
    """What the form of the comparison page offers: the city's areas and indicators."""

    city: CityOut
    levels: list[LevelOut]
    choices: list[AreaChoice]
    indicators: list[IndicatorOut]


def compare_form(reader: Reader, slug: str) -> CompareForm:
    """The choices of the comparison form of city ``slug``."""
    city = areas.get_city(reader.session, slug)
    return CompareForm(
        city=areas.city_out(reader.session, city),
        levels=reader.levels(city),
        choices=area_choices(reader, slug),
        indicators=reader.indicators(city),
    )
