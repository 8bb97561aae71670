"""Outlier flags for tests of writes that resolve one: a new open flag on a chosen indicator's value."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area
from bettercities.indicators.models import Indicator, Observation
from bettercities.quality.models import OutlierFlag

__all__ = ["open_flag"]


def open_flag(session: Session, city: str, indicator: str, *, with_value: bool = False) -> int:
    """Add an open ``zscore`` flag on the first current observation (by id) of ``indicator`` in ``city``
    that has no flag yet (and, with ``with_value``, a value), and return the flag's id."""
    found = areas.get_city(session, city)
    query = (
        select(Observation)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .where(
            Indicator.code == indicator,
            Observation.is_current.is_(True),
            Observation.id.not_in(select(OutlierFlag.observation_id)),
            Observation.area_id.in_(select(Area.id).where(Area.city_id == found.id)),
        )
        .order_by(Observation.id)
        .limit(1)
    )
    if with_value:
        query = query.where(Observation.value.is_not(None))
    target = session.scalars(query).one()
    flag = OutlierFlag(city_id=found.id, observation_id=target.id, indicator_id=target.indicator_id,
                       area_id=target.area_id, period_id=target.period_id, method="zscore",
                       value=target.value, score=5.0, message="test")  # fmt: skip
    session.add(flag)
    session.flush()
    return flag.id
