"""Revisions: compare validated observations with the current ones and write only what changed.

* a key (indicator, area, period) not stored yet      -> new row, revision 1
* a stored key whose value, numerator, denominator or
  flags differ                                        -> new row, revision = old + 1, is current;
                                                         the old row stays, no longer current
* a stored key with identical content                 -> nothing

Rows are written with :meth:`Database.bulk_insert_columns` (executemany / binary COPY) in chunks, sorted
in the unique key's order (indicator, period, area) so that its index pages are filled in order; a large
import into PostgreSQL has its foreign keys checked set-wise, its indexes rebuilt where that pays and its
rows' ids reserved as one block (:func:`bettercities.storage.bulk_load.bulk_load`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from bettercities.areas.models import Area
from bettercities.indicators.models import Observation
from bettercities.ingest.validation import Validated
from bettercities.storage import bulk_load
from bettercities.storage.database import Database

CHUNK = 100_000  # rows per bulk insert (bounds the memory of one insert's driver values)
ID_CHUNK = 10_000  # ids per UPDATE … WHERE id IN (…)

Progress = Callable[[int, int], None]


@dataclass
class Plan:
    """What to write: positions in the validated arrays, their revisions and the rows they replace."""

    positions: np.ndarray
    revisions: np.ndarray
    replaced_ids: list[int]
    inserted: int
    revised: int
    unchanged: int


_CURRENT_TYPES: dict[str, Any] = {
    "id": np.int64,
    "indicator_id": np.int64,
    "area_id": np.int64,
    "period_id": np.int64,
    "value": np.float64,
    "numerator": np.float64,
    "denominator": np.float64,
    "provisional": np.bool_,
    "estimated": np.bool_,
    "suppressed": np.bool_,
    "revision": np.int64,
}


def current_frame(
    session: Session, level_id: int, indicator_ids: Sequence[int], period_ids: Sequence[int]
) -> pd.DataFrame:
    """Current observations of a level for the given indicators and periods, one array per column.

    Core columns (not ORM attributes) and a column-wise transpose keep the cost at about that of
    the driver's fetch: a re-import of a million rows compares against a million stored ones.
    """
    observation = cast(Table, Observation.__table__)
    area = cast(Table, Area.__table__)
    if not indicator_ids or not period_ids:
        return pd.DataFrame({name: np.zeros(0, dtype) for name, dtype in _CURRENT_TYPES.items()})
    query = (
        select(*(observation.c[name] for name in _CURRENT_TYPES))
        .select_from(observation.join(area, area.c.id == observation.c.area_id))
        .where(
            area.c.level_id == level_id,
            observation.c.is_current.is_(True),
            observation.c.indicator_id.in_(list(indicator_ids)),
            observation.c.period_id.in_(list(period_ids)),
        )
    )
    rows = session.execute(query).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_CURRENT_TYPES)
    return pd.DataFrame(
        {
            name: np.array(values, dtype=dtype)  # None becomes NaN in float columns
            for (name, dtype), values in zip(_CURRENT_TYPES.items(), columns, strict=True)
        }
    )


def plan(validated: Validated, period_ids: np.ndarray, current: pd.DataFrame) -> Plan:
    """Compare ``validated`` (period index -> id through ``period_ids``) with ``current``.

    Keys are matched with a sorted search on one combined integer key, not a join.
    """
    count = len(validated)
    incoming_period = period_ids[validated.period] if count else np.zeros(0, np.int64)
    if current.empty:
        positions = np.arange(count)
        return Plan(positions, np.ones(count, np.int64), [], count, 0, 0)
    stored_key = [current[name].to_numpy() for name in ("indicator_id", "area_id", "period_id")]
    incoming_key = [validated.indicator_id, validated.area_id, incoming_period]
    spans = [int(max(a.max(), b.max(initial=0))) + 1 for a, b in zip(stored_key, incoming_key, strict=True)]
    key_stored, key_incoming = _combined(stored_key, spans), _combined(incoming_key, spans)
    # the current row of each key (should there be two, the higher revision wins)
    order = np.lexsort((current["revision"].to_numpy(), key_stored))
    last = np.r_[key_stored[order][1:] != key_stored[order][:-1], True]
    order = order[last]
    ordered = key_stored[order]
    found = np.minimum(np.searchsorted(ordered, key_incoming), len(ordered) - 1)
    stored = ordered[found] == key_incoming
    match = order[found]  # row of ``current`` for each incoming entry (meaningful where stored)
    same = stored.copy()
    for name in ("value", "numerator", "denominator"):
        new, old = getattr(validated, name), current[name].to_numpy()[match]
        same &= (new == old) | (np.isnan(new) & np.isnan(old))
    for name in ("provisional", "estimated", "suppressed"):
        same &= getattr(validated, name) == current[name].to_numpy()[match]
    write = ~same
    revisions = np.where(stored, current["revision"].to_numpy()[match] + 1, 1)[write]
    replaced = current["id"].to_numpy()[match][write & stored]
    return Plan(
        positions=np.flatnonzero(write),
        revisions=revisions.astype(np.int64),
        replaced_ids=replaced.astype(np.int64).tolist(),
        inserted=int((write & ~stored).sum()),
        revised=int((write & stored).sum()),
        unchanged=int(same.sum()),
    )


def _combined(parts: list[np.ndarray], spans: list[int]) -> np.ndarray:
    """One int64 key of (indicator, area, period) ids; exact while the product of spans fits."""
    if spans[0] * spans[1] * spans[2] >= 2**63:  # pragma: no cover - ids in the billions
        raise OverflowError("ids too large to combine into one key")
    return (parts[0].astype(np.int64) * spans[1] + parts[1]) * spans[2] + parts[2]


@dataclass
class _Chunk:
    columns: dict[str, np.ndarray]
    constants: dict[str, Any]


def _chunk(arrays: dict[str, np.ndarray], constants: dict[str, Any]) -> _Chunk:
    """The columns of one chunk; columns with one value in the whole chunk become constants.

    Flags, empty numerators and revision 1 are usually the same in every row: binding them per
    row would cost more than the rest of the insert.
    """
    fixed = dict(constants)
    columns: dict[str, np.ndarray] = {}
    for name, array in arrays.items():
        first = _constant(array)
        if first is not _VARYING:
            fixed[name] = first
        else:
            columns[name] = array
    if not columns:  # rows alike in everything: one array carries the row count; not a foreign key,
        name = next(reversed(arrays))  # whose constant value names the rows in the audit entry
        columns[name] = arrays[name]
        del fixed[name]
    return _Chunk(columns, fixed)


def write(
    db: Database,
    session: Session,
    validated: Validated,
    period_ids: np.ndarray,
    the_plan: Plan,
    *,
    import_id: int,
    progress: Progress | None = None,
) -> None:
    """Mark replaced rows as no longer current and insert the planned rows in chunks."""
    table = cast(Table, Observation.__table__)
    ids = the_plan.replaced_ids
    for start in range(0, len(ids), ID_CHUNK):
        session.execute(
            update(table).where(table.c.id.in_(ids[start : start + ID_CHUNK])).values(is_current=False)
        )
    positions = the_plan.positions
    total = len(positions)
    if progress is not None:
        progress(0, total)
    if not total:
        return
    indicator_id = validated.indicator_id[positions]
    area_id = validated.area_id[positions]
    period_id = period_ids[validated.period[positions]]
    # Insert in key order: the unique index (indicator, period, area) then fills from left to right.
    order = _key_order(indicator_id, period_id, area_id)
    positions, revisions, period_id = positions[order], the_plan.revisions[order], period_id[order]
    # On SQLite chunks end where the indicator changes, so that it is a literal of the statement. PostgreSQL's
    # binary COPY sends a constant per row all the same, and each COPY ends with a wait for the server.
    changes = [] if db.is_postgresql else (np.flatnonzero(np.diff(indicator_id[order])) + 1).tolist()
    starts = sorted({*range(0, total, CHUNK), *changes})
    ends = [*starts[1:], total]
    constants = {"is_current": True, "import_id": import_id, "created_at": _created_at(db)}

    def prepare(number: int) -> _Chunk:
        start, end = starts[number], ends[number]
        chunk = positions[start:end]
        arrays = {
            "indicator_id": validated.indicator_id[chunk],
            "area_id": validated.area_id[chunk],
            "period_id": period_id[start:end],
            "value": validated.value[chunk],
            "numerator": validated.numerator[chunk],
            "denominator": validated.denominator[chunk],
            "provisional": validated.provisional[chunk],
            "estimated": validated.estimated[chunk],
            "suppressed": validated.suppressed[chunk],
            "revision": revisions[start:end],
            "source_row": validated.rows[chunk],
        }
        return _chunk(arrays, constants)

    # a large import into PostgreSQL: its foreign keys checked once for the whole file, not per row
    references = {
        "indicator_id": indicator_id,
        "area_id": area_id,
        "period_id": period_id,
        "import_id": np.array([import_id]),
    }
    with bulk_load.bulk_load(db, session, table, references, rows=total) as set_wise:
        # under the load's locks the rows bring their ids: one block of the sequence, no nextval per row
        new_ids = bulk_load.reserve_ids(session, table, total) if set_wise else None
        # and what every row has alike is the columns' default for the load, not sent per row
        defaults: AbstractContextManager[frozenset[str]] = nullcontext(frozenset())
        if set_wise:
            alike = _alike(validated, {"period_id": period_id, "revision": revisions}, constants)
            defaults = bulk_load.column_defaults(session, table, alike)
        with defaults as given:
            for number in range(len(starts)):
                ready = prepare(number)
                if new_ids is not None:
                    ready.columns["id"] = new_ids[starts[number] : ends[number]]
                db.bulk_insert_columns(
                    session,
                    table,
                    ready.columns,
                    constants=ready.constants,
                    server_defaults=given & ready.constants.keys(),
                )
                if progress is not None:
                    progress(ends[number], total)


def _alike(validated: Validated, written: dict[str, np.ndarray], constants: dict[str, Any]) -> dict[str, Any]:
    """The columns with one value in every row written: ``constants``, the columns of ``written`` (the
    rows' own arrays) and the validated columns that have one value in the whole file (its written rows
    then have it too; a file whose written rows alone agree is not looked for)."""
    arrays = {name: getattr(validated, name) for name in _FILE_COLUMNS} | written
    alike = dict(constants)
    for name, array in arrays.items():
        value = _constant(array)
        if value is not _VARYING:
            alike[name] = value
    return alike


_FILE_COLUMNS = ("indicator_id", "numerator", "denominator", "provisional", "estimated", "suppressed")


def _key_order(indicator_id: np.ndarray, period_id: np.ndarray, area_id: np.ndarray) -> np.ndarray:
    """The order that sorts rows by (indicator, period, area): one argsort of a combined key."""
    spans = [int(a.max()) + 1 for a in (indicator_id, period_id, area_id)]
    if spans[0] * spans[1] * spans[2] >= 2**62:
        return np.lexsort((area_id, period_id, indicator_id))
    key = (indicator_id.astype(np.int64) * spans[1] + period_id) * spans[2] + area_id
    return np.argsort(key)  # keys are unique after validation: no need for a stable sort


_VARYING = object()


def _constant(array: np.ndarray) -> Any:
    """The one value of ``array`` (``None`` for all-NaN floats), or ``_VARYING``."""
    first = array[0]
    if array.dtype.kind == "f":
        nan = np.isnan(array)
        if nan.all():
            return None
        if nan.any() or not (array == first).all():
            return _VARYING
        return float(first)
    if not (array == first).all():
        return _VARYING
    return first.item()


def _created_at(db: Database) -> Any:
    """Now, as the driver expects it (bulk inserts bypass SQLAlchemy's type processing)."""
    now = datetime.now(UTC)
    dialect = db.engine.dialect
    processor = Observation.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(now) if processor is not None else now
