"""Current observations of a city as one frame, the input of validation rules and outlier screening.

One query per call; an import's values not yet written can be laid over the stored ones, so the
rules see the data as they will be after the import (also in a dry run).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.ingest.models import ImportBatch

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
    """Current, non-suppressed observations with a value, one row each, with their provenance."""
    query = (
        select(
            Observation.id.label("observation_id"),
            Area.id.label("area_id"),
            Area.code.label("area_code"),
            Area.parent_id,
            SpatialLevel.code.label("level"),
            Indicator.id.label("indicator_id"),
            Indicator.code.label("indicator"),
            Period.id.label("period_id"),
            Period.code.label("period"),
            Period.end_date.label("period_end"),
            Observation.value,
            Observation.import_id,
            ImportBatch.file_name.label("file"),
            Observation.source_row,
        )
        .join(Area, Area.id == Observation.area_id)
        .join(SpatialLevel, SpatialLevel.id == Area.level_id)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .join(Period, Period.id == Observation.period_id)
        .outerjoin(ImportBatch, ImportBatch.id == Observation.import_id)
        .where(
            SpatialLevel.city_id == city.id, Observation.is_current.is_(True), Observation.value.is_not(None)
        )
    )
    if indicator_ids is not None:
        query = query.where(Observation.indicator_id.in_(list(indicator_ids)))
    if level_ids is not None:
        query = query.where(SpatialLevel.id.in_(list(level_ids)))
    rows = [tuple(row) for row in session.execute(query)]  # plain tuples: pandas inspects Row objects slowly
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS[:-1]))
    frame["from_import"] = False
    frame["value"] = frame["value"].astype(float)
    return frame


def overlay(stored: pd.DataFrame, incoming: pd.DataFrame) -> pd.DataFrame:
    """``stored`` with the rows of ``incoming`` replacing those of the same area, indicator and period."""
    if incoming.empty:
        return stored
    both = pd.concat([stored, incoming[list(FRAME_COLUMNS)]], ignore_index=True)
    keep = ~both.duplicated(["area_id", "indicator_id", "period_id"], keep="last")
    return both[keep.to_numpy()].reset_index(drop=True)


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FRAME_COLUMNS}).astype(
        {"value": float, "from_import": bool}
    )


def as_float(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)
