"""Views of cities, areas and indicators: every number a page or its JSON twin shows is computed here.

The functions only assemble results of the library (areas and indicators services, the publication step,
the classifier), read through a :class:`~bettercities.views.reader.Reader`, which publishes them for the
principal's audience and memoises the expensive parts.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.areas.schemas import LevelOut
from bettercities.core.errors import NotFound
from bettercities.figures.classes import Classification, classify
from bettercities.figures.schemas import ChoroplethData, HistogramBin, MapArea
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Period
from bettercities.indicators.schemas import AreaValue, IndicatorOut, PeriodOut, Series, SeriesPoint
from bettercities.views import registry as registry_views
from bettercities.views.cache import ValueTable
from bettercities.views.navigation import city_links
from bettercities.views.reader import Reader
from bettercities.views.schemas import (
    AreaIndicatorRow,
    AreaRef,
    AreaView,
    CityStartView,
    CityView,
    HomeView,
    IndicatorView,
    RankedValue,
    Summary,
    ViewState,
)

MAX_HISTOGRAM_BINS = 24


# -- helpers -----------------------------------------------------------------------------------------------


def _level_out(levels: list[LevelOut], level: SpatialLevel) -> LevelOut:
    return next(lv for lv in levels if lv.id == level.id)


def _choose_indicator(reader: Reader, city: City, code: str | None) -> tuple[Indicator, list[IndicatorOut]]:
    available = reader.indicators(city)
    if code:
        indicator = indicators.get_indicator(reader.session, code)
        if all(i.code != code for i in available):
            raise NotFound("indicator", f"{city.slug}/{code}")
        return indicator, available
    if not available:
        raise NotFound("indicator with data", city.slug)
    preferred = next((i for i in available if i.polarity != "neutral"), available[0])
    return indicators.get_indicator(reader.session, preferred.code), available


def _choose_period(
    reader: Reader, city: City, indicator: Indicator, code: str | None
) -> tuple[Period, list[PeriodOut]]:
    periods = reader.periods(city, indicator)
    if code:
        period = indicators.get_period(reader.session, code)  # PeriodError (a ValueError) for bad notation
        if all(p.code != period.code for p in periods):
            raise NotFound("period", f"{city.slug}/{indicator.code}/{code}")
        return period, periods
    if not periods:
        raise NotFound("period with data", f"{city.slug}/{indicator.code}")
    return indicators.get_period(reader.session, periods[-1].code), periods


def _choose_level(session: Session, city: City, code: str | None) -> SpatialLevel:
    if code:
        return areas.get_level(session, city, code)
    level = areas.finest_level(session, city)
    if level is None:
        raise NotFound("spatial level", city.slug)
    return level


def summarise(table: ValueTable) -> Summary:
    """Count and spread of the published values of ``table``."""
    known = table.value[~np.isnan(table.value)]
    suppressed = int(np.count_nonzero(table.flags & 4))
    has = known.size > 0
    return Summary(
        areas=len(table),
        with_value=int(known.size),
        suppressed=suppressed,
        no_data=len(table) - int(known.size) - suppressed,
        minimum=float(known.min()) if has else None,
        maximum=float(known.max()) if has else None,
        median=float(np.median(known)) if has else None,
        mean=float(known.mean()) if has else None,
    )


def ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each value, 1 = highest; ties share the best rank; NaN gets 0."""
    out = np.zeros(len(values), dtype=int)
    known = ~np.isnan(values)
    data = values[known]
    if data.size:
        ordered = np.sort(data)[::-1]
        # rank = 1 + number of values strictly greater
        out[known] = 1 + np.searchsorted(-ordered, -data, side="left")
    return out


def _point(series: Series, period: str) -> SeriesPoint | None:
    return next((p for p in series.points if p.period == period), None)


def _classification(table: ValueTable, state: ViewState, indicator: Indicator) -> Classification:
    values = [None if np.isnan(v) else float(v) for v in table.value]
    return classify(values, method=state.classes, k=state.k, polarity=indicator.polarity)


