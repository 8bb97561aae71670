"""Operations on the indicator registry, periods and observations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from bettercities.areas.models import Area, City, Crosswalk, CrosswalkEntry, SpatialLevel
from bettercities.areas.service import valid_at, valid_on
from bettercities.core.errors import NotFound
from bettercities.indicators import carried, writes
from bettercities.indicators.aggregation import combine
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.indicators.periods import PeriodSpec, parse_period
from bettercities.indicators.schemas import (
    AreaValue,
    IndicatorOut,
    IndicatorSpec,
    PeriodOut,
    Series,
    SeriesPoint,
)
from bettercities.publication import Audience, protection, publish_series, publish_values, withheld

DEFAULT_WEIGHT = "inhabitants"

# -- registry ----------------------------------------------------------------------------------------------


def register_indicator(session: Session, spec: IndicatorSpec) -> Indicator:
    """Create the indicator ``spec.code`` or update its definition."""
    indicator = session.scalar(select(Indicator).where(Indicator.code == spec.code))
    values = spec.model_dump(mode="json")
    if indicator is None:
        indicator = Indicator(**values)
        session.add(indicator)
    else:
        for name, value in values.items():
            setattr(indicator, name, value)
    session.flush()
    return indicator


def get_indicator(session: Session, code: str) -> Indicator:
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        raise NotFound("indicator", code)
    return indicator


def indicator_out(indicator: Indicator) -> IndicatorOut:
    return IndicatorOut.model_validate({n: getattr(indicator, n) for n in IndicatorOut.model_fields})


def indicators_by_code(session: Session) -> dict[str, Indicator]:
    return {i.code: i for i in session.scalars(select(Indicator)).all()}


def list_indicators(session: Session, city: City | None = None) -> list[IndicatorOut]:
    """All registered indicators, or those with current observations in ``city``."""
    query = select(Indicator).order_by(Indicator.theme, Indicator.code)
    if city is not None:
        with_data = (
            select(Observation.indicator_id)
            .distinct()
            .join(Area, Area.id == Observation.area_id)
            .where(Area.city_id == city.id, Observation.is_current.is_(True))
        )
        query = query.where(Indicator.id.in_(with_data))
    return [indicator_out(i) for i in session.scalars(query).all()]


# -- periods -----------------------------------------------------------------------------------------------


def ensure_periods(session: Session, specs: Iterable[PeriodSpec]) -> dict[str, int]:
    """Map canonical period codes to ids, creating the periods that are new."""
    wanted = {spec.code: spec for spec in specs}
    if not wanted:
        return {}
    found = dict(session.execute(select(Period.code, Period.id).where(Period.code.in_(wanted))).all())
    for code, spec in wanted.items():
        if code not in found:
            period = Period(code=code, kind=spec.kind, start_date=spec.start_date, end_date=spec.end_date)
            session.add(period)
            session.flush()
            found[code] = period.id
    return found


def get_period(session: Session, code: str) -> Period:
    canonical = parse_period(code).code
    period = session.scalar(select(Period).where(Period.code == canonical))
    if period is None:
        raise NotFound("period", code)
    return period


def period_out(period: Period) -> PeriodOut:
    return PeriodOut(
        code=period.code,
        kind=period.kind,
        start_date=period.start_date.isoformat(),
        end_date=period.end_date.isoformat(),
    )


def list_periods(session: Session, city: City, indicator: Indicator | None = None) -> list[PeriodOut]:
    """Periods with current observations in ``city`` (of ``indicator``), oldest first."""
    ids = (
        select(Observation.period_id)
        .distinct()
        .join(Area, Area.id == Observation.area_id)
        .where(Area.city_id == city.id, Observation.is_current.is_(True))
    )
    if indicator is not None:
        ids = ids.where(Observation.indicator_id == indicator.id)
    periods = session.scalars(select(Period).where(Period.id.in_(ids)).order_by(Period.end_date)).all()
    return [period_out(p) for p in periods]


# -- observations ------------------------------------------------------------------------------------------

_OBS_COLUMNS = [
    Observation.area_id,
    Observation.value,
    Observation.numerator,
    Observation.denominator,
    Observation.provisional,
    Observation.estimated,
    Observation.suppressed,
    Observation.revision,
]


def _current_frame(
    session: Session, indicator: Indicator, period: Period, area_ids: Sequence[int]
) -> pd.DataFrame:
    rows = session.execute(
        select(*_OBS_COLUMNS).where(
            Observation.indicator_id == indicator.id,
            Observation.period_id == period.id,
            Observation.is_current.is_(True),
            Observation.area_id.in_(area_ids),
        )
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[c.key for c in _OBS_COLUMNS])
    return frame.astype({"value": float, "numerator": float, "denominator": float})


def _level_chain(session: Session, level: SpatialLevel) -> list[SpatialLevel]:
    """``level`` and every finer level below it, coarse to fine."""
    chain = [level]
    while True:
        child = session.scalar(select(SpatialLevel).where(SpatialLevel.parent_level_id == chain[-1].id))
        if child is None:
            return chain
        chain.append(child)


def _weight_code(indicator: Indicator) -> str:
    return indicator.weight_code or DEFAULT_WEIGHT


def level_values(
    session: Session,
    indicator: Indicator,
    period: Period,
    level: SpatialLevel,
    *,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
) -> tuple[list[AreaValue], bool]:
    """Values of ``indicator`` in ``period`` for every area of ``level`` valid at the period's end,
    published for ``audience`` (and the ``networks`` of the viewer, see :func:`publication.withheld`).

    Stored observations are used where the level has them; otherwise values are aggregated
    from the nearest finer level that has data, by the indicator's aggregation rule.
    Returns ``(values, derived)``; ``derived`` tells whether values were aggregated.
    """
    at = period.end_date
    # Areas valid at the period's end, plus areas of another boundary version that hold values for
    # the period (e.g. data carried over to a new level by a crosswalk) — but not the new areas of a
    # boundary change within this level whose old areas are on this map: they would overlap them.
    with_data = select(Observation.area_id).where(
        Observation.indicator_id == indicator.id,
        Observation.period_id == period.id,
        Observation.is_current.is_(True),
    )
    old = aliased(Area)
    overlapping = (
        select(CrosswalkEntry.target_area_id)
        .join(old, old.id == CrosswalkEntry.source_area_id)
        .where(
            old.level_id == level.id,
            or_(old.valid_from.is_(None), old.valid_from <= at),
            or_(old.valid_to.is_(None), old.valid_to > at),
        )
    )
    areas = session.execute(
        select(Area.id, Area.code, Area.name)
        .where(
            Area.level_id == level.id,
            or_(and_(*valid_at(at)), and_(Area.id.in_(with_data), Area.id.not_in(overlapping))),
        )
        .order_by(Area.code)
    ).all()
    ids = [a.id for a in areas]
    frame = _current_frame(session, indicator, period, ids)
    derived = False
    if frame.empty:
        aggregated = _aggregate_from_below(session, indicator, period, level, at)
        if aggregated is not None:
            frame, derived = aggregated, True
    by_area: dict[int, Any] = {int(r.area_id): r for r in frame.itertuples(index=False)}  # type: ignore[arg-type]
    values: list[AreaValue] = []
    for area in areas:
        row = by_area.get(area.id)
        if row is None:
            values.append(AreaValue(area_code=area.code, area_name=area.name, value=None))
            continue
        values.append(
            AreaValue(
                area_code=area.code,
                area_name=area.name,
                value=_num(row.value),
                numerator=_num(row.numerator),
                denominator=_num(row.denominator),
                provisional=bool(row.provisional),
                estimated=bool(row.estimated) or derived,
                suppressed=bool(row.suppressed),
                revision=int(row.revision),
            )
        )
    # Disclosure control: the cells protection withholds or perturbs (computed once per data version).
    marks = protection.marks(session, level.city_id)
    values = protection.protect_values(
        values, [marks.get((indicator.id, period.id, a.id)) for a in areas], audience=audience
    )
    hidden = withheld(session, level.city_id, indicator.id, audience=audience, networks=networks)
    return publish_values(values, audience=audience, withheld=hidden), derived


def _num(value: Any) -> float | None:
    """A float, or ``None`` for SQL NULL and pandas' missing values."""
    return None if value is None or pd.isna(value) else float(value)


