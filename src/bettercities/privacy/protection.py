"""Protecting a city's published cells: the tables of its quantities, primary and secondary suppression,
cell-key perturbation and the weighted-mean rule, computed once per data version.

For every period the computation builds the cells the indicators' reads publish
(:func:`bettercities.indicators.service.level_values` and ``city_values``): at every level valid at the
period's end the stored observations where the level has them, else the sum of the next finer level, and
the city-wide cell as the sum of the coarsest level. A *quantity* is what a published value reveals as a
count: a ``sum`` indicator's value, a ``ratio`` indicator's numerator and denominator (named by its
``numerator_code``/``denominator_code``). The relations an attacker knows are the hierarchy (a parent is the
sum of its children, where that holds on the data) and the relations the city declared between quantities.

Quantities of indicators under the *suppression* method go into one :class:`~.tables.LinearTable` per period:
primary cells by the rules (minimum frequency; cells the source marked suppressed), then
:func:`~.secondary.protect` adds complementary cells until the attacker's audit finds no primary cell
narrowed below its protection interval. Costs grow a thousandfold per level above the finest, so totals stay
published wherever protection allows. An indicator's cell is withheld when any of its quantities' cells is.

Indicators under the *cell-key* method publish perturbed counts (each cell by its own key, derived from the
city's secret) and shares recomputed from them. Indicators derived as population-weighted means are withheld
at a parent whenever any input (a child's value or weight) is withheld.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, repeat, starmap
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from cachetools import LRUCache, cached
from sqlalchemy import Integer, func, select, type_coerce
from sqlalchemy.orm import Session

from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.areas.service import valid_on
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.privacy import carried, queries
from bettercities.privacy.schemas import (
    Mark,
    Method,
    PeriodReport,
    QuantityReport,
    Reason,
    RuleOut,
)
from bettercities.storage.versioning import current_version

if TYPE_CHECKING:
    from bettercities.privacy.tables import Relations

#: Cost factor per level above the finest: withholding a total costs that much more than a detail.
LEVEL_COST = 1000.0
#: Relative tolerance within which a parent must equal the sum of its children to count as a relation.
TOLERANCE = 1e-6
#: The area code of the city-wide cell in cell keys.
CITY = "city"
#: Why a derived weighted mean is withheld.
WEIGHTED_NOTE = "weighted mean of withheld inputs"

CellKey = tuple[int, int, int | None]
QCell = tuple[str, int | None]  # (quantity, area id or None for the city)


@dataclass(frozen=True)
class Protection:
    """The protection of one city at one data version."""

    version: tuple[int, int]
    marks: Mapping[CellKey, Mark]
    quantities: list[QuantityReport]
    periods: list[PeriodReport]
    seconds: float
    cached: bool = False


class _Row(NamedTuple):
    indicator_id: int
    area_id: int
    period_id: int
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool | int  # 0/1 as SQLite stores it: read for its truth only


class _AreaRow(NamedTuple):
    id: int
    code: str
    level_id: int
    parent_id: int | None
    valid_from: date | None
    valid_to: date | None


@dataclass
class _Tree:
    """The areas of a city in one period: levels coarse to fine, children by parent."""

    levels: list[int]
    by_level: dict[int, list[int]]
    children: dict[int, list[int]]
    level_of: dict[int, int]

    def depth(self, area_id: int | None) -> int:
        """Levels above the finest (the city one above the coarsest)."""
        if area_id is None:
            return len(self.levels)
        return len(self.levels) - 1 - self.levels.index(self.level_of[area_id])


@dataclass
class _Usage:
    """How an indicator reveals quantities: ``value`` (a sum) or ``numerator``/``denominator`` (a ratio)."""

    indicator: Indicator
    rule: RuleOut
    quantities: dict[str, str] = field(default_factory=dict)  # column -> quantity


# -- the cache ---------------------------------------------------------------------------------------------

_cache: LRUCache[tuple[Any, ...], Protection] = LRUCache(maxsize=32)
_lock = threading.Condition()
_counter = {"computations": 0}


def computations() -> int:
    """How often protection was computed in this process (for tests and benchmarks)."""
    return _counter["computations"]


def data_version(session: Session) -> tuple[int, int]:
    """The data version (every committed write) and the largest observation id (rows added by other tools)."""
    return (current_version(session), session.scalar(select(func.max(Observation.id))) or 0)


def _compute_cached(key: tuple[Any, ...], session: Session, city_id: int) -> Protection:
    _counter["computations"] += 1
    return compute(session, city_id, version=key[-1])


_memo = cached(_cache, key=lambda key, session, city_id: key, condition=_lock, info=True)(_compute_cached)


def protect(session: Session, city_id: int) -> Protection:
    """The protection of city ``city_id`` at the current data version, computed once per version and
    database in this process (concurrent callers wait for the first one's result)."""
    version = data_version(session)
    key = (str(session.get_bind().engine.url), city_id, version)
    with _lock:
        hit = key in _cache
    result: Protection = _memo(key, session, city_id)
    return Protection(**{**result.__dict__, "cached": True}) if hit else result


def is_cached(session: Session, city_id: int) -> bool:
    """Whether the protection of city ``city_id`` at the current data version is computed already."""
    key = (str(session.get_bind().engine.url), city_id, data_version(session))
    with _lock:
        return key in _cache


def clear() -> None:
    """Forget every cached protection."""
    with _lock:
        _cache.clear()


# -- the computation ---------------------------------------------------------------------------------------


#: Whether this thread's :func:`_collector_paused` switched the collector off (:func:`_collector_resumed`).
_pause = threading.local()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block, resumed after it if it ran before.

    A city's protection reads a few hundred thousand rows and keys that all stay alive until it ends; each
    pass of the collector would walk them all again (and every older object of the process), for nothing:
    they hold no reference cycles. With the collector running, compute() took twice the CPU time on the
    microdata fixture (114,528 cells in one period: 0.79 s instead of 0.36 s). The pause is process-wide
    (other threads' cycles wait too), so it covers reading the rows and building the tables only: the
    solver's rounds (:func:`_collector_resumed`), which can take many seconds on tables of many small cells,
    run with the collector on. Reference counting frees everything as usual meanwhile, and a cycle made
    during the pause waits for the next collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    _pause.ours = was_enabled
    try:
        yield
    finally:
        _pause.ours = False
        if was_enabled:
            gc.enable()


@contextmanager
def _collector_resumed() -> Iterator[None]:
    """The collector on again for the block when this thread's :func:`_collector_paused` switched it off."""
    ours = getattr(_pause, "ours", False)
    if ours:
        gc.enable()
    try:
        yield
    finally:
        if ours:
            gc.disable()


def compute(session: Session, city_id: int, *, version: tuple[int, int] | None = None) -> Protection:
    """Protect every cell of city ``city_id`` (uncached; see :func:`protect`)."""
    with _collector_paused():
        return _compute(session, city_id, version)


def _compute(session: Session, city_id: int, version: tuple[int, int] | None) -> Protection:
    started = time.perf_counter()
    city = session.get(City, city_id)
    if city is None:
        raise ValueError(f"no city with id {city_id}")
    # named tuples: their fields read several times faster than a result row's attributes (10^5 rows);
    # read through the session's connection (Core rows: no ORM loading step, a third less time)
    if session.autoflush:
        session.flush()  # what session.execute would do before reading
    connection = session.connection()
    rows = list(
        starmap(
            _Row,
            connection.execute(
                select(
                    Observation.indicator_id,
                    Observation.area_id,
                    Observation.period_id,
                    Observation.value,
                    Observation.numerator,
                    Observation.denominator,
                    # read for its truth only: as stored (0/1 on SQLite), without a conversion per row
                    type_coerce(Observation.suppressed, Integer),
                )
                .join(Area, Area.id == Observation.area_id)
                .where(Area.city_id == city_id, Observation.is_current.is_(True))
            ).fetchall(),  # one fetch of every row (iterating a result fetches row by row)
        )
    )
    marks: dict[CellKey, Mark] = {}
    quantity_reports: list[QuantityReport] = []
    period_reports: list[PeriodReport] = []
    if rows:
        areas = {
            a.id: a
            for a in (
                _AreaRow(*r)
                for r in connection.execute(
                    select(
                        Area.id, Area.code, Area.level_id, Area.parent_id, Area.valid_from, Area.valid_to
                    ).where(Area.city_id == city_id)
                ).fetchall()
            )
        }
        ranks = dict(
            session.execute(
                select(SpatialLevel.id, SpatialLevel.rank).where(SpatialLevel.city_id == city_id)
            ).all()
        )
        indicators = {
            i.id: i
            for i in session.scalars(
                select(Indicator).where(Indicator.id.in_({r.indicator_id for r in rows}))
            )
        }
        rules = queries.rules_by_indicator(session, city_id, sorted(indicators))
        periods = session.execute(
            select(Period.id, Period.code, Period.end_date).where(Period.id.in_({r.period_id for r in rows}))
        ).all()
        by_period: dict[int, list[_Row]] = defaultdict(list)
        for row in rows:
            by_period[row.period_id].append(row)
        secret: bytes | None = None
        if any(r.method == Method.CELL_KEY for r in rules.values()):
            secret = queries.city_secret(session, city_id)
        declared = _relations(session, city_id)
        sources, inputs = carried.links(session, city_id, indicators)  # values carried by crosswalks
        for period_id, period_code, end in sorted(periods, key=lambda p: p[2]):
            table_rows, carried_rows = carried.split(by_period[period_id], sources, areas, end)
            period = _Period(period_id, period_code, end, table_rows, areas, ranks, indicators, rules, secret)
            if table_rows:
                period.run(marks, quantity_reports, period_reports, declared)
            carried.mark(marks, carried_rows, sources, inputs, period_id)
    return Protection(
        version=version if version is not None else data_version(session),
        marks=marks,
        quantities=quantity_reports,
        periods=period_reports,
        seconds=round(time.perf_counter() - started, 4),
    )


def _relations(session: Session, city_id: int) -> list[tuple[str, list[str]]]:
    from bettercities.privacy.models import QuantityRelation

    rows = session.execute(
        select(QuantityRelation.total_code, QuantityRelation.parts).where(QuantityRelation.city_id == city_id)
    ).all()
    return [(total, parts.split(",")) for total, parts in rows]


def _tree(rows: Iterable[_Row], areas: Mapping[int, _AreaRow], ranks: Mapping[int, int], end: date) -> _Tree:
    holding = {r.area_id for r in rows}
    present = [a for a in areas.values() if a.id in holding or valid_on(a, end)]
    levels = sorted({a.level_id for a in present}, key=lambda lid: ranks.get(lid, 0))
    by_level: dict[int, list[int]] = {lid: [] for lid in levels}
    children: dict[int, list[int]] = defaultdict(list)
    ids = {a.id for a in present}
    for a in sorted(present, key=lambda a: a.code):
        by_level[a.level_id].append(a.id)
        if a.parent_id is not None and a.parent_id in ids:
            children[a.parent_id].append(a.id)
    return _Tree(levels, by_level, dict(children), {a.id: a.level_id for a in present})


def _holding(groups: _Groups, values: np.ndarray) -> Relations:
    """The relations (total, parts) that hold on ``values`` within :data:`TOLERANCE`, in the canonical
    order of :func:`.secondary.canonical_relations` (parts ascending, then by total and parts), held as
    arrays (a city's tables have tens of thousands of relations)."""
    from bettercities.privacy.tables import Relations

    if not groups.totals.size:
        return Relations(np.zeros(0, dtype=np.intp), np.zeros(1, dtype=np.intp), np.zeros(0, dtype=np.intp))
    total_cells, sizes, parts = groups
    totals = values[total_cells]
    sums = np.add.reduceat(values[parts], np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    scale = np.maximum(1.0, np.maximum(np.abs(totals), np.abs(sums)))
    keep = np.abs(totals - sums) <= TOLERANCE * scale
    total_cells, sizes, parts = total_cells[keep], sizes[keep], parts[np.repeat(keep, sizes)]
    owner = np.repeat(np.arange(sizes.size), sizes)
    parts = parts[np.lexsort((parts, owner))]  # parts ascending within each relation
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    # relations by total, then (for equal totals: a declared relation beside a hierarchy one) by parts
    order = np.argsort(total_cells, kind="stable")
    sorted_totals = total_cells[order]
    ties = np.flatnonzero(np.diff(sorted_totals) == 0)
    if ties.size:
        run_starts = ties[np.concatenate([[True], np.diff(ties) > 1])]
        for first in run_starts.tolist():
            last = first
            while last + 1 < sorted_totals.size and sorted_totals[last + 1] == sorted_totals[first]:
                last += 1
            run = order[first : last + 1].tolist()
            run.sort(key=lambda r: tuple(parts[starts[r] : starts[r] + sizes[r]].tolist()))
            order[first : last + 1] = run
    new_sizes = sizes[order]
    new_starts = np.concatenate([[0], np.cumsum(new_sizes)[:-1]]).astype(np.intp)
    gather = np.repeat(starts[order] - new_starts, new_sizes) + np.arange(int(new_sizes.sum()))
    indptr = np.concatenate([[0], np.cumsum(new_sizes)]).astype(np.intp)
    return Relations(total_cells[order], indptr, parts[gather])


def _disagree(known: np.ndarray, values: np.ndarray) -> bool:
    """Whether two columns differ beyond :data:`TOLERANCE` at a position where both have a cell."""
    both = ~np.isnan(known) & ~np.isnan(values)
    a, b = known[both], values[both]
    with np.errstate(invalid="ignore"):  # inf - inf: not close, as one by one
        close = np.abs(a - b) <= TOLERANCE * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    return bool(np.any((a != b) & ~close))


class _Groups(NamedTuple):
    """Candidate relations as arrays: relation ``r`` is ``totals[r] = sum`` of its ``sizes[r]`` parts, which
    follow those of the relations before it in ``parts``."""

    totals: np.ndarray
    sizes: np.ndarray
    parts: np.ndarray

    @staticmethod
    def join(groups: list[_Groups]) -> _Groups:
        """The candidates of ``groups`` one after the other."""
        if not groups:
            return _Groups(*(np.zeros(0, dtype=np.intp),) * 3)
        return _Groups(*(np.concatenate(arrays).astype(np.intp) for arrays in zip(*groups, strict=True)))


def _declared(total: np.ndarray, parts: list[np.ndarray]) -> _Groups:
    """Candidates of a declared relation at every position where its total and all its parts have a cell,
    given each quantity's key index per position (-1: no cell)."""
    at = np.flatnonzero(total >= 0)
    for part in parts:
        at = at[part[at] >= 0]
    columns = np.stack([part[at] for part in parts], axis=1) if parts else np.zeros((at.size, 0), np.intp)
    return _Groups(total[at], np.full(at.size, len(parts), dtype=np.intp), columns.ravel())


class _Period:
    """The protection of one period of a city.

    A period's cells are held by *position*: its areas in the tree's order (level by level, coarse to fine,
    each level by code), then the city-wide cell. A column or quantity is a float array over the positions,
    NaN where it has no cell: a period of the microdata register has 114,528 cells, and one Python dict
    entry (and later a key tuple and its ``repr``) per cell was most of the time protection took.
    """

    def __init__(
        self,
        period_id: int,
        code: str,
        end: date,
        rows: list[_Row],
        areas: Mapping[int, _AreaRow],
        ranks: Mapping[int, int],
        indicators: Mapping[int, Indicator],
        rules: Mapping[int, RuleOut],
        secret: bytes | None,
    ) -> None:
        self.period_id, self.code = period_id, code
        self.areas = areas
        self.tree = tree = _tree(rows, areas, ranks, end)
        self.indicators = indicators
        self.rules = rules
        self.secret = secret
        self.area_ids: list[int] = [a for level in tree.levels for a in tree.by_level[level]]
        self.city = len(self.area_ids)  # the position of the city-wide cell
        position = {a: i for i, a in enumerate(self.area_ids)}
        self.position = position
        sizes = [len(tree.by_level[level]) for level in tree.levels]
        self.level_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)  # positions of a level
        depth = np.repeat(np.arange(len(sizes) - 1, -1, -1, dtype=np.float64), sizes)
        self.depth = np.append(depth, float(len(sizes)))  # levels above the finest, per position
        # the children of every area as (parent position, child position) pairs, parents in position order
        # and each one's children in the tree's order: one level's pairs are one run
        pairs = [(position[p], position[k]) for p in self.area_ids for k in tree.children.get(p, ())]
        self.kid_parent = np.array([p for p, _ in pairs], dtype=np.intp)
        self.kid = np.array([k for _, k in pairs], dtype=np.intp)
        self.kid_start = np.searchsorted(self.kid_parent, self.level_start)
        # positions in the order of the keys' repr within a quantity (secondary's canonical order):
        # area ids compared as text, the city ("None") after them all
        self.text_order = np.array(
            [*sorted(range(self.city), key=lambda i: str(self.area_ids[i])), self.city], dtype=np.intp
        )
        # the rows as columns, one row per indicator and area (the last read, as a dict keyed by them kept)
        indicator_id, area_id, _, value, numerator, denominator, suppressed = (
            zip(*rows, strict=True) if rows else ((),) * 7
        )
        self.indicator_ids = list(dict.fromkeys(indicator_id))  # in the order of their first row
        ind = np.array(indicator_id, dtype=np.int64)
        at = np.fromiter(map(position.__getitem__, area_id), dtype=np.intp, count=len(rows))
        flagged = np.flatnonzero(np.array(suppressed, dtype=bool))
        self.flagged: dict[int, list[int]] = defaultdict(list)  # areas the source marked suppressed
        for i in flagged.tolist():
            self.flagged[indicator_id[i]].append(area_id[i])
        order = np.lexsort((at, ind))  # stable: a repeated indicator and area keeps its rows' order
        last = np.ones(order.size, dtype=bool)
        last[:-1] = (ind[order][1:] != ind[order][:-1]) | (at[order][1:] != at[order][:-1])
        keep = order[last]
        self.at = at[keep]
        self.columns = {
            name: np.array(column, dtype=np.float64)[keep]  # None as NaN
            for name, column in (("value", value), ("numerator", numerator), ("denominator", denominator))
        }
        # a numerator or denominator None (a NaN is read as a number), on a row not suppressed
        self.missing_ratio = np.array(
            [
                (n is None or d is None) and not s
                for n, d, s in zip(numerator, denominator, suppressed, strict=True)
            ],
            dtype=bool,
        )[keep]
        kept = ind[keep]
        bounds = np.flatnonzero(np.diff(kept)) + 1
        starts = np.concatenate([[0], bounds]).tolist()
        stops = np.concatenate([bounds, [kept.size]]).tolist()
        self.rows_of = {int(kept[s]): slice(s, e) for s, e in zip(starts, stops, strict=True) if e > s}

    def area_at(self, position: int) -> int | None:
        """The area id at ``position`` (None for the city)."""
        return None if position == self.city else self.area_ids[position]

    def position_of(self, area: int | None) -> int:
        """The position of area ``area`` (None: the city)."""
        return self.city if area is None else self.position[area]

    def stored(self, indicator_id: int) -> set[int]:
        """The areas with a row of the indicator."""
        at = self.at[self.rows_of.get(indicator_id, slice(0, 0))]
        return {self.area_ids[p] for p in at.tolist()}

    # -- cells of one indicator column, as the reads publish them ----------------------------------------
    def cells(self, indicator_id: int, column: str) -> np.ndarray:
        """Values of ``column`` at every position (stored where the level has data, else the sum of the
        next finer level when complete; the city the sum of the coarsest level), NaN where none."""
        rows = self.rows_of[indicator_id]
        at, x = self.at[rows], self.columns[column][rows]
        out = np.full(self.city + 1, np.nan)
        starts = self.level_start
        data_levels = set(np.searchsorted(starts, at, side="right").tolist())  # 1 + the level's index
        for level in range(len(starts) - 1, 0, -1):  # finest first
            lo, hi = starts[level - 1], starts[level]
            if level in data_levels:  # the level has data: its stored finite values
                here = (at >= lo) & (at < hi) & np.isfinite(x)
                out[at[here]] = x[here]
                continue
            k0, k1 = self.kid_start[level - 1], self.kid_start[level]
            parents, kids = self.kid_parent[k0:k1] - lo, self.kid[k0:k1]
            if np.any((kids >= lo) & (kids < hi)):  # children within the level: filled one by one
                for p in np.unique(parents).tolist():
                    mine = kids[parents == p]
                    if not np.isnan(out[mine]).any():
                        out[lo + p] = sum(out[mine].tolist())
                continue
            values = out[kids]
            missing = np.bincount(parents, weights=np.isnan(values), minlength=hi - lo)
            counted = np.bincount(parents, minlength=hi - lo)
            # bincount adds in the children's order from 0.0: the same float sums as one by one
            sums = np.bincount(parents, weights=values, minlength=hi - lo)
            complete = (counted > 0) & (missing == 0)
            out[lo:hi][complete] = sums[complete]
        top = out[starts[0] : starts[1]]
        if top.size > 1 and not np.isnan(top).any():
            out[self.city] = sum(top.tolist())
        return out

    def usages(self) -> tuple[list[_Usage], dict[str, np.ndarray]]:
        """Which quantities each indicator reveals, and the quantities' cells (a quantity whose values
        disagree between two indicators is split into the indicator's own ``code:column``)."""
        quantities: dict[str, np.ndarray] = {}
        usages: list[_Usage] = []
        ordered = sorted(
            (self.indicators[i] for i in self.indicator_ids),
            key=lambda i: (i.aggregation != "sum", i.code),
        )
        for indicator in ordered:
            usage = _Usage(indicator, self.rules[indicator.id])
            if indicator.aggregation == "sum":
                columns = {"value": indicator.code}
            elif (
                indicator.aggregation == "ratio" and not self.missing_ratio[self.rows_of[indicator.id]].any()
            ):
                columns = {
                    "numerator": indicator.numerator_code or f"{indicator.code}:numerator",
                    "denominator": indicator.denominator_code or f"{indicator.code}:denominator",
                }
            else:
                columns = {}
            for column, name in columns.items():
                values = self.cells(indicator.id, column)
                if np.any(values < 0):
                    continue  # not a count: nothing to protect by counts
                known = quantities.get(name)
                if known is not None and _disagree(known, values):
                    name = f"{indicator.code}:{column}"
                    known = None
                quantities[name] = values if known is None else np.where(np.isnan(known), values, known)
                usage.quantities[column] = name
            usages.append(usage)
        return usages, quantities

    def source_cells(self, usages: list[_Usage]) -> set[QCell]:
        """Quantity cells the source marked suppressed (a ratio's through its numerator)."""
        found: set[QCell] = set()
        for usage in usages:
            column = "value" if "value" in usage.quantities else "numerator"
            name = usage.quantities.get(column)
            if name is None:
                continue
            for area in self.flagged.get(usage.indicator.id, ()):
                found.add((name, area))
        return found

    # -- the run -------------------------------------------------------------------------------------------
    def run(
        self,
        marks: dict[CellKey, Mark],
        quantity_reports: list[QuantityReport],
        period_reports: list[PeriodReport],
        declared: list[tuple[str, list[str]]],
    ) -> None:
        started = time.perf_counter()
        usages, quantities = self.usages()
        source = self.source_cells(usages)
        suppressed_q = {
            q for u in usages if u.rule.method == Method.SUPPRESSION for q in u.quantities.values()
        }
        withheld, reasons, report = self.suppress(usages, quantities, suppressed_q, source, declared)
        report.seconds = round(time.perf_counter() - started, 4)
        period_reports.append(report)
        perturbed: dict[str, int] = defaultdict(int)
        withheld_at: dict[str, list[int | None]] = defaultdict(list)  # quantity -> its withheld areas
        for name, area in withheld:
            withheld_at[name].append(area)
        for usage in usages:
            ind = usage.indicator
            if usage.rule.method == Method.CELL_KEY and usage.quantities:
                self.perturb(usage, quantities, source, marks, perturbed)
                continue
            if usage.rule.method == Method.SUPPRESSION:
                names = list(usage.quantities.values())
                hit_areas = {a for n in names for a in withheld_at.get(n, ())}
                for area in sorted(hit_areas, key=lambda a: -1 if a is None else a):
                    hit = [(n, area) for n in names if (n, area) in withheld]
                    primary = [reasons[c] for c in hit if reasons[c] != Reason.SECONDARY.value]
                    mark = (
                        Mark(reason=Reason.PRIMARY, rule=primary[0])
                        if primary
                        else Mark(reason=Reason.SECONDARY)
                    )
                    marks[(ind.id, self.period_id, area)] = mark
            # source-suppressed cells of indicators without quantities or under ``none``
            for area in self.flagged.get(ind.id, ()):
                if (ind.id, self.period_id, area) not in marks:
                    marks[(ind.id, self.period_id, area)] = Mark(reason=Reason.PRIMARY, rule="source")
        for usage in usages:
            if not usage.quantities or usage.rule.method == Method.NONE:
                self.derived(usage.indicator, marks)
        top = self.tree.by_level[self.tree.levels[0]]
        if len(top) == 1:  # the coarsest level is the city itself: its cell is the city-wide one
            for usage in usages:
                own = marks.get((usage.indicator.id, self.period_id, top[0]))
                if own is not None:
                    marks[(usage.indicator.id, self.period_id, None)] = own
        by_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (name, _), reason in reasons.items():  # the withheld cells only
            by_rule[name][reason] += 1
        for name, cells in sorted(quantities.items()):
            method = Method.SUPPRESSION if name in suppressed_q else None
            if method is None:
                method = Method.CELL_KEY if perturbed.get(name) else Method.NONE
            counted = by_rule.get(name, {})
            secondary = counted.get(Reason.SECONDARY.value, 0)
            primary_by_rule = {r: k for r, k in counted.items() if r != Reason.SECONDARY.value}
            quantity_reports.append(
                QuantityReport(
                    quantity=name,
                    period=self.code,
                    method=method,
                    cells=int(np.count_nonzero(~np.isnan(cells))),
                    primary=dict(primary_by_rule),
                    secondary=secondary,
                    perturbed=perturbed.get(name, 0),
                )
            )

    def cells_of(self, quantities: Mapping[str, np.ndarray], names: list[str]) -> list[int | None]:
        """The areas (None: the city) where any of the quantities ``names`` has a cell (by id, city first)."""
        found = np.zeros(self.city + 1, dtype=bool)
        for name in names:
            found |= ~np.isnan(quantities[name])
        return sorted(map(self.area_at, np.flatnonzero(found).tolist()), key=lambda a: -1 if a is None else a)

    def suppress(
        self,
        usages: list[_Usage],
        quantities: Mapping[str, np.ndarray],
        names: set[str],
        source: set[QCell],
        declared: list[tuple[str, list[str]]],
    ) -> tuple[set[QCell], dict[QCell, str], PeriodReport]:
        """Primary and secondary suppression of the quantities ``names``: the withheld cells and the reason
        of each (``frequency``, ``source`` or ``secondary``)."""
        from bettercities.privacy import primary as primary_rules
        from bettercities.privacy.tables import LinearTable

        # the canonical order of secondary.protect (cells by repr of their keys), so it needs no copy: the
        # reprs of the names are prefix-free (each ends in its unescaped quote), so that order is by the
        # name's repr, then by the area id as text (the city's None after every number)
        keys: list[QCell] = []
        spans: dict[str, tuple[int, np.ndarray]] = {}  # name -> (first index, positions in key order)
        text_ids = [self.area_at(p) for p in self.text_order.tolist()]
        for name in sorted(names, key=repr):
            present = ~np.isnan(quantities[name][self.text_order])
            spans[name] = (len(keys), self.text_order[present])
            keys.extend(zip(repeat(name), compress(text_ids, present.tolist())))
        if not keys:
            return set(), {}, PeriodReport(period=self.code, cells=0, withheld=0, status="none")
        index = np.full((len(spans), self.city + 1), -1, dtype=np.intp)  # (name, position) -> key index
        for row, (first, positions) in enumerate(spans.values()):
            index[row, positions] = np.arange(first, first + positions.size)
        row_of = {name: row for row, name in enumerate(spans)}
        values = np.concatenate([quantities[name][positions] for name, (_, positions) in spans.items()])
        depth = np.concatenate([self.depth[positions] for _, positions in spans.values()])
        cost = (values + 1.0) * LEVEL_COST**depth
        # the strictest rule of the suppression indicators that reveal a quantity
        threshold: dict[str, int] = defaultdict(lambda: 1)
        zeros: dict[str, bool] = defaultdict(bool)
        percent: dict[str, float] = defaultdict(float)
        for usage in usages:
            if usage.rule.method != Method.SUPPRESSION:
                continue
            for name in usage.quantities.values():
                threshold[name] = max(threshold[name], usage.rule.threshold)
                zeros[name] = zeros[name] or usage.rule.zeros
                percent[name] = max(percent[name], usage.rule.interval_percent)
        primary = np.zeros(len(keys), dtype=bool)
        width = np.zeros(len(keys))
        reasons: dict[QCell, str] = {}
        for name, (first, positions) in spans.items():
            ids = slice(first, first + positions.size)
            sub = values[ids]
            sensitive = primary_rules.frequency(sub, threshold=threshold[name], zeros=zeros[name])
            width[ids] = primary_rules.required_width(
                sub, threshold=threshold[name], interval_percent=percent[name]
            )
            primary[ids] |= sensitive
            for i in (first + np.flatnonzero(sensitive)).tolist():
                reasons[keys[i]] = "frequency"
        for cell in source:
            name, area = cell
            if name in row_of and (i := index[row_of[name], self.position_of(area)]) >= 0:
                primary[i] = True
                reasons[cell] = "source"
        if not primary.any():
            return set(), {}, PeriodReport(period=self.code, cells=len(keys), withheld=0, status="none")
        groups = [self.hierarchy(index[row_of[name]]) for name in sorted(names)]
        for total, parts in declared:
            if total in names and all(p in names for p in parts):
                groups.append(_declared(index[row_of[total]], [index[row_of[p]] for p in parts]))
        from bettercities.privacy.secondary import protect

        table = LinearTable(
            keys=tuple(keys), values=values, cost=cost, relations=_holding(_Groups.join(groups), values)
        )
        with _collector_resumed():  # the MILP and audit rounds: seconds, and few Python objects
            result = protect(table, primary, width)
        withheld = {keys[i] for i in np.flatnonzero(result.withheld)}
        for j in np.flatnonzero(result.secondary):
            reasons.setdefault(keys[j], Reason.SECONDARY.value)
        return (
            withheld,
            {k: reasons.get(k, Reason.SECONDARY.value) for k in withheld},
            PeriodReport(
                period=self.code,
                cells=len(keys),
                withheld=len(withheld),
                status=result.status,
                iterations=result.iterations,
            ),
        )

    def hierarchy(self, index: np.ndarray) -> _Groups:
        """Candidate relations parent = sum of children (and city = sum of the coarsest level) of one
        quantity as (total, parts) cell indices, ``index`` its key index per position (-1: no cell);
        :func:`_holding` keeps those that hold on the data."""
        parents, kids = self.kid_parent, self.kid
        top = np.arange(self.level_start[0], self.level_start[1], dtype=np.intp)
        if top.size > 1:
            parents = np.concatenate([parents, np.full(top.size, self.city, dtype=np.intp)])
            kids = np.concatenate([kids, top])
        # one group per parent (the pairs run parent by parent, the city's last)
        starts = (
            np.flatnonzero(np.concatenate([[True], parents[1:] != parents[:-1]])) if parents.size else parents
        )
        group = np.repeat(np.arange(starts.size), np.diff(np.append(starts, parents.size)))
        totals, parts = index[parents[starts]], index[kids]
        complete = (totals >= 0) & (np.bincount(group, weights=parts < 0, minlength=starts.size) == 0)
        return _Groups(
            totals[complete], np.bincount(group, minlength=starts.size)[complete], parts[complete[group]]
        )

    def perturb(
        self,
        usage: _Usage,
        quantities: Mapping[str, np.ndarray],
        source: set[QCell],
        marks: dict[CellKey, Mark],
        perturbed: dict[str, int],
    ) -> None:
        """Cell-key perturbation of a cell-key indicator's quantities; shares recomputed from them."""
        from bettercities.privacy.cellkey import PTable, cell_key

        assert self.secret is not None  # compute() reads it when any rule is a cell-key rule
        rule = usage.rule
        table = PTable.build(max_deviation=rule.max_deviation, variance=rule.variance, js=rule.js)
        ind = usage.indicator
        published: dict[str, dict[int | None, float]] = {}
        for column, name in usage.quantities.items():
            positions = np.flatnonzero(~np.isnan(quantities[name]))
            areas = sorted(map(self.area_at, positions.tolist()), key=lambda a: -1 if a is None else a)
            raw = quantities[name][[self.position_of(a) for a in areas]]
            keys = np.array(
                [
                    cell_key(self.secret, name, CITY if a is None else self.areas[a].code, self.code)
                    for a in areas
                ]
            )
            new = table.perturb(np.round(raw).astype(np.int64), keys)
            published[column] = {a: float(x) for a, x in zip(areas, new, strict=True)}
            perturbed[name] += len(areas)
        # a ratio's numerator or denominator that is no count (negative values: nothing to perturb) is
        # published as stored; the share then follows the other, perturbed one
        if published.keys() & {"numerator", "denominator"}:
            for column in ("numerator", "denominator"):
                if column not in published:
                    cells = self.cells(ind.id, column)
                    present = np.flatnonzero(~np.isnan(cells)).tolist()
                    published[column] = {self.area_at(p): float(cells[p]) for p in present}
        for area in self.cells_of(quantities, list(usage.quantities.values())):
            if any((n, area) in source for n in usage.quantities.values()):
                marks[(ind.id, self.period_id, area)] = Mark(reason=Reason.PRIMARY, rule="source")
                continue
            if "value" in published:
                value = published["value"].get(area)
                if value is not None:
                    marks[(ind.id, self.period_id, area)] = Mark(reason=Reason.PERTURBED, value=value)
                continue
            n, d = published["numerator"].get(area), published["denominator"].get(area)
            if n is None or d is None:
                continue
            share = ind.factor * n / d if d > 0 else None
            marks[(ind.id, self.period_id, area)] = Mark(
                reason=Reason.PERTURBED, value=share, numerator=n, denominator=d
            )

    def derived(self, indicator: Indicator, marks: dict[CellKey, Mark]) -> None:
        """Withhold parents (and the city) derived from inputs of which any is withheld: the input's own
        value, or for weighted means the weight's cell at the input's area."""
        stored = self.stored(indicator.id)
        weight_id = None
        if indicator.aggregation in {"weighted_mean", "ratio"}:
            code = indicator.weight_code or "inhabitants"
            weight_id = next((i.id for i in self.indicators.values() if i.code == code), None)

        def bad(area: int) -> bool:
            own = marks.get((indicator.id, self.period_id, area))
            if own is not None and own.withheld:
                return True
            if weight_id is None:
                return False
            weight = marks.get((weight_id, self.period_id, area))
            return weight is not None and weight.withheld

        levels = self.tree.levels
        data_levels = [lid for lid in levels if any(a in stored for a in self.tree.by_level[lid])]
        if not data_levels:
            return
        note = WEIGHTED_NOTE if weight_id is not None else "derived from withheld inputs"
        for i, level in enumerate(levels):
            if level in data_levels:
                continue
            finer = next((lid for lid in levels[i + 1 :] if lid in data_levels), None)
            if finer is None:
                continue
            for area in self.tree.by_level[level]:
                inputs = self.descendants(area, finer)
                if inputs and any(bad(a) for a in inputs):
                    marks.setdefault(
                        (indicator.id, self.period_id, area), Mark(reason=Reason.SECONDARY, note=note)
                    )
        inputs = self.tree.by_level[data_levels[0]]
        if len(inputs) > 1 and any(bad(a) for a in inputs):
            marks.setdefault((indicator.id, self.period_id, None), Mark(reason=Reason.SECONDARY, note=note))

    def descendants(self, area: int, level: int) -> list[int]:
        out: list[int] = []
        stack = [area]
        while stack:
            for kid in self.tree.children.get(stack.pop(), []):
                if self.tree.level_of[kid] == level:
                    out.append(kid)
                else:
                    stack.append(kid)
        return out


__all__ = ["Protection", "clear", "computations", "compute", "data_version", "is_cached", "protect"]