def histogram(table: ValueTable, classification: Classification) -> list[HistogramBin]:
    """Equal-width bins of the published values, coloured by the map class of each bin's midpoint."""
    known = table.value[~np.isnan(table.value)]
    if known.size == 0:
        return []
    if float(known.min()) == float(known.max()):
        edges = np.array([known.min() - 0.5, known.max() + 0.5])
    else:
        edges = np.histogram_bin_edges(known, bins="auto")
        if len(edges) - 1 > MAX_HISTOGRAM_BINS:
            edges = np.histogram_bin_edges(known, bins=MAX_HISTOGRAM_BINS)
    counts, edges = np.histogram(known, bins=edges)
    bins = []
    for i, count in enumerate(counts):
        middle = (edges[i] + edges[i + 1]) / 2
        colour = classification.no_data_colour
        for cls in classification.classes:
            if middle <= cls.upper or cls is classification.classes[-1]:
                colour = cls.colour
                break
        bins.append(
            HistogramBin(lower=float(edges[i]), upper=float(edges[i + 1]), count=int(count), colour=colour)
        )
    return bins


# -- views -------------------------------------------------------------------------------------------------


def home_view(reader: Reader) -> HomeView:
    """The cities of the workspace and the size of the registry."""
    count = len(indicators.list_indicators(reader.session))
    return HomeView(cities=areas.using_cities(reader.session), indicators=count)


def city_view(reader: Reader, slug: str, state: ViewState) -> CityView:
    """The city page for ``state`` (indicator, period and level default to the most telling choice)."""
    session = reader.session
    city = areas.get_city(session, slug)
    indicator, available = _choose_indicator(reader, city, state.indicator)
    period, periods = _choose_period(reader, city, indicator, state.period)
    level = _choose_level(session, city, state.level)
    levels = reader.levels(city)
    table = reader.table(indicator, period, level)
    state = state.model_copy(update={"indicator": indicator.code, "period": period.code, "level": level.code})
    classification = _classification(table, state, indicator)
    map_areas = [
        MapArea(
            code=v.area_code,
            name=v.area_name,
            value=v.value,
            suppressed=v.suppressed,
            estimated=v.estimated,
            provisional=v.provisional,
            class_index=classification.assignments[i],
            fill=classification.colour_of(i),
        )
        for i, v in enumerate(table.area_values())
    ]
    series = reader.city_series(city, indicator)
    return CityView(
        state=state,
        city=areas.city_out(session, city),
        levels=levels,
        indicators=available,
        periods=periods,
        indicator=indicators.indicator_out(indicator),
        period=indicators.period_out(period),
        level=_level_out(levels, level),
        derived=table.derived,
        map=ChoroplethData(
            level=level.code,
            period=period.code,
            indicator=indicator.code,
            classification=classification,
            areas=map_areas,
        ),
        summary=summarise(table),
        city_value=_point(series, period.code),
        city_series=series,
        links=city_links(
            reader, city, indicators=available, indicator=indicator.code, period=period.code, level=level.code
        ),
    )


def city_start_view(reader: Reader, slug: str) -> CityStartView:
    """The page of a city with no indicator data the viewer may see yet (a new city): its levels and links."""
    session = reader.session
    city = areas.get_city(session, slug)
    return CityStartView(
        city=areas.city_out(session, city),
        levels=reader.levels(city),
        links=city_links(reader, city, indicators=[], indicator=None, period=None, level=None),
        profile=registry_views.profile(session, city),
        networks=registry_views.city_networks(session, city.id),
    )


