"""Current observations of a city as one frame, the input of validation rules and outlier screening.

One query per call; an import's values not yet written can be laid over the stored ones, so the
rules see the data as they will be after the import (also in a dry run).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.indicators.models import ImportBatch, Indicator, Observation, Period

FRAME_COLUMNS = (
    "observation_id",
    "area_id",
    "area_code",
    "parent_id",
    "level",
    "indicator_id",
    "indicator",
    "period_id",
    "period",
    "period_end",
    "value",
    "import_id",
    "file",
    "source_row",
    "from_import",
)


def observations_frame(
    session: Session,
    city: City,
    *,
    indicator_ids: Iterable[int] | None = None,
    level_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Current, non-suppressed observations with a value, one row each, with their provenance.

    The observation rows are fetched as plain numbers; names, codes, levels, period dates and file
    names come from the small lookup tables and are attached in pandas (a million rows in about a
    second, where a five-table join converted every date and name row by row).
    """
    levels = dict(
        session.execute(
            select(SpatialLevel.id, SpatialLevel.code).where(SpatialLevel.city_id == city.id)
        ).all()
    )
    wanted_levels = list(levels) if level_ids is None else [i for i in level_ids if i in levels]
    areas = pd.DataFrame(
        [
            tuple(row)
            for row in session.execute(
                select(Area.id, Area.code, Area.parent_id, Area.level_id).where(
                    Area.level_id.in_(wanted_levels)
                )
            )
        ],
        columns=["area_id", "area_code", "parent_id", "level_id"],
    )
    query = (
        select(
            Observation.id,
            Observation.area_id,
            Observation.indicator_id,
            Observation.period_id,
            Observation.value,
            Observation.import_id,
            Observation.source_row,
        )
        .join(Area, Area.id == Observation.area_id)
        .where(
            Area.level_id.in_(wanted_levels), Observation.is_current.is_(True), Observation.value.is_not(None)
        )
    )
    if indicator_ids is not None:
        query = query.where(Observation.indicator_id.in_(list(indicator_ids)))
    # Core execution and plain tuples: no ORM row processing, and pandas inspects Row objects slowly.
    rows = list(map(tuple, session.connection().execute(query).all()))
    frame = pd.DataFrame(
        rows,
        columns=[
            "observation_id",
            "area_id",
            "indicator_id",
            "period_id",
            "value",
            "import_id",
            "source_row",
        ],
    )
    indicators = dict(session.execute(select(Indicator.id, Indicator.code)).all())
    period_rows = session.execute(select(Period.id, Period.code, Period.end_date)).all()
    periods = {p.id: p.code for p in period_rows}
    period_ends = {p.id: p.end_date for p in period_rows}
    batch_ids = [int(i) for i in frame["import_id"].dropna().unique()]
    files = dict(
        session.execute(
            select(ImportBatch.id, ImportBatch.file_name).where(ImportBatch.id.in_(batch_ids))
        ).all()
    )
    frame = frame.merge(areas, on="area_id", how="left")
    frame["level"] = frame["level_id"].map(levels)
    frame["indicator"] = frame["indicator_id"].map(indicators)
    frame["period"] = frame["period_id"].map(periods)
    frame["period_end"] = frame["period_id"].map(period_ends)
    frame["file"] = frame["import_id"].map(files)
    frame["from_import"] = False
    frame["value"] = frame["value"].astype(float)
    return frame[list(FRAME_COLUMNS)]


def incoming_frame(
    session: Session,
    level: SpatialLevel,
    validated: Any,
    period_ids: np.ndarray,
    *,
    file: str,
    indicator_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """An import's validated values (not yet written) in the shape of :func:`observations_frame`.

    Set-oriented: codes, parents and period facts are mapped from lookup tables, not row by row.
    ``observation_id`` and ``import_id`` are empty until the values are written.
    """
    keep = ~np.isnan(validated.value)
    if indicator_ids is not None:
        keep &= np.isin(validated.indicator_id, list(indicator_ids))
    if not keep.any():
        return empty_frame()
    area_rows = session.execute(
        select(Area.id, Area.code, Area.parent_id).where(Area.level_id == level.id)
    ).all()
    areas = pd.DataFrame([tuple(r) for r in area_rows], columns=["area_id", "area_code", "parent_id"])
    codes = dict(session.execute(select(Indicator.id, Indicator.code)).all())
    pidx = np.asarray(validated.period)[keep]
    frame = pd.DataFrame(
        {
            "area_id": np.asarray(validated.area_id)[keep],
            "indicator_id": np.asarray(validated.indicator_id)[keep],
            "period_id": np.asarray(period_ids)[pidx],
            "value": np.asarray(validated.value, dtype=float)[keep],
            "source_row": np.asarray(validated.rows)[keep],
            "_p": pidx,
        }
    ).merge(areas, on="area_id", how="left")
    frame["observation_id"] = np.nan
    frame["level"] = level.code
    frame["indicator"] = frame["indicator_id"].map(codes)
    frame["period"] = frame["_p"].map({i: p.code for i, p in enumerate(validated.periods)})
    frame["period_end"] = frame["_p"].map({i: p.end_date for i, p in enumerate(validated.periods)})
    frame["import_id"] = np.nan
    frame["file"] = file
    frame["from_import"] = True
    return frame[list(FRAME_COLUMNS)]


def overlay(stored: pd.DataFrame, incoming: pd.DataFrame) -> pd.DataFrame:
    """``stored`` with the rows of ``incoming`` replacing those of the same area, indicator and period."""
    if incoming.empty:
        return stored
    if stored.empty:
        return incoming
    both = pd.concat([stored, incoming[list(FRAME_COLUMNS)]], ignore_index=True)
    keep = ~both.duplicated(["area_id", "indicator_id", "period_id"], keep="last")
    return both[keep.to_numpy()].reset_index(drop=True)


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FRAME_COLUMNS}).astype(
        {"value": float, "from_import": bool}
    )


def as_float(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)