def _aggregate_from_below(
    session: Session, indicator: Indicator, period: Period, level: SpatialLevel, at: date
) -> pd.DataFrame | None:
    chain = _level_chain(session, level)
    for depth in range(1, len(chain)):
        finest = chain[depth]
        # links from every area at ``finest`` to its ancestor at ``level``
        link_rows = session.execute(
            select(Area.id, Area.parent_id).where(Area.level_id == finest.id, *valid_at(at))
        ).all()
        links = pd.DataFrame(link_rows, columns=["source", "target"])
        for _ in range(depth - 1):
            parent_rows = session.execute(
                select(Area.id, Area.parent_id).where(
                    Area.id.in_(links["target"].dropna().astype(int).tolist())
                )
            ).all()
            up = dict(parent_rows)
            links["target"] = links["target"].map(up)
        links = links.dropna()
        if links.empty:
            continue
        data = _current_frame(session, indicator, period, links["source"].tolist())
        if data.empty:
            continue
        return _combine_frame(session, indicator, period, links, data)
    return None


def _with_base(
    session: Session,
    indicator: Indicator,
    data: pd.DataFrame,
    *,
    area: str = "source",
    period: Period | None = None,
) -> pd.DataFrame:
    """Add the ``base`` column that weights shares.

    The row's own denominator where known (a share times its denominator is its count), else the
    value of the weight indicator (inhabitants by default) for the row's area — in ``period``, or,
    without one, in the row's own ``period_id``.
    """
    data = data.assign(base=data["denominator"])
    if indicator.aggregation not in {"weighted_mean", "ratio"} or data["base"].notna().all():
        return data
    weight = indicators_by_code(session).get(_weight_code(indicator))
    if weight is None:
        return data
    query = select(Observation.area_id, Observation.period_id, Observation.value).where(
        Observation.indicator_id == weight.id,
        Observation.is_current.is_(True),
        Observation.area_id.in_([int(a) for a in data[area].unique()]),
    )
    if period is not None:
        query = query.where(Observation.period_id == period.id)
    rows = [tuple(r) for r in session.execute(query)]
    population = pd.DataFrame(rows, columns=[area, "period_id", "_population"])
    keys = [area] if period is not None else [area, "period_id"]
    merged = data.merge(population[[*keys, "_population"]], on=keys, how="left")
    return merged.assign(base=merged["base"].fillna(merged["_population"])).drop(columns="_population")