def indicator_view(reader: Reader, slug: str, code: str, state: ViewState) -> IndicatorView:
    """The indicator page: definition, histogram, ranking of the areas of a level, city series."""
    session = reader.session
    city = areas.get_city(session, slug)
    indicator, _ = _choose_indicator(reader, city, code)
    period, periods = _choose_period(reader, city, indicator, state.period)
    level = _choose_level(session, city, state.level)
    levels = reader.levels(city)
    table = reader.table(indicator, period, level)
    state = state.model_copy(update={"indicator": indicator.code, "period": period.code, "level": level.code})
    classification = _classification(table, state, indicator)
    rank = ranks(table.value)
    order = sorted(range(len(table)), key=lambda i: (rank[i] == 0, rank[i], table.codes[i]))
    ranking = [RankedValue(**table.at(i).model_dump(), rank=int(rank[i]) or None) for i in order]
    series = reader.city_series(city, indicator)
    return IndicatorView(
        state=state,
        city=areas.city_out(session, city),
        levels=levels,
        periods=periods,
        indicator=indicators.indicator_out(indicator),
        period=indicators.period_out(period),
        level=_level_out(levels, level),
        derived=table.derived,
        summary=summarise(table),
        classification=classification,
        histogram=histogram(table, classification),
        ranking=ranking,
        city_value=_point(series, period.code),
        city_series=series,
    )


def _area_points(
    reader: Reader,
    city: City,
    area: Area,
    level: SpatialLevel,
    indicator: Indicator,
    period_objects: dict[str, Period],
) -> tuple[list[SeriesPoint], dict[str, ValueTable]]:
    """The area's series: stored values, else its level's values (aggregated when the level has none)."""
    session = reader.session
    series = indicators.area_series(
        session, area, indicator, audience=reader.audience(city.id), networks=reader.networks(city.id)
    )
    stored = {p.period: p for p in series.points}
    points: list[SeriesPoint] = []
    tables: dict[str, ValueTable] = {}
    for info in reader.periods(city, indicator):
        point = stored.get(info.code)
        if point is None:
            tables[info.code] = reader.table(indicator, period_objects[info.code], level)
            value = tables[info.code].get(area.code)
            if value is None or (value.value is None and not value.suppressed):
                continue
            point = SeriesPoint(
                period=info.code,
                value=value.value,
                suppressed=value.suppressed,
                provisional=value.provisional,
                estimated=value.estimated,
            )
        points.append(point)
    return points, tables


def _periods_by_code(session: Session) -> dict[str, Period]:
    return {p.code: p for p in session.scalars(select(Period)).all()}


def _area_row(
    reader: Reader,
    city: City,
    area: Area,
    level: SpatialLevel,
    indicator: Indicator,
    out: IndicatorOut,
    period_objects: dict[str, Period],
) -> AreaIndicatorRow:
    points, tables = _area_points(reader, city, area, level, indicator, period_objects)
    series = Series(indicator=indicator.code, area_code=area.code, points=points)
    city_series = reader.city_series(city, indicator)
    # A count (inhabitants …) adds up over the areas: the city total is no yardstick for one area.
    comparable = indicator.aggregation != "sum" and indicator.kind != "count"
    row = AreaIndicatorRow(
        indicator=out, period=None, value=None, comparable=comparable, series=series, city_series=city_series
    )
    if not points:
        return row
    latest = points[-1]
    table = tables.get(latest.period) or reader.table(indicator, period_objects[latest.period], level)
    position = table.index.get(area.code)
    rank = ranks(table.value)
    current = table.at(position) if position is not None else None
    city_point = _point(city_series, latest.period)
    city_value = city_point.value if city_point else None
    return row.model_copy(
        update={
            "period": latest.period,
            "value": latest.value,
            "suppressed": latest.suppressed,
            "provisional": latest.provisional,
            "estimated": latest.estimated or bool(current and current.estimated),  # stored or derived
            "city_value": city_value,
            "difference": (
                latest.value - city_value
                if row.comparable and latest.value is not None and city_value is not None
                else None
            ),
            "rank": (int(rank[position]) or None) if position is not None else None,
            "ranked": int(np.count_nonzero(~np.isnan(table.value))),
        }
    )


