"""Benchmarking across cities: one indicator (Urban Audit, ``city_statistic``) for a set of cities — its
ranking on the latest value of each city, the set's median and each city against it, and the time series.

The set is resolved by the caller (``bettercities.views.registry``: a network, a programme, a size class or
a hand-picked list); this module only needs the cities.
"""

from __future__ import annotations

import statistics as stats
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.registry.models import CityStatistic
from bettercities.registry.schemas import BenchmarkOut, BenchmarkRow, BenchmarkSeries
from bettercities.registry.sources import INDICATORS

__all__ = ["benchmark", "indicator_codes"]


def indicator_codes() -> list[str]:
    """The indicators a benchmark can compare (the Urban Audit indicators of the registry)."""
    return list(INDICATORS)


def _ranks(values: Sequence[float]) -> list[int]:
    """Competition ranks, 1 = the highest value (ties share the better rank)."""
    order = sorted(values, reverse=True)
    return [order.index(v) + 1 for v in values]


def benchmark(
    session: Session,
    code: str,
    cities: Sequence[City],
    *,
    set_key: str,
    set_label: str,
    only_with_values: bool = False,
) -> BenchmarkOut:
    """The benchmark of indicator ``code`` over ``cities``: rows ranked by each city's latest value (1 =
    highest), each city's value minus the median of the set's latest values, the series per city, and the
    cities without a value (left out with ``only_with_values``: a size class holds thousands of towns)."""
    if code not in INDICATORS:
        raise KeyError(code)
    ids = [c.id for c in cities]
    series: dict[int, list[tuple[int, float]]] = {}
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        rows = session.execute(
            select(CityStatistic.city_id, CityStatistic.year, CityStatistic.value)
            .where(CityStatistic.code == code, CityStatistic.city_id.in_(ids[start : start + 900]))
            .order_by(CityStatistic.city_id, CityStatistic.year)
        ).all()
        for city_id, year, value in rows:
            series.setdefault(city_id, []).append((year, value))
    latest = {city_id: points[-1] for city_id, points in series.items() if points}
    median = stats.median(v for _, v in latest.values()) if latest else None
    with_values = [c for c in cities if c.id in latest]
    ranks = dict(
        zip([c.id for c in with_values], _ranks([latest[c.id][1] for c in with_values]), strict=True)
    )
    rows_out = []
    for city in sorted(cities, key=lambda c: (ranks.get(c.id, 10**9), c.name)):
        if city.id not in latest and only_with_values:
            continue
        point: tuple[int | None, float | None] = latest.get(city.id, (None, None))
        last_year, last_value = point
        rows_out.append(
            BenchmarkRow(
                slug=city.slug,
                name=city.name,
                country=city.country,
                value=last_value,
                year=last_year,
                rank=ranks.get(city.id),
                vs_median=None if last_value is None or median is None else last_value - median,
                lat=city.lat,
                lon=city.lon,
                population=city.population,
            )
        )
    return BenchmarkOut(
        indicator=code,
        set=set_key,
        set_label=set_label,
        median=median,
        polarity="neutral",
        rows=rows_out,
        series=[
            BenchmarkSeries(slug=c.slug, name=c.name, points=series[c.id])
            for c in with_values
            if c.id in series
        ],
        missing=[] if only_with_values else [c.slug for c in cities if c.id not in latest],
    )
