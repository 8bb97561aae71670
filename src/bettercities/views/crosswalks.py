"""The crosswalk pages: a city's crosswalks between boundary versions, and one crosswalk with the values of a
chosen indicator and period on its old areas and carried to its new ones (estimates, published for the
reader's audience under the rule of :mod:`bettercities.indicators.carried`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bettercities.areas import queries
from bettercities.areas import service as areas
from bettercities.areas.schemas import CrosswalkDetail, CrosswalkOut, LevelOut
from bettercities.core.errors import NotFound
from bettercities.indicators import service as indicators
from bettercities.indicators.crosswalks import CarriedView, carried_view
from bettercities.indicators.schemas import IndicatorOut, PeriodOut
from bettercities.views.reader import Reader

__all__ = ["CrosswalkListView", "CrosswalkPageView", "crosswalk_list_view", "crosswalk_page_view"]


class CrosswalkListView(BaseModel):
    """The crosswalks of a city."""

    city: str
    city_name: str
    crosswalks: list[CrosswalkOut]
    levels: list[LevelOut] = Field(description="The city's levels (for their names).")


class CrosswalkPageView(BaseModel):
    """One crosswalk; the values of the chosen indicator and period on both sides (``carried`` is ``None``
    when the old areas have no data)."""

    city: str
    city_name: str
    crosswalk: CrosswalkDetail
    levels: list[LevelOut] = Field(description="The city's levels (for their names).")
    indicators: list[IndicatorOut] = Field(description="Indicators the city has data for.")
    periods: list[PeriodOut] = Field(description="Periods of the chosen indicator.")
    indicator: str | None
    period: str | None
    carried: CarriedView | None = None


def crosswalk_list_view(reader: Reader, slug: str) -> CrosswalkListView:
    city = areas.get_city(reader.session, slug)
    return CrosswalkListView(
        city=city.slug,
        city_name=city.name,
        crosswalks=queries.crosswalks(reader.session, slug),
        levels=areas.list_levels(reader.session, city),
    )


def crosswalk_page_view(
    reader: Reader, slug: str, code: str, *, indicator: str | None = None, period: str | None = None
) -> CrosswalkPageView:
    """Crosswalk ``code`` with ``indicator`` (default: the first the city has data for) in ``period``
    (default: its latest period with data); an unknown indicator or period is :class:`NotFound`."""
    session = reader.session
    city = areas.get_city(session, slug)
    detail = queries.crosswalk_detail(session, slug, code)
    choices = indicators.list_indicators(session, city)
    chosen = indicator or (choices[0].code if choices else None)
    if chosen is not None and chosen not in {i.code for i in choices}:
        raise NotFound("indicator", chosen)
    periods = (
        indicators.list_periods(session, city, indicators.get_indicator(session, chosen)) if chosen else []
    )
    when = period or (periods[-1].code if periods else None)
    carried = None
    if chosen is not None and when is not None:
        carried = carried_view(
            session,
            slug,
            code,
            chosen,
            when,
            audience=reader.audience(city.id),
            networks=reader.networks(city.id),
        )
        when = carried.period.code
    return CrosswalkPageView(
        city=city.slug,
        city_name=city.name,
        crosswalk=detail,
        levels=areas.list_levels(session, city),
        indicators=choices,
        periods=periods,
        indicator=chosen,
        period=when,
        carried=carried,
    )
