"""A synthetic person register for a city's areas (the demo's microdata, the tests' and benchmarks' input).

One row per person: ``person_id``, ``household_id``, ``age``, ``sex``, ``benefit`` (``none``, ``sgb2`` –
basic income support for jobseekers, SGB II –, ``old_age_support`` – old-age basic income support, SGB XII
Kap. 4), ``unemployed`` and ``unemployment_months``, ``foreign``, ``income`` (monthly, EUR),
``area_code`` (the planning area) and ``block_id`` (an address block; :func:`block_table` maps blocks to
areas). Areas differ in poverty, age structure and the share of foreign nationals, so that indicators
vary between areas. Everything is drawn with vectorised numpy, chunk by chunk (a chunk's generator is seeded
with ``(seed, chunk number)``), and written as Parquet: the same sizes and seed give the same file.
Invented data: no real person is described.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City
from bettercities.indicators.models import Indicator, Observation, Period

BLOCKS_PER_AREA = 20
CHUNK = 4_000_000
_AGES = np.arange(101)
#: Age distribution of a young and an old area (weights, normalised below).
_YOUNG = np.where(_AGES < 45, 1.0, np.exp(-(_AGES - 45) / 14.0))
_OLD = np.where(_AGES < 55, 0.7, np.exp(-(_AGES - 55) / 22.0))


def block_id(area_index: np.ndarray, block: np.ndarray) -> np.ndarray:
    """The id of block ``block`` of the area at ``area_index`` (of the sorted area codes)."""
    return area_index.astype(np.int64) * 1000 + block


def block_table(codes: list[str], *, blocks_per_area: int = BLOCKS_PER_AREA) -> pa.Table:
    """The lookup ``block_id -> area_code`` of the blocks :func:`generate_register` uses."""
    codes = sorted(codes)
    index = np.repeat(np.arange(len(codes)), blocks_per_area)
    blocks = np.tile(np.arange(blocks_per_area), len(codes))
    return pa.table({"block_id": block_id(index, blocks), "area_code": pa.array(np.array(codes)[index])})


def generate_register(
    sizes: Mapping[str, int],
    path: Path | str,
    *,
    seed: int = 0,
    blocks_per_area: int = BLOCKS_PER_AREA,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write a register of ``sizes[area]`` persons per area to Parquet ``path``; return the persons written.

    >>> import tempfile, pyarrow.parquet as pq
    >>> with tempfile.TemporaryDirectory() as d:
    ...     n = generate_register({"A": 5, "B": 3}, f"{d}/r.parquet", seed=1)
    ...     pq.read_table(f"{d}/r.parquet").num_rows
    8
    """
    codes = sorted(sizes)
    counts = np.array([max(int(sizes[c]), 0) for c in codes], dtype=np.int64)
    total = int(counts.sum())
    # Area traits, drawn once from the seed: poverty, age structure, foreign nationals.
    traits = np.random.default_rng([seed, 0])
    poverty = traits.beta(2.0, 9.0, len(codes))
    old = traits.beta(2.0, 4.0, len(codes))
    foreign = traits.beta(2.0, 7.0, len(codes))
    dictionary = pa.array(codes, type=pa.string())
    # Chunks of whole areas, so that households never cross a chunk.
    bounds = np.searchsorted(np.cumsum(counts), np.arange(chunk, total, chunk), side="left")
    groups = np.split(np.arange(len(codes)), bounds + 1) if total else []
    writer: pq.ParquetWriter | None = None
    written = 0
    try:
        for number, group in enumerate(g for g in groups if len(g)):
            table = _chunk(
                group,
                counts,
                poverty,
                old,
                foreign,
                dictionary,
                written,
                np.random.default_rng([seed, number + 1]),
                blocks_per_area,
            )
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema, compression="zstd")
            writer.write_table(table, row_group_size=1 << 20)
            written += table.num_rows
            if progress is not None:
                progress(written, total)
        if writer is None:  # no persons at all: an empty file with the schema
            empty = _chunk(
                np.arange(0),
                counts,
                poverty,
                old,
                foreign,
                dictionary,
                0,
                np.random.default_rng(seed),
                blocks_per_area,
            )
            pq.write_table(empty, str(path))
    finally:
        if writer is not None:
            writer.close()
    return written


