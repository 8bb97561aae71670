"""The crosswalk page's use case: one indicator in one period on the old areas of a crosswalk and carried to
its new ones, as an audience may see them (the carried values under the rule of :mod:`.carried`)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.areas.queries import crosswalk_detail
from bettercities.areas.schemas import CrosswalkDetail
from bettercities.indicators import service
from bettercities.indicators.models import Indicator, Observation
from bettercities.indicators.schemas import AreaValue, IndicatorOut, PeriodOut
from bettercities.publication import Audience


class CarriedView(BaseModel):
    """One indicator in one period across a crosswalk: the values reported on the old areas and the values
    carried to the new ones (estimates), each as the audience may see them."""

    crosswalk: CrosswalkDetail
    indicator: IndicatorOut
    period: PeriodOut
    stored: bool = Field(description="The carried values are stored as estimated observations.")
    sources: list[AreaValue] = Field(description="Values reported on the old areas.")
    targets: list[AreaValue] = Field(description="Values carried to the new areas (estimated).")


def carried_view(
    session: Session,
    city_slug: str,
    code: str,
    indicator_code: str,
    period_code: str,
    *,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
    store: bool = False,
) -> CarriedView:
    """The values of ``indicator_code`` in ``period_code`` on the old areas of crosswalk ``code`` and
    carried to its new areas (with ``store``, written as estimated observations first)."""
    city = areas.get_city(session, city_slug)
    walk = areas.get_crosswalk(session, city, code)
    indicator = service.get_indicator(session, indicator_code)
    period = service.get_period(session, period_code)
    detail = crosswalk_detail(session, city_slug, code)
    old_codes = {link.source_code for link in detail.links}
    sources: list[AreaValue] = []
    if detail.source_level is not None:
        level = areas.get_level(session, city, detail.source_level)
        published, _ = service.level_values(
            session, indicator, period, level, audience=audience, networks=networks
        )
        sources = [v for v in published if v.area_code in old_codes]
    targets = service.carry_over(session, walk, indicator, period, store=store, audience=audience)
    return CarriedView(
        crosswalk=detail,
        indicator=service.indicator_out(indicator),
        period=service.period_out(period),
        stored=store or _stored(session, city, detail, indicator, period.id),
        sources=sources,
        targets=targets,
    )


def _stored(
    session: Session, city: City, detail: CrosswalkDetail, indicator: Indicator, period_id: int
) -> bool:
    new_codes = sorted({link.target_code for link in detail.links})
    found = session.scalar(
        select(Observation.id)
        .join(Area, Area.id == Observation.area_id)
        .join(SpatialLevel, SpatialLevel.id == Area.level_id)
        .where(
            Area.city_id == city.id,
            SpatialLevel.code == detail.target_level,
            Area.code.in_(new_codes),
            Observation.indicator_id == indicator.id,
            Observation.period_id == period_id,
            Observation.is_current.is_(True),
            Observation.estimated.is_(True),
        )
        .limit(1)
    )
    return found is not None


__all__ = ["CarriedView", "carried_view"]
