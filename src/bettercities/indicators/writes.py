"""The one check every write of observations passes: the locks, then the indicators' rules.

Every library operation that stores observations calls :func:`check_write` before it writes, whatever face
or feature it serves: the import (:func:`bettercities.ingest.service.import_observations`, also behind the
exchange formats and the dataset upload), the outlier queue's correction
(:func:`bettercities.quality.outliers.resolve_flag`) and stored carry-overs
(:func:`bettercities.indicators.service.carry_over` with ``store=True``). The audit needs no call: the
recording hooks on every session (:mod:`bettercities.audit.recording`) log each of these writes.

* **Locks** (:class:`Locked`, a :class:`Conflict`: HTTP 409, CLI exit code 1): domains above register which
  indicators of a city may not be written now. The catalogue registers its lock (an approved or published
  dataset's indicators, :func:`bettercities.catalog.approval.ensure_writable`); the manifest names the
  module (:attr:`bettercities.domains.Domain.write_rules`), imported on first use, so no lock depends on what
  happened to be imported.
* **Rules** (:class:`RuleBroken`, an :class:`InvalidInput` with a report: HTTP 422, CLI exit code 2): every
  value is a finite number (NaN and infinities are refused: a database stores NaN as an empty value) within
  the indicator's declared ``min_value`` .. ``max_value``.

Nothing is written when either refuses: callers check before their first write.

* **One writer per city** (:func:`serialise`): the check first takes the city's write lock, held until the
  caller's transaction ends, so two imports revising the same cells run one after the other and the
  second plans its revisions against what the first wrote (issue 10; was a raw ``IntegrityError``).
  PostgreSQL: a transaction-level advisory lock on the city; SQLite: the database's write lock (waited
  for up to the busy timeout).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities import domains
from bettercities.core.arrays import distinct
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.indicators.models import Indicator


class Locked(Conflict):
    """The observations may not be written now: their data are locked (e.g. an approved dataset's)."""


class RuleBroken(InvalidInput):
    """A value breaks its indicator's rules (not a finite number, outside the declared range)."""


class Lock(Protocol):
    """Raise :class:`Locked` when observations of ``indicator_ids`` in city ``city_id`` may not be written."""

    def __call__(self, session: Session, city_id: int, indicator_ids: Sequence[int], /) -> None: ...


L = TypeVar("L", bound=Lock)

_locks: list[Lock] = []
_extensions = domains.Extensions(domains.write_rules_modules)

#: Problems listed in a refusal; the rest are counted.
MAX_LISTED = 20


def locks(rule: L) -> L:
    """Register ``rule`` as a lock on observation writes (usable as a decorator)."""
    if rule not in _locks:
        _locks.append(rule)
    return rule


def registered_locks() -> tuple[Lock, ...]:
    """Every registered lock (after importing the modules the manifest names)."""
    _extensions.load()
    return tuple(_locks)


def check_write(
    session: Session,
    city_id: int,
    indicator_ids: Iterable[int] | np.ndarray,
    values: Iterable[float | None] | np.ndarray,
    *,
    present: np.ndarray | None = None,
    source: str | None = None,
) -> None:
    """Refuse a write of observations before anything is written.

    ``indicator_ids`` and ``values`` are parallel: the indicator of each value written and the value
    (``None`` where a row stores no value, e.g. a suppressed cell; a caller holding an array marks the
    rows with a value in ``present`` instead). Raises :class:`Locked` when a registered lock holds any of
    the indicators in city ``city_id``, else :class:`RuleBroken` listing the values that are not a finite
    number (NaN included) or lie outside their indicator's range; ``source`` (a file name, an outlier
    flag) is named in the message.
    """
    ids = np.asarray(indicator_ids if isinstance(indicator_ids, np.ndarray) else list(indicator_ids))
    if isinstance(values, np.ndarray):
        numbers = values.astype(np.float64, copy=False)
        present = np.ones(len(numbers), dtype=bool) if present is None else present
    else:
        given = list(values)
        present = present if present is not None else np.array([v is not None for v in given], dtype=bool)
        numbers = np.array([np.nan if v is None else v for v in given], dtype=np.float64)
    if len(ids) != len(numbers):
        raise ValueError(f"{len(ids)} indicator ids for {len(numbers)} values")
    unique = sorted({int(i) for i in distinct(ids)}) if len(ids) else []
    serialise(session, city_id)
    for rule in registered_locks():
        rule(session, city_id, unique)
    _check_rules(session, ids, numbers, present, unique, source)


#: First key of the advisory locks of observation writes (PostgreSQL); the second is the city's id.
LOCK_SPACE = 0x0B5E  # "obse(rvations)"


def serialise(session: Session, city_id: int) -> None:
    """Wait for the write lock of city ``city_id``'s observations; held until the transaction ends.

    Taken before the caller reads the stored revisions it compares with, so that concurrent writers of
    the same city's observations see each other's results instead of colliding on the unique index.
    The statement goes to the session's connection directly: it writes nothing the audit should record.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_SPACE, int(city_id)))
    elif dialect == "sqlite":  # a write statement takes the database's write lock (BEGIN precedes it)
        connection.exec_driver_sql("UPDATE observation SET id = id WHERE 0")


def _check_rules(
    session: Session,
    ids: np.ndarray,
    numbers: np.ndarray,
    present: np.ndarray,
    unique: list[int],
    source: str | None,
) -> None:
    if not present.any():
        return
    rules = {
        row.id: row
        for row in session.execute(
            select(Indicator.id, Indicator.code, Indicator.min_value, Indicator.max_value).where(
                Indicator.id.in_(unique)
            )
        )
    }
    # one bound per indicator, spread to the values by position in ``unique`` (whole arrays: an import
    # passes a million values)
    position = np.searchsorted(np.asarray(unique, dtype=np.int64), ids.astype(np.int64))
    low = np.array([_bound(rules, i, "min_value", -np.inf) for i in unique], dtype=np.float64)[position]
    high = np.array([_bound(rules, i, "max_value", np.inf) for i in unique], dtype=np.float64)[position]
    infinite = present & ~np.isfinite(numbers)
    with np.errstate(invalid="ignore"):
        outside = present & np.isfinite(numbers) & ((numbers < low) | (numbers > high))
    bad = np.flatnonzero(infinite | outside)
    if not len(bad):
        return
    problems = []
    for i in bad[:MAX_LISTED]:
        code = rules[int(ids[i])].code if int(ids[i]) in rules else str(ids[i])
        if infinite[i]:
            problems.append(
                Problem(
                    code="type-error",
                    message=f"{code}: {numbers[i]} is not a finite number",
                    file=source,
                    column=code,
                    value=str(numbers[i]),
                )
            )
        else:
            problems.append(
                Problem(
                    code="out-of-range",
                    message=f"{code}: {numbers[i]:g} is outside the range of {code!r} "
                    f"({_text(low[i])} to {_text(high[i])})",
                    file=source,
                    column=code,
                    value=f"{numbers[i]:g}",
                )
            )
    report = Report(source=source, problems=problems, truncated=max(0, len(bad) - MAX_LISTED))
    where = f"{source}: " if source else ""
    raise RuleBroken(f"{where}{'; '.join(p.message for p in problems[:3])}; nothing written", report)


def _bound(rules: dict, indicator_id: int, name: str, default: float) -> float:
    row = rules.get(indicator_id)
    value = getattr(row, name, None) if row is not None else None
    return default if value is None else float(value)


def _text(bound: float) -> str:
    return "any" if not np.isfinite(bound) else f"{bound:g}"


__all__ = ["MAX_LISTED", "Lock", "Locked", "RuleBroken", "check_write", "locks", "registered_locks"]