def _chunk(
    group: np.ndarray,
    counts: np.ndarray,
    poverty: np.ndarray,
    old: np.ndarray,
    foreign: np.ndarray,
    dictionary: pa.Array,
    first_id: int,
    rng: np.random.Generator,
    blocks_per_area: int,
) -> pa.Table:
    area = np.repeat(group, counts[group])
    n = len(area)
    young_p, old_p = _YOUNG / _YOUNG.sum(), _OLD / _OLD.sum()
    is_old_area = rng.random(n) < old[area]
    age = np.where(is_old_area, rng.choice(_AGES, n, p=old_p), rng.choice(_AGES, n, p=young_p)).astype(
        np.int16
    )
    sex = np.where(rng.random(n) < 0.51, "f", "m")
    # Households: consecutive persons of one area, sizes 1..5.
    sizes = rng.choice(np.arange(1, 6), n, p=[0.42, 0.33, 0.12, 0.09, 0.04])
    starts = np.zeros(n, dtype=bool)
    position = np.cumsum(sizes) - sizes
    starts[position[position < n]] = True
    starts[np.flatnonzero(np.diff(area, prepend=-1))] = True  # a new area starts a new household
    household = first_id + np.cumsum(starts) - 1
    draw = rng.random(n)
    p_sgb2 = np.where(age < 15, 1.4, 1.0) * poverty[area]
    p_old_age = 0.45 * poverty[area]
    benefit_code = np.where((age < 65) & (draw < p_sgb2), 1, np.where((age >= 65) & (draw < p_old_age), 2, 0))
    benefit = pa.DictionaryArray.from_arrays(
        pa.array(benefit_code.astype(np.int8)), pa.array(["none", "sgb2", "old_age_support"])
    )
    working_age = (age >= 15) & (age < 65)
    unemployed = working_age & (rng.random(n) < 0.03 + 0.4 * poverty[area])
    months = np.where(unemployed, rng.integers(1, 37, n), 0).astype(np.int16)
    is_foreign = rng.random(n) < foreign[area]
    income = np.where(age < 16, 0.0, rng.lognormal(7.6, 0.55, n) * np.where(benefit_code > 0, 0.45, 1.0))
    block = block_id(area, rng.integers(0, blocks_per_area, n))
    return pa.table(
        {
            "person_id": pa.array(np.arange(first_id, first_id + n, dtype=np.int64)),
            "household_id": pa.array(household.astype(np.int64)),
            "age": pa.array(age),
            "sex": pa.DictionaryArray.from_arrays(
                pa.array((sex == "m").astype(np.int8)), pa.array(["f", "m"])
            ),
            "benefit": benefit,
            "unemployed": pa.array(unemployed),
            "unemployment_months": pa.array(months),
            "foreign": pa.array(is_foreign),
            "income": pa.array(np.round(income, 2)),
            "area_code": pa.DictionaryArray.from_arrays(pa.array(area.astype(np.int32)), dictionary),
            "block_id": pa.array(block),
        }
    )


def city_sizes(
    session: Session, city: City, level: str, period: str | None, *, default: int, at: date | None = None
) -> dict[str, int]:
    """Persons per area of ``level`` valid on ``at`` (default today: the current boundaries, so that a
    register's keys are areas of the period it is aggregated for): the stored ``inhabitants`` of the period
    (else the latest stored), ``default`` for areas without one."""
    spatial_level = areas.get_level(session, city, level)
    codes = [a.code for a in areas.areas_of_level(session, spatial_level, at=at or date.today())]
    sizes = dict.fromkeys(codes, default)
    query = (
        select(Area.code, Observation.value, Period.code)
        .join(Observation, Observation.area_id == Area.id)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .join(Period, Period.id == Observation.period_id)
        .where(
            Area.level_id == spatial_level.id,
            Indicator.code == "inhabitants",
            Observation.is_current,
            Observation.value.is_not(None),
        )
    )
    if period is not None:
        chosen = session.scalar(query.with_only_columns(func.count()).where(Period.code == period))
        if chosen:
            query = query.where(Period.code == period)
    found: dict[str, tuple[str, float]] = {}
    for code, value, period_code in session.execute(query):
        if code not in found or period_code > found[code][0]:
            found[code] = (period_code, float(value or 0))
    sizes.update({code: round(value) for code, (_, value) in found.items() if code in sizes})
    return sizes