def _combine_frame(
    session: Session, indicator: Indicator, period: Period, links: pd.DataFrame, data: pd.DataFrame
) -> pd.DataFrame:
    data = _with_base(session, indicator, data.rename(columns={"area_id": "source"}), period=period)
    links = links.assign(weight=1.0).astype({"source": int, "target": int})
    result = combine(links, data, method=indicator.aggregation, factor=indicator.factor)
    flags = data.merge(links, on="source").groupby("target")
    result["provisional"] = flags["provisional"].any()
    # A suppressed child no longer blanks its parent: protection marks the parent when its value would
    # reveal a withheld cell (secondary suppression, the weighted-mean rule).
    result["suppressed"] = False
    result["estimated"] = True
    result["revision"] = 1
    result.loc[~result["complete"], "value"] = float("nan")
    return result.reset_index(names="area_id")


def city_values(
    session: Session,
    city: City,
    indicator: Indicator,
    *,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
) -> Series:
    """The city-wide series of ``indicator``: the areas of the coarsest level with data, combined.

    Set-oriented: one query per table, one :func:`combine` call over all periods, where every
    area valid at a period's end is linked to that period (so a missing area leaves the city
    value empty rather than silently too small).
    """
    level_ranks = dict(
        session.execute(
            select(SpatialLevel.id, SpatialLevel.rank).where(SpatialLevel.city_id == city.id)
        ).all()
    )
    data_levels = session.scalars(
        select(Area.level_id)
        .join(Observation, Observation.area_id == Area.id)
        .where(
            Area.city_id == city.id,
            Observation.indicator_id == indicator.id,
            Observation.is_current.is_(True),
        )
        .distinct()
    ).all()
    if not data_levels:
        return Series(indicator=indicator.code, area_code=None, points=[])
    level_id = min(data_levels, key=lambda lid: level_ranks.get(lid, 0))
    level_areas = session.execute(
        select(Area.id, Area.valid_from, Area.valid_to).where(Area.level_id == level_id)
    ).all()
    area_ids = [a.id for a in level_areas]
    rows = session.execute(
        select(Observation.period_id, *_OBS_COLUMNS).where(
            Observation.indicator_id == indicator.id,
            Observation.is_current.is_(True),
            Observation.area_id.in_(area_ids),
        )
    ).all()
    data = pd.DataFrame(
        [tuple(r) for r in rows], columns=["period_id", *(c.key for c in _OBS_COLUMNS)]
    ).astype({"value": float, "numerator": float, "denominator": float})
    periods = session.execute(
        select(Period.id, Period.code, Period.end_date)
        .where(Period.id.in_(data["period_id"].unique().tolist()))
        .order_by(Period.end_date)
    ).all()
    # Links: every area valid at a period's end (or holding data for it) -> that period; not the new
    # areas of a boundary change within the level while their old areas are valid (they would count twice).
    with_data = set(zip(data["area_id"], data["period_id"], strict=True))
    valid = {a.id: a for a in level_areas}

    old_of: dict[int, list[int]] = {}
    for source, target in session.execute(
        select(CrosswalkEntry.source_area_id, CrosswalkEntry.target_area_id).where(
            CrosswalkEntry.source_area_id.in_(area_ids), CrosswalkEntry.target_area_id.in_(area_ids)
        )
    ):
        old_of.setdefault(int(target), []).append(int(source))
    pairs = [
        (area.id, period.id)
        for period in periods
        for area in level_areas
        if valid_on(area, period.end_date)
        or (
            (area.id, period.id) in with_data
            and not any(valid_on(valid[s], period.end_date) for s in old_of.get(area.id, []))
        )
    ]
    links = pd.DataFrame(pairs, columns=["area_id", "period_id"])
    links["source"] = range(len(links))
    keyed = links.merge(data, on=["area_id", "period_id"], how="left")
    keyed = _with_base(session, indicator, keyed, area="area_id")
    result = combine(
        links.rename(columns={"period_id": "target"})[["source", "target"]].assign(weight=1.0),
        keyed,
        method=indicator.aggregation,
        factor=indicator.factor,
    )
    flags = keyed.groupby("period_id")
    provisional = flags["provisional"].apply(lambda x: bool(x.fillna(False).astype(bool).any()))
    single = links.groupby("period_id").size() == 1
    points = []
    for period in periods:
        row = result.loc[period.id]
        value = _num(row["value"]) if row["complete"] else None
        suppressed = False  # the city cell is withheld only where protection marks it (below)
        if single.get(period.id, False):  # a city-level area: its own stored value
            own = keyed.loc[keyed["period_id"] == period.id].iloc[0]
            value, suppressed = (
                _num(own["value"]),
                bool(own["suppressed"]) if pd.notna(own["suppressed"]) else False,
            )
        points.append(
            SeriesPoint(
                period=period.code,
                value=value,
                suppressed=suppressed,
                provisional=bool(provisional.get(period.id, False)),
            )
        )
    marks = protection.marks(session, city.id)
    points = protection.protect_points(
        points, [marks.get((indicator.id, p.id, None)) for p in periods], audience=audience
    )
    hidden = withheld(session, city.id, indicator.id, audience=audience, networks=networks)
    return publish_series(
        Series(indicator=indicator.code, area_code=None, points=points), audience=audience, withheld=hidden
    )


