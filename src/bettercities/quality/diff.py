"""Revision diffs: what changed in a city's data between two imports or two revision numbers.

Observations are never overwritten (a change is a new revision), so any earlier state can be
rebuilt. Two kinds of state are compared:

* **as of an import** (``batch``): for each key (area, indicator, period) the newest row written up to
  and including that import batch (rows are numbered in write order, so corrections made in the
  follow-up queue between two imports count for the later one);
* **as of a revision number** (``revision``): for each key the row with the highest revision ``<= r``
  (revision 1 is the first delivery of every value).

A diff lists keys **added** (only in the new state), **changed** (value, numerator, denominator or a
flag differ; with old → new and the difference) and **removed** (only in the old state, e.g. when
diffing backwards). :func:`import_history` lists the imports of a city (optionally of one indicator)
with their counts, each with the batch it is diffed against. Values pass the publication step.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import Table, case, func, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.indicators import service as indicators
from bettercities.indicators.models import ImportBatch, Indicator, Observation, Period
from bettercities.publication import Audience

KEY = ["level", "area", "indicator", "period"]
CONTENT = ["value", "numerator", "denominator", "provisional", "estimated", "suppressed"]


class DiffFilter(BaseModel):
    """Which two states to compare (one filter for CLI, API and pages): two batches or two revisions."""

    city: str
    indicator: str | None = None
    level: str | None = None
    from_batch: int | None = None
    to_batch: int | None = None
    from_revision: int | None = None
    to_revision: int | None = None
    audience: Audience = Audience.INTERNAL


class DiffEntry(BaseModel):
    """One key that differs between the two states."""

    level: str
    area: str
    indicator: str
    period: str
    old: float | None = None
    new: float | None = None
    difference: float | None = None
    old_revision: int | None = None
    new_revision: int | None = None
    changed: list[str] = Field(default_factory=list, description="Fields that differ.")


class RevisionDiff(BaseModel):
    """Added, changed and removed observations between two states of a city's data."""

    city: str
    indicator: str | None
    old: str = Field(description="Label of the old state, e.g. 'import 3' or 'revision 1'.")
    new: str
    added: list[DiffEntry]
    changed: list[DiffEntry]
    removed: list[DiffEntry]
    unchanged: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
        }


class ImportEntry(BaseModel):
    """One import in a city's (or an indicator's) history."""

    batch_id: int
    file_name: str
    user: str | None
    started_at: str
    rows: int
    inserted: int = Field(description="New keys (revision 1) written by the import, in scope.")
    revised: int = Field(description="New revisions of stored keys written by the import, in scope.")
    previous_batch: int | None = Field(description="The import before it in scope (diff against it).")


def _rows(session: Session, city: City, *, indicator_id: int | None, level_id: int | None) -> pd.DataFrame:
    """Every stored revision of the city's observations in scope, in write order."""
    observation = cast(Table, Observation.__table__)
    query = (
        select(
            observation.c.id,
            SpatialLevel.code.label("level"),
            Area.code.label("area"),
            Indicator.code.label("indicator"),
            Period.code.label("period"),
            *(observation.c[c] for c in CONTENT),
            observation.c.revision,
            observation.c.import_id,
        )
        .join(Area, Area.id == observation.c.area_id)
        .join(SpatialLevel, SpatialLevel.id == Area.level_id)
        .join(Indicator, Indicator.id == observation.c.indicator_id)
        .join(Period, Period.id == observation.c.period_id)
        .where(SpatialLevel.city_id == city.id)
        .order_by(observation.c.id)
    )
    if indicator_id is not None:
        query = query.where(observation.c.indicator_id == indicator_id)
    if level_id is not None:
        query = query.where(Area.level_id == level_id)
    frame = pd.DataFrame(
        session.execute(query).all(), columns=["id", *KEY, *CONTENT, "revision", "import_id"]
    )
    for column in ("value", "numerator", "denominator"):
        frame[column] = frame[column].astype(float)
    return frame


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    """The newest row of each key."""
    return frame.sort_values("id").drop_duplicates(KEY, keep="last").set_index(KEY)


def _batch_state(session: Session, frame: pd.DataFrame, city: City, batch_id: int) -> pd.DataFrame:
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.city_id != city.id:
        raise NotFound("import", str(batch_id))
    last_id = session.scalar(select(func.max(Observation.id)).where(Observation.import_id == batch_id))
    if last_id is None:  # a batch of areas, or one whose rows were all replaced by a later cascade
        earlier = frame[frame["import_id"].notna() & (frame["import_id"] <= batch_id)]
        last_id = int(earlier["id"].max()) if len(earlier) else 0
    return _latest(frame[frame["id"] <= last_id])


def _entry(key: tuple, old: pd.Series | None, new: pd.Series | None, changed: list[str]) -> DiffEntry:
    def number(row: pd.Series | None) -> float | None:
        return None if row is None or pd.isna(row["value"]) else float(row["value"])

    old_value, new_value = number(old), number(new)
    return DiffEntry(
        **dict(zip(KEY, key, strict=True)),
        old=old_value,
        new=new_value,
        difference=None if old_value is None or new_value is None else new_value - old_value,
        old_revision=None if old is None else int(old["revision"]),
        new_revision=None if new is None else int(new["revision"]),
        changed=changed,
    )


