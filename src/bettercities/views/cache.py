"""In-process memo of computed indicator values, so repeat page views do not recompute aggregates.

The library computes values on read (:func:`~bettercities.indicators.service.level_values` aggregates up the
hierarchy, :func:`~bettercities.indicators.service.city_values` combines a whole city per period). That is
correct but costs 10–200 ms per call, and an area profile needs dozens of calls. :class:`ValueCache` keeps
the *published* results (suppression already applied) in compact NumPy form, keyed by the arguments and a
:func:`data_stamp` of the database.

Invalidation
------------
The stamp leads with the storage's data version (:mod:`bettercities.storage.versioning`), a counter that
every committed write of the application bumps — inserts, in-place updates (a flag suppressed, a definition
edited, an approval step) and deletes alike — so the next request after any write recomputes. It also
carries the largest id of the value tables, which catches rows added by tools that bypass the application;
changes made in place *outside* the application (an UPDATE by hand in psql) are the only ones the stamp
cannot see, and entries therefore still expire after ``ttl`` seconds.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
from cachetools import TTLCache, cached
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bettercities.areas.models import Area
from bettercities.catalog.models import ApprovalEvent, Dataset
from bettercities.indicators.models import ImportBatch, Indicator, Observation, Period
from bettercities.indicators.schemas import AreaValue
from bettercities.storage.database import Database
from bettercities.storage.versioning import DataVersion

T = TypeVar("T")

DEFAULT_TTL = 600.0

_PROVISIONAL, _ESTIMATED, _SUPPRESSED = 1, 2, 4


@functools.cache
def _stamp_query() -> Select[Any]:
    tables: tuple[Any, ...] = (DataVersion.version, Observation.id, Area.id, Indicator.id, Period.id)
    tables += (ImportBatch.id, ApprovalEvent.id, Dataset.modified_at, DataVersion.changed_at)
    return select(*(select(func.max(c)).scalar_subquery() for c in tables))


def data_stamp(session: Session) -> tuple:
    """A cheap marker that changes with every committed write of the application (the data version) and
    whenever rows are added to the value tables, also by other tools. Its last item is the time of the
    data version's last write (:func:`stamp_time`).

    Every request reads it: the statement is built once and runs on the session's connection (~50 µs on
    SQLite; building it and passing it through the ORM each time cost ~1 ms)."""
    return tuple(session.connection().execute(_stamp_query()).one())


def current_stamp(database: Database) -> tuple:
    """:func:`data_stamp` read in a session of its own (for callers outside a request's reader)."""
    with database.reader() as session:
        return data_stamp(session)


def stamp_time(stamp: tuple) -> datetime | None:
    """When the data of ``stamp`` (from :func:`data_stamp`) were last written through the application."""
    changed = stamp[-1]
    if isinstance(changed, str):  # SQLite returns max() of a timestamp as text
        changed = datetime.fromisoformat(changed)
    if isinstance(changed, datetime) and changed.tzinfo is None:
        changed = changed.replace(tzinfo=UTC)
    return changed if isinstance(changed, datetime) else None


@dataclass(frozen=True, eq=False)
class ValueTable:
    """Published values of one indicator, period and level in columns (a compact list of AreaValue)."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    flags: np.ndarray
    revision: np.ndarray
    derived: bool = False
    present: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    protection: tuple[str | None, ...] = ()  # the data team's disclosure-control marks (issue 11)

    @classmethod
    def from_values(cls, values: list[AreaValue], derived: bool) -> ValueTable:
        def column(name: str) -> np.ndarray:
            return np.array([np.nan if getattr(v, name) is None else getattr(v, name) for v in values], float)

        flags = np.array(
            [
                (_PROVISIONAL if v.provisional else 0)
                | (_ESTIMATED if v.estimated else 0)
                | (_SUPPRESSED if v.suppressed else 0)
                for v in values
            ],
            dtype=np.uint8,
        )
        return cls(
            codes=tuple(v.area_code for v in values),
            names=tuple(v.area_name for v in values),
            value=column("value"),
            numerator=column("numerator"),
            denominator=column("denominator"),
            flags=flags,
            revision=np.array([v.revision for v in values], dtype=np.int32),
            derived=derived,
            protection=tuple(v.protection for v in values),
        )

    @cached_property
    def index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    def _num(self, array: np.ndarray, i: int) -> float | None:
        x = float(array[i])
        return None if np.isnan(x) else x

    def at(self, i: int) -> AreaValue:
        flags = int(self.flags[i])
        return AreaValue.model_construct(
            area_code=self.codes[i],
            area_name=self.names[i],
            value=self._num(self.value, i),
            numerator=self._num(self.numerator, i),
            denominator=self._num(self.denominator, i),
            provisional=bool(flags & _PROVISIONAL),
            estimated=bool(flags & _ESTIMATED),
            suppressed=bool(flags & _SUPPRESSED),
            revision=int(self.revision[i]),
            protection=self.protection[i] if self.protection else None,
        )

    def get(self, code: str) -> AreaValue | None:
        i = self.index.get(code)
        return None if i is None else self.at(i)

    def area_values(self) -> list[AreaValue]:
        return [self.at(i) for i in range(len(self.codes))]

    def __len__(self) -> int:
        return len(self.codes)


def _computed(full: Hashable, compute: Callable[[], Any]) -> Any:
    return compute()


class ValueCache:
    """Thread-safe LRU memo with expiry (a cachetools ``TTLCache``); ``get(key, stamp, compute)`` computes
    once per key and stamp: concurrent callers of the same key wait for the first one's result."""

    def __init__(
        self, maxsize: int = 4096, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic
    ):
        self.maxsize = maxsize
        self.ttl = ttl
        self._items: TTLCache[Hashable, Any] = TTLCache(maxsize, ttl, timer=clock)
        self._lock = threading.Condition()
        self._memo = cached(self._items, key=lambda full, compute: full, condition=self._lock, info=True)(
            _computed
        )

    @property
    def misses(self) -> int:
        """How often a value was computed (for tests and benchmarks)."""
        return self._memo.cache_info().misses

    def get(self, key: Hashable, stamp: Hashable, compute: Callable[[], T]) -> T:
        value: T = self._memo((key, stamp), compute)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