def area_series(
    session: Session,
    area: Area,
    indicator: Indicator,
    *,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
) -> Series:
    """The stored time series of ``indicator`` for ``area`` (current revisions)."""
    rows = session.execute(
        select(
            Period.code,
            Observation.value,
            Observation.suppressed,
            Observation.provisional,
            Period.id,
            Observation.estimated,
        )
        .join(Period, Period.id == Observation.period_id)
        .where(
            Observation.area_id == area.id,
            Observation.indicator_id == indicator.id,
            Observation.is_current.is_(True),
        )
        .order_by(Period.end_date)
    ).all()
    points = [
        SeriesPoint(
            period=r[0], value=r[1], suppressed=bool(r[2]), provisional=bool(r[3]), estimated=bool(r[5])
        )
        for r in rows
    ]
    marks = protection.marks(session, area.city_id)
    points = protection.protect_points(
        points, [marks.get((indicator.id, r[4], area.id)) for r in rows], audience=audience
    )
    hidden = withheld(session, area.city_id, indicator.id, audience=audience, networks=networks)
    return publish_series(
        Series(indicator=indicator.code, area_code=area.code, points=points),
        audience=audience,
        withheld=hidden,
    )


def observation_history(
    session: Session, area: Area, indicator: Indicator, period: Period
) -> list[Observation]:
    """Every revision of one observation, newest first (for provenance pages and audits)."""
    return list(
        session.scalars(
            select(Observation)
            .where(
                Observation.area_id == area.id,
                Observation.indicator_id == indicator.id,
                Observation.period_id == period.id,
            )
            .order_by(Observation.revision.desc())
        ).all()
    )