def _published(state: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    if audience == Audience.INTERNAL or state.empty:
        return state
    hidden = state["suppressed"].astype(bool)
    state = state.copy()
    state.loc[hidden, ["value", "numerator", "denominator"]] = np.nan
    return state


def compare(
    old: pd.DataFrame, new: pd.DataFrame
) -> tuple[list[DiffEntry], list[DiffEntry], list[DiffEntry], int]:
    """(added, changed, removed, unchanged) between two states indexed by key."""
    added = [_entry(k, None, new.loc[k], []) for k in new.index.difference(old.index)]
    removed = [_entry(k, old.loc[k], None, []) for k in old.index.difference(new.index)]
    both = old.index.intersection(new.index)
    changed: list[DiffEntry] = []
    a, b = old.loc[both], new.loc[both]
    differs = pd.DataFrame(
        {
            c: ~((a[c] == b[c]) | (a[c].isna() & b[c].isna()))
            if c in ("value", "numerator", "denominator")
            else a[c].astype(bool) != b[c].astype(bool)
            for c in CONTENT
        },
        index=both,
    )
    hit = differs.any(axis=1)
    for key in both[hit.to_numpy()]:
        fields = [c for c in CONTENT if bool(differs.at[key, c])]
        changed.append(_entry(key, a.loc[key], b.loc[key], fields))
    return (
        sorted(added, key=_order),
        sorted(changed, key=_order),
        sorted(removed, key=_order),
        int((~hit).sum()),
    )


def _order(entry: DiffEntry) -> tuple[str, ...]:
    return (entry.indicator, entry.level, entry.area, entry.period)


def diff(session: Session, spec: DiffFilter) -> RevisionDiff:
    """Compare two imports (``from_batch``/``to_batch``) or two revision numbers of the city's data."""
    city = areas.get_city(session, spec.city)
    indicator = indicators.get_indicator(session, spec.indicator) if spec.indicator else None
    level = areas.get_level(session, city, spec.level) if spec.level else None
    by_batch = spec.from_batch is not None or spec.to_batch is not None
    by_revision = spec.from_revision is not None or spec.to_revision is not None
    if by_batch == by_revision:
        raise InvalidInput("compare either two imports (from_batch, to_batch) or two revisions, not both")
    frame = _rows(
        session, city, indicator_id=indicator.id if indicator else None, level_id=level.id if level else None
    )
    if by_batch:
        if spec.to_batch is None or spec.from_batch is None:
            raise InvalidInput("a diff of imports needs from_batch and to_batch")
        old = _batch_state(session, frame, city, spec.from_batch)
        new = _batch_state(session, frame, city, spec.to_batch)
        labels = (f"import {spec.from_batch}", f"import {spec.to_batch}")
    else:
        if spec.to_revision is None or spec.from_revision is None:
            raise InvalidInput("a diff of revisions needs from_revision and to_revision")
        old = _latest(frame[frame["revision"] <= spec.from_revision])
        new = _latest(frame[frame["revision"] <= spec.to_revision])
        labels = (f"revision {spec.from_revision}", f"revision {spec.to_revision}")
    added, changed, removed, unchanged = compare(
        _published(old, spec.audience), _published(new, spec.audience)
    )
    return RevisionDiff(
        city=city.slug,
        indicator=spec.indicator,
        old=labels[0],
        new=labels[1],
        added=added,
        changed=changed,
        removed=removed,
        unchanged=unchanged,
    )


def import_history(session: Session, city_slug: str, *, indicator: str | None = None) -> list[ImportEntry]:
    """The observation imports of a city that wrote rows (of ``indicator``), newest first."""
    city = areas.get_city(session, city_slug)
    found = indicators.get_indicator(session, indicator) if indicator else None
    counts = (
        select(
            Observation.import_id,
            func.sum(case((Observation.revision == 1, 1), else_=0)).label("inserted"),
            func.count(Observation.id).label("written"),
        )
        .where(Observation.import_id.is_not(None))
        .group_by(Observation.import_id)
    )
    if found is not None:
        counts = counts.where(Observation.indicator_id == found.id)
    written = {r.import_id: (int(r.inserted or 0), int(r.written)) for r in session.execute(counts)}
    batches = session.scalars(
        select(ImportBatch)
        .where(ImportBatch.city_id == city.id, ImportBatch.kind == "observations")
        .order_by(ImportBatch.id)
    ).all()
    entries: list[ImportEntry] = []
    previous: int | None = None
    for batch in batches:
        if batch.id not in written:
            continue
        inserted, total = written[batch.id]
        entries.append(
            ImportEntry(
                batch_id=batch.id,
                file_name=batch.file_name,
                user=batch.user,
                started_at=batch.started_at.isoformat(timespec="seconds"),
                rows=batch.rows,
                inserted=inserted,
                revised=total - inserted,
                previous_batch=previous,
            )
        )
        previous = batch.id
    return entries[::-1]


__all__ = ["DiffEntry", "DiffFilter", "ImportEntry", "RevisionDiff", "compare", "diff", "import_history"]