def area_view(reader: Reader, slug: str, code: str, state: ViewState) -> AreaView:
    """The profile of area ``code``: all indicators with data in the city, each beside the city's value."""
    session = reader.session
    city = areas.get_city(session, slug)
    level_filter = areas.get_level(session, city, state.level) if state.level else None
    area = areas.get_area(session, city, code, level=level_filter)
    level = session.get(SpatialLevel, area.level_id)
    assert level is not None
    levels = reader.levels(city)
    parent = session.get(Area, area.parent_id) if area.parent_id else None
    children = session.scalars(select(Area).where(Area.parent_id == area.id).order_by(Area.code)).all()
    child_level = next((lv.code for lv in levels if lv.parent == level.code), "")
    parent_level = next((lv.code for lv in levels if lv.code == (_level_out(levels, level).parent or "")), "")
    registry = indicators.indicators_by_code(session)
    period_objects = _periods_by_code(session)
    rows = [
        _area_row(reader, city, area, level, registry[out.code], out, period_objects)
        for out in reader.indicators(city)
    ]
    state = state.model_copy(update={"level": level.code})
    return AreaView(
        state=state,
        city=areas.city_out(session, city),
        area=areas.area_out(area, level.code, parent.code if parent else None),
        level=_level_out(levels, level),
        parent=AreaRef(code=parent.code, name=parent.name, level=parent_level) if parent else None,
        children=[AreaRef(code=c.code, name=c.name, level=child_level) for c in children],
        locator_level=levels[0].code if levels else None,
        rows=rows,
    )


def series_view(
    reader: Reader, slug: str, indicator_code: str, *, area_code: str | None = None, level: str | None = None
) -> Series:
    """The series of an indicator for the whole city (``area_code`` ``None``) or for one area."""
    session = reader.session
    city = areas.get_city(session, slug)
    indicator, _ = _choose_indicator(reader, city, indicator_code)
    if area_code is None:
        return reader.city_series(city, indicator)
    level_filter = areas.get_level(session, city, level) if level else None
    area = areas.get_area(session, city, area_code, level=level_filter)
    area_level = session.get(SpatialLevel, area.level_id)
    assert area_level is not None
    points, _ = _area_points(reader, city, area, area_level, indicator, _periods_by_code(session))
    return Series(indicator=indicator.code, area_code=area.code, points=points)


def level_view(
    reader: Reader, slug: str, indicator_code: str, *, period: str | None = None, level: str | None = None
) -> tuple[ViewState, list[AreaValue]]:
    """Published values of an indicator for the areas of a level in a period (defaults: as the city page)."""
    session = reader.session
    city = areas.get_city(session, slug)
    indicator, _ = _choose_indicator(reader, city, indicator_code)
    chosen_period, _ = _choose_period(reader, city, indicator, period)
    chosen_level = _choose_level(session, city, level)
    table = reader.table(indicator, chosen_period, chosen_level)
    state = ViewState(indicator=indicator.code, period=chosen_period.code, level=chosen_level.code)
    return state, table.area_values()


def warm(reader: Reader, slug: str) -> int:
    """Fill ``reader``'s caches with everything the pages of city ``slug`` need; returns the values computed.

    Order: what a first visitor sees first (the default map, every indicator's city series, the latest
    period at every level), then every other period and level.
    """
    session = reader.session
    city = areas.get_city(session, slug)
    levels = [session.get(SpatialLevel, lv.id) for lv in reader.levels(city)]
    for level in levels:
        assert level is not None
        reader.shapes(city.id, level.id, None)
    registry = indicators.indicators_by_code(session)
    periods = _periods_by_code(session)
    chosen = [registry[i.code] for i in reader.indicators(city)]
    computed = 0
    plan: list[tuple[Indicator, Period, SpatialLevel]] = []
    for indicator in chosen:
        reader.city_series(city, indicator)
        computed += 1
        codes = [p.code for p in reader.periods(city, indicator)]
        for index, code in enumerate(reversed(codes)):
            plan.extend((indicator, periods[code], level) for level in levels if level is not None)
            if index == 0:  # the latest period first, for every indicator
                for item in plan[-len(levels) :]:
                    reader.table(*item)
                    computed += 1
    for item in plan:
        reader.table(*item)
        computed += 1
    for level in levels:
        assert level is not None
        for code in {p.code for i in chosen for p in reader.periods(city, i)}:
            reader.shapes(city.id, level.id, code)
    return computed