def count_observations(session: Session, city: City | None = None, *, current_only: bool = False) -> int:
    query = select(func.count(Observation.id))
    if city is not None:
        query = query.join(Area, Area.id == Observation.area_id).where(Area.city_id == city.id)
    if current_only:
        query = query.where(Observation.is_current.is_(True))
    return session.scalar(query) or 0


def carry_over(
    session: Session,
    crosswalk: Crosswalk,
    indicator: Indicator,
    period: Period,
    *,
    store: bool = False,
    audience: Audience = Audience.PUBLIC,
) -> list[AreaValue]:
    """Carry the observations of ``period`` from the old areas of ``crosswalk`` to the new ones.

    Counts are split by the weights; shares are recombined from carried numerators and
    denominators where known, else population-weighted (see :mod:`.aggregation`). A new area
    gets a value only when every old area overlapping it has one. With ``store=True`` the
    carried values are written as *estimated* observations of the new areas (a new revision
    where a value already exists), so maps and series can use them across the boundary change.

    Disclosure control (:mod:`.carried`): for the public and the city's members a carried value is
    withheld when any of its inputs (the indicator's cell, for shares and means also the weight's cell,
    at any old area it comes from) is withheld or perturbed; the data team sees it marked ``secondary``.
    """
    values, ids = _carried(session, crosswalk, indicator, period)
    if not values:
        return []
    marks = protection.marks(session, crosswalk.city_id)  # before the store: of the old areas' data
    if store:
        _store_carried(session, crosswalk.city_id, indicator, period, ids, values)
    sources = carried.sources_of(session, crosswalk.city_id)
    deps = carried.inputs(session, indicator)
    protected: list[AreaValue] = []
    for item in values:
        if not carried.withheld_input(marks, deps, period.id, sources.get(ids[item.area_code], [])):
            protected.append(item)
        elif audience == Audience.INTERNAL:
            protected.append(item.model_copy(update={"protection": "secondary"}))
        else:
            blank = {"value": None, "numerator": None, "denominator": None, "suppressed": True}
            protected.append(item.model_copy(update=blank))
    hidden = withheld(session, crosswalk.city_id, indicator.id, audience=audience)
    return publish_values(protected, audience=audience, withheld=hidden)


