"""The Reader: the library's reads for one request, each published for the audience of the principal in the
city it comes from, and memoised per data version in the process's :class:`Caches` (see
:mod:`bettercities.views.cache` and :mod:`bettercities.figures.shapes`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.access.policy import ANONYMOUS, Principal, audience_for
from bettercities.areas import service as areas
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.areas.schemas import LevelOut
from bettercities.core.errors import NotFound
from bettercities.figures.shapes import Frame, LevelShapes, ShapeCache
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Period
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import IndicatorOut, PeriodOut, Series
from bettercities.publication import Audience
from bettercities.views.cache import ValueCache, ValueTable, data_stamp

T = TypeVar("T")


@dataclass
class Caches:
    """The memo caches of one process (one per web app)."""

    values: ValueCache = field(default_factory=ValueCache)
    shapes: ShapeCache = field(default_factory=ShapeCache)

    def clear(self) -> None:
        self.values.clear()
        self.shapes.clear()


class Reader:
    """Library reads for one request, memoised in ``caches`` (no caching when ``None``).

    Every value is published for the audience ``principal`` belongs to in the city it comes from
    (:func:`~bettercities.access.policy.audience_for`), unless ``audience`` fixes one audience for all
    cities (the CLI, warming the caches). Cache entries are keyed on that audience (and, for the public,
    on the principal's networks, which may see data their member cities share).
    """

    def __init__(
        self,
        session: Session,
        caches: Caches | None = None,
        *,
        principal: Principal = ANONYMOUS,
        audience: Audience | None = None,
        budget: int | None = None,
    ):
        self.session = session
        self.caches = caches
        self.principal = principal
        self.fixed_audience = audience
        #: the most permutation draws × areas an analysis may cost (the web's limit for anonymous callers)
        self.budget = budget
        self._stamp: tuple | None = None

    def audience(self, city_id: int) -> Audience:
        """The audience the values of city ``city_id`` are published for."""
        if self.fixed_audience is not None:
            return self.fixed_audience
        return audience_for(self.principal, city_id)

    def networks(self, city_id: int) -> frozenset[int]:
        """The networks whose shared data the principal sees in city ``city_id``: they only widen what the
        public audience sees (members and the data team see the city's data anyway)."""
        if self.audience(city_id) != Audience.PUBLIC:
            return frozenset()
        return self.principal.networks

    def audience_key(self, city_id: int) -> tuple:
        """What decides the published values of city ``city_id`` for this principal: the audience and, for
        the public, the networks whose shared data it sees (part of every cache key)."""
        return (self.audience(city_id).value, tuple(sorted(self.networks(city_id))))

    @property
    def stamp(self) -> tuple:
        if self._stamp is None:
            self._stamp = data_stamp(self.session)
        return self._stamp

    def _memo(self, key: tuple, compute: Callable[[], T], *, city_id: int | None) -> T:
        """``compute()`` memoised under ``key`` and, when ``city_id`` is given, the audience for that city."""
        if self.caches is None:
            return compute()
        audience = self.audience_key(city_id) if city_id is not None else ("any",)
        return self.caches.values.get((*key, *audience), self.stamp, compute)

    def memo(self, key: tuple, compute: Callable[[], T], *, city_id: int | None = None) -> T:
        """``compute()``, memoised under ``key`` until the data change (for other domains' views).

        Pass ``city_id`` when the result depends on what the principal may see in that city.
        """
        return self._memo(("memo", *key), compute, city_id=city_id)

    def city_id(self, slug: str) -> int:
        """The id of city ``slug`` (:class:`NotFound` when there is none), memoised per data version."""
        return self._memo(("city_id", slug), lambda: areas.get_city(self.session, slug).id, city_id=None)

    def indicators(self, city: City) -> list[IndicatorOut]:
        return self._memo(
            ("indicators", city.id), lambda: indicators.list_indicators(self.session, city), city_id=None
        )

    def periods(self, city: City, indicator: Indicator) -> list[PeriodOut]:
        return self._memo(
            ("periods", city.id, indicator.id),
            lambda: indicators.list_periods(self.session, city, indicator),
            city_id=None,
        )

    def levels(self, city: City) -> list[LevelOut]:
        return self._memo(("levels", city.id), lambda: areas.list_levels(self.session, city), city_id=None)

    def table(self, indicator: Indicator, period: Period, level: SpatialLevel) -> ValueTable:
        def compute() -> ValueTable:
            values, derived = indicators.level_values(
                self.session,
                indicator,
                period,
                level,
                audience=self.audience(level.city_id),
                networks=self.networks(level.city_id),
            )
            return ValueTable.from_values(values, derived)

        return self._memo(("table", indicator.id, period.id, level.id), compute, city_id=level.city_id)

    def city_series(self, city: City, indicator: Indicator) -> Series:
        return self._memo(
            ("city_series", city.id, indicator.id),
            lambda: indicators.city_values(
                self.session,
                city,
                indicator,
                audience=self.audience(city.id),
                networks=self.networks(city.id),
            ),
            city_id=city.id,
        )

    def frame(self, city_id: int) -> Frame | None:
        """The projection shared by all levels of a city (its extent fills the frame)."""

        def compute() -> Frame | None:
            row = self.session.execute(
                select(
                    func.min(Area.min_lon),
                    func.min(Area.min_lat),
                    func.max(Area.max_lon),
                    func.max(Area.max_lat),
                ).where(Area.city_id == city_id)
            ).one()
            bounds = [float(x) for x in row if x is not None]
            return Frame.around(*bounds) if len(bounds) == 4 else None

        return self._memo(("frame", city_id), compute, city_id=None)

    def shapes(self, city_id: int, level_id: int, period: str | None) -> LevelShapes:
        """SVG paths of the areas of a level valid at the end of ``period`` (all versions when ``None``)."""
        level = self.session.get(SpatialLevel, level_id)
        if level is None or level.city_id != city_id:
            raise NotFound("spatial level", level_id)
        at = parse_period(period).end_date if period else None
        cache = self.caches.shapes if self.caches is not None else ShapeCache(maxsize=1)
        return cache.shapes(self.session, level, at, frame=self.frame(city_id))

    def level_id(self, city_id: int, code: str) -> int:
        found = self.session.scalar(
            select(SpatialLevel.id).where(SpatialLevel.city_id == city_id, SpatialLevel.code == code)
        )
        if found is None:
            raise NotFound("spatial level", code)
        return found


__all__ = ["Caches", "Reader"]
