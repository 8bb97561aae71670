"""Outlier screening and the follow-up queue of flagged values.

Four methods, each a pure kernel on arrays (one value per area, period and indicator of a level):

``zscore``
    :math:`z = (x - \\bar x) / s` within the values of one indicator, level and period; flagged when
    :math:`|z| > 3`.
``robust``
    The modified z-score of Iglewicz & Hoaglin (1993), :math:`M = 0.6745 (x - \\tilde x) / \\mathrm{MAD}`,
    with the median :math:`\\tilde x` and the median absolute deviation; flagged when :math:`|M| > 3.5`.
    Unlike the z-score it is not masked by the outlier itself.
``band``
    The area's own history: flagged when a value lies outside ``[min, max]`` of its earlier values
    widened by ``margin`` × (max − min); needs at least three earlier values.
``jump``
    Year-on-year (period-on-period) change: flagged when :math:`|x_t / x_{t-1} - 1| > 0.5`.

Cross-sectional methods pool the periods of an indicator and level when a single period holds
fewer than ``min_group`` values (Urban Audit cities report different years).

Every flag enters the queue (:class:`~bettercities.quality.models.OutlierFlag`) once per
observation and method; a steward **accepts** it (the value is right), **corrects** it (a new
revision of the observation, with the flag's provenance) or **comments** it. Screening runs after
every import on the imported indicators and periods and on demand.

>>> import numpy as np
>>> robust_z(np.array([10.0, 11.0, 9.0, 10.5, 9.5, 100.0])).round(1).tolist()
[0.0, 0.7, -0.7, 0.3, -0.3, 60.7]
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Severity
from bettercities.indicators import writes
from bettercities.indicators.models import ImportBatch, Indicator, Observation, Period
from bettercities.quality import data as quality_data
from bettercities.quality.models import FlagEvent, OutlierFlag

METHODS = ("zscore", "robust", "band", "jump")


class ScreeningOptions(BaseModel):
    """Thresholds of the screening methods."""

    methods: list[str] = Field(default_factory=lambda: list(METHODS))
    z: float = Field(default=3.0, description="|z| above which a value is flagged.")
    robust: float = Field(
        default=3.5, description="|modified z| above which a value is flagged (Iglewicz-Hoaglin)."
    )
    # For a series of k earlier values without trend, a new value leaves their range with probability
    # 2 / (k + 1) — a tight band would flag a third of ordinary values, and every year of a steady trend.
    # So the band reaches half the historical range beyond its extremes and needs five earlier values.
    margin: float = Field(
        default=0.5, description="Band beyond the historical min and max, as a share of the range."
    )
    jump: float = Field(default=0.5, description="Relative change from the previous period that is flagged.")
    min_group: int = Field(default=8, description="Smallest cross-section screened on its own (else pooled).")
    min_history: int = Field(default=5, description="Earlier values a series needs before the band applies.")


class FlagOut(BaseModel):
    """A flag in the follow-up queue."""

    id: int
    area: str
    indicator: str
    period: str
    method: str
    value: float
    score: float
    lower: float | None
    upper: float | None
    message: str
    file: str | None = None
    source_row: int | None = None
    status: str
    comments: list[str] = Field(default_factory=list)


# -- kernels -----------------------------------------------------------------------------------------------


def zscore(values: np.ndarray) -> np.ndarray:
    """Standard score of each value (0 when all values are equal)."""
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return np.zeros_like(values) if not sd else (values - values.mean()) / sd


def robust_z(values: np.ndarray) -> np.ndarray:
    """Modified z-score 0.6745 (x - median) / MAD; the mean absolute deviation × 1.253 when MAD is 0."""
    median = np.median(values)
    deviation = np.abs(values - median)
    mad = np.median(deviation)
    if mad:
        return 0.6745 * (values - median) / mad
    mean_ad = deviation.mean()
    return np.zeros_like(values) if not mean_ad else (values - median) / (1.253314 * mean_ad)


# -- screening ---------------------------------------------------------------------------------------------


def _cross_section(frame: pd.DataFrame, options: ScreeningOptions) -> list[dict]:
    """z-score and robust z-score flags within each cross-section, set-oriented.

    A cross-section is one indicator, level and period; periods with fewer than ``min_group`` values
    are pooled per indicator and level (Urban Audit cities report different years), and a pool smaller
    than ``min_group`` is not screened. Scores as :func:`zscore` and :func:`robust_z` define them.
    """
    if frame.empty:
        return []
    keys = ["indicator_id", "level"]
    size = frame.groupby([*keys, "period_id"], sort=False)["value"].transform("size")
    part = frame["period_id"].where(size >= options.min_group, -1)  # -1: the pool of small periods
    groups = [frame[k] for k in keys] + [part]
    values = frame["value"].astype(float)
    by = values.groupby(groups, sort=False)
    count = by.transform("size")
    screened = (count >= options.min_group).to_numpy()
    x = values.to_numpy()
    n = count.to_numpy()
    mean = by.transform("mean").to_numpy()
    sd = by.transform("std").to_numpy()  # ddof = 1
    median = by.transform("median").to_numpy()
    deviation = np.abs(x - median)
    dev = pd.Series(deviation, index=frame.index).groupby(groups, sort=False)
    mad = dev.transform("median").to_numpy()
    mean_ad = dev.transform("mean").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where((n > 1) & (sd > 0), (x - mean) / sd, 0.0)
        robust = np.where(
            mad > 0,
            0.6745 * (x - median) / mad,
            np.where(mean_ad > 0, (x - median) / (1.253314 * mean_ad), 0.0),
        )
    found: list[dict] = []
    for method, scores, center, limit, label in (
        ("zscore", z, mean, options.z, "mean"),
        ("robust", robust, median, options.robust, "median"),
    ):
        if method not in options.methods:
            continue
        for row in np.flatnonzero(screened & (np.abs(scores) > limit)):
            found.append(
                {
                    "index": frame.index[int(row)],
                    "method": method,
                    "score": float(scores[row]),
                    "lower": None,
                    "upper": None,
                    "message": f"{method} score {scores[row]:.1f} (|score| > {limit:g}); "
                    f"{label} {center[row]:g} of {n[row]} values",
                }
            )
    return found


def _history(frame: pd.DataFrame, options: ScreeningOptions) -> list[dict]:
    """Band and jump flags of each area's own series, set-oriented (grouped shifts and running extremes).

    For value :math:`x_k` of a series with earlier values :math:`x_0 … x_{k-1}`: *band* flags
    :math:`x_k` outside :math:`[\\min - m(\\max - \\min),\\ \\max + m(\\max - \\min)]` once
    :math:`k \\ge` ``min_history``; *jump* flags :math:`|x_k / x_{k-1} - 1| >` ``jump``.
    """
    if frame.empty:
        return []
    keys = ["indicator_id", "area_id"]
    ordered = frame.sort_values([*keys, "period_end"], kind="stable")
    values = ordered["value"].astype(float)
    grouped = values.groupby([ordered[k] for k in keys], sort=False)
    position = grouped.cumcount().to_numpy()
    previous = grouped.shift(1).to_numpy()
    low = ordered.assign(_m=grouped.cummin()).groupby(keys, sort=False)["_m"].shift(1).to_numpy()
    high = ordered.assign(_m=grouped.cummax()).groupby(keys, sort=False)["_m"].shift(1).to_numpy()
    previous_period = ordered.groupby(keys, sort=False)["period"].shift(1).to_numpy()
    x = values.to_numpy()
    pad = options.margin * (high - low)
    hits: list[tuple[int, int, dict]] = []
    if "band" in options.methods:
        outside = (position >= options.min_history) & ((x < low - pad) | (x > high + pad))
        for row in np.flatnonzero(outside):
            lower, upper = low[row] - pad[row], high[row] + pad[row]
            distance = (x[row] - upper) if x[row] > high[row] else (x[row] - lower)
            hits.append(
                (
                    int(row),
                    0,
                    {
                        "index": ordered.index[int(row)],
                        "method": "band",
                        "score": float(distance),
                        "lower": float(lower),
                        "upper": float(upper),
                        "message": f"outside the band {lower:g} .. {upper:g} "
                        f"of {position[row]} earlier values",
                    },
                )
            )
    if "jump" in options.methods:
        # tiny previous values overflow to inf: a jump all the same (previous == 0 is excluded below)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            change = x / previous - 1
        jumped = (position >= 1) & ~np.isnan(previous) & (previous != 0) & (np.abs(change) > options.jump)
        for row in np.flatnonzero(jumped):
            hits.append(
                (
                    int(row),
                    1,
                    {
                        "index": ordered.index[int(row)],
                        "method": "jump",
                        "score": float(change[row]),
                        "lower": None,
                        "upper": None,
                        "message": f"change of {change[row]:+.0%} from {previous[row]:g} "
                        f"({previous_period[row]})",
                    },
                )
            )
    hits.sort(key=lambda hit: (hit[0], hit[1]))
    return [hit[2] for hit in hits]


def screen(frame: pd.DataFrame, options: ScreeningOptions | None = None) -> pd.DataFrame:
    """Flags of ``frame`` (rows of :func:`quality_data.observations_frame`), with method and score."""
    options = options or ScreeningOptions()
    if frame.empty:
        return frame.assign(method=[], score=[], lower=[], upper=[], message=[])
    found = _cross_section(frame, options) + _history(frame, options)
    if not found:
        return frame.iloc[0:0].assign(method=[], score=[], lower=[], upper=[], message=[])
    flags = pd.DataFrame(found)
    return frame.loc[flags["index"]].reset_index(drop=True).join(flags.drop(columns="index"))


def _with_observation_ids(session: Session, flags: pd.DataFrame) -> pd.DataFrame:
    """Fill ``observation_id`` (and ``import_id``) of flagged rows that lack them from the current rows."""
    missing = flags["observation_id"].isna()
    if not missing.any():
        return flags
    keys = ["indicator_id", "area_id", "period_id"]
    need = flags.loc[missing, keys].drop_duplicates()
    found: list[tuple] = []
    # One query per indicator and period with just the flagged areas of that pair: a cross product of
    # all flagged areas and periods would fetch most of a large import back.
    for (indicator_id, period_id), group in need.groupby(["indicator_id", "period_id"], sort=False):
        area_ids = [int(a) for a in group["area_id"].unique()]
        for chunk in range(0, len(area_ids), 500):
            found.extend(
                tuple(row)
                for row in session.execute(
                    select(
                        Observation.id,
                        Observation.import_id,
                        Observation.indicator_id,
                        Observation.area_id,
                        Observation.period_id,
                    ).where(
                        Observation.is_current.is_(True),
                        Observation.indicator_id == int(indicator_id),  # type: ignore[call-overload]
                        Observation.period_id == int(period_id),  # type: ignore[call-overload]
                        Observation.area_id.in_(area_ids[chunk : chunk + 500]),
                    )
                )
            )
    lookup = pd.DataFrame(found, columns=["_id", "_import", *keys])
    merged = flags.merge(lookup, on=keys, how="left")
    merged["observation_id"] = merged["observation_id"].fillna(merged["_id"])
    merged["import_id"] = merged["import_id"].fillna(merged["_import"])
    return merged[merged["observation_id"].notna()].drop(columns=["_id", "_import"])


#: Outlier warnings listed in an import's report; the rest are counted (all are in the queue).
MAX_LISTED_FLAGS = 1000


def screen_and_queue(
    session: Session,
    city: City,
    *,
    indicator_ids: Iterable[int] | None = None,
    period_ids: Iterable[int] | None = None,
    level_ids: Iterable[int] | None = None,
    options: ScreeningOptions | None = None,
    frame: pd.DataFrame | None = None,
) -> list[Problem]:
    """Screen current values and put new flags in the queue; the flags as warnings (code ``outlier``).

    ``frame`` (rows of :func:`quality_data.observations_frame`) is screened instead of the stored values
    when given — an import passes its stored history with its own values laid over, so nothing just
    written is read back; rows without an ``observation_id`` get theirs by key, only where flagged.
    """
    if frame is None:
        frame = quality_data.observations_frame(
            session, city, indicator_ids=indicator_ids, level_ids=level_ids
        )
    flags = screen(frame, options)
    if period_ids is not None:
        flags = flags[flags["period_id"].isin(list(period_ids))]
    if flags.empty:
        return []
    flags = _with_observation_ids(session, flags)
    # Existing flags of the screened indicators, looked up by city and indicator (a handful of
    # parameters) rather than by observation id: a large import can raise hundreds of thousands.
    screened = sorted({int(i) for i in flags["indicator_id"]})
    existing: set[tuple[int, str]] = set()
    for chunk in range(0, len(screened), 500):
        existing.update(
            (int(r[0]), str(r[1]))
            for r in session.execute(
                select(OutlierFlag.observation_id, OutlierFlag.method).where(
                    OutlierFlag.city_id == city.id,
                    OutlierFlag.indicator_id.in_(screened[chunk : chunk + 500]),
                )
            )
        )
    problems: list[Problem] = []
    new_flags: list[dict[str, Any]] = []
    records: Any = flags.itertuples(index=False)  # typed per column by pandas only at run time
    for flag in records:
        key = (int(flag.observation_id), str(flag.method))
        row = None if pd.isna(flag.source_row) else int(flag.source_row)
        if key not in existing:
            existing.add(key)
            new_flags.append(
                {
                    "city_id": city.id,
                    "observation_id": key[0],
                    "indicator_id": int(flag.indicator_id),
                    "area_id": int(flag.area_id),
                    "period_id": int(flag.period_id),
                    "method": key[1],
                    "value": float(flag.value),
                    "score": float(flag.score),
                    "lower": None if pd.isna(flag.lower) else float(flag.lower),
                    "upper": None if pd.isna(flag.upper) else float(flag.upper),
                    "message": str(flag.message),
                    "import_id": None if pd.isna(flag.import_id) else int(flag.import_id),
                    "source_row": row,
                }
            )
        if len(problems) < MAX_LISTED_FLAGS:
            problems.append(
                Problem(
                    code="outlier",
                    message=f"area {flag.area_code}, {flag.indicator} {flag.period}: {flag.message}",
                    severity=Severity.WARNING,
                    file=flag.file if isinstance(flag.file, str) else None,
                    row=row,
                    column=str(flag.indicator),
                    value=f"{flag.value:g}",
                )
            )
    if len(flags) > MAX_LISTED_FLAGS:
        problems.append(
            Problem(
                code="outlier",
                message=f"{len(flags) - MAX_LISTED_FLAGS} more outlier flags are in the follow-up queue",
                severity=Severity.WARNING,
            )
        )
    for chunk in range(0, len(new_flags), 10_000):
        session.execute(insert(OutlierFlag), new_flags[chunk : chunk + 10_000])
    session.flush()
    return problems


# -- follow-up queue ---------------------------------------------------------------------------------------


def list_flags(
    session: Session,
    city_slug: str,
    *,
    status: str | None = "open",
    indicator: str | None = None,
    method: str | None = None,
) -> list[FlagOut]:
    """The queue of a city, newest first (one filter for page, API and CLI)."""
    city = areas.get_city(session, city_slug)
    query = (
        select(OutlierFlag, Area.code, Indicator.code, Period.code, ImportBatch.file_name)
        .join(Area, Area.id == OutlierFlag.area_id)
        .join(Indicator, Indicator.id == OutlierFlag.indicator_id)
        .join(Period, Period.id == OutlierFlag.period_id)
        .outerjoin(ImportBatch, ImportBatch.id == OutlierFlag.import_id)
        .where(OutlierFlag.city_id == city.id)
        .order_by(Indicator.code, Area.code, Period.code, OutlierFlag.method)
    )
    if status:
        query = query.where(OutlierFlag.status == status)
    if indicator:
        query = query.where(Indicator.code == indicator)
    if method:
        query = query.where(OutlierFlag.method == method)
    rows = session.execute(query).all()
    comments: dict[int, list[str]] = {}
    for event in session.scalars(
        select(FlagEvent).where(FlagEvent.flag_id.in_([r[0].id for r in rows])).order_by(FlagEvent.id)
    ):
        if event.comment:
            comments.setdefault(event.flag_id, []).append(f"{event.action}: {event.comment}")
    return [
        FlagOut(
            id=f.id,
            area=area,
            indicator=ind,
            period=period,
            method=f.method,
            value=f.value,
            score=f.score,
            lower=f.lower,
            upper=f.upper,
            message=f.message,
            file=file,
            source_row=f.source_row,
            status=f.status,
            comments=comments.get(f.id, []),
        )
        for f, area, ind, period, file in rows
    ]


def _flag(session: Session, city_slug: str, flag_id: int) -> OutlierFlag:
    city = areas.get_city(session, city_slug)
    flag = session.get(OutlierFlag, flag_id)
    if flag is None or flag.city_id != city.id:
        raise NotFound("outlier flag", str(flag_id))
    return flag


def resolve_flag(
    session: Session,
    city_slug: str,
    flag_id: int,
    *,
    action: str,
    user: str | None = None,
    comment: str = "",
    value: float | None = None,
) -> FlagOut:
    """``accept`` the flagged value, ``correct`` it (a new revision with ``value``) or ``comment`` on it."""
    flag = _flag(session, city_slug, flag_id)
    if action not in ("accept", "correct", "comment"):
        raise InvalidInput(f"unknown action {action!r}: accept, correct or comment")
    if action == "comment" and not comment.strip():
        raise InvalidInput("a comment needs text")
    if action == "correct" and value is None:
        raise InvalidInput("a correction needs the new value")
    now = datetime.now(UTC)
    event = FlagEvent(flag_id=flag.id, action=action, user=user, comment=comment, old_value=flag.value)
    if action == "correct":
        assert value is not None
        _correct(session, flag, value, user=user)
        event.new_value = value
        # every flag of the same observation is settled by the correction
        for other in session.scalars(
            select(OutlierFlag).where(OutlierFlag.observation_id == flag.observation_id)
        ):
            other.status, other.resolved_at, other.resolved_by = "corrected", now, user
    elif action == "accept":
        flag.status, flag.resolved_at, flag.resolved_by = "accepted", now, user
    session.add(event)
    session.flush()
    return next(f for f in list_flags(session, city_slug, status=None) if f.id == flag.id)


def _correct(session: Session, flag: OutlierFlag, value: float, *, user: str | None) -> None:
    """A new current revision of the flagged observation (the old one stays, no longer current).

    Refused like every write of observations (:func:`bettercities.indicators.writes.check_write`): while the
    indicator's dataset is locked, and for a value that is not finite or outside the indicator's range.
    """
    old = session.get(Observation, flag.observation_id)
    if old is None:
        raise NotFound("observation", str(flag.observation_id))
    if not old.is_current:
        raise InvalidInput("the flagged value has been revised since; screen again")
    writes.check_write(session, flag.city_id, [old.indicator_id], [value], source=f"outlier flag {flag.id}")
    old.is_current = False
    session.flush()
    session.add(
        Observation(
            indicator_id=old.indicator_id,
            area_id=old.area_id,
            period_id=old.period_id,
            value=value,
            numerator=None,
            denominator=None,
            provisional=old.provisional,
            estimated=old.estimated,
            suppressed=old.suppressed,
            revision=old.revision + 1,
            is_current=True,
            import_id=None,
            source_row=None,
        )
    )