def store_carried(session: Session, crosswalk: Crosswalk, period: Period, codes: Sequence[str]) -> int:
    """Carry the values of every indicator of ``codes`` in ``period`` over ``crosswalk`` and store them as
    estimated observations of the new areas (one check of the writes first: nothing is stored when any is
    refused); returns the number of values stored. No publication: the reads protect stored values."""
    plans = []
    for code in codes:
        indicator = get_indicator(session, code)
        values, ids = _carried(session, crosswalk, indicator, period)
        plans.append((indicator, values, ids))
    present = [(i.id, v.value) for i, values, _ in plans for v in values if v.value is not None]
    writes.check_write(session, crosswalk.city_id, [p[0] for p in present], [p[1] for p in present],
                       source="carry-over")  # fmt: skip
    for indicator, values, ids in plans:
        _store_carried(session, crosswalk.city_id, indicator, period, ids, values, checked=True)
    return len(present)


def _carried(
    session: Session, crosswalk: Crosswalk, indicator: Indicator, period: Period
) -> tuple[list[AreaValue], dict[str, int]]:
    """The raw carried values of ``indicator`` in ``period`` (every new area, ``None`` where an old area
    lacks a value) and the new areas' ids by code."""
    entries = session.execute(
        select(CrosswalkEntry.source_area_id, CrosswalkEntry.target_area_id, CrosswalkEntry.weight).where(
            CrosswalkEntry.crosswalk_id == crosswalk.id
        )
    ).all()
    links = pd.DataFrame(entries, columns=["source", "target", "weight"])
    if links.empty:
        return [], {}
    data = _current_frame(session, indicator, period, links["source"].unique().tolist())
    data = _with_base(session, indicator, data.rename(columns={"area_id": "source"}), period=period)
    method = "sum" if indicator.aggregation == "sum" else indicator.aggregation
    result = combine(links, data, method=method, factor=indicator.factor)
    targets = session.execute(
        select(Area.id, Area.code, Area.name).where(Area.id.in_(result.index.astype(int).tolist()))
    ).all()
    values = []
    for target in sorted(targets, key=lambda t: t.code):
        row = result.loc[target.id]
        value = _num(row["value"]) if row["complete"] else None
        values.append(
            AreaValue(
                area_code=target.code,
                area_name=target.name,
                value=value,
                numerator=_num(row["numerator"]) if row["complete"] else None,
                denominator=_num(row["denominator"]) if row["complete"] else None,
                estimated=True,
            )
        )
    return values, {t.code: t.id for t in targets}


def _store_carried(
    session: Session,
    city_id: int,
    indicator: Indicator,
    period: Period,
    ids: dict[str, int],
    values: list[AreaValue],
    *,
    checked: bool = False,
) -> None:
    if not checked:
        stored = [item.value for item in values if item.value is not None]
        writes.check_write(session, city_id, [indicator.id] * len(stored), stored, source="carry-over")
    for item in values:
        if item.value is None:
            continue
        area_id = ids[item.area_code]
        current = session.scalar(
            select(Observation).where(
                Observation.indicator_id == indicator.id,
                Observation.area_id == area_id,
                Observation.period_id == period.id,
                Observation.is_current.is_(True),
            )
        )
        if current is not None and current.value == item.value and current.estimated:
            continue
        revision = 1
        if current is not None:
            current.is_current = False
            revision = current.revision + 1
            session.flush()
        session.add(
            Observation(
                indicator_id=indicator.id,
                area_id=area_id,
                period_id=period.id,
                value=item.value,
                numerator=item.numerator,
                denominator=item.denominator,
                estimated=True,
                revision=revision,
                is_current=True,
            )
        )
    session.flush()
