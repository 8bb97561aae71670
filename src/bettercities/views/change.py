"""The change map view: an indicator's change between two periods for the areas of a level, classed on a
diverging scale centred on 0 (its page, its JSON twin, the API and ``bettercities indicators change``).

The values of both periods are read through the :class:`~bettercities.views.reader.Reader` (published for
the principal's audience, cached per data version); :func:`bettercities.indicators.change.area_changes`
turns them into changes, so a withheld value never yields a published change.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from bettercities.areas import service as areas
from bettercities.areas.models import City, SpatialLevel
from bettercities.areas.schemas import CityOut, LevelOut
from bettercities.core.errors import NotFound
from bettercities.figures.change import DivergingScale, diverging_scale
from bettercities.indicators import service as indicators
from bettercities.indicators.change import (
    AreaChange,
    ChangeStatus,
    ChangeSummary,
    area_changes,
    change_unit,
    check_order,
    summarise_changes,
)
from bettercities.indicators.models import Indicator
from bettercities.indicators.schemas import AreaValue, IndicatorOut, PeriodOut, Series
from bettercities.views.reader import Reader

__all__ = ["ChangeRow", "ChangeState", "ChangeView", "change_view"]


class ChangeState(BaseModel):
    """What a change view shows; its page keeps it in the URL (``from`` and ``to`` there)."""

    lang: str = "de"
    indicator: str
    from_period: str | None = None
    to_period: str | None = None
    level: str | None = None


class ChangeRow(AreaChange):
    """One area's change with its class on the diverging scale (``None``: no change published)."""

    class_index: int | None = None


class ChangeView(BaseModel):
    """An indicator's change between two periods for the areas of one level."""

    state: ChangeState
    city: CityOut
    levels: list[LevelOut]
    periods: list[PeriodOut] = Field(description="Periods with data, oldest first (the form's choices).")
    indicator: IndicatorOut
    from_period: PeriodOut
    to_period: PeriodOut
    level: LevelOut
    unit: str = Field(description="Unit of the absolute change: pp (percentage points) for shares in %.")
    rows: list[ChangeRow] = Field(
        description="Areas by absolute change, largest increase first; areas without a change last."
    )
    summary: ChangeSummary
    scale: DivergingScale
    city_change: AreaChange | None = Field(description="The city-wide value's change (when both published).")


def _city_change(series: Series, city: City, before: str, after: str) -> AreaChange | None:
    points = {p.period: p for p in series.points}
    if before not in points or after not in points:
        return None

    def value(period: str) -> AreaValue:
        p = points[period]
        return AreaValue(
            area_code="",
            area_name=city.name,
            value=p.value,
            suppressed=p.suppressed,
            provisional=p.provisional,
            protection=p.protection,
        )

    return area_changes([value(before)], [value(after)])[0]


def _order(row: AreaChange) -> tuple:
    has = row.status == ChangeStatus.CHANGED and row.absolute is not None
    return (not has, -(row.absolute or 0.0) if has else 0.0, row.area_code)


def change_view(reader: Reader, slug: str, code: str, state: ChangeState) -> ChangeView:
    """The change of indicator ``code`` in city ``slug`` from ``state.from_period`` (default: the first
    period with data) to ``state.to_period`` (default: the latest) at ``state.level`` (default: the finest).

    Raises :class:`~bettercities.core.errors.InvalidInput` when the first period does not end before the
    second, :class:`~bettercities.core.errors.NotFound` for an unknown indicator, period or level."""
    session = reader.session
    city = areas.get_city(session, slug)
    indicator: Indicator = indicators.get_indicator(session, code)
    if all(i.code != code for i in reader.indicators(city)):
        raise NotFound("indicator", f"{city.slug}/{code}")
    periods = reader.periods(city, indicator)
    if not periods:
        raise NotFound("period with data", f"{city.slug}/{code}")
    known = {p.code for p in periods}

    def period(wanted: str | None, default: str) -> PeriodOut:
        chosen = indicators.get_period(session, wanted) if wanted else indicators.get_period(session, default)
        if chosen.code not in known:
            raise NotFound("period", f"{city.slug}/{code}/{wanted}")
        return indicators.period_out(chosen)

    before = period(state.from_period, periods[0].code)
    after = period(state.to_period, periods[-1].code)
    before_obj, after_obj = (
        indicators.get_period(session, before.code),
        indicators.get_period(session, after.code),
    )
    check_order(before_obj, after_obj)
    level = areas.get_level(session, city, state.level) if state.level else areas.finest_level(session, city)
    if level is None:
        raise NotFound("spatial level", city.slug)
    levels = reader.levels(city)
    first = reader.table(indicator, before_obj, level).area_values()
    second = reader.table(indicator, after_obj, level).area_values()
    changes = area_changes(first, second)
    published = [c.absolute if c.status == ChangeStatus.CHANGED else None for c in changes]
    scale = diverging_scale(published, polarity=str(indicator.polarity))
    rows = [ChangeRow(**c.model_dump(), class_index=scale.assignments[i]) for i, c in enumerate(changes)]
    rows.sort(key=_order)
    return ChangeView(
        state=state.model_copy(
            update={
                "indicator": code,
                "from_period": before.code,
                "to_period": after.code,
                "level": level.code,
            }
        ),
        city=areas.city_out(session, city),
        levels=levels,
        periods=periods,
        indicator=indicators.indicator_out(indicator),
        from_period=before,
        to_period=after,
        level=_level_out(levels, level),
        unit=change_unit(indicator.unit),
        rows=rows,
        summary=summarise_changes(changes),
        scale=scale,
        city_change=_city_change(reader.city_series(city, indicator), city, before.code, after.code),
    )


def _level_out(levels: list[LevelOut], level: SpatialLevel) -> LevelOut:
    return next(lv for lv in levels if lv.id == level.id)
